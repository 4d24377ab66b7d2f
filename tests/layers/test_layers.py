#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The layering check (scripts/check_layers.py) on planted includes, compiled for real with
-MD like the build does: a clean tree passes; report/ including engine/, engine/ including
libbpf, and two files that include each other each fail, with a line naming the include.
Needs gcc and the repository's headers (no root). Prints PASS/FAIL lines; exits 1 on failure."""
import os
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHECK = os.path.join(TOP, "scripts", "check_layers.py")
LIBBPF_CFLAGS = subprocess.run(["pkg-config", "--cflags", "libbpf"], capture_output=True,
                               text=True).stdout.split()


def compile_tree(files):
    """Compile {relative path under user/: source} in a scratch tree; return (tree, outdir)."""
    tree = tempfile.mkdtemp(prefix="racetrace-layers.")
    for rel, src in files.items():
        p = os.path.join(tree, "user", rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(src)
    out = os.path.join(tree, ".output")
    for rel in files:
        if not rel.endswith(".c"):
            continue
        obj = os.path.join(out, "user", rel[:-2] + ".o")
        os.makedirs(os.path.dirname(obj), exist_ok=True)
        # the scratch tree first, then the real one: planted files see the real headers
        cmd = ["gcc", "-std=gnu11", "-D_GNU_SOURCE", "-MD", "-MP", "-I", os.path.join(tree, "user"),
               "-I", os.path.join(TOP, "user"), "-I", os.path.join(TOP, "bpf")] + LIBBPF_CFLAGS + \
              ["-c", os.path.join(tree, "user", rel), "-o", obj]
        subprocess.run(cmd, check=True, cwd=tree)
    return tree, out


def run_check(out):
    r = subprocess.run([sys.executable, CHECK, out], capture_output=True, text=True)
    return r.returncode, r.stdout


CASES = [
    ("clean tree passes",
     {"engine/x.c": '#include "report/finding.h"\n#include "lib/util.h"\nint x;\n',
      "report/y.c": '#include "report/finding.h"\nint y;\n'},
     0, None),
    ("report/ including engine/ fails",
     {"report/bad.c": '#include "engine/hb.h"\nint bad;\n'},
     1, "report/ may not include engine/"),
    ("engine/ including libbpf fails",
     {"engine/bad.c": '#include <bpf/libbpf.h>\nint bad;\n'},
     1, "only probe/ and run/ use libbpf"),
    ("detect/ including run/ fails",
     {"detect/bad.c": '#include "run/pipeline.h"\nint bad;\n'},
     1, "detect/ may not include run/"),
    ("two files including each other fail",
     {"lib/a.h": '#pragma once\n#include "lib/b.h"\n', "lib/b.h": '#pragma once\n',
      "lib/a.c": '#include "lib/b.h"\nint a;\n', "lib/b.c": '#include "lib/a.h"\nint b;\n'},
     1, "import cycle: lib/a -> lib/b -> lib/a"),
]


def main():
    failed = 0
    for name, files, want_rc, want_text in CASES:
        tree, out = compile_tree(files)
        try:
            rc, text = run_check(out)
        finally:
            shutil.rmtree(tree)
        ok = rc == want_rc and (want_text is None or want_text in text)
        print(("PASS " if ok else "FAIL ") + name + ("" if ok else f": rc {rc}, output:\n{text}"))
        failed += not ok
    print(f"test_layers: {len(CASES) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
