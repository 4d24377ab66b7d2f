// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * racetrace report FILE: read a recorded trace and run it through the same decoder check,
 * engine and detectors as a live run. Deterministic: the same file gives the same output.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "hb.h"
#include "log.h"
#include "report.h"
#include "trace.h"

int rt_replay_run(const struct rt_env *env)
{
	struct rt_report_opts ropts = { .json = env->json };
	const struct rt_trace_footer *foot;
	struct rt_trace_reader *r;
	struct rt_report *report = NULL;
	struct rt_trace_info info;
	struct rt_summary sum = { 0 };
	const struct rt_event *e;
	struct hb_stats st;
	struct hb *hb = NULL;
	FILE *json_out = NULL;
	char err[256];
	int status = RT_EXIT_ERROR, ret;

	r = rt_trace_reader__open(env->report_file, &info, err, sizeof(err));
	if (!r) {
		rt_err("%s: %s", env->report_file, err);
		return RT_EXIT_ERROR;
	}
	if (env->json_out) {
		json_out = fopen(env->json_out, "we");
		if (!json_out) {
			rt_err("open %s: %s", env->json_out, strerror(errno));
			goto cleanup;
		}
		ropts.json = true;
		ropts.out = json_out;
	}
	report = rt_report__new(&ropts);
	hb = report ? hb__new(&(struct hb_opts){ .report = report,
						 .hang_threshold_ns = env->hang_threshold_s * 1e9 }) :
		      NULL;
	if (!hb) {
		rt_err("out of memory");
		goto cleanup;
	}
	rt_report__set_hb(report, hb);
	while ((ret = rt_trace_reader__next(r, &e)) > 0) {
		if (hb__event(hb, e)) {
			rt_err("replaying %s: out of memory", env->report_file);
			goto cleanup;
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
	sum.lost = foot->lost[RT_DROP_RINGBUF] + foot->lost[RT_DROP_STASH];
	sum.threads = st.threads;
	sum.duration_s = foot->duration_ns / 1e9;
	rt_report__summary(report, &sum);
	status = rt_report__count(report) ? env->exitcode : RT_EXIT_OK;
cleanup:
	hb__free(hb);
	rt_report__free(report);
	rt_trace_reader__free(r);
	if (json_out)
		fclose(json_out);
	return status;
}
