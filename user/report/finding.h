/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A finding, as data. A detector fills the kind, the threads, the locks (or other objects), the
 * code sites, the edges and the message; the engine's one reporting function (engine/hooks.h,
 * hb__report) completes it with what it knew when the finding was handed on: the threads' names
 * and creation sites, the heap block around each object, a channel's make site, and whether the
 * ids are goroutines. Printers need nothing else: they never ask the engine (TSan's ReportDesc).
 * Addresses stay raw here; printers symbolize them. No engine or detector header is needed to
 * use this one.
 */
#ifndef RT_FINDING_H
#define RT_FINDING_H

#include <stdbool.h>
#include <linux/types.h>

enum rt_kind {
	RT_K_LOCK_ORDER_INVERSION,
	RT_K_DEADLOCK,
	RT_K_HANG,
	RT_K_UNLOCK_UNHELD,
	RT_K_UNLOCK_NON_OWNER,
	RT_K_DOUBLE_LOCK,
	RT_K_DESTROY_LOCKED,
	RT_K_FREE_LOCKED,
	RT_K_EXIT_HOLDING_LOCK,
	RT_K_COND_WAIT_UNHELD,
	RT_K_DOUBLE_FREE,
	RT_K_GO_MAP_RACE,
	RT_K_GO_CHAN_DOUBLE_CLOSE,
	RT_K_GO_GOROUTINE_LEAK,
	RT_K_DATA_RACE,
	RT_K_GO_WAITGROUP_MISUSE,
	RT_K_DESTROY_WAITED,
	RT_K_MAX,
};

#define RT_FINDING_MAX 16 /* threads, locks and edges per finding */
#define RT_MSG_LEN 256
#define RT_FINDING_NAME_LEN 16 /* a thread's comm, NUL-terminated */

/* The heap block an object lies in, as the allocator probes saw it. */
struct rt_finding_block {
	__u64 addr, size, alloc_site;
	__u32 alloc_tid;
	bool freed;
};

struct rt_finding_lock {
	__u64 addr;
	char kind[16]; /* "mutex", "rwlock", "spinlock", "sync.Mutex", "chan", "map", ... */
	/* filled by hb__report: */
	bool in_block;		       /* block is set */
	struct rt_finding_block block; /* the heap block containing addr */
	__u64 chan_site;	       /* a Go channel's `make` site, 0 when unknown */
};

/* A thread or goroutine of the finding, filled by hb__report. */
struct rt_finding_thread {
	bool known; /* the engine knew it: the fields below are set */
	char name[RT_FINDING_NAME_LEN];
	__u32 parent;	   /* creating thread (goroutine), 0 when unknown */
	__u64 create_site; /* where it was created, 0 when unknown */
};

/* "thread tid acquired `to` at acquire_site while holding `from`, taken at held_site" */
struct rt_finding_edge {
	__u64 from;
	__u64 to;
	__u32 tid;
	__u8 held_mode; /* 0 exclusive (write), 1 shared (read) */
	__u8 acquire_mode;
	__u64 held_site;
	__u64 acquire_site;
};

struct rt_finding {
	enum rt_kind kind;
	char detail[24]; /* which pattern of the kind, "" when it has one (docs/output.md) */
	bool goroutines; /* threads[] are goroutine ids (also implied by a Go kind or lock) */
	__u32 pid;
	__u64 ktime;
	__u64 id; /* the detector's id (set by hb__report); the sink replaces it by a stable one */
	__u32 nthreads;
	__u32 threads[RT_FINDING_MAX];
	struct rt_finding_thread thread_info[RT_FINDING_MAX];
	__u32 nlocks;
	struct rt_finding_lock locks[RT_FINDING_MAX];
	__u32 nsites;
	__u64 sites[2 * RT_FINDING_MAX];
	__u32 nedges;
	struct rt_finding_edge edges[RT_FINDING_MAX];
	char message[RT_MSG_LEN];
};

const char *rt_kind_name(enum rt_kind k);

/* Whether f's threads are goroutine ids: f->goroutines, a Go kind, or a finding over Go locks. */
bool rt_finding_goroutines(const struct rt_finding *f);

/* Building a finding (the detectors): each adds once and ignores what does not fit. */
void rt_finding_init(struct rt_finding *f, enum rt_kind kind, __u32 pid, __u64 ktime);
void rt_finding_thread(struct rt_finding *f, __u32 id);
void rt_finding_lock(struct rt_finding *f, __u64 addr, const char *kind);
void rt_finding_site(struct rt_finding *f, __u64 site);

#endif /* RT_FINDING_H */
