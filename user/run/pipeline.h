/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The analysis half that every mode shares (live, replay, daemon): a symbolizer and an unwinder
 * for the printers, the finding sink, and engines with every detector of the registry. The
 * modes differ only in where records come from; they all feed an engine through
 * hb__event() and mark time with tick records (rt_pipeline__tick_event()).
 */
#ifndef RT_PIPELINE_H
#define RT_PIPELINE_H

#include <stdbool.h>
#include <linux/types.h>
#include "engine/hb.h"
#include "report/report.h"

struct rt_symbolizer;
struct rt_unwinder;

struct rt_pipeline {
	struct rt_symbolizer *sym;
	struct rt_unwinder *unwind;
	struct rt_report *report;
	double hang_threshold_s;
};

/*
 * Make the symbolizer, the unwinder and the sink (ropts: where and how findings are printed;
 * its symbolizer and unwinder are set here unless no_symbolize). 0, or -ENOMEM with nothing
 * left to free.
 */
int rt_pipeline__init(struct rt_pipeline *p, struct rt_report_opts ropts, bool no_symbolize,
		      double hang_threshold_s);
/* An engine reporting into the sink, with every detector registered. NULL with errno set. */
struct hb *rt_pipeline__engine(struct rt_pipeline *p);
/*
 * Fill e with a tick record for pid: time passed (now_ns, CLOCK_MONOTONIC) and the events lost
 * so far. The engine decides what depends on time, and settles held findings, only at ticks.
 */
void rt_pipeline__tick_event(struct rt_event *e, __u32 pid, __u64 now_ns, __u64 lost);
/*
 * What the records do not say and the engine must not ask: the classes of Go call sites
 * (rt_event_mark_go_site), from the symbolizer. Returns e, or tmp holding e marked.
 */
const struct rt_event *rt_pipeline__mark(struct rt_pipeline *p, const struct rt_event *e,
					 struct rt_event *tmp);
void rt_pipeline__fini(struct rt_pipeline *p);

#endif /* RT_PIPELINE_H */
