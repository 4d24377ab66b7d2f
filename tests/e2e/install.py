# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""`make install` into a scratch root: the files land where the unit expects them,
`systemd-analyze verify` accepts the hardened unit, the man page renders, and the daemon runs
with the installed example config and stops cleanly on SIGTERM.

Hermetic: everything is checked in the scratch root, never in what an earlier `make install`
left on the machine. The unit's own paths are pointed at the scratch copies, and `man` (which
`systemd-analyze verify` runs for the unit's Documentation=man:racetrace(8)) looks only in the
scratch root's man directory (MANPATH). What the unit needs from the system itself, /bin/kill
for ExecReload (procps), is a package scripts/deps.sh installs, checked first by name."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import harness as h


@h.test("install-unit")
def t_install(ctx):
    dest = tempfile.mkdtemp(prefix="racetrace-install.")
    try:
        r = subprocess.run(["make", "-C", h.ROOT, "--no-print-directory", "install",
                            f"DESTDIR={dest}"], capture_output=True, text=True,
                           timeout=h.TIMEOUT)
        h.check(r.returncode == 0, "make install DESTDIR=... succeeds", r.stderr[-300:])
        for rel in ("usr/sbin/racetrace", "lib/systemd/system/racetrace.service",
                    "usr/share/man/man8/racetrace.8", "etc/racetrace/racetrace.conf",
                    "usr/share/doc/racetrace/config.md"):
            h.check(os.path.exists(os.path.join(dest, rel)), f"installs /{rel}")
        # the unit names /usr/sbin/racetrace; point it at the scratch copy to verify it here
        unit = os.path.join(dest, "lib/systemd/system/racetrace.service")
        bin_path = os.path.join(dest, "usr/sbin/racetrace")
        conf = os.path.join(dest, "etc/racetrace/racetrace.conf")
        with open(unit) as f:
            text = f.read()
        h.check("ExecStart=/usr/sbin/racetrace daemon --config /etc/racetrace/racetrace.conf"
                in text, "the unit starts the daemon with the installed config")
        for key in ("CapabilityBoundingSet=", "ProtectSystem=strict", "PrivateTmp=yes",
                    "Restart=on-failure", "NoNewPrivileges=yes"):
            h.check(key in text, f"the unit is hardened: {key}")
        local = os.path.join(dest, "racetrace.service")
        with open(local, "w") as f:
            f.write(text.replace("/usr/sbin/racetrace", bin_path)
                    .replace("/etc/racetrace/racetrace.conf", conf))
        h.check("ExecReload=/bin/kill " in text and os.access("/bin/kill", os.X_OK),
                "/bin/kill, the unit's ExecReload, is installed",
                "the Debian package procps: run 'sudo scripts/deps.sh'")
        mandir = os.path.join(dest, "usr/share/man")
        r = subprocess.run(["systemd-analyze", "verify", local], capture_output=True,
                           text=True, timeout=h.TIMEOUT,
                           env=dict(os.environ, MANPATH=mandir, SYSTEMD_PAGER="cat"))
        h.check(r.returncode == 0 and "racetrace.service" not in r.stderr,
                "systemd-analyze verify accepts the unit", (r.stdout + r.stderr)[-400:])
        r = subprocess.run(["man", "-l", os.path.join(mandir, "man8/racetrace.8")],
                           capture_output=True, text=True, timeout=h.TIMEOUT,
                           env=dict(os.environ, MANPAGER="cat", PAGER="cat"))
        h.check(r.returncode == 0 and "racetrace daemon" in r.stdout,
                "the man page renders", r.stderr[-200:])
        r = subprocess.run(["man", "--where", "racetrace.8"], capture_output=True, text=True,
                           timeout=h.TIMEOUT, env=dict(os.environ, MANPATH=mandir))
        h.check(r.returncode == 0 and r.stdout.strip().startswith(mandir),
                "man finds racetrace(8) in the scratch root, as systemd-analyze asked it",
                (r.stdout + r.stderr).strip())
        # the example config works as it is (findings and metrics paths moved to scratch)
        with open(conf) as f:
            c = f.read()
        c = c.replace("/var/log/racetrace/findings.jsonl", os.path.join(dest, "f.jsonl"))
        port = h.free_port()
        c = c.replace("127.0.0.1:9464", f"127.0.0.1:{port}")
        with open(conf, "w") as f:
            f.write(c)
        d = h.Proc(ctx, [bin_path, "daemon", "--config", conf])
        line = d.wait_line("stderr", lambda s: s.startswith("racetrace: daemon running"), 30)
        h.check(line, "the daemon starts with the example config", repr(d.err[-3:]))
        time.sleep(0.5)
        os.kill(d.pid, signal.SIGTERM)
        rc = d.wait(h.TIMEOUT, "the daemon stops on SIGTERM")
        h.check(rc == 0, "the daemon exits 0 on SIGTERM", f"got {rc}: {d.err[-2:]}")
    finally:
        shutil.rmtree(dest, ignore_errors=True)
