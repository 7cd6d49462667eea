/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which consoles hold an hvc slot: those bound to the xenconsole driver
 * (their probe ran) whose frontend is not Closing or Closed. When the
 * backend closes, xencons_backend_changed() runs hvc_remove(): the slot is
 * free, the device stays bound, its sysfs "state" reads Closing/Closed, and
 * no uevent is sent (shown on real Xen: tests/e2e s6).
 *
 * Read from sysfs directly: one readdir() of the xen bus, then for each
 * console one readlinkat() of its "driver" link and one read of its
 * "state". That is all libudev read for us too, and export runs at every
 * channel's uevent: not loading libudev is most of what the helper saves
 * against an empty program. umockdev redirects opendir(), readlinkat() and
 * open() under /sys, so the tests' testbeds work the same.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../xc-private.h"

#define XEN_BUS_DEVICES "/sys/bus/xen/devices"
#define XEN_CONSOLE_DRIVER "xenconsole"

/* The names of the xenbus states, as sysfs shows them (xenbus_strstate()),
 * by number (xen/io/xenbus.h). */
static const char *const xenbus_states[] = {
        "Unknown", "Initialising", "InitWait",      "Initialised",  "Connected",
        "Closing", "Closed",       "Reconfiguring", "Reconfigured",
};

bool xc_xen_bus_present(void)
{
        return access(XEN_BUS_DEVICES, F_OK) == 0;
}

int xc_xenbus_state(const char *text)
{
        size_t n;

        if (!text)
                return -1;
        n = strcspn(text, "\n");
        for (size_t i = 0; i < sizeof(xenbus_states) / sizeof(xenbus_states[0]); i++)
                if (strlen(xenbus_states[i]) == n && strncmp(text, xenbus_states[i], n) == 0)
                        return (int)i;
        return -1;
}

const char *xc_xenbus_state_name(int state)
{
        if (state < 0 || state >= (int)(sizeof(xenbus_states) / sizeof(xenbus_states[0])))
                return "unknown";
        return xenbus_states[state];
}

bool xc_frontend_closed(const char *state)
{
        int s = xc_xenbus_state(state);

        return s == XC_XENBUS_CLOSING || s == XC_XENBUS_CLOSED;
}

/* <bus>/<sysname>/<file> into path; false when it does not fit (not a name
 * the kernel gives). */
static bool console_path(char path[PATH_MAX], const char *sysname, const char *file)
{
        return snprintf(path, PATH_MAX, XEN_BUS_DEVICES "/%s/%s", sysname, file) < PATH_MAX;
}

/* 1: bound to xenconsole; 0: not (no driver link: unbound, or the device
 * went away meanwhile); else -errno. */
static int console_bound(const char *sysname)
{
        char path[PATH_MAX], target[PATH_MAX];
        const char *driver;
        ssize_t n;

        if (!console_path(path, sysname, "driver"))
                return 0;
        n = readlinkat(AT_FDCWD, path, target, sizeof(target) - 1);
        if (n < 0)
                return errno == ENOENT ? 0 : -errno;
        target[n] = '\0';
        driver = strrchr(target, '/');
        driver = driver ? driver + 1 : target;
        return strcmp(driver, XEN_CONSOLE_DRIVER) == 0;
}

/* 1: the frontend is Closing or Closed (it holds no slot); 0: not, or no
 * state file (the device went away meanwhile); else -errno. */
static int console_closed(const char *sysname)
{
        char path[PATH_MAX], state[32];
        ssize_t n;
        int fd;

        if (!console_path(path, sysname, "state"))
                return 0;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        n = read(fd, state, sizeof(state) - 1);
        if (n < 0)
                n = -errno;
        close(fd);
        if (n < 0)
                return (int)n;
        state[n] = '\0';
        return xc_frontend_closed(state);
}

/* 1: sysname holds a slot; 0: not; else a recorded fault. Never "not
 * bound" on a read error: one console missing from the set moves every
 * later console to a wrong hvc. */
static int console_holds_slot(struct xen_channel_ctx *ctx, const char *sysname)
{
        const char *what = "driver";
        int r = console_bound(sysname);

        if (r > 0) {
                what = "state";
                r = console_closed(sysname);
                if (r >= 0)
                        r = !r;
        }
        if (r < 0)
                return xc_fail(ctx, r, XC_OBJ_SYSFS, 0, XEN_BUS_DEVICES,
                               "cannot read the %s of %s: %s", what, sysname, strerror(-r));
        return r;
}

/*
 * The kernel (hvc_xen.c) takes the devid from the last character of the
 * nodename, so a bound console-11..19 was probed as devid 1..9, and
 * hvc_alloc() (hvc_console.c) gave it the slot that already holds that
 * devid's vtermno, else the first free one: it holds, or shares, the slot of
 * console-1..9. It is counted there (holds[]), and never linked itself.
 * Read from the source, not yet shown on real Xen.
 */
static void note_console(struct xen_channel_ctx *ctx, const char *sysname,
                         struct xc_consoles *cons)
{
        int devid = xc_parse_devid(sysname);

        if (devid == -ERANGE) {
                devid = sysname[strlen(sysname) - 1] - '0';
                if (devid < XC_DEVID_MIN || devid > XC_DEVID_MAX) {
                        warning(ctx,
                                "%s: the kernel probes it as devid 0, which it refuses; "
                                "ignored",
                                sysname);
                        return;
                }
                warning(ctx,
                        "%s is bound: the kernel probed it as devid %d, so it holds (or "
                        "shares) the hvc slot of console-%d; counted there, never linked",
                        sysname, devid, devid);
                cons->holds[devid] = true;
                return;
        }
        if (devid < XC_DEVID_MIN || devid > XC_DEVID_MAX)
                return;
        cons->bound[devid] = cons->holds[devid] = true;
}

int xc_consoles_scan(struct xen_channel_ctx *ctx, struct xc_consoles *cons)
{
        struct dirent *de;
        DIR *dir;
        int r = 0;

        memset(cons, 0, sizeof(*cons));
        dir = opendir(XEN_BUS_DEVICES);
        if (!dir) {
                if (errno == ENOENT)
                        return 0; /* no xen bus: no consoles */
                r = -errno;
                return xc_fail(ctx, r, XC_OBJ_SYSFS, 0, XEN_BUS_DEVICES, "cannot list %s: %s",
                               XEN_BUS_DEVICES, strerror(-r));
        }
        for (errno = 0; (de = readdir(dir)); errno = 0) {
                if (strncmp(de->d_name, "console-", 8) != 0)
                        continue;
                r = console_holds_slot(ctx, de->d_name);
                if (r < 0)
                        break;
                if (r)
                        note_console(ctx, de->d_name, cons);
                r = 0;
        }
        if (r == 0 && errno)
                r = xc_fail(ctx, -errno, XC_OBJ_SYSFS, 0, XEN_BUS_DEVICES,
                            "cannot list %s: %s", XEN_BUS_DEVICES, strerror(errno));
        closedir(dir);
        return r;
}

int xc_bound_consoles(struct xen_channel_ctx *ctx, bool bound[XC_DEVID_MAX + 1])
{
        struct xc_consoles cons;
        int r = xc_consoles_scan(ctx, &cons);

        memcpy(bound, cons.bound, sizeof(cons.bound));
        return r;
}
