#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every export of a version script has its NULL-argument test in the cmocka
program's table (cmocka_unit_test(SYMBOL_null)), so a new export without one
fails here.   check-null-args.py SYM_FILE TEST_SOURCE   (TAP)"""
import re
import sys

sym_file, source = sys.argv[1:3]
symbols = re.findall(r"^\s*([A-Za-z_]\w*);", open(sym_file).read(), re.M)
table = set(re.findall(r"cmocka_unit_test\((\w+)_null\)", open(source).read()))
print(f"1..{len(symbols) + 1}")
print(f"{'ok' if symbols else 'not ok'} 1 - {sym_file} lists exports")
failed = not symbols
for i, s in enumerate(symbols, 2):
    ok = s in table
    failed |= not ok
    print(f"{'ok' if ok else 'not ok'} {i} - {s} has a NULL-argument test")
sys.exit(1 if failed else 0)
