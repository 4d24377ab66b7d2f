// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the trace reader (user/record/trace.c). Each input is read twice through
 * rt_trace_reader__open_mem(): once as given, and once with every crc32 recomputed along the
 * layout of docs/trace-format.md, so that mutations get past the checksums to the length
 * bounds, zlib, the record decoder and the aux entry checks. Each read goes through the file
 * twice, as `racetrace report` does: the aux entries first, then (rewound) the records.
 * Crashes, leaks and sanitizer reports are the findings; the aborts below catch broken
 * contracts (a failure without a reason, a record or entry out of its bounds, a clean end
 * without a footer, two passes over the same bytes that disagree). Seeds live in
 * tests/fuzz/corpus/trace/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "record/trace.h"

#include "trace_fix.h"

/* An entry the reader hands out is within the bounds trace.h promises. */
static void check_aux(const struct rt_trace_aux *a)
{
	const struct rt_trace_stack *st = &a->stack;
	const struct rt_trace_mapping *m = &a->map;
	size_t len;

	switch (a->type) {
	case RT_TRACE_AUX_MAPPING:
		len = strlen(m->path);
		if (!m->pid || m->start >= m->end || !len || len > RT_TRACE_MAX_PATH)
			abort();
		break;
	case RT_TRACE_AUX_STACK:
		if (!st->pid || !st->site || st->n < 1 || st->n > RT_TRACE_MAX_FRAMES ||
		    st->pcs[0] != st->site)
			abort();
		break;
	default:
		abort();
	}
}

/* The end of a pass: a clean end has the footer, an error has a reason and no footer. */
static void check_end(struct rt_trace_reader *r, int rc)
{
	if (rc == 0 && !rt_trace_reader__footer(r))
		abort();
	if (rc < 0 && (!rt_trace_reader__error(r)[0] || rt_trace_reader__footer(r)))
		abort();
}

static void read_all(const uint8_t *data, size_t size)
{
	const struct rt_trace_aux *a;
	struct rt_trace_reader *r;
	struct rt_trace_info info;
	const struct rt_event *e;
	char err[256] = "", first[256];
	int rc, rc_aux;

	r = rt_trace_reader__open_mem(data, size, &info, err, sizeof(err));
	if (!r) {
		if (!err[0])
			abort();
		return;
	}
	if (!memchr(info.comm, 0, sizeof(info.comm)))
		abort();
	while ((rc_aux = rt_trace_reader__next_aux(r, &a)) > 0)
		check_aux(a);
	check_end(r, rc_aux);
	snprintf(first, sizeof(first), "%s", rt_trace_reader__error(r));
	if (rt_trace_reader__rewind(r))
		abort();
	while ((rc = rt_trace_reader__next(r, &e)) > 0) {
		if (e->h.type == RT_EV_NONE || e->h.type >= RT_EV_MAX || !e->h.tid)
			abort();
	}
	check_end(r, rc);
	/* both passes read the same bytes with the same checks */
	if (rc != rc_aux || strcmp(first, rt_trace_reader__error(r)))
		abort();
	rt_trace_reader__free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	read_all(data, size);
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fix_checksums(copy, size);
	read_all(copy, size);
	free(copy);
	return 0;
}
