// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor for a probed call: an entry uprobe whose program does nothing but count its hits in
 * a per-CPU array (a few ns, so that bench/emptyprobe can check that every expected call was
 * probed). What a probe costs beyond this is racetrace's own work; what this costs is the
 * kernel's uprobe machinery at that address (int3, then single-step or emulation).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline void count(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&hits, &zero);

	if (n)
		*n += 1;
}

SEC("uprobe.multi")
int empty(void *ctx)
{
	count();
	return 0;
}

/*
 * The floors of racetrace's futex tracepoints, for every task on the machine: the syscall pair
 * (what enabling them costs every system call) and sched_switch (every context switch).
 */
SEC("tp_btf/sys_enter")
int tp_sys_enter(void *ctx)
{
	count();
	return 0;
}

SEC("tp_btf/sys_exit")
int tp_sys_exit(void *ctx)
{
	count();
	return 0;
}

SEC("tp_btf/sched_switch")
int tp_sched_switch(void *ctx)
{
	count();
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
