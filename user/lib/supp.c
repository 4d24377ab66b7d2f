// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Suppressions in ThreadSanitizer's format (supp.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/supp.h"
#include "lib/util.h"

#define RT_SUPP_FILE_MAX (1U << 20)

struct rt_supp {
	char **race;
	size_t nrace, cap;
};

/* Does p (up to its end or a '*') match s at its start? Returns the length matched, or -1. */
static bool match_here(const char *p, const char *s, bool anchored_end)
{
	/* p has no '^'; '*' is any run; '$' at the very end anchors */
	while (*p && *p != '*') {
		if (*p == '$' && !p[1])
			return !*s;
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	if (!*p)
		return !anchored_end || !*s;
	/* a star: try every rest */
	p++;
	for (;; s++) {
		if (match_here(p, s, anchored_end))
			return true;
		if (!*s)
			return false;
	}
}

bool rt_supp_match(const char *pattern, const char *s)
{
	if (!pattern || !s || !*pattern)
		return false;
	if (*pattern == '^')
		return match_here(pattern + 1, s, false);
	for (;; s++) {
		if (match_here(pattern, s, false))
			return true;
		if (!*s)
			return false;
	}
}

static int add(struct rt_supp *sp, const char *pat, size_t n)
{
	char *c = strndup(pat, n);

	if (!c || rt_grow((void **)&sp->race, &sp->cap, sp->nrace + 1, sizeof(*sp->race))) {
		free(c);
		return -ENOMEM;
	}
	sp->race[sp->nrace++] = c;
	return 0;
}

struct rt_supp *rt_supp__parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct rt_supp *sp = calloc(1, sizeof(*sp));
	size_t pos = 0, lineno = 0;

	if (!sp) {
		errno = ENOMEM;
		return NULL;
	}
	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos), *colon;
		size_t n = nl ? (size_t)(nl - line) : len - pos, a = 0, b;

		pos += n + (nl ? 1 : 0);
		lineno++;
		while (a < n && (line[a] == ' ' || line[a] == '\t'))
			a++;
		b = n;
		while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t' || line[b - 1] == '\r'))
			b--;
		if (a == b || line[a] == '#')
			continue;
		colon = memchr(line + a, ':', b - a);
		if (!colon || colon == line + a || colon + 1 == line + b) {
			snprintf(err, errlen,
				 "line %zu: expected TYPE:PATTERN (e.g. race:my_function), got '%.*s'",
				 lineno, (int)RT_MIN(b - a, (size_t)60), line + a);
			rt_supp__free(sp);
			errno = EINVAL;
			return NULL;
		}
		if ((size_t)(colon - line - a) == 4 && !strncmp(line + a, "race", 4) &&
		    add(sp, colon + 1, line + b - colon - 1)) {
			rt_supp__free(sp);
			errno = ENOMEM;
			return NULL;
		}
	}
	return sp;
}

struct rt_supp *rt_supp__load(const char *path, char *err, size_t errlen)
{
	struct rt_supp *sp = NULL;
	char *buf = malloc(RT_SUPP_FILE_MAX);
	size_t n;
	FILE *f;

	if (!buf) {
		errno = ENOMEM;
		return NULL;
	}
	f = fopen(path, "re");
	if (!f) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		free(buf);
		errno = e;
		return NULL;
	}
	n = fread(buf, 1, RT_SUPP_FILE_MAX, f);
	if (ferror(f) || n == RT_SUPP_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path,
			 ferror(f) ? "read error" : "larger than 1 MiB");
		errno = EINVAL;
	} else {
		char why[200] = "";

		sp = rt_supp__parse(buf, n, why, sizeof(why));
		if (!sp && errno == EINVAL)
			snprintf(err, errlen, "%s: %s", path, why);
	}
	fclose(f);
	free(buf);
	return sp;
}

bool rt_supp__race(const struct rt_supp *s, const char *name)
{
	size_t i;

	for (i = 0; s && name && *name && i < s->nrace; i++)
		if (rt_supp_match(s->race[i], name))
			return true;
	return false;
}

size_t rt_supp__nrace(const struct rt_supp *s)
{
	return s ? s->nrace : 0;
}

void rt_supp__free(struct rt_supp *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nrace; i++)
		free(s->race[i]);
	free(s->race);
	free(s);
}
