/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Listing the channels present, for tools: the links in
 * <dev_dir>/xen-channel that the helper could have made (a valid name,
 * pointing at ../hvcN), with the console devid from the run folder: the
 * names claims (devid, slot, name: exact) first, else the state map (devid,
 * slot). Both are read through rundir.c without the lock; anything wrong
 * with them only costs the devid.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/rundir.h"

struct devids {
        struct xc_map map;
        struct xc_claims claims;
};

/* One channel found, before the list is packed into one block. */
struct found {
        char name[XEN_CHANNEL_NAME_MAX + 1];
        int slot;
        int devid;
};

static void load_devids(struct xen_channel_ctx *ctx, struct devids *ids)
{
        int run_fd = xc_run_open_ro(ctx);

        xc_map_init(&ids->map);
        memset(&ids->claims, 0, sizeof(ids->claims));
        if (run_fd < 0)
                return;
        /* A file that cannot be read costs only the devids (recorded in the
         * ctx, not logged: the list itself is fine). */
        if (xc_claims_load(ctx, run_fd, &ids->claims) < 0 ||
            xc_state_load(ctx, run_fd, &ids->map) < 0)
                dbg(ctx, "%s; devids from it unknown", xc_last_error(ctx)->text);
        close(run_fd);
}

static int devid_of(const struct devids *ids, const char *name, int slot)
{
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++) {
                const struct xc_claim *c = &ids->claims.c[d];

                if (c->used && c->slot == slot && strcmp(c->name, name) == 0)
                        return d;
        }
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++)
                if (ids->map.slot[d] == slot)
                        return d;
        return -1;
}

/* Fill *f from one folder entry; 0 when it is not a channel link. */
static int entry_found(int dir_fd, const char *name, const struct devids *ids, struct found *f)
{
        size_t name_len = strnlen(name, XEN_CHANNEL_NAME_MAX + 1);
        char target[64];
        ssize_t len;

        if (xen_channel_name_check(name, name_len) != XEN_CHANNEL_NAME_OK)
                return 0;
        len = readlinkat(dir_fd, name, target, sizeof(target) - 1);
        if (len < 0)
                return 0; /* not a link, or gone meanwhile */
        target[len] = '\0';
        f->slot = xc_link_target_channel(target);
        if (f->slot < 0)
                return 0;
        memcpy(f->name, name, name_len + 1);
        f->devid = devid_of(ids, name, f->slot);
        return 1;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(((const struct found *)a)->name, ((const struct found *)b)->name);
}

/* The array and, behind it, the strings it points at: one free() for all. */
static struct xen_channel_info *pack(const struct found *v, size_t n)
{
        size_t size = n * sizeof(struct xen_channel_info);
        struct xen_channel_info *info;
        char *s;

        for (size_t i = 0; i < n; i++)
                size += strlen(v[i].name) + 1 + sizeof("hvc15");
        info = malloc(size);
        if (!info)
                return NULL;
        s = (char *)(info + n);
        for (size_t i = 0; i < n; i++) {
                info[i].name = s;
                s = stpcpy(s, v[i].name) + 1;
                info[i].tty = s;
                s += sprintf(s, "hvc%d", v[i].slot) + 1;
                info[i].devid = v[i].devid;
        }
        return info;
}

/* Every channel link in dir, sorted by name, into *found (malloc'd). */
static int scan(struct xen_channel_ctx *ctx, DIR *dir, struct found **found, size_t *n)
{
        struct found *v = NULL;
        size_t count = 0, cap = 0;
        struct devids ids;
        struct dirent *de;

        *found = NULL;
        load_devids(ctx, &ids);
        while ((de = readdir(dir))) {
                if (count == cap) {
                        size_t ncap = cap ? cap * 2 : 8;
                        struct found *nv = reallocarray(v, ncap, sizeof(*v));

                        if (!nv) {
                                free(v);
                                return -ENOMEM;
                        }
                        v = nv;
                        cap = ncap;
                }
                count += entry_found(dirfd(dir), de->d_name, &ids, &v[count]);
        }
        if (count > 0)
                qsort(v, count, sizeof(*v), by_name);
        *found = v;
        *n = count;
        return 0;
}

XC_EXPORT int xen_channel_list(struct xen_channel_ctx *ctx, struct xen_channel_info **list,
                               size_t *n)
{
        char path[PATH_MAX];
        struct found *found;
        size_t count;
        DIR *dir;
        int r;

        if (!ctx || !list || !n)
                return -EINVAL;
        *list = NULL;
        *n = 0;
        r = xc_link_dir_path(ctx, path, sizeof(path));
        if (r < 0)
                return r;
        dir = opendir(path);
        if (!dir) {
                r = errno == ENOENT ? 0 : -errno;
                if (r < 0)
                        err(ctx, "cannot read %s: %s", path, strerror(-r));
                return r;
        }
        r = scan(ctx, dir, &found, &count);
        closedir(dir);
        if (r < 0 || count == 0) {
                free(found);
                return r;
        }
        *list = pack(found, count);
        free(found);
        if (!*list)
                return -ENOMEM;
        *n = count;
        return 0;
}
