/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xen_channel_list: what counts as a channel, devids from the run state. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake-channel.h"

static void write_state(struct fake_dev *d, const char *text)
{
        char path[256];
        FILE *f;

        snprintf(path, sizeof(path), "%s/state", d->run_dir);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void test_no_folder(void **state)
{
        struct fake_dev *d = *state;
        struct xen_channel_info *list = (void *)1;
        size_t n = 99;

        assert_int_equal(xen_channel_list(d->ctx, &list, &n), 0);
        assert_int_equal(n, 0);
        assert_null(list);
        fake_dev_mkdir(d);
        assert_int_equal(xen_channel_list(d->ctx, &list, &n), 0);
        assert_int_equal(n, 0);
        assert_null(list);
}

static void test_entries(void **state)
{
        struct fake_dev *d = *state;
        struct xen_channel_info *list;
        char path[256];
        size_t n;

        fake_dev_link(d, "org.qemu.guest_agent.0", "../hvc1");
        fake_dev_link(d, "com.redhat.rhevm.vdsm", "../hvc3");
        fake_dev_link(d, "b-unknown-devid", "../hvc5");
        fake_dev_link(d, "zz.not.ours", "/dev/ttyS0"); /* not ../hvcN */
        fake_dev_link(d, "zz.odd", "../hvc1x");
        fake_dev_link(d, "zz.leading.zero", "../hvc01");
        fake_dev_link(d, "-bad-name", "../hvc2"); /* breaks the grammar */
        snprintf(path, sizeof(path), "%s/xen-channel/regular.file", d->dev_dir);
        close(open(path, O_CREAT | O_WRONLY, 0644));
        write_state(d, "1 1\n2 3\n");

        assert_int_equal(xen_channel_list(d->ctx, &list, &n), 0);
        assert_int_equal(n, 3);
        assert_string_equal(list[0].name, "b-unknown-devid");
        assert_string_equal(list[0].tty, "hvc5");
        assert_int_equal(list[0].devid, -1);
        assert_string_equal(list[1].name, "com.redhat.rhevm.vdsm");
        assert_string_equal(list[1].tty, "hvc3");
        assert_int_equal(list[1].devid, 2);
        assert_string_equal(list[2].name, "org.qemu.guest_agent.0");
        assert_string_equal(list[2].tty, "hvc1");
        assert_int_equal(list[2].devid, 1);
        free(list);

        /* a corrupt state costs only the devids */
        write_state(d, "garbage\n");
        assert_int_equal(xen_channel_list(d->ctx, &list, &n), 0);
        assert_int_equal(n, 3);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(list[i].devid, -1);
        free(list);
}

/* The helper's names file knows the devid of each link exactly, also when
 * two consoles' states disagree with it. */
static void test_devid_from_claims(void **state)
{
        struct fake_dev *d = *state;
        struct xen_channel_info *list;
        char path[256];
        size_t n;
        FILE *f;

        fake_dev_link(d, "a.chan", "../hvc1");
        fake_dev_link(d, "b.chan", "../hvc2");
        snprintf(path, sizeof(path), "%s/names", d->run_dir);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs("3 1 a.chan\n", f);
        fclose(f);
        write_state(d, "1 2\n");
        assert_int_equal(xen_channel_list(d->ctx, &list, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(list[0].devid, 3); /* from names */
        assert_int_equal(list[1].devid, 1); /* from state */
        free(list);
}

static void test_many(void **state)
{
        struct fake_dev *d = *state;
        struct xen_channel_info *list;
        char name[32];
        size_t n;

        for (int i = 99; i >= 0; i--) {
                snprintf(name, sizeof(name), "chan.%02d", i);
                fake_dev_link(d, name, "../hvc7");
        }
        assert_int_equal(xen_channel_list(d->ctx, &list, &n), 0);
        assert_int_equal(n, 100);
        for (size_t i = 0; i < n; i++) {
                snprintf(name, sizeof(name), "chan.%02zu", i);
                assert_string_equal(list[i].name, name);
        }
        free(list);
}

static void test_unreadable_folder(void **state)
{
        struct fake_dev *d = *state;
        struct xen_channel_info *list;
        char path[256];
        size_t n;

        snprintf(path, sizeof(path), "%s/xen-channel", d->dev_dir);
        assert_int_equal(symlink("/nonexistent", path) == 0 || errno == EEXIST, 1);
        /* a dangling folder link reads as no folder */
        assert_int_equal(xen_channel_list(d->ctx, &list, &n), 0);
        assert_int_equal(n, 0);
        unlink(path);
        close(open(path, O_CREAT | O_WRONLY, 0644));
        assert_int_equal(xen_channel_list(d->ctx, &list, &n), -ENOTDIR);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_no_folder, fake_dev_setup,
                                                fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_entries, fake_dev_setup,
                                                fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_devid_from_claims, fake_dev_setup,
                                                fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_many, fake_dev_setup, fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_unreadable_folder, fake_dev_setup,
                                                fake_dev_teardown),
        };

        return cmocka_run_group_tests_name("agent-list", tests, NULL, NULL);
}
