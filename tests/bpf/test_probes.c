// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BPF tier: load the real skeleton (verifier acceptance of every program), attach the generic
 * uprobe programs to noinline trigger functions inside this binary with the same cookies the
 * tracer uses, attach the futex and scheduler tracepoints, make an exact number of calls, and
 * check calls made == records received + counted drops, with the fields each record must carry.
 * Like the kernel selftests' uprobe_autoattach test, but nothing is skipped: no root or no BPF
 * is a failure with its reason.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "events.h"
#include "racetrace.skel.h"

#define N_CALLS 10000
#define N_THREADS 8

static int failures, checks;

#define ASSERT_EQ(a, b, name)                                                              \
	do {                                                                               \
		long long a_ = (long long)(a), b_ = (long long)(b);                        \
		checks++;                                                                  \
		if (a_ != b_) {                                                            \
			failures++;                                                        \
			fprintf(stderr, "FAIL %s: %s == %lld, expected %s == %lld\n", name, #a, \
				a_, #b, b_);                                               \
		} else {                                                                   \
			printf("PASS %s\n", name);                                         \
		}                                                                          \
	} while (0)

/* The trigger functions: the probes' stand-ins for pthread_mutex_lock and trylock. */
__attribute__((noinline)) int trigger_lock(void *obj)
{
	asm volatile("" ::"r"(obj) : "memory");
	return 0;
}

__attribute__((noinline)) int trigger_trylock(void *obj, long arg2)
{
	asm volatile("" ::"r"(obj), "r"(arg2) : "memory");
	return 16; /* EBUSY */
}

static __u64 counts[RT_EV_MAX], bad_obj, bad_caller, bad_ret, bad_tgid;
static __u64 lock_obj = 0x1234000, caller_lo, caller_hi;

static int on_record(void *ctx, void *data, size_t sz)
{
	const struct rt_event *e = data;

	if (sz != sizeof(*e) || e->h.type >= RT_EV_MAX)
		return 0;
	counts[e->h.type]++;
	if (e->h.tgid != (__u32)getpid())
		bad_tgid++;
	if (e->h.type == RT_EV_MUTEX_LOCK || e->h.type == RT_EV_MUTEX_TRYLOCK) {
		if (e->obj != lock_obj)
			bad_obj++;
		if (e->caller < caller_lo || e->caller >= caller_hi)
			bad_caller++;
	}
	if (e->h.type == RT_EV_MUTEX_TRYLOCK && e->ret != 16)
		bad_ret++;
	return 0;
}

/* Calls the triggers; its address range bounds the expected caller addresses. */
__attribute__((noinline)) static void call_triggers(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		trigger_lock((void *)lock_obj);
		trigger_trylock((void *)lock_obj, i);
	}
}

__attribute__((noinline)) static void call_triggers_end(void)
{
}

static void *thread_fn(void *arg)
{
	return arg;
}

static long file_offset(const char *sym_addr_fn_name, void *fn)
{
	/* the offset of fn in this executable: map its runtime address through /proc/self/maps */
	char line[512];
	unsigned long long start, end, off;
	FILE *f = fopen("/proc/self/maps", "r");
	long res = -1;

	(void)sym_addr_fn_name;
	while (f && fgets(line, sizeof(line), f)) {
		char perms[8];

		if (sscanf(line, "%llx-%llx %7s %llx", &start, &end, perms, &off) != 4)
			continue;
		if ((unsigned long long)fn >= start && (unsigned long long)fn < end) {
			res = (unsigned long long)fn - start + off;
			break;
		}
	}
	if (f)
		fclose(f);
	return res;
}

/*
 * Contention-only targets (RT_TF_SCHED_WAITS): futex waits from sched_switch alone. N_WAITS
 * waits that sleep (1 ms timeouts) give exactly one wait and one wait-return each, flagged and
 * naming the word and this thread; waits that do not sleep (a changed value) and wakes give
 * nothing, and the syscall tracepoints are not needed. The thread's first switch also gives
 * one wait-return for an unknown wait (one it might have been in when tracing began), and so
 * does a wait whose per-thread entry could not be allocated.
 */
#define N_WAITS 200

static __u64 sw_wait, sw_ret, sw_first, sw_other, sw_bad;
static int sw_word;

static int on_sched_record(void *ctx, void *data, size_t sz)
{
	const struct rt_event *e = data;

	if (sz != sizeof(*e))
		return 0;
	if (e->h.type == RT_EV_FUTEX_WAIT_RET && !e->obj && e->arg == RT_FUTEX_OP_UNKNOWN) {
		sw_first++; /* first sight of the thread: ends a wait learned at attach, if any */
		return 0;
	}
	if (e->h.type == RT_EV_FUTEX_WAIT)
		sw_wait++;
	else if (e->h.type == RT_EV_FUTEX_WAIT_RET)
		sw_ret++;
	else if (e->h.type != RT_EV_THREAD_FORK && e->h.type != RT_EV_THREAD_EXIT)
		sw_other++;
	if ((e->h.type == RT_EV_FUTEX_WAIT || e->h.type == RT_EV_FUTEX_WAIT_RET) &&
	    (e->obj != (__u64)&sw_word || !(e->h.flags & RT_EVF_SCHED) ||
	     e->h.tid != (__u32)syscall(SYS_gettid) || e->h.tgid != (__u32)getpid()))
		sw_bad++;
	return 0;
}

static void test_sched_waits(void)
{
	struct timespec ms = { .tv_nsec = 1000000 };
	struct racetrace_bpf *skel;
	struct ring_buffer *rb = NULL;
	struct bpf_link *sw = NULL;
	int i;

	skel = racetrace_bpf__open();
	if (!skel) {
		ASSERT_EQ(errno, 0, "sched waits: open");
		return;
	}
	skel->rodata->targ_tgid = getpid();
	skel->rodata->targ_flags = RT_TF_SCHED_WAITS;
	ASSERT_EQ(racetrace_bpf__load(skel), 0, "sched waits: load");
	sw = bpf_program__attach(skel->progs.tp_btf_sched_switch);
	ASSERT_EQ(sw != NULL, 1, "sched waits: attach sched_switch");
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_sched_record, NULL, NULL);
	ASSERT_EQ(rb != NULL, 1, "sched waits: ring buffer");
	if (!sw || !rb)
		goto out;
	for (i = 0; i < N_WAITS; i++) {
		syscall(SYS_futex, &sw_word, FUTEX_WAIT_PRIVATE, 0, &ms, NULL, 0);  /* sleeps */
		syscall(SYS_futex, &sw_word, FUTEX_WAIT_PRIVATE, 1, &ms, NULL, 0);  /* EAGAIN */
		syscall(SYS_futex, &sw_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); /* no one */
	}
	ring_buffer__consume(rb);
	ASSERT_EQ(sw_wait, N_WAITS, "sched waits: one wait record per wait that slept");
	/* plus one unknown at the first switch (also one per wait whose entry could not be made) */
	ASSERT_EQ(sw_ret + sw_first, N_WAITS + 1, "sched waits: every wait ends, once");
	ASSERT_EQ(sw_bad, 0, "sched waits: records name the word and the thread, flagged");
	ASSERT_EQ(sw_other, 0, "sched waits: no wake or other futex records");
out:
	ring_buffer__free(rb);
	bpf_link__destroy(sw);
	racetrace_bpf__destroy(skel);
}

int main(void)
{
	LIBBPF_OPTS(bpf_uprobe_multi_opts, uo);
	struct bpf_link *entry = NULL, *ret = NULL, *tps[4] = {};
	struct racetrace_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	unsigned long offs[2];
	__u64 cookies[2], drops[RT_DROP_MAX] = {};
	int ncpu = libbpf_num_possible_cpus(), i, futex_word = 0;
	pthread_t th[N_THREADS];
	__u32 r;

	if (geteuid() != 0) {
		fprintf(stderr, "FAIL setup: the BPF tests need root (CAP_BPF, CAP_PERFMON): run as root\n");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	caller_lo = (__u64)call_triggers;
	caller_hi = (__u64)call_triggers_end;
	if (caller_hi <= caller_lo)
		caller_hi = caller_lo + 4096;

	skel = racetrace_bpf__open();
	if (!skel) {
		fprintf(stderr, "FAIL open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->targ_tgid = getpid();
	ASSERT_EQ(racetrace_bpf__load(skel), 0, "load: the verifier accepts every program");
	if (failures)
		goto out;

	offs[0] = file_offset("trigger_lock", (void *)trigger_lock);
	offs[1] = file_offset("trigger_trylock", (void *)trigger_trylock);
	cookies[0] = RT_EV_MUTEX_LOCK | RT_CK_EMIT | (1ULL << RT_CK_SLOT_SHIFT);
	cookies[1] = RT_CK_STASH | (2ULL << RT_CK_SLOT_SHIFT);
	uo.offsets = offs;
	uo.cookies = cookies;
	uo.cnt = 2;
	entry = bpf_program__attach_uprobe_multi(skel->progs.uprobe_entry, getpid(),
						 "/proc/self/exe", NULL, &uo);
	ASSERT_EQ(entry != NULL, 1, "attach uprobe.multi entry");
	cookies[0] = RT_EV_MUTEX_TRYLOCK | (2ULL << RT_CK_SLOT_SHIFT);
	uo.offsets = &offs[1];
	uo.cookies = cookies;
	uo.cnt = 1;
	uo.retprobe = true;
	ret = bpf_program__attach_uprobe_multi(skel->progs.uretprobe_exit, getpid(),
					       "/proc/self/exe", NULL, &uo);
	ASSERT_EQ(ret != NULL, 1, "attach uprobe.multi return");
	tps[0] = bpf_program__attach(skel->progs.tp_btf_sys_enter);
	tps[1] = bpf_program__attach(skel->progs.tp_btf_sys_exit);
	tps[2] = bpf_program__attach(skel->progs.tp_btf_sched_process_fork);
	tps[3] = bpf_program__attach(skel->progs.tp_btf_sched_process_exit);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(tps[i] != NULL, 1, "attach tp_btf program");
	if (failures)
		goto out;
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, NULL, NULL);
	ASSERT_EQ(rb != NULL, 1, "ring buffer");
	if (!rb)
		goto out;

	/* drain while calling so the 16 MiB ring never fills */
	for (i = 0; i < N_CALLS / 1000; i++) {
		call_triggers(1000);
		ring_buffer__consume(rb);
	}
	for (i = 0; i < N_CALLS; i++)
		syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	for (i = 0; i < N_THREADS; i++)
		pthread_create(&th[i], NULL, thread_fn, NULL);
	for (i = 0; i < N_THREADS; i++)
		pthread_join(th[i], NULL);
	ring_buffer__consume(rb);

	for (r = 0; r < RT_DROP_MAX; r++) {
		__u64 vals[ncpu];
		int c;

		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.drops), &r, vals) == 0)
			for (c = 0; c < ncpu; c++)
				drops[r] += vals[c];
	}
	ASSERT_EQ(counts[RT_EV_MUTEX_LOCK] + drops[RT_DROP_RINGBUF] >= N_CALLS, 1,
		  "entry: calls == records + drops (at least)");
	ASSERT_EQ(counts[RT_EV_MUTEX_LOCK], N_CALLS, "entry: every call recorded");
	ASSERT_EQ(counts[RT_EV_MUTEX_TRYLOCK], N_CALLS, "return: every call recorded");
	ASSERT_EQ(drops[RT_DROP_RINGBUF], 0, "no ring buffer drops");
	ASSERT_EQ(drops[RT_DROP_STASH], 0, "no return without entry");
	ASSERT_EQ(bad_obj, 0, "records carry the object argument");
	ASSERT_EQ(bad_caller, 0, "records carry the caller address");
	ASSERT_EQ(bad_ret, 0, "return records carry the return value");
	ASSERT_EQ(bad_tgid, 0, "only this process is traced");
	/* glibc may add futex calls of its own (thread exit): at least ours */
	ASSERT_EQ(counts[RT_EV_FUTEX_WAKE] >= N_CALLS, 1, "futex wake enter records");
	ASSERT_EQ(counts[RT_EV_FUTEX_WAKE_RET] == counts[RT_EV_FUTEX_WAKE], 1,
		  "futex wake exit pairs with enter");
	ASSERT_EQ(counts[RT_EV_THREAD_FORK], N_THREADS, "sched fork: one per thread created");
	ASSERT_EQ(counts[RT_EV_THREAD_EXIT], N_THREADS, "sched exit: one per thread ended");
out:
	ring_buffer__free(rb);
	bpf_link__destroy(entry);
	bpf_link__destroy(ret);
	for (i = 0; i < 4; i++)
		bpf_link__destroy(tps[i]);
	racetrace_bpf__destroy(skel);
	if (!failures)
		test_sched_waits();
	printf("%d passed, %d failed\n", checks - failures, failures);
	return failures ? 1 : 0;
}
