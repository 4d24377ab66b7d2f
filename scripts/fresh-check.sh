#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The README's two commands on a Debian 12 that has never seen racetrace. Builds a throwaway
# minimal bookworm root (debootstrap --variant=minbase), adds only the README's prerequisites
# (git and make), `git clone`s the committed state of REF of this repository into it, and runs
# `make demo`, then `make test`, as root in a chroot with /proc, /sys (BTF, bpffs, tracefs) and
# /dev mounted: BPF works in a chroot on the same kernel. Prints both outcomes and removes the
# root. `make demo` passes when it exits 0 and its report names the lock-order-inversion and the
# start_thread and clone3 frames; `make test` when it exits 0.
#
# Usage: sudo scripts/fresh-check.sh [--keep] [--bench] [REF]
#   REF      a commit of this repository (default HEAD): what is committed, not the work tree
#   --bench  then run `make bench` too (BENCH_QUICK=1: a short run; it installs bench/deps.sh's
#            packages from nothing)
#   --keep   unmount, but leave the root in place for a look
#
# The host needs debootstrap (installed when missing) and network access to the Debian archive
# and the Go module proxy. Packages downloaded by debootstrap and by apt in the root, and the Go
# toolchains' module zips scripts/deps.sh fetches, are kept in $RT_FRESH_CACHE (default
# /var/cache/racetrace-fresh-check), so reruns download little; they still install everything. Logs go to a directory
# under /var/tmp that is kept. Package scripts start no services in the root (a policy-rc.d
# refuses them); at the end, every process whose root is inside it is killed and everything
# mounted under it is unmounted before it is removed. Exit status: 0 when every command passed.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${RT_FRESH_CACHE:-/var/cache/racetrace-fresh-check}
MIRROR=${RT_FRESH_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
PREREQS=(git make) # the README's prerequisites, and nothing more
PATH_IN_ROOT=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# One compound command, read whole before it runs: editing this file while a check runs (it
# takes a while) cannot change what the running check executes.
{
usage() {
	echo "usage: sudo $0 [--keep] [--bench] [REF]" >&2
	exit 1
}

keep=0
bench=0
ref=HEAD
while [ $# -gt 0 ]; do
	case "$1" in
	--keep) keep=1 ;;
	--bench) bench=1 ;;
	-*) usage ;;
	*) ref=$1 ;;
	esac
	shift
done

if [ "$(id -u)" -ne 0 ]; then
	echo "fresh-check: need root (debootstrap, chroot, mounts), run: sudo $0" >&2
	exit 1
fi
commit=$(git -C "$SRC" rev-parse --verify --quiet "$ref^{commit}") || {
	echo "fresh-check: $ref is not a commit of $SRC" >&2
	exit 1
}
gitdir=$(git -C "$SRC" rev-parse --path-format=absolute --git-common-dir)
if ! command -v debootstrap >/dev/null; then
	echo "fresh-check: installing debootstrap on this host"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

mkdir -p "$CACHE/debootstrap" "$CACHE/apt" "$CACHE/gomod-download"
logs=$(mktemp -d /var/tmp/racetrace-fresh-logs.XXXXXX)
root=$(mktemp -d /var/tmp/racetrace-fresh.XXXXXX)
chmod 0755 "$root" # it becomes /: mktemp's 0700 would shut out every other user (_apt, ...)

# Mount points under the root, deepest first.
mounts_inside() {
	awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r
}

# Signal every process whose root directory is the root or inside it; prints how many.
signal_inside() { # SIGNAL
	local p r n=0
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		case "$r" in
		"$root" | "$root"/*)
			kill -s "$1" "${p#/proc/}" 2>/dev/null && n=$((n + 1))
			;;
		esac
	done
	echo "$n"
}

cleanup() {
	local i m left
	trap - EXIT INT TERM
	[ -d "$root" ] || return 0
	for i in $(seq 1 20); do
		[ "$(signal_inside TERM)" -eq 0 ] && break
		sleep 0.5
	done
	for i in $(seq 1 10); do
		[ "$(signal_inside KILL)" -eq 0 ] && break
		sleep 0.5
	done
	for i in 1 2 3; do
		for m in $(mounts_inside); do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		done
	done
	left=$(mounts_inside)
	if [ -n "$left" ]; then
		# removing now would reach through a bind mount (the package cache, the repository)
		echo "fresh-check: still mounted, $root NOT removed: $left" >&2
		return 0
	fi
	if [ "$keep" -eq 1 ]; then
		echo "fresh-check: root kept at $root (nothing mounted)"
	else
		rm -rf --one-file-system "$root"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_root() { # COMMAND...: a login-like root shell in the root, with a clean environment
	chroot "$root" /usr/bin/env -i HOME=/root PATH="$PATH_IN_ROOT" TERM=dumb LANG=C.UTF-8 "$@"
}

echo "fresh-check: $SUITE minbase in $root, racetrace at $commit; logs in $logs"
if ! debootstrap --variant=minbase --cache-dir="$CACHE/debootstrap" "$SUITE" "$root" "$MIRROR" \
	>"$logs/debootstrap.log" 2>&1; then
	tail -n 20 "$logs/debootstrap.log" >&2
	echo "fresh-check: debootstrap failed (log: $logs/debootstrap.log)" >&2
	exit 1
fi

# No service starts from package scripts (invoke-rc.d and deb-systemd-invoke ask this).
printf '#!/bin/sh\n# fresh-check: no service starts in this root\nexit 101\n' \
	>"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The host's network, as resolv.conf: certificate authorities added on this host (a TLS-inspecting
# egress proxy's, say) go where update-ca-certificates finds them, so that the root's own
# ca-certificates, which deps.sh installs, trusts what the host trusts. A fresh machine on a
# plain network needs none of this.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
	mkdir -p "$root/usr/local/share/ca-certificates"
	cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi

# The root is a mount point of its own, private, as / is on a machine: the tests make mount
# namespaces, and unshare makes every mount private first, which needs / to be a mount.
mount --bind "$root" "$root"
mount --make-private "$root"
mount -t proc proc "$root/proc"
# rslave: what is unmounted under the root at the end is not unmounted on the host too
mount --rbind /sys "$root/sys"
mount --make-rslave "$root/sys"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
mount --bind "$CACHE/apt" "$root/var/cache/apt/archives"
# deps.sh's Go toolchains: only the downloaded zips are shared, it still unpacks them
mkdir -p "$root/var/cache/racetrace/gomod/cache/download"
mount --bind "$CACHE/gomod-download" "$root/var/cache/racetrace/gomod/cache/download"
mkdir -p "$root/mnt/racetrace.git"
mount --bind "$gitdir" "$root/mnt/racetrace.git"
mount -o remount,bind,ro "$root/mnt/racetrace.git"

echo "fresh-check: adding the README's prerequisites: ${PREREQS[*]}"
if ! in_root /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -qq ${PREREQS[*]}" >"$logs/prereqs.log" 2>&1; then
	tail -n 20 "$logs/prereqs.log" >&2
	echo "fresh-check: installing ${PREREQS[*]} failed (log: $logs/prereqs.log)" >&2
	exit 1
fi
in_root git clone -q --no-hardlinks /mnt/racetrace.git /root/racetrace
in_root git -C /root/racetrace checkout -q -B fresh-check "$commit"
umount "$root/mnt/racetrace.git"

# run_step NAME COMMAND: run COMMAND in the clone, as the user types it; its output is shown
# and logged. Sets rc.
run_step() {
	echo
	echo "fresh-check: ---- $2 ----"
	set +e
	in_root /bin/bash -c "cd /root/racetrace && $2" 2>&1 | tee "$logs/$1.log"
	rc=${PIPESTATUS[0]}
	set -e
}

results=()
failed=0
result() { # LINE OK(0/1)
	results+=("$1")
	[ "$2" -eq 0 ] || failed=1
}

run_step demo "make demo"
why=""
for want in lock-order-inversion start_thread clone3; do
	grep -q "$want" "$logs/demo.log" || why="${why:+$why, }no $want in its output"
done
if [ "$rc" -eq 0 ] && [ -z "$why" ]; then
	result "PASS make demo (exit 0; the report names lock-order-inversion, start_thread, clone3)" 0
else
	result "FAIL make demo (exit $rc${why:+; $why}; log: $logs/demo.log)" 1
fi

run_step test "make test"
last=$(grep -E '^run_all: ' "$logs/test.log" | tail -n 1 || true)
if [ "$rc" -eq 0 ]; then
	result "PASS make test (exit 0; ${last:-no run_all line})" 0
else
	# the e2e logs of failed tests are kept under the root's /tmp, which goes away
	cp -a "$root"/tmp/racetrace-e2e.* "$logs/" 2>/dev/null || true
	result "FAIL make test (exit $rc; ${last:-no run_all line}; log: $logs/test.log, e2e logs \
copied there)" 1
fi

if [ "$bench" -eq 1 ]; then
	run_step bench "BENCH_QUICK=1 make bench"
	if [ "$rc" -eq 0 ]; then
		result "PASS make bench (BENCH_QUICK=1; exit 0)" 0
	else
		result "FAIL make bench (BENCH_QUICK=1; exit $rc; log: $logs/bench.log)" 1
	fi
fi

echo
echo "fresh-check: racetrace $commit on a fresh $SUITE minbase root (+ ${PREREQS[*]}):"
for line in "${results[@]}"; do
	echo "fresh-check: $line"
done
exit "$failed"
}
