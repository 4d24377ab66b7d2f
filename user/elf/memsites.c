// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The memory-access sites of a program's own functions (memsites.h): two passes over each
 * function with capstone, one to list its instructions (lengths, registers written, branch
 * targets), one to choose the accesses and where each is probed.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <elfutils/libdw.h>
#include <dwarf.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elf/goelf.h"
#include "elf/memsites.h"
#include "lib/util.h"

#define RT_MS_FUNC_MAX (1U << 20) /* bytes of one function we decode */
#define RT_MS_SITES_MAX (1U << 22)

/* One decoded instruction. */
struct insn {
	__u64 addr;
	__u8 len;
	bool ctl;	/* jump, call, return, interrupt */
	bool noprobe;	/* uprobes refuse it (lock, es/cs/ds/ss prefix) */
	bool site;	/* it is a memory-access site itself */
	bool target;	/* a direct branch of the function lands on it */
	__u32 writes;	/* DWARF registers 0-15 it writes (bit per register) */
	struct rt_memsite ms;
	bool has_ms;
};

/* capstone register (any width) -> DWARF x86-64 number of its 64-bit register; -1: other */
static int reg_dwarf(unsigned int r)
{
	switch (r) {
	case X86_REG_RAX: case X86_REG_EAX: case X86_REG_AX: case X86_REG_AL: case X86_REG_AH:
		return 0;
	case X86_REG_RDX: case X86_REG_EDX: case X86_REG_DX: case X86_REG_DL: case X86_REG_DH:
		return 1;
	case X86_REG_RCX: case X86_REG_ECX: case X86_REG_CX: case X86_REG_CL: case X86_REG_CH:
		return 2;
	case X86_REG_RBX: case X86_REG_EBX: case X86_REG_BX: case X86_REG_BL: case X86_REG_BH:
		return 3;
	case X86_REG_RSI: case X86_REG_ESI: case X86_REG_SI: case X86_REG_SIL:
		return 4;
	case X86_REG_RDI: case X86_REG_EDI: case X86_REG_DI: case X86_REG_DIL:
		return 5;
	case X86_REG_RBP: case X86_REG_EBP: case X86_REG_BP: case X86_REG_BPL:
		return 6;
	case X86_REG_RSP: case X86_REG_ESP: case X86_REG_SP: case X86_REG_SPL:
		return 7;
	case X86_REG_R8: case X86_REG_R8D: case X86_REG_R8W: case X86_REG_R8B:
		return 8;
	case X86_REG_R9: case X86_REG_R9D: case X86_REG_R9W: case X86_REG_R9B:
		return 9;
	case X86_REG_R10: case X86_REG_R10D: case X86_REG_R10W: case X86_REG_R10B:
		return 10;
	case X86_REG_R11: case X86_REG_R11D: case X86_REG_R11W: case X86_REG_R11B:
		return 11;
	case X86_REG_R12: case X86_REG_R12D: case X86_REG_R12W: case X86_REG_R12B:
		return 12;
	case X86_REG_R13: case X86_REG_R13D: case X86_REG_R13W: case X86_REG_R13B:
		return 13;
	case X86_REG_R14: case X86_REG_R14D: case X86_REG_R14W: case X86_REG_R14B:
		return 14;
	case X86_REG_R15: case X86_REG_R15D: case X86_REG_R15W: case X86_REG_R15B:
		return 15;
	default:
		return -1;
	}
}

/* a 64-bit general register usable as a base or index: its DWARF number, else -1 */
static int reg64_dwarf(unsigned int r)
{
	switch (r) {
	case X86_REG_RAX: case X86_REG_RDX: case X86_REG_RCX: case X86_REG_RBX:
	case X86_REG_RSI: case X86_REG_RDI: case X86_REG_RBP: case X86_REG_RSP:
	case X86_REG_R8: case X86_REG_R9: case X86_REG_R10: case X86_REG_R11:
	case X86_REG_R12: case X86_REG_R13: case X86_REG_R14: case X86_REG_R15:
		return reg_dwarf(r);
	default:
		return -1;
	}
}

/* Instructions whose memory operand is no data access of the program's. */
static bool not_data_access(unsigned int id)
{
	switch (id) {
	case X86_INS_LEA:
	case X86_INS_NOP:
	case X86_INS_PREFETCH:
	case X86_INS_PREFETCHNTA:
	case X86_INS_PREFETCHT0:
	case X86_INS_PREFETCHT1:
	case X86_INS_PREFETCHT2:
	case X86_INS_PREFETCHW:
	case X86_INS_CLFLUSH:
	case X86_INS_CLFLUSHOPT:
	case X86_INS_CLWB:
	case X86_INS_PUSH:
	case X86_INS_POP:
	case X86_INS_FXSAVE:
	case X86_INS_FXSAVE64:
	case X86_INS_FXRSTOR:
	case X86_INS_FXRSTOR64:
	case X86_INS_XSAVE:
	case X86_INS_XSAVE64:
	case X86_INS_XRSTOR:
	case X86_INS_XRSTOR64:
	case X86_INS_XSAVEC:
	case X86_INS_XSAVEOPT:
	case X86_INS_LDMXCSR:
	case X86_INS_STMXCSR:
		return true;
	default:
		return false;
	}
}

/* Fill in->ms from instruction i when it is a data access we can describe; false otherwise. */
static bool describe_access(csh h, const cs_insn *i, bool go, struct insn *in)
{
	const cs_x86 *x = &i->detail->x86;
	const cs_x86_op *mem = NULL;
	struct rt_memsite *ms = &in->ms;
	int b = -1, ix = -1;
	__u8 k, nmem = 0;

	if (not_data_access(i->id) || cs_insn_group(h, i, CS_GRP_JUMP) ||
	    cs_insn_group(h, i, CS_GRP_CALL) || cs_insn_group(h, i, CS_GRP_RET))
		return false;
	for (k = 0; k < x->op_count; k++)
		if (x->operands[k].type == X86_OP_MEM) {
			mem = &x->operands[k];
			nmem++;
		}
	/* string instructions (two operands, or a segment), fs/gs: thread-local or odd */
	if (nmem != 1 || mem->mem.segment != X86_REG_INVALID || x->prefix[1])
		return false;
	if (!mem->size || mem->size > 64)
		return false;
	memset(ms, 0, sizeof(*ms));
	ms->base = ms->index = RT_MS_NO_REG;
	if (mem->mem.base == X86_REG_RIP) {
		ms->flags |= RT_MS_RIPREL;
	} else if (mem->mem.base != X86_REG_INVALID) {
		b = reg64_dwarf(mem->mem.base);
		/* the stack (rsp, rbp), and Go's g in r14: not the program's shared data */
		if (b < 0 || b == 6 || b == 7 || (go && b == 14))
			return false;
		ms->base = b;
		ms->flags |= RT_MS_BASE;
	}
	if (mem->mem.index != X86_REG_INVALID) {
		ix = reg64_dwarf(mem->mem.index);
		if (ix < 0 || ix == 7 || (ms->flags & RT_MS_RIPREL))
			return false;
		if (mem->mem.scale != 1 && mem->mem.scale != 2 && mem->mem.scale != 4 &&
		    mem->mem.scale != 8)
			return false;
		ms->index = ix;
		ms->flags |= RT_MS_INDEX;
	}
	if (mem->mem.disp < INT32_MIN || mem->mem.disp > INT32_MAX)
		return false;
	ms->disp = (__s32)mem->mem.disp;
	ms->scale = ms->flags & RT_MS_INDEX ? mem->mem.scale : 1;
	ms->size = mem->size;
	ms->len = i->size;
	ms->vaddr = i->address;
	if (mem->access & CS_AC_READ)
		ms->flags |= RT_MS_READ;
	if (mem->access & CS_AC_WRITE)
		ms->flags |= RT_MS_WRITE;
	if (!(ms->flags & (RT_MS_READ | RT_MS_WRITE)))
		ms->flags |= RT_MS_READ; /* capstone did not say: the safe side is a read */
	if (x->prefix[0] == X86_PREFIX_LOCK || i->id == X86_INS_XCHG || i->id == X86_INS_CMPXCHG ||
	    i->id == X86_INS_CMPXCHG8B || i->id == X86_INS_CMPXCHG16B)
		ms->flags |= RT_MS_ATOMIC;
	return true;
}

static __u32 regs_written(csh h, const cs_insn *i)
{
	cs_regs rd, wr;
	__u8 nr = 0, nw = 0, k;
	__u32 m = 0;

	if (cs_regs_access(h, i, rd, &nr, wr, &nw) != CS_ERR_OK)
		return 0xffff; /* unknown: assume it writes everything */
	for (k = 0; k < nw; k++) {
		int d = reg_dwarf(wr[k]);

		if (d >= 0)
			m |= 1U << d;
	}
	return m;
}

/* Registers the probe reads to compute the address (and rsp, which the unwinder needs). */
static __u32 regs_needed(const struct rt_memsite *ms)
{
	__u32 m = 1U << 7;

	if (ms->flags & RT_MS_BASE)
		m |= 1U << ms->base;
	if (ms->flags & RT_MS_INDEX)
		m |= 1U << ms->index;
	return m;
}

static int push_site(struct rt_memsites *out, const struct rt_memsite *ms)
{
	if (out->n >= RT_MS_SITES_MAX)
		return 0;
	if (rt_grow((void **)&out->s, &out->cap, out->n + 1, sizeof(*out->s)))
		return -ENOMEM;
	out->s[out->n++] = *ms;
	if (ms->flags & RT_MS_ATOMIC)
		out->atomics++;
	return 0;
}

/*
 * An AVX-512 instruction (EVEX prefix 0x62 after the legacy prefixes): x86 uprobes refuse
 * them (ENOTSUPP), as go1.26's runtime/gc AVX-512 code showed.
 */
static bool is_evex(const __u8 *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (b[i]) {
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
		case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
			continue;
		default:
			return b[i] == 0x62;
		}
	}
	return false;
}

int rt_memsites__decode(const unsigned char *code, size_t size, __u64 vaddr, __u64 off, bool go,
			struct rt_memsites *out)
{
	struct insn *v = NULL;
	size_t nv = 0, cap = 0, k;
	const uint8_t *p = code;
	size_t left = RT_MIN(size, (size_t)RT_MS_FUNC_MAX);
	uint64_t addr = vaddr;
	cs_insn *in = NULL;
	int err = 0;
	csh h;

	if (!code || !size)
		return 0;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return 0;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	if (!in) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* pass 1: every instruction, until the bytes stop decoding (data, padding) */
	while (left && cs_disasm_iter(h, &p, &left, &addr, in)) {
		struct insn *d;

		if (rt_grow((void **)&v, &cap, nv + 1, sizeof(*v))) {
			err = -ENOMEM;
			goto cleanup;
		}
		d = &v[nv++];
		memset(d, 0, sizeof(*d));
		d->addr = in->address;
		d->len = in->size;
		d->ctl = cs_insn_group(h, in, CS_GRP_JUMP) || cs_insn_group(h, in, CS_GRP_CALL) ||
			 cs_insn_group(h, in, CS_GRP_RET) || cs_insn_group(h, in, CS_GRP_INT) ||
			 cs_insn_group(h, in, CS_GRP_IRET);
		d->noprobe = in->detail->x86.prefix[0] == X86_PREFIX_LOCK ||
			     (in->detail->x86.prefix[1] && in->detail->x86.prefix[1] != X86_PREFIX_FS &&
			      in->detail->x86.prefix[1] != X86_PREFIX_GS) ||
			     is_evex(in->bytes, in->size);
		d->writes = regs_written(h, in);
		d->has_ms = describe_access(h, in, go, d);
		d->site = d->has_ms;
		if ((cs_insn_group(h, in, CS_GRP_JUMP) || cs_insn_group(h, in, CS_GRP_CALL)) &&
		    in->detail->x86.op_count == 1 && in->detail->x86.operands[0].type == X86_OP_IMM) {
			__u64 t = in->detail->x86.operands[0].imm;

			/* mark it in pass 2 (targets are ahead as often as behind) */
			d->ms.probe = t;
		}
	}
	for (k = 0; k < nv; k++) {
		__u64 t = v[k].has_ms ? 0 : v[k].ms.probe;
		size_t lo = 0, hi = nv;

		if (!t || t < vaddr || t >= vaddr + size)
			continue;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (v[mid].addr < t)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nv && v[lo].addr == t)
			v[lo].target = true;
	}
	/* pass 2: where each access is probed */
	for (k = 0; k < nv; k++) {
		struct rt_memsite ms;
		__u32 need;

		if (!v[k].has_ms)
			continue;
		ms = v[k].ms;
		need = regs_needed(&ms);
		if (!v[k].noprobe) {
			ms.probe = ms.vaddr;
		} else if (k > 0 && v[k - 1].addr + v[k - 1].len == ms.vaddr && !v[k - 1].ctl &&
			   !v[k - 1].noprobe && !v[k - 1].site && !v[k].target &&
			   !(v[k - 1].writes & need)) {
			/* before the atomic: its release is in the stream before it takes effect */
			ms.probe = v[k - 1].addr;
			v[k - 1].site = true;
		} else if (k + 1 < nv && v[k + 1].addr == ms.vaddr + ms.len && !v[k + 1].noprobe &&
			   !v[k + 1].site && !v[k + 1].target && !(v[k].writes & need)) {
			ms.probe = v[k + 1].addr;
			v[k + 1].site = true;
		} else {
			out->skipped++;
			continue;
		}
		ms.off = off + (ms.probe - vaddr);
		err = push_site(out, &ms);
		if (err)
			goto cleanup;
	}
	out->nfuncs++;
cleanup:
	free(v);
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return err;
}

/* Standard library packages: the first element of their import path. */
static const char *const go_std[] = {
	"archive", "bufio", "bytes", "cmp", "compress", "container", "context", "crypto",
	"database", "debug", "embed", "encoding", "errors", "expvar", "flag", "fmt", "go",
	"hash", "html", "image", "index", "internal", "io", "iter", "log", "maps", "math",
	"mime", "net", "os", "path", "plugin", "reflect", "regexp", "runtime", "slices", "sort",
	"strconv", "strings", "structs", "sync", "syscall", "testing", "text", "time", "unicode",
	"unique", "unsafe", "vendor", "weak", "type", "gclinkname", "golang.org",
};

bool rt_memsites__go_user_func(const char *name)
{
	const char *slash;
	size_t n, k;

	if (!name || !*name)
		return false;
	/* the first element of the package path: up to the first '/' or '.' */
	n = strcspn(name, "/.:");
	if (!n)
		return false;
	for (k = 0; k < RT_ARRAY_SIZE(go_std); k++)
		if (strlen(go_std[k]) == n && !strncmp(name, go_std[k], n))
			return false;
	/* compiler-made helpers: type..eq.*, go:buildid, go.shape... */
	if (!strncmp(name, "type:", 5) || !strncmp(name, "go:", 3) || !strncmp(name, "go.", 3))
		return false;
	/*
	 * Go code is package.Func: a name with no '.' after its last '/' is an assembly routine's
	 * local symbol (internal/bytealg's cmpbody, go1.26's runtime/gc expandAVX512_N).
	 */
	slash = strrchr(name, '/');
	return strchr(slash ? slash + 1 : name, '.') != NULL;
}

/* Names of the C runtime's start-up code and the compiler's helpers (underscore names). */
static bool c_user_func(const char *name)
{
	return name && name[0] && name[0] != '_' && strcmp(name, "deregister_tm_clones") &&
	       strcmp(name, "register_tm_clones") && strcmp(name, "frame_dummy");
}

/* vaddr -> file offset through the executable PT_LOAD containing it, and the bytes left. */
static bool to_off(Elf *elf, __u64 vaddr, __u64 *off, __u64 *avail)
{
	size_t n, i;

	if (elf_getphdrnum(elf, &n))
		return false;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			*avail = ph.p_vaddr + ph.p_filesz - vaddr;
			return true;
		}
	}
	return false;
}

/* [start, end) of a global whose DWARF type is _Atomic (C11 atomic_int and the like) */
struct range {
	__u64 start, end;
};

struct scan {
	struct range *atomics;
	size_t natomics, atomics_cap;
	Elf *elf;
	const unsigned char *raw;
	size_t rawsz;
	struct rt_memsites *out;
	__u64 *seen; /* entries decoded */
	size_t nseen, seen_cap;
};

static int scan_func(struct scan *s, __u64 vaddr, __u64 size, bool go)
{
	__u64 off, avail;
	size_t k;

	if (!size || !to_off(s->elf, vaddr, &off, &avail) || off >= s->rawsz)
		return 0;
	for (k = 0; k < s->nseen; k++) /* aliases: one decode per entry */
		if (s->seen[k] == vaddr)
			return 0;
	if (rt_grow((void **)&s->seen, &s->seen_cap, s->nseen + 1, sizeof(*s->seen)))
		return -ENOMEM;
	s->seen[s->nseen++] = vaddr;
	size = RT_MIN(size, avail);
	size = RT_MIN(size, (__u64)(s->rawsz - off));
	return rt_memsites__decode(s->raw + off, size, vaddr, off, go, s->out);
}

static int go_func(void *ctx, __u64 addr, __u64 size, const char *name)
{
	if (!rt_memsites__go_user_func(name))
		return 0;
	return scan_func(ctx, addr, size, true);
}

static int scan_c(struct scan *s)
{
	Elf_Scn *scn = NULL;
	bool found = false;
	int err;

	while ((scn = elf_nextscn(s->elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		found = true;
		n = RT_MIN(sh.sh_size / sh.sh_entsize, data->d_size / sh.sh_entsize);
		for (i = 0; i < n; i++) {
			GElf_Sym sym;

			if (!gelf_getsym(data, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			if (!c_user_func(elf_strptr(s->elf, sh.sh_link, sym.st_name)))
				continue;
			err = scan_func(s, sym.st_value, sym.st_size, false);
			if (err)
				return err;
		}
	}
	return found ? 0 : -ENODATA;
}

#define RT_MS_DIE_MAX 4000000 /* DIEs looked at: a bound on corrupt or huge DWARF */

/* Is the type (through typedefs and qualifiers) _Atomic? */
static bool type_atomic(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	Dwarf_Die t = *die;
	int depth;

	for (depth = 0; depth < 16; depth++) {
		int tag = dwarf_tag(&t);

		if (tag == DW_TAG_atomic_type)
			return true;
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type &&
		    tag != DW_TAG_volatile_type && tag != DW_TAG_restrict_type)
			return false;
		if (!dwarf_attr_integrate(&t, DW_AT_type, &a) || !dwarf_formref_die(&a, &t))
			return false;
	}
	return false;
}

static int atomic_var(struct scan *s, Dwarf_Die *die)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	Dwarf_Die type;
	Dwarf_Word size;
	size_t nops;

	if (!dwarf_attr(die, DW_AT_location, &a) || dwarf_getlocation(&a, &ops, &nops) ||
	    nops != 1 || ops[0].atom != DW_OP_addr)
		return 0;
	if (!dwarf_attr_integrate(die, DW_AT_type, &a) || !dwarf_formref_die(&a, &type) ||
	    !type_atomic(&type))
		return 0;
	if (dwarf_aggregate_size(&type, &size) || !size || size > 64)
		size = 8;
	if (rt_grow((void **)&s->atomics, &s->atomics_cap, s->natomics + 1, sizeof(*s->atomics)))
		return -ENOMEM;
	s->atomics[s->natomics++] = (struct range){ ops[0].number, ops[0].number + size };
	return 0;
}

/*
 * The globals and statics whose type is _Atomic, from DWARF: their accesses are atomic even
 * where the instruction is a plain mov (C11 acquire loads and release stores are). None
 * without DWARF. 0 or -ENOMEM.
 */
static int find_atomic_globals(struct scan *s)
{
	Dwarf *dw = dwarf_begin_elf(s->elf, DWARF_C_READ, NULL);
	Dwarf_Off off = 0, next;
	size_t hsize, seen = 0;
	int err = 0;

	if (!dw)
		return 0;
	while (!err && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, stack[8];
		int depth = 0;

		if (!dwarf_offdie(dw, off + hsize, &cu) || dwarf_child(&cu, &stack[0]))
			goto next_cu;
		/* depth-first over the CU: globals at its top, statics inside functions */
		while (depth >= 0 && !err && seen++ < RT_MS_DIE_MAX) {
			Dwarf_Die *d = &stack[depth];
			int tag = dwarf_tag(d);

			if (tag == DW_TAG_variable)
				err = atomic_var(s, d);
			if ((tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block) &&
			    depth + 1 < (int)RT_ARRAY_SIZE(stack) && dwarf_haschildren(d) &&
			    !dwarf_child(d, &stack[depth + 1])) {
				depth++;
				continue;
			}
			while (depth >= 0 && dwarf_siblingof(&stack[depth], &stack[depth]))
				depth--;
		}
next_cu:
		off = next;
	}
	dwarf_end(dw);
	return err;
}

/* Mark the rip-relative accesses to _Atomic globals atomic. */
static void mark_atomic_globals(struct scan *s)
{
	size_t k, j;

	for (k = 0; k < s->out->n && s->natomics; k++) {
		struct rt_memsite *ms = &s->out->s[k];
		__u64 a = ms->vaddr + ms->len + (__s64)ms->disp;

		if (!(ms->flags & RT_MS_RIPREL) || (ms->flags & RT_MS_ATOMIC))
			continue;
		for (j = 0; j < s->natomics; j++)
			if (a >= s->atomics[j].start && a < s->atomics[j].end) {
				ms->flags |= RT_MS_ATOMIC;
				s->out->atomics++;
				break;
			}
	}
}

static int cmp_site(const void *a, const void *b)
{
	const struct rt_memsite *x = a, *y = b;

	return x->probe < y->probe ? -1 : x->probe > y->probe;
}

int rt_memsites__scan(const char *path, struct rt_memsites *out, char *err, size_t errlen)
{
	struct scan s = { .out = out };
	struct rt_goelf *g;
	size_t k, j;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	g = rt_goelf__open(path, err, errlen);
	if (!g && errno != ENOEXEC)
		return -(errno ? errno : EINVAL);
	out->go = g != NULL;
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	s.elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!s.elf || elf_kind(s.elf) != ELF_K_ELF ||
	    !(s.raw = (const unsigned char *)elf_rawfile(s.elf, &s.rawsz))) {
		ret = -ENOEXEC;
		snprintf(err, errlen, "%s: not an ELF file", path);
		goto cleanup;
	}
	if (g) {
		ret = rt_goelf__foreach_func(g, go_func, &s);
	} else {
		ret = scan_c(&s);
		if (!ret)
			ret = find_atomic_globals(&s);
		if (!ret)
			mark_atomic_globals(&s);
	}
	if (ret == -ENODATA)
		snprintf(err, errlen,
			 "%s has no %s: racetrace --races needs to know which functions are the "
			 "program's (do not strip it)",
			 path, g ? "Go function table" : "symbol table (.symtab)");
	else if (ret)
		snprintf(err, errlen, "reading %s: %s", path, strerror(-ret));
	if (ret)
		goto cleanup;
	/* by probe address, one site per probe */
	qsort(out->s, out->n, sizeof(*out->s), cmp_site);
	for (k = j = 0; k < out->n; k++)
		if (!j || out->s[k].probe != out->s[j - 1].probe)
			out->s[j++] = out->s[k];
	out->n = j;
cleanup:
	if (ret)
		rt_memsites__free(out);
	free(s.seen);
	free(s.atomics);
	if (s.elf)
		elf_end(s.elf);
	if (fd >= 0)
		close(fd);
	rt_goelf__free(g);
	return ret;
}

void rt_memsites__free(struct rt_memsites *ms)
{
	if (!ms)
		return;
	free(ms->s);
	memset(ms, 0, sizeof(*ms));
}
