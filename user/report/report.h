/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Findings and their two output forms. Detectors fill a struct rt_finding and hand it to
 * rt_report__add(), which de-duplicates by id (same kind and code sites: one finding with a
 * count), prints a new finding at once (text blocks or JSON Lines), and prints the summary at
 * the end. docs/output.md is the contract for both forms.
 */
#ifndef RT_REPORT_H
#define RT_REPORT_H

#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "events.h"

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
	RT_K_MAX,
};

#define RT_FINDING_MAX 16 /* threads, locks and edges per finding */
#define RT_MSG_LEN 256

struct rt_finding_lock {
	__u64 addr;
	char kind[16]; /* "mutex", "rwlock", "spinlock" */
};

/* "thread tid acquired `to` at acquire_site while holding `from`, taken at held_site" */
struct rt_finding_edge {
	__u64 from;
	__u64 to;
	__u32 tid;
	__u8 held_mode;	   /* 0 exclusive (write), 1 shared (read) */
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
	__u64 id; /* set by the detector: hash of kind and code sites */
	__u32 nthreads;
	__u32 threads[RT_FINDING_MAX];
	__u32 nlocks;
	struct rt_finding_lock locks[RT_FINDING_MAX];
	__u32 nsites;
	__u64 sites[2 * RT_FINDING_MAX];
	__u32 nedges;
	struct rt_finding_edge edges[RT_FINDING_MAX];
	char message[RT_MSG_LEN];
};

/* Totals for the final summary, filled by the caller (live run or replay). */
struct rt_summary {
	__u32 pid;
	__u64 events;
	__u64 lost;
	__u64 lost_by_reason[RT_DROP_MAX];
	__u32 threads;
	double duration_s;
	__u64 by_type[RT_EV_MAX];
};

/*
 * Of the drop counters, the events lost: records the engine never saw (stack samples and exec
 * records are not events).
 */
static inline __u64 rt_drops_lost(const __u64 drops[RT_DROP_MAX])
{
	return drops[RT_DROP_RINGBUF] + drops[RT_DROP_STASH];
}

struct rt_symbolizer;
struct rt_unwinder;
struct rt_report;
struct hb;

struct rt_report_opts {
	FILE *out;   /* where findings and the summary go */
	bool json;   /* JSON Lines instead of text blocks */
	FILE *text_out; /* optional: findings also as text blocks here (the daemon's journal) */
	bool reprint_new_pid; /* print a known finding again when another process has it */
	struct rt_symbolizer *sym;   /* optional: names for addresses */
	struct rt_unwinder *unwind;  /* optional: stacks for call sites */
	const struct hb *hb;	     /* optional: thread names, heap blocks (set after hb__new) */
};

/*
 * A lock's name as a human would give it: a global or static symbol ("g_accounts_lock"), a
 * field of a heap block ("mutex at +16 in a 64-byte heap block allocated at account_new+0x1a
 * (bank.c:40) by thread 3"), or NULL when unknown.
 */
const char *rt_report__lock_name(const struct rt_report_opts *o, __u32 pid, __u64 addr,
				 const char *kind, char *buf, size_t len);
/* Set the engine once it exists (the engine needs the report first). */
void rt_report__set_hb(struct rt_report *r, const struct hb *hb);

/* Stack of a call site: the site, then its callers; at least the site itself. */
int rt_report__stack(const struct rt_report_opts *o, __u32 pid, __u64 site, __u64 *pcs, int max);
/* "function+0x12 (file.c:34)", "module+0x1234", or NULL when nothing is known. */
const char *rt_report__sym(const struct rt_report_opts *o, __u32 pid, __u64 addr, char *buf,
			   size_t len);

struct rt_report;

struct rt_report *rt_report__new(const struct rt_report_opts *opts);
/*
 * Add a finding: a new id is printed at once; a known id only increments its count.
 * Returns 1 if new, 0 if a repeat, -ENOMEM.
 */
int rt_report__add(struct rt_report *r, const struct rt_finding *f);
/* One more sighting of a known finding (no output until the summary). */
void rt_report__bump(struct rt_report *r, __u64 id);
/* Distinct findings so far per kind (counts[RT_K_MAX]). */
void rt_report__kind_counts(const struct rt_report *r, __u64 *counts);
/* Send findings and the summary to out from now on (a reopened file). */
void rt_report__set_out(struct rt_report *r, FILE *out);
/* Number of distinct findings so far. */
__u32 rt_report__count(const struct rt_report *r);
/* Print the summary (with each finding's final count); call once at the end. */
void rt_report__summary(struct rt_report *r, const struct rt_summary *s);
void rt_report__free(struct rt_report *r);

const char *rt_kind_name(enum rt_kind k);

/* Whether f's threads are goroutine ids: a Go kind, or a finding over Go locks. */
bool rt_finding_goroutines(const struct rt_finding *f);

/* Format helpers shared by report_text.c and report_json.c (report.c). */
void rt_report__json_finding(const struct rt_report_opts *o, const struct rt_finding *f,
			     __u64 count);
void rt_report__text_finding(const struct rt_report_opts *o, const struct rt_finding *f,
			     __u32 seq);
void rt_report__json_summary(const struct rt_report_opts *o, const struct rt_summary *s, const struct rt_finding *fs,
			     const __u64 *counts, __u32 n);
void rt_report__text_summary(const struct rt_report_opts *o, const struct rt_summary *s, const struct rt_finding *fs,
			     const __u64 *counts, __u32 n);

#endif /* RT_REPORT_H */
