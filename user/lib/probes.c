// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Probe family names (probes.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "lib/probes.h"
#include "lib/util.h"

int rt_probes_parse(const char *s, __u32 *mask)
{
	static const struct {
		const char *name;
		__u32 bits;
	} fams[] = {
		{ "threads", RT_PROBE_THREADS }, { "locks", RT_PROBE_LOCKS },
		{ "cond", RT_PROBE_COND },	 { "sem", RT_PROBE_SEM },
		{ "alloc", RT_PROBE_ALLOC },	 { "all", RT_PROBE_ALL },
		{ "futex", 0 },
	};
	char buf[256], *save = NULL, *tok;
	bool futex_only = false;
	int ntok = 0;
	__u32 m = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;
		bool ok = false;

		ntok++;
		for (i = 0; i < RT_ARRAY_SIZE(fams); i++) {
			if (strcmp(tok, fams[i].name) == 0) {
				m |= fams[i].bits;
				futex_only |= !fams[i].bits;
				ok = true;
			}
		}
		if (!ok)
			return -EINVAL;
	}
	/* "futex" means no uprobes at all: with a uprobe family it would mean nothing */
	if (!ntok || (futex_only && m))
		return -EINVAL;
	*mask = m;
	return 0;
}

