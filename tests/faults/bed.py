# SPDX-License-Identifier: LGPL-2.1-or-later
"""The simulated guest of the fault campaigns: xenbus consoles in the umockdev
testbed ($UMOCKDEV_DIR/sys, edited while the tests run), the channel names
the test xenstore server holds (faults-lib.sh loads the same table), scratch
device and run folders, and the helper run with fault-shim.so in front of
umockdev's preload."""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import taplib  # noqa: E402

# devid -> channel name in xenstore (console-2 is a plain console: no name).
# 3 and 6 carry the same name (a clash); 7 is near the length limit, 8 near
# the limit of the escaped length (each "-" counts 4).
LONG_NAME = "org.example." + "l" * 113
DASH_NAME = "org.e" + "-x" * 44
NAMES = {
    1: "org.qemu.guest_agent.0",
    3: "chan.three",
    4: "chan.four",
    5: "chan.five",
    6: "chan.three",
    7: LONG_NAME,
    8: DASH_NAME,
}

SYS = os.path.join(os.environ.get("UMOCKDEV_DIR", "/nonexistent"), "sys")
MK_TESTBED = os.environ.get("XC_MK_TESTBED", "mk-testbed")


def _testbed(*args):
    """tests/lib/mk-testbed on the live testbed."""
    subprocess.run([MK_TESTBED, "--sysfs", SYS, *args], check=True)


def con_set(devid, bound):
    """console-N present in the testbed, bound to xenconsole or not."""
    _testbed(f"{devid}:{'bound' if bound else 'unbound'}")


def con_del(devid):
    _testbed("--remove", str(devid))


def bed(bound):
    """Exactly the consoles in bound, all bound."""
    for sub in ("devices", "bus/xen/devices", "bus/xen/drivers/xenconsole"):
        os.makedirs(f"{SYS}/{sub}", exist_ok=True)
    _testbed("--remove", *(str(d) for d in range(0, 20) if d not in bound))
    if bound:
        _testbed(*(str(d) for d in sorted(bound)))


class Folders:
    """Device and run folders at fixed paths (so that outputs compare)."""

    def __init__(self, top):
        self.top = top
        self.dev = f"{top}/dev"
        self.run = f"{top}/run"
        self.links = f"{self.dev}/xen-channel"

    def reset(self, snapshot=None):
        shutil.rmtree(self.top, ignore_errors=True)
        if snapshot:
            shutil.copytree(snapshot, self.top, symlinks=True)
        else:
            os.makedirs(self.dev)

    def save(self, snapshot):
        shutil.rmtree(snapshot, ignore_errors=True)
        shutil.copytree(self.top, snapshot, symlinks=True)

    def links_now(self):
        """name -> link target (or '<file>'/'<dir>'), every entry."""
        out = {}
        try:
            names = os.listdir(self.links)
        except FileNotFoundError:
            return out
        for n in names:
            p = f"{self.links}/{n}"
            if os.path.islink(p):
                out[n] = os.readlink(p)
            else:
                out[n] = "<dir>" if os.path.isdir(p) else "<file>"
        return out

    def run_file(self, name):
        try:
            with open(f"{self.run}/{name}") as f:
                return f.read()
        except FileNotFoundError:
            return None
        except OSError as e:
            return f"<{e.strerror}>"

    def snapshot(self):
        return {"links": self.links_now(), "state": self.run_file("state"),
                "names": self.run_file("names")}


Tap = taplib.Tap


def udev_env(devid, name, slot, dev):
    """What udev hands link/unlink: the properties export printed."""
    return {"XEN_CHANNEL_NAME": name, "XEN_CHANNEL_TTY": f"hvc{slot}",
            "XEN_CHANNEL_DEVNAME": f"{dev}/hvc{slot}",
            "DEVPATH": f"/devices/console-{devid}"}


def parse_export(out):
    props = {}
    for line in out.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            props[k] = v
    return props


class Helper:
    def __init__(self, helper, shim, folders, timeout_ms=1000):
        self.helper = helper
        self.shim = shim
        self.f = folders
        self.timeout_ms = timeout_ms

    def argv(self, args):
        return [self.helper, "--dev-dir", self.f.dev, "--run-dir", self.f.run,
                "--timeout", str(self.timeout_ms)] + list(args)

    def env(self, extra=None, fault=None, trace=None, hit=None, match=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("XEN_CHANNEL_", "FAULT", "DEVPATH", "ACTION"))}
        if extra:
            env.update(extra)
        if self.shim and (fault or trace):
            env["LD_PRELOAD"] = self.shim + ":" + os.environ.get("LD_PRELOAD", "")
            env["FAULT_ROOTS"] = f"run={self.f.run}:dev={self.f.dev}:sys=/sys"
            if fault:
                env["FAULT"] = fault
            if trace:
                env["FAULT_TRACE"] = trace
            if hit:
                env["FAULT_HIT"] = hit
            if match:
                env["FAULT_MATCH"] = match
        return env

    def run(self, args, extra=None, **kw):
        p = subprocess.run(self.argv(args), env=self.env(extra, **kw),
                           capture_output=True, text=True, timeout=20)
        return p.returncode, p.stdout, p.stderr

    def start(self, args, extra=None, **kw):
        return subprocess.Popen(self.argv(args), env=self.env(extra, **kw),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Guest:
    """A guest for the regression tests: folders, helper, what export said."""

    def __init__(self, helper, shim, work):
        self.f = Folders(f"{work}/w")
        self.h = Helper(helper, shim, self.f)
        self.work = work
        self.props = {}
        self.f.reset()

    def export(self, devid, **kw):
        r = self.h.run(["export", str(devid)], **kw)
        if r[0] == 0:
            self.props[devid] = parse_export(r[1])
        return r

    def env(self, devid):
        p = self.props[devid]
        return udev_env(devid, p["XEN_CHANNEL_NAME"], p["XEN_CHANNEL_TTY"][3:], self.f.dev)

    def udev(self, cmd, devid, **kw):
        """link/unlink as udev runs it, with the properties export printed."""
        return self.h.run([cmd], extra=self.env(devid), **kw)

    def plug(self, devids):
        """Consoles bound one by one, each handled as udev would."""
        for d in devids:
            bed(set(self.props) | {d})
            rc, out, err = self.export(d)
            if rc != 0:
                raise RuntimeError(f"export {d}: {rc} {err}")
            if "XEN_CHANNEL_NAME" in self.props[d]:
                rc, out, err = self.udev("link", d)
                if rc not in (0, 7):
                    raise RuntimeError(f"link {d}: {rc} {err}")


if __name__ == "__main__":
    # The --set options that load NAMES into the test xenstore server.
    for devid, name in sorted(NAMES.items()):
        print(f"--set=device/console/{devid}/name={name}")
