#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Soak test of `racetrace daemon` (`make soak`; not part of `make test`, it takes an hour).
# The daemon runs SOAK_MINUTES against a load that keeps exec'ing: lockstorm (two threads
# hammering four mutexes) lives SOAK_RUN_SECONDS and is started again, and abba and cycle3 run
# once per round, so attach, detach, governor degradation and the re-report of known findings
# under new pids all happen hundreds of times. Every SOAK_SAMPLE_SECONDS the daemon's resident
# memory (VmRSS) and a few of its metrics go into rss.log.
#
# It fails when the daemon dies, stops answering /metrics, exits non-zero on SIGTERM, leaves
# a uprobe link on one of the load's processes, misses the exec of one or does not detach one
# that exited, or when its RSS grew by more than SOAK_MAX_RSS_GROWTH percent between minute
# SOAK_BASELINE_MINUTE (start-up and symbol caches have settled by then) and the end. The
# series is printed either way. Findings are not checked here (tests/e2e covers them).
#
# Targets are private copies in the work directory, selected by their path, so processes of
# other test runs on the machine are never attached. Only loopback is contacted (the metrics).
#
# Environment (defaults in brackets): SOAK_MINUTES [60], SOAK_SAMPLE_SECONDS [60],
# SOAK_BASELINE_MINUTE [10; a third of the run when the run is not longer than that],
# SOAK_MAX_RSS_GROWTH [20], SOAK_RUN_SECONDS [20], SOAK_DIR [a new /tmp directory, kept],
# RACETRACE, RT_TARGETS. Needs root, `make`, python3 and bpftool (scripts/deps.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RT=${RACETRACE:-$ROOT/.output/racetrace}
TARGETS=${RT_TARGETS:-$ROOT/.output/targets}

# The load, run by the soak itself in its own session: `soak.sh __load DIR END_EPOCH`.
# Each round: lockstorm for SOAK_RUN_SECONDS with abba and cycle3 beside it. Each target
# waits (-w) half a second for its go, so the daemon has attached it before it works (abba
# alone is over in a millisecond). Every pid it starts is appended to DIR/load.pids (for the
# leak check).
if [ "${1:-}" = "__load" ]; then
	dir=$2 end=$3 run=${SOAK_RUN_SECONDS:-20}
	go() { sleep 0.5 && echo go; }
	while [ "$(date +%s)" -lt "$end" ]; do
		left=$((end - $(date +%s)))
		[ "$left" -lt "$run" ] && run=$left
		[ "$run" -ge 1 ] || break
		go | "$dir/bin/lockstorm" -w "$run" >>"$dir/lockstorm.out" 2>>"$dir/load.err" &
		ls_pid=$!
		echo "$ls_pid" >>"$dir/load.pids"
		sleep 1
		for t in abba cycle3; do
			go | "$dir/bin/$t" -w >/dev/null 2>>"$dir/load.err" &
			echo "$!" >>"$dir/load.pids"
			wait "$!" || echo "soak load: $t exited $?" >>"$dir/load.err"
		done
		wait "$ls_pid" || echo "soak load: lockstorm exited $?" >>"$dir/load.err"
	done
	exit 0
fi

fail() {
	if [ -n "${LOG:-}" ] && [ -f "$LOG" ]; then
		echo "soak: the samples so far ($LOG):"
		sed 's/^/  /' "$LOG"
	fi
	echo "soak: FAIL: $*"
	exit 1
}

[ "$(id -u)" -eq 0 ] ||
	fail "not root: the daemon needs CAP_BPF and CAP_PERFMON; run: sudo make soak"
[ -x "$RT" ] || fail "$RT missing: run 'make'"
for t in lockstorm abba cycle3; do
	[ -x "$TARGETS/$t" ] || fail "target $TARGETS/$t missing: run 'make targets'"
done
command -v python3 >/dev/null || fail "python3 missing: run 'sudo scripts/deps.sh'"
command -v bpftool >/dev/null || fail "bpftool missing: run 'sudo scripts/deps.sh'"

MINUTES=${SOAK_MINUTES:-60}
SAMPLE=${SOAK_SAMPLE_SECONDS:-60}
MAX_GROWTH=${SOAK_MAX_RSS_GROWTH:-20}
BASE=${SOAK_BASELINE_MINUTE:-10}
for v in MINUTES SAMPLE MAX_GROWTH BASE; do
	if ! [[ ${!v} =~ ^[0-9]+$ ]] || [ "${!v}" -lt 1 ]; then
		fail "$v must be a whole number >= 1: '${!v}'"
	fi
done
if [ "$BASE" -ge "$MINUTES" ]; then
	BASE=$((MINUTES / 3))
	[ "$BASE" -ge 1 ] || BASE=1
	echo "soak: a run of $MINUTES minutes: RSS baseline at minute $BASE instead (still in the" \
		"daemon's warm-up: its caches fill for several minutes, so the verdict is rough)"
fi

DIR=${SOAK_DIR:-$(mktemp -d /tmp/racetrace-soak.XXXXXX)}
mkdir -p "$DIR/bin"
for t in lockstorm abba cycle3; do
	cp "$TARGETS/$t" "$DIR/bin/$t"
done
: >"$DIR/load.pids"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
METRICS="127.0.0.1:$PORT"
cat >"$DIR/racetrace.conf" <<EOF
[target]
name = lockstorm
exe = $DIR/bin/lockstorm

[target]
name = abba
exe = $DIR/bin/abba

[target]
name = cycle3
exe = $DIR/bin/cycle3

[budget]
max_events_per_second = 200000
recover_after_seconds = 5
EOF

DPID="" LPID=""
cleanup() {
	# only what this script started, by pid: the load's session, then the daemon
	if [ -n "$LPID" ] && kill -0 "$LPID" 2>/dev/null; then
		kill -KILL -- "-$LPID" 2>/dev/null || true
	fi
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# metrics NAME...: the value of each metric (no labels, or the lock-order-inversion kind), or
# "-" for a missing one; exits non-zero when /metrics does not answer within 5 s.
metrics() {
	python3 - "$METRICS" "$@" <<'EOF'
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://{sys.argv[1]}/metrics", timeout=5) as r:
        text = r.read().decode()
except OSError as e:
    print(f"/metrics: {e}", file=sys.stderr)
    sys.exit(1)
vals = {}
for line in text.splitlines():
    if line and not line.startswith("#"):
        name, _, value = line.rpartition(" ")
        vals[name] = value
print(" ".join(vals.get(n, "-") for n in sys.argv[2:]))
EOF
}

# uprobe links whose pid filter names a process of the load that has exited: left behind
leaked_links() {
	bpftool -j link list | python3 -c '
import json, os, sys
pids = {int(x) for x in open(sys.argv[1]).read().split()}
links = json.load(sys.stdin) or []
bad = [l for l in links if str(l.get("type")) in ("uprobe_multi", "perf_event")
       and l.get("pid") in pids and not os.path.exists("/proc/%d" % l["pid"])]
print(len(bad))' "$DIR/load.pids"
}

echo "soak: $MINUTES minutes, a sample every $SAMPLE s, work directory $DIR"
"$RT" daemon --config "$DIR/racetrace.conf" --metrics "$METRICS" \
	--json-out "$DIR/findings.jsonl" >"$DIR/daemon.out" 2>"$DIR/daemon.err" &
DPID=$!
for _ in $(seq 300); do
	grep -q '^racetrace: daemon running' "$DIR/daemon.err" && break
	kill -0 "$DPID" 2>/dev/null || break
	sleep 0.1
done
grep -q '^racetrace: daemon running' "$DIR/daemon.err" ||
	fail "the daemon did not start within 30 s: $(tail -n 1 "$DIR/daemon.err")"

START=$(date +%s)
END=$((START + MINUTES * SAMPLE))
setsid "$0" __load "$DIR" "$END" &
LPID=$!

# One line per sample. links_on_exited_pids may be above 0 for a moment (a process exited and
# the daemon has not detached it yet); only the count after the daemon stopped is checked.
LOG=$DIR/rss.log
echo "minute rss_kib attached inversions degradations events_lost links_on_exited_pids" >"$LOG"
declare -a RSS
for m in $(seq 1 "$MINUTES"); do
	now=$(date +%s)
	wake=$((START + m * SAMPLE))
	[ "$wake" -gt "$now" ] && sleep $((wake - now))
	kill -0 "$DPID" 2>/dev/null ||
		fail "the daemon died before minute $m: $(tail -n 1 "$DIR/daemon.err")"
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$DPID/status")
	vals=$(metrics racetrace_attached_processes \
		'racetrace_findings_total{kind="lock-order-inversion"}' \
		racetrace_governor_degradations_total racetrace_events_lost_total) ||
		fail "/metrics did not answer at minute $m"
	RSS[m]=$rss
	echo "$m $rss $vals $(leaked_links)" | tee -a "$LOG"
done

# The load ends by itself at END (a lockstorm round is cut to fit).
for _ in $(seq 600); do
	kill -0 "$LPID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$LPID" 2>/dev/null && fail "the load did not stop within 60 s of the end"
LPID=""
kill -TERM "$DPID"
for _ in $(seq 600); do
	kill -0 "$DPID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$DPID" 2>/dev/null && fail "the daemon did not stop within 60 s of SIGTERM"
rc=0
wait "$DPID" || rc=$?
DPID=""

echo "soak: RSS of the daemon (KiB) by minute:"
for m in $(seq 1 "$MINUTES"); do
	printf '  %3d %8d\n' "$m" "${RSS[m]}"
done
base=${RSS[BASE]} last=${RSS[MINUTES]}
growth=$(( (last - base) * 100 / base ))
rounds=$(wc -l <"$DIR/load.pids")
LOG="" # printed above: fail() need not repeat it
echo "soak: RSS $base KiB at minute $BASE, $last KiB at minute $MINUTES: ${growth}%" \
	"(limit ${MAX_GROWTH}%)"
count() { grep -c "$1" "$DIR/daemon.err" || true; }
echo "soak: $rounds load processes; the daemon attached $(count '^racetrace: attached to pid')," \
	"detached $(count '^racetrace: detached from pid'), degraded $(count 'over budget, degrading')" \
	"times, wrote $(wc -l <"$DIR/findings.jsonl") findings lines"

problems=()
[ "$rc" -eq 0 ] || problems+=("the daemon exited $rc on SIGTERM: $(tail -n 1 "$DIR/daemon.err")")
links=$(leaked_links)
[ "$links" -eq 0 ] || problems+=("$links uprobe links left on processes of the load")
missing=$(grep -o '^racetrace: attached to pid [0-9]*' "$DIR/daemon.err" | awk '{ print $5 }' |
	sort | comm -13 - <(sort "$DIR/load.pids") | tr '\n' ' ')
[ -z "$missing" ] || problems+=("load processes the daemon never attached: $missing")
attached=$(count '^racetrace: attached to pid') detached=$(count '^racetrace: detached from pid')
[ "$attached" -eq "$detached" ] ||
	problems+=("the daemon attached $attached processes but detached $detached")
[ "$growth" -le "$MAX_GROWTH" ] ||
	problems+=("RSS grew ${growth}% between minute $BASE and minute $MINUTES")
[ ! -s "$DIR/load.err" ] || echo "soak: note: the load reported: $(head -n 3 "$DIR/load.err")"
if [ ${#problems[@]} -gt 0 ]; then
	fail "$(printf '%s; ' "${problems[@]}")(logs in $DIR)"
fi
echo "soak: PASS ($DIR)"
