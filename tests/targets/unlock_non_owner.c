// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * unlock_non_owner: thread "owner" locks M; then (barrier) thread "unlocker" unlocks it, which
 * glibc's default mutex allows without a check. The owner stays alive until the unlock is
 * done (second barrier), so it does not exit holding M. racetrace must report one
 * unlock-non-owner on M, naming the unlocker and the owner.
 *
 * Usage: unlock_non_owner [-w] [-k]   (see target.h)
 */
#include "target.h"

static pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t m_held, m_unlocked;

static __attribute__((noinline)) void *thread_owner(void *arg)
{
	target_note_tid("owner");
	CHECK_PT(pthread_mutex_lock(&lock_m));
	target_barrier_wait(&m_held);
	target_barrier_wait(&m_unlocked);
	return arg;
}

static __attribute__((noinline)) void *thread_unlocker(void *arg)
{
	target_note_tid("unlocker");
	target_barrier_wait(&m_held);
	CHECK_PT(pthread_mutex_unlock(&lock_m)); /* the bug: the owner's lock (returns 0) */
	target_barrier_wait(&m_unlocked);
	return arg;
}

static void work(void *arg)
{
	pthread_t t1, t2;

	(void)arg;
	CHECK_PT(pthread_barrier_init(&m_held, NULL, 2));
	CHECK_PT(pthread_barrier_init(&m_unlocked, NULL, 2));
	CHECK_PT(pthread_create(&t1, NULL, thread_owner, NULL));
	CHECK_PT(pthread_create(&t2, NULL, thread_unlocker, NULL));
	CHECK_PT(pthread_join(t1, NULL));
	CHECK_PT(pthread_join(t2, NULL));
	CHECK_PT(pthread_barrier_destroy(&m_held));
	CHECK_PT(pthread_barrier_destroy(&m_unlocked));
}

int main(int argc, char **argv)
{
	struct target_opts o;

	if (target_parse(argc, argv, "", &o) != argc)
		target_usage("");
	target_run(&o, work, NULL);
	return 0;
}
