// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one list of detectors. The order is the order in which the engine calls their hooks,
 * so it decides the order of findings made at the same point (a tick's deadlocks before its
 * stuck goroutines; a hold-and-wait, which explains its goroutines' parks, before the leak
 * rule would judge them).
 */
#include <string.h>
#include "detect/registry.h"
#include "engine/hb.h"

const struct hb_detector *const rt_detectors[] = {
	&rt_det_lockorder,
	&rt_det_misuse,
	&rt_det_heap,
	&rt_det_deadlock,
	&rt_det_go_doublelock,
	&rt_det_go_testleak,
	&rt_det_go_holdwait,
	&rt_det_go_stuck,
	&rt_det_go_maprace,
	&rt_det_go_chanclose,
	&rt_det_go_waitgroup,
	&rt_det_waited,
	&rt_det_blocked,
	&rt_det_datarace,
	NULL,
};

__u64 rt_detectors_counter(const struct hb_counters *c, const char *metric, const char *table)
{
	const struct hb_det_counter *dc;
	__u64 sum = 0;
	size_t i, j;

	for (i = 0; i < HB_MAX_DETECTORS && rt_detectors[i]; i++)
		for (j = 0; j < HB_DET_COUNTERS_MAX && (dc = rt_detectors[i]->counters) &&
			    dc[j].metric;
		     j++)
			if (!strcmp(dc[j].metric, metric) &&
			    (table ? dc[j].table && !strcmp(dc[j].table, table) : !dc[j].table))
				sum += c->det[i][j];
	return sum;
}

int rt_detectors_add(struct hb *hb)
{
	size_t i;
	int err;

	for (i = 0; rt_detectors[i]; i++) {
		err = hb__add_detector(hb, rt_detectors[i]);
		if (err)
			return err;
	}
	return 0;
}
