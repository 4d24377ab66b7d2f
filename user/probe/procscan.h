/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * At attach: records for what a running process already is. Every thread's name (as if just
 * renamed), and every futex wait in progress, read from /proc/PID/task/TID/syscall with the
 * lock words from /proc/PID/mem (as if just entered): this is what lets `racetrace -p` report a
 * deadlock that formed before it attached. Records carry RT_EVF_SYNTH.
 */
#ifndef RT_PROCSCAN_H
#define RT_PROCSCAN_H

#include <sys/types.h>
#include <linux/types.h>
#include "events.h"

typedef int (*rt_record_fn)(void *ctx, const struct rt_event *e);

/* Feed the records to fn; returns fn's first error, else 0. */
int rt_proc_learn(pid_t pid, rt_record_fn fn, void *ctx);

#endif /* RT_PROCSCAN_H */
