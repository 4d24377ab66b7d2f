// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Lock-order inversion, lockdep style. Every blocking acquisition of lock B by a thread that
 * holds lock A adds the edge A -> B (with the modes: A held for read or write, B wanted for read
 * or write) to a graph over lock instances, remembering the first thread and both sites. A new
 * edge, or an edge that lost a gate, is checked for a cycle that can deadlock; one is reported
 * once, and later sightings of its edges only raise its count. The id hashes the code sites, so
 * the same inversion over other lock instances (a loop, per-object locks) is the same finding.
 * Read locks: a thread wanting X for read is not blocked by holders of X for read, so a cycle
 * step where X is wanted for read and held for read cannot deadlock (glibc's default rwlocks
 * prefer readers). Gate locks: every edge remembers the locks that were held around it every
 * time (up to RT_LO_GATES); a cycle whose edges all share a gate lock cannot deadlock.
 * Go locks have no destroy and no free: the garbage collector frees their memory, and a new
 * object may get the address of a dead one (a false cycle through one "lock" that is two). So a
 * Go lock in the Go heap has a node for one GC epoch (from one collection's mark termination to
 * the next: an object seen in use in between cannot have been freed in between): after a
 * collection the same address gets a new node. The price: an inversion between heap locks
 * whose two orders are separated by a collection is not found (the orders must meet in one
 * epoch; a bug that runs often does). Globals are never freed: their nodes last.
 * Not reported: trylock and timed acquisitions (they add no edge), re-acquisition of a held
 * lock (double-lock is another detector), cycles longer than RT_FINDING_MAX.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect/registry.h"
#include "engine/hb.h"
#include "lib/util.h"

#define RT_LO_DFS_MAX 200000 /* states visited per cycle search */
#define RT_LO_GATES 4
#define RT_LO_MAX_NODES (1U << 20)

struct lo_edge {
	__u32 from, to; /* node indices */
	__u32 tid;
	__u32 pid;
	bool goroutine; /* tid is a goroutine id */
	__u8 hmode, amode;
	__u8 ngates;
	__u64 gates[RT_LO_GATES];
	__u64 held_site;
	__u64 acquire_site;
	__u64 finding; /* id of the reported cycle it belongs to, 0 */
	__u32 next_out; /* next edge out of `from`, index + 1, 0 ends */
};

struct lo_node {
	__u64 addr;
	__u32 first_out; /* first edge index + 1 */
	__u32 mark[2];	 /* DFS generation, per arrival mode */
	__u32 via[2];	 /* edge index + 1 that reached (node, mode) in the current DFS */
	__u8 pmode[2];	 /* ... coming from its `from` node in this mode */
	__u32 epoch; /* a Go lock's: lo->gc_epoch when the node was made */
	__u8 kind;
	bool handoff; /* unlocked by another goroutine than its locker: not an ordering lock */
};

struct lockorder {
	struct hb *hb;
	struct lo_node *nodes;
	size_t nnodes, nodes_cap;
	struct lo_edge *edges;
	size_t nedges, edges_cap;
	struct rt_map node_of;	/* addr -> node index + 1 */
	struct rt_map edge_of;	/* from, to, modes -> edge index + 1 */
	__u32 gen;
	__u32 gc_epoch; /* Go collections seen */
	__u64 *stack; /* DFS states: node << 1 | mode */
	size_t stack_cap;
	__u64 dfs_truncated;
	__u64 resets;
};

static void *lockorder_new(struct hb *hb)
{
	struct lockorder *lo = calloc(1, sizeof(*lo));

	if (!lo) {
		errno = ENOMEM;
		return NULL;
	}
	lo->hb = hb;
	rt_map_init(&lo->node_of);
	rt_map_init(&lo->edge_of);
	return lo;
}

static void graph_clear(struct lockorder *lo)
{
	free(lo->nodes);
	free(lo->edges);
	free(lo->stack);
	lo->nodes = NULL;
	lo->edges = NULL;
	lo->stack = NULL;
	lo->nnodes = lo->nodes_cap = lo->nedges = lo->edges_cap = lo->stack_cap = 0;
	rt_map_free(&lo->node_of);
	rt_map_free(&lo->edge_of);
}

static void lockorder_free(void *st)
{
	struct lockorder *lo = st;

	if (!lo)
		return;
	graph_clear(lo);
	free(lo);
}

static void lockorder_stats(const void *st, struct hb_stats *s)
{
	const struct lockorder *lo = st;

	s->locks += lo->node_of.len;
	s->lock_edges += lo->nedges;
}

static const struct hb_det_counter lockorder_counters[] = {
	{ "racetrace_engine_evictions_total", "lock_order_graph", NULL }, /* restarted at its cap */
	{ "racetrace_engine_evictions_total", "lock_order_search", NULL }, /* cycle searches cut at their limit */
	{ NULL, NULL, NULL },
};

static void lockorder_count(const void *st, __u64 *v)
{
	const struct lockorder *lo = st;

	v[0] = lo->resets;
	v[1] = lo->dfs_truncated;
}

static long node_get(struct lockorder *lo, __u64 addr, __u8 kind);

static int lockorder_handoff(void *st, const struct hb_lock *l)
{
	struct lockorder *lo = st;
	long n = node_get(lo, l->addr, l->kind);

	if (n < 0)
		return n;
	lo->nodes[n].handoff = true;
	return 0;
}

static bool is_handoff(const struct lockorder *lo, __u64 addr)
{
	const __u64 *v = rt_map_get(&lo->node_of, addr);

	return v && lo->nodes[*v - 1].handoff;
}

static void lockorder_retire(void *st, __u64 addr)
{
	struct lockorder *lo = st;

	/* the node and its edges stay as history; the address gets a fresh node next time */
	rt_map_del(&lo->node_of, addr);
}

/*
 * Where the Go heap starts on linux/amd64: the runtime's arena hints begin at 0x00c0 << 32
 * (mallocinit). A non-PIE program's globals lie far below it; a PIE's may lie above and are
 * then taken for heap (their inversions must meet in one GC epoch, as heap locks' must).
 */
#define RT_GO_HEAP_MIN 0xc000000000ULL

/* Node index for addr, created if new; -ENOMEM. */
static long node_get(struct lockorder *lo, __u64 addr, __u8 kind)
{
	__u64 *v = rt_map_get(&lo->node_of, addr);
	struct lo_node *n;
	bool handoff = false;

	if (v) {
		n = &lo->nodes[*v - 1];
		if (!rt_lock_kind_go(n->kind) || n->epoch == lo->gc_epoch || addr < RT_GO_HEAP_MIN)
			return *v - 1;
		/* a Go lock last seen before a collection: maybe another object now */
		handoff = n->handoff; /* kept: a handed-off lock makes no order, and may still be */
		rt_map_del(&lo->node_of, addr);
	}
	if (lo->nnodes >= RT_LO_MAX_NODES) {
		/* bounded memory: start a new graph (counted); old edges are forgotten */
		graph_clear(lo);
		lo->resets++;
	}
	if (rt_grow((void **)&lo->nodes, &lo->nodes_cap, lo->nnodes + 1, sizeof(*lo->nodes)))
		return -ENOMEM;
	if (rt_map_put(&lo->node_of, addr, lo->nnodes + 1))
		return -ENOMEM;
	n = &lo->nodes[lo->nnodes];
	memset(n, 0, sizeof(*n));
	n->addr = addr;
	n->kind = kind;
	n->epoch = lo->gc_epoch;
	n->handoff = handoff;
	return lo->nnodes++;
}

/* A step into a lock wanted in mode `arrive` and held, by the next edge, in mode `hold`. */
static bool can_block(__u8 arrive, __u8 hold)
{
	return !(arrive == RT_MODE_SHARED && hold == RT_MODE_SHARED);
}

/*
 * Search from state (from, from_mode) for node `target` reached in a mode that blocks against
 * `target_hold`. On success the path is in the nodes' via[] and the arrival mode is returned
 * (>= 0); -1 when there is none.
 */
static int dfs_find(struct lockorder *lo, __u32 from, __u8 from_mode, __u32 target,
		    __u8 target_hold)
{
	size_t sp = 0, visited = 0;

	if (++lo->gen == 0) {
		size_t i;

		for (i = 0; i < lo->nnodes; i++)
			lo->nodes[i].mark[0] = lo->nodes[i].mark[1] = 0;
		lo->gen = 1;
	}
	if (rt_grow((void **)&lo->stack, &lo->stack_cap, 2 * lo->nnodes + 2, sizeof(*lo->stack)))
		return -1;
	lo->nodes[from].mark[from_mode] = lo->gen;
	lo->nodes[from].via[from_mode] = 0;
	lo->stack[sp++] = (__u64)from << 1 | from_mode;
	while (sp) {
		__u64 st = lo->stack[--sp];
		__u32 n = st >> 1, ei;
		__u8 mode = st & 1;

		if (n == target && can_block(mode, target_hold))
			return mode;
		if (++visited > RT_LO_DFS_MAX) {
			lo->dfs_truncated++;
			return -1;
		}
		for (ei = lo->nodes[n].first_out; ei; ei = lo->edges[ei - 1].next_out) {
			const struct lo_edge *e = &lo->edges[ei - 1];

			if (!can_block(mode, e->hmode) || lo->nodes[e->to].handoff)
				continue;
			if (lo->nodes[e->to].mark[e->amode] == lo->gen)
				continue;
			lo->nodes[e->to].mark[e->amode] = lo->gen;
			lo->nodes[e->to].via[e->amode] = ei;
			lo->nodes[e->to].pmode[e->amode] = mode;
			lo->stack[sp++] = (__u64)e->to << 1 | e->amode;
		}
	}
	return -1;
}

static bool has_gate(const struct lo_edge *e, __u64 g)
{
	__u8 i;

	for (i = 0; i < e->ngates; i++)
		if (e->gates[i] == g)
			return true;
	return false;
}

/*
 * The cycle closed by edge ne (A -> B), whose path B ->...-> A is in via[] ending in mode
 * `amode` at A: report it unless a gate lock guards all of it. 0 or -ENOMEM.
 */
static int report_cycle(struct lockorder *lo, __u32 ne, __u8 amode)
{
	__u32 path[RT_FINDING_MAX], np = 0, i, n = lo->edges[ne].from;
	__u8 mode = amode;
	struct rt_finding f;
	int err;

	/* walk back from A to B along via[]: these edges run B -> ... -> A */
	while (lo->nodes[n].via[mode]) {
		__u32 ei = lo->nodes[n].via[mode] - 1;

		if (np + 1 >= RT_FINDING_MAX)
			return 0; /* longer than we report */
		path[np++] = ei;
		mode = lo->nodes[n].pmode[mode];
		n = lo->edges[ei].from;
	}

	/* a gate lock common to every edge of the cycle makes it safe */
	for (i = 0; i < lo->edges[ne].ngates; i++) {
		__u64 g = lo->edges[ne].gates[i];
		__u32 k;
		bool all = true;

		for (k = 0; k < np && all; k++)
			all = has_gate(&lo->edges[path[k]], g);
		if (all)
			return 0;
	}

	hb__finding(lo->hb, &f, RT_K_LOCK_ORDER_INVERSION, lo->edges[ne].pid);
	f.goroutines = lo->edges[ne].goroutine;
	{
		__u32 order[RT_FINDING_MAX], no = 0;

		order[no++] = ne;
		for (i = np; i-- > 0;)
			order[no++] = path[i];
		for (i = 0; i < no; i++) {
			const struct lo_edge *e = &lo->edges[order[i]];

			f.edges[f.nedges++] = (struct rt_finding_edge){
				.from = lo->nodes[e->from].addr,
				.to = lo->nodes[e->to].addr,
				.tid = e->tid,
				.held_mode = e->hmode,
				.acquire_mode = e->amode,
				.held_site = e->held_site,
				.acquire_site = e->acquire_site,
			};
		}
	}
	for (i = 0; i < f.nedges; i++) {
		const struct rt_finding_edge *e = &f.edges[i];
		const struct lo_edge *le = i == 0 ? &lo->edges[ne] : &lo->edges[path[np - i]];

		f.locks[f.nlocks].addr = e->from;
		snprintf(f.locks[f.nlocks].kind, sizeof(f.locks[0].kind), "%s",
			 rt_lock_kind_name(lo->nodes[le->from].kind));
		f.nlocks++;
		rt_finding_thread(&f, e->tid);
		f.goroutines |= le->goroutine;
		f.sites[f.nsites++] = e->acquire_site;
		f.sites[f.nsites++] = e->held_site;
	}
	snprintf(f.message, sizeof(f.message),
		 "lock-order inversion (potential deadlock): %u locks are taken in a cycle by %u "
		 "%s%s",
		 f.nlocks, f.nthreads, rt_finding_goroutines(&f) ? "goroutine" : "thread",
		 f.nthreads == 1 ? "" : "s");
	/* the id is the set of (held, acquire) site pairs: where the cycle starts does not count */
	err = hb__report(lo->hb, &f, 0);
	if (err < 0)
		return err;
	lo->edges[ne].finding = f.id;
	for (i = 0; i < np; i++)
		lo->edges[path[i]].finding = f.id;
	return 0;
}

/* the gates of an observation: held locks other than the edge's two, outermost first */
static __u8 gates_of(const struct rt_held *held, size_t nheld, __u64 a, __u64 b, __u64 *out)
{
	__u8 n = 0;
	size_t i;

	for (i = 0; i < nheld && n < RT_LO_GATES; i++)
		if (held[i].lock != a && held[i].lock != b)
			out[n++] = held[i].lock;
	return n;
}

/* e->gates &= the gates of this observation; true when the set shrank */
static bool gates_intersect(struct lo_edge *e, const __u64 *g, __u8 ng)
{
	__u8 i, j, n = 0;

	for (i = 0; i < e->ngates; i++) {
		bool keep = false;

		for (j = 0; j < ng && !keep; j++)
			keep = e->gates[i] == g[j];
		if (keep)
			e->gates[n++] = e->gates[i];
	}
	if (n == e->ngates)
		return false;
	e->ngates = n;
	return true;
}

static __u64 edge_key(__u32 an, __u32 bn, __u8 hmode, __u8 amode)
{
	return ((__u64)an << 34 | (__u64)bn << 2 | hmode << 1 | amode) + 1;
}

static int lockorder_wait(void *st, const struct hb_actor *t, const struct rt_acq *a,
			  const struct rt_held *held, size_t nheld)
{
	struct lockorder *lo = st;
	long bn, an;
	size_t i;
	int err;

	if (!nheld || is_handoff(lo, a->lock))
		return 0;
	bn = node_get(lo, a->lock, a->kind);
	if (bn < 0)
		return bn;
	for (i = 0; i < nheld; i++) {
		const struct rt_held *h = &held[i];
		__u64 key, gates[RT_LO_GATES], *v;
		struct lo_edge *e;
		__u32 ne;
		__u8 ng;
		bool check;
		int mode;

		if (h->lock == a->lock || is_handoff(lo, h->lock))
			continue; /* recursion, or a lock handed between goroutines: no ordering */
		an = node_get(lo, h->lock, h->kind);
		if (an < 0)
			return an;
		if (lo->nnodes <= (size_t)bn || lo->nodes[bn].addr != a->lock) {
			/* the graph was restarted under us */
			bn = node_get(lo, a->lock, a->kind);
			if (bn < 0)
				return bn;
		}
		ng = gates_of(held, nheld, h->lock, a->lock, gates);
		key = edge_key(an, bn, h->mode, a->mode);
		v = rt_map_get(&lo->edge_of, key);
		if (v) {
			e = &lo->edges[*v - 1];
			ne = *v - 1;
			if (e->finding)
				hb__report_again(lo->hb, e->finding);
			check = gates_intersect(e, gates, ng);
		} else {
			if (rt_grow((void **)&lo->edges, &lo->edges_cap, lo->nedges + 1,
				    sizeof(*lo->edges)))
				return -ENOMEM;
			if (rt_map_put(&lo->edge_of, key, lo->nedges + 1))
				return -ENOMEM;
			ne = lo->nedges++;
			e = &lo->edges[ne];
			memset(e, 0, sizeof(*e));
			e->from = an;
			e->to = bn;
			e->tid = a->tid;
			e->goroutine = (a->key & RT_GO_KEY) != 0;
			e->pid = a->pid;
			e->hmode = h->mode;
			e->amode = a->mode;
			e->held_site = h->site;
			e->acquire_site = a->site;
			e->ngates = ng;
			memcpy(e->gates, gates, ng * sizeof(gates[0]));
			e->next_out = lo->nodes[an].first_out;
			lo->nodes[an].first_out = ne + 1;
			check = true;
		}
		if (!check || e->finding)
			continue;
		/* a cycle through A -> B exists iff B (wanted in amode) reaches A blocking on A */
		mode = dfs_find(lo, bn, e->amode, an, e->hmode);
		if (mode >= 0) {
			err = report_cycle(lo, ne, mode);
			if (err)
				return err;
		}
	}
	return 0;
}

/* A Go collection finished marking: every Go lock seen so far gets a new node when next seen. */
static int lockorder_go(void *st, const struct hb_actor *t, const struct hb_go_op *op)
{
	struct lockorder *lo = st;

	(void)t;
	if (op->kind == HB_GO_GC)
		lo->gc_epoch++;
	return 0;
}

/*
 * Findings made since the last tick were dropped (events were lost): their edges may report
 * the same cycle again when it is seen again.
 */
static void lockorder_gap(void *st)
{
	struct lockorder *lo = st;
	size_t i;

	for (i = 0; i < lo->nedges; i++)
		if (lo->edges[i].finding && !hb__reported(lo->hb, lo->edges[i].finding))
			lo->edges[i].finding = 0;
}

const struct hb_detector rt_det_lockorder = {
	.name = "lock-order",
	.new = lockorder_new,
	.free = lockorder_free,
	.lock_wait = lockorder_wait,
	.lock_handoff = lockorder_handoff,
	.lock_retire = lockorder_retire,
	.go = lockorder_go,
	.gap = lockorder_gap,
	.stats = lockorder_stats,
	.counters = lockorder_counters,
	.count = lockorder_count,
};
