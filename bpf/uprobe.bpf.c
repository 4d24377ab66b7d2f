// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pthread, semaphore and allocator probes. Two generic programs, each attached with one
 * uprobe.multi link per module: the attach cookie of every probed address says which event it
 * is and what to do (emit at entry, stash for the return probe). Decoding the arguments into
 * the canonical record fields happens here; everything else is user space's job.
 */
#include "common.bpf.h"

/* The return address sits at the top of the stack on function entry (x86-64). */
static __always_inline __u64 entry_caller(struct pt_regs *ctx)
{
	__u64 ret = 0;

	bpf_probe_read_user(&ret, sizeof(ret), (void *)PT_REGS_SP(ctx));
	return ret;
}

SEC("uprobe.multi")
int uprobe_entry(struct pt_regs *ctx)
{
	__u64 ck = bpf_get_attach_cookie(ctx);
	__u64 id = bpf_get_current_pid_tgid();
	__u16 type = ck & RT_CK_TYPE_MASK;
	struct rt_event *e;
	__u64 a1, a2, caller;

	if (!rt_traced(id >> 32))
		return 0;

	a1 = PT_REGS_PARM1(ctx);
	a2 = PT_REGS_PARM2(ctx);
	caller = entry_caller(ctx);

	if (ck & RT_CK_STASH) {
		struct rt_stash s = { .a1 = a1, .a2 = a2, .caller = caller };
		__u64 key = rt_stash_key((__u32)id, RT_CK_SLOT(ck));

		if (ck & RT_CK_ARG_SIZE2)
			s.a1 = a1 * a2; /* calloc(n, size): keep the block size */
		else if (ck & RT_CK_SIZE_ARG2)
			s.a1 = a2; /* memalign(align, size): keep the size */
		else if (ck & RT_CK_SIZE_ARG3)
			s.a2 = PT_REGS_PARM3(ctx); /* posix_memalign(&p, align, size) */
		bpf_map_update_elem(&stash, &key, &s, BPF_ANY);
	}
	if (!(ck & RT_CK_EMIT))
		return 0;

	e = rt_reserve(type, 0, id);
	if (!e)
		return 0;
	e->obj = a1;
	e->obj2 = a2;
	e->caller = caller;
	if (type == RT_EV_MUTEX_LOCK || type == RT_EV_MUTEX_UNLOCK) {
		__u32 kind = 0;

		/* glibc's __kind: recursive and error-checking mutexes behave differently */
		bpf_probe_read_user(&kind, sizeof(kind), (void *)(a1 + 16));
		e->arg = kind;
	}
	rt_submit(e);
	return 0;
}

SEC("uretprobe.multi")
int uretprobe_exit(struct pt_regs *ctx)
{
	__u64 ck = bpf_get_attach_cookie(ctx);
	__u64 id = bpf_get_current_pid_tgid();
	__u16 type = ck & RT_CK_TYPE_MASK;
	__u64 key = rt_stash_key((__u32)id, RT_CK_SLOT(ck));
	struct rt_stash *sp, s;
	struct rt_event *e;
	__u64 rc;

	if (!rt_traced(id >> 32))
		return 0;

	sp = bpf_map_lookup_elem(&stash, &key);
	if (!sp) {
		rt_drop(RT_DROP_STASH);
		return 0;
	}
	s = *sp;
	bpf_map_delete_elem(&stash, &key);
	rc = PT_REGS_RC(ctx);

	e = rt_reserve(type, RT_EVF_RET, id);
	if (!e)
		return 0;
	e->caller = s.caller;
	switch (type) {
	case RT_EV_ALLOC:
		if (ck & RT_CK_DEREF_ARG1) {
			/* posix_memalign: 0 on success, the block was stored through arg1 */
			if (rc == 0)
				bpf_probe_read_user(&e->obj, sizeof(e->obj), (void *)s.a1);
			e->arg = s.a2;
		} else {
			e->obj = rc;
			e->arg = s.a1;
		}
		break;
	case RT_EV_REALLOC:
		e->obj = rc;
		e->obj2 = s.a1;
		e->arg = s.a2;
		break;
	case RT_EV_PTHREAD_CREATE:
		/* the new thread's pthread_t was stored through the first argument */
		if (ck & RT_CK_DEREF_ARG1)
			bpf_probe_read_user(&e->obj, sizeof(e->obj), (void *)s.a1);
		e->ret = (__s32)rc;
		break;
	default:
		e->obj = s.a1;
		e->obj2 = s.a2;
		e->ret = (__s32)rc;
		break;
	}
	rt_submit(e);
	return 0;
}
