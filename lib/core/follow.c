/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Follow a resume: xencons_resume() re-allocates every console's hvc slot,
 * first free again, without a uevent (shown on real Xen). The computed
 * mapping cannot see it. Two signals can, and both must agree:
 *
 *  - the resume mark. Once per domain (the first sync of a boot, and again
 *    after each resume it saw) the helper writes a key into this domain's own
 *    xenstore and records that it did in the run folder (the file "mark"). A
 *    restored or migrated guest runs in a new domain whose xenstore libxl
 *    builds afresh, so the key is gone while /run still says it was written.
 *    That, and only that, says a resume happened: a key that is there says
 *    none did, and one that cannot be read (a stalled or refusing xenstore)
 *    or was never written says nothing ("cannot tell": nothing is moved).
 *  - open() of an hvc tty with no console behind it fails with ENODEV. But
 *    while a process still holds the tty of a console that went away, open()
 *    of that slot reaches the dead console's tty and succeeds (qemu-ga does
 *    it for the 5 s it ignores SIGTERM). So open() alone cannot prove a
 *    resume; it confirms the allocation xc_map_resumed() computes once the
 *    mark says a resume happened, and it never makes the mapping itself.
 *
 * xenstore is asked before the run-folder lock is taken, never under it: a
 * slow xenstore must not hold up every other console's helper. A removal
 * asks nothing at all: the mark was written once, at boot.
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
 * The mark's read and write are never the caller's fault: a failure is said
 * at notice and not recorded (the error record keeps the caller's own).
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

/* Whether the saved state has a hole a resume would close. */
static bool state_has_hole(struct xen_channel_ctx *ctx, int run_fd)
{
        struct xc_error saved = ctx->error;
        struct xc_map map, after;
        int r = xc_state_load(ctx, run_fd, &map);

        ctx->error = saved; /* an unreadable state is the update's to report */
        return r == 0 && xc_map_resumed(&map, &after) > 0;
}

enum xc_resume xc_resume_ask(struct xen_channel_ctx *ctx, bool always)
{
        enum xc_resume answer = XC_RESUME_UNTOLD;
        int run_fd = xc_run_open_ro(ctx);
        int r;

        if (run_fd < 0)
                return XC_RESUME_UNTOLD;
        if (xc_mark_armed(run_fd) != 1) {
                dbg(ctx, "the resume mark was not written in this domain: cannot tell");
        } else if (always || state_has_hole(ctx, run_fd)) {
                r = mark_request(ctx, false);
                answer = r == 0         ? XC_RESUME_NONE
                         : r == -ENOENT ? XC_RESUME_GONE
                                        : XC_RESUME_UNTOLD;
        }
        close(run_fd);
        return answer;
}

void xc_resume_arm(struct xen_channel_ctx *ctx)
{
        int run_fd = xc_run_open_ro(ctx);

        if (run_fd < 0)
                return;
        if (xc_mark_armed(run_fd) == 0 && mark_request(ctx, true) == 0)
                xc_mark_set(ctx, run_fd);
        close(run_fd);
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

int xc_map_follow(struct xen_channel_ctx *ctx, int run_fd, struct xc_map *map,
                  enum xc_resume told)
{
        struct xc_map after;
        int moved, live;

        /* Under the lock, the local half is checked again: a helper that
         * followed the resume meanwhile cleared it. */
        if (told != XC_RESUME_GONE || (run_fd >= 0 && xc_mark_armed(run_fd) != 1))
                return 0;
        moved = xc_map_resumed(map, &after) > 0;
        live = moved ? slots_live(ctx, map, &after) : 0;
        if (live < 0)
                return 0; /* cannot tell: the mark stays as it is */
        /* The mark is gone from this xenstore: whether or not consoles
         * moved, the next sync writes it again (a reader changes nothing). */
        if (run_fd >= 0)
                xc_mark_clear(run_fd);
        if (live == 0)
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

int xc_state_update_locked(struct xen_channel_ctx *ctx, int run_fd,
                           const bool holds[XC_DEVID_MAX + 1], struct xc_map *map,
                           enum xc_resume told)
{
        struct xc_map old;
        int r;

        r = xc_state_load(ctx, run_fd, map);
        if (r < 0)
                return r;
        old = *map;
        /* A resume re-allocates the slots the kernel held then: the saved
         * map, before this update removes or adds anything. */
        xc_map_follow(ctx, run_fd, map, told);
        r = xc_map_update(map, holds);
        if (r < 0)
                return xc_fail(ctx, r, XC_OBJ_NONE, 0, NULL, "cannot update the mapping: %s",
                               strerror(-r));
        if (memcmp(&old, map, sizeof(old)) == 0 &&
            faccessat(run_fd, XC_STATE_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return 0;
        return xc_state_save(ctx, run_fd, map);
}
