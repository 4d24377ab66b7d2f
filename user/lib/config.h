/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's configuration file (docs/config.md): INI-like sections of "key = value" lines.
 * Pure parsing and validation, no side effects; every error names the line and the fix.
 */
#ifndef RT_CONFIG_H
#define RT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define RT_CFG_MAX_TARGETS 64
#define RT_CFG_STR 256

/* One [target] section: a process matches when every given selector matches. */
struct rt_cfg_target {
	char name[64];		 /* optional label */
	char exe[RT_CFG_STR];	 /* exact path of /proc/PID/exe, or a prefix ending in '*' */
	char comm[16];		 /* exact comm */
	char cgroup[RT_CFG_STR]; /* cgroup v2 path prefix, e.g. /system.slice/memcached.service */
	char unit[RT_CFG_STR];	 /* systemd unit name, e.g. memcached.service */
	__u32 probes;		 /* RT_PROBE_* families */
};

struct rt_config {
	struct rt_cfg_target targets[RT_CFG_MAX_TARGETS];
	__u32 ntargets;
	char findings[RT_CFG_STR]; /* JSON Lines output file, "" = none */
	char metrics[64];	   /* "ADDR:PORT" to serve /metrics on, "" = none */
	double hang_threshold_s;
	__u64 max_events_per_s;	   /* per target; 0 = unlimited */
	__u64 max_memory_bytes;	   /* engine memory; 0 = unlimited */
	double recover_after_s;	   /* load under half the budget this long: restore */
};

/* Defaults: no targets, hang 5 s, no budget, recover after 10 s. */
void rt_config_defaults(struct rt_config *c);
/*
 * Parse text (len bytes, need not be NUL-terminated) into c (defaults first). 0, or -EINVAL
 * with a one-line reason such as "line 7: unknown key 'exe_path' in [target]" in err.
 */
int rt_config_parse(struct rt_config *c, const char *text, size_t len, char *err, size_t errlen);
/* Read and parse a file. 0, or -errno / -EINVAL with the reason in err. */
int rt_config_load(struct rt_config *c, const char *path, char *err, size_t errlen);

/* Does a process with these properties match target t? */
bool rt_cfg_match(const struct rt_cfg_target *t, const char *exe, const char *comm,
		  const char *cgroup);

#endif /* RT_CONFIG_H */
