// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * data-race: two accesses to the same bytes from different threads (goroutines), at least one
 * a write, that happens-before does not order at the time of the later one. The accesses are a
 * sample (--races probes a window of the program's memory instructions, lower_mem.c lowers
 * them); FastTrack's check against a shadow word per 8 bytes holding the last write and the
 * reads since it, with the accessing actor's vector clock.
 * Not reported: atomic accesses, and plain ones on locations accessed atomically (lower_mem.c
 * makes them release/acquire edges instead); accesses of one actor; memory freed and
 * allocated again (a new variable: its shadow is dropped at free). Races through edges we do
 * not see (a lock-free queue without atomic instructions in the program's own code) can be
 * reported falsely; docs/detectors.md lists what was examined.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect/registry.h"
#include "engine/hb.h"
#include "lib/util.h"

#define RT_RACE_SHADOW_MAX (1U << 18) /* shadow words */
#define RT_RACE_READS 4		      /* reads remembered per word since its last write */
#define RT_RACE_HELD 2		      /* locks remembered per access, for the report */

struct access {
	__u64 uid; /* actor, 0: none */
	__u32 id;  /* tid, or goroutine id */
	__u32 sid;
	__u32 clock;
	__u8 mask; /* bytes of the word */
	bool go;
	__u8 nheld;
	__u64 site;
	__u64 held[RT_RACE_HELD];
};

struct shadow {
	__u64 word; /* address >> 3 */
	struct access write;
	struct access reads[RT_RACE_READS];
	__u8 nreads;
};

struct datarace {
	struct hb *hb;
	struct rt_map of; /* word -> index + 1 into words */
	struct shadow *words;
	size_t nwords, words_cap;
	__u64 evicted;
	__u64 accesses;
	__u64 addrs;
};

static void *race_new(struct hb *hb)
{
	struct datarace *d = calloc(1, sizeof(*d));

	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->hb = hb;
	rt_map_init(&d->of);
	return d;
}

static void race_free(void *st)
{
	struct datarace *d = st;

	rt_map_free(&d->of);
	free(d->words);
	free(d);
}

static const struct hb_det_counter race_counters[] = {
	{ "racetrace_engine_evictions_total", "race_shadow", NULL }, /* shadow words forgotten at the cap */
	{ "racetrace_race_addresses_total", NULL,
	  "Distinct 8-byte words the data-race detector watched (--races)." },
	{ NULL, NULL, NULL },
};

static void race_count(const void *st, __u64 *v)
{
	const struct datarace *d = st;

	v[0] = d->evicted;
	v[1] = d->addrs;
}

static struct shadow *shadow_get(struct datarace *d, __u64 word, bool create)
{
	__u64 *v = rt_map_get(&d->of, word);
	struct shadow *s;

	if (v)
		return &d->words[*v - 1];
	if (!create)
		return NULL;
	if (d->of.len >= RT_RACE_SHADOW_MAX) {
		/* at the cap: start over (counted); only races with older accesses are lost */
		d->evicted += d->of.len;
		rt_map_free(&d->of);
		rt_map_init(&d->of);
		d->nwords = 0;
	}
	if (rt_grow((void **)&d->words, &d->words_cap, d->nwords + 1, sizeof(*d->words)) ||
	    rt_map_put(&d->of, word, d->nwords + 1))
		return NULL;
	s = &d->words[d->nwords++];
	memset(s, 0, sizeof(*s));
	s->word = word;
	d->addrs++;
	return s;
}

static bool ordered(const struct hb_actor *t, const struct access *a)
{
	return a->uid == t->uid || hb__ordered(t, a->sid, a->clock);
}

static const char *lock_kind(struct datarace *d, __u64 addr)
{
	const struct hb_lock *l = hb__lock(d->hb, addr);

	return l ? rt_lock_kind_name(l->kind) : "lock";
}

static int report_race(struct datarace *d, const struct hb_actor *t, const struct hb_mem *m,
		       const struct access *cur, const struct access *prev, bool prev_write)
{
	/* the write first (both writes: the lower site first), so that the id is the same
	 * whichever access came first */
	bool swap = m->write && prev_write ? prev->site < cur->site : prev_write;
	const struct access *a = swap ? prev : cur, *b = swap ? cur : prev;
	bool aw = swap ? prev_write : m->write, bw = swap ? m->write : prev_write;
	struct rt_finding f;
	__u8 i;

	hb__finding(d->hb, &f, RT_K_DATA_RACE, t->pid);
	f.goroutines = cur->go;
	rt_finding_thread(&f, a->id);
	rt_finding_thread(&f, b->id);
	rt_finding_lock(&f, m->addr, "memory");
	for (i = 0; i < a->nheld; i++)
		rt_finding_lock(&f, a->held[i], lock_kind(d, a->held[i]));
	for (i = 0; i < b->nheld; i++)
		rt_finding_lock(&f, b->held[i], lock_kind(d, b->held[i]));
	rt_finding_site(&f, a->site);
	rt_finding_site(&f, b->site);
	snprintf(f.message, sizeof(f.message),
		 "data race on 0x%llx (%u bytes): %s %u %s it holding %u lock%s, %s %u %s it "
		 "holding %u lock%s, and neither happens before the other",
		 (unsigned long long)m->addr, m->size, cur->go ? "goroutine" : "thread", a->id,
		 aw ? "writes" : "reads", a->nheld, a->nheld == 1 ? "" : "s",
		 cur->go ? "goroutine" : "thread", b->id, bw ? "writes" : "reads", b->nheld,
		 b->nheld == 1 ? "" : "s");
	return hb__report(d->hb, &f, 0);
}

static int race_mem(void *st, const struct hb_actor *t, const struct hb_mem *m)
{
	struct datarace *d = st;
	unsigned int off = m->addr & 7, bytes = m->size > 8 ? 8 : m->size;
	struct access cur = {
		.uid = t->uid,
		.id = t->tid,
		.sid = t->sid,
		.clock = hb__own_clock(t),
		.go = !!(t->key & RT_GO_KEY),
		.site = m->site,
		.mask = (__u8)(((1U << bytes) - 1) << off),
	};
	struct shadow *s;
	size_t k;
	__u8 i;
	int err;

	d->accesses++;
	if (m->atomic)
		return 0;
	for (k = t->nheld; k-- > 0 && cur.nheld < RT_RACE_HELD;)
		cur.held[cur.nheld++] = t->held[k].lock;
	s = shadow_get(d, m->addr >> 3, true);
	if (!s)
		return -ENOMEM;
	if (s->write.uid && (s->write.mask & cur.mask) && !ordered(t, &s->write)) {
		err = report_race(d, t, m, &cur, &s->write, true);
		if (err)
			return err;
	}
	if (m->write) {
		for (i = 0; i < s->nreads; i++) {
			if (!(s->reads[i].mask & cur.mask) || ordered(t, &s->reads[i]))
				continue;
			err = report_race(d, t, m, &cur, &s->reads[i], false);
			if (err)
				return err;
			break;
		}
		s->write = cur;
		s->nreads = 0;
		return 0;
	}
	/* a read: one entry per actor, the oldest goes at the cap */
	for (i = 0; i < s->nreads; i++)
		if (s->reads[i].uid == cur.uid)
			break;
	if (i == s->nreads) {
		if (s->nreads == RT_RACE_READS) {
			memmove(&s->reads[0], &s->reads[1],
				(RT_RACE_READS - 1) * sizeof(s->reads[0]));
			i = RT_RACE_READS - 1;
		} else {
			s->nreads++;
		}
	}
	s->reads[i] = cur;
	return 0;
}

/* Freed memory is a new variable when allocated again: forget its words. */
static int race_block_free(void *st, const struct hb_actor *t, const struct hb_block *b,
			   __u64 addr, __u64 site)
{
	struct datarace *d = st;
	__u64 w, end;

	if (!b || !b->size || b->freed)
		return 0;
	end = (addr + b->size + 7) >> 3;
	if (end - (addr >> 3) > d->of.len) {
		/* a block larger than the shadow: look at each shadow word instead */
		size_t k;

		for (k = 0; k < d->nwords; k++) {
			__u64 *v = rt_map_get(&d->of, d->words[k].word);

			if (v && *v - 1 == k && d->words[k].word >= (addr >> 3) &&
			    d->words[k].word < end) {
				d->words[k].write.uid = 0;
				d->words[k].nreads = 0;
			}
		}
		return 0;
	}
	for (w = addr >> 3; w < end; w++) {
		struct shadow *s = shadow_get(d, w, false);

		if (s) {
			s->write.uid = 0;
			s->nreads = 0;
		}
	}
	return 0;
}

/* Events were lost: the clocks may lack edges, so forget every access. */
static void race_gap(void *st)
{
	struct datarace *d = st;

	rt_map_free(&d->of);
	rt_map_init(&d->of);
	d->nwords = 0;
}

const struct hb_detector rt_det_datarace = {
	.name = "data-race",
	.new = race_new,
	.free = race_free,
	.mem_access = race_mem,
	.block_free = race_block_free,
	.gap = race_gap,
	.counters = race_counters,
	.count = race_count,
};
