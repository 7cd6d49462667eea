/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xen_channel_wait and the monitor: the link created before, during and after
 * the call, the folder created late, timeouts, and no false wake-up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake-channel.h"

#define NAME "org.example.agent.0"

/* A thread that, after delay_ms, makes the folder and/or a link. */
struct later {
        struct fake_dev *d;
        int delay_ms;
        const char *name; /* link to make, or NULL */
        bool folder_only;
        pthread_t thread;
};

static void *later_run(void *arg)
{
        struct later *l = arg;

        usleep((useconds_t)l->delay_ms * 1000);
        if (l->folder_only)
                fake_dev_mkdir(l->d);
        if (l->name)
                fake_dev_link(l->d, l->name, "../hvc1");
        return NULL;
}

static void later_start(struct later *l)
{
        assert_int_equal(pthread_create(&l->thread, NULL, later_run, l), 0);
}

static void later_join(struct later *l)
{
        assert_int_equal(pthread_join(l->thread, NULL), 0);
}

static void test_before(void **state)
{
        struct fake_dev *d = *state;
        long long t0;

        fake_dev_link(d, NAME, "../hvc1");
        t0 = fake_now_ms();
        assert_int_equal(xen_channel_wait(d->ctx, NAME, -1), 0);
        assert_int_equal(xen_channel_wait(d->ctx, NAME, 0), 0);
        assert_int_equal(xen_channel_wait(d->ctx, NAME, 1000), 0);
        /* none waited: the 1000 ms one would have (the bounds here and
         * below leave room for a loaded machine: they tell a wait from
         * none, and an event from a timeout, not a speed) */
        assert_true(fake_now_ms() - t0 < 900);
}

/* During: the folder exists, the link comes 150 ms into the call. */
static void test_during(void **state)
{
        struct fake_dev *d = *state;
        struct later l = { .d = d, .delay_ms = 150, .name = NAME };
        long long t0, dt;

        fake_dev_mkdir(d);
        t0 = fake_now_ms();
        later_start(&l);
        assert_int_equal(xen_channel_wait(d->ctx, NAME, 5000), 0);
        dt = fake_now_ms() - t0;
        later_join(&l);
        assert_true(dt >= 140);
        assert_true(dt < 4000); /* woken by the event, not the 5000 ms timeout */
}

/* The folder does not exist when the call starts; it comes, then the link. */
static void test_folder_late(void **state)
{
        struct fake_dev *d = *state;
        struct later folder = { .d = d, .delay_ms = 100, .folder_only = true };
        struct later link = { .d = d, .delay_ms = 250, .name = NAME };
        long long t0, dt;

        t0 = fake_now_ms();
        later_start(&folder);
        later_start(&link);
        assert_int_equal(xen_channel_wait(d->ctx, NAME, -1), 0);
        dt = fake_now_ms() - t0;
        later_join(&folder);
        later_join(&link);
        assert_true(dt >= 240);
        assert_true(dt < 1500);
}

/* The folder and the link arrive together (mkdir then link at once). */
static void test_folder_and_link_together(void **state)
{
        struct fake_dev *d = *state;
        struct later l = { .d = d, .delay_ms = 100, .name = NAME };

        later_start(&l);
        assert_int_equal(xen_channel_wait(d->ctx, NAME, 5000), 0);
        later_join(&l);
}

/* After: the link comes only after the timeout; the call has given up. */
static void test_after_timeout(void **state)
{
        struct fake_dev *d = *state;
        struct later l = { .d = d, .delay_ms = 2000, .name = NAME };
        long long t0, dt;

        fake_dev_mkdir(d);
        later_start(&l);
        t0 = fake_now_ms();
        assert_int_equal(xen_channel_wait(d->ctx, NAME, 200), -ETIMEDOUT);
        dt = fake_now_ms() - t0;
        assert_true(dt >= 195);
        assert_true(dt < 1900); /* the timeout, not the link */
        later_join(&l);
        assert_int_equal(xen_channel_wait(d->ctx, NAME, 0), 0);
}

static void test_timeouts(void **state)
{
        struct fake_dev *d = *state;
        long long t0 = fake_now_ms();

        /* 0: only looks, also without the folder */
        assert_int_equal(xen_channel_wait(d->ctx, NAME, 0), -ETIMEDOUT);
        assert_true(fake_now_ms() - t0 < 1000);
        t0 = fake_now_ms();
        assert_int_equal(xen_channel_wait(d->ctx, NAME, 120), -ETIMEDOUT);
        assert_true(fake_now_ms() - t0 >= 115);
        assert_true(fake_now_ms() - t0 < 3000);
}

/* Other links come and go, and the folder is even replaced: the call must
 * not return for any of it. */
static void test_no_false_wakeup(void **state)
{
        struct fake_dev *d = *state;
        struct later other = { .d = d, .delay_ms = 50, .name = "org.example.other.0" };
        struct later prefix = { .d = d, .delay_ms = 80, .name = "org.example.agent.01" };
        struct later shorter = { .d = d, .delay_ms = 110, .name = "org.example.agent" };
        char path[256];

        fake_dev_mkdir(d);
        /* something that is not a link under our name */
        snprintf(path, sizeof(path), "%s/xen-channel/%s.tmp", d->dev_dir, NAME);
        later_start(&other);
        later_start(&prefix);
        later_start(&shorter);
        assert_int_equal(xen_channel_wait(d->ctx, NAME, 300), -ETIMEDOUT);
        later_join(&other);
        later_join(&prefix);
        later_join(&shorter);
        /* a directory with our name is not a link either */
        snprintf(path, sizeof(path), "%s/xen-channel/%s", d->dev_dir, NAME);
        assert_int_equal(mkdir(path, 0755), 0);
        assert_int_equal(xen_channel_wait(d->ctx, NAME, 50), -ETIMEDOUT);
        assert_int_equal(rmdir(path), 0);
}

/* Waits one after the other on one ctx share an inotify fd: events left
 * from an earlier wait must not wake a later one. */
static void test_reuse(void **state)
{
        struct fake_dev *d = *state;
        struct later l = { .d = d, .delay_ms = 50, .name = "first.0" };

        fake_dev_mkdir(d);
        for (int i = 0; i < 3; i++) {
                later_start(&l);
                assert_int_equal(xen_channel_wait(d->ctx, "first.0", 5000), 0);
                later_join(&l);
                fake_dev_unlink(d, "first.0");
        }
        fake_dev_link(d, "first.0", "../hvc1"); /* events for "first.0" */
        fake_dev_unlink(d, "first.0");
        assert_int_equal(xen_channel_wait(d->ctx, "second.0", 100), -ETIMEDOUT);
        assert_int_equal(xen_channel_wait(d->ctx, "second.0", 0), -ETIMEDOUT);
}

static void test_invalid_name(void **state)
{
        struct fake_dev *d = *state;
        struct xen_channel_monitor *mon;

        assert_int_equal(xen_channel_wait(d->ctx, "a/b", -1), -EINVAL);
        assert_int_equal(xen_channel_wait(d->ctx, "..", -1), -EINVAL);
        assert_int_equal(xen_channel_wait(d->ctx, NULL, -1), -EINVAL);
        assert_int_equal(xen_channel_monitor_new(d->ctx, "x\n", &mon), -EINVAL);
}

static void test_no_dev_dir(void **state)
{
        struct xen_channel_ctx *ctx;

        assert_int_equal(xen_channel_ctx_new(&ctx), 0);
        assert_int_equal(xen_channel_ctx_set_dev_dir(ctx, "/nonexistent-xc-dev"), 0);
        assert_int_equal(xen_channel_wait(ctx, NAME, -1), -ENOENT);
        xen_channel_ctx_unref(ctx);
}

static int wait_event(struct xen_channel_monitor *mon, int ms)
{
        struct pollfd pfd = { .fd = xen_channel_monitor_get_fd(mon), .events = POLLIN };

        return poll(&pfd, 1, ms);
}

/* The monitor's states through a whole life: absent, present, replaced,
 * vanished, folder removed and made again, back. */
static void test_monitor_states(void **state)
{
        struct fake_dev *d = *state;
        struct xen_channel_monitor *mon;
        char path[256];

        assert_int_equal(xen_channel_monitor_new(d->ctx, NAME, &mon), 0);
        snprintf(path, sizeof(path), "%s/xen-channel/%s", d->dev_dir, NAME);
        assert_string_equal(xen_channel_monitor_get_path(mon), path);
        assert_int_equal(xen_channel_monitor_process(mon), XEN_CHANNEL_ABSENT);
        assert_int_equal(wait_event(mon, 0), 0);

        fake_dev_link(d, NAME, "../hvc1");
        assert_int_equal(wait_event(mon, 1000), 1);
        assert_int_equal(xen_channel_monitor_process(mon), XEN_CHANNEL_PRESENT);
        assert_int_equal(wait_event(mon, 0), 0); /* drained */

        fake_dev_link(d, NAME, "../hvc1"); /* same target again */
        assert_int_equal(wait_event(mon, 1000), 1);
        assert_int_equal(xen_channel_monitor_process(mon), XEN_CHANNEL_PRESENT);

        fake_dev_link(d, NAME, "../hvc2"); /* retargeted */
        assert_int_equal(wait_event(mon, 1000), 1);
        assert_int_equal(xen_channel_monitor_process(mon), XEN_CHANNEL_REPLACED);
        assert_int_equal(xen_channel_monitor_process(mon), XEN_CHANNEL_PRESENT);

        fake_dev_unlink(d, NAME);
        assert_int_equal(wait_event(mon, 1000), 1);
        assert_int_equal(xen_channel_monitor_process(mon), XEN_CHANNEL_ABSENT);

        snprintf(path, sizeof(path), "%s/xen-channel", d->dev_dir);
        assert_int_equal(rmdir(path), 0);
        assert_int_equal(wait_event(mon, 1000), 1);
        assert_int_equal(xen_channel_monitor_process(mon), XEN_CHANNEL_ABSENT);

        fake_dev_link(d, NAME, "../hvc4"); /* mkdir + link */
        assert_int_equal(wait_event(mon, 1000), 1);
        /* the folder's creation may come alone: the link shows at the latest
         * on the next event */
        if (xen_channel_monitor_process(mon) == XEN_CHANNEL_ABSENT) {
                assert_int_equal(wait_event(mon, 1000), 1);
                assert_int_equal(xen_channel_monitor_process(mon), XEN_CHANNEL_PRESENT);
        }
        xen_channel_monitor_free(mon);
        xen_channel_monitor_free(NULL);
}

/* The folder is renamed away and a new one made while the monitor runs:
 * the watch must follow the path, not the old folder's inode (which still
 * exists elsewhere and never sends IN_IGNORED). */
static void test_monitor_folder_renamed(void **state)
{
        struct fake_dev *d = *state;
        struct xen_channel_monitor *mon;
        char dir[256], old[256];

        fake_dev_mkdir(d);
        assert_int_equal(xen_channel_monitor_new(d->ctx, NAME, &mon), 0);
        assert_int_equal(xen_channel_monitor_process(mon), XEN_CHANNEL_ABSENT);
        snprintf(dir, sizeof(dir), "%s/xen-channel", d->dev_dir);
        snprintf(old, sizeof(old), "%s/xen-channel.old", d->dev_dir);
        assert_int_equal(rename(dir, old), 0);
        fake_dev_mkdir(d);
        assert_int_equal(wait_event(mon, 1000), 1);
        assert_int_equal(xen_channel_monitor_process(mon), XEN_CHANNEL_ABSENT);
        fake_dev_link(d, NAME, "../hvc1");
        assert_int_equal(wait_event(mon, 1000), 1);
        assert_int_equal(xen_channel_monitor_process(mon), XEN_CHANNEL_PRESENT);
        xen_channel_monitor_free(mon);
}

/* IN_Q_OVERFLOW drops events, the folder's IN_IGNORED among them: after the
 * folder was deleted and made again, the new one must still be watched. */
static void test_monitor_overflow(void **state)
{
        struct fake_dev *d = *state;
        struct xen_channel_monitor *mon;
        char dir[256], path[300];
        long max = 0;
        FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");

        if (!f || fscanf(f, "%ld", &max) != 1 || max > 100000) {
                if (f)
                        fclose(f);
                skip();
        }
        fclose(f);
        fake_dev_mkdir(d);
        snprintf(dir, sizeof(dir), "%s/xen-channel", d->dev_dir);
        assert_int_equal(xen_channel_monitor_new(d->ctx, NAME, &mon), 0);
        assert_int_equal(xen_channel_monitor_process(mon), XEN_CHANNEL_ABSENT);
        /* fill the queue with events nobody reads */
        for (long i = 0; i <= max / 2 + 1; i++) {
                snprintf(path, sizeof(path), "%s/other.%ld", dir, i);
                assert_int_equal(mkdir(path, 0755), 0);
                assert_int_equal(rmdir(path), 0);
        }
        assert_int_equal(rmdir(dir), 0);
        fake_dev_mkdir(d);
        assert_int_equal(wait_event(mon, 1000), 1);
        assert_int_equal(xen_channel_monitor_process(mon), XEN_CHANNEL_ABSENT);
        fake_dev_link(d, NAME, "../hvc1");
        assert_int_equal(wait_event(mon, 1000), 1);
        assert_int_equal(xen_channel_monitor_process(mon), XEN_CHANNEL_PRESENT);
        xen_channel_monitor_free(mon);
}

/* dev_dir itself disappears during the wait: nothing can ever appear
 * below it again, so the wait ends with -ENOENT instead of sleeping on. */
static void test_dev_dir_removed(void **state)
{
        struct xen_channel_ctx *ctx;
        char dev[] = "/tmp/xc-agent-gone-XXXXXX";
        long long t0;
        pid_t pid;
        int status;

        assert_non_null(mkdtemp(dev));
        assert_int_equal(xen_channel_ctx_new(&ctx), 0);
        assert_int_equal(xen_channel_ctx_set_dev_dir(ctx, dev), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                usleep(100 * 1000);
                _exit(rmdir(dev) < 0);
        }
        t0 = fake_now_ms();
        assert_int_equal(xen_channel_wait(ctx, NAME, 5000), -ENOENT);
        assert_true(fake_now_ms() - t0 < 2000);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(status, 0);
        xen_channel_ctx_unref(ctx);
}

static void clobber_errno_log(void *data, int prio, const char *file, int line, const char *fn,
                              const char *format, va_list args)
{
        errno = EXDEV;
}

/* The error returned is the cause, not whatever errno the log function
 * left behind. */
static void test_errno_survives_logging(void **state)
{
        struct fake_dev *d = *state;
        struct xen_channel_monitor *mon = NULL;
        char dir[256];

        snprintf(dir, sizeof(dir), "%s/xen-channel", d->dev_dir);
        assert_int_equal(symlink("xen-channel", dir), 0); /* ELOOP */
        xen_channel_ctx_set_log_fn(d->ctx, clobber_errno_log, NULL);
        assert_int_equal(xen_channel_monitor_new(d->ctx, NAME, &mon), -ELOOP);
        assert_null(mon);
        assert_int_equal(xen_channel_wait(d->ctx, NAME, 100), -ELOOP);
        xen_channel_ctx_set_log_fn(d->ctx, NULL, NULL);
        assert_int_equal(unlink(dir), 0);
}

static void on_alarm(int sig)
{
}

/* A signal (without SA_RESTART) ends the wait with -EINTR, as documented,
 * so that an agent can look at its shutdown flag. */
static void test_eintr(void **state)
{
        struct fake_dev *d = *state;
        struct sigaction sa = { .sa_handler = on_alarm }, old;
        struct itimerval it = { .it_value = { .tv_usec = 100 * 1000 } };

        fake_dev_mkdir(d);
        assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
        assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
        assert_int_equal(xen_channel_wait(d->ctx, NAME, 5000), -EINTR);
        assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
        /* and the next call works normally */
        fake_dev_link(d, NAME, "../hvc1");
        assert_int_equal(xen_channel_wait(d->ctx, NAME, 1000), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_before, fake_dev_setup,
                                                fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_during, fake_dev_setup,
                                                fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_folder_late, fake_dev_setup,
                                                fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_folder_and_link_together, fake_dev_setup,
                                                fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_after_timeout, fake_dev_setup,
                                                fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_timeouts, fake_dev_setup,
                                                fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_no_false_wakeup, fake_dev_setup,
                                                fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_reuse, fake_dev_setup, fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_invalid_name, fake_dev_setup,
                                                fake_dev_teardown),
                cmocka_unit_test(test_no_dev_dir),
                cmocka_unit_test_setup_teardown(test_monitor_states, fake_dev_setup,
                                                fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_monitor_folder_renamed, fake_dev_setup,
                                                fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_monitor_overflow, fake_dev_setup,
                                                fake_dev_teardown),
                cmocka_unit_test(test_dev_dir_removed),
                cmocka_unit_test_setup_teardown(test_errno_survives_logging, fake_dev_setup,
                                                fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_eintr, fake_dev_setup, fake_dev_teardown),
        };

        return cmocka_run_group_tests_name("agent-wait", tests, NULL, NULL);
}
