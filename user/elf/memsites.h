/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a program touches memory: the instructions of its own functions that have one memory
 * operand not based on the stack (rsp, rbp; and r14, Go's g), decoded with capstone, with what
 * a probe needs to compute the address from the registers (base, index, scale, displacement),
 * the access size, whether it reads or writes, and whether it is atomic (a lock prefix, xchg
 * with memory, cmpxchg). The data-race probes (bpf/uprobe.bpf.c uprobe_mem) are placed on them.
 *
 * Which functions are the program's own: for C, every function of the executable's .symtab
 * except the C runtime's start-up code; for Go, the functions of user packages, not the
 * runtime, sync, internal/... or any other standard library package (generic instantiations
 * included: their names start with the package that defines them).
 *
 * uprobes refuse lock-prefixed instructions, so an atomic is probed on the instruction before
 * it (which must leave the address registers unchanged and not be a jump), else on the one
 * after it; an access the kernel cannot probe or we cannot place is skipped and counted. The
 * bytes are untrusted: every decode is bounded by the function's size and the file.
 */
#ifndef RT_MEMSITES_H
#define RT_MEMSITES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* rt_memsite.flags */
#define RT_MS_READ 0x1
#define RT_MS_WRITE 0x2
#define RT_MS_ATOMIC 0x4
#define RT_MS_RIPREL 0x8 /* the address is relative to the end of the instruction */
#define RT_MS_BASE 0x10	 /* base register used */
#define RT_MS_INDEX 0x20 /* index register used */

#define RT_MS_NO_REG 0xff

struct rt_memsite {
	__u64 vaddr;  /* the accessing instruction */
	__u64 probe;  /* where the probe goes (vaddr, or the instruction before or after it) */
	__u64 off;    /* file offset of probe */
	__s32 disp;   /* displacement (riprel: from the end of the instruction) */
	__u8 base;    /* DWARF register number, RT_MS_NO_REG when none */
	__u8 index;   /* DWARF register number, RT_MS_NO_REG when none */
	__u8 scale;   /* 1, 2, 4 or 8 */
	__u8 size;    /* bytes accessed */
	__u8 len;     /* instruction length */
	__u8 flags;   /* RT_MS_* */
};

struct rt_memsites {
	struct rt_memsite *s;
	size_t n, cap;
	size_t nfuncs;	    /* functions decoded */
	size_t skipped;	    /* memory accesses that could not be probed */
	size_t atomics;	    /* atomic accesses among s */
	bool go;	    /* a Go executable */
};

/*
 * Decode one function: code holds size bytes of it, starting at its entry, at address vaddr
 * and file offset off. Appends its memory-access sites to out (in address order). go: Go code
 * (r14 is the g, not memory of the program). 0, or -ENOMEM (out keeps what it had).
 */
int rt_memsites__decode(const unsigned char *code, size_t size, __u64 vaddr, __u64 off, bool go,
			struct rt_memsites *out);

/* Is the Go function `name` the user's (not the runtime's or another standard package's)? */
bool rt_memsites__go_user_func(const char *name);

/*
 * Every memory-access site of the program's own functions in the executable at path (C or
 * Go). 0 and *out filled (free with rt_memsites__free), or -errno with a one-line reason in err:
 * -ENOENT/-EACCES (cannot open), -ENOEXEC (not an ELF executable), -ENODATA (no symbol table:
 * a stripped C binary, or a Go binary without a function table).
 */
int rt_memsites__scan(const char *path, struct rt_memsites *out, char *err, size_t errlen);

/* NULL-safe; leaves *ms empty. */
void rt_memsites__free(struct rt_memsites *ms);

#endif /* RT_MEMSITES_H */
