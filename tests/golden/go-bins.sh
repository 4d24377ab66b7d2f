#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Run CMD... in a private mount namespace in which this checkout's .output/go-targets is seen
# at /tmp/racetrace-golden-go, the path the golden traces of Go programs were recorded from.
#
# Why: replaying a Go trace is not a function of the trace alone. The engine asks the
# symbolizer which package a goroutine's `go` statement or a channel's make site is in
# (hb_opts.site_class: runtime goroutines and timer channels are not the program's), and the
# symbolizer reads that from the .gopclntab of the binary at the path the trace recorded, even
# under --no-symbolize. Without the binary there, a trace like gotest's deadlock replays to no
# finding. A path inside a checkout would tie the traces to one checkout; this fixed path,
# bound to whichever checkout runs the check, keeps them hermetic. Go builds of the same
# source with the same toolchain have the same code at the same addresses whatever directory
# they were built in (only .gopclntab's file names differ), so any checkout's build serves.
#
# Root gets a mount namespace; anyone else a user namespace mapped to root with its own mount
# namespace (unprivileged user namespaces must be allowed). Nothing changes outside it but
# the empty directory /tmp/racetrace-golden-go, the mount point. CMD runs in the caller's
# directory. Exit status: CMD's, or 1 with a line on stderr when the namespace or the mount
# cannot be made.
set -euo pipefail

self=$(realpath "$0")
MNT=/tmp/racetrace-golden-go
src=$(realpath "$(dirname "$self")/../..")/.output/go-targets

if [ $# -eq 0 ]; then
	echo "usage: tests/golden/go-bins.sh CMD [ARGS...]" >&2
	exit 1
fi
if [ -z "${RT_GOLDEN_GO_NS:-}" ]; then
	if ! [ -d "$src" ]; then
		echo "go-bins: $src missing: run 'make go-targets'" >&2
		exit 1
	fi
	mkdir -p "$MNT"
	ns=(--mount)
	[ "$(id -u)" -eq 0 ] || ns=(--user --map-root-user --mount)
	# unshare names its own failure (not root and no unprivileged user namespaces)
	RT_GOLDEN_GO_NS=1 exec unshare "${ns[@]}" --propagation private "$self" "$@"
fi
if ! mount --bind "$src" "$MNT"; then
	echo "go-bins: cannot bind $src at $MNT" >&2
	exit 1
fi
unset RT_GOLDEN_GO_NS
exec "$@"
