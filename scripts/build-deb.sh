#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Build the Debian package (debian/) with the standard tools, `dpkg-buildpackage -us -uc -b`,
# in a copy of the tree under OUTDIR, then run lintian on it. The copy holds the files git
# tracks or would track (committed or not, ignored ones left out): dpkg-buildpackage writes the
# .deb next to the tree it builds, and its clean step runs `make clean`, which would empty this
# tree's .output. `make deb` runs it after `scripts/deps.sh --deb`.
#
# Usage: scripts/build-deb.sh OUTDIR [SUFFIX]
#   SUFFIX  a local version suffix such as +check1: the copy's debian/changelog gets a newer
#           entry VERSION+check1, so racetrace -V, the man page and the package say it (the
#           package check installs such a build over the tree's own, scripts/deb-check.sh)
# Leaves OUTDIR/racetrace_V_amd64.deb, OUTDIR/racetrace-dbgsym_V_amd64.deb, the .changes and
# .buildinfo, OUTDIR/lintian.txt; prints the paths. Exit status 0 when the build succeeded
# and lintian reported no error.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)

# One compound command, read whole before it runs (as fresh-check.sh): editing this file while
# a build runs cannot change what the running build executes.
{
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 OUTDIR [SUFFIX]" >&2
	exit 1
fi
out=$1
suffix=${2:-}
case "$suffix" in
"" | +[a-z0-9]*) ;;
*)
	echo "build-deb: SUFFIX must start with + and a letter or digit (+check1), not '$suffix'" >&2
	exit 1
	;;
esac
for tool in dpkg-buildpackage dh lintian; do
	command -v "$tool" >/dev/null || {
		echo "build-deb: $tool not found: run 'sudo scripts/deps.sh --deb' (or 'make deb')" >&2
		exit 1
	}
done

version=$(sed -n '1s/^racetrace (\([^ ]*\)) .*/\1/p' "$SRC/debian/changelog")
[ -n "$version" ] || {
	echo "build-deb: no version on debian/changelog's first line: restore it" \
	     "('git checkout debian/changelog')" >&2
	exit 1
}
version=$version$suffix

mkdir -p "$out"
out=$(cd "$out" && pwd)
tree=$out/racetrace-$version
rm -rf "$tree"
mkdir -p "$tree"
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
	tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$tree"
rm -rf "$tree/.output"

if [ -n "$suffix" ]; then
	# a newer entry on top, dated now: what `dch --local` would write
	entry=$(printf '%s\n\n  * %s\n\n -- %s  %s\n\n' \
		"racetrace ($version) bookworm; urgency=medium" \
		"Local build $suffix of ${version%"$suffix"}." \
		"$(sed -n '/^ -- /{s/^ -- \(.*>\)  .*/\1/p;q}' "$SRC/debian/changelog")" \
		"$(date -R)")
	{ printf '%s\n\n' "$entry"; cat "$SRC/debian/changelog"; } >"$tree/debian/changelog"
fi

log=$out/build-$version.log
echo "build-deb: dpkg-buildpackage -us -uc -b in $tree (log: $log)"
if ! (cd "$tree" && dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "build-deb: dpkg-buildpackage failed (log: $log)" >&2
	exit 1
fi
deb=$out/racetrace_${version}_amd64.deb
dbg=$out/racetrace-dbgsym_${version}_amd64.deb
changes=$out/racetrace_${version}_amd64.changes
for f in "$deb" "$dbg" "$changes"; do
	[ -f "$f" ] || {
		echo "build-deb: dpkg-buildpackage did not write $f (log: $log)" >&2
		exit 1
	}
done
rm -rf "$tree"

# lintian on the .changes: the .deb, its -dbgsym and the .buildinfo. Every warning left is
# explained in debian/racetrace.lintian-overrides or docs/install.md; an error fails the build.
echo "build-deb: lintian $changes"
set +e
lintian --fail-on error --display-info "$changes" >"$out/lintian.txt" 2>&1
lrc=$?
set -e
cat "$out/lintian.txt"
echo "build-deb: lintian: $(grep -c '^E:' "$out/lintian.txt" || true) errors," \
     "$(grep -c '^W:' "$out/lintian.txt" || true) warnings," \
     "$(grep -c '^I:' "$out/lintian.txt" || true) infos (exit $lrc)"
if [ "$lrc" -ne 0 ]; then
	echo "build-deb: lintian failed on $changes (full output: $out/lintian.txt)" >&2
	exit 1
fi
echo "build-deb: $deb"
echo "build-deb: $dbg"
exit 0
}
