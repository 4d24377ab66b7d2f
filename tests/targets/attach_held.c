// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * attach_held: locks that are already held when racetrace attaches. Before waiting for its
 * stdin line (-w), the main thread locks mutex M, locks recursive mutex R twice and read-locks
 * rwlock W, and thread "holder" locks mutex H; then it notes "ready" on stderr (the harness
 * attaches after that). Released, it unlocks everything the way it was taken: the holder only
 * after thread "contender" announced it is about to lock H, so the contender may block on a
 * lock whose owner racetrace never saw take it. Then two threads use M, R (twice), W (read
 * and write) and H normally, in one consistent order. Attached with -p, racetrace must find
 * nothing: an unlock of a lock it never saw taken is learned, never reported.
 *
 * Usage: attach_held [-w] [ITERATIONS]   (default 200; -k is refused: one round only)
 */
#include "target.h"

static pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_r; /* recursive, set up in main */
static pthread_rwlock_t lock_w = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t lock_h = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t h_held, release_h, contend;
static long iterations = 200;
static unsigned long shared_counter; /* under all the locks */

static __attribute__((noinline)) void *thread_holder(void *arg)
{
	target_note_tid("holder");
	CHECK_PT(pthread_mutex_lock(&lock_h));
	target_barrier_wait(&h_held);
	target_barrier_wait(&release_h); /* released by work() */
	target_barrier_wait(&contend);	 /* the contender is about to lock H */
	CHECK_PT(pthread_mutex_unlock(&lock_h));
	return arg;
}

static __attribute__((noinline)) void *thread_contender(void *arg)
{
	target_note_tid("contender");
	target_barrier_wait(&contend);
	CHECK_PT(pthread_mutex_lock(&lock_h)); /* may block until the holder unlocks */
	CHECK_PT(pthread_mutex_unlock(&lock_h));
	return arg;
}

static __attribute__((noinline)) void *thread_user(void *arg)
{
	long i;

	for (i = 0; i < iterations; i++) {
		CHECK_PT(pthread_mutex_lock(&lock_m));
		CHECK_PT(pthread_mutex_lock(&lock_r));
		CHECK_PT(pthread_mutex_lock(&lock_r));
		CHECK_PT(i % 2 ? pthread_rwlock_rdlock(&lock_w) : pthread_rwlock_wrlock(&lock_w));
		CHECK_PT(pthread_mutex_lock(&lock_h));
		shared_counter++;
		CHECK_PT(pthread_mutex_unlock(&lock_h));
		CHECK_PT(pthread_rwlock_unlock(&lock_w));
		CHECK_PT(pthread_mutex_unlock(&lock_r));
		CHECK_PT(pthread_mutex_unlock(&lock_r));
		CHECK_PT(pthread_mutex_unlock(&lock_m));
	}
	return arg;
}

struct held_state {
	pthread_t holder;
};

/* Runs once, after the stdin line: let go of what was taken before racetrace attached. */
static void work(void *arg)
{
	struct held_state *st = arg;
	pthread_t contender, t1, t2;

	CHECK_PT(pthread_mutex_unlock(&lock_m));
	CHECK_PT(pthread_mutex_unlock(&lock_r));
	CHECK_PT(pthread_mutex_unlock(&lock_r));
	CHECK_PT(pthread_rwlock_unlock(&lock_w));
	CHECK_PT(pthread_create(&contender, NULL, thread_contender, NULL));
	target_barrier_wait(&release_h);
	CHECK_PT(pthread_join(st->holder, NULL));
	CHECK_PT(pthread_join(contender, NULL));

	CHECK_PT(pthread_create(&t1, NULL, thread_user, NULL));
	CHECK_PT(pthread_create(&t2, NULL, thread_user, NULL));
	CHECK_PT(pthread_join(t1, NULL));
	CHECK_PT(pthread_join(t2, NULL));
	if (shared_counter != (unsigned long)(2 * iterations)) {
		fprintf(stderr, "%s: counter %lu, expected %ld\n", target_name, shared_counter,
			2 * iterations);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct target_opts o;
	struct held_state st;
	pthread_mutexattr_t ma;
	int i = target_parse(argc, argv, "[ITERATIONS]", &o);

	if (argc - i > 1 || o.keep)
		target_usage("[ITERATIONS]");
	if (i < argc)
		iterations = target_long_arg(argv[i], 1, 100000000, "iterations");
	CHECK_PT(pthread_mutexattr_init(&ma));
	CHECK_PT(pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE));
	CHECK_PT(pthread_mutex_init(&lock_r, &ma));
	CHECK_PT(pthread_mutexattr_destroy(&ma));
	CHECK_PT(pthread_barrier_init(&h_held, NULL, 2));
	CHECK_PT(pthread_barrier_init(&release_h, NULL, 2));
	CHECK_PT(pthread_barrier_init(&contend, NULL, 2));

	/* taken before the harness attaches racetrace */
	CHECK_PT(pthread_mutex_lock(&lock_m));
	CHECK_PT(pthread_mutex_lock(&lock_r));
	CHECK_PT(pthread_mutex_lock(&lock_r));
	CHECK_PT(pthread_rwlock_rdlock(&lock_w));
	CHECK_PT(pthread_create(&st.holder, NULL, thread_holder, NULL));
	target_barrier_wait(&h_held);
	target_note("ready");

	target_run(&o, work, &st);
	return 0;
}
