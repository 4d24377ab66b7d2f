// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wait_resume: a thread already blocked on a mutex when racetrace attaches, which gets it, lets
 * it go and then lives on without another futex wait. Thread "holder" locks M, meets thread
 * "waiter" at a barrier and notes "ready" on stderr; the waiter then locks M and blocks. The
 * harness attaches (with -p) once the waiter sleeps in futex(2). The holder unlocks M after
 * HOLD_MS; both threads then sleep LIVE_MS before they end.
 *
 * The wait racetrace learns at attach (from /proc) ends when the waiter runs again. If it
 * missed that, the waiter would look blocked on M for the whole LIVE_MS: a hang under
 * --hang-threshold shorter than LIVE_MS - HOLD_MS. Nothing is to be reported.
 *
 * Usage: wait_resume [HOLD_MS [LIVE_MS]]   (default 1000 and 4000; -w and -k are refused: the
 * harness attaches while it runs)
 */
#include "target.h"

static pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t m_held;
static long hold_ms = 1000, live_ms = 4000;

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts))
		if (errno != EINTR)
			target_die("nanosleep", errno);
}

static __attribute__((noinline)) void *thread_holder(void *arg)
{
	target_note_tid("holder");
	CHECK_PT(pthread_mutex_lock(&lock_m));
	target_barrier_wait(&m_held);
	target_note("ready");
	sleep_ms(hold_ms);
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	sleep_ms(live_ms);
	return arg;
}

static __attribute__((noinline)) void *thread_waiter(void *arg)
{
	target_note_tid("waiter");
	target_barrier_wait(&m_held);
	CHECK_PT(pthread_mutex_lock(&lock_m)); /* blocks until the holder is done */
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	sleep_ms(live_ms);
	return arg;
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, "[HOLD_MS [LIVE_MS]]", &o);
	pthread_t t1, t2;
	char *end;

	if (o.wait || o.keep || argc - i > 2 ||
	    (i < argc && ((hold_ms = strtol(argv[i], &end, 10)) < 0 || *end)) ||
	    (i + 1 < argc && ((live_ms = strtol(argv[i + 1], &end, 10)) < 0 || *end)))
		target_usage("[HOLD_MS [LIVE_MS]]");
	CHECK_PT(pthread_barrier_init(&m_held, NULL, 2));
	CHECK_PT(pthread_create(&t1, NULL, thread_holder, NULL));
	CHECK_PT(pthread_create(&t2, NULL, thread_waiter, NULL));
	CHECK_PT(pthread_join(t1, NULL));
	CHECK_PT(pthread_join(t2, NULL));
	return 0;
}
