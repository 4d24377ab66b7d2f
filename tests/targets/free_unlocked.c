// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * free_unlocked: the clean twin of free_locked. The main thread ("freer") mallocs a struct
 * with a mutex at offset 16; thread "owner" locks that mutex, works, unlocks it; then
 * (barrier) the main thread frees the struct, whose mutex no one holds. racetrace must report
 * nothing.
 *
 * Usage: free_unlocked [-w] [-k]   (see target.h)
 */
#include "target.h"

struct object {
	long refs;
	char name[8];
	pthread_mutex_t lock; /* at offset 16 */
	long value;
};

static pthread_barrier_t obj_released;

static __attribute__((noinline)) void *thread_owner(void *arg)
{
	struct object *obj = arg;

	target_note_tid("owner");
	CHECK_PT(pthread_mutex_lock(&obj->lock));
	obj->value++;
	CHECK_PT(pthread_mutex_unlock(&obj->lock));
	target_barrier_wait(&obj_released);
	return NULL;
}

static __attribute__((noinline)) void free_object(struct object *obj)
{
	free(obj); /* correct: the lock inside is released */
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
	CHECK_PT(pthread_mutex_init(&obj->lock, NULL));
	CHECK_PT(pthread_barrier_init(&obj_released, NULL, 2));
	CHECK_PT(pthread_create(&t, NULL, thread_owner, obj));
	target_barrier_wait(&obj_released);
	free_object(obj);
	CHECK_PT(pthread_join(t, NULL));
	CHECK_PT(pthread_barrier_destroy(&obj_released));
}

int main(int argc, char **argv)
{
	struct target_opts o;

	if (target_parse(argc, argv, "", &o) != argc)
		target_usage("");
	target_run(&o, work, NULL);
	return 0;
}
