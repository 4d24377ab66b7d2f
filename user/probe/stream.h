/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Draining the ring buffer: every record is checked by the decoder (event.h) in place, with no
 * copy, and handed to one callback. No policy here.
 */
#ifndef RT_STREAM_H
#define RT_STREAM_H

#include <linux/types.h>
#include "events.h"

/* Return 0 to go on; a negative value stops the drain and is returned by rt_stream__drain. */
typedef int (*rt_stream_fn)(void *ctx, const struct rt_event *e);

struct rt_stream;

/* NULL with errno set on failure. */
struct rt_stream *rt_stream__new(int ring_fd, rt_stream_fn fn, void *ctx);
/* Stack samples from a second ring go to fn (checked for size first). 0 or -errno. */
typedef int (*rt_stack_fn)(void *ctx, const struct rt_stack_sample *s);
int rt_stream__add_stacks(struct rt_stream *s, int ring_fd, rt_stack_fn fn, void *ctx);
/* Records from another ring (exec records) go to the stream's callback, drained first. */
int rt_stream__add_ring(struct rt_stream *s, int ring_fd);
/* Consume everything in the rings now. Records consumed (>= 0) or a negative error. */
long rt_stream__drain(struct rt_stream *s);
/* Records that failed the decoder check (skipped and counted). */
__u64 rt_stream__bad(const struct rt_stream *s);
void rt_stream__free(struct rt_stream *s);

#endif /* RT_STREAM_H */
