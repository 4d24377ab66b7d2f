#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Regenerate vmlinux.h from the running kernel's BTF: scripts/gen_vmlinux.sh OUT
set -euo pipefail
out=${1:?usage: gen_vmlinux.sh OUT}
btf=/sys/kernel/btf/vmlinux
if [ ! -r "$btf" ]; then
	echo "gen_vmlinux: $btf not readable: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y needed)" >&2
	exit 1
fi
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c >"$out.tmp"
mv "$out.tmp" "$out"
