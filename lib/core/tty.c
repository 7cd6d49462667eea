/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which hvc tty a console holds: the bound consoles, replayed through the
 * kernel's first-free rule against the saved mapping (rundir.c).
 */
#include <errno.h>
#include <string.h>

#include "rundir.h"

/*
 * Under the lock: is the list of consoles, taken before it, still the one to
 * act on? When it leaves the saved state as it is, yes: a change made after
 * the walk is handled by the helper run for that change. When it would change
 * the state (a console added or dropped), the walk is done again now: a
 * console unbound, and forgotten by its unlink, between the walk and the lock
 * must not be put back. The walk reads sysfs only, but the lock is taken at
 * every uevent: it is repeated under it only when it matters.
 */
static int revalidate(struct xen_channel_ctx *ctx, int run_fd, struct xc_consoles *cons)
{
        struct xc_map map, trial;
        int r = xc_state_load(ctx, run_fd, &map);

        if (r < 0)
                return r;
        trial = map;
        if (xc_map_update(&trial, cons->holds) == 0 && memcmp(&trial, &map, sizeof(map)) == 0)
                return 0;
        return xc_consoles_scan(ctx, cons);
}

int xc_resolve_tty(struct xen_channel_ctx *ctx, int devid, enum xc_resume told)
{
        struct xc_consoles cons;
        struct xc_map map;
        struct xc_lock lock;
        int r, slot;

        if (!xc_devid_valid(devid))
                return xc_fail(ctx, -EINVAL, XC_OBJ_NONE, 0, NULL, "no console %d", devid);
        r = xc_consoles_scan(ctx, &cons);
        if (r < 0)
                return r;
        r = xc_lock_take(ctx, &lock);
        if (r < 0)
                return r;
        r = revalidate(ctx, lock.run_fd, &cons);
        if (r == 0)
                r = xc_state_update_locked(ctx, lock.run_fd, cons.holds, &map, told);
        xc_lock_release(&lock);
        if (r < 0)
                return r;
        slot = map.slot[devid];
        if (!cons.bound[devid] || slot < 0)
                return xc_fail(ctx, -ENODEV, XC_OBJ_CONSOLE, devid, NULL,
                               "holds no tty (not bound to the xenconsole driver, or its "
                               "backend closed)");
        if (slot >= XC_HVC_TTYS)
                return xc_fail(ctx, -ENXIO, XC_OBJ_CONSOLE, devid, NULL,
                               "it holds hvc slot %d, which has no tty (only hvc0..hvc%d "
                               "exist)",
                               slot, XC_HVC_TTYS - 1);
        dbg(ctx, "console-%d is hvc%d", devid, slot);
        return slot;
}

int xc_forget(struct xen_channel_ctx *ctx, int devid)
{
        struct xc_map map;
        struct xc_lock lock;
        int r;

        if (!xc_devid_valid(devid))
                return xc_fail(ctx, -EINVAL, XC_OBJ_NONE, 0, NULL, "no console %d", devid);
        r = xc_lock_take(ctx, &lock);
        if (r < 0)
                return r;
        r = xc_state_load(ctx, lock.run_fd, &map);
        if (r == 0 && map.slot[devid] >= 0) {
                map.slot[devid] = map.rank[devid] = -1;
                r = xc_state_save(ctx, lock.run_fd, &map);
        }
        xc_lock_release(&lock);
        return r;
}
