// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the Go binary reader (user/elf/goelf.c): the executable of a traced process
 * is untrusted. Each input is written to a temp file and opened with rt_goelf__open(); when it
 * opens, every query runs on it from every source: functions by name (then their return
 * instructions, and file:line and the inline chain at three of their pcs), inlined sites (then
 * their atomic instruction), struct offsets. Crashes, leaks
 * and sanitizer reports are the findings; the aborts below catch broken contracts (a version
 * that is not a terminated string, a count below zero that is not an errno, a site, function
 * or atomic outside the file, a ret offset outside its function, unsorted sites, an inline
 * chain longer than asked or not ending in its one out-of-line frame).
 *
 * Seeds in tests/fuzz/corpus/goelf/ are the synthetic binaries of tests/unit/test_goelf.c
 * (go1.19, go1.21 and go1.23 layouts: build info, a .gopclntab with three functions, inline
 * trees with a nested inlining, a moduledata), a few KiB each so that mutations land in the
 * tables. Regenerate them with
 *   RT_GOELF_WRITE_SEEDS=tests/fuzz/corpus/goelf .output/tests/unit/test_goelf
 * tests/fuzz/run.sh also runs this target from real binaries (a small program built by every
 * Go release of the e2e tests, normal and stripped: .output/go-targets), not committed here:
 * they are MiBs each and come from the toolchains.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elf/goelf.h"

#define MAX_OUT 16

static char path[64];

static void remove_temp(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "/tmp/rt_fuzz_goelf.%d", (int)getpid());
	atexit(remove_temp);
	return 0;
}

static void check_func(struct rt_goelf *g, const struct rt_go_func *f, size_t size)
{
	__u32 offs[MAX_OUT];
	int n, i;

	if (f->off >= size)
		abort();
	n = rt_goelf__returns(g, f, offs, MAX_OUT);
	if (n < 0 && n != -EINVAL && n != -ENOMEM)
		abort();
	for (i = 0; i < n && i < MAX_OUT; i++)
		if (offs[i] >= f->size || (i && offs[i] <= offs[i - 1]))
			abort();
}

static void check_sites(struct rt_goelf *g, const char *name, enum rt_go_src src, size_t size)
{
	struct rt_go_site s[MAX_OUT];
	int n, i;

	n = rt_goelf__inlined(g, name, src, s, MAX_OUT);
	if (n < 0 && n != -ENODATA && n != -ENOMEM && n != -EINVAL && n != -E2BIG)
		abort();
	for (i = 0; i < n && i < MAX_OUT; i++) {
		struct rt_go_atomic a;
		int rc;

		if (s[i].off >= size || s[i].end <= s[i].addr || (i && s[i].addr <= s[i - 1].addr))
			abort();
		rc = rt_goelf__site_atomic(g, &s[i], i % 3, &a);
		if (!rc && (a.off >= size || a.next_off > size || a.next <= a.addr ||
			    (i % 3 && a.op != (__u32)(i % 3))))
			abort();
		if (rc && rc != -ENOENT && rc != -EINVAL && rc != -ENOMEM)
			abort();
	}
}

/* The string is NUL-terminated within the file's bytes or NULL. */
static void check_str(const char *str)
{
	if (str && !memchr(str, '\0', 4097))
		abort();
}

/* File:line and the inline chain at a few pcs of function f (entry, middle, last byte). */
static void check_lines(struct rt_goelf *g, const struct rt_go_func *f)
{
	__u64 pcs[] = { f->addr, f->addr + f->size / 2, f->addr + (f->size ? f->size - 1 : 0) };
	size_t i;

	for (i = 0; i < sizeof(pcs) / sizeof(pcs[0]); i++) {
		struct rt_go_frame fr[MAX_OUT];
		const char *file = NULL;
		int line = -1, n, k, rc;

		rc = rt_goelf__line(g, pcs[i], &file, &line);
		if (rc && rc != -ENOENT && rc != -ENODATA)
			abort();
		if (!rc && (line < 0 || (!file && !line)))
			abort();
		check_str(file);
		n = rt_goelf__frames(g, pcs[i], fr, 1 + i * 4);
		if (n < 0 ? n != -ENOENT && n != -ENODATA : !n || n > (int)(1 + i * 4))
			abort();
		for (k = 0; k < n; k++) {
			check_str(fr[k].function);
			check_str(fr[k].file);
			if (fr[k].line < 0 || fr[k].inlined != (k < n - 1))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "runtime.mapassign", "sync.(*Mutex).Lock",
					     "main.main", "main.helper", "main.inner" };
	struct rt_go_func f;
	struct rt_goelf *g;
	char err[256];
	const char *v;
	size_t i;
	__u32 off;
	int fd, k;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	close(fd);

	g = rt_goelf__open(path, err, sizeof(err));
	if (!g) {
		if (!memchr(err, '\0', sizeof(err)) || !err[0])
			abort();
		return 0;
	}
	v = rt_goelf__version(g);
	if (!v || !memchr(v, '\0', 64))
		abort();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (k = RT_GO_SRC_ANY; k <= RT_GO_SRC_TABLE; k++) {
			int rc = rt_goelf__func(g, names[i], k, &f);

			if (!rc) {
				check_func(g, &f, size);
				check_lines(g, &f);
			}
			else if (rc != -ENOENT && rc != -ENODATA && rc != -EINVAL && rc != -ENOMEM)
				abort();
			check_sites(g, names[i], k, size);
		}
	}
	for (k = 0; k < RT_GO_NR_FIELDS; k++)
		rt_goelf__offset(g, k, RT_GO_SRC_ANY, &off);
	rt_goelf__free(g);
	return 0;
}
