# SPDX-License-Identifier: LGPL-2.1-or-later
"""Defect 3 of issue 12: nothing in the run folder may make a helper or the
tool wait. A FIFO at names or state holds nothing of ours: the helper says
so (a warning naming the file), counts it as empty like a corrupt file and
replaces it with a regular file, at once; xen-channel list loses only the
devids. The lock is never left held.

  guest.sh test-defect-3-fifo.py HELPER SHIM XS_TEST_SERVER [TOOL]   (TAP)
"""
import os
import stat
import subprocess
import sys
import time

import bed

HELPER, SHIM, WORK = sys.argv[1:4]
TOOL = sys.argv[4] if len(sys.argv) > 4 else None
t = bed.Tap()
N = bed.NAMES
BOUND = 5    # seconds: far above the 1 s the helper may wait for the lock


def timed(argv, env=None):
    start = time.monotonic()
    try:
        p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=BOUND)
        return p.returncode, p.stdout, p.stderr, time.monotonic() - start
    except subprocess.TimeoutExpired:
        return None, "", f"still running after {BOUND} s: killed", BOUND


def helper(g, args, extra=None):
    return timed(g.h.argv(args), env=g.h.env(extra))


for fifo, cmd in (("names", "link"), ("state", "export"), ("names", "sync"),
                  ("state", "unlink")):
    g = bed.Guest(HELPER, SHIM, f"{WORK}/{fifo}-{cmd}")
    g.plug([1])
    os.unlink(f"{g.f.run}/{fifo}")
    os.mkfifo(f"{g.f.run}/{fifo}")
    if cmd == "export":
        rc, out, err, secs = helper(g, ["export", "1"])
    elif cmd == "sync":
        rc, out, err, secs = helper(g, ["sync"])
    else:
        rc, out, err, secs = helper(g, [cmd], g.env(1))
    t.ok(rc is not None, f"{fifo} is a FIFO: {cmd} does not hang ({secs:.1f} s)", err)
    t.is_(rc, 0, f"{fifo} is a FIFO: {cmd} exits 0", err)
    t.ok(f"{g.f.run}/{fifo} is not a regular file" in err,
         f"{fifo} is a FIFO: a warning names the file and says it is not a regular file",
         err)
    path = f"{g.f.run}/{fifo}"
    if cmd != "unlink":  # forgetting a console in an empty state changes nothing
        t.ok(stat.S_ISREG(os.lstat(path).st_mode),
             f"{fifo} is a FIFO: {cmd} replaced it with a regular file")
    want = {} if cmd == "unlink" else {N[1]: "../hvc1"}
    t.is_(g.f.links_now(), want, f"{fifo} is a FIFO: the links are right after {cmd}")
    if cmd == "export":
        t.ok("XEN_CHANNEL_TTY=hvc1" in out, "state is a FIFO: export still says hvc1", out)
    # The lock is free again: another helper gets it at once.
    rc, out, err, secs = helper(g, ["sync"])
    t.is_(rc, 0, f"{fifo} was a FIFO: sync exits 0 (the lock was not left held)", err)

if TOOL and os.access(TOOL, os.X_OK):
    for fifo in ("state", "names"):
        g = bed.Guest(HELPER, SHIM, f"{WORK}/tool-{fifo}")
        g.plug([1])
        os.unlink(f"{g.f.run}/{fifo}")
        os.mkfifo(f"{g.f.run}/{fifo}")
        rc, out, err, secs = timed([TOOL, "--dev-dir", g.f.dev, "--run-dir", g.f.run, "list"])
        t.ok(rc is not None, f"{fifo} is a FIFO: xen-channel list does not hang "
             f"({secs:.1f} s)", err)
        t.ok(rc == 0 and N[1] in out, f"{fifo} is a FIFO: xen-channel list still lists "
             "the channel", err, out)
else:
    print("# no xen-channel tool: its part skipped")
sys.exit(t.done())
