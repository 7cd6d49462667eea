/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xen-channel list [--json] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static void print_json(struct tool *t, const struct xen_channel_info *list, size_t n)
{
        g_autoptr(GString) out = g_string_new("[");

        for (size_t i = 0; i < n; i++) {
                char path[PATH_MAX], tty[PATH_MAX];

                xc_link_path(t->ctx, list[i].name, path, sizeof(path));
                xc_tty_path(t->ctx, xc_parse_tty(list[i].tty), tty, sizeof(tty));

                g_string_append(out, i ? ",\n  {" : "\n  {");
                g_string_append(out, "\"name\": ");
                tool_json_string(out, list[i].name);
                g_string_append(out, ", \"tty\": ");
                tool_json_string(out, list[i].tty);
                g_string_append(out, ", \"devname\": ");
                tool_json_string(out, tty);
                g_string_append(out, ", \"path\": ");
                tool_json_string(out, path);
                if (list[i].devid >= 0)
                        g_string_append_printf(out, ", \"devid\": %d}", list[i].devid);
                else
                        g_string_append(out, ", \"devid\": null}");
        }
        g_string_append(out, n ? "\n]\n" : "]\n");
        fputs(out->str, stdout);
}

static void print_table(struct tool *t, const struct xen_channel_info *list, size_t n)
{
        char dir[PATH_MAX];
        int width = 4;

        if (n == 0) {
                xc_link_dir_path(t->ctx, dir, sizeof(dir));
                printf("No channel is present in %s.\n", dir);
                return;
        }
        for (size_t i = 0; i < n; i++)
                width = MAX(width, (int)strlen(list[i].name));
        printf("%-*s  %-6s  %s\n", width, "NAME", "TTY", "DEVID");
        for (size_t i = 0; i < n; i++) {
                if (list[i].devid >= 0)
                        printf("%-*s  %-6s  %d\n", width, list[i].name, list[i].tty,
                               list[i].devid);
                else
                        printf("%-*s  %-6s  %s\n", width, list[i].name, list[i].tty, "-");
        }
}

int cmd_list(struct tool *t, int argc, char **argv)
{
        gboolean json = FALSE;
        GOptionEntry entries[] = {
                { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
                  "Print a JSON array of {name, tty, devname, path, devid}", NULL },
                { NULL },
        };
        struct xen_channel_info *list;
        size_t n;
        int r;

        r = tool_parse(t, "list", "",
                       "List the channels present: their name, the hvc tty "
                       "behind it and the console devid (\"-\" / null when unknown).",
                       entries, &argc, &argv, 0, 0);
        if (r >= 0)
                return r;
        r = xen_channel_list(t->ctx, &list, &n);
        if (r < 0)
                return tool_fail(t, NULL, r);
        if (json)
                print_json(t, list, n);
        else
                print_table(t, list, n);
        free(list);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}
