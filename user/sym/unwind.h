/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Stacks for call sites. A stack sample from the BPF side (events.h: registers and a copy of the
 * top of the user stack, taken the first time a call site is seen) is unwound at once with
 * libdw's CFI unwinder (.eh_frame / .debug_frame, so code without frame pointers unwinds too)
 * over the copied bytes; the frame-pointer chain the kernel walked is the fallback. Only the
 * program counters are kept, per (pid, site); symbolizing them is left to the report, lazily.
 */
#ifndef RT_UNWIND_H
#define RT_UNWIND_H

#include <linux/types.h>
#include "events.h"

#define RT_MAX_FRAMES 32

struct rt_unwinder;

struct rt_unwinder *rt_unwind__new(void);
void rt_unwind__free(struct rt_unwinder *u);
/* Unwind a sample now (its process must still run) and remember its frames. 0 or -errno. */
int rt_unwind__sample(struct rt_unwinder *u, const struct rt_stack_sample *s);
/* The modules of pid changed (a library was loaded): reread them before the next unwind. */
void rt_unwind__invalidate(struct rt_unwinder *u, __u32 pid);
/*
 * The frames remembered for site in pid: pcs[0] is the site itself, then its callers' return
 * addresses. Returns the number of frames (0 when none).
 */
int rt_unwind__frames(const struct rt_unwinder *u, __u32 pid, __u64 site, __u64 *pcs, int max);
#define RT_THREAD_STACK_MAX (8ULL << 20) /* glibc's default thread stack size */

/*
 * Is addr on a thread's stack? The thread of pid whose latest sampled stack pointer is closest
 * below addr, within RT_THREAD_STACK_MAX: its tid, how far above that stack pointer addr is,
 * and the site of that sample. 0, or -ENOENT.
 */
int rt_unwind__stack_owner(const struct rt_unwinder *u, __u32 pid, __u64 addr, __u32 *tid,
			   __u64 *above, __u64 *site);
/* pid is gone: drop its unwinding state and stacks (the daemon, when a target exits). */
void rt_unwind__forget(struct rt_unwinder *u, __u32 pid);
/* Statistics: samples unwound with CFI, with the frame-pointer fallback, failed. */
void rt_unwind__stats(const struct rt_unwinder *u, __u64 *cfi, __u64 *fp, __u64 *failed);

/*
 * Remember the frames of site in pid as if a sample had given them (trace replay): pcs[0] must
 * be site, n in 1..RT_MAX_FRAMES; they replace what was known. 0, -EINVAL (nothing changed)
 * or -ENOMEM (nothing changed).
 */
int rt_unwind__add(struct rt_unwinder *u, __u32 pid, __u64 site, const __u64 *pcs, int n);

/* Called for each remembered site; a nonzero return stops the walk and is returned. */
typedef int (*rt_unwind_site_fn)(void *ctx, __u32 pid, __u64 site, const __u64 *pcs, int n);
/*
 * Call fn for every remembered (pid, site), in the order the sites were first remembered.
 * Returns 0, or the first nonzero value fn returned. fn must not add sites.
 */
int rt_unwind__foreach(const struct rt_unwinder *u, rt_unwind_site_fn fn, void *ctx);

#endif /* RT_UNWIND_H */
