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

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");

        must(f != NULL, "fopen", path);
        fputs(text, f);
        fclose(f);
}

/* <testbed>/sys/devices/console-N<rest> */
static void dev_path(char *buf, size_t size, int n, const char *rest)
{
        snprintf(buf, size, "%s/sys/devices/console-%d%s", tb_root(), n, rest);
}

void tb_console_bind(int n, bool bound)
{
        char path[4096], text[256];

        dev_path(path, sizeof(path), n, "/driver");
        (void)unlink(path);
        if (bound)
                must(symlink("../../bus/xen/drivers/xenconsole", path) == 0, "symlink", path);
        dev_path(path, sizeof(path), n, "/uevent");
        snprintf(text, sizeof(text), "SUBSYSTEM=xen\n%sMODALIAS=xen:console\n",
                 bound ? "DRIVER=xenconsole\n" : "");
        write_file(path, text);
}

void tb_console_add(int n, bool bound)
{
        char path[4096], text[64];

        snprintf(path, sizeof(path), "%s/sys/bus/xen/drivers/xenconsole", tb_root());
        {
                char cmd[4200];

                snprintf(cmd, sizeof(cmd), "mkdir -p '%s' '%s/sys/devices' '%s/sys/bus/xen/devices'", path, tb_root(), tb_root());
                must(system(cmd) == 0, "mkdir -p", path);
        }
        dev_path(path, sizeof(path), n, "");
        must(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir", path);
        dev_path(path, sizeof(path), n, "/subsystem");
        (void)unlink(path);
        must(symlink("../../bus/xen", path) == 0, "symlink", path);
        dev_path(path, sizeof(path), n, "/nodename");
        snprintf(text, sizeof(text), "device/console/%d\n", n);
        write_file(path, text);
        dev_path(path, sizeof(path), n, "/devtype");
        write_file(path, "console\n");
        snprintf(path, sizeof(path), "%s/sys/bus/xen/devices/console-%d", tb_root(), n);
        (void)unlink(path);
        {
                char target[64];

                snprintf(target, sizeof(target), "../../../devices/console-%d", n);
                must(symlink(target, path) == 0, "symlink", path);
        }
        tb_console_bind(n, bound);
}

void tb_console_del(int n)
{
        char path[4096];

        snprintf(path, sizeof(path), "%s/sys/bus/xen/devices/console-%d", tb_root(), n);
        (void)unlink(path);
        dev_path(path, sizeof(path), n, "");
        tb_rm_rf(path);
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
