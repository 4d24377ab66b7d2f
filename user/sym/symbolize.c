// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The symbolizer of symbolize.h: mappings from /proc/PID/maps, one module per mapped file
 * (dev, inode, path), opened on first use with libelf. A module holds its PT_LOAD segments (to
 * turn a file offset into an ELF virtual address), a sorted array of function symbols, and a
 * libdw handle for lines, from the file itself or from its separate debug file. Code frames are
 * cached per (pid, address) until the next snapshot or hand-added mapping. rt_sym__data names
 * globals (locks) from OBJECT symbols, uncached.
 *
 * Target files are untrusted: every loop has a bound, files are opened only when regular (a FIFO
 * would block us), read with ELF_C_READ (pread, so a file truncated under us gives an error,
 * not SIGBUS), and compressed debug sections are checked for a sane size before libdw inflates
 * them. Printing is the caller's job; this module only logs at debug level.
 *
 * A module without a local debug file is looked up on the debuginfod servers DEBUGINFOD_URLS
 * names, by build-id, through libdebuginfod (elfutils). The library is loaded with dlopen() on
 * the first such lookup, as libdw itself does: racetrace then runs where libdebuginfod1 is not
 * installed, and a run without DEBUGINFOD_URLS never loads libcurl and a TLS stack into a root
 * process. The fetched file (cached by the client, under $DEBUGINFOD_CACHE_PATH or
 * ~/.cache/debuginfod_client) goes through the same checks as a local one: it must carry the
 * module's build-id. Our ELF reading stays ours (map_files, untrusted-input limits), which is why
 * this is the client library and not libdwfl's dwfl_standard_find_debuginfo().
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <dwarf.h>
#include <gelf.h>
#include <libelf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/debuginfod.h>
#include <zlib.h>
#include "lib/log.h"
#include "elf/elfcheck.h"
#include "elf/goelf.h"
#include "record/event.h"
#include "sym/symbolize.h"
#include "lib/util.h"

#define RT_DEBUG_DIR "/usr/lib/debug"
#define RT_DEBUGINFOD_LIB "libdebuginfod.so.1"
#define RT_SYM_MAX_MAPS (1 << 20)	/* mappings remembered, over all processes */
#define RT_SYM_MAX_MAPS_LINES (1 << 20) /* lines read from one /proc/PID/maps */
#define RT_SYM_MAX_SECTIONS (1 << 16)
#define RT_SYM_MAX_PHDRS 4096
#define RT_SYM_MAX_SYMS (1 << 23)
#define RT_SYM_MAX_CUS (1 << 20)
#define RT_SYM_MAX_DIE_DEPTH 256	/* scopes descended to find a pc's inline chain */
#define RT_SYM_MAX_DIES (1L << 22)	/* DIEs visited for one pc */
#define RT_SYM_CACHE_MAX 4096	  /* cached frames; the cache is emptied when full */
#define RT_SYM_NESTED_SCAN 8	  /* symbols looked back at for a function that contains pc */
#define RT_SYM_NOSIZE_MAX 0x10000 /* reach of a function symbol without st_size */
#define RT_BUILD_ID_MAX 64
/*
 * Compressed debug sections: deflate cannot do better than about 1032:1, and real DWARF is far
 * from it; a header claiming more is garbage that would make libdw allocate gigabytes.
 */
#define RT_SYM_Z_RATIO 1100
#define RT_SYM_Z_MAX (1ULL << 30)

struct load {
	__u64 off;
	__u64 filesz;
	__u64 vaddr;
};

struct sym {
	__u64 start;
	__u64 size;
	__u32 name; /* offset in module names */
	__u32 rank; /* among aliases at one address, lower wins */
};

/* One opened ELF file: a module's own file or its separate debug file. */
struct elf_file {
	int fd;
	Elf *elf;
	bool has_symtab;
	bool has_dwarf;	    /* .debug_info and .debug_line with data, sanely compressed */
	bool has_gopclntab; /* a Go binary's function table */
};

struct module {
	char *path; /* as the process sees it, without " (deleted)" */
	__u64 dev;  /* from maps; 0 with ino for hand-added mappings */
	__u64 ino;
	bool from_proc; /* from /proc/PID/maps: may be opened through /proc/PID/ */
	bool deleted;	/* "(deleted)" in maps, or no file at hand had the mapped inode */
	bool loaded;	/* opening was tried, whatever came of it */
	/* the latest mapping seen, for /proc/PID/map_files/ and /proc/PID/root/ */
	pid_t pid;
	__u64 map_start;
	__u64 map_end;
	char root[32]; /* "/proc/PID/root" when opened through it, else "" */
	struct elf_file main;
	struct elf_file dbg;
	Dwarf *dw; /* lines, from main or dbg; may be NULL */
	/* a Go binary without DWARF: names, lines and inline chains from .gopclntab; NULL else */
	struct rt_goelf *go;
	bool go_tried; /* opening go was tried */
	struct load *loads;
	size_t nloads, loads_cap;
	struct sym *syms;
	size_t nsyms, syms_cap;
	char *names;
	size_t names_len, names_cap;
	bool unsymbolized; /* a frame rt_sym__frame() returned had no function name */
};

struct mapping {
	pid_t pid;
	__u64 start;
	__u64 end;
	__u64 off;
	__u64 seq; /* snapshot that last saw it; the newest mapping of an address wins */
	struct module *mod;
};

struct cache_ent {
	pid_t pid;
	int rc;
	struct module *mod; /* NULL when the address is in no mapping */
	struct rt_frame f;
};

/* libdebuginfod's client, loaded on first use (see the top of this file). */
struct debuginfod {
	bool tried; /* dlopen() and debuginfod_begin() were tried, whatever came of it */
	void *lib;
	debuginfod_client *client;
	__typeof__(debuginfod_begin) *begin;
	__typeof__(debuginfod_end) *end;
	__typeof__(debuginfod_find_debuginfo) *find_debuginfo;
};

struct rt_symbolizer {
	struct mapping *maps;
	size_t nmaps, maps_cap;
	struct rt_map maps_idx; /* identity hash -> index in maps */
	struct module **mods;
	size_t nmods, mods_cap;
	struct rt_map mods_idx; /* identity hash -> index in mods */
	struct cache_ent *cache;
	size_t ncache, cache_cap;
	struct rt_map cache_idx; /* (pid, addr) hash -> index in cache */
	__u64 seq;
	struct debuginfod dfd;
};

/* rt_map keys must be neither 0 nor ~0. */
static __u64 map_key(__u64 h)
{
	return h == 0 || h == ~0ULL ? 1 : h;
}

static void copy_basename(char *dst, size_t n, const char *path)
{
	const char *b = strrchr(path, '/');

	snprintf(dst, n, "%s", b ? b + 1 : path);
}

/*
 * Open path read-only when it is a regular file: a FIFO or a device planted by the target must
 * not block or disturb us. Returns the fd and fills st, or -errno.
 */
static int open_regular(const char *path, struct stat *st)
{
	int fd;

	if (stat(path, st))
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* ---- ELF files ---------------------------------------------------------------------------- */

static void elf_file__scan(struct elf_file *ef)
{
	bool info = false, line = false, sane = true;
	Elf_Scn *scn = NULL;
	size_t shstrndx, n = 0;

	if (elf_getshdrstrndx(ef->elf, &shstrndx))
		shstrndx = SHN_UNDEF;
	while (n++ < RT_SYM_MAX_SECTIONS && (scn = elf_nextscn(ef->elf, scn))) {
		const char *name, *dn;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || !sh.sh_size)
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			ef->has_symtab = true;
		name = shstrndx != SHN_UNDEF ? elf_strptr(ef->elf, shstrndx, sh.sh_name) : NULL;
		if (!name)
			continue;
		if (!strcmp(name, ".gopclntab") || !strcmp(name, ".data.rel.ro.gopclntab"))
			ef->has_gopclntab = true;
		if (!strncmp(name, ".debug_", 7))
			dn = name + 7;
		else if (!strncmp(name, ".zdebug_", 8))
			dn = name + 8;
		else
			continue;
		if (!rt_elf_section_sane(scn, &sh, name, RT_SYM_Z_MAX, RT_SYM_Z_RATIO))
			sane = false;
		if (!strcmp(dn, "info"))
			info = true;
		else if (!strcmp(dn, "line"))
			line = true;
	}
	ef->has_dwarf = info && line && sane;
}

/* Takes fd (closed on failure). 0, or -EINVAL when fd holds no usable ELF file. */
static int elf_file__open(struct elf_file *ef, int fd)
{
	ef->fd = fd;
	ef->elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF || gelf_getclass(ef->elf) == ELFCLASSNONE)
		goto cleanup;
	elf_file__scan(ef);
	return 0;

cleanup:
	if (ef->elf)
		elf_end(ef->elf);
	close(fd);
	ef->elf = NULL;
	ef->fd = -1;
	return -EINVAL;
}

static void elf_file__close(struct elf_file *ef)
{
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	ef->elf = NULL;
	ef->fd = -1;
	ef->has_symtab = false;
	ef->has_dwarf = false;
}

/* ---- segments and symbols ----------------------------------------------------------------- */

static int module__load_phdrs(struct module *m)
{
	size_t n, i;

	if (elf_getphdrnum(m->main.elf, &n))
		return -EINVAL;
	n = RT_MIN(n, (size_t)RT_SYM_MAX_PHDRS);
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(m->main.elf, i, &ph) || ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		if (rt_grow((void **)&m->loads, &m->loads_cap, m->nloads + 1, sizeof(*m->loads)))
			return -ENOMEM;
		m->loads[m->nloads++] = (struct load){
			.off = ph.p_offset,
			.filesz = ph.p_filesz,
			.vaddr = ph.p_vaddr,
		};
	}
	return 0;
}

/* File offset -> ELF virtual address through the PT_LOAD segment holding it. */
static bool module__vaddr(const struct module *m, __u64 off, __u64 *vaddr)
{
	size_t i;

	for (i = 0; i < m->nloads; i++) {
		const struct load *l = &m->loads[i];

		if (off >= l->off && off - l->off < l->filesz) {
			*vaddr = off - l->off + l->vaddr;
			return true;
		}
	}
	return false;
}

/*
 * Preference among aliases at one address (glibc has malloc, __libc_malloc, __malloc and
 * __GI___libc_malloc): global before weak before local, then fewer leading underscores, then
 * the shorter name.
 */
static __u32 sym_rank(unsigned char bind, const char *name, size_t len)
{
	__u32 us = 0, b = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;

	while (us < 255 && name[us] == '_')
		us++;
	return b << 24 | us << 16 | (__u32)RT_MIN(len, (size_t)0xffff);
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

static int module__add_sym(struct module *m, __u64 start, __u64 size, unsigned char bind,
			   const char *name)
{
	size_t len = strnlen(name, RT_SYM_NAME_LEN - 1), vlen;

	/* "pthread_mutex_lock@@GLIBC_2.2.5" in glibc's .symtab: drop the version */
	vlen = strcspn(name, "@");
	if (vlen && vlen < len)
		len = vlen;
	if (m->names_len + len + 1 > UINT32_MAX)
		return -E2BIG;
	if (rt_grow((void **)&m->syms, &m->syms_cap, m->nsyms + 1, sizeof(*m->syms)) ||
	    rt_grow((void **)&m->names, &m->names_cap, m->names_len + len + 1, 1))
		return -ENOMEM;
	m->syms[m->nsyms++] = (struct sym){
		.start = start,
		.size = size,
		.name = (__u32)m->names_len,
		.rank = sym_rank(bind, name, len),
	};
	memcpy(m->names + m->names_len, name, len);
	m->names[m->names_len + len] = '\0';
	m->names_len += len + 1;
	return 0;
}

/* Sort, keep the preferred alias per address, and give sizeless symbols a bounded reach. */
static void module__sort_syms(struct module *m)
{
	size_t i, j;

	if (!m->nsyms)
		return;
	qsort(m->syms, m->nsyms, sizeof(*m->syms), sym_cmp);
	for (i = 1, j = 0; i < m->nsyms; i++) {
		if (m->syms[i].start == m->syms[j].start) {
			m->syms[j].size = RT_MAX(m->syms[j].size, m->syms[i].size);
			continue;
		}
		m->syms[++j] = m->syms[i];
	}
	m->nsyms = j + 1;
	for (i = 0; i < m->nsyms; i++) {
		__u64 reach = RT_SYM_NOSIZE_MAX;

		if (m->syms[i].size)
			continue;
		if (i + 1 < m->nsyms)
			reach = RT_MIN(reach, m->syms[i + 1].start - m->syms[i].start);
		m->syms[i].size = reach;
	}
}

/* Function symbols of the first section of type (SHT_SYMTAB or SHT_DYNSYM) of elf. */
static int module__load_syms(struct module *m, Elf *elf, Elf64_Word type)
{
	Elf_Scn *scn = NULL;
	size_t n = 0, i, nsyms, esz;
	Elf_Data *data;
	GElf_Shdr sh;
	int err;

	while (n++ < RT_SYM_MAX_SECTIONS && (scn = elf_nextscn(elf, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == type)
			break;
	}
	if (!scn || sh.sh_type != type || (sh.sh_flags & SHF_COMPRESSED))
		return -ENOENT;
	data = elf_getdata(scn, NULL);
	esz = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	if (!data || !esz)
		return -EINVAL;
	nsyms = RT_MIN(data->d_size / esz, (size_t)RT_SYM_MAX_SYMS);
	for (i = 1; i < nsyms; i++) {
		const char *name;
		GElf_Sym sym;
		int t;

		if (!gelf_getsym(data, (int)i, &sym))
			break;
		t = GELF_ST_TYPE(sym.st_info);
		if ((t != STT_FUNC && t != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
		    !sym.st_value)
			continue;
		name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (!name || !name[0])
			continue;
		err = module__add_sym(m, sym.st_value, sym.st_size, GELF_ST_BIND(sym.st_info),
				      name);
		if (err)
			return err;
	}
	module__sort_syms(m);
	return 0;
}

static int add_go_func(void *ctx, __u64 addr, __u64 size, const char *name)
{
	return module__add_sym(ctx, addr, size, STB_GLOBAL, name);
}

/*
 * m's .gopclntab reader, opened on first use (NULL when it cannot be: logged at debug level).
 * It maps the file; a running executable cannot be written (ETXTBSY), and a replaced one keeps
 * its old inode under the mapping.
 */
static struct rt_goelf *module__go(struct module *m)
{
	char path[64], err[256];

	if (m->go_tried || !m->main.has_gopclntab)
		return m->go;
	m->go_tried = true;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m->main.fd);
	m->go = rt_goelf__open(path, err, sizeof(err));
	if (!m->go)
		rt_debug("symbolize: %s: .gopclntab unusable: %s", m->path, err);
	return m->go;
}

/* A Go binary without .symtab (built with -s, or Debian's etcd): names from .gopclntab. */
static void module__load_go_syms(struct module *m)
{
	struct rt_goelf *g = module__go(m);

	if (!g)
		return;
	if (rt_goelf__foreach_func(g, add_go_func, m))
		m->nsyms = 0; /* partial tables mislead: none rather than some */
	module__sort_syms(m);
}

/* The function containing pc, or NULL. */
static const struct sym *module__find_sym(const struct module *m, __u64 pc)
{
	size_t lo = 0, hi = m->nsyms, k;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->syms[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* lo: first symbol after pc; look back a little for one that contains pc */
	for (k = 0; k < RT_SYM_NESTED_SCAN && lo > 0; k++, lo--) {
		const struct sym *s = &m->syms[lo - 1];

		if (pc - s->start < s->size)
			return s;
	}
	return NULL;
}

/* ---- separate debug files ----------------------------------------------------------------- */

static bool file_crc_is(int fd, GElf_Word want)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, NULL, 0);
	struct stat st;
	off_t off = 0;
	ssize_t n;

	if (fstat(fd, &st))
		return false;
	while (off < st.st_size) {
		n = pread(fd, buf, sizeof(buf), off);
		if (n <= 0)
			return false;
		crc = crc32(crc, buf, (uInt)n);
		off += n;
	}
	return (GElf_Word)crc == want;
}

/*
 * Use path as m's debug file if it is an ELF file with symbols or lines that belongs to m: same
 * build-id when m has one, else the .gnu_debuglink CRC. Returns true when taken.
 */
static bool module__try_debug(struct module *m, const char *path, const void *id, ssize_t idlen,
			      GElf_Word crc)
{
	struct stat st, mst;
	const void *did;
	int fd;

	fd = open_regular(path, &st);
	if (fd < 0)
		return false;
	if ((!fstat(m->main.fd, &mst) && mst.st_dev == st.st_dev && mst.st_ino == st.st_ino) ||
	    (idlen <= 0 && !file_crc_is(fd, crc))) {
		close(fd);
		return false;
	}
	if (elf_file__open(&m->dbg, fd))
		return false;
	if (idlen > 0 && (dwelf_elf_gnu_build_id(m->dbg.elf, &did) != idlen ||
			  memcmp(did, id, idlen)))
		goto cleanup;
	if (!m->dbg.has_symtab && !m->dbg.has_dwarf)
		goto cleanup;
	rt_debug("symbolize: %s: debug file %s", m->path, path);
	return true;

cleanup:
	elf_file__close(&m->dbg);
	return false;
}

/*
 * The debuginfod client when DEBUGINFOD_URLS names a server, else NULL. The first call loads
 * libdebuginfod; a failure is logged once and not tried again.
 */
static debuginfod_client *debuginfod_get(struct debuginfod *d)
{
	const char *urls = getenv("DEBUGINFOD_URLS");

	if (d->tried || !urls || !urls[strspn(urls, " \t")])
		return d->client;
	d->tried = true;
	d->lib = dlopen(RT_DEBUGINFOD_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!d->lib) {
		rt_warn("DEBUGINFOD_URLS is set, but %s cannot be loaded (Debian: install "
			"libdebuginfod1): %s", RT_DEBUGINFOD_LIB, dlerror());
		return NULL;
	}
	d->begin = (__typeof__(d->begin))dlsym(d->lib, "debuginfod_begin");
	d->end = (__typeof__(d->end))dlsym(d->lib, "debuginfod_end");
	d->find_debuginfo = (__typeof__(d->find_debuginfo))dlsym(d->lib,
								  "debuginfod_find_debuginfo");
	if (d->begin && d->end && d->find_debuginfo)
		d->client = d->begin();
	if (!d->client)
		rt_warn("DEBUGINFOD_URLS is set, but %s gives no client", RT_DEBUGINFOD_LIB);
	return d->client;
}

static void debuginfod_free(struct debuginfod *d)
{
	if (d->client)
		d->end(d->client);
	if (d->lib)
		dlclose(d->lib);
	memset(d, 0, sizeof(*d));
}

/* Ask debuginfod for m's debug file by its build-id; sets m->dbg when one is fetched. */
static void module__fetch_debug(struct module *m, struct debuginfod *d, const void *id,
				ssize_t idlen)
{
	debuginfod_client *c = debuginfod_get(d);
	char *path = NULL;
	int fd;

	if (!c)
		return;
	fd = d->find_debuginfo(c, id, (int)idlen, &path);
	if (fd < 0) {
		rt_debug("symbolize: %s: debuginfod: %s", m->path, strerror(-fd));
		return;
	}
	close(fd);
	if (!module__try_debug(m, path, id, idlen, 0))
		rt_debug("symbolize: %s: debuginfod gave %s, which is not its debug file", m->path,
			 path);
	free(path);
}

/*
 * Look for m's separate debug file by build-id, then by .gnu_debuglink, then (with a build-id)
 * on the debuginfod servers; sets m->dbg.
 */
static void module__find_debug(struct module *m, struct debuginfod *d)
{
	const char *roots[2] = { m->root, "" };
	char path[PATH_MAX * 2], hex[2 * RT_BUILD_ID_MAX + 1], dir[PATH_MAX];
	const char *link, *slash;
	const void *id = NULL;
	const unsigned char *b;
	size_t nroots = m->root[0] ? 2 : 1, r, i;
	ssize_t idlen;
	GElf_Word crc = 0;

	idlen = dwelf_elf_gnu_build_id(m->main.elf, &id);
	if (idlen >= 2 && idlen <= RT_BUILD_ID_MAX) {
		b = id;
		for (i = 0; i < (size_t)idlen; i++)
			snprintf(hex + 2 * i, 3, "%02x", b[i]);
		for (r = 0; r < nroots; r++) {
			snprintf(path, sizeof(path), "%s" RT_DEBUG_DIR "/.build-id/%.2s/%s.debug",
				 roots[r], hex, hex + 2);
			if (module__try_debug(m, path, id, idlen, 0))
				return;
		}
	} else {
		idlen = 0;
	}

	link = dwelf_elf_gnu_debuglink(m->main.elf, &crc);
	if (!link || !link[0] || strchr(link, '/') || strlen(link) > NAME_MAX ||
	    !strcmp(link, ".") || !strcmp(link, "..")) {
		if (idlen)
			module__fetch_debug(m, d, id, idlen);
		return;
	}
	slash = strrchr(m->path, '/');
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - m->path), m->path);
	else
		snprintf(dir, sizeof(dir), ".");
	for (r = 0; r < nroots; r++) {
		const char *fmts[3] = { "%s%s/%s", "%s%s/.debug/%s", "%s" RT_DEBUG_DIR "%s/%s" };

		for (i = 0; i < RT_ARRAY_SIZE(fmts); i++) {
			if (i == 2 && dir[0] != '/')
				continue;
			snprintf(path, sizeof(path), fmts[i], roots[r], dir, link);
			if (module__try_debug(m, path, id, idlen, crc))
				return;
		}
	}
	if (idlen)
		module__fetch_debug(m, d, id, idlen);
}

/* ---- modules ------------------------------------------------------------------------------ */

/* Is st the file that was mapped? Hand-added mappings and inode 0 cannot tell: yes. */
static bool module__inode_ok(const struct module *m, const struct stat *st)
{
	return !m->from_proc || !m->ino || st->st_ino == m->ino;
}

/*
 * Open m's file: the mapped file itself through /proc/PID/map_files/ (root only, but right
 * even when deleted or in another mount namespace), then /proc/PID/root/PATH, then PATH. A file
 * whose inode differs from the mapped one is used only when nothing better opens, and marks m
 * deleted. Returns an fd or -errno.
 */
static int module__open(struct module *m)
{
	char path[PATH_MAX + 64], root[32] = "";
	int fd, fallback = -1;
	struct stat st;

	if (m->from_proc && m->pid > 0) {
		snprintf(root, sizeof(root), "/proc/%d/root", m->pid);
		snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", m->pid,
			 (unsigned long long)m->map_start, (unsigned long long)m->map_end);
		fd = open_regular(path, &st);
		if (fd >= 0 && module__inode_ok(m, &st)) {
			snprintf(m->root, sizeof(m->root), "%s", root);
			return fd;
		}
		if (fd >= 0)
			close(fd);
		snprintf(path, sizeof(path), "%s%s", root, m->path);
		fd = open_regular(path, &st);
		if (fd >= 0 && module__inode_ok(m, &st)) {
			snprintf(m->root, sizeof(m->root), "%s", root);
			return fd;
		}
		fallback = fd;
	}
	fd = open_regular(m->path, &st);
	if (fd >= 0 && module__inode_ok(m, &st)) {
		if (fallback >= 0)
			close(fallback);
		return fd;
	}
	if (fallback < 0) {
		fallback = fd;
	} else {
		snprintf(m->root, sizeof(m->root), "%s", root);
		if (fd >= 0)
			close(fd);
	}
	if (fallback >= 0) {
		rt_debug("symbolize: %s: inode changed since it was mapped", m->path);
		m->deleted = true;
	}
	return fallback;
}

/*
 * Open m and read what symbolizing needs (d: debuginfod, for a missing debug file). Failures
 * leave m partly usable, never unsafe.
 */
static void module__load(struct module *m, struct debuginfod *d)
{
	Elf *sym_elf = NULL, *dw_elf = NULL;
	int fd;

	m->loaded = true;
	fd = module__open(m);
	if (fd < 0) {
		rt_debug("symbolize: cannot open %s: %s", m->path, strerror(-fd));
		return;
	}
	if (elf_file__open(&m->main, fd)) {
		rt_debug("symbolize: %s: not an ELF file", m->path);
		return;
	}
	if (module__load_phdrs(m))
		return;
	if (!m->main.has_symtab || !m->main.has_dwarf)
		module__find_debug(m, d);

	if (m->main.has_symtab)
		sym_elf = m->main.elf;
	else if (m->dbg.has_symtab)
		sym_elf = m->dbg.elf;
	if (!sym_elf || module__load_syms(m, sym_elf, SHT_SYMTAB)) {
		m->nsyms = 0;
		if (m->main.has_gopclntab)
			module__load_go_syms(m);
		if (!m->nsyms)
			module__load_syms(m, m->main.elf, SHT_DYNSYM);
	}

	if (m->main.has_dwarf)
		dw_elf = m->main.elf;
	else if (m->dbg.has_dwarf)
		dw_elf = m->dbg.elf;
	if (dw_elf)
		m->dw = dwarf_begin_elf(dw_elf, DWARF_C_READ, NULL);
	if (m->dw) {
		/* DWARF answers lines and inline chains: the function table is not needed */
		rt_goelf__free(m->go);
		m->go = NULL;
	} else {
		module__go(m);
	}
	rt_debug("symbolize: %s: %zu functions, %s", m->path, m->nsyms,
		 m->dw ? "lines from DWARF" : m->go ? "lines from .gopclntab" : "no lines");
}

static void module__free(struct module *m)
{
	if (!m)
		return;
	if (m->dw)
		dwarf_end(m->dw);
	rt_goelf__free(m->go);
	elf_file__close(&m->dbg);
	elf_file__close(&m->main);
	free(m->names);
	free(m->syms);
	free(m->loads);
	free(m->path);
	free(m);
}

/* One level of an inline chain, before it becomes a frame. */
struct inl_level {
	const char *function; /* NULL: the out-of-line function's symbol names it */
	const char *file;     /* a path, or NULL */
	int line;
	bool inlined;
};

/* The compilation unit holding pc, into *die; NULL when none does. */
static Dwarf_Die *module__cu(struct module *m, __u64 pc, Dwarf_Die *die)
{
	Dwarf_Die *cu = dwarf_addrdie(m->dw, pc, die);
	Dwarf_CU *unit = NULL;
	size_t n;

	/* no .debug_aranges (clang does not emit them by default): ask each CU */
	for (n = 0; !cu && n < RT_SYM_MAX_CUS; n++) {
		if (dwarf_get_units(m->dw, unit, &unit, NULL, NULL, die, NULL))
			break;
		if (dwarf_haspc(die, pc) > 0)
			cu = die;
	}
	return cu;
}

/*
 * The DW_TAG_inlined_subroutine DIEs whose code holds pc, outermost first, into path: a walk
 * down from the CU through the scopes that hold pc (functions, inlined bodies, lexical blocks;
 * namespaces and classes, which have no code of their own, are looked into). Our own walk, not
 * dwarf_getscopes(), which leaks its array on some corrupt input. Returns how many (at most
 * max); *budget bounds the DIEs visited.
 */
static int dwarf_inline_path(Dwarf_Die *cu, __u64 pc, Dwarf_Die *path, int max, long *budget)
{
	Dwarf_Die cur = *cu, child;
	int n = 0, depth;

	for (depth = 0; depth < RT_SYM_MAX_DIE_DEPTH; depth++) {
		bool found = false;

		if (dwarf_child(&cur, &child))
			break;
		do {
			int tag = dwarf_tag(&child);

			if (--*budget < 0)
				return n;
			if (tag == DW_TAG_namespace || tag == DW_TAG_class_type ||
			    tag == DW_TAG_structure_type || tag == DW_TAG_module) {
				Dwarf_Die inner;

				/* code is in a function below: look one level into it */
				if (dwarf_child(&child, &inner))
					continue;
				do {
					if (--*budget < 0)
						return n;
					if (dwarf_tag(&inner) == DW_TAG_subprogram &&
					    dwarf_haspc(&inner, pc) > 0) {
						child = inner;
						found = true;
						break;
					}
				} while (!dwarf_siblingof(&inner, &inner));
				if (found)
					break;
				continue;
			}
			if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine &&
			    tag != DW_TAG_lexical_block)
				continue;
			if (dwarf_haspc(&child, pc) > 0) {
				found = true;
				break;
			}
		} while (!dwarf_siblingof(&child, &child));
		if (!found)
			break;
		if (dwarf_tag(&child) == DW_TAG_inlined_subroutine && n < max)
			path[n++] = child;
		cur = child;
	}
	return n;
}

/*
 * The inline chain at pc from DWARF, as `addr2line -i` gives it: the line table's position of
 * pc for the innermost inlined function, then, from the innermost DW_TAG_inlined_subroutine
 * out, its DW_AT_call_file and DW_AT_call_line as the position in the function it was inlined
 * into, up to the out-of-line function. Strings point into libdw's data, valid while m->dw is.
 * Returns the number of levels (>= 1), or 0 when DWARF does not cover pc.
 */
static int module__dwarf_chain(struct module *m, __u64 pc, struct inl_level *lv, int max)
{
	Dwarf_Die cudie, *cu, path[RT_SYM_MAX_INLINE];
	Dwarf_Files *files = NULL;
	const char *file = NULL;
	long budget = RT_SYM_MAX_DIES;
	size_t nfiles = 0;
	Dwarf_Line *dl;
	int line = 0, np, i, n = 0;

	if (!m->dw || max < 1 || !(cu = module__cu(m, pc, &cudie)))
		return 0;
	dl = dwarf_getsrc_die(cu, pc);
	if (dl) {
		file = dwarf_linesrc(dl, NULL, NULL);
		if (dwarf_lineno(dl, &line) || line < 0)
			line = 0;
	}
	if (dwarf_getsrcfiles(cu, &files, &nfiles))
		files = NULL;
	np = dwarf_inline_path(cu, pc, path, RT_MIN(max - 1, RT_SYM_MAX_INLINE), &budget);
	for (i = np - 1; i >= 0; i--) {
		Dwarf_Attribute a;
		Dwarf_Word v;

		lv[n].function = dwarf_diename(&path[i]);
		lv[n].file = file;
		lv[n].line = line;
		lv[n].inlined = true;
		n++;
		/* where this body was called, in the next-outer function */
		file = NULL;
		line = 0;
		if (files && !dwarf_formudata(dwarf_attr(&path[i], DW_AT_call_file, &a), &v) &&
		    v < nfiles)
			file = dwarf_filesrc(files, v, NULL, NULL);
		if (!dwarf_formudata(dwarf_attr(&path[i], DW_AT_call_line, &a), &v) &&
		    v <= 0x7fffffff)
			line = (int)v;
	}
	/* the out-of-line function: named by its symbol */
	lv[n].function = NULL;
	lv[n].file = file;
	lv[n].line = line;
	lv[n].inlined = false;
	return n + 1;
}

/* The inline chain at pc from .gopclntab (a Go binary without DWARF); 0 when unknown. */
static int module__go_chain(struct module *m, __u64 pc, struct inl_level *lv, int max)
{
	struct rt_go_frame gf[RT_SYM_MAX_INLINE];
	int n, i;

	if (!m->go || max <= 0)
		return 0;
	n = rt_goelf__frames(m->go, pc, gf, RT_MIN(max, RT_SYM_MAX_INLINE));
	for (i = 0; i < n; i++) {
		lv[i].function = gf[i].inlined ? gf[i].function : NULL;
		lv[i].file = gf[i].file;
		lv[i].line = gf[i].line;
		lv[i].inlined = gf[i].inlined;
	}
	return n > 0 ? n : 0;
}

/* ---- the symbolizer ----------------------------------------------------------------------- */

struct rt_symbolizer *rt_sym__new(void)
{
	struct rt_symbolizer *s;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	rt_map_init(&s->maps_idx);
	rt_map_init(&s->mods_idx);
	rt_map_init(&s->cache_idx);
	return s;
}

void rt_sym__free(struct rt_symbolizer *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nmods; i++)
		module__free(s->mods[i]);
	free(s->mods);
	free(s->maps);
	free(s->cache);
	rt_map_free(&s->maps_idx);
	rt_map_free(&s->mods_idx);
	rt_map_free(&s->cache_idx);
	debuginfod_free(&s->dfd);
	free(s);
}

static void cache_clear(struct rt_symbolizer *s)
{
	rt_map_free(&s->cache_idx);
	s->ncache = 0;
}

static __u64 cache_key(pid_t pid, __u64 addr)
{
	return map_key(rt_hash64(addr ^ rt_hash64((__u32)pid)));
}

static const struct cache_ent *cache_get(const struct rt_symbolizer *s, pid_t pid, __u64 addr)
{
	const __u64 *i = rt_map_get(&s->cache_idx, cache_key(pid, addr));
	const struct cache_ent *e;

	if (!i || *i >= s->ncache)
		return NULL;
	e = &s->cache[*i];
	return e->pid == pid && e->f.addr == addr ? e : NULL;
}

/* Best effort: a frame that cannot be cached is simply computed again. */
static void cache_put(struct rt_symbolizer *s, pid_t pid, int rc, struct module *mod,
		      const struct rt_frame *f)
{
	if (s->ncache >= RT_SYM_CACHE_MAX)
		cache_clear(s);
	if (rt_grow((void **)&s->cache, &s->cache_cap, s->ncache + 1, sizeof(*s->cache)))
		return;
	if (rt_map_put(&s->cache_idx, cache_key(pid, f->addr), s->ncache))
		return;
	s->cache[s->ncache].pid = pid;
	s->cache[s->ncache].rc = rc;
	s->cache[s->ncache].mod = mod;
	s->cache[s->ncache].f = *f;
	s->ncache++;
}

static __u64 module_hash(__u64 dev, __u64 ino, bool from_proc, const char *path)
{
	__u64 h = RT_FNV_INIT;

	h = rt_fnv1a(h, &dev, sizeof(dev));
	h = rt_fnv1a(h, &ino, sizeof(ino));
	h = rt_fnv1a(h, &from_proc, sizeof(from_proc));
	return map_key(rt_fnv1a(h, path, strlen(path)));
}

static bool module_is(const struct module *m, __u64 dev, __u64 ino, bool from_proc,
		      const char *path)
{
	return m->dev == dev && m->ino == ino && m->from_proc == from_proc &&
	       !strcmp(m->path, path);
}

/* The module of (dev, ino, path), created when new; NULL on -ENOMEM. */
static struct module *get_module(struct rt_symbolizer *s, __u64 dev, __u64 ino, bool from_proc,
				 const char *path)
{
	__u64 key = module_hash(dev, ino, from_proc, path), *idx;
	struct module *m = NULL;
	size_t i;

	idx = rt_map_get(&s->mods_idx, key);
	if (idx && module_is(s->mods[*idx], dev, ino, from_proc, path))
		return s->mods[*idx];
	if (idx) { /* hash collision: look everywhere */
		for (i = 0; i < s->nmods; i++) {
			if (module_is(s->mods[i], dev, ino, from_proc, path))
				return s->mods[i];
		}
	}
	if (rt_grow((void **)&s->mods, &s->mods_cap, s->nmods + 1, sizeof(*s->mods)))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->path = strdup(path);
	if (!m->path)
		goto cleanup;
	if (!idx && rt_map_put(&s->mods_idx, key, s->nmods))
		goto cleanup;
	m->dev = dev;
	m->ino = ino;
	m->from_proc = from_proc;
	m->main.fd = -1;
	m->dbg.fd = -1;
	s->mods[s->nmods++] = m;
	return m;

cleanup:
	free(m->path);
	free(m);
	return NULL;
}

static __u64 mapping_hash(pid_t pid, __u64 start, __u64 end, __u64 off, const struct module *m)
{
	__u64 h = RT_FNV_INIT, mp = (__u64)(uintptr_t)m;

	h = rt_fnv1a(h, &pid, sizeof(pid));
	h = rt_fnv1a(h, &start, sizeof(start));
	h = rt_fnv1a(h, &end, sizeof(end));
	h = rt_fnv1a(h, &off, sizeof(off));
	return map_key(rt_fnv1a(h, &mp, sizeof(mp)));
}

static bool mapping_is(const struct mapping *mp, pid_t pid, __u64 start, __u64 end, __u64 off,
		       const struct module *m)
{
	return mp->pid == pid && mp->start == start && mp->end == end && mp->off == off &&
	       mp->mod == m;
}

/* Remember a mapping, or mark a known one as seen in snapshot s->seq. 0 or -errno. */
static int add_mapping(struct rt_symbolizer *s, pid_t pid, __u64 start, __u64 end, __u64 off,
		       __u64 dev, __u64 ino, const char *path, bool from_proc, bool deleted)
{
	struct mapping *mp = NULL;
	struct module *m;
	__u64 key, *idx;
	size_t i;

	m = get_module(s, dev, ino, from_proc, path);
	if (!m)
		return -ENOMEM;
	key = mapping_hash(pid, start, end, off, m);
	idx = rt_map_get(&s->maps_idx, key);
	if (idx && mapping_is(&s->maps[*idx], pid, start, end, off, m)) {
		mp = &s->maps[*idx];
	} else if (idx) { /* hash collision */
		for (i = 0; i < s->nmaps && !mp; i++) {
			if (mapping_is(&s->maps[i], pid, start, end, off, m))
				mp = &s->maps[i];
		}
	}
	if (!mp) {
		if (s->nmaps >= RT_SYM_MAX_MAPS)
			return -ENOSPC;
		if (rt_grow((void **)&s->maps, &s->maps_cap, s->nmaps + 1, sizeof(*s->maps)))
			return -ENOMEM;
		if (!idx && rt_map_put(&s->maps_idx, key, s->nmaps))
			return -ENOMEM;
		mp = &s->maps[s->nmaps++];
		*mp = (struct mapping){
			.pid = pid,
			.start = start,
			.end = end,
			.off = off,
			.mod = m,
		};
	}
	mp->seq = s->seq;
	if (deleted)
		m->deleted = true;
	if (from_proc) {
		m->pid = pid;
		m->map_start = start;
		m->map_end = end;
	}
	return 0;
}

int rt_sym__add_mapping(struct rt_symbolizer *s, pid_t pid, __u64 start, __u64 end,
			__u64 file_off, const char *path)
{
	if (!s || !path || !path[0] || end <= start)
		return -EINVAL;
	s->seq++;
	cache_clear(s);
	return add_mapping(s, pid, start, end, file_off, 0, 0, path, false, false);
}

int rt_sym__load_maps(struct rt_symbolizer *s, pid_t pid)
{
	static const char deleted_sfx[] = " (deleted)";
	const size_t sfx_len = sizeof(deleted_sfx) - 1;
	char mpath[64], *line = NULL;
	size_t cap = 0, nlines = 0;
	int err = 0;
	FILE *fp;

	if (!s || pid <= 0)
		return -EINVAL;
	snprintf(mpath, sizeof(mpath), "/proc/%d/maps", pid);
	fp = fopen(mpath, "re");
	if (!fp)
		return errno == ENOENT ? -ESRCH : -errno;
	s->seq++;
	cache_clear(s);
	while (nlines++ < RT_SYM_MAX_MAPS_LINES) {
		unsigned long long start, end, off, ino;
		unsigned int maj, min;
		bool deleted = false;
		char perms[5], *path;
		int pos = 0;
		ssize_t n;
		size_t len;

		errno = 0;
		n = getline(&line, &cap, fp);
		if (n < 0) {
			if (errno && errno != ESRCH)
				err = -errno;
			break;
		}
		if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms, &off,
			   &maj, &min, &ino, &pos) < 7 || !pos || end <= start)
			continue;
		path = line + pos;
		len = strcspn(path, "\n");
		path[len] = '\0';
		if (path[0] != '/')
			continue; /* anonymous, [heap], [vdso], memfd: ... */
		if (len > sfx_len && !strcmp(path + len - sfx_len, deleted_sfx)) {
			path[len - sfx_len] = '\0';
			deleted = true;
		}
		err = add_mapping(s, pid, start, end, off, makedev(maj, min), ino, path, true,
				  deleted);
		if (err)
			break;
	}
	free(line);
	fclose(fp);
	return err;
}

/* The newest mapping of pid that contains addr, or NULL. */
static const struct mapping *find_mapping(const struct rt_symbolizer *s, pid_t pid, __u64 addr)
{
	const struct mapping *best = NULL;
	size_t i;

	for (i = 0; i < s->nmaps; i++) {
		const struct mapping *mp = &s->maps[i];

		if (mp->pid == pid && addr >= mp->start && addr < mp->end &&
		    (!best || mp->seq > best->seq))
			best = mp;
	}
	return best;
}

/*
 * The frames of addr, uncached: see rt_sym__frames(). Returns the number stored in out (>= 1,
 * at most max, which must be >= 1) and sets *rc to 0 or -ENOENT (no mapping: one bare frame);
 * *modp: the module, or NULL.
 */
static int frames_resolve(struct rt_symbolizer *s, pid_t pid, __u64 addr, struct rt_frame *out,
			  int max, int *rc, struct module **modp)
{
	struct inl_level lv[RT_SYM_MAX_INLINE];
	struct rt_frame phys;
	const struct mapping *mp;
	const struct sym *sym = NULL;
	struct rt_frame *f = &out[0];
	struct module *m = NULL;
	__u64 off, vaddr, pc;
	int n = 0, i, k;

	memset(f, 0, sizeof(*f));
	f->addr = addr;
	*modp = NULL;
	*rc = 0;
	mp = s ? find_mapping(s, pid, addr) : NULL;
	if (!mp) {
		*rc = -ENOENT;
		return 1;
	}
	m = mp->mod;
	*modp = m;
	if (!m->loaded)
		module__load(m, &s->dfd);
	copy_basename(f->module, sizeof(f->module), m->path);
	f->deleted = m->deleted;
	off = addr - mp->start + mp->off;
	f->offset = off;
	if (!m->main.elf || !module__vaddr(m, off, &vaddr))
		return 1;
	f->offset = vaddr;
	/*
	 * A return address: the call is at vaddr - 1, possibly the last instruction of a caller
	 * that does not return. When vaddr - 1 is in no function (padding before a function
	 * start), the address is taken as it is.
	 */
	pc = vaddr ? vaddr - 1 : vaddr;
	sym = module__find_sym(m, pc);
	if (!sym && pc != vaddr) {
		sym = module__find_sym(m, vaddr);
		if (sym)
			pc = vaddr;
	}
	if (sym) {
		snprintf(f->function, sizeof(f->function), "%s", m->names + sym->name);
		f->offset = vaddr - sym->start;
	}
	n = module__dwarf_chain(m, pc, lv, RT_SYM_MAX_INLINE);
	if (!n)
		n = module__go_chain(m, pc, lv, RT_SYM_MAX_INLINE);
	if (!n)
		return 1;
	phys = *f;
	/* the innermost max - 1 levels, and always the out-of-line one, last */
	for (i = 0, k = 0; i < n && k < max; i++) {
		struct rt_frame *o = &out[k];

		if (k == max - 1 && i < n - 1)
			continue;
		*o = phys;
		o->inlined = lv[i].inlined;
		if (lv[i].inlined)
			snprintf(o->function, sizeof(o->function), "%s",
				 lv[i].function ? lv[i].function : "");
		o->file[0] = '\0';
		o->line = 0;
		if (lv[i].file)
			copy_basename(o->file, sizeof(o->file), lv[i].file);
		if (lv[i].line > 0)
			o->line = lv[i].line;
		k++;
	}
	return k;
}

/*
 * rt_sym__frame() without noting a frame it gives without function: the out-of-line frame of
 * the chain, cached; *modp: its module or NULL.
 */
static int frame_lookup(struct rt_symbolizer *s, pid_t pid, __u64 addr, struct rt_frame *f,
			struct module **modp)
{
	struct rt_frame chain[RT_SYM_MAX_INLINE];
	const struct cache_ent *ce;
	int n, rc;

	*modp = NULL;
	if (!s) {
		memset(f, 0, sizeof(*f));
		f->addr = addr;
		return -ENOENT;
	}
	ce = cache_get(s, pid, addr);
	if (ce) {
		*f = ce->f;
		*modp = ce->mod;
		return ce->rc;
	}
	/* chain[0] is written first: the innermost levels are kept while f is the last */
	n = frames_resolve(s, pid, addr, chain, RT_SYM_MAX_INLINE, &rc, modp);
	*f = chain[n - 1];
	cache_put(s, pid, rc, *modp, f);
	return rc;
}

int rt_sym__frame(struct rt_symbolizer *s, pid_t pid, __u64 addr, struct rt_frame *f)
{
	struct module *m;
	int rc = frame_lookup(s, pid, addr, f, &m);

	/* read as an ELF file, and still no function: symbols and debug info are missing */
	if (!rc && m && m->main.elf && !f->function[0])
		m->unsymbolized = true;
	return rc;
}

int rt_sym__frames(struct rt_symbolizer *s, pid_t pid, __u64 addr, struct rt_frame *out, int max)
{
	struct module *m;
	int n, rc;

	if (max <= 0)
		return -EINVAL;
	n = frames_resolve(s, pid, addr, out, max, &rc, &m);
	if (rc)
		return rc;
	/* read as an ELF file, and still no function: symbols and debug info are missing */
	if (m && m->main.elf && !out[n - 1].function[0])
		m->unsymbolized = true;
	return n;
}

int rt_sym__foreach_unsymbolized(const struct rt_symbolizer *s, rt_sym_name_fn fn, void *ctx)
{
	char name[RT_SYM_NAME_LEN], prev[RT_SYM_NAME_LEN];
	size_t i, j;
	int ret;

	if (!s)
		return 0;
	for (i = 0; i < s->nmods; i++) {
		if (!s->mods[i]->unsymbolized)
			continue;
		copy_basename(name, sizeof(name), s->mods[i]->path);
		for (j = 0; j < i; j++) {
			if (!s->mods[j]->unsymbolized)
				continue;
			copy_basename(prev, sizeof(prev), s->mods[j]->path);
			if (!strcmp(prev, name))
				break;
		}
		if (j < i)
			continue;
		ret = fn(ctx, name);
		if (ret)
			return ret;
	}
	return 0;
}

const char *rt_sym__format_frame(const struct rt_frame *f, char *buf, size_t len)
{
	const char *del = f->deleted ? " (deleted)" : "";

	if (!buf || !len || !f->module[0])
		return NULL;
	if (f->inlined && f->function[0] && f->line > 0)
		snprintf(buf, len, "%s (%s:%d) (inlined)%s", f->function, f->file, f->line, del);
	else if (f->inlined)
		snprintf(buf, len, "%s (%s) (inlined)%s", f->function[0] ? f->function : "??",
			 f->module, del);
	else if (f->function[0] && f->line > 0)
		snprintf(buf, len, "%s+0x%llx (%s:%d)%s", f->function, (unsigned long long)f->offset,
			 f->file, f->line, del);
	else if (f->function[0])
		snprintf(buf, len, "%s+0x%llx (%s)%s", f->function, (unsigned long long)f->offset,
			 f->module, del);
	else if (f->line > 0)
		snprintf(buf, len, "%s+0x%llx (%s:%d)%s", f->module, (unsigned long long)f->offset,
			 f->file, f->line, del);
	else
		snprintf(buf, len, "%s+0x%llx%s", f->module, (unsigned long long)f->offset, del);
	return buf;
}

const char *rt_sym__format(void *ctx, __u32 pid, __u64 addr, char *buf, size_t len)
{
	struct rt_frame f;

	if (!ctx || !buf || !len)
		return NULL;
	if (rt_sym__frame(ctx, (pid_t)pid, addr, &f))
		return NULL;
	return rt_sym__format_frame(&f, buf, len);
}

int rt_sym__go_class(void *ctx, __u32 pid, __u64 addr)
{
	/* packages whose goroutines are the runtime's, not the program's work */
	static const char *const runtime_pkgs[] = { "runtime.", "os/signal.", "unique.",
						    "internal/", "weak." };
	struct module *m;
	struct rt_frame f;
	size_t i;

	/* a lookup for the engine, not a printed frame: frame_lookup() */
	if (!ctx || frame_lookup(ctx, (pid_t)pid, addr, &f, &m) || !f.function[0])
		return -ENOENT;
	if (!strncmp(f.function, "time.", 5))
		return RT_SITE_GO_TIME;
	for (i = 0; i < RT_ARRAY_SIZE(runtime_pkgs); i++)
		if (!strncmp(f.function, runtime_pkgs[i], strlen(runtime_pkgs[i])))
			return RT_SITE_GO_RUNTIME;
	return 0;
}

/* ---- data symbols, for naming locks ------------------------------------------------------- */

/* The OBJECT symbol of elf containing vaddr, formatted into buf; false when there is none. */
static bool elf_find_object(Elf *elf, __u64 vaddr, char *buf, size_t len)
{
	Elf_Scn *scn = NULL;
	size_t n = 0;

	while (elf && n++ < RT_SYM_MAX_SECTIONS && (scn = elf_nextscn(elf, scn))) {
		size_t i, nsyms, esz;
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    (sh.sh_flags & SHF_COMPRESSED))
			continue;
		data = elf_getdata(scn, NULL);
		esz = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
		if (!data || !esz)
			continue;
		nsyms = RT_MIN(data->d_size / esz, (size_t)RT_SYM_MAX_SYMS);
		for (i = 1; i < nsyms; i++) {
			const char *name;
			GElf_Sym sym;

			if (!gelf_getsym(data, (int)i, &sym))
				break;
			if (GELF_ST_TYPE(sym.st_info) != STT_OBJECT || sym.st_shndx == SHN_UNDEF ||
			    vaddr < sym.st_value || vaddr - sym.st_value >= RT_MAX(sym.st_size, 1))
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || !name[0])
				continue;
			if (vaddr == sym.st_value)
				snprintf(buf, len, "%s", name);
			else
				snprintf(buf, len, "%s+%llu", name,
					 (unsigned long long)(vaddr - sym.st_value));
			return true;
		}
	}
	return false;
}

const char *rt_sym__data(struct rt_symbolizer *s, pid_t pid, __u64 addr, char *buf, size_t len)
{
	size_t i;

	if (!s || !buf || !len)
		return NULL;
	/*
	 * Globals may sit in .bss, an anonymous mapping past the file: place addr in each
	 * module of pid through that module's load bias instead of through a mapping.
	 */
	for (i = 0; i < s->nmaps; i++) {
		const struct mapping *mp = &s->maps[i];
		struct module *m = mp->mod;
		__u64 v0, vaddr;
		char name[RT_SYM_NAME_LEN];

		if (mp->pid != pid)
			continue;
		if (!m->loaded)
			module__load(m, &s->dfd);
		if (!m->main.elf || !module__vaddr(m, mp->off, &v0) || addr < mp->start - v0)
			continue;
		vaddr = addr - (mp->start - v0);
		if (!elf_find_object(m->main.elf, vaddr, name, sizeof(name)) &&
		    !elf_find_object(m->dbg.elf, vaddr, name, sizeof(name)))
			continue;
		snprintf(buf, len, "%s (%s)", name, m->path[0] ? strrchr(m->path, '/') ?
				   strrchr(m->path, '/') + 1 : m->path : "?");
		return buf;
	}
	return NULL;
}

int rt_sym__foreach_mapping(const struct rt_symbolizer *s, rt_sym_mapping_fn fn, void *ctx)
{
	size_t i;
	int ret;

	if (!s)
		return 0;
	for (i = 0; i < s->nmaps; i++) {
		const struct mapping *mp = &s->maps[i];

		ret = fn(ctx, mp->pid, mp->start, mp->end, mp->off, mp->seq, mp->mod->path);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- forgetting a process ------------------------------------------------------------------ */

void rt_sym__forget_pid(struct rt_symbolizer *s, pid_t pid)
{
	size_t i, j;

	if (!s)
		return;
	/* modules stay (other processes may map them, and they are cached by file) */
	for (i = 0, j = 0; i < s->nmaps; i++)
		if (s->maps[i].pid != pid)
			s->maps[j++] = s->maps[i];
	s->nmaps = j;
	/* the index holds positions in maps[]: rebuild it */
	rt_map_free(&s->maps_idx);
	for (i = 0; i < s->nmaps; i++) {
		const struct mapping *mp = &s->maps[i];

		rt_map_put(&s->maps_idx,
			   mapping_hash(mp->pid, mp->start, mp->end, mp->off, mp->mod), i);
	}
	cache_clear(s);
}
