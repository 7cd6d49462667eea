/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xen-channel connect NAME: a tiny socat between stdin/stdout and a channel
 * in raw mode, for shell agents and for debugging.
 *
 * stdin -> channel, channel -> stdout, byte for byte. At end of stdin the
 * tool keeps copying from the channel until it has been quiet for --linger
 * seconds (so that `printf 'PING\n' | xen-channel connect NAME` shows the
 * answer), then exits 0. A hangup of the channel ends it with status 6; a
 * closed stdout (EPIPE; SIGPIPE is ignored) ends it quietly with 0.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

enum { BUF = 65536 };

/* What stdin gave and the channel has not taken yet. */
struct pending {
        char data[BUF];
        size_t off, len;
};

static int write_all(int fd, const char *p, size_t len)
{
        while (len) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Channel -> stdout. -1 to go on, else an exit code. The channel fd is
 * non-blocking, so a POLLHUP with data still queued is read to the end
 * first: then read() says 0 or EIO. */
static int from_channel(struct tool *t, const char *name, int ch, short revents)
{
        static char buf[BUF];
        ssize_t n = read(ch, buf, sizeof(buf));
        int r;

        if (n < 0 && (errno == EINTR || errno == EAGAIN) && !(revents & (POLLHUP | POLLERR)))
                return -1;
        if (n <= 0) {
                tool_error(t,
                           "channel %s hung up (migration or backend restart?); "
                           "connect again",
                           name);
                return EXIT_HANGUP;
        }
        r = write_all(STDOUT_FILENO, buf, (size_t)n);
        if (r == -EPIPE)
                return EXIT_OK; /* nobody reads our output any more */
        if (r < 0) {
                tool_error(t, "writing to stdout: %s", g_strerror(-r));
                return EXIT_FAIL;
        }
        return -1;
}

/* Pending stdin bytes -> channel, as much as it takes now. */
static int to_channel(struct tool *t, const char *name, int ch, struct pending *in)
{
        ssize_t n = write(ch, in->data + in->off, in->len);

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return -1;
        if (n < 0) {
                tool_error(t, "writing to channel %s: %s", name, g_strerror(errno));
                return errno == EIO ? EXIT_HANGUP : EXIT_FAIL;
        }
        in->off += (size_t)n;
        in->len -= (size_t)n;
        if (!in->len)
                in->off = 0;
        return -1;
}

/* Copy both ways without ever blocking on the channel: a host that echoes
 * while we write would otherwise fill the other direction and deadlock us.
 * stdin is read only when the channel took everything before (so memory
 * stays bounded and a slow channel slows the writer down). */
static int bridge(struct tool *t, const char *name, int ch, int linger_ms)
{
        static struct pending in;
        gboolean in_open = TRUE;

        for (;;) {
                struct pollfd pfd[2] = {
                        { .fd = ch, .events = POLLIN | (in.len ? POLLOUT : 0) },
                        { .fd = in_open && !in.len ? STDIN_FILENO : -1, .events = POLLIN },
                };
                int r = poll(pfd, 2, in_open || in.len ? -1 : linger_ms);
                ssize_t n;

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        tool_error(t, "poll: %s", g_strerror(errno));
                        return EXIT_FAIL;
                }
                if (r == 0)
                        return EXIT_OK; /* stdin done, channel quiet */
                if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        r = from_channel(t, name, ch, pfd[0].revents);
                        if (r >= 0)
                                return r;
                }
                if (pfd[0].revents & POLLOUT) {
                        r = to_channel(t, name, ch, &in);
                        if (r >= 0)
                                return r;
                }
                if (pfd[1].revents) {
                        n = read(STDIN_FILENO, in.data, sizeof(in.data));
                        if (n > 0)
                                in.len = (size_t)n;
                        else if (n == 0)
                                in_open = FALSE; /* EOF: linger, then 0 */
                        else if (errno != EINTR && errno != EAGAIN) {
                                tool_error(t, "reading stdin: %s", g_strerror(errno));
                                return EXIT_FAIL;
                        }
                }
        }
}

int cmd_connect(struct tool *t, int argc, char **argv)
{
        g_autofree char *timeout = NULL, *linger = NULL;
        GOptionEntry entries[] = {
                { "timeout", 't', 0, G_OPTION_ARG_STRING, &timeout,
                  "Wait up to SECONDS for the channel to appear (\"forever\" allowed; "
                  "default: 0, it must be there)",
                  "SECONDS" },
                { "linger", 'l', 0, G_OPTION_ARG_STRING, &linger,
                  "After end of input, keep printing what the channel sends until it is "
                  "quiet for SECONDS (default 0.5)",
                  "SECONDS" },
                { NULL },
        };
        int ms = 0, linger_ms = 500, fd, r;

        r = tool_parse(t, "connect", "NAME",
                       "Copy stdin to the channel NAME and the channel to stdout, in raw "
                       "mode.\nExit status 0 at end of input, 4 when the channel is absent, "
                       "5 when it cannot be\nopened, 6 when it hung up.",
                       entries, &argc, &argv, 1, 1);
        if (r >= 0)
                return r;
        if ((timeout && !tool_parse_timeout(timeout, &ms)) ||
            (linger && (!tool_parse_timeout(linger, &linger_ms) || linger_ms < 0))) {
                tool_error(t, "connect: invalid duration \"%s\": give seconds (e.g. 5, 0.5)",
                           timeout && !tool_parse_timeout(timeout, &ms) ? timeout : linger);
                return EXIT_USAGE;
        }
        r = tool_check_name(t, argv[1]);
        if (r)
                return r;
        t->timeout = timeout;
        fd = xen_channel_open(t->ctx, argv[1], ms, XEN_CHANNEL_OPEN_NONBLOCK);
        if (fd < 0)
                return tool_fail(t, argv[1], fd);
        signal(SIGPIPE, SIG_IGN);
        r = bridge(t, argv[1], fd, linger_ms);
        close(fd);
        return r;
}
