#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The example agent against a pty-backed channel made through the core
flow: xen-channel-helper link (as udev runs it) makes the channel link to
<dev>/hvc3, which is a symlink to a pseudo-terminal standing in for the hvc
tty. Then: handshake, requests, a hangup (the agent reconnects), the link
going away and coming back, and the systemd unit."""
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ptychannel  # noqa: E402
import taplib  # noqa: E402

AGENT, HELPER, UNIT = (os.path.abspath(a) for a in sys.argv[1:4])
NAME = "org.example.agent.0"
TMP = tempfile.mkdtemp(prefix="xc-example-")
DEV = os.path.join(TMP, "dev")
RUN = os.path.join(TMP, "run")
os.makedirs(DEV)
os.makedirs(RUN)


def new_tty(slot=3):
    """A fresh pty behind <dev>/hvc<slot>; returns the master fd."""
    return ptychannel.new(DEV, slot)


def kill_tty(master, slot=3):
    """The console goes away: hang up, and point hvc at nothing."""
    ptychannel.hangup(DEV, slot, master)


def helper(action, slot=3):
    env = dict(os.environ, XEN_CHANNEL_NAME=NAME, XEN_CHANNEL_TTY=f"hvc{slot}",
               DEVPATH="/devices/console-3")
    r = subprocess.run([HELPER, "--dev-dir", DEV, "--run-dir", RUN, action],
                       env=env, capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, (action, r)
    return r


class Host:
    """The host side of the channel: line I/O on the pty master."""

    def __init__(self, master):
        self.fd = master
        self.buf = b""

    def line(self, timeout=10):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            assert left > 0, f"no line from the agent (have {self.buf!r})"
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    self.buf += os.read(self.fd, 4096)
                except OSError:         # EIO: the agent has not opened it yet
                    time.sleep(0.01)
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def send(self, text):
        data = text.encode() + b"\n"
        while data:                     # a pty takes about 4 KiB at a time
            data = data[os.write(self.fd, data):]

    def ask(self, text):
        self.send(text)
        return self.line()


STATE = {}


def start_agent():
    STATE["agent"] = subprocess.Popen([AGENT, "--dev-dir", DEV, NAME],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_agent_waits_then_handshakes():
    start_agent()
    time.sleep(0.3)             # the agent is up before the channel exists
    assert STATE["agent"].poll() is None
    master = new_tty()
    helper("link")              # what udev does when the console is bound
    assert os.readlink(os.path.join(DEV, "xen-channel", NAME)) == "../hvc3"
    host = Host(master)
    assert host.line() == f"HELLO 1 {NAME}"
    assert host.ask("PING") == "ERR say HELLO 1 first"
    assert host.ask("HELLO 2").startswith("ERR unsupported version")
    assert host.ask("HELLO 1") == "OK ready"
    STATE["host"] = host


def test_requests():
    host = STATE["host"]
    assert host.ask("PING") == "PONG"
    assert host.ask("ECHO hello  world") == "OK hello  world"
    assert host.ask("ECHO") == "OK "
    assert host.ask("PING\r") == "PONG"                 # CRLF tolerated
    assert host.ask("HOSTNAME") == "OK " + os.uname().nodename
    assert host.ask("UPTIME").startswith("OK ")
    assert host.ask("SESSIONS") == "OK 1"
    assert host.ask("FROB") == "ERR unknown request"
    # raw mode: bytes the line discipline would eat or echo go through
    assert host.ask("ECHO a\x03b\x11c\x13d\x04e\x7f") == "OK a\x03b\x11c\x13d\x04e\x7f"
    # an overlong line is refused, and the next one is served
    r = host.ask("ECHO " + "x" * 5000)
    assert r == "ERR line too long", r[:100]
    assert host.ask("PING") == "PONG"
    # several requests in one write
    os.write(host.fd, b"PING\nECHO 1\nPING\n")
    assert [host.line(), host.line(), host.line()] == ["PONG", "OK 1", "PONG"]


def vm_kib(pid):
    """VmRSS and VmData of a process, in KiB."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmData"):
                fields[key] = int(value.split()[0])
    return fields["VmRSS"], fields["VmData"]


def flood(host, filler, limit=32 << 20):
    """Send ECHO requests without reading until limit bytes went through or
    the agent has taken nothing for 1 s. Returns (bytes sent, requests
    begun, the unsent rest of the last one); host.fd is left non-blocking."""
    lines = (f"ECHO {i} {filler}\n".encode() for i in range(1 << 30))
    pending, sent, nreq = b"", 0, 0
    os.set_blocking(host.fd, False)
    stalled_since = None
    end = time.monotonic() + 20
    while sent < limit and time.monotonic() < end:
        if not pending:
            pending = next(lines)
            nreq += 1
        try:
            n = os.write(host.fd, pending)
        except BlockingIOError:
            n = 0
        if n:
            sent += n
            pending = pending[n:]
            stalled_since = None
            continue
        stalled_since = stalled_since or time.monotonic()
        if time.monotonic() - stalled_since > 1:
            break
        time.sleep(0.01)
    return sent, nreq, pending


def test_flood_without_reading_stays_bounded():
    """A host that sends requests and never reads: the agent stops reading
    once ~64 KiB of replies are unsent, so the host's writes block and the
    agent's memory stays put. Then every reply arrives, in order."""
    host, pid = STATE["host"], STATE["agent"].pid
    rss0, data0 = vm_kib(pid)
    filler = "x" * 1000
    sent, nreq, pending = flood(host, filler)
    rss1, data1 = vm_kib(pid)
    print(f"# flood: agent took {sent} bytes ({nreq} requests); VmRSS {rss0} -> {rss1} KiB,"
          f" VmData {data0} -> {data1} KiB", flush=True)
    assert STATE["agent"].poll() is None
    assert rss1 - rss0 < 8192 and data1 - data0 < 8192, \
        (f"VmRSS {rss0} -> {rss1} KiB, VmData {data0} -> {data1} KiB "
         f"after {sent} bytes of requests")
    assert sent < 4 << 20, f"the agent took {sent} bytes without replies read"
    # Now read: the rest of the last request goes through, every request
    # gets its reply, in order, and the agent still answers.
    got = 0
    end = time.monotonic() + 30
    while got < nreq:
        assert time.monotonic() < end, f"{got} of {nreq} replies"
        want = [host.fd] if pending else []
        r, w, _ = select.select([host.fd], want, [], 1)
        if w:
            try:
                pending = pending[os.write(host.fd, pending):]
            except BlockingIOError:
                pass
        if r:
            host.buf += os.read(host.fd, 65536)
            while b"\n" in host.buf and got < nreq:
                line, host.buf = host.buf.split(b"\n", 1)
                assert line.decode() == f"OK {got} {filler}", (got, line[:60])
                got += 1
    os.set_blocking(host.fd, True)
    assert host.ask("PING") == "PONG"
    rss2, data2 = vm_kib(pid)
    assert rss2 - rss0 < 8192 and data2 - data0 < 8192, (rss0, rss2, data0, data2)


def test_hangup_then_reconnect():
    # The agent has stopped reading (replies backed up) when the host goes.
    sent, _, _ = flood(STATE["host"], "y" * 1000, limit=4 << 20)
    assert sent < 4 << 20, sent
    kill_tty(STATE["host"].fd)      # migration: the console is re-created
    time.sleep(0.3)
    assert STATE["agent"].poll() is None
    master = new_tty()              # same hvc slot, same link
    host = Host(master)
    assert host.line() == f"HELLO 1 {NAME}"
    assert host.ask("PING") == "ERR say HELLO 1 first"   # state starts over
    assert host.ask("HELLO 1") == "OK ready"
    assert host.ask("SESSIONS") == "OK 2"
    STATE["host"] = host


def test_link_goes_and_comes_back():
    helper("unlink")
    assert not os.path.lexists(os.path.join(DEV, "xen-channel", NAME))
    time.sleep(0.3)
    kill_tty(STATE["host"].fd)
    master = new_tty(slot=3)
    helper("link")
    host = Host(master)
    assert host.line() == f"HELLO 1 {NAME}"
    assert host.ask("HELLO 1") == "OK ready"
    assert host.ask("SESSIONS") == "OK 3"
    STATE["host"] = host


def test_agent_stops_cleanly():
    agent = STATE["agent"]
    agent.send_signal(signal.SIGTERM)
    out, err = agent.communicate(timeout=10)
    assert agent.returncode == 0, (agent.returncode, err)
    assert b"connected" in err, err
    os.close(STATE["host"].fd)


def test_unit_file():
    text = open(UNIT).read()
    dev = "dev-xen\\x2dchannel-org.example.agent.0.device"
    assert f"BindsTo={dev}" in text and f"After={dev}" in text, text
    assert f"WantedBy={dev}" in text, text
    # the alias in the unit is what systemd-escape makes of the link path
    esc = shutil.which("systemd-escape")
    if esc:
        r = subprocess.run([esc, "--path", "--suffix=device",
                            f"/dev/xen-channel/{NAME}"], capture_output=True, text=True)
        assert r.stdout.strip() == dev, r.stdout
    analyze = shutil.which("systemd-analyze")
    if analyze:
        unit = os.path.join(TMP, "xen-channel-example-agent.service")
        with open(unit, "w") as f:
            f.write(text.replace("/usr/local/bin/xen-channel-example-agent", AGENT)
                        .replace("/usr/bin/xen-channel-example-agent", AGENT))
        r = subprocess.run([analyze, "verify", "--man=no", unit],
                           capture_output=True, text=True)
        assert r.returncode == 0 and r.stderr.strip() == "", r


if __name__ == "__main__":
    try:
        sys.exit(taplib.run(globals()))
    finally:
        if "agent" in STATE and STATE["agent"].poll() is None:
            STATE["agent"].kill()
        shutil.rmtree(TMP, ignore_errors=True)
