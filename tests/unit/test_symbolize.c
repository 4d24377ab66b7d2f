// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the symbolizer (user/sym/symbolize.c), on this very binary (built with -g) and the
 * libraries it has mapped: a noinline function here must come back with its name, this file and
 * a line inside it; malloc in libc with its name; an unmapped address with -ENOENT. Then the
 * untrusted side: truncated and garbage ELF files added by hand give "module+0x..." and no
 * crash (ASan and UBSan watch), a mapped-then-deleted file and a file replaced after its process
 * exited are marked deleted, and older snapshots are kept while the newest mapping wins. The
 * report's hint: only printed frames without a function name, in a file that was read, name
 * their module, once.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "check.h"
#include "sym/symbolize.h"

#define FN_OFF 8	 /* bytes into probe_target: a "return address" inside it */
#define FAKE_START 0x10000ULL
#define FAKE_END 0x20000ULL
#define FAKE_OFF 0x123ULL /* module offset of the address we ask about in fake mappings */
#define FAKE_PID 4242

/* The function we symbolize; the enums bracket its lines. */
enum { PROBE_FIRST_LINE = __LINE__ };
__attribute__((noinline, noclone, used)) static int probe_target(volatile int *p, int n)
{
	int i, sum = 0;

	for (i = 0; i < n; i++)
		sum += p[i % 4] * (i + 1);
	return sum;
}
enum { PROBE_LAST_LINE = __LINE__ };

static struct rt_symbolizer *sym;

static int setup(void **state)
{
	sym = rt_sym__new();
	return sym ? 0 : -1;
}

static int teardown(void **state)
{
	rt_sym__free(sym);
	sym = NULL;
	return 0;
}

static const char *base_of(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

static void self_exe(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	CHECK(n > 0, "readlink /proc/self/exe");
	buf[n] = '\0';
}

/* Read a whole file into a malloc'ed buffer. */
static unsigned char *slurp(const char *path, size_t *len)
{
	unsigned char *p = NULL;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open file to copy");
	CHECK(!fstat(fd, &st), "fstat file to copy");
	p = malloc(st.st_size ? st.st_size : 1);
	CHECK(p != NULL, "malloc copy");
	CHECK_EQ(pread(fd, p, st.st_size, 0), st.st_size, "read file to copy");
	close(fd);
	*len = st.st_size;
	return p;
}

/* Write len bytes of p to a new temp file; its path goes to path. */
static void write_temp(char *path, size_t plen, const char *tag, const void *p, size_t len)
{
	int fd;

	snprintf(path, plen, "/tmp/rt_sym_%s_XXXXXX", tag);
	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp");
	CHECK_EQ(write(fd, p, len), len, "write temp file");
	close(fd);
}

static void test_own_function(void **state)
{
	__u64 addr = (__u64)(uintptr_t)probe_target + FN_OFF;
	char exe[PATH_MAX], buf[512], want[512];
	struct rt_frame f;
	volatile int v[4] = { 1, 2, 3, 4 };

	CHECK_EQ(probe_target(v, 4), 30, "probe_target runs");
	self_exe(exe, sizeof(exe));
	CHECK_EQ(rt_sym__load_maps(sym, getpid()), 0, "load_maps self");
	CHECK_EQ(rt_sym__frame(sym, getpid(), addr, &f), 0, "frame of probe_target");
	CHECK_EQ(f.addr, addr, "frame addr");
	CHECK_STR(f.module, base_of(exe), "module is the test binary");
	CHECK_STR(f.function, "probe_target", "function name");
	CHECK_EQ(f.offset, FN_OFF, "offset from the function start");
	CHECK_STR(f.file, "test_symbolize.c", "source file");
	CHECK(f.line >= PROBE_FIRST_LINE && f.line <= PROBE_LAST_LINE, "line inside probe_target");
	CHECK(!f.deleted, "not deleted");

	snprintf(want, sizeof(want), "probe_target+0x%x (test_symbolize.c:%d)", FN_OFF, f.line);
	CHECK_STR(rt_sym__format(sym, getpid(), addr, buf, sizeof(buf)), want, "format with line");
	/* the second time comes from the cache and must be the same */
	CHECK_STR(rt_sym__format(sym, getpid(), addr, buf, sizeof(buf)), want, "format cached");
	CHECK(rt_sym__format(sym, getpid(), addr, buf, 0) == NULL, "format into no room");
	CHECK_STR(rt_sym__format(sym, getpid(), addr, buf, 8), "probe_t", "format truncates");
}

static void test_libc_malloc(void **state)
{
	void *h, *fn;
	char buf[512];
	struct rt_frame f;
	__u64 addr;

	/* our malloc is ASan's; ask libc for its own */
	h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	CHECK(h != NULL, "libc.so.6 is loaded");
	fn = dlsym(h, "malloc");
	CHECK(fn != NULL, "dlsym libc malloc");
	addr = (__u64)(uintptr_t)fn + 4;
	CHECK_EQ(rt_sym__load_maps(sym, getpid()), 0, "load_maps self");
	CHECK_EQ(rt_sym__frame(sym, getpid(), addr, &f), 0, "frame of libc malloc");
	CHECK_STR(f.module, "libc.so.6", "libc module");
	CHECK_STR(f.function, "malloc", "libc function (alias choice)");
	CHECK_EQ(f.offset, 4, "offset in malloc");
	CHECK(!f.deleted, "libc not deleted");
	CHECK(rt_sym__format(sym, getpid(), addr, buf, sizeof(buf)) != NULL, "format libc");
	CHECK(!strncmp(buf, "malloc+0x4 (", 12), "format libc starts with malloc+0x4");
	dlclose(h);
}

/* A library without debug info here: "function+0x4 (module)", or with lines if someone has them. */
static void test_dynsym_only(void **state)
{
	char buf[512], want[512];
	struct rt_frame f;
	Dl_info info;
	void *h, *fn;
	__u64 addr;

	h = dlopen("libcmocka.so.0", RTLD_NOW | RTLD_NOLOAD);
	CHECK(h != NULL, "libcmocka.so.0 is loaded");
	fn = dlsym(h, "_cmocka_run_group_tests");
	CHECK(fn != NULL, "dlsym _cmocka_run_group_tests");
	CHECK(dladdr(fn, &info) && info.dli_fname, "dladdr cmocka");
	addr = (__u64)(uintptr_t)fn + 4;
	CHECK_EQ(rt_sym__load_maps(sym, getpid()), 0, "load_maps self");
	CHECK_EQ(rt_sym__frame(sym, getpid(), addr, &f), 0, "frame in cmocka");
	CHECK_STR(f.function, "_cmocka_run_group_tests", "cmocka function from .dynsym");
	CHECK_EQ(f.offset, 4, "offset in cmocka function");
	if (f.line)
		snprintf(want, sizeof(want), "_cmocka_run_group_tests+0x4 (%s:%d)", f.file, f.line);
	else
		snprintf(want, sizeof(want), "_cmocka_run_group_tests+0x4 (%s)", f.module);
	CHECK_STR(rt_sym__format(sym, getpid(), addr, buf, sizeof(buf)), want, "format cmocka");
	dlclose(h);
}

static void test_unknown_address(void **state)
{
	char buf[64] = "untouched";
	struct rt_frame f;

	CHECK_EQ(rt_sym__load_maps(sym, getpid()), 0, "load_maps self");
	memset(&f, 0xaa, sizeof(f));
	CHECK_EQ(rt_sym__frame(sym, getpid(), 0x10, &f), -ENOENT, "unmapped address");
	CHECK_EQ(f.addr, 0x10, "addr filled anyway");
	CHECK_STR(f.module, "", "no module");
	CHECK_STR(f.function, "", "no function");
	CHECK_EQ(f.line, 0, "no line");
	CHECK(rt_sym__format(sym, getpid(), 0x10, buf, sizeof(buf)) == NULL, "format unknown");
	/* a pid we never loaded */
	CHECK_EQ(rt_sym__frame(sym, FAKE_PID, (__u64)(uintptr_t)probe_target, &f), -ENOENT,
		 "unknown pid");
}

static void test_bad_args(void **state)
{
	pid_t child;
	int status;

	CHECK_EQ(rt_sym__add_mapping(sym, 1, 0x2000, 0x1000, 0, "/x"), -EINVAL, "empty range");
	CHECK_EQ(rt_sym__add_mapping(sym, 1, 0x1000, 0x2000, 0, ""), -EINVAL, "empty path");
	CHECK_EQ(rt_sym__add_mapping(sym, 1, 0x1000, 0x2000, 0, NULL), -EINVAL, "NULL path");
	CHECK_EQ(rt_sym__load_maps(sym, 0), -EINVAL, "pid 0");
	CHECK_EQ(rt_sym__load_maps(NULL, 1), -EINVAL, "NULL symbolizer");
	rt_sym__free(NULL);

	child = fork();
	CHECK(child >= 0, "fork");
	if (!child)
		_exit(0);
	CHECK_EQ(waitpid(child, &status, 0), child, "reap child");
	CHECK_EQ(rt_sym__load_maps(sym, child), -ESRCH, "process gone");
}

/* Hand-added mapping of a file that cannot be parsed: module+offset, never a crash. */
static void check_fake_module(const char *path, const char *what)
{
	struct rt_symbolizer *s = rt_sym__new();
	char buf[512], want[512];
	struct rt_frame f;
	int i;

	CHECK(s != NULL, "new symbolizer");
	CHECK_EQ(rt_sym__add_mapping(s, FAKE_PID, FAKE_START, FAKE_END, 0, path), 0, what);
	/* twice, and around the interesting offset: first lookups open, later ones hit the cache */
	for (i = 0; i < 2; i++) {
		CHECK_EQ(rt_sym__frame(s, FAKE_PID, FAKE_START + FAKE_OFF, &f), 0, what);
		CHECK_STR(f.module, base_of(path), what);
		CHECK_EQ(f.offset, FAKE_OFF, what);
		CHECK_STR(f.function, "", what);
		CHECK(!f.deleted, what);
	}
	CHECK_EQ(rt_sym__frame(s, FAKE_PID, FAKE_START, &f), 0, what);
	CHECK_EQ(rt_sym__frame(s, FAKE_PID, FAKE_END - 1, &f), 0, what);
	CHECK_EQ(rt_sym__frame(s, FAKE_PID, FAKE_END, &f), -ENOENT, what);
	snprintf(want, sizeof(want), "%s+0x%llx", base_of(path), FAKE_OFF);
	CHECK_STR(rt_sym__format(s, FAKE_PID, FAKE_START + FAKE_OFF, buf, sizeof(buf)), want,
		  what);
	rt_sym__free(s);
}

static void test_truncated_elf(void **state)
{
	/* cut inside the ELF header, the program headers, the text, and before the sections */
	size_t cuts[] = { 0, 1, 16, 63, 64, 100, 0x123, 0x400, 0x1000, 0x2000 };
	char exe[PATH_MAX], path[64], what[128];
	unsigned char *img;
	size_t len, i;

	self_exe(exe, sizeof(exe));
	img = slurp(exe, &len);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]) + 2; i++) {
		size_t cut = i < sizeof(cuts) / sizeof(cuts[0]) ? cuts[i] : len / (i == 10 ? 2 : 3);

		cut = cut < len ? cut : len;
		write_temp(path, sizeof(path), "trunc", img, cut);
		snprintf(what, sizeof(what), "truncated at %zu of %zu", cut, len);
		check_fake_module(path, what);
		unlink(path);
	}
	free(img);
}

static void test_garbage_elf(void **state)
{
	char exe[PATH_MAX], path[64], what[128];
	unsigned char *img, *bad;
	size_t len, i, k;
	unsigned int seed = 12345;

	/* not ELF at all */
	bad = malloc(4096);
	CHECK(bad != NULL, "malloc garbage");
	for (i = 0; i < 4096; i++)
		bad[i] = (unsigned char)rand_r(&seed);
	write_temp(path, sizeof(path), "rand", bad, 4096);
	check_fake_module(path, "random bytes");
	unlink(path);
	free(bad);

	/*
	 * The real binary with its section headers and the start of its sections scribbled on:
	 * the program headers stay intact, so the ELF loads; symbols and lines may or may not
	 * survive, so only "no crash" and the module are checked.
	 */
	self_exe(exe, sizeof(exe));
	img = slurp(exe, &len);
	for (k = 0; k < 8; k++) {
		struct rt_symbolizer *s = rt_sym__new();
		char buf[512];
		struct rt_frame f;

		CHECK(s != NULL, "new symbolizer");
		bad = malloc(len);
		CHECK(bad != NULL, "malloc copy");
		memcpy(bad, img, len);
		for (i = 0; i < 64; i++) {
			size_t at = 0x200 + rand_r(&seed) % (len - 0x200);

			bad[at] = (unsigned char)rand_r(&seed);
		}
		/* every fourth copy: also scribble over the section header table */
		if (k % 4 == 3 && len > 0x1000)
			memset(bad + len - 0x800, 0xff, 0x800);
		write_temp(path, sizeof(path), "scribble", bad, len);
		snprintf(what, sizeof(what), "scribbled copy %zu", k);
		CHECK_EQ(rt_sym__add_mapping(s, FAKE_PID, FAKE_START, FAKE_START + len, 0, path), 0,
			 what);
		for (i = 0; i < 64; i++) {
			__u64 a = FAKE_START + rand_r(&seed) % len;

			CHECK_EQ(rt_sym__frame(s, FAKE_PID, a, &f), 0, what);
			CHECK_STR(f.module, base_of(path), what);
			CHECK(rt_sym__format(s, FAKE_PID, a, buf, sizeof(buf)) != NULL, what);
		}
		rt_sym__free(s);
		unlink(path);
		free(bad);
	}
	free(img);
}

/* A file that is not even regular, and one that does not exist: module+offset, no hang. */
static void test_unopenable(void **state)
{
	char dir[] = "/tmp/rt_sym_fifo_XXXXXX", fifo[64];

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	CHECK_EQ(mkfifo(fifo, 0600), 0, "mkfifo");
	check_fake_module(fifo, "a FIFO");
	unlink(fifo);
	rmdir(dir);
	check_fake_module("/nonexistent/rt_sym/libgone.so", "a missing file");
}

static void test_old_mappings_kept(void **state)
{
	struct rt_frame f;

	CHECK_EQ(rt_sym__add_mapping(sym, getpid(), FAKE_START, FAKE_END, 0, "/nonexistent/a.so"),
		 0, "add a.so");
	CHECK_EQ(rt_sym__load_maps(sym, getpid()), 0, "load_maps self");
	CHECK_EQ(rt_sym__frame(sym, getpid(), FAKE_START + 1, &f), 0, "old mapping kept");
	CHECK_STR(f.module, "a.so", "old module");

	/* a newer mapping over the same range wins; an older one shows again once re-added */
	CHECK_EQ(rt_sym__add_mapping(sym, getpid(), FAKE_START, FAKE_END, 0, "/nonexistent/b.so"),
		 0, "add b.so");
	CHECK_EQ(rt_sym__frame(sym, getpid(), FAKE_START + 1, &f), 0, "newest mapping");
	CHECK_STR(f.module, "b.so", "newest module");
	CHECK_EQ(rt_sym__add_mapping(sym, getpid(), FAKE_START, FAKE_END, 0, "/nonexistent/a.so"),
		 0, "add a.so again");
	CHECK_EQ(rt_sym__frame(sym, getpid(), FAKE_START + 1, &f), 0, "re-added mapping");
	CHECK_STR(f.module, "a.so", "re-added module");
	/* other processes do not see it */
	CHECK_EQ(rt_sym__frame(sym, FAKE_PID, FAKE_START + 1, &f), -ENOENT, "other pid");
}

/* Map a copy of this binary, delete it, snapshot: the mapping says "(deleted)". */
static void test_deleted_file(void **state)
{
	char exe[PATH_MAX], path[64], buf[512];
	struct rt_frame f;
	unsigned char *img;
	void *map;
	size_t len;
	int fd;

	self_exe(exe, sizeof(exe));
	img = slurp(exe, &len);
	write_temp(path, sizeof(path), "deleted", img, len);
	free(img);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open copy");
	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(map != MAP_FAILED, "mmap copy");
	close(fd);
	CHECK_EQ(unlink(path), 0, "unlink copy");

	CHECK_EQ(rt_sym__load_maps(sym, getpid()), 0, "load_maps self");
	CHECK_EQ(rt_sym__frame(sym, getpid(), (__u64)(uintptr_t)map + FAKE_OFF, &f), 0,
		 "frame in deleted file");
	CHECK_STR(f.module, base_of(path), "deleted module name");
	CHECK(f.deleted, "marked deleted");
	CHECK(rt_sym__format(sym, getpid(), (__u64)(uintptr_t)map + FAKE_OFF, buf, sizeof(buf)),
	      "format deleted");
	CHECK(strstr(buf, " (deleted)") != NULL, "format says deleted");
	munmap(map, len);
}

/*
 * A child maps a file and exits; the file is then replaced (new inode at the same path). The
 * mapping from the snapshot now opens a different file: marked deleted.
 */
static void test_replaced_file(void **state)
{
	char exe[PATH_MAX], path[64], other[80];
	int to_child[2], from_child[2], status;
	unsigned char *img;
	__u64 addr = 0;
	struct rt_frame f;
	size_t len;
	pid_t child;

	self_exe(exe, sizeof(exe));
	img = slurp(exe, &len);
	write_temp(path, sizeof(path), "replaced", img, len);
	CHECK(!pipe(to_child) && !pipe(from_child), "pipes");
	child = fork();
	CHECK(child >= 0, "fork");
	if (!child) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		void *map = fd >= 0 ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
		__u64 a = map == MAP_FAILED ? 0 : (__u64)(uintptr_t)map;
		char c;

		close(to_child[1]);
		close(from_child[0]);
		if (write(from_child[1], &a, sizeof(a)) != sizeof(a))
			_exit(1);
		if (read(to_child[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(to_child[0]);
	close(from_child[1]);
	CHECK_EQ(read(from_child[0], &addr, sizeof(addr)), sizeof(addr), "child mapped");
	CHECK(addr != 0, "child mmap");
	CHECK_EQ(rt_sym__load_maps(sym, child), 0, "load_maps child");
	close(to_child[1]);
	close(from_child[0]);
	CHECK_EQ(waitpid(child, &status, 0), child, "reap child");

	/* replace: a new file renamed over the old path */
	snprintf(other, sizeof(other), "%s.new", path);
	{
		int fd = open(other, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		CHECK(fd >= 0, "create replacement");
		CHECK_EQ(write(fd, img, len), len, "write replacement");
		close(fd);
	}
	CHECK_EQ(rename(other, path), 0, "rename over");
	free(img);

	CHECK_EQ(rt_sym__frame(sym, child, addr + FAKE_OFF, &f), 0, "frame in replaced file");
	CHECK_STR(f.module, base_of(path), "replaced module name");
	CHECK(f.deleted, "replaced is marked deleted");
	unlink(path);
}

/* Collects rt_sym__foreach_unsymbolized() names as "a,b," */
static int collect_name(void *ctx, const char *name)
{
	char *buf = ctx;

	strncat(buf, name, 255 - strlen(buf));
	strncat(buf, ",", 255 - strlen(buf));
	return 0;
}

static void test_unsymbolized(void **state)
{
	__u64 named = (__u64)(uintptr_t)probe_target + FN_OFF;
	char exe[PATH_MAX], names[256] = "", want[PATH_MAX + 1], buf[512];
	struct rt_symbolizer *s;
	struct rt_frame f;

	CHECK_EQ(rt_sym__load_maps(sym, getpid()), 0, "load_maps self");
	CHECK(rt_sym__format(sym, getpid(), named, buf, sizeof(buf)) != NULL, "format named");
	CHECK_EQ(rt_sym__frame(sym, getpid(), 0x10, &f), -ENOENT, "unmapped address");
	rt_sym__foreach_unsymbolized(sym, collect_name, names);
	CHECK_STR(names, "", "named frames and unmapped addresses are not listed");

	/* this binary mapped by hand: its ELF header is code in no function */
	self_exe(exe, sizeof(exe));
	s = rt_sym__new();
	CHECK(s != NULL, "new symbolizer");
	CHECK_EQ(rt_sym__add_mapping(s, FAKE_PID, FAKE_START, FAKE_END, 0, exe), 0, "map self");
	CHECK_EQ(rt_sym__add_mapping(s, FAKE_PID, FAKE_END, FAKE_END + 0x1000, 0,
				     "/nonexistent/rt_sym/libgone.so"), 0, "map a missing file");
	CHECK_EQ(rt_sym__go_class(s, FAKE_PID, FAKE_START + 0x10), -ENOENT,
		 "go_class: no function");
	CHECK_EQ(rt_sym__frame(s, FAKE_PID, FAKE_END + 0x10, &f), 0, "frame in a missing file");
	rt_sym__foreach_unsymbolized(s, collect_name, names);
	CHECK_STR(names, "", "engine lookups and unreadable files are not listed");

	CHECK_EQ(rt_sym__frame(s, FAKE_PID, FAKE_START + 0x10, &f), 0, "frame in the ELF header");
	CHECK_STR(f.function, "", "no function in the ELF header");
	snprintf(want, sizeof(want), "%s+0x10", base_of(exe));
	CHECK_STR(rt_sym__format(s, FAKE_PID, FAKE_START + 0x10, buf, sizeof(buf)), want,
		  "module+offset");
	CHECK(rt_sym__format(s, FAKE_PID, FAKE_START + 0x20, buf, sizeof(buf)) != NULL, "format");
	rt_sym__foreach_unsymbolized(s, collect_name, names);
	snprintf(want, sizeof(want), "%s,", base_of(exe));
	CHECK_STR(names, want, "the module of frames without a function, once");
	rt_sym__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_own_function, setup, teardown),
		cmocka_unit_test_setup_teardown(test_libc_malloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dynsym_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test(test_truncated_elf),
		cmocka_unit_test(test_garbage_elf),
		cmocka_unit_test(test_unopenable),
		cmocka_unit_test_setup_teardown(test_old_mappings_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaced_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsymbolized, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
