// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * unlock_unheld: thread "unlocker" locks and unlocks M (so its state is known), then unlocks
 * it once more while nobody holds it. glibc's default mutex does not check and returns 0.
 * racetrace must report one unlock-unheld on M, by the unlocker.
 *
 * Usage: unlock_unheld [-w] [-k]   (see target.h)
 */
#include "target.h"

static pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noinline)) void *thread_unlocker(void *arg)
{
	target_note_tid("unlocker");
	CHECK_PT(pthread_mutex_lock(&lock_m));
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	CHECK_PT(pthread_mutex_unlock(&lock_m)); /* the bug: not held (a normal mutex returns 0) */
	return arg;
}

static void work(void *arg)
{
	pthread_t t;

	(void)arg;
	CHECK_PT(pthread_create(&t, NULL, thread_unlocker, NULL));
	CHECK_PT(pthread_join(t, NULL));
}

int main(int argc, char **argv)
{
	struct target_opts o;

	if (target_parse(argc, argv, "", &o) != argc)
		target_usage("");
	target_run(&o, work, NULL);
	return 0;
}
