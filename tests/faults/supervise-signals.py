#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The supervise-signals campaign: every stop signal supervise passes on,
against every way a CMD can answer it, and the hangup path against each.

Oracle: supervise is transparent to a stop. CMD run alone and sent the
signal ends with some wait status; under supervise, with the signal sent
to supervise, supervise must end with the same wait status when CMD exits
or dies of that signal, so systemd's verdict on the service is the verdict
it would give CMD. Other ends keep supervise's own code: a CMD that dies
of a signal other than the one sent exits 128 + its number, and after a
hangup supervise stops CMD itself and exits 6 (a failure, for Restart= to
act) whatever CMD died of.

  supervise-signals.py TOOL   (TAP; $XC_PTY_CHANNEL from meson)
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ptychannel  # noqa: E402
import taplib  # noqa: E402

TOOL = sys.argv[1]
NAME = "org.example.campaign.0"
TMP = tempfile.mkdtemp(prefix="xc-supervise-signals-")
DEV = os.path.join(TMP, "dev")
PIDFILE = os.path.join(TMP, "pid")
os.makedirs(DEV)
t = taplib.Tap()
tried = held = 0

# systemd.service(5), SuccessExitStatus=: clean is exit 0 or death by these.
CLEAN_SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# CMD says it is up (its pid) once its trap is set, so the signal finds it.
UP = f'echo $$ > "{PIDFILE}"'
LOOP = f"{UP}; while :; do sleep 0.05; done"

# How CMD answers signal S (the shell's name of S replaces @): name, body.
ANSWERS = (
    ("dies of it", f"{UP}; exec sleep 60"),
    ("traps it, exits 0", f"trap 'exit 0' @; {LOOP}"),
    ("traps it, exits 3", f"trap 'exit 3' @; {LOOP}"),
    ("traps it, exits 143", f"trap 'exit 143' @; {LOOP}"),
    ("traps it, dies of SIGKILL", f"trap 'kill -KILL $$' @; {LOOP}"),
    ("traps it, dies of SIGUSR1", f"trap 'trap - USR1; kill -USR1 $$' @; {LOOP}"),
    ("traps it, dies of SIGTERM", f"trap 'trap - TERM; kill -TERM $$' @; {LOOP}"),
)


def verdict(returncode):
    if returncode < 0:
        return "clean" if -returncode in CLEAN_SIGNALS else "failed"
    return "clean" if returncode == 0 else "failed"


def expected(alone, sig):
    """supervise's returncode, given CMD's alone after sig."""
    if alone >= 0 or -alone == sig:
        return alone
    return 128 - alone


def cmd(sig, body):
    return ["sh", "-c", body.replace("@", sig.name[3:])]


def cmd_pid(timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(PIDFILE):
            text = open(PIDFILE).read().strip()
            if text:
                return int(text)
        time.sleep(0.01)
    raise AssertionError("CMD did not start")


def run(argv, sig=None, hangup=None):
    """argv started, sent sig once CMD is up (or hangup() called): its
    returncode and stderr."""
    if os.path.exists(PIDFILE):
        os.unlink(PIDFILE)
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        cmd_pid()
        if sig:
            p.send_signal(sig)
        if hangup:
            hangup()
        _, err = p.communicate(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode, err


def supervise(argv):
    return [TOOL, "--dev-dir", DEV, "supervise", "--kill-after", "1", NAME, "--", *argv]


def case(desc, got, want, err):
    global tried, held
    tried += 1
    ok = got == want
    held += ok
    t.ok(ok, desc, f"returncode {got} (systemd: {verdict(got)}), want {want} "
         f"(systemd: {verdict(want)})", err)


def stop_cases():
    for sig in STOP_SIGNALS:
        for what, body in ANSWERS:
            alone, _ = run(cmd(sig, body), sig)
            master = ptychannel.new(DEV, 2)
            ptychannel.link(DEV, NAME, "../hvc2")
            got, err = run(supervise(cmd(sig, body)), sig)
            os.close(master)
            case(f"{sig.name} to supervise, CMD {what}: ends as CMD alone ({alone})", got,
                 expected(alone, sig), err)


def own_death_case():
    """CMD dies of SIGTERM it sent itself: no stop was asked, 128 + 15."""
    master = ptychannel.new(DEV, 2)
    ptychannel.link(DEV, NAME, "../hvc2")
    got, err = run(supervise(["sh", "-c", f"{UP}; sleep 0.2; kill -TERM $$"]))
    os.close(master)
    case("CMD dies of a SIGTERM supervise was not sent: exit 143", got, 128 + signal.SIGTERM,
         err)


def hangup_cases():
    for what, body in ANSWERS:
        master = ptychannel.new(DEV, 2)
        ptychannel.link(DEV, NAME, "../hvc2")
        got, err = run(supervise(cmd(signal.SIGTERM, body)),
                       hangup=lambda: ptychannel.hangup(DEV, 2, master))
        case(f"hangup, CMD {what} on the SIGTERM supervise sends: exit 6", got, 6, err)


stop_cases()
own_death_case()
hangup_cases()
print(f"# campaign supervise-signals: tried {tried} held {held} failed {tried - held}")
sys.exit(t.done())
