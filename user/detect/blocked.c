// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every thread of a C program blocked for good (deadlock, detail all-threads): each live
 * thread of the process is in an untimed pthread_cond_wait that no signal or broadcast has
 * reached since it began, in a pthread_join of a live thread, or in a blocking lock call on a
 * mutex or rwlock a live thread holds, and at least one is a cond wait or join (a cycle of lock
 * waits alone is deadlock.c's), for RT_ALL_BLOCKED_NS. No thread is left to signal, unlock or
 * exit, so none ever runs again. Reported once per set of waits, with every thread and the
 * site of the call it blocks in (its stack).
 * Not reported: a process with any thread in something else (a timed wait, a semaphore, whose
 * sem_post a signal handler may call, a socket, a pipe, sigwait, sleep, or any call we do not
 * see: a server idle in accept), process-shared condition variables (another process may
 * signal), waits that began before we attached (we do not know what they are), Go programs
 * (go_stuck.c's all-goroutines rule), and nothing between a loss of events and the next tick.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "detect/registry.h"
#include "lib/util.h"

#define RT_ALL_BLOCKED_NS 1000000000ULL /* every thread blocked this long */

struct blocked {
	struct hb *hb;
	struct rt_map reported; /* pid -> signature of the waits last reported */
};

static void *blocked_new(struct hb *hb)
{
	struct blocked *d = calloc(1, sizeof(*d));

	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->hb = hb;
	rt_map_init(&d->reported);
	return d;
}

static void blocked_free(void *st)
{
	struct blocked *d = st;

	rt_map_free(&d->reported);
	free(d);
}

static bool alive_thread(const struct hb *hb, __u32 tid)
{
	const struct hb_actor *o = tid ? hb__actor(hb, tid) : NULL;

	return o && o->alive;
}

/*
 * Is t blocked for good, and since when (*since)? 2 in a cond wait or join, 1 in a lock wait,
 * 0 when it may run again.
 */
static int stuck(const struct hb *hb, const struct hb_actor *t, __u64 *since)
{
	const struct hb_blocked *b = &t->blocked;
	const struct hb_lock *l;

	if (b->kind == RT_BLOCK_COND) {
		if (!(b->flags & RT_COND_READ) || (b->flags & (RT_COND_TIMED | RT_COND_PSHARED)) ||
		    hb__cond_signaled(hb, b->obj, b->since))
			return 0;
		*since = b->since;
		return 2;
	}
	if (b->kind == RT_BLOCK_JOIN) {
		if (!alive_thread(hb, b->joined) || b->joined == t->tid)
			return 0;
		*since = b->since;
		return 2;
	}
	if (!t->has_pending || (t->pending.kind != RT_LOCK_MUTEX && t->pending.kind != RT_LOCK_RWLOCK))
		return 0;
	l = hb__lock(hb, t->pending.lock);
	if (!l || !l->owner || !alive_thread(hb, l->owner))
		return 0;
	*since = t->pending_since;
	return 1;
}

static int report(struct blocked *d, const struct hb_actor *const *th, size_t n, size_t total,
		  __u64 sig)
{
	struct rt_finding f;
	size_t i, len, left;

	hb__finding(d->hb, &f, RT_K_DEADLOCK, th[0]->pid);
	snprintf(f.detail, sizeof(f.detail), "all-threads");
	left = sizeof(f.message);
	len = snprintf(f.message, left, "all %zu threads of pid %u are blocked for good:", total,
		       th[0]->pid);
	for (i = 0; i < n; i++) {
		const struct hb_actor *t = th[i];
		const struct hb_blocked *b = &t->blocked;

		rt_finding_thread(&f, t->tid);
		if (b->kind == RT_BLOCK_COND) {
			rt_finding_lock(&f, b->obj, "cond");
			rt_finding_site(&f, b->site);
		} else if (b->kind == RT_BLOCK_JOIN) {
			rt_finding_site(&f, b->site);
		} else {
			hb__finding_lock(&f, hb__lock(d->hb, t->pending.lock), t->pending.lock);
			rt_finding_site(&f, t->pending.site);
		}
		if (len >= left)
			continue;
		if (b->kind == RT_BLOCK_COND)
			len += snprintf(f.message + len, left - len,
					"%s %u waits on cond 0x%llx (no signal since)",
					i ? ";" : "", t->tid,
					(unsigned long long)b->obj);
		else if (b->kind == RT_BLOCK_JOIN)
			len += snprintf(f.message + len, left - len, "%s %u joins %u",
					i ? ";" : "", t->tid, b->joined);
		else
			len += snprintf(f.message + len, left - len,
					"%s %u waits for lock 0x%llx held by %u",
					i ? ";" : "", t->tid,
					(unsigned long long)t->pending.lock,
					hb__lock(d->hb, t->pending.lock)->owner);
	}
	if (rt_map_put(&d->reported, th[0]->pid, sig))
		return -ENOMEM;
	return hb__report(d->hb, &f, 0);
}

/* Check the process of the actor at index first (its first actor in the table). */
static int check_pid(struct blocked *d, const struct hb_actor *actors, size_t n, size_t first)
{
	const struct hb_actor *th[RT_FINDING_MAX];
	__u32 pid = actors[first].pid;
	__u64 now = hb__now(d->hb), sig = 0, since;
	const __u64 *last;
	size_t i, nth = 0;
	bool waits = false;
	int s;

	for (i = first; i < n; i++) {
		const struct hb_actor *t = &actors[i];

		if (t->pid != pid || !t->alive)
			continue;
		if (t->key & RT_GO_KEY)
			return 0; /* a Go program: go_stuck.c */
		s = stuck(d->hb, t, &since);
		if (!s || now - since < RT_ALL_BLOCKED_NS)
			return 0;
		waits |= s == 2;
		/* a finding names RT_FINDING_MAX threads; the message counts them all */
		if (nth < RT_FINDING_MAX)
			th[nth] = t;
		nth++;
		/* the set of waits: which threads, and which call of each */
		sig = rt_hash64(sig ^ (t->uid * 0x9e3779b97f4a7c15ULL) ^
				(t->blocked.kind ? t->blocked.seq : t->pending_since));
	}
	if (!nth || !waits)
		return 0;
	last = rt_map_get(&d->reported, pid);
	if (last && *last == sig)
		return 0;
	return report(d, th, RT_MIN(nth, (size_t)RT_FINDING_MAX), nth, sig);
}

static int blocked_tick(void *st)
{
	struct blocked *d = st;
	const struct hb_actor *actors;
	size_t i, j, n;
	int err;

	if (hb__lossy(d->hb))
		return 0;
	actors = hb__actors(d->hb, &n);
	for (i = 0; i < n; i++) {
		if (!actors[i].alive || (actors[i].key & RT_GO_KEY))
			continue;
		/* once per process: at its first live thread in the table */
		for (j = 0; j < i; j++)
			if (actors[j].pid == actors[i].pid && actors[j].alive)
				break;
		if (j < i)
			continue;
		err = check_pid(d, actors, n, i);
		if (err)
			return err;
	}
	return 0;
}

const struct hb_detector rt_det_blocked = {
	.name = "blocked",
	.new = blocked_new,
	.free = blocked_free,
	.tick = blocked_tick,
};
