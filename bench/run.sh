#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# `make bench`: install the bench-only packages, then run bench/bench.py, which prints the
# tables and writes bench/results.json and docs/performance.md. Needs root (BPF, uprobes).
# BENCH_REPS=N sets the repetitions (default 7; 2 with BENCH_QUICK); BENCH_QUICK=1 is a short
# smoke run whose numbers are not meant to be kept (it writes to .output/bench/ only).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "racetrace bench: need root (BPF and uprobes), run: sudo make bench" >&2
	exit 1
fi
bench/deps.sh
# Debian's python3, which has BCC's bindings (another python3 may come first in PATH).
exec /usr/bin/python3 bench/bench.py "$@"
