/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal declarations shared by the library's modules; not installed. */
#ifndef XEN_CHANNEL_PRIVATE_H
#define XEN_CHANNEL_PRIVATE_H

#include <syslog.h>

#include "libxenchannel.h"

#define XC_EXPORT __attribute__((visibility("default")))

struct xen_channel_ctx {
        int refcount;
        xen_channel_log_fn log_fn;
        void *log_data;
        int log_priority;
        char *dev_dir;
        char *run_dir;
        int timeout_ms;
        /* wait.c: an inotify fd kept for the next xen_channel_wait(), because
         * closing one costs a kernel RCU grace period (up to ~16 ms) that
         * would otherwise delay every wake-up. */
        struct xc_wait_cache *wait_cache;
};

void xc_wait_cache_free(struct xc_wait_cache *cache);

void xc_log(struct xen_channel_ctx *ctx, int priority, const char *file, int line,
            const char *fn, const char *format, ...)
        __attribute__((format(printf, 6, 7)));

/* The format arguments are evaluated only when the message will be shown. */
#define xc_log_cond(ctx, prio, ...)                                              \
        do {                                                                     \
                if ((ctx)->log_fn && (prio) <= (ctx)->log_priority)              \
                        xc_log(ctx, prio, __FILE__, __LINE__, __func__,          \
                               __VA_ARGS__);                                     \
        } while (0)

#define err(ctx, ...) xc_log_cond(ctx, LOG_ERR, __VA_ARGS__)
#define warning(ctx, ...) xc_log_cond(ctx, LOG_WARNING, __VA_ARGS__)
#define notice(ctx, ...) xc_log_cond(ctx, LOG_NOTICE, __VA_ARGS__)
#define info(ctx, ...) xc_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define dbg(ctx, ...) xc_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)

static inline bool xc_devid_valid(int devid)
{
        return devid >= XEN_CHANNEL_DEVID_MIN && devid <= XEN_CHANNEL_DEVID_MAX;
}

/*
 * Parse an unsigned decimal of 1..3 digits without a sign or a leading zero
 * at *p (stopping at end or the first non-digit) and advance *p past it.
 * -1 when malformed. Shared by every parser of the run folder's files and of
 * link targets, so that none of them accepts what another would refuse.
 */
int xc_parse_small_uint(const char **p, const char *end);

/* A timeout_ms as the API takes it (-1 or any negative: forever, 0: only
 * look) turned into a CLOCK_MONOTONIC deadline, and back into what is left
 * for poll(): -1 forever, else 0..INT_MAX ms (0 once it has passed). */
long long xc_deadline(int timeout_ms);
int xc_ms_left(long long deadline, int timeout_ms);

/* Name of the folder below dev_dir that holds the links. */
#define XC_LINK_DIR "xen-channel"

#endif
