/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Code address -> module, function, source file and line, for the processes we trace. Mappings
 * come from /proc/PID/maps snapshots (kept across snapshots, since a library may be unmapped
 * before its findings are printed) or are added by hand (tests, trace replay). ELF files are
 * opened lazily, once per module, with libelf; symbols come from .symtab, else .dynsym (else,
 * in a Go binary, .gopclntab); lines and inline chains from DWARF through libdw, else from a Go
 * binary's .gopclntab. Separate debug files are found by build-id under
 * /usr/lib/debug/.build-id/ and by .gnu_debuglink, then, when DEBUGINFOD_URLS is set, fetched by
 * build-id from those debuginfod servers (libdebuginfod). The target's files are untrusted:
 * garbage gives "module+0x1234" or nothing, never a crash. Pure C, no libbpf; not thread-safe.
 *
 * Every address is taken to be a return address (the caller's site of a lock call): the symbol
 * and the line are looked up at addr - 1, the call instruction, while the frame reports addr and
 * addr - function start.
 */
#ifndef RT_SYMBOLIZE_H
#define RT_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#define RT_SYM_NAME_LEN 256
#define RT_SYM_MAX_INLINE 16 /* frames of one address's inline chain, at most */

struct rt_symbolizer;

/* A symbolized address. Strings are NUL-terminated and truncated to fit. */
struct rt_frame {
	__u64 addr;
	char module[RT_SYM_NAME_LEN];	/* basename of the file, "" when unknown */
	char function[RT_SYM_NAME_LEN]; /* "" when unknown */
	/*
	 * From the function start when function is known; else from the module base, i.e. the
	 * ELF virtual address (what `addr2line -e module` takes) when the ELF could be read, or
	 * the file offset when it could not.
	 */
	__u64 offset;
	char file[RT_SYM_NAME_LEN]; /* source file basename, "" when unknown */
	int line;		    /* 0 when unknown */
	/*
	 * The mapped file was deleted or replaced: symbols, if any, come from a file that may
	 * differ from the one the process ran.
	 */
	bool deleted;
	/*
	 * function was inlined into the next frame of the chain (rt_sym__frames()): file:line is
	 * inside function, and addr, module and offset are those of the out-of-line function
	 * that holds the code (the chain's last frame).
	 */
	bool inlined;
};

/* An empty symbolizer. Returns NULL and sets errno (ENOMEM) on failure. */
struct rt_symbolizer *rt_sym__new(void);

/* Frees s, its mappings, and closes every file it opened. NULL is a no-op. */
void rt_sym__free(struct rt_symbolizer *s);

/*
 * Snapshot /proc/PID/maps: remember every file-backed mapping (start, end, file offset, path,
 * dev/inode), keeping mappings seen in earlier snapshots; the newest mapping of an address wins.
 * Files are opened later, through /proc/PID/map_files/ or /proc/PID/root/<path> while the
 * process lives (other mount namespaces), else through the plain path; "(deleted)" files and
 * files whose inode changed are marked deleted. Call it at attach, periodically and just
 * before detach. Returns 0, -ESRCH when the process is gone, -ENOMEM or another -errno;
 * mappings read before a failure are kept.
 */
int rt_sym__load_maps(struct rt_symbolizer *s, pid_t pid);

/*
 * Add one mapping of path at [start, end) with file offset file_off, for process pid, by hand
 * (tests, trace replay). path is opened as given, without an inode check. Returns 0, -EINVAL
 * (empty range or empty path), -ENOSPC (too many mappings) or -ENOMEM; nothing is added on
 * failure.
 */
int rt_sym__add_mapping(struct rt_symbolizer *s, pid_t pid, __u64 start, __u64 end,
			__u64 file_off, const char *path);

/*
 * Symbolize one address of process pid, for printing: the out-of-line function that holds the
 * code, with its own file:line (where it called the functions inlined there, if any: the last
 * frame of rt_sym__frames()). Always fills f (addr at least, the rest zeroed when unknown);
 * returns 0, or -ENOENT when the address is in no known mapping. A frame in a readable ELF
 * file that gets no function name is remembered for rt_sym__foreach_unsymbolized().
 */
int rt_sym__frame(struct rt_symbolizer *s, pid_t pid, __u64 addr, struct rt_frame *f);

/*
 * The frames of one address, one per function of its inline chain, innermost first, as
 * `addr2line -i` and Go tracebacks print them: out[k] names the k-th function and the position
 * in it (for the innermost, the position of the code; for the others, the call of the
 * function inlined there). All but the last are marked inlined; the last is rt_sym__frame()'s.
 * The chain comes from DWARF (DW_TAG_inlined_subroutine, DW_AT_call_file, DW_AT_call_line)
 * or, in a Go binary without DWARF, from .gopclntab's inline trees and line tables; without
 * either it is one frame. Stores at most max frames (a longer chain keeps its innermost
 * max - 1 and the last) and returns how many (>= 1); -ENOENT when the address is in no known
 * mapping (out[0] is then the bare frame), -EINVAL when max < 1. Not cached: for printing.
 */
int rt_sym__frames(struct rt_symbolizer *s, pid_t pid, __u64 addr, struct rt_frame *out, int max);

/*
 * rt_symbolize_fn of report.h; ctx is a struct rt_symbolizer. Writes "function+0x12
 * (file.c:34)", "function+0x12 (module)" without line info, or "module+0x1234" without
 * symbols, followed by " (deleted)" for a deleted or replaced module, into buf and returns
 * buf; returns NULL when nothing is known (no mapping, or len == 0).
 */
const char *rt_sym__format(void *ctx, __u32 pid, __u64 addr, char *buf, size_t len);
/*
 * One frame as rt_sym__format() writes it; an inlined frame has no offset and ends in
 * " (inlined)": "sync.(*Mutex).Lock (mutex.go:81) (inlined)". NULL when f has no module.
 */
const char *rt_sym__format_frame(const struct rt_frame *f, char *buf, size_t len);
/*
 * What Go code the call site addr is in, for rt_event_mark_go_site (ctx: the symbolizer):
 * RT_SITE_GO_TIME for package time, RT_SITE_GO_RUNTIME for the runtime and the packages
 * whose goroutines serve it (os/signal, unique, internal/...), 0 for the program's own,
 * -ENOENT when the function is unknown.
 */
int rt_sym__go_class(void *ctx, __u32 pid, __u64 addr);

/*
 * The global or static variable of pid containing addr (.symtab, separate debug file, or
 * .dynsym; .bss included): formats "name (module)" or "name+8 (module)" into buf and returns
 * it, or NULL when no data symbol covers addr.
 */
const char *rt_sym__data(struct rt_symbolizer *s, pid_t pid, __u64 addr, char *buf, size_t len);

/*
 * Called for each remembered mapping: path is the module's path as the process saw it; seen is
 * the snapshot that last saw the mapping (only its order matters: where mappings overlap, the
 * larger seen wins, and among equal ones the earlier mapping). A nonzero return stops the walk.
 */
typedef int (*rt_sym_mapping_fn)(void *ctx, pid_t pid, __u64 start, __u64 end, __u64 off,
				 __u64 seen, const char *path);
/*
 * Call fn for every mapping s remembers, in the order they were first seen (what a replay
 * passes to rt_sym__add_mapping() to rebuild s). Returns 0, or the first nonzero value fn
 * returned. fn must not add mappings.
 */
int rt_sym__foreach_mapping(const struct rt_symbolizer *s, rt_sym_mapping_fn fn, void *ctx);

typedef int (*rt_sym_name_fn)(void *ctx, const char *name);
/*
 * Call fn with the file name (basename) of every module that a frame from rt_sym__frame() or
 * rt_sym__format() had no function name in (no symbols and no debug info found: the report's
 * hint), each name once, in the order the modules were first mapped. rt_sym__go_class() lookups
 * do not count. Returns 0, or the first nonzero value fn returned. NULL s: no call.
 */
int rt_sym__foreach_unsymbolized(const struct rt_symbolizer *s, rt_sym_name_fn fn, void *ctx);

/* pid is gone: drop its mappings (the daemon, when a target exits). NULL-safe. */
void rt_sym__forget_pid(struct rt_symbolizer *s, pid_t pid);

#endif /* RT_SYMBOLIZE_H */
