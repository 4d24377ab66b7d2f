// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* JSON Lines output: one object per finding, then one summary object (docs/output.md). */
#include <stdio.h>
#include "record/event.h"
#include "report/report.h"
#include "report/frames.h"
#include "sym/symbolize.h"
#include "sym/unwind.h"

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void json_addr(FILE *out, __u64 a)
{
	fprintf(out, "\"0x%llx\"", (unsigned long long)a);
}

/*
 * the stack of a call site: [{addr, module, function, offset, file, line}, ...], one frame per
 * function of each pc's inline chain, innermost first; inlined ones add "inlined":true
 */
static void json_stack(const struct rt_report_opts *o, __u32 pid, __u64 site)
{
	struct rt_report_frame fr[RT_REPORT_MAX_FRAMES];
	int n = rt_report__frames(o, pid, site, fr, RT_REPORT_MAX_FRAMES), i;
	FILE *out = o->out;

	fputc('[', out);
	for (i = 0; i < n; i++) {
		const struct rt_frame f = fr[i].f;

		fputs(i ? ",{\"addr\":" : "{\"addr\":", out);
		json_addr(out, f.addr);
		if (fr[i].known) {
			fputs(",\"module\":", out);
			json_str(out, f.module);
			fputs(",\"function\":", out);
			if (f.function[0])
				json_str(out, f.function);
			else
				fputs("null", out);
			fprintf(out, ",\"offset\":%llu,\"file\":", (unsigned long long)f.offset);
			if (f.file[0])
				json_str(out, f.file);
			else
				fputs("null", out);
			fprintf(out, ",\"line\":%d", f.line);
			if (f.deleted)
				fputs(",\"deleted\":true", out);
			if (f.inlined)
				fputs(",\"inlined\":true", out);
		} else {
			fputs(",\"module\":null,\"function\":null,\"offset\":0,\"file\":null,"
			      "\"line\":0", out);
		}
		fputc('}', out);
	}
	fputc(']', out);
}

/* a code site: "0x..." plus, when symbolized, a parallel "sym" string and its stack */
static void json_site(const struct rt_report_opts *o, __u32 pid, __u64 a)
{
	__u64 named = rt_report__site(o, pid, a);
	char buf[512];
	const char *s = rt_report__sym(o, pid, named, buf, sizeof(buf));

	fputs("{\"addr\":", o->out);
	json_addr(o->out, named);
	fputs(",\"sym\":", o->out);
	if (s)
		json_str(o->out, s);
	else
		fputs("null", o->out);
	fputs(",\"stack\":", o->out);
	json_stack(o, pid, a);
	fputc('}', o->out);
}

void rt_report__json_finding(const struct rt_report_opts *o, const struct rt_finding *f,
			     __u64 count)
{
	FILE *out = o->out;
	__u32 i;

	fputs("{\"kind\":", out);
	json_str(out, rt_kind_name(f->kind));
	if (f->detail[0]) {
		fputs(",\"detail\":", out);
		json_str(out, f->detail);
	}
	fprintf(out, ",\"id\":\"%016llx\",\"pid\":%u,\"threads\":[", (unsigned long long)f->id,
		f->pid);
	for (i = 0; i < f->nthreads; i++)
		fprintf(out, "%s%u", i ? "," : "", f->threads[i]);
	fputs("],\"thread_info\":[", out);
	for (i = 0; i < f->nthreads; i++) {
		const struct rt_finding_thread *ti = &f->thread_info[i];

		fprintf(out, "%s{\"tid\":%u", i ? "," : "", f->threads[i]);
		/* only where it differs: a target in a pid namespace of its own (a container) */
		if (ti->known && ti->nstid && ti->nstid != f->threads[i])
			fprintf(out, ",\"nstid\":%u", ti->nstid);
		if (ti->known) {
			fputs(",\"name\":", out);
			json_str(out, ti->name);
			fprintf(out, ",\"parent\":%u,\"created_at\":", ti->parent);
			if (ti->create_site)
				json_site(o, f->pid, ti->create_site);
			else
				fputs("null", out);
		}
		fputc('}', out);
	}
	fputs("],\"locks\":[", out);
	for (i = 0; i < f->nlocks; i++) {
		char name[768];
		const char *n = rt_report__lock_name(o, f->pid, &f->locks[i],
						     rt_finding_goroutines(f), name, sizeof(name));

		fputs(i ? ",{\"addr\":" : "{\"addr\":", out);
		json_addr(out, f->locks[i].addr);
		fputs(",\"type\":", out);
		json_str(out, f->locks[i].kind);
		fputs(",\"name\":", out);
		if (n)
			json_str(out, n);
		else
			fputs("null", out);
		fputc('}', out);
	}
	fputs("],\"sites\":[", out);
	for (i = 0; i < f->nsites; i++) {
		if (i)
			fputc(',', out);
		json_addr(out, rt_report__site(o, f->pid, f->sites[i]));
	}
	fputs("],\"stacks\":[", out);
	for (i = 0; i < f->nsites; i++) {
		if (i)
			fputc(',', out);
		json_stack(o, f->pid, f->sites[i]);
	}
	fputs("],\"edges\":[", out);
	for (i = 0; i < f->nedges; i++) {
		const struct rt_finding_edge *e = &f->edges[i];

		fputs(i ? ",{\"from\":" : "{\"from\":", out);
		json_addr(out, e->from);
		fputs(",\"to\":", out);
		json_addr(out, e->to);
		fprintf(out, ",\"tid\":%u,\"held_mode\":\"%s\",\"acquire_mode\":\"%s\",\"held_site\":",
			e->tid, e->held_mode ? "shared" : "exclusive",
			e->acquire_mode ? "shared" : "exclusive");
		json_site(o, f->pid, e->held_site);
		fputs(",\"acquire_site\":", out);
		json_site(o, f->pid, e->acquire_site);
		fputc('}', out);
	}
	fprintf(out, "],\"count\":%llu,\"message\":", (unsigned long long)count);
	json_str(out, f->message);
	fputs("}\n", out);
}

struct unsym_json {
	FILE *out;
	bool first;
};

static int unsym_json_add(void *ctx, const char *name)
{
	struct unsym_json *u = ctx;

	fputs(u->first ? ",\"unsymbolized\":[" : ",", u->out);
	json_str(u->out, name);
	u->first = false;
	return 0;
}

void rt_report__json_summary(const struct rt_report_opts *o, const struct rt_summary *s,
			     const struct rt_finding *fs, const __u64 *counts, __u32 n)
{
	struct unsym_json u = { .out = o->out, .first = true };
	FILE *out = o->out;
	unsigned int t;
	__u32 i;
	int first = 1;

	fprintf(out,
		"{\"kind\":\"summary\",\"pid\":%u,\"events\":%llu,\"lost\":%llu,"
		"\"lost_by_reason\":{\"ringbuf_full\":%llu,\"no_entry\":%llu},"
		"\"threads\":%u,\"duration_s\":%.3f,\"findings\":%u,\"events_by_type\":{",
		s->pid, (unsigned long long)s->events, (unsigned long long)s->lost,
		(unsigned long long)s->lost_by_reason[RT_DROP_RINGBUF],
		(unsigned long long)s->lost_by_reason[RT_DROP_STASH], s->threads, s->duration_s,
		n);
	for (t = 1; t < RT_EV_MAX; t++) {
		if (!s->by_type[t])
			continue;
		fprintf(out, "%s\"%s\":%llu", first ? "" : ",", rt_event_name(t),
			(unsigned long long)s->by_type[t]);
		first = 0;
	}
	fputs("},\"counts\":{", out);
	for (i = 0; i < n; i++)
		fprintf(out, "%s\"%016llx\":%llu", i ? "," : "", (unsigned long long)fs[i].id,
			(unsigned long long)counts[i]);
	fputc('}', out);
	if (s->races)
		fprintf(out,
			",\"races\":{\"sites\":%u,\"watched\":%u,\"refused\":%u,\"windows\":%u,"
			"\"accesses\":%llu,\"addresses\":%llu,\"accesses_per_s\":%.1f,"
			"\"addresses_per_min\":%.1f,\"suppressed\":%llu,\"evicted\":%llu}",
			s->race_sites, s->race_watched, s->race_refused, s->race_windows,
			(unsigned long long)s->race_accesses, (unsigned long long)s->race_addrs,
			s->duration_s > 0 ? s->race_accesses / s->duration_s : 0.0,
			s->duration_s > 0 ? s->race_addrs * 60.0 / s->duration_s : 0.0,
			(unsigned long long)s->race_suppressed, (unsigned long long)s->race_evicted);
	/* only when some printed frame had no function name: like events_by_type's zero counts */
	rt_sym__foreach_unsymbolized(o->sym, unsym_json_add, &u);
	fputs(u.first ? "}\n" : "]}\n", out);
}
