// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Defines the maps and knobs that every probe family shares (declared in common.bpf.h). */
#define RT_DEFINE_MAPS
#include "common.bpf.h"

const volatile __u32 targ_tgid = 0;
const volatile __u32 stop_at_exit = 0;
const volatile __u32 watch_exec = 0;
const volatile __u32 go_goid_off = 0;
const volatile __u32 targ_flags = 0;
volatile __u32 sched_gen = 0;

char LICENSE[] SEC("license") = "Dual BSD/GPL";
