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

#include "state-internal.h"

#define TARGET_PREFIX "../hvc"

int xc_link_target_slot(const char *target)
{
        const char *p, *end;
        int slot;

        if (strncmp(target, TARGET_PREFIX, strlen(TARGET_PREFIX)) != 0)
                return -1;
        p = target + strlen(TARGET_PREFIX);
        end = p + strlen(p);
        slot = xc_parse_small_uint(&p, end);
        if (slot < 0 || p != end || slot >= XEN_CHANNEL_HVC_SLOTS)
                return -1;
        return slot;
}

int xc_link_dir_open(struct xen_channel_ctx *ctx, bool create)
{
        char shown[PATH_MAX];
        int dev_fd, fd;

        /* Nothing to remove from a folder that is not there: no error then. */
        dev_fd = xc_open_folder(ctx, AT_FDCWD, ctx->dev_dir, "device folder", ctx->dev_dir,
                                create ? 0 : XC_FOLDER_QUIET_ENOENT);
        if (dev_fd < 0)
                return dev_fd;
        snprintf(shown, sizeof(shown), "%s/%s", ctx->dev_dir, XC_LINK_DIR);
        fd = xc_open_folder(ctx, dev_fd, XC_LINK_DIR, "link folder", shown,
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
static int check_replaceable(struct xen_channel_ctx *ctx, int link_fd, const char *name)
{
        struct stat st;

        if (fstatat(link_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISLNK(st.st_mode))
                return 0;
        err(ctx, "%s/%s/%s is a %s, not a symlink: left alone; remove it to let the "
            "channel be linked", ctx->dev_dir, XC_LINK_DIR, name,
            S_ISDIR(st.st_mode) ? "folder" : "file");
        return -ENOTEMPTY;
}

int xc_link_set(struct xen_channel_ctx *ctx, int link_fd, const char *name, int slot)
{
        char target[32], cur[64], tmp[XEN_CHANNEL_NAME_MAX + 32];
        int r;

        snprintf(target, sizeof(target), TARGET_PREFIX "%d", slot);
        if (read_link(link_fd, name, cur, sizeof(cur)) == 0 && strcmp(cur, target) == 0) {
                dbg(ctx, "%s/%s/%s already points at %s", ctx->dev_dir, XC_LINK_DIR, name,
                    target);
                return 0;
        }
        r = check_replaceable(ctx, link_fd, name);
        if (r < 0)
                return r;
        /* A valid name never starts with '.', so the temp name cannot be a
         * channel's; the pid keeps helpers that bypass the lock apart. */
        snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", name, (long)getpid());
        (void)unlinkat(link_fd, tmp, 0);
        if (symlinkat(target, link_fd, tmp) < 0 || renameat(link_fd, tmp, link_fd, name) < 0) {
                r = -errno;

                (void)unlinkat(link_fd, tmp, 0);
                err(ctx, "cannot link %s/%s/%s -> %s: %s", ctx->dev_dir, XC_LINK_DIR, name,
                    target, strerror(-r));
                return r;
        }
        info(ctx, "linked %s/%s/%s -> %s", ctx->dev_dir, XC_LINK_DIR, name, target);
        return 0;
}

void xc_live_consoles(struct xen_channel_ctx *ctx, bool live[XEN_CHANNEL_DEVID_MAX + 1])
{
        if (xen_channel_bound_consoles(ctx, live) < 0) {
                dbg(ctx, "cannot enumerate consoles; trusting the names file");
                for (int d = 0; d <= XEN_CHANNEL_DEVID_MAX; d++)
                        live[d] = true;
        }
}

/* ---- the names file: "devid slot name" lines --------------------------- */

/* One field of a claim line: a small number followed by a space. */
static int parse_field(const char **p, const char *end)
{
        int v = xc_parse_small_uint(p, end);

        if (v < 0 || *p >= end || **p != ' ')
                return -1;
        (*p)++;
        return v;
}

/* "devid slot name", with the same strict rules as the state file. */
static bool parse_claim_line(const char *line, size_t len, int *devid, struct xc_claim *c)
{
        const char *p = line, *end = line + len;
        int d = parse_field(&p, end);
        int s = parse_field(&p, end);
        size_t name_len = (size_t)(end - p);

        if (!xc_devid_valid(d) || s < 1 || s >= XEN_CHANNEL_HVC_TTYS ||
            xen_channel_name_check(p, name_len) != XEN_CHANNEL_NAME_OK)
                return false;
        *devid = d;
        c->used = true;
        c->slot = s;
        memcpy(c->name, p, name_len);
        c->name[name_len] = '\0';
        return true;
}

int xc_claims_load(struct xen_channel_ctx *ctx, int run_fd, struct xc_claims *claims)
{
        char *text = NULL;
        size_t len = 0;
        const char *p, *end;
        int r;

        memset(claims, 0, sizeof(*claims));
        r = xc_run_read(ctx, run_fd, XC_NAMES_FILE, &text, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                warning(ctx, "cannot read %s/%s (%s); starting afresh", ctx->run_dir,
                        XC_NAMES_FILE, strerror(-r));
                return 0;
        }
        for (p = text; p < text + len; p = end + 1) {
                struct xc_claim c = { 0 };
                int devid;

                end = memchr(p, '\n', (size_t)(text + len - p));
                if (!end)
                        end = text + len;
                if (parse_claim_line(p, (size_t)(end - p), &devid, &c))
                        claims->c[devid] = c;
                else if (end > p)
                        warning(ctx, "%s/%s: ignoring a corrupt line", ctx->run_dir,
                                XC_NAMES_FILE);
        }
        free(text);
        return 0;
}

int xc_claims_save(struct xen_channel_ctx *ctx, int run_fd, const struct xc_claims *claims)
{
        char buf[(XEN_CHANNEL_NAME_MAX + 32) * (XEN_CHANNEL_DEVID_MAX + 1)];
        size_t n = 0;

        for (int d = XEN_CHANNEL_DEVID_MIN; d <= XEN_CHANNEL_DEVID_MAX; d++)
                if (claims->c[d].used)
                        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%d %d %s\n", d,
                                              claims->c[d].slot, claims->c[d].name);
        return xc_run_write(ctx, run_fd, XC_NAMES_FILE, buf, n);
}

/* The lowest live console other than skip that carries name, or -1. */
static int owner_of(const struct xc_claims *claims, const bool live[], const char *name,
                    int skip)
{
        for (int d = XEN_CHANNEL_DEVID_MIN; d <= XEN_CHANNEL_DEVID_MAX; d++)
                if (d != skip && live[d] && claims->c[d].used &&
                    strcmp(claims->c[d].name, name) == 0)
                        return d;
        return -1;
}

/*
 * devid (at slot) gives name up: remove the link if it is devid's, or hand
 * it to the next console carrying the same name. claims must no longer hold
 * devid's claim for name.
 */
static int release_name(struct xen_channel_ctx *ctx, int link_fd, const struct xc_claims *claims,
                        const bool live[], const char *name, int devid, int slot)
{
        int next = owner_of(claims, live, name, devid);
        char cur[64];
        int r, cur_slot;

        r = read_link(link_fd, name, cur, sizeof(cur));
        if (r == -ENOENT) {
                if (next < 0)
                        return 0;
                notice(ctx, "console-%d takes over the channel name \"%s\"", next, name);
                return xc_link_set(ctx, link_fd, name, claims->c[next].slot);
        }
        if (r < 0) {
                warning(ctx, "%s/%s/%s is not a symlink: left alone", ctx->dev_dir,
                        XC_LINK_DIR, name);
                return -ESTALE;
        }
        cur_slot = xc_link_target_slot(cur);
        if (cur_slot == slot) {
                if (next >= 0) {
                        notice(ctx, "console-%d hands the channel name \"%s\" over to console-%d (hvc%d)",
                               devid, name, next, claims->c[next].slot);
                        return xc_link_set(ctx, link_fd, name, claims->c[next].slot);
                }
                if (unlinkat(link_fd, name, 0) < 0 && errno != ENOENT) {
                        r = -errno;
                        err(ctx, "cannot remove %s/%s/%s: %s", ctx->dev_dir, XC_LINK_DIR,
                            name, strerror(-r));
                        return r;
                }
                info(ctx, "removed %s/%s/%s", ctx->dev_dir, XC_LINK_DIR, name);
                return 0;
        }
        if (next >= 0 && cur_slot == claims->c[next].slot) {
                /* devid lost a name clash: the link never was its own. */
                info(ctx, "%s/%s/%s belongs to console-%d; nothing to remove for console-%d",
                     ctx->dev_dir, XC_LINK_DIR, name, next, devid);
                return 0;
        }
        warning(ctx, "%s/%s/%s points at %s, not at ../hvc%d: left alone", ctx->dev_dir,
                XC_LINK_DIR, name, cur, slot);
        return -ESTALE;
}

int xc_link_claim_locked(struct xen_channel_ctx *ctx, int link_fd, struct xc_claims *claims,
                         const bool live[XEN_CHANNEL_DEVID_MAX + 1], const char *name,
                         int devid, int slot)
{
        struct xc_claim old = claims->c[devid];
        bool self_live[XEN_CHANNEL_DEVID_MAX + 1];
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
                (void)release_name(ctx, link_fd, claims, self_live, old.name, devid, old.slot);
        }

        owner = owner_of(claims, self_live, name, -1);
        if (owner != devid) {
                warning(ctx, "channel name \"%s\" is carried by console-%d (hvc%d) and console-%d (hvc%d): console-%d keeps %s/%s/%s",
                        name, owner, claims->c[owner].slot, devid, slot, owner, ctx->dev_dir,
                        XC_LINK_DIR, name);
                /* Normally a no-op; repairs the link if the owner's is missing. */
                r = xc_link_set(ctx, link_fd, name, claims->c[owner].slot);
                return r < 0 ? r : -EEXIST;
        }
        return xc_link_set(ctx, link_fd, name, slot);
}

/*
 * Which consoles are live matters only when another console claims the same
 * name: only then ask libudev (a sysfs walk). The usual add and remove need
 * no enumeration at all, which keeps udev's RUN programs cheap.
 */
static void live_if_contested(struct xen_channel_ctx *ctx, const struct xc_claims *claims,
                              const char *name, int devid,
                              bool live[XEN_CHANNEL_DEVID_MAX + 1])
{
        for (int d = XEN_CHANNEL_DEVID_MIN; d <= XEN_CHANNEL_DEVID_MAX; d++)
                if (d != devid && claims->c[d].used && strcmp(claims->c[d].name, name) == 0) {
                        xc_live_consoles(ctx, live);
                        return;
                }
        memset(live, 0, sizeof(bool) * (XEN_CHANNEL_DEVID_MAX + 1));
}

/* A channel the caller names: a valid name, devid 1..9, a slot 1..max_slot - 1
 * (slot 0 is the primary console, never a channel). */
static int check_channel(struct xen_channel_ctx *ctx, const char *name, int devid, int slot,
                         int max_slot)
{
        enum xen_channel_name_verdict v;

        if (!name)
                return -EINVAL;
        v = xen_channel_name_check(name, strlen(name));
        if (v != XEN_CHANNEL_NAME_OK) {
                err(ctx, "refusing channel name: %s", xen_channel_name_verdict_str(v));
                return -EINVAL;
        }
        if (!xc_devid_valid(devid) || slot < 1 || slot >= XEN_CHANNEL_HVC_SLOTS)
                return -EINVAL;
        if (slot >= max_slot) {
                err(ctx, "console-%d: hvc%d has no tty node; no link made", devid, slot);
                return -ENXIO;
        }
        return 0;
}

/* Take the run-folder lock and load the claims, and who is live if contested. */
static int lock_claims(struct xen_channel_ctx *ctx, const char *name, int devid,
                       struct xc_lock *lock, struct xc_claims *claims,
                       bool live[XEN_CHANNEL_DEVID_MAX + 1])
{
        int r = xc_lock_take(ctx, lock);

        if (r < 0)
                return r;
        xc_claims_load(ctx, lock->run_fd, claims);
        live_if_contested(ctx, claims, name, devid, live);
        return 0;
}

XC_EXPORT int xen_channel_link_add(struct xen_channel_ctx *ctx, const char *name, int devid,
                                   int slot)
{
        bool live[XEN_CHANNEL_DEVID_MAX + 1];
        struct xc_claims claims;
        struct xc_lock lock;
        int link_fd, r, r2;

        r = check_channel(ctx, name, devid, slot, XEN_CHANNEL_HVC_TTYS);
        if (r < 0)
                return r;
        r = lock_claims(ctx, name, devid, &lock, &claims, live);
        if (r < 0)
                return r;
        link_fd = xc_link_dir_open(ctx, true);
        if (link_fd < 0) {
                xc_lock_release(&lock);
                return link_fd;
        }
        r = xc_link_claim_locked(ctx, link_fd, &claims, live, name, devid, slot);
        r2 = xc_claims_save(ctx, lock.run_fd, &claims);
        close(link_fd);
        xc_lock_release(&lock);
        return r < 0 ? r : r2;
}

XC_EXPORT int xen_channel_link_remove(struct xen_channel_ctx *ctx, const char *name,
                                      int devid, int slot)
{
        bool live[XEN_CHANNEL_DEVID_MAX + 1];
        struct xc_claims claims;
        struct xc_lock lock;
        int link_fd, r, r2;

        r = check_channel(ctx, name, devid, slot, XEN_CHANNEL_HVC_SLOTS);
        if (r < 0)
                return r;
        r = lock_claims(ctx, name, devid, &lock, &claims, live);
        if (r < 0)
                return r;
        live[devid] = false;    /* it is going away */
        if (claims.c[devid].used && strcmp(claims.c[devid].name, name) == 0)
                claims.c[devid].used = false;
        link_fd = xc_link_dir_open(ctx, false);
        if (link_fd == -ENOENT)
                r = 0;          /* no folder, no link: nothing to do */
        else if (link_fd < 0)
                r = link_fd;
        else {
                r = release_name(ctx, link_fd, &claims, live, name, devid, slot);
                close(link_fd);
        }
        r2 = xc_claims_save(ctx, lock.run_fd, &claims);
        xc_lock_release(&lock);
        return r < 0 ? r : r2;
}
