# SPDX-License-Identifier: LGPL-2.1-or-later
"""Defect 3 of issue 12: nothing in the run folder may make a helper or the
tool wait: a FIFO at names or state gives one clear error (helper) or costs
only the devids (xen-channel list), at once, and the lock is not held.

  guest.sh test-defect-3-fifo.py HELPER SHIM XS_TEST_SERVER [TOOL]   (TAP)
"""
import os
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
    t.is_(rc, 1, f"{fifo} is a FIFO: {cmd} exits 1", err)
    t.ok(f"{fifo}" in err and "not a regular file" in err,
         f"{fifo} is a FIFO: the error names the file and says it is not a regular file",
         err)
    t.is_(out, "", f"{fifo} is a FIFO: {cmd} prints no properties")
    # The lock is free again: another helper gets it at once.
    os.unlink(f"{g.f.run}/{fifo}")
    rc, out, err, secs = helper(g, ["sync"])
    t.is_(rc, 0, f"{fifo} removed again: sync exits 0 (the lock was not left held)", err)

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
