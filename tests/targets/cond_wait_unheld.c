// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cond_wait_unheld: thread "waiter" locks and unlocks M (so its state is known), then calls
 * pthread_cond_timedwait(C, M) without holding M. glibc "releases" the unheld default mutex,
 * times out after TIMEOUT_MS (nobody signals C), and returns ETIMEDOUT holding M, which the
 * waiter then unlocks. The timeout only bounds the misuse; no interleaving depends on it.
 * racetrace must report one cond-wait-unheld on M, by the waiter.
 *
 * Usage: cond_wait_unheld [-w] [-k]   (see target.h)
 */
#include "target.h"

#define TIMEOUT_MS 20

static pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond_c = PTHREAD_COND_INITIALIZER;

static __attribute__((noinline)) void *thread_waiter(void *arg)
{
	struct timespec until;
	int rc;

	target_note_tid("waiter");
	CHECK_PT(pthread_mutex_lock(&lock_m));
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	if (clock_gettime(CLOCK_REALTIME, &until))
		target_die("clock_gettime", errno);
	until.tv_nsec += TIMEOUT_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	rc = pthread_cond_timedwait(&cond_c, &lock_m, &until); /* the bug: M is not held */
	if (rc != ETIMEDOUT) {
		fprintf(stderr, "%s: pthread_cond_timedwait returned %d, expected ETIMEDOUT\n",
			target_name, rc);
		exit(1);
	}
	CHECK_PT(pthread_mutex_unlock(&lock_m)); /* the wait returned holding M */
	return arg;
}

static void work(void *arg)
{
	pthread_t t;

	(void)arg;
	CHECK_PT(pthread_create(&t, NULL, thread_waiter, NULL));
	CHECK_PT(pthread_join(t, NULL));
}

int main(int argc, char **argv)
{
	struct target_opts o;

	if (target_parse(argc, argv, "", &o) != argc)
		target_usage("");
	target_run(&o, work, NULL);
	return 0;
}
