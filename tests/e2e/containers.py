# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of targets in containers: a process in a minimal Debian root of its own
(debootstrap'd once by scripts/container_root.sh into .output/roots/, which `make clean`
removes), started as `unshare --pid --fork --mount chroot ROOT /srv/NAME`, so it has its own
mount and pid namespaces and its /proc/PID/maps name files of that root.

  container-pid       `racetrace -p HOSTPID` finds abba's inversion, symbolized to abba.c:LINE
                      in the target's own binary, whose path does not exist on the host, and
                      probes the root's libc (not the host's file of the same path); the
                      threads carry their ids in the target's pid namespace too (nstid)
  container-replaced  the binary is replaced in the root after the target started (maps say
                      "(deleted)", the path now names another program): the same result
  container-libc      a second root whose libc6 is another build (bookworm-security's or
                      -updates', found and fetched through a private apt state): racetrace's
                      uprobe links are on that root's libc.so.6, none on the host's, and the
                      inversion is found
  container-daemon    `racetrace daemon` selects the container by a cgroup the test makes
                      (cgroup v2, under /sys/fs/cgroup/unified on a hybrid machine) and reports
                      the inversion with the host pid

The first run of these tests debootstraps the roots (a few minutes; the packages are kept in
/var/cache/racetrace/debootstrap); later runs reuse them.
"""
import os
import re
import shutil
import subprocess
import time

import daemon as dm
import harness as h

ROOTS = os.path.join(h.ROOT, ".output", "roots")
ROOT_SCRIPT = os.path.join(h.ROOT, "scripts", "container_root.sh")
PLAIN_ROOT = "bookworm"
ROOT_BUILD_TIMEOUT = 1800  # debootstrap, the first time
LIBC = "usr/lib/x86_64-linux-gnu/libc.so.6"
ABBA_EDGES = {("lock_a", "lock_b"): "thread_ab", ("lock_b", "lock_a"): "thread_ba"}
EDGE_SYM = re.compile(r"^(thread_ab|thread_ba)\+0x[0-9a-f]+ \(abba\.c:\d+\)( \(deleted\))?$")
CGROUP_V2 = "/sys/fs/cgroup/unified"


def need_root(ctx, name, libc=None):
    """The path of root `name`, built by scripts/container_root.sh when missing."""
    h.need_program("debootstrap", "debootstrap")
    path = os.path.join(ROOTS, name)
    argv = [ROOT_SCRIPT, path] + ([libc] if libc else [])
    ctx.log("$ " + " ".join(argv))
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=ROOT_BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise h.Fail(f"container root {name}: not built within {ROOT_BUILD_TIMEOUT} s")
    ctx.log(r.stdout + r.stderr)
    h.check(r.returncode == 0, f"container root {name} built",
            (r.stderr.strip().splitlines() or ["?"])[-1])
    return path


# A private apt state (sources, lists) for finding and fetching that second build: the
# machine's own apt sources are not touched, and a minimal Debian has no security suite in them
APT_DIR = os.path.join(ROOTS, "apt")
DEB_CACHE = "/var/cache/racetrace/debootstrap"  # where scripts/container_root.sh looks first
UPDATE_SUITES = [(os.environ.get("RT_ROOT_SECURITY_MIRROR", "http://deb.debian.org/debian-security"),
                  "bookworm-security"),
                 (os.environ.get("RT_ROOT_MIRROR", "http://deb.debian.org/debian"),
                  "bookworm-updates")]


def private_apt(ctx, *argv, cwd=None):
    opts = ["-o", f"Dir::Etc::SourceList={APT_DIR}/sources.list",
            "-o", "Dir::Etc::SourceParts=/nonexistent", "-o", f"Dir::State::Lists={APT_DIR}/lists",
            "-o", f"Dir::Cache={APT_DIR}/cache", "-o", "Debug::NoLocking=1",
            "-o", "APT::Get::List-Cleanup=0"]
    cmd = [argv[0], *opts, *argv[1:]]
    ctx.log("$ " + " ".join(cmd))
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=600)
    ctx.log(r.stdout[-2000:] + r.stderr[-2000:])
    return r


def other_libc(ctx, plain):
    """A libc6 build other than the one debootstrap put in the plain root (bookworm main's):
    bookworm-security's or -updates', looked up through a private apt state (the archive moves
    on, so no version is pinned) and downloaded into DEB_CACHE for container_root.sh."""
    r = subprocess.run(["dpkg-query", f"--admindir={plain}/var/lib/dpkg", "-W", "-f",
                        "${Version}", "libc6"], capture_output=True, text=True)
    main = r.stdout.strip()
    h.check(r.returncode == 0 and main, "the plain root's libc6 version", r.stderr.strip())
    for d in ("lists/partial", "cache/archives/partial"):
        os.makedirs(os.path.join(APT_DIR, d), exist_ok=True)
    with open(os.path.join(APT_DIR, "sources.list"), "w") as f:
        f.writelines(f"deb {m} {suite} main\n" for m, suite in UPDATE_SUITES)
    up = private_apt(ctx, "apt-get", "-q", "update")
    h.check(up.returncode == 0, "apt-get update of " +
            ", ".join(s for _, s in UPDATE_SUITES) + " (a private apt state)",
            (up.stderr.strip().splitlines() or ["?"])[-1])
    mad = private_apt(ctx, "apt-cache", "madison", "libc6")
    versions = [row[1] for row in ([f.strip() for f in line.split("|")]
                                   for line in mad.stdout.splitlines())
                if len(row) >= 3 and row[0] == "libc6" and "amd64" in row[2]]
    others = [v for v in versions if v != main]
    if not others:
        raise h.Fail(f"container-libc needs a libc6 build besides the plain root's {main}: "
                     f"{', '.join(s for _, s in UPDATE_SUITES)} list {versions or 'none'}")
    other = others[0]
    deb = os.path.join(DEB_CACHE, f"libc6_{other.replace(':', '%3a')}_amd64.deb")
    if not os.path.exists(deb):
        os.makedirs(DEB_CACHE, exist_ok=True)
        dl = private_apt(ctx, "apt-get", "-q", "download", f"libc6={other}", cwd=DEB_CACHE)
        h.check(dl.returncode == 0 and os.path.exists(deb), f"libc6 {other} downloaded",
                (dl.stderr.strip().splitlines() or ["?"])[-1])
    return other


def same_file(a, b):
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


class Container:
    """A target program copied into root as /srv/NAME and started there with its own mount
    and pid namespaces, waiting (-w) for a line on stdin. argv_prefix runs before unshare
    (e.g. joining a cgroup)."""

    def __init__(self, ctx, root, target, argv_prefix=()):
        self.root = root
        self.name = f"rt-{os.getpid()}-{target}"
        self.inside = f"/srv/{self.name}"
        self.host_path = os.path.join(root, self.inside.lstrip("/"))
        self.copy = ctx.tmp(f".{target}")  # the same bytes outside the root, for nm
        shutil.copy2(h.need_target(target), self.copy)
        shutil.copy2(self.copy, self.host_path)
        self.p = h.Proc(ctx, [*argv_prefix, "unshare", "--pid", "--fork", "--mount", "chroot",
                              root, self.inside, "-w"], stdin=subprocess.PIPE)
        self.pid = self.find_pid()
        ctx.log(f"{self.inside} runs as host pid {self.pid}")

    def find_pid(self):
        """The host pid of the program in the container: the process whose exe is our copy."""
        deadline = time.monotonic() + h.TIMEOUT
        while time.monotonic() < deadline:
            for name in os.listdir("/proc"):
                if not name.isdigit():
                    continue
                try:
                    exe = os.readlink(f"/proc/{name}/exe")
                except OSError:
                    continue
                # by the file, not its path: when the tests run chrooted themselves (as in
                # scripts/fresh-check.sh), /proc shows a container's exe under the host's root
                if exe.endswith(self.inside) and same_file(f"/proc/{name}/exe",
                                                           self.host_path):
                    return int(name)
            h.check(self.p.alive(), "the container starts",
                    f"unshare exited {self.p.p.poll()}: {self.p.err[-3:]}")
            time.sleep(0.1)
        raise h.Fail(f"the container starts: no process runs {self.host_path}")

    def nspid(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return [int(x) for x in line.split()[1:]]
        return []

    def release(self):
        self.p.write("go\n")
        self.p.close_stdin()

    def finish(self):
        rc = self.p.wait(h.TIMEOUT, "the container exits in time")
        h.check(rc == 0, "the target in the container exits 0",
                f"exit {rc}: {self.p.err[-1] if self.p.err else ''}")

    def remove(self):
        for path in (self.host_path, self.copy):
            try:
                os.unlink(path)
            except OSError:
                pass


def check_symbolized(f, deleted=False):
    """Every edge's sites are in thread_ab/thread_ba at abba.c:LINE, marked deleted or not."""
    for e in f["edges"]:
        for k in ("held_site", "acquire_site"):
            sym = e[k].get("sym") if isinstance(e[k], dict) else None
            m = EDGE_SYM.match(sym) if isinstance(sym, str) else None
            h.check(m, f"edge {k} is symbolized to the target's abba.c:LINE", repr(e[k]))
            h.check(bool(m.group(2)) == deleted, f"edge {k} is {'' if deleted else 'not '}"
                    "marked deleted", repr(sym))


def check_nstids(f):
    """The threads of the finding carry their tid in the container's pid namespace: distinct,
    small (the container's pid 1 is the target) and not the host tid."""
    infos = f.get("thread_info") or []
    h.check(len(infos) == len(f["threads"]), "thread_info for every thread", repr(infos))
    ns = []
    for ti in infos:
        n = ti.get("nstid")
        h.check(h.is_int(n) and n > 1 and n != ti.get("tid"),
                "thread_info has the tid in the target's pid namespace (nstid)", repr(ti))
        ns.append(n)
    h.check(len(set(ns)) == len(ns), "nstids are distinct", repr(ns))


def trace_container(ctx, root, replace=False):
    """Start abba in root, (replace its binary), attach -p, release it; returns (findings,
    summary, racetrace Proc, Container)."""
    before = h.LinkSnapshot()
    c = Container(ctx, root, "abba")
    try:
        h.check(not os.path.exists(c.inside),
                f"{c.inside} does not exist on the host", "it does: pick another name")
        h.check(not same_file(os.path.join("/", LIBC), os.path.join(root, LIBC)),
                "the root's libc.so.6 is not the host's file")
        nspid = c.nspid()
        h.check(len(nspid) == 2 and nspid[-1] == 1, "the target is pid 1 of its own pid "
                "namespace", repr(nspid))
        if replace:
            os.unlink(c.host_path)
            shutil.copy2(h.need_target("ordered"), c.host_path)
            with open(f"/proc/{c.pid}/maps") as f:
                maps = f.read()
            h.check(f"{c.host_path} (deleted)" in maps, "maps say the binary was deleted",
                    maps[:300])
        r = h.Proc(ctx, [h.RACETRACE, "--json", "-p", c.pid])
        h.wait_tracing(r, c.pid)
        c.release()
        c.finish()
        rc = r.wait(h.TIMEOUT, "racetrace exits after the target")
        findings, summary = h.parse_jsonl(r)
        h.check_report(findings, summary, c.pid, 1, 2)
        h.check(rc == h.FINDINGS_RC, f"racetrace exit status {h.FINDINGS_RC} (findings)",
                f"got {rc}")
        h.check(summary["lost"] == 0, "nothing lost", repr(summary["lost"]))
        h.check_in_target(findings[0], c.copy, ABBA_EDGES)
        check_symbolized(findings[0], replace)
        h.check_no_leaked_links(ctx, before, {r.pid, c.pid})
        return findings, summary, r, c
    finally:
        c.remove()


@h.test("container-pid")
def t_container_pid(ctx):
    root = need_root(ctx, PLAIN_ROOT)
    findings, summary, r, c = trace_container(ctx, root)
    check_nstids(findings[0])


@h.test("container-replaced")
def t_container_replaced(ctx):
    root = need_root(ctx, PLAIN_ROOT)
    trace_container(ctx, root, replace=True)


@h.test("container-libc")
def t_container_libc(ctx):
    plain = need_root(ctx, PLAIN_ROOT)
    other = other_libc(ctx, plain)
    ctx.log(f"libc6 {other}: another build than the plain root's")
    root = need_root(ctx, "bookworm-libc-" + other.split("+")[-1].replace(":", "_"), other)
    libc, host_libc = os.path.join(root, LIBC), os.path.realpath(os.path.join("/", LIBC))
    with open(libc, "rb") as a, open(os.path.join(plain, LIBC), "rb") as b:
        h.check(a.read() != b.read(), f"the root's libc.so.6 ({other}) is another build "
                "than the plain root's")
    before = h.LinkSnapshot()
    c = Container(ctx, root, "abba")
    try:
        r = h.Proc(ctx, [h.RACETRACE, "--json", "-p", c.pid])
        h.wait_tracing(r, c.pid)
        # the uprobe links racetrace holds, and the files they are on (fdinfo's path)
        paths = {i.get("path") for i in h.bpf_links_of(r.pid).values()
                 if i.get("link_type") == "uprobe_multi"}
        ctx.log(f"racetrace's uprobe links are on {sorted(map(str, paths))}")
        # (run chrooted, as in fresh-check, the kernel names a file of the container's mount
        # namespace from the host's root: the same path with the chroot's directory before it)
        mine = os.path.realpath(libc)
        h.check(any(p and (p == mine or p.endswith(mine)) for p in paths),
                "a uprobe link on the root's libc.so.6", repr(sorted(map(str, paths))))
        h.check(host_libc not in paths, "no uprobe link on the host's libc.so.6",
                repr(sorted(map(str, paths))))
        c.release()
        c.finish()
        rc = r.wait(h.TIMEOUT, "racetrace exits after the target")
        findings, summary = h.parse_jsonl(r)
        h.check_report(findings, summary, c.pid, 1, 2)
        h.check(rc == h.FINDINGS_RC, f"racetrace exit status {h.FINDINGS_RC} (findings)",
                f"got {rc}")
        h.check_in_target(findings[0], c.copy, ABBA_EDGES)
        check_symbolized(findings[0])
        h.check_no_leaked_links(ctx, before, {r.pid, c.pid})
    finally:
        c.remove()


@h.test("container-daemon")
def t_container_daemon(ctx):
    root = need_root(ctx, PLAIN_ROOT)
    h.check(os.path.exists(os.path.join(CGROUP_V2, "cgroup.procs")),
            f"cgroup v2 at {CGROUP_V2}", "mount it: mount -t cgroup2 none " + CGROUP_V2)
    name = f"racetrace-e2e-{os.getpid()}"
    cg = os.path.join(CGROUP_V2, name)
    os.makedirs(cg, exist_ok=True)
    try:
        with dm.Scratch(ctx) as scratch:
            before = h.LinkSnapshot()
            d = dm.Daemon(ctx, scratch, [("target", {"name": "container", "cgroup": "/" + name})])
            # join the cgroup, then start the container: everything in it is in the cgroup
            c = Container(ctx, root, "abba", ["sh", "-c", f'echo $$ > {cg}/cgroup.procs && '
                                              'exec "$@"', "sh"])
            try:
                # its pid is attached once per exec (chroot, then the program): wait for the
                # program's
                line = d.p.wait_line("stderr", lambda s: s.startswith(
                    f"racetrace: attached to pid {c.pid} ({c.name[:15]}, "), dm.ATTACH_WAIT)
                h.check(line is not None, "the daemon attaches the container's program by "
                        "cgroup", d.p.err[-3:])
                c.release()
                c.finish()
                fs = d.wait_findings(lambda fs: any(f.get("pid") == c.pid for f in fs),
                                     dm.FINDING_WAIT, "a finding for the container")
                mine = [f for f in fs if f.get("pid") == c.pid]
                h.check([f["kind"] for f in mine] == [h.INVERSION],
                        "one lock-order-inversion and nothing else", repr(mine))
                h.check_finding(mine[0], c.pid)
                h.check_inversion(mine[0], 2, c.pid)
                check_symbolized(mine[0])
                line = d.p.wait_line("stderr", lambda s: s.startswith(
                    f"racetrace: detached from pid {c.pid} ({c.name[:15]}): "), dm.DETACH_WAIT)
                h.check(line and line.endswith(": it exited"),
                        "the daemon detaches the container's program: it exited", repr(line))
                d.stop(before, {c.pid})
            finally:
                c.remove()
    finally:
        for _ in range(50):
            try:
                os.rmdir(cg)
                break
            except OSError:
                time.sleep(0.1)
