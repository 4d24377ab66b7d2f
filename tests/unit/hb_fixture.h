/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The engine tests' fixture: an engine with every detector, reporting JSON Lines into memory
 * (f->buf), and a clock for hand-built records. Include after <cmocka.h>.
 */
#ifndef RT_HB_FIXTURE_H
#define RT_HB_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect/registry.h"
#include "engine/hb.h"
#include "report/report.h"

struct fixture {
	struct rt_report *report;
	struct hb *hb;
	FILE *out;
	char *buf;
	size_t len;
	__u64 t;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->out = open_memstream(&f->buf, &f->len);
	f->report = rt_report__new(&(struct rt_report_opts){ .out = f->out, .json = true });
	f->hb = hb__new(&(struct hb_opts){ .report = f->report });
	assert_non_null(f->hb);
	assert_int_equal(rt_detectors_add(f->hb), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	hb__free(f->hb);
	rt_report__free(f->report);
	fclose(f->out);
	free(f->buf);
	free(f);
	return 0;
}

/* Feed one record of thread tid (process 100), stamped with the fixture's clock. */
static void fx_event(struct fixture *f, __u16 type, __u32 tid, __u64 obj, __u64 obj2,
		     __u64 caller, __u64 arg, __s64 ret)
{
	struct rt_event e;

	memset(&e, 0, sizeof(e));
	e.h.type = type;
	e.h.tid = tid;
	e.h.tgid = 100;
	e.h.ktime = ++f->t;
	e.h.stack_id = RT_NO_STACK;
	e.obj = obj;
	e.obj2 = obj2;
	e.caller = caller;
	e.arg = arg;
	e.ret = ret;
	assert_int_equal(hb__event(f->hb, &e), 0);
}

#endif /* RT_HB_FIXTURE_H */
