/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Channel name policy: hostile names, real-world names, every byte in every
 * position against an independent model of the grammar, and the promise that
 * an accepted name makes a valid systemd device alias.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xc-core.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct name_case {
        const char *name;
        size_t len; /* 0: strlen(name) */
        enum xen_channel_name_verdict want;
};

#define NC(s, v)                           \
        {                                  \
                s, 0, XEN_CHANNEL_NAME_##v \
        }
#define NCL(s, v)                                      \
        {                                              \
                s, sizeof(s) - 1, XEN_CHANNEL_NAME_##v \
        }

static const struct name_case hostile[] = {
        NC("", EMPTY),
        NC(".", BAD_FIRST),
        NC("..", DOT_DOT),
        NC("...", DOT_DOT),
        NC("../x", SLASH),
        NC("../../etc/passwd", SLASH),
        NC("x/..", SLASH),
        NC("a/b", SLASH),
        NC("/", SLASH),
        NC("/etc", SLASH),
        NC("a/", SLASH),
        NC("a\n", CONTROL_CHAR),
        NC("\n", CONTROL_CHAR),
        NC("\t", CONTROL_CHAR),
        NC("a\tb", CONTROL_CHAR),
        NC("a\rb", CONTROL_CHAR),
        NC("a\x1b[31mred", CONTROL_CHAR),
        NC("a\x7f", CONTROL_CHAR),
        NC("a b", BAD_CHAR),
        NC(" a", BAD_FIRST),
        NC("a ", BAD_CHAR),
        NC("\xc3\xa4", NOT_ASCII), /* ä in UTF-8 */
        NC("a\xc3\xa4", NOT_ASCII),
        NC("\xff", NOT_ASCII),
        NC("org.qemu\xe2\x80\x8b.ga", NOT_ASCII), /* zero-width space */
        NC("-rf", BAD_FIRST),
        NC("--help", BAD_FIRST),
        NC(".hidden", BAD_FIRST),
        NC("_x", BAD_FIRST),
        NC("a.", BAD_LAST),
        NC("org.qemu.", BAD_LAST),
        NC("a..b", DOT_DOT),
        NC("a..", DOT_DOT),
        NC("a:b", BAD_CHAR),
        NC("a,b", BAD_CHAR),
        NC("a=b", BAD_CHAR),
        NC("a\"b", BAD_CHAR),
        NC("a'b", BAD_CHAR),
        NC("a\\b", BAD_CHAR),
        NC("a\\x2db", BAD_CHAR),
        NC("a@b", BAD_CHAR),
        NC("a*", BAD_CHAR),
        NC("a?", BAD_CHAR),
        NC("a[1]", BAD_CHAR),
        NC("$(reboot)", BAD_FIRST),
        NC("a$(reboot)", BAD_CHAR),
        NC("a;rm", BAD_CHAR),
        NC("a|b", BAD_CHAR),
        NC("a%n", BAD_CHAR),
        NC("a~", BAD_CHAR),
        NC("~", BAD_FIRST),
        NC("a+b", BAD_CHAR),
        NCL("\0", EMBEDDED_NUL),
        NCL("a\0b", EMBEDDED_NUL),
        NCL("a\0", EMBEDDED_NUL),
        NCL("org.qemu.guest_agent.0\0/../x", EMBEDDED_NUL),
        /* several faults: the first in enum order wins */
        NCL("\0/\n\xff", EMBEDDED_NUL),
        NC("/\n", CONTROL_CHAR),
        NC("/\xff", NOT_ASCII),
        NC("../a", SLASH),
        NC("..a b", DOT_DOT),
        NC("-a.", BAD_FIRST),
        NC("a b.", BAD_LAST),
};

/* Names used in the wild and other valid shapes. */
static const char *const accepted[] = {
        "org.qemu.guest_agent.0",
        "org.xenproject.guest.clipboard.0.1",
        "com.redhat.rhevm.vdsm",
        "org.my.cloud.software.agent.version1",
        "a",
        "Z",
        "0",
        "a-",
        "a_",
        "a.b",
        "a-b_c.d",
        "A1.b2-C3_d4",
        "x.-._-y",
        "9.9.9",
};

static void check_case(const char *name, size_t len, enum xen_channel_name_verdict want)
{
        enum xen_channel_name_verdict got = xen_channel_name_check(name, len);

        if (got != want) {
                char shown[64] = "";

                for (size_t i = 0; i < len && i < 15; i++)
                        snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown), "%02x ",
                                 (unsigned char)name[i]);
                print_error("name [%s] (len %zu): got %d (%s), want %d (%s)\n", shown, len,
                            got, xen_channel_name_verdict_str(got), want,
                            xen_channel_name_verdict_str(want));
        }
        assert_int_equal(got, want);
}

static void test_hostile_names(void **state)
{
        assert_true(ARRAY_SIZE(hostile) >= 50);
        for (size_t i = 0; i < ARRAY_SIZE(hostile); i++) {
                const struct name_case *c = &hostile[i];
                size_t len = c->len ? c->len : strlen(c->name);

                check_case(c->name, len, c->want);
                /* The convenience function agrees when there is no NUL inside. */
                if (!memchr(c->name, '\0', len))
                        assert_int_equal(xc_name_valid(c->name), -EINVAL);
        }
}

static void test_accepted_names(void **state)
{
        for (size_t i = 0; i < ARRAY_SIZE(accepted); i++) {
                check_case(accepted[i], strlen(accepted[i]), XEN_CHANNEL_NAME_OK);
                assert_int_equal(xc_name_valid(accepted[i]), 0);
        }
}

/* An embedded NUL is visible only through len; the C-string API stops there. */
static void test_embedded_nul(void **state)
{
        static const char n[] = "org.qemu.guest_agent.0\0evil";

        assert_int_equal(xen_channel_name_check(n, sizeof(n) - 1),
                         XEN_CHANNEL_NAME_EMBEDDED_NUL);
        assert_int_equal(xen_channel_name_check(n, strlen(n)), XEN_CHANNEL_NAME_OK);
        assert_int_equal(xc_name_valid(n), 0);
        /* len 0 is empty even with bytes behind it; a NULL name is empty too */
        assert_int_equal(xen_channel_name_check("abc", 0), XEN_CHANNEL_NAME_EMPTY);
        assert_int_equal(xen_channel_name_check(NULL, 0), XEN_CHANNEL_NAME_EMPTY);
        assert_int_equal(xen_channel_name_check(NULL, 5), XEN_CHANNEL_NAME_EMPTY);
        assert_int_equal(xc_name_valid(NULL), -EINVAL);
        assert_int_equal(xc_name_valid(""), -EINVAL);
}

static void test_length_limits(void **state)
{
        char buf[4096];

        memset(buf, 'a', sizeof(buf));
        assert_int_equal(xen_channel_name_check(buf, 1), XEN_CHANNEL_NAME_OK);
        assert_int_equal(xen_channel_name_check(buf, XEN_CHANNEL_NAME_MAX),
                         XEN_CHANNEL_NAME_OK);
        assert_int_equal(xen_channel_name_check(buf, XEN_CHANNEL_NAME_MAX + 1),
                         XEN_CHANNEL_NAME_TOO_LONG);
        assert_int_equal(xen_channel_name_check(buf, sizeof(buf)), XEN_CHANNEL_NAME_TOO_LONG);
        /* too long wins over any bad character */
        buf[5] = '/';
        assert_int_equal(xen_channel_name_check(buf, XEN_CHANNEL_NAME_MAX + 1),
                         XEN_CHANNEL_NAME_TOO_LONG);
        assert_int_equal(xen_channel_name_check(buf, XEN_CHANNEL_NAME_MAX),
                         XEN_CHANNEL_NAME_SLASH);
        buf[5] = 'a';

        /* NUL-terminated: exactly at and one past the limit, and very long */
        buf[XEN_CHANNEL_NAME_MAX] = '\0';
        assert_int_equal(xc_name_valid(buf), 0);
        buf[XEN_CHANNEL_NAME_MAX] = 'a';
        buf[XEN_CHANNEL_NAME_MAX + 1] = '\0';
        assert_int_equal(xc_name_valid(buf), -EINVAL);
        buf[XEN_CHANNEL_NAME_MAX + 1] = 'a';
        buf[sizeof(buf) - 1] = '\0';
        assert_int_equal(xc_name_valid(buf), -EINVAL);
}

/* systemd escapes "-" as "\x2d"; the device alias must stay <= 255 characters. */
static void test_escaped_length(void **state)
{
        char buf[XEN_CHANNEL_NAME_MAX + 1];
        size_t max_dashes = (XEN_CHANNEL_NAME_ESCAPED_MAX - 1) / 4; /* 57 */

        assert_int_equal(XEN_CHANNEL_NAME_ESCAPED_MAX, 229);
        memset(buf, '-', sizeof(buf));
        buf[0] = 'a';
        assert_int_equal(xen_channel_name_check(buf, 1 + max_dashes), XEN_CHANNEL_NAME_OK);
        assert_int_equal(xen_channel_name_check(buf, 2 + max_dashes),
                         XEN_CHANNEL_NAME_UNIT_TOO_LONG);
        assert_int_equal(xen_channel_name_check(buf, XEN_CHANNEL_NAME_MAX),
                         XEN_CHANNEL_NAME_UNIT_TOO_LONG);
        /* any other fault is reported first */
        buf[3] = ' ';
        assert_int_equal(xen_channel_name_check(buf, XEN_CHANNEL_NAME_MAX),
                         XEN_CHANNEL_NAME_BAD_CHAR);
        /* 128 bytes, 33 dashes: 128 + 99 = 227 fits; 34 dashes: 230 does not */
        memset(buf, 'b', sizeof(buf));
        for (int i = 1; i <= 33; i++)
                buf[i * 3] = '-';
        assert_int_equal(xen_channel_name_check(buf, XEN_CHANNEL_NAME_MAX),
                         XEN_CHANNEL_NAME_OK);
        buf[100] = '-';
        assert_int_equal(xen_channel_name_check(buf, XEN_CHANNEL_NAME_MAX),
                         XEN_CHANNEL_NAME_UNIT_TOO_LONG);
}

/* Independent model of the grammar for one byte. */
static bool model_alnum(unsigned c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static enum xen_channel_name_verdict model_class(unsigned c)
{
        if (c == 0)
                return XEN_CHANNEL_NAME_EMBEDDED_NUL;
        if (c < 32 || c == 127)
                return XEN_CHANNEL_NAME_CONTROL_CHAR;
        if (c > 127)
                return XEN_CHANNEL_NAME_NOT_ASCII;
        if (c == '/')
                return XEN_CHANNEL_NAME_SLASH;
        return XEN_CHANNEL_NAME_OK;
}

static void test_every_byte(void **state)
{
        int ok_first = 0, ok_middle = 0;

        for (unsigned c = 0; c < 256; c++) {
                enum xen_channel_name_verdict cls = model_class(c);
                bool inner = model_alnum(c) || c == '.' || c == '_' || c == '-';
                char first[2] = { (char)c, 'b' };
                char middle[3] = { 'a', (char)c, 'b' };
                char last[2] = { 'a', (char)c };
                char alone[1] = { (char)c };
                enum xen_channel_name_verdict want;

                /* as first character */
                want = cls != XEN_CHANNEL_NAME_OK ? cls
                       : model_alnum(c)           ? XEN_CHANNEL_NAME_OK
                                                  : XEN_CHANNEL_NAME_BAD_FIRST;
                check_case(first, 2, want);
                ok_first += want == XEN_CHANNEL_NAME_OK;
                /* alone: first and last at once */
                check_case(alone, 1, want);

                /* as middle character */
                want = cls != XEN_CHANNEL_NAME_OK ? cls
                       : inner                    ? XEN_CHANNEL_NAME_OK
                                                  : XEN_CHANNEL_NAME_BAD_CHAR;
                check_case(middle, 3, want);
                ok_middle += want == XEN_CHANNEL_NAME_OK;

                /* as last character */
                want = cls != XEN_CHANNEL_NAME_OK ? cls
                       : c == '.'                 ? XEN_CHANNEL_NAME_BAD_LAST
                       : inner                    ? XEN_CHANNEL_NAME_OK
                                                  : XEN_CHANNEL_NAME_BAD_CHAR;
                check_case(last, 2, want);
        }
        assert_int_equal(ok_first, 62);
        assert_int_equal(ok_middle, 65);
}

/* What systemd's unit_name_path_escape() makes of one path component. */
static size_t systemd_escaped_len(const char *s, size_t len)
{
        size_t n = 0;

        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                bool keep = model_alnum(c) || c == ':' || c == '_' || (c == '.' && i > 0);

                n += keep ? 1 : 4;
        }
        return n;
}

/*
 * Random names over the grammar's alphabet plus a few hostile bytes: every
 * accepted one must be a safe file name and give a device alias of at most
 * 255 characters.
 */
static void test_random_accepted_are_safe(void **state)
{
        static const char alphabet[] = "aZ09._-/ \n\x80";
        unsigned seed = 12345;
        char buf[XEN_CHANNEL_NAME_MAX + 8];
        int accepted_count = 0;

        for (int iter = 0; iter < 200000; iter++) {
                size_t len;

                seed = seed * 1103515245u + 12345u;
                len = 1 + (seed >> 16) % (sizeof(buf) - 1);
                for (size_t i = 0; i < len; i++) {
                        seed = seed * 1103515245u + 12345u;
                        /* mostly letters so that long names get accepted too */
                        buf[i] = (seed >> 16) % 4
                                         ? 'a'
                                         : alphabet[(seed >> 18) % (sizeof(alphabet) - 1)];
                }
                if (xen_channel_name_check(buf, len) != XEN_CHANNEL_NAME_OK)
                        continue;
                accepted_count++;
                assert_true(len <= XEN_CHANNEL_NAME_MAX);
                assert_null(memchr(buf, '/', len));
                assert_false(buf[0] == '.' || buf[len - 1] == '.');
                assert_int_equal(memmem(buf, len, "..", 2) == NULL, 1);
                assert_true(strlen("dev-xen\\x2dchannel-") + systemd_escaped_len(buf, len) +
                                    strlen(".device") <=
                            255);
        }
        assert_true(accepted_count > 1000);
}

static void test_verdict_strings(void **state)
{
        const char *seen[32] = { 0 };

        for (int v = XEN_CHANNEL_NAME_OK; v <= XEN_CHANNEL_NAME_UNIT_TOO_LONG; v++) {
                const char *s = xen_channel_name_verdict_str(v);

                assert_non_null(s);
                assert_true(strlen(s) > 0);
                assert_null(strchr(s, '\n'));
                for (int w = 0; w < v; w++)
                        assert_string_not_equal(s, seen[w]);
                seen[v] = s;
        }
        assert_string_equal(xen_channel_name_verdict_str(XEN_CHANNEL_NAME_SLASH),
                            "contains '/'");
        assert_non_null(xen_channel_name_verdict_str(XEN_CHANNEL_NAME_UNIT_TOO_LONG + 1));
        assert_non_null(xen_channel_name_verdict_str((enum xen_channel_name_verdict) - 1));
        assert_non_null(xen_channel_name_verdict_str((enum xen_channel_name_verdict)100000));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hostile_names),
                cmocka_unit_test(test_accepted_names),
                cmocka_unit_test(test_embedded_nul),
                cmocka_unit_test(test_length_limits),
                cmocka_unit_test(test_escaped_length),
                cmocka_unit_test(test_every_byte),
                cmocka_unit_test(test_random_accepted_are_safe),
                cmocka_unit_test(test_verdict_strings),
        };

        return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
