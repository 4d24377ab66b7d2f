// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * race_counter_clean: race_counter's clean twin. The same workers and loop, but the counter is
 * a C11 atomic (`lock xadd`) and main reads it after joining them: racetrace --races must
 * report nothing, while seeing the accesses (atomic, and plain under other_lock).
 *
 * Usage: race_counter_clean [-w] [-k] [ROUNDS]   (see target.h; default 3000)
 */
#include <stdatomic.h>
#include "target.h"

#define WORKERS 2

static pthread_mutex_t other_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static long other; /* under other_lock */
atomic_long hits;
static long rounds = 3000;

static __attribute__((noinline)) void bump(void)
{
	atomic_fetch_add(&hits, 1);
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
	if (atomic_load(&hits) % rounds)
		target_die("atomic counter", EINVAL);
	other = 0; /* after the joins: ordered */
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
