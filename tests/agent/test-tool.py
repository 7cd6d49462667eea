#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The xen-channel tool: every subcommand, --help, --json parsed back, exit
codes, and connect bridging a pseudo-terminal that stands in for the hvc."""
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ptychannel  # noqa: E402
import taplib  # noqa: E402

TOOL = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="xc-tool-")
DEV = os.path.join(TMP, "dev")
RUN = os.path.join(TMP, "run")


def reset():
    shutil.rmtree(TMP, ignore_errors=True)
    os.makedirs(DEV)
    os.makedirs(RUN)


def link(name, target):
    ptychannel.link(DEV, name, target)


def tool(*args, input=None, timeout=20):
    return subprocess.run([TOOL, "--dev-dir", DEV, "--run-dir", RUN, *args],
                          input=input, capture_output=True, timeout=timeout)


def test_help_everywhere():
    reset()
    r = subprocess.run([TOOL, "--help"], capture_output=True, text=True)
    assert r.returncode == 0, r
    for cmd in ("list", "wait", "connect", "check-name"):
        assert cmd in r.stdout, r.stdout
        h = subprocess.run([TOOL, cmd, "--help"], capture_output=True, text=True)
        assert h.returncode == 0, (cmd, h)
        assert "Usage" in h.stdout and cmd in h.stdout, (cmd, h.stdout)
    v = subprocess.run([TOOL, "--version"], capture_output=True, text=True)
    assert v.returncode == 0 and v.stdout.startswith("xen-channel "), v


def test_usage_errors():
    reset()
    for args, what in ((["frob"], "unknown command"), ([], "no command"),
                       (["wait"], "missing argument"), (["wait", "a", "b"], "too many"),
                       (["list", "--bogus"], "Unknown option"),
                       (["wait", "--timeout", "soon", "a"], "invalid --timeout"),
                       (["connect", "--linger", "-3", "a"], "invalid duration")):
        r = tool(*args)
        assert r.returncode == 2, (args, r)
        assert what in r.stderr.decode(), (args, r.stderr)
        assert r.stderr.decode().count("\n") <= 2, r.stderr
    r = subprocess.run([TOOL, "--dev-dir", "relative", "list"], capture_output=True)
    assert r.returncode == 2, r


def test_list_table_and_json():
    reset()
    r = tool("list")
    assert r.returncode == 0, r
    assert b"No channel is present" in r.stdout, r.stdout
    r = tool("list", "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == [], r
    link("org.qemu.guest_agent.0", "../hvc1")
    link("com.redhat.rhevm.vdsm", "../hvc2")
    link("not.ours", "/dev/null")
    with open(os.path.join(RUN, "state"), "w") as f:
        f.write("1 1\n")
    r = tool("list")
    assert r.returncode == 0, r
    lines = r.stdout.decode().splitlines()
    assert lines[0].split() == ["NAME", "TTY", "DEVID"], lines
    assert lines[1].split() == ["com.redhat.rhevm.vdsm", "hvc2", "-"], lines
    assert lines[2].split() == ["org.qemu.guest_agent.0", "hvc1", "1"], lines
    assert len(lines) == 3, lines
    r = tool("list", "--json")
    assert r.returncode == 0, r
    data = json.loads(r.stdout)
    assert data == [
        {"name": "com.redhat.rhevm.vdsm", "tty": "hvc2", "devname": DEV + "/hvc2",
         "path": DEV + "/xen-channel/com.redhat.rhevm.vdsm", "devid": None},
        {"name": "org.qemu.guest_agent.0", "tty": "hvc1", "devname": DEV + "/hvc1",
         "path": DEV + "/xen-channel/org.qemu.guest_agent.0", "devid": 1},
    ], data


def test_json_escaping():
    # a dev dir with quotes, backslashes and a control character must still
    # give valid JSON that round-trips
    global DEV
    saved = DEV
    try:
        DEV = os.path.join(TMP, 'we"ird\\dir\tx')
        reset()
        link("a.chan", "../hvc3")
        r = tool("list", "--json")
        assert r.returncode == 0, r
        data = json.loads(r.stdout)
        assert data[0]["path"] == DEV + "/xen-channel/a.chan", data
    finally:
        DEV = saved


def test_check_name():
    reset()
    r = tool("check-name", "org.qemu.guest_agent.0")
    assert r.returncode == 0, r
    assert b"valid" in r.stdout and b"dev-xen\\x2dchannel-org.qemu.guest_agent.0.device" \
        in r.stdout, r.stdout
    r = tool("check-name", "my-agent")
    assert b"dev-xen\\x2dchannel-my\\x2dagent.device" in r.stdout, r.stdout
    for bad, why in (("a/b", "/"), ("..", ""), ("x\ny", ""), ("", ""),
                     ("a" * 200, ""), ("-x", "")):
        r = tool("check-name", "--", bad)
        assert r.returncode == 3, (bad, r)
        out = r.stdout.decode()
        assert "rejected channel name" in out and why in out, (bad, out)
        assert "\n" not in out.rstrip("\n"), out       # control chars escaped
    r = tool("check-name", "-q", "a/b")
    assert r.returncode == 3 and r.stdout == b"", r


def test_wait():
    reset()
    link("present.0", "../hvc1")
    t0 = time.monotonic()
    assert tool("wait", "present.0").returncode == 0
    assert tool("wait", "--timeout", "0", "present.0").returncode == 0
    r = tool("wait", "--timeout", "0.3", "absent.0")
    dt = time.monotonic() - t0
    assert r.returncode == 4, r
    assert 0.3 <= dt < 5, dt
    err = r.stderr.decode()
    assert "absent.0 did not appear" in err and "present.0" in err, err
    assert tool("wait", "-q", "--timeout", "0", "absent.0").stderr == b""
    r = tool("wait", "a/b")
    assert r.returncode == 3 and b'rejected channel name "a/b"' in r.stderr, r
    # appears while waiting (and the folder is created late)
    reset()
    timer = threading.Timer(0.3, link, ("late.0", "../hvc2"))
    timer.start()
    t0 = time.monotonic()
    r = tool("wait", "--timeout", "10", "late.0")
    timer.join()
    assert r.returncode == 0, r
    assert time.monotonic() - t0 < 5


def make_pty_channel(name, slot=3):
    master = ptychannel.new(DEV, slot)
    link(name, f"../hvc{slot}")
    return master


def read_until(fd, want, timeout=5):
    buf = b""
    end = time.monotonic() + timeout
    while want not in buf and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], max(0, end - time.monotonic()))
        if r:
            try:
                buf += os.read(fd, 65536)
            except OSError:
                # EIO on the master: no slave open (yet); the tool is starting
                time.sleep(0.01)
    return buf


def test_connect_errors():
    reset()
    link("other.0", "../hvc1")
    r = tool("connect", "missing.0")
    assert r.returncode == 4, r
    err = r.stderr.decode()
    assert "not present" in err and "other.0" in err, err
    r = tool("connect", "other.0")                 # dangling: no hvc1 here
    assert r.returncode == 5, r
    assert b"dangles" in r.stderr, r.stderr
    r = tool("connect", "--timeout", "0.2", "missing.0")
    assert r.returncode == 4 and b"did not appear" in r.stderr, r


def test_connect_bridges_raw_bytes():
    reset()
    master = make_pty_channel("org.example.agent.0")
    data = bytes(range(256)) * 4

    def host():
        got = read_until(master, data[-256:])
        os.write(master, b"reply\r\n\x00\xff")
        return got

    result = {}
    th = threading.Thread(target=lambda: result.setdefault("got", host()))
    th.start()
    r = tool("connect", "--linger", "1", "org.example.agent.0", input=data)
    th.join()
    assert r.returncode == 0, r
    assert result["got"] == data, len(result["got"])
    assert r.stdout == b"reply\r\n\x00\xff", r.stdout
    os.close(master)


def test_connect_one_mib_echoed():
    # 1 MiB through the channel to a host that echoes everything back as it
    # comes: the tool must keep reading the channel while it writes to it
    # (a tool that blocks in write() while the echo fills the other
    # direction deadlocks), and nothing may be lost, doubled or altered.
    reset()
    master = make_pty_channel("org.example.agent.0")
    size = 1 << 20
    data = bytes((i * 7 + (i >> 8)) & 0xff for i in range(size))

    def echo():
        done = 0
        end = time.monotonic() + 30
        while done < size and time.monotonic() < end:
            r, _, _ = select.select([master], [], [], 1)
            if not r:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                time.sleep(0.01)        # the tool has not opened it yet
                continue
            view = memoryview(chunk)
            while view:
                n = os.write(master, view)
                view = view[n:]
            done += len(chunk)

    th = threading.Thread(target=echo, daemon=True)
    th.start()
    r = tool("connect", "--linger", "2", "org.example.agent.0", input=data, timeout=30)
    th.join(5)
    assert r.returncode == 0, (r.returncode, r.stderr)
    assert len(r.stdout) == size, len(r.stdout)
    assert r.stdout == data
    os.close(master)


def test_connect_stdout_closed():
    # nobody reads the output any more: no death by SIGPIPE, exit 0
    reset()
    master = make_pty_channel("org.example.agent.0")
    p = subprocess.Popen([TOOL, "--dev-dir", DEV, "connect", "org.example.agent.0"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.close()
    p.stdin.write(b"x\n")
    p.stdin.flush()
    read_until(master, b"x\n")
    os.write(master, b"answer\n")
    p.stdin.close()
    p.wait(timeout=10)
    err = p.stderr.read()
    p.stderr.close()
    assert p.returncode == 0, (p.returncode, err)
    os.close(master)


def test_connect_hangup():
    reset()
    master = make_pty_channel("org.example.agent.0")
    p = subprocess.Popen([TOOL, "--dev-dir", DEV, "connect", "org.example.agent.0"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdin.write(b"hi\n")
    p.stdin.flush()
    assert read_until(master, b"hi\n") == b"hi\n"
    os.close(master)                    # the backend goes away
    out, err = p.communicate(timeout=10)
    assert p.returncode == 6, (p.returncode, err)
    assert b"hung up" in err, err


if __name__ == "__main__":
    try:
        sys.exit(taplib.run(globals()))
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
