// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pthread lock misuse. double-lock: a thread locks a non-recursive lock it holds (it
 * self-deadlocks, or gets EDEADLK from an error-checking mutex: reported either way, before the
 * hang). unlock-unheld / unlock-non-owner: an unlock of a lock the thread does not hold, when
 * nobody or another thread holds it. cond-wait-unheld: pthread_cond_wait with a mutex the caller
 * does not hold. destroy-locked: destroy of a held lock. exit-holding-lock: a thread ends (alone,
 * not with its process) holding locks.
 * Not reported: anything about a lock whose state we do not know (taken before we attached),
 * recursive mutexes unlocked more often than we saw them locked, spinlock unlocks (glibc's
 * pthread_spin_unlock is also pthread_spin_init), and nothing between a loss of events and the
 * next tick (the engine forgets who holds what and relearns; counted in suppressed_lossy). A
 * lock is reported once, then "broken".
 */
#include <stdio.h>
#include "engine/hb_int.h"

static bool lossy(struct hb *hb)
{
	if (!hb->suppress)
		return false;
	hb->cnt.suppressed_lossy++;
	return true;
}

static const char *mtype_name(const struct hb_lock *l)
{
	if (l->kind != RT_LOCK_MUTEX)
		return rt_lock_kind_name(l->kind);
	switch (l->mtype) {
	case RT_MTYPE_ERRORCHECK:
		return "error-checking mutex";
	case RT_MTYPE_ADAPTIVE:
		return "adaptive mutex";
	case RT_MTYPE_RECURSIVE:
		return "recursive mutex";
	}
	return "mutex";
}

int misuse__double_lock(struct hb *hb, struct hb_thread *t, struct hb_lock *l,
			const struct rt_held *prev, __u64 site)
{
	struct rt_finding f;

	if (l->broken || lossy(hb))
		return 0;
	l->broken = true;
	hb_finding_init(hb, &f, RT_K_DOUBLE_LOCK, t->pid);
	hb_finding_thread(&f, t->tid);
	hb_finding_lock(&f, l, l->addr);
	f.sites[f.nsites++] = site;
	f.sites[f.nsites++] = prev->site;
	hb_finding_id(&f);
	snprintf(f.message, sizeof(f.message),
		 "thread %u locks %s 0x%llx again while holding it (%s): %s", t->tid,
		 mtype_name(l), (unsigned long long)l->addr,
		 l->kind == RT_LOCK_RWLOCK && prev->mode == RT_MODE_SHARED ? "read-locked" :
									     "locked",
		 (l->kind == RT_LOCK_MUTEX && l->mtype == RT_MTYPE_ERRORCHECK) ||
				 (l->kind == RT_LOCK_RWLOCK && prev->mode == RT_MODE_EXCL) ?
			 "the call fails with EDEADLK" :
			 "the thread deadlocks on itself");
	return hb_report(hb, &f);
}

int misuse__unlock_unowned(struct hb *hb, struct hb_thread *t, struct hb_lock *l, __u64 site,
			   bool cond_wait)
{
	struct rt_finding f;
	enum rt_kind kind;

	if (l->broken)
		return 0;
	if (l->owner && l->owner != t->tid) {
		struct hb_thread *o = hb_thread_find(hb, l->owner);

		/* the owner may be a thread whose blocking acquisition we only guessed */
		if (!o || !hb_held_find(o, l->addr))
			return 0;
		kind = cond_wait ? RT_K_COND_WAIT_UNHELD : RT_K_UNLOCK_NON_OWNER;
	} else if (l->readers) {
		return 0; /* a reader we did not see lock it (attached mid-run) */
	} else if (l->known && !(l->kind == RT_LOCK_MUTEX && l->mtype == RT_MTYPE_RECURSIVE) &&
		   l->kind != RT_LOCK_SPIN) {
		kind = cond_wait ? RT_K_COND_WAIT_UNHELD : RT_K_UNLOCK_UNHELD;
	} else {
		return 0; /* state unknown since attach: learn it */
	}
	if (lossy(hb))
		return 0;
	l->broken = true;
	hb_finding_init(hb, &f, kind, t->pid);
	hb_finding_thread(&f, t->tid);
	if (l->owner && l->owner != t->tid)
		hb_finding_thread(&f, l->owner);
	hb_finding_lock(&f, l, l->addr);
	f.sites[f.nsites++] = site;
	if (l->owner)
		f.sites[f.nsites++] = l->owner_site;
	hb_finding_id(&f);
	if (kind == RT_K_UNLOCK_NON_OWNER)
		snprintf(f.message, sizeof(f.message),
			 "thread %u unlocks %s 0x%llx, which thread %u holds", t->tid,
			 mtype_name(l), (unsigned long long)l->addr, l->owner);
	else if (kind == RT_K_UNLOCK_UNHELD)
		snprintf(f.message, sizeof(f.message),
			 "thread %u unlocks %s 0x%llx, which no thread holds", t->tid,
			 mtype_name(l), (unsigned long long)l->addr);
	else if (l->owner)
		snprintf(f.message, sizeof(f.message),
			 "thread %u waits on a condition variable with mutex 0x%llx, which "
			 "thread %u holds, not the caller",
			 t->tid, (unsigned long long)l->addr, l->owner);
	else
		snprintf(f.message, sizeof(f.message),
			 "thread %u waits on a condition variable with mutex 0x%llx, which it "
			 "does not hold",
			 t->tid, (unsigned long long)l->addr);
	return hb_report(hb, &f);
}

int misuse__destroy(struct hb *hb, struct hb_thread *t, struct hb_lock *l, __u64 site)
{
	struct rt_finding f;

	if (l->broken || (!l->owner && !l->readers) || lossy(hb))
		return 0;
	hb_finding_init(hb, &f, RT_K_DESTROY_LOCKED, t->pid);
	hb_finding_thread(&f, t->tid);
	if (l->owner)
		hb_finding_thread(&f, l->owner);
	hb_finding_lock(&f, l, l->addr);
	f.sites[f.nsites++] = site;
	f.sites[f.nsites++] = l->owner_site;
	hb_finding_id(&f);
	if (l->owner)
		snprintf(f.message, sizeof(f.message),
			 "thread %u destroys %s 0x%llx while thread %u holds it", t->tid,
			 mtype_name(l), (unsigned long long)l->addr, l->owner);
	else
		snprintf(f.message, sizeof(f.message),
			 "thread %u destroys %s 0x%llx while %u reader%s hold it", t->tid,
			 mtype_name(l), (unsigned long long)l->addr, l->readers,
			 l->readers == 1 ? "" : "s");
	return hb_report(hb, &f);
}

int misuse__thread_exit(struct hb *hb, struct hb_thread *t, __u64 site)
{
	struct rt_finding f;
	size_t i;

	if (!t->nheld || lossy(hb))
		return 0;
	hb_finding_init(hb, &f, RT_K_EXIT_HOLDING_LOCK, t->pid);
	hb_finding_thread(&f, t->tid);
	for (i = 0; i < t->nheld && f.nsites < RT_ARRAY_SIZE(f.sites); i++) {
		struct hb_lock *l = hb_lock_find(hb, t->held[i].lock);

		if (l)
			l->broken = true;
		hb_finding_lock(&f, l, t->held[i].lock);
		f.sites[f.nsites++] = t->held[i].site;
	}
	hb_finding_id(&f);
	snprintf(f.message, sizeof(f.message),
		 "thread %u exited while holding %zu lock%s (first: %s 0x%llx); threads that "
		 "lock %s will block forever",
		 t->tid, t->nheld, t->nheld == 1 ? "" : "s", f.locks[0].kind,
		 (unsigned long long)t->held[0].lock, t->nheld == 1 ? "it" : "them");
	(void)site;
	return hb_report(hb, &f);
}
