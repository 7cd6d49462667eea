/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library context: roots that tests point elsewhere, logging and its
 * one reading of $XEN_CHANNEL_LOG, the timeout of the core's operations. */
#define _GNU_SOURCE /* secure_getenv, strndup */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "xc-private.h"

#define DEFAULT_DEV_DIR "/dev"
#define DEFAULT_RUN_DIR "/run/xen-channel"
#define DEFAULT_TIMEOUT_MS 2000

void xc_log(struct xen_channel_ctx *ctx, int priority, const char *file, int line,
            const char *fn, const char *format, ...)
{
        va_list args;

        va_start(args, format);
        ctx->log_fn(ctx->log_data, priority, file, line, fn, format, args);
        va_end(args);
}

/* -ENOENT for no value, -EINVAL for one that names no priority. */
static int priority_from_string(const char *s)
{
        static const struct {
                const char *name;
                int prio;
        } names[] = {
                { "err", LOG_ERR },       { "error", LOG_ERR }, { "warning", LOG_WARNING },
                { "notice", LOG_NOTICE }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
        };
        char *end;
        long v;

        if (!s || !*s)
                return -ENOENT;
        v = strtol(s, &end, 10);

        if (end != s && *end == '\0' && v >= LOG_EMERG && v <= LOG_DEBUG)
                return (int)v;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcasecmp(s, names[i].name) == 0)
                        return names[i].prio;
        return -EINVAL;
}

XC_EXPORT int xen_channel_ctx_new(struct xen_channel_ctx **ret)
{
        /* Not calloc(): zeroing the error record's two path-sized buffers
         * touched 8 KiB (three pages) that most runs never write; an empty
         * string in each is all a reader needs. */
        struct xen_channel_ctx *ctx;

        if (!ret)
                return -EINVAL;
        ctx = malloc(sizeof(*ctx));
        if (!ctx)
                return -ENOMEM;
        memset(ctx, 0, offsetof(struct xen_channel_ctx, error));
        memset(&ctx->error, 0, offsetof(struct xc_error, path));
        ctx->error.path[0] = ctx->error.text[0] = '\0';
        ctx->refcount = 1;
        ctx->wait_fd = -1;
        ctx->log_priority = LOG_ERR;
        ctx->timeout_ms = DEFAULT_TIMEOUT_MS;
        ctx->dev_dir = strdup(DEFAULT_DEV_DIR);
        ctx->run_dir = strdup(DEFAULT_RUN_DIR);
        if (!ctx->dev_dir || !ctx->run_dir) {
                xen_channel_ctx_unref(ctx);
                return -ENOMEM;
        }
        ctx->log_env = priority_from_string(secure_getenv("XEN_CHANNEL_LOG"));
        if (ctx->log_env >= 0)
                ctx->log_priority = ctx->log_env;
        *ret = ctx;
        return 0;
}

XC_EXPORT struct xen_channel_ctx *xen_channel_ctx_ref(struct xen_channel_ctx *ctx)
{
        if (ctx)
                ctx->refcount++;
        return ctx;
}

XC_EXPORT struct xen_channel_ctx *xen_channel_ctx_unref(struct xen_channel_ctx *ctx)
{
        if (!ctx || --ctx->refcount > 0)
                return NULL;
        free(ctx->dev_dir);
        free(ctx->run_dir);
        if (ctx->wait_fd >= 0)
                close(ctx->wait_fd);
        free(ctx);
        return NULL;
}

XC_EXPORT void xen_channel_ctx_set_log_fn(struct xen_channel_ctx *ctx, xen_channel_log_fn fn,
                                          void *userdata)
{
        /* void: a NULL ctx has nothing to set (libxenchannel(3)). */
        if (!ctx)
                return;
        ctx->log_fn = fn;
        ctx->log_data = userdata;
}

XC_EXPORT void xen_channel_ctx_set_log_priority(struct xen_channel_ctx *ctx, int priority)
{
        if (!ctx)
                return;
        ctx->log_priority = priority;
}

XC_EXPORT int xen_channel_ctx_get_log_priority(const struct xen_channel_ctx *ctx)
{
        return ctx ? ctx->log_priority : -EINVAL;
}

/*
 * Both roots must be absolute: relative roots would depend on the cwd of
 * whoever runs the helper (udev runs it in /). Trailing slashes are dropped:
 * with one, open() follows a symlink even with O_NOFOLLOW, and the refusal of
 * a symlinked device or run folder would be bypassed.
 */
static int set_root(char **slot, const char *dir)
{
        size_t len;
        char *copy;

        if (!dir || dir[0] != '/')
                return -EINVAL;
        len = strlen(dir);
        while (len > 1 && dir[len - 1] == '/')
                len--;
        copy = strndup(dir, len);
        if (!copy)
                return -ENOMEM;
        free(*slot);
        *slot = copy;
        return 0;
}

XC_EXPORT int xen_channel_ctx_set_dev_dir(struct xen_channel_ctx *ctx, const char *dir)
{
        return ctx ? set_root(&ctx->dev_dir, dir) : -EINVAL;
}

XC_EXPORT const char *xen_channel_ctx_get_dev_dir(const struct xen_channel_ctx *ctx)
{
        return ctx ? ctx->dev_dir : NULL;
}

XC_EXPORT int xen_channel_ctx_set_run_dir(struct xen_channel_ctx *ctx, const char *dir)
{
        return ctx ? set_root(&ctx->run_dir, dir) : -EINVAL;
}

XC_EXPORT const char *xen_channel_ctx_get_run_dir(const struct xen_channel_ctx *ctx)
{
        return ctx ? ctx->run_dir : NULL;
}

int xc_ctx_log_env(const struct xen_channel_ctx *ctx)
{
        return ctx->log_env;
}

int xc_ctx_set_timeout_ms(struct xen_channel_ctx *ctx, int timeout_ms)
{
        if (timeout_ms <= 0)
                return -EINVAL;
        ctx->timeout_ms = timeout_ms;
        return 0;
}

int xc_ctx_get_timeout_ms(const struct xen_channel_ctx *ctx)
{
        return ctx->timeout_ms;
}
