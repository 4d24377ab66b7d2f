// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Live deadlocks and hangs, from futex waits on lock words. A thread in FUTEX_WAIT on a mutex
 * (or a glibc rwlock's futex words) waits for the lock's owner: the owner's tid is read from the
 * lock at the wait (glibc keeps it at +8, a write-locked rwlock's writer at +24), or taken from
 * our own state. deadlock: the waits form a cycle of threads that lasts RT_DEADLOCK_CONFIRM_NS,
 * reported with every thread, the lock it holds and the lock it waits for. hang: one thread has
 * waited for a lock longer than the hang threshold; reported with the holder.
 * Not reported: waits on condition variables, semaphores and other futexes (they have no
 * owner), spinlocks (they spin, nothing blocks), and a cycle or wait that ends before the next
 * check. Time comes from tick records, so a replay decides exactly as the live run did.
 */
#include <stdio.h>
#include "engine/hb_int.h"

#define RT_FUTEX_WAIT_VAL_LOCKED 2 /* glibc's lll_lock_wait sleeps while the word is 2 */

static bool alive_tid(struct hb *hb, __u32 tid, __u32 self)
{
	struct hb_thread *o;

	if (!tid || tid == self)
		return false;
	o = hb_thread_find(hb, tid);
	return o && o->alive;
}

void deadlock__wait(struct hb *hb, struct hb_thread *t, const struct rt_event *e)
{
	__u32 word8 = (__u32)e->ret, w16 = (__u32)e->obj2, w12 = (__u32)(e->obj2 >> 32);
	__u32 val = (__u32)(e->arg >> 32), owner = 0;
	struct hb_lock *l;

	t->wait_uaddr = e->obj;
	t->wait_since = e->h.ktime;
	t->wait_lock = 0;
	t->wait_owner = 0;
	t->wait_guess = false;
	t->hang_reported = false;

	if ((l = hb_lock_find(hb, e->obj)) && l->kind == RT_LOCK_MUTEX) {
		owner = alive_tid(hb, word8, t->tid) ? word8 : l->owner;
	} else if ((l = hb_lock_find(hb, e->obj - 8)) && l->kind == RT_LOCK_RWLOCK) {
		owner = alive_tid(hb, w16, t->tid) ? w16 : l->owner;
	} else if ((l = hb_lock_find(hb, e->obj - 12)) && l->kind == RT_LOCK_RWLOCK) {
		owner = alive_tid(hb, w12, t->tid) ? w12 : l->owner;
	} else if (val == RT_FUTEX_WAIT_VAL_LOCKED && word8 && word8 != t->tid) {
		/*
		 * Looks like a mutex we never saw locked (the process was stuck before we
		 * attached). Only trusted if the owner turns out to be a thread of ours.
		 */
		l = NULL;
		owner = word8;
		t->wait_guess = true;
	} else {
		return; /* a condition variable, a semaphore, ...: no owner */
	}
	t->wait_lock = l ? l->addr : e->obj;
	t->wait_owner = owner;
}

/* The site where `holder` took `lock`, 0 when unknown. */
static __u64 held_site(struct hb_thread *holder, __u64 lock)
{
	struct rt_held *h = holder ? hb_held_find(holder, lock) : NULL;

	return h ? h->site : 0;
}

/* The site of t's blocked acquisition of the lock it waits for. */
static __u64 wait_site(struct hb_thread *t)
{
	return t->has_pending ? t->pending.site : 0;
}

static bool waiting_long(struct hb *hb, struct hb_thread *t, __u64 ns)
{
	if (!t->alive || !t->wait_lock || hb->now - t->wait_since < ns)
		return false;
	/* a guessed mutex counts only when its owner is a thread we know */
	return !t->wait_guess || alive_tid(hb, t->wait_owner, t->tid);
}

static int report_cycle(struct hb *hb, struct hb_thread **cyc, __u32 n)
{
	struct rt_finding f;
	char *m = NULL;
	size_t left;
	__u32 i;

	hb_finding_init(hb, &f, RT_K_DEADLOCK, cyc[0]->pid);
	for (i = 0; i < n; i++) {
		struct hb_thread *t = cyc[i], *next = cyc[(i + 1) % n];
		struct hb_lock *want = hb_lock_find(hb, t->wait_lock);
		/* what t holds that the previous thread waits for */
		struct hb_thread *prev = cyc[(i + n - 1) % n];

		t->deadlocked = true;
		hb_finding_thread(&f, t->tid);
		hb_finding_lock(&f, want, t->wait_lock);
		if (!want && f.nlocks && f.locks[f.nlocks - 1].addr == t->wait_lock)
			snprintf(f.locks[f.nlocks - 1].kind, sizeof(f.locks[0].kind), "mutex");
		if (f.nedges < RT_FINDING_MAX) {
			f.edges[f.nedges++] = (struct rt_finding_edge){
				.from = prev->wait_lock,
				.to = t->wait_lock,
				.tid = t->tid,
				.held_site = held_site(t, prev->wait_lock),
				.acquire_site = wait_site(t),
			};
		}
		(void)next;
	}
	for (i = 0; i < f.nedges; i++) {
		f.sites[f.nsites++] = f.edges[i].acquire_site;
		f.sites[f.nsites++] = f.edges[i].held_site;
	}
	/* the id must not depend on which thread closed the cycle: rotate to the smallest site */
	{
		__u32 best = 0, k;
		__u64 tmp[2 * RT_FINDING_MAX];

		for (i = 1; i < f.nedges; i++)
			if (f.sites[2 * i] < f.sites[2 * best])
				best = i;
		for (k = 0; k < f.nsites; k++)
			tmp[k] = f.sites[(k + 2 * best) % f.nsites];
		for (k = 0; k < f.nsites; k++)
			f.sites[k] = tmp[k];
	}
	hb_finding_id(&f);
	m = f.message;
	left = sizeof(f.message);
	i = snprintf(m, left, "%u threads are blocked forever:", n);
	for (__u32 k = 0; k < n && i < left; k++)
		i += snprintf(m + i, left - i, "%s thread %u waits for 0x%llx held by thread %u",
			      k ? "," : "", cyc[k]->tid, (unsigned long long)cyc[k]->wait_lock,
			      cyc[(k + 1) % n]->tid);
	return hb_report(hb, &f);
}

static int report_hang(struct hb *hb, struct hb_thread *t)
{
	struct hb_thread *holder = t->wait_owner ? hb_thread_find(hb, t->wait_owner) : NULL;
	struct hb_lock *l = hb_lock_find(hb, t->wait_lock);
	struct rt_finding f;
	__u64 hs = held_site(holder, t->wait_lock);

	t->hang_reported = true;
	hb_finding_init(hb, &f, RT_K_HANG, t->pid);
	hb_finding_thread(&f, t->tid);
	if (t->wait_owner)
		hb_finding_thread(&f, t->wait_owner);
	hb_finding_lock(&f, l, t->wait_lock);
	f.sites[f.nsites++] = wait_site(t);
	f.sites[f.nsites++] = hs ? hs : (l ? l->owner_site : 0);
	hb_finding_id(&f);
	if (t->wait_owner)
		snprintf(f.message, sizeof(f.message),
			 "thread %u has waited %.1f s for %s 0x%llx, held by thread %u%s", t->tid,
			 (hb->now - t->wait_since) / 1e9, f.locks[0].kind,
			 (unsigned long long)t->wait_lock, t->wait_owner,
			 holder && !holder->alive ? ", which has exited" : "");
	else
		snprintf(f.message, sizeof(f.message),
			 "thread %u has waited %.1f s for %s 0x%llx (holder unknown)", t->tid,
			 (hb->now - t->wait_since) / 1e9, f.locks[0].kind,
			 (unsigned long long)t->wait_lock);
	return hb_report(hb, &f);
}

int deadlock__tick(struct hb *hb)
{
	size_t i;
	int err;

	for (i = 0; i < hb->nthreads; i++) {
		struct hb_thread *t = &hb->threads[i], *cyc[RT_FINDING_MAX], *cur = t;
		__u32 n = 0;

		if (!waiting_long(hb, t, RT_DEADLOCK_CONFIRM_NS))
			continue;
		if (!t->deadlocked) {
			/* follow "waits for the owner of" from t; a cycle back to t is a deadlock */
			while (n < RT_FINDING_MAX) {
				cyc[n++] = cur;
				cur = cur->wait_owner ? hb_thread_find(hb, cur->wait_owner) : NULL;
				if (!cur || !waiting_long(hb, cur, RT_DEADLOCK_CONFIRM_NS) ||
				    cur->deadlocked)
					break;
				if (cur == t) {
					/* waiting for itself is a double lock: reported there */
					if (n > 1) {
						err = report_cycle(hb, cyc, n);
						if (err)
							return err;
					}
					break;
				}
			}
		}
		if (!t->deadlocked && !t->hang_reported && t->wait_owner != t->tid &&
		    hb->now - t->wait_since >= hb->opts.hang_threshold_ns) {
			err = report_hang(hb, t);
			if (err)
				return err;
		}
	}
	return 0;
}
