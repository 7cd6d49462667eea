/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxenstore, loaded on first use with dlopen(): only export (and sync,
 * status) read xenstore, and link/unlink must not pay for relocating
 * libxenstore and libxentoolcore at every uevent. The functions are typed
 * from <xenstore.h>, so a changed prototype fails the build.
 */
#ifndef XC_XS_DLOPEN_H
#define XC_XS_DLOPEN_H

#include <xenstore.h>

struct xen_channel_ctx;

struct xc_xs_lib {
        __typeof__(xs_open) *open;
        __typeof__(xs_close) *close;
        __typeof__(xs_read) *read;
        __typeof__(xs_write) *write;
        __typeof__(xs_directory) *directory;
        __typeof__(xs_daemon_destroy_postfork) *destroy_postfork;
        __typeof__(xs_watch) *watch;
        __typeof__(xs_fileno) *fileno;
        __typeof__(xs_check_watch) *check_watch;
};

/* The loaded library, or NULL with a fault recorded (XC_OBJ_XENSTORE,
 * -ENOPKG, for console devid) naming the soname and dlerror(). Loaded once
 * per process. */
const struct xc_xs_lib *xc_xs_lib(struct xen_channel_ctx *ctx, int devid);

#endif
