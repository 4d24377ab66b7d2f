/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Checks on untrusted ELF files shared by the symbolizer and the Go reader. */
#ifndef RT_ELFCHECK_H
#define RT_ELFCHECK_H

#include <stdbool.h>
#include <gelf.h>
#include <linux/types.h>

/*
 * libdw inflates a compressed debug section (SHF_COMPRESSED, or GNU .zdebug_*) to the size its
 * header claims: false when that size is over max or more than ratio times the compressed
 * bytes (a decompression bomb), or the header is unreadable. Uncompressed sections pass.
 */
bool rt_elf_section_sane(Elf_Scn *scn, const GElf_Shdr *sh, const char *name, __u64 max,
			 __u64 ratio);

#endif /* RT_ELFCHECK_H */
