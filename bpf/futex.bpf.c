// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * futex(2) enter and exit through the raw syscall tracepoints as tp_btf programs, which need
 * no tracefs. They fire for every syscall on the machine, so the syscall number and the target
 * are checked first. On a FUTEX_WAIT the u32 at uaddr+8 is read too: for a glibc mutex that is
 * the owner's tid, which turns the wait into a wait-for edge without any uprobe.
 */
#include "common.bpf.h"

#define RT_NR_FUTEX 202 /* x86-64 */

#define RT_FUTEX_WAIT 0
#define RT_FUTEX_WAKE 1
#define RT_FUTEX_REQUEUE 3
#define RT_FUTEX_CMP_REQUEUE 4
#define RT_FUTEX_WAKE_OP 5
#define RT_FUTEX_LOCK_PI 6
#define RT_FUTEX_UNLOCK_PI 7
#define RT_FUTEX_WAIT_BITSET 9
#define RT_FUTEX_WAKE_BITSET 10
#define RT_FUTEX_WAIT_REQUEUE_PI 11
#define RT_FUTEX_CMP_REQUEUE_PI 12
#define RT_FUTEX_LOCK_PI2 13
#define RT_FUTEX_CMD_MASK 0x7f /* drops FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME */

/* The futex stash uses a type no uprobe uses, so it cannot collide with theirs. */
#define RT_FUTEX_STASH_TYPE 0xfffe

static __always_inline int futex_class(__u32 op)
{
	switch (op & RT_FUTEX_CMD_MASK) {
	case RT_FUTEX_WAIT:
	case RT_FUTEX_WAIT_BITSET:
	case RT_FUTEX_LOCK_PI:
	case RT_FUTEX_LOCK_PI2:
	case RT_FUTEX_WAIT_REQUEUE_PI:
		return RT_EV_FUTEX_WAIT;
	case RT_FUTEX_WAKE:
	case RT_FUTEX_WAKE_BITSET:
	case RT_FUTEX_WAKE_OP:
	case RT_FUTEX_REQUEUE:
	case RT_FUTEX_CMP_REQUEUE:
	case RT_FUTEX_CMP_REQUEUE_PI:
	case RT_FUTEX_UNLOCK_PI:
		return RT_EV_FUTEX_WAKE;
	}
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(tp_btf_sys_enter, struct pt_regs *regs, long nr)
{
	__u64 id, uaddr, key, val;
	struct rt_stash s = {};
	struct rt_event *e;
	__u32 op, owner = 0, w12 = 0, w16 = 0;
	int type;

	if (nr != RT_NR_FUTEX)
		return 0;
	id = bpf_get_current_pid_tgid();
	if (!rt_traced(id >> 32))
		return 0;

	uaddr = BPF_CORE_READ(regs, di);
	op = BPF_CORE_READ(regs, si);
	val = (__u32)BPF_CORE_READ(regs, dx);
	type = futex_class(op);
	if (!type)
		return 0;

	s.a1 = uaddr;
	s.a2 = op;
	key = rt_stash_key((__u32)id, RT_FUTEX_STASH_TYPE);
	bpf_map_update_elem(&stash, &key, &s, BPF_ANY);

	if (type == RT_EV_FUTEX_WAIT) {
		bpf_probe_read_user(&owner, sizeof(owner), (void *)(uaddr + 8));
		bpf_probe_read_user(&w12, sizeof(w12), (void *)(uaddr + 12));
		bpf_probe_read_user(&w16, sizeof(w16), (void *)(uaddr + 16));
	}

	e = rt_reserve(type, 0, id);
	if (!e)
		return 0;
	e->obj = uaddr;
	e->obj2 = w16 | ((__u64)w12 << 32);
	e->arg = op | (val << 32);
	e->ret = owner;
	rt_submit(e);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(tp_btf_sys_exit, struct pt_regs *regs, long ret)
{
	struct rt_stash *sp;
	struct rt_event *e;
	__u64 id, key, uaddr, op;

	if (BPF_CORE_READ(regs, orig_ax) != RT_NR_FUTEX)
		return 0;
	id = bpf_get_current_pid_tgid();
	if (!rt_traced(id >> 32))
		return 0;

	key = rt_stash_key((__u32)id, RT_FUTEX_STASH_TYPE);
	sp = bpf_map_lookup_elem(&stash, &key);
	if (!sp) {
		/*
		 * Entered before we attached (or an op we do not trace): say that the thread is
		 * out of the futex call, so a wait we learned at attach does not outlive it.
		 */
		e = rt_reserve(RT_EV_FUTEX_WAIT_RET, RT_EVF_RET, id);
		if (!e)
			return 0;
		e->arg = RT_FUTEX_OP_UNKNOWN;
		e->ret = ret;
		rt_submit(e);
		return 0;
	}
	uaddr = sp->a1;
	op = sp->a2;
	bpf_map_delete_elem(&stash, &key);

	e = rt_reserve(futex_class(op) == RT_EV_FUTEX_WAIT ? RT_EV_FUTEX_WAIT_RET :
							     RT_EV_FUTEX_WAKE_RET,
		       RT_EVF_RET, id);
	if (!e)
		return 0;
	e->obj = uaddr;
	e->arg = op;
	e->ret = ret;
	rt_submit(e);
	return 0;
}
