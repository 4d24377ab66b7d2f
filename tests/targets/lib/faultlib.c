// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libfaultlib.so: a shared library that tests/targets/dlopener.c loads with dlopen(), uses and
 * unloads. Its own mutexes live in its own .bss, its lock calls come from its own functions:
 * a finding about them must name this library's functions.
 *
 *   faultlib_inversion()  thread lib_thread_ab locks A then B and is joined, then thread
 *                         lib_thread_ba locks B then A: one lock-order inversion
 *   faultlib_ordered()    two threads, one after the other, lock A then B: nothing to report
 *
 * Both return 0, or an errno value when a pthread call failed.
 */
#include <pthread.h>

static pthread_mutex_t lib_lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lib_lock_b = PTHREAD_MUTEX_INITIALIZER;

static inline __attribute__((always_inline)) void lock_pair(pthread_mutex_t *first,
							     pthread_mutex_t *second)
{
	pthread_mutex_lock(first);
	pthread_mutex_lock(second);
	pthread_mutex_unlock(second);
	pthread_mutex_unlock(first);
}

__attribute__((noinline)) void *lib_thread_ab(void *arg)
{
	lock_pair(&lib_lock_a, &lib_lock_b);
	return arg;
}

__attribute__((noinline)) void *lib_thread_ba(void *arg)
{
	lock_pair(&lib_lock_b, &lib_lock_a);
	return arg;
}

static int run_joined(void *(*fn)(void *))
{
	pthread_t t;
	int rc = pthread_create(&t, NULL, fn, NULL);

	return rc ? rc : pthread_join(t, NULL);
}

int faultlib_inversion(void)
{
	int rc = run_joined(lib_thread_ab);

	return rc ? rc : run_joined(lib_thread_ba);
}

int faultlib_ordered(void)
{
	int rc = run_joined(lib_thread_ab);

	return rc ? rc : run_joined(lib_thread_ab);
}
