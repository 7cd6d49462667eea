# SPDX-License-Identifier: LGPL-2.1-or-later
"""Campaign cli-control-bytes: bytes from outside the guest's control
(xenstore names and values, link targets, the properties udev hands the
helper, the run folder's names file) must never reach a terminal raw. Each
hostile value is put in every place at once, then every output that can
show it is checked: `xen-channel status`, `status --json`, `list`, `list
--json`, and the helper's stderr (export, sync, link; -vv: debug lines too).
No output may hold a C0 byte (but \\n and \\t), DEL, or a C1 control, raw
or as UTF-8; JSON must be UTF-8 and parse.

  guest.sh test-cli-control-bytes.py HELPER SHIM XS_TEST_SERVER TOOL   (TAP)
"""
import json
import os
import socket
import struct
import subprocess
import sys

import bed

HELPER, SHIM, WORK = sys.argv[1:4]
TOOL = sys.argv[4] if len(sys.argv) > 4 else None
t = bed.Tap()

XS_WRITE, XS_RM, XS_ERROR = 11, 13, 16
SHOWN_FAILURES = 40  # each with its output; the rest only counted


def xs_request(kind, payload):
    """One request to the test xenstore, raw bytes (libxenstore's tools
    would unescape backslashes and cannot send a NUL)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(os.environ["XENSTORED_PATH"])
        s.sendall(struct.pack("=IIII", kind, 1, 0, len(payload)) + payload)
        head = b""
        while len(head) < 16:
            head += s.recv(16 - len(head))
        rtype, _, _, n = struct.unpack("=IIII", head)
        body = b""
        while len(body) < n:
            body += s.recv(n - len(body))
    if rtype == XS_ERROR and kind != XS_RM:
        raise RuntimeError(f"xenstore request {kind}: {body!r}")


def xs_write(key, value):
    xs_request(XS_WRITE, key.encode() + b"\0" + value)


def hostile_values():
    """(label, bytes): every C0 byte, DEL, C1 as UTF-8 and raw, overlong and
    invalid UTF-8, quotes and backslashes, very long names."""
    vals = [(f"C0 0x{b:02x}", b"a" + bytes([b]) + b"z") for b in range(0x00, 0x20)]
    vals.append(("DEL", b"a\x7fz"))
    vals += [(f"C1 U+{c:04X}", b"a" + chr(c).encode() + b"z") for c in range(0x80, 0xa0)]
    vals += [(f"C1 raw 0x{b:02x}", b"a" + bytes([b]) + b"z") for b in range(0x80, 0xa0)]
    vals += [
        ("overlong NUL", b"a\xc0\x80z"),
        ("overlong ESC", b"a\xc0\x9bz"),
        ("overlong 3-byte CSI", b"a\xe0\x82\x9bz"),
        ("surrogate", b"a\xed\xa0\x80z"),
        ("cut sequence", b"a\xe2\x82"),
        ("0xff 0xfe", b"a\xff\xfez"),
        ("lone continuation", b"a\xbfz"),
        ("quotes and backslashes", b"a\"'\\\\\"\\u001b\\x1bz"),
        ("ANSI sequences", b"\x1b[2J\x1b]0;title\x07\x9b31m\xc2\x9b1m"),
        ("long name, 300 bytes", b"n" * 150 + b"\x1b" * 150),
        ("long name, 2000 bytes", (b"\xc2\x9b\x9b\x07" * 500)),
    ]
    return vals


def file_safe(v):
    """What a file name, link target, environment or uevent line can hold."""
    return v.replace(b"\0", b"") or b"x"


def bad_chars(data):
    """The controls found in data (bytes), as a short description."""
    text = data.decode("utf-8", "surrogateescape")
    bad = sorted({f"U+{ord(c):04X}" if ord(c) < 0xdc00 else f"raw 0x{ord(c) - 0xdc00:02x}"
                  for c in text
                  if c not in "\n\t" and (ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f
                                          or 0xdc80 <= ord(c) <= 0xdc9f)})
    return ", ".join(bad)


class Campaign:
    def __init__(self):
        self.tried = self.held = self.failed = 0
        self.tried_in = {}  # output -> how many values it was tried with
        self.failed_in = {}  # output -> how many of them it failed

    def check(self, label, what, out, is_json=False):
        self.tried += 1
        self.tried_in[what] = self.tried_in.get(what, 0) + 1
        why = bad_chars(out)
        if not why and is_json:
            try:
                json.loads(out.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                why = f"not JSON: {e}"
        if not why:
            self.held += 1
            return
        self.failed += 1
        self.failed_in[what] = self.failed_in.get(what, 0) + 1
        if self.failed <= SHOWN_FAILURES:
            t.ok(False, f"{label}: {what} shows no control byte and parses", why,
                 repr(out[:400]))


def run(argv, env=None):
    p = subprocess.run(argv, env=env, capture_output=True, timeout=20)
    return p.returncode, p.stdout, p.stderr


g = bed.Guest(HELPER, SHIM, f"{WORK}/bytes")
g.plug([1, 3])     # console-1 and console-3 bound, linked; console-2 is plain
bed.bed({1, 2, 3})
links = g.f.links
uevent = f"{bed.SYS}/devices/console-3/uevent"
with open(uevent, "rb") as f:
    uevent_clean = f.read()
tool = [TOOL, "--dev-dir", g.f.dev, "--run-dir", g.f.run] if TOOL else None
helper_env = g.h.env()
c = Campaign()

for label, v in hostile_values():
    safe = file_safe(v)
    # xenstore: console-2's name and console-1's backend path
    xs_write("device/console/2/name", v)
    xs_write("device/console/1/backend", v)
    # a link target: console-3's link
    if os.path.lexists(f"{links}/{bed.NAMES[3]}"):
        os.unlink(f"{links}/{bed.NAMES[3]}")
    os.symlink(safe[:4000], f"{links}/{bed.NAMES[3]}")
    # the properties udev stored for console-3
    with open(uevent, "wb") as f:
        f.write(uevent_clean + b"XEN_CHANNEL_NAME=" + safe + b"\nXEN_CHANNEL_TTY=" + safe
                + b"\n")
    # the run folder's names file
    with open(f"{g.f.run}/names", "wb") as f:
        f.write(b"1 1 " + bed.NAMES[1].encode() + b"\n3 2 " + safe + b"\n")
    if tool:
        for args, is_json in ((["status"], False), (["status", "--json"], True),
                              (["list"], False), (["list", "--json"], True)):
            rc, out, err = run(tool + args)
            c.check(label, "xen-channel " + " ".join(args), out, is_json)
            c.check(label, "xen-channel " + " ".join(args) + " (stderr)", err)
    rc, out, err = run(g.h.argv(["-vv", "export", "2"]), env=helper_env)
    c.check(label, "helper export (stdout)", out)
    c.check(label, "helper export (stderr)", err)
    env = dict(helper_env)
    env.update(bed.udev_env(3, os.fsdecode(safe), 2, g.f.dev))
    env["XEN_CHANNEL_TTY"] = os.fsdecode(safe)
    rc, out, err = run(g.h.argv(["-vv", "link"]), env=env)
    c.check(label, "helper link (stderr)", err)
    rc, out, err = run(g.h.argv(["-vv", "sync"]), env=helper_env)
    c.check(label, "helper sync (stderr)", err)

for what, n in c.tried_in.items():
    bad = c.failed_in.get(what, 0)
    t.ok(bad == 0, f"{what}: no control byte for any of {n} hostile values",
         f"failed for {bad}")
if not tool:
    print("# no xen-channel tool: its outputs were not tried")
print(f"# campaign cli-control-bytes: tried {c.tried} held {c.held} failed {c.failed}")
sys.exit(t.done())
