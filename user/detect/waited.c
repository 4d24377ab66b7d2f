// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * destroy-waited (helgrind's "destruction of condition variable being waited upon"): a
 * condition variable destroyed (pthread_cond_destroy) or freed while a thread waits on it and
 * no signal or broadcast since the wait began may have woken it; or a mutex destroyed or freed
 * while a thread is inside pthread_cond_wait with it (it must lock the mutex again to return).
 * The finding names the destroying thread and the waiter, the destroy (or free) site, the
 * wait's site and the object; detail "free" when the memory was freed.
 * Not reported: waiters a signal or broadcast may have released (POSIX lets a program destroy
 * a condvar right after broadcasting, before the woken threads return), timed waits alike (they
 * are waiters all the same: reported), waits we did not see begin (attached mid-wait), and
 * nothing between a loss of events and the next tick (hb__report).
 */
#include <stdio.h>
#include "detect/registry.h"

static void *waited_new(struct hb *hb)
{
	return hb;
}

#define ON_COND 1
#define ON_MUTEX 2

/* How o waits on the object at [addr, addr + size): ON_COND (unsignalled), ON_MUTEX, or 0. */
static int waits_on(const struct hb *hb, const struct hb_actor *o, __u64 addr, __u64 size,
		    int what)
{
	const struct hb_blocked *b = &o->blocked;

	if (!o->alive || (o->key & RT_GO_KEY) || b->kind != RT_BLOCK_COND)
		return 0;
	if ((what & ON_COND) && b->obj >= addr && b->obj < addr + size &&
	    !hb__cond_signaled(hb, b->obj, b->since))
		return ON_COND;
	if ((what & ON_MUTEX) && b->mutex && b->mutex >= addr && b->mutex < addr + size)
		return ON_MUTEX;
	return 0;
}

/* Report the first waiter on [addr, addr + size) other than t, if any. */
static int check(struct hb *hb, const struct hb_actor *t, __u64 addr, __u64 size, int what,
		 __u64 site, bool freed)
{
	const struct hb_actor *actors, *o = NULL;
	const struct hb_blocked *b;
	struct rt_finding f;
	size_t i, n;
	int how = 0;
	__u64 obj;

	actors = hb__actors(hb, &n);
	for (i = 0; i < n && !how; i++) {
		if (&actors[i] == t || actors[i].pid != t->pid)
			continue;
		how = waits_on(hb, &actors[i], addr, size, what);
		o = &actors[i];
	}
	if (!how)
		return 0;
	b = &o->blocked;
	obj = how == ON_COND ? b->obj : b->mutex;
	hb__finding(hb, &f, RT_K_DESTROY_WAITED, t->pid);
	if (freed)
		snprintf(f.detail, sizeof(f.detail), "free");
	rt_finding_thread(&f, t->tid);
	rt_finding_thread(&f, o->tid);
	if (how == ON_COND)
		rt_finding_lock(&f, obj, "cond");
	else
		hb__finding_lock(&f, hb__lock(hb, obj), obj);
	rt_finding_site(&f, site);
	rt_finding_site(&f, b->site);
	snprintf(f.message, sizeof(f.message),
		 "thread %u %s %s 0x%llx while thread %u waits %s (pthread_cond_wait%s)", t->tid,
		 freed ? "frees the memory of" : "destroys",
		 how == ON_COND ? "condition variable" : "mutex", (unsigned long long)obj, o->tid,
		 how == ON_COND ? "on it" : "with it, which it must lock again to return",
		 b->flags & RT_COND_TIMED ? ", timed" : "");
	return hb__report(hb, &f, 0);
}

static int waited_cond_destroy(void *st, const struct hb_actor *t, __u64 cond, __u64 site)
{
	return check(st, t, cond, 1, ON_COND, site, false);
}

static int waited_lock_destroy(void *st, const struct hb_actor *t, const struct hb_lock *l,
			       __u64 site)
{
	if (l->kind != RT_LOCK_MUTEX || l->broken)
		return 0;
	return check(st, t, l->addr, 1, ON_MUTEX, site, false);
}

static int waited_block_free(void *st, const struct hb_actor *t, const struct hb_block *b,
			     __u64 addr, __u64 site)
{
	if (b && b->freed)
		return 0; /* a double free: heap.c's */
	return check(st, t, addr, b && b->size ? b->size : 1, ON_COND | ON_MUTEX, site, true);
}

const struct hb_detector rt_det_waited = {
	.name = "waited",
	.new = waited_new,
	.cond_destroy = waited_cond_destroy,
	.lock_destroy = waited_lock_destroy,
	.block_free = waited_block_free,
};
