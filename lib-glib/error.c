/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxenchannel's negative errnos as GErrors with a sentence a user reads. */
#include <errno.h>
#include <string.h>

#include "xen-channel-glib-private.h"

GError *xcg_error_new(gint neg_errno, const gchar *name)
{
        gint e = -neg_errno;

        enum xen_channel_name_verdict v;

        switch (e) {
        case EINVAL:
                /* The name, or else the only other argument checked: flags. */
                v = xen_channel_name_check(name, strlen(name));
                if (v == XEN_CHANNEL_NAME_OK)
                        return g_error_new(G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                           "channel %s: unknown open flags", name);
                return g_error_new(G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                   "invalid channel name \"%s\": %s", name,
                                   xen_channel_name_verdict_str(v));
        case ETIMEDOUT:
                return g_error_new(G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                   "channel %s did not appear in time", name);
        case ENOENT:
                return g_error_new(G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                   "channel %s is not present", name);
        case ENODEV:
                return g_error_new(G_IO_ERROR, g_io_error_from_errno(e),
                                   "channel %s: link dangling or no console behind "
                                   "its tty", name);
        default:
                return g_error_new(G_IO_ERROR, g_io_error_from_errno(e),
                                   "channel %s: %s", name, g_strerror(e));
        }
}
