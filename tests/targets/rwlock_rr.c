// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rwlock_rr: two rwlocks taken in both orders, but only ever as READ locks: thread "r12"
 * read-locks R1 then R2, thread "r21" R2 then R1, concurrently, ITERATIONS rounds each. Readers
 * never block readers (glibc's default rwlock prefers readers), so no deadlock is possible.
 * racetrace must find nothing (read/read exemption of the lock-order detector).
 *
 * Usage: rwlock_rr [-w] [-k] [ITERATIONS]   (default 1000; see target.h)
 */
#include "target.h"

static pthread_rwlock_t lock_r1 = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t lock_r2 = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t start;
static long iterations = 1000;
static volatile unsigned long table[2]; /* read under both locks */

struct order {
	pthread_rwlock_t *first, *second;
};

static __attribute__((noinline)) void *thread_readers(void *arg)
{
	const struct order *o = arg;
	unsigned long sum = 0;
	long i;

	target_barrier_wait(&start);
	for (i = 0; i < iterations; i++) {
		CHECK_PT(pthread_rwlock_rdlock(o->first));
		CHECK_PT(pthread_rwlock_rdlock(o->second));
		sum += table[0] + table[1];
		CHECK_PT(pthread_rwlock_unlock(o->second));
		CHECK_PT(pthread_rwlock_unlock(o->first));
	}
	return (void *)sum;
}

static void work(void *arg)
{
	static struct order r12 = { &lock_r1, &lock_r2 }, r21 = { &lock_r2, &lock_r1 };
	pthread_t t1, t2;

	(void)arg;
	CHECK_PT(pthread_barrier_init(&start, NULL, 2));
	CHECK_PT(pthread_create(&t1, NULL, thread_readers, &r12));
	CHECK_PT(pthread_create(&t2, NULL, thread_readers, &r21));
	CHECK_PT(pthread_join(t1, NULL));
	CHECK_PT(pthread_join(t2, NULL));
	CHECK_PT(pthread_barrier_destroy(&start));
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
