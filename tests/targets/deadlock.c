// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * deadlock: a real ABBA deadlock. Thread "ab" locks A and thread "ba" locks B; a barrier makes
 * sure both hold their first lock; then each asks for the other's lock and both block forever
 * in futex waits. The process never ends by itself: the test kills it.
 *
 * Just before its second lock call each thread notes its tid and the CLOCK_MONOTONIC time on
 * stderr (target.h): the later of the two times is when the deadlock formed, to within the
 * few microseconds the lock call takes to reach its futex wait. tests/e2e/detectors.py
 * measures racetrace's reporting latency from it, and knows both threads from the tids.
 *
 * Usage: deadlock [-w]   (see target.h; -k is refused: there is no second round)
 */
#include "target.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static __attribute__((noinline)) void *thread_ab(void *arg)
{
	CHECK_PT(pthread_mutex_lock(&lock_a));
	target_barrier_wait(&both_hold);
	target_note_tid("ab");
	target_note_time("ab-locks-b");
	CHECK_PT(pthread_mutex_lock(&lock_b)); /* never returns */
	CHECK_PT(pthread_mutex_unlock(&lock_b));
	CHECK_PT(pthread_mutex_unlock(&lock_a));
	return arg;
}

static __attribute__((noinline)) void *thread_ba(void *arg)
{
	CHECK_PT(pthread_mutex_lock(&lock_b));
	target_barrier_wait(&both_hold);
	target_note_tid("ba");
	target_note_time("ba-locks-a");
	CHECK_PT(pthread_mutex_lock(&lock_a)); /* never returns */
	CHECK_PT(pthread_mutex_unlock(&lock_a));
	CHECK_PT(pthread_mutex_unlock(&lock_b));
	return arg;
}

static void work(void *arg)
{
	pthread_t t1, t2;

	(void)arg;
	CHECK_PT(pthread_barrier_init(&both_hold, NULL, 2));
	CHECK_PT(pthread_create(&t1, NULL, thread_ab, NULL));
	CHECK_PT(pthread_create(&t2, NULL, thread_ba, NULL));
	CHECK_PT(pthread_join(t1, NULL)); /* waits forever */
	CHECK_PT(pthread_join(t2, NULL));
}

int main(int argc, char **argv)
{
	struct target_opts o;

	if (target_parse(argc, argv, "", &o) != argc || o.keep)
		target_usage("");
	target_run(&o, work, NULL);
	return 0;
}
