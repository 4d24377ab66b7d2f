// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * go-waitgroup-misuse. negative-counter: more Done than Add (the runtime panics). add-after-wait:
 * an Add that takes the counter off zero after a Wait began at zero and returned, by a
 * goroutine that follows the waiter's earlier work (it made it, say) but not its Wait, while
 * the waiter lives on: that Wait did not wait for this work (call Add before the `go`
 * statement, in the waiter's goroutine).
 * Not reported: WaitGroups of a program whose start we did not see (their counts before the
 * attach are unknown), a group reused after its Wait (the waiter's own Add, or one ordered
 * after the Wait), an Add by a goroutine that never synchronized with the waiter or after the
 * waiter ended (a new WaitGroup in the same memory: Go reuses it and we see no allocation).
 * A group is reported once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect/registry.h"
#include "engine/hb.h"
#include "lib/util.h"

#define RT_GO_WGS_MAX (1U << 16)

struct waiter {
	__u64 key; /* actor, 0: none */
	__u32 goid;
	__u32 sid;
	__u32 clock;
	__u64 site;
};

struct wg_state {
	__u64 wg;
	__s64 count;
	struct waiter zero_wait; /* a Wait that began at count 0 */
	bool broken;
};

struct waitgroup {
	struct hb *hb;
	struct rt_map of; /* WaitGroup -> index + 1 into wgs */
	struct wg_state *wgs;
	size_t nwgs, wgs_cap;
	__u64 evicted;
};

static void *wg_new(struct hb *hb)
{
	struct waitgroup *w = calloc(1, sizeof(*w));

	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	w->hb = hb;
	rt_map_init(&w->of);
	return w;
}

static void wg_free(void *st)
{
	struct waitgroup *w = st;

	rt_map_free(&w->of);
	free(w->wgs);
	free(w);
}

/* per-object states forgotten at the cap: with the engine's sync clocks, one table */
static const struct hb_det_counter wg_counters[] = {
	{ "racetrace_engine_evictions_total", "sync_clocks", NULL },
	{ NULL, NULL, NULL },
};

static void wg_count(const void *st, __u64 *v)
{
	v[0] = ((const struct waitgroup *)st)->evicted;
}

static struct wg_state *wg_get(struct waitgroup *w, __u64 wg)
{
	__u64 *v = rt_map_get(&w->of, wg);
	struct wg_state *s;

	if (v)
		return &w->wgs[*v - 1];
	if (w->of.len >= RT_GO_WGS_MAX) {
		w->evicted += w->of.len;
		rt_map_free(&w->of);
		w->nwgs = 0;
	}
	if (rt_grow((void **)&w->wgs, &w->wgs_cap, w->nwgs + 1, sizeof(*w->wgs)) ||
	    rt_map_put(&w->of, wg, w->nwgs + 1))
		return NULL;
	s = &w->wgs[w->nwgs++];
	memset(s, 0, sizeof(*s));
	s->wg = wg;
	return s;
}

static int wg_report(struct waitgroup *w, const struct hb_actor *t, struct wg_state *s,
		     const char *detail, __u64 site, __u64 other_site, __u32 other)
{
	struct rt_finding f;

	s->broken = true;
	hb__finding(w->hb, &f, RT_K_GO_WAITGROUP_MISUSE, t->pid);
	snprintf(f.detail, sizeof(f.detail), "%s", detail);
	rt_finding_thread(&f, t->tid);
	if (other)
		rt_finding_thread(&f, other);
	rt_finding_lock(&f, s->wg, "sync.WaitGroup");
	rt_finding_site(&f, site);
	if (other_site)
		rt_finding_site(&f, other_site);
	if (other)
		snprintf(f.message, sizeof(f.message),
			 "goroutine %u calls WaitGroup.Add on 0x%llx after goroutine %u's Wait "
			 "began with the counter at zero and returned: that Wait did not wait for "
			 "this work (call Add before the `go` statement, in the waiter's goroutine)",
			 t->tid, (unsigned long long)s->wg, other);
	else
		snprintf(f.message, sizeof(f.message),
			 "goroutine %u makes WaitGroup 0x%llx's counter negative (%lld): more Done "
			 "than Add; the runtime panics (\"sync: negative WaitGroup counter\")",
			 t->tid, (unsigned long long)s->wg, (long long)s->count);
	return hb__report(w->hb, &f, 0);
}

static int wg_add(struct waitgroup *w, const struct hb_actor *t, __u64 wg, __s64 delta,
		  __u64 site)
{
	struct wg_state *s;
	__s64 before;

	if (!wg || !(t->key & RT_GO_KEY) || !hb__go_started(w->hb, t->pid))
		return 0;
	s = wg_get(w, wg);
	if (!s)
		return -ENOMEM;
	before = s->count;
	s->count += delta;
	if (s->broken)
		return 0;
	if (s->count < 0)
		return wg_report(w, t, s, "negative-counter", site, 0, 0);
	if (delta > 0 && before == 0 && s->zero_wait.key) {
		struct waiter zw = s->zero_wait;
		const struct hb_actor *wt = hb__actor(w->hb, zw.key);
		__u32 seen = vc_get(&t->vc, zw.sid);

		s->zero_wait.key = 0;
		if (zw.key != t->key && seen && seen < zw.clock && wt && wt->alive &&
		    wt->sid == zw.sid)
			return wg_report(w, t, s, "add-after-wait", site, zw.site, zw.goid);
	}
	return 0;
}

static void wg_wait(struct waitgroup *w, const struct hb_actor *t, __u64 wg, __u64 site)
{
	struct wg_state *s;

	if (!wg || !(t->key & RT_GO_KEY) || !hb__go_started(w->hb, t->pid))
		return;
	s = wg_get(w, wg);
	if (!s || s->count != 0)
		return;
	s->zero_wait = (struct waiter){ .key = t->key, .goid = t->tid, .sid = t->sid,
					.clock = hb__own_clock(t), .site = site };
}

static int wg_go(void *st, const struct hb_actor *t, const struct hb_go_op *op)
{
	struct waitgroup *w = st;

	switch (op->kind) {
	case HB_GO_WG_ADD:
		return wg_add(w, t, op->obj, op->arg, op->site);
	case HB_GO_WG_WAIT:
		wg_wait(w, t, op->obj, op->site);
		return 0;
	default:
		return 0;
	}
}

const struct hb_detector rt_det_go_waitgroup = {
	.name = "go-waitgroup-misuse",
	.flags = HB_DET_GO,
	.new = wg_new,
	.free = wg_free,
	.go = wg_go,
	.counters = wg_counters,
	.count = wg_count,
};
