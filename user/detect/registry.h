/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The detectors, one per file in detect/, each a struct hb_detector (engine/hooks.h), and the
 * one list of them (registry.c). run/ registers the list with every engine it makes; a unit
 * test registers one detector alone. Adding a detector: one file here, one row in registry.c,
 * and its finding kind (report/finding.h); nothing in the engine changes (docs/design.md).
 */
#ifndef RT_DETECT_REGISTRY_H
#define RT_DETECT_REGISTRY_H

#include "engine/hooks.h"

extern const struct hb_detector rt_det_lockorder;    /* lockorder.c */
extern const struct hb_detector rt_det_misuse;	     /* misuse.c */
extern const struct hb_detector rt_det_heap;	     /* heap.c */
extern const struct hb_detector rt_det_deadlock;     /* deadlock.c */
extern const struct hb_detector rt_det_go_doublelock; /* go_doublelock.c */
extern const struct hb_detector rt_det_go_testleak;  /* go_testleak.c */
extern const struct hb_detector rt_det_go_holdwait;  /* go_holdwait.c */
extern const struct hb_detector rt_det_go_stuck;     /* go_stuck.c */
extern const struct hb_detector rt_det_go_maprace;   /* go_maprace.c */
extern const struct hb_detector rt_det_go_chanclose; /* go_chanclose.c */
extern const struct hb_detector rt_det_go_waitgroup; /* go_waitgroup.c */
extern const struct hb_detector rt_det_waited;	     /* waited.c */
extern const struct hb_detector rt_det_blocked;	     /* blocked.c */
extern const struct hb_detector rt_det_datarace;     /* datarace.c */

/* Every detector, in the order the engine calls them; NULL-terminated. */
extern const struct hb_detector *const rt_detectors[];

/* Register every detector with hb. 0, or the first hb__add_detector() error. */
int rt_detectors_add(struct hb *hb);

struct hb_counters;
/*
 * The sum, in counters c of engines that rt_detectors_add() set up, of the detectors'
 * counters named (metric, table) (table NULL: a family without the label).
 */
__u64 rt_detectors_counter(const struct hb_counters *c, const char *metric, const char *table);

#endif /* RT_DETECT_REGISTRY_H */
