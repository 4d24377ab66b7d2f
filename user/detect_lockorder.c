// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Lock-order inversion, lockdep style. Every blocking acquisition of lock B by a thread that
 * holds lock A adds the edge A -> B to a graph over lock instances, remembering the first thread
 * and the two acquisition sites that made it. When a new edge closes a cycle, the cycle is a
 * potential deadlock and is reported once; its id hashes the code sites, so the same inversion
 * over other lock instances (a loop, per-object locks) counts as the same finding.
 * Not reported: trylock and timed acquisitions (they cannot block forever, so they add no edge),
 * re-acquiring a lock already held (that is double-lock, another detector), cycles longer than
 * RT_FINDING_MAX locks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect.h"
#include "util.h"

#define RT_LO_DFS_MAX 200000 /* nodes visited per cycle search */

struct lo_edge {
	__u32 from, to; /* node indices */
	__u32 tid;
	__u32 pid;
	__u64 held_site;
	__u64 acquire_site;
	__u32 next_out; /* next edge out of `from`, index + 1, 0 ends */
};

struct lo_node {
	__u64 addr;
	__u32 first_out; /* first edge index + 1 */
	__u32 mark;	 /* DFS generation */
	__u32 via;	 /* edge index + 1 that reached this node in the current DFS */
	__u8 kind;
};

struct lockorder {
	struct rt_report *report;
	struct lo_node *nodes;
	size_t nnodes, nodes_cap;
	struct lo_edge *edges;
	size_t nedges, edges_cap;
	struct rt_map node_of;	/* addr -> node index + 1 */
	struct rt_map edge_of;	/* (from << 32 | to) + 1 -> edge index + 1 */
	__u32 gen;
	__u32 *stack;
	size_t stack_cap;
	__u64 dfs_truncated;
};

const char *rt_lock_kind_name(enum rt_lock_kind k)
{
	switch (k) {
	case RT_LOCK_MUTEX:
		return "mutex";
	case RT_LOCK_RWLOCK:
		return "rwlock";
	case RT_LOCK_SPIN:
		return "spinlock";
	}
	return "lock";
}

struct lockorder *lockorder__new(struct rt_report *report)
{
	struct lockorder *lo = calloc(1, sizeof(*lo));

	if (!lo) {
		errno = ENOMEM;
		return NULL;
	}
	lo->report = report;
	rt_map_init(&lo->node_of);
	rt_map_init(&lo->edge_of);
	return lo;
}

void lockorder__free(struct lockorder *lo)
{
	if (!lo)
		return;
	free(lo->nodes);
	free(lo->edges);
	free(lo->stack);
	rt_map_free(&lo->node_of);
	rt_map_free(&lo->edge_of);
	free(lo);
}

__u64 lockorder__nodes(const struct lockorder *lo)
{
	return lo->nnodes;
}

__u64 lockorder__edges(const struct lockorder *lo)
{
	return lo->nedges;
}

/* Node index for addr, created if new; -ENOMEM. */
static long node_get(struct lockorder *lo, __u64 addr, __u8 kind)
{
	__u64 *v = rt_map_get(&lo->node_of, addr);
	struct lo_node *n;

	if (v)
		return *v - 1;
	if (rt_grow((void **)&lo->nodes, &lo->nodes_cap, lo->nnodes + 1, sizeof(*lo->nodes)))
		return -ENOMEM;
	if (rt_map_put(&lo->node_of, addr, lo->nnodes + 1))
		return -ENOMEM;
	n = &lo->nodes[lo->nnodes];
	memset(n, 0, sizeof(*n));
	n->addr = addr;
	n->kind = kind;
	return lo->nnodes++;
}

/*
 * Depth-first search from node `from` for node `target` over existing edges. On success the
 * path is recorded in each node's `via` and true is returned.
 */
static bool dfs_find(struct lockorder *lo, __u32 from, __u32 target)
{
	size_t sp = 0, visited = 0;

	if (++lo->gen == 0) { /* wrapped: reset marks */
		size_t i;

		for (i = 0; i < lo->nnodes; i++)
			lo->nodes[i].mark = 0;
		lo->gen = 1;
	}
	if (rt_grow((void **)&lo->stack, &lo->stack_cap, lo->nnodes + 1, sizeof(*lo->stack)))
		return false;
	lo->nodes[from].mark = lo->gen;
	lo->nodes[from].via = 0;
	lo->stack[sp++] = from;
	while (sp) {
		__u32 n = lo->stack[--sp], ei;

		if (n == target)
			return true;
		if (++visited > RT_LO_DFS_MAX) {
			lo->dfs_truncated++;
			return false;
		}
		for (ei = lo->nodes[n].first_out; ei; ei = lo->edges[ei - 1].next_out) {
			__u32 to = lo->edges[ei - 1].to;

			if (lo->nodes[to].mark == lo->gen)
				continue;
			lo->nodes[to].mark = lo->gen;
			lo->nodes[to].via = ei;
			lo->stack[sp++] = to;
		}
	}
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static void add_thread(struct rt_finding *f, __u32 tid)
{
	__u32 i;

	for (i = 0; i < f->nthreads; i++)
		if (f->threads[i] == tid)
			return;
	if (f->nthreads < RT_FINDING_MAX)
		f->threads[f->nthreads++] = tid;
}

/* Report the cycle closed by edge index ne (from A to B), whose path B ->...-> A is in `via`. */
static int report_cycle(struct lockorder *lo, __u32 ne)
{
	__u32 path[RT_FINDING_MAX], np = 0, i, a = lo->edges[ne].from;
	__u64 pairs[RT_FINDING_MAX];
	struct rt_finding f;
	__u32 n;
	int err;

	/* walk back from A to B along `via`: these edges run B -> ... -> A */
	for (n = a; lo->nodes[n].via; n = lo->edges[lo->nodes[n].via - 1].from) {
		if (np + 1 >= RT_FINDING_MAX)
			return 0; /* longer than we report */
		path[np++] = lo->nodes[n].via - 1;
	}

	memset(&f, 0, sizeof(f));
	f.kind = RT_K_LOCK_ORDER_INVERSION;
	f.pid = lo->edges[ne].pid;
	/* cycle in order: A -> B, then B -> ... -> A (path reversed) */
	f.edges[f.nedges++] = (struct rt_finding_edge){
		.from = lo->nodes[lo->edges[ne].from].addr,
		.to = lo->nodes[lo->edges[ne].to].addr,
		.tid = lo->edges[ne].tid,
		.held_site = lo->edges[ne].held_site,
		.acquire_site = lo->edges[ne].acquire_site,
	};
	for (i = np; i-- > 0;) {
		const struct lo_edge *e = &lo->edges[path[i]];

		f.edges[f.nedges++] = (struct rt_finding_edge){
			.from = lo->nodes[e->from].addr,
			.to = lo->nodes[e->to].addr,
			.tid = e->tid,
			.held_site = e->held_site,
			.acquire_site = e->acquire_site,
		};
	}
	for (i = 0; i < f.nedges; i++) {
		const struct rt_finding_edge *e = &f.edges[i];
		long ni = node_get(lo, e->from, 0);

		f.locks[f.nlocks].addr = e->from;
		snprintf(f.locks[f.nlocks].kind, sizeof(f.locks[0].kind), "%s",
			 rt_lock_kind_name(ni >= 0 ? lo->nodes[ni].kind : 0));
		f.nlocks++;
		add_thread(&f, e->tid);
		f.sites[f.nsites++] = e->acquire_site;
		f.sites[f.nsites++] = e->held_site;
		/* the id is the multiset of site pairs, independent of where the cycle starts */
		pairs[i] = rt_fnv1a(rt_fnv1a(RT_FNV_INIT, &e->held_site, 8), &e->acquire_site, 8);
	}
	qsort(pairs, f.nedges, sizeof(pairs[0]), cmp_u64);
	f.id = rt_fnv1a(rt_fnv1a(RT_FNV_INIT, &f.kind, sizeof(f.kind)), pairs,
			f.nedges * sizeof(pairs[0]));
	snprintf(f.message, sizeof(f.message),
		 "lock-order inversion (potential deadlock): %u locks are taken in a cycle by %u "
		 "thread%s",
		 f.nlocks, f.nthreads, f.nthreads == 1 ? "" : "s");
	err = rt_report__add(lo->report, &f);
	return err < 0 ? err : 0;
}

int lockorder__acquire(struct lockorder *lo, const struct rt_acq *a, const struct rt_held *held,
		       __u32 nheld)
{
	long bn, an;
	__u32 i;
	int err;

	if (!nheld)
		return 0;
	bn = node_get(lo, a->lock, a->kind);
	if (bn < 0)
		return bn;
	for (i = 0; i < nheld; i++) {
		const struct rt_held *h = &held[i];
		__u64 key;
		struct lo_edge *e;

		if (h->lock == a->lock)
			continue; /* recursion: not an ordering */
		an = node_get(lo, h->lock, h->kind);
		if (an < 0)
			return an;
		key = (((__u64)an << 32) | (__u64)bn) + 1;
		if (rt_map_get(&lo->edge_of, key))
			continue;
		if (rt_grow((void **)&lo->edges, &lo->edges_cap, lo->nedges + 1,
			    sizeof(*lo->edges)))
			return -ENOMEM;
		if (rt_map_put(&lo->edge_of, key, lo->nedges + 1))
			return -ENOMEM;
		e = &lo->edges[lo->nedges];
		*e = (struct lo_edge){
			.from = an,
			.to = bn,
			.tid = a->tid,
			.pid = a->pid,
			.held_site = h->site,
			.acquire_site = a->site,
		};
		/* a cycle through the new edge A -> B exists iff B reaches A */
		if (dfs_find(lo, bn, an)) {
			err = report_cycle(lo, lo->nedges);
			if (err) {
				lo->nedges++;
				return err;
			}
		}
		e->next_out = lo->nodes[an].first_out;
		lo->nodes[an].first_out = lo->nedges + 1;
		lo->nedges++;
	}
	return 0;
}
