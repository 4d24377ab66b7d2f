# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of what a report says: symbolized stacks with and without frame pointers,
lock names (a global by its symbol, a lock in a heap block by its allocation site), thread
names, a stripped target (module+offset frames, no crash), and the text form's SUMMARY line."""
import re

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
    h.check(rc == 2, "exit status 2", f"got {rc}")
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
    h.check(rc == 2, "exit status 2", f"got {rc}")
    h.check(re.search(r"^SUMMARY: racetrace: lock-order-inversion bank\.c:\d+ in transfer$", text,
                      re.M), "TSan-style SUMMARY line", text[-400:])
    h.check("WARNING: racetrace: lock-order-inversion" in text, "WARNING headline")


h.test("report-stacks-fp")(t_stacks("abba"))
h.test("report-stacks-nofp")(t_stacks("abba-nofp"))
h.test("report-heap-lock-fp")(t_bank("bank"))
h.test("report-heap-lock-nofp")(t_bank("bank-nofp"))
h.test("report-stripped")(t_stripped)
h.test("report-text-summary")(t_text_summary)
