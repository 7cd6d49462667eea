/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pty fixture of the agent tests: see pty-channel.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pty.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pty-channel.h"

int pty_channel_open(int *master, char *tty, int size)
{
        char path[PATH_MAX];
        int m, s;

        if (openpty(&m, &s, path, NULL, NULL) < 0)
                return -errno;
        close(s);
        if (fcntl(m, F_SETFD, FD_CLOEXEC) < 0 || snprintf(tty, size, "%s", path) >= size) {
                close(m);
                return -ENAMETOOLONG;
        }
        *master = m;
        return 0;
}

static int symlink_replace(const char *target, const char *path)
{
        char tmp[PATH_MAX];

        if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
                return -ENAMETOOLONG;
        (void)unlink(tmp);
        if (symlink(target, tmp) < 0 || rename(tmp, path) < 0)
                return -errno;
        return 0;
}

int pty_channel_point(const char *dev_dir, int slot, const char *target)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/hvc%d", dev_dir, slot);
        return symlink_replace(target, path);
}

int pty_channel_link(const char *dev_dir, const char *name, const char *target)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/xen-channel", dev_dir);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return -errno;
        snprintf(path, sizeof(path), "%s/xen-channel/%s", dev_dir, name);
        return symlink_replace(target, path);
}

int pty_channel_new(const char *dev_dir, int slot)
{
        char tty[PATH_MAX];
        int master, r;

        r = pty_channel_open(&master, tty, sizeof(tty));
        if (r < 0)
                return r;
        r = pty_channel_point(dev_dir, slot, tty);
        if (r < 0) {
                close(master);
                return r;
        }
        return master;
}

int pty_channel_hangup(const char *dev_dir, int slot, int master)
{
        if (master >= 0 && close(master) < 0)
                return -errno;
        return pty_channel_point(dev_dir, slot, PTY_CHANNEL_GONE);
}
