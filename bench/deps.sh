#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Install the Debian packages that only `make bench` needs, idempotently: BCC's tools (for the
# deadlock-bpfcc comparison), memcached (a real workload), valgrind (helgrind, callgrind),
# binutils (objdump, nm) and the kernel headers BCC compiles its programs against. When
# everything is present it does nothing and needs no network. scripts/deps.sh owns the rest
# (the toolchain, libbpf, the Go toolchains, etcd): `make bench` runs it first, then this
# (bench/run.sh), so it works from a machine with only the README's prerequisites.
#
# BCC wants headers at /lib/modules/$(uname -r)/{build,source}. Debian has no headers for a
# kernel it did not build, so this links bookworm's own (6.1) headers there when that path is
# missing. BCC's deadlock program only uses uprobes and maps, so the version difference is
# harmless for it; bench/bench.py records it if the tool still cannot run.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "racetrace bench deps: need root to install packages, run: sudo $0" >&2
	exit 1
fi

PKGS=(bpfcc-tools python3-bpfcc memcached valgrind linux-headers-amd64 clang-19 python3
      binutils util-linux)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	echo "racetrace bench deps: installing ${missing[*]}"
	apt-get update -qq
	# linux-headers-amd64 from bookworm proper (6.1), not backports: it matches BCC's build.
	apt-get install -y -qq "${missing[@]}" >/dev/null
	# The Debian memcached package starts a system daemon on 11211; the bench runs its own.
	if systemctl is-active -q memcached 2>/dev/null; then
		systemctl stop memcached || true
	fi
fi

# Debian splits headers into an -amd64 tree (build) and a -common tree (source); BCC needs both.
mods=/lib/modules/$(uname -r)
deb=$(ls -d /lib/modules/*/build 2>/dev/null | grep -v "^$mods/" | sort -V | tail -n 1 || true)
for link in build source; do
	if [ ! -e "$mods/$link" ]; then
		if [ -z "$deb" ]; then
			echo "racetrace bench deps: no Debian kernel headers under /lib/modules" >&2
			exit 1
		fi
		mkdir -p "$mods"
		ln -sfn "$(readlink -f "$(dirname "$deb")/$link")" "$mods/$link"
		echo "racetrace bench deps: linked $mods/$link -> $(readlink "$mods/$link")"
	fi
done
exit 0
