/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Helpers shared by the benchmark workloads (lockbench.c, mcload.c): define BENCH_PROG first. */
#ifndef RT_BENCH_H
#define RT_BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* A numeric argument in [lo, hi]; prints what was wrong and exits 1 otherwise. */
static inline long bench_long_arg(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "%s: bad %s '%s' (%ld..%ld)\n", BENCH_PROG, what, s, lo, hi);
		exit(1);
	}
	return v;
}

/* Monotonic seconds. */
static inline double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* RT_BENCH_H */
