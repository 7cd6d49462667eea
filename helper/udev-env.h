/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The udev environment of a RUN/IMPORT program, parsed without side effects
 * so that it can be unit-tested: the helper's link and unlink commands take
 * everything they need from it (udev hands the stored properties back on
 * remove) and make no xenstore request.
 */
#ifndef XEN_CHANNEL_HELPER_UDEV_ENV_H
#define XEN_CHANNEL_HELPER_UDEV_ENV_H

struct udev_env {
        const char *action;  /* ACTION: add, bind, unbind, remove, ... */
        const char *devpath; /* DEVPATH: /devices/console-N */
        const char *name;    /* XEN_CHANNEL_NAME, not validated here */
        const char *tty;     /* XEN_CHANNEL_TTY: hvcM */
        const char *devname; /* XEN_CHANNEL_DEVNAME: /dev/hvcM */
};

/* Fill env from a NULL-terminated "KEY=VALUE" array (environ). Empty values
 * count as absent. Pointers point into envp. */
void udev_env_parse(struct udev_env *env, char *const *envp);

/* The slot the environment names (xc_parse_tty): from XEN_CHANNEL_TTY, else
 * from the last component of XEN_CHANNEL_DEVNAME. -ENOENT: neither is set; -EINVAL: one is
 * malformed, or both are set and disagree. */
int udev_env_slot(const struct udev_env *env);

#endif
