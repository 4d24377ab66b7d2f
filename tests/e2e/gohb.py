# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of Go happens-before and channel misuse (issue 16, items 13 to 15), on the
Go programs of tests/targets/go/ built by scripts/build_go_targets.sh for every release of
the matrix (go1.19, 1.21 to 1.27), normally and stripped (-ldflags='-s -w'):

- mapsleep / mapsleepok: a map written by a goroutine that ended and, 300 ms later, by a new
  one (a race: the new goroutine must not inherit the ended one's clock slot), and the clean
  twin ordered by a channel or a Mutex;
- sendclosed / sendrace / closenil / sendcloseok: a send on a closed channel (the runtime
  panics), an unordered send and close that happen not to panic (predicted), a close of a nil
  channel, and the clean twin (close after wg.Wait of every sender);
- workerpool: an idle worker pool whose producer lives (no leak, with a 1 s hang threshold),
  and -leak, the pool whose producer returned without closing its channel (item 1);

Each runs in `--` mode and in -p mode; findings are compared structurally (kinds, the
goroutines the program names in its "NAME: goid ROLE N" lines, the program's function in each
stack), and a clean twin must also
show that racetrace watched (no event lost, the map writes and channel operations seen)."""
import gotests as g
import harness as h

# program, program arguments, expected kinds, roles the finding names, and the least
# number of records of each type the run must show (what the program does for sure)
N = 100
CASES = [
    ("mapsleep", [], {"go-map-race": 1}, {"first", "second"}, {"go_map_write": 2 * N}),
    ("mapsleep", ["-chan"], {"go-map-race": 1}, {"first", "second"},
     {"go_map_write": 2 * N, "go_chan_send": 2}),
    ("mapsleepok", [], {}, None, {"go_map_write": 2 * N, "go_chan_send": 1}),
    ("mapsleepok", ["-mutex"], {}, None, {"go_map_write": 2 * N, "go_lock": 1}),
    ("sendclosed", [], {"go-chan-send-closed": 1}, {"closer", "sender"},
     {"go_chan_close": 2, "go_chan_send": 1}),
    ("sendrace", [], {"go-chan-send-closed/predicted": 1}, {"closer", "sender"},
     {"go_chan_close": 1, "go_chan_send": 3}),
    ("closenil", [], {"go-chan-close-nil": 1}, {"closer"}, {"go_chan_close": 1}),
    ("sendcloseok", [], {}, None, {"go_chan_close": 4, "go_chan_send": 7, "go_wg_wait": 1}),
    # an idle pool (workers parked in `range jobs` for more than the 1 s threshold, some
    # before their first job) while its producer lives, and the leak: the producer returned
    # without closing jobs
    ("workerpool", [], {}, None, {"go_chan_send": 8, "go_chan_recv": 8, "go_wg_wait": 1}),
    ("workerpool", ["-leak"], {"go-goroutine-leak": 1}, {"worker"}, {"go_chan_send": 2}),
]
# racetrace's options for a program (the leak rules wait for the hang threshold)
OPTS = {"workerpool": g.HANG}
# each finding's stacks by their first function of package main (gotests.main_funcs)
STACK_FUNCS = {
    "mapsleep": [r"main\.writeKeys"] * 2,
    "sendclosed": [r"main\.deliver", r"main\.main\.func1"],
    "sendrace": [r"main\.deliver", r"main\.main\.func2"],
    "closenil": [r"main\.\(\*service\)\.stop"],
    "workerpool": [r"main\.worker"],
}
# what the Go runtime does to each: its panic (exit 2, stderr names it), or a normal exit
PANICS = {"sendclosed": "send on closed channel", "closenil": "close of nil channel"}


def check_run(ctx, name, rc, r, err_lines, want, roles, least):
    findings, summary = h.parse_jsonl(r)
    got = g.kinds_of(findings)
    h.check(got == want, f"findings are exactly {want or 'none'}",
            f"got {got}: {[f['message'][:100] for f in findings]}")
    for f in findings:
        g.check_stack_funcs(ctx, f["stacks"], STACK_FUNCS[name])
    h.check(summary["lost"] == 0, "no event lost", repr(summary.get("lost_by_reason")))
    ev = summary["events_by_type"]
    for typ, n in least.items():
        h.check(ev.get(typ, 0) >= n, f"at least {n} {typ} records (racetrace watched)",
                f"{ev.get(typ, 0)}")
    if roles:
        ids = g.goids(err_lines)
        want_ids = {ids.get(x) for x in roles}
        h.check(None not in want_ids, "the program named its goroutines", repr(ids))
        h.check(set(findings[0]["threads"]) == want_ids,
                f"the finding names goroutines {sorted(roles)}",
                f"threads {findings[0]['threads']} vs {ids}")
    h.check(rc == (h.FINDINGS_RC if want else 0), f"exit status {h.FINDINGS_RC if want else 0}", f"got {rc}")
    return summary


def check_panic(name, err_lines):
    if name in PANICS:
        h.check(any(PANICS[name] in line for line in err_lines),
                f"the program died of the runtime's panic '{PANICS[name]}'",
                repr(err_lines[-3:]))


def make_case(minor, variant, name, args, want, roles, least, pid_mode):
    def fn(ctx):
        before = h.LinkSnapshot()
        path = g.gobin(minor, name, variant)
        rt_opts = ("--json", *OPTS.get(name, ()))
        if pid_mode:
            t, r = h.start_pid_mode(ctx, [path, *args], rt_opts=rt_opts)
            t.write("go\n")
            t.close_stdin()
            trc = t.wait(h.TIMEOUT, "target exits in time")
            h.check(trc == (2 if name in PANICS else 0),
                    f"target exits {2 if name in PANICS else 0}", f"exit {trc}")
            rc = r.wait(h.TIMEOUT, "racetrace exits after the target")
            err_lines = t.err  # the target's own lines are on its stderr in -p mode
            ours = {r.pid, t.pid}
        else:
            rc, r = h.run_cmd_mode(ctx, [path, *args], rt_opts=rt_opts)
            err_lines = r.err
            ours = {r.pid}
        check_panic(name, err_lines)
        summary = check_run(ctx, name, rc, r, err_lines, want, roles, least)
        h.check_no_leaked_links(ctx, before, ours | {summary.get("pid")})
    return fn


for _minor in g.GO_VERSIONS:
    for _variant in ("", "-sw"):
        for _name, _args, _want, _roles, _least in CASES:
            _label = _name + "".join(_args)
            h.test(f"go1.{_minor}{_variant}-{_label}", clean=not _want,
                   full_matrix_only=g.go_matrix(_minor, _variant, _label), parallel=True)(
                make_case(_minor, _variant, _name, _args, _want, _roles, _least, False))
            h.test(f"go1.{_minor}{_variant}-{_label}-pid", clean=not _want,
                   full_matrix_only=g.go_matrix(_minor, _variant, _label + "-pid"),
                   parallel=True)(
                make_case(_minor, _variant, _name, _args, _want, _roles, _least, True))
