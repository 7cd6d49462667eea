/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Listing the channels present, for tools: the links in
 * <dev_dir>/xen-channel that this library could have made (a valid name,
 * pointing at ../hvcN), with the console devid from the run folder: the
 * "names" claims (devid, slot, name: exact) first, else the "state" map
 * (devid, slot). Both files are replaced by rename, so reading them without
 * the lock sees whole files; anything wrong with them only costs the devid.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state-internal.h"

struct devids {
        struct xen_channel_map map;
        struct xc_claims claims;
};

static void load_devids(struct xen_channel_ctx *ctx, struct devids *ids)
{
        char *text = NULL;
        size_t len = 0;
        int run_fd;

        xen_channel_map_init(&ids->map);
        memset(&ids->claims, 0, sizeof(ids->claims));
        run_fd = open(ctx->run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (run_fd < 0)
                return;
        (void)xc_claims_load(ctx, run_fd, &ids->claims);
        if (xc_run_read(ctx, run_fd, XC_STATE_FILE, &text, &len) == 0 &&
            xen_channel_map_parse(&ids->map, text, len) < 0) {
                dbg(ctx, "%s/%s is unreadable; devids from it unknown", ctx->run_dir,
                    XC_STATE_FILE);
                xen_channel_map_init(&ids->map);
        }
        free(text);
        close(run_fd);
}

static int devid_of(const struct devids *ids, const char *name, int slot)
{
        for (int d = XEN_CHANNEL_DEVID_MIN; d <= XEN_CHANNEL_DEVID_MAX; d++) {
                const struct xc_claim *c = &ids->claims.c[d];

                if (c->used && c->slot == slot && strcmp(c->name, name) == 0)
                        return d;
        }
        for (int d = XEN_CHANNEL_DEVID_MIN; d <= XEN_CHANNEL_DEVID_MAX; d++)
                if (ids->map.slot[d] == slot)
                        return d;
        return -1;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(((const struct xen_channel_info *)a)->name,
                      ((const struct xen_channel_info *)b)->name);
}

/* Fill *info from one folder entry; 0 when it is not a channel link. */
static int entry_info(int dir_fd, const char *name, const struct devids *ids,
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
        slot = xc_link_target_slot(target);
        if (slot < 0)
                return 0;
        memset(info, 0, sizeof(*info));
        memcpy(info->name, name, name_len + 1);
        snprintf(info->tty, sizeof(info->tty), "hvc%d", slot);
        info->devid = devid_of(ids, name, slot);
        return 1;
}

XC_EXPORT int xen_channel_list(struct xen_channel_ctx *ctx, struct xen_channel_info **list,
                               size_t *n)
{
        struct xen_channel_info *v = NULL;
        struct devids ids;
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
        load_devids(ctx, &ids);
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
                count += entry_info(dirfd(dir), de->d_name, &ids, &v[count]);
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
