/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Defect 6 of issue 12: the agent side accepts only the links the helper
 * makes, ../hvc1 .. ../hvc7. A link to ../hvc0 (the primary console, where
 * the getty runs) or to a slot without a tty (../hvc8 .. ../hvc15) is not
 * listed, and xen_channel_open() refuses it without opening anything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake-channel.h"

/* Every hvc the links below lead to is a real tty (a pty), so that only the
 * library's own check can refuse them. */
static void links(struct fake_dev *d, struct fake_pty *pty)
{
        static const int slots[] = { 0, 1, 7, 8, 12, 15 };
        char name[32], target[32];

        fake_pty_open(pty);
        for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
                fake_dev_hvc(d, slots[i], pty->path);
                snprintf(name, sizeof(name), "chan.hvc%d", slots[i]);
                snprintf(target, sizeof(target), "../hvc%d", slots[i]);
                fake_dev_link(d, name, target);
        }
}

static void test_list(void **state)
{
        struct fake_dev *d = *state;
        struct xen_channel_info *list;
        struct fake_pty pty;
        size_t n;

        links(d, &pty);
        assert_int_equal(xen_channel_list(d->ctx, &list, &n), 0);
        /* only hvc1 and hvc7: sorted by name */
        assert_int_equal(n, 2);
        assert_string_equal(list[0].name, "chan.hvc1");
        assert_string_equal(list[0].tty, "hvc1");
        assert_string_equal(list[1].name, "chan.hvc7");
        assert_string_equal(list[1].tty, "hvc7");
        free(list);
        fake_pty_close(&pty);
}

static void test_open(void **state)
{
        struct fake_dev *d = *state;
        struct fake_pty pty;
        int fd;

        links(d, &pty);
        for (int slot = 0; slot < 16; slot++) {
                char name[32];

                if (slot != 0 && slot != 1 && slot != 7 && slot != 8 && slot != 12 &&
                    slot != 15)
                        continue;
                snprintf(name, sizeof(name), "chan.hvc%d", slot);
                fd = xen_channel_open(d->ctx, name, 0, 0);
                if (slot >= 1 && slot <= 7) {
                        assert_true(fd >= 0);
                        close(fd);
                } else {
                        if (fd >= 0)
                                close(fd);
                        print_message("# %s -> ../hvc%d: xen_channel_open gave %d\n", name,
                                      slot, fd);
                        assert_int_equal(fd, -ENOTTY);
                }
        }
        fake_pty_close(&pty);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_list, fake_dev_setup, fake_dev_teardown),
                cmocka_unit_test_setup_teardown(test_open, fake_dev_setup, fake_dev_teardown),
        };

        return cmocka_run_group_tests_name("defect-6-agent-hvc-range", tests, NULL, NULL);
}
