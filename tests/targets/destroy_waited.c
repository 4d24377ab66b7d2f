// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * destroy_waited: thread "waiter" waits on condition variable C with mutex M (untimed, nobody
 * will signal it), and thread "destroyer" then
 *   cond    destroys C (glibc's pthread_cond_destroy waits for the waiter: it blocks)
 *   mutex   destroys M, which the waiter must lock again to return (glibc refuses with
 *           EBUSY, which this program, like many, does not check)
 *   free    frees the heap block holding C and M
 * after which main ends the process with exit(0), with the waiter still waiting. racetrace
 * must report one destroy-waited (detail "free" for free), naming the destroyer and the waiter.
 * With "ok" (the clean twin): the destroyer broadcasts, then destroys C at once, before the
 * woken waiter has returned (POSIX allows it, and glibc's destroy waits for it), then joins
 * the waiter and destroys M and frees the block: nothing to report.
 *
 * Usage: destroy_waited [-w] cond|mutex|free|ok   (see target.h)
 */
#include "target.h"

struct shared {
	pthread_mutex_t m;
	pthread_cond_t c;
	pthread_cond_t ready_c; /* the waiter says it is about to wait */
	int ready, go;
};

static struct shared *sh;
static const char *mode;

static __attribute__((noinline)) void *thread_waiter(void *arg)
{
	target_note_tid("waiter");
	CHECK_PT(pthread_mutex_lock(&sh->m));
	sh->ready = 1;
	CHECK_PT(pthread_cond_signal(&sh->ready_c));
	while (!sh->go)
		CHECK_PT(pthread_cond_wait(&sh->c, &sh->m));
	CHECK_PT(pthread_mutex_unlock(&sh->m));
	return arg;
}

/*
 * cond mode: glibc's destroy blocks until the waiter leaves, which it never does. It first sets
 * the wake-request bit (4) of the condvar's __wrefs: seen there, the destroy has been entered.
 */
static int destroy_entered(void)
{
	return __atomic_load_n(&sh->c.__data.__wrefs, __ATOMIC_ACQUIRE) & 4;
}

static __attribute__((noinline)) void *thread_destroyer(void *arg)
{
	target_note_tid("destroyer");
	if (!strcmp(mode, "cond")) {
		CHECK_PT(pthread_cond_destroy(&sh->c));
	} else if (!strcmp(mode, "mutex")) {
		(void)pthread_mutex_destroy(&sh->m);
	} else if (!strcmp(mode, "free")) {
		free(sh);
	} else {
		CHECK_PT(pthread_mutex_lock(&sh->m));
		sh->go = 1;
		CHECK_PT(pthread_cond_broadcast(&sh->c));
		CHECK_PT(pthread_mutex_unlock(&sh->m));
		CHECK_PT(pthread_cond_destroy(&sh->c)); /* legal: no thread is blocked on it now */
	}
	return arg;
}

static void work(void *arg)
{
	pthread_t w, d;

	(void)arg;
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		target_die("calloc", ENOMEM);
	CHECK_PT(pthread_mutex_init(&sh->m, NULL));
	CHECK_PT(pthread_cond_init(&sh->c, NULL));
	CHECK_PT(pthread_cond_init(&sh->ready_c, NULL));
	CHECK_PT(pthread_create(&w, NULL, thread_waiter, NULL));
	/* when main holds M again, the waiter has released it inside pthread_cond_wait(C) */
	CHECK_PT(pthread_mutex_lock(&sh->m));
	while (!sh->ready)
		CHECK_PT(pthread_cond_wait(&sh->ready_c, &sh->m));
	CHECK_PT(pthread_mutex_unlock(&sh->m));
	CHECK_PT(pthread_create(&d, NULL, thread_destroyer, NULL));
	if (!strcmp(mode, "cond")) {
		while (!destroy_entered())
			sched_yield();
		/* the destroyer is in the destroy, which never returns */
		exit(0);
	}
	CHECK_PT(pthread_join(d, NULL));
	if (strcmp(mode, "ok"))
		exit(0); /* the waiter still waits: end the process around it */
	CHECK_PT(pthread_join(w, NULL));
	CHECK_PT(pthread_cond_destroy(&sh->ready_c));
	CHECK_PT(pthread_mutex_destroy(&sh->m));
	free(sh);
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, "cond|mutex|free|ok", &o);

	if (i + 1 != argc || o.keep ||
	    (strcmp(argv[i], "cond") && strcmp(argv[i], "mutex") && strcmp(argv[i], "free") &&
	     strcmp(argv[i], "ok")))
		target_usage("cond|mutex|free|ok");
	mode = argv[i];
	target_run(&o, work, NULL);
	return 0;
}
