/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by every probe family: the maps (defined once in maps.bpf.c), the target filter and
 * the record helpers. Records are reserved straight in the ring buffer and submitted without a
 * wakeup: on this kernel a wakeup from uprobe context stops the uprobe from firing when the
 * consumer sleeps in epoll, and costs ~70% per call. User space drains on a short timer.
 */
#ifndef RT_COMMON_BPF_H
#define RT_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"

#define RT_STASH_ENTRIES 65536
#define RT_TARGETS_MAX 1024

/* Arguments saved at entry for the matching return probe. */
struct rt_stash {
	__u64 a1;
	__u64 a2;
	__u64 caller;
};

/* Maps and knobs are defined once, in maps.bpf.c (RT_DEFINE_MAPS), and linked by bpftool. */
#ifdef RT_DEFINE_MAPS
#define RT_EXTERN
#else
#define RT_EXTERN extern
#endif

/* Knobs, set through skel->rodata before load. targ_tgid == 0 means "use the targets map". */
RT_EXTERN const volatile __u32 targ_tgid;
/* stop the target at exit() so user space can read its maps (only the command we started) */
RT_EXTERN const volatile __u32 stop_at_exit;
/* report every exec on the machine (the daemon matches new processes against its config) */
RT_EXTERN const volatile __u32 watch_exec;
/* Go targets: offset of goid in runtime.g (the g is in R14) */
RT_EXTERN const volatile __u32 go_goid_off;
/* the single target's RT_TF_* flags (targ_tgid != 0; else they are the targets map's values) */
RT_EXTERN const volatile __u32 targ_flags;

RT_EXTERN struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

RT_EXTERN struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RT_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* key: (tid << 16) | event type, so nested probed calls of different kinds do not collide */
RT_EXTERN struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RT_STASH_ENTRIES);
	__type(key, __u64);
	__type(value, struct rt_stash);
} stash SEC(".maps");

/* stack samples, see events.h */
RT_EXTERN struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} stacks SEC(".maps");

/*
 * exec records (daemon mode) have their own small ring: a flood of events from one target must
 * not crowd out the exec of the next process to attach
 */
RT_EXTERN struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} execs SEC(".maps");

/* call sites (caller addresses) that already have a stack sample */
RT_EXTERN struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} stack_sites SEC(".maps");

/* tgids to trace when targ_tgid is 0 (daemon mode); the value is RT_TF_TRACED | flags */
RT_EXTERN struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RT_TARGETS_MAX);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/*
 * Per thread of an RT_TF_SCHED_WAITS target (futex.bpf.c): the futex wait it went to sleep in,
 * if that wait has not been seen to end. gen is sched_gen when the entry was written: an entry
 * of another generation (or none) means the thread was not seen since racetrace attached.
 */
struct rt_sched_wait {
	__u64 uaddr;
	__u32 gen;
	__u32 waiting;
};

RT_EXTERN struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct rt_sched_wait);
} sched_waits SEC(".maps");

/* bumped by user space whenever a target starts seeing its waits through the scheduler */
RT_EXTERN volatile __u32 sched_gen;

static __always_inline bool rt_traced(__u32 tgid)
{
	if (targ_tgid)
		return tgid == targ_tgid;
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

/* The target's RT_TF_* flags, or -1 when tgid is not traced. */
static __always_inline int rt_target_flags(__u32 tgid)
{
	__u8 *v;

	if (targ_tgid)
		return tgid == targ_tgid ? (int)(targ_flags | RT_TF_TRACED) : -1;
	v = bpf_map_lookup_elem(&targets, &tgid);
	return v ? *v : -1;
}

static __always_inline void rt_drop(__u32 reason)
{
	__u64 *cnt = bpf_map_lookup_elem(&drops, &reason);

	if (cnt)
		*cnt += 1;
}

static __always_inline __u64 rt_stash_key(__u32 tid, __u16 type)
{
	return ((__u64)tid << 16) | type;
}

/*
 * Reserve a record and fill its header; the caller fills the payload and calls rt_submit().
 * Returns NULL (and counts the drop) when the ring buffer is full.
 */
static __always_inline struct rt_event *rt_reserve(__u16 type, __u16 flags, __u64 pid_tgid)
{
	struct rt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		rt_drop(RT_DROP_RINGBUF);
		return NULL;
	}
	e->h.type = type;
	e->h.flags = flags;
	e->h.stack_id = RT_NO_STACK;
	e->h.tid = (__u32)pid_tgid;
	e->h.tgid = pid_tgid >> 32;
	e->h.ktime = bpf_ktime_get_ns();
	e->h.goid = 0;
	e->obj = 0;
	e->obj2 = 0;
	e->caller = 0;
	e->arg = 0;
	e->ret = 0;
	return e;
}

/* rt_reserve's twin for the execs ring */
static __always_inline struct rt_event *rt_reserve_exec(__u64 pid_tgid)
{
	struct rt_event *e = bpf_ringbuf_reserve(&execs, sizeof(*e), 0);

	if (!e) {
		rt_drop(RT_DROP_EXEC);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->h.type = RT_EV_EXEC;
	e->h.stack_id = RT_NO_STACK;
	e->h.tid = (__u32)pid_tgid;
	e->h.tgid = pid_tgid >> 32;
	e->h.ktime = bpf_ktime_get_ns();
	return e;
}

static __always_inline void rt_submit(struct rt_event *e)
{
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

#endif /* RT_COMMON_BPF_H */
