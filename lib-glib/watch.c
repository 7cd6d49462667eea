/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * XenChannelWatch: keep a channel open across hangups.
 *
 * A channel fd dies with a hangup on migration, save/restore or a backend
 * restart, and no uevent says so: the fd's POLLHUP is the only signal. The
 * link may stay as it was, vanish and come back, or be pointed at another
 * tty. So the watch follows two things: the fd (G_IO_HUP/G_IO_ERR) and the
 * link (a xen_channel_monitor), and reopens when either says the connection
 * is over. While the link dangles or the tty has no console yet (the moment
 * the console is being re-created) it retries with a bounded backoff: that
 * state has no event to wait for.
 */
#include <errno.h>
#include <unistd.h>
#include <glib-unix.h>

#include "xen-channel-glib-private.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 5000
/* A connection that lasted this long resets the backoff. */
#define STABLE_US (2 * G_USEC_PER_SEC)

struct _XenChannelWatch {
        gint refs;
        gboolean freed;
        gboolean disconnecting; /* inside disconnected(): drop_connection
                                 * owns the fd until it returns */
        struct xen_channel_ctx *ctx;
        struct xen_channel_monitor *mon;
        gchar *name;
        guint flags;
        XenChannelConnectedFunc connected;
        XenChannelDisconnectedFunc disconnected;
        gpointer user_data;
        GDestroyNotify user_data_free;
        GMainContext *context;
        GSource *mon_source;
        GSource *hup_source;
        GSource *retry_source;
        gint fd;
        gint64 connected_at;
        guint backoff_ms;
};

static void watch_unref(XenChannelWatch *w)
{
        if (--w->refs > 0)
                return;
        if (w->user_data_free)
                w->user_data_free(w->user_data);
        xen_channel_monitor_free(w->mon);
        xen_channel_ctx_unref(w->ctx);
        g_main_context_unref(w->context);
        g_free(w->name);
        g_free(w);
}

static GSource *attach(XenChannelWatch *w, GSource *s, GSourceFunc fn)
{
        g_source_set_callback(s, fn, w, NULL);
        g_source_attach(s, w->context);
        return s;
}

static void try_connect(XenChannelWatch *w);

static gboolean on_retry(gpointer data)
{
        XenChannelWatch *w = data;

        xcg_source_drop(&w->retry_source);
        try_connect(w);
        return G_SOURCE_REMOVE;
}

static void schedule_retry(XenChannelWatch *w, guint ms)
{
        xcg_source_drop(&w->retry_source);
        w->retry_source = attach(w, ms ? g_timeout_source_new(ms) : g_idle_source_new(),
                                 on_retry);
}

static void grow_backoff(XenChannelWatch *w)
{
        w->backoff_ms = w->backoff_ms ? MIN(w->backoff_ms * 2, BACKOFF_MAX_MS)
                                      : BACKOFF_MIN_MS;
}

/* End the current connection: tell the user, close the fd, plan a reopen. */
static void drop_connection(XenChannelWatch *w)
{
        gint fd = w->fd;

        if (fd < 0 || w->disconnecting)
                return;
        w->disconnecting = TRUE;
        xcg_source_drop(&w->hup_source);
        if (g_get_monotonic_time() - w->connected_at >= STABLE_US)
                w->backoff_ms = 0;
        else
                grow_backoff(w);
        g_debug("channel %s: disconnected", w->name);
        w->refs++;
        if (w->disconnected)
                w->disconnected(w, w->name, w->user_data);
        w->disconnecting = FALSE;
        w->fd = -1;
        close(fd);
        if (!w->freed)
                schedule_retry(w, w->backoff_ms);
        watch_unref(w);
}

static gboolean on_hup(gint fd, GIOCondition cond, gpointer data)
{
        XenChannelWatch *w = data;

        g_debug("channel %s: hangup", w->name);
        drop_connection(w);
        return G_SOURCE_REMOVE;
}

static void try_connect(XenChannelWatch *w)
{
        gint fd;

        if (w->freed || w->fd >= 0)
                return;
        fd = xen_channel_open(w->ctx, w->name, 0, w->flags);
        if (fd == -ENOENT)
                return; /* the monitor tells when the link comes */
        if (fd < 0) {
                g_debug("channel %s: cannot open (%s); retry in %u ms", w->name,
                        g_strerror(-fd), w->backoff_ms);
                grow_backoff(w);
                schedule_retry(w, w->backoff_ms);
                return;
        }
        w->fd = fd;
        w->connected_at = g_get_monotonic_time();
        w->hup_source = attach(w, g_unix_fd_source_new(fd, G_IO_HUP | G_IO_ERR),
                               G_SOURCE_FUNC(on_hup));
        g_debug("channel %s: connected (fd %d)", w->name, fd);
        w->refs++;
        if (w->connected)
                w->connected(w, w->name, fd, w->user_data);
        watch_unref(w);
}

static gboolean on_link(gint fd, GIOCondition cond, gpointer data)
{
        XenChannelWatch *w = data;
        gint r = xen_channel_monitor_process(w->mon);

        if (r < 0) {
                g_warning("channel %s: watching %s failed: %s", w->name,
                          xen_channel_monitor_get_path(w->mon), g_strerror(-r));
                return G_SOURCE_CONTINUE;
        }
        w->refs++;
        if (r == XEN_CHANNEL_ABSENT || r == XEN_CHANNEL_REPLACED)
                drop_connection(w);
        if (r != XEN_CHANNEL_ABSENT && !w->freed) {
                /* A link that (re)appeared is news: try at once. */
                xcg_source_drop(&w->retry_source);
                w->backoff_ms = 0;
                try_connect(w);
        }
        watch_unref(w);
        return G_SOURCE_CONTINUE;
}

XCG_EXPORT XenChannelWatch *xen_channel_watch_new(
        struct xen_channel_ctx *ctx, const gchar *name, guint flags,
        XenChannelConnectedFunc connected, XenChannelDisconnectedFunc disconnected,
        gpointer user_data, GDestroyNotify user_data_free, GError **error)
{
        struct xen_channel_monitor *mon;
        XenChannelWatch *w;
        GError *bad;
        gint r;

        g_return_val_if_fail(ctx != NULL, NULL);
        g_return_val_if_fail(name != NULL, NULL);
        bad = xcg_check_args(name, flags);
        if (bad) {
                g_propagate_error(error, bad);
                return NULL;
        }
        r = xen_channel_monitor_new(ctx, name, &mon);
        if (r < 0) {
                g_propagate_error(error, xcg_error_new(r, name));
                return NULL;
        }
        w = g_new0(XenChannelWatch, 1);
        w->refs = 1;
        w->ctx = xen_channel_ctx_ref(ctx);
        w->mon = mon;
        w->name = g_strdup(name);
        w->flags = flags;
        w->connected = connected;
        w->disconnected = disconnected;
        w->user_data = user_data;
        w->user_data_free = user_data_free;
        w->context = g_main_context_ref_thread_default();
        w->fd = -1;
        w->mon_source = attach(w,
                               g_unix_fd_source_new(xen_channel_monitor_get_fd(mon), G_IO_IN),
                               G_SOURCE_FUNC(on_link));
        /* Look now, but report from the main loop, as GLib APIs do. */
        (void)xen_channel_monitor_process(mon);
        schedule_retry(w, 0);
        return w;
}

XCG_EXPORT void xen_channel_watch_free(XenChannelWatch *w)
{
        if (!w || w->freed)
                return;
        w->freed = TRUE;
        xcg_source_drop(&w->mon_source);
        xcg_source_drop(&w->hup_source);
        xcg_source_drop(&w->retry_source);
        /* Inside disconnected() the fd is drop_connection's to close. */
        if (w->fd >= 0 && !w->disconnecting) {
                close(w->fd);
                w->fd = -1;
        }
        watch_unref(w);
}

XCG_EXPORT gint xen_channel_watch_get_fd(XenChannelWatch *w)
{
        g_return_val_if_fail(w != NULL, -1);
        return w->fd;
}

XCG_EXPORT void xen_channel_watch_disconnect(XenChannelWatch *w)
{
        g_return_if_fail(w != NULL);
        if (w->freed || w->fd < 0 || w->disconnecting)
                return;
        w->refs++;
        drop_connection(w);
        watch_unref(w);
}
