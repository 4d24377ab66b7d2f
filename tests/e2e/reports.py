# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of what a report says: symbolized stacks with and without frame pointers,
lock names (a global by its symbol, a lock in a heap block by its allocation site), thread
names, a stripped target (module+offset frames, no crash), and the text form's SUMMARY line.

run.py calls register(its own module) at import; the harness helpers come from there."""
import re

R = None  # run.py's module: check, target, run_cmd_mode, parse_jsonl, ...


def check(cond, name, detail=""):
    R.check(cond, name, detail)


def frames_ok(stack, funcs, src, what):
    """A stack of at least 3 frames whose first names one of funcs in src with a line."""
    check(isinstance(stack, list) and len(stack) >= 3, f"{what}: at least 3 frames",
          f"got {len(stack) if isinstance(stack, list) else stack!r}")
    top = stack[0]
    check(top.get("function") in funcs, f"{what}: frame #0 is in {sorted(funcs)}", repr(top))
    check(top.get("file") == src and isinstance(top.get("line"), int) and top["line"] > 0,
          f"{what}: frame #0 has {src}:line", repr(top))
    for fr in stack:
        for k in ("addr", "module", "function", "offset", "file", "line"):
            check(k in fr, f"{what}: frames have '{k}'", repr(fr))


def inversion_of(ctx, name, nlocks=2):
    before = R.LinkSnapshot()
    rc, r = R.run_cmd_mode(ctx, [R.target(name)])
    findings, summary = R.parse_jsonl(r)
    check(rc == 2, "exit status 2", f"got {rc}")
    inv = [f for f in findings if f["kind"] == R.INVERSION]
    check(len(inv) == 1, "one lock-order-inversion", f"got {[f['kind'] for f in findings]}")
    check(len(inv[0]["locks"]) == nlocks, f"{nlocks} locks", repr(inv[0]["locks"]))
    R.check_no_leaked_links(ctx, before, {r.pid, summary.get("pid")})
    return inv[0], r


def t_stacks(build):
    def fn(ctx):
        f, _ = inversion_of(ctx, build)
        for i, e in enumerate(f["edges"]):
            for which in ("acquire_site", "held_site"):
                frames_ok(e[which]["stack"], {"thread_ab", "thread_ba"}, "abba.c",
                          f"edge {i} {which}")
        check(len(f["stacks"]) == len(f["sites"]), "one stack per site")
        names = sorted(lk["name"] or "" for lk in f["locks"])
        check(names[0].startswith("lock_a") and names[1].startswith("lock_b"),
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
            check(re.search(r"mutex at \+\d+ in \d+-byte heap block allocated at account_new",
                            n) and "bank.c:" in n,
                  "a lock in a malloc'ed struct is named by its allocation site", repr(n))
        for ti in f["thread_info"]:
            check(ti.get("name") == build[:15], "thread names are reported", repr(ti))
            site = ti.get("created_at") or {}
            check(any(fr.get("function") == "main" for fr in site.get("stack", [])),
                  "threads have their creation stack", repr(site)[:200])
    return fn


def t_stripped(ctx):
    f, r = inversion_of(ctx, "abba-stripped")
    for e in f["edges"]:
        top = e["acquire_site"]["stack"][0]
        check(top.get("module") == "abba-stripped" and top.get("offset", 0) > 0,
              "a stripped target gets module+offset frames", repr(top))


def t_text_summary(ctx):
    rc, r = R.run_cmd_mode(ctx, [R.target("bank")], rt_opts=())
    text = "\n".join(r.out)
    check(rc == 2, "exit status 2", f"got {rc}")
    check(re.search(r"^SUMMARY: racetrace: lock-order-inversion bank\.c:\d+ in transfer$", text,
                    re.M), "TSan-style SUMMARY line", text[-400:])
    check("WARNING: racetrace: lock-order-inversion" in text, "WARNING headline")


def register(run_module):
    global R
    R = run_module
    test = R.test
    test("report-stacks-fp")(t_stacks("abba"))
    test("report-stacks-nofp")(t_stacks("abba-nofp"))
    test("report-heap-lock-fp")(t_bank("bank"))
    test("report-heap-lock-nofp")(t_bank("bank-nofp"))
    test("report-stripped")(t_stripped)
    test("report-text-summary")(t_text_summary)
