// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gate: both orders of A and B, always under a common outer lock G, which makes them safe:
 * a thread holding G is alone in the A/B section, so the two orders can never overlap.
 * Thread "gab" takes G, A, B; thread "gba" takes G, B, A; released together by a barrier, they
 * run ITERATIONS rounds each, concurrently. racetrace must find nothing (gate-lock rule of
 * the lock-order detector).
 *
 * Usage: gate [-w] [-k] [ITERATIONS]   (default 1000; see target.h)
 */
#include "target.h"

static pthread_mutex_t lock_g = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static long iterations = 1000;
static unsigned long shared_counter; /* only touched with G, A and B held */

struct order {
	pthread_mutex_t *first, *second;
};

static __attribute__((noinline)) void *thread_gated(void *arg)
{
	const struct order *o = arg;
	long i;

	target_barrier_wait(&start);
	for (i = 0; i < iterations; i++) {
		CHECK_PT(pthread_mutex_lock(&lock_g));
		CHECK_PT(pthread_mutex_lock(o->first));
		CHECK_PT(pthread_mutex_lock(o->second));
		shared_counter++;
		CHECK_PT(pthread_mutex_unlock(o->second));
		CHECK_PT(pthread_mutex_unlock(o->first));
		CHECK_PT(pthread_mutex_unlock(&lock_g));
	}
	return NULL;
}

static void work(void *arg)
{
	static struct order ab = { &lock_a, &lock_b }, ba = { &lock_b, &lock_a };
	unsigned long before = shared_counter;
	pthread_t t1, t2;

	(void)arg;
	CHECK_PT(pthread_barrier_init(&start, NULL, 2));
	CHECK_PT(pthread_create(&t1, NULL, thread_gated, &ab));
	CHECK_PT(pthread_create(&t2, NULL, thread_gated, &ba));
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
	int i = target_parse(argc, argv, "[ITERATIONS]", &o);

	if (argc - i > 1)
		target_usage("[ITERATIONS]");
	if (i < argc)
		iterations = target_long_arg(argv[i], 1, 100000000, "iterations");
	target_run(&o, work, NULL);
	return 0;
}
