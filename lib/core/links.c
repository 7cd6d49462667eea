/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The links <dev_dir>/xen-channel/<name> -> ../hvc<slot>.
 *
 * The name comes from outside the guest, so it is checked again here even
 * though callers check it, and every file operation is relative to an fd of
 * the link folder opened with O_NOFOLLOW: a symlinked xen-channel folder
 * cannot redirect anything. Links are replaced atomically (a temp link
 * renamed over), so an agent never sees the name missing or half-made.
 *
 * Two consoles may carry the same name: the lower devid owns the link. The
 * names file in the run folder remembers every console that asked for a
 * link, so that when the owner goes away the other one takes the link over
 * without a xenstore request (udev's remove event makes none).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "links.h"

/* The link's path for the log and the error record. */
static const char *shown(struct xen_channel_ctx *ctx, const char *name, char *buf, size_t size)
{
        if (xc_link_path(ctx, name, buf, size) < 0)
                snprintf(buf, size, "%s", name);
        return buf;
}

int xc_link_dir_open(struct xen_channel_ctx *ctx, bool create)
{
        char path[PATH_MAX];
        int dev_fd, fd;

        /* Nothing to remove from a folder that is not there: no error then. */
        dev_fd = xc_open_folder(ctx, AT_FDCWD, ctx->dev_dir, XC_OBJ_DEV_DIR, ctx->dev_dir,
                                create ? 0 : XC_FOLDER_QUIET_ENOENT);
        if (dev_fd < 0)
                return dev_fd;
        xc_link_dir_path(ctx, path, sizeof(path));
        fd = xc_open_folder(ctx, dev_fd, XC_LINK_DIR, XC_OBJ_LINK_DIR, path,
                            create ? XC_FOLDER_CREATE : XC_FOLDER_QUIET_ENOENT);
        close(dev_fd);
        return fd;
}

/* readlinkat() into buf, NUL-terminated; -EINVAL when not a symlink. */
static int read_link(int link_fd, const char *name, char *buf, size_t size)
{
        ssize_t n = readlinkat(link_fd, name, buf, size - 1);

        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return 0;
}

/*
 * Only a symlink (or nothing) may be replaced: a file or folder at the link's
 * place is not ours. udev refuses such a "conflicting inode" the same way.
 */
static int check_replaceable(struct xen_channel_ctx *ctx, int link_fd, const char *name,
                             int devid)
{
        char path[PATH_MAX];
        struct stat st;

        if (fstatat(link_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISLNK(st.st_mode))
                return 0;
        shown(ctx, name, path, sizeof(path));
        return xc_fail(ctx, -ENOTEMPTY, XC_OBJ_LINK, devid, path,
                       "%s is a %s, not a symlink: left alone; remove it to let the channel "
                       "be linked",
                       path, S_ISDIR(st.st_mode) ? "folder" : "file");
}

/* Point <link_fd>/name at ../hvc<slot> atomically; no-op when it already does. */
static int link_set(struct xen_channel_ctx *ctx, int link_fd, const char *name, int devid,
                    int slot)
{
        char target[32], cur[64], tmp[XEN_CHANNEL_NAME_MAX + 32], path[PATH_MAX];
        int r;

        snprintf(target, sizeof(target), "../hvc%d", slot);
        shown(ctx, name, path, sizeof(path));
        if (read_link(link_fd, name, cur, sizeof(cur)) == 0 && strcmp(cur, target) == 0) {
                dbg(ctx, "%s already points at %s", path, target);
                return 0;
        }
        r = check_replaceable(ctx, link_fd, name, devid);
        if (r < 0)
                return r;
        /* A valid name never starts with '.', so the temp name cannot be a
         * channel's; the pid keeps helpers that bypass the lock apart. */
        snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", name, (long)getpid());
        (void)unlinkat(link_fd, tmp, 0);
        if (symlinkat(target, link_fd, tmp) < 0 || renameat(link_fd, tmp, link_fd, name) < 0) {
                r = -errno;

                (void)unlinkat(link_fd, tmp, 0);
                return xc_fail(ctx, r, XC_OBJ_LINK, devid, path, "cannot link %s -> %s: %s",
                               path, target, strerror(-r));
        }
        info(ctx, "console-%d: linked %s -> %s", devid, path, target);
        return 0;
}

/*
 * Which consoles count as present for the clash policy: the bound ones, or
 * all of them when the enumeration fails (then the names file decides).
 */
static void live_consoles(struct xen_channel_ctx *ctx, bool live[XC_DEVID_MAX + 1])
{
        if (xc_bound_consoles(ctx, live) < 0) {
                dbg(ctx, "cannot enumerate consoles (%s); trusting the names file",
                    xc_last_error(ctx)->text);
                for (int d = 0; d <= XC_DEVID_MAX; d++)
                        live[d] = true;
        }
}

/* The lowest live console other than skip that carries name, or -1. */
static int owner_of(const struct xc_claims *claims, const bool live[], const char *name,
                    int skip)
{
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++)
                if (d != skip && live[d] && claims->c[d].used &&
                    strcmp(claims->c[d].name, name) == 0)
                        return d;
        return -1;
}

/* Remove the link devid made; XC_REMOVAL_REMOVED, or a recorded fault. */
static int remove_own(struct xen_channel_ctx *ctx, int link_fd, const char *name, int devid,
                      int slot)
{
        char path[PATH_MAX];
        int r;

        shown(ctx, name, path, sizeof(path));
        if (unlinkat(link_fd, name, 0) < 0) {
                r = -errno;
                if (r == -ENOENT)
                        return XC_REMOVAL_NONE;
                return xc_fail(ctx, r, XC_OBJ_LINK, devid, path, "cannot remove %s: %s", path,
                               strerror(-r));
        }
        /* The one line a removal leaves at the default level. */
        notice(ctx, "console-%d: removed link %s (was -> ../hvc%d)", devid, path, slot);
        return XC_REMOVAL_REMOVED;
}

/*
 * devid (at slot) gives name up: remove the link if it is devid's, or hand
 * it to the next console carrying the same name. claims must no longer hold
 * devid's claim for name. Returns an enum xc_removal or a recorded fault.
 */
static int release_name(struct xen_channel_ctx *ctx, int link_fd,
                        const struct xc_claims *claims, const bool live[], const char *name,
                        int devid, int slot)
{
        int next = owner_of(claims, live, name, devid);
        char cur[64], path[PATH_MAX];
        int r, cur_slot;

        shown(ctx, name, path, sizeof(path));
        r = read_link(link_fd, name, cur, sizeof(cur));
        if (r == -ENOENT) {
                dbg(ctx, "console-%d: %s is already gone", devid, path);
                if (next < 0)
                        return XC_REMOVAL_NONE;
                notice(ctx, "console-%d takes over the channel name \"%s\"", next, name);
                r = link_set(ctx, link_fd, name, next, claims->c[next].slot);
                return r < 0 ? r : XC_REMOVAL_HANDED;
        }
        if (r == -EINVAL)
                return xc_fail(ctx, -ESTALE, XC_OBJ_NOT_OURS, devid, path,
                               "%s is not a symlink: left alone", path);
        if (r < 0)
                return xc_fail(ctx, r, XC_OBJ_LINK, devid, path, "cannot read the link %s: %s",
                               path, strerror(-r));
        cur_slot = xc_link_target_slot(cur);
        if (cur_slot == slot && next >= 0) {
                notice(ctx,
                       "console-%d hands the channel name \"%s\" over to console-%d (hvc%d)",
                       devid, name, next, claims->c[next].slot);
                r = link_set(ctx, link_fd, name, next, claims->c[next].slot);
                return r < 0 ? r : XC_REMOVAL_HANDED;
        }
        if (cur_slot == slot)
                return remove_own(ctx, link_fd, name, devid, slot);
        if (next >= 0 && cur_slot == claims->c[next].slot) {
                /* devid lost a name clash: the link never was its own. */
                dbg(ctx, "%s belongs to console-%d; nothing to remove for console-%d", path,
                    next, devid);
                return XC_REMOVAL_NONE;
        }
        return xc_fail(ctx, -ESTALE, XC_OBJ_NOT_OURS, devid, path,
                       "%s points at %s, not at ../hvc%d: left alone", path, cur, slot);
}

int xc_link_claim_locked(struct xen_channel_ctx *ctx, int link_fd, struct xc_claims *claims,
                         const bool live[XC_DEVID_MAX + 1], const char *name, int devid,
                         int slot)
{
        struct xc_claim old = claims->c[devid];
        bool self_live[XC_DEVID_MAX + 1];
        char path[PATH_MAX];
        int owner, r;

        /* The console asking is present by definition. */
        memcpy(self_live, live, sizeof(self_live));
        self_live[devid] = true;

        claims->c[devid].used = true;
        claims->c[devid].slot = slot;
        snprintf(claims->c[devid].name, sizeof(claims->c[devid].name), "%s", name);

        if (old.used && strcmp(old.name, name) != 0) {
                notice(ctx, "console-%d changed its name from \"%s\" to \"%s\"", devid,
                       old.name, name);
                /* Not this call's result: say it now, or nobody will. */
                if (release_name(ctx, link_fd, claims, self_live, old.name, devid, old.slot) <
                    0)
                        xc_log_error(ctx);
        }

        owner = owner_of(claims, self_live, name, -1);
        if (owner == devid)
                return link_set(ctx, link_fd, name, devid, slot);
        /* Normally a no-op; repairs the link if the owner's is missing. */
        r = link_set(ctx, link_fd, name, owner, claims->c[owner].slot);
        if (r < 0)
                return r;
        shown(ctx, name, path, sizeof(path));
        return xc_fail(ctx, -EEXIST, XC_OBJ_CLASH, devid, path,
                       "channel name \"%s\" is carried by console-%d (hvc%d) and console-%d "
                       "(hvc%d): console-%d keeps %s; not linked",
                       name, owner, claims->c[owner].slot, devid, slot, owner, path);
}

/*
 * Which consoles are live matters only when another console claims the same
 * name: only then walk sysfs. The usual add and remove need
 * no enumeration at all, which keeps udev's RUN programs cheap.
 */
static void live_if_contested(struct xen_channel_ctx *ctx, const struct xc_claims *claims,
                              const char *name, int devid, bool live[XC_DEVID_MAX + 1])
{
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++)
                if (d != devid && claims->c[d].used && strcmp(claims->c[d].name, name) == 0) {
                        live_consoles(ctx, live);
                        return;
                }
        memset(live, 0, sizeof(bool) * (XC_DEVID_MAX + 1));
}

/* A channel the caller names: a valid name, devid 1..9, a slot 1..max_slot - 1
 * (slot 0 is the primary console, never a channel). */
/* A channel the caller names: a valid name (or, to remove, a legacy one),
 * devid 1..9, a slot 1..max_slot - 1 (slot 0 is the primary console, never
 * a channel). */
static int check_channel(struct xen_channel_ctx *ctx, const char *name, int devid, int slot,
                         int max_slot, bool legacy_ok)
{
        if (!name)
                return xc_fail(ctx, -EINVAL, XC_OBJ_NONE, 0, NULL, "no channel name given");
        if (!xc_devid_valid(devid) || slot < 1 || slot >= XC_HVC_SLOTS)
                return xc_fail(ctx, -EINVAL, XC_OBJ_NONE, 0, NULL,
                               "no channel on console %d, hvc slot %d", devid, slot);
        if (!(legacy_ok && xc_name_is_legacy(name)) &&
            xc_name_accept(ctx, devid, name, strlen(name)) < 0)
                return -EINVAL;
        if (slot >= max_slot)
                return xc_fail(ctx, -ENXIO, XC_OBJ_CONSOLE, devid, NULL,
                               "hvc%d has no tty node; no link made", slot);
        return 0;
}

/* What change_link does. */
enum change { ADD, REMOVE, REMOVE_LEGACY };

/*
 * link_add and link_remove: check, then under the lock load the claims, work
 * on the link, and save the claims whatever the link did (a clash loser's
 * claim is what lets it take the link over later).
 */
static int change_link(struct xen_channel_ctx *ctx, const char *name, int devid, int slot,
                       enum change what)
{
        bool add = what == ADD, live[XC_DEVID_MAX + 1];
        struct xc_claims claims;
        struct xc_lock lock;
        int link_fd, r, r2;

        r = check_channel(ctx, name, devid, slot, add ? XC_HVC_TTYS : XC_HVC_SLOTS,
                          what == REMOVE_LEGACY);
        if (r < 0)
                return r;
        r = xc_lock_take(ctx, &lock);
        if (r < 0)
                return r;
        /* A names file that cannot be read is not "no claims": saving the
         * claims of this one console would drop everybody else's. */
        r = xc_claims_load(ctx, lock.run_fd, &claims);
        if (r < 0) {
                xc_lock_release(&lock);
                return r;
        }
        live_if_contested(ctx, &claims, name, devid, live);
        if (!add) {
                live[devid] = false; /* it is going away */
                if (claims.c[devid].used && strcmp(claims.c[devid].name, name) == 0)
                        claims.c[devid].used = false;
        }
        link_fd = xc_link_dir_open(ctx, add);
        if (link_fd < 0 && add) {
                xc_lock_release(&lock);
                return link_fd;
        }
        if (link_fd == -ENOENT)
                r = XC_REMOVAL_NONE; /* no folder, no link: nothing to do */
        else if (link_fd < 0)
                r = link_fd;
        else {
                r = add ? xc_link_claim_locked(ctx, link_fd, &claims, live, name, devid, slot)
                        : release_name(ctx, link_fd, &claims, live, name, devid, slot);
                close(link_fd);
        }
        r2 = xc_claims_save(ctx, lock.run_fd, &claims);
        xc_lock_release(&lock);
        /* A names file not saved beats the link's result, a clash verdict
         * too: it was recorded last, and it is what the user must see to. */
        return r2 < 0 ? r2 : r;
}

int xc_link_add(struct xen_channel_ctx *ctx, const char *name, int devid, int slot)
{
        return change_link(ctx, name, devid, slot, ADD);
}

int xc_link_remove(struct xen_channel_ctx *ctx, const char *name, int devid, int slot)
{
        return change_link(ctx, name, devid, slot, REMOVE);
}

int xc_link_remove_legacy(struct xen_channel_ctx *ctx, const char *name, int devid, int slot)
{
        return change_link(ctx, name, devid, slot,
                           xc_name_is_legacy(name) ? REMOVE_LEGACY : REMOVE);
}
