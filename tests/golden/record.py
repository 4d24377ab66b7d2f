#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Record the golden traces of tests/golden/ (see README.md there) with today's racetrace.

Each recipe below runs one target the way its end-to-end test does (tests/e2e/: the same
racetrace options, `--` or -p mode, arguments, the same moment to kill a deadlocked target),
with `-o NAME.rtt` added. A recording is kept only when the live run found exactly the
finding kinds the e2e test expects and lost no event, and its replay
`racetrace report --json --no-symbolize [OPTS] NAME.rtt` gives those kinds too and the same
bytes three times over; otherwise it is recorded again (3 tries), then the script fails. The
replay's output becomes NAME.jsonl, and MANIFEST lists every trace with its report options
and the command that recorded it.

Needs root, `make all` and `make go-targets`. Run from anywhere:
  sudo tests/golden/record.py             re-record every trace
  sudo tests/golden/record.py NAME...     re-record these (by exact name); the others keep theirs
  tests/golden/record.py --list           the recipes, with their commands
Python 3 standard library only.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GOLDEN = os.path.join(ROOT, "tests", "golden")
RACETRACE = os.path.join(ROOT, ".output", "racetrace")
GO_TARGETS = os.path.join(ROOT, ".output", "go-targets")
GO_MNT = "/tmp/racetrace-golden-go"  # where go-bins.sh shows GO_TARGETS (see there)
TIMEOUT = 60  # any wait
TRIES = 3
TRACING = "racetrace: tracing pid"
FUTEX_NR = {"x86_64": 202, "aarch64": 98}
GO = "go1.23"  # the Go release every Go program is recorded with; a few also with go1.19

FINDINGS_RC = 66  # racetrace's exit status when it reports findings (docs/output.md)
HANG1 = ["--hang-threshold", "1"]
FUTEX = ["--probes", "futex"]


class Recipe:
    """name: the trace's file name; how: see record(); opts: racetrace options (a
    --hang-threshold among them is given to `report` too, as the detectors need it); argv:
    the target (a path from the repository's top, or under GO_MNT) and its arguments; want:
    {kind or kind/detail: n or (low, high)} (a data race is printed at first sight, so how
    many of a run's races are printed varies: (1, 99) is "some"); gobin: for a Go program,
    its path under .output/go-targets, which its replay reads (go-bins.sh); target_rc: the
    target's exit status in -p mode (abort_early dies of SIGABRT on purpose)."""

    def __init__(self, name, how, opts, argv, want, kill_on=None, kill_after=0.0, gobin=None,
                 target_rc=0):
        self.name, self.how, self.opts, self.argv, self.want = name, how, opts, argv, want
        self.target_rc = target_rc
        self.kill_on = kill_on  # kill modes: the finding kind after which the target is killed
        self.kill_after = kill_after  # and how many seconds after it
        self.gobin = gobin
        m = [i for i, o in enumerate(opts) if o == "--hang-threshold"]
        self.report_opts = opts[m[0]:m[0] + 2] if m else []

    def target(self):
        return self.argv[0]

    def manifest_line(self):
        return " ".join([self.name, *([f"needs={self.gobin}"] if self.gobin else []),
                         *self.report_opts])


def c(name, how, opts, argv, want=None, **kw):
    return Recipe(name, how, opts, [".output/targets/" + argv[0], *argv[1:]], want or {}, **kw)


INV = "lock-order-inversion"
DL = "deadlock"
RECIPES = [
    # The e2e tests' arguments, except for shorter runs (fewer iterations than the targets'
    # defaults) where a trace would be over 50 kB: the same code paths, smaller files.
    # run.py: the lock-order scenarios, in both modes; the detach tests; a short noloss run
    c("abba-cmd", "cmd", [], ["abba"], {INV: 1}),
    c("abba-pid", "pid", [], ["abba"], {INV: 1}),
    c("cycle3-cmd", "cmd", [], ["cycle3"], {INV: 1}),
    c("cycle3-pid", "pid", [], ["cycle3"], {INV: 1}),
    c("ordered-cmd", "cmd", [], ["ordered", "300"]),
    c("ordered-pid", "pid", [], ["ordered", "300"]),
    c("trylock_backoff-cmd", "cmd", [], ["trylock_backoff", "300"]),
    c("trylock_backoff-pid", "pid", [], ["trylock_backoff", "300"]),
    c("lockloop-cmd", "cmd", [], ["lockloop", "2000"]),
    c("lockloop-pid", "pid", [], ["lockloop", "2000"]),
    c("detach-abba-sigterm", "detach-sigterm", [], ["abba"], {INV: 1}),
    c("detach-ordered-duration", "detach-duration", ["-d", "2"], ["ordered", "300"]),
    # reports.py: no frame pointers, stripped, a lock in a heap block (examples/bank.c)
    c("abba-nofp-cmd", "cmd", [], ["abba-nofp"], {INV: 1}),
    c("abba-stripped-cmd", "cmd", [], ["abba-stripped"], {INV: 1}),
    Recipe("bank-cmd", "cmd", [], [".output/examples/bank"], {INV: 1}),
    c("bank-nofp-cmd", "cmd", [], ["bank-nofp"], {INV: 1}),
]
# detectors.py: one target per misuse and heap finding kind, both modes
for _t, _kind, _n, _opts in (("unlock_unheld", "unlock-unheld", 1, []),
                             ("unlock_non_owner", "unlock-non-owner", 1, []),
                             ("double_lock", "double-lock", 2, []),
                             ("destroy_locked", "destroy-locked", 1, []),
                             ("free_locked", "free-locked", 1, []),
                             ("exit_holding", "exit-holding-lock", 1, []),
                             ("cond_wait_unheld", "cond-wait-unheld", 1, []),
                             ("double_free", "double-free", 1, []),
                             ("hang", "hang", 1, HANG1)):
    for _how in ("cmd", "pid"):
        RECIPES.append(c(f"{_t}-{_how}", _how, _opts, [_t], {_kind: _n}))
RECIPES += [
    c("hang-default-cmd", "cmd", [], ["hang"]),
    # a mutex locked twice by its thread: killed 2 s after the finding, past the threshold
    c("double_lock-self-cmd", "cmd-kill", HANG1, ["double_lock", "self"], {"double-lock": 1},
      kill_on="double-lock", kill_after=2.0),
    # the live deadlock: all probes, futex only, threads only; attached before and after
    c("deadlock-cmd", "cmd-kill", [], ["deadlock"], {INV: 1, "deadlock": 1}, kill_on=DL),
    c("deadlock-pid", "pid-kill", [], ["deadlock"], {INV: 1, "deadlock": 1}, kill_on=DL),
    c("deadlock-futex-cmd", "cmd-kill", FUTEX, ["deadlock"], {DL: 1}, kill_on=DL),
    c("deadlock-futex-pid", "pid-kill", FUTEX, ["deadlock"], {DL: 1}, kill_on=DL),
    c("deadlock-threads-pid", "pid-kill", ["--probes", "threads"], ["deadlock"], {DL: 1},
      kill_on=DL),
    c("deadlock-pid-after", "pid-after", ["-d", "2"], ["deadlock"], {"deadlock": 1}),
    c("deadlock-futex-pid-after", "pid-after", [*FUTEX, "-d", "2"], ["deadlock"],
      {"deadlock": 1}),
    c("hang-futex-pid", "pid", [*FUTEX, *HANG1], ["hang"], {"hang": 1}),
    c("wait_resume-futex-pid", "wait-resume", [*FUTEX, "--hang-threshold", "2"],
      ["wait_resume", "1000", "4000"]),
    c("lockstorm-futex-pid", "pid", [*FUTEX, *HANG1], ["lockstorm", "1"]),
]
# detectors.py: the clean twins
for _argv in (["gate", "300"], ["recursive", "200"], ["condvar", "500"], ["handoff", "300"],
              ["rwlock_rr", "300"], ["thread_tcache"], ["realloc_free"]):
    for _how in ("cmd", "pid"):
        RECIPES.append(c(f"{_argv[0]}-{_how}", _how, [], _argv))
RECIPES += [
    c("ordered-40threads-cmd", "cmd", [], ["ordered", "20", "40"]),
    c("ordered-40threads-pid", "pid", [], ["ordered", "20", "40"]),
    c("attach_held-cmd", "cmd", [], ["attach_held", "50"]),
    c("attach_held-pid", "attach-held", [], ["attach_held", "50"]),
]
# detectors.py: static mutexes never locked before (their state from the owner word), a cond
# or mutex destroyed (or freed) while a thread waits on it, every thread blocked, and the
# clean twins of these and of destroy-locked and free-locked; a process killed by an assert
for _argv, _want in ((["unlock_static"], {"unlock-unheld": 1, "cond-wait-unheld": 1}),
                     (["destroy_waited", "cond"], {"destroy-waited": 1}),
                     (["destroy_waited", "mutex"], {"destroy-waited": 1}),
                     (["destroy_waited", "free"], {"destroy-waited/free": 1}),
                     (["unlock_static", "ok"], {}),
                     (["destroy_waited", "ok"], {}),
                     (["all_blocked", "ok"], {}),
                     (["destroy_unlocked"], {}),
                     (["free_unlocked"], {}),
                     # every thread blocked but one, in a wait the rule leaves out
                     (["all_blocked_io", "accept"], {}),
                     (["all_blocked_io", "pshared"], {}),
                     (["all_blocked_io", "timed"], {})):
    _label = "-".join(_argv)
    for _how in ("cmd", "pid"):
        RECIPES.append(c(f"{_label}-{_how}", _how, [], _argv, _want))
RECIPES += [
    # workers in untimed cond waits no one signals, main in join: killed after the finding
    c("all_blocked-cmd", "cmd-kill", [], ["all_blocked", "3"], {"deadlock/all-threads": 1},
      kill_on=DL),
    c("all_blocked-pid", "pid-kill", [], ["all_blocked", "3"], {"deadlock/all-threads": 1},
      kill_on=DL),
    c("abort_early-cmd", "cmd", [], ["abort_early", "8"]),
    c("abort_early-pid", "pid", [], ["abort_early", "8"], target_rc=-signal.SIGABRT),
    # reports.py: lock helpers inlined at -O2
    c("inline_locks-cmd", "cmd", [], ["inline_locks"], {INV: 1}),
]
# races.py: --races, each data-race pattern and its clean twin in both modes, with fewer
# rounds than the e2e tests (300, not 3000) to keep the traces small
RACES = ["--races"]
for _t, _n in (("race_counter", 1), ("race_field", 1), ("race_publish", (1, 99))):
    for _how in ("cmd", "pid"):
        RECIPES.append(c(f"{_t}-{_how}", _how, RACES, [_t, "300"], {"data-race": _n}))
        RECIPES.append(c(f"{_t}_clean-{_how}", _how, RACES, [f"{_t}_clean", "300"]))

# gotests.py: every Go program with go1.23; a few stripped and with go1.19
GO_CASES = [
    ("mapwrite", [], [], {"go-map-race": 1}),
    ("maprange", [], [], {"go-map-race": 1}),
    ("mapmutex", [], ["300"], {}),
    ("chanhandoff", [], [], {}),
    ("waitgroup", [], [], {}),
    ("oncemap", [], [], {}),
    ("doubleclose", [], [], {"go-chan-double-close": 1}),
    ("abba", [], [], {INV: 1}),
    ("chanblock", HANG1, [], {"go-goroutine-leak": 1}),
    ("doublelock", HANG1, ["1500"], {"double-lock": 1}),
    ("rlockrec", [], [], {"double-lock/recursive-rlock": 1}),
    ("rwabba", [], [], {INV: 1}),
    ("chantimeout", HANG1, ["2000"], {"go-goroutine-leak": 1}),
    ("pipeline", HANG1, ["2000"], {"go-goroutine-leak": 1}),
    ("wgadd", [], [], {"go-waitgroup-misuse/add-after-wait": 1}),
    ("wgneg", [], [], {"go-waitgroup-misuse/negative-counter": 1}),
    ("acceptloop", HANG1, ["2000"], {}),
    ("tickerloop", HANG1, ["2500"], {}),
    ("gotest-ok", [], ["-test.timeout=10m", "-test.run", "TestOK"], {}),
    ("gotest-deadlock", [], ["-test.timeout=10m", "-test.run", "TestHandoff"],
     {"deadlock/all-goroutines": 1}),
    ("abab", [], [], {}),
    ("transfer", [], [], {INV: 1}),
    ("testleak-leak", [], ["-test.timeout=10m", "-test.run", "TestLeak"],
     {"go-goroutine-leak/after-test": 1}),
    ("testleak-joined", [], ["-test.timeout=10m", "-test.run", "TestJoined"], {}),
    # clean twins of three false-finding causes: a RUnlock reloading its lock pointer, maps in
    # reused goroutine stacks, a mutex at a collected one's address (fewer rounds)
    ("rwshard", [], ["60"], {}),
    ("stackmap", [], ["300"], {}),
    ("lockreuse", [], [], {}),
    # sync.Cond: a queue's waits re-take its Mutex; the racy variant writes the map unlocked
    ("condqueue", [], ["100"], {}),
    ("condqueue-racy", [], ["-racy", "100"], {"go-map-race": 1}),
    # a lock held across a receive or a Cond wait while others queue on it; its clean twin;
    # a double lock settled at the program's exit, 20 ms after it
    ("holdwait", HANG1, [], {"hang/hold-and-wait": 1}),
    ("holdwait-cond", HANG1, ["-cond"], {"hang/hold-and-wait": 1}),
    ("holdwait-ok", HANG1, ["-ok"], {}),
    ("doublelock-exit", [], ["20"], {"double-lock": 1}),
    # an idle pool whose producer lives, and the pool whose producer left without closing
    ("workerpool", HANG1, [], {}),
    ("workerpool-leak", HANG1, ["-leak"], {"go-goroutine-leak": 1}),
    # gohb.py: happens-before across ended goroutines, channel misuse
    ("mapsleep", [], [], {"go-map-race": 1}),
    ("mapsleep-chan", [], ["-chan"], {"go-map-race": 1}),
    ("mapsleepok", [], [], {}),
    ("mapsleepok-mutex", [], ["-mutex"], {}),
    ("sendclosed", [], [], {"go-chan-send-closed": 1}),
    ("sendrace", [], [], {"go-chan-send-closed/predicted": 1}),
    ("closenil", [], [], {"go-chan-close-nil": 1}),
    ("sendcloseok", [], [], {}),
    # races.py: --races (100 rounds or jobs, not 300 or 400: smaller traces)
    ("racefield", RACES, ["100"], {"data-race": (1, 99)}),
    ("racefield_clean", RACES, ["100"], {}),
    ("jobhandoff", RACES, ["100"], {}),
]
GO_STRIPPED = ("mapwrite", "abba", "chanblock", "rlockrec", "gotest-deadlock")
GO119 = ("mapwrite", "abba", "chanblock", "doublelock", "rlockrec", "wgneg", "gotest-deadlock")


def go(release, variant, prog, opts, args, want):
    binary = prog.split("-")[0]  # gotest-ok runs the binary gotest, mapsleep-chan mapsleep
    kill = "deadlock" if prog == "gotest-deadlock" else None
    gobin = f"{release}/{binary}{variant}"
    return Recipe(f"{release}{variant}-{prog}", "cmd-kill" if kill else "cmd", opts,
                  [f"{GO_MNT}/{gobin}", *args], want, kill_on=kill, gobin=gobin)


for _case in GO_CASES:
    RECIPES.append(go(GO, "", *_case))
for _case in GO_CASES:
    if _case[0] in GO_STRIPPED:
        RECIPES.append(go(GO, "-sw", *_case))
for _case in GO_CASES:
    if _case[0] in GO119:
        RECIPES.append(go("go1.19", "", *_case))
RECIPES.append(Recipe(f"{GO}-mapwrite-pid", "pid", [], [f"{GO_MNT}/{GO}/mapwrite"],
                      {"go-map-race": 1}, gobin=f"{GO}/mapwrite"))


# ---------------------------------------------------------------------------------------------
# Processes


class Fail(Exception):
    pass


class Proc:
    """A child in its own session, its stdout and stderr collected line by line."""

    def __init__(self, argv, stdin=subprocess.DEVNULL):
        self.argv = [str(a) for a in argv]
        self.lines = {"out": [], "err": []}
        self.cond = threading.Condition()
        self.p = subprocess.Popen(self.argv, stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, start_new_session=True)
        self.pid = self.p.pid
        self.readers = [threading.Thread(target=self._read, args=(f, w), daemon=True)
                        for f, w in ((self.p.stdout, "out"), (self.p.stderr, "err"))]
        for t in self.readers:
            t.start()

    def _read(self, f, which):
        for raw in iter(f.readline, b""):
            with self.cond:
                self.lines[which].append(raw.decode(errors="replace").rstrip("\n"))
                self.cond.notify_all()

    def wait_line(self, which, pred, what):
        deadline = time.monotonic() + TIMEOUT
        with self.cond:
            while True:
                hit = next((s for s in self.lines[which] if pred(s)), None)
                if hit is not None:
                    return hit
                if time.monotonic() >= deadline or self.p.poll() is not None:
                    break
                self.cond.wait(0.2)
        raise Fail(f"{what}: not seen (exit {self.p.poll()}, stderr {self.lines['err'][-3:]})")

    def send(self, text, close=True):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()
        if close:
            self.p.stdin.close()

    def wait(self, what):
        try:
            rc = self.p.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Fail(f"{what}: still running after {TIMEOUT} s, killed")
        for t in self.readers:
            t.join(5)
        return rc

    def kill(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            pass


def tracing_pid(r):
    line = r.wait_line("err", lambda s: s.startswith(TRACING), "racetrace attaches")
    return int(re.match(re.escape(TRACING) + r" (\d+)", line).group(1))


def is_kind(kind):
    def pred(line):
        try:
            return json.loads(line).get("kind") == kind
        except (ValueError, AttributeError):
            return False
    return pred


def notes(lines):
    tids = {}
    for line in lines:
        m = re.search(r": tid (\S+) (\d+)$", line)
        if m:
            tids[m.group(1)] = int(m.group(2))
    return tids


def in_futex(pid, tid):
    try:
        with open(f"/proc/{pid}/task/{tid}/syscall") as f:
            return f.read().split()[0] == str(FUTEX_NR[os.uname().machine])
    except (OSError, IndexError, KeyError):
        return False


def wait_futex(t, roles):
    """Until the threads playing roles (the target's notes) sleep in futex(2)."""
    deadline = time.monotonic() + TIMEOUT
    while not all(in_futex(t.pid, notes(t.lines["err"]).get(r)) for r in roles):
        if time.monotonic() >= deadline or t.p.poll() is not None:
            raise Fail(f"threads {roles} block in futex: not seen")
        time.sleep(0.02)


# ---------------------------------------------------------------------------------------------
# Recording


def record(rcp, trace, procs):
    """Run rcp under `racetrace --json -o trace`; returns racetrace's stdout lines and the
    command line (relative to the repository). procs collects every process started."""
    rt = [RACETRACE, "--json", "-o", trace, *rcp.opts]
    target = [rcp.target(), *rcp.argv[1:]]
    cmd_rel = [".output/racetrace", "--json", "-o", rcp.name + ".rtt", *rcp.opts]

    def start(argv, stdin=subprocess.DEVNULL):
        p = Proc(argv, stdin)
        procs.append(p)
        return p

    if rcp.how in ("cmd", "cmd-kill"):
        r = start([*rt, "--", *target])
        if rcp.how == "cmd-kill":
            pid = tracing_pid(r)
            r.wait_line("out", is_kind(rcp.kill_on), f"{rcp.kill_on} finding")
            time.sleep(rcp.kill_after)
            os.kill(pid, signal.SIGKILL)
        r.wait("racetrace exits")
        return r.lines["out"], " ".join([*cmd_rel, "--", *target]) + (
            f"   (target killed {rcp.kill_after:g} s after the {rcp.kill_on} finding)"
            if rcp.how == "cmd-kill" else "")

    if rcp.how in ("pid", "pid-kill", "detach-sigterm", "detach-duration", "attach-held"):
        keep = ["-k"] if rcp.how.startswith("detach") else []
        t = start([target[0], "-w", *keep, *target[1:]], subprocess.PIPE)
        if rcp.how == "attach-held":
            t.wait_line("err", lambda s: s.endswith(": ready"), "target holds its locks")
        r = start([*rt, "-p", t.pid])
        tracing_pid(r)
        if rcp.how.startswith("detach"):
            t.send("go\n", close=False)
            t.wait_line("out", lambda s: s == "done", "target's round")
            if rcp.how == "detach-sigterm":
                os.kill(r.pid, signal.SIGTERM)
            r.wait("racetrace detaches")
            t.kill()
            what = ("SIGTERM to racetrace after the round" if rcp.how == "detach-sigterm"
                    else "racetrace leaves after -d")
        elif rcp.how == "pid-kill":
            t.send("go\n")
            r.wait_line("out", is_kind(rcp.kill_on), f"{rcp.kill_on} finding")
            t.kill()
            r.wait("racetrace exits")
            what = f"target killed after the {rcp.kill_on} finding"
        else:
            t.send("go\n")
            if t.wait("target exits") != rcp.target_rc:
                raise Fail(f"target exit {t.p.returncode}, want {rcp.target_rc}: "
                           f"{t.lines['err'][-1:]}")
            r.wait("racetrace exits")
            what = "target released with a line on stdin"
        cmd = (f"{' '.join([target[0], '-w', *keep, *target[1:]])} & "
               f"{' '.join([*cmd_rel, '-p', 'PID'])}   ({what})")
        return r.lines["out"], cmd

    if rcp.how == "pid-after":
        t = start(target)
        wait_futex(t, ("ab", "ba"))
        r = start([*rt, "-p", t.pid])
        r.wait("racetrace -d exits")
        t.kill()
        return r.lines["out"], (f"{' '.join(target)} & {' '.join([*cmd_rel, '-p', 'PID'])}"
                                "   (attached once both threads wait in futex)")

    if rcp.how == "wait-resume":
        t = start(target)
        t.wait_line("err", lambda s: s.endswith(": ready"), "target holds M")
        wait_futex(t, ("waiter",))
        r = start([*rt, "-p", t.pid])
        tracing_pid(r)
        if not in_futex(t.pid, notes(t.lines["err"])["waiter"]):
            raise Fail("the waiter got M before racetrace attached")
        if t.wait("target exits"):
            raise Fail(f"target exit {t.p.returncode}")
        r.wait("racetrace exits")
        return r.lines["out"], (f"{' '.join(target)} & {' '.join([*cmd_rel, '-p', 'PID'])}"
                                "   (attached once the waiter waits in futex)")

    raise Fail(f"unknown recipe mode {rcp.how}")


def kinds(lines):
    """({kind[/detail]: n} of the findings, summary) from JSON Lines (other lines ignored:
    a -k target's "done" in `--` mode)."""
    got, summary = {}, None
    for line in lines:
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if not isinstance(o, dict):
            continue
        if o.get("kind") == "summary":
            summary = o
            continue
        k = o.get("kind", "?") + ("/" + o["detail"] if o.get("detail") else "")
        got[k] = got.get(k, 0) + 1
    if summary is None:
        raise Fail("no summary in the output")
    return got, summary


def matches(got, want):
    """got ({kind: n}) is what want ({kind: n or (low, high)}) asks for."""
    if set(got) != set(want):
        return False
    return all(lo <= got[k] <= hi for k, (lo, hi) in
               ((k, w if isinstance(w, tuple) else (w, w)) for k, w in want.items()))


def report(rcp, trace):
    """The replay's stdout (in go-bins.sh's namespace, as record.py runs in it)."""
    argv = [RACETRACE, "report", "--json", "--no-symbolize", *rcp.report_opts, trace]
    r = subprocess.run(argv, capture_output=True, timeout=TIMEOUT)
    if r.returncode not in (0, FINDINGS_RC) or r.stderr:
        raise Fail(f"report: exit {r.returncode}: {r.stderr.decode(errors='replace')[:300]}")
    return r.stdout


def record_one(rcp, work):
    """Record rcp into work/; returns (trace path, expected output, command) or raises."""
    trace = os.path.join(work, rcp.name + ".rtt")
    procs = []
    try:
        out, cmd = record(rcp, trace, procs)
    finally:
        for p in procs:
            p.kill()
    live, summary = kinds(out)
    if not matches(live, rcp.want):
        raise Fail(f"live findings {live}, want {rcp.want}")
    if summary.get("lost"):
        raise Fail(f"{summary['lost']} events lost")
    outs = [report(rcp, trace) for _ in range(3)]
    if len(set(outs)) != 1:
        raise Fail("report output differs between runs of the same trace")
    replay, _ = kinds(outs[0].decode().splitlines())
    if not matches(replay, rcp.want):
        raise Fail(f"replayed findings {replay}, want {rcp.want}")
    return trace, outs[0], cmd


def git_head():
    r = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                       text=True)
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "user", "bpf"],
                           capture_output=True, text=True).stdout.strip()
    return r.stdout.strip() + ("+dirty" if dirty else "")


def old_manifest():
    """{name: (comment lines, entry line)} of the MANIFEST now."""
    res, comments = {}, []
    try:
        with open(os.path.join(GOLDEN, "MANIFEST")) as f:
            for line in f:
                line = line.rstrip("\n")
                if line.startswith("# ") and ": recorded at " in line:
                    comments.append(line)
                elif line and not line.startswith("#"):
                    res[line.split()[0]] = (comments, line)
                    comments = []
    except FileNotFoundError:
        pass
    return res


MANIFEST_HEAD = """\
# The golden traces: one per line, NAME [needs=go1.N/PROG] [abi=N] [REPORT OPTIONS...].
# tests/golden/check.sh runs
#   racetrace report --json --no-symbolize [REPORT OPTIONS...] NAME.rtt
# and compares its stdout byte for byte with NAME.jsonl. Generated by tests/golden/record.py
# (the comment above each line: the commit, and the command that recorded it, run from the
# repository's top, in tests/golden/go-bins.sh's namespace, where .output/go-targets is seen at
# /tmp/racetrace-golden-go). needs=go1.N/PROG: the replay reads that Go binary. abi=N: a trace
# kept at events ABI N on purpose (no recipe; record.py keeps its line), every other one must
# have this build's RT_EVENTS_ABI. Do not edit.
"""


def main(argv):
    names = {r.name for r in RECIPES}
    if len(names) != len(RECIPES):
        print("record: two recipes with one name", file=sys.stderr)
        return 1
    if argv[:1] == ["--list"]:
        for r in RECIPES:
            print(f"{r.name:32} {r.how:16} {' '.join(r.opts):30} {' '.join(r.argv)}")
        return 0
    bad = [a for a in argv if a not in names]
    if bad:
        print(f"record: no recipe named {', '.join(bad)} (see --list)", file=sys.stderr)
        return 1
    if os.geteuid() != 0:
        print("record: not root: racetrace needs CAP_BPF and CAP_PERFMON; run as root",
              file=sys.stderr)
        return 1
    selected = [r for r in RECIPES if not argv or r.name in argv]
    missing = sorted({p for p in [RACETRACE, *(os.path.join(ROOT, r.target()) for r in selected
                                               if not r.gobin),
                                  *(os.path.join(GO_TARGETS, r.gobin) for r in selected
                                    if r.gobin)]
                      if not os.access(p, os.X_OK)})
    if missing:
        print(f"record: not built: {', '.join(missing)} (run 'make all go-targets')",
              file=sys.stderr)
        return 1
    os.chdir(ROOT)
    if not os.path.isdir(GO_MNT) or not os.path.samefile(GO_MNT, GO_TARGETS):
        # the Go programs run from GO_MNT, the path their replays will find them at
        os.execv(os.path.join(GOLDEN, "go-bins.sh"),
                 [os.path.join(GOLDEN, "go-bins.sh"), sys.executable, os.path.abspath(__file__),
                  *argv])
    head = git_head()
    work = tempfile.mkdtemp(prefix="racetrace-golden.")
    old = old_manifest()
    done, failed = {}, []
    for rcp in selected:
        for attempt in range(1, TRIES + 1):
            try:
                trace, out, cmd = record_one(rcp, work)
                break
            except (Fail, OSError, subprocess.SubprocessError) as e:
                print(f"  {rcp.name}: try {attempt}: {e}", flush=True)
        else:
            failed.append(rcp.name)
            print(f"FAIL {rcp.name}", flush=True)
            continue
        done[rcp.name] = (trace, out, cmd)
        got = kinds(out.decode().splitlines())[0]
        print(f"ok   {rcp.name:32} {os.path.getsize(trace):7} B  {got or 'no findings'}",
              flush=True)
    if failed:
        print(f"record: {len(failed)} failed, nothing written (recordings in {work}): "
              f"{' '.join(failed)}", file=sys.stderr)
        return 1
    never = [r.name for r in RECIPES if r.name not in done and r.name not in old]
    if never:
        print(f"record: never recorded: {' '.join(never)}: record them too (recordings in "
              f"{work})", file=sys.stderr)
        return 1
    # everything recorded: write the traces, their outputs and the manifest
    lines = [MANIFEST_HEAD]
    for rcp in RECIPES:
        if rcp.name in done:
            trace, out, cmd = done[rcp.name]
            shutil.copyfile(trace, os.path.join(GOLDEN, rcp.name + ".rtt"))
            with open(os.path.join(GOLDEN, rcp.name + ".jsonl"), "wb") as f:
                f.write(out)
            lines.append(f"# {rcp.name}: recorded at {head}: {cmd}\n")
            lines.append(rcp.manifest_line() + "\n")
        else:
            lines += [s + "\n" for s in old[rcp.name][0]] + [old[rcp.name][1] + "\n"]
    # the traces kept at an older events ABI on purpose (`abi=N`, no recipe: README.md)
    for name, (comments, line) in old.items():
        if name not in names and any(w.startswith("abi=") for w in line.split()[1:]):
            lines += [s + "\n" for s in comments] + [line + "\n"]
    with open(os.path.join(GOLDEN, "MANIFEST"), "w") as f:
        f.writelines(lines)
    shutil.rmtree(work, ignore_errors=True)
    print(f"record: {len(done)} recorded into {os.path.relpath(GOLDEN)} at {head}; "
          "now run tests/golden/check.sh and review `git diff --stat tests/golden`")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
