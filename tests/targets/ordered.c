// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ordered: the negative control for lock order. Several threads, released together by a
 * barrier, each take A then B then C (and release in reverse) many times, concurrently, and
 * touch shared data only under all three locks. racetrace must find nothing.
 *
 * Usage: ordered [-w] [-k] [ITERATIONS [THREADS]]   (defaults 2000 and 4; see target.h)
 */
#include "target.h"

#define ORDERED_MAX_THREADS 64

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static long iterations = 2000;
static long nthreads = 4;
static unsigned long shared_counter; /* only touched with A, B and C held */

static __attribute__((noinline)) void *thread_abc(void *arg)
{
	long i;

	pthread_barrier_wait(&start);
	for (i = 0; i < iterations; i++) {
		CHECK_PT(pthread_mutex_lock(&lock_a));
		CHECK_PT(pthread_mutex_lock(&lock_b));
		CHECK_PT(pthread_mutex_lock(&lock_c));
		shared_counter++;
		CHECK_PT(pthread_mutex_unlock(&lock_c));
		CHECK_PT(pthread_mutex_unlock(&lock_b));
		CHECK_PT(pthread_mutex_unlock(&lock_a));
	}
	return arg;
}

static void work(void *arg)
{
	pthread_t t[ORDERED_MAX_THREADS];
	unsigned long before = shared_counter;
	long i;

	(void)arg;
	CHECK_PT(pthread_barrier_init(&start, NULL, (unsigned)nthreads));
	for (i = 0; i < nthreads; i++)
		CHECK_PT(pthread_create(&t[i], NULL, thread_abc, NULL));
	for (i = 0; i < nthreads; i++)
		CHECK_PT(pthread_join(t[i], NULL));
	CHECK_PT(pthread_barrier_destroy(&start));
	if (shared_counter - before != (unsigned long)(iterations * nthreads)) {
		fprintf(stderr, "%s: counter %lu, expected %ld\n", target_name,
			shared_counter - before, iterations * nthreads);
		exit(1);
	}
}

static long parse_long(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "%s: bad %s '%s' (%ld..%ld)\n", target_name, what, s, lo, hi);
		exit(1);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, "[ITERATIONS [THREADS]]", &o);

	if (argc - i > 2)
		target_usage("[ITERATIONS [THREADS]]");
	if (i < argc)
		iterations = parse_long(argv[i], 1, 100000000, "iterations");
	if (i + 1 < argc)
		nthreads = parse_long(argv[i + 1], 1, ORDERED_MAX_THREADS, "thread count");
	target_run(&o, work, NULL);
	return 0;
}
