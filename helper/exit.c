/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The helper's one table from a library fault to an exit code. The line
 * logged is the library's own sentence for the fault (struct xc_error), so
 * a fault is worded in one place and logged once; the table only adds the
 * exit code and, where the user can do something, what.
 */
#include <errno.h>
#include <stdio.h>

#include "commands.h"
#include "log.h"

#define UNSAFE_HINT "make it a plain folder and run \"xen-channel-helper sync\""

static const struct {
        enum xc_object obj;
        int err; /* 0: any */
        int code;
        const char *hint; /* NULL: none */
} exit_table[] = {
        { XC_OBJ_NAME, 0, EXIT_BAD_NAME, NULL },
        { XC_OBJ_XENSTORE, 0, EXIT_XENSTORE, NULL },
        { XC_OBJ_CONSOLE, 0, EXIT_NO_TTY, NULL },
        { XC_OBJ_RUN_DIR, -ENOTDIR, EXIT_UNSAFE_DIR, UNSAFE_HINT },
        { XC_OBJ_DEV_DIR, -ENOTDIR, EXIT_UNSAFE_DIR, UNSAFE_HINT },
        { XC_OBJ_LINK_DIR, -ENOTDIR, EXIT_UNSAFE_DIR, UNSAFE_HINT },
        { XC_OBJ_CLASH, 0, EXIT_CLASH, NULL },
        /* unlink: a link that is not this console's is not ours to remove */
        { XC_OBJ_NOT_OURS, 0, EXIT_DONE, NULL },
        /* everything else, e.g. a run file that cannot be written, is 1 */
};

int helper_fail(struct xen_channel_ctx *ctx, int devid)
{
        const struct xc_error *e = xc_last_error(ctx);
        const char *hint = NULL;
        int code = EXIT_FAILED;
        char who[24] = "sync";

        for (size_t i = 0; i < sizeof(exit_table) / sizeof(exit_table[0]); i++) {
                if (exit_table[i].obj == e->obj &&
                    (exit_table[i].err == 0 || exit_table[i].err == e->err)) {
                        code = exit_table[i].code;
                        hint = exit_table[i].hint;
                        break;
                }
        }
        if (e->logged)
                return code;
        if (e->devid > 0 || devid > 0)
                snprintf(who, sizeof(who), "console-%d", e->devid > 0 ? e->devid : devid);
        log_msg(e->err ? e->priority : LOG_ERR, "%s: %s%s%s", who, e->err ? e->text : "failed",
                hint ? "; " : "", hint ? hint : "");
        return code;
}
