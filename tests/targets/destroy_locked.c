// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * destroy_locked: thread "owner" locks M; then (barrier) thread "destroyer" calls
 * pthread_mutex_destroy(M), which glibc refuses with EBUSY; then (barrier) the owner unlocks.
 * racetrace must report one destroy-locked on M, naming the destroyer and the owner, and
 * nothing about the owner's unlock (the destroy ended what racetrace knew about M).
 *
 * Usage: destroy_locked [-w] [-k]   (see target.h)
 */
#include "target.h"

static pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t m_held, m_destroyed;

static __attribute__((noinline)) void *thread_owner(void *arg)
{
	target_note_tid("owner");
	CHECK_PT(pthread_mutex_lock(&lock_m));
	target_barrier_wait(&m_held);
	target_barrier_wait(&m_destroyed);
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	return arg;
}

static __attribute__((noinline)) void *thread_destroyer(void *arg)
{
	int rc;

	target_note_tid("destroyer");
	target_barrier_wait(&m_held);
	rc = pthread_mutex_destroy(&lock_m); /* the bug: M is locked */
	if (rc != EBUSY) {
		fprintf(stderr, "%s: pthread_mutex_destroy returned %d, expected EBUSY\n",
			target_name, rc);
		exit(1);
	}
	target_barrier_wait(&m_destroyed);
	return arg;
}

static void work(void *arg)
{
	pthread_t t1, t2;

	(void)arg;
	CHECK_PT(pthread_barrier_init(&m_held, NULL, 2));
	CHECK_PT(pthread_barrier_init(&m_destroyed, NULL, 2));
	CHECK_PT(pthread_create(&t1, NULL, thread_owner, NULL));
	CHECK_PT(pthread_create(&t2, NULL, thread_destroyer, NULL));
	CHECK_PT(pthread_join(t1, NULL));
	CHECK_PT(pthread_join(t2, NULL));
	CHECK_PT(pthread_barrier_destroy(&m_held));
	CHECK_PT(pthread_barrier_destroy(&m_destroyed));
}

int main(int argc, char **argv)
{
	struct target_opts o;

	if (target_parse(argc, argv, "", &o) != argc)
		target_usage("");
	target_run(&o, work, NULL);
	return 0;
}
