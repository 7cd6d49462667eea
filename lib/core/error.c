/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The error record: the last fault of a core function, with what it was
 * about and one sentence, so that a front end can log it once and choose its
 * exit code without looking at the filesystem again.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "../xc-private.h"

const struct xc_error *xc_last_error(const struct xen_channel_ctx *ctx)
{
        return &ctx->error;
}

int xc_fail(struct xen_channel_ctx *ctx, int r, enum xc_object obj, int devid,
            const char *path, const char *format, ...)
{
        struct xc_error *e = &ctx->error;
        va_list args;

        e->err = r;
        e->obj = obj;
        e->devid = devid;
        /* A clash or a link that is not ours is the normal working of the
         * policy, not a failure of the system. */
        e->priority = obj == XC_OBJ_CLASH || obj == XC_OBJ_NOT_OURS ? LOG_WARNING : LOG_ERR;
        e->logged = false;
        snprintf(e->path, sizeof(e->path), "%s", path ? path : "");
        va_start(args, format);
        vsnprintf(e->text, sizeof(e->text), format, args);
        va_end(args);
        return r;
}

void xc_log_error(struct xen_channel_ctx *ctx)
{
        struct xc_error *e = &ctx->error;

        if (e->logged || e->err == 0)
                return;
        if (e->devid > 0)
                xc_log_cond(ctx, e->priority, "console-%d: %s", e->devid, e->text);
        else
                xc_log_cond(ctx, e->priority, "%s", e->text);
        e->logged = true;
}
