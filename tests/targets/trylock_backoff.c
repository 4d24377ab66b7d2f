// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * trylock_backoff: the opposite order taken only with a trylock, which cannot deadlock.
 * Thread 1 locks A then B. Thread 2 locks B then pthread_mutex_trylock(A); on EBUSY it
 * unlocks B and retries (back-off). A trylock adds no lock-order edge, so racetrace must
 * find nothing.
 *
 * The first round is forced with barriers so that thread 2's first trylock fails (thread 1
 * holds A) and its retry succeeds (thread 1 is done). Then ITERATIONS further rounds run with
 * both threads concurrently, at full speed, to exercise both trylock outcomes under contention.
 *
 * Usage: trylock_backoff [-w] [-k] [ITERATIONS]   (default 1000; see target.h)
 */
#include <sched.h>

#include "target.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
/* a_held: thread 1 holds A; backed_off: thread 2 failed once; t1_done: thread 1 unlocked */
static pthread_barrier_t a_held, backed_off, t1_done, go;
static long iterations = 1000;
static unsigned long busy_count; /* failed trylocks, written by thread 2 only */

static __attribute__((noinline)) void lock_ab(void)
{
	CHECK_PT(pthread_mutex_lock(&lock_a));
	CHECK_PT(pthread_mutex_lock(&lock_b));
	CHECK_PT(pthread_mutex_unlock(&lock_b));
	CHECK_PT(pthread_mutex_unlock(&lock_a));
}

/*
 * Lock B, then try A; on EBUSY release B and retry. With first_round set, the first back-off
 * waits for thread 1 to finish its forced round before retrying.
 */
static __attribute__((noinline)) void lock_b_try_a(int first_round)
{
	for (;;) {
		int rc;

		CHECK_PT(pthread_mutex_lock(&lock_b));
		rc = pthread_mutex_trylock(&lock_a);
		if (rc == 0)
			break;
		if (rc != EBUSY)
			target_die("pthread_mutex_trylock", rc);
		CHECK_PT(pthread_mutex_unlock(&lock_b));
		busy_count++;
		if (first_round) {
			first_round = 0;
			pthread_barrier_wait(&backed_off);
			pthread_barrier_wait(&t1_done);
		} else {
			sched_yield();
		}
	}
	CHECK_PT(pthread_mutex_unlock(&lock_a));
	CHECK_PT(pthread_mutex_unlock(&lock_b));
}

static __attribute__((noinline)) void *thread_1(void *arg)
{
	long i;

	/* forced round: hold A until thread 2 has failed its trylock and backed off */
	CHECK_PT(pthread_mutex_lock(&lock_a));
	pthread_barrier_wait(&a_held);
	pthread_barrier_wait(&backed_off);
	CHECK_PT(pthread_mutex_lock(&lock_b));
	CHECK_PT(pthread_mutex_unlock(&lock_b));
	CHECK_PT(pthread_mutex_unlock(&lock_a));
	pthread_barrier_wait(&t1_done);

	pthread_barrier_wait(&go);
	for (i = 0; i < iterations; i++)
		lock_ab();
	return arg;
}

static __attribute__((noinline)) void *thread_2(void *arg)
{
	long i;

	pthread_barrier_wait(&a_held);
	lock_b_try_a(1);

	pthread_barrier_wait(&go);
	for (i = 0; i < iterations; i++)
		lock_b_try_a(0);
	return arg;
}

static void work(void *arg)
{
	pthread_barrier_t *bars[] = { &a_held, &backed_off, &t1_done, &go };
	pthread_t t1, t2;
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(bars) / sizeof(bars[0]); i++)
		CHECK_PT(pthread_barrier_init(bars[i], NULL, 2));
	busy_count = 0;
	CHECK_PT(pthread_create(&t1, NULL, thread_1, NULL));
	CHECK_PT(pthread_create(&t2, NULL, thread_2, NULL));
	CHECK_PT(pthread_join(t1, NULL));
	CHECK_PT(pthread_join(t2, NULL));
	for (i = 0; i < sizeof(bars) / sizeof(bars[0]); i++)
		CHECK_PT(pthread_barrier_destroy(bars[i]));
	if (busy_count < 1) {
		fprintf(stderr, "%s: the forced trylock did not fail\n", target_name);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, "[ITERATIONS]", &o);
	char *end;

	if (argc - i > 1)
		target_usage("[ITERATIONS]");
	if (i < argc) {
		errno = 0;
		iterations = strtol(argv[i], &end, 10);
		if (errno || end == argv[i] || *end || iterations < 0 || iterations > 100000000) {
			fprintf(stderr, "%s: bad iteration count '%s'\n", argv[0], argv[i]);
			return 1;
		}
	}
	target_run(&o, work, NULL);
	return 0;
}
