// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * goelf.c: read a Go executable's build info, function table (.gopclntab), inline trees,
 * DWARF and code, as the later probing of Go programs needs (see goelf.h for the API and
 * docs/go.md for the formats). Everything the Go release changes is in the one table
 * `releases[]` below; everything else is the same for go1.19..go1.27. The file is mapped once
 * (libelf, ELF_C_READ_MMAP) and every read goes through a bounds check against a section, a
 * PT_LOAD segment or the file: the input is untrusted and fuzzed (tests/fuzz/fuzz_goelf.c).
 */
#include <capstone/capstone.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elf/elfcheck.h"
#include "elf/goelf.h"
#include "lib/util.h"

#define RT_GO_MAX_SEGS 32		  /* PT_LOAD segments kept */
#define RT_GO_MAX_SECTIONS 4096		  /* section headers looked at */
#define RT_GO_MAX_FUNCS (4u << 20)	  /* entries of a function table */
#define RT_GO_MAX_FUNC_SIZE (16u << 20)	  /* bytes of one function disassembled */
#define RT_GO_MAX_RELOCS (16u << 20)	  /* R_X86_64_RELATIVE relocations kept */
#define RT_GO_MAX_NAME 4096		  /* longest function name read */
#define RT_GO_MAX_INL_INDEX (1 << 20)	  /* inline tree entries of one function */
#define RT_GO_INL_DEPTH 64		  /* inline nesting followed up to the function */
#define RT_GO_MAX_INL_STEPS (1u << 28)	  /* parent links followed by one query */
#define RT_GO_MAX_DIE_DEPTH 256		  /* DWARF nesting walked */
#define RT_GO_MAX_DIES (64u << 20)	  /* DIEs visited by one walk */
#define RT_GO_Z_MAX (1ULL << 31)	  /* inflated size of a compressed debug section */
#define RT_GO_Z_RATIO 1024		  /* ... and its largest plausible ratio */
#define RT_GO_BUILDINFO_MAGIC "\xff Go buildinf:"
#define RT_GO_BUILDINFO_HDR 32
#define RT_GO_PCHDR_SIZE 72		  /* pcHeader with 8-byte pointers */

/* funcdata and pcdata slots (runtime/symtab.go, internal/abi): the same in every release. */
#define RT_GO_PCDATA_INLTREEINDEX 2
#define RT_GO_FUNCDATA_INLTREE 3

/*
 * What changes between Go releases, in one place. Function table and inline tree layouts come
 * from runtime/symtab.go, runtime/runtime2.go and runtime/symtabinl.go of each release; struct
 * offsets from the DWARF of binaries built by each (tests/unit/test_goelf.c checks every row
 * it can against DWARF). go1.20 was not installable on our build machines: its row is read
 * from its sources and is the one row no test covers. A new release is a new row, checked by
 * adding its toolchain to the unit test (docs/go.md, "Adding a release").
 */
#define RT_GO_NO_FIELD 0xffff /* the struct or member does not exist in this release */

struct go_release {
	int minor_lo, minor_hi;
	__u32 pcln_magic;   /* pcHeader.magic */
	bool pcln_text;	    /* pcHeader.textStart is set; go1.26+ writes 0 there and only
			     * moduledata.text says where the function table's offsets start */
	__u32 func_size;    /* sizeof(_func) up to the pcdata array */
	__u32 inl_size;	    /* sizeof(inlinedCall) */
	__u32 inl_name;	    /* offset of its name offset (into funcnametab) */
	__u32 inl_parentpc; /* offset of its parentPc */
	bool inl_parent;    /* has an int16 parent index at 0; else parentPc is looked up */
	__u32 md_text;	    /* offset of moduledata.text */
	__u32 md_gofunc;    /* offset of moduledata.gofunc (base of funcdata offsets) */
	const char *gofunc_sym; /* the linker symbol at gofunc */
	__u16 field[RT_GO_NR_FIELDS]; /* RT_GO_NO_FIELD: not in this release */
};

/* hchan, RWMutex and the absent map of the other kind: the same in every row */
#define HCHAN_RW                                                                            \
	[RT_GO_HCHAN_QCOUNT] = 0, [RT_GO_HCHAN_DATAQSIZ] = 8, [RT_GO_HCHAN_CLOSED] = 28,    \
	[RT_GO_HCHAN_ELEMSIZE] = 24, [RT_GO_RWMUTEX_READERCOUNT] = 16
#define HMAP [RT_GO_HMAP_COUNT] = 0, [RT_GO_HMAP_FLAGS] = 8, \
	[RT_GO_SWISSMAP_USED] = RT_GO_NO_FIELD, [RT_GO_SWISSMAP_WRITING] = RT_GO_NO_FIELD
#define SWISSMAP [RT_GO_HMAP_COUNT] = RT_GO_NO_FIELD, [RT_GO_HMAP_FLAGS] = RT_GO_NO_FIELD, \
	[RT_GO_SWISSMAP_USED] = 0, [RT_GO_SWISSMAP_WRITING] = 34

static const struct go_release releases[] = {
	/* go1.19: inlinedCall{parent int16; funcID; _; file, line, func_, parentPc int32} */
	{ 19, 19, 0xfffffff0, true, 40, 20, 12, 16, true, 22 * 8, 38 * 8, "go.func.*",
	  { [RT_GO_G_GOID] = 152, [RT_GO_G_M] = 48, [RT_GO_G_ATOMICSTATUS] = 144,
	    [RT_GO_M_PROCID] = 72, HMAP, HCHAN_RW } },
	/* go1.20: _func.startLine; inlinedCall{funcID; _ [3]; nameOff, parentPc, startLine};
	 * moduledata.covctrs/ecovctrs before end */
	{ 20, 22, 0xfffffff1, true, 44, 16, 4, 8, false, 22 * 8, 40 * 8, "go:func.*",
	  { [RT_GO_G_GOID] = 152, [RT_GO_G_M] = 48, [RT_GO_G_ATOMICSTATUS] = 144,
	    [RT_GO_M_PROCID] = 72, HMAP, HCHAN_RW } },
	/* go1.23: g.syscallbp moves atomicstatus and goid by 8 */
	{ 23, 23, 0xfffffff1, true, 44, 16, 4, 8, false, 22 * 8, 40 * 8, "go:func.*",
	  { [RT_GO_G_GOID] = 160, [RT_GO_G_M] = 48, [RT_GO_G_ATOMICSTATUS] = 152,
	    [RT_GO_M_PROCID] = 72, HMAP, HCHAN_RW } },
	/* go1.24: swiss-table maps (internal/runtime/maps.Map replaces runtime.hmap) */
	{ 24, 24, 0xfffffff1, true, 44, 16, 4, 8, false, 22 * 8, 40 * 8, "go:func.*",
	  { [RT_GO_G_GOID] = 160, [RT_GO_G_M] = 48, [RT_GO_G_ATOMICSTATUS] = 152,
	    [RT_GO_M_PROCID] = 72, SWISSMAP, HCHAN_RW } },
	/* go1.25: gobuf.ret is gone, which moves g's fields after g.sched (atomicstatus, goid)
	 * and m's after m.morebuf (procid) back by 8 */
	{ 25, 25, 0xfffffff1, true, 44, 16, 4, 8, false, 22 * 8, 40 * 8, "go:func.*",
	  { [RT_GO_G_GOID] = 152, [RT_GO_G_M] = 48, [RT_GO_G_ATOMICSTATUS] = 144,
	    [RT_GO_M_PROCID] = 64, SWISSMAP, HCHAN_RW } },
	/* go1.26: pcHeader.textStart is written as 0 (moduledata.text only) */
	{ 26, 26, 0xfffffff1, false, 44, 16, 4, 8, false, 22 * 8, 40 * 8, "go:func.*",
	  { [RT_GO_G_GOID] = 152, [RT_GO_G_M] = 48, [RT_GO_G_ATOMICSTATUS] = 144,
	    [RT_GO_M_PROCID] = 64, SWISSMAP, HCHAN_RW } },
	/* go1.27: moduledata.typedesclen, itaboffset and itabsize move gofunc by 24 */
	{ 27, 27, 0xfffffff1, false, 44, 16, 4, 8, false, 22 * 8, 43 * 8, "go:func.*",
	  { [RT_GO_G_GOID] = 152, [RT_GO_G_M] = 48, [RT_GO_G_ATOMICSTATUS] = 144,
	    [RT_GO_M_PROCID] = 64, SWISSMAP, HCHAN_RW } },
};

/* Where each field lives in DWARF: struct type name, member name. */
static const struct {
	const char *type, *member, *full;
} fields[RT_GO_NR_FIELDS] = {
	[RT_GO_G_GOID] = { "runtime.g", "goid", "runtime.g.goid" },
	[RT_GO_G_M] = { "runtime.g", "m", "runtime.g.m" },
	[RT_GO_G_ATOMICSTATUS] = { "runtime.g", "atomicstatus", "runtime.g.atomicstatus" },
	[RT_GO_M_PROCID] = { "runtime.m", "procid", "runtime.m.procid" },
	[RT_GO_HMAP_COUNT] = { "runtime.hmap", "count", "runtime.hmap.count" },
	[RT_GO_HMAP_FLAGS] = { "runtime.hmap", "flags", "runtime.hmap.flags" },
	[RT_GO_HCHAN_QCOUNT] = { "runtime.hchan", "qcount", "runtime.hchan.qcount" },
	[RT_GO_HCHAN_DATAQSIZ] = { "runtime.hchan", "dataqsiz", "runtime.hchan.dataqsiz" },
	[RT_GO_HCHAN_CLOSED] = { "runtime.hchan", "closed", "runtime.hchan.closed" },
	[RT_GO_HCHAN_ELEMSIZE] = { "runtime.hchan", "elemsize", "runtime.hchan.elemsize" },
	[RT_GO_RWMUTEX_READERCOUNT] = { "sync.RWMutex", "readerCount", "sync.RWMutex.readerCount" },
	[RT_GO_SWISSMAP_USED] = { "internal/runtime/maps.Map", "used",
				  "internal/runtime/maps.Map.used" },
	[RT_GO_SWISSMAP_WRITING] = { "internal/runtime/maps.Map", "writing",
				     "internal/runtime/maps.Map.writing" },
};

struct seg {
	__u64 vaddr, filesz, off;
};

struct reloc {
	__u64 where, value; /* R_X86_64_RELATIVE: *where = load bias + value */
};

/* A bounded piece of the file. */
struct span {
	const unsigned char *p;
	size_t n;
};

struct rt_goelf {
	int fd;
	Elf *elf;
	const unsigned char *raw;
	size_t rawsz;
	char version[64];
	int minor;
	unsigned int have;
	const struct go_release *rel; /* NULL for a release newer than the table */

	struct seg segs[RT_GO_MAX_SEGS];
	int nsegs;

	Elf_Scn *symtab;
	__u64 text_addr; /* the .text section, when textStart is not in the file */

	struct reloc *relocs; /* sorted by where */
	size_t nrelocs;

	/* .gopclntab */
	struct span pcln;
	__u64 pcln_vaddr;
	__u64 nfunc, text_start;
	struct span funcnames, pctab, ftab; /* ftab: the pclntable, functab first */
	struct span cutab, filetab;	    /* file names: empty when out of bounds */
	__u32 *by_name;			    /* function indices sorted by name (lazily) */
	size_t nby_name;
	bool by_name_done;
	__u64 gofunc; /* base of funcdata offsets */

	Dwarf *dw;
	bool dw_fields_done;
	int dw_field[RT_GO_NR_FIELDS]; /* offset, or -1 */
};

/* ---- bounded reads ---- */

static __u32 le32(const unsigned char *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24;
}

static __u64 le64(const unsigned char *p)
{
	return (__u64)le32(p) | (__u64)le32(p + 4) << 32;
}

/* Does [off, off + len) fit in a span of n bytes? Overflow-safe. */
static bool fits(size_t n, __u64 off, __u64 len)
{
	return off <= n && len <= n - off;
}

/* A NUL-terminated string at off in s, or NULL. */
static const char *span_str(struct span s, __u64 off)
{
	size_t max;

	if (off >= s.n)
		return NULL;
	max = RT_MIN(s.n - off, (size_t)RT_GO_MAX_NAME);
	if (!memchr(s.p + off, '\0', max))
		return NULL;
	return (const char *)s.p + off;
}

/* The file bytes of [vaddr, vaddr + len), all inside one PT_LOAD's file part, or NULL. */
static const unsigned char *at_vaddr(const struct rt_goelf *g, __u64 vaddr, __u64 len)
{
	int i;

	for (i = 0; i < g->nsegs; i++) {
		const struct seg *s = &g->segs[i];

		if (vaddr >= s->vaddr && fits(s->filesz, vaddr - s->vaddr, len))
			return g->raw + s->off + (vaddr - s->vaddr);
	}
	return NULL;
}

static bool vaddr_to_off(const struct rt_goelf *g, __u64 vaddr, __u64 *off)
{
	const unsigned char *p = at_vaddr(g, vaddr, 1);

	if (!p)
		return false;
	*off = p - g->raw;
	return true;
}

/* A relocation-aware pointer read: the word in the file, or the RELATIVE addend for it. */
static bool read_ptr(const struct rt_goelf *g, __u64 vaddr, __u64 *v)
{
	const unsigned char *p = at_vaddr(g, vaddr, 8);
	size_t lo = 0, hi = g->nrelocs;

	if (!p)
		return false;
	*v = le64(p);
	if (*v)
		return true;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->relocs[mid].where < vaddr) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (lo < g->nrelocs && g->relocs[lo].where == vaddr)
		*v = g->relocs[lo].value;
	return true;
}

static int seterr(char *err, size_t errlen, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int seterr(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -e;
}

/* ---- ELF layout ---- */

static Elf_Scn *find_section(struct rt_goelf *g, const char *name, GElf_Shdr *out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx, n = 0;

	if (elf_getshdrstrndx(g->elf, &shstrndx))
		return NULL;
	while (n++ < RT_GO_MAX_SECTIONS && (scn = elf_nextscn(g->elf, scn))) {
		GElf_Shdr sh;
		const char *s;

		if (!gelf_getshdr(scn, &sh))
			continue;
		s = elf_strptr(g->elf, shstrndx, sh.sh_name);
		if (s && !strcmp(s, name)) {
			*out = sh;
			return scn;
		}
	}
	return NULL;
}

/* The file bytes of a section with contents, or an empty span. */
static struct span section_span(const struct rt_goelf *g, const GElf_Shdr *sh)
{
	struct span s = { NULL, 0 };

	if (sh->sh_type != SHT_NOBITS && fits(g->rawsz, sh->sh_offset, sh->sh_size)) {
		s.p = g->raw + sh->sh_offset;
		s.n = sh->sh_size;
	}
	return s;
}

static void load_segments(struct rt_goelf *g)
{
	size_t n, i;

	if (elf_getphdrnum(g->elf, &n))
		return;
	for (i = 0; i < n && g->nsegs < RT_GO_MAX_SEGS; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(g->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (ph.p_offset > g->rawsz)
			continue;
		g->segs[g->nsegs].vaddr = ph.p_vaddr;
		g->segs[g->nsegs].off = ph.p_offset;
		/* a truncated file: only what is there */
		g->segs[g->nsegs].filesz = RT_MIN(ph.p_filesz, g->rawsz - ph.p_offset);
		g->nsegs++;
	}
}

static int cmp_reloc(const void *a, const void *b)
{
	const struct reloc *x = a, *y = b;

	return x->where < y->where ? -1 : x->where > y->where;
}

/* R_X86_64_RELATIVE relocations of every SHT_RELA section (PIE, external linking). */
static int load_relocs(struct rt_goelf *g)
{
	Elf_Scn *scn = NULL;
	size_t cap = 0, n = 0;

	while (n++ < RT_GO_MAX_SECTIONS && (scn = elf_nextscn(g->elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;
		size_t i, cnt;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		cnt = RT_MIN(data->d_size / sizeof(Elf64_Rela), (size_t)RT_GO_MAX_RELOCS);
		for (i = 0; i < cnt && g->nrelocs < RT_GO_MAX_RELOCS; i++) {
			GElf_Rela r;

			if (!gelf_getrela(data, i, &r) ||
			    GELF_R_TYPE(r.r_info) != R_X86_64_RELATIVE)
				continue;
			if (rt_grow((void **)&g->relocs, &cap, g->nrelocs + 1, sizeof(*g->relocs)))
				return -ENOMEM;
			g->relocs[g->nrelocs].where = r.r_offset;
			g->relocs[g->nrelocs].value = r.r_addend;
			g->nrelocs++;
		}
	}
	if (g->nrelocs)
		qsort(g->relocs, g->nrelocs, sizeof(*g->relocs), cmp_reloc);
	return 0;
}

/* A function symbol's value from .symtab; 0 when found, -ENOENT otherwise. */
static int symtab_lookup(struct rt_goelf *g, const char *name, GElf_Sym *out)
{
	Elf_Data *data;
	GElf_Shdr sh;
	size_t i, cnt;

	if (!g->symtab || !gelf_getshdr(g->symtab, &sh) || !sh.sh_entsize)
		return -ENODATA;
	data = elf_getdata(g->symtab, NULL);
	if (!data)
		return -ENODATA;
	cnt = data->d_size / sh.sh_entsize;
	for (i = 0; i < cnt; i++) {
		GElf_Sym sym;
		const char *s;

		if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF)
			continue;
		s = elf_strptr(g->elf, sh.sh_link, sym.st_name);
		if (s && !strcmp(s, name)) {
			*out = sym;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- build info ---- */

static bool read_uvarint(const unsigned char *p, size_t n, size_t *pos, __u64 *v)
{
	unsigned int shift = 0;

	*v = 0;
	while (*pos < n && shift < 64) {
		unsigned char b = p[(*pos)++];

		*v |= (__u64)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
		shift += 7;
	}
	return false;
}

/* Copy a version string, keeping printable ASCII only. */
static bool set_version(struct rt_goelf *g, const unsigned char *s, __u64 len)
{
	size_t i;

	if (!len || len >= sizeof(g->version))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
		g->version[i] = s[i];
	}
	g->version[len] = '\0';
	return true;
}

/*
 * The version from a build info blob b (the magic first). go1.18+ writes the strings inline
 * (flag 2); older releases point to Go string headers, which we follow too, so that an old
 * binary gets a clear "too old" rather than "not Go".
 */
static bool parse_buildinfo(struct rt_goelf *g, struct span b)
{
	unsigned char ptrsize, flags;
	size_t pos = RT_GO_BUILDINFO_HDR;
	const unsigned char *hdr, *str;
	__u64 len, sp;

	if (b.n < RT_GO_BUILDINFO_HDR ||
	    memcmp(b.p, RT_GO_BUILDINFO_MAGIC, sizeof(RT_GO_BUILDINFO_MAGIC) - 1))
		return false;
	ptrsize = b.p[14];
	flags = b.p[15];
	if (flags & 2) {
		if (!read_uvarint(b.p, b.n, &pos, &len) || !fits(b.n, pos, len))
			return false;
		return set_version(g, b.p + pos, len);
	}
	if (ptrsize != 8 || (flags & 1)) /* 64-bit little-endian only */
		return false;
	hdr = at_vaddr(g, le64(b.p + 16), 16);
	if (!hdr)
		return false;
	sp = le64(hdr);
	len = le64(hdr + 8);
	str = len < sizeof(g->version) ? at_vaddr(g, sp, len) : NULL;
	return str && set_version(g, str, len);
}

/* The runtime.buildVersion string, for a binary without build info. */
static bool version_from_symbol(struct rt_goelf *g)
{
	const unsigned char *hdr, *str;
	GElf_Sym sym;
	__u64 len;

	if (symtab_lookup(g, "runtime.buildVersion", &sym))
		return false;
	hdr = at_vaddr(g, sym.st_value, 16);
	if (!hdr)
		return false;
	len = le64(hdr + 8);
	str = len < sizeof(g->version) ? at_vaddr(g, le64(hdr), len) : NULL;
	return str && set_version(g, str, len);
}

static bool find_version(struct rt_goelf *g)
{
	struct span b;
	GElf_Shdr sh;
	size_t off;

	if (find_section(g, ".go.buildinfo", &sh)) {
		b = section_span(g, &sh);
		if (parse_buildinfo(g, b))
			return true;
	}
	/* no section headers to trust: the blob is 16-byte aligned in a data segment */
	for (off = 0; off + RT_GO_BUILDINFO_HDR <= g->rawsz; off += 16) {
		if (g->raw[off] != 0xff || memcmp(g->raw + off, RT_GO_BUILDINFO_MAGIC, 14))
			continue;
		b.p = g->raw + off;
		b.n = g->rawsz - off;
		if (parse_buildinfo(g, b))
			return true;
	}
	return version_from_symbol(g);
}

/* "go1.21.6", "devel go1.22-abc..." -> 21; -1 when there is no go1.N in it. */
static int parse_minor(const char *v)
{
	const char *p = strstr(v, "go1.");
	int minor = 0, digits = 0;

	if (!p)
		return -1;
	for (p += 4; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
		minor = minor * 10 + (*p - '0');
	return digits ? minor : -1;
}

/* ---- .gopclntab ---- */

/*
 * A pcHeader with magic at p (n bytes to the end of its segment or section), checked deeper
 * than its 8 magic bytes, which any file may hold by chance: the first functions of the table
 * must be in order and each _func must repeat its entry offset, in every release's layout.
 */
static bool pcln_header_ok(const unsigned char *p, size_t n, __u32 magic)
{
	__u64 nfunc, pcln, i, prev = 0;

	if (n < RT_GO_PCHDR_SIZE || le32(p) != magic || p[4] || p[5] || p[6] != 1 || p[7] != 8)
		return false;
	nfunc = le64(p + 8);
	pcln = le64(p + 64);
	if (!nfunc || nfunc > RT_GO_MAX_FUNCS || pcln >= n || !fits(n - pcln, 0, (nfunc + 1) * 8))
		return false;
	for (i = 0; i < RT_MIN(nfunc, (__u64)16); i++) {
		const unsigned char *e = p + pcln + i * 8;
		__u32 entry = le32(e), funcoff = le32(e + 4);

		if (entry < prev || !fits(n - pcln, funcoff, 4) ||
		    le32(p + pcln + funcoff) != entry)
			return false;
		prev = entry;
	}
	return true;
}

/*
 * Find the function table: the section (".gopclntab"; ".data.rel.ro.gopclntab" in a PIE),
 * else runtime.pclntab from .symtab, else a scan of the file for the header.
 */
static bool find_pclntab(struct rt_goelf *g, __u32 magic)
{
	static const char *const names[] = { ".gopclntab", ".data.rel.ro.gopclntab" };
	GElf_Shdr sh;
	GElf_Sym sym;
	size_t i, off;
	__u64 foff;

	for (i = 0; i < RT_ARRAY_SIZE(names); i++) {
		if (!find_section(g, names[i], &sh))
			continue;
		g->pcln = section_span(g, &sh);
		g->pcln_vaddr = sh.sh_addr;
		if (pcln_header_ok(g->pcln.p, g->pcln.n, magic))
			return true;
	}
	if (!symtab_lookup(g, "runtime.pclntab", &sym) &&
	    at_vaddr(g, sym.st_value, RT_GO_PCHDR_SIZE) &&
	    vaddr_to_off(g, sym.st_value, &foff)) {
		g->pcln.p = g->raw + foff;
		g->pcln.n = g->rawsz - foff;
		g->pcln_vaddr = sym.st_value;
		if (pcln_header_ok(g->pcln.p, g->pcln.n, magic))
			return true;
	}
	for (off = 0; off + RT_GO_PCHDR_SIZE <= g->rawsz; off += 8) {
		__u64 va;
		int s;

		if (!pcln_header_ok(g->raw + off, g->rawsz - off, magic))
			continue;
		for (s = 0; s < g->nsegs; s++) {
			const struct seg *sg = &g->segs[s];

			if (off >= sg->off && off - sg->off < sg->filesz) {
				va = sg->vaddr + (off - sg->off);
				g->pcln.p = g->raw + off;
				g->pcln.n = sg->filesz - (off - sg->off);
				g->pcln_vaddr = va;
				return true;
			}
		}
	}
	return false;
}

/*
 * Parse the pcHeader: nfunc, textStart and the tables. textStart stays 0 when the header does
 * not hold it (go1.26+, or a relocation in a PIE): find_moduledata() sets it then.
 */
static bool parse_pclntab(struct rt_goelf *g)
{
	const unsigned char *p = g->pcln.p;
	size_t n = g->pcln.n;
	__u64 fname = le64(p + 32), pctab = le64(p + 56), pcln = le64(p + 64);
	__u64 cu = le64(p + 40), ftabname = le64(p + 48);

	g->nfunc = le64(p + 8);
	g->text_start = g->rel->pcln_text ? le64(p + 24) : 0;
	if (fname >= n || pctab >= n || pcln >= n || !g->nfunc || g->nfunc > RT_GO_MAX_FUNCS)
		return false;
	/* each table is bounded by the end of the pclntab: safe whatever the order */
	g->funcnames = (struct span){ p + fname, n - fname };
	g->pctab = (struct span){ p + pctab, n - pctab };
	g->ftab = (struct span){ p + pcln, n - pcln };
	if (cu < n && ftabname < n) {
		g->cutab = (struct span){ p + cu, n - cu };
		g->filetab = (struct span){ p + ftabname, n - ftabname };
	}
	return fits(g->ftab.n, 0, (g->nfunc + 1) * 8);
}

/* The i-th function: entry offset from textStart, its _func (header + arrays) in ftab. */
struct go_func {
	__u32 entryoff, endoff, nameoff, npcdata, nfuncdata;
	const unsigned char *hdr; /* _func */
};

static bool get_func(const struct rt_goelf *g, __u64 i, struct go_func *f)
{
	__u32 funcoff, need;
	const unsigned char *e;

	if (i >= g->nfunc || !g->rel)
		return false;
	e = g->ftab.p + i * 8;
	f->entryoff = le32(e);
	funcoff = le32(e + 4);
	f->endoff = le32(e + 8);
	if (f->endoff < f->entryoff || !fits(g->ftab.n, funcoff, g->rel->func_size))
		return false;
	f->hdr = g->ftab.p + funcoff;
	if (le32(f->hdr) != f->entryoff)
		return false;
	f->nameoff = le32(f->hdr + 4);
	f->npcdata = le32(f->hdr + 28);
	f->nfuncdata = f->hdr[g->rel->func_size - 1];
	if (f->npcdata > 1024)
		return false;
	need = g->rel->func_size + 4 * (f->npcdata + f->nfuncdata);
	return fits(g->ftab.n, funcoff, need);
}

static const char *func_name(const struct rt_goelf *g, __u32 nameoff)
{
	return span_str(g->funcnames, nameoff);
}

static int cmp_by_name(const void *a, const void *b, void *arg)
{
	const struct rt_goelf *g = arg;
	struct go_func fa, fb;
	const char *na, *nb;

	/* both were checked when the index was built */
	get_func(g, *(const __u32 *)a, &fa);
	get_func(g, *(const __u32 *)b, &fb);
	na = func_name(g, fa.nameoff);
	nb = func_name(g, fb.nameoff);
	return strcmp(na, nb);
}

static int build_name_index(struct rt_goelf *g)
{
	__u64 i;

	if (g->by_name_done)
		return 0;
	g->by_name = calloc(g->nfunc, sizeof(*g->by_name));
	if (!g->by_name)
		return -ENOMEM;
	for (i = 0; i < g->nfunc; i++) {
		struct go_func f;

		if (get_func(g, i, &f) && func_name(g, f.nameoff))
			g->by_name[g->nby_name++] = i;
	}
	qsort_r(g->by_name, g->nby_name, sizeof(*g->by_name), cmp_by_name, g);
	g->by_name_done = true;
	return 0;
}

static int pclntab_lookup(struct rt_goelf *g, const char *name, struct go_func *out)
{
	size_t lo = 0, hi;
	int err = build_name_index(g);

	if (err)
		return err;
	hi = g->nby_name;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct go_func f;
		int c;

		get_func(g, g->by_name[mid], &f);
		c = strcmp(func_name(g, f.nameoff), name);
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (lo < g->nby_name && get_func(g, g->by_name[lo], out) &&
	    !strcmp(func_name(g, out->nameoff), name))
		return 0;
	return -ENOENT;
}

int rt_goelf__foreach_func(const struct rt_goelf *g, rt_go_func_fn fn, void *ctx)
{
	__u64 i;
	int err;

	if (!(g->have & RT_GO_HAVE_PCLNTAB))
		return -ENODATA;
	for (i = 0; i < g->nfunc; i++) {
		const char *name;
		struct go_func f;

		if (!get_func(g, i, &f) || !(name = func_name(g, f.nameoff)) || !name[0])
			continue;
		err = fn(ctx, g->text_start + f.entryoff, f.endoff - f.entryoff, name);
		if (err)
			return err;
	}
	return 0;
}

/*
 * moduledata, the runtime's descriptor of the module, holds text, the base of every function's
 * entry offset (which go1.26+ no longer writes into the pcHeader), and gofunc, the base of
 * every funcdata offset (the inline trees). It is found as the data word that points to the
 * pcHeader and is followed by the funcnametab slice pointing where the header says; in a PIE
 * linked externally the words are zero in the file and RELATIVE relocations hold them.
 */
static bool md_check(const struct rt_goelf *g, __u64 md)
{
	__u64 v;

	return read_ptr(g, md, &v) && v == g->pcln_vaddr && read_ptr(g, md + 8, &v) &&
	       v == g->pcln_vaddr + (__u64)(g->funcnames.p - g->pcln.p);
}

static void find_moduledata(struct rt_goelf *g)
{
	__u64 md = 0, v, text = 0;
	GElf_Sym sym;
	size_t i;
	int s;

	for (s = 0; s < g->nsegs && !md; s++) {
		const struct seg *sg = &g->segs[s];
		__u64 o;

		for (o = 0; o + 16 <= sg->filesz; o += 8) {
			if (le64(g->raw + sg->off + o) == g->pcln_vaddr &&
			    md_check(g, sg->vaddr + o)) {
				md = sg->vaddr + o;
				break;
			}
		}
	}
	for (i = 0; i < g->nrelocs && !md; i++)
		if (g->relocs[i].value == g->pcln_vaddr && md_check(g, g->relocs[i].where))
			md = g->relocs[i].where;
	if (md && read_ptr(g, md + g->rel->md_text, &text) &&
	    (g->text_start ? text != g->text_start : !at_vaddr(g, text, 1)))
		text = 0; /* not this module's: the words matched by chance */
	if (!g->text_start) {
		/* the header does not say: moduledata, else the symbol, else the section (the
		 * internal linker starts .text with runtime.text) */
		if (text)
			g->text_start = text;
		else if (!symtab_lookup(g, "runtime.text", &sym))
			g->text_start = sym.st_value;
		else
			g->text_start = g->text_addr;
	}
	if (text && read_ptr(g, md + g->rel->md_gofunc, &v) && at_vaddr(g, v, 1)) {
		g->gofunc = v;
		g->have |= RT_GO_HAVE_GOFUNC;
		return;
	}
	if (!symtab_lookup(g, g->rel->gofunc_sym, &sym) && at_vaddr(g, sym.st_value, 1)) {
		g->gofunc = sym.st_value;
		g->have |= RT_GO_HAVE_GOFUNC;
	}
}

/* ---- open / free ---- */

/* Note .symtab, .text and DWARF; refuse DWARF whose compressed sections look like bombs. */
static void scan_sections(struct rt_goelf *g)
{
	bool info = false, sane = true;
	Elf_Scn *scn = NULL;
	size_t shstrndx, n = 0;

	if (elf_getshdrstrndx(g->elf, &shstrndx))
		return;
	while (n++ < RT_GO_MAX_SECTIONS && (scn = elf_nextscn(g->elf, scn))) {
		const char *name;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(g->elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (sh.sh_type == SHT_SYMTAB && !g->symtab && sh.sh_size) {
			g->symtab = scn;
		} else if (!strcmp(name, ".text")) {
			g->text_addr = sh.sh_addr;
		} else if (!strncmp(name, ".debug_", 7) || !strncmp(name, ".zdebug_", 8)) {
			if (!strcmp(name + (name[1] == 'z' ? 7 : 6), "_info"))
				info = true;
			if (!rt_elf_section_sane(scn, &sh, name, RT_GO_Z_MAX, RT_GO_Z_RATIO))
				sane = false;
		}
	}
	if (g->symtab)
		g->have |= RT_GO_HAVE_SYMTAB;
	if (info && sane)
		g->dw = dwarf_begin_elf(g->elf, DWARF_C_READ, NULL);
	if (g->dw)
		g->have |= RT_GO_HAVE_DWARF;
}

static const struct go_release *release_of(int minor)
{
	size_t i;

	for (i = 0; i < RT_ARRAY_SIZE(releases); i++)
		if (minor >= releases[i].minor_lo && minor <= releases[i].minor_hi)
			return &releases[i];
	return NULL;
}

void rt_goelf__free(struct rt_goelf *g)
{
	if (!g)
		return;
	if (g->dw)
		dwarf_end(g->dw);
	if (g->elf)
		elf_end(g->elf);
	if (g->fd >= 0)
		close(g->fd);
	free(g->by_name);
	free(g->relocs);
	free(g);
}

struct rt_goelf *rt_goelf__open(const char *path, char *err, size_t errlen)
{
	struct rt_goelf *g;
	GElf_Ehdr eh;
	int e = 0;

	if (err && errlen)
		err[0] = '\0';
	if (elf_version(EV_CURRENT) == EV_NONE) {
		e = seterr(err, errlen, EINVAL, "libelf: %s", elf_errmsg(-1));
		errno = -e;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		errno = ENOMEM;
		return NULL;
	}
	memset(g->dw_field, -1, sizeof(g->dw_field));
	g->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (g->fd < 0) {
		e = seterr(err, errlen, errno, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	g->elf = elf_begin(g->fd, ELF_C_READ_MMAP, NULL);
	if (!g->elf || elf_kind(g->elf) != ELF_K_ELF || !gelf_getehdr(g->elf, &eh)) {
		e = seterr(err, errlen, ENOEXEC, "%s: not an ELF file", path);
		goto cleanup;
	}
	g->raw = (const unsigned char *)elf_rawfile(g->elf, &g->rawsz);
	if (!g->raw) {
		e = seterr(err, errlen, ENOEXEC, "%s: cannot map the file", path);
		goto cleanup;
	}
	if (gelf_getclass(g->elf) != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		e = seterr(err, errlen, EPROTONOSUPPORT,
			   "%s: not an x86-64 ELF file (machine %u): only x86-64 is supported",
			   path, eh.e_machine);
		goto cleanup;
	}
	load_segments(g);
	scan_sections(g);
	if (load_relocs(g)) {
		e = seterr(err, errlen, ENOMEM, "%s: out of memory", path);
		goto cleanup;
	}

	if (find_version(g)) {
		g->have |= RT_GO_HAVE_BUILDINFO;
	} else if (find_pclntab(g, 0xfffffff0) || find_pclntab(g, 0xfffffff1)) {
		e = seterr(err, errlen, ENOEXEC,
			   "%s: a Go binary without build info: its Go version is unknown", path);
		goto cleanup;
	} else {
		e = seterr(err, errlen, ENOEXEC,
			   "%s: not a Go binary (no Go build info, no .gopclntab)", path);
		goto cleanup;
	}
	g->minor = parse_minor(g->version);
	if (g->minor < 0 || !strstr(g->version, "go1.")) {
		e = seterr(err, errlen, EPROTONOSUPPORT, "%s: unrecognised Go version '%s'", path,
			   g->version);
		goto cleanup;
	}
	if (g->minor < RT_GO_MIN_MINOR) {
		e = seterr(err, errlen, EPROTONOSUPPORT,
			   "%s: built by %s, older than go1.%d, the oldest release racetrace knows "
			   "(go1.%d to go1.%d work, stripped or not): not traced",
			   path, g->version, RT_GO_MIN_MINOR, RT_GO_MIN_MINOR, RT_GO_MAX_MINOR);
		goto cleanup;
	}
	g->rel = release_of(g->minor);
	if (!g->rel) {
		/* newer than the table: every answer must come from names and DWARF */
		if (!(g->have & RT_GO_HAVE_SYMTAB) || !(g->have & RT_GO_HAVE_DWARF)) {
			e = seterr(err, errlen, EPROTONOSUPPORT,
				   "%s: built by %s, newer than go1.%d, the newest release racetrace "
				   "knows (go1.%d to go1.%d work, stripped or not); a newer release is "
				   "traced only from its .symtab and DWARF, and this binary has %s "
				   "(built with -ldflags='-s -w', or stripped), so its goroutine ids "
				   "and struct offsets are unknown: not traced (rebuild it without "
				   "-s -w, or with go1.%d)",
				   path, g->version, RT_GO_MAX_MINOR, RT_GO_MIN_MINOR,
				   RT_GO_MAX_MINOR,
				   g->have & RT_GO_HAVE_SYMTAB ? "no DWARF" :
				   g->have & RT_GO_HAVE_DWARF ? "no .symtab" : "neither",
				   RT_GO_MAX_MINOR);
			goto cleanup;
		}
		return g;
	}
	if (!find_pclntab(g, g->rel->pcln_magic) || !parse_pclntab(g)) {
		if (!(g->have & RT_GO_HAVE_SYMTAB)) {
			e = seterr(err, errlen, EINVAL,
				   "%s: %s binary without .symtab and without a readable "
				   ".gopclntab (magic 0x%08x expected)",
				   path, g->version, g->rel->pcln_magic);
			goto cleanup;
		}
		g->pcln = (struct span){ NULL, 0 };
		return g;
	}
	g->have |= RT_GO_HAVE_PCLNTAB;
	find_moduledata(g);
	return g;

cleanup:
	rt_goelf__free(g);
	errno = -e;
	return NULL;
}

const char *rt_goelf__version(const struct rt_goelf *g)
{
	return g->version;
}

int rt_goelf__minor(const struct rt_goelf *g)
{
	return g->minor;
}

unsigned int rt_goelf__have(const struct rt_goelf *g)
{
	return g->have;
}

enum rt_go_support rt_goelf__support(const struct rt_goelf *g, char *line, size_t len)
{
	if (g->rel) {
		if (line && len)
			line[0] = '\0';
		return RT_GO_SUPPORT_KNOWN;
	}
	/* rt_goelf__open() accepts a newer release only with .symtab and DWARF */
	if (line && len)
		snprintf(line, len,
			 "built by %s, newer than go1.%d, the newest release racetrace knows "
			 "(go1.%d to go1.%d work, stripped or not): its functions, inlined sites and "
			 "struct offsets come from .symtab and DWARF alone; off: the release table "
			 "(.gopclntab, inline trees, offsets for stripped builds) and probes on "
			 "runtime and sync functions renamed since go1.%d",
			 g->version, RT_GO_MAX_MINOR, RT_GO_MIN_MINOR, RT_GO_MAX_MINOR,
			 RT_GO_MAX_MINOR);
	return RT_GO_SUPPORT_NEWER;
}

/* ---- functions ---- */

int rt_goelf__func(struct rt_goelf *g, const char *name, enum rt_go_src src, struct rt_go_func *f)
{
	struct rt_go_func r;
	struct go_func gf;
	GElf_Sym sym;
	int err;

	if (src == RT_GO_SRC_ANY)
		src = g->have & RT_GO_HAVE_SYMTAB ? RT_GO_SRC_SYMTAB : RT_GO_SRC_PCLNTAB;
	if (src == RT_GO_SRC_SYMTAB) {
		if (!(g->have & RT_GO_HAVE_SYMTAB))
			return -ENODATA;
		err = symtab_lookup(g, name, &sym);
		if (err)
			return err;
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC)
			return -ENOENT;
		r.addr = sym.st_value;
		r.size = sym.st_size;
	} else if (src == RT_GO_SRC_PCLNTAB) {
		if (!(g->have & RT_GO_HAVE_PCLNTAB))
			return -ENODATA;
		err = pclntab_lookup(g, name, &gf);
		if (err)
			return err;
		r.addr = g->text_start + gf.entryoff;
		r.size = gf.endoff - gf.entryoff;
	} else {
		return -EINVAL;
	}
	if (!vaddr_to_off(g, r.addr, &r.off))
		return -ENOENT; /* not in the file: nothing to probe */
	*f = r;
	return 0;
}

int rt_goelf__returns(struct rt_goelf *g, const struct rt_go_func *f, __u32 *offs, size_t max)
{
	const unsigned char *code;
	const uint8_t *p;
	uint64_t addr;
	size_t left;
	cs_insn *in;
	int n = 0;
	csh h;

	if (!f->size || f->size > RT_GO_MAX_FUNC_SIZE)
		return -EINVAL;
	code = at_vaddr(g, f->addr, f->size);
	if (!code)
		return -EINVAL;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -ENOMEM;
	in = cs_malloc(h);
	if (!in) {
		cs_close(&h);
		return -ENOMEM;
	}
	p = code;
	left = f->size;
	addr = f->addr;
	while (left && cs_disasm_iter(h, &p, &left, &addr, in)) {
		if (in->id != X86_INS_RET)
			continue;
		if ((size_t)n < max)
			offs[n] = (__u32)(in->address - f->addr);
		n++;
	}
	if (left)
		n = -EINVAL; /* undecodable bytes: a sweep past them could split instructions */
	cs_free(in, 1);
	cs_close(&h);
	return n;
}

/* DWARF x86-64 register number of a 64- or 32-bit general register, or RT_GO_REG_NONE. */
static int dwarf_reg(unsigned int r)
{
	static const struct {
		unsigned int r64, r32;
	} regs[] = {
		{ X86_REG_RAX, X86_REG_EAX }, { X86_REG_RDX, X86_REG_EDX },
		{ X86_REG_RCX, X86_REG_ECX }, { X86_REG_RBX, X86_REG_EBX },
		{ X86_REG_RSI, X86_REG_ESI }, { X86_REG_RDI, X86_REG_EDI },
		{ X86_REG_RBP, X86_REG_EBP }, { X86_REG_RSP, X86_REG_ESP },
		{ X86_REG_R8, X86_REG_R8D },  { X86_REG_R9, X86_REG_R9D },
		{ X86_REG_R10, X86_REG_R10D }, { X86_REG_R11, X86_REG_R11D },
		{ X86_REG_R12, X86_REG_R12D }, { X86_REG_R13, X86_REG_R13D },
		{ X86_REG_R14, X86_REG_R14D }, { X86_REG_R15, X86_REG_R15D },
	};
	size_t i;

	if (r == X86_REG_RIP)
		return RT_GO_REG_RIP;
	for (i = 0; i < RT_ARRAY_SIZE(regs); i++)
		if (regs[i].r64 == r || regs[i].r32 == r)
			return (int)i;
	return RT_GO_REG_NONE;
}

static bool ends_straight_line(const cs_insn *in)
{
	uint8_t i;

	for (i = 0; i < in->detail->groups_count; i++) {
		switch (in->detail->groups[i]) {
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

/* Fill *a from atomic instruction in, whose memory operand is op; false if it has none. */
static bool fill_atomic(const struct rt_goelf *g, csh h, const cs_insn *in,
			struct rt_go_atomic *a)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *mem = NULL;
	cs_regs rr, wr;
	uint8_t nr = 0, nw = 0, i;

	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM)
			mem = &x->operands[i];
	if (!mem)
		return false;
	memset(a, 0, sizeof(*a));
	a->addr = in->address;
	a->next = in->address + in->size;
	if (!vaddr_to_off(g, a->addr, &a->off) || !vaddr_to_off(g, a->next, &a->next_off))
		return false;
	switch (in->id) {
	case X86_INS_CMPXCHG:
		a->op = RT_GO_ATOMIC_CMPXCHG;
		break;
	case X86_INS_XADD:
		a->op = RT_GO_ATOMIC_XADD;
		break;
	case X86_INS_XCHG:
		a->op = RT_GO_ATOMIC_XCHG;
		break;
	default:
		a->op = RT_GO_ATOMIC_OTHER;
		break;
	}
	a->base = mem->mem.base == X86_REG_INVALID ? RT_GO_REG_NONE : dwarf_reg(mem->mem.base);
	a->index = mem->mem.index == X86_REG_INVALID ? RT_GO_REG_NONE : dwarf_reg(mem->mem.index);
	a->scale = mem->mem.scale;
	a->disp = mem->mem.disp;
	if (a->base == RT_GO_REG_RIP)
		a->target = a->next + (__u64)a->disp;
	if (!cs_regs_access(h, in, rr, &nr, wr, &nw)) {
		for (i = 0; i < nw; i++)
			if ((mem->mem.base != X86_REG_INVALID &&
			     dwarf_reg(wr[i]) == dwarf_reg(mem->mem.base)) ||
			    (mem->mem.index != X86_REG_INVALID &&
			     dwarf_reg(wr[i]) == dwarf_reg(mem->mem.index)))
				a->clobbered = 1;
	}
	return true;
}

/*
 * The compiler interleaves an inlined body with its caller's code: the lowest pc of a Lock body
 * can be a register spill hoisted above a call (sync.(*Pool).pinSlow), and the atomic can
 * carry the caller's line, so that the body "starts" at the test of its result
 * (sync.(*Once).doSlow). So the caller is decoded from its entry up to the body's end: the
 * first atomic in [addr, end) wins, else the last one within RT_GO_ATOMIC_BEFORE bytes before
 * the site with no jump, call or return in between.
 */
#define RT_GO_ATOMIC_BEFORE 32
#define RT_GO_ATOMIC_SWEEP (1u << 20)

int rt_goelf__site_atomics(struct rt_goelf *g, const struct rt_go_site *site, __u32 op,
			   struct rt_go_atomic *a, size_t max)
{
	struct rt_go_atomic before, r;
	bool have_before = false;
	const unsigned char *code;
	__u64 from = site->caller;
	int err = -ENOENT, n = 0;
	const uint8_t *p;
	uint64_t addr;
	size_t left;
	cs_insn *in;
	csh h;

	if (!max)
		return -EINVAL;
	if (site->end <= site->addr || site->end - site->addr > RT_GO_ATOMIC_SWEEP)
		return -EINVAL;
	if (from > site->addr || site->addr - from > RT_GO_ATOMIC_SWEEP)
		from = site->addr; /* no usable caller: decode from the site itself */
	code = at_vaddr(g, from, site->end - from);
	if (!code)
		return -EINVAL;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -ENOMEM;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	if (!in) {
		cs_close(&h);
		return -ENOMEM;
	}
	p = code;
	left = site->end - from;
	addr = from;
	while (left && cs_disasm_iter(h, &p, &left, &addr, in)) {
		bool locked = in->detail->x86.prefix[0] == 0xf0 || in->id == X86_INS_XCHG;

		if (in->address < site->addr) {
			if (locked && fill_atomic(g, h, in, &r) && (!op || r.op == op)) {
				before = r;
				have_before = true;
			} else if (ends_straight_line(in)) {
				have_before = false;
			}
			if (in->address + in->size > site->addr) {
				err = -EINVAL; /* the site is not an instruction boundary */
				break;
			}
			continue;
		}
		if (locked && fill_atomic(g, h, in, &r) && (!op || r.op == op)) {
			err = 0;
			a[n++] = r;
			if ((size_t)n == max)
				break;
		}
	}
	if (err == -ENOENT && have_before && site->addr - before.addr <= RT_GO_ATOMIC_BEFORE &&
	    (addr >= site->addr || !left)) {
		a[n++] = before;
		err = 0;
	}
	cs_free(in, 1);
	cs_close(&h);
	return err ? err : n;
}

int rt_goelf__site_atomic(struct rt_goelf *g, const struct rt_go_site *site, __u32 op,
			  struct rt_go_atomic *a)
{
	int n = rt_goelf__site_atomics(g, site, op, a, 1);

	return n < 0 ? n : 0;
}

/* ---- inlined call sites ---- */

struct site_list {
	struct rt_go_site *v;
	size_t n, cap;
};

static int site_add(struct site_list *l, const struct rt_goelf *g, __u64 addr, __u64 end,
		    __u64 caller)
{
	__u64 off;

	if (!vaddr_to_off(g, addr, &off))
		return 0; /* not in the file */
	if (rt_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return -ENOMEM;
	l->v[l->n].addr = addr;
	l->v[l->n].off = off;
	l->v[l->n].end = end;
	l->v[l->n].caller = caller;
	l->n++;
	return 0;
}

static int cmp_site(const void *a, const void *b)
{
	const struct rt_go_site *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Sort, drop duplicate addresses, copy out up to max; returns the count. */
static int sites_out(struct site_list *l, struct rt_go_site *sites, size_t max)
{
	size_t i, n = 0;

	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_site);
	for (i = 0; i < l->n; i++) {
		if (n && l->v[n - 1].addr == l->v[i].addr)
			continue;
		l->v[n++] = l->v[i];
	}
	if (sites && n && max)
		memcpy(sites, l->v, RT_MIN(n, max) * sizeof(*sites));
	return (int)RT_MIN(n, (size_t)0x7fffffff);
}

/* One run of a pc-value table: value val for pc offsets [start, end). */
struct pcrun {
	__u32 start, end;
	__s32 val;
};

struct pcrun_list {
	struct pcrun *v;
	size_t n, cap;
};

/*
 * Decode the pc-value table at off in pctab for a function of size bytes (runtime.step():
 * zigzag value deltas and pc deltas, varints, starting at value -1; a zero value delta after
 * the first pair ends it). 0, -EINVAL for a corrupt table, -ENOMEM.
 */
static int decode_pcvalue(const struct rt_goelf *g, __u32 off, __u32 size, struct pcrun_list *l)
{
	const unsigned char *p = g->pctab.p;
	size_t n = g->pctab.n, pos = off;
	__u32 val = (__u32)-1, pc = 0;
	bool first = true;

	l->n = 0;
	if (off >= n)
		return -EINVAL;
	while (pc < size) {
		__u64 uvdelta, pcdelta;

		if (!read_uvarint(p, n, &pos, &uvdelta) || uvdelta > 0xffffffffULL)
			return -EINVAL;
		if (!uvdelta && !first)
			break;
		/* zigzag, in unsigned arithmetic: corrupt tables may overflow */
		val += (__u32)(-(uvdelta & 1) ^ (uvdelta >> 1));
		if (!read_uvarint(p, n, &pos, &pcdelta) || pcdelta > size - pc)
			return -EINVAL;
		first = false;
		if (!pcdelta)
			continue;
		if (rt_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
			return -ENOMEM;
		l->v[l->n].start = pc;
		l->v[l->n].end = pc + (__u32)pcdelta;
		l->v[l->n].val = (__s32)val;
		l->n++;
		pc += (__u32)pcdelta;
	}
	return 0;
}

/* The value at pc offset pc, or -1. Runs are sorted and disjoint. */
static __s32 pcrun_at(const struct pcrun_list *l, __u32 pc)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid].end <= pc) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo < l->n && l->v[lo].start <= pc ? l->v[lo].val : -1;
}

/* Inline tree entry idx of a function whose tree is at tree (a vaddr). */
static const unsigned char *inl_entry(const struct rt_goelf *g, __u64 tree, __s32 idx)
{
	if (idx < 0 || idx >= RT_GO_MAX_INL_INDEX)
		return NULL;
	return at_vaddr(g, tree + (__u64)idx * g->rel->inl_size, g->rel->inl_size);
}

/* The parent of inline tree entry e: the innermost inlining at its call site, or -1. */
static __s32 inl_parent(const struct rt_goelf *g, const unsigned char *e,
			const struct pcrun_list *runs)
{
	if (g->rel->inl_parent)
		return (__s16)(e[0] | e[1] << 8);
	return pcrun_at(runs, le32(e + g->rel->inl_parentpc));
}

struct inl_hit {
	__s32 idx;	/* inline tree entry */
	__u32 pc, end;	/* a run of pc offsets where it or a call inlined into it is */
};

static int cmp_hit(const void *a, const void *b)
{
	const struct inl_hit *x = a, *y = b;

	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

struct inl_scan {
	const char *name;
	struct pcrun_list runs;
	struct inl_hit *hits;
	size_t nhits, hcap;
	__u64 steps; /* parent links followed, against RT_GO_MAX_INL_STEPS */
};

/* Sites in function i of the function table: see rt_goelf__inlined(). */
static int inltree_func(struct rt_goelf *g, __u64 i, struct inl_scan *sc, struct site_list *out)
{
	const struct go_release *r = g->rel;
	struct pcrun_list *runs = &sc->runs;
	__u32 pcoff, fdoff;
	struct go_func f;
	size_t k;
	__u64 tree;
	int err;

	if (!get_func(g, i, &f) || f.npcdata <= RT_GO_PCDATA_INLTREEINDEX ||
	    f.nfuncdata <= RT_GO_FUNCDATA_INLTREE)
		return 0;
	pcoff = le32(f.hdr + r->func_size + 4 * RT_GO_PCDATA_INLTREEINDEX);
	fdoff = le32(f.hdr + r->func_size + 4 * f.npcdata + 4 * RT_GO_FUNCDATA_INLTREE);
	if (!pcoff || fdoff == 0xffffffff)
		return 0;
	tree = g->gofunc + fdoff;
	err = decode_pcvalue(g, pcoff, f.endoff - f.entryoff, runs);
	if (err)
		return err == -ENOMEM ? err : 0; /* a corrupt table: no sites from it */
	sc->nhits = 0;
	for (k = 0; k < runs->n; k++) {
		__s32 idx = runs->v[k].val;
		int depth;

		/* the innermost inlining at this pc, then the calls it was inlined into */
		for (depth = 0; idx >= 0 && depth < RT_GO_INL_DEPTH; depth++) {
			const unsigned char *e = inl_entry(g, tree, idx);
			const char *s;

			if (!e || ++sc->steps > RT_GO_MAX_INL_STEPS)
				break;
			s = func_name(g, le32(e + r->inl_name));
			if (s && !strcmp(s, sc->name)) {
				if (rt_grow((void **)&sc->hits, &sc->hcap, sc->nhits + 1,
					    sizeof(*sc->hits)))
					return -ENOMEM;
				sc->hits[sc->nhits].idx = idx;
				sc->hits[sc->nhits].pc = runs->v[k].start;
				sc->hits[sc->nhits].end = runs->v[k].end;
				sc->nhits++;
				break; /* an instance inside itself is not another one */
			}
			idx = inl_parent(g, e, runs);
		}
	}
	if (sc->steps > RT_GO_MAX_INL_STEPS)
		return -E2BIG;
	/* one site per tree entry: its lowest pc, and the end of its highest run */
	if (sc->nhits)
		qsort(sc->hits, sc->nhits, sizeof(*sc->hits), cmp_hit);
	for (k = 0; k < sc->nhits; k++) {
		__u64 base = g->text_start + f.entryoff;
		__u32 end = sc->hits[k].end;
		size_t j;

		if (k && sc->hits[k].idx == sc->hits[k - 1].idx)
			continue;
		for (j = k + 1; j < sc->nhits && sc->hits[j].idx == sc->hits[k].idx; j++)
			end = RT_MAX(end, sc->hits[j].end);
		err = site_add(out, g, base + sc->hits[k].pc, base + end, base);
		if (err)
			return err;
	}
	return 0;
}

static int inlined_pclntab(struct rt_goelf *g, const char *name, struct site_list *out)
{
	struct inl_scan sc = { .name = name };
	int err = 0;
	__u64 i;

	if (!(g->have & RT_GO_HAVE_PCLNTAB) || !(g->have & RT_GO_HAVE_GOFUNC))
		return -ENODATA;
	for (i = 0; i < g->nfunc && !err; i++)
		err = inltree_func(g, i, &sc, out);
	free(sc.runs.v);
	free(sc.hits);
	return err;
}

/* ---- file, line and inline chain of a pc ---- */

/*
 * The value of the pc-value table at off for pc offset pcoff of a function of size bytes,
 * without allocating (runtime.pcvalue()). Returns false for a corrupt table or a pc it does
 * not cover.
 */
static bool pcvalue_at(const struct rt_goelf *g, __u32 off, __u32 size, __u32 pcoff, __s32 *v)
{
	const unsigned char *p = g->pctab.p;
	size_t n = g->pctab.n, pos = off;
	__u32 val = (__u32)-1, pc = 0;
	bool first = true;

	if (!off || off >= n || pcoff >= size)
		return false;
	while (pc < size) {
		__u64 uvdelta, pcdelta;

		if (!read_uvarint(p, n, &pos, &uvdelta) || uvdelta > 0xffffffffULL)
			return false;
		if (!uvdelta && !first)
			return false;
		val += (__u32)(-(uvdelta & 1) ^ (uvdelta >> 1));
		if (!read_uvarint(p, n, &pos, &pcdelta) || pcdelta > size - pc)
			return false;
		first = false;
		pc += (__u32)pcdelta;
		if (pcoff < pc) {
			*v = (__s32)val;
			return true;
		}
	}
	return false;
}

/* The function table entry whose code holds vaddr pc, into *f; false when none does. */
static bool func_at(const struct rt_goelf *g, __u64 pc, struct go_func *f)
{
	__u64 lo = 0, hi, off;

	if (!(g->have & RT_GO_HAVE_PCLNTAB) || !g->rel || pc < g->text_start ||
	    pc - g->text_start > 0xffffffffULL)
		return false;
	off = pc - g->text_start;
	hi = g->nfunc;
	/* entry offsets ascend; entry nfunc is the end of the last function */
	while (lo < hi) {
		__u64 mid = lo + (hi - lo) / 2;

		if (le32(g->ftab.p + (mid + 1) * 8) <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->nfunc && get_func(g, lo, f) && f->entryoff <= off && off < f->endoff;
}

/* The file name of file number fileno in the compilation unit of f, or NULL. */
static const char *func_file(const struct rt_goelf *g, const struct go_func *f, __s32 fileno)
{
	__u32 cu = le32(f->hdr + 32);
	__u64 idx;

	if (fileno < 0 || !g->cutab.n || cu == 0xffffffff)
		return NULL;
	idx = ((__u64)cu + (__u64)fileno) * 4;
	if (!fits(g->cutab.n, idx, 4) || le32(g->cutab.p + idx) == 0xffffffff)
		return NULL;
	return span_str(g->filetab, le32(g->cutab.p + idx));
}

/* File and line at pc offset pcoff of f; NULL and 0 where the tables do not say. */
static void func_line(const struct rt_goelf *g, const struct go_func *f, __u32 pcoff,
		      const char **file, int *line)
{
	__u32 size = f->endoff - f->entryoff;
	__s32 v;

	*file = NULL;
	*line = 0;
	if (pcvalue_at(g, le32(f->hdr + 20), size, pcoff, &v))
		*file = func_file(g, f, v);
	if (pcvalue_at(g, le32(f->hdr + 24), size, pcoff, &v) && v > 0)
		*line = v;
}

int rt_goelf__line(const struct rt_goelf *g, __u64 pc, const char **file, int *line)
{
	struct go_func f;

	if (!(g->have & RT_GO_HAVE_PCLNTAB))
		return -ENODATA;
	if (!func_at(g, pc, &f))
		return -ENOENT;
	func_line(g, &f, (__u32)(pc - g->text_start) - f.entryoff, file, line);
	return *file || *line ? 0 : -ENOENT;
}

int rt_goelf__frames(const struct rt_goelf *g, __u64 pc, struct rt_go_frame *out, size_t max)
{
	struct rt_go_frame chain[RT_GO_INL_DEPTH + 1];
	const struct go_release *r = g->rel;
	__u32 pcoff, size, inloff = 0;
	__u64 tree = 0;
	struct go_func f;
	size_t n = 0, k;

	if (!(g->have & RT_GO_HAVE_PCLNTAB))
		return -ENODATA;
	if (!max || !func_at(g, pc, &f))
		return -ENOENT;
	size = f.endoff - f.entryoff;
	pcoff = (__u32)(pc - g->text_start) - f.entryoff;
	if ((g->have & RT_GO_HAVE_GOFUNC) && f.npcdata > RT_GO_PCDATA_INLTREEINDEX &&
	    f.nfuncdata > RT_GO_FUNCDATA_INLTREE) {
		__u32 fdoff = le32(f.hdr + r->func_size + 4 * f.npcdata +
				   4 * RT_GO_FUNCDATA_INLTREE);

		inloff = le32(f.hdr + r->func_size + 4 * RT_GO_PCDATA_INLTREEINDEX);
		if (fdoff != 0xffffffff)
			tree = g->gofunc + fdoff;
		else
			inloff = 0;
	}
	/*
	 * runtime.traceback's walk: the innermost inlining at pc names the frame, pcfile and
	 * pcln at pc give its position; then pc becomes the inlining's parentPc, a pc of the
	 * next-outer function at the call, until no inlining covers pc.
	 */
	for (;;) {
		const unsigned char *e = NULL;
		struct rt_go_frame *fr = &chain[n];
		__s32 idx;

		func_line(g, &f, pcoff, &fr->file, &fr->line);
		fr->entry = g->text_start + f.entryoff;
		if (n < RT_GO_INL_DEPTH && inloff && pcvalue_at(g, inloff, size, pcoff, &idx))
			e = inl_entry(g, tree, idx);
		if (!e) {
			fr->function = func_name(g, f.nameoff);
			fr->inlined = false;
			n++;
			break;
		}
		fr->function = func_name(g, le32(e + r->inl_name));
		fr->inlined = true;
		n++;
		pcoff = le32(e + r->inl_parentpc);
		if (pcoff >= size) {
			/* a corrupt parentPc: end the chain with the function itself */
			chain[n] = chain[n - 1];
			chain[n].function = func_name(g, f.nameoff);
			chain[n].file = NULL;
			chain[n].line = 0;
			chain[n].inlined = false;
			n++;
			break;
		}
	}
	/* keep the innermost frames and always the out-of-line one, last */
	for (k = 0; k < n && k + 1 < max; k++)
		out[k] = chain[k];
	if (k < n)
		out[k++] = chain[n - 1];
	return (int)k;
}

struct dw_walk {
	struct rt_goelf *g;
	const char *name;
	struct site_list *out;
	size_t visited;
	int err;
};

/* The lowest address and the highest end of a DIE's code (low_pc or ranges). */
static bool die_span(Dwarf_Die *die, __u64 *low, __u64 *high)
{
	Dwarf_Addr base, start, end, lo = (Dwarf_Addr)-1, hi = 0;
	ptrdiff_t off = 0;
	int n = 0;

	while (n++ < 4096 && (off = dwarf_ranges(die, off, &base, &start, &end)) > 0) {
		if (start >= end)
			continue;
		lo = RT_MIN(lo, start);
		hi = RT_MAX(hi, end);
	}
	if (lo == (Dwarf_Addr)-1)
		return false;
	*low = lo;
	*high = hi;
	return true;
}

static bool origin_is(Dwarf_Die *die, const char *name)
{
	Dwarf_Attribute attr;
	Dwarf_Die origin;
	const char *s;

	if (!dwarf_attr(die, DW_AT_abstract_origin, &attr) || !dwarf_formref_die(&attr, &origin))
		return false;
	s = dwarf_diename(&origin);
	return s && !strcmp(s, name);
}

/* Depth-first over die's children; caller is the enclosing concrete function's entry. */
static void dw_walk_children(struct dw_walk *w, Dwarf_Die *die, __u64 caller, int depth)
{
	Dwarf_Die child;
	Dwarf_Off prev;
	__u64 low, high;

	if (depth > RT_GO_MAX_DIE_DEPTH || dwarf_child(die, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);

		if (w->err)
			return;
		if (++w->visited > RT_GO_MAX_DIES) {
			w->err = -E2BIG;
			return;
		}
		if (tag == DW_TAG_subprogram) {
			if (die_span(&child, &low, &high))
				dw_walk_children(w, &child, low, depth + 1);
		} else if (tag == DW_TAG_inlined_subroutine) {
			if (origin_is(&child, w->name) && die_span(&child, &low, &high))
				w->err = site_add(w->out, w->g, low, high, caller);
			dw_walk_children(w, &child, caller, depth + 1);
		} else if (tag == DW_TAG_lexical_block) {
			dw_walk_children(w, &child, caller, depth + 1);
		}
		prev = dwarf_dieoffset(&child);
	} while (dwarf_siblingof(&child, &child) == 0 && dwarf_dieoffset(&child) > prev);
}

static int inlined_dwarf(struct rt_goelf *g, const char *name, struct site_list *out)
{
	struct dw_walk w = { .g = g, .name = name, .out = out };
	Dwarf_Off off = 0, next;
	size_t hsize;

	if (!g->dw)
		return -ENODATA;
	while (!w.err && dwarf_nextcu(g->dw, off, &next, &hsize, NULL, NULL, NULL) == 0 &&
	       next > off) {
		Dwarf_Die cu;

		if (dwarf_offdie(g->dw, off + hsize, &cu))
			dw_walk_children(&w, &cu, 0, 0);
		off = next;
	}
	return w.err;
}

int rt_goelf__inlined(struct rt_goelf *g, const char *name, enum rt_go_src src,
		      struct rt_go_site *sites, size_t max)
{
	struct site_list l = { 0 };
	int err;

	if (src == RT_GO_SRC_ANY)
		src = g->dw ? RT_GO_SRC_DWARF : RT_GO_SRC_PCLNTAB;
	if (src == RT_GO_SRC_DWARF) {
		err = inlined_dwarf(g, name, &l);
	} else if (src == RT_GO_SRC_PCLNTAB) {
		err = inlined_pclntab(g, name, &l);
	} else {
		return -EINVAL;
	}
	if (!err)
		err = sites_out(&l, sites, max);
	free(l.v);
	return err;
}

/* ---- struct offsets ---- */

/* The data_member_location of every field, from the top-level structure types. */
static void dw_load_fields(struct rt_goelf *g)
{
	Dwarf_Off off = 0, next;
	size_t hsize, visited = 0;

	g->dw_fields_done = true;
	while (dwarf_nextcu(g->dw, off, &next, &hsize, NULL, NULL, NULL) == 0 && next > off) {
		Dwarf_Die cu, die;
		Dwarf_Off prev;

		if (!dwarf_offdie(g->dw, off + hsize, &cu) || dwarf_child(&cu, &die) != 0) {
			off = next;
			continue;
		}
		do {
			const char *tname = dwarf_diename(&die);
			Dwarf_Die m;
			int f;

			if (++visited > RT_GO_MAX_DIES)
				return;
			if (dwarf_tag(&die) != DW_TAG_structure_type || !tname ||
			    dwarf_child(&die, &m) != 0)
				goto next_die;
			do {
				const char *mname = dwarf_diename(&m);
				Dwarf_Attribute a;
				Dwarf_Word loc;
				Dwarf_Off mprev;

				for (f = 0; mname && f < RT_GO_NR_FIELDS; f++) {
					if (strcmp(fields[f].type, tname) ||
					    strcmp(fields[f].member, mname) ||
					    g->dw_field[f] >= 0)
						continue;
					if (dwarf_attr(&m, DW_AT_data_member_location, &a) &&
					    !dwarf_formudata(&a, &loc) && loc < 0x10000)
						g->dw_field[f] = (int)loc;
				}
				if (++visited > RT_GO_MAX_DIES)
					return;
				mprev = dwarf_dieoffset(&m);
				if (dwarf_siblingof(&m, &m) != 0 || dwarf_dieoffset(&m) <= mprev)
					break;
			} while (1);
next_die:
			prev = dwarf_dieoffset(&die);
		} while (dwarf_siblingof(&die, &die) == 0 && dwarf_dieoffset(&die) > prev);
		off = next;
	}
}

const char *rt_goelf__field_name(enum rt_go_field field)
{
	if ((unsigned int)field >= RT_GO_NR_FIELDS)
		return "?";
	return fields[field].full;
}

int rt_goelf__offset(struct rt_goelf *g, enum rt_go_field field, enum rt_go_src src, __u32 *off)
{
	if ((unsigned int)field >= RT_GO_NR_FIELDS)
		return -EINVAL;
	if (src == RT_GO_SRC_ANY)
		src = g->dw ? RT_GO_SRC_DWARF : RT_GO_SRC_TABLE;
	if (src == RT_GO_SRC_DWARF) {
		if (!g->dw)
			return -ENODATA;
		if (!g->dw_fields_done)
			dw_load_fields(g);
		if (g->dw_field[field] < 0)
			return -ENOENT;
		*off = g->dw_field[field];
		return 0;
	}
	if (src == RT_GO_SRC_TABLE) {
		if (!g->rel)
			return -ENODATA;
		if (g->rel->field[field] == RT_GO_NO_FIELD)
			return -ENOENT;
		*off = g->rel->field[field];
		return 0;
	}
	return -EINVAL;
}
