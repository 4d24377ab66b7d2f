// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The engine (hb.h): per-thread held-lock sets built from the record stream, handed to the
 * detectors at each acquisition. Locks already held when we attached, and unlocks of locks we
 * never saw taken, are learned silently (no state to update).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "detect.h"
#include "hb.h"
#include "util.h"

struct hb_thread {
	__u32 tid;
	struct rt_held *held;
	size_t nheld, held_cap;
};

struct hb {
	struct hb_opts opts;
	struct hb_thread *threads;
	size_t nthreads, threads_cap;
	struct rt_map thread_of; /* tid -> index + 1 */
	__u32 threads_seen;
	struct lockorder *lockorder;
	__u64 events;
	__u64 by_type[RT_EV_MAX];
};

struct hb *hb__new(const struct hb_opts *opts)
{
	struct hb *hb;

	if (!opts || !opts->report) {
		errno = EINVAL;
		return NULL;
	}
	hb = calloc(1, sizeof(*hb));
	if (!hb)
		goto nomem;
	hb->opts = *opts;
	rt_map_init(&hb->thread_of);
	hb->lockorder = lockorder__new(opts->report);
	if (!hb->lockorder)
		goto nomem;
	return hb;
nomem:
	hb__free(hb);
	errno = ENOMEM;
	return NULL;
}

void hb__free(struct hb *hb)
{
	size_t i;

	if (!hb)
		return;
	for (i = 0; i < hb->nthreads; i++)
		free(hb->threads[i].held);
	free(hb->threads);
	rt_map_free(&hb->thread_of);
	lockorder__free(hb->lockorder);
	free(hb);
}

static struct hb_thread *thread_get(struct hb *hb, __u32 tid)
{
	__u64 *v = rt_map_get(&hb->thread_of, tid);
	struct hb_thread *t;

	if (v)
		return &hb->threads[*v - 1];
	if (rt_grow((void **)&hb->threads, &hb->threads_cap, hb->nthreads + 1,
		    sizeof(*hb->threads)))
		return NULL;
	if (rt_map_put(&hb->thread_of, tid, hb->nthreads + 1))
		return NULL;
	t = &hb->threads[hb->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	hb->threads_seen++;
	return t;
}

static int held_push(struct hb_thread *t, __u64 lock, __u64 site, __u8 kind, __u8 mode)
{
	if (rt_grow((void **)&t->held, &t->held_cap, t->nheld + 1, sizeof(*t->held)))
		return -ENOMEM;
	t->held[t->nheld++] = (struct rt_held){
		.lock = lock, .site = site, .kind = kind, .mode = mode
	};
	return 0;
}

/* Drop the most recent hold of lock; false when the thread did not hold it. */
static bool held_pop(struct hb_thread *t, __u64 lock)
{
	size_t i;

	for (i = t->nheld; i-- > 0;) {
		if (t->held[i].lock != lock)
			continue;
		memmove(&t->held[i], &t->held[i + 1], (t->nheld - i - 1) * sizeof(*t->held));
		t->nheld--;
		return true;
	}
	return false;
}

/* A blocking acquisition: detectors see the held set before the lock joins it. */
static int acquire(struct hb *hb, struct hb_thread *t, const struct rt_event *e, __u64 lock,
		   __u8 kind, __u8 mode, bool blocking)
{
	struct rt_acq a = {
		.pid = e->h.tgid,
		.tid = e->h.tid,
		.ktime = e->h.ktime,
		.lock = lock,
		.site = e->caller,
		.kind = kind,
		.mode = mode,
	};
	int err;

	if (!lock)
		return 0;
	if (blocking) {
		err = lockorder__acquire(hb->lockorder, &a, t->held, t->nheld);
		if (err)
			return err;
	}
	return held_push(t, lock, e->caller, kind, mode);
}

int hb__event(struct hb *hb, const struct rt_event *e)
{
	struct hb_thread *t;

	hb->events++;
	hb->by_type[e->h.type]++;
	t = thread_get(hb, e->h.tid);
	if (!t)
		return -ENOMEM;

	switch (e->h.type) {
	case RT_EV_MUTEX_LOCK:
		return acquire(hb, t, e, e->obj, RT_LOCK_MUTEX, RT_MODE_EXCL, true);
	case RT_EV_MUTEX_TRYLOCK:
	case RT_EV_MUTEX_TIMEDLOCK:
		if (e->ret == 0)
			return acquire(hb, t, e, e->obj, RT_LOCK_MUTEX, RT_MODE_EXCL, false);
		return 0;
	case RT_EV_RWLOCK_RDLOCK:
		return acquire(hb, t, e, e->obj, RT_LOCK_RWLOCK, RT_MODE_SHARED, true);
	case RT_EV_RWLOCK_WRLOCK:
		return acquire(hb, t, e, e->obj, RT_LOCK_RWLOCK, RT_MODE_EXCL, true);
	case RT_EV_RWLOCK_TRYRDLOCK:
		if (e->ret == 0)
			return acquire(hb, t, e, e->obj, RT_LOCK_RWLOCK, RT_MODE_SHARED, false);
		return 0;
	case RT_EV_RWLOCK_TRYWRLOCK:
		if (e->ret == 0)
			return acquire(hb, t, e, e->obj, RT_LOCK_RWLOCK, RT_MODE_EXCL, false);
		return 0;
	case RT_EV_SPIN_LOCK:
		return acquire(hb, t, e, e->obj, RT_LOCK_SPIN, RT_MODE_EXCL, true);
	case RT_EV_SPIN_TRYLOCK:
		if (e->ret == 0)
			return acquire(hb, t, e, e->obj, RT_LOCK_SPIN, RT_MODE_EXCL, false);
		return 0;
	case RT_EV_MUTEX_UNLOCK:
	case RT_EV_RWLOCK_UNLOCK:
	case RT_EV_SPIN_UNLOCK:
		held_pop(t, e->obj);
		return 0;
	case RT_EV_COND_WAIT:
		/* the mutex is released for the wait ... */
		held_pop(t, e->obj2);
		return 0;
	case RT_EV_COND_WAIT_RET:
		/* ... and taken again, blocking, before the wait returns */
		return acquire(hb, t, e, e->obj2, RT_LOCK_MUTEX, RT_MODE_EXCL, true);
	case RT_EV_THREAD_EXIT:
		t->nheld = 0;
		return 0;
	default:
		return 0;
	}
}

void hb__stats(const struct hb *hb, struct hb_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->events = hb->events;
	memcpy(st->by_type, hb->by_type, sizeof(st->by_type));
	st->threads = hb->threads_seen;
	st->locks = lockorder__nodes(hb->lockorder);
	st->lock_edges = lockorder__edges(hb->lockorder);
}
