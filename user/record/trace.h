/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Record and replay: a versioned, zlib-compressed, checksummed file of raw event records,
 * followed by auxiliary entries (the target's mappings and the stacks of its call sites) that
 * let a replay symbolize like the live run did. Pure C (zlib only): the writer is fed by the
 * live stream, the reader by `racetrace report`. See docs/trace-format.md for the byte layout.
 */
#ifndef RT_TRACE_H
#define RT_TRACE_H

#include <stddef.h>
#include <linux/types.h>
#include "events.h"

#define RT_TRACE_VERSION 2
#define RT_TRACE_VERSION_MIN 1 /* oldest version the reader reads (it has no aux entries) */
#define RT_TRACE_COMM_LEN 16
#define RT_TRACE_MAX_FRAMES 32 /* frames of a stack entry; unwind.h's RT_MAX_FRAMES */
#define RT_TRACE_MAX_PATH 4095 /* bytes of a mapping's path, without the NUL */

/* What the header records about the run. */
struct rt_trace_info {
	__u32 pid;		     /* traced process (tgid) */
	__u32 events_abi;	     /* RT_EVENTS_ABI of the writer */
	__u64 ktime_base;	     /* bpf_ktime_get_ns() when tracing started */
	__u64 realtime_base_ns;	     /* CLOCK_REALTIME at the same moment */
	__u64 probe_mask;	     /* bit i set: event type i was probed (types < 64) */
	char comm[RT_TRACE_COMM_LEN]; /* target's comm, NUL-terminated */
};

/* What the footer records at the end of the run. */
struct rt_trace_footer {
	__u64 events;		   /* records written */
	__u64 lost[RT_DROP_MAX];   /* drop counters at the end of the run, by reason */
	__u64 duration_ns;	   /* wall time traced */
};

/* Auxiliary entry types (docs/trace-format.md, "Auxiliary entries"). */
enum rt_trace_aux_type {
	RT_TRACE_AUX_MAPPING = 1, /* a file mapping of a traced process */
	RT_TRACE_AUX_STACK = 2,	  /* the stack of a call site */
};

/* A file-backed mapping as the symbolizer saw it (symbolize.h). */
struct rt_trace_mapping {
	__u32 pid;
	__u64 start;	  /* [start, end) */
	__u64 end;
	__u64 off;	  /* file offset of start */
	/*
	 * Snapshot that last saw the mapping: only the order matters. Where mappings overlap,
	 * the larger value wins, and among equal values the earlier entry.
	 */
	__u64 seen;
	const char *path; /* as the process saw it, NUL-terminated, 1..RT_TRACE_MAX_PATH bytes */
};

/* The stack of a call site as the unwinder remembered it (unwind.h). */
struct rt_trace_stack {
	__u32 pid;
	__u32 n;	/* frames, 1..RT_TRACE_MAX_FRAMES */
	__u64 site;	/* nonzero */
	__u64 pcs[RT_TRACE_MAX_FRAMES]; /* pcs[0] == site, then the callers' return addresses */
};

struct rt_trace_aux {
	__u32 type; /* enum rt_trace_aux_type */
	union {
		struct rt_trace_mapping map;
		struct rt_trace_stack stack;
	};
};

struct rt_trace_writer;
struct rt_trace_reader;

/* Create path (truncating) and write the header. NULL with errno set on failure. */
struct rt_trace_writer *rt_trace_writer__open(const char *path, const struct rt_trace_info *info);
/*
 * Append one record (buffered; a block is compressed and written when full). 0 or -errno;
 * -EINVAL, with nothing written, for a record the reader would refuse or one added after the
 * first auxiliary entry.
 */
int rt_trace_writer__add(struct rt_trace_writer *w, const struct rt_event *e);
/*
 * Append one auxiliary entry (buffered like records). Auxiliary entries follow every record:
 * the first one ends the records (the open record block is written). 0 or -errno; -EINVAL,
 * with nothing written, for an entry the reader would refuse (empty range, path empty or
 * longer than RT_TRACE_MAX_PATH, n outside 1..RT_TRACE_MAX_FRAMES, pcs[0] != site, site 0).
 */
int rt_trace_writer__add_mapping(struct rt_trace_writer *w, __u32 pid, __u64 start, __u64 end,
				 __u64 off, __u64 seen, const char *path);
int rt_trace_writer__add_stack(struct rt_trace_writer *w, __u32 pid, __u64 site,
			       const __u64 *pcs, __u32 n);
/* Flush, write the footer, close and free. 0 or -errno; w is freed in every case. */
int rt_trace_writer__close(struct rt_trace_writer *w, const struct rt_trace_footer *f);

/*
 * Open and check the header. NULL on failure, with a one-line reason (no "racetrace: "
 * prefix) in err, e.g. "not a racetrace trace file", "trace format version 7 is not supported
 * (this racetrace reads versions 1 to 2)". Version 1 files are read; they hold no auxiliary
 * entries.
 */
struct rt_trace_reader *rt_trace_reader__open(const char *path, struct rt_trace_info *info,
					      char *err, size_t errlen);
/*
 * Next record: 1 with *e pointing at it (valid until the next call), 0 at the clean end (the
 * footer was read and checked, see rt_trace_reader__footer), or -EINVAL for a truncated or
 * corrupt file with the reason in rt_trace_reader__error().
 */
int rt_trace_reader__next(struct rt_trace_reader *r, const struct rt_event **e);
/*
 * Next auxiliary entry: 1 with *a pointing at it (valid until the next call), 0 at the clean
 * end, or a negative errno like rt_trace_reader__next(). The two share one position in the
 * file: each checks and skips what the other hands out, so a reader of auxiliary entries
 * still checks every record, and the entries (which follow the records) come after them.
 * Entry types this build does not know are skipped.
 */
int rt_trace_reader__next_aux(struct rt_trace_reader *r, const struct rt_trace_aux **a);
/*
 * Go back to the first record, e.g. to replay after reading the auxiliary entries, and clear
 * any error. 0, or -errno (-ESPIPE for a pipe) with the reader unchanged.
 */
int rt_trace_reader__rewind(struct rt_trace_reader *r);
/* The format version of the file (RT_TRACE_VERSION_MIN..RT_TRACE_VERSION). */
__u32 rt_trace_reader__version(const struct rt_trace_reader *r);
const struct rt_trace_footer *rt_trace_reader__footer(const struct rt_trace_reader *r);
const char *rt_trace_reader__error(const struct rt_trace_reader *r);
void rt_trace_reader__free(struct rt_trace_reader *r);

/* In-memory variants for the fuzzer and unit tests: read a trace from a buffer. */
struct rt_trace_reader *rt_trace_reader__open_mem(const void *buf, size_t len,
						  struct rt_trace_info *info, char *err,
						  size_t errlen);

#endif /* RT_TRACE_H */
