// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * thread_tcache: threads that malloc and free small blocks and then end. glibc keeps a
 * thread's recently freed small blocks in a per-thread cache (tcache) and, when the thread
 * exits, hands them back to the arena by calling free() on each from inside libc
 * (__malloc_arena_thread_freeres). Those are not frees of the program's: each block was freed
 * once by the program. racetrace must find nothing. THREADS threads run one after another.
 *
 * Usage: thread_tcache [-w] [-k] [THREADS]   (default 4; see target.h)
 */
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

static void work(void *arg)
{
	pthread_t t;
	long i;

	(void)arg;
	for (i = 0; i < nthreads; i++) {
		CHECK_PT(pthread_create(&t, NULL, thread_churn, NULL));
		CHECK_PT(pthread_join(t, NULL));
	}
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, "[THREADS]", &o);

	if (argc - i > 1)
		target_usage("[THREADS]");
	if (i < argc)
		nthreads = target_long_arg(argv[i], 1, 100000, "thread count");
	target_run(&o, work, NULL);
	return 0;
}
