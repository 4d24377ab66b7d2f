// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Live tracing: start or find the target, attach, drain the ring buffer on a short timer into
 * the engine (and the trace file with -o), and detach on Ctrl-C, SIGTERM, -d expiry or target
 * exit. The target is never signalled or stopped by us, except the command we start ourselves,
 * which waits on a pipe until the probes are in place, and to which a SIGTERM or SIGINT sent
 * to racetrace is passed on (racetrace keeps tracing until it exits, as `timeout` does). With
 * --json on stdout, the command's stdout is racetrace's stderr: stdout is the JSON stream.
 * A target that exec()s another program is followed into it (same pid): -p says so on stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "probe/attach.h"
#include "probe/goprobe.h"
#include "run/cli.h"
#include "record/event.h"
#include "probe/procscan.h"
#include "engine/hb.h"
#include "detect/registry.h"
#include "lib/log.h"
#include "lib/sabotage.h"
#include "lib/supp.h"
#include "report/report.h"
#include "probe/stream.h"
#include "run/pipeline.h"
#include "sym/symbolize.h"
#include "record/trace.h"
#include "sym/unwind.h"
#include "lib/util.h"

#define RT_DRAIN_INTERVAL_MS 10
#define RT_TICK_INTERVAL_MS 100
#define RT_RESCAN_INTERVAL_MS 500

static volatile sig_atomic_t stop_signal;
/*
 * How many stop signals arrived: the main loop consumes them one at a time, so a second
 * one that lands while the first is being passed on is never lost.
 */
static volatile sig_atomic_t stop_signals;
/* the last signal was sent by a process (kill), not by the terminal to the whole group */
static volatile sig_atomic_t stop_signal_sent;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	stop_signal = sig;
	stop_signal_sent = si && si->si_code != SI_KERNEL;
	stop_signals++;
}

static __u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* --races: the program's memory-access sites and the window of them watched now */
struct races {
	struct rt_memsites ms;
	char path[4096 + 32];
	size_t cap, next; /* window size; first site of the next window */
	__u32 windows;
	__u32 watched;
	__u64 rotate_ns, last;
};

struct live {
	struct hb *hb;
	struct rt_trace_writer *trace;
	int trace_err;
	struct rt_unwinder *unwind;
	struct rt_symbolizer *sym;
	bool maps_loaded; /* the symbolizer has the maps since the last module change */
	bool exit_seen;	  /* the target called exit() (it stops there when we started it) */
	__u32 execs;	  /* exec records of the target not handled yet (follow_exec) */
	char exec_comm[16 + 1];
	struct rt_tracer *tracer;
	struct rt_pipeline *pl;
	struct rt_event tmp; /* a record we had to mark */
	pid_t pid;
};

static int on_stack(void *ctx, const struct rt_stack_sample *s)
{
	struct live *l = ctx;

	if (!l->maps_loaded && (pid_t)s->tgid == l->pid)
		l->maps_loaded = rt_sym__load_maps(l->sym, l->pid) == 0;
	return rt_unwind__sample(l->unwind, s);
}

static int on_event(void *ctx, const struct rt_event *e)
{
	struct live *l = ctx;
	int err;

	if (e->h.type == RT_EV_PROC_EXIT)
		l->exit_seen = true;
	if (e->h.type == RT_EV_EXEC && (pid_t)e->h.tgid == l->pid) {
		l->execs++;
		memcpy(l->exec_comm, &e->obj, 16);
		l->exec_comm[16] = 0;
	}
	/* Go call sites are classified by the symbolizer (rt_pipeline__mark) */
	if (!l->maps_loaded && (pid_t)e->h.tgid == l->pid && e->h.goid)
		l->maps_loaded = rt_sym__load_maps(l->sym, l->pid) == 0;
	if (rt_alloc_event(e) && !(e->h.flags & RT_EVF_INTERNAL) &&
	    rt_tracer__alloc_internal(l->tracer, e->h.tgid, e->caller)) {
		/* the C library's own bookkeeping: marked, so a replay sees it the same way */
		l->tmp = *e;
		l->tmp.h.flags |= RT_EVF_INTERNAL;
		e = &l->tmp;
	}
	e = rt_pipeline__mark(l->pl, e, &l->tmp);
	if (l->trace && !l->trace_err) {
		err = rt_trace_writer__add(l->trace, e);
		if (err)
			l->trace_err = err;
	}
	return hb__event(l->hb, e);
}

_Static_assert(RT_MAX_FRAMES <= RT_TRACE_MAX_FRAMES, "a trace holds every unwound stack");

/*
 * The aux entries of a recording: what `racetrace report` needs to give the same stacks and
 * names (rt_sym__foreach_mapping() and rt_unwind__foreach() callbacks; ctx is the writer). An
 * entry the trace cannot hold (a path above RT_TRACE_MAX_PATH) is left out; a write error stops.
 */
static int trace_mapping(void *ctx, pid_t pid, __u64 start, __u64 end, __u64 off, __u64 seen,
			 const char *path)
{
	int err = rt_trace_writer__add_mapping(ctx, pid, start, end, off, seen, path);

	return err == -EINVAL ? 0 : err;
}

static int trace_stack(void *ctx, __u32 pid, __u64 site, const __u64 *pcs, int n)
{
	int err = rt_trace_writer__add_stack(ctx, pid, site, pcs, n);

	return err == -EINVAL ? 0 : err;
}

/*
 * Records made here go through the same path as the kernel's, so a recording replays them:
 * a tick carries the time (for the deadlock and hang detectors) and the drops so far.
 */
static int emit_tick(struct live *l, pid_t pid, __u64 lost)
{
	struct rt_event e;

	rt_pipeline__tick_event(&e, pid, now_ns(CLOCK_MONOTONIC), lost);
	/* through on_event: a recording has the ticks too, so a replay decides as we did */
	return on_event(l, &e);
}

/*
 * Can path be exec'ed: a regular file with execute permission that is an ELF file or a #!
 * script? 0, or a negative errno with why in err: -ENOENT, -EISDIR, -EACCES, -ENOEXEC.
 */
static int check_cmd(const char *path, char *why, size_t len)
{
	unsigned char magic[4] = { 0 };
	struct stat st;
	int fd;

	if (stat(path, &st)) {
		int err = -errno;

		snprintf(why, len, "%s", err == -ENOENT ? "not found" : strerror(-err));
		return err;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(why, len, "is a directory, not a program");
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "is not a regular file");
		return -EACCES;
	}
	/* root passes access(X_OK) when any execute bit is set; execve wants one too */
	if (access(path, X_OK) || !(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
		snprintf(why, len, "is not executable (no execute permission: chmod +x it)");
		return -EACCES;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		ssize_t n = read(fd, magic, sizeof(magic));

		close(fd);
		if (n < 2 || (memcmp(magic, "\177ELF", 4) && memcmp(magic, "#!", 2))) {
			snprintf(why, len, "is not a program (neither an ELF executable nor a #! script)");
			return -ENOEXEC;
		}
	}
	return 0;
}

#define RT_PF_KTHREAD 0x00200000 /* include/linux/sched.h: a kernel thread */

/*
 * Can pid be traced: a user-space process (a thread group leader) that is alive and is not us?
 * 0, or a negative errno with the reason in err (-ESRCH, -EINVAL).
 */
static int check_pid(pid_t pid, char *err, size_t len)
{
	char path[64], buf[1024], comm[64] = "?", state = 0;
	unsigned long flags = 0;
	char *open_paren, *close_paren;
	long tgid = -1;
	FILE *f;

	if (pid == getpid()) {
		snprintf(err, len, "pid %d is racetrace itself", pid);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		snprintf(err, len, "attach to pid %d: no such process", pid);
		return -ESRCH;
	}
	fclose(f);
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (open_paren && close_paren > open_paren) {
		snprintf(comm, sizeof(comm), "%.*s", (int)(close_paren - open_paren - 1),
			 open_paren + 1);
		/* state ppid pgrp session tty_nr tpgid flags */
		if (sscanf(close_paren + 2, "%c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
			state = 0;
	}
	if (flags & RT_PF_KTHREAD) {
		snprintf(err, len, "pid %d (%s) is a kernel thread: it has no user-space code to "
			 "trace", pid, comm);
		return -EINVAL;
	}
	if (state == 'Z' || state == 'X') {
		snprintf(err, len, "pid %d (%s) is a zombie: it exited and waits for its parent to "
			 "reap it, nothing is left to trace", pid, comm);
		return -ESRCH;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	while (f && fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "Tgid: %ld", &tgid) == 1)
			break;
	if (f)
		fclose(f);
	if (tgid > 0 && tgid != pid) {
		snprintf(err, len, "%d is a thread of process %ld (%s): attach with -p %ld", pid,
			 tgid, comm, tgid);
		return -EINVAL;
	}
	return 0;
}

/*
 * Has pid exited (gone, or a zombie)? While we attach, a failure to read its maps, its
 * executable or its files has that as its real cause, which is the one to tell.
 */
static bool target_gone(pid_t pid)
{
	char path[64], buf[512], *close_paren, state = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return true;
	if (fgets(buf, sizeof(buf), f) && (close_paren = strrchr(buf, ')')))
		state = close_paren[1] == ' ' ? close_paren[2] : 0;
	fclose(f);
	return state == 'Z' || state == 'X';
}

/* An attach step failed with err: say why, once, in one line (-p: the target may be gone). */
static void attach_failed(bool child, pid_t pid, const char *err)
{
	if (!child && target_gone(pid))
		rt_err("pid %d exited while attaching", pid);
	else
		rt_err("%s", err);
}

/* execvp's search, done in the parent so the child only has to execv(). */
static int resolve_cmd(const char *name, char *out, size_t outlen, char *why, size_t len)
{
	const char *path = getenv("PATH");
	char buf[8192], *save = NULL, *dir;

	if (strchr(name, '/')) {
		snprintf(out, outlen, "%s", name);
		return check_cmd(out, why, len);
	}
	snprintf(buf, sizeof(buf), "%s", path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		struct stat st;

		snprintf(out, outlen, "%s/%s", *dir ? dir : ".", name);
		if (!stat(out, &st) && S_ISREG(st.st_mode) && !access(out, X_OK))
			return check_cmd(out, why, len);
	}
	snprintf(why, len, "not found (not in PATH)");
	return -ENOENT;
}

/*
 * Fork the command, stopped on a pipe until *go_fd is written (or closed, which makes it exit
 * 127 without running). stdout_to_stderr: the command's stdout is our stderr (our stdout is
 * the JSON stream). Returns the child pid or -errno.
 */
static pid_t spawn_waiting(const char *path, char **argv, bool stdout_to_stderr, int *go_fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(p[0]);
		close(p[1]);
		return err;
	}
	if (pid == 0) {
		char c;

		close(p[1]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (read(p[0], &c, 1) != 1)
			_exit(127);
		if (stdout_to_stderr && dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
			fprintf(stderr, "racetrace: redirect the command's stdout: %s\n",
				strerror(errno));
			_exit(127);
		}
		execv(path, argv);
		fprintf(stderr, "racetrace: exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(p[0]);
	*go_fd = p[1];
	return pid;
}

static void read_comm(pid_t pid, char *out, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(out, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(out, len, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

/*
 * The target exec'ed (same pid, a new program): the probes of the libraries it keeps follow it
 * (the uprobe.multi links filter on the process, not the program), so attach the new executable
 * and the libraries it needs now, before its first calls, and take its mappings. The links on
 * the old program stay until we detach; they can no longer fire. In -p mode say so, once per
 * exec; in `--` mode the first exec is the command starting, and a later one (`sh -c 'exec
 * prog'`) is the command's own business, logged with -v.
 */
static void follow_exec(struct live *l, bool child)
{
	char err[512], exe[4096 + 32], path[64];
	ssize_t n;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/exe", l->pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	ret = rt_tracer__attach_needed(l->tracer, l->pid, err, sizeof(err));
	if (ret < 0)
		rt_debug("exec: %s", err);
	if (rt_sym__load_maps(l->sym, l->pid) == 0) {
		rt_unwind__invalidate(l->unwind, l->pid);
		l->maps_loaded = false;
	}
	if (child)
		rt_debug("pid %d exec'ed %s (%s)", l->pid, n > 0 ? exe : "?", l->exec_comm);
	else
		fprintf(stderr, "racetrace: pid %d exec'ed %s (%s): following it into the new "
			"program\n", l->pid, n > 0 ? exe : "a new program, gone already",
			l->exec_comm);
}

/* Attach the next window of memory-access sites (all of them when they fit). */
static int races_window(struct rt_tracer *tracer, pid_t pid, struct races *r, char *err,
			size_t errlen)
{
	size_t n = RT_MIN(r->cap, r->ms.n - r->next);
	int ret;

	rt_tracer__detach_mem(tracer);
	ret = rt_tracer__attach_mem(tracer, pid, r->path, r->ms.s + r->next, n, r->ms.go, err,
				    errlen);
	if (ret)
		return ret;
	r->watched = RT_MAX(r->watched, rt_tracer__nmem(tracer, NULL));
	r->windows++;
	r->next = r->next + n >= r->ms.n ? 0 : r->next + n;
	return 0;
}

/* --races: find the sites in the executable and attach the first window. */
static int races_start(const struct rt_env *env, struct rt_tracer *tracer, pid_t pid,
		       const char *path, struct races *r, char *err, size_t errlen)
{
	__u32 refused;
	int ret;

	snprintf(r->path, sizeof(r->path), "%s", path);
	ret = rt_memsites__scan(path, &r->ms, err, errlen);
	if (ret)
		return ret;
	if (!r->ms.n) {
		snprintf(err, errlen, "--races: %s has no memory accesses in its own functions",
			 path);
		return -ENOENT;
	}
	r->cap = env->race_sites ? env->race_sites : RT_RACE_SITES_DEFAULT;
	r->rotate_ns = (env->race_rotate_s > 0 ? env->race_rotate_s : RT_RACE_ROTATE_DEFAULT_S) *
		       1e9;
	ret = races_window(tracer, pid, r, err, errlen);
	if (ret)
		return ret;
	rt_tracer__nmem(tracer, &refused);
	fprintf(stderr,
		"racetrace: races: %zu memory-access sites in %zu functions of %s (%zu atomic, "
		"%zu not probeable); watching %zu at a time%s\n",
		r->ms.n, r->ms.nfuncs, path, r->ms.atomics, r->ms.skipped, RT_MIN(r->cap, r->ms.n),
		r->ms.n > r->cap ? ", rotating" : "");
	if (refused)
		fprintf(stderr, "racetrace: races: the kernel refused uprobes on %u of them "
			"(instructions it cannot single-step; -v lists them): those are not watched\n",
			refused);
	return 0;
}

int rt_live_run(const struct rt_env *env)
{
	struct races races = { 0 };
	struct rt_supp *supp = NULL;
	struct rt_report_opts ropts = { .json = env->json };
	struct rt_pipeline pl = { 0 };
	struct rt_tracer_opts topts = { .verbose = env->verbose, .probes = env->probes };
	struct rt_tracer *tracer = NULL;
	struct rt_stream *stream = NULL;
	struct rt_report *report = NULL;
	struct rt_summary sum = { 0 };
	struct rt_symbolizer *sym = NULL;
	struct hb_stats st;
	struct live l = { 0 };
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };
	char err[512] = "", cmdpath[4096], comm[32], gopath[4096 + 32];
	int status = RT_EXIT_ERROR, go_fd = -1, pidfd = -1, child_status = -1, ret;
	bool stopped = false; /* the child is stopped and we have not continued it */
	__u64 start_ns, last_rescan, last_tick, lost_told = 0, drops[RT_DROP_MAX] = { 0 };
	bool child = env->cmd != NULL, exited = false;
	int forwarded = 0; /* the last signal passed on to the command */
	sig_atomic_t consumed = 0; /* stop signals acted on */
	__u32 execs_seen = 0; /* the command's execs (the first one starts it) */
	FILE *json_out = NULL;
	pid_t pid = env->pid;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (child) {
		ret = resolve_cmd(env->cmd[0], cmdpath, sizeof(cmdpath), err, sizeof(err));
		if (ret) {
			rt_err("command '%s' %s", env->cmd[0], err);
			return RT_EXIT_ERROR;
		}
	} else if (check_pid(pid, err, sizeof(err))) {
		rt_err("%s", err);
		return RT_EXIT_ERROR;
	}
	if (env->json_out) {
		json_out = rt_fopen_private(env->json_out, false);
		if (!json_out) {
			rt_err("open %s: %s", env->json_out, strerror(errno));
			return RT_EXIT_ERROR;
		}
		ropts.json = true;
		ropts.out = json_out;
	}

	if (child) {
		pid = spawn_waiting(cmdpath, env->cmd, env->json && !json_out, &go_fd);
		if (pid < 0) {
			rt_err("start %s: %s", cmdpath, strerror(-pid));
			goto cleanup;
		}
	}
	topts.pid = pid;
	topts.stop_at_exit = child;
	/* a Go program: the probes read goroutine ids, whose offset must be known at load */
	if (child)
		snprintf(gopath, sizeof(gopath), "%s", cmdpath);
	else
		snprintf(gopath, sizeof(gopath), "/proc/%d/exe", pid);
	ret = rt_goprobe__goid_offset(gopath, &topts.go_goid_off, err, sizeof(err));
	if (ret && ret != -ENOEXEC) {
		attach_failed(child, pid, err);
		goto cleanup;
	}
	l.pid = pid;
	tracer = rt_tracer__open(&topts, err, sizeof(err));
	if (!tracer) {
		rt_err("%s", err);
		goto cleanup;
	}
	l.tracer = tracer;
	ret = child ? rt_tracer__attach_exec(tracer, pid, cmdpath, err, sizeof(err)) :
		      rt_tracer__attach_maps(tracer, pid, err, sizeof(err));
	if (ret >= 0 && topts.go_goid_off && !rt_sabotage("nogo"))
		ret = rt_tracer__attach_go(tracer, pid, gopath, err, sizeof(err));
	if (ret < 0) {
		attach_failed(child, pid, err);
		goto cleanup;
	}
	if (ret >= 0 && env->races)
		ret = races_start(env, tracer, pid, gopath, &races, err, sizeof(err));
	if (ret < 0) {
		attach_failed(child, pid, err);
		goto cleanup;
	}
	/* (a sabotaged Go program has none, and is traced anyway: the tests must notice) */
	if (rt_tracer__nprobes(tracer) == 0 && env->probes && !rt_sabotage("nogo")) {
		if (!child && target_gone(pid)) {
			/* its maps were empty or went away as we read them */
			attach_failed(child, pid, "");
			goto cleanup;
		}
		rt_err("pid %d: no pthread or allocator functions found in %s (a stripped static "
		       "binary? racetrace needs symbols for pthread_mutex_lock and friends)",
		       pid, child ? cmdpath : "its executable or libraries");
		goto cleanup;
	}

	if (env->suppressions) {
		supp = rt_supp__load(env->suppressions, err, sizeof(err));
		if (!supp) {
			rt_err("--suppressions %s", errno == ENOMEM ? "out of memory" : err);
			goto cleanup;
		}
		if (env->races && !rt_supp__nrace(supp))
			rt_warn("%s has no race: lines: it suppresses nothing", env->suppressions);
		ropts.supp = supp;
	}
	if (rt_pipeline__init(&pl, ropts, env->no_symbolize, env->hang_threshold_s)) {
		rt_err("out of memory");
		goto cleanup;
	}
	sym = l.sym = pl.sym;
	l.pl = &pl;
	l.unwind = pl.unwind;
	report = pl.report;
	l.hb = rt_pipeline__engine(&pl);
	stream = l.hb ? rt_stream__new(rt_tracer__events_fd(tracer), on_event, &l) : NULL;
	if (!stream || rt_stream__add_stacks(stream, rt_tracer__stacks_fd(tracer), on_stack, &l)) {
		rt_err("setting up the event stream: %s", strerror(errno));
		goto cleanup;
	}
	start_ns = now_ns(CLOCK_MONOTONIC);
	if (env->record) {
		struct rt_trace_info info = {
			.pid = pid,
			.events_abi = RT_EVENTS_ABI,
			.ktime_base = start_ns,
			.realtime_base_ns = now_ns(CLOCK_REALTIME),
			.probe_mask = rt_tracer__probe_mask(tracer),
		};

		read_comm(pid, info.comm, sizeof(info.comm));
		if (child)
			snprintf(info.comm, sizeof(info.comm), "%s",
				 strrchr(cmdpath, '/') ? strrchr(cmdpath, '/') + 1 : cmdpath);
		l.trace = rt_trace_writer__open(env->record, &info);
		if (!l.trace) {
			rt_err("create trace file %s: %s", env->record, strerror(errno));
			goto cleanup;
		}
	}

	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (child) {
		if (write(go_fd, "g", 1) != 1) {
			rt_err("start %s: %s", cmdpath, strerror(errno));
			goto cleanup;
		}
		close(go_fd);
		go_fd = -1;
		snprintf(comm, sizeof(comm), "%s",
			 strrchr(cmdpath, '/') ? strrchr(cmdpath, '/') + 1 : cmdpath);
	} else {
		if (pidfd < 0 && errno == ESRCH) {
			rt_err("pid %d exited while attaching", pid);
			goto cleanup;
		}
		read_comm(pid, comm, sizeof(comm));
	}
	if (!child)
		rt_sym__load_maps(sym, pid);
	if (!child && rt_proc_learn(pid, on_event, &l)) {
		rt_err("processing events: out of memory");
		goto cleanup;
	}
	fprintf(stderr, "racetrace: tracing pid %d (%s), %u probes, Ctrl-C to stop\n", pid, comm,
		rt_tracer__nprobes(tracer));
	last_rescan = last_tick = races.last = now_ns(CLOCK_MONOTONIC);

	for (;;) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
		__u64 now;

		ret = poll(&pfd, pidfd >= 0 ? 1 : 0, RT_DRAIN_INTERVAL_MS);
		/*
		 * A loss is told to the engine before the records around it are processed, and
		 * findings wait for a tick that says no loss happened while they were made.
		 */
		rt_tracer__drops(tracer, drops);
		if (rt_drops_lost(drops) != lost_told ||
		    hb__pending(l.hb)) {
			lost_told = rt_drops_lost(drops);
			if (emit_tick(&l, pid, lost_told)) {
				rt_err("processing events: out of memory");
				goto cleanup;
			}
		}
		if (rt_stream__drain(stream) < 0) {
			rt_err("processing events: out of memory");
			goto cleanup;
		}
		for (; l.execs; l.execs--)
			if (!child || ++execs_seen > 1)
				follow_exec(&l, child);
		if (stop_signals > consumed && child && !forwarded) {
			/*
			 * Pass it on and trace on until the command exits (a terminal's Ctrl-C
			 * reached the command already: it is in our process group). A second
			 * one detaches, as without a command: one that ignores it keeps running.
			 */
			if (stop_signal_sent) {
				fprintf(stderr, "racetrace: passing %s on to pid %d (%s)\n",
					strsignal(stop_signal), pid, comm);
				kill(pid, stop_signal);
				/* as timeout(1): a command stopped by someone must run to see it
				 * (our own stop at exit() is continued below) */
				if (!stopped)
					kill(pid, SIGCONT);
			}
			forwarded = stop_signal;
			consumed++;
		}
		if (stop_signals > consumed)
			break;
		if (child) {
			pid_t w = waitpid(pid, &child_status, WNOHANG | WUNTRACED);

			if (w == pid && WIFSTOPPED(child_status)) {
				/*
				 * Stopped by our exit() probe: take its maps while it has them. A
				 * stop is reported once, so remember it until its exit record is
				 * read (else a stop we did not see the reason for is not ours).
				 */
				stopped = WSTOPSIG(child_status) == SIGSTOP;
				while (rt_stream__drain(stream) > 0)
					;
			}
			if (stopped && l.exit_seen) {
				stopped = false;
				rt_sym__load_maps(sym, pid);
				kill(pid, SIGCONT);
				continue;
			}
			if (w == pid && WIFSTOPPED(child_status))
				continue;
			if (w == pid) {
				exited = true;
				break;
			}
		} else if ((ret > 0 && (pfd.revents & POLLIN)) ||
			   (pidfd < 0 && kill(pid, 0) && errno == ESRCH)) {
			exited = true;
			break;
		}
		now = now_ns(CLOCK_MONOTONIC);
		if (now - last_tick >= RT_TICK_INTERVAL_MS * 1000000ULL) {
			last_tick = now;
			rt_tracer__drops(tracer, drops);
			if (emit_tick(&l, pid, rt_drops_lost(drops))) {
				rt_err("processing events: out of memory");
				goto cleanup;
			}
		}
		if (env->duration_s > 0 && now - start_ns >= env->duration_s * 1e9)
			break;
		if (races.ms.n > races.cap && now - races.last >= races.rotate_ns) {
			races.last = now;
			if (races_window(tracer, pid, &races, err, sizeof(err)) < 0 && !exited)
				rt_debug("races: %s", err);
		}
		if (now - last_rescan >= RT_RESCAN_INTERVAL_MS * 1000000ULL) {
			last_rescan = now;
			/* new libraries (dlopen, or the command's own after exec) */
			ret = rt_tracer__attach_maps(tracer, pid, err, sizeof(err));
			if (ret < 0 && !exited)
				rt_debug("rescan: %s", err);
			/* keep the mappings for symbolizing after the process is gone */
			if (rt_sym__load_maps(sym, pid) == 0 && ret > 0) {
				rt_unwind__invalidate(l.unwind, pid);
				l.maps_loaded = false;
			}
		}
	}

	if (!exited)
		rt_sym__load_maps(sym, pid);
	/* everything the target submitted is in the ring now: take it all */
	while ((ret = rt_stream__drain(stream)) > 0)
		;
	rt_tracer__drops(tracer, drops);
	/* the last tick settles the findings still held */
	if (emit_tick(&l, pid, rt_drops_lost(drops))) {
		rt_err("processing events: out of memory");
		goto cleanup;
	}

	hb__stats(l.hb, &st);
	sum.pid = pid;
	sum.events = st.events;
	memcpy(sum.by_type, st.by_type, sizeof(sum.by_type));
	memcpy(sum.lost_by_reason, drops, sizeof(drops));
	sum.lost = rt_drops_lost(drops);
	sum.threads = st.threads;
	sum.duration_s = (now_ns(CLOCK_MONOTONIC) - start_ns) / 1e9;
	if (env->races) {
		sum.races = true;
		sum.race_sites = races.ms.n;
		sum.race_watched = races.watched;
		rt_tracer__nmem(tracer, &sum.race_refused);
		sum.race_windows = races.windows;
		sum.race_accesses = st.cnt.race_mem_accesses;
		sum.race_addrs =
			rt_detectors_counter(&st.cnt, "racetrace_race_addresses_total", NULL);
		sum.race_suppressed = rt_report__suppressed(report);
		sum.race_evicted = rt_detectors_counter(&st.cnt, "racetrace_engine_evictions_total",
							"race_shadow");
	}
	if (rt_stream__bad(stream))
		rt_warn("%llu malformed records skipped",
			(unsigned long long)rt_stream__bad(stream));
	if (stop_signals > consumed && (!env->json || child) && !json_out)
		fprintf(stderr, "racetrace: detaching from pid %d (%s)\n", pid,
			strsignal(stop_signal));
	if (forwarded && exited)
		rt_debug("pid %d exited after %s", pid, strsignal(forwarded));
	rt_report__summary(report, &sum);

	if (l.trace) {
		struct rt_trace_footer foot = { .events = st.events };

		memcpy(foot.lost, drops, sizeof(drops));
		foot.duration_ns = now_ns(CLOCK_MONOTONIC) - start_ns;
		/* after the last record: every mapping the symbolizer saw, every unwound stack */
		ret = rt_sym__foreach_mapping(sym, trace_mapping, l.trace);
		if (!ret)
			ret = rt_unwind__foreach(l.unwind, trace_stack, l.trace);
		if (ret && !l.trace_err)
			l.trace_err = ret;
		ret = rt_trace_writer__close(l.trace, &foot);
		l.trace = NULL;
		if (ret || l.trace_err) {
			rt_err("writing trace file %s: %s", env->record,
			       strerror(-(ret ? ret : l.trace_err)));
			goto cleanup;
		}
	}

	if (rt_report__count(report))
		status = env->exitcode;
	else if (child && exited && WIFEXITED(child_status))
		status = WEXITSTATUS(child_status);
	else if (child && exited && WIFSIGNALED(child_status))
		status = 128 + WTERMSIG(child_status);
	else
		status = RT_EXIT_OK;

cleanup:
	if (l.trace)
		rt_trace_writer__close(l.trace, &(struct rt_trace_footer){ 0 });
	rt_stream__free(stream);
	/* detach before anything else can fail: no probe outlives us */
	rt_tracer__close(tracer);
	hb__free(l.hb);
	rt_pipeline__fini(&pl);
	rt_memsites__free(&races.ms);
	rt_supp__free(supp);
	if (child && pid > 0 && go_fd < 0 && !exited) {
		kill(pid, SIGCONT); /* never leave it stopped in our exit() probe */
		/* never silently: it is ours, and no longer traced (a second signal, -d, error) */
		if (status == RT_EXIT_ERROR)
			rt_err("%s (pid %d) keeps running, no longer traced", comm, pid);
		else
			rt_warn("%s (pid %d) keeps running, no longer traced", comm, pid);
	}
	if (go_fd >= 0) {
		/* never started: closing the pipe makes the child exit without running */
		close(go_fd);
		waitpid(pid, NULL, 0);
	}
	if (pidfd >= 0)
		close(pidfd);
	if (json_out)
		fclose(json_out);
	return status;
}
