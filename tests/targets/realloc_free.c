// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * realloc_free: the realloc forms that free. realloc(NULL, n) allocates, realloc(p, bigger)
 * may move the block (freeing the old one), and realloc(p, 0) frees p and returns NULL (glibc;
 * inside, realloc calls free itself). Each block is freed exactly once. racetrace must find
 * nothing.
 *
 * Usage: realloc_free [-w] [-k]   (see target.h)
 */
#include "target.h"

static void *volatile sink; /* volatile: the compiler must not elide the calls */

static void work(void *arg)
{
	void *p, *big;

	(void)arg;
	p = realloc(NULL, 24);
	if (!p)
		target_die("realloc", ENOMEM);
	sink = malloc(24); /* a neighbour, so that growing p has to move it */
	big = realloc(p, 4096);
	if (!big)
		target_die("realloc", ENOMEM);
	p = realloc(big, 0); /* frees big */
	if (p) {
		fprintf(stderr, "%s: realloc(p, 0) returned a block\n", target_name);
		exit(1);
	}
	free(sink);
}

int main(int argc, char **argv)
{
	struct target_opts o;

	if (target_parse(argc, argv, "", &o) != argc)
		target_usage("");
	target_run(&o, work, NULL);
	return 0;
}
