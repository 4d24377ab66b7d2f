// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Human-readable report blocks in the spirit of ThreadSanitizer's WARNING blocks. */
#include <stdio.h>
#include <string.h>
#include "record/event.h"
#include "report/report.h"
#include "report/frames.h"
#include "sym/symbolize.h"
#include "sym/unwind.h"

#define RT_RULE "=================="

/*
 * the stack of a call site, one frame a line, as TSan prints them: one per function of each
 * pc's inline chain, the inlined ones marked "(inlined)"
 */
static void text_site(const struct rt_report_opts *o, __u32 pid, const char *indent, __u64 a)
{
	struct rt_report_frame fr[RT_REPORT_MAX_FRAMES];
	int n = rt_report__frames(o, pid, a, fr, RT_REPORT_MAX_FRAMES), i;

	for (i = 0; i < n; i++) {
		char buf[512];
		const char *s = fr[i].known ? rt_sym__format_frame(&fr[i].f, buf, sizeof(buf)) :
					      NULL;

		fprintf(o->out, "%s#%d 0x%llx%s%s\n", indent, i, (unsigned long long)fr[i].f.addr,
			s ? " " : "", s ? s : "");
	}
}

/*
 * TSan's closing line, "SUMMARY: racetrace: KIND file.c:LINE in function", naming the frame
 * of the first site in the program's own code (rt_report__own_frame())
 */
static void text_summary_line(const struct rt_report_opts *o, const struct rt_finding *f)
{
	struct rt_report_frame fr[RT_REPORT_MAX_FRAMES];
	const struct rt_frame *w;
	FILE *out = o->out;
	int n;

	fprintf(out, "\nSUMMARY: racetrace: %s", rt_kind_name(f->kind));
	if (!f->nsites) {
		fputc('\n', out);
		return;
	}
	n = rt_report__frames(o, f->pid, f->sites[0], fr, RT_REPORT_MAX_FRAMES);
	n = rt_report__own_frame(fr, n);
	w = &fr[n].f;
	if (fr[n].known && w->file[0] && w->line > 0)
		fprintf(out, " %s:%d in %s\n", w->file, w->line,
			w->function[0] ? w->function : "??");
	else if (fr[n].known && w->function[0] && !w->inlined)
		fprintf(out, " %s+0x%llx (%s)\n", w->function, (unsigned long long)w->offset,
			w->module);
	else if (fr[n].known && w->function[0])
		fprintf(out, " %s (%s)\n", w->function, w->module);
	else if (fr[n].known && w->module[0])
		fprintf(out, " %s+0x%llx\n", w->module, (unsigned long long)w->offset);
	else
		fprintf(out, " 0x%llx\n", (unsigned long long)f->sites[0]);
}

static int lock_index(const struct rt_finding *f, __u64 addr)
{
	__u32 i;

	for (i = 0; i < f->nlocks; i++)
		if (f->locks[i].addr == addr)
			return i + 1;
	return 0;
}

void rt_report__text_finding(const struct rt_report_opts *o, const struct rt_finding *f,
			     __u32 seq)
{
	bool goroutines = rt_finding_goroutines(f);
	const char *who = goroutines ? "goroutine " : "thread T";
	const char *Who = goroutines ? "Goroutine " : "Thread T";
	FILE *out = o->out;
	__u32 i;

	fprintf(out, "%s\nWARNING: racetrace: %s%s%s%s (pid=%u, finding #%u)\n", RT_RULE,
		rt_kind_name(f->kind), f->detail[0] ? " (" : "", f->detail,
		f->detail[0] ? ")" : "", f->pid, seq);
	fprintf(out, "  %s\n", f->message);
	if (f->kind == RT_K_LOCK_ORDER_INVERSION && f->nlocks) {
		fputs("  Cycle in lock order graph: ", out);
		for (i = 0; i < f->nlocks; i++)
			fprintf(out, "L%u (%s 0x%llx) => ", i + 1, f->locks[i].kind,
				(unsigned long long)f->locks[i].addr);
		fputs("L1\n", out);
	}
	for (i = 0; i < f->nlocks; i++) {
		char name[768];
		const char *n = rt_report__lock_name(o, f->pid, &f->locks[i],
						     rt_finding_goroutines(f), name, sizeof(name));

		if (n)
			fprintf(out, "  L%u is %s\n", i + 1, n);
	}
	for (i = 0; i < f->nedges; i++) {
		const struct rt_finding_edge *e = &f->edges[i];

		fprintf(out, "\n  L%d acquired here while holding L%d, in %s%u:\n",
			lock_index(f, e->to), lock_index(f, e->from), who, e->tid);
		text_site(o, f->pid, "    ", e->acquire_site);
		fprintf(out, "  L%d previously acquired by the same %s here:\n",
			lock_index(f, e->from), goroutines ? "goroutine" : "thread");
		text_site(o, f->pid, "    ", e->held_site);
	}
	for (i = 0; i < f->nthreads; i++) {
		const struct rt_finding_thread *ti = &f->thread_info[i];

		if (!ti->known)
			continue;
		fprintf(out, "\n  %s%u '%s'", Who, f->threads[i], ti->name);
		if (ti->nstid && ti->nstid != f->threads[i])
			fprintf(out, " (tid %u in its pid namespace)", ti->nstid);
		if (ti->create_site) {
			fprintf(out, " created by %s%u at:\n", who, ti->parent);
			text_site(o, f->pid, "    ", ti->create_site);
		} else {
			fputs(ti->parent ? "" : " (running when racetrace attached)\n", out);
			if (ti->parent)
				fprintf(out, " created by %s%u\n", who, ti->parent);
		}
	}
	if (!f->nedges && f->nsites) {
		fputs("\n  at:\n", out);
		text_site(o, f->pid, "    ", f->sites[0]);
		for (i = 1; i < f->nsites; i++) {
			fputs("  and:\n", out);
			text_site(o, f->pid, "    ", f->sites[i]);
		}
	}
	text_summary_line(o, f);
	fprintf(out, "%s\n", RT_RULE);
}

/* The modules printed frames had no function name in, as "a, b" (truncated to fit). */
struct unsym_list {
	char names[256];
	size_t len;
	bool glibc; /* one of them is glibc's: its debug info is libc6-dbg */
};

static int unsym_add(void *ctx, const char *name)
{
	struct unsym_list *l = ctx;
	int n;

	if (rt_report__glibc(name))
		l->glibc = true;
	n = snprintf(l->names + l->len, sizeof(l->names) - l->len, "%s%s", l->len ? ", " : "",
		     name);
	if (n < 0 || (size_t)n >= sizeof(l->names) - l->len) {
		snprintf(l->names + sizeof(l->names) - 5, 5, "...");
		return 1;
	}
	l->len += n;
	return 0;
}

void rt_report__text_summary(const struct rt_report_opts *o, const struct rt_summary *s,
			     const struct rt_finding *fs, const __u64 *counts, __u32 n)
{
	struct unsym_list l = { .len = 0 };
	FILE *out = o->out;
	__u32 i;

	fprintf(out, "racetrace: pid %u: %llu events from %u threads in %.1f s, %llu lost", s->pid,
		(unsigned long long)s->events, s->threads, s->duration_s,
		(unsigned long long)s->lost);
	if (s->lost)
		fprintf(out, " (ring buffer full: %llu, return without entry: %llu)",
			(unsigned long long)s->lost_by_reason[RT_DROP_RINGBUF],
			(unsigned long long)s->lost_by_reason[RT_DROP_STASH]);
	if (s->races)
		fprintf(out,
			"\nracetrace: races: %u of %u memory-access sites watched at a time (%u "
			"windows, %u refused), %llu accesses (%.1f/s) to %llu addresses (%.1f/min), "
			"%llu suppressed",
			s->race_watched, s->race_sites, s->race_windows, s->race_refused,
			(unsigned long long)s->race_accesses,
			s->duration_s > 0 ? s->race_accesses / s->duration_s : 0.0,
			(unsigned long long)s->race_addrs,
			s->duration_s > 0 ? s->race_addrs * 60.0 / s->duration_s : 0.0,
			(unsigned long long)s->race_suppressed);
	fprintf(out, "\nracetrace: reported %u finding%s\n", n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++)
		fprintf(out, "  #%u %s seen %llu time%s\n", i + 1, rt_kind_name(fs[i].kind),
			(unsigned long long)counts[i], counts[i] == 1 ? "" : "s");
	rt_sym__foreach_unsymbolized(o->sym, unsym_add, &l);
	if (l.names[0])
		fprintf(out,
			"racetrace: frames in %s have no function names: install their debug "
			"info%s, or set DEBUGINFOD_URLS to fetch it by build-id\n",
			l.names, l.glibc ? " (glibc's: apt install libc6-dbg)" : "");
}
