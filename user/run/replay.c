// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * racetrace report FILE: read a recorded trace and run it through the same decoder check,
 * engine and detectors as a live run. Deterministic: the same file gives the same output.
 * The trace's aux entries (version 2 on) are read first: they give the symbolizer the
 * mappings and the unwinder the call-site stacks the live run had, so the report carries the
 * same stacks and names. A version 1 trace has none: its stacks are the sites alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "run/cli.h"
#include "run/pipeline.h"
#include "engine/hb.h"
#include "lib/log.h"
#include "lib/supp.h"
#include "report/report.h"
#include "sym/symbolize.h"
#include "record/trace.h"
#include "sym/unwind.h"
#include "lib/util.h"

/* A mapping of the trace, kept until the symbolizer has them all. */
struct aux_map {
	__u64 seen;
	size_t idx; /* in the trace */
	pid_t pid;
	__u64 start, end, off;
	char *path;
};

/* By seen; among equal ones the earlier mapping last, since the last added wins. */
static int cmp_seen(const void *a, const void *b)
{
	const struct aux_map *x = a, *y = b;

	if (x->seen != y->seen)
		return x->seen < y->seen ? -1 : 1;
	return x->idx < y->idx ? 1 : x->idx > y->idx ? -1 : 0;
}

/* Keep a copy of m as maps[*n]. 0 or -ENOMEM (nothing kept). */
static int keep_map(struct aux_map **maps, size_t *n, size_t *cap,
		    const struct rt_trace_mapping *m)
{
	char *path;

	if (rt_grow((void **)maps, cap, *n + 1, sizeof(**maps)))
		return -ENOMEM;
	path = strdup(m->path);
	if (!path)
		return -ENOMEM;
	(*maps)[*n] = (struct aux_map){ .seen = m->seen, .idx = *n, .pid = m->pid,
					.start = m->start, .end = m->end, .off = m->off,
					.path = path };
	(*n)++;
	return 0;
}

/*
 * Fill sym and u from the aux entries of r, then rewind r to its first record. The mappings are
 * added in the order of the trace, the order the live symbolizer first saw them (which
 * rt_sym__data() walks), then once more in the order of seen, so where they overlap the one
 * the live run would pick wins. Returns 0; 1 when the trace is bad (what came before the fault
 * is used; the replay reports the fault after the records before it, as without aux
 * entries); -ENOMEM; or the -errno of rewinding (a pipe).
 */
static int load_aux(struct rt_trace_reader *r, struct rt_symbolizer *sym, struct rt_unwinder *u)
{
	const struct rt_trace_aux *a;
	struct aux_map *maps = NULL;
	size_t n = 0, cap = 0, i;
	int ret, err = 0;

	while ((ret = rt_trace_reader__next_aux(r, &a)) > 0) {
		const struct rt_trace_mapping *m = &a->map;

		if (a->type == RT_TRACE_AUX_STACK) {
			err = rt_unwind__add(u, a->stack.pid, a->stack.site, a->stack.pcs,
					     RT_MIN((int)a->stack.n, RT_MAX_FRAMES));
		} else if (a->type == RT_TRACE_AUX_MAPPING) {
			err = rt_sym__add_mapping(sym, m->pid, m->start, m->end, m->off, m->path);
			if (!err)
				err = keep_map(&maps, &n, &cap, m);
		}
		/* -ENOSPC: more mappings than a symbolizer holds; the rest go unnamed */
		if (err == -ENOSPC || err == -EINVAL)
			err = 0;
		if (err)
			goto cleanup;
	}
	qsort(maps, n, sizeof(*maps), cmp_seen);
	for (i = 0; i < n && !err; i++)
		err = rt_sym__add_mapping(sym, maps[i].pid, maps[i].start, maps[i].end, maps[i].off,
					  maps[i].path);
	if (err)
		goto cleanup;
	err = rt_trace_reader__rewind(r);
	if (!err && ret < 0)
		err = 1;
cleanup:
	for (i = 0; i < n; i++)
		free(maps[i].path);
	free(maps);
	return err;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * --profile: decode the whole trace into memory, then run the engine over it, and say how
 * fast each part went on stderr. Returns 0, the reader's error (< 0, not -ENOMEM) or -ENOMEM.
 */
static int profile_run(const struct rt_env *env, struct rt_trace_reader *r, struct hb *hb,
		       struct rt_pipeline *mark)
{
	struct rt_event *evs = NULL;
	size_t n = 0, cap = 0, i;
	const struct rt_event *e;
	double t0, t1, t2;
	int ret;

	t0 = now_s();
	while ((ret = rt_trace_reader__next(r, &e)) > 0) {
		if (rt_grow((void **)&evs, &cap, n + 1, sizeof(*evs))) {
			free(evs);
			return -ENOMEM;
		}
		evs[n] = *e;
		if (mark) /* evs[n] is e, marked when it needs to be */
			rt_pipeline__mark(mark, e, &evs[n]);
		n++;
	}
	t1 = now_s();
	for (i = 0; ret == 0 && i < n; i++) {
		if (hb__event(hb, &evs[i])) {
			free(evs);
			return -ENOMEM;
		}
	}
	t2 = now_s();
	free(evs);
	if (ret == 0)
		fprintf(stderr,
			"racetrace: profile: %zu events; reading and checking the trace %.3f s "
			"(%.2f M events/s); engine and detectors %.3f s (%.2f M events/s)\n",
			n, t1 - t0, n / (t1 - t0) / 1e6, t2 - t1,
			t2 > t1 ? n / (t2 - t1) / 1e6 : 0.0);
	(void)env;
	return ret;
}

int rt_replay_run(const struct rt_env *env)
{
	struct rt_report_opts ropts = { .json = env->json };
	struct rt_pipeline pl = { 0 };
	struct rt_event tmp;
	bool mark;
	const struct rt_trace_footer *foot;
	struct rt_trace_reader *r;
	struct rt_report *report = NULL;
	struct rt_symbolizer *sym = NULL;
	struct rt_unwinder *unwind = NULL;
	struct rt_trace_info info;
	struct rt_summary sum = { 0 };
	const struct rt_event *e;
	struct hb_stats st;
	struct hb *hb = NULL;
	struct rt_supp *supp = NULL;
	FILE *json_out = NULL;
	char err[256];
	int status = RT_EXIT_ERROR, ret;

	r = rt_trace_reader__open(env->report_file, &info, err, sizeof(err));
	if (!r) {
		rt_err("%s: %s", env->report_file, err);
		return RT_EXIT_ERROR;
	}
	if (env->json_out) {
		json_out = rt_fopen_private(env->json_out, false);
		if (!json_out) {
			rt_err("open %s: %s", env->json_out, strerror(errno));
			goto cleanup;
		}
		ropts.json = true;
		ropts.out = json_out;
	}
	if (env->suppressions) {
		supp = rt_supp__load(env->suppressions, err, sizeof(err));
		if (!supp) {
			rt_err("--suppressions %s", errno == ENOMEM ? "out of memory" : err);
			goto cleanup;
		}
		ropts.supp = supp;
	}
	if (rt_pipeline__init(&pl, ropts, env->no_symbolize, env->hang_threshold_s)) {
		rt_err("out of memory");
		goto cleanup;
	}
	sym = pl.sym;
	unwind = pl.unwind;
	report = pl.report;
	if (rt_trace_reader__version(r) >= 2) {
		ret = load_aux(r, sym, unwind);
		if (ret < 0) {
			rt_err("%s: %s", env->report_file,
			       ret == -ENOMEM ? "out of memory" :
			       ret == -ESPIPE ? "cannot read it twice (a pipe?)" : strerror(-ret));
			goto cleanup;
		}
	}
	hb = rt_pipeline__engine(&pl);
	if (!hb) {
		rt_err("out of memory");
		goto cleanup;
	}
	/*
	 * Traces of events ABI 5 were recorded before the live side marked Go call sites on the
	 * records (RT_EVF_GO_*): the symbolizer classifies them now, from the binaries.
	 */
	mark = info.events_abi < 6;
	if (env->profile) {
		/* read everything first, then time the engine alone (make bench) */
		ret = profile_run(env, r, hb, mark ? &pl : NULL);
		if (ret == -ENOMEM) {
			rt_err("replaying %s: out of memory", env->report_file);
			goto cleanup;
		}
	} else {
		while ((ret = rt_trace_reader__next(r, &e)) > 0) {
			if (mark)
				e = rt_pipeline__mark(&pl, e, &tmp);
			if (hb__event(hb, e)) {
				rt_err("replaying %s: out of memory", env->report_file);
				goto cleanup;
			}
		}
	}
	if (ret < 0) {
		rt_err("%s: %s", env->report_file, rt_trace_reader__error(r));
		goto cleanup;
	}
	foot = rt_trace_reader__footer(r);
	hb__stats(hb, &st);
	sum.pid = info.pid;
	sum.events = st.events;
	memcpy(sum.by_type, st.by_type, sizeof(sum.by_type));
	memcpy(sum.lost_by_reason, foot->lost, sizeof(sum.lost_by_reason));
	sum.lost = rt_drops_lost(foot->lost);
	sum.threads = st.threads;
	sum.duration_s = foot->duration_ns / 1e9;
	rt_report__summary(report, &sum);
	status = rt_report__count(report) ? env->exitcode : RT_EXIT_OK;
cleanup:
	hb__free(hb);
	rt_pipeline__fini(&pl);
	rt_supp__free(supp);
	rt_trace_reader__free(r);
	if (json_out)
		fclose(json_out);
	return status;
}
