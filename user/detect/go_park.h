/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the Go detectors that judge parked goroutines share (go_stuck.c, go_testleak.c,
 * go_holdwait.c): how a park reads in a message and a finding, and which parks end by
 * themselves.
 */
#ifndef RT_DETECT_GO_PARK_H
#define RT_DETECT_GO_PARK_H

#include <stdbool.h>
#include "engine/hooks.h"

/* "receiving from channel", ..., by RT_PARK_* */
extern const char *const rt_go_park_what[RT_PARK_MAX];
/* the object's type in a finding: "chan", "sync.WaitGroup", ..., by RT_PARK_* */
extern const char *const rt_go_park_kind[RT_PARK_MAX];

/*
 * Does park p end by itself? A receive from a channel a timer or a signal sends on, or a
 * select with such a receive case or with more cases than the probe reads: waiting, not stuck.
 */
bool rt_go_park_wakes_alone(const struct hb *hb, const struct hb_park *p);

#endif /* RT_DETECT_GO_PARK_H */
