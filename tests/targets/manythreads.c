// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * manythreads: THREADS threads that already exist when racetrace attaches. Before waiting for
 * its stdin line (-w), the main thread starts them (64 KiB stacks, to keep memory modest) and
 * each blocks on a barrier; then it notes "ready". Released, the main thread joins the barrier
 * and every thread locks one mutex once, bumps a counter and returns; all are joined and the
 * counter checked. One lock, one order: nothing to report.
 *
 * Usage: manythreads [-w] [THREADS]   (default 2000; -k is refused)
 */
#include "target.h"

static pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static unsigned long counter; /* under lock_m */

static __attribute__((noinline)) void *thread_worker(void *arg)
{
	target_barrier_wait(&start);
	CHECK_PT(pthread_mutex_lock(&lock_m));
	counter++;
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	return arg;
}

struct many {
	long n;
	pthread_t *t;
};

static void work(void *arg)
{
	struct many *m = arg;
	long i;

	target_barrier_wait(&start);
	for (i = 0; i < m->n; i++)
		CHECK_PT(pthread_join(m->t[i], NULL));
	if (counter != (unsigned long)m->n) {
		fprintf(stderr, "%s: counter %lu, expected %ld\n", target_name, counter, m->n);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct target_opts o;
	struct many m = { .n = 2000 };
	pthread_attr_t attr;
	long i;
	int a = target_parse(argc, argv, "[THREADS]", &o);

	if (argc - a > 1 || o.keep)
		target_usage("[THREADS]");
	if (a < argc)
		m.n = target_long_arg(argv[a], 1, 10000, "threads");
	m.t = calloc(m.n, sizeof(*m.t));
	if (!m.t)
		target_die("calloc", ENOMEM);
	CHECK_PT(pthread_barrier_init(&start, NULL, m.n + 1));
	CHECK_PT(pthread_attr_init(&attr));
	CHECK_PT(pthread_attr_setstacksize(&attr, 64 * 1024));
	for (i = 0; i < m.n; i++)
		CHECK_PT(pthread_create(&m.t[i], &attr, thread_worker, NULL));
	CHECK_PT(pthread_attr_destroy(&attr));
	target_note("ready");
	target_run(&o, work, &m);
	free(m.t);
	return 0;
}
