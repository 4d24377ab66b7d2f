// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * condvar: a condition variable used right. Thread "producer" puts ITEMS numbers into a
 * bounded ring (4 slots) and thread "consumer" takes them out; both hold the ring's mutex
 * around every access and wait in while-loops on "not full" / "not empty" (so the waits
 * re-acquire the mutex and often really block). racetrace must find nothing.
 *
 * Usage: condvar [-w] [-k] [ITEMS]   (default 2000; see target.h)
 */
#include "target.h"

#define RING_SLOTS 4

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static long ring[RING_SLOTS];
static unsigned head, count; /* ring state, under ring_lock */
static long items = 2000;

static __attribute__((noinline)) void *thread_producer(void *arg)
{
	long i;

	for (i = 1; i <= items; i++) {
		CHECK_PT(pthread_mutex_lock(&ring_lock));
		while (count == RING_SLOTS)
			CHECK_PT(pthread_cond_wait(&not_full, &ring_lock));
		ring[(head + count++) % RING_SLOTS] = i;
		CHECK_PT(pthread_cond_signal(&not_empty));
		CHECK_PT(pthread_mutex_unlock(&ring_lock));
	}
	return arg;
}

static __attribute__((noinline)) void *thread_consumer(void *arg)
{
	long i, *sum = arg;

	for (i = 0; i < items; i++) {
		CHECK_PT(pthread_mutex_lock(&ring_lock));
		while (count == 0)
			CHECK_PT(pthread_cond_wait(&not_empty, &ring_lock));
		*sum += ring[head];
		head = (head + 1) % RING_SLOTS;
		count--;
		CHECK_PT(pthread_cond_signal(&not_full));
		CHECK_PT(pthread_mutex_unlock(&ring_lock));
	}
	return NULL;
}

static void work(void *arg)
{
	pthread_t t1, t2;
	long sum = 0;

	(void)arg;
	CHECK_PT(pthread_create(&t1, NULL, thread_consumer, &sum));
	CHECK_PT(pthread_create(&t2, NULL, thread_producer, NULL));
	CHECK_PT(pthread_join(t2, NULL));
	CHECK_PT(pthread_join(t1, NULL));
	if (sum != items * (items + 1) / 2) {
		fprintf(stderr, "%s: sum %ld, expected %ld\n", target_name, sum,
			items * (items + 1) / 2);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, "[ITEMS]", &o);

	if (argc - i > 1)
		target_usage("[ITEMS]");
	if (i < argc)
		items = target_long_arg(argv[i], 1, 100000000, "item count");
	target_run(&o, work, NULL);
	return 0;
}
