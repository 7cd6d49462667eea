/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Component tests of devices.c, state.c, links.c and sync.c against a umockdev
 * testbed (run under umockdev-run) and scratch dev/run folders. sync talks to
 * the fake xenstore server ($XS_TEST_SERVER) over XENSTORED_PATH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <syslog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "xc-core.h"
#include "testbed.h"

static const char *NAME = "org.qemu.guest_agent.0";

struct fix {
        char root[256];
        char dev[300];
        char run[300];
        char links[320];
        struct xen_channel_ctx *ctx;
        pid_t xs_pid;
};

static char logbuf[65536];

static void log_fn(void *data, int prio, const char *file, int line, const char *fn,
                   const char *format, va_list args)
{
        size_t n = strlen(logbuf);
        va_list copy;

        va_copy(copy, args);
        if (n < sizeof(logbuf) - 2) {
                vsnprintf(logbuf + n, sizeof(logbuf) - n - 1, format, args);
                strcat(logbuf, "\n");
        }
        if (getenv("TEST_VERBOSE")) {
                fprintf(stderr, "# <%d> ", prio);
                vfprintf(stderr, format, copy);
                fputc('\n', stderr);
        }
        va_end(copy);
}

static int setup(void **state)
{
        struct fix *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        tb_reset();
        snprintf(f->root, sizeof(f->root), "%s", tb_scratch_new());
        snprintf(f->dev, sizeof(f->dev), "%s/dev", f->root);
        snprintf(f->run, sizeof(f->run), "%s/run", f->root);
        snprintf(f->links, sizeof(f->links), "%s/dev/xen-channel", f->root);
        assert_int_equal(xen_channel_ctx_new(&f->ctx), 0);
        xen_channel_ctx_set_log_fn(f->ctx, log_fn, NULL);
        xen_channel_ctx_set_log_priority(f->ctx, LOG_DEBUG);
        assert_int_equal(xen_channel_ctx_set_dev_dir(f->ctx, f->dev), 0);
        assert_int_equal(xen_channel_ctx_set_run_dir(f->ctx, f->run), 0);
        logbuf[0] = '\0';
        *state = f;
        return 0;
}

static void xs_stop(struct fix *f);

static int teardown(void **state)
{
        struct fix *f = *state;

        xs_stop(f);
        xen_channel_ctx_unref(f->ctx);
        tb_rm_rf(f->root);
        tb_reset();
        free(f);
        return 0;
}

static const char *link_of(struct fix *f, const char *name)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", f->links, name);
        return tb_readlink(path);
}

static void assert_link(struct fix *f, const char *name, const char *target)
{
        const char *t = link_of(f, name);

        if (!target) {
                assert_null(t);
                return;
        }
        assert_non_null(t);
        assert_string_equal(t, target);
}

/* ---- devices.c ---------------------------------------------------------- */

static void test_bound_consoles(void **state)
{
        struct fix *f = *state;
        bool bound[XC_DEVID_MAX + 1];

        tb_console_add(1, true);
        tb_console_add(2, false);
        tb_console_add(3, true);
        tb_console_add(0, true); /* the kernel ignores these two */
        tb_console_add(12, true);
        assert_int_equal(xc_bound_consoles(f->ctx, bound), 0);
        for (int d = 0; d <= XC_DEVID_MAX; d++)
                assert_int_equal(bound[d], d == 1 || d == 3);
        assert_non_null(strstr(logbuf, "console-0"));
        assert_non_null(strstr(logbuf, "console-12"));

        tb_console_bind(2, true);
        tb_console_bind(1, false);
        assert_int_equal(xc_bound_consoles(f->ctx, bound), 0);
        for (int d = 0; d <= XC_DEVID_MAX; d++)
                assert_int_equal(bound[d], d == 2 || d == 3);
}

/* ---- state.c ------------------------------------------------------------ */

static void test_resolve_gaps(void **state)
{
        struct fix *f = *state;
        struct stat st;
        char path[400];

        tb_console_add(1, true);
        tb_console_add(3, true);
        assert_int_equal(xc_resolve_tty(f->ctx, 1, XC_RESUME_UNTOLD), 1);
        assert_int_equal(xc_resolve_tty(f->ctx, 3, XC_RESUME_UNTOLD), 2);
        assert_int_equal(xc_resolve_tty(f->ctx, 2, XC_RESUME_UNTOLD), -ENODEV);
        assert_int_equal(xc_resolve_tty(f->ctx, 0, XC_RESUME_UNTOLD), -EINVAL);
        assert_int_equal(xc_resolve_tty(f->ctx, 10, XC_RESUME_UNTOLD), -EINVAL);
        /* The run folder was created 0755 with lock and state inside. */
        assert_int_equal(lstat(f->run, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0755);
        snprintf(path, sizeof(path), "%s/lock", f->run);
        assert_int_equal(access(path, F_OK), 0);
        snprintf(path, sizeof(path), "%s/state", f->run);
        assert_int_equal(access(path, F_OK), 0);
}

static void test_resolve_runtime(void **state)
{
        struct fix *f = *state;

        /* 1 and 2 bound at boot; 1 goes away, 3 arrives: 3 takes hvc1. */
        tb_console_add(1, true);
        tb_console_add(2, true);
        assert_int_equal(xc_resolve_tty(f->ctx, 1, XC_RESUME_UNTOLD), 1);
        assert_int_equal(xc_resolve_tty(f->ctx, 2, XC_RESUME_UNTOLD), 2);
        tb_console_del(1);
        assert_int_equal(xc_forget(f->ctx, 1), 0);
        tb_console_add(3, true);
        assert_int_equal(xc_resolve_tty(f->ctx, 3, XC_RESUME_UNTOLD), 1);
        assert_int_equal(xc_resolve_tty(f->ctx, 2, XC_RESUME_UNTOLD), 2);
        /* 1 comes back: next free slot is 3. */
        tb_console_add(1, true);
        assert_int_equal(xc_resolve_tty(f->ctx, 1, XC_RESUME_UNTOLD), 3);
        assert_int_equal(xc_resolve_tty(f->ctx, 3, XC_RESUME_UNTOLD), 1);
}

static void test_resolve_no_tty(void **state)
{
        struct fix *f = *state;

        for (int d = 1; d <= 9; d++)
                tb_console_add(d, true);
        assert_int_equal(xc_resolve_tty(f->ctx, 7, XC_RESUME_UNTOLD), 7);
        assert_int_equal(xc_resolve_tty(f->ctx, 8, XC_RESUME_UNTOLD), -ENXIO);
        assert_int_equal(xc_resolve_tty(f->ctx, 9, XC_RESUME_UNTOLD), -ENXIO);
        assert_int_equal(xc_link_add(f->ctx, NAME, 8, 8), -ENXIO);
        assert_int_equal(access(f->links, F_OK), -1);
}

static void write_text(const char *path, const char *text)
{
        FILE *fp = fopen(path, "w");

        assert_non_null(fp);
        fputs(text, fp);
        fclose(fp);
}

static void test_state_corrupt(void **state)
{
        struct fix *f = *state;
        char path[400];

        tb_console_add(1, true);
        tb_console_add(2, true);
        assert_int_equal(mkdir(f->run, 0755), 0);
        snprintf(path, sizeof(path), "%s/state", f->run);
        write_text(path, "garbage \xff\n1 99\nzz\n");
        assert_int_equal(xc_resolve_tty(f->ctx, 2, XC_RESUME_UNTOLD), 2);
        assert_non_null(strstr(logbuf, "corrupt"));
        /* Rebuilt: a second call parses it fine. */
        logbuf[0] = '\0';
        assert_int_equal(xc_resolve_tty(f->ctx, 1, XC_RESUME_UNTOLD), 1);
        assert_null(strstr(logbuf, "corrupt"));
}

static void test_run_dir_symlink(void **state)
{
        struct fix *f = *state;
        char elsewhere[400];

        tb_console_add(1, true);
        snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", f->root);
        assert_int_equal(mkdir(elsewhere, 0755), 0);
        assert_int_equal(symlink(elsewhere, f->run), 0);
        assert_int_equal(xc_resolve_tty(f->ctx, 1, XC_RESUME_UNTOLD), -ENOTDIR);
        /* The error says which folder: no front end has to look again. */
        assert_int_equal(xc_last_error(f->ctx)->obj, XC_OBJ_RUN_DIR);
        assert_string_equal(xc_last_error(f->ctx)->path, f->run);
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 1), -ENOTDIR);
        assert_int_equal(xc_last_error(f->ctx)->obj, XC_OBJ_RUN_DIR);
        assert_int_equal(tb_count_tree(elsewhere), 1);
        assert_int_equal(access(f->links, F_OK), -1);
}

/* A trailing slash makes the kernel follow a symlink despite O_NOFOLLOW:
 * the roots must be refused all the same. */
static void test_root_trailing_slash(void **state)
{
        struct fix *f = *state;
        char elsewhere[400], slashed[400];

        tb_console_add(1, true);
        snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", f->root);
        assert_int_equal(mkdir(elsewhere, 0755), 0);
        assert_int_equal(symlink(elsewhere, f->run), 0);
        snprintf(slashed, sizeof(slashed), "%s//", f->run);
        assert_int_equal(xen_channel_ctx_set_run_dir(f->ctx, slashed), 0);
        assert_string_equal(xen_channel_ctx_get_run_dir(f->ctx), f->run);
        assert_int_equal(xc_resolve_tty(f->ctx, 1, XC_RESUME_UNTOLD), -ENOTDIR);
        assert_int_equal(tb_count_tree(elsewhere), 1);
        /* The same for the device folder. */
        assert_int_equal(unlink(f->run), 0);
        assert_int_equal(xen_channel_ctx_set_run_dir(f->ctx, f->run), 0);
        tb_rm_rf(f->dev);
        assert_int_equal(symlink(elsewhere, f->dev), 0);
        snprintf(slashed, sizeof(slashed), "%s/", f->dev);
        assert_int_equal(xen_channel_ctx_set_dev_dir(f->ctx, slashed), 0);
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 1), -ENOTDIR);
        assert_int_equal(tb_count_tree(elsewhere), 1);
        /* "/" stays "/". */
        assert_int_equal(xen_channel_ctx_set_dev_dir(f->ctx, "///"), 0);
        assert_string_equal(xen_channel_ctx_get_dev_dir(f->ctx), "/");
}

static void test_lock_bounded(void **state)
{
        struct fix *f = *state;
        struct timespec a, b;
        char path[400];
        long ms;
        int fd;

        tb_console_add(1, true);
        assert_int_equal(mkdir(f->run, 0755), 0);
        snprintf(path, sizeof(path), "%s/lock", f->run);
        fd = open(path, O_RDWR | O_CREAT, 0644);
        assert_true(fd >= 0);
        assert_int_equal(flock(fd, LOCK_EX), 0);
        assert_int_equal(xc_ctx_set_timeout_ms(f->ctx, 300), 0);
        clock_gettime(CLOCK_MONOTONIC, &a);
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 1), -EBUSY);
        assert_int_equal(xc_resolve_tty(f->ctx, 1, XC_RESUME_UNTOLD), -EBUSY);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
        assert_true(ms >= 600 && ms < 2000);
        assert_int_equal(access(f->links, F_OK), -1);
        close(fd);
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 1), 0);
}

/* ---- links.c ------------------------------------------------------------ */

static void test_link_add_remove(void **state)
{
        struct fix *f = *state;
        struct stat st;

        tb_console_add(1, true);
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 1), 0);
        assert_link(f, NAME, "../hvc1");
        assert_int_equal(lstat(f->links, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0755);
        /* Idempotent, and a slot change replaces atomically, no temp left. */
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 1), 0);
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 2), 0);
        assert_link(f, NAME, "../hvc2");
        assert_int_equal(tb_count_tree(f->links), 2);
        /* Wrong slot: refused, nothing removed. */
        assert_int_equal(xc_link_remove(f->ctx, NAME, 1, 1), -ESTALE);
        assert_link(f, NAME, "../hvc2");
        assert_int_equal(xc_link_remove(f->ctx, NAME, 1, 2), XC_REMOVAL_REMOVED);
        assert_link(f, NAME, NULL);
        /* Removing again is nothing to do. */
        assert_int_equal(xc_link_remove(f->ctx, NAME, 1, 2), XC_REMOVAL_NONE);
}

static void test_link_remove_foreign(void **state)
{
        struct fix *f = *state;
        char path[512];

        tb_console_add(1, true);
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 1), 0);
        snprintf(path, sizeof(path), "%s/%s", f->links, NAME);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(symlink("/etc/passwd", path), 0);
        assert_int_equal(xc_link_remove(f->ctx, NAME, 1, 1), -ESTALE);
        assert_link(f, NAME, "/etc/passwd");
        assert_int_equal(unlink(path), 0);
        write_text(path, "not a link\n");
        assert_int_equal(xc_link_remove(f->ctx, NAME, 1, 1), -ESTALE);
        assert_int_equal(access(path, F_OK), 0);
}

/* A file or folder in the way is not ours: refused like udev's "conflicting
 * inode", never replaced, and no temp link left. */
static void test_link_over_non_link(void **state)
{
        struct fix *f = *state;
        char path[512], inner[600];

        tb_console_add(1, true);
        assert_int_equal(mkdir(f->links, 0755), 0);
        snprintf(path, sizeof(path), "%s/%s", f->links, NAME);
        write_text(path, "precious\n");
        logbuf[0] = '\0';
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 1), -ENOTEMPTY);
        assert_non_null(strstr(xc_last_error(f->ctx)->text, "not a symlink"));
        assert_null(tb_readlink(path));
        assert_int_equal(tb_count_tree(f->links), 2); /* the folder and the file */
        assert_int_equal(unlink(path), 0);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(inner, sizeof(inner), "%s/keep", path);
        write_text(inner, "x");
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 1), -ENOTEMPTY);
        assert_int_equal(tb_count_tree(f->links), 3);
        assert_int_equal(access(inner, F_OK), 0);
}

/* Slot 0 is the primary console, never a channel. */
static void test_link_slot_zero(void **state)
{
        struct fix *f = *state;
        int before = tb_count_tree(f->root);

        tb_console_add(1, true);
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 0), -EINVAL);
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, -1), -EINVAL);
        assert_int_equal(xc_link_add(f->ctx, NAME, 0, 1), -EINVAL);
        assert_int_equal(tb_count_tree(f->root), before);
}

/* The names file is parsed strictly: a devid that only wraps to a live one
 * ("4294967297" as an int is 1), a sign or a space is a corrupt line. */
static void test_names_file_strict(void **state)
{
        struct fix *f = *state;
        char path[400];

        tb_console_add(1, true);
        tb_console_add(2, true);
        assert_int_equal(mkdir(f->run, 0755), 0);
        snprintf(path, sizeof(path), "%s/names", f->run);
        write_text(path, "4294967297 1 same.name\n+1 1 same.name\n 1 1 same.name\n"
                         "1 01 same.name\n1 1 same.name \n");
        logbuf[0] = '\0';
        assert_int_equal(xc_link_add(f->ctx, "same.name", 2, 2), 0);
        assert_link(f, "same.name", "../hvc2");
        assert_non_null(strstr(logbuf, "corrupt line"));
}

static void test_hostile_names(void **state)
{
        struct fix *f = *state;
        static const char *bad[] = {
                "",      "..",  ".",           "../evil", "a/b", ".hidden", "/etc/passwd",
                "name.", "x\n", "caf\xc3\xa9", "-dash",   "a b",
        };
        int before = tb_count_tree(f->root);

        tb_console_add(1, true);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(xc_link_add(f->ctx, bad[i], 1, 1), -EINVAL);
                assert_int_equal(xc_link_remove(f->ctx, bad[i], 1, 1), -EINVAL);
        }
        assert_int_equal(xc_link_add(f->ctx, NULL, 1, 1), -EINVAL);
        /* Nothing anywhere: not even the run folder or the link folder. */
        assert_int_equal(tb_count_tree(f->root), before);
        assert_int_equal(access("/tmp/evil", F_OK), -1);
}

static void test_unsafe_link_dir(void **state)
{
        struct fix *f = *state;
        char elsewhere[400];

        tb_console_add(1, true);
        snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", f->root);
        assert_int_equal(mkdir(elsewhere, 0755), 0);
        assert_int_equal(symlink(elsewhere, f->links), 0);
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 1), -ENOTDIR);
        assert_int_equal(xc_last_error(f->ctx)->obj, XC_OBJ_LINK_DIR);
        assert_string_equal(xc_last_error(f->ctx)->path, f->links);
        assert_int_equal(xc_link_remove(f->ctx, NAME, 1, 1), -ENOTDIR);
        assert_int_equal(tb_count_tree(elsewhere), 1);
        assert_string_equal(tb_readlink(f->links), elsewhere);
        /* A dangling symlink is refused too, and not created through. */
        assert_int_equal(unlink(f->links), 0);
        assert_int_equal(rmdir(elsewhere), 0);
        assert_int_equal(symlink(elsewhere, f->links), 0);
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 1), -ENOTDIR);
        assert_int_equal(access(elsewhere, F_OK), -1);
        /* A regular file. */
        assert_int_equal(unlink(f->links), 0);
        write_text(f->links, "x");
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 1), -ENOTDIR);
}

static void test_clash(void **state)
{
        struct fix *f = *state;

        tb_console_add(1, true);
        tb_console_add(2, true);
        /* 2 comes first (parallel udev workers), then 1 takes it over. */
        assert_int_equal(xc_link_add(f->ctx, NAME, 2, 2), 0);
        assert_link(f, NAME, "../hvc2");
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 1), 0);
        assert_link(f, NAME, "../hvc1");
        logbuf[0] = '\0';
        assert_int_equal(xc_link_add(f->ctx, NAME, 2, 2), -EEXIST);
        assert_link(f, NAME, "../hvc1");
        assert_non_null(strstr(xc_last_error(f->ctx)->text, "console-1"));
        assert_non_null(strstr(xc_last_error(f->ctx)->text, "console-2"));
        /* The owner goes away: 2 takes the link over. */
        tb_console_del(1);
        assert_int_equal(xc_link_remove(f->ctx, NAME, 1, 1), XC_REMOVAL_HANDED);
        assert_link(f, NAME, "../hvc2");
        assert_int_equal(xc_link_remove(f->ctx, NAME, 2, 2), XC_REMOVAL_REMOVED);
        assert_link(f, NAME, NULL);
}

static void test_clash_loser_leaves(void **state)
{
        struct fix *f = *state;

        tb_console_add(1, true);
        tb_console_add(2, true);
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 1), 0);
        assert_int_equal(xc_link_add(f->ctx, NAME, 2, 2), -EEXIST);
        tb_console_del(2);
        assert_int_equal(xc_link_remove(f->ctx, NAME, 2, 2), XC_REMOVAL_NONE);
        assert_link(f, NAME, "../hvc1");
        /* 2 is forgotten: when 1 goes, nobody takes over. */
        tb_console_del(1);
        assert_int_equal(xc_link_remove(f->ctx, NAME, 1, 1), XC_REMOVAL_REMOVED);
        assert_link(f, NAME, NULL);
}

static void test_clash_dead_claim(void **state)
{
        struct fix *f = *state;

        /* 1 claimed the name, then vanished without unlink (udev restart):
         * a console no longer bound does not keep the name. */
        tb_console_add(1, true);
        tb_console_add(2, true);
        assert_int_equal(xc_link_add(f->ctx, NAME, 1, 1), 0);
        tb_console_del(1);
        assert_int_equal(xc_link_add(f->ctx, NAME, 2, 2), 0);
        assert_link(f, NAME, "../hvc2");
}

static void test_rename(void **state)
{
        struct fix *f = *state;

        tb_console_add(1, true);
        assert_int_equal(xc_link_add(f->ctx, "old.name", 1, 1), 0);
        assert_int_equal(xc_link_add(f->ctx, "new.name", 1, 1), 0);
        assert_link(f, "old.name", NULL);
        assert_link(f, "new.name", "../hvc1");
}

/*
 * Several processes at once, all under the lock: the end is consistent.
 * Consoles 1 and 2 carry the same name and fight over it; 3..6 each add and
 * remove their own name over and over.
 */
static void test_concurrency(void **state)
{
        struct fix *f = *state;
        enum { KIDS = 6, ROUNDS = 40 };
        pid_t kids[KIDS];

        for (int d = 1; d <= KIDS; d++)
                tb_console_add(d, true);
        /* What is checked is the end state, not how long the lock is waited
         * for: under valgrind on a loaded machine a holder can be descheduled
         * past the 2 s default, and the waiter's EBUSY would fail the run. */
        assert_int_equal(xc_ctx_set_timeout_ms(f->ctx, 60000), 0);
        for (int k = 0; k < KIDS; k++) {
                kids[k] = fork();
                assert_true(kids[k] >= 0);
                if (kids[k] == 0) {
                        int devid = k + 1, bad = 0;
                        char name[32];

                        if (devid <= 2)
                                snprintf(name, sizeof(name), "shared");
                        else
                                snprintf(name, sizeof(name), "chan.%d", devid);
                        for (int i = 0; i < ROUNDS; i++) {
                                int slot = xc_resolve_tty(f->ctx, devid, XC_RESUME_UNTOLD);
                                int r;

                                if (slot != devid)
                                        bad++;
                                r = xc_link_add(f->ctx, name, devid, slot);
                                if (r != 0 && !(r == -EEXIST && devid == 2))
                                        bad++;
                                if (i < ROUNDS - 1 &&
                                    xc_link_remove(f->ctx, name, devid, slot) < 0)
                                        bad++;
                        }
                        _exit(bad ? 1 : 0);
                }
        }
        for (int k = 0; k < KIDS; k++) {
                int status;

                assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
                assert_true(WIFEXITED(status));
                assert_int_equal(WEXITSTATUS(status), 0);
        }
        for (int d = 3; d <= KIDS; d++) {
                char name[32], target[32];

                snprintf(name, sizeof(name), "chan.%d", d);
                snprintf(target, sizeof(target), "../hvc%d", d);
                assert_link(f, name, target);
        }
        assert_link(f, "shared", "../hvc1");
        /* 4 own links + shared, no temp files left behind. */
        assert_int_equal(tb_count_tree(f->links), KIDS - 2 + 2);
}

/* ---- sync.c (with the fake xenstore server) ---------------------------- */

static void xs_stop(struct fix *f)
{
        if (f->xs_pid > 0) {
                kill(f->xs_pid, SIGTERM);
                waitpid(f->xs_pid, NULL, 0);
                f->xs_pid = 0;
        }
}

/* (Re)start the fake server with the given KEY=VALUE settings (NULL-ended). */
static void xs_start(struct fix *f, ...)
{
        const char *server = getenv("XS_TEST_SERVER");
        char sock[400];
        const char *argv[64];
        char line[16];
        int argc = 0, ready[2];
        ssize_t n;
        va_list ap;

        if (!server)
                skip();
        xs_stop(f);
        snprintf(sock, sizeof(sock), "%s/xs.socket", f->root);
        unlink(sock);
        argv[argc++] = server;
        argv[argc++] = "--socket";
        argv[argc++] = sock;
        va_start(ap, f);
        for (const char *kv; (kv = va_arg(ap, const char *)) && argc < 60;) {
                argv[argc++] = "--set";
                argv[argc++] = kv;
        }
        va_end(ap);
        /* The server says READY on fd 3 once it listens: the socket file
         * alone exists a moment before it accepts (a connect then fails). */
        argv[argc++] = "--ready-fd";
        argv[argc++] = "3";
        argv[argc] = NULL;
        assert_int_equal(pipe(ready), 0);
        f->xs_pid = fork();
        assert_true(f->xs_pid >= 0);
        if (f->xs_pid == 0) {
                close(ready[0]);
                if (dup2(ready[1], 3) < 0)
                        _exit(127);
                execv(server, (char *const *)argv);
                _exit(127);
        }
        close(ready[1]);
        n = read(ready[0], line, sizeof(line) - 1);
        close(ready[0]);
        assert_true(n >= 5);
        line[n] = '\0';
        assert_non_null(strstr(line, "READY"));
        setenv("XENSTORED_PATH", sock, 1);
}

static void make_file(struct fix *f, const char *name, const char *target)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", f->links, name);
        if (target)
                assert_int_equal(symlink(target, path), 0);
        else
                write_text(path, "foreign\n");
}

static void test_sync(void **state)
{
        struct fix *f = *state;

        tb_console_add(1, true);
        tb_console_add(2, true); /* plain console: no name */
        tb_console_add(3, true);
        tb_console_add(4, false); /* named but not bound */
        xs_start(f, "device/console/1/name=org.qemu.guest_agent.0",
                 "device/console/3/name=org.example.agent.0",
                 "device/console/4/name=org.example.unbound", NULL);
        assert_int_equal(xc_sync(f->ctx), 2);
        assert_link(f, "org.qemu.guest_agent.0", "../hvc1");
        assert_link(f, "org.example.agent.0", "../hvc3");
        assert_link(f, "org.example.unbound", NULL);
        assert_int_equal(tb_count_tree(f->links), 3);

        /* Stale links to ../hvcN go; foreign files and links stay. */
        make_file(f, "stale.one", "../hvc5");
        make_file(f, "foreign.link", "/dev/null");
        make_file(f, "foreign.file", NULL);
        /* A name the grammar refuses was never ours, whatever it points at;
         * the temp link of a helper that died half-way was. */
        make_file(f, "not ours\n", "../hvc2");
        make_file(f, ".stale.one.4242.tmp", "../hvc2");
        tb_console_del(3);
        assert_int_equal(xc_sync(f->ctx), 1);
        assert_link(f, "org.example.agent.0", NULL);
        assert_link(f, "stale.one", NULL);
        assert_link(f, ".stale.one.4242.tmp", NULL);
        assert_link(f, "foreign.link", "/dev/null");
        assert_link(f, "not ours\n", "../hvc2");
        assert_int_equal(tb_count_tree(f->links), 5);

        /* Idempotent. */
        assert_int_equal(xc_sync(f->ctx), 1);
        assert_link(f, "org.qemu.guest_agent.0", "../hvc1");
}

static void test_sync_clash_and_bad(void **state)
{
        struct fix *f = *state;

        tb_console_add(1, true);
        tb_console_add(2, true);
        tb_console_add(3, true);
        tb_console_add(4, true);
        xs_start(f, "device/console/1/name=same.name", "device/console/2/name=same.name",
                 "device/console/3/name=../../etc/evil", "device/console/4/name=ok.name",
                 NULL);
        /* The first error is reported; the others are still linked. */
        int r = xc_sync(f->ctx);

        assert_int_equal(r, -EINVAL); /* console-3, read first */
        assert_link(f, "same.name", "../hvc1");
        assert_link(f, "ok.name", "../hvc4");
        assert_int_equal(tb_count_tree(f->links), 3);
        assert_int_equal(access("/etc/evil", F_OK), -1);
        /* The owner goes (no unlink: udev missed it): sync hands over. */
        tb_console_del(1);
        r = xc_sync(f->ctx);
        assert_int_equal(r, -EINVAL); /* console-3's name */
        assert_link(f, "same.name", "../hvc2");
}

/* A failed save is reported with its own errno, not a blanket -EIO. */
static void test_sync_save_error(void **state)
{
        struct fix *f = *state;
        char path[400];

        tb_console_add(1, true); /* no name: nothing to link */
        xs_start(f, NULL);
        assert_int_equal(mkdir(f->run, 0755), 0);
        snprintf(path, sizeof(path), "%s/names", f->run);
        assert_int_equal(mkdir(path, 0755), 0);
        assert_int_equal(xc_sync(f->ctx), -EISDIR);
        /* ... and recorded as the run file it is, which names it. */
        assert_int_equal(xc_last_error(f->ctx)->obj, XC_OBJ_RUN_FILE);
        assert_string_equal(xc_last_error(f->ctx)->path, path);
        snprintf(path, sizeof(path), "%s/names.tmp", f->run);
        assert_int_equal(access(path, F_OK), -1);
}

static void test_sync_no_xenstore(void **state)
{
        struct fix *f = *state;
        char sock[400];

        tb_console_add(1, true);
        snprintf(sock, sizeof(sock), "%s/nothing.socket", f->root);
        setenv("XENSTORED_PATH", sock, 1);
        assert_true(xc_sync(f->ctx) < 0);
        assert_int_equal(xc_last_error(f->ctx)->obj, XC_OBJ_XENSTORE);
        assert_int_equal(access(f->links, F_OK), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
                T(test_bound_consoles),
                T(test_resolve_gaps),
                T(test_resolve_runtime),
                T(test_resolve_no_tty),
                T(test_state_corrupt),
                T(test_run_dir_symlink),
                T(test_root_trailing_slash),
                T(test_lock_bounded),
                T(test_link_add_remove),
                T(test_link_remove_foreign),
                T(test_link_over_non_link),
                T(test_link_slot_zero),
                T(test_names_file_strict),
                T(test_hostile_names),
                T(test_unsafe_link_dir),
                T(test_clash),
                T(test_clash_loser_leaves),
                T(test_clash_dead_claim),
                T(test_rename),
                T(test_concurrency),
                T(test_sync),
                T(test_sync_clash_and_bad),
                T(test_sync_save_error),
                T(test_sync_no_xenstore),
        };

        return cmocka_run_group_tests_name("component-lib", tests, NULL, NULL);
}
