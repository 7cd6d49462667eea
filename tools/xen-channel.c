/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xen-channel: list, wait for, connect to and check Xen PV channels by name.
 * Global options come before the subcommand, the subcommand's after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "tool.h"

static const struct {
        const char *name;
        int (*fn)(struct tool *t, int argc, char **argv);
        const char *help;
} commands[] = {
        { "list", cmd_list, "List the channels present (--json for scripts)" },
        { "wait", cmd_wait, "Wait until a channel is present" },
        { "connect", cmd_connect, "Bridge stdin/stdout to a channel in raw mode" },
        { "check-name", cmd_check_name, "Check a name against the channel name policy" },
        { "supervise", cmd_supervise, "Run an agent; stop it when its channel hangs up" },
        { "status", cmd_status, "Why a channel is or is not there (--json for scripts)" },
};

static void log_stderr(void *data, int prio, const char *file, int line, const char *fn,
                       const char *format, va_list args)
{
        fprintf(stderr, "%s: ", (const char *)data);
        vfprintf(stderr, format, args);
        fputc('\n', stderr);
}

static char *describe_commands(void)
{
        GString *s = g_string_new("Commands:\n");

        for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
                g_string_append_printf(s, "  %-12s %s\n", commands[i].name, commands[i].help);
        g_string_append(s, "\nRun 'xen-channel COMMAND --help' for a command's options; "
                           "see xen-channel(1).");
        return g_string_free(s, FALSE);
}

static gboolean count_verbose(const char *opt, const char *value, gpointer data,
                              GError **error)
{
        ((struct tool *)data)->verbose++;
        return TRUE;
}

int main(int argc, char **argv)
{
        struct tool t = { .prog = "xen-channel" };
        g_autofree char *dev_dir = NULL, *run_dir = NULL, *desc = describe_commands();
        gboolean version = FALSE;
        GOptionEntry entries[] = {
                { "dev-dir", 0, 0, G_OPTION_ARG_FILENAME, &dev_dir,
                  "Folder holding xen-channel/ and the hvc ttys (default /dev)", "DIR" },
                { "run-dir", 0, 0, G_OPTION_ARG_FILENAME, &run_dir,
                  "The helper's run folder, for devids (default /run/xen-channel)", "DIR" },
                { "verbose", 'v', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
                  (gpointer)count_verbose, "Log more (repeat for debug)", NULL },
                { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
                { NULL },
        };
        g_autoptr(GOptionContext) oc = g_option_context_new("COMMAND [ARGS...]");
        g_autoptr(GOptionGroup) group = NULL;
        g_autoptr(GError) error = NULL;
        int r;

        group = g_option_group_new(NULL, NULL, NULL, &t, NULL);
        g_option_group_add_entries(group, entries);
        g_option_context_set_main_group(oc, g_steal_pointer(&group));
        g_option_context_set_summary(oc, "Find, wait for and talk to Xen PV channels "
                                         "by name.");
        g_option_context_set_description(oc, desc);
        /* stop at the subcommand: its options are its own */
        g_option_context_set_strict_posix(oc, TRUE);
        if (!g_option_context_parse(oc, &argc, &argv, &error)) {
                fprintf(stderr, "%s: %s (try '%s --help')\n", t.prog, error->message, t.prog);
                return EXIT_USAGE;
        }
        if (version) {
                printf("xen-channel %s\n", PACKAGE_VERSION);
                return EXIT_OK;
        }
        if (argc < 2) {
                fprintf(stderr, "%s: no command given (try '%s --help')\n", t.prog, t.prog);
                return EXIT_USAGE;
        }
        r = xen_channel_ctx_new(&t.ctx);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", t.prog, g_strerror(-r));
                return EXIT_FAIL;
        }
        xen_channel_ctx_set_log_fn(t.ctx, log_stderr, (void *)t.prog);
        if (t.verbose)
                xen_channel_ctx_set_log_priority(t.ctx, t.verbose > 1 ? LOG_DEBUG : LOG_INFO);
        else if (xen_channel_ctx_get_log_priority(t.ctx) == LOG_ERR)
                /* the tool says what went wrong itself; lib errors would repeat it */
                xen_channel_ctx_set_log_priority(t.ctx, LOG_CRIT);
        if ((dev_dir && xen_channel_ctx_set_dev_dir(t.ctx, dev_dir) < 0) ||
            (run_dir && xen_channel_ctx_set_run_dir(t.ctx, run_dir) < 0)) {
                fprintf(stderr, "%s: --dev-dir and --run-dir take an absolute path\n", t.prog);
                xen_channel_ctx_unref(t.ctx);
                return EXIT_USAGE;
        }
        r = -1;
        for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
                if (!strcmp(argv[1], commands[i].name))
                        r = commands[i].fn(&t, argc - 1, argv + 1);
        if (r < 0) {
                fprintf(stderr,
                        "%s: unknown command \"%s\"; commands: list, wait, connect, "
                        "check-name, supervise, status (try '%s --help')\n",
                        t.prog, argv[1], t.prog);
                r = EXIT_USAGE;
        }
        xen_channel_ctx_unref(t.ctx);
        return r;
}
