/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Go probe placement: where in a Go executable the probes go and what each one emits, from the
 * file alone (goelf.h, probeaddr.h). The runtime and sync functions of go_probes[] are probed at
 * entry, on the stack check's jump (skipping the first pass when morestack runs the function
 * again), and at each of their return instructions (never uretprobes: goroutine stacks move);
 * the inlined Mutex.Lock/Unlock, RWMutex.RLock/RUnlock and Once.Do bodies around their atomic
 * or fast-path load, with the lock's operand in the cookie. Every site is an entry site of
 * uprobe_entry; attaching them is attach.c's (rt_tracer__attach_go).
 */
#ifndef RT_GOPROBE_H
#define RT_GOPROBE_H

#include <stddef.h>
#include <linux/types.h>

/* The probe sites of one Go executable, for one uprobe.multi link. */
struct rt_goprobe_sites {
	unsigned long *off; /* file offsets */
	__u64 *cookie;	    /* each site's cookie (RT_CK_* bits, bpf/events.h) */
	size_t n, cap;
	/* inlined bodies probed, by function, and bodies skipped (no register holds the lock) */
	__u32 inlined_lock, inlined_unlock, inlined_rlock, inlined_runlock, inlined_once, skipped;
	char version[64]; /* the Go release, e.g. "go1.21.6" */
	/* for a release newer than racetrace knows, the one line to print; else "" */
	char support[512];
};

/*
 * Place the probes of the Go executable at path into *gs (zeroed first). 1 when it is Go
 * (gs->n may still be 0), 0 when it is not, -errno with err set. Free gs with
 * rt_goprobe__sites_free in every case.
 */
int rt_goprobe__place(const char *path, struct rt_goprobe_sites *gs, char *err, size_t errlen);
/* Free the site arrays of s; s itself is the caller's. */
void rt_goprobe__sites_free(struct rt_goprobe_sites *s);
/*
 * runtime.g.goid's offset in the Go program at path, for rt_tracer_opts.go_goid_off. 0, or
 * -errno with err set (-ENOEXEC: path is not a Go program).
 */
int rt_goprobe__goid_offset(const char *path, __u32 *off, char *err, size_t errlen);

#endif /* RT_GOPROBE_H */
