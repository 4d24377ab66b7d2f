// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Vector clocks and release clocks with shared snapshots (vc.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "engine/vc.h"
#include "lib/util.h"

static __u64 mem_bytes;

__u64 vc_mem_bytes(void)
{
	return mem_bytes;
}

static void snap_put(struct vc_snap *s)
{
	if (s && --s->refs == 0) {
		mem_bytes -= sizeof(*s) + s->n * sizeof(__u32);
		free(s);
	}
}

void vc_init(struct vc *v)
{
	memset(v, 0, sizeof(*v));
}

void vc_free(struct vc *v)
{
	if (v->cap)
		mem_bytes -= v->cap * sizeof(__u32);
	free(v->clk);
	snap_put(v->snap);
	vc_init(v);
}

__u32 vc_get(const struct vc *v, __u32 sid)
{
	return sid < v->n ? v->clk[sid] : 0;
}

static int vc_reserve(struct vc *v, __u32 n)
{
	size_t cap = v->cap, old = v->cap;

	if (n <= v->n)
		return 0;
	if (n > v->cap) {
		if (rt_grow((void **)&v->clk, &cap, n, sizeof(__u32)))
			return -ENOMEM;
		mem_bytes += (cap - old) * sizeof(__u32);
		v->cap = cap;
	}
	memset(v->clk + v->n, 0, (n - v->n) * sizeof(__u32));
	v->n = n;
	return 0;
}

/* the cached snapshot no longer matches: drop it */
static void vc_dirty(struct vc *v)
{
	snap_put(v->snap);
	v->snap = NULL;
}

int vc_set(struct vc *v, __u32 sid, __u32 c)
{
	if (vc_reserve(v, sid + 1))
		return -ENOMEM;
	v->clk[sid] = c;
	/* the own component travels as the epoch, so the snapshot stays valid */
	return 0;
}

int vc_tick(struct vc *v, __u32 sid)
{
	return vc_set(v, sid, vc_get(v, sid) + 1);
}

int vc_join(struct vc *v, const struct vc *o)
{
	int changed = 0;
	__u32 i;

	if (vc_reserve(v, o->n))
		return -ENOMEM;
	for (i = 0; i < o->n; i++) {
		if (o->clk[i] > v->clk[i]) {
			v->clk[i] = o->clk[i];
			changed = 1;
		}
	}
	if (changed)
		vc_dirty(v);
	return changed;
}

void sclock_init(struct sclock *s)
{
	memset(s, 0, sizeof(*s));
}

void sclock_free(struct sclock *s)
{
	snap_put(s->snap);
	if (s->full)
		mem_bytes -= s->nfull * sizeof(__u32);
	free(s->full);
	sclock_init(s);
}

__u32 sclock_get(const struct sclock *s, __u32 sid)
{
	__u32 c = 0;

	if (s->full && sid < s->nfull)
		c = s->full[sid];
	if (s->snap && sid < s->snap->n && s->snap->clk[sid] > c)
		c = s->snap->clk[sid];
	if (s->c && s->sid == sid && s->c > c)
		c = s->c;
	return c;
}

/* The thread's snapshot, made when its clock changed since the last one. */
static struct vc_snap *vc_snapshot(struct vc *v)
{
	struct vc_snap *s;

	if (v->snap)
		return v->snap;
	s = malloc(sizeof(*s) + v->n * sizeof(__u32));
	if (!s)
		return NULL;
	s->refs = 1;
	s->n = v->n;
	memcpy(s->clk, v->clk, v->n * sizeof(__u32));
	mem_bytes += sizeof(*s) + v->n * sizeof(__u32);
	v->snap = s;
	return s;
}

int vc_release_store(struct vc *t, __u32 sid, struct sclock *s)
{
	struct vc_snap *snap = vc_snapshot(t);

	if (!snap)
		return -ENOMEM;
	snap->refs++;
	sclock_free(s);
	s->snap = snap;
	s->sid = sid;
	s->c = vc_get(t, sid);
	return 0;
}

/* Turn s into an owned full clock of at least n entries. */
static int sclock_materialize(struct sclock *s, __u32 n)
{
	__u32 i, old = s->nfull, *p;

	if (s->snap && s->snap->n > n)
		n = s->snap->n;
	if (s->c && s->sid + 1 > n)
		n = s->sid + 1;
	if (n > s->nfull) {
		p = realloc(s->full, n * sizeof(__u32));
		if (!p)
			return -ENOMEM;
		memset(p + old, 0, (n - old) * sizeof(__u32));
		mem_bytes += (n - old) * sizeof(__u32);
		s->full = p;
		s->nfull = n;
	}
	if (s->snap) {
		for (i = 0; i < s->snap->n; i++)
			if (s->snap->clk[i] > s->full[i])
				s->full[i] = s->snap->clk[i];
		snap_put(s->snap);
		s->snap = NULL;
	}
	if (s->c) {
		if (s->c > s->full[s->sid])
			s->full[s->sid] = s->c;
		s->c = 0;
	}
	return 0;
}

int vc_release(struct vc *t, __u32 sid, struct sclock *s)
{
	__u32 i;

	if (!s->snap && !s->full && !s->c)
		return vc_release_store(t, sid, s);
	/* the same thread releasing again with nothing new learned: just move the epoch */
	if (s->snap && !s->full && s->sid == sid && t->snap == s->snap) {
		s->c = vc_get(t, sid);
		return 0;
	}
	if (sclock_materialize(s, t->n))
		return -ENOMEM;
	for (i = 0; i < t->n; i++)
		if (t->clk[i] > s->full[i])
			s->full[i] = t->clk[i];
	return 0;
}

int vc_acquire(struct vc *t, const struct sclock *s)
{
	int changed = 0;
	__u32 i;

	/* FastTrack: knowing the releaser's epoch means knowing all it knew then */
	if (!s->full && s->c && vc_get(t, s->sid) >= s->c)
		return 0;
	if (s->snap) {
		if (vc_reserve(t, s->snap->n))
			return -ENOMEM;
		for (i = 0; i < s->snap->n; i++) {
			if (s->snap->clk[i] > t->clk[i]) {
				t->clk[i] = s->snap->clk[i];
				changed = 1;
			}
		}
	}
	if (s->full) {
		if (vc_reserve(t, s->nfull))
			return -ENOMEM;
		for (i = 0; i < s->nfull; i++) {
			if (s->full[i] > t->clk[i]) {
				t->clk[i] = s->full[i];
				changed = 1;
			}
		}
	}
	if (s->c && vc_get(t, s->sid) < s->c) {
		if (vc_reserve(t, s->sid + 1))
			return -ENOMEM;
		t->clk[s->sid] = s->c;
		changed = 1;
	}
	if (changed)
		vc_dirty(t);
	return changed;
}
