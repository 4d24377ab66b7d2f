// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * race_publish: a pointer and its payload published through a plain `volatile` flag, round
 * after round: the producer fills a message, stores the pointer, sets `ready`; the consumer
 * spins on `ready`, reads the payload, clears `ready`. volatile orders nothing between
 * threads, so racetrace --races must report data races (the payload, the pointer, the flag),
 * with stacks in produce() and consume(). Clean twin: race_publish_clean (release/acquire).
 *
 * Usage: race_publish [-w] [-k] [ROUNDS]   (see target.h; default 500)
 */
#include <sched.h>
#include "target.h"

struct msg {
	long seq;
	long payload;
};

static struct msg slot;
static struct msg *volatile ptr;
static volatile int ready;
static long rounds = 500;

static __attribute__((noinline)) void produce(long i)
{
	slot.seq = i;
	slot.payload = i * 3;
	ptr = &slot;
	ready = 1;
}

static __attribute__((noinline)) long consume(void)
{
	struct msg *m;
	long v;

	while (!ready)
		sched_yield();
	m = ptr;
	v = m->payload - 3 * m->seq;
	ready = 0;
	return v;
}

static void *producer(void *arg)
{
	long i;

	for (i = 0; i < rounds; i++) {
		while (ready)
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
		target_note("%ld torn messages", bad);
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
