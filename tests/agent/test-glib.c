/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxenchannel-glib under a GMainLoop: async wait/open, cancellation, and
 * the watch across hangups and vanishing links. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>
#include <libxenchannel-glib.h>

#include "fake-channel.h"

#define NAME "org.example.agent.0"

typedef struct {
        struct fake_dev dev;
        struct fake_pty pty;
        GMainLoop *loop;
        GError *error;
        gboolean ok;
        gint fd;
        gint connects, disconnects;
        gint last_fd;
        gboolean free_in_callback;
        gboolean disconnect_in_callback;
        gint probe_fd;
        XenChannelWatch *watch;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
        fake_dev_init(&f->dev);
        fake_pty_open(&f->pty);
        fake_dev_hvc(&f->dev, 2, f->pty.path);
        f->loop = g_main_loop_new(NULL, FALSE);
        f->fd = -1;
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
        g_clear_error(&f->error);
        g_main_loop_unref(f->loop);
        fake_pty_close(&f->pty);
        fake_dev_cleanup(&f->dev);
}

static gboolean make_link(gpointer data)
{
        Fixture *f = data;

        fake_dev_link(&f->dev, NAME, "../hvc2");
        return G_SOURCE_REMOVE;
}

static gboolean give_up(gpointer data)
{
        g_error("test timed out");
        return G_SOURCE_REMOVE;
}

static void run(Fixture *f)
{
        guint id = g_timeout_add_seconds(10, give_up, f);

        g_main_loop_run(f->loop);
        g_source_remove(id);
}

static void wait_done(GObject *src, GAsyncResult *res, gpointer data)
{
        Fixture *f = data;

        f->ok = xen_channel_wait_finish(res, &f->error);
        g_main_loop_quit(f->loop);
}

static void open_done(GObject *src, GAsyncResult *res, gpointer data)
{
        Fixture *f = data;

        f->fd = xen_channel_open_finish(res, &f->error);
        g_main_loop_quit(f->loop);
}

static void test_wait_appears(Fixture *f, gconstpointer data)
{
        gint64 t0 = g_get_monotonic_time();

        g_timeout_add(100, make_link, f);
        xen_channel_wait_async(f->dev.ctx, NAME, -1, NULL, wait_done, f);
        run(f);
        g_assert_no_error(f->error);
        g_assert_true(f->ok);
        g_assert_cmpint(g_get_monotonic_time() - t0, >=, 90 * 1000);
        /* already there: completes from the main loop, not inside the call */
        f->ok = FALSE;
        xen_channel_wait_async(f->dev.ctx, NAME, 0, NULL, wait_done, f);
        g_assert_false(f->ok);
        run(f);
        g_assert_true(f->ok);
}

static void test_wait_timeout(Fixture *f, gconstpointer data)
{
        gint64 t0 = g_get_monotonic_time();

        xen_channel_wait_async(f->dev.ctx, NAME, 150, NULL, wait_done, f);
        run(f);
        g_assert_error(f->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
        g_assert_false(f->ok);
        g_assert_cmpint(g_get_monotonic_time() - t0, >=, 140 * 1000);
        g_clear_error(&f->error);
        xen_channel_wait_async(f->dev.ctx, NAME, 0, NULL, wait_done, f);
        run(f);
        g_assert_error(f->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

static gboolean do_cancel(gpointer data)
{
        g_cancellable_cancel(data);
        return G_SOURCE_REMOVE;
}

static void test_wait_cancel(Fixture *f, gconstpointer data)
{
        GCancellable *c = g_cancellable_new();

        g_timeout_add(50, do_cancel, c);
        xen_channel_wait_async(f->dev.ctx, NAME, -1, c, wait_done, f);
        run(f);
        g_assert_error(f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
        g_clear_error(&f->error);
        /* cancelled before the call */
        xen_channel_open_async(f->dev.ctx, NAME, -1, 0, c, open_done, f);
        run(f);
        g_assert_error(f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
        g_assert_cmpint(f->fd, ==, -1);
        g_object_unref(c);
        /* the link appearing later must not touch the finished task */
        make_link(f);
        g_main_context_iteration(NULL, FALSE);
}

static void count_done(GObject *src, GAsyncResult *res, gpointer data)
{
        Fixture *f = data;

        f->ok = xen_channel_wait_finish(res, &f->error);
        f->connects++;
}

/* The callback runs in the thread-default context of the caller, only
 * there, and only once; a cancel after completion changes nothing. */
static void test_wait_thread_default_context(Fixture *f, gconstpointer data)
{
        GMainContext *mine = g_main_context_new();
        GCancellable *c = g_cancellable_new();

        make_link(f);
        g_main_context_push_thread_default(mine);
        xen_channel_wait_async(f->dev.ctx, NAME, -1, c, count_done, f);
        g_main_context_pop_thread_default(mine);
        while (g_main_context_iteration(NULL, FALSE))
                ;
        g_assert_cmpint(f->connects, ==, 0);
        while (f->connects == 0)
                g_main_context_iteration(mine, TRUE);
        g_assert_true(f->ok);
        g_cancellable_cancel(c);
        while (g_main_context_iteration(mine, FALSE))
                ;
        g_assert_cmpint(f->connects, ==, 1);
        g_assert_no_error(f->error);
        g_object_unref(c);
        g_main_context_unref(mine);
}

static void test_invalid_name(Fixture *f, gconstpointer data)
{
        xen_channel_wait_async(f->dev.ctx, "../x", -1, NULL, wait_done, f);
        run(f);
        g_assert_error(f->error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        g_assert_nonnull(strstr(f->error->message, "../x"));
}

static void test_open(Fixture *f, gconstpointer data)
{
        struct termios t;
        char buf[4];

        g_timeout_add(50, make_link, f);
        xen_channel_open_async(f->dev.ctx, NAME, 5000, XEN_CHANNEL_OPEN_NONBLOCK, NULL,
                               open_done, f);
        run(f);
        g_assert_no_error(f->error);
        g_assert_cmpint(f->fd, >=, 0);
        g_assert_cmpint(tcgetattr(f->fd, &t), ==, 0);
        g_assert_cmpint(t.c_lflag & (ECHO | ICANON), ==, 0);
        g_assert_true(fcntl(f->fd, F_GETFL) & O_NONBLOCK);
        g_assert_cmpint(write(f->pty.master, "a\rb", 3), ==, 3);
        g_usleep(50 * 1000);
        g_assert_cmpint(read(f->fd, buf, sizeof(buf)), ==, 3);
        g_assert_cmpmem(buf, 3, "a\rb", 3);
        close(f->fd);
}

static void test_open_errors(Fixture *f, gconstpointer data)
{
        /* a valid name with unknown flags: say what is wrong, not "invalid
         * channel name" */
        make_link(f);
        xen_channel_open_async(f->dev.ctx, NAME, 0, 0x80, NULL, open_done, f);
        run(f);
        g_assert_error(f->error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        g_assert_null(strstr(f->error->message, "invalid channel name"));
        g_assert_nonnull(strstr(f->error->message, "flags"));
        g_assert_cmpint(f->fd, ==, -1);
        g_clear_error(&f->error);
        fake_dev_unlink(&f->dev, NAME);
        xen_channel_open_async(f->dev.ctx, NAME, 0, 0, NULL, open_done, f);
        run(f);
        g_assert_error(f->error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
        g_clear_error(&f->error);
        fake_dev_link(&f->dev, NAME, "../hvc6"); /* dangling */
        xen_channel_open_async(f->dev.ctx, NAME, 0, 0, NULL, open_done, f);
        run(f);
        g_assert_nonnull(f->error);
        g_assert_nonnull(strstr(f->error->message, "dangling"));
        g_assert_cmpint(f->fd, ==, -1);
}

static void on_connected(XenChannelWatch *w, const gchar *name, gint fd, gpointer data)
{
        Fixture *f = data;

        g_assert_cmpstr(name, ==, NAME);
        g_assert_cmpint(xen_channel_watch_get_fd(w), ==, fd);
        f->connects++;
        f->last_fd = fd;
        g_main_loop_quit(f->loop);
}

static void on_disconnected(XenChannelWatch *w, const gchar *name, gpointer data)
{
        Fixture *f = data;

        f->disconnects++;
        /* the fd is still open during the callback */
        g_assert_cmpint(fcntl(f->last_fd, F_GETFD), >=, 0);
        if (f->disconnect_in_callback)
                xen_channel_watch_disconnect(w); /* must be a no-op */
        if (f->free_in_callback) {
                xen_channel_watch_free(w);
                f->watch = NULL;
                /* take the lowest number from the channel's up: the
                 * channel's own if the free closed it already; nobody may
                 * close our fd behind our back after this */
                gint null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

                f->probe_fd = fcntl(null_fd, F_DUPFD_CLOEXEC, f->last_fd);
                close(null_fd);
        }
        g_main_loop_quit(f->loop);
}

static void test_watch(Fixture *f, gconstpointer data)
{
        g_autoptr(GError) error = NULL;
        XenChannelWatch *w;
        char c;

        w = xen_channel_watch_new(f->dev.ctx, NAME, XEN_CHANNEL_OPEN_NONBLOCK, on_connected,
                                  on_disconnected, f, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpint(xen_channel_watch_get_fd(w), ==, -1);
        g_timeout_add(50, make_link, f);
        run(f);
        g_assert_cmpint(f->connects, ==, 1);

        /* a hangup (the backend went away) */
        g_assert_cmpint(write(f->last_fd, "x", 1), ==, 1);
        g_assert_cmpint(read(f->pty.master, &c, 1), ==, 1);
        fake_pty_close(&f->pty);
        /* the pts number is free for any process now: point at nothing */
        fake_dev_hvc(&f->dev, 2, "/nonexistent/pts");
        run(f);
        g_assert_cmpint(f->disconnects, ==, 1);
        g_assert_cmpint(xen_channel_watch_get_fd(w), ==, -1);

        /* it comes back behind the same link: the watch retries and finds it */
        fake_pty_open(&f->pty);
        fake_dev_hvc(&f->dev, 2, f->pty.path);
        run(f);
        g_assert_cmpint(f->connects, ==, 2);

        /* the link vanishes, then comes back */
        fake_dev_unlink(&f->dev, NAME);
        run(f);
        g_assert_cmpint(f->disconnects, ==, 2);
        make_link(f);
        run(f);
        g_assert_cmpint(f->connects, ==, 3);

        /* asked to drop the connection */
        xen_channel_watch_disconnect(w);
        g_assert_cmpint(f->disconnects, ==, 3);
        run(f);
        g_assert_cmpint(f->connects, ==, 4);
        xen_channel_watch_free(w);
        g_assert_cmpint(f->disconnects, ==, 3);
}

static void test_watch_free_in_callback(Fixture *f, gconstpointer data)
{
        g_autoptr(GError) error = NULL;

        make_link(f);
        f->watch = xen_channel_watch_new(f->dev.ctx, NAME, 0, on_connected, on_disconnected, f,
                                         NULL, &error);
        g_assert_no_error(error);
        run(f);
        g_assert_cmpint(f->connects, ==, 1);
        f->free_in_callback = TRUE;
        fake_pty_close(&f->pty);
        run(f);
        g_assert_null(f->watch);
        g_assert_cmpint(f->disconnects, ==, 1);
        /* the channel fd was closed once, not a second time after the
         * callback (which would have closed our /dev/null) */
        g_assert_cmpint(f->probe_fd, >=, 0);
        g_assert_cmpint(fcntl(f->probe_fd, F_GETFD), >=, 0);
        if (f->probe_fd != f->last_fd)
                g_assert_cmpint(fcntl(f->last_fd, F_GETFD), ==, -1);
        close(f->probe_fd);
        /* nothing left that would fire */
        g_assert_false(g_main_context_iteration(NULL, FALSE));
}

/* xen_channel_watch_disconnect() from inside disconnected() does nothing
 * (it used to call disconnected() again, without end). */
static void test_watch_disconnect_in_callback(Fixture *f, gconstpointer data)
{
        g_autoptr(GError) error = NULL;
        XenChannelWatch *w;

        make_link(f);
        w = xen_channel_watch_new(f->dev.ctx, NAME, 0, on_connected, on_disconnected, f, NULL,
                                  &error);
        g_assert_no_error(error);
        run(f);
        g_assert_cmpint(f->connects, ==, 1);
        f->disconnect_in_callback = TRUE;
        xen_channel_watch_disconnect(w);
        g_assert_cmpint(f->disconnects, ==, 1);
        g_assert_cmpint(xen_channel_watch_get_fd(w), ==, -1);
        run(f);
        g_assert_cmpint(f->connects, ==, 2);
        xen_channel_watch_free(w);
}

static void test_watch_errors(Fixture *f, gconstpointer data)
{
        g_autoptr(GError) error = NULL;

        g_assert_null(
                xen_channel_watch_new(f->dev.ctx, "a..b", 0, NULL, NULL, NULL, NULL, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        g_clear_error(&error);
        /* unknown flags: refused now, not retried with a backoff forever */
        g_assert_null(
                xen_channel_watch_new(f->dev.ctx, NAME, 0x80, NULL, NULL, NULL, NULL, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        ADD("/agent-glib/wait/appears", test_wait_appears);
        ADD("/agent-glib/wait/timeout", test_wait_timeout);
        ADD("/agent-glib/wait/cancel", test_wait_cancel);
        ADD("/agent-glib/wait/invalid-name", test_invalid_name);
        ADD("/agent-glib/wait/thread-default-context", test_wait_thread_default_context);
        ADD("/agent-glib/open/raw", test_open);
        ADD("/agent-glib/open/errors", test_open_errors);
        ADD("/agent-glib/watch/lifecycle", test_watch);
        ADD("/agent-glib/watch/free-in-callback", test_watch_free_in_callback);
        ADD("/agent-glib/watch/disconnect-in-callback", test_watch_disconnect_in_callback);
        ADD("/agent-glib/watch/errors", test_watch_errors);
        return g_test_run();
}
