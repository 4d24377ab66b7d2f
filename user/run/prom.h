/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's Prometheus exposition: the text of every racetrace_* metric, rendered from what
 * the daemon hands over (its counters, and per target the events by type, the governor's level,
 * the overhead estimate and the engine), with each target's most contended locks named as in
 * reports. Serving the text is metrics.h's; the targets and their governor are daemon.c's.
 */
#ifndef RT_PROM_H
#define RT_PROM_H

#include <sys/types.h>
#include <linux/types.h>
#include "engine/hb.h"
#include "run/metrics.h"

struct rt_symbolizer;
struct rt_unwinder;

/* One traced process. */
struct rt_prom_target {
	pid_t pid;
	const struct hb *hb;   /* its engine: lock statistics, and what it knows of each lock */
	const __u64 *by_type;  /* events received, by type: RT_EV_MAX counts */
	double overhead;       /* estimated share of its CPU time spent in the probes */
	int level;	       /* the governor's level: 0 full .. 3 paused */
};

struct rt_prom {
	const struct rt_prom_target *targets;
	__u32 ntargets;
	const struct rt_report *report; /* findings by kind */
	struct rt_symbolizer *sym;	/* lock names, as reports give them */
	struct rt_unwinder *unwind;
	struct hb_counters counters;	/* summed over every engine, exited targets' included */
	__u64 lost;			/* events the kernel side could not deliver */
	__u64 memory_bytes;		/* racetrace's resident memory */
	__u64 degradations;		/* times the governor shed probes */
};

/* Append the exposition of p to b. On failure b->err is set (rt_mbuf). */
void rt_prom__render(struct rt_mbuf *b, const struct rt_prom *p);

#endif /* RT_PROM_H */
