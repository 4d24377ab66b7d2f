#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The golden traces (README.md here): replay every trace that MANIFEST lists with
#   racetrace report --json --no-symbolize [REPORT OPTIONS] NAME.rtt
# and compare its stdout byte for byte with NAME.jsonl. The exit status must be the one that
# output implies (66 with findings, 0 without) and stderr must stay empty. A trace or expected
# output that is missing, or one in this directory that MANIFEST does not list, is a failure.
# A trace of a Go program (`needs=go1.N/PROG` in MANIFEST) replays in go-bins.sh's mount
# namespace, where the replay finds .output/go-targets/go1.N/PROG at the path it was recorded
# from (see go-bins.sh for why); a missing PROG is a failure.
# Every trace must have been recorded at this build's events ABI (RT_EVENTS_ABI, bpf/events.h):
# a trace of an older ABI would still replay (the reader reads RT_EVENTS_ABI_MIN and up), but it
# no longer holds what today's probes record, so it is a failure that asks for a re-recording.
# The exception is a trace kept old on purpose, `abi=N` in MANIFEST: it must have ABI N, and
# checks that the reader still replays that ABI as it did (docs/trace-format.md).
# Prints `FAIL NAME: why` and a diff for each failure, then `golden: N passed, M failed`;
# exits 1 on any failure. No root needed.
# Usage: tests/golden/check.sh [--update]   (RACETRACE=path overrides .output/racetrace)
#   --update  write each output that differs over its NAME.jsonl (for a change meant to alter
#             the output: the traces stay, so `git diff` shows just that change); still fails
set -euo pipefail

cd "$(dirname "$0")/../.."
DIR=tests/golden
RACETRACE=${RACETRACE:-.output/racetrace}
DIFF_LINES=40
REPORT_TIMEOUT=60
update=0
case "${1:-}" in
'') ;;
--update) update=1 ;;
*)
	echo "usage: tests/golden/check.sh [--update]" >&2
	exit 1
	;;
esac

if ! [ -x "$RACETRACE" ]; then
	echo "FAIL golden: $RACETRACE not built (run 'make')"
	echo "golden: 0 passed, 1 failed"
	exit 1
fi
if ! [ -s "$DIR/MANIFEST" ]; then
	echo "FAIL golden: $DIR/MANIFEST missing or empty (record with tests/golden/record.py)"
	echo "golden: 0 passed, 1 failed"
	exit 1
fi

abi=$(sed -n 's/^#define RT_EVENTS_ABI \([0-9][0-9]*\)$/\1/p' bpf/events.h)
if [ -z "$abi" ]; then
	echo "FAIL golden: no '#define RT_EVENTS_ABI N' in bpf/events.h"
	echo "golden: 0 passed, 1 failed"
	exit 1
fi

work=$(mktemp -d /tmp/racetrace-golden-check.XXXXXX)
passed=0
failed=0
listed=()

fail() { # NAME WHY
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}

# The first difference of two files, in context: JSON Lines lines are long, and a diff of
# whole lines hides a changed word.
first_diff() { # WANT GOT
	local at byte line start col from
	# "A B differ: char N, line L" (newer diffutils say "byte")
	at=$(LC_ALL=C cmp "$1" "$2" 2>/dev/null |
		sed -n 's/.* \(char\|byte\) \([0-9]*\), line \([0-9]*\)$/\2 \3/p' || true)
	[ -n "$at" ] || return 0
	read -r byte line <<<"$at"
	start=$(head -n $((line - 1)) "$1" | wc -c)
	col=$((byte - start))
	from=$((col > 60 ? col - 60 : 1))
	echo "first difference: line $line, column $col:"
	echo "  want ...$(sed -n "${line}p" "$1" | LC_ALL=C cut -c "$from-$((col + 60))")..."
	echo "  got  ...$(sed -n "${line}p" "$2" | LC_ALL=C cut -c "$from-$((col + 60))")..."
}

while read -r name words; do
	case "$name" in '' | '#'*) continue ;; esac
	listed+=("$name")
	trace=$DIR/$name.rtt
	want=$DIR/$name.jsonl
	opts=()
	wrap=()
	missing=""
	want_abi=$abi
	for w in $words; do
		case "$w" in
		abi=*) want_abi=${w#abi=} ;;
		needs=*)
			wrap=("$DIR/go-bins.sh")
			[ -x ".output/go-targets/${w#needs=}" ] ||
				missing="$missing .output/go-targets/${w#needs=}"
			;;
		*) opts+=("$w") ;;
		esac
	done
	if ! [ -f "$trace" ] || ! [ -f "$want" ]; then
		fail "$name" "$trace or $want missing (re-record: sudo tests/golden/record.py $name)"
		continue
	fi
	# the header's events_abi: bytes 12..15, little-endian (docs/trace-format.md)
	got_abi=$(od -An -tu4 -j12 -N4 --endian=little "$trace" | tr -d ' ')
	if [ "$got_abi" != "$want_abi" ]; then
		if [ "$want_abi" = "$abi" ]; then
			fail "$name" "recorded at events ABI ${got_abi:-?}, this build's RT_EVENTS_ABI is $abi:\
 re-record every trace (sudo tests/golden/record.py) and review the .jsonl diff in the commit\
 that changed the ABI ($DIR/README.md, Re-recording)"
		else
			fail "$name" "kept at events ABI $want_abi (abi=$want_abi in MANIFEST), but the trace\
 has ABI ${got_abi:-?}: restore it from git"
		fi
		continue
	fi
	if [ -n "$missing" ]; then
		fail "$name" "not built:$missing (run 'make go-targets')"
		continue
	fi
	rc=0
	timeout "$REPORT_TIMEOUT" ${wrap[@]+"${wrap[@]}"} "$RACETRACE" report --json --no-symbolize \
		${opts[@]+"${opts[@]}"} "$trace" >"$work/$name.jsonl" 2>"$work/$name.err" || rc=$?
	want_rc=0
	grep -qv '^{"kind":"summary",' "$want" && want_rc=66
	why=()
	cmp -s "$want" "$work/$name.jsonl" || why+=("output differs from $want")
	[ "$rc" -eq "$want_rc" ] || why+=("exit status $rc, want $want_rc")
	[ -s "$work/$name.err" ] && why+=("stderr: $(head -c 300 "$work/$name.err")")
	if [ ${#why[@]} -gt 0 ]; then
		fail "$name" "$(IFS=';'; echo "${why[*]}") (report ${opts[*]+"${opts[*]}"} $trace)"
		first_diff "$want" "$work/$name.jsonl"
		diff -u --label "expected $want" --label "got" "$want" "$work/$name.jsonl" |
			head -n "$DIFF_LINES" || true
		# only a clean replay's output: never an error's or a timeout's
		if [ "$update" = 1 ] && { [ "$rc" -eq 0 ] || [ "$rc" -eq 66 ]; } &&
			! [ -s "$work/$name.err" ]; then
			cp "$work/$name.jsonl" "$want"
			echo "updated $want"
		fi
		continue
	fi
	passed=$((passed + 1))
done <"$DIR/MANIFEST"

# Every trace and expected output here is listed: none is silently left out.
for f in "$DIR"/*.rtt "$DIR"/*.jsonl; do
	[ -e "$f" ] || continue
	base=$(basename "$f")
	base=${base%.*}
	case " ${listed[*]} " in
	*" $base "*) ;;
	*) fail "$base" "$f is not in $DIR/MANIFEST (add its recipe to record.py)" ;;
	esac
done
if [ ${#listed[@]} -eq 0 ]; then
	fail golden "$DIR/MANIFEST lists no trace"
fi

if [ "$failed" -gt 0 ]; then
	echo "golden: $passed passed, $failed failed (outputs in $work)"
	exit 1
fi
rm -rf "$work"
echo "golden: $passed passed, $failed failed"
