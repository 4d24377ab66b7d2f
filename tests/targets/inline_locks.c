// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * inline_locks: abba's inversion taken through `static inline` lock helpers, as C programs
 * write them, at -O2: lock_account() inlines take(), and both inline into the thread
 * functions. Thread 1 locks A then B and is joined; only then does thread 2 lock B then A.
 * racetrace must report one lock-order-inversion whose stacks name, for each site, the
 * helper's line (take), the line that called it (lock_account) and the thread function's
 * call of lock_account (tests check the lines marked LOCK_SITE, keep the markers).
 *
 * Usage: inline_locks [-w] [-k]   (see target.h)
 */
#include "target.h"

struct account {
	pthread_mutex_t mu;
	long balance;
};

static struct account acct_a = { PTHREAD_MUTEX_INITIALIZER, 100 };
static struct account acct_b = { PTHREAD_MUTEX_INITIALIZER, 100 };

static inline void take(pthread_mutex_t *m)
{
	CHECK_PT(pthread_mutex_lock(m)); /* LOCK_SITE take */
}

static inline void lock_account(struct account *a)
{
	take(&a->mu); /* LOCK_SITE lock_account */
}

static inline void unlock_account(struct account *a)
{
	CHECK_PT(pthread_mutex_unlock(&a->mu));
}

static __attribute__((noinline, noclone)) void transfer(struct account *from, struct account *to, long n)
{
	lock_account(from); /* LOCK_SITE transfer from */
	lock_account(to);   /* LOCK_SITE transfer to */
	from->balance -= n;
	to->balance += n;
	unlock_account(to);
	unlock_account(from);
}

static void *thread_ab(void *arg)
{
	transfer(&acct_a, &acct_b, 10);
	return arg;
}

static void *thread_ba(void *arg)
{
	transfer(&acct_b, &acct_a, 10);
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
