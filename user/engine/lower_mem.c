// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The memory front end (--races): lowers RT_EV_MEM_ACCESS records into the engine's
 * vocabulary and hands each access to the detectors (hooks.h mem_access).
 *
 * Atomics order memory: an access by an atomic instruction (lock prefix, xchg, cmpxchg) is a
 * release (when it writes) and an acquire (when it reads) on its address, and so is a plain
 * access to a location the program has accessed atomically before, because on x86 a C11
 * acquire load, a release store and Go's atomic.Load* are plain movs. So a publication through
 * an atomic flag is a happens-before edge, and a plain `volatile` flag is none.
 *
 * The acquire of a read waits for the actor's next record: the probe fires before the load
 * executes, so a release that the load observes may enter the stream after the load's own
 * record, but always before anything the thread does after the load.
 */
#include <errno.h>
#include "engine/state.h"

int hb_mem_before(struct hb *hb, struct hb_actor *t)
{
	__u64 addr = t->mem_acquire;

	t->mem_acquire = 0;
	return hb_acquire_from(hb, t, SYNC_ATOMIC | addr);
}

/* Remember that addr is accessed atomically (a cap, counted: only edges are lost). */
static int atomic_mark(struct hb *hb, __u64 addr)
{
	if (rt_map_get(&hb->atomics, addr))
		return 0;
	if (hb->atomics.len >= RT_MAX_ATOMICS) {
		hb->cnt.atomics_evicted += hb->atomics.len;
		rt_map_free(&hb->atomics);
		rt_map_init(&hb->atomics);
	}
	return rt_map_put(&hb->atomics, addr, 1) ? -ENOMEM : 0;
}

int hb_lower_mem(struct hb *hb, struct hb_actor *t, const struct rt_event *e)
{
	struct hb_mem m = {
		.addr = e->obj,
		.site = e->caller,
		.size = e->arg & RT_MEM_SIZE_MASK,
		.write = !!(e->arg & RT_MEM_WRITE),
		.atomic = !!(e->arg & RT_MEM_ATOMIC),
	};
	bool read = !!(e->arg & RT_MEM_READ) || !m.write;
	int err;

	if (!m.addr || !m.size || m.addr >= SYNC_COND)
		return 0;
	hb->cnt.race_mem_accesses++;
	if (m.atomic) {
		err = atomic_mark(hb, m.addr);
		if (err)
			return err;
	} else {
		m.atomic = rt_map_get(&hb->atomics, m.addr) != NULL;
	}
	if (m.atomic && m.write) {
		err = hb_release_into(hb, t, SYNC_ATOMIC | m.addr);
		if (err)
			return err;
	}
	if (m.atomic && read)
		t->mem_acquire = m.addr;
	return HB_CALL(hb, mem_access, t, &m);
}
