/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xen_channel_open / make_raw / reopen / is_hangup against a pseudo-terminal
 * standing in for the hvc tty.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake-channel.h"

#define NAME "org.example.agent.0"

static int inotify_inits;

/* Counts the inotify fds the library makes: a definition in the executable
 * comes first in the dynamic symbol lookup of libxenchannel.so. */
int inotify_init1(int flags)
{
        inotify_inits++;
        return (int)syscall(SYS_inotify_init1, flags);
}

struct fixture {
        struct fake_dev dev;
        struct fake_pty pty;
};

static int setup(void **state)
{
        static struct fixture f;

        fake_dev_init(&f.dev);
        fake_pty_open(&f.pty);
        fake_dev_hvc(&f.dev, 3, f.pty.path);
        fake_dev_link(&f.dev, NAME, "../hvc3");
        *state = &f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        fake_pty_close(&f->pty);
        fake_dev_cleanup(&f->dev);
        return 0;
}

static void write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len) {
                ssize_t n = write(fd, p, len);

                assert_true(n > 0);
                p += n;
                len -= (size_t)n;
        }
}

static void read_all(int fd, void *buf, size_t len)
{
        char *p = buf;

        while (len) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                ssize_t n;

                assert_int_equal(poll(&pfd, 1, 5000), 1);
                n = read(fd, p, len);
                assert_true(n > 0);
                p += n;
                len -= (size_t)n;
        }
}

static void test_raw_mode(void **state)
{
        struct fixture *f = *state;
        struct termios t;
        int fd = xen_channel_open(f->dev.ctx, NAME, 0, 0);

        assert_true(fd >= 0);
        assert_int_equal(tcgetattr(fd, &t), 0);
        assert_int_equal(t.c_lflag & (ECHO | ECHONL | ICANON | ISIG | IEXTEN), 0);
        assert_int_equal(t.c_iflag & (ICRNL | INLCR | IGNCR | IXON | IXOFF | ISTRIP | BRKINT |
                                      PARMRK | INPCK),
                         0);
        assert_int_equal(t.c_oflag & OPOST, 0);
        assert_int_equal(t.c_cflag & CSIZE, CS8);
        assert_int_equal(t.c_cflag & PARENB, 0);
        assert_int_equal(t.c_cc[VMIN], 1);
        assert_int_equal(t.c_cc[VTIME], 0);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
        assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
        close(fd);
}

static void test_nonblock(void **state)
{
        struct fixture *f = *state;
        char c;
        int fd = xen_channel_open(f->dev.ctx, NAME, 0, XEN_CHANNEL_OPEN_NONBLOCK);

        assert_true(fd >= 0);
        assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
        assert_int_equal(read(fd, &c, 1), -1);
        assert_int_equal(errno, EAGAIN);
        close(fd);
        assert_int_equal(xen_channel_open(f->dev.ctx, NAME, 0, 0x80), -EINVAL);
}

/* Every byte value both ways, unchanged: no echo, no CR/NL mapping, no
 * ^C/^S/^Q/^D/^V handling, no 8th bit stripped. */
static void test_round_trip_256(void **state)
{
        struct fixture *f = *state;
        unsigned char out[512], in[512], echo;
        int fd = xen_channel_open(f->dev.ctx, NAME, 0, 0);

        assert_true(fd >= 0);
        for (int i = 0; i < 512; i++)
                out[i] = (unsigned char)(i < 256 ? i : 511 - i);
        /* host -> agent */
        write_all(f->pty.master, out, sizeof(out));
        read_all(fd, in, sizeof(in));
        assert_memory_equal(in, out, sizeof(out));
        /* agent -> host */
        write_all(fd, out, sizeof(out));
        read_all(f->pty.master, in, sizeof(in));
        assert_memory_equal(in, out, sizeof(out));
        /* nothing was echoed back to the host */
        assert_int_equal(fcntl(f->pty.master, F_SETFL, O_NONBLOCK), 0);
        assert_int_equal(read(f->pty.master, &echo, 1), -1);
        assert_int_equal(errno, EAGAIN);
        assert_int_equal(fcntl(f->pty.master, F_SETFL, 0), 0);
        close(fd);
}

/* The documented hangup: poll() reports POLLHUP, read() gives EOF or EIO,
 * xen_channel_is_hangup() says 1; reopen gets a working fd again. */
static void test_hangup_and_reopen(void **state)
{
        struct fixture *f = *state;
        struct fake_pty second;
        struct pollfd pfd;
        char c = 'x';
        ssize_t n;
        int fd = xen_channel_open(f->dev.ctx, NAME, 0, 0);

        assert_true(fd >= 0);
        assert_int_equal(xen_channel_is_hangup(fd), 0);
        fake_pty_close(&f->pty);
        pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 1000), 1);
        assert_true(pfd.revents & POLLHUP);
        n = read(fd, &c, 1);
        assert_true(n == 0 || (n < 0 && errno == EIO));
        assert_int_equal(xen_channel_is_hangup(fd), 1);

        /* The console is being re-created: the tty is gone for now. (The
         * pts number may be reused by any other process at once: point hvc3
         * at nothing rather than at the dead pts node.) */
        assert_int_equal(xen_channel_open(f->dev.ctx, NAME, 0, 0), -ENODEV);
        fake_dev_hvc(&f->dev, 3, "/nonexistent/pts");
        assert_int_equal(xen_channel_reopen(f->dev.ctx, NAME, &fd, 100, 0), -ENODEV);
        assert_int_equal(fd, -1);

        /* It comes back (same link, new tty behind hvc3). */
        fake_pty_open(&second);
        fake_dev_hvc(&f->dev, 3, second.path);
        assert_int_equal(xen_channel_reopen(f->dev.ctx, NAME, &fd, 1000, 0), 0);
        assert_true(fd >= 0);
        write_all(second.master, "ok", 2);
        {
                char buf[2];

                read_all(fd, buf, 2);
                assert_memory_equal(buf, "ok", 2);
        }
        close(fd);
        fake_pty_close(&second);
        assert_int_equal(xen_channel_is_hangup(-1), -EBADF);
}

/* reopen rides out the gap: the tty appears while it retries. */
static void test_reopen_waits_for_console(void **state)
{
        struct fixture *f = *state;
        struct fake_pty third;
        long long t0;
        pid_t pid;
        int fd = -1, status;

        fake_dev_hvc(&f->dev, 3, "/nonexistent/pts");
        fake_pty_open(&third);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                usleep(150 * 1000);
                fake_dev_hvc(&f->dev, 3, third.path);
                _exit(0);
        }
        t0 = fake_now_ms();
        assert_int_equal(xen_channel_reopen(f->dev.ctx, NAME, &fd, 3000, 0), 0);
        assert_true(fake_now_ms() - t0 >= 100);
        assert_true(fake_now_ms() - t0 < 2000);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        fake_pty_close(&third);
}

struct retry_log {
        struct fake_dev *dev;
        const char *tty; /* hvc3 is pointed here at the last retry */
        int retries, last;
};

static void count_retries(void *data, int priority, const char *file, int line, const char *fn,
                          const char *format, va_list args)
{
        struct retry_log *l = data;

        if (strstr(format, "retrying") && ++l->retries == l->last)
                fake_dev_hvc(l->dev, 3, l->tty);
}

/* The naps between retries reuse the ctx's cached inotify fd: a new fd per
 * retry would cost an RCU grace period (up to ~16 ms) at each close. One fd
 * for the first reopen's five naps, none more for a second reopen. */
static void test_reopen_reuses_inotify(void **state)
{
        struct fixture *f = *state;
        struct retry_log l = { .dev = &f->dev, .tty = f->pty.path, .last = 5 };
        int fd = -1;

        xen_channel_ctx_set_log_fn(f->dev.ctx, count_retries, &l);
        xen_channel_ctx_set_log_priority(f->dev.ctx, LOG_DEBUG);
        fake_dev_hvc(&f->dev, 3, "/nonexistent/pts");
        inotify_inits = 0;
        assert_int_equal(xen_channel_reopen(f->dev.ctx, NAME, &fd, 5000, 0), 0);
        assert_true(fd >= 0);
        assert_int_equal(l.retries, 5);
        assert_int_equal(inotify_inits, 1);

        fake_dev_hvc(&f->dev, 3, "/nonexistent/pts");
        l.retries = 0;
        l.last = 3;
        assert_int_equal(xen_channel_reopen(f->dev.ctx, NAME, &fd, 5000, 0), 0);
        assert_true(fd >= 0);
        assert_int_equal(l.retries, 3);
        assert_int_equal(inotify_inits, 1);
        close(fd);
        xen_channel_ctx_set_log_fn(f->dev.ctx, NULL, NULL);
}

static void test_errors(void **state)
{
        struct fixture *f = *state;
        char path[256];
        int fd;

        assert_int_equal(xen_channel_open(f->dev.ctx, "../etc/passwd", 0, 0), -EINVAL);
        assert_int_equal(xen_channel_open(f->dev.ctx, "", 0, 0), -EINVAL);
        assert_int_equal(xen_channel_open(f->dev.ctx, NULL, 0, 0), -EINVAL);
        assert_int_equal(xen_channel_open(f->dev.ctx, "no.such.channel", 0, 0), -ENOENT);
        assert_int_equal(xen_channel_open(f->dev.ctx, "no.such.channel", 50, 0), -ETIMEDOUT);
        /* dangling: ../hvc7 does not exist in the fake dev */
        fake_dev_link(&f->dev, "dangling.0", "../hvc7");
        assert_int_equal(xen_channel_open(f->dev.ctx, "dangling.0", 0, 0), -ENODEV);
        /* not a tty */
        snprintf(path, sizeof(path), "%s/plain", f->dev.dev_dir);
        fd = open(path, O_CREAT | O_WRONLY, 0644);
        assert_true(fd >= 0);
        close(fd);
        fake_dev_link(&f->dev, "plain.0", "../plain");
        assert_int_equal(xen_channel_open(f->dev.ctx, "plain.0", 0, 0), -ENOTTY);
        /* hvcN itself not a tty: opened, then refused */
        fake_dev_hvc(&f->dev, 5, path);
        fake_dev_link(&f->dev, "plainhvc.0", "../hvc5");
        assert_int_equal(xen_channel_open(f->dev.ctx, "plainhvc.0", 0, 0), -ENOTTY);
        /* Links not of the library's form ../hvcN are not opened at all,
         * not even when they lead to a tty: a folder, */
        snprintf(path, sizeof(path), "%s/somedir", f->dev.dev_dir);
        assert_int_equal(mkdir(path, 0755), 0);
        fake_dev_link(&f->dev, "dir.0", "../somedir");
        assert_int_equal(xen_channel_open(f->dev.ctx, "dir.0", 0, 0), -ENOTTY);
        /* an absolute path to a working tty, */
        fake_dev_link(&f->dev, "abs.0", f->pty.path);
        assert_int_equal(xen_channel_open(f->dev.ctx, "abs.0", 0, 0), -ENOTTY);
        /* a path that only starts like ../hvcN */
        fake_dev_link(&f->dev, "sneaky.0", "../hvc3/../hvc3");
        assert_int_equal(xen_channel_open(f->dev.ctx, "sneaky.0", 0, 0), -ENOTTY);
        fake_dev_link(&f->dev, "slot.0", "../hvc16");
        assert_int_equal(xen_channel_open(f->dev.ctx, "slot.0", 0, 0), -ENOTTY);
        assert_int_equal(xen_channel_make_raw(-1), -EBADF);
}

/* O_NOCTTY: a session leader without a controlling tty must not get the
 * channel as one (that would make the channel deliver SIGHUP/SIGINT). */
static void test_noctty(void **state)
{
        struct fixture *f = *state;
        int status;
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                int fd;

                if (setsid() < 0)
                        _exit(2);
                fd = xen_channel_open(f->dev.ctx, NAME, 0, 0);
                if (fd < 0)
                        _exit(3);
                /* /dev/tty is our controlling tty, if we got one */
                _exit(open("/dev/tty", O_RDWR | O_NOCTTY) < 0 ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_raw_mode, setup, teardown),
                cmocka_unit_test_setup_teardown(test_nonblock, setup, teardown),
                cmocka_unit_test_setup_teardown(test_round_trip_256, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hangup_and_reopen, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reopen_waits_for_console, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_reopen_reuses_inotify, setup, teardown),
                cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_noctty, setup, teardown),
        };

        return cmocka_run_group_tests_name("agent-open", tests, NULL, NULL);
}
