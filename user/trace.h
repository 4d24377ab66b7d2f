/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Record and replay: a versioned, zlib-compressed, checksummed file of raw event records.
 * Pure C (zlib only): the writer is fed by the live stream, the reader by `racetrace report`.
 * See docs/trace-format.md for the byte layout.
 */
#ifndef RT_TRACE_H
#define RT_TRACE_H

#include <stddef.h>
#include <linux/types.h>
#include "events.h"

#define RT_TRACE_VERSION 1
#define RT_TRACE_COMM_LEN 16

/* What the header records about the run. */
struct rt_trace_info {
	__u32 pid;		     /* traced process (tgid) */
	__u32 events_abi;	     /* RT_EVENTS_ABI of the writer */
	__u64 ktime_base;	     /* bpf_ktime_get_ns() when tracing started */
	__u64 realtime_base_ns;	     /* CLOCK_REALTIME at the same moment */
	__u64 probe_mask;	     /* bit i set: event type i was probed */
	char comm[RT_TRACE_COMM_LEN]; /* target's comm, NUL-terminated */
};

/* What the footer records at the end of the run. */
struct rt_trace_footer {
	__u64 events;		   /* records written */
	__u64 lost[RT_DROP_MAX];   /* drop counters at the end of the run, by reason */
	__u64 duration_ns;	   /* wall time traced */
};

struct rt_trace_writer;
struct rt_trace_reader;

/* Create path (truncating) and write the header. NULL with errno set on failure. */
struct rt_trace_writer *rt_trace_writer__open(const char *path, const struct rt_trace_info *info);
/* Append one record (buffered; a block is compressed and written when full). 0 or -errno. */
int rt_trace_writer__add(struct rt_trace_writer *w, const struct rt_event *e);
/* Flush, write the footer, close and free. 0 or -errno; w is freed in every case. */
int rt_trace_writer__close(struct rt_trace_writer *w, const struct rt_trace_footer *f);

/*
 * Open and check the header. NULL on failure, with a one-line reason (no "racetrace: "
 * prefix) in err, e.g. "not a racetrace trace file", "trace format version 7 is not supported
 * (this racetrace reads version 1)".
 */
struct rt_trace_reader *rt_trace_reader__open(const char *path, struct rt_trace_info *info,
					      char *err, size_t errlen);
/*
 * Next record: 1 with *e pointing at it (valid until the next call), 0 at the clean end (the
 * footer was read and checked, see rt_trace_reader__footer), or -EINVAL for a truncated or
 * corrupt file with the reason in rt_trace_reader__error().
 */
int rt_trace_reader__next(struct rt_trace_reader *r, const struct rt_event **e);
const struct rt_trace_footer *rt_trace_reader__footer(const struct rt_trace_reader *r);
const char *rt_trace_reader__error(const struct rt_trace_reader *r);
void rt_trace_reader__free(struct rt_trace_reader *r);

/* In-memory variants for the fuzzer and unit tests: read a trace from a buffer. */
struct rt_trace_reader *rt_trace_reader__open_mem(const void *buf, size_t len,
						  struct rt_trace_info *info, char *err,
						  size_t errlen);

#endif /* RT_TRACE_H */
