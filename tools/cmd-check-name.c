/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xen-channel check-name NAME */
#include <limits.h>
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
        char line[XC_REJECTION_MAX], unit[XC_REJECTION_MAX], link[PATH_MAX];
        size_t len;
        enum xen_channel_name_verdict v;
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
        len = strlen(argv[1]);
        v = xen_channel_name_check(argv[1], len);
        if (v != XEN_CHANNEL_NAME_OK) {
                if (!quiet)
                        printf("%s\n", xc_name_rejection(argv[1], len, v, line, sizeof(line)));
                return EXIT_BAD_NAME;
        }
        if (!quiet) {
                xc_link_path(t->ctx, argv[1], link, sizeof(link));
                xc_device_unit(argv[1], unit, sizeof(unit));
                printf("\"%s\": valid\n", argv[1]);
                printf("  link:        %s\n", link);
                printf("  device unit: %s\n", unit);
        }
        return EXIT_OK;
}
