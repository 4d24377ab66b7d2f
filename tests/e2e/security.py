# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of what racetrace writes (docs/security.md).

  files-private   under umask 022, the trace file (-o), the --json-out file of a live run and
                  of `racetrace report`, and the daemon's findings file are created 0600: they
                  hold another process's addresses, stacks and names
  daemon-caps     the daemon, started as root with every capability, keeps only CAP_BPF,
                  CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH and CAP_CHECKPOINT_RESTORE
                  (effective, permitted and bounding sets of every thread; no inheritable or
                  ambient ones), and with them still attaches a new target and reports it
"""
import os
import stat
import subprocess

import daemon as dm
import harness as h


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@h.test("files-private")
def t_files_private(ctx):
    old = os.umask(0o022)
    try:
        before = h.LinkSnapshot()
        trace, live_json, report_json = ctx.tmp(".rtt"), ctx.tmp(".live.json"), \
            ctx.tmp(".report.json")
        for p in (trace, live_json, report_json):
            if os.path.exists(p):
                os.unlink(p)
        rc, r = h.run_cmd_mode(ctx, [h.need_target("abba")],
                               ("-o", trace, "--json-out", live_json))
        h.check(rc == 2, "the live run reports abba's inversion (exit 2)", f"got {rc}")
        rep = h.Proc(ctx, [h.RACETRACE, "report", trace, "--json-out", report_json])
        rc = rep.wait(h.TIMEOUT, "report exits in time")
        h.check(rc == 2, "the replay reports it too (exit 2)", f"got {rc}")
        for p, what in ((trace, "trace file (-o)"), (live_json, "--json-out of a live run"),
                        (report_json, "--json-out of racetrace report")):
            h.check(os.path.getsize(p) > 0, f"the {what} was written")
            h.check(mode_of(p) == 0o600, f"the {what} is 0600", oct(mode_of(p)))
        h.check_no_leaked_links(ctx, before, {r.pid})
        with dm.Scratch(ctx) as scratch:
            abba = scratch.copy_target("abba")
            d = dm.Daemon(ctx, scratch, [("target", {"name": "abba", "exe": abba})])
            h.check(os.path.exists(d.findings), "the daemon created its findings file")
            h.check(mode_of(d.findings) == 0o600, "the daemon's findings file is 0600",
                    oct(mode_of(d.findings)))
            d.stop(before, set())
    finally:
        os.umask(old)


# CAP_DAC_READ_SEARCH 2, CAP_SYS_PTRACE 19, CAP_PERFMON 38, CAP_BPF 39, CAP_CHECKPOINT_RESTORE 40
DAEMON_CAPS = (1 << 2) | (1 << 19) | (1 << 38) | (1 << 39) | (1 << 40)


def caps_of(pid, tid):
    caps = {}
    with open(f"/proc/{pid}/task/{tid}/status") as f:
        for line in f:
            if line.startswith("Cap"):
                k, v = line.split(":")
                caps[k] = int(v, 16)
    return caps


@h.test("daemon-caps")
def t_daemon_caps(ctx):
    with dm.Scratch(ctx) as scratch:
        before = h.LinkSnapshot()
        abba = scratch.copy_target("abba")
        d = dm.Daemon(ctx, scratch, [("target", {"name": "abba", "exe": abba})])
        tids = os.listdir(f"/proc/{d.pid}/task")
        h.check(len(tids) >= 2, "the daemon runs its metrics server's threads too", repr(tids))
        for tid in tids:
            c = caps_of(d.pid, tid)
            ctx.log(f"thread {tid}: " + " ".join(f"{k} {v:016x}" for k, v in c.items()))
            for k in ("CapEff", "CapPrm", "CapBnd"):
                h.check(c[k] == DAEMON_CAPS, f"thread {tid}: {k} is exactly the five kept",
                        f"{c[k]:016x}, want {DAEMON_CAPS:016x}")
            for k in ("CapInh", "CapAmb"):
                h.check(c[k] == 0, f"thread {tid}: {k} is empty", f"{c[k]:016x}")
        t = h.Proc(ctx, [abba, "-w"], stdin=subprocess.PIPE)
        d.wait_attached(t.pid, "abba, after the drop")
        t.write("go\n")
        t.close_stdin()
        rc = t.wait(h.TIMEOUT, "abba exits in time")
        h.check(rc == 0, "abba exits 0", f"exit {rc}")
        fs = d.wait_findings(lambda fs: any(f.get("pid") == t.pid for f in fs),
                             dm.FINDING_WAIT, "abba's finding")
        mine = [f for f in fs if f.get("pid") == t.pid]
        h.check([f["kind"] for f in mine] == [h.INVERSION], "one lock-order-inversion",
                repr([f["kind"] for f in mine]))
        h.check_inversion(mine[0], 2, t.pid)
        d.stop(before, {t.pid})
