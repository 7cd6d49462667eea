/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's commands. Each returns the process exit code. */
#ifndef XEN_CHANNEL_HELPER_COMMANDS_H
#define XEN_CHANNEL_HELPER_COMMANDS_H

#include "xc-core.h"
#include "udev-env.h"

/* The exit codes agreed with the udev rules and the packaging. */
enum helper_exit {
        EXIT_DONE = 0,   /* done, or nothing to do */
        EXIT_FAILED = 1, /* any other failure */
        EXIT_USAGE = 2,
        EXIT_BAD_NAME = 3,   /* invalid channel name: nothing created */
        EXIT_XENSTORE = 4,   /* xenstore error or timeout */
        EXIT_NO_TTY = 5,     /* the console's tty cannot be known */
        EXIT_UNSAFE_DIR = 6, /* a folder is a symlink or not a folder */
        EXIT_CLASH = 7,      /* the name is linked to a console with a lower devid */
};

int cmd_export(struct xen_channel_ctx *ctx, int devid);
/* stored: relink, the properties came back from the udev database. */
int cmd_link(struct xen_channel_ctx *ctx, int devid, const struct udev_env *env, bool stored);
int cmd_unlink(struct xen_channel_ctx *ctx, int devid, const struct udev_env *env);
int cmd_sync(struct xen_channel_ctx *ctx);
/* watch.c: runs until the xenstore connection breaks (EXIT_XENSTORE). */
int cmd_watch(struct xen_channel_ctx *ctx);

/* exit.c: log the fault the library recorded in ctx (once: not when the
 * library logged it already) and return its exit code. The line starts
 * with "console-N: " (the fault's console, else devid), or "sync: " when
 * devid is 0. */
int helper_fail(struct xen_channel_ctx *ctx, int devid);

#endif
