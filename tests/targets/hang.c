// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hang: a thread holds a mutex for a long time while another waits for it. Thread "holder"
 * locks M, meets thread "waiter" at a barrier, then sleeps HOLD_MS (the bug being modelled:
 * slow work under a lock) and unlocks. The waiter locks M right after the barrier, so it
 * blocks for about HOLD_MS. Ends by itself. With --hang-threshold 1 racetrace must report one
 * hang naming both threads and M; with the default threshold (5 s) nothing.
 *
 * Usage: hang [-w] [-k] [HOLD_MS]   (default 3000; see target.h)
 */
#include "target.h"

static pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t m_held;
static long hold_ms = 3000;

static __attribute__((noinline)) void *thread_holder(void *arg)
{
	struct timespec ts = { .tv_sec = hold_ms / 1000, .tv_nsec = hold_ms % 1000 * 1000000 };

	target_note_tid("holder");
	CHECK_PT(pthread_mutex_lock(&lock_m));
	target_barrier_wait(&m_held);
	while (nanosleep(&ts, &ts))
		if (errno != EINTR)
			target_die("nanosleep", errno);
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	return arg;
}

static __attribute__((noinline)) void *thread_waiter(void *arg)
{
	target_note_tid("waiter");
	target_barrier_wait(&m_held);
	CHECK_PT(pthread_mutex_lock(&lock_m)); /* blocks until the holder is done */
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	return arg;
}

static void work(void *arg)
{
	pthread_t t1, t2;

	(void)arg;
	CHECK_PT(pthread_barrier_init(&m_held, NULL, 2));
	CHECK_PT(pthread_create(&t1, NULL, thread_holder, NULL));
	CHECK_PT(pthread_create(&t2, NULL, thread_waiter, NULL));
	CHECK_PT(pthread_join(t1, NULL));
	CHECK_PT(pthread_join(t2, NULL));
	CHECK_PT(pthread_barrier_destroy(&m_held));
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, "[HOLD_MS]", &o);

	if (argc - i > 1)
		target_usage("[HOLD_MS]");
	if (i < argc)
		hold_ms = target_long_arg(argv[i], 0, 600000, "hold time (ms)");
	target_run(&o, work, NULL);
	return 0;
}
