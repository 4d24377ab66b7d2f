// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * refctr_uprobe: not a traced program but a stand-in for another tool. It holds a uprobe with
 * a reference counter (a USDT semaphore, as BCC creates them) on FILE at OFFSET, the way
 * perf_event_open(2) makes one: the uprobe PMU's type from
 * /sys/bus/event_source/devices/uprobe/type, the path in config1, the offset in config2 and
 * REF_CTR_OFFSET in the config bits the PMU's format/ref_ctr_offset names (config:32-63). The
 * event counts in this process only. The kernel keeps one uprobe per file and offset, so a
 * tracer that then probes the same site without that reference counter is refused (EINVAL):
 * tests/e2e/faults.py checks what racetrace says then.
 *
 * Prints "held" on stdout once the uprobe exists and holds it until stdin closes.
 * REF_CTR_OFFSET should be an offset no writable mapping of FILE covers (one in the ELF
 * header): the kernel then has no counter to increment in this process and writes nothing.
 *
 * Usage: refctr_uprobe FILE OFFSET REF_CTR_OFFSET   (offsets in hex or decimal)
 */
#include "target.h"
#include <linux/perf_event.h>

#define PMU "/sys/bus/event_source/devices/uprobe/"

static unsigned long read_ulong(const char *path, int base)
{
	unsigned long v;
	FILE *f = fopen(path, "re");

	if (!f)
		target_die(path, errno);
	if (fscanf(f, "%lu", &v) != 1 && base)
		target_die(path, EINVAL);
	fclose(f);
	return v;
}

/* The first bit of the config field format/ref_ctr_offset names ("config:32-63"). */
static int refctr_shift(void)
{
	unsigned int lo, hi;
	FILE *f = fopen(PMU "format/ref_ctr_offset", "re");

	if (!f)
		target_die(PMU "format/ref_ctr_offset (kernel before 4.20?)", errno);
	if (fscanf(f, "config:%u-%u", &lo, &hi) != 2 || hi != 63 || lo >= hi)
		target_die(PMU "format/ref_ctr_offset: not config:N-63", EINVAL);
	fclose(f);
	return (int)lo;
}

static unsigned long long hexdec(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "%s: bad offset '%s'\n", target_name, s);
		exit(1);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct perf_event_attr attr;
	char buf[64];
	int fd;

	target_name = argv[0];
	if (argc != 4) {
		fprintf(stderr, "usage: %s FILE OFFSET REF_CTR_OFFSET\n", argv[0]);
		return 1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = read_ulong(PMU "type", 10);
	attr.config = hexdec(argv[3]) << refctr_shift();
	attr.config1 = (unsigned long long)(unsigned long)argv[1];
	attr.config2 = hexdec(argv[2]);
	attr.disabled = 1;
	fd = syscall(SYS_perf_event_open, &attr, 0 /* this process */, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		target_die("perf_event_open uprobe", errno);
	printf("held\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}
