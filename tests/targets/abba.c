// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * abba: the classic lock-order inversion that never deadlocks. Thread 1 locks A then B and is
 * joined; only then does thread 2 lock B then A. racetrace must report one
 * lock-order-inversion over the two locks, seen from two threads.
 *
 * Usage: abba [-w] [-k]   (see target.h)
 */
#include "target.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noinline)) void *thread_ab(void *arg)
{
	CHECK_PT(pthread_mutex_lock(&lock_a));
	CHECK_PT(pthread_mutex_lock(&lock_b));
	CHECK_PT(pthread_mutex_unlock(&lock_b));
	CHECK_PT(pthread_mutex_unlock(&lock_a));
	return arg;
}

static __attribute__((noinline)) void *thread_ba(void *arg)
{
	CHECK_PT(pthread_mutex_lock(&lock_b));
	CHECK_PT(pthread_mutex_lock(&lock_a));
	CHECK_PT(pthread_mutex_unlock(&lock_a));
	CHECK_PT(pthread_mutex_unlock(&lock_b));
	return arg;
}

/* One thread after the other: the join orders them, so no deadlock is possible. */
static void work(void *arg)
{
	pthread_t t;

	(void)arg;
	CHECK_PT(pthread_create(&t, NULL, thread_ab, NULL));
	CHECK_PT(pthread_join(t, NULL));
	CHECK_PT(pthread_create(&t, NULL, thread_ba, NULL));
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
