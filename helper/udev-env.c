/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "libxenchannel.h"
#include "udev-env.h"

/* Value of key in "KEY=VALUE", or NULL when entry is another key. */
static const char *value_of(const char *entry, const char *key)
{
        size_t n = strlen(key);

        if (strncmp(entry, key, n) != 0 || entry[n] != '=')
                return NULL;
        return entry[n + 1] ? entry + n + 1 : NULL;
}

void udev_env_parse(struct udev_env *env, char *const *envp)
{
        static const char *const keys[] = {
                "ACTION", "DEVPATH", "XEN_CHANNEL_NAME", "XEN_CHANNEL_TTY",
                "XEN_CHANNEL_DEVNAME",
        };
        const char **fields[] = {
                &env->action, &env->devpath, &env->name, &env->tty, &env->devname,
        };

        memset(env, 0, sizeof(*env));
        for (; envp && *envp; envp++)
                for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                        const char *v = value_of(*envp, keys[i]);

                        /* The first one wins, as with getenv(). */
                        if (v && !*fields[i])
                                *fields[i] = v;
                }
}

int udev_env_tty_slot(const char *tty)
{
        int slot = 0;
        const char *p;

        if (!tty || strncmp(tty, "hvc", 3) != 0)
                return -EINVAL;
        p = tty + 3;
        if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '\0'))
                return -EINVAL;
        for (; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                slot = slot * 10 + (*p - '0');
                if (slot >= XEN_CHANNEL_HVC_SLOTS)
                        return -EINVAL;
        }
        return slot;
}

int udev_env_slot(const struct udev_env *env)
{
        int from_tty = -ENOENT, from_devname = -ENOENT;

        if (env->tty) {
                from_tty = udev_env_tty_slot(env->tty);
                if (from_tty < 0)
                        return -EINVAL;
        }
        if (env->devname) {
                const char *base = strrchr(env->devname, '/');

                /* A devname must be a path: "/dev/hvc1", not "hvc1". */
                if (!base || base[1] == '\0')
                        return -EINVAL;
                from_devname = udev_env_tty_slot(base + 1);
                if (from_devname < 0)
                        return -EINVAL;
        }
        if (from_tty >= 0 && from_devname >= 0 && from_tty != from_devname)
                return -EINVAL;
        return from_tty >= 0 ? from_tty : from_devname;
}
