/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * export, link, unlink and sync: thin wrappers over libxenchannel that turn
 * its errors into one clear log line and an exit code.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "escape.h"
#include "log.h"

/* A rejected name is logged escaped and cut to this many bytes. */
#define LOG_NAME_MAX 200

/* The folder of the links below the device folder (see libxenchannel.h). */
#define XC_LINK_DIR_NAME "xen-channel"

/* Validate a name that came from outside (xenstore or the environment). */
static bool name_acceptable(int devid, const char *name, size_t len)
{
        enum xen_channel_name_verdict v = xen_channel_name_check(name, len);
        char shown[LOG_NAME_MAX];

        if (v == XEN_CHANNEL_NAME_OK)
                return true;
        log_err("console-%d: rejected channel name \"%s\": %s", devid,
                escape_for_log(name, len, shown, sizeof(shown)),
                xen_channel_name_verdict_str(v));
        return false;
}

static int xenstore_failed(struct xen_channel_ctx *ctx, int devid, int r)
{
        switch (r) {
        case -ENOMEM:
                log_err("console-%d: out of memory", devid);
                return EXIT_FAILED;
        case -ETIMEDOUT:
                log_err("console-%d: xenstore did not answer within %d ms "
                        "(reading device/console/%d/name); is xenstored running?",
                        devid, xen_channel_ctx_get_timeout_ms(ctx), devid);
                break;
        case -EHOSTDOWN:
                log_err("console-%d: cannot connect to xenstore "
                        "(no xenstored socket, no /dev/xen/xenbus): not a Xen guest?", devid);
                break;
        case -EACCES:
        case -EPERM:
                log_err("console-%d: xenstore refused to read device/console/%d/name: %s",
                        devid, devid, strerror(-r));
                break;
        case -EIO:
                log_err("console-%d: xenstore sent a malformed reply or hung up "
                        "(reading device/console/%d/name)", devid, devid);
                break;
        default:
                log_err("console-%d: reading device/console/%d/name from xenstore failed: %s",
                        devid, devid, strerror(-r));
                break;
        }
        return EXIT_XENSTORE;
}

/*
 * The library answers -ENOTDIR for the run folder and for the device folder
 * or its xen-channel folder alike. Only to name the right one in the log
 * line, look which of them is not a plain folder (nothing is acted upon).
 */
static const char *unsafe_folder(const struct xen_channel_ctx *ctx, char *buf, size_t size)
{
        const char *run = xen_channel_ctx_get_run_dir(ctx);
        const char *dev = xen_channel_ctx_get_dev_dir(ctx);
        struct stat st;

        if (lstat(run, &st) == 0 && !S_ISDIR(st.st_mode))
                return run;
        if (lstat(dev, &st) == 0 && !S_ISDIR(st.st_mode))
                return dev;
        snprintf(buf, size, "%s/" XC_LINK_DIR_NAME, strcmp(dev, "/") == 0 ? "" : dev);
        return buf;
}

/* who: "console-N" or "sync". */
static int unsafe_dir(const struct xen_channel_ctx *ctx, const char *who)
{
        char buf[PATH_MAX];

        log_err("%s: refusing %s: a symlink or not a folder; make it a plain folder and "
                "run \"xen-channel-helper sync\"", who, unsafe_folder(ctx, buf, sizeof(buf)));
        return EXIT_UNSAFE_DIR;
}

static int tty_unknown(const struct xen_channel_ctx *ctx, int devid, int r)
{
        char who[16];

        switch (r) {
        case -ENODEV:
                log_err("console-%d: not bound to the xenconsole driver: its tty cannot "
                        "be known", devid);
                return EXIT_NO_TTY;
        case -ENXIO:
                log_err("console-%d: its hvc slot has no tty (only hvc0..hvc%d exist)",
                        devid, XEN_CHANNEL_HVC_TTYS - 1);
                return EXIT_NO_TTY;
        case -ENOTDIR:
                snprintf(who, sizeof(who), "console-%d", devid);
                return unsafe_dir(ctx, who);
        default:
                log_err("console-%d: cannot work out its tty: %s", devid, strerror(-r));
                return EXIT_FAILED;
        }
}

static int print_properties(const struct xen_channel_ctx *ctx, int devid, const char *name,
                            int slot)
{
        const char *dev = xen_channel_ctx_get_dev_dir(ctx);
        const char *sep = strcmp(dev, "/") == 0 ? "" : "/";
        char unit[XEN_CHANNEL_NAME_MAX * 4 + 1];

        if (escape_unit(name, unit, sizeof(unit)) < 0) {
                log_err("console-%d: cannot escape channel name for systemd", devid);
                return EXIT_BAD_NAME;
        }
        printf("XEN_CHANNEL_NAME=%s\n"
               "XEN_CHANNEL_DEVID=%d\n"
               "XEN_CHANNEL_TTY=hvc%d\n"
               "XEN_CHANNEL_DEVNAME=%s%shvc%d\n"
               "XEN_CHANNEL_LINK=%s%s" XC_LINK_DIR_NAME "/%s\n"
               "XEN_CHANNEL_SYSTEMD_INSTANCE=%s\n",
               name, devid, slot, dev, sep, slot, dev, sep, name, unit);
        if (fflush(stdout) != 0 || ferror(stdout)) {
                log_err("console-%d: cannot write the properties: %m", devid);
                return EXIT_FAILED;
        }
        return EXIT_DONE;
}

int cmd_export(struct xen_channel_ctx *ctx, int devid)
{
        char *name = NULL;
        size_t len = 0;
        int r, slot;

        r = xen_channel_xs_read_name(ctx, devid, &name, &len);
        if (r == -ENOENT) {
                log_info("console-%d has no name in xenstore: not a channel, nothing to do",
                         devid);
                return EXIT_DONE;
        }
        if (r < 0)
                return xenstore_failed(ctx, devid, r);
        if (!name_acceptable(devid, name, len)) {
                free(name);
                return EXIT_BAD_NAME;
        }

        slot = xen_channel_resolve_tty(ctx, devid);
        if (slot >= XEN_CHANNEL_HVC_TTYS)
                slot = -ENXIO;
        if (slot < 0) {
                free(name);
                return tty_unknown(ctx, devid, slot);
        }
        r = print_properties(ctx, devid, name, slot);
        if (r == EXIT_DONE)
                log_info("console-%d: channel \"%s\" is hvc%d", devid, name, slot);
        free(name);
        return r;
}

/* The tty slot that udev stored for the console, checked. */
static int slot_from_env(int devid, const struct udev_env *env)
{
        int slot = udev_env_slot(env);

        if (slot == -ENOENT) {
                log_err("console-%d: neither XEN_CHANNEL_TTY nor XEN_CHANNEL_DEVNAME is "
                        "set: its tty cannot be known (run export first)", devid);
                return -EXIT_NO_TTY;
        }
        if (slot < 0 || slot == 0 || slot >= XEN_CHANNEL_HVC_TTYS) {
                log_err("console-%d: XEN_CHANNEL_TTY=%s XEN_CHANNEL_DEVNAME=%s do not name "
                        "one channel tty hvc1..hvc%d", devid, env->tty ? env->tty : "",
                        env->devname ? env->devname : "", XEN_CHANNEL_HVC_TTYS - 1);
                return -EXIT_NO_TTY;
        }
        return slot;
}

/*
 * link and unlink: the channel udev stored for the console, checked. Returns
 * the slot, or -(exit code): EXIT_DONE when there is no channel at all.
 */
static int channel_from_env(int devid, const struct udev_env *env, const char *verb)
{
        if (!env->name) {
                log_info("console-%d: no XEN_CHANNEL_NAME: not a channel, nothing to %s",
                         devid, verb);
                return -EXIT_DONE;
        }
        if (!name_acceptable(devid, env->name, strlen(env->name)))
                return -EXIT_BAD_NAME;
        return slot_from_env(devid, env);
}

int cmd_link(struct xen_channel_ctx *ctx, int devid, const struct udev_env *env)
{
        char who[16];
        int slot, r;

        slot = channel_from_env(devid, env, "link");
        if (slot <= 0)
                return -slot;

        r = xen_channel_link_add(ctx, env->name, devid, slot);
        snprintf(who, sizeof(who), "console-%d", devid);
        switch (r) {
        case 0:
                log_info("console-%d: linked %s/" XC_LINK_DIR_NAME "/%s -> hvc%d", devid,
                         xen_channel_ctx_get_dev_dir(ctx), env->name, slot);
                return EXIT_DONE;
        case -ENOTDIR:
                return unsafe_dir(ctx, who);
        case -ENOTEMPTY:
                log_err("console-%d: channel \"%s\" not linked: a file or folder that is not "
                        "a link is in its place", devid, env->name);
                return EXIT_FAILED;
        case -EEXIST:
                log_warning("console-%d: channel name \"%s\" is already taken by a console "
                            "with a lower devid; not linked", devid, env->name);
                return EXIT_CLASH;
        case -EINVAL:
                log_err("console-%d: cannot link channel \"%s\": invalid", devid, env->name);
                return EXIT_BAD_NAME;
        default:
                log_err("console-%d: cannot link channel \"%s\": %s", devid, env->name,
                        strerror(-r));
                return EXIT_FAILED;
        }
}

static bool link_exists(const struct xen_channel_ctx *ctx, const char *name)
{
        char path[4096];
        struct stat st;

        snprintf(path, sizeof(path), "%s/" XC_LINK_DIR_NAME "/%s",
                 xen_channel_ctx_get_dev_dir(ctx), name);
        return lstat(path, &st) == 0 || errno != ENOENT;
}

static int remove_link(struct xen_channel_ctx *ctx, int devid, const struct udev_env *env)
{
        char who[16];
        bool gone;
        int slot, r;

        slot = channel_from_env(devid, env, "unlink");
        if (slot <= 0)
                return -slot;
        snprintf(who, sizeof(who), "console-%d", devid);

        /* The library treats a missing link as done; look first, only to
         * say so in the log. */
        gone = !link_exists(ctx, env->name);
        r = xen_channel_link_remove(ctx, env->name, devid, slot);
        if (r == 0 && gone)
                r = -ENOENT;
        switch (r) {
        case 0:
                log_info("console-%d: removed link of channel \"%s\"", devid, env->name);
                return EXIT_DONE;
        case -ENOENT:
                log_notice("console-%d: link of channel \"%s\" was already gone", devid,
                           env->name);
                return EXIT_DONE;
        case -ESTALE:
                log_notice("console-%d: link of channel \"%s\" points elsewhere than hvc%d: "
                           "left alone", devid, env->name, slot);
                return EXIT_DONE;
        case -ENOTDIR:
                return unsafe_dir(ctx, who);
        default:
                log_err("console-%d: cannot remove link of channel \"%s\": %s", devid,
                        env->name, strerror(-r));
                return EXIT_FAILED;
        }
}

int cmd_unlink(struct xen_channel_ctx *ctx, int devid, const struct udev_env *env)
{
        int ret = remove_link(ctx, devid, env);
        /* The console's slot is free again whatever became of its link. */
        int r = xen_channel_forget(ctx, devid);

        if (r < 0 && r != -ENOENT) {
                log_err("console-%d: cannot update the state in %s: %s", devid,
                        xen_channel_ctx_get_run_dir(ctx), strerror(-r));
                if (ret == EXIT_DONE)
                        ret = EXIT_FAILED;
        }
        return ret;
}

int cmd_sync(struct xen_channel_ctx *ctx)
{
        int r = xen_channel_sync(ctx);

        if (r >= 0) {
                log_info("sync: %d channel(s) linked", r);
                return EXIT_DONE;
        }
        /* The first error decides, with the exit codes of the other commands. */
        switch (r) {
        case -ENOTDIR:
                return unsafe_dir(ctx, "sync");
        case -EINVAL:
                log_err("sync: a console's channel name was rejected; it was not linked");
                return EXIT_BAD_NAME;
        case -EEXIST:
                log_warning("sync: two consoles carry the same channel name; the lower devid "
                            "keeps the link");
                return EXIT_CLASH;
        case -ENXIO:
        case -ENODEV:
                log_err("sync: a channel's hvc slot has no tty; it was not linked");
                return EXIT_NO_TTY;
        case -ENOTEMPTY:
                log_err("sync: a file or folder that is not a link is in a channel's place; "
                        "it was not linked");
                return EXIT_FAILED;
        case -ETIMEDOUT:
        case -EHOSTDOWN:
        case -EIO:
        case -EACCES:
        case -EPERM:
                log_err("sync: xenstore failed: %s", strerror(-r));
                return EXIT_XENSTORE;
        default:
                log_err("sync: %s", strerror(-r));
                return EXIT_FAILED;
        }
}
