// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Human-readable report blocks in the spirit of ThreadSanitizer's WARNING blocks. */
#include <stdio.h>
#include <string.h>
#include "record/event.h"
#include "report/report.h"
#include "sym/symbolize.h"
#include "sym/unwind.h"

#define RT_RULE "=================="

/* the stack of a call site, one frame a line, as TSan prints them */
static void text_site(const struct rt_report_opts *o, __u32 pid, const char *indent, __u64 a)
{
	__u64 pcs[RT_MAX_FRAMES];
	int n = rt_report__stack(o, pid, a, pcs, RT_MAX_FRAMES), i;

	for (i = 0; i < n; i++) {
		char buf[512];
		const char *s = rt_report__sym(o, pid, pcs[i], buf, sizeof(buf));

		fprintf(o->out, "%s#%d 0x%llx%s%s\n", indent, i, (unsigned long long)pcs[i],
			s ? " " : "", s ? s : "");
	}
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
		const char *n = rt_report__lock_name(o, f->pid, &f->locks[i], name, sizeof(name));

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
	/* TSan's closing line: "SUMMARY: racetrace: KIND file.c:LINE in function" */
	fprintf(out, "\nSUMMARY: racetrace: %s", rt_kind_name(f->kind));
	if (f->nsites) {
		struct rt_frame fr;

		if (o->sym && !rt_sym__frame(o->sym, f->pid, f->sites[0], &fr) && fr.file[0] &&
		    fr.line > 0)
			fprintf(out, " %s:%d in %s\n", fr.file, fr.line,
				fr.function[0] ? fr.function : "??");
		else if (o->sym && fr.function[0])
			fprintf(out, " %s+0x%llx (%s)\n", fr.function,
				(unsigned long long)fr.offset, fr.module);
		else if (o->sym && fr.module[0])
			fprintf(out, " %s+0x%llx\n", fr.module, (unsigned long long)fr.offset);
		else
			fprintf(out, " 0x%llx\n", (unsigned long long)f->sites[0]);
	} else {
		fputc('\n', out);
	}
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
	static const char *const glibc[] = { "libc.so.", "ld-linux", "libpthread.so.", "libm.so.",
					     "libdl.so.", "librt.so." };
	struct unsym_list *l = ctx;
	size_t i;
	int n;

	for (i = 0; i < sizeof(glibc) / sizeof(glibc[0]); i++)
		if (!strncmp(name, glibc[i], strlen(glibc[i])))
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
