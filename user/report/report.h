/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The finding sink and its two output forms. The engine hands each finding (report/finding.h)
 * to rt_report__add(), which de-duplicates by id (same kind and code sites: one finding with a
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
#include "report/finding.h"

/* Totals for the final summary, filled by the caller (live run or replay). */
struct rt_summary {
	__u32 pid;
	__u64 events;
	__u64 lost;
	__u64 lost_by_reason[RT_DROP_MAX];
	__u32 threads;
	double duration_s;
	__u64 by_type[RT_EV_MAX];
	/* --races: the sampling's reach (docs/output.md) */
	bool races;
	__u32 race_sites;     /* memory-access sites of the program */
	__u32 race_watched;   /* of them, probed at a time */
	__u32 race_refused;   /* sites the kernel refused to probe */
	__u32 race_windows;   /* windows watched (rotations + 1) */
	__u64 race_accesses;  /* accesses checked */
	__u64 race_addrs;     /* distinct addresses (8-byte words) watched */
	__u64 race_suppressed; /* races matched by --suppressions */
	__u64 race_evicted;   /* shadow words forgotten at the cap */
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
struct rt_supp;

struct rt_report_opts {
	FILE *out;   /* where findings and the summary go */
	bool json;   /* JSON Lines instead of text blocks */
	FILE *text_out; /* optional: findings also as text blocks here (the daemon's journal) */
	bool reprint_new_pid; /* print a known finding again when another process has it */
	struct rt_symbolizer *sym;   /* optional: names for addresses */
	struct rt_unwinder *unwind;  /* optional: stacks for call sites */
	const struct rt_supp *supp;  /* optional: data races to drop (lib/supp.h) */
};

/*
 * A lock's name as a human would give it: a global or static symbol ("g_accounts_lock"), a
 * channel's make site, a field of a heap block ("mutex at +16 in a 64-byte heap block allocated
 * at account_new+0x1a (bank.c:40) by thread 3"), a thread's stack, or NULL when unknown. Only
 * the symbolizer and the unwinder are asked; what the engine knew is in lk. go: the finding is
 * a Go program's (its goroutine stacks live in the Go heap: no thread-stack guess).
 */
const char *rt_report__lock_name(const struct rt_report_opts *o, __u32 pid,
				 const struct rt_finding_lock *lk, bool go, char *buf, size_t len);

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
/*
 * Sightings of data races dropped by the suppressions (opts.supp): a matching finding is
 * neither printed nor counted in the summary's findings.
 */
__u64 rt_report__suppressed(const struct rt_report *r);
/* Whether a finding with this detector id was added already (its next add only counts). */
bool rt_report__has(const struct rt_report *r, __u64 id);
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

/* Format helpers shared by the text and JSON printers (text.c, json.c; report.c). */
void rt_report__json_finding(const struct rt_report_opts *o, const struct rt_finding *f,
			     __u64 count);
void rt_report__text_finding(const struct rt_report_opts *o, const struct rt_finding *f,
			     __u32 seq);
void rt_report__json_summary(const struct rt_report_opts *o, const struct rt_summary *s, const struct rt_finding *fs,
			     const __u64 *counts, __u32 n);
void rt_report__text_summary(const struct rt_report_opts *o, const struct rt_summary *s, const struct rt_finding *fs,
			     const __u64 *counts, __u32 n);

#endif /* RT_REPORT_H */
