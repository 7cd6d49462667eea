#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The symbol-leak test: for each shared library, the symbols it exports
(nm -D --defined-only) are exactly the global symbols of its version script,
all under the script's version nodes; and the functions the man pages
document are exactly the global symbols of all the version scripts. Nothing
here knows a symbol's name: it reads the files it is given.

  test-exports.py [--doc POD]... [--sym SCRIPT]... [--lib SO:SCRIPT]...

--sym: every version script (built or not: the man pages document them all);
--lib: each library as built, with its script. TAP output."""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "lib")]
import taplib  # noqa: E402
from versionscript import version_script  # noqa: E402


def exports(so):
    """{symbol: version} of what SO defines in its dynamic symbol table, and
    the absolute symbols (the version nodes it defines)."""
    out = subprocess.run(["nm", "-D", "--defined-only", so], capture_output=True,
                         text=True, check=True).stdout
    symbols, nodes = {}, set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        kind, name = fields[1], fields[2]
        if kind == "A":
            nodes.add(name)
            continue
        name, _, version = name.partition("@")
        symbols[name] = version.lstrip("@")
    return symbols, nodes


def documented(pods, prefix):
    """Functions named in the man pages: B<name>() in the text, name( in a
    verbatim (indented) line; only names starting with PREFIX."""
    names = set()
    for pod in pods:
        for line in open(pod):
            found = re.findall(r"B<(\w+)>\(", line)
            if line[:1] in (" ", "\t"):
                found += re.findall(r"\b(\w+)\s*\(", line)
            names.update(n for n in found if n.startswith(prefix))
    return names


def listing(names):
    return "\n".join(sorted(names)) or "(none)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--doc", action="append", default=[])
    ap.add_argument("--sym", action="append", default=[])
    ap.add_argument("--lib", action="append", default=[])
    args = ap.parse_args()
    t = taplib.Tap()

    for spec in args.lib:
        so, script = spec.split(":", 1)
        lib = os.path.basename(so)
        nodes, promised = version_script(script)
        got, defined_nodes = exports(so)
        t.ok(set(got) == promised, f"{lib}: exports exactly the globals of {os.path.basename(script)}",
             "exported, not in the script:", listing(set(got) - promised),
             "in the script, not exported:", listing(promised - set(got)))
        stray = {n: v for n, v in got.items() if v not in nodes}
        t.ok(not stray and defined_nodes == set(nodes),
             f"{lib}: every export under a version node of the script ({', '.join(nodes)})",
             "symbols outside the nodes:", listing(f"{n}@{v}" for n, v in stray.items()),
             "nodes defined:", listing(defined_nodes))

    promised = set()
    for script in args.sym:
        promised |= version_script(script)[1]
    if args.doc:
        prefix = os.path.commonprefix(sorted(promised))
        prefix = prefix[:prefix.rfind("_") + 1] if "_" in prefix else prefix
        docs = documented(args.doc, prefix)
        pages = ", ".join(os.path.basename(d) for d in args.doc)
        t.ok(promised - docs == set(), f"every global symbol is documented in {pages}",
             "undocumented:", listing(promised - docs))
        t.ok(docs - promised == set(), f"{pages} documents no function that is not exported",
             "documented, not in any version script:", listing(docs - promised))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
