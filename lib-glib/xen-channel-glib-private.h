/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to libxenchannel-glib. */
#ifndef XEN_CHANNEL_GLIB_PRIVATE_H
#define XEN_CHANNEL_GLIB_PRIVATE_H

#include "libxenchannel-glib.h"

#define XCG_EXPORT __attribute__((visibility("default")))

/* A GError for a negative errno of libxenchannel, about channel name. */
GError *xcg_error_new(gint neg_errno, const gchar *name);

#endif
