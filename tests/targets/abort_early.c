// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * abort_early: a program that dies by a signal soon after its start, while allocating. Worker
 * threads malloc and free small blocks and end (glibc hands their cached blocks back with
 * free() calls from inside libc at each thread's exit, as in thread_tcache), then main keeps
 * allocating and fails an assert(): SIGABRT, a few milliseconds after the start. Every block
 * is freed once by the program: racetrace must find nothing, however soon the process is gone
 * (it has no maps left to read by the time its records are drained).
 *
 * Usage: abort_early [-w] [THREADS]   (default 4; see target.h; -k is refused: it dies)
 */
#include <assert.h>
#include "target.h"

#define BLOCKS 8

static long nthreads = 4;
static void *volatile keep[BLOCKS]; /* volatile: the compiler must not elide malloc/free */

static __attribute__((noinline)) void *thread_churn(void *arg)
{
	int i;

	for (i = 0; i < BLOCKS; i++) {
		keep[i] = malloc(16 + 16 * (i % 4));
		if (!keep[i])
			target_die("malloc", ENOMEM);
	}
	for (i = 0; i < BLOCKS; i++)
		free(keep[i]); /* each once; they stay in this thread's tcache */
	return arg;
}

static __attribute__((noinline)) void check_invariant(long have)
{
	assert(have < 0 && "the invariant this program checks is false: it aborts");
}

static void work(void *arg)
{
	pthread_t t;
	long i;

	(void)arg;
	for (i = 0; i < nthreads; i++) {
		CHECK_PT(pthread_create(&t, NULL, thread_churn, NULL));
		CHECK_PT(pthread_join(t, NULL));
	}
	/* main allocates too, then the assert kills the process with SIGABRT */
	for (i = 0; i < BLOCKS; i++)
		keep[i] = malloc(32);
	check_invariant(i);
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, "[THREADS]", &o);

	if (argc - i > 1 || o.keep)
		target_usage("[THREADS]");
	if (i < argc)
		nthreads = target_long_arg(argv[i], 1, 100000, "thread count");
	target_run(&o, work, NULL);
	return 0;
}
