/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xen-channel wait NAME [--timeout SECONDS] */
#include <stdio.h>

#include "tool.h"

int cmd_wait(struct tool *t, int argc, char **argv)
{
        g_autofree char *timeout = NULL;
        GOptionEntry entries[] = {
                { "timeout", 't', 0, G_OPTION_ARG_STRING, &timeout,
                  "Give up after SECONDS (fractions allowed; 0 only looks; default: "
                  "forever)",
                  "SECONDS" },
                { "quiet", 'q', 0, G_OPTION_ARG_NONE, &t->quiet,
                  "Say nothing when the channel does not appear", NULL },
                { NULL },
        };
        int ms = -1, r;

        r = tool_parse(t, "wait", "NAME",
                       "Wait until the channel NAME is present (its link exists), with "
                       "inotify.\nExit status 0 when it is, 4 when it did not appear in "
                       "time.",
                       entries, &argc, &argv, 1, 1);
        if (r >= 0)
                return r;
        if (timeout && !tool_parse_timeout(timeout, &ms)) {
                tool_error(t,
                           "wait: invalid --timeout \"%s\": give seconds (e.g. 5, 0.5) "
                           "or \"forever\"",
                           timeout);
                return EXIT_USAGE;
        }
        r = tool_check_name(t, argv[1]);
        if (r)
                return r;
        t->timeout = timeout;
        r = xen_channel_wait(t->ctx, argv[1], ms);
        return r == 0 ? EXIT_OK : tool_fail(t, argv[1], r);
}
