/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "udev-env.h"
#include "xc-core.h"

/* Value of key in "KEY=VALUE", or NULL when entry is another key. The
 * first character is compared inline: the environment udev (or a shell)
 * passes has dozens of entries, nearly all of which it rules out. */
static const char *value_of(const char *entry, const char *key)
{
        size_t n;

        if (entry[0] != key[0])
                return NULL;
        n = strlen(key);
        if (strncmp(entry, key, n) != 0 || entry[n] != '=')
                return NULL;
        return entry[n + 1] ? entry + n + 1 : NULL;
}

void udev_env_parse(struct udev_env *env, char *const *envp)
{
        static const char *const keys[] = {
                "ACTION",
                "DEVPATH",
                "XEN_CHANNEL_NAME",
                "XEN_CHANNEL_TTY",
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

int udev_env_slot(const struct udev_env *env)
{
        int from_tty = -ENOENT, from_devname = -ENOENT;

        if (env->tty) {
                from_tty = xc_parse_tty(env->tty);
                if (from_tty < 0)
                        return -EINVAL;
        }
        if (env->devname) {
                const char *base = strrchr(env->devname, '/');

                /* A devname must be a path: "/dev/hvc1", not "hvc1". */
                if (!base || base[1] == '\0')
                        return -EINVAL;
                from_devname = xc_parse_tty(base + 1);
                if (from_devname < 0)
                        return -EINVAL;
        }
        if (from_tty >= 0 && from_devname >= 0 && from_tty != from_devname)
                return -EINVAL;
        return from_tty >= 0 ? from_tty : from_devname;
}
