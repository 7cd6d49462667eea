/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xen-channel supervise NAME -- CMD [ARGS...]: run an agent that cannot
 * reconnect by itself, and end it when its channel hangs up.
 *
 * A channel tty hangs up on every save/restore and migration (the kernel
 * re-creates the console) and no device event says so. An agent such as
 * qemu-ga 7.2 reads end-of-file and then stays deaf. So we hold a fd of our
 * own on the same tty, never read it and never touch its termios: poll()
 * with no events still reports POLLHUP/POLLERR, which is all we need. On a
 * hangup, or when the link goes away or is pointed elsewhere, CMD gets
 * SIGTERM (SIGKILL after --kill-after) and we exit non-zero: the service
 * manager's restart (Restart= in the unit) brings CMD back on the new tty.
 * When CMD ends on its own we exit with its status, except when it died of a
 * stop signal we passed on: then we die of that signal too, as a shell does,
 * for systemd counts a stop that ends in exit 128+15 as failed and one that
 * ends in death by SIGTERM as clean.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"

struct supervisor {
        struct tool *t;
        const char *name;
        struct xen_channel_monitor *mon;
        int tty;    /* our own fd on the channel: polled, never read */
        int sigfd;  /* SIGCHLD and the signals we forward */
        pid_t pid;  /* CMD */
        int status; /* CMD's wait status, once reaped */
        int kill_ms;
        sigset_t saved_mask; /* restored in CMD */
        sigset_t received;   /* the signals we passed on to CMD */
        int die_sig;         /* the one CMD died of by itself, to die of too */
};

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP };

/* Why open() gave fd (errno when it failed). */
static const char *open_failure(int fd)
{
        if (fd >= 0)
                return "not a tty";
        if (errno == ENOENT)
                return "its link dangles";
        if (errno == ENODEV || errno == ENXIO)
                return "no console behind its tty";
        return g_strerror(errno);
}

/* The tty behind the channel's link, opened read-only without changing its
 * termios: the agent owns the tty's mode. Only a link of the helper's form
 * (../hvcN, as xen_channel_list reports it) is followed. */
static int open_watch(struct supervisor *s)
{
        struct xen_channel_info *list = NULL;
        char path[PATH_MAX] = "";
        size_t n = 0;
        int r = xen_channel_list(s->t->ctx, &list, &n);

        for (size_t i = 0; r == 0 && i < n && !path[0]; i++)
                if (!strcmp(list[i].name, s->name))
                        xc_tty_path(s->t->ctx, xc_parse_tty(list[i].tty), path, sizeof(path));
        free(list);
        if (!path[0]) {
                tool_error(s->t,
                           "channel %s: its link does not point at ../hvcN; not "
                           "opened",
                           s->name);
                return EXIT_NO_CONSOLE;
        }
        s->tty = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (s->tty < 0 || !isatty(s->tty)) {
                tool_error(s->t, "cannot open channel %s (%s): %s", s->name, path,
                           open_failure(s->tty));
                return EXIT_NO_CONSOLE;
        }
        return -1;
}

/* Block the signals we handle (they are read from sigfd) before CMD exists,
 * so that none is lost between fork() and the first poll(). */
static int take_signals(struct supervisor *s)
{
        sigset_t mask;

        sigemptyset(&s->received);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        for (size_t i = 0; i < G_N_ELEMENTS(forwarded); i++)
                sigaddset(&mask, forwarded[i]);
        if (sigprocmask(SIG_BLOCK, &mask, &s->saved_mask) < 0)
                return -errno;
        s->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        return s->sigfd < 0 ? -errno : 0;
}

static int spawn(struct supervisor *s, char **cmd)
{
        s->pid = fork();
        if (s->pid < 0) {
                tool_error(s->t, "fork: %s", g_strerror(errno));
                return EXIT_FAIL;
        }
        if (s->pid == 0) {
                sigprocmask(SIG_SETMASK, &s->saved_mask, NULL);
                execvp(cmd[0], cmd);
                /* as a shell says it: 127 not found, 126 not runnable */
                tool_error(s->t, "cannot run %s: %s", cmd[0], g_strerror(errno));
                _exit(errno == ENOENT ? 127 : 126);
        }
        return -1;
}

/* CMD's wait status as an exit code: its own, or 128 + the signal. */
static int status_code(int status)
{
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Reap CMD if it has ended: its exit code, or -1 while it runs. */
static int reap(struct supervisor *s)
{
        int status;
        pid_t r = waitpid(s->pid, &status, WNOHANG);

        if (r != s->pid)
                return -1;
        s->pid = 0;
        s->status = status;
        return status_code(status);
}

/* The signal CMD died of when it is one we passed on to it, else 0. */
static int stop_signal(const struct supervisor *s)
{
        if (!WIFSIGNALED(s->status) || !sigismember(&s->received, WTERMSIG(s->status)))
                return 0;
        return WTERMSIG(s->status);
}

/* End as CMD did: die of sig with its default action. The signal is still
 * blocked (sigfd takes it), so it is raised first and delivered when
 * unblocked. Returns only if sig did not end us. */
static int die_of(int sig)
{
        sigset_t one;

        fflush(NULL);
        signal(sig, SIG_DFL);
        raise(sig);
        sigemptyset(&one);
        sigaddset(&one, sig);
        sigprocmask(SIG_UNBLOCK, &one, NULL);
        return 128 + sig;
}

/* Read the pending signals: forward the ones for CMD, note SIGCHLD. */
static void take_pending(struct supervisor *s)
{
        struct signalfd_siginfo si;

        while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                if (si.ssi_signo != SIGCHLD && s->pid > 0) {
                        sigaddset(&s->received, (int)si.ssi_signo);
                        kill(s->pid, (int)si.ssi_signo);
                }
}

/* SIGTERM, then SIGKILL when CMD is still there after kill_ms. */
static void stop_cmd(struct supervisor *s)
{
        gint64 deadline = g_get_monotonic_time() + (gint64)s->kill_ms * 1000;
        int status;

        if (s->pid <= 0)
                return;
        kill(s->pid, SIGTERM);
        while (reap(s) < 0) {
                gint64 left = deadline - g_get_monotonic_time();
                struct pollfd pfd = { .fd = s->sigfd, .events = POLLIN };

                if (left <= 0) {
                        tool_error(s->t,
                                   "pid %d did not end within %d ms of SIGTERM; "
                                   "sending SIGKILL",
                                   (int)s->pid, s->kill_ms);
                        kill(s->pid, SIGKILL);
                        while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
                                ;
                        s->pid = 0;
                        return;
                }
                if (poll(&pfd, 1, (int)((left + 999) / 1000)) > 0)
                        take_pending(s);
        }
}

/* Why the channel is no good any more (*why) and the exit code that says
 * so, or -1 while it is good. */
static int trouble(struct supervisor *s, const struct pollfd *tty, const struct pollfd *mon,
                   const char **why)
{
        int r;

        if (tty->revents & (POLLHUP | POLLERR)) {
                *why = "hung up";
                return EXIT_HANGUP;
        }
        if (!mon->revents)
                return -1;
        r = xen_channel_monitor_process(s->mon);
        if (r == XEN_CHANNEL_PRESENT)
                return -1;
        if (r == XEN_CHANNEL_REPLACED) {
                *why = "changed: its link points at another tty";
                return EXIT_HANGUP;
        }
        *why = "is gone: its link was removed";
        return EXIT_ABSENT;
}

/* Wait for CMD to end, the tty to hang up or the link to change. */
static int watch(struct supervisor *s, const char *cmd)
{
        for (;;) {
                struct pollfd pfd[3] = {
                        { .fd = s->sigfd, .events = POLLIN },
                        { .fd = s->tty, .events = 0 }, /* POLLHUP/POLLERR only */
                        { .fd = xen_channel_monitor_get_fd(s->mon), .events = POLLIN },
                };
                const char *why = NULL;
                int r;

                if (poll(pfd, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        tool_error(s->t, "poll: %s", g_strerror(errno));
                        stop_cmd(s);
                        return EXIT_FAIL;
                }
                if (pfd[0].revents) {
                        take_pending(s);
                        r = reap(s);
                        /* Only CMD's own end passes a stop signal on: after
                         * a hangup we end CMD ourselves and exit non-zero,
                         * for Restart= to act. */
                        if (r >= 0) {
                                s->die_sig = stop_signal(s);
                                return r;
                        }
                }
                r = trouble(s, &pfd[1], &pfd[2], &why);
                if (r >= 0) {
                        tool_error(s->t, "channel %s %s: stopping %s (pid %d)", s->name, why,
                                   cmd, (int)s->pid);
                        stop_cmd(s);
                        return r;
                }
        }
}

/* Wait for the channel, then open our watch on it. -1 on success. */
static int attach(struct supervisor *s, int timeout_ms, const char *timeout)
{
        int r = xen_channel_monitor_new(s->t->ctx, s->name, &s->mon);

        if (r == 0)
                r = xen_channel_wait(s->t->ctx, s->name, timeout_ms);
        if (r == -ETIMEDOUT) {
                s->t->timeout = timeout;
                return tool_fail(s->t, s->name, r);
        }
        if (r < 0) {
                tool_error(s->t, "waiting for channel %s: %s", s->name, g_strerror(-r));
                return EXIT_FAIL;
        }
        if (xen_channel_monitor_process(s->mon) != XEN_CHANNEL_PRESENT) {
                tool_error(s->t, "channel %s went away again", s->name);
                return EXIT_ABSENT;
        }
        return open_watch(s);
}

/* Split "OPTIONS NAME -- CMD..." at the first "--": *cmd gets CMD (NULL
 * when there is none), argc counts what stays before it. */
static char **split_command(int *argc, char **argv)
{
        for (int i = 1; i < *argc; i++) {
                if (strcmp(argv[i], "--") == 0) {
                        char **cmd = i + 1 < *argc ? g_new0(char *, *argc - i) : NULL;

                        for (int j = i + 1; cmd && j < *argc; j++)
                                cmd[j - i - 1] = argv[j];
                        *argc = i;
                        return cmd;
                }
        }
        return NULL;
}

int cmd_supervise(struct tool *t, int argc, char **argv)
{
        g_autofree char *timeout = NULL, *kill_after = NULL;
        GOptionEntry entries[] = {
                { "timeout", 't', 0, G_OPTION_ARG_STRING, &timeout,
                  "Wait up to SECONDS for the channel to appear (default: forever)",
                  "SECONDS" },
                { "kill-after", 'k', 0, G_OPTION_ARG_STRING, &kill_after,
                  "Send SIGKILL when CMD is still running SECONDS after SIGTERM "
                  "(default 5)",
                  "SECONDS" },
                { NULL },
        };
        struct supervisor s = { .t = t, .tty = -1, .sigfd = -1, .kill_ms = 5000 };
        g_autofree char **cmd = split_command(&argc, argv);
        int ms = -1, r;

        r = tool_parse(t, "supervise", "NAME -- CMD [ARGS...]",
                       "Run CMD while the channel NAME is up. On a hangup of the channel "
                       "(migration,\nsave/restore) or when its link goes away, stop CMD "
                       "and exit non-zero, for the\nservice manager to start it again "
                       "(Restart=). Exit status: CMD's when it ends\nby itself, 6 after a "
                       "hangup or a changed link, 4 when the channel is absent\nor gone, "
                       "5 when it cannot be opened. When CMD dies of a signal passed\non "
                       "(SIGTERM, SIGINT, SIGHUP), supervise dies of it too.",
                       entries, &argc, &argv, 1, 1);
        if (r >= 0)
                return r;
        if (!cmd) {
                tool_error(t,
                           "supervise: give the command after \"--\" (try '%s "
                           "supervise --help')",
                           t->prog);
                return EXIT_USAGE;
        }
        if ((timeout && !tool_parse_timeout(timeout, &ms)) ||
            (kill_after && (!tool_parse_timeout(kill_after, &s.kill_ms) || s.kill_ms < 0))) {
                tool_error(t,
                           "supervise: invalid duration \"%s\": give seconds (e.g. 5, "
                           "0.5)",
                           timeout && !tool_parse_timeout(timeout, &ms) ? timeout
                                                                        : kill_after);
                return EXIT_USAGE;
        }
        s.name = argv[1];
        r = tool_check_name(t, s.name);
        if (r)
                return r;
        r = attach(&s, ms, timeout);
        if (r < 0 && take_signals(&s) < 0) {
                tool_error(t, "cannot take signals: %s", g_strerror(errno));
                r = EXIT_FAIL;
        }
        if (r < 0)
                r = spawn(&s, cmd);
        if (r < 0)
                r = watch(&s, cmd[0]);
        if (s.sigfd >= 0)
                close(s.sigfd);
        if (s.tty >= 0)
                close(s.tty);
        xen_channel_monitor_free(s.mon);
        if (s.die_sig)
                return die_of(s.die_sig);
        return r;
}
