/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The engine's state, shared by its files only: the core (hb.c: actors, locks, clocks, heap
 * blocks, reporting) and the lowering of each front end into its vocabulary (lower_pthread.c
 * for pthread, futex, allocator and thread records; lower_go.c for Go's). Detectors never
 * include this: they see const views (engine/hooks.h).
 */
#ifndef RT_ENGINE_STATE_H
#define RT_ENGINE_STATE_H

#include <stdbool.h>
#include "engine/hb.h"
#include "engine/hooks.h"
#include "engine/vc.h"
#include "lib/util.h"

#define RT_GO_KEY_MASK (RT_GO_KEY - 1)

/* sync objects are keyed by address plus a kind tag in the top bits (user addresses < 2^56) */
#define SYNC_COND (1ULL << 56)
#define SYNC_SEM (2ULL << 56)
#define SYNC_FUTEX (3ULL << 56)
#define SYNC_ADDR (4ULL << 56)
#define SYNC_CHAN (5ULL << 56)
#define SYNC_WG (6ULL << 56)
#define SYNC_ONCE (7ULL << 56)
#define SYNC_ATOMIC (8ULL << 56) /* a location accessed by atomic instructions */

#define RT_MAX_ATOMICS (1U << 18) /* atomic locations remembered (lower_mem.c) */

struct hb_det {
	const struct hb_detector *ops;
	void *st;
};

/* A finding waiting for the next tick (defer_findings), and its repeats meanwhile. */
struct hb_pending {
	struct rt_finding f;
	__u64 again;
};

struct hb {
	struct hb_opts opts;
	struct rt_report *report;
	struct hb_det dets[HB_MAX_DETECTORS];
	size_t ndets;
	struct hb_actor *actors;
	size_t nactors, actors_cap;
	struct rt_map actor_of; /* key -> index + 1 */
	__u32 actors_seen;
	__u64 next_uid;
	__u32 *free_sids; /* freed clock slots of kernel threads */
	size_t nfree_sids, free_sids_cap;
	__u32 *go_sids; /* freed clock slots of goroutines, a queue: [go_sids_head, ngo_sids) */
	size_t ngo_sids, go_sids_cap, go_sids_head;
	__u32 next_sid;
	__u32 *sid_clock; /* last own clock of every sid, so reuse keeps epochs monotonic */
	size_t sid_clock_cap;
	__u32 *free_actors; /* slots of goroutines that ended */
	size_t nfree_actors, free_actors_cap;
	struct hb_lock *locks;
	size_t nlocks, locks_cap;
	struct rt_map lock_of;	 /* addr -> index + 1 */
	struct rt_map lock_page; /* addr >> 12 -> first lock index + 1 */
	__u32 *free_locks;
	size_t nfree_locks, free_locks_cap;
	struct rt_map sync_of; /* addr (tagged by kind) -> index + 1 into syncs */
	struct sclock *syncs;
	size_t nsyncs, syncs_cap;
	__u32 *free_syncs;
	size_t nfree_syncs, free_syncs_cap;
	struct rt_map block_of; /* addr -> index + 1 into blocks */
	struct hb_block *blocks;
	size_t nblocks, blocks_cap;
	__u32 *free_blocks;
	size_t nfree_blocks, free_blocks_cap;
	__u64 nfreed; /* freed blocks remembered */
	struct rt_map pthread_of; /* pthread_t -> tid */
	struct rt_map cond_signal; /* condition variable -> ktime of its last signal or broadcast */
	bool cond_signals_lost;	   /* the table was cleared at its cap */
	/* Go */
	struct rt_map spawn_of;	  /* tid -> key of the goroutine in runtime.newproc on it */
	struct rt_map spawn_site; /* tid -> the `go` statement's call site */
	struct rt_map go_chans;	  /* hchan -> make site << 3 | RT_GO_CHAN_* */
	struct rt_map go_started; /* pid -> 1: its main goroutine's creation was seen */
	struct rt_map exited;	  /* pid -> 1: the detectors were told it exits (proc_exit) */
	struct rt_map atomics;	  /* address -> 1: accessed by an atomic instruction */
	struct rt_map go_closed;  /* hchan -> 1: closed since it was made */
	struct hb_lock_stat *lstats;
	size_t nlstats, lstats_cap;
	__u64 now;  /* ktime of the latest record */
	__u64 lost; /* drops reported by the live side (tick records) */
	bool suppress; /* events were lost since the last tick: no findings */
	bool probes_changed; /* hb__probes_changed, and quiet since: drop pendings at its end */
	__u64 probes_settled; /* quiet until a tick at or after this time (ns) */
	struct hb_pending *pending;
	size_t npending, pending_cap;
	__u64 events;
	__u64 by_type[RT_EV_MAX];
	struct hb_counters cnt;
};

/* Call hook `h` of every detector that has it, with the arguments after the state. */
#define HB_CALL(hb, h, ...)                                                                    \
	({                                                                                     \
		int __err = 0;                                                                 \
		for (size_t __i = 0; __i < (hb)->ndets && !__err; __i++)                       \
			if ((hb)->dets[__i].ops->h)                                            \
				__err = (hb)->dets[__i].ops->h((hb)->dets[__i].st, __VA_ARGS__); \
		__err;                                                                         \
	})
#define HB_CALL0(hb, h)                                                                        \
	({                                                                                     \
		int __err = 0;                                                                 \
		for (size_t __i = 0; __i < (hb)->ndets && !__err; __i++)                       \
			if ((hb)->dets[__i].ops->h)                                            \
				__err = (hb)->dets[__i].ops->h((hb)->dets[__i].st);            \
		__err;                                                                         \
	})
#define HB_CALL_VOID(hb, h, ...)                                                               \
	do {                                                                                   \
		for (size_t __i = 0; __i < (hb)->ndets; __i++)                                 \
			if ((hb)->dets[__i].ops->h)                                            \
				(hb)->dets[__i].ops->h((hb)->dets[__i].st, ##__VA_ARGS__);     \
	} while (0)

/* ---- the core's vocabulary (hb.c), for the lowering files ---- */

struct hb_actor *hb_actor_find(struct hb *hb, __u64 key);
/* The actor with key (a tid, or RT_GO_KEY | goid), created when new; NULL: -ENOMEM. */
struct hb_actor *hb_actor_get(struct hb *hb, __u64 key, __u32 tid, __u32 pid);
/* A goroutine ended: nothing joins it, so its slot and clock go back at once. */
void hb_goroutine_end(struct hb *hb, struct hb_actor *t);
/* The thread's clock is no longer needed (joined, or evicted): give its slot back. */
void hb_actor_drop_vc(struct hb *hb, struct hb_actor *t);
void hb_evict_dead_threads(struct hb *hb);

struct hb_lock *hb_lock_find(struct hb *hb, __u64 addr);
/* The lock at addr, made a new lock of kind when it is another kind (0: any). NULL: -ENOMEM */
struct hb_lock *hb_lock_get(struct hb *hb, __u64 addr, __u8 kind);
/* The lock's identity ends (destroyed, freed, reused): forget its state. */
void hb_lock_retire(struct hb *hb, struct hb_lock *l);
/* Retire locks in [addr, addr + size): that memory now holds something else. */
void hb_locks_retire_range(struct hb *hb, __u64 addr, __u64 size);
struct rt_held *hb_held_find(struct hb_actor *t, __u64 lock);
void hb_held_remove(struct hb_actor *t, struct rt_held *h);

/* A blocking acquisition enters (see hb.c). parks: a Go lock on the path that parks. */
int hb_lock_begin(struct hb *hb, struct hb_actor *t, const struct rt_event *e, __u8 kind,
		  __u8 mode, bool parks);
/* A try or timed acquisition returned ret (0: acquired). */
int hb_lock_try(struct hb *hb, struct hb_actor *t, const struct rt_event *e, __u8 kind,
		__u8 mode);
/* The pending blocking acquisition returned: the actor holds the lock. */
int hb_promote(struct hb *hb, struct hb_actor *t);
/* An unlock of the lock at addr (cond_wait: the mutex a pthread_cond_wait releases). */
int hb_lock_unlock(struct hb *hb, struct hb_actor *t, __u64 addr, __u8 kind, __u64 site,
		   bool cond_wait, __u8 mtype);
/* A Go reader's unlock of a read hold another goroutine took: it is handed over. */
int hb_lock_runlock_other(struct hb *hb, struct hb_actor *t, struct hb_lock *l);
void hb_lock_wait_observe(struct hb *hb, struct hb_actor *t);

/* happens-before through a sync object (a SYNC_* tagged address) */
int hb_release_into(struct hb *hb, struct hb_actor *t, __u64 key);
int hb_acquire_from(struct hb *hb, struct hb_actor *t, __u64 key);
void hb_sync_drop(struct hb *hb, __u64 key);
/* child starts after everything parent did so far */
int hb_actor_fork(struct hb *hb, struct hb_actor *parent, struct hb_actor *child);

int hb_on_alloc(struct hb *hb, struct hb_actor *t, __u64 addr, __u64 size, __u64 site);
int hb_on_free(struct hb *hb, struct hb_actor *t, __u64 addr, __u64 site);
struct hb_block *hb_block_find(struct hb *hb, __u64 addr);

/* A goroutine enters an operation that may park it; and that operation completed. */
void hb_park(struct hb_actor *t, __u8 kind, __u64 obj, __u64 site, __u64 since);
void hb_unpark(struct hb *hb, struct hb_actor *t);

int hb_go_call(struct hb *hb, struct hb_actor *t, enum hb_go_op_kind kind, __u64 obj,
	       __u64 site, __s64 arg);

/* ---- the lowering files ---- */

/* lower_pthread.c: pthread, futex, allocator and thread records */
int hb_lower_pthread(struct hb *hb, struct hb_actor *t, const struct rt_event *e);
/* lower_go.c: Go records. hb_go_before runs first for every record of a goroutine: 1 when the
 * record is consumed there. */
int hb_go_before(struct hb *hb, struct hb_actor *t, const struct rt_event *e);
bool hb_go_continues_pending(const struct hb_actor *t, const struct rt_event *e);
int hb_lower_go(struct hb *hb, struct hb_actor *t, const struct rt_event *e);
/* lower_mem.c: memory accesses (--races); hb_mem_before runs first for every record */
int hb_mem_before(struct hb *hb, struct hb_actor *t);
int hb_lower_mem(struct hb *hb, struct hb_actor *t, const struct rt_event *e);

#endif /* RT_ENGINE_STATE_H */
