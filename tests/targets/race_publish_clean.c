// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * race_publish_clean: race_publish's clean twin. The flag is a C11 atomic_int, set with a
 * release store and read with acquire loads (plain movs on x86: racetrace knows the flag is
 * atomic from its DWARF type), so the payload and the pointer are ordered: racetrace --races
 * must report nothing, while seeing the accesses.
 *
 * Usage: race_publish_clean [-w] [-k] [ROUNDS]   (see target.h; default 500)
 */
#include <stdatomic.h>
#include <sched.h>
#include "target.h"

struct msg {
	long seq;
	long payload;
};

static struct msg slot;
static struct msg *ptr;
static atomic_int ready;
static long rounds = 500;

static __attribute__((noinline)) void produce(long i)
{
	slot.seq = i;
	slot.payload = i * 3;
	ptr = &slot;
	atomic_store_explicit(&ready, 1, memory_order_release);
}

static __attribute__((noinline)) long consume(void)
{
	struct msg *m;
	long v;

	while (!atomic_load_explicit(&ready, memory_order_acquire))
		sched_yield();
	m = ptr;
	v = m->payload - 3 * m->seq;
	atomic_store_explicit(&ready, 0, memory_order_release);
	return v;
}

static void *producer(void *arg)
{
	long i;

	for (i = 0; i < rounds; i++) {
		while (atomic_load_explicit(&ready, memory_order_acquire))
			sched_yield();
		produce(i);
	}
	return arg;
}

static void work(void *arg)
{
	pthread_t t;
	long i, bad = 0;

	(void)arg;
	CHECK_PT(pthread_create(&t, NULL, producer, NULL));
	for (i = 0; i < rounds; i++)
		bad += consume() != 0;
	CHECK_PT(pthread_join(t, NULL));
	if (bad)
		target_die("torn message", EINVAL);
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
