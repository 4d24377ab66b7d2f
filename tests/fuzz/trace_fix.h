/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * For the fuzzers that read traces (fuzz_trace.c, fuzz_report.c): fix_checksums() recomputes
 * every crc32 of a trace along the layout of docs/trace-format.md, so that mutations get past
 * the checksums to what they guard. Included by one .c file each (static functions).
 */
#ifndef RT_FUZZ_TRACE_FIX_H
#define RT_FUZZ_TRACE_FIX_H

#include <stddef.h>
#include <stdint.h>
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

#endif /* RT_FUZZ_TRACE_FIX_H */
