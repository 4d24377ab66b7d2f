// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * exit_holding: thread "exiter" locks M and returns without unlocking it; the main thread
 * joins it and never touches M again (it would block forever). racetrace must report one
 * exit-holding-lock on M, by the exiter. The main thread's own exit ends the whole process,
 * which is no such finding.
 *
 * Usage: exit_holding [-w]   (see target.h; -k is refused: M stays locked after a round)
 */
#include "target.h"

static pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noinline)) void *thread_exiter(void *arg)
{
	target_note_tid("exiter");
	CHECK_PT(pthread_mutex_lock(&lock_m));
	return arg; /* the bug: M is still locked */
}

static void work(void *arg)
{
	pthread_t t;

	(void)arg;
	CHECK_PT(pthread_create(&t, NULL, thread_exiter, NULL));
	CHECK_PT(pthread_join(t, NULL));
}

int main(int argc, char **argv)
{
	struct target_opts o;

	if (target_parse(argc, argv, "", &o) != argc || o.keep)
		target_usage("");
	target_run(&o, work, NULL);
	return 0;
}
