// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: the memory-access decoder (elf/memsites.c) on arbitrary function bytes, as
 * Go and as C code, and the suppressions parser (lib/supp.c) on the same bytes. Crashes and
 * sanitizer reports are the findings; the traps catch broken contracts: a site outside the
 * function, a probe that is not the access or an instruction next to it, a size of 0.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "elf/memsites.h"
#include "lib/supp.h"

#define BASE 0x401000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_memsites ms = { 0 };
	struct rt_supp *s;
	char err[128] = "";
	size_t i;
	int go;

	for (go = 0; go < 2; go++) {
		if (rt_memsites__decode(data, size, BASE, 0x1000, go, &ms))
			continue;
		for (i = 0; i < ms.n; i++) {
			const struct rt_memsite *m = &ms.s[i];

			if (m->vaddr < BASE || m->vaddr + m->len > BASE + size || !m->size ||
			    m->probe < BASE || m->probe >= BASE + size ||
			    m->probe + 32 < m->vaddr || m->probe > m->vaddr + m->len ||
			    m->off != 0x1000 + (m->probe - BASE))
				__builtin_trap();
		}
		rt_memsites__free(&ms);
	}
	s = rt_supp__parse((const char *)data, size, err, sizeof(err));
	if (s)
		rt_supp__race(s, "bump_counter");
	else if (!memchr(err, 0, sizeof(err)))
		__builtin_trap();
	rt_supp__free(s);
	return 0;
}
