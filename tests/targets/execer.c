// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * execer: a traced process that becomes another program. Released (-w), thread "locker" takes
 * mutexes A then B a few times (ordered: nothing to report), is joined, and the process then
 * exec()s PROGRAM with its arguments, keeping its pid, while thread "bystander" is blocked in
 * a read(2) that never returns (the exec ends it, as it ends every other thread). tests/e2e/faults.py attaches
 * `racetrace -p` to it and checks that racetrace follows into the new program unharmed and
 * leaves no probe behind on the old one.
 *
 * Usage: execer [-w] PROGRAM [ARG...]   (-k is refused: the process does not come back)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include "target.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noinline)) void *thread_locker(void *arg)
{
	int i;

	for (i = 0; i < 10; i++) {
		CHECK_PT(pthread_mutex_lock(&lock_a));
		CHECK_PT(pthread_mutex_lock(&lock_b));
		CHECK_PT(pthread_mutex_unlock(&lock_b));
		CHECK_PT(pthread_mutex_unlock(&lock_a));
	}
	return arg;
}

static int never[2]; /* a pipe nobody writes to */

static __attribute__((noinline)) void *thread_bystander(void *arg)
{
	char c;

	while (read(never[0], &c, 1) < 0 && errno == EINTR)
		;
	return arg;
}

static void work(void *arg)
{
	char **cmd = arg;
	pthread_t t;

	if (pipe2(never, O_CLOEXEC))
		target_die("pipe", errno);
	CHECK_PT(pthread_create(&t, NULL, thread_bystander, NULL));
	CHECK_PT(pthread_create(&t, NULL, thread_locker, NULL));
	CHECK_PT(pthread_join(t, NULL));
	target_note("exec %s", cmd[0]);
	execv(cmd[0], cmd);
	target_die(cmd[0], errno);
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, "PROGRAM [ARG...]", &o);

	if (i >= argc || o.keep)
		target_usage("PROGRAM [ARG...]");
	target_run(&o, work, argv + i);
	return 0;
}
