#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Break racetrace on purpose and show that the must-not-report e2e tests notice. Each sabotage
# of .output/sabotage/racetrace (`make sabotage`; the knob is user/lib/sabotage.h, absent from
# every other build) runs the tests registered with clean=True (tests/e2e/run.py --clean):
#   drop90  the consumer silently drops 9 of every 10 records
#   late2s  the consumer drops everything of the first 2 s: as if the probes went in 2 s late
#   nogo    no Go probes
# A test that passes under a sabotage proved nothing about it. The script prints, per sabotage,
# the tests that caught it (failed) and those that did not, and exits 1 unless every sabotage
# was caught by at least one test. With --control it first runs the same tests on the same
# binary without a sabotage, which must all pass (so the failures are the sabotage's).
#
# Usage: tests/sabotage.sh [--control] [NAME_SUBSTRING...]   (default: every clean test)
# Environment: SABOTAGES (default "drop90 late2s nogo"), RT_E2E_LOGDIR (kept logs).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.output/sabotage/racetrace
SABOTAGES=${SABOTAGES:-drop90 late2s nogo}
control=0
if [ "${1:-}" = --control ]; then
	control=1
	shift
fi
if [ ! -x "$BIN" ]; then
	echo "sabotage: $BIN missing: run 'make sabotage'" >&2
	exit 1
fi
logs=${RT_E2E_LOGDIR:-$(mktemp -d /tmp/racetrace-sabotage.XXXXXX)}
mkdir -p "$logs"
# the selection, once: every run below runs exactly these
mapfile -t tests < <(python3 tests/e2e/run.py --clean --list "$@")
if [ ${#tests[@]} -eq 0 ]; then
	echo "sabotage: no must-not-report test matches: $*" >&2
	exit 1
fi
echo "sabotage: ${#tests[@]} must-not-report tests, sabotages: $SABOTAGES (logs in $logs)"


if [ $control -eq 1 ]; then
	RACETRACE=$BIN RT_E2E_LOGDIR="$logs/control" \
		python3 tests/e2e/run.py --clean "$@" >"$logs/control.out" 2>&1 || true
	if grep -q '^FAIL ' "$logs/control.out"; then
		echo "sabotage: the control run (no sabotage) failed, so failures prove nothing:"
		grep '^FAIL ' "$logs/control.out"
		exit 1
	fi
	echo "control (no sabotage): $(tail -n 1 "$logs/control.out")"
fi

missed=()
for s in $SABOTAGES; do
	mkdir -p "$logs/$s"
	RACETRACE=$BIN RT_SABOTAGE=$s RT_E2E_LOGDIR="$logs/$s" \
		python3 tests/e2e/run.py --clean "$@" >"$logs/$s.out" 2>&1 || true
	caught=$(grep -c '^FAIL ' "$logs/$s.out" || true)
	echo "== $s: caught by $caught of ${#tests[@]} ($(tail -n 1 "$logs/$s.out"))"
	grep '^FAIL ' "$logs/$s.out" | sed 's/ (log: .*//' | cut -c1-200 | sed 's/^/  /' || true
	grep '^PASS ' "$logs/$s.out" | sed 's/^PASS /  not caught: /' || true
	[ "$caught" -gt 0 ] || missed+=("$s")
done
if [ ${#missed[@]} -gt 0 ]; then
	echo "sabotage: not caught by any must-not-report test: ${missed[*]}"
	exit 1
fi
echo "sabotage: every sabotage caught"
