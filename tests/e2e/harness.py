# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The e2e harness: what every test module imports (`import harness as h`).

  running         Proc (a child with its output collected line by line), Ctx (one test's log
                  and processes), racetrace in `--` and -p mode, need_target/need_program,
                  free_port
  checking        check() and Fail: every assertion has a name, so a failure says which
                  check broke; the JSON Lines parser and the structural checks of summaries,
                  findings and lock-order inversions; the targets' stderr notes (notes());
                  uprobe links left behind
  the registry    @test("name") adds a test to TESTS, in the order the modules define them;
                  run_test() runs one and returns why it failed; prerequisites()

run.py imports every test module, selects and runs the tests and prints the results.
Environment: RACETRACE (binary), RT_TARGETS (directory of targets).
Python 3 standard library only.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RACETRACE = os.environ.get("RACETRACE", os.path.join(ROOT, ".output", "racetrace"))
TARGETS = os.environ.get("RT_TARGETS", os.path.join(ROOT, ".output", "targets"))
BTF = "/sys/kernel/btf/vmlinux"

TIMEOUT = 60  # any single process run or wait
ATTACH_TIMEOUT = 30  # until racetrace prints "racetrace: tracing pid"
TRACING_PREFIX = "racetrace: tracing pid"
HEX_ID = re.compile(r"^[0-9a-f]{16}$")
HEX_ADDR = re.compile(r"^0x[0-9a-f]+$")
FINDING_KEYS = ("kind", "id", "pid", "threads", "locks", "sites", "edges", "count", "message")
SUMMARY_KEYS = ("pid", "events", "lost", "threads", "duration_s", "findings", "events_by_type",
                "counts")
INVERSION = "lock-order-inversion"
NOTE_TID = re.compile(r": tid (\S+) (\d+)$")
NOTE_TIME = re.compile(r": time (\S+) (\d+\.\d+)$")
# racetrace's exit status when it reported findings (--exitcode's default)
FINDINGS_RC = 66


class Fail(Exception):
    """A named check failed; the message is `check name: detail`."""


def check(cond, name, detail=""):
    if not cond:
        detail = str(detail)
        if len(detail) > 300:
            detail = detail[:300] + "..."
        raise Fail(f"{name}: {detail}" if detail else name)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


# ---------------------------------------------------------------------------------------------
# Processes


class Proc:
    """A child process with stdout/stderr collected line by line by reader threads.

    Started in its own session, so kill() also reaches what it started (racetrace's target
    in `--` mode).
    """

    def __init__(self, ctx, argv, stdin=subprocess.DEVNULL, env=None):
        self.ctx = ctx
        self.argv = [str(a) for a in argv]
        self.lines = {"stdout": [], "stderr": []}
        self.out, self.err = self.lines["stdout"], self.lines["stderr"]
        self.eof = {"stdout": False, "stderr": False}
        self.stamped = []  # (seconds into the test, stream, line) for the log
        self.cond = threading.Condition()
        ctx.log(f"$ {' '.join(self.argv)}")
        self.p = subprocess.Popen(self.argv, stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, start_new_session=True, env=env)
        self.pid = self.p.pid
        ctx.procs.append(self)
        self.threads = [threading.Thread(target=self._reader, args=(f, which), daemon=True)
                        for f, which in ((self.p.stdout, "stdout"), (self.p.stderr, "stderr"))]
        for t in self.threads:
            t.start()

    def _reader(self, f, which):
        for raw in iter(f.readline, b""):
            line = raw.decode(errors="replace").rstrip("\n")
            with self.cond:
                self.lines[which].append(line)
                self.stamped.append((self.ctx.elapsed(), which, line))
                self.cond.notify_all()
        with self.cond:
            self.eof[which] = True
            self.stamped.append((self.ctx.elapsed(), which, "<EOF>"))
            self.cond.notify_all()

    def wait_line(self, which, pred, timeout, nth=1):
        """The nth line of "stdout"/"stderr" satisfying pred; None on timeout, or once the
        stream ended (or the process exited a second ago) without it."""
        deadline = time.monotonic() + timeout
        exited_at = None
        with self.cond:
            while True:
                hits = [line for line in self.lines[which] if pred(line)]
                if len(hits) >= nth:
                    return hits[nth - 1]
                now = time.monotonic()
                if self.eof[which] or now >= deadline:
                    return None
                if self.p.poll() is not None:
                    exited_at = exited_at or now
                    if now - exited_at > 1:
                        return None
                self.cond.wait(0.2)

    def line_time(self, which, pred):
        """(time.monotonic() when the reader got it, line) of the first line of "stdout" or
        "stderr" satisfying pred, or (None, None)."""
        with self.cond:
            for t, w, line in self.stamped:
                if w == which and pred(line):
                    return self.ctx.t0 + t, line
        return None, None

    def write(self, text):
        try:
            self.p.stdin.write(text.encode())
            self.p.stdin.flush()
        except BrokenPipeError:
            raise Fail(f"{os.path.basename(self.argv[0])} reads stdin: it exited "
                       f"{self.p.poll()} before")

    def close_stdin(self):
        if self.p.stdin and not self.p.stdin.closed:
            self.p.stdin.close()

    def wait(self, timeout=TIMEOUT, name="exits in time"):
        """Exit status; on timeout the process group is killed and the check fails."""
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Fail(f"{name}: {os.path.basename(self.argv[0])} still running after "
                       f"{timeout} s, killed")
        for t in self.threads:
            t.join(5)
        self.ctx.log(f"[{self.pid} {os.path.basename(self.argv[0])}] exit {rc}")
        return rc

    def alive(self):
        return self.p.poll() is None

    def kill(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def dump(self):
        self.ctx.log(f"--- [{self.pid}] {' '.join(self.argv)}: exit {self.p.poll()}")
        for t, which, line in self.stamped:
            self.ctx.log(f"  {t:7.3f} {which[3:]}| {line}")


class Ctx:
    """Per-test state: its log file and every process it started."""

    def __init__(self, name, logdir):
        self.name = name
        self.logpath = os.path.join(logdir, name + ".log")
        self.logf = open(self.logpath, "w")
        self.procs = []
        self.t0 = time.monotonic()

    def elapsed(self):
        return time.monotonic() - self.t0

    def log(self, msg):
        self.logf.write(f"[{self.elapsed():7.3f}] {msg}\n")
        self.logf.flush()

    def tmp(self, suffix):
        return os.path.join(os.path.dirname(self.logpath), f"{self.name}{suffix}")

    def kill_all(self):
        """Kill every process the test started (their process groups) and wait for them."""
        for p in self.procs:
            if p.alive():
                self.log(f"killing leftover {p.pid} {p.argv[0]}")
            p.kill()

    def cleanup(self):
        self.kill_all()
        for p in self.procs:
            for f in (p.p.stdin, p.p.stdout, p.p.stderr):
                if f:
                    try:
                        f.close()
                    except OSError:
                        pass
        for p in self.procs:
            p.dump()
        self.logf.close()


class PrivateNs:
    """A mount and network namespace of the test's own, held open by a process of the test
    (util-linux `unshare`, which every Debian has): each path in `hide` has an empty directory
    mounted over it, and the network is a loopback interface no one else can reach. argv()
    runs a command inside (`nsenter`). Nothing outside changes (every mount is made private
    first, so none propagates out; that needs / to be a mount point, as it is on any machine
    and in fresh-check.sh's root); the namespaces go away with the holder, which the test's
    cleanup kills."""

    # Runs in the new namespaces: mount the empty directory over each path, bring lo up
    # (SIOCSIFFLAGS with IFF_UP | IFF_LOOPBACK | IFF_RUNNING: no iproute2 needed), say so, and
    # wait for stdin to close.
    HOLDER = """
import fcntl, socket, struct, subprocess, sys
empty, hide = sys.argv[1], sys.argv[2:]
for path in hide:
    subprocess.run(["mount", "--bind", empty, path], check=True)
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    fcntl.ioctl(s, 0x8914, struct.pack("16sH22x", b"lo", 0x1 | 0x8 | 0x40))
print("ready", flush=True)
sys.stdin.read()
"""

    def __init__(self, ctx, hide=()):
        self.empty = tempfile.mkdtemp(prefix=f"racetrace-{ctx.name}-empty.")
        self.holder = Proc(ctx, ["unshare", "--mount", "--net", "--propagation", "private", "--",
                                 sys.executable, "-c", self.HOLDER, self.empty, *hide],
                           stdin=subprocess.PIPE)
        line = self.holder.wait_line("stdout", lambda s: s == "ready", TIMEOUT)
        check(line is not None, "a private mount and network namespace",
              f"unshare: exit {self.holder.p.poll()}: {self.holder.err[-3:]}")

    def argv(self, argv):
        # --root: entering a mount namespace also moves to its root directory, which in a chroot
        # (scripts/fresh-check.sh) is not the holder's; take the holder's
        return ["nsenter", "--target", str(self.holder.pid), "--mount", "--net", "--root", "--",
                *[str(a) for a in argv]]

    def remove(self):
        self.holder.kill()
        shutil.rmtree(self.empty, ignore_errors=True)


def target(name):
    return os.path.join(TARGETS, name)


def need_target(name):
    """The built target's path; the test fails when it is not built."""
    path = target(name)
    check(os.access(path, os.X_OK), f"target {name} built", f"{path}: run 'make targets'")
    return path


def need_program(name, pkg):
    """The installed program's path; the test fails, naming its package, when it is missing."""
    path = shutil.which(name)
    check(path, f"{name} installed", f"the Debian package {pkg}: run 'sudo scripts/deps.sh'")
    return path


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Symbols:
    """Defined symbols of an ELF file with their sizes, from `nm -S` (binutils, which gcc
    needs anyway)."""

    def __init__(self, path):
        try:
            r = subprocess.run(["nm", "-S", "--defined-only", path], capture_output=True,
                               text=True, timeout=TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise Fail(f"nm {path}: {e}")
        check(r.returncode == 0, f"nm {os.path.basename(path)}", r.stderr.strip())
        self.syms = {}
        for line in r.stdout.splitlines():
            f = line.split()
            if len(f) == 4:
                self.syms[f[3]] = (int(f[0], 16), int(f[1], 16))

    def addr(self, name):
        check(name in self.syms, f"symbol {name} in the target", "run 'make targets'")
        return self.syms[name][0]

    def func_at(self, off):
        """Name of the sized symbol containing file-relative address off, or None."""
        for name, (val, size) in self.syms.items():
            if val <= off < val + size:
                return name
        return None


# ---------------------------------------------------------------------------------------------
# BPF links left behind


def bpftool_json(*args):
    """`bpftool -j ARGS`, parsed (a few tries: it fails when an object goes away meanwhile)."""
    for attempt in range(5):
        try:
            r = subprocess.run(["bpftool", "-j", *args], capture_output=True, timeout=TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise Fail(f"bpftool {' '.join(args)}: {e}")
        if r.returncode == 0:
            break
        time.sleep(0.2)
    check(r.returncode == 0, f"bpftool {' '.join(args)}",
          r.stderr.decode(errors="replace").strip())
    try:
        return json.loads(r.stdout or b"[]")
    except ValueError as e:
        raise Fail(f"bpftool {' '.join(args)}: bad JSON: {e}")


def uprobe_links():
    """{link id: link object} of uprobe links (uprobe_multi, or perf_event-based uprobes)."""
    links = bpftool_json("link", "list")
    res = {}
    for link in links:
        typ = str(link.get("type", ""))
        if typ == "uprobe_multi" or (typ == "perf_event" and "uprobe" in json.dumps(link)):
            res[link.get("id")] = link
    return res


def uprobe_events():
    """Lines of tracefs uprobe_events (legacy uprobes), or [] without tracefs."""
    for path in ("/sys/kernel/tracing/uprobe_events",
                 "/sys/kernel/debug/tracing/uprobe_events"):
        try:
            with open(path) as f:
                return [line.strip() for line in f if line.strip()]
        except OSError:
            continue
    return []


def bpf_links_of(pid):
    """{link id: its /proc/PID/fdinfo fields} of the BPF links process pid holds open; {} when
    it is gone. The kernel's own account of who holds what: Debian's bpftool is built without
    the pid iterator, so `bpftool link show` has no "pids" to tell one racetrace from another."""
    links = {}
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return links
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") != "anon_inode:bpf_link":
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                info = {k.strip(): v.strip() for k, v in
                        (line.split(":", 1) for line in f if ":" in line)}
        except OSError:  # closed meanwhile
            continue
        if info.get("link_id", "").isdigit():
            links[int(info["link_id"])] = info
    return links


def bpf_link_holders():
    """{link id: pids holding it open}, over every process."""
    holders = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            for lid in bpf_links_of(int(name)):
                holders.setdefault(lid, set()).add(int(name))
    return holders


def racetrace_tracepoints(pid):
    """The tracepoints the racetrace process pid has its programs (tp_btf_*) attached to now, by
    name. Only its own links: another racetrace on the machine changes nothing."""
    mine = [i for i in bpf_links_of(pid).values() if i.get("link_type") == "raw_tracepoint"]
    names = {p.get("id"): p.get("name", "") for p in bpftool_json("prog", "show")}
    return sorted(i.get("tp_name") for i in mine
                  if i.get("prog_id", "").isdigit()
                  and names.get(int(i["prog_id"]), "").startswith("tp_btf_"))


class LinkSnapshot:
    def __init__(self):
        self.links = uprobe_links()
        self.events = set(uprobe_events())


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def leaked_links(ctx, before, ours):
    """Uprobe links and uprobe events that appeared since `before` and are not someone else's.
    A new link is someone else's (another tracer running meanwhile) when a live process that
    is not ours holds it (/proc/PID/fdinfo, or bpftool's "pids" where it has them); a link no
    process holds counts as someone else's when its pid filter names a live process that is not
    ours (a tracer that was just exiting)."""
    leaked = []
    links = uprobe_links()
    held_by = bpf_link_holders()
    for lid, link in links.items():
        if lid in before.links:
            continue
        holders = held_by.get(lid, set()) | {p.get("pid") for p in link.get("pids", [])
                                             if isinstance(p, dict)}
        filt = link.get("pid")
        if holders:
            foreign = not (holders & ours) and any(pid_alive(p) for p in holders)
        else:
            foreign = is_int(filt) and filt > 0 and filt not in ours and pid_alive(filt)
        if foreign:
            ctx.log(f"ignoring someone else's uprobe link {json.dumps(link)}")
            continue
        leaked.append(link)
    for line in set(uprobe_events()) - before.events:
        m = re.search(r"libbpf_(\d+)_", line)
        if m and int(m.group(1)) not in ours and pid_alive(int(m.group(1))):
            continue
        leaked.append(line)
    return leaked


def check_no_leaked_links(ctx, before, ours):
    """No uprobe link of ours is left. Links are released when racetrace's fds close, which
    the kernel may finish just after the exit is reported: look again for up to 3 s."""
    ours = {p for p in ours if is_int(p)}
    deadline = time.monotonic() + 3
    while True:
        leaked = leaked_links(ctx, before, ours)
        if not leaked or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    if leaked:
        ctx.log("leaked: " + json.dumps(leaked))
    check(not leaked, "no uprobe link left",
          f"{len(leaked)} left, e.g. {json.dumps(leaked[0])[:200]}" if leaked else "")


# ---------------------------------------------------------------------------------------------
# racetrace output


def parse_jsonl(r):
    """Parse the --json stdout of racetrace Proc r into (findings, summary), checking the
    framing. Without a summary, the failure quotes racetrace's exit status and last error."""
    objs = []
    for i, line in enumerate(r.out):
        if not line.strip():
            continue
        try:
            o = json.loads(line)
        except ValueError as e:
            raise Fail(f"stdout is JSON Lines: line {i + 1} is not JSON ({e}): {line[:120]!r}")
        check(isinstance(o, dict) and isinstance(o.get("kind"), str), "every object has a kind",
              f"line {i + 1}: {line[:120]!r}")
        objs.append(o)
    summaries = [o for o in objs if o["kind"] == "summary"]
    if not summaries:
        err = [x for x in r.err if x.startswith("racetrace: ")] or r.err or ["(no stderr)"]
        raise Fail(f"exactly one summary object: got none; racetrace exit {r.p.returncode}: "
                   f"{err[-1]}")
    check(len(summaries) == 1, "exactly one summary object", f"got {len(summaries)}")
    check(objs[-1]["kind"] == "summary", "summary is the last object")
    return objs[:-1], summaries[0]


def is_finding(kind):
    """A predicate for Proc.wait_line: the line is a JSON finding of that kind."""
    def pred(line):
        try:
            o = json.loads(line)
        except ValueError:
            return False
        return isinstance(o, dict) and o.get("kind") == kind
    return pred


def notes(lines):
    """The target's stderr notes (tests/targets/target.h): ({role: tid}, {what:
    CLOCK_MONOTONIC seconds})."""
    tids, times = {}, {}
    for line in lines:
        m = NOTE_TID.search(line)
        if m:
            tids[m.group(1)] = int(m.group(2))
        m = NOTE_TIME.search(line)
        if m:
            times[m.group(1)] = float(m.group(2))
    return tids, times


NOTE_ADDR = re.compile(r": addr (\S+) (0x[0-9a-f]+)$")


def note_addrs(lines):
    """The target's "addr WHAT 0x..." notes (target.h): {what: address}."""
    return {m.group(1): int(m.group(2), 16) for m in map(NOTE_ADDR.search, lines) if m}


def check_summary(findings, s, pid=None):
    for k in SUMMARY_KEYS:
        check(k in s, f"summary has '{k}'", f"keys {sorted(s)}")
    for k in ("pid", "events", "lost", "threads", "findings"):
        check(is_int(s[k]) and s[k] >= 0, f"summary.{k} is a count", repr(s[k]))
    check(isinstance(s["duration_s"], (int, float)) and s["duration_s"] >= 0,
          "summary.duration_s is a number", repr(s["duration_s"]))
    check("unsymbolized" not in s or (isinstance(s["unsymbolized"], list) and s["unsymbolized"]
                                      and all(isinstance(m, str) and m
                                              for m in s["unsymbolized"])),
          "summary.unsymbolized, when there, is a list of module names",
          repr(s.get("unsymbolized")))
    check(isinstance(s["events_by_type"], dict) and all(
        is_int(v) and v >= 0 for v in s["events_by_type"].values()),
        "summary.events_by_type maps names to counts", repr(s["events_by_type"]))
    check(sum(s["events_by_type"].values()) <= s["events"], "events_by_type sums to <= events",
          f"{sum(s['events_by_type'].values())} > {s['events']}")
    if pid is not None:
        check(s["pid"] == pid, "summary.pid is the target", f"{s['pid']} != {pid}")
    check(s["findings"] == len(findings), "summary.findings counts the finding objects",
          f"{s['findings']} != {len(findings)}")
    counts = s["counts"]
    check(isinstance(counts, dict), "summary.counts is an object")
    check(set(counts) == {f.get("id") for f in findings}, "summary.counts keyed by finding ids",
          f"{sorted(counts)} vs {[f.get('id') for f in findings]}")
    for f in findings:
        check(counts.get(f.get("id")) == f.get("count"), "summary.counts match finding counts",
              f"{f.get('id')}: {counts.get(f.get('id'))} vs {f.get('count')}")


def check_watched(summary, want, slack=16):
    """Proof that racetrace watched the whole run, which a test that wants nothing reported
    must give (a racetrace that attached late or dropped records would pass it otherwise):
    no record lost, and each event type of `want` seen as often as the target makes it.
    want[type] is the count the target's own code makes, checked as want <= seen <= want +
    slack (the slack covers the runtime's calls: glibc locks once per pthread_create and at
    exit), or a (low, high) pair for a count that depends on the interleaving (high None: no
    upper bound)."""
    check(is_int(summary.get("lost")) and summary["lost"] == 0, "watched: no record lost",
          f"lost {summary.get('lost')}: {summary.get('lost_by_reason')}")
    ebt = summary.get("events_by_type") or {}
    for typ, n in want.items():
        lo, hi = n if isinstance(n, tuple) else (n, n + slack)
        got = ebt.get(typ, 0)
        check(got >= lo and (hi is None or got <= hi),
              f"watched: {typ} events as many as the target makes "
              f"({lo}..{'' if hi is None else hi})", f"got {got}: {ebt}")


def site_addr(site):
    """A site is "0x..." or {"addr": "0x...", "sym": ...}; return the address string."""
    if isinstance(site, dict):
        site = site.get("addr")
    return site if isinstance(site, str) and HEX_ADDR.match(site) else None


def check_finding(f, summary_pid):
    for k in FINDING_KEYS:
        check(k in f, f"finding has '{k}'", f"{f.get('kind')}: keys {sorted(f)}")
    check(isinstance(f["id"], str) and HEX_ID.match(f["id"]), "finding.id is 16 hex digits",
          repr(f["id"]))
    check(f["pid"] == summary_pid, "finding.pid is the target", f"{f['pid']} != {summary_pid}")
    check(is_int(f["count"]) and f["count"] >= 1, "finding.count >= 1", repr(f["count"]))
    check(isinstance(f["threads"], list) and all(is_int(t) and t > 0 for t in f["threads"]),
          "finding.threads are tids", repr(f["threads"]))
    check(isinstance(f["message"], str) and f["message"], "finding.message is a string")


def check_inversion(f, nlocks, main_pid):
    """A lock-order-inversion over nlocks locks, each edge taken by its own thread, with the
    edges forming one cycle through all the locks, reported once."""
    locks = f["locks"]
    check(isinstance(locks, list) and len(locks) == nlocks, f"inversion has {nlocks} locks",
          f"got {len(locks) if isinstance(locks, list) else locks!r}")
    addrs = []
    for lk in locks:
        a = lk.get("addr") if isinstance(lk, dict) else None
        check(isinstance(a, str) and HEX_ADDR.match(a), "lock addr is hex", repr(lk))
        check("name" in lk and (lk["name"] is None or isinstance(lk["name"], str)),
              "lock name is a string or null", repr(lk))
        addrs.append(a)
    check(len(set(addrs)) == nlocks, "locks are distinct", repr(addrs))
    check(f["count"] == 1, "inversion count is 1", repr(f["count"]))
    threads = f["threads"]
    check(len(set(threads)) == len(threads) == nlocks,
          f"inversion seen from {nlocks} distinct threads", repr(threads))
    check(main_pid not in threads, "main thread took no part", repr(threads))

    sites = f["sites"]
    check(isinstance(sites, list) and sites, "sites is a non-empty list", repr(sites))
    site_addrs = [site_addr(s) for s in sites]
    check(all(site_addrs), "sites are hex addresses", repr(sites))

    edges = f["edges"]
    check(isinstance(edges, list) and len(edges) == nlocks, f"inversion has {nlocks} edges",
          f"got {len(edges) if isinstance(edges, list) else edges!r}")
    nxt = {}
    for e in edges:
        check(isinstance(e, dict) and all(k in e for k in
                                          ("from", "to", "tid", "held_site", "acquire_site")),
              "edge has from, to, tid, held_site, acquire_site", repr(e))
        check(e["from"] in addrs and e["to"] in addrs and e["from"] != e["to"],
              "edge joins two of the locks", repr(e))
        check(e["tid"] in threads, "edge tid is one of the threads", repr(e))
        for k in ("held_site", "acquire_site"):
            check(site_addr(e[k]) is not None, f"edge {k} is a hex address", repr(e[k]))
            check(site_addr(e[k]) in site_addrs, f"edge {k} is listed in sites", repr(e[k]))
        check(e["from"] not in nxt, "each lock is left by one edge", repr(edges))
        nxt[e["from"]] = e["to"]
    check(set(nxt.values()) == set(addrs), "each lock is entered by one edge", repr(edges))
    seen, a = [], addrs[0]
    while a not in seen:
        seen.append(a)
        a = nxt[a]
    check(len(seen) == nlocks, "edges form one cycle through all locks", repr(edges))


def check_report(findings, summary, pid, inversions, nlocks=0):
    """The whole --json output: summary consistent, and exactly `inversions` lock-order
    inversions over nlocks locks and no other finding."""
    check_summary(findings, summary, pid)
    for f in findings:
        check_finding(f, summary["pid"])
    kinds = [f["kind"] for f in findings]
    inv = [f for f in findings if f["kind"] == INVERSION]
    check(len(inv) == inversions,
          f"{ {0: 'no', 1: 'one'}.get(inversions, inversions)} {INVERSION}",
          f"got kinds {kinds}")
    check(len(inv) == len(findings), "no other finding", f"got kinds {kinds}")
    for f in inv:
        check_inversion(f, nlocks, summary["pid"])


def check_in_target(f, path, want_edges):
    """The inversion is over the target's own lock variables and its sites are in the
    functions that took them. The load base follows from the first lock (PIE), and must be
    page aligned and fit every other lock: no glibc-internal lock stands in."""
    syms = Symbols(path)
    lock_names = sorted({n for pair in want_edges for n in pair})
    first = int(f["edges"][0]["from"], 16)
    bases = {first - syms.addr(n) for n in lock_names}
    name_of = {}
    for base in sorted(bases):
        if base % 4096:
            continue
        cand = {hex(base + syms.addr(n)): n for n in lock_names}
        if {lk["addr"] for lk in f["locks"]} == set(cand):
            name_of = cand
            break
    check(name_of, f"locks are the target's {', '.join(lock_names)}",
          f"got {[lk['addr'] for lk in f['locks']]}")
    base = int(next(iter(name_of)), 16) - syms.addr(name_of[next(iter(name_of))])
    got = {}
    for e in f["edges"]:
        funcs = {syms.func_at(int(site_addr(e[k]), 16) - base)
                 for k in ("held_site", "acquire_site")}
        got[(name_of[e["from"]], name_of[e["to"]])] = funcs.pop() if len(funcs) == 1 else funcs
    check(got == want_edges, "edges and their sites are the target's",
          f"got {got}, want {want_edges}")


# ---------------------------------------------------------------------------------------------
# Running racetrace


def run_cmd_mode(ctx, argv, rt_opts=("--json",)):
    """`racetrace OPTS -- ARGV`: (exit status, Proc)."""
    r = Proc(ctx, [RACETRACE, *rt_opts, "--", *argv])
    return r.wait(TIMEOUT, "racetrace exits in time"), r


def wait_tracing(r, pid=None):
    """Wait for `racetrace: tracing pid N` on racetrace's stderr and return N, which must be
    pid when one is given (in `--` mode the test learns the pid from this line)."""
    line = r.wait_line("stderr", lambda s: s.startswith(TRACING_PREFIX), ATTACH_TIMEOUT)
    if line is None:
        if not r.alive():
            tail = r.err[-1] if r.err else "(no stderr)"
            raise Fail(f"attach: racetrace exited {r.p.returncode} before "
                       f"'{TRACING_PREFIX}': {tail}")
        raise Fail(f"attach: no '{TRACING_PREFIX}' line within {ATTACH_TIMEOUT} s")
    m = re.match(re.escape(TRACING_PREFIX) + r" (\d+)", line)
    if pid is None:
        check(m, "tracing line names a pid", repr(line))
    else:
        check(m and int(m.group(1)) == pid, "attach line names the target pid", repr(line))
    return int(m.group(1))


def start_pid_mode(ctx, targv, rt_opts=("--json",)):
    """Start TARGET -w ..., attach `racetrace OPTS -p PID`, wait until it traces.
    Returns (target Proc, racetrace Proc); the target still waits for its stdin line."""
    t = Proc(ctx, [targv[0], "-w", *targv[1:]], stdin=subprocess.PIPE)
    r = Proc(ctx, [RACETRACE, *rt_opts, "-p", t.pid])
    wait_tracing(r, t.pid)
    return t, r


def wait_target_then_racetrace(t, r):
    """The traced target t exits 0, then racetrace r: r's exit status."""
    trc = t.wait(TIMEOUT, "target exits in time")
    check(trc == 0, "target exits 0", f"exit {trc}: {t.err[-1] if t.err else ''}")
    return r.wait(TIMEOUT, "racetrace exits after the target")


def run_pid_mode(ctx, targv, rt_opts=("--json",)):
    """Full -p run: attach, release the target, wait for both. (rc, racetrace Proc,
    target Proc)."""
    t, r = start_pid_mode(ctx, targv, rt_opts)
    t.write("go\n")
    t.close_stdin()
    return wait_target_then_racetrace(t, r), r, t


# ---------------------------------------------------------------------------------------------
# The registry

TESTS = []  # (name, function of a Ctx), in registration order
# Names of the tests that want nothing reported (@test(name, clean=True)): each must also prove
# that racetrace watched (check_watched). tests/sabotage.sh runs them against a broken racetrace.
CLEAN_TESTS = set()
# Tests of the whole Go release matrix that a plain run (no names on the command line) leaves
# out to keep `make test` under 20 minutes; run.py says how many, and RT_E2E_GO_MATRIX=all
# (or naming them) runs them. gotests.go_matrix decides which.
FULL_MATRIX_ONLY = set()
# Tests that may run beside each other (run.py runs them RT_E2E_JOBS at a time, after the
# others): each starts its own racetrace and its own target, uses no fixed port, path or
# shared state, asserts nothing about time or load, and checks only what its own processes
# attached. The Go matrix rows: short `--` runs whose programs mostly sleep.
PARALLEL = set()


def test(name, clean=False, full_matrix_only=False, parallel=False):
    """Decorator: register fn as the test `name`; clean=True: a must-not-report test;
    parallel=True: it may run beside other such tests (PARALLEL). A name is registered once,
    or the command line could not select it alone."""
    def reg(fn):
        if any(n == name for n, _ in TESTS):
            raise ValueError(f"e2e test {name} registered twice")
        TESTS.append((name, fn))
        if clean:
            CLEAN_TESTS.add(name)
        if full_matrix_only:
            FULL_MATRIX_ONLY.add(name)
        if parallel:
            PARALLEL.add(name)
        return fn
    return reg


# ---------------------------------------------------------------------------------------------
# Prerequisites and running one test

NEEDED_TARGETS = ("abba", "cycle3", "ordered", "trylock_backoff", "lockloop")


def prerequisites():
    """None, or a one-line reason with its fix."""
    if os.geteuid() != 0:
        return "not root: BPF needs CAP_BPF and CAP_PERFMON; run as root (sudo tests/e2e/run.sh)"
    if not os.path.exists(BTF):
        return (f"{BTF} missing: the kernel has no BTF; boot one built with "
                "CONFIG_DEBUG_INFO_BTF=y")
    if not (os.path.isfile(RACETRACE) and os.access(RACETRACE, os.X_OK)):
        return f"{RACETRACE} missing: run 'make' first"
    missing = [t for t in NEEDED_TARGETS if not os.access(target(t), os.X_OK)]
    if missing:
        return f"targets {', '.join(missing)} missing in {TARGETS}: run 'make targets'"
    try:
        subprocess.run(["bpftool", "version"], capture_output=True, timeout=TIMEOUT, check=True)
    except (OSError, subprocess.SubprocessError):
        return "bpftool not found or not working: run 'sudo scripts/deps.sh'"
    return None


def run_test(name, fn, logdir):
    """Run one test with its own Ctx (log in logdir) and kill what it started, whatever
    happened. Returns (None or why it failed, path of its log)."""
    ctx = Ctx(name, logdir)
    reason = None
    try:
        fn(ctx)
    except Fail as e:
        reason = str(e)
    except Exception as e:  # a harness bug still fails the test, with its cause
        reason = f"harness error: {type(e).__name__}: {e}"
    finally:
        ctx.cleanup()
    return reason, ctx.logpath
