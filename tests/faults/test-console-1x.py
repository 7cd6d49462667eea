# SPDX-License-Identifier: LGPL-2.1-or-later
"""Open question of issue 12, settled on the kernel source: the devid is the
last character of the nodename (hvc_xen.c, xencons_probe and
xencons_connect_backend), so console-11..19 are probed as devids 1..9, and
hvc_alloc() (hvc_console.c) gives a console the index of a slot already
holding its vtermno, else the first free one. So console-1N takes a slot
when console-N holds none, and shares console-N's slot otherwise. The
mapping must count those slots; console-1N is never linked itself.

  guest.sh test-console-1x.py HELPER SHIM XS_TEST_SERVER   (TAP)
"""
import sys

import bed

HELPER, SHIM, WORK = sys.argv[1:4]
t = bed.Tap()
N = bed.NAMES


def tty(g, devid):
    rc, out, err = g.export(devid)
    return rc, bed.parse_export(out).get("XEN_CHANNEL_TTY"), err


# console-11 alone holds hvc1 (as devid 1); console-3 then gets hvc2.
g = bed.Guest(HELPER, SHIM, f"{WORK}/a")
bed.bed({11})
bed.bed({11, 3})
rc, slot, err = tty(g, 3)
t.is_((rc, slot), (0, "hvc2"), "console-11 bound (probed as devid 1): console-3 is hvc2",
      err)
rc, out, err = g.h.run(["sync"])
t.is_((rc, g.f.links_now()), (0, {N[3]: "../hvc2"}), "sync links console-3 to hvc2", err)

# console-1 and console-11: one slot between them, so console-3 is hvc2.
g = bed.Guest(HELPER, SHIM, f"{WORK}/b")
g.plug([1])
bed.bed({1, 11})
bed.bed({1, 11, 3})
rc, slot, err = tty(g, 3)
t.is_((rc, slot), (0, "hvc2"), "console-1 and console-11 share hvc1: console-3 is hvc2", err)

# console-11 is never a channel of its own.
rc, out, err = g.h.run(["export", "console-11"])
t.is_(rc, 2, "export console-11: usage error (the kernel probes it as console-1)", err)
sys.exit(t.done())
