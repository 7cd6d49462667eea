# SPDX-License-Identifier: LGPL-2.1-or-later
"""Defect 1 of issue 12: a transient error reading sysfs or the state file
must never be taken for "not bound" or "corrupt": export fails with a true
exit code and one clear line, the state file is left as it was, and the
mapping stays right.

  guest.sh test-defect-1-sysfs-error.py HELPER SHIM XS_TEST_SERVER   (TAP)
"""
import sys

import bed

HELPER, SHIM, WORK = sys.argv[1:4]
t = bed.Tap()

# Consoles 1, 3, 4 bound one after the other: hvc1, hvc2, hvc3.
g = bed.Guest(HELPER, SHIM, WORK)
g.plug([1, 3])
bed.bed({1, 3, 4})
before = g.f.run_file("state")
t.is_(before, "1 1\n3 2\n", "setup: console-1 on hvc1, console-3 on hvc2")

# One failed read of console-1's driver link while console-4 is exported.
for err, text in (("ENOMEM", "Cannot allocate memory"), ("EIO", "Input/output error")):
    rc, out, serr = g.export(4, fault=f"readlinkat:1:{err}", match="console-1/driver",
                             hit=f"{WORK}/hit")
    t.ok(rc in (1, 5), f"sysfs {err} on console-1/driver: export fails (exit {rc})", serr)
    t.is_(out, "", f"sysfs {err}: no properties printed (it printed a wrong tty before)")
    t.ok(text in serr, f"sysfs {err}: the error says \"{text}\"", serr)
    t.is_(g.f.run_file("state"), before, f"sysfs {err}: the state file is not rewritten")

# The same with the bus listing failing half-way.
rc, out, serr = g.export(4, fault="readdir:2:EIO", match="/sys/bus/xen/devices")
t.ok(rc in (1, 5) and out == "", f"readdir EIO on the xen bus: export fails (exit {rc})", serr)
t.is_(g.f.run_file("state"), before, "readdir EIO: the state file is not rewritten")

rc, out, serr = g.export(4)
t.is_((rc, bed.parse_export(out).get("XEN_CHANNEL_TTY")), (0, "hvc3"),
      "without the fault: console-4 is hvc3", serr)
rc, out, serr = g.h.run(["sync"])
t.is_(g.f.links_now(), {bed.NAMES[1]: "../hvc1", bed.NAMES[3]: "../hvc2",
                        bed.NAMES[4]: "../hvc3"}, "sync: every link on its own hvc", serr)

# A read error on the state file is not a corrupt file to rebuild: here the
# slots are not in devid order (console-4 was probed before console-3), so a
# rebuild from the bound set would move console-3 to hvc2.
with open(f"{g.f.run}/state", "w") as f:
    f.write("1 1\n3 3\n4 2\n")
for fn, err, text in (("read", "EIO", "Input/output error"),
                      ("openat", "ENOMEM", "Cannot allocate memory")):
    rc, out, serr = g.export(3, fault=f"{fn}:1+:{err}", match="/run/state")
    t.ok(rc == 1 and out == "", f"state file {fn} {err}: export fails with exit 1 "
         f"(exit {rc})", serr, out)
    t.ok(text in serr, f"state file {fn} {err}: the error says \"{text}\"", serr)
    t.is_(g.f.run_file("state"), "1 1\n3 3\n4 2\n",
          f"state file {fn} {err}: not rebuilt")
rc, out, serr = g.export(3)
t.is_((rc, bed.parse_export(out).get("XEN_CHANNEL_TTY")), (0, "hvc3"),
      "without the fault: console-3 is still hvc3", serr)
sys.exit(t.done())
