// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The finding sink: de-duplicates findings by id, keeps their counts, and hands printing to
 * text.c or json.c. Decides text vs JSON in one place.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "report/report.h"
#include "report/frames.h"
#include "sym/symbolize.h"
#include "sym/unwind.h"
#include "lib/supp.h"
#include "lib/util.h"

struct rt_report {
	struct rt_report_opts opts;
	struct rt_finding *fs; /* in order of first sight */
	__u64 *counts;
	size_t n, cap, ccap;
	struct rt_map by_id;  /* stable id -> index + 1 */
	struct rt_map by_raw; /* the detector's id -> index + 1, for rt_report__bump */
	struct rt_map supp_raw; /* the detector's ids of suppressed findings -> 1 */
	__u64 suppressed;	/* sightings of suppressed findings */
};


int rt_report__stack(const struct rt_report_opts *o, __u32 pid, __u64 site, __u64 *pcs, int max)
{
	int n = 0;

	if (o->unwind)
		n = rt_unwind__frames(o->unwind, pid, site, pcs, max);
	if (n <= 0) {
		pcs[0] = site;
		n = 1;
	}
	return n;
}

int rt_report__frames(const struct rt_report_opts *o, __u32 pid, __u64 site,
		      struct rt_report_frame *out, int max)
{
	__u64 pcs[RT_MAX_FRAMES];
	int npc = rt_report__stack(o, pid, site, pcs, RT_MAX_FRAMES), i, n = 0;

	for (i = 0; i < npc && n < max; i++) {
		struct rt_frame chain[RT_SYM_MAX_INLINE];
		int k, got = o->sym ? rt_sym__frames(o->sym, pid, pcs[i], chain, RT_SYM_MAX_INLINE) :
				      -ENOENT;

		if (got < 1) {
			memset(&out[n].f, 0, sizeof(out[n].f));
			out[n].f.addr = pcs[i];
			out[n++].known = false;
			continue;
		}
		for (k = 0; k < got && n < max; k++) {
			out[n].f = chain[k];
			out[n++].known = true;
		}
	}
	return n;
}

/* Go's runtime and the packages between a program and the lock it takes, and glibc. */
static bool frame_is_own(const struct rt_report_frame *fr)
{
	static const char *const go_pkgs[] = { "runtime.", "sync.", "sync/atomic.", "internal/" };
	size_t i;

	if (!fr->known || !fr->f.module[0] || rt_report__glibc(fr->f.module))
		return false;
	for (i = 0; i < RT_ARRAY_SIZE(go_pkgs); i++)
		if (!strncmp(fr->f.function, go_pkgs[i], strlen(go_pkgs[i])))
			return false;
	return true;
}

int rt_report__own_frame(const struct rt_report_frame *fr, int n)
{
	int i;

	for (i = 0; i < n && !frame_is_own(&fr[i]); i++)
		;
	if (i == n)
		return 0;
	/* out through the functions it was inlined into, while they are the program's */
	while (fr[i].f.inlined && i + 1 < n && fr[i + 1].f.addr == fr[i].f.addr &&
	       frame_is_own(&fr[i + 1]))
		i++;
	return i;
}

__u64 rt_report__site(const struct rt_report_opts *o, __u32 pid, __u64 site)
{
	struct rt_report_frame fr[RT_REPORT_MAX_FRAMES];
	int n;

	if (!o->sym || !site)
		return site;
	n = rt_report__frames(o, pid, site, fr, RT_REPORT_MAX_FRAMES);
	return fr[rt_report__own_frame(fr, n)].f.addr;
}

bool rt_report__glibc(const char *module)
{
	static const char *const glibc[] = { "libc.so.", "ld-linux", "libpthread.so.", "libm.so.",
					     "libdl.so.", "librt.so." };
	size_t i;

	for (i = 0; i < RT_ARRAY_SIZE(glibc); i++)
		if (!strncmp(module, glibc[i], strlen(glibc[i])))
			return true;
	return false;
}

const char *rt_report__sym(const struct rt_report_opts *o, __u32 pid, __u64 addr, char *buf,
			   size_t len)
{
	if (!o->sym || !addr)
		return NULL;
	return rt_sym__format(o->sym, pid, addr, buf, len);
}

const char *rt_report__lock_name(const struct rt_report_opts *o, __u32 pid,
				 const struct rt_finding_lock *lk, bool go, char *buf, size_t len)
{
	const struct rt_finding_block *bi = &lk->block;
	const char *kind = lk->kind;
	__u64 addr = lk->addr;
	char where[512];

	if (o->sym && rt_sym__data(o->sym, pid, addr, buf, len))
		return buf;
	if (!strcmp(kind, "chan") && lk->chan_site) {
		const char *site = rt_report__sym(o, pid, lk->chan_site, where, sizeof(where));

		snprintf(buf, len, "chan made at %s", site ? site : "an unknown site");
		return buf;
	}
	if (lk->in_block) {
		const char *site = rt_report__sym(o, pid, bi->alloc_site, where, sizeof(where));

		snprintf(buf, len, "%s at +%llu in %llu-byte heap block%s%s%s by thread %u%s", kind,
			 (unsigned long long)(addr - bi->addr), (unsigned long long)bi->size,
			 bi->alloc_site ? " allocated at " : "", site ? site : "",
			 !site && bi->alloc_site ? "an unknown site" : "", bi->alloc_tid,
			 bi->freed ? " (since freed)" : "");
		return buf;
	}
	/*
	 * Go's heap is not a thread's stack (and goroutine stacks, which move, live in it: a
	 * heap map sat "above the stack pointer" of a thread): no guess for a Go finding or lock
	 */
	if (o->unwind && !go && strncmp(kind, "sync.", 5) && strcmp(kind, "chan")) {
		__u64 above, site;
		__u32 tid;

		if (!rt_unwind__stack_owner(o->unwind, pid, addr, &tid, &above, &site)) {
			const char *at = rt_report__sym(o, pid, site, where, sizeof(where));

			snprintf(buf, len,
				 "%s on the stack of thread %u (%llu bytes above its stack pointer at "
				 "the call at %s)",
				 kind, tid, (unsigned long long)above, at ? at : "an unknown site");
			return buf;
		}
	}
	return NULL;
}


struct rt_report *rt_report__new(const struct rt_report_opts *opts)
{
	struct rt_report *r = calloc(1, sizeof(*r));

	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	r->opts = *opts;
	if (!r->opts.out)
		r->opts.out = stdout;
	rt_map_init(&r->by_id);
	rt_map_init(&r->by_raw);
	rt_map_init(&r->supp_raw);
	return r;
}

/* A code site as the symbolizer names it (module, function, offset): the same in every run. */
static __u64 site_hash(const struct rt_report_opts *o, __u32 pid, __u64 site)
{
	struct rt_frame fr;
	__u64 h = RT_FNV_INIT;

	if (!o->sym || !site || rt_sym__frame(o->sym, pid, site, &fr) || !fr.module[0])
		return rt_fnv1a(h, &site, sizeof(site));
	h = rt_fnv1a(h, fr.module, strlen(fr.module));
	h = rt_fnv1a(h, fr.function, strlen(fr.function));
	return rt_fnv1a(h, &fr.offset, sizeof(fr.offset));
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The id users see: the kind and the code sites symbolized, so the same bug has the same id
 * after a restart of the target (ASLR moves the addresses). Findings made of edges hash their
 * (held, acquire) pairs as a set, wherever the cycle was entered.
 */
static __u64 stable_id(const struct rt_report_opts *o, const struct rt_finding *f)
{
	__u64 parts[2 * RT_FINDING_MAX], h;
	__u32 i, n = 0;

	if (f->nedges) {
		for (i = 0; i < f->nedges && n < RT_ARRAY_SIZE(parts); i++) {
			/* ordered within the pair: held site, then acquire site */
			parts[n++] = site_hash(o, f->pid, f->edges[i].held_site) ^
				     rt_hash64(site_hash(o, f->pid, f->edges[i].acquire_site));
		}
		qsort(parts, n, sizeof(parts[0]), cmp_u64);
	} else {
		for (i = 0; i < f->nsites && n < RT_ARRAY_SIZE(parts); i++)
			parts[n++] = site_hash(o, f->pid, f->sites[i]);
	}
	for (i = 0; i < f->nsites && !f->sites[i]; i++)
		;
	if (i == f->nsites) {
		/* no site is known (waits learned at attach): the locks tell the findings apart */
		for (i = 0; i < f->nlocks && n < RT_ARRAY_SIZE(parts); i++)
			parts[n++] = rt_hash64(f->locks[i].addr);
	}
	h = rt_fnv1a(RT_FNV_INIT, &f->kind, sizeof(f->kind));
	h = rt_fnv1a(h, parts, n * sizeof(parts[0]));
	return h ? h : 1;
}

/* Does a frame of either stack of data race f match a `race:` suppression? */
static bool suppressed(const struct rt_report *r, const struct rt_finding *f)
{
	__u64 pcs[RT_MAX_FRAMES];
	__u32 i;
	int n, k;

	if (f->kind != RT_K_DATA_RACE || !rt_supp__nrace(r->opts.supp) || !r->opts.sym)
		return false;
	for (i = 0; i < f->nsites; i++) {
		n = rt_report__stack(&r->opts, f->pid, f->sites[i], pcs, RT_MAX_FRAMES);
		for (k = 0; k < n; k++) {
			struct rt_frame fr;

			if (rt_sym__frame(r->opts.sym, f->pid, pcs[k], &fr))
				continue;
			if (rt_supp__race(r->opts.supp, fr.function) ||
			    rt_supp__race(r->opts.supp, fr.file) ||
			    rt_supp__race(r->opts.supp, fr.module))
				return true;
		}
	}
	return false;
}

__u64 rt_report__suppressed(const struct rt_report *r)
{
	return r->suppressed;
}

int rt_report__add(struct rt_report *r, const struct rt_finding *f)
{
	__u64 raw = f->id ? f->id : 1, id, *idx = rt_map_get(&r->by_raw, raw);
	struct rt_finding *nf;

	if (idx) {
		r->counts[*idx - 1]++;
		return 0;
	}
	if (rt_map_get(&r->supp_raw, raw) || suppressed(r, f)) {
		r->suppressed++;
		return rt_map_put(&r->supp_raw, raw, 1) ? -ENOMEM : 0;
	}
	id = stable_id(&r->opts, f);
	idx = rt_map_get(&r->by_id, id);
	if (idx) {
		/* the same code sites over other objects, or in a restarted process */
		struct rt_finding *of = &r->fs[*idx - 1];
		__u64 i = *idx - 1;

		r->counts[i]++;
		if (rt_map_put(&r->by_raw, raw, *idx))
			return -ENOMEM;
		if (r->opts.reprint_new_pid && of->pid != f->pid) {
			/* seen again in another (restarted) process: say so, with the count */
			*of = *f;
			of->id = id;
			if (r->opts.json)
				rt_report__json_finding(&r->opts, of, r->counts[i]);
			else
				rt_report__text_finding(&r->opts, of, i + 1);
			fflush(r->opts.out);
		}
		return 0;
	}
	if (rt_grow((void **)&r->fs, &r->cap, r->n + 1, sizeof(*r->fs)) ||
	    rt_grow((void **)&r->counts, &r->ccap, r->n + 1, sizeof(*r->counts)))
		return -ENOMEM;
	if (rt_map_put(&r->by_id, id, r->n + 1) || rt_map_put(&r->by_raw, raw, r->n + 1))
		return -ENOMEM;
	nf = &r->fs[r->n];
	*nf = *f;
	nf->id = id;
	r->counts[r->n] = 1;
	r->n++;
	if (r->opts.json)
		rt_report__json_finding(&r->opts, nf, 1);
	else
		rt_report__text_finding(&r->opts, nf, r->n);
	fflush(r->opts.out);
	if (r->opts.text_out) {
		struct rt_report_opts to = r->opts;

		to.out = r->opts.text_out;
		rt_report__text_finding(&to, nf, r->n);
		fflush(to.out);
	}
	return 1;
}

bool rt_report__has(const struct rt_report *r, __u64 id)
{
	/* a suppressed finding was handled too: it is not described again */
	return rt_map_get(&r->by_raw, id ? id : 1) || rt_map_get(&r->supp_raw, id ? id : 1);
}

void rt_report__bump(struct rt_report *r, __u64 id)
{
	__u64 *idx = rt_map_get(&r->by_raw, id ? id : 1);

	if (idx)
		r->counts[*idx - 1]++;
	else if (rt_map_get(&r->supp_raw, id ? id : 1))
		r->suppressed++;
}

void rt_report__kind_counts(const struct rt_report *r, __u64 *counts)
{
	size_t i;

	for (i = 0; i < RT_K_MAX; i++)
		counts[i] = 0;
	for (i = 0; i < r->n; i++)
		if ((unsigned int)r->fs[i].kind < RT_K_MAX)
			counts[r->fs[i].kind]++;
}

void rt_report__set_out(struct rt_report *r, FILE *out)
{
	r->opts.out = out;
}

__u32 rt_report__count(const struct rt_report *r)
{
	return r->n;
}

void rt_report__summary(struct rt_report *r, const struct rt_summary *s)
{
	if (r->opts.json)
		rt_report__json_summary(&r->opts, s, r->fs, r->counts, r->n);
	else
		rt_report__text_summary(&r->opts, s, r->fs, r->counts, r->n);
	fflush(r->opts.out);
}

void rt_report__free(struct rt_report *r)
{
	if (!r)
		return;
	free(r->fs);
	free(r->counts);
	rt_map_free(&r->by_id);
	rt_map_free(&r->by_raw);
	rt_map_free(&r->supp_raw);
	free(r);
}
