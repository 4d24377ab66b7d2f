// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Checks on untrusted ELF files (elfcheck.h). */
#include <string.h>
#include <elfutils/libdwelf.h>
#include "elf/elfcheck.h"

bool rt_elf_section_sane(Elf_Scn *scn, const GElf_Shdr *sh, const char *name, __u64 max,
			 __u64 ratio)
{
	__u64 size;

	if (sh->sh_flags & SHF_COMPRESSED) {
		GElf_Chdr ch;

		if (!gelf_getchdr(scn, &ch))
			return false;
		size = ch.ch_size;
	} else if (!strncmp(name, ".zdebug", 7)) {
		ssize_t n = dwelf_scn_gnu_compressed_size(scn);

		if (n < 0)
			return false;
		size = n;
	} else {
		return true;
	}
	return size <= max && size / ratio <= sh->sh_size;
}
