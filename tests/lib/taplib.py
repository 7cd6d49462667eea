# SPDX-License-Identifier: LGPL-2.1-or-later
"""A tiny TAP runner for the agent suite's script tests: every function whose
name starts with test_ in the calling module is one TAP test."""
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
