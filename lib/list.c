/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Listing the channels present, for tools: the links in
 * <dev_dir>/xen-channel that this library could have made (a valid name,
 * pointing at ../hvcN), with the console devid from the run folder state.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-channel-private.h"

#define STATE_FILE "state"
#define STATE_MAX 65536

/* "../hvcN" -> N, or -1 for any other target. */
static int parse_target(const char *t)
{
        const char *p = t + strlen("../hvc");
        int n = 0;

        if (strncmp(t, "../hvc", 6) != 0 || !*p || (*p == '0' && p[1]))
                return -1;
        for (; *p; p++) {
                if (*p < '0' || *p > '9' || n > 1000)
                        return -1;
                n = n * 10 + (*p - '0');
        }
        return n;
}

/* The state is written by rename, so an unlocked read sees a whole file.
 * Anything wrong with it only costs the devid column. */
static void load_map(struct xen_channel_ctx *ctx, struct xen_channel_map *map)
{
        char *path, buf[STATE_MAX];
        ssize_t len = -1;
        int fd;

        xen_channel_map_init(map);
        if (asprintf(&path, "%s/%s", ctx->run_dir, STATE_FILE) < 0)
                return;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
                len = read(fd, buf, sizeof(buf));
                close(fd);
        }
        if (len >= 0 && xen_channel_map_parse(map, buf, (size_t)len) < 0) {
                dbg(ctx, "%s is unreadable; devids unknown", path);
                xen_channel_map_init(map);
        }
        free(path);
}

static int devid_of_slot(const struct xen_channel_map *map, int slot)
{
        for (int d = XEN_CHANNEL_DEVID_MIN; d <= XEN_CHANNEL_DEVID_MAX; d++)
                if (map->slot[d] == slot)
                        return d;
        return -1;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(((const struct xen_channel_info *)a)->name,
                      ((const struct xen_channel_info *)b)->name);
}

/* Fill *info from one folder entry; 0 when it is not a channel link. */
static int entry_info(int dir_fd, const char *name, const struct xen_channel_map *map,
                      struct xen_channel_info *info)
{
        char target[64];
        ssize_t len;
        int slot;

        size_t name_len = strlen(name);

        if (name_len > XEN_CHANNEL_NAME_MAX || xen_channel_name_valid(name) < 0)
                return 0;
        len = readlinkat(dir_fd, name, target, sizeof(target) - 1);
        if (len < 0)
                return 0;       /* not a link, or gone meanwhile */
        target[len] = '\0';
        slot = parse_target(target);
        if (slot < 0)
                return 0;
        memset(info, 0, sizeof(*info));
        memcpy(info->name, name, name_len + 1);
        snprintf(info->tty, sizeof(info->tty), "hvc%d", slot);
        info->devid = devid_of_slot(map, slot);
        return 1;
}

XC_EXPORT int xen_channel_list(struct xen_channel_ctx *ctx, struct xen_channel_info **list,
                               size_t *n)
{
        struct xen_channel_info *v = NULL;
        struct xen_channel_map map;
        size_t count = 0, cap = 0;
        struct dirent *de;
        char *path;
        DIR *dir;

        *list = NULL;
        *n = 0;
        if (asprintf(&path, "%s/%s", ctx->dev_dir, XC_LINK_DIR) < 0)
                return -ENOMEM;
        dir = opendir(path);
        if (!dir) {
                int r = errno == ENOENT ? 0 : -errno;

                if (r < 0)
                        err(ctx, "cannot read %s: %s", path, strerror(-r));
                free(path);
                return r;
        }
        free(path);
        load_map(ctx, &map);
        while ((de = readdir(dir))) {
                if (count == cap) {
                        size_t ncap = cap ? cap * 2 : 8;
                        struct xen_channel_info *nv = reallocarray(v, ncap, sizeof(*v));

                        if (!nv) {
                                free(v);
                                closedir(dir);
                                return -ENOMEM;
                        }
                        v = nv;
                        cap = ncap;
                }
                count += entry_info(dirfd(dir), de->d_name, &map, &v[count]);
        }
        closedir(dir);
        if (count == 0) {
                free(v);
                return 0;
        }
        qsort(v, count, sizeof(*v), by_name);
        *list = v;
        *n = count;
        return 0;
}
