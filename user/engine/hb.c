// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The engine's core (hb.h). It keeps the vocabulary every front end is lowered into
 * (lower_pthread.c, lower_go.c): actors (kernel threads and goroutines) with the locks they hold
 * in acquisition order, a blocking acquisition in progress, a futex wait and a park in progress;
 * locks with owner, readers and release clocks; heap blocks; the release clocks of other sync
 * objects. It builds the happens-before order with vector clocks (vc.h) from the edges the
 * lowering asks for (release into / acquire from an object, fork, join), calls the registered
 * detectors (hooks.h) at fixed points, and applies the reporting policies once for all of them
 * (hb__report). A lock taken before we attached, or unlocked without our seeing it taken, is
 * learned, never reported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/state.h"
#include "record/event.h"

#define RT_MAX_LOCKS_DEFAULT (1U << 20)
#define RT_MAX_BLOCKS_DEFAULT (1U << 21)
#define RT_MAX_DEAD_THREADS_DEFAULT 4096
#define RT_MAX_SYNCS (1U << 20)
/*
 * Clock slots of ended goroutines wait this many later endings before a new actor gets one (see
 * sid_alloc): a race with a goroutine that ended that many goroutines ago can be missed.
 */
#define RT_SID_QUARANTINE 256
#define RT_PAGE_SHIFT 12
/* page map keys: page number + 1 (key 0 is reserved by rt_map) */
#define PAGE_KEY(addr) (((addr) >> RT_PAGE_SHIFT) + 1)

const char *rt_lock_kind_name(enum rt_lock_kind k)
{
	switch (k) {
	case RT_LOCK_MUTEX:
		return "mutex";
	case RT_LOCK_RWLOCK:
		return "rwlock";
	case RT_LOCK_SPIN:
		return "spinlock";
	case RT_LOCK_GO_MUTEX:
		return "sync.Mutex";
	case RT_LOCK_GO_RWMUTEX:
		return "sync.RWMutex";
	}
	return "lock";
}

struct hb *hb__new(const struct hb_opts *opts)
{
	struct hb *hb;

	if (!opts || !opts->report) {
		errno = EINVAL;
		return NULL;
	}
	hb = calloc(1, sizeof(*hb));
	if (!hb) {
		errno = ENOMEM;
		return NULL;
	}
	hb->opts = *opts;
	if (!hb->opts.hang_threshold_ns)
		hb->opts.hang_threshold_ns = RT_HANG_THRESHOLD_NS;
	if (!hb->opts.max_locks)
		hb->opts.max_locks = RT_MAX_LOCKS_DEFAULT;
	if (!hb->opts.max_blocks)
		hb->opts.max_blocks = RT_MAX_BLOCKS_DEFAULT;
	if (!hb->opts.max_dead_threads)
		hb->opts.max_dead_threads = RT_MAX_DEAD_THREADS_DEFAULT;
	hb->report = opts->report;
	rt_map_init(&hb->actor_of);
	rt_map_init(&hb->lock_of);
	rt_map_init(&hb->lock_page);
	rt_map_init(&hb->sync_of);
	rt_map_init(&hb->block_of);
	rt_map_init(&hb->pthread_of);
	rt_map_init(&hb->cond_signal);
	rt_map_init(&hb->spawn_of);
	rt_map_init(&hb->spawn_site);
	rt_map_init(&hb->go_chans);
	rt_map_init(&hb->go_closed);
	rt_map_init(&hb->go_started);
	rt_map_init(&hb->exited);
	rt_map_init(&hb->atomics);
	return hb;
}

int hb__add_detector(struct hb *hb, const struct hb_detector *d)
{
	void *st;

	if (hb->ndets >= HB_MAX_DETECTORS)
		return -ENOSPC;
	st = d->new ? d->new(hb) : NULL;
	if (d->new && !st)
		return errno ? -errno : -ENOMEM;
	hb->dets[hb->ndets++] = (struct hb_det){ .ops = d, .st = st };
	return 0;
}

void hb__free(struct hb *hb)
{
	size_t i;

	if (!hb)
		return;
	for (i = hb->ndets; i-- > 0;)
		if (hb->dets[i].ops->free)
			hb->dets[i].ops->free(hb->dets[i].st);
	for (i = 0; i < hb->nactors; i++) {
		free(hb->actors[i].held);
		vc_free(&hb->actors[i].vc);
	}
	for (i = 0; i < hb->nlocks; i++) {
		sclock_free(&hb->locks[i].wclock);
		sclock_free(&hb->locks[i].rclock);
	}
	for (i = 0; i < hb->nsyncs; i++)
		sclock_free(&hb->syncs[i]);
	free(hb->actors);
	free(hb->free_sids);
	free(hb->go_sids);
	free(hb->sid_clock);
	free(hb->free_actors);
	free(hb->locks);
	free(hb->free_locks);
	free(hb->syncs);
	free(hb->free_syncs);
	free(hb->blocks);
	free(hb->free_blocks);
	free(hb->lstats);
	free(hb->pending);
	rt_map_free(&hb->actor_of);
	rt_map_free(&hb->lock_of);
	rt_map_free(&hb->lock_page);
	rt_map_free(&hb->sync_of);
	rt_map_free(&hb->block_of);
	rt_map_free(&hb->pthread_of);
	rt_map_free(&hb->cond_signal);
	rt_map_free(&hb->spawn_of);
	rt_map_free(&hb->spawn_site);
	rt_map_free(&hb->go_chans);
	rt_map_free(&hb->go_closed);
	rt_map_free(&hb->go_started);
	rt_map_free(&hb->exited);
	rt_map_free(&hb->atomics);
	free(hb);
}

/* ---- reporting: the policies every finding goes through ---- */

/* The detector id: the kind and the code sites in order; findings made of edges hash their
 * (held, acquire) pairs as a set, so a cycle is one finding wherever it was entered. */
static __u64 finding_id(const struct rt_finding *f)
{
	__u64 pairs[RT_FINDING_MAX], id;
	__u32 i, j;

	if (!f->nedges) {
		id = rt_fnv1a(rt_fnv1a(RT_FNV_INIT, &f->kind, sizeof(f->kind)), f->sites,
			      f->nsites * sizeof(f->sites[0]));
		return id ? id : 1;
	}
	for (i = 0; i < f->nedges; i++) {
		__u64 p = rt_fnv1a(rt_fnv1a(RT_FNV_INIT, &f->edges[i].held_site, 8),
				   &f->edges[i].acquire_site, 8);

		/* insertion sort: at most RT_FINDING_MAX pairs */
		for (j = i; j > 0 && pairs[j - 1] > p; j--)
			pairs[j] = pairs[j - 1];
		pairs[j] = p;
	}
	id = rt_fnv1a(rt_fnv1a(RT_FNV_INIT, &f->kind, sizeof(f->kind)), pairs,
		      f->nedges * sizeof(pairs[0]));
	return id ? id : 1;
}

void hb__describe_thread(const struct hb *hb, __u32 id, bool goroutine,
			 struct rt_finding_thread *ti)
{
	/* goroutine ids are keyed apart from kernel tids: the same number can be both */
	const struct hb_actor *t = hb__actor(hb, goroutine ? id | RT_GO_KEY : id);

	memset(ti, 0, sizeof(*ti));
	if (!t)
		return;
	ti->known = true;
	memcpy(ti->name, t->name, sizeof(ti->name));
	ti->name[sizeof(ti->name) - 1] = 0;
	if ((t->key & RT_GO_KEY) && !ti->name[0])
		snprintf(ti->name, sizeof(ti->name), "goroutine");
	ti->parent = t->parent;
	ti->nstid = (t->key & RT_GO_KEY) ? 0 : t->nstid;
	ti->create_site = t->create_site;
}

void hb__describe_lock(const struct hb *hb, struct rt_finding_lock *lk)
{
	const struct hb_block *best = NULL;
	size_t i;

	lk->in_block = false;
	lk->chan_site = 0;
	if (!strcmp(lk->kind, "chan"))
		hb__go_chan(hb, lk->addr, &lk->chan_site);
	/* only for findings that will be printed: a scan is fine */
	for (i = 0; i < hb->nblocks; i++) {
		const struct hb_block *b = &hb->blocks[i];
		const __u64 *v = rt_map_get(&hb->block_of, b->addr);

		if (!v || &hb->blocks[*v - 1] != b || !b->size)
			continue;
		if (lk->addr >= b->addr && lk->addr < b->addr + b->size && (!best || !b->freed))
			best = b;
	}
	if (!best)
		return;
	lk->in_block = true;
	lk->block = (struct rt_finding_block){ .addr = best->addr, .size = best->size,
					       .alloc_site = best->alloc_site,
					       .alloc_tid = best->alloc_tid,
					       .freed = best->freed };
}

/* Fill in what a printer needs to know of the finding's threads and objects, as of now. */
static void describe(const struct hb *hb, struct rt_finding *f)
{
	bool goroutines = rt_finding_goroutines(f);
	__u32 i;

	f->goroutines = goroutines;
	for (i = 0; i < f->nthreads; i++)
		hb__describe_thread(hb, f->threads[i], goroutines, &f->thread_info[i]);
	for (i = 0; i < f->nlocks; i++)
		hb__describe_lock(hb, &f->locks[i]);
}

/* Hand a finding to the sink, with `again` more sightings of it. */
static int deliver(struct hb *hb, const struct rt_finding *f, __u64 again)
{
	int err = rt_report__add(hb->report, f);

	if (err < 0)
		return err;
	while (again--)
		rt_report__bump(hb->report, f->id);
	return 0;
}

static struct hb_pending *pending_find(struct hb *hb, __u64 id)
{
	size_t i;

	for (i = hb->npending; i-- > 0;)
		if (hb->pending[i].f.id == id)
			return &hb->pending[i];
	return NULL;
}

int hb__report(struct hb *hb, struct rt_finding *f, unsigned int flags)
{
	struct hb_pending *p;
	__u32 i;

	if (hb->suppress) {
		/* events were lost since the last tick: this may come from an incomplete stream */
		hb->cnt.suppressed_lossy++;
		return 0;
	}
	for (i = 0; (flags & RT_REP_BREAK) && i < f->nlocks; i++) {
		struct hb_lock *l = hb_lock_find(hb, f->locks[i].addr);

		if (l)
			l->broken = true;
	}
	for (i = 0; (flags & RT_REP_EXPLAINS) && i < f->nthreads; i++) {
		__u64 key = rt_finding_goroutines(f) ? f->threads[i] | RT_GO_KEY : f->threads[i];
		struct hb_actor *t = hb_actor_find(hb, key);

		if (t)
			t->park.explained = true;
	}
	f->id = finding_id(f);
	p = hb->opts.defer_findings ? pending_find(hb, f->id) : NULL;
	if (p) {
		p->again++;
		return 0;
	}
	/* a finding the sink will print: described as things are when it is made */
	if (!rt_report__has(hb->report, f->id))
		describe(hb, f);
	if (!hb->opts.defer_findings)
		return deliver(hb, f, 0);
	if (rt_grow((void **)&hb->pending, &hb->pending_cap, hb->npending + 1,
		    sizeof(*hb->pending)))
		return -ENOMEM;
	hb->pending[hb->npending].f = *f;
	hb->pending[hb->npending].again = 0;
	hb->npending++;
	return 0;
}

void hb__report_again(struct hb *hb, __u64 id)
{
	struct hb_pending *p = pending_find(hb, id);

	if (p)
		p->again++;
	else
		rt_report__bump(hb->report, id);
}

bool hb__reported(const struct hb *hb, __u64 id)
{
	return rt_report__has(hb->report, id);
}

size_t hb__pending(const struct hb *hb)
{
	return hb->npending;
}

/* Report the held findings (no loss since they were made), or drop them. */
static int pending_settle(struct hb *hb, bool lost)
{
	size_t i;
	int err;

	if (lost) {
		hb->cnt.suppressed_lossy += hb->npending;
		hb->npending = 0;
		return 0;
	}
	for (i = 0; i < hb->npending; i++) {
		err = deliver(hb, &hb->pending[i].f, hb->pending[i].again);
		if (err < 0) {
			hb->npending = 0;
			return err;
		}
	}
	hb->npending = 0;
	return 0;
}

/* ---- actors ---- */

struct hb_actor *hb_actor_find(struct hb *hb, __u64 key)
{
	__u64 *v = rt_map_get(&hb->actor_of, key);

	return v ? &hb->actors[*v - 1] : NULL;
}

/*
 * A clock slot for a new actor, and the first value of its own component (*clock).
 *
 * A reused slot continues where its last owner stopped, so every epoch (sid, clock) names one
 * state of one actor. But the new owner's own component is then above every epoch of the old
 * one: the new owner, and whoever synchronizes with it later, count as ordered after
 * everything the old owner did, which nothing in the program says. The Go detectors compare
 * goroutines' epochs (a map written by a goroutine that ended, then by one made 300 ms later,
 * looked ordered), so a goroutine's slot is not reused at once: freed goroutine slots queue,
 * oldest first, and one is taken only when more than RT_SID_QUARANTINE wait (counted in
 * slots_reused). No detector compares kernel threads' epochs: their slots are reused at once.
 */
static int sid_alloc(struct hb *hb, __u32 *sid, __u32 *clock)
{
	if (hb->nfree_sids) {
		*sid = hb->free_sids[--hb->nfree_sids];
	} else if (hb->ngo_sids - hb->go_sids_head > RT_SID_QUARANTINE) {
		*sid = hb->go_sids[hb->go_sids_head++];
		hb->cnt.slots_reused++;
		if (hb->go_sids_head >= RT_SID_QUARANTINE) {
			/* slide the queue back to the array's start now and then */
			memmove(hb->go_sids, hb->go_sids + hb->go_sids_head,
				(hb->ngo_sids - hb->go_sids_head) * sizeof(*hb->go_sids));
			hb->ngo_sids -= hb->go_sids_head;
			hb->go_sids_head = 0;
		}
	} else {
		if (rt_grow((void **)&hb->sid_clock, &hb->sid_clock_cap, hb->next_sid + 1,
			    sizeof(*hb->sid_clock)))
			return -ENOMEM;
		*sid = hb->next_sid++;
		hb->sid_clock[*sid] = 0;
	}
	/* a reused slot continues where its last owner stopped: epochs stay unique */
	*clock = hb->sid_clock[*sid] + 1;
	return 0;
}

void hb_actor_drop_vc(struct hb *hb, struct hb_actor *t)
{
	if (!t->has_vc)
		return;
	hb->sid_clock[t->sid] = vc_get(&t->vc, t->sid);
	vc_free(&t->vc);
	t->has_vc = false;
	/* a failed grow only loses the slot */
	if (!(t->key & RT_GO_KEY)) {
		if (!rt_grow((void **)&hb->free_sids, &hb->free_sids_cap, hb->nfree_sids + 1,
			     sizeof(*hb->free_sids)))
			hb->free_sids[hb->nfree_sids++] = t->sid;
	} else if (!rt_grow((void **)&hb->go_sids, &hb->go_sids_cap, hb->ngo_sids + 1,
			    sizeof(*hb->go_sids))) {
		hb->go_sids[hb->ngo_sids++] = t->sid; /* at the queue's tail */
	}
}

/* Reset a slot for a (new) actor with key. */
static int actor_init(struct hb *hb, struct hb_actor *t, __u64 key, __u32 tid, __u32 pid)
{
	__u32 sid, clock;

	if (sid_alloc(hb, &sid, &clock))
		return -ENOMEM;
	if (t->uid)
		HB_CALL_VOID(hb, actor_end, t);
	free(t->held);
	memset(t, 0, sizeof(*t));
	t->key = key;
	t->uid = ++hb->next_uid;
	t->tid = tid;
	t->pid = pid;
	t->sid = sid;
	t->alive = true;
	t->born = hb->now;
	vc_init(&t->vc);
	if (vc_set(&t->vc, sid, clock))
		return -ENOMEM;
	t->has_vc = true;
	hb->actors_seen++;
	return 0;
}

void hb_evict_dead_threads(struct hb *hb)
{
	size_t i, dead = 0, oldest = (size_t)-1;

	for (i = 0; i < hb->nactors; i++) {
		if (hb->actors[i].alive || !hb->actors[i].has_vc)
			continue;
		dead++;
		if (oldest == (size_t)-1 ||
		    hb->actors[i].exit_ktime < hb->actors[oldest].exit_ktime)
			oldest = i;
	}
	if (dead > hb->opts.max_dead_threads && oldest != (size_t)-1) {
		hb_actor_drop_vc(hb, &hb->actors[oldest]);
		hb->cnt.dead_threads_evicted++;
	}
}

struct hb_actor *hb_actor_get(struct hb *hb, __u64 key, __u32 tid, __u32 pid)
{
	struct hb_actor *t = hb_actor_find(hb, key);
	size_t idx;

	if (t) {
		if (t->alive)
			return t;
		if (key & RT_GO_KEY) {
			/* a record after its goroutine ended: take its slot back off the free list */
			size_t i;

			for (i = 0; i < hb->nfree_actors; i++) {
				if (hb->free_actors[i] == (__u32)(t - hb->actors)) {
					hb->free_actors[i] = hb->free_actors[--hb->nfree_actors];
					break;
				}
			}
		}
		/* the tid was reused by a new thread */
		hb_actor_drop_vc(hb, t);
		return actor_init(hb, t, key, tid, pid) ? NULL : t;
	}
	if (hb->nfree_actors) {
		__u64 *was;

		idx = hb->free_actors[--hb->nfree_actors];
		/* the ended goroutine's key, unless something else took it since */
		was = rt_map_get(&hb->actor_of, hb->actors[idx].key);
		if (was && *was == (__u64)idx + 1)
			rt_map_del(&hb->actor_of, hb->actors[idx].key);
	} else {
		if (rt_grow((void **)&hb->actors, &hb->actors_cap, hb->nactors + 1,
			    sizeof(*hb->actors)))
			return NULL;
		idx = hb->nactors++;
		memset(&hb->actors[idx], 0, sizeof(hb->actors[idx]));
	}
	t = &hb->actors[idx];
	if (actor_init(hb, t, key, tid, pid) || rt_map_put(&hb->actor_of, key, idx + 1)) {
		vc_free(&t->vc);
		t->alive = false;
		return NULL;
	}
	return t;
}

void hb_goroutine_end(struct hb *hb, struct hb_actor *t)
{
	hb_actor_drop_vc(hb, t);
	t->alive = false;
	t->nheld = 0;
	t->has_pending = false;
	/* its key stays mapped until the slot is reused: reports held until a tick name it */
	if (!rt_grow((void **)&hb->free_actors, &hb->free_actors_cap, hb->nfree_actors + 1,
		     sizeof(*hb->free_actors)))
		hb->free_actors[hb->nfree_actors++] = t - hb->actors;
}

int hb_actor_fork(struct hb *hb, struct hb_actor *parent, struct hb_actor *child)
{
	(void)hb;
	if (vc_join(&child->vc, &parent->vc) < 0 || vc_tick(&parent->vc, parent->sid))
		return -ENOMEM;
	return 0;
}

/* ---- parks ---- */

void hb_park(struct hb_actor *t, __u8 kind, __u64 obj, __u64 site, __u64 since)
{
	t->park.kind = kind;
	t->park.obj = obj;
	t->park.site = site;
	t->park.since = since;
	t->park.explained = false;
	t->park.sel_chosen = -1;
	t->park.seq++;
}

void hb_unpark(struct hb *hb, struct hb_actor *t)
{
	if (!t->park.kind)
		return;
	HB_CALL_VOID(hb, unpark, t);
	t->park.kind = 0;
}

/* ---- locks ---- */

struct hb_lock *hb_lock_find(struct hb *hb, __u64 addr)
{
	__u64 *v = rt_map_get(&hb->lock_of, addr);

	return v ? &hb->locks[*v - 1] : NULL;
}

static void lock_unlink_page(struct hb *hb, __u32 idx)
{
	__u64 page = PAGE_KEY(hb->locks[idx].addr);
	__u64 *head = rt_map_get(&hb->lock_page, page);
	__u32 cur, prev = 0;

	if (!head)
		return;
	for (cur = *head; cur; prev = cur, cur = hb->locks[cur - 1].page_next) {
		if (cur - 1 != idx)
			continue;
		if (prev)
			hb->locks[prev - 1].page_next = hb->locks[cur - 1].page_next;
		else if (hb->locks[cur - 1].page_next)
			*head = hb->locks[cur - 1].page_next;
		else
			rt_map_del(&hb->lock_page, page);
		return;
	}
}

void hb_lock_retire(struct hb *hb, struct hb_lock *l)
{
	__u32 idx = l - hb->locks;
	size_t i;

	/* nobody holds a lock that no longer exists */
	for (i = 0; i < hb->nactors && (l->owner || l->readers); i++) {
		struct hb_actor *t = &hb->actors[i];
		size_t j;

		for (j = t->nheld; j-- > 0;) {
			if (t->held[j].lock != l->addr)
				continue;
			memmove(&t->held[j], &t->held[j + 1], (t->nheld - j - 1) * sizeof(*t->held));
			t->nheld--;
		}
	}
	HB_CALL_VOID(hb, lock_retire, l->addr);
	lock_unlink_page(hb, idx);
	rt_map_del(&hb->lock_of, l->addr);
	sclock_free(&l->wclock);
	sclock_free(&l->rclock);
	l->live = false;
	if (!rt_grow((void **)&hb->free_locks, &hb->free_locks_cap, hb->nfree_locks + 1,
		     sizeof(*hb->free_locks)))
		hb->free_locks[hb->nfree_locks++] = idx;
}

void hb_locks_retire_range(struct hb *hb, __u64 addr, __u64 size)
{
	__u64 first = PAGE_KEY(addr), last = PAGE_KEY(addr + (size ? size : 1) - 1);
	__u64 page;

	if (!hb->lock_page.len)
		return;
	if (last - first > hb->lock_page.len) {
		/* a huge block: walking the locks is cheaper than walking its pages */
		size_t i;

		for (i = 0; i < hb->nlocks; i++) {
			struct hb_lock *l = &hb->locks[i];

			if (l->live && l->addr >= addr && l->addr < addr + size)
				hb_lock_retire(hb, l);
		}
		return;
	}
	for (page = first; page <= last; page++) {
		__u64 *head = rt_map_get(&hb->lock_page, page);
		__u32 cur = head ? *head : 0;

		while (cur) {
			struct hb_lock *l = &hb->locks[cur - 1];

			cur = l->page_next;
			if (l->addr >= addr && l->addr < addr + (size ? size : 1))
				hb_lock_retire(hb, l);
		}
	}
}

struct hb_lock *hb_lock_get(struct hb *hb, __u64 addr, __u8 kind)
{
	struct hb_lock *l = hb_lock_find(hb, addr);
	__u64 page = PAGE_KEY(addr), *head;
	__u32 idx;

	if (l) {
		if (kind && l->kind != kind) {
			/* the memory is a different kind of lock now: a new identity */
			hb_lock_retire(hb, l);
		} else {
			return l;
		}
	}
	if (hb->lock_of.len >= hb->opts.max_locks) {
		/* at the cap: forget an idle lock (not held) to make room */
		size_t i;

		for (i = 0; i < hb->nlocks; i++) {
			struct hb_lock *v = &hb->locks[(addr + i) % hb->nlocks];

			if (v->live && !v->owner && !v->readers) {
				hb_lock_retire(hb, v);
				hb->cnt.locks_evicted++;
				break;
			}
		}
	}
	if (hb->nfree_locks) {
		idx = hb->free_locks[--hb->nfree_locks];
	} else {
		if (rt_grow((void **)&hb->locks, &hb->locks_cap, hb->nlocks + 1, sizeof(*hb->locks)))
			return NULL;
		idx = hb->nlocks++;
	}
	l = &hb->locks[idx];
	memset(l, 0, sizeof(*l));
	l->addr = addr;
	l->kind = kind ? kind : RT_LOCK_MUTEX;
	l->live = true;
	if (rt_map_put(&hb->lock_of, addr, idx + 1))
		return NULL;
	head = rt_map_get(&hb->lock_page, page);
	l->page_next = head ? *head : 0;
	if (rt_map_put(&hb->lock_page, page, idx + 1))
		return NULL;
	return l;
}

struct rt_held *hb_held_find(struct hb_actor *t, __u64 lock)
{
	size_t i;

	for (i = t->nheld; i-- > 0;)
		if (t->held[i].lock == lock)
			return &t->held[i];
	return NULL;
}

void hb_held_remove(struct hb_actor *t, struct rt_held *h)
{
	size_t i = h - t->held;

	memmove(&t->held[i], &t->held[i + 1], (t->nheld - i - 1) * sizeof(*t->held));
	t->nheld--;
}

/* ---- contended locks' wait and hold times ---- */

const double rt_lock_buckets[RT_LOCK_NBUCKETS] = { 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10 };

static void observe(__u64 *buckets, __u64 *count, double *sum, __u64 ns)
{
	double v = ns / 1e9;
	int i;

	for (i = 0; i < RT_LOCK_NBUCKETS && v > rt_lock_buckets[i]; i++)
		;
	buckets[i]++;
	(*count)++;
	*sum += v;
}

static struct hb_lock_stat *lock_stat(struct hb *hb, struct hb_lock *l, __u32 pid, bool create)
{
	struct hb_lock_stat *st;

	if (l->stat)
		return &hb->lstats[l->stat - 1];
	if (!create || hb->nlstats >= RT_LOCK_STATS_MAX ||
	    rt_grow((void **)&hb->lstats, &hb->lstats_cap, hb->nlstats + 1, sizeof(*hb->lstats)))
		return NULL;
	st = &hb->lstats[hb->nlstats++];
	memset(st, 0, sizeof(*st));
	st->pid = pid;
	st->addr = l->addr;
	st->kind = l->kind;
	l->stat = hb->nlstats;
	return st;
}

void hb__lock_stats(const struct hb *hb, int (*fn)(void *ctx, const struct hb_lock_stat *s),
		    void *ctx)
{
	size_t i;

	for (i = 0; i < hb->nlstats; i++)
		if (fn(ctx, &hb->lstats[i]))
			return;
}

/* A futex wait on a lock word ends: how long it waited goes into the lock's statistics. */
void hb_lock_wait_observe(struct hb *hb, struct hb_actor *t)
{
	struct hb_lock *l;
	struct hb_lock_stat *st;

	if (!t->wait.lock || hb->now < t->wait.since)
		return;
	l = hb_lock_find(hb, t->wait.lock);
	st = l ? lock_stat(hb, l, t->pid, true) : NULL;
	if (st)
		observe(st->wait, &st->wait_count, &st->wait_sum, hb->now - t->wait.since);
}

/* ---- sync objects (cond, sem, futex word, heap address, channel, ...) ---- */

static struct sclock *sync_get(struct hb *hb, __u64 key, bool create)
{
	__u64 *v = rt_map_get(&hb->sync_of, key);
	__u32 idx;

	if (v)
		return &hb->syncs[*v - 1];
	if (!create)
		return NULL;
	if (hb->sync_of.len >= RT_MAX_SYNCS) {
		/* at the cap: start over; only happens-before edges through them are lost */
		size_t i;

		for (i = 0; i < hb->nsyncs; i++)
			sclock_free(&hb->syncs[i]);
		hb->cnt.syncs_evicted += hb->sync_of.len;
		rt_map_free(&hb->sync_of);
		hb->nsyncs = 0;
		hb->nfree_syncs = 0;
	}
	if (hb->nfree_syncs) {
		idx = hb->free_syncs[--hb->nfree_syncs];
	} else {
		if (rt_grow((void **)&hb->syncs, &hb->syncs_cap, hb->nsyncs + 1, sizeof(*hb->syncs)))
			return NULL;
		idx = hb->nsyncs++;
	}
	sclock_init(&hb->syncs[idx]);
	if (rt_map_put(&hb->sync_of, key, idx + 1))
		return NULL;
	return &hb->syncs[idx];
}

void hb_sync_drop(struct hb *hb, __u64 key)
{
	__u64 *v = rt_map_get(&hb->sync_of, key);
	__u32 idx;

	if (!v)
		return;
	idx = *v - 1;
	sclock_free(&hb->syncs[idx]);
	rt_map_del(&hb->sync_of, key);
	if (!rt_grow((void **)&hb->free_syncs, &hb->free_syncs_cap, hb->nfree_syncs + 1,
		     sizeof(*hb->free_syncs)))
		hb->free_syncs[hb->nfree_syncs++] = idx;
}

/* the actor releases into a sync object (joining), then ticks */
int hb_release_into(struct hb *hb, struct hb_actor *t, __u64 key)
{
	struct sclock *s = sync_get(hb, key, true);

	if (!s || vc_release(&t->vc, t->sid, s))
		return -ENOMEM;
	return vc_tick(&t->vc, t->sid);
}

int hb_acquire_from(struct hb *hb, struct hb_actor *t, __u64 key)
{
	struct sclock *s = sync_get(hb, key, false);

	return s && vc_acquire(&t->vc, s) < 0 ? -ENOMEM : 0;
}

/* ---- heap blocks ---- */

struct hb_block *hb_block_find(struct hb *hb, __u64 addr)
{
	__u64 *v = rt_map_get(&hb->block_of, addr);

	return v ? &hb->blocks[*v - 1] : NULL;
}

static void block_drop(struct hb *hb, struct hb_block *b)
{
	__u32 idx = b - hb->blocks;

	if (b->freed)
		hb->nfreed--;
	rt_map_del(&hb->block_of, b->addr);
	if (!rt_grow((void **)&hb->free_blocks, &hb->free_blocks_cap, hb->nfree_blocks + 1,
		     sizeof(*hb->free_blocks)))
		hb->free_blocks[hb->nfree_blocks++] = idx;
}

static struct hb_block *block_get(struct hb *hb, __u64 addr)
{
	struct hb_block *b = hb_block_find(hb, addr);
	__u32 idx;

	if (b)
		return b;
	if (hb->block_of.len >= hb->opts.max_blocks) {
		/* at the cap: forget remembered frees first, they only serve double-free */
		size_t i;

		for (i = 0; i < hb->nblocks && hb->block_of.len >= hb->opts.max_blocks / 2; i++) {
			if (rt_map_get(&hb->block_of, hb->blocks[i].addr) &&
			    hb->blocks[i].freed) {
				block_drop(hb, &hb->blocks[i]);
				hb->cnt.blocks_evicted++;
			}
		}
		if (hb->block_of.len >= hb->opts.max_blocks)
			return NULL;
	}
	if (hb->nfree_blocks) {
		idx = hb->free_blocks[--hb->nfree_blocks];
	} else {
		if (rt_grow((void **)&hb->blocks, &hb->blocks_cap, hb->nblocks + 1,
			    sizeof(*hb->blocks)))
			return NULL;
		idx = hb->nblocks++;
	}
	b = &hb->blocks[idx];
	memset(b, 0, sizeof(*b));
	b->addr = addr;
	if (rt_map_put(&hb->block_of, addr, idx + 1))
		return NULL;
	return b;
}

int hb_on_alloc(struct hb *hb, struct hb_actor *t, __u64 addr, __u64 size, __u64 site)
{
	struct hb_block *b;

	if (!addr)
		return 0;
	/* free -> malloc of the same address: the new owner sees what the freer did */
	if (hb_acquire_from(hb, t, SYNC_ADDR | addr))
		return -ENOMEM;
	hb_sync_drop(hb, SYNC_ADDR | addr);
	hb_locks_retire_range(hb, addr, size);
	b = block_get(hb, addr);
	if (!b) {
		hb->cnt.blocks_evicted++;
		return 0;
	}
	if (b->freed)
		hb->nfreed--;
	b->size = size;
	b->alloc_site = site;
	b->alloc_tid = t->tid;
	b->freed = false;
	b->free_site = 0;
	return 0;
}

int hb_on_free(struct hb *hb, struct hb_actor *t, __u64 addr, __u64 site)
{
	struct hb_block *b;
	int err;

	if (!addr)
		return 0;
	b = block_get(hb, addr);
	err = HB_CALL(hb, block_free, t, b, addr, site);
	if (err)
		return err;
	if (b && b->freed)
		return 0; /* a double free: the first one stands */
	if (hb_release_into(hb, t, SYNC_ADDR | addr))
		return -ENOMEM;
	hb_locks_retire_range(hb, addr, b ? b->size : 0);
	if (!b) {
		hb->cnt.blocks_evicted++;
		return 0;
	}
	b->freed = true;
	b->free_site = site;
	b->free_tid = t->tid;
	hb->nfreed++;
	return 0;
}

/* ---- lock operations ---- */

/* t now holds l (a returned blocking call, or a successful try/timed call). */
static int lock_acquired(struct hb *hb, struct hb_actor *t, struct hb_lock *l, __u8 mode,
			 __u64 site)
{
	int err;

	if (rt_grow((void **)&t->held, &t->held_cap, t->nheld + 1, sizeof(*t->held)))
		return -ENOMEM;
	t->held[t->nheld++] = (struct rt_held){
		.lock = l->addr, .site = site, .kind = l->kind, .mode = mode
	};
	if (mode == RT_MODE_SHARED) {
		l->readers++;
		err = vc_acquire(&t->vc, &l->wclock);
	} else {
		if (l->owner_key == t->key && l->owner) {
			l->depth++;
		} else {
			l->owner = t->tid;
			l->owner_key = t->key;
			l->depth = 1;
			l->owner_site = site;
			l->acq_ktime = hb->now;
		}
		err = vc_acquire(&t->vc, &l->wclock);
		if (err >= 0 && (l->kind == RT_LOCK_RWLOCK || l->kind == RT_LOCK_GO_RWMUTEX)) {
			/* a writer follows every reader that unlocked before it */
			err = vc_acquire(&t->vc, &l->rclock);
			sclock_free(&l->rclock);
		}
	}
	l->known = true;
	return err < 0 ? -ENOMEM : 0;
}

int hb_promote(struct hb *hb, struct hb_actor *t)
{
	struct hb_lock *l;

	if (!t->has_pending)
		return 0;
	t->has_pending = false;
	t->pending_again = false;
	l = hb_lock_get(hb, t->pending.lock, t->pending.kind);
	if (!l)
		return -ENOMEM;
	return lock_acquired(hb, t, l, t->pending.mode, t->pending.site);
}

static void set_pending(struct hb_actor *t, const struct rt_event *e, __u8 kind, __u8 mode,
			bool again)
{
	t->has_pending = true;
	t->pending_again = again;
	t->pending = (struct rt_held){ .lock = e->obj, .site = e->caller, .kind = kind,
				       .mode = mode };
	t->pending_since = e->h.ktime;
}

/*
 * Entry of a blocking acquisition of e->obj (e->arg: a mutex's type bits). It becomes held at
 * the actor's next record that does not continue it (hb_promote). A lock the actor holds: a
 * recursion that is allowed is acquired at once; a pthread lock blocks forever (lock_again,
 * not acquired); a Go lock on the path that parks (parks) stays pending: it is a double lock
 * if it stays parked (detect/go_doublelock.c), and a Go lock that did not park was free, so the
 * hold we believed in was stale and goes.
 */
int hb_lock_begin(struct hb *hb, struct hb_actor *t, const struct rt_event *e, __u8 kind,
		  __u8 mode, bool parks)
{
	struct rt_acq a = {
		.pid = e->h.tgid,
		.tid = t->tid, /* the goroutine id for Go */
		.key = t->key,
		.ktime = e->h.ktime,
		.lock = e->obj,
		.site = e->caller,
		.kind = kind,
		.mode = mode,
	};
	struct rt_held *prev;
	struct hb_lock *l;
	int err;

	if (!e->obj)
		return 0;
	l = hb_lock_get(hb, e->obj, kind);
	if (!l)
		return -ENOMEM;
	if (kind == RT_LOCK_MUTEX)
		l->mtype = e->arg & 3;
	prev = hb_held_find(t, e->obj);
	if (prev) {
		bool go = rt_lock_kind_go(kind);
		bool recursive_ok = (kind == RT_LOCK_MUTEX && l->mtype == RT_MTYPE_RECURSIVE) ||
				    ((kind == RT_LOCK_RWLOCK || kind == RT_LOCK_GO_RWMUTEX) &&
				     mode == RT_MODE_SHARED && prev->mode == RT_MODE_SHARED);

		if (!recursive_ok && go && parks) {
			set_pending(t, e, kind, mode, true);
			return 0;
		} else if (!recursive_ok && go) {
			hb_held_remove(t, prev);
			l->owner = 0;
			l->owner_key = 0;
			l->depth = 0;
		} else if (!recursive_ok) {
			return HB_CALL(hb, lock_again, t, l, prev, &a);
		} else {
			return lock_acquired(hb, t, l, mode, e->caller);
		}
	}
	/* after a loss the held sets may be stale: no lock-order observations until relearned */
	if (!hb->suppress) {
		err = HB_CALL(hb, lock_wait, t, &a, t->held, t->nheld);
		if (err)
			return err;
	}
	set_pending(t, e, kind, mode, false);
	return 0;
}

int hb_lock_try(struct hb *hb, struct hb_actor *t, const struct rt_event *e, __u8 kind,
		__u8 mode)
{
	struct hb_lock *l;

	if (e->ret != 0 || !e->obj)
		return 0;
	l = hb_lock_get(hb, e->obj, kind);
	if (!l)
		return -ENOMEM;
	return lock_acquired(hb, t, l, mode, e->caller);
}

/* Release l held by t through h. */
static int lock_release(struct hb *hb, struct hb_actor *t, struct hb_lock *l, struct rt_held *h)
{
	int err;

	err = HB_CALL(hb, lock_release, t, l, h);
	if (err)
		return err;
	if (h->mode == RT_MODE_SHARED) {
		if (l->readers)
			l->readers--;
		err = vc_release(&t->vc, t->sid, &l->rclock);
	} else {
		if (l->depth > 1 && l->owner_key == t->key) {
			l->depth--;
		} else {
			struct hb_lock_stat *st = lock_stat(hb, l, t->pid, false);

			if (st && l->acq_ktime && hb->now >= l->acq_ktime)
				observe(st->hold, &st->hold_count, &st->hold_sum,
					hb->now - l->acq_ktime);
			l->owner = 0;
			l->depth = 0;
			l->acq_ktime = 0;
		}
		err = vc_release_store(&t->vc, t->sid, &l->wclock);
	}
	hb_held_remove(t, h);
	if (err || vc_tick(&t->vc, t->sid))
		return -ENOMEM;
	return 0;
}

int hb_lock_runlock_other(struct hb *hb, struct hb_actor *t, struct hb_lock *l)
{
	/*
	 * A read lock another goroutine took (a read transaction closed elsewhere), or one
	 * taken before we attached: still a reader's release. One reader's hold ends, and the
	 * lock is handed over: no lock order from it.
	 */
	if (l->readers) {
		size_t i;

		for (i = 0; i < hb->nactors; i++) {
			struct hb_actor *o = &hb->actors[i];
			struct rt_held *oh = o->alive ? hb_held_find(o, l->addr) : NULL;

			if (oh && oh->mode == RT_MODE_SHARED) {
				hb_held_remove(o, oh);
				l->readers--;
				break;
			}
		}
		if (HB_CALL(hb, lock_handoff, l))
			return -ENOMEM;
	}
	if (vc_release(&t->vc, t->sid, &l->rclock) || vc_tick(&t->vc, t->sid))
		return -ENOMEM;
	return 0;
}

int hb_lock_unlock(struct hb *hb, struct hb_actor *t, __u64 addr, __u8 kind, __u64 site,
		   bool cond_wait, __u8 mtype)
{
	struct rt_held *h;
	struct hb_lock *l;
	int err;

	if (!addr)
		return 0;
	l = hb_lock_get(hb, addr, kind);
	if (!l)
		return -ENOMEM;
	if (kind == RT_LOCK_MUTEX && !cond_wait)
		l->mtype = mtype;
	h = hb_held_find(t, addr);
	if (h)
		return lock_release(hb, t, l, h);
	/* Go lets any goroutine unlock a Mutex: only pthread locks have misuse to report */
	err = rt_lock_kind_go(kind) ? 0 : HB_CALL(hb, unlock_unheld, t, l, site, cond_wait);
	if (err)
		return err;
	/* it was unlocked all the same: learn that, and order the next acquirer after us */
	if (l->owner && l->owner_key != t->key) {
		struct hb_actor *o = hb_actor_find(hb, l->owner_key);
		struct rt_held *oh = o ? hb_held_find(o, addr) : NULL;

		if (oh)
			hb_held_remove(o, oh);
		/* a Go lock handed over between goroutines: its holds are no ordering */
		if (rt_lock_kind_go(kind) && HB_CALL(hb, lock_handoff, l))
			return -ENOMEM;
	}
	if (kind != RT_LOCK_RWLOCK || !l->readers) {
		l->owner = 0;
		l->depth = 0;
	}
	/*
	 * Still not "known": another thread may have entered a lock call on it before we could
	 * see (attach, a loss) and hold it next without our seeing the acquisition. Only an
	 * acquisition we see makes the state known.
	 */
	if (vc_release_store(&t->vc, t->sid, &l->wclock) || vc_tick(&t->vc, t->sid))
		return -ENOMEM;
	return 0;
}

int hb_go_call(struct hb *hb, struct hb_actor *t, enum hb_go_op_kind kind, __u64 obj,
	       __u64 site, __s64 arg)
{
	struct hb_go_op op = { .kind = kind, .obj = obj, .site = site, .arg = arg };

	return HB_CALL(hb, go, t, &op);
}

/* ---- the record stream ---- */

/* Does record e continue t's pending blocking acquisition (it has not returned yet)? */
static bool continues_pending(const struct hb_actor *t, const struct rt_event *e)
{
	__u64 d;

	if (t->key & RT_GO_KEY)
		return hb_go_continues_pending(t, e);
	if (e->h.type != RT_EV_FUTEX_WAIT && e->h.type != RT_EV_FUTEX_WAIT_RET)
		return false;
	d = e->obj - t->pending.lock;
	/* a mutex waits on its +0 word, a glibc rwlock on +8 or +12 */
	return d == 0 || (t->pending.kind == RT_LOCK_RWLOCK && (d == 8 || d == 12));
}

/* Acquisitions entered but not returned: forget them (their returns will not be seen). */
static void drop_pending_acquisitions(struct hb *hb)
{
	size_t i;

	for (i = 0; i < hb->nactors; i++)
		hb->actors[i].has_pending = false;
}

/* Whether the detectors were told that pid exits. */
static bool proc_exit_seen(const struct hb *hb, __u32 pid)
{
	return rt_map_get(&hb->exited, pid) != NULL;
}

/* Tell the detectors once that pid exits. 0, or -ENOMEM. */
static int proc_exit(struct hb *hb, __u32 pid)
{
	if (proc_exit_seen(hb, pid))
		return 0;
	if (rt_map_put(&hb->exited, pid, 1))
		return -ENOMEM;
	return HB_CALL(hb, proc_exit, pid);
}

static int tick(struct hb *hb, const struct rt_event *e)
{
	/*
	 * Events were lost: who holds what may be wrong from here on. Forget it and stay quiet
	 * until a tick with no new loss, then forget what the incomplete stream taught us once
	 * more and start afresh (as after an attach).
	 */
	bool lost = e->arg > hb->lost;
	int err;

	err = pending_settle(hb, lost);
	if (err)
		return err;
	if (lost) {
		hb->lost = e->arg;
		hb__forget_lock_states(hb);
		hb->suppress = true;
		HB_CALL_VOID(hb, gap);
	} else if (hb->suppress && hb->probes_changed && e->h.ktime < hb->probes_settled) {
		/* records from before the change may still come: stay quiet, learn nothing */
		hb__forget_lock_states(hb);
		drop_pending_acquisitions(hb);
	} else if (hb->suppress) {
		hb__forget_lock_states(hb);
		if (hb->probes_changed)
			drop_pending_acquisitions(hb);
		hb->probes_changed = false;
		hb->suppress = false;
	}
	err = HB_CALL0(hb, tick);
	/* what the tick itself found (deadlocks, hangs, leaks) is about now: report it */
	return err ? err : pending_settle(hb, false);
}

int hb__event(struct hb *hb, const struct rt_event *e)
{
	struct hb_actor *t;
	int err;

	hb->events++;
	hb->by_type[e->h.type]++;
	if (e->h.ktime > hb->now)
		hb->now = e->h.ktime;
	if (e->h.type == RT_EV_TICK)
		return tick(hb, e);
	t = e->h.goid ? hb_actor_get(hb, e->h.goid | RT_GO_KEY, (__u32)e->h.goid, e->h.tgid) :
			hb_actor_get(hb, e->h.tid, e->h.tid, e->h.tgid);
	if (!t)
		return -ENOMEM;
	if (t->mem_acquire) {
		err = hb_mem_before(hb, t);
		if (err)
			return err;
	}
	/*
	 * A goroutine's memory access says nothing about its Go operations: their entries and
	 * returns are all probed, so the Go lowering sees only its own records.
	 */
	if ((t->key & RT_GO_KEY) && e->h.type == RT_EV_MEM_ACCESS)
		return hb_lower_mem(hb, t, e);
	if (t->key & RT_GO_KEY) {
		err = hb_go_before(hb, t, e);
		if (err)
			return err < 0 ? err : 0;
	}
	if (t->has_pending && !continues_pending(t, e)) {
		err = hb_promote(hb, t);
		if (err)
			return err;
	}
	if (t->wait.uaddr && e->h.type != RT_EV_FUTEX_WAIT && e->h.type != RT_EV_FUTEX_WAIT_RET) {
		/* it does something else, so it is not blocked in that wait any more */
		t->wait.uaddr = 0;
		t->wait.lock = 0;
	}
	/* the same for a cond wait or join: only its futex calls happen inside it */
	if (t->blocked.kind && (e->h.type < RT_EV_FUTEX_WAIT || e->h.type > RT_EV_FUTEX_WAKE_RET))
		t->blocked.kind = 0;
	if (e->h.type == RT_EV_MEM_ACCESS)
		return hb_lower_mem(hb, t, e);
	if (rt_event_is_go(e->h.type))
		return hb_lower_go(hb, t, e);
	/* a pid reused by a new program (daemon mode): it is not the one that exited */
	if (e->h.type == RT_EV_EXEC)
		rt_map_del(&hb->exited, e->h.tgid);
	/* the process exits (before its threads and goroutines are forgotten) */
	if (e->h.type == RT_EV_PROC_EXIT ||
	    (e->h.type == RT_EV_THREAD_EXIT && e->ret && !proc_exit_seen(hb, e->h.tgid))) {
		err = proc_exit(hb, e->h.tgid);
		if (err)
			return err;
	}
	return hb_lower_pthread(hb, t, e);
}

void hb__probes_changed(struct hb *hb, __u64 done_ns)
{
	/*
	 * As after a loss: forget, stay quiet until the next tick, then forget again. Unlike a
	 * loss, an acquisition whose entry was seen may never return in the records: its
	 * return probe (or the next call that would settle it) may be gone. Its entry may also
	 * still be in the ring, read after this call, so the tick drops pendings once more.
	 */
	hb__forget_lock_states(hb);
	drop_pending_acquisitions(hb);
	hb->probes_changed = true;
	hb->probes_settled = done_ns + RT_PROBES_SETTLE_NS;
	hb->suppress = true;
	HB_CALL_VOID(hb, gap);
}

void hb__forget_lock_states(struct hb *hb)
{
	size_t i;

	for (i = 0; i < hb->nlocks; i++) {
		struct hb_lock *l = &hb->locks[i];

		l->known = false;
		l->owner = 0;
		l->depth = 0;
		l->readers = 0;
		l->acq_ktime = 0;
	}
	/*
	 * Pending acquisitions stay: their entries were seen, their returns will be. Waits and
	 * parks in progress go: their ends may be among what was missed (or never come: a
	 * paused target).
	 */
	for (i = 0; i < hb->nactors; i++) {
		hb->actors[i].nheld = 0;
		hb->actors[i].wait.uaddr = 0;
		hb->actors[i].wait.lock = 0;
		hb->actors[i].park.kind = 0;
		hb->actors[i].blocked.kind = 0;
	}
	/* and which blocks were freed: a missed malloc would make a legal free look double */
	for (i = 0; i < hb->nblocks; i++) {
		__u64 *v = rt_map_get(&hb->block_of, hb->blocks[i].addr);

		if (v && *v - 1 == i && hb->blocks[i].freed)
			block_drop(hb, &hb->blocks[i]);
	}
}

void hb__stats(const struct hb *hb, struct hb_stats *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	st->events = hb->events;
	memcpy(st->by_type, hb->by_type, sizeof(st->by_type));
	st->threads = hb->actors_seen;
	st->mem_bytes = vc_mem_bytes();
	st->cnt = hb->cnt;
	for (i = 0; i < hb->ndets; i++) {
		if (hb->dets[i].ops->stats)
			hb->dets[i].ops->stats(hb->dets[i].st, st);
		if (hb->dets[i].ops->count)
			hb->dets[i].ops->count(hb->dets[i].st, st->cnt.det[i]);
	}
}

void hb__counters_add(struct hb_counters *sum, const struct hb_counters *c)
{
	/* every field is a __u64 counter: add them all, so a new one is never left out */
	__u64 *d = (__u64 *)sum;
	const __u64 *a = (const __u64 *)c;
	size_t i;

	_Static_assert(sizeof(*c) % sizeof(__u64) == 0, "hb_counters holds only __u64 counters");
	for (i = 0; i < sizeof(*c) / sizeof(__u64); i++)
		d[i] += a[i];
}

/* ---- queries ---- */

__u64 hb__now(const struct hb *hb)
{
	return hb->now;
}

bool hb__lossy(const struct hb *hb)
{
	return hb->suppress;
}

__u64 hb__hang_threshold(const struct hb *hb)
{
	return hb->opts.hang_threshold_ns;
}

const struct hb_actor *hb__actor(const struct hb *hb, __u64 key)
{
	const __u64 *v = rt_map_get(&hb->actor_of, key);

	return v ? &hb->actors[*v - 1] : NULL;
}

const struct hb_actor *hb__actors(const struct hb *hb, size_t *n)
{
	*n = hb->nactors;
	return hb->actors;
}

const struct hb_lock *hb__lock(const struct hb *hb, __u64 addr)
{
	const __u64 *v = rt_map_get(&hb->lock_of, addr);

	return v ? &hb->locks[*v - 1] : NULL;
}

const struct rt_held *hb__held(const struct hb_actor *t, __u64 lock)
{
	size_t i;

	for (i = t->nheld; i-- > 0;)
		if (t->held[i].lock == lock)
			return &t->held[i];
	return NULL;
}

bool hb__cond_signaled(const struct hb *hb, __u64 cond, __u64 since)
{
	const __u64 *v = rt_map_get(&hb->cond_signal, cond);

	return hb->cond_signals_lost || (v && *v >= since);
}

bool hb__proc_exited(const struct hb *hb, __u32 pid)
{
	return proc_exit_seen(hb, pid);
}

bool hb__go_started(const struct hb *hb, __u32 pid)
{
	return rt_map_get(&hb->go_started, pid) != NULL;
}

unsigned int hb__go_chan(const struct hb *hb, __u64 ch, __u64 *site)
{
	const __u64 *v = rt_map_get(&hb->go_chans, ch);

	if (site)
		*site = v ? *v >> 3 : 0;
	return v ? *v & 7 : 0;
}

__u32 hb__vc_get(const struct hb *hb, __u32 tid, __u32 of_tid)
{
	return hb__vc_get_key(hb, tid, of_tid);
}

__u32 hb__vc_get_key(const struct hb *hb, __u64 key, __u64 of_key)
{
	const struct hb_actor *a = hb__actor(hb, key), *b = hb__actor(hb, of_key);

	if (!a || !b)
		return 0;
	return vc_get(&a->vc, b->sid);
}
