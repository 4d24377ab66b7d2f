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

#define HDR_SIZE 72
#define BLK_HDR_SIZE 32
#define FOOTER_FIXED 40	  /* version 2 */
#define FOOTER_FIXED_V1 28
#define MAX_LOST 16
#define MAX_RAW (4096 * RT_EVENT_SIZE) /* above an aux block's 256 KiB too */

static unsigned char raw[MAX_RAW];

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint32_t crc(const void *p, size_t n)
{
	return (uint32_t)crc32(0, p, (uInt)n);
}

/*
 * Recompute the checksums of the header, of each block (records or aux: one header layout)
 * and of the footer, as far as they go. The header's events ABI is set to this build's too,
 * so the seeds stay useful across ABI bumps (the unchanged pass still sees the mismatch).
 */
static void fix_checksums(uint8_t *p, size_t n)
{
	size_t off = HDR_SIZE, footer_fixed;

	if (n < HDR_SIZE)
		return;
	footer_fixed = get_le32(p + 8) == 1 ? FOOTER_FIXED_V1 : FOOTER_FIXED;
	put_le32(p + 12, RT_EVENTS_ABI);
	put_le32(p + 68, crc(p, 68));
	while (off + 4 <= n) {
		uint32_t raw_len, comp_len, nlost;
		uLongf dlen;
		uLong slen;

		if (!memcmp(p + off, "RTFT", 4)) {
			if (n - off < footer_fixed)
				return;
			nlost = get_le32(p + off + 24);
			if (nlost > MAX_LOST || n - off < footer_fixed + 8 * nlost + 4)
				return;
			put_le32(p + off + footer_fixed + 8 * nlost,
				 crc(p + off, footer_fixed + 8 * nlost));
			return;
		}
		if (n - off < BLK_HDR_SIZE)
			return;
		raw_len = get_le32(p + off + 12);
		comp_len = get_le32(p + off + 16);
		if (comp_len > n - off - BLK_HDR_SIZE)
			comp_len = n - off - BLK_HDR_SIZE;
		put_le32(p + off + 24, crc(p + off + BLK_HDR_SIZE, comp_len));
		if (raw_len <= MAX_RAW) {
			dlen = raw_len;
			slen = comp_len;
			if (uncompress2(raw, &dlen, p + off + BLK_HDR_SIZE, &slen) == Z_OK)
				put_le32(p + off + 20, crc(raw, dlen));
		}
		put_le32(p + off + 28, crc(p + off, 28));
		off += BLK_HDR_SIZE + comp_len;
	}
}

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
