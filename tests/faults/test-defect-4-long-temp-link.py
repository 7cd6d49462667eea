# SPDX-License-Identifier: LGPL-2.1-or-later
"""Defect 4 of issue 12: a link killed between symlinkat() and renameat()
leaves its temp link ".<name>.<pid>.tmp"; sync must recognise and remove it
for every valid name, also the longest ones and those near the limit of the
escaped length.

  guest.sh test-defect-4-long-temp-link.py HELPER SHIM XS_TEST_SERVER   (TAP)
"""
import sys

import bed

HELPER, SHIM, WORK = sys.argv[1:4]
t = bed.Tap()
N = bed.NAMES

for devid, what in ((4, "a short name"), (7, f"a {len(N[7])}-byte name"),
                    (8, f"a name of escaped length {len(N[8]) + 3 * N[8].count('-')}")):
    g = bed.Guest(HELPER, SHIM, f"{WORK}/{devid}")
    g.plug([1])
    bed.bed({1, devid})
    rc, out, err = g.export(devid)
    t.is_(rc, 0, f"{what}: export exits 0", err)
    rc, out, err = g.udev("link", devid, fault="renameat:1:kill", match=g.f.links)
    temps = [n for n in g.f.links_now() if n.startswith(".")]
    t.ok(rc == -9 and len(temps) == 1,
         f"{what}: link killed before its rename leaves one temp link", rc, temps)
    rc, out, err = g.h.run(["sync"])
    t.is_(rc, 0, f"{what}: sync exits 0", err)
    t.is_(g.f.links_now(), {N[1]: "../hvc1", N[devid]: "../hvc2"},
          f"{what}: after sync, only the two links remain (the temp link is removed)")
sys.exit(t.done())
