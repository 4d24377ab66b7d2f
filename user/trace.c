// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Trace files (trace.h): a checksummed header, zlib-compressed blocks of raw records, and a
 * footer. The writer buffers records and compresses a block when it is full; the reader checks
 * every byte it hands out (checksums, lengths bounded before use, every record through
 * rt_event_decode()). File and in-memory readers share all code but the one read function.
 * What the records mean is left to the decoder and the engine; docs/trace-format.md has the
 * byte layout, the versioning rules and the reader's error messages.
 *
 * Every integer is written little-endian byte by byte, so files are portable and no field is
 * read through a cast pointer. On a little-endian host a record's encoding is exactly its
 * struct rt_event bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>
#include "event.h"
#include "log.h"
#include "trace.h"
#include "util.h"

#define RT_TRACE_MAGIC "RTTRACE\n"
#define RT_TRACE_MAGIC_LEN 8
#define RT_TRACE_BLOCK_MAGIC "RTBK"
#define RT_TRACE_FOOTER_MAGIC "RTFT"
#define RT_TRACE_SECTION_MAGIC_LEN 4

#define RT_TRACE_HDR_SIZE 72
#define RT_TRACE_BLOCK_HDR_SIZE 32
/* footer: fixed part, then lost[nlost] (u64 each), then the crc32 */
#define RT_TRACE_FOOTER_FIXED 28
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
 * The writer runs on the live path. On record blocks level 2 is as fast as level 1 (about
 * 0.8 ms per full block) and 15% to 70% smaller; level 6 takes four times as long. The level
 * is not part of the format: the reader takes any zlib stream.
 */
#define RT_TRACE_ZLEVEL 2

#define RT_TRACE_ERR_LEN 256

_Static_assert(RT_DROP_MAX <= RT_TRACE_MAX_LOST, "footer holds every drop counter");
_Static_assert(sizeof(struct rt_event) == RT_EVENT_SIZE, "rt_event size");
_Static_assert(offsetof(struct rt_event, h.stack_id) == 4, "rt_hdr.stack_id offset");
_Static_assert(offsetof(struct rt_event, h.goid) == 24, "rt_hdr.goid offset");
_Static_assert(offsetof(struct rt_event, obj) == 32, "rt_event.obj offset");
_Static_assert(offsetof(struct rt_event, ret) == 64, "rt_event.ret offset");

struct rt_trace_writer {
	FILE *f;
	unsigned char *raw;  /* RT_TRACE_MAX_RAW bytes: encoded records of the open block */
	unsigned char *comp; /* comp_cap bytes: compressed block */
	size_t comp_cap;
	__u32 nraw;	     /* records in raw */
	__u32 blocks;	     /* blocks written */
	__u64 events;	     /* records accepted */
	int err;	     /* first write error; sticky */
};

enum reader_state { RD_OK, RD_END, RD_ERR };

struct rt_trace_reader {
	FILE *f;		  /* file source, or NULL for memory */
	const unsigned char *mem; /* memory source */
	size_t mem_len;
	__u64 off;		  /* offset of the next unread byte */
	unsigned char *raw;	  /* decompressed records of the current block */
	unsigned char *comp;
	size_t raw_cap, comp_cap;
	__u32 nrec;		  /* records in the current block */
	__u32 pos;		  /* next record of the current block to hand out */
	__u32 blocks;		  /* blocks read */
	__u64 events;		  /* records handed out */
	struct rt_event ev;	  /* the record last handed out */
	struct rt_trace_footer footer;
	enum reader_state state;
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

/* Compress and write the open block, if it holds any record. 0 or -errno. */
static int writer_flush_block(struct rt_trace_writer *w)
{
	unsigned char bh[RT_TRACE_BLOCK_HDR_SIZE];
	size_t raw_len = (size_t)w->nraw * RT_EVENT_SIZE;
	uLongf comp_len = w->comp_cap;
	int err;

	if (!w->nraw)
		return 0;
	/* comp holds compressBound(RT_TRACE_MAX_RAW), so only Z_MEM_ERROR is possible */
	if (compress2(w->comp, &comp_len, w->raw, raw_len, RT_TRACE_ZLEVEL) != Z_OK)
		return -ENOMEM;
	if (comp_len > RT_TRACE_MAX_COMP) {
		rt_err("BUG: trace block compressed to %lu bytes, above %d",
		       (unsigned long)comp_len, RT_TRACE_MAX_COMP);
		return -EINVAL;
	}
	memcpy(bh, RT_TRACE_BLOCK_MAGIC, RT_TRACE_SECTION_MAGIC_LEN);
	put_le32(bh + 4, w->blocks);
	put_le32(bh + 8, w->nraw);
	put_le32(bh + 12, (__u32)raw_len);
	put_le32(bh + 16, (__u32)comp_len);
	put_le32(bh + 20, crc_of(w->raw, raw_len));
	put_le32(bh + 24, crc_of(w->comp, comp_len));
	put_le32(bh + 28, crc_of(bh, 28));
	err = write_all(w, bh, sizeof(bh));
	if (!err)
		err = write_all(w, w->comp, comp_len);
	if (err)
		return err;
	w->blocks++;
	w->nraw = 0;
	return 0;
}

static int writer_put_footer(struct rt_trace_writer *w, const struct rt_trace_footer *f)
{
	unsigned char fb[RT_TRACE_FOOTER_MAX];
	size_t len = RT_TRACE_FOOTER_FIXED + 8 * RT_DROP_MAX, i;

	memcpy(fb, RT_TRACE_FOOTER_MAGIC, RT_TRACE_SECTION_MAGIC_LEN);
	put_le32(fb + 4, w->blocks);
	/* the writer's own count, so the footer always matches the blocks */
	put_le64(fb + 8, w->events);
	put_le64(fb + 16, f ? f->duration_ns : 0);
	put_le32(fb + 24, RT_DROP_MAX);
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
	w->comp = malloc(w->comp_cap);
	if (!w->raw || !w->comp) {
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
	/* never write a record the reader would reject */
	if (!rt_event_decode(e, sizeof(*e), &why))
		return -EINVAL;
	event_encode(w->raw + (size_t)w->nraw * RT_EVENT_SIZE, e);
	w->nraw++;
	w->events++;
	if (w->nraw == RT_TRACE_BLOCK_RECORDS)
		w->err = writer_flush_block(w);
	return w->err;
}

/*
 * The footer's events field is the writer's own count of accepted records; f->events is not
 * used. f may be NULL (no drops, no duration).
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
		err = writer_put_footer(w, f);
	errno = 0;
	if (fclose(w->f) && !err)
		err = errno ? -errno : -EIO;
	free(w->comp);
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
	if (version != RT_TRACE_VERSION)
		return fail(r, -EINVAL, "trace format version %u is not supported "
			    "(this racetrace reads version %d)", version, RT_TRACE_VERSION);
	if ((size_t)got < sizeof(h))
		return fail(r, -EINVAL, "trace truncated at byte %zd: header is incomplete", got);
	if (crc_of(h, 68) != get_le32(h + 68))
		return fail(r, -EINVAL, "corrupt header: checksum mismatch");
	abi = get_le32(h + 12);
	if (abi != RT_EVENTS_ABI)
		return fail(r, -EINVAL,
			    "trace records use events ABI %u, this racetrace reads ABI %d", abi,
			    RT_EVENTS_ABI);
	rec_size = get_le32(h + 16);
	if (rec_size != RT_EVENT_SIZE)
		return fail(r, -EINVAL, "corrupt header: record size %u, expected %d", rec_size,
			    RT_EVENT_SIZE);
	flags = get_le32(h + 64);
	if (flags)
		return fail(r, -EINVAL, "corrupt header: unknown flags 0x%x", flags);
	if (!memchr(h + 48, 0, RT_TRACE_COMM_LEN))
		return fail(r, -EINVAL, "corrupt header: comm is not NUL-terminated");

	memset(info, 0, sizeof(*info));
	info->pid = get_le32(h + 20);
	info->events_abi = abi;
	info->ktime_base = get_le64(h + 24);
	info->realtime_base_ns = get_le64(h + 32);
	info->probe_mask = get_le64(h + 40);
	memcpy(info->comm, h + 48, RT_TRACE_COMM_LEN);
	return 0;
}

/* The footer's magic (at start) is read already. Checks it and the end of the data. */
static int read_footer(struct rt_trace_reader *r, __u64 start)
{
	unsigned char fb[RT_TRACE_FOOTER_MAX];
	unsigned long long off = start;
	__u32 blocks, nlost, i;
	unsigned char extra;
	size_t len;
	__u64 events;
	ssize_t got;
	int err;

	memcpy(fb, RT_TRACE_FOOTER_MAGIC, RT_TRACE_SECTION_MAGIC_LEN);
	err = read_exact(r, fb + 4, RT_TRACE_FOOTER_FIXED - 4, start, "footer");
	if (err)
		return err;
	nlost = get_le32(fb + 24);
	if (nlost > RT_TRACE_MAX_LOST)
		return corrupt(r, "footer", off, "%u drop counters, at most %d", nlost,
			       RT_TRACE_MAX_LOST);
	len = RT_TRACE_FOOTER_FIXED + 8 * (size_t)nlost;
	err = read_exact(r, fb + RT_TRACE_FOOTER_FIXED, len + 4 - RT_TRACE_FOOTER_FIXED, start,
			 "footer");
	if (err)
		return err;
	if (crc_of(fb, len) != get_le32(fb + len))
		return corrupt(r, "footer", off, "checksum mismatch");
	blocks = get_le32(fb + 4);
	events = get_le64(fb + 8);
	if (blocks != r->blocks)
		return corrupt(r, "footer", off, "says %u blocks, file holds %u", blocks,
			       r->blocks);
	if (events != r->events)
		return corrupt(r, "footer", off, "says %llu records, file holds %llu",
			       (unsigned long long)events, (unsigned long long)r->events);
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
		r->footer.lost[i] = get_le64(fb + RT_TRACE_FOOTER_FIXED + 8 * i);
	r->state = RD_END;
	return 0;
}

/* Read the next section: load a block into r->raw, or read the footer (state RD_END). */
static int read_section(struct rt_trace_reader *r)
{
	unsigned char bh[RT_TRACE_BLOCK_HDR_SIZE];
	unsigned long long off = r->off;
	__u32 seq, count, raw_len, comp_len;
	uLongf dlen;
	uLong slen;
	ssize_t got;
	int err, zerr;

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
	if (memcmp(bh, RT_TRACE_BLOCK_MAGIC, RT_TRACE_SECTION_MAGIC_LEN))
		return corrupt(r, "block", off, "bad magic");

	err = read_exact(r, bh + RT_TRACE_SECTION_MAGIC_LEN,
			 sizeof(bh) - RT_TRACE_SECTION_MAGIC_LEN, off, "block");
	if (err)
		return err;
	if (crc_of(bh, 28) != get_le32(bh + 28))
		return corrupt(r, "block", off, "checksum mismatch (header)");
	seq = get_le32(bh + 4);
	count = get_le32(bh + 8);
	raw_len = get_le32(bh + 12);
	comp_len = get_le32(bh + 16);
	if (seq != r->blocks)
		return corrupt(r, "block", off, "sequence number %u, expected %u", seq, r->blocks);
	if (count == 0 || count > RT_TRACE_BLOCK_RECORDS)
		return corrupt(r, "block", off, "%u records, expected 1..%d", count,
			       RT_TRACE_BLOCK_RECORDS);
	if (raw_len != count * RT_EVENT_SIZE)
		return corrupt(r, "block", off, "%u bytes for %u records", raw_len, count);
	if (comp_len == 0 || comp_len > RT_TRACE_MAX_COMP)
		return corrupt(r, "block", off, "compressed length %u, expected 1..%d", comp_len,
			       RT_TRACE_MAX_COMP);

	if (buf_reserve(&r->comp, &r->comp_cap, comp_len) ||
	    buf_reserve(&r->raw, &r->raw_cap, raw_len))
		return fail(r, -ENOMEM, "out of memory reading block at offset %llu", off);
	err = read_exact(r, r->comp, comp_len, off, "block");
	if (err)
		return err;
	if (crc_of(r->comp, comp_len) != get_le32(bh + 24))
		return corrupt(r, "block", off, "checksum mismatch (compressed data)");
	dlen = raw_len;
	slen = comp_len;
	zerr = uncompress2(r->raw, &dlen, r->comp, &slen);
	if (zerr == Z_MEM_ERROR)
		return fail(r, -ENOMEM, "out of memory reading block at offset %llu", off);
	if (zerr != Z_OK)
		return corrupt(r, "block", off, "decompression failed (zlib: %s)", zError(zerr));
	if (dlen != raw_len || slen != comp_len)
		return corrupt(r, "block", off,
			       "decompression failed (%lu of %u bytes used, %lu of %u made)",
			       (unsigned long)slen, comp_len, (unsigned long)dlen, raw_len);
	if (crc_of(r->raw, raw_len) != get_le32(bh + 20))
		return corrupt(r, "block", off, "checksum mismatch (records)");
	r->nrec = count;
	r->pos = 0;
	r->blocks++;
	return 0;
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
	const char *why;
	int err;

	if (r->state == RD_ERR)
		return r->err_code;
	if (r->state == RD_END)
		return 0;
	if (r->pos == r->nrec) {
		err = read_section(r);
		if (err)
			return err;
		if (r->state == RD_END)
			return 0;
	}
	event_unpack(&r->ev, r->raw + (size_t)r->pos * RT_EVENT_SIZE);
	if (!rt_event_decode(&r->ev, sizeof(r->ev), &why))
		return fail(r, -EINVAL, "corrupt record %llu: %s", (unsigned long long)r->events,
			    why);
	r->pos++;
	r->events++;
	*e = &r->ev;
	return 1;
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
	free(r->comp);
	free(r->raw);
	free(r);
}
