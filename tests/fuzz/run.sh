#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The fuzz tier: run every libFuzzer target of tests/fuzz/ (built in BIN_DIR, by default
# .output/fuzz) for at least FUZZ_RUNS executions each, from its seeds in
# tests/fuzz/corpus/NAME/. The targets are built with -fno-sanitize-recover=all, so an ASan or
# UBSan report ends the run with a failure, as does a crash, a leak or a broken contract
# (abort). A target that stops before FUZZ_RUNS executions (libFuzzer's final stats say how
# many it did), takes longer than FUZZ_TIMEOUT, or spends more than 10 s on one input (a hang),
# fails too: a short run proves little.
# New inputs and crash artifacts go to a scratch directory, never into the repository; it is
# kept when something failed.
#
# Usage: tests/fuzz/run.sh [BIN_DIR]   Exit 0 when every target passed, 1 otherwise.
# Environment: FUZZ_RUNS (default 10000), FUZZ_TIMEOUT (seconds per target, default 600),
# FUZZ_REAL_RUNS (fuzz_goelf from real Go binaries, below; default 1000).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-.output/fuzz}
runs=${FUZZ_RUNS:-10000}
limit=${FUZZ_TIMEOUT:-600}
work=$(mktemp -d /tmp/racetrace-fuzz.XXXXXX)
bad=()
n=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "${src%.c}")
	bin=$dir/$name
	short=${name#fuzz_}
	n=$((n + 1))
	if [ ! -x "$bin" ]; then
		bad+=("$name (not built: run 'make fuzz')")
		continue
	fi
	corpus=()
	[ -d "tests/fuzz/corpus/$short" ] && corpus=("tests/fuzz/corpus/$short")
	mkdir -p "$work/$short"
	echo "== $bin: $runs executions, seeds ${corpus[*]:-(none)}"
	# -timeout: one input that runs 10 s is a hang, reported with the input that caused it
	if timeout "$limit" "$bin" -runs="$runs" -timeout=10 -artifact_prefix="$work/$short/" \
		-print_final_stats=1 "$work/$short" ${corpus[@]+"${corpus[@]}"} \
		>"$work/$short.log" 2>&1; then
		done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$short.log")
		if [ "${done_runs:-0}" -lt "$runs" ]; then
			tail -n 5 "$work/$short.log"
			bad+=("$name (only ${done_runs:-no} executions of $runs)")
		else
			echo "   $done_runs executions, $(grep -c . "$work/$short.log") log lines"
		fi
	else
		rc=$?
		tail -n 30 "$work/$short.log"
		if [ $rc -eq 124 ]; then
			bad+=("$name (not $runs executions within $limit s)")
		else
			bad+=("$name (exit $rc)")
		fi
	fi
done
if [ $n -eq 0 ]; then
	echo "fuzz: no targets in tests/fuzz/"
	exit 1
fi

# The Go reader on real binaries too, not only the synthetic seeds: one small program built by
# every release the e2e tests use, normal and stripped (.output/go-targets, `make go-targets`,
# which make test runs first), mutated for FUZZ_REAL_RUNS executions (default 1000: they are
# MiBs each, so a run is slower). A missing build fails, as everything else does here.
real_runs=${FUZZ_REAL_RUNS:-1000}
real=()
for minor in 19 21 22 23 24 25 26 27; do
	for form in "" -sw; do
		real+=(".output/go-targets/go1.$minor/oncemap$form")
	done
done
missing=()
for f in "${real[@]}"; do
	[ -f "$f" ] || missing+=("$f")
done
n=$((n + 1))
if [ ! -x "$dir/fuzz_goelf" ]; then
	bad+=("fuzz_goelf on real binaries (not built: run 'make fuzz')")
elif [ ${#missing[@]} -gt 0 ]; then
	bad+=("fuzz_goelf on real binaries (${#missing[@]} not built, ${missing[0]} first: run 'make go-targets')")
else
	mkdir -p "$work/goelf-real/seeds" "$work/goelf-real/new"
	for f in "${real[@]}"; do
		cp "$f" "$work/goelf-real/seeds/$(basename "$(dirname "$f")")-$(basename "$f")"
	done
	echo "== $dir/fuzz_goelf: $real_runs executions, seeds ${#real[@]} real Go binaries (go1.19 to go1.27, normal and stripped)"
	if timeout "$limit" "$dir/fuzz_goelf" -runs="$real_runs" -timeout=10 \
		-artifact_prefix="$work/goelf-real/" -print_final_stats=1 "$work/goelf-real/new" \
		"$work/goelf-real/seeds" >"$work/goelf-real.log" 2>&1; then
		done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/goelf-real.log")
		if [ "${done_runs:-0}" -lt "$real_runs" ]; then
			tail -n 5 "$work/goelf-real.log"
			bad+=("fuzz_goelf on real binaries (only ${done_runs:-no} executions of $real_runs)")
		else
			echo "   $done_runs executions"
		fi
	else
		rc=$?
		tail -n 30 "$work/goelf-real.log"
		bad+=("fuzz_goelf on real binaries (exit $rc)")
	fi
fi
if [ ${#bad[@]} -gt 0 ]; then
	echo "fuzz: failed: ${bad[*]} (logs and artifacts in $work)"
	exit 1
fi
rm -rf "$work"
echo "fuzz: $n runs: each target $runs executions from its seeds, and fuzz_goelf $real_runs from real Go binaries"
