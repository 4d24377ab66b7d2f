# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of bad input and a machine racetrace cannot work on: each case is one line
on stderr that names the problem (and the check, for the kernel), exit status 1, and no uprobe
link left behind by that racetrace.

  badinput-cmd-kinds   `--` with a path that does not exist, a directory, a file without
                       execute permission, and an executable file that is no program
  badinput-pid-kinds   -p with a kernel thread, a zombie, a thread id (not a process) and
                       racetrace's own pid
  badinput-caps        CAP_PERFMON, then CAP_BPF and CAP_PERFMON, dropped (with CAP_SYS_ADMIN,
                       which covers both): the message names exactly the ones missing
  badinput-no-btf      /sys/kernel/btf/vmlinux hidden (an empty directory mounted over
                       /sys/kernel/btf in a mount namespace of the test's own)
  badinput-no-uprobe-multi  /sys/kernel/btf/vmlinux replaced, in that namespace, by a BTF whose
                       enum bpf_attach_type lacks BPF_TRACE_UPROBE_MULTI, as a kernel before
                       6.6 has it
"""
import os
import stat
import struct
import subprocess
import threading
import time

import harness as h


def check_one_line(ctx, argv, says, before, name, ours=()):
    r = h.Proc(ctx, argv)
    rc = r.wait(h.TIMEOUT, "racetrace exits in time")
    lines = [s for s in r.err if s.strip()]
    h.check(rc == 1, f"{name}: exit status 1", f"got {rc}: {lines[-1:]}")
    h.check(len(lines) == 1, f"{name}: one line on stderr", f"got {len(lines)}: {lines[:3]}")
    h.check(lines[0].startswith("racetrace: ") and says in lines[0],
            f"{name}: stderr says '{says}'", repr(lines[0]))
    h.check(not r.out, f"{name}: nothing on stdout", repr(r.out[:2]))
    h.check_no_leaked_links(ctx, before, {r.pid, *ours})
    return lines[0]


@h.test("badinput-cmd-kinds")
def t_cmd_kinds(ctx):
    before = h.LinkSnapshot()
    d = ctx.tmp(".dir")
    os.makedirs(d, exist_ok=True)
    noexec, notprog = os.path.join(d, "noexec"), os.path.join(d, "notprog")
    with open(noexec, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(noexec, 0o644)
    with open(notprog, "w") as f:
        f.write("hello\n")
    os.chmod(notprog, 0o755)
    cases = [(os.path.join(d, "missing"), "not found"),
             (d, "is a directory, not a program"),
             (noexec, "is not executable (no execute permission"),
             (notprog, "is not a program (neither an ELF executable nor a #! script)")]
    for path, says in cases:
        line = check_one_line(ctx, [h.RACETRACE, "--json", "--", path], says, before,
                              os.path.basename(path))
        h.check(f"'{path}'" in line, f"{os.path.basename(path)}: the message names the command",
                repr(line))


def proc_state(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return rest[0], int(rest[6])  # state, flags


@h.test("badinput-pid-kinds")
def t_pid_kinds(ctx):
    before = h.LinkSnapshot()
    # pid 2 is kthreadd on every Linux
    state, flags = proc_state(2)
    h.check(flags & 0x00200000, "pid 2 is a kernel thread (PF_KTHREAD)", hex(flags))
    check_one_line(ctx, [h.RACETRACE, "-p", "2"], "is a kernel thread", before, "kernel thread")

    zombie = os.fork()
    if zombie == 0:
        os._exit(0)
    try:
        deadline = time.monotonic() + h.TIMEOUT
        while proc_state(zombie)[0] != "Z" and time.monotonic() < deadline:
            time.sleep(0.05)
        h.check(proc_state(zombie)[0] == "Z", "the child is a zombie")
        check_one_line(ctx, [h.RACETRACE, "-p", zombie], "is a zombie", before, "zombie")
    finally:
        os.waitpid(zombie, 0)

    # a thread of this test's process: its tid is no process
    started, stop = threading.Event(), threading.Event()
    tid = []

    def body():
        tid.append(threading.get_native_id())
        started.set()
        stop.wait(h.TIMEOUT)

    th = threading.Thread(target=body, daemon=True)
    th.start()
    try:
        h.check(started.wait(h.TIMEOUT), "a thread runs")
        check_one_line(ctx, [h.RACETRACE, "-p", tid[0]],
                       f"{tid[0]} is a thread of process {os.getpid()}", before, "thread id",
                       {os.getpid()})
    finally:
        stop.set()
        th.join(h.TIMEOUT)

    # sh execs racetrace in its own process: $$ is racetrace's pid
    line = check_one_line(ctx, ["sh", "-c", f'exec "{h.RACETRACE}" -p $$'],
                          "is racetrace itself", before, "racetrace itself")
    h.check(line.startswith("racetrace: pid "), "racetrace itself: names the pid", repr(line))


@h.test("badinput-caps")
def t_caps(ctx):
    setpriv = h.need_program("setpriv", "util-linux")
    before = h.LinkSnapshot()
    target = h.need_target("abba")
    # dropped from the bounding set, the capabilities are not in racetrace's effective set
    for drop, says in (("-perfmon,-sys_admin", "missing capability CAP_PERFMON:"),
                       ("-bpf,-perfmon,-sys_admin",
                        "missing capabilities CAP_BPF and CAP_PERFMON:"),
                       ("-bpf,-sys_admin", "missing capability CAP_BPF:")):
        check_one_line(ctx, [setpriv, "--bounding-set", drop, h.RACETRACE, "--", target],
                       says, before, f"without {drop}")


@h.test("badinput-no-btf")
def t_no_btf(ctx):
    before = h.LinkSnapshot()
    ns = h.PrivateNs(ctx, hide=["/sys/kernel/btf"])
    try:
        check_one_line(ctx, ns.argv([h.RACETRACE, "--", h.need_target("abba")]),
                       "kernel has no BTF (the check: /sys/kernel/btf/vmlinux is not readable)",
                       before, "no BTF")
    finally:
        ns.remove()


def btf_without_uprobe_multi():
    """A raw BTF blob with only enum bpf_attach_type, as a kernel before 6.6 has it (no
    BPF_TRACE_UPROBE_MULTI)."""
    names = ["bpf_attach_type", "BPF_CGROUP_INET_INGRESS", "BPF_TRACE_KPROBE_MULTI"]
    strs, offs = b"\0", []
    for n in names:
        offs.append(len(strs))
        strs += n.encode() + b"\0"
    kind_enum = 6
    types = struct.pack("<III", offs[0], (kind_enum << 24) | 2, 4)
    types += struct.pack("<Ii", offs[1], 0) + struct.pack("<Ii", offs[2], 42)
    hdr = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strs))
    return hdr + types + strs


@h.test("badinput-no-uprobe-multi")
def t_no_uprobe_multi(ctx):
    before = h.LinkSnapshot()
    ns = h.PrivateNs(ctx, hide=["/sys/kernel/btf"])
    try:
        # the empty directory mounted over /sys/kernel/btf: what is put in it shows there
        with open(os.path.join(ns.empty, "vmlinux"), "wb") as f:
            f.write(btf_without_uprobe_multi())
        os.chmod(os.path.join(ns.empty, "vmlinux"), stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        check_one_line(ctx, ns.argv([h.RACETRACE, "--", h.need_target("abba")]),
                       "kernel has no uprobe.multi links (the check: enum bpf_attach_type in "
                       "/sys/kernel/btf/vmlinux has no BPF_TRACE_UPROBE_MULTI)", before,
                       "no uprobe_multi")
    finally:
        ns.remove()
