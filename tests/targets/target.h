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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
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

/*
 * Notes for the harness, on stderr (never stdout, which racetrace's JSON Lines share in
 * `racetrace -- TARGET` mode). Each is one line written with one write(2), so notes of
 * several threads never interleave:
 *   "NAME: tid ROLE TID"          target_note_tid(): which kernel thread plays ROLE
 *   "NAME: time WHAT SEC.NSEC"    target_note_time(): CLOCK_MONOTONIC now, just before WHAT
 *   "NAME: addr WHAT 0xADDR"      target_note_addr(): where WHAT (a heap block) lives
 * tests/e2e/detectors.py reads them to check a finding's threads and addresses exactly, and
 * when a live deadlock formed.
 */
static inline void __attribute__((format(printf, 1, 2))) target_note(const char *fmt, ...)
{
	char line[256];
	size_t room;
	va_list ap;
	int n, m;

	n = snprintf(line, sizeof(line), "%s: ", target_name);
	if (n < 0 || (size_t)n >= sizeof(line) / 2)
		n = 0;
	room = sizeof(line) - n - 1; /* one byte stays for the newline */
	va_start(ap, fmt);
	m = vsnprintf(line + n, room, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	if ((size_t)m >= room)
		m = room - 1; /* truncated */
	n += m;
	line[n++] = '\n';
	if (write(2, line, n) != n)
		target_die("write stderr", errno);
}

static inline int target_gettid(void)
{
	return (int)syscall(SYS_gettid);
}

/* Tell the harness that the calling thread plays `role`. */
static inline void target_note_tid(const char *role)
{
	target_note("tid %s %d", role, target_gettid());
}

/* Tell the harness the address of `what` (a heap block, whose address no symbol gives). */
static inline void target_note_addr(const char *what, const void *p)
{
	target_note("addr %s %p", what, p);
}

/* Tell the harness the CLOCK_MONOTONIC time, just before the caller does `what`. */
static inline void target_note_time(const char *what)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		target_die("clock_gettime", errno);
	target_note("time %s %lld.%09ld", what, (long long)ts.tv_sec, ts.tv_nsec);
}

/* pthread_barrier_wait, checked: one waiter gets PTHREAD_BARRIER_SERIAL_THREAD, not an error. */
static inline void target_barrier_wait(pthread_barrier_t *b)
{
	int rc = pthread_barrier_wait(b);

	if (rc && rc != PTHREAD_BARRIER_SERIAL_THREAD)
		target_die("pthread_barrier_wait", rc);
}

/* A numeric argument in [lo, hi]; prints what was wrong and exits 1 otherwise. */
static inline long target_long_arg(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "%s: bad %s '%s' (%ld..%ld)\n", target_name, what, s, lo, hi);
		exit(1);
	}
	return v;
}

#endif /* RT_TARGET_H */
