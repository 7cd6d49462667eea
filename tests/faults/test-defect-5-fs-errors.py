# SPDX-License-Identifier: LGPL-2.1-or-later
"""Defect 5 of issue 12: a file-system error keeps its own exit code (1) and
says what failed; it is never reported as a name clash (7), a bad name (3),
an unsafe folder (6) or a xenstore failure (4), and a link that could not
be checked is never "left alone" with exit 0.

  guest.sh test-defect-5-fs-errors.py HELPER SHIM XS_TEST_SERVER   (TAP)
"""
import os
import sys

import bed

HELPER, SHIM, WORK = sys.argv[1:4]
t = bed.Tap()
N = bed.NAMES


def guest(tag, devids=(1,)):
    g = bed.Guest(HELPER, SHIM, f"{WORK}/{tag}")
    g.plug(list(devids))
    return g


# A folder at run/names.tmp: the names file cannot be written.
g = guest("names-tmp")
bed.bed({1, 4})
g.export(4)
os.mkdir(f"{g.f.run}/names.tmp")
rc, out, err = g.udev("link", 4)
t.is_(rc, 1, "a folder at names.tmp: link exits 1 (not 7)", err)
t.ok("names" in err and "already taken" not in err,
     "a folder at names.tmp: the error is about the names file, not a clash", err)

# Errors of the link folder in link and sync, with the errno they had.
cases = [
    ("link", "symlinkat:1:EEXIST", "File exists"),
    ("link", "symlinkat:1:EACCES", "Permission denied"),
    ("link", "renameat:1:EIO", "Input/output error"),
    ("link", "symlinkat:1:EINVAL", "Invalid argument"),
    ("link", "renameat:1:ENOTDIR", "Not a directory"),
    ("sync", "symlinkat:1:EACCES", "Permission denied"),
    ("sync", "symlinkat:1:EIO", "Input/output error"),
    ("sync", "symlinkat:1:EEXIST", "File exists"),
    ("sync", "renameat:1:EINVAL", "Invalid argument"),
]
for cmd, fault, text in cases:
    g = guest(f"{cmd}-{fault}".replace(":", "-"))
    bed.bed({1, 4})
    g.export(4)
    if cmd == "link":
        rc, out, err = g.udev("link", 4, fault=fault, match=g.f.links)
    else:
        rc, out, err = g.h.run(["sync"], fault=fault, match=g.f.links)
    t.is_(rc, 1, f"{cmd} with {fault}: exit 1", err)
    t.ok(text in err and "xenstore" not in err and "already taken" not in err
         and "invalid" not in err.lower().replace(text.lower(), "")
         and "symlink or not a folder" not in err,
         f"{cmd} with {fault}: the error says \"{text}\" and nothing else", err)

# A failed readlink in unlink: the link was not checked, so not removed.
g = guest("unlink-readlink", [1, 3])
bed.bed({1})
rc, out, err = g.udev("unlink", 3, fault="readlinkat:1:EIO", match=f"{g.f.links}/{N[3]}")
t.is_(rc, 1, "unlink, readlink of the link fails (EIO): exit 1 (not 0)", err)
t.ok("Input/output error" in err and "not a symlink" not in err,
     "unlink, readlink fails: the error says \"Input/output error\", not \"not a symlink\"",
     err)
rc, out, err = g.h.run(["sync"])
t.is_((rc, g.f.links_now()), (0, {N[1]: "../hvc1"}), "a sync then removes console-3's link",
      err)
sys.exit(t.done())
