// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * double_lock: a thread locks a lock it already holds.
 *   (default) thread "locker" locks an error-checking mutex E twice (the second call fails
 *             with EDEADLK), then write-locks rwlock W twice (EDEADLK too), and unlocks both.
 *             Ends by itself; racetrace must report two double-locks, one on E, one on W.
 *   self      thread "locker" locks a default (normal) mutex N twice: the second call
 *             deadlocks the thread on itself, forever. The test kills the process.
 *
 * Usage: double_lock [-w] [-k] [self]   (see target.h; -k only without "self")
 */
#include "target.h"

static pthread_mutex_t lock_e; /* error-checking, set up in main */
static pthread_rwlock_t lock_w = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t lock_n = PTHREAD_MUTEX_INITIALIZER;

static void expect_edeadlk(int rc, const char *what)
{
	if (rc != EDEADLK) {
		fprintf(stderr, "%s: %s returned %d, expected EDEADLK\n", target_name, what, rc);
		exit(1);
	}
}

static __attribute__((noinline)) void *thread_checked(void *arg)
{
	target_note_tid("locker");
	CHECK_PT(pthread_mutex_lock(&lock_e));
	/* the bug: E is held by this thread; an error-checking mutex says so */
	expect_edeadlk(pthread_mutex_lock(&lock_e), "second pthread_mutex_lock");
	CHECK_PT(pthread_mutex_unlock(&lock_e));

	CHECK_PT(pthread_rwlock_wrlock(&lock_w));
	/* the bug again: glibc detects a write lock taken twice by its owner */
	expect_edeadlk(pthread_rwlock_wrlock(&lock_w), "second pthread_rwlock_wrlock");
	CHECK_PT(pthread_rwlock_unlock(&lock_w));
	return arg;
}

static __attribute__((noinline)) void *thread_self(void *arg)
{
	target_note_tid("locker");
	CHECK_PT(pthread_mutex_lock(&lock_n));
	CHECK_PT(pthread_mutex_lock(&lock_n)); /* the bug: never returns */
	return arg;
}

static void work(void *arg)
{
	pthread_t t;

	CHECK_PT(pthread_create(&t, NULL, arg ? thread_self : thread_checked, NULL));
	CHECK_PT(pthread_join(t, NULL));
}

int main(int argc, char **argv)
{
	struct target_opts o;
	pthread_mutexattr_t ma;
	int i = target_parse(argc, argv, "[self]", &o);
	int self = 0;

	if (argc - i > 1 || (i < argc && strcmp(argv[i], "self")))
		target_usage("[self]");
	self = i < argc;
	if (self && o.keep)
		target_usage("[self]");
	CHECK_PT(pthread_mutexattr_init(&ma));
	CHECK_PT(pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK));
	CHECK_PT(pthread_mutex_init(&lock_e, &ma));
	CHECK_PT(pthread_mutexattr_destroy(&ma));
	target_run(&o, work, self ? &lock_n : NULL);
	return 0;
}
