// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the Go binary reader (user/elf/goelf.c) on real Go binaries: tests/targets/go's
 * mapmutex, built at test time by every supported Go toolchain, once normally and once with
 * -ldflags='-s -w' (no .symtab, no DWARF, like Debian's etcd). For each: the version is read,
 * runtime.mapassign is found in .symtab and in .gopclntab at the same address (and at the same
 * one in the stripped build), the inlined sync.(*Mutex).Lock sites from DWARF and from the
 * inline trees are the same list (and the stripped build's inline trees give it too), one of
 * them lies in main.writer, runtime.mapassign's return instructions are real `ret`s, and every
 * struct offset of the per-version table equals DWARF's (a field the release does not have is
 * missing from both). A toolchain that is not installed is a failure naming how to install it
 * (a Debian package, or scripts/deps.sh, which fetches go1.24 to go1.27 through the module
 * proxy), never a skip.
 *
 * Builds are cached in .output/go-targets/go1.N/ and redone when a source or the toolchain is
 * newer; GOCACHE lives beside them, so a warm run takes well under a second per version. Then
 * the untrusted side: the version policy on copies whose build info says go1.18 or go1.28
 * (a release racetrace does not know: refused when stripped, else accepted with the line
 * rt_goelf__support() gives), files that are not Go, truncated copies and a few hundred
 * seeded random corruptions of the tables (ASan and UBSan watch; the seed is printed,
 * RT_GOELF_SEED=N reruns one).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "check.h"
#include "elf/goelf.h"
#include "probe/goprobe.h"

#define RT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX_SITES 256
#define MAX_RETS 64
#define CORRUPTIONS 300
#define TARGET "mapmutex"

/*
 * A supported toolchain: where it is installed, and what installs it. Debian packages go1.19
 * to go1.23; scripts/deps.sh fetches the later ones with the go command's own toolchain
 * download (GOTOOLCHAIN=go1.N.P through the module proxy) into this module cache.
 */
#define GO_TOOLCHAINS "/var/cache/racetrace/gomod/golang.org/toolchain@v0.0.1-"
#define GO_FETCH "sudo scripts/deps.sh (it fetches the toolchain through the Go module proxy)"

struct gover {
	int minor;
	const char *go[2];
	const char *install;
};

static const struct gover versions[] = {
	{ 19, { "/usr/lib/go-1.19/bin/go", "/usr/bin/go" }, "apt-get install golang-go" },
	{ 21, { "/usr/lib/go-1.21/bin/go" },
	  "apt-get install -t bookworm-backports golang-1.21-go" },
	{ 22, { "/usr/lib/go-1.22/bin/go" },
	  "apt-get install -t bookworm-backports golang-1.22-go" },
	{ 23, { "/usr/lib/go-1.23/bin/go" },
	  "apt-get install -t bookworm-backports golang-1.23-go" },
	{ 24, { GO_TOOLCHAINS "go1.24.0.linux-amd64/bin/go" }, GO_FETCH },
	{ 25, { GO_TOOLCHAINS "go1.25.0.linux-amd64/bin/go" }, GO_FETCH },
	{ 26, { GO_TOOLCHAINS "go1.26.8.linux-amd64/bin/go", "/usr/local/go/bin/go" }, GO_FETCH },
	{ 27, { GO_TOOLCHAINS "go1.27.3.linux-amd64/bin/go" }, GO_FETCH },
};

#define NVERSIONS (sizeof(versions) / sizeof(versions[0]))

static const struct gover *version_of(int minor)
{
	size_t i;

	for (i = 0; i < NVERSIONS; i++)
		if (versions[i].minor == minor)
			return &versions[i];
	fail_msg("go1.%d is not in the test's list of toolchains", minor);
	return NULL;
}

/* Functions the Go probes will need; each found one must agree between the two sources. */
static const char *const wanted_funcs[] = {
	"runtime.mapassign", "runtime.mapassign_fast32", "runtime.mapassign_fast64",
	"runtime.mapassign_faststr", "runtime.mapassign_fast64ptr", "runtime.mapdelete",
	"runtime.mapdelete_fast32", "runtime.mapdelete_fast64", "runtime.mapdelete_faststr",
	"runtime.mapaccess1", "runtime.mapaccess2", "runtime.mapaccess1_fast64",
	"runtime.mapaccess2_fast64", "runtime.mapaccess1_faststr", "runtime.mapaccess2_faststr",
	"runtime.mapiterinit", "runtime.mapclear", "runtime.closechan", "runtime.chansend1",
	"runtime.chansend", "runtime.chanrecv1", "runtime.chanrecv2", "runtime.chanrecv",
	"runtime.selectgo", "runtime.newproc", "runtime.newproc1", "runtime.goexit1",
	"runtime.goexit0", "sync.(*Mutex).lockSlow", "sync.(*Mutex).Unlock",
	"sync.(*Mutex).unlockSlow", "sync.(*RWMutex).RLock", "sync.(*RWMutex).RUnlock",
	"sync.(*RWMutex).Lock", "sync.(*RWMutex).Unlock", "sync.(*WaitGroup).Add",
	"sync.(*WaitGroup).Wait", "runtime.gopark", "runtime.goready",
	/* go1.24+: swiss-table map iteration, sync.Mutex over internal/sync.Mutex */
	"runtime.mapIterStart", "runtime.mapIterNext", "internal/sync.(*Mutex).lockSlow",
	"internal/sync.(*Mutex).unlockSlow", "internal/sync.(*Mutex).Unlock",
	"sync.(*WaitGroup).Done", "sync.(*WaitGroup).Go",
};

/* ... and those mapmutex certainly has, in the releases [lo, hi]. */
static const struct {
	const char *name;
	int lo, hi;
} must_funcs[] = {
	{ "runtime.mapassign", 19, 99 },
	{ "runtime.mapassign_fast64", 19, 99 },
	{ "runtime.chanrecv1", 19, 99 },
	{ "runtime.newproc", 19, 99 },
	{ "runtime.gopark", 19, 99 },
	{ "sync.(*Mutex).lockSlow", 19, 23 },
	{ "sync.(*Mutex).unlockSlow", 19, 23 },
	{ "internal/sync.(*Mutex).lockSlow", 24, 99 },
	{ "internal/sync.(*Mutex).unlockSlow", 24, 99 },
	{ "sync.(*WaitGroup).Add", 19, 99 },
	{ "sync.(*WaitGroup).Wait", 19, 99 },
	{ "runtime.goexit1", 19, 99 },
	{ "main.writer", 19, 99 },
};

static char root[PATH_MAX]; /* the repository */

/* The repository is three levels above this binary (.output/tests/unit/test_goelf). */
static int find_root(void **state)
{
	char exe[PATH_MAX], mod[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int i;

	(void)state;
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	for (i = 0; i < 4; i++) {
		char *s = strrchr(exe, '/');

		if (!s)
			return -1;
		*s = '\0';
	}
	snprintf(root, sizeof(root), "%s", exe);
	snprintf(mod, sizeof(mod), "%s/tests/targets/go/go.mod", root);
	if (access(mod, R_OK)) {
		fprintf(stderr, "test_goelf: %s not found: run from the build tree\n", mod);
		return -1;
	}
	return 0;
}

static time_t mtime_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_mtime;
}

static int mkdirs(const char *path)
{
	char p[PATH_MAX], *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0755) && errno != EEXIST ? -1 : 0;
}

/* Run argv in dir with env, output to log; 0 when it exited 0. */
static int run(char *const argv[], char *const env[], const char *dir, const char *log)
{
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 || chdir(dir))
			_exit(127);
		execve(argv[0], argv, env);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void print_file(const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(f);
}

/* The toolchain of v, or fail naming the package. */
static const char *go_of(const struct gover *v)
{
	char want[32], line[256], cmd[PATH_MAX + 32];
	size_t i;

	snprintf(want, sizeof(want), "go1.%d", v->minor);
	for (i = 0; i < 2 && v->go[i]; i++) {
		const char *at;
		FILE *p;
		bool ok;

		if (access(v->go[i], X_OK))
			continue;
		snprintf(cmd, sizeof(cmd), "GOTOOLCHAIN=local %s version 2>&1", v->go[i]);
		p = popen(cmd, "r");
		if (!p)
			continue;
		/* "go version go1.21.13 linux/amd64": go1.21, not go1.2 of go1.21 */
		ok = fgets(line, sizeof(line), p) && (at = strstr(line, want)) &&
		     !(at[strlen(want)] >= '0' && at[strlen(want)] <= '9');
		pclose(p);
		if (ok)
			return v->go[i];
	}
	fail_msg("go1.%d is not installed (looked for %s%s%s): install it with '%s' "
		 "(or run sudo scripts/deps.sh, which installs every toolchain)", v->minor,
		 v->go[0], v->go[1] ? ", " : "", v->go[1] ? v->go[1] : "", v->install);
	return NULL;
}

/*
 * Build tests/targets/go/TARGET with v's toolchain (stripped: -ldflags='-s -w'; external: linked
 * by the system's linker, with cgo, as a program using C is) into .output/go-targets/go1.N/,
 * unless a build newer than its sources and toolchain is there.
 */
static void go_build_as(const struct gover *v, bool stripped, bool external, char *out,
			size_t outlen)
{
	char dir[PATH_MAX], src[PATH_MAX], tmp[PATH_MAX + 32], log[PATH_MAX + 32];
	char e_cache[PATH_MAX + 16], e_path[PATH_MAX + 16], e_tmp[PATH_MAX + 16];
	static const char *const srcs[] = { "go.mod", "target/target.go", TARGET "/main.go" };
	const char *go = go_of(v);
	time_t newest = mtime_of(go);
	size_t i;

	snprintf(dir, sizeof(dir), "%s/.output/go-targets/go1.%d", root, v->minor);
	snprintf(out, outlen, "%s/%s%s%s", dir, TARGET, external ? "-external" : "",
		 stripped ? "-stripped" : "");
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		snprintf(src, sizeof(src), "%s/tests/targets/go/%s", root, srcs[i]);
		if (mtime_of(src) > newest)
			newest = mtime_of(src);
	}
	if (mtime_of(out) && mtime_of(out) >= newest)
		return;
	snprintf(src, sizeof(src), "%s/tests/targets/go", root);
	snprintf(e_cache, sizeof(e_cache), "GOCACHE=%s/.output/go-targets/cache", root);
	snprintf(e_path, sizeof(e_path), "GOPATH=%s/.output/go-targets/gopath", root);
	snprintf(e_tmp, sizeof(e_tmp), "GOTMPDIR=%s", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", out, (int)getpid());
	snprintf(log, sizeof(log), "%s.log", out);
	CHECK(mkdirs(dir) == 0, "create .output/go-targets");
	{
		char *const env[] = { e_cache, e_path, e_tmp, "GOTOOLCHAIN=local", "GOPROXY=off",
				      "GOFLAGS=-buildvcs=false", "GO111MODULE=on", "GOWORK=off",
				      external ? "CGO_ENABLED=1" : "CGO_ENABLED=0", "GOENV=off",
				      "HOME=/nonexistent", "PATH=/usr/bin:/bin", NULL };
		const char *ldflags = external ? (stripped ? "-linkmode=external -s -w" :
							    "-linkmode=external") :
						 (stripped ? "-s -w" : "");
		char *const argv[] = { (char *)go, "build", "-o", tmp, "-ldflags", (char *)ldflags,
				       "./" TARGET, NULL };

		if (run(argv, env, src, log)) {
			print_file(log);
			unlink(tmp);
			fail_msg("go build with go1.%d -ldflags='%s' failed (log above, in %s)",
				 v->minor, ldflags, log);
		}
	}
	CHECK(rename(tmp, out) == 0, "rename the built target");
}

static void go_build(const struct gover *v, bool stripped, char *out, size_t outlen)
{
	go_build_as(v, stripped, false, out, outlen);
}

static struct rt_goelf *open_ok(const char *path)
{
	char err[512];
	struct rt_goelf *g = rt_goelf__open(path, err, sizeof(err));

	if (!g)
		fail_msg("rt_goelf__open(%s): %s", path, err);
	return g;
}

static int cmp_sites(const struct rt_go_site *a, int na, const struct rt_go_site *b, int nb)
{
	int i;

	if (na != nb)
		return -1;
	for (i = 0; i < na && i < MAX_SITES; i++)
		if (a[i].addr != b[i].addr || a[i].off != b[i].off || a[i].end != b[i].end ||
		    a[i].caller != b[i].caller)
			return i + 1;
	return 0;
}

static void print_sites(const char *what, const struct rt_go_site *s, int n)
{
	int i;

	fprintf(stderr, "  %s (%d):", what, n);
	for (i = 0; i < n && i < MAX_SITES; i++)
		fprintf(stderr, " %#llx-%#llx@%#llx", (unsigned long long)s[i].addr,
			(unsigned long long)s[i].end, (unsigned long long)s[i].caller);
	fprintf(stderr, "\n");
}

static void check_rets(const char *path, const struct rt_go_func *f, const __u32 *offs, int n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), i;

	CHECK(fd >= 0, "open the binary to read its code");
	for (i = 0; i < n && i < MAX_RETS; i++) {
		unsigned char b = 0;

		CHECK(offs[i] < f->size, "ret offset inside the function");
		CHECK(pread(fd, &b, 1, f->off + offs[i]) == 1, "read the ret byte");
		CHECK_EQ(b, 0xc3, "the byte at a ret offset is a ret");
	}
	close(fd);
}

/*
 * Each inlined Lock (Unlock) site leads, in straight-line code, to the lock cmpxchg (xadd) on
 * the mutex's state, through a register that is still valid after it, or RIP-relative.
 */
static void check_atomics(struct rt_goelf *g, const struct rt_go_site *s, int n, __u32 op,
			  const char *what)
{
	struct rt_go_atomic a;
	int i;

	for (i = 0; i < n && i < MAX_SITES; i++) {
		if (rt_goelf__site_atomic(g, &s[i], op, &a))
			fail_msg("%s site %#llx: no atomic instruction after it", what,
				 (unsigned long long)s[i].addr);
		CHECK_EQ(a.op, op, what);
		CHECK(a.addr + 32 >= s[i].addr && a.addr < s[i].end,
		      "atomic in or just before the body");
		CHECK_EQ(a.next_off - a.off, a.next - a.addr, "atomic: offsets follow addresses");
		CHECK(a.base != RT_GO_REG_NONE && a.base <= RT_GO_REG_RIP,
		      "atomic: a base register");
		CHECK(a.base != RT_GO_REG_RIP || a.target != 0, "atomic: RIP-relative target");
		CHECK_EQ(a.clobbered, 0, "atomic: the address survives the instruction");
	}
}

/* Everything on one toolchain's two builds. */
static void check_version(const struct gover *v)
{
	struct rt_go_site dw[MAX_SITES], pc[MAX_SITES], spc[MAX_SITES];
	char full[PATH_MAX], strip[PATH_MAX], want[32];
	struct rt_go_func fs, fp, fx, writer;
	__u32 rets[MAX_RETS], srets[MAX_RETS];
	int ndw, npc, nspc, nret, nsret, nlock, i;
	struct rt_goelf *g, *s;
	char line[512];
	__u32 a, b;
	size_t k;
	bool in_writer = false;

	go_build(v, false, full, sizeof(full));
	go_build(v, true, strip, sizeof(strip));
	g = open_ok(full);
	s = open_ok(strip);

	/* version */
	snprintf(want, sizeof(want), "go1.%d", v->minor);
	CHECK(!strncmp(rt_goelf__version(g), want, strlen(want)), "version string");
	CHECK_EQ(rt_goelf__minor(g), v->minor, "minor version");
	CHECK_EQ(rt_goelf__minor(s), v->minor, "minor version (stripped)");
	CHECK_EQ(rt_goelf__have(g), RT_GO_HAVE_BUILDINFO | RT_GO_HAVE_SYMTAB | RT_GO_HAVE_PCLNTAB |
		 RT_GO_HAVE_DWARF | RT_GO_HAVE_GOFUNC, "everything in the normal build");
	CHECK_EQ(rt_goelf__have(s), RT_GO_HAVE_BUILDINFO | RT_GO_HAVE_PCLNTAB | RT_GO_HAVE_GOFUNC,
		 "no symtab, no DWARF in the -s -w build");
	strcpy(line, "x");
	CHECK_EQ(rt_goelf__support(g, line, sizeof(line)), RT_GO_SUPPORT_KNOWN, "a known release");
	CHECK_STR(line, "", "nothing to say about a known release");
	CHECK_EQ(rt_goelf__support(s, line, sizeof(line)), RT_GO_SUPPORT_KNOWN,
		 "a known release, stripped");

	/* functions: symtab and pclntab agree, and the stripped build has the same layout */
	for (k = 0; k < sizeof(wanted_funcs) / sizeof(wanted_funcs[0]); k++) {
		const char *n = wanted_funcs[k];
		int rs = rt_goelf__func(g, n, RT_GO_SRC_SYMTAB, &fs);
		int rp = rt_goelf__func(g, n, RT_GO_SRC_PCLNTAB, &fp);
		int rx = rt_goelf__func(s, n, RT_GO_SRC_ANY, &fx);

		if (rs || rp || rx) {
			if (rs != rp || rp != rx)
				fail_msg("%s: found in symtab %d, pclntab %d, stripped %d", n, rs,
					 rp, rx);
			continue;
		}
		CHECK_EQ(fp.addr, fs.addr, n);
		CHECK_EQ(fp.off, fs.off, n);
		CHECK(fp.size >= fs.size && fp.size < fs.size + 64, "pclntab size: symbol + pad");
		CHECK_EQ(fx.addr, fs.addr, n);
	}
	for (k = 0; k < sizeof(must_funcs) / sizeof(must_funcs[0]); k++) {
		if (v->minor < must_funcs[k].lo || v->minor > must_funcs[k].hi)
			continue;
		if (rt_goelf__func(s, must_funcs[k].name, RT_GO_SRC_PCLNTAB, &fx))
			fail_msg("%s not found in the stripped build", must_funcs[k].name);
	}
	CHECK_EQ(rt_goelf__func(s, "runtime.mapassign", RT_GO_SRC_SYMTAB, &fx), -ENODATA,
		 "no symtab to ask");
	CHECK_EQ(rt_goelf__func(g, "main.noSuchFunction", RT_GO_SRC_ANY, &fx), -ENOENT,
		 "unknown function");
	CHECK_EQ(rt_goelf__func(g, "main.noSuchFunction", RT_GO_SRC_PCLNTAB, &fx), -ENOENT,
		 "unknown function (pclntab)");

	/* inlined sync.(*Mutex).Lock: DWARF == inline trees == the stripped inline trees */
	ndw = rt_goelf__inlined(g, "sync.(*Mutex).Lock", RT_GO_SRC_DWARF, dw, MAX_SITES);
	npc = rt_goelf__inlined(g, "sync.(*Mutex).Lock", RT_GO_SRC_PCLNTAB, pc, MAX_SITES);
	nspc = rt_goelf__inlined(s, "sync.(*Mutex).Lock", RT_GO_SRC_ANY, spc, MAX_SITES);
	CHECK(ndw >= 1 && ndw <= MAX_SITES, "inlined Lock sites from DWARF");
	CHECK(npc >= 1 && npc <= MAX_SITES, "inlined Lock sites from the inline trees");
	if (cmp_sites(dw, ndw, pc, npc) || cmp_sites(dw, ndw, spc, nspc)) {
		print_sites("DWARF", dw, ndw);
		print_sites("inline tree", pc, npc);
		print_sites("inline tree, stripped", spc, nspc);
		fail_msg("go1.%d: the Lock sites differ between DWARF and inline trees", v->minor);
	}
	CHECK_EQ(rt_goelf__inlined(s, "sync.(*Mutex).Lock", RT_GO_SRC_DWARF, spc, MAX_SITES),
		 -ENODATA, "no DWARF to ask");
	CHECK_EQ(rt_goelf__inlined(g, "main.noSuchFunction", RT_GO_SRC_PCLNTAB, pc, MAX_SITES), 0,
		 "never inlined");
	CHECK_EQ(rt_goelf__inlined(g, "sync.(*Mutex).Lock", RT_GO_SRC_PCLNTAB, NULL, 0), npc,
		 "count without storage");
	CHECK_EQ(rt_goelf__func(g, "main.writer", RT_GO_SRC_ANY, &writer), 0, "main.writer");
	for (i = 0; i < ndw; i++) {
		if (dw[i].caller != writer.addr)
			continue;
		CHECK(dw[i].addr > writer.addr && dw[i].addr < writer.addr + writer.size,
		      "the site is inside main.writer");
		CHECK_EQ(dw[i].off - writer.off, dw[i].addr - writer.addr, "site file offset");
		in_writer = true;
	}
	CHECK(in_writer, "a Lock site in main.writer");
	nlock = ndw;
	check_atomics(g, dw, ndw, RT_GO_ATOMIC_CMPXCHG, "Lock");
	/* Unlock is inlined too; both sources agree */
	ndw = rt_goelf__inlined(g, "sync.(*Mutex).Unlock", RT_GO_SRC_DWARF, dw, MAX_SITES);
	npc = rt_goelf__inlined(s, "sync.(*Mutex).Unlock", RT_GO_SRC_PCLNTAB, pc, MAX_SITES);
	CHECK(ndw >= 1, "inlined Unlock sites");
	CHECK(cmp_sites(dw, ndw, pc, npc) == 0, "Unlock sites: DWARF == stripped inline trees");
	check_atomics(s, pc, npc, RT_GO_ATOMIC_XADD, "Unlock");
	if (v->minor >= 24) {
		/*
		 * sync.Mutex wraps internal/sync.Mutex: each inlined sync Lock holds an inlined
		 * internal/sync Lock (with the atomic), and internal/sync's own users add more.
		 */
		ndw = rt_goelf__inlined(g, "internal/sync.(*Mutex).Lock", RT_GO_SRC_DWARF, dw,
					MAX_SITES);
		npc = rt_goelf__inlined(s, "internal/sync.(*Mutex).Lock", RT_GO_SRC_PCLNTAB, pc,
					MAX_SITES);
		CHECK(ndw >= nlock && ndw <= MAX_SITES, "an internal/sync Lock in every sync Lock");
		if (cmp_sites(dw, ndw, pc, npc)) {
			print_sites("DWARF", dw, ndw);
			print_sites("inline tree, stripped", pc, npc);
			fail_msg("go1.%d: internal/sync Lock sites differ", v->minor);
		}
		check_atomics(s, pc, npc, RT_GO_ATOMIC_CMPXCHG, "internal/sync Lock");
	}

	/* return instructions of runtime.mapassign */
	CHECK_EQ(rt_goelf__func(g, "runtime.mapassign", RT_GO_SRC_ANY, &fs), 0, "mapassign");
	CHECK_EQ(rt_goelf__func(s, "runtime.mapassign", RT_GO_SRC_ANY, &fx), 0, "mapassign (s)");
	nret = rt_goelf__returns(g, &fs, rets, MAX_RETS);
	nsret = rt_goelf__returns(s, &fx, srets, MAX_RETS);
	CHECK(nret >= 1 && nret <= MAX_RETS, "mapassign has rets");
	CHECK_EQ(nsret, nret, "same rets in the stripped build");
	CHECK(!memcmp(rets, srets, nret * sizeof(*rets)), "same ret offsets");
	check_rets(full, &fs, rets, nret);
	check_rets(strip, &fx, srets, nsret);

	/*
	 * struct offsets: DWARF == the per-version table, and the stripped build gets the table;
	 * a field the release does not have (hmap from go1.24 on, swiss maps before) is
	 * missing from both
	 */
	for (i = 0; i < RT_GO_NR_FIELDS; i++) {
		int rd = rt_goelf__offset(g, i, RT_GO_SRC_DWARF, &a);

		CHECK(rd == 0 || rd == -ENOENT, rt_goelf__field_name(i));
		CHECK_EQ(rt_goelf__offset(g, i, RT_GO_SRC_TABLE, &b), rd, rt_goelf__field_name(i));
		if (!rd)
			CHECK_EQ(b, a, rt_goelf__field_name(i));
		CHECK_EQ(rt_goelf__offset(s, i, RT_GO_SRC_ANY, &b), rd, rt_goelf__field_name(i));
		if (!rd)
			CHECK_EQ(b, a, rt_goelf__field_name(i));
	}
	CHECK_EQ(rt_goelf__offset(g, RT_GO_HMAP_COUNT, RT_GO_SRC_DWARF, &a),
		 v->minor < 24 ? 0 : -ENOENT, "runtime.hmap until go1.23");
	CHECK_EQ(rt_goelf__offset(g, RT_GO_SWISSMAP_USED, RT_GO_SRC_DWARF, &a),
		 v->minor < 24 ? -ENOENT : 0, "internal/runtime/maps.Map from go1.24");
	for (i = 0; i < RT_GO_NR_FIELDS; i++) {
		if (i == RT_GO_HMAP_COUNT || i == RT_GO_HMAP_FLAGS || i == RT_GO_SWISSMAP_USED ||
		    i == RT_GO_SWISSMAP_WRITING)
			continue;
		CHECK_EQ(rt_goelf__offset(g, i, RT_GO_SRC_DWARF, &a), 0, rt_goelf__field_name(i));
	}
	CHECK_EQ(rt_goelf__offset(s, RT_GO_G_GOID, RT_GO_SRC_DWARF, &a), -ENODATA, "no DWARF");
	CHECK_EQ(rt_goelf__offset(g, RT_GO_NR_FIELDS, RT_GO_SRC_ANY, &a), -EINVAL, "bad field");
	print_message("go1.%d (%s): Lock inlined at %d sites, mapassign has %d ret(s), goid at "
		      "+%u\n", v->minor, rt_goelf__version(g), nlock, nret,
		      (rt_goelf__offset(g, RT_GO_G_GOID, RT_GO_SRC_ANY, &a), a));
	rt_goelf__free(s);
	rt_goelf__free(g);
}

static void test_go119(void **state)
{
	(void)state;
	check_version(&versions[0]);
}

static void test_go121(void **state)
{
	(void)state;
	check_version(&versions[1]);
}

static void test_go122(void **state)
{
	(void)state;
	check_version(&versions[2]);
}

static void test_go123(void **state)
{
	(void)state;
	check_version(&versions[3]);
}

static void test_go124(void **state)
{
	(void)state;
	check_version(version_of(24));
}

static void test_go125(void **state)
{
	(void)state;
	check_version(version_of(25));
}

static void test_go126(void **state)
{
	(void)state;
	check_version(version_of(26));
}

static void test_go127(void **state)
{
	(void)state;
	check_version(version_of(27));
}

/*
 * go1.26+ has no textStart in the pcHeader. The system's linker puts its own code first in
 * .text (runtime.text is 0x100 bytes into it here), so only moduledata.text gives the
 * function table's base: functions and inlined sites of the stripped build must still be
 * those of .symtab and DWARF.
 */
static void test_go126_external(void **state)
{
	struct rt_go_site dw[MAX_SITES], pc[MAX_SITES];
	static const char *const names[] = { "runtime.mapassign", "main.writer",
					     "internal/sync.(*Mutex).lockSlow",
					     "runtime.newproc1" };
	char full[PATH_MAX], strip[PATH_MAX];
	struct rt_go_func fs, fx, text;
	struct rt_goelf *g, *s;
	int ndw, npc;
	size_t k;
	__u32 a, b;

	(void)state;
	go_build_as(version_of(26), false, true, full, sizeof(full));
	go_build_as(version_of(26), true, true, strip, sizeof(strip));
	g = open_ok(full);
	s = open_ok(strip);
	CHECK_EQ(rt_goelf__have(s), RT_GO_HAVE_BUILDINFO | RT_GO_HAVE_PCLNTAB | RT_GO_HAVE_GOFUNC,
		 "external -s -w: function table and inline trees");
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		CHECK_EQ(rt_goelf__func(g, names[k], RT_GO_SRC_SYMTAB, &fs), 0, names[k]);
		CHECK_EQ(rt_goelf__func(s, names[k], RT_GO_SRC_PCLNTAB, &fx), 0, names[k]);
		CHECK_EQ(fx.addr, fs.addr, names[k]);
		CHECK_EQ(rt_goelf__func(g, names[k], RT_GO_SRC_PCLNTAB, &fx), 0, names[k]);
		CHECK_EQ(fx.addr, fs.addr, names[k]);
	}
	/* the case this covers: the linker's code before runtime.text */
	CHECK_EQ(rt_goelf__func(g, "_start", RT_GO_SRC_SYMTAB, &text), 0, "_start");
	CHECK_EQ(rt_goelf__func(g, "runtime.text", RT_GO_SRC_SYMTAB, &fs), 0, "runtime.text");
	CHECK(text.addr < fs.addr, "the system linker's _start before runtime.text");
	ndw = rt_goelf__inlined(g, "sync.(*Mutex).Lock", RT_GO_SRC_DWARF, dw, MAX_SITES);
	npc = rt_goelf__inlined(s, "sync.(*Mutex).Lock", RT_GO_SRC_PCLNTAB, pc, MAX_SITES);
	CHECK(ndw >= 1 && ndw <= MAX_SITES, "inlined Lock sites");
	if (cmp_sites(dw, ndw, pc, npc)) {
		print_sites("DWARF", dw, ndw);
		print_sites("inline tree, stripped", pc, npc);
		fail_msg("external go1.26: the Lock sites differ");
	}
	CHECK_EQ(rt_goelf__offset(g, RT_GO_G_GOID, RT_GO_SRC_DWARF, &a), 0, "goid (DWARF)");
	CHECK_EQ(rt_goelf__offset(s, RT_GO_G_GOID, RT_GO_SRC_ANY, &b), 0, "goid (table)");
	CHECK_EQ(b, a, "goid");
	rt_goelf__free(s);
	rt_goelf__free(g);
}

/* ---- the untrusted side ---- */

static unsigned char *slurp(const char *path, size_t *n)
{
	unsigned char *buf;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0 && !fstat(fd, &st), "open the built target");
	buf = malloc(st.st_size);
	CHECK(buf != NULL, "malloc");
	CHECK(read(fd, buf, st.st_size) == st.st_size, "read the built target");
	close(fd);
	*n = st.st_size;
	return buf;
}

static void spill(const char *path, const unsigned char *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0, "create a temp file");
	CHECK(write(fd, buf, n) == (ssize_t)n, "write a temp file");
	close(fd);
}

static size_t find_bytes(const unsigned char *buf, size_t n, const void *what, size_t len)
{
	const unsigned char *p = memmem(buf, n, what, len);

	return p ? (size_t)(p - buf) : (size_t)-1;
}

/* Every query on g, results ignored: must not crash, leak or misread. */
static void poke(struct rt_goelf *g)
{
	static const char *const names[] = { "runtime.mapassign", "sync.(*Mutex).Lock",
					     "main.writer", "" };
	struct rt_go_site sites[8];
	struct rt_go_atomic at;
	struct rt_go_func f;
	__u32 offs[8], off;
	size_t i;
	int k;

	CHECK(rt_goelf__version(g) != NULL, "a version string");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (k = RT_GO_SRC_ANY; k <= RT_GO_SRC_TABLE; k++) {
			int j, n;

			if (!rt_goelf__func(g, names[i], k, &f))
				rt_goelf__returns(g, &f, offs, 8);
			n = rt_goelf__inlined(g, names[i], k, sites, 8);
			for (j = 0; j < n && j < 8; j++)
				rt_goelf__site_atomic(g, &sites[j], 0, &at);
		}
	}
	for (k = 0; k <= RT_GO_NR_FIELDS; k++)
		rt_goelf__offset(g, k, k % 5, &off);
}

/* ---- a synthetic Go binary, for exact answers (and the fuzzer's seeds) ---- */

/*
 * A tiny stripped "Go" executable laid out by hand: one PT_LOAD, build info saying go1.MINOR,
 * a .gopclntab in that release's layout with three functions, the inline trees in .rodata
 * (gofunc) and a moduledata in .noptrdata that points at both. File offset = vaddr - SYN_BASE.
 *
 *   main.main          +0x00  inlines sync.(*Mutex).Lock at +1 (an inline mark nop at +0)
 *   runtime.mapassign  +0x40  no inlining; rets at +7 and +9
 *   main.helper        +0x60  inlines main.inner at +1, which inlines Lock at +3 (its inline
 *                             mark at +2 belongs to main.inner: the parent link is followed
 *                             through parentPc in go1.20+, through the parent index in 1.19)
 */
#define SYN_BASE 0x400000ULL
#define SYN_TEXT 0x200
#define SYN_RODATA 0x300
#define SYN_PCLN 0x400
#define SYN_BINFO 0x600
#define SYN_DATA 0x700
#define SYN_SHSTR 0x900
#define SYN_SHDRS 0x980
#define SYN_SIZE (SYN_SHDRS + 7 * 64)

static void put16(unsigned char *p, unsigned int v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(unsigned char *p, __u32 v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void put64(unsigned char *p, __u64 v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

static void syn_shdr(unsigned char *b, int i, __u32 name, __u32 type, __u64 off, __u64 size)
{
	unsigned char *h = b + SYN_SHDRS + i * 64;

	put32(h, name);
	put32(h + 4, type);
	put64(h + 8, type == 3 ? 0 : 2 /* SHF_ALLOC */);
	put64(h + 16, type == 3 ? 0 : SYN_BASE + off);
	put64(h + 24, off);
	put64(h + 32, size);
	put64(h + 48, 1);
}

static size_t synth(int minor, unsigned char *b)
{
	static const char names[] = "main.main\0runtime.mapassign\0main.helper\0main.inner\0"
				    "sync.(*Mutex).Lock";
	enum { N_MAIN = 0, N_MAPASSIGN = 10, N_HELPER = 28, N_INNER = 40, N_LOCK = 51 };
	static const char shstr[] = "\0.text\0.rodata\0.gopclntab\0.go.buildinfo\0.noptrdata\0"
				    ".shstrtab";
	static const unsigned char code_main[] = { 0x90, 0x31, 0xc0, 0xbf, 1, 0, 0, 0, 0xf0, 0x0f,
						   0xb1, 0x3a, 0x0f, 0x94, 0xc1, 0x90, 0xc3 };
	static const unsigned char code_map[] = { 0x55, 0x48, 0x89, 0xe5, 0x74, 0x02, 0x5d, 0xc3,
						  0x5d, 0xc3 };
	static const unsigned char code_helper[] = { 0x90, 0x90, 0x90, 0x31, 0xc0, 0xf0, 0x0f,
						     0xc1, 0x1e, 0xc3 };
	/* InlTreeIndex tables: (zigzag value delta, pc delta) pairs from -1, then 0 */
	static const unsigned char tab_main[] = { 0, 0x01, 2, 0x0f, 1, 0x30, 0 };
	static const unsigned char tab_helper[] = { 0, 0x01, 2, 0x02, 2, 0x0d, 3, 0x10, 0 };
	const bool go119 = minor < 20;
	const __u32 fsize = go119 ? 40 : 44, isize = go119 ? 20 : 16;
	unsigned char *pc = b + SYN_PCLN, *t;
	__u32 fnoff = 72, pctab, pcln, foff;
	char ver[16];
	int i;

	memset(b, 0, SYN_SIZE);
	/* ELF header and the one PT_LOAD */
	memcpy(b, "\x7f" "ELF\x02\x01\x01", 7);
	put16(b + 16, 2);	 /* ET_EXEC */
	put16(b + 18, 62);	 /* EM_X86_64 */
	put32(b + 20, 1);
	put64(b + 24, SYN_BASE + SYN_TEXT);
	put64(b + 32, 64);	 /* e_phoff */
	put64(b + 40, SYN_SHDRS);
	put16(b + 52, 64);
	put16(b + 54, 56);
	put16(b + 56, 1);
	put16(b + 58, 64);
	put16(b + 60, 7);
	put16(b + 62, 6);	 /* .shstrtab */
	put32(b + 64, 1);	 /* PT_LOAD */
	put32(b + 68, 7);
	put64(b + 72, 0);
	put64(b + 80, SYN_BASE);
	put64(b + 88, SYN_BASE);
	put64(b + 96, SYN_SIZE);
	put64(b + 104, SYN_SIZE);
	put64(b + 112, 0x1000);

	/* .text */
	memset(b + SYN_TEXT, 0xcc, 0x80);
	memcpy(b + SYN_TEXT, code_main, sizeof(code_main));
	memcpy(b + SYN_TEXT + 0x40, code_map, sizeof(code_map));
	memcpy(b + SYN_TEXT + 0x60, code_helper, sizeof(code_helper));

	/* inline trees at gofunc + 0 (main.main) and + 0x40 (main.helper) */
	t = b + SYN_RODATA;
	if (go119) {
		put16(t, 0xffff);		/* parent -1 */
		put32(t + 12, N_LOCK);
		put32(t + 16, 0);		/* parentPc */
		put16(t + 0x40, 0xffff);
		put32(t + 0x40 + 12, N_INNER);
		put32(t + 0x40 + 16, 0);
		put16(t + 0x40 + isize, 0);	/* parent: entry 0 */
		put32(t + 0x40 + isize + 12, N_LOCK);
		put32(t + 0x40 + isize + 16, 2);
	} else {
		put32(t + 4, N_LOCK);
		put32(t + 8, 0);
		put32(t + 0x40 + 4, N_INNER);
		put32(t + 0x40 + 8, 0);
		put32(t + 0x40 + isize + 4, N_LOCK);
		put32(t + 0x40 + isize + 8, 2); /* pc 2 is in main.inner: entry 0 */
	}

	/* .gopclntab: header, names, pctab (offset 0 means none), functab, _funcs */
	put32(pc, go119 ? 0xfffffff0 : 0xfffffff1);
	pc[6] = 1;
	pc[7] = 8;
	put64(pc + 8, 3);
	/* go1.26+: no textStart in the header, moduledata.text says it */
	put64(pc + 24, minor >= 26 ? 0 : SYN_BASE + SYN_TEXT);
	memcpy(pc + fnoff, names, sizeof(names));
	pctab = fnoff + sizeof(names);
	memcpy(pc + pctab + 1, tab_main, sizeof(tab_main));
	memcpy(pc + pctab + 1 + sizeof(tab_main), tab_helper, sizeof(tab_helper));
	pcln = (pctab + 1 + sizeof(tab_main) + sizeof(tab_helper) + 7) & ~7u;
	put64(pc + 32, fnoff);
	put64(pc + 40, pctab);
	put64(pc + 48, pctab);
	put64(pc + 56, pctab);
	put64(pc + 64, pcln);
	foff = 4 * 8;
	for (i = 0; i < 3; i++) {
		static const __u32 entry[] = { 0, 0x40, 0x60 }, name[] = { N_MAIN, N_MAPASSIGN,
									    N_HELPER };
		unsigned char *f = pc + pcln + foff;
		bool inl = i != 1;

		put32(pc + pcln + i * 8, entry[i]);
		put32(pc + pcln + i * 8 + 4, foff);
		put32(f, entry[i]);
		put32(f + 4, name[i]);
		put32(f + 28, inl ? 3 : 0);		 /* npcdata */
		f[fsize - 1] = inl ? 4 : 0;		 /* nfuncdata */
		if (inl) {
			put32(f + fsize + 8, 1 + (i ? sizeof(tab_main) : 0)); /* from pctab */
			put32(f + fsize + 12, 0xffffffff);
			put32(f + fsize + 16, 0xffffffff);
			put32(f + fsize + 20, 0xffffffff);
			put32(f + fsize + 24, i ? 0x40 : 0); /* FUNCDATA_InlTree */
		}
		foff += fsize + (inl ? 28 : 0);
	}
	put32(pc + pcln + 3 * 8, 0x80);

	/* .go.buildinfo, inline strings */
	memcpy(b + SYN_BINFO, "\xff Go buildinf:", 14);
	b[SYN_BINFO + 14] = 8;
	b[SYN_BINFO + 15] = 2;
	snprintf(ver, sizeof(ver), "go1.%d.0", minor);
	b[SYN_BINFO + 32] = strlen(ver);
	memcpy(b + SYN_BINFO + 33, ver, strlen(ver));

	/* moduledata: pcHeader, funcnametab, ..., text, ..., gofunc */
	put64(b + SYN_DATA, SYN_BASE + SYN_PCLN);
	put64(b + SYN_DATA + 8, SYN_BASE + SYN_PCLN + fnoff);
	put64(b + SYN_DATA + 22 * 8, SYN_BASE + SYN_TEXT);
	put64(b + SYN_DATA + (go119 ? 38 : minor >= 27 ? 43 : 40) * 8, SYN_BASE + SYN_RODATA);

	/* sections */
	memcpy(b + SYN_SHSTR, shstr, sizeof(shstr));
	syn_shdr(b, 1, 1, 1, SYN_TEXT, 0x80);
	syn_shdr(b, 2, 7, 1, SYN_RODATA, 0x100);
	syn_shdr(b, 3, 15, 1, SYN_PCLN, SYN_BINFO - SYN_PCLN);
	syn_shdr(b, 4, 26, 1, SYN_BINFO, 0x40);
	syn_shdr(b, 5, 40, 1, SYN_DATA, 0x180);
	syn_shdr(b, 6, 51, 3, SYN_SHSTR, sizeof(shstr));
	CHECK(pcln + foff < SYN_BINFO - SYN_PCLN, "synthetic pclntab fits");
	return SYN_SIZE;
}

/* Exact answers on the synthetic binary, in both layouts. */
static void test_synthetic(void **state)
{
	static const int minors[] = { 19, 21, 23, 24, 25, 26, 27 };
	/* runtime.g.goid of each, from the table */
	static const __u32 goid[] = { 152, 152, 160, 160, 152, 152, 152 };
	const char *dir = getenv("RT_GOELF_WRITE_SEEDS");
	unsigned char buf[SYN_SIZE];
	struct rt_go_site sites[8];
	struct rt_go_atomic at;
	char tmp[PATH_MAX];
	struct rt_go_func f;
	struct rt_goelf *g;
	__u32 offs[8], off;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(minors) / sizeof(minors[0]); i++) {
		n = synth(minors[i], buf);
		if (dir)
			snprintf(tmp, sizeof(tmp), "%s/synthetic_go1.%d", dir, minors[i]);
		else
			snprintf(tmp, sizeof(tmp), "/tmp/rt_test_goelf.%d", (int)getpid());
		spill(tmp, buf, n);
		g = open_ok(tmp);
		CHECK_EQ(rt_goelf__minor(g), minors[i], "synthetic: version");
		CHECK_EQ(rt_goelf__have(g), RT_GO_HAVE_BUILDINFO | RT_GO_HAVE_PCLNTAB |
			 RT_GO_HAVE_GOFUNC, "synthetic: what it has");
		CHECK_EQ(rt_goelf__func(g, "runtime.mapassign", RT_GO_SRC_ANY, &f), 0,
			 "synthetic: mapassign");
		CHECK_EQ(f.addr, SYN_BASE + SYN_TEXT + 0x40, "synthetic: mapassign address");
		CHECK_EQ(f.off, SYN_TEXT + 0x40, "synthetic: mapassign offset");
		CHECK_EQ(f.size, 0x20, "synthetic: mapassign size");
		CHECK_EQ(rt_goelf__returns(g, &f, offs, 8), 2, "synthetic: two rets");
		CHECK(offs[0] == 7 && offs[1] == 9, "synthetic: ret offsets");
		CHECK_EQ(rt_goelf__func(g, "main.helper", RT_GO_SRC_PCLNTAB, &f), 0, "helper");
		CHECK_EQ(f.size, 0x20, "synthetic: the last function ends at the table's end");
		CHECK_EQ(rt_goelf__func(g, "main.inner", RT_GO_SRC_ANY, &f), -ENOENT,
			 "synthetic: only inlined");
		CHECK_EQ(rt_goelf__inlined(g, "sync.(*Mutex).Lock", RT_GO_SRC_ANY, sites, 8), 2,
			 "synthetic: two Lock sites");
		CHECK_EQ(sites[0].addr, SYN_BASE + SYN_TEXT + 1, "synthetic: Lock in main.main");
		CHECK_EQ(sites[0].caller, SYN_BASE + SYN_TEXT, "synthetic: its caller");
		CHECK_EQ(sites[0].end, SYN_BASE + SYN_TEXT + 0x10, "synthetic: end of the body");
		CHECK_EQ(sites[1].addr, SYN_BASE + SYN_TEXT + 0x63, "synthetic: nested Lock");
		CHECK_EQ(sites[1].off, SYN_TEXT + 0x63, "synthetic: nested Lock offset");
		CHECK_EQ(sites[1].caller, SYN_BASE + SYN_TEXT + 0x60, "synthetic: nested caller");
		CHECK_EQ(sites[1].end, SYN_BASE + SYN_TEXT + 0x70, "synthetic: nested body's end");
		CHECK_EQ(rt_goelf__site_atomic(g, &sites[0], 0, &at), 0, "synthetic: atomic found");
		CHECK_EQ(at.op, RT_GO_ATOMIC_CMPXCHG, "synthetic: lock cmpxchg");
		CHECK_EQ(at.addr, SYN_BASE + SYN_TEXT + 8, "synthetic: cmpxchg address");
		CHECK_EQ(at.next_off, SYN_TEXT + 12, "synthetic: the instruction after it");
		CHECK_EQ(at.base, 1, "synthetic: cmpxchg on (%rdx)");
		CHECK_EQ(at.index, RT_GO_REG_NONE, "synthetic: no index");
		CHECK_EQ(at.clobbered, 0, "synthetic: rdx survives");
		CHECK_EQ(rt_goelf__site_atomic(g, &sites[1], RT_GO_ATOMIC_CMPXCHG, &at), -ENOENT,
			 "synthetic: no cmpxchg in the nested body");
		CHECK_EQ(rt_goelf__site_atomic(g, &sites[1], 0, &at), 0,
			 "synthetic: nested atomic");
		CHECK_EQ(at.op, RT_GO_ATOMIC_XADD, "synthetic: lock xadd");
		CHECK_EQ(at.base, 4, "synthetic: xadd on (%rsi)");
		CHECK_EQ(at.next, SYN_BASE + SYN_TEXT + 0x69, "synthetic: after the xadd");
		CHECK_EQ(rt_goelf__inlined(g, "main.inner", RT_GO_SRC_PCLNTAB, sites, 8), 1,
			 "synthetic: main.inner inlined once");
		CHECK_EQ(sites[0].addr, SYN_BASE + SYN_TEXT + 0x61, "synthetic: inner's body");
		CHECK_EQ(rt_goelf__inlined(g, "sync.(*Mutex).Lock", RT_GO_SRC_PCLNTAB, sites, 1), 2,
			 "synthetic: count beyond max");
		CHECK_EQ(rt_goelf__offset(g, RT_GO_G_GOID, RT_GO_SRC_ANY, &off), 0, "goid");
		CHECK_EQ(off, goid[i], "synthetic: goid from the table");
		CHECK_EQ(rt_goelf__support(g, NULL, 0), RT_GO_SUPPORT_KNOWN, "synthetic: known");
		rt_goelf__free(g);
		if (!dir)
			unlink(tmp);
	}
}

static void test_not_go(void **state)
{
	char err[256], path[PATH_MAX + 32];
	struct rt_goelf *g;

	(void)state;
	errno = 0;
	g = rt_goelf__open("/nonexistent/racetrace-go", err, sizeof(err));
	CHECK(g == NULL && errno == ENOENT, "missing file: ENOENT");
	CHECK(strstr(err, "/nonexistent/racetrace-go") != NULL, "the message names the file");

	snprintf(path, sizeof(path), "%s/tests/targets/go/go.mod", root);
	g = rt_goelf__open(path, err, sizeof(err));
	CHECK(g == NULL && errno == ENOEXEC, "text file: ENOEXEC");
	CHECK(strstr(err, "not an ELF file") != NULL, "text file: message");

	g = rt_goelf__open("/proc/self/exe", err, sizeof(err));
	CHECK(g == NULL && errno == ENOEXEC, "C binary: ENOEXEC");
	CHECK(strstr(err, "not a Go binary") != NULL, "C binary: message");
}

/*
 * Copies of real builds whose build info claims another release: go1.18 (too old), and go1.28,
 * a release racetrace does not know, on go1.27 builds: the stripped one is refused, the
 * normal one is traced from .symtab and DWARF alone, and both say so in one line naming the
 * release, the releases that work and what is off.
 */
static void forge_version(unsigned char *buf, size_t n, const char *from, const char *to)
{
	const unsigned char *magic = (const unsigned char *)"\xff Go buildinf:";
	size_t bi = find_bytes(buf, n, magic, 14), ver;

	CHECK(bi != (size_t)-1, "build info in the build");
	CHECK_EQ(strlen(from), strlen(to), "a version string of the same length");
	ver = find_bytes(buf + bi, n - bi, from, strlen(from));
	CHECK(ver != (size_t)-1 && ver < 64, "the inline version string");
	memcpy(buf + bi + ver, to, strlen(to));
}

static void test_version_policy(void **state)
{
	char full[PATH_MAX], strip[PATH_MAX], tmp[64], err[512], line[512];
	unsigned char *buf;
	struct rt_goprobe_sites gs;
	struct rt_go_site sites[4];
	struct rt_go_func f;
	struct rt_goelf *g;
	size_t n, bi;
	__u32 off;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/rt_test_goelf.%d", (int)getpid());

	/* older than the table */
	go_build(version_of(21), true, strip, sizeof(strip));
	buf = slurp(strip, &n);
	forge_version(buf, n, "go1.21", "go1.18");
	spill(tmp, buf, n);
	g = rt_goelf__open(tmp, err, sizeof(err));
	CHECK(g == NULL && errno == EPROTONOSUPPORT, "go1.18: refused");
	CHECK_HAS(err, "built by go1.18", "go1.18: the message names the release");
	CHECK_HAS(err, "older than go1.19", "go1.18: message says too old");
	CHECK_HAS(err, "go1.19 to go1.27 work", "go1.18: message says what works");
	CHECK_HAS(err, "not traced", "go1.18: message says what is off");
	bi = find_bytes(buf, n, "\xff Go buildinf:", 14);
	memcpy(buf + bi, "\xff Go buildinX:", 14); /* no build info left at all */
	spill(tmp, buf, n);
	g = rt_goelf__open(tmp, err, sizeof(err));
	CHECK(g == NULL && errno == ENOEXEC, "no build info: refused");
	CHECK_HAS(err, "version is unknown", "no build info: message");
	free(buf);

	/* newer than the table, stripped: nothing to take struct offsets from */
	go_build(version_of(27), true, strip, sizeof(strip));
	buf = slurp(strip, &n);
	forge_version(buf, n, "go1.27", "go1.28");
	spill(tmp, buf, n);
	g = rt_goelf__open(tmp, err, sizeof(err));
	CHECK(g == NULL && errno == EPROTONOSUPPORT, "stripped go1.28: refused");
	CHECK(!strchr(err, '\n'), "stripped go1.28: one line");
	CHECK_HAS(err, "built by go1.28.3", "stripped go1.28: the message names the release");
	CHECK_HAS(err, "newer than go1.27", "stripped go1.28: message says too new");
	CHECK_HAS(err, "go1.19 to go1.27 work", "stripped go1.28: message says what works");
	CHECK_HAS(err, "-s -w", "stripped go1.28: message says why");
	CHECK_HAS(err, "not traced", "stripped go1.28: message says what is off");
	/* the prober refuses it the same way: no probe placed, the same one line */
	CHECK_EQ(rt_goprobe__place(tmp, &gs, err, sizeof(err)), -EPROTONOSUPPORT,
		 "stripped go1.28: no probes placed");
	CHECK_EQ(gs.n, 0, "stripped go1.28: not one site");
	CHECK(!strchr(err, '\n'), "stripped go1.28: the prober's message is one line");
	CHECK_HAS(err, "newer than go1.27", "stripped go1.28: the prober says why");
	rt_goprobe__sites_free(&gs);
	free(buf);

	/* newer than the table, with .symtab and DWARF: names and DWARF only, and it says so */
	go_build(version_of(27), false, full, sizeof(full));
	buf = slurp(full, &n);
	forge_version(buf, n, "go1.27", "go1.28");
	spill(tmp, buf, n);
	g = open_ok(tmp);
	CHECK_EQ(rt_goelf__minor(g), 28, "go1.28 accepted with symtab and DWARF");
	CHECK_EQ(rt_goelf__support(g, line, sizeof(line)), RT_GO_SUPPORT_NEWER,
		 "go1.28: newer than the table");
	CHECK(!strchr(line, '\n'), "go1.28: one line");
	CHECK_HAS(line, "built by go1.28.3", "go1.28: the line names the release");
	CHECK_HAS(line, "newer than go1.27", "go1.28: the line says too new");
	CHECK_HAS(line, "go1.19 to go1.27 work", "go1.28: the line says what works");
	CHECK_HAS(line, ".symtab and DWARF", "go1.28: the line says what answers");
	CHECK_HAS(line, "off: the release table", "go1.28: the line says what is off");
	CHECK_EQ(rt_goelf__support(g, NULL, 0), RT_GO_SUPPORT_NEWER, "no line wanted");
	CHECK_EQ(rt_goelf__func(g, "runtime.mapassign", RT_GO_SRC_ANY, &f), 0, "by name");
	CHECK_EQ(rt_goelf__func(g, "runtime.mapassign", RT_GO_SRC_PCLNTAB, &f), -ENODATA,
		 "no table for go1.28");
	CHECK(rt_goelf__inlined(g, "sync.(*Mutex).Lock", RT_GO_SRC_ANY, sites, 4) >= 1,
	      "inlined sites from DWARF");
	CHECK_EQ(rt_goelf__inlined(g, "sync.(*Mutex).Lock", RT_GO_SRC_PCLNTAB, sites, 4),
		 -ENODATA, "no inline trees for go1.28");
	CHECK_EQ(rt_goelf__offset(g, RT_GO_G_GOID, RT_GO_SRC_ANY, &off), 0, "goid from DWARF");
	CHECK_EQ(off, 152, "goid where go1.27 has it");
	CHECK_EQ(rt_goelf__offset(g, RT_GO_G_GOID, RT_GO_SRC_TABLE, &off), -ENODATA,
		 "no table row for go1.28");
	rt_goelf__free(g);
	/* the prober traces it from names and DWARF, and hands the line on to be printed */
	CHECK_EQ(rt_goprobe__place(tmp, &gs, err, sizeof(err)), 1, "go1.28: probes placed");
	CHECK(gs.n > 0 && gs.inlined_lock > 0 && gs.inlined_unlock > 0,
	      "go1.28: functions and inlined Mutex bodies found from names and DWARF");
	CHECK_HAS(gs.support, "newer than go1.27", "go1.28: the prober's line to print");
	CHECK(!strchr(gs.support, '\n'), "go1.28: the prober's line is one line");
	rt_goprobe__sites_free(&gs);
	CHECK_EQ(rt_goprobe__place(full, &gs, err, sizeof(err)), 1, "go1.27: probes placed");
	CHECK_EQ(gs.support[0], '\0', "go1.27: a known release, no line");
	rt_goprobe__sites_free(&gs);
	free(buf);
	unlink(tmp);
}

/* xorshift64*: reproducible from the printed seed */
static __u64 rnd(__u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/*
 * Truncated copies, then CORRUPTIONS copies with a few bytes changed in the places the
 * reader trusts least: the ELF and program headers, the build info, the pclntab header, its
 * function table and _func records, and anywhere at all.
 */
static void test_corrupt(void **state)
{
	static const unsigned char pcmagic[] = { 0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8 };
	char strip[PATH_MAX], tmp[64], err[512];
	unsigned char *orig, *buf;
	size_t n, pcln, bi, i;
	const char *env = getenv("RT_GOELF_SEED");
	__u64 seed = env ? strtoull(env, NULL, 0) : (__u64)time(NULL) * 2654435761u + getpid();
	int round, opened = 0;

	(void)state;
	go_build(&versions[1], true, strip, sizeof(strip));
	orig = slurp(strip, &n);
	buf = malloc(n);
	CHECK(buf != NULL, "malloc");
	pcln = find_bytes(orig, n, pcmagic, sizeof(pcmagic));
	bi = find_bytes(orig, n, "\xff Go buildinf:", 14);
	CHECK(pcln != (size_t)-1 && bi != (size_t)-1, "tables found in the stripped build");
	snprintf(tmp, sizeof(tmp), "/tmp/rt_test_goelf.%d", (int)getpid());

	for (i = 0; i < 12; i++) {
		size_t len = i < 6 ? (size_t[]){ 0, 1, 63, 64, 200, 4096 }[i] :
				     pcln + (i - 6) * (n - pcln) / 6 + 17;
		struct rt_goelf *g;

		spill(tmp, orig, RT_MIN(len, n));
		g = rt_goelf__open(tmp, err, sizeof(err));
		if (g) {
			poke(g);
			rt_goelf__free(g);
		}
	}

	print_message("corruption seed %llu (RT_GOELF_SEED=%llu reruns it)\n",
		      (unsigned long long)seed, (unsigned long long)seed);
	for (round = 0; round < CORRUPTIONS; round++) {
		__u64 s = seed + round * 0x9e3779b97f4a7c15ULL, r;
		struct rt_goelf *g;
		int k, changes;

		rnd(&s);
		memcpy(buf, orig, n);
		changes = 1 + rnd(&s) % 4;
		for (k = 0; k < changes; k++) {
			size_t at;

			r = rnd(&s);
			switch (r % 6) {
			case 0: at = r / 8 % 512; break;		  /* ELF, program headers */
			case 1: at = bi + r / 8 % 64; break;		  /* build info */
			case 2: at = pcln + r / 8 % 72; break;		  /* pclntab header */
			case 3: at = pcln + r / 8 % (64 << 10); break;	  /* names, pctab */
			case 4: at = pcln + (n - pcln) * (r / 8 % 1000) / 1000; break;
			default: at = r / 8 % n; break;
			}
			if (at < n)
				buf[at] = rnd(&s) >> 56;
		}
		spill(tmp, buf, n);
		g = rt_goelf__open(tmp, err, sizeof(err));
		if (!g) {
			CHECK(err[0] != '\0', "a refusal says why");
			continue;
		}
		opened++;
		poke(g);
		rt_goelf__free(g);
	}
	print_message("%d of %d corrupted copies still opened\n", opened, CORRUPTIONS);
	free(buf);
	free(orig);
	unlink(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go119),
		cmocka_unit_test(test_go121),
		cmocka_unit_test(test_go122),
		cmocka_unit_test(test_go123),
		cmocka_unit_test(test_go124),
		cmocka_unit_test(test_go125),
		cmocka_unit_test(test_go126),
		cmocka_unit_test(test_go127),
		cmocka_unit_test(test_go126_external),
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_not_go),
		cmocka_unit_test(test_version_policy),
		cmocka_unit_test(test_corrupt),
	};

	return cmocka_run_group_tests(tests, find_root, NULL);
}
