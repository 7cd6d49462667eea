#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""xen-channel supervise on a pseudo-terminal standing in for the hvc: a
hangup ends CMD and supervise exits 6; CMD ending on its own gives its
status; the link removed or pointed elsewhere ends CMD; SIGTERM is
forwarded; the tty is never read and its termios never changed."""
import os
import signal
import subprocess
import sys
import tempfile
import termios
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ptychannel  # noqa: E402
import taplib  # noqa: E402

TOOL = sys.argv[1]
NAME = "org.example.sup.0"
TMP = tempfile.mkdtemp(prefix="xc-supervise-")
DEV = os.path.join(TMP, "dev")
LINK = os.path.join(DEV, "xen-channel", NAME)
os.makedirs(DEV)

# CMD: a shell agent that says when it starts and when SIGTERM reaches it.
# It never touches the channel: what happens to the tty is supervise's doing.
AGENT = ('echo $$ > "$1/pid"; trap \'echo TERM >> "$1/log"; exit 0\' TERM; '
         'while :; do sleep 0.05; done')


def channel(slot=3):
    master = ptychannel.new(DEV, slot)
    ptychannel.link(DEV, NAME, f"../hvc{slot}")
    return master


def start(*cmd, opts=()):
    for f in ("pid", "log"):
        if os.path.exists(os.path.join(TMP, f)):
            os.unlink(os.path.join(TMP, f))
    if not cmd:
        cmd = ("sh", "-c", AGENT, "agent", TMP)
    return subprocess.Popen([TOOL, "--dev-dir", DEV, "supervise", *opts, NAME, "--", *cmd],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def agent_pid(timeout=10):
    end = time.monotonic() + timeout
    path = os.path.join(TMP, "pid")
    while time.monotonic() < end:
        if os.path.exists(path):
            text = open(path).read().strip()
            if text:
                return int(text)
        time.sleep(0.01)
    raise AssertionError("CMD did not start")


def agent_log():
    path = os.path.join(TMP, "log")
    return open(path).read() if os.path.exists(path) else ""


def finish(proc, timeout=10):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_usage():
    for args, code, what in ((["supervise", NAME], 2, 'after "--"'),
                             (["supervise", NAME, "--"], 2, 'after "--"'),
                             (["supervise", "--", "true"], 2, "missing argument"),
                             (["supervise", "-k", "x", NAME, "--", "true"], 2, "invalid"),
                             (["supervise", "a/b", "--", "true"], 3, "rejected channel name \"a/b\"")):
        r = subprocess.run([TOOL, "--dev-dir", DEV, *args], capture_output=True, text=True,
                           timeout=10)
        assert r.returncode == code and what in r.stderr, (args, r)
    r = subprocess.run([TOOL, "supervise", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "NAME -- CMD" in r.stdout, r


def test_absent_channel():
    p = start(opts=("--timeout", "0.2"))
    code, err = finish(p)
    assert code == 4 and "did not appear" in err, (code, err)
    assert not os.path.exists(os.path.join(TMP, "pid")), "CMD ran without its channel"


def test_cmd_status_is_passed_on():
    master = channel()
    code, err = finish(start("sh", "-c", "exit 3"))
    assert code == 3, (code, err)
    code, err = finish(start("sh", "-c", "kill -USR1 $$"))
    assert code == 128 + signal.SIGUSR1, (code, err)
    code, err = finish(start("/nonexistent/agent"))
    assert code == 127 and "cannot run /nonexistent/agent" in err, (code, err)
    os.close(master)


def test_hangup_stops_cmd():
    master = channel()
    fd = os.open(os.path.join(DEV, "hvc3"), os.O_RDONLY | os.O_NOCTTY)
    before = termios.tcgetattr(fd)
    os.close(fd)
    p = start()
    pid = agent_pid()
    # Bytes from the host stay for the agent: supervise never reads them,
    # and the tty keeps the mode it had (cooked here, as nobody set raw).
    os.write(master, b"for the agent\n")
    time.sleep(0.2)
    slave = os.open(os.path.join(DEV, "hvc3"), os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    assert termios.tcgetattr(slave) == before, "supervise changed the termios"
    assert os.read(slave, 100) == b"for the agent\n", "supervise read from the channel"
    os.close(slave)
    assert p.poll() is None and not gone(pid)
    ptychannel.hangup(DEV, 3, master)
    code, err = finish(p)
    assert code == 6, (code, err)
    assert f"channel {NAME} hung up: stopping sh (pid {pid})" in err, err
    assert agent_log() == "TERM\n", agent_log()
    assert gone(pid)


def test_kill_after_bound():
    master = channel()
    p = start("sh", "-c", f"trap '' TERM; echo $$ > {TMP}/pid; exec sleep 60",
              opts=("--kill-after", "0.3"))
    pid = agent_pid()
    os.close(master)
    code, err = finish(p)
    assert code == 6 and "sending SIGKILL" in err, (code, err)
    assert gone(pid)


def test_link_removed_stops_cmd():
    master = channel()
    p = start()
    pid = agent_pid()
    os.unlink(LINK)
    code, err = finish(p)
    assert code == 4 and "is gone" in err, (code, err)
    assert agent_log() == "TERM\n" and gone(pid)
    os.close(master)


def test_link_replaced_stops_cmd():
    master = channel()
    p = start()
    pid = agent_pid()
    other = ptychannel.new(DEV, 4)
    ptychannel.link(DEV, NAME, "../hvc4")
    code, err = finish(p)
    assert code == 6 and "points at another tty" in err, (code, err)
    assert agent_log() == "TERM\n" and gone(pid)
    os.close(master)
    os.close(other)


def test_sigterm_forwarded():
    master = channel()
    p = start("sh", "-c", f"echo $$ > {TMP}/pid; trap 'exit 7' TERM; "
              "while :; do sleep 0.05; done")
    pid = agent_pid()
    p.send_signal(signal.SIGTERM)
    code, err = finish(p)
    assert code == 7, (code, err)      # CMD's own status: it got the signal
    assert gone(pid)
    os.close(master)


# systemd.service(5), SuccessExitStatus=: besides what it lists, a service
# ended cleanly when its main process exited 0 or died of one of these.
SYSTEMD_CLEAN_SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE)


def systemd_clean(returncode):
    """systemd's verdict on a wait status (Popen's returncode)."""
    if returncode < 0:
        return -returncode in SYSTEMD_CLEAN_SIGNALS
    return returncode == 0


def stopped_by(sig, body):
    """Run a CMD doing body under supervise, send sig to supervise once CMD
    is up (body writes its pid, after its trap): supervise's returncode
    (negative: the signal it died of)."""
    master = channel()
    p = start("sh", "-c", body)
    pid = agent_pid()
    p.send_signal(sig)
    code, err = finish(p)
    assert gone(pid), f"CMD (pid {pid}) outlived supervise"
    os.close(master)
    return code, err


def test_stop_signal_matrix():
    """A stop signal CMD dies of, supervise dies of too (what systemd calls a
    clean stop); a status CMD exits with in answer is passed on as it is."""
    up = f"echo $$ > {TMP}/pid"
    loop = f"{up}; while :; do sleep 0.05; done"
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        name = sig.name
        cases = (("dies of it", f"{up}; exec sleep 60", -sig, True),
                 ("traps it, exits 0", f"trap 'exit 0' {name[3:]}; {loop}", 0, True),
                 ("traps it, exits 3", f"trap 'exit 3' {name[3:]}; {loop}", 3, False))
        for what, body, want, clean in cases:
            code, err = stopped_by(sig, body)
            assert (code, systemd_clean(code)) == (want, clean), \
                f"{name} to supervise, CMD {what}: returncode {code} (systemd: " \
                f"{'clean' if systemd_clean(code) else 'failed'}), want {want}; {err!r}"


def test_hangup_exit_survives_a_stop_signal_death():
    """After a hangup supervise ends CMD itself: it exits 6, though CMD died
    of SIGTERM, so that Restart= brings CMD back."""
    master = channel()
    p = start("sh", "-c", f"echo $$ > {TMP}/pid; exec sleep 60")
    pid = agent_pid()
    ptychannel.hangup(DEV, 3, master)
    code, err = finish(p)
    assert code == 6 and not systemd_clean(code), (code, err)
    assert gone(pid)


sys.exit(taplib.run(globals()))
