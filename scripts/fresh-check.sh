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
# Usage: sudo scripts/fresh-check.sh [--keep] [--bench | --deb] [REF]
#   REF      a commit of this repository (default HEAD): what is committed, not the work tree
#   --bench  then run `make bench` too (BENCH_QUICK=1: a short run; it installs bench/deps.sh's
#            packages from nothing)
#   --deb    run `make deb` instead of `make demo` and `make test`: the Debian package builds
#            from nothing (scripts/deps.sh --deb) and lintian finds no error in it
#   --keep   unmount, but leave the root in place for a look
#
# The host needs debootstrap (installed when missing) and network access to the Debian archive
# and the Go module proxy. Packages downloaded by debootstrap and by apt in the root, and the Go
# toolchains' module zips scripts/deps.sh fetches, are kept in $RT_FRESH_CACHE (default
# /var/cache/racetrace-fresh-check), so reruns download little; they still install everything. Logs go to a directory
# under /var/tmp that is kept. Package scripts start no services in the root (a policy-rc.d
# refuses them); at the end, every process whose root is inside it is killed and everything
# mounted under it is unmounted before it is removed (scripts/fresh-root.sh, shared with
# scripts/deb-check.sh). Exit status: 0 when every command passed.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${RT_FRESH_CACHE:-/var/cache/racetrace-fresh-check}
PREREQS=(git make) # the README's prerequisites, and nothing more
FR_NAME=fresh-check
# shellcheck source=scripts/fresh-root.sh
. "$SRC/scripts/fresh-root.sh"

# One compound command, read whole before it runs: editing this file while a check runs (it
# takes a while) cannot change what the running check executes.
{
usage() {
	echo "usage: sudo $0 [--keep] [--bench | --deb] [REF]" >&2
	exit 1
}

keep=0
bench=0
deb=0
ref=HEAD
while [ $# -gt 0 ]; do
	case "$1" in
	--keep) keep=1 ;;
	--bench) bench=1 ;;
	--deb) deb=1 ;;
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

mkdir -p "$CACHE/gomod-download"
logs=$(mktemp -d /var/tmp/racetrace-fresh-logs.XXXXXX)
root=$(mktemp -d /var/tmp/racetrace-fresh.XXXXXX)
trap fresh_root_cleanup EXIT
trap 'exit 130' INT TERM

echo "fresh-check: $FR_SUITE minbase in $root, racetrace at $commit; logs in $logs"
fresh_root_make "$logs/debootstrap.log"

# The host's network, as resolv.conf: certificate authorities added on this host (a TLS-inspecting
# egress proxy's, say) go where update-ca-certificates finds them, so that the root's own
# ca-certificates, which deps.sh installs, trusts what the host trusts. A fresh machine on a
# plain network needs none of this.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
	mkdir -p "$root/usr/local/share/ca-certificates"
	cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi

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

# The results, one line each; exits with 0 when every command passed.
summary() {
	local line
	echo
	echo "fresh-check: racetrace $commit on a fresh $FR_SUITE minbase root (+ ${PREREQS[*]}):"
	for line in "${results[@]}"; do
		echo "fresh-check: $line"
	done
	exit "$failed"
}

if [ "$deb" -eq 1 ]; then
	run_step deb "make deb"
	lint=$(grep -E '^build-deb: lintian: ' "$logs/deb.log" | tail -n 1 || true)
	if [ "$rc" -eq 0 ] && grep -q ': 0 errors,' <<<"$lint"; then
		result "PASS make deb (exit 0; ${lint#build-deb: })" 0
	else
		result "FAIL make deb (exit $rc; ${lint:-no lintian line}; log: $logs/deb.log)" 1
	fi
	summary
fi

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

summary
}
