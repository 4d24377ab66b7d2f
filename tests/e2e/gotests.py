# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of Go programs (tests/targets/go/), each built with every supported Go
toolchain (go1.19, 1.21, 1.22, 1.23), normally and stripped (-ldflags='-s -w'), by
scripts/build_go_targets.sh into .output/go-targets/go1.N/NAME[-sw]. Each runs under the real
racetrace in `--` mode (and some in -p mode) with exact expectations on the finding kinds; the
goroutines named in a finding must be the ones the program says played the roles (its
"NAME: goid ROLE N" lines on stderr). The `gotest` program is a test binary run as `go test`
runs it; go-etcd traces Debian's etcd for a minute under load and wants no finding.
go1.N[-sw]-transfer-lines: the AB/BA `transfer` program's report names its own lines (17, 18)
in the JSON stacks, sites and text SUMMARY, with sync.(*Mutex).Lock as an inlined frame; the
etcdlike variant is go1.19 built with cgo's external linker and then stripped, like Debian's
etcd. go1.23-transfer-moved-id: a rebuild with transfer() three lines lower reports lines 20
and 21 under the same finding id."""
import os
import zlib
import re
import signal
import subprocess
import time

import harness as h

GO_VERSIONS = (19, 21, 22, 23, 24, 25, 26, 27)
# The releases on which a plain run tries every Go case both stripped (-sw) and not: the oldest
# (Debian's etcd is go1.19) and the one this machine's toolchain is (the go1.26 service). On the
# others each case runs in one of the two forms, alternating from release to release, so every
# case still runs on every release and every release is tried in both forms.
GO_FULL = (19, 26)


def go_matrix(minor, variant, label):
    """full_matrix_only for h.test: is go1.MINOR VARIANT-LABEL left out of a plain run?"""
    if minor in GO_FULL:
        return False
    stripped_turn = (zlib.crc32(label.encode()) + minor) % 2 == 1
    return stripped_turn != (variant == "-sw")
GOTARGETS = os.path.join(h.ROOT, ".output", "go-targets")

# program, racetrace options, program arguments, expected kinds ("kind/detail" when the
# finding has a detail), roles the finding names. The blocking bugs (issue: double locks,
# recursive read locks, stuck goroutines, WaitGroup misuse) come with their clean twins.
HANG = ["--hang-threshold", "1"]
CASES = [
    ("mapwrite", [], [], {"go-map-race": 1}, {"first", "second"}),
    ("maprange", [], [], {"go-map-race": 1}, {"writer", "ranger"}),
    ("mapmutex", [], [], {}, None),
    ("chanhandoff", [], [], {}, None),
    ("waitgroup", [], [], {}, None),
    ("oncemap", [], [], {}, None),
    ("doubleclose", [], [], {"go-chan-double-close": 1}, None),
    ("abba", [], [], {"lock-order-inversion": 1}, {"ab", "ba"}),
    ("abab", [], [], {}, None),
    ("chanblock", HANG, [], {"go-goroutine-leak": 1}, {"blocked"}),
    ("doublelock", HANG, ["1500"], {"double-lock": 1}, {"handler"}),
    # the program exits 20 ms after the handler parks: settled at exit, not after 100 ms
    ("doublelock:doublelock-exit", [], ["20"], {"double-lock": 1}, {"handler"}),
    ("rlockrec", [], [], {"double-lock/recursive-rlock": 1}, {"handler"}),
    ("rwabba", [], [], {"lock-order-inversion": 1}, {"reader", "writer"}),
    ("rwshard", [], [], {}, None),
    ("stackmap", [], [], {}, None),
    ("lockreuse", [], [], {}, None),
    ("condqueue", [], [], {}, None),
    ("condqueue", [], ["-racy"], {"go-map-race": 1}, {"consumer0", "consumer1"}),
    ("chantimeout", HANG, ["2000"], {"go-goroutine-leak": 1}, {"worker"}),
    ("pipeline", HANG, ["2000"], {"go-goroutine-leak": 1}, {"producer"}),
    ("wgadd", [], [], {"go-waitgroup-misuse/add-after-wait": 1}, {"worker", "waiter"}),
    ("wgneg", [], [], {"go-waitgroup-misuse/negative-counter": 1}, {"worker"}),
    ("acceptloop", HANG, ["2000"], {}, None),
    ("tickerloop", HANG, ["2500"], {}, None),
    # a lock held across a channel receive or a Cond wait while others queue on it
    # (reported about 1.1 s after the first park: the programs exit 2 s after their start)
    ("holdwait", HANG, ["2000"], {"hang/hold-and-wait": 1}, {"reader", "writer", "replier"}),
    ("holdwait", HANG, ["-cond", "2000"], {"hang/hold-and-wait": 1}, {"waiter", "producer"}),
    ("holdwait", HANG, ["-ok", "0"], {}, None),
]

# Programs only run under `--`: a WaitGroup bug needs the program's start seen (its whole
# history)
NOT_PID = {"wgadd", "wgneg", "doubleclose"}  # doubleclose: the runtime panics (exit 2)

# What the clean programs' own code makes (h.check_watched): {record type: count or (low,
# high)}, with GO_SLACK for the runtime's and the standard library's own (init, timers, the
# testing package), which vary from release to release. Goroutine counts are the program's `go`
# statements (the runtime starts a few more).
GO_SLACK = 64
GO_CLEAN_MAKES = {
    # 2 writers x 1000 rounds of Lock, map write, Unlock, and main's one more; Add(2), 2 Done
    "mapmutex": {"go_unlock": 2001, "go_map_write": (2000, None), "go_wg_add": (3, 3),
                 "go_go": 2},
    # 100 rounds of two sends and two receives
    "chanhandoff": {"go_chan_send": 200, "go_chan_recv": 200, "go_go": 2},
    # 4 workers: Add(1) and Done each
    "waitgroup": {"go_wg_add": (8, 8), "go_go": 4},
    # two lookups through the Once's fast-path check, one of them runs doSlow
    "oncemap": {"go_once_check": 2, "go_once_slow": 1, "go_go": 2},
    # abba's twin: 2 goroutines x 100 rounds of A then B
    "abab": {"go_unlock": 400, "go_go": 2},
    # 3000 rounds: a writer (8 puts) and 3 readers (8 gets each), and main's last get
    "rwshard": {"go_wlock": 24000, "go_wunlock": 24000, "go_rlock": 72001,
                "go_runlock": 72001, "go_go": 12000},
    # 3000 goroutines, each with its own map in its frame; Add(3000) and 3000 Done
    "stackmap": {"go_go": 3000, "go_wg_add": (3001, 3001)},
    # 2 consumers waiting on a Cond before 2 producers push 500 items each into a 4-slot
    # queue; each item is a map write under the Mutex; 4 goroutines under a WaitGroup (Go)
    "condqueue": {"go_wg_add": (8, 8), "go_cond_wait": (2, None),
                  "go_cond_wait_done": (2, None), "go_map_write": (1000, None),
                  "go_go": (4, None)},
    # 2000 rounds of a parent's and a child's Lock and Unlock; a collection every 50 rounds
    "lockreuse": {"go_unlock": 4000, "go_gc": (40, None)},
    # a service and a client goroutine; the client's one connection is read
    "acceptloop": {"go_go": 2},
    # holdwait -ok: 3 + 2 + 2 goroutines under a WaitGroup (3 Add, 7 Done); the reader's and the replier's
    # RLock, the writer's Lock, the waiter's Cond wait (the producer answers 1.5 s later)
    "holdwait": {"go_go": 7, "go_rlock": 2, "go_runlock": 2, "go_wlock": 1, "go_wunlock": 1,
                 "go_cond_wait": (1, None), "go_wg_add": (10, 10)},
    # the ticker's goroutine and the timer's, each receiving from its timer channel
    "tickerloop": {"go_go": 2, "go_chan_recv": 2},
    # the test's goroutine and the one running Produce, which sends 42 that the test receives
    "gotest": {"go_go": 2, "go_chan_send": 1, "go_chan_recv": 1},
    # the test's goroutine and the server's; a request and a reply; Add(1) and Done
    "testleak-TestJoined": {"go_go": 2, "go_chan_send": 2, "go_chan_recv": 2,
                            "go_wg_add": (2, 2)},
    # the same, with the server sleeping 2 s before it serves
    "testleak-TestSlow": {"go_go": 2, "go_chan_send": 2, "go_chan_recv": 2,
                          "go_wg_add": (2, 2)},
}

# where the lock or channel of a finding was made or declared, as reports name it
LOCK_NAMES = {
    "chanblock": "chan made at main.start",
    "chantimeout": "chan made at main.handle",
    "pipeline": "chan made at main.handle",
    "abba": "main.lock",
    "rwabba": "main.",
}

# the function a finding's first stack must show (the bug's line, not the runtime's)
FIRST_FUNCS = {
    "doublelock": "main.(*cache).fill",
    "chantimeout": "main.compute",
    "pipeline": "main.produce",
    "chanblock": "main.waitForever",
}

# every stack of the finding, by the first out-of-line function of package main in it (the
# program's own code under the runtime's and sync's frames), as a sorted list of patterns:
# which access or acquisition comes first in a finding depends on the interleaving
STACK_FUNCS = {
    "mapwrite": [r"main\.writeKeys"] * 2,
    "maprange": [r"main\.rangeOnce", r"main\.write"],
    "doubleclose": [r"main\.closeIt"] * 2,
    "rlockrec": [r"main\.\(\*config\)\.Lookup", r"main\.\(\*config\)\.fallback"],
    "wgadd": [r"main\.waitAll", r"main\.work"],
    # the deferred wg.Done(): a wrapper named after job (deferwrap1 from go1.22, func1 before)
    "wgneg": [r"main\.job\.(deferwrap|func)1"],
    "abba": [r"main\.takeAB"] * 2 + [r"main\.takeBA"] * 2,
    "rwabba": [r"main\.lockThenWrite"] * 2 + [r"main\.readThenLock"] * 2,
    "condqueue": [r"main\.record"] * 2,
    # (by label when a program's variants differ) the first waiter's RLock (in get) or Lock
    # (in set), whichever the engine looks at first, the holder's RLock and its receive (in
    # lookupAndWait): sorted, get comes first and set last
    "holdwait": [r"main\.\(\*registry\)\.(get|lookupAndWait)",
                 r"main\.\(\*registry\)\.lookupAndWait",
                 r"main\.\(\*registry\)\.(lookupAndWait|set)"],
    # the producer's Lock (in push), the waiter's Lock and its Cond wait (in pop)
    "holdwait-cond": [r"main\.\(\*queue\)\.pop"] * 2 + [r"main\.\(\*queue\)\.push"],
}


def main_funcs(stacks):
    """The first out-of-line function of package main in each stack, sorted."""
    return sorted(next((fr.get("function") for fr in st if not fr.get("inlined") and
                        (fr.get("function") or "").startswith("main.")), "") for st in stacks)


def check_stack_funcs(ctx, stacks, want):
    """Each stack of a finding is in the program's function want[i] (patterns, sorted as
    main_funcs sorts). A stack cut after its first frame (seen about once in 30 runs: the
    frame-pointer walk of a fresh goroutine's stack stopped there; docs/go.md) has no frame of
    the program: then each whole stack must match one of the patterns."""
    got = main_funcs(stacks)
    cut = [st for st in stacks if len(st) == 1]
    if not cut:
        h.check(len(got) == len(want) and all(re.fullmatch(w, g) for w, g in zip(want, got)),
                f"the finding's stacks are in the program's {want}", repr(got))
        return
    ctx.log(f"{len(cut)} stack(s) cut after the first frame: {cut}")
    whole = main_funcs([st for st in stacks if len(st) > 1])
    h.check(len(stacks) <= len(want) and
            all(any(re.fullmatch(w, g) for w in want) for g in whole),
            f"the finding's whole stacks are in the program's {want}", repr(got))


def gobin(minor, name, variant):
    p = os.path.abspath(os.path.join(GOTARGETS, f"go1.{minor}", name + variant))
    h.check(os.access(p, os.X_OK), f"{name}{variant} built with go1.{minor}",
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
        name = f["kind"] + ("/" + f["detail"] if f.get("detail") else "")
        k[name] = k.get(name, 0) + 1
    return k


def make_case(minor, variant, name, opts, args, want, roles, label=None, pid_mode=False):
    """The program under `racetrace -- PROGRAM`, or (pid_mode) started with -w and attached
    with `racetrace -p`, then released: the same findings either way."""
    def fn(ctx):
        before = h.LinkSnapshot()
        path = gobin(minor, name, variant)
        if pid_mode:
            rc, r, t = h.run_pid_mode(ctx, [path, *args], rt_opts=("--json", *opts))
            err_lines, ours = t.err, {r.pid, t.pid}  # the program's notes: its own stderr
        else:
            rc, r = h.run_cmd_mode(ctx, [path, *args], rt_opts=("--json", *opts))
            err_lines, ours = r.err, {r.pid}
        findings, summary = h.parse_jsonl(r)
        got = kinds_of(findings)
        h.check(got == want, f"findings are exactly {want or 'none'}",
                f"got {got}: {[f['message'][:100] for f in findings]}")
        ev = summary["events_by_type"]
        h.check(ev.get("go_go", 0) >= 1 and ev.get("go_spawn", 0) >= 1,
                "goroutine creation seen", repr(ev))
        if not want:
            h.check_watched(summary, GO_CLEAN_MAKES[name], GO_SLACK)
        if roles:
            ids = goids(err_lines)
            want_ids = {ids.get(x) for x in roles}
            h.check(None not in want_ids, "the program named its goroutines", repr(ids))
            h.check(set(findings[0]["threads"]) == want_ids,
                    f"the finding names goroutines {sorted(roles)}",
                    f"threads {findings[0]['threads']} vs {ids}")
        for f in findings:
            # stripped builds too: function names come from .gopclntab then
            h.check(f["stacks"] and f["stacks"][0] and f["stacks"][0][0].get("module") and
                    f["stacks"][0][0].get("function"),
                    "the finding has a symbolized stack", repr(f["stacks"])[:200])
            if name in FIRST_FUNCS:
                # the out-of-line function of the first frame (inlined ones come before it)
                first = next((fr.get("function") for fr in f["stacks"][0]
                              if not fr.get("inlined")), None)
                h.check(first == FIRST_FUNCS[name],
                        f"the finding's stack starts in {FIRST_FUNCS[name]}",
                        repr([fr.get("function") for fr in f["stacks"][0]])[:300])
            stack_funcs = STACK_FUNCS.get(label, STACK_FUNCS.get(name))
            if stack_funcs:
                check_stack_funcs(ctx, f["stacks"], stack_funcs)
            if name in LOCK_NAMES and (variant == "" or LOCK_NAMES[name].startswith("chan")):
                # globals are named from .symtab: not in a stripped build
                names = [lk.get("name") or "" for lk in f.get("locks", [])]
                h.check(any(n.startswith(LOCK_NAMES[name]) for n in names),
                        f"the lock or channel is named '{LOCK_NAMES[name]}...'", repr(names))
        if roles and "go-map-race" in want:
            # both goroutines were made by the program (`go` in main.main, or condqueue's
            # spawn, through WaitGroup.Go from go1.25): the creation site (the first frame of
            # the program's own code) is in package main, and so is a frame of its stack. (The
            # stack can end after its first frame: seen once in about 30 runs.)
            for ti in findings[0]["thread_info"]:
                site = ti.get("created_at") or {}
                ok = (site.get("sym") or "").startswith("main.") and any(
                    (fr.get("function") or "").startswith("main.")
                    for fr in site.get("stack", []))
                h.check(ti.get("name") == "goroutine" and ok,
                        "goroutines come with their creation stack", repr(ti)[:200])
        h.check(rc == (h.FINDINGS_RC if want else 0), f"exit status {h.FINDINGS_RC if want else 0}", f"got {rc}")
        h.check_no_leaked_links(ctx, before, ours | {summary.get("pid")})
    return fn


# tests/targets/go/transfer: transfer() locks its source on line 17 and its destination on 18
TRANSFER_HELD, TRANSFER_ACQUIRE = 17, 18
SUMMARY_TRANSFER = re.compile(r"^SUMMARY: racetrace: lock-order-inversion main\.go:(17|18) in "
                              r"main\.transfer$", re.M)


def check_user_line(stack, line, what):
    """The stack names main.transfer at main.go:line, with sync.(*Mutex).Lock inlined there
    before it (Lock is always inlined: its own line is in mutex.go)."""
    funcs = [(fr.get("function"), fr.get("file"), fr.get("line"), bool(fr.get("inlined")))
             for fr in stack]
    at = [i for i, fr in enumerate(funcs) if fr[0] == "main.transfer"]
    h.check(at and funcs[at[0]][1:] == ("main.go", line, False),
            f"{what}: main.transfer at main.go:{line}", repr(funcs)[:400])
    inl = funcs[:at[0]]
    h.check(inl and all(fr[3] for fr in inl) and
            any(fr[0] == "sync.(*Mutex).Lock" and fr[1] == "mutex.go" for fr in inl),
            f"{what}: sync.(*Mutex).Lock inlined before it, in mutex.go", repr(funcs)[:400])
    return stack[at[0]]["addr"]


def transfer_case(path):  # path(ctx): the binary
    """The AB/BA transfer program: its JSON stacks (edge held sites at line 17, acquire sites
    at 18), its sites (the main.transfer frames' addresses) and its text SUMMARY line name the
    program's own lines, whatever symbols the binary has."""
    def fn(ctx):
        before = h.LinkSnapshot()
        p = path(ctx)
        rc, r = h.run_cmd_mode(ctx, [p])
        h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC}", f"got {rc}: {r.err[-2:]}")
        findings, summary = h.parse_jsonl(r)
        h.check(kinds_of(findings) == {"lock-order-inversion": 1}, "one lock-order-inversion",
                repr(kinds_of(findings)))
        f = findings[0]
        addrs = set()
        for i, e in enumerate(f["edges"]):
            addrs.add(check_user_line(e["held_site"]["stack"], TRANSFER_HELD,
                                      f"edge {i} held_site"))
            addrs.add(check_user_line(e["acquire_site"]["stack"], TRANSFER_ACQUIRE,
                                      f"edge {i} acquire_site"))
            h.check(re.search(r"^main\.transfer\+0x[0-9a-f]+ \(main\.go:18\)$",
                              e["acquire_site"]["sym"] or ""),
                    "an acquire site's sym is main.transfer at line 18", repr(e["acquire_site"]))
        h.check(set(f["sites"]) == addrs, "sites are the main.transfer frames' addresses",
                f"{f['sites']} vs {sorted(addrs)}")
        h.check(summary["lost"] == 0, "no event lost", repr(summary.get("lost_by_reason")))
        # the same program again, for the text form
        rc, t = h.run_cmd_mode(ctx, [p], rt_opts=())
        h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC} (text)",
                f"got {rc}: {t.err[-2:]}")
        h.check(SUMMARY_TRANSFER.search("\n".join(t.out)),
                "SUMMARY names main.go:17 or 18 in main.transfer",
                repr([s for s in t.out if s.startswith("SUMMARY")]))
        h.check_no_leaked_links(ctx, before, {r.pid, t.pid, summary.get("pid")})
    return fn


def etcd_like_transfer(ctx):
    """tests/targets/go/transfer built as Debian builds etcd: go1.19, cgo with the external
    linker, then `strip` (no .symtab, no DWARF, a .gopclntab)."""
    go = "/usr/lib/go-1.19/bin/go"
    if not os.access(go, os.X_OK):
        go = "/usr/bin/go"
    h.check(os.access(go, os.X_OK), "go1.19 installed", "install golang-go (scripts/deps.sh)")
    out = ctx.tmp("-transfer-etcdlike")
    env = dict(os.environ, GOCACHE=os.path.join(GOTARGETS, "cache"),
               GOPATH=os.path.join(GOTARGETS, "gopath"), GOFLAGS="-mod=mod", GOPROXY="off",
               GOTOOLCHAIN="local", CGO_ENABLED="1")
    src = os.path.join(h.ROOT, "tests", "targets", "go")
    b = subprocess.run([go, "build", "-ldflags=-linkmode=external", "-o", out, "./transfer"],
                       cwd=src, env=env, capture_output=True, text=True, timeout=600)
    h.check(b.returncode == 0, "go1.19 builds transfer with cgo's external linker", b.stderr[-500:])
    s = subprocess.run(["strip", out], capture_output=True, text=True, timeout=60)
    h.check(s.returncode == 0, "strip it", s.stderr[-300:])
    sec = subprocess.run(["readelf", "-SW", out], capture_output=True, text=True).stdout
    h.check(".gopclntab" in sec and ".symtab" not in sec and ".debug_info" not in sec,
            "a .gopclntab, no .symtab, no DWARF", sec[-300:])
    return out


MOVED_BY = 3


def t_transfer_moved(ctx):
    """A rebuild that only moves lines keeps the finding id: transfer built by go1.23 (-s -w),
    then a copy with MOVED_BY comment lines above transfer(). The second report names lines
    17 + MOVED_BY and 18 + MOVED_BY, with the same id."""
    import shutil
    go = "/usr/lib/go-1.23/bin/go"
    h.check(os.access(go, os.X_OK), "go1.23 installed", "run scripts/deps.sh")
    src = os.path.join(h.ROOT, "tests", "targets", "go")
    moved = ctx.tmp("-src")
    shutil.rmtree(moved, ignore_errors=True)
    os.makedirs(os.path.join(moved, "transfer"))
    shutil.copy(os.path.join(src, "go.mod"), moved)
    shutil.copytree(os.path.join(src, "target"), os.path.join(moved, "target"))
    with open(os.path.join(src, "transfer", "main.go")) as f:
        text = f.read()
    h.check("//go:noinline\nfunc transfer(" in text, "transfer() is marked noinline")
    text = text.replace("//go:noinline\nfunc transfer(",
                        "// moved\n" * MOVED_BY + "//go:noinline\nfunc transfer(")
    with open(os.path.join(moved, "transfer", "main.go"), "w") as f:
        f.write(text)
    env = dict(os.environ, GOCACHE=os.path.join(GOTARGETS, "cache"),
               GOPATH=os.path.join(GOTARGETS, "gopath"), GOFLAGS="-mod=mod", GOPROXY="off",
               GOTOOLCHAIN="local", CGO_ENABLED="0")
    # the same file name: the id hashes the module's name
    os.makedirs(ctx.tmp("-bin"), exist_ok=True)
    out = os.path.join(ctx.tmp("-bin"), "transfer-sw")
    b = subprocess.run([go, "build", "-ldflags=-s -w", "-o", out, "./transfer"], cwd=moved,
                       env=env, capture_output=True, text=True, timeout=600)
    h.check(b.returncode == 0, "go1.23 builds the moved copy", b.stderr[-500:])
    before = h.LinkSnapshot()
    ids, lines = [], []
    for path in (gobin(23, "transfer", "-sw"), out):
        rc, r = h.run_cmd_mode(ctx, [path])
        findings, summary = h.parse_jsonl(r)
        h.check(rc == h.FINDINGS_RC and kinds_of(findings) == {"lock-order-inversion": 1},
                f"one lock-order-inversion, exit status {h.FINDINGS_RC}", f"{kinds_of(findings)}, exit {rc}")
        ids.append(findings[0]["id"])
        lines.append(sorted({fr["line"] for e in findings[0]["edges"]
                             for k in ("held_site", "acquire_site")
                             for fr in e[k]["stack"] if fr.get("function") == "main.transfer"}))
        h.check_no_leaked_links(ctx, before, {r.pid, summary.get("pid")})
    h.check(lines == [[17, 18], [17 + MOVED_BY, 18 + MOVED_BY]],
            "the reports follow the source lines", repr(lines))
    h.check(ids[0] == ids[1], "the same id after a rebuild that only moved lines", repr(ids))


def gotest_case(minor, variant, test, want):
    """A `go test -c` binary run as `go test` runs it (-test.timeout=10m, so a timer is
    pending and the runtime's own "all goroutines are asleep" check never fires). TestHandoff
    deadlocks: racetrace must report a `deadlock` (every goroutine blocked) while the test
    binary still hangs (how long it took is logged: speed belongs to `make bench`). TestOK:
    nothing, with its goroutines seen."""
    def fn(ctx):
        before = h.LinkSnapshot()
        path = gobin(minor, "gotest", variant)
        argv = [path, "-test.timeout=10m", "-test.run", test]
        if not want:
            rc, r = h.run_cmd_mode(ctx, argv, rt_opts=("--json",))
            findings, summary = h.parse_jsonl(r)
            h.check(kinds_of(findings) == {}, "no findings for a passing test",
                    repr(kinds_of(findings)))
            h.check_watched(summary, GO_CLEAN_MAKES["gotest"], GO_SLACK)
            h.check(rc == 0, "exit status 0 (the test binary's)", f"got {rc}")
            h.check_no_leaked_links(ctx, before, {r.pid, summary.get("pid")})
            return
        r = h.Proc(ctx, [h.RACETRACE, "--json", "--", *argv])
        pid = h.wait_tracing(r)
        got = r.wait_line("stdout", h.is_finding("deadlock"), h.TIMEOUT)
        h.check(got, "deadlock reported while the test binary hangs", f"stdout {r.out[-3:]}")
        h.check(os.path.exists(f"/proc/{pid}"), "the test binary still hangs when reported")
        seen, _ = r.line_time("stdout", h.is_finding("deadlock"))
        _, times = h.notes(r.err)
        h.check("test-blocks" in times, "the test noted when it blocks", repr(times))
        latency = seen - times["test-blocks"]
        ctx.log(f"deadlock formed at {times['test-blocks']:.6f}, reported {latency * 1000:.1f}"
                " ms later")
        h.check(latency >= 0, "deadlock reported after the test blocked", f"{latency:.3f} s")
        os.kill(pid, signal.SIGKILL)
        rc = r.wait(h.TIMEOUT, "racetrace exits after the test binary is killed")
        findings, summary = h.parse_jsonl(r)
        h.check(kinds_of(findings) == want, f"findings are exactly {want}",
                repr(kinds_of(findings)))
        f = findings[0]
        ids = goids(r.err)
        h.check(ids.get("test") in f["threads"], "the deadlock names the test goroutine",
                f"threads {f['threads']} vs {ids}")
        h.check(len(f["stacks"]) == len(f["threads"]) and
                all(st and st[0].get("function") for st in f["stacks"]),
                "a symbolized stack for every blocked goroutine", repr(f["stacks"])[:300])
        funcs = {fr.get("function") for st in f["stacks"] for fr in st}
        h.check(any(fn and fn.endswith("gotest.Produce") for fn in funcs),
                "the stacks show the blocked send in Produce", repr(sorted(filter(None, funcs))))
        h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC}", f"got {rc}")
        h.check_no_leaked_links(ctx, before, {r.pid, pid})
    return fn


# test binaries (`go test -c`) run as `go test` runs them: program, -test.run, expected kinds,
# roles the finding names, the function its stack starts in
TEST_CASES = [
    ("testleak", "TestLeak", {"go-goroutine-leak/after-test": 1}, {"leaked"},
     "racetrace/targets/testleak.Serve"),
    ("testleak", "TestJoined", {}, None, None),
    # a slow test (2 s, with a 1 s hang threshold): goroutine 1 waits in testing.(*T).Run
    ("testleak", "TestSlow", {}, None, None),
]
# racetrace's options for a test (TEST_CASES), beyond --json
TEST_OPTS = {"TestSlow": HANG}


def testbin_case(minor, variant, name, test, want, roles, first):
    """A test binary run to its end; the findings are settled when it exits (goleak's rule:
    goroutines a test left parked when it returned)."""
    def fn(ctx):
        before = h.LinkSnapshot()
        path = gobin(minor, name, variant)
        rc, r = h.run_cmd_mode(ctx, [path, "-test.timeout=10m", "-test.run", test],
                               rt_opts=("--json", *TEST_OPTS.get(test, ())))
        findings, summary = h.parse_jsonl(r)
        got = kinds_of(findings)
        h.check(got == want, f"findings are exactly {want or 'none'}",
                f"got {got}: {[f['message'][:100] for f in findings]}")
        ev = summary["events_by_type"]
        h.check(summary["lost"] == 0, "no event lost", repr(summary.get("lost_by_reason")))
        h.check(ev.get("go_go", 0) >= 3 and ev.get("go_chan_recv", 0) >= 1,
                "the test's goroutines and channels seen", repr(ev))
        ids = goids(r.err)
        if roles:
            h.check(set(findings[0]["threads"]) == {ids.get(x) for x in roles},
                    f"the finding names goroutines {sorted(roles)}",
                    f"threads {findings[0]['threads']} vs {ids}")
            funcs = [fr.get("function") for fr in findings[0]["stacks"][0]]
            h.check(funcs and funcs[0] == first, f"the finding's stack starts in {first}",
                    repr(funcs)[:300])
        if not want:
            h.check_watched(summary, GO_CLEAN_MAKES[f"{name}-{test}"], GO_SLACK)
        status = h.FINDINGS_RC if want else 0
        h.check(rc == status, f"exit status {status}", f"got {rc}")
        h.check_no_leaked_links(ctx, before, {r.pid, summary.get("pid")})
    return fn


ETCD_SECONDS = int(os.environ.get("RT_ETCD_SECONDS", "20"))


def t_etcd(ctx):
    """A real Go server no one here wrote: Debian's etcd (go1.19, stripped: no .symtab, no
    DWARF), started under racetrace, driven for RT_ETCD_SECONDS (20) by a loopback etcdctl
    put/get loop, then stopped with SIGTERM. No finding, no event lost, the server's work seen
    (locks, RWMutex, channels, goroutines), and every request answered."""
    etcd = h.need_program("etcd", "etcd-server")
    etcdctl = h.need_program("etcdctl", "etcd-client")
    before = h.LinkSnapshot()
    client, peer = h.free_port(), h.free_port()
    curl, purl = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
    data = ctx.tmp("etcd-data")
    r = h.Proc(ctx, [h.RACETRACE, "--json", "--", etcd, "--data-dir", data,
                     "--listen-client-urls", curl, "--advertise-client-urls", curl,
                     "--listen-peer-urls", purl, "--initial-advertise-peer-urls", purl,
                     "--initial-cluster", f"default={purl}", "--log-level", "error"])
    pid = h.wait_tracing(r)
    ctl = [etcdctl, "--endpoints", f"127.0.0.1:{client}", "--command-timeout", "5s"]
    env = dict(os.environ, ETCDCTL_API="3")
    deadline = time.monotonic() + 30
    while subprocess.run(ctl + ["endpoint", "health"], env=env, capture_output=True).returncode:
        h.check(time.monotonic() < deadline and r.alive(), "etcd answers within 30 s",
                f"racetrace alive {r.alive()}, stderr {r.err[-3:]}")
        time.sleep(0.3)
    ops = fails = 0
    end = time.monotonic() + ETCD_SECONDS
    while time.monotonic() < end:
        k = f"k{ops % 50}"
        for cmd in (["put", k, f"v{ops}"], ["get", k]):
            fails += subprocess.run(ctl + cmd, env=env, capture_output=True).returncode != 0
        ops += 1
    ctx.log(f"{ops} put/get pairs in {ETCD_SECONDS} s, {fails} failed")
    h.check(r.alive() and os.path.exists(f"/proc/{pid}"), "etcd and racetrace still run")
    os.kill(pid, signal.SIGTERM)
    rc = r.wait(h.TIMEOUT, "racetrace exits after etcd stops")
    findings, summary = h.parse_jsonl(r)
    h.check(findings == [], "no findings on etcd",
            repr([(f["kind"], f["message"][:120]) for f in findings])[:600])
    h.check(summary["lost"] == 0, "no event lost", repr(summary.get("lost_by_reason")))
    h.check(fails == 0 and ops >= 100, "every request answered (100 or more pairs)",
            f"{ops} pairs, {fails} failed")
    ev = summary["events_by_type"]
    for name, least in (("go_lock", 10000), ("go_unlock", 10000), ("go_rlock", 1000),
                        ("go_wlock", 100), ("go_chan_send", 1000), ("go_go", 1000),
                        ("go_map_write", 10000)):
        h.check(ev.get(name, 0) >= least, f"at least {least} {name} records",
                f"{ev.get(name, 0)}")
    h.check(rc in (0, 128 + signal.SIGTERM), "exit status: etcd's own after SIGTERM",
            f"got {rc}")
    h.check_no_leaked_links(ctx, before, {r.pid, pid})


GOSVC_SECONDS = int(os.environ.get("RT_GOSVC_SECONDS", "60"))
GOSVC_IDLE = 10  # of those, the seconds the service idles at the end


def gosvc_case(variant):
    """A go1.26 service built from popular modules (tests/targets/gosvc: a chi router with its
    middleware, Prometheus metrics, a gRPC health server; inside, RWMutex-guarded map
    shards, a sync.Map, a worker pool on channels, a WaitGroup.Go fan-out, a ticker), started
    under racetrace with a hang threshold of 1 s, driven for RT_GOSVC_SECONDS (60) less
    GOSVC_IDLE by the same binary in load mode (not traced: four HTTP clients, a gRPC health
    client, a metrics scraper), left idle for GOSVC_IDLE (its pools parked in `range jobs`,
    one of them since its start, its ticker running: issue #16's idle service), then
    stopped with SIGTERM. No finding, no event lost, every request answered, and its work
    seen."""
    def fn(ctx):
        before = h.LinkSnapshot()
        path = gobin(26, "gosvc", variant)
        hport, gport = str(h.free_port()), str(h.free_port())
        r = h.Proc(ctx, [h.RACETRACE, "--json", "--hang-threshold", "1", "--", path, "serve",
                         hport, gport])
        pid = h.wait_tracing(r)
        got = r.wait_line("stderr", lambda l: "gosvc: serving" in l, 30)
        h.check(got, "the service serves within 30 s", f"stderr {r.err[-3:]}")
        busy = max(GOSVC_SECONDS - GOSVC_IDLE, 5)
        load = subprocess.run([path, "load", hport, gport, str(busy), "4"],
                              capture_output=True, text=True, timeout=busy + 120)
        ctx.log(f"{load.stdout.strip()} in {busy} s; {load.stderr.strip()[:300]}")
        m = re.search(r"load: (\d+) requests, (\d+) failed", load.stdout)
        h.check(load.returncode == 0 and m and int(m.group(2)) == 0,
                "every request answered", f"rc {load.returncode}: {load.stdout} {load.stderr}")
        h.check(int(m.group(1)) >= 1000, "1000 or more requests", m.group(1))
        time.sleep(GOSVC_IDLE)  # idle: its workers parked far past the 1 s threshold
        h.check(r.alive() and os.path.exists(f"/proc/{pid}"), "service and racetrace still run")
        os.kill(pid, signal.SIGTERM)
        rc = r.wait(h.TIMEOUT, "racetrace exits after the service stops")
        findings, summary = h.parse_jsonl(r)
        h.check(findings == [], "no findings on the service",
                repr([(f["kind"], f["message"][:200]) for f in findings])[:1200])
        h.check(summary["lost"] == 0, "no event lost", repr(summary.get("lost_by_reason")))
        ev = summary["events_by_type"]
        ctx.log(f"events: {sorted(ev.items())}")
        for name, least in (("go_lock", 10000), ("go_unlock", 10000), ("go_rlock", 1000),
                            ("go_runlock", 1000), ("go_map_read", 1000),
                            ("go_map_write", 1000), ("go_chan_send", 1000),
                            ("go_chan_recv", 1000), ("go_go", 1000), ("go_wg_add", 100),
                            ("go_wg_wait", 10), ("go_select", 100)):
            h.check(ev.get(name, 0) >= least, f"at least {least} {name} records",
                    f"{ev.get(name, 0)}")
        h.check(rc == 0, "exit status 0 (a graceful shutdown)", f"got {rc}")
        h.check_no_leaked_links(ctx, before, {r.pid, pid})
    return fn


def t_pid_mode(ctx):
    """A Go program found with -p (its executable through /proc/PID/exe)."""
    before = h.LinkSnapshot()
    path = gobin(23, "mapwrite", "")
    rc, r, t = h.run_pid_mode(ctx, [path])
    findings, summary = h.parse_jsonl(r)
    h.check(kinds_of(findings) == {"go-map-race": 1}, "one go-map-race under -p",
            repr(kinds_of(findings)))
    h.check(rc == h.FINDINGS_RC, f"exit status {h.FINDINGS_RC}", f"got {rc}")
    h.check_no_leaked_links(ctx, before, {r.pid, t.pid})


for _minor in GO_VERSIONS:
    for _variant in ("", "-sw"):
        for _name, _opts, _args, _want, _roles in CASES:
            # a program's variants are named after their flags (condqueue-racy), or
            # explicitly ("PROGRAM:LABEL")
            _prog, _, _label = _name.partition(":")
            _label = _label or _prog + "".join(a for a in _args if a.startswith("-"))
            h.test(f"go1.{_minor}{_variant}-{_label}", clean=not _want,
                   full_matrix_only=go_matrix(_minor, _variant, _label), parallel=True)(
                make_case(_minor, _variant, _prog, _opts, _args, _want, _roles, _label))
            if _prog in NOT_PID:
                continue
            # the same under -p: a plain run tries them on go1.23 (normal), the rest with
            # RT_E2E_GO_MATRIX=all
            h.test(f"go1.{_minor}{_variant}-{_label}-pid", clean=not _want,
                   full_matrix_only=(_minor, _variant) != (23, ""), parallel=True)(
                make_case(_minor, _variant, _prog, _opts, _args, _want, _roles, _label,
                          pid_mode=True))
        h.test(f"go1.{_minor}{_variant}-gotest-deadlock",
               full_matrix_only=go_matrix(_minor, _variant, "gotest-deadlock"), parallel=True)(
            gotest_case(_minor, _variant, "TestHandoff", {"deadlock/all-goroutines": 1}))
        h.test(f"go1.{_minor}{_variant}-gotest-ok", clean=True,
               full_matrix_only=go_matrix(_minor, _variant, "gotest-ok"), parallel=True)(
            gotest_case(_minor, _variant, "TestOK", {}))
        for _name, _test, _want, _roles, _first in TEST_CASES:
            h.test(f"go1.{_minor}{_variant}-{_name}-{_test}", clean=not _want,
                   full_matrix_only=go_matrix(_minor, _variant, f"{_name}-{_test}"), parallel=True)(
                testbin_case(_minor, _variant, _name, _test, _want, _roles, _first))
for _minor in GO_VERSIONS:
    for _variant in ("", "-sw"):
        h.test(f"go1.{_minor}{_variant}-transfer-lines",
               full_matrix_only=go_matrix(_minor, _variant, "transfer-lines"), parallel=True)(
            transfer_case(lambda ctx, m=_minor, v=_variant: gobin(m, "transfer", v)))
h.test("go1.19-etcdlike-transfer-lines")(transfer_case(etcd_like_transfer))
h.test("go1.23-transfer-moved-id")(t_transfer_moved)
h.test("go-pid-mode")(t_pid_mode)
h.test("go-etcd", clean=True)(t_etcd)
# a plain run drives the service once, stripped as production builds usually are (60 s)
h.test("go1.26-service", clean=True, full_matrix_only=True)(gosvc_case(""))
h.test("go1.26-sw-service", clean=True)(gosvc_case("-sw"))
