# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of every detector, and of real programs no one here wrote.

Each test runs racetrace as a user would, on one target of tests/targets/ (or memcached, xz,
pigz from Debian), and checks the EXACT set of finding kinds and the number of findings of each
kind, plus, per finding, the threads it names (the targets note which tid plays which role on
stderr, see target.h) and the locks (the target's static lock symbols, by `nm`).

  misuse and heap targets    one per finding kind, `--` and -p mode
  hang                       --hang-threshold 1: one hang; default threshold: nothing
  deadlock                   a real ABBA deadlock, `--`, -p before it forms, -p after it formed
  clean twins                the correct versions: nothing may be reported
  memcached, xz, pigz        real multithreaded programs: nothing may be reported

No timing assertion (STYLE.md: speed belongs to `make bench`): a live deadlock must be reported
while it still holds, before the test kills the target. How long that took is logged. Method:
each deadlocking thread writes the CLOCK_MONOTONIC time to stderr just before its second lock
call; the later of the two times is when the deadlock formed. The harness stamps every line of
racetrace's stdout with time.monotonic() (also CLOCK_MONOTONIC) when its reader thread gets it;
the finding's stamp must come after the deadlock formed, and the difference goes to the log.
"""
import os
import platform
import re
import signal
import socket
import subprocess
import threading
import time

import harness as h

FINDING_WAIT = 60  # at most this long for a finding that must come (a bound, not a check)
FUTEX_NR = {"x86_64": 202, "aarch64": 98}
MC_OPS = 20000
MC_CONNS = 4
COMPRESS_MB = 24

# ---------------------------------------------------------------------------------------------
# Helpers


def kinds(findings):
    got = {}
    for f in findings:
        got[f["kind"]] = got.get(f["kind"], 0) + 1
    return got


def check_kinds(findings, want):
    """Exactly the kinds in want, with exactly want[kind] findings each."""
    got = kinds(findings)
    msgs = [f"{f['kind']}: {f.get('message')}" for f in findings]
    h.check(got == want, f"findings are exactly {want or 'none'}", f"got {got}: {msgs}")


def check_roles(f, tids, roles):
    """f names exactly the threads that play `roles` (tids from the target's notes)."""
    for r in roles:
        h.check(r in tids, f"target noted the tid of its {r} thread", f"notes {tids}")
    want = sorted(tids[r] for r in roles)
    h.check(sorted(f["threads"]) == want,
            f"{f['kind']} names the {'+'.join(roles)} thread{'s' if len(roles) > 1 else ''}",
            f"threads {f['threads']}, want {want} ({tids})")


def lock_names(f, path, names):
    """Map f's locks to the target's static symbols `names` (one load base, page aligned).
    Returns the symbol per lock, in f's order; fails if some lock is none of them."""
    syms = h.Symbols(path)
    addrs = []
    for lk in f["locks"]:
        a = h.site_addr(lk.get("addr") if isinstance(lk, dict) else None)
        h.check(a, "lock addr is hex", repr(lk))
        addrs.append(int(a, 16))
    h.check(addrs, f"{f['kind']} names its locks", repr(f["locks"]))
    for n in names:
        base = addrs[0] - syms.addr(n)
        if base % 4096:
            continue
        got = []
        for a in addrs:
            match = [x for x in names if syms.addr(x) == a - base]
            if not match:
                break
            got.append(match[0])
        else:
            return got
    raise h.Fail(f"{f['kind']} locks are the target's {', '.join(names)}: got "
                 f"{[hex(a) for a in addrs]}")


def check_locks(f, path, names):
    got = lock_names(f, path, names)
    h.check(len(got) == len(set(got)) and set(got) == set(names),
            f"{f['kind']} names exactly the locks {', '.join(names)}", f"got {got}")


def run(ctx, mode, targv, want, rt_opts=("--json",)):
    """Run targv under racetrace in `mode` ("cmd": `racetrace -- T`, "pid": T -w, attach,
    release), to the end of both. Checks that the findings are exactly `want` ({kind: count}),
    the JSON framing and summary, the exit status, and that no uprobe link is left. Returns
    (rc, findings, summary, target stderr lines)."""
    before = h.LinkSnapshot()
    if mode == "cmd":
        rc, r = h.run_cmd_mode(ctx, targv, rt_opts)
        findings, summary = h.parse_jsonl(r)
        terr, pid, ours = r.err, None, {r.pid, summary.get("pid")}
    else:
        rc, r, t = h.run_pid_mode(ctx, targv, rt_opts)
        findings, summary = h.parse_jsonl(r)
        terr, pid, ours = t.err, t.pid, {r.pid, t.pid}
    check_kinds(findings, want)
    check_summary(findings, summary, pid)
    want_rc = h.FINDINGS_RC if findings else 0
    h.check(rc == want_rc, f"exit status {want_rc}", f"got {rc}: {r.err[-1] if r.err else ''}")
    h.check_no_leaked_links(ctx, before, ours)
    return rc, findings, summary, terr


def check_summary(findings, s, pid):
    """The summary and every finding object well formed (harness.check_summary's checks),
    except that a finding's final count in summary.counts may exceed the count printed with
    it: findings are printed at first sight (docs/output.md)."""
    for k in h.SUMMARY_KEYS:
        h.check(k in s, f"summary has '{k}'", f"keys {sorted(s)}")
    for k in ("pid", "events", "lost", "threads", "findings"):
        h.check(h.is_int(s[k]) and s[k] >= 0, f"summary.{k} is a count", repr(s[k]))
    h.check(isinstance(s["events_by_type"], dict) and all(
        h.is_int(v) and v >= 0 for v in s["events_by_type"].values()),
        "summary.events_by_type maps names to counts", repr(s["events_by_type"]))
    if pid is not None:
        h.check(s["pid"] == pid, "summary.pid is the target", f"{s['pid']} != {pid}")
    h.check(s["findings"] == len(findings), "summary.findings counts the finding objects",
            f"{s['findings']} != {len(findings)}")
    counts = s["counts"]
    h.check(isinstance(counts, dict) and set(counts) == {f.get("id") for f in findings},
            "summary.counts keyed by finding ids", f"{counts} vs {[f.get('id') for f in findings]}")
    for f in findings:
        h.check_finding(f, s["pid"])
        h.check(h.is_int(counts[f["id"]]) and counts[f["id"]] >= f["count"],
                "summary.counts >= printed counts", f"{f['id']}: {counts[f['id']]} vs {f['count']}")


def events(summary, *types):
    return sum(summary["events_by_type"].get(t, 0) for t in types)


def check_events(summary, types, at_least=1):
    n = events(summary, *types)
    h.check(n >= at_least, f"{'+'.join(types)} events seen (>= {at_least})",
            f"{n}: {summary['events_by_type']}")


# ---------------------------------------------------------------------------------------------
# One target per finding kind

# name: (target argv, racetrace options, {kind: findings}, {kind: (thread roles,
#        static lock symbols or None, locks per finding)})
MISUSE = {
    "unlock-unheld": (["unlock_unheld"], (), {"unlock-unheld": 1},
                      {"unlock-unheld": (["unlocker"], ["lock_m"], 1)}),
    "unlock-non-owner": (["unlock_non_owner"], (), {"unlock-non-owner": 1},
                         {"unlock-non-owner": (["unlocker", "owner"], ["lock_m"], 1)}),
    "double-lock": (["double_lock"], (), {"double-lock": 2},
                    {"double-lock": (["locker"], ["lock_e", "lock_w"], 1)}),
    "destroy-locked": (["destroy_locked"], (), {"destroy-locked": 1},
                       {"destroy-locked": (["destroyer", "owner"], ["lock_m"], 1)}),
    "free-locked": (["free_locked"], (), {"free-locked": 1},
                    {"free-locked": (["freer", "owner"], None, 1)}),
    "exit-holding-lock": (["exit_holding"], (), {"exit-holding-lock": 1},
                          {"exit-holding-lock": (["exiter"], ["lock_m"], 1)}),
    "cond-wait-unheld": (["cond_wait_unheld"], (), {"cond-wait-unheld": 1},
                         {"cond-wait-unheld": (["waiter"], ["lock_m"], 1)}),
    "double-free": (["double_free"], (), {"double-free": 1},
                    {"double-free": (["freer"], None, 0)}),
    "hang": (["hang"], ("--hang-threshold", "1"), {"hang": 1},
             {"hang": (["waiter", "holder"], ["lock_m"], 1)}),
    # static mutexes never locked before: their state comes from the owner word
    "unlock-never-locked": (["unlock_static"], (), {"unlock-unheld": 1, "cond-wait-unheld": 1},
                            {"unlock-unheld": (["unlocker"], ["lock_m"], 1),
                             "cond-wait-unheld": (["waiter"], ["lock_w"], 1)}),
    "destroy-waited-cond": (["destroy_waited", "cond"], (), {"destroy-waited": 1},
                            {"destroy-waited": (["destroyer", "waiter"], None, 1)}),
    "destroy-waited-mutex": (["destroy_waited", "mutex"], (), {"destroy-waited": 1},
                             {"destroy-waited": (["destroyer", "waiter"], None, 1)}),
    "destroy-waited-free": (["destroy_waited", "free"], (), {"destroy-waited": 1},
                            {"destroy-waited": (["destroyer", "waiter"], None, 1)}),
}

# The functions a finding's sites must be in (the target's own), by MISUSE name and kind.
SITE_FUNCS = {
    "unlock-never-locked": {"unlock-unheld": {"thread_unlocker"},
                            "cond-wait-unheld": {"thread_waiter"}},
    "destroy-waited-cond": {"destroy-waited": {"thread_destroyer", "thread_waiter"}},
    "destroy-waited-mutex": {"destroy-waited": {"thread_destroyer", "thread_waiter"}},
    "destroy-waited-free": {"destroy-waited": {"thread_destroyer", "thread_waiter"}},
}


def site_funcs(f):
    """The functions of f's sites: the innermost frame of each site's stack."""
    stacks = f.get("stacks")
    h.check(isinstance(stacks, list) and len(stacks) == len(f["sites"]),
            f"{f['kind']}: a stack per site", repr(stacks)[:200])
    out = set()
    for st in stacks:
        fn = st[0].get("function") if st and isinstance(st[0], dict) else None
        h.check(isinstance(fn, str) and fn, f"{f['kind']}: every site is symbolized",
                repr(st)[:200])
        out.add(fn)
    return out


# Where each finding's stacks start, in the target's own functions (one name per stack, any
# order): what the bug's code is, compared structurally, never the message. A tail call (the
# last free of double_free's work) returns to its caller, so its stack starts there.
FIRST_FRAMES = {
    "unlock-unheld": ["thread_unlocker"],
    "unlock-non-owner": ["thread_unlocker", "thread_owner"],
    "double-lock": ["thread_checked", "thread_checked"],
    "destroy-locked": ["thread_destroyer", "thread_owner"],
    "free-locked": ["work", "thread_owner", "work"],  # the free, the lock, the block's calloc
    "exit-holding-lock": ["thread_exiter"],
    "cond-wait-unheld": ["thread_waiter"],
    "double-free": ["target_run", "work", "xmalloc"],  # second free, first free, the malloc
    "hang": ["thread_waiter", "thread_holder"],
    "destroy-waited": ["thread_destroyer", "thread_waiter"],
    "deadlock": ["thread_ab", "thread_ab", "thread_ba", "thread_ba"],
}


def check_stacks(f, path, want):
    """Each of f's sites has its stack, which starts at that site, and the stacks start in the
    target's functions `want` (names, any order; by the symbolizer, checked against nm)."""
    sites, stacks = f.get("sites") or [], f.get("stacks") or []
    h.check(len(stacks) == len(sites) and sites, f"{f['kind']}: a stack per site",
            f"{len(sites)} sites, {len(stacks)} stacks")
    syms = h.Symbols(path)
    firsts = []
    for site, st in zip(sites, stacks):
        h.check(st and st[0].get("addr") == h.site_addr(site),
                f"{f['kind']}: each stack starts at its site", f"{site} vs {st[:1]}")
        fn = st[0].get("function")
        h.check((fn in syms.syms or (fn and st[0].get("inlined"))) and
                os.path.basename(st[0].get("module") or "") == os.path.basename(path),
                f"{f['kind']}: stacks start in the target's functions (nm, or inlined)",
                repr(st[0]))
        firsts.append(fn)
    h.check(sorted(firsts) == sorted(want), f"{f['kind']}: stacks start in {sorted(want)}",
            f"got {sorted(firsts)}")


def check_detail(findings, path, tids, detail, stacks=True):
    """stacks=False: a run without uprobes (--probes futex), which has no call sites: each
    site is then 0x0 and its stack the one unknown frame, never a made-up one."""
    for kind, (roles, syms, nlocks) in detail.items():
        fs = [f for f in findings if f["kind"] == kind]
        seen = []
        for f in fs:
            check_roles(f, tids, roles)
            if not stacks:
                h.check(all(s == "0x0" for s in f.get("sites") or []) and
                        all(len(st) == 1 and st[0].get("function") is None
                            for st in f.get("stacks") or []),
                        f"{kind}: no call sites without uprobes",
                        repr((f.get("sites"), f.get("stacks"))))
            elif kind in FIRST_FRAMES:
                check_stacks(f, path, FIRST_FRAMES[kind])
            h.check(len(f["locks"]) == nlocks, f"{kind} names {nlocks} lock(s)",
                    repr(f["locks"]))
            if syms:
                seen += lock_names(f, path, syms)
        if syms:
            h.check(sorted(seen) == sorted(syms),
                    f"{kind} findings name the locks {', '.join(syms)}", f"got {seen}")


def check_free_locked_offset(f, terr):
    """free-locked: the lock lies 16 bytes into the freed block (struct object's layout in
    free_locked.c), by the lock's address and the block's, which the target noted."""
    block = h.note_addrs(terr).get("block")
    h.check(block, "the target noted its block's address", repr(terr[-3:]))
    h.check(len(f["locks"]) == 1, "free-locked names one lock", repr(f["locks"]))
    off = int(f["locks"][0]["addr"], 16) - block
    h.check(off == 16, "free-locked: the lock is at +16 in the noted block", f"+{off}")


def make_misuse(name, mode):
    argv, rt_opts, want, detail = MISUSE[name]

    def fn(ctx):
        path = h.need_target(argv[0])
        rc, findings, summary, terr = run(ctx, mode, [path, *argv[1:]], want,
                                          ("--json", *rt_opts))
        tids, _ = h.notes(terr)
        check_detail(findings, path, tids, detail)
        for kind, funcs in SITE_FUNCS.get(name, {}).items():
            for f in findings:
                if f["kind"] == kind:
                    got = site_funcs(f)
                    h.check(got == funcs, f"{kind}: sites in {', '.join(sorted(funcs))}",
                            f"got {sorted(got)}")
        if want.get("destroy-waited"):
            f = findings[0]
            h.check(f.get("detail") == ("free" if argv[-1] == "free" else None),
                    "destroy-waited detail", repr(f.get("detail")))
        if "free-locked" in want:
            check_free_locked_offset(findings[0], terr)
    return fn


for _name in MISUSE:
    for _mode in ("cmd", "pid"):
        h.test(f"detect-{_name}-{_mode}")(make_misuse(_name, _mode))


@h.test("detect-hang-below-threshold", clean=True)
def t_hang_default(ctx):
    """The same 3 s wait with the default threshold (5 s): no hang. Holder and waiter lock M
    once each, and the waiter's wait is seen to end."""
    path = h.need_target("hang")
    _, findings, summary, _ = run(ctx, "cmd", [path], {})
    h.check_watched(summary, {"mutex_lock": 2, "mutex_unlock": 2, "futex_wait": (1, None),
                              "futex_wait_ret": (1, None)})


# What racetrace must have watched past a self-deadlock before "nothing more came" means
# anything: the deadlock detector's confirmation (0.2 s) and the hang threshold (1 s), with a
# margin; SELF_WATCH is the -d racetrace runs for, so that its own summary shows the window.
SELF_QUIET_S = 1.5
SELF_WATCH = 6


@h.test("detect-double-lock-self")
def t_double_lock_self(ctx):
    """A normal mutex locked twice: the thread deadlocks on itself. Reported once, as the
    double-lock, when it happens; the wait on itself that follows is not reported again as a
    one-thread deadlock (nor, later, as a hang). racetrace ends by itself (-d): its summary's
    duration shows it watched SELF_QUIET_S past the double-lock, so "nothing more came" is
    racetrace's own account, not a sleep of the test's."""
    path = h.need_target("double_lock")
    before = h.LinkSnapshot()
    r = h.Proc(ctx, [h.RACETRACE, "--json", "--hang-threshold", "1", "-d", SELF_WATCH, "--",
                     path, "self"])
    pid = h.wait_tracing(r)
    got = r.wait_line("stdout", h.is_finding("double-lock"), FINDING_WAIT)
    h.check(got, "double-lock reported while the thread waits on itself", f"stdout {r.out[-3:]}")
    rc = r.wait(h.TIMEOUT, "racetrace ends after -d")
    h.check(h.pid_alive(pid), "the target still deadlocked on itself when racetrace left")
    os.kill(pid, signal.SIGKILL)
    findings, summary = h.parse_jsonl(r)
    check_kinds(findings, {"double-lock": 1})
    check_summary(findings, summary, pid)
    traced, _ = r.line_time("stderr", lambda s: s.startswith(h.TRACING_PREFIX))
    found, _ = r.line_time("stdout", h.is_finding("double-lock"))
    after = summary["duration_s"] - (found - traced)
    ctx.log(f"racetrace watched {after:.2f} s after the double-lock")
    h.check(after >= SELF_QUIET_S, f"racetrace watched >= {SELF_QUIET_S} s past the double-lock "
            "(its summary's duration)", f"{after:.2f} s: the window proves nothing")
    tids, _ = h.notes(r.err)
    for f in findings:
        check_roles(f, tids, ["locker"])
        check_locks(f, path, ["lock_n"])
    h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC}", f"got {rc}")
    h.check_no_leaked_links(ctx, before, {r.pid, pid})


# ---------------------------------------------------------------------------------------------
# The live deadlock


DEADLOCK_EDGES = {("lock_a", "lock_b"): "thread_ab", ("lock_b", "lock_a"): "thread_ba"}


def check_deadlock(f, path, tids, sites=True):
    """The deadlock names the ab and ba threads and lock_a, lock_b; its stacks start in
    thread_ab and thread_ba (each at its held and its waited-for lock's site) when racetrace
    saw the locks taken (sites: lock probes on, attached before), and where it has edges they are the wait-for cycle over the target's locks, each in the function that made
    it (h.check_in_target, as for inversions)."""
    check_roles(f, tids, ["ab", "ba"])
    check_locks(f, path, ["lock_a", "lock_b"])
    if sites:
        check_stacks(f, path, FIRST_FRAMES["deadlock"])
    if f.get("edges"):
        # without the lock calls, the edges' sites are unknown (0): the locks still must match
        h.check_in_target(f, path, DEADLOCK_EDGES if sites else
                          {pair: None for pair in DEADLOCK_EDGES})


def check_latency(ctx, r, times):
    """The deadlock line on racetrace's stdout came after the deadlock formed (the later note);
    how long after goes to the log, not into a check."""
    for w in ("ab-locks-b", "ba-locks-a"):
        h.check(w in times, f"target noted the time before {w}", f"notes {times}")
    formed = max(times.values())
    seen, _ = r.line_time("stdout", h.is_finding("deadlock"))
    h.check(seen is not None, "deadlock line stamped")
    latency = seen - formed
    ctx.log(f"deadlock formed at {formed:.6f}, reported at {seen:.6f}: latency "
            f"{latency * 1000:.1f} ms")
    h.check(latency >= 0, "deadlock reported after it formed", f"{latency:.3f} s")


# --probes futex (contention-only): no uprobes, so no lock order; the waits come from the
# scheduler (bpf/futex.bpf.c) and the deadlock from them and the owners in the lock words.
FUTEX_ONLY = ("--probes", "futex")
DEADLOCK_ALL = {"lock-order-inversion": 1, "deadlock": 1}


def deadlock_cmd(ctx, opts=(), want=DEADLOCK_ALL):
    path = h.need_target("deadlock")
    before = h.LinkSnapshot()
    r = h.Proc(ctx, [h.RACETRACE, "--json", *opts, "--", path])
    pid = h.wait_tracing(r)
    got = r.wait_line("stdout", h.is_finding("deadlock"), FINDING_WAIT)
    h.check(got, "deadlock reported while it holds", f"stdout {r.out[-3:]}")
    h.check(os.path.exists(f"/proc/{pid}"), "target still deadlocked when reported")
    os.kill(pid, signal.SIGKILL)
    rc = r.wait(h.TIMEOUT, "racetrace exits after the target is killed")
    findings, summary = h.parse_jsonl(r)
    check_kinds(findings, want)
    check_summary(findings, summary, pid)
    tids, times = h.notes(r.err)
    check_deadlock(next(f for f in findings if f["kind"] == "deadlock"), path, tids,
                   sites=not opts)
    check_latency(ctx, r, times)
    h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC}", f"got {rc}")
    h.check_no_leaked_links(ctx, before, {r.pid, pid})


@h.test("detect-deadlock-cmd")
def t_deadlock_cmd(ctx):
    deadlock_cmd(ctx)


@h.test("futex-only-deadlock-cmd")
def t_futex_deadlock_cmd(ctx):
    deadlock_cmd(ctx, FUTEX_ONLY, {"deadlock": 1})


def deadlock_pid(ctx, opts=(), want=DEADLOCK_ALL):
    path = h.need_target("deadlock")
    before = h.LinkSnapshot()
    t, r = h.start_pid_mode(ctx, [path], ("--json", *opts))
    t.write("go\n")
    got = r.wait_line("stdout", h.is_finding("deadlock"), FINDING_WAIT)
    h.check(got, "deadlock reported while it holds", f"stdout {r.out[-3:]}")
    h.check(t.alive(), "target still deadlocked when reported", f"exit {t.p.returncode}")
    t.kill()
    rc = r.wait(h.TIMEOUT, "racetrace exits after the target is killed")
    findings, summary = h.parse_jsonl(r)
    check_kinds(findings, want)
    check_summary(findings, summary, t.pid)
    tids, times = h.notes(t.err)
    check_deadlock(next(f for f in findings if f["kind"] == "deadlock"), path, tids,
                   sites=not opts)
    check_latency(ctx, r, times)
    h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC}", f"got {rc}")
    h.check_no_leaked_links(ctx, before, {r.pid, t.pid})


@h.test("detect-deadlock-pid")
def t_deadlock_pid(ctx):
    """Attached before the deadlock forms (-w), as in the other -p tests."""
    deadlock_pid(ctx)


@h.test("futex-only-deadlock-pid")
def t_futex_deadlock_pid(ctx):
    deadlock_pid(ctx, FUTEX_ONLY, {"deadlock": 1})


@h.test("threads-only-deadlock-pid")
def t_threads_deadlock_pid(ctx):
    """Thread probes without lock probes (the governor's level 2) see waits the same way."""
    deadlock_pid(ctx, ("--probes", "threads"), {"deadlock": 1})


def blocked_in_futex(pid, tid):
    try:
        with open(f"/proc/{pid}/task/{tid}/syscall") as f:
            return f.read().split()[0] == str(FUTEX_NR.get(platform.machine(), -1))
    except (OSError, IndexError):
        return False


def deadlock_after(ctx, opts=()):
    path = h.need_target("deadlock")
    h.check(platform.machine() in FUTEX_NR, "futex syscall number known for this arch",
            platform.machine())
    before = h.LinkSnapshot()
    t = h.Proc(ctx, [path])
    for w in ("ab-locks-b", "ba-locks-a"):
        h.check(t.wait_line("stderr", lambda s, w=w: f": time {w} " in s, h.TIMEOUT) is not None,
                f"target reaches {w}", f"stderr {t.err[-3:]}")
    tids, _ = h.notes(t.err)
    deadline = time.monotonic() + h.TIMEOUT
    while not all(blocked_in_futex(t.pid, tids.get(r)) for r in ("ab", "ba")):
        h.check(time.monotonic() < deadline and t.alive(), "both threads block in futex",
                f"alive {t.alive()}")
        time.sleep(0.05)
    r = h.Proc(ctx, [h.RACETRACE, "--json", *opts, "-d", "2", "-p", t.pid])
    rc = r.wait(h.TIMEOUT, "racetrace -d 2 exits in time")
    findings, summary = h.parse_jsonl(r)
    check_kinds(findings, {"deadlock": 1})
    check_summary(findings, summary, t.pid)
    check_deadlock(findings[0], path, tids, sites=False)  # it saw no lock taken
    h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC}", f"got {rc}: {r.err[-1] if r.err else ''}")
    h.check(t.alive(), "target alive after racetrace detached", f"exit {t.p.returncode}")
    t.kill()
    h.check_no_leaked_links(ctx, before, {r.pid, t.pid})


@h.test("detect-deadlock-pid-after")
def t_deadlock_after(ctx):
    """The target deadlocks first; racetrace -p -d 2 attached afterwards must see it from the
    threads' futex waits alone (it saw no lock taken)."""
    deadlock_after(ctx)


@h.test("futex-only-deadlock-pid-after")
def t_futex_deadlock_after(ctx):
    deadlock_after(ctx, FUTEX_ONLY)


@h.test("futex-only-hang-pid")
def t_futex_hang(ctx):
    """A 3 s wait, threshold 1 s: one hang naming the waiter, the holder and M; the wait's end
    (the waiter's switch-in) is seen, or the run would end with a second, endless hang."""
    path = h.need_target("hang")
    _, findings, summary, terr = run(ctx, "pid", [path], {"hang": 1},
                                     ("--json", *FUTEX_ONLY, "--hang-threshold", "1"))
    check_detail(findings, path, h.notes(terr)[0], {"hang": (["waiter", "holder"], ["lock_m"], 1)},
                 stacks=False)
    check_events(summary, ("futex_wait",))
    check_events(summary, ("futex_wait_ret",))


@h.test("futex-only-clean-wait-resume-pid", clean=True)
def t_futex_wait_resume(ctx):
    """Attach while a thread sleeps on a mutex (a wait learned from /proc), which it then gets
    and lives on for 4 s without another wait: its switch-in ends the wait (racetrace seeds
    the threads at attach), so no hang, with a 2 s threshold."""
    path = h.need_target("wait_resume")
    h.check(platform.machine() in FUTEX_NR, "futex syscall number known for this arch",
            platform.machine())
    before = h.LinkSnapshot()
    t = h.Proc(ctx, [path, "1000", "4000"])
    h.check(t.wait_line("stderr", lambda s: s.endswith(": ready"), h.TIMEOUT) is not None,
            "target holds M", f"stderr {t.err[-3:]}")
    tids, _ = h.notes(t.err)
    deadline = time.monotonic() + h.TIMEOUT
    while not blocked_in_futex(t.pid, tids.get("waiter")):
        h.check(time.monotonic() < deadline and t.alive(), "the waiter blocks in futex",
                f"alive {t.alive()}")
        time.sleep(0.02)
    r = h.Proc(ctx, [h.RACETRACE, "--json", *FUTEX_ONLY, "--hang-threshold", "2", "-p", t.pid])
    h.wait_tracing(r, t.pid)
    h.check(blocked_in_futex(t.pid, tids["waiter"]), "the waiter still blocked at attach",
            "it got M before racetrace attached: the test proves nothing")
    rc = h.wait_target_then_racetrace(t, r)
    findings, summary = h.parse_jsonl(r)
    check_kinds(findings, {})
    check_summary(findings, summary, t.pid)
    h.check(rc == 0, "exit status 0", f"got {rc}")
    # the waiter's wait (learned at attach) ends; its three threads end, each seen
    h.check_watched(summary, {"futex_wait_ret": (1, None), "thread_exit": (3, 3)})
    h.check_no_leaked_links(ctx, before, {r.pid, t.pid})


@h.test("futex-only-clean-lockstorm-pid", clean=True)
def t_futex_clean_storm(ctx):
    """Two threads contending on four mutexes for 3 s, threshold 1 s: thousands of short waits,
    each ended by its thread's switch-in, and nothing to report."""
    path = h.need_target("lockstorm")
    _, findings, summary, _ = run(ctx, "pid", [path, "3"], {},
                                  ("--json", *FUTEX_ONLY, "--hang-threshold", "1"))
    ebt = summary["events_by_type"]
    # 3 s of contention: many waits, each seen to end (its thread switched back in), and the
    # ends of the three threads' waits that began before attach
    waits = ebt.get("futex_wait", 0)
    h.check_watched(summary, {"futex_wait": (10, None), "futex_wait_ret": (waits, waits + 3),
                              "thread_exit": (3, 3)})
    h.check(ebt.get("mutex_lock", 0) == 0, "no lock probes in contention-only mode", repr(ebt))


# ---------------------------------------------------------------------------------------------
# Clean twins: nothing may be reported

def io_twin(mode, locks=0, waits=0, **more):
    """CLEAN's entry for `all_blocked_io MODE`: 2 workers in untimed cond waits and main in a
    join for 1.5 s while the idler sits in a wait the all-threads rule must not count, then
    broadcasts. Each worker signals ready once and waits at least once, main waits for them at
    most once; `locks` and `waits`: the idler's own lock calls and cond waits; `more`: its
    other calls."""
    return (["all_blocked_io", mode], {"thread_fork": 3, "pthread_create": 3,
                                       "pthread_join": 3, "cond_signal": 2,
                                       "cond_broadcast": 1, "mutex_lock": 4 + locks,
                                       "cond_wait": (2 + waits, None), **more}, 16)


# name: (target argv, what the target's own code makes with those arguments, for
# h.check_watched: {event type: count, or (low, high or None) where the interleaving decides},
# slack for the runtime's own calls (glibc locks once per pthread_create and at exit))
CLEAN = {
    # 2 threads x 1000 rounds of G, A, B
    "gate": (["gate"], {"mutex_lock": 6000, "mutex_unlock": 6000, "thread_fork": 2}, 16),
    # 2 threads x 500 rounds of R, R, M
    "recursive": (["recursive"], {"mutex_lock": 3000, "mutex_unlock": 3000}, 16),
    # 2000 items, each put and taken under the lock and signalled once; the waits depend on
    # the interleaving
    "condvar": (["condvar"], {"mutex_lock": 4000, "cond_signal": 4000,
                              "cond_wait": (1, None)}, 16),
    # 2 producers x 1001 messages (the last a stop marker): queue lock by producer and
    # consumer, stats lock for the 2000 payloads; a malloc and a free per message
    "handoff": (["handoff"], {"mutex_lock": 6004, "cond_signal": (2002, None),
                              "alloc": 2002, "free": (2002, None)}, 16),
    # 2 threads x 1000 rounds of two read locks
    "rwlock-rr": (["rwlock_rr"], {"rwlock_rdlock": 4000, "rwlock_unlock": 4000}, 16),
    # 40 threads x 20 rounds of A, B, C; glibc's locks: one per pthread_create
    "ordered-40threads": (["ordered", "20", "40"], {"mutex_lock": 2400, "thread_fork": 40,
                                                    "pthread_create": 40}, 48),
    # 4 threads x 8 blocks; glibc frees each thread's cache at its exit too
    "thread-tcache": (["thread_tcache"], {"alloc": 32, "free": (32, None),
                                          "thread_fork": 4}, 16),
    # destroy-locked's twin: M locked and unlocked once, then destroyed (free)
    "destroy-unlocked": (["destroy_unlocked"], {"mutex_lock": 1, "mutex_unlock": 1,
                                                "mutex_destroy": (1, 1)}, 8),
    # free-locked's twin: the block's mutex locked and unlocked once, then the block freed
    "free-unlocked": (["free_unlocked"], {"mutex_lock": 1, "mutex_unlock": 1, "alloc": (1, 4),
                                          "free": (1, None)}, 8),
    # two reallocs, one of them the free
    "realloc-free": (["realloc_free"], {"realloc": (2, 2), "free": (1, 4)}, 16),
    # the unlocks of what it held at attach (mutexes M, H, R twice, W), then 4 threads x 200
    # rounds of two locks, and 200 rounds each of a read and a write lock
    "attach-held": (["attach_held"], {"mutex_unlock": (4 + 2 * 200 * 4, None),
                                      "rwlock_unlock": (1 + 2 * 200, None)}, 16),
    # unlock_static ok: M locked and unlocked once; W locked, one timed wait, unlocked
    "unlock-static-ok": (["unlock_static", "ok"], {"mutex_lock": 2, "mutex_unlock": 2,
                                                   "cond_wait": 1, "cond_wait_ret": 1}, 16),
    # destroy_waited ok: one broadcast; C and ready_c destroyed, and M; the waiter waits on C
    # once (or again, if woken early), main on ready_c only if it came first
    "destroy-waited-ok": (["destroy_waited", "ok"], {"cond_broadcast": 1, "cond_destroy": 2,
                                                     "mutex_destroy": 1, "cond_wait": (1, 3),
                                                     "thread_fork": 2}, 16),
    # all_blocked ok, 2 workers: each waits untimed once (or again), then timed until 3
    # timeouts in all; main joins both and the signaller, which broadcasts once
    "all-blocked-ok": (["all_blocked", "ok"], {"pthread_join": 3, "cond_broadcast": 1,
                                               "thread_fork": 3,
                                               "cond_wait": (2 + 3, None)}, 16),
    # all_blocked_io MODE: the idler in accept() on a loopback listener, in sem_wait() (posted
    # by a signal handler), in a process-shared cond wait (signalled by a child process), in
    # read() on a pipe, in sigwait(), in a timed cond wait (to its deadline)
    "all-blocked-io-accept": io_twin("accept"),
    "all-blocked-io-sem": io_twin("sem", sem_wait=(1, None), sem_post=1),
    "all-blocked-io-pshared": io_twin("pshared", locks=1, waits=1),
    "all-blocked-io-pipe": io_twin("pipe"),
    "all-blocked-io-sigwait": io_twin("sigwait"),
    "all-blocked-io-timed": io_twin("timed", locks=1, waits=1),
}


def make_clean(name, mode):
    argv, makes, slack = CLEAN[name]

    def fn(ctx):
        path = h.need_target(argv[0])
        _, findings, summary, _ = run(ctx, mode, [path, *argv[1:]], {})
        h.check_watched(summary, makes, slack)
    return fn


for _name in CLEAN:
    if _name != "attach-held":
        for _mode in ("cmd", "pid"):
            h.test(f"clean-{_name}-{_mode}", clean=True)(make_clean(_name, _mode))
h.test("clean-attach-held-cmd", clean=True)(make_clean("attach-held", "cmd"))


@h.test("clean-attach-held-pid", clean=True)
def t_attach_held(ctx):
    """Attach while the target holds M, R (twice), W (read) and H: their unlocks, and a thread
    blocking on H whose owner racetrace never saw lock it, report nothing."""
    path = h.need_target("attach_held")
    before = h.LinkSnapshot()
    t = h.Proc(ctx, [path, "-w"], stdin=subprocess.PIPE)
    h.check(t.wait_line("stderr", lambda s: s.endswith(": ready"), h.TIMEOUT) is not None,
            "target holds its locks", f"stderr {t.err[-3:]}")
    r = h.Proc(ctx, [h.RACETRACE, "--json", "-p", t.pid])
    h.wait_tracing(r, t.pid)
    t.write("go\n")
    t.close_stdin()
    rc = h.wait_target_then_racetrace(t, r)
    findings, summary = h.parse_jsonl(r)
    check_kinds(findings, {})
    check_summary(findings, summary, t.pid)
    h.check(rc == 0, "exit status 0", f"got {rc}")
    # the pre-attach unlocks and the later normal use were all seen
    h.check_watched(summary, CLEAN["attach-held"][1])
    h.check_no_leaked_links(ctx, before, {r.pid, t.pid})


# ---------------------------------------------------------------------------------------------
# Real programs no one here wrote


def wait_port(port, proc, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        h.check(proc.alive(), "server still running", f"exit {proc.p.returncode}: "
                f"{proc.err[-1] if proc.err else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise h.Fail(f"memcached listens on 127.0.0.1:{port} within {timeout} s")


def mc_client(port, idx, n, errors, stats):
    """n requests on one connection: set a key, get it, and so on, over 200 keys of its own and
    50 shared with the other connections; checks every reply."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            f = s.makefile("rb")
            for i in range(n):
                j = i // 2  # request 2j sets the key that request 2j + 1 gets
                key = (f"c{idx}k{j % 200}" if j % 4 else f"shared{j % 50}").encode()
                if i % 2 == 0:
                    val = f"{idx}:{i}".encode()
                    s.sendall(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(val), val))
                    line = f.readline()
                    if line != b"STORED\r\n":
                        errors.append(f"set {key!r}: {line!r}")
                        return
                else:
                    s.sendall(b"get %s\r\n" % key)
                    line = f.readline()
                    if line.startswith(b"VALUE "):
                        size = int(line.split()[3])
                        data = f.read(size + 2)
                        if not re.match(rb"^\d+:\d+\r\n$", data):
                            errors.append(f"get {key!r}: bad value {data!r}")
                            return
                        stats["hits"] += 1
                        line = f.readline()
                    if line != b"END\r\n":
                        errors.append(f"get {key!r}: {line!r}")
                        return
                stats["ops"] += 1
    except OSError as e:
        errors.append(f"client {idx}: {e}")


def mc_load(ctx, port):
    """MC_OPS requests over MC_CONNS concurrent connections; fails on any bad reply."""
    errors, per = [], MC_OPS // MC_CONNS
    stats = [{"ops": 0, "hits": 0} for _ in range(MC_CONNS)]
    threads = [threading.Thread(target=mc_client, args=(port, i, per, errors, stats[i]),
                                daemon=True) for i in range(MC_CONNS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(h.TIMEOUT)
    ops, hits = sum(s["ops"] for s in stats), sum(s["hits"] for s in stats)
    ctx.log(f"memcached load: {ops} requests, {hits} get hits, {time.monotonic() - t0:.2f} s")
    h.check(not any(t.is_alive() for t in threads), f"load ends within {h.TIMEOUT} s")
    h.check(not errors, "memcached answers every request right", errors[:3])
    h.check(ops == per * MC_CONNS, f"{per * MC_CONNS} requests done", ops)
    h.check(hits > 0, "some gets hit", hits)


def mc_argv(port):
    return [h.need_program("memcached", "memcached"), "-u", "root", "-l", "127.0.0.1", "-p",
            str(port), "-t", "4", "-U", "0"]


# How many lock calls a real program makes at least, from its work: memcached takes several
# mutexes per request (item, slab, stats, connection: 15 per request in a run here), pigz
# several per 128 KiB block (18 here), xz's threaded encoder one or more per 8 KiB it reads
# (IO_BUFFER_SIZE; 3 here). A racetrace that lost 9 records in 10 would fall below each.
MC_LOCKS_PER_REQUEST = 4
PIGZ_BLOCK = 128 * 1024
PIGZ_LOCKS_PER_BLOCK = 4
XZ_READ = 8192


def check_real(findings, summary, rc, name, lock_events):
    """Nothing reported, and racetrace watched: no record lost, at least lock_events lock calls
    (from the work done), several threads; the program's exit status 0."""
    check_kinds(findings, {})
    h.check_watched(summary, {"mutex_lock": (lock_events, None)})
    h.check(summary["threads"] >= 3, f"{name} ran several threads", summary["threads"])
    h.check(rc == 0, "exit status 0", f"got {rc}")


@h.test("real-memcached-cmd", clean=True)
def t_memcached_cmd(ctx):
    before = h.LinkSnapshot()
    port = h.free_port()
    r = h.Proc(ctx, [h.RACETRACE, "--json", "--", *mc_argv(port)])
    pid = h.wait_tracing(r)
    wait_port(port, r)
    mc_load(ctx, port)
    os.kill(pid, signal.SIGTERM)
    rc = r.wait(h.TIMEOUT, "racetrace exits after memcached")
    findings, summary = h.parse_jsonl(r)
    check_kinds(findings, {})
    check_summary(findings, summary, pid)
    check_real(findings, summary, rc, "memcached", MC_LOCKS_PER_REQUEST * MC_OPS)
    h.check_no_leaked_links(ctx, before, {r.pid, pid})


def memcached_pid(ctx, rt_opts, idle=0):
    """memcached under `racetrace RT_OPTS -p`: loaded, left idle for `idle` s, stopped with
    SIGTERM. Checks that it exits 0, that nothing is reported, and the summary; returns (rc,
    findings, summary, the pids of the run)."""
    port = h.free_port()
    m = h.Proc(ctx, mc_argv(port))
    wait_port(port, m)
    r = h.Proc(ctx, [h.RACETRACE, *rt_opts, "-p", m.pid])
    h.wait_tracing(r, m.pid)
    mc_load(ctx, port)
    time.sleep(idle)
    m.p.send_signal(signal.SIGTERM)
    mrc = m.wait(h.TIMEOUT, "memcached exits on SIGTERM")
    h.check(mrc == 0, "memcached exits 0", f"exit {mrc}: {m.err[-1] if m.err else ''}")
    rc = r.wait(h.TIMEOUT, "racetrace exits after memcached")
    findings, summary = h.parse_jsonl(r)
    check_kinds(findings, {})
    check_summary(findings, summary, m.pid)
    return rc, findings, summary, {r.pid, m.pid}


@h.test("real-memcached-pid", clean=True)
def t_memcached_pid(ctx):
    before = h.LinkSnapshot()
    rc, findings, summary, ours = memcached_pid(ctx, ("--json",))
    check_real(findings, summary, rc, "memcached", MC_LOCKS_PER_REQUEST * MC_OPS)
    h.check_no_leaked_links(ctx, before, ours)


@h.test("real-memcached-futex-only-pid", clean=True)
def t_memcached_futex_only(ctx):
    """Contention-only mode on a real server, hang threshold 1 s: memcached's background
    threads sleep for seconds in condition-variable waits (futex waits that are no lock
    wait), its workers contend now and then. Nothing may be reported."""
    before = h.LinkSnapshot()
    # idle past the threshold with the background threads asleep; racetrace's summary, not the
    # test's idle time, shows it watched more than the threshold (twice over)
    rc, findings, summary, ours = memcached_pid(
        ctx, ("--json", *FUTEX_ONLY, "--hang-threshold", "1"), idle=2)
    h.check(rc == 0, "exit status 0", f"got {rc}")
    h.check(summary["duration_s"] >= 2, "racetrace watched twice the hang threshold (summary)",
            repr(summary["duration_s"]))
    # its threads' waits, each seen to end; every thread's end (10 threads with -t 4)
    h.check_watched(summary, {"futex_wait": (1, None), "futex_wait_ret": (1, None),
                              "thread_exit": (10, None)})
    h.check_no_leaked_links(ctx, before, ours)


def make_input(ctx):
    """COMPRESS_MB of random hex text (compresses about 2:1, so the work is real)."""
    path = ctx.tmp(".in")
    with open(path, "w") as f:
        for _ in range(COMPRESS_MB):
            f.write(os.urandom(512 * 1024).hex())
    return path


def compress_test(ctx, prog, pkg, argv, out_suffix, verify, bytes_per_lock):
    """`racetrace -- PROG ARGV FILE` writes FILE + out_suffix, which `PROG VERIFY` accepts, and
    takes at least one lock per bytes_per_lock of input. The data files are removed whatever
    happens (the logs stay when the test fails)."""
    exe = h.need_program(prog, pkg)
    src = make_input(ctx)
    out = src + out_suffix
    try:
        rc, findings, summary, _ = run(ctx, "cmd", [exe, *argv, src], {})
        check_real(findings, summary, rc, prog, os.path.getsize(src) // bytes_per_lock)
        h.check(os.path.isfile(out) and os.path.getsize(out) > 0,
                f"{prog} wrote {os.path.basename(out)}")
        v = subprocess.run([exe, *verify, out], capture_output=True, text=True,
                           timeout=h.TIMEOUT)
        h.check(v.returncode == 0, f"{prog}'s output verifies", v.stderr.strip())
    finally:
        for p in (src, out):
            try:
                os.unlink(p)
            except OSError:
                pass


@h.test("real-xz-cmd", clean=True)
def t_xz(ctx):
    compress_test(ctx, "xz", "xz-utils", ["-T2", "-1", "-k", "-f"], ".xz", ["-t"], XZ_READ)


@h.test("real-pigz-cmd", clean=True)
def t_pigz(ctx):
    compress_test(ctx, "pigz", "pigz", ["-p", "2", "-k", "-f"], ".gz", ["-t"],
                  PIGZ_BLOCK // PIGZ_LOCKS_PER_BLOCK)


# ---------------------------------------------------------------------------------------------
# A program that dies by a signal soon after its start


def abort_early(ctx, mode):
    """abort_early: threads end (glibc frees their cached blocks from inside libc), then an
    assert kills the process with SIGABRT, a few milliseconds in. Nothing may be reported:
    the library's frees must be told from the program's though the process is gone when its
    records are read. The exit status is the command's (128 + SIGABRT) in `--` mode."""
    path = h.need_target("abort_early")
    before = h.LinkSnapshot()
    for _ in range(3):  # the process is gone sooner or later than the drain: try a few
        if mode == "cmd":
            rc, r = h.run_cmd_mode(ctx, [path, "8"])
            findings, summary = h.parse_jsonl(r)
            ours = {r.pid, summary.get("pid")}
            h.check(rc == 128 + signal.SIGABRT, "exit status: the command's (SIGABRT)",
                    f"got {rc}: {r.err[-1:]}")
        else:
            t, r = h.start_pid_mode(ctx, [path, "8"])
            t.write("go\n")
            t.close_stdin()
            trc = t.wait(h.TIMEOUT, "target dies in time")
            h.check(trc == -signal.SIGABRT, "target dies by SIGABRT", f"exit {trc}")
            rc = r.wait(h.TIMEOUT, "racetrace exits after the target")
            findings, summary = h.parse_jsonl(r)
            ours = {r.pid, t.pid}
            h.check(rc == 0, "exit status 0", f"got {rc}")
        check_kinds(findings, {})
        check_summary(findings, summary, None)
        # 8 threads x 8 blocks, each freed once by the program (and again by glibc at the
        # thread's exit), and main's 8; glibc's own allocations on top
        h.check_watched(summary, {"thread_fork": 8, "pthread_create": 8, "pthread_join": 8,
                                  "alloc": (8 * 8 + 8, None), "free": (2 * 8 * 8, None)})
        h.check_no_leaked_links(ctx, before, ours)


@h.test("clean-abort-early-cmd", clean=True)
def t_abort_early_cmd(ctx):
    abort_early(ctx, "cmd")


@h.test("clean-abort-early-pid", clean=True)
def t_abort_early_pid(ctx):
    abort_early(ctx, "pid")


# ---------------------------------------------------------------------------------------------
# Every thread of a C program blocked


def all_blocked(ctx, mode, targv=("all_blocked", "3"), nworkers=3, roles=("main",),
                sites=("thread_worker", "wait_for_workers")):
    """all_blocked: workers in untimed pthread_cond_wait that no one will signal, main in
    pthread_join. One deadlock, detail all-threads, naming every worker and the threads of
    `roles`, with each thread's call site in the target's own functions (`sites`); then the
    hung target is stopped (by a SIGTERM that racetrace passes on in `--` mode) and racetrace
    exits with the findings' status."""
    path = h.need_target(targv[0])
    before = h.LinkSnapshot()
    if mode == "cmd":
        r = h.Proc(ctx, [h.RACETRACE, "--json", "--", path, *targv[1:]])
        pid = h.wait_tracing(r)
        terr = r.err
    else:
        t, r = h.start_pid_mode(ctx, [path, *targv[1:]])
        pid = t.pid
        t.write("go\n")
        terr = t.err
    got = r.wait_line("stdout", h.is_finding("deadlock"), FINDING_WAIT)
    h.check(got, f"deadlock reported within {FINDING_WAIT} s", f"stdout {r.out[-3:]}")
    if mode == "cmd":
        os.kill(r.pid, signal.SIGTERM)
    else:
        t.kill()
    rc = r.wait(h.TIMEOUT, "racetrace exits after the hung target is stopped")
    findings, summary = h.parse_jsonl(r)
    check_kinds(findings, {"deadlock": 1})
    check_summary(findings, summary, pid)
    h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC}", f"got {rc}")
    f = findings[0]
    h.check(f.get("detail") == "all-threads", "deadlock detail all-threads", repr(f.get("detail")))
    tids, _ = h.notes(terr)
    workers = sorted(int(line.rsplit(" ", 1)[1]) for line in terr
                     if ": tid worker " in line)
    h.check(len(workers) == nworkers, f"the target noted its {nworkers} workers",
            repr(terr[-5:]))
    h.check(sorted(f["threads"]) == sorted([*(tids[role] for role in roles), *workers]),
            f"the finding names every worker and {', '.join(roles)}",
            f"{f['threads']} vs {tids}, {workers}")
    got = site_funcs(f)
    h.check(got == set(sites), "sites: each thread's wait, in the target's functions",
            f"got {sorted(got)}, want {sorted(sites)}")
    h.check(summary["lost"] == 0, "no event lost", repr(summary["lost"]))
    h.check_no_leaked_links(ctx, before, {r.pid, pid})


@h.test("detect-all-blocked-cmd")
def t_all_blocked_cmd(ctx):
    all_blocked(ctx, "cmd")


@h.test("detect-all-blocked-pid")
def t_all_blocked_pid(ctx):
    all_blocked(ctx, "pid")


# all_blocked_io's positive control: the idler of its clean twins (CLEAN["all-blocked-io-*"])
# in an untimed wait on a private condition variable nobody signals is reported with the rest
IO_COND = dict(targv=("all_blocked_io", "cond"), nworkers=2, roles=("main", "idler"),
               sites=("thread_worker", "wait_for_threads", "idle_cond"))


@h.test("detect-all-blocked-io-cond-cmd")
def t_all_blocked_io_cond_cmd(ctx):
    all_blocked(ctx, "cmd", **IO_COND)


@h.test("detect-all-blocked-io-cond-pid")
def t_all_blocked_io_cond_pid(ctx):
    all_blocked(ctx, "pid", **IO_COND)
