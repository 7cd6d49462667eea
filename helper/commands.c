/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * export, link, relink, unlink and sync: thin wrappers over the core. A library
 * fault goes through helper_fail() (exit.c), which logs the library's one
 * sentence for it and picks the exit code; what is checked here is only the
 * udev environment, the helper's own input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "log.h"

static int print_properties(const struct xen_channel_ctx *ctx, int devid, const char *name,
                            int slot)
{
        char unit[XEN_CHANNEL_NAME_MAX * 4 + 1], tty[PATH_MAX], link[PATH_MAX];

        if (xc_unit_escape(name, unit, sizeof(unit)) < 0 ||
            xc_tty_path(ctx, slot, tty, sizeof(tty)) < 0 ||
            xc_link_path(ctx, name, link, sizeof(link)) < 0) {
                log_err("console-%d: channel name \"%s\" does not fit a path or a unit name",
                        devid, name);
                return EXIT_BAD_NAME;
        }
        printf("XEN_CHANNEL_NAME=%s\n"
               "XEN_CHANNEL_DEVID=%d\n"
               "XEN_CHANNEL_TTY=hvc%d\n"
               "XEN_CHANNEL_DEVNAME=%s\n"
               "XEN_CHANNEL_LINK=%s\n"
               "XEN_CHANNEL_SYSTEMD_INSTANCE=%s\n",
               name, devid, slot, tty, link, unit);
        if (fflush(stdout) != 0 || ferror(stdout)) {
                log_err("console-%d: cannot write the properties: %m", devid);
                return EXIT_FAILED;
        }
        return EXIT_DONE;
}

int cmd_export(struct xen_channel_ctx *ctx, int devid)
{
        enum xc_resume told;
        char *name = NULL;
        int r, slot;

        r = xc_read_channel_name(ctx, devid, &name);
        if (r == -ENOENT) {
                log_info("console-%d has no name in xenstore: not a channel, nothing to do",
                         devid);
                return EXIT_DONE;
        }
        if (r < 0)
                return helper_fail(ctx, devid);
        /* xenstore is asked before the run-folder lock, never under it. */
        told = xc_resume_ask(ctx, false);
        slot = xc_resolve_tty(ctx, devid, told);
        if (told == XC_RESUME_GONE)
                xc_resume_arm(ctx); /* once after a resume */
        if (slot < 0) {
                free(name);
                return helper_fail(ctx, devid);
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
                        "set: its tty cannot be known (run export first)",
                        devid);
                return -EXIT_NO_TTY;
        }
        if (slot <= 0 || slot >= XC_HVC_TTYS) {
                log_err("console-%d: XEN_CHANNEL_TTY=%s XEN_CHANNEL_DEVNAME=%s do not name "
                        "one channel tty hvc1..hvc%d",
                        devid, env->tty ? env->tty : "", env->devname ? env->devname : "",
                        XC_HVC_TTYS - 1);
                return -EXIT_NO_TTY;
        }
        return slot;
}

/*
 * link and unlink: the channel udev stored for the console, checked. Returns
 * the slot, or -(exit code): EXIT_DONE when there is no channel at all.
 */
static int channel_from_env(struct xen_channel_ctx *ctx, int devid, const struct udev_env *env,
                            const char *verb)
{
        if (!env->name) {
                log_info("console-%d: no XEN_CHANNEL_NAME: not a channel, nothing to %s",
                         devid, verb);
                return -EXIT_DONE;
        }
        /* A link an older version made under a name today's policy refuses
         * is still removed when it is this console's. */
        if (strcmp(verb, "unlink") == 0 && xc_name_is_legacy(env->name))
                log_notice("console-%d: channel name \"%s\" is refused by today's name "
                           "policy; removing its link if it is this console's",
                           devid, env->name);
        else if (xc_name_accept(ctx, devid, env->name, strlen(env->name)) < 0)
                return -helper_fail(ctx, devid);
        return slot_from_env(devid, env);
}

/*
 * link and relink. link takes the tty udev passes as it is: export worked it
 * out moments ago in the same event. relink is for the properties udev took
 * back from its database (udevadm trigger, a udev restart): the tty was
 * stored at an earlier event, and a resume or a closed backend may have
 * moved or freed it since, so it is checked against sysfs first. Where there
 * is no xen bus to ask (a container), udev's word holds.
 */
int cmd_link(struct xen_channel_ctx *ctx, int devid, const struct udev_env *env, bool stored)
{
        int slot = channel_from_env(ctx, devid, env, "link");
        int now;

        if (slot <= 0)
                return -slot;
        /* No xenstore request: a resume is the watch's sync to follow. */
        now = stored && xc_xen_bus_present() ? xc_resolve_tty(ctx, devid, XC_RESUME_UNTOLD)
                                             : slot;
        if (now < 0)
                return helper_fail(ctx, devid);
        if (now != slot) {
                log_notice("console-%d: the tty udev stored (hvc%d) is stale: it is hvc%d now",
                           devid, slot, now);
                slot = now;
        }
        if (xc_link_add(ctx, env->name, devid, slot) < 0)
                return helper_fail(ctx, devid);
        return EXIT_DONE; /* the core logged "linked" */
}

/* The core logs a removal or hand-over at notice, and nothing above debug
 * when there was nothing to remove: udev runs unlink on unbind and again on
 * remove, and the second run must not look like news. */
static int remove_link(struct xen_channel_ctx *ctx, int devid, const struct udev_env *env)
{
        int slot = channel_from_env(ctx, devid, env, "unlink");

        if (slot <= 0)
                return -slot;
        if (xc_link_remove_legacy(ctx, env->name, devid, slot) < 0)
                return helper_fail(ctx, devid);
        return EXIT_DONE;
}

int cmd_unlink(struct xen_channel_ctx *ctx, int devid, const struct udev_env *env)
{
        int ret = remove_link(ctx, devid, env);
        enum xc_object failed = xc_last_error(ctx)->obj;
        int code;

        /* The console's slot is free again whatever became of its link; but
         * a run folder that failed the link step fails this one the same
         * way, and that was said already. */
        if (ret != EXIT_DONE && (failed == XC_OBJ_RUN_DIR || failed == XC_OBJ_RUN_FILE))
                return ret;
        if (xc_forget(ctx, devid) < 0) {
                code = helper_fail(ctx, devid);
                if (ret == EXIT_DONE)
                        ret = code;
        }
        return ret;
}

int cmd_sync(struct xen_channel_ctx *ctx)
{
        int r = xc_sync(ctx);

        if (r < 0)
                return helper_fail(ctx, 0);
        log_info("sync: %d channel(s) linked", r);
        return EXIT_DONE;
}
