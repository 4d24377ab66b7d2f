// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * free_locked: a heap object is freed while a thread holds the mutex inside it. The main
 * thread ("freer") mallocs a struct with a mutex at a non-zero offset; thread "owner" locks
 * that mutex; then (barrier) the main thread frees the struct; then (barrier) the owner ends
 * without touching the freed mutex. racetrace must report one free-locked naming the freer
 * and the owner.
 *
 * The free is done by the main thread on purpose: a joined thread returns the blocks in its
 * malloc cache (tcache) to the arena when it exits, which is no free() of the program's.
 *
 * Usage: free_locked [-w] [-k]   (see target.h)
 */
#include "target.h"

struct object {
	long refs;
	char name[8];
	pthread_mutex_t lock; /* at offset 16 */
	long value;
};

static pthread_barrier_t obj_locked, obj_freed;

static __attribute__((noinline)) void *thread_owner(void *arg)
{
	struct object *obj = arg;

	target_note_tid("owner");
	CHECK_PT(pthread_mutex_lock(&obj->lock));
	obj->value++;
	target_barrier_wait(&obj_locked);
	target_barrier_wait(&obj_freed);
	return NULL; /* obj is gone: it cannot be unlocked any more */
}

static __attribute__((noinline)) void free_object(struct object *obj)
{
	free(obj); /* the bug: the owner holds obj->lock */
}

static void work(void *arg)
{
	struct object *obj;
	pthread_t t;

	(void)arg;
	target_note_tid("freer");
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		target_die("calloc", ENOMEM);
	target_note_addr("block", obj);
	CHECK_PT(pthread_mutex_init(&obj->lock, NULL));
	CHECK_PT(pthread_barrier_init(&obj_locked, NULL, 2));
	CHECK_PT(pthread_barrier_init(&obj_freed, NULL, 2));
	CHECK_PT(pthread_create(&t, NULL, thread_owner, obj));
	target_barrier_wait(&obj_locked);
	free_object(obj);
	target_barrier_wait(&obj_freed);
	CHECK_PT(pthread_join(t, NULL));
	CHECK_PT(pthread_barrier_destroy(&obj_locked));
	CHECK_PT(pthread_barrier_destroy(&obj_freed));
}

int main(int argc, char **argv)
{
	struct target_opts o;

	if (target_parse(argc, argv, "", &o) != argc)
		target_usage("");
	target_run(&o, work, NULL);
	return 0;
}
