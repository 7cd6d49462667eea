/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fake-channel.h"
#include "pty-channel.h"

static void die(const char *what)
{
        perror(what);
        abort();
}

void fake_dev_init(struct fake_dev *d)
{
        snprintf(d->dev_dir, sizeof(d->dev_dir), "/tmp/xc-agent-XXXXXX");
        if (!mkdtemp(d->dev_dir))
                die("mkdtemp");
        snprintf(d->run_dir, sizeof(d->run_dir), "%s/run", d->dev_dir);
        if (mkdir(d->run_dir, 0755) < 0)
                die("mkdir run");
        if (xen_channel_ctx_new(&d->ctx) < 0 ||
            xen_channel_ctx_set_dev_dir(d->ctx, d->dev_dir) < 0 ||
            xen_channel_ctx_set_run_dir(d->ctx, d->run_dir) < 0)
                die("ctx");
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

void fake_dev_cleanup(struct fake_dev *d)
{
        nftw(d->dev_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        xen_channel_ctx_unref(d->ctx);
        d->ctx = NULL;
}

void fake_dev_mkdir(struct fake_dev *d)
{
        char path[128];

        snprintf(path, sizeof(path), "%s/xen-channel", d->dev_dir);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                die("mkdir xen-channel");
}

void fake_pty_open(struct fake_pty *p)
{
        errno = -pty_channel_open(&p->master, p->path, sizeof(p->path));
        if (errno)
                die("openpty");
        p->slave = -1;
}

void fake_pty_close(struct fake_pty *p)
{
        if (p->master >= 0)
                close(p->master);
        p->master = -1;
}

void fake_dev_hvc(struct fake_dev *d, int slot, const char *target)
{
        errno = -pty_channel_point(d->dev_dir, slot, target);
        if (errno)
                die("hvc link");
}

void fake_dev_link(struct fake_dev *d, const char *name, const char *target)
{
        errno = -pty_channel_link(d->dev_dir, name, target);
        if (errno)
                die(name);
}

void fake_dev_unlink(struct fake_dev *d, const char *name)
{
        char path[300];

        snprintf(path, sizeof(path), "%s/xen-channel/%s", d->dev_dir, name);
        if (unlink(path) < 0)
                die(path);
}

long long fake_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fake_dev_setup(void **state)
{
        static struct fake_dev d;

        fake_dev_init(&d);
        *state = &d;
        return 0;
}

int fake_dev_teardown(void **state)
{
        fake_dev_cleanup(*state);
        return 0;
}
