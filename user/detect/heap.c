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
#include "engine/hb_int.h"

static int report_free_locked(struct hb *hb, struct hb_thread *t, const struct hb_block *b,
			      __u64 addr, __u64 site, struct hb_thread *holder,
			      const struct rt_held *h)
{
	struct hb_lock *l = hb_lock_find(hb, h->lock);
	struct rt_finding f;

	if ((l && l->broken) || hb->suppress) {
		hb->cnt.suppressed_lossy += hb->suppress;
		return 0;
	}
	if (l)
		l->broken = true;
	hb_finding_init(hb, &f, RT_K_FREE_LOCKED, t->pid);
	hb_finding_thread(&f, t->tid);
	hb_finding_thread(&f, holder->tid);
	hb_finding_lock(&f, l, h->lock);
	f.sites[f.nsites++] = site;
	f.sites[f.nsites++] = h->site;
	if (b && b->alloc_site)
		f.sites[f.nsites++] = b->alloc_site;
	hb_finding_id(&f);
	snprintf(f.message, sizeof(f.message),
		 "thread %u frees block 0x%llx%s, which contains %s 0x%llx (at +%llu) held by "
		 "thread %u",
		 t->tid, (unsigned long long)addr,
		 b && b->size ? "" : " (size unknown)", f.locks[0].kind,
		 (unsigned long long)h->lock, (unsigned long long)(h->lock - addr), holder->tid);
	return hb_report(hb, &f);
}

int heap__free(struct hb *hb, struct hb_thread *t, struct hb_block *b, __u64 addr, __u64 site)
{
	__u64 size = b && b->size ? b->size : 1;
	size_t i, j;

	if (b && b->freed) {
		struct rt_finding f;

		if (hb->suppress) {
			hb->cnt.suppressed_lossy++;
			return 0;
		}
		hb_finding_init(hb, &f, RT_K_DOUBLE_FREE, t->pid);
		hb_finding_thread(&f, t->tid);
		hb_finding_thread(&f, b->free_tid);
		f.sites[f.nsites++] = site;
		f.sites[f.nsites++] = b->free_site;
		if (b->alloc_site)
			f.sites[f.nsites++] = b->alloc_site;
		hb_finding_id(&f);
		snprintf(f.message, sizeof(f.message),
			 "thread %u frees block 0x%llx, which thread %u already freed", t->tid,
			 (unsigned long long)addr, b->free_tid);
		return hb_report(hb, &f);
	}
	/* a held lock inside the block? held sets are short, so look at all of them */
	for (i = 0; i < hb->nthreads; i++) {
		struct hb_thread *o = &hb->threads[i];

		for (j = 0; j < o->nheld; j++) {
			const struct rt_held *h = &o->held[j];

			if (h->lock >= addr && h->lock < addr + size)
				return report_free_locked(hb, t, b, addr, site, o, h);
		}
	}
	return 0;
}
