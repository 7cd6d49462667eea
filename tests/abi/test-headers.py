#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The header test: each public header compiles alone (included first, and
twice) as C99 with -pedantic -Werror and as C++ with g++, and declares every
global symbol of its library's version script with C linkage (a C and a C++
program taking each one's address link against the built library).

  test-headers.py --cc CC [--cxx CXX] [-I DIR]... HEADER:SCRIPT:SO[:PKG,...]...

PKG: pkg-config modules the header needs (e.g. gio-2.0). TAP output."""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "lib")]
import taplib  # noqa: E402
from versionscript import version_script  # noqa: E402

WARN = ["-pedantic", "-Werror", "-Wall", "-Wextra"]


def pkg(kind, modules):
    if not modules:
        return []
    out = subprocess.run(["pkg-config", kind, *modules], capture_output=True, text=True,
                         check=True).stdout
    return shlex.split(out)


def build(cmd, source, suffix, tmp, libs=()):
    """Compile (and link, unless cmd has -fsyntax-only) SOURCE: (ok, log)."""
    path = os.path.join(tmp, "t" + suffix)
    with open(path, "w") as f:
        f.write(source)
    argv = [*cmd, path, "-o", os.path.join(tmp, "t.out"), *libs]
    r = subprocess.run(argv, capture_output=True, text=True)
    return r.returncode == 0, " ".join(argv) + "\n" + r.stdout + r.stderr


def alone(header):
    return f"#include <{header}>\n#include <{header}>\nint main(void) {{ return 0; }}\n"


def addresses(header, symbols, cxx):
    """A program that takes the address of every symbol: it links only if the
    header declares each one (with C linkage, for C++)."""
    cast = "reinterpret_cast<fn>(&{})" if cxx else "(fn)&{}"
    refs = ",\n        ".join(cast.format(s) for s in sorted(symbols))
    return (f"#include <{header}>\n"
            "typedef void (*fn)(void);\n"
            f"static fn const symbols[] = {{\n        {refs}\n}};\n"
            "int main(void)\n{\n        return symbols[0] == 0;\n}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cc", required=True)
    ap.add_argument("--cxx")
    ap.add_argument("-I", dest="includes", action="append", default=[])
    ap.add_argument("headers", nargs="+")
    args = ap.parse_args()
    t = taplib.Tap()
    langs = [("C99", shlex.split(args.cc) + ["-std=c99"], ".c"),
             ("C++11", shlex.split(args.cxx) + ["-std=c++11"] if args.cxx else None, ".cc")]
    inc = [f"-I{d}" for d in args.includes]

    for spec in args.headers:
        header, script, so, *mods = spec.split(":")
        mods = [m for m in ",".join(mods).split(",") if m]
        name = os.path.basename(header)
        symbols = version_script(script)[1]
        cflags = inc + [f"-I{os.path.dirname(os.path.abspath(header))}"] + pkg("--cflags", mods)
        libs = [so, f"-Wl,-rpath,{os.path.dirname(os.path.abspath(so))}"] + pkg("--libs", mods)
        for lang, cmd, suffix in langs:
            if not cmd:
                t.skip(f"{name} as {lang}", "no C++ compiler (g++)")
                continue
            with tempfile.TemporaryDirectory(prefix="xc-headers-") as tmp:
                good, log = build(cmd + WARN + cflags + ["-fsyntax-only"], alone(name),
                                  suffix, tmp)
                t.ok(good, f"{name} compiles alone, twice, as {lang} (-pedantic -Werror)", log)
                good, log = build(cmd + WARN + cflags, addresses(name, symbols, suffix == ".cc"),
                                  suffix, tmp, libs)
                t.ok(good, f"{name} declares all {len(symbols)} globals of "
                     f"{os.path.basename(script)} with C linkage ({lang} program linked)", log)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
