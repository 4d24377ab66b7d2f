// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * go-map-race: two accesses to the same Go map from different goroutines, at least one a write
 * (mapassign, mapdelete, clear), that happens-before does not order (the edges the Go lowering
 * makes: `go`, channel send -> receive and close -> receive, select, Mutex and RWMutex unlock
 * -> lock, WaitGroup Done -> Wait, Once). FastTrack's rule with the last write and the reads
 * since it. The runtime's own check only sees writes that overlap in time, and then kills the
 * process; this sees them apart in time too.
 * Not reported: a map the runtime made anew at the same address (makemap resets it), accesses
 * ordered through edges we do not see (atomics, sync.Cond: missing them can only add reports;
 * see docs/go.md), a map reported once (it is "broken"), accesses of kernel threads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect/registry.h"
#include "engine/hb.h"
#include "lib/util.h"

#define RT_GO_MAPS_MAX (1U << 20)
#define RT_GO_MAP_READS 4

struct access {
	__u64 key; /* actor, 0: none */
	__u32 goid;
	__u32 sid;
	__u32 clock;
	__u64 site;
};

struct map_state {
	__u64 map;
	struct access write;		    /* the last write */
	struct access reads[RT_GO_MAP_READS]; /* reads since it */
	__u8 nreads;
	bool broken;
};

struct maprace {
	struct hb *hb;
	struct rt_map of; /* hmap -> index + 1 into maps */
	struct map_state *maps;
	size_t nmaps, maps_cap;
	__u64 evicted;
};

static void *maprace_new(struct hb *hb)
{
	struct maprace *m = calloc(1, sizeof(*m));

	if (!m) {
		errno = ENOMEM;
		return NULL;
	}
	m->hb = hb;
	rt_map_init(&m->of);
	return m;
}

static void maprace_free(void *st)
{
	struct maprace *m = st;

	rt_map_free(&m->of);
	free(m->maps);
	free(m);
}

/* per-object states forgotten at the cap: with the engine's sync clocks, one table */
static const struct hb_det_counter maprace_counters[] = {
	{ "racetrace_engine_evictions_total", "sync_clocks", NULL },
	{ NULL, NULL, NULL },
};

static void maprace_count(const void *st, __u64 *v)
{
	v[0] = ((const struct maprace *)st)->evicted;
}

static struct map_state *map_get(struct maprace *m, __u64 map)
{
	__u64 *v = rt_map_get(&m->of, map);
	struct map_state *s;

	if (v)
		return &m->maps[*v - 1];
	if (m->of.len >= RT_GO_MAPS_MAX) {
		/* at the cap: start over (counted): only races through old maps are lost */
		m->evicted += m->of.len;
		rt_map_free(&m->of);
		m->nmaps = 0;
	}
	if (rt_grow((void **)&m->maps, &m->maps_cap, m->nmaps + 1, sizeof(*m->maps)) ||
	    rt_map_put(&m->of, map, m->nmaps + 1))
		return NULL;
	s = &m->maps[m->nmaps++];
	memset(s, 0, sizeof(*s));
	s->map = map;
	return s;
}

static int report_race(struct maprace *m, const struct hb_actor *t, struct map_state *s,
		       bool write, __u64 site, const struct access *prev, bool prev_write)
{
	struct rt_finding f;

	s->broken = true;
	hb__finding(m->hb, &f, RT_K_GO_MAP_RACE, t->pid);
	rt_finding_thread(&f, t->tid);
	rt_finding_thread(&f, prev->goid);
	rt_finding_lock(&f, s->map, "map");
	rt_finding_site(&f, site);
	rt_finding_site(&f, prev->site);
	snprintf(f.message, sizeof(f.message),
		 "goroutine %u %s map 0x%llx, which goroutine %u %s with no synchronization "
		 "between them (a data race on the map; the runtime crashes with \"concurrent map "
		 "%s\" the day they overlap)",
		 t->tid, write ? "writes" : "reads", (unsigned long long)s->map, prev->goid,
		 prev_write ? "wrote" : "read", write && prev_write ? "writes" :
						     "read and map write");
	return hb__report(m->hb, &f, 0);
}

static bool ordered(const struct hb_actor *t, const struct access *a)
{
	return a->key == t->key || hb__ordered(t, a->sid, a->clock);
}

static int map_access(struct maprace *m, const struct hb_actor *t, __u64 map, bool write,
		      __u64 site)
{
	struct access cur = {
		.key = t->key,
		.goid = t->tid,
		.sid = t->sid,
		.clock = hb__own_clock(t),
		.site = site,
	};
	struct map_state *s;
	__u8 i;

	if (!map || !(t->key & RT_GO_KEY))
		return 0;
	s = map_get(m, map);
	if (!s)
		return -ENOMEM;
	if (s->broken)
		return 0;
	if (s->write.key && !ordered(t, &s->write))
		return report_race(m, t, s, write, site, &s->write, true);
	if (!write) {
		/* remember this reader (one entry a goroutine, the oldest goes at the cap) */
		for (i = 0; i < s->nreads; i++)
			if (s->reads[i].key == t->key)
				break;
		if (i == s->nreads) {
			if (s->nreads == RT_GO_MAP_READS) {
				memmove(&s->reads[0], &s->reads[1],
					(RT_GO_MAP_READS - 1) * sizeof(s->reads[0]));
				i = RT_GO_MAP_READS - 1;
			} else {
				s->nreads++;
			}
		}
		s->reads[i] = cur;
		return 0;
	}
	for (i = 0; i < s->nreads; i++)
		if (!ordered(t, &s->reads[i]))
			return report_race(m, t, s, true, site, &s->reads[i], false);
	s->write = cur;
	s->nreads = 0;
	return 0;
}

static int maprace_go(void *st, const struct hb_actor *t, const struct hb_go_op *op)
{
	struct maprace *m = st;
	__u64 *v;

	switch (op->kind) {
	case HB_GO_MAP_READ:
	case HB_GO_MAP_WRITE:
		return map_access(m, t, op->obj, op->kind == HB_GO_MAP_WRITE, op->site);
	case HB_GO_MAP_NEW:
		v = rt_map_get(&m->of, op->obj);
		if (v) {
			struct map_state *s = &m->maps[*v - 1];

			memset(s, 0, sizeof(*s));
			s->map = op->obj;
		}
		return 0;
	default:
		return 0;
	}
}

const struct hb_detector rt_det_go_maprace = {
	.name = "go-map-race",
	.flags = HB_DET_GO,
	.new = maprace_new,
	.free = maprace_free,
	.go = maprace_go,
	.counters = maprace_counters,
	.count = maprace_count,
};
