/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xen_channel_wait_async / xen_channel_open_async: a GTask driven by the
 * inotify fd of a xen_channel_monitor, a timeout source and a cancellable
 * source, all on the caller's thread-default main context. No thread, no
 * polling. The task returns exactly once: whichever source fires first tears
 * the others down before returning.
 */
#include <errno.h>
#include <unistd.h>
#include <glib-unix.h>

#include "xen-channel-glib-private.h"

typedef struct {
        struct xen_channel_ctx *ctx;
        struct xen_channel_monitor *mon;
        gchar *name;
        gint timeout_ms;
        guint flags;
        gboolean open; /* open_async: return an fd */
        GSource *fd_source;
        GSource *timeout_source;
        GSource *cancel_source;
} Op;

static void op_free(gpointer data)
{
        Op *op = data;

        xcg_source_drop(&op->fd_source);
        xcg_source_drop(&op->timeout_source);
        xcg_source_drop(&op->cancel_source);
        xen_channel_monitor_free(op->mon);
        xen_channel_ctx_unref(op->ctx);
        g_free(op->name);
        g_free(op);
}

/* Return r (0 / fd, or a negative errno; or error when set) and stop every
 * source. Consumes the reference the sources shared. */
static void op_finish(GTask *task, gint r, GError *error)
{
        Op *op = g_task_get_task_data(task);

        xcg_source_drop(&op->fd_source);
        xcg_source_drop(&op->timeout_source);
        xcg_source_drop(&op->cancel_source);
        if (error)
                g_task_return_error(task, error);
        else if (r == -ECANCELED)
                g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                        "waiting for channel %s was cancelled", op->name);
        else if (r < 0)
                g_task_return_error(task, xcg_error_new(r, op->name));
        else if (op->open)
                g_task_return_int(task, r);
        else
                g_task_return_boolean(task, TRUE);
        g_object_unref(task);
}

static void op_return(GTask *task, gint r)
{
        op_finish(task, r, NULL);
}

/* The link is there: done, or open it now (never blocks: the open is
 * non-blocking and raw mode is a couple of ioctls). */
static void op_present(GTask *task)
{
        Op *op = g_task_get_task_data(task);

        if (!op->open) {
                op_return(task, 0);
                return;
        }
        op_return(task, xen_channel_open(op->ctx, op->name, 0, op->flags));
}

static gboolean on_inotify(gint fd, GIOCondition cond, gpointer data)
{
        GTask *task = data;
        Op *op = g_task_get_task_data(task);
        gint r = xen_channel_monitor_process(op->mon);

        if (r == XEN_CHANNEL_ABSENT)
                return G_SOURCE_CONTINUE;
        if (r < 0)
                op_return(task, r);
        else
                op_present(task);
        return G_SOURCE_REMOVE;
}

static gboolean on_timeout(gpointer data)
{
        op_return(data, -ETIMEDOUT);
        return G_SOURCE_REMOVE;
}

static gboolean on_cancel(GCancellable *c, gpointer data)
{
        op_return(data, -ECANCELED);
        return G_SOURCE_REMOVE;
}

static void attach(GTask *task, GSource **slot, GSource *s, GSourceFunc fn)
{
        g_source_set_callback(s, fn, task, NULL);
        g_source_attach(s, g_task_get_context(task));
        *slot = s;
}

static void op_start(struct xen_channel_ctx *ctx, const gchar *name, gint timeout_ms,
                     guint flags, gboolean open, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data, gpointer tag)
{
        GTask *task = g_task_new(NULL, cancellable, callback, user_data);
        Op *op = g_new0(Op, 1);
        GError *error;
        gint r;

        g_task_set_source_tag(task, tag);
        /* We answer cancellation ourselves, so that an fd already returned
         * is never dropped by a late cancel. */
        g_task_set_check_cancellable(task, FALSE);
        op->ctx = xen_channel_ctx_ref(ctx);
        op->name = g_strdup(name ? name : "");
        op->timeout_ms = timeout_ms;
        op->flags = flags;
        op->open = open;
        g_task_set_task_data(task, op, op_free);

        if (g_cancellable_is_cancelled(cancellable)) {
                op_return(task, -ECANCELED);
                return;
        }
        error = xcg_check_args(op->name, flags);
        if (error) {
                op_finish(task, -EINVAL, error);
                return;
        }
        r = xen_channel_monitor_new(ctx, op->name, &op->mon);
        if (r >= 0)
                r = xen_channel_monitor_process(op->mon);
        if (r < 0) {
                op_return(task, r);
                return;
        }
        if (r != XEN_CHANNEL_ABSENT) {
                op_present(task);
                return;
        }
        if (timeout_ms == 0) {
                op_return(task, open ? -ENOENT : -ETIMEDOUT);
                return;
        }
        attach(task, &op->fd_source,
               g_unix_fd_source_new(xen_channel_monitor_get_fd(op->mon), G_IO_IN),
               G_SOURCE_FUNC(on_inotify));
        if (timeout_ms > 0)
                attach(task, &op->timeout_source, g_timeout_source_new((guint)timeout_ms),
                       on_timeout);
        if (cancellable)
                attach(task, &op->cancel_source, g_cancellable_source_new(cancellable),
                       G_SOURCE_FUNC(on_cancel));
}

XCG_EXPORT void xen_channel_wait_async(struct xen_channel_ctx *ctx, const gchar *name,
                                       gint timeout_ms, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data)
{
        op_start(ctx, name, timeout_ms, 0, FALSE, cancellable, callback, user_data,
                 xen_channel_wait_async);
}

XCG_EXPORT gboolean xen_channel_wait_finish(GAsyncResult *result, GError **error)
{
        g_return_val_if_fail(g_task_is_valid(result, NULL), FALSE);
        return g_task_propagate_boolean(G_TASK(result), error);
}

XCG_EXPORT void xen_channel_open_async(struct xen_channel_ctx *ctx, const gchar *name,
                                       gint timeout_ms, guint flags, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data)
{
        op_start(ctx, name, timeout_ms, flags, TRUE, cancellable, callback, user_data,
                 xen_channel_open_async);
}

XCG_EXPORT gint xen_channel_open_finish(GAsyncResult *result, GError **error)
{
        g_return_val_if_fail(g_task_is_valid(result, NULL), -1);
        return (gint)g_task_propagate_int(G_TASK(result), error);
}
