/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Console testbeds: see consoles.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "consoles.h"

/* xen/include/public/io/xenbus.h numbers, xenbus_strstate() names. */
static const char *const state_names[] = {
        "Unknown", "Initialising", "InitWait",      "Initialised",  "Connected",
        "Closing", "Closed",       "Reconfiguring", "Reconfigured",
};
#define N_STATES ((int)(sizeof(state_names) / sizeof(state_names[0])))
#define STATE_CONNECTED 4
#define STATE_INITIALISING 1

const char *tb_state_name(int state)
{
        return state >= 0 && state < N_STATES ? state_names[state] : state_names[0];
}

static int parse_state(const char *s)
{
        char *end;
        long v;

        for (int i = 0; i < N_STATES; i++)
                if (strcasecmp(s, state_names[i]) == 0)
                        return i;
        errno = 0;
        v = strtol(s, &end, 10);
        if (end == s || *end || errno || v < 0 || v >= N_STATES)
                return -EINVAL;
        return (int)v;
}

struct tb_console tb_console_make(int devid, bool bound)
{
        return (struct tb_console){
                .devid = devid,
                .bound = bound,
                .state = bound ? STATE_CONNECTED : STATE_INITIALISING,
        };
}

int tb_console_parse(const char *spec, struct tb_console *c)
{
        struct tb_console r = { .bound = true, .state = -1 };
        char *copy = strdup(spec), *word, *save = NULL, *end;
        long devid;
        int ret = -EINVAL;

        if (!copy)
                return -ENOMEM;
        word = strtok_r(copy, ":", &save);
        if (!word)
                goto out;
        errno = 0;
        devid = strtol(word, &end, 10);
        if (end == word || *end || errno || devid < 0 || devid > 9999)
                goto out;
        r.devid = (int)devid;
        while ((word = strtok_r(NULL, ":", &save))) {
                if (strcmp(word, "bound") == 0)
                        r.bound = true;
                else if (strcmp(word, "unbound") == 0)
                        r.bound = false;
                else if (strncmp(word, "state=", 6) == 0 &&
                         (r.state = parse_state(word + 6)) >= 0)
                        continue;
                else
                        goto out;
        }
        if (r.state < 0)
                r.state = tb_console_make(r.devid, r.bound).state;
        *c = r;
        ret = 0;
out:
        free(copy);
        return ret;
}

void tb_console_describe(FILE *out, const struct tb_console *c)
{
        fprintf(out, "P: /devices/console-%d\n", c->devid);
        fprintf(out, "E: SUBSYSTEM=xen\n");
        if (c->bound)
                fprintf(out, "E: DRIVER=xenconsole\n");
        fprintf(out, "E: MODALIAS=xen:console\n");
        fprintf(out, "A: nodename=device/console/%d\n", c->devid);
        fprintf(out, "A: devtype=console\n");
        fprintf(out, "A: modalias=xen:console\n");
        fprintf(out, "A: state=%s\n", tb_state_name(c->state));
        if (c->bound)
                fprintf(out, "L: driver=../../bus/xen/drivers/xenconsole\n");
        fprintf(out, "\n");
}

/* ---- the sysfs tree ---- */

static int mkdir_p(const char *path)
{
        char buf[PATH_MAX];

        if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
                return -ENAMETOOLONG;
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        return mkdir(buf, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int write_text(const char *dir, const char *file, const char *text)
{
        char path[PATH_MAX];
        FILE *f;
        int r = 0;

        snprintf(path, sizeof(path), "%s/%s", dir, file);
        f = fopen(path, "we");
        if (!f)
                return -errno;
        if (fputs(text, f) < 0)
                r = -EIO;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        return r;
}

/* DIR/NAME -> TARGET, or no DIR/NAME at all when TARGET is NULL. */
static int set_link(const char *dir, const char *name, const char *target)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        if (target && symlink(target, path) < 0)
                return -errno;
        return 0;
}

int tb_console_write(const char *sys, const struct tb_console *c)
{
        char dev[PATH_MAX], bus[PATH_MAX], drv[PATH_MAX], name[32], text[128], target[64];
        int r;

        snprintf(dev, sizeof(dev), "%s/devices/console-%d", sys, c->devid);
        snprintf(bus, sizeof(bus), "%s/bus/xen/devices", sys);
        snprintf(drv, sizeof(drv), "%s/bus/xen/drivers/xenconsole", sys);
        snprintf(name, sizeof(name), "console-%d", c->devid);
        if ((r = mkdir_p(dev)) < 0 || (r = mkdir_p(bus)) < 0 || (r = mkdir_p(drv)) < 0)
                return r;

        snprintf(text, sizeof(text), "SUBSYSTEM=xen\n%sMODALIAS=xen:console\n",
                 c->bound ? "DRIVER=xenconsole\n" : "");
        if ((r = write_text(dev, "uevent", text)) < 0)
                return r;
        snprintf(text, sizeof(text), "device/console/%d\n", c->devid);
        if ((r = write_text(dev, "nodename", text)) < 0 ||
            (r = write_text(dev, "devtype", "console\n")) < 0 ||
            (r = write_text(dev, "modalias", "xen:console\n")) < 0)
                return r;
        snprintf(text, sizeof(text), "%s\n", tb_state_name(c->state));
        if ((r = write_text(dev, "state", text)) < 0)
                return r;

        if ((r = set_link(dev, "subsystem", "../../bus/xen")) < 0 ||
            (r = set_link(dev, "driver",
                          c->bound ? "../../bus/xen/drivers/xenconsole" : NULL)) < 0)
                return r;
        snprintf(target, sizeof(target), "../../../devices/%s", name);
        if ((r = set_link(bus, name, target)) < 0)
                return r;
        snprintf(target, sizeof(target), "../../../../devices/%s", name);
        return set_link(drv, name, c->bound ? target : NULL);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path) < 0 ? -errno : 0;
}

int tb_console_remove(const char *sys, int devid)
{
        char path[PATH_MAX];
        int r;

        snprintf(path, sizeof(path), "%s/bus/xen/devices/console-%d", sys, devid);
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        snprintf(path, sizeof(path), "%s/bus/xen/drivers/xenconsole/console-%d", sys, devid);
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        snprintf(path, sizeof(path), "%s/devices/console-%d", sys, devid);
        r = nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        if (r == -1)
                return errno == ENOENT ? 0 : -errno;
        return r;
}
