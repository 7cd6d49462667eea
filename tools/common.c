/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers every subcommand of xen-channel uses. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

void tool_error(struct tool *t, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "%s: ", t->prog);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int tool_parse(struct tool *t, const char *cmd, const char *params, const char *summary,
               GOptionEntry *entries, int *argc, char ***argv, int min_args, int max_args)
{
        g_autofree char *usage = g_strdup_printf("%s %s", cmd, params);
        g_autoptr(GOptionContext) oc = g_option_context_new(usage);
        g_autoptr(GError) error = NULL;
        int n;

        g_option_context_set_summary(oc, summary);
        g_option_context_set_description(oc, "See xen-channel(1) for exit codes and "
                                             "examples.");
        if (entries)
                g_option_context_add_main_entries(oc, entries, NULL);
        /* argv[0] is the subcommand: GOption skips it like a program name. */
        if (!g_option_context_parse(oc, argc, argv, &error)) {
                tool_error(t, "%s: %s (try '%s %s --help')", cmd, error->message, t->prog,
                           cmd);
                return EXIT_USAGE;
        }
        /* GOption leaves a "--" in place: drop it, so that "-- -x" passes -x */
        for (int i = 1; i < *argc; i++) {
                if (strcmp((*argv)[i], "--") == 0) {
                        memmove(&(*argv)[i], &(*argv)[i + 1],
                                (size_t)(*argc - i) * sizeof(char *));
                        (*argc)--;
                        break;
                }
        }
        n = *argc - 1;
        if (n < min_args || n > max_args) {
                tool_error(t, "%s: %s (try '%s %s --help')", cmd,
                           n < min_args ? "missing argument" : "too many arguments", t->prog,
                           cmd);
                return EXIT_USAGE;
        }
        return -1;
}

gboolean tool_parse_timeout(const char *s, int *ms)
{
        char *end;
        double v;

        if (!strcmp(s, "forever") || !strcmp(s, "infinity") || !strcmp(s, "-1")) {
                *ms = -1;
                return TRUE;
        }
        v = g_ascii_strtod(s, &end);
        if (end == s || *end || !(v >= 0) || v > 2000000.0)
                return FALSE;
        /* round up so that "0.0001" still waits a little */
        *ms = (int)(v * 1000.0);
        if (*ms < v * 1000.0)
                (*ms)++;
        return TRUE;
}

int tool_check_name(struct tool *t, const char *name)
{
        size_t len = strlen(name);
        enum xen_channel_name_verdict v = xen_channel_name_check(name, len);
        char why[XC_REJECTION_MAX];

        if (v == XEN_CHANNEL_NAME_OK)
                return 0;
        tool_error(t, "%s (see '%s check-name --help')",
                   xc_name_rejection(name, len, v, why, sizeof(why)), t->prog);
        return EXIT_BAD_NAME;
}

void tool_json_string(GString *out, const char *s)
{
        g_autofree char *valid = g_utf8_make_valid(s, -1);

        g_string_append_c(out, '"');
        for (const unsigned char *p = (const unsigned char *)valid; *p; p++) {
                switch (*p) {
                case '"':
                        g_string_append(out, "\\\"");
                        break;
                case '\\':
                        g_string_append(out, "\\\\");
                        break;
                case '\n':
                        g_string_append(out, "\\n");
                        break;
                case '\t':
                        g_string_append(out, "\\t");
                        break;
                case '\r':
                        g_string_append(out, "\\r");
                        break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                g_string_append_printf(out, "\\u%04x", *p);
                        else
                                g_string_append_c(out, (char)*p);
                }
        }
        g_string_append_c(out, '"');
}
