/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xen-channel-helper watch: keep the links true when the kernel frees or
 * moves hvc slots without a uevent (a backend that closes, a resume). Both
 * show in xenstore under device/console: the frontend writes its state when
 * the backend closes, and rewrites ring-ref, port and state at a resume
 * (after which the kernel also registers our watch again, which fires it).
 * So: one xenstore watch, and one sync per burst of events. Between bursts
 * the process sleeps in poll() without a timeout: no wake-ups.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "commands.h"
#include "log.h"

/* A burst is over when nothing came for this long: the consoles of a
 * resume, or the keys of a hot-add, arrive within a few ms of each other. */
#define QUIET_MS 100

/* Wait for events: forever (timeout -1) or QUIET_MS. 1: some, 0: none in
 * time, negative: the connection broke. */
static int wait_events(struct xc_xs_watch *w, int fd, int timeout)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r;

        do
                r = poll(&p, 1, timeout);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return -errno;
        if (r == 0)
                return 0;
        r = xc_xs_watch_drain(w);
        return r < 0 ? r : 1;
}

int cmd_watch(struct xen_channel_ctx *ctx)
{
        struct xc_xs_watch *w;
        unsigned long bursts = 0;
        int fd, r;

        fd = xc_xs_watch_open(ctx, &w);
        if (fd < 0)
                return helper_fail(ctx, 0);
        log_info("watch: watching xenstore %s", XC_XS_WATCH_PATH);
        for (;;) {
                r = wait_events(w, fd, -1);
                while (r > 0)
                        r = wait_events(w, fd, QUIET_MS);
                if (r < 0)
                        break;
                bursts++;
                r = xc_sync(ctx);
                if (r < 0)
                        helper_fail(ctx, 0); /* logged; go on */
                else
                        log_debug("watch: burst %lu: sync linked %d channel(s)", bursts, r);
        }
        log_err("watch: the xenstore connection broke: %s", strerror(-r));
        xc_xs_watch_close(w);
        return EXIT_XENSTORE;
}
