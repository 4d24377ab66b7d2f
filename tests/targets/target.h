/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every e2e target shares: the -w/-k options, the stdin handshake and error checks.
 *
 *   -w  block until one line (or EOF) arrives on stdin before the work starts, so that
 *       tests/e2e can start the target, attach `racetrace -p PID`, then release it.
 *   -k  keep running after the work: write "done\n" to stdout after each round, run the
 *       work again for every further line on stdin, and after EOF pause until killed.
 *       Used by the detach tests, which check the target still runs after racetrace left.
 *
 * Without -k a target writes nothing to stdout: in `racetrace -- TARGET` mode stdout is
 * shared with racetrace's JSON Lines. Errors go to stderr and exit 1.
 *
 * Interleavings are forced with joins and barriers, never sleeps. The lock calls are real
 * calls into libc's pthread_mutex_* (the uprobed functions); a target never takes one of its
 * own mutexes around pthread_create/join, because glibc >= 2.34 itself calls
 * pthread_mutex_lock in pthread_create (dl_load_tls_lock) and exit() (_dl_fini).
 */
#ifndef RT_TARGET_H
#define RT_TARGET_H

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct target_opts {
	int wait; /* -w */
	int keep; /* -k */
};

static const char *target_name = "target";

static inline void __attribute__((noreturn)) target_die(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", target_name, what, strerror(err));
	exit(1);
}

/* Abort with a message when a pthread call (which returns an errno value) fails. */
#define CHECK_PT(call)                                  \
	do {                                            \
		int rc_ = (call);                       \
		if (rc_)                                \
			target_die(#call, rc_);         \
	} while (0)

/* Print the usage line for this target and exit 1. */
static inline void __attribute__((noreturn)) target_usage(const char *usage)
{
	fprintf(stderr, "usage: %s [-w] [-k]%s%s\n", target_name, *usage ? " " : "", usage);
	exit(1);
}

/*
 * Parse the leading -w/-k flags (in any order, also combined as -wk) into *o.
 * Returns the index of the first positional argument; prints usage and exits 1 on an
 * unknown option.
 */
static inline int target_parse(int argc, char **argv, const char *usage, struct target_opts *o)
{
	int i;

	target_name = argv[0];
	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *p;

		if (!strcmp(argv[i], "--"))
			return i + 1;
		for (p = argv[i] + 1; *p; p++) {
			if (*p == 'w') {
				o->wait = 1;
			} else if (*p == 'k') {
				o->keep = 1;
			} else {
				target_usage(usage);
			}
		}
	}
	return i;
}

/*
 * Read one line from fd 0 with read(2) (no stdio buffering, so nothing past the newline is
 * consumed). Returns 1 when a line (or a final unterminated fragment) arrived, 0 on EOF.
 */
static inline int target_read_line(void)
{
	int got = 0;
	char c;

	for (;;) {
		ssize_t n = read(0, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			target_die("read stdin", errno);
		if (n == 0)
			return got;
		got = 1;
		if (c == '\n')
			return 1;
	}
}

/* Write "done\n" to stdout with write(2), so the harness sees it at once. */
static inline void target_done(void)
{
	static const char msg[] = "done\n";

	if (write(1, msg, sizeof(msg) - 1) != (ssize_t)(sizeof(msg) - 1))
		target_die("write stdout", errno);
}

/*
 * Run work() honouring -w and -k (see the top of this file). Without -k it returns after one
 * round; with -k it never returns.
 */
static inline void target_run(const struct target_opts *o, void (*work)(void *), void *arg)
{
	if (o->wait)
		target_read_line();
	work(arg);
	if (!o->keep)
		return;
	target_done();
	while (target_read_line()) {
		work(arg);
		target_done();
	}
	for (;;)
		pause();
}

#endif /* RT_TARGET_H */
