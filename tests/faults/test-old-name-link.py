# SPDX-License-Identifier: LGPL-2.1-or-later
"""Open question of issue 12: a link whose name fails today's name policy
(made by an older version) is removed by sync and by unlink when it is ours:
its target is exactly ../hvcN of a channel tty (hvc1..hvc7) and its name is
one safe file name. Anything else is left alone.

  guest.sh test-old-name-link.py HELPER SHIM XS_TEST_SERVER   (TAP)
"""
import os
import sys

import bed

HELPER, SHIM, WORK = sys.argv[1:4]
t = bed.Tap()
N = bed.NAMES
OLD = "old name"        # a space: valid once, not in today's grammar

g = bed.Guest(HELPER, SHIM, f"{WORK}/sync")
g.plug([1])
os.symlink("../hvc2", f"{g.f.links}/{OLD}")
os.symlink("/dev/ttyS0", f"{g.f.links}/old serial")
os.symlink("../hvc0", f"{g.f.links}/old console")
rc, out, err = g.h.run(["sync"])
t.is_(rc, 0, "sync with an old link: exit 0", err)
t.is_(g.f.links_now(), {N[1]: "../hvc1", "old serial": "/dev/ttyS0",
                        "old console": "../hvc0"},
      "sync removes the old link to ../hvc2, leaves the links that are not ours")

g = bed.Guest(HELPER, SHIM, f"{WORK}/unlink")
g.plug([1])
os.symlink("../hvc2", f"{g.f.links}/{OLD}")
env = bed.udev_env(2, OLD, 2, g.f.dev)
rc, out, err = g.h.run(["unlink"], extra=env)
t.is_(rc, 0, "unlink of a console whose stored name fails today's policy: exit 0", err)
t.is_(g.f.links_now(), {N[1]: "../hvc1"}, "unlink removes that console's old link")
if os.path.lexists(f"{g.f.links}/{OLD}"):
    os.unlink(f"{g.f.links}/{OLD}")
os.symlink("../hvc3", f"{g.f.links}/{OLD}")
rc, out, err = g.h.run(["unlink"], extra=env)
t.is_((rc, g.f.links_now().get(OLD)), (0, "../hvc3"),
      "an old link pointing at another console's tty is left alone", err)
env = bed.udev_env(2, "../escape", 2, g.f.dev)
rc, out, err = g.h.run(["unlink"], extra=env)
t.is_(rc, 3, "a stored name that is no safe file name: exit 3, nothing touched", err)
sys.exit(t.done())
