// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * forker: a traced process that fork()s children. Released (-w), thread "ab" locks A then B
 * and is joined; then CHILDREN children are forked one after the other, and each, in its own
 * threads, takes its copies of C and D in both orders (an inversion of its own) and exits
 * 10 + its index; the parent checks every exit status. Last, thread "ba" of the parent locks
 * B then A. The parent's A/B inversion is the only one of the traced process: racetrace -p
 * traces the process it was given, not its children, so their C/D inversions are not its to
 * report, and the children run unharmed by the probes they inherited.
 *
 * Usage: forker [-w] [CHILDREN]   (default 3; -k is refused)
 */
#include <sys/wait.h>
#include "target.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_d = PTHREAD_MUTEX_INITIALIZER;

static inline __attribute__((always_inline)) void lock_pair(pthread_mutex_t *first,
							     pthread_mutex_t *second)
{
	CHECK_PT(pthread_mutex_lock(first));
	CHECK_PT(pthread_mutex_lock(second));
	CHECK_PT(pthread_mutex_unlock(second));
	CHECK_PT(pthread_mutex_unlock(first));
}

static __attribute__((noinline)) void *thread_ab(void *arg)
{
	lock_pair(&lock_a, &lock_b);
	return arg;
}

static __attribute__((noinline)) void *thread_ba(void *arg)
{
	lock_pair(&lock_b, &lock_a);
	return arg;
}

static __attribute__((noinline)) void *thread_cd(void *arg)
{
	lock_pair(&lock_c, &lock_d);
	return arg;
}

static __attribute__((noinline)) void *thread_dc(void *arg)
{
	lock_pair(&lock_d, &lock_c);
	return arg;
}

static void run_joined(void *(*fn)(void *))
{
	pthread_t t;

	CHECK_PT(pthread_create(&t, NULL, fn, NULL));
	CHECK_PT(pthread_join(t, NULL));
}

static void work(void *arg)
{
	long n = *(long *)arg, i;

	run_joined(thread_ab);
	for (i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			target_die("fork", errno);
		if (pid == 0) {
			run_joined(thread_cd);
			run_joined(thread_dc);
			exit(10 + i);
		}
		if (waitpid(pid, &status, 0) != pid)
			target_die("waitpid", errno);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 10 + i) {
			fprintf(stderr, "%s: child %ld: status 0x%x, expected exit %ld\n",
				target_name, i, status, 10 + i);
			exit(1);
		}
		target_note("child %ld exit %d", i, WEXITSTATUS(status));
	}
	run_joined(thread_ba);
}

int main(int argc, char **argv)
{
	struct target_opts o;
	long n = 3;
	int i = target_parse(argc, argv, "[CHILDREN]", &o);

	if (argc - i > 1 || o.keep)
		target_usage("[CHILDREN]");
	if (i < argc)
		n = target_long_arg(argv[i], 1, 100, "children");
	target_run(&o, work, &n);
	return 0;
}
