#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# make demo: run racetrace on the bundled buggy bank (examples/bank.c) and show its finding.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: racetrace needs root (CAP_BPF, CAP_PERFMON): run 'sudo make demo'" >&2
	exit 1
fi
echo "demo: running examples/bank under racetrace (two tellers transfer in opposite directions)"
echo
set +e
.output/racetrace -- .output/examples/bank
rc=$?
set -e
echo
if [ "$rc" -eq 66 ]; then
	echo "demo: racetrace found the lock-order inversion (exit status 66 = findings reported)"
	exit 0
fi
echo "demo: expected a lock-order-inversion finding (exit status 66), got exit status $rc" >&2
exit 1
