/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Classes of Go code sites: what the symbolizer tells of a call site (rt_sym__go_class) and the
 * engine uses (hb_opts.site_class). A header of its own so that neither includes the other.
 */
#ifndef RT_SITE_H
#define RT_SITE_H

#define RT_SITE_GO_RUNTIME 0x1 /* the runtime's own goroutines (runtime.*, os/signal.*, ...) */
#define RT_SITE_GO_TIME 0x2    /* package time: a channel made there is a timer's */

#endif /* RT_SITE_H */
