#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Check the user-space layering from the compiler's own dependency files (the .d files).

Each folder of user/ is a stage of the pipeline (docs/design.md) and may include only the
folders below it:

    lib <- record, elf <- sym <- report <- engine <- detect <- run
                  elf <- probe (libbpf) <- run;   main.c on top

Also: nothing but probe/, run/ and main.c includes libbpf or the BPF skeleton, and no two files
include each other, directly or around a circle (an import cycle). The build writes the .d
files with -MD, which lists every header a compile actually read, system ones included (so
<bpf/libbpf.h> shows), and an include hidden behind a macro or another header counts.

Usage: check_layers.py [OUTPUT_DIR]   (default .output; reads OUTPUT_DIR/user/**/*.d)
Prints one line per violation and exits 1 if there is any, 0 otherwise.
"""
import os
import re
import sys

# folder -> the folders its files may include (itself always allowed)
ALLOWED = {
    "lib": set(),
    "record": {"lib"},
    "elf": {"lib"},
    "sym": {"lib", "elf", "record"},
    "report": {"lib", "record", "sym"},
    "engine": {"lib", "record", "report"},
    "detect": {"lib", "record", "report", "engine"},
    "probe": {"lib", "record", "elf"},
    "run": {"lib", "record", "elf", "sym", "report", "engine", "detect", "probe"},
    "": {"lib", "record", "elf", "sym", "report", "engine", "detect", "probe", "run"},
}
# folders that may use libbpf and the skeleton
LIBBPF_OK = {"probe", "run", ""}


def parse_d(path):
    """The source and the prerequisites of one make rule in a .d file (-MMD -MP output)."""
    text = open(path).read().replace("\\\n", " ")
    for line in text.splitlines():
        if ":" not in line:
            continue
        target, _, deps = line.partition(":")
        deps = deps.split()
        if target.strip().endswith(".o") and deps:
            return deps[0], deps[1:]
    return None, []


def user_module(path):
    """('engine', 'engine/hb') for user/engine/hb.h; None for files outside user/."""
    p = os.path.normpath(path)
    m = re.match(r"^(?:.*/)?user/(.*)\.[ch]$", p)
    if not m:
        return None
    rel = m.group(1)
    folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
    return folder, rel


def is_libbpf(path):
    p = os.path.normpath(path)
    return "/bpf/libbpf" in p or "/bpf/bpf.h" in p or p.endswith(".skel.h")


def find_cycles(edges):
    """Every elementary cycle's smallest representative, via DFS back edges (sorted, stable)."""
    cycles = set()
    color = {}
    stack = []

    def visit(n):
        color[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if color.get(m) == 1:
                cyc = stack[stack.index(m):]
                k = cyc.index(min(cyc))
                cycles.add(tuple(cyc[k:] + cyc[:k]))
            elif not color.get(m):
                visit(m)
        stack.pop()
        color[n] = 2

    for n in sorted(edges):
        if not color.get(n):
            visit(n)
    return sorted(cycles)


def check(outdir):
    problems = []
    edges = {}
    nfiles = 0
    root = os.path.join(outdir, "user")
    for d, _, files in os.walk(root):
        for f in sorted(files):
            if not f.endswith(".d"):
                continue
            src, deps = parse_d(os.path.join(d, f))
            mod = user_module(src) if src else None
            # a .d left from a source that was moved or deleted is not part of the build
            if not mod or not os.path.exists(src):
                continue
            nfiles += 1
            folder, name = mod
            for dep in deps:
                if is_libbpf(dep) and folder not in LIBBPF_OK:
                    problems.append(f"{src}: includes {dep}: only probe/ and run/ use libbpf")
                dm = user_module(dep)
                if not dm:
                    continue
                dfolder, dname = dm
                if dname != name:
                    edges.setdefault(name, set()).add(dname)
                if dfolder != folder and dfolder not in ALLOWED.get(folder, set()):
                    problems.append(f"{src}: includes {dep}: {folder or 'main'}/ may not "
                                    f"include {dfolder}/ (docs/design.md, layers)")
    for cyc in find_cycles(edges):
        problems.append("import cycle: " + " -> ".join(cyc + (cyc[0],)))
    if nfiles == 0:
        problems.append(f"no dependency files under {root}: build first ('make')")
    return problems


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else ".output"
    problems = check(outdir)
    for p in problems:
        print(p)
    if problems:
        print(f"check_layers: {len(problems)} problem(s)")
        return 1
    print("check_layers: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
