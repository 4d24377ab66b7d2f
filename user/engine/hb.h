/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The engine: takes checked records in stream order, lowers each front end (pthread, futex,
 * allocator, Go) into one vocabulary of actors, locks, heap blocks, waits and parks, builds the
 * happens-before partial order with vector clocks, and calls the detectors registered with it
 * (engine/hooks.h) at fixed points; their findings go to a struct rt_report (the sink). Pure C:
 * no libbpf, no clock reads, no randomness, so a replayed trace gives byte-identical findings.
 */
#ifndef RT_HB_H
#define RT_HB_H

#include <stdbool.h>
#include <linux/types.h>
#include "events.h"
#include <stdio.h>
#include "engine/hooks.h"
#include "report/report.h"

#define RT_HANG_THRESHOLD_NS 5000000000ULL
#define RT_DEADLOCK_CONFIRM_NS 200000000ULL /* a wait-for cycle must last this long */

struct hb_opts {
	struct rt_report *report; /* where detectors send findings; required */
	__u64 hang_threshold_ns;  /* 0: RT_HANG_THRESHOLD_NS */
	__u32 max_locks;	  /* caps, 0: defaults */
	__u32 max_blocks;
	__u32 max_dead_threads;
	/*
	 * Hold findings until the next tick record: if it says events were lost meanwhile, they
	 * may come from an incomplete stream and are dropped (counted in suppressed_lossy). The
	 * live side sends a tick after every drain that produced findings or losses.
	 */
	bool defer_findings;
};


/* Caps that were hit and what the engine did about it (exported as metrics). */
struct hb_counters {
	__u64 locks_evicted;	   /* lock states dropped at the cap */
	__u64 blocks_evicted;	   /* heap blocks forgotten at the cap */
	__u64 syncs_evicted;	   /* sync clocks (cond, sem, futex, address) dropped */
	__u64 dead_threads_evicted; /* exited threads' clocks dropped before a join */
	__u64 suppressed_lossy;	   /* misuse checks skipped because events were lost */
	__u64 go_unlocks_missed;   /* Go mutexes found free that we thought held */
	__u64 slots_reused;	   /* clock slots of ended goroutines reused (hb.c) */
	__u64 atomics_evicted;	   /* atomic locations forgotten at the cap (lower_mem.c) */
	__u64 race_mem_accesses;   /* memory accesses checked (--races) */
	/*
	 * The detectors' own counters (hb_detector.counters), by the detector's registration
	 * index: det[i] belongs to the engine's i-th detector (detect/registry.c's order when
	 * run/ registered the list).
	 */
	__u64 det[HB_MAX_DETECTORS][HB_DET_COUNTERS_MAX];
};

/* sum += c, every counter. */
void hb__counters_add(struct hb_counters *sum, const struct hb_counters *c);

struct hb_stats {
	__u64 events;
	__u64 by_type[RT_EV_MAX];
	__u32 threads;	 /* distinct threads seen */
	__u64 locks;	 /* lock instances in the lock-order graph */
	__u64 lock_edges;
	__u64 mem_bytes; /* vector clock memory */
	struct hb_counters cnt;
};

struct hb;

/* NULL with errno set on failure. */
struct hb *hb__new(const struct hb_opts *opts);
/*
 * Register a detector (before the first record): the engine calls its hooks from now on, in
 * registration order, and frees it with the engine. 0, -ENOSPC (too many), or its new()'s
 * -errno.
 */
int hb__add_detector(struct hb *hb, const struct hb_detector *d);
/* Feed one record (already checked by rt_event_decode). 0, or -ENOMEM. */
int hb__event(struct hb *hb, const struct rt_event *e);
void hb__stats(const struct hb *hb, struct hb_stats *st);
/*
 * Calls were missed (events lost, probes changed): forget who holds what, the waits and parks
 * in progress and which blocks were freed, to learn them again as after an attach. What the
 * detectors keep is theirs (the lock-order graph stays: its edges were all observed).
 */
void hb__forget_lock_states(struct hb *hb);
/*
 * The probes were changed while the target ran (the daemon's governor), the change done at
 * done_ns (CLOCK_MONOTONIC, the ticks' clock): calls were missed around the change, so this is
 * handled like a loss: forget, report nothing and add no lock-order edge until the first tick
 * at least RT_PROBES_SETTLE_NS after done_ns, then forget again and relearn. (Not the next
 * tick: records of the calls before and during the change may still be read after it, and
 * the state learned from them, a lock we saw unlocked before a gap that hid its next lock,
 * would make an unlock after the gap look unheld.) Acquisitions entered but not returned are
 * dropped too, now and at that tick: their returns may never come.
 */
#define RT_PROBES_SETTLE_NS 200000000ULL /* two ticks: the change's backlog is read by then */
void hb__probes_changed(struct hb *hb, __u64 done_ns);
/* Findings waiting for a tick (defer_findings). */
size_t hb__pending(const struct hb *hb);
/*
 * Happens-before query for tests and detectors: the component of thread `tid`'s vector clock
 * for thread `of_tid` (how much of of_tid's history tid has synchronized with). 0 if unknown.
 */
__u32 hb__vc_get(const struct hb *hb, __u32 tid, __u32 of_tid);
/* The same by actor key: a tid, or RT_GO_KEY | goid for a goroutine. */
__u32 hb__vc_get_key(const struct hb *hb, __u64 key, __u64 of_key);
void hb__free(struct hb *hb);

/*
 * Wait and hold time histograms of the contended locks (those some thread waited for in the
 * kernel): at most RT_LOCK_STATS_MAX locks, for the metrics. Buckets are upper bounds in
 * seconds: RT_LOCK_BUCKETS below, then +Inf.
 */
#define RT_LOCK_STATS_MAX 256
#define RT_LOCK_NBUCKETS 8
extern const double rt_lock_buckets[RT_LOCK_NBUCKETS];

struct hb_lock_stat {
	__u32 pid;
	__u64 addr;
	__u8 kind;
	__u64 wait[RT_LOCK_NBUCKETS + 1], hold[RT_LOCK_NBUCKETS + 1]; /* per bucket, not cumulative */
	__u64 wait_count, hold_count;
	double wait_sum, hold_sum; /* seconds */
};

/* Calls fn for every tracked lock; stops when fn returns non-zero. */
void hb__lock_stats(const struct hb *hb, int (*fn)(void *ctx, const struct hb_lock_stat *s),
		    void *ctx);

/*
 * What the engine knows of the memory at addr, for naming it: the heap block containing it
 * (live or freed), a channel's make site. Fills lk (addr and kind set by the caller).
 */
void hb__describe_lock(const struct hb *hb, struct rt_finding_lock *lk);
/* What the engine knows of a thread (goroutine: id is a goroutine id), for reports. */
void hb__describe_thread(const struct hb *hb, __u32 id, bool goroutine,
			 struct rt_finding_thread *ti);

#endif /* RT_HB_H */
