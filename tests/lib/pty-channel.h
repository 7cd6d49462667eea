/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pty fixture of the agent tests, shared by the C tests (linked) and the
 * Python tests (ptychannel.py loads the same code with ctypes): a pseudo-
 * terminal stands in for an hvc tty. Its slave is what the library opens,
 * through <dev_dir>/hvcN -> /dev/pts/M (the library follows only
 * xen-channel/<name> -> ../hvcN and opens <dev_dir>/hvcN); its master is the
 * host's end of the channel. Closing the master is the backend going away:
 * the agent's fd gets a hangup, as on migration.
 *
 * Every function returns 0 (or an fd) or a negative errno.
 */
#ifndef XC_TEST_PTY_CHANNEL_H
#define XC_TEST_PTY_CHANNEL_H

/* What <dev_dir>/hvcN points at once its console is gone. */
#define PTY_CHANNEL_GONE "/nonexistent/pts"

/* openpty(): the master (close-on-exec) in *master, the slave's path in
 * tty[size]; the slave fd is closed (the code under test opens its own). */
int pty_channel_open(int *master, char *tty, int size);

/* <dev_dir>/hvc<slot> -> target, replacing what is there atomically. */
int pty_channel_point(const char *dev_dir, int slot, const char *target);

/* <dev_dir>/xen-channel/<name> -> target (the folder made if needed),
 * replacing what is there atomically, as the helper does. */
int pty_channel_link(const char *dev_dir, const char *name, const char *target);

/* A fresh pty behind <dev_dir>/hvc<slot>: returns its master fd. */
int pty_channel_new(const char *dev_dir, int slot);

/* The console goes away: close the master (a hangup for whoever has the
 * slave open) and point <dev_dir>/hvc<slot> at nothing, since the pts
 * number is free for any process once closed. */
int pty_channel_hangup(const char *dev_dir, int slot, int master);

#endif
