#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Build, once, a minimal Debian root filesystem for the container tests (tests/e2e/containers.py):
#   scripts/container_root.sh DIR [LIBC6_VERSION]
# DIR gets `debootstrap --variant=minbase bookworm`. With LIBC6_VERSION (one that
# `apt-cache madison libc6` lists, e.g. the security suite's build) DIR is a copy of the plain
# root DIR/../bookworm (built first when missing) with that libc6 package unpacked over its own,
# so the root's C library is a different build from the host's.
# A finished root is marked with DIR/.racetrace-root (its libc6 version) and reused as is; a
# root left half-built by an interrupted run is built again. The roots live under .output/
# (the tests put them in .output/roots/), so `make clean` removes them; the packages debootstrap
# downloads stay in /var/cache/racetrace/debootstrap, so a rebuild downloads little. Needs root
# and debootstrap (scripts/deps.sh installs it) and, the first time, the Debian archive.
set -euo pipefail

MIRROR=${RT_ROOT_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
CACHE=/var/cache/racetrace/debootstrap

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 DIR [LIBC6_VERSION]" >&2
	exit 1
fi
dir=$(realpath -m "$1")
libc=${2:-}
if [ "$(id -u)" -ne 0 ]; then
	echo "container_root: need root (debootstrap), run: sudo $0 $*" >&2
	exit 1
fi
if ! command -v debootstrap >/dev/null; then
	echo "container_root: debootstrap is missing: run scripts/deps.sh" >&2
	exit 1
fi

mkdir -p "$(dirname "$dir")" "$CACHE"
# one builder at a time per root; a second caller waits and then finds the root ready
exec 9>"$dir.lock"
flock 9
want="libc6=${libc:-$SUITE}"
if [ -f "$dir/.racetrace-root" ] && [ "$(cat "$dir/.racetrace-root")" = "$want" ]; then
	exit 0
fi

rm -rf "$dir" "$dir.tmp"
log="$dir.log"
if [ -n "$libc" ]; then
	base=$(dirname "$dir")/$SUITE
	"$0" "$base"
	echo "container_root: $dir: a copy of $base with libc6 $libc (once; log: $log)"
	: >"$log"
	cp -a "$base" "$dir.tmp"
else
	echo "container_root: debootstrap $SUITE into $dir (once; log: $log)"
	if ! debootstrap --variant=minbase --cache-dir="$CACHE" "$SUITE" "$dir.tmp" "$MIRROR" \
		>"$log" 2>&1; then
		tail -n 20 "$log" >&2
		echo "container_root: debootstrap failed (log: $log)" >&2
		exit 1
	fi
fi
if [ -n "$libc" ]; then
	deb=$(ls "$CACHE"/libc6_"${libc//:/%3a}"_amd64.deb 2>/dev/null || true)
	if [ -z "$deb" ]; then
		(cd "$CACHE" && apt-get download -q "libc6=$libc" >>"$log" 2>&1) || {
			echo "container_root: cannot download libc6=$libc (apt-cache madison libc6" \
			     "lists the versions; run apt-get update)" >&2
			exit 1
		}
		deb=$(ls "$CACHE"/libc6_"${libc//:/%3a}"_amd64.deb)
	fi
	# --keep-directory-symlink: /lib is a symlink to usr/lib in the root (merged /usr)
	dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C "$dir.tmp"
fi
echo "$want" >"$dir.tmp/.racetrace-root"
mv "$dir.tmp" "$dir"
