// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * double_free: the main thread ("freer") frees block A, then block B, then A again. racetrace
 * must report one double-free of A, by the freer.
 *
 * glibc aborts on most double frees, so this one is shaped to pass its checks: the malloc
 * cache (tcache) bin of the size is filled first (7 frees), so A and B go to a fastbin, whose
 * check only compares with the last block freed there (B). The process then exits at once
 * and never allocates that size again. If glibc changes, the target dies with SIGABRT and the
 * test says so. The main thread, not a joined one, does the frees: a thread that exits hands
 * its tcache to the arena, which is not a free() of the program's.
 *
 * Usage: double_free [-w]   (see target.h; -k is refused: the heap is corrupt after a round)
 */
#include "target.h"

#define BLOCK_SIZE 32
#define TCACHE_FILL 7 /* glibc's default tcache_count */

static void *volatile filler[TCACHE_FILL];
static void *volatile block_a, *volatile block_b;

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		target_die("malloc", ENOMEM);
	return p;
}

static void work(void *arg)
{
	int i;

	(void)arg;
	target_note_tid("freer");
	for (i = 0; i < TCACHE_FILL; i++)
		filler[i] = xmalloc(BLOCK_SIZE);
	block_a = xmalloc(BLOCK_SIZE);
	block_b = xmalloc(BLOCK_SIZE);
	for (i = 0; i < TCACHE_FILL; i++)
		free(filler[i]);
	free(block_a);
	free(block_b);
	free(block_a); /* the bug */
}

int main(int argc, char **argv)
{
	struct target_opts o;

	if (target_parse(argc, argv, "", &o) != argc || o.keep)
		target_usage("");
	target_run(&o, work, NULL);
	return 0;
}
