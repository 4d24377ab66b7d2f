// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Go blocking-bug detectors (user/detect/go.c) and the Go lock edges they rest on, fed with
 * hand-built records: double locks (confirmed by time), recursive read locks, RWMutex
 * happens-before, WaitGroup misuse, stuck goroutines and their false-positive rules, global
 * deadlocks, and locks handed over between goroutines (no lock order from them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "hb_fixture.h"
#include "record/event.h"

#define MS 1000000ULL
#define SF 0x80 /* RFLAGS.SF after an RLock's xadd: a writer is pending */

/* The Go call sites' classes the live side marks records with (setup_classes), or none. */
static int (*classify)(void *ctx, __u32 pid, __u64 site);

/* One Go record of goroutine goid (0: a thread's g0), on kernel thread 10, at the clock. */
static void go_rec(struct fixture *f, __u16 type, __u64 goid, __u64 obj, __u64 caller,
		   __u64 arg, __s64 ret)
{
	struct rt_event e;

	memset(&e, 0, sizeof(e));
	e.h.type = type;
	e.h.tid = 10;
	e.h.tgid = 100;
	e.h.goid = goid;
	e.h.ktime = f->t += 1000;
	e.h.stack_id = RT_NO_STACK;
	e.obj = obj;
	e.caller = caller;
	e.arg = arg;
	e.ret = ret;
	rt_event_mark_go_site(&e, classify, NULL);
	assert_int_equal(hb__event(f->hb, &e), 0);
}

static void go_ev(struct fixture *f, __u16 type, __u64 goid, __u64 obj, __u64 caller)
{
	go_rec(f, type, goid, obj, caller, 0, 0);
}

/* A pthread thread's records: Go goroutines and kernel threads are separate actors. */
static void test_thread_is_not_goroutine(void **state)
{
	struct fixture *f = *state;

	fx_event(f, RT_EV_MUTEX_LOCK, 5, 0x7000, 0, 0x401000, 0, 0);
	go_ev(f, RT_EV_GO_LOCK, 5, 0x7100, 0x402000);
	go_ev(f, RT_EV_GO_UNLOCK, 5, 0x7100, 0x402010);
	fx_event(f, RT_EV_MUTEX_UNLOCK, 5, 0x7000, 0, 0x401010, 0, 0);
	assert_int_equal(rt_report__count(f->report), 0);
}

/* Time passes (ms) and the live side sends its tick. */
static void tick(struct fixture *f, __u64 ms)
{
	struct rt_event e;

	f->t += ms * MS;
	memset(&e, 0, sizeof(e));
	e.h.type = RT_EV_TICK;
	e.h.ktime = f->t;
	assert_int_equal(hb__event(f->hb, &e), 0);
}

/* goroutine 1 made on a thread's g0, as runtime.main is: the program's start was seen */
static void go_start(struct fixture *f)
{
	go_ev(f, RT_EV_GO_SPAWN, 0, 0, 0x400100);
	go_rec(f, RT_EV_GO_GO, 0, 1, 0, 0, 0);
}

static void go_spawn(struct fixture *f, __u64 parent, __u64 child, __u64 site)
{
	go_ev(f, RT_EV_GO_SPAWN, parent, 0, site);
	go_rec(f, RT_EV_GO_GO, parent, child, 0, 0, 0);
}

/* The findings so far contain needle (the JSON Lines text). */
static bool said(struct fixture *f, const char *needle)
{
	fflush(f->out);
	return f->buf && strstr(f->buf, needle);
}

static void test_double_lock_confirmed(void **state)
{
	struct fixture *f = *state;

	go_ev(f, RT_EV_GO_LOCK, 5, 0x7000, 0x401000);
	go_ev(f, RT_EV_GO_LOCK_SLOW, 5, 0x7000, 0x402000);
	tick(f, 50); /* not yet: a missed unlock looks the same for a moment */
	assert_int_equal(rt_report__count(f->report), 0);
	tick(f, 100);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"kind\":\"double-lock\""));
	assert_true(said(f, "\"sites\":[\"0x402000\",\"0x401000\"]"));
	/* it stays parked: no leak on top of it */
	tick(f, 10000);
	assert_int_equal(rt_report__count(f->report), 1);
}

static void test_double_lock_missed_unlock(void **state)
{
	struct fixture *f = *state;

	/* the unlock went unseen: lockSlow (contended by someone) returns, holding it */
	go_ev(f, RT_EV_GO_LOCK, 5, 0x7000, 0x401000);
	go_ev(f, RT_EV_GO_LOCK_SLOW, 5, 0x7000, 0x402000);
	go_ev(f, RT_EV_GO_LOCK_SLOW_DONE, 5, 0, 0x402100);
	tick(f, 500);
	go_ev(f, RT_EV_GO_UNLOCK, 5, 0x7000, 0x403000);
	tick(f, 500);
	assert_int_equal(rt_report__count(f->report), 0);
}

static void test_recursive_rlock(void **state)
{
	struct fixture *f = *state;

	go_ev(f, RT_EV_GO_RLOCK, 5, 0x8000, 0x401000);
	go_ev(f, RT_EV_GO_RLOCK, 5, 0x8000, 0x402000);
	assert_int_equal(rt_report__count(f->report), 0);
	/* its own RUnlock shows both holds were its own: no writer came this time, but the
	 * day one does, both deadlock */
	go_ev(f, RT_EV_GO_RUNLOCK, 5, 0x8000, 0x403000);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"detail\":\"recursive-rlock\""));
	assert_true(said(f, "\"sites\":[\"0x402000\",\"0x401000\"]"));
	go_ev(f, RT_EV_GO_RUNLOCK, 5, 0x8000, 0x404000);
	/* two readers, one lock each, are no finding */
	go_ev(f, RT_EV_GO_RLOCK, 5, 0x8000, 0x401000);
	go_ev(f, RT_EV_GO_RLOCK, 6, 0x8000, 0x401000);
	tick(f, 10);
	assert_int_equal(rt_report__count(f->report), 1);
}

static void test_rlock_handed_over(void **state)
{
	struct fixture *f = *state;

	/* a read transaction's lock: opened by 5, a new one opened before the old one is
	 * closed, by another goroutine (bbolt's read transactions in etcd's backend) */
	go_ev(f, RT_EV_GO_RLOCK, 5, 0x8000, 0x401000);
	go_ev(f, RT_EV_GO_RLOCK, 5, 0x8000, 0x401000);
	go_ev(f, RT_EV_GO_RUNLOCK, 6, 0x8000, 0x402000);
	go_ev(f, RT_EV_GO_RUNLOCK, 5, 0x8000, 0x401100);
	tick(f, 10);
	assert_int_equal(rt_report__count(f->report), 0);
}

static void test_recursive_rlock_parked(void **state)
{
	struct fixture *f = *state;

	/* the deadlock itself: a writer came between the two read locks */
	go_ev(f, RT_EV_GO_RLOCK, 5, 0x8000, 0x401000);
	go_ev(f, RT_EV_GO_WLOCK, 6, 0x8000, 0x402000);
	go_rec(f, RT_EV_GO_RLOCK, 5, 0x8000, 0x401100, SF, 0);
	tick(f, 150);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"detail\":\"recursive-rlock\""));
}

/* An RLock queued behind a waiting writer is a reader waiting its turn, not a recursion. */
static void test_rlock_behind_writer(void **state)
{
	struct fixture *f = *state;

	go_ev(f, RT_EV_GO_RLOCK, 6, 0x8000, 0x401000);
	go_ev(f, RT_EV_GO_WLOCK, 7, 0x8000, 0x402000);
	go_rec(f, RT_EV_GO_RLOCK, 5, 0x8000, 0x403000, SF, 0);
	tick(f, 150);
	tick(f, 150);
	assert_int_equal(rt_report__count(f->report), 0);
}

/* The process exits 20 ms after a double lock: settled at the exit, not lost. */
static void test_double_lock_at_exit(void **state)
{
	struct fixture *f = *state;

	go_ev(f, RT_EV_GO_LOCK, 5, 0x7000, 0x401000);
	go_ev(f, RT_EV_GO_LOCK_SLOW, 5, 0x7000, 0x402000);
	tick(f, 20);
	/* 6 parks on a mutex it holds just before the exit: too short to tell a missed unlock */
	go_ev(f, RT_EV_GO_LOCK, 6, 0x7100, 0x403000);
	go_ev(f, RT_EV_GO_LOCK_SLOW, 6, 0x7100, 0x403100);
	assert_int_equal(rt_report__count(f->report), 0);
	go_ev(f, RT_EV_PROC_EXIT, 1, 0, 0x404000);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"kind\":\"double-lock\""));
	assert_true(said(f, "\"sites\":[\"0x402000\",\"0x401000\"]"));
	/* the threads' exits after it change nothing */
	fx_event(f, RT_EV_THREAD_EXIT, 10, 0, 0, 0, 0, 1);
	tick(f, 200);
	assert_int_equal(rt_report__count(f->report), 1);
}

static void test_rwmutex_edges(void **state)
{
	struct fixture *f = *state;

	/* reader 5 -> writer 6: RUnlock happens before the writer's Lock returns */
	go_ev(f, RT_EV_GO_RLOCK, 5, 0x8000, 0x401000);
	go_ev(f, RT_EV_GO_MAP_WRITE, 5, 0x5000, 0x401010);
	go_ev(f, RT_EV_GO_RUNLOCK, 5, 0x8000, 0x401020);
	go_ev(f, RT_EV_GO_WLOCK, 6, 0x8000, 0x402000);
	/* the RWMutex's own Mutex inside Lock: not a lock of its own */
	go_ev(f, RT_EV_GO_LOCK_SLOW, 6, 0x8000, 0x470000);
	go_ev(f, RT_EV_GO_LOCK_SLOW_DONE, 6, 0, 0x470010);
	assert_int_equal(hb__vc_get_key(f->hb, RT_GO_KEY | 6, RT_GO_KEY | 5), 0);
	go_ev(f, RT_EV_GO_WLOCK_DONE, 6, 0, 0x402010);
	assert_true(hb__vc_get_key(f->hb, RT_GO_KEY | 6, RT_GO_KEY | 5) > 0);
	/* writer 6 -> reader 7, which found the writer there (SF) and parked until its Unlock */
	go_rec(f, RT_EV_GO_RLOCK, 7, 0x8000, 0x403000, SF, 0);
	go_ev(f, RT_EV_GO_MAP_WRITE, 6, 0x5000, 0x402020);
	go_ev(f, RT_EV_GO_WUNLOCK, 6, 0x8000, 0x402030);
	go_ev(f, RT_EV_GO_MAP_READ, 7, 0x5000, 0x403010);
	assert_true(hb__vc_get_key(f->hb, RT_GO_KEY | 7, RT_GO_KEY | 6) >=
		    hb__vc_get_key(f->hb, RT_GO_KEY | 6, RT_GO_KEY | 6) - 1);
	go_ev(f, RT_EV_GO_RUNLOCK, 7, 0x8000, 0x403020);
	tick(f, 10);
	assert_int_equal(rt_report__count(f->report), 0);
}

static void test_wlock_while_reading(void **state)
{
	struct fixture *f = *state;

	go_ev(f, RT_EV_GO_RLOCK, 5, 0x8000, 0x401000);
	go_ev(f, RT_EV_GO_WLOCK, 5, 0x8000, 0x402000);
	tick(f, 150);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"kind\":\"double-lock\""));
	assert_true(said(f, "sync.RWMutex"));
}

static void test_waitgroup_add_after_wait(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_spawn(f, 1, 2, 0x400200);
	go_ev(f, RT_EV_GO_WG_WAIT, 1, 0x9000, 0x401000); /* the counter is 0: returns at once */
	go_ev(f, RT_EV_GO_WG_WAIT_DONE, 1, 0, 0x401010);
	go_rec(f, RT_EV_GO_WG_ADD, 2, 0x9000, 0x402000, 1, 0);
	go_rec(f, RT_EV_GO_WG_ADD, 2, 0x9000, 0x402010, -1, 0);
	tick(f, 10);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"detail\":\"add-after-wait\""));
	assert_true(said(f, "\"threads\":[2,1]"));
}

static void test_waitgroup_reuse_is_fine(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	/* Add, go, Wait, again and again: the Adds follow the Waits (same goroutine) */
	go_rec(f, RT_EV_GO_WG_ADD, 1, 0x9000, 0x401000, 2, 0);
	go_spawn(f, 1, 2, 0x400200);
	go_rec(f, RT_EV_GO_WG_ADD, 2, 0x9000, 0x402000, -1, 0);
	go_rec(f, RT_EV_GO_WG_ADD, 1, 0x9000, 0x401010, -1, 0);
	go_ev(f, RT_EV_GO_WG_WAIT, 1, 0x9000, 0x401020);
	go_ev(f, RT_EV_GO_WG_WAIT_DONE, 1, 0, 0x401030);
	go_rec(f, RT_EV_GO_WG_ADD, 1, 0x9000, 0x401000, 1, 0);
	/* a WaitGroup in reused memory: a goroutine that never met the old waiter */
	go_ev(f, RT_EV_GO_WG_WAIT, 1, 0xa000, 0x401020);
	go_ev(f, RT_EV_GO_WG_WAIT_DONE, 1, 0, 0x401030);
	go_ev(f, RT_EV_GO_EXIT, 2, 0, 0);
	go_ev(f, RT_EV_GO_SPAWN, 0, 0, 0x400300); /* a timer's goroutine: made on a g0 */
	go_rec(f, RT_EV_GO_GO, 0, 3, 0, 0, 0);
	go_rec(f, RT_EV_GO_WG_ADD, 3, 0xa000, 0x403000, 1, 0);
	tick(f, 10);
	assert_int_equal(rt_report__count(f->report), 0);
}

static void test_waitgroup_negative(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_rec(f, RT_EV_GO_WG_ADD, 1, 0x9000, 0x401000, 1, 0);
	go_rec(f, RT_EV_GO_WG_ADD, 1, 0x9000, 0x401010, -1, 0);
	go_rec(f, RT_EV_GO_WG_ADD, 1, 0x9000, 0x401020, -1, 0);
	tick(f, 10);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"detail\":\"negative-counter\""));
}

static void test_waitgroup_unknown_without_start(void **state)
{
	struct fixture *f = *state;

	/* attached mid-run: the counter is not known, so no WaitGroup finding */
	go_rec(f, RT_EV_GO_WG_ADD, 1, 0x9000, 0x401010, -1, 0);
	tick(f, 10);
	assert_int_equal(rt_report__count(f->report), 0);
}

static void go_select(struct fixture *f, __u64 goid, __u64 c0, __u64 c1, __u64 c2,
		      __u64 nsends, __u64 nrecvs, __u64 site);

/* goroutine goid makes a channel ch at site: elem is its element size */
static void go_make(struct fixture *f, __u64 goid, __u64 ch, __u64 site, __s64 elem)
{
	go_rec(f, RT_EV_GO_CHAN_NEW, goid, ch, 0x470200, site, RT_GO_FIELD_READ | elem);
}

static void test_stuck_goroutines(void **state)
{
	struct fixture *f = *state;

	/* 2 makes the channels and hands them to 5..9, then leaves: nobody else can reach them */
	go_spawn(f, 1, 2, 0x400900);
	go_make(f, 2, 0x6000, 0x400910, 8);
	go_make(f, 2, 0x6100, 0x400920, 8);
	go_make(f, 2, 0x6300, 0x400940, 8);
	go_make(f, 1, 0x6200, 0x400930, 0);
	go_make(f, 1, 0x6400, 0x400950, 8);
	go_spawn(f, 2, 5, 0x400960);
	go_spawn(f, 2, 6, 0x400970);
	go_spawn(f, 2, 8, 0x400990);
	/* 7 and 9 come from 1: they cannot know 2's channels but the done and signal ones */
	go_spawn(f, 1, 7, 0x400980);
	go_spawn(f, 1, 9, 0x4009a0);
	go_ev(f, RT_EV_GO_EXIT, 2, 0, 0x470000);
	/* a sender parked on a channel nobody drains: stuck, even at a site that sent before */
	go_ev(f, RT_EV_GO_CHAN_SEND, 5, 0x6000, 0x401000);
	go_ev(f, RT_EV_GO_CHAN_SEND_DONE, 5, 0, 0x470000);
	go_ev(f, RT_EV_GO_CHAN_SEND, 5, 0x6000, 0x401000);
	/* a receive loop whose only sender left: stuck, even at a site that received before */
	go_ev(f, RT_EV_GO_CHAN_RECV, 6, 0x6100, 0x402000);
	go_ev(f, RT_EV_GO_CHAN_RECV_DONE, 6, 0, 0x470100);
	go_ev(f, RT_EV_GO_CHAN_RECV, 6, 0x6100, 0x402000);
	/* waiting on a chan struct{} (a done channel): waits for shutdown, not stuck */
	go_ev(f, RT_EV_GO_CHAN_RECV, 7, 0x6200, 0x403010);
	/* waiting on a data channel nobody sends to: stuck */
	go_ev(f, RT_EV_GO_CHAN_RECV, 8, 0x6300, 0x404010);
	/* waiting for a signal */
	go_ev(f, RT_EV_GO_SIGNAL_NOTIFY, 9, 0x6400, 0x405000);
	go_ev(f, RT_EV_GO_CHAN_RECV, 9, 0x6400, 0x405010);
	/* 1 runs on (it is not parked): it never made nor received these channels */
	tick(f, 6000);
	assert_int_equal(rt_report__count(f->report), 3);
	assert_true(said(f, "goroutine 5 has been blocked sending"));
	assert_true(said(f, "goroutine 6 has been blocked receiving"));
	assert_true(said(f, "goroutine 8 has been blocked receiving"));
}

/* Workers idle in `for j := range jobs` while the producer lives: never a leak. */
static void test_idle_pool_not_leaked(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_make(f, 1, 0x6000, 0x401000, 8);
	go_spawn(f, 1, 5, 0x401010);
	go_spawn(f, 1, 6, 0x401010);
	go_spawn(f, 1, 7, 0x401020); /* the producer */
	/* neither worker has received anything yet */
	go_ev(f, RT_EV_GO_CHAN_RECV, 5, 0x6000, 0x402000);
	go_ev(f, RT_EV_GO_CHAN_RECV, 6, 0x6000, 0x402000);
	/* main waits for a shutdown signal; the producer sleeps between jobs (not parked) */
	go_make(f, 1, 0x6100, 0x401030, 0);
	go_ev(f, RT_EV_GO_CHAN_RECV, 1, 0x6100, 0x401040);
	tick(f, 6000);
	tick(f, 6000);
	assert_int_equal(rt_report__count(f->report), 0);
	/* the producer parks on a ticker: still a goroutine that can run */
	go_rec(f, RT_EV_GO_CHAN_NEW, 7, 0x6200, 0x470200, 0x400210, RT_GO_FIELD_READ | 24);
	go_ev(f, RT_EV_GO_CHAN_RECV, 7, 0x6200, 0x403000);
	tick(f, 6000);
	tick(f, 6000);
	assert_int_equal(rt_report__count(f->report), 0);
	/* the producer leaves without closing: the workers can never be woken */
	go_ev(f, RT_EV_GO_CHAN_RECV_DONE, 7, 0, 0x470100);
	go_ev(f, RT_EV_GO_EXIT, 7, 0, 0x470000);
	tick(f, 6000);
	assert_false(said(f, "goroutine 5 has been blocked")); /* main, the maker, still can */
}

/* A slow test: goroutine 1 waits in testing.(*T).Run for the test's goroutine. */
static void test_slow_test_not_leaked(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_make(f, 1, 0x6000, 0x401000, 1); /* t.signal, a chan bool */
	go_spawn(f, 1, 5, 0x401010);	    /* go tRunner(t, f) */
	go_ev(f, RT_EV_GO_CHAN_RECV, 1, 0x6000, 0x401020);
	go_ev(f, RT_EV_GO_MAP_WRITE, 5, 0x5000, 0x402000);
	tick(f, 6000);
	tick(f, 6000);
	assert_int_equal(rt_report__count(f->report), 0);
	/* the test's goroutine waits for a reply from a server goroutine it started */
	go_make(f, 5, 0x6100, 0x402010, 8);
	go_spawn(f, 5, 6, 0x402020);
	go_ev(f, RT_EV_GO_CHAN_RECV, 5, 0x6100, 0x402030);
	tick(f, 6000);
	tick(f, 6000);
	assert_int_equal(rt_report__count(f->report), 0);
}

/*
 * Hold-and-wait: 5 keeps a read lock while it waits for a reply; writer 6 queues on the lock
 * and 7, who was to reply, queues behind the writer. main (1) runs on, so no goroutine is
 * unreachable and nothing is a leak: the held lock is what blocks them.
 */
static void test_hold_and_wait_rlock(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_make(f, 1, 0x6000, 0x401000, 8);
	go_spawn(f, 1, 5, 0x401010);
	go_spawn(f, 1, 6, 0x401020);
	go_spawn(f, 1, 7, 0x401030);
	go_ev(f, RT_EV_GO_RLOCK, 5, 0x8000, 0x402000);
	go_ev(f, RT_EV_GO_CHAN_RECV, 5, 0x6000, 0x402010);
	go_ev(f, RT_EV_GO_WLOCK, 6, 0x8000, 0x403000);
	go_rec(f, RT_EV_GO_RLOCK, 7, 0x8000, 0x404000, SF, 0);
	tick(f, 1000); /* not yet: a lock held across a short wait is contention */
	assert_int_equal(rt_report__count(f->report), 0);
	tick(f, 5000);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"kind\":\"hang\""));
	assert_true(said(f, "\"detail\":\"hold-and-wait\""));
	/* the first waiter's call, the holder's RLock, the holder's receive */
	assert_true(said(f, "\"sites\":[\"0x403000\",\"0x402000\",\"0x402010\"]"));
	assert_true(said(f, "\"threads\":[6,5,7]"));
	/* once per park of the holder; the parks it explains are no leak either */
	tick(f, 6000);
	tick(f, 6000);
	assert_int_equal(rt_report__count(f->report), 1);
	/* 8 queues later, behind the same held lock: the same finding, and no leak */
	go_spawn(f, 1, 8, 0x401040);
	go_rec(f, RT_EV_GO_RLOCK, 8, 0x8000, 0x405000, SF, 0);
	tick(f, 6000);
	tick(f, 6000);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_false(said(f, "goroutine 8 has been blocked"));
}

/* A Mutex held across a sync.Cond wait on another lock's Cond; the signaller needs it. */
static void test_hold_and_wait_cond(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_spawn(f, 1, 5, 0x401010);
	go_spawn(f, 1, 6, 0x401020);
	go_ev(f, RT_EV_GO_LOCK, 5, 0x7000, 0x402000);	/* the stats mutex */
	go_ev(f, RT_EV_GO_LOCK, 5, 0x7100, 0x402010);	/* the Cond's own mutex */
	go_ev(f, RT_EV_GO_UNLOCK, 5, 0x7100, 0x470300); /* Cond.Wait releases it ... */
	go_ev(f, RT_EV_GO_COND_WAIT, 5, 0x9000, 0x402020);
	go_ev(f, RT_EV_GO_LOCK_SLOW, 6, 0x7000, 0x403000); /* contended: the slow path */
	tick(f, 6000);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"detail\":\"hold-and-wait\""));
	assert_true(said(f, "\"sites\":[\"0x403000\",\"0x402000\",\"0x402020\"]"));
	assert_true(said(f, "waiting on Cond"));
}

/* What is no hold-and-wait: a slow holder, a lock released before the wait, a timed wait. */
static void test_hold_and_wait_clean(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_make(f, 1, 0x6000, 0x401000, 8);
	go_spawn(f, 1, 5, 0x401010);
	go_spawn(f, 1, 6, 0x401020);
	go_spawn(f, 1, 7, 0x401030);
	go_spawn(f, 1, 8, 0x401040);
	/* 5 holds 0x7000 and runs (sleeps, computes): 6 waits long for a slow holder */
	go_ev(f, RT_EV_GO_LOCK, 5, 0x7000, 0x402000);
	go_ev(f, RT_EV_GO_LOCK_SLOW, 6, 0x7000, 0x403000); /* contended: the slow path */
	/* 7 released its read lock before it waits for the reply; writer 8 got the lock */
	go_ev(f, RT_EV_GO_RLOCK, 7, 0x8000, 0x404000);
	go_ev(f, RT_EV_GO_RUNLOCK, 7, 0x8000, 0x404010);
	go_ev(f, RT_EV_GO_CHAN_RECV, 7, 0x6000, 0x404020);
	go_ev(f, RT_EV_GO_WLOCK, 8, 0x8000, 0x405000);
	go_ev(f, RT_EV_GO_WLOCK_DONE, 8, 0, 0x405010);
	tick(f, 6000);
	tick(f, 6000);
	assert_int_equal(rt_report__count(f->report), 0);
	/* 5 now waits on a ticker's channel while 6 still waits for its lock: a bounded wait */
	go_rec(f, RT_EV_GO_CHAN_NEW, 5, 0x6200, 0x470200, 0x400210, RT_GO_FIELD_READ | 24);
	go_ev(f, RT_EV_GO_CHAN_RECV, 5, 0x6200, 0x402030);
	tick(f, 6000);
	tick(f, 6000);
	assert_int_equal(rt_report__count(f->report), 0);
}

/* A sender whose only receiver left the select that could have taken it (a timeout). */
static void test_abandoned_by_select(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_make(f, 1, 0x6000, 0x401000, 8);
	go_spawn(f, 1, 5, 0x401010);
	go_rec(f, RT_EV_GO_CHAN_NEW, 1, 0x6100, 0x470200, 0x400210, RT_GO_FIELD_READ | 24);
	go_select(f, 1, 0x6000, 0x6100, 0, 0, 2, 0x401020);
	go_rec(f, RT_EV_GO_SELECT_DONE, 1, 1, 0x470000, 0, 0); /* the timer's case */
	go_ev(f, RT_EV_GO_CHAN_SEND, 5, 0x6000, 0x402000);
	tick(f, 6000);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "goroutine 5 has been blocked sending"));
	/* had 1 taken the channel's case, it would be a receiver that can come back */
	go_make(f, 1, 0x6200, 0x401100, 8);
	go_spawn(f, 1, 6, 0x401110);
	go_select(f, 1, 0x6200, 0x6100, 0, 0, 2, 0x401120);
	go_rec(f, RT_EV_GO_SELECT_DONE, 1, 0, 0x470000, 0, 0);
	go_ev(f, RT_EV_GO_CHAN_SEND, 6, 0x6200, 0x403000);
	tick(f, 6000);
	assert_int_equal(rt_report__count(f->report), 1);
}

/* WaitGroup waits and Mutex waits with holders that can run: not leaks; without: leaks. */
static void test_wait_with_live_holders(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_rec(f, RT_EV_GO_WG_ADD, 1, 0x9000, 0x401000, 2, 0);
	go_spawn(f, 1, 5, 0x401010);
	go_spawn(f, 1, 6, 0x401010);
	go_ev(f, RT_EV_GO_WG_WAIT, 1, 0x9000, 0x401020);
	/* 5 holds a Mutex and works; 6 waits for it */
	go_ev(f, RT_EV_GO_LOCK, 5, 0x7000, 0x402000);
	go_ev(f, RT_EV_GO_LOCK_SLOW, 6, 0x7000, 0x403000);
	tick(f, 6000);
	tick(f, 6000);
	assert_int_equal(rt_report__count(f->report), 0);
	/* 5 blocks for good on a channel nobody can reach (made by a goroutine that left) */
	go_spawn(f, 5, 7, 0x402100);
	go_make(f, 7, 0x6000, 0x404000, 8);
	go_rec(f, RT_EV_GO_CHAN_SEND, 7, 0x6000, 0x404010, 0, 0);
	go_rec(f, RT_EV_GO_CHAN_SEND_DONE, 7, 0, 0x470000, 0, 0);
	go_ev(f, RT_EV_GO_EXIT, 7, 0, 0x470000);
	go_ev(f, RT_EV_GO_CHAN_RECV, 5, 0x6000, 0x402010);
	/* 6 waits for 5, 1 for 5 and 6: no one can run, a global deadlock (not three leaks) */
	tick(f, 500);
	tick(f, 6000);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"kind\":\"deadlock\""));
}

/* goroutine parent runs `go tRunner(t, f)` (package testing): child runs a test function */
static void go_spawn_test(struct fixture *f, __u64 parent, __u64 child)
{
	go_rec(f, RT_EV_GO_SPAWN, parent, 0, 0x400300, 0, 0);
	go_rec(f, RT_EV_GO_GO, parent, child, 0, 0, 0);
}

/* goleak's rule: goroutines a test made and left parked when it returned. */
static void test_leak_after_test(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_make(f, 1, 0x6000, 0x401000, 1);
	go_spawn_test(f, 1, 5);
	go_ev(f, RT_EV_GO_CHAN_RECV, 1, 0x6000, 0x401010);
	/* TestLeak: 6 blocks on a channel, 7 on ctx.Done() (a chan struct{}), 8 on a Mutex the
	 * test keeps; 9 (made by 6) sleeps on a timer; 10 is joined */
	go_make(f, 5, 0x6100, 0x402000, 8);
	go_make(f, 5, 0x6200, 0x402010, 0);
	go_ev(f, RT_EV_GO_LOCK, 5, 0x7000, 0x402020);
	go_spawn(f, 5, 6, 0x402030);
	go_spawn(f, 5, 7, 0x402040);
	go_spawn(f, 5, 8, 0x402050);
	go_spawn(f, 5, 10, 0x402060);
	go_spawn(f, 6, 9, 0x403000);
	go_ev(f, RT_EV_GO_CHAN_RECV, 6, 0x6100, 0x403010);
	go_ev(f, RT_EV_GO_CHAN_RECV, 7, 0x6200, 0x404000);
	go_ev(f, RT_EV_GO_LOCK_SLOW, 8, 0x7000, 0x405000);
	go_rec(f, RT_EV_GO_CHAN_NEW, 9, 0x6300, 0x470200, 0x400210, RT_GO_FIELD_READ | 24);
	go_ev(f, RT_EV_GO_CHAN_RECV, 9, 0x6300, 0x406000);
	go_ev(f, RT_EV_GO_EXIT, 10, 0, 0x470000);
	/* not yet: the test still runs */
	tick(f, 2000);
	assert_int_equal(rt_report__count(f->report), 0);
	/* the test function returns; goroutine 1 goes on (the next test) */
	go_ev(f, RT_EV_GO_EXIT, 5, 0, 0x470000);
	go_ev(f, RT_EV_GO_CHAN_RECV_DONE, 1, 0, 0x470100);
	tick(f, 100);
	assert_int_equal(rt_report__count(f->report), 0); /* a moment to finish */
	tick(f, 1000);
	assert_int_equal(rt_report__count(f->report), 3);
	assert_true(said(f, "\"detail\":\"after-test\""));
	assert_true(said(f, "goroutine 6, started by a test, is still blocked receiving"));
	assert_true(said(f, "goroutine 7, started by a test"));
	assert_true(said(f, "goroutine 8, started by a test, is still blocked locking Mutex"));
	tick(f, 10000);
	assert_int_equal(rt_report__count(f->report), 3);
}

/* A test binary exits right after its test: the leak is settled at the exit. */
static void test_leak_settled_at_exit(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_spawn_test(f, 1, 5);
	go_make(f, 5, 0x6100, 0x402000, 8);
	go_spawn(f, 5, 6, 0x402030);
	go_ev(f, RT_EV_GO_CHAN_RECV, 6, 0x6100, 0x403010);
	go_ev(f, RT_EV_GO_EXIT, 5, 0, 0x470000);
	/* a second test that does not return before the exit: its goroutines are not judged */
	go_spawn_test(f, 1, 7);
	go_spawn(f, 7, 8, 0x404000);
	go_make(f, 8, 0x6200, 0x404010, 8);
	go_ev(f, RT_EV_GO_CHAN_RECV, 8, 0x6200, 0x404020);
	tick(f, 200);
	assert_int_equal(rt_report__count(f->report), 0);
	go_ev(f, RT_EV_PROC_EXIT, 1, 0, 0x401000);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "goroutine 6, started by a test"));
}

/*
 * TestOK's sender: the test takes its value and returns, and the binary exits before the
 * sender (made ready by the receive) ran again: not a leak. Two senders parked on one channel
 * and one receive: one of them is left behind, reported.
 */
static void test_leak_woken_at_exit(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_spawn_test(f, 1, 5);
	go_make(f, 5, 0x6100, 0x402000, 8);
	go_spawn(f, 5, 6, 0x402030);
	go_ev(f, RT_EV_GO_CHAN_SEND, 6, 0x6100, 0x403010);
	go_ev(f, RT_EV_GO_CHAN_RECV, 5, 0x6100, 0x402040);
	go_ev(f, RT_EV_GO_CHAN_RECV_DONE, 5, 0, 0x470100);
	go_ev(f, RT_EV_GO_EXIT, 5, 0, 0x470000);
	go_ev(f, RT_EV_PROC_EXIT, 1, 0, 0x401000);
	assert_int_equal(rt_report__count(f->report), 0);
}

static void test_leak_two_senders_one_taken(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_spawn_test(f, 1, 5);
	go_make(f, 5, 0x6100, 0x402000, 8);
	go_spawn(f, 5, 6, 0x402030);
	go_spawn(f, 5, 7, 0x402030);
	go_ev(f, RT_EV_GO_CHAN_SEND, 6, 0x6100, 0x403010);
	go_ev(f, RT_EV_GO_CHAN_SEND, 7, 0x6100, 0x403010);
	go_ev(f, RT_EV_GO_CHAN_RECV, 5, 0x6100, 0x402040); /* the first result only */
	go_ev(f, RT_EV_GO_CHAN_RECV_DONE, 5, 0, 0x470100);
	go_ev(f, RT_EV_GO_EXIT, 5, 0, 0x470000);
	go_ev(f, RT_EV_PROC_EXIT, 1, 0, 0x401000);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"detail\":\"after-test\""));
}

/* The clean twin: the test joins its goroutines before it returns. */
static void test_no_leak_joined(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_spawn_test(f, 1, 5);
	go_rec(f, RT_EV_GO_WG_ADD, 5, 0x9000, 0x402000, 1, 0);
	go_make(f, 5, 0x6100, 0x402010, 8);
	go_spawn(f, 5, 6, 0x402030);
	go_ev(f, RT_EV_GO_CHAN_RECV, 6, 0x6100, 0x403010);
	go_ev(f, RT_EV_GO_CHAN_SEND, 5, 0x6100, 0x402040);
	go_ev(f, RT_EV_GO_CHAN_RECV_DONE, 6, 0, 0x470100);
	go_ev(f, RT_EV_GO_CHAN_SEND_DONE, 5, 0, 0x470100);
	go_ev(f, RT_EV_GO_WG_WAIT, 5, 0x9000, 0x402050);
	go_rec(f, RT_EV_GO_WG_ADD, 6, 0x9000, 0x403020, -1, 0);
	go_ev(f, RT_EV_GO_EXIT, 6, 0, 0x470000);
	go_ev(f, RT_EV_GO_WG_WAIT_DONE, 5, 0, 0x470100);
	go_ev(f, RT_EV_GO_EXIT, 5, 0, 0x470000);
	tick(f, 2000);
	go_ev(f, RT_EV_PROC_EXIT, 1, 0, 0x401000);
	assert_int_equal(rt_report__count(f->report), 0);
}

/*
 * A site class for the tests: 0x4001xx is the runtime's, 0x4002xx package time's, 0x4003xx
 * package testing's.
 */
static int test_class(void *ctx, __u32 pid, __u64 site)
{
	(void)ctx;
	(void)pid;
	if ((site & ~0xffULL) == 0x400300)
		return RT_SITE_GO_TESTING;
	if ((site & ~0xffULL) == 0x400100)
		return RT_SITE_GO_RUNTIME;
	if ((site & ~0xffULL) == 0x400200)
		return RT_SITE_GO_TIME;
	return 0;
}

static int setup_classes(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->out = open_memstream(&f->buf, &f->len);
	f->report = rt_report__new(&(struct rt_report_opts){ .out = f->out, .json = true });
	f->hb = hb__new(&(struct hb_opts){ .report = f->report });
	classify = test_class;
	assert_non_null(f->hb);
	assert_int_equal(rt_detectors_add(f->hb), 0);
	*state = f;
	return 0;
}

static int teardown_classes(void **state)
{
	classify = NULL;
	return teardown(state);
}

static void test_global_deadlock(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_spawn(f, 1, 17, 0x400150); /* a runtime goroutine (forcegc, GC workers): not counted */
	go_spawn(f, 1, 18, 0x401000);
	go_ev(f, RT_EV_GO_CHAN_RECV, 1, 0x6000, 0x401100);
	go_ev(f, RT_EV_GO_CHAN_SEND, 18, 0x6100, 0x402100);
	tick(f, 100);
	assert_int_equal(rt_report__count(f->report), 0); /* not for long enough yet */
	tick(f, 300);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"kind\":\"deadlock\",\"detail\":\"all-goroutines\""));
	assert_true(said(f, "\"threads\":[1,18]"));
	/* once; and no leaks on top of it */
	tick(f, 10000);
	assert_int_equal(rt_report__count(f->report), 1);
}

static void test_no_global_deadlock_on_timers(void **state)
{
	struct fixture *f = *state;

	go_start(f);
	go_spawn(f, 1, 18, 0x401000);
	/* a timer's channel (made in package time): the timer will send */
	go_rec(f, RT_EV_GO_CHAN_NEW, 1, 0x6000, 0x470000, 0x400210, RT_GO_FIELD_READ | 24);
	go_ev(f, RT_EV_GO_CHAN_RECV, 1, 0x6000, 0x401100);
	go_ev(f, RT_EV_GO_CHAN_SEND, 18, 0x6100, 0x402100);
	tick(f, 1000);
	assert_false(said(f, "\"kind\":\"deadlock\""));
	/* a goroutine that is not parked where we look (running, sleeping, in a syscall) */
	go_ev(f, RT_EV_GO_CHAN_RECV_DONE, 1, 0, 0x470100);
	tick(f, 1000);
	assert_false(said(f, "\"kind\":\"deadlock\""));
}

static void test_handoff_lock_no_order(void **state)
{
	struct fixture *f = *state;

	/* a transaction's lock: taken by 1, released by 2 (Go allows it) */
	go_ev(f, RT_EV_GO_LOCK, 1, 0x7000, 0x401000);
	go_ev(f, RT_EV_GO_LOCK, 1, 0x7100, 0x401010);
	go_ev(f, RT_EV_GO_UNLOCK, 1, 0x7100, 0x401020);
	go_ev(f, RT_EV_GO_UNLOCK, 2, 0x7000, 0x402000);
	/* 2 then takes B before A: no inversion, A is handed over, not an ordering lock */
	go_ev(f, RT_EV_GO_LOCK, 2, 0x7100, 0x402010);
	go_ev(f, RT_EV_GO_LOCK, 2, 0x7000, 0x402020);
	go_ev(f, RT_EV_GO_UNLOCK, 2, 0x7000, 0x402030);
	go_ev(f, RT_EV_GO_UNLOCK, 2, 0x7100, 0x402040);
	tick(f, 10);
	assert_int_equal(rt_report__count(f->report), 0);
}

static void test_go_inversion_names_goroutines(void **state)
{
	struct fixture *f = *state;

	go_ev(f, RT_EV_GO_LOCK, 5, 0x7000, 0x401000);
	go_ev(f, RT_EV_GO_LOCK, 5, 0x7100, 0x401010);
	go_ev(f, RT_EV_GO_UNLOCK, 5, 0x7100, 0x401020);
	go_ev(f, RT_EV_GO_UNLOCK, 5, 0x7000, 0x401030);
	go_ev(f, RT_EV_GO_LOCK, 6, 0x7100, 0x402000);
	go_ev(f, RT_EV_GO_LOCK, 6, 0x7000, 0x402010);
	tick(f, 10);
	assert_int_equal(rt_report__count(f->report), 1);
	/* the goroutine ids, not the kernel thread they both ran on */
	assert_true(said(f, "\"threads\":[6,5]") || said(f, "\"threads\":[5,6]"));
}

/* A select's entry record: channels of cases 0..2, nsends, nrecvs, block. */
static void go_select(struct fixture *f, __u64 goid, __u64 c0, __u64 c1, __u64 c2,
		      __u64 nsends, __u64 nrecvs, __u64 site)
{
	struct rt_event e;

	memset(&e, 0, sizeof(e));
	e.h.type = RT_EV_GO_SELECT;
	e.h.tid = 10;
	e.h.tgid = 100;
	e.h.goid = goid;
	e.h.ktime = f->t += 1000;
	e.h.stack_id = RT_NO_STACK;
	e.obj = c0;
	e.obj2 = c1;
	e.arg = c2;
	e.ret = (__s64)(nsends | nrecvs << 16 | 1ULL << 32);
	e.caller = site;
	assert_int_equal(hb__event(f->hb, &e), 0);
}

static void test_select_edges(void **state)
{
	struct fixture *f = *state;

	/* 5 writes the map, then sends it over case 0 of a select */
	go_ev(f, RT_EV_GO_MAP_WRITE, 5, 0x5000, 0x401000);
	go_select(f, 5, 0x6000, 0x6100, 0, 1, 1, 0x401010);
	go_rec(f, RT_EV_GO_SELECT_DONE, 5, 0, 0x470000, 0, 0);
	/* 6 receives it in case 1 of its select ({send 0x6200, recv 0x6000}) */
	go_select(f, 6, 0x6200, 0x6000, 0, 1, 1, 0x402000);
	go_rec(f, RT_EV_GO_SELECT_DONE, 6, 1, 0x470000, 0, 0);
	go_ev(f, RT_EV_GO_MAP_WRITE, 6, 0x5000, 0x402010);
	tick(f, 10);
	assert_int_equal(rt_report__count(f->report), 0);
	/* without the edge: 7 chose a default (-1), and writes */
	go_select(f, 7, 0x6000, 0, 0, 0, 1, 0x403000);
	go_rec(f, RT_EV_GO_SELECT_DONE, 7, (__u64)-1, 0x470000, 0, 0);
	go_ev(f, RT_EV_GO_MAP_WRITE, 7, 0x5000, 0x403010);
	tick(f, 10);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"kind\":\"go-map-race\""));
}

static void test_select_stuck_or_waiting(void **state)
{
	struct fixture *f = *state;

	/* two data channels nobody else can reach (5 made them): stuck */
	go_make(f, 5, 0x6000, 0x400f00, 8);
	go_make(f, 5, 0x6100, 0x400f10, 8);
	go_make(f, 6, 0x6200, 0x400f20, 8);
	go_make(f, 7, 0x6400, 0x400f30, 8);
	go_select(f, 5, 0x6000, 0x6100, 0, 0, 2, 0x401000);
	/* one case is a timer's channel: it waits */
	go_rec(f, RT_EV_GO_CHAN_NEW, 6, 0x6300, 0x470200, 0x400210, RT_GO_FIELD_READ | 24);
	go_select(f, 6, 0x6200, 0x6300, 0, 0, 2, 0x402000);
	/* one case is a done channel (chan struct{}): it waits for shutdown */
	go_rec(f, RT_EV_GO_CHAN_NEW, 7, 0x6500, 0x470200, 0x403000, RT_GO_FIELD_READ | 0);
	go_select(f, 7, 0x6400, 0x6500, 0, 0, 2, 0x403010);
	tick(f, 6000);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "goroutine 5 has been blocked in a select"));
}

static void test_once_edge(void **state)
{
	struct fixture *f = *state;

	/* 5 runs the Once's function (doSlow), which builds a map */
	go_ev(f, RT_EV_GO_ONCE_CHECK, 5, 0x9100, 0x401000);
	go_ev(f, RT_EV_GO_ONCE_SLOW, 5, 0x9100, 0x401010);
	go_ev(f, RT_EV_GO_MAP_WRITE, 5, 0x5000, 0x401020);
	go_ev(f, RT_EV_GO_ONCE_SLOW_DONE, 5, 0, 0x470000);
	/* 6 finds it done on the fast path, then reads the map: ordered */
	go_ev(f, RT_EV_GO_ONCE_CHECK, 6, 0x9100, 0x402000);
	go_ev(f, RT_EV_GO_MAP_READ, 6, 0x5000, 0x402010);
	tick(f, 10);
	assert_int_equal(rt_report__count(f->report), 0);
	/* 7 checks another Once: no edge, a race */
	go_ev(f, RT_EV_GO_ONCE_CHECK, 7, 0x9200, 0x403000);
	go_ev(f, RT_EV_GO_MAP_WRITE, 7, 0x5000, 0x403010);
	tick(f, 10);
	assert_int_equal(rt_report__count(f->report), 1);
}

static void test_chans_cap_keeps_waiters(void **state)
{
	struct fixture *f = *state;
	__u64 i;

	/* 5 waits for a signal, 6 on a done channel; then a million channels come and go */
	go_ev(f, RT_EV_GO_SIGNAL_NOTIFY, 5, 0x6000, 0x401000);
	go_ev(f, RT_EV_GO_CHAN_RECV, 5, 0x6000, 0x401010);
	go_rec(f, RT_EV_GO_CHAN_NEW, 6, 0x6100, 0x470200, 0x402000, RT_GO_FIELD_READ | 0);
	go_ev(f, RT_EV_GO_CHAN_RECV, 6, 0x6100, 0x402010);
	for (i = 0; i < (1U << 20) + 10; i++)
		go_rec(f, RT_EV_GO_CHAN_NEW, 7, 0x10000000 + i * 96, 0x470200, 0x403000,
		       RT_GO_FIELD_READ | 8);
	tick(f, 6000);
	/* both still known as waits, not stuck goroutines */
	assert_int_equal(rt_report__count(f->report), 0);
}

/* Goroutine g locks a then b (at sites sa, sb), and unlocks both. */
static void go_nest(struct fixture *f, __u64 g, __u64 a, __u64 b, __u64 sa, __u64 sb)
{
	go_ev(f, RT_EV_GO_LOCK, g, a, sa);
	go_ev(f, RT_EV_GO_LOCK, g, b, sb);
	go_ev(f, RT_EV_GO_UNLOCK, g, b, sb + 0x10);
	go_ev(f, RT_EV_GO_UNLOCK, g, a, sa + 0x10);
}

/*
 * Go memory is freed by the collector, never by a call we see: after a collection, the
 * addresses of two dead objects' mutexes may belong to new objects, nested the other way round.
 * No inversion across a collection; within one epoch the same two orders are one.
 */
static void test_go_lock_reuse_after_gc(void **state)
{
	struct fixture *f = *state;

	const __u64 a = 0xc000010000, b = 0xc000010100; /* in the Go heap */

	go_nest(f, 5, a, b, 0x401000, 0x401100); /* parent, then child */
	go_ev(f, RT_EV_GO_GC, 5, 0, 0x409000);
	go_nest(f, 5, b, a, 0x401000, 0x401100); /* new objects, roles swapped */
	assert_int_equal(rt_report__count(f->report), 0);
	/* the first order again, in the same epoch as the second: an inversion */
	go_nest(f, 6, a, b, 0x402000, 0x402100);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"kind\":\"lock-order-inversion\""));
}

/* Globals are never collected: their two orders make an inversion across a collection too. */
static void test_go_global_inversion_across_gc(void **state)
{
	struct fixture *f = *state;

	go_nest(f, 5, 0x5a1000, 0x5a1100, 0x401000, 0x401100);
	go_ev(f, RT_EV_GO_GC, 5, 0, 0x409000);
	go_ev(f, RT_EV_GO_GC, 6, 0, 0x409000);
	go_nest(f, 6, 0x5a1100, 0x5a1000, 0x402000, 0x402100);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"kind\":\"lock-order-inversion\""));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TC(fn) cmocka_unit_test_setup_teardown(fn, setup_classes, teardown_classes)
	const struct CMUnitTest tests[] = {
		T(test_thread_is_not_goroutine),
		T(test_go_lock_reuse_after_gc),
		T(test_go_global_inversion_across_gc),
		T(test_double_lock_confirmed),
		T(test_double_lock_missed_unlock),
		T(test_recursive_rlock),
		T(test_rlock_handed_over),
		T(test_recursive_rlock_parked),
		T(test_rlock_behind_writer),
		T(test_double_lock_at_exit),
		T(test_rwmutex_edges),
		T(test_wlock_while_reading),
		T(test_waitgroup_add_after_wait),
		T(test_waitgroup_reuse_is_fine),
		T(test_waitgroup_negative),
		T(test_waitgroup_unknown_without_start),
		T(test_stuck_goroutines),
		TC(test_idle_pool_not_leaked),
		TC(test_leak_after_test),
		TC(test_leak_settled_at_exit),
		TC(test_leak_woken_at_exit),
		TC(test_leak_two_senders_one_taken),
		TC(test_no_leak_joined),
		T(test_slow_test_not_leaked),
		T(test_hold_and_wait_rlock),
		T(test_hold_and_wait_cond),
		TC(test_hold_and_wait_clean),
		T(test_abandoned_by_select),
		T(test_wait_with_live_holders),
		T(test_select_edges),
		T(test_once_edge),
		T(test_chans_cap_keeps_waiters),
		TC(test_select_stuck_or_waiting),
		TC(test_global_deadlock),
		TC(test_no_global_deadlock_on_timers),
		T(test_handoff_lock_no_order),
		T(test_go_inversion_names_goroutines),
	};
#undef T
#undef TC
	return cmocka_run_group_tests_name("goblock", tests, NULL, NULL);
}
