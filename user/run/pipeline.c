// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The analysis half every mode shares (pipeline.h). */
#include <errno.h>
#include <string.h>
#include "detect/registry.h"
#include "record/event.h"
#include "run/pipeline.h"
#include "sym/symbolize.h"
#include "sym/unwind.h"

int rt_pipeline__init(struct rt_pipeline *p, struct rt_report_opts ropts, bool no_symbolize,
		      double hang_threshold_s)
{
	memset(p, 0, sizeof(*p));
	p->hang_threshold_s = hang_threshold_s;
	p->sym = rt_sym__new();
	p->unwind = rt_unwind__new();
	if (!p->sym || !p->unwind)
		goto nomem;
	if (!no_symbolize) {
		ropts.sym = p->sym;
		ropts.unwind = p->unwind;
	}
	p->report = rt_report__new(&ropts);
	if (!p->report)
		goto nomem;
	return 0;
nomem:
	rt_pipeline__fini(p);
	return -ENOMEM;
}

struct hb *rt_pipeline__engine(struct rt_pipeline *p)
{
	struct hb *hb = hb__new(&(struct hb_opts){
		.report = p->report,
		.hang_threshold_ns = p->hang_threshold_s * 1e9,
		/* held until a tick shows no loss happened meanwhile */
		.defer_findings = true,
	});
	int err;

	if (!hb)
		return NULL;
	err = rt_detectors_add(hb);
	if (err) {
		hb__free(hb);
		errno = -err;
		return NULL;
	}
	return hb;
}

void rt_pipeline__tick_event(struct rt_event *e, __u32 pid, __u64 now_ns, __u64 lost)
{
	memset(e, 0, sizeof(*e));
	e->h.type = RT_EV_TICK;
	e->h.stack_id = RT_NO_STACK;
	e->h.tid = pid;
	e->h.tgid = pid;
	e->h.ktime = now_ns;
	e->arg = lost;
}

const struct rt_event *rt_pipeline__mark(struct rt_pipeline *p, const struct rt_event *e,
					 struct rt_event *tmp)
{
	if (e->h.type != RT_EV_GO_SPAWN && e->h.type != RT_EV_GO_CHAN_NEW)
		return e;
	*tmp = *e;
	return rt_event_mark_go_site(tmp, rt_sym__go_class, p->sym) ? tmp : e;
}

void rt_pipeline__fini(struct rt_pipeline *p)
{
	rt_report__free(p->report);
	rt_unwind__free(p->unwind);
	rt_sym__free(p->sym);
	memset(p, 0, sizeof(*p));
}
