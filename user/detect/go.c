// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Go maps and channels. go-map-race: two accesses to the same map from different goroutines,
 * at least one a write (mapassign, mapdelete, clear), that happens-before does not order (the
 * edges: `go`, channel send -> receive and close -> receive, Mutex unlock -> lock, WaitGroup
 * Done -> Wait); FastTrack's rule with the last write and the reads since it. The runtime's
 * own check only sees writes that overlap in time, and then kills the process; this sees them
 * apart in time too. go-chan-double-close: a channel closed a second time, with both closers.
 * go-goroutine-leak: a goroutine parked in a channel send or receive, WaitGroup.Wait or a
 * Mutex longer than the hang threshold, at a site where it never completed an operation
 * before (one that did is a loop waiting for its next item: a worker, an accept or ticker
 * loop, not a leak); one finding per parking site, counted per goroutine.
 * Not reported: a map the runtime made anew at the same address (makemap resets it), races
 * through edges we do not see (atomics, sync.Cond, select, sync.Once, RWMutex: they order, so
 * missing them can only add reports; see docs/go.md), a map reported once (it is "broken").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/hb_int.h"

#define RT_GO_MAPS_MAX (1U << 20)

static struct go_map_state *map_get(struct hb *hb, __u64 map)
{
	__u64 *v = rt_map_get(&hb->go_maps, map);
	struct go_map_state *m;

	if (v)
		return &hb->go_map_states[*v - 1];
	if (hb->go_maps.len >= RT_GO_MAPS_MAX) {
		/* at the cap: start over (counted): only races through old maps are lost */
		hb->cnt.syncs_evicted += hb->go_maps.len;
		rt_map_free(&hb->go_maps);
		hb->ngo_maps = 0;
	}
	if (rt_grow((void **)&hb->go_map_states, &hb->go_maps_cap, hb->ngo_maps + 1,
		    sizeof(*hb->go_map_states)) ||
	    rt_map_put(&hb->go_maps, map, hb->ngo_maps + 1))
		return NULL;
	m = &hb->go_map_states[hb->ngo_maps++];
	memset(m, 0, sizeof(*m));
	m->map = map;
	return m;
}

void go__map_new(struct hb *hb, __u64 map)
{
	__u64 *v = rt_map_get(&hb->go_maps, map);

	if (v) {
		struct go_map_state *m = &hb->go_map_states[*v - 1];

		memset(m, 0, sizeof(*m));
		m->map = map;
	}
}

/* Did access a happen before t's current point? */
static bool ordered(const struct hb_thread *t, const struct go_map_access *a)
{
	return a->key == t->key || vc_get(&t->vc, a->sid) >= a->clock;
}

static int report_race(struct hb *hb, struct hb_thread *t, struct go_map_state *m, bool write,
		       __u64 site, const struct go_map_access *prev, bool prev_write)
{
	struct rt_finding f;

	m->broken = true;
	hb_finding_init(hb, &f, RT_K_GO_MAP_RACE, t->pid);
	hb_finding_thread(&f, t->tid);
	hb_finding_thread(&f, prev->goid);
	f.locks[0].addr = m->map;
	snprintf(f.locks[0].kind, sizeof(f.locks[0].kind), "map");
	f.nlocks = 1;
	f.sites[f.nsites++] = site;
	f.sites[f.nsites++] = prev->site;
	hb_finding_id(&f);
	snprintf(f.message, sizeof(f.message),
		 "goroutine %u %s map 0x%llx, which goroutine %u %s with no synchronization "
		 "between them (a data race on the map; the runtime crashes with \"concurrent map "
		 "%s\" the day they overlap)",
		 t->tid, write ? "writes" : "reads", (unsigned long long)m->map, prev->goid,
		 prev_write ? "wrote" : "read", write && prev_write ? "writes" :
						     "read and map write");
	return hb_report(hb, &f);
}

int go__map_access(struct hb *hb, struct hb_thread *t, __u64 map, bool write, __u64 site)
{
	struct go_map_access cur = {
		.key = t->key,
		.goid = t->tid,
		.sid = t->sid,
		.clock = vc_get(&t->vc, t->sid),
		.site = site,
	};
	struct go_map_state *m;
	__u8 i;

	if (!map || !(t->key & RT_GO_KEY))
		return 0;
	m = map_get(hb, map);
	if (!m)
		return -ENOMEM;
	if (m->broken)
		return 0;
	if (m->write.key && !ordered(t, &m->write))
		return report_race(hb, t, m, write, site, &m->write, true);
	if (!write) {
		/* remember this reader (one entry a goroutine, the oldest goes at the cap) */
		for (i = 0; i < m->nreads; i++)
			if (m->reads[i].key == t->key)
				break;
		if (i == m->nreads) {
			if (m->nreads == RT_GO_MAP_READS) {
				memmove(&m->reads[0], &m->reads[1],
					(RT_GO_MAP_READS - 1) * sizeof(m->reads[0]));
				i = RT_GO_MAP_READS - 1;
			} else {
				m->nreads++;
			}
		}
		m->reads[i] = cur;
		return 0;
	}
	for (i = 0; i < m->nreads; i++)
		if (!ordered(t, &m->reads[i]))
			return report_race(hb, t, m, true, site, &m->reads[i], false);
	m->write = cur;
	m->nreads = 0;
	return 0;
}

void go__chan_new(struct hb *hb, __u64 ch)
{
	rt_map_del(&hb->go_closed, ch);
}

/*
 * At the cap: forget the channels (counted), except those a goroutine is parked on now and
 * those signals go to (registered once, waited on for the program's life): forgetting them
 * would turn their waiters into stuck goroutines.
 */
static void chans_restart(struct hb *hb)
{
	struct rt_map keep;
	size_t i, j;
	__u64 *v;

	rt_map_init(&keep);
	for (i = 0; i < hb->nthreads; i++) {
		const struct hb_thread *t = &hb->threads[i];
		const __u64 parked[4] = { t->go_block_obj, t->go_sel[0], t->go_sel[1],
					  t->go_sel[2] };

		for (j = 0; t->alive && t->go_block && j < 4; j++)
			if (parked[j] && (v = rt_map_get(&hb->go_chans, parked[j])))
				rt_map_put(&keep, parked[j], *v); /* a failed put forgets one more */
	}
	{
		size_t pos = 0;
		__u64 k, val;

		while (rt_map_next(&hb->go_chans, &pos, &k, &val))
			if (val & RT_GO_CHAN_SIGNAL)
				rt_map_put(&keep, k, val);
	}
	hb->cnt.syncs_evicted += hb->go_chans.len - keep.len;
	rt_map_free(&hb->go_chans);
	hb->go_chans = keep;
}

void go__chan_made(struct hb *hb, __u32 pid, __u64 ch, __u64 site, __s64 elem)
{
	__u64 flags = elem == RT_GO_FIELD_READ ? RT_GO_CHAN_EVENT : 0;
	int cls;

	if (!ch)
		return;
	if (!site || site >> 61) {
		rt_map_del(&hb->go_chans, ch);
		return;
	}
	if (hb->go_chans.len >= RT_GO_MAPS_MAX)
		chans_restart(hb);
	cls = hb->opts.site_class ? hb->opts.site_class(hb->opts.site_class_ctx, pid, site) : 0;
	/* a failed put only loses the name and the timer mark of one channel */
	if (cls > 0 && (cls & RT_SITE_GO_TIME))
		flags |= RT_GO_CHAN_TIMER;
	rt_map_put(&hb->go_chans, ch, site << 3 | flags);
}

void go__chan_wakes(struct hb *hb, __u64 ch)
{
	__u64 *v = rt_map_get(&hb->go_chans, ch);

	if (v)
		*v |= RT_GO_CHAN_SIGNAL;
	else if (ch)
		rt_map_put(&hb->go_chans, ch, RT_GO_CHAN_SIGNAL); /* made before we saw it */
}

int hb__go_chan_site(const struct hb *hb, __u64 addr, __u64 *site)
{
	const __u64 *v = rt_map_get(&hb->go_chans, addr);

	if (!v || !(*v >> 3))
		return -ENOENT;
	*site = *v >> 3;
	return 0;
}

/* Something outside the program sends on ch: a timer or a signal. */
static bool wakeable_chan(struct hb *hb, __u64 ch)
{
	const __u64 *v = rt_map_get(&hb->go_chans, ch);

	return v && (*v & (RT_GO_CHAN_TIMER | RT_GO_CHAN_SIGNAL));
}

/* ---- WaitGroup misuse ---- */

#define RT_GO_WGS_MAX (1U << 16)

static struct go_wg_state *wg_get(struct hb *hb, __u64 wg)
{
	__u64 *v = rt_map_get(&hb->go_wg_of, wg);
	struct go_wg_state *w;

	if (v)
		return &hb->go_wgs[*v - 1];
	if (hb->go_wg_of.len >= RT_GO_WGS_MAX) {
		hb->cnt.syncs_evicted += hb->go_wg_of.len;
		rt_map_free(&hb->go_wg_of);
		hb->ngo_wgs = 0;
	}
	if (rt_grow((void **)&hb->go_wgs, &hb->go_wgs_cap, hb->ngo_wgs + 1, sizeof(*hb->go_wgs)) ||
	    rt_map_put(&hb->go_wg_of, wg, hb->ngo_wgs + 1))
		return NULL;
	w = &hb->go_wgs[hb->ngo_wgs++];
	memset(w, 0, sizeof(*w));
	w->wg = wg;
	return w;
}

/* Is every WaitGroup's whole history ours (we saw the program start)? */
static bool go_known(struct hb *hb, __u32 pid)
{
	return rt_map_get(&hb->go_started, pid) != NULL;
}

static int wg_report(struct hb *hb, struct hb_thread *t, struct go_wg_state *w,
		     const char *detail, __u64 site, __u64 other_site, __u32 other)
{
	struct rt_finding f;

	w->broken = true;
	if (hb->suppress) {
		hb->cnt.suppressed_lossy++;
		return 0;
	}
	hb_finding_init(hb, &f, RT_K_GO_WAITGROUP_MISUSE, t->pid);
	snprintf(f.detail, sizeof(f.detail), "%s", detail);
	hb_finding_thread(&f, t->tid);
	if (other)
		hb_finding_thread(&f, other);
	f.locks[0].addr = w->wg;
	snprintf(f.locks[0].kind, sizeof(f.locks[0].kind), "sync.WaitGroup");
	f.nlocks = 1;
	f.sites[f.nsites++] = site;
	if (other_site)
		f.sites[f.nsites++] = other_site;
	hb_finding_id(&f);
	if (other)
		snprintf(f.message, sizeof(f.message),
			 "goroutine %u calls WaitGroup.Add on 0x%llx after goroutine %u's Wait "
			 "began with the counter at zero and returned: that Wait did not wait for "
			 "this work (call Add before the `go` statement, in the waiter's goroutine)",
			 t->tid, (unsigned long long)w->wg, other);
	else
		snprintf(f.message, sizeof(f.message),
			 "goroutine %u makes WaitGroup 0x%llx's counter negative (%lld): more Done "
			 "than Add; the runtime panics (\"sync: negative WaitGroup counter\")",
			 t->tid, (unsigned long long)w->wg, (long long)w->count);
	return hb_report(hb, &f);
}

int go__wg_add(struct hb *hb, struct hb_thread *t, __u64 wg, __s64 delta, __u64 site)
{
	struct go_wg_state *w;
	__s64 before;

	if (!wg || !(t->key & RT_GO_KEY) || !go_known(hb, t->pid))
		return 0;
	w = wg_get(hb, wg);
	if (!w)
		return -ENOMEM;
	before = w->count;
	w->count += delta;
	if (w->broken)
		return 0;
	if (w->count < 0)
		return wg_report(hb, t, w, "negative-counter", site, 0, 0);
	if (delta > 0 && before == 0 && w->zero_wait.key) {
		struct go_map_access zw = w->zero_wait;
		struct hb_thread *wt = hb_actor_find(hb, zw.key);
		__u32 seen = vc_get(&t->vc, zw.sid);

		w->zero_wait.key = 0;
		/*
		 * The waiter's own Add, or one ordered after that Wait: the group is reused. The
		 * bug is an Add by a goroutine that follows the waiter's earlier work (it made
		 * it, say) but not its Wait, while the waiter lives on. An Add by a goroutine
		 * that never synchronized with a waiter, or after the waiter ended, is a new
		 * WaitGroup in the same memory (Go reuses it; we see no allocation).
		 */
		if (zw.key != t->key && seen && seen < zw.clock && wt && wt->alive &&
		    wt->sid == zw.sid)
			return wg_report(hb, t, w, "add-after-wait", site, zw.site, zw.goid);
	}
	return 0;
}

void go__wg_wait(struct hb *hb, struct hb_thread *t, __u64 wg, __u64 site)
{
	struct go_wg_state *w;

	if (!wg || !(t->key & RT_GO_KEY) || !go_known(hb, t->pid))
		return;
	w = wg_get(hb, wg);
	if (!w || w->count != 0)
		return;
	w->zero_wait = (struct go_map_access){ .key = t->key, .goid = t->tid, .sid = t->sid,
					       .clock = vc_get(&t->vc, t->sid), .site = site };
}

/* ---- double locks ---- */

int go__double_lock(struct hb *hb, struct hb_thread *t, __u64 lock, __u8 kind, __u64 site,
		    __u64 prev_site, const char *detail)
{
	struct rt_finding f;
	bool rec = detail && !strcmp(detail, "recursive-rlock");

	if (hb->suppress) {
		hb->cnt.suppressed_lossy++;
		return 0;
	}
	hb_finding_init(hb, &f, RT_K_DOUBLE_LOCK, t->pid);
	f.goroutines = true;
	if (detail)
		snprintf(f.detail, sizeof(f.detail), "%s", detail);
	hb_finding_thread(&f, t->tid);
	f.locks[0].addr = lock;
	snprintf(f.locks[0].kind, sizeof(f.locks[0].kind), "%s", rt_lock_kind_name(kind));
	f.nlocks = 1;
	f.sites[f.nsites++] = site;
	f.sites[f.nsites++] = prev_site;
	hb_finding_id(&f);
	if (rec)
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
	return hb_report(hb, &f);
}

int go__chan_close(struct hb *hb, struct hb_thread *t, __u64 ch, __u64 site)
{
	__u64 *first = rt_map_get(&hb->go_closed, ch);
	struct rt_finding f;

	if (!ch)
		return 0;
	if (!first)
		return rt_map_put(&hb->go_closed, ch, site ? site : 1) ? -ENOMEM : 0;
	hb_finding_init(hb, &f, RT_K_GO_CHAN_DOUBLE_CLOSE, t->pid);
	hb_finding_thread(&f, t->tid);
	f.locks[0].addr = ch;
	snprintf(f.locks[0].kind, sizeof(f.locks[0].kind), "chan");
	f.nlocks = 1;
	f.sites[f.nsites++] = site;
	f.sites[f.nsites++] = *first == 1 ? 0 : *first;
	hb_finding_id(&f);
	snprintf(f.message, sizeof(f.message),
		 "goroutine %u closes channel 0x%llx, which was already closed: the runtime "
		 "panics (\"close of closed channel\")",
		 t->tid, (unsigned long long)ch);
	return hb_report(hb, &f);
}

void go__free(struct hb *hb)
{
	rt_map_free(&hb->go_maps);
	rt_map_free(&hb->go_closed);
	rt_map_free(&hb->go_chans);
	rt_map_free(&hb->go_wg_of);
	rt_map_free(&hb->go_started);
	rt_map_free(&hb->go_deadlocked);
	free(hb->go_map_states);
	free(hb->go_wgs);
}

static const char *const block_what[RT_GO_BLOCK_MAX] = {
	[RT_GO_BLOCK_RECV] = "receiving from channel",
	[RT_GO_BLOCK_SEND] = "sending to channel",
	[RT_GO_BLOCK_WG] = "waiting on WaitGroup",
	[RT_GO_BLOCK_MUTEX] = "locking Mutex",
	[RT_GO_BLOCK_RLOCK] = "read-locking RWMutex",
	[RT_GO_BLOCK_WLOCK] = "locking RWMutex",
	[RT_GO_BLOCK_COND] = "waiting on Cond",
	[RT_GO_BLOCK_SELECT] = "in a select on channel",
};

static const char *const block_kind[RT_GO_BLOCK_MAX] = {
	[RT_GO_BLOCK_RECV] = "chan",	      [RT_GO_BLOCK_SEND] = "chan",
	[RT_GO_BLOCK_WG] = "sync.WaitGroup",  [RT_GO_BLOCK_MUTEX] = "sync.Mutex",
	[RT_GO_BLOCK_RLOCK] = "sync.RWMutex", [RT_GO_BLOCK_WLOCK] = "sync.RWMutex",
	[RT_GO_BLOCK_COND] = "sync.Cond", [RT_GO_BLOCK_SELECT] = "chan",
};

/*
 * Parked on a channel that a timer or a signal sends on: waiting, not stuck. A select is
 * waiting when one of its cases is such a channel, or has cases we did not see (more than
 * three).
 */
static bool parked_waiting(struct hb *hb, const struct hb_thread *t)
{
	__u16 i;

	if (t->go_block == RT_GO_BLOCK_SELECT) {
		if (t->go_sel_ncases > 3)
			return true;
		for (i = t->go_sel_nsends; i < t->go_sel_ncases; i++)
			if (wakeable_chan(hb, t->go_sel[i]))
				return true;
		return false;
	}
	return t->go_block == RT_GO_BLOCK_RECV && wakeable_chan(hb, t->go_block_obj);
}

static bool event_chan(struct hb *hb, __u64 ch)
{
	const __u64 *v = rt_map_get(&hb->go_chans, ch);

	return v && (*v & RT_GO_CHAN_EVENT);
}

static int leak_report(struct hb *hb, struct hb_thread *t)
{
	const __u64 *ch = rt_map_get(&hb->go_chans, t->go_block_obj);
	struct rt_finding f;
	__u8 k;

	/*
	 * A receive from a chan struct{} waits for an event (a close: shutdown, cancellation,
	 * ctx.Done()); services park goroutines that way for their whole life.
	 */
	if (t->go_block == RT_GO_BLOCK_RECV && ch && (*ch & RT_GO_CHAN_EVENT))
		return 0;
	for (k = t->go_sel_nsends; t->go_block == RT_GO_BLOCK_SELECT && k < t->go_sel_ncases &&
				   k < 3;
	     k++)
		if (event_chan(hb, t->go_sel[k]))
			return 0; /* a select that also waits for a done channel */

	/*
	 * A loop waiting for its next item (a worker, a service loop) parks at a site where it
	 * completed before: not a leak. A send is different: a sender parked that long on a
	 * channel nobody drains (a pipeline whose consumer is gone) is stuck, loop or not.
	 */
	for (k = 0; k < t->go_ndone && t->go_block != RT_GO_BLOCK_SEND; k++)
		if (t->go_done_sites[k] == t->go_block_site)
			return 0;
	t->go_leak_reported = true;
	hb_finding_init(hb, &f, RT_K_GO_GOROUTINE_LEAK, t->pid);
	hb_finding_thread(&f, t->tid);
	f.locks[0].addr = t->go_block_obj;
	snprintf(f.locks[0].kind, sizeof(f.locks[0].kind), "%s", block_kind[t->go_block]);
	f.nlocks = 1;
	f.sites[f.nsites++] = t->go_block_site;
	hb_finding_id(&f);
	snprintf(f.message, sizeof(f.message), "goroutine %u has been blocked %s 0x%llx for %.1f s",
		 t->tid, block_what[t->go_block], (unsigned long long)t->go_block_obj,
		 (hb->now - t->go_block_since) / 1e9);
	return hb_report(hb, &f);
}

/*
 * Global deadlock: every goroutine of pid that the program made is parked where we look, none
 * on a timer's channel, and has been for RT_GO_GLOBAL_DEADLOCK_NS. Pending timers elsewhere do
 * not count (the runtime's own check waits for them: under `go test` it never fires). Only
 * when we saw the program start, so that no goroutine is unknown to us.
 */
static int global_deadlock(struct hb *hb, __u32 pid)
{
	struct rt_finding f;
	__u64 newest = 0;
	size_t i, n = 0;

	if (!go_known(hb, pid) || rt_map_get(&hb->go_deadlocked, pid))
		return 0;
	for (i = 0; i < hb->nthreads; i++) {
		const struct hb_thread *t = &hb->threads[i];

		if (!t->alive || t->pid != pid || !(t->key & RT_GO_KEY) || t->go_system)
			continue;
		if (!t->go_block || parked_waiting(hb, t))
			return 0;
		if (t->go_block_since > newest)
			newest = t->go_block_since;
		n++;
	}
	if (!n || hb->now - newest < RT_GO_GLOBAL_DEADLOCK_NS)
		return 0;
	if (rt_map_put(&hb->go_deadlocked, pid, 1))
		return -ENOMEM;
	hb_finding_init(hb, &f, RT_K_DEADLOCK, pid);
	f.goroutines = true;
	snprintf(f.detail, sizeof(f.detail), "all-goroutines");
	for (i = 0; i < hb->nthreads; i++) {
		struct hb_thread *t = &hb->threads[i];
		__u32 k;

		if (!t->alive || t->pid != pid || !(t->key & RT_GO_KEY) || t->go_system)
			continue;
		t->go_in_deadlock = true;
		if (f.nthreads >= RT_FINDING_MAX)
			continue;
		hb_finding_thread(&f, t->tid);
		for (k = 0; k < f.nlocks; k++)
			if (f.locks[k].addr == t->go_block_obj)
				break;
		if (k == f.nlocks) {
			f.locks[k].addr = t->go_block_obj;
			snprintf(f.locks[k].kind, sizeof(f.locks[k].kind), "%s",
				 block_kind[t->go_block]);
			f.nlocks++;
		}
		f.sites[f.nsites++] = t->go_block_site;
	}
	hb_finding_id(&f);
	snprintf(f.message, sizeof(f.message),
		 "all %zu goroutines of the program are blocked (on channels, locks or "
		 "WaitGroups) and none can wake another: a deadlock that the Go runtime does not "
		 "report while a timer is pending (as under `go test`)",
		 n);
	return hb_report(hb, &f);
}

int go__tick(struct hb *hb)
{
	__u32 pid = 0;
	size_t i;
	int err;

	for (i = 0; i < hb->nthreads; i++) {
		struct hb_thread *t = &hb->threads[i];

		if (!t->alive || !(t->key & RT_GO_KEY) || !t->go_block)
			continue;
		if (t->go_dl_lock && t->go_block_obj == t->go_dl_lock &&
		    hb->now - t->go_block_since >= RT_GO_DOUBLE_LOCK_NS) {
			__u64 lock = t->go_dl_lock;
			struct hb_lock *l = hb_lock_find(hb, lock);

			t->go_dl_lock = 0;
			t->go_leak_reported = true; /* this is why it is stuck */
			err = go__double_lock(hb, t, lock, l ? l->kind : RT_LOCK_GO_MUTEX,
					      t->go_block_site, t->go_dl_site, NULL);
			if (err)
				return err;
		}
		if (t->go_rr_lock && t->go_block == RT_GO_BLOCK_RLOCK &&
		    t->go_block_obj == t->go_rr_lock &&
		    hb->now - t->go_block_since >= RT_GO_DOUBLE_LOCK_NS) {
			/* parked behind a writer on its second read lock: the deadlock itself */
			__u64 lock = t->go_rr_lock;

			t->go_rr_lock = 0;
			t->go_leak_reported = true;
			err = go__double_lock(hb, t, lock, RT_LOCK_GO_RWMUTEX, t->go_rr_site,
					      t->go_rr_prev, "recursive-rlock");
			if (err)
				return err;
		}
		if (t->go_leak_reported || t->go_in_deadlock || t->go_system ||
		    parked_waiting(hb, t) ||
		    hb->now - t->go_block_since < hb->opts.hang_threshold_ns)
			continue;
		err = leak_report(hb, t);
		if (err)
			return err;
	}
	/* one global-deadlock check per process with goroutines */
	for (i = 0; i < hb->nthreads; i++) {
		const struct hb_thread *t = &hb->threads[i];

		if (!t->alive || !(t->key & RT_GO_KEY) || t->pid == pid)
			continue;
		pid = t->pid;
		err = global_deadlock(hb, pid);
		if (err)
			return err;
	}
	return 0;
}
