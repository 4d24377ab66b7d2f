// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the trace file module (user/trace.c): round trips through a file and through
 * memory, every truncation and every flipped byte of a small trace, and hand-built files that
 * follow docs/trace-format.md byte by byte (the spec is restated here on purpose, so a layout
 * change must touch the doc, the reader and this test together). Runs under ASan and UBSan;
 * every reader gets an exact-size heap copy, so an overread is caught.
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
#include <zlib.h>
#include "event.h"
#include "trace.h"

/* Layout from docs/trace-format.md. */
#define HDR_SIZE 72
#define BLK_HDR_SIZE 32
#define BLOCK_RECORDS 4096
#define FOOTER_FIXED 28
#define FOOTER_SIZE (FOOTER_FIXED + 8 * RT_DROP_MAX + 4)

/* not part of the format, but the writer's choice, so its output can be compared byte for byte */
#define WRITER_ZLEVEL 2

#define ERR_LEN 256

/* Named checks: a failure says which check broke and with what values. */
#define CHECK(cond, name)                                                                  \
	do {                                                                               \
		if (!(cond))                                                               \
			fail_msg("%s: '%s' is false (%s:%d)", (name), #cond, __FILE__, __LINE__); \
	} while (0)

#define CHECK_EQ(a, b, name)                                                               \
	do {                                                                               \
		long long _a = (long long)(a), _b = (long long)(b);                        \
		if (_a != _b)                                                              \
			fail_msg("%s: %s = %lld, expected %lld (%s:%d)", (name), #a, _a, _b,   \
				 __FILE__, __LINE__);                                      \
	} while (0)

#define CHECK_HAS(str, sub, name)                                                          \
	do {                                                                               \
		const char *_s = (str), *_sub = (sub);                                     \
		if (!_s || !strstr(_s, _sub))                                              \
			fail_msg("%s: \"%s\" does not contain \"%s\" (%s:%d)", (name),         \
				 _s ? _s : "(null)", _sub, __FILE__, __LINE__);            \
	} while (0)

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

static void add_footer_n(struct bytes *b, __u32 blocks, __u64 events, __u32 nlost)
{
	unsigned char fb[FOOTER_FIXED + 8 * 32 + 4];
	struct rt_trace_footer f = make_footer(events);
	size_t len = FOOTER_FIXED + 8 * (size_t)nlost;
	__u32 i;

	memcpy(fb, "RTFT", 4);
	put_le32(fb + 4, blocks);
	put_le64(fb + 8, events);
	put_le64(fb + 16, f.duration_ns);
	put_le32(fb + 24, nlost);
	for (i = 0; i < nlost; i++)
		put_le64(fb + FOOTER_FIXED + 8 * i, i < RT_DROP_MAX ? f.lost[i] : 77);
	put_le32(fb + len, crc(fb, len));
	bytes_add(b, fb, len + 4);
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

/* Walk the sections of a good trace by the spec; returns the number of blocks. */
static unsigned int count_blocks(const unsigned char *p, size_t len)
{
	size_t off = HDR_SIZE;
	unsigned int n = 0;

	while (off + 4 <= len && !memcmp(p + off, "RTBK", 4)) {
		__u32 comp_len = p[off + 16] | p[off + 17] << 8 | p[off + 18] << 16 |
				 (__u32)p[off + 19] << 24;

		off += BLK_HDR_SIZE + comp_len;
		n++;
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
			       "(this racetrace reads version 1)"),
	      "version 7 message");

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
	snprintf(want, sizeof(want), "trace records use events ABI %d, this racetrace reads ABI %d",
		 RT_EVENTS_ABI + 1, RT_EVENTS_ABI);
	CHECK(!strcmp(res.err, want), "events ABI message");
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
		cmocka_unit_test(test_corrupt_record),
		cmocka_unit_test(test_decompression_error),
		cmocka_unit_test(test_block_limits),
		cmocka_unit_test(test_footer_checks),
		cmocka_unit_test_setup_teardown(test_sticky_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_errors, setup, teardown),
	};

	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
