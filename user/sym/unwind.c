// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * unwind.h: one Dwfl per traced process, reporting its modules from /proc/PID/maps; a fake
 * thread whose registers and memory come from the sample, so libdw's unwinder runs over the
 * copied stack without stopping the process (no ptrace).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <elfutils/libdwfl.h>
#include "lib/log.h"
#include "sym/unwind.h"
#include "lib/util.h"

#define RT_MAX_PROCS 64

struct site_frames {
	__u32 pid;
	__u32 n;
	__u64 site;
	__u64 pcs[RT_MAX_FRAMES];
};

struct proc {
	__u32 pid;
	Dwfl *dwfl;
	bool attached;
	bool stale;
};

/* a thread's stack pointer at its latest sample, for naming locks on stacks */
struct last_sp {
	__u32 pid, tid;
	__u64 sp, site;
};

#define RT_LAST_SP_MAX 4096

struct rt_unwinder {
	struct last_sp *sps;
	size_t nsps, sps_cap;
	struct proc procs[RT_MAX_PROCS];
	__u32 nprocs;
	const struct rt_stack_sample *cur; /* the sample being unwound */
	__u64 out[RT_MAX_FRAMES];
	__u32 nout;
	struct rt_map by_site; /* hash(pid, site) -> index + 1 into frames */
	struct site_frames *frames;
	size_t nframes, frames_cap;
	__u64 n_cfi, n_fp, n_failed;
};

static char *debuginfo_path;

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	/* only get_thread is used: there is one thread, the sample's */
	return 0;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct rt_unwinder *u = arg;

	*thread_argp = u;
	return u->cur && (pid_t)u->cur->tid == tid;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct rt_unwinder *u = arg;
	const struct rt_stack_sample *s = u->cur;
	__u64 sp = s->regs[RT_REG_RSP];

	if (addr < sp || addr + sizeof(*result) > sp + s->len)
		return false;
	memcpy(result, s->data + (addr - sp), sizeof(*result));
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct rt_unwinder *u = arg;
	const struct rt_stack_sample *s = u->cur;
	/* DWARF x86-64 numbering: 3 rbx, 6 rbp, 7 rsp, 12-15 r12-r15 */
	Dwarf_Word rbx = s->regs[RT_REG_RBX];
	Dwarf_Word rbp_rsp[2] = { s->regs[RT_REG_RBP], s->regs[RT_REG_RSP] };
	Dwarf_Word r12_15[4] = { s->regs[RT_REG_R12], s->regs[RT_REG_R13], s->regs[RT_REG_R14],
				 s->regs[RT_REG_R15] };

	if (!dwfl_thread_state_registers(thread, 3, 1, &rbx) ||
	    !dwfl_thread_state_registers(thread, 6, 2, rbp_rsp) ||
	    !dwfl_thread_state_registers(thread, 12, 4, r12_15))
		return false;
	dwfl_thread_state_register_pc(thread, s->regs[RT_REG_RIP]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

struct rt_unwinder *rt_unwind__new(void)
{
	struct rt_unwinder *u = calloc(1, sizeof(*u));

	if (!u) {
		errno = ENOMEM;
		return NULL;
	}
	rt_map_init(&u->by_site);
	return u;
}

static void proc_close(struct proc *p)
{
	if (p->dwfl)
		dwfl_end(p->dwfl);
	p->dwfl = NULL;
	p->attached = false;
}

void rt_unwind__free(struct rt_unwinder *u)
{
	__u32 i;

	if (!u)
		return;
	for (i = 0; i < u->nprocs; i++)
		proc_close(&u->procs[i]);
	rt_map_free(&u->by_site);
	free(u->frames);
	free(u->sps);
	free(u);
}

static struct proc *proc_get(struct rt_unwinder *u, __u32 pid)
{
	struct proc *p = NULL;
	__u32 i;

	for (i = 0; i < u->nprocs; i++)
		if (u->procs[i].pid == pid)
			p = &u->procs[i];
	if (!p) {
		if (u->nprocs == RT_MAX_PROCS)
			proc_close(&u->procs[--u->nprocs]);
		p = &u->procs[u->nprocs++];
		memset(p, 0, sizeof(*p));
		p->pid = pid;
	}
	if (p->dwfl && !p->stale)
		return p;
	proc_close(p);
	p->stale = false;
	p->dwfl = dwfl_begin(&proc_callbacks);
	if (!p->dwfl)
		return NULL;
	if (dwfl_linux_proc_report(p->dwfl, pid) || dwfl_report_end(p->dwfl, NULL, NULL)) {
		proc_close(p);
		return NULL;
	}
	if (!dwfl_attach_state(p->dwfl, NULL, pid, &thread_callbacks, u)) {
		proc_close(p);
		return NULL;
	}
	p->attached = true;
	return p;
}

void rt_unwind__invalidate(struct rt_unwinder *u, __u32 pid)
{
	__u32 i;

	for (i = 0; i < u->nprocs; i++)
		if (u->procs[i].pid == pid)
			u->procs[i].stale = true;
}

static int frame_cb(Dwfl_Frame *frame, void *arg)
{
	struct rt_unwinder *u = arg;
	Dwarf_Addr pc;

	if (!dwfl_frame_pc(frame, &pc, NULL) || !pc)
		return DWARF_CB_ABORT;
	if (u->nout >= RT_MAX_FRAMES)
		return DWARF_CB_ABORT;
	u->out[u->nout++] = pc;
	return DWARF_CB_OK;
}

static __u64 site_key(__u32 pid, __u64 site)
{
	return rt_hash64(site ^ ((__u64)pid << 48) ^ pid) | 1;
}

static int remember(struct rt_unwinder *u, __u32 pid, __u64 site, const __u64 *pcs, __u32 n)
{
	__u64 key = site_key(pid, site), *v = rt_map_get(&u->by_site, key);
	struct site_frames *f;

	if (!v) {
		if (rt_grow((void **)&u->frames, &u->frames_cap, u->nframes + 1,
			    sizeof(*u->frames)) ||
		    rt_map_put(&u->by_site, key, u->nframes + 1))
			return -ENOMEM;
		f = &u->frames[u->nframes++];
	} else {
		f = &u->frames[*v - 1];
	}
	f->pid = pid;
	f->site = site;
	f->n = RT_MIN(n, RT_MAX_FRAMES);
	memcpy(f->pcs, pcs, f->n * sizeof(*pcs));
	return 0;
}

static void note_sp(struct rt_unwinder *u, const struct rt_stack_sample *s)
{
	size_t i;

	for (i = 0; i < u->nsps; i++) {
		if (u->sps[i].pid == s->tgid && u->sps[i].tid == s->tid) {
			u->sps[i].sp = s->regs[RT_REG_RSP];
			u->sps[i].site = s->site;
			return;
		}
	}
	if (u->nsps >= RT_LAST_SP_MAX ||
	    rt_grow((void **)&u->sps, &u->sps_cap, u->nsps + 1, sizeof(*u->sps)))
		return;
	u->sps[u->nsps++] = (struct last_sp){ .pid = s->tgid, .tid = s->tid,
					      .sp = s->regs[RT_REG_RSP], .site = s->site };
}

int rt_unwind__stack_owner(const struct rt_unwinder *u, __u32 pid, __u64 addr, __u32 *tid,
			   __u64 *above, __u64 *site)
{
	const struct last_sp *best = NULL;
	size_t i;

	/* stacks grow down: a local lives above the stack pointer of a call made under it */
	for (i = 0; i < u->nsps; i++) {
		const struct last_sp *p = &u->sps[i];

		if (p->pid != pid || addr < p->sp || addr - p->sp >= RT_THREAD_STACK_MAX)
			continue;
		if (!best || addr - p->sp < addr - best->sp)
			best = p;
	}
	if (!best)
		return -ENOENT;
	*tid = best->tid;
	*above = addr - best->sp;
	*site = best->site;
	return 0;
}

int rt_unwind__sample(struct rt_unwinder *u, const struct rt_stack_sample *s)
{
	__u64 pcs[RT_MAX_FRAMES];
	struct proc *p;
	__u32 n = 0, i, first;

	if (!s->site)
		return 0;
	note_sp(u, s);
	pcs[n++] = s->site;
	u->cur = s;
	u->nout = 0;
	p = proc_get(u, s->tgid);
	if (p)
		dwfl_getthread_frames(p->dwfl, s->tid, frame_cb, u);
	u->cur = NULL;
	/*
	 * At a function's entry, frame 0 is the probed function and frame 1 its caller (the
	 * site); at a return, frame 0 is the site. A Go probe may stand for its caller's caller
	 * (RT_CK_GO_CALLER2): the site is then a frame further.
	 */
	first = s->at_entry ? 2 : 1;
	while (first < u->nout && first <= 4 && u->out[first - 1] != s->site)
		first++;
	if (u->nout > first && u->out[first - 1] == s->site) {
		for (i = first; i < u->nout && n < RT_MAX_FRAMES; i++)
			pcs[n++] = u->out[i];
		u->n_cfi++;
	} else if (s->nfp > 1) {
		/* frame pointers: fp[0] is the probe, fp[1] the caller's caller at an entry */
		for (first = 1; first < s->nfp && first <= 4 && s->fp[first - 1] != s->site;)
			first++;
		if (first >= s->nfp || first > 4 || s->fp[first - 1] != s->site)
			first = 1;
		for (i = first; i < s->nfp && n < RT_MAX_FRAMES; i++)
			if (s->fp[i] && s->fp[i] != s->site)
				pcs[n++] = s->fp[i];
		u->n_fp++;
	} else {
		u->n_failed++;
	}
	return remember(u, s->tgid, s->site, pcs, n);
}

int rt_unwind__frames(const struct rt_unwinder *u, __u32 pid, __u64 site, __u64 *pcs, int max)
{
	const __u64 *v = rt_map_get(&u->by_site, site_key(pid, site));
	const struct site_frames *f;
	int n;

	if (!v)
		return 0;
	f = &u->frames[*v - 1];
	n = RT_MIN((int)f->n, max);
	memcpy(pcs, f->pcs, n * sizeof(*pcs));
	return n;
}

void rt_unwind__stats(const struct rt_unwinder *u, __u64 *cfi, __u64 *fp, __u64 *failed)
{
	*cfi = u->n_cfi;
	*fp = u->n_fp;
	*failed = u->n_failed;
}

int rt_unwind__add(struct rt_unwinder *u, __u32 pid, __u64 site, const __u64 *pcs, int n)
{
	if (!u || !pcs || !site || n < 1 || n > RT_MAX_FRAMES || pcs[0] != site)
		return -EINVAL;
	return remember(u, pid, site, pcs, n);
}

int rt_unwind__foreach(const struct rt_unwinder *u, rt_unwind_site_fn fn, void *ctx)
{
	size_t i;
	int ret;

	for (i = 0; i < u->nframes; i++) {
		const struct site_frames *f = &u->frames[i];

		ret = fn(ctx, f->pid, f->site, f->pcs, (int)f->n);
		if (ret)
			return ret;
	}
	return 0;
}

void rt_unwind__forget(struct rt_unwinder *u, __u32 pid)
{
	size_t i, j;
	__u32 k;

	for (i = 0, j = 0; i < u->nsps; i++)
		if (u->sps[i].pid != pid)
			u->sps[j++] = u->sps[i];
	u->nsps = j;
	for (k = 0; k < u->nprocs; k++) {
		if (u->procs[k].pid != pid)
			continue;
		proc_close(&u->procs[k]);
		u->procs[k] = u->procs[--u->nprocs];
		break;
	}
	/* drop pid's stacks and rebuild the index over the rest */
	for (i = 0, j = 0; i < u->nframes; i++)
		if (u->frames[i].pid != pid)
			u->frames[j++] = u->frames[i];
	u->nframes = j;
	rt_map_free(&u->by_site);
	for (i = 0; i < u->nframes; i++)
		rt_map_put(&u->by_site, site_key(u->frames[i].pid, u->frames[i].site), i + 1);
}
