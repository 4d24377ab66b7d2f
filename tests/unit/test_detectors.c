// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every detector registered alone, on scenarios written once and run for every lock type
 * (pthread mutex, pthread rwlock, Go sync.Mutex, Go sync.RWMutex), the way lockdep's
 * locking-selftest runs each scenario for each lock kind. For each (scenario, lock type,
 * detector) the test asserts the exact finding kinds: what must be reported, and that nothing
 * else is. A scenario that does not apply to a lock type says so in its table (`types`) and is
 * counted as not run, never silently passed.
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
#include "lib/util.h"
#include "report/report.h"

#define MS 1000000ULL
#define PID 100

enum lt { LT_MUTEX, LT_RWLOCK, LT_GO_MUTEX, LT_GO_RWMUTEX, LT_N };
static const char *const lt_name[LT_N] = { "pthread mutex", "pthread rwlock", "sync.Mutex",
					   "sync.RWMutex" };
#define LT_PTHREAD (1u << LT_MUTEX | 1u << LT_RWLOCK)
#define LT_GO (1u << LT_GO_MUTEX | 1u << LT_GO_RWMUTEX)
#define LT_ALL (LT_PTHREAD | LT_GO)

static bool is_go(enum lt lt)
{
	return lt == LT_GO_MUTEX || lt == LT_GO_RWMUTEX;
}

struct dfx {
	struct rt_report *report;
	struct hb *hb;
	FILE *out;
	char *buf;
	size_t len;
	__u64 t;
	enum lt lt;
};

static void dfx_open(struct dfx *f, const struct hb_detector *d, enum lt lt)
{
	memset(f, 0, sizeof(*f));
	f->lt = lt;
	f->out = open_memstream(&f->buf, &f->len);
	f->report = rt_report__new(&(struct rt_report_opts){ .out = f->out, .json = true });
	f->hb = hb__new(&(struct hb_opts){ .report = f->report });
	assert_non_null(f->hb);
	assert_int_equal(hb__add_detector(f->hb, d), 0);
}

static void dfx_close(struct dfx *f)
{
	hb__free(f->hb);
	rt_report__free(f->report);
	fclose(f->out);
	free(f->buf);
}

/* One record of actor a: a kernel thread (pthread types) or goroutine a (Go types). */
static void rec(struct dfx *f, bool go, __u32 a, __u16 type, __u64 obj, __u64 obj2, __u64 caller,
		__u64 arg, __s64 ret)
{
	struct rt_event e;

	memset(&e, 0, sizeof(e));
	e.h.type = type;
	e.h.tid = go ? 10 : a;
	e.h.tgid = PID;
	e.h.goid = go ? a : 0;
	e.h.ktime = f->t += 1000;
	e.h.stack_id = RT_NO_STACK;
	e.obj = obj;
	e.obj2 = obj2;
	e.caller = caller;
	e.arg = arg;
	e.ret = ret;
	assert_int_equal(hb__event(f->hb, &e), 0);
}

/* A record that is not part of a blocking call: a blocking lock call before it has returned. */
static void returned(struct dfx *f, __u32 a)
{
	rec(f, false, a, RT_EV_FUTEX_WAKE_RET, 0, 0, 0, 0, 0);
}

static void lock(struct dfx *f, __u32 a, __u64 l, __u64 site)
{
	switch (f->lt) {
	case LT_MUTEX:
		rec(f, false, a, RT_EV_MUTEX_LOCK, l, 0, site, 0, 0);
		returned(f, a);
		break;
	case LT_RWLOCK:
		rec(f, false, a, RT_EV_RWLOCK_WRLOCK, l, 0, site, 0, 0);
		returned(f, a);
		break;
	case LT_GO_MUTEX:
		rec(f, true, a, RT_EV_GO_LOCK, l, 0, site, 0, 0);
		break;
	default:
		rec(f, true, a, RT_EV_GO_WLOCK, l, 0, site, 0, 0);
		rec(f, true, a, RT_EV_GO_WLOCK_DONE, 0, 0, 0x470000, 0, 0);
		break;
	}
}

/* Enter a lock call that blocks (the lock is taken): it has not returned. */
static void lock_blocks(struct dfx *f, __u32 a, __u64 l, __u64 site)
{
	switch (f->lt) {
	case LT_MUTEX:
		rec(f, false, a, RT_EV_MUTEX_LOCK, l, 0, site, 0, 0);
		break;
	case LT_RWLOCK:
		rec(f, false, a, RT_EV_RWLOCK_WRLOCK, l, 0, site, 0, 0);
		break;
	case LT_GO_MUTEX:
		rec(f, true, a, RT_EV_GO_LOCK_SLOW, l, 0, site, 0, 0);
		break;
	default:
		rec(f, true, a, RT_EV_GO_WLOCK, l, 0, site, 0, 0);
		break;
	}
}

static void unlock(struct dfx *f, __u32 a, __u64 l, __u64 site)
{
	static const __u16 type[LT_N] = { RT_EV_MUTEX_UNLOCK, RT_EV_RWLOCK_UNLOCK, RT_EV_GO_UNLOCK,
					  RT_EV_GO_WUNLOCK };

	rec(f, is_go(f->lt), a, type[f->lt], l, 0, site, 0, 0);
}

/* A thread (pthread types) waits in the kernel for lock l held by owner (glibc's words). */
static void futex_wait(struct dfx *f, __u32 a, __u64 l, __u32 owner)
{
	if (f->lt == LT_MUTEX) /* the mutex word; the owner's tid at +8 */
		rec(f, false, a, RT_EV_FUTEX_WAIT, l, 0, 0, 2ULL << 32, owner);
	else /* a writer waits on the rwlock's +12 word; the writer's tid read at +24 */
		rec(f, false, a, RT_EV_FUTEX_WAIT, l + 12, (__u64)owner << 32, 0, 0, 0);
}

static void tick(struct dfx *f, __u64 ms)
{
	struct rt_event e;

	f->t += ms * MS;
	memset(&e, 0, sizeof(e));
	e.h.type = RT_EV_TICK;
	e.h.ktime = f->t;
	assert_int_equal(hb__event(f->hb, &e), 0);
}

/* Goroutine 1 made on a thread's g0: the program's start was seen; then goroutines 2, 3. */
static void go_program(struct dfx *f)
{
	rec(f, true, 0, RT_EV_GO_SPAWN, 0, 0, 0x400100, 0, 0);
	rec(f, true, 0, RT_EV_GO_GO, 1, 0, 0, 0, 0);
	rec(f, true, 1, RT_EV_GO_SPAWN, 0, 0, 0x401000, 0, 0);
	rec(f, true, 1, RT_EV_GO_GO, 2, 0, 0, 0, 0);
	rec(f, true, 1, RT_EV_GO_SPAWN, 0, 0, 0x401010, 0, 0);
	rec(f, true, 1, RT_EV_GO_GO, 3, 0, 0, 0, 0);
}

/* The actors of a scenario: threads 1 and 2, or goroutines 2 and 3 (1 is main). */
static __u32 actor(const struct dfx *f, int i)
{
	return is_go(f->lt) ? (__u32)i + 2 : (__u32)i + 1;
}

/* ---- scenarios ---- */

#define A 0x7000
#define B 0x7100
#define G 0x7200
#define C 0x7300 /* a Go channel */
#define W 0x7400 /* a Go WaitGroup */

static void sc_inversion(struct dfx *f)
{
	__u32 t1 = actor(f, 0), t2 = actor(f, 1);

	lock(f, t1, A, 0x401100);
	lock(f, t1, B, 0x401110);
	unlock(f, t1, B, 0x401120);
	unlock(f, t1, A, 0x401130);
	lock(f, t2, B, 0x402100);
	lock(f, t2, A, 0x402110);
	unlock(f, t2, A, 0x402120);
	unlock(f, t2, B, 0x402130);
	tick(f, 10);
}

static void sc_consistent(struct dfx *f)
{
	for (int i = 0; i < 2; i++) {
		__u32 t = actor(f, i);

		lock(f, t, A, 0x401100 + i);
		lock(f, t, B, 0x401200 + i);
		unlock(f, t, B, 0x401300 + i);
		unlock(f, t, A, 0x401400 + i);
	}
	tick(f, 10);
}

static void sc_gated(struct dfx *f)
{
	__u32 t1 = actor(f, 0), t2 = actor(f, 1);

	lock(f, t1, G, 0x401000);
	lock(f, t1, A, 0x401100);
	lock(f, t1, B, 0x401110);
	unlock(f, t1, B, 0x401120);
	unlock(f, t1, A, 0x401130);
	unlock(f, t1, G, 0x401140);
	lock(f, t2, G, 0x402000);
	lock(f, t2, B, 0x402100);
	lock(f, t2, A, 0x402110);
	unlock(f, t2, A, 0x402120);
	unlock(f, t2, B, 0x402130);
	unlock(f, t2, G, 0x402140);
	tick(f, 10);
}

static void sc_double_lock(struct dfx *f)
{
	__u32 t = actor(f, 0);

	lock(f, t, A, 0x401100);
	lock_blocks(f, t, A, 0x401110);
	tick(f, 200);
}

static void sc_unlock_twice(struct dfx *f)
{
	__u32 t = actor(f, 0);

	lock(f, t, A, 0x401100);
	unlock(f, t, A, 0x401110);
	unlock(f, t, A, 0x401120);
	tick(f, 10);
}

static void sc_unlock_unknown(struct dfx *f)
{
	unlock(f, actor(f, 0), A, 0x401100); /* taken before we attached */
	tick(f, 10);
}

static void sc_exit_holding(struct dfx *f)
{
	__u32 t = actor(f, 0);

	lock(f, t, A, 0x401100);
	if (is_go(f->lt))
		rec(f, true, t, RT_EV_GO_EXIT, 0, 0, 0x401110, 0, 0);
	else
		rec(f, false, t, RT_EV_THREAD_EXIT, 0, 0, 0x401110, 0, 0);
	tick(f, 10);
}

#define BLOCK 0x9000

static void sc_free_held(struct dfx *f)
{
	rec(f, false, 1, RT_EV_ALLOC, BLOCK, 0, 0x401000, 64, 0);
	lock(f, actor(f, 1), BLOCK + 16, 0x402100);
	rec(f, false, 1, RT_EV_FREE, BLOCK, 0, 0x401010, 0, 0);
	tick(f, 10);
}

static void sc_free_after_unlock(struct dfx *f)
{
	rec(f, false, 1, RT_EV_ALLOC, BLOCK, 0, 0x401000, 64, 0);
	lock(f, actor(f, 1), BLOCK + 16, 0x402100);
	unlock(f, actor(f, 1), BLOCK + 16, 0x402110);
	rec(f, false, 1, RT_EV_FREE, BLOCK, 0, 0x401010, 0, 0);
	rec(f, false, 1, RT_EV_ALLOC, BLOCK, 0, 0x401000, 64, 0);
	rec(f, false, 1, RT_EV_FREE, BLOCK, 0, 0x401010, 0, 0);
	tick(f, 10);
}

static void sc_double_free(struct dfx *f)
{
	rec(f, false, 1, RT_EV_ALLOC, BLOCK, 0, 0x401000, 64, 0);
	rec(f, false, 1, RT_EV_FREE, BLOCK, 0, 0x401010, 0, 0);
	rec(f, false, 2, RT_EV_FREE, BLOCK, 0, 0x402010, 0, 0);
	tick(f, 10);
}

/* Each holds one lock and waits for the other's, for 400 ms. */
static void sc_wait_cycle(struct dfx *f)
{
	__u32 t1 = actor(f, 0), t2 = actor(f, 1);

	if (is_go(f->lt))
		go_program(f);
	lock(f, t1, A, 0x401100);
	lock(f, t2, B, 0x402100);
	lock_blocks(f, t1, B, 0x401110);
	lock_blocks(f, t2, A, 0x402110);
	if (is_go(f->lt)) { /* main waits for them */
		rec(f, true, 1, RT_EV_GO_WG_WAIT, 0xa000, 0, 0x400200, 0, 0);
	} else {
		futex_wait(f, t1, B, t2);
		futex_wait(f, t2, A, t1);
	}
	tick(f, 100);
	tick(f, 300);
}

/* One waits for a lock the other holds, for 6 s (the hang threshold is 5 s). */
static void sc_long_wait(struct dfx *f)
{
	__u32 t1 = actor(f, 0), t2 = actor(f, 1);

	lock(f, t2, A, 0x402100);
	lock_blocks(f, t1, A, 0x401100);
	if (!is_go(f->lt))
		futex_wait(f, t1, A, t2);
	tick(f, 6000);
}

/* The same wait, over before it counts. */
static void sc_short_wait(struct dfx *f)
{
	__u32 t1 = actor(f, 0), t2 = actor(f, 1);

	lock(f, t2, A, 0x402100);
	lock_blocks(f, t1, A, 0x401100);
	if (!is_go(f->lt))
		futex_wait(f, t1, A, t2);
	tick(f, 50);
	unlock(f, t2, A, 0x402110);
	if (is_go(f->lt)) {
		rec(f, true, t1, f->lt == LT_GO_MUTEX ? RT_EV_GO_LOCK_SLOW_DONE : RT_EV_GO_WLOCK_DONE,
		    0, 0, 0x470000, 0, 0);
	} else {
		rec(f, false, t1, RT_EV_FUTEX_WAIT_RET, f->lt == LT_MUTEX ? A : A + 12, 0, 0, 0, 0);
		returned(f, t1);
	}
	unlock(f, t1, A, 0x401110);
	tick(f, 6000);
}

/* A Go map written by both actors, ordered by the lock (ok) or not at all (a race). */
static void map_writes(struct dfx *f, bool locked)
{
	for (int i = 0; i < 2; i++) {
		__u32 t = actor(f, i);

		if (locked)
			lock(f, t, A, 0x401100 + i);
		rec(f, true, t, RT_EV_GO_MAP_WRITE, 0x5000, 0, 0x401200 + i, 0, 0);
		if (locked)
			unlock(f, t, A, 0x401300 + i);
	}
	tick(f, 10);
}

static void sc_map_locked(struct dfx *f)
{
	map_writes(f, true);
}

static void sc_map_unlocked(struct dfx *f)
{
	map_writes(f, false);
}

/* ---- memory accesses (--races) ---- */

#define V 0x9000 /* a variable */
#define F 0x9100 /* a flag */

static void mem(struct dfx *f, __u32 a, __u64 addr, __u64 flags, __u64 site)
{
	rec(f, is_go(f->lt), a, RT_EV_MEM_ACCESS, addr, 0, site, 8 | flags, 0);
}

/* Each actor writes V holding a lock: one lock (ordered), or a lock each (a race). */
static void mem_writes(struct dfx *f, bool one_lock)
{
	__u32 t1 = actor(f, 0), t2 = actor(f, 1);

	lock(f, t1, A, 0x401100);
	mem(f, t1, V, RT_MEM_READ | RT_MEM_WRITE, 0x401108);
	unlock(f, t1, A, 0x401110);
	lock(f, t2, one_lock ? A : B, 0x402100);
	mem(f, t2, V, RT_MEM_READ | RT_MEM_WRITE, 0x402108);
	unlock(f, t2, one_lock ? A : B, 0x402110);
	tick(f, 10);
}

static void sc_mem_one_lock(struct dfx *f)
{
	mem_writes(f, true);
}

static void sc_mem_two_locks(struct dfx *f)
{
	mem_writes(f, false);
}

/*
 * V is published through flag F: an atomic store and a plain load of it (an acquire load is
 * a plain mov), or a plain store and load (a volatile flag: V races).
 */
static void mem_publish(struct dfx *f, bool atomic)
{
	__u32 t1 = actor(f, 0), t2 = actor(f, 1);

	mem(f, t1, V, RT_MEM_WRITE, 0x401100);
	mem(f, t1, F, RT_MEM_WRITE | (atomic ? RT_MEM_ATOMIC : 0), 0x401108);
	mem(f, t2, F, RT_MEM_READ, 0x402100);
	mem(f, t2, V, RT_MEM_READ, 0x402108);
	tick(f, 10);
}

static void sc_mem_publish_atomic(struct dfx *f)
{
	mem_publish(f, true);
}

/* Both bump a counter with `lock xadd`, then read V that only the first wrote before it. */
static void sc_mem_atomic_counter(struct dfx *f)
{
	__u32 t1 = actor(f, 0), t2 = actor(f, 1);

	mem(f, t1, V, RT_MEM_WRITE, 0x401100);
	mem(f, t1, F, RT_MEM_READ | RT_MEM_WRITE | RT_MEM_ATOMIC, 0x401108);
	mem(f, t2, F, RT_MEM_READ | RT_MEM_WRITE | RT_MEM_ATOMIC, 0x402100);
	mem(f, t2, V, RT_MEM_READ, 0x402108);
	tick(f, 10);
}

/* The same bytes written by two actors with nothing between them, then a read by one. */
static void sc_mem_plain_flag(struct dfx *f)
{
	__u32 t1 = actor(f, 0), t2 = actor(f, 1);

	mem(f, t1, V, RT_MEM_WRITE, 0x401100);
	mem(f, t2, V, RT_MEM_READ, 0x402108);
	mem(f, t2, V + 8, RT_MEM_READ, 0x402110); /* other bytes: no race */
	tick(f, 10);
}

/* A channel made, closed by one goroutine, then by another (no lock: run once per Go type). */
static void sc_chan_close_twice(struct dfx *f)
{
	go_program(f);
	rec(f, true, 1, RT_EV_GO_CHAN_NEW, C, 0, 0, 0x401000, 0);
	rec(f, true, 1, RT_EV_GO_CHAN_CLOSE, C, 0, 0x403000, 0, 0);
	rec(f, true, 2, RT_EV_GO_CHAN_CLOSE, C, 0, 0x404000, 0, 0);
	tick(f, 10);
}

/* A WaitGroup's Add(1), then two Done: its counter goes negative. */
static void sc_wg_negative(struct dfx *f)
{
	go_program(f);
	rec(f, true, 1, RT_EV_GO_WG_ADD, W, 0, 0x401100, 1, 0);
	rec(f, true, 2, RT_EV_GO_WG_ADD, W, 0, 0x402100, (__u64)-1, 0);
	rec(f, true, 3, RT_EV_GO_WG_ADD, W, 0, 0x402100, (__u64)-1, 0);
	tick(f, 10);
}

/*
 * goleak's rule: goroutine 1 runs `go tRunner(t, f)` (a go_spawn marked as package testing's),
 * the test (goroutine 5) starts goroutine 6, which parks receiving on a channel the test
 * made, and the test returns: 6 was left behind.
 */
static void test_leak(struct dfx *f, bool joined)
{
	struct rt_event e;

	go_program(f);
	memset(&e, 0, sizeof(e));
	e.h.type = RT_EV_GO_SPAWN;
	e.h.flags = RT_EVF_GO_TESTING;
	e.h.tid = 10;
	e.h.tgid = PID;
	e.h.goid = 1;
	e.h.ktime = f->t += 1000;
	e.h.stack_id = RT_NO_STACK;
	e.caller = 0x400300;
	assert_int_equal(hb__event(f->hb, &e), 0);
	rec(f, true, 1, RT_EV_GO_GO, 5, 0, 0, 0, 0);
	rec(f, true, 5, RT_EV_GO_CHAN_NEW, C, 0, 0x470200, 0x402000, RT_GO_FIELD_READ | 8);
	rec(f, true, 5, RT_EV_GO_SPAWN, 0, 0, 0x402030, 0, 0);
	rec(f, true, 5, RT_EV_GO_GO, 6, 0, 0, 0, 0);
	rec(f, true, 6, RT_EV_GO_CHAN_RECV, C, 0, 0x403010, 0, 0);
	tick(f, 100);
	if (joined) { /* the twin: the test sends, 6 receives and ends before the test returns */
		rec(f, true, 5, RT_EV_GO_CHAN_SEND, C, 0, 0x402040, 0, 0);
		rec(f, true, 6, RT_EV_GO_CHAN_RECV_DONE, 0, 0, 0x470100, 0, 0);
		rec(f, true, 6, RT_EV_GO_EXIT, 0, 0, 0x470000, 0, 0);
	}
	rec(f, true, 5, RT_EV_GO_EXIT, 0, 0, 0x470000, 0, 0);
	tick(f, 1500);
}

static void sc_test_leak(struct dfx *f)
{
	test_leak(f, false);
}

static void sc_test_joined(struct dfx *f)
{
	test_leak(f, true);
}

/* ---- the matrix ---- */

#define NONE -1

struct expect {
	const struct hb_detector *det;
	unsigned int types; /* the lock types it reports for */
	int kind;	    /* what it reports then (every other detector: nothing) */
	const char *detail; /* and the kind's detail, NULL: none */
};

struct scenario {
	const char *name;
	void (*run)(struct dfx *f);
	unsigned int types; /* the lock types it applies to */
	struct expect expect[4];
};

static const struct scenario scenarios[] = {
	{ "two orders (no deadlock yet)", sc_inversion, LT_ALL,
	  { { &rt_det_lockorder, LT_ALL, RT_K_LOCK_ORDER_INVERSION } } },
	{ "one order", sc_consistent, LT_ALL, { { 0 } } },
	{ "two orders under a gate lock", sc_gated, LT_ALL, { { 0 } } },
	{ "lock it holds", sc_double_lock, LT_ALL,
	  { { &rt_det_misuse, LT_PTHREAD, RT_K_DOUBLE_LOCK },
	    { &rt_det_go_doublelock, LT_GO, RT_K_DOUBLE_LOCK } } },
	{ "unlock twice", sc_unlock_twice, LT_ALL,
	  /* Go lets any goroutine unlock: an unlock of a free Mutex is the runtime's to catch */
	  { { &rt_det_misuse, LT_PTHREAD, RT_K_UNLOCK_UNHELD } } },
	{ "unlock of a lock taken before the attach", sc_unlock_unknown, LT_ALL, { { 0 } } },
	{ "exit holding a lock", sc_exit_holding, LT_ALL,
	  { { &rt_det_misuse, LT_PTHREAD, RT_K_EXIT_HOLDING_LOCK } } },
	{ "free of a block with a held lock", sc_free_held, LT_ALL,
	  { { &rt_det_heap, LT_ALL, RT_K_FREE_LOCKED } } },
	{ "free after the unlock, twice", sc_free_after_unlock, LT_ALL, { { 0 } } },
	{ "double free", sc_double_free, 1u << LT_MUTEX, /* no lock in it: run once */
	  { { &rt_det_heap, 1u << LT_MUTEX, RT_K_DOUBLE_FREE } } },
	{ "wait for each other", sc_wait_cycle, LT_ALL,
	  { { &rt_det_lockorder, LT_ALL, RT_K_LOCK_ORDER_INVERSION },
	    { &rt_det_deadlock, LT_PTHREAD, RT_K_DEADLOCK },
	    { &rt_det_go_stuck, LT_GO, RT_K_DEADLOCK, "all-goroutines" } } },
	/* a goroutine waiting for a holder that runs is slow, not leaked (go_stuck.c) */
	{ "wait 6 s for a holder", sc_long_wait, LT_ALL,
	  { { &rt_det_deadlock, LT_PTHREAD, RT_K_HANG } } },
	{ "wait 50 ms for a holder", sc_short_wait, LT_ALL, { { 0 } } },
	{ "map writes under the lock", sc_map_locked, LT_GO, { { 0 } } },
	{ "map writes with no lock", sc_map_unlocked, LT_GO,
	  { { &rt_det_go_maprace, LT_GO, RT_K_GO_MAP_RACE } } },
	{ "memory written under one lock", sc_mem_one_lock, LT_ALL, { { 0 } } },
	{ "memory written under two locks", sc_mem_two_locks, LT_ALL,
	  { { &rt_det_datarace, LT_ALL, RT_K_DATA_RACE } } },
	{ "memory published through an atomic flag", sc_mem_publish_atomic, LT_ALL, { { 0 } } },
	{ "atomic counter orders what came before", sc_mem_atomic_counter, LT_ALL, { { 0 } } },
	{ "memory written then read with no edge", sc_mem_plain_flag, LT_ALL,
	  { { &rt_det_datarace, LT_ALL, RT_K_DATA_RACE } } },
	{ "channel closed twice", sc_chan_close_twice, 1u << LT_GO_MUTEX,
	  { { &rt_det_go_chanclose, 1u << LT_GO_MUTEX, RT_K_GO_CHAN_DOUBLE_CLOSE } } },
	{ "a test returns, leaving a goroutine parked", sc_test_leak, 1u << LT_GO_MUTEX,
	  { { &rt_det_go_testleak, 1u << LT_GO_MUTEX, RT_K_GO_GOROUTINE_LEAK, "after-test" } } },
	{ "a test returns after its goroutine ended", sc_test_joined, 1u << LT_GO_MUTEX, { { 0 } } },
	{ "WaitGroup counter below zero", sc_wg_negative, 1u << LT_GO_MUTEX,
	  { { &rt_det_go_waitgroup, 1u << LT_GO_MUTEX, RT_K_GO_WAITGROUP_MISUSE,
	      "negative-counter" } } },
};

/* The kinds (and details) reported, as "kind[:detail],..." from the JSON Lines. */
static void kinds_of(struct dfx *f, char *out, size_t len)
{
	char *line, *save = NULL, *copy;
	size_t n = 0;

	out[0] = 0;
	fflush(f->out);
	if (!f->buf)
		return;
	copy = strdup(f->buf);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char kind[64] = "", detail[64] = "";
		const char *d = strstr(line, "\"detail\":\"");

		if (sscanf(line, "{\"kind\":\"%63[^\"]\"", kind) != 1)
			continue;
		if (d)
			sscanf(d, "\"detail\":\"%63[^\"]\"", detail);
		n += snprintf(out + n, n < len ? len - n : 0, "%s%s%s%s", n ? "," : "", kind,
			      detail[0] ? ":" : "", detail);
	}
	free(copy);
}

static void run_matrix(void **state)
{
	unsigned int runs = 0, skipped = 0, ndets = 0;
	size_t s, d;
	int lt;

	(void)state;
	while (rt_detectors[ndets])
		ndets++;
	for (s = 0; s < RT_ARRAY_SIZE(scenarios); s++) {
		const struct scenario *sc = &scenarios[s];

		for (lt = 0; lt < LT_N; lt++) {
			if (!(sc->types & (1u << lt))) {
				skipped += ndets;
				continue;
			}
			for (d = 0; rt_detectors[d]; d++) {
				char got[512], want[128] = "";
				struct dfx f;
				size_t e;

				for (e = 0; e < RT_ARRAY_SIZE(sc->expect) && sc->expect[e].det; e++) {
					const struct expect *x = &sc->expect[e];

					if (x->det == rt_detectors[d] && (x->types & (1u << lt)))
						snprintf(want, sizeof(want), "%s%s%s",
							 rt_kind_name(x->kind), x->detail ? ":" : "",
							 x->detail ? x->detail : "");
				}
				dfx_open(&f, rt_detectors[d], lt);
				sc->run(&f);
				kinds_of(&f, got, sizeof(got));
				if (strcmp(got, want))
					fail_msg("scenario '%s', %s, detector %s alone: must report "
						 "'%s', reported '%s'",
						 sc->name, lt_name[lt], rt_detectors[d]->name,
						 want[0] ? want : "nothing", got[0] ? got : "nothing");
				dfx_close(&f);
				runs++;
			}
		}
	}
	print_message("%u (scenario, lock type, detector) runs, %u not applicable\n", runs,
		      skipped);
}

/* A detector's table entry is all the engine needs: one registered alone works, twice too. */
static void detectors_register_alone(void **state)
{
	size_t d;

	(void)state;
	for (d = 0; rt_detectors[d]; d++) {
		struct dfx f;

		dfx_open(&f, rt_detectors[d], LT_MUTEX);
		assert_int_equal(hb__add_detector(f.hb, rt_detectors[d]), 0);
		assert_non_null(rt_detectors[d]->name);
		dfx_close(&f);
	}
}

/* A Prometheus metric or label value: [a-z_]+, as racetrace's names are. */
static bool prom_name(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
			return false;
	return true;
}

/*
 * The detectors' own counters: declared names are valid and few enough, count() writes only
 * its own slice, and rt_detectors_counter() sums a (metric, table) pair over every detector
 * that declares it (go-stuck and go-test-leak both count into table go_leak).
 */
static void detectors_own_counters(void **state)
{
	struct hb_counters c;
	size_t d, j, ndecl = 0;
	__u64 go_leak = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	for (d = 0; rt_detectors[d]; d++) {
		const struct hb_det_counter *dc = rt_detectors[d]->counters;

		assert_true(d < HB_MAX_DETECTORS);
		assert_true((dc == NULL) == (rt_detectors[d]->count == NULL));
		for (j = 0; dc && dc[j].metric; j++) {
			assert_true(j < HB_DET_COUNTERS_MAX);
			assert_true(prom_name(dc[j].metric));
			assert_true(!dc[j].table || prom_name(dc[j].table));
			assert_true(dc[j].table || dc[j].help); /* a family of its own has a help */
			c.det[d][j] = 1000 * (d + 1) + j;
			if (dc[j].table && !strcmp(dc[j].table, "go_leak"))
				go_leak += c.det[d][j];
			ndecl++;
		}
		if (dc) {
			/* registered alone, its counters are the engine's det[0], all 0 at first */
			struct hb_stats st;
			struct dfx f;
			size_t k;

			dfx_open(&f, rt_detectors[d], LT_MUTEX);
			hb__stats(f.hb, &st);
			for (k = 0; k < HB_DET_COUNTERS_MAX; k++)
				assert_int_equal(st.cnt.det[0][k], 0);
			dfx_close(&f);
		}
	}
	assert_true(ndecl >= 7);
	assert_true(go_leak > 0);
	assert_int_equal(rt_detectors_counter(&c, "racetrace_engine_evictions_total", "go_leak"),
			 go_leak);
	assert_int_equal(rt_detectors_counter(&c, "racetrace_engine_evictions_total", "nope"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(detectors_register_alone),
		cmocka_unit_test(detectors_own_counters),
		cmocka_unit_test(run_matrix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
