/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxenchannel-glib: libxenchannel for agents built on a GMainLoop.
 *
 * Everything here runs on the thread-default GMainContext of the thread that
 * calls it (the context is captured at the call), never blocks, and never
 * polls: it waits on the inotify fd of a struct xen_channel_monitor.
 *
 * Errors are in the G_IO_ERROR domain:
 *   G_IO_ERROR_INVALID_ARGUMENT  the name breaks the channel name grammar
 *   G_IO_ERROR_TIMED_OUT         the channel did not appear in time
 *   G_IO_ERROR_NOT_FOUND         absent and timeout_ms was 0
 *   G_IO_ERROR_CANCELLED         the GCancellable was cancelled
 *   others                       from the errno (g_io_error_from_errno);
 *                                a dangling link or a tty with no console is
 *                                ENODEV (G_IO_ERROR_FAILED, message says so)
 */
#ifndef LIBXENCHANNEL_GLIB_H
#define LIBXENCHANNEL_GLIB_H

#include <gio/gio.h>
#include <libxenchannel.h>

G_BEGIN_DECLS

/*
 * Wait for <dev_dir>/xen-channel/<name> to exist, as xen_channel_wait():
 * timeout_ms -1 forever, 0 only look. The ctx is referenced until the
 * callback has run. A NULL ctx or name is reported to the callback as
 * G_IO_ERROR_INVALID_ARGUMENT, as xen_channel_wait() returns -EINVAL.
 */
void xen_channel_wait_async(struct xen_channel_ctx *ctx, const gchar *name, gint timeout_ms,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data);
gboolean xen_channel_wait_finish(GAsyncResult *result, GError **error);

/*
 * Wait for and open a channel, as xen_channel_open(): the fd is in raw mode,
 * O_NOCTTY|O_CLOEXEC, plus O_NONBLOCK with XEN_CHANNEL_OPEN_NONBLOCK.
 * _finish returns the fd (the caller owns it) or -1 with error set. A
 * cancellation never leaks an fd.
 */
void xen_channel_open_async(struct xen_channel_ctx *ctx, const gchar *name, gint timeout_ms,
                            guint flags, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);
gint xen_channel_open_finish(GAsyncResult *result, GError **error);

/*
 * Keep a channel open for as long as the watch lives, and say when it comes
 * and goes.
 *
 * connected(name, fd) runs each time the channel has been opened (raw mode,
 * flags as for xen_channel_open; XEN_CHANNEL_OPEN_NONBLOCK is advisable in a
 * main loop). The fd belongs to the watch: do not close it.
 *
 * disconnected(name) runs when that fd is finished: the tty hung up
 * (migration, save/restore, backend restart), the link went away or now
 * points at another tty, or xen_channel_watch_disconnect() was called. Remove
 * your sources on the fd inside it; the watch closes the fd right after. Then
 * the watch opens the channel again as soon as it can (the link comes back,
 * or, while the link dangles or the console is being re-created, with a
 * backoff of 50 ms doubling up to 5 s) and calls connected() again.
 *
 * Both callbacks run in the thread-default main context of the caller of
 * xen_channel_watch_new(). Either may be NULL. The watch holds a reference
 * to ctx.
 */
typedef struct _XenChannelWatch XenChannelWatch;
typedef void (*XenChannelConnectedFunc)(XenChannelWatch *watch, const gchar *name, gint fd,
                                        gpointer user_data);
typedef void (*XenChannelDisconnectedFunc)(XenChannelWatch *watch, const gchar *name,
                                           gpointer user_data);

/* NULL with error set: G_IO_ERROR_INVALID_ARGUMENT (a name that breaks the
 * grammar, or flags other than XEN_CHANNEL_OPEN_NONBLOCK), G_IO_ERROR_NOT_FOUND
 * (dev_dir does not exist). */
XenChannelWatch *xen_channel_watch_new(struct xen_channel_ctx *ctx, const gchar *name,
                                       guint flags, XenChannelConnectedFunc connected,
                                       XenChannelDisconnectedFunc disconnected,
                                       gpointer user_data, GDestroyNotify user_data_free,
                                       GError **error);
/* Stop watching; closes the fd if connected (without calling disconnected).
 * Safe to call from inside the callbacks (inside disconnected() the fd is
 * closed once, when the callback returns). */
void xen_channel_watch_free(XenChannelWatch *watch);
/* The current fd, or -1 while not connected. A NULL watch is a programming
 * error: g_return_val_if_fail() warns and -1 is returned. */
gint xen_channel_watch_get_fd(XenChannelWatch *watch);
/* Drop the current connection (e.g. the agent read EOF/EIO, or the peer
 * broke the protocol): disconnected() runs now, and the channel is reopened
 * as after a hangup. Nothing happens while not connected, nor from inside
 * disconnected(), nor (after a g_return_if_fail() warning) for a NULL watch. */
void xen_channel_watch_disconnect(XenChannelWatch *watch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(XenChannelWatch, xen_channel_watch_free)

G_END_DECLS

#endif
