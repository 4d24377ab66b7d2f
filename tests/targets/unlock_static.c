// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * unlock_static: static mutexes that are never locked before their misuse, so racetrace knows
 * their state only from the mutex itself (glibc's owner word). Thread "unlocker" unlocks M,
 * which no thread ever locked; thread "waiter" calls pthread_cond_timedwait with W, which it
 * does not hold (glibc unlocks it anyway, times out after a millisecond and returns holding
 * it; the waiter then unlocks it, correctly). racetrace must report one unlock-unheld on M by
 * the unlocker and one cond-wait-unheld on W by the waiter, in `--` mode as in -p mode.
 * With "ok" (the clean twin): the same calls, each with the mutex held: nothing to report.
 *
 * Usage: unlock_static [-w] [-k] [ok]   (see target.h)
 */
#include "target.h"

static pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_w = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond_c = PTHREAD_COND_INITIALIZER;
static int clean;

static __attribute__((noinline)) void *thread_unlocker(void *arg)
{
	target_note_tid("unlocker");
	if (clean)
		CHECK_PT(pthread_mutex_lock(&lock_m));
	CHECK_PT(pthread_mutex_unlock(&lock_m)); /* the bug without "ok": never locked */
	return arg;
}

static __attribute__((noinline)) void *thread_waiter(void *arg)
{
	struct timespec ts;
	int rc;

	target_note_tid("waiter");
	if (clean)
		CHECK_PT(pthread_mutex_lock(&lock_w));
	if (clock_gettime(CLOCK_REALTIME, &ts))
		target_die("clock_gettime", errno);
	ts.tv_nsec += 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	/* the bug without "ok": W is not held; nobody signals, so it times out */
	rc = pthread_cond_timedwait(&cond_c, &lock_w, &ts);
	if (rc && rc != ETIMEDOUT)
		target_die("pthread_cond_timedwait", rc);
	CHECK_PT(pthread_mutex_unlock(&lock_w)); /* held again on return */
	return arg;
}

static void work(void *arg)
{
	pthread_t t;

	(void)arg;
	CHECK_PT(pthread_create(&t, NULL, thread_unlocker, NULL));
	CHECK_PT(pthread_join(t, NULL));
	CHECK_PT(pthread_create(&t, NULL, thread_waiter, NULL));
	CHECK_PT(pthread_join(t, NULL));
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, "[ok]", &o);

	if (i < argc && !strcmp(argv[i], "ok")) {
		clean = 1;
		i++;
	}
	if (i != argc)
		target_usage("[ok]");
	target_run(&o, work, NULL);
	return 0;
}
