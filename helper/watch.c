/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xen-channel-helper watch: keep the links true when the kernel frees or
 * moves hvc slots without a uevent (a backend that closes, a resume). Both
 * show in xenstore under device/console: the frontend writes its state when
 * the backend closes, and rewrites ring-ref, port and state at a resume
 * (after which the kernel also registers our watch again, which fires it).
 * So: one xenstore watch, and one sync per burst of events. Between bursts
 * the process sleeps in poll() without a timeout: no wake-ups.
 *
 * What a daemon in every guest must survive:
 *  - a sync that fails (a helper stuck on the run-folder lock, a full
 *    disk) is retried with a bounded backoff until it succeeds: a failed
 *    sync may leave a link at a tty its console no longer holds;
 *  - events that never stop (a writer every few ms) would defer the sync
 *    for as long as they go on: a burst lasts BURST_MAX_MS at most;
 *  - a connection that breaks (xenstored restarted, the socket gone):
 *    libxenstore then stops delivering events without a word, so the
 *    connection itself is polled for the peer's hang-up, and the watch exits
 *    EXIT_XENSTORE for the service manager to start it again (its first
 *    sync then catches up on what it missed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "log.h"

/* A burst is over when nothing came for this long: the consoles of a
 * resume, or the keys of a hot-add, arrive within a few ms of each other. */
#define QUIET_MS 100
/* ...or when it has gone on this long: then the sync runs anyway. */
#define BURST_MAX_MS 1000
/* The retries of a failed sync: the first after RETRY_MIN_MS, doubling up
 * to RETRY_MAX_MS, until one succeeds. */
#define RETRY_MIN_MS 250
#define RETRY_MAX_MS 8000

struct watch {
        struct xc_xs_watch *xs;
        struct pollfd fds[2]; /* the watch pipe; the connection (fd -1: none) */
        bool owed;            /* events came that no sync has seen yet */
        long first_ms, last_ms;
        long not_before_ms; /* a retry waits until then */
        int backoff_ms;     /* the next retry's wait; 0 after a success */
        unsigned long bursts;
};

static long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* How long poll() may sleep: forever with no sync owed, else until it is
 * due (quiet for QUIET_MS, or the burst at its limit, and no retry wait). */
static int sleep_ms(const struct watch *w, long now)
{
        long due;

        if (!w->owed)
                return -1;
        due = w->last_ms + QUIET_MS;
        if (due > w->first_ms + BURST_MAX_MS)
                due = w->first_ms + BURST_MAX_MS;
        if (due < w->not_before_ms)
                due = w->not_before_ms;
        return due > now ? (int)(due - now) : 0;
}

/* Sleep until events come or a sync is due. 0 or a negative errno: the
 * connection broke. */
static int wait_events(struct watch *w)
{
        int r, n;

        do
                r = poll(w->fds, 2, sleep_ms(w, now_ms()));
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return -errno;
        if (w->fds[1].revents)
                return -ECONNRESET;
        if (!(w->fds[0].revents & POLLIN))
                return 0;
        n = xc_xs_watch_drain(w->xs);
        if (n < 0)
                return n;
        if (n > 0 && !w->owed) {
                w->owed = true;
                w->first_ms = now_ms();
        }
        if (n > 0)
                w->last_ms = now_ms();
        return 0;
}

static void sync_burst(struct xen_channel_ctx *ctx, struct watch *w)
{
        long now = now_ms();
        int r;

        if (!w->owed || sleep_ms(w, now) > 0)
                return;
        w->bursts++;
        r = xc_sync(ctx);
        if (r >= 0) {
                log_debug("watch: burst %lu: sync linked %d channel(s)", w->bursts, r);
                w->owed = false;
                w->backoff_ms = 0;
                return;
        }
        helper_fail(ctx, 0); /* logged; retried */
        w->backoff_ms = w->backoff_ms ? w->backoff_ms * 2 : RETRY_MIN_MS;
        if (w->backoff_ms > RETRY_MAX_MS)
                w->backoff_ms = RETRY_MAX_MS;
        log_notice("watch: the sync failed; trying again in %d ms", w->backoff_ms);
        w->first_ms = w->last_ms = now;
        w->not_before_ms = now + w->backoff_ms;
}

int cmd_watch(struct xen_channel_ctx *ctx)
{
        struct watch w = { 0 };
        int fd, r;

        fd = xc_xs_watch_open(ctx, &w.xs);
        if (fd < 0)
                return helper_fail(ctx, 0);
        w.fds[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
        w.fds[1] = (struct pollfd){ .fd = xc_xs_watch_conn_fd(w.xs), .events = POLLRDHUP };
        log_info("watch: watching xenstore %s", XC_XS_WATCH_PATH);
        do {
                r = wait_events(&w);
                if (r == 0)
                        sync_burst(ctx, &w);
        } while (r == 0);
        log_err("watch: the xenstore connection broke (%s); exiting to be restarted",
                strerror(-r));
        xc_xs_watch_close(w.xs);
        return EXIT_XENSTORE;
}
