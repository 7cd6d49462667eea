/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the helper's pure parts: the udev environment and escaping. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "xc-core.h"
#include "udev-env.h"

static void test_env_parse(void **state)
{
        char *envp[] = {
                "PATH=/usr/bin",
                "ACTION=remove",
                "DEVPATH=/devices/console-2",
                "XEN_CHANNEL_NAME=org.qemu.guest_agent.0",
                "XEN_CHANNEL_NAMEX=decoy",
                "XEN_CHANNEL_TTY=hvc2",
                "XEN_CHANNEL_DEVNAME=/dev/hvc2",
                "XEN_CHANNEL_NAME=second",
                NULL,
        };
        struct udev_env env;

        udev_env_parse(&env, envp);
        assert_string_equal(env.action, "remove");
        assert_string_equal(env.devpath, "/devices/console-2");
        assert_string_equal(env.name, "org.qemu.guest_agent.0");
        assert_string_equal(env.tty, "hvc2");
        assert_string_equal(env.devname, "/dev/hvc2");
        assert_int_equal(udev_env_slot(&env), 2);
}

static void test_env_empty_and_missing(void **state)
{
        char *envp[] = { "XEN_CHANNEL_NAME=", "XEN_CHANNEL_TTY", "DEVPATH", NULL };
        struct udev_env env;

        udev_env_parse(&env, envp);
        assert_null(env.name);
        assert_null(env.tty);
        assert_null(env.devpath);
        assert_null(env.action);
        assert_int_equal(udev_env_slot(&env), -ENOENT);

        udev_env_parse(&env, NULL);
        assert_null(env.name);
}

static void test_tty_slot(void **state)
{
        assert_int_equal(xc_parse_tty("hvc0"), 0);
        assert_int_equal(xc_parse_tty("hvc1"), 1);
        assert_int_equal(xc_parse_tty("hvc15"), 15);
        assert_int_equal(xc_parse_tty("hvc16"), -EINVAL);
        assert_int_equal(xc_parse_tty("hvc01"), -EINVAL);
        assert_int_equal(xc_parse_tty("hvc"), -EINVAL);
        assert_int_equal(xc_parse_tty("hvc-1"), -EINVAL);
        assert_int_equal(xc_parse_tty("hvc1x"), -EINVAL);
        assert_int_equal(xc_parse_tty("ttyS1"), -EINVAL);
        assert_int_equal(xc_parse_tty("hvc99999999999999999999"), -EINVAL);
        assert_int_equal(xc_parse_tty(NULL), -EINVAL);
}

static void test_slot_sources(void **state)
{
        struct udev_env env = { .devname = "/tmp/x/dev/hvc3" };

        assert_int_equal(udev_env_slot(&env), 3);
        env.tty = "hvc3";
        assert_int_equal(udev_env_slot(&env), 3);
        env.tty = "hvc4"; /* they disagree */
        assert_int_equal(udev_env_slot(&env), -EINVAL);
        env.devname = "hvc4"; /* not a path */
        assert_int_equal(udev_env_slot(&env), -EINVAL);
        env.devname = "/dev/";
        assert_int_equal(udev_env_slot(&env), -EINVAL);
        env.devname = NULL;
        env.tty = "/dev/hvc4"; /* TTY is a name, not a path */
        assert_int_equal(udev_env_slot(&env), -EINVAL);
}

static void test_escape_log(void **state)
{
        char buf[64];
        const char raw[] = "a\n\"b\\\x01\xff\0z";

        assert_string_equal(xc_escape_for_log(raw, sizeof(raw) - 1, buf, sizeof(buf)),
                            "a\\n\\\"b\\\\\\x01\\xff\\x00z");
        assert_string_equal(xc_escape_for_log("", 0, buf, sizeof(buf)), "");
}

static void test_escape_log_cut(void **state)
{
        char buf[12];
        char big[100];

        memset(big, 'x', sizeof(big));
        xc_escape_for_log(big, sizeof(big), buf, sizeof(buf));
        assert_string_equal(buf, "xxxxxxxx...");
        /* Never cut inside an escape sequence. */
        memset(big, '\n', sizeof(big));
        xc_escape_for_log(big, sizeof(big), buf, sizeof(buf));
        assert_string_equal(buf, "\\n\\n\\n\\n...");
        /* Exactly fitting: no ellipsis. */
        xc_escape_for_log(big, 5, buf, sizeof(buf));
        assert_string_equal(buf, "\\n\\n\\n\\n\\n");
}

static void test_escape_unit(void **state)
{
        char buf[64];

        assert_int_equal(xc_unit_escape("org.qemu.guest_agent.0", buf, sizeof(buf)), 22);
        assert_string_equal(buf, "org.qemu.guest_agent.0");
        assert_int_equal(xc_unit_escape("my-agent", buf, sizeof(buf)), 11);
        assert_string_equal(buf, "my\\x2dagent");
        xc_unit_escape(".a/b c", buf, sizeof(buf));
        assert_string_equal(buf, "\\x2ea\\x2fb\\x20c");
        assert_int_equal(xc_unit_escape("a-b", buf, 6), -ENOSPC);
        assert_int_equal(xc_unit_escape("a-b", buf, 7), 6);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_env_parse),
                cmocka_unit_test(test_env_empty_and_missing),
                cmocka_unit_test(test_tty_slot),
                cmocka_unit_test(test_slot_sources),
                cmocka_unit_test(test_escape_log),
                cmocka_unit_test(test_escape_log_cut),
                cmocka_unit_test(test_escape_unit),
        };

        return cmocka_run_group_tests_name("helper-pure", tests, NULL, NULL);
}
