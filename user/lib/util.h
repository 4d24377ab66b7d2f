/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Small helpers every stage uses: array sizes, a growable array, an open-addressing hash
 * map from a nonzero u64 key to a u64 value, and files opened private (0600). Pure C, no
 * allocation failure is hidden: functions that allocate return -ENOMEM and leave the structure
 * unchanged.
 */
#ifndef RT_UTIL_H
#define RT_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>
#include <linux/types.h>

#define RT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define RT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define RT_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Grow *arr (of element size esz) so that it holds at least need elements. 0 or -ENOMEM. */
int rt_grow(void **arr, size_t *cap, size_t need, size_t esz);

/*
 * fopen(path, "w") or, with append, "a", close-on-exec, except that a file it creates has mode
 * 0600 whatever the umask: what racetrace writes (traces, findings) holds another process's
 * addresses, stacks and names. An existing file keeps its mode. NULL with errno set.
 */
FILE *rt_fopen_private(const char *path, bool append);

/* u64 -> u64 map; key 0 is reserved (empty slot). */
struct rt_map {
	__u64 *keys;
	__u64 *vals;
	size_t cap;  /* power of two, or 0 */
	size_t len;  /* live entries */
	size_t used; /* live + tombstones */
};

void rt_map_init(struct rt_map *m);
void rt_map_free(struct rt_map *m);
/* Returns a pointer to the value of key, or NULL. Valid until the next insert. */
__u64 *rt_map_get(const struct rt_map *m, __u64 key);
/* Insert or overwrite. 0, -EINVAL for key 0, or -ENOMEM (map unchanged). */
int rt_map_put(struct rt_map *m, __u64 key, __u64 val);
/* Remove key if present; returns true when it was there. */
bool rt_map_del(struct rt_map *m, __u64 key);
/* Iterate: start with *pos = 0; returns false at the end. Stable order for a given history. */
bool rt_map_next(const struct rt_map *m, size_t *pos, __u64 *key, __u64 *val);

static inline __u64 rt_hash64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* FNV-1a over bytes, for stable finding ids. */
__u64 rt_fnv1a(__u64 h, const void *p, size_t n);
#define RT_FNV_INIT 0xcbf29ce484222325ULL

#endif /* RT_UTIL_H */
