/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testbed.h"

static const char *tb_root(void)
{
        const char *d = getenv("UMOCKDEV_DIR");

        if (!d) {
                fprintf(stderr, "not running under umockdev-run\n");
                abort();
        }
        return d;
}

static void must(int ok, const char *what, const char *path)
{
        if (!ok) {
                fprintf(stderr, "testbed: %s %s: %s\n", what, path, strerror(errno));
                abort();
        }
}

/* <testbed>/sys */
static const char *tb_sys(void)
{
        static char sys[4096];

        snprintf(sys, sizeof(sys), "%s/sys", tb_root());
        return sys;
}

void tb_console_set(const struct tb_console *c)
{
        int r = tb_console_write(tb_sys(), c);

        errno = -r;
        must(r == 0, "write console in", tb_sys());
}

void tb_console_add(int n, bool bound)
{
        struct tb_console c = tb_console_make(n, bound);

        tb_console_set(&c);
}

/* Binding rewrites the whole console: the same files, the driver link and
 * DRIVER= changed. */
void tb_console_bind(int n, bool bound)
{
        tb_console_add(n, bound);
}

void tb_console_del(int n)
{
        int r = tb_console_remove(tb_sys(), n);

        errno = -r;
        must(r == 0, "remove console from", tb_sys());
}

void tb_reset(void)
{
        for (int n = 0; n < 20; n++)
                tb_console_del(n);
}

const char *tb_scratch_new(void)
{
        static char dir[256];
        char dev[300];

        snprintf(dir, sizeof(dir), "/tmp/xc-component.XXXXXX");
        must(mkdtemp(dir) != NULL, "mkdtemp", dir);
        snprintf(dev, sizeof(dev), "%s/dev", dir);
        must(mkdir(dev, 0755) == 0, "mkdir", dev);
        return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

void tb_rm_rf(const char *path)
{
        (void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int tree_count;

static int count_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        tree_count++;
        return 0;
}

int tb_count_tree(const char *path)
{
        tree_count = 0;
        (void)nftw(path, count_one, 16, FTW_PHYS);
        return tree_count;
}

const char *tb_readlink(const char *path)
{
        static char buf[4096];
        ssize_t n = readlink(path, buf, sizeof(buf) - 1);

        if (n < 0)
                return NULL;
        buf[n] = '\0';
        return buf;
}
