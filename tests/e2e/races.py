# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of --races (the data-race detector): each C pattern of tests/targets/race_*.c
is reported in `--` and -p mode with both stacks in the target's source, and each clean twin
(race_*_clean.c) reports nothing while racetrace demonstrably watched it: no event lost, and at
least as many memory-access records as the twin makes accesses it must see (one a round per
worker, a floor: each round makes several). Checks are structural (kinds, threads, sites,
stacks, names), never on text or timing."""

import gotests as g
import harness as h

RACES = ("--races", "--json")
ROUNDS = {"race_counter": 3000, "race_field": 3000, "race_publish": 500}


def run(ctx, name, mode, path=None):
    """Run target `name` (a C target, or the program at path) under racetrace --races in mode
    "cmd" or "pid": (rc, findings, summary)."""
    if path is None:
        h.need_target(name)
        path = h.target(name)
    before = h.LinkSnapshot()
    if mode == "cmd":
        rc, r = h.run_cmd_mode(ctx, [path], RACES)
        tpid = None
    else:
        rc, r, t = h.run_pid_mode(ctx, [path], RACES)
        tpid = t.pid
    findings, summary = h.parse_jsonl(r)
    # a race is printed at first sight (count 1) and counted again at every later sighting,
    # so the summary's counts are at least the printed ones (check_summary wants them equal)
    printed = [dict(f, count=summary.get("counts", {}).get(f.get("id"))) for f in findings]
    h.check_summary(printed, summary, tpid)
    for f in findings:
        h.check(f.get("count") == 1, "a race is printed at first sight", repr(f.get("count")))
    h.check_no_leaked_links(ctx, before, {r.pid, summary.get("pid")})
    races = summary.get("races")
    h.check(isinstance(races, dict), "summary has a races object", repr(summary)[:200])
    for k in ("sites", "watched", "accesses", "addresses", "accesses_per_s", "addresses_per_min"):
        h.check(k in races, f"summary.races has '{k}'", repr(races))
    h.check(races["accesses"] == summary["events_by_type"].get("mem_access", 0),
            "summary.races.accesses counts the mem_access records", repr(races))
    h.check(0 < races["watched"] <= races["sites"], "some sites watched", repr(races))
    # the data-race detector's own counter, read by name (rt_detectors_counter)
    h.check(races["accesses"] == 0 or 0 < races["addresses"] <= races["accesses"],
            "summary.races.addresses counts the words the accesses touched", repr(races))
    return rc, findings, summary


def check_race(f, src, what):
    h.check_finding(f, f["pid"])
    h.check(len(f["threads"]) == 2 and f["threads"][0] != f["threads"][1],
            f"{what}: two threads", repr(f["threads"]))
    h.check(len(f["sites"]) == 2 and len(f["stacks"]) == 2, f"{what}: two sites, two stacks",
            repr(f["sites"]))
    for i, st in enumerate(f["stacks"]):
        h.check(isinstance(st, list) and st, f"{what}: stack {i} has frames", repr(st))
        top = st[0]
        h.check(top.get("file") == src and isinstance(top.get("line"), int) and top["line"] > 0,
                f"{what}: stack {i} frame #0 is at {src}:line", repr(top))
    var = f["locks"][0]
    h.check(var.get("type") == "memory" and h.HEX_ADDR.match(var.get("addr", "")),
            f"{what}: the first object is the memory raced on", repr(var))


def t_race(name, mode, var_ok, var_what, gopath=None):
    def fn(ctx):
        rc, findings, summary = run(ctx, name, mode, gopath() if gopath else None)
        races = [f for f in findings if f["kind"] == "data-race"]
        h.check(races, "a data-race is reported", f"kinds {[f['kind'] for f in findings]}")
        h.check(len(races) == len(findings), "only data races", repr([f["kind"] for f in findings]))
        for i, f in enumerate(races):
            check_race(f, "main.go" if gopath else name + ".c", f"data-race {i}")
        names = [f["locks"][0].get("name") or "" for f in races]
        h.check(any(var_ok(n) for n in names), f"a race names {var_what}", repr(names))
        h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC} (findings)", f"got {rc}")
    return fn


def t_clean(name, mode, floor, gopath=None):
    def fn(ctx):
        rc, findings, summary = run(ctx, name, mode, gopath() if gopath else None)
        h.check(findings == [], "the clean twin reports nothing",
                repr([(f["kind"], f["message"]) for f in findings])[:300])
        h.check(summary["lost"] == 0, "no event lost (racetrace saw everything)",
                repr(summary["lost_by_reason"]))
        seen = summary["events_by_type"].get("mem_access", 0)
        h.check(seen >= floor, f"at least {floor} memory accesses seen", f"got {seen}")
        h.check(rc == 0, "exit status 0", f"got {rc}")
    return fn


PATTERNS = (
    ("race_counter", lambda n: n.startswith("hits "), "the global counter `hits`", 2 * 3000),
    ("race_field", lambda n: "heap block" in n and n.startswith("memory at +8 "),
     "the heap struct's field at +8", 2 * 3000),
    ("race_publish", lambda n: n.startswith("slot") or n.startswith("ptr "),
     "the payload or the pointer", 2 * 500),
)

for _name, _ok, _what, _floor in PATTERNS:
    for _mode in ("cmd", "pid"):
        h.test(f"races-{_name[5:]}-{_mode}")(t_race(_name, _mode, _ok, _what))
        h.test(f"races-{_name[5:]}-clean-{_mode}", clean=True)(t_clean(_name + "_clean", _mode, _floor))


# Go: tests/targets/go/racefield (a struct field bumped by three goroutines; the clean twin uses
# sync/atomic), built for each release by scripts/build_go_targets.sh: every release of the
# matrix, normal builds (the race names the variable from .symtab).
def gobin(minor, name):
    """The normal build's path, looked up (and checked) when the test runs."""
    return lambda: g.gobin(minor, name, "")


for _minor in g.GO_VERSIONS:
    for _mode in ("cmd", "pid"):
        h.test(f"races-go1.{_minor}-field-{_mode}", parallel=True)(
            t_race("racefield", _mode, lambda n: n.startswith("main.s+16 "),
                   "the struct field main.s.hits", gobin(_minor, "racefield")))
        h.test(f"races-go1.{_minor}-field-clean-{_mode}", clean=True, parallel=True)(
            t_clean("racefield_clean", _mode, 3 * 300, gobin(_minor, "racefield_clean")))
        # job structs handed over channels, mutated by one goroutine at a time
        h.test(f"races-go1.{_minor}-jobhandoff-{_mode}", clean=True, parallel=True)(
            t_clean("jobhandoff", _mode, 4 * 400, gobin(_minor, "jobhandoff")))
