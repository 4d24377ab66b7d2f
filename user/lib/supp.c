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

/*
 * TSan's wildcards: '*' is any run, a leading '^' anchors the start, a trailing '$' the end;
 * without them the pattern may match anywhere in s. Iterative, with one backtrack point (the
 * latest '*'), so it takes O(|p| x |s|) steps: a pattern of many stars cannot make it
 * exponential (the recursive matcher it replaces hung on one from the fuzzer).
 */
bool rt_supp_match(const char *pattern, const char *s)
{
	bool any_start, any_end;
	size_t pn, i = 0, j = 0, mark = 0, resume = 0;
	bool star;

	if (!pattern || !s || !*pattern)
		return false;
	any_start = *pattern != '^';
	if (!any_start)
		pattern++;
	pn = strlen(pattern);
	any_end = !(pn && pattern[pn - 1] == '$');
	if (!any_end)
		pn--;
	star = any_start; /* an unanchored start is a '*' before the pattern */
	for (;;) {
		if (j == pn && (any_end || !s[i]))
			return true;
		if (j < pn && pattern[j] == '*') {
			star = true;
			resume = ++j;
			mark = i;
			continue;
		}
		if (j < pn && s[i] && pattern[j] == s[i]) {
			i++;
			j++;
			continue;
		}
		if (!star || !s[mark])
			return false;
		j = resume; /* the latest '*' takes one more character */
		i = ++mark;
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
