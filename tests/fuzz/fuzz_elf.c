// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the ELF and DWARF side of the symbolizer (user/sym/symbolize.c): the files
 * of a traced process are untrusted. Each input is written to a temp file, mapped by hand twice
 * (file offset 0, and a page in, as a library's text mapping is), and a few addresses are
 * symbolized as code (rt_sym__frame, rt_sym__format) and as data (rt_sym__data): fixed
 * offsets, the entry point read as a file offset, and two offsets from the input's tail, so
 * that mutations can steer lookups into symbols and line tables. Crashes, leaks and sanitizer
 * reports are the findings; the aborts below catch broken contracts (a mapped address that is
 * not found, an unterminated string, a frame for another address). Seeds live in
 * tests/fuzz/corpus/elf/: small real executables and a shared object, stripped and with DWARF
 * (plain, compressed both ways, without .debug_aranges, non-PIE).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sym/symbolize.h"

#define PID_A 1001
#define PID_B 1002
#define BASE_A 0x400000ULL
#define BASE_B 0x7f0000000000ULL
#define OFF_B 0x1000ULL
#define SLACK 0x10000ULL /* mapped past the end of the file, as a bss tail is */

static char path[64];

static void remove_temp(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "/tmp/rt_fuzz_elf.%d", (int)getpid());
	atexit(remove_temp);
	return 0;
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static bool terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static void check(struct rt_symbolizer *s, pid_t pid, uint64_t start, uint64_t end, uint64_t a)
{
	struct rt_frame f;
	char buf[128];
	int rc;

	rc = rt_sym__frame(s, pid, a, &f);
	if (f.addr != a || !terminated(f.module, sizeof(f.module)) ||
	    !terminated(f.function, sizeof(f.function)) || !terminated(f.file, sizeof(f.file)))
		abort();
	if (a >= start && a < end) {
		if (rc || !f.module[0] || !rt_sym__format(s, pid, a, buf, sizeof(buf)))
			abort();
	} else if (rc != -ENOENT || rt_sym__format(s, pid, a, buf, sizeof(buf))) {
		abort();
	}
	/* the same bytes read as a data address: OBJECT symbols of every module of pid */
	if (rt_sym__data(s, pid, a, buf, sizeof(buf)) && !terminated(buf, sizeof(buf)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t span = size + SLACK, offs[8];
	struct rt_symbolizer *s;
	size_t i, n = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	close(fd);

	offs[n++] = 0;
	offs[n++] = 0x41;
	offs[n++] = 0x1001;
	offs[n++] = size / 2;
	if (size >= 32)
		offs[n++] = get_le64(data + 24) % span; /* e_entry of a 64-bit ELF */
	if (size >= 64) {
		offs[n++] = get_le64(data + size - 8) % span;
		offs[n++] = get_le64(data + size - 16) % span;
	}

	s = rt_sym__new();
	if (!s)
		return 0;
	if (rt_sym__add_mapping(s, PID_A, BASE_A, BASE_A + span, 0, path) ||
	    rt_sym__add_mapping(s, PID_B, BASE_B, BASE_B + span, OFF_B, path))
		abort();
	for (i = 0; i < n; i++) {
		check(s, PID_A, BASE_A, BASE_A + span, BASE_A + offs[i]);
		check(s, PID_B, BASE_B, BASE_B + span, BASE_B + offs[i]);
	}
	check(s, PID_A, BASE_A, BASE_A + span, BASE_A + span);
	check(s, PID_B, BASE_B, BASE_B + span, BASE_A);
	rt_sym__free(s);
	return 0;
}
