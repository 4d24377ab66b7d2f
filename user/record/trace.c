// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Trace files (trace.h): a checksummed header, zlib-compressed blocks of raw records, then
 * zlib-compressed blocks of auxiliary entries (mappings, call-site stacks), and a footer. The
 * writer buffers records and entries and compresses a block when it is full; the reader checks
 * every byte it hands out (checksums, lengths bounded before use, every record through
 * rt_event_decode(), every entry against its type's bounds). File and in-memory readers share
 * all code but the one read function. What the records and entries mean is left to the
 * decoder, the engine, the unwinder and the symbolizer; docs/trace-format.md has the byte
 * layout, the versioning rules and the reader's error messages.
 *
 * Every integer is written little-endian byte by byte, so files are portable and no field is
 * read through a cast pointer. On a little-endian host a record's encoding is exactly its
 * struct rt_event bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>
#include "record/event.h"
#include "lib/log.h"
#include "record/trace.h"
#include "lib/util.h"

#define RT_TRACE_MAGIC "RTTRACE\n"
#define RT_TRACE_MAGIC_LEN 8
#define RT_TRACE_BLOCK_MAGIC "RTBK"
#define RT_TRACE_AUX_MAGIC "RTAX"
#define RT_TRACE_FOOTER_MAGIC "RTFT"
#define RT_TRACE_SECTION_MAGIC_LEN 4

#define RT_TRACE_HDR_SIZE 72
#define RT_TRACE_BLOCK_HDR_SIZE 32
/*
 * footer: fixed part, then lost[nlost] (u64 each), then the crc32. Version 2 added the aux
 * counts after nlost.
 */
#define RT_TRACE_FOOTER_FIXED_V1 28
#define RT_TRACE_FOOTER_FIXED 40
#define RT_TRACE_MAX_LOST 16
#define RT_TRACE_FOOTER_MAX (RT_TRACE_FOOTER_FIXED + 8 * RT_TRACE_MAX_LOST + 4)

/*
 * Block limits. The reader bounds every length in a block header by these before it allocates
 * or reads; RT_TRACE_MAX_COMP is above zlib's compressBound(RT_TRACE_MAX_RAW) (295015).
 */
#define RT_TRACE_BLOCK_RECORDS 4096
#define RT_TRACE_MAX_RAW (RT_TRACE_BLOCK_RECORDS * RT_EVENT_SIZE)
#define RT_TRACE_MAX_COMP (RT_TRACE_MAX_RAW + RT_TRACE_MAX_RAW / 256 + 64)

/*
 * Aux block limits, the same way: RT_TRACE_AUX_MAX_COMP is above compressBound(262144)
 * (262237). An entry is an 8-byte header (type, len) and len bytes; the smallest is 8 bytes,
 * so a block holds at most RT_TRACE_AUX_MAX_RAW / 8 entries.
 */
#define RT_TRACE_AUX_MAX_RAW (256 * 1024)
#define RT_TRACE_AUX_ENTRY_HDR 8
#define RT_TRACE_AUX_MAX_ENTRIES (RT_TRACE_AUX_MAX_RAW / RT_TRACE_AUX_ENTRY_HDR)
#define RT_TRACE_AUX_MAX_COMP (RT_TRACE_AUX_MAX_RAW + RT_TRACE_AUX_MAX_RAW / 256 + 64)
/* payloads: a mapping is 36 fixed bytes and its path, a stack 16 bytes and 8 per frame */
#define RT_TRACE_MAP_FIXED 36
#define RT_TRACE_MAP_MIN (RT_TRACE_MAP_FIXED + 1)
#define RT_TRACE_MAP_MAX (RT_TRACE_MAP_FIXED + RT_TRACE_MAX_PATH)
#define RT_TRACE_STACK_FIXED 16
#define RT_TRACE_STACK_MAX (RT_TRACE_STACK_FIXED + 8 * RT_TRACE_MAX_FRAMES)

/*
 * The writer runs on the live path. On record blocks level 2 is as fast as level 1 (about
 * 0.8 ms per full block) and 15% to 70% smaller; level 6 takes four times as long. The level
 * is not part of the format: the reader takes any zlib stream.
 */
#define RT_TRACE_ZLEVEL 2

#define RT_TRACE_ERR_LEN 256

_Static_assert(RT_DROP_MAX <= RT_TRACE_MAX_LOST, "footer holds every drop counter");
_Static_assert(RT_TRACE_AUX_MAX_COMP <= RT_TRACE_MAX_COMP, "aux blocks fit the writer's buffer");
_Static_assert(RT_TRACE_AUX_ENTRY_HDR + RT_TRACE_MAP_MAX <= RT_TRACE_AUX_MAX_RAW,
	       "the largest entry fits a block");
_Static_assert(sizeof(struct rt_event) == RT_EVENT_SIZE, "rt_event size");
_Static_assert(offsetof(struct rt_event, h.stack_id) == 4, "rt_hdr.stack_id offset");
_Static_assert(offsetof(struct rt_event, h.goid) == 24, "rt_hdr.goid offset");
_Static_assert(offsetof(struct rt_event, obj) == 32, "rt_event.obj offset");
_Static_assert(offsetof(struct rt_event, ret) == 64, "rt_event.ret offset");

struct rt_trace_writer {
	FILE *f;
	unsigned char *raw;  /* RT_TRACE_MAX_RAW bytes: encoded records of the open block */
	unsigned char *aux;  /* RT_TRACE_AUX_MAX_RAW bytes: encoded entries of the open aux block */
	unsigned char *comp; /* comp_cap bytes: compressed block */
	size_t comp_cap;
	__u32 nraw;	     /* records in raw */
	__u32 blocks;	     /* blocks written */
	__u64 events;	     /* records accepted */
	size_t aux_len;	     /* bytes in aux */
	__u32 naux;	     /* entries in aux */
	__u32 aux_blocks;    /* aux blocks written */
	__u64 aux_entries;   /* entries accepted */
	bool in_aux;	     /* an entry was added: the records are over */
	int err;	     /* first write error; sticky */
};

enum reader_state { RD_OK, RD_END, RD_ERR };

/* What the reader's next step gives: ITEM_END is rt_trace_reader__next()'s 0. */
enum item { ITEM_END = 0, ITEM_RECORD, ITEM_AUX, ITEM_SKIP };

struct rt_trace_reader {
	FILE *f;		  /* file source, or NULL for memory */
	const unsigned char *mem; /* memory source */
	size_t mem_len;
	__u32 version;		  /* of the file, from the header */
	__u64 off;		  /* offset of the next unread byte */
	unsigned char *raw;	  /* decompressed records or entries of the current block */
	unsigned char *comp;
	size_t raw_cap, comp_cap;
	__u32 nrec;		  /* records in the current block */
	__u32 pos;		  /* next record of the current block to hand out */
	__u32 blocks;		  /* blocks read */
	__u64 events;		  /* records handed out */
	struct rt_event ev;	  /* the record last handed out */
	__u64 aux_start;	  /* offset of the current aux block */
	__u32 naux;		  /* entries in the current aux block */
	__u32 aux_pos;		  /* next entry of the current aux block */
	size_t aux_off;		  /* its offset in raw */
	size_t aux_len;		  /* bytes of entries in raw */
	__u32 aux_blocks;	  /* aux blocks read */
	__u64 aux_entries;	  /* entries read, handed out or skipped */
	struct rt_trace_aux aux;  /* the entry last handed out */
	char path[RT_TRACE_MAX_PATH + 1]; /* its path */
	struct rt_trace_footer footer;
	enum reader_state state;
	z_stream zs;		  /* raw inflate, made at the first block (zs_ready) */
	bool zs_ready;
	int err_code;		  /* negative errno once state is RD_ERR */
	char err[RT_TRACE_ERR_LEN];
};

static void put_le16(unsigned char *p, __u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}

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

static __u16 get_le16(const unsigned char *p)
{
	return (__u16)(p[0] | p[1] << 8);
}

static __u32 get_le32(const unsigned char *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24;
}

static __u64 get_le64(const unsigned char *p)
{
	return (__u64)get_le32(p) | (__u64)get_le32(p + 4) << 32;
}

static __u32 crc_of(const void *p, size_t n)
{
	return (__u32)crc32(0, p, (uInt)n);
}

/* A record's encoding follows struct rt_event field by field (offsets pinned above). */
static void event_encode(unsigned char *p, const struct rt_event *e)
{
	put_le16(p + 0, e->h.type);
	put_le16(p + 2, e->h.flags);
	put_le32(p + 4, (__u32)e->h.stack_id);
	put_le32(p + 8, e->h.tid);
	put_le32(p + 12, e->h.tgid);
	put_le64(p + 16, e->h.ktime);
	put_le64(p + 24, e->h.goid);
	put_le64(p + 32, e->obj);
	put_le64(p + 40, e->obj2);
	put_le64(p + 48, e->caller);
	put_le64(p + 56, e->arg);
	put_le64(p + 64, (__u64)e->ret);
}

static void event_unpack(struct rt_event *e, const unsigned char *p)
{
	e->h.type = get_le16(p + 0);
	e->h.flags = get_le16(p + 2);
	e->h.stack_id = (__s32)get_le32(p + 4);
	e->h.tid = get_le32(p + 8);
	e->h.tgid = get_le32(p + 12);
	e->h.ktime = get_le64(p + 16);
	e->h.goid = get_le64(p + 24);
	e->obj = get_le64(p + 32);
	e->obj2 = get_le64(p + 40);
	e->caller = get_le64(p + 48);
	e->arg = get_le64(p + 56);
	e->ret = (__s64)get_le64(p + 64);
}

/* ---- writer ---- */

static int write_all(struct rt_trace_writer *w, const void *p, size_t n)
{
	errno = 0;
	if (fwrite(p, 1, n, w->f) != n)
		return errno ? -errno : -EIO;
	return 0;
}

static int writer_put_header(struct rt_trace_writer *w, const struct rt_trace_info *info)
{
	unsigned char h[RT_TRACE_HDR_SIZE] = { 0 };

	memcpy(h, RT_TRACE_MAGIC, RT_TRACE_MAGIC_LEN);
	put_le32(h + 8, RT_TRACE_VERSION);
	/* the records are this build's struct rt_event, whatever the caller filled in */
	put_le32(h + 12, RT_EVENTS_ABI);
	put_le32(h + 16, RT_EVENT_SIZE);
	put_le32(h + 20, info->pid);
	put_le64(h + 24, info->ktime_base);
	put_le64(h + 32, info->realtime_base_ns);
	put_le64(h + 40, info->probe_mask);
	memcpy(h + 48, info->comm, strnlen(info->comm, RT_TRACE_COMM_LEN - 1));
	/* h + 64: flags, none defined */
	put_le32(h + 68, crc_of(h, 68));
	return write_all(w, h, sizeof(h));
}

/*
 * Compress raw and write it as one block (records or aux entries: same header layout).
 * 0 or -errno.
 */
static int writer_put_block(struct rt_trace_writer *w, const char *magic, __u32 seq,
			    __u32 count, const unsigned char *raw, size_t raw_len, size_t max_comp)
{
	unsigned char bh[RT_TRACE_BLOCK_HDR_SIZE];
	uLongf comp_len = w->comp_cap;
	int err;

	/* comp holds compressBound(RT_TRACE_MAX_RAW), so only Z_MEM_ERROR is possible */
	if (compress2(w->comp, &comp_len, raw, raw_len, RT_TRACE_ZLEVEL) != Z_OK)
		return -ENOMEM;
	if (comp_len > max_comp) {
		rt_err("BUG: trace block compressed to %lu bytes, above %zu",
		       (unsigned long)comp_len, max_comp);
		return -EINVAL;
	}
	memcpy(bh, magic, RT_TRACE_SECTION_MAGIC_LEN);
	put_le32(bh + 4, seq);
	put_le32(bh + 8, count);
	put_le32(bh + 12, (__u32)raw_len);
	put_le32(bh + 16, (__u32)comp_len);
	put_le32(bh + 20, crc_of(raw, raw_len));
	put_le32(bh + 24, crc_of(w->comp, comp_len));
	put_le32(bh + 28, crc_of(bh, 28));
	err = write_all(w, bh, sizeof(bh));
	if (!err)
		err = write_all(w, w->comp, comp_len);
	return err;
}

/* Compress and write the open block, if it holds any record. 0 or -errno. */
static int writer_flush_block(struct rt_trace_writer *w)
{
	int err;

	if (!w->nraw)
		return 0;
	err = writer_put_block(w, RT_TRACE_BLOCK_MAGIC, w->blocks, w->nraw, w->raw,
			       (size_t)w->nraw * RT_EVENT_SIZE, RT_TRACE_MAX_COMP);
	if (err)
		return err;
	w->blocks++;
	w->nraw = 0;
	return 0;
}

/* Compress and write the open aux block, if it holds any entry. 0 or -errno. */
static int writer_flush_aux(struct rt_trace_writer *w)
{
	int err;

	if (!w->naux)
		return 0;
	err = writer_put_block(w, RT_TRACE_AUX_MAGIC, w->aux_blocks, w->naux, w->aux, w->aux_len,
			       RT_TRACE_AUX_MAX_COMP);
	if (err)
		return err;
	w->aux_blocks++;
	w->naux = 0;
	w->aux_len = 0;
	return 0;
}

static int writer_put_footer(struct rt_trace_writer *w, const struct rt_trace_footer *f)
{
	unsigned char fb[RT_TRACE_FOOTER_MAX];
	size_t len = RT_TRACE_FOOTER_FIXED + 8 * RT_DROP_MAX, i;

	memcpy(fb, RT_TRACE_FOOTER_MAGIC, RT_TRACE_SECTION_MAGIC_LEN);
	put_le32(fb + 4, w->blocks);
	/* the writer's own counts, so the footer always matches the blocks */
	put_le64(fb + 8, w->events);
	put_le64(fb + 16, f ? f->duration_ns : 0);
	put_le32(fb + 24, RT_DROP_MAX);
	put_le32(fb + 28, w->aux_blocks);
	put_le64(fb + 32, w->aux_entries);
	for (i = 0; i < RT_DROP_MAX; i++)
		put_le64(fb + RT_TRACE_FOOTER_FIXED + 8 * i, f ? f->lost[i] : 0);
	put_le32(fb + len, crc_of(fb, len));
	return write_all(w, fb, len + 4);
}

struct rt_trace_writer *rt_trace_writer__open(const char *path, const struct rt_trace_info *info)
{
	struct rt_trace_writer *w = NULL;
	int err = 0;

	if (!path || !info) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		err = -ENOMEM;
		goto cleanup;
	}
	w->comp_cap = compressBound(RT_TRACE_MAX_RAW);
	w->raw = malloc(RT_TRACE_MAX_RAW);
	w->aux = malloc(RT_TRACE_AUX_MAX_RAW);
	w->comp = malloc(w->comp_cap);
	if (!w->raw || !w->aux || !w->comp) {
		err = -ENOMEM;
		goto cleanup;
	}
	w->f = fopen(path, "wb");
	if (!w->f) {
		err = -errno;
		goto cleanup;
	}
	err = writer_put_header(w, info);

cleanup:
	if (err && w) {
		if (w->f)
			fclose(w->f);
		free(w->comp);
		free(w->aux);
		free(w->raw);
		free(w);
		w = NULL;
	}
	if (err)
		errno = -err;
	return w;
}

int rt_trace_writer__add(struct rt_trace_writer *w, const struct rt_event *e)
{
	const char *why;

	if (!w || !e)
		return -EINVAL;
	if (w->err)
		return w->err;
	/* never write a record the reader would reject; records come before aux entries */
	if (w->in_aux || !rt_event_decode(e, sizeof(*e), &why))
		return -EINVAL;
	event_encode(w->raw + (size_t)w->nraw * RT_EVENT_SIZE, e);
	w->nraw++;
	w->events++;
	if (w->nraw == RT_TRACE_BLOCK_RECORDS)
		w->err = writer_flush_block(w);
	return w->err;
}

/*
 * Append one entry of type whose payload is p (plen bytes) then tail (tail_len bytes: a
 * mapping's path), within the type's bounds: the callers check. The first entry writes the
 * open record block. 0 or the sticky -errno.
 */
static int writer_add_aux(struct rt_trace_writer *w, __u32 type, const unsigned char *p,
			  size_t plen, const char *tail, size_t tail_len)
{
	size_t len = RT_TRACE_AUX_ENTRY_HDR + plen + tail_len;
	unsigned char *q;

	if (w->err)
		return w->err;
	if (!w->in_aux) {
		w->err = writer_flush_block(w);
		if (w->err)
			return w->err;
		w->in_aux = true;
	}
	if (w->aux_len + len > RT_TRACE_AUX_MAX_RAW || w->naux == RT_TRACE_AUX_MAX_ENTRIES) {
		w->err = writer_flush_aux(w);
		if (w->err)
			return w->err;
	}
	q = w->aux + w->aux_len;
	put_le32(q, type);
	put_le32(q + 4, (__u32)(plen + tail_len));
	memcpy(q + RT_TRACE_AUX_ENTRY_HDR, p, plen);
	if (tail_len)
		memcpy(q + RT_TRACE_AUX_ENTRY_HDR + plen, tail, tail_len);
	w->aux_len += len;
	w->naux++;
	w->aux_entries++;
	return 0;
}

int rt_trace_writer__add_mapping(struct rt_trace_writer *w, __u32 pid, __u64 start, __u64 end,
				 __u64 off, __u64 seen, const char *path)
{
	unsigned char p[RT_TRACE_MAP_FIXED];
	size_t path_len;

	if (!w || !path)
		return -EINVAL;
	if (w->err)
		return w->err;
	/* never write an entry the reader would reject */
	path_len = strnlen(path, RT_TRACE_MAX_PATH + 1);
	if (!pid || start >= end || !path_len || path_len > RT_TRACE_MAX_PATH)
		return -EINVAL;
	put_le32(p, pid);
	put_le64(p + 4, start);
	put_le64(p + 12, end);
	put_le64(p + 20, off);
	put_le64(p + 28, seen);
	return writer_add_aux(w, RT_TRACE_AUX_MAPPING, p, sizeof(p), path, path_len);
}

int rt_trace_writer__add_stack(struct rt_trace_writer *w, __u32 pid, __u64 site,
			       const __u64 *pcs, __u32 n)
{
	unsigned char p[RT_TRACE_STACK_MAX];
	__u32 i;

	if (!w || !pcs)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (!pid || !site || n < 1 || n > RT_TRACE_MAX_FRAMES || pcs[0] != site)
		return -EINVAL;
	put_le32(p, pid);
	put_le32(p + 4, n);
	put_le64(p + 8, site);
	for (i = 0; i < n; i++)
		put_le64(p + RT_TRACE_STACK_FIXED + 8 * i, pcs[i]);
	return writer_add_aux(w, RT_TRACE_AUX_STACK, p, RT_TRACE_STACK_FIXED + 8 * (size_t)n, NULL,
			      0);
}

/*
 * The footer's events and aux counts are the writer's own counts of accepted records and
 * entries; f->events is not used. f may be NULL (no drops, no duration).
 */
int rt_trace_writer__close(struct rt_trace_writer *w, const struct rt_trace_footer *f)
{
	int err;

	if (!w)
		return -EINVAL;
	err = w->err;
	if (!err)
		err = writer_flush_block(w);
	if (!err)
		err = writer_flush_aux(w);
	if (!err)
		err = writer_put_footer(w, f);
	errno = 0;
	if (fclose(w->f) && !err)
		err = errno ? -errno : -EIO;
	free(w->comp);
	free(w->aux);
	free(w->raw);
	free(w);
	return err;
}

/* ---- reader ---- */

__attribute__((format(printf, 3, 4)))
static int fail(struct rt_trace_reader *r, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	r->state = RD_ERR;
	r->err_code = code;
	return code;
}

/* "corrupt <what> at offset <off>: <reason>"; returns -EINVAL. */
__attribute__((format(printf, 4, 5)))
static int corrupt(struct rt_trace_reader *r, const char *what, unsigned long long off,
		   const char *fmt, ...)
{
	char why[RT_TRACE_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return fail(r, -EINVAL, "corrupt %s at offset %llu: %s", what, off, why);
}

/*
 * The one source-specific function: read up to n bytes at r->off into buf. Returns the count
 * read (short only at the end of the data) or -EIO with the reason set.
 */
static ssize_t src_read(struct rt_trace_reader *r, void *buf, size_t n)
{
	size_t got;

	if (r->f) {
		got = fread(buf, 1, n, r->f);
		if (got < n && ferror(r->f))
			return fail(r, -EIO, "read error at byte %llu: %s",
				    (unsigned long long)(r->off + got),
				    strerror(errno ? errno : EIO));
	} else {
		got = RT_MIN(n, r->mem_len - (size_t)r->off);
		if (got)
			memcpy(buf, r->mem + r->off, got);
	}
	r->off += got;
	return (ssize_t)got;
}

/* Read exactly n bytes of the section that starts at start; less is a truncated trace. */
static int read_exact(struct rt_trace_reader *r, void *buf, size_t n, __u64 start,
		      const char *what)
{
	ssize_t got = src_read(r, buf, n);

	if (got < 0)
		return (int)got;
	if ((size_t)got < n)
		return fail(r, -EINVAL,
			    "trace truncated at byte %llu: %s at offset %llu is incomplete",
			    (unsigned long long)r->off, what, (unsigned long long)start);
	return 0;
}

static int buf_reserve(unsigned char **p, size_t *cap, size_t n)
{
	unsigned char *np;

	if (n <= *cap)
		return 0;
	np = realloc(*p, n);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = n;
	return 0;
}

static int read_header(struct rt_trace_reader *r, struct rt_trace_info *info)
{
	unsigned char h[RT_TRACE_HDR_SIZE];
	__u32 version, abi, rec_size, flags;
	ssize_t got;

	got = src_read(r, h, sizeof(h));
	if (got < 0)
		return (int)got;
	if (got == 0)
		return fail(r, -EINVAL, "empty file, not a racetrace trace file");
	if (memcmp(h, RT_TRACE_MAGIC, RT_MIN((size_t)got, RT_TRACE_MAGIC_LEN)))
		return fail(r, -EINVAL, "not a racetrace trace file");
	/* the version sits right after the magic in every version: check it first */
	if (got < 12)
		return fail(r, -EINVAL, "trace truncated at byte %zd: header is incomplete", got);
	version = get_le32(h + 8);
	if (version < RT_TRACE_VERSION_MIN || version > RT_TRACE_VERSION)
		return fail(r, -EINVAL, "trace format version %u is not supported "
			    "(this racetrace reads versions %d to %d)", version,
			    RT_TRACE_VERSION_MIN, RT_TRACE_VERSION);
	if ((size_t)got < sizeof(h))
		return fail(r, -EINVAL, "trace truncated at byte %zd: header is incomplete", got);
	if (crc_of(h, 68) != get_le32(h + 68))
		return fail(r, -EINVAL, "corrupt header: checksum mismatch");
	abi = get_le32(h + 12);
	if (abi < RT_EVENTS_ABI_MIN || abi > RT_EVENTS_ABI)
		return fail(r, -EINVAL,
			    "trace records use events ABI %u, this racetrace reads ABI %d to %d",
			    abi, RT_EVENTS_ABI_MIN, RT_EVENTS_ABI);
	rec_size = get_le32(h + 16);
	if (rec_size != RT_EVENT_SIZE)
		return fail(r, -EINVAL, "corrupt header: record size %u, expected %d", rec_size,
			    RT_EVENT_SIZE);
	flags = get_le32(h + 64);
	if (flags)
		return fail(r, -EINVAL, "corrupt header: unknown flags 0x%x", flags);
	if (!memchr(h + 48, 0, RT_TRACE_COMM_LEN))
		return fail(r, -EINVAL, "corrupt header: comm is not NUL-terminated");

	r->version = version;
	memset(info, 0, sizeof(*info));
	info->pid = get_le32(h + 20);
	info->events_abi = abi;
	info->ktime_base = get_le64(h + 24);
	info->realtime_base_ns = get_le64(h + 32);
	info->probe_mask = get_le64(h + 40);
	memcpy(info->comm, h + 48, RT_TRACE_COMM_LEN);
	return 0;
}

/*
 * The footer's magic (at start) is read already. Checks it and the end of the data. Version 1
 * has no aux counts: its drop counters start at byte 28.
 */
static int read_footer(struct rt_trace_reader *r, __u64 start)
{
	size_t fixed = r->version >= 2 ? RT_TRACE_FOOTER_FIXED : RT_TRACE_FOOTER_FIXED_V1;
	unsigned char fb[RT_TRACE_FOOTER_MAX];
	unsigned long long off = start;
	__u32 blocks, nlost, i, aux_blocks = 0;
	__u64 events, aux_entries = 0;
	unsigned char extra;
	size_t len;
	ssize_t got;
	int err;

	memcpy(fb, RT_TRACE_FOOTER_MAGIC, RT_TRACE_SECTION_MAGIC_LEN);
	err = read_exact(r, fb + 4, fixed - 4, start, "footer");
	if (err)
		return err;
	nlost = get_le32(fb + 24);
	if (nlost > RT_TRACE_MAX_LOST)
		return corrupt(r, "footer", off, "%u drop counters, at most %d", nlost,
			       RT_TRACE_MAX_LOST);
	len = fixed + 8 * (size_t)nlost;
	err = read_exact(r, fb + fixed, len + 4 - fixed, start, "footer");
	if (err)
		return err;
	if (crc_of(fb, len) != get_le32(fb + len))
		return corrupt(r, "footer", off, "checksum mismatch");
	blocks = get_le32(fb + 4);
	events = get_le64(fb + 8);
	if (r->version >= 2) {
		aux_blocks = get_le32(fb + 28);
		aux_entries = get_le64(fb + 32);
	}
	if (blocks != r->blocks)
		return corrupt(r, "footer", off, "says %u blocks, file holds %u", blocks,
			       r->blocks);
	if (events != r->events)
		return corrupt(r, "footer", off, "says %llu records, file holds %llu",
			       (unsigned long long)events, (unsigned long long)r->events);
	if (aux_blocks != r->aux_blocks)
		return corrupt(r, "footer", off, "says %u aux blocks, file holds %u", aux_blocks,
			       r->aux_blocks);
	if (aux_entries != r->aux_entries)
		return corrupt(r, "footer", off, "says %llu aux entries, file holds %llu",
			       (unsigned long long)aux_entries,
			       (unsigned long long)r->aux_entries);
	got = src_read(r, &extra, 1);
	if (got < 0)
		return (int)got;
	if (got)
		return fail(r, -EINVAL, "trailing data after the footer at offset %llu",
			    (unsigned long long)(r->off - 1));

	memset(&r->footer, 0, sizeof(r->footer));
	r->footer.events = events;
	r->footer.duration_ns = get_le64(fb + 16);
	/* counters of reasons this build does not know are dropped; missing ones stay 0 */
	for (i = 0; i < nlost && i < RT_DROP_MAX; i++)
		r->footer.lost[i] = get_le64(fb + fixed + 8 * i);
	r->state = RD_END;
	return 0;
}

/*
 * Inflate the zlib stream (RFC 1950) src[0..slen) into dst[0..dlen). Its Adler-32 is not
 * computed (a sixth of `racetrace report`'s instructions): the block's crc32 of the
 * inflated bytes, checked next, covers the same bytes. Z_OK with *used and *made set (the
 * caller compares them with slen and dlen), or a zlib error.
 */
static int inflate_zlib(struct rt_trace_reader *r, const unsigned char *src, uLong slen,
			unsigned char *dst, uLong dlen, uLong *used, uLong *made)
{
	int zerr;

	*used = *made = 0;
	/* the header: deflate (CM 8), a window of at most 32 KiB, no dictionary, FCHECK */
	if (slen < 6 || (src[0] & 0x0f) != 8 || (src[0] >> 4) > 7 || (src[1] & 0x20) ||
	    ((unsigned)src[0] << 8 | src[1]) % 31)
		return Z_DATA_ERROR;
	if (!r->zs_ready) {
		memset(&r->zs, 0, sizeof(r->zs));
		zerr = inflateInit2(&r->zs, -15);
		if (zerr != Z_OK)
			return zerr;
		r->zs_ready = true;
	} else if (inflateReset(&r->zs) != Z_OK) {
		return Z_STREAM_ERROR;
	}
	r->zs.next_in = (Bytef *)src + 2;
	r->zs.avail_in = slen - 2;
	r->zs.next_out = dst;
	r->zs.avail_out = dlen;
	zerr = inflate(&r->zs, Z_FINISH);
	*made = dlen - r->zs.avail_out;
	*used = 2 + (slen - 2 - r->zs.avail_in);
	if (zerr == Z_STREAM_END) {
		/* the Adler-32 trailer follows the deflate data: 4 bytes, not checked */
		*used = *used + 4 <= slen ? *used + 4 : slen + 1;
		return Z_OK;
	}
	/* out of input or output before the end: the lengths tell which */
	return zerr == Z_BUF_ERROR || zerr == Z_OK ? Z_OK : zerr;
}

/*
 * The rest of a block whose first 4 bytes (bh, at off) are read: the header, then the
 * compressed data into r->comp and the inflated data into r->raw. what names the block in
 * messages. A record block (exact) holds count * unit bytes; an aux block at least unit bytes
 * per entry and at most max_raw. Every length is checked before anything is allocated or
 * read. Returns 0 with *count and *raw_len set, or a negative errno with the reason set.
 */
static int read_block(struct rt_trace_reader *r, unsigned char *bh, unsigned long long off,
		      const char *what, __u32 seq_want, __u32 max_count, __u32 unit, bool exact,
		      __u32 max_raw, __u32 max_comp, __u32 *count, __u32 *raw_len)
{
	__u32 seq, comp_len;
	uLong dlen, slen;
	int err, zerr;

	err = read_exact(r, bh + RT_TRACE_SECTION_MAGIC_LEN,
			 RT_TRACE_BLOCK_HDR_SIZE - RT_TRACE_SECTION_MAGIC_LEN, off, what);
	if (err)
		return err;
	if (crc_of(bh, 28) != get_le32(bh + 28))
		return corrupt(r, what, off, "checksum mismatch (header)");
	seq = get_le32(bh + 4);
	*count = get_le32(bh + 8);
	*raw_len = get_le32(bh + 12);
	comp_len = get_le32(bh + 16);
	if (seq != seq_want)
		return corrupt(r, what, off, "sequence number %u, expected %u", seq, seq_want);
	if (*count == 0 || *count > max_count)
		return corrupt(r, what, off, "%u %s, expected 1..%u", *count,
			       exact ? "records" : "entries", max_count);
	/* records: exactly count * unit bytes; entries: at least unit bytes each, at most max */
	if (exact ? *raw_len != *count * unit :
		    *raw_len < (__u64)*count * unit || *raw_len > max_raw)
		return corrupt(r, what, off, "%u bytes for %u %s", *raw_len, *count,
			       exact ? "records" : "entries");
	if (comp_len == 0 || comp_len > max_comp)
		return corrupt(r, what, off, "compressed length %u, expected 1..%u", comp_len,
			       max_comp);

	if (buf_reserve(&r->comp, &r->comp_cap, comp_len) ||
	    buf_reserve(&r->raw, &r->raw_cap, *raw_len))
		return fail(r, -ENOMEM, "out of memory reading %s at offset %llu", what, off);
	err = read_exact(r, r->comp, comp_len, off, what);
	if (err)
		return err;
	if (crc_of(r->comp, comp_len) != get_le32(bh + 24))
		return corrupt(r, what, off, "checksum mismatch (compressed data)");
	zerr = inflate_zlib(r, r->comp, comp_len, r->raw, *raw_len, &slen, &dlen);
	if (zerr == Z_MEM_ERROR)
		return fail(r, -ENOMEM, "out of memory reading %s at offset %llu", what, off);
	if (zerr != Z_OK)
		return corrupt(r, what, off, "decompression failed (zlib: %s)", zError(zerr));
	if (dlen != *raw_len || slen != comp_len)
		return corrupt(r, what, off,
			       "decompression failed (%lu of %u bytes used, %lu of %u made)",
			       (unsigned long)slen, comp_len, (unsigned long)dlen, *raw_len);
	if (crc_of(r->raw, *raw_len) != get_le32(bh + 20))
		return corrupt(r, what, off, "checksum mismatch (%s)",
			       exact ? "records" : "entries");
	return 0;
}

/*
 * Read the next section: load a record block or an aux block into r->raw, or read the footer
 * (state RD_END). Aux blocks (version 2 on) follow every record block.
 */
static int read_section(struct rt_trace_reader *r)
{
	unsigned char bh[RT_TRACE_BLOCK_HDR_SIZE];
	unsigned long long off = r->off;
	__u32 count, raw_len;
	ssize_t got;
	int err;

	got = src_read(r, bh, RT_TRACE_SECTION_MAGIC_LEN);
	if (got < 0)
		return (int)got;
	if (got == 0)
		return fail(r, -EINVAL, "trace truncated at byte %llu: no footer", off);
	if (got < RT_TRACE_SECTION_MAGIC_LEN)
		return fail(r, -EINVAL,
			    "trace truncated at byte %llu: block at offset %llu is incomplete",
			    (unsigned long long)r->off, off);
	if (!memcmp(bh, RT_TRACE_FOOTER_MAGIC, RT_TRACE_SECTION_MAGIC_LEN))
		return read_footer(r, off);
	if (r->version >= 2 && !memcmp(bh, RT_TRACE_AUX_MAGIC, RT_TRACE_SECTION_MAGIC_LEN)) {
		err = read_block(r, bh, off, "aux block", r->aux_blocks, RT_TRACE_AUX_MAX_ENTRIES,
				 RT_TRACE_AUX_ENTRY_HDR, false, RT_TRACE_AUX_MAX_RAW,
				 RT_TRACE_AUX_MAX_COMP, &count, &raw_len);
		if (err)
			return err;
		r->aux_start = off;
		r->naux = count;
		r->aux_pos = 0;
		r->aux_off = 0;
		r->aux_len = raw_len;
		r->aux_blocks++;
		return 0;
	}
	if (memcmp(bh, RT_TRACE_BLOCK_MAGIC, RT_TRACE_SECTION_MAGIC_LEN))
		return corrupt(r, "block", off, "bad magic");
	if (r->aux_blocks)
		return corrupt(r, "block", off, "record block after the aux blocks");
	err = read_block(r, bh, off, "block", r->blocks, RT_TRACE_BLOCK_RECORDS, RT_EVENT_SIZE,
			 true, RT_TRACE_MAX_RAW, RT_TRACE_MAX_COMP, &count, &raw_len);
	if (err)
		return err;
	r->nrec = count;
	r->pos = 0;
	r->blocks++;
	return 0;
}

/* "corrupt aux entry <E>: <reason>", E counting from 0 at the first entry of the file. */
__attribute__((format(printf, 2, 3)))
static int bad_entry(struct rt_trace_reader *r, const char *fmt, ...)
{
	char why[RT_TRACE_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return fail(r, -EINVAL, "corrupt aux entry %llu: %s", (unsigned long long)r->aux_entries,
		    why);
}

static int parse_mapping(struct rt_trace_reader *r, const unsigned char *p, __u32 len)
{
	struct rt_trace_mapping *m = &r->aux.map;
	size_t path_len;

	if (len < RT_TRACE_MAP_MIN || len > RT_TRACE_MAP_MAX)
		return bad_entry(r, "mapping of %u bytes, expected %d..%d", len, RT_TRACE_MAP_MIN,
				 RT_TRACE_MAP_MAX);
	path_len = len - RT_TRACE_MAP_FIXED;
	m->pid = get_le32(p);
	m->start = get_le64(p + 4);
	m->end = get_le64(p + 12);
	m->off = get_le64(p + 20);
	m->seen = get_le64(p + 28);
	if (!m->pid)
		return bad_entry(r, "mapping of pid 0");
	if (m->start >= m->end)
		return bad_entry(r, "mapping of an empty range");
	if (memchr(p + RT_TRACE_MAP_FIXED, 0, path_len))
		return bad_entry(r, "mapping path holds a NUL byte");
	memcpy(r->path, p + RT_TRACE_MAP_FIXED, path_len);
	r->path[path_len] = '\0';
	m->path = r->path;
	return 0;
}

static int parse_stack(struct rt_trace_reader *r, const unsigned char *p, __u32 len)
{
	struct rt_trace_stack *st = &r->aux.stack;
	__u32 i;

	if (len < RT_TRACE_STACK_FIXED + 8 || len > RT_TRACE_STACK_MAX)
		return bad_entry(r, "stack of %u bytes, expected %d..%d", len,
				 RT_TRACE_STACK_FIXED + 8, RT_TRACE_STACK_MAX);
	st->pid = get_le32(p);
	st->n = get_le32(p + 4);
	st->site = get_le64(p + 8);
	if (st->n < 1 || st->n > RT_TRACE_MAX_FRAMES)
		return bad_entry(r, "stack of %u frames, expected 1..%d", st->n,
				 RT_TRACE_MAX_FRAMES);
	if (len != RT_TRACE_STACK_FIXED + 8 * st->n)
		return bad_entry(r, "stack of %u bytes for %u frames", len, st->n);
	if (!st->pid)
		return bad_entry(r, "stack of pid 0");
	if (!st->site)
		return bad_entry(r, "stack of site 0");
	for (i = 0; i < st->n; i++)
		st->pcs[i] = get_le64(p + RT_TRACE_STACK_FIXED + 8 * i);
	if (st->pcs[0] != st->site)
		return bad_entry(r, "stack does not start at its site");
	return 0;
}

/*
 * The next entry of the current aux block into r->aux: ITEM_AUX, ITEM_SKIP for an entry of a
 * type this build does not know, or a negative errno.
 */
static int next_entry(struct rt_trace_reader *r)
{
	size_t left = r->aux_len - r->aux_off;
	const unsigned char *p = r->raw + r->aux_off;
	__u32 type, len;
	int err = 0;

	if (left < RT_TRACE_AUX_ENTRY_HDR)
		return bad_entry(r, "header past the end of its block");
	type = get_le32(p);
	len = get_le32(p + 4);
	if (len > left - RT_TRACE_AUX_ENTRY_HDR)
		return bad_entry(r, "%u bytes past the end of its block", len);
	p += RT_TRACE_AUX_ENTRY_HDR;
	memset(&r->aux, 0, sizeof(r->aux));
	r->aux.type = type;
	switch (type) {
	case 0:
		return bad_entry(r, "type 0");
	case RT_TRACE_AUX_MAPPING:
		err = parse_mapping(r, p, len);
		break;
	case RT_TRACE_AUX_STACK:
		err = parse_stack(r, p, len);
		break;
	default:
		break;
	}
	if (err)
		return err;
	r->aux_off += RT_TRACE_AUX_ENTRY_HDR + (size_t)len;
	r->aux_pos++;
	r->aux_entries++;
	if (r->aux_pos == r->naux && r->aux_off != r->aux_len)
		return corrupt(r, "aux block", r->aux_start, "%zu bytes after the last entry",
			       r->aux_len - r->aux_off);
	return type == RT_TRACE_AUX_MAPPING || type == RT_TRACE_AUX_STACK ? ITEM_AUX : ITEM_SKIP;
}

/*
 * The next record or entry, reading sections as needed: ITEM_RECORD (in r->ev), ITEM_AUX (in
 * r->aux), ITEM_END at the clean end, or a negative errno. Errors are sticky.
 */
static int next_item(struct rt_trace_reader *r)
{
	const char *why;
	int ret;

	for (;;) {
		if (r->state == RD_ERR)
			return r->err_code;
		if (r->state == RD_END)
			return ITEM_END;
		if (r->pos < r->nrec) {
			event_unpack(&r->ev, r->raw + (size_t)r->pos * RT_EVENT_SIZE);
			if (!rt_event_decode(&r->ev, sizeof(r->ev), &why))
				return fail(r, -EINVAL, "corrupt record %llu: %s",
					    (unsigned long long)r->events, why);
			r->pos++;
			r->events++;
			return ITEM_RECORD;
		}
		if (r->aux_pos < r->naux) {
			ret = next_entry(r);
			if (ret != ITEM_SKIP)
				return ret;
			continue;
		}
		ret = read_section(r);
		if (ret)
			return ret;
	}
}

/*
 * Check the header of a new reader. Returns r, or frees it and returns NULL with errno set
 * and the reason in err.
 */
static struct rt_trace_reader *reader_start(struct rt_trace_reader *r, struct rt_trace_info *info,
					    char *err, size_t errlen)
{
	struct rt_trace_info tmp;
	int ret;

	ret = read_header(r, &tmp);
	if (ret) {
		if (err && errlen)
			snprintf(err, errlen, "%s", r->err);
		rt_trace_reader__free(r);
		errno = -ret;
		return NULL;
	}
	if (info)
		*info = tmp;
	return r;
}

struct rt_trace_reader *rt_trace_reader__open(const char *path, struct rt_trace_info *info,
					      char *err, size_t errlen)
{
	struct rt_trace_reader *r = NULL;
	int ret;

	if (!path) {
		ret = EINVAL;
		goto cleanup;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		ret = ENOMEM;
		goto cleanup;
	}
	r->f = fopen(path, "rb");
	if (!r->f) {
		ret = errno;
		goto cleanup;
	}
	return reader_start(r, info, err, errlen);

cleanup:
	if (err && errlen)
		snprintf(err, errlen, "%s", strerror(ret));
	free(r);
	errno = ret;
	return NULL;
}

struct rt_trace_reader *rt_trace_reader__open_mem(const void *buf, size_t len,
						  struct rt_trace_info *info, char *err,
						  size_t errlen)
{
	struct rt_trace_reader *r;

	if (!buf && len) {
		if (err && errlen)
			snprintf(err, errlen, "%s", strerror(EINVAL));
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		if (err && errlen)
			snprintf(err, errlen, "%s", strerror(ENOMEM));
		errno = ENOMEM;
		return NULL;
	}
	r->mem = buf;
	r->mem_len = len;
	return reader_start(r, info, err, errlen);
}

/*
 * Errors are sticky: after one, every call returns the same code and rt_trace_reader__error()
 * keeps the reason. Besides -EINVAL (truncated or corrupt), -EIO (read error) and -ENOMEM are
 * possible.
 */
int rt_trace_reader__next(struct rt_trace_reader *r, const struct rt_event **e)
{
	int ret;

	while ((ret = next_item(r)) == ITEM_AUX)
		;
	if (ret != ITEM_RECORD)
		return ret;
	*e = &r->ev;
	return 1;
}

/* Records on the way are checked like rt_trace_reader__next() does, and skipped. */
int rt_trace_reader__next_aux(struct rt_trace_reader *r, const struct rt_trace_aux **a)
{
	int ret;

	while ((ret = next_item(r)) == ITEM_RECORD)
		;
	if (ret != ITEM_AUX)
		return ret;
	*a = &r->aux;
	return 1;
}

int rt_trace_reader__rewind(struct rt_trace_reader *r)
{
	if (r->f) {
		if (fseek(r->f, RT_TRACE_HDR_SIZE, SEEK_SET))
			return errno ? -errno : -EIO;
		clearerr(r->f);
	}
	r->off = RT_TRACE_HDR_SIZE;
	r->nrec = r->pos = r->blocks = 0;
	r->events = 0;
	r->naux = r->aux_pos = r->aux_blocks = 0;
	r->aux_off = r->aux_len = 0;
	r->aux_entries = 0;
	memset(&r->footer, 0, sizeof(r->footer));
	r->state = RD_OK;
	r->err_code = 0;
	r->err[0] = '\0';
	return 0;
}

__u32 rt_trace_reader__version(const struct rt_trace_reader *r)
{
	return r->version;
}

/* NULL until rt_trace_reader__next() has returned 0. */
const struct rt_trace_footer *rt_trace_reader__footer(const struct rt_trace_reader *r)
{
	return r->state == RD_END ? &r->footer : NULL;
}

/* The reason of the last failure, "" when there was none. */
const char *rt_trace_reader__error(const struct rt_trace_reader *r)
{
	return r->err;
}

void rt_trace_reader__free(struct rt_trace_reader *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	if (r->zs_ready)
		inflateEnd(&r->zs);
	free(r->comp);
	free(r->raw);
	free(r);
}
