/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The report's printed stacks, for its printers (report.c, text.c, json.c) only: stacks with
 * their inline chains expanded, and which frame a report names. Kept out of report.h, which
 * the engine includes, since it needs the symbolizer's frame type.
 */
#ifndef RT_REPORT_FRAMES_H
#define RT_REPORT_FRAMES_H

#include <stdbool.h>
#include <linux/types.h>
#include "report/report.h"
#include "sym/symbolize.h"

#define RT_REPORT_MAX_FRAMES 64 /* printed frames of one stack, inlined ones included */

/* A printed frame: known is false when the symbolizer knew nothing (only f.addr is set). */
struct rt_report_frame {
	struct rt_frame f;
	bool known;
};

/*
 * The printed stack of a call site: each pc of rt_report__stack() expanded into its inline
 * chain, innermost first (rt_sym__frames()). Stores up to max frames (max >= 1) in out and
 * returns how many (>= 1).
 */
int rt_report__frames(const struct rt_report_opts *o, __u32 pid, __u64 site,
		      struct rt_report_frame *out, int max);
/*
 * Of a printed stack fr[0..n), the frame a report names (the SUMMARY line, `sites`): the first
 * frame in the program's own code (not Go's runtime, sync or internal packages, not glibc),
 * moved out through the functions it was inlined into while they are the program's own too.
 * 0 when no frame is.
 */
int rt_report__own_frame(const struct rt_report_frame *fr, int n);
/* Whether module (a file's basename) is glibc's: libc.so.6, ld-linux-x86-64.so.2, ... */
bool rt_report__glibc(const char *module);
/* The address a report lists for a call site: that of its named frame (above). */
__u64 rt_report__site(const struct rt_report_opts *o, __u32 pid, __u64 site);

#endif /* RT_REPORT_FRAMES_H */
