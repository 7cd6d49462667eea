#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A library loaded with dlopen() stays a visible dependency: the ELF
.note.dlopen note of the binary (owner FDO, type 0x407c0c0a, a JSON array),
the Debian binary package that ships it (Depends) and the RPM spec's main
package (Requires) name the same sonames; the note names the soname the
build found; and the binary needs nothing else than NEEDED at start-up.

  test-dlopen-note.py --elf BIN --expect SONAME --needed LIB... \\
      --control debian/control --deb-package NAME --spec SPEC      (TAP)"""
import argparse
import json
import re
import subprocess
import sys

sys.path.insert(0, __file__.rsplit("/", 3)[0] + "/tests/lib")
import taplib  # noqa: E402

NOTE_TYPE = "0x407c0c0a"


def readelf(*args):
    """readelf's output. It exits 1 after printing a note type it does not
    know (binutils < 2.43 for this one): only the output counts."""
    r = subprocess.run(["readelf", "-W", *args], capture_output=True, text=True)
    if r.returncode not in (0, 1) or not r.stdout:
        raise RuntimeError(f"readelf {' '.join(args)} failed: {r.stderr}")
    return r.stdout


def note_header(elf):
    """(owner, type text) of each note in .note.dlopen, from readelf --notes."""
    out, notes, inside = readelf("--notes", elf), [], False
    for line in out.splitlines():
        if line.startswith("Displaying notes found in:"):
            inside = line.split(":", 1)[1].strip() == ".note.dlopen"
        elif inside and line.strip() and not line.strip().startswith("Owner"):
            owner, _, rest = line.strip().partition(" ")
            notes.append((owner, rest))
    return notes


def note_json(elf):
    """The JSON payloads of .note.dlopen, from readelf -p (its strings)."""
    out, found = readelf("-p", ".note.dlopen", elf), []
    for line in out.splitlines():
        m = re.match(r"\s*\[\s*[0-9a-f]+\]\s+(\[.*\])\s*$", line)
        if m:
            found.append(json.loads(m.group(1)))
    return found


def needed(elf):
    """DT_NEEDED, without the sanitizer runtimes of an ASan/UBSan build."""
    libs = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", readelf("-d", elf))
    return [n for n in libs if not re.match(r"lib(a|ub|t|l|hwa)san\.so", n)]


def deb_package_name(soname):
    """Debian policy 8.1: libfoo.so.N is shipped by libfooN (libfoo1.2-N)."""
    m = re.fullmatch(r"(lib.+)\.so\.([0-9.]+)", soname)
    name, version = m.group(1), m.group(2)
    return (name + ("-" if name[-1].isdigit() else "") + version).lower()


def deb_depends(control, package):
    """The package names in Depends: of the binary package."""
    stanzas = open(control).read().split("\n\n")
    for s in stanzas:
        s = re.sub(r"^#.*\n", "", s, flags=re.M)
        if re.search(rf"^Package:\s*{re.escape(package)}\s*$", s, re.M):
            m = re.search(r"^Depends:(.*(?:\n[ \t].*)*)", s, re.M)
            field = m.group(1) if m else ""
            return {re.split(r"[\s(:\[]", alt.strip())[0]
                    for rel in field.split(",") for alt in rel.split("|") if alt.strip()}
    raise SystemExit(f"no package {package} in {control}")


def rpm_soname_requires(spec):
    """The sonames the main package Requires: (libfoo.so.N or
    libfoo.so.N()(64bit)), up to the first %package."""
    text = open(spec).read().split("\n%package", 1)[0]
    return set(re.findall(r"^Requires:\s*(lib[^\s(]+\.so\.[0-9.]+)", text, re.M))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--elf", required=True)
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--needed", action="append", default=[])
    ap.add_argument("--control", required=True)
    ap.add_argument("--deb-package", required=True)
    ap.add_argument("--spec", required=True)
    a = ap.parse_args()
    t = taplib.Tap()

    headers = note_header(a.elf)
    t.ok(headers and all(o == "FDO" and (NOTE_TYPE in r or "DLOPEN" in r) for o, r in headers),
         f"{a.elf}: .note.dlopen holds FDO notes of type {NOTE_TYPE}", readelf("--notes", a.elf))
    payloads = note_json(a.elf)
    t.is_(len(payloads), len(headers), "every note's payload is a JSON array readelf -p shows")
    entries = [e for p in payloads for e in p]
    t.ok(entries and all(isinstance(e.get("feature"), str) and e.get("description") and
                         e.get("priority") in ("required", "recommended", "suggested") and
                         e.get("soname") and all(isinstance(s, str) for s in e["soname"])
                         for e in entries),
         "each entry has a feature, a description, a priority and sonames", entries)
    sonames = {s for e in entries for s in e.get("soname", [])}
    t.is_(sonames, set(a.expect), "the note names the sonames the build found")

    t.is_(rpm_soname_requires(a.spec), sonames,
          f"{a.spec}: the main package Requires exactly the note's sonames")
    deps = deb_depends(a.control, a.deb_package)
    want = {deb_package_name(s) for s in sonames}
    t.ok(want <= deps, f"{a.control}: {a.deb_package} Depends on {sorted(want)}", sorted(deps))

    t.is_(sorted(needed(a.elf)), sorted(a.needed),
          f"{a.elf} needs only {a.needed} at start-up (the rest is dlopen()ed)")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
