// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a process already is when we attach, as records: the names of its threads and the
 * futex waits in progress (procscan.h). Fed through the normal path, so recordings keep them.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "probe/procscan.h"
#include "lib/util.h"

#define RT_NR_FUTEX 202

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static __u32 read_u32(int memfd, __u64 addr)
{
	__u32 v = 0;

	if (memfd < 0 || pread(memfd, &v, sizeof(v), addr) != sizeof(v))
		return 0;
	return v;
}

/*
 * Threads already blocked in futex(2) when we attach never show us their wait: read it from
 * /proc/PID/task/TID/syscall (and the lock words from /proc/PID/mem), and feed it as if the
 * kernel had reported it. This is what lets `racetrace -p` on a process that is already
 * deadlocked report the deadlock.
 */
static int learn_blocked_threads(pid_t pid, rt_record_fn fn, void *ctx)
{
	char path[64];
	struct dirent *d;
	int memfd, err = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	memfd = open(path, O_RDONLY | O_CLOEXEC);
	while (!err && (d = readdir(dir))) {
		unsigned long long nr, a[6];
		struct rt_event e = { 0 };
		char line[256];
		FILE *f;
		int tid = atoi(d->d_name);

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(line, sizeof(line), f) ||
		    sscanf(line, "%llu %llx %llx %llx %llx %llx %llx", &nr, &a[0], &a[1], &a[2],
			   &a[3], &a[4], &a[5]) != 7 ||
		    nr != RT_NR_FUTEX) {
			fclose(f);
			continue;
		}
		fclose(f);
		e.h.type = RT_EV_FUTEX_WAIT;
		e.h.flags = RT_EVF_SYNTH;
		e.h.stack_id = RT_NO_STACK;
		e.h.tid = tid;
		e.h.tgid = pid;
		e.h.ktime = now_ns();
		e.obj = a[0];
		e.arg = (a[1] & 0xffffffffULL) | ((a[2] & 0xffffffffULL) << 32);
		e.ret = read_u32(memfd, a[0] + 8);
		e.obj2 = read_u32(memfd, a[0] + 16) | ((__u64)read_u32(memfd, a[0] + 12) << 32);
		err = fn(ctx, &e);
	}
	closedir(dir);
	if (memfd >= 0)
		close(memfd);
	return err;
}

/* tid's id in its own pid namespace (the last NSpid field), 0 when unknown. */
static __u32 ns_tid(pid_t pid, int tid)
{
	char path[64], line[256];
	unsigned long last = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + 6, *end;

		if (strncmp(line, "NSpid:", 6))
			continue;
		for (;;) {
			unsigned long v = strtoul(p, &end, 10);

			if (end == p)
				break;
			last = v;
			p = end;
		}
		break;
	}
	fclose(f);
	return last <= UINT32_MAX ? (__u32)last : 0;
}

/*
 * The names of the threads that run when we attach, as if each had just been renamed, with
 * their ids in the target's pid namespace.
 */
static int learn_thread_names(pid_t pid, rt_record_fn fn, void *ctx)
{
	char path[64];
	struct dirent *d;
	int err = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while (!err && (d = readdir(dir))) {
		struct rt_event e = { 0 };
		char name[32] = "";
		FILE *f;
		int tid = atoi(d->d_name);

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f))
			name[strcspn(name, "\n")] = 0;
		fclose(f);
		e.h.type = RT_EV_THREAD_NAME;
		e.h.flags = RT_EVF_SYNTH;
		e.h.stack_id = RT_NO_STACK;
		e.h.tid = tid;
		e.h.tgid = pid;
		e.h.ktime = now_ns();
		memcpy(&e.obj, name, RT_MIN(strlen(name), 15));
		e.arg = ns_tid(pid, tid);
		err = fn(ctx, &e);
	}
	closedir(dir);
	return err;
}

int rt_proc_learn(pid_t pid, rt_record_fn fn, void *ctx)
{
	int err = learn_thread_names(pid, fn, ctx);

	return err ? err : learn_blocked_threads(pid, fn, ctx);
}
