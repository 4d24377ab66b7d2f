// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockstorm: a lock-heavy load for the daemon's budget governor and the soak test. Two threads
 * take short critical sections (lock, bump a counter, unlock) on a few mutexes, chosen by a
 * per-thread pseudo-random sequence so the threads meet on a mutex now and then (some
 * contention, hence futex calls), for SECONDS of wall time. Locks are never nested: nothing
 * is to be reported.
 *
 * At the end of each round it prints one line to stdout,
 *   "lockstorm: ops N seconds S cpu_seconds C ops_per_second R"
 * with N the lock/unlock pairs of both threads, S the measured wall time of the round and C
 * the CPU time the process used in it (user + system: probe hits are charged here, time other
 * programs take from it is not). The e2e governor test compares R without and with the
 * daemon, and logs N / C to tell a slow target from a busy machine. Unlike the other targets
 * it writes to stdout without -k too: its output is its result.
 *
 * The duration is wall time rather than an iteration count so that a traced (slow) and an
 * untraced (fast) run take equally long and their throughputs compare over the same span.
 *
 * Usage: lockstorm [-w] [-k] SECONDS   (see target.h)
 */
#include <stdatomic.h>
#include <sys/resource.h>
#include "target.h"

#define NTHREADS 2
#define NLOCKS 4

static pthread_mutex_t locks[NLOCKS] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
					 PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER };
static unsigned long counters[NLOCKS];
static atomic_int stop;
static pthread_barrier_t start;

struct worker {
	pthread_t t;
	unsigned int seed;
	unsigned long ops;
};

static __attribute__((noinline)) void *storm(void *arg)
{
	struct worker *w = arg;
	unsigned int x = w->seed;
	unsigned long ops = 0;

	target_barrier_wait(&start);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned int i;

		/* xorshift32: cheap, and a different sequence per thread */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		i = x % NLOCKS;
		CHECK_PT(pthread_mutex_lock(&locks[i]));
		counters[i]++;
		CHECK_PT(pthread_mutex_unlock(&locks[i]));
		ops++;
	}
	w->ops = ops;
	return NULL;
}

static double mono_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		target_die("clock_gettime", errno);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* User + system CPU seconds of the whole process so far. */
static double cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		target_die("getrusage", errno);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* One round: start both threads together, let them run *arg seconds, report throughput. */
static void work(void *arg)
{
	long seconds = *(long *)arg;
	struct worker w[NTHREADS];
	struct timespec d = { .tv_sec = seconds };
	unsigned long ops = 0;
	double t0, t1, c0, c1;
	int i;

	atomic_store(&stop, 0);
	c0 = cpu_s();
	CHECK_PT(pthread_barrier_init(&start, NULL, NTHREADS + 1));
	for (i = 0; i < NTHREADS; i++) {
		w[i].seed = 0x9e3779b9u * (i + 1);
		w[i].ops = 0;
		CHECK_PT(pthread_create(&w[i].t, NULL, storm, &w[i]));
	}
	target_barrier_wait(&start);
	t0 = mono_s();
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &d, &d) == EINTR)
		;
	atomic_store(&stop, 1);
	for (i = 0; i < NTHREADS; i++) {
		CHECK_PT(pthread_join(w[i].t, NULL));
		ops += w[i].ops;
	}
	t1 = mono_s();
	c1 = cpu_s();
	CHECK_PT(pthread_barrier_destroy(&start));
	printf("lockstorm: ops %lu seconds %.3f cpu_seconds %.3f ops_per_second %.0f\n", ops,
	       t1 - t0, c1 - c0, ops / (t1 - t0));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, "SECONDS", &o);
	long seconds;

	if (argc - i != 1)
		target_usage("SECONDS");
	seconds = target_long_arg(argv[i], 1, 86400, "duration");
	target_run(&o, work, &seconds);
	return 0;
}
