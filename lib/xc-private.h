/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the library's own files share (lib/ and lib/core/): the layout
 * of the context, the log macros, the export marker. Not installed, and not
 * for the front ends: they use core/xc-core.h.
 */
#ifndef XC_PRIVATE_H
#define XC_PRIVATE_H

#include <syslog.h>

#include "libxenchannel.h"
#include "core/xc-core.h"

#define XC_EXPORT __attribute__((visibility("default")))

struct xen_channel_ctx {
        int refcount;
        xen_channel_log_fn log_fn;
        void *log_data;
        int log_priority;
        /* What $XEN_CHANNEL_LOG said: a priority, -ENOENT (unset) or
         * -EINVAL (not a priority). */
        int log_env;
        char *dev_dir;
        char *run_dir;
        int timeout_ms;
        /* wait.c: an inotify fd (-1: none) kept for the next wait, because
         * closing one costs a kernel RCU grace period (up to ~16 ms) that
         * would otherwise delay every wake-up. ctx.c only closes it. */
        int wait_fd;
        /* The last failure of a core function (error.c). Last: ctx.c
         * zeroes what comes before it, not its buffers. */
        struct xc_error error;
};

void xc_log(struct xen_channel_ctx *ctx, int priority, const char *file, int line,
            const char *fn, const char *format, ...) __attribute__((format(printf, 6, 7)));

/* The format arguments are evaluated only when the message will be shown. */
#define xc_log_cond(ctx, prio, ...)                                                   \
        do {                                                                          \
                if ((ctx)->log_fn && (prio) <= (ctx)->log_priority)                   \
                        xc_log(ctx, prio, __FILE__, __LINE__, __func__, __VA_ARGS__); \
        } while (0)

#define err(ctx, ...) xc_log_cond(ctx, LOG_ERR, __VA_ARGS__)
#define warning(ctx, ...) xc_log_cond(ctx, LOG_WARNING, __VA_ARGS__)
#define notice(ctx, ...) xc_log_cond(ctx, LOG_NOTICE, __VA_ARGS__)
#define info(ctx, ...) xc_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define dbg(ctx, ...) xc_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)

static inline bool xc_devid_valid(int devid)
{
        return devid >= XC_DEVID_MIN && devid <= XC_DEVID_MAX;
}

/*
 * Parse an unsigned decimal of 1..3 digits without a sign or a leading zero
 * at *p (stopping at end or the first non-digit) and advance *p past it.
 * -1 when malformed. Shared by every parser of the run folder's files and of
 * tty names, so that none of them accepts what another would refuse.
 */
int xc_parse_small_uint(const char **p, const char *end);

/* A timeout_ms as the API takes it (-1 or any negative: forever, 0: only
 * look) turned into a CLOCK_MONOTONIC deadline, and back into what is left
 * for poll(): -1 forever, else 0..INT_MAX ms (0 once it has passed). */
long long xc_deadline(int timeout_ms);
int xc_ms_left(long long deadline, int timeout_ms);

/*
 * Open a folder without following a symlink at its last component, and with
 * XC_FOLDER_CREATE make it (0755) when missing. Returns an O_DIRECTORY fd or
 * a negative errno, recorded (xc_fail) as a fault of obj at path: -ENOTDIR
 * for a symlink or non-folder; a missing folder is not recorded with
 * XC_FOLDER_QUIET_ENOENT.
 */
enum {
        XC_FOLDER_CREATE = 1 << 0,
        XC_FOLDER_QUIET_ENOENT = 1 << 1,
};
int xc_open_folder(struct xen_channel_ctx *ctx, int at_fd, const char *path,
                   enum xc_object obj, const char *shown, unsigned flags);

/* Sleep up to ms (-1: forever), waking early when anything changes in
 * dev_dir or in its xen-channel folder, on the ctx's cached inotify fd
 * (wait.c). name must be valid. */
int xc_wait_change(struct xen_channel_ctx *ctx, const char *name, int ms);

#endif
