// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * attach.h: load the skeleton for one target, resolve probe sites in its modules with libelf
 * (.dynsym and .symtab, every symbol version), attach them with uprobe.multi links carrying
 * per-site cookies, and destroy everything on close. The probe table below is the single list
 * of the C functions racetrace probes and what each probe emits; the sites in a Go executable
 * come from goprobe.h and are attached here the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/resource.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "probe/attach.h"
#include "probe/goprobe.h"
#include "lib/log.h"
#include "elf/probeaddr.h"
#include "racetrace.skel.h"
#include "lib/util.h"

#define RT_MAX_SITES 256 /* per module and direction */

/* What happens at one probed function. */
struct probe_spec {
	const char *name;
	__u32 family;	  /* RT_PROBE_* */
	__u16 entry_type; /* emitted at entry when flags has RT_CK_EMIT */
	__u16 ret_type;	  /* emitted at return when nonzero (needs RT_CK_STASH) */
	__u64 flags;	  /* RT_CK_* bits */
};

#define E RT_CK_EMIT
#define S RT_CK_STASH
#define K RT_CK_STACK
static const struct probe_spec probes[] = {
	{ "pthread_create", RT_PROBE_THREADS, 0, RT_EV_PTHREAD_CREATE, S | RT_CK_DEREF_ARG1 | K },
	{ "pthread_join", RT_PROBE_THREADS, RT_EV_PTHREAD_JOIN, RT_EV_PTHREAD_JOIN_RET, E | S },
	{ "pthread_exit", RT_PROBE_THREADS, RT_EV_PTHREAD_EXIT, 0, E },
	{ "exit", RT_PROBE_THREADS, RT_EV_PROC_EXIT, 0, E },
	{ "pthread_mutex_lock", RT_PROBE_LOCKS, RT_EV_MUTEX_LOCK, 0, E | K },
	{ "pthread_mutex_trylock", RT_PROBE_LOCKS, 0, RT_EV_MUTEX_TRYLOCK, S | K },
	{ "pthread_mutex_timedlock", RT_PROBE_LOCKS, 0, RT_EV_MUTEX_TIMEDLOCK, S | K },
	{ "pthread_mutex_clocklock", RT_PROBE_LOCKS, 0, RT_EV_MUTEX_TIMEDLOCK, S | K },
	{ "pthread_mutex_unlock", RT_PROBE_LOCKS, RT_EV_MUTEX_UNLOCK, 0, E | K },
	{ "pthread_mutex_destroy", RT_PROBE_LOCKS, RT_EV_MUTEX_DESTROY, 0, E | K },
	{ "pthread_rwlock_rdlock", RT_PROBE_LOCKS, RT_EV_RWLOCK_RDLOCK, 0, E | K },
	{ "pthread_rwlock_wrlock", RT_PROBE_LOCKS, RT_EV_RWLOCK_WRLOCK, 0, E | K },
	{ "pthread_rwlock_tryrdlock", RT_PROBE_LOCKS, 0, RT_EV_RWLOCK_TRYRDLOCK, S | K },
	{ "pthread_rwlock_timedrdlock", RT_PROBE_LOCKS, 0, RT_EV_RWLOCK_TRYRDLOCK, S | K },
	{ "pthread_rwlock_clockrdlock", RT_PROBE_LOCKS, 0, RT_EV_RWLOCK_TRYRDLOCK, S | K },
	{ "pthread_rwlock_trywrlock", RT_PROBE_LOCKS, 0, RT_EV_RWLOCK_TRYWRLOCK, S | K },
	{ "pthread_rwlock_timedwrlock", RT_PROBE_LOCKS, 0, RT_EV_RWLOCK_TRYWRLOCK, S | K },
	{ "pthread_rwlock_clockwrlock", RT_PROBE_LOCKS, 0, RT_EV_RWLOCK_TRYWRLOCK, S | K },
	{ "pthread_rwlock_unlock", RT_PROBE_LOCKS, RT_EV_RWLOCK_UNLOCK, 0, E | K },
	{ "pthread_spin_lock", RT_PROBE_LOCKS, RT_EV_SPIN_LOCK, 0, E | K },
	{ "pthread_spin_trylock", RT_PROBE_LOCKS, 0, RT_EV_SPIN_TRYLOCK, S | K },
	/* glibc's pthread_spin_init is the same code as pthread_spin_unlock */
	{ "pthread_spin_unlock", RT_PROBE_LOCKS, RT_EV_SPIN_UNLOCK, 0, E | K },
	{ "pthread_cond_wait", RT_PROBE_COND, RT_EV_COND_WAIT, RT_EV_COND_WAIT_RET, E | S | K },
	{ "pthread_cond_timedwait", RT_PROBE_COND, RT_EV_COND_WAIT, RT_EV_COND_WAIT_RET,
	  E | S | K | RT_CK_TIMED },
	{ "pthread_cond_clockwait", RT_PROBE_COND, RT_EV_COND_WAIT, RT_EV_COND_WAIT_RET,
	  E | S | K | RT_CK_TIMED },
	{ "pthread_cond_signal", RT_PROBE_COND, RT_EV_COND_SIGNAL, 0, E },
	{ "pthread_cond_broadcast", RT_PROBE_COND, RT_EV_COND_BROADCAST, 0, E },
	{ "pthread_cond_destroy", RT_PROBE_COND, RT_EV_COND_DESTROY, 0, E | K },
	{ "sem_wait", RT_PROBE_SEM, 0, RT_EV_SEM_WAIT, S },
	{ "sem_timedwait", RT_PROBE_SEM, 0, RT_EV_SEM_WAIT, S },
	{ "sem_clockwait", RT_PROBE_SEM, 0, RT_EV_SEM_WAIT, S },
	{ "sem_trywait", RT_PROBE_SEM, 0, RT_EV_SEM_WAIT, S },
	{ "sem_post", RT_PROBE_SEM, RT_EV_SEM_POST, 0, E },
	{ "malloc", RT_PROBE_ALLOC, 0, RT_EV_ALLOC, S | K },
	{ "calloc", RT_PROBE_ALLOC, 0, RT_EV_ALLOC, S | RT_CK_ARG_SIZE2 | K },
	{ "realloc", RT_PROBE_ALLOC, 0, RT_EV_REALLOC, S | K },
	{ "aligned_alloc", RT_PROBE_ALLOC, 0, RT_EV_ALLOC, S | RT_CK_SIZE_ARG2 | K },
	{ "memalign", RT_PROBE_ALLOC, 0, RT_EV_ALLOC, S | RT_CK_SIZE_ARG2 | K },
	{ "posix_memalign", RT_PROBE_ALLOC, 0, RT_EV_ALLOC, S | RT_CK_SIZE_ARG3 | RT_CK_DEREF_ARG1 | K },
	{ "valloc", RT_PROBE_ALLOC, 0, RT_EV_ALLOC, S | K },
	{ "pvalloc", RT_PROBE_ALLOC, 0, RT_EV_ALLOC, S | K },
	{ "free", RT_PROBE_ALLOC, RT_EV_FREE, 0, E | K },
};
#undef E
#undef S
#undef K

struct module {
	pid_t pid;
	__u32 probes; /* families attached */
	dev_t dev;    /* of the file, as the target's maps name it */
	ino_t ino;
	int fd;	      /* the file itself, held open: reached as /proc/self/fd/N (file_path) */
	char path[PATH_MAX]; /* as the target names it, for messages */
	struct bpf_link *entry_link;
	struct bpf_link *ret_link;
	__u32 nsites;
	__u64 mask; /* event types its sites emit */
};

struct target_probes {
	pid_t pid;
	__u32 probes;
	bool paused; /* rt_tracer__target_pause: no records, so no tracepoint needed for it */
};

#define RT_ALLOC_RANGES 8

/* per target: where its C library's code is, for rt_tracer__alloc_internal */
struct alloc_cache {
	pid_t pid;
	bool fresh;
	int n;
	__u64 r[RT_ALLOC_RANGES][2];
};

/* tp_links[]: the scheduler tracepoints, then the two ways of seeing futex waits */
enum { TP_FORK, TP_EXIT, TP_RENAME, TP_EXEC, TP_SYS_ENTER, TP_SYS_EXIT, TP_SCHED_SWITCH, TP_MAX };

struct rt_tracer {
	struct rt_tracer_opts opts;
	struct racetrace_bpf *skel;
	struct bpf_link *tp_links[TP_MAX];
	struct module *mods;
	size_t nmods, mods_cap;
	struct target_probes *targets; /* per-pid families, when not opts.probes */
	size_t ntargets, targets_cap;
	struct alloc_cache *acache;
	size_t nacache, acache_cap;
	__u64 probe_mask;
	__u32 nprobes;
	/* --races: the memory-access probes of the window now watched */
	struct bpf_link **mem_links;
	size_t nmem_links, mem_links_cap;
	__u32 nmem, mem_refused;
};

static bool libbpf_verbose;
/* set while --races probes for the instructions the kernel refuses: those are expected */
static bool libbpf_quiet;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (libbpf_quiet && !libbpf_verbose)
		return 0;
	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	if (level != LIBBPF_WARN && !libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static bool has_cap(int cap)
{
	char line[256];
	bool ok = false;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long eff;

		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			ok = eff & (1ULL << cap);
			break;
		}
	}
	fclose(f);
	return ok;
}

#define RT_CAP_SYS_PTRACE 19
#define RT_CAP_SYS_ADMIN 21
#define RT_CAP_PERFMON 38
#define RT_CAP_BPF 39

#define RT_VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/*
 * Does the kernel have uprobe.multi links (Linux 6.6)? Its BTF says: the attach type
 * BPF_TRACE_UPROBE_MULTI is in enum bpf_attach_type. Asked before loading, because a kernel
 * without it rejects our programs with nothing more than EINVAL. 0 or -ENOTSUP with err set.
 */
static int check_uprobe_multi(char *err, size_t errlen)
{
	struct btf *btf = btf__parse(RT_VMLINUX_BTF, NULL);
	const struct btf_enum *e;
	const struct btf_type *t;
	bool found = false;
	__s32 id;
	__u16 i;

	if (!btf) {
		snprintf(err, errlen, "kernel BTF (" RT_VMLINUX_BTF ") cannot be read: %s",
			 strerror(errno));
		return -ENOTSUP;
	}
	id = btf__find_by_name_kind(btf, "bpf_attach_type", BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	for (i = 0, e = t ? btf_enum(t) : NULL; t && i < btf_vlen(t) && !found; i++)
		found = !strcmp(btf__name_by_offset(btf, e[i].name_off) ?: "",
				"BPF_TRACE_UPROBE_MULTI");
	btf__free(btf);
	if (!found) {
		snprintf(err, errlen,
			 "kernel has no uprobe.multi links (the check: enum bpf_attach_type in "
			 RT_VMLINUX_BTF " has no BPF_TRACE_UPROBE_MULTI): need Linux 6.6 or newer");
		return -ENOTSUP;
	}
	return 0;
}

/*
 * What loading and attaching needs: CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN covers both), and
 * BTF. The message names the capabilities missing from our effective set.
 */
static int check_env(char *err, size_t errlen)
{
	bool bpf = has_cap(RT_CAP_BPF), perfmon = has_cap(RT_CAP_PERFMON);

	if (!has_cap(RT_CAP_SYS_ADMIN) && (!bpf || !perfmon)) {
		snprintf(err, errlen,
			 "missing capabilit%s %s%s%s: loading BPF programs and attaching uprobes needs "
			 "CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN); run as root",
			 bpf || perfmon ? "y" : "ies", bpf ? "" : "CAP_BPF",
			 !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
		return -EPERM;
	}
	if (access(RT_VMLINUX_BTF, R_OK)) {
		snprintf(err, errlen,
			 "kernel has no BTF (the check: " RT_VMLINUX_BTF " is not readable): use "
			 "a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	return check_uprobe_multi(err, errlen);
}

static struct bpf_program *tp_prog(const struct rt_tracer *t, int i)
{
	switch (i) {
	case TP_FORK: return t->skel->progs.tp_btf_sched_process_fork;
	case TP_EXIT: return t->skel->progs.tp_btf_sched_process_exit;
	case TP_RENAME: return t->skel->progs.tp_btf_task_rename;
	case TP_EXEC: return t->skel->progs.tp_btf_sched_process_exec;
	case TP_SYS_ENTER: return t->skel->progs.tp_btf_sys_enter;
	case TP_SYS_EXIT: return t->skel->progs.tp_btf_sys_exit;
	case TP_SCHED_SWITCH: return t->skel->progs.tp_btf_sched_switch;
	}
	return NULL;
}

/* Attach tracepoint i if on, else detach it. 0 or -errno with err set. */
static int tp_set(struct rt_tracer *t, int i, bool on, char *err, size_t errlen)
{
	int ret;

	if (!on) {
		bpf_link__destroy(t->tp_links[i]);
		t->tp_links[i] = NULL;
		return 0;
	}
	if (t->tp_links[i])
		return 0;
	t->tp_links[i] = bpf_program__attach(tp_prog(t, i));
	if (!t->tp_links[i]) {
		ret = -errno;
		snprintf(err, errlen, "attach %s: %s", bpf_program__name(tp_prog(t, i)),
			 strerror(-ret));
		return ret;
	}
	return 0;
}

/*
 * A target without lock, condition, semaphore or allocator probes (`--probes futex` or
 * `threads`, the governor's contention-only level) sees its futex waits through the
 * scheduler (futex.bpf.c): what it still detects (deadlocks, hangs, contention) needs the
 * waits only, not the wakes' happens-before edges.
 */
static bool sched_waits(__u32 probes)
{
	return !(probes & ~RT_PROBE_THREADS);
}

/*
 * The futex tracepoints the targets need: the syscall ones for targets with probes (their
 * wakes are happens-before edges), sched_switch for contention-only targets. Attached only
 * while some target needs them: an enabled syscall tracepoint slows every syscall down.
 */
static int sync_futex_tps_how(struct rt_tracer *t, bool detach, char *err, size_t errlen)
{
	bool sys = false, sched = false;
	size_t i;
	int ret;

	if (t->opts.pid) {
		sys = !sched_waits(t->opts.probes);
		sched = !sys;
	}
	for (i = 0; i < t->ntargets; i++) {
		if (t->targets[i].paused)
			continue;
		sys |= !sched_waits(t->targets[i].probes);
		sched |= sched_waits(t->targets[i].probes);
	}
	ret = tp_set(t, TP_SCHED_SWITCH, sched || !detach, err, errlen);
	ret = ret ? ret : tp_set(t, TP_SYS_ENTER, sys || !detach, err, errlen);
	ret = ret ? ret : tp_set(t, TP_SYS_EXIT, sys || !detach, err, errlen);
	return ret;
}

static int sync_futex_tps(struct rt_tracer *t, char *err, size_t errlen)
{
	return sync_futex_tps_how(t, true, err, errlen);
}

/*
 * A target starts seeing its waits through the scheduler: a new generation, so that each of
 * its threads counts as not seen yet and its first switch ends whatever wait it may be in
 * (one attach learned from /proc, or one entered through the syscall tracepoint). Other
 * targets' threads get one harmless wait-return each.
 */
static void new_sched_generation(struct rt_tracer *t)
{
	__atomic_add_fetch(&t->skel->bss->sched_gen, 1, __ATOMIC_RELAXED);
}

struct rt_tracer *rt_tracer__open(const struct rt_tracer_opts *opts, char *err, size_t errlen)
{
	struct rt_tracer *t;
	int i, ret;

	if (check_env(err, errlen))
		return NULL;
	libbpf_verbose = opts->verbose;
	libbpf_set_print(libbpf_print);
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf initialisation failed: %s", elf_errmsg(-1));
		return NULL;
	}

	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->opts = *opts;
	t->skel = racetrace_bpf__open();
	if (!t->skel) {
		snprintf(err, errlen, "open BPF object: %s", strerror(errno));
		goto fail;
	}
	t->skel->rodata->targ_tgid = opts->pid;
	t->skel->rodata->stop_at_exit = opts->stop_at_exit;
	t->skel->rodata->watch_exec = opts->pid == 0;
	t->skel->rodata->go_goid_off = opts->go_goid_off;
	t->skel->rodata->targ_flags = sched_waits(opts->probes) ? RT_TF_SCHED_WAITS : 0;
	ret = racetrace_bpf__load(t->skel);
	if (ret) {
		if (ret == -EPERM || ret == -EACCES)
			snprintf(err, errlen,
				 "loading BPF programs: %s: need CAP_BPF and CAP_PERFMON, run as root",
				 strerror(-ret));
		else
			snprintf(err, errlen,
				 "loading BPF programs failed: %s (run with -v for the verifier log)",
				 strerror(-ret));
		goto fail;
	}

	for (i = TP_FORK; i <= TP_EXEC; i++)
		if (tp_set(t, i, true, err, errlen))
			goto fail;
	if (sync_futex_tps(t, err, errlen))
		goto fail;
	return t;
fail:
	rt_tracer__close(t);
	return NULL;
}

void rt_tracer__detach_mem(struct rt_tracer *t);

void rt_tracer__close(struct rt_tracer *t)
{
	__u32 i;

	if (!t)
		return;
	for (i = 0; i < t->nmods; i++) {
		bpf_link__destroy(t->mods[i].entry_link);
		bpf_link__destroy(t->mods[i].ret_link);
		if (t->mods[i].fd >= 0)
			close(t->mods[i].fd);
	}
	free(t->mods);
	free(t->targets);
	free(t->acache);
	rt_tracer__detach_mem(t);
	free(t->mem_links);
	for (i = 0; i < RT_ARRAY_SIZE(t->tp_links); i++)
		bpf_link__destroy(t->tp_links[i]);
	racetrace_bpf__destroy(t->skel);
	free(t);
}

int rt_tracer__events_fd(const struct rt_tracer *t)
{
	return bpf_map__fd(t->skel->maps.events);
}

int rt_tracer__stacks_fd(const struct rt_tracer *t)
{
	return bpf_map__fd(t->skel->maps.stacks);
}

int rt_tracer__execs_fd(const struct rt_tracer *t)
{
	return bpf_map__fd(t->skel->maps.execs);
}

__u64 rt_tracer__probe_mask(const struct rt_tracer *t)
{
	return t->probe_mask | (1ULL << RT_EV_THREAD_FORK) | (1ULL << RT_EV_THREAD_EXIT) |
	       (1ULL << RT_EV_FUTEX_WAIT) | (1ULL << RT_EV_FUTEX_WAIT_RET) |
	       (1ULL << RT_EV_FUTEX_WAKE) | (1ULL << RT_EV_FUTEX_WAKE_RET);
}

__u32 rt_tracer__nprobes(const struct rt_tracer *t)
{
	return t->nprobes;
}

int rt_tracer__drops(const struct rt_tracer *t, __u64 out[RT_DROP_MAX])
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(t->skel->maps.drops);
	__u32 r;

	if (ncpu <= 0)
		return -EINVAL;
	for (r = 0; r < RT_DROP_MAX; r++) {
		__u64 vals[ncpu];
		int c;

		out[r] = 0;
		if (bpf_map_lookup_elem(fd, &r, vals))
			return -errno;
		for (c = 0; c < ncpu; c++)
			out[r] += vals[c];
	}
	return 0;
}

/* A resolved site: file offset plus the cookie for the entry or return program. */
struct site {
	__u64 off;
	__u64 cookie;
};

struct sites {
	struct site entry[RT_MAX_SITES];
	struct site ret[RT_MAX_SITES];
	__u32 nentry, nret;
	__u64 mask;
};

static const struct probe_spec *probe_by_name(const char *name, __u32 families, __u32 *slot)
{
	__u32 i;

	for (i = 0; i < RT_ARRAY_SIZE(probes); i++) {
		if (strcmp(probes[i].name, name) == 0) {
			if (!(probes[i].family & families))
				return NULL;
			*slot = i + 1;
			return &probes[i];
		}
	}
	return NULL;
}

static bool site_known(const struct site *s, __u32 n, __u64 off)
{
	__u32 i;

	for (i = 0; i < n; i++)
		if (s[i].off == off)
			return true;
	return false;
}

/* Virtual address -> file offset through the PT_LOAD segment containing it; 0 if none. */
static __u64 vaddr_to_off(Elf *elf, __u64 vaddr)
{
	size_t n, i;

	if (elf_getphdrnum(elf, &n))
		return 0;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz)
			return vaddr - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

/*
 * Where the probe for a function goes (probeaddr.h): the first instruction the kernel emulates
 * when that is safe, else the entry. off is the entry's file offset, size the symbol's size.
 */
static __u64 choose_probe_off(Elf *elf, __u64 off, __u64 size, const struct probe_spec *p,
			      const char *name)
{
	size_t fsize;
	const unsigned char *raw = (const unsigned char *)elf_rawfile(elf, &fsize);
	/* the arguments the probes read: the object always, the second one only where used */
	bool arg2 = p->entry_type == RT_EV_COND_WAIT || p->ret_type == RT_EV_REALLOC ||
		    (p->flags & (RT_CK_ARG_SIZE2 | RT_CK_SIZE_ARG2));
	__u32 args = RT_PA_ARG1 | (arg2 ? RT_PA_ARG2 : 0) |
		     (p->flags & RT_CK_SIZE_ARG3 ? RT_PA_ARG3 : 0);
	const char *why;
	__u64 d;

	if (!raw || off >= fsize)
		return off;
	if (!size)
		size = 64; /* no size: look at the prefix only; the branch sweep then refuses */
	d = rt_probe_offset(raw + off, RT_MIN(size, fsize - off), off, args, &why);
	rt_debug("probe %s at entry+%llu (%s)", name, (unsigned long long)d, why);
	return off + d;
}

/* A probed type's bit in the probe mask (trace.h); types from 64 on have none. */
static __u64 type_bit(__u16 type)
{
	return type < 64 ? 1ULL << type : 0;
}

static void scan_symtab(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, __u32 families,
			struct sites *out)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, n;

	if (!data || !sh->sh_entsize)
		return;
	n = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < n; i++) {
		const struct probe_spec *p;
		const char *name;
		GElf_Sym sym;
		__u32 slot;
		__u64 off, eoff, slotbits;

		if (!gelf_getsym(data, i, &sym))
			continue;
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC && GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC)
			continue;
		if (sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		if (GELF_ST_TYPE(sym.st_info) == STT_GNU_IFUNC)
			continue; /* the resolver, not the function: cannot probe it */
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !(p = probe_by_name(name, families, &slot)))
			continue;
		off = vaddr_to_off(elf, sym.st_value);
		if (!off)
			continue;
		slotbits = (__u64)slot << RT_CK_SLOT_SHIFT;
		eoff = choose_probe_off(elf, off, sym.st_size, p, name);
		if ((p->flags & (RT_CK_EMIT | RT_CK_STASH)) && out->nentry < RT_MAX_SITES &&
		    !site_known(out->entry, out->nentry, eoff)) {
			out->entry[out->nentry++] = (struct site){
				.off = eoff,
				.cookie = p->entry_type | p->flags | slotbits,
			};
			if (p->flags & RT_CK_EMIT)
				out->mask |= type_bit(p->entry_type);
		}
		if (p->ret_type && out->nret < RT_MAX_SITES && !site_known(out->ret, out->nret, eoff)) {
			out->ret[out->nret++] = (struct site){
				.off = eoff,
				.cookie = p->ret_type |
					  (p->flags & (RT_CK_DEREF_ARG1 | RT_CK_STACK)) | slotbits,
			};
			out->mask |= type_bit(p->ret_type);
		}
	}
}

/*
 * Resolve probe sites in the ELF file open at fd (left open). 0, or -errno (not an ELF file is
 * -ENOEXEC).
 */
static int resolve_sites(int fd, __u32 families, struct sites *out)
{
	Elf_Scn *scn = NULL;
	Elf *elf;
	int err = 0;

	memset(out, 0, sizeof(*out));
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto cleanup;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_DYNSYM || sh.sh_type == SHT_SYMTAB)
			scan_symtab(elf, scn, &sh, families, out);
	}
cleanup:
	if (elf)
		elf_end(elf);
	return err;
}

/*
 * The path that reaches a file we hold open, whatever the mount namespace or root it came from
 * and even once it is deleted: the kernel follows /proc/self/fd/N to the open file itself.
 */
static void fd_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

static bool same_file(const struct stat *st, dev_t dev, ino_t ino)
{
	return S_ISREG(st->st_mode) && st->st_dev == dev && st->st_ino == ino;
}

/* Open path and keep it when it is the regular file dev:ino. fd or -errno (-ESTALE: another). */
static int open_checked(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO planted at the path must not block us; regular files ignore it */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !same_file(&st, dev, ino)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/*
 * Open the file a maps line of pid names, as the target sees it: /proc/PID/map_files/START-END
 * first (the mapped file itself, even when deleted or in another mount namespace; it needs
 * CAP_SYS_ADMIN), then /proc/PID/root/PATH (the path in the target's own root), then PATH (maps
 * print paths from our root, so a target chrooted below it shows the whole path). Each is
 * taken only when its device and inode are the maps line's: a host file that happens to have
 * the container's path is never probed instead. fd, or -errno when none is the mapped file.
 */
static int open_mapped(pid_t pid, __u64 start, __u64 end, const char *path, bool deleted,
		       dev_t dev, ino_t ino)
{
	char buf[PATH_MAX + 64];
	int fd;

	snprintf(buf, sizeof(buf), "/proc/%d/map_files/%llx-%llx", pid, (unsigned long long)start,
		 (unsigned long long)end);
	fd = open_checked(buf, dev, ino);
	if (fd >= 0 || deleted)
		return fd;
	snprintf(buf, sizeof(buf), "/proc/%d/root%s", pid, path);
	fd = open_checked(buf, dev, ino);
	if (fd >= 0)
		return fd;
	return open_checked(path, dev, ino);
}

static struct module *module_find(struct rt_tracer *t, pid_t pid, dev_t dev, ino_t ino)
{
	size_t i;

	for (i = 0; i < t->nmods; i++)
		if (t->mods[i].pid == pid && t->mods[i].dev == dev && t->mods[i].ino == ino)
			return &t->mods[i];
	return NULL;
}

/*
 * A new module at the end of t->mods, not counted yet: the caller increments t->nmods once its
 * links exist. NULL when out of memory (t unchanged).
 */
static struct module *module_new(struct rt_tracer *t, pid_t pid, int fd, dev_t dev, ino_t ino,
				 const char *path, __u32 probes)
{
	struct module *m;

	if (rt_grow((void **)&t->mods, &t->mods_cap, t->nmods + 1, sizeof(*t->mods)))
		return NULL;
	m = &t->mods[t->nmods];
	memset(m, 0, sizeof(*m));
	m->pid = pid;
	m->probes = probes;
	m->dev = dev;
	m->ino = ino;
	m->fd = fd;
	snprintf(m->path, sizeof(m->path), "%s", path);
	return m;
}

/*
 * Remember a file of pid that gets no probes (none of our functions, or it cannot be opened),
 * so that rescans neither read nor report it again. 0, or -ENOMEM with err set.
 */
static int module_remember(struct rt_tracer *t, pid_t pid, dev_t dev, ino_t ino,
			   const char *path, char *err, size_t errlen)
{
	if (!module_new(t, pid, -1, dev, ino, path, 0)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->nmods++;
	return 0;
}

/* One uprobe.multi link of prog on n file offsets of path, each with its cookie. 0 or -errno. */
static int link_multi(pid_t pid, struct bpf_program *prog, const char *path,
		      const unsigned long *offs, const __u64 *cookies, size_t n, bool ret,
		      struct bpf_link **out)
{
	LIBBPF_OPTS(bpf_uprobe_multi_opts, uo);

	uo.offsets = offs;
	uo.cookies = cookies;
	uo.cnt = n;
	uo.retprobe = ret;
	*out = bpf_program__attach_uprobe_multi(prog, pid, path, NULL, &uo);
	if (!*out)
		return -errno;
	return 0;
}

static int attach_multi(pid_t pid, struct bpf_program *prog, const char *path,
			const struct site *s, __u32 n, bool ret, struct bpf_link **out)
{
	unsigned long offs[RT_MAX_SITES];
	__u64 cookies[RT_MAX_SITES];
	__u32 i;

	for (i = 0; i < n; i++) {
		offs[i] = s[i].off;
		cookies[i] = s[i].cookie;
	}
	return link_multi(pid, prog, path, offs, cookies, n, ret, out);
}

/*
 * The kernel keeps one uprobe per file and offset, shared by every tracer, and refuses
 * (EINVAL) a second registration whose reference counter offset differs from the first one's:
 * a tool that probes a function with a reference counter (a USDT semaphore; BCC attaches
 * through perf_event_open with one) makes our link over the same site fail as a whole, saying
 * nothing more. Find the refused sites by linking each alone (each link is destroyed at once)
 * and name their functions in buf: "pthread_mutex_lock", "malloc and free". 0 when none fails
 * alone with EINVAL (the cause is something else); buf is then left unchanged.
 */
static int refused_sites(pid_t pid, struct bpf_program *prog, const char *path,
			 const struct site *s, __u32 n, bool ret, char *buf, size_t len)
{
	const char *names[8];
	__u32 i, j, nnames = 0, nrefused = 0;
	size_t used = 0;

	for (i = 0; i < n; i++) {
		unsigned long off = s[i].off;
		struct bpf_link *l = NULL;
		const char *name = "?";
		__u64 slot = RT_CK_SLOT(s[i].cookie);
		bool seen = false;

		if (link_multi(pid, prog, path, &off, &s[i].cookie, 1, ret, &l) != -EINVAL) {
			bpf_link__destroy(l);
			continue;
		}
		nrefused++;
		if (slot >= 1 && slot <= RT_ARRAY_SIZE(probes))
			name = probes[slot - 1].name;
		for (j = 0; j < nnames; j++)
			seen |= !strcmp(names[j], name);
		if (!seen && nnames < RT_ARRAY_SIZE(names))
			names[nnames++] = name;
	}
	if (!nrefused)
		return 0;
	for (j = 0; j < nnames && used < len; j++)
		used += snprintf(buf + used, len - used, "%s%s",
				 !j ? "" : j + 1 == nnames ? " and " : ", ", names[j]);
	return nrefused;
}

/* Create m's links for its sites with families m->probes. 0 or -errno with err set. */
static int module_link(struct rt_tracer *t, struct module *m, char *err, size_t errlen)
{
	char file[64], refused[256] = "";
	struct sites sites;
	int ret;

	fd_path(m->fd, file, sizeof(file));
	ret = resolve_sites(m->fd, m->probes, &sites);
	if (ret) {
		snprintf(err, errlen, "reading %s: %s", m->path, strerror(-ret));
		return ret;
	}
	if (rt_log_get_level() >= RT_LOG_DEBUG) {
		__u32 i;

		for (i = 0; i < sites.nentry; i++)
			rt_debug("%s: entry site 0x%llx cookie 0x%llx", m->path,
				 (unsigned long long)sites.entry[i].off,
				 (unsigned long long)sites.entry[i].cookie);
		for (i = 0; i < sites.nret; i++)
			rt_debug("%s: return site 0x%llx cookie 0x%llx", m->path,
				 (unsigned long long)sites.ret[i].off,
				 (unsigned long long)sites.ret[i].cookie);
	}
	/* a refusal is reported below, with its cause: libbpf's own line would only add noise */
	libbpf_quiet = true;
	if (sites.nentry) {
		ret = attach_multi(m->pid, t->skel->progs.uprobe_entry, file, sites.entry,
				   sites.nentry, false, &m->entry_link);
		if (ret == -EINVAL)
			refused_sites(m->pid, t->skel->progs.uprobe_entry, file, sites.entry,
				      sites.nentry, false, refused, sizeof(refused));
		if (ret)
			goto fail;
	}
	if (sites.nret) {
		ret = attach_multi(m->pid, t->skel->progs.uretprobe_exit, file, sites.ret,
				   sites.nret, true, &m->ret_link);
		if (ret == -EINVAL)
			refused_sites(m->pid, t->skel->progs.uretprobe_exit, file, sites.ret,
				      sites.nret, true, refused, sizeof(refused));
		if (ret)
			goto fail;
	}
	libbpf_quiet = false;
	m->nsites = sites.nentry + sites.nret;
	m->mask = sites.mask;
	t->nprobes += m->nsites;
	t->probe_mask |= sites.mask;
	return 0;
fail:
	libbpf_quiet = false;
	bpf_link__destroy(m->entry_link);
	m->entry_link = NULL;
	if (ret == -ESRCH)
		snprintf(err, errlen, "pid %d exited while attaching", m->pid);
	else if (ret == -EINVAL && refused[0])
		snprintf(err, errlen,
			 "attaching uprobes to %s failed: another tool holds a uprobe with a "
			 "reference counter (semaphore) on %s there, as BCC's deadlock tool or a "
			 "USDT tracer does, and the kernel allows only one kind per function: stop "
			 "that tool and retry", m->path, refused);
	else if (ret == -EINVAL)
		snprintf(err, errlen,
			 "attaching uprobes to %s failed: %s (another tracer, such as a BCC tool, "
			 "may hold uprobes on the same functions: stop it and retry)",
			 m->path, strerror(-ret));
	else if (ret == -EOPNOTSUPP || ret == -ENOSYS)
		snprintf(err, errlen, "this kernel does not support uprobe.multi links (need 6.6+)");
	else
		snprintf(err, errlen, "attaching uprobes to %s failed: %s", m->path, strerror(-ret));
	return ret;
}

static void module_unlink(struct rt_tracer *t, struct module *m)
{
	bpf_link__destroy(m->entry_link);
	bpf_link__destroy(m->ret_link);
	m->entry_link = m->ret_link = NULL;
	t->nprobes -= m->nsites;
	m->nsites = 0;
}

/*
 * Attach one module of pid: the file open at fd, dev:ino as the target's maps name it (or will,
 * for a file about to be exec'ed), called path there. Takes fd: kept by the module, else closed.
 * 1 when attached, 0 when it has nothing to probe or is already attached, -errno with err set.
 */
static int attach_module(struct rt_tracer *t, pid_t pid, int fd, dev_t dev, ino_t ino,
			 const char *path, char *err, size_t errlen)
{
	__u32 probes = rt_tracer__target_probes(t, pid);
	struct sites sites;
	struct module *m;
	int ret;

	if (module_find(t, pid, dev, ino)) {
		close(fd);
		return 0;
	}
	/* a module with none of our functions costs nothing: remembered, nothing attached */
	ret = resolve_sites(fd, RT_PROBE_ALL, &sites);
	if (ret || (!sites.nentry && !sites.nret)) {
		close(fd);
		return module_remember(t, pid, dev, ino, path, err, errlen);
	}
	m = module_new(t, pid, fd, dev, ino, path, probes);
	if (!m) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = module_link(t, m, err, errlen);
	if (ret) {
		close(fd);
		return ret;
	}
	t->nmods++;
	for (size_t i = 0; i < t->nacache; i++)
		if (t->acache[i].pid == pid)
			t->acache[i].fresh = false;
	rt_debug("attached %u probe sites in %s for pid %d", m->nsites, path, pid);
	return 1;
}

/* Attach the file at path (in our own view): stat it, open it, attach_module. */
static int attach_path(struct rt_tracer *t, pid_t pid, const char *path, char *err,
		       size_t errlen)
{
	struct stat st;
	int fd;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return 0; /* gone or not reachable: nothing to do */
	fd = open_checked(path, st.st_dev, st.st_ino);
	if (fd < 0)
		return 0;
	return attach_module(t, pid, fd, st.st_dev, st.st_ino, path, err, errlen);
}

static struct alloc_cache *alloc_cache_refresh(struct rt_tracer *t, pid_t pid, bool force);

int rt_tracer__attach_maps(struct rt_tracer *t, pid_t pid, char *err, size_t errlen)
{
	static const char deleted_sfx[] = " (deleted)";
	char maps[64], line[PATH_MAX + 256];
	int attached = 0, ret;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	f = fopen(maps, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "attach to pid %d: %s", pid,
			 ret == -ENOENT ? "no such process" : strerror(-ret));
		return ret == -ENOENT ? -ESRCH : ret;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off, ino;
		char perms[8], path[PATH_MAX];
		unsigned int maj, min;
		bool deleted = false;
		size_t len;
		int fd;

		path[0] = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %4095[^\n]", &start, &end, perms,
			   &off, &maj, &min, &ino, path) < 8)
			continue;
		if (perms[2] != 'x' || path[0] != '/' || !ino)
			continue;
		len = strlen(path);
		if (len > sizeof(deleted_sfx) - 1 &&
		    !strcmp(path + len - (sizeof(deleted_sfx) - 1), deleted_sfx)) {
			path[len - (sizeof(deleted_sfx) - 1)] = 0;
			deleted = true;
		}
		if (module_find(t, pid, makedev(maj, min), ino))
			continue;
		fd = open_mapped(pid, start, end, path, deleted, makedev(maj, min), ino);
		if (fd < 0) {
			rt_warn("pid %d: cannot open the file it maps at %llx-%llx (%s%s): %s; not "
				"probing it", pid, start, end, path, deleted ? ", deleted" : "",
				fd == -ESTALE ? "no path reaches that device and inode" :
						strerror(-fd));
			ret = module_remember(t, pid, makedev(maj, min), ino, path, err, errlen);
		} else {
			ret = attach_module(t, pid, fd, makedev(maj, min), ino, path, err, errlen);
		}
		if (ret < 0) {
			fclose(f);
			return ret;
		}
		attached += ret;
	}
	fclose(f);
	/* while the process is surely alive: where its C library is (rt_tracer__alloc_internal) */
	alloc_cache_refresh(t, pid, true);
	return attached;
}

/* DT_NEEDED names and DT_RUNPATH/DT_RPATH of an ELF file. */
static int elf_needed(const char *path, char names[][256], int max, char *runpath, size_t rplen)
{
	Elf_Scn *scn = NULL;
	int n = 0, fd;
	Elf *elf;

	runpath[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn d;
			const char *s;

			if (!gelf_getdyn(data, i, &d))
				break;
			if (d.d_tag != DT_NEEDED && d.d_tag != DT_RUNPATH && d.d_tag != DT_RPATH)
				continue;
			s = elf_strptr(elf, sh.sh_link, d.d_un.d_val);
			if (!s)
				continue;
			if (d.d_tag == DT_NEEDED && n < max)
				snprintf(names[n++], 256, "%s", s);
			else if (d.d_tag != DT_NEEDED)
				snprintf(runpath, rplen, "%s", s);
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return n;
}

/*
 * Find a library by soname the way ld.so does for a standard Debian layout, in the file tree
 * under root ("" for ours, "/proc/PID/root" for a target's own). origin is the directory of
 * the object that needs it, as a path we can open; out gets such a path too. Our
 * LD_LIBRARY_PATH counts only in our own tree (a command we start inherits it).
 */
static bool find_lib(const char *name, const char *runpath, const char *origin, const char *root,
		     char *out, size_t outlen)
{
	static const char *const std_dirs[] = {
		"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
		"/lib", "/usr/lib", "/usr/local/lib",
	};
	const char *env = root[0] ? NULL : getenv("LD_LIBRARY_PATH");
	char dirs[2][4096];
	size_t i;
	int d;

	if (strchr(name, '/')) {
		snprintf(out, outlen, "%s%s", name[0] == '/' ? root : "", name);
		return access(out, R_OK) == 0;
	}
	snprintf(dirs[0], sizeof(dirs[0]), "%s", env ? env : "");
	snprintf(dirs[1], sizeof(dirs[1]), "%s", runpath);
	for (d = 0; d < 2; d++) {
		char *save = NULL, *dir;

		for (dir = strtok_r(dirs[d], ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
			if (strncmp(dir, "$ORIGIN", 7) == 0)
				snprintf(out, outlen, "%s%s/%s", origin, dir + 7, name);
			else
				snprintf(out, outlen, "%s%s/%s", root, dir, name);
			if (access(out, R_OK) == 0)
				return true;
		}
	}
	for (i = 0; i < RT_ARRAY_SIZE(std_dirs); i++) {
		snprintf(out, outlen, "%s%s/%s", root, std_dirs[i], name);
		if (access(out, R_OK) == 0)
			return true;
	}
	return false;
}

/*
 * Attach the executable at path (a path we can open) and the libraries it needs, found under
 * root (see find_lib). Same return convention as rt_tracer__attach_exec.
 */
static int attach_exec_tree(struct rt_tracer *t, pid_t pid, const char *path, const char *root,
			    char *err, size_t errlen)
{
	char (*queue)[PATH_MAX] = calloc(64, PATH_MAX);
	int head = 0, tail = 0, attached = 0, ret = 0;

	if (!queue) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(queue[tail++], PATH_MAX, "%s", path);
	while (head < tail) {
		char needed[64][256], runpath[1024], origin[PATH_MAX], *slash;
		const char *cur = queue[head++];
		int n, i, j;

		ret = attach_path(t, pid, cur, err, errlen);
		if (ret < 0)
			goto cleanup;
		attached += ret;
		snprintf(origin, sizeof(origin), "%s", cur);
		slash = strrchr(origin, '/');
		if (slash)
			*slash = 0;
		n = elf_needed(cur, needed, 64, runpath, sizeof(runpath));
		for (i = 0; i < n && tail < 64; i++) {
			char lib[PATH_MAX];
			bool dup = false;

			if (!find_lib(needed[i], runpath, origin, root, lib, sizeof(lib)))
				continue;
			for (j = 0; j < tail; j++)
				dup |= strcmp(queue[j], lib) == 0;
			if (!dup)
				snprintf(queue[tail++], PATH_MAX, "%s", lib);
		}
	}
cleanup:
	free(queue);
	return ret < 0 ? ret : attached;
}

int rt_tracer__attach_exec(struct rt_tracer *t, pid_t pid, const char *path, char *err,
			   size_t errlen)
{
	return attach_exec_tree(t, pid, path, "", err, errlen);
}

int rt_tracer__attach_needed(struct rt_tracer *t, pid_t pid, char *err, size_t errlen)
{
	char exe[64], root[64];

	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	snprintf(root, sizeof(root), "/proc/%d/root", pid);
	return attach_exec_tree(t, pid, exe, root, err, errlen);
}

/* ---- targets ---- */

__u32 rt_tracer__target_probes(const struct rt_tracer *t, pid_t pid)
{
	size_t i;

	for (i = 0; i < t->ntargets; i++)
		if (t->targets[i].pid == pid)
			return t->targets[i].probes;
	return t->opts.probes;
}

/* Pass pid's records, telling the BPF side how it sees the waits (flags: BPF_ANY/BPF_EXIST). */
static int target_map_set(struct rt_tracer *t, pid_t pid, __u64 flags)
{
	__u8 v = RT_TF_TRACED;
	__u32 key = pid;

	if (sched_waits(rt_tracer__target_probes(t, pid)))
		v |= RT_TF_SCHED_WAITS;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.targets), &key, &v, flags))
		return -errno;
	if (v & RT_TF_SCHED_WAITS)
		new_sched_generation(t);
	return 0;
}

int rt_tracer__target_add(struct rt_tracer *t, pid_t pid)
{
	if (t->opts.pid)
		return 0; /* single-target mode: the filter is the targ_tgid knob */
	return target_map_set(t, pid, BPF_ANY);
}

void rt_tracer__target_remove(struct rt_tracer *t, pid_t pid)
{
	char err[128];
	__u32 key = pid;
	size_t i, j;

	for (i = 0, j = 0; i < t->nmods; i++) {
		if (t->mods[i].pid == pid) {
			module_unlink(t, &t->mods[i]);
			if (t->mods[i].fd >= 0)
				close(t->mods[i].fd);
			continue;
		}
		t->mods[j++] = t->mods[i];
	}
	t->nmods = j;
	for (i = 0, j = 0; i < t->ntargets; i++)
		if (t->targets[i].pid != pid)
			t->targets[j++] = t->targets[i];
	t->ntargets = j;
	if (!t->opts.pid)
		bpf_map_delete_elem(bpf_map__fd(t->skel->maps.targets), &key);
	sync_futex_tps(t, err, sizeof(err)); /* detaching only: cannot fail */
}

int rt_tracer__set_probes(struct rt_tracer *t, pid_t pid, __u32 probes, char *err,
			  size_t errlen)
{
	size_t i;
	int ret;

	for (i = 0; i < t->ntargets; i++)
		if (t->targets[i].pid == pid)
			break;
	if (i == t->ntargets) {
		if (rt_grow((void **)&t->targets, &t->targets_cap, t->ntargets + 1,
			    sizeof(*t->targets)))
			return -ENOMEM;
		t->targets[t->ntargets++] = (struct target_probes){ .pid = pid,
								    .probes = t->opts.probes };
	}
	if (t->targets[i].probes == probes)
		return sync_futex_tps(t, err, errlen);
	t->targets[i].probes = probes;
	/*
	 * The way its futex waits are seen may change. Both ways attached while the BPF side is
	 * told (if it traces pid yet), then what no target needs detached: no wait goes unseen.
	 */
	ret = sync_futex_tps_how(t, false, err, errlen);
	if (ret)
		return ret;
	if (!t->opts.pid)
		target_map_set(t, pid, BPF_EXIST);
	ret = sync_futex_tps(t, err, errlen);
	if (ret)
		return ret;
	/* re-create the links of every module of pid with the new families */
	for (i = 0; i < t->nmods; i++) {
		struct module *m = &t->mods[i];

		if (m->pid != pid || m->probes == probes || m->fd < 0)
			continue;
		module_unlink(t, m);
		m->probes = probes;
		ret = module_link(t, m, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

int rt_tracer__alloc_ranges(const struct rt_tracer *t, pid_t pid, __u64 (*ranges)[2], int max)
{
	char maps[64], line[PATH_MAX + 256];
	int n = 0;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	f = fopen(maps, "re");
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off, ino;
		unsigned int maj, min;
		char perms[8];
		size_t i;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &off, &maj,
			   &min, &ino) != 7 || perms[2] != 'x' || !ino)
			continue;
		for (i = 0; i < t->nmods; i++) {
			const struct module *m = &t->mods[i];

			/* the module that has our allocator probes: the C library, usually */
			if (m->pid == pid && m->ino == ino && major(m->dev) == maj &&
			    minor(m->dev) == min &&
			    (m->mask & ((1ULL << RT_EV_ALLOC) | (1ULL << RT_EV_FREE)))) {
				ranges[n][0] = start;
				ranges[n][1] = end;
				n++;
				break;
			}
		}
	}
	fclose(f);
	return n;
}

static struct alloc_cache *alloc_cache_refresh(struct rt_tracer *t, pid_t pid, bool force)
{
	struct alloc_cache *c = NULL;
	__u64 r[RT_ALLOC_RANGES][2];
	size_t i;
	int n;

	for (i = 0; i < t->nacache; i++)
		if (t->acache[i].pid == pid)
			c = &t->acache[i];
	if (!c) {
		if (rt_grow((void **)&t->acache, &t->acache_cap, t->nacache + 1, sizeof(*t->acache)))
			return NULL;
		c = &t->acache[t->nacache++];
		memset(c, 0, sizeof(*c));
		c->pid = pid;
	}
	/*
	 * Read the maps when modules changed or the library is not mapped yet. A process that
	 * exited has no maps any more: its last ranges stay (records are drained after exits).
	 */
	if (force || !c->fresh || !c->n) {
		n = rt_tracer__alloc_ranges(t, pid, r, RT_ALLOC_RANGES);
		if (n > 0) {
			memcpy(c->r, r, sizeof(r));
			c->n = n;
		}
		c->fresh = true;
	}
	return c;
}

bool rt_tracer__alloc_internal(struct rt_tracer *t, pid_t pid, __u64 caller)
{
	struct alloc_cache *c = alloc_cache_refresh(t, pid, false);
	int k;

	for (k = 0; c && k < c->n; k++)
		if (caller >= c->r[k][0] && caller < c->r[k][1])
			return true;
	return false;
}

/* ---- Go ---- */

int rt_tracer__attach_go(struct rt_tracer *t, pid_t pid, const char *path, char *err,
			 size_t errlen)
{
	struct rt_goprobe_sites gs = { 0 };
	struct module *m;
	char file[64];
	struct stat st;
	int ret, fd;

	/* /proc/PID/exe reaches the executable in any mount namespace, even deleted */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	fd_path(fd, file, sizeof(file));
	ret = rt_goprobe__place(path, &gs, err, errlen);
	if (ret > 0 && !gs.n)
		ret = 0; /* a Go program with none of the probed functions */
	if (ret <= 0)
		goto cleanup;
	if (gs.support[0])
		/* a release newer than the table: never a silent partial trace */
		fprintf(stderr, "racetrace: %s: %s\n", path, gs.support);
	m = module_new(t, pid, fd, st.st_dev, st.st_ino, path, RT_PROBE_ALL);
	if (!m) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	ret = link_multi(pid, t->skel->progs.uprobe_entry, file, gs.off, gs.cookie, gs.n, false,
			 &m->entry_link);
	if (ret) {
		snprintf(err, errlen, "attaching Go probes to %s failed: %s", path, strerror(-ret));
		goto cleanup;
	}
	fd = -1; /* the module's now */
	m->nsites = gs.n;
	t->nprobes += gs.n;
	t->nmods++;
	fprintf(stderr,
		"racetrace: %s is a Go program (%s): %zu probes, %u inlined Mutex.Lock, %u "
		"Mutex.Unlock, %u RWMutex.RLock, %u RWMutex.RUnlock and %u Once.Do sites%s\n",
		path, gs.version, gs.n, gs.inlined_lock, gs.inlined_unlock,
		gs.inlined_rlock, gs.inlined_runlock, gs.inlined_once,
		gs.skipped ? " (some sites skipped: operand not in a register)" : "");
	ret = 1;
cleanup:
	if (fd >= 0)
		close(fd);
	rt_goprobe__sites_free(&gs);
	return ret;
}

/* ---- memory accesses (--races) ---- */

__u64 rt_memsite_cookie(const struct rt_memsite *ms, bool go)
{
	__u64 ck = (__u32)ms->disp, l = 0;

	while ((1U << l) < ms->size && l < 7)
		l++;
	ck |= l << RT_MCK_SIZE_SHIFT;
	ck |= ((ms->vaddr + ms->len - ms->probe) & 0xffULL) << RT_MCK_END_SHIFT;
	if (ms->flags & RT_MS_BASE)
		ck |= RT_MCK_BASE | (__u64)(ms->base & 0xf) << RT_MCK_BASE_SHIFT;
	if (ms->flags & RT_MS_INDEX)
		ck |= RT_MCK_INDEX | (__u64)(ms->index & 0xf) << RT_MCK_INDEX_SHIFT |
		      (__u64)(ms->scale == 8 ? 3 : ms->scale == 4 ? 2 : ms->scale == 2) <<
			      RT_MCK_SCALE_SHIFT;
	if (ms->flags & RT_MS_RIPREL)
		ck |= RT_MCK_RIPREL;
	if (ms->flags & RT_MS_READ)
		ck |= RT_MCK_READ;
	if (ms->flags & RT_MS_WRITE)
		ck |= RT_MCK_WRITE;
	if (ms->flags & RT_MS_ATOMIC)
		ck |= RT_MCK_ATOMIC;
	if (go)
		ck |= RT_MCK_GO;
	return ck;
}

/*
 * Attach uprobe_mem to sites [0, n): one link when the kernel takes them all; when it refuses
 * one (an instruction it cannot single-step), halves until the refused ones stand alone.
 */
static int mem_attach_range(struct rt_tracer *t, pid_t pid, const char *path,
			    const unsigned long *offs, const __u64 *cookies, size_t n)
{
	struct bpf_link *link;
	int ret;

	if (!n)
		return 0;
	if (rt_grow((void **)&t->mem_links, &t->mem_links_cap, t->nmem_links + 1,
		    sizeof(*t->mem_links)))
		return -ENOMEM;
	libbpf_quiet = true;
	ret = link_multi(pid, t->skel->progs.uprobe_mem, path, offs, cookies, n, false, &link);
	libbpf_quiet = false;
	if (!ret) {
		t->mem_links[t->nmem_links++] = link;
		t->nmem += n;
		return 0;
	}
	if (ret != -EINVAL && ret != -524 /* ENOTSUPP */ && ret != -EOPNOTSUPP)
		return ret;
	if (n == 1) {
		t->mem_refused++;
		if (t->opts.verbose)
			fprintf(stderr, "racetrace: races: the kernel refused a uprobe at %s+0x%lx "
				"(%s)\n", path, offs[0], strerror(ret == -524 ? EOPNOTSUPP : -ret));
		return 0;
	}
	ret = mem_attach_range(t, pid, path, offs, cookies, n / 2);
	return ret ? ret : mem_attach_range(t, pid, path, offs + n / 2, cookies + n / 2, n - n / 2);
}

int rt_tracer__attach_mem(struct rt_tracer *t, pid_t pid, const char *path,
			  const struct rt_memsite *ms, size_t n, bool go, char *err, size_t errlen)
{
	unsigned long *offs = calloc(n ? n : 1, sizeof(*offs));
	__u64 *cookies = calloc(n ? n : 1, sizeof(*cookies));
	size_t i;
	int ret;

	if (!offs || !cookies) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		offs[i] = ms[i].off;
		cookies[i] = rt_memsite_cookie(&ms[i], go);
	}
	ret = mem_attach_range(t, pid, path, offs, cookies, n);
	if (ret) {
		rt_tracer__detach_mem(t);
		snprintf(err, errlen, "attaching memory-access probes to %s failed: %s", path,
			 ret == -ESRCH ? "the process exited" : strerror(-ret));
	}
cleanup:
	free(offs);
	free(cookies);
	return ret;
}

void rt_tracer__detach_mem(struct rt_tracer *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nmem_links; i++)
		bpf_link__destroy(t->mem_links[i]);
	t->nmem_links = 0;
	t->nmem = 0;
}

__u32 rt_tracer__nmem(const struct rt_tracer *t, __u32 *refused)
{
	if (refused)
		*refused = t->mem_refused;
	return t->nmem;
}

void rt_tracer__target_pause(struct rt_tracer *t, pid_t pid, bool pause)
{
	__u32 key = pid;
	char err[128];
	size_t i;

	if (t->opts.pid)
		return; /* single-target mode has no targets map */
	for (i = 0; i < t->ntargets; i++)
		if (t->targets[i].pid == pid)
			t->targets[i].paused = pause;
	/* resuming: its way of seeing waits is attached before its records pass again */
	if (pause)
		bpf_map_delete_elem(bpf_map__fd(t->skel->maps.targets), &key);
	if (sync_futex_tps(t, err, sizeof(err)))
		rt_warn("pid %d: %s", pid, err);
	if (!pause)
		target_map_set(t, pid, BPF_ANY);
}
