// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pthread lock misuse. double-lock: a thread locks a non-recursive lock it holds (it
 * self-deadlocks, or gets EDEADLK from an error-checking mutex: reported either way, before the
 * hang). unlock-unheld / unlock-non-owner: an unlock of a lock the thread does not hold, when
 * nobody or another thread holds it. cond-wait-unheld: pthread_cond_wait with a mutex the caller
 * does not hold. destroy-locked: destroy of a held lock. exit-holding-lock: a thread ends (alone,
 * not with its process) holding locks.
 * A mutex's state is known when we saw it acquired or unlocked, or when its own owner word
 * (glibc's __owner at +8, read by the probe at the unlock or cond wait) is 0: nobody holds it.
 * Not reported: anything about a lock whose state we do not know (taken before we attached),
 * recursive mutexes unlocked more often than we saw them locked, spinlock unlocks (glibc's
 * pthread_spin_unlock is also pthread_spin_init), Go locks (any goroutine may unlock a Mutex;
 * Go's double locks are go_doublelock.c's), and nothing between a loss of events and the next
 * tick (hb__report). A lock is reported once, then "broken".
 */
#include <stdio.h>
#include "detect/registry.h"
#include "lib/util.h"

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

static void *misuse_new(struct hb *hb)
{
	return hb;
}

static int misuse_double_lock(void *st, const struct hb_actor *t, const struct hb_lock *l,
			      const struct rt_held *prev, const struct rt_acq *a)
{
	struct hb *hb = st;
	struct rt_finding f;

	if (l->broken || rt_lock_kind_go(l->kind))
		return 0;
	hb__finding(hb, &f, RT_K_DOUBLE_LOCK, t->pid);
	rt_finding_thread(&f, t->tid);
	hb__finding_lock(&f, l, l->addr);
	rt_finding_site(&f, a->site);
	rt_finding_site(&f, prev->site);
	snprintf(f.message, sizeof(f.message),
		 "thread %u locks %s 0x%llx again while holding it (%s): %s", t->tid,
		 mtype_name(l), (unsigned long long)l->addr,
		 l->kind == RT_LOCK_RWLOCK && prev->mode == RT_MODE_SHARED ? "read-locked" :
									     "locked",
		 (l->kind == RT_LOCK_MUTEX && l->mtype == RT_MTYPE_ERRORCHECK) ||
				 (l->kind == RT_LOCK_RWLOCK && prev->mode == RT_MODE_EXCL) ?
			 "the call fails with EDEADLK" :
			 "the thread deadlocks on itself");
	return hb__report(hb, &f, RT_REP_BREAK);
}

static int misuse_unlock_unheld(void *st, const struct hb_actor *t, const struct hb_lock *l,
				__u64 site, bool cond_wait)
{
	struct hb *hb = st;
	struct rt_finding f;
	enum rt_kind kind;

	if (l->broken)
		return 0;
	if (l->owner && l->owner != t->tid) {
		const struct hb_actor *o = hb__actor(hb, l->owner_key);

		/* the owner may be a thread whose blocking acquisition we only guessed */
		if (!o || !hb__held(o, l->addr))
			return 0;
		kind = cond_wait ? RT_K_COND_WAIT_UNHELD : RT_K_UNLOCK_NON_OWNER;
	} else if (l->readers) {
		return 0; /* a reader we did not see lock it (attached mid-run) */
	} else if (l->word_free && l->kind == RT_LOCK_MUTEX) {
		/* the mutex's own owner word says nobody holds it: known, even if never seen */
		kind = cond_wait ? RT_K_COND_WAIT_UNHELD : RT_K_UNLOCK_UNHELD;
	} else if (l->known && !(l->kind == RT_LOCK_MUTEX && l->mtype == RT_MTYPE_RECURSIVE) &&
		   l->kind != RT_LOCK_SPIN) {
		kind = cond_wait ? RT_K_COND_WAIT_UNHELD : RT_K_UNLOCK_UNHELD;
	} else {
		return 0; /* state unknown since attach: learn it */
	}
	hb__finding(hb, &f, kind, t->pid);
	rt_finding_thread(&f, t->tid);
	if (l->owner && l->owner != t->tid)
		rt_finding_thread(&f, l->owner);
	hb__finding_lock(&f, l, l->addr);
	rt_finding_site(&f, site);
	if (l->owner)
		rt_finding_site(&f, l->owner_site);
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
	return hb__report(hb, &f, RT_REP_BREAK);
}

static int misuse_destroy(void *st, const struct hb_actor *t, const struct hb_lock *l,
			  __u64 site)
{
	struct hb *hb = st;
	struct rt_finding f;

	if (l->broken || (!l->owner && !l->readers))
		return 0;
	hb__finding(hb, &f, RT_K_DESTROY_LOCKED, t->pid);
	rt_finding_thread(&f, t->tid);
	if (l->owner)
		rt_finding_thread(&f, l->owner);
	hb__finding_lock(&f, l, l->addr);
	rt_finding_site(&f, site);
	rt_finding_site(&f, l->owner_site);
	if (l->owner)
		snprintf(f.message, sizeof(f.message),
			 "thread %u destroys %s 0x%llx while thread %u holds it", t->tid,
			 mtype_name(l), (unsigned long long)l->addr, l->owner);
	else
		snprintf(f.message, sizeof(f.message),
			 "thread %u destroys %s 0x%llx while %u reader%s hold it", t->tid,
			 mtype_name(l), (unsigned long long)l->addr, l->readers,
			 l->readers == 1 ? "" : "s");
	return hb__report(hb, &f, 0);
}

static int misuse_thread_exit(void *st, const struct hb_actor *t, __u64 site)
{
	struct hb *hb = st;
	struct rt_finding f;
	size_t i;

	if (!t->nheld)
		return 0;
	hb__finding(hb, &f, RT_K_EXIT_HOLDING_LOCK, t->pid);
	rt_finding_thread(&f, t->tid);
	for (i = 0; i < t->nheld && f.nsites < RT_ARRAY_SIZE(f.sites); i++) {
		hb__finding_lock(&f, hb__lock(hb, t->held[i].lock), t->held[i].lock);
		rt_finding_site(&f, t->held[i].site);
	}
	snprintf(f.message, sizeof(f.message),
		 "thread %u exited while holding %zu lock%s (first: %s 0x%llx); threads that "
		 "lock %s will block forever",
		 t->tid, t->nheld, t->nheld == 1 ? "" : "s", f.locks[0].kind,
		 (unsigned long long)t->held[0].lock, t->nheld == 1 ? "it" : "them");
	(void)site;
	return hb__report(hb, &f, RT_REP_BREAK);
}

const struct hb_detector rt_det_misuse = {
	.name = "misuse",
	.new = misuse_new,
	.lock_again = misuse_double_lock,
	.unlock_unheld = misuse_unlock_unheld,
	.lock_destroy = misuse_destroy,
	.thread_exit = misuse_thread_exit,
};
