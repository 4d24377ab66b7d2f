// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * race_field_clean: race_field's clean twin. Both workers take the account's one mutex, and
 * main reads the result after pthread_join hands it over: racetrace --races must report
 * nothing, while seeing the writes.
 *
 * Usage: race_field_clean [-w] [-k] [ROUNDS]   (see target.h; default 3000)
 */
#include "target.h"

struct account {
	long id;
	long balance; /* under lock */
	pthread_mutex_t lock;
};

static struct account *the_account;
static pthread_barrier_t start;
static long rounds = 3000;

static __attribute__((noinline)) void deposit(struct account *a, long n)
{
	a->balance += n;
}

static __attribute__((noinline)) long balance(const struct account *a)
{
	return a->balance;
}

static void *worker(void *arg)
{
	long i;

	target_barrier_wait(&start);
	for (i = 0; i < rounds; i++) {
		CHECK_PT(pthread_mutex_lock(&the_account->lock));
		deposit(the_account, 1);
		CHECK_PT(pthread_mutex_unlock(&the_account->lock));
	}
	return arg;
}

static void work(void *arg)
{
	pthread_t t1, t2;

	(void)arg;
	the_account = calloc(1, sizeof(*the_account));
	if (!the_account)
		target_die("calloc", ENOMEM);
	CHECK_PT(pthread_mutex_init(&the_account->lock, NULL));
	CHECK_PT(pthread_barrier_init(&start, NULL, 2));
	CHECK_PT(pthread_create(&t1, NULL, worker, NULL));
	CHECK_PT(pthread_create(&t2, NULL, worker, NULL));
	CHECK_PT(pthread_join(t1, NULL));
	CHECK_PT(pthread_join(t2, NULL));
	CHECK_PT(pthread_barrier_destroy(&start));
	/* handed over by the joins: no lock needed */
	if (balance(the_account) != 2 * rounds)
		target_die("balance", EINVAL);
	deposit(the_account, -balance(the_account));
	CHECK_PT(pthread_mutex_destroy(&the_account->lock));
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
