/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Follow a resume: xencons_resume() re-allocates every console's hvc slot,
 * first free again, without a uevent (shown on real Xen: tests/e2e s7). The
 * computed mapping cannot see it. Two signals can, and both must agree:
 *
 *  - the resume mark. A resume only moves a console when a slot below it is
 *    free (a hole), so whenever the state gets a hole we write a key into
 *    this domain's own xenstore. A restored or migrated guest runs in a new
 *    domain whose xenstore libxl builds afresh: the mark is gone (shown on
 *    real Xen: s7). While it is there, no resume happened, whatever open()
 *    says.
 *  - open() of an hvc tty with no console behind it fails with ENODEV. But
 *    while a process still holds the tty of a console that went away, open()
 *    of that slot reaches the dead console's tty and succeeds (shown on real
 *    Xen: s7's holder; qemu-ga does it for the 5 s it ignores SIGTERM). So
 *    open() alone cannot prove a resume; it confirms the allocation
 *    xc_map_resumed() computes once the mark is gone, and it never makes the
 *    mapping itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../xc-private.h"
#include "rundir.h"

/* 1: a console is behind <dev_dir>/hvc<slot>; 0: none (ENODEV, or no node);
 * a negative errno when it cannot be told (EACCES for a user). */
static int tty_live(struct xen_channel_ctx *ctx, int slot)
{
        char path[PATH_MAX];
        int fd;

        if (xc_tty_path(ctx, slot, path, sizeof(path)) < 0)
                return -ENAMETOOLONG;
        /* Not our controlling tty; never waits; a tty opened by an agent is
         * not disturbed, and one no agent holds is closed at once. */
        fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
                close(fd);
                return 1;
        }
        if (errno == ENODEV || errno == ENXIO || errno == ENOENT)
                return 0;
        return -errno;
}

/*
 * The mark's read and write go through the bounded xenstore requests but are
 * never the caller's fault: a failure is said at notice and not recorded.
 */
static int mark_request(struct xen_channel_ctx *ctx, bool write)
{
        struct xc_error saved = ctx->error;
        char *value = NULL;
        size_t len;
        int r;

        r = write ? xc_xs_write_key(ctx, XC_RESUME_MARK, "1")
                  : xc_xs_read_key(ctx, XC_RESUME_MARK, &value, &len);
        free(value);
        if (r < 0 && r != -ENOENT)
                notice(ctx, "the resume mark: %s", ctx->error.text);
        ctx->error = saved;
        return r;
}

void xc_mark_hole(struct xen_channel_ctx *ctx, const struct xc_map *map)
{
        struct xc_map after;

        if (xc_map_resumed(map, &after) > 0)
                mark_request(ctx, true);
}

/* 1: the mark is there; 0: it is not; a negative errno: it cannot be told. */
static int mark_present(struct xen_channel_ctx *ctx)
{
        int r = mark_request(ctx, false);

        return r == 0 ? 1 : r == -ENOENT ? 0 : r;
}

/* 1: every slot the resume would have made live opens; 0: one is empty (no
 * resume); a negative errno: it cannot be told (EACCES for a user). */
static int slots_live(struct xen_channel_ctx *ctx, const struct xc_map *map,
                      const struct xc_map *after)
{
        bool live_now[XC_HVC_SLOTS] = { false }, live_after[XC_HVC_SLOTS] = { false };
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++) {
                if (map->slot[d] >= 0)
                        live_now[map->slot[d]] = true;
                if (after->slot[d] >= 0)
                        live_after[after->slot[d]] = true;
        }
        for (int s = 1; s < XC_HVC_TTYS; s++) {
                int r;

                if (!live_after[s] || live_now[s])
                        continue;
                r = tty_live(ctx, s);
                if (r != 1) {
                        dbg(ctx, "hvc%d: %s: no resume moved the consoles", s,
                            r == 0 ? "empty" : strerror(-r));
                        return r;
                }
        }
        /* A resume moves at least one console into a hole, so some slot
         * was opened. */
        return 1;
}

int xc_map_follow(struct xen_channel_ctx *ctx, struct xc_map *map, bool rearm)
{
        struct xc_map after;
        int mark, live;

        if (xc_map_resumed(map, &after) <= 0)
                return 0;
        mark = mark_present(ctx);
        if (mark == 1) {
                dbg(ctx, "the resume mark is in xenstore: no resume since the hole");
                return 0;
        }
        live = slots_live(ctx, map, &after);
        if (live != 1) {
                /* An empty slot proves there was no resume: mark this
                 * xenstore (a state from a version without the mark, or a
                 * write that failed) so that a tty held later cannot fool
                 * the check. */
                if (rearm && live == 0 && mark == 0)
                        mark_request(ctx, true);
                return 0;
        }
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++)
                if (after.slot[d] != map->slot[d])
                        notice(ctx,
                               "console-%d moved from hvc%d to hvc%d (the guest was "
                               "resumed)",
                               d, map->slot[d], after.slot[d]);
        *map = after;
        return 1;
}

int xc_state_update_locked(struct xen_channel_ctx *ctx, int run_fd,
                           const bool holds[XC_DEVID_MAX + 1], struct xc_map *map)
{
        struct xc_map old;
        int r;

        r = xc_state_load(ctx, run_fd, map);
        if (r < 0)
                return r;
        old = *map;
        /* A resume re-allocates the slots the kernel held then: the saved
         * map, before this update removes or adds anything. */
        xc_map_follow(ctx, map, true);
        r = xc_map_update(map, holds);
        if (r < 0)
                return xc_fail(ctx, r, XC_OBJ_NONE, 0, NULL, "cannot update the mapping: %s",
                               strerror(-r));
        if (memcmp(&old, map, sizeof(old)) == 0 &&
            faccessat(run_fd, XC_STATE_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return 0;
        xc_mark_hole(ctx, map);
        return xc_state_save(ctx, run_fd, map);
}
