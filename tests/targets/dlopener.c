// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * dlopener: locks taken in a library loaded after racetrace attached, which is then unloaded
 * and loaded again. Released (-w), it dlopen()s LIB (tests/targets/lib/faultlib.c), calls its
 * faultlib_inversion() (an inversion inside the library), dlclose()s it, dlopen()s it again,
 * calls faultlib_ordered() (nothing to report) and dlclose()s it. Then, in its own code,
 * thread "xy" locks X then Y and is joined, then thread "yx" locks Y then X. racetrace must
 * report two inversions: the library's, named after the library's functions, and the
 * executable's over X and Y, named after its own, with nothing mixed up by the unloads.
 * With "hold", the library stays loaded after faultlib_inversion() until one more line arrives
 * on stdin (after the note "inverted"): the harness lets it go once racetrace reported the
 * library's inversion.
 *
 * Usage: dlopener [-w] LIB [hold]   (-k is refused)
 */
#include <dlfcn.h>
#include "target.h"

static pthread_mutex_t lock_x = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_y = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noinline)) void *thread_xy(void *arg)
{
	CHECK_PT(pthread_mutex_lock(&lock_x));
	CHECK_PT(pthread_mutex_lock(&lock_y));
	CHECK_PT(pthread_mutex_unlock(&lock_y));
	CHECK_PT(pthread_mutex_unlock(&lock_x));
	return arg;
}

static __attribute__((noinline)) void *thread_yx(void *arg)
{
	CHECK_PT(pthread_mutex_lock(&lock_y));
	CHECK_PT(pthread_mutex_lock(&lock_x));
	CHECK_PT(pthread_mutex_unlock(&lock_x));
	CHECK_PT(pthread_mutex_unlock(&lock_y));
	return arg;
}

/* dlopen lib, call its function fn (an errno value back), dlclose it (after a stdin line: hold). */
static void call_in(const char *lib, const char *fn, int hold)
{
	int (*f)(void);
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		fprintf(stderr, "%s: dlopen %s: %s\n", target_name, lib, dlerror());
		exit(1);
	}
	*(void **)&f = dlsym(h, fn);
	if (!f) {
		fprintf(stderr, "%s: dlsym %s: %s\n", target_name, fn, dlerror());
		exit(1);
	}
	CHECK_PT(f());
	if (hold) {
		target_note("inverted");
		target_read_line();
	}
	if (dlclose(h)) {
		fprintf(stderr, "%s: dlclose %s: %s\n", target_name, lib, dlerror());
		exit(1);
	}
}

struct dl_args {
	const char *lib;
	int hold;
};

static void work(void *arg)
{
	struct dl_args *a = arg;
	pthread_t t;

	call_in(a->lib, "faultlib_inversion", a->hold);
	call_in(a->lib, "faultlib_ordered", 0);
	CHECK_PT(pthread_create(&t, NULL, thread_xy, NULL));
	CHECK_PT(pthread_join(t, NULL));
	CHECK_PT(pthread_create(&t, NULL, thread_yx, NULL));
	CHECK_PT(pthread_join(t, NULL));
}

int main(int argc, char **argv)
{
	struct target_opts o;
	struct dl_args a = { 0 };
	int i = target_parse(argc, argv, "LIB [hold]", &o);

	if (argc - i < 1 || argc - i > 2 || o.keep || (argc - i == 2 && strcmp(argv[i + 1], "hold")))
		target_usage("LIB [hold]");
	a.lib = argv[i];
	a.hold = argc - i == 2;
	target_run(&o, work, &a);
	return 0;
}
