/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What `xen-channel status` shows: every console from xenstore and sysfs,
 * the slot worked out as the helper does, its link and its udev properties,
 * and one verdict each. Read only: no lock, nothing written, and nothing
 * here needs root. What a user may not read (xenstore through
 * /dev/xen/xenbus, the hvc ttys) stays unknown; the name then comes from
 * the helper's names file or from udev's database.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "links.h"

#define XEN_BUS_DEVICES "/sys/bus/xen/devices"

static const char *const verdict_ids[] = {
        [XC_VERDICT_OK] = "ok",
        [XC_VERDICT_BAD_DEVID] = "bad-devid",
        [XC_VERDICT_NO_DEVICE] = "no-device",
        [XC_VERDICT_NOT_PROBED] = "not-probed",
        [XC_VERDICT_PLAIN] = "plain-console",
        [XC_VERDICT_UNKNOWN] = "unknown",
        [XC_VERDICT_NAME_REJECTED] = "name-rejected",
        [XC_VERDICT_NAME_TAKEN] = "name-taken",
        [XC_VERDICT_BACKEND] = "backend-not-connected",
        [XC_VERDICT_NO_TTY] = "no-tty",
        [XC_VERDICT_LINK_BLOCKED] = "link-blocked",
        [XC_VERDICT_LINK_MISSING] = "link-missing",
        [XC_VERDICT_LINK_WRONG] = "link-wrong",
        [XC_VERDICT_UDEV_MISSING] = "udev-missing",
        [XC_VERDICT_ORPHAN] = "link-orphaned",
};

const char *xc_verdict_id(enum xc_verdict v)
{
        return v < sizeof(verdict_ids) / sizeof(verdict_ids[0]) ? verdict_ids[v] : "?";
}

/* The entry of devid, made on first use. NULL when out of memory. */
static struct xc_console_report *entry(struct xc_status *st, int devid)
{
        struct xc_console_report *c;

        for (size_t i = 0; i < st->n; i++)
                if (st->consoles[i].devid == devid)
                        return &st->consoles[i];
        c = realloc(st->consoles, (st->n + 1) * sizeof(*c));
        if (!c)
                return NULL;
        st->consoles = c;
        c = &c[st->n++];
        memset(c, 0, sizeof(*c));
        c->devid = devid;
        c->backend_state = c->fe_state = -1;
        c->slot = c->owner = -1;
        return c;
}

static int set_name(struct xc_console_report *c, const char *name, size_t len,
                    enum xc_name_source src)
{
        free(c->name);
        c->name = malloc(len + 1);
        if (!c->name)
                return -ENOMEM;
        memcpy(c->name, name, len);
        c->name[len] = '\0';
        c->name_len = len;
        c->name_source = src;
        c->name_verdict = xen_channel_name_check(name, len);
        return 0;
}

/* ---- xenstore ------------------------------------------------------------ */

static int from_xenstore(struct xen_channel_ctx *ctx, struct xc_status *st)
{
        struct xc_xs_console *list;
        size_t n;
        int r = xc_xs_list_consoles(ctx, &list, &n);

        st->xs_error = r;
        if (r < 0) {
                /* Unknown, not fatal; later calls may record other faults. */
                st->xs_fault = *xc_last_error(ctx);
                return 0;
        }
        for (size_t i = 0; i < n && r == 0; i++) {
                struct xc_console_report *c;

                if (list[i].devid < 0)
                        continue;
                c = entry(st, list[i].devid);
                if (!c) {
                        r = -ENOMEM;
                        break;
                }
                c->in_xenstore = true;
                c->name_known = list[i].name || list[i].name_err == ENOENT;
                if (list[i].name)
                        r = set_name(c, list[i].name, list[i].name_len, XC_NAME_XENSTORE);
                c->backend = list[i].backend;
                list[i].backend = NULL;
                c->backend_state = list[i].backend_state;
        }
        xc_xs_consoles_free(list, n);
        return r;
}

/* ---- sysfs and udev's database ------------------------------------------- */

/* The XEN_CHANNEL_* properties udev has for the device ("KEY=VALUE\n"...). */
static int udev_properties(struct udev_device *dev, struct xc_console_report *c)
{
        struct udev_list_entry *e;
        size_t len = 0;

        c->udev_known = true;
        udev_list_entry_foreach(e, udev_device_get_properties_list_entry(dev))
        {
                const char *k = udev_list_entry_get_name(e), *v = udev_list_entry_get_value(e);
                size_t add;
                char *p;

                if (strncmp(k, "XEN_CHANNEL_", 12) != 0 || !v)
                        continue;
                add = strlen(k) + strlen(v) + 2;
                p = realloc(c->udev, len + add + 1);
                if (!p)
                        return -ENOMEM;
                c->udev = p;
                snprintf(c->udev + len, add + 1, "%s=%s\n", k, v);
                len += add;
        }
        return 0;
}

static int from_sysfs(struct xen_channel_ctx *ctx, struct xc_status *st)
{
        struct udev *udev;
        struct dirent *de;
        DIR *dir;
        int r = 0;

        dir = opendir(XEN_BUS_DEVICES);
        if (!dir) {
                r = -errno;
                return r == -ENOENT
                               ? 0
                               : xc_fail(ctx, r, XC_OBJ_SYSFS, 0, XEN_BUS_DEVICES,
                                         "cannot list %s: %s", XEN_BUS_DEVICES, strerror(-r));
        }
        udev = udev_new();
        if (!udev) {
                closedir(dir);
                return -ENOMEM;
        }
        while (r == 0 && (de = readdir(dir))) {
                struct xc_console_report *c;
                struct udev_device *dev;
                const char *driver;
                int devid;

                if (strncmp(de->d_name, "console-", 8) != 0)
                        continue;
                devid = xc_parse_key_devid(de->d_name + 8);
                if (devid < 0)
                        continue;
                dev = udev_device_new_from_subsystem_sysname(udev, "xen", de->d_name);
                if (!dev)
                        continue; /* gone meanwhile */
                c = entry(st, devid);
                if (!c) {
                        udev_device_unref(dev);
                        r = -ENOMEM;
                        break;
                }
                c->in_sysfs = true;
                driver = udev_device_get_driver(dev);
                c->bound = driver && strcmp(driver, "xenconsole") == 0;
                c->fe_state = xc_xenbus_state(udev_device_get_sysattr_value(dev, "state"));
                r = udev_properties(dev, c);
                udev_device_unref(dev);
        }
        closedir(dir);
        udev_unref(udev);
        return r;
}

/* ---- the run folder: the mapping and the names ---------------------------- */

/* The slots as the helper would work them out now (without saving them),
 * from the consoles it counts (cons), and the names the helper recorded,
 * for a user who cannot read xenstore. */
static int from_run_folder(struct xen_channel_ctx *ctx, struct xc_status *st,
                           const struct xc_consoles *cons)
{
        struct xc_claims claims;
        struct xc_map map;
        int run_fd = xc_run_open_ro(ctx);
        int r = 0;

        xc_map_init(&map);
        memset(&claims, 0, sizeof(claims));
        if (run_fd >= 0) {
                xc_state_load(ctx, run_fd, &map);
                xc_claims_load(ctx, run_fd, &claims);
                close(run_fd);
        }
        /* As xc_state_update_locked does: a resume moved the saved slots. */
        xc_map_follow(ctx, -1, &map, xc_resume_ask(ctx, false));
        if (xc_map_update(&map, cons->holds) < 0)
                xc_map_init(&map); /* a corrupt map: the replay from scratch */
        for (size_t i = 0; i < st->n && r == 0; i++) {
                struct xc_console_report *c = &st->consoles[i];
                const struct xc_claim *cl;

                if (!xc_devid_valid(c->devid))
                        continue;
                c->slot = map.slot[c->devid];
                cl = &claims.c[c->devid];
                if (!c->name_known && cl->used) {
                        r = set_name(c, cl->name, strlen(cl->name), XC_NAME_RUN_FOLDER);
                        c->name_known = r == 0;
                }
        }
        return r;
}

/* A user without xenstore: the name udev stored, when nothing else said. */
static int name_from_udev(struct xc_console_report *c)
{
        const char *p = c->udev;
        int r;

        while (!c->name_known && p && *p) {
                const char *nl = strchr(p, '\n');

                if (strncmp(p, "XEN_CHANNEL_NAME=", 17) == 0) {
                        r = set_name(c, p + 17, (size_t)(nl - p - 17), XC_NAME_UDEV);
                        if (r < 0)
                                return r;
                        c->name_known = true;
                }
                p = nl + 1;
        }
        return 0;
}

/* ---- links ---------------------------------------------------------------- */

static void read_link(int link_fd, const char *name, struct xc_console_report *c)
{
        ssize_t n = link_fd < 0 ? -1 : readlinkat(link_fd, name, c->link, sizeof(c->link) - 1);

        c->has_link = n >= 0;
        c->link[n >= 0 ? n : 0] = '\0';
        /* EINVAL: there, but not a symlink; the helper never removes it. */
        c->link_blocked = link_fd >= 0 && n < 0 && errno == EINVAL;
}

/* Links to ../hvcN whose name no console carries. */
static int orphans(int link_fd, struct xc_status *st)
{
        struct dirent *de;
        DIR *dir;
        int fd;

        /* A console whose name is unknown may carry any of them. */
        for (size_t i = 0; i < st->n; i++)
                if (!st->consoles[i].name_known)
                        return 0;
        fd = link_fd < 0 ? -1 : dup(link_fd);

        if (fd < 0 || !(dir = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return 0;
        }
        while ((de = readdir(dir))) {
                struct xc_orphan *o;
                char target[64];
                bool carried = false;
                ssize_t n;

                if (xc_name_valid(de->d_name) < 0)
                        continue;
                n = readlinkat(link_fd, de->d_name, target, sizeof(target) - 1);
                if (n < 0)
                        continue;
                target[n] = '\0';
                if (xc_link_target_slot(target) < 0)
                        continue; /* not made by this project */
                for (size_t i = 0; i < st->n; i++)
                        carried |= st->consoles[i].name &&
                                   !strcmp(st->consoles[i].name, de->d_name);
                if (carried)
                        continue;
                o = realloc(st->orphans, (st->n_orphans + 1) * sizeof(*o));
                if (!o) {
                        closedir(dir);
                        return -ENOMEM;
                }
                st->orphans = o;
                o = &o[st->n_orphans++];
                /* valid names are at most XEN_CHANNEL_NAME_MAX bytes */
                memcpy(o->name, de->d_name, strlen(de->d_name) + 1);
                memcpy(o->link, target, (size_t)n + 1);
        }
        closedir(dir);
        return 0;
}

/* ---- verdicts ------------------------------------------------------------- */

/* The lowest devid holding a slot that carries c's (valid) name. */
static int owner_of(const struct xc_status *st, const struct xc_console_report *c)
{
        int owner = -1;

        for (size_t i = 0; i < st->n; i++) {
                const struct xc_console_report *o = &st->consoles[i];

                if (o->name && o->name_verdict == XEN_CHANNEL_NAME_OK && o->slot >= 0 &&
                    !strcmp(o->name, c->name) && (owner < 0 || o->devid < owner))
                        owner = o->devid;
        }
        return owner;
}

static enum xc_verdict judge(const struct xc_status *st, struct xc_console_report *c)
{
        char want[16];

        if (c->devid == 0 || c->devid > XC_DEVID_MAX)
                return XC_VERDICT_BAD_DEVID;
        if (!c->in_sysfs)
                return XC_VERDICT_NO_DEVICE;
        if (!c->bound)
                return XC_VERDICT_NOT_PROBED;
        if (!c->name_known)
                return XC_VERDICT_UNKNOWN;
        if (!c->name)
                return XC_VERDICT_PLAIN;
        if (c->name_verdict != XEN_CHANNEL_NAME_OK)
                return XC_VERDICT_NAME_REJECTED;
        if (c->slot < 0)
                return XC_VERDICT_BACKEND; /* bound, but its frontend closed */
        c->owner = owner_of(st, c);
        if (c->owner >= 0 && c->owner != c->devid)
                return XC_VERDICT_NAME_TAKEN;
        if (c->backend_state >= 0 && c->backend_state != XC_XENBUS_CONNECTED)
                return XC_VERDICT_BACKEND;
        if (c->slot >= XC_HVC_TTYS)
                return XC_VERDICT_NO_TTY;
        if (c->link_blocked)
                return XC_VERDICT_LINK_BLOCKED;
        if (!c->has_link)
                return XC_VERDICT_LINK_MISSING;
        snprintf(want, sizeof(want), "../hvc%d", c->slot);
        if (strcmp(c->link, want) != 0)
                return XC_VERDICT_LINK_WRONG;
        if (c->udev_known && !(c->udev && strstr(c->udev, "XEN_CHANNEL_NAME=")))
                return XC_VERDICT_UDEV_MISSING;
        return XC_VERDICT_OK;
}

static int by_devid(const void *a, const void *b)
{
        return ((const struct xc_console_report *)a)->devid -
               ((const struct xc_console_report *)b)->devid;
}

/* A failure of collect: recorded (memory is the one fault not recorded
 * where it happened), and nothing runs after it. */
static int collect_failed(struct xen_channel_ctx *ctx, struct xc_status *st, int r)
{
        xc_status_free(st);
        if (r == -ENOMEM)
                xc_fail(ctx, r, XC_OBJ_NONE, 0, NULL, "out of memory");
        return r;
}

int xc_status_collect(struct xen_channel_ctx *ctx, struct xc_status *st)
{
        struct xc_consoles cons;
        int link_fd, r;

        memset(st, 0, sizeof(*st));
        r = from_xenstore(ctx, st);
        if (r == 0)
                r = from_sysfs(ctx, st);
        if (r == 0)
                r = xc_consoles_scan(ctx, &cons);
        if (r == 0)
                r = from_run_folder(ctx, st, &cons);
        for (size_t i = 0; r == 0 && i < st->n; i++)
                r = name_from_udev(&st->consoles[i]);
        if (r < 0)
                return collect_failed(ctx, st, r);
        qsort(st->consoles, st->n, sizeof(st->consoles[0]), by_devid);
        link_fd = xc_link_dir_open(ctx, false);
        for (size_t i = 0; i < st->n; i++) {
                struct xc_console_report *c = &st->consoles[i];

                if (c->name && c->name_verdict == XEN_CHANNEL_NAME_OK)
                        read_link(link_fd, c->name, c);
        }
        for (size_t i = 0; i < st->n; i++)
                st->consoles[i].verdict = judge(st, &st->consoles[i]);
        r = orphans(link_fd, st);
        if (link_fd >= 0)
                close(link_fd);
        return r < 0 ? collect_failed(ctx, st, r) : 0;
}

void xc_status_free(struct xc_status *st)
{
        for (size_t i = 0; i < st->n; i++) {
                free(st->consoles[i].name);
                free(st->consoles[i].backend);
                free(st->consoles[i].udev);
        }
        free(st->consoles);
        free(st->orphans);
        memset(st, 0, sizeof(*st));
}
