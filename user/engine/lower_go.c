// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Go front end: lowers the Go probes' records (keyed by goroutine) into the engine's
 * vocabulary, as TSan's go/tsan_go.cpp lowers Go's runtime calls. Edges: `go` statement ->
 * goroutine start, channel send and close -> receive, select (send cases release at entry,
 * the chosen receive case acquires), Mutex and RWMutex unlock -> lock (readers -> next writer),
 * WaitGroup Done -> Wait return, Once's function -> every Do that finds it done. Blocking
 * operations park the goroutine (hb_park) until their return. Map accesses, channel creation
 * and closes, and WaitGroup counts go to the detectors as hb_go_op. The channel table (make
 * site, timer, signal and event channels) lives here, for the detectors and the reports.
 *
 * Inlined Lock and Unlock bodies are probed where the compiler left them, and some cannot be:
 * a Lock that finds a mutex free that we believe held proves a missed unlock, and the stale
 * hold is dropped (go_mutex_was_free).
 */
#include <errno.h>
#include <string.h>
#include "engine/state.h"

#define RT_X86_SF 0x80		      /* RFLAGS.SF: an RLock's xadd found a writer pending */
#define RT_GO_CHANS_MAX (1U << 20)
#define RT_SPAWN_RUNTIME (1ULL << 63) /* in spawn_site: the go_spawn was RT_EVF_GO_RUNTIME */
#define RT_SPAWN_TESTING (1ULL << 62) /* ... RT_EVF_GO_TESTING */

/* ---- channels ---- */

/*
 * At the cap: forget the channels (counted), except those a goroutine is parked on now and
 * those signals go to (registered once, waited on for the program's life): forgetting them
 * would turn their waiters into stuck goroutines.
 */
static void chans_restart(struct hb *hb)
{
	struct rt_map keep;
	size_t i, j, pos = 0;
	__u64 *v, k, val;

	rt_map_init(&keep);
	for (i = 0; i < hb->nactors; i++) {
		const struct hb_actor *t = &hb->actors[i];
		const __u64 parked[4] = { t->park.obj, t->park.sel[0], t->park.sel[1],
					  t->park.sel[2] };

		for (j = 0; t->alive && t->park.kind && j < 4; j++)
			if (parked[j] && (v = rt_map_get(&hb->go_chans, parked[j])))
				rt_map_put(&keep, parked[j], *v); /* a failed put forgets one more */
	}
	while (rt_map_next(&hb->go_chans, &pos, &k, &val))
		if (val & RT_GO_CHAN_SIGNAL)
			rt_map_put(&keep, k, val);
	hb->cnt.syncs_evicted += hb->go_chans.len - keep.len;
	rt_map_free(&hb->go_chans);
	hb->go_chans = keep;
}

/*
 * A channel made at site; elem: its element size | RT_GO_FIELD_READ, or 0 when unknown; timer:
 * made in package time (RT_EVF_GO_TIME).
 */
static void chan_made(struct hb *hb, __u64 ch, __u64 site, __s64 elem, bool timer)
{
	__u64 flags = elem == RT_GO_FIELD_READ ? RT_GO_CHAN_EVENT : 0;

	if (!ch)
		return;
	if (!site || site >> 61) {
		rt_map_del(&hb->go_chans, ch);
		return;
	}
	if (hb->go_chans.len >= RT_GO_CHANS_MAX)
		chans_restart(hb);
	/* a failed put only loses the name and the timer mark of one channel */
	if (timer)
		flags |= RT_GO_CHAN_TIMER;
	rt_map_put(&hb->go_chans, ch, site << 3 | flags);
}

/* Signals arrive on channel ch (os/signal.Notify): a receiver there waits for one. */
static void chan_wakes(struct hb *hb, __u64 ch)
{
	__u64 *v = rt_map_get(&hb->go_chans, ch);

	if (v)
		*v |= RT_GO_CHAN_SIGNAL;
	else if (ch)
		rt_map_put(&hb->go_chans, ch, RT_GO_CHAN_SIGNAL); /* made before we saw it */
}

/* Channel ch was closed: a send on it panics instead of parking. */
static int chan_closed(struct hb *hb, __u64 ch)
{
	if (!ch)
		return 0;
	if (hb->go_closed.len >= RT_GO_CHANS_MAX) {
		/* at the cap: forget them (counted); a send on one of them looks parked */
		hb->cnt.syncs_evicted += hb->go_closed.len;
		rt_map_free(&hb->go_closed);
	}
	return rt_map_put(&hb->go_closed, ch, 1) ? -ENOMEM : 0;
}

/* ---- locks ---- */

/*
 * A Go mutex is known to be free right now (t just won it): forget any hold of it we still
 * believe in. The unlock we missed was a release: t synchronizes with all the holder did so far
 * (more than the release carried, so it can only hide a race, never invent one).
 */
static void go_mutex_was_free(struct hb *hb, struct hb_actor *t, __u64 addr)
{
	struct hb_lock *l = hb_lock_find(hb, addr);
	struct hb_actor *o;
	struct rt_held *h;

	if (!l || !l->owner)
		return;
	o = hb_actor_find(hb, l->owner_key);
	while (o && (h = hb_held_find(o, addr)))
		hb_held_remove(o, h);
	if (o && o != t && o->has_vc && vc_join(&t->vc, &o->vc) >= 0)
		vc_tick(&o->vc, o->sid);
	l->owner = 0;
	l->owner_key = 0;
	l->depth = 0;
	hb->cnt.go_unlocks_missed++;
}

/* A writer holds rw now: no reader does, whatever holds of it we still believe in. */
static void go_rw_no_readers(struct hb *hb, struct hb_lock *l)
{
	size_t i;

	if (!l->readers)
		return;
	for (i = 0; i < hb->nactors; i++) {
		struct hb_actor *o = &hb->actors[i];
		struct rt_held *h;

		while (o->alive && (h = hb_held_find(o, l->addr)) && h->mode == RT_MODE_SHARED)
			hb_held_remove(o, h);
	}
	l->readers = 0;
	hb->cnt.go_unlocks_missed++;
}

/*
 * sync.(*RWMutex).Lock and Unlock take and release the Mutex inside the RWMutex (at its
 * address): those records are the writer lock's own, which GO_WLOCK and GO_WUNLOCK stand for.
 */
static bool go_rw_internal(struct hb *hb, const struct hb_actor *t, const struct rt_event *e)
{
	struct hb_lock *l;

	switch (e->h.type) {
	case RT_EV_GO_LOCK_SLOW_DONE:
		return t->has_pending && t->pending.kind == RT_LOCK_GO_RWMUTEX;
	case RT_EV_GO_LOCK:
	case RT_EV_GO_LOCK_SLOW:
	case RT_EV_GO_UNLOCK:
		l = hb_lock_find(hb, e->obj);
		return l && l->kind == RT_LOCK_GO_RWMUTEX;
	}
	return false;
}

int hb_go_before(struct hb *hb, struct hb_actor *t, const struct rt_event *e)
{
	if (go_rw_internal(hb, t, e))
		return 1;
	if (t->go_rw_wait) {
		/* the reader runs again: the writer it waited for has unlocked */
		struct hb_lock *l = hb_lock_find(hb, t->go_rw_wait);
		struct rt_held *h;

		if (t->has_pending && t->pending_again && t->pending.lock == t->go_rw_wait) {
			/* it did not park for good: the write hold we believed in was stale */
			while ((h = hb_held_find(t, t->go_rw_wait)) && h->mode == RT_MODE_EXCL)
				hb_held_remove(t, h);
			t->pending_again = false;
		}
		t->go_rw_wait = 0;
		hb_unpark(hb, t);
		if (l && l->kind == RT_LOCK_GO_RWMUTEX && vc_acquire(&t->vc, &l->wclock) < 0)
			return -ENOMEM;
	}
	/* lockSlow returns holding it: whoever we thought had it let it go */
	if (e->h.type == RT_EV_GO_LOCK_SLOW_DONE && t->has_pending &&
	    t->pending.kind == RT_LOCK_GO_MUTEX)
		go_mutex_was_free(hb, t, t->pending.lock);
	return 0;
}

bool hb_go_continues_pending(const struct hb_actor *t, const struct rt_event *e)
{
	/* sync.(*Mutex).Lock's own slow path */
	return e->h.type == RT_EV_GO_LOCK_SLOW && e->obj == t->pending.lock;
}

/* ---- goroutines ---- */

/*
 * Goroutine c was just made by p: is it the program's or the runtime's own (GC workers and
 * the like: runtime, by the `go` statement's package, RT_EVF_GO_RUNTIME on its go_spawn)?
 * Goroutine 1 made on a thread's g0 means we saw the program start.
 */
static int go_spawned(struct hb *hb, struct hb_actor *p, struct hb_actor *c, bool runtime)
{
	if (!(p->key & RT_GO_KEY)) {
		/*
		 * Made on a thread's g0: a timer's time.AfterFunc, or goroutine 1, runtime.main,
		 * whose creation we saw, so we see every goroutine of the program.
		 */
		if (c->tid == 1 && rt_map_put(&hb->go_started, c->pid, 1))
			return -ENOMEM;
		return 0;
	}
	c->go_system = runtime;
	return 0;
}

static int on_go(struct hb *hb, const struct rt_event *e)
{
	__u64 *parent = rt_map_get(&hb->spawn_of, e->h.tid), *site, create_site;
	bool runtime, testing;
	struct hb_actor *p, *c;
	__u64 pkey;
	int err;

	if (!parent)
		return 0;
	pkey = *parent;
	site = rt_map_get(&hb->spawn_site, e->h.tid);
	/* the spawn's site, with RT_SPAWN_RUNTIME when its go_spawn was marked */
	create_site = site ? *site & ~(RT_SPAWN_RUNTIME | RT_SPAWN_TESTING) : 0;
	runtime = site && (*site & RT_SPAWN_RUNTIME);
	testing = site && (*site & RT_SPAWN_TESTING);
	rt_map_del(&hb->spawn_of, e->h.tid);
	rt_map_del(&hb->spawn_site, e->h.tid);
	if (!e->obj)
		return 0;
	c = hb_actor_get(hb, e->obj | RT_GO_KEY, (__u32)e->obj, e->h.tgid);
	p = hb_actor_find(hb, pkey); /* hb_actor_get may have moved the table */
	if (!c)
		return -ENOMEM;
	if (!p || !p->alive) /* the creator ended (records lost): no edge to take */
		return 0;
	c->parent = p->tid;
	c->create_site = create_site; /* the `go` statement */
	if (go_spawned(hb, p, c, runtime))
		return -ENOMEM;
	/* the goroutine starts after everything its creator did */
	err = hb_actor_fork(hb, p, c);
	if (err)
		return err;
	return hb_go_call(hb, p, HB_GO_SPAWN, e->obj, create_site,
			  testing ? HB_GO_SPAWN_TESTING : 0);
}

static void park(struct hb_actor *t, __u8 kind, const struct rt_event *e)
{
	hb_park(t, kind, e->obj, e->caller, e->h.ktime);
}

static int on_select(struct hb *hb, struct hb_actor *t, const struct rt_event *e)
{
	__u64 ch[RT_SELECT_SEEN] = { e->obj, e->obj2, e->arg };
	__u32 i;

	t->park.sel_chosen = -1;
	t->park.sel_nsends = e->ret & 0xffff;
	t->park.sel_ncases = t->park.sel_nsends + ((e->ret >> 16) & 0xffff);
	memcpy(t->park.sel, ch, sizeof(ch));
	/*
	 * A send case releases into its channel: into each, since which one fires is known only
	 * at the return (an extra edge can only hide a race).
	 */
	for (i = 0; i < RT_SELECT_SEEN && i < t->park.sel_nsends; i++)
		if (ch[i] && hb_release_into(hb, t, SYNC_CHAN | ch[i]))
			return -ENOMEM;
	if (e->ret >> 32)
		park(t, RT_PARK_SELECT, e);
	return 0;
}

static int on_select_done(struct hb *hb, struct hb_actor *t, const struct rt_event *e)
{
	__s64 casi = (__s64)e->obj;

	t->park.sel_chosen = casi >= 0 && casi < t->park.sel_ncases ? (__s16)casi : -1;
	hb_unpark(hb, t);
	/* a receive case follows the sends (and the close) before it */
	if (casi >= t->park.sel_nsends && casi < RT_SELECT_SEEN && casi < t->park.sel_ncases &&
	    t->park.sel[casi])
		return hb_acquire_from(hb, t, SYNC_CHAN | t->park.sel[casi]);
	return 0;
}

static int on_runlock(struct hb *hb, struct hb_actor *t, const struct rt_event *e)
{
	struct hb_lock *l;

	if (!e->obj)
		return 0;
	if (hb_held_find(t, e->obj))
		return hb_lock_unlock(hb, t, e->obj, RT_LOCK_GO_RWMUTEX, e->caller, false, 0);
	l = hb_lock_get(hb, e->obj, RT_LOCK_GO_RWMUTEX);
	return l ? hb_lock_runlock_other(hb, t, l) : -ENOMEM;
}

static int on_wlock_done(struct hb *hb, struct hb_actor *t)
{
	hb_unpark(hb, t);
	if (t->has_pending && t->pending.kind == RT_LOCK_GO_RWMUTEX) {
		struct hb_lock *l = hb_lock_find(hb, t->pending.lock);

		if (l) {
			go_mutex_was_free(hb, t, l->addr);
			go_rw_no_readers(hb, l);
		}
	}
	return hb_promote(hb, t);
}

int hb_lower_go(struct hb *hb, struct hb_actor *t, const struct rt_event *e)
{
	int err;

	switch (e->h.type) {
	case RT_EV_GO_MAP_READ:
		return hb_go_call(hb, t, HB_GO_MAP_READ, e->obj, e->caller, 0);
	case RT_EV_GO_MAP_WRITE:
		return hb_go_call(hb, t, HB_GO_MAP_WRITE, e->obj, e->caller, 0);
	case RT_EV_GO_MAP_NEW:
		return hb_go_call(hb, t, HB_GO_MAP_NEW, e->obj, e->caller, 0);
	case RT_EV_GO_CHAN_NEW:
		hb_sync_drop(hb, SYNC_CHAN | e->obj);
		rt_map_del(&hb->go_closed, e->obj);
		err = hb_go_call(hb, t, HB_GO_CHAN_NEW, e->obj, e->arg, 0);
		chan_made(hb, e->obj, e->arg, e->ret, e->h.flags & RT_EVF_GO_TIME);
		return err;
	case RT_EV_GO_CHAN_SEND:
		/* a send on a closed channel does not park: the runtime panics */
		if (!rt_map_get(&hb->go_closed, e->obj))
			park(t, RT_PARK_SEND, e);
		/* the detectors see the send at the epoch it releases */
		err = hb_go_call(hb, t, HB_GO_CHAN_SEND, e->obj, e->caller, 0);
		return err ? err : hb_release_into(hb, t, SYNC_CHAN | e->obj);
	case RT_EV_GO_CHAN_SEND_DONE:
		hb_unpark(hb, t);
		return 0;
	case RT_EV_GO_CHAN_RECV:
		t->go_recv = e->obj;
		park(t, RT_PARK_RECV, e);
		return 0;
	case RT_EV_GO_CHAN_RECV_DONE:
		hb_unpark(hb, t);
		/* a receive follows the sends (and the close) before it */
		return t->go_recv ? hb_acquire_from(hb, t, SYNC_CHAN | t->go_recv) : 0;
	case RT_EV_GO_CHAN_CLOSE:
		err = hb_go_call(hb, t, HB_GO_CHAN_CLOSE, e->obj, e->caller, 0);
		if (!err)
			err = chan_closed(hb, e->obj);
		return err ? err : hb_release_into(hb, t, SYNC_CHAN | e->obj);
	case RT_EV_GO_SPAWN:
		/* runtime.newproc: newproc1 runs next on this thread's g0 and returns the child */
		rt_map_del(&hb->spawn_site, e->h.tid); /* an earlier spawn's, never completed */
		if (rt_map_put(&hb->spawn_of, e->h.tid, t->key) ||
		    (e->caller &&
		     rt_map_put(&hb->spawn_site, e->h.tid,
				e->caller | (e->h.flags & RT_EVF_GO_RUNTIME ? RT_SPAWN_RUNTIME : 0) |
					(e->h.flags & RT_EVF_GO_TESTING ? RT_SPAWN_TESTING : 0))))
			return -ENOMEM;
		return 0;
	case RT_EV_GO_GO:
		return on_go(hb, e);
	case RT_EV_GO_EXIT:
		if (!(t->key & RT_GO_KEY))
			return 0;
		err = hb_go_call(hb, t, HB_GO_EXIT, t->tid, e->caller, 0);
		hb_goroutine_end(hb, t);
		return err;
	case RT_EV_GO_GC:
		return hb_go_call(hb, t, HB_GO_GC, 0, e->caller, 0);
	case RT_EV_GO_LOCK:
		/*
		 * The fast path's CAS won, so the mutex was free: if we think someone holds it,
		 * we missed an unlock (a body we could not probe). Drop that stale hold first, or
		 * it would make edges and double locks out of nothing.
		 */
		go_mutex_was_free(hb, t, e->obj);
		err = hb_lock_begin(hb, t, e, RT_LOCK_GO_MUTEX, RT_MODE_EXCL, false);
		return err ? err : hb_promote(hb, t);
	case RT_EV_GO_LOCK_SLOW:
		/* lockSlow, or sync.(*Mutex).Lock's entry (called through sync.Locker) */
		if (t->has_pending && t->pending.lock == e->obj)
			return 0; /* the slow path of a Lock whose entry we saw */
		park(t, RT_PARK_MUTEX, e);
		return hb_lock_begin(hb, t, e, RT_LOCK_GO_MUTEX, RT_MODE_EXCL, true);
	case RT_EV_GO_LOCK_SLOW_DONE:
		hb_unpark(hb, t);
		return hb_promote(hb, t);
	case RT_EV_GO_UNLOCK:
		return hb_lock_unlock(hb, t, e->obj, RT_LOCK_GO_MUTEX, e->caller, false, 0);
	case RT_EV_GO_RLOCK:
		if (e->arg & RT_X86_SF) {
			/* a writer is pending: the reader parks until the writer's Unlock */
			park(t, RT_PARK_RLOCK, e);
			t->go_rw_wait = e->obj;
		}
		err = hb_lock_begin(hb, t, e, RT_LOCK_GO_RWMUTEX, RT_MODE_SHARED,
				    e->arg & RT_X86_SF);
		/* the read lock counts from its xadd; a parked double lock stays pending */
		return err || t->pending_again ? err : hb_promote(hb, t);
	case RT_EV_GO_RUNLOCK:
		return on_runlock(hb, t, e);
	case RT_EV_GO_WUNLOCK:
		return hb_lock_unlock(hb, t, e->obj, RT_LOCK_GO_RWMUTEX, e->caller, false, 0);
	case RT_EV_GO_WLOCK:
		park(t, RT_PARK_WLOCK, e);
		return hb_lock_begin(hb, t, e, RT_LOCK_GO_RWMUTEX, RT_MODE_EXCL, true);
	case RT_EV_GO_WLOCK_DONE:
		return on_wlock_done(hb, t);
	case RT_EV_GO_COND_WAIT:
		park(t, RT_PARK_COND, e);
		return 0;
	case RT_EV_GO_COND_WAIT_DONE:
		hb_unpark(hb, t);
		return 0;
	case RT_EV_GO_SIGNAL_NOTIFY:
		chan_wakes(hb, e->obj);
		return 0;
	case RT_EV_GO_ONCE_CHECK:
		/* the fast path of Once.Do: whoever did the work happened before */
		return e->obj ? hb_acquire_from(hb, t, SYNC_ONCE | e->obj) : 0;
	case RT_EV_GO_ONCE_SLOW:
		if (t->go_nonce < RT_ARRAY_SIZE(t->go_once))
			t->go_once[t->go_nonce] = e->obj;
		t->go_nonce++;
		return 0;
	case RT_EV_GO_ONCE_SLOW_DONE:
		/* the function ran (here, or in the goroutine whose Lock we waited for) */
		if (!t->go_nonce)
			return 0;
		t->go_nonce--;
		if (t->go_nonce < RT_ARRAY_SIZE(t->go_once) && t->go_once[t->go_nonce])
			return hb_release_into(hb, t, SYNC_ONCE | t->go_once[t->go_nonce]);
		return 0;
	case RT_EV_GO_SELECT:
		return on_select(hb, t, e);
	case RT_EV_GO_SELECT_DONE:
		return on_select_done(hb, t, e);
	case RT_EV_GO_WG_ADD:
		err = hb_go_call(hb, t, HB_GO_WG_ADD, e->obj, e->caller, (__s64)e->arg);
		if (err)
			return err;
		/* Done (a negative delta) happens before Wait returns */
		return (__s64)e->arg < 0 ? hb_release_into(hb, t, SYNC_WG | e->obj) : 0;
	case RT_EV_GO_WG_WAIT:
		t->go_wg = e->obj;
		park(t, RT_PARK_WG, e);
		return hb_go_call(hb, t, HB_GO_WG_WAIT, e->obj, e->caller, 0);
	case RT_EV_GO_WG_WAIT_DONE:
		hb_unpark(hb, t);
		return t->go_wg ? hb_acquire_from(hb, t, SYNC_WG | t->go_wg) : 0;
	default:
		return 0;
	}
}
