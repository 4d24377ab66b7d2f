// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the trace file module (user/record/trace.c): round trips through a file and through
 * memory, with and without aux entries, every truncation and every flipped byte of small
 * traces, version 1 files, and hand-built files that follow docs/trace-format.md byte by byte
 * (the spec is restated here on purpose, so a layout change must touch the doc, the reader and
 * this test together). Runs under ASan and UBSan; every reader gets an exact-size heap copy,
 * so an overread is caught.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "check.h"
#include <zlib.h>
#include "record/event.h"
#include "record/trace.h"

/* Layout from docs/trace-format.md. */
#define HDR_SIZE 72
#define BLK_HDR_SIZE 32
#define BLOCK_RECORDS 4096
#define FOOTER_FIXED 40
#define FOOTER_FIXED_V1 28
#define FOOTER_SIZE (FOOTER_FIXED + 8 * RT_DROP_MAX + 4)
#define AUX_MAX_RAW (256 * 1024)
#define AUX_MAX_ENTRIES (AUX_MAX_RAW / 8)
#define AUX_MAX_COMP (AUX_MAX_RAW + AUX_MAX_RAW / 256 + 64)
#define MAP_FIXED 36
#define STACK_FIXED 16

/* not part of the format, but the writer's choice, so its output can be compared byte for byte */
#define WRITER_ZLEVEL 2

#define ERR_LEN 256

struct fixture {
	char path[64];
};

struct bytes {
	unsigned char *p;
	size_t len, cap;
};

/* What reading a whole trace gave. */
struct result {
	int open_ok;
	int rc;		   /* last rt_trace_reader__next(): 0 clean end, < 0 error */
	long long records; /* records handed out */
	long long bad;	   /* index of the first record unlike make_event(), or -1 */
	char err[ERR_LEN];
	struct rt_trace_info info;
	struct rt_trace_footer footer;
	int have_footer;
};

static const struct rt_trace_info test_info = {
	.pid = 4242,
	.events_abi = RT_EVENTS_ABI,
	.ktime_base = 123456789ULL,
	.realtime_base_ns = 1700000000123456789ULL,
	.probe_mask = 0x1fffeULL,
	.comm = "demo_target",
};

static struct rt_event make_event(unsigned int i)
{
	struct rt_event e;

	memset(&e, 0, sizeof(e));
	e.h.type = 1 + i % (RT_EV_MAX - 1);
	e.h.flags = i & 1 ? RT_EVF_RET : 0;
	e.h.stack_id = i % 5 ? (int)i : RT_NO_STACK;
	e.h.tid = 1000 + i % 7;
	e.h.tgid = 1000;
	e.h.ktime = 1000000000ULL + i * 1234ULL;
	e.h.goid = i % 3;
	e.obj = 0x7f0000001000ULL + (i % 13) * 64;
	e.obj2 = i % 2 ? 0x7f0000002000ULL : RT_NO_ADDR;
	e.caller = 0x401000 + i % 17;
	e.arg = i;
	e.ret = -(long long)(i % 4);
	return e;
}

static struct rt_trace_footer make_footer(unsigned int n)
{
	struct rt_trace_footer f;
	unsigned int i;

	memset(&f, 0, sizeof(f));
	f.events = n;
	for (i = 0; i < RT_DROP_MAX; i++)
		f.lost[i] = 5 + 2 * i;
	f.duration_ns = 987654321ULL;
	return f;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	int fd;

	if (!fx)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "/tmp/rt_test_trace_XXXXXX");
	fd = mkstemp(fx->path);
	if (fd < 0) {
		free(fx);
		return -1;
	}
	close(fd);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	unlink(fx->path);
	free(fx);
	return 0;
}

static void write_trace(const char *path, unsigned int n)
{
	struct rt_trace_footer f = make_footer(n);
	struct rt_trace_writer *w;
	unsigned int i;

	w = rt_trace_writer__open(path, &test_info);
	CHECK(w != NULL, "writer open");
	for (i = 0; i < n; i++) {
		struct rt_event e = make_event(i);

		CHECK_EQ(rt_trace_writer__add(w, &e), 0, "writer add");
	}
	CHECK_EQ(rt_trace_writer__close(w, &f), 0, "writer close");
}

static unsigned char *slurp(const char *path, size_t *len)
{
	unsigned char *p;
	FILE *f;
	long sz;

	f = fopen(path, "rb");
	CHECK(f != NULL, "open written trace");
	CHECK_EQ(fseek(f, 0, SEEK_END), 0, "seek written trace");
	sz = ftell(f);
	CHECK(sz >= 0, "size of written trace");
	rewind(f);
	p = malloc(sz ? sz : 1);
	CHECK(p != NULL, "malloc trace copy");
	CHECK_EQ(fread(p, 1, sz, f), sz, "read written trace");
	fclose(f);
	*len = sz;
	return p;
}

static void spit(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL, "create trace file");
	CHECK_EQ(fwrite(p, 1, len, f), len, "write trace file");
	CHECK_EQ(fclose(f), 0, "close trace file");
}

/* Read every record; each must equal make_event(its index). */
static void consume(struct rt_trace_reader *r, struct result *res)
{
	const struct rt_trace_footer *f;
	const struct rt_event *e;

	for (;;) {
		e = NULL;
		res->rc = rt_trace_reader__next(r, &e);
		if (res->rc <= 0)
			break;
		if (res->bad < 0) {
			struct rt_event want = make_event(res->records);

			if (!e || memcmp(e, &want, sizeof(want)))
				res->bad = res->records;
		}
		res->records++;
	}
	if (res->rc < 0)
		snprintf(res->err, sizeof(res->err), "%s", rt_trace_reader__error(r));
	f = rt_trace_reader__footer(r);
	if (f) {
		res->footer = *f;
		res->have_footer = 1;
	}
	if (res->rc < 0)
		CHECK(!res->have_footer, "no footer after an error");
}

static void result_init(struct result *res)
{
	memset(res, 0, sizeof(*res));
	res->bad = -1;
}

/* Read from an exact-size heap copy of p, so ASan sees any overread. */
static void read_mem(const void *p, size_t len, struct result *res)
{
	struct rt_trace_reader *r;
	unsigned char *copy;

	result_init(res);
	copy = malloc(len ? len : 1);
	CHECK(copy != NULL, "malloc reader input");
	if (len)
		memcpy(copy, p, len);
	r = rt_trace_reader__open_mem(copy, len, &res->info, res->err, sizeof(res->err));
	res->open_ok = r != NULL;
	if (r) {
		consume(r, res);
		rt_trace_reader__free(r);
	} else {
		CHECK(res->err[0] != '\0', "open_mem failure has a reason");
	}
	free(copy);
}

static void read_path(const char *path, struct result *res)
{
	struct rt_trace_reader *r;

	result_init(res);
	r = rt_trace_reader__open(path, &res->info, res->err, sizeof(res->err));
	res->open_ok = r != NULL;
	if (r) {
		consume(r, res);
		rt_trace_reader__free(r);
	} else {
		CHECK(res->err[0] != '\0', "open failure has a reason");
	}
}

/* The trace was read to its clean end: n good records, the footer and info as written. */
static void check_good(const struct result *res, unsigned int n, const char *name)
{
	struct rt_trace_footer want = make_footer(n);

	if (!res->open_ok || res->rc != 0)
		fail_msg("%s: read failed: %s", name, res->err);
	CHECK_EQ(res->records, n, name);
	CHECK_EQ(res->bad, -1, name);
	CHECK(res->have_footer, name);
	CHECK(!memcmp(&res->footer, &want, sizeof(want)), name);
	CHECK(!memcmp(&res->info, &test_info, sizeof(test_info)), name);
}

/* The read failed (at open or later), every record before the failure was right. */
static void check_failed(const struct result *res, const char *name)
{
	if (res->open_ok && res->rc == 0)
		fail_msg("%s: read succeeded with %lld records", name, res->records);
	CHECK(res->err[0] != '\0', name);
	CHECK_EQ(res->bad, -1, name);
}

/* ---- building traces by hand, from the spec ---- */

static void put_le32(unsigned char *p, __u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put_le64(unsigned char *p, __u64 v)
{
	put_le32(p, (__u32)v);
	put_le32(p + 4, (__u32)(v >> 32));
}

static __u32 crc(const void *p, size_t n)
{
	return (__u32)crc32(0, p, (uInt)n);
}

static void bytes_add(struct bytes *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		CHECK(b->p != NULL, "realloc test buffer");
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void add_header(struct bytes *b, __u32 version, __u32 abi)
{
	unsigned char h[HDR_SIZE] = { 0 };

	memcpy(h, "RTTRACE\n", 8);
	put_le32(h + 8, version);
	put_le32(h + 12, abi);
	put_le32(h + 16, RT_EVENT_SIZE);
	put_le32(h + 20, test_info.pid);
	put_le64(h + 24, test_info.ktime_base);
	put_le64(h + 32, test_info.realtime_base_ns);
	put_le64(h + 40, test_info.probe_mask);
	memcpy(h + 48, test_info.comm, sizeof(test_info.comm));
	put_le32(h + 68, crc(h, 68));
	bytes_add(b, h, sizeof(h));
}

/* A block with every field given; the header checksum is always right. */
static void add_block_raw(struct bytes *b, __u32 seq, __u32 count, __u32 raw_len, __u32 raw_crc,
			  const void *comp, __u32 comp_len)
{
	unsigned char bh[BLK_HDR_SIZE];

	memcpy(bh, "RTBK", 4);
	put_le32(bh + 4, seq);
	put_le32(bh + 8, count);
	put_le32(bh + 12, raw_len);
	put_le32(bh + 16, comp_len);
	put_le32(bh + 20, raw_crc);
	put_le32(bh + 24, crc(comp, comp_len));
	put_le32(bh + 28, crc(bh, 28));
	bytes_add(b, bh, sizeof(bh));
	bytes_add(b, comp, comp_len);
}

/* A well-formed block of records ev[0..n), compressed like the writer does (zlib level 2). */
static void add_block(struct bytes *b, __u32 seq, const struct rt_event *ev, __u32 n)
{
	uLongf comp_len = compressBound(n * sizeof(*ev));
	unsigned char *comp = malloc(comp_len);

	CHECK(comp != NULL, "malloc block");
	/* records are their struct bytes on a little-endian host */
	CHECK_EQ(compress2(comp, &comp_len, (const Bytef *)ev, n * sizeof(*ev), WRITER_ZLEVEL),
		 Z_OK, "compress block");
	add_block_raw(b, seq, n, n * sizeof(*ev), crc(ev, n * sizeof(*ev)), comp, comp_len);
	free(comp);
}

/* A footer of the given version: version 1 has no aux counts, its counters start at 28. */
static void add_footer_ver(struct bytes *b, __u32 version, __u32 blocks, __u64 events,
			   __u32 aux_blocks, __u64 aux_entries, __u32 nlost)
{
	size_t fixed = version >= 2 ? FOOTER_FIXED : FOOTER_FIXED_V1;
	unsigned char fb[FOOTER_FIXED + 8 * 32 + 4];
	struct rt_trace_footer f = make_footer(events);
	size_t len = fixed + 8 * (size_t)nlost;
	__u32 i;

	memcpy(fb, "RTFT", 4);
	put_le32(fb + 4, blocks);
	put_le64(fb + 8, events);
	put_le64(fb + 16, f.duration_ns);
	put_le32(fb + 24, nlost);
	if (version >= 2) {
		put_le32(fb + 28, aux_blocks);
		put_le64(fb + 32, aux_entries);
	}
	for (i = 0; i < nlost; i++)
		put_le64(fb + fixed + 8 * i, i < RT_DROP_MAX ? f.lost[i] : 77);
	put_le32(fb + len, crc(fb, len));
	bytes_add(b, fb, len + 4);
}

static void add_footer_n(struct bytes *b, __u32 blocks, __u64 events, __u32 nlost)
{
	add_footer_ver(b, RT_TRACE_VERSION, blocks, events, 0, 0, nlost);
}

static void add_footer_aux(struct bytes *b, __u32 blocks, __u64 events, __u32 aux_blocks,
			   __u64 aux_entries)
{
	add_footer_ver(b, RT_TRACE_VERSION, blocks, events, aux_blocks, aux_entries, RT_DROP_MAX);
}

static void add_footer(struct bytes *b, __u32 blocks, __u64 events)
{
	add_footer_n(b, blocks, events, RT_DROP_MAX);
}

static struct rt_event *make_events(unsigned int n)
{
	struct rt_event *ev = calloc(n, sizeof(*ev));
	unsigned int i;

	CHECK(ev != NULL, "calloc events");
	for (i = 0; i < n; i++)
		ev[i] = make_event(i);
	return ev;
}

/* Walk the sections of a good trace by the spec; returns the number of record blocks. */
static unsigned int count_blocks(const unsigned char *p, size_t len)
{
	size_t off = HDR_SIZE;
	unsigned int n = 0;

	while (off + 4 <= len && (!memcmp(p + off, "RTBK", 4) || !memcmp(p + off, "RTAX", 4))) {
		__u32 comp_len = p[off + 16] | p[off + 17] << 8 | p[off + 18] << 16 |
				 (__u32)p[off + 19] << 24;

		n += !memcmp(p + off, "RTBK", 4);
		off += BLK_HDR_SIZE + comp_len;
	}
	CHECK(off + FOOTER_SIZE == len && !memcmp(p + off, "RTFT", 4), "footer ends the file");
	return n;
}

/* ---- tests ---- */

static void test_round_trip(void **state)
{
	struct fixture *fx = *state;
	unsigned int n = 2 * BLOCK_RECORDS + 123;
	struct result res;
	unsigned char *p;
	size_t len;

	write_trace(fx->path, n);
	p = slurp(fx->path, &len);
	CHECK_EQ(count_blocks(p, len), 3, "records span three blocks");
	free(p);
	read_path(fx->path, &res);
	check_good(&res, n, "file round trip");
}

static void test_round_trip_block_edges(void **state)
{
	static const unsigned int sizes[] = { 1, BLOCK_RECORDS - 1, BLOCK_RECORDS,
					      BLOCK_RECORDS + 1 };
	static const unsigned int blocks[] = { 1, 1, 1, 2 };
	struct fixture *fx = *state;
	struct result res;
	unsigned char *p;
	char name[64];
	size_t i, len;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(name, sizeof(name), "round trip of %u records", sizes[i]);
		write_trace(fx->path, sizes[i]);
		p = slurp(fx->path, &len);
		CHECK_EQ(count_blocks(p, len), blocks[i], name);
		read_mem(p, len, &res);
		check_good(&res, sizes[i], name);
		free(p);
	}
}

static void test_empty_trace(void **state)
{
	struct fixture *fx = *state;
	struct result res;
	unsigned char *p;
	size_t len;

	write_trace(fx->path, 0);
	p = slurp(fx->path, &len);
	CHECK_EQ(len, HDR_SIZE + FOOTER_SIZE, "empty trace is header and footer");
	CHECK_EQ(count_blocks(p, len), 0, "empty trace has no block");
	free(p);
	read_path(fx->path, &res);
	check_good(&res, 0, "empty trace");
}

static void test_writer_matches_spec(void **state)
{
	struct fixture *fx = *state;
	unsigned int n = BLOCK_RECORDS + 50;
	struct rt_event *ev = make_events(n);
	struct bytes b = { 0 };
	unsigned char *p;
	size_t len;

	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	add_block(&b, 0, ev, BLOCK_RECORDS);
	add_block(&b, 1, ev + BLOCK_RECORDS, n - BLOCK_RECORDS);
	add_footer(&b, 2, n);
	write_trace(fx->path, n);
	p = slurp(fx->path, &len);
	CHECK_EQ(len, b.len, "writer output has the size the spec gives");
	CHECK(!memcmp(p, b.p, len), "writer output is byte for byte the spec's");
	free(p);
	free(b.p);
	free(ev);
}

static void test_mem_reader(void **state)
{
	struct fixture *fx = *state;
	unsigned int n = BLOCK_RECORDS + 7;
	struct result from_file, from_mem;
	struct rt_trace_reader *r;
	const struct rt_event *e;
	unsigned char *p;
	size_t len;

	write_trace(fx->path, n);
	p = slurp(fx->path, &len);
	read_path(fx->path, &from_file);
	read_mem(p, len, &from_mem);
	check_good(&from_file, n, "file reader");
	check_good(&from_mem, n, "memory reader");

	/* info and err are optional */
	r = rt_trace_reader__open_mem(p, len, NULL, NULL, 0);
	CHECK(r != NULL, "open_mem without info or err");
	CHECK_EQ(rt_trace_reader__next(r, &e), 1, "first record without info");
	CHECK_EQ(rt_trace_reader__footer(r) == NULL, 1, "no footer before the end");
	CHECK_EQ(rt_trace_reader__error(r)[0], '\0', "no error before one happens");
	rt_trace_reader__free(r);
	rt_trace_reader__free(NULL);
	free(p);
}

static void test_open_errors(void **state)
{
	static const char text[] = "#!/bin/sh\necho this is not a trace\n";
	struct rt_trace_reader *r;
	char err[ERR_LEN] = "";
	struct result res;

	r = rt_trace_reader__open("/nonexistent/dir/trace.rtt", NULL, err, sizeof(err));
	CHECK(r == NULL, "open of a missing file fails");
	CHECK_EQ(errno, ENOENT, "missing file sets errno");
	CHECK(err[0] != '\0', "missing file gives a reason");

	read_mem(text, sizeof(text) - 1, &res);
	CHECK(!res.open_ok, "text is not opened");
	CHECK_HAS(res.err, "not a racetrace trace file", "text is not a trace");

	read_mem("", 0, &res);
	CHECK(!res.open_ok, "empty input is not opened");
	CHECK_HAS(res.err, "not a racetrace trace file", "empty input is not a trace");

	r = rt_trace_reader__open_mem(NULL, 0, NULL, NULL, 0);
	CHECK(r == NULL, "NULL empty buffer is not opened");
	r = rt_trace_reader__open_mem(NULL, 10, NULL, err, sizeof(err));
	CHECK(r == NULL, "NULL buffer with a length is refused");
	CHECK_EQ(errno, EINVAL, "NULL buffer sets EINVAL");
}

static void check_prefixes(const unsigned char *p, size_t len, size_t from, size_t to,
			   size_t step)
{
	char name[96], want[64];
	struct result res;
	size_t cut;

	for (cut = from; cut < to && cut < len; cut += step) {
		snprintf(name, sizeof(name), "prefix of %zu of %zu bytes", cut, len);
		read_mem(p, cut, &res);
		check_failed(&res, name);
		if (cut == 0) {
			CHECK_HAS(res.err, "not a racetrace trace file", name);
			continue;
		}
		snprintf(want, sizeof(want), "trace truncated at byte %zu", cut);
		CHECK_HAS(res.err, want, name);
	}
}

static void test_truncated_every_prefix(void **state)
{
	struct fixture *fx = *state;
	char name[96], want[64];
	struct result res;
	unsigned char *p;
	size_t len, cut;

	write_trace(fx->path, 10);
	p = slurp(fx->path, &len);
	check_prefixes(p, len, 0, len, 1);

	/* the file reader gives the same verdicts */
	for (cut = 0; cut < len; cut++) {
		snprintf(name, sizeof(name), "file prefix of %zu of %zu bytes", cut, len);
		spit(fx->path, p, cut);
		read_path(fx->path, &res);
		check_failed(&res, name);
		if (cut) {
			snprintf(want, sizeof(want), "trace truncated at byte %zu", cut);
			CHECK_HAS(res.err, want, name);
		}
	}

	/* no footer: the records are read, then the missing footer is an error */
	read_mem(p, len - FOOTER_SIZE, &res);
	CHECK(res.open_ok, "trace without footer opens");
	CHECK_EQ(res.records, 10, "records before a missing footer are read");
	snprintf(want, sizeof(want), "trace truncated at byte %zu: no footer", len - FOOTER_SIZE);
	CHECK_HAS(res.err, want, "missing footer");
	free(p);
}

static void test_truncated_multi_block(void **state)
{
	struct fixture *fx = *state;
	size_t len, off, b1, foot;
	unsigned char *p;

	write_trace(fx->path, BLOCK_RECORDS + 10);
	p = slurp(fx->path, &len);
	CHECK_EQ(count_blocks(p, len), 2, "two blocks");
	b1 = HDR_SIZE + BLK_HDR_SIZE + (p[HDR_SIZE + 16] | p[HDR_SIZE + 17] << 8 |
					p[HDR_SIZE + 18] << 16);
	foot = len - FOOTER_SIZE;
	/* around every section boundary, then a stride over everything */
	for (off = 0; off < 4; off++) {
		size_t edge = off == 0 ? HDR_SIZE : off == 1 ? b1 : off == 2 ? foot : len;

		check_prefixes(p, len, edge - 6, edge + 40, 1);
	}
	check_prefixes(p, len, 0, len, 61);
	free(p);
}

static void test_flip_every_byte(void **state)
{
	static const unsigned char masks[] = { 0x01, 0x80, 0xff };
	struct fixture *fx = *state;
	unsigned char *p, *q;
	struct result res;
	size_t len, i, m;
	char name[96];

	write_trace(fx->path, 10);
	p = slurp(fx->path, &len);
	q = malloc(len);
	CHECK(q != NULL, "malloc flipped copy");
	for (i = 0; i < len; i++) {
		for (m = 0; m < sizeof(masks); m++) {
			memcpy(q, p, len);
			q[i] ^= masks[m];
			snprintf(name, sizeof(name), "byte %zu of %zu xor 0x%02x", i, len,
				 masks[m]);
			read_mem(q, len, &res);
			check_failed(&res, name);
		}
	}
	free(q);
	free(p);
}

static void expect_flip(const unsigned char *p, size_t len, size_t at, const char *want,
			const char *name)
{
	unsigned char *q = malloc(len);
	struct result res;

	CHECK(q != NULL, "malloc flipped copy");
	memcpy(q, p, len);
	q[at] ^= 0x10;
	read_mem(q, len, &res);
	check_failed(&res, name);
	CHECK_HAS(res.err, want, name);
	free(q);
}

static void test_flip_messages(void **state)
{
	struct fixture *fx = *state;
	unsigned char *p;
	char want[96];
	size_t len;

	write_trace(fx->path, 10);
	p = slurp(fx->path, &len);
	expect_flip(p, len, 0, "not a racetrace trace file", "magic");
	expect_flip(p, len, 20, "corrupt header: checksum mismatch", "header pid");
	expect_flip(p, len, 50, "corrupt header: checksum mismatch", "header comm");
	expect_flip(p, len, HDR_SIZE + 9, "corrupt block at offset 72: checksum mismatch",
		    "block header count");
	expect_flip(p, len, HDR_SIZE + BLK_HDR_SIZE + 3,
		    "corrupt block at offset 72: checksum mismatch", "compressed data");
	snprintf(want, sizeof(want), "corrupt footer at offset %zu: checksum mismatch",
		 len - FOOTER_SIZE);
	expect_flip(p, len, len - 12, want, "footer lost counter");
	snprintf(want, sizeof(want), "corrupt block at offset %zu: bad magic", len - FOOTER_SIZE);
	expect_flip(p, len, len - FOOTER_SIZE, want, "footer magic");
	free(p);
}

static void test_unknown_version(void **state)
{
	struct bytes b = { 0 };
	struct result res;

	add_header(&b, 7, RT_EVENTS_ABI);
	add_footer(&b, 0, 0);
	read_mem(b.p, b.len, &res);
	CHECK(!res.open_ok, "version 7 is not opened");
	CHECK(!strcmp(res.err, "trace format version 7 is not supported "
			       "(this racetrace reads versions 1 to 2)"),
	      "version 7 message");

	/* version 0 is no version */
	b.len = 0;
	add_header(&b, 0, RT_EVENTS_ABI);
	add_footer(&b, 0, 0);
	read_mem(b.p, b.len, &res);
	CHECK(!res.open_ok, "version 0 is not opened");
	CHECK_HAS(res.err, "trace format version 0 is not supported", "version 0 message");
	b.len = 0;
	add_header(&b, 7, RT_EVENTS_ABI);

	/* the version is checked before the rest of the header is needed */
	read_mem(b.p, 12, &res);
	CHECK_HAS(res.err, "trace format version 7 is not supported", "short version 7 header");
	free(b.p);
}

static void test_abi_mismatch(void **state)
{
	struct bytes b = { 0 };
	struct result res;
	char want[96];

	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI + 1);
	add_footer(&b, 0, 0);
	read_mem(b.p, b.len, &res);
	CHECK(!res.open_ok, "other events ABI is not opened");
	snprintf(want, sizeof(want),
		 "trace records use events ABI %d, this racetrace reads ABI %d to %d",
		 RT_EVENTS_ABI + 1, RT_EVENTS_ABI_MIN, RT_EVENTS_ABI);
	CHECK(!strcmp(res.err, want), "events ABI message");
	free(b.p);
	/* one older than the oldest it reads */
	memset(&b, 0, sizeof(b));
	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI_MIN - 1);
	add_footer(&b, 0, 0);
	read_mem(b.p, b.len, &res);
	CHECK(!res.open_ok, "events ABI below the oldest is not opened");
	free(b.p);
}

/* A trace of the oldest events ABI still read (the golden traces' ABI 5) opens. */
static void test_abi_older(void **state)
{
	struct bytes b = { 0 };
	struct result res;

	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI_MIN);
	add_footer(&b, 0, 0);
	read_mem(b.p, b.len, &res);
	CHECK(res.open_ok, "events ABI RT_EVENTS_ABI_MIN opens");
	free(b.p);
}

static void test_corrupt_record(void **state)
{
	unsigned int n = BLOCK_RECORDS + 5;
	struct rt_event *ev = make_events(n);
	struct bytes b = { 0 };
	struct result res;

	ev[3].h.type = RT_EV_NONE;
	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	add_block(&b, 0, ev, 5);
	add_footer(&b, 1, 5);
	read_mem(b.p, b.len, &res);
	check_failed(&res, "record 3 of type 0");
	CHECK_EQ(res.records, 3, "records before the bad one are handed out");
	CHECK(!strcmp(res.err, "corrupt record 3: unknown record type"), "record 3 message");

	/* the index counts from the start of the file, not of the block */
	ev[3] = make_event(3);
	ev[BLOCK_RECORDS + 2].h.tid = 0;
	b.len = 0;
	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	add_block(&b, 0, ev, BLOCK_RECORDS);
	add_block(&b, 1, ev + BLOCK_RECORDS, 5);
	add_footer(&b, 2, n);
	read_mem(b.p, b.len, &res);
	check_failed(&res, "record 4098 without a thread");
	CHECK_EQ(res.records, BLOCK_RECORDS + 2, "records before 4098 are handed out");
	CHECK(!strcmp(res.err, "corrupt record 4098: record without a thread"),
	      "record 4098 message");
	free(b.p);
	free(ev);
}

static void expect_block(const struct bytes *b, const char *want, const char *name)
{
	struct result res;

	read_mem(b->p, b->len, &res);
	check_failed(&res, name);
	CHECK(res.open_ok, name);
	CHECK_EQ(res.records, 0, name);
	CHECK_HAS(res.err, want, name);
}

static void test_decompression_error(void **state)
{
	static const unsigned char garbage[] = "this is not a zlib stream";
	struct rt_event *ev = make_events(4);
	unsigned char comp[1024];
	uLongf comp_len = sizeof(comp);
	struct bytes b = { 0 };

	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	add_block_raw(&b, 0, 4, 4 * RT_EVENT_SIZE, crc(ev, 4 * RT_EVENT_SIZE), garbage,
		      sizeof(garbage));
	add_footer(&b, 1, 4);
	expect_block(&b, "corrupt block at offset 72: decompression failed", "garbage stream");

	/* a good stream of 3 records in a block that claims 4 */
	CHECK_EQ(compress2(comp, &comp_len, (const Bytef *)ev, 3 * RT_EVENT_SIZE, 1), Z_OK,
		 "compress 3 records");
	b.len = 0;
	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	add_block_raw(&b, 0, 4, 4 * RT_EVENT_SIZE, crc(ev, 4 * RT_EVENT_SIZE), comp, comp_len);
	add_footer(&b, 1, 4);
	expect_block(&b, "decompression failed", "short stream");

	/* a good stream followed by bytes that belong to no stream */
	comp_len = sizeof(comp);
	CHECK_EQ(compress2(comp, &comp_len, (const Bytef *)ev, 4 * RT_EVENT_SIZE, 1), Z_OK,
		 "compress 4 records");
	comp[comp_len++] = 0;
	b.len = 0;
	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	add_block_raw(&b, 0, 4, 4 * RT_EVENT_SIZE, crc(ev, 4 * RT_EVENT_SIZE), comp, comp_len);
	add_footer(&b, 1, 4);
	expect_block(&b, "decompression failed", "stream with trailing bytes");

	/* a good stream whose records do not match their checksum */
	comp_len = sizeof(comp);
	CHECK_EQ(compress2(comp, &comp_len, (const Bytef *)ev, 4 * RT_EVENT_SIZE, 1), Z_OK,
		 "compress 4 records");
	b.len = 0;
	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	add_block_raw(&b, 0, 4, 4 * RT_EVENT_SIZE, 0x12345678, comp, comp_len);
	add_footer(&b, 1, 4);
	expect_block(&b, "corrupt block at offset 72: checksum mismatch (records)",
		     "records checksum");

	/* a header that is no zlib header (a bad FCHECK), and a truncated Adler-32 trailer */
	comp[1] ^= 1;
	b.len = 0;
	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	add_block_raw(&b, 0, 4, 4 * RT_EVENT_SIZE, crc(ev, 4 * RT_EVENT_SIZE), comp, comp_len);
	add_footer(&b, 1, 4);
	expect_block(&b, "decompression failed (zlib: data error)", "bad zlib header");
	comp[1] ^= 1;
	b.len = 0;
	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	add_block_raw(&b, 0, 4, 4 * RT_EVENT_SIZE, crc(ev, 4 * RT_EVENT_SIZE), comp, comp_len - 2);
	add_footer(&b, 1, 4);
	expect_block(&b, "decompression failed", "truncated trailer");

	/*
	 * The Adler-32 itself is not checked (the records' crc32 is): a wrong one, with the
	 * block's checksums right, reads fine.
	 */
	comp[comp_len - 1] ^= 0xff;
	b.len = 0;
	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	add_block_raw(&b, 0, 4, 4 * RT_EVENT_SIZE, crc(ev, 4 * RT_EVENT_SIZE), comp, comp_len);
	add_footer(&b, 1, 4);
	{
		struct result res;

		read_mem(b.p, b.len, &res);
		CHECK_EQ(res.rc, 0, "wrong Adler-32: read to the end");
		CHECK_EQ(res.records, 4, "wrong Adler-32: every record");
		CHECK_EQ(res.bad, -1, "wrong Adler-32: the records as written");
	}
	free(b.p);
	free(ev);
}

static void test_block_limits(void **state)
{
	static const unsigned char some[16] = { 1, 2, 3 };
	struct rt_event *ev = make_events(2);
	struct bytes b = { 0 };

	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	add_block_raw(&b, 0, 0, 0, 0, some, sizeof(some));
	expect_block(&b, "0 records, expected 1..4096", "block of no records");

	b.len = HDR_SIZE;
	add_block_raw(&b, 0, BLOCK_RECORDS + 1, (BLOCK_RECORDS + 1) * RT_EVENT_SIZE, 0, some,
		      sizeof(some));
	expect_block(&b, "4097 records, expected 1..4096", "block of too many records");

	b.len = HDR_SIZE;
	add_block_raw(&b, 0, 2, 3 * RT_EVENT_SIZE, 0, some, sizeof(some));
	expect_block(&b, "216 bytes for 2 records", "raw length mismatch");

	b.len = HDR_SIZE;
	add_block_raw(&b, 0, 2, 2 * RT_EVENT_SIZE, 0, some, 0);
	expect_block(&b, "compressed length 0", "empty compressed data");

	/* a huge length is refused before anything is allocated or read */
	b.len = HDR_SIZE;
	add_block_raw(&b, 0, 2, 2 * RT_EVENT_SIZE, 0, some, sizeof(some));
	put_le32(b.p + HDR_SIZE + 16, 0xffffffffu);
	put_le32(b.p + HDR_SIZE + 28, crc(b.p + HDR_SIZE, 28));
	expect_block(&b, "compressed length 4294967295", "huge compressed length");

	/* a length within the limit but past the end of the file is a truncation */
	b.len = HDR_SIZE;
	add_block_raw(&b, 0, 2, 2 * RT_EVENT_SIZE, 0, some, sizeof(some));
	put_le32(b.p + HDR_SIZE + 16, 100000);
	put_le32(b.p + HDR_SIZE + 28, crc(b.p + HDR_SIZE, 28));
	expect_block(&b, "trace truncated at byte", "length past the end");

	b.len = HDR_SIZE;
	add_block(&b, 1, ev, 2);
	add_footer(&b, 1, 2);
	expect_block(&b, "sequence number 1, expected 0", "block out of sequence");

	b.len = HDR_SIZE;
	bytes_add(&b, "RTXX0000", 8);
	expect_block(&b, "corrupt block at offset 72: bad magic", "unknown section");
	free(b.p);
	free(ev);
}

static void test_footer_checks(void **state)
{
	struct rt_event *ev = make_events(10);
	struct bytes b = { 0 };
	struct result res;

	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	add_block(&b, 0, ev, 10);
	add_footer(&b, 1, 11);
	read_mem(b.p, b.len, &res);
	check_failed(&res, "footer with a wrong record count");
	CHECK_EQ(res.records, 10, "records before a wrong footer");
	CHECK_HAS(res.err, "says 11 records, file holds 10", "footer record count");

	b.len = HDR_SIZE;
	add_block(&b, 0, ev, 10);
	add_footer(&b, 2, 10);
	read_mem(b.p, b.len, &res);
	CHECK_HAS(res.err, "says 2 blocks, file holds 1", "footer block count");

	b.len = HDR_SIZE;
	add_block(&b, 0, ev, 10);
	add_footer(&b, 1, 10);
	bytes_add(&b, "x", 1);
	read_mem(b.p, b.len, &res);
	check_failed(&res, "trailing byte");
	CHECK_HAS(res.err, "trailing data after the footer", "trailing byte");

	b.len = HDR_SIZE;
	add_block(&b, 0, ev, 10);
	add_footer_n(&b, 1, 10, 17);
	read_mem(b.p, b.len, &res);
	CHECK_HAS(res.err, "17 drop counters, at most 16", "too many drop counters");

	/* fewer counters than this build knows: the rest read as 0 */
	b.len = HDR_SIZE;
	add_block(&b, 0, ev, 10);
	add_footer_n(&b, 1, 10, 1);
	read_mem(b.p, b.len, &res);
	CHECK(res.open_ok && res.rc == 0, "footer with one drop counter reads");
	CHECK_EQ(res.footer.lost[0], make_footer(10).lost[0], "known drop counter kept");
	CHECK_EQ(res.footer.lost[RT_DROP_MAX - 1], 0, "missing drop counter is 0");

	/* more counters than this build knows: the extra ones are ignored */
	b.len = HDR_SIZE;
	add_block(&b, 0, ev, 10);
	add_footer_n(&b, 1, 10, RT_DROP_MAX + 3);
	read_mem(b.p, b.len, &res);
	check_good(&res, 10, "footer with extra drop counters");
	free(b.p);
	free(ev);
}

static void test_sticky_error(void **state)
{
	struct fixture *fx = *state;
	const struct rt_event *e;
	struct rt_trace_reader *r;
	char first[ERR_LEN];
	unsigned char *p;
	size_t len;
	int i, rc;

	write_trace(fx->path, 10);
	p = slurp(fx->path, &len);
	r = rt_trace_reader__open_mem(p, len - 1, NULL, NULL, 0);
	CHECK(r != NULL, "open trace cut by one byte");
	while ((rc = rt_trace_reader__next(r, &e)) > 0)
		;
	CHECK_EQ(rc, -EINVAL, "truncated trace gives -EINVAL");
	snprintf(first, sizeof(first), "%s", rt_trace_reader__error(r));
	for (i = 0; i < 3; i++) {
		CHECK_EQ(rt_trace_reader__next(r, &e), -EINVAL, "error repeats");
		CHECK(!strcmp(rt_trace_reader__error(r), first), "reason stays");
	}
	CHECK(rt_trace_reader__footer(r) == NULL, "no footer after an error");
	rt_trace_reader__free(r);

	r = rt_trace_reader__open_mem(p, len, NULL, NULL, 0);
	CHECK(r != NULL, "open good trace");
	while ((rc = rt_trace_reader__next(r, &e)) > 0)
		;
	CHECK_EQ(rc, 0, "good trace ends cleanly");
	CHECK_EQ(rt_trace_reader__next(r, &e), 0, "end repeats");
	CHECK(rt_trace_reader__footer(r) != NULL, "footer at the end");
	rt_trace_reader__free(r);
	free(p);
}

static void test_writer_errors(void **state)
{
	struct fixture *fx = *state;
	struct rt_trace_writer *w;
	struct rt_event bad, good;
	struct result res;

	w = rt_trace_writer__open("/nonexistent/dir/trace.rtt", &test_info);
	CHECK(w == NULL, "writer open in a missing directory fails");
	CHECK_EQ(errno, ENOENT, "writer open sets errno");
	CHECK_EQ(rt_trace_writer__close(NULL, NULL), -EINVAL, "close of NULL");

	w = rt_trace_writer__open(fx->path, &test_info);
	CHECK(w != NULL, "writer open");
	bad = make_event(0);
	bad.h.type = RT_EV_MAX;
	CHECK_EQ(rt_trace_writer__add(w, &bad), -EINVAL, "writer refuses a bad record");
	good = make_event(0);
	CHECK_EQ(rt_trace_writer__add(w, &good), 0, "writer goes on after a refused record");
	CHECK_EQ(rt_trace_writer__close(w, NULL), 0, "close with no footer data");
	read_path(fx->path, &res);
	CHECK(res.open_ok && res.rc == 0, "trace after a refused record reads");
	CHECK_EQ(res.records, 1, "only the good record was written");
	CHECK_EQ(res.footer.events, 1, "footer counts the written records");
	CHECK_EQ(res.footer.duration_ns, 0, "NULL footer gives zero duration");

	w = rt_trace_writer__open("/dev/full", &test_info);
	if (w) {
		unsigned int i;
		int rc = 0;

		for (i = 0; i < BLOCK_RECORDS && !rc; i++) {
			struct rt_event e = make_event(i);

			rc = rt_trace_writer__add(w, &e);
		}
		if (!rc)
			rc = rt_trace_writer__close(w, NULL);
		else
			rt_trace_writer__close(w, NULL);
		CHECK_EQ(rc, -ENOSPC, "writing to a full disk fails with ENOSPC");
	}
}

/* ---- aux entries ---- */

#define LONG_AUX 13 /* make_aux(LONG_AUX) has a path of RT_TRACE_MAX_PATH bytes */

/* Entry i of the test traces: even ones are mappings, odd ones stacks of 1..32 frames. */
static struct rt_trace_aux make_aux(unsigned int i, char *path, size_t path_cap)
{
	struct rt_trace_aux a;
	unsigned int k;

	memset(&a, 0, sizeof(a));
	if (i == LONG_AUX || i % 2 == 0) {
		a.type = RT_TRACE_AUX_MAPPING;
		a.map.pid = 1000 + i % 3;
		a.map.start = 0x7f0000000000ULL + (__u64)i * 0x10000;
		a.map.end = a.map.start + 0x1000 * (1 + i % 5);
		a.map.off = (__u64)i * 0x1000;
		a.map.seen = i / 7;
		if (i == LONG_AUX) {
			memset(path, 'x', RT_TRACE_MAX_PATH);
			path[0] = '/';
			path[RT_TRACE_MAX_PATH] = '\0';
		} else {
			snprintf(path, path_cap, "/usr/lib/x86_64-linux-gnu/lib%u%.*s.so", i,
				 (int)(i % 40), "_________________________________________");
		}
		a.map.path = path;
		return a;
	}
	a.type = RT_TRACE_AUX_STACK;
	a.stack.pid = 1000 + i % 3;
	a.stack.n = 1 + i % RT_TRACE_MAX_FRAMES;
	a.stack.site = 0x401000 + i;
	a.stack.pcs[0] = a.stack.site;
	for (k = 1; k < a.stack.n; k++)
		a.stack.pcs[k] = 0x7f0000000000ULL + (__u64)k * 0x100 + i;
	return a;
}

static int aux_equal(const struct rt_trace_aux *a, const struct rt_trace_aux *b)
{
	if (a->type != b->type)
		return 0;
	if (a->type == RT_TRACE_AUX_MAPPING)
		return a->map.pid == b->map.pid && a->map.start == b->map.start &&
		       a->map.end == b->map.end && a->map.off == b->map.off &&
		       a->map.seen == b->map.seen && !strcmp(a->map.path, b->map.path);
	return a->stack.pid == b->stack.pid && a->stack.n == b->stack.n &&
	       a->stack.site == b->stack.site &&
	       !memcmp(a->stack.pcs, b->stack.pcs, a->stack.n * sizeof(a->stack.pcs[0]));
}

static int writer_add_aux(struct rt_trace_writer *w, const struct rt_trace_aux *a)
{
	if (a->type == RT_TRACE_AUX_MAPPING)
		return rt_trace_writer__add_mapping(w, a->map.pid, a->map.start, a->map.end,
						    a->map.off, a->map.seen, a->map.path);
	return rt_trace_writer__add_stack(w, a->stack.pid, a->stack.site, a->stack.pcs,
					  a->stack.n);
}

/* n records, then naux entries, then the footer. */
static void write_trace_aux(const char *path, unsigned int n, unsigned int naux)
{
	struct rt_trace_footer f = make_footer(n);
	static char p[RT_TRACE_MAX_PATH + 1];
	struct rt_trace_writer *w;
	unsigned int i;

	w = rt_trace_writer__open(path, &test_info);
	CHECK(w != NULL, "writer open");
	for (i = 0; i < n; i++) {
		struct rt_event e = make_event(i);

		CHECK_EQ(rt_trace_writer__add(w, &e), 0, "writer add");
	}
	for (i = 0; i < naux; i++) {
		struct rt_trace_aux a = make_aux(i, p, sizeof(p));

		CHECK_EQ(writer_add_aux(w, &a), 0, "writer add aux");
	}
	CHECK_EQ(rt_trace_writer__close(w, &f), 0, "writer close");
}

/* What reading the aux entries gave. */
struct aux_result {
	int rc;		   /* last rt_trace_reader__next_aux() */
	long long entries; /* entries handed out */
	long long bad;	   /* index of the first entry unlike make_aux(), or -1 */
	char err[ERR_LEN];
};

/* Read every aux entry; each must equal make_aux(its index). */
static void consume_aux(struct rt_trace_reader *r, struct aux_result *res)
{
	static char p[RT_TRACE_MAX_PATH + 1];
	const struct rt_trace_aux *a;

	memset(res, 0, sizeof(*res));
	res->bad = -1;
	while ((res->rc = rt_trace_reader__next_aux(r, &a)) > 0) {
		struct rt_trace_aux want = make_aux(res->entries, p, sizeof(p));

		if (res->bad < 0 && !aux_equal(a, &want))
			res->bad = res->entries;
		res->entries++;
	}
	if (res->rc < 0)
		snprintf(res->err, sizeof(res->err), "%s", rt_trace_reader__error(r));
}

/*
 * Read an exact-size heap copy of p twice: the aux entries, then (rewound) the records.
 * Returns 0 when the open failed (err in res->err).
 */
static int read_mem_aux(const void *p, size_t len, struct aux_result *ares, struct result *res)
{
	struct rt_trace_reader *r;
	unsigned char *copy;

	result_init(res);
	copy = malloc(len ? len : 1);
	CHECK(copy != NULL, "malloc reader input");
	if (len)
		memcpy(copy, p, len);
	r = rt_trace_reader__open_mem(copy, len, &res->info, res->err, sizeof(res->err));
	res->open_ok = r != NULL;
	if (!r) {
		snprintf(ares->err, sizeof(ares->err), "%s", res->err);
		ares->rc = -EINVAL;
		free(copy);
		return 0;
	}
	consume_aux(r, ares);
	if (ares->rc < 0)
		CHECK(rt_trace_reader__footer(r) == NULL, "no footer after an aux error");
	CHECK_EQ(rt_trace_reader__rewind(r), 0, "rewind a memory reader");
	consume(r, res);
	rt_trace_reader__free(r);
	free(copy);
	return 1;
}

static void check_aux_good(const struct aux_result *ares, unsigned int naux, const char *name)
{
	if (ares->rc != 0)
		fail_msg("%s: reading aux entries failed: %s", name, ares->err);
	CHECK_EQ(ares->entries, naux, name);
	CHECK_EQ(ares->bad, -1, name);
}

/* The number of sections with this magic in a good trace. */
static unsigned int count_sections(const unsigned char *p, size_t len, const char *magic)
{
	size_t off = HDR_SIZE;
	unsigned int n = 0;

	while (off + 4 <= len && memcmp(p + off, "RTFT", 4)) {
		__u32 comp_len = p[off + 16] | p[off + 17] << 8 | p[off + 18] << 16 |
				 (__u32)p[off + 19] << 24;

		n += !memcmp(p + off, magic, 4);
		off += BLK_HDR_SIZE + comp_len;
	}
	return n;
}

/* Entry builders, by the spec. */
static void ent_raw(struct bytes *b, __u32 type, const void *payload, __u32 len)
{
	unsigned char h[8];

	put_le32(h, type);
	put_le32(h + 4, len);
	bytes_add(b, h, sizeof(h));
	if (len)
		bytes_add(b, payload, len);
}

static void ent_map(struct bytes *b, __u32 pid, __u64 start, __u64 end, __u64 off, __u64 seen,
		    const char *path, size_t path_len)
{
	unsigned char p[MAP_FIXED + RT_TRACE_MAX_PATH + 16];

	CHECK(path_len <= RT_TRACE_MAX_PATH + 16, "test path fits");
	put_le32(p, pid);
	put_le64(p + 4, start);
	put_le64(p + 12, end);
	put_le64(p + 20, off);
	put_le64(p + 28, seen);
	memcpy(p + MAP_FIXED, path, path_len);
	ent_raw(b, RT_TRACE_AUX_MAPPING, p, MAP_FIXED + path_len);
}

/* A stack entry of n frames with length len (STACK_FIXED + 8 n when right). */
static void ent_stack(struct bytes *b, __u32 pid, __u64 site, const __u64 *pcs, __u32 n,
		      __u32 len)
{
	unsigned char p[STACK_FIXED + 8 * 64];
	__u32 i;

	CHECK(len <= sizeof(p), "test stack fits");
	memset(p, 0, sizeof(p));
	put_le32(p, pid);
	put_le32(p + 4, n);
	put_le64(p + 8, site);
	for (i = 0; i < n && STACK_FIXED + 8 * (i + 1) <= len; i++)
		put_le64(p + STACK_FIXED + 8 * i, pcs[i]);
	ent_raw(b, RT_TRACE_AUX_STACK, p, len);
}

static void ent_aux(struct bytes *b, const struct rt_trace_aux *a)
{
	if (a->type == RT_TRACE_AUX_MAPPING)
		ent_map(b, a->map.pid, a->map.start, a->map.end, a->map.off, a->map.seen,
			a->map.path, strlen(a->map.path));
	else
		ent_stack(b, a->stack.pid, a->stack.site, a->stack.pcs, a->stack.n,
			  STACK_FIXED + 8 * a->stack.n);
}

/* An aux block with every field given; the header checksum is always right. */
static void add_aux_raw(struct bytes *b, __u32 seq, __u32 count, __u32 raw_len, __u32 raw_crc,
			const void *comp, __u32 comp_len)
{
	unsigned char bh[BLK_HDR_SIZE];

	memcpy(bh, "RTAX", 4);
	put_le32(bh + 4, seq);
	put_le32(bh + 8, count);
	put_le32(bh + 12, raw_len);
	put_le32(bh + 16, comp_len);
	put_le32(bh + 20, raw_crc);
	put_le32(bh + 24, crc(comp, comp_len));
	put_le32(bh + 28, crc(bh, 28));
	bytes_add(b, bh, sizeof(bh));
	bytes_add(b, comp, comp_len);
}

/* A well-formed aux block of the entries in e (count of them), compressed at level 2. */
static void add_aux(struct bytes *b, __u32 seq, const struct bytes *e, __u32 count)
{
	uLongf comp_len = compressBound(e->len);
	unsigned char *comp = malloc(comp_len);

	CHECK(comp != NULL, "malloc aux block");
	CHECK_EQ(compress2(comp, &comp_len, e->p, e->len, WRITER_ZLEVEL), Z_OK,
		 "compress aux block");
	add_aux_raw(b, seq, count, e->len, crc(e->p, e->len), comp, comp_len);
	free(comp);
}

static void test_aux_round_trip(void **state)
{
	struct fixture *fx = *state;
	unsigned int n = BLOCK_RECORDS + 10, naux = 3000, i;
	struct rt_trace_reader *r;
	struct aux_result ares;
	struct result res;
	unsigned char *p;
	size_t len;

	write_trace_aux(fx->path, n, naux);
	p = slurp(fx->path, &len);
	CHECK_EQ(count_blocks(p, len), 2, "records in two blocks");
	CHECK(count_sections(p, len, "RTAX") >= 2, "entries span aux blocks");
	CHECK(read_mem_aux(p, len, &ares, &res), "open trace with aux");
	check_aux_good(&ares, naux, "aux entries through memory");
	check_good(&res, n, "records after a rewind");

	/* rt_trace_reader__next() alone checks and skips the entries */
	read_mem(p, len, &res);
	check_good(&res, n, "records with aux entries skipped");

	/* the file reader, twice through one reader */
	for (i = 0; i < 2; i++) {
		r = rt_trace_reader__open(fx->path, NULL, NULL, 0);
		CHECK(r != NULL, "open file with aux");
		CHECK_EQ(rt_trace_reader__version(r), RT_TRACE_VERSION, "version of a new file");
		consume_aux(r, &ares);
		check_aux_good(&ares, naux, "aux entries through a file");
		CHECK(rt_trace_reader__footer(r) != NULL, "footer after the aux entries");
		CHECK_EQ(rt_trace_reader__footer(r)->events, n, "footer records");
		CHECK_EQ(rt_trace_reader__rewind(r), 0, "rewind a file reader");
		CHECK(rt_trace_reader__footer(r) == NULL, "no footer after a rewind");
		result_init(&res);
		res.open_ok = 1;
		res.info = test_info;
		consume(r, &res);
		check_good(&res, n, "file records after a rewind");
		rt_trace_reader__free(r);
	}

	/* mixed: some records, then the entries (the rest of the records checked on the way) */
	r = rt_trace_reader__open_mem(p, len, NULL, NULL, 0);
	CHECK(r != NULL, "open for mixed reading");
	for (i = 0; i < 5; i++) {
		const struct rt_event *e;

		CHECK_EQ(rt_trace_reader__next(r, &e), 1, "mixed: a record");
	}
	consume_aux(r, &ares);
	check_aux_good(&ares, naux, "mixed: every entry after some records");
	{
		const struct rt_event *e;

		CHECK_EQ(rt_trace_reader__next(r, &e), 0, "mixed: no record after the entries");
	}
	rt_trace_reader__free(r);
	free(p);

	/* entries without records, and records without entries */
	write_trace_aux(fx->path, 0, 5);
	p = slurp(fx->path, &len);
	CHECK_EQ(count_blocks(p, len), 0, "no record block");
	CHECK(read_mem_aux(p, len, &ares, &res), "open trace of entries only");
	check_aux_good(&ares, 5, "entries only");
	check_good(&res, 0, "no records");
	free(p);
	write_trace_aux(fx->path, 10, 0);
	p = slurp(fx->path, &len);
	CHECK(read_mem_aux(p, len, &ares, &res), "open trace of records only");
	check_aux_good(&ares, 0, "no entries");
	check_good(&res, 10, "records only");
	free(p);
}

static void test_aux_writer_matches_spec(void **state)
{
	static char path[RT_TRACE_MAX_PATH + 1];
	struct fixture *fx = *state;
	struct rt_event *ev = make_events(10);
	struct bytes b = { 0 }, e = { 0 };
	unsigned char *p;
	unsigned int i, per_block;
	size_t len;

	/* 10 records, 20 entries (one with the longest path) */
	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	add_block(&b, 0, ev, 10);
	for (i = 0; i < 20; i++) {
		struct rt_trace_aux a = make_aux(i, path, sizeof(path));

		ent_aux(&e, &a);
	}
	add_aux(&b, 0, &e, 20);
	add_footer_aux(&b, 1, 10, 1, 20);
	write_trace_aux(fx->path, 10, 20);
	p = slurp(fx->path, &len);
	CHECK_EQ(len, b.len, "writer output with aux has the size the spec gives");
	CHECK(!memcmp(p, b.p, len), "writer output with aux is byte for byte the spec's");
	free(p);

	/* entries of the longest path: a block holds as many as fit in 256 KiB */
	per_block = AUX_MAX_RAW / (8 + MAP_FIXED + RT_TRACE_MAX_PATH);
	b.len = 0;
	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	for (i = 0; i < 2; i++) {
		unsigned int k, cnt = i ? 100 - per_block : per_block;
		struct rt_trace_aux a = make_aux(LONG_AUX, path, sizeof(path));

		e.len = 0;
		for (k = 0; k < cnt; k++)
			ent_aux(&e, &a);
		add_aux(&b, i, &e, cnt);
	}
	add_footer_aux(&b, 0, 0, 2, 100);
	{
		struct rt_trace_footer f = make_footer(0);
		struct rt_trace_aux a = make_aux(LONG_AUX, path, sizeof(path));
		struct rt_trace_writer *w = rt_trace_writer__open(fx->path, &test_info);

		CHECK(w != NULL, "writer open");
		for (i = 0; i < 100; i++)
			CHECK_EQ(writer_add_aux(w, &a), 0, "add the longest mapping");
		CHECK_EQ(rt_trace_writer__close(w, &f), 0, "writer close");
	}
	p = slurp(fx->path, &len);
	CHECK_EQ(count_sections(p, len, "RTAX"), 2, "100 long entries in two aux blocks");
	CHECK_EQ(len, b.len, "writer output of full aux blocks has the spec's size");
	CHECK(!memcmp(p, b.p, len), "writer output of full aux blocks is the spec's");
	free(p);
	free(e.p);
	free(b.p);
	free(ev);
}

static void test_aux_writer_refuses(void **state)
{
	static char longp[RT_TRACE_MAX_PATH + 2];
	__u64 pcs[RT_TRACE_MAX_FRAMES + 1] = { 0x401000, 0x402000 };
	struct fixture *fx = *state;
	struct rt_trace_writer *w;
	struct rt_trace_reader *r;
	const struct rt_trace_aux *a;
	struct rt_event ev = make_event(0);
	struct result res;

	memset(longp, 'y', RT_TRACE_MAX_PATH + 1);
	longp[0] = '/';
	w = rt_trace_writer__open(fx->path, &test_info);
	CHECK(w != NULL, "writer open");
	CHECK_EQ(rt_trace_writer__add(w, &ev), 0, "a record");
	CHECK_EQ(rt_trace_writer__add_mapping(w, 1, 0x2000, 0x2000, 0, 0, "/a"), -EINVAL,
		 "empty range refused");
	CHECK_EQ(rt_trace_writer__add_mapping(w, 1, 0x1000, 0x2000, 0, 0, ""), -EINVAL,
		 "empty path refused");
	CHECK_EQ(rt_trace_writer__add_mapping(w, 1, 0x1000, 0x2000, 0, 0, NULL), -EINVAL,
		 "NULL path refused");
	CHECK_EQ(rt_trace_writer__add_mapping(w, 1, 0x1000, 0x2000, 0, 0, longp), -EINVAL,
		 "path of 4096 bytes refused");
	CHECK_EQ(rt_trace_writer__add_mapping(w, 0, 0x1000, 0x2000, 0, 0, "/a"), -EINVAL,
		 "mapping of pid 0 refused");
	CHECK_EQ(rt_trace_writer__add_stack(w, 1, 0x401000, pcs, 0), -EINVAL,
		 "stack of 0 frames refused");
	CHECK_EQ(rt_trace_writer__add_stack(w, 1, 0x401000, pcs, RT_TRACE_MAX_FRAMES + 1),
		 -EINVAL, "stack of 33 frames refused");
	CHECK_EQ(rt_trace_writer__add_stack(w, 1, 0x401001, pcs, 2), -EINVAL,
		 "stack not starting at its site refused");
	CHECK_EQ(rt_trace_writer__add_stack(w, 0, 0x401000, pcs, 2), -EINVAL,
		 "stack of pid 0 refused");
	CHECK_EQ(rt_trace_writer__add_stack(w, 1, 0x401000, NULL, 2), -EINVAL,
		 "stack without pcs refused");
	CHECK_EQ(rt_trace_writer__add_stack(w, 1, 0x401000, pcs, 2), 0, "a good stack");
	CHECK_EQ(rt_trace_writer__add(w, &ev), -EINVAL, "a record after an entry is refused");
	CHECK_EQ(rt_trace_writer__add_mapping(w, 1, 0x1000, 0x2000, 0, 0, longp + 1 + 1), 0,
		 "path of 4094 bytes (no slash: the format takes any path)");
	CHECK_EQ(rt_trace_writer__close(w, NULL), 0, "close after refusals");
	CHECK_EQ(rt_trace_writer__add_stack(NULL, 1, 0x401000, pcs, 2), -EINVAL, "NULL writer");

	read_path(fx->path, &res);
	CHECK(res.open_ok && res.rc == 0, "trace after refused entries reads");
	CHECK_EQ(res.records, 1, "one record written");
	r = rt_trace_reader__open(fx->path, NULL, NULL, 0);
	CHECK(r != NULL, "reopen");
	CHECK_EQ(rt_trace_reader__next_aux(r, &a), 1, "first entry");
	CHECK_EQ(a->type, RT_TRACE_AUX_STACK, "the good stack");
	CHECK_EQ(a->stack.n, 2, "its frames");
	CHECK_EQ(rt_trace_reader__next_aux(r, &a), 1, "second entry");
	CHECK_EQ(a->type, RT_TRACE_AUX_MAPPING, "the long mapping");
	CHECK_EQ(strlen(a->map.path), RT_TRACE_MAX_PATH - 1, "its path");
	CHECK_EQ(rt_trace_reader__next_aux(r, &a), 0, "no third entry");
	CHECK_EQ(rt_trace_reader__footer(r)->events, 1, "footer");
	rt_trace_reader__free(r);
}

static void test_aux_truncated(void **state)
{
	struct fixture *fx = *state;
	struct aux_result ares;
	struct result res;
	char want[96];
	unsigned char *p;
	size_t len;

	write_trace_aux(fx->path, 10, 6);
	p = slurp(fx->path, &len);
	CHECK_EQ(count_sections(p, len, "RTAX"), 1, "one aux block");
	check_prefixes(p, len, 0, len, 1);

	/* every entry is handed out before the missing footer is noticed */
	CHECK(read_mem_aux(p, len - FOOTER_SIZE, &ares, &res), "open without footer");
	CHECK_EQ(ares.entries, 6, "entries before a missing footer");
	CHECK_EQ(ares.bad, -1, "entries before a missing footer are right");
	snprintf(want, sizeof(want), "trace truncated at byte %zu: no footer", len - FOOTER_SIZE);
	CHECK_HAS(ares.err, want, "missing footer after aux");
	CHECK_HAS(res.err, want, "missing footer after aux, records");
	CHECK_EQ(res.records, 10, "records before a missing footer");

	/* inside the aux block */
	CHECK(read_mem_aux(p, len - FOOTER_SIZE - 3, &ares, &res), "open with a cut aux block");
	CHECK_EQ(ares.entries, 0, "no entry of an incomplete block");
	CHECK_HAS(ares.err, "aux block at offset", "cut aux block named");
	CHECK_HAS(ares.err, "is incomplete", "cut aux block is incomplete");
	free(p);
}

static void test_aux_flip_every_byte(void **state)
{
	static const unsigned char masks[] = { 0x01, 0x80, 0xff };
	struct fixture *fx = *state;
	struct aux_result ares;
	unsigned char *p, *q;
	struct result res;
	size_t len, i, m;
	char name[96];

	write_trace_aux(fx->path, 3, 6);
	p = slurp(fx->path, &len);
	q = malloc(len);
	CHECK(q != NULL, "malloc flipped copy");
	for (i = 0; i < len; i++) {
		for (m = 0; m < sizeof(masks); m++) {
			memcpy(q, p, len);
			q[i] ^= masks[m];
			snprintf(name, sizeof(name), "aux trace byte %zu of %zu xor 0x%02x", i, len,
				 masks[m]);
			read_mem(q, len, &res);
			check_failed(&res, name);
			if (read_mem_aux(q, len, &ares, &res)) {
				CHECK(ares.rc < 0, name);
				CHECK(ares.err[0] != '\0', name);
				CHECK_EQ(ares.bad, -1, name);
			}
		}
	}
	free(q);
	free(p);
}

/*
 * An aux block of the entries in e (count of them), after 2 records: good entries are handed
 * out, then the error contains want (a printf format given the aux block's offset).
 */
static void expect_aux(const struct bytes *e, __u32 count, long long good, const char *want_fmt,
		       const char *name)
{
	struct rt_event *ev = make_events(2);
	struct aux_result ares;
	struct bytes b = { 0 };
	struct result res;
	char want[ERR_LEN];

	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	add_block(&b, 0, ev, 2);
	snprintf(want, sizeof(want), want_fmt, b.len);
	add_aux(&b, 0, e, count);
	add_footer_aux(&b, 1, 2, 1, count);
	CHECK(read_mem_aux(b.p, b.len, &ares, &res), name);
	if (ares.rc >= 0)
		fail_msg("%s: read succeeded with %lld entries", name, ares.entries);
	CHECK_EQ(ares.entries, good, name);
	CHECK_HAS(ares.err, want, name);
	/* the records reader gives the same verdict, after the records */
	check_failed(&res, name);
	CHECK_EQ(res.records, 2, name);
	CHECK(!strcmp(res.err, ares.err), name);
	free(b.p);
	free(ev);
}

static void test_aux_entry_checks(void **state)
{
	static const char nul_path[] = "/usr/lib\0/libc.so.6";
	__u64 pcs[RT_TRACE_MAX_FRAMES + 2] = { 0x401000, 0x7f0000001000ULL };
	static char path[RT_TRACE_MAX_PATH + 16];
	struct rt_event *ev = make_events(2);
	struct bytes e = { 0 }, b = { 0 };
	struct aux_result ares;
	struct result res;
	unsigned int i;
	char want[96];

	memset(path, 'p', sizeof(path));
	path[0] = '/';
	ent_raw(&e, 0, "12345678", 8);
	expect_aux(&e, 1, 0, "corrupt aux entry 0: type 0", "type 0");

	e.len = 0;
	ent_map(&e, 7, 0x1000, 0x2000, 0, 0, "/a", 2);
	ent_map(&e, 7, 0x1000, 0x2000, 0, 0, path, 0);
	expect_aux(&e, 2, 1, "corrupt aux entry 1: mapping of 36 bytes, expected 37..4131",
		   "mapping without a path");
	e.len = 0;
	ent_map(&e, 7, 0x1000, 0x2000, 0, 0, path, RT_TRACE_MAX_PATH + 1);
	expect_aux(&e, 1, 0, "mapping of 4132 bytes, expected 37..4131", "path too long");
	e.len = 0;
	ent_map(&e, 7, 0x2000, 0x2000, 0, 0, "/a", 2);
	expect_aux(&e, 1, 0, "corrupt aux entry 0: mapping of an empty range", "empty range");
	e.len = 0;
	ent_map(&e, 7, 0x3000, 0x2000, 0, 0, "/a", 2);
	expect_aux(&e, 1, 0, "mapping of an empty range", "reversed range");
	e.len = 0;
	ent_map(&e, 0, 0x1000, 0x2000, 0, 0, "/a", 2);
	expect_aux(&e, 1, 0, "mapping of pid 0", "mapping of pid 0");
	e.len = 0;
	ent_map(&e, 7, 0x1000, 0x2000, 0, 0, nul_path, sizeof(nul_path) - 1);
	expect_aux(&e, 1, 0, "mapping path holds a NUL byte", "NUL in a path");

	e.len = 0;
	ent_stack(&e, 7, 0x401000, pcs, 0, STACK_FIXED);
	expect_aux(&e, 1, 0, "corrupt aux entry 0: stack of 16 bytes, expected 24..272",
		   "stack without frames");
	e.len = 0;
	ent_stack(&e, 7, 0x401000, pcs, 0, STACK_FIXED + 8);
	expect_aux(&e, 1, 0, "stack of 0 frames, expected 1..32", "stack of 0 frames");
	e.len = 0;
	ent_stack(&e, 7, 0x401000, pcs, 33, STACK_FIXED + 8 * 33);
	expect_aux(&e, 1, 0, "stack of 280 bytes, expected 24..272", "stack of 33 frames' bytes");
	e.len = 0;
	ent_stack(&e, 7, 0x401000, pcs, 33, STACK_FIXED + 8 * 32);
	expect_aux(&e, 1, 0, "stack of 33 frames, expected 1..32", "stack of 33 frames");
	e.len = 0;
	ent_stack(&e, 7, 0x401000, pcs, 2, STACK_FIXED + 8 * 3);
	expect_aux(&e, 1, 0, "stack of 40 bytes for 2 frames", "stack length mismatch");
	e.len = 0;
	ent_stack(&e, 0, 0x401000, pcs, 2, STACK_FIXED + 16);
	expect_aux(&e, 1, 0, "stack of pid 0", "stack of pid 0");
	e.len = 0;
	pcs[0] = 0;
	ent_stack(&e, 7, 0, pcs, 2, STACK_FIXED + 16);
	expect_aux(&e, 1, 0, "stack of site 0", "stack of site 0");
	pcs[0] = 0x401000;
	e.len = 0;
	ent_stack(&e, 7, 0x401001, pcs, 2, STACK_FIXED + 16);
	expect_aux(&e, 1, 0, "stack does not start at its site", "stack elsewhere");

	/* lengths against the block */
	e.len = 0;
	ent_map(&e, 7, 0x1000, 0x2000, 0, 0, "/a", 2);
	e.p[e.len - 2 - MAP_FIXED - 4] += 1; /* len 38 + 1: one byte past the block */
	expect_aux(&e, 1, 0, "corrupt aux entry 0: 39 bytes past the end of its block",
		   "entry past its block");
	e.len = 0;
	ent_map(&e, 7, 0x1000, 0x2000, 0, 0, path, 20);
	bytes_add(&e, "\1\0\0\0", 4);
	expect_aux(&e, 2, 1, "corrupt aux entry 1: header past the end of its block",
		   "entry header past its block");
	e.len = 0;
	ent_map(&e, 7, 0x1000, 0x2000, 0, 0, "/a", 2);
	bytes_add(&e, "\0\0\0\0\0\0\0\0", 8);
	expect_aux(&e, 1, 0, "corrupt aux block at offset %zu: 8 bytes after the last entry",
		   "bytes after the last entry");

	/* unknown types are skipped, and counted */
	e.len = 0;
	ent_raw(&e, 99, "whatever", 8);
	ent_map(&e, 7, 0x1000, 0x2000, 0, 0, "/a", 2);
	ent_raw(&e, 3, NULL, 0);
	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	add_block(&b, 0, ev, 2);
	add_aux(&b, 0, &e, 3);
	add_footer_aux(&b, 1, 2, 1, 3);
	CHECK(read_mem_aux(b.p, b.len, &ares, &res), "open with unknown entry types");
	CHECK_EQ(ares.rc, 0, "unknown entry types are no error");
	CHECK_EQ(ares.entries, 1, "only the mapping is handed out");
	check_good(&res, 2, "records beside unknown entry types");

	/* the entry number counts from the first entry of the file */
	b.len = 0;
	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	e.len = 0;
	for (i = 0; i < 5; i++)
		ent_map(&e, 7, 0x1000, 0x2000, 0, i, "/a", 2);
	add_aux(&b, 0, &e, 5);
	e.len = 0;
	ent_map(&e, 7, 0x1000, 0x2000, 0, 0, "/a", 2);
	ent_map(&e, 7, 0x1000, 0x1000, 0, 0, "/a", 2);
	add_aux(&b, 1, &e, 2);
	add_footer_aux(&b, 0, 0, 2, 7);
	CHECK(read_mem_aux(b.p, b.len, &ares, &res), "open two aux blocks");
	CHECK_EQ(ares.entries, 6, "entries before the bad one");
	snprintf(want, sizeof(want), "corrupt aux entry 6: mapping of an empty range");
	CHECK(!strcmp(ares.err, want), "entry 6 message");
	free(b.p);
	free(e.p);
	free(ev);
}

static void expect_aux_block_n(const struct bytes *b, long long good, const char *want,
			       const char *name)
{
	struct aux_result ares;
	struct result res;

	CHECK(read_mem_aux(b->p, b->len, &ares, &res), name);
	if (ares.rc >= 0)
		fail_msg("%s: read succeeded with %lld entries", name, ares.entries);
	CHECK_EQ(ares.entries, good, name);
	CHECK_HAS(ares.err, want, name);
	check_failed(&res, name);
}

static void expect_aux_block(const struct bytes *b, const char *want, const char *name)
{
	expect_aux_block_n(b, 0, want, name);
}

static void test_aux_block_limits(void **state)
{
	static const unsigned char garbage[] = "this is not a zlib stream";
	struct rt_event *ev = make_events(2);
	struct bytes b = { 0 }, e = { 0 };
	char want[96];
	size_t at;

	ent_map(&e, 7, 0x1000, 0x2000, 0, 0, "/a", 2);
	add_header(&b, RT_TRACE_VERSION, RT_EVENTS_ABI);
	at = b.len;
	add_aux_raw(&b, 0, 0, 8, 0, garbage, sizeof(garbage));
	expect_aux_block(&b, "corrupt aux block at offset 72: 0 entries, expected 1..32768",
			 "aux block of no entries");
	b.len = at;
	add_aux_raw(&b, 0, AUX_MAX_ENTRIES + 1, AUX_MAX_RAW, 0, garbage, sizeof(garbage));
	expect_aux_block(&b, "32769 entries, expected 1..32768", "aux block of too many entries");
	b.len = at;
	add_aux_raw(&b, 0, 2, 15, 0, garbage, sizeof(garbage));
	expect_aux_block(&b, "corrupt aux block at offset 72: 15 bytes for 2 entries",
			 "aux block shorter than its entry headers");
	b.len = at;
	add_aux_raw(&b, 0, 1, AUX_MAX_RAW + 1, 0, garbage, sizeof(garbage));
	expect_aux_block(&b, "262145 bytes for 1 entries", "aux block too large");
	b.len = at;
	add_aux_raw(&b, 0, 1, 46, 0, garbage, 0);
	expect_aux_block(&b, "compressed length 0, expected 1..263232", "aux block of nothing");
	b.len = at;
	add_aux_raw(&b, 0, 1, 46, 0, garbage, sizeof(garbage));
	put_le32(b.p + at + 16, AUX_MAX_COMP + 1);
	put_le32(b.p + at + 28, crc(b.p + at, 28));
	expect_aux_block(&b, "compressed length 263233, expected 1..263232",
			 "aux compressed length too large");
	b.len = at;
	add_aux_raw(&b, 0, 1, 46, 0, garbage, sizeof(garbage));
	put_le32(b.p + at + 16, 100000);
	put_le32(b.p + at + 28, crc(b.p + at, 28));
	expect_aux_block(&b, "trace truncated at byte", "aux length past the end");
	b.len = at;
	add_aux_raw(&b, 0, 1, 46, 0, garbage, sizeof(garbage));
	add_footer_aux(&b, 0, 0, 1, 1);
	expect_aux_block(&b, "corrupt aux block at offset 72: decompression failed",
			 "aux garbage stream");
	b.len = at;
	add_aux(&b, 0, &e, 1);
	put_le32(b.p + at + 20, 0x12345678);
	put_le32(b.p + at + 28, crc(b.p + at, 28));
	add_footer_aux(&b, 0, 0, 1, 1);
	expect_aux_block(&b, "corrupt aux block at offset 72: checksum mismatch (entries)",
			 "aux entries checksum");
	b.len = at;
	add_aux(&b, 0, &e, 1);
	b.p[at + 9] ^= 1;
	expect_aux_block(&b, "corrupt aux block at offset 72: checksum mismatch (header)",
			 "aux header checksum");
	b.len = at;
	add_aux(&b, 0, &e, 1);
	b.p[at + BLK_HDR_SIZE + 2] ^= 1;
	expect_aux_block(&b, "corrupt aux block at offset 72: checksum mismatch (compressed data)",
			 "aux compressed checksum");
	b.len = at;
	add_aux(&b, 1, &e, 1);
	add_footer_aux(&b, 0, 0, 1, 1);
	expect_aux_block(&b, "corrupt aux block at offset 72: sequence number 1, expected 0",
			 "aux block out of sequence");

	/* records come before the entries */
	b.len = at;
	add_aux(&b, 0, &e, 1);
	at = b.len;
	add_block(&b, 0, ev, 2);
	add_footer_aux(&b, 1, 2, 1, 1);
	{
		struct aux_result ares;
		struct result res;

		snprintf(want, sizeof(want),
			 "corrupt block at offset %zu: record block after the aux blocks", at);
		CHECK(read_mem_aux(b.p, b.len, &ares, &res), "open records after entries");
		CHECK_EQ(ares.entries, 1, "the entry before the records");
		CHECK(!strcmp(ares.err, want), "records after entries message");
		check_failed(&res, "records after entries");
	}

	/* the footer counts the aux blocks and entries */
	b.len = HDR_SIZE;
	add_aux(&b, 0, &e, 1);
	add_footer_aux(&b, 0, 0, 2, 1);
	snprintf(want, sizeof(want), "corrupt footer at offset %zu: says 2 aux blocks, file holds 1",
		 b.len - FOOTER_SIZE);
	expect_aux_block_n(&b, 1, want, "footer aux blocks");
	b.len = HDR_SIZE;
	add_aux(&b, 0, &e, 1);
	add_footer_aux(&b, 0, 0, 1, 5);
	expect_aux_block_n(&b, 1, "says 5 aux entries, file holds 1", "footer aux entries");
	b.len = HDR_SIZE;
	add_footer_aux(&b, 0, 0, 1, 0);
	expect_aux_block(&b, "says 1 aux blocks, file holds 0", "footer aux block of none");
	free(e.p);
	free(b.p);
	free(ev);
}

/* Version 1: the same blocks, no aux blocks, a footer without aux counts. */
static void test_version1(void **state)
{
	struct rt_event *ev = make_events(10);
	struct bytes b = { 0 }, e = { 0 };
	const struct rt_trace_aux *a;
	struct rt_trace_reader *r;
	struct result res;
	size_t blk_end;

	add_header(&b, 1, RT_EVENTS_ABI);
	add_block(&b, 0, ev, 10);
	blk_end = b.len;
	add_footer_ver(&b, 1, 1, 10, 0, 0, RT_DROP_MAX);
	CHECK_EQ(b.len, HDR_SIZE + blk_end - HDR_SIZE + FOOTER_FIXED_V1 + 8 * RT_DROP_MAX + 4,
		 "version 1 footer size");
	read_mem(b.p, b.len, &res);
	check_good(&res, 10, "version 1 trace");
	r = rt_trace_reader__open_mem(b.p, b.len, NULL, NULL, 0);
	CHECK(r != NULL, "open version 1");
	CHECK_EQ(rt_trace_reader__version(r), 1, "version 1 reported");
	CHECK_EQ(rt_trace_reader__next_aux(r, &a), 0, "version 1 has no aux entries");
	CHECK(rt_trace_reader__footer(r) != NULL, "version 1 footer read");
	CHECK_EQ(rt_trace_reader__footer(r)->lost[1], make_footer(10).lost[1],
		 "version 1 drop counters");
	rt_trace_reader__free(r);
	check_prefixes(b.p, b.len, 0, b.len, 1);

	/* a version 2 footer in a version 1 file does not check */
	b.len = blk_end;
	add_footer_ver(&b, 2, 1, 10, 0, 0, RT_DROP_MAX);
	read_mem(b.p, b.len, &res);
	check_failed(&res, "version 2 footer in version 1");

	/* aux blocks do not exist in version 1 */
	b.len = blk_end;
	ent_map(&e, 7, 0x1000, 0x2000, 0, 0, "/a", 2);
	add_aux(&b, 0, &e, 1);
	add_footer_ver(&b, 1, 1, 10, 0, 0, RT_DROP_MAX);
	read_mem(b.p, b.len, &res);
	check_failed(&res, "aux block in version 1");
	CHECK_EQ(res.records, 10, "version 1 records before an aux block");
	CHECK_HAS(res.err, "bad magic", "aux block in version 1 message");
	free(e.p);
	free(b.p);
	free(ev);
}

static void test_rewind(void **state)
{
	struct fixture *fx = *state;
	struct rt_trace_reader *r;
	const struct rt_event *e;
	char first[ERR_LEN], fdpath[64];
	unsigned char *p;
	size_t len;
	int fds[2], rc;

	write_trace_aux(fx->path, 10, 4);
	p = slurp(fx->path, &len);

	/* a rewind clears an error; the same bytes give it again */
	r = rt_trace_reader__open_mem(p, len - 1, NULL, NULL, 0);
	CHECK(r != NULL, "open a cut trace");
	while ((rc = rt_trace_reader__next(r, &e)) > 0)
		;
	CHECK_EQ(rc, -EINVAL, "cut trace fails");
	snprintf(first, sizeof(first), "%s", rt_trace_reader__error(r));
	CHECK_EQ(rt_trace_reader__rewind(r), 0, "rewind after an error");
	CHECK_EQ(rt_trace_reader__error(r)[0], '\0', "rewind clears the error");
	CHECK_EQ(rt_trace_reader__next(r, &e), 1, "first record again");
	CHECK(e->h.ktime == make_event(0).h.ktime, "first record is record 0");
	while ((rc = rt_trace_reader__next(r, &e)) > 0)
		;
	CHECK_EQ(rc, -EINVAL, "cut trace fails again");
	CHECK(!strcmp(rt_trace_reader__error(r), first), "same reason after a rewind");
	rt_trace_reader__free(r);

	/* a pipe cannot go back */
	CHECK_EQ(pipe(fds), 0, "pipe");
	CHECK_EQ(write(fds[1], p, len), (ssize_t)len, "trace into the pipe");
	close(fds[1]);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fds[0]);
	r = rt_trace_reader__open(fdpath, NULL, NULL, 0);
	CHECK(r != NULL, "open a pipe");
	while ((rc = rt_trace_reader__next(r, &e)) > 0)
		;
	CHECK_EQ(rc, 0, "a pipe reads to its end");
	CHECK_EQ(rt_trace_reader__rewind(r), -ESPIPE, "a pipe cannot rewind");
	CHECK(rt_trace_reader__footer(r) != NULL, "a failed rewind leaves the reader as it was");
	rt_trace_reader__free(r);
	close(fds[0]);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_block_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_matches_spec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mem_reader, setup, teardown),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test_setup_teardown(test_truncated_every_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_multi_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flip_every_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flip_messages, setup, teardown),
		cmocka_unit_test(test_unknown_version),
		cmocka_unit_test(test_abi_mismatch),
		cmocka_unit_test(test_abi_older),
		cmocka_unit_test(test_corrupt_record),
		cmocka_unit_test(test_decompression_error),
		cmocka_unit_test(test_block_limits),
		cmocka_unit_test(test_footer_checks),
		cmocka_unit_test_setup_teardown(test_sticky_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aux_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aux_writer_matches_spec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aux_writer_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aux_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aux_flip_every_byte, setup, teardown),
		cmocka_unit_test(test_aux_entry_checks),
		cmocka_unit_test(test_aux_block_limits),
		cmocka_unit_test(test_version1),
		cmocka_unit_test_setup_teardown(test_rewind, setup, teardown),
	};

	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
