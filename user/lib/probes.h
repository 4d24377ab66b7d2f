/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Probe families, as --probes and the daemon's config name them. Pure C. */
#ifndef RT_PROBES_H
#define RT_PROBES_H

#include <linux/types.h>

/* Probe families (--probes). Futex and scheduler tracepoints are always on. */
#define RT_PROBE_THREADS 0x1 /* pthread_create/join/exit, exit */
#define RT_PROBE_LOCKS 0x2   /* mutex, rwlock, spinlock */
#define RT_PROBE_COND 0x4    /* condition variables */
#define RT_PROBE_SEM 0x8     /* semaphores */
#define RT_PROBE_ALLOC 0x10  /* malloc family and free */
#define RT_PROBE_ALL 0x1f

/* Parse "locks,threads" (or "all", or "futex" for none: tracepoints only) into *mask. */
int rt_probes_parse(const char *s, __u32 *mask);

#endif /* RT_PROBES_H */
