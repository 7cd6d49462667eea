/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tool's one table from a library result to a message and an exit code
 * (the exit codes of xen-channel(1)). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tool.h"

/* After "not present": say which channels do exist. */
static void explain_absent(struct tool *t)
{
        struct xen_channel_info *list = NULL;
        g_autoptr(GString) names = g_string_new(NULL);
        char dir[PATH_MAX];
        size_t n = 0;
        int r = xen_channel_list(t->ctx, &list, &n);

        xc_link_dir_path(t->ctx, dir, sizeof(dir));
        for (size_t i = 0; r == 0 && i < n; i++)
                g_string_append_printf(names, "%s%s", i ? ", " : "", list[i].name);
        free(list);
        if (r < 0)
                fprintf(stderr, "  (cannot list %s: %s)\n", dir, g_strerror(-r));
        else if (n == 0)
                fprintf(stderr, "  No channel is present in %s.\n", dir);
        else
                fprintf(stderr, "  Channels present: %s\n", names->str);
}

int tool_fail(struct tool *t, const char *name, int r)
{
        char dir[PATH_MAX];

        switch (r) {
        case -ENOENT:
                tool_error(t, "channel %s is not present (use --timeout to wait for it)",
                           name);
                explain_absent(t);
                return EXIT_ABSENT;
        case -ETIMEDOUT:
                if (t->quiet)
                        return EXIT_ABSENT;
                tool_error(t, "channel %s did not appear within %s s", name,
                           t->timeout ? t->timeout : "0");
                explain_absent(t);
                return EXIT_ABSENT;
        case -ENODEV:
                tool_error(t,
                           "cannot open channel %s: its link dangles or no console is "
                           "behind its tty",
                           name);
                return EXIT_NO_CONSOLE;
        case -ENOTTY:
                tool_error(t,
                           "cannot open channel %s: its link does not lead to a channel "
                           "tty",
                           name);
                return EXIT_NO_CONSOLE;
        default:
                if (name) {
                        tool_error(t, "channel %s: %s", name, g_strerror(-r));
                } else {
                        xc_link_dir_path(t->ctx, dir, sizeof(dir));
                        tool_error(t, "cannot list %s: %s", dir, g_strerror(-r));
                }
                return EXIT_FAIL;
        }
}
