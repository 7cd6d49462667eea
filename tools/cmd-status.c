/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xen-channel status [--json] [NAME]: every console, its verdict and a hint
 * (the facts come from the core, xc_status_collect(); the words from here).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tool.h"

static bool shown(const struct xc_console_report *c, const char *name)
{
        return !name || (c->name && !strcmp(c->name, name));
}

static bool problem(enum xc_verdict v)
{
        return v != XC_VERDICT_OK && v != XC_VERDICT_PLAIN && v != XC_VERDICT_UNKNOWN;
}

static char *link_path(struct tool *t, const char *name)
{
        char path[PATH_MAX];

        if (xc_link_path(t->ctx, name, path, sizeof(path)) < 0)
                return g_strdup(name);
        return g_strdup(path);
}

/* Bytes from outside (xenstore, link targets, udev, paths, the kernel) as a
 * terminal may see them: the core's one escaping. */
static char *esc(const char *s)
{
        size_t len = strlen(s);

        return xc_escape_for_log(s, len, g_malloc(XC_ESCAPED_MAX(len)), XC_ESCAPED_MAX(len));
}

static char *shown_link_path(struct tool *t, const char *name)
{
        g_autofree char *path = link_path(t, name);

        return esc(path);
}

static const char *kernel(void)
{
        static struct utsname u;

        return uname(&u) == 0 ? u.release : "unknown";
}

static void hint_bad_devid(GString *h, const struct xc_console_report *c)
{
        if (c->devid == 0)
                g_string_append(
                        h, "devid 0 is the primary console's: the kernel never probes "
                           "it (Debian's xl 4.17 gives it to the first channel= entry: put "
                           "a placeholder entry first)");
        else if (c->devid % 10 == 0)
                g_string_append_printf(h,
                                       "the kernel reads only the last digit of the devid: "
                                       "console-%d is read as devid 0 and never probed; use "
                                       "devids 1..9",
                                       c->devid);
        else
                g_string_append_printf(h,
                                       "the kernel reads only the last digit of the devid: "
                                       "console-%d is probed as devid %d (and clashes with "
                                       "console-%d, if there is one); use devids 1..9",
                                       c->devid, c->devid % 10, c->devid % 10);
}

static void hint_backend(struct tool *t, GString *h, const struct xc_console_report *c)
{
        int s = c->slot < 0 ? c->fe_state : c->backend_state;

        if (c->slot < 0) {
                g_string_append_printf(h,
                                       "the backend closed: the console is %s (%d), the "
                                       "kernel freed its tty; it is dead until the host "
                                       "re-creates it",
                                       xc_xenbus_state_name(s), s);
                if (c->has_link) {
                        g_autofree char *p = shown_link_path(t, c->name);
                        g_autofree char *target = esc(c->link);

                        g_string_append_printf(h,
                                               "; its stale link %s -> %s remains: run "
                                               "'xen-channel-helper sync' as root",
                                               p, target);
                }
        } else {
                g_string_append_printf(h,
                                       "the backend is not connected (state %d, %s): the "
                                       "tty is there, nothing answers until the host end "
                                       "connects",
                                       s, xc_xenbus_state_name(s));
        }
}

static char *hint(struct tool *t, const struct xc_status *st,
                  const struct xc_console_report *c)
{
        g_autoptr(GString) h = g_string_new(NULL);
        g_autofree char *path = c->name ? shown_link_path(t, c->name) : NULL;
        g_autofree char *target = esc(c->link);
        g_autofree char *release = esc(kernel());
        char rejection[XC_REJECTION_MAX];

        switch (c->verdict) {
        case XC_VERDICT_OK:
                g_string_append_printf(h, "%s -> %s", path, target);
                break;
        case XC_VERDICT_BAD_DEVID:
                hint_bad_devid(h, c);
                break;
        case XC_VERDICT_NO_DEVICE:
                g_string_append_printf(h,
                                       "in xenstore only: the kernel has no device console-%d "
                                       "(written after xenbus looked, e.g. re-created by a "
                                       "restore); the host must remove and add it again",
                                       c->devid);
                break;
        case XC_VERDICT_NOT_PROBED:
                g_string_append_printf(
                        h,
                        "not bound to xenconsole: its probe failed (dmesg: "
                        "\"probe of console-%d failed\"); kernel %s: kernels with "
                        "fe415186b43d (2021) but without ef5dd8ec88ac (2023) fail "
                        "every secondary console with error -2: update the kernel",
                        c->devid, release);
                break;
        case XC_VERDICT_PLAIN:
                g_string_append(h, "not a channel (no name in xenstore): nothing to do");
                break;
        case XC_VERDICT_UNKNOWN:
                g_string_append(h, "its name cannot be read (xenstore is root's, or did not "
                                   "answer, and no record names it): run as root");
                break;
        case XC_VERDICT_NAME_REJECTED:
                g_string_append_printf(h,
                                       "%s; the host must give it a valid name (see "
                                       "xen-channel(7))",
                                       xc_name_rejection(c->name, c->name_len, c->name_verdict,
                                                         rejection, sizeof(rejection)));
                break;
        case XC_VERDICT_NAME_TAKEN:
                g_string_append_printf(h,
                                       "name owned by console-%d, which has the link: give "
                                       "each channel its own name on the host",
                                       c->owner);
                break;
        case XC_VERDICT_BACKEND:
                hint_backend(t, h, c);
                break;
        case XC_VERDICT_NO_TTY:
                g_string_append_printf(h,
                                       "it holds hvc slot %d, which has no tty (only "
                                       "hvc0..hvc%d exist): remove other consoles",
                                       c->slot, XC_HVC_TTYS - 1);
                break;
        case XC_VERDICT_LINK_BLOCKED:
                g_string_append_printf(
                        h,
                        "%s is not a link: the helper never removes what is not "
                        "its own; remove it, then run 'xen-channel-helper "
                        "sync' as root",
                        path);
                break;
        case XC_VERDICT_LINK_MISSING:
                g_string_append_printf(h, "no link %s: run 'xen-channel-helper sync' as root",
                                       path);
                break;
        case XC_VERDICT_LINK_WRONG:
                g_string_append_printf(h,
                                       "%s -> %s, but the console is hvc%d: run "
                                       "'xen-channel-helper sync' as root",
                                       path, target, c->slot);
                break;
        case XC_VERDICT_UDEV_MISSING:
                g_string_append_printf(
                        h,
                        "udev stored no XEN_CHANNEL_* properties, so agents "
                        "bound to its device unit do not start: run 'udevadm "
                        "trigger --action=change /sys/bus/xen/devices/console-%d' "
                        "as root",
                        c->devid);
                break;
        case XC_VERDICT_ORPHAN:
                break;
        }
        (void)st;
        return g_strdup(h->str);
}

static const char *orphan_hint = "no console carries this name: run 'xen-channel-helper sync' "
                                 "as root to remove it";

/* ---- text ----------------------------------------------------------------- */

static const char *name_column(const struct xc_console_report *c)
{
        if (!c->name_known)
                return "?";
        if (!c->name)
                return "-";
        return c->name_verdict == XEN_CHANNEL_NAME_OK ? c->name : "(rejected)";
}

static void print_text(struct tool *t, const struct xc_status *st, const char *name)
{
        int width = 4;

        for (size_t i = 0; i < st->n; i++)
                if (shown(&st->consoles[i], name))
                        width = MAX(width, (int)strlen(name_column(&st->consoles[i])));
        for (size_t i = 0; i < st->n; i++) {
                const struct xc_console_report *c = &st->consoles[i];
                g_autofree char *h = NULL;
                char dev[32], tty[16];

                if (!shown(c, name))
                        continue;
                snprintf(dev, sizeof(dev), "console-%d", c->devid);
                if (c->slot >= 0)
                        snprintf(tty, sizeof(tty), "hvc%d", c->slot);
                else
                        snprintf(tty, sizeof(tty), "-");
                h = hint(t, st, c);
                printf("%-10s  %-*s  %-5s  %s\n    %s\n", dev, width, name_column(c), tty,
                       xc_verdict_id(c->verdict), h);
        }
        for (size_t i = 0; i < st->n_orphans; i++) {
                if (name && strcmp(name, st->orphans[i].name))
                        continue;
                printf("%-10s  %-*s  %-5s  %s\n    %s\n", "link", width, st->orphans[i].name,
                       st->orphans[i].link, xc_verdict_id(XC_VERDICT_ORPHAN), orphan_hint);
        }
}

/* ---- JSON ----------------------------------------------------------------- */

/* A JSON string in the core's one escaping (C0, DEL and C1 as \u00XX). */
static void json_string_len(GString *out, const char *s, size_t len)
{
        g_autofree char *buf = g_malloc(XC_ESCAPED_MAX(len));

        g_string_append_c(out, '"');
        g_string_append(out, xc_escape_for_json(s, len, buf, XC_ESCAPED_MAX(len)));
        g_string_append_c(out, '"');
}

static void json_string(GString *out, const char *s)
{
        json_string_len(out, s, strlen(s));
}

static void json_str_or_null(GString *out, const char *s)
{
        if (s)
                json_string(out, s);
        else
                g_string_append(out, "null");
}

static void json_int_or_null(GString *out, int v)
{
        if (v >= 0)
                g_string_append_printf(out, "%d", v);
        else
                g_string_append(out, "null");
}

static const char *const sources[] = { NULL, "xenstore", "run-folder", "udev" };

static void json_udev(GString *out, const struct xc_console_report *c)
{
        const char *p = c->udev;
        bool first = true;

        if (!c->udev_known) {
                g_string_append(out, "null");
                return;
        }
        g_string_append_c(out, '{');
        while (p && *p) {
                const char *eq = strchr(p, '='), *nl = strchr(p, '\n');
                g_autofree char *k = g_strndup(p, (gsize)(eq - p));
                g_autofree char *v = g_strndup(eq + 1, (gsize)(nl - eq - 1));

                g_string_append(out, first ? "" : ", ");
                json_string(out, k);
                g_string_append(out, ": ");
                json_string(out, v);
                first = false;
                p = nl + 1;
        }
        g_string_append_c(out, '}');
}

static void json_console(struct tool *t, GString *out, const struct xc_status *st,
                         const struct xc_console_report *c)
{
        g_autofree char *h = hint(t, st, c);
        g_autofree char *path = c->name && c->name_verdict == XEN_CHANNEL_NAME_OK
                                        ? link_path(t, c->name)
                                        : NULL;

        g_string_append_printf(out, "{\"devid\": %d, \"device\": \"console-%d\", \"name\": ",
                               c->devid, c->devid);
        if (c->name)
                json_string_len(out, c->name, c->name_len);
        else
                g_string_append(out, "null");
        g_string_append(out, ", \"name_source\": ");
        json_str_or_null(out, c->name ? sources[c->name_source] : NULL);
        g_string_append(out, ", \"name_reason\": ");
        json_str_or_null(out, c->name && c->name_verdict != XEN_CHANNEL_NAME_OK
                                      ? xen_channel_name_verdict_str(c->name_verdict)
                                      : NULL);
        g_string_append(out, ", \"owner\": ");
        json_int_or_null(out, c->verdict == XC_VERDICT_NAME_TAKEN ? c->owner : -1);
        g_string_append_printf(out, ",\n    \"xenstore\": {\"present\": %s, \"backend\": ",
                               c->in_xenstore ? "true"
                               : st->xs_error ? "null"
                                              : "false");
        json_str_or_null(out, c->backend);
        g_string_append(out, ", \"backend_state\": ");
        json_int_or_null(out, c->backend_state);
        g_string_append_printf(out,
                               "},\n    \"sysfs\": {\"present\": %s, \"driver\": %s, "
                               "\"state\": ",
                               c->in_sysfs ? "true" : "false",
                               c->bound ? "\"xenconsole\"" : "null");
        json_int_or_null(out, c->fe_state);
        g_string_append(out, "},\n    \"slot\": ");
        json_int_or_null(out, c->slot);
        g_string_append(out, ", \"tty\": ");
        if (c->slot >= 0)
                g_string_append_printf(out, "\"hvc%d\"", c->slot);
        else
                g_string_append(out, "null");
        g_string_append(out, ", \"link\": {\"path\": ");
        json_str_or_null(out, path);
        g_string_append(out, ", \"target\": ");
        json_str_or_null(out, c->has_link ? c->link : NULL);
        g_string_append(out, "},\n    \"udev\": ");
        json_udev(out, c);
        g_string_append(out, ",\n    \"verdict\": ");
        json_string(out, xc_verdict_id(c->verdict));
        g_string_append(out, ", \"hint\": ");
        json_string(out, h);
        g_string_append_c(out, '}');
}

static void print_json(struct tool *t, const struct xc_status *st, const char *name, bool ok)
{
        g_autoptr(GString) out = g_string_new("{\"version\": 1, \"kernel\": ");
        bool first = true;

        json_string(out, kernel());
        g_string_append_printf(out,
                               ", \"ok\": %s, \"xenstore_error\": ", ok ? "true" : "false");
        json_str_or_null(out, st->xs_error ? st->xs_fault.text : NULL);
        g_string_append(out, ",\n  \"consoles\": [");
        for (size_t i = 0; i < st->n; i++) {
                if (!shown(&st->consoles[i], name))
                        continue;
                g_string_append(out, first ? "\n  " : ",\n  ");
                json_console(t, out, st, &st->consoles[i]);
                first = false;
        }
        g_string_append(out, "],\n  \"orphans\": [");
        first = true;
        for (size_t i = 0; i < st->n_orphans; i++) {
                g_autofree char *path = link_path(t, st->orphans[i].name);

                if (name && strcmp(name, st->orphans[i].name))
                        continue;
                g_string_append(out, first ? "\n  {\"path\": " : ",\n  {\"path\": ");
                json_string(out, path);
                g_string_append(out, ", \"target\": ");
                json_string(out, st->orphans[i].link);
                g_string_append(out, ", \"verdict\": \"link-orphaned\", \"hint\": ");
                json_string(out, orphan_hint);
                g_string_append_c(out, '}');
                first = false;
        }
        g_string_append(out, "]}\n");
        fputs(out->str, stdout);
}

/* ---- the command ---------------------------------------------------------- */

/* A xenstore that did not answer is worth a line; a user's lack of access
 * is not (it is what "unknown" says). */
static void say_xenstore(struct tool *t, const struct xc_status *st)
{
        g_autofree char *text = esc(st->xs_fault.text);
        int e = st->xs_error;

        if (!e || (geteuid() != 0 && (e == -EHOSTDOWN || e == -EACCES || e == -EPERM)))
                return;
        tool_error(t, "xenstore: %s", text);
}

/* 0 all right; 7 a problem; 8 something unknown; 4 NAME carried by nothing. */
static int verdict_exit(const struct xc_status *st, const char *name)
{
        bool any = false, bad = false, unknown = false;

        for (size_t i = 0; i < st->n; i++) {
                const struct xc_console_report *c = &st->consoles[i];

                if (!shown(c, name))
                        continue;
                any = true;
                /* For one NAME the question is its link: a loser of a
                 * clash does not keep the owner's link from being right. */
                bad |= problem(c->verdict) && !(name && c->verdict == XC_VERDICT_NAME_TAKEN);
                unknown |= c->verdict == XC_VERDICT_UNKNOWN;
        }
        for (size_t i = 0; i < st->n_orphans; i++) {
                if (name && strcmp(name, st->orphans[i].name))
                        continue;
                any = bad = true;
        }
        if (name && !any)
                return unknown ? EXIT_UNKNOWN : EXIT_ABSENT;
        return bad ? EXIT_NOT_LINKED : unknown ? EXIT_UNKNOWN : EXIT_OK;
}

int cmd_status(struct tool *t, int argc, char **argv)
{
        gboolean json = FALSE;
        GOptionEntry entries[] = {
                { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
                  "Print one JSON object (see xen-channel(1))", NULL },
                { NULL },
        };
        const char *name;
        struct xc_status st;
        int r;

        r = tool_parse(t, "status", "[NAME]",
                       "Say for every console whether it is a channel, "
                       "where it is, and why it is not at /dev/xen-channel/NAME.",
                       entries, &argc, &argv, 0, 1);
        if (r >= 0)
                return r;
        name = argc > 1 ? argv[1] : NULL;
        if (name && tool_check_name(t, name) != 0)
                return EXIT_BAD_NAME;
        r = xc_status_collect(t->ctx, &st);
        if (r < 0) {
                g_autofree char *text = esc(xc_last_error(t->ctx)->text);

                tool_error(t, "cannot gather the status: %s", text);
                return EXIT_FAIL;
        }
        say_xenstore(t, &st);
        r = verdict_exit(&st, name);
        if (json)
                print_json(t, &st, name, r == EXIT_OK);
        else
                print_text(t, &st, name);
        if (!json && r == EXIT_ABSENT)
                tool_error(t, "no console carries %s, and no link has that name", name);
        xc_status_free(&st);
        return fflush(stdout) == 0 ? r : EXIT_FAIL;
}
