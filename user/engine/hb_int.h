/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The engine's state, shared by hb.c and the detectors (detect_*.c) that read it. Only hb.c
 * changes it, except for the flags a detector owns (broken, deadlocked, hang_reported).
 */
#ifndef RT_HB_INT_H
#define RT_HB_INT_H

#include <stdbool.h>
#include "detect/detect.h"
#include "engine/hb.h"
#include "lib/util.h"
#include "engine/vc.h"

/* glibc's mutex types: the low 2 bits of __kind */
#define RT_MTYPE_NORMAL 0
#define RT_MTYPE_RECURSIVE 1
#define RT_MTYPE_ERRORCHECK 2
#define RT_MTYPE_ADAPTIVE 3

struct hb_thread {
	__u64 key; /* tid for a kernel thread, goid | RT_GO_KEY for a goroutine */
	__u32 tid; /* shown in reports: the tid, or the goroutine id */
	__u32 pid;
	__u32 sid; /* slot in vector clocks */
	bool alive;
	bool has_vc; /* vc holds the (final, when dead) clock */
	bool deadlocked;
	/* held locks, in acquisition order */
	struct rt_held *held;
	size_t nheld, held_cap;
	/* a blocking acquisition seen at its entry and not known to have returned yet */
	bool has_pending;
	struct rt_held pending;
	__u64 pending_since;
	/* a futex wait in progress */
	__u64 wait_uaddr;
	__u64 wait_since;
	__u64 wait_lock; /* the lock the futex belongs to, 0 when it is no lock */
	__u32 wait_owner;
	bool wait_guess; /* the futex looked like a mutex we never saw (see detect_deadlock.c) */
	bool hang_reported;
	struct vc vc;
	char name[16];	   /* comm, NUL-terminated */
	__u32 last_forked; /* tid of the last thread this one created */
	__u32 parent;
	__u64 create_site;
	__u64 exit_ktime;
	/* Go: the channel a chanrecv waits on, the WaitGroup a Wait waits on */
	__u64 go_recv, go_wg;
	/* Go: a blocking operation in progress (channel, WaitGroup, Mutex), for leaks */
	__u8 go_block;	/* RT_GO_BLOCK_*, 0 when none */
	bool go_leak_reported;
	__u64 go_block_obj, go_block_site, go_block_since;
	/* sites where this goroutine's blocking operations completed before: a loop waiting for
	 * its next item (a worker, an accept or ticker loop), not a leak */
	__u64 go_done_sites[8];
	__u8 go_ndone;
	/* Go: a Lock (or RWMutex Lock/RLock) of a lock this goroutine holds, seen entering the
	 * path that parks: a double lock once it is still parked there RT_GO_DOUBLE_LOCK_NS
	 * later (a missed unlock looks the same for a moment, then returns) */
	__u64 go_dl_lock, go_dl_site;
	/* Go: an RLock that found a writer pending: the reader runs again after the writer's
	 * Unlock, whose release it acquires at its next record */
	__u64 go_rw_wait;
	/* Go: an RLock of an RWMutex this goroutine already read-holds (sites: this one, the
	 * earlier one): a recursive read lock once it releases one of them itself (a read hold
	 * handed to another goroutine, a transaction's, is not this goroutine's), or once it
	 * parks there behind a writer */
	__u64 go_rr_lock, go_rr_site, go_rr_prev;
	/* Go: the select in progress: its first channels (sends first) and case counts */
	__u64 go_sel[3];
	__u16 go_sel_nsends, go_sel_ncases;
	/* Go: the Once.doSlow calls in progress (a Once's function may use another Once) */
	__u64 go_once[4];
	__u8 go_nonce;
	bool go_system;	     /* made by the runtime itself (GC workers and the like) */
	bool go_in_deadlock; /* part of a reported global deadlock */
};

enum {
	RT_GO_BLOCK_RECV = 1,
	RT_GO_BLOCK_SEND,
	RT_GO_BLOCK_WG,
	RT_GO_BLOCK_MUTEX,
	RT_GO_BLOCK_RLOCK,
	RT_GO_BLOCK_WLOCK,
	RT_GO_BLOCK_COND,
	RT_GO_BLOCK_SELECT,
	RT_GO_BLOCK_MAX,
};

/* go_chans flags: channels something outside the program sends on (no leak, no deadlock) */
#define RT_GO_CHAN_TIMER 0x1  /* made in package time */
#define RT_GO_CHAN_SIGNAL 0x2 /* given to os/signal.Notify */
/* a chan struct{}: it only signals (a close: shutdown, cancellation, ctx.Done()) */
#define RT_GO_CHAN_EVENT 0x4

#define RT_GO_DOUBLE_LOCK_NS 100000000ULL	/* 100 ms: see go_dl_lock */
#define RT_GO_GLOBAL_DEADLOCK_NS 300000000ULL /* every goroutine parked this long */



struct hb_lock {
	__u64 addr;
	__u8 kind;  /* enum rt_lock_kind */
	__u8 mtype; /* RT_MTYPE_*, mutexes */
	bool known; /* its state is known since attach (we saw it acquired or unlocked) */
	bool broken; /* misuse was reported: no more misuse reports on it */
	__u32 owner; /* exclusive holder tid (goroutine id), 0 when none */
	__u64 owner_key; /* its actor key */
	__u32 depth; /* recursion depth of owner */
	__u32 readers;
	__u64 owner_site;
	struct sclock wclock; /* release clock of exclusive holds */
	struct sclock rclock; /* joined release clocks of shared holds since the last writer */
	__u32 page_next; /* next lock in the same page, index + 1 */
	bool live;
	__u64 acq_ktime; /* when the current exclusive hold began */
	__u32 stat;	 /* index + 1 into hb->lstats, 0 when not tracked */
};

struct hb_block {
	__u64 addr;
	__u64 size; /* 0 when unknown (allocated before attach) */
	__u64 alloc_site;
	__u64 free_site;
	__u32 alloc_tid;
	__u32 free_tid;
	bool freed;
};

struct hb {
	struct hb_opts opts;
	struct rt_report *report;
	struct hb_thread *threads;
	size_t nthreads, threads_cap;
	struct rt_map thread_of; /* tid -> index + 1 */
	__u32 threads_seen;
	__u32 *free_sids;
	size_t nfree_sids, free_sids_cap;
	__u32 next_sid;
	__u32 *sid_clock; /* last own clock of every sid, so reuse keeps epochs monotonic */
	size_t sid_clock_cap;
	struct hb_lock *locks;
	size_t nlocks, locks_cap;
	struct rt_map lock_of; /* addr -> index + 1 */
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
	__u32 *free_actors;	  /* slots of goroutines that ended */
	size_t nfree_actors, free_actors_cap;
	struct rt_map spawn_of;	  /* tid -> key of the goroutine in runtime.newproc on it */
	struct rt_map spawn_site; /* tid -> the `go` statement's call site */
	struct rt_map go_maps;	  /* hmap -> index + 1 into go_map_states */
	struct go_map_state *go_map_states;
	size_t ngo_maps, go_maps_cap;
	struct rt_map go_closed;  /* hchan -> closing site, for double close */
	struct rt_map go_chans;	  /* hchan -> make site << 3 | RT_GO_CHAN_* */
	struct rt_map go_wg_of;	  /* WaitGroup -> index + 1 into go_wgs */
	struct go_wg_state *go_wgs;
	size_t ngo_wgs, go_wgs_cap;
	struct rt_map go_started; /* pid -> 1: its main goroutine's creation was seen, so every
				   * goroutine and every WaitGroup's history is known */
	struct rt_map go_deadlocked; /* pid -> 1: a global deadlock was reported */
	struct lockorder *lockorder;
	struct hb_lock_stat *lstats;
	size_t nlstats, lstats_cap;
	__u64 now; /* ktime of the latest record */
	__u64 lost; /* drops reported by the live side (tick records) */
	bool suppress; /* events were lost since the last tick: no misuse reports */
	/* findings held until a tick shows no loss happened while they were made */
	struct rt_finding *pending;
	size_t npending, pending_cap;
	__u64 events;
	__u64 by_type[RT_EV_MAX];
	struct hb_counters cnt;
};

struct hb_thread *hb_thread_find(struct hb *hb, __u32 tid);
/* A thread or goroutine by its key (RT_GO_KEY | goid for a goroutine). */
struct hb_thread *hb_actor_find(struct hb *hb, __u64 key);
struct hb_lock *hb_lock_find(struct hb *hb, __u64 addr);
/* The entry in t's held list for lock, most recent first; NULL when not held. */
struct rt_held *hb_held_find(struct hb_thread *t, __u64 lock);
/* Fill a finding's common fields. */
void hb_finding_init(struct hb *hb, struct rt_finding *f, enum rt_kind kind, __u32 pid);
void hb_finding_thread(struct rt_finding *f, __u32 tid);
void hb_finding_lock(struct rt_finding *f, const struct hb_lock *l, __u64 addr);
void hb_finding_id(struct rt_finding *f);
int hb_report(struct hb *hb, const struct rt_finding *f);

/* detect_misuse.c */
int misuse__double_lock(struct hb *hb, struct hb_thread *t, struct hb_lock *l,
			const struct rt_held *prev, __u64 site);
/* An unlock (or cond_wait release) of l by t, who does not hold it. */
int misuse__unlock_unowned(struct hb *hb, struct hb_thread *t, struct hb_lock *l, __u64 site,
			   bool cond_wait);
int misuse__destroy(struct hb *hb, struct hb_thread *t, struct hb_lock *l, __u64 site);
int misuse__thread_exit(struct hb *hb, struct hb_thread *t, __u64 site);
/* detect_heap.c: a free of block b (may be a remembered freed block) by t at site */
int heap__free(struct hb *hb, struct hb_thread *t, struct hb_block *b, __u64 addr, __u64 site);
/* detect_go.c: Go maps and channels */
struct go_map_access {
	__u64 key;  /* actor */
	__u32 goid;
	__u32 sid;
	__u32 clock;
	__u64 site;
};

#define RT_GO_MAP_READS 4
struct go_map_state {
	__u64 map;
	struct go_map_access write;		 /* the last write, key 0 when none */
	struct go_map_access reads[RT_GO_MAP_READS]; /* reads since it */
	__u8 nreads;
	bool broken;
};
struct go_wg_state {
	__u64 wg;
	__s64 count;
	struct go_map_access zero_wait; /* a Wait that began at count 0 (key 0: none) */
	bool broken;
};
int go__wg_add(struct hb *hb, struct hb_thread *t, __u64 wg, __s64 delta, __u64 site);
void go__wg_wait(struct hb *hb, struct hb_thread *t, __u64 wg, __u64 site);
int go__double_lock(struct hb *hb, struct hb_thread *t, __u64 lock, __u8 kind, __u64 site,
		    __u64 prev_site, const char *detail);
/* A channel made at site; elem: its element size | RT_GO_FIELD_READ, or 0 when unknown. */
void go__chan_made(struct hb *hb, __u32 pid, __u64 ch, __u64 site, __s64 elem);
/* Signals arrive on channel ch (os/signal.Notify): a receiver there waits for one, not stuck. */
void go__chan_wakes(struct hb *hb, __u64 ch);
int go__map_access(struct hb *hb, struct hb_thread *t, __u64 map, bool write, __u64 site);
void go__map_new(struct hb *hb, __u64 map);
int go__chan_close(struct hb *hb, struct hb_thread *t, __u64 ch, __u64 site);
void go__chan_new(struct hb *hb, __u64 ch);
void go__free(struct hb *hb);
/* Goroutines blocked longer than the hang threshold: go-goroutine-leak, grouped by site. */
int go__tick(struct hb *hb);

/* detect_deadlock.c */
void deadlock__wait(struct hb *hb, struct hb_thread *t, const struct rt_event *e);
int deadlock__tick(struct hb *hb);

#endif /* RT_HB_INT_H */
