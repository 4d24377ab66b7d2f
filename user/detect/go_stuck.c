// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Stuck goroutines: some of them (go-goroutine-leak), or all of a program's (deadlock, detail
 * all-goroutines). go-goroutine-leak decides by reachability, as Go 1.26's goroutineleak
 * profile does, but from the event stream: a goroutine parked on a channel (a send, a receive,
 * a select), a WaitGroup, a Mutex or an RWMutex longer than the hang threshold is stuck when
 * no goroutine that can still run can reach the object. "Can reach a channel": its make
 * happens before the goroutine's current point (a value flows only along happens-before:
 * `go` statements, channels, locks), except its maker once it left a select that could have
 * taken the channel's case; a WaitGroup: its first Add happens before; a lock: it holds the
 * lock. "Can still run": not parked where we look, or parked briefly, on a timer, a signal
 * or a done channel, or on an object a goroutine that can run can reach (a fixed point).
 * One finding per parking site, counted per goroutine. Global deadlock: every goroutine the
 * program made is parked where we look, none on a timer's or a signal's channel, and has been
 * for RT_GO_GLOBAL_DEADLOCK_NS; pending timers elsewhere do not count (the runtime's own check
 * waits for them: under `go test` it never fires). Only when we saw the program start, so
 * that no goroutine is unknown to us.
 * Not reported: receives from a `chan struct{}` (a shutdown or ctx.Done() signal: services
 * park goroutines on those for their whole life), selects that also wait on one or have more
 * cases than the probe reads, channels whose make we did not see (attached later), Cond waits
 * while another goroutine can run (who signals is not seen), parks another finding already
 * explains (a double lock), the runtime's own goroutines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect/go_park.h"
#include "detect/registry.h"
#include "engine/hb.h"
#include "lib/util.h"

#define RT_GO_GLOBAL_DEADLOCK_NS 300000000ULL /* every goroutine parked this long */
#define RT_GO_REACH_EVERY_NS 1000000000ULL    /* reachability is decided at most this often */
#define RT_GO_REACH_OBJS_MAX (1U << 20)	      /* channels and WaitGroups remembered */
#define RT_GO_REACH_WG (1ULL << 63)	      /* in an object key: a WaitGroup */
#define RT_GO_ABANDONED (1ULL << 63)	      /* in maker_of: the maker left a select on it */

struct stuck {
	struct hb *hb;
	/*
	 * Channels (by make) and WaitGroups (by first Add), keyed by obj_key(): made_at holds
	 * the maker's slot and clock then (sid << 32 | clock), maker_of its uid and
	 * RT_GO_ABANDONED.
	 */
	struct rt_map made_at, maker_of;
	__u64 objs_forgotten;
	__u64 next_reach; /* when reachability is decided again anyway (hb__now) */
	__u64 cand_sig;	  /* the candidates when it was decided last (a sum of their parks) */
	/* scratch of stuck_tick: goroutines that can run, by actor index */
	bool *live;
	size_t live_cap;
	struct rt_map in_deadlock; /* actor uid -> 1: part of a reported global deadlock */
	struct rt_map deadlocked;  /* pid -> 1: a global deadlock was reported */
};

static void *stuck_new(struct hb *hb)
{
	struct stuck *s = calloc(1, sizeof(*s));

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->hb = hb;
	rt_map_init(&s->made_at);
	rt_map_init(&s->maker_of);
	rt_map_init(&s->in_deadlock);
	rt_map_init(&s->deadlocked);
	return s;
}

static void stuck_free(void *st)
{
	struct stuck *s = st;

	rt_map_free(&s->made_at);
	rt_map_free(&s->maker_of);
	rt_map_free(&s->in_deadlock);
	rt_map_free(&s->deadlocked);
	free(s->live);
	free(s);
}

static void stuck_actor_end(void *st, const struct hb_actor *t)
{
	struct stuck *s = st;

	rt_map_del(&s->in_deadlock, t->uid);
}

/* The key of a channel (or, with RT_GO_REACH_WG, a WaitGroup) at addr in process pid. */
static __u64 obj_key(__u32 pid, __u64 addr, __u64 wg)
{
	return (addr & ((1ULL << 47) - 1)) ^ ((__u64)(pid & 0xffff) << 47) ^ wg;
}

/*
 * At the cap: forget every object but those a goroutine is parked on now (counted). A
 * forgotten channel's waiters are not judged any more: nothing is reported from them.
 */
static void objs_restart(struct stuck *s)
{
	struct rt_map keep_made, keep_maker;
	const struct hb_actor *a;
	size_t i, j, n;
	__u64 *v;

	rt_map_init(&keep_made);
	rt_map_init(&keep_maker);
	a = hb__actors(s->hb, &n);
	for (i = 0; i < n; i++) {
		const struct hb_actor *t = &a[i];
		const __u64 objs[4] = { t->park.obj, t->park.sel[0], t->park.sel[1],
					t->park.sel[2] };

		for (j = 0; t->alive && t->park.kind && j < 4; j++) {
			__u64 k = obj_key(t->pid, objs[j], t->park.kind == RT_PARK_WG ?
							  RT_GO_REACH_WG : 0);

			/* a failed put forgets one more */
			if (objs[j] && (v = rt_map_get(&s->made_at, k)) &&
			    !rt_map_put(&keep_made, k, *v) && (v = rt_map_get(&s->maker_of, k)))
				rt_map_put(&keep_maker, k, *v);
		}
	}
	s->objs_forgotten += s->made_at.len - keep_made.len;
	rt_map_free(&s->made_at);
	rt_map_free(&s->maker_of);
	s->made_at = keep_made;
	s->maker_of = keep_maker;
}

/* t made the object at key (a channel's make, a WaitGroup's first Add). */
static int obj_made(struct stuck *s, const struct hb_actor *t, __u64 key)
{
	if (s->made_at.len >= RT_GO_REACH_OBJS_MAX)
		objs_restart(s);
	if (rt_map_put(&s->made_at, key, (__u64)t->sid << 32 | hb__own_clock(t)) ||
	    rt_map_put(&s->maker_of, key, t->uid)) {
		rt_map_del(&s->made_at, key);
		return -ENOMEM;
	}
	return 0;
}

static int stuck_go(void *st, const struct hb_actor *t, const struct hb_go_op *op)
{
	struct stuck *s = st;
	__u64 key;

	switch (op->kind) {
	case HB_GO_CHAN_NEW:
		return obj_made(s, t, obj_key(t->pid, op->obj, 0));
	case HB_GO_WG_ADD:
		key = obj_key(t->pid, op->obj, RT_GO_REACH_WG);
		if (op->arg > 0 && !rt_map_get(&s->made_at, key))
			return obj_made(s, t, key);
		return 0;
	default:
		return 0;
	}
}

/* The maker of channel ch used it (took), or left a select over it for another case. */
static void maker_used(struct stuck *s, const struct hb_actor *t, __u64 ch, bool took)
{
	__u64 *v = rt_map_get(&s->maker_of, obj_key(t->pid, ch, 0));

	if (!v || (*v & ~RT_GO_ABANDONED) != t->uid)
		return;
	*v = took ? t->uid : t->uid | RT_GO_ABANDONED;
}

/* t's park completed: a maker that takes its channel again, or leaves it in a select. */
static void stuck_unpark(void *st, const struct hb_actor *t)
{
	struct stuck *s = st;
	__u16 i;

	if (!(t->key & RT_GO_KEY))
		return;
	switch (t->park.kind) {
	case RT_PARK_RECV:
	case RT_PARK_SEND:
		maker_used(s, t, t->park.obj, true);
		break;
	case RT_PARK_SELECT:
		/* a select that completed with an unknown case says nothing */
		for (i = 0; t->park.sel_chosen >= 0 && i < t->park.sel_ncases && i < RT_SELECT_SEEN;
		     i++)
			if (t->park.sel[i])
				maker_used(s, t, t->park.sel[i], i == t->park.sel_chosen);
		break;
	}
}

static bool event_chan(const struct hb *hb, __u64 ch)
{
	return hb__go_chan(hb, ch, NULL) & RT_GO_CHAN_EVENT;
}

/*
 * Waiting for an event by design: a receive from a chan struct{} (a close: shutdown,
 * cancellation, ctx.Done()), or a select that also waits for one.
 */
static bool parked_on_event(const struct hb *hb, const struct hb_actor *t)
{
	__u16 k;

	if (t->park.kind == RT_PARK_RECV)
		return event_chan(hb, t->park.obj);
	for (k = t->park.sel_nsends; t->park.kind == RT_PARK_SELECT && k < t->park.sel_ncases &&
				     k < RT_SELECT_SEEN;
	     k++)
		if (event_chan(hb, t->park.sel[k]))
			return true;
	return false;
}

/* A goroutine whose park the leak rule judges (else it is left alone). */
static bool leak_candidate(const struct stuck *s, const struct hb_actor *t)
{
	return t->alive && (t->key & RT_GO_KEY) && t->park.kind && !t->park.explained &&
	       !t->go_system && !hb__proc_exited(s->hb, t->pid) && !rt_map_get(&s->in_deadlock, t->uid) &&
	       hb__now(s->hb) - t->park.since >= hb__hang_threshold(s->hb) &&
	       !rt_go_park_wakes_alone(s->hb, &t->park) && !parked_on_event(s->hb, t);
}

/* Can p (a goroutine that can run, not t) reach the channel or WaitGroup at key? */
static bool reaches(const struct stuck *s, const struct hb_actor *p, __u64 key)
{
	const __u64 *made = rt_map_get(&s->made_at, key), *maker = rt_map_get(&s->maker_of, key);

	if (!made)
		return false;
	/* the maker that left a select over the channel gave it up */
	if (maker && (*maker & ~RT_GO_ABANDONED) == p->uid)
		return !(*maker & RT_GO_ABANDONED);
	return hb__ordered(p, (__u32)(*made >> 32), (__u32)*made);
}

/*
 * Is t's park one that some goroutine marked in live[] can end? true also when we cannot tell
 * (an object whose make we did not see, a lock whose holder we do not know, a Cond): only
 * what we can show stuck is reported.
 */
static bool can_be_woken(const struct stuck *s, const struct hb_actor *t, const bool *live,
			 const struct hb_actor *a, size_t n)
{
	__u64 keys[RT_SELECT_SEEN];
	size_t nkeys = 0, i, k;
	bool known = false, any = false;
	const struct hb_lock *l;

	switch (t->park.kind) {
	case RT_PARK_RECV:
	case RT_PARK_SEND:
		keys[nkeys++] = obj_key(t->pid, t->park.obj, 0);
		break;
	case RT_PARK_SELECT:
		for (i = 0; i < t->park.sel_ncases && i < RT_SELECT_SEEN; i++)
			if (t->park.sel[i])
				keys[nkeys++] = obj_key(t->pid, t->park.sel[i], 0);
		break;
	case RT_PARK_WG:
		keys[nkeys++] = obj_key(t->pid, t->park.obj, RT_GO_REACH_WG);
		break;
	case RT_PARK_MUTEX:
	case RT_PARK_RLOCK:
	case RT_PARK_WLOCK:
		/* a holder of the lock that can run will unlock it */
		l = hb__lock(s->hb, t->park.obj);
		if (!l || (!l->owner && !l->readers))
			return true; /* free as far as we know, or held by whom we did not see */
		for (i = 0; i < n; i++) {
			if (&a[i] == t || !a[i].alive || a[i].pid != t->pid ||
			    !hb__held(&a[i], t->park.obj))
				continue;
			known = true;
			if (live[i])
				return true;
		}
		return !known;
	case RT_PARK_COND:
	default:
		/* who signals a Cond is not seen: anyone else who can run may */
		for (i = 0; i < n; i++)
			if (&a[i] != t && live[i] && a[i].pid == t->pid)
				return true;
		return false;
	}
	for (k = 0; k < nkeys; k++)
		if (rt_map_get(&s->made_at, keys[k]))
			known = true;
	if (!known)
		return true; /* made before we looked: its holders are unknown */
	for (i = 0; i < n && !any; i++) {
		if (&a[i] == t || !live[i] || a[i].pid != t->pid)
			continue;
		for (k = 0; k < nkeys && !any; k++)
			any = reaches(s, &a[i], keys[k]);
	}
	return any;
}

static int leak_report(struct stuck *s, const struct hb_actor *t)
{
	struct rt_finding f;

	hb__finding(s->hb, &f, RT_K_GO_GOROUTINE_LEAK, t->pid);
	rt_finding_thread(&f, t->tid);
	rt_finding_lock(&f, t->park.obj, rt_go_park_kind[t->park.kind]);
	rt_finding_site(&f, t->park.site);
	snprintf(f.message, sizeof(f.message),
		 "goroutine %u has been blocked %s 0x%llx for %.1f s, and no goroutine that can "
		 "still run can reach it",
		 t->tid, rt_go_park_what[t->park.kind], (unsigned long long)t->park.obj,
		 (hb__now(s->hb) - t->park.since) / 1e9);
	return hb__report(s->hb, &f, RT_REP_EXPLAINS);
}

/*
 * Decide which goroutines can run (live[]): those not parked where we look, parked briefly,
 * waiting by design, or woken by a goroutine that can run (repeated to a fixed point); then
 * report every candidate that is left.
 */
static int leaks(struct stuck *s)
{
	const struct hb_actor *a;
	size_t i, n, ncand = 0;
	bool changed = true;
	__u64 sig = 0;
	int err;

	a = hb__actors(s->hb, &n);
	for (i = 0; i < n; i++) {
		if (!leak_candidate(s, &a[i]))
			continue;
		ncand++;
		sig += a[i].uid * 0x9e3779b97f4a7c15ULL + a[i].park.seq;
	}
	/* decided again when a park crossed the threshold, else at most every second */
	if (!ncand || (sig == s->cand_sig && hb__now(s->hb) < s->next_reach))
		return 0;
	s->cand_sig = sig;
	s->next_reach = hb__now(s->hb) + RT_GO_REACH_EVERY_NS;
	if (rt_grow((void **)&s->live, &s->live_cap, n, sizeof(*s->live)))
		return -ENOMEM;
	/* the seeds: goroutines of the program that are not parked for long where we look */
	for (i = 0; i < n; i++)
		s->live[i] = a[i].alive && (a[i].key & RT_GO_KEY) && !a[i].go_system &&
			     !(a[i].park.kind && a[i].park.explained) &&
			     !rt_map_get(&s->in_deadlock, a[i].uid) && !leak_candidate(s, &a[i]);
	while (changed) {
		changed = false;
		for (i = 0; i < n; i++) {
			if (s->live[i] || !leak_candidate(s, &a[i]) ||
			    !can_be_woken(s, &a[i], s->live, a, n))
				continue;
			s->live[i] = true;
			changed = true;
		}
	}
	for (i = 0; i < n; i++) {
		if (s->live[i] || !leak_candidate(s, &a[i]))
			continue;
		err = leak_report(s, &a[i]);
		if (err)
			return err;
	}
	return 0;
}

static bool counts(const struct stuck *s, const struct hb_actor *t, __u32 pid)
{
	return t->alive && t->pid == pid && (t->key & RT_GO_KEY) && !t->go_system;
}

static int global_deadlock(struct stuck *s, __u32 pid)
{
	const struct hb_actor *actors;
	struct rt_finding f;
	__u64 newest = 0;
	size_t i, n, nparked = 0;

	if (!hb__go_started(s->hb, pid) || rt_map_get(&s->deadlocked, pid) ||
	    hb__proc_exited(s->hb, pid))
		return 0;
	actors = hb__actors(s->hb, &n);
	for (i = 0; i < n; i++) {
		const struct hb_actor *t = &actors[i];

		if (!counts(s, t, pid))
			continue;
		if (!t->park.kind || rt_go_park_wakes_alone(s->hb, &t->park))
			return 0;
		if (t->park.since > newest)
			newest = t->park.since;
		nparked++;
	}
	if (!nparked || hb__now(s->hb) - newest < RT_GO_GLOBAL_DEADLOCK_NS)
		return 0;
	if (rt_map_put(&s->deadlocked, pid, 1))
		return -ENOMEM;
	hb__finding(s->hb, &f, RT_K_DEADLOCK, pid);
	f.goroutines = true;
	snprintf(f.detail, sizeof(f.detail), "all-goroutines");
	for (i = 0; i < n; i++) {
		const struct hb_actor *t = &actors[i];

		if (!counts(s, t, pid))
			continue;
		/* none of them is reported as a leak any more (a failed put: one may be) */
		rt_map_put(&s->in_deadlock, t->uid, 1);
		if (f.nthreads >= RT_FINDING_MAX)
			continue;
		rt_finding_thread(&f, t->tid);
		rt_finding_lock(&f, t->park.obj, rt_go_park_kind[t->park.kind]);
		rt_finding_site(&f, t->park.site);
	}
	snprintf(f.message, sizeof(f.message),
		 "all %zu goroutines of the program are blocked (on channels, locks or "
		 "WaitGroups) and none can wake another: a deadlock that the Go runtime does not "
		 "report while a timer is pending (as under `go test`)",
		 nparked);
	/* it explains the parks: no hold-and-wait or double lock on top of it */
	return hb__report(s->hb, &f, RT_REP_EXPLAINS);
}

static int stuck_tick(void *st)
{
	struct stuck *s = st;
	const struct hb_actor *actors;
	size_t i, n;
	__u32 pid = 0;
	int err;

	err = leaks(s);
	if (err)
		return err;
	/* one global-deadlock check per process with goroutines */
	actors = hb__actors(s->hb, &n);
	for (i = 0; i < n; i++) {
		const struct hb_actor *t = &actors[i];

		if (!t->alive || !(t->key & RT_GO_KEY) || t->pid == pid)
			continue;
		pid = t->pid;
		err = global_deadlock(s, pid);
		if (err)
			return err;
	}
	return 0;
}

/* channels and WaitGroups forgotten at the cap (their waiters are not judged) */
static const struct hb_det_counter stuck_counters[] = {
	{ "racetrace_engine_evictions_total", "go_leak", NULL },
	{ NULL, NULL, NULL },
};

static void stuck_count(const void *st, __u64 *v)
{
	v[0] = ((const struct stuck *)st)->objs_forgotten;
}

const struct hb_detector rt_det_go_stuck = {
	.name = "go-stuck",
	.flags = HB_DET_GO,
	.new = stuck_new,
	.free = stuck_free,
	.actor_end = stuck_actor_end,
	.unpark = stuck_unpark,
	.go = stuck_go,
	.tick = stuck_tick,
	.counters = stuck_counters,
	.count = stuck_count,
};
