/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The engine: takes checked records in stream order, keeps per-thread state (held locks) and
 * per-object state, and calls the detectors (detect.h) that report into a struct rt_report.
 * Pure C: no libbpf, no clock reads, no randomness, so a replayed trace gives byte-identical
 * findings. The happens-before partial order (vector clocks) is built here too.
 */
#ifndef RT_HB_H
#define RT_HB_H

#include <linux/types.h>
#include "events.h"
#include "report.h"

struct hb_opts {
	struct rt_report *report; /* where detectors send findings; required */
};

struct hb_stats {
	__u64 events;
	__u64 by_type[RT_EV_MAX];
	__u32 threads;	 /* distinct threads seen */
	__u64 locks;	 /* lock instances in the lock-order graph */
	__u64 lock_edges;
};

struct hb;

/* NULL with errno set on failure. */
struct hb *hb__new(const struct hb_opts *opts);
/* Feed one record (already checked by rt_event_decode). 0, or -ENOMEM. */
int hb__event(struct hb *hb, const struct rt_event *e);
void hb__stats(const struct hb *hb, struct hb_stats *st);
void hb__free(struct hb *hb);

#endif /* RT_HB_H */
