// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * all_blocked: a hang no lock cycle explains. WORKERS "worker" threads wait on condition
 * variable C (untimed) for work that main never announces (it forgot the signal), and main
 * waits in pthread_join for the first worker: every thread is blocked, for ever. racetrace must
 * report one deadlock, detail all-threads, naming main and every worker; the process never
 * ends by itself (the test kills it).
 * With "ok" (the clean twin): the same waits, but a "signaller" thread works (sleeps) for
 * 1.5 s before it broadcasts, so not every thread is blocked; then the workers wait again with
 * pthread_cond_timedwait while main joins: timed waits end by themselves. Nothing to report.
 *
 * Usage: all_blocked [-w] [ok] [WORKERS]   (default 2; see target.h)
 */
#include "target.h"

static pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond_c = PTHREAD_COND_INITIALIZER;
static pthread_cond_t ready_c = PTHREAD_COND_INITIALIZER;
static long nworkers = 2, ready;
static int clean, work_posted, rounds_left = 3;

static __attribute__((noinline)) void *thread_worker(void *arg)
{
	target_note_tid("worker");
	CHECK_PT(pthread_mutex_lock(&lock_m));
	ready++;
	CHECK_PT(pthread_cond_signal(&ready_c));
	while (!work_posted)
		CHECK_PT(pthread_cond_wait(&cond_c, &lock_m)); /* untimed: nobody posts it */
	/* the clean twin: timed waits until main says stop */
	while (rounds_left > 0) {
		struct timespec ts;
		int rc;

		if (clock_gettime(CLOCK_REALTIME, &ts))
			target_die("clock_gettime", errno);
		ts.tv_sec += 1;
		rc = pthread_cond_timedwait(&cond_c, &lock_m, &ts);
		if (rc && rc != ETIMEDOUT)
			target_die("pthread_cond_timedwait", rc);
		if (rc == ETIMEDOUT)
			rounds_left--;
	}
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	return arg;
}

static __attribute__((noinline)) void *thread_signaller(void *arg)
{
	struct timespec ts = { .tv_sec = 1, .tv_nsec = 500000000 };

	target_note_tid("signaller");
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	CHECK_PT(pthread_mutex_lock(&lock_m));
	work_posted = 1;
	CHECK_PT(pthread_cond_broadcast(&cond_c));
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	return arg;
}

static __attribute__((noinline)) void wait_for_workers(pthread_t *w)
{
	long i;

	for (i = 0; i < nworkers; i++)
		CHECK_PT(pthread_join(w[i], NULL));
}

static void work(void *arg)
{
	pthread_t w[64], s;
	long i;

	(void)arg;
	target_note_tid("main");
	for (i = 0; i < nworkers; i++)
		CHECK_PT(pthread_create(&w[i], NULL, thread_worker, NULL));
	/* every worker is in its wait on C once main holds M again with ready == nworkers */
	CHECK_PT(pthread_mutex_lock(&lock_m));
	while (ready < nworkers)
		CHECK_PT(pthread_cond_wait(&ready_c, &lock_m));
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	if (clean)
		CHECK_PT(pthread_create(&s, NULL, thread_signaller, NULL));
	/* the bug without "ok": nothing will ever set work_posted */
	wait_for_workers(w);
	if (clean)
		CHECK_PT(pthread_join(s, NULL));
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, "[ok] [WORKERS]", &o);

	if (i < argc && !strcmp(argv[i], "ok")) {
		clean = 1;
		i++;
	}
	if (i < argc)
		nworkers = target_long_arg(argv[i++], 1, 64, "worker count");
	if (i != argc || o.keep)
		target_usage("[ok] [WORKERS]");
	target_run(&o, work, NULL);
	return 0;
}
