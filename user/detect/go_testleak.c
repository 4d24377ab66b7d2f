// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Goroutines a Go test left behind (go-goroutine-leak, detail after-test): goleak's rule. A
 * test function runs in a goroutine that package testing starts (`go tRunner(t, f)` in
 * testing.(*T).Run, marked HB_GO_SPAWN_TESTING); every goroutine made from it, directly or
 * not, belongs to that test. When the test's goroutine ends (the function returned, passed or
 * failed), a goroutine of the test still parked on a channel, a select, a lock, a WaitGroup or
 * a Cond is a leak: reported once it stayed parked RT_GO_TESTLEAK_GRACE_NS after the test
 * ended, or at once when the process exits first (a test binary exits right after its last
 * test). At the exit, a test also counts as ended when the goroutine that started it (in
 * testing.(*T).Run) received the test's signal since: the test goroutine's own end may still
 * be on its way (a parallel test signals early too, but the binary exits only after all
 * tests). One finding per parking site, naming each goroutine once.
 * At the exit a goroutine parked in a plain send or receive is not judged when that channel
 * was closed, or a counterpart operation on it completed (a receive for a parked send, a send
 * for a parked receive), after it parked, and it is the only goroutine parked there: it was
 * handed its value and made ready, and had no time to run before the process exited (seen
 * under load: TestOK's sender, whose value the test took just before it returned).
 * Not reported: goroutines of a test that has not returned, goroutines that are not parked
 * where we look (running, sleeping, in a system call or the network poller: we cannot tell
 * they are stuck), parks with a timer's or a signal's channel in them (they wake by
 * themselves), selects with more cases than the probe reads, parks another finding explains.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "detect/go_park.h"
#include "detect/registry.h"
#include "engine/hb.h"
#include "lib/util.h"

#define RT_GO_TESTLEAK_GRACE_NS 1000000000ULL /* parked this long after its test ended */
#define RT_GO_TESTLEAK_MAX (1U << 20)	      /* goroutines remembered in a test */

struct testleak {
	struct hb *hb;
	struct rt_map scope_of; /* goroutine uid -> uid of its test's goroutine */
	struct rt_map ended;	/* test goroutine uid -> ktime its function returned */
	struct rt_map reported; /* goroutine uid -> 1 */
	struct rt_map runs;	/* uid of a goroutine in T.Run -> uid of the test it started */
	struct rt_map signalled; /* test goroutine uid -> ktime its starter received from it */
	/* channel -> ktime a receive (sent_to: a send) on it completed last, or it was closed */
	struct rt_map recvd_from, sent_to;
	__u64 forgotten;	/* entries dropped at the cap */
};

static void *tl_new(struct hb *hb)
{
	struct testleak *s = calloc(1, sizeof(*s));

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->hb = hb;
	rt_map_init(&s->scope_of);
	rt_map_init(&s->ended);
	rt_map_init(&s->reported);
	rt_map_init(&s->runs);
	rt_map_init(&s->signalled);
	rt_map_init(&s->recvd_from);
	rt_map_init(&s->sent_to);
	return s;
}

static void tl_free(void *st)
{
	struct testleak *s = st;

	rt_map_free(&s->scope_of);
	rt_map_free(&s->ended);
	rt_map_free(&s->reported);
	rt_map_free(&s->runs);
	rt_map_free(&s->signalled);
	rt_map_free(&s->recvd_from);
	rt_map_free(&s->sent_to);
	free(s);
}

/* A slot is reused: the goroutine is gone for good (a test that ended keeps its end time). */
static void tl_actor_end(void *st, const struct hb_actor *t)
{
	struct testleak *s = st;

	rt_map_del(&s->scope_of, t->uid);
	rt_map_del(&s->reported, t->uid);
	rt_map_del(&s->runs, t->uid);
	rt_map_del(&s->signalled, t->uid);
}

/* A channel's key in recvd_from and sent_to: its address in process pid. */
static __u64 chan_key(__u32 pid, __u64 ch)
{
	return (ch & ((1ULL << 47) - 1)) ^ ((__u64)(pid & 0xffff) << 47);
}

/* An operation on channel ch of pid completed now (m: recvd_from or sent_to), or it closed. */
static void chan_done(struct testleak *s, struct rt_map *m, __u32 pid, __u64 ch)
{
	if (!ch)
		return;
	if (m->len >= RT_GO_TESTLEAK_MAX) {
		/* at the cap: start again (counted); a park judged at exit may be a woken one */
		s->forgotten += m->len;
		rt_map_free(m);
		rt_map_init(m);
	}
	rt_map_put(m, chan_key(pid, ch), hb__now(s->hb)); /* a failed put: one more forgotten */
}

/* t's park ended: remember the channel operation it completed (woken_at_exit). */
static void note_completion(struct testleak *s, const struct hb_actor *t)
{
	if (t->park.kind == RT_PARK_RECV)
		chan_done(s, &s->recvd_from, t->pid, t->park.obj);
	else if (t->park.kind == RT_PARK_SEND)
		chan_done(s, &s->sent_to, t->pid, t->park.obj);
	else if (t->park.kind == RT_PARK_SELECT && t->park.sel_chosen >= 0 &&
		 t->park.sel_chosen < RT_SELECT_SEEN)
		chan_done(s, t->park.sel_chosen < t->park.sel_nsends ? &s->sent_to : &s->recvd_from,
			  t->pid, t->park.sel[t->park.sel_chosen]);
}

/*
 * A goroutine's park ended. A goroutine in testing.(*T).Run received its test's signal: the
 * test function is over.
 */
static void tl_unpark(void *st, const struct hb_actor *t)
{
	struct testleak *s = st;
	__u64 *root;

	if (!(t->key & RT_GO_KEY))
		return;
	/* completions matter only to goroutines of a test: none kept in a program without tests */
	if (s->scope_of.len)
		note_completion(s, t);
	if (t->park.kind != RT_PARK_RECV || !(root = rt_map_get(&s->runs, t->uid)))
		return;
	/* a failed put: the test's end is known from its goroutine's exit only */
	rt_map_put(&s->signalled, *root, hb__now(s->hb));
	rt_map_del(&s->runs, t->uid);
}

/*
 * At the exit: was t, parked in a plain send or receive, handed its counterpart (or the
 * channel closed) after it parked, being the only goroutine parked there? Then it was made
 * ready and had no time to run. (With two or more parked there, we cannot tell which one a
 * completion woke: they are judged.)
 */
static bool woken_at_exit(const struct testleak *s, const struct hb_actor *t,
			  const struct hb_actor *a, size_t n)
{
	const __u64 *done;
	size_t i;

	if (t->park.kind == RT_PARK_SEND)
		done = rt_map_get(&s->recvd_from, chan_key(t->pid, t->park.obj));
	else if (t->park.kind == RT_PARK_RECV)
		done = rt_map_get(&s->sent_to, chan_key(t->pid, t->park.obj));
	else
		return false;
	if (!done || *done < t->park.since)
		return false;
	for (i = 0; i < n; i++)
		if (&a[i] != t && a[i].alive && a[i].pid == t->pid &&
		    a[i].park.kind == t->park.kind && a[i].park.obj == t->park.obj)
			return false;
	return true;
}

static int tl_go(void *st, const struct hb_actor *t, const struct hb_go_op *op)
{
	struct testleak *s = st;
	const struct hb_actor *c;
	const __u64 *root;

	switch (op->kind) {
	case HB_GO_SPAWN:
		c = hb__actor(s->hb, op->obj | RT_GO_KEY);
		if (!c)
			return 0;
		if (s->scope_of.len >= RT_GO_TESTLEAK_MAX) {
			/* at the cap: forget (counted); those goroutines are not judged */
			s->forgotten += s->scope_of.len;
			rt_map_free(&s->scope_of);
			rt_map_init(&s->scope_of);
		}
		if (op->arg & HB_GO_SPAWN_TESTING)
			return rt_map_put(&s->scope_of, c->uid, c->uid) ?:
				       rt_map_put(&s->runs, t->uid, c->uid);
		root = rt_map_get(&s->scope_of, t->uid);
		return root ? rt_map_put(&s->scope_of, c->uid, *root) : 0;
	case HB_GO_CHAN_CLOSE:
		/* wakes its receivers (and its senders, who panic); only tests' goroutines care */
		if (s->scope_of.len) {
			chan_done(s, &s->recvd_from, t->pid, op->obj);
			chan_done(s, &s->sent_to, t->pid, op->obj);
		}
		return 0;
	case HB_GO_EXIT:
		root = rt_map_get(&s->scope_of, t->uid);
		if (root && *root == t->uid) {
			if (s->ended.len >= RT_GO_TESTLEAK_MAX) {
				s->forgotten += s->ended.len;
				rt_map_free(&s->ended);
				rt_map_init(&s->ended);
			}
			/* the test function returned */
			return rt_map_put(&s->ended, t->uid, hb__now(s->hb));
		}
		rt_map_del(&s->scope_of, t->uid);
		return 0;
	default:
		return 0;
	}
}

/*
 * Report the goroutines of ended tests parked for grace_ns after their test ended (all of
 * pid's, with grace 0, at its exit; pid 0: every process).
 */
static int settle(struct testleak *s, __u32 pid, __u64 grace_ns)
{
	const struct hb_actor *a;
	struct rt_finding f;
	size_t i, n;
	int err;

	if (!s->ended.len && (!pid || !s->signalled.len))
		return 0;
	a = hb__actors(s->hb, &n);
	for (i = 0; i < n; i++) {
		const struct hb_actor *t = &a[i];
		const __u64 *root, *end;
		__u64 now = hb__now(s->hb);

		if (!t->alive || !(t->key & RT_GO_KEY) || !t->park.kind || t->park.explained ||
		    (pid && t->pid != pid) || (!pid && hb__proc_exited(s->hb, t->pid)) ||
		    !(root = rt_map_get(&s->scope_of, t->uid)) || *root == t->uid ||
		    !((end = rt_map_get(&s->ended, *root)) ||
		      (pid && (end = rt_map_get(&s->signalled, *root)))) ||
		    now - *end < grace_ns ||
		    now - t->park.since < grace_ns || rt_map_get(&s->reported, t->uid) ||
		    rt_go_park_wakes_alone(s->hb, &t->park) || (pid && woken_at_exit(s, t, a, n)))
			continue;
		if (rt_map_put(&s->reported, t->uid, 1))
			return -ENOMEM;
		hb__finding(s->hb, &f, RT_K_GO_GOROUTINE_LEAK, t->pid);
		snprintf(f.detail, sizeof(f.detail), "after-test");
		rt_finding_thread(&f, t->tid);
		rt_finding_lock(&f, t->park.obj, rt_go_park_kind[t->park.kind]);
		rt_finding_site(&f, t->park.site);
		snprintf(f.message, sizeof(f.message),
			 "goroutine %u, started by a test, is still blocked %s 0x%llx %.1f s after "
			 "its test returned: a leaked goroutine (the test does not wait for it)",
			 t->tid, rt_go_park_what[t->park.kind], (unsigned long long)t->park.obj,
			 (now - *end) / 1e9);
		err = hb__report(s->hb, &f, RT_REP_EXPLAINS);
		if (err)
			return err;
	}
	return 0;
}

static int tl_tick(void *st)
{
	return settle(st, 0, RT_GO_TESTLEAK_GRACE_NS);
}

static int tl_proc_exit(void *st, __u32 pid)
{
	return settle(st, pid, 0);
}

/* goroutines, tests and channels forgotten at the caps (with go_stuck's, one table) */
static const struct hb_det_counter tl_counters[] = {
	{ "racetrace_engine_evictions_total", "go_leak", NULL },
	{ NULL, NULL, NULL },
};

static void tl_count(const void *st, __u64 *v)
{
	v[0] = ((const struct testleak *)st)->forgotten;
}

const struct hb_detector rt_det_go_testleak = {
	.name = "go-test-leak",
	.flags = HB_DET_GO,
	.new = tl_new,
	.free = tl_free,
	.actor_end = tl_actor_end,
	.go = tl_go,
	.unpark = tl_unpark,
	.tick = tl_tick,
	.proc_exit = tl_proc_exit,
	.counters = tl_counters,
	.count = tl_count,
};
