/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to libxenchannel-glib. */
#ifndef XEN_CHANNEL_GLIB_PRIVATE_H
#define XEN_CHANNEL_GLIB_PRIVATE_H

#include "libxenchannel-glib.h"

#define XCG_EXPORT __attribute__((visibility("default")))

/* Destroy and release a source we attached and kept, and forget it. */
static inline void xcg_source_drop(GSource **s)
{
        if (*s) {
                g_source_destroy(*s);
                g_source_unref(*s);
                *s = NULL;
        }
}

/* The arguments every entry point checks before it calls libxenchannel, so
 * that an -EINVAL from it never has to be guessed at: NULL when name and
 * flags are acceptable, else the GError (G_IO_ERROR_INVALID_ARGUMENT) that
 * says which is not. */
GError *xcg_check_args(const gchar *name, guint flags);
/* A GError for a negative errno of libxenchannel, about channel name. */
GError *xcg_error_new(gint neg_errno, const gchar *name);

#endif
