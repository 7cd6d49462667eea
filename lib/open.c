/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opening a channel: the agent's side of the link.
 *
 * A channel tty must be in raw mode before the first byte moves: in the
 * default cooked mode the line discipline echoes what the host sends straight
 * back to it, maps CR to NL, eats ^C/^S/^Q and holds input until a newline.
 * Every agent that opened /dev/hvcN by hand got at least one of those wrong.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "xc-private.h"

XC_EXPORT int xen_channel_make_raw(int fd)
{
        struct termios t, check;

        if (tcgetattr(fd, &t) < 0)
                return -errno;
        cfmakeraw(&t);
        /* cfmakeraw leaves software flow control on the output side and
         * parity checking alone; both would eat or alter bytes. */
        t.c_iflag &= ~(IXOFF | IXANY | INPCK | IMAXBEL | IUCLC);
        /* Ignore modem lines (an hvc has none) and make sure we receive. */
        t.c_cflag |= CLOCAL | CREAD;
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        while (tcsetattr(fd, TCSANOW, &t) < 0)
                if (errno != EINTR)
                        return -errno;
        /* tcsetattr succeeds when any of the changes took: check ours did. */
        if (tcgetattr(fd, &check) < 0)
                return -errno;
        if ((check.c_lflag & (ECHO | ICANON | ISIG | IEXTEN)) ||
            (check.c_iflag & (ICRNL | INLCR | IGNCR | IXON | ISTRIP)) ||
            (check.c_oflag & OPOST) || (check.c_cflag & CSIZE) != CS8)
                return -EIO;
        return 0;
}

/* The tty a channel link leads to: <dev_dir>/hvcN for a link "../hvcN".
 * Only links of that form (the form the helper makes, and the only one
 * xen_channel_list reports) are opened: the agent often runs as root and
 * opens O_RDWR, and opening an arbitrary file or device can have effects
 * (a serial line raises DTR, a tape rewinds). Opening <dev_dir>/hvcN rather
 * than the link itself also opens exactly what was checked, even when the
 * link is replaced meanwhile. */
static int link_tty(struct xen_channel_ctx *ctx, const char *name, char *tty, size_t size)
{
        char path[PATH_MAX], target[PATH_MAX];
        ssize_t len;
        int slot;

        if (xc_link_path(ctx, name, path, sizeof(path)) < 0)
                return -ENAMETOOLONG;
        len = readlink(path, target, sizeof(target) - 1);
        if (len < 0) {
                int r = errno == EINVAL ? -ENOTTY : -errno;

                if (r != -ENOENT) /* gone again: absent, not an error */
                        err(ctx, "cannot read the link %s: %s", path,
                            r == -ENOTTY ? "not a symlink" : strerror(-r));
                return r;
        }
        target[len] = '\0';
        slot = xc_link_target_channel(target);
        if (slot < 0) {
                err(ctx,
                    "%s points at %s, not at a channel tty ../hvc1..../hvc%d: not a "
                    "channel link, not opened",
                    path, target, XC_HVC_TTYS - 1);
                return -ENOTTY;
        }
        return xc_tty_path(ctx, slot, tty, size);
}

/* Open a channel's tty. Always O_NONBLOCK for the open itself so that a tty
 * waiting for carrier cannot hang us; the flag is dropped afterwards unless
 * the caller asked for it. */
static int open_tty(struct xen_channel_ctx *ctx, const char *path, unsigned flags)
{
        int fd, r;

        fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
                r = -errno;
                if (r == -ENOENT) {
                        err(ctx, "the channel link dangles: %s does not exist", path);
                        return -ENODEV;
                }
                if (r == -ENXIO)
                        r = -ENODEV;
                if (r == -ENODEV)
                        err(ctx, "%s: no console behind this tty", path);
                else
                        err(ctx, "cannot open %s: %s", path, strerror(-r));
                return r;
        }
        if (!isatty(fd)) {
                err(ctx, "%s is not a tty", path);
                close(fd);
                return -ENOTTY;
        }
        r = xen_channel_make_raw(fd);
        if (r < 0) {
                err(ctx, "cannot put %s in raw mode: %s", path, strerror(-r));
                close(fd);
                return r;
        }
        if (!(flags & XEN_CHANNEL_OPEN_NONBLOCK) &&
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        dbg(ctx, "opened %s as fd %d", path, fd);
        return fd;
}

XC_EXPORT int xen_channel_open(struct xen_channel_ctx *ctx, const char *name, int timeout_ms,
                               unsigned flags)
{
        char tty[PATH_MAX];
        int r;

        if (flags & ~(unsigned)XEN_CHANNEL_OPEN_NONBLOCK)
                return -EINVAL;
        r = xen_channel_wait(ctx, name, timeout_ms);
        if (r == -ETIMEDOUT && timeout_ms == 0)
                r = -ENOENT;
        if (r < 0)
                return r;
        r = link_tty(ctx, name, tty, sizeof(tty));
        if (r < 0)
                return r;
        return open_tty(ctx, tty, flags);
}

XC_EXPORT int xen_channel_reopen(struct xen_channel_ctx *ctx, const char *name, int *fd,
                                 int timeout_ms, unsigned flags)
{
        long long deadline = xc_deadline(timeout_ms);
        int backoff = 10, r;

        /* Checked before *fd is closed: a call that cannot work changes nothing. */
        if (!ctx || !name || !fd)
                return -EINVAL;
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
        for (;;) {
                int left = xc_ms_left(deadline, timeout_ms);

                r = xen_channel_open(ctx, name, left, flags);
                if (r >= 0) {
                        *fd = r;
                        return 0;
                }
                if (r == -ENOENT && timeout_ms > 0)
                        return -ETIMEDOUT;
                /* Only a console being re-created is worth another try. */
                if (r != -ENODEV || left == 0)
                        return r;
                if (left > 0 && backoff > left)
                        backoff = left;
                dbg(ctx, "%s: no console yet, retrying in %d ms", name, backoff);
                /* Wakes early when hvcN or the link is re-created. */
                r = xc_wait_change(ctx, name, backoff);
                if (r < 0)
                        return r;
                if (backoff < 1000)
                        backoff *= 2;
        }
}

XC_EXPORT int xen_channel_is_hangup(int fd)
{
        struct pollfd pfd = { .fd = fd, .events = 0 };

        /* poll() silently skips negative fds */
        if (fd < 0)
                return -EBADF;
        if (poll(&pfd, 1, 0) < 0)
                return -errno;
        if (pfd.revents & POLLNVAL)
                return -EBADF;
        return !!(pfd.revents & (POLLHUP | POLLERR));
}
