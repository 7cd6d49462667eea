/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxenchannel's negative errnos as GErrors with a sentence a user reads. */
#include <errno.h>
#include <string.h>

#include "xc-core.h"
#include "xen-channel-glib-private.h"

GError *xcg_check_args(const gchar *name, guint flags)
{
        enum xen_channel_name_verdict v;
        char why[XC_REJECTION_MAX];
        size_t len;

        if (flags & ~(guint)XEN_CHANNEL_OPEN_NONBLOCK)
                return g_error_new(G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                   "channel %s: unknown open flags 0x%x", name,
                                   flags & ~(guint)XEN_CHANNEL_OPEN_NONBLOCK);
        len = strnlen(name, XEN_CHANNEL_NAME_MAX + 1);
        v = xen_channel_name_check(name, len);
        if (v == XEN_CHANNEL_NAME_OK)
                return NULL;
        return g_error_new_literal(G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                   xc_name_rejection(name, len, v, why, sizeof(why)));
}

GError *xcg_error_new(gint neg_errno, const gchar *name)
{
        gint e = -neg_errno;

        switch (e) {
        case ETIMEDOUT:
                return g_error_new(G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                   "channel %s did not appear in time", name);
        case ENOENT:
                return g_error_new(G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                   "channel %s is not present", name);
        case ENODEV:
                return g_error_new(G_IO_ERROR, g_io_error_from_errno(e),
                                   "channel %s: link dangling or no console behind "
                                   "its tty",
                                   name);
        default:
                return g_error_new(G_IO_ERROR, g_io_error_from_errno(e), "channel %s: %s",
                                   name, g_strerror(e));
        }
}
