# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of what a report says: symbolized stacks with and without frame pointers,
lock names (a global by its symbol, a lock in a heap block by its allocation site), thread
names, a stripped target (module+offset frames, no crash), and the text form's SUMMARY line.

Where glibc's debug info comes from: racetrace runs in a mount namespace of the test's own with
an empty directory over /usr/lib/debug (harness.PrivateNs), so libc6-dbg is out of view for it
alone. Then libc's frames are module+offset and the report ends with the hint naming libc.so.6
and libc6-dbg (report-libc-nodebug); with DEBUGINFOD_URLS naming a Debian `debuginfod` serving
libc's debug file on the namespace's own loopback, start_thread and clone3 come back with their
source lines, fetched by build-id (report-libc-debuginfod)."""
import os
import re
import shutil
import subprocess
import tempfile
import time

import harness as h


def frames_ok(stack, funcs, src, what):
    """A stack of at least 3 frames whose first names one of funcs in src with a line."""
    h.check(isinstance(stack, list) and len(stack) >= 3, f"{what}: at least 3 frames",
            f"got {len(stack) if isinstance(stack, list) else stack!r}")
    top = stack[0]
    h.check(top.get("function") in funcs, f"{what}: frame #0 is in {sorted(funcs)}", repr(top))
    h.check(top.get("file") == src and isinstance(top.get("line"), int) and top["line"] > 0,
            f"{what}: frame #0 has {src}:line", repr(top))
    for fr in stack:
        for k in ("addr", "module", "function", "offset", "file", "line"):
            h.check(k in fr, f"{what}: frames have '{k}'", repr(fr))


def inversion_of(ctx, name, nlocks=2):
    before = h.LinkSnapshot()
    rc, r = h.run_cmd_mode(ctx, [h.target(name)])
    findings, summary = h.parse_jsonl(r)
    h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC}", f"got {rc}")
    inv = [f for f in findings if f["kind"] == h.INVERSION]
    h.check(len(inv) == 1, "one lock-order-inversion", f"got {[f['kind'] for f in findings]}")
    h.check(len(inv[0]["locks"]) == nlocks, f"{nlocks} locks", repr(inv[0]["locks"]))
    h.check_no_leaked_links(ctx, before, {r.pid, summary.get("pid")})
    return inv[0], r


def t_stacks(build):
    def fn(ctx):
        f, _ = inversion_of(ctx, build)
        for i, e in enumerate(f["edges"]):
            for which in ("acquire_site", "held_site"):
                frames_ok(e[which]["stack"], {"thread_ab", "thread_ba"}, "abba.c",
                          f"edge {i} {which}")
        h.check(len(f["stacks"]) == len(f["sites"]), "one stack per site")
        names = sorted(lk["name"] or "" for lk in f["locks"])
        h.check(names[0].startswith("lock_a") and names[1].startswith("lock_b"),
                "global locks are named by their symbols", repr(names))
    return fn


def t_bank(build):
    def fn(ctx):
        f, _ = inversion_of(ctx, build)
        for i, e in enumerate(f["edges"]):
            for which in ("acquire_site", "held_site"):
                frames_ok(e[which]["stack"], {"transfer"}, "bank.c", f"edge {i} {which}")
        for lk in f["locks"]:
            n = lk["name"] or ""
            h.check(re.search(r"mutex at \+\d+ in \d+-byte heap block allocated at account_new",
                              n) and "bank.c:" in n,
                    "a lock in a malloc'ed struct is named by its allocation site", repr(n))
        for ti in f["thread_info"]:
            h.check(ti.get("name") == build[:15], "thread names are reported", repr(ti))
            site = ti.get("created_at") or {}
            h.check(any(fr.get("function") == "main" for fr in site.get("stack", [])),
                    "threads have their creation stack", repr(site)[:200])
    return fn


def t_stripped(ctx):
    f, r = inversion_of(ctx, "abba-stripped")
    for e in f["edges"]:
        top = e["acquire_site"]["stack"][0]
        h.check(top.get("module") == "abba-stripped" and top.get("offset", 0) > 0,
                "a stripped target gets module+offset frames", repr(top))


def t_text_summary(ctx):
    rc, r = h.run_cmd_mode(ctx, [h.target("bank")], rt_opts=())
    text = "\n".join(r.out)
    h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC}", f"got {rc}")
    h.check(re.search(r"^SUMMARY: racetrace: lock-order-inversion bank\.c:\d+ in transfer$", text,
                      re.M), "TSan-style SUMMARY line", text[-400:])
    h.check("WARNING: racetrace: lock-order-inversion" in text, "WARNING headline")


def marked_line(src, what):
    """The line of tests/targets/SRC marked `/* LOCK_SITE what */`."""
    with open(os.path.join(h.ROOT, "tests", "targets", src)) as f:
        for i, line in enumerate(f, 1):
            if f"/* LOCK_SITE {what} */" in line:
                return i
    raise h.Fail(f"no LOCK_SITE {what} in {src}")


def t_inline_locks(ctx):
    """static inline lock helpers at -O2: every site's stack names the helper's line (take),
    its caller's (lock_account) and transfer's call, one frame each, the inlined ones marked;
    the SUMMARY names transfer's line, not the helper's."""
    src = "inline_locks.c"
    take, acct = marked_line(src, "take"), marked_line(src, "lock_account")
    lines = {"held_site": marked_line(src, "transfer from"),
             "acquire_site": marked_line(src, "transfer to")}
    f, _ = inversion_of(ctx, "inline_locks")
    for i, e in enumerate(f["edges"]):
        for which, line in lines.items():
            st = [(fr.get("function"), fr.get("file"), fr.get("line"), bool(fr.get("inlined")))
                  for fr in e[which]["stack"][:3]]
            h.check(st == [("take", src, take, True), ("lock_account", src, acct, True),
                           ("transfer", src, line, False)],
                    f"edge {i} {which}: take:{take} in lock_account:{acct} in transfer:{line}",
                    repr(st))
    rc, r = h.run_cmd_mode(ctx, [h.target("inline_locks")], rt_opts=())
    h.check(rc == 2, "exit status 2 (text)", f"got {rc}")
    text = "\n".join(r.out)
    h.check(re.search(rf"^SUMMARY: racetrace: lock-order-inversion {src}:{lines['acquire_site']}"
                      r" in transfer$", text, re.M),
            "SUMMARY names transfer's line of the acquisition", text[-300:])
    h.check(re.search(r"#0 0x[0-9a-f]+ take \(inline_locks\.c:\d+\) \(inlined\)$", text, re.M),
            "the text stack marks inlined frames", text[-600:])


DEBUG_DIR = "/usr/lib/debug"
HINT = re.compile(r"^racetrace: frames in (.*) have no function names: install their debug "
                  r"info \(glibc's: apt install libc6-dbg\), or set DEBUGINFOD_URLS to fetch "
                  r"it by build-id$")
DEBUGINFOD_PORT = 8002  # in the test's own network namespace: never taken


def libc_of(path):
    """(path, build-id hex) of the libc.so.6 the program at path loads (ldd, readelf)."""
    r = subprocess.run(["ldd", path], capture_output=True, text=True, timeout=h.TIMEOUT)
    m = re.search(r"libc\.so\.6 => (\S+)", r.stdout)
    h.check(m, "ldd finds the target's libc", r.stdout + r.stderr)
    libc = os.path.realpath(m.group(1))
    r = subprocess.run(["readelf", "-n", libc], capture_output=True, text=True,
                       timeout=h.TIMEOUT)
    m = re.search(r"Build ID: ([0-9a-f]+)", r.stdout)
    h.check(m, "libc has a build-id", r.stderr[-200:])
    return libc, m.group(1)


def libc_frames(f):
    """Every frame of the finding's stacks, and its thread-creation stacks."""
    frames = [fr for st in f.get("stacks", []) for fr in st]
    for ti in f.get("thread_info", []):
        frames += (ti.get("created_at") or {}).get("stack", [])
    return frames


def check_thread_frames(f, what):
    """The threads' stacks end in start_thread and clone3, with their source lines."""
    frames = libc_frames(f)
    for fn, src in (("start_thread", "pthread_create.c"), ("clone3", "clone3.S")):
        hits = [fr for fr in frames if fr.get("function") == fn]
        h.check(hits, f"{what}: a {fn} frame", repr([fr.get("function") for fr in frames]))
        h.check(all(fr.get("file") == src and fr.get("line", 0) > 0 for fr in hits),
                f"{what}: {fn} has {src}:line", repr(hits[0]))


def t_libc_nodebug(ctx):
    bank = h.need_target("bank")
    ns = h.PrivateNs(ctx, hide=[DEBUG_DIR])
    try:
        r = h.Proc(ctx, ns.argv([h.RACETRACE, "--", bank]))
        rc = r.wait(h.TIMEOUT, "racetrace exits in time")
        h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC}", f"got {rc}: {r.err[-1:]}")
        h.check(any(re.search(r"libc\.so\.6\+0x[0-9a-f]+$", s) for s in r.out),
                "without debug info, a libc frame is libc.so.6+offset",
                "\n".join(r.out[-30:]))
        m = HINT.match(r.out[-1]) if r.out else None
        h.check(m and "libc.so.6" in m.group(1).split(", "),
                "the report ends with the hint naming libc.so.6 and libc6-dbg",
                r.out[-1] if r.out else "(no output)")

        r = h.Proc(ctx, ns.argv([h.RACETRACE, "--json", "--", bank]))
        rc = r.wait(h.TIMEOUT, "racetrace --json exits in time")
        h.check(rc == h.FINDINGS_RC, f"--json: exit status {h.FINDINGS_RC}", f"got {rc}: {r.err[-1:]}")
        r.out[:] = [s for s in r.out if not s.startswith("bank:")]
        findings, summary = h.parse_jsonl(r)
        h.check("libc.so.6" in summary.get("unsymbolized", []),
                "summary.unsymbolized names libc.so.6", repr(summary.get("unsymbolized")))
    finally:
        ns.remove()


def t_libc_debuginfod(ctx):
    bank = h.need_target("bank")
    libc, bid = libc_of(bank)
    local = os.path.join(DEBUG_DIR, ".build-id", bid[:2], bid[2:] + ".debug")
    h.check(os.path.isfile(local), "libc's debug file is installed, to serve it",
            f"{local}: the Debian package libc6-dbg: run 'sudo scripts/deps.sh'")
    server = h.need_program("debuginfod", "debuginfod")
    find = h.need_program("debuginfod-find", "debuginfod")
    scratch = tempfile.mkdtemp(prefix="racetrace-debuginfod.")
    ns = h.PrivateNs(ctx, hide=[DEBUG_DIR])
    try:
        served = os.path.join(scratch, "served")
        os.makedirs(served)
        shutil.copy(local, os.path.join(served, "libc.debug"))
        url = f"http://127.0.0.1:{DEBUGINFOD_PORT}"
        h.Proc(ctx, ns.argv([server, "-F", "-p", DEBUGINFOD_PORT, "-t", "0", "-g", "0",
                             "-d", os.path.join(scratch, "index.sqlite"), served]))
        # until it has indexed the file (a fresh cache per try: misses are cached)
        deadline, tries = time.monotonic() + h.TIMEOUT, 0
        while True:
            tries += 1
            env = dict(os.environ, DEBUGINFOD_URLS=url,
                       DEBUGINFOD_CACHE_PATH=os.path.join(scratch, f"probe{tries}"))
            p = subprocess.run(ns.argv([find, "debuginfo", bid]), env=env,
                               capture_output=True, text=True, timeout=h.TIMEOUT)
            if p.returncode == 0:
                break
            h.check(time.monotonic() < deadline, "debuginfod serves libc's debug file",
                    f"debuginfod-find: {p.stderr.strip()[-200:]}")
            time.sleep(0.3)
        ctx.log(f"debuginfod serves {bid} after {tries} tries")

        cache = os.path.join(scratch, "cache")
        env = dict(os.environ, DEBUGINFOD_URLS=url, DEBUGINFOD_CACHE_PATH=cache)
        ctx.log(f"env DEBUGINFOD_URLS={url} DEBUGINFOD_CACHE_PATH={cache}")
        r = h.Proc(ctx, ns.argv([h.RACETRACE, "--json", "--", bank]), env=env)
        rc = r.wait(h.TIMEOUT, "racetrace exits in time")
        h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC}", f"got {rc}: {r.err[-1:]}")
        r.out[:] = [s for s in r.out if not s.startswith("bank:")]
        findings, summary = h.parse_jsonl(r)
        h.check(findings, "a finding")
        check_thread_frames(findings[0], "with libc's debug info from debuginfod")
        h.check("libc.so.6" not in summary.get("unsymbolized", []),
                "libc.so.6 is not unsymbolized", repr(summary.get("unsymbolized")))
        h.check(os.path.isfile(os.path.join(cache, bid, "debuginfo")),
                "racetrace fetched libc's debug file into its debuginfod cache",
                repr(os.listdir(cache)) if os.path.isdir(cache) else "no cache directory")
    finally:
        ns.remove()
        shutil.rmtree(scratch, ignore_errors=True)


h.test("report-stacks-fp")(t_stacks("abba"))
h.test("report-stacks-nofp")(t_stacks("abba-nofp"))
h.test("report-heap-lock-fp")(t_bank("bank"))
h.test("report-heap-lock-nofp")(t_bank("bank-nofp"))
h.test("report-stripped")(t_stripped)
h.test("report-text-summary")(t_text_summary)
h.test("report-inline-locks")(t_inline_locks)
h.test("report-libc-nodebug")(t_libc_nodebug)
h.test("report-libc-debuginfod")(t_libc_debuginfod)
