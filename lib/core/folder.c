/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opening the run, device and link folders: never through a symlink, made
 * 0755 on demand. A symlinked folder would let whoever owns its target
 * choose where the helper writes as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../xc-private.h"

static const char *folder_what(enum xc_object obj)
{
        switch (obj) {
        case XC_OBJ_RUN_DIR:
                return "run folder";
        case XC_OBJ_DEV_DIR:
                return "device folder";
        default:
                return "link folder";
        }
}

int xc_open_folder(struct xen_channel_ctx *ctx, int at_fd, const char *path,
                   enum xc_object obj, const char *shown, unsigned flags)
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
        if (r == -ELOOP || r == -ENOTDIR)
                return xc_fail(ctx, -ENOTDIR, obj, 0, shown,
                               "refusing %s: the %s is a symlink or not a folder", shown,
                               folder_what(obj));
        if (r == -ENOENT && (flags & XC_FOLDER_QUIET_ENOENT))
                return r;
        return xc_fail(ctx, r, obj, 0, shown, "cannot open the %s %s: %s", folder_what(obj),
                       shown, strerror(-r));
}
