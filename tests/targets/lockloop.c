// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockloop: exactly N pthread_mutex_lock calls (each followed by pthread_mutex_unlock) at full
 * speed, for the no-loss test: racetrace's summary must satisfy
 * events_by_type.mutex_lock + lost == N.
 *
 * Exactly N means no hidden ones either. glibc >= 2.34 calls pthread_mutex_lock itself in
 * pthread_create (dl_load_tls_lock) and in exit() (_dl_fini), so the loop runs in the main
 * thread only and the process ends with _exit(), which skips _dl_fini. It prints nothing.
 *
 * Usage: lockloop [-w] [-k] N   (see target.h)
 */
#include "target.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noinline)) void lock_loop(void *arg)
{
	long n = *(long *)arg, i;

	for (i = 0; i < n; i++) {
		CHECK_PT(pthread_mutex_lock(&lock));
		CHECK_PT(pthread_mutex_unlock(&lock));
	}
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, "N", &o);
	char *end;
	long n;

	if (argc - i != 1)
		target_usage("N");
	errno = 0;
	n = strtol(argv[i], &end, 10);
	if (errno || end == argv[i] || *end || n < 0) {
		fprintf(stderr, "%s: bad count '%s'\n", argv[0], argv[i]);
		return 1;
	}
	target_run(&o, lock_loop, &n);
	_exit(0);
}
