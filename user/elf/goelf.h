/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * goelf.h: what racetrace needs to know about a Go executable before it can probe it, read from
 * the file alone (no process, no ptrace, no libbpf): the Go version from the build info; the
 * entry address and size of a function by name, from .symtab or, in a stripped binary, from
 * the runtime's own function table (.gopclntab); every place where a function (sync.Mutex.Lock
 * and friends) was inlined, from DWARF or from the inline trees in .gopclntab; the return
 * instructions of a function, for exit probes (Go code is never given uretprobes: goroutine
 * stacks move); and the offsets of the runtime struct fields the BPF side reads, from DWARF or
 * from the per-version table in goelf.c; and how well racetrace knows the binary's release, as
 * one line for the user. x86-64 ELF only. docs/go.md describes the formats.
 *
 * Every address here is a virtual address as linked (st_value, DWARF low_pc); every `off` is
 * the matching file offset, which is what uprobes take. The file is untrusted: every read is
 * bounds-checked, every count capped, and a corrupt table yields an error or fewer results,
 * never a crash. Attaching, and deciding what to do with a site, is left to user/probe/attach.c.
 */
#ifndef RT_GOELF_H
#define RT_GOELF_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct rt_goelf;

/* Supported Go releases: every table in goelf.c is known for these. */
#define RT_GO_MIN_MINOR 19
#define RT_GO_MAX_MINOR 27

/* Where an answer comes from: a query can ask for one source, or RT_GO_SRC_ANY for the best. */
enum rt_go_src {
	RT_GO_SRC_ANY = 0,
	RT_GO_SRC_SYMTAB = 1,  /* .symtab (functions) */
	RT_GO_SRC_PCLNTAB = 2, /* .gopclntab: function table, inline trees */
	RT_GO_SRC_DWARF = 3,   /* .debug_info: inlined subroutines, struct members */
	RT_GO_SRC_TABLE = 4,   /* the per-version table in goelf.c (struct offsets) */
};

/* What the file has, for rt_goelf__have(). */
#define RT_GO_HAVE_BUILDINFO 0x01
#define RT_GO_HAVE_SYMTAB 0x02
#define RT_GO_HAVE_PCLNTAB 0x04 /* a function table we can parse */
#define RT_GO_HAVE_DWARF 0x08
#define RT_GO_HAVE_GOFUNC 0x10 /* moduledata found: funcdata (inline trees) readable */

/*
 * Open path and check that it is a Go executable racetrace can handle. Returns NULL with errno
 * set and a one-line reason in err (no trailing newline, no "racetrace:" prefix) when it cannot:
 * ENOENT/EACCES (open failed), ENOEXEC (not an ELF file, or not a Go binary: neither build
 * info nor a function table), EPROTONOSUPPORT (not x86-64, or a Go version outside
 * go1.19..go1.27, except that a newer one is accepted when the file has .symtab and DWARF to
 * answer every query from: see rt_goelf__support(); the line then says which release, which
 * releases work and what is off), EINVAL (a Go binary whose tables are corrupt), ENOMEM.
 * The file is mapped read-only until rt_goelf__free().
 */
struct rt_goelf *rt_goelf__open(const char *path, char *err, size_t errlen);

/* NULL-safe. */
void rt_goelf__free(struct rt_goelf *g);

/* The version string from the build info, e.g. "go1.21.6"; never NULL. */
const char *rt_goelf__version(const struct rt_goelf *g);

/* The minor version: 21 for go1.21.6. */
int rt_goelf__minor(const struct rt_goelf *g);

/* RT_GO_HAVE_* bits. */
unsigned int rt_goelf__have(const struct rt_goelf *g);

/* How much of what racetrace knows about Go releases applies to an opened binary. */
enum rt_go_support {
	RT_GO_SUPPORT_KNOWN = 0, /* a release of the table (go1.19..go1.27): every source */
	RT_GO_SUPPORT_NEWER = 1, /* newer than the table: .symtab and DWARF answer; the table
				  * (.gopclntab layouts, inline trees, struct offsets) is off */
};

/*
 * The binary's support level. For anything but RT_GO_SUPPORT_KNOWN, line gets one sentence for
 * the user (no trailing newline, no "racetrace:" prefix): the release, the releases known to
 * work, what answers for this one and what is turned off; for a known release line gets "".
 * The caller prints it: a newer release must never give a silently partial trace. (A release
 * racetrace cannot trace at all is refused by rt_goelf__open() with such a line instead.)
 */
enum rt_go_support rt_goelf__support(const struct rt_goelf *g, char *line, size_t len);

/* Every function of the .gopclntab table, in address order: fn's non-zero return stops it. */
typedef int (*rt_go_func_fn)(void *ctx, __u64 addr, __u64 size, const char *name);
int rt_goelf__foreach_func(const struct rt_goelf *g, rt_go_func_fn fn, void *ctx);

/* A function's out-of-line body. */
struct rt_go_func {
	__u64 addr; /* entry */
	__u64 off;  /* file offset of the entry */
	__u64 size; /* bytes up to the next function (symtab: st_size) */
};

/*
 * Look up a function by its full Go name ("runtime.mapassign", "sync.(*Mutex).Lock") in src:
 * RT_GO_SRC_SYMTAB, RT_GO_SRC_PCLNTAB, or RT_GO_SRC_ANY (.symtab when present, else the
 * function table). Returns 0 and fills *f; -ENOENT when the function is not there; -ENODATA
 * when the file has no such source; -EINVAL for another src. *f is unchanged on failure.
 */
int rt_goelf__func(struct rt_goelf *g, const char *name, enum rt_go_src src, struct rt_go_func *f);

/* One inlined instance of a function. */
struct rt_go_site {
	__u64 addr;   /* first instruction of the inlined body (its lowest address) */
	__u64 off;    /* its file offset */
	__u64 end;    /* end of its highest range: the body, which the compiler may interleave
		       * with the caller's code, lies in [addr, end) */
	__u64 caller; /* entry address of the function the body was inlined into */
};

/*
 * Every inlined instance of the function `name`, from src: RT_GO_SRC_DWARF (each
 * DW_TAG_inlined_subroutine whose abstract origin has that name: the lowest address of its
 * low_pc or ranges), RT_GO_SRC_PCLNTAB (each entry of a function's inline tree that names it:
 * the lowest pc whose innermost inlining is that entry or a call inlined into it), or
 * RT_GO_SRC_ANY (DWARF when present). Stores up to max sites in sites, sorted by address with
 * duplicates removed, and returns how many there are in all (more than max means the list was
 * cut), 0 when the function was never inlined; -ENODATA when the file has no such source (no
 * DWARF; no function table, or its funcdata could not be located), -EINVAL for another src,
 * -E2BIG when the tables are too large or too deeply linked to walk (2^26 DIEs, 2^28 inline
 * parent links: far beyond any real binary), -ENOMEM.
 */
int rt_goelf__inlined(struct rt_goelf *g, const char *name, enum rt_go_src src,
		      struct rt_go_site *sites, size_t max);

/*
 * The source position of vaddr pc, from .gopclntab's pcfile and pcln tables (stripped binaries
 * keep them: the runtime's tracebacks need them): *file (the path the compiler recorded,
 * pointing into the mapped file until rt_goelf__free(); NULL when unknown) and *line (0 when
 * unknown). At an inlined body it is the inlined function's own position. Pass the call
 * instruction for a return address. Returns 0 when file or line is known; -ENOENT when no
 * function holds pc or the tables say nothing there; -ENODATA without a function table.
 */
int rt_goelf__line(const struct rt_goelf *g, __u64 pc, const char **file, int *line);

/* One frame of the inline chain at a pc. */
struct rt_go_frame {
	const char *function; /* full Go name; NULL when the table's name is unreadable */
	const char *file;     /* NULL when unknown; strings point into the mapped file */
	int line;	      /* 0 when unknown */
	bool inlined;	      /* inlined into the next frame: file:line is inside this function,
			       * and the next frame's file:line is where it was called */
	__u64 entry;	      /* entry of the out-of-line function whose code pc is */
};

/*
 * The inline chain at vaddr pc from .gopclntab, as Go's tracebacks print it: out[0] is the
 * innermost inlined function with the position of pc, each next frame the function it was
 * inlined into with the position of that call (its parentPc in the inline tree:
 * FUNCDATA_InlTree, PCDATA_InlTreeIndex), the last one the out-of-line function (inlined
 * false). Without readable inline trees (no moduledata) it is that one frame. At most max
 * frames: a longer chain keeps its innermost max - 1 and the out-of-line one. Returns the
 * number stored (>= 1); -ENOENT when no function holds pc (or max is 0); -ENODATA without a
 * function table. Works for every release of the table, stripped or not.
 */
int rt_goelf__frames(const struct rt_goelf *g, __u64 pc, struct rt_go_frame *out, size_t max);

/* The atomic read-modify-write that an inlined lock or unlock body is built around. */
enum rt_go_atomic_op {
	RT_GO_ATOMIC_CMPXCHG = 1, /* lock cmpxchg: Mutex.Lock's fast path */
	RT_GO_ATOMIC_XADD = 2,	  /* lock xadd: Mutex.Unlock, RWMutex.RLock/RUnlock */
	RT_GO_ATOMIC_XCHG = 3,	  /* xchg with memory (implicitly locked) */
	RT_GO_ATOMIC_OTHER = 4,	  /* another lock-prefixed instruction (lock and/or/add) */
};

#define RT_GO_REG_NONE (-1)
#define RT_GO_REG_RIP 16 /* DWARF's return-address column: a RIP-relative operand */

struct rt_go_atomic {
	__u64 addr, off;      /* the atomic instruction */
	__u64 next, next_off; /* the one after it: uprobes refuse lock-prefixed instructions, and
			       * there the flags hold the outcome (ZF: cmpxchg succeeded) */
	__u32 op;	      /* RT_GO_ATOMIC_* */
	__s32 base, index;    /* memory operand registers, DWARF x86-64 numbers (0 rax, 1 rdx,
			       * 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8-15 r8-r15), or
			       * RT_GO_REG_NONE; base RT_GO_REG_RIP for a RIP-relative operand */
	__u32 scale;
	__s64 disp;
	__u64 target;	      /* RIP-relative: the operand's link-time address (a global) */
	__u32 clobbered;      /* the instruction itself writes base or index: at `next` the
			       * address can no longer be computed from registers */
};

/*
 * The atomic instruction (of kind op, or any kind for 0) of an inlined lock or unlock body:
 * the first one in [site->addr, site->end), else the last one at most 32 bytes before
 * site->addr with no jump, call or return in between (the compiler sometimes gives the atomic
 * the caller's line, so the body "starts" after it). The caller is decoded from its entry, so
 * that every instruction is seen where it starts. For an inlined sync.(*Mutex).Lock it is the
 * `lock cmpxchg` on m.state, so `base + index * scale + disp` at `next` is the mutex (state is
 * at +0; for RWMutex.RLock the operand is readerCount). Ask for the kind the body uses (Lock:
 * CMPXCHG; Unlock, RLock, RUnlock: XADD): the caller's own atomics can sit inside the range.
 * Returns 0 and fills *a; -ENOENT when there is none; -EINVAL when the bytes are not in the
 * file or do not decode. *a is unchanged on failure.
 */
int rt_goelf__site_atomic(struct rt_goelf *g, const struct rt_go_site *site, __u32 op,
			  struct rt_go_atomic *a);
/*
 * Every atomic of kind op in the site's [addr, end), in address order, up to max (or, when
 * there is none, the one just before addr, as above); returns how many, or -errno. The range
 * is the hull of the body, which may hold another inlined body's atomic too (the compiler
 * hoists an instruction of a later body): the caller matches atomics to sites.
 */
int rt_goelf__site_atomics(struct rt_goelf *g, const struct rt_go_site *site, __u32 op,
			   struct rt_go_atomic *a, size_t max);

/*
 * The return instructions of function f (from rt_goelf__func), found by disassembling its
 * bytes with capstone: stores up to max offsets from f->addr (add f->off for the file offset)
 * in ascending order, and returns how many there are in all. -EINVAL when the bytes are not
 * all in the file or do not decode as x86-64 up to the function's end (a probe must never land
 * inside an instruction), -ENOMEM.
 */
int rt_goelf__returns(struct rt_goelf *g, const struct rt_go_func *f, __u32 *offs, size_t max);

/* Runtime struct fields the BPF side reads. */
enum rt_go_field {
	RT_GO_G_GOID,		/* runtime.g.goid: int64; the current g is r14 (ABIInternal) */
	RT_GO_G_M,		/* runtime.g.m: *m */
	RT_GO_G_ATOMICSTATUS,	/* runtime.g.atomicstatus: uint32 (1.20+: atomic.Uint32) */
	RT_GO_M_PROCID,		/* runtime.m.procid: uint64, the thread id on Linux */
	RT_GO_HMAP_COUNT,	/* runtime.hmap.count: int */
	RT_GO_HMAP_FLAGS,	/* runtime.hmap.flags: uint8 */
	RT_GO_HCHAN_QCOUNT,	/* runtime.hchan.qcount: uint */
	RT_GO_HCHAN_DATAQSIZ,	/* runtime.hchan.dataqsiz: uint */
	RT_GO_HCHAN_CLOSED,	/* runtime.hchan.closed: uint32 */
	RT_GO_HCHAN_ELEMSIZE,	/* runtime.hchan.elemsize: uint16 */
	RT_GO_RWMUTEX_READERCOUNT, /* sync.RWMutex.readerCount: int32 (1.20+: atomic.Int32), the
				    * word an inlined RLock/RUnlock's `lock xadd` changes */
	RT_GO_SWISSMAP_USED,	/* internal/runtime/maps.Map.used: uint64, the count (1.24+) */
	RT_GO_SWISSMAP_WRITING,	/* internal/runtime/maps.Map.writing: uint8 (1.24+) */
	RT_GO_NR_FIELDS,
};

/* "runtime.g.goid" and so on, for messages; "?" for a bad value. */
const char *rt_goelf__field_name(enum rt_go_field field);

/*
 * The byte offset of field in its struct, from src: RT_GO_SRC_DWARF, RT_GO_SRC_TABLE (the
 * per-version table), or RT_GO_SRC_ANY (DWARF when the file has it, else the table). Returns 0
 * and sets *off; -ENOENT when the release has no such field (runtime.hmap from go1.24 on,
 * internal/runtime/maps.Map before it) or DWARF lacks the member; -ENODATA when there is no
 * DWARF, or no table row for this version (newer than go1.27); -EINVAL for a bad field or src.
 * Fields of runtime.hmap and internal/runtime/maps.Map follow the release's default map
 * (go1.24 and go1.25 built with GOEXPERIMENT=noswissmap keep hmap: only DWARF is right there).
 */
int rt_goelf__offset(struct rt_goelf *g, enum rt_go_field field, enum rt_go_src src, __u32 *off);

#endif /* RT_GOELF_H */
