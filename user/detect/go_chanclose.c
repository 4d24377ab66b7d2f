// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * go-chan-double-close: a channel closed a second time, with both closers' sites. The runtime
 * panics ("close of closed channel"). A channel made anew at the address starts over.
 * Not reported: closes of channels made before we attached that were closed before too (we
 * see only the second close: it is remembered as the first).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "detect/registry.h"
#include "lib/util.h"

struct chanclose {
	struct hb *hb;
	struct rt_map closed; /* hchan -> closing site (1 when unknown) */
};

static void *chanclose_new(struct hb *hb)
{
	struct chanclose *c = calloc(1, sizeof(*c));

	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->hb = hb;
	rt_map_init(&c->closed);
	return c;
}

static void chanclose_free(void *st)
{
	struct chanclose *c = st;

	rt_map_free(&c->closed);
	free(c);
}

static int chan_close(struct chanclose *c, const struct hb_actor *t, __u64 ch, __u64 site)
{
	__u64 *first = rt_map_get(&c->closed, ch);
	struct rt_finding f;

	if (!ch)
		return 0;
	if (!first)
		return rt_map_put(&c->closed, ch, site ? site : 1) ? -ENOMEM : 0;
	hb__finding(c->hb, &f, RT_K_GO_CHAN_DOUBLE_CLOSE, t->pid);
	rt_finding_thread(&f, t->tid);
	rt_finding_lock(&f, ch, "chan");
	rt_finding_site(&f, site);
	rt_finding_site(&f, *first == 1 ? 0 : *first);
	snprintf(f.message, sizeof(f.message),
		 "goroutine %u closes channel 0x%llx, which was already closed: the runtime "
		 "panics (\"close of closed channel\")",
		 t->tid, (unsigned long long)ch);
	return hb__report(c->hb, &f, 0);
}

static int chanclose_go(void *st, const struct hb_actor *t, const struct hb_go_op *op)
{
	struct chanclose *c = st;

	switch (op->kind) {
	case HB_GO_CHAN_NEW:
		rt_map_del(&c->closed, op->obj);
		return 0;
	case HB_GO_CHAN_CLOSE:
		return chan_close(c, t, op->obj, op->site);
	default:
		return 0;
	}
}

const struct hb_detector rt_det_go_chanclose = {
	.name = "go-chan-double-close",
	.flags = HB_DET_GO,
	.new = chanclose_new,
	.free = chanclose_free,
	.go = chanclose_go,
};
