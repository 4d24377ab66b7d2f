/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where to put a function's entry probe. A uprobe on an instruction the kernel must single-step
 * out of line (a `mov`, like pthread_mutex_lock's first one) costs many times what it costs on
 * one the kernel emulates (a relative jump, call or conditional jump, a push of a register, a
 * nop): `make bench` measures both (docs/performance.md, "Probe placement candidates"). So the
 * probe moves from the entry to the first such instruction of the
 * straight-line prefix, when everything before it leaves untouched what the probe reads (the
 * stack pointer, so the return address is still on top; the argument registers it reads;
 * memory) and no branch of the function lands between the entry and it. Return probes can move
 * the same way: they find the return address on top of the stack too.
 */
#ifndef RT_PROBEADDR_H
#define RT_PROBEADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* argument registers the probe reads at that address (x86-64 SysV order) */
#define RT_PA_ARG1 0x1
#define RT_PA_ARG2 0x2
#define RT_PA_ARG3 0x4
/* Go's register ABI: the probe reads RAX, RBX (arguments 0 and 1) and R14 (the g) */
#define RT_PA_GO 0x8

/*
 * code: the function's bytes (size of them, at most what the file holds), starting at its entry,
 * whose address (any consistent space, e.g. the file offset) is base. Returns the offset from
 * the entry at which to probe: 0 when the entry itself is the best (or only safe) place; for an
 * entry with a lock prefix, which uprobes refuse, the next instruction when that is safe.
 * *why gets a short reason for logs.
 */
__u64 rt_probe_offset(const unsigned char *code, size_t size, __u64 base, __u32 args,
		      const char **why);

/*
 * code[0..len) ends right where an atomic instruction starts. Returns the offset in code of
 * the last instruction before it when a probe there still finds the atomic's base register
 * (DWARF number dwarf_reg) unchanged (it is not a jump, call, return or locked instruction and
 * does not write that register), or is `lea disp(%rip), reg`: then *riprel is set to where the
 * operand is relative to that lea (the probe computes it from its own address); -1 otherwise.
 * code should start at an instruction boundary,
 * best the function's entry, and is decoded linearly up to the atomic.
 * Used to see a Go Mutex.Unlock before its `lock xadd` releases the lock, so that the release
 * is in the event stream before any acquisition it allows.
 */
long rt_probe_before(const unsigned char *code, size_t len, int dwarf_reg, __s64 *riprel);
/*
 * When rt_probe_before finds nothing because the base register is set right before the
 * atomic (Go reloads a lock pointer spilled across a call: `mov 0x28(%rsp), %rsi; lock xadd
 * %edx, 0x10(%rsi)`): the offset of that last write of the base when it is a 64-bit `mov
 * disp(%reg), base` with nothing but straight-line code that leaves the base alone after it,
 * with *src_reg (DWARF number) and *src_disp, so that a probe on the mov reads the base from
 * memory itself; -1 otherwise.
 */
long rt_probe_before_load(const unsigned char *code, size_t len, int dwarf_reg, int *src_reg,
			  __s64 *src_disp);
/*
 * (rt_probe_before also prefers an instruction the kernel emulates, a nop, when one is in the
 * run of instructions that do not write the register before the atomic: a probe there costs
 * a fraction of a single-stepped one.)
 *
 * code[0..len) starts right after an atomic. For a lock (Go's Mutex.Lock fast path, `lock
 * cmpxchg`): the offset of the `jne`/`je` that tests the `sete` of its result (sete r8; ...;
 * test r8, r8; jcc), where ZF clear means the fast path won and the base register (DWARF
 * number dwarf_reg) still holds the lock's address. For a release (!lock): the first emulated
 * instruction of the straight-line code after it, with the base register unchanged. -1 when
 * there is none: probe right after the atomic (single-stepped) instead.
 */
long rt_probe_after(const unsigned char *code, size_t len, int dwarf_reg, bool lock);

/*
 * Does a direct jump or call in code (size bytes at address base, decoded linearly) land in
 * (lo, hi]? True also when the bytes do not decode to the end (be safe).
 */
bool rt_probe_branch_into(const unsigned char *code, size_t size, __u64 base, __u64 lo, __u64 hi);

/*
 * Is the instruction at off (from the function's entry at code) the `jbe` of Go's stack
 * check, right after `cmp 0x10(%r14), %rsp` (or a scratch register holding rsp less the frame)?
 * A probe there fires again when the check fails: morestack grows the stack and runs the
 * function from its entry once more. The flags say which time it is (CF or ZF set: the jump
 * to morestack will be taken).
 */
bool rt_probe_go_stack_check(const unsigned char *code, size_t size, __u64 off);

/*
 * An inlined sync.(*Once).Do's fast path, `mov done, r32; test r32, r32; jne|je` (the load of
 * Once.done, at offset 0 of the Once), at or after offset lo of code (decoded from the
 * enclosing function's entry). Returns the offset of the jump (emulated: a cheap probe, where
 * the Once's address is still in its base register) and the operand: *dwarf_base (16 for a
 * RIP-relative global, then *disp is relative to the jump's own address) and *disp; -1 when
 * the body has no such fast path.
 */
long rt_probe_go_once(const unsigned char *code, size_t len, __u64 lo, int *dwarf_base,
		      __s64 *disp);

#endif /* RT_PROBEADDR_H */
