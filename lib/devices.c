/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which consoles are bound to the xenconsole driver, read through libudev so
 * that tests can replace /sys with umockdev. A bound console is one whose
 * probe ran: only those hold an hvc slot.
 */
#include <errno.h>
#include <libudev.h>
#include <string.h>

#include "xen-channel-private.h"

static void note_device(struct xen_channel_ctx *ctx, struct udev_device *dev,
                        bool bound[XEN_CHANNEL_DEVID_MAX + 1])
{
        const char *sysname = udev_device_get_sysname(dev);
        const char *driver = udev_device_get_driver(dev);
        int devid;

        if (!sysname || !driver || strcmp(driver, "xenconsole") != 0)
                return;
        devid = xen_channel_parse_devid(sysname);
        if (devid == -ERANGE) {
                warning(ctx, "%s: devid outside %d..%d, the kernel cannot probe it; ignored",
                        sysname, XEN_CHANNEL_DEVID_MIN, XEN_CHANNEL_DEVID_MAX);
                return;
        }
        if (devid < XEN_CHANNEL_DEVID_MIN || devid > XEN_CHANNEL_DEVID_MAX)
                return;
        bound[devid] = true;
}

XC_EXPORT int xen_channel_bound_consoles(struct xen_channel_ctx *ctx,
                                         bool bound[XEN_CHANNEL_DEVID_MAX + 1])
{
        struct udev *udev;
        struct udev_enumerate *en = NULL;
        struct udev_list_entry *entry;
        int r;

        memset(bound, 0, sizeof(bool) * (XEN_CHANNEL_DEVID_MAX + 1));
        udev = udev_new();
        if (!udev)
                return -ENOMEM;
        en = udev_enumerate_new(udev);
        if (!en) {
                r = -ENOMEM;
                goto out;
        }
        r = udev_enumerate_add_match_subsystem(en, "xen");
        if (r >= 0)
                r = udev_enumerate_add_match_sysname(en, "console-*");
        if (r >= 0)
                r = udev_enumerate_scan_devices(en);
        if (r < 0) {
                err(ctx, "cannot enumerate xen consoles: %s", strerror(-r));
                goto out;
        }
        udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(en)) {
                const char *syspath = udev_list_entry_get_name(entry);
                struct udev_device *dev = udev_device_new_from_syspath(udev, syspath);

                if (!dev)
                        continue;       /* vanished meanwhile: not bound */
                note_device(ctx, dev, bound);
                udev_device_unref(dev);
        }
        r = 0;
out:
        udev_enumerate_unref(en);
        udev_unref(udev);
        return r;
}
