// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* probeaddr.h: the cheapest safe probe address in a function, found with capstone. */
#include <capstone/capstone.h>
#include <string.h>
#include "elf/probeaddr.h"
#include "lib/util.h"

#define RT_PA_PREFIX_INSNS 12	  /* how far from the entry to look */
#define RT_PA_SWEEP_MAX (64 << 10) /* bytes of the function swept for branch targets */

/* Instructions x86 uprobes emulate instead of single-stepping. */
static bool emulated(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (x->prefix[i])
			return false; /* the emulation refuses most prefixes: keep it simple */
	switch (in->id) {
	case X86_INS_JMP:
	case X86_INS_CALL:
		/* relative forms only: e8 / e9 / eb */
		return x->opcode[0] == 0xe8 || x->opcode[0] == 0xe9 || x->opcode[0] == 0xeb;
	case X86_INS_JAE: case X86_INS_JA: case X86_INS_JBE: case X86_INS_JB:
	case X86_INS_JE: case X86_INS_JGE: case X86_INS_JG: case X86_INS_JLE:
	case X86_INS_JL: case X86_INS_JNE: case X86_INS_JNO: case X86_INS_JNP:
	case X86_INS_JNS: case X86_INS_JO: case X86_INS_JP: case X86_INS_JS:
		return true;
	case X86_INS_PUSH:
		/* push of a 64-bit register: 50+r, with REX.B for r8-r15 */
		return (x->opcode[0] & 0xf8) == 0x50 && (!x->rex || x->rex == 0x41);
	case X86_INS_NOP:
		return in->size == 1 || in->size == 5;
	default:
		return false;
	}
}

static bool writes(csh h, const cs_insn *in, __u32 args)
{
	cs_regs rr, wr;
	uint8_t nr = 0, nw = 0, i;
	const cs_x86 *x = &in->detail->x86;

	if (cs_regs_access(h, in, rr, &nr, wr, &nw))
		return true;
	for (i = 0; i < nw; i++) {
		switch (wr[i]) {
		case X86_REG_RSP: case X86_REG_ESP: case X86_REG_SP: case X86_REG_SPL:
			return true;
		case X86_REG_RDI: case X86_REG_EDI: case X86_REG_DI: case X86_REG_DIL:
			if (args & RT_PA_ARG1)
				return true;
			break;
		case X86_REG_RSI: case X86_REG_ESI: case X86_REG_SI: case X86_REG_SIL:
			if (args & RT_PA_ARG2)
				return true;
			break;
		case X86_REG_RDX: case X86_REG_EDX: case X86_REG_DX: case X86_REG_DL:
		case X86_REG_DH:
			if (args & RT_PA_ARG3)
				return true;
			break;
		case X86_REG_RAX: case X86_REG_EAX: case X86_REG_AX: case X86_REG_AL:
		case X86_REG_AH: case X86_REG_RBX: case X86_REG_EBX: case X86_REG_BX:
		case X86_REG_BL: case X86_REG_BH: case X86_REG_R14: case X86_REG_R14D:
		case X86_REG_R14W: case X86_REG_R14B:
			if (args & RT_PA_GO)
				return true;
			break;
		default:
			break;
		}
	}
	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM && (x->operands[i].access & CS_AC_WRITE))
			return true;
	return false;
}

static bool is_flow(const cs_insn *in)
{
	const cs_detail *d = in->detail;
	uint8_t i;

	for (i = 0; i < d->groups_count; i++) {
		switch (d->groups[i]) {
		case X86_GRP_JUMP:
		case X86_GRP_CALL:
		case X86_GRP_RET:
		case X86_GRP_INT:
		case X86_GRP_IRET:
			return true;
		}
	}
	return false;
}

/* Does any branch in code (at address base) land in (lo, hi]? */
static bool lands_between_from(csh h, const unsigned char *code, size_t size, __u64 base,
			       __u64 lo, __u64 hi)
{
	const uint8_t *p = code;
	size_t left = RT_MIN(size, (size_t)RT_PA_SWEEP_MAX);
	uint64_t addr = base;
	cs_insn *in = cs_malloc(h);
	bool hit = false;

	if (!in)
		return true;
	while (left && cs_disasm_iter(h, &p, &left, &addr, in)) {
		const cs_x86 *x = &in->detail->x86;

		if (is_flow(in) && x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
			__u64 t = x->operands[0].imm;

			if (t > lo && t <= hi) {
				hit = true;
				break;
			}
		}
	}
	/* bytes we could not decode (data, padding) end the sweep: be safe when it stops early */
	if (!hit && left > 16)
		hit = true;
	cs_free(in, 1);
	return hit;
}

/* Does any branch of the function land in (base, target]? */
static bool lands_between(csh h, const unsigned char *code, size_t size, __u64 base, __u64 target)
{
	return lands_between_from(h, code, size, base, base, target);
}

__u64 rt_probe_offset(const unsigned char *code, size_t size, __u64 base, __u32 args,
		      const char **why)
{
	const uint8_t *p = code;
	size_t left = RT_MIN(size, (size_t)256);
	uint64_t addr = base;
	__u64 res = 0, lock_next = 0;
	cs_insn *in;
	csh h;
	int n;

	*why = "entry";
	if (!code || !size || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return 0;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	if (!in)
		goto cleanup;
	for (n = 0; n < RT_PA_PREFIX_INSNS && left && cs_disasm_iter(h, &p, &left, &addr, in);
	     n++) {
		const cs_x86 *x = &in->detail->x86;
		bool lock = x->prefix[0] == 0xf0;

		if (n == 0 && emulated(in)) {
			*why = "entry is emulated";
			break;
		}
		if (n > 0 && emulated(in)) {
			if (!lands_between(h, code, size, base, in->address)) {
				res = in->address - base;
				*why = "first emulated instruction";
			} else {
				*why = "a branch lands before the first emulated instruction";
			}
			break;
		}
		if (n == 0 && lock)
			lock_next = in->size; /* uprobes refuse it: the next one at least */
		if (is_flow(in) || writes(h, in, args)) {
			*why = "no emulated instruction before the stack, arguments or memory change";
			break;
		}
	}
	if (!res && lock_next && !lands_between(h, code, size, base, base + lock_next)) {
		res = lock_next;
		*why = "entry has a lock prefix";
	}
cleanup:
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return res;
}

/* capstone's registers that are part of the DWARF x86-64 register r */
static bool in_dwarf_reg(x86_reg x, int r)
{
	static const x86_reg parts[16][5] = {
		{ X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL, X86_REG_AH },
		{ X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL, X86_REG_DH },
		{ X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL, X86_REG_CH },
		{ X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL, X86_REG_BH },
		{ X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL, X86_REG_SIL },
		{ X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL, X86_REG_DIL },
		{ X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL, X86_REG_BPL },
		{ X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL, X86_REG_SPL },
		{ X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B, X86_REG_R8B },
		{ X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B, X86_REG_R9B },
		{ X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B, X86_REG_R10B },
		{ X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B, X86_REG_R11B },
		{ X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B, X86_REG_R12B },
		{ X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B, X86_REG_R13B },
		{ X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B, X86_REG_R14B },
		{ X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B, X86_REG_R15B },
	};
	int i;

	if (r < 0 || r > 15)
		return true;
	for (i = 0; i < 5; i++)
		if (parts[r][i] == x)
			return true;
	return false;
}

long rt_probe_before(const unsigned char *code, size_t len, int dwarf_reg, __s64 *riprel)
{
	const uint8_t *p = code;
	size_t left = len;
	uint64_t addr = 0;
	long last = -1, emu = -1;
	cs_insn *in;
	csh h;
	int n = 0;

	if (!code || !len || len > (1 << 20) || dwarf_reg < 0 || dwarf_reg > 15 ||
	    cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -1;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	*riprel = 0;
	while (in && left && cs_disasm_iter(h, &p, &left, &addr, in)) {
		const cs_x86 *x = &in->detail->x86;
		cs_regs rr, wr;
		uint8_t nr = 0, nw = 0, i;
		bool bad = is_flow(in) || x->prefix[0] == 0xf0, writes = false;

		*riprel = 0;
		if (!bad && !cs_regs_access(h, in, rr, &nr, wr, &nw)) {
			for (i = 0; i < nw; i++)
				writes |= in_dwarf_reg(wr[i], dwarf_reg);
		} else {
			bad = true;
		}
		/* `lea disp(%rip), base`: the operand is a global, known from the lea itself */
		if (!bad && writes) {
			if (in->id == X86_INS_LEA && x->op_count == 2 &&
			    x->operands[1].type == X86_OP_MEM &&
			    x->operands[1].mem.base == X86_REG_RIP &&
			    x->operands[1].mem.index == X86_REG_INVALID)
				*riprel = in->size + x->operands[1].mem.disp;
			else
				bad = true;
		}
		last = bad ? -1 : (long)in->address;
		/* an instruction the kernel emulates is cheaper to probe: the closest one in the
		 * run of instructions since the base register was last set */
		if (bad || writes)
			emu = -1;
		else if (emulated(in))
			emu = (long)in->address;
		n++;
	}
	/* the decode must end exactly at the atomic */
	if (left || addr != len)
		last = emu = -1;
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	(void)n;
	if (emu >= 0 && last >= 0 && !*riprel)
		return emu;
	return last;
}

long rt_probe_before_load(const unsigned char *code, size_t len, int dwarf_reg, int *src_reg,
			  __s64 *src_disp)
{
	const uint8_t *p = code;
	size_t left = len;
	uint64_t addr = 0;
	long ld = -1;
	cs_insn *in;
	csh h;

	if (!code || !len || len > (1 << 20) || dwarf_reg < 0 || dwarf_reg > 15 ||
	    cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -1;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	while (in && left && cs_disasm_iter(h, &p, &left, &addr, in)) {
		const cs_x86 *x = &in->detail->x86;
		const cs_x86_op *src = &x->operands[1];
		cs_regs rr, wr;
		uint8_t nr = 0, nw = 0, i;
		bool bad = is_flow(in) || x->prefix[0] == 0xf0, writes = false;
		int r;

		if (!bad && !cs_regs_access(h, in, rr, &nr, wr, &nw)) {
			for (i = 0; i < nw; i++)
				writes |= in_dwarf_reg(wr[i], dwarf_reg);
		} else {
			bad = true;
		}
		if (bad) {
			ld = -1;
			continue;
		}
		if (!writes)
			continue; /* the base stays as the load left it */
		ld = -1;
		/* mov disp(%reg), base (all 64 bits of it) */
		if (in->id != X86_INS_MOV || x->op_count != 2 || x->operands[0].type != X86_OP_REG ||
		    !in_dwarf_reg(x->operands[0].reg, dwarf_reg) || x->operands[0].size != 8 ||
		    src->type != X86_OP_MEM || src->size != 8 ||
		    src->mem.index != X86_REG_INVALID || src->mem.segment != X86_REG_INVALID ||
		    src->mem.base == X86_REG_INVALID || src->mem.base == X86_REG_RIP)
			continue;
		for (r = 0; r < 16 && !in_dwarf_reg(src->mem.base, r); r++)
			;
		if (r == 16)
			continue;
		ld = (long)in->address;
		*src_reg = r;
		*src_disp = src->mem.disp;
	}
	/* the decode must end exactly at the atomic */
	if (left || addr != len)
		ld = -1;
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return ld;
}

long rt_probe_after(const unsigned char *code, size_t len, int dwarf_reg, bool lock)
{
	const uint8_t *p = code;
	size_t left = RT_MIN(len, (size_t)256);
	uint64_t addr = 0;
	x86_reg set = X86_REG_INVALID;
	long ret = -1;
	cs_insn *in;
	csh h;
	int n;

	if (!code || !len || dwarf_reg < 0 || dwarf_reg > 15 ||
	    cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -1;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	for (n = 0; in && n < 8 && left && cs_disasm_iter(h, &p, &left, &addr, in); n++) {
		const cs_x86 *x = &in->detail->x86;
		cs_regs rr, wr;
		uint8_t nr = 0, nw = 0, i;
		bool writes_base = false, writes_set = false;

		if (cs_regs_access(h, in, rr, &nr, wr, &nw))
			break;
		for (i = 0; i < nw; i++) {
			writes_base |= in_dwarf_reg(wr[i], dwarf_reg);
			writes_set |= set != X86_REG_INVALID && wr[i] == set;
		}
		if (lock) {
			/* sete r8 (the fast path's result), ..., test r8, r8; jcc */
			if (n == 0) {
				/* (the sete may also overwrite the lock's base register) */
				if (in->id != X86_INS_SETE || x->op_count != 1 ||
				    x->operands[0].type != X86_OP_REG || writes_base)
					break;
				set = x->operands[0].reg;
				continue;
			}
			if (in->id == X86_INS_TEST && x->op_count == 2 &&
			    x->operands[0].type == X86_OP_REG && x->operands[0].reg == set &&
			    x->operands[1].type == X86_OP_REG && x->operands[1].reg == set) {
				if (!cs_disasm_iter(h, &p, &left, &addr, in) ||
				    (in->id != X86_INS_JNE && in->id != X86_INS_JE) || !emulated(in))
					break;
				ret = (long)in->address; /* ZF clear there: the fast path won */
				break;
			}
			if (is_flow(in) || writes_base || writes_set || x->prefix[0] == 0xf0)
				break;
			continue;
		}
		/* a release: the first emulated instruction every path after the atomic takes */
		if (emulated(in)) {
			ret = (long)in->address;
			break;
		}
		if (is_flow(in) || writes_base || x->prefix[0] == 0xf0)
			break;
	}
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return ret;
}

bool rt_probe_branch_into(const unsigned char *code, size_t size, __u64 base, __u64 lo, __u64 hi)
{
	const uint8_t *p = code;
	size_t left = size;
	uint64_t addr = base;
	bool hit = false, past = false;
	cs_insn *in;
	csh h;

	if (!code || !size || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return true;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	/* the function ends at the int3 padding after it (Go pads functions with 0xcc) */
	while (in && left && cs_disasm_iter(h, &p, &left, &addr, in)) {
		const cs_x86 *x = &in->detail->x86;

		if (in->id == X86_INS_INT3 && in->address > hi)
			break;
		if (in->address > hi)
			past = true;
		if (is_flow(in) && x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
			__u64 t = x->operands[0].imm;

			if (t > lo && t <= hi) {
				hit = true;
				break;
			}
		}
	}
	/* stopping before the window was passed leaves it unchecked: be safe */
	if (!hit && !past)
		hit = true;
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return hit;
}

bool rt_probe_go_stack_check(const unsigned char *code, size_t size, __u64 off)
{
	const uint8_t *p = code;
	size_t left = RT_MIN(size, (size_t)256);
	uint64_t addr = 0;
	bool prev_cmp = false, ret = false;
	cs_insn *in;
	csh h;

	if (!code || !size || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return false;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	while (in && left && addr <= off && cs_disasm_iter(h, &p, &left, &addr, in)) {
		const cs_x86 *x = &in->detail->x86;

		if (in->address == off) {
			ret = prev_cmp && in->id == X86_INS_JBE;
			break;
		}
		/* cmp 0x10(%r14), reg: g.stackguard0 */
		prev_cmp = in->id == X86_INS_CMP && x->op_count == 2 &&
			   x->operands[1].type == X86_OP_MEM &&
			   x->operands[1].mem.base == X86_REG_R14 &&
			   x->operands[1].mem.index == X86_REG_INVALID &&
			   x->operands[1].mem.disp == 0x10 && x->operands[0].type == X86_OP_REG;
	}
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return ret;
}

long rt_probe_go_once(const unsigned char *code, size_t len, __u64 lo, int *dwarf_base,
		      __s64 *disp)
{
	const uint8_t *p = code;
	size_t left = RT_MIN(len, (size_t)(1 << 20));
	uint64_t addr = 0;
	long ret = -1;
	cs_insn *in;
	csh h;
	int n;

	if (!code || !len || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -1;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	while (in && left && cs_disasm_iter(h, &p, &left, &addr, in)) {
		const cs_x86 *x = &in->detail->x86;
		const cs_x86_op *src = &x->operands[1];
		x86_reg dst;
		uint64_t end;
		int r;

		/* mov m32(base), r32 */
		if (in->address < lo || in->id != X86_INS_MOV || x->op_count != 2 ||
		    x->operands[0].type != X86_OP_REG || src->type != X86_OP_MEM || src->size != 4 ||
		    src->mem.index != X86_REG_INVALID || src->mem.segment != X86_REG_INVALID)
			continue;
		dst = x->operands[0].reg;
		end = in->address + in->size;
		if (src->mem.base == X86_REG_RIP) {
			r = 16;
		} else {
			for (r = 0; r < 16 && !in_dwarf_reg(src->mem.base, r); r++)
				;
			if (r == 16 || in_dwarf_reg(dst, r))
				break; /* unknown base, or the load overwrites it */
		}
		*dwarf_base = r;
		*disp = src->mem.disp;
		/* test r32, r32 (after alignment nops, which go1.19 puts there) */
		if (!cs_disasm_iter(h, &p, &left, &addr, in))
			break;
		for (n = 0; n < 2 && in->id == X86_INS_NOP; n++)
			if (!cs_disasm_iter(h, &p, &left, &addr, in))
				break;
		if (in->id != X86_INS_TEST ||
		    in->detail->x86.op_count != 2 ||
		    in->detail->x86.operands[0].type != X86_OP_REG ||
		    in->detail->x86.operands[0].reg != dst ||
		    in->detail->x86.operands[1].type != X86_OP_REG ||
		    in->detail->x86.operands[1].reg != dst)
			break;
		/* jne / je: emulated, and the base register still holds the Once */
		if (!cs_disasm_iter(h, &p, &left, &addr, in) ||
		    (in->id != X86_INS_JNE && in->id != X86_INS_JE) || !emulated(in))
			break;
		if (r == 16) /* RIP-relative to the load's end: make it relative to the jump */
			*disp += (__s64)end - (__s64)in->address;
		ret = (long)in->address;
		break;
	}
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return ret;
}
