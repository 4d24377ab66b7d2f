/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Suppressions in ThreadSanitizer's format: one `TYPE:PATTERN` per line, `#` comments and blank
 * lines ignored. racetrace uses the `race` type (data races): a race is dropped when a frame of
 * either of its stacks has a function, source file or module matching PATTERN, a substring
 * match where `*` matches any run of characters, `^` anchors at the start and `$` at the end
 * (TSan's template rules). Other types are accepted and ignored, so one file serves both
 * tools. Pure C.
 */
#ifndef RT_SUPP_H
#define RT_SUPP_H

#include <stdbool.h>
#include <stddef.h>

struct rt_supp;

/*
 * Parse text (len bytes). NULL with errno set: ENOMEM, or EINVAL with a one-line reason
 * naming the line in err (a line without `TYPE:`, an empty pattern).
 */
struct rt_supp *rt_supp__parse(const char *text, size_t len, char *err, size_t errlen);
/* Read and parse the file at path; as rt_supp__parse, errno from fopen on a read error. */
struct rt_supp *rt_supp__load(const char *path, char *err, size_t errlen);
/* Does a `race` pattern match s (a function, file or module name)? */
bool rt_supp__race(const struct rt_supp *s, const char *name);
/* Patterns of type `race`. */
size_t rt_supp__nrace(const struct rt_supp *s);
/* NULL-safe. */
void rt_supp__free(struct rt_supp *s);

/* TSan's template match: `*` any run, `^`/`$` anchors, else a substring. */
bool rt_supp_match(const char *pattern, const char *s);

#endif /* RT_SUPP_H */
