# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""make bench: what racetrace costs a traced process, next to other tools, in ratios.

Every number is a ratio to the plain run measured in the same `make bench` run (absolute
times on a shared VM are noise). Workloads: bench/lockbench.c (lock-heavy, a malloc
variant and a --buggy variant with a known AB/BA inversion) and memcached from Debian driven
over loopback by bench/mcload.c. Tools: racetrace (all probes; --probes futex), BCC's
deadlock-bpfcc, a ThreadSanitizer build, valgrind's helgrind, and bench/emptyprobe (an empty
uprobe, the floor for a probed call). It also measures peak RSS, events and losses, the
replay speed of `racetrace report`, the added cost per probed call, and the cost of candidate
probe addresses for pthread_mutex_lock/unlock in this libc.

Tracers attach with -p to a target that waits (lockbench --wait, or a memcached that is up
but idle) and the workload measures its own throughput, so start-up and attach times are
not counted. Repetitions are interleaved across tools (rep outer, tool inner) so that drift
on the machine affects all columns alike.

Writes bench/results.json (all raw values, the run's parameters and its commands) and renders
docs/performance.md from it alone; prints the tables. Commit both together: every sentence of
docs/performance.md is traceable to a value of results.json. `bench.py --render [--check]`
renders (or checks) docs/performance.md from bench/results.json without running anything. Run through bench/run.sh (root, Debian's python3 for BCC).
"""
import datetime
import json
import os
import platform
import random
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, ".output", "bench")
BUILT_RACETRACE = os.path.join(ROOT, ".output", "racetrace")
# A private copy: the whole run measures one binary even if .output/racetrace is rebuilt meanwhile.
RACETRACE = os.path.join(OUT, "racetrace")
BCC_DEADLOCK = "/usr/sbin/deadlock-bpfcc"
GO = "/usr/lib/go-1.23/bin/go"  # golang-1.23-go (bookworm-backports): builds gobench, -race too
ETCD, ETCDCTL = "/usr/bin/etcd", "/usr/bin/etcdctl"  # etcd-server, etcd-client (go1.19, stripped)
QUICK = os.environ.get("BENCH_QUICK") == "1"
REPS = int(os.environ.get("BENCH_REPS", "2" if QUICK else "7"))
# Whether this kernel has kprobes (BCC's clone() kretprobe needs them): looked up, not assumed
KPROBES_NOTE = ("" if os.path.isdir("/sys/bus/event_source/devices/kprobe")
                else ", since this kernel has no kprobes")
RESULTS = os.path.join(OUT if QUICK else os.path.join(ROOT, "bench"), "results.json")
PERF_MD = os.path.join(OUT if QUICK else os.path.join(ROOT, "docs"), "performance.md")

# Iterations per thread for lockbench, per tool: each run should last well over the noise
# (>= ~50 ms) and well under a few seconds. Throughput is a rate measured around the loop
# only, so rates from different counts compare; the plain run uses the largest count.
SCALE = 0.2 if QUICK else 1.0
LB_ITERS = {
    "plain": 2_000_000, "racetrace": 50_000, "racetrace-futex": 2_000_000,
    "racetrace-daemon": 5_000_000,  # long enough for the governor's steady state
    "bcc-deadlock": 50_000, "emptyprobe": 50_000, "tsan": 200_000, "helgrind": 10_000,
}
MC_REQUESTS = {"default": 100_000, "helgrind": 3_000}
# gobench: iterations per goroutine; etcd: etcdctl put+get pairs per run
GO_ITERS = {"plain": 5_000_000, "racetrace": 20_000, "gorace": 500_000}
ETCD_PAIRS = 150
# gosvc (tests/targets/gosvc, go1.26, built by scripts/build_go_targets.sh): seconds of load
GOSVC = os.path.join(ROOT, ".output", "go-targets", "go1.26", "gosvc")
GOSVC_SECONDS = 20
# Single-thread runs (per-call cost, probe candidates) calibrate their iteration count: one
# short run, then enough iterations for about SINGLE_TARGET_S seconds, within these bounds.
SINGLE_TARGET_S = 0.3
SINGLE_BOUNDS = (20_000, 10_000_000)
REPLAY_REQUESTS = (40_000, 2_000, 6_000)  # big trace for events/s; two small for callgrind

COMMANDS = []               # what was run, once per kind, for docs/performance.md


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def note_cmd(kind, argv):
    """Remember one command line per kind, with pids and ports made generic."""
    if any(k == kind for k, _ in COMMANDS):
        return
    text = " ".join(shlex.quote(str(a)) for a in argv)
    text = text.replace(ROOT + "/", "")
    COMMANDS.append((kind, text))


def sh(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw).stdout


def median(xs):
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------------------------------------
# Build

def build():
    os.makedirs(OUT, exist_ok=True)
    if not os.access(BUILT_RACETRACE, os.X_OK):
        sh(["make", "-C", ROOT, ".output/racetrace"])
    shutil.copy2(BUILT_RACETRACE, RACETRACE + ".tmp")
    os.replace(RACETRACE + ".tmp", RACETRACE)
    sh([RACETRACE, "--version"])
    cflags = ["-g", "-O2", "-fno-omit-frame-pointer", "-pthread", "-Wall", "-Wextra", "-Werror"]
    steps = [
        ["gcc", *cflags, "bench/lockbench.c", "-o", f"{OUT}/lockbench"],
        ["clang-19", "-g", "-O2", "-fsanitize=thread", "-pthread", "bench/lockbench.c", "-o",
         f"{OUT}/lockbench.tsan"],
        ["gcc", *cflags, "bench/mcload.c", "-o", f"{OUT}/mcload"],
        ["clang-19", "-g", "-O2", "-target", "bpf", "-D__TARGET_ARCH_x86", "-Wall", "-Werror",
         "-I", "vmlinux/x86", "-idirafter", "/usr/include/x86_64-linux-gnu",
         "-c", "bench/empty.bpf.c", "-o", f"{OUT}/empty.bpf.o"],
        ["gcc", "-g", "-O2", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter",
         *sh(["pkg-config", "--cflags", "libbpf"]).split(), "bench/emptyprobe.c",
         sh(["pkg-config", "--variable=libdir", "libbpf"]).strip() + "/libbpf.a",
         "-lelf", "-lz", "-o", f"{OUT}/emptyprobe"],
    ]
    for argv in steps:
        note_cmd("build " + os.path.basename(argv[-1]), argv)
        subprocess.run(argv, check=True, cwd=ROOT)
    # the Go microbenchmark, plain and with the race detector (which needs cgo)
    genv = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-buildvcs=false", GOPROXY="off",
                GOCACHE=f"{OUT}/gocache", GOPATH=f"{OUT}/gopath")
    for argv, cgo in (([GO, "build", "-o", f"{OUT}/gobench", "."], "0"),
                      ([GO, "build", "-race", "-o", f"{OUT}/gobench.race", "."], "1")):
        note_cmd("build " + os.path.basename(argv[-2]), argv)
        subprocess.run(argv, check=True, cwd=os.path.join(ROOT, "bench", "gobench"),
                       env=dict(genv, CGO_ENABLED=cgo))


def prepare_bcc():
    """Copy BCC's deadlock tool into .output/bench and patch it to run here.

    1. Its kretprobe on clone() (thread-parent info only) cannot attach on a kernel without
       kprobes: made optional. 2. Its unlock handler copies the held-mutex map value with
       bpf_probe_read_user(), which fails on a kernel address, so no unlock is ever recorded
       and every lock taken after another becomes an edge: the stock tool reports cycles in
       correct programs. The 'fixed' copy reads it with bpf_probe_read_kernel(); the stock copy
       keeps the bug and is run for the detection table only. Returns (stock, fixed, why_not).
    """
    if not os.path.exists(BCC_DEADLOCK):
        return None, None, f"{BCC_DEADLOCK} not installed"
    src = open(BCC_DEADLOCK).read()
    clone = ("    bpf.attach_kretprobe(event=bpf.get_syscall_fnname('clone'), "
             "fn_name='trace_clone')\n")
    tracing = "print('Tracing... Hit Ctrl-C to end.')"
    subst = "    text = text.replace('MAX_THREADS', str(args.threads));\n"
    if clone not in src or tracing not in src or subst not in src:
        return None, None, "deadlock-bpfcc source not as expected (BCC version changed?)"
    src = src.replace(clone, (
        "    try:\n"
        "        bpf.attach_kretprobe(event=bpf.get_syscall_fnname('clone'), "
        "fn_name='trace_clone')\n"
        "    except Exception as e:\n"
        "        print('bench: clone kretprobe not attached: %s' % e, flush=True)\n"))
    src = src.replace(tracing, "print('Tracing... Hit Ctrl-C to end.', flush=True)")
    stock = os.path.join(OUT, "deadlock-bpfcc-stock.py")
    fixed = os.path.join(OUT, "deadlock-bpfcc-fixed.py")
    open(stock, "w").write(src)
    open(fixed, "w").write(src.replace(subst, subst + (
        "    text = text.replace('bpf_probe_read_user(&value', 'bpf_probe_read_kernel(&value')\n")))
    return stock, fixed, None


def loadavg():
    """The 1-minute load average: other work on the machine's CPUs widens every spread."""
    try:
        return float(read("/proc/loadavg").split()[0])
    except (IndexError, ValueError):
        return None


def libc_path(binary):
    for line in sh(["ldd", binary]).splitlines():
        m = re.match(r"\s*libc\.so\.6 => (\S+)", line)
        if m:
            return os.path.realpath(m.group(1))
    raise SystemExit("bench: cannot find the libc of " + binary)


# ---------------------------------------------------------------------------------------------
# Processes

def alive(proc):
    """Whether proc still runs, without reaping it (wait_rusage() reaps it, for its rusage)."""
    if proc.returncode is not None:
        return False
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
    except ChildProcessError:
        return False


def wait_rusage(proc, timeout):
    """Wait for proc with a deadline (then SIGKILL); returns (exit status, peak RSS in KiB)."""
    deadline = time.monotonic() + timeout
    if proc.returncode is not None:
        return proc.returncode, None
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, ru.ru_maxrss
        if time.monotonic() > deadline:
            proc.kill()
            timeout = 5
            deadline = time.monotonic() + 5
        time.sleep(0.01)


def wait_file(path, pattern, proc, timeout):
    """Wait until file path matches pattern; False if proc died first or on time-out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if re.search(pattern, open(path, errors="replace").read()):
                return True
        except FileNotFoundError:
            pass
        if not alive(proc):
            return False
        time.sleep(0.02)
    return False


def read(path):
    try:
        return open(path, errors="replace").read()
    except FileNotFoundError:
        return ""


class Tracer:
    """A tracer attached with -p: racetrace, BCC's deadlock tool or emptyprobe."""

    def __init__(self, kind, argv, ready, tag):
        self.kind, self.argv, self.ready = kind, argv, ready
        self.out = os.path.join(OUT, f"{tag}.out")
        self.err = os.path.join(OUT, f"{tag}.err")
        self.proc = None
        self.status = self.rss = None

    def start(self):
        note_cmd(self.kind, self.argv)
        with open(self.out, "w") as o, open(self.err, "w") as e:
            self.proc = subprocess.Popen(self.argv, stdout=o, stderr=e, stdin=subprocess.DEVNULL)
        return wait_file(self.err if self.kind.startswith("racetrace") else self.out,
                         self.ready, self.proc, 60)

    def stop(self, exits_with_target, wait_for=None, wait_s=3):
        """After the target finished: let it exit by itself or interrupt it (after up to
        wait_s seconds for wait_for to show in its output)."""
        if wait_for:
            wait_file(self.out, wait_for, self.proc, wait_s)
        if not exits_with_target and alive(self.proc):
            self.proc.send_signal(signal.SIGINT)
        self.status, self.rss = wait_rusage(self.proc, 30)

    def output(self):
        return read(self.out) + read(self.err)


DAEMON_BUDGET = 200_000  # max_events_per_second, as in dist/racetrace.conf


def daemon_config(pid, tag):
    """A daemon config selecting the target by its executable, with the example's budget."""
    path = os.path.join(OUT, f"{tag}.daemon.conf")
    with open(path, "w") as f:
        f.write(f"[target]\nname = bench\nexe = {os.readlink(f'/proc/{pid}/exe')}\n\n"
                f"[budget]\nmax_events_per_second = {DAEMON_BUDGET}\nmax_memory_mb = 512\n"
                f"recover_after_seconds = 30\n\n[output]\n"
                f"findings = {os.path.join(OUT, tag + '.daemon.jsonl')}\n"
                f"metrics = 127.0.0.1:{free_port()}\n")
    return path


def tracer_for(tool, pid, libc, tag, bcc):
    """(Tracer, exits when the target exits) for a tool that attaches, else (None, None)."""
    if tool == "racetrace-daemon":
        if not pid:
            return Tracer(tool, [], "", tag), False
        argv = [RACETRACE, "daemon", "--config", daemon_config(pid, tag)]
        return Tracer(tool, argv, rf"racetrace: attached to pid {pid} ", tag), False
    if tool in ("racetrace", "racetrace-futex", "racetrace-locks"):
        argv = [RACETRACE, "--json", "-p", str(pid)]
        if tool != "racetrace":
            argv[1:1] = ["--probes", tool.split("-")[1]]
        return Tracer(tool, argv, r"racetrace: tracing pid", tag), True
    if tool in ("bcc-deadlock", "bcc-deadlock-stock"):
        script = bcc["fixed" if tool == "bcc-deadlock" else "stock"]
        argv = ["/usr/bin/python3", script, str(pid), "--binary", libc]
        return Tracer(tool, argv, r"Tracing\.\.\.", tag), False
    if tool.startswith("emptyprobe") or tool in EMPTY_TPS:
        sites = EMPTY_TPS.get(tool) or bcc["sites"][tool]
        argv = [f"{OUT}/emptyprobe", f"{OUT}/empty.bpf.o", str(pid), *sites]
        return Tracer(tool, argv, r"^attached", tag), True
    return None, None


# empty tp_btf programs (bench/empty.bpf.c): the floors of the two ways of seeing futex waits
EMPTY_TPS = {"emptytp-sched": ["tp:sched_switch"],
             "emptytp-syscalls": ["tp:sys_enter", "tp:sys_exit"]}


def racetrace_summary(text):
    summary, findings = None, []
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if obj.get("kind") == "summary":
            summary = obj
        elif "kind" in obj:
            findings.append(obj)
    return summary, findings


def addr_set(text):
    return {int(a, 16) for a in re.findall(r"0x([0-9a-fA-F]+)", text)}


def lock_reports(tool, text):
    """Lock-order reports in a tool's output, each as the set of lock addresses involved."""
    reports = []
    if tool.startswith("racetrace"):
        for f in racetrace_summary(text)[1]:
            if f.get("kind") == "lock-order-inversion":
                reports.append({int(l["addr"], 16) for l in f.get("locks", [])})
    elif tool.startswith("bcc"):
        for m in re.finditer(r"Cycle in lock order graph: (.*)", text):
            reports.append(addr_set(m.group(1)))
    elif tool == "tsan":
        for m in re.finditer(r"lock-order-inversion.*\n\s*Cycle in lock order graph: (.*)", text):
            reports.append(addr_set(m.group(1)))
    elif tool == "helgrind":
        for m in re.finditer(r'lock order "(0x[0-9A-Fa-f]+) before (0x[0-9A-Fa-f]+)" violated',
                             text):
            reports.append(addr_set(m.group(0)))
    return reports


def tool_note(tool, text):
    if tool.startswith("bcc") and "clone kretprobe not attached" in text:
        return "clone kretprobe skipped (no kprobes)"
    return ""


def detection_text(runs, what):
    n = sum(r.get("findings", 0) for r in runs)
    return f"{n} {what} in {len(runs)} run(s)"


# ---------------------------------------------------------------------------------------------
# lockbench

def run_lockbench(tool, args, iters, libc, ctx, tag="lb"):
    """One lockbench run under tool; returns a dict of what was measured."""
    binary = f"{OUT}/lockbench.tsan" if tool == "tsan" else f"{OUT}/lockbench"
    cmd = [binary, "-n", str(iters), *args]
    res = {"tool": tool, "iters": iters, "args": args}
    if tool == "helgrind":
        cmd = ["valgrind", "--tool=helgrind", *cmd]
    tracer, exits = tracer_for(tool, 0, libc, tag, ctx)
    if tracer:
        cmd.append("--wait")
    note_cmd("lockbench, " + ("waiting for a tracer to attach with -p" if tracer else tool), cmd)
    errf = os.path.join(OUT, f"{tag}.target.err")
    with open(errf, "w") as e:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=e, text=True,
                                stdin=subprocess.DEVNULL)
    try:
        if tracer:
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError("lockbench did not start")
            tracer, exits = tracer_for(tool, proc.pid, libc, tag, ctx)
            if not tracer.start():
                proc.kill()
                wait_rusage(proc, 10)
                tracer.stop(False)
                res["error"] = "tracer did not attach: " + tracer.output().strip()[-300:]
                return res
            os.kill(proc.pid, signal.SIGUSR1)
        out = proc.stdout.read()
        status, _ = wait_rusage(proc, 600)
    finally:
        if alive(proc):
            proc.kill()
            wait_rusage(proc, 10)
    lines = [l for l in out.splitlines() if l.startswith("{")]
    # TSan exits 66 when it reported something; the run itself completed.
    if (status != 0 and not (tool == "tsan" and status == 66)) or not lines:
        res["error"] = f"lockbench exited {status}: " + read(errf).strip()[-300:]
        if tracer:
            tracer.stop(exits)
        return res
    lb = json.loads(lines[-1])
    res.update(rate=lb["ops_per_s"], seconds=lb["seconds"], pairs=lb["pairs"],
               target_rss_kb=lb["maxrss_kb"], bug=(int(lb["bug_a"], 16), int(lb["bug_b"], 16)))
    text = read(errf)
    if tracer:
        # BCC checks for cycles once a second: give it a chance to see the last events.
        buggy = "--buggy" in args
        tracer.stop(exits, wait_for="Potential Deadlock" if tool.startswith("bcc") else None,
                    wait_s=3 if buggy else 1.5)
        text = tracer.output()
        res["tracer_rss_kb"] = tracer.rss
        res["tracer_status"] = tracer.status
        if tool.startswith("racetrace"):
            summary, _ = racetrace_summary(text)
            if summary:
                res["events"], res["lost"] = summary["events"], summary["lost"]
        if tool.startswith("emptyprobe"):
            m = re.search(r'"hits":(\d+)', text)
            res["hits"] = int(m.group(1)) if m else None
        if tool.startswith("bcc") and "Potential Deadlock" in text and "--buggy" not in args:
            # it exits at its first cycle: the rest of the run was not traced
            res["early_exit"] = True
    res["reports"] = [sorted(r) for r in lock_reports(tool, text)]
    res["note"] = tool_note(tool, text)
    return res


def detection_verdict(runs):
    """What one tool said about the known inversion over its --buggy runs."""
    if not runs or all("error" in r for r in runs):
        return "did not run"
    r = [x for x in runs if "error" not in x][0]
    bug = set(r["bug"])
    reps = [set(x) for x in r["reports"]]
    if any(bug <= x and len(x) == 2 for x in reps):
        return "reported"
    if any(bug <= x for x in reps):
        return "reported, in a larger false cycle"
    if reps:
        return "not reported; a false cycle of other locks instead"
    return "not reported"


# ---------------------------------------------------------------------------------------------
# memcached

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(proc):
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def memcached_argv(port):
    argv = ["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-t", "2", "-m", "64"]
    if os.geteuid() == 0:
        argv += ["-u", "root"]
    return argv


def nofile_1024():
    """memcached sets RLIMIT_NOFILE to exactly its -c (1024), and valgrind only allows a hard
    limit equal to the soft limit it started with: start valgrind with a soft limit of 1024."""
    import resource
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))


def cpu_ns(pid):
    """CPU time of every thread of pid so far, in ns (schedstat: exact, and blind to the time
    the VM's CPUs were taken away, which throughput on this machine is not)."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            total += int(read(f"/proc/{pid}/task/{tid}/schedstat").split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total


def vm_hwm_kb(pid):
    m = re.search(r"VmHWM:\s+(\d+) kB", read(f"/proc/{pid}/status"))
    return int(m.group(1)) if m else None


def run_memcached(tool, requests, libc, ctx, tag="mc"):
    port = free_port()
    argv = memcached_argv(port)
    if tool == "helgrind":
        argv = ["valgrind", "--tool=helgrind", *argv]
    res = {"tool": tool, "iters": requests}
    note_cmd("memcached" + (" under helgrind" if tool == "helgrind" else
                            " (tracers attach with -p)"), argv)
    errf = os.path.join(OUT, f"{tag}.server.err")
    with open(errf, "w") as e:
        server = subprocess.Popen(argv, stdout=e, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL,
                                  preexec_fn=nofile_1024 if tool == "helgrind" else None)
    tracer = None
    try:
        if not wait_port(port, server, 60):
            res["error"] = "memcached did not start: " + read(errf)[-300:]
            return res
        tracer, _ = tracer_for(tool, server.pid, libc, tag, ctx)
        if tracer and not tracer.start():
            res["error"] = "tracer did not attach: " + tracer.output().strip()[-300:]
            return res
        load = [f"{OUT}/mcload", "-p", str(port), "-n", str(requests), "-c", "4"]
        note_cmd("mcload", load)
        cpu0 = cpu_ns(server.pid)
        p = subprocess.run(load, capture_output=True, text=True, timeout=300)
        cpu1 = cpu_ns(server.pid)
        if cpu0 is not None and cpu1 is not None and tool != "helgrind":
            res["cpu_ns_per_op"] = (cpu1 - cpu0) / requests
        if p.returncode != 0:
            res["error"] = "mcload: " + p.stderr.strip()[-300:]
            return res
        mc = json.loads(p.stdout.strip().splitlines()[-1])
        res.update(rate=mc["req_per_s"], seconds=mc["seconds"], target_rss_kb=vm_hwm_kb(server.pid))
    finally:
        text = read(errf)
        if tracer and tracer.proc:
            tracer.stop(False)
            text = tracer.output()
            res["tracer_rss_kb"] = tracer.rss
            if tool.startswith("racetrace"):
                summary, findings = racetrace_summary(text)
                if summary:
                    res["events"], res["lost"] = summary["events"], summary["lost"]
                res["findings"] = len(findings)
            if tool.startswith("emptyprobe"):
                m = re.search(r'"hits":(\d+)', text)
                res["hits"] = int(m.group(1)) if m else None
            if tool.startswith("bcc") and "Potential Deadlock" in text:
                res["findings"] = 1
                res["early_exit"] = True
        if alive(server):
            server.send_signal(signal.SIGTERM)
        wait_rusage(server, 20)
        if tool == "helgrind":
            text = read(errf)
            res["findings"] = len(re.findall(
                r"^==\d+== (Possible data race|Thread #\d+: lock order)", text, re.M))
        res["note"] = tool_note(tool, text)
    return res


# ---------------------------------------------------------------------------------------------
# memcached, paired: the small costs

PAIRED_TOOLS = ["plain", "racetrace-futex", "emptytp-sched", "emptytp-syscalls"]
PAIRED_PAIRS = 3 if QUICK else 21
PAIRED_REQUESTS = 200_000


def run_mc_paired(tool, pairs, requests, libc, ctx):
    """One memcached, it and its load generator pinned to CPU 1 (no cross-CPU wakeups, whose
    cost on this VM makes unpinned runs bimodal), the tool on CPU 0: `pairs` pairs of loads, one
    with the tool attached and one without, in alternating order, so that drift cancels. For
    tool "plain" both sides run without a tool: the A/A control."""
    port = free_port()
    argv = ["taskset", "-c", "1", *memcached_argv(port)]
    note_cmd("memcached, paired runs (pinned)", argv)
    errf = os.path.join(OUT, "mcp.server.err")
    with open(errf, "w") as e:
        server = subprocess.Popen(argv, stdout=e, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
    res = {"tool": tool, "requests": requests, "pairs": [], "events": [], "lost": [],
           "findings": 0}
    load = ["taskset", "-c", "1", f"{OUT}/mcload", "-p", str(port), "-n", str(requests),
            "-c", "4"]

    def one():
        cpu0 = cpu_ns(server.pid)
        p = subprocess.run(load, capture_output=True, text=True, timeout=300)
        cpu1 = cpu_ns(server.pid)
        if p.returncode != 0:
            raise RuntimeError("mcload: " + p.stderr.strip()[-300:])
        rate = json.loads(p.stdout.strip().splitlines()[-1])["req_per_s"]
        return rate, (cpu1 - cpu0) / requests if cpu0 is not None and cpu1 else None

    try:
        if not wait_port(port, server, 60):
            res["error"] = "memcached did not start: " + read(errf)[-300:]
            return res
        note_cmd("mcload, paired runs (pinned)", load)
        one()  # warm-up
        for i in range(pairs):
            got = {}
            for side in (("without", "with") if i % 2 == 0 else ("with", "without")):
                tracer = None
                if side == "with" and tool != "plain":
                    tracer, _ = tracer_for(tool, server.pid, libc, "mcp", ctx)
                    tracer.argv = ["taskset", "-c", "0", *tracer.argv]
                    if not tracer.start():
                        res["error"] = "tracer did not attach: " + tracer.output()[-300:]
                        tracer.stop(False)
                        return res
                try:
                    got[side] = one()
                finally:
                    if tracer:
                        tracer.stop(False)
                        if tool.startswith("racetrace"):
                            summary, findings = racetrace_summary(tracer.output())
                            if summary:
                                res["events"].append(summary["events"])
                                res["lost"].append(summary["lost"])
                            res["findings"] += len(findings)
            res["pairs"].append(got)
    except (RuntimeError, subprocess.SubprocessError, OSError, ValueError) as e:
        res["error"] = str(e)[:300]
    finally:
        if alive(server):
            server.send_signal(signal.SIGTERM)
        wait_rusage(server, 20)
    return res


def paired_stats(res):
    """Median of the per-pair ratios (with / without), its 90% bootstrap interval (pairs
    resampled, fixed seed), and the same for memcached's CPU time per request."""
    pairs = [p for p in res.get("pairs", []) if "with" in p and "without" in p]
    if not pairs:
        return None
    rng = random.Random(1)

    def summarize(xs):
        meds = sorted(median([rng.choice(xs) for _ in xs]) for _ in range(2000))
        return {"median": median(xs), "lo": meds[100], "hi": meds[1899], "min": min(xs),
                "max": max(xs)}
    st = {"n": len(pairs), "rate_without": median([p["without"][0] for p in pairs]),
          "throughput": summarize([p["with"][0] / p["without"][0] for p in pairs])}
    cpu = [p["with"][1] / p["without"][1] for p in pairs if p["with"][1] and p["without"][1]]
    if cpu:
        st["cpu"] = summarize(cpu)
    return st


# ---------------------------------------------------------------------------------------------
# Go: gobench (bench/gobench) and etcd

def run_gobench(tool, iters, ctx, tag="go"):
    """One gobench run: plain, under racetrace (attached with -p before the loop), or the
    -race build (gorace)."""
    binary = f"{OUT}/gobench.race" if tool == "gorace" else f"{OUT}/gobench"
    cmd = [binary, "-n", str(iters)]
    res = {"tool": tool, "iters": iters}
    tracer = None
    if tool == "racetrace":
        cmd.append("-wait")
    note_cmd("gobench, " + ("waiting for racetrace to attach with -p" if tool == "racetrace"
                            else tool), cmd)
    errf = os.path.join(OUT, f"{tag}.target.err")
    with open(errf, "w") as e:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=e, text=True,
                                stdin=subprocess.DEVNULL)
    try:
        if tool == "racetrace":
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError("gobench did not start")
            tracer, _ = tracer_for(tool, proc.pid, None, tag, ctx)
            if not tracer.start():
                res["error"] = "racetrace did not attach: " + tracer.output().strip()[-300:]
                return res
            os.kill(proc.pid, signal.SIGUSR1)
        out = proc.stdout.read()
        status, _ = wait_rusage(proc, 600)
    finally:
        if alive(proc):
            proc.kill()
            wait_rusage(proc, 10)
        if tracer and tracer.proc:
            tracer.stop(True, wait_s=1.5)
            summary, findings = racetrace_summary(tracer.output())
            if summary:
                res["events"], res["lost"] = summary["events"], summary["lost"]
            res["findings"] = len(findings)
            res["tracer_rss_kb"] = tracer.rss
    lines = [l for l in out.splitlines() if l.startswith("{")]
    if status != 0 or not lines:
        res["error"] = f"gobench exited {status}: " + read(errf).strip()[-300:]
        return res
    gb = json.loads(lines[-1])
    res.update(rate=gb["ops_per_s"], seconds=gb["seconds"], target_rss_kb=gb["maxrss_kb"])
    return res


def etcdctl(port, *args):
    return subprocess.run([ETCDCTL, "--endpoints", f"127.0.0.1:{port}", "--command-timeout",
                           "10s", *args], capture_output=True, text=True,
                          env=dict(os.environ, ETCDCTL_API="3"))


def run_etcd(tool, pairs, ctx, tag="etcd"):
    """etcd from Debian on loopback (a fresh data directory), racetrace attached with -p once
    it answers, then `pairs` etcdctl put+get pairs one after the other: pairs/s. Each etcdctl
    is a new process, so its start-up is part of every request, as in a shell loop."""
    client, peer = free_port(), free_port()
    data = os.path.join(OUT, f"{tag}.data")
    shutil.rmtree(data, ignore_errors=True)
    curl, purl = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
    argv = [ETCD, "--data-dir", data, "--listen-client-urls", curl, "--advertise-client-urls",
            curl, "--listen-peer-urls", purl, "--initial-advertise-peer-urls", purl,
            "--initial-cluster", f"default={purl}", "--log-level", "error"]
    res = {"tool": tool, "iters": pairs}
    note_cmd("etcd (racetrace attaches with -p)", argv)
    errf = os.path.join(OUT, f"{tag}.server.err")
    with open(errf, "w") as e:
        server = subprocess.Popen(argv, stdout=e, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
    tracer = None
    try:
        deadline = time.monotonic() + 60
        while etcdctl(client, "endpoint", "health").returncode:
            if time.monotonic() > deadline or not alive(server):
                res["error"] = "etcd did not start: " + read(errf)[-300:]
                return res
            time.sleep(0.2)
        if tool == "racetrace":
            tracer, _ = tracer_for(tool, server.pid, None, tag, ctx)
            if not tracer.start():
                res["error"] = "racetrace did not attach: " + tracer.output().strip()[-300:]
                return res
        note_cmd("etcdctl loop", [ETCDCTL, "put|get", f"x{pairs}"])
        t0 = time.monotonic()
        for i in range(pairs):
            for args in (("put", f"k{i % 50}", f"v{i}"), ("get", f"k{i % 50}")):
                if etcdctl(client, *args).returncode:
                    res["error"] = f"etcdctl {args[0]} failed"
                    return res
        secs = time.monotonic() - t0
        res.update(rate=pairs / secs, seconds=secs, target_rss_kb=vm_hwm_kb(server.pid))
    finally:
        if tracer and tracer.proc:
            tracer.stop(False)
            summary, findings = racetrace_summary(tracer.output())
            if summary:
                res["events"], res["lost"] = summary["events"], summary["lost"]
            res["findings"] = len(findings)
            res["tracer_rss_kb"] = tracer.rss
        if alive(server):
            server.send_signal(signal.SIGTERM)
        wait_rusage(server, 20)
        shutil.rmtree(data, ignore_errors=True)
    return res


def run_gosvc(tool, seconds, ctx, tag="gosvc"):
    """The go1.26 service of tests/targets/gosvc (gRPC, chi, client_golang) on loopback,
    racetrace attached with -p once it serves, then its own load mode for `seconds` (4 HTTP
    clients, a gRPC health client, a metrics scraper; not traced): requests/s."""
    hport, gport = str(free_port()), str(free_port())
    argv = [GOSVC, "serve", hport, gport]
    res = {"tool": tool, "iters": seconds}
    if not os.access(GOSVC, os.X_OK):
        res["error"] = f"{GOSVC} missing: run scripts/build_go_targets.sh 26"
        return res
    note_cmd("gosvc (racetrace attaches with -p)", argv)
    errf = os.path.join(OUT, f"{tag}.server.err")
    with open(errf, "w") as e:
        server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=e,
                                  stdin=subprocess.DEVNULL)
    tracer = None
    try:
        deadline = time.monotonic() + 60
        while "gosvc: serving" not in read(errf):
            if time.monotonic() > deadline or not alive(server):
                res["error"] = "gosvc did not start: " + read(errf)[-300:]
                return res
            time.sleep(0.2)
        if tool == "racetrace":
            tracer, _ = tracer_for(tool, server.pid, None, tag, ctx)
            if not tracer.start():
                res["error"] = "racetrace did not attach: " + tracer.output().strip()[-300:]
                return res
        load = [GOSVC, "load", hport, gport, str(seconds), "4"]
        note_cmd("gosvc load", load)
        t0 = time.monotonic()
        r = subprocess.run(load, capture_output=True, text=True, timeout=seconds + 120)
        secs = time.monotonic() - t0
        m = re.search(r"load: (\d+) requests, (\d+) failed", r.stdout)
        if r.returncode or not m:
            res["error"] = f"gosvc load exited {r.returncode}: {r.stderr.strip()[-300:]}"
            return res
        res.update(rate=int(m.group(1)) / secs, seconds=secs,
                   target_rss_kb=vm_hwm_kb(server.pid))
    finally:
        if tracer and tracer.proc:
            tracer.stop(False)
            summary, findings = racetrace_summary(tracer.output())
            if summary:
                res["events"], res["lost"] = summary["events"], summary["lost"]
            res["findings"] = len(findings)
            res["tracer_rss_kb"] = tracer.rss
        if alive(server):
            server.send_signal(signal.SIGTERM)
        wait_rusage(server, 20)
    return res


# ---------------------------------------------------------------------------------------------
# Probe placement candidates

EMULATED = re.compile(r"^(push|nop\w*|jmp|call|j[a-z]{1,3})$")


def disasm(path, start, length=64):
    out = sh(["objdump", "-d", "--no-show-raw-insn", f"--start-address={start:#x}",
              f"--stop-address={start + length:#x}", path])
    insns = []
    for line in out.splitlines():
        m = re.match(r"\s+([0-9a-f]+):\s+(\S+)\s*(.*)", line)
        if m:
            insns.append((int(m.group(1), 16), m.group(2), m.group(3).split("#")[0].strip()))
    return insns


def dynsym(path, name):
    for line in sh(["nm", "-D", "--defined-only", path]).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "Tt" and parts[2] in (name, name + "@@GLIBC_2.2.5"):
            return int(parts[0], 16)
    for line in sh(["nm", "-D", "--defined-only", path]).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].split("@")[0] == name and "@@" in parts[2]:
            return int(parts[0], 16)
    raise SystemExit(f"bench: {name} not found in {path}")


def first_emulated(insns):
    """First instruction on the straight-line path from the entry that x86 uprobes emulate
    (push, nop, jmp/call rel32, jcc) with %rdi (the mutex) and %rsp (the return address) not
    yet changed; every call to the function crosses it. None if there is no such one."""
    for addr, mnem, ops in insns:
        if EMULATED.match(mnem) and not ops.startswith("*") and mnem not in ("jmpq",):
            return addr, f"{mnem} {ops}".strip()
        if mnem.startswith(("j", "call", "ret")) or re.search(r",%(rdi|edi|rsp|esp)$", ops) \
                or mnem in ("pop", "leave"):
            return None
    return None


def racetrace_placement(binary):
    """{function: offset from its entry} where this racetrace build puts its entry probes, from
    its -v log (user/elf/probeaddr.c decides); empty if the log does not say."""
    p = subprocess.run([RACETRACE, "-v", "--", binary, "-n", "10", "-t", "1"],
                       capture_output=True, text=True, timeout=60)
    found = {}
    for m in re.finditer(r"probe (pthread_mutex_lock|pthread_mutex_unlock) at entry\+(\d+)",
                         p.stderr):
        found[m.group(1)] = int(m.group(2))
    return found


def candidates(libc, binary):
    """{name: (sites for emptyprobe, description, expected handling)} for lock and unlock."""
    cands = {}
    for fn in ("pthread_mutex_lock", "pthread_mutex_unlock"):
        short = fn.split("_")[-1]
        base = dynsym(libc, fn)
        insns = disasm(libc, base)
        a, m, o = insns[0]
        cands[f"{short}: entry"] = ([f"{libc}:{a:x}"], f"{fn}+0x0 `{m} {o}`".strip())
        fe = first_emulated(insns)
        if fe:
            cands[f"{short}: first emulated insn"] = (
                [f"{libc}:{fe[0]:x}"], f"{fn}+{fe[0] - base:#x} `{fe[1]}`")
        calls, plt = [], None
        for line in sh(["objdump", "-d", "--no-show-raw-insn", binary]).splitlines():
            mm = re.match(rf"\s+([0-9a-f]+):\s+call\s+[0-9a-f]+ <{fn}@plt>", line)
            if mm:
                calls.append(int(mm.group(1), 16))
            mm = re.match(rf"([0-9a-f]+) <{fn}@plt>:", line)
            if mm:
                plt = int(mm.group(1), 16)
        if calls:
            cands[f"{short}: call sites in target"] = (
                [f"{binary}:" + ",".join(f"{c:x}" for c in calls)],
                f"the {len(calls)} `call {fn}@plt` in lockbench (lockbench's own calls only)")
        if plt is not None:
            pi = disasm(binary, plt, 8)[0]
            cands[f"{short}: PLT stub in target"] = (
                [f"{binary}:{plt:x}"], f"{fn}@plt `{pi[1]} {pi[2]}`")
    return cands


# ---------------------------------------------------------------------------------------------
# Replay speed

def record_memcached(path, requests):
    """racetrace -o path -- memcached, under `requests` of load; returns the live summary and
    the kinds of the live findings."""
    port = free_port()
    jout = path + ".json"
    argv = [RACETRACE, "-o", path, "--json-out", jout, "--", *memcached_argv(port)]
    note_cmd("record", argv)
    for f in (path, jout):
        if os.path.exists(f):
            os.unlink(f)
    errf = path + ".err"
    with open(errf, "w") as e:
        rt = subprocess.Popen(argv, stdout=e, stderr=e, stdin=subprocess.DEVNULL)
    try:
        if not wait_port(port, rt, 60):
            raise RuntimeError("recording: memcached did not start: " + read(errf)[-300:])
        subprocess.run([f"{OUT}/mcload", "-p", str(port), "-n", str(requests), "-c", "4"],
                       check=True, capture_output=True, timeout=300)
        children = read(f"/proc/{rt.pid}/task/{rt.pid}/children").split()
        for c in children:
            os.kill(int(c), signal.SIGTERM)
        wait_rusage(rt, 60)
    finally:
        if alive(rt):
            rt.kill()
            wait_rusage(rt, 10)
    summary, findings = racetrace_summary(read(jout))
    kinds = {}
    for f in findings:
        kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
    return summary, kinds


def callgrind_top(path, n=6):
    """The n functions with the most instructions (inclusive of nothing: self cost)."""
    try:
        out = sh(["callgrind_annotate", path])
    except (OSError, subprocess.CalledProcessError):
        return []
    top = []
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*([\d.]+)%\)\s+(\S+)(?: \[(\S+)\])?", line)
        if m and "PROGRAM TOTALS" not in line:
            fn = m.group(3).replace("???:", "")
            lib = os.path.basename(m.group(4) or "")
            if fn.startswith("0x"):
                fn = "unnamed"
            top.append((f"{fn} ({lib})" if lib else fn, float(m.group(2))))
        if len(top) >= n:
            break
    return top


def replay_bench():
    res = {}
    big, small1, small2 = (int(r * SCALE) for r in REPLAY_REQUESTS)
    trace = os.path.join(OUT, "memcached.rtt")
    live, live_kinds = record_memcached(trace, big)
    times = []
    events = None
    for _ in range(5):
        argv = ["taskset", "-c", "0", RACETRACE, "report", trace, "--json"]
        note_cmd("replay", argv)
        t0 = time.perf_counter()
        p = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        times.append(time.perf_counter() - t0)
        s = racetrace_summary(p.stdout)[0]
        events = s["events"] if s else None
    # The engine alone: --profile decodes the trace into memory first, then times the engine
    # and detectors over it (the bar is about them, not about zlib).
    eng, rd = [], []
    for _ in range(5):
        argv = ["taskset", "-c", "0", RACETRACE, "report", "--profile", trace, "--json"]
        note_cmd("replay-engine", argv)
        p = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        m = re.search(r"\(([\d.]+) M events/s\); engine and detectors [\d.]+ s "
                      r"\(([\d.]+) M events/s\)", p.stderr)
        if m:
            rd.append(float(m.group(1)) * 1e6)
            eng.append(float(m.group(2)) * 1e6)
    # Symbolization is paid only for printed findings: the engine's speed over a trace with a
    # finding (lockbench --buggy) with and without symbolizing it.
    buggy = os.path.join(OUT, "lockbench-buggy.rtt")
    rec = [RACETRACE, "--json", "-o", buggy, "--", f"{OUT}/lockbench", "-n", "200000",
           "--buggy"]
    note_cmd("record-buggy", rec)
    subprocess.run(rec, capture_output=True, timeout=300)
    symrate, symsec = {}, {}
    for mode, extra in (("symbolize", []), ("no_symbolize", ["--no-symbolize"])):
        rates, secs = [], []
        for _ in range(5):
            argv = ["taskset", "-c", "0", RACETRACE, "report", "--profile", *extra, buggy,
                    "--json"]
            note_cmd(f"replay-{mode}", argv)
            p = subprocess.run(argv, capture_output=True, text=True, timeout=300)
            m = re.search(r"engine and detectors ([\d.]+) s \(([\d.]+) M events/s\)",
                          p.stderr)
            if m:
                secs.append(float(m.group(1)))
                rates.append(float(m.group(2)) * 1e6)
            if mode == "symbolize" and '"function"' not in p.stdout:
                rates, secs = [], []  # no symbolized finding: nothing to compare
                break
        symrate[mode] = median(rates) if rates else None
        symsec[mode] = median(secs) if secs else None
    res["symbolize_engine_events_per_s"] = symrate
    res["symbolize_engine_seconds"] = symsec
    res.update(engine_events_per_s_best=max(eng) if eng else None,
               engine_events_per_s_median=median(eng) if eng else None,
               read_events_per_s_median=median(rd) if rd else None)
    res.update(trace_bytes=os.path.getsize(trace), events=events, live_events=live and
               live["events"], live_lost=live and live["lost"],
               live_lost_by_reason=live and live.get("lost_by_reason"),
               live_findings=live_kinds, seconds=times,
               events_per_s_best=events / min(times) if events else None,
               events_per_s_median=events / median(times) if events else None)
    # Instructions per event: the difference of two traces, so start-up cancels out.
    irs = []
    for n in (small1, small2):
        t = os.path.join(OUT, f"memcached-{n}.rtt")
        record_memcached(t, n)
        cg = os.path.join(OUT, f"callgrind-{n}.out")
        argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={cg}", RACETRACE,
                "report", t, "--json"]
        note_cmd("callgrind", argv)
        p = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        m = re.search(r"Collected : (\d+)", p.stderr)
        s = racetrace_summary(p.stdout)[0]
        irs.append((int(m.group(1)) if m else None, s and s["events"]))
    res["callgrind"] = irs
    res["callgrind_top"] = callgrind_top(cg)
    (i1, e1), (i2, e2) = irs
    if i1 and i2 and e1 and e2 and e2 != e1:
        res["instructions_per_event"] = (i2 - i1) / (e2 - e1)
    return res


# ---------------------------------------------------------------------------------------------
# Aggregation and output

def stats(runs):
    ok = [r for r in runs if "rate" in r and not r.get("early_exit")]
    if not ok:
        return None
    rates = [r["rate"] for r in ok]
    st = {"n": len(ok), "rate_best": max(rates), "rate_median": median(rates),
          "rate_worst": min(rates),
          "iters": ok[0]["iters"]}
    for k in ("target_rss_kb", "tracer_rss_kb", "events", "hits", "cpu_ns_per_op"):
        vals = [r[k] for r in ok if r.get(k) is not None]
        if vals:
            st[k] = median(vals)
    lost = [r["lost"] for r in ok if r.get("lost") is not None]
    if lost:
        st["lost_max"] = max(lost)
    return st


def fmt_rate(x):
    if x is None:
        return "-"
    return f"{x / 1e6:.2f}M" if x >= 1e6 else f"{x / 1e3:.1f}k" if x >= 1e3 else f"{x:.1f}"


def fmt_kb(x):
    return "-" if x is None else (f"{x / 1024:.0f} MiB" if x >= 10240 else f"{x / 1024:.1f} MiB")


def fmt_ratio(x):
    if x is None:
        return "-"
    return f"{x:.4f}" if x < 0.01 else f"{x:.3f}"


def throughput_table(results):
    head = ("| workload | tool | iters/requests | ops/s (median) | ratio best | ratio median | "
            "slowdown | events | lost | target RSS | tracer RSS | note |")
    rows = [head, "|" + " --- |" * 12]
    for wl in results["workloads"]:
        plain = wl["tools"].get("plain", {}).get("stats")
        for tool, t in wl["tools"].items():
            st, note = t.get("stats"), t.get("note", "")
            if not st or not plain:
                rows.append(f"| {wl['name']} | {tool} | - | - | - | - | - | - | - | - | - | "
                            f"{note or 'no valid run'} |")
                continue
            if tool == "plain":
                note = (f"{st['n']} runs; slowest/fastest {st['rate_worst'] / st['rate_best']:.2f}"
                        " (the noise floor)")
            rb = st["rate_best"] / plain["rate_best"]
            rm = st["rate_median"] / plain["rate_median"]
            rows.append(
                f"| {wl['name']} | {tool} | {st['iters']} | {fmt_rate(st['rate_median'])} | "
                f"{fmt_ratio(rb)} | {fmt_ratio(rm)} | {1 / rm:.1f}x | "
                f"{round(st['events']) if 'events' in st else '-'} | "
                f"{st.get('lost_max', '-')} | "
                f"{fmt_kb(st.get('target_rss_kb'))} | {fmt_kb(st.get('tracer_rss_kb'))} | "
                f"{note} |")
    for name, why in results["not_yet"]:
        rows.append(f"| {name} | all | - | - | - | - | - | - | - | - | - | not yet: {why} |")
    return "\n".join(rows)


def cpu_table(results):
    """memcached's own CPU time per request under each tool (its threads' schedstat)."""
    wl = next((w for w in results["workloads"] if w["name"] == "memcached"), None)
    plain = ((wl or {}).get("tools", {}).get("plain") or {}).get("stats") or {}
    if not plain.get("cpu_ns_per_op"):
        return None
    rows = []
    for tool, t in wl["tools"].items():
        st = t.get("stats") or {}
        if st.get("cpu_ns_per_op"):
            rows.append((tool, f"{st['cpu_ns_per_op'] / 1e3:.2f}",
                         f"{st['cpu_ns_per_op'] / plain['cpu_ns_per_op']:.3f}"))
    return md_table(("tool", "memcached CPU per request (us, median)", "ratio to plain"), rows)


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def live_text(rp):
    lost = rp.get("live_lost")
    text = f"the recording run itself lost {lost} events"
    if lost:
        why = ", ".join(f"{k} {v}" for k, v in (rp.get("live_lost_by_reason") or {}).items()
                        if v)
        text += f" ({why})"
    kinds = rp.get("live_findings") or {}
    if kinds:
        text += " and reported " + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items()))
        text += (" (the -p runs of memcached above reported none: findings made from a stream "
                 "with holes)" if lost else " (the -p runs of memcached above reported none)")
    else:
        text += " and reported no findings"
    return text


def summary_lines(results):
    """The headline numbers, generated like everything else."""
    lines = []
    for wl in results["workloads"]:
        plain = (wl["tools"].get("plain") or {}).get("stats")
        parts = []
        for tool in ("racetrace", "racetrace-futex", "racetrace-daemon", "bcc-deadlock", "tsan",
                     "helgrind", "gorace"):
            st = (wl["tools"].get(tool) or {}).get("stats")
            if st and plain:
                parts.append(f"{tool} {fmt_ratio(st['rate_median'] / plain['rate_median'])}")
        if parts:
            lines.append(f"- {wl['name']}, throughput ratio to plain (median): " +
                         ", ".join(parts))
    pl = paired_line(results)
    if pl:
        lines.append(pl)
    rows = {r[0]: r for r in per_call_rows(results.get("per_call", {}))}
    if "racetrace" in rows and "emptyprobe-entry" in rows:
        lines.append(f"- added cost per probed lock+unlock pair (1 thread, median): racetrace "
                     f"{rows['racetrace'][2]} ns; an empty probe at the functions' entries "
                     f"{rows['emptyprobe-entry'][2]} ns"
                     + (f", at racetrace's addresses {rows['emptyprobe-rtsites'][2]} ns"
                        if "emptyprobe-rtsites" in rows else ""))
    rp = results.get("replay", {})
    if rp.get("events_per_s_median"):
        lines.append(f"- `racetrace report` replays {rp['events_per_s_median'] / 1e6:.2f} M "
                     "events/s on one core, start-up and decompression included")
    sr = rp.get("symbolize_engine_events_per_s") or {}
    ss = rp.get("symbolize_engine_seconds") or {}
    if sr.get("symbolize") and sr.get("no_symbolize"):
        lines.append(f"- symbolization is paid per printed finding, not per event: over a "
                     f"`lockbench --buggy` trace with one finding the engine runs "
                     f"{sr['no_symbolize'] / 1e6:.1f} M events/s without it and "
                     f"{sr['symbolize'] / 1e6:.1f} M with it; the difference, "
                     f"{(ss['symbolize'] - ss['no_symbolize']) * 1e3:.0f} ms, is printing that "
                     "one finding (reading debug info)")
    if rp.get("engine_events_per_s_median"):
        lines.append(f"- the engine and detectors alone (`racetrace report --profile`): "
                     f"{rp['engine_events_per_s_median'] / 1e6:.1f} M events/s on one core "
                     f"(median, best {rp['engine_events_per_s_best'] / 1e6:.1f} M); reading "
                     f"and checking the trace {rp['read_events_per_s_median'] / 1e6:.1f} M "
                     "events/s")
    return lines


PAIRED_WHAT = {
    "plain": "nothing (A/A control: both sides plain)",
    "racetrace-futex": "`racetrace --probes futex -p` (contention-only mode)",
    "emptytp-sched": "an empty tp_btf/sched_switch program (the floor of that mode)",
    "emptytp-syscalls": "an empty tp_btf/sys_enter + sys_exit pair (the floor of the "
                        "syscall-tracepoint way, which the lock-probing modes use)",
}


def paired_rows(results):
    rows = []
    for tool, r in (results.get("mc_paired") or {}).items():
        st = r.get("stats")
        if not st:
            rows.append([tool, PAIRED_WHAT.get(tool, tool), "-", "-", "-", "-", "-",
                         r.get("error", "no valid pair")[:160]])
            continue
        t, c = st["throughput"], st.get("cpu")
        extra = []
        if r.get("events"):
            extra.append(f"events {round(median(r['events']))} per run (median), lost "
                         f"{max(r['lost'])} max, findings {r['findings']}")
        if r.get("error"):
            extra.append("error: " + r["error"][:120])
        rows.append([tool, PAIRED_WHAT.get(tool, tool), st["n"],
                     f"{t['median']:.3f}", f"{t['lo']:.3f}-{t['hi']:.3f}",
                     f"{t['min']:.3f}-{t['max']:.3f}",
                     f"{c['median']:.3f}" if c else "-", "; ".join(extra)])
    return rows


def paired_line(results):
    mp = results.get("mc_paired") or {}
    st = (mp.get("racetrace-futex") or {}).get("stats")
    if not st:
        return None
    t = st["throughput"]
    line = (f"- memcached under `--probes futex`, paired runs (pinned): throughput "
            f"{t['median']:.3f} of plain (median of {st['n']} pairs, 90% interval within "
            "this run "
            f"{t['lo']:.3f}-{t['hi']:.3f})")
    if st.get("cpu"):
        line += f", memcached's CPU time per request {st['cpu']['median']:.3f} of plain"
    aa = (mp.get("plain") or {}).get("stats")
    if aa:
        line += f"; the A/A control (plain against plain) {aa['throughput']['median']:.3f}"
    floors = [f"{name} {(mp.get(tool) or {}).get('stats')['throughput']['median']:.3f}"
              for tool, name in (("emptytp-sched", "an empty sched_switch program"),
                                 ("emptytp-syscalls", "an empty sys_enter/sys_exit pair"))
              if (mp.get(tool) or {}).get("stats")]
    if floors:
        line += "; " + ", ".join(floors)
    return line


def placement_text(results):
    pl = results.get("placement") or {}
    if len(pl) != 2:
        return "not found in racetrace -v"
    return ", ".join(f"{f}+{off:#x}" for f, off in sorted(pl.items()))


def per_call_rows(pc):
    plain = pc.get("plain")
    rows = []
    if not plain:
        return rows
    for tool, st in pc.items():
        if tool == "plain" or tool.startswith("_") or not st:
            continue
        per_iter = 1 / st["rate_median"] - 1 / plain["rate_median"]
        per_iter_best = 1 / st["rate_best"] - 1 / plain["rate_best"]
        pairs_per_iter = pc["_pairs_per_iter"]
        rows.append([tool, st["iters"], f"{per_iter / pairs_per_iter * 1e9:.0f}",
                     f"{per_iter_best / pairs_per_iter * 1e9:.0f}", st.get("events", "-")])
    rt, floor = pc.get("racetrace"), pc.get("emptyprobe-rtsites")
    if rt and floor:
        own = (1 / rt["rate_median"] - 1 / floor["rate_median"]) / pc["_pairs_per_iter"]
        own_best = (1 / rt["rate_best"] - 1 / floor["rate_best"]) / pc["_pairs_per_iter"]
        rows.append(["racetrace minus emptyprobe-rtsites (racetrace's own work)", "-",
                     f"{own * 1e9:.0f}", f"{own_best * 1e9:.0f}", "-"])
    return rows


def candidate_rows(cand):
    rows = []
    plain = cand.get("_plain")
    for name, c in cand.items():
        if name.startswith("_"):
            continue
        st = c.get("stats")
        if not st or not plain or not st.get("hits"):
            rows.append([name, c["desc"], "-", "-", "-", "-", c.get("error", "no valid run")])
            continue
        iters = st["iters"]
        hits = st["hits"]
        ns = (iters / st["rate_median"] - iters / plain["rate_median"]) / hits * 1e9
        ns_best = (iters / st["rate_best"] - iters / plain["rate_best"]) / hits * 1e9
        cover = hits / c["pairs"]
        rows.append([name, c["desc"], iters, f"{ns:.0f}", f"{ns_best:.0f}", f"{cover:.2f}",
                     "single-stepped" if ns > 1500 else "emulated"])
    return rows


def detection_rows(det):
    rows = []
    for tool, d in det.items():
        rows.append([tool, d["buggy"], d["clean"], d.get("memcached", "-")])
    return rows


def write_results(results):
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        json.dump(results, f, indent=1, default=list)
        f.write("\n")


def render(results):
    """docs/performance.md from results alone: every value, run parameter and command comes
    from the results (bench/results.json), none from this run's globals or this machine."""
    env = results["env"]
    par = results["params"]
    rp = results.get("replay", {})
    md = []
    md.append("# Performance\n")
    md.append("Generated by `make bench` (bench/bench.py); do not edit by hand. Every number "
              "below comes from one run of it on the machine described here, and every ratio "
              "compares two measurements from that same run: absolute times on a shared "
              f"{env['ncpu']}-CPU VM are noise. Its raw data is bench/results.json, "
              "committed with it.\n")
    md.append(f"- date: {env['date']}\n- kernel: {env['kernel']}\n- CPU: {env['cpu']} "
              f"({env['ncpu']} CPUs)\n- libc: {env['libc']}\n- racetrace: {env['racetrace']}\n"
              f"- repetitions: {env['reps']} per cell, interleaved across tools"
              f"{' (QUICK smoke run: numbers not meaningful)' if par['quick'] else ''}\n"
              f"- load average (1 min) at start and end: {env['loadavg_start']} and "
              f"{env.get('loadavg_end')}\n")
    if max(env["loadavg_start"] or 0, env.get("loadavg_end") or 0) > 1.0:
        md.append("**The machine was busy with other work during this run** (load average "
                  f"above 1 on {env['ncpu']} CPUs): spreads are wide, and the *best* columns (fastest run "
                  "of each side) are the more trustworthy ones, since interference only ever "
                  "slows a run down.\n")
    md.append("## Summary\n")
    md.append("\n".join(summary_lines(results)) + "\n")
    md.append("## Throughput under each tool\n")
    md.append("ratio = throughput under the tool / plain throughput (1.0 = no cost). *best* "
              "compares the fastest repetition of each, *median* the medians; slowdown = "
              "1 / ratio median. Throughput is measured by the workload itself around its "
              "work loop only (tracers attach with `-p` before the loop starts), so "
              "iteration counts can differ per tool (a rate is a rate; helgrind gets fewer). "
              "Target RSS is the traced process's peak (under valgrind or TSan: the whole "
              "instrumented process); tracer RSS is the tracer's own peak (`wait4`). events and "
              "lost are racetrace's summary (median events, largest loss).\n")
    md.append(throughput_table(results) + "\n")
    cpu = cpu_table(results)
    if cpu:
        md.append("### memcached's CPU time per request\n")
        md.append("The CPU time memcached's own threads spent per request (their schedstat "
                  "before and after the load, divided by the requests): what a tool costs the "
                  "traced process, free of the wall-clock noise above (a VM's CPUs taken away "
                  "slow a run down without adding to its CPU time). Unpinned, it is bimodal "
                  "too (a request costs more CPU when client and server wake each other across "
                  "CPUs), so it only tells large costs apart; the paired runs below measure "
                  "the small ones.\n")
        md.append(cpu + "\n")
    if results.get("mc_paired"):
        md.append("### memcached, paired runs: the contention-only mode's cost\n")
        md.append("The runs above are too noisy for a cost of a few percent: unpinned, this "
                  "VM's throughput is bimodal (cross-CPU wakeups are expensive here). So: one "
                  "memcached (`-t 2`) with its load generator, both pinned to CPU 1, the tool "
                  f"pinned to CPU 0; {par['paired_pairs']} pairs of "
                  f"{par['paired_requests']}-request loads, one with the tool attached "
                  "(`-p`, before the load) and one without, the order alternating from pair "
                  "to pair; ratio = with / without per pair. *median* is the median of the "
                  "pair ratios, the *90% interval* a bootstrap of it (pairs resampled): "
                  "an interval within this run, of this run's pairs; another run on a "
                  "differently loaded machine can land outside it. "
                  "*CPU* the median pair ratio of memcached's own CPU time per request. The "
                  "A/A row shows what the method reads when nothing changes.\n")
        md.append(md_table(["tool", "attached", "pairs", "throughput ratio (median)",
                            "90% interval (within run)", "min-max", "CPU ratio (median)",
                            "note"],
                           paired_rows(results)) + "\n")
        md.append("Why racetrace's contention-only mode uses `sched_switch` rather than the "
                  "syscall tracepoints: while any syscall tracepoint is enabled, every system "
                  "call of every task on the machine takes the kernel's slow entry path "
                  "(memcached and its client make several per request), whereas "
                  "`sched_switch` runs once per context switch and returns at once for "
                  "tasks that are not traced.\n")
    md.append("The emptyprobe rows probe pthread_mutex_lock and pthread_mutex_unlock only; "
              "racetrace also probes trylock (with a return probe), the allocator and the "
              "rest of its families, which memcached calls too.\n")
    md.append("Workloads: *lockbench* = bench/lockbench.c, 2 threads, 4 mutexes, one short "
              "critical section per iteration plus a nested (ordered) lock every 8th; "
              "*lockbench malloc* adds a malloc and a free per iteration; *memcached* = Debian's "
              "memcached (`-t 2`) on 127.0.0.1 driven by bench/mcload.c (4 connections, one "
              "request in flight each, 10% sets). Tools: *racetrace* = default probes "
              "(threads, locks, cond, sem, alloc); *racetrace-futex* = `--probes futex` "
              "(futex waits from sched_switch only: contention-only mode); *racetrace-daemon* = `racetrace "
              "daemon` selecting the target by its executable, with dist/racetrace.conf's "
              f"budget ({par['daemon_budget']} events/s: over it the governor sheds probes); "
              "*bcc-deadlock* = Debian's "
              "deadlock-bpfcc, patched at run time as described below; *tsan* = lockbench "
              "built with `clang-19 -fsanitize=thread`; *helgrind* = `valgrind "
              "--tool=helgrind`; *emptyprobe-entry* = a uprobe running an empty program on "
              "the first instruction of pthread_mutex_lock and pthread_mutex_unlock (where BCC "
              "probes: the floor for any tracer probing there); *emptyprobe-rtsites* = the "
              "same at the addresses this racetrace build probes in those two functions "
              f"({placement_text(results)}): the floor under racetrace's own probes. "
              "*Go* = bench/gobench (go1.23): 2 goroutines, 4 sync.Mutex whose Lock and "
              "Unlock the compiler inlines, a map update per critical section and a "
              "non-blocking channel send and receive every 8th; *gorace* = the same built "
              "with `go build -race`. *etcd* = Debian's etcd-server (go1.19, stripped) on "
              "127.0.0.1, driven by etcdctl put+get pairs one after the other (a new etcdctl "
              "process per request, as in a shell loop: its start-up is part of every "
              "request); racetrace attaches with -p once etcd answers. *go1.26 service* = "
              "tests/targets/gosvc (gRPC, chi, client_golang; go1.26) on 127.0.0.1 under its "
              f"own load mode for {par['gosvc_seconds']} s (4 HTTP clients, a gRPC health client, a "
              "metrics scraper; requests/s); racetrace attaches with -p once it serves.\n")
    md.append("## Detection of the known inversion\n")
    md.append("`lockbench --buggy` takes A then B in one thread and, strictly after it, B then "
              "A in another (ordered by an atomic flag: it never deadlocks). *reported* means "
              "the tool reported a lock-order cycle of exactly those two locks (matched by "
              "address). *clean runs* counts lock-order reports on the non-buggy lockbench runs "
              "(any report there is a false positive).\n")
    md.append("*memcached runs* counts what each tool reported on memcached: racetrace "
              "findings of any kind, BCC cycles, helgrind errors.\n")
    md.append(md_table(["tool", "lockbench --buggy", "clean lockbench runs", "memcached runs"],
                       detection_rows(results["detection"])) + "\n")
    md.append("## Added cost per probed call\n")
    pc = results.get("per_call", {})
    md.append("lockbench with 1 thread, iterations calibrated per tool to about "
              f"{par['single_target_s']:g} s, {pc.get('_pairs_per_iter', 0):.3f} lock+unlock "
              "pairs per iteration: (time per iteration under the tool - time per iteration "
              "of the plain runs) / pairs per iteration = ns per pair of probed calls (one "
              "pthread_mutex_lock + one pthread_mutex_unlock). *racetrace-locks* is "
              "`--probes locks`. The *emptyprobe* rows are the floor at the functions' entries "
              "and at racetrace's own probe addresses; the last row is what racetrace adds "
              "over an empty program at the same addresses (BPF work, ring buffer, the "
              f"consumer competing for the {env['ncpu']} CPUs).\n")
    md.append(md_table(["tool", "iters", "ns per pair (median)", "ns per pair (best)", "events"],
                       per_call_rows(pc)) + "\n")
    md.append("## Probe placement candidates\n")
    md.append("An empty uprobe (bench/empty.bpf.c: count the hit, return) at each candidate "
              "address, 1-thread lockbench: added ns per hit = (time under the probe - plain "
              "time) / hits. *coverage* = hits / lockbench's own calls of the function: 1.00 "
              "when every call is seen; PLT stubs and call sites only see the target's own "
              "calls, not libc's internal ones (e.g. from pthread_cond_wait). x86 uprobes "
              "emulate push, nop, jmp/call rel32 and jcc; other instructions are "
              "single-stepped out of line, which costs several us per hit here.\n")
    md.append(md_table(["candidate", "address", "iters", "ns per hit (median)", "ns per hit (best)",
                        "coverage", "handling (from the cost)"],
                       candidate_rows(results.get("candidates", {}))) + "\n")
    md.append("## Replay speed of `racetrace report`\n")
    if rp.get("events"):
        para = []
        para.append(f"A trace of memcached under {par['replay_requests']} requests "
                    f"(`racetrace -o`): {rp['events']} events, {rp['trace_bytes']} bytes "
                    f"({rp['trace_bytes'] / rp['events']:.1f} bytes/event on disk), "
                    f"{live_text(rp)}. `taskset -c 0 racetrace report` over "
                    f"{len(rp['seconds'])} runs: "
                    f"{rp['events_per_s_best'] / 1e6:.2f} M events/s best, "
                    f"{rp['events_per_s_median'] / 1e6:.2f} M events/s median "
                    f"(one core, including start-up and decompression).")
        if rp.get("engine_events_per_s_median"):
            para.append(f" The engine and detectors alone (`report --profile`, which decodes "
                        f"the whole trace into memory first): "
                        f"{rp['engine_events_per_s_median'] / 1e6:.1f} M events/s median, "
                        f"{rp['engine_events_per_s_best'] / 1e6:.1f} M best; decoding "
                        f"{rp['read_events_per_s_median'] / 1e6:.1f} M events/s.")
        if rp.get("instructions_per_event"):
            para.append(f" callgrind: {rp['instructions_per_event']:.0f} instructions per "
                        f"event (difference of two traces, {rp['callgrind'][0][1]} and "
                        f"{rp['callgrind'][1][1]} events, so start-up cancels out).")
        if rp.get("callgrind_top"):
            para.append(" Where the instructions go (callgrind, self cost, larger trace): " +
                        ", ".join(f"{fn} {pct:.1f}%" for fn, pct in rp["callgrind_top"]) + ".")
        md.append("".join(para) + "\n")
    else:
        md.append(f"not measured: {rp.get('error', 'no trace')}\n")
    md.append("## Notes\n")
    for n in results["notes"]:
        md.append(f"- {n}")
    md.append("\n## Commands\n")
    md.append("Pids, ports and paths of this run appear as they were; `.output/bench/` holds "
              "the built helpers. One command per kind:\n")
    md.append("```")
    for kind, text in results["commands"]:
        md.append(f"# {kind}\n{text}")
    md.append("```\n")
    return "\n".join(md)


def write_doc(results, path=PERF_MD):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(render(results))


# ---------------------------------------------------------------------------------------------

def main():
    t_start = time.monotonic()
    os.chdir(ROOT)
    build()
    stock, fixed, bcc_why = prepare_bcc()
    binary = f"{OUT}/lockbench"
    libc = libc_path(binary)
    cands = candidates(libc, binary)
    lock_entry = cands["lock: entry"][0][0].split(":")[1]
    unlock_entry = cands["unlock: entry"][0][0].split(":")[1]
    sites = {"emptyprobe-entry": [f"{libc}:{lock_entry},{unlock_entry}"]}
    placement = racetrace_placement(binary)
    if len(placement) == 2:
        sites["emptyprobe-rtsites"] = [f"{libc}:" + ",".join(
            f"{int(e, 16) + placement[f]:x}" for e, f in
            ((lock_entry, "pthread_mutex_lock"), (unlock_entry, "pthread_mutex_unlock")))]
    for name, (s, _) in cands.items():
        sites["emptyprobe:" + name] = s
    ctx = {"stock": stock, "fixed": fixed, "sites": sites}

    results = {"env": {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "kernel": platform.release(), "ncpu": os.cpu_count(),
        "cpu": next((l.split(":", 1)[1].strip() for l in read("/proc/cpuinfo").splitlines()
                     if l.startswith("model name")), "?"),
        "libc": f"{libc} ({sh(['ldd', '--version']).splitlines()[0]})",
        "racetrace": sh(["git", "-C", ROOT, "describe", "--always", "--dirty"]).strip(),
        "reps": REPS, "loadavg_start": loadavg()}, "workloads": [], "detection": {},
        "notes": [],
        # the run's parameters, as the prose of docs/performance.md quotes them (render())
        "params": {"quick": QUICK, "scale": SCALE, "paired_pairs": PAIRED_PAIRS,
                   "paired_requests": max(2000, int(PAIRED_REQUESTS * SCALE)),
                   "daemon_budget": DAEMON_BUDGET,
                   "gosvc_seconds": max(5, int(GOSVC_SECONDS * SCALE)),
                   "single_target_s": SINGLE_TARGET_S * SCALE,
                   "replay_requests": int(REPLAY_REQUESTS[0] * SCALE)}}
    notes = results["notes"]

    eps = [t for t in ("emptyprobe-entry", "emptyprobe-rtsites") if t in sites]
    lb_tools = ["plain", "racetrace", "racetrace-futex", "racetrace-daemon", "bcc-deadlock",
                *eps, "tsan", "helgrind"]
    mc_tools = ["plain", "racetrace", "racetrace-futex", "racetrace-daemon", "bcc-deadlock",
                *eps, "helgrind"]
    if bcc_why:
        lb_tools.remove("bcc-deadlock")
        mc_tools.remove("bcc-deadlock")
        notes.append(f"BCC deadlock-bpfcc not run: {bcc_why}")

    def iters_for(tool):
        return max(1000, int(LB_ITERS["emptyprobe" if tool.startswith("emptyprobe") else tool]
                             * SCALE))

    workloads = [("lockbench", []), ("lockbench malloc", ["--malloc"])]
    raw = {(w, t): [] for w, _ in workloads for t in lb_tools}
    raw.update({("memcached", t): [] for t in mc_tools})
    go_tools = ["plain", "racetrace", "gorace"]
    etcd_tools = ["plain", "racetrace"]
    raw.update({("go", t): [] for t in go_tools})
    raw.update({("etcd", t): [] for t in etcd_tools})
    raw.update({("gosvc", t): [] for t in etcd_tools})
    for rep in range(REPS):
        log(f"bench: repetition {rep + 1}/{REPS} ({time.monotonic() - t_start:.0f} s)")
        for tool in go_tools:
            for _ in range(3 if tool == "plain" else 1):
                raw[("go", tool)].append(run_gobench(tool, max(1000, int(GO_ITERS[tool] *
                                                                          SCALE)), ctx))
        if rep < max(2, REPS // 2):  # each etcd run takes tens of seconds
            for tool in etcd_tools:
                raw[("etcd", tool)].append(run_etcd(tool, max(20, int(ETCD_PAIRS * SCALE)),
                                                    ctx))
            for tool in etcd_tools:
                raw[("gosvc", tool)].append(run_gosvc(tool, max(5, int(GOSVC_SECONDS * SCALE)),
                                                      ctx))
        for wname, args in workloads:
            for tool in lb_tools:
                # cheap runs without a tracer start-up: three samples per repetition
                for _ in range(3 if tool in ("plain", "tsan") else 1):
                    raw[(wname, tool)].append(run_lockbench(tool, args, iters_for(tool), libc,
                                                            ctx))
        for tool in mc_tools:
            n = MC_REQUESTS.get(tool, MC_REQUESTS["default"])
            # the two cheap cells, whose difference is the smallest claim: more samples
            for _ in range(3 if tool in ("plain", "racetrace-futex") else 1):
                raw[("memcached", tool)].append(run_memcached(tool, max(500, int(n * SCALE)),
                                                              libc, ctx))
    log(f"bench: memcached, paired ({time.monotonic() - t_start:.0f} s)")
    results["mc_paired"] = {}
    for tool in PAIRED_TOOLS:
        r = run_mc_paired(tool, PAIRED_PAIRS, max(2000, int(PAIRED_REQUESTS * SCALE)), libc, ctx)
        results["mc_paired"][tool] = {"stats": paired_stats(r), **r}
    go_names = {"go": "Go (goroutines, sync.Mutex, channels)", "etcd": "etcd",
                "gosvc": "go1.26 service (gRPC, chi, client_golang)"}
    for wname in [w for w, _ in workloads] + ["memcached", "go", "etcd", "gosvc"]:
        tools = {}
        for tool in {"memcached": mc_tools, "go": go_tools, "etcd": etcd_tools,
                     "gosvc": etcd_tools}.get(wname, lb_tools):
            runs = raw[(wname, tool)]
            errs = sorted({r["error"] for r in runs if "error" in r})
            early = any(r.get("early_exit") for r in runs)
            note = "; ".join(filter(None, [
                next((r["note"] for r in runs if r.get("note")), ""),
                "exited early on a (false) cycle: runs dropped" if early else "",
                ("error: " + errs[0][:160]) if errs else ""]))
            tools[tool] = {"stats": stats(runs), "runs": runs, "note": note}
        if wname == "memcached":
            tools["tsan"] = {"stats": None, "runs": [],
                             "note": "not run: needs memcached rebuilt with -fsanitize=thread"}
        if wname in ("etcd", "gosvc"):
            tools["gorace"] = {"stats": None, "runs": [],
                               "note": "not run: needs etcd rebuilt with go build -race"
                               if wname == "etcd" else "not run: no -race build of the service"}
        results["workloads"].append({"name": go_names.get(wname, wname), "tools": tools})
    results["not_yet"] = []

    # Detection: the --buggy variant once per tool, and what the clean runs reported.
    log(f"bench: detection ({time.monotonic() - t_start:.0f} s)")
    det_tools = ["racetrace", "racetrace-futex", "bcc-deadlock", "bcc-deadlock-stock", "tsan",
                 "helgrind"]
    if bcc_why:
        det_tools = [t for t in det_tools if not t.startswith("bcc")]
    for tool in det_tools:
        it = iters_for("bcc-deadlock" if tool.startswith("bcc") else tool)
        buggy = [run_lockbench(tool, ["--buggy"], it, libc, ctx, tag="det")]
        clean = raw.get(("lockbench", tool)) or [
            run_lockbench(tool, [], it, libc, ctx, tag="det")]
        clean_reports = sum(len(r.get("reports", [])) for r in clean)
        d = {"buggy": detection_verdict(buggy),
             "clean": f"{clean_reports} report(s) in {len(clean)} run(s)",
             "buggy_runs": buggy}
        mc = raw.get(("memcached", tool))
        if mc:
            d["memcached"] = detection_text(mc, "report(s)")
        results["detection"][tool] = d

    # Per-call cost, 1 thread.
    log(f"bench: per-call cost and probe candidates ({time.monotonic() - t_start:.0f} s)")
    pc_tools = ["racetrace", "racetrace-locks", *eps]
    cand_names = list(cands)
    pc_raw = {t: [] for t in ["plain"] + pc_tools}
    cand_raw = {c: [] for c in cand_names}

    def calibrate(tool):
        lo, hi = SINGLE_BOUNDS
        r = run_lockbench(tool, ["-t", "1"], lo, libc, ctx, tag="cal")
        if not r.get("seconds"):
            return lo
        return int(min(hi, max(lo, SINGLE_TARGET_S * SCALE * lo / r["seconds"])))
    n_single = {t: calibrate(t) for t in ["plain"] + pc_tools}
    n_single.update({c: calibrate("emptyprobe:" + c) for c in cand_names})
    for rep in range(REPS):
        for t in ["plain"] + pc_tools:
            pc_raw[t].append(run_lockbench(t, ["-t", "1"], n_single[t], libc, ctx, tag="pc"))
        for c in cand_names:
            cand_raw[c].append(run_lockbench("emptyprobe:" + c, ["-t", "1"], n_single[c], libc,
                                             ctx, tag="cand"))
    pairs_per_iter = next(r["pairs"] / r["iters"] for r in pc_raw["plain"] if "pairs" in r)
    results["per_call"] = {t: stats(r) for t, r in pc_raw.items()}
    results["per_call"]["_pairs_per_iter"] = pairs_per_iter
    results["placement"] = placement
    results["per_call_runs"] = pc_raw
    results["candidates"] = {"_plain": stats(pc_raw["plain"])}
    for c in cand_names:
        runs = cand_raw[c]
        errs = [r["error"] for r in runs if "error" in r]
        results["candidates"][c] = {
            "desc": cands[c][1], "stats": stats(runs), "runs": runs,
            "pairs": n_single[c] * pairs_per_iter, **({"error": errs[0][:160]} if errs else {})}

    log(f"bench: replay ({time.monotonic() - t_start:.0f} s)")
    try:
        results["replay"] = replay_bench()
    except (RuntimeError, subprocess.SubprocessError, OSError) as e:
        results["replay"] = {"error": str(e)[:300]}

    notes.append("Tracers are started and attached to a waiting target before its timed loop: "
                 "attach and start-up (BCC compiles its program with clang at start) are not in "
                 "the ratios.")
    if not bcc_why:
        notes.append("deadlock-bpfcc is copied from Debian's bpfcc-tools into .output/bench at "
                     "run time and patched there, never committed: (1) its kretprobe on clone() "
                     f"(thread-parent names only) is optional{KPROBES_NOTE}; "
                     "(2) *bcc-deadlock* also fixes its unlock handler, which copies the map "
                     "value with bpf_probe_read_user() from a kernel address: that read fails "
                     "on current kernels, no unlock is recorded, and the stock tool "
                     "(*bcc-deadlock-stock*, detection only) reports cycles in correct "
                     "programs and then exits. BCC compiles against Debian's 6.1 kernel headers "
                     "linked at /lib/modules/$(uname -r)/build (bench/deps.sh); the running "
                     "kernel is " + platform.release() + ".")
    notes.append("TSan and helgrind run a rebuilt or emulated lockbench, not an attached one, "
                 "so their columns compare the whole-program cost of those approaches; "
                 "TSan also instruments every memory access, which racetrace does not do.")
    notes.append("racetrace-futex sees only contended locks (futex waits), so it cannot see "
                 "lock order in an uncontended inversion: its 'not reported' is by design.")
    notes.append(f"Whole bench took {time.monotonic() - t_start:.0f} s.")
    results["env"]["seconds"] = round(time.monotonic() - t_start)
    results["env"]["loadavg_end"] = loadavg()
    results["commands"] = COMMANDS
    write_results(results)
    write_doc(results)
    print(open(PERF_MD).read())
    log(f"bench: wrote {os.path.relpath(RESULTS, ROOT)} and {os.path.relpath(PERF_MD, ROOT)}")


def render_main(argv):
    """bench.py --render [--check] [RESULTS [DOC]]: DOC (docs/performance.md) from RESULTS
    (bench/results.json) alone, without running anything; --check compares instead of
    writing (make test does)."""
    check = "--check" in argv
    args = [a for a in argv if a not in ("--render", "--check")]
    src = args[0] if args else os.path.join(ROOT, "bench", "results.json")
    doc = args[1] if len(args) > 1 else os.path.join(ROOT, "docs", "performance.md")
    try:
        with open(src) as f:
            results = json.load(f)
        text = render(results)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"bench: cannot render {src}: {e!r} (a results file from make bench at or "
              "after the render step)", file=sys.stderr)
        return 1
    if not check:
        with open(doc, "w") as f:
            f.write(text)
        return 0
    with open(doc) as f:
        have = f.read()
    if have == text:
        print(f"bench: {os.path.relpath(doc, ROOT)} is what {os.path.relpath(src, ROOT)} renders")
        return 0
    import difflib
    sys.stdout.writelines(list(difflib.unified_diff(
        have.splitlines(True), text.splitlines(True), "docs/performance.md (committed)",
        "rendered from " + src))[:60])
    print(f"bench: {os.path.relpath(doc, ROOT)} differs from what {src} renders: edit "
          "bench.py's render() or rerun make bench, and commit both files", file=sys.stderr)
    return 1


if __name__ == "__main__":
    if "--render" in sys.argv[1:]:
        sys.exit(render_main(sys.argv[1:]))
    main()
