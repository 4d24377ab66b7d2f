// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * race_counter: a global counter bumped without a lock by two worker threads, which do take
 * another lock, for other data, in the same loop. racetrace --races must report one data-race
 * on `hits`, both stacks in bump(). Clean twin: race_counter_clean (C11 atomics).
 *
 * Usage: race_counter [-w] [-k] [ROUNDS]   (see target.h; default 3000 rounds per worker)
 */
#include "target.h"

#define WORKERS 2

static pthread_mutex_t other_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static long other; /* under other_lock */
long hits;	   /* the race: no lock */
static long rounds = 3000;

static __attribute__((noinline)) void bump(void)
{
	hits++;
}

static void *worker(void *arg)
{
	long i;

	target_barrier_wait(&start);
	for (i = 0; i < rounds; i++) {
		CHECK_PT(pthread_mutex_lock(&other_lock));
		other++;
		CHECK_PT(pthread_mutex_unlock(&other_lock));
		bump();
	}
	return arg;
}

static void work(void *arg)
{
	pthread_t t[WORKERS];
	int i;

	(void)arg;
	CHECK_PT(pthread_barrier_init(&start, NULL, WORKERS));
	for (i = 0; i < WORKERS; i++)
		CHECK_PT(pthread_create(&t[i], NULL, worker, NULL));
	for (i = 0; i < WORKERS; i++)
		CHECK_PT(pthread_join(t[i], NULL));
	CHECK_PT(pthread_barrier_destroy(&start));
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, "[ROUNDS]", &o);

	if (i < argc)
		rounds = atol(argv[i++]);
	if (i != argc || rounds <= 0)
		target_usage("[ROUNDS]");
	target_run(&o, work, NULL);
	return 0;
}
