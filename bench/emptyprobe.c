// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emptyprobe: attach bench/empty.bpf.o (an entry uprobe that only counts hits) at the given
 * addresses of one or more files mapped by process PID, with one uprobe.multi link per file and
 * the pid filter, so the breakpoints exist only in that process. Used by bench/bench.py to
 * measure what a probe costs at a given instruction, independently of racetrace's programs.
 *
 * Addresses are virtual addresses as objdump prints them; they are converted to file offsets
 * through the PT_LOAD segment that contains them.
 *
 * A spec tp:NAME attaches the object's empty tp_btf program tp_NAME instead (sys_enter,
 * sys_exit, sched_switch): it runs for every task on the machine, PID only says how long.
 *
 * Prints "attached N" on stdout once every link exists, waits for PID to exit (or SIGINT or
 * SIGTERM), then prints {"hits":N} and detaches.
 *
 * Usage: emptyprobe BPF_OBJ PID FILE:ADDR[,ADDR...]|tp:NAME [...]
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define EP_MAX_SITES 64
#define EP_MAX_LINKS 8

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

/* Virtual address -> file offset through the PT_LOAD segment containing it; 0 if none. */
static unsigned long vaddr_to_off(const char *path, unsigned long vaddr)
{
	unsigned long off = 0;
	size_t i, n;
	Elf *elf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && !elf_getphdrnum(elf, &n)) {
		for (i = 0; i < n; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
				continue;
			if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
				off = vaddr - ph.p_vaddr + ph.p_offset;
				break;
			}
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return off;
}

static __u64 total_hits(struct bpf_map *map)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	__u64 vals[ncpu > 0 ? ncpu : 1], sum = 0;
	__u32 zero = 0;

	if (ncpu <= 0 || bpf_map__lookup_elem(map, &zero, sizeof(zero), vals,
					      sizeof(__u64) * ncpu, 0))
		return 0;
	for (i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[EP_MAX_LINKS] = {};
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	int nlinks = 0, nsites = 0, pidfd = -1, err = 1, i;
	char *end;
	long pid;

	if (argc < 4 || argc - 3 > EP_MAX_LINKS) {
		fprintf(stderr, "usage: emptyprobe BPF_OBJ PID FILE:ADDR[,ADDR...]|tp:NAME ...\n");
		return 1;
	}
	errno = 0;
	pid = strtol(argv[2], &end, 10);
	if (errno || end == argv[2] || *end || pid <= 0) {
		fprintf(stderr, "emptyprobe: bad pid '%s'\n", argv[2]);
		return 1;
	}
	libbpf_set_print(quiet_print);
	elf_version(EV_CURRENT);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "emptyprobe: load %s: %s\n", argv[1], strerror(errno));
		goto cleanup;
	}
	prog = bpf_object__find_program_by_name(obj, "empty");
	pidfd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (!prog || pidfd < 0) {
		fprintf(stderr, "emptyprobe: pid %ld: %s\n", pid, strerror(errno));
		goto cleanup;
	}
	for (i = 3; i < argc; i++) {
		LIBBPF_OPTS(bpf_uprobe_multi_opts, uo);
		unsigned long offs[EP_MAX_SITES];
		char *spec = strdup(argv[i]), *colon = strrchr(spec, ':'), *tok, *save;
		size_t n = 0;

		if (!strncmp(spec, "tp:", 3)) {
			char name[64];
			struct bpf_program *tp;

			snprintf(name, sizeof(name), "tp_%s", spec + 3);
			tp = bpf_object__find_program_by_name(obj, name);
			links[nlinks] = tp ? bpf_program__attach(tp) : NULL;
			if (!links[nlinks]) {
				fprintf(stderr, "emptyprobe: attach %s: %s\n", spec,
					tp ? strerror(errno) : "no such program");
				free(spec);
				goto cleanup;
			}
			nlinks++;
			nsites++;
			free(spec);
			continue;
		}

		if (!colon) {
			fprintf(stderr, "emptyprobe: '%s' is not FILE:ADDR[,ADDR...]\n", argv[i]);
			free(spec);
			goto cleanup;
		}
		*colon = '\0';
		for (tok = strtok_r(colon + 1, ",", &save); tok && n < EP_MAX_SITES;
		     tok = strtok_r(NULL, ",", &save)) {
			offs[n] = vaddr_to_off(spec, strtoul(tok, NULL, 16));
			if (!offs[n]) {
				fprintf(stderr, "emptyprobe: %s: no segment holds %s\n", spec, tok);
				free(spec);
				goto cleanup;
			}
			n++;
		}
		uo.offsets = offs;
		uo.cnt = n;
		links[nlinks] = bpf_program__attach_uprobe_multi(prog, pid, spec, NULL, &uo);
		if (!links[nlinks]) {
			fprintf(stderr, "emptyprobe: attach %s: %s\n", spec, strerror(errno));
			free(spec);
			goto cleanup;
		}
		nlinks++;
		nsites += n;
		free(spec);
	}
	printf("attached %d\n", nsites);
	fflush(stdout);

	while (!stop) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

		if (poll(&pfd, 1, 100) > 0)
			break;
	}
	printf("{\"hits\":%llu}\n", (unsigned long long)total_hits(bpf_object__find_map_by_name(obj,
								"hits")));
	err = 0;
cleanup:
	for (i = nlinks - 1; i >= 0; i--)
		bpf_link__destroy(links[i]);
	if (pidfd >= 0)
		close(pidfd);
	bpf_object__close(obj);
	return err;
}
