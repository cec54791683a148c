#!/usr/bin/env python3
"""Checks tessera's module layering (ctest core.layering).

The order is written once, in CONTRIBUTING.md ("## Layering"), as the line

    core <- io <- {stats, simplex, spectral, projection, ternary} <- tt <- {align, compress, model, stream}

A module may include headers of the modules to its left (lower layers) and its own; modules in
one {group} are siblings and must not include each other. Every `#include "..."` and
`#include <tessera/...>` line in include/tessera/<module>/ (detail/ included) is resolved to the
module it names; an include of a module that is not strictly below is reported. Every module
folder must appear in the order. Exits 1 listing each violation, 0 when there is none.

Usage: check_layering.py [--root DIR] [--contributing FILE]
"""
import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*(?:"(?P<q>[^"]+)"|<(?P<a>tessera/[^>]+)>)')


def parse_order(text):
    """The layer of each module, from the `core <- ...` line."""
    lines = [l.strip() for l in text.splitlines() if re.match(r"^\s*core\s*<-", l)]
    if len(lines) != 1:
        raise SystemExit(f"check_layering: expected one 'core <- ...' line in CONTRIBUTING.md, found {len(lines)}")
    layer = {}
    for rank, group in enumerate(lines[0].split("<-")):
        for name in group.strip().strip("{}").split(","):
            name = name.strip()
            if not re.fullmatch(r"[a-z_]+", name):
                raise SystemExit(f"check_layering: bad module name {name!r} in {lines[0]!r}")
            if name in layer:
                raise SystemExit(f"check_layering: {name} appears twice in {lines[0]!r}")
            layer[name] = rank
    return layer


def included_module(inc_root, header, target):
    """The module (folder under include/tessera) an include line names, or None (system header,
    umbrella header or outside the tree)."""
    if target.startswith("tessera/"):
        path = os.path.normpath(os.path.join(inc_root, target))
    else:
        path = os.path.normpath(os.path.join(os.path.dirname(header), target))
    rel = os.path.relpath(path, os.path.join(inc_root, "tessera"))
    parts = rel.split(os.sep)
    if parts[0] == ".." or len(parts) < 2:
        return None
    return parts[0]


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(here)))
    ap.add_argument("--contributing", default=None)
    args = ap.parse_args()
    inc_root = os.path.join(args.root, "include")
    layer = parse_order(open(args.contributing or os.path.join(args.root, "CONTRIBUTING.md")).read())
    base = os.path.join(inc_root, "tessera")
    modules = sorted(d for d in os.listdir(base) if os.path.isdir(os.path.join(base, d)))
    problems = [f"include/tessera/{m}/: module missing from the layering line in CONTRIBUTING.md"
                for m in modules if m not in layer]
    checked = 0
    for m in modules:
        for dirpath, _, files in os.walk(os.path.join(base, m)):
            for f in sorted(files):
                if not f.endswith((".hpp", ".h")):
                    continue
                header = os.path.join(dirpath, f)
                for lineno, line in enumerate(open(header, encoding="utf-8"), 1):
                    hit = INCLUDE.match(line)
                    if not hit:
                        continue
                    dep = included_module(inc_root, header, hit.group("q") or hit.group("a"))
                    if dep is None or dep == m:
                        continue
                    checked += 1
                    if dep not in layer or m not in layer or layer[dep] >= layer[m]:
                        how = "a sibling" if layer.get(dep) == layer.get(m) else "not below it"
                        problems.append(f"{os.path.relpath(header, args.root)}:{lineno}: {m} includes {dep} "
                                        f"({how} in the layering): {line.strip()}")
    for p in problems:
        print(p)
    print(f"check_layering: {len(modules)} modules, {checked} cross-module includes, {len(problems)} violations")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
