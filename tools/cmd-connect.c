/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xen-channel connect NAME: a tiny socat between stdin/stdout and a channel
 * in raw mode, for shell agents and for debugging.
 *
 * stdin -> channel, channel -> stdout, byte for byte. At end of stdin the
 * tool keeps copying from the channel until it has been quiet for --linger
 * seconds (so that `printf 'PING\n' | xen-channel connect NAME` shows the
 * answer), then exits 0. A hangup of the channel ends it with status 6.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

enum { BUF = 65536 };

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

/* Copy what is readable on from to to. 1 copied, 0 EOF, -errno (read side
 * errors are -EIO-ish, write side errors come back as -EPIPE etc.). */
static int copy_once(int from, int to, int *werr)
{
        static char buf[BUF];
        ssize_t n = read(from, buf, sizeof(buf));

        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : -errno;
        if (n == 0)
                return 0;
        *werr = write_all(to, buf, (size_t)n);
        return 1;
}

static int bridge(struct tool *t, const char *name, int ch, int linger_ms)
{
        gboolean in_open = TRUE;

        for (;;) {
                struct pollfd pfd[2] = {
                        { .fd = ch, .events = POLLIN },
                        { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
                };
                int werr = 0, r;

                r = poll(pfd, 2, in_open ? -1 : linger_ms);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        tool_error(t, "poll: %s", g_strerror(errno));
                        return EXIT_FAIL;
                }
                if (r == 0)
                        return EXIT_OK;         /* stdin done, channel quiet */
                if (pfd[0].revents) {
                        r = copy_once(ch, STDOUT_FILENO, &werr);
                        if (r <= 0 || (r == 1 && !(pfd[0].revents & POLLIN))) {
                                tool_error(t, "channel %s hung up (migration or backend "
                                           "restart?); connect again", name);
                                return EXIT_HANGUP;
                        }
                        if (werr == -EPIPE)
                                return EXIT_OK; /* nobody reads our output */
                        if (werr) {
                                tool_error(t, "writing to stdout: %s", g_strerror(-werr));
                                return EXIT_FAIL;
                        }
                }
                if (pfd[1].revents) {
                        r = copy_once(STDIN_FILENO, ch, &werr);
                        if (r <= 0)
                                in_open = FALSE;
                        if (werr) {
                                tool_error(t, "writing to channel %s: %s", name,
                                           g_strerror(-werr));
                                return werr == -EIO ? EXIT_HANGUP : EXIT_FAIL;
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
                  "default: 0, it must be there)", "SECONDS" },
                { "linger", 'l', 0, G_OPTION_ARG_STRING, &linger,
                  "After end of input, keep printing what the channel sends until it is "
                  "quiet for SECONDS (default 0.5)", "SECONDS" },
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
        fd = xen_channel_open(t->ctx, argv[1], ms, 0);
        if (fd == -ENOENT || fd == -ETIMEDOUT) {
                if (ms == 0)
                        tool_error(t, "channel %s is not present (use --timeout to wait "
                                   "for it)", argv[1]);
                else
                        tool_error(t, "channel %s did not appear within %s s", argv[1],
                                   timeout);
                tool_explain_absent(t, argv[1]);
                return EXIT_ABSENT;
        }
        if (fd < 0) {
                tool_error(t, "cannot open channel %s: %s", argv[1],
                           fd == -ENODEV ? "its link dangles or no console is behind "
                                           "its tty" : g_strerror(-fd));
                return fd == -ENODEV || fd == -ENOTTY ? EXIT_NO_CONSOLE : EXIT_FAIL;
        }
        signal(SIGPIPE, SIG_IGN);
        r = bridge(t, argv[1], fd, linger_ms);
        close(fd);
        return r;
}
