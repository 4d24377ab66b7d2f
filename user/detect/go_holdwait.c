// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Go hold-and-wait (kind hang, detail hold-and-wait, goroutine ids). A goroutine G parks on a
 * channel (a send, a receive, a select), a WaitGroup or a sync.Cond while it holds a Mutex or
 * an RWMutex (for writing or reading), and another goroutine W is blocked on that lock: G's
 * wait now blocks W too, and whoever was to wake G may be one of the goroutines queued on
 * the lock (an RWMutex read lock is the usual one: a writer's Lock waits for G's read hold,
 * and every later RLock queues behind the writer). Reported when both W's lock wait and G's
 * park have lasted the hang threshold, once per park of G, with W's wait site, G's
 * acquisition of the lock and G's parking site; every goroutine then queued on the lock is
 * named, and the finding explains their parks (no leak report on top of it). A goroutine that
 * queues on the lock later, while G is still in that park, is one more sighting of the same
 * finding (its count), which explains its park too.
 * Not reported: G parked on something that wakes by itself (a timer's or a signal's channel,
 * a select with such a case or with more cases than the probe reads): a bounded wait;
 * G parked on a lock (that chain is a lock-order inversion or a deadlock, found as such);
 * a lock whose holds we lost; parks already explained (a double lock, a global deadlock);
 * processes that are exiting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "detect/go_park.h"
#include "detect/registry.h"
#include "engine/hb.h"
#include "lib/util.h"

/* A reported hold-and-wait: the holder's park, and what the finding's id is made of. */
struct hw_rep {
	__u64 seq;  /* the holder's park */
	__u64 lock; /* the lock it holds */
	__u64 waiter_site, hold_site;
};

struct holdwait {
	struct hb *hb;
	struct rt_map reported; /* holder uid -> index + 1 in reps */
	struct hw_rep *reps;
	size_t nreps, reps_cap;
};

static void *hw_new(struct hb *hb)
{
	struct holdwait *w = calloc(1, sizeof(*w));

	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	w->hb = hb;
	rt_map_init(&w->reported);
	return w;
}

static void hw_free(void *st)
{
	struct holdwait *w = st;

	rt_map_free(&w->reported);
	free(w->reps);
	free(w);
}

/* The holder is gone: its record's slot stays (reused by its next report, if any). */
static void hw_actor_end(void *st, const struct hb_actor *t)
{
	struct holdwait *w = st;
	__u64 *v = rt_map_get(&w->reported, t->uid);

	if (v)
		w->reps[*v - 1].seq = 0;
	rt_map_del(&w->reported, t->uid);
}

static bool lock_park(__u8 kind)
{
	return kind == RT_PARK_MUTEX || kind == RT_PARK_RLOCK || kind == RT_PARK_WLOCK;
}

/* A goroutine of a live process, parked for at least the hang threshold, not yet explained. */
static bool parked_long(const struct hb *hb, const struct hb_actor *t)
{
	return t->alive && (t->key & RT_GO_KEY) && t->park.kind && !t->park.explained &&
	       !hb__proc_exited(hb, t->pid) && hb__now(hb) - t->park.since >= hb__hang_threshold(hb);
}

/* Parked on lock, as a goroutine of pid whose park no finding explains yet. */
static bool queued_on(const struct hb_actor *t, __u32 pid, __u64 lock)
{
	return t->alive && (t->key & RT_GO_KEY) && t->pid == pid && lock_park(t->park.kind) &&
	       t->park.obj == lock && !t->park.explained;
}

/*
 * Report that g, parked on something else than a lock, holds r->lock while waiter (0: none
 * new) waits for it; with every goroutine queued on the lock that no finding explains yet.
 * The id is made of r's sites, so a later report about the same park of g is one more
 * sighting of the same finding: it explains the goroutines that queued since.
 */
static int report(struct holdwait *w, const struct hb_actor *g, const struct hw_rep *r,
		  __u8 hold_mode, const struct hb_actor *waiter, const struct hb_actor *a, size_t n)
{
	const struct hb_lock *l = hb__lock(w->hb, r->lock);
	struct rt_finding f;
	size_t i, nqueued = 0;

	hb__finding(w->hb, &f, RT_K_HANG, g->pid);
	f.goroutines = true;
	snprintf(f.detail, sizeof(f.detail), "hold-and-wait");
	if (waiter)
		rt_finding_thread(&f, waiter->tid);
	rt_finding_thread(&f, g->tid);
	hb__finding_lock(&f, l, r->lock);
	rt_finding_lock(&f, g->park.obj, rt_go_park_kind[g->park.kind]);
	rt_finding_site(&f, r->waiter_site);
	rt_finding_site(&f, r->hold_site);
	rt_finding_site(&f, g->park.site);
	/* the others queued on the lock: named, and explained by this finding */
	for (i = 0; i < n; i++) {
		if (&a[i] == waiter || &a[i] == g || !queued_on(&a[i], g->pid, r->lock))
			continue;
		nqueued++;
		if (f.nthreads < RT_FINDING_MAX)
			rt_finding_thread(&f, a[i].tid);
	}
	if (!waiter && !nqueued)
		return 0;
	snprintf(f.message, sizeof(f.message),
		 "goroutine %u has been blocked on %s 0x%llx for %.1f s: goroutine %u holds it "
		 "(%s) while it has been %s 0x%llx for %.1f s%s; a lock held across a blocking "
		 "wait blocks everyone who needs it, and whoever was to wake goroutine %u may be "
		 "one of them",
		 waiter ? waiter->tid : f.threads[1], f.locks[0].kind, (unsigned long long)r->lock,
		 waiter ? (hb__now(w->hb) - waiter->park.since) / 1e9 : 0.0, g->tid,
		 hold_mode == RT_MODE_SHARED ? "a read lock" : "locked", rt_go_park_what[g->park.kind],
		 (unsigned long long)g->park.obj, (hb__now(w->hb) - g->park.since) / 1e9,
		 nqueued ? ", and more goroutines are queued on the lock" : "", g->tid);
	return hb__report(w->hb, &f, RT_REP_EXPLAINS);
}

/* The reported park of g, if g is still in it. */
static struct hw_rep *reported(struct holdwait *w, const struct hb_actor *g)
{
	__u64 *v = rt_map_get(&w->reported, g->uid);

	return v && w->reps[*v - 1].seq == g->park.seq ? &w->reps[*v - 1] : NULL;
}

/* Remember the report about g's park. */
static struct hw_rep *remember(struct holdwait *w, const struct hb_actor *g)
{
	__u64 *v = rt_map_get(&w->reported, g->uid);
	size_t i;

	if (v) {
		i = *v - 1;
	} else {
		/* a slot whose holder is gone, or a new one */
		for (i = 0; i < w->nreps && w->reps[i].seq; i++)
			;
		if (i == w->nreps) {
			if (rt_grow((void **)&w->reps, &w->reps_cap, w->nreps + 1,
				    sizeof(*w->reps)))
				return NULL;
			w->nreps++;
		}
		if (rt_map_put(&w->reported, g->uid, i + 1))
			return NULL;
	}
	w->reps[i].seq = g->park.seq;
	return &w->reps[i];
}

static int hw_tick(void *st)
{
	struct holdwait *w = st;
	const struct hb_actor *a;
	struct hw_rep *r;
	size_t i, j, n;
	int err;

	a = hb__actors(w->hb, &n);
	/* goroutines queued since on a lock whose hold-and-wait was reported */
	for (j = 0; j < n; j++) {
		const struct hb_actor *g = &a[j];
		const struct rt_held *h;

		if (g->alive && g->park.kind && (r = reported(w, g)) &&
		    (h = hb__held(g, r->lock)) && !hb__proc_exited(w->hb, g->pid)) {
			err = report(w, g, r, h->mode, NULL, a, n);
			if (err)
				return err;
		}
	}
	for (i = 0; i < n; i++) {
		const struct hb_actor *waiter = &a[i];

		if (!parked_long(w->hb, waiter) || !lock_park(waiter->park.kind))
			continue;
		for (j = 0; j < n; j++) {
			const struct hb_actor *g = &a[j];
			const struct rt_held *h;

			if (g == waiter || g->pid != waiter->pid || !parked_long(w->hb, g) ||
			    lock_park(g->park.kind) ||
			    !(h = hb__held(g, waiter->park.obj)) ||
			    rt_go_park_wakes_alone(w->hb, &g->park) || reported(w, g))
				continue;
			if (!(r = remember(w, g)))
				return -ENOMEM;
			r->lock = h->lock;
			r->waiter_site = waiter->park.site;
			r->hold_site = h->site;
			err = report(w, g, r, h->mode, waiter, a, n);
			if (err)
				return err;
			break;
		}
	}
	return 0;
}

const struct hb_detector rt_det_go_holdwait = {
	.name = "go-hold-and-wait",
	.flags = HB_DET_GO,
	.new = hw_new,
	.free = hw_free,
	.actor_end = hw_actor_end,
	.tick = hw_tick,
};
