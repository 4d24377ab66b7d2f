#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests: the real .output/racetrace against the programs in .output/targets.

Every test runs racetrace as a user would (`racetrace --json -- TARGET` or
`racetrace --json -p PID`), then checks its JSON Lines structurally: kinds, number of locks,
edges, threads, counts, exit status. Never the text. Each assertion has a name, so a failure
says which check broke: `FAIL abba-pid: one lock-order-inversion: got 0 (log: ...)`.

Prints one line per test, `PASS name (T s)` or `FAIL name: reason (log: ..., T s)`, then the
run's time and its slowest tests, and ends with exactly `N passed, M failed`; exits 1 on any failure. A missing prerequisite (not root, no BTF,
binary not built) is a failure with its fix, never a skip. Every wait has a timeout, and every
process a test started is killed when the test ends, whatever happened.

The tests live in the other modules of this directory: cli.py (the command, its modes, detach,
replay, bad input), detectors.py, daemon.py, reports.py, gotests.py, install.py. Each imports
harness.py, which runs racetrace and the targets and holds the checks and the registry, and
registers its tests with @h.test. This runner imports every module here, selects the tests
and prints the results.

Usage: tests/e2e/run.py [-v] [--list] [--clean] [NAME_SUBSTRING...]
  -v      on failure, also print the test's log (commands, exit codes, output) to stderr
  --clean only the must-not-report tests (registered with clean=True; tests/sabotage.sh)
A run without names leaves out part of the Go release matrix (700 of its 1268 tests on
2026-12-06; most of them gotests.py's -p rows, which a plain run tries on go1.23): each Go case runs both normal and stripped on go1.19 and go1.26, and in one of
the two forms, alternating, on the other releases; the go1.26 service runs stripped only. The
first line says how many were left out; naming tests runs whatever matches.
Tests registered parallel=True (harness.PARALLEL: the Go matrix rows) run after the others,
RT_E2E_JOBS (default 2) at a time, each in a process of its own; RT_E2E_JOBS=1 runs everything
one by one, in registration order.
Environment: RT_E2E_GO_MATRIX=all (the whole Go matrix), RT_E2E_JOBS, RACETRACE (binary),
RT_TARGETS (directory of targets), RT_E2E_LOGDIR (where the per-test logs go; by default a
fresh /tmp directory, removed when every test passed).
Python 3 standard library only.
"""
import glob
import importlib
import multiprocessing
import os
import shutil
import signal
import sys
import time
import tempfile

import harness


def load_tests():
    """Import every module of this directory but the runner and the harness, in name order.
    Importing a module registers its tests, so a new module needs no line here."""
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "*.py"))):
        name = os.path.basename(path)[:-len(".py")]
        if name not in ("run", "harness"):
            importlib.import_module(name)
    return harness.TESTS


def run_named(name):
    """In a worker process (forked: the registry is there already): run the test `name`.
    Returns (name, why it failed or None, log path, seconds)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    t0 = time.monotonic()
    reason, logpath = harness.run_test(name, dict(harness.TESTS)[name], LOGDIR)
    return name, reason, logpath, time.monotonic() - t0


LOGDIR = None  # the run's log directory, for run_named


def main(argv):
    tests = load_tests()
    verbose = "-v" in argv
    clean = "--clean" in argv
    args = [a for a in argv if a not in ("-v", "--clean")]
    if any(a.startswith("-") and a != "--list" for a in args):
        print("usage: tests/e2e/run.py [-v] [--list] [--clean] [NAME_SUBSTRING...]",
              file=sys.stderr)
        return 1
    listing = "--list" in args
    args = [a for a in args if a != "--list"]
    # A plain run leaves out part of the Go release matrix (gotests.GO_FULL says which);
    # naming tests, or RT_E2E_GO_MATRIX=all, runs them.
    whole = bool(args) or os.environ.get("RT_E2E_GO_MATRIX") == "all"
    selected = [(n, f) for n, f in tests if (not args or any(a in n for a in args))
                and (not clean or n in harness.CLEAN_TESTS)
                and (whole or n not in harness.FULL_MATRIX_ONLY)]
    left_out = 0 if whole else len(harness.FULL_MATRIX_ONLY)
    if listing:
        for name, _ in selected:
            print(name)
        return 0

    # The tests choose where debug info comes from (reports.py): a DEBUGINFOD_URLS from the
    # user's profile would send racetrace to the network.
    os.environ.pop("DEBUGINFOD_URLS", None)
    # A SIGTERM (run_all's timeout) unwinds like an error, so leftover processes get killed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    passed = failed = 0
    why = harness.prerequisites()
    if why:
        print(f"FAIL prerequisites: {why}", flush=True)
        print("0 passed, 1 failed")
        return 1
    logdir = os.environ.get("RT_E2E_LOGDIR") or tempfile.mkdtemp(prefix="racetrace-e2e.")
    os.makedirs(logdir, exist_ok=True)
    if left_out and not listing:
        print(f"e2e: {len(selected)} tests; {left_out} more of the Go release matrix are left "
              "out (each Go case runs stripped and not on go1.19 and go1.26, in one of the two "
              "forms on the other releases, and attached with -p on go1.23 only): "
              "RT_E2E_GO_MATRIX=all runs them", flush=True)
    took = []
    start = time.monotonic()
    jobs = os.environ.get("RT_E2E_JOBS", "2")
    if not jobs.isdigit() or int(jobs) < 1:
        print(f"run.py: RT_E2E_JOBS={jobs!r}: want a number of tests to run at once (1 or "
              "more)", file=sys.stderr)
        return 1
    jobs = int(jobs)
    together = [n for n, _ in selected if n in harness.PARALLEL] if jobs > 1 else []
    alone = [(n, f) for n, f in selected if n not in together]

    def result(name, reason, logpath, seconds):
        nonlocal passed, failed
        took.append((seconds, name))
        if reason is None:
            passed += 1
            print(f"PASS {name} ({seconds:.1f} s)", flush=True)
        else:
            failed += 1
            print(f"FAIL {name}: {reason} (log: {logpath}, {seconds:.1f} s)", flush=True)
            if verbose:
                with open(logpath) as f:
                    sys.stderr.write(f.read())

    for name, fn in alone:
        t0 = time.monotonic()
        reason, logpath = harness.run_test(name, fn, logdir)
        result(name, reason, logpath, time.monotonic() - t0)
    if together:
        global LOGDIR
        LOGDIR = logdir
        print(f"e2e: {len(together)} tests, {jobs} at a time", flush=True)
        pool = multiprocessing.get_context("fork").Pool(jobs, maxtasksperchild=20)
        try:
            for res in pool.imap_unordered(run_named, together):
                result(*res)
        except BaseException:
            pool.terminate()  # a SIGTERM (run_all's timeout) kills the workers and their tests
            pool.join()
            raise
        # every result is in: let the workers end by themselves (terminate() on idle
        # workers hung once, in a futex, with a worker left a zombie)
        pool.close()
        pool.join()
    if not failed and not os.environ.get("RT_E2E_LOGDIR"):
        shutil.rmtree(logdir, ignore_errors=True)  # logs are kept when something failed
    took.sort(reverse=True)
    print(f"e2e took {time.monotonic() - start:.0f} s; the slowest: "
          + ", ".join(f"{n} {d:.0f} s" for d, n in took[:8]))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))