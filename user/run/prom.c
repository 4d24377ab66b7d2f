// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * prom.h: the Prometheus text exposition of the daemon's metrics. Every help text and label is
 * here; the lock histograms take each target's RT_PROM_TOP_LOCKS locks with the longest total
 * wait, so the number of series stays bounded whatever the target does.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run/prom.h"
#include "detect/registry.h"
#include "run/cli.h"
#include "record/event.h"
#include "report/report.h"
#include "engine/vc.h"

#define RT_PROM_TOP_LOCKS 10

struct lock_top {
	struct hb_lock_stat s[RT_PROM_TOP_LOCKS];
	__u32 n;
};

static int collect_lock(void *ctx, const struct hb_lock_stat *s)
{
	struct lock_top *top = ctx;
	__u32 i, worst = 0;

	if (top->n < RT_PROM_TOP_LOCKS) {
		top->s[top->n++] = *s;
		return 0;
	}
	for (i = 1; i < top->n; i++)
		if (top->s[i].wait_sum < top->s[worst].wait_sum)
			worst = i;
	if (s->wait_sum > top->s[worst].wait_sum)
		top->s[worst] = *s;
	return 0;
}

static void histogram(struct rt_mbuf *b, const char *name, const char *lock, __u32 pid,
		      const __u64 *buckets, __u64 count, double sum)
{
	__u64 cum = 0;
	int i;

	for (i = 0; i <= RT_LOCK_NBUCKETS; i++) {
		cum += buckets[i];
		rt_mbuf_printf(b, "%s_bucket{pid=\"%u\",lock=\"", name, pid);
		rt_mbuf_label(b, lock);
		if (i < RT_LOCK_NBUCKETS)
			rt_mbuf_printf(b, "\",le=\"%g\"} %llu\n", rt_lock_buckets[i],
				       (unsigned long long)cum);
		else
			rt_mbuf_printf(b, "\",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	}
	rt_mbuf_printf(b, "%s_sum{pid=\"%u\",lock=\"", name, pid);
	rt_mbuf_label(b, lock);
	rt_mbuf_printf(b, "\"} %.9f\n%s_count{pid=\"%u\",lock=\"", sum, name, pid);
	rt_mbuf_label(b, lock);
	rt_mbuf_printf(b, "\"} %llu\n", (unsigned long long)count);
}

#define EVICTIONS "racetrace_engine_evictions_total"

/*
 * racetrace_engine_evictions_total's lines: the engine's tables, then those the detectors
 * declare (hb_detector.counters), a table named twice (by the engine or several detectors)
 * summed into one line.
 */
static void evictions(struct rt_mbuf *b, const struct hb_counters *c)
{
	const struct {
		const char *table;
		__u64 n;
	} engine[] = {
		{ "locks", c->locks_evicted },
		{ "heap_blocks", c->blocks_evicted },
		{ "sync_clocks", c->syncs_evicted },
		{ "exited_threads", c->dead_threads_evicted },
		{ "clock_slots", c->slots_reused },
		{ "suppressed_after_loss", c->suppressed_lossy },
		{ "atomic_locations", c->atomics_evicted },
	};
	const struct hb_det_counter *dc;
	size_t i, j, k, l;

	for (i = 0; i < sizeof(engine) / sizeof(engine[0]); i++)
		rt_mbuf_printf(b, EVICTIONS "{table=\"%s\"} %llu\n", engine[i].table,
			       (unsigned long long)(engine[i].n +
						    rt_detectors_counter(c, EVICTIONS,
									 engine[i].table)));
	/* the detectors' own tables, each once, where it is first declared */
	for (i = 0; i < HB_MAX_DETECTORS && rt_detectors[i]; i++) {
		for (j = 0; j < HB_DET_COUNTERS_MAX && (dc = rt_detectors[i]->counters) &&
			    dc[j].metric;
		     j++) {
			bool seen = !dc[j].table || strcmp(dc[j].metric, EVICTIONS);

			for (k = 0; !seen && k < sizeof(engine) / sizeof(engine[0]); k++)
				seen = !strcmp(engine[k].table, dc[j].table);
			for (k = 0; !seen && k <= i; k++)
				for (l = 0; !seen && l < (k == i ? j : HB_DET_COUNTERS_MAX) &&
					    rt_detectors[k]->counters &&
					    rt_detectors[k]->counters[l].metric;
				     l++)
					seen = rt_detectors[k]->counters[l].table &&
					       !strcmp(rt_detectors[k]->counters[l].metric,
						       EVICTIONS) &&
					       !strcmp(rt_detectors[k]->counters[l].table,
						       dc[j].table);
			if (!seen)
				rt_mbuf_printf(b, EVICTIONS "{table=\"%s\"} %llu\n", dc[j].table,
					       (unsigned long long)rt_detectors_counter(
						       c, EVICTIONS, dc[j].table));
		}
	}
}

/*
 * The families a detector declares alone (a counter without a table): header and value, once
 * per family (a family two detectors declare is their sum).
 */
static void detector_families(struct rt_mbuf *b, const struct hb_counters *c)
{
	const struct hb_det_counter *dc;
	size_t i, j, k, l;

	for (i = 0; i < HB_MAX_DETECTORS && rt_detectors[i]; i++)
		for (j = 0; j < HB_DET_COUNTERS_MAX && (dc = rt_detectors[i]->counters) &&
			    dc[j].metric;
		     j++) {
			bool seen = dc[j].table != NULL;

			for (k = 0; !seen && k < i; k++)
				for (l = 0; !seen && l < HB_DET_COUNTERS_MAX &&
					    rt_detectors[k]->counters &&
					    rt_detectors[k]->counters[l].metric;
				     l++)
					seen = !rt_detectors[k]->counters[l].table &&
					       !strcmp(rt_detectors[k]->counters[l].metric,
						       dc[j].metric);
			if (seen)
				continue;
			rt_mbuf_header(b, dc[j].metric, "counter", dc[j].help ? dc[j].help : "");
			rt_mbuf_printf(b, "%s %llu\n", dc[j].metric,
				       (unsigned long long)rt_detectors_counter(c, dc[j].metric, NULL));
		}
}

void rt_prom__render(struct rt_mbuf *b, const struct rt_prom *p)
{
	struct rt_report_opts ro = { .sym = p->sym, .unwind = p->unwind };
	const struct hb_counters *c = &p->counters; /* exited targets' included */
	struct lock_top *top;
	__u64 findings[RT_K_MAX] = { 0 };
	__u32 i, k, t;

	top = calloc(p->ntargets ? p->ntargets : 1, sizeof(*top));
	if (!top) {
		b->err = -ENOMEM;
		return;
	}
	rt_report__kind_counts(p->report, findings);
	rt_mbuf_header(b, "racetrace_build_info", "gauge", "racetrace version.");
	rt_mbuf_printf(b, "racetrace_build_info{version=\"%s\",events_abi=\"%d\"} 1\n",
		       RT_VERSION, RT_EVENTS_ABI);
	rt_mbuf_header(b, "racetrace_attached_processes", "gauge",
		       "Processes racetrace traces now.");
	rt_mbuf_printf(b, "racetrace_attached_processes %u\n", p->ntargets);
	rt_mbuf_header(b, "racetrace_events_total", "counter",
		       "Events received, by traced process and event type.");
	for (i = 0; i < p->ntargets; i++)
		for (k = 1; k < RT_EV_MAX; k++)
			if (p->targets[i].by_type[k])
				rt_mbuf_printf(b, "racetrace_events_total{pid=\"%d\",type=\"%s\"} %llu\n",
					       p->targets[i].pid, rt_event_name(k),
					       (unsigned long long)p->targets[i].by_type[k]);
	rt_mbuf_header(b, "racetrace_events_lost_total", "counter",
		       "Events the kernel side could not deliver (ring buffer full, return "
		       "without entry).");
	rt_mbuf_printf(b, "racetrace_events_lost_total %llu\n", (unsigned long long)p->lost);
	rt_mbuf_header(b, "racetrace_findings_total", "counter",
		       "Distinct findings reported, by kind.");
	for (k = 0; k < RT_K_MAX; k++)
		rt_mbuf_printf(b, "racetrace_findings_total{kind=\"%s\"} %llu\n", rt_kind_name(k),
			       (unsigned long long)findings[k]);
	rt_mbuf_header(b, "racetrace_engine_memory_bytes", "gauge",
		       "Resident memory of racetrace (engine state, symbol caches).");
	rt_mbuf_printf(b, "racetrace_engine_memory_bytes %llu\n",
		       (unsigned long long)p->memory_bytes);
	rt_mbuf_header(b, "racetrace_vector_clock_bytes", "gauge",
		       "Memory held by vector clocks.");
	rt_mbuf_printf(b, "racetrace_vector_clock_bytes %llu\n",
		       (unsigned long long)vc_mem_bytes());
	rt_mbuf_header(b, "racetrace_engine_evictions_total", "counter",
		       "State the engine dropped at a table's cap, or checks it skipped after lost "
		       "events, by table.");
	evictions(b, c);
	rt_mbuf_header(b, "racetrace_race_accesses_total", "counter",
		       "Memory accesses checked by the data-race detector (--races).");
	rt_mbuf_printf(b, "racetrace_race_accesses_total %llu\n",
		       (unsigned long long)c->race_mem_accesses);
	detector_families(b, c);
	rt_mbuf_header(b, "racetrace_go_unlocks_missed_total", "counter",
		       "Go unlocks the probes did not see (an inlined Unlock that could not "
		       "be probed), found when the lock was next taken.");
	rt_mbuf_printf(b, "racetrace_go_unlocks_missed_total %llu\n",
		       (unsigned long long)c->go_unlocks_missed);
	rt_mbuf_header(b, "racetrace_overhead_ratio", "gauge",
		       "Estimated share of the target's CPU time spent in racetrace's probes.");
	for (i = 0; i < p->ntargets; i++)
		rt_mbuf_printf(b, "racetrace_overhead_ratio{pid=\"%d\"} %.6f\n",
			       p->targets[i].pid, p->targets[i].overhead);
	rt_mbuf_header(b, "racetrace_governor_level", "gauge",
		       "Budget governor level per target: 0 full, 1 no allocator probes, 2 "
		       "futex contention and deadlocks only, 3 paused.");
	for (i = 0; i < p->ntargets; i++)
		rt_mbuf_printf(b, "racetrace_governor_level{pid=\"%d\"} %d\n",
			       p->targets[i].pid, p->targets[i].level);
	rt_mbuf_header(b, "racetrace_governor_degradations_total", "counter",
		       "Times the governor shed probes because a target was over budget.");
	rt_mbuf_printf(b, "racetrace_governor_degradations_total %llu\n",
		       (unsigned long long)p->degradations);
	/* the most contended locks of each target, named as in reports: bounded cardinality */
	for (t = 0; t < p->ntargets; t++) {
		top[t].n = 0;
		hb__lock_stats(p->targets[t].hb, collect_lock, &top[t]);
	}
	for (k = 0; k < 2; k++) {
		const char *name = k ? "racetrace_lock_hold_seconds" : "racetrace_lock_wait_seconds";

		rt_mbuf_header(b, name, "histogram",
			       k ? "How long contended locks are held." :
				   "How long threads wait for contended locks in the kernel.");
		for (t = 0; t < p->ntargets; t++) {
			for (i = 0; i < top[t].n; i++) {
				const struct hb_lock_stat *s = &top[t].s[i];
				struct rt_finding_lock lk = { .addr = s->addr };
				char label[768];
				const char *n;

				snprintf(lk.kind, sizeof(lk.kind), "%s", rt_lock_kind_name(s->kind));
				hb__describe_lock(p->targets[t].hb, &lk);
				n = rt_report__lock_name(&ro, s->pid, &lk, false, label,
							 sizeof(label));

				if (!n) {
					snprintf(label, sizeof(label), "%s 0x%llx",
						 rt_lock_kind_name(s->kind),
						 (unsigned long long)s->addr);
					n = label;
				}
				if (k)
					histogram(b, name, n, s->pid, s->hold, s->hold_count,
						  s->hold_sum);
				else
					histogram(b, name, n, s->pid, s->wait, s->wait_count,
						  s->wait_sum);
			}
		}
	}
	free(top);
}
