/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xen-channel, the command-line tool: shared declarations. */
#ifndef XEN_CHANNEL_TOOL_H
#define XEN_CHANNEL_TOOL_H

#include <glib.h>

#include "xc-core.h"

/* Exit codes (documented in xen-channel(1)). */
enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,
        EXIT_USAGE = 2,
        EXIT_BAD_NAME = 3,
        EXIT_ABSENT = 4,     /* not present / did not appear in time */
        EXIT_NO_CONSOLE = 5, /* present but cannot be opened */
        EXIT_HANGUP = 6,     /* connect: the channel hung up */
        EXIT_NOT_LINKED = 7, /* status: a channel is not at its link */
        EXIT_UNKNOWN = 8,    /* status: cannot tell (xenstore unreadable) */
};

struct tool {
        struct xen_channel_ctx *ctx;
        const char *prog;
        int verbose;
        const char *timeout; /* the --timeout given, for messages */
        gboolean quiet;      /* wait -q: say nothing when absent */
};

/* Subcommands: argv[0] is the subcommand's name. */
int cmd_list(struct tool *t, int argc, char **argv);
int cmd_wait(struct tool *t, int argc, char **argv);
int cmd_connect(struct tool *t, int argc, char **argv);
int cmd_check_name(struct tool *t, int argc, char **argv);
int cmd_supervise(struct tool *t, int argc, char **argv);
int cmd_status(struct tool *t, int argc, char **argv);

/* Print "xen-channel: " + message to stderr. */
void tool_error(struct tool *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Parse the options of a subcommand; prints usage errors and handles
 * --help. Returns -1 to continue, or an exit code to return at once.
 * On success argv holds the remaining arguments (argv[0] is the command). */
int tool_parse(struct tool *t, const char *cmd, const char *params, const char *summary,
               GOptionEntry *entries, int *argc, char ***argv, int min_args, int max_args);
/* "5", "0.25", "forever"/"-1" -> milliseconds (-1 forever). FALSE if bad. */
gboolean tool_parse_timeout(const char *s, int *ms);
/* Check a name given on the command line and explain a bad one. Returns 0
 * or EXIT_BAD_NAME. */
int tool_check_name(struct tool *t, const char *name);
/* JSON string literal for s, with quotes. */
void tool_json_string(GString *out, const char *s);

/* exit.c: the tool's one table from a library result (a negative errno of
 * wait, open or list about channel name, NULL for the link folder) to a
 * message and an exit code. */
int tool_fail(struct tool *t, const char *name, int r);

#endif
