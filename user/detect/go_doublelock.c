// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Go double locks (kind double-lock, goroutine ids). A goroutine parked on a Mutex or an
 * RWMutex's Lock that it holds itself is deadlocked on itself: Go's locks are not reentrant.
 * recursive-rlock: a goroutine that read-holds an RWMutex and read-locks it again deadlocks
 * the day a writer's Lock comes in between (the second RLock waits for the writer, the writer
 * for the first RLock); reported when the goroutine releases one of its two read holds itself
 * (the recursion happened), or when it is parked on the second RLock behind a writer.
 * A park is confirmed only after RT_GO_DOUBLE_LOCK_NS: an Unlock we missed (an inlined body
 * we could not probe) looks like a double lock for a moment, then the goroutine runs on. When
 * the process exits first (a test that returns at once), a park that lasted
 * RT_GO_DOUBLE_LOCK_EXIT_NS is settled then: it never ended.
 * Not reported: a read hold handed to another goroutine (a transaction closed elsewhere: two
 * holds of one goroutine are needed), an RLock queued behind a waiting writer by a goroutine
 * with no other read hold (its own hold counts from the xadd), locks whose holds were
 * forgotten after a loss.
 */
#include <stdio.h>
#include "detect/registry.h"

#define RT_GO_DOUBLE_LOCK_NS 100000000ULL    /* 100 ms */
#define RT_GO_DOUBLE_LOCK_EXIT_NS 1000000ULL /* at exit: 1 ms */

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

/* Report t if it is parked on a lock it holds (itself, or a second read hold), for min_ns. */
static int check_parked(struct hb *hb, const struct hb_actor *t, __u64 min_ns)
{
	const struct rt_held *h, *first, *second;
	const struct hb_lock *l;

	if (!t->alive || !(t->key & RT_GO_KEY) || t->park.explained ||
	    hb__now(hb) - t->park.since < min_ns)
		return 0;
	switch (t->park.kind) {
	case RT_PARK_MUTEX:
	case RT_PARK_WLOCK:
		/* parked on a Lock of a lock it holds */
		h = hb__held(t, t->park.obj);
		if (!h || !t->pending_again)
			return 0;
		l = hb__lock(hb, t->park.obj);
		return report(hb, t, t->park.obj, l ? l->kind : RT_LOCK_GO_MUTEX, t->park.site,
			      h->site, false);
	case RT_PARK_RLOCK:
		h = hb__held(t, t->park.obj);
		if (!h)
			return 0;
		if (h->mode == RT_MODE_SHARED) {
			/*
			 * Behind a writer on a second read lock: the deadlock itself. The parked
			 * RLock's own hold counts from its xadd, so one read hold is just a
			 * reader queued behind the writer.
			 */
			if (!two_read_holds(t, t->park.obj, &first, &second))
				return 0;
			return report(hb, t, t->park.obj, RT_LOCK_GO_RWMUTEX, t->park.site,
				      first->site, true);
		}
		if (t->pending_again) /* a read lock of an RWMutex it write-holds */
			return report(hb, t, t->park.obj, RT_LOCK_GO_RWMUTEX, t->park.site,
				      h->site, false);
		return 0;
	default:
		return 0;
	}
}

static int dl_tick(void *st)
{
	struct hb *hb = st;
	const struct hb_actor *actors;
	size_t i, n;
	int err;

	actors = hb__actors(hb, &n);
	for (i = 0; i < n; i++) {
		/* an exited process was settled at its exit */
		if (hb__proc_exited(hb, actors[i].pid))
			continue;
		err = check_parked(hb, &actors[i], RT_GO_DOUBLE_LOCK_NS);
		if (err)
			return err;
	}
	return 0;
}

/* The process exits: a double lock parked there never ended, however short it was. */
static int dl_proc_exit(void *st, __u32 pid)
{
	struct hb *hb = st;
	const struct hb_actor *actors;
	size_t i, n;
	int err;

	actors = hb__actors(hb, &n);
	for (i = 0; i < n; i++) {
		if (actors[i].pid != pid)
			continue;
		err = check_parked(hb, &actors[i], RT_GO_DOUBLE_LOCK_EXIT_NS);
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
	.proc_exit = dl_proc_exit,
	.tick = dl_tick,
};
