// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the trace reader (user/trace.c). Each input is read twice through
 * rt_trace_reader__open_mem(): once as given, and once with every crc32 recomputed along the
 * layout of docs/trace-format.md, so that mutations get past the checksums to the length
 * bounds, zlib and the record decoder. Crashes, leaks and sanitizer reports are the findings;
 * the aborts below catch broken contracts (a failure without a reason, a record that did not
 * pass the decoder, a clean end without a footer). Seeds live in tests/fuzz/corpus/trace/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "trace.h"

#define HDR_SIZE 72
#define BLK_HDR_SIZE 32
#define FOOTER_FIXED 28
#define MAX_LOST 16
#define MAX_RAW (4096 * RT_EVENT_SIZE)

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
 * Recompute the checksums of the header, of each block and of the footer, as far as they go.
 * The header's events ABI is set to this build's too, so the seeds stay useful across ABI
 * bumps (the unchanged pass still sees the mismatch).
 */
static void fix_checksums(uint8_t *p, size_t n)
{
	size_t off = HDR_SIZE;

	if (n < HDR_SIZE)
		return;
	put_le32(p + 12, RT_EVENTS_ABI);
	put_le32(p + 68, crc(p, 68));
	while (off + 4 <= n) {
		uint32_t raw_len, comp_len, nlost;
		uLongf dlen;
		uLong slen;

		if (!memcmp(p + off, "RTFT", 4)) {
			if (n - off < FOOTER_FIXED)
				return;
			nlost = get_le32(p + off + 24);
			if (nlost > MAX_LOST || n - off < FOOTER_FIXED + 8 * nlost + 4)
				return;
			put_le32(p + off + FOOTER_FIXED + 8 * nlost,
				 crc(p + off, FOOTER_FIXED + 8 * nlost));
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

static void read_all(const uint8_t *data, size_t size)
{
	struct rt_trace_reader *r;
	struct rt_trace_info info;
	const struct rt_event *e;
	char err[256] = "";
	int rc;

	r = rt_trace_reader__open_mem(data, size, &info, err, sizeof(err));
	if (!r) {
		if (!err[0])
			abort();
		return;
	}
	if (!memchr(info.comm, 0, sizeof(info.comm)))
		abort();
	while ((rc = rt_trace_reader__next(r, &e)) > 0) {
		if (e->h.type == RT_EV_NONE || e->h.type >= RT_EV_MAX || !e->h.tid)
			abort();
	}
	if (rc == 0 && !rt_trace_reader__footer(r))
		abort();
	if (rc < 0 && (!rt_trace_reader__error(r)[0] || rt_trace_reader__footer(r)))
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
