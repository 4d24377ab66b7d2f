/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Finding and attaching probes: load the BPF skeleton for one or more target processes, attach
 * the futex and scheduler tracepoints, resolve the pthread, semaphore and allocator functions
 * in the modules a target maps (/proc/PID/maps, through /proc/PID/root so other mount
 * namespaces work; a static binary is probed itself), and attach them, and a Go executable's
 * sites placed by goprobe.h, with one uprobe.multi link per module and direction. Detach
 * destroys every link.
 */
#ifndef RT_ATTACH_H
#define RT_ATTACH_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>
#include "events.h"
#include "elf/memsites.h"
#include "lib/probes.h"

struct rt_tracer;


struct rt_tracer_opts {
	pid_t pid;	/* target tgid; 0: several targets, added with rt_tracer__target_add */
	bool verbose;	/* libbpf debug output */
	bool stop_at_exit; /* SIGSTOP the target in exit() (a command we started, and wait for) */
	__u32 probes;	   /* RT_PROBE_* families; 0: tracepoints only */
	__u32 go_goid_off; /* a Go target: runtime.g.goid's offset (0: not Go) */
};

/*
 * Check privileges and kernel support, open and load the skeleton filtered to opts->pid, and
 * attach the futex and scheduler tracepoints. NULL with a one-line reason in err.
 */
struct rt_tracer *rt_tracer__open(const struct rt_tracer_opts *opts, char *err, size_t errlen);

/*
 * Attach uprobes to every module the target maps now that defines a probed function and was
 * not attached yet. Returns the number of modules newly attached (>= 0) or a negative errno
 * with the reason in err.
 */
int rt_tracer__attach_maps(struct rt_tracer *t, pid_t pid, char *err, size_t errlen);

/*
 * Attach to an executable that is about to be exec'ed by the (stopped) target: the file itself
 * and the shared libraries it needs, resolved like the dynamic linker does for standard
 * layouts. Same return convention as rt_tracer__attach_maps.
 */
int rt_tracer__attach_exec(struct rt_tracer *t, pid_t pid, const char *path, char *err,
			   size_t errlen);

/*
 * A process that just exec'ed: attach its executable and the shared libraries it needs, found
 * in its own root (/proc/PID/root) like the dynamic linker finds them for standard layouts,
 * before it has mapped them all, so that its first calls are seen. Same return convention as
 * rt_tracer__attach_maps.
 */
int rt_tracer__attach_needed(struct rt_tracer *t, pid_t pid, char *err, size_t errlen);

/* Several targets (opts.pid == 0): let the BPF filter pass pid's events. 0 or -errno. */
int rt_tracer__target_add(struct rt_tracer *t, pid_t pid);
/* Detach every probe of pid and stop passing its events. */
void rt_tracer__target_remove(struct rt_tracer *t, pid_t pid);
/*
 * Change the probe families of pid (the budget governor sheds and restores them): the links
 * of its modules are re-created. 0 or -errno with err set.
 */
int rt_tracer__set_probes(struct rt_tracer *t, pid_t pid, __u32 probes, char *err,
			  size_t errlen);
__u32 rt_tracer__target_probes(const struct rt_tracer *t, pid_t pid);
/* Several targets: stop (or resume) passing pid's records, probes or not. */
void rt_tracer__target_pause(struct rt_tracer *t, pid_t pid, bool pause);
/*
 * The executable address ranges, in pid, of the modules whose allocator functions we probe
 * (the C library): allocator calls made from there are the library's own bookkeeping. Fills
 * up to max [start, end) pairs; returns how many.
 */
int rt_tracer__alloc_ranges(const struct rt_tracer *t, pid_t pid, __u64 (*ranges)[2], int max);
/* Is caller, in pid, inside those ranges (cached; re-read when modules change)? */
bool rt_tracer__alloc_internal(struct rt_tracer *t, pid_t pid, __u64 caller);

/*
 * A Go executable: attach, for pid, the probe sites goprobe.h places in it (its runtime and
 * sync functions, their returns, and the inlined lock and Once bodies) with one uprobe.multi
 * link. 1 when attached, 0 when path is not a Go program or has none of those functions,
 * -errno with err set.
 */
int rt_tracer__attach_go(struct rt_tracer *t, pid_t pid, const char *path, char *err,
			 size_t errlen);

/*
 * --races: attach the memory-access probe (uprobe_mem) to the n sites ms (memsites.h) of the
 * executable at path, for pid; go: Go code (records carry the goroutine). Sites the kernel
 * refuses to probe are left out and counted (rt_tracer__nmem). 0, or -errno with err set
 * (nothing attached then).
 */
int rt_tracer__attach_mem(struct rt_tracer *t, pid_t pid, const char *path,
			  const struct rt_memsite *ms, size_t n, bool go, char *err, size_t errlen);
/* Detach every memory-access probe (before watching another window of sites). NULL-safe. */
void rt_tracer__detach_mem(struct rt_tracer *t);
/* Memory-access sites attached now; *refused: sites the kernel refused, over the run. */
__u32 rt_tracer__nmem(const struct rt_tracer *t, __u32 *refused);
/* The uprobe_mem cookie of a site (RT_MCK_* in events.h). */
__u64 rt_memsite_cookie(const struct rt_memsite *ms, bool go);

/* Ring buffer map fds, for the stream: event records and stack samples. */
int rt_tracer__events_fd(const struct rt_tracer *t);
int rt_tracer__stacks_fd(const struct rt_tracer *t);
/* exec records (several targets): a ring of their own, see common.bpf.h */
int rt_tracer__execs_fd(const struct rt_tracer *t);
/* Drop counters summed over CPUs. 0 or -errno. */
int rt_tracer__drops(const struct rt_tracer *t, __u64 out[RT_DROP_MAX]);
/* Bit i set when event type i is probed somewhere. */
__u64 rt_tracer__probe_mask(const struct rt_tracer *t);
/* Number of uprobe sites attached. */
__u32 rt_tracer__nprobes(const struct rt_tracer *t);
/* Destroy all links and the skeleton. NULL-safe. */
void rt_tracer__close(struct rt_tracer *t);

#endif /* RT_ATTACH_H */
