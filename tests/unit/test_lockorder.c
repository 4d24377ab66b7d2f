// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The engine and the lock-order detector on hand-built event sequences: inversions of 2 and 3
 * locks are found once, consistent orders, trylocks, recursion and unknown unlocks are not
 * findings, repeats over other lock instances count under one id, and a random-order fuzz
 * against a naive reference (any pair taken in both orders) agrees on whether a 2-cycle exists.
 * Findings are read as parsed JSON (json_mini.h): fields and values, never their text order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hb_fixture.h"
#include "json_mini.h"

static void ev_arg(struct fixture *f, __u16 type, __u32 tid, __u64 obj, __u64 caller, __s64 ret,
		   __u64 arg)
{
	fx_event(f, type, tid, obj, 0, caller, arg, ret);
}

static void ev(struct fixture *f, __u16 type, __u32 tid, __u64 obj, __u64 caller, __s64 ret)
{
	ev_arg(f, type, tid, obj, caller, ret, 0);
}

static void lock(struct fixture *f, __u32 tid, __u64 m, __u64 site)
{
	ev(f, RT_EV_MUTEX_LOCK, tid, m, site, 0);
}

static void unlock(struct fixture *f, __u32 tid, __u64 m)
{
	ev(f, RT_EV_MUTEX_UNLOCK, tid, m, 0x999, 0);
}

/* Whether finding v has the edge from -> to taken by tid, held at held and acquired at acq. */
static bool has_edge(const struct jm *v, long tid, const char *from, const char *to,
		     const char *held, const char *acq)
{
	const struct jm *edges = jm_get(v, "edges");
	size_t i;

	for (i = 0; edges && edges->type == JM_ARR && i < edges->n; i++) {
		const struct jm *e = edges->items[i], *t = jm_get(e, "tid");

		if (t && t->type == JM_NUM && (long)t->num == tid && !strcmp(jm_str(e, "from"), from) &&
		    !strcmp(jm_str(e, "to"), to) &&
		    !strcmp(jm_str(jm_get(e, "held_site"), "addr"), held) &&
		    !strcmp(jm_str(jm_get(e, "acquire_site"), "addr"), acq))
			return true;
	}
	return false;
}

/* Whether finding v names exactly the locks at these addresses, in any order. */
static bool has_locks(const struct jm *v, const char *const *addrs, size_t n)
{
	const struct jm *locks = jm_get(v, "locks");
	size_t i, j;

	if (!locks || locks->type != JM_ARR || locks->n != n)
		return false;
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++)
			if (!strcmp(jm_str(locks->items[j], "addr"), addrs[i]))
				break;
		if (j == n)
			return false;
	}
	return true;
}

static void test_abba_found_once(void **state)
{
	struct fixture *f = *state;
	struct jm *inv;
	int i;

	for (i = 0; i < 3; i++) {
		lock(f, 1, 0xA, 0x10);
		lock(f, 1, 0xB, 0x11);
		unlock(f, 1, 0xB);
		unlock(f, 1, 0xA);
		lock(f, 2, 0xB, 0x20);
		lock(f, 2, 0xA, 0x21);
		unlock(f, 2, 0xA);
		unlock(f, 2, 0xB);
	}
	assert_int_equal(rt_report__count(f->report), 1);
	fflush(f->out);
	inv = jm_line_of_kind(f->buf, "lock-order-inversion");
	assert_non_null(inv);
	assert_true(jm_int_set(jm_get(inv, "threads"), (long[]){ 1, 2 }, 2));
	/* each thread's edge, with the sites where it held one lock and took the other */
	assert_true(has_edge(inv, 1, "0xa", "0xb", "0x10", "0x11"));
	assert_true(has_edge(inv, 2, "0xb", "0xa", "0x20", "0x21"));
	assert_int_equal(jm_get(inv, "edges")->n, 2);
	jm_free(inv);
}

static void test_three_lock_cycle(void **state)
{
	struct fixture *f = *state;
	struct jm *inv;

	lock(f, 1, 0xA, 0x10);
	lock(f, 1, 0xB, 0x11);
	unlock(f, 1, 0xB);
	unlock(f, 1, 0xA);
	lock(f, 2, 0xB, 0x20);
	lock(f, 2, 0xC, 0x21);
	unlock(f, 2, 0xC);
	unlock(f, 2, 0xB);
	assert_int_equal(rt_report__count(f->report), 0);
	lock(f, 3, 0xC, 0x30);
	lock(f, 3, 0xA, 0x31);
	assert_int_equal(rt_report__count(f->report), 1);
	fflush(f->out);
	inv = jm_line_of_kind(f->buf, "lock-order-inversion");
	assert_non_null(inv);
	assert_true(has_locks(inv, (const char *const[]){ "0xa", "0xb", "0xc" }, 3));
	assert_true(jm_int_set(jm_get(inv, "threads"), (long[]){ 1, 2, 3 }, 3));
	assert_true(has_edge(inv, 1, "0xa", "0xb", "0x10", "0x11"));
	assert_true(has_edge(inv, 2, "0xb", "0xc", "0x20", "0x21"));
	assert_true(has_edge(inv, 3, "0xc", "0xa", "0x30", "0x31"));
	jm_free(inv);
}

static void test_consistent_order_clean(void **state)
{
	struct fixture *f = *state;
	__u32 tid;

	for (tid = 1; tid <= 4; tid++) {
		lock(f, tid, 0xA, 0x10);
		lock(f, tid, 0xB, 0x11);
		lock(f, tid, 0xC, 0x12);
		unlock(f, tid, 0xC);
		unlock(f, tid, 0xB);
		unlock(f, tid, 0xA);
	}
	assert_int_equal(rt_report__count(f->report), 0);
}

static void test_trylock_adds_no_edge(void **state)
{
	struct fixture *f = *state;

	lock(f, 1, 0xA, 0x10);
	lock(f, 1, 0xB, 0x11);
	unlock(f, 1, 0xB);
	unlock(f, 1, 0xA);
	lock(f, 2, 0xB, 0x20);
	ev(f, RT_EV_MUTEX_TRYLOCK, 2, 0xA, 0x21, 16); /* EBUSY: not acquired */
	ev(f, RT_EV_MUTEX_TRYLOCK, 2, 0xA, 0x21, 0);  /* acquired, but cannot block */
	unlock(f, 2, 0xA);
	unlock(f, 2, 0xB);
	assert_int_equal(rt_report__count(f->report), 0);
}

static void test_held_by_trylock_still_orders(void **state)
{
	struct fixture *f = *state;

	/* a lock taken by trylock is held: blocking on another lock under it is an edge */
	ev(f, RT_EV_MUTEX_TRYLOCK, 1, 0xA, 0x10, 0);
	lock(f, 1, 0xB, 0x11);
	unlock(f, 1, 0xB);
	unlock(f, 1, 0xA);
	lock(f, 2, 0xB, 0x20);
	lock(f, 2, 0xA, 0x21);
	assert_int_equal(rt_report__count(f->report), 1);
}

static void test_unknown_unlock_and_recursion(void **state)
{
	struct fixture *f = *state;

	unlock(f, 1, 0xA); /* attached mid-run: learned, not a finding */
	/* a recursive mutex (glibc __kind 1) */
	ev_arg(f, RT_EV_MUTEX_LOCK, 1, 0xB, 0x10, 0, 1);
	ev_arg(f, RT_EV_MUTEX_LOCK, 1, 0xB, 0x10, 0, 1);
	ev_arg(f, RT_EV_MUTEX_UNLOCK, 1, 0xB, 0x11, 0, 1);
	ev_arg(f, RT_EV_MUTEX_UNLOCK, 1, 0xB, 0x11, 0, 1);
	assert_int_equal(rt_report__count(f->report), 0);
}

static void test_same_sites_other_instances_count(void **state)
{
	struct fixture *f = *state;
	__u64 i;

	/* per-object locks: the same code inverts many pairs: one finding, counted */
	for (i = 0; i < 5; i++) {
		__u64 a = 0x1000 + 0x100 * i, b = a + 0x40;

		lock(f, 1, a, 0x10);
		lock(f, 1, b, 0x11);
		unlock(f, 1, b);
		unlock(f, 1, a);
		lock(f, 2, b, 0x10);
		lock(f, 2, a, 0x11);
		unlock(f, 2, a);
		unlock(f, 2, b);
	}
	assert_int_equal(rt_report__count(f->report), 1);
}

static void test_cond_wait_releases_mutex(void **state)
{
	struct fixture *f = *state;
	struct rt_event e;

	/* holding M, wait on C: M is released during the wait, so locking B then is no M -> B */
	lock(f, 1, 0xD0, 0x10);
	memset(&e, 0, sizeof(e));
	e.h.type = RT_EV_COND_WAIT;
	e.h.tid = 1;
	e.h.tgid = 100;
	e.obj = 0xC0;
	e.obj2 = 0xD0;
	assert_int_equal(hb__event(f->hb, &e), 0);
	lock(f, 1, 0xB0, 0x11);
	unlock(f, 1, 0xB0);
	e.h.type = RT_EV_COND_WAIT_RET;
	assert_int_equal(hb__event(f->hb, &e), 0);
	unlock(f, 1, 0xD0);
	lock(f, 2, 0xB0, 0x20);
	lock(f, 2, 0xD0, 0x21);
	assert_int_equal(rt_report__count(f->report), 0);
}

/* Fuzz against a reference: with 2-lock critical sections only, a cycle exists iff some pair
 * was taken in both orders (cycles of 3+ need 3 distinct pairs, checked via transitive closure). */
static void test_random_against_reference(void **state)
{
	unsigned int seed;
	int round;

	(void)state;
	seed = getenv("RT_SEED") ? (unsigned int)atoi(getenv("RT_SEED")) : 12345;
	print_message("lockorder fuzz seed %u (rerun with RT_SEED=%u)\n", seed, seed);
	srand(seed);
	for (round = 0; round < 200; round++) {
		struct fixture *f;
		int reach[6][6] = { { 0 } }, i, j, k, n = 2 + rand() % 10;
		bool cycle = false;

		setup((void **)&f);
		for (i = 0; i < n; i++) {
			int a = rand() % 6, b = rand() % 6;
			__u32 tid = 1 + rand() % 3;

			if (a == b)
				continue;
			lock(f, tid, 0x100 + a, 0x10 + a);
			lock(f, tid, 0x100 + b, 0x20 + b);
			unlock(f, tid, 0x100 + b);
			unlock(f, tid, 0x100 + a);
			reach[a][b] = 1;
		}
		for (k = 0; k < 6; k++)
			for (i = 0; i < 6; i++)
				for (j = 0; j < 6; j++)
					reach[i][j] |= reach[i][k] && reach[k][j];
		for (i = 0; i < 6; i++)
			cycle |= reach[i][i];
		if (cycle != (rt_report__count(f->report) > 0))
			fail_msg("seed %u round %d: reference cycle=%d, detector findings=%u", seed,
				 round, cycle, rt_report__count(f->report));
		teardown((void **)&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_abba_found_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_three_lock_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consistent_order_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trylock_adds_no_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_by_trylock_still_orders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_unlock_and_recursion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_sites_other_instances_count, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cond_wait_releases_mutex, setup, teardown),
		cmocka_unit_test(test_random_against_reference),
	};

	return cmocka_run_group_tests_name("lockorder", tests, NULL, NULL);
}
