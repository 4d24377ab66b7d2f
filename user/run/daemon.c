// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * racetrace daemon --config FILE: canary mode. One BPF tracer for many targets: processes
 * matching the config's [target] selectors at start and whenever something execs (the exec
 * tracepoint), each with its own engine, all reporting into one finding registry (so the same
 * bug in a restarted process is the same finding, counted). Findings go to a JSON Lines file and,
 * as text, to stderr for the journal; Prometheus metrics are served on loopback (rendered by
 * prom.h, served by metrics.h). A budget governor sheds probe families of a target that produces
 * more events per second than allowed (or when engine memory passes its ceiling) and restores
 * them when load falls. SIGHUP reloads the config and reopens the findings file; SIGINT/SIGTERM
 * stop.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "probe/attach.h"
#include "run/cli.h"
#include "lib/config.h"
#include "record/event.h"
#include "engine/hb.h"
#include "lib/log.h"
#include "run/metrics.h"
#include "run/prom.h"
#include "probe/procscan.h"
#include "report/report.h"
#include "probe/stream.h"
#include "run/pipeline.h"
#include "sym/symbolize.h"
#include "sym/unwind.h"
#include "lib/util.h"

#define RT_D_DRAIN_MS 10
#define RT_D_TICK_MS 100
#define RT_D_SECOND_MS 1000
#define RT_D_GOVERN_MS 250 /* over budget for a quarter second is enough to act */
#define RT_D_RESCAN_MS 500 /* new modules of the targets: their libraries, dlopen */
#define RT_D_EXEC_SLACK_MS 50 /* an exec this soon after we read a process is likely the one read */
#define RT_D_MAX_TARGETS 256
#define RT_D_COST_EMULATED_NS 600 /* per probed call, measured by make bench */

/* Governor levels: what a target keeps. */
static const __u32 level_probes[] = {
	RT_PROBE_ALL,
	RT_PROBE_ALL & ~RT_PROBE_ALLOC,	/* 1: no allocator probes */
	RT_PROBE_THREADS,		/* 2: contention (futex) and deadlocks only */
	0,				/* 3: paused: no events at all */
};
static const char *const level_names[] = { "full", "no allocator probes",
					   "futex contention and deadlocks only",
					   "paused: even contention alone is over budget" };
#define RT_D_LEVELS 4

struct target {
	pid_t pid;
	int pidfd;
	struct hb *hb;
	char comm[16];
	char exe[PATH_MAX];
	__u32 cfg;	   /* index of the matching [target] */
	__u32 base_probes; /* families from the config */
	int level;
	__u64 events, events_last;
	__u64 by_type[RT_EV_MAX];
	__u64 start_ns; /* CLOCK_MONOTONIC before its identity was read: later execs are new */
	__u64 over_since, under_since;
	double cpu_last; /* target CPU seconds at the last second */
	double overhead;
	bool gone;
};

struct daemon {
	const struct rt_env *env;
	struct rt_config cfg;
	struct rt_tracer *tracer;
	struct rt_stream *stream;
	struct rt_pipeline pl; /* the symbolizer, unwinder and sink: */
	struct rt_report *report;
	struct rt_symbolizer *sym;
	struct rt_unwinder *unwind;
	struct rt_metrics *metrics;
	FILE *findings;
	struct target *targets[RT_D_MAX_TARGETS];
	__u32 ntargets;
	struct rt_map target_of; /* pid -> index + 1 */
	__u64 lost_total, findings_by_kind[RT_K_MAX], attached_total, detached_total;
	__u64 exec_lost; /* exec records lost: a rescan of /proc finds what they would have */
	__u64 degrade_events;
	struct hb_counters gone; /* engine counters of targets that exited */
	struct rt_event tmp;	 /* a record we had to mark */
	__u64 start_ns;
};

static volatile sig_atomic_t stop_signal, hup_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void on_hup(int sig)
{
	hup_signal = 1;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void read_str(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "re");

	out[0] = 0;
	if (!f)
		return;
	if (fgets(out, len, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

/* exe, comm and cgroup (v2 path) of pid; false when it is gone or a kernel thread */
static bool proc_identity(pid_t pid, char *exe, size_t elen, char *comm, size_t clen,
			  char *cgroup, size_t glen)
{
	char path[64], line[PATH_MAX + 8];
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, elen - 1);
	if (n <= 0)
		return false;
	exe[n] = 0;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	read_str(path, comm, clen);
	cgroup[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = 0;
			snprintf(cgroup, glen, "%s", line + 3);
			break;
		}
	}
	if (f)
		fclose(f);
	return true;
}

static int match_config(const struct rt_config *cfg, pid_t pid, char *exe, char *comm)
{
	char cgroup[PATH_MAX];
	__u32 i;

	if (pid == getpid() ||
	    !proc_identity(pid, exe, PATH_MAX, comm, 16, cgroup, sizeof(cgroup)))
		return -1;
	for (i = 0; i < cfg->ntargets; i++)
		if (rt_cfg_match(&cfg->targets[i], exe, comm, cgroup))
			return i;
	return -1;
}

static struct target *target_find(struct daemon *d, pid_t pid)
{
	__u64 *v = rt_map_get(&d->target_of, pid);

	return v ? d->targets[*v - 1] : NULL;
}

static void target_free(struct target *t)
{
	if (!t)
		return;
	hb__free(t->hb);
	if (t->pidfd >= 0)
		close(t->pidfd);
	free(t);
}

static void reindex(struct daemon *d)
{
	__u32 i;

	rt_map_free(&d->target_of);
	for (i = 0; i < d->ntargets; i++)
		rt_map_put(&d->target_of, d->targets[i]->pid, i + 1);
}

/* c += the engine's counters */
static void counters_add(struct hb_counters *c, const struct hb *hb)
{
	struct hb_stats st;

	hb__stats(hb, &st);
	hb__counters_add(c, &st.cnt);
}

static void target_remove(struct daemon *d, struct target *t, const char *why)
{
	__u32 i;

	rt_tracer__target_remove(d->tracer, t->pid);
	rt_sym__forget_pid(d->sym, t->pid);
	rt_unwind__forget(d->unwind, t->pid);
	counters_add(&d->gone, t->hb); /* the counters stay monotonic */
	for (i = 0; i < d->ntargets; i++) {
		if (d->targets[i] != t)
			continue;
		memmove(&d->targets[i], &d->targets[i + 1],
			(d->ntargets - i - 1) * sizeof(d->targets[0]));
		d->ntargets--;
		break;
	}
	reindex(d);
	d->detached_total++;
	rt_info("detached from pid %d (%s): %s", t->pid, t->comm, why);
	fprintf(stderr, "racetrace: detached from pid %d (%s): %s\n", t->pid, t->comm, why);
	target_free(t);
}

static int on_event(void *ctx, const struct rt_event *e);

static int target_add(struct daemon *d, pid_t pid, int cfg, const char *exe, const char *comm,
		      __u64 seen_ns)
{
	struct target *t;
	char err[512];
	int ret;

	if (target_find(d, pid) || d->ntargets >= RT_D_MAX_TARGETS)
		return 0;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->pid = pid;
	t->cfg = cfg;
	t->base_probes = d->cfg.targets[cfg].probes;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	snprintf(t->exe, sizeof(t->exe), "%s", exe);
	t->pidfd = syscall(SYS_pidfd_open, pid, 0);
	t->start_ns = seen_ns;
	d->pl.hang_threshold_s = d->cfg.hang_threshold_s; /* a reload may have changed it */
	t->hb = rt_pipeline__engine(&d->pl);
	if (!t->hb || t->pidfd < 0) {
		bool gone = t->pidfd < 0;

		target_free(t);
		return gone ? 0 : -ENOMEM; /* gone already, or out of memory */
	}
	if (rt_tracer__set_probes(d->tracer, pid, t->base_probes, err, sizeof(err)) ||
	    rt_tracer__target_add(d->tracer, pid)) {
		target_free(t);
		return -ENOMEM;
	}
	ret = rt_tracer__attach_maps(d->tracer, pid, err, sizeof(err));
	/* a process that just exec'ed maps its libraries after this: attach them first */
	if (ret >= 0)
		ret = rt_tracer__attach_needed(d->tracer, pid, err, sizeof(err));
	if (ret < 0) {
		rt_warn("pid %d (%s): %s", pid, comm, err);
		rt_tracer__target_remove(d->tracer, pid);
		target_free(t);
		return 0;
	}
	d->targets[d->ntargets++] = t;
	reindex(d);
	d->attached_total++;
	rt_sym__load_maps(d->sym, pid);
	rt_proc_learn(pid, on_event, d);
	fprintf(stderr, "racetrace: attached to pid %d (%s, %s) by [target] %s\n", pid, comm, exe,
		d->cfg.targets[cfg].name[0] ? d->cfg.targets[cfg].name : "#");
	return 0;
}

/*
 * Attach what the targets mapped since the last look: the libraries the dynamic linker maps
 * after the exec we attached at, and dlopen'ed ones. Known files cost a lookup each.
 */
static void rescan_targets(struct daemon *d)
{
	char err[512];
	__u32 i;

	for (i = 0; i < d->ntargets; i++) {
		pid_t pid = d->targets[i]->pid;
		int ret = rt_tracer__attach_maps(d->tracer, pid, err, sizeof(err));

		if (ret < 0) {
			rt_debug("rescan of pid %d: %s", pid, err);
		} else if (ret > 0) {
			rt_sym__load_maps(d->sym, pid);
			rt_unwind__invalidate(d->unwind, pid);
		}
	}
}

/*
 * The capabilities the daemon keeps once its BPF programs are loaded (docs/security.md): what
 * attaching to new targets needs. CAP_BPF and CAP_PERFMON for links and maps, CAP_SYS_PTRACE
 * for /proc/PID/ of other users' processes and their roots, CAP_DAC_READ_SEARCH for the files
 * they map, CAP_CHECKPOINT_RESTORE for /proc/PID/map_files/ (deleted and container files).
 */
static const int keep_caps[] = { CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH,
				 CAP_CHECKPOINT_RESTORE };

/*
 * Drop every other capability, from the effective, permitted, inheritable and ambient sets
 * and (with CAP_SETPCAP) the bounding set, in this thread: call it before any other thread is
 * made. 0 or -errno.
 */
static int drop_capabilities(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	__u64 keep = 0, prm;
	size_t i;
	int c;

	for (i = 0; i < RT_ARRAY_SIZE(keep_caps); i++)
		keep |= 1ULL << keep_caps[i];
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	/* the bounding set first: dropping from it needs CAP_SETPCAP, which goes next */
	if (data[0].effective & (1U << CAP_SETPCAP))
		for (c = 0; c < 64 && prctl(PR_CAPBSET_READ, c) >= 0; c++)
			if (!(keep & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c))
				return -errno;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	prm = ((__u64)data[1].permitted << 32 | data[0].permitted) & keep;
	data[0].permitted = data[0].effective = (__u32)prm;
	data[1].permitted = data[1].effective = (__u32)(prm >> 32);
	data[0].inheritable = data[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

/* Attach every running process that matches and is not traced yet. */
static void scan_processes(struct daemon *d)
{
	struct dirent *de;
	DIR *dir = opendir("/proc");

	while (dir && (de = readdir(dir))) {
		char exe[PATH_MAX], comm[16];
		pid_t pid = atoi(de->d_name);
		int cfg;

		__u64 seen = now_ns();

		if (pid <= 0 || target_find(d, pid))
			continue;
		cfg = match_config(&d->cfg, pid, exe, comm);
		if (cfg >= 0)
			target_add(d, pid, cfg, exe, comm, seen);
	}
	if (dir)
		closedir(dir);
}

/*
 * Is an exec record of target t one we attached after (a chain such as unshare, chroot, then
 * the service, whose records are read late)? Yes when it happened before we read t's identity,
 * or just after (the kernel switches /proc/PID/exe before the exec tracepoint fires) while
 * /proc/PID/exe is still what we attached to, or the process is gone.
 */
static bool exec_seen(const struct target *t, __u64 ktime)
{
	char path[64], exe[PATH_MAX];
	ssize_t n;

	if (ktime < t->start_ns)
		return true;
	if (ktime >= t->start_ns + RT_D_EXEC_SLACK_MS * 1000000ULL)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/exe", t->pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return true;
	exe[n] = 0;
	return !strcmp(exe, t->exe);
}

static int on_event(void *ctx, const struct rt_event *e)
{
	struct daemon *d = ctx;
	struct target *t;

	if (e->h.type == RT_EV_EXEC) {
		char exe[PATH_MAX], comm[16];
		__u64 seen = now_ns();
		int cfg;

		t = target_find(d, e->h.tgid);
		if (t && exec_seen(t, e->h.ktime))
			return 0;
		if (t) /* a new program in a traced process: its modules changed */
			target_remove(d, t, "it exec'ed a new program");
		cfg = match_config(&d->cfg, e->h.tgid, exe, comm);
		if (cfg >= 0)
			return target_add(d, e->h.tgid, cfg, exe, comm, seen);
		return 0;
	}
	t = target_find(d, e->h.tgid);
	if (!t)
		return 0; /* a record that was in flight when we detached */
	if (rt_alloc_event(e) && !(e->h.flags & RT_EVF_INTERNAL) &&
	    rt_tracer__alloc_internal(d->tracer, e->h.tgid, e->caller)) {
		d->tmp = *e;
		d->tmp.h.flags |= RT_EVF_INTERNAL;
		e = &d->tmp;
	}
	e = rt_pipeline__mark(&d->pl, e, &d->tmp);
	t->events++;
	t->by_type[e->h.type]++;
	return hb__event(t->hb, e);
}

static int on_stack(void *ctx, const struct rt_stack_sample *s)
{
	struct daemon *d = ctx;

	return rt_unwind__sample(d->unwind, s);
}

/* A tick for every target's engine. 0, or -ENOMEM. */
static int tick(struct daemon *d, __u64 lost)
{
	__u32 i;
	int err;

	for (i = 0; i < d->ntargets; i++) {
		struct rt_event e;

		rt_pipeline__tick_event(&e, d->targets[i]->pid, now_ns(), lost);
		err = hb__event(d->targets[i]->hb, &e);
		if (err)
			return err;
	}
	return 0;
}

static bool any_pending(const struct daemon *d)
{
	__u32 i;

	for (i = 0; i < d->ntargets; i++)
		if (hb__pending(d->targets[i]->hb))
			return true;
	return false;
}

static double proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			 &st) != 2)
		return 0;
	return (ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static __u64 self_rss_bytes(void)
{
	unsigned long long size = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%llu %llu", &size, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * sysconf(_SC_PAGESIZE);
}

/* Once a second: the budget governor, per target. */
static void govern(struct daemon *d, double dt)
{
	__u64 mem = self_rss_bytes(), now = now_ns();
	__u32 i;

	for (i = 0; i < d->ntargets; i++) {
		struct target *t = d->targets[i];
		double rate = (t->events - t->events_last) / dt, cpu = proc_cpu_s(t->pid);
		bool over = (d->cfg.max_events_per_s && rate > d->cfg.max_events_per_s) ||
			    (d->cfg.max_memory_bytes && mem > d->cfg.max_memory_bytes);
		bool under = (!d->cfg.max_events_per_s || rate < d->cfg.max_events_per_s / 2.0) &&
			     (!d->cfg.max_memory_bytes || mem < d->cfg.max_memory_bytes * 0.8);
		int level = t->level;
		char err[512];

		/* estimated share of the target's CPU time spent in our probes */
		if (cpu > t->cpu_last)
			t->overhead = rate * dt * RT_D_COST_EMULATED_NS / 1e9 / (cpu - t->cpu_last);
		t->cpu_last = cpu;
		t->events_last = t->events;
		if (over && level < RT_D_LEVELS - 1) {
			/* far over: skip a level rather than pay for another quarter second */
			level += (d->cfg.max_events_per_s && rate > 4.0 * d->cfg.max_events_per_s) ? 2 : 1;
			if (level > RT_D_LEVELS - 1)
				level = RT_D_LEVELS - 1;
		} else if (under && level > 0) {
			if (!t->under_since)
				t->under_since = now;
			if (now - t->under_since >= d->cfg.recover_after_s * 1e9)
				level--;
		}
		if (!under)
			t->under_since = 0;
		if (level == t->level)
			continue;
		if (rt_tracer__set_probes(d->tracer, t->pid, t->base_probes & level_probes[level],
					  err, sizeof(err))) {
			rt_warn("pid %d: governor: %s", t->pid, err);
			continue;
		}
		/* the last level also stops the tracepoints' records for it */
		rt_tracer__target_pause(d->tracer, t->pid, level == RT_D_LEVELS - 1);
		fprintf(stderr,
			"racetrace: pid %d (%s): %.0f events/s, engine %llu MiB: %s to level %d "
			"(%s)\n",
			t->pid, t->comm, rate, (unsigned long long)(mem >> 20),
			level > t->level ? "over budget, degrading" : "load fell, restoring", level,
			level_names[level]);
		if (level > t->level)
			d->degrade_events++;
		/* calls were missed around the change: like a loss (hb.h) */
		hb__probes_changed(t->hb, now_ns());
		t->level = level;
		t->under_since = 0;
	}
}

/* Render the metrics and hand them to the server, when there is one. */
static void publish_metrics(struct daemon *d, __u64 lost)
{
	struct rt_prom_target pt[RT_D_MAX_TARGETS];
	struct rt_mbuf b = { 0 };
	struct rt_prom p;
	__u32 i;

	if (!d->metrics)
		return;
	p = (struct rt_prom){
		.targets = pt,
		.ntargets = d->ntargets,
		.report = d->report,
		.sym = d->sym,
		.unwind = d->unwind,
		.counters = d->gone, /* targets that exited, then the live ones */
		.lost = lost,
		.memory_bytes = self_rss_bytes(),
		.degradations = d->degrade_events,
	};
	for (i = 0; i < d->ntargets; i++) {
		const struct target *t = d->targets[i];

		pt[i] = (struct rt_prom_target){ .pid = t->pid, .hb = t->hb, .by_type = t->by_type,
						 .overhead = t->overhead, .level = t->level };
		counters_add(&p.counters, t->hb);
	}
	rt_prom__render(&b, &p);
	if (!b.err)
		rt_metrics__publish(d->metrics, b.p, b.len);
	rt_mbuf_free(&b);
}

static int open_findings(struct daemon *d)
{
	FILE *f;

	if (!d->cfg.findings[0]) {
		/* none (any more): findings go to stdout, the journal */
		if (d->findings) {
			rt_report__set_out(d->report, stdout);
			fclose(d->findings);
			d->findings = NULL;
		}
		return 0;
	}
	f = rt_fopen_private(d->cfg.findings, true);
	if (!f) {
		rt_err("open findings file %s: %s", d->cfg.findings, strerror(errno));
		return -errno;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	if (d->findings)
		fclose(d->findings);
	d->findings = f;
	rt_report__set_out(d->report, f);
	return 0;
}

/* The command line's --metrics and --json-out win over the config, at start and on reload. */
static void apply_overrides(struct rt_config *c, const struct rt_env *env)
{
	if (env->metrics)
		snprintf(c->metrics, sizeof(c->metrics), "%s", env->metrics);
	if (env->json_out)
		snprintf(c->findings, sizeof(c->findings), "%s", env->json_out);
}

/*
 * [output] metrics changed on a reload: serve on the new address, or on none. When the new
 * address cannot be bound, the old listener stays (and so does its address in the config).
 */
static void move_metrics(struct daemon *d, const char *old)
{
	struct rt_metrics *m = NULL;
	char err[512];

	if (!strcmp(old, d->cfg.metrics))
		return;
	if (d->cfg.metrics[0]) {
		m = rt_metrics__start(d->cfg.metrics, err, sizeof(err));
		if (!m) {
			rt_err("reload: metrics on %s: %s (still on %s)", d->cfg.metrics, err,
			       old[0] ? old : "nothing");
			snprintf(d->cfg.metrics, sizeof(d->cfg.metrics), "%s", old);
			return;
		}
	}
	rt_metrics__stop(d->metrics);
	d->metrics = m;
	fprintf(stderr, "racetrace: metrics %s%s\n", m ? "now on " : "off", m ? d->cfg.metrics : "");
}

static void reload(struct daemon *d)
{
	char old_metrics[sizeof(d->cfg.metrics)];
	struct rt_config c;
	char err[512];
	__u32 i;

	if (rt_config_load(&c, d->env->config, err, sizeof(err))) {
		rt_err("reload: %s (keeping the old config)", err);
		return;
	}
	apply_overrides(&c, d->env);
	snprintf(old_metrics, sizeof(old_metrics), "%s", d->cfg.metrics);
	d->cfg = c;
	move_metrics(d, old_metrics);
	open_findings(d);
	/* targets that no longer match are dropped; unchanged ones keep their state */
	for (i = 0; i < d->ntargets;) {
		char exe[PATH_MAX], comm[16];
		struct target *t = d->targets[i];
		int cfg = match_config(&d->cfg, t->pid, exe, comm);

		if (cfg < 0) {
			target_remove(d, t, "no longer selected by the config");
			continue;
		}
		t->cfg = cfg;
		i++;
	}
	scan_processes(d);
	fprintf(stderr, "racetrace: config reloaded: %u targets attached\n", d->ntargets);
}

int rt_daemon_run(const struct rt_env *env)
{
	struct sigaction sa_stop = { .sa_handler = on_stop }, sa_hup = { .sa_handler = on_hup };
	struct rt_tracer_opts topts = { .verbose = env->verbose, .probes = RT_PROBE_ALL };
	struct rt_report_opts ropts = { .json = true };
	__u64 last_tick, last_second, last_govern, last_rescan, drops[RT_DROP_MAX] = { 0 };
	struct daemon d = { .env = env };
	int status = RT_EXIT_ERROR, ret;
	char err[512];
	__u32 i;

	if (rt_config_load(&d.cfg, env->config, err, sizeof(err))) {
		rt_err("%s", err);
		return RT_EXIT_ERROR;
	}
	apply_overrides(&d.cfg, env);
	sigaction(SIGINT, &sa_stop, NULL);
	sigaction(SIGTERM, &sa_stop, NULL);
	sigaction(SIGHUP, &sa_hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	rt_map_init(&d.target_of);

	ropts.out = stdout;
	ropts.text_out = stderr;
	ropts.reprint_new_pid = true;
	if (rt_pipeline__init(&d.pl, ropts, false, d.cfg.hang_threshold_s)) {
		rt_err("out of memory");
		goto cleanup;
	}
	d.sym = d.pl.sym;
	d.unwind = d.pl.unwind;
	d.report = d.pl.report;
	if (!d.report || open_findings(&d))
		goto cleanup;
	d.tracer = rt_tracer__open(&topts, err, sizeof(err));
	if (!d.tracer) {
		rt_err("%s", err);
		goto cleanup;
	}
	d.stream = rt_stream__new(rt_tracer__events_fd(d.tracer), on_event, &d);
	if (!d.stream ||
	    rt_stream__add_stacks(d.stream, rt_tracer__stacks_fd(d.tracer), on_stack, &d) ||
	    rt_stream__add_ring(d.stream, rt_tracer__execs_fd(d.tracer))) {
		rt_err("setting up the event stream: %s", strerror(errno));
		goto cleanup;
	}
	/* loaded: keep only what attaching needs, before the metrics server's threads exist */
	ret = drop_capabilities();
	if (ret) {
		rt_err("dropping capabilities: %s", strerror(-ret));
		goto cleanup;
	}
	if (d.cfg.metrics[0]) {
		d.metrics = rt_metrics__start(d.cfg.metrics, err, sizeof(err));
		if (!d.metrics) {
			rt_err("%s", err);
			goto cleanup;
		}
	}
	scan_processes(&d);
	fprintf(stderr, "racetrace: daemon running with %u [target] selectors, %u processes "
			"attached%s%s\n",
		d.cfg.ntargets, d.ntargets, d.cfg.metrics[0] ? ", metrics on " : "",
		d.cfg.metrics);
	d.start_ns = last_tick = last_second = last_govern = last_rescan = now_ns();
	publish_metrics(&d, 0);

	while (!stop_signal) {
		__u64 now;

		poll(NULL, 0, RT_D_DRAIN_MS);
		/* a loss is told to the engines before the records around it are processed */
		rt_tracer__drops(d.tracer, drops);
		if (rt_drops_lost(drops) != d.lost_total ||
		    any_pending(&d)) {
			d.lost_total = rt_drops_lost(drops);
			if (tick(&d, d.lost_total))
				goto nomem;
		}
		if (rt_stream__drain(d.stream) < 0)
			goto nomem;
		if (hup_signal) {
			hup_signal = 0;
			reload(&d);
		}
		if (drops[RT_DROP_EXEC] != d.exec_lost) {
			fprintf(stderr, "racetrace: %llu exec records lost (exec storm): rescanning "
				"/proc for targets\n",
				(unsigned long long)(drops[RT_DROP_EXEC] - d.exec_lost));
			d.exec_lost = drops[RT_DROP_EXEC];
			scan_processes(&d);
		}
		/* targets that exited */
		for (i = 0; i < d.ntargets;) {
			struct pollfd pfd = { .fd = d.targets[i]->pidfd, .events = POLLIN };

			if (poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN)) {
				while (rt_stream__drain(d.stream) > 0)
					;
				/* settle what its engine still holds before it goes */
				rt_tracer__drops(d.tracer, drops);
				d.lost_total = rt_drops_lost(drops);
				if (tick(&d, d.lost_total))
					goto nomem;
				target_remove(&d, d.targets[i], "it exited");
				continue;
			}
			i++;
		}
		now = now_ns();
		if (now - last_tick >= RT_D_TICK_MS * 1000000ULL) {
			last_tick = now;
			rt_tracer__drops(d.tracer, drops);
			if (tick(&d, rt_drops_lost(drops)))
				goto nomem;
		}
		if (now - last_govern >= RT_D_GOVERN_MS * 1000000ULL) {
			govern(&d, (now - last_govern) / 1e9);
			last_govern = now;
		}
		if (now - last_rescan >= RT_D_RESCAN_MS * 1000000ULL) {
			last_rescan = now;
			rescan_targets(&d);
		}
		if (now - last_second >= RT_D_SECOND_MS * 1000000ULL) {
			last_second = now;
			for (i = 0; i < d.ntargets; i++)
				rt_sym__load_maps(d.sym, d.targets[i]->pid);
			publish_metrics(&d, rt_drops_lost(drops));
		}
	}
	fprintf(stderr, "racetrace: daemon stopping (%s)\n", strsignal(stop_signal));
	status = RT_EXIT_OK;
	if (0) {
nomem:
		rt_err("processing events: out of memory");
	}
cleanup:
	rt_metrics__stop(d.metrics);
	rt_stream__free(d.stream);
	rt_tracer__close(d.tracer); /* detach everything first */
	for (i = 0; i < d.ntargets; i++)
		target_free(d.targets[i]);
	rt_map_free(&d.target_of);
	rt_pipeline__fini(&d.pl);
	if (d.findings)
		fclose(d.findings);
	return status;
}
