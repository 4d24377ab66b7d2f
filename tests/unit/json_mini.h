/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small JSON reader for the unit tests, so that they check racetrace's JSON output as data
 * (docs/output.md promises fields and values, not their order in the text). Parses one value
 * into a tree of nodes: objects and arrays keep their members in order; numbers are integers
 * (racetrace prints no fractions where the tests look) or doubles; strings are unescaped for
 * \" \\ \/ \n \t only (\uXXXX stays as written). jm_parse() returns NULL on malformed text.
 * Everything is freed with jm_free(). Test code: small, not fast.
 */
#ifndef RT_JSON_MINI_H
#define RT_JSON_MINI_H

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum jm_type { JM_NULL, JM_BOOL, JM_NUM, JM_STR, JM_ARR, JM_OBJ };

struct jm {
	enum jm_type type;
	double num;
	bool b;
	char *str;	   /* JM_STR */
	char **keys;	   /* JM_OBJ */
	struct jm **items; /* JM_ARR, JM_OBJ */
	size_t n;
};

static void jm_free(struct jm *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		if (v->keys)
			free(v->keys[i]);
		jm_free(v->items[i]);
	}
	free(v->keys);
	free(v->items);
	free(v->str);
	free(v);
}

static void jm_ws(const char **p)
{
	while (isspace((unsigned char)**p))
		(*p)++;
}

static char *jm_string(const char **p)
{
	const char *s = *p + 1;
	char *out = malloc(strlen(s) + 1), *o = out;

	while (*s && *s != '"') {
		if (*s == '\\') {
			s++;
			switch (*s) {
			case 'n': *o++ = '\n'; break;
			case 't': *o++ = '\t'; break;
			case '"': case '\\': case '/': *o++ = *s; break;
			case 'u': *o++ = '\\'; *o++ = 'u'; break;
			default: free(out); return NULL;
			}
			s++;
			continue;
		}
		*o++ = *s++;
	}
	if (*s != '"') {
		free(out);
		return NULL;
	}
	*o = 0;
	*p = s + 1;
	return out;
}

static struct jm *jm_value(const char **p);

static int jm_push(struct jm *v, char *key, struct jm *item)
{
	v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
	if (v->type == JM_OBJ) {
		v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
		v->keys[v->n] = key;
	}
	v->items[v->n++] = item;
	return 0;
}

static struct jm *jm_container(const char **p, bool obj)
{
	struct jm *v = calloc(1, sizeof(*v)), *item;
	char *key = NULL;

	v->type = obj ? JM_OBJ : JM_ARR;
	(*p)++;
	jm_ws(p);
	if (**p == (obj ? '}' : ']')) {
		(*p)++;
		return v;
	}
	for (;;) {
		jm_ws(p);
		if (obj) {
			if (**p != '"' || !(key = jm_string(p)))
				goto bad;
			jm_ws(p);
			if (*(*p)++ != ':')
				goto bad;
		}
		item = jm_value(p);
		if (!item)
			goto bad;
		jm_push(v, key, item);
		key = NULL;
		jm_ws(p);
		if (**p == ',') {
			(*p)++;
			continue;
		}
		if (*(*p)++ == (obj ? '}' : ']'))
			return v;
		goto bad;
	}
bad:
	free(key);
	jm_free(v);
	return NULL;
}

static struct jm *jm_value(const char **p)
{
	struct jm *v;
	char *end;

	jm_ws(p);
	if (**p == '{' || **p == '[')
		return jm_container(p, **p == '{');
	v = calloc(1, sizeof(*v));
	if (**p == '"') {
		v->type = JM_STR;
		v->str = jm_string(p);
		if (!v->str) {
			free(v);
			return NULL;
		}
	} else if (!strncmp(*p, "null", 4)) {
		v->type = JM_NULL;
		*p += 4;
	} else if (!strncmp(*p, "true", 4) || !strncmp(*p, "false", 5)) {
		v->type = JM_BOOL;
		v->b = **p == 't';
		*p += v->b ? 4 : 5;
	} else {
		v->type = JM_NUM;
		v->num = strtod(*p, &end);
		if (end == *p) {
			free(v);
			return NULL;
		}
		*p = end;
	}
	return v;
}

/* Parse text (one value, then only white space). NULL when it is not that. */
static struct jm *jm_parse(const char *text)
{
	const char *p = text;
	struct jm *v = jm_value(&p);

	jm_ws(&p);
	if (v && *p) {
		jm_free(v);
		return NULL;
	}
	return v;
}

/* The member key of object v, or NULL (also when v is no object). */
static struct jm *jm_get(const struct jm *v, const char *key)
{
	size_t i;

	for (i = 0; v && v->type == JM_OBJ && i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return v->items[i];
	return NULL;
}

/* The string of member key of object v, or "" when there is none. */
static const char *jm_str(const struct jm *v, const char *key)
{
	const struct jm *s = jm_get(v, key);

	return s && s->type == JM_STR ? s->str : "";
}

/* Whether array v holds the integers want[0..n) in any order, and nothing else. */
static bool jm_int_set(const struct jm *v, const long *want, size_t n)
{
	size_t i, j;

	if (!v || v->type != JM_ARR || v->n != n)
		return false;
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++)
			if (v->items[j]->type == JM_NUM && (long)v->items[j]->num == want[i])
				break;
		if (j == n)
			return false;
	}
	return true;
}

/*
 * The first object of JSON Lines text whose "kind" is kind (a fresh tree: jm_free it), or
 * NULL. Each line must parse: a line that does not is NULL too.
 */
static struct jm *jm_line_of_kind(const char *text, const char *kind)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char *copy = strndup(line, len);
		struct jm *v = jm_parse(copy);

		free(copy);
		if (!v)
			return NULL;
		if (!strcmp(jm_str(v, "kind"), kind))
			return v;
		jm_free(v);
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

#endif /* RT_JSON_MINI_H */
