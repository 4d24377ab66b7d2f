// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Go maps and channels. go-map-race: two accesses to the same map from different goroutines,
 * at least one a write (mapassign, mapdelete, clear), that happens-before does not order (the
 * edges: `go`, channel send -> receive and close -> receive, Mutex unlock -> lock, WaitGroup
 * Done -> Wait); FastTrack's rule with the last write and the reads since it. The runtime's
 * own check only sees writes that overlap in time, and then kills the process; this sees them
 * apart in time too. go-chan-double-close: a channel closed a second time, with both closers.
 * go-goroutine-leak: a goroutine parked in a channel send or receive, WaitGroup.Wait or a
 * Mutex longer than the hang threshold, at a site where it never completed an operation
 * before (one that did is a loop waiting for its next item: a worker, an accept or ticker
 * loop, not a leak); one finding per parking site, counted per goroutine.
 * Not reported: a map the runtime made anew at the same address (makemap resets it), races
 * through edges we do not see (atomics, sync.Cond, select, sync.Once, RWMutex: they order, so
 * missing them can only add reports; see docs/go.md), a map reported once (it is "broken").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hb_int.h"

#define RT_GO_MAPS_MAX (1U << 20)

static struct go_map_state *map_get(struct hb *hb, __u64 map)
{
	__u64 *v = rt_map_get(&hb->go_maps, map);
	struct go_map_state *m;

	if (v)
		return &hb->go_map_states[*v - 1];
	if (hb->go_maps.len >= RT_GO_MAPS_MAX) {
		/* at the cap: start over (counted): only races through old maps are lost */
		hb->cnt.syncs_evicted += hb->go_maps.len;
		rt_map_free(&hb->go_maps);
		hb->ngo_maps = 0;
	}
	if (rt_grow((void **)&hb->go_map_states, &hb->go_maps_cap, hb->ngo_maps + 1,
		    sizeof(*hb->go_map_states)) ||
	    rt_map_put(&hb->go_maps, map, hb->ngo_maps + 1))
		return NULL;
	m = &hb->go_map_states[hb->ngo_maps++];
	memset(m, 0, sizeof(*m));
	m->map = map;
	return m;
}

void go__map_new(struct hb *hb, __u64 map)
{
	__u64 *v = rt_map_get(&hb->go_maps, map);

	if (v) {
		struct go_map_state *m = &hb->go_map_states[*v - 1];

		memset(m, 0, sizeof(*m));
		m->map = map;
	}
}

/* Did access a happen before t's current point? */
static bool ordered(const struct hb_thread *t, const struct go_map_access *a)
{
	return a->key == t->key || vc_get(&t->vc, a->sid) >= a->clock;
}

static int report_race(struct hb *hb, struct hb_thread *t, struct go_map_state *m, bool write,
		       __u64 site, const struct go_map_access *prev, bool prev_write)
{
	struct rt_finding f;

	m->broken = true;
	hb_finding_init(hb, &f, RT_K_GO_MAP_RACE, t->pid);
	hb_finding_thread(&f, t->tid);
	hb_finding_thread(&f, prev->goid);
	f.locks[0].addr = m->map;
	snprintf(f.locks[0].kind, sizeof(f.locks[0].kind), "map");
	f.nlocks = 1;
	f.sites[f.nsites++] = site;
	f.sites[f.nsites++] = prev->site;
	hb_finding_id(&f);
	snprintf(f.message, sizeof(f.message),
		 "goroutine %u %s map 0x%llx, which goroutine %u %s with no synchronization "
		 "between them (a data race on the map; the runtime crashes with \"concurrent map "
		 "%s\" the day they overlap)",
		 t->tid, write ? "writes" : "reads", (unsigned long long)m->map, prev->goid,
		 prev_write ? "wrote" : "read", write && prev_write ? "writes" :
						     "read and map write");
	return hb_report(hb, &f);
}

int go__map_access(struct hb *hb, struct hb_thread *t, __u64 map, bool write, __u64 site)
{
	struct go_map_access cur = {
		.key = t->key,
		.goid = t->tid,
		.sid = t->sid,
		.clock = vc_get(&t->vc, t->sid),
		.site = site,
	};
	struct go_map_state *m;
	__u8 i;

	if (!map || !(t->key & RT_GO_KEY))
		return 0;
	m = map_get(hb, map);
	if (!m)
		return -ENOMEM;
	if (m->broken)
		return 0;
	if (m->write.key && !ordered(t, &m->write))
		return report_race(hb, t, m, write, site, &m->write, true);
	if (!write) {
		/* remember this reader (one entry a goroutine, the oldest goes at the cap) */
		for (i = 0; i < m->nreads; i++)
			if (m->reads[i].key == t->key)
				break;
		if (i == m->nreads) {
			if (m->nreads == RT_GO_MAP_READS) {
				memmove(&m->reads[0], &m->reads[1],
					(RT_GO_MAP_READS - 1) * sizeof(m->reads[0]));
				i = RT_GO_MAP_READS - 1;
			} else {
				m->nreads++;
			}
		}
		m->reads[i] = cur;
		return 0;
	}
	for (i = 0; i < m->nreads; i++)
		if (!ordered(t, &m->reads[i]))
			return report_race(hb, t, m, true, site, &m->reads[i], false);
	m->write = cur;
	m->nreads = 0;
	return 0;
}

void go__chan_new(struct hb *hb, __u64 ch)
{
	rt_map_del(&hb->go_closed, ch);
}

int go__chan_close(struct hb *hb, struct hb_thread *t, __u64 ch, __u64 site)
{
	__u64 *first = rt_map_get(&hb->go_closed, ch);
	struct rt_finding f;

	if (!ch)
		return 0;
	if (!first)
		return rt_map_put(&hb->go_closed, ch, site ? site : 1) ? -ENOMEM : 0;
	hb_finding_init(hb, &f, RT_K_GO_CHAN_DOUBLE_CLOSE, t->pid);
	hb_finding_thread(&f, t->tid);
	f.locks[0].addr = ch;
	snprintf(f.locks[0].kind, sizeof(f.locks[0].kind), "chan");
	f.nlocks = 1;
	f.sites[f.nsites++] = site;
	f.sites[f.nsites++] = *first == 1 ? 0 : *first;
	hb_finding_id(&f);
	snprintf(f.message, sizeof(f.message),
		 "goroutine %u closes channel 0x%llx, which was already closed: the runtime "
		 "panics (\"close of closed channel\")",
		 t->tid, (unsigned long long)ch);
	return hb_report(hb, &f);
}

void go__free(struct hb *hb)
{
	rt_map_free(&hb->go_maps);
	rt_map_free(&hb->go_closed);
	free(hb->go_map_states);
}

int go__tick(struct hb *hb)
{
	static const char *const what[] = { "", "receiving from channel", "sending to channel",
					    "waiting on WaitGroup", "locking Mutex" };
	size_t i;
	int err;

	for (i = 0; i < hb->nthreads; i++) {
		struct hb_thread *t = &hb->threads[i];
		struct rt_finding f;

		__u8 k;
		bool loop = false;

		if (!t->alive || !(t->key & RT_GO_KEY) || !t->go_block || t->go_leak_reported ||
		    hb->now - t->go_block_since < hb->opts.hang_threshold_ns)
			continue;
		for (k = 0; k < t->go_ndone; k++)
			loop |= t->go_done_sites[k] == t->go_block_site;
		if (loop)
			continue;
		t->go_leak_reported = true;
		hb_finding_init(hb, &f, RT_K_GO_GOROUTINE_LEAK, t->pid);
		hb_finding_thread(&f, t->tid);
		f.locks[0].addr = t->go_block_obj;
		snprintf(f.locks[0].kind, sizeof(f.locks[0].kind), "%s",
			 t->go_block == RT_GO_BLOCK_MUTEX ? "sync.Mutex" :
			 t->go_block == RT_GO_BLOCK_WG	  ? "sync.WaitGroup" :
							    "chan");
		f.nlocks = 1;
		f.sites[f.nsites++] = t->go_block_site;
		hb_finding_id(&f);
		snprintf(f.message, sizeof(f.message),
			 "goroutine %u has been blocked %s 0x%llx for %.1f s", t->tid,
			 what[t->go_block], (unsigned long long)t->go_block_obj,
			 (hb->now - t->go_block_since) / 1e9);
		err = hb_report(hb, &f);
		if (err)
			return err;
	}
	return 0;
}
