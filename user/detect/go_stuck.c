// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Stuck goroutines: some of them (go-goroutine-leak), or all of a program's (deadlock, detail
 * all-goroutines). go-goroutine-leak: a goroutine parked in a channel send or receive, a
 * select, WaitGroup.Wait, a Mutex, an RWMutex or Cond.Wait longer than the hang threshold, at
 * a site where it never completed an operation before (one that did is a loop waiting for its
 * next item: a worker, an accept or ticker loop, not a leak); one finding per parking site,
 * counted per goroutine. Global deadlock: every goroutine the program made is parked where we
 * look, none on a timer's or a signal's channel, and has been for RT_GO_GLOBAL_DEADLOCK_NS;
 * pending timers elsewhere do not count (the runtime's own check waits for them: under
 * `go test` it never fires). Only when we saw the program start, so that no goroutine is
 * unknown to us.
 * Not reported: receives from a `chan struct{}` (a shutdown or ctx.Done() signal: services
 * park goroutines on those for their whole life), selects that also wait on one or have more
 * cases than the probe reads, parks another finding already explains (a double lock), the
 * runtime's own goroutines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect/registry.h"
#include "lib/util.h"

#define RT_GO_GLOBAL_DEADLOCK_NS 300000000ULL /* every goroutine parked this long */
#define RT_GO_DONE_SITES 8

/* sites where a goroutine's blocking operations completed before */
struct done_sites {
	__u64 uid;
	__u64 sites[RT_GO_DONE_SITES];
	__u8 n;
};

struct stuck {
	struct hb *hb;
	struct rt_map done_of; /* actor uid -> index + 1 into done */
	struct done_sites *done;
	size_t ndone, done_cap;
	__u32 *free_done;
	size_t nfree_done, free_done_cap;
	struct rt_map in_deadlock; /* actor uid -> 1: part of a reported global deadlock */
	struct rt_map deadlocked;  /* pid -> 1: a global deadlock was reported */
};

static const char *const park_what[RT_PARK_MAX] = {
	[RT_PARK_RECV] = "receiving from channel",
	[RT_PARK_SEND] = "sending to channel",
	[RT_PARK_WG] = "waiting on WaitGroup",
	[RT_PARK_MUTEX] = "locking Mutex",
	[RT_PARK_RLOCK] = "read-locking RWMutex",
	[RT_PARK_WLOCK] = "locking RWMutex",
	[RT_PARK_COND] = "waiting on Cond",
	[RT_PARK_SELECT] = "in a select on channel",
};

static const char *const park_kind[RT_PARK_MAX] = {
	[RT_PARK_RECV] = "chan",	     [RT_PARK_SEND] = "chan",
	[RT_PARK_WG] = "sync.WaitGroup",     [RT_PARK_MUTEX] = "sync.Mutex",
	[RT_PARK_RLOCK] = "sync.RWMutex",    [RT_PARK_WLOCK] = "sync.RWMutex",
	[RT_PARK_COND] = "sync.Cond",	     [RT_PARK_SELECT] = "chan",
};

static void *stuck_new(struct hb *hb)
{
	struct stuck *s = calloc(1, sizeof(*s));

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->hb = hb;
	rt_map_init(&s->done_of);
	rt_map_init(&s->in_deadlock);
	rt_map_init(&s->deadlocked);
	return s;
}

static void stuck_free(void *st)
{
	struct stuck *s = st;

	rt_map_free(&s->done_of);
	rt_map_free(&s->in_deadlock);
	rt_map_free(&s->deadlocked);
	free(s->done);
	free(s->free_done);
	free(s);
}

static struct done_sites *done_find(const struct stuck *s, __u64 uid)
{
	const __u64 *v = rt_map_get(&s->done_of, uid);

	return v ? &s->done[*v - 1] : NULL;
}

static void stuck_actor_end(void *st, const struct hb_actor *t)
{
	struct stuck *s = st;
	__u64 *v = rt_map_get(&s->done_of, t->uid);

	rt_map_del(&s->in_deadlock, t->uid);
	if (!v)
		return;
	if (!rt_grow((void **)&s->free_done, &s->free_done_cap, s->nfree_done + 1,
		     sizeof(*s->free_done)))
		s->free_done[s->nfree_done++] = *v - 1;
	rt_map_del(&s->done_of, t->uid);
}

/* t's park completed: remember its site (a loop's wait). Out of memory forgets one site. */
static void stuck_unpark(void *st, const struct hb_actor *t)
{
	struct stuck *s = st;
	struct done_sites *d = done_find(s, t->uid);
	__u8 i;

	if (!(t->key & RT_GO_KEY))
		return;
	if (!d) {
		size_t idx;

		if (s->nfree_done) {
			idx = s->free_done[--s->nfree_done];
		} else {
			if (rt_grow((void **)&s->done, &s->done_cap, s->ndone + 1, sizeof(*s->done)))
				return;
			idx = s->ndone++;
		}
		if (rt_map_put(&s->done_of, t->uid, idx + 1)) {
			if (!rt_grow((void **)&s->free_done, &s->free_done_cap, s->nfree_done + 1,
				     sizeof(*s->free_done)))
				s->free_done[s->nfree_done++] = idx;
			return;
		}
		d = &s->done[idx];
		memset(d, 0, sizeof(*d));
		d->uid = t->uid;
	}
	for (i = 0; i < d->n; i++)
		if (d->sites[i] == t->park.site)
			return;
	if (d->n < RT_GO_DONE_SITES)
		d->sites[d->n++] = t->park.site;
	else
		d->sites[t->park.site % RT_GO_DONE_SITES] = t->park.site;
}

/* Something outside the program sends on ch: a timer or a signal. */
static bool wakeable_chan(const struct hb *hb, __u64 ch)
{
	return hb__go_chan(hb, ch, NULL) & (RT_GO_CHAN_TIMER | RT_GO_CHAN_SIGNAL);
}

static bool event_chan(const struct hb *hb, __u64 ch)
{
	return hb__go_chan(hb, ch, NULL) & RT_GO_CHAN_EVENT;
}

/*
 * Parked on a channel that a timer or a signal sends on: waiting, not stuck. A select is
 * waiting when one of its cases is such a channel, or has cases we did not see.
 */
static bool parked_waiting(const struct hb *hb, const struct hb_actor *t)
{
	__u16 i;

	if (t->park.kind == RT_PARK_SELECT) {
		if (t->park.sel_ncases > RT_SELECT_SEEN)
			return true;
		for (i = t->park.sel_nsends; i < t->park.sel_ncases; i++)
			if (wakeable_chan(hb, t->park.sel[i]))
				return true;
		return false;
	}
	return t->park.kind == RT_PARK_RECV && wakeable_chan(hb, t->park.obj);
}

static int leak_report(struct stuck *s, const struct hb_actor *t)
{
	const struct done_sites *d = done_find(s, t->uid);
	struct rt_finding f;
	__u8 k;

	/*
	 * A receive from a chan struct{} waits for an event (a close: shutdown, cancellation,
	 * ctx.Done()); services park goroutines that way for their whole life.
	 */
	if (t->park.kind == RT_PARK_RECV && event_chan(s->hb, t->park.obj))
		return 0;
	for (k = t->park.sel_nsends; t->park.kind == RT_PARK_SELECT && k < t->park.sel_ncases &&
				     k < RT_SELECT_SEEN;
	     k++)
		if (event_chan(s->hb, t->park.sel[k]))
			return 0; /* a select that also waits for a done channel */
	/*
	 * A loop waiting for its next item (a worker, a service loop) parks at a site where it
	 * completed before: not a leak. A send is different: a sender parked that long on a
	 * channel nobody drains (a pipeline whose consumer is gone) is stuck, loop or not.
	 */
	for (k = 0; d && k < d->n && t->park.kind != RT_PARK_SEND; k++)
		if (d->sites[k] == t->park.site)
			return 0;
	hb__finding(s->hb, &f, RT_K_GO_GOROUTINE_LEAK, t->pid);
	rt_finding_thread(&f, t->tid);
	rt_finding_lock(&f, t->park.obj, park_kind[t->park.kind]);
	rt_finding_site(&f, t->park.site);
	snprintf(f.message, sizeof(f.message), "goroutine %u has been blocked %s 0x%llx for %.1f s",
		 t->tid, park_what[t->park.kind], (unsigned long long)t->park.obj,
		 (hb__now(s->hb) - t->park.since) / 1e9);
	return hb__report(s->hb, &f, RT_REP_EXPLAINS);
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

	if (!hb__go_started(s->hb, pid) || rt_map_get(&s->deadlocked, pid))
		return 0;
	actors = hb__actors(s->hb, &n);
	for (i = 0; i < n; i++) {
		const struct hb_actor *t = &actors[i];

		if (!counts(s, t, pid))
			continue;
		if (!t->park.kind || parked_waiting(s->hb, t))
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
		rt_finding_lock(&f, t->park.obj, park_kind[t->park.kind]);
		rt_finding_site(&f, t->park.site);
	}
	snprintf(f.message, sizeof(f.message),
		 "all %zu goroutines of the program are blocked (on channels, locks or "
		 "WaitGroups) and none can wake another: a deadlock that the Go runtime does not "
		 "report while a timer is pending (as under `go test`)",
		 nparked);
	return hb__report(s->hb, &f, 0);
}

static int stuck_tick(void *st)
{
	struct stuck *s = st;
	const struct hb_actor *actors;
	size_t i, n;
	__u32 pid = 0;
	int err;

	actors = hb__actors(s->hb, &n);
	for (i = 0; i < n; i++) {
		const struct hb_actor *t = &actors[i];

		if (!t->alive || !(t->key & RT_GO_KEY) || !t->park.kind || t->park.explained ||
		    t->go_system || rt_map_get(&s->in_deadlock, t->uid) ||
		    parked_waiting(s->hb, t) ||
		    hb__now(s->hb) - t->park.since < hb__hang_threshold(s->hb))
			continue;
		err = leak_report(s, t);
		if (err)
			return err;
	}
	/* one global-deadlock check per process with goroutines */
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

const struct hb_detector rt_det_go_stuck = {
	.name = "go-stuck",
	.flags = HB_DET_GO,
	.new = stuck_new,
	.free = stuck_free,
	.actor_end = stuck_actor_end,
	.unpark = stuck_unpark,
	.tick = stuck_tick,
};
