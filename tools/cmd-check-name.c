/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xen-channel check-name NAME */
#include <stdio.h>
#include <string.h>

#include "tool.h"

int cmd_check_name(struct tool *t, int argc, char **argv)
{
        gboolean quiet = FALSE;
        GOptionEntry entries[] = {
                { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
                  "Print nothing; only the exit status tells", NULL },
                { NULL },
        };
        enum xen_channel_name_verdict v;
        g_autofree char *p = NULL;
        int r;

        r = tool_parse(t, "check-name", "NAME",
                       "Check NAME against the channel name policy and say why it breaks it."
                       "\n\nA name is ASCII letters and digits, \".\", \"_\" and \"-\"; "
                       "it starts with a letter or digit,\ndoes not end with \".\", holds "
                       "no \"..\" and is at most 128 bytes long.\n"
                       "Exit status 0 when NAME is valid, 3 when not.",
                       entries, &argc, &argv, 1, 1);
        if (r >= 0)
                return r;
        v = xen_channel_name_check(argv[1], strlen(argv[1]));
        p = tool_printable(argv[1]);
        if (v != XEN_CHANNEL_NAME_OK) {
                if (!quiet)
                        printf("\"%s\": invalid: %s\n", p, xen_channel_name_verdict_str(v));
                return EXIT_BAD_NAME;
        }
        if (!quiet) {
                g_autofree char *unit = tool_device_unit(argv[1]);

                printf("\"%s\": valid\n", p);
                printf("  link:        %s/xen-channel/%s\n",
                       xen_channel_ctx_get_dev_dir(t->ctx), argv[1]);
                printf("  device unit: %s\n", unit);
        }
        return EXIT_OK;
}
