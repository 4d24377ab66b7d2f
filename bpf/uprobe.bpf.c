// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pthread, semaphore and allocator probes. Two generic programs, each attached with one
 * uprobe.multi link per module: the attach cookie of every probed address says which event it
 * is and what to do (emit at entry, stash for the return probe). Decoding the arguments into
 * the canonical record fields happens here; everything else is user space's job.
 */
#include "common.bpf.h"

#define RT_SIGSTOP 19

/* The return address sits at the top of the stack on function entry (x86-64). */
static __always_inline __u64 entry_caller(struct pt_regs *ctx)
{
	__u64 ret = 0;

	bpf_probe_read_user(&ret, sizeof(ret), (void *)PT_REGS_SP(ctx));
	return ret;
}

/*
 * The first time a call site is seen, sample its stack (see events.h). at_entry says whether
 * ctx is at the probed function's first instruction (the return address on top of the stack)
 * or at a return (ctx is in the caller already). Costs one hash lookup once a site is known.
 */
static __noinline int rt_stack_sample(struct pt_regs *ctx, __u64 site, __u32 at_entry, __u64 rip)
{
	struct rt_stack_sample *s;
	__u64 id, sp;
	__u8 one = 1;
	long n;

	if (!site || bpf_map_lookup_elem(&stack_sites, &site))
		return 0;
	s = bpf_ringbuf_reserve(&stacks, sizeof(*s), 0);
	if (!s) {
		rt_drop(RT_DROP_STACK);
		return 0;
	}
	bpf_map_update_elem(&stack_sites, &site, &one, BPF_ANY);
	id = bpf_get_current_pid_tgid();
	s->tid = (__u32)id;
	s->tgid = id >> 32;
	s->site = site;
	s->at_entry = at_entry;
	/* a memory access stands for the end of its instruction, as a return address would */
	s->regs[RT_REG_RIP] = rip ? rip : PT_REGS_IP(ctx);
	sp = PT_REGS_SP(ctx);
	s->regs[RT_REG_RSP] = sp;
	s->regs[RT_REG_RBP] = ctx->bp;
	s->regs[RT_REG_RBX] = ctx->bx;
	s->regs[RT_REG_R12] = ctx->r12;
	s->regs[RT_REG_R13] = ctx->r13;
	s->regs[RT_REG_R14] = ctx->r14;
	s->regs[RT_REG_R15] = ctx->r15;
	n = bpf_get_stack(ctx, s->fp, sizeof(s->fp), BPF_F_USER_STACK);
	s->nfp = n > 0 ? n / sizeof(__u64) : 0;
	/* near the top of a stack fewer bytes are mapped: try smaller copies */
	s->len = 0;
	if (!bpf_probe_read_user(s->data, RT_STACK_BYTES, (void *)sp))
		s->len = RT_STACK_BYTES;
	else if (!bpf_probe_read_user(s->data, RT_STACK_BYTES / 4, (void *)sp))
		s->len = RT_STACK_BYTES / 4;
	else if (!bpf_probe_read_user(s->data, 512, (void *)sp))
		s->len = 512;
	bpf_ringbuf_submit(s, BPF_RB_NO_WAKEUP);
	return 0;
}

struct rt_vma_range {
	__u64 start, end;
};

static long vma_range_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct rt_vma_range *r = data;

	r->start = vma->vm_start;
	r->end = vma->vm_end;
	return 0;
}

/*
 * An allocator call made from inside the module that has the probed function (the C library
 * calling its own free: a thread's malloc cache handed back at its exit, realloc): the
 * library's bookkeeping (RT_EVF_INTERNAL). Decided here, while the process and its mappings
 * exist: a program that dies soon after has none left when user space reads the record.
 * Returns 0 when the caller is elsewhere or the mapping could not be looked up (the mmap lock
 * was contended): user space then decides from /proc/PID/maps.
 */
static __noinline __u16 alloc_internal(struct pt_regs *ctx, __u64 caller)
{
	struct rt_vma_range r = {};
	__u64 ip = bpf_get_func_ip(ctx);

	if (!caller || bpf_find_vma(bpf_get_current_task_btf(), ip, vma_range_cb, &r, 0))
		return 0;
	return caller >= r.start && caller < r.end ? RT_EVF_INTERNAL : 0;
}

static __always_inline bool alloc_type(__u16 type)
{
	return type == RT_EV_ALLOC || type == RT_EV_REALLOC || type == RT_EV_FREE;
}

/*
 * A register by its DWARF x86-64 number. Read through bpf_probe_read_kernel at a computed
 * offset: the verifier refuses a ctx access at an offset it cannot see as a constant, which is
 * what clang makes of a switch over ctx fields.
 */
static __always_inline __u64 dwarf_reg(struct pt_regs *ctx, __u32 r)
{
	static const __u16 off[16] = {
		__builtin_offsetof(struct pt_regs, ax),	 __builtin_offsetof(struct pt_regs, dx),
		__builtin_offsetof(struct pt_regs, cx),	 __builtin_offsetof(struct pt_regs, bx),
		__builtin_offsetof(struct pt_regs, si),	 __builtin_offsetof(struct pt_regs, di),
		__builtin_offsetof(struct pt_regs, bp),	 __builtin_offsetof(struct pt_regs, sp),
		__builtin_offsetof(struct pt_regs, r8),	 __builtin_offsetof(struct pt_regs, r9),
		__builtin_offsetof(struct pt_regs, r10), __builtin_offsetof(struct pt_regs, r11),
		__builtin_offsetof(struct pt_regs, r12), __builtin_offsetof(struct pt_regs, r13),
		__builtin_offsetof(struct pt_regs, r14), __builtin_offsetof(struct pt_regs, r15),
	};
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), (char *)ctx + off[r & 15]);
	return v;
}

static __always_inline __u64 ctx_ip(struct pt_regs *ctx)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &ctx->ip);
	return v;
}

#define RT_X86_CF 0x01
#define RT_X86_ZF 0x40

/*
 * A Go probe (see RT_CK_GO in events.h): the goroutine from R14, the object from the register
 * ABI or from an inlined atomic's operand. Never a return probe: Go stacks move, so exits are
 * probed on their return instructions.
 */
static __noinline int go_probe(struct pt_regs *ctx, __u64 ck, __u64 id)
{
	__u16 type = ck & RT_CK_TYPE_MASK;
	__u64 g = dwarf_reg(ctx, 14), goid = 0, obj, obj2 = 0, caller = 0, arg = 0;
	__u16 field = 0;
	__s64 ret = 0;
	struct rt_event *e;

	bpf_probe_read_user(&goid, sizeof(goid), (void *)(g + go_goid_off));
	if (ck & RT_CK_GO_SITE) {
		/* right after `lock cmpxchg` on m.state ZF set means the fast path won; on the
		 * jump testing its sete, ZF clear */
		if (type == RT_EV_GO_LOCK &&
		    !(ctx->flags & RT_X86_ZF) == !(ck & RT_CK_GO_ZF_CLEAR))
			return 0;
		if (ck & RT_CK_GO_RIPREL) {
			obj = ctx_ip(ctx) + RT_CK_GO_DISP(ck);
		} else if (ck & RT_CK_GO_LOAD) {
			/* on the load of the base: read what it loads */
			__u64 base = 0;

			bpf_probe_read_user(&base, sizeof(base),
					    (void *)(dwarf_reg(ctx, RT_CK_GO_REG(ck)) +
						     RT_CK_GO_LOAD_DISP(ck)));
			obj = base ? base + RT_CK_GO_LOAD_ADD(ck) : 0;
		} else
			obj = dwarf_reg(ctx, RT_CK_GO_REG(ck)) + RT_CK_GO_DISP(ck);
		caller = ctx_ip(ctx);
		if (type == RT_EV_GO_RLOCK) /* after the xadd: SF says a writer is pending */
			arg = ctx->flags;
	} else if (ck & RT_CK_GO_RETVAL) {
		obj = dwarf_reg(ctx, 0);
		if (type == RT_EV_GO_GO) /* newproc1 returned the new g: its id */
			bpf_probe_read_user(&obj, sizeof(obj), (void *)(obj + go_goid_off));
		caller = ctx_ip(ctx);
		/* on a `ret`: the return address is on top of the stack (the `make` site) */
		bpf_probe_read_user(&arg, sizeof(arg), (void *)PT_REGS_SP(ctx));
		if ((ck & RT_CK_GO_FIELD16) &&
		    !bpf_probe_read_user(&field, sizeof(field),
					 (void *)(obj + (ck >> RT_CK_GO_FIELD_SHIFT))))
			ret = RT_GO_FIELD_READ | field;
	} else {
		/* the stack check failed: morestack, then this entry again */
		if ((ck & RT_CK_GO_MORESTACK) && (ctx->flags & (RT_X86_CF | RT_X86_ZF)))
			return 0;
		obj = dwarf_reg(ctx, (ck & RT_CK_GO_ARG1) ? 3 : 0);
		if (type == RT_EV_GO_MAP_READ || type == RT_EV_GO_MAP_WRITE) {
			/*
			 * A map on the goroutine's own stack (a map literal that does not escape:
			 * go1.24+ builds it in the frame, no makemap) is its alone, and the next
			 * goroutine to get that stack has another map at the same address: not a
			 * shared map. runtime.g begins with its stack {lo, hi}.
			 */
			__u64 st[2] = {};

			if (g && !bpf_probe_read_user(st, sizeof(st), (void *)g) && obj >= st[0] &&
			    obj < st[1])
				return 0;
		}
		if (type == RT_EV_GO_WG_ADD)
			arg = dwarf_reg(ctx, 3);
		if (type == RT_EV_GO_SELECT) {
			/* selectgo(cas0 *scase (RAX), order0, pc0, nsends (RDI), nrecvs (RSI),
			 * block (R8)); scase is {c *hchan; elem unsafe.Pointer}, 16 bytes */
			__u64 cas0 = obj, ns = dwarf_reg(ctx, 5), nr = dwarf_reg(ctx, 4);
			__u64 c[3] = {};
			int i;

			for (i = 0; i < 3; i++)
				if ((__u64)i < ns + nr)
					bpf_probe_read_user(&c[i], sizeof(c[i]),
							    (void *)(cas0 + 16 * i));
			obj = c[0];
			obj2 = c[1];
			arg = c[2];
			ret = (ns & 0xffff) | (nr & 0xffff) << 16 |
			      (__u64)(dwarf_reg(ctx, 8) & 0xff ? 1 : 0) << 32;
		}
		if (ck & RT_CK_GO_CALLER2)
			bpf_probe_read_user(&caller, sizeof(caller), (void *)(ctx->bp + 8));
		else
			bpf_probe_read_user(&caller, sizeof(caller), (void *)PT_REGS_SP(ctx));
	}
	if (ck & RT_CK_STACK)
		rt_stack_sample(ctx, caller, !(ck & (RT_CK_GO_SITE | RT_CK_GO_RETVAL)), 0);
	e = rt_reserve(type, 0, id);
	if (!e)
		return 0;
	if (type == RT_EV_PROC_EXIT && stop_at_exit)
		bpf_send_signal(RT_SIGSTOP); /* as for C's exit(): our maps read, then SIGCONT */
	e->h.goid = goid;
	e->obj = obj;
	e->obj2 = obj2;
	e->caller = caller;
	e->arg = arg;
	e->ret = ret;
	rt_submit(e);
	return 0;
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
	if (ck & RT_CK_GO)
		return go_probe(ctx, ck, id);

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
	if (ck & RT_CK_STACK)
		rt_stack_sample(ctx, caller, 1, 0);
	if (!(ck & RT_CK_EMIT))
		return 0;
	e = rt_reserve(type, alloc_type(type) ? alloc_internal(ctx, caller) : 0, id);
	if (!e)
		return 0;
	/*
	 * User space reads the maps, then continues us; only once it is sure to see this record
	 * (the stop takes effect on the way back to user mode, after the submit): with a full
	 * ring it would never learn why the process stopped, and leave it stopped.
	 */
	if (type == RT_EV_PROC_EXIT && stop_at_exit)
		bpf_send_signal(RT_SIGSTOP);
	e->obj = a1;
	e->obj2 = a2;
	e->caller = caller;
	if (type == RT_EV_MUTEX_LOCK || type == RT_EV_MUTEX_UNLOCK) {
		__u32 kind = 0;

		/* glibc's __kind: recursive and error-checking mutexes behave differently */
		bpf_probe_read_user(&kind, sizeof(kind), (void *)(a1 + 16));
		e->arg = kind;
	}
	if (type == RT_EV_COND_WAIT) {
		__u32 wrefs = 0;

		e->arg = RT_COND_READ | (ck & RT_CK_TIMED ? RT_COND_TIMED : 0);
		if (!bpf_probe_read_user(&wrefs, sizeof(wrefs), (void *)(a1 + 36)) && (wrefs & 1))
			e->arg |= RT_COND_PSHARED;
	}
	if (type == RT_EV_MUTEX_UNLOCK || type == RT_EV_COND_WAIT) {
		__u64 m = type == RT_EV_COND_WAIT ? a2 : a1;
		__u32 owner = 0;

		/* glibc's __owner at +8: who holds the mutex now (0: nobody), so an unlock of a
		 * mutex never seen locked is judged by the lock itself */
		if (m && !bpf_probe_read_user(&owner, sizeof(owner), (void *)(m + 8)))
			e->ret = RT_OWNER_READ | owner;
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
	if (ck & RT_CK_STACK)
		rt_stack_sample(ctx, s.caller, 0, 0);

	e = rt_reserve(type, RT_EVF_RET | (alloc_type(type) ? alloc_internal(ctx, s.caller) : 0),
		       id);
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

/*
 * A memory access of the program's own code (--races): the cookie says how to compute its
 * address from the registers (see RT_MCK_* in events.h); user space placed the probe on the
 * accessing instruction, or next to an atomic one. The record's site is the end of the
 * instruction, so that it symbolizes like a return address; its stack is sampled the first
 * time a site is seen.
 */
SEC("uprobe.multi")
int uprobe_mem(struct pt_regs *ctx)
{
	__u64 ck = bpf_get_attach_cookie(ctx);
	__u64 id = bpf_get_current_pid_tgid();
	__u64 site, addr, goid = 0;
	struct rt_event *e;

	if (!rt_traced(id >> 32))
		return 0;
	site = ctx_ip(ctx) + RT_MCK_END(ck);
	addr = RT_MCK_DISP(ck);
	if (ck & RT_MCK_RIPREL)
		addr += site;
	if (ck & RT_MCK_BASE)
		addr += dwarf_reg(ctx, RT_MCK_REG(ck, RT_MCK_BASE_SHIFT));
	if (ck & RT_MCK_INDEX)
		addr += dwarf_reg(ctx, RT_MCK_REG(ck, RT_MCK_INDEX_SHIFT)) << RT_MCK_SCALE(ck);
	if (ck & RT_MCK_GO) {
		__u64 g = dwarf_reg(ctx, 14);

		bpf_probe_read_user(&goid, sizeof(goid), (void *)(g + go_goid_off));
	}
	rt_stack_sample(ctx, site, 0, site);
	e = rt_reserve(RT_EV_MEM_ACCESS, 0, id);
	if (!e)
		return 0;
	e->h.goid = goid;
	e->obj = addr;
	e->caller = site;
	e->arg = (RT_MCK_SIZE(ck) & RT_MEM_SIZE_MASK) | (ck & RT_MCK_READ ? RT_MEM_READ : 0) |
		 (ck & RT_MCK_WRITE ? RT_MEM_WRITE : 0) | (ck & RT_MCK_ATOMIC ? RT_MEM_ATOMIC : 0);
	rt_submit(e);
	return 0;
}
