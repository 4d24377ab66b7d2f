#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Shows that the fuzz tier fails on undefined behaviour in a parser: the fuzzers of
# .output/fuzz-planted (`make fuzz-planted`) carry a shift by an untrusted amount in the record
# decoder (RT_PLANT_UB in user/record/event.c, in no other build). tests/fuzz/run.sh must fail
# on them, with a UBSan report from a target that decodes records. Exit 0 when it did.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=.output/fuzz-planted
log=$(mktemp /tmp/racetrace-planted.XXXXXX)
if FUZZ_RUNS=${FUZZ_RUNS:-10000} tests/fuzz/run.sh "$dir" >"$log" 2>&1; then
	cat "$log"
	echo "planted: FAIL: the fuzz tier passed with undefined behaviour planted in the decoder"
	exit 1
fi
if ! grep -q "runtime error: shift exponent" "$log"; then
	cat "$log"
	echo "planted: FAIL: the fuzz tier failed, but not on the planted shift"
	exit 1
fi
grep -m1 "runtime error: shift exponent" "$log"
grep "^fuzz: failed" "$log"
echo "planted: PASS: the fuzz tier fails on the planted undefined behaviour"
rm -f "$log"
