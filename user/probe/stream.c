// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * stream.h: ring_buffer__consume() on the caller's timer (the BPF side submits without wakeups,
 * so nobody sleeps in epoll on this ring). Records are read in place in the ring's memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "record/event.h"
#include "lib/log.h"
#include "lib/sabotage.h"
#include "probe/stream.h"

struct rt_stream {
	struct ring_buffer *rb;
	struct ring_buffer *rb_stacks; /* drained first: a finding's stacks are then known */
	struct ring_buffer *rb_extra;  /* exec records: drained after the events */
	rt_stream_fn fn;
	void *ctx;
	__u64 bad;
	int stop_err;
	rt_stack_fn stack_fn;
	void *stack_ctx;
	__u64 sabotage_n;	/* records seen, for RT_SABOTAGE=drop90 */
	__u64 sabotage_t0_ns;	/* CLOCK_MONOTONIC at setup, for RT_SABOTAGE=late2s */
};

static int on_record(void *ctx, void *data, size_t sz)
{
	struct rt_stream *s = ctx;
	const struct rt_event *e;
	const char *why;
	int err;

	e = rt_event_decode(data, sz, &why);
	if (!e) {
		if (!s->bad++)
			rt_warn("skipping a malformed record from the kernel: %s", why);
		return 0;
	}
	/* exit() records are kept: `--` mode holds the target stopped in exit() until one comes */
	if (rt_sabotage("drop90") && e->h.type != RT_EV_PROC_EXIT && s->sabotage_n++ % 10)
		return 0;
	if (rt_sabotage("late2s") && e->h.type != RT_EV_PROC_EXIT &&
	    e->h.ktime < s->sabotage_t0_ns + 2000000000ULL)
		return 0;
	err = s->fn(s->ctx, e);
	if (err < 0) {
		s->stop_err = err;
		return err; /* stops ring_buffer__consume on purpose */
	}
	return 0;
}

static int on_stack(void *ctx, void *data, size_t sz)
{
	struct rt_stream *s = ctx;

	if (sz != sizeof(struct rt_stack_sample)) {
		if (!s->bad++)
			rt_warn("skipping a malformed stack sample from the kernel");
		return 0;
	}
	/* a stack we cannot unwind only makes a report poorer: never stop for it */
	s->stack_fn(s->stack_ctx, data);
	return 0;
}

int rt_stream__add_stacks(struct rt_stream *s, int ring_fd, rt_stack_fn fn, void *ctx)
{
	s->stack_fn = fn;
	s->stack_ctx = ctx;
	s->rb_stacks = ring_buffer__new(ring_fd, on_stack, s, NULL);
	return s->rb_stacks ? 0 : -errno;
}

int rt_stream__add_ring(struct rt_stream *s, int ring_fd)
{
	s->rb_extra = ring_buffer__new(ring_fd, on_record, s, NULL);
	return s->rb_extra ? 0 : -errno;
}

struct rt_stream *rt_stream__new(int ring_fd, rt_stream_fn fn, void *ctx)
{
	struct rt_stream *s = calloc(1, sizeof(*s));

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->fn = fn;
	s->ctx = ctx;
	if (rt_sabotage("late2s")) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns()'s clock */
		s->sabotage_t0_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	}
	s->rb = ring_buffer__new(ring_fd, on_record, s, NULL);
	if (!s->rb) {
		int err = errno;

		free(s);
		errno = err;
		return NULL;
	}
	return s;
}

long rt_stream__drain(struct rt_stream *s)
{
	long n;

	if (s->rb_stacks)
		ring_buffer__consume(s->rb_stacks);
	/*
	 * The main ring first: the records a process made before its exec must reach its engine
	 * before the exec record replaces that engine.
	 */
	n = ring_buffer__consume(s->rb);
	if (s->stop_err)
		return s->stop_err;
	if (s->rb_extra && ring_buffer__consume(s->rb_extra) < 0 && s->stop_err)
		return s->stop_err;

	if (s->stop_err)
		return s->stop_err;
	return n;
}

__u64 rt_stream__bad(const struct rt_stream *s)
{
	return s->bad;
}

void rt_stream__free(struct rt_stream *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	ring_buffer__free(s->rb_stacks);
	ring_buffer__free(s->rb_extra);
	free(s);
}
