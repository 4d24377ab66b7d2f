// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockbench: a lock-heavy microbenchmark for `make bench`. THREADS threads (default 2) each run
 * ITERS iterations over NLOCKS mutexes (default 4): lock one, a short critical section (a
 * counter), every eighth iteration a nested lock of the next mutex if there is one, always in
 * increasing order (lock-order edges, never a cycle), then unlock. It reports its own
 * throughput, measured only around the worker loop, so a tracer's start-up and attach time are
 * not counted.
 *
 * --malloc adds a malloc() before the lock and a free() after the unlock of every iteration.
 * --buggy adds, after the timed loop, a known AB/BA inversion that never deadlocks: thread 0
 * takes A then B, and only after it has released both does thread 1 take B then A (an atomic
 * flag orders them, so no lock and no futex is involved). A lock-order detector should report
 * it; nothing else in lockbench is a finding.
 * --wait prints "ready" and waits for SIGUSR1 before creating the threads, so that a tracer can
 * attach to the pid first.
 *
 * Output: one JSON line on stdout with iterations, lock/unlock pairs, seconds, ops/s (iterations
 * per second), the process's peak RSS and the addresses of the two inverted locks (so that a
 * report can be matched to them).
 *
 * Usage: lockbench [-t THREADS] [-n ITERS] [-l NLOCKS] [--malloc] [--buggy] [--wait]
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/*
 * helgrind does not understand C11 atomics and would report the two flags below as races; its
 * client requests (no-ops outside valgrind) mark the spinning reads benign and tell it about the
 * ordering the flags give.
 */
#if __has_include(<valgrind/helgrind.h>)
#include <valgrind/helgrind.h>
#define BENCH_PROG "lockbench"
#include "bench.h"
#else
#define ANNOTATE_HAPPENS_BEFORE(obj) ((void)(obj))
#define ANNOTATE_HAPPENS_AFTER(obj) ((void)(obj))
#define ANNOTATE_BENIGN_RACE_SIZED(obj, size, why) ((void)(obj))
#endif

#define LB_MAX_LOCKS 64
#define LB_MAX_THREADS 16

struct lb_lock {
	pthread_mutex_t m;
	unsigned long count;
} __attribute__((aligned(64)));

struct lb_worker {
	pthread_t thread;
	int id;
	unsigned long pairs;
} __attribute__((aligned(64)));

static struct lb_lock locks[LB_MAX_LOCKS];
static pthread_mutex_t bug_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t bug_b = PTHREAD_MUTEX_INITIALIZER;
static atomic_int go;
static atomic_int bug_ab_done;
static long n_iters = 200000, n_locks = 4, n_threads = 2;
static int do_malloc, do_buggy, do_wait;

static void check_pt(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "lockbench: %s: %s\n", what, strerror(err));
		exit(1);
	}
}

static __attribute__((noinline)) void bug_ab(void)
{
	check_pt(pthread_mutex_lock(&bug_a), "lock A");
	check_pt(pthread_mutex_lock(&bug_b), "lock B");
	check_pt(pthread_mutex_unlock(&bug_b), "unlock B");
	check_pt(pthread_mutex_unlock(&bug_a), "unlock A");
}

static __attribute__((noinline)) void bug_ba(void)
{
	check_pt(pthread_mutex_lock(&bug_b), "lock B");
	check_pt(pthread_mutex_lock(&bug_a), "lock A");
	check_pt(pthread_mutex_unlock(&bug_a), "unlock A");
	check_pt(pthread_mutex_unlock(&bug_b), "unlock B");
}

/* The inversion, once, after the timed loop: thread 0 AB, then the last thread BA. */
static void run_inversion(int id)
{
	if (id == 0) {
		bug_ab();
		ANNOTATE_HAPPENS_BEFORE(&bug_ab_done);
		atomic_store_explicit(&bug_ab_done, 1, memory_order_release);
	}
	if (id == n_threads - 1) {
		while (!atomic_load_explicit(&bug_ab_done, memory_order_acquire))
			sched_yield();
		ANNOTATE_HAPPENS_AFTER(&bug_ab_done);
		bug_ba();
	}
}

static void *inversion_thread(void *arg)
{
	run_inversion(((struct lb_worker *)arg)->id);
	return NULL;
}

static void *worker(void *arg)
{
	struct lb_worker *w = arg;
	unsigned long k, a, pairs = 0;
	char *p = NULL;

	while (!atomic_load_explicit(&go, memory_order_acquire))
		sched_yield();
	ANNOTATE_HAPPENS_AFTER(&go);
	for (k = 0; k < (unsigned long)n_iters; k++) {
		a = (k * 7 + (unsigned long)w->id * 3) % (unsigned long)n_locks;
		if (do_malloc) {
			p = malloc(32 + (k & 63));
			if (!p) {
				fprintf(stderr, "lockbench: out of memory\n");
				exit(1);
			}
		}
		pthread_mutex_lock(&locks[a].m);
		locks[a].count++;
		if (p)
			p[0] = (char)locks[a].count;
		if ((k & 7) == 0 && a + 1 < (unsigned long)n_locks) {
			pthread_mutex_lock(&locks[a + 1].m);
			locks[a + 1].count++;
			pthread_mutex_unlock(&locks[a + 1].m);
			pairs++;
		}
		pthread_mutex_unlock(&locks[a].m);
		pairs++;
		if (do_malloc) {
			free(p);
			p = NULL;
		}
	}
	w->pairs = pairs;
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: lockbench [-t THREADS] [-n ITERS] [-l NLOCKS] [--malloc] [--buggy]"
			" [--wait]\n");
	exit(1);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "iters", required_argument, NULL, 'n' },
		{ "locks", required_argument, NULL, 'l' },
		{ "malloc", no_argument, NULL, 'm' },
		{ "buggy", no_argument, NULL, 'b' },
		{ "wait", no_argument, NULL, 'w' },
		{},
	};
	struct lb_worker workers[LB_MAX_THREADS];
	unsigned long pairs = 0;
	struct rusage ru;
	double t0, t1;
	sigset_t set;
	int c, i, sig;

	while ((c = getopt_long(argc, argv, "t:n:l:", opts, NULL)) != -1) {
		switch (c) {
		case 't': n_threads = bench_long_arg(optarg, 1, LB_MAX_THREADS, "thread count"); break;
		case 'n': n_iters = bench_long_arg(optarg, 1, 1L << 40, "iteration count"); break;
		case 'l': n_locks = bench_long_arg(optarg, 2, LB_MAX_LOCKS, "lock count"); break;
		case 'm': do_malloc = 1; break;
		case 'b': do_buggy = 1; break;
		case 'w': do_wait = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();

	ANNOTATE_BENIGN_RACE_SIZED(&go, sizeof(go), "start flag");
	ANNOTATE_BENIGN_RACE_SIZED(&bug_ab_done, sizeof(bug_ab_done), "inversion order flag");
	for (i = 0; i < n_locks; i++)
		check_pt(pthread_mutex_init(&locks[i].m, NULL), "mutex init");

	if (do_wait) {
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		check_pt(pthread_sigmask(SIG_BLOCK, &set, NULL), "sigmask");
		printf("ready\n");
		fflush(stdout);
		if (sigwait(&set, &sig)) {
			fprintf(stderr, "lockbench: sigwait failed\n");
			return 1;
		}
	}

	for (i = 0; i < n_threads; i++) {
		workers[i].id = i;
		workers[i].pairs = 0;
		check_pt(pthread_create(&workers[i].thread, NULL, worker, &workers[i]), "create");
	}
	t0 = bench_now_s();
	ANNOTATE_HAPPENS_BEFORE(&go);
	atomic_store_explicit(&go, 1, memory_order_release);
	for (i = 0; i < n_threads; i++) {
		check_pt(pthread_join(workers[i].thread, NULL), "join");
		pairs += workers[i].pairs;
	}
	t1 = bench_now_s();

	/* Outside the timed part: the buggy pattern, in threads of its own. */
	if (do_buggy) {
		for (i = 0; i < n_threads; i++)
			check_pt(pthread_create(&workers[i].thread, NULL, inversion_thread,
						&workers[i]), "create");
		for (i = 0; i < n_threads; i++)
			check_pt(pthread_join(workers[i].thread, NULL), "join");
	}

	getrusage(RUSAGE_SELF, &ru);
	printf("{\"iters\":%lu,\"pairs\":%lu,\"threads\":%ld,\"seconds\":%.6f,\"ops_per_s\":%.1f,"
	       "\"maxrss_kb\":%ld,\"bug_a\":\"%p\",\"bug_b\":\"%p\"}\n",
	       (unsigned long)n_iters * (unsigned long)n_threads, pairs, n_threads, t1 - t0,
	       (double)n_iters * n_threads / (t1 - t0), ru.ru_maxrss, (void *)&bug_a, (void *)&bug_b);
	return 0;
}
