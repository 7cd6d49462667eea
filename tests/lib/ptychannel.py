# SPDX-License-Identifier: LGPL-2.1-or-later
"""The agent tests' pty fixture for Python: the C code of pty-channel.c (the
one the C tests link), loaded with ctypes from $XC_PTY_CHANNEL (set by meson)
or from a build folder given to load()."""
import ctypes
import os

_lib = None


def load(path=None):
    global _lib
    if _lib is None:
        _lib = ctypes.CDLL(path or os.environ["XC_PTY_CHANNEL"], use_errno=True)
    return _lib


def _check(r, what):
    if r < 0:
        raise OSError(-r, f"{what}: {os.strerror(-r)}")
    return r


def new(dev, slot):
    """A fresh pty behind <dev>/hvc<slot>; returns its master fd (the host)."""
    return _check(load().pty_channel_new(os.fsencode(dev), slot), f"pty for {dev}/hvc{slot}")


def hangup(dev, slot, master):
    """The console goes away: the master is closed, <dev>/hvc<slot> dangles."""
    _check(load().pty_channel_hangup(os.fsencode(dev), slot, master), f"hang up {dev}/hvc{slot}")


def link(dev, name, target):
    """<dev>/xen-channel/<name> -> target, atomically, as the helper does."""
    _check(load().pty_channel_link(os.fsencode(dev), os.fsencode(name), os.fsencode(target)),
           f"link {name}")
