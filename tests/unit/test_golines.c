// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of source lines and inline chains (rt_sym__frames() over DWARF and .gopclntab,
 * rt_goelf__frames(), rt_goelf__line()) on programs built at test time, frame by frame:
 *
 * - tests/targets/go/transfer, built by go1.19, go1.23 and go1.26, normally (DWARF) and with
 *   -ldflags='-s -w' (only .gopclntab, as Debian builds etcd). At every byte of every main.*
 *   function: the out-of-line function and the innermost file:line equal `go tool addr2line`'s
 *   answer (it prints exactly those two), rt_goelf__line() gives its file path and line, and
 *   the stripped build's chain equals the DWARF build's frame by frame (function, file, line,
 *   inlined). Then the expansion itself: the Lock calls of transfer() on lines 17 and 18 come
 *   out as sync.(*Mutex).Lock (mutex.go, inlined; under internal/sync.(*Mutex).Lock from
 *   go1.24 on) then main.transfer at that line, the Unlock calls on lines 21 and 22 likewise,
 *   and no other line of main.transfer has sync.(*Mutex).Lock inlined.
 * - tests/targets/inline_locks.c at -O2 with DWARF: at every byte of its thread and transfer
 *   functions the chain equals `addr2line -i -f`'s (every function, file and line), and the
 *   two lock calls come out as take (line 24) in lock_account (29) in transfer (39, 40): the
 *   LOCK_SITE lines of the source. Stripped: one frame per address, no function, no line.
 *
 * A toolchain that is not installed is a failure naming how to install it, never a skip.
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
#include <unistd.h>
#include <gelf.h>
#include <libelf.h>
#include <cmocka.h>
#include "check.h"
#include "elf/goelf.h"
#include "sym/symbolize.h"

#define PIE_BIAS 0x555500000000ULL /* where a PIE is "mapped" for the symbolizer */
#define PID 4242
#define MAX_PCS 65536
#define GO_TOOLCHAINS "/var/cache/racetrace/gomod/golang.org/toolchain@v0.0.1-"
#define GO_FETCH "sudo scripts/deps.sh (it fetches the toolchain through the Go module proxy)"

/* the lines tests/targets/go/transfer/main.go promises */
#define LINE_LOCK_FROM 17
#define LINE_LOCK_TO 18
#define LINE_UNLOCK_TO 21
#define LINE_UNLOCK_FROM 22

struct gover {
	int minor;
	const char *go[2];
	const char *install;
};

static const struct gover versions[] = {
	{ 19, { "/usr/lib/go-1.19/bin/go", "/usr/bin/go" }, "apt-get install golang-go" },
	{ 23, { "/usr/lib/go-1.23/bin/go" },
	  "apt-get install -t bookworm-backports golang-1.23-go" },
	{ 26, { GO_TOOLCHAINS "go1.26.8.linux-amd64/bin/go", "/usr/local/go/bin/go" }, GO_FETCH },
};

static char root[PATH_MAX]; /* the repository */
static char outdir[PATH_MAX + 32];

/* One frame as a reference tool printed it. */
struct ref_frame {
	char function[256];
	char file[PATH_MAX]; /* as printed: a path, or "??" */
	int line;
};

static const char *base_of(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* The repository is three levels above this binary (.output/tests/unit/test_golines). */
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
		fprintf(stderr, "test_golines: %s not found: run from the build tree\n", mod);
		return -1;
	}
	snprintf(outdir, sizeof(outdir), "%s/.output/tests/golines", root);
	if (mkdir(outdir, 0755) && errno != EEXIST)
		return -1;
	return 0;
}

static time_t mtime_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_mtime;
}

/* Run argv in dir with env (NULL: ours), output to log; 0 when it exited 0. */
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
		if (env)
			execve(argv[0], argv, env);
		else
			execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void fail_with_log(const char *log, const char *what)
{
	char buf[4096];
	FILE *f = fopen(log, "r");
	size_t n;

	while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stderr);
	if (f)
		fclose(f);
	fail_msg("%s failed (log above, in %s)", what, log);
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
		ok = fgets(line, sizeof(line), p) && (at = strstr(line, want)) &&
		     !(at[strlen(want)] >= '0' && at[strlen(want)] <= '9');
		pclose(p);
		if (ok)
			return v->go[i];
	}
	fail_msg("go1.%d is not installed (looked for %s%s%s): install it with '%s'", v->minor,
		 v->go[0], v->go[1] ? ", " : "", v->go[1] ? v->go[1] : "", v->install);
	return NULL;
}

static void go_env(char env[][PATH_MAX + 32])
{
	snprintf(env[0], PATH_MAX + 32, "GOCACHE=%s/.output/go-targets/cache", root);
	snprintf(env[1], PATH_MAX + 32, "GOPATH=%s/.output/go-targets/gopath", root);
	snprintf(env[2], PATH_MAX + 32, "GOTMPDIR=%s", outdir);
}

/* Build tests/targets/go/transfer with v (stripped: -s -w) unless a newer build is there. */
static void go_build(const struct gover *v, const char *go, bool stripped, char *out,
		     size_t outlen)
{
	static const char *const srcs[] = { "go.mod", "target/target.go", "transfer/main.go" };
	char src[PATH_MAX + 64], tmp[PATH_MAX + 64], log[PATH_MAX + 64], e[3][PATH_MAX + 32];
	time_t newest = mtime_of(go);
	size_t i;

	snprintf(out, outlen, "%s/transfer-go1.%d%s", outdir, v->minor, stripped ? "-sw" : "");
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		snprintf(src, sizeof(src), "%s/tests/targets/go/%s", root, srcs[i]);
		if (mtime_of(src) > newest)
			newest = mtime_of(src);
	}
	if (mtime_of(out) && mtime_of(out) >= newest)
		return;
	go_env(e);
	snprintf(src, sizeof(src), "%s/tests/targets/go", root);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", out, (int)getpid());
	snprintf(log, sizeof(log), "%s.log", out);
	{
		char *const env[] = { e[0], e[1], e[2], "GOTOOLCHAIN=local", "GOPROXY=off",
				      "GOFLAGS=-buildvcs=false", "GO111MODULE=on", "GOWORK=off",
				      "CGO_ENABLED=0", "GOENV=off", "HOME=/nonexistent",
				      "PATH=/usr/bin:/bin", NULL };
		char *const argv[] = { (char *)go, "build", "-o", tmp, "-ldflags",
				       stripped ? "-s -w" : "", "./transfer", NULL };

		if (run(argv, env, src, log)) {
			unlink(tmp);
			fail_with_log(log, "go build of tests/targets/go/transfer");
		}
	}
	CHECK(rename(tmp, out) == 0, "rename the built target");
}

/* A symbolizer with path mapped at its link addresses (+ PIE_BIAS for a PIE); *bias set. */
static struct rt_symbolizer *sym_of(const char *path, __u64 *bias)
{
	struct rt_symbolizer *s = rt_sym__new();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf;
	GElf_Ehdr eh;
	size_t n, i;

	CHECK(s && fd >= 0, "a symbolizer and the binary");
	CHECK(elf_version(EV_CURRENT) != EV_NONE, "libelf");
	elf = elf_begin(fd, ELF_C_READ, NULL);
	CHECK(elf && gelf_getehdr(elf, &eh) && !elf_getphdrnum(elf, &n), "read the ELF header");
	*bias = eh.e_type == ET_DYN ? PIE_BIAS : 0;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;
		__u64 start;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		start = *bias + (ph.p_vaddr & ~0xfffULL);
		/* whole pages, as the kernel maps them */
		CHECK_EQ(rt_sym__add_mapping(s, PID, start,
					     *bias + ((ph.p_vaddr + ph.p_memsz + 0xfff) & ~0xfffULL),
					     ph.p_offset & ~0xfffULL, path),
			 0, "map a segment");
	}
	elf_end(elf);
	close(fd);
	return s;
}

/* The chain of pc (a link address): rt_sym__frames() takes a return address, pc + 1. */
static int frames_at(struct rt_symbolizer *s, __u64 bias, __u64 pc, struct rt_frame *fr)
{
	int n = rt_sym__frames(s, PID, bias + pc + 1, fr, RT_SYM_MAX_INLINE);

	if (n < 1)
		fail_msg("rt_sym__frames(%#llx): %d", (unsigned long long)pc, n);
	return n;
}

struct func {
	__u64 addr, size;
	char name[256];
};

struct funcs {
	struct func v[256];
	int n;
};

static int add_main_func(void *ctx, __u64 addr, __u64 size, const char *name)
{
	struct funcs *fs = ctx;

	if (strncmp(name, "main.", 5) || fs->n >= 256)
		return 0;
	fs->v[fs->n].addr = addr;
	fs->v[fs->n].size = size;
	snprintf(fs->v[fs->n].name, sizeof(fs->v[fs->n].name), "%s", name);
	fs->n++;
	return 0;
}

/* Parse "file:line" (maybe followed by " (discriminator N)") into f. */
static void parse_pos(char *s, struct ref_frame *f)
{
	char *sp = strchr(s, ' '), *colon;

	if (sp)
		*sp = '\0';
	colon = strrchr(s, ':');
	f->line = 0;
	if (colon) {
		*colon = '\0';
		f->line = atoi(colon + 1);
	}
	snprintf(f->file, sizeof(f->file), "%s", s);
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/*
 * `go tool addr2line` over pcs: for each, the out-of-line function and the innermost
 * position, into ref[i].
 */
static void go_addr2line(const char *go, const char *bin, const __u64 *pcs, int n,
			 struct ref_frame *ref)
{
	char in[PATH_MAX + 64], cmd[4 * PATH_MAX], line[PATH_MAX + 64], e[3][PATH_MAX + 32];
	FILE *f = NULL, *p;
	int i;

	snprintf(in, sizeof(in), "%s/addrs.%d", outdir, (int)getpid());
	f = fopen(in, "w");
	CHECK(f, "write the address list");
	for (i = 0; i < n; i++)
		fprintf(f, "%#llx\n", (unsigned long long)pcs[i]);
	fclose(f);
	go_env(e);
	snprintf(cmd, sizeof(cmd), "env %s %s GOTOOLCHAIN=local GOFLAGS= %s tool addr2line %s < %s",
		 e[0], e[1], go, bin, in);
	p = popen(cmd, "r");
	CHECK(p, "run go tool addr2line");
	for (i = 0; i < n; i++) {
		if (!fgets(line, sizeof(line), p))
			break;
		chomp(line);
		snprintf(ref[i].function, sizeof(ref[i].function), "%s", line);
		if (!fgets(line, sizeof(line), p))
			break;
		chomp(line);
		parse_pos(line, &ref[i]);
	}
	CHECK(pclose(p) == 0, "go tool addr2line exits 0");
	unlink(in);
	CHECK_EQ(i, n, "go tool addr2line answered every address");
}

static void print_chain(const char *what, const struct rt_frame *fr, int n)
{
	int i;

	fprintf(stderr, "  %s:\n", what);
	for (i = 0; i < n; i++)
		fprintf(stderr, "    %s %s:%d%s\n", fr[i].function, fr[i].file, fr[i].line,
			fr[i].inlined ? " (inlined)" : "");
}

static bool same_chain(const struct rt_frame *a, int na, const struct rt_frame *b, int nb)
{
	int i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i].function, b[i].function) || strcmp(a[i].file, b[i].file) ||
		    a[i].line != b[i].line || a[i].inlined != b[i].inlined)
			return false;
	return true;
}

/* Does the chain end with [inner..., sync.(*Mutex).NAME (mutex.go), main.transfer:line]? */
static bool is_mutex_call(const struct rt_frame *fr, int n, const char *name, int minor,
			  int line)
{
	char want[64];
	int k = n - 2;

	snprintf(want, sizeof(want), "sync.(*Mutex).%s", name);
	if (n < 2 || strcmp(fr[n - 1].function, "main.transfer") || fr[n - 1].line != line ||
	    fr[n - 1].inlined || strcmp(fr[k].function, want) || !fr[k].inlined ||
	    strcmp(fr[k].file, "mutex.go") || fr[k].line <= 0)
		return false;
	/* go1.24+: sync.Mutex wraps internal/sync.Mutex, whose Lock is inlined too */
	if (minor >= 24 && !strcmp(name, "Lock"))
		return k == 1 && !strcmp(fr[0].function, "internal/sync.(*Mutex).Lock") &&
		       fr[0].inlined && !strcmp(fr[0].file, "mutex.go") && fr[0].line > 0;
	return k == 0 || minor >= 24;
}

static void check_go(int minor)
{
	static struct rt_frame fr[RT_SYM_MAX_INLINE], sf[RT_SYM_MAX_INLINE];
	static __u64 pcs[MAX_PCS];
	static struct ref_frame ref[MAX_PCS];
	const struct gover *v = NULL;
	char full[PATH_MAX], strip[PATH_MAX], err[256];
	bool lock_from = false, lock_to = false, unlock_to = false, unlock_from = false;
	struct rt_symbolizer *sd, *ss;
	struct rt_goelf *g;
	struct funcs fs = { .n = 0 };
	__u64 bd, bs;
	int i, k, ns, npc = 0, inlined = 0, padding = 0;
	const char *go;
	size_t j;

	for (j = 0; j < sizeof(versions) / sizeof(versions[0]); j++)
		if (versions[j].minor == minor)
			v = &versions[j];
	CHECK(v, "a toolchain of the list");
	go = go_of(v);
	go_build(v, go, false, full, sizeof(full));
	go_build(v, go, true, strip, sizeof(strip));
	g = rt_goelf__open(strip, err, sizeof(err));
	if (!g)
		fail_msg("rt_goelf__open(%s): %s", strip, err);
	CHECK_EQ(rt_goelf__foreach_func(g, add_main_func, &fs), 0, "list the functions");
	CHECK(fs.n >= 3, "main.main, main.transfer and the goroutines' closures");
	for (i = 0; i < fs.n; i++)
		/* pc + 1 stays inside the function: the last byte of the text may end the segment */
		for (j = 0; j + 1 < fs.v[i].size && npc < MAX_PCS; j++)
			pcs[npc++] = fs.v[i].addr + j;
	go_addr2line(go, strip, pcs, npc, ref);
	sd = sym_of(full, &bd);
	ss = sym_of(strip, &bs);
	CHECK_EQ(bd, 0, "Go binaries are not PIEs here");
	for (i = 0; i < npc; i++) {
		const char *file;
		int line, nd;

		/* the padding up to the next function: in no function of .symtab, no line */
		if (ref[i].line <= 0) {
			padding++;
			continue;
		}
		nd = frames_at(sd, bd, pcs[i], fr);
		ns = frames_at(ss, bs, pcs[i], sf);

		if (!same_chain(fr, nd, sf, ns)) {
			print_chain("DWARF", fr, nd);
			print_chain(".gopclntab", sf, ns);
			fail_msg("go1.%d %#llx: the stripped build's chain differs", minor,
				 (unsigned long long)pcs[i]);
		}
		if (strcmp(fr[nd - 1].function, ref[i].function) ||
		    strcmp(fr[0].file, base_of(ref[i].file)) || fr[0].line != ref[i].line) {
			print_chain("rt_sym__frames", fr, nd);
			fail_msg("go1.%d %#llx: go tool addr2line says %s %s:%d", minor,
				 (unsigned long long)pcs[i], ref[i].function, ref[i].file,
				 ref[i].line);
		}
		for (k = 0; k < nd - 1; k++)
			CHECK(fr[k].inlined, "every frame but the last is inlined");
		CHECK(!fr[nd - 1].inlined, "the last frame is the out-of-line function");
		CHECK_EQ(rt_goelf__line(g, pcs[i], &file, &line), 0, "rt_goelf__line");
		CHECK_STR(file, ref[i].file, "rt_goelf__line: the path go tool addr2line prints");
		CHECK_EQ(line, ref[i].line, "rt_goelf__line: the line go tool addr2line prints");
		inlined += nd > 1;
		if (!strcmp(fr[nd - 1].function, "main.transfer") && nd > 1 &&
		    !strcmp(fr[nd - 2].function, "sync.(*Mutex).Lock"))
			CHECK(fr[nd - 1].line == LINE_LOCK_FROM || fr[nd - 1].line == LINE_LOCK_TO,
			      "sync.(*Mutex).Lock is inlined only at lines 17 and 18");
		lock_from |= is_mutex_call(fr, nd, "Lock", minor, LINE_LOCK_FROM);
		lock_to |= is_mutex_call(fr, nd, "Lock", minor, LINE_LOCK_TO);
		unlock_to |= is_mutex_call(fr, nd, "Unlock", minor, LINE_UNLOCK_TO);
		unlock_from |= is_mutex_call(fr, nd, "Unlock", minor, LINE_UNLOCK_FROM);
	}
	fprintf(stderr, "go1.%d: %d addresses of %d main.* functions checked (%d of padding "
		"left out), %d in inlined code\n", minor, npc - padding, fs.n, padding, inlined);
	CHECK(padding < npc / 4, "most addresses are code");
	CHECK(lock_from, "from.mu.Lock(): sync.(*Mutex).Lock inlined into main.transfer:17");
	CHECK(lock_to, "to.mu.Lock(): sync.(*Mutex).Lock inlined into main.transfer:18");
	CHECK(unlock_to, "to.mu.Unlock(): sync.(*Mutex).Unlock inlined into main.transfer:21");
	CHECK(unlock_from, "from.mu.Unlock(): sync.(*Mutex).Unlock inlined at main.transfer:22");
	rt_sym__free(sd);
	rt_sym__free(ss);
	rt_goelf__free(g);
}

static void test_go119(void **state)
{
	(void)state;
	check_go(19);
}

static void test_go123(void **state)
{
	(void)state;
	check_go(23);
}

static void test_go126(void **state)
{
	(void)state;
	check_go(26);
}

/* ---- C: static inline helpers at -O2 ---- */

/* Build tests/targets/inline_locks.c as the Makefile builds targets, and a stripped copy. */
static void c_build(char *full, char *strip, size_t len)
{
	char src[PATH_MAX + 64], inc[PATH_MAX + 64], log[PATH_MAX + 64];

	snprintf(src, sizeof(src), "%s/tests/targets/inline_locks.c", root);
	snprintf(inc, sizeof(inc), "-I%s/tests/targets", root);
	snprintf(full, len, "%s/inline_locks", outdir);
	snprintf(strip, len, "%s/inline_locks-stripped", outdir);
	snprintf(log, sizeof(log), "%s/inline_locks.log", outdir);
	{
		char *const cc[] = { "/usr/bin/cc", "-g", "-O2", "-fno-omit-frame-pointer",
				     "-pthread", inc, src, "-o", full, NULL };
		char *const st[] = { "/usr/bin/strip", "-o", strip, full, NULL };

		if (run(cc, NULL, outdir, log))
			fail_with_log(log, "cc -O2 tests/targets/inline_locks.c");
		if (run(st, NULL, outdir, log))
			fail_with_log(log, "strip inline_locks");
	}
}

/* `addr2line -i -f -a` at pc: the chain, innermost first; returns its length. */
static int c_addr2line(const char *bin, __u64 pc, struct ref_frame *ref, int max)
{
	char cmd[2 * PATH_MAX], fn[512], pos[PATH_MAX + 64];
	int n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "addr2line -i -f -a -e %s %#llx", bin, (unsigned long long)pc);
	p = popen(cmd, "r");
	CHECK(p, "run addr2line");
	CHECK(fgets(fn, sizeof(fn), p) && !strncmp(fn, "0x", 2), "addr2line echoes the address");
	while (n < max && fgets(fn, sizeof(fn), p) && fgets(pos, sizeof(pos), p)) {
		chomp(fn);
		chomp(pos);
		snprintf(ref[n].function, sizeof(ref[n].function), "%s", fn);
		parse_pos(pos, &ref[n]);
		n++;
	}
	CHECK(pclose(p) == 0, "addr2line exits 0");
	return n;
}

/* The [start, end) of function name in bin, from nm. */
static void nm_range(const char *bin, const char *name, __u64 *start, __u64 *end)
{
	char cmd[PATH_MAX + 64], line[512], n[256], t;
	unsigned long long a, s;
	FILE *p;

	*start = *end = 0;
	snprintf(cmd, sizeof(cmd), "nm -S --defined-only %s", bin);
	p = popen(cmd, "r");
	CHECK(p, "run nm");
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "%llx %llx %c %255s", &a, &s, &t, n) == 4 && !strcmp(n, name)) {
			*start = a;
			*end = a + s;
		}
	pclose(p);
	if (!*end)
		fail_msg("%s not found in %s by nm", name, bin);
}

/* The line of the source marked "LOCK_SITE what". */
static int marked_line(const char *what)
{
	char path[PATH_MAX + 64], line[512], mark[128];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/targets/inline_locks.c", root);
	snprintf(mark, sizeof(mark), "/* LOCK_SITE %s */", what);
	f = fopen(path, "r");
	CHECK(f, "read inline_locks.c");
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, mark)) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	fail_msg("no '%s' line in inline_locks.c", mark);
	return 0;
}

static void test_c_inline(void **state)
{
	static const char *const funcs[] = { "transfer", "thread_ab", "thread_ba" };
	int l_take = marked_line("take"), l_acct = marked_line("lock_account");
	int l_from = marked_line("transfer from"), l_to = marked_line("transfer to");
	struct rt_frame fr[RT_SYM_MAX_INLINE], sf[RT_SYM_MAX_INLINE];
	struct ref_frame ref[RT_SYM_MAX_INLINE];
	char full[PATH_MAX + 64], strip[PATH_MAX + 64];
	struct rt_symbolizer *sd, *ss;
	bool seen_from = false, seen_to = false;
	int checked = 0, inlined = 0;
	__u64 bd, bs, start, end, pc;
	size_t f;

	(void)state;
	c_build(full, strip, sizeof(full));
	sd = sym_of(full, &bd);
	ss = sym_of(strip, &bs);
	for (f = 0; f < sizeof(funcs) / sizeof(funcs[0]); f++) {
		nm_range(full, funcs[f], &start, &end);
		for (pc = start; pc < end; pc++) {
			int nd = frames_at(sd, bd, pc, fr), ns = frames_at(ss, bs, pc, sf);
			int nr = c_addr2line(full, pc, ref, RT_SYM_MAX_INLINE), k;

			if (nr != nd) {
				print_chain("rt_sym__frames", fr, nd);
				fail_msg("%#llx: addr2line -i gives %d frames, we %d",
					 (unsigned long long)pc, nr, nd);
			}
			for (k = 0; k < nd; k++) {
				if (strcmp(fr[k].function, ref[k].function) ||
				    strcmp(fr[k].file, base_of(ref[k].file)) ||
				    fr[k].line != ref[k].line || fr[k].inlined != (k < nd - 1)) {
					print_chain("rt_sym__frames", fr, nd);
					fail_msg("%#llx frame %d: addr2line -i says %s %s:%d",
						 (unsigned long long)pc, k, ref[k].function,
						 ref[k].file, ref[k].line);
				}
			}
			CHECK_EQ(ns, 1, "stripped: one frame");
			CHECK(!sf[0].function[0] && !sf[0].file[0] && !sf[0].line && !sf[0].inlined,
			      "stripped: no function, no line, not inlined");
			checked++;
			inlined += nd > 1;
			if (nd == 3 && !strcmp(fr[0].function, "take") && fr[0].line == l_take &&
			    !strcmp(fr[1].function, "lock_account") && fr[1].line == l_acct &&
			    !strcmp(fr[2].function, "transfer")) {
				seen_from |= fr[2].line == l_from;
				seen_to |= fr[2].line == l_to;
			}
		}
	}
	fprintf(stderr, "inline_locks: %d addresses checked, %d in inlined code\n", checked,
		inlined);
	CHECK(seen_from, "take in lock_account in transfer, at the first lock call");
	CHECK(seen_to, "take in lock_account in transfer, at the second lock call");
	rt_sym__free(sd);
	rt_sym__free(ss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go119),
		cmocka_unit_test(test_go123),
		cmocka_unit_test(test_go126),
		cmocka_unit_test(test_c_inline),
	};

	return cmocka_run_group_tests(tests, find_root, NULL);
}
