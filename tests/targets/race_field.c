// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * race_field: a field of a heap struct written under two different locks: one worker holds
 * acct->lock_a, the other acct->lock_b, so nothing orders their writes of acct->balance.
 * racetrace --races must report a data-race on the field (a 40-byte heap block at +8 holds
 * it), both stacks in deposit(). Clean twin: race_field_clean.
 *
 * Usage: race_field [-w] [-k] [ROUNDS]   (see target.h; default 3000 rounds per worker)
 */
#include "target.h"

struct account {
	long id;
	long balance; /* the race */
	pthread_mutex_t *lock_a, *lock_b;
	long pad;
};

static struct account *the_account;
static pthread_barrier_t start;
static long rounds = 3000;

static __attribute__((noinline)) void deposit(struct account *a, long n)
{
	a->balance += n;
}

static void *worker(void *arg)
{
	pthread_mutex_t *m = arg;
	long i;

	target_barrier_wait(&start);
	for (i = 0; i < rounds; i++) {
		CHECK_PT(pthread_mutex_lock(m));
		deposit(the_account, 1);
		CHECK_PT(pthread_mutex_unlock(m));
	}
	return NULL;
}

static void work(void *arg)
{
	static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
	pthread_t t1, t2;

	(void)arg;
	the_account = calloc(1, sizeof(*the_account));
	if (!the_account)
		target_die("calloc", ENOMEM);
	the_account->lock_a = &a;
	the_account->lock_b = &b;
	CHECK_PT(pthread_barrier_init(&start, NULL, 2));
	CHECK_PT(pthread_create(&t1, NULL, worker, the_account->lock_a));
	CHECK_PT(pthread_create(&t2, NULL, worker, the_account->lock_b));
	CHECK_PT(pthread_join(t1, NULL));
	CHECK_PT(pthread_join(t2, NULL));
	CHECK_PT(pthread_barrier_destroy(&start));
	free(the_account);
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
