// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * recursive: a PTHREAD_MUTEX_RECURSIVE mutex R locked twice by its owner, which is allowed,
 * and an ordinary mutex M always taken inside R (R, R, M), by two threads released together,
 * ITERATIONS rounds each. The re-acquisition is neither a double-lock nor a lock order, and
 * the unlocks match the locks. racetrace must find nothing.
 *
 * Usage: recursive [-w] [-k] [ITERATIONS]   (default 500; see target.h)
 */
#include "target.h"

static pthread_mutex_t lock_r; /* recursive, set up in main */
static pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static long iterations = 500;
static unsigned long shared_counter; /* only touched with R and M held */

static __attribute__((noinline)) void inner(void)
{
	CHECK_PT(pthread_mutex_lock(&lock_r)); /* already held by the caller: depth 2 */
	CHECK_PT(pthread_mutex_lock(&lock_m));
	shared_counter++;
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	CHECK_PT(pthread_mutex_unlock(&lock_r));
}

static __attribute__((noinline)) void *thread_nested(void *arg)
{
	long i;

	target_barrier_wait(&start);
	for (i = 0; i < iterations; i++) {
		CHECK_PT(pthread_mutex_lock(&lock_r));
		inner();
		CHECK_PT(pthread_mutex_unlock(&lock_r));
	}
	return arg;
}

static void work(void *arg)
{
	unsigned long before = shared_counter;
	pthread_t t1, t2;

	(void)arg;
	CHECK_PT(pthread_barrier_init(&start, NULL, 2));
	CHECK_PT(pthread_create(&t1, NULL, thread_nested, NULL));
	CHECK_PT(pthread_create(&t2, NULL, thread_nested, NULL));
	CHECK_PT(pthread_join(t1, NULL));
	CHECK_PT(pthread_join(t2, NULL));
	CHECK_PT(pthread_barrier_destroy(&start));
	if (shared_counter - before != (unsigned long)(2 * iterations)) {
		fprintf(stderr, "%s: counter %lu, expected %ld\n", target_name,
			shared_counter - before, 2 * iterations);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct target_opts o;
	pthread_mutexattr_t ma;
	int i = target_parse(argc, argv, "[ITERATIONS]", &o);

	if (argc - i > 1)
		target_usage("[ITERATIONS]");
	if (i < argc)
		iterations = target_long_arg(argv[i], 1, 100000000, "iterations");
	CHECK_PT(pthread_mutexattr_init(&ma));
	CHECK_PT(pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE));
	CHECK_PT(pthread_mutex_init(&lock_r, &ma));
	CHECK_PT(pthread_mutexattr_destroy(&ma));
	target_run(&o, work, NULL);
	return 0;
}
