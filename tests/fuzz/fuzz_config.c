// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: the daemon's config parser on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "lib/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_config c;
	char err[256];

	if (rt_config_parse(&c, (const char *)data, size, err, sizeof(err)) == 0) {
		__u32 i;

		for (i = 0; i < c.ntargets; i++)
			rt_cfg_match(&c.targets[i], "/usr/bin/x", "x", "/system.slice/x.service");
	} else if (!memchr(err, 0, sizeof(err))) {
		__builtin_trap(); /* the error must be a terminated string */
	}
	return 0;
}
