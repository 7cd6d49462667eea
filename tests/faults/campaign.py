# SPDX-License-Identifier: LGPL-2.1-or-later
"""The fault campaign: for each scenario (a helper command in a prepared
guest), fail every watched file-system and sysfs call of the command, one
at a time, with representative errnos, and kill the helper at every call;
after each, check the invariants, run one clean `sync` and check that it
restores exactly what a run without the fault gives.

  umockdev-run -- python3 campaign.py HELPER SHIM WORKDIR   (TAP on stdout)

XENSTORED_PATH must lead to a test xenstore server holding bed.NAMES.
The closing lines give the counts ("faults: tried N held N failed N") in a
fixed format, so runs compare.

Invariants, per injected fault:
  exit 0      then the fault was harmless: stdout, links, state and names are
              exactly those of the run without the fault;
  exit != 0   the code fits the fault (1, or 5 for sysfs; 6 only for a
              folder that is no folder: an open with ENOTDIR/ELOOP, and
              stderr says so), stderr names the error (strerror), nothing on stdout, and every link, the state
              and the names file are each either as before or as after the
              clean run (nothing half-done, no link at a wrong hvc);
  killed      the same for the files (temp links may remain);
  then        one clean sync exits as after the clean run, and leaves the
              links (every entry of the link folder), state and names
              exactly as the clean run followed by sync does.
"""

import errno
import os
import sys

import bed

HELPER, SHIM, WORK = sys.argv[1:4]
ONLY = sys.argv[4] if len(sys.argv) > 4 else None

# Representative errnos per call; ENOENT and EINVAL (readlink) are left out:
# they carry a meaning ("absent", "not a symlink") rather than a failure.
ERRNOS = {
    "openat": ["EACCES", "EIO", "ENOMEM"],
    "open": ["EACCES", "EIO", "ENOMEM"],
    "fopen": ["EACCES", "EIO"],
    "opendir": ["EACCES", "EIO", "ENOMEM"],
    "fdopendir": ["ENOMEM"],
    "dup": ["EMFILE"],
    "readdir": ["EIO"],
    "read": ["EIO"],
    "write": ["EIO", "ENOSPC"],
    "close": ["EIO"],
    "fstat": ["EIO", "ENOMEM"],
    "fstatat": ["EACCES", "EIO", "ENOMEM"],
    "stat": ["EACCES", "EIO"],
    "lstat": ["EACCES", "EIO"],
    "statx": ["EACCES", "EIO"],
    "access": ["EACCES", "EIO", "ENOMEM"],
    "faccessat": ["EACCES", "EIO"],
    "readlink": ["EACCES", "EIO", "ENOMEM"],
    "readlinkat": ["EACCES", "EIO", "ENOMEM"],
    "symlinkat": ["EACCES", "EIO", "ENOSPC", "EEXIST"],
    "renameat": ["EACCES", "EIO", "ENOSPC"],
    "unlinkat": ["EACCES", "EIO", "EBUSY"],
    "mkdirat": ["EACCES", "EIO", "ENOSPC"],
    "mkdir": ["EACCES", "EIO"],
    "fchmod": ["EPERM", "EIO"],
    "flock": ["ENOLCK", "EINTR"],
}
DIR_ERRNOS = ["ENOTDIR"]        # extra for opens of a folder

N = bed.NAMES
SCENARIOS = {
    # consoles 1, 3, 4 bound: hvc1, hvc2, hvc3 (the gap at 2 matters)
    "export": [("bed", {1, 3}), ("export", 1), ("link", 1), ("export", 3), ("link", 3),
               ("bed", {1, 3, 4}), ("cmd", "export", 4)],
    "link": [("bed", {1, 3, 4}), ("export", 1), ("link", 1), ("export", 3), ("link", 3),
             ("export", 4), ("cmd", "link", 4)],
    # 6 carries 3's name: it loses the clash (exit 7)
    "link-clash": [("bed", {1, 3, 4, 6}), ("export", 1), ("link", 1), ("export", 3),
                   ("link", 3), ("export", 4), ("link", 4), ("export", 6),
                   ("cmd", "link", 6)],
    "link-long": [("bed", {1, 7}), ("export", 1), ("link", 1), ("export", 7),
                  ("cmd", "link", 7)],
    "unlink": [("bed", {1, 3, 4}), ("sync",), ("export", 1), ("export", 3), ("export", 4),
               ("bed", {1, 4}), ("cmd", "unlink", 3)],
    # 3 goes away: its name passes to 6
    "unlink-handover": [("bed", {1, 3, 4, 6}), ("sync",), ("export", 3), ("bed", {1, 4, 6}),
                        ("cmd", "unlink", 3)],
    # 3 went away unnoticed, 5 came unnoticed, a killed helper's temp link
    # and a file that is not ours lie in the folder
    "sync": [("bed", {1, 3, 4}), ("sync",), ("bed", {1, 4, 5}),
             ("symlink", ".chan.four.999.tmp", "../hvc3"), ("file", "README"),
             ("cmd", "sync")],
    "sync-boot": [("bed", {1, 2, 3, 4, 7}), ("cmd", "sync")],
}


class Scenario:
    def __init__(self, name, steps):
        self.name = name
        self.steps = steps
        self.f = bed.Folders(f"{WORK}/w")
        self.h = bed.Helper(HELPER, SHIM, self.f)
        self.props = {}
        self.snap = f"{WORK}/snap-{name}"

    def do(self, step, **kw):
        kind = step[0]
        if kind == "bed":
            bed.bed(step[1])
            return None
        if kind == "symlink":
            os.makedirs(self.f.links, exist_ok=True)
            os.symlink(step[2], f"{self.f.links}/{step[1]}")
            return None
        if kind == "file":
            os.makedirs(self.f.links, exist_ok=True)
            open(f"{self.f.links}/{step[1]}", "w").close()
            return None
        if kind == "sync":
            return self.h.run(["sync"], **kw)
        devid = step[1]
        if kind == "export":
            r = self.h.run(["export", str(devid)], **kw)
            if r[0] == 0 and not kw:
                self.props[devid] = bed.parse_export(r[1])
            return r
        p = self.props[devid]
        env = bed.udev_env(devid, p["XEN_CHANNEL_NAME"], p["XEN_CHANNEL_TTY"][3:], self.f.dev)
        return self.h.run([kind], extra=env, **kw)

    def prepare(self):
        self.f.reset()
        for step in self.steps[:-1]:
            r = self.do(step)
            if r and r[0] not in (0, 7):
                raise RuntimeError(f"{self.name}: setup {step} failed: {r}")
        self.f.save(self.snap)
        self.cmd = ("sync",) if self.steps[-1][1] == "sync" else self.steps[-1][1:]
        self.pre = self.f.snapshot()
        trace = f"{WORK}/trace"
        if os.path.exists(trace):
            os.unlink(trace)
        self.ref = self.do(self.cmd, trace=trace)
        self.post = self.f.snapshot()
        self.ref_sync = self.h.run(["sync"])
        self.final = self.f.snapshot()
        with open(trace) as t:
            self.calls = [line.split(" ", 4) for line in t.read().splitlines()]


def allowed_codes(cls, err, is_dir):
    codes = {1}
    if cls == "sys":
        codes.add(5)
    if is_dir and err in ("ENOTDIR", "ELOOP"):
        codes.add(6)
    return codes


def temp_entry(name):
    return name.startswith(".") and name.endswith(".tmp")


def half_done(s, now, allow_temp):
    """Reasons why the files are neither before nor after, per file."""
    bad = []
    names = set(s.pre["links"]) | set(s.post["links"]) | set(now["links"])
    for n in sorted(names):
        if allow_temp and temp_entry(n) and n not in s.pre["links"]:
            continue
        v = now["links"].get(n)
        if v != s.pre["links"].get(n) and v != s.post["links"].get(n):
            bad.append(f"link {n} -> {v} (before {s.pre['links'].get(n)}, "
                       f"after {s.post['links'].get(n)})")
    for k in ("state", "names"):
        if now[k] != s.pre[k] and now[k] != s.post[k]:
            bad.append(f"{k} is {now[k]!r} (before {s.pre[k]!r}, after {s.post[k]!r})")
    return bad


def check_one(s, call, action):
    fn, n, cls, is_dir, path = call
    s.f.reset(s.snap)
    hit = f"{WORK}/hit"
    if os.path.exists(hit):
        os.unlink(hit)
    if os.environ.get("CAMPAIGN_DEBUG"):
        print(f"# try {s.name} {fn}:{n}:{action} {path}", flush=True)
    rc, out, err = s.do(s.cmd, fault=f"{fn}:{n}:{action}", hit=hit)
    now = s.f.snapshot()
    bad = []
    if not os.path.exists(hit):
        bad.append("the fault was not reached (the calls differ from the clean run)")
    if action == "kill":
        if rc != -9:
            bad.append(f"exit {rc}, not killed")
        bad += half_done(s, now, allow_temp=True)
    elif rc == s.ref[0]:
        if out != s.ref[1]:
            bad.append(f"exit {rc} as without the fault, but stdout {out!r}, "
                       f"not {s.ref[1]!r}")
        if now != s.post:
            bad.append(f"exit {rc} as without the fault, but the files differ: {now} "
                       f"instead of {s.post}")
    else:
        codes = allowed_codes(cls, action, is_dir == "1")
        if rc not in codes:
            bad.append(f"exit {rc}, not {sorted(codes)}")
        text = os.strerror(getattr(errno, action))
        if rc == 6:
            if "symlink or not a folder" not in err and "Not a directory" not in err:
                bad.append("exit 6 without saying which folder is unsafe")
        elif text not in err:
            bad.append(f"stderr does not say \"{text}\"")
        if out:
            bad.append(f"stdout {out!r} from a failed run")
        bad += half_done(s, now, allow_temp=False)
    src, sout, serr = s.h.run(["sync"])
    fin = s.f.snapshot()
    if src != s.ref_sync[0]:
        bad.append(f"the repair sync exits {src}, not {s.ref_sync[0]}: {serr.strip()}")
    if fin != s.final:
        diff = [f"{k}: {fin[k]!r} instead of {s.final[k]!r}" for k in fin
                if fin[k] != s.final[k]]
        bad.append("the repair sync leaves " + "; ".join(diff))
    if bad:
        first = (err.strip().splitlines() or [""])[0]
        return [f"{fn}#{n} {action} ({cls} {path.replace(WORK, '')}): " + bad[0][:300] +
                (f" [+{len(bad) - 1} more]" if len(bad) > 1 else "") +
                (f"\n  stderr: {first[:200]}" if first else "")]
    return []


def main():
    os.makedirs(WORK, exist_ok=True)
    t = bed.Tap()
    totals = {"faults": [0, 0, 0], "kills": [0, 0, 0]}
    for name, steps in SCENARIOS.items():
        if ONLY and name != ONLY:
            continue
        s = Scenario(name, steps)
        s.prepare()
        for kind in ("faults", "kills"):
            tried = held = 0
            notes = []
            for call in s.calls:
                actions = ["kill"] if kind == "kills" else \
                    ERRNOS.get(call[0], ["EIO"]) + (DIR_ERRNOS if call[3] == "1" else [])
                for action in actions:
                    tried += 1
                    bad = check_one(s, call, action)
                    if bad:
                        notes.extend(bad)
                    else:
                        held += 1
            failed = tried - held
            for i, v in enumerate((tried, held, failed)):
                totals[kind][i] += v
            more = [f"... {len(notes) - 8} more failed cases"] if len(notes) > 8 else []
            t.ok(failed == 0, f"{name}: {kind} tried {tried} held {held} failed {failed}"
                 f" ({len(s.calls)} calls)", *notes[:8], *more)
    for kind, (n, h, f) in totals.items():
        print(f"# campaign {kind}: tried {n} held {h} failed {f}")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
