#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Run every test tier in order: unit (cmocka, ASan/UBSan), layers (the include rules of
# user/'s folders), golden (the replay of recorded traces, byte for byte:
# tests/golden/check.sh), BPF (verifier and exact event counts), fuzz (each libFuzzer target
# for a minimum number of executions, sanitizer reports fatal: tests/fuzz/run.sh), end to end
# (tests/e2e/run.sh).
# Every tier runs even when an earlier one failed; each prints `PASS tier` or `FAIL tier: why`,
# and the last line is `run_all: N passed, M failed` over the tiers. Exit 1 on any failure.
# Nothing is skipped: a missing binary or prerequisite fails its tier. Build first (`make test`
# does both).
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=.output
UNIT_TIMEOUT=300
GOLDEN_TIMEOUT=600
BPF_TIMEOUT=300
E2E_TIMEOUT=1800

if [ "$(id -u)" -ne 0 ]; then
	echo "run_all: not root: the BPF and e2e tiers need CAP_BPF and CAP_PERFMON;" \
		"run as root (sudo make test)" >&2
	exit 1
fi

# The container tests' minimal Debian root (tests/e2e/containers.py), debootstrap'd once into
# .output/roots/: built in the background while the tiers before e2e run. The tests wait for
# it (scripts/container_root.sh holds a lock) and build it themselves if this one failed.
mkdir -p "$OUT/roots"
scripts/container_root.sh "$OUT/roots/bookworm" >"$OUT/roots/prebuild.log" 2>&1 &
prebuild=$!

passed=0
failed=0
failed_tiers=()

tier_start=$SECONDS
tier_result() { # NAME REASON (empty reason: passed); the tier's time since the last result
	local took=$((SECONDS - tier_start))
	tier_start=$SECONDS
	if [ -z "$2" ]; then
		echo "PASS $1 (${took} s)"
		passed=$((passed + 1))
	else
		echo "FAIL $1: $2 (${took} s)"
		failed=$((failed + 1))
		failed_tiers+=("$1")
	fi
}

# Expected binaries come from the sources, so a test that did not build fails instead of
# silently not running. Sets BINS (built) and MISSING (not built).
collect() { # SRC_GLOB BIN_DIR
	local src bin
	BINS=()
	MISSING=()
	for src in $1; do
		[ -e "$src" ] || continue
		bin="$2/$(basename "${src%.c}")"
		if [ -x "$bin" ]; then
			BINS+=("$bin")
		else
			MISSING+=("$bin")
		fi
	done
}

# The reason a tier failed, from MISSING, the number of binaries run and the failed ones.
tier_reason() { # WHAT_WAS_EXPECTED FAILED...
	local what=$1 why=""
	shift
	if [ ${#MISSING[@]} -gt 0 ]; then
		why="not built: ${MISSING[*]} (run 'make test')"
	elif [ ${#BINS[@]} -eq 0 ]; then
		why="no tests found: $what"
	fi
	if [ $# -gt 0 ]; then
		why="${why:+$why; }failed: $*"
	fi
	echo "$why"
}

run_binaries() { # TIER SRC_GLOB BIN_DIR TIMEOUT
	local bin bad=()
	collect "$2" "$3"
	for bin in ${BINS[@]+"${BINS[@]}"}; do
		echo "== $bin"
		if ! timeout "$4" "$bin"; then
			bad+=("$(basename "$bin")")
		fi
	done
	tier_result "$1" "$(tier_reason "$2" ${bad[@]+"${bad[@]}"})"
}

echo "=== unit"
run_binaries unit "tests/unit/test_*.c" "$OUT/tests/unit" "$UNIT_TIMEOUT"

echo "=== layers"
# The include rules between user/'s folders, read from the build's .d files, and the check
# itself on planted bad includes.
layers_bad=()
scripts/check_layers.py "$OUT" || layers_bad+=("check_layers.py")
tests/layers/test_layers.py || layers_bad+=("test_layers.py")
tier_result layers "${layers_bad[*]:+failed: ${layers_bad[*]}}"

echo "=== golden"
if timeout "$GOLDEN_TIMEOUT" tests/golden/check.sh; then
	tier_result golden ""
else
	tier_result golden "see the FAIL lines above (tests/golden/README.md)"
fi

echo "=== bpf"
run_binaries bpf "tests/bpf/*.c" "$OUT/tests/bpf" "$BPF_TIMEOUT"

echo "=== fuzz"
# each libFuzzer target for FUZZ_RUNS executions; a sanitizer report fails it (tests/fuzz/run.sh)
if tests/fuzz/run.sh; then
	tier_result fuzz ""
else
	tier_result fuzz "see the fuzz: line above"
fi

echo "=== e2e"
if timeout "$E2E_TIMEOUT" tests/e2e/run.sh; then
	tier_result e2e ""
else
	tier_result e2e "see the FAIL lines above"
fi

wait "$prebuild" || true # done long before, unless e2e was cut short

if [ "$failed" -gt 0 ]; then
	echo "run_all: $passed passed, $failed failed (failed: ${failed_tiers[*]})"
	exit 1
fi
echo "run_all: $passed passed, $failed failed"
