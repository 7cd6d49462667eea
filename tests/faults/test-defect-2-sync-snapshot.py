# SPDX-License-Identifier: LGPL-2.1-or-later
"""Defect 2 of issue 12: sync must act on the consoles bound when it holds
the lock, not on a list taken before. A sync is stopped (SIGSTOP from
fault-shim) at its first touch of the run folder, which on the old code came
after it had listed the consoles and read their names; meanwhile consoles
unbind and bind and udev's unlink/export/link run; then the sync goes on.

  guest.sh test-defect-2-sync-snapshot.py HELPER SHIM XS_TEST_SERVER   (TAP)
"""
import os
import signal
import sys
import time

import bed

HELPER, SHIM, WORK = sys.argv[1:4]
t = bed.Tap()
N = bed.NAMES


def stopped_sync(g):
    """A sync stopped at its first touch of the run folder."""
    hit = f"{WORK}/hit"
    if os.path.exists(hit):
        os.unlink(hit)
    p = g.h.start(["sync"], fault="openat:1:stop", match=g.f.run, hit=hit)
    for _ in range(1000):
        if os.path.exists(hit):
            break
        time.sleep(0.01)
    for _ in range(1000):
        with open(f"/proc/{p.pid}/stat") as f:
            if f.read().split(") ", 1)[1].startswith("T"):
                return p
        time.sleep(0.01)
    raise RuntimeError("the sync did not stop")


def resume(p):
    os.kill(p.pid, signal.SIGCONT)
    out, err = p.communicate(timeout=30)
    return p.returncode, err


# An unbind + unlink, and a bind + export + link, inside the window.
g = bed.Guest(HELPER, SHIM, WORK)
g.plug([1, 3, 4])
t.is_(g.f.links_now(), {N[1]: "../hvc1", N[3]: "../hvc2", N[4]: "../hvc3"},
      "setup: consoles 1, 3, 4 on hvc1..3")
p = stopped_sync(g)
bed.bed({1, 4})                         # console-3 goes away: hvc2 is free
rc, _, err = g.udev("unlink", 3)
t.is_(rc, 0, "while sync waits: unlink of console-3 exits 0", err)
bed.bed({1, 4, 5})                      # console-5 comes and takes hvc2
rc, out, err = g.export(5)
t.is_((rc, g.props[5].get("XEN_CHANNEL_TTY")), (0, "hvc2"),
      "while sync waits: console-5 is exported as hvc2", err)
rc, _, err = g.udev("link", 5)
t.is_(rc, 0, "while sync waits: link of console-5 exits 0", err)
rc, err = resume(p)
t.is_(rc, 0, "the sync, resumed, exits 0", err)
want = {N[1]: "../hvc1", N[4]: "../hvc3", N[5]: "../hvc2"}
t.is_(g.f.links_now(), want,
      "after the sync: console-3's link is not re-created on hvc2 (now console-5's), "
      "console-5's link is not removed", err)
t.is_(g.f.run_file("state"), "1 1\n4 3\n5 2\n", "after the sync: the state is the kernel's")
t.is_(g.f.run_file("names"), f"1 1 {N[1]}\n4 3 {N[4]}\n5 2 {N[5]}\n",
      "after the sync: the names file holds consoles 1, 4, 5")
rc, _, err = g.h.run(["sync"])
t.is_((rc, g.f.links_now()), (0, want), "one more sync changes nothing", err)
sys.exit(t.done())
