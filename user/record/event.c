// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Record checks and names (event.h). The asserts pin the layout shared with bpf/events.h. */
#include <stddef.h>
#include <string.h>
#include "record/event.h"

_Static_assert(sizeof(struct rt_hdr) == 32, "rt_hdr layout");
_Static_assert(sizeof(struct rt_event) == RT_EVENT_SIZE, "rt_event size");
_Static_assert(offsetof(struct rt_event, obj) == 32, "rt_event.obj offset");
_Static_assert(offsetof(struct rt_event, ret) == 64, "rt_event.ret offset");
_Static_assert(offsetof(struct rt_hdr, ktime) == 16, "rt_hdr.ktime offset");
_Static_assert(RT_EV_MAX < 0xffff, "event types fit the cookie");
_Static_assert(RT_MCK_END_SHIFT + 8 <= 53 && (RT_MCK_BASE >> 53) == 1,
	       "uprobe_mem cookie fields do not overlap");

static const char *const names[RT_EV_MAX] = {
	[RT_EV_NONE] = "none",
	[RT_EV_THREAD_FORK] = "thread_fork",
	[RT_EV_THREAD_EXIT] = "thread_exit",
	[RT_EV_PTHREAD_CREATE] = "pthread_create",
	[RT_EV_PTHREAD_JOIN] = "pthread_join",
	[RT_EV_PTHREAD_JOIN_RET] = "pthread_join_ret",
	[RT_EV_PTHREAD_EXIT] = "pthread_exit",
	[RT_EV_MUTEX_LOCK] = "mutex_lock",
	[RT_EV_MUTEX_TRYLOCK] = "mutex_trylock",
	[RT_EV_MUTEX_TIMEDLOCK] = "mutex_timedlock",
	[RT_EV_MUTEX_UNLOCK] = "mutex_unlock",
	[RT_EV_MUTEX_DESTROY] = "mutex_destroy",
	[RT_EV_RWLOCK_RDLOCK] = "rwlock_rdlock",
	[RT_EV_RWLOCK_WRLOCK] = "rwlock_wrlock",
	[RT_EV_RWLOCK_TRYRDLOCK] = "rwlock_tryrdlock",
	[RT_EV_RWLOCK_TRYWRLOCK] = "rwlock_trywrlock",
	[RT_EV_RWLOCK_UNLOCK] = "rwlock_unlock",
	[RT_EV_SPIN_LOCK] = "spin_lock",
	[RT_EV_SPIN_TRYLOCK] = "spin_trylock",
	[RT_EV_SPIN_UNLOCK] = "spin_unlock",
	[RT_EV_COND_WAIT] = "cond_wait",
	[RT_EV_COND_WAIT_RET] = "cond_wait_ret",
	[RT_EV_COND_SIGNAL] = "cond_signal",
	[RT_EV_COND_BROADCAST] = "cond_broadcast",
	[RT_EV_SEM_WAIT] = "sem_wait",
	[RT_EV_SEM_POST] = "sem_post",
	[RT_EV_ALLOC] = "alloc",
	[RT_EV_REALLOC] = "realloc",
	[RT_EV_FREE] = "free",
	[RT_EV_FUTEX_WAIT] = "futex_wait",
	[RT_EV_FUTEX_WAIT_RET] = "futex_wait_ret",
	[RT_EV_FUTEX_WAKE] = "futex_wake",
	[RT_EV_FUTEX_WAKE_RET] = "futex_wake_ret",
	[RT_EV_PROC_EXIT] = "exit",
	[RT_EV_THREAD_NAME] = "thread_name",
	[RT_EV_EXEC] = "exec",
	[RT_EV_GO_MAP_READ] = "go_map_read",
	[RT_EV_GO_MAP_WRITE] = "go_map_write",
	[RT_EV_GO_MAP_DONE] = "go_map_done",
	[RT_EV_GO_MAP_NEW] = "go_map_new",
	[RT_EV_GO_CHAN_NEW] = "go_chan_new",
	[RT_EV_GO_CHAN_SEND] = "go_chan_send",
	[RT_EV_GO_CHAN_SEND_DONE] = "go_chan_send_done",
	[RT_EV_GO_CHAN_RECV] = "go_chan_recv",
	[RT_EV_GO_CHAN_RECV_DONE] = "go_chan_recv_done",
	[RT_EV_GO_CHAN_CLOSE] = "go_chan_close",
	[RT_EV_GO_SPAWN] = "go_spawn",
	[RT_EV_GO_GO] = "go_go",
	[RT_EV_GO_EXIT] = "go_exit",
	[RT_EV_GO_LOCK] = "go_lock",
	[RT_EV_GO_LOCK_SLOW] = "go_lock_slow",
	[RT_EV_GO_LOCK_SLOW_DONE] = "go_lock_slow_done",
	[RT_EV_GO_UNLOCK] = "go_unlock",
	[RT_EV_GO_WG_ADD] = "go_wg_add",
	[RT_EV_GO_WG_WAIT] = "go_wg_wait",
	[RT_EV_GO_WG_WAIT_DONE] = "go_wg_wait_done",
	[RT_EV_TICK] = "tick",
	[RT_EV_GO_RLOCK] = "go_rlock",
	[RT_EV_GO_RUNLOCK] = "go_runlock",
	[RT_EV_GO_WLOCK] = "go_wlock",
	[RT_EV_GO_WLOCK_DONE] = "go_wlock_done",
	[RT_EV_GO_WUNLOCK] = "go_wunlock",
	[RT_EV_GO_COND_WAIT] = "go_cond_wait",
	[RT_EV_GO_COND_WAIT_DONE] = "go_cond_wait_done",
	[RT_EV_GO_SIGNAL_NOTIFY] = "go_signal_notify",
	[RT_EV_GO_SELECT] = "go_select",
	[RT_EV_GO_SELECT_DONE] = "go_select_done",
	[RT_EV_GO_ONCE_CHECK] = "go_once_check",
	[RT_EV_GO_ONCE_SLOW] = "go_once_slow",
	[RT_EV_GO_ONCE_SLOW_DONE] = "go_once_slow_done",
	[RT_EV_COND_DESTROY] = "cond_destroy",
	[RT_EV_MEM_ACCESS] = "mem_access",
	[RT_EV_GO_GC] = "go_gc",
};

const char *rt_event_name(unsigned int type)
{
	if (type >= RT_EV_MAX || !names[type])
		return "unknown";
	return names[type];
}

unsigned int rt_event_type_by_name(const char *name)
{
	unsigned int t;

	for (t = 1; t < RT_EV_MAX; t++)
		if (names[t] && strcmp(names[t], name) == 0)
			return t;
	return RT_EV_NONE;
}

const struct rt_event *rt_event_decode(const void *data, size_t sz, const char **why)
{
	const struct rt_event *e = data;

	if (!data || sz < sizeof(struct rt_hdr)) {
		*why = "record shorter than its header";
		return NULL;
	}
	if (sz != sizeof(*e)) {
		*why = "record size does not match its type";
		return NULL;
	}
	if (e->h.type == RT_EV_NONE || e->h.type >= RT_EV_MAX) {
		*why = "unknown record type";
		return NULL;
	}
	if (e->h.flags & ~(RT_EVF_RET | RT_EVF_SYNTH | RT_EVF_INTERNAL | RT_EVF_SCHED |
			   RT_EVF_GO_RUNTIME | RT_EVF_GO_TIME | RT_EVF_GO_TESTING)) {
		*why = "unknown record flags";
		return NULL;
	}
	if (e->h.tid == 0 || e->h.tgid == 0) {
		*why = "record without a thread";
		return NULL;
	}
#ifdef RT_PLANT_UB
	{
		/*
		 * A planted bug, only in `make fuzz-planted` builds (tests/fuzz/planted.sh): a
		 * shift by an untrusted amount, undefined from 32 on, which UBSan reports.
		 */
		volatile int bucket = 1 << (e->h.tid % 64);

		(void)bucket;
	}
#endif
	return e;
}

int rt_event_mark_go_site(struct rt_event *e, int (*cls)(void *ctx, __u32 pid, __u64 site),
			  void *ctx)
{
	__u64 site;
	int c;

	if (e->h.type == RT_EV_GO_SPAWN)
		site = e->caller;
	else if (e->h.type == RT_EV_GO_CHAN_NEW)
		site = e->arg;
	else
		return 0;
	if (!site || !cls)
		return 0;
	c = cls(ctx, e->h.tgid, site);
	if (c <= 0)
		return 0;
	if (e->h.type == RT_EV_GO_SPAWN && (c & RT_SITE_GO_RUNTIME))
		e->h.flags |= RT_EVF_GO_RUNTIME;
	if (e->h.type == RT_EV_GO_SPAWN && (c & RT_SITE_GO_TESTING))
		e->h.flags |= RT_EVF_GO_TESTING;
	if (e->h.type == RT_EV_GO_CHAN_NEW && (c & RT_SITE_GO_TIME))
		e->h.flags |= RT_EVF_GO_TIME;
	return e->h.flags & (RT_EVF_GO_RUNTIME | RT_EVF_GO_TIME | RT_EVF_GO_TESTING) ? 1 : 0;
}
