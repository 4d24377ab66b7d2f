// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * destroy_unlocked: the clean twin of destroy_locked. Thread "owner" locks M, then unlocks it;
 * then (barrier) thread "destroyer" calls pthread_mutex_destroy(M), which succeeds: M is free.
 * racetrace must report nothing.
 *
 * Usage: destroy_unlocked [-w] [-k]   (see target.h)
 */
#include "target.h"

static pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t m_released;

static __attribute__((noinline)) void *thread_owner(void *arg)
{
	target_note_tid("owner");
	CHECK_PT(pthread_mutex_lock(&lock_m));
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	target_barrier_wait(&m_released);
	return arg;
}

static __attribute__((noinline)) void *thread_destroyer(void *arg)
{
	target_note_tid("destroyer");
	target_barrier_wait(&m_released);
	CHECK_PT(pthread_mutex_destroy(&lock_m)); /* correct: M is not held */
	return arg;
}

static void work(void *arg)
{
	pthread_t t1, t2;

	(void)arg;
	CHECK_PT(pthread_mutex_init(&lock_m, NULL)); /* again, for the -k rounds after a destroy */
	CHECK_PT(pthread_barrier_init(&m_released, NULL, 2));
	CHECK_PT(pthread_create(&t1, NULL, thread_owner, NULL));
	CHECK_PT(pthread_create(&t2, NULL, thread_destroyer, NULL));
	CHECK_PT(pthread_join(t1, NULL));
	CHECK_PT(pthread_join(t2, NULL));
	CHECK_PT(pthread_barrier_destroy(&m_released));
}

int main(int argc, char **argv)
{
	struct target_opts o;

	if (target_parse(argc, argv, "", &o) != argc)
		target_usage("");
	target_run(&o, work, NULL);
	return 0;
}
