/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxenchannel: find, name and open Xen PV channels from inside a Linux guest.
 *
 * A Xen channel is a secondary PV console: a xenbus device "console-N" in the
 * guest, backed by a tty /dev/hvcM, whose name lives in xenstore under
 * device/console/N/name. xen-channel-helper, run by udev, gives every channel
 * a stable, validated link /dev/xen-channel/<name> -> ../hvcM; this library is
 * the agent's side: check a name, wait for, open, reopen, watch and list
 * channels by name. Every function is documented in libxenchannel(3).
 *
 * Conventions: every function returning int returns 0 (or a non-negative
 * value where documented) on success and a negative errno on failure. The
 * library never prints and never exits; it reports through the log callback
 * of its context. There is no global state: one context per thread.
 */
#ifndef LIBXENCHANNEL_H
#define LIBXENCHANNEL_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Context                                                                  */
/* ------------------------------------------------------------------------ */

struct xen_channel_ctx;

/* Log callback: priority is a syslog priority (LOG_ERR ... LOG_DEBUG). */
typedef void (*xen_channel_log_fn)(void *userdata, int priority, const char *file, int line,
                                   const char *fn, const char *format, va_list args);

/*
 * Create a context with the default roots: device folder "/dev", run folder
 * "/run/xen-channel", log priority LOG_ERR (or the
 * one $XEN_CHANNEL_LOG names: err, warning, notice, info, debug, or a syslog
 * priority number 0..7; read with secure_getenv(), an invalid value is
 * ignored) and no log function.
 */
int xen_channel_ctx_new(struct xen_channel_ctx **ret);
struct xen_channel_ctx *xen_channel_ctx_ref(struct xen_channel_ctx *ctx);
struct xen_channel_ctx *xen_channel_ctx_unref(struct xen_channel_ctx *ctx);

void xen_channel_ctx_set_log_fn(struct xen_channel_ctx *ctx, xen_channel_log_fn fn,
                                void *userdata);
void xen_channel_ctx_set_log_priority(struct xen_channel_ctx *ctx, int priority);
int xen_channel_ctx_get_log_priority(const struct xen_channel_ctx *ctx);

/* Folder that holds hvcM and xen-channel/ (default "/dev"). Absolute path;
 * trailing slashes are dropped (with one, a symlinked folder would be
 * followed instead of refused). */
int xen_channel_ctx_set_dev_dir(struct xen_channel_ctx *ctx, const char *dir);
const char *xen_channel_ctx_get_dev_dir(const struct xen_channel_ctx *ctx);
/* The run folder of the helper (default "/run/xen-channel"): xen_channel_list()
 * reads the console devids from it. Same rules as the device folder. */
int xen_channel_ctx_set_run_dir(struct xen_channel_ctx *ctx, const char *dir);
const char *xen_channel_ctx_get_run_dir(const struct xen_channel_ctx *ctx);

/* ------------------------------------------------------------------------ */
/* Channel names                                                            */
/* ------------------------------------------------------------------------ */

/*
 * The grammar (see xen-channel(7)):
 *   name  = alnum *( alnum / "." / "_" / "-" )
 *   1 <= length <= XEN_CHANNEL_NAME_MAX
 * alnum is ASCII [A-Za-z0-9]. No "/", no "..", nothing that is not ASCII,
 * and it may not end with "." so "." and ".." and hidden files are impossible.
 * Such a name is a safe file name in /dev/xen-channel and a valid,
 * systemd-escapable unit name for the device alias.
 * One more rule keeps that alias, "dev-xen\x2dchannel-<escaped>.device",
 * within systemd's 255-character unit names: the name escaped as systemd
 * does ("-" becomes "\x2d", 4 bytes) is at most XEN_CHANNEL_NAME_ESCAPED_MAX
 * bytes (length + 3 * number of "-"). A 128-byte name "a-----...-" (one
 * letter and 127 "-") would escape to 509 bytes.
 */
#define XEN_CHANNEL_NAME_MAX 128
#define XEN_CHANNEL_NAME_ESCAPED_MAX 229

enum xen_channel_name_verdict {
        XEN_CHANNEL_NAME_OK = 0,
        XEN_CHANNEL_NAME_EMPTY,
        XEN_CHANNEL_NAME_TOO_LONG,
        XEN_CHANNEL_NAME_EMBEDDED_NUL,
        XEN_CHANNEL_NAME_CONTROL_CHAR,
        XEN_CHANNEL_NAME_NOT_ASCII,
        XEN_CHANNEL_NAME_SLASH,
        XEN_CHANNEL_NAME_DOT_DOT,
        XEN_CHANNEL_NAME_BAD_FIRST,
        XEN_CHANNEL_NAME_BAD_LAST,
        XEN_CHANNEL_NAME_BAD_CHAR,
        XEN_CHANNEL_NAME_UNIT_TOO_LONG, /* escaped length > XEN_CHANNEL_NAME_ESCAPED_MAX */
};

/*
 * Check the first len bytes of name (which need not be NUL-terminated).
 * When several rules are broken, the verdict is the first broken one in the
 * order of the enum above, so a name always gets the same reason.
 */
enum xen_channel_name_verdict xen_channel_name_check(const char *name, size_t len);
/* The reason for a verdict, e.g. "contains '/'", phrased to follow
 * 'rejected channel name "<name>": '. Never NULL. */
const char *xen_channel_name_verdict_str(enum xen_channel_name_verdict v);

/* ------------------------------------------------------------------------ */
/* Channels                                                                 */
/* ------------------------------------------------------------------------ */

/* One channel present. The strings live in the list's own block. */
struct xen_channel_info {
        const char *name; /* "org.qemu.guest_agent.0" */
        const char *tty;  /* "hvc2" */
        int devid;        /* the console's devid, or -1 when unknown */
};

/*
 * List the channels present in <dev_dir>/xen-channel: every symlink with a
 * valid name that points at a channel tty, ../hvc1 .. ../hvc7 (hvc0 is the
 * primary console; hvc8 and up have no tty). devid comes from the run folder
 * (<run_dir>/names, else <run_dir>/state) and is -1 when it is not known
 * there. *list is one malloc'd block holding the array and its strings:
 * free(*list) releases all (NULL when *n is 0); *n is its length, sorted by
 * name. A missing folder is not an error: no channel is present.
 */
int xen_channel_list(struct xen_channel_ctx *ctx, struct xen_channel_info **list, size_t *n);

/*
 * Wait until <dev_dir>/xen-channel/<name> exists as a symlink, with inotify
 * (no polling), also when the folder does not exist yet or is deleted and
 * made again meanwhile (dev_dir itself must exist). Returns as soon as the
 * link appears, whether or not it resolves. timeout_ms: -1 (any negative)
 * waits forever, 0 only looks; the time is measured on CLOCK_MONOTONIC.
 * Returns 0, or -ETIMEDOUT when it did not appear in time, -EINVAL for an
 * invalid name, -EINTR when a signal handler interrupted the wait (not
 * restarted, so that the caller can look at its flags; call again with the
 * time left), -ENOENT when dev_dir does not exist or disappears during the
 * wait. Not thread-safe on one ctx (it keeps an inotify fd in the ctx).
 */
int xen_channel_wait(struct xen_channel_ctx *ctx, const char *name, int timeout_ms);

/*
 * Watching one channel's link from an event loop (sd-event, GLib, libuv, a
 * poll() loop). The monitor owns an inotify fd: when poll() reports it
 * readable, call xen_channel_monitor_process(), which reads the pending
 * events, follows the folder when it is created or removed, and returns the
 * link's state now. xen_channel_wait() is built on it.
 */
struct xen_channel_monitor;

enum xen_channel_link_state {
        XEN_CHANNEL_ABSENT = 0,   /* no link */
        XEN_CHANNEL_PRESENT = 1,  /* a link, same target as last time */
        XEN_CHANNEL_REPLACED = 2, /* present, but it points elsewhere
                                         * than at the previous call: a
                                         * channel held open is stale */
};

/* -EINVAL for an invalid name, -ENOENT when dev_dir does not exist. */
int xen_channel_monitor_new(struct xen_channel_ctx *ctx, const char *name,
                            struct xen_channel_monitor **ret);
void xen_channel_monitor_free(struct xen_channel_monitor *mon);
/* Pollable (POLLIN) fd, O_NONBLOCK|O_CLOEXEC, owned by the monitor. */
int xen_channel_monitor_get_fd(const struct xen_channel_monitor *mon);
/* The link path watched: <dev_dir>/xen-channel/<name>. */
const char *xen_channel_monitor_get_path(const struct xen_channel_monitor *mon);
/* Returns an enum xen_channel_link_state or a negative errno (-ENOENT: dev_dir
 * is gone). Never blocks. Lost events (IN_Q_OVERFLOW) do no harm: every call
 * looks at the link and re-watches the folder by its path. */
int xen_channel_monitor_process(struct xen_channel_monitor *mon);

enum xen_channel_open_flags {
        XEN_CHANNEL_OPEN_NONBLOCK = 1 << 0,
};

/*
 * Wait for (as xen_channel_wait) and open a channel: O_RDWR|O_NOCTTY|O_CLOEXEC,
 * raw mode (xen_channel_make_raw), O_NONBLOCK with XEN_CHANNEL_OPEN_NONBLOCK.
 * Only a link of the form the helper makes, "../hvcN" (N 1..7), is followed:
 * the tty opened is <dev_dir>/hvcN, exactly the one read from the link. A
 * link to anywhere else (an absolute path, another file, "../hvc1/..") is
 * refused without being opened, as xen_channel_list() does not list it.
 * Returns the fd or a negative errno:
 *   -EINVAL     the name breaks the grammar (nothing looked at), or unknown flags
 *   -ENOENT     absent, and timeout_ms was 0
 *   -ETIMEDOUT  absent when the timeout expired
 *   -ENODEV     the link is dangling, or no console is behind the tty
 *   -ENOTTY     the link is not of the form ../hvcN (N 1..7), or hvcN is not a tty
 *   -EINTR      a signal interrupted the wait
 *
 * HANGUP. A channel is a byte stream that ends with a hangup: after a
 * migration, save/restore or a backend restart the kernel re-creates the
 * console and the open fd is dead for good: read() returns 0 (end of file) or
 * fails with EIO, write() fails with EIO, poll() reports POLLHUP. Nothing
 * else will ever arrive on it. The agent must close it and open the channel
 * again (xen_channel_reopen does both, and rides out the moment where the
 * console is being re-created). Any state of the conversation (a handshake,
 * a half-read request) is lost with the old fd: start it over.
 */
int xen_channel_open(struct xen_channel_ctx *ctx, const char *name, int timeout_ms,
                     unsigned flags);

/*
 * After a hangup: close *fd (when >= 0, and set it to -1), then open the
 * channel again. Unlike xen_channel_open, a dangling link or a tty with no
 * console yet (-ENODEV) is retried until timeout_ms, because right after a
 * migration the console is being re-created. On success *fd is the new fd
 * and 0 is returned; on failure *fd is -1 and the errno of the last attempt
 * (or -ETIMEDOUT) is returned.
 */
int xen_channel_reopen(struct xen_channel_ctx *ctx, const char *name, int *fd, int timeout_ms,
                       unsigned flags);

/*
 * 1 when fd has hung up (poll() reports POLLHUP or POLLERR: the channel is
 * gone, reopen), 0 when not, a negative errno when fd is not valid. Use it
 * after read() returned 0 or failed with EIO.
 */
int xen_channel_is_hangup(int fd);

/*
 * Put a tty in raw mode, 8-bit clean: cfmakeraw() (no echo, no line editing,
 * no signals, no CR/LF mapping, no output processing, 8 bits, no parity),
 * plus no software flow control in either direction (IXON/IXOFF/IXANY: the
 * tty would eat ^S/^Q or send them itself), no parity check, and
 * CLOCAL|CREAD (an hvc has no modem lines; make sure input is received).
 * VMIN 1 / VTIME 0: a blocking read() waits for at least one byte and
 * returns what is there, so it never returns 0 on a live channel and 0
 * (like EIO) always means hangup. Checked after tcsetattr (which succeeds
 * when any one change took): -EIO when the tty refused raw mode.
 * -ENOTTY when fd is not a tty.
 */
int xen_channel_make_raw(int fd);

#ifdef __cplusplus
}
#endif

#endif
