/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Waiting for a channel's link with inotify.
 *
 * The link <dev_dir>/xen-channel/<name> is made by the helper when udev sees
 * the console, possibly long after the agent started, and the folder itself
 * may not exist yet at that point. So the monitor watches two levels:
 * dev_dir (for the folder to be created or renamed in) and, once it exists,
 * the folder (for the link). Every batch of events ends with a fresh look at
 * the link, so the monitor never depends on which event told it: a missed or
 * coalesced event (IN_Q_OVERFLOW) costs nothing but a readlink().
 *
 * The folder watch follows the PATH, not an inode: a watch stays on the
 * inode when the folder is renamed away, and its IN_IGNORED is lost when
 * the queue overflows. So every batch also re-adds the folder watch
 * (inotify_add_watch on a watched inode just returns its wd) and drops the
 * old one when the path now names another folder. dev_dir is re-checked
 * after it said it went away (or after an overflow): once it is gone
 * nothing can appear below it, and the monitor reports -ENOENT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "xc-private.h"

struct xen_channel_monitor {
        struct xen_channel_ctx *ctx;
        bool ctx_ref;          /* false for xen_channel_wait's own monitor */
        int fd;                /* inotify */
        int wd_dev;            /* watch on dev_dir */
        int wd_dir;            /* watch on the folder, -1 while it is absent */
        bool recheck_dev;      /* dev_dir's watch went away, or events were lost */
        char *dir_path;        /* <dev_dir>/xen-channel */
        char *link_path;       /* <dev_dir>/xen-channel/<name> */
        char target[PATH_MAX]; /* last target seen, "" when absent */
};

#define DEV_MASK (IN_CREATE | IN_MOVED_TO | IN_MOVE_SELF | IN_ONLYDIR)
/* IN_DELETE/IN_MOVED_FROM so that a vanishing link is seen too; the folder
 * going away shows as IN_IGNORED on its watch. */
#define DIR_MASK (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR)

static int check_name(struct xen_channel_ctx *ctx, const char *name)
{
        enum xen_channel_name_verdict v;
        size_t len;

        if (!ctx)
                return -EINVAL;
        if (!name) {
                err(ctx, "no channel name given");
                return -EINVAL;
        }
        len = strnlen(name, XEN_CHANNEL_NAME_MAX + 1);
        v = xen_channel_name_check(name, len);
        if (v != XEN_CHANNEL_NAME_OK) {
                char why[XC_REJECTION_MAX];

                err(ctx, "%s", xc_name_rejection(name, len, v, why, sizeof(why)));
                return -EINVAL;
        }
        return 0;
}

/* Point *wd at the inode path names now: add a watch (the same wd comes
 * back when it is already watched) and drop the previous one if it was
 * another inode. -ENOENT/-ENOTDIR when path is not there (*wd is -1). */
static int watch_path(struct xen_channel_monitor *mon, const char *path, uint32_t mask,
                      int *wd)
{
        int nwd = inotify_add_watch(mon->fd, path, mask), r = 0;

        if (nwd < 0)
                r = -errno;
        if (*wd >= 0 && *wd != nwd)
                (void)inotify_rm_watch(mon->fd, *wd); /* EINVAL if already gone */
        *wd = nwd < 0 ? -1 : nwd;
        return r;
}

/* Watch the folder that <dev_dir>/xen-channel names now. A missing folder
 * is not an error: the watch on dev_dir will tell when it comes. */
static int arm_dir(struct xen_channel_monitor *mon)
{
        int r = watch_path(mon, mon->dir_path, DIR_MASK, &mon->wd_dir);

        if (r == -ENOENT || r == -ENOTDIR)
                return 0;
        if (r < 0)
                err(mon->ctx, "cannot watch %s: %s", mon->dir_path, strerror(-r));
        return r;
}

static int arm_dev(struct xen_channel_monitor *mon)
{
        int r = watch_path(mon, mon->ctx->dev_dir, DEV_MASK, &mon->wd_dev);

        if (r < 0)
                err(mon->ctx, "cannot watch %s: %s", mon->ctx->dev_dir, strerror(-r));
        else
                mon->recheck_dev = false;
        return r;
}

/* Set mon up on inotify fd (taken over). */
static int monitor_init(struct xen_channel_monitor *mon, struct xen_channel_ctx *ctx,
                        const char *name, int fd)
{
        int r;

        mon->ctx = ctx;
        mon->fd = fd;
        mon->wd_dev = mon->wd_dir = -1;
        if (asprintf(&mon->dir_path, "%s/%s", ctx->dev_dir, XC_LINK_DIR) < 0) {
                mon->dir_path = NULL;
                return -ENOMEM;
        }
        if (asprintf(&mon->link_path, "%s/%s", mon->dir_path, name) < 0) {
                mon->link_path = NULL;
                return -ENOMEM;
        }
        /* dev_dir first, then the folder: a folder created between the two
         * calls is either watched directly or reported on dev_dir. */
        r = arm_dev(mon);
        if (r < 0)
                return r;
        return arm_dir(mon);
}

XC_EXPORT int xen_channel_monitor_new(struct xen_channel_ctx *ctx, const char *name,
                                      struct xen_channel_monitor **ret)
{
        struct xen_channel_monitor *mon;
        int fd, r;

        if (!ret)
                return -EINVAL;
        r = check_name(ctx, name);
        if (r < 0)
                return r;
        fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                err(ctx, "inotify: %m");
                return r;
        }
        mon = calloc(1, sizeof(*mon));
        if (!mon) {
                close(fd);
                return -ENOMEM;
        }
        r = monitor_init(mon, xen_channel_ctx_ref(ctx), name, fd);
        mon->ctx_ref = true;
        if (r < 0) {
                xen_channel_monitor_free(mon);
                return r;
        }
        *ret = mon;
        return 0;
}

XC_EXPORT void xen_channel_monitor_free(struct xen_channel_monitor *mon)
{
        if (!mon)
                return;
        if (mon->fd >= 0)
                close(mon->fd);
        free(mon->dir_path);
        free(mon->link_path);
        if (mon->ctx_ref)
                xen_channel_ctx_unref(mon->ctx);
        free(mon);
}

XC_EXPORT int xen_channel_monitor_get_fd(const struct xen_channel_monitor *mon)
{
        return mon ? mon->fd : -EINVAL;
}

XC_EXPORT const char *xen_channel_monitor_get_path(const struct xen_channel_monitor *mon)
{
        return mon ? mon->link_path : NULL;
}

/* Read every pending event; forget the folder watch when it is gone. */
static int drain(struct xen_channel_monitor *mon)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        for (;;) {
                ssize_t len = read(mon->fd, buf, sizeof(buf));
                const struct inotify_event *ev;

                if (len < 0) {
                        if (errno == EAGAIN)
                                return 0;
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (char *p = buf; p < buf + len; p += sizeof(*ev) + ev->len) {
                        ev = (const struct inotify_event *)p;
                        if (ev->mask & IN_Q_OVERFLOW) {
                                dbg(mon->ctx, "inotify queue overflow; looking again");
                                mon->recheck_dev = true;
                        } else if (ev->mask & IN_IGNORED && ev->wd == mon->wd_dir) {
                                dbg(mon->ctx, "%s went away", mon->dir_path);
                                mon->wd_dir = -1;
                        } else if (ev->mask & (IN_IGNORED | IN_MOVE_SELF) &&
                                   ev->wd == mon->wd_dev) {
                                dbg(mon->ctx, "%s went away", mon->ctx->dev_dir);
                                if (ev->mask & IN_IGNORED)
                                        mon->wd_dev = -1;
                                mon->recheck_dev = true;
                        }
                }
        }
}

XC_EXPORT int xen_channel_monitor_process(struct xen_channel_monitor *mon)
{
        char target[PATH_MAX];
        ssize_t len;
        int r, state;

        if (!mon)
                return -EINVAL;
        r = drain(mon);
        if (r < 0)
                return r;
        if (mon->recheck_dev) {
                r = arm_dev(mon);
                if (r < 0)
                        return r;
        }
        r = arm_dir(mon);
        if (r < 0)
                return r;
        len = readlink(mon->link_path, target, sizeof(target) - 1);
        if (len < 0) {
                if (errno != ENOENT && errno != ENOTDIR && errno != EINVAL)
                        return -errno;
                /* EINVAL: something that is not a link. Not ours to open;
                 * treat it as absent rather than hand it to an agent. */
                mon->target[0] = '\0';
                return XEN_CHANNEL_ABSENT;
        }
        target[len] = '\0';
        state = XEN_CHANNEL_PRESENT;
        if (mon->target[0] && strcmp(mon->target, target) != 0)
                state = XEN_CHANNEL_REPLACED;
        memcpy(mon->target, target, (size_t)len + 1);
        return state;
}

static bool link_exists(struct xen_channel_ctx *ctx, const char *name)
{
        char path[PATH_MAX], target[8];

        if (xc_link_path(ctx, name, path, sizeof(path)) < 0)
                return false;
        return readlink(path, target, sizeof(target)) >= 0;
}

/* An inotify fd for the wait: the ctx's cached one, emptied, or a new one. */
static int wait_fd(struct xen_channel_ctx *ctx)
{
        char buf[4096];
        int fd = ctx->wait_fd;

        if (fd < 0) {
                fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
                return fd < 0 ? -errno : fd;
        }
        ctx->wait_fd = -1;
        while (read(fd, buf, sizeof(buf)) > 0)
                ; /* stale IN_IGNORED of the watches removed last time */
        return fd;
}

/* Remove the watches (cheap) and keep the fd for next time (closing it
 * would wait for an RCU grace period before we could return). */
static void wait_done(struct xen_channel_ctx *ctx, struct xen_channel_monitor *mon)
{
        if (ctx->wait_fd < 0 && mon->fd >= 0) {
                if (mon->wd_dev >= 0)
                        inotify_rm_watch(mon->fd, mon->wd_dev);
                if (mon->wd_dir >= 0)
                        inotify_rm_watch(mon->fd, mon->wd_dir);
                ctx->wait_fd = mon->fd;
                mon->fd = -1;
        }
        xen_channel_monitor_free(mon);
}

/* A monitor on the ctx's cached inotify fd; give it back with wait_done(). */
static int wait_start(struct xen_channel_ctx *ctx, const char *name,
                      struct xen_channel_monitor **ret)
{
        struct xen_channel_monitor *mon = calloc(1, sizeof(*mon));
        int r;

        if (!mon)
                return -ENOMEM;
        r = wait_fd(ctx);
        if (r >= 0)
                r = monitor_init(mon, ctx, name, r);
        else
                mon->fd = -1;
        if (r < 0) {
                wait_done(ctx, mon);
                return r;
        }
        *ret = mon;
        return 0;
}

int xc_wait_change(struct xen_channel_ctx *ctx, const char *name, int ms)
{
        struct xen_channel_monitor *mon;
        struct pollfd pfd = { .events = POLLIN };
        int r;

        r = wait_start(ctx, name, &mon);
        if (r < 0)
                return r;
        pfd.fd = mon->fd;
        r = poll(&pfd, 1, ms) < 0 ? -errno : 0;
        wait_done(ctx, mon);
        return r;
}

XC_EXPORT int xen_channel_wait(struct xen_channel_ctx *ctx, const char *name, int timeout_ms)
{
        struct xen_channel_monitor *mon;
        long long deadline = xc_deadline(timeout_ms);
        int r;

        r = check_name(ctx, name);
        if (r < 0)
                return r;
        /* Already there (the common case at boot): no inotify at all. */
        if (link_exists(ctx, name))
                return 0;
        r = wait_start(ctx, name, &mon);
        if (r < 0)
                return r;
        for (;;) {
                struct pollfd pfd = { .fd = mon->fd, .events = POLLIN };
                int left;

                r = xen_channel_monitor_process(mon);
                if (r != XEN_CHANNEL_ABSENT)
                        break;
                left = xc_ms_left(deadline, timeout_ms);
                if (left == 0) {
                        r = -ETIMEDOUT;
                        break;
                }
                if (poll(&pfd, 1, left) < 0) {
                        r = -errno;
                        break;
                }
        }
        if (r > 0)
                r = 0;
        if (r == -ETIMEDOUT)
                info(ctx, "%s did not appear within %d ms", mon->link_path, timeout_ms);
        wait_done(ctx, mon);
        return r;
}
