/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xen-channel-example-agent: a small in-guest agent on a GMainLoop.
 *
 * It keeps its channel open with a XenChannelWatch (so migrations and
 * backend restarts are handled: the watch reopens), greets the host on every
 * (re)connection, waits for the host's HELLO, then answers one request per
 * line. The protocol is in examples/README.md.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>
#include <libxenchannel-glib.h>

#define PROTO_VERSION "1"
#define LINE_MAX_BYTES 4096
/* Backpressure: with more replies than this unsent, stop reading requests
 * (the host then blocks on its writes) until they drain below OUT_LOW. A host
 * that floods requests and never reads cannot make the agent grow. */
#define OUT_HIGH (64 * 1024)
#define OUT_LOW (16 * 1024)

typedef struct {
        GMainLoop *loop;
        XenChannelWatch *watch;
        gint fd;
        guint in_id, out_id;
        GString *in, *out;
        gboolean greeted;    /* the host said HELLO on this connection */
        gboolean discarding; /* dropping the rest of an overlong line */
        gboolean paused;     /* input not read: too many replies unsent */
        gint64 started;
        guint sessions;
} Agent;

static void flush_out(Agent *a);
static void process_input(Agent *a);
static gboolean on_readable(gint fd, GIOCondition cond, gpointer data);

static gboolean backlogged(const Agent *a)
{
        return a->out->len >= OUT_HIGH;
}

/* The host read enough: serve the requests already read, then read again. */
static void resume_input(Agent *a)
{
        a->paused = FALSE;
        process_input(a);
        if (a->paused || a->fd < 0)
                return;
        a->in_id = g_unix_fd_add(a->fd, G_IO_IN, on_readable, a);
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data)
{
        Agent *a = data;

        a->out_id = 0;
        flush_out(a);
        if (a->paused && a->out->len <= OUT_LOW)
                resume_input(a);
        return G_SOURCE_REMOVE;
}

/* Write what the channel takes now; wait for G_IO_OUT for the rest (the fd
 * is non-blocking: a host that does not read must not stall the loop). */
static void flush_out(Agent *a)
{
        while (a->out->len > 0 && a->fd >= 0) {
                ssize_t n = write(a->fd, a->out->str, a->out->len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) {
                        if (!a->out_id)
                                a->out_id = g_unix_fd_add(a->fd, G_IO_OUT, on_writable, a);
                        return;
                }
                if (n < 0)
                        return; /* EIO: a hangup; the watch reports it */
                g_string_erase(a->out, 0, n);
        }
}

static void reply(Agent *a, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void reply(Agent *a, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        g_string_append_vprintf(a->out, fmt, ap);
        va_end(ap);
        g_string_append_c(a->out, '\n');
        flush_out(a);
}

static void handle(Agent *a, char *line)
{
        char *arg = strchr(line, ' ');
        char host[256];

        if (arg)
                *arg++ = '\0';
        if (!strcmp(line, "HELLO")) {
                if (!arg || strcmp(arg, PROTO_VERSION) != 0) {
                        reply(a, "ERR unsupported version (this agent speaks %s)",
                              PROTO_VERSION);
                        return;
                }
                a->greeted = TRUE;
                reply(a, "OK ready");
        } else if (!a->greeted) {
                reply(a, "ERR say HELLO " PROTO_VERSION " first");
        } else if (!strcmp(line, "PING")) {
                reply(a, "PONG");
        } else if (!strcmp(line, "ECHO")) {
                reply(a, "OK %s", arg ? arg : "");
        } else if (!strcmp(line, "HOSTNAME")) {
                if (gethostname(host, sizeof(host)) < 0)
                        reply(a, "ERR %s", g_strerror(errno));
                else
                        reply(a, "OK %.*s", (int)sizeof(host), host);
        } else if (!strcmp(line, "UPTIME")) {
                reply(a, "OK %" G_GINT64_FORMAT,
                      (g_get_monotonic_time() - a->started) / G_USEC_PER_SEC);
        } else if (!strcmp(line, "SESSIONS")) {
                reply(a, "OK %u", a->sessions);
        } else {
                reply(a, "ERR unknown request");
        }
}

/* Split the input into lines; a CR before the LF is tolerated. Stops with
 * lines left in a->in when the replies back up (see OUT_HIGH). */
static void process_input(Agent *a)
{
        char *nl;

        while ((nl = memchr(a->in->str, '\n', a->in->len))) {
                gsize len = (gsize)(nl - a->in->str);

                if (backlogged(a)) {
                        a->paused = TRUE;
                        return;
                }
                *nl = '\0';
                if (len && a->in->str[len - 1] == '\r')
                        a->in->str[len - 1] = '\0';
                if (len > LINE_MAX_BYTES && !a->discarding)
                        reply(a, "ERR line too long");
                else if (!a->discarding)
                        handle(a, a->in->str);
                a->discarding = FALSE;
                g_string_erase(a->in, 0, len + 1);
        }
        if (a->in->len > LINE_MAX_BYTES) {
                if (!a->discarding)
                        reply(a, "ERR line too long");
                a->discarding = TRUE;
                g_string_truncate(a->in, 0);
        }
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
        Agent *a = data;
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return G_SOURCE_CONTINUE;
        if (n <= 0) {
                /* EOF or EIO: the channel hung up. The watch calls
                 * on_disconnected, which removes this source. */
                xen_channel_watch_disconnect(a->watch);
                return G_SOURCE_REMOVE;
        }
        g_string_append_len(a->in, buf, n);
        process_input(a);
        if (!a->paused && backlogged(a))
                a->paused = TRUE;
        if (a->paused) {
                a->in_id = 0; /* on_writable resumes */
                return G_SOURCE_REMOVE;
        }
        return G_SOURCE_CONTINUE;
}

static void on_connected(XenChannelWatch *w, const gchar *name, gint fd, gpointer data)
{
        Agent *a = data;

        g_message("channel %s connected", name);
        a->fd = fd;
        a->sessions++;
        a->greeted = FALSE;
        a->discarding = FALSE;
        a->paused = FALSE;
        g_string_truncate(a->in, 0);
        g_string_truncate(a->out, 0);
        a->in_id = g_unix_fd_add(fd, G_IO_IN, on_readable, a);
        reply(a, "HELLO " PROTO_VERSION " %s", name);
}

static void on_disconnected(XenChannelWatch *w, const gchar *name, gpointer data)
{
        Agent *a = data;

        g_message("channel %s hung up or went away; waiting for it to come back", name);
        g_clear_handle_id(&a->in_id, g_source_remove);
        g_clear_handle_id(&a->out_id, g_source_remove);
        a->fd = -1;
}

static gboolean on_signal(gpointer data)
{
        g_main_loop_quit(((Agent *)data)->loop);
        return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
        g_autofree char *dev_dir = NULL;
        GOptionEntry entries[] = {
                { "dev-dir", 0, 0, G_OPTION_ARG_FILENAME, &dev_dir,
                  "Folder holding xen-channel/ (default /dev; for tests)", "DIR" },
                { NULL },
        };
        g_autoptr(GOptionContext) oc = g_option_context_new("[NAME]");
        g_autoptr(GError) error = NULL;
        struct xen_channel_ctx *ctx;
        const char *name = "org.example.agent.0";
        Agent a = { .fd = -1 };

        g_option_context_set_summary(oc, "Example agent: answers PING/ECHO/HOSTNAME/UPTIME "
                                         "on the Xen channel NAME\n(default "
                                         "org.example.agent.0). See examples/README.md.");
        g_option_context_add_main_entries(oc, entries, NULL);
        if (!g_option_context_parse(oc, &argc, &argv, &error) || argc > 2) {
                fprintf(stderr, "%s\n", error ? error->message : "too many arguments");
                return 2;
        }
        if (argc == 2)
                name = argv[1];
        if (xen_channel_ctx_new(&ctx) < 0 ||
            (dev_dir && xen_channel_ctx_set_dev_dir(ctx, dev_dir) < 0)) {
                fprintf(stderr, "cannot set up libxenchannel (--dev-dir must be absolute)\n");
                return 1;
        }
        a.loop = g_main_loop_new(NULL, FALSE);
        a.in = g_string_new(NULL);
        a.out = g_string_new(NULL);
        a.started = g_get_monotonic_time();
        a.watch = xen_channel_watch_new(ctx, name, XEN_CHANNEL_OPEN_NONBLOCK, on_connected,
                                        on_disconnected, &a, NULL, &error);
        xen_channel_ctx_unref(ctx);
        if (!a.watch) {
                fprintf(stderr, "%s\n", error->message);
                return 1;
        }
        g_message("waiting for channel %s", name);
        g_unix_signal_add(SIGTERM, on_signal, &a);
        g_unix_signal_add(SIGINT, on_signal, &a);
        g_main_loop_run(a.loop);
        g_clear_handle_id(&a.in_id, g_source_remove);
        g_clear_handle_id(&a.out_id, g_source_remove);
        xen_channel_watch_free(a.watch);
        g_string_free(a.in, TRUE);
        g_string_free(a.out, TRUE);
        g_main_loop_unref(a.loop);
        return 0;
}
