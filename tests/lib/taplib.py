# SPDX-License-Identifier: LGPL-2.1-or-later
"""TAP for the Python tests. run(globals()): every function whose name starts
with test_ in the calling module is one TAP test. Tap: one test per ok()."""
import inspect
import sys
import traceback


def run(module_globals):
    tests = [(n, f) for n, f in module_globals.items()
             if n.startswith("test_") and inspect.isfunction(f)]
    tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
    print(f"1..{len(tests)}", flush=True)
    failed = 0
    for i, (name, fn) in enumerate(tests, 1):
        try:
            fn()
        except Exception:
            failed += 1
            print(f"not ok {i} - {name}")
            for line in traceback.format_exc().splitlines():
                print(f"# {line}")
        else:
            print(f"ok {i} - {name}")
        sys.stdout.flush()
    return 1 if failed else 0


class Tap:
    """TAP for data-driven scripts: t.ok(cond, desc, *diag); sys.exit(t.done())."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, *diag):
        self.n += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {desc}")
        if not cond:
            self.failed += 1
            for text in diag:
                for line in str(text).splitlines():
                    print(f"# {line}")
        sys.stdout.flush()
        return cond

    def is_(self, got, want, desc, *diag):
        return self.ok(got == want, desc, f"got:      {got!r}", f"expected: {want!r}", *diag)

    def skip(self, desc, reason):
        self.n += 1
        print(f"ok {self.n} - {desc} # SKIP {reason}", flush=True)

    def skip_all(self, reason):
        print(f"1..0 # SKIP {reason}")
        sys.exit(0)

    def done(self):
        print(f"1..{self.n}")
        return 1 if self.failed else 0
