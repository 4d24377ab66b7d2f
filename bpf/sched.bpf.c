// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Thread creation and exit from the scheduler's tracepoints (tp_btf, no tracefs needed). The
 * fork record links the creating thread to the new one, which is the pthread_create -> child
 * start edge; the exit record ends a thread (and is what pthread_join waits for).
 */
#include "common.bpf.h"

#define RT_SIGNAL_GROUP_EXIT 0x00000004 /* include/linux/sched/signal.h */
#define RT_MAX_PID_NS_LEVEL 32 /* include/linux/pid_namespace.h */

/* task's thread id in its own (innermost) pid namespace; 0 when it cannot be read */
static __always_inline __u32 ns_tid(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);

	if (level > RT_MAX_PID_NS_LEVEL)
		return 0;
	return BPF_CORE_READ(pid, numbers[level].nr);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tp_btf_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	struct rt_event *e;

	/* a new process is not a new thread of the target */
	if (ptgid != ctgid || !rt_traced(ptgid))
		return 0;
	e = rt_reserve(RT_EV_THREAD_FORK, 0, bpf_get_current_pid_tgid());
	if (!e)
		return 0;
	e->arg = BPF_CORE_READ(child, pid);
	e->obj2 = ns_tid(child);
	rt_submit(e);
	return 0;
}

SEC("tp_btf/task_rename")
int BPF_PROG(tp_btf_task_rename, struct task_struct *task, const char *comm)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct rt_event *e;

	if (!rt_traced(id >> 32))
		return 0;
	e = rt_reserve(RT_EV_THREAD_NAME, 0, id);
	if (!e)
		return 0;
	/* obj and obj2 are adjacent: 16 bytes for the name */
	bpf_probe_read_kernel_str(&e->obj, 16, comm);
	rt_submit(e);
	return 0;
}

/*
 * The daemon watches every exec on the machine (its own ring); one target's exec goes in the
 * events ring, in order with the records of the program it replaces.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_btf_sched_process_exec, struct task_struct *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct rt_event *e;

	if (watch_exec)
		e = rt_reserve_exec(id);
	else if (rt_traced(id >> 32))
		e = rt_reserve(RT_EV_EXEC, 0, id);
	else
		return 0;
	if (!e)
		return 0;
	BPF_CORE_READ_STR_INTO(&e->obj, p, comm);
	rt_submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_btf_sched_process_exit, struct task_struct *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct rt_event *e;

	if (!rt_traced(id >> 32))
		return 0;
	e = rt_reserve(RT_EV_THREAD_EXIT, 0, id);
	if (!e)
		return 0;
	e->arg = BPF_CORE_READ(p, exit_code);
	/* a thread killed because its process exits is not "a thread that exited" */
	e->ret = (BPF_CORE_READ(p, signal, flags) & RT_SIGNAL_GROUP_EXIT) ||
		 BPF_CORE_READ(p, signal, group_exec_task) != NULL;
	rt_submit(e);
	return 0;
}
