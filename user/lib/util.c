// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Growable arrays and the u64 hash map of util.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/util.h"

#define RT_TOMB ((__u64)-1)

int rt_grow(void **arr, size_t *cap, size_t need, size_t esz)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 8;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * esz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

void rt_map_init(struct rt_map *m)
{
	memset(m, 0, sizeof(*m));
}

void rt_map_free(struct rt_map *m)
{
	free(m->keys);
	free(m->vals);
	rt_map_init(m);
}

static size_t slot_of(const struct rt_map *m, __u64 key, bool for_insert)
{
	size_t mask = m->cap - 1, i = rt_hash64(key) & mask, tomb = (size_t)-1;

	for (;;) {
		__u64 k = m->keys[i];

		if (k == key)
			return i;
		if (k == 0)
			return for_insert && tomb != (size_t)-1 ? tomb : i;
		if (k == RT_TOMB && tomb == (size_t)-1)
			tomb = i;
		i = (i + 1) & mask;
	}
}

__u64 *rt_map_get(const struct rt_map *m, __u64 key)
{
	size_t i;

	if (!m->cap || key == 0 || key == RT_TOMB)
		return NULL;
	i = slot_of(m, key, false);
	return m->keys[i] == key ? &m->vals[i] : NULL;
}

static int rehash(struct rt_map *m, size_t ncap)
{
	struct rt_map n = { 0 };
	size_t i;

	n.keys = calloc(ncap, sizeof(*n.keys));
	n.vals = calloc(ncap, sizeof(*n.vals));
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -ENOMEM;
	}
	n.cap = ncap;
	for (i = 0; i < m->cap; i++) {
		__u64 k = m->keys[i];
		size_t j;

		if (k == 0 || k == RT_TOMB)
			continue;
		j = slot_of(&n, k, true);
		n.keys[j] = k;
		n.vals[j] = m->vals[i];
		n.len++;
	}
	n.used = n.len;
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

int rt_map_put(struct rt_map *m, __u64 key, __u64 val)
{
	size_t i;

	if (key == 0 || key == RT_TOMB)
		return -EINVAL;
	if ((m->used + 1) * 4 >= m->cap * 3) {
		size_t ncap = m->cap ? m->cap : 16;

		while ((m->len + 1) * 2 >= ncap)
			ncap *= 2;
		if (rehash(m, ncap))
			return -ENOMEM;
	}
	i = slot_of(m, key, true);
	if (m->keys[i] != key) {
		if (m->keys[i] == 0)
			m->used++;
		m->keys[i] = key;
		m->len++;
	}
	m->vals[i] = val;
	return 0;
}

bool rt_map_del(struct rt_map *m, __u64 key)
{
	size_t i;

	if (!m->cap || key == 0 || key == RT_TOMB)
		return false;
	i = slot_of(m, key, false);
	if (m->keys[i] != key)
		return false;
	m->keys[i] = RT_TOMB;
	m->len--;
	return true;
}

bool rt_map_next(const struct rt_map *m, size_t *pos, __u64 *key, __u64 *val)
{
	for (; *pos < m->cap; (*pos)++) {
		__u64 k = m->keys[*pos];

		if (k == 0 || k == RT_TOMB)
			continue;
		*key = k;
		if (val)
			*val = m->vals[*pos];
		(*pos)++;
		return true;
	}
	return false;
}

__u64 rt_fnv1a(__u64 h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

FILE *rt_fopen_private(const char *path, bool append)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0600);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, append ? "a" : "w");
	if (!f) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return f;
}
