// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for what `racetrace report FILE` does with an untrusted trace: the records
 * the reader decodes go through the engine and every detector (run/pipeline.c, as
 * run/replay.c uses it), and the findings and the summary through the JSON printer. The
 * trace's stacks feed the unwinder as in a replay; its mappings do not reach the symbolizer
 * (that would open whatever files the trace names: fuzz_elf covers the ELF readers).
 *
 * Each input is replayed with its crc32s recomputed (trace_fix.h, so that mutations reach
 * the records), twice: the engine is a pure function of the records
 * (docs/design.md), so both replays must print the same bytes. Crashes, leaks, sanitizer
 * reports and these aborts are the findings: an engine call failing other than with -ENOMEM,
 * a summary whose findings count differs from the findings printed, two replays that differ.
 * Seeds in tests/fuzz/corpus/report/ are recorded traces of tests/golden/, one or more per
 * finding kind.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/hb.h"
#include "lib/util.h"
#include "record/trace.h"
#include "report/report.h"
#include "run/pipeline.h"
#include "sym/unwind.h"

#include "trace_fix.h"

/* One replay into a memory buffer (*out, *outlen: the JSON Lines). 0, or -ENOMEM. */
static int replay(const uint8_t *data, size_t size, char **out, size_t *outlen)
{
	struct rt_report_opts ropts = { .json = true };
	const struct rt_trace_aux *a;
	struct rt_trace_reader *r;
	struct rt_pipeline pl = { 0 };
	struct rt_trace_info info;
	struct rt_summary sum = { 0 };
	const struct rt_trace_footer *foot;
	const struct rt_event *e;
	struct rt_event tmp;
	struct hb_stats st;
	struct hb *hb = NULL;
	char err[256];
	int ret = 0, rc;
	FILE *f;

	*out = NULL;
	*outlen = 0;
	f = open_memstream(out, outlen);
	if (!f)
		return -ENOMEM;
	r = rt_trace_reader__open_mem(data, size, &info, err, sizeof(err));
	if (!r)
		goto cleanup;
	ropts.out = f;
	if (rt_pipeline__init(&pl, ropts, false, 5.0)) {
		ret = -ENOMEM;
		goto cleanup;
	}
	if (rt_trace_reader__version(r) >= 2) {
		while ((rc = rt_trace_reader__next_aux(r, &a)) > 0)
			if (a->type == RT_TRACE_AUX_STACK &&
			    rt_unwind__add(pl.unwind, a->stack.pid, a->stack.site, a->stack.pcs,
					   RT_MIN((int)a->stack.n, RT_MAX_FRAMES)) == -ENOMEM) {
				ret = -ENOMEM;
				goto cleanup;
			}
		if (rt_trace_reader__rewind(r))
			abort(); /* a memory trace always rewinds */
	}
	hb = rt_pipeline__engine(&pl);
	if (!hb) {
		ret = -ENOMEM;
		goto cleanup;
	}
	while ((rc = rt_trace_reader__next(r, &e)) > 0) {
		if (info.events_abi < 6)
			e = rt_pipeline__mark(&pl, e, &tmp);
		rc = hb__event(hb, e);
		if (rc == -ENOMEM) {
			ret = rc;
			goto cleanup;
		}
		if (rc)
			abort(); /* the engine takes any record the decoder passed */
	}
	if (rc < 0)
		goto cleanup; /* a bad trace: the replay says so and prints no summary */
	foot = rt_trace_reader__footer(r);
	hb__stats(hb, &st);
	sum.pid = info.pid;
	sum.events = st.events;
	memcpy(sum.by_type, st.by_type, sizeof(sum.by_type));
	memcpy(sum.lost_by_reason, foot->lost, sizeof(sum.lost_by_reason));
	sum.lost = rt_drops_lost(foot->lost);
	sum.threads = st.threads;
	sum.duration_s = foot->duration_ns / 1e9;
	rt_report__summary(pl.report, &sum);
cleanup:
	hb__free(hb);
	rt_pipeline__fini(&pl);
	rt_trace_reader__free(r);
	fclose(f);
	return ret;
}

/* The summary (the last line, when there is one) counts the findings printed before it. */
static void check_output(const char *out, size_t len)
{
	const char *p = out, *last = NULL, *n;
	size_t lines = 0;

	while (p < out + len) {
		n = memchr(p, '\n', out + len - p);
		if (!n)
			abort(); /* every JSON object ends its line */
		last = p;
		lines++;
		p = n + 1;
	}
	if (last && !strncmp(last, "{\"kind\":\"summary\"", 17)) {
		const char *k = strstr(last, "\"findings\":");

		if (!k || strtoul(k + 11, NULL, 10) != lines - 1)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out1 = NULL, *out2 = NULL;
	size_t len1 = 0, len2 = 0;
	uint8_t *copy;

	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fix_checksums(copy, size);
	if (replay(copy, size, &out1, &len1) == 0 && replay(copy, size, &out2, &len2) == 0) {
		if (len1 != len2 || memcmp(out1, out2, len1))
			abort(); /* the same records, other output */
		check_output(out1, len1);
	}
	free(out1);
	free(out2);
	free(copy);
	return 0;
}
