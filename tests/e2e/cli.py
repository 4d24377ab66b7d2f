# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of racetrace as a command: lock-order scenarios in `--` and -p mode (the
inversion is over the target's own locks, taken in the functions that took them), every lock
call seen or counted as lost, the target's exit with the ring buffer full, detach (by -d,
SIGTERM, SIGINT) leaving the target unharmed, replay of a recorded trace, bad input, and exit
statuses."""
import os
import re
import signal
import subprocess
import time

import harness as h

NOLOSS_N = 200000
REPLAY_KEYS = ("kind", "id", "threads", "locks", "sites", "edges", "count")


# What an inversion in a target must be, in the target's own symbols: for each edge
# (lock held, lock acquired), the function holding both acquisition sites.
ABBA_EDGES = {("lock_a", "lock_b"): "thread_ab", ("lock_b", "lock_a"): "thread_ba"}
CYCLE3_EDGES = {("lock_a", "lock_b"): "thread_pair", ("lock_b", "lock_c"): "thread_pair",
                ("lock_c", "lock_a"): "thread_pair"}

# What the clean targets make with their default arguments (h.check_watched): ordered, 4
# threads x 2000 rounds of A, B, C; trylock_backoff, thread 1 locks A and B 1001 times, thread
# 2 locks B and tries A until the try succeeds, 1001 times (how often it fails depends on the
# interleaving).
DETACH_AFTER = 3  # detach-duration: racetrace -d (1 s more than the round needs on a slow machine)
ORDERED_MAKES = {"mutex_lock": 4 * 2000 * 3, "mutex_unlock": 4 * 2000 * 3, "thread_fork": 4,
                 "pthread_create": 4, "pthread_join": 4}
TRYLOCK_MAKES = {"mutex_lock": (3 * 1001, None), "mutex_trylock": (1001, None),
                 "thread_fork": 2, "pthread_create": 2}

# name, argv, expected inversions, locks per inversion, expected edges, events (clean only)
SCENARIOS = [
    ("abba", ["abba"], 1, 2, ABBA_EDGES, None),
    ("cycle3", ["cycle3"], 1, 3, CYCLE3_EDGES, None),
    ("ordered", ["ordered"], 0, 0, None, ORDERED_MAKES),
    ("trylock_backoff", ["trylock_backoff"], 0, 0, None, TRYLOCK_MAKES),
]


def make_scenario(tname, argv, ninv, nlocks, edges, makes, mode):
    def fn(ctx):
        before = h.LinkSnapshot()
        targv = [h.target(argv[0]), *argv[1:]]
        if mode == "cmd":
            rc, r = h.run_cmd_mode(ctx, targv)
            pid, ours = None, {r.pid}
        else:
            rc, r, t = h.run_pid_mode(ctx, targv)
            pid, ours = t.pid, {r.pid, t.pid}
        findings, summary = h.parse_jsonl(r)
        if pid is None:
            ours.add(summary.get("pid"))
        h.check_report(findings, summary, pid, ninv, nlocks)
        if edges:
            h.check_in_target(findings[0], targv[0], edges)
        want = h.FINDINGS_RC if ninv else 0
        h.check(rc == want, f"exit status {want}", f"got {rc}: {r.err[-1] if r.err else ''}")
        if makes:
            h.check_watched(summary, makes)
        else:
            h.check(summary["events_by_type"].get("mutex_lock", 0) >= 2 * max(nlocks, 1),
                    "mutex_lock events seen", repr(summary["events_by_type"]))
        h.check_no_leaked_links(ctx, before, ours)
    return fn


for _name, _argv, _ninv, _nlocks, _edges, _makes in SCENARIOS:
    for _mode in ("cmd", "pid"):
        h.test(f"{_name}-{_mode}", clean=not _ninv)(
            make_scenario(_name, _argv, _ninv, _nlocks, _edges, _makes, _mode))


def check_noloss(summary, n):
    """Every one of lockloop's N lock and unlock calls seen, none lost: exactly N each (its one
    thread makes no other lock call)."""
    h.check_watched(summary, {"mutex_lock": (n, n), "mutex_unlock": (n, n)})


@h.test("noloss-cmd", clean=True)
def t_noloss_cmd(ctx):
    before = h.LinkSnapshot()
    rc, r = h.run_cmd_mode(ctx, [h.target("lockloop"), NOLOSS_N])
    findings, summary = h.parse_jsonl(r)
    h.check_report(findings, summary, None, 0)
    h.check(rc == 0, "exit status 0", f"got {rc}")
    check_noloss(summary, NOLOSS_N)
    h.check_no_leaked_links(ctx, before, {r.pid, summary["pid"]})


@h.test("noloss-pid", clean=True)
def t_noloss_pid(ctx):
    before = h.LinkSnapshot()
    rc, r, t = h.run_pid_mode(ctx, [h.target("lockloop"), NOLOSS_N])
    findings, summary = h.parse_jsonl(r)
    h.check_report(findings, summary, t.pid, 0)
    h.check(rc == 0, "exit status 0", f"got {rc}")
    check_noloss(summary, NOLOSS_N)
    h.check_no_leaked_links(ctx, before, {r.pid, t.pid})


@h.test("exit-ring-full")
def t_exit_ring_full(ctx):
    """`--` mode stops the target in exit() until racetrace has read its maps. With racetrace
    frozen, the target's storm fills the ring, so its exit record is lost: the target must
    still exit (a stop racetrace never learns about would be forever) and racetrace finish.
    The 16 MiB ring holds about 300,000 records; how long the storm needs to fill it depends
    on the machine's load, so a run whose ring did not overflow (the exit record then fits,
    and the target rightly waits in exit() for racetrace) proves nothing and is repeated with
    a storm three times longer."""
    seconds = 2
    for attempt in range(4):
        st, rc, r, summary = exit_ring_run(ctx, seconds)
        if summary.get("lost", 0) > 0 or attempt == 3:
            break
        h.check(st == "T", "without an overflow the target waits in exit() for racetrace",
                f"state {st}")
        ctx.log(f"the ring did not overflow in a {seconds} s storm; again, longer")
        seconds *= 3
    h.check(summary.get("lost", 0) > 0, "the ring overflowed (else this proves nothing)",
            f"lost {summary.get('lost')} after a {seconds} s storm")
    h.check(st == "Z", "the target exits while racetrace is frozen",
            f"state {st} ('T': stopped in exit() with its record lost)")
    h.check(rc == 0, "exit status 0", f"got {rc}: {r.err[-1] if r.err else ''}")


def exit_ring_run(ctx, seconds):
    """One exit-ring-full run with a storm of `seconds`: (the target's state when it stopped
    storming, racetrace's exit status, its Proc, its summary)."""
    r = h.Proc(ctx, [h.RACETRACE, "--json", "--", h.target("lockstorm"), "-w", str(seconds)],
               stdin=subprocess.PIPE)
    line = r.wait_line("stderr", lambda s: s.startswith(h.TRACING_PREFIX), h.ATTACH_TIMEOUT)
    h.check(line is not None, "racetrace attaches", r.err[-1] if r.err else "(no stderr)")
    pid = int(re.match(re.escape(h.TRACING_PREFIX) + r" (\d+)", line).group(1))
    os.kill(r.pid, signal.SIGSTOP)
    try:
        r.write("go\n")
        r.close_stdin()
        deadline = time.monotonic() + seconds + h.TIMEOUT
        while proc_state(pid) not in ("Z", "T", None) and time.monotonic() < deadline:
            time.sleep(0.2)
        st = proc_state(pid)
    finally:
        os.kill(r.pid, signal.SIGCONT)
    rc = r.wait(h.TIMEOUT, "racetrace exits after the target")
    r.out[:] = [s for s in r.out if not s.startswith("lockstorm:")]  # its result line
    _, summary = h.parse_jsonl(r)
    return st, rc, r, summary


def proc_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def detach_test(ctx, tname, stop, ninv, nlocks, makes=None):
    """TARGET -w -k under `racetrace -p`: run one round, make racetrace leave with `stop`, then
    check the target is alive and unharmed (it runs a second round) and no link is left.
    makes: the events of the traced round (h.check_watched), for a clean target; with -d, a
    (whole round, part of it) pair, the part when -d may have ended during the round."""
    before = h.LinkSnapshot()
    opts = ("--json", "-d", str(DETACH_AFTER)) if stop == "duration" else ("--json",)
    t0 = time.monotonic()  # before racetrace starts, so before its -d clock does
    t, r = h.start_pid_mode(ctx, [h.target(tname), "-k"], opts)
    ours = h.bpf_links_of(r.pid)
    present = [lk for lid, lk in h.uprobe_links().items() if lid in ours]
    h.check(present, "uprobe links of this racetrace visible while attached",
            "bpftool shows none, so the leak check would prove nothing")
    t.write("go\n")
    h.check(t.wait_line("stdout", lambda s: s == "done", h.TIMEOUT) is not None,
            "target finishes its traced round", f"target alive: {t.alive()}")
    if stop == "duration" and isinstance(makes, tuple):
        # -d may end before the round does on a loaded machine: then only some of it was
        # seen; a round done with a second to spare before the deadline was seen whole
        whole, part = makes
        spare = DETACH_AFTER - (time.monotonic() - t0)
        ctx.log(f"round done {spare:.2f} s before -d {DETACH_AFTER} ends at the latest")
        makes = whole if spare >= 1.0 else part
    if stop != "duration":
        os.kill(r.pid, stop)
    rc = r.wait(h.TIMEOUT, "racetrace leaves in time")
    findings, summary = h.parse_jsonl(r)
    h.check_report(findings, summary, t.pid, ninv, nlocks)
    if makes:
        h.check_watched(summary, makes)
    want = h.FINDINGS_RC if ninv else 0
    h.check(rc == want, f"exit status {want}", f"got {rc}: {r.err[-1] if r.err else ''}")
    h.check(t.alive() and h.pid_alive(t.pid), "target alive after detach",
            f"exit {t.p.returncode}")
    st = proc_state(t.pid)
    h.check(st in ("S", "R", "D"), "target not stopped after detach", f"state {st}")
    h.check_no_leaked_links(ctx, before, {r.pid, t.pid})
    t.write("again\n")
    h.check(t.wait_line("stdout", lambda s: s == "done", h.TIMEOUT, nth=2) is not None,
            "target runs a round after detach", f"alive {t.alive()}, exit {t.p.returncode}")
    h.check(t.alive(), "target alive after the untraced round", f"exit {t.p.returncode}")
    t.kill()


@h.test("detach-duration", clean=True)
def t_detach_duration(ctx):
    # the whole round when it ended well before -d's deadline; else some of it; nothing lost
    detach_test(ctx, "ordered", "duration", 0, 0, (ORDERED_MAKES, {"mutex_lock": (1, None)}))


@h.test("detach-sigterm")
def t_detach_sigterm(ctx):
    detach_test(ctx, "abba", signal.SIGTERM, 1, 2)


@h.test("detach-sigint", clean=True)
def t_detach_sigint(ctx):
    detach_test(ctx, "ordered", signal.SIGINT, 0, 0, ORDERED_MAKES)


def record_trace(ctx, path):
    """Record abba with -o PATH; returns (findings, summary) of the live run."""
    rc, r = h.run_cmd_mode(ctx, [h.target("abba")], ("--json", "-o", path))
    findings, summary = h.parse_jsonl(r)
    h.check_report(findings, summary, None, 1, 2)
    h.check(rc == h.FINDINGS_RC, f"live exit status {h.FINDINGS_RC}", f"got {rc}")
    h.check(os.path.getsize(path) > 0, "trace file written")
    return findings, summary


def diff(a, b, path=""):
    """First difference between two JSON values, as a path, or None."""
    if type(a) is not type(b):
        return f"{path or '.'}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: only in {'replay' if k in b else 'live'}"
            d = diff(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path or '.'}: {a!r} vs {b!r}"


@h.test("replay")
def t_replay(ctx):
    trace = ctx.tmp(".rtt")
    live, live_sum = record_trace(ctx, trace)
    r = h.Proc(ctx, [h.RACETRACE, "report", trace, "--json"])
    rc = r.wait(h.TIMEOUT, "report exits in time")
    findings, summary = h.parse_jsonl(r)
    h.check_report(findings, summary, live_sum["pid"], 1, 2)
    h.check(rc == h.FINDINGS_RC, f"report exit status {h.FINDINGS_RC}", f"got {rc}")
    for i, (a, b) in enumerate(zip(live, findings)):
        for k in REPLAY_KEYS:
            d = diff(a.get(k), b.get(k), f"finding[{i}].{k}")
            h.check(d is None, "replayed findings equal the live ones", d)
    for k in ("events", "events_by_type", "findings", "counts"):
        d = diff(live_sum.get(k), summary.get(k), f"summary.{k}")
        h.check(d is None, "replayed summary equals the live one", d)


def check_error_exit(ctx, argv, before, name):
    r = h.Proc(ctx, [h.RACETRACE, *argv])
    rc = r.wait(h.TIMEOUT, "racetrace exits in time")
    lines = [s for s in r.err if s.strip()]
    h.check(rc == 1, f"{name}: exit status 1", f"got {rc}")
    h.check(len(lines) == 1, f"{name}: one line on stderr", f"got {len(lines)}: {lines[:3]}")
    h.check(lines[0].startswith("racetrace: "), f"{name}: stderr starts with 'racetrace: '",
            repr(lines[0]))
    h.check_no_leaked_links(ctx, before, {r.pid})


@h.test("badinput-nopid")
def t_bad_pid(ctx):
    h.check(not h.pid_alive(999999999), "pid 999999999 does not exist")
    check_error_exit(ctx, ["-p", "999999999"], h.LinkSnapshot(), "nonexistent pid")


@h.test("badinput-nocmd")
def t_bad_cmd(ctx):
    check_error_exit(ctx, ["--", "/nonexistent/cmd"], h.LinkSnapshot(), "nonexistent command")


@h.test("badinput-usage")
def t_bad_usage(ctx):
    """Options that a mode would ignore, or a probe list that means nothing, are errors."""
    cases = [(["--probes", "futex,locks", "--", "true"], "invalid probe list"),
             (["--probes", "", "--", "true"], "invalid probe list"),
             (["--profile", "--", "true"], "is for 'racetrace report'")]
    # the daemon's config sets probes, detectors and output; a trace was recorded already
    for opt in (["--json"], ["-d", "1"], ["--probes", "all"], ["--hang-threshold", "1"],
                ["--exitcode", "3"], ["--no-symbolize"], ["-o", "x.rtt"], ["--profile"]):
        cases.append((["daemon", "--config", "/dev/null", *opt], "not a daemon option"))
    for opt in (["-d", "1"], ["-o", "y.rtt"], ["--probes", "all"]):
        cases.append((["report", "x.rtt", *opt], "does not apply to report"))
    for argv, says in cases:
        r = h.Proc(ctx, [h.RACETRACE, *argv])
        rc = r.wait(h.TIMEOUT, "racetrace exits in time")
        h.check(rc == 1, f"{argv}: exit status 1", f"got {rc}")
        h.check(r.err and r.err[0].startswith("racetrace: ") and says in r.err[0],
                f"{argv}: stderr says '{says}'", repr(r.err[:2]))


@h.test("badinput-report-passwd")
def t_bad_report(ctx):
    check_error_exit(ctx, ["report", "/etc/passwd"], h.LinkSnapshot(), "report /etc/passwd")


@h.test("badinput-report-truncated")
def t_bad_truncated(ctx):
    before = h.LinkSnapshot()
    trace, trunc = ctx.tmp(".rtt"), ctx.tmp(".half.rtt")
    record_trace(ctx, trace)
    with open(trace, "rb") as f:
        data = f.read()
    with open(trunc, "wb") as f:
        f.write(data[:len(data) // 2])
    ctx.log(f"truncated {len(data)} bytes to {len(data) // 2}")
    check_error_exit(ctx, ["report", trunc, "--json"], before, "report truncated trace")


@h.test("exit-passthrough")
def t_passthrough(ctx):
    before = h.LinkSnapshot()
    # 2 too: a Go panic's status, which must not read as "findings"
    for want in (2, 3):
        rc, r = h.run_cmd_mode(ctx, ["sh", "-c", f"exit {want}"], ())
        h.check(rc == want, f"exit status of the command ({want})",
                f"got {rc}: {r.err[-1] if r.err else ''}")
        h.check_no_leaked_links(ctx, before, {r.pid})


@h.test("exitcode-option")
def t_exitcode(ctx):
    rc, r = h.run_cmd_mode(ctx, [h.target("abba")], ("--json", "--exitcode", "7"))
    findings, summary = h.parse_jsonl(r)
    h.check_report(findings, summary, None, 1, 2)
    h.check(rc == 7, f"--exitcode 7 replaces {h.FINDINGS_RC}", f"got {rc}")


@h.test("json-own-stdout")
def t_json_own_stdout(ctx):
    """`--json -- CMD`: stdout is the JSON stream alone. The command's output, which ends
    without a newline, goes to racetrace's stderr, so no finding glues onto it."""
    before = h.LinkSnapshot()
    path = h.target("abba")
    text = "the command says something here"
    rc, r = h.run_cmd_mode(ctx, ["sh", "-c", f"printf '{text}'; exec {path}"])
    findings, summary = h.parse_jsonl(r)  # every stdout line is a JSON object
    h.check_report(findings, summary, None, 1, 2)
    h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC}", f"got {rc}")
    h.check(not any(text in line for line in r.out), "the command's output is not on stdout",
            repr(r.out[:3]))
    h.check(any(text in line for line in r.err), "the command's output is on stderr",
            repr(r.err[:5]))
    h.check_no_leaked_links(ctx, before, {r.pid, summary["pid"]})
    # without --json the command keeps racetrace's stdout
    rc, r = h.run_cmd_mode(ctx, ["sh", "-c", f"printf '{text}\\n'"], ())
    h.check(rc == 0, "exit status 0 (text mode)", f"got {rc}")
    h.check(text in r.out, "text mode: the command's output is on stdout", repr(r.out[:3]))


def signal_test(ctx, sig):
    """`racetrace --json -- TARGET -k` gets sig from another process: it passes it on to the
    command, traces on until the command exits, reports what it found, and exits with the
    command's status (128 + sig, or the findings' status); nothing is left attached."""
    before = h.LinkSnapshot()
    r = h.Proc(ctx, [h.RACETRACE, "--json", "--", h.target("abba"), "-k"],
               stdin=subprocess.PIPE)
    pid = h.wait_tracing(r)
    h.check(r.wait_line("stderr", lambda s: s == "done", h.TIMEOUT) is not None,
            "target finishes its traced round (its stdout is racetrace's stderr)",
            f"racetrace alive: {r.alive()}")
    os.kill(r.pid, sig)
    rc = r.wait(h.TIMEOUT, f"racetrace exits after the command it passed {sig.name} to")
    h.check(not h.pid_alive(pid), "the command is gone", f"pid {pid} still exists")
    h.check(any("passing" in line and str(pid) in line for line in r.err),
            "racetrace says it passed the signal on", repr(r.err[-3:]))
    findings, summary = h.parse_jsonl(r)
    h.check_report(findings, summary, pid, 1, 2)
    h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC} (findings)", f"got {rc}")
    h.check_no_leaked_links(ctx, before, {r.pid, pid})
    # no findings: the command's own status, 128 + the signal
    r = h.Proc(ctx, [h.RACETRACE, "--json", "--", h.target("ordered"), "-k"],
               stdin=subprocess.PIPE)
    pid = h.wait_tracing(r)
    h.check(r.wait_line("stderr", lambda s: s == "done", h.TIMEOUT) is not None,
            "clean target finishes its traced round", f"racetrace alive: {r.alive()}")
    os.kill(r.pid, sig)
    rc = r.wait(h.TIMEOUT, f"racetrace exits after the clean command got {sig.name}")
    findings, summary = h.parse_jsonl(r)
    h.check_report(findings, summary, pid, 0, 0)
    h.check(rc == 128 + sig, f"exit status {128 + sig} (the command's)", f"got {rc}")
    h.check(summary["lost"] == 0 and summary["events_by_type"].get("mutex_lock", 0) > 0,
            "watched the clean round: events seen, none lost", repr(summary))
    h.check(not h.pid_alive(pid), "the clean command is gone", f"pid {pid} still exists")
    h.check_no_leaked_links(ctx, before, {r.pid, pid})


@h.test("signal-forward-sigterm")
def t_signal_forward_sigterm(ctx):
    signal_test(ctx, signal.SIGTERM)


@h.test("signal-forward-sigint")
def t_signal_forward_sigint(ctx):
    signal_test(ctx, signal.SIGINT)


@h.test("signal-forward-ignored")
def t_signal_forward_ignored(ctx):
    """A command that ignores SIGTERM: the first SIGTERM to racetrace is passed on and changes
    nothing; the second makes racetrace detach, say that the command keeps running, and leave
    nothing attached; the command is unharmed."""
    before = h.LinkSnapshot()
    path = h.target("ordered")
    r = h.Proc(ctx, [h.RACETRACE, "--json", "--", "sh", "-c", f"trap '' TERM; exec {path} -k"],
               stdin=subprocess.PIPE)
    pid = h.wait_tracing(r)
    h.check(r.wait_line("stderr", lambda s: s == "done", h.TIMEOUT) is not None,
            "target finishes its traced round", f"racetrace alive: {r.alive()}")
    os.kill(r.pid, signal.SIGTERM)
    h.check(r.wait_line("stderr", lambda s: "passing" in s, h.TIMEOUT) is not None,
            "racetrace passes the first SIGTERM on", repr(r.err[-3:]))
    h.check(r.alive() and h.pid_alive(pid), "both still run: the command ignores SIGTERM",
            f"racetrace {r.p.poll()}")
    os.kill(r.pid, signal.SIGTERM)
    rc = r.wait(h.TIMEOUT, "racetrace detaches on the second SIGTERM")
    findings, summary = h.parse_jsonl(r)
    h.check_report(findings, summary, pid, 0, 0)
    h.check(rc == 0, "exit status 0 (no findings, the command still runs)", f"got {rc}")
    h.check(any("keeps running, no longer traced" in s for s in r.err),
            "racetrace says the command keeps running", repr(r.err[-3:]))
    h.check(h.pid_alive(pid) and proc_state(pid) in ("S", "R", "D"),
            "the command runs on, not stopped", f"state {proc_state(pid)}")
    h.check_no_leaked_links(ctx, before, {r.pid, pid})
    os.kill(pid, signal.SIGKILL)
