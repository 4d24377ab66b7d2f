// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * futex(2) waits and wakes, two ways.
 *
 * With lock probes (the default): enter and exit through the raw syscall tracepoints as tp_btf
 * programs, which need no tracefs. They fire for every syscall on the machine, so the syscall
 * number and the target are checked first. Their price is paid by every task, traced or not:
 * while a syscall tracepoint is enabled, every system call takes the kernel's slow entry path.
 *
 * With --probes futex (RT_TF_SCHED_WAITS): the waits only, from sched_switch. A thread of the
 * target that goes to sleep while its syscall registers say futex(FUTEX_WAIT...) is waiting
 * there; its next switch-in ends the wait. Wakes are not seen (they are happens-before edges,
 * which only the lock probes' detectors use), nor waits that return without sleeping. Context
 * switches are far rarer than system calls and the target test is a compare, so the
 * contention-only mode costs next to nothing.
 *
 * On a FUTEX_WAIT the u32 at uaddr+8 is read too: for a glibc mutex that is the owner's tid,
 * which turns the wait into a wait-for edge without any uprobe.
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

/* A wait or wake record; for a wait, the lock words next to uaddr (read in the caller's mm). */
static __always_inline int futex_record(int type, __u16 flags, __u64 id, __u64 uaddr, __u32 op,
					 __u64 val)
{
	__u32 owner = 0, w12 = 0, w16 = 0;
	struct rt_event *e;

	if (type == RT_EV_FUTEX_WAIT) {
		bpf_probe_read_user(&owner, sizeof(owner), (void *)(uaddr + 8));
		bpf_probe_read_user(&w12, sizeof(w12), (void *)(uaddr + 12));
		bpf_probe_read_user(&w16, sizeof(w16), (void *)(uaddr + 16));
	}
	e = rt_reserve(type, flags, id);
	if (!e)
		return -1;
	e->obj = uaddr;
	e->obj2 = w16 | ((__u64)w12 << 32);
	e->arg = op | (val << 32);
	e->ret = owner;
	rt_submit(e);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(tp_btf_sys_enter, struct pt_regs *regs, long nr)
{
	__u64 id, uaddr, key, val;
	struct rt_stash s = {};
	int type, tf;
	__u32 op;

	if (nr != RT_NR_FUTEX)
		return 0;
	id = bpf_get_current_pid_tgid();
	tf = rt_target_flags(id >> 32);
	if (tf < 0 || (tf & RT_TF_SCHED_WAITS))
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
	futex_record(type, 0, id, uaddr, op, val);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(tp_btf_sys_exit, struct pt_regs *regs, long ret)
{
	struct rt_stash *sp;
	struct rt_event *e;
	__u64 id, key, uaddr, op;

	int tf;

	if (BPF_CORE_READ(regs, orig_ax) != RT_NR_FUTEX)
		return 0;
	id = bpf_get_current_pid_tgid();
	tf = rt_target_flags(id >> 32);
	if (tf < 0 || (tf & RT_TF_SCHED_WAITS))
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

#define RT_TASK_RUNNING 0

/* A wait-return record from the scheduler: uaddr 0 for a wait we did not see begin. */
static __always_inline void sched_wait_ret(struct task_struct *t, __u64 uaddr)
{
	struct rt_event *e = rt_reserve(RT_EV_FUTEX_WAIT_RET, RT_EVF_RET | RT_EVF_SCHED,
					(__u64)t->tgid << 32 | (__u32)t->pid);

	if (!e)
		return;
	e->obj = uaddr;
	e->arg = uaddr ? 0 : RT_FUTEX_OP_UNKNOWN;
	rt_submit(e);
}

/*
 * t runs, or ran: end the wait it was in, if any. A thread first seen in this generation may
 * be in a wait racetrace learned at attach (from /proc): end that one too. Such a thread is
 * blocked in futex(2), so its switch-in is one the program looks at.
 */
static __always_inline struct rt_sched_wait *sched_wait_end(struct task_struct *t)
{
	struct rt_sched_wait *w = bpf_task_storage_get(&sched_waits, t, NULL, 0);
	__u32 gen = sched_gen;

	if (!w || w->gen != gen) {
		sched_wait_ret(t, 0);
		w = bpf_task_storage_get(&sched_waits, t, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (w) {
			w->gen = gen;
			w->waiting = 0;
		}
		return w;
	}
	if (w->waiting) {
		sched_wait_ret(t, w->uaddr);
		w->waiting = 0;
	}
	return w;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(tp_btf_sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	struct rt_sched_wait *w;
	struct pt_regs *regs;
	int tf;

	/* prev goes to sleep (not preempted) in futex(FUTEX_WAIT...)? (current is prev) */
	tf = rt_target_flags(prev->tgid);
	if (tf >= 0 && (tf & RT_TF_SCHED_WAITS) && !preempt && prev_state != RT_TASK_RUNNING) {
		regs = (struct pt_regs *)bpf_task_pt_regs(prev);
		if (regs && regs->orig_ax == RT_NR_FUTEX && futex_class(regs->si) == RT_EV_FUTEX_WAIT) {
			/*
			 * It ran, so a wait it was in is over: its switch-in said so, this is the
			 * safety net. Not done at every switch-out: that task storage lookup
			 * cost memcached 1.3 % more (bench/bench.py's paired runs, by hand).
			 */
			w = sched_wait_end(prev);
			if (!futex_record(RT_EV_FUTEX_WAIT, RT_EVF_SCHED,
					  (__u64)prev->tgid << 32 | (__u32)prev->pid, regs->di, regs->si,
					  (__u32)regs->dx) && w) {
				w->uaddr = regs->di;
				w->waiting = 1;
			}
			/* (no entry: its creation failed; its switch-in ends the wait as unknown) */
		}
	}

	/* next runs again: inside futex(2) if it slept in a wait, so the registers go first */
	tf = rt_target_flags(next->tgid);
	if (tf < 0 || !(tf & RT_TF_SCHED_WAITS))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(next);
	if (regs && regs->orig_ax == RT_NR_FUTEX)
		sched_wait_end(next);
	return 0;
}
