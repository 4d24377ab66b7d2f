// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Channel close misuse, the three ways Go's runtime panics on a close: go-chan-double-close (a
 * channel closed a second time, with both closers' sites), go-chan-close-nil (close of a nil
 * channel), and go-chan-send-closed (a send on a closed channel), reported predictively as
 * `go build -race` does: a send and a close of one channel that happens-before does not order
 * are reported even when this run did not panic (detail "predicted": the send completed before
 * the close). A channel made anew at the address starts over.
 * Not reported: closes of channels made before we attached that were closed before too (we
 * see only the second close: it is remembered as the first); a select's send cases (only
 * plain sends and non-blocking `select { case ch <- v: default: }`, which is chansend too);
 * sends of the runtime itself (timers, on a thread's g0); a send ordered before the close only
 * through an edge we do not see (atomics, sync.Cond; docs/detectors.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect/registry.h"
#include "engine/hb.h"
#include "lib/util.h"

#define RT_GO_CLOSE_CHANS_MAX (1U << 18)
#define RT_GO_CHAN_SENDERS 4 /* latest send of the last goroutines that sent, per channel */

/* An operation on a channel: who, at which epoch, where. */
struct op {
	__u64 key; /* actor, 0: none */
	__u32 goid;
	__u32 sid;
	__u32 clock;
	__u64 site;
};

struct chan_state {
	__u64 ch;
	struct op close;			/* key 0: not closed (that we saw) */
	bool closed;				/* closed, by close (or before we attached) */
	struct op sends[RT_GO_CHAN_SENDERS];	/* since the channel was made */
	__u8 nsends;
	bool broken;				/* a send/close finding was made */
};

struct chanclose {
	struct hb *hb;
	struct rt_map of; /* hchan -> index + 1 into chans */
	struct chan_state *chans;
	size_t nchans, chans_cap;
	__u64 evicted;
};

static void *chanclose_new(struct hb *hb)
{
	struct chanclose *c = calloc(1, sizeof(*c));

	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->hb = hb;
	rt_map_init(&c->of);
	return c;
}

static void chanclose_free(void *st)
{
	struct chanclose *c = st;

	rt_map_free(&c->of);
	free(c->chans);
	free(c);
}

/* per-object states forgotten at the cap: with the engine's sync clocks, one table */
static const struct hb_det_counter chanclose_counters[] = {
	{ "racetrace_engine_evictions_total", "sync_clocks", NULL },
	{ NULL, NULL, NULL },
};

static void chanclose_count(const void *st, __u64 *v)
{
	v[0] = ((const struct chanclose *)st)->evicted;
}

static struct chan_state *chan_get(struct chanclose *c, __u64 ch)
{
	__u64 *v = rt_map_get(&c->of, ch);
	struct chan_state *s;

	if (v)
		return &c->chans[*v - 1];
	if (c->of.len >= RT_GO_CLOSE_CHANS_MAX) {
		/* at the cap: start over (counted): only findings on old channels are lost */
		c->evicted += c->of.len;
		rt_map_free(&c->of);
		c->nchans = 0;
	}
	if (rt_grow((void **)&c->chans, &c->chans_cap, c->nchans + 1, sizeof(*c->chans)) ||
	    rt_map_put(&c->of, ch, c->nchans + 1))
		return NULL;
	s = &c->chans[c->nchans++];
	memset(s, 0, sizeof(*s));
	s->ch = ch;
	return s;
}

static struct op op_of(const struct hb_actor *t, __u64 site)
{
	return (struct op){ .key = t->key, .goid = t->tid, .sid = t->sid,
			    .clock = hb__own_clock(t), .site = site };
}

static bool ordered(const struct hb_actor *t, const struct op *a)
{
	return a->key == t->key || hb__ordered(t, a->sid, a->clock);
}

/*
 * Send `send` and close `close` of channel s are not ordered (or the send came after the
 * close): one finding per channel. predicted: the send completed before the close, so this
 * run did not panic from it.
 */
static int report_send_closed(struct chanclose *c, const struct hb_actor *t, struct chan_state *s,
			      const struct op *send, const struct op *close, bool predicted)
{
	struct rt_finding f;

	s->broken = true;
	hb__finding(c->hb, &f, RT_K_GO_CHAN_SEND_CLOSED, t->pid);
	rt_finding_thread(&f, send->goid);
	rt_finding_thread(&f, close->goid);
	rt_finding_lock(&f, s->ch, "chan");
	rt_finding_site(&f, send->site);
	rt_finding_site(&f, close->site);
	if (predicted) {
		snprintf(f.detail, sizeof(f.detail), "predicted");
		snprintf(f.message, sizeof(f.message),
			 "goroutine %u sends on channel 0x%llx and goroutine %u closes it, with "
			 "nothing ordering the send before the close: the day the close comes "
			 "first, the runtime panics (\"send on closed channel\")",
			 send->goid, (unsigned long long)s->ch, close->goid);
	} else {
		snprintf(f.message, sizeof(f.message),
			 "goroutine %u sends on channel 0x%llx, which goroutine %u closed: the "
			 "runtime panics (\"send on closed channel\")",
			 send->goid, (unsigned long long)s->ch, close->goid);
	}
	return hb__report(c->hb, &f, 0);
}

static int chan_send(struct chanclose *c, const struct hb_actor *t, __u64 ch, __u64 site)
{
	struct op cur = op_of(t, site);
	struct chan_state *s;
	__u8 i;

	if (!ch)
		return 0; /* a send on a nil channel blocks forever: the stuck-goroutine rules */
	s = chan_get(c, ch);
	if (!s)
		return -ENOMEM;
	if (s->broken)
		return 0;
	if (s->close.key)
		return report_send_closed(c, t, s, &cur, &s->close, false);
	/* remember this sender's latest send (the oldest sender goes at the cap) */
	for (i = 0; i < s->nsends; i++)
		if (s->sends[i].key == t->key)
			break;
	if (i == s->nsends) {
		if (s->nsends == RT_GO_CHAN_SENDERS) {
			memmove(&s->sends[0], &s->sends[1],
				(RT_GO_CHAN_SENDERS - 1) * sizeof(s->sends[0]));
			i = RT_GO_CHAN_SENDERS - 1;
		} else {
			s->nsends++;
		}
	}
	s->sends[i] = cur;
	return 0;
}

static int close_nil(struct chanclose *c, const struct hb_actor *t, __u64 site)
{
	struct rt_finding f;

	hb__finding(c->hb, &f, RT_K_GO_CHAN_CLOSE_NIL, t->pid);
	rt_finding_thread(&f, t->tid);
	rt_finding_site(&f, site);
	snprintf(f.message, sizeof(f.message),
		 "goroutine %u closes a nil channel: the runtime panics (\"close of nil "
		 "channel\")",
		 t->tid);
	return hb__report(c->hb, &f, 0);
}

static int chan_close(struct chanclose *c, const struct hb_actor *t, __u64 ch, __u64 site)
{
	struct op cur = op_of(t, site);
	struct chan_state *s;
	struct rt_finding f;
	__u8 i;

	if (!ch)
		return close_nil(c, t, site);
	s = chan_get(c, ch);
	if (!s)
		return -ENOMEM;
	if (!s->closed) {
		s->closed = true;
		s->close = cur;
		for (i = 0; i < s->nsends && !s->broken; i++) {
			const struct hb_actor *o = hb__actor(c->hb, s->sends[i].key);
			/* a sender still parked in that send panics when the close wakes it */
			bool parked = o && o->alive && o->park.kind == RT_PARK_SEND &&
				      o->park.obj == ch;

			if (!ordered(t, &s->sends[i]))
				return report_send_closed(c, t, s, &s->sends[i], &cur, !parked);
		}
		return 0;
	}
	hb__finding(c->hb, &f, RT_K_GO_CHAN_DOUBLE_CLOSE, t->pid);
	rt_finding_thread(&f, t->tid);
	rt_finding_lock(&f, ch, "chan");
	rt_finding_site(&f, site);
	rt_finding_site(&f, s->close.site);
	snprintf(f.message, sizeof(f.message),
		 "goroutine %u closes channel 0x%llx, which was already closed: the runtime "
		 "panics (\"close of closed channel\")",
		 t->tid, (unsigned long long)ch);
	return hb__report(c->hb, &f, 0);
}

static int chanclose_go(void *st, const struct hb_actor *t, const struct hb_go_op *op)
{
	struct chanclose *c = st;
	__u64 *v;

	switch (op->kind) {
	case HB_GO_CHAN_NEW:
		v = rt_map_get(&c->of, op->obj);
		if (v) {
			struct chan_state *s = &c->chans[*v - 1];

			memset(s, 0, sizeof(*s));
			s->ch = op->obj;
		}
		return 0;
	case HB_GO_CHAN_SEND:
		/* not the runtime on a thread's g0 (a timer's send) */
		return t->key & RT_GO_KEY ? chan_send(c, t, op->obj, op->site) : 0;
	case HB_GO_CHAN_CLOSE:
		return chan_close(c, t, op->obj, op->site);
	default:
		return 0;
	}
}

const struct hb_detector rt_det_go_chanclose = {
	.name = "go-chan-close",
	.flags = HB_DET_GO,
	.new = chanclose_new,
	.free = chanclose_free,
	.go = chanclose_go,
	.counters = chanclose_counters,
	.count = chanclose_count,
};
