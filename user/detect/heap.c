// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Heap misuse seen through the allocator probes. free-locked: free() of a block that contains
 * a lock some thread holds (the lock's memory is gone while it is in use). double-free: free()
 * of a block that was freed and not handed out again since.
 * Not reported: blocks from allocators we do not probe (their frees look like frees of unknown
 * blocks, which are learned), locks inside blocks allocated before we attached except a lock at
 * the block's very start, and nothing between a loss of events and the next tick (a missed
 * malloc would make a legal free look double; the engine then forgets and relearns).
 */
#include <stdio.h>
#include "detect/registry.h"

static void *heap_new(struct hb *hb)
{
	return hb;
}

static int report_free_locked(struct hb *hb, const struct hb_actor *t, const struct hb_block *b,
			      __u64 addr, __u64 site, const struct hb_actor *holder,
			      const struct rt_held *h)
{
	const struct hb_lock *l = hb__lock(hb, h->lock);
	struct rt_finding f;

	if (l && l->broken)
		return 0;
	hb__finding(hb, &f, RT_K_FREE_LOCKED, t->pid);
	rt_finding_thread(&f, t->tid);
	rt_finding_thread(&f, holder->tid);
	hb__finding_lock(&f, l, h->lock);
	rt_finding_site(&f, site);
	rt_finding_site(&f, h->site);
	if (b && b->alloc_site)
		rt_finding_site(&f, b->alloc_site);
	snprintf(f.message, sizeof(f.message),
		 "thread %u frees block 0x%llx%s, which contains %s 0x%llx (at +%llu) held by "
		 "thread %u",
		 t->tid, (unsigned long long)addr,
		 b && b->size ? "" : " (size unknown)", f.locks[0].kind,
		 (unsigned long long)h->lock, (unsigned long long)(h->lock - addr), holder->tid);
	return hb__report(hb, &f, RT_REP_BREAK);
}

static int report_double_free(struct hb *hb, const struct hb_actor *t, const struct hb_block *b,
			      __u64 addr, __u64 site)
{
	struct rt_finding f;

	hb__finding(hb, &f, RT_K_DOUBLE_FREE, t->pid);
	rt_finding_thread(&f, t->tid);
	rt_finding_thread(&f, b->free_tid);
	rt_finding_site(&f, site);
	rt_finding_site(&f, b->free_site);
	if (b->alloc_site)
		rt_finding_site(&f, b->alloc_site);
	snprintf(f.message, sizeof(f.message),
		 "thread %u frees block 0x%llx, which thread %u already freed", t->tid,
		 (unsigned long long)addr, b->free_tid);
	return hb__report(hb, &f, 0);
}

static int heap_free(void *st, const struct hb_actor *t, const struct hb_block *b, __u64 addr,
		     __u64 site)
{
	struct hb *hb = st;
	__u64 size = b && b->size ? b->size : 1;
	const struct hb_actor *actors;
	size_t i, j, n;

	if (b && b->freed)
		return report_double_free(hb, t, b, addr, site);
	/* a held lock inside the block? held sets are short, so look at all of them */
	actors = hb__actors(hb, &n);
	for (i = 0; i < n; i++) {
		const struct hb_actor *o = &actors[i];

		for (j = 0; j < o->nheld; j++) {
			const struct rt_held *h = &o->held[j];

			if (h->lock >= addr && h->lock < addr + size)
				return report_free_locked(hb, t, b, addr, site, o, h);
		}
	}
	return 0;
}

const struct hb_detector rt_det_heap = {
	.name = "heap",
	.new = heap_new,
	.block_free = heap_free,
};
