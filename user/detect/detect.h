/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The detectors, one per detect_*.c file. The engine (hb.c) calls them at the points of the
 * event stream they care about; they report through struct rt_report.
 */
#ifndef RT_DETECT_H
#define RT_DETECT_H

#include <linux/types.h>
#include "report/report.h"

enum rt_lock_kind {
	RT_LOCK_MUTEX = 1,
	RT_LOCK_RWLOCK,
	RT_LOCK_SPIN,
	RT_LOCK_GO_MUTEX, /* a Go sync.Mutex */
	RT_LOCK_GO_RWMUTEX, /* a Go sync.RWMutex */
};

enum rt_lock_mode {
	RT_MODE_EXCL = 0, /* mutex, spinlock, rwlock write */
	RT_MODE_SHARED,	  /* rwlock read */
};

const char *rt_lock_kind_name(enum rt_lock_kind k);

/* A lock a thread holds, in acquisition order. */
struct rt_held {
	__u64 lock;
	__u64 site; /* caller address of the acquisition */
	__u8 kind;  /* enum rt_lock_kind */
	__u8 mode;  /* enum rt_lock_mode */
};

/* Where an acquisition happens. */
struct rt_acq {
	__u32 pid;
	__u32 tid;
	__u64 ktime;
	__u64 lock;
	__u64 site;
	__u8 kind;
	__u8 mode;
};

/*
 * detect_lockorder.c: lockdep-style lock-order graph. An edge A -> B means "some thread
 * acquired B, blocking, while holding A"; an edge that closes a cycle that can deadlock is
 * reported (see the file's comment for read locks and gate locks).
 */
struct lockorder;
struct lockorder *lockorder__new(struct rt_report *report);
/* A blocking acquisition of a->lock while holding held[0..nheld). 0 or -ENOMEM. */
int lockorder__acquire(struct lockorder *lo, const struct rt_acq *a, const struct rt_held *held,
		       __u32 nheld);
/*
 * The Go lock at addr was unlocked by another goroutine than the one holding it: it is handed
 * over (a semaphore, a transaction's lock), so its holds say nothing about lock order. Its
 * edges leave the graph's searches from now on.
 */
int lockorder__handoff(struct lockorder *lo, __u64 addr, __u8 kind); /* 0, -ENOMEM */
/* The lock at addr ended (destroyed, freed): a lock there later is a new node. */
void lockorder__forget(struct lockorder *lo, __u64 addr);
__u64 lockorder__nodes(const struct lockorder *lo);
__u64 lockorder__edges(const struct lockorder *lo);
__u64 lockorder__resets(const struct lockorder *lo);
void lockorder__free(struct lockorder *lo);

#endif /* RT_DETECT_H */
