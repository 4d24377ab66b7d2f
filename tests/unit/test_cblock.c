// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The C blocking rules, each detector registered alone on hand-built record sequences: every
 * thread blocked (blocked.c: deadlock, detail all-threads), destroy or free with a waiter
 * (waited.c: destroy-waited), and misuse judged by the mutex's own owner word (misuse.c with
 * the probe's RT_OWNER_READ). Each scenario has its clean twin, which must report nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "detect/registry.h"
#include "engine/hb.h"
#include "report/report.h"

#define MS 1000000ULL
#define PID 100
#define MAIN PID
#define W1 101
#define W2 102
#define OTHER 103
#define COND 0x5000
#define MUTEX 0x5040
#define PT_W1 0x7f0001 /* pthread_t of W1 */
#define BLOCK 0x4ff0   /* a heap block of 256 bytes holding COND and MUTEX */

struct fx {
	struct rt_report *report;
	struct hb *hb;
	FILE *out;
	char *buf;
	size_t len;
	__u64 t;
};

static void fx_open(struct fx *f, const struct hb_detector *d)
{
	memset(f, 0, sizeof(*f));
	f->out = open_memstream(&f->buf, &f->len);
	f->report = rt_report__new(&(struct rt_report_opts){ .out = f->out, .json = true });
	f->hb = hb__new(&(struct hb_opts){ .report = f->report });
	assert_non_null(f->hb);
	assert_int_equal(hb__add_detector(f->hb, d), 0);
}

static void fx_close(struct fx *f)
{
	hb__free(f->hb);
	rt_report__free(f->report);
	fclose(f->out);
	free(f->buf);
}

static void rec(struct fx *f, __u32 tid, __u16 type, __u64 obj, __u64 obj2, __u64 caller,
		__u64 arg, __s64 ret)
{
	struct rt_event e;

	memset(&e, 0, sizeof(e));
	e.h.type = type;
	e.h.tid = tid;
	e.h.tgid = PID;
	e.h.ktime = f->t += 1000;
	e.h.stack_id = RT_NO_STACK;
	e.obj = obj;
	e.obj2 = obj2;
	e.caller = caller;
	e.arg = arg;
	e.ret = ret;
	assert_int_equal(hb__event(f->hb, &e), 0);
}

/* Time passes: a tick record ns later. */
static void tick(struct fx *f, __u64 ns)
{
	struct rt_event e;

	memset(&e, 0, sizeof(e));
	e.h.type = RT_EV_TICK;
	e.h.tid = PID;
	e.h.tgid = PID;
	e.h.ktime = f->t += ns;
	e.h.stack_id = RT_NO_STACK;
	assert_int_equal(hb__event(f->hb, &e), 0);
}

/* Findings of kind (with detail, when not NULL) in the JSON output so far. */
static int count(struct fx *f, const char *kind, const char *detail)
{
	char want[96];
	const char *p;
	int n = 0;

	fflush(f->out);
	if (detail)
		snprintf(want, sizeof(want), "{\"kind\":\"%s\",\"detail\":\"%s\"", kind, detail);
	else
		snprintf(want, sizeof(want), "{\"kind\":\"%s\",\"id\"", kind);
	for (p = f->buf; p && (p = strstr(p, want)); p++)
		n++;
	return n;
}

static int findings(struct fx *f)
{
	const char *p;
	int n = 0;

	fflush(f->out);
	for (p = f->buf; p && (p = strstr(p, "{\"kind\":\"")); p++)
		n++;
	return n;
}

/* main makes W1 (and W2), as pthread_create's records say. */
static void start_workers(struct fx *f, int n)
{
	rec(f, MAIN, RT_EV_THREAD_NAME, 0x6e69616d, 0, 0, 0, 0);
	rec(f, MAIN, RT_EV_THREAD_FORK, 0, 0, 0, W1, 0);
	rec(f, MAIN, RT_EV_PTHREAD_CREATE, PT_W1, 0, 0x401000, 0, 0);
	if (n > 1) {
		rec(f, MAIN, RT_EV_THREAD_FORK, 0, 0, 0, W2, 0);
		rec(f, MAIN, RT_EV_PTHREAD_CREATE, PT_W1 + 1, 0, 0x401000, 0, 0);
	}
}

static void cond_wait(struct fx *f, __u32 tid, __u64 flags)
{
	rec(f, tid, RT_EV_MUTEX_LOCK, MUTEX, 0, 0x402000, 0, 0);
	rec(f, tid, RT_EV_FUTEX_WAKE_RET, 0, 0, 0, 0, 0); /* the lock call returned */
	rec(f, tid, RT_EV_COND_WAIT, COND, MUTEX, 0x402010, flags, RT_OWNER_READ | tid);
	rec(f, tid, RT_EV_FUTEX_WAIT, COND + 40, 0, 0, 0, 0);
}

/* ---- blocked.c ---- */

enum twist { BUG, SIGNALLED, TIMED, PSHARED, OLD_TRACE, RUNNING, EXITED, LOSS };

static void all_blocked(enum twist tw)
{
	struct fx f;
	__u64 flags = RT_COND_READ;

	fx_open(&f, &rt_det_blocked);
	start_workers(&f, 2);
	if (tw == TIMED)
		flags |= RT_COND_TIMED;
	if (tw == PSHARED)
		flags |= RT_COND_PSHARED;
	if (tw == OLD_TRACE)
		flags = 0;
	cond_wait(&f, W1, flags);
	cond_wait(&f, W2, flags);
	if (tw == SIGNALLED)
		rec(&f, MAIN, RT_EV_COND_SIGNAL, COND, 0, 0x403000, 0, 0);
	if (tw == RUNNING) /* a third thread, last seen doing something else */
		rec(&f, OTHER, RT_EV_ALLOC, 0x8000, 0, 0x404000, 16, 0);
	if (tw == EXITED)
		rec(&f, W1, RT_EV_THREAD_EXIT, 0, 0, 0, 0, 0);
	rec(&f, MAIN, RT_EV_PTHREAD_JOIN, PT_W1, 0, 0x401100, 0, 0);
	rec(&f, MAIN, RT_EV_FUTEX_WAIT, 0x7f0100, 0, 0, 0, 0);
	tick(&f, 500 * MS);
	assert_int_equal(findings(&f), 0); /* not yet: RT_ALL_BLOCKED_NS */
	if (tw == LOSS) {
		struct rt_event e;

		memset(&e, 0, sizeof(e));
		e.h.type = RT_EV_TICK;
		e.h.tid = e.h.tgid = PID;
		e.h.ktime = f.t += 1000;
		e.arg = 1; /* one record lost */
		assert_int_equal(hb__event(f.hb, &e), 0);
	}
	tick(&f, 600 * MS);
	tick(&f, 600 * MS);
	if (tw == BUG) {
		assert_int_equal(count(&f, "deadlock", "all-threads"), 1);
		assert_int_equal(findings(&f), 1);
		assert_non_null(strstr(f.buf, "\"threads\":[100,101,102]"));
	} else {
		assert_int_equal(findings(&f), 0);
	}
	fx_close(&f);
}

static void blocked_bug(void **s)
{
	(void)s;
	all_blocked(BUG);
}

static void blocked_clean_twins(void **s)
{
	(void)s;
	all_blocked(SIGNALLED); /* a signal since the waits began may wake one */
	all_blocked(TIMED);	/* timed waits end by themselves */
	all_blocked(PSHARED);	/* another process may signal */
	all_blocked(OLD_TRACE); /* a trace without the cond wait flags: not known */
	all_blocked(RUNNING);	/* one thread is not blocked where we look */
	all_blocked(EXITED);	/* the joined thread has exited: the join returns */
	all_blocked(LOSS);	/* events were lost: the waits are forgotten */
}

/* Only lock waits: a cycle, deadlock.c's; and a cond wait whose signal comes later. */
static void blocked_lock_cycle_and_late_signal(void **s)
{
	struct fx f;

	(void)s;
	fx_open(&f, &rt_det_blocked);
	start_workers(&f, 1);
	rec(&f, W1, RT_EV_MUTEX_LOCK, MUTEX, 0, 0x402000, 0, 0);
	rec(&f, W1, RT_EV_FUTEX_WAKE_RET, 0, 0, 0, 0, 0);
	rec(&f, MAIN, RT_EV_MUTEX_LOCK, MUTEX + 0x100, 0, 0x402100, 0, 0);
	rec(&f, MAIN, RT_EV_FUTEX_WAKE_RET, 0, 0, 0, 0, 0);
	rec(&f, W1, RT_EV_MUTEX_LOCK, MUTEX + 0x100, 0, 0x402200, 0, 0);
	rec(&f, MAIN, RT_EV_MUTEX_LOCK, MUTEX, 0, 0x402300, 0, 0);
	tick(&f, 2000 * MS);
	assert_int_equal(findings(&f), 0);
	fx_close(&f);
}

/* ---- waited.c ---- */

enum wtwist { W_COND, W_COND_BROADCAST, W_MUTEX, W_FREE, W_FREE_AFTER_RETURN };

static void destroy_with_waiter(enum wtwist tw)
{
	struct fx f;

	fx_open(&f, &rt_det_waited);
	start_workers(&f, 1);
	rec(&f, MAIN, RT_EV_ALLOC, BLOCK, 0, 0x405000, 256, 0);
	cond_wait(&f, W1, RT_COND_READ);
	if (tw == W_COND_BROADCAST)
		rec(&f, MAIN, RT_EV_COND_BROADCAST, COND, 0, 0x403000, 0, 0);
	if (tw == W_FREE_AFTER_RETURN) {
		rec(&f, W1, RT_EV_COND_WAIT_RET, COND, MUTEX, 0x402010, 0, 0);
		rec(&f, W1, RT_EV_MUTEX_UNLOCK, MUTEX, 0, 0x402020, 0, RT_OWNER_READ | W1);
	}
	if (tw == W_COND || tw == W_COND_BROADCAST)
		rec(&f, MAIN, RT_EV_COND_DESTROY, COND, 0, 0x406000, 0, 0);
	else if (tw == W_MUTEX)
		rec(&f, MAIN, RT_EV_MUTEX_DESTROY, MUTEX, 0, 0x406000, 0, 0);
	else
		rec(&f, MAIN, RT_EV_FREE, BLOCK, 0, 0x406000, 0, 0);
	tick(&f, 10 * MS);
	switch (tw) {
	case W_COND:
	case W_MUTEX:
		assert_int_equal(count(&f, "destroy-waited", NULL), 1);
		assert_non_null(strstr(f.buf, "\"threads\":[100,101]"));
		break;
	case W_FREE:
		assert_int_equal(count(&f, "destroy-waited", "free"), 1);
		break;
	default:
		break;
	}
	assert_int_equal(findings(&f), tw == W_COND_BROADCAST || tw == W_FREE_AFTER_RETURN ? 0 : 1);
	fx_close(&f);
}

static void waited_bugs(void **s)
{
	(void)s;
	destroy_with_waiter(W_COND);
	destroy_with_waiter(W_MUTEX);
	destroy_with_waiter(W_FREE);
}

static void waited_clean_twins(void **s)
{
	(void)s;
	destroy_with_waiter(W_COND_BROADCAST); /* POSIX: destroy right after a broadcast */
	destroy_with_waiter(W_FREE_AFTER_RETURN);
}

/* ---- misuse.c with the owner word ---- */

static void owner_word(__u16 type, __s64 word, const char *want)
{
	struct fx f;

	fx_open(&f, &rt_det_misuse);
	rec(&f, W1, RT_EV_THREAD_NAME, 0x77, 0, 0, 0, 0);
	if (type == RT_EV_MUTEX_UNLOCK)
		rec(&f, W1, RT_EV_MUTEX_UNLOCK, MUTEX, 0, 0x402020, 0, word);
	else
		rec(&f, W1, RT_EV_COND_WAIT, COND, MUTEX, 0x402010, RT_COND_READ | RT_COND_TIMED,
		    word);
	tick(&f, 10 * MS);
	if (want)
		assert_int_equal(count(&f, want, NULL), 1);
	assert_int_equal(findings(&f), want ? 1 : 0);
	fx_close(&f);
}

static void misuse_never_locked(void **s)
{
	(void)s;
	/* the word says nobody holds it: known, and misused */
	owner_word(RT_EV_MUTEX_UNLOCK, RT_OWNER_READ, "unlock-unheld");
	owner_word(RT_EV_COND_WAIT, RT_OWNER_READ, "cond-wait-unheld");
}

static void misuse_never_locked_twins(void **s)
{
	(void)s;
	/* the caller holds it (we attached after its lock): nothing */
	owner_word(RT_EV_MUTEX_UNLOCK, RT_OWNER_READ | W1, NULL);
	owner_word(RT_EV_COND_WAIT, RT_OWNER_READ | W1, NULL);
	/* another thread holds it, which we never saw lock it: unknown, nothing */
	owner_word(RT_EV_MUTEX_UNLOCK, RT_OWNER_READ | OTHER, NULL);
	/* an older trace: the word was not read */
	owner_word(RT_EV_MUTEX_UNLOCK, 0, NULL);
	owner_word(RT_EV_COND_WAIT, 0, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blocked_bug),
		cmocka_unit_test(blocked_clean_twins),
		cmocka_unit_test(blocked_lock_cycle_and_late_signal),
		cmocka_unit_test(waited_bugs),
		cmocka_unit_test(waited_clean_twins),
		cmocka_unit_test(misuse_never_locked),
		cmocka_unit_test(misuse_never_locked_twins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
