// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * handoff: work handed between threads through a queue. Two producers malloc messages and
 * append them to a linked queue under its mutex, signalling a condition variable; two
 * consumers wait for messages, take them out under the mutex, and after unlocking add the
 * payload to a total under a separate stats mutex (never nested) and free the message. The
 * last message of each producer is a stop marker. Every block is freed once, by the thread
 * that took it out. racetrace must find nothing.
 *
 * Usage: handoff [-w] [-k] [MESSAGES]   (per producer, default 1000; see target.h)
 */
#include "target.h"

#define PRODUCERS 2
#define CONSUMERS 2

struct msg {
	struct msg *next;
	long payload; /* 0: stop */
};

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_nonempty = PTHREAD_COND_INITIALIZER;
static struct msg *q_head, **q_tail = &q_head; /* under q_lock */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static long total; /* under stats_lock */
static long messages = 1000;

static __attribute__((noinline)) void put(long payload)
{
	struct msg *m = malloc(sizeof(*m));

	if (!m)
		target_die("malloc", ENOMEM);
	m->next = NULL;
	m->payload = payload;
	CHECK_PT(pthread_mutex_lock(&q_lock));
	*q_tail = m;
	q_tail = &m->next;
	CHECK_PT(pthread_cond_signal(&q_nonempty));
	CHECK_PT(pthread_mutex_unlock(&q_lock));
}

static __attribute__((noinline)) struct msg *take(void)
{
	struct msg *m;

	CHECK_PT(pthread_mutex_lock(&q_lock));
	while (!q_head)
		CHECK_PT(pthread_cond_wait(&q_nonempty, &q_lock));
	m = q_head;
	q_head = m->next;
	if (!q_head)
		q_tail = &q_head;
	CHECK_PT(pthread_mutex_unlock(&q_lock));
	return m;
}

static __attribute__((noinline)) void *thread_producer(void *arg)
{
	long i;

	for (i = 1; i <= messages; i++)
		put(i);
	put(0);
	return arg;
}

static __attribute__((noinline)) void *thread_consumer(void *arg)
{
	for (;;) {
		struct msg *m = take();
		long payload = m->payload;

		free(m);
		if (!payload)
			break;
		CHECK_PT(pthread_mutex_lock(&stats_lock));
		total += payload;
		CHECK_PT(pthread_mutex_unlock(&stats_lock));
	}
	return arg;
}

static void work(void *arg)
{
	pthread_t prod[PRODUCERS], cons[CONSUMERS];
	long before = total;
	int i;

	(void)arg;
	for (i = 0; i < CONSUMERS; i++)
		CHECK_PT(pthread_create(&cons[i], NULL, thread_consumer, NULL));
	for (i = 0; i < PRODUCERS; i++)
		CHECK_PT(pthread_create(&prod[i], NULL, thread_producer, NULL));
	for (i = 0; i < PRODUCERS; i++)
		CHECK_PT(pthread_join(prod[i], NULL));
	for (i = 0; i < CONSUMERS; i++)
		CHECK_PT(pthread_join(cons[i], NULL));
	if (total - before != PRODUCERS * messages * (messages + 1) / 2) {
		fprintf(stderr, "%s: total %ld, expected %ld\n", target_name, total - before,
			PRODUCERS * messages * (messages + 1) / 2);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, "[MESSAGES]", &o);

	if (argc - i > 1)
		target_usage("[MESSAGES]");
	if (i < argc)
		messages = target_long_arg(argv[i], 1, 100000000, "message count");
	target_run(&o, work, NULL);
	return 0;
}
