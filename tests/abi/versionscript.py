# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reads a GNU ld version script (lib/*.sym) for the ABI tests."""
import re


def version_script(path):
    """(version nodes, global symbols) of a GNU ld version script."""
    text = open(path).read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"#[^\n]*", " ", text)
    nodes, symbols = [], set()
    for node, body in re.findall(r"([A-Za-z_][\w.]*)\s*\{(.*?)\}", text, flags=re.S):
        nodes.append(node)
        scope = "global"
        for word in re.findall(r"[\w.*?\[\]]+:?|;", body):
            if word in ("global:", "local:"):
                scope = word[:-1]
            elif scope == "global" and re.fullmatch(r"[A-Za-z_]\w*", word):
                symbols.add(word)
    return nodes, symbols
