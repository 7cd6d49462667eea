/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Follow a resume: xencons_resume() re-allocates every console's hvc slot,
 * first free again, without a uevent (shown on real Xen: tests/e2e s7). The
 * computed mapping cannot see it; an empty slot can: open() of an hvc tty
 * with no console behind it fails with ENODEV. That check confirms the
 * allocation xc_map_resumed() computes; it never makes the mapping itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../xc-private.h"

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

int xc_map_follow(struct xen_channel_ctx *ctx, struct xc_map *map)
{
        bool live_now[XC_HVC_SLOTS] = { false }, live_after[XC_HVC_SLOTS] = { false };
        struct xc_map after;
        int checked = 0;

        if (xc_map_resumed(map, &after) <= 0)
                return 0;
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++) {
                if (map->slot[d] >= 0)
                        live_now[map->slot[d]] = true;
                if (after.slot[d] >= 0)
                        live_after[after.slot[d]] = true;
        }
        for (int s = 1; s < XC_HVC_TTYS; s++) {
                int r;

                if (!live_after[s] || live_now[s])
                        continue;
                r = tty_live(ctx, s);
                if (r != 1) {
                        dbg(ctx, "hvc%d: %s: no resume moved the consoles", s,
                            r == 0 ? "empty" : strerror(-r));
                        return 0;
                }
                checked++;
        }
        if (checked == 0)
                return 0;
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++)
                if (after.slot[d] != map->slot[d])
                        notice(ctx,
                               "console-%d moved from hvc%d to hvc%d (the guest was "
                               "resumed)",
                               d, map->slot[d], after.slot[d]);
        *map = after;
        return 1;
}
