// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The engine (hb.h). For every record it updates the state in hb_int.h: per thread, the locks
 * it holds, a blocking acquisition in progress and a futex wait in progress; per lock, owner,
 * readers and release clocks; heap blocks and the clocks of other sync objects. It builds the
 * happens-before order with vector clocks (vc.h) from these edges:
 *   thread create -> child start, child exit -> join, unlock -> next acquire (rwlock: writer
 *   unlock -> readers and writers, reader unlocks -> next writer), cond signal/broadcast ->
 *   wait return, sem post -> wait, futex wake -> wait return, free -> later malloc of the
 *   same address,
 * and calls the detectors at the points they care about. A lock taken before we attached, or
 * unlocked without our seeing it taken, is learned, never reported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/hb_int.h"

#define RT_MAX_LOCKS_DEFAULT (1U << 20)
#define RT_MAX_BLOCKS_DEFAULT (1U << 21)
#define RT_MAX_DEAD_THREADS_DEFAULT 4096
#define RT_MAX_SYNCS (1U << 20)
#define RT_PAGE_SHIFT 12
#define RT_ETIMEDOUT 110
/* page map keys: page number + 1 (key 0 is reserved by rt_map) */
#define PAGE_KEY(addr) (((addr) >> RT_PAGE_SHIFT) + 1)

/* sync objects are keyed by address plus a kind tag in the top bits (user addresses < 2^56) */
#define SYNC_COND (1ULL << 56)
#define SYNC_SEM (2ULL << 56)
#define SYNC_FUTEX (3ULL << 56)
#define SYNC_ADDR (4ULL << 56)
#define SYNC_CHAN (5ULL << 56)
#define SYNC_WG (6ULL << 56)
#define SYNC_ONCE (7ULL << 56)

struct hb *hb__new(const struct hb_opts *opts)
{
	struct hb *hb;

	if (!opts || !opts->report) {
		errno = EINVAL;
		return NULL;
	}
	hb = calloc(1, sizeof(*hb));
	if (!hb)
		goto nomem;
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
	rt_map_init(&hb->thread_of);
	rt_map_init(&hb->lock_of);
	rt_map_init(&hb->lock_page);
	rt_map_init(&hb->sync_of);
	rt_map_init(&hb->block_of);
	rt_map_init(&hb->pthread_of);
	rt_map_init(&hb->spawn_of);
	rt_map_init(&hb->spawn_site);
	rt_map_init(&hb->go_maps);
	rt_map_init(&hb->go_closed);
	rt_map_init(&hb->go_chans);
	rt_map_init(&hb->go_wg_of);
	rt_map_init(&hb->go_started);
	rt_map_init(&hb->go_deadlocked);
	hb->lockorder = lockorder__new(opts->report);
	if (!hb->lockorder)
		goto nomem;
	return hb;
nomem:
	hb__free(hb);
	errno = ENOMEM;
	return NULL;
}

void hb__free(struct hb *hb)
{
	size_t i;

	if (!hb)
		return;
	for (i = 0; i < hb->nthreads; i++) {
		free(hb->threads[i].held);
		vc_free(&hb->threads[i].vc);
	}
	for (i = 0; i < hb->nlocks; i++) {
		sclock_free(&hb->locks[i].wclock);
		sclock_free(&hb->locks[i].rclock);
	}
	for (i = 0; i < hb->nsyncs; i++)
		sclock_free(&hb->syncs[i]);
	free(hb->threads);
	free(hb->free_sids);
	free(hb->sid_clock);
	free(hb->locks);
	free(hb->free_locks);
	free(hb->syncs);
	free(hb->free_syncs);
	free(hb->blocks);
	free(hb->free_blocks);
	free(hb->lstats);
	free(hb->free_actors);
	free(hb->pending);
	rt_map_free(&hb->spawn_of);
	rt_map_free(&hb->spawn_site);
	go__free(hb);
	rt_map_free(&hb->thread_of);
	rt_map_free(&hb->lock_of);
	rt_map_free(&hb->lock_page);
	rt_map_free(&hb->sync_of);
	rt_map_free(&hb->block_of);
	rt_map_free(&hb->pthread_of);
	lockorder__free(hb->lockorder);
	free(hb);
}

/* ---- findings ---- */

void hb_finding_init(struct hb *hb, struct rt_finding *f, enum rt_kind kind, __u32 pid)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->pid = pid;
	f->ktime = hb->now;
}

void hb_finding_thread(struct rt_finding *f, __u32 tid)
{
	__u32 i;

	for (i = 0; i < f->nthreads; i++)
		if (f->threads[i] == tid)
			return;
	if (f->nthreads < RT_FINDING_MAX)
		f->threads[f->nthreads++] = tid;
}

void hb_finding_lock(struct rt_finding *f, const struct hb_lock *l, __u64 addr)
{
	__u32 i;

	for (i = 0; i < f->nlocks; i++)
		if (f->locks[i].addr == addr)
			return;
	if (f->nlocks >= RT_FINDING_MAX)
		return;
	f->locks[f->nlocks].addr = addr;
	snprintf(f->locks[f->nlocks].kind, sizeof(f->locks[0].kind), "%s",
		 l ? rt_lock_kind_name(l->kind) : "lock");
	f->nlocks++;
}

/* id: the kind and the code sites, in order (the detectors list them canonically) */
void hb_finding_id(struct rt_finding *f)
{
	f->id = rt_fnv1a(rt_fnv1a(RT_FNV_INIT, &f->kind, sizeof(f->kind)), f->sites,
			 f->nsites * sizeof(f->sites[0]));
}

int hb_report(struct hb *hb, const struct rt_finding *f)
{
	int err;

	if (hb->opts.defer_findings) {
		if (rt_grow((void **)&hb->pending, &hb->pending_cap, hb->npending + 1,
			    sizeof(*hb->pending)))
			return -ENOMEM;
		hb->pending[hb->npending++] = *f;
		return 0;
	}
	err = rt_report__add(hb->report, f);
	return err < 0 ? err : 0;
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
		err = rt_report__add(hb->report, &hb->pending[i]);
		if (err < 0) {
			hb->npending = 0;
			return err;
		}
	}
	hb->npending = 0;
	return 0;
}

/* ---- threads ---- */

struct hb_thread *hb_thread_find(struct hb *hb, __u32 tid)
{
	__u64 *v = rt_map_get(&hb->thread_of, tid);

	return v ? &hb->threads[*v - 1] : NULL;
}

struct hb_thread *hb_actor_find(struct hb *hb, __u64 key)
{
	__u64 *v = rt_map_get(&hb->thread_of, key);

	return v ? &hb->threads[*v - 1] : NULL;
}

#define actor_find hb_actor_find

static int sid_alloc(struct hb *hb, __u32 *sid, __u32 *clock)
{
	if (hb->nfree_sids) {
		*sid = hb->free_sids[--hb->nfree_sids];
	} else {
		if (rt_grow((void **)&hb->sid_clock, &hb->sid_clock_cap, hb->next_sid + 1,
			    sizeof(*hb->sid_clock)))
			return -ENOMEM;
		*sid = hb->next_sid++;
		hb->sid_clock[*sid] = 0;
	}
	/* a reused slot continues where its last thread stopped: epochs stay unique */
	*clock = hb->sid_clock[*sid] + 1;
	return 0;
}

/* The thread's clock is no longer needed (joined, or evicted): give its slot back. */
static void thread_drop_vc(struct hb *hb, struct hb_thread *t)
{
	if (!t->has_vc)
		return;
	hb->sid_clock[t->sid] = vc_get(&t->vc, t->sid);
	vc_free(&t->vc);
	t->has_vc = false;
	if (!rt_grow((void **)&hb->free_sids, &hb->free_sids_cap, hb->nfree_sids + 1,
		     sizeof(*hb->free_sids)))
		hb->free_sids[hb->nfree_sids++] = t->sid;
}

/* Reset a slot for a (new) thread tid. */
static int thread_init(struct hb *hb, struct hb_thread *t, __u64 key, __u32 tid, __u32 pid)
{
	__u32 sid, clock;

	if (sid_alloc(hb, &sid, &clock))
		return -ENOMEM;
	free(t->held);
	memset(t, 0, sizeof(*t));
	t->key = key;
	t->tid = tid;
	t->pid = pid;
	t->sid = sid;
	t->alive = true;
	vc_init(&t->vc);
	if (vc_set(&t->vc, sid, clock))
		return -ENOMEM;
	t->has_vc = true;
	hb->threads_seen++;
	return 0;
}

/* Exited threads whose clock nobody joined: drop the oldest past the cap. */
static void evict_dead_threads(struct hb *hb)
{
	size_t i, dead = 0, oldest = (size_t)-1;

	for (i = 0; i < hb->nthreads; i++) {
		if (hb->threads[i].alive || !hb->threads[i].has_vc)
			continue;
		dead++;
		if (oldest == (size_t)-1 ||
		    hb->threads[i].exit_ktime < hb->threads[oldest].exit_ktime)
			oldest = i;
	}
	if (dead > hb->opts.max_dead_threads && oldest != (size_t)-1) {
		thread_drop_vc(hb, &hb->threads[oldest]);
		hb->cnt.dead_threads_evicted++;
	}
}

/* The actor (kernel thread or goroutine) with key, created when new. */
static struct hb_thread *actor_get(struct hb *hb, __u64 key, __u32 tid, __u32 pid)
{
	struct hb_thread *t = actor_find(hb, key);
	size_t idx;

	if (t) {
		if (t->alive)
			return t;
		if (key & RT_GO_KEY) {
			/* a record after its goroutine ended: take its slot back off the free list */
			size_t i;

			for (i = 0; i < hb->nfree_actors; i++) {
				if (hb->free_actors[i] == (__u32)(t - hb->threads)) {
					hb->free_actors[i] = hb->free_actors[--hb->nfree_actors];
					break;
				}
			}
		}
		/* the tid was reused by a new thread */
		thread_drop_vc(hb, t);
		return thread_init(hb, t, key, tid, pid) ? NULL : t;
	}
	if (hb->nfree_actors) {
		__u64 *was;

		idx = hb->free_actors[--hb->nfree_actors];
		/* the ended goroutine's key, unless something else took it since */
		was = rt_map_get(&hb->thread_of, hb->threads[idx].key);
		if (was && *was == (__u64)idx + 1)
			rt_map_del(&hb->thread_of, hb->threads[idx].key);
	} else {
		if (rt_grow((void **)&hb->threads, &hb->threads_cap, hb->nthreads + 1,
			    sizeof(*hb->threads)))
			return NULL;
		idx = hb->nthreads++;
		memset(&hb->threads[idx], 0, sizeof(hb->threads[idx]));
	}
	t = &hb->threads[idx];
	if (thread_init(hb, t, key, tid, pid) || rt_map_put(&hb->thread_of, key, idx + 1)) {
		vc_free(&t->vc);
		t->alive = false;
		return NULL;
	}
	return t;
}

static struct hb_thread *thread_get(struct hb *hb, __u32 tid, __u32 pid)
{
	return actor_get(hb, tid, tid, pid);
}

/* A goroutine ended: nothing joins it, so its slot and clock go back at once. */
static void goroutine_end(struct hb *hb, struct hb_thread *t)
{
	thread_drop_vc(hb, t);
	t->alive = false;
	t->nheld = 0;
	t->has_pending = false;
	/* its key stays mapped until the slot is reused: reports held until a tick name it */
	if (!rt_grow((void **)&hb->free_actors, &hb->free_actors_cap, hb->nfree_actors + 1,
		     sizeof(*hb->free_actors)))
		hb->free_actors[hb->nfree_actors++] = t - hb->threads;
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

/* The lock's identity ends (destroyed, or its memory freed or reused): forget its state. */
static void lock_retire(struct hb *hb, struct hb_lock *l)
{
	__u32 idx = l - hb->locks;
	size_t i;

	/* nobody holds a lock that no longer exists */
	for (i = 0; i < hb->nthreads && (l->owner || l->readers); i++) {
		struct hb_thread *t = &hb->threads[i];
		size_t j;

		for (j = t->nheld; j-- > 0;) {
			if (t->held[j].lock != l->addr)
				continue;
			memmove(&t->held[j], &t->held[j + 1], (t->nheld - j - 1) * sizeof(*t->held));
			t->nheld--;
		}
	}
	lockorder__forget(hb->lockorder, l->addr);
	lock_unlink_page(hb, idx);
	rt_map_del(&hb->lock_of, l->addr);
	sclock_free(&l->wclock);
	sclock_free(&l->rclock);
	l->live = false;
	if (!rt_grow((void **)&hb->free_locks, &hb->free_locks_cap, hb->nfree_locks + 1,
		     sizeof(*hb->free_locks)))
		hb->free_locks[hb->nfree_locks++] = idx;
}

/* Retire locks in [addr, addr + size): that memory now holds something else. */
static void locks_retire_range(struct hb *hb, __u64 addr, __u64 size)
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
				lock_retire(hb, l);
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
				lock_retire(hb, l);
		}
	}
}

static struct hb_lock *lock_get(struct hb *hb, __u64 addr, __u8 kind)
{
	struct hb_lock *l = hb_lock_find(hb, addr);
	__u64 page = PAGE_KEY(addr), *head;
	__u32 idx;

	if (l) {
		if (kind && l->kind != kind) {
			/* the memory is a different kind of lock now: a new identity */
			lock_retire(hb, l);
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
				lock_retire(hb, v);
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

struct rt_held *hb_held_find(struct hb_thread *t, __u64 lock)
{
	size_t i;

	for (i = t->nheld; i-- > 0;)
		if (t->held[i].lock == lock)
			return &t->held[i];
	return NULL;
}

static void held_remove(struct hb_thread *t, struct rt_held *h)
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

/* ---- sync objects (cond, sem, futex word, heap address) ---- */

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

static void sync_drop(struct hb *hb, __u64 key)
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

/* thread releases into a sync object (joining), then ticks */
static int release_into(struct hb *hb, struct hb_thread *t, __u64 key)
{
	struct sclock *s = sync_get(hb, key, true);

	if (!s || vc_release(&t->vc, t->sid, s))
		return -ENOMEM;
	return vc_tick(&t->vc, t->sid);
}

static int acquire_from(struct hb *hb, struct hb_thread *t, __u64 key)
{
	struct sclock *s = sync_get(hb, key, false);

	return s && vc_acquire(&t->vc, s) < 0 ? -ENOMEM : 0;
}

/* ---- heap blocks ---- */

static struct hb_block *block_find(struct hb *hb, __u64 addr)
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
	struct hb_block *b = block_find(hb, addr);
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

static int on_alloc(struct hb *hb, struct hb_thread *t, __u64 addr, __u64 size, __u64 site)
{
	struct hb_block *b;

	if (!addr)
		return 0;
	/* free -> malloc of the same address: the new owner sees what the freer did */
	if (acquire_from(hb, t, SYNC_ADDR | addr))
		return -ENOMEM;
	sync_drop(hb, SYNC_ADDR | addr);
	locks_retire_range(hb, addr, size);
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

static int on_free(struct hb *hb, struct hb_thread *t, __u64 addr, __u64 site)
{
	struct hb_block *b;
	int err;

	if (!addr)
		return 0;
	b = block_get(hb, addr);
	err = heap__free(hb, t, b, addr, site);
	if (err)
		return err;
	if (b && b->freed)
		return 0; /* a double free: the first one stands */
	if (release_into(hb, t, SYNC_ADDR | addr))
		return -ENOMEM;
	locks_retire_range(hb, addr, b ? b->size : 0);
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
static int lock_acquired(struct hb *hb, struct hb_thread *t, struct hb_lock *l, __u8 mode,
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

/* The pending blocking acquisition returned: the thread holds the lock. */
static int promote(struct hb *hb, struct hb_thread *t)
{
	struct hb_lock *l;

	if (!t->has_pending)
		return 0;
	t->has_pending = false;
	l = lock_get(hb, t->pending.lock, t->pending.kind);
	if (!l)
		return -ENOMEM;
	return lock_acquired(hb, t, l, t->pending.mode, t->pending.site);
}

#define RT_X86_SF 0x80

/* A Go lock record on the path that parks the goroutine until the lock is free. */
static bool go_parks(const struct rt_event *e)
{
	return e->h.type == RT_EV_GO_LOCK_SLOW || e->h.type == RT_EV_GO_WLOCK ||
	       (e->h.type == RT_EV_GO_RLOCK && (e->arg & RT_X86_SF));
}

/* Entry of a blocking acquisition. */
static int lock_begin(struct hb *hb, struct hb_thread *t, const struct rt_event *e, __u8 kind,
		      __u8 mode)
{
	struct rt_acq a = {
		.pid = e->h.tgid,
		.tid = t->tid, /* the goroutine id for Go */
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
	l = lock_get(hb, e->obj, kind);
	if (!l)
		return -ENOMEM;
	if (kind == RT_LOCK_MUTEX)
		l->mtype = e->arg & 3;
	prev = hb_held_find(t, e->obj);
	if (prev) {
		bool go = kind == RT_LOCK_GO_MUTEX || kind == RT_LOCK_GO_RWMUTEX;
		bool recursive_ok = (kind == RT_LOCK_MUTEX && l->mtype == RT_MTYPE_RECURSIVE) ||
				    ((kind == RT_LOCK_RWLOCK || kind == RT_LOCK_GO_RWMUTEX) &&
				     mode == RT_MODE_SHARED && prev->mode == RT_MODE_SHARED);

		if (!recursive_ok && go && go_parks(e)) {
			/*
			 * A Go lock it holds, on the path that parks: a double lock, or an unlock
			 * we missed (a body we could not probe). Only time tells: go__tick
			 * reports it if the goroutine is still parked there a moment later.
			 */
			t->go_dl_lock = e->obj;
			t->go_dl_site = prev->site;
			t->has_pending = true;
			t->pending = (struct rt_held){ .lock = e->obj, .site = e->caller,
						       .kind = kind, .mode = mode };
			t->pending_since = e->h.ktime;
			return 0;
		} else if (!recursive_ok && go) {
			/* it did not park, so it was free: we missed the unlock; the hold goes */
			held_remove(t, prev);
			l->owner = 0;
			l->owner_key = 0;
			l->depth = 0;
		} else if (!recursive_ok) {
			/* it blocks forever (or fails with EDEADLK): it is not acquired */
			return misuse__double_lock(hb, t, l, prev, e->caller);
		} else {
			return lock_acquired(hb, t, l, mode, e->caller);
		}
	}
	/* after a loss the held sets may be stale: no edges from them until relearned */
	err = hb->suppress ? 0 : lockorder__acquire(hb->lockorder, &a, t->held, t->nheld);
	if (err)
		return err;
	t->has_pending = true;
	t->pending = (struct rt_held){ .lock = e->obj, .site = e->caller, .kind = kind,
				       .mode = mode };
	t->pending_since = e->h.ktime;
	return 0;
}

static int lock_try(struct hb *hb, struct hb_thread *t, const struct rt_event *e, __u8 kind,
		    __u8 mode)
{
	struct hb_lock *l;

	if (e->ret != 0 || !e->obj)
		return 0;
	l = lock_get(hb, e->obj, kind);
	if (!l)
		return -ENOMEM;
	return lock_acquired(hb, t, l, mode, e->caller);
}

/* Release l held by t through h. */
static int lock_release(struct hb *hb, struct hb_thread *t, struct hb_lock *l, struct rt_held *h)
{
	int err;

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
	held_remove(t, h);
	if (err || vc_tick(&t->vc, t->sid))
		return -ENOMEM;
	return 0;
}

static int lock_unlock(struct hb *hb, struct hb_thread *t, const struct rt_event *e, __u8 kind,
		       bool cond_wait)
{
	__u64 addr = cond_wait ? e->obj2 : e->obj;
	struct rt_held *h;
	struct hb_lock *l;
	int err;

	if (!addr)
		return 0;
	l = lock_get(hb, addr, kind);
	if (!l)
		return -ENOMEM;
	if (kind == RT_LOCK_MUTEX && !cond_wait)
		l->mtype = e->arg & 3;
	h = hb_held_find(t, addr);
	if (h)
		return lock_release(hb, t, l, h);
	if (e->h.type == RT_EV_GO_RUNLOCK) {
		/*
		 * A read lock another goroutine took (a read transaction closed elsewhere), or
		 * one taken before we attached: still a reader's release. One reader's hold
		 * ends, and the lock is handed over: no lock order from it.
		 */
		if (l->readers) {
			size_t i;

			for (i = 0; i < hb->nthreads; i++) {
				struct hb_thread *o = &hb->threads[i];
				struct rt_held *oh = o->alive ? hb_held_find(o, addr) : NULL;

				if (oh && oh->mode == RT_MODE_SHARED) {
					held_remove(o, oh);
					l->readers--;
					if (o->go_rr_lock == addr)
						o->go_rr_lock = 0; /* its hold was handed over */
					break;
				}
			}
			if (lockorder__handoff(hb->lockorder, addr, kind))
				return -ENOMEM;
		}
		if (vc_release(&t->vc, t->sid, &l->rclock) || vc_tick(&t->vc, t->sid))
			return -ENOMEM;
		return 0;
	}
	/* Go lets any goroutine unlock a Mutex: only pthread locks have misuse to report */
	err = kind == RT_LOCK_GO_MUTEX || kind == RT_LOCK_GO_RWMUTEX ?
		      0 :
		      misuse__unlock_unowned(hb, t, l, e->caller, cond_wait);
	if (err)
		return err;
	/* it was unlocked all the same: learn that, and order the next acquirer after us */
	if (l->owner && l->owner_key != t->key) {
		struct hb_thread *o = actor_find(hb, l->owner_key);
		struct rt_held *oh = o ? hb_held_find(o, addr) : NULL;

		if (oh)
			held_remove(o, oh);
		/* a Go lock handed over between goroutines: its holds are no ordering */
		if ((kind == RT_LOCK_GO_MUTEX || kind == RT_LOCK_GO_RWMUTEX) &&
		    lockorder__handoff(hb->lockorder, addr, kind))
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

/* ---- threads ---- */

static int on_fork(struct hb *hb, struct hb_thread *t, __u32 child_tid)
{
	__u32 tid = t->tid;
	struct hb_thread *c;

	if (!child_tid)
		return 0;
	c = thread_get(hb, child_tid, t->pid);
	t = hb_thread_find(hb, tid); /* thread_get may have moved the table */
	if (!c || !t)
		return -ENOMEM;
	c->parent = t->tid;
	memcpy(c->name, t->name, sizeof(c->name)); /* a new thread starts with its creator's name */
	t->last_forked = child_tid;
	/* the child starts after everything its creator did so far */
	if (vc_join(&c->vc, &t->vc) < 0 || vc_tick(&t->vc, t->sid))
		return -ENOMEM;
	return 0;
}

static int on_thread_exit(struct hb *hb, struct hb_thread *t, const struct rt_event *e)
{
	int err = 0;

	if (!e->ret) /* the thread ended alone, not with its process */
		err = misuse__thread_exit(hb, t, e->caller);
	t->alive = false;
	t->has_pending = false;
	t->wait_uaddr = 0;
	t->wait_lock = 0;
	t->exit_ktime = e->h.ktime;
	evict_dead_threads(hb);
	return err;
}

static int on_join(struct hb *hb, struct hb_thread *t, const struct rt_event *e)
{
	__u64 *ctid = rt_map_get(&hb->pthread_of, e->obj);
	struct hb_thread *c;

	if (e->ret != 0 || !ctid)
		return 0;
	c = hb_thread_find(hb, *ctid);
	rt_map_del(&hb->pthread_of, e->obj);
	if (!c || c->alive || !c->has_vc)
		return 0;
	/* the joiner continues after everything the child did */
	if (vc_join(&t->vc, &c->vc) < 0)
		return -ENOMEM;
	thread_drop_vc(hb, c);
	return 0;
}

/* The blocking operation in progress completed: remember its site (a loop's wait). */
static void go_unblock(struct hb_thread *t)
{
	__u8 i;

	if (!t->go_block)
		return;
	t->go_block = 0;
	for (i = 0; i < t->go_ndone; i++)
		if (t->go_done_sites[i] == t->go_block_site)
			return;
	if (t->go_ndone < RT_ARRAY_SIZE(t->go_done_sites))
		t->go_done_sites[t->go_ndone++] = t->go_block_site;
	else
		t->go_done_sites[t->go_block_site % RT_ARRAY_SIZE(t->go_done_sites)] =
			t->go_block_site;
}

/*
 * A Go mutex is known to be free right now (t just won it): forget any hold of it we still
 * believe in. The unlock we missed was a release: t synchronizes with all the holder did so far
 * (more than the release carried, so it can only hide a race, never invent one).
 */
static void go_mutex_was_free(struct hb *hb, struct hb_thread *t, __u64 addr)
{
	struct hb_lock *l = hb_lock_find(hb, addr);
	struct hb_thread *o;
	struct rt_held *h;

	if (!l || !l->owner)
		return;
	o = actor_find(hb, l->owner_key);
	while (o && (h = hb_held_find(o, addr)))
		held_remove(o, h);
	if (o && o != t && o->has_vc && vc_join(&t->vc, &o->vc) >= 0)
		vc_tick(&o->vc, o->sid);
	l->owner = 0;
	l->owner_key = 0;
	l->depth = 0;
	hb->cnt.go_unlocks_missed++;
}

/* A goroutine enters an operation that may park it (for go-goroutine-leak). */
static void go_block(struct hb_thread *t, __u8 kind, const struct rt_event *e)
{
	t->go_block = kind;
	t->go_block_obj = e->obj;
	t->go_block_site = e->caller;
	t->go_block_since = e->h.ktime;
	t->go_leak_reported = false;
}

/*
 * sync.(*RWMutex).Lock and Unlock take and release the Mutex inside the RWMutex (at its
 * address): those records are the writer lock's own, which GO_WLOCK and GO_WUNLOCK stand for.
 */
static bool go_rw_internal(struct hb *hb, const struct hb_thread *t, const struct rt_event *e)
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

/* A writer holds rw now: no reader does, whatever holds of it we still believe in. */
static void go_rw_no_readers(struct hb *hb, struct hb_lock *l)
{
	size_t i;

	if (!l->readers)
		return;
	for (i = 0; i < hb->nthreads; i++) {
		struct hb_thread *o = &hb->threads[i];
		struct rt_held *h;

		while (o->alive && (h = hb_held_find(o, l->addr)) && h->mode == RT_MODE_SHARED)
			held_remove(o, h);
	}
	l->readers = 0;
	hb->cnt.go_unlocks_missed++;
}

/*
 * Goroutine c was just made by p: is it the program's or the runtime's own (GC workers and
 * the like, by the `go` statement's package)? Goroutine 1 made on a thread's g0 means we saw
 * the program start.
 */
static int go_spawned(struct hb *hb, struct hb_thread *p, struct hb_thread *c)
{
	int cls = hb->opts.site_class && c->create_site ?
			  hb->opts.site_class(hb->opts.site_class_ctx, c->pid, c->create_site) :
			  0;

	if (!(p->key & RT_GO_KEY)) {
		/*
		 * Made on a thread's g0: a timer's time.AfterFunc, or goroutine 1, runtime.main,
		 * whose creation we saw, so we see every goroutine of the program.
		 */
		if (c->tid == 1 && rt_map_put(&hb->go_started, c->pid, 1))
			return -ENOMEM;
		return 0;
	}
	c->go_system = cls > 0 && (cls & RT_SITE_GO_RUNTIME);
	return 0;
}

/* ---- the dispatcher ---- */

static bool is_wait_on_pending(const struct hb_thread *t, const struct rt_event *e)
{
	__u64 d;

	if (e->h.type == RT_EV_GO_LOCK_SLOW)
		return e->obj == t->pending.lock; /* sync.(*Mutex).Lock's own slow path */
	if (e->h.type != RT_EV_FUTEX_WAIT && e->h.type != RT_EV_FUTEX_WAIT_RET)
		return false;
	d = e->obj - t->pending.lock;
	/* a mutex waits on its +0 word, a glibc rwlock on +8 or +12 */
	return d == 0 || (t->pending.kind == RT_LOCK_RWLOCK && (d == 8 || d == 12));
}

int hb__event(struct hb *hb, const struct rt_event *e)
{
	struct hb_thread *t;
	int err;

	hb->events++;
	hb->by_type[e->h.type]++;
	if (e->h.ktime > hb->now)
		hb->now = e->h.ktime;
	if (e->h.type == RT_EV_TICK) {
		/*
		 * Events were lost: who holds what may be wrong from here on. Forget it and
		 * stay quiet about misuse until a tick with no new loss, then forget what the
		 * incomplete stream taught us once more and start afresh (as after an attach).
		 */
		bool lost = e->arg > hb->lost;

		err = pending_settle(hb, lost);
		if (err)
			return err;
		if (lost) {
			hb->lost = e->arg;
			hb__forget_lock_states(hb);
			hb->suppress = true;
		} else if (hb->suppress) {
			hb__forget_lock_states(hb);
			hb->suppress = false;
		}
		err = deadlock__tick(hb);
		err = err ? err : go__tick(hb);
		/* what the tick itself found (deadlocks, hangs, leaks) is about now: report it */
		return err ? err : pending_settle(hb, false);
	}
	t = e->h.goid ? actor_get(hb, e->h.goid | RT_GO_KEY, (__u32)e->h.goid, e->h.tgid) :
			thread_get(hb, e->h.tid, e->h.tgid);
	if (!t)
		return -ENOMEM;
	if (go_rw_internal(hb, t, e))
		return 0;
	if (t->go_rw_wait) {
		/* the reader runs again: the writer it waited for has unlocked */
		struct hb_lock *l = hb_lock_find(hb, t->go_rw_wait);
		struct rt_held *h;

		if (t->go_dl_lock == t->go_rw_wait) {
			/* it did not park for good: the write hold we believed in was stale */
			while ((h = hb_held_find(t, t->go_dl_lock)) && h->mode == RT_MODE_EXCL)
				held_remove(t, h);
			t->go_dl_lock = 0;
		}
		t->go_rw_wait = 0;
		go_unblock(t);
		if (l && l->kind == RT_LOCK_GO_RWMUTEX && vc_acquire(&t->vc, &l->wclock) < 0)
			return -ENOMEM;
	}
	if (t->has_pending && !is_wait_on_pending(t, e)) {
		/* lockSlow returns holding it: whoever we thought had it let it go */
		if (e->h.type == RT_EV_GO_LOCK_SLOW_DONE && t->pending.kind == RT_LOCK_GO_MUTEX)
			go_mutex_was_free(hb, t, t->pending.lock);
		err = promote(hb, t);
		if (err)
			return err;
	}
	if (t->wait_uaddr && e->h.type != RT_EV_FUTEX_WAIT && e->h.type != RT_EV_FUTEX_WAIT_RET) {
		/* it does something else, so it is not blocked in that wait any more */
		t->wait_uaddr = 0;
		t->wait_lock = 0;
		t->deadlocked = false;
	}

	switch (e->h.type) {
	case RT_EV_MUTEX_LOCK:
		return lock_begin(hb, t, e, RT_LOCK_MUTEX, RT_MODE_EXCL);
	case RT_EV_RWLOCK_RDLOCK:
		return lock_begin(hb, t, e, RT_LOCK_RWLOCK, RT_MODE_SHARED);
	case RT_EV_RWLOCK_WRLOCK:
		return lock_begin(hb, t, e, RT_LOCK_RWLOCK, RT_MODE_EXCL);
	case RT_EV_SPIN_LOCK:
		return lock_begin(hb, t, e, RT_LOCK_SPIN, RT_MODE_EXCL);
	case RT_EV_MUTEX_TRYLOCK:
	case RT_EV_MUTEX_TIMEDLOCK:
		return lock_try(hb, t, e, RT_LOCK_MUTEX, RT_MODE_EXCL);
	case RT_EV_RWLOCK_TRYRDLOCK:
		return lock_try(hb, t, e, RT_LOCK_RWLOCK, RT_MODE_SHARED);
	case RT_EV_RWLOCK_TRYWRLOCK:
		return lock_try(hb, t, e, RT_LOCK_RWLOCK, RT_MODE_EXCL);
	case RT_EV_SPIN_TRYLOCK:
		return lock_try(hb, t, e, RT_LOCK_SPIN, RT_MODE_EXCL);
	case RT_EV_MUTEX_UNLOCK:
		return lock_unlock(hb, t, e, RT_LOCK_MUTEX, false);
	case RT_EV_RWLOCK_UNLOCK:
		return lock_unlock(hb, t, e, RT_LOCK_RWLOCK, false);
	case RT_EV_SPIN_UNLOCK:
		return lock_unlock(hb, t, e, RT_LOCK_SPIN, false);
	case RT_EV_MUTEX_DESTROY: {
		struct hb_lock *l = hb_lock_find(hb, e->obj);

		if (!l)
			return 0;
		err = misuse__destroy(hb, t, l, e->caller);
		lock_retire(hb, l);
		return err;
	}
	case RT_EV_COND_WAIT:
		return lock_unlock(hb, t, e, RT_LOCK_MUTEX, true);
	case RT_EV_COND_WAIT_RET: {
		struct rt_event re = *e;

		/* 0 or ETIMEDOUT: the mutex is held again; an error (EPERM, EINVAL) did nothing */
		if (e->ret != 0 && e->ret != RT_ETIMEDOUT)
			return 0;
		/* woken: after the signal; then the mutex is taken again, blocking */
		if (acquire_from(hb, t, SYNC_COND | e->obj))
			return -ENOMEM;
		if (!e->obj2)
			return 0;
		re.obj = e->obj2;
		re.arg = 0;
		{
			struct hb_lock *l = hb_lock_find(hb, e->obj2);

			if (l && l->kind == RT_LOCK_MUTEX)
				re.arg = l->mtype;
		}
		err = lock_begin(hb, t, &re, RT_LOCK_MUTEX, RT_MODE_EXCL);
		return err ? err : promote(hb, t);
	}
	case RT_EV_COND_SIGNAL:
	case RT_EV_COND_BROADCAST:
		return release_into(hb, t, SYNC_COND | e->obj);
	case RT_EV_SEM_POST:
		return release_into(hb, t, SYNC_SEM | e->obj);
	case RT_EV_SEM_WAIT:
		return e->ret == 0 ? acquire_from(hb, t, SYNC_SEM | e->obj) : 0;
	case RT_EV_FUTEX_WAKE:
		return release_into(hb, t, SYNC_FUTEX | e->obj);
	case RT_EV_FUTEX_WAIT:
		deadlock__wait(hb, t, e);
		return 0;
	case RT_EV_FUTEX_WAIT_RET:
		if (t->wait_lock && hb->now >= t->wait_since) {
			struct hb_lock *l = hb_lock_find(hb, t->wait_lock);
			struct hb_lock_stat *st = l ? lock_stat(hb, l, t->pid, true) : NULL;

			if (st)
				observe(st->wait, &st->wait_count, &st->wait_sum,
					hb->now - t->wait_since);
		}
		t->wait_uaddr = 0;
		t->wait_lock = 0;
		t->hang_reported = false;
		t->deadlocked = false;
		/* woken (the scheduler cannot tell: with no wakes recorded, no edge to take) */
		return e->ret == 0 && !(e->h.flags & RT_EVF_SCHED) ?
			       acquire_from(hb, t, SYNC_FUTEX | e->obj) : 0;
	case RT_EV_ALLOC:
		if (e->h.flags & RT_EVF_INTERNAL)
			return 0; /* the allocator's own bookkeeping (see events.h) */
		return on_alloc(hb, t, e->obj, e->arg, e->caller);
	case RT_EV_REALLOC:
		if (e->h.flags & RT_EVF_INTERNAL)
			return 0;
		if (e->obj2 && e->obj != e->obj2 && (e->obj || e->arg == 0)) {
			err = on_free(hb, t, e->obj2, e->caller);
			if (err)
				return err;
		}
		if (e->obj && e->obj != e->obj2)
			return on_alloc(hb, t, e->obj, e->arg, e->caller);
		if (e->obj) {
			struct hb_block *b = block_find(hb, e->obj);

			if (b && !b->freed)
				b->size = e->arg;
		}
		return 0;
	case RT_EV_FREE:
		if (e->h.flags & RT_EVF_INTERNAL)
			return 0;
		return on_free(hb, t, e->obj, e->caller);
	case RT_EV_THREAD_FORK:
		return on_fork(hb, t, e->arg);
	case RT_EV_THREAD_EXIT:
		return on_thread_exit(hb, t, e);
	case RT_EV_PTHREAD_CREATE:
		if (e->ret == 0 && e->obj && t->last_forked) {
			struct hb_thread *c = hb_thread_find(hb, t->last_forked);

			if (c)
				c->create_site = e->caller;
			if (rt_map_put(&hb->pthread_of, e->obj, t->last_forked))
				return -ENOMEM;
		}
		return 0;
	case RT_EV_PTHREAD_JOIN_RET:
		return on_join(hb, t, e);
	case RT_EV_GO_MAP_READ:
	case RT_EV_GO_MAP_WRITE:
		return go__map_access(hb, t, e->obj, e->h.type == RT_EV_GO_MAP_WRITE, e->caller);
	case RT_EV_GO_MAP_NEW:
		go__map_new(hb, e->obj);
		return 0;
	case RT_EV_GO_CHAN_NEW:
		sync_drop(hb, SYNC_CHAN | e->obj);
		go__chan_new(hb, e->obj);
		go__chan_made(hb, e->h.tgid, e->obj, e->arg, e->ret);
		return 0;
	case RT_EV_GO_CHAN_SEND:
		go_block(t, RT_GO_BLOCK_SEND, e);
		return release_into(hb, t, SYNC_CHAN | e->obj);
	case RT_EV_GO_CHAN_SEND_DONE:
		go_unblock(t);
		return 0;
	case RT_EV_GO_CHAN_RECV:
		t->go_recv = e->obj;
		go_block(t, RT_GO_BLOCK_RECV, e);
		return 0;
	case RT_EV_GO_CHAN_RECV_DONE:
		go_unblock(t);
		/* a receive follows the sends (and the close) before it */
		return t->go_recv ? acquire_from(hb, t, SYNC_CHAN | t->go_recv) : 0;
	case RT_EV_GO_CHAN_CLOSE:
		err = go__chan_close(hb, t, e->obj, e->caller);
		return err ? err : release_into(hb, t, SYNC_CHAN | e->obj);
	case RT_EV_GO_SPAWN:
		/* runtime.newproc: newproc1 runs next on this thread's g0 and returns the child */
		rt_map_del(&hb->spawn_site, e->h.tid); /* an earlier spawn's, never completed */
		if (rt_map_put(&hb->spawn_of, e->h.tid, t->key) ||
		    (e->caller && rt_map_put(&hb->spawn_site, e->h.tid, e->caller)))
			return -ENOMEM;
		return 0;
	case RT_EV_GO_GO: {
		__u64 *parent = rt_map_get(&hb->spawn_of, e->h.tid), *site, create_site;
		struct hb_thread *p, *c;
		__u64 pkey;

		if (!parent)
			return 0;
		pkey = *parent;
		site = rt_map_get(&hb->spawn_site, e->h.tid);
		create_site = site ? *site : 0;
		rt_map_del(&hb->spawn_of, e->h.tid);
		rt_map_del(&hb->spawn_site, e->h.tid);
		if (!e->obj)
			return 0;
		c = actor_get(hb, e->obj | RT_GO_KEY, (__u32)e->obj, e->h.tgid);
		p = actor_find(hb, pkey); /* actor_get may have moved the table */
		if (!c)
			return -ENOMEM;
		if (!p || !p->alive) /* the creator ended (records lost): no edge to take */
			return 0;
		c->parent = p->tid;
		c->create_site = create_site; /* the `go` statement */
		if (go_spawned(hb, p, c))
			return -ENOMEM;
		/* the goroutine starts after everything its creator did */
		if (vc_join(&c->vc, &p->vc) < 0 || vc_tick(&p->vc, p->sid))
			return -ENOMEM;
		return 0;
	}
	case RT_EV_GO_EXIT:
		if (t->key & RT_GO_KEY)
			goroutine_end(hb, t);
		return 0;
	case RT_EV_GO_LOCK:
		/*
		 * The fast path's CAS won, so the mutex was free: if we think someone holds it,
		 * we missed an unlock (a body we could not probe). Drop that stale hold first, or
		 * it would make edges and double locks out of nothing.
		 */
		go_mutex_was_free(hb, t, e->obj);
		err = lock_begin(hb, t, e, RT_LOCK_GO_MUTEX, RT_MODE_EXCL);
		return err ? err : promote(hb, t);
	case RT_EV_GO_LOCK_SLOW:
		/* lockSlow, or sync.(*Mutex).Lock's entry (called through sync.Locker) */
		if (t->has_pending && t->pending.lock == e->obj)
			return 0; /* the slow path of a Lock whose entry we saw */
		go_block(t, RT_GO_BLOCK_MUTEX, e);
		return lock_begin(hb, t, e, RT_LOCK_GO_MUTEX, RT_MODE_EXCL);
	case RT_EV_GO_LOCK_SLOW_DONE:
		go_unblock(t);
		t->go_dl_lock = 0;
		return promote(hb, t);
	case RT_EV_GO_UNLOCK:
		return lock_unlock(hb, t, e, RT_LOCK_GO_MUTEX, false);
	case RT_EV_GO_RLOCK: {
		struct rt_held *h = e->obj ? hb_held_find(t, e->obj) : NULL;

		if (h && h->mode == RT_MODE_SHARED && !t->go_rr_lock) {
			/* reported when it releases one itself (go_rr_lock) */
			t->go_rr_lock = e->obj;
			t->go_rr_site = e->caller;
			t->go_rr_prev = h->site;
		}
		if (e->arg & RT_X86_SF) {
			/* a writer is pending: the reader parks until the writer's Unlock */
			go_block(t, RT_GO_BLOCK_RLOCK, e);
			t->go_rw_wait = e->obj;
		}
		err = lock_begin(hb, t, e, RT_LOCK_GO_RWMUTEX, RT_MODE_SHARED);
		/* the read lock counts from its xadd; a parked double lock stays pending */
		return err || t->go_dl_lock ? err : promote(hb, t);
	}
	case RT_EV_GO_RUNLOCK:
		if (t->go_rr_lock && t->go_rr_lock == e->obj) {
			/* both read holds were this goroutine's own: a recursive read lock */
			__u64 lock = t->go_rr_lock;

			t->go_rr_lock = 0;
			if (hb_held_find(t, lock)) {
				err = go__double_lock(hb, t, lock, RT_LOCK_GO_RWMUTEX, t->go_rr_site,
						      t->go_rr_prev, "recursive-rlock");
				if (err)
					return err;
			}
		}
		return lock_unlock(hb, t, e, RT_LOCK_GO_RWMUTEX, false);
	case RT_EV_GO_WUNLOCK:
		return lock_unlock(hb, t, e, RT_LOCK_GO_RWMUTEX, false);
	case RT_EV_GO_WLOCK:
		go_block(t, RT_GO_BLOCK_WLOCK, e);
		return lock_begin(hb, t, e, RT_LOCK_GO_RWMUTEX, RT_MODE_EXCL);
	case RT_EV_GO_WLOCK_DONE:
		go_unblock(t);
		t->go_dl_lock = 0;
		if (t->has_pending && t->pending.kind == RT_LOCK_GO_RWMUTEX) {
			struct hb_lock *l = hb_lock_find(hb, t->pending.lock);

			if (l) {
				go_mutex_was_free(hb, t, l->addr);
				go_rw_no_readers(hb, l);
			}
		}
		return promote(hb, t);
	case RT_EV_GO_COND_WAIT:
		go_block(t, RT_GO_BLOCK_COND, e);
		return 0;
	case RT_EV_GO_COND_WAIT_DONE:
		go_unblock(t);
		return 0;
	case RT_EV_GO_SIGNAL_NOTIFY:
		go__chan_wakes(hb, e->obj);
		return 0;
	case RT_EV_GO_ONCE_CHECK:
		/* the fast path of Once.Do: whoever did the work happened before */
		return e->obj ? acquire_from(hb, t, SYNC_ONCE | e->obj) : 0;
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
			return release_into(hb, t, SYNC_ONCE | t->go_once[t->go_nonce]);
		return 0;
	case RT_EV_GO_SELECT: {
		__u64 ch[3] = { e->obj, e->obj2, e->arg };
		__u32 i;

		t->go_sel_nsends = e->ret & 0xffff;
		t->go_sel_ncases = t->go_sel_nsends + ((e->ret >> 16) & 0xffff);
		memcpy(t->go_sel, ch, sizeof(ch));
		/*
		 * A send case releases into its channel: into each, since which one fires is
		 * known only at the return (an extra edge can only hide a race).
		 */
		for (i = 0; i < 3 && i < t->go_sel_nsends; i++)
			if (ch[i] && release_into(hb, t, SYNC_CHAN | ch[i]))
				return -ENOMEM;
		if (e->ret >> 32)
			go_block(t, RT_GO_BLOCK_SELECT, e);
		return 0;
	}
	case RT_EV_GO_SELECT_DONE: {
		__s64 casi = (__s64)e->obj;

		go_unblock(t);
		/* a receive case follows the sends (and the close) before it */
		if (casi >= t->go_sel_nsends && casi < 3 && casi < t->go_sel_ncases &&
		    t->go_sel[casi])
			return acquire_from(hb, t, SYNC_CHAN | t->go_sel[casi]);
		return 0;
	}
	case RT_EV_GO_WG_ADD:
		err = go__wg_add(hb, t, e->obj, (__s64)e->arg, e->caller);
		if (err)
			return err;
		/* Done (a negative delta) happens before Wait returns */
		return (__s64)e->arg < 0 ? release_into(hb, t, SYNC_WG | e->obj) : 0;
	case RT_EV_GO_WG_WAIT:
		t->go_wg = e->obj;
		go_block(t, RT_GO_BLOCK_WG, e);
		go__wg_wait(hb, t, e->obj, e->caller);
		return 0;
	case RT_EV_GO_WG_WAIT_DONE:
		go_unblock(t);
		return t->go_wg ? acquire_from(hb, t, SYNC_WG | t->go_wg) : 0;
	case RT_EV_THREAD_NAME:
		memcpy(t->name, &e->obj, sizeof(t->name) - 1);
		t->name[sizeof(t->name) - 1] = 0;
		return 0;
	default:
		return 0;
	}
}

void hb__probes_changed(struct hb *hb)
{
	/* as after a loss: forget, stay quiet until the next tick, then forget again */
	hb__forget_lock_states(hb);
	hb->suppress = true;
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
	 * Pending acquisitions stay: their entries were seen, their returns will be. Waits in
	 * progress go: their ends may be among what was missed (or never come: a paused target).
	 */
	for (i = 0; i < hb->nthreads; i++) {
		hb->threads[i].nheld = 0;
		hb->threads[i].wait_uaddr = 0;
		hb->threads[i].wait_lock = 0;
		hb->threads[i].go_block = 0;
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
	memset(st, 0, sizeof(*st));
	st->events = hb->events;
	memcpy(st->by_type, hb->by_type, sizeof(st->by_type));
	st->threads = hb->threads_seen;
	st->locks = lockorder__nodes(hb->lockorder);
	st->lock_edges = lockorder__edges(hb->lockorder);
	st->mem_bytes = vc_mem_bytes();
	st->cnt = hb->cnt;
	st->cnt.lockorder_resets = lockorder__resets(hb->lockorder);
}

int hb__thread_info(const struct hb *hb, __u32 tid, bool goroutine, struct hb_thread_info *ti)
{
	/* goroutine ids are keyed apart from kernel tids: the same number can be both */
	const __u64 *v = rt_map_get(&hb->thread_of, goroutine ? tid | RT_GO_KEY : tid);
	const struct hb_thread *t;

	if (!v)
		return -ENOENT;
	t = &hb->threads[*v - 1];
	memcpy(ti->name, t->name, sizeof(ti->name));
	if ((t->key & RT_GO_KEY) && !ti->name[0])
		snprintf(ti->name, sizeof(ti->name), "goroutine");
	ti->parent = t->parent;
	ti->create_site = t->create_site;
	ti->alive = t->alive;
	return 0;
}

int hb__block_containing(const struct hb *hb, __u64 addr, struct hb_block_info *bi)
{
	const struct hb_block *best = NULL;
	size_t i;

	/* only when a report is printed: a scan is fine */
	for (i = 0; i < hb->nblocks; i++) {
		const struct hb_block *b = &hb->blocks[i];
		const __u64 *v = rt_map_get(&hb->block_of, b->addr);

		if (!v || &hb->blocks[*v - 1] != b || !b->size)
			continue;
		if (addr >= b->addr && addr < b->addr + b->size && (!best || !b->freed))
			best = b;
	}
	if (!best)
		return -ENOENT;
	bi->addr = best->addr;
	bi->size = best->size;
	bi->alloc_site = best->alloc_site;
	bi->alloc_tid = best->alloc_tid;
	bi->freed = best->freed;
	return 0;
}

__u32 hb__vc_get(const struct hb *hb, __u32 tid, __u32 of_tid)
{
	return hb__vc_get_key(hb, tid, of_tid);
}

__u32 hb__vc_get_key(const struct hb *hb, __u64 key, __u64 of_key)
{
	const __u64 *a = rt_map_get(&hb->thread_of, key), *b = rt_map_get(&hb->thread_of, of_key);

	if (!a || !b)
		return 0;
	return vc_get(&hb->threads[*a - 1].vc, hb->threads[*b - 1].sid);
}
