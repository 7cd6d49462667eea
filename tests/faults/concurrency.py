# SPDX-License-Identifier: LGPL-2.1-or-later
"""The concurrency campaign: rounds of consoles unbinding and binding while
udev's handlers (unlink; export then link) and `sync` runs race each other,
with clashing names (consoles 3 and 6 carry the same one). After every
round the links are checked against a model of the kernel (first free hvc
slot at probe time) and of the clash policy (the lowest bound devid keeps
the name); then one more sync must change nothing and leave state and names
as the model says.

  umockdev-run -- python3 concurrency.py HELPER SHIM WORKDIR [ROUNDS]   (TAP)

Some syncs are slowed down (fault-shim's delay, 40 ms before their first
touch of the run folder, as a slow xenstore would) so that events fall
between what a sync reads and what it does. Within a round the unbinds come
before the binds and the binds go in ascending devid: the only orders in
which replaying the probes from the bound set can know the kernel's slots
(see FACTS.md). Console 2 (a plain console, no name) stays bound: export
records nothing for a console without a name.
"""

import os
import random
import sys
import threading
import time

import bed

HELPER, SHIM, WORK = sys.argv[1:4]
ROUNDS = int(sys.argv[4]) if len(sys.argv) > 4 else 60
POOL = [1, 3, 4, 5, 6, 7]
SLOW = float(sys.argv[5]) if len(sys.argv) > 5 else 0.7
CLASHING = {bed.NAMES[3]}


class Model:
    def __init__(self):
        self.slot = {}

    def bind(self, d):
        used = set(self.slot.values())
        self.slot[d] = min(s for s in range(1, 16) if s not in used)

    def unbind(self, d):
        del self.slot[d]

    def links(self):
        out = {}
        for d in sorted(self.slot):
            name = bed.NAMES.get(d)
            if name and name not in out:
                out[name] = f"../hvc{self.slot[d]}"
        return out

    def state(self):
        # In the order the slots were given (the state file keeps it: the
        # kernel's resume order); dicts keep insertion order.
        return "".join(f"{d} {s}\n" for d, s in self.slot.items())

    def names(self):
        return "".join(f"{d} {s} {bed.NAMES[d]}\n" for d, s in sorted(self.slot.items())
                       if d in bed.NAMES)


def main():
    rng = random.Random(12)
    f = bed.Folders(f"{WORK}/w")
    h = bed.Helper(HELPER, SHIM, f, timeout_ms=5000)
    model = Model()
    f.reset()
    start = {1, 2, 3}
    bed.bed(start)
    for d in sorted(start):
        model.bind(d)
    h.run(["sync"])
    props = {}
    for d in sorted(start):
        rc, out, _ = h.run(["export", str(d)])
        props[d] = bed.parse_export(out)
    rounds_failed = 0
    tap = bed.Tap()
    counts = {"export": 0, "link": 0, "unlink": 0, "sync": 0, "bind": 0, "unbind": 0}
    for rnd in range(1, ROUNDS + 1):
        bound = [d for d in POOL if d in model.slot]
        unbound = [d for d in POOL if d not in model.slot]
        unbinds = rng.sample(bound, rng.randint(0, min(2, len(bound))))
        binds = sorted(rng.sample(unbound, rng.randint(0, min(2, len(unbound)))))
        syncs = rng.randint(0, 2)
        results = []
        lock = threading.Lock()

        def record(what, d, rc, err):
            with lock:
                results.append((what, d, rc, err))
                counts[what] += 1

        def sync_job(slow):
            kw = {"fault": "openat:1:delay", "match": f.run} if slow else {}
            rc, _, err = h.run(["sync"], **kw)
            record("sync", None, rc, err)

        def unbind_job(d, env):
            rc, _, err = h.run(["unlink"], extra=env)
            record("unlink", d, rc, err)

        def bind_job(d):
            rc, out, err = h.run(["export", str(d)])
            record("export", d, rc, err)
            p = bed.parse_export(out)
            with lock:
                props[d] = p
            if rc != 0 or "XEN_CHANNEL_NAME" not in p:
                return
            env = bed.udev_env(d, p["XEN_CHANNEL_NAME"], p["XEN_CHANNEL_TTY"][3:], f.dev)
            rc, _, err = h.run(["link"], extra=env)
            record("link", d, rc, err)

        threads = [threading.Thread(target=sync_job, args=(rng.random() < SLOW,))
                   for _ in range(syncs)]
        for t in threads:
            t.start()
        for d in unbinds:
            time.sleep(rng.random() * 0.01)
            bed.con_del(d)
            model.unbind(d)
            counts["unbind"] += 1
            p = props.get(d, {})
            if "XEN_CHANNEL_NAME" in p:
                env = bed.udev_env(d, p["XEN_CHANNEL_NAME"], p["XEN_CHANNEL_TTY"][3:], f.dev)
                threads.append(threading.Thread(target=unbind_job, args=(d, env)))
                threads[-1].start()
        for d in binds:
            time.sleep(rng.random() * 0.01)
            bed.con_set(d, True)
            model.bind(d)
            counts["bind"] += 1
            threads.append(threading.Thread(target=bind_job, args=(d,)))
            threads[-1].start()
        for t in threads:
            t.join()

        bad = []
        for what, d, rc, err in results:
            ok_codes = {0, 7} if what in ("link", "sync") and CLASHING else {0}
            if rc not in ok_codes:
                bad.append(f"{what} {d or ''}: exit {rc}: {err.strip()[:200]}")
        want = model.links()
        got = f.links_now()
        if got != want:
            bad.append(f"links {got} instead of {want}")
        rc, _, err = h.run(["sync"])
        if rc not in (0, 7):
            bad.append(f"the closing sync: exit {rc}: {err.strip()[:200]}")
        if f.links_now() != want:
            bad.append(f"the closing sync leaves links {f.links_now()} instead of {want}")
        for k, v in (("state", model.state()), ("names", model.names())):
            if f.run_file(k) != v:
                bad.append(f"after the closing sync, {k} is {f.run_file(k)!r}, not {v!r}")
        events = " ".join([f"-{d}" for d in unbinds] + [f"+{d}" for d in binds])
        tap.ok(not bad, f"round {rnd}: {events or 'no events'}, {syncs} sync(s)", *bad)
        if bad:
            rounds_failed += 1
            # Start the next round from what the model says.
            f.reset()
            os.makedirs(f.run)
            with open(f"{f.run}/state", "w") as st:
                st.write(model.state())
            h.run(["sync"])
            for d in sorted(model.slot):
                rc, out, _ = h.run(["export", str(d)])
                props[d] = bed.parse_export(out)
            if f.links_now() != model.links():
                print("Bail out! cannot rebuild a consistent guest")
                return 1
    runs = " ".join(f"{k} {v}" for k, v in counts.items())
    print(f"# concurrency: rounds {ROUNDS} held {ROUNDS - rounds_failed} failed "
          f"{rounds_failed} ({runs})")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
