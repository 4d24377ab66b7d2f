#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The Debian package on a Debian 12 that has never seen racetrace (`make deb-check`, not part
# of `make test`). Builds the package of this work tree twice (scripts/build-deb.sh): as the
# tree's version V and as V+debcheck1, a newer local build. Then, in a throwaway minimal
# bookworm root (debootstrap --variant=minbase, whose only apt source is bookworm: no
# backports) chrooted with /proc, /sys (BTF, bpffs) and /dev mounted, as scripts/fresh-check.sh
# does, checks:
#   install   apt-get install ./racetrace_V_amd64.deb takes its dependencies from the archive
#   unit      racetrace.service is installed and not enabled
#   version   racetrace -V prints the tree's version
#   finding   racetrace -- /usr/lib/racetrace/examples/bank reports its lock-order inversion
#   dbgsym    racetrace-dbgsym holds racetrace's and the bank's debug info by build-id, and
#             with it the bank's report names transfer() (then it is purged again)
#   daemon    racetrace daemon --config /etc/racetrace/racetrace.conf starts and serves
#             metrics on 127.0.0.1:9464, in a network namespace of its own (loopback only)
#   upgrade   a modified config survives installing V+debcheck1 over V
#   remove    apt-get remove keeps the config and the findings directory
#   purge     apt-get purge --autoremove leaves nothing: no file of the package (dpkg -L), no
#             path the daemon wrote, no systemd state, and the root's file list is the one it
#             had before the install
# and that no process is left running in the root and no BPF link on a file in it.
# Prints one PASS or FAIL line per check and removes the root. Exit status 0 when all passed.
#
# Usage: sudo scripts/deb-check.sh [--keep]
#   --keep   unmount, but leave the root in place for a look
#
# Needs root, debootstrap, unshare, ip, curl, readelf and bpftool on the host (scripts/deps.sh
# --deb), and the Debian archive. Packages are cached in $RT_FRESH_CACHE (default
# /var/cache/racetrace-fresh-check, shared with fresh-check.sh); logs go to a directory under
# /var/tmp that is kept. Package scripts start no services in the root (a policy-rc.d refuses
# them); at the end every process whose root is inside it is killed and everything mounted
# under it is unmounted, deepest first, before it is removed.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${RT_FRESH_CACHE:-/var/cache/racetrace-fresh-check}
SUFFIX=+debcheck1
FR_NAME=deb-check
# shellcheck source=scripts/fresh-root.sh
. "$SRC/scripts/fresh-root.sh"
METRICS=127.0.0.1:9464 # the example config's [output] metrics

# One compound command, read whole before it runs (as fresh-check.sh): editing this file while
# a check runs cannot change what the running check executes.
{
keep=0
case "${1:-}" in
"") ;;
--keep) keep=1 ;;
*)
	echo "usage: sudo $0 [--keep]" >&2
	exit 1
	;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "deb-check: need root (debootstrap, chroot, mounts, BPF), run: sudo $0" >&2
	exit 1
fi
for tool in debootstrap unshare ip curl readelf bpftool dpkg-buildpackage lintian; do
	command -v "$tool" >/dev/null || {
		echo "deb-check: $tool not found: run 'sudo scripts/deps.sh --deb' (or 'make deb-check')" >&2
		exit 1
	}
done

version=$(sed -n '1s/^racetrace (\([^ ]*\)) .*/\1/p' "$SRC/debian/changelog")
newer=$version$SUFFIX
debs=$SRC/.output/deb
"$SRC/scripts/build-deb.sh" "$debs"
"$SRC/scripts/build-deb.sh" "$debs" "$SUFFIX"
deb_old=racetrace_${version}_amd64.deb
deb_new=racetrace_${newer}_amd64.deb

logs=$(mktemp -d /var/tmp/racetrace-deb-check-logs.XXXXXX)
root=$(mktemp -d /var/tmp/racetrace-deb-check.XXXXXX)
trap fresh_root_cleanup EXIT
trap 'exit 130' INT TERM

# Package scripts read no terminal here
apt_in_root() { # COMMAND...
	in_root env DEBIAN_FRONTEND=noninteractive "$@" </dev/null
}

results=()
failed=0
result() { # OK(0/1) WORDS...
	if [ "$1" -eq 0 ]; then
		results+=("PASS ${*:2}")
	else
		results+=("FAIL ${*:2}")
		failed=1
	fi
	echo "deb-check: ${results[-1]}"
}

# The root's files, for the before/after comparison of the purge: everything but what apt and
# dpkg keep about themselves, the mounts, and the scratch places.
root_files() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./run \
		-o -path ./tmp -o -path ./var/tmp -o -path ./root/debs -o -path ./var/cache/apt \
		-o -path ./var/lib/apt -o -path ./var/lib/dpkg -o -path ./var/cache/debconf \
		-o -path ./var/cache/ldconfig -o -path ./var/log/apt -o -path ./var/log/dpkg.log \
		-o -path ./var/log/alternatives.log \) -prune -o -print | LC_ALL=C sort)
}

echo "deb-check: $FR_SUITE minbase in $root, racetrace $version and $newer; logs in $logs"
fresh_root_make "$logs/debootstrap.log"
mkdir -p "$root/root/debs"
cp "$debs/$deb_old" "$debs/$deb_new" "$root/root/debs/"

if ! apt_in_root apt-get update >"$logs/update.log" 2>&1; then
	tail -n 20 "$logs/update.log" >&2
	echo "deb-check: apt-get update in the root failed (log: $logs/update.log)" >&2
	exit 1
fi
root_files >"$logs/files-before.txt"

# install: the only apt source is bookworm's archive
sources=$(cat "$root"/etc/apt/sources.list "$root"/etc/apt/sources.list.d/* 2>/dev/null |
	grep -v '^#' | grep . || true)
set +e
apt_in_root /bin/sh -c "cd /root/debs && apt-get install -y ./$deb_old" \
	>"$logs/install.log" 2>&1
rc=$?
set -e
deps=$(in_root dpkg-query -W -f='${Depends}' racetrace 2>/dev/null || true)
installed=$(in_root dpkg-query -W -f='${binary:Package} ${Version}\n' libc6 libelf1 libdw1 \
	zlib1g libmicrohttpd12 libc6-dbg 2>/dev/null | tr '\n' ',' | sed 's/,$//; s/,/, /g')
if [ "$rc" -eq 0 ] && ! grep -q backports <<<"$sources" && ! grep -q bpo <<<"$installed" &&
	[ -n "$deps" ]; then
	result 0 "install: apt-get install ./$deb_old from '$sources' alone (Depends: $deps;" \
"installed: $installed)"
else
	result 1 "install: apt-get install ./$deb_old: exit $rc, sources '$sources', installed" \
"'$installed' (log: $logs/install.log)"
	tail -n 20 "$logs/install.log" >&2
fi
in_root dpkg -L racetrace >"$logs/package-files.txt" 2>/dev/null || true
root_files >"$logs/files-installed.txt"
added=$(comm -13 "$logs/files-before.txt" "$logs/files-installed.txt" | grep -c . || true)

# the unit: installed, not enabled (no symlink to it under /etc/systemd)
wants=$(cd "$root/etc" && find systemd -name racetrace.service 2>/dev/null | tr '\n' ' ' || true)
if [ -f "$root/lib/systemd/system/racetrace.service" ] && [ -z "$wants" ]; then
	result 0 "unit: /lib/systemd/system/racetrace.service installed, not enabled (no link" \
"under /etc/systemd)"
else
	result 1 "unit: installed $([ -f "$root/lib/systemd/system/racetrace.service" ] &&
echo yes || echo no), enabled by: '$wants'"
fi

# version
got=$(in_root racetrace -V 2>&1 || true)
if [ "$got" = "racetrace $version" ]; then
	result 0 "version: racetrace -V prints '$got', debian/changelog's $version"
else
	result 1 "version: racetrace -V prints '$got', want 'racetrace $version'"
fi

# finding: the bundled bank, whose two tellers take two locks in opposite orders
set +e
in_root racetrace -- /usr/lib/racetrace/examples/bank </dev/null >"$logs/bank.log" 2>&1
rc=$?
set -e
line=$(grep -m1 'lock-order-inversion' "$logs/bank.log" || true)
if [ "$rc" -eq 66 ] && [ -n "$line" ]; then
	result 0 "finding: racetrace -- /usr/lib/racetrace/examples/bank exits 66 and reports:" \
"$line"
else
	result 1 "finding: racetrace -- /usr/lib/racetrace/examples/bank exit $rc, want 66 and a" \
"lock-order-inversion (log: $logs/bank.log)"
fi

# dbgsym: racetrace-dbgsym holds the debug info of racetrace and of the (stripped) bank by
# build-id; with it, the bank's report names transfer() and teller(). Removed again after.
deb_dbg=racetrace-dbgsym_${version}_amd64.deb
cp "$debs/$deb_dbg" "$root/root/debs/"
set +e
apt_in_root dpkg -i "/root/debs/$deb_dbg" >"$logs/dbgsym.log" 2>&1
rc=$?
in_root racetrace -- /usr/lib/racetrace/examples/bank </dev/null >"$logs/bank-dbgsym.log" 2>&1
brc=$?
apt_in_root dpkg --purge racetrace-dbgsym >>"$logs/dbgsym.log" 2>&1
prc=$?
set -e
ids=""
for bin in usr/sbin/racetrace usr/lib/racetrace/examples/bank; do
	id=$(readelf -n "$root/$bin" 2>/dev/null | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
	[ -n "$id" ] && grep -q "/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug\$" \
		<(dpkg-deb -c "$debs/$deb_dbg") && ids="$ids ${bin##*/}"
done
frame=$(grep -m1 -E '#[0-9]+ 0x[0-9a-f]+ transfer' "$logs/bank-dbgsym.log" || true)
if [ "$rc" -eq 0 ] && [ "$brc" -eq 66 ] && [ "$prc" -eq 0 ] && [ -n "$frame" ] &&
	[ "$ids" = " racetrace bank" ]; then
	result 0 "dbgsym: $deb_dbg holds the build-ids of racetrace and bank; with it the" \
"bank's report names its frames: $(sed 's/^ *//' <<<"$frame")"
else
	result 1 "dbgsym: dpkg -i exit $rc, bank exit $brc, purge exit $prc, build-ids of:${ids:-}" \
"none, frame '${frame}' (logs: $logs/dbgsym.log, $logs/bank-dbgsym.log)"
fi

# daemon: in a network namespace of its own with only loopback up, so that the example
# config's 127.0.0.1:9464 is loopback and clashes with nothing on the host. The daemon is
# stopped with SIGTERM; the cleanup kills it if that fails.
set +e
unshare --net /bin/bash -c '
	root=$1 path=$2 metrics=$3 logs=$4
	ip link set lo up || exit 3
	chroot "$root" /usr/bin/env -i HOME=/root PATH="$path" LANG=C.UTF-8 \
		racetrace daemon --config /etc/racetrace/racetrace.conf \
		</dev/null >"$logs/daemon.out" 2>"$logs/daemon.err" &
	pid=$!
	ok=0
	for i in $(seq 1 60); do
		if curl -sf --max-time 2 "http://$metrics/metrics" >"$logs/metrics.txt"; then
			ok=1
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	ss -ltnH >"$logs/listen.txt" 2>/dev/null || true
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	echo "$?" >"$logs/daemon.rc"
	[ "$ok" -eq 1 ]
' deb-check "$root" "$PATH_IN_ROOT" "$METRICS" "$logs"
rc=$?
set -e
drc=$(cat "$logs/daemon.rc" 2>/dev/null || echo none)
info=$(grep -m1 '^racetrace_build_info{' "$logs/metrics.txt" 2>/dev/null || true)
if [ "$rc" -eq 0 ] && [ "$drc" = 0 ] && grep -q "version=\"$version\"" <<<"$info" &&
	grep -q "^racetrace: daemon running" "$logs/daemon.err"; then
	result 0 "daemon: racetrace daemon --config /etc/racetrace/racetrace.conf serves" \
"http://$METRICS/metrics ($(wc -l <"$logs/metrics.txt") lines; $info), listens on" \
"$(awk '{print $4}' "$logs/listen.txt" | tr '\n' ' ')and exits 0 on SIGTERM"
else
	result 1 "daemon: exit $drc, metrics ${info:-none} (logs: $logs/daemon.err," \
"$logs/metrics.txt)"
	tail -n 5 "$logs/daemon.err" >&2 || true
fi
findings_written=$( [ -e "$root/var/log/racetrace/findings.jsonl" ] && echo yes || echo no)

# upgrade: a modified config survives installing the newer build over it
conf=$root/etc/racetrace/racetrace.conf
sed -i 's/^hang_threshold_seconds = .*/hang_threshold_seconds = 9/' "$conf"
echo "# modified by deb-check" >>"$conf"
before=$(sha256sum <"$conf")
set +e
apt_in_root /bin/sh -c "cd /root/debs && apt-get install -y ./$deb_new" \
	>"$logs/upgrade.log" 2>&1
rc=$?
set -e
after=$(sha256sum <"$conf" 2>/dev/null || true)
got=$(in_root racetrace -V 2>&1 || true)
extra=$(cd "$root/etc/racetrace" && ls -A | grep -v '^racetrace.conf$' | tr '\n' ' ' || true)
if [ "$rc" -eq 0 ] && [ "$before" = "$after" ] && [ "$got" = "racetrace $newer" ] &&
	[ -z "$extra" ]; then
	result 0 "upgrade: apt-get install ./$deb_new keeps the modified racetrace.conf" \
"(hang_threshold_seconds = 9, same sha256), no .dpkg-* file; racetrace -V prints '$got'"
else
	result 1 "upgrade: exit $rc, config $([ "$before" = "$after" ] && echo kept ||
echo changed), racetrace -V '$got', extra files '$extra' (log: $logs/upgrade.log)"
fi
in_root dpkg -L racetrace >>"$logs/package-files.txt" 2>/dev/null || true

# remove: keeps the config and the findings directory
set +e
apt_in_root apt-get remove -y racetrace >"$logs/remove.log" 2>&1
rc=$?
set -e
status=$(in_root dpkg-query -W -f='${db:Status-Abbrev}' racetrace 2>/dev/null | tr -d ' ' ||
	true)
if [ "$rc" -eq 0 ] && [ "$status" = rc ] && [ ! -e "$root/usr/sbin/racetrace" ] &&
	grep -q '^hang_threshold_seconds = 9' "$conf" 2>/dev/null &&
	[ -d "$root/var/log/racetrace" ]; then
	result 0 "remove: apt-get remove racetrace removes /usr/sbin/racetrace, keeps the" \
"modified /etc/racetrace/racetrace.conf and /var/log/racetrace (findings.jsonl written by the" \
"daemon: $findings_written) (dpkg status $status)"
else
	result 1 "remove: exit $rc, dpkg status '$status' (log: $logs/remove.log)"
fi

# purge: nothing left, against the package's file list, the daemon's paths and the root's
# file list from before the install
set +e
apt_in_root apt-get purge -y --autoremove racetrace >"$logs/purge.log" 2>&1
rc=$?
set -e
left=()
while read -r f; do
	case "$f" in "" | /.) continue ;; esac
	# /lib, /bin, ...: the merged /usr's aliases, symlinks of the root, not of the package
	# (which ships no symlink)
	[ -L "$root$f" ] && [ -d "$root$f" ] && continue
	if [ -d "$root$f" ]; then
		# a directory may stay when another package owns it too (/usr/sbin, /lib/systemd)
		in_root dpkg-query -S "$f" >/dev/null 2>&1 || left+=("$f")
	elif [ -e "$root$f" ] || [ -L "$root$f" ]; then
		left+=("$f")
	fi
done < <(sort -u "$logs/package-files.txt")
for f in /etc/racetrace /var/log/racetrace; do
	[ -e "$root$f" ] && left+=("$f")
done
left+=($(cd "$root" && ls -d var/lib/systemd/deb-systemd-helper-*/*racetrace* \
	var/lib/systemd/deb-systemd-helper-*/*/*racetrace* 2>/dev/null || true))
root_files >"$logs/files-after.txt"
diff -u "$logs/files-before.txt" "$logs/files-after.txt" >"$logs/files.diff" || true
ndiff=$(grep -c '^[-+]\./' "$logs/files.diff" || true)
status=$(in_root dpkg-query -W -f='${db:Status-Abbrev}' racetrace 2>/dev/null || echo gone)
npkg=$(sort -u "$logs/package-files.txt" | grep -c . || true)
if [ "$rc" -eq 0 ] && [ ${#left[@]} -eq 0 ] && [ "$ndiff" -eq 0 ]; then
	result 0 "purge: apt-get purge --autoremove racetrace leaves none of the package's $npkg" \
"paths, no /etc/racetrace, no /var/log/racetrace, no systemd state; the root's file list is" \
"the one before the install, which had added $added paths (dpkg: $status)"
else
	result 1 "purge: exit $rc, left: ${left[*]:-nothing}; $ndiff paths differ from before the" \
"install (log: $logs/purge.log, diff: $logs/files.diff)"
	head -n 20 "$logs/files.diff" >&2
fi

n=$(signal_inside TERM)
if [ "$n" -eq 0 ]; then
	result 0 "no process left running in the root"
else
	result 1 "$n processes were still running in the root (now sent SIGTERM)"
fi
# racetrace's links are owned by its file descriptors: none may outlive it. Only links on files
# in this root count: other racetraces on the host are not ours.
links=$(bpftool link show 2>/dev/null | grep -c "path $root/" || true)
if [ "$links" -eq 0 ]; then
	result 0 "no BPF link left on a file in the root (bpftool link show)"
else
	result 1 "$links BPF links left on files in the root (bpftool link show)"
fi

echo
echo "deb-check: racetrace $version and $newer on a fresh $FR_SUITE minbase root:"
for line in "${results[@]}"; do
	echo "deb-check: $line"
done
exit "$failed"
}
