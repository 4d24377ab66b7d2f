// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Go double locks (kind double-lock, goroutine ids). A goroutine parked on a Mutex or an
 * RWMutex's Lock that it holds itself is deadlocked on itself: Go's locks are not reentrant.
 * recursive-rlock: a goroutine that read-holds an RWMutex and read-locks it again deadlocks
 * the day a writer's Lock comes in between (the second RLock waits for the writer, the writer
 * for the first RLock); reported when the goroutine releases one of its two read holds itself
 * (the recursion happened), or when it is parked on the second RLock behind a writer.
 * A park is confirmed only after RT_GO_DOUBLE_LOCK_NS: an Unlock we missed (an inlined body
 * we could not probe) looks like a double lock for a moment, then the goroutine runs on.
 * Not reported: a read hold handed to another goroutine (a transaction closed elsewhere: two
 * holds of one goroutine are needed), locks whose holds were forgotten after a loss.
 */
#include <stdio.h>
#include "detect/registry.h"

#define RT_GO_DOUBLE_LOCK_NS 100000000ULL /* 100 ms */

static void *dl_new(struct hb *hb)
{
	return hb;
}

static int report(struct hb *hb, const struct hb_actor *t, __u64 lock, __u8 kind, __u64 site,
		  __u64 prev_site, bool recursive_rlock)
{
	struct rt_finding f;

	hb__finding(hb, &f, RT_K_DOUBLE_LOCK, t->pid);
	f.goroutines = true;
	if (recursive_rlock)
		snprintf(f.detail, sizeof(f.detail), "recursive-rlock");
	rt_finding_thread(&f, t->tid);
	rt_finding_lock(&f, lock, rt_lock_kind_name(kind));
	rt_finding_site(&f, site);
	rt_finding_site(&f, prev_site);
	if (recursive_rlock)
		snprintf(f.message, sizeof(f.message),
			 "goroutine %u read-locks sync.RWMutex 0x%llx again while it holds a read "
			 "lock on it: a writer's Lock in between blocks the second RLock, and the "
			 "writer waits for the first (a deadlock, the day a writer comes)",
			 t->tid, (unsigned long long)lock);
	else
		snprintf(f.message, sizeof(f.message),
			 "goroutine %u locks %s 0x%llx again while holding it and is blocked "
			 "there: Go's locks are not reentrant, it deadlocks on itself",
			 t->tid, rt_lock_kind_name(kind), (unsigned long long)lock);
	/* it explains why the goroutine is stuck: no leak report for it */
	return hb__report(hb, &f, RT_REP_EXPLAINS);
}

/* t's two most recent read holds of lock (the later one in *second); false: fewer than two. */
static bool two_read_holds(const struct hb_actor *t, __u64 lock, const struct rt_held **first,
			   const struct rt_held **second)
{
	size_t i;

	*first = *second = NULL;
	for (i = t->nheld; i-- > 0;) {
		const struct rt_held *h = &t->held[i];

		if (h->lock != lock || h->mode != RT_MODE_SHARED)
			continue;
		if (!*second) {
			*second = h;
		} else {
			*first = h;
			return true;
		}
	}
	return false;
}

/* t releases a read hold of l while it has two: the recursion happened. */
static int dl_release(void *st, const struct hb_actor *t, const struct hb_lock *l,
		      const struct rt_held *h)
{
	const struct rt_held *first, *second;

	if (l->kind != RT_LOCK_GO_RWMUTEX || h->mode != RT_MODE_SHARED ||
	    !two_read_holds(t, l->addr, &first, &second))
		return 0;
	return report(st, t, l->addr, RT_LOCK_GO_RWMUTEX, second->site, first->site, true);
}

static int dl_tick(void *st)
{
	struct hb *hb = st;
	const struct hb_actor *actors;
	size_t i, n;
	int err;

	actors = hb__actors(hb, &n);
	for (i = 0; i < n; i++) {
		const struct hb_actor *t = &actors[i];
		const struct rt_held *h, *first, *second;
		const struct hb_lock *l;

		if (!t->alive || !(t->key & RT_GO_KEY) || t->park.explained ||
		    hb__now(hb) - t->park.since < RT_GO_DOUBLE_LOCK_NS)
			continue;
		switch (t->park.kind) {
		case RT_PARK_MUTEX:
		case RT_PARK_WLOCK:
			/* parked on a Lock of a lock it holds */
			h = hb__held(t, t->park.obj);
			if (!h || !t->pending_again)
				continue;
			l = hb__lock(hb, t->park.obj);
			err = report(hb, t, t->park.obj, l ? l->kind : RT_LOCK_GO_MUTEX,
				     t->park.site, h->site, false);
			break;
		case RT_PARK_RLOCK:
			h = hb__held(t, t->park.obj);
			if (!h)
				continue;
			if (h->mode == RT_MODE_SHARED) {
				/* behind a writer on a second read lock: the deadlock itself */
				if (two_read_holds(t, t->park.obj, &first, &second))
					h = first;
				err = report(hb, t, t->park.obj, RT_LOCK_GO_RWMUTEX, t->park.site,
					     h->site, true);
			} else if (t->pending_again) {
				/* a read lock of an RWMutex it write-holds */
				err = report(hb, t, t->park.obj, RT_LOCK_GO_RWMUTEX, t->park.site,
					     h->site, false);
			} else {
				continue;
			}
			break;
		default:
			continue;
		}
		if (err)
			return err;
	}
	return 0;
}

const struct hb_detector rt_det_go_doublelock = {
	.name = "go-double-lock",
	.flags = HB_DET_GO,
	.new = dl_new,
	.lock_release = dl_release,
	.tick = dl_tick,
};
