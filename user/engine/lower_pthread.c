// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pthread, futex, allocator and thread front end: lowers those records into the engine's
 * vocabulary (engine/state.h). Edges: thread create -> child start (the fork tracepoint),
 * child exit -> join (pthread_t mapped to the tid at pthread_create's return), unlock -> next
 * acquire, cond signal/broadcast -> wait return, sem post -> wait, futex wake -> wait return,
 * free -> later malloc of the same address. A futex wait on a lock word becomes the thread's
 * wait, with the lock's owner read from glibc's layout (the owner's tid at +8 of a mutex; a
 * write-locked rwlock's writer at +24, its futex words at +8 and +12).
 */
#include <errno.h>
#include <string.h>
#include "engine/state.h"

#define RT_ETIMEDOUT 110
#define RT_MAX_COND_SIGNALS (1U << 20)
#define RT_FUTEX_WAIT_VAL_LOCKED 2 /* glibc's lll_lock_wait sleeps while the word is 2 */

static bool alive_tid(struct hb *hb, __u32 tid, __u32 self)
{
	struct hb_actor *o;

	if (!tid || tid == self)
		return false;
	o = hb_actor_find(hb, tid);
	return o && o->alive;
}

/*
 * A futex wait begins: on a lock word, the thread waits for the lock's owner, read from the
 * lock at the wait (e->ret: the u32 at +8; e->obj2: the u32s at +16 and +12 of a word at +8),
 * or taken from our own state. A word that looks like a mutex we never saw locked (the process
 * was stuck before we attached) is a guess, trusted only if the owner turns out to be a thread
 * of ours. Anything else (a condition variable, a semaphore) has no owner: no lock.
 */
static void futex_wait(struct hb *hb, struct hb_actor *t, const struct rt_event *e)
{
	__u32 word8 = (__u32)e->ret, w16 = (__u32)e->obj2, w12 = (__u32)(e->obj2 >> 32);
	__u32 val = (__u32)(e->arg >> 32), owner = 0;
	struct hb_lock *l;

	t->wait = (struct hb_wait){ .uaddr = e->obj, .since = e->h.ktime, .seq = t->wait.seq + 1 };
	if ((l = hb_lock_find(hb, e->obj)) && l->kind == RT_LOCK_MUTEX) {
		owner = alive_tid(hb, word8, t->tid) ? word8 : l->owner;
	} else if ((l = hb_lock_find(hb, e->obj - 8)) && l->kind == RT_LOCK_RWLOCK) {
		owner = alive_tid(hb, w16, t->tid) ? w16 : l->owner;
	} else if ((l = hb_lock_find(hb, e->obj - 12)) && l->kind == RT_LOCK_RWLOCK) {
		owner = alive_tid(hb, w12, t->tid) ? w12 : l->owner;
	} else if (val == RT_FUTEX_WAIT_VAL_LOCKED && word8 && word8 != t->tid) {
		l = NULL;
		owner = word8;
		t->wait.guess = true;
	} else {
		return;
	}
	t->wait.lock = l ? l->addr : e->obj;
	t->wait.owner = owner;
}

static int on_fork(struct hb *hb, struct hb_actor *t, __u32 child_tid)
{
	__u32 tid = t->tid;
	struct hb_actor *c;

	if (!child_tid)
		return 0;
	c = hb_actor_get(hb, child_tid, child_tid, t->pid);
	t = hb_actor_find(hb, tid); /* hb_actor_get may have moved the table */
	if (!c || !t)
		return -ENOMEM;
	c->parent = t->tid;
	memcpy(c->name, t->name, sizeof(c->name)); /* a new thread starts with its creator's name */
	t->last_forked = child_tid;
	return hb_actor_fork(hb, t, c);
}

static int on_thread_exit(struct hb *hb, struct hb_actor *t, const struct rt_event *e)
{
	int err = 0;

	if (!e->ret) /* the thread ended alone, not with its process */
		err = HB_CALL(hb, thread_exit, t, e->caller);
	t->alive = false;
	t->has_pending = false;
	t->blocked.kind = 0;
	t->wait.uaddr = 0;
	t->wait.lock = 0;
	t->exit_ktime = e->h.ktime;
	hb_evict_dead_threads(hb);
	return err;
}

static int on_join(struct hb *hb, struct hb_actor *t, const struct rt_event *e)
{
	__u64 *ctid = rt_map_get(&hb->pthread_of, e->obj);
	struct hb_actor *c;

	if (e->ret != 0 || !ctid)
		return 0;
	c = hb_actor_find(hb, *ctid);
	rt_map_del(&hb->pthread_of, e->obj);
	if (!c || c->alive || !c->has_vc)
		return 0;
	/* the joiner continues after everything the child did */
	if (vc_join(&t->vc, &c->vc) < 0)
		return -ENOMEM;
	hb_actor_drop_vc(hb, c);
	return 0;
}

static int cond_wait_ret(struct hb *hb, struct hb_actor *t, const struct rt_event *e)
{
	struct rt_event re = *e;
	struct hb_lock *l;
	int err;

	/* 0 or ETIMEDOUT: the mutex is held again; an error (EPERM, EINVAL) did nothing */
	if (e->ret != 0 && e->ret != RT_ETIMEDOUT)
		return 0;
	/* woken: after the signal; then the mutex is taken again, blocking */
	if (hb_acquire_from(hb, t, SYNC_COND | e->obj))
		return -ENOMEM;
	if (!e->obj2)
		return 0;
	re.obj = e->obj2;
	re.arg = 0;
	l = hb_lock_find(hb, e->obj2);
	if (l && l->kind == RT_LOCK_MUTEX)
		re.arg = l->mtype;
	err = hb_lock_begin(hb, t, &re, RT_LOCK_MUTEX, RT_MODE_EXCL, false);
	return err ? err : hb_promote(hb, t);
}

/*
 * An unlock of mutex addr (cond_wait: the mutex a pthread_cond_wait releases). The probe read
 * the mutex's owner word (e->ret, RT_OWNER_READ): 0 says no thread holds it, which makes its
 * state known for this call even when we never saw it locked (a static mutex unlocked first).
 */
static int mutex_unlock(struct hb *hb, struct hb_actor *t, const struct rt_event *e, __u64 addr,
			bool cond_wait, __u8 mtype)
{
	struct hb_lock *l = NULL;
	int err;

	if (addr && (e->ret & RT_OWNER_READ) && (__u32)e->ret == 0) {
		l = hb_lock_get(hb, addr, RT_LOCK_MUTEX);
		if (!l)
			return -ENOMEM;
		l->word_free = !l->owner && !l->readers;
	}
	err = hb_lock_unlock(hb, t, addr, RT_LOCK_MUTEX, e->caller, cond_wait, mtype);
	if (l && (l = hb_lock_find(hb, addr)))
		l->word_free = false;
	return err;
}

/* t enters a blocking pthread call (kind RT_BLOCK_*): what hb_blocked records. */
static void block_begin(struct hb_actor *t, const struct rt_event *e, __u8 kind)
{
	t->blocked = (struct hb_blocked){
		.kind = kind,
		.obj = e->obj,
		.site = e->caller,
		.since = e->h.ktime,
		.seq = t->blocked.seq + 1,
	};
}

/* A signal or broadcast of cond: waiters that began before it may be woken. */
static int cond_signal(struct hb *hb, struct hb_actor *t, const struct rt_event *e)
{
	if (hb->cond_signal.len >= RT_MAX_COND_SIGNALS && !rt_map_get(&hb->cond_signal, e->obj)) {
		/* at the cap: forget them all, and say so (hb__cond_signaled is true from now) */
		rt_map_free(&hb->cond_signal);
		rt_map_init(&hb->cond_signal);
		hb->cond_signals_lost = true;
	}
	if (rt_map_put(&hb->cond_signal, e->obj, e->h.ktime))
		return -ENOMEM;
	return hb_release_into(hb, t, SYNC_COND | e->obj);
}

static int on_realloc(struct hb *hb, struct hb_actor *t, const struct rt_event *e)
{
	int err;

	if (e->obj2 && e->obj != e->obj2 && (e->obj || e->arg == 0)) {
		err = hb_on_free(hb, t, e->obj2, e->caller);
		if (err)
			return err;
	}
	if (e->obj && e->obj != e->obj2)
		return hb_on_alloc(hb, t, e->obj, e->arg, e->caller);
	if (e->obj) {
		struct hb_block *b = hb_block_find(hb, e->obj);

		if (b && !b->freed)
			b->size = e->arg;
	}
	return 0;
}

int hb_lower_pthread(struct hb *hb, struct hb_actor *t, const struct rt_event *e)
{
	struct hb_lock *l;
	int err;

	switch (e->h.type) {
	case RT_EV_MUTEX_LOCK:
		return hb_lock_begin(hb, t, e, RT_LOCK_MUTEX, RT_MODE_EXCL, false);
	case RT_EV_RWLOCK_RDLOCK:
		return hb_lock_begin(hb, t, e, RT_LOCK_RWLOCK, RT_MODE_SHARED, false);
	case RT_EV_RWLOCK_WRLOCK:
		return hb_lock_begin(hb, t, e, RT_LOCK_RWLOCK, RT_MODE_EXCL, false);
	case RT_EV_SPIN_LOCK:
		return hb_lock_begin(hb, t, e, RT_LOCK_SPIN, RT_MODE_EXCL, false);
	case RT_EV_MUTEX_TRYLOCK:
	case RT_EV_MUTEX_TIMEDLOCK:
		return hb_lock_try(hb, t, e, RT_LOCK_MUTEX, RT_MODE_EXCL);
	case RT_EV_RWLOCK_TRYRDLOCK:
		return hb_lock_try(hb, t, e, RT_LOCK_RWLOCK, RT_MODE_SHARED);
	case RT_EV_RWLOCK_TRYWRLOCK:
		return hb_lock_try(hb, t, e, RT_LOCK_RWLOCK, RT_MODE_EXCL);
	case RT_EV_SPIN_TRYLOCK:
		return hb_lock_try(hb, t, e, RT_LOCK_SPIN, RT_MODE_EXCL);
	case RT_EV_MUTEX_UNLOCK:
		return mutex_unlock(hb, t, e, e->obj, false, e->arg & 3);
	case RT_EV_RWLOCK_UNLOCK:
		return hb_lock_unlock(hb, t, e->obj, RT_LOCK_RWLOCK, e->caller, false, 0);
	case RT_EV_SPIN_UNLOCK:
		return hb_lock_unlock(hb, t, e->obj, RT_LOCK_SPIN, e->caller, false, 0);
	case RT_EV_MUTEX_DESTROY:
		l = hb_lock_find(hb, e->obj);
		if (!l)
			return 0;
		err = HB_CALL(hb, lock_destroy, t, l, e->caller);
		hb_lock_retire(hb, l);
		return err;
	case RT_EV_COND_WAIT:
		err = mutex_unlock(hb, t, e, e->obj2, true, 0);
		block_begin(t, e, RT_BLOCK_COND);
		t->blocked.mutex = e->obj2;
		t->blocked.flags = e->arg & (RT_COND_READ | RT_COND_TIMED | RT_COND_PSHARED);
		return err;
	case RT_EV_COND_WAIT_RET:
		t->blocked.kind = 0;
		return cond_wait_ret(hb, t, e);
	case RT_EV_COND_SIGNAL:
	case RT_EV_COND_BROADCAST:
		return cond_signal(hb, t, e);
	case RT_EV_COND_DESTROY:
		err = HB_CALL(hb, cond_destroy, t, e->obj, e->caller);
		rt_map_del(&hb->cond_signal, e->obj);
		return err;
	case RT_EV_SEM_POST:
		return hb_release_into(hb, t, SYNC_SEM | e->obj);
	case RT_EV_SEM_WAIT:
		return e->ret == 0 ? hb_acquire_from(hb, t, SYNC_SEM | e->obj) : 0;
	case RT_EV_FUTEX_WAKE:
		return hb_release_into(hb, t, SYNC_FUTEX | e->obj);
	case RT_EV_FUTEX_WAIT:
		futex_wait(hb, t, e);
		return 0;
	case RT_EV_FUTEX_WAIT_RET:
		hb_lock_wait_observe(hb, t);
		t->wait.uaddr = 0;
		t->wait.lock = 0;
		/* woken (the scheduler cannot tell: with no wakes recorded, no edge to take) */
		return e->ret == 0 && !(e->h.flags & RT_EVF_SCHED) ?
			       hb_acquire_from(hb, t, SYNC_FUTEX | e->obj) : 0;
	case RT_EV_ALLOC:
		if (e->h.flags & RT_EVF_INTERNAL)
			return 0; /* the allocator's own bookkeeping (see events.h) */
		return hb_on_alloc(hb, t, e->obj, e->arg, e->caller);
	case RT_EV_REALLOC:
		if (e->h.flags & RT_EVF_INTERNAL)
			return 0;
		return on_realloc(hb, t, e);
	case RT_EV_FREE:
		if (e->h.flags & RT_EVF_INTERNAL)
			return 0;
		return hb_on_free(hb, t, e->obj, e->caller);
	case RT_EV_THREAD_FORK:
		return on_fork(hb, t, e->arg);
	case RT_EV_THREAD_EXIT:
		return on_thread_exit(hb, t, e);
	case RT_EV_PTHREAD_CREATE:
		if (e->ret == 0 && e->obj && t->last_forked) {
			struct hb_actor *c = hb_actor_find(hb, t->last_forked);

			if (c)
				c->create_site = e->caller;
			if (rt_map_put(&hb->pthread_of, e->obj, t->last_forked))
				return -ENOMEM;
		}
		return 0;
	case RT_EV_PTHREAD_JOIN: {
		__u64 *ctid = rt_map_get(&hb->pthread_of, e->obj);

		block_begin(t, e, RT_BLOCK_JOIN);
		t->blocked.joined = ctid ? (__u32)*ctid : 0;
		return 0;
	}
	case RT_EV_PTHREAD_JOIN_RET:
		t->blocked.kind = 0;
		return on_join(hb, t, e);
	case RT_EV_THREAD_NAME:
		memcpy(t->name, &e->obj, sizeof(t->name) - 1);
		t->name[sizeof(t->name) - 1] = 0;
		return 0;
	default:
		return 0;
	}
}
