// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cycle3: a lock-order cycle over three locks that never deadlocks. Three threads run one
 * after the other (each is joined before the next starts): A->B, then B->C, then C->A.
 * racetrace must report one lock-order-inversion over the three locks, seen from three
 * threads.
 *
 * Usage: cycle3 [-w] [-k]   (see target.h)
 */
#include "target.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;

struct pair {
	pthread_mutex_t *first, *second;
};

static __attribute__((noinline)) void *thread_pair(void *arg)
{
	const struct pair *p = arg;

	CHECK_PT(pthread_mutex_lock(p->first));
	CHECK_PT(pthread_mutex_lock(p->second));
	CHECK_PT(pthread_mutex_unlock(p->second));
	CHECK_PT(pthread_mutex_unlock(p->first));
	return NULL;
}

static void work(void *arg)
{
	static struct pair pairs[] = {
		{ &lock_a, &lock_b },
		{ &lock_b, &lock_c },
		{ &lock_c, &lock_a },
	};
	pthread_t t;
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		CHECK_PT(pthread_create(&t, NULL, thread_pair, &pairs[i]));
		CHECK_PT(pthread_join(t, NULL));
	}
}

int main(int argc, char **argv)
{
	struct target_opts o;

	if (target_parse(argc, argv, "", &o) != argc)
		target_usage("");
	target_run(&o, work, NULL);
	return 0;
}
