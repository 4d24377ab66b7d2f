/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Vector clocks for the happens-before engine, named after the memory model as in TSan.
 *
 * A thread owns a growable clock (struct vc) indexed by slot id (sid). A sync object keeps a
 * release clock (struct sclock): in the common case one immutable, reference-counted snapshot
 * of the releasing thread's clock shared by every object it released since it last learned
 * something, plus an epoch (sid, clock) for the releaser's own component. So a release is O(1)
 * amortized, and an acquire is O(1) when the acquirer already knows the releaser's epoch
 * (FastTrack's check); only a real join costs O(threads). Objects released by several threads
 * (rwlock readers, condition variables, semaphores, futex words) own a full joined clock.
 *
 * Invariant the caller keeps: every operation that shows a thread's clock to others (a release
 * into an object, or a fork giving it to a child) is followed by vc_tick() of that thread, so
 * that each released epoch names exactly one state of the releaser's clock.
 */
#ifndef RT_VC_H
#define RT_VC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* immutable once published; freed when refs drops to 0 */
struct vc_snap {
	__u32 refs;
	__u32 n;
	__u32 clk[];
};

struct vc {
	__u32 *clk;
	__u32 n, cap;
	struct vc_snap *snap; /* cached snapshot of clk, NULL when clk changed since */
};

struct sclock {
	struct vc_snap *snap; /* shared snapshot, or NULL */
	__u32 *full;	      /* owned joined clock (accumulating objects), or NULL */
	__u32 nfull;
	__u32 sid, c;	      /* epoch on top of snap: clk[sid] >= c; c == 0: none */
};

/* Memory accounting for metrics and caps: bytes held by snapshots and full clocks. */
__u64 vc_mem_bytes(void);

void vc_init(struct vc *v);
void vc_free(struct vc *v);
__u32 vc_get(const struct vc *v, __u32 sid);
/* Set own component (used for ticks and slot reuse). 0 or -ENOMEM. */
int vc_set(struct vc *v, __u32 sid, __u32 c);
/* own clock++ (after a release). 0 or -ENOMEM. */
int vc_tick(struct vc *v, __u32 sid);
/* v = max(v, o). Returns 1 when v changed, 0 when not, -ENOMEM. */
int vc_join(struct vc *v, const struct vc *o);

void sclock_init(struct sclock *s);
void sclock_free(struct sclock *s);
/* s := thread's clock (a mutex or rwlock-writer unlock). 0 or -ENOMEM (s unchanged). */
int vc_release_store(struct vc *t, __u32 sid, struct sclock *s);
/* s := max(s, thread's clock) (reader unlock, signal, post, wake). 0 or -ENOMEM. */
int vc_release(struct vc *t, __u32 sid, struct sclock *s);
/* thread := max(thread, s). 1 when the thread's clock changed, 0 when not, -ENOMEM. */
int vc_acquire(struct vc *t, const struct sclock *s);
/* component sid of s */
__u32 sclock_get(const struct sclock *s, __u32 sid);

#endif /* RT_VC_H */
