// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Live deadlocks and hangs, from the threads' futex waits on lock words (hb_actor.wait: the
 * engine's pthread lowering found the lock and its owner). deadlock: the waits form a cycle of
 * threads ("waits for the owner of") that lasts RT_DEADLOCK_CONFIRM_NS, reported with every
 * thread, the lock it holds and the lock it waits for. hang: one thread has waited for a lock
 * longer than the hang threshold; reported with the holder.
 * Not reported: waits on condition variables, semaphores and other futexes (they have no
 * owner), spinlocks (they spin, nothing blocks), a guessed mutex whose owner is no thread we
 * know, and a cycle or wait that ends before the next check. Each wait is reported at most
 * once, as part of a deadlock or as a hang. Time comes from tick records, so a replay decides
 * exactly as the live run did.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "detect/registry.h"
#include "engine/hb.h"
#include "lib/util.h"

#define FLAG_DEADLOCKED 0x1
#define FLAG_HANG 0x2

struct deadlock {
	struct hb *hb;
	/* actor uid -> its wait's seq << 2 | FLAG_*: what was reported about that wait */
	struct rt_map reported;
};

static void *deadlock_new(struct hb *hb)
{
	struct deadlock *d = calloc(1, sizeof(*d));

	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->hb = hb;
	rt_map_init(&d->reported);
	return d;
}

static void deadlock_free(void *st)
{
	struct deadlock *d = st;

	rt_map_free(&d->reported);
	free(d);
}

static void deadlock_actor_end(void *st, const struct hb_actor *t)
{
	struct deadlock *d = st;

	rt_map_del(&d->reported, t->uid);
}

/* What was reported about t's current wait (FLAG_*). */
static unsigned int flags_of(const struct deadlock *d, const struct hb_actor *t)
{
	const __u64 *v = rt_map_get(&d->reported, t->uid);

	return v && *v >> 2 == t->wait.seq ? *v & 3 : 0;
}

/* A failed put only forgets a flag: the wait may then be reported once more. */
static void flag(struct deadlock *d, const struct hb_actor *t, unsigned int f)
{
	rt_map_put(&d->reported, t->uid, t->wait.seq << 2 | flags_of(d, t) | f);
}

static const struct hb_actor *alive_thread(const struct hb *hb, __u32 tid, __u32 self)
{
	const struct hb_actor *o;

	if (!tid || tid == self)
		return NULL;
	o = hb__actor(hb, tid);
	return o && o->alive ? o : NULL;
}

/* The site where `holder` took `lock`, 0 when unknown. */
static __u64 held_site(const struct hb_actor *holder, __u64 lock)
{
	const struct rt_held *h = holder ? hb__held(holder, lock) : NULL;

	return h ? h->site : 0;
}

/* The site of t's blocked acquisition of the lock it waits for. */
static __u64 wait_site(const struct hb_actor *t)
{
	return t->has_pending ? t->pending.site : 0;
}

static bool waiting_long(const struct hb *hb, const struct hb_actor *t, __u64 ns)
{
	if (!t->alive || !t->wait.lock || hb__now(hb) - t->wait.since < ns)
		return false;
	/* a guessed mutex counts only when its owner is a thread we know */
	return !t->wait.guess || alive_thread(hb, t->wait.owner, t->tid);
}

static int report_cycle(struct deadlock *d, const struct hb_actor **cyc, __u32 n)
{
	struct rt_finding f;
	__u64 tmp[2 * RT_FINDING_MAX];
	__u32 i, k, best = 0;
	size_t len, left;

	hb__finding(d->hb, &f, RT_K_DEADLOCK, cyc[0]->pid);
	for (i = 0; i < n; i++) {
		const struct hb_actor *t = cyc[i];
		const struct hb_lock *want = hb__lock(d->hb, t->wait.lock);
		/* what t holds that the previous thread waits for */
		const struct hb_actor *prev = cyc[(i + n - 1) % n];

		flag(d, t, FLAG_DEADLOCKED);
		rt_finding_thread(&f, t->tid);
		hb__finding_lock(&f, want, t->wait.lock);
		if (!want && f.nlocks && f.locks[f.nlocks - 1].addr == t->wait.lock)
			snprintf(f.locks[f.nlocks - 1].kind, sizeof(f.locks[0].kind), "mutex");
		if (f.nedges < RT_FINDING_MAX) {
			f.edges[f.nedges++] = (struct rt_finding_edge){
				.from = prev->wait.lock,
				.to = t->wait.lock,
				.tid = t->tid,
				.held_site = held_site(t, prev->wait.lock),
				.acquire_site = wait_site(t),
			};
		}
	}
	for (i = 0; i < f.nedges; i++) {
		rt_finding_site(&f, f.edges[i].acquire_site);
		rt_finding_site(&f, f.edges[i].held_site);
	}
	/* the sites start at the smallest acquire site: the same whichever thread closed it */
	for (i = 1; i < f.nedges; i++)
		if (f.sites[2 * i] < f.sites[2 * best])
			best = i;
	for (k = 0; k < f.nsites; k++)
		tmp[k] = f.sites[(k + 2 * best) % f.nsites];
	for (k = 0; k < f.nsites; k++)
		f.sites[k] = tmp[k];
	left = sizeof(f.message);
	len = snprintf(f.message, left, "%u threads are blocked forever:", n);
	for (k = 0; k < n && len < left; k++)
		len += snprintf(f.message + len, left - len,
				"%s thread %u waits for 0x%llx held by thread %u", k ? "," : "",
				cyc[k]->tid, (unsigned long long)cyc[k]->wait.lock,
				cyc[(k + 1) % n]->tid);
	return hb__report(d->hb, &f, 0);
}

static int report_hang(struct deadlock *d, const struct hb_actor *t)
{
	const struct hb_actor *holder = t->wait.owner ? hb__actor(d->hb, t->wait.owner) : NULL;
	const struct hb_lock *l = hb__lock(d->hb, t->wait.lock);
	__u64 hs = held_site(holder, t->wait.lock);
	double waited = (hb__now(d->hb) - t->wait.since) / 1e9;
	struct rt_finding f;

	flag(d, t, FLAG_HANG);
	hb__finding(d->hb, &f, RT_K_HANG, t->pid);
	rt_finding_thread(&f, t->tid);
	if (t->wait.owner)
		rt_finding_thread(&f, t->wait.owner);
	hb__finding_lock(&f, l, t->wait.lock);
	rt_finding_site(&f, wait_site(t));
	rt_finding_site(&f, hs ? hs : (l ? l->owner_site : 0));
	if (t->wait.owner)
		snprintf(f.message, sizeof(f.message),
			 "thread %u has waited %.1f s for %s 0x%llx, held by thread %u%s", t->tid,
			 waited, f.locks[0].kind, (unsigned long long)t->wait.lock, t->wait.owner,
			 holder && !holder->alive ? ", which has exited" : "");
	else
		snprintf(f.message, sizeof(f.message),
			 "thread %u has waited %.1f s for %s 0x%llx (holder unknown)", t->tid,
			 waited, f.locks[0].kind, (unsigned long long)t->wait.lock);
	return hb__report(d->hb, &f, 0);
}

static int deadlock_tick(void *st)
{
	struct deadlock *d = st;
	const struct hb_actor *actors;
	size_t i, n;
	int err;

	actors = hb__actors(d->hb, &n);
	for (i = 0; i < n; i++) {
		const struct hb_actor *t = &actors[i], *cyc[RT_FINDING_MAX], *cur = t;
		__u32 len = 0;

		if (!waiting_long(d->hb, t, RT_DEADLOCK_CONFIRM_NS))
			continue;
		if (!(flags_of(d, t) & FLAG_DEADLOCKED)) {
			/* follow "waits for the owner of" from t; a cycle back to t is a deadlock */
			while (len < RT_FINDING_MAX) {
				cyc[len++] = cur;
				cur = cur->wait.owner ? hb__actor(d->hb, cur->wait.owner) : NULL;
				if (!cur || !waiting_long(d->hb, cur, RT_DEADLOCK_CONFIRM_NS) ||
				    (flags_of(d, cur) & FLAG_DEADLOCKED))
					break;
				if (cur == t) {
					/* waiting for itself is a double lock: reported there */
					if (len > 1) {
						err = report_cycle(d, cyc, len);
						if (err)
							return err;
					}
					break;
				}
			}
		}
		if (!flags_of(d, t) && t->wait.owner != t->tid &&
		    hb__now(d->hb) - t->wait.since >= hb__hang_threshold(d->hb)) {
			err = report_hang(d, t);
			if (err)
				return err;
		}
	}
	return 0;
}

const struct hb_detector rt_det_deadlock = {
	.name = "deadlock",
	.new = deadlock_new,
	.free = deadlock_free,
	.actor_end = deadlock_actor_end,
	.tick = deadlock_tick,
};
