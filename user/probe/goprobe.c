// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * goprobe.h: the table of probed Go functions and the placement of every Go probe site, read
 * from the executable with goelf.h and decoded with probeaddr.h. Nothing here loads or attaches
 * anything: the sites go back to attach.c in one array of offsets and cookies.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include "events.h"
#include "probe/goprobe.h"
#include "elf/goelf.h"
#include "elf/probeaddr.h"
#include "lib/util.h"

/* A Go function and what its probes emit: at entry, and/or at each of its returns. */
struct go_probe_spec {
	const char *name;
	__u16 entry_type; /* 0: none */
	__u16 ret_type;	  /* 0: none */
	__u64 flags;	  /* entry: RT_CK_GO_ARG1 (obj from RBX), RT_CK_GO_CALLER2;
			   * returns: RT_CK_GO_FIELD16 (hchan.elemsize) */
};

static const struct go_probe_spec go_probes[] = {
	{ "runtime.mapaccess1", RT_EV_GO_MAP_READ, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapaccess2", RT_EV_GO_MAP_READ, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapaccess1_fast32", RT_EV_GO_MAP_READ, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapaccess2_fast32", RT_EV_GO_MAP_READ, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapaccess1_fast64", RT_EV_GO_MAP_READ, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapaccess2_fast64", RT_EV_GO_MAP_READ, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapaccess1_faststr", RT_EV_GO_MAP_READ, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapaccess2_faststr", RT_EV_GO_MAP_READ, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapaccess1_fat", RT_EV_GO_MAP_READ, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapaccess2_fat", RT_EV_GO_MAP_READ, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapiterinit", RT_EV_GO_MAP_READ, 0, RT_CK_GO_ARG1 },
	/* go1.24+ (swiss tables): a range starts here, the map in RBX as for mapiterinit */
	{ "runtime.mapIterStart", RT_EV_GO_MAP_READ, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapassign", RT_EV_GO_MAP_WRITE, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapassign_fast32", RT_EV_GO_MAP_WRITE, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapassign_fast32ptr", RT_EV_GO_MAP_WRITE, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapassign_fast64", RT_EV_GO_MAP_WRITE, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapassign_fast64ptr", RT_EV_GO_MAP_WRITE, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapassign_faststr", RT_EV_GO_MAP_WRITE, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapdelete", RT_EV_GO_MAP_WRITE, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapdelete_fast32", RT_EV_GO_MAP_WRITE, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapdelete_fast64", RT_EV_GO_MAP_WRITE, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapdelete_faststr", RT_EV_GO_MAP_WRITE, 0, RT_CK_GO_ARG1 },
	{ "runtime.mapclear", RT_EV_GO_MAP_WRITE, 0, RT_CK_GO_ARG1 },
	{ "runtime.makemap", 0, RT_EV_GO_MAP_NEW, 0 },
	{ "runtime.makemap_small", 0, RT_EV_GO_MAP_NEW, 0 },
	{ "runtime.makechan", 0, RT_EV_GO_CHAN_NEW, RT_CK_GO_FIELD16 }, /* hchan.elemsize */
	{ "runtime.chansend", RT_EV_GO_CHAN_SEND, RT_EV_GO_CHAN_SEND_DONE, RT_CK_GO_CALLER2 },
	{ "runtime.chanrecv", RT_EV_GO_CHAN_RECV, RT_EV_GO_CHAN_RECV_DONE, RT_CK_GO_CALLER2 },
	{ "runtime.closechan", RT_EV_GO_CHAN_CLOSE, 0, 0 },
	{ "runtime.newproc", RT_EV_GO_SPAWN, 0, 0 },
	{ "runtime.newproc1", 0, RT_EV_GO_GO, 0 },
	{ "runtime.goexit1", RT_EV_GO_EXIT, 0, 0 },
	/* once a collection: heap memory may be reused after it (a lock there may be new) */
	{ "runtime.gcMarkTermination", RT_EV_GO_GC, 0, 0 },
	{ "sync.(*Mutex).lockSlow", RT_EV_GO_LOCK_SLOW, RT_EV_GO_LOCK_SLOW_DONE, 0 },
	/* the out-of-line Lock, called through sync.Locker (sync.Cond's L, for one) */
	{ "sync.(*Mutex).Lock", RT_EV_GO_LOCK_SLOW, RT_EV_GO_LOCK_SLOW_DONE, 0 },
	{ "sync.(*Mutex).Unlock", RT_EV_GO_UNLOCK, 0, 0 },
	/*
	 * go1.24+: sync.Mutex wraps internal/sync.Mutex (state still at +0), whose slow path
	 * and out-of-line copies these are; it is also used bare (sync.Map's HashTrieMap, unique)
	 */
	{ "internal/sync.(*Mutex).lockSlow", RT_EV_GO_LOCK_SLOW, RT_EV_GO_LOCK_SLOW_DONE, 0 },
	{ "internal/sync.(*Mutex).Lock", RT_EV_GO_LOCK_SLOW, RT_EV_GO_LOCK_SLOW_DONE, 0 },
	{ "internal/sync.(*Mutex).Unlock", RT_EV_GO_UNLOCK, 0, 0 },
	{ "sync.(*WaitGroup).Add", RT_EV_GO_WG_ADD, 0, 0 },
	{ "sync.(*WaitGroup).Wait", RT_EV_GO_WG_WAIT, RT_EV_GO_WG_WAIT_DONE, 0 },
	{ "sync.(*RWMutex).Lock", RT_EV_GO_WLOCK, RT_EV_GO_WLOCK_DONE, 0 },
	{ "sync.(*RWMutex).Unlock", RT_EV_GO_WUNLOCK, 0, 0 },
	/* out-of-line copies, where a caller did not inline them */
	{ "sync.(*RWMutex).RLock", RT_EV_GO_RLOCK, 0, 0 },
	{ "sync.(*RWMutex).RUnlock", RT_EV_GO_RUNLOCK, 0, 0 },
	{ "sync.(*Cond).Wait", RT_EV_GO_COND_WAIT, RT_EV_GO_COND_WAIT_DONE, 0 },
	{ "os/signal.Notify", RT_EV_GO_SIGNAL_NOTIFY, 0, 0 },
	{ "runtime.selectgo", RT_EV_GO_SELECT, RT_EV_GO_SELECT_DONE, 0 },
	{ "sync.(*Once).doSlow", RT_EV_GO_ONCE_SLOW, RT_EV_GO_ONCE_SLOW_DONE, 0 },
	{ "runtime.exit", RT_EV_PROC_EXIT, 0, 0 },
};

#define RT_GO_MAX_SITES 16384
#define RT_GO_OWN_FUNCS 6
#define RT_GO_MAX_RETS 64

static int go_add(struct rt_goprobe_sites *gs, __u64 off, __u64 cookie)
{
	size_t i;

	for (i = 0; i < gs->n; i++)
		if (gs->off[i] == off)
			return 0; /* one probe an address */
	if (gs->n >= RT_GO_MAX_SITES)
		return 0;
	if (gs->n == gs->cap) {
		size_t ncap = gs->cap ? gs->cap * 2 : 256;
		unsigned long *o = realloc(gs->off, ncap * sizeof(*o));
		__u64 *c;

		if (!o)
			return -ENOMEM;
		gs->off = o;
		c = realloc(gs->cookie, ncap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		gs->cookie = c;
		gs->cap = ncap;
	}
	gs->off[gs->n] = off;
	gs->cookie[gs->n] = cookie;
	gs->n++;
	return 0;
}

/*
 * Where to see an inlined Unlock: on the instruction before its `lock xadd` when the operand's
 * register is already set there, so the release is in the stream before any acquisition it
 * allows (after the xadd, another goroutine can win the lock and report it first). When the
 * register is set by a load from memory right before (a lock pointer spilled across a call and
 * reloaded: the usual `RLock(); m[k]; RUnlock()`), on that load: *ld_reg >= 0 and *ld_disp then
 * say where the probe reads the operand's base from. -1 when there is no such instruction.
 */
static long unlock_probe_off(int fd, const struct rt_go_site *site, const struct rt_go_atomic *a,
			     __s64 *riprel, int *ld_reg, __s64 *ld_disp)
{
	/* decode from the enclosing function's entry: instruction boundaries are sure there */
	__u64 start = site->off - (site->addr - site->caller);
	unsigned char *buf;
	size_t n;
	long d = -1;

	if (site->caller > site->addr || a->off <= start || a->off - start > (1 << 20))
		return -1;
	n = a->off - start;
	buf = malloc(n);
	if (buf && pread(fd, buf, n, start) == (ssize_t)n)
		d = rt_probe_before(buf, n, a->base, riprel);
	/* the base reloaded from the stack right before the atomic: probe that load */
	*ld_reg = -1;
	if (buf && d < 0 && (d = rt_probe_before_load(buf, n, a->base, ld_reg, ld_disp)) < 0)
		*ld_reg = -1;
	free(buf);
	return d < 0 ? -1 : (long)(start + d);
}

/*
 * Would a probe at off, meant for the path through the atomic [aoff, next), see other paths too
 * or miss some? True when a branch of the enclosing function lands in (off, next]: at the
 * atomic (an unlock probe before it is skipped) or right after it (a lock probe after it fires
 * without the atomic). The function is swept from its entry.
 */
static bool go_branch_into(int fd, const struct rt_go_site *site, __u64 off, __u64 next)
{
	__u64 start = site->off - (site->addr - site->caller);
	size_t n = 64 << 10;
	unsigned char *buf = malloc(n);
	ssize_t got;
	bool hit = true;

	if (buf && site->caller <= site->addr && (got = pread(fd, buf, n, start)) > 0) {
		/* past the function, decoding may meet padding or another function: only its
		 * branches matter, and a branch never crosses into another Go function */
		hit = rt_probe_branch_into(buf, got - 16, start, off, next);
	}
	free(buf);
	return hit;
}

/*
 * Where after the atomic a a probe is cheapest (an emulated instruction, rt_probe_after), as a
 * file offset; 0 when there is none or a branch lands in between.
 */
static __u64 go_after_off(int fd, const struct rt_go_site *site, const struct rt_go_atomic *a,
			  bool lock)
{
	unsigned char buf[128];
	ssize_t got = pread(fd, buf, sizeof(buf), a->next_off);
	long d = got > 0 ? rt_probe_after(buf, got, a->base, lock) : -1;

	if (d < 0 || go_branch_into(fd, site, a->off, a->next_off + d))
		return 0;
	return a->next_off + d;
}

/* One inlined body's probe, around its atomic a. 1 when placed, 0 when skipped, -ENOMEM. */
static int go_site_probe(int fd, struct rt_goprobe_sites *gs, const struct rt_go_site *site,
			 const struct rt_go_atomic *a, __u16 type, __u32 field)
{
	bool release = type == RT_EV_GO_UNLOCK || type == RT_EV_GO_RUNLOCK;
	__u64 off = a->next_off, extra = 0, cheap, reg = a->base, dbits;
	__s64 disp = a->disp - field, riprel = 0, ld_disp = 0;
	int ld_reg = -1;

	if (a->index != RT_GO_REG_NONE || a->base < 0 || a->base > 15 || a->clobbered ||
	    a->disp != (__s32)a->disp)
		return 0; /* the lock cannot be computed from registers there */
	if (!release && go_branch_into(fd, site, a->off, a->next_off))
		return 0;
	if (type == RT_EV_GO_LOCK && (cheap = go_after_off(fd, site, a, true))) {
		/* the jump on the fast path's result: emulated, ZF clear when it won */
		off = cheap;
		extra = RT_CK_GO_ZF_CLEAR;
	}
	if (release) {
		long before = unlock_probe_off(fd, site, a, &riprel, &ld_reg, &ld_disp);

		/*
		 * Before the release when that is sure to see every path through the atomic;
		 * else after it (the release may then be streamed a little after an acquisition
		 * it allowed: a writer's Lock that returned on the reader's xadd is then
		 * streamed before the RUnlock, and the writer misses the reader's release).
		 */
		if (before < 0 || (riprel && (riprel + a->disp) != (__s32)(riprel + a->disp)) ||
		    (ld_reg >= 0 && (ld_disp != (__s16)ld_disp || disp != (__s16)disp)) ||
		    go_branch_into(fd, site, before, a->off)) {
			riprel = 0;
			ld_reg = -1;
			cheap = go_after_off(fd, site, a, false);
			if (cheap)
				off = cheap;
		} else {
			off = before;
		}
		if (riprel) {
			/* the lea sets the base to a global: from the probe's own address */
			extra = RT_CK_GO_RIPREL;
			disp = riprel + a->disp - field;
		}
	}
	dbits = (__u64)(__u32)(__s32)disp << 32;
	if (ld_reg >= 0) {
		/* on the load of the base: the probe reads it from ld_disp(ld_reg) */
		extra = RT_CK_GO_LOAD;
		reg = (__u64)ld_reg;
		dbits = RT_CK_GO_LOAD_BITS(ld_disp, disp);
	}
	if (go_add(gs, off,
		   type | RT_CK_EMIT | RT_CK_GO | RT_CK_GO_SITE | RT_CK_STACK | extra |
			   (reg << RT_CK_GO_REG_SHIFT) | dbits))
		return -ENOMEM;
	return 1;
}

#define RT_GO_SITE_ATOMICS 8

/*
 * What the `lock xadd` a adds, when a `mov $imm32, r32` of its source register (Go sets it
 * right before: `mov $-1, %ebx; lock xadd %ebx, 0x10(%rax)`) is found in the 16 bytes before
 * it: the immediate (1, -1, ...); 0 when not found. A byte match, not a decode: it only ranks
 * candidates that are already atomics of the right kind in the body's range.
 */
static int xadd_addend(int fd, const struct rt_go_atomic *a)
{
	unsigned char b[16 + 8];
	unsigned int k = 16, rex = 0, reg, i;
	__s32 imm;

	if (a->off < 16 || pread(fd, b, sizeof(b), a->off - 16) != (ssize_t)sizeof(b) ||
	    b[k++] != 0xf0)
		return 0;
	if ((b[k] & 0xf0) == 0x40)
		rex = b[k++];
	if (b[k] != 0x0f || b[k + 1] != 0xc1)
		return 0;
	reg = ((b[k + 2] >> 3) & 7) | (rex & 4 ? 8 : 0);
	for (i = 16 - 5; i + 1 > 0; i--) {
		if (b[i] != 0xb8 + (reg & 7) || (reg >= 8) != (i > 0 && b[i - 1] == 0x41))
			continue;
		memcpy(&imm, &b[i + 1], sizeof(imm));
		return imm;
	}
	return 0;
}

/*
 * Functions whose inlined lock bodies are not probed, because probes on the function itself
 * stand for them: RWMutex.Lock and Unlock (the writer lock's own Mutex: GO_WLOCK and
 * GO_WUNLOCK), and the out-of-line Mutex Lock and Unlock (entry and returns; from go1.24 on
 * they inline internal/sync's bodies, which would record the same lock twice).
 */
static const char *const own_funcs[RT_GO_OWN_FUNCS] = {
	"sync.(*RWMutex).Lock",	       "sync.(*RWMutex).Unlock",
	"sync.(*Mutex).Lock",	       "sync.(*Mutex).Unlock",
	"internal/sync.(*Mutex).Lock", "internal/sync.(*Mutex).Unlock",
};

static bool own_caller(const __u64 own[RT_GO_OWN_FUNCS], __u64 caller)
{
	size_t i;

	for (i = 0; i < RT_GO_OWN_FUNCS; i++)
		if (own[i] && own[i] == caller)
			return true;
	return false;
}

/*
 * The inlined bodies of fn: probes around their atomic, with the operand in the cookie, less
 * `field` (the atomic's word in the lock: the lock's own address goes in the record). A
 * release (Unlock, RUnlock) is probed before its atomic when that sees every path. A body's
 * address range may also hold another body's atomic (an instruction of a later body hoisted
 * into it): bodies with one atomic in range claim theirs first, the others take the first one
 * nobody claimed that adds what their kind adds (xadd_addend: -1 for Unlock and RUnlock, 1 for
 * RLock), else the first one nobody claimed. The addend matters where a body's range also
 * holds an unrelated atomic: go1.26's context.(*cancelCtx).propagateCancel hoists its third
 * Unlock's mutex reload right after the first Lock, and that range then held an
 * atomic.Int32.Add(1) before the Unlock's own xadd.
 */
static int go_inlined(struct rt_goelf *g, int fd, struct rt_goprobe_sites *gs,
		      const __u64 own[RT_GO_OWN_FUNCS], struct rt_map *claimed, bool claim_only,
		      const char *fn, __u32 op, __u16 type, __u32 field, __u32 *count)
{
	struct rt_go_site *sites = calloc(RT_GO_MAX_SITES, sizeof(*sites));
	struct rt_go_atomic(*cand)[RT_GO_SITE_ATOMICS] = NULL;
	/* what the atomic of this kind of body adds: Unlock, RUnlock -1; RLock 1; Lock: cmpxchg */
	int want = op != RT_GO_ATOMIC_XADD ? 0 :
		   (type == RT_EV_GO_UNLOCK || type == RT_EV_GO_RUNLOCK) ? -1 : 1;
	int *ncand = NULL;
	int n, i, j, pass, ret = 0;

	if (!sites)
		return -ENOMEM;
	n = rt_goelf__inlined(g, fn, RT_GO_SRC_ANY, sites, RT_GO_MAX_SITES);
	n = RT_MIN(n, RT_GO_MAX_SITES);
	if (n > 0) {
		cand = calloc(n, sizeof(*cand));
		ncand = calloc(n, sizeof(*ncand));
		if (!cand || !ncand)
			ret = -ENOMEM;
	}
	for (i = 0; i < n && !ret; i++) {
		if (own_caller(own, sites[i].caller))
			continue; /* in a function whose own probes stand for the body */
		ncand[i] = rt_goelf__site_atomics(g, &sites[i], op, cand[i], RT_GO_SITE_ATOMICS);
		if (ncand[i] == 1 && rt_map_put(claimed, cand[i][0].addr, 1))
			ret = -ENOMEM;
	}
	for (i = 0; i < n && !ret && !claim_only; i++) {
		const struct rt_go_atomic *a = NULL;
		int placed;

		if (ncand[i] == 1)
			a = &cand[i][0];
		for (pass = 0; pass < 2 && ncand[i] > 1 && !a; pass++) {
			for (j = 0; j < ncand[i] && !a; j++) {
				if (rt_map_get(claimed, cand[i][j].addr) ||
				    (!pass && (!want || xadd_addend(fd, &cand[i][j]) != want)))
					continue;
				a = &cand[i][j];
				if (rt_map_put(claimed, a->addr, 1))
					ret = -ENOMEM;
			}
		}
		if (!a) {
			if (ncand[i])
				gs->skipped++; /* no atomic of its own found */
			continue;
		}
		placed = ret ? 0 : go_site_probe(fd, gs, &sites[i], a, type, field);
		if (placed < 0)
			ret = placed;
		else if (placed)
			(*count)++;
		else
			gs->skipped++; /* the lock cannot be computed from registers there */
	}
	free(cand);
	free(ncand);
	free(sites);
	return ret;
}

/*
 * The inlined sync.(*Once).Do bodies: a probe on the jump of their fast path (the load of
 * Once.done), so that a goroutine that finds the work done follows the one that did it.
 */
static int go_once_sites(struct rt_goelf *g, int fd, struct rt_goprobe_sites *gs)
{
	struct rt_go_site *sites = calloc(RT_GO_MAX_SITES, sizeof(*sites));
	int n, i, ret = 0;

	if (!sites)
		return -ENOMEM;
	n = rt_goelf__inlined(g, "sync.(*Once).Do", RT_GO_SRC_ANY, sites, RT_GO_MAX_SITES);
	for (i = 0; i < n && i < RT_GO_MAX_SITES && !ret; i++) {
		const struct rt_go_site *site = &sites[i];
		__u64 start = site->off - (site->addr - site->caller), extra = 0;
		size_t len = site->end - site->caller;
		unsigned char *buf;
		int base = -1;
		__s64 disp = 0;
		long d = -1;

		if (site->caller > site->addr || site->end <= site->addr || len > (1 << 20))
			continue;
		buf = malloc(len);
		if (buf && pread(fd, buf, len, start) == (ssize_t)len)
			/* the load may come just before the body's first pc (go1.19 gives it the
			 * caller's line) */
			d = rt_probe_go_once(buf, len, site->addr - site->caller > 16 ?
							     site->addr - site->caller - 16 : 0,
					     &base, &disp);
		free(buf);
		if (d < 0 || disp != (__s32)disp ||
		    go_branch_into(fd, site, start + d - RT_MIN(d, 16), start + d)) {
			gs->skipped++;
			continue;
		}
		if (base == RT_GO_REG_RIP)
			extra = RT_CK_GO_RIPREL;
		ret = go_add(gs, start + d,
			     RT_EV_GO_ONCE_CHECK | RT_CK_EMIT | RT_CK_GO | RT_CK_GO_SITE | extra |
				     ((__u64)(base & 15) << RT_CK_GO_REG_SHIFT) |
				     ((__u64)(__u32)(__s32)disp << 32));
		gs->inlined_once++;
	}
	free(sites);
	return ret;
}

/*
 * Offset from a Go function's entry where its probe goes (probeaddr.h, Go's registers);
 * *morestack says it is the stack check's jump (RT_CK_GO_MORESTACK).
 */
static __u64 go_probe_offset(int fd, const struct rt_go_func *f, bool *morestack)
{
	unsigned char buf[4096];
	size_t n = RT_MIN((size_t)f->size ? (size_t)f->size : 64, sizeof(buf));
	const char *why;
	ssize_t got = pread(fd, buf, n, f->off);
	__u64 d;

	*morestack = false;
	if (got <= 0)
		return 0;
	d = rt_probe_offset(buf, got, f->off, RT_PA_GO, &why);
	*morestack = d && rt_probe_go_stack_check(buf, got, d);
	return d;
}

int rt_goprobe__place(const char *path, struct rt_goprobe_sites *gs, char *err, size_t errlen)
{
	__u64 own[RT_GO_OWN_FUNCS] = { 0 };
	__u32 rcount = 0;
	bool isync;
	struct rt_map claimed;
	struct rt_goelf *g;
	size_t i, k;
	int ret = 0, fd, pass;

	memset(gs, 0, sizeof(*gs));
	g = rt_goelf__open(path, err, errlen);
	if (!g)
		return errno == ENOEXEC ? 0 : -errno;
	snprintf(gs->version, sizeof(gs->version), "%s", rt_goelf__version(g));
	isync = rt_goelf__minor(g) >= 24;
	if (rt_goelf__support(g, gs->support, sizeof(gs->support)) == RT_GO_SUPPORT_KNOWN)
		gs->support[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rt_goelf__free(g);
		return ret;
	}
	for (i = 0; i < RT_ARRAY_SIZE(go_probes) && !ret; i++) {
		const struct go_probe_spec *p = &go_probes[i];
		__u32 rets[RT_GO_MAX_RETS];
		struct rt_go_func f;
		int n, k;

		if (rt_goelf__func(g, p->name, RT_GO_SRC_ANY, &f)) {
			/* assembly functions are "NAME.abi0" in .symtab */
			char abi0[128];

			snprintf(abi0, sizeof(abi0), "%s.abi0", p->name);
			if (rt_goelf__func(g, abi0, RT_GO_SRC_ANY, &f))
				continue;
		}
		if (p->entry_type) {
			/* the emulated jump after Go's stack check, when nothing it reads changed */
			bool morestack;
			__u64 d = go_probe_offset(fd, &f, &morestack);

			ret = go_add(gs, f.off + d,
				     p->entry_type | RT_CK_EMIT | RT_CK_GO | RT_CK_STACK |
					     (p->flags & ~RT_CK_GO_FIELD16) |
					     (morestack ? RT_CK_GO_MORESTACK : 0));
		}
		if (p->ret_type && !ret) {
			__u64 field = 0;
			__u32 fo;

			if ((p->flags & RT_CK_GO_FIELD16) &&
			    !rt_goelf__offset(g, RT_GO_HCHAN_ELEMSIZE, RT_GO_SRC_ANY, &fo) &&
			    fo < 0x10000)
				field = RT_CK_GO_FIELD16 | (__u64)fo << RT_CK_GO_FIELD_SHIFT;
			n = rt_goelf__returns(g, &f, rets, RT_GO_MAX_RETS);
			for (k = 0; k < n && k < RT_GO_MAX_RETS && !ret; k++)
				ret = go_add(gs, f.off + rets[k],
					     p->ret_type | RT_CK_EMIT | RT_CK_GO | RT_CK_GO_RETVAL |
						     field);
		}
	}
	for (i = 0; i < RT_GO_OWN_FUNCS; i++) {
		struct rt_go_func f;

		if (!rt_goelf__func(g, own_funcs[i], RT_GO_SRC_ANY, &f))
			own[i] = f.addr;
	}
	if (rt_goelf__offset(g, RT_GO_RWMUTEX_READERCOUNT, RT_GO_SRC_ANY, &rcount))
		rcount = ~0U; /* unknown: no read-lock sites */
	const struct {
		const char *fn;
		__u32 op;
		__u16 type;
		__u32 field, *count;
	} kinds[] = {
		{ isync ? "internal/sync.(*Mutex).Lock" : "sync.(*Mutex).Lock", RT_GO_ATOMIC_CMPXCHG,
		  RT_EV_GO_LOCK, 0, &gs->inlined_lock },
		{ isync ? "internal/sync.(*Mutex).Unlock" : "sync.(*Mutex).Unlock",
		  RT_GO_ATOMIC_XADD, RT_EV_GO_UNLOCK, 0, &gs->inlined_unlock },
		{ "sync.(*RWMutex).RLock", RT_GO_ATOMIC_XADD, RT_EV_GO_RLOCK, rcount,
		  &gs->inlined_rlock },
		{ "sync.(*RWMutex).RUnlock", RT_GO_ATOMIC_XADD, RT_EV_GO_RUNLOCK, rcount,
		  &gs->inlined_runlock },
	};
	/*
	 * From go1.24 on the atomics are in internal/sync's bodies, inlined into sync's (or used
	 * bare): their sites are the ones to look in. Bodies with one atomic in range claim it
	 * first, for every kind, so that a Mutex.Unlock body whose range also holds a RUnlock's
	 * xadd (grpc's addrConn.tryAllAddrs) does not take it; then every kind places its probes.
	 */
	rt_map_init(&claimed);
	for (pass = 0; pass < 2 && !ret; pass++) {
		for (k = 0; k < RT_ARRAY_SIZE(kinds) && !ret; k++) {
			if (kinds[k].field == ~0U)
				continue; /* readerCount unknown: no read-lock sites */
			ret = go_inlined(g, fd, gs, own, &claimed, !pass, kinds[k].fn, kinds[k].op,
					 kinds[k].type, kinds[k].field, kinds[k].count);
		}
	}
	rt_map_free(&claimed);
	if (!ret)
		ret = go_once_sites(g, fd, gs);
	if (ret)
		snprintf(err, errlen, "out of memory");
	close(fd);
	rt_goelf__free(g);
	return ret ? ret : 1;
}

void rt_goprobe__sites_free(struct rt_goprobe_sites *s)
{
	free(s->off);
	free(s->cookie);
	s->off = NULL;
	s->cookie = NULL;
	s->n = s->cap = 0;
}

int rt_goprobe__goid_offset(const char *path, __u32 *off, char *err, size_t errlen)
{
	struct rt_goelf *g = rt_goelf__open(path, err, errlen);
	int ret;

	if (!g)
		return -errno;
	ret = rt_goelf__offset(g, RT_GO_G_GOID, RT_GO_SRC_ANY, off);
	if (ret)
		snprintf(err, errlen, "%s (%s): cannot find runtime.g.goid: %s", path,
			 rt_goelf__version(g), strerror(-ret));
	rt_goelf__free(g);
	return ret;
}
