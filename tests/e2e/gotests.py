# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of Go programs (tests/targets/go/), each built with every supported Go
toolchain (go1.19, 1.21, 1.22, 1.23), normally and stripped (-ldflags='-s -w'), by
scripts/build_go_targets.sh into .output/go-targets/go1.N/NAME[-sw]. Each runs under the real
racetrace in `--` mode (and some in -p mode) with exact expectations on the finding kinds; the
goroutines named in a finding must be the ones the program says played the roles (its
"NAME: goid ROLE N" lines on stderr).

run.py calls register(its own module); the harness helpers come from there."""
import os
import re

R = None
GO_VERSIONS = (19, 21, 22, 23)
GOTARGETS = os.path.join(os.path.dirname(__file__), "..", "..", ".output", "go-targets")

# program, racetrace options, program arguments, expected kinds, roles the finding names
CASES = [
    ("mapwrite", [], [], {"go-map-race": 1}, {"first", "second"}),
    ("maprange", [], [], {"go-map-race": 1}, {"writer", "ranger"}),
    ("mapmutex", [], [], {}, None),
    ("chanhandoff", [], [], {}, None),
    ("waitgroup", [], [], {}, None),
    ("doubleclose", [], [], {"go-chan-double-close": 1}, None),
    ("abba", [], [], {"lock-order-inversion": 1}, None),
    ("chanblock", ["--hang-threshold", "1"], [], {"go-goroutine-leak": 1}, {"blocked"}),
]


def gobin(minor, name, variant):
    p = os.path.abspath(os.path.join(GOTARGETS, f"go1.{minor}", name + variant))
    R.check(os.access(p, os.X_OK), f"{name}{variant} built with go1.{minor}",
            f"{p} missing: run 'scripts/build_go_targets.sh' (make test does)")
    return p


def goids(err_lines):
    """role -> goroutine id from the program's 'NAME: goid ROLE N' lines."""
    out = {}
    for line in err_lines:
        m = re.search(r": goid (\S+) (\d+)$", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def kinds_of(findings):
    k = {}
    for f in findings:
        k[f["kind"]] = k.get(f["kind"], 0) + 1
    return k


def make_case(minor, variant, name, opts, args, want, roles):
    def fn(ctx):
        before = R.LinkSnapshot()
        path = gobin(minor, name, variant)
        rc, r = R.run_cmd_mode(ctx, [path, *args], rt_opts=("--json", *opts))
        findings, summary = R.parse_jsonl(r)
        got = kinds_of(findings)
        R.check(got == want, f"findings are exactly {want or 'none'}",
                f"got {got}: {[f['message'][:100] for f in findings]}")
        ev = summary["events_by_type"]
        R.check(ev.get("go_go", 0) >= 1 and ev.get("go_spawn", 0) >= 1,
                "goroutine creation seen", repr(ev))
        if roles:
            ids = goids(r.err)
            want_ids = {ids.get(x) for x in roles}
            R.check(None not in want_ids, "the program named its goroutines", repr(ids))
            R.check(set(findings[0]["threads"]) == want_ids,
                    f"the finding names goroutines {sorted(roles)}",
                    f"threads {findings[0]['threads']} vs {ids}")
        for f in findings:
            # stripped builds too: function names come from .gopclntab then
            R.check(f["stacks"] and f["stacks"][0] and f["stacks"][0][0].get("module") and
                    f["stacks"][0][0].get("function"),
                    "the finding has a symbolized stack", repr(f["stacks"])[:200])
        if roles and "go-map-race" in want:
            # both goroutines were made by `go` statements in main: their creation sites
            for ti in findings[0]["thread_info"]:
                site = ti.get("created_at") or {}
                ok = any(fr.get("function") == "main.main" for fr in site.get("stack", []))
                R.check(ti.get("name") == "goroutine" and ok,
                        "goroutines come with their creation stack", repr(ti)[:200])
        R.check(rc == (2 if want else 0), f"exit status {2 if want else 0}", f"got {rc}")
        R.check_no_leaked_links(ctx, before, {r.pid, summary.get("pid")})
    return fn


def t_pid_mode(ctx):
    """A Go program found with -p (its executable through /proc/PID/exe)."""
    before = R.LinkSnapshot()
    path = gobin(23, "mapwrite", "")
    rc, r, pid = R.run_pid_mode(ctx, [path])
    findings, summary = R.parse_jsonl(r)
    R.check(kinds_of(findings) == {"go-map-race": 1}, "one go-map-race under -p",
            repr(kinds_of(findings)))
    R.check(rc == 2, "exit status 2", f"got {rc}")
    R.check_no_leaked_links(ctx, before, {r.pid, pid})


def register(run_module):
    global R
    R = run_module
    for minor in GO_VERSIONS:
        for variant in ("", "-sw"):
            for name, opts, args, want, roles in CASES:
                R.test(f"go1.{minor}{variant}-{name}")(
                    make_case(minor, variant, name, opts, args, want, roles))
    R.test("go-pid-mode")(t_pid_mode)
