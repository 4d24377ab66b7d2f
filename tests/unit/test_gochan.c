// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Channel close misuse (user/detect/go_chanclose.c) on hand-built Go records, with every
 * detector registered: a send on a closed channel (after the close, parked in it when the
 * close comes, or predicted: a completed send the close is not ordered after), a close of a
 * nil channel, a double close; and the clean shapes that must report nothing (senders joined
 * by a WaitGroup before the close, the sender closing itself, a channel made anew).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "hb_fixture.h"
#include "record/event.h"

#define CH 0x6000
#define WG 0x7000

static void go_ev(struct fixture *f, __u16 type, __u64 goid, __u64 obj, __u64 caller, __u64 arg)
{
	struct rt_event e;

	memset(&e, 0, sizeof(e));
	e.h.type = type;
	e.h.tid = 10;
	e.h.tgid = 100;
	e.h.goid = goid;
	e.h.ktime = ++f->t;
	e.h.stack_id = RT_NO_STACK;
	e.obj = obj;
	e.caller = caller;
	e.arg = arg;
	assert_int_equal(hb__event(f->hb, &e), 0);
}

static void spawn(struct fixture *f, __u64 parent, __u64 child)
{
	go_ev(f, RT_EV_GO_SPAWN, parent, 0, 0x400100 + child, 0);
	go_ev(f, RT_EV_GO_GO, parent, child, 0, 0);
}

static void send(struct fixture *f, __u64 g, __u64 site)
{
	go_ev(f, RT_EV_GO_CHAN_SEND, g, CH, site, 0);
	go_ev(f, RT_EV_GO_CHAN_SEND_DONE, g, 0, 0, 0);
}

static bool said(struct fixture *f, const char *needle)
{
	fflush(f->out);
	return f->buf && strstr(f->buf, needle);
}

static void made(struct fixture *f, __u64 g)
{
	go_ev(f, RT_EV_GO_CHAN_NEW, g, CH, 0, 0x401000);
}

/* A completed send, then a close by a goroutine nothing orders after it: predicted. */
static void test_send_close_unordered(void **state)
{
	struct fixture *f = *state;

	made(f, 1);
	spawn(f, 1, 7);
	spawn(f, 1, 8);
	send(f, 7, 0x402000);
	go_ev(f, RT_EV_GO_CHAN_CLOSE, 8, CH, 0x403000, 0);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"kind\":\"go-chan-send-closed\""));
	assert_true(said(f, "\"detail\":\"predicted\""));
	assert_true(said(f, "\"threads\":[7,8]"));
	assert_true(said(f, "\"sites\":[\"0x402000\",\"0x403000\"]"));
	/* one finding per channel */
	send(f, 7, 0x402000);
	assert_int_equal(rt_report__count(f->report), 1);
}

/* A send after the close (ordered after it, even): the runtime panics. */
static void test_send_after_close(void **state)
{
	struct fixture *f = *state;

	made(f, 1);
	go_ev(f, RT_EV_GO_CHAN_CLOSE, 1, CH, 0x403000, 0);
	spawn(f, 1, 7);
	go_ev(f, RT_EV_GO_CHAN_SEND, 7, CH, 0x402000, 0);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"kind\":\"go-chan-send-closed\""));
	assert_false(said(f, "\"detail\":\"predicted\""));
}

/* A sender parked in its send when the channel closes: the close wakes it into the panic. */
static void test_close_wakes_parked_sender(void **state)
{
	struct fixture *f = *state;

	made(f, 1);
	spawn(f, 1, 7);
	spawn(f, 1, 8);
	go_ev(f, RT_EV_GO_CHAN_SEND, 7, CH, 0x402000, 0);
	go_ev(f, RT_EV_GO_CHAN_CLOSE, 8, CH, 0x403000, 0);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"kind\":\"go-chan-send-closed\""));
	assert_false(said(f, "\"detail\":\"predicted\""));
}

/* Clean: the senders are joined by a WaitGroup before the close. */
static void test_close_after_wait(void **state)
{
	struct fixture *f = *state;

	made(f, 1);
	go_ev(f, RT_EV_GO_WG_ADD, 1, WG, 0x401100, 2);
	spawn(f, 1, 7);
	spawn(f, 1, 8);
	send(f, 7, 0x402000);
	go_ev(f, RT_EV_GO_WG_ADD, 7, WG, 0x402100, (__u64)-1);
	send(f, 8, 0x402000);
	go_ev(f, RT_EV_GO_WG_ADD, 8, WG, 0x402100, (__u64)-1);
	go_ev(f, RT_EV_GO_WG_WAIT, 1, WG, 0x401200, 0);
	go_ev(f, RT_EV_GO_WG_WAIT_DONE, 1, 0, 0, 0);
	go_ev(f, RT_EV_GO_CHAN_CLOSE, 1, CH, 0x403000, 0);
	assert_int_equal(rt_report__count(f->report), 0);
}

/* Clean: the only sender closes, and a channel made anew at the address starts over. */
static void test_sender_closes_and_made_anew(void **state)
{
	struct fixture *f = *state;

	made(f, 1);
	spawn(f, 1, 7);
	send(f, 7, 0x402000);
	go_ev(f, RT_EV_GO_CHAN_CLOSE, 7, CH, 0x403000, 0);
	made(f, 1);
	spawn(f, 1, 8);
	send(f, 8, 0x402000);
	assert_int_equal(rt_report__count(f->report), 0);
}

/* Without the WaitGroup's Wait, the same shape is predicted. */
static void test_close_without_wait(void **state)
{
	struct fixture *f = *state;

	made(f, 1);
	go_ev(f, RT_EV_GO_WG_ADD, 1, WG, 0x401100, 1);
	spawn(f, 1, 7);
	send(f, 7, 0x402000);
	go_ev(f, RT_EV_GO_WG_ADD, 7, WG, 0x402100, (__u64)-1);
	go_ev(f, RT_EV_GO_CHAN_CLOSE, 1, CH, 0x403000, 0);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"detail\":\"predicted\""));
}

static void test_close_nil(void **state)
{
	struct fixture *f = *state;

	spawn(f, 1, 7);
	go_ev(f, RT_EV_GO_CHAN_CLOSE, 7, 0, 0x403000, 0);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"kind\":\"go-chan-close-nil\""));
	assert_true(said(f, "\"threads\":[7]"));
}

static void test_double_close(void **state)
{
	struct fixture *f = *state;

	made(f, 1);
	go_ev(f, RT_EV_GO_CHAN_CLOSE, 1, CH, 0x403000, 0);
	spawn(f, 1, 7);
	go_ev(f, RT_EV_GO_CHAN_CLOSE, 7, CH, 0x404000, 0);
	assert_int_equal(rt_report__count(f->report), 1);
	assert_true(said(f, "\"kind\":\"go-chan-double-close\""));
	assert_true(said(f, "\"sites\":[\"0x404000\",\"0x403000\"]"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_send_close_unordered),	   T(test_send_after_close),
		T(test_close_wakes_parked_sender), T(test_close_after_wait),
		T(test_sender_closes_and_made_anew), T(test_close_without_wait),
		T(test_close_nil),		   T(test_double_close),
	};
#undef T
	(void)fx_event; /* the fixture's thread records: every record here is a goroutine's */
	return cmocka_run_group_tests_name("gochan", tests, NULL, NULL);
}
