// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's configuration (config.h, docs/config.md). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/probes.h"
#include "lib/config.h"

#define RT_CFG_MAX_BYTES (1 << 20)
#define RT_CFG_LINE 1024

void rt_config_defaults(struct rt_config *c)
{
	memset(c, 0, sizeof(*c));
	c->hang_threshold_s = 5;
	c->recover_after_s = 10;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int parse_u64(const char *v, __u64 max, __u64 *out)
{
	char *end;
	unsigned long long x;

	if (!*v || *v == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

static int parse_seconds(const char *v, double *out)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (errno || end == v || *end || !(x > 0) || x > 1e6)
		return -EINVAL;
	*out = x;
	return 0;
}

static int set_str(char *dst, size_t n, const char *v)
{
	if (strlen(v) >= n || !*v)
		return -EINVAL;
	snprintf(dst, n, "%s", v);
	return 0;
}

enum section { SEC_NONE, SEC_TARGET, SEC_BUDGET, SEC_OUTPUT, SEC_DETECTORS };

static int set_key(struct rt_config *c, enum section sec, const char *k, const char *v,
		   const char **fix)
{
	struct rt_cfg_target *t = c->ntargets ? &c->targets[c->ntargets - 1] : NULL;
	__u64 x;

	*fix = NULL;
	switch (sec) {
	case SEC_TARGET:
		if (!strcmp(k, "name"))
			return set_str(t->name, sizeof(t->name), v);
		if (!strcmp(k, "exe")) {
			*fix = "an absolute path, optionally ending in '*'";
			return v[0] == '/' ? set_str(t->exe, sizeof(t->exe), v) : -EINVAL;
		}
		if (!strcmp(k, "comm")) {
			*fix = "at most 15 characters";
			return set_str(t->comm, sizeof(t->comm), v);
		}
		if (!strcmp(k, "cgroup")) {
			*fix = "a cgroup path starting with '/'";
			return v[0] == '/' ? set_str(t->cgroup, sizeof(t->cgroup), v) : -EINVAL;
		}
		if (!strcmp(k, "unit")) {
			*fix = "a unit name such as memcached.service";
			return strchr(v, '/') ? -EINVAL : set_str(t->unit, sizeof(t->unit), v);
		}
		if (!strcmp(k, "probes")) {
			*fix = "a list of threads, locks, cond, sem, alloc, all; or futex alone";
			return rt_probes_parse(v, &t->probes);
		}
		return -ENOENT;
	case SEC_BUDGET:
		if (!strcmp(k, "max_events_per_second")) {
			*fix = "a whole number";
			return parse_u64(v, 1ULL << 40, &c->max_events_per_s);
		}
		if (!strcmp(k, "max_memory_mb")) {
			*fix = "a whole number of MiB";
			if (parse_u64(v, 1 << 20, &x))
				return -EINVAL;
			c->max_memory_bytes = x << 20;
			return 0;
		}
		if (!strcmp(k, "recover_after_seconds")) {
			*fix = "a number of seconds > 0";
			return parse_seconds(v, &c->recover_after_s);
		}
		return -ENOENT;
	case SEC_OUTPUT:
		if (!strcmp(k, "findings")) {
			*fix = "an absolute path";
			return v[0] == '/' ? set_str(c->findings, sizeof(c->findings), v) : -EINVAL;
		}
		if (!strcmp(k, "metrics")) {
			/* a port alone is served on loopback (run/metrics.c) */
			*fix = "[ADDR:]PORT, e.g. 127.0.0.1:9464 (a port alone: loopback)";
			return strchr(v, ':') || (v[0] && strspn(v, "0123456789") == strlen(v)) ?
				       set_str(c->metrics, sizeof(c->metrics), v) :
				       -EINVAL;
		}
		return -ENOENT;
	case SEC_DETECTORS:
		if (!strcmp(k, "hang_threshold_seconds")) {
			*fix = "a number of seconds > 0";
			return parse_seconds(v, &c->hang_threshold_s);
		}
		return -ENOENT;
	case SEC_NONE:
		break;
	}
	return -ENOENT;
}

static const char *sec_name(enum section s)
{
	switch (s) {
	case SEC_TARGET:
		return "[target]";
	case SEC_BUDGET:
		return "[budget]";
	case SEC_OUTPUT:
		return "[output]";
	case SEC_DETECTORS:
		return "[detectors]";
	default:
		return "no section";
	}
}

int rt_config_parse(struct rt_config *c, const char *text, size_t len, char *err, size_t errlen)
{
	enum section sec = SEC_NONE;
	size_t pos = 0;
	int lineno = 0;
	__u32 i;

	rt_config_defaults(c);
	if (len > RT_CFG_MAX_BYTES) {
		snprintf(err, errlen, "file larger than %d bytes", RT_CFG_MAX_BYTES);
		return -EINVAL;
	}
	while (pos < len) {
		char line[RT_CFG_LINE], *l, *eq, *k, *v;
		size_t n = 0;
		const char *fix;
		int ret;

		lineno++;
		while (pos < len && text[pos] != '\n') {
			if (n + 1 >= sizeof(line)) {
				snprintf(err, errlen, "line %d: longer than %d bytes", lineno,
					 RT_CFG_LINE - 1);
				return -EINVAL;
			}
			if (text[pos] == 0) {
				snprintf(err, errlen, "line %d: NUL byte", lineno);
				return -EINVAL;
			}
			line[n++] = text[pos++];
		}
		pos++;
		line[n] = 0;
		l = trim(line);
		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			if (!strcmp(l, "[target]")) {
				if (c->ntargets >= RT_CFG_MAX_TARGETS) {
					snprintf(err, errlen, "line %d: more than %d [target] sections",
						 lineno, RT_CFG_MAX_TARGETS);
					return -EINVAL;
				}
				memset(&c->targets[c->ntargets], 0, sizeof(c->targets[0]));
				c->targets[c->ntargets].probes = RT_PROBE_ALL;
				c->ntargets++;
				sec = SEC_TARGET;
			} else if (!strcmp(l, "[budget]")) {
				sec = SEC_BUDGET;
			} else if (!strcmp(l, "[output]")) {
				sec = SEC_OUTPUT;
			} else if (!strcmp(l, "[detectors]")) {
				sec = SEC_DETECTORS;
			} else {
				snprintf(err, errlen,
					 "line %d: unknown section '%.64s' (known: [target], [budget], "
					 "[output], [detectors])",
					 lineno, l);
				return -EINVAL;
			}
			continue;
		}
		eq = strchr(l, '=');
		if (!eq) {
			snprintf(err, errlen, "line %d: expected 'key = value', got '%.64s'", lineno,
				 l);
			return -EINVAL;
		}
		*eq = 0;
		k = trim(l);
		v = trim(eq + 1);
		if (sec == SEC_NONE) {
			snprintf(err, errlen, "line %d: '%.64s' outside a section", lineno, k);
			return -EINVAL;
		}
		ret = set_key(c, sec, k, v, &fix);
		if (ret == -ENOENT) {
			snprintf(err, errlen, "line %d: unknown key '%.64s' in %s", lineno, k,
				 sec_name(sec));
			return -EINVAL;
		}
		if (ret) {
			snprintf(err, errlen, "line %d: bad value for %s: '%.64s'%s%s", lineno, k, v,
				 fix ? " (want " : "", fix ? fix : "");
			if (fix)
				strncat(err, ")", errlen - strlen(err) - 1);
			return -EINVAL;
		}
	}
	for (i = 0; i < c->ntargets; i++) {
		const struct rt_cfg_target *t = &c->targets[i];

		if (!t->exe[0] && !t->comm[0] && !t->cgroup[0] && !t->unit[0]) {
			snprintf(err, errlen,
				 "[target] #%u selects nothing: give exe, comm, cgroup or unit", i + 1);
			return -EINVAL;
		}
	}
	if (!c->ntargets) {
		snprintf(err, errlen, "no [target] section: nothing to trace");
		return -EINVAL;
	}
	return 0;
}

int rt_config_load(struct rt_config *c, const char *path, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen(path, "re");
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	for (;;) {
		size_t n;

		if (len + 4096 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > RT_CFG_MAX_BYTES + 8192) {
				snprintf(err, errlen, "%s: larger than %d bytes", path,
					 RT_CFG_MAX_BYTES);
				ret = -EINVAL;
				goto cleanup;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				snprintf(err, errlen, "out of memory");
				goto cleanup;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	{
		char why[512];

		ret = rt_config_parse(c, buf ? buf : "", len, why, sizeof(why));
		if (ret)
			snprintf(err, errlen, "%s: %s", path, why);
	}
cleanup:
	free(buf);
	fclose(f);
	return ret;
}

bool rt_cfg_match(const struct rt_cfg_target *t, const char *exe, const char *comm,
		  const char *cgroup)
{
	if (t->exe[0]) {
		size_t n = strlen(t->exe);

		if (t->exe[n - 1] == '*' ? strncmp(exe, t->exe, n - 1) : strcmp(exe, t->exe))
			return false;
	}
	if (t->comm[0] && strcmp(comm, t->comm))
		return false;
	if (t->cgroup[0]) {
		/* the cgroup or one below it: /kubepods/pod1 is not a prefix of /kubepods/pod12 */
		size_t n = strlen(t->cgroup);

		if (strncmp(cgroup, t->cgroup, n) ||
		    (cgroup[n] && cgroup[n] != '/' && t->cgroup[n - 1] != '/'))
			return false;
	}
	if (t->unit[0]) {
		/* the unit is the last path component of the cgroup (or the one holding it) */
		const char *p = strstr(cgroup, t->unit);
		size_t n = strlen(t->unit);

		if (!p || p == cgroup || p[-1] != '/' || (p[n] && p[n] != '/'))
			return false;
	}
	return true;
}
