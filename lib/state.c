/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The run folder: its lock and the saved hvc mapping.
 *
 * The kernel does not tell which hvc slot a console got, so the mapping is
 * replayed here (xen_channel_map_update) and saved between events: a runtime
 * unbind/bind sequence only comes out right if the slots of the consoles
 * still bound are remembered. Every change happens under an flock() on
 * <run_dir>/lock; the wait for it is bounded by the context timeout so that a
 * stuck helper cannot hang udev.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state-internal.h"

#define RUN_FILE_MAX 65536

int xc_open_folder(struct xen_channel_ctx *ctx, int at_fd, const char *path,
                   const char *what, const char *shown, unsigned flags)
{
        const int oflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        bool created = false;
        int fd, r;

        fd = openat(at_fd, path, oflags);
        if (fd < 0 && errno == ENOENT && (flags & XC_FOLDER_CREATE)) {
                if (mkdirat(at_fd, path, 0755) == 0)
                        created = true;
                else if (errno != EEXIST)
                        goto fail;
                fd = openat(at_fd, path, oflags);
        }
        if (fd < 0)
                goto fail;
        /* mkdir() obeys the umask; the folder must be readable by agents. */
        if (created)
                (void)fchmod(fd, 0755);
        return fd;
fail:
        r = -errno;
        if (r == -ELOOP || r == -ENOTDIR) {
                err(ctx, "%s %s is a symlink or not a folder; refusing it", what, shown);
                return -ENOTDIR;
        }
        if (r != -ENOENT || !(flags & XC_FOLDER_QUIET_ENOENT))
                err(ctx, "cannot open %s %s: %s", what, shown, strerror(-r));
        return r;
}

static int open_run_dir(struct xen_channel_ctx *ctx)
{
        return xc_open_folder(ctx, AT_FDCWD, ctx->run_dir, "run folder", ctx->run_dir,
                              XC_FOLDER_CREATE);
}

/* Retry a non-blocking flock() with a short back-off up to the deadline:
 * flock() itself has no timeout and signals are not ours to use. */
static int lock_bounded(struct xen_channel_ctx *ctx, int fd)
{
        long long deadline = xc_deadline(ctx->timeout_ms);
        long wait_us = 1000;

        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return 0;
                if (errno == EINTR)
                        continue;
                if (errno != EWOULDBLOCK)
                        return -errno;
                if (xc_ms_left(deadline, ctx->timeout_ms) == 0)
                        return -EBUSY;
                usleep(wait_us);
                if (wait_us < 20000)
                        wait_us *= 2;
        }
}

int xc_lock_take(struct xen_channel_ctx *ctx, struct xc_lock *lock)
{
        int r;

        lock->run_fd = lock->lock_fd = -1;
        r = open_run_dir(ctx);
        if (r < 0)
                return r;
        lock->run_fd = r;
        lock->lock_fd = openat(lock->run_fd, XC_LOCK_FILE,
                               O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (lock->lock_fd < 0) {
                r = -errno;
                err(ctx, "cannot open %s/%s: %s", ctx->run_dir, XC_LOCK_FILE, strerror(-r));
                goto fail;
        }
        r = lock_bounded(ctx, lock->lock_fd);
        if (r == -EBUSY)
                err(ctx, "%s/%s held by another process for more than %d ms; giving up",
                    ctx->run_dir, XC_LOCK_FILE, ctx->timeout_ms);
        else if (r < 0)
                err(ctx, "cannot lock %s/%s: %s", ctx->run_dir, XC_LOCK_FILE, strerror(-r));
        if (r < 0)
                goto fail;
        return 0;
fail:
        xc_lock_release(lock);
        return r;
}

void xc_lock_release(struct xc_lock *lock)
{
        /* Closing the last fd of the open file description drops the flock. */
        if (lock->lock_fd >= 0)
                close(lock->lock_fd);
        if (lock->run_fd >= 0)
                close(lock->run_fd);
        lock->run_fd = lock->lock_fd = -1;
}

int xc_run_read(struct xen_channel_ctx *ctx, int run_fd, const char *file,
                char **text, size_t *len)
{
        struct stat st;
        char *buf = NULL;
        size_t n = 0;
        int fd, r;

        fd = openat(run_fd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > RUN_FILE_MAX) {
                r = -EINVAL;
                goto out;
        }
        buf = malloc((size_t)st.st_size + 1);
        if (!buf) {
                r = -ENOMEM;
                goto out;
        }
        while (n < (size_t)st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        goto out;
                }
                if (k == 0)
                        break;
                n += (size_t)k;
        }
        buf[n] = '\0';
        *text = buf;
        *len = n;
        buf = NULL;
        r = 0;
out:
        free(buf);
        close(fd);
        return r;
}

static int write_all(int fd, const char *text, size_t len)
{
        while (len > 0) {
                ssize_t k = write(fd, text, len);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                text += k;
                len -= (size_t)k;
        }
        return 0;
}

int xc_run_write(struct xen_channel_ctx *ctx, int run_fd, const char *file,
                 const char *text, size_t len)
{
        char tmp[64];
        int fd, r;

        snprintf(tmp, sizeof(tmp), "%s.tmp", file);
        /* Only lock holders write, so one fixed temp name is enough; a
         * leftover (or planted symlink) is removed, never followed. */
        (void)unlinkat(run_fd, tmp, 0);
        fd = openat(run_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
                r = -errno;
                goto fail;
        }
        r = write_all(fd, text, len);
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(run_fd, tmp, run_fd, file) < 0)
                r = -errno;
        if (r == 0)
                return 0;
        (void)unlinkat(run_fd, tmp, 0);
fail:
        err(ctx, "cannot write %s/%s: %s", ctx->run_dir, file, strerror(-r));
        return r;
}

static void state_load(struct xen_channel_ctx *ctx, int run_fd, struct xen_channel_map *map)
{
        char *text = NULL;
        size_t len = 0;
        int r;

        xen_channel_map_init(map);
        r = xc_run_read(ctx, run_fd, XC_STATE_FILE, &text, &len);
        if (r == -ENOENT)
                return;
        if (r == 0)
                r = xen_channel_map_parse(map, text, len);
        free(text);
        if (r < 0) {
                /* Not fatal: replaying the probe order from the bound set is
                 * right at boot and the best guess afterwards. */
                warning(ctx, "%s/%s is unreadable or corrupt (%s); rebuilding it",
                        ctx->run_dir, XC_STATE_FILE, strerror(-r));
                xen_channel_map_init(map);
        }
}

static int state_save(struct xen_channel_ctx *ctx, int run_fd, const struct xen_channel_map *map)
{
        char buf[512];
        int n = xen_channel_map_format(map, buf, sizeof(buf));

        if (n < 0)
                return n;
        if ((size_t)n >= sizeof(buf))
                return -ENOBUFS;
        return xc_run_write(ctx, run_fd, XC_STATE_FILE, buf, (size_t)n);
}

int xc_state_update_locked(struct xen_channel_ctx *ctx, int run_fd,
                           const bool bound[XEN_CHANNEL_DEVID_MAX + 1],
                           struct xen_channel_map *map)
{
        struct xen_channel_map old;
        int r;

        state_load(ctx, run_fd, map);
        old = *map;
        r = xen_channel_map_update(map, bound);
        if (r < 0)
                return r;
        if (memcmp(&old, map, sizeof(old)) == 0 &&
            faccessat(run_fd, XC_STATE_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return 0;
        return state_save(ctx, run_fd, map);
}

XC_EXPORT int xen_channel_resolve_tty(struct xen_channel_ctx *ctx, int devid)
{
        bool bound[XEN_CHANNEL_DEVID_MAX + 1];
        struct xen_channel_map map;
        struct xc_lock lock;
        int r, slot;

        if (!xc_devid_valid(devid))
                return -EINVAL;
        /* Enumerate before locking: keep the lock short. */
        r = xen_channel_bound_consoles(ctx, bound);
        if (r < 0)
                return r;
        r = xc_lock_take(ctx, &lock);
        if (r < 0)
                return r;
        r = xc_state_update_locked(ctx, lock.run_fd, bound, &map);
        xc_lock_release(&lock);
        if (r < 0)
                return r;
        slot = map.slot[devid];
        if (!bound[devid] || slot < 0) {
                info(ctx, "console-%d is not bound to xenconsole: it has no tty", devid);
                return -ENODEV;
        }
        if (slot >= XEN_CHANNEL_HVC_TTYS) {
                warning(ctx, "console-%d holds hvc slot %d, which has no tty node (only 0..%d)",
                        devid, slot, XEN_CHANNEL_HVC_TTYS - 1);
                return -ENXIO;
        }
        dbg(ctx, "console-%d is hvc%d", devid, slot);
        return slot;
}

XC_EXPORT int xen_channel_forget(struct xen_channel_ctx *ctx, int devid)
{
        struct xen_channel_map map;
        struct xc_lock lock;
        int r;

        if (!xc_devid_valid(devid))
                return -EINVAL;
        r = xc_lock_take(ctx, &lock);
        if (r < 0)
                return r;
        state_load(ctx, lock.run_fd, &map);
        if (map.slot[devid] >= 0) {
                map.slot[devid] = -1;
                r = state_save(ctx, lock.run_fd, &map);
        }
        xc_lock_release(&lock);
        return r;
}
