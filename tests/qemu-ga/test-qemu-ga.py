#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The real qemu-ga (Debian's qemu-guest-agent) started by exactly the
ExecStart= of the INSTALLED xen-channel-qemu-ga.service, on a pseudo-terminal
standing in for the channel's hvc tty, in a private dev folder.

Only paths are redirected: the tool's global --dev-dir (the device path
/dev/xen-channel/... becomes <tmp>/dev/xen-channel/...) and qemu-ga's
--statedir (it writes qga.state there, /var/run by default); the tool runs
from the install tree with its libraries. systemd's Restart=always is
emulated here: when the command exits, it is run again after RestartSec.

The host side follows the handshake rule: bytes sent before qemu-ga put the
tty in raw mode come back as an echo, so it sends guest-sync with an id and
discards every line until the answer carries that id. Then guest-info; then
the pty hangs up (a migration), a new pty goes behind the same link, and
guest-sync must be answered again."""
import atexit
import glob
import json
import os
import random
import select
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ptychannel  # noqa: E402
import taplib  # noqa: E402

BUILD, UNITDIR = sys.argv[1], sys.argv[2]
NAME = "org.qemu.guest_agent.0"
UNIT = "xen-channel-qemu-ga.service"
TMP = tempfile.mkdtemp(prefix="xc-qemu-ga-")
INST, DEV, STATE = (os.path.join(TMP, d) for d in ("inst", "dev", "state"))
for d in (DEV, STATE):
    os.makedirs(d)
atexit.register(shutil.rmtree, TMP, True)


def unit_values(path, key):
    with open(path) as f:
        return [line.split("=", 1)[1].strip() for line in f
                if line.startswith(key + "=")]


def install_tree():
    subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet",
                    "--destdir", INST], check=True, capture_output=True)
    return INST + UNITDIR + "/" + UNIT


UNIT_PATH = install_tree()
# the qemu-ga the unit was built for (meson option qemu_ga)
(QEMU_GA,) = unit_values(UNIT_PATH, "ConditionPathExists")
if not os.access(QEMU_GA, os.X_OK):
    print(f"1..0 # SKIP {QEMU_GA} not installed (apt-get install qemu-guest-agent; "
          "scripts/install-deps.sh does)")
    sys.exit(0)
service = host = None


class Service:
    """The unit's command under Restart=always: run again RestartSec after
    it exits, until stop()."""

    def __init__(self, argv, env, restart_sec):
        self.argv, self.env, self.restart_sec = argv, env, restart_sec
        self.exits = []                 # (status, stderr) of each run
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.proc = None
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stopping.is_set():
            log = tempfile.TemporaryFile(dir=TMP)
            with self.lock:
                if self.stopping.is_set():
                    return
                self.proc = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=log)
            status = self.proc.wait()
            log.seek(0)
            self.exits.append((status, log.read().decode(errors="replace")))
            self.stopping.wait(self.restart_sec)

    def stop(self):
        with self.lock:
            self.stopping.set()
            if self.proc and self.proc.poll() is None:
                self.proc.terminate()
        self.thread.join(20)


class Host:
    """dom0's end: JSON lines on the pty master, logged for the report."""

    def __init__(self, master):
        self.fd, self.buf = master, b""

    def send(self, obj):
        text = json.dumps(obj)
        print(f"# host -> guest: {text}", flush=True)
        os.write(self.fd, text.encode() + b"\n")

    def lines(self, until):
        while time.monotonic() < until:
            if b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                yield line.decode(errors="replace").strip()
                continue
            r, _, _ = select.select([self.fd], [], [], max(0, min(0.2, until - time.monotonic())))
            if r:
                try:
                    self.buf += os.read(self.fd, 65536)
                except OSError:         # EIO: no slave open yet
                    time.sleep(0.01)

    def answer(self, want, until):
        """The first line that want() accepts; others are logged and dropped."""
        for line in self.lines(until):
            try:
                reply = json.loads(line)
            except ValueError:
                reply = None
            shown = line if len(line) < 300 else f"{line[:300]}... ({len(line)} bytes)"
            if reply is not None and want(reply):
                print(f"# guest -> host: {shown}", flush=True)
                return reply
            print(f"# guest -> host (discarded, not the answer awaited): {shown}", flush=True)
        return None

    def sync(self, timeout=20):
        """guest-sync until answered with our id (resent every 2 s: a request
        written before qemu-ga read the tty may be echoed or lost)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            sync_id = random.randrange(1, 1 << 30)
            self.send({"execute": "guest-sync", "arguments": {"id": sync_id}})
            reply = self.answer(lambda r: r == {"return": sync_id},
                                min(end, time.monotonic() + 2))
            if reply:
                return sync_id
        raise AssertionError("guest-sync was not answered")


def command_line():
    """ExecStart= of the installed unit, with only the paths redirected."""
    (line,) = unit_values(UNIT_PATH, "ExecStart")
    argv = shlex.split(line)
    tool, sep = argv[0], argv.index("--")
    assert argv[1:sep] == ["supervise", NAME], argv
    assert argv[sep + 1:] == [QEMU_GA, "-m", "isa-serial", "-p", "/dev/xen-channel/" + NAME], \
        argv
    agent = [a.replace("/dev/", DEV + "/", 1) if a.startswith("/dev/") else a
             for a in argv[sep + 1:]]
    return [INST + tool, "--dev-dir", DEV, *argv[1:sep + 1], *agent, "--statedir", STATE]


def test_installed_unit_and_its_activation():
    assert os.path.isfile(UNIT_PATH), UNIT_PATH
    wants = f"{INST}{UNITDIR}/xen-channel@{NAME}.target.wants/{UNIT}"
    assert os.readlink(wants) == "../" + UNIT, wants
    device = "dev-xen\\x2dchannel-org.qemu.guest_agent.0.device"
    assert unit_values(UNIT_PATH, "BindsTo") == [device]
    assert device in unit_values(UNIT_PATH, "After")
    assert unit_values(UNIT_PATH, "Conflicts") == ["qemu-guest-agent.service"]
    assert unit_values(UNIT_PATH, "Restart") == ["always"]


def test_guest_sync_and_guest_info():
    global service, host
    master = ptychannel.new(DEV, 3)
    ptychannel.link(DEV, NAME, "../hvc3")
    libs = {os.path.dirname(p) for p in glob.glob(INST + "/**/libxenchannel.so.0", recursive=True)}
    env = dict(os.environ, LD_LIBRARY_PATH=":".join(libs))
    argv = command_line()
    print("# ExecStart as run: " + shlex.join(argv), flush=True)
    (restart_sec,) = unit_values(UNIT_PATH, "RestartSec")
    service = Service(argv, env, float(restart_sec))
    host = Host(master)
    host.sync()
    host.send({"execute": "guest-info"})
    info = host.answer(lambda r: isinstance(r.get("return"), dict),
                       time.monotonic() + 10)
    assert info, "guest-info was not answered"
    version = subprocess.run([QEMU_GA, "-V"], capture_output=True, text=True).stdout
    assert info["return"]["version"] in version, (info["return"]["version"], version)
    enabled = {c["name"] for c in info["return"]["supported_commands"] if c["enabled"]}
    assert {"guest-sync", "guest-info", "guest-get-osinfo"} <= enabled, enabled
    assert service.exits == [], service.exits


def test_hangup_then_answered_again():
    ptychannel.hangup(DEV, 3, host.fd)          # the console goes (migration)
    end = time.monotonic() + 10
    while not service.exits and time.monotonic() < end:
        time.sleep(0.05)
    assert service.exits, "the unit's command did not exit after the hangup"
    status, err = service.exits[0]
    print(f"# first run exited {status}: {err.strip()}", flush=True)
    assert status == 6 and f"channel {NAME} hung up" in err, (status, err)
    master = ptychannel.new(DEV, 3)             # and comes back behind the same link
    host.fd, host.buf = master, b""
    host.sync()
    print(f"# exit statuses of the runs so far: {[e[0] for e in service.exits]}", flush=True)


def test_stops_on_sigterm():
    runs = len(service.exits)
    service.stop()
    # SIGTERM reaches qemu-ga through supervise; qemu-ga exits 0 on it
    assert len(service.exits) == runs + 1, service.exits
    status, err = service.exits[-1]
    assert status == 0, (status, err)
    os.close(host.fd)


sys.exit(taplib.run(globals()))
