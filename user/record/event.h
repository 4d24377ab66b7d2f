/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The decoder: checks a raw record (from the ring buffer or a trace file) before any field is
 * trusted, and names event types. Live runs and replays go through the same check.
 */
#ifndef RT_EVENT_H
#define RT_EVENT_H

#include <stddef.h>
#include <linux/types.h>
#include "events.h"

/*
 * Check that data (sz bytes) holds exactly one well-formed record: size, type range, flags.
 * Returns the record (pointing into data, no copy) or NULL with *why set to a static reason.
 */
const struct rt_event *rt_event_decode(const void *data, size_t sz, const char **why);

/* "mutex_lock", "futex_wait", ...; "unknown" for out-of-range types. */
const char *rt_event_name(unsigned int type);

/* A malloc-family or free record (those the C library also makes for itself). */
static inline int rt_alloc_event(const struct rt_event *e)
{
	return e->h.type == RT_EV_ALLOC || e->h.type == RT_EV_FREE || e->h.type == RT_EV_REALLOC;
}

/* A record of the Go probes (lowered by the engine's Go front end). */
static inline int rt_event_is_go(unsigned int type)
{
	/* the Go types: GO_MAP_READ to GO_ONCE_SLOW_DONE, but TICK; later types are listed */
	return (type >= RT_EV_GO_MAP_READ && type <= RT_EV_GO_ONCE_SLOW_DONE &&
		type != RT_EV_TICK) ||
	       type == RT_EV_GO_GC;
}

/* Classes of Go code sites, as the symbolizer tells them (rt_sym__go_class). */
#define RT_SITE_GO_RUNTIME 0x1 /* the runtime's own goroutines (runtime.*, os/signal.*, ...) */
#define RT_SITE_GO_TIME 0x2    /* package time: a channel made there is a timer's */
#define RT_SITE_GO_TESTING 0x4 /* package testing: a goroutine made there runs a test */

/*
 * A record whose Go call site matters (a go_spawn's `go` statement, a go_chan_new's make site):
 * set RT_EVF_GO_RUNTIME, RT_EVF_GO_TIME or RT_EVF_GO_TESTING from cls (RT_SITE_* bits; <= 0: unknown) so that
 * the engine and a replay need only the records. Returns 1 when e was marked, else 0 (e as it
 * was).
 */
int rt_event_mark_go_site(struct rt_event *e, int (*cls)(void *ctx, __u32 pid, __u64 site),
			  void *ctx);

/* Look a type up by its name; returns RT_EV_NONE when unknown. */
unsigned int rt_event_type_by_name(const char *name);

#endif /* RT_EVENT_H */
