/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Devid parsing, the kernel's first-free hvc slot rule, the mapping state and
 * its text form. The runtime sequences are checked against a small model of
 * hvc_alloc()/hvc_remove() (drivers/tty/hvc/hvc_console.c).
 */
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

struct devid_case {
        const char *ref;
        int want;
};

static const struct devid_case devid_cases[] = {
        { "console-1", 1 },
        { "console-9", 9 },
        { "/sys/devices/console-3", 3 },
        { "/devices/console-7", 7 },
        { "5", 5 },
        { "1", 1 },
        /* consoles the kernel cannot probe */
        { "console-0", -ERANGE },
        { "console-10", -ERANGE },
        { "console-12", -ERANGE },
        { "/devices/console-0", -ERANGE },
        { "/sys/devices/console-11", -ERANGE },
        { "0", -ERANGE },
        { "10", -ERANGE },
        { "99999999999999999999999999999999", -ERANGE },
        { "console-18446744073709551617", -ERANGE },
        /* not a console reference */
        { "", -EINVAL },
        { "console-", -EINVAL },
        { "console", -EINVAL },
        { "console-a", -EINVAL },
        { "console-1a", -EINVAL },
        { "console-1 ", -EINVAL },
        { " console-1", -EINVAL },
        { "console- 1", -EINVAL },
        { "console-+1", -EINVAL },
        { "console--1", -EINVAL },
        { "console-0x1", -EINVAL },
        { "console-01", -EINVAL },
        { "console-00", -EINVAL },
        { "console-1\n", -EINVAL },
        { "console-1/", -EINVAL },
        { "/sys/devices/console-1/", -EINVAL },
        { "/sys/devices/console-", -EINVAL },
        { "/sys/devices/vbd-1", -EINVAL },
        { "/devices/vif-1", -EINVAL },
        { "vif-1", -EINVAL },
        { "Console-1", -EINVAL },
        { "/sys/bus/xen/devices/console-1", -EINVAL },
        { "sys/devices/console-1", -EINVAL },
        { "devices/console-1", -EINVAL },
        { "/sys/devices//console-1", -EINVAL },
        { "+1", -EINVAL },
        { "-1", -EINVAL },
        { " 1", -EINVAL },
        { "1 ", -EINVAL },
        { "1.0", -EINVAL },
        { "hvc1", -EINVAL },
        { "/dev/hvc1", -EINVAL },
};

static void test_parse_devid(void **state)
{
        for (size_t i = 0; i < ARRAY_SIZE(devid_cases); i++) {
                int got = xc_parse_devid(devid_cases[i].ref);

                if (got != devid_cases[i].want)
                        print_error("ref \"%s\": got %d, want %d\n", devid_cases[i].ref, got,
                                    devid_cases[i].want);
                assert_int_equal(got, devid_cases[i].want);
        }
        assert_int_equal(xc_parse_devid(NULL), -EINVAL);
}

static void test_parse_devid_all_digits(void **state)
{
        char buf[64];

        for (int n = 0; n < 1000; n++) {
                int want = n >= 1 && n <= 9 ? n : -ERANGE;

                snprintf(buf, sizeof(buf), "console-%d", n);
                assert_int_equal(xc_parse_devid(buf), want);
                snprintf(buf, sizeof(buf), "/devices/console-%d", n);
                assert_int_equal(xc_parse_devid(buf), want);
                snprintf(buf, sizeof(buf), "%d", n);
                assert_int_equal(xc_parse_devid(buf), want);
        }
}

static void test_first_free(void **state)
{
        bool used[XC_HVC_SLOTS] = { false };

        assert_int_equal(xc_hvc_first_free(used), 0);
        used[0] = true; /* the primary console */
        assert_int_equal(xc_hvc_first_free(used), 1);
        used[1] = used[2] = true;
        assert_int_equal(xc_hvc_first_free(used), 3);
        used[4] = true;
        assert_int_equal(xc_hvc_first_free(used), 3);
        used[1] = false;
        assert_int_equal(xc_hvc_first_free(used), 1);
        for (int i = 0; i < XC_HVC_SLOTS; i++)
                used[i] = true;
        assert_int_equal(xc_hvc_first_free(used), -ENOSPC);
        used[XC_HVC_SLOTS - 1] = false;
        assert_int_equal(xc_hvc_first_free(used), XC_HVC_SLOTS - 1);
        assert_int_equal(xc_hvc_first_free(NULL), -EINVAL);
}

/* bound set from a list of devids */
static void set_bound(bool bound[XC_DEVID_MAX + 1], const int *devids, size_t n)
{
        memset(bound, 0, (XC_DEVID_MAX + 1) * sizeof(bound[0]));
        for (size_t i = 0; i < n; i++)
                bound[devids[i]] = true;
}

/* expected: slot for devids 0..9 */
static void assert_map(const struct xc_map *map, const int want[XC_DEVID_MAX + 1])
{
        for (int d = 0; d <= XC_DEVID_MAX; d++) {
                if (map->slot[d] != want[d])
                        print_error("devid %d: slot %d, want %d\n", d, map->slot[d], want[d]);
                assert_int_equal(map->slot[d], want[d]);
        }
}

static void test_map_init(void **state)
{
        struct xc_map map;

        memset(&map, 0x5a, sizeof(map));
        xc_map_init(&map);
        for (int d = 0; d <= XC_DEVID_MAX; d++)
                assert_int_equal(map.slot[d], -1);
        xc_map_init(NULL); /* does not crash */
}

static void test_contiguous(void **state)
{
        static const int ids[] = { 1, 2, 3 };
        static const int want[] = { -1, 1, 2, 3, -1, -1, -1, -1, -1, -1 };
        bool bound[XC_DEVID_MAX + 1];
        struct xc_map map;

        xc_map_init(&map);
        set_bound(bound, ids, ARRAY_SIZE(ids));
        assert_int_equal(xc_map_update(&map, bound), 3);
        assert_map(&map, want);
        /* nothing changed: nothing added, same map */
        assert_int_equal(xc_map_update(&map, bound), 0);
        assert_map(&map, want);
}

static void test_gaps(void **state)
{
        static const int ids[] = { 1, 3 };
        static const int want[] = { -1, 1, -1, 2, -1, -1, -1, -1, -1, -1 };
        static const int only3[] = { 3 };
        static const int want3[] = { -1, -1, -1, 1, -1, -1, -1, -1, -1, -1 };
        static const int ids2[] = { 2, 5, 9 };
        static const int want2[] = { -1, -1, 1, -1, -1, 2, -1, -1, -1, 3 };
        bool bound[XC_DEVID_MAX + 1];
        struct xc_map map;

        /* console-3 is hvc2 when console-2 does not exist */
        xc_map_init(&map);
        set_bound(bound, ids, ARRAY_SIZE(ids));
        assert_int_equal(xc_map_update(&map, bound), 2);
        assert_map(&map, want);

        /* the only channel, console-3, is hvc1 (seen on real Xen) */
        xc_map_init(&map);
        set_bound(bound, only3, ARRAY_SIZE(only3));
        assert_int_equal(xc_map_update(&map, bound), 1);
        assert_map(&map, want3);

        xc_map_init(&map);
        set_bound(bound, ids2, ARRAY_SIZE(ids2));
        assert_int_equal(xc_map_update(&map, bound), 3);
        assert_map(&map, want2);
}

static void test_unbound(void **state)
{
        static const int none[] = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 };
        bool bound[XC_DEVID_MAX + 1] = { false };
        struct xc_map map;

        xc_map_init(&map);
        assert_int_equal(xc_map_update(&map, bound), 0);
        assert_map(&map, none);
        /* bound[0] (the primary console) is never given a slot */
        bound[0] = true;
        assert_int_equal(xc_map_update(&map, bound), 0);
        assert_map(&map, none);
}

/* Nine channels: slots 8 and 9 exist in the kernel but have no tty node. */
static void test_more_than_seven(void **state)
{
        static const int want[] = { -1, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
        bool bound[XC_DEVID_MAX + 1];
        struct xc_map map;

        xc_map_init(&map);
        for (int d = 0; d <= XC_DEVID_MAX; d++)
                bound[d] = d >= 1;
        assert_int_equal(xc_map_update(&map, bound), 9);
        assert_map(&map, want);
        assert_true(map.slot[8] >= XC_HVC_TTYS);
        assert_true(map.slot[9] >= XC_HVC_TTYS);
        assert_true(map.slot[7] < XC_HVC_TTYS);
}

static void test_runtime_sequence(void **state)
{
        static const int s12[] = { 1, 2 };
        static const int s2[] = { 2 };
        static const int s23[] = { 2, 3 };
        static const int s123[] = { 1, 2, 3 };
        static const int w12[] = { -1, 1, 2, -1, -1, -1, -1, -1, -1, -1 };
        static const int w2[] = { -1, -1, 2, -1, -1, -1, -1, -1, -1, -1 };
        static const int w23[] = { -1, -1, 2, 1, -1, -1, -1, -1, -1, -1 };
        static const int w123[] = { -1, 3, 2, 1, -1, -1, -1, -1, -1, -1 };
        bool bound[XC_DEVID_MAX + 1];
        struct xc_map map;

        xc_map_init(&map);
        set_bound(bound, s12, ARRAY_SIZE(s12));
        assert_int_equal(xc_map_update(&map, bound), 2);
        assert_map(&map, w12);
        /* console-1 removed: hvc1 is free */
        set_bound(bound, s2, ARRAY_SIZE(s2));
        assert_int_equal(xc_map_update(&map, bound), 0);
        assert_map(&map, w2);
        /* console-3 hot-added: takes hvc1, not hvc3 */
        set_bound(bound, s23, ARRAY_SIZE(s23));
        assert_int_equal(xc_map_update(&map, bound), 1);
        assert_map(&map, w23);
        /* console-1 comes back: hvc3 */
        set_bound(bound, s123, ARRAY_SIZE(s123));
        assert_int_equal(xc_map_update(&map, bound), 1);
        assert_map(&map, w123);

        /*
         * Both changes seen by one update (the helper missed an event):
         * removals are applied first, so console-3 reuses console-1's hvc1.
         */
        xc_map_init(&map);
        set_bound(bound, s12, ARRAY_SIZE(s12));
        assert_int_equal(xc_map_update(&map, bound), 2);
        set_bound(bound, s23, ARRAY_SIZE(s23));
        assert_int_equal(xc_map_update(&map, bound), 1);
        assert_map(&map, w23);
}

/*
 * Model of the kernel, one probe/remove at a time: slot_of[devid], and
 * vterm[slot] (the primary holds slot 0 for good). Random single events must
 * give the same slots as xc_map_update().
 */
static void test_matches_kernel_model(void **state)
{
        bool vterm_used[XC_HVC_SLOTS] = { true };
        int slot_of[XC_DEVID_MAX + 1];
        bool bound[XC_DEVID_MAX + 1] = { false };
        struct xc_map map;
        unsigned seed = 42;

        xc_map_init(&map);
        for (int d = 0; d <= XC_DEVID_MAX; d++)
                slot_of[d] = -1;
        for (int step = 0; step < 20000; step++) {
                int d;

                seed = seed * 1103515245u + 12345u;
                d = 1 + (int)((seed >> 16) % XC_DEVID_MAX);
                if (bound[d]) { /* hvc_remove() */
                        vterm_used[slot_of[d]] = false;
                        slot_of[d] = -1;
                } else { /* probe: hvc_alloc() first free scan */
                        int i = 0;

                        while (vterm_used[i])
                                i++;
                        vterm_used[i] = true;
                        slot_of[d] = i;
                }
                bound[d] = !bound[d];
                assert_in_range(xc_map_update(&map, bound), 0, 1);
                assert_map(&map, slot_of);
        }
}

/* xencons_resume(): each console, in the order it got its slot, frees it
 * and takes the first free one (seen on real Xen: tests/e2e s7). */
static void test_resumed(void **state)
{
        static const int s123[] = { 1, 2, 3 }, s23[] = { 2, 3 }, s13[] = { 1, 3 };
        static const int w23[XC_DEVID_MAX + 1] = { -1, -1, 2, 3, -1, -1, -1, -1, -1, -1 };
        static const int r23[XC_DEVID_MAX + 1] = { -1, -1, 1, 2, -1, -1, -1, -1, -1, -1 };
        static const int r32[XC_DEVID_MAX + 1] = { -1, -1, 2, 1, -1, -1, -1, -1, -1, -1 };
        bool bound[XC_DEVID_MAX + 1];
        struct xc_map map, out;
        char buf[64];

        /* no hole: nobody moves */
        xc_map_init(&map);
        set_bound(bound, s123, ARRAY_SIZE(s123));
        assert_int_equal(xc_map_update(&map, bound), 3);
        assert_int_equal(xc_map_resumed(&map, &out), 0);
        assert_memory_equal(&map, &out, sizeof(map));
        /* console-1 removed: a hole at hvc1, two and three move down */
        set_bound(bound, s23, ARRAY_SIZE(s23));
        assert_int_equal(xc_map_update(&map, bound), 0);
        assert_map(&map, w23);
        assert_int_equal(xc_map_resumed(&map, &out), 1);
        assert_map(&out, r23);
        assert_int_equal(xc_map_resumed(&out, &map), 0);
        /* the order is the order of the slots' allocation, not the devids':
         * 1 and 3 bound, 2 added later, 1 removed: 3 resumes first */
        xc_map_init(&map);
        set_bound(bound, s13, ARRAY_SIZE(s13));
        assert_int_equal(xc_map_update(&map, bound), 2);
        set_bound(bound, s123, ARRAY_SIZE(s123));
        assert_int_equal(xc_map_update(&map, bound), 1);
        set_bound(bound, s23, ARRAY_SIZE(s23));
        assert_int_equal(xc_map_update(&map, bound), 0);
        assert_int_equal(xc_map_format(&map, buf, sizeof(buf)), 8);
        assert_string_equal(buf, "3 2\n2 3\n");
        assert_int_equal(xc_map_resumed(&map, &out), 1);
        assert_map(&out, r32);
        /* the order survives the state file */
        assert_int_equal(xc_map_parse(&out, buf, strlen(buf)), 0);
        assert_memory_equal(&map, &out, sizeof(map));
        assert_int_equal(xc_map_resumed(NULL, &out), -EINVAL);
        map.rank[3] = -1; /* a slot without a rank */
        assert_int_equal(xc_map_resumed(&map, &out), -EINVAL);
}

static void test_update_rejects_bad_map(void **state)
{
        bool bound[XC_DEVID_MAX + 1] = { false };
        struct xc_map map, copy;

        bound[1] = bound[4] = true;
        xc_map_init(&map);
        map.slot[2] = map.slot[3] = 3; /* two devids on one slot */
        map.rank[2] = 0;
        map.rank[3] = 1;
        copy = map;
        assert_int_equal(xc_map_update(&map, bound), -EINVAL);
        assert_memory_equal(&map, &copy, sizeof(map));

        xc_map_init(&map);
        map.rank[2] = 0;
        map.slot[2] = 0; /* the primary's slot */
        assert_int_equal(xc_map_update(&map, bound), -EINVAL);
        map.slot[2] = XC_HVC_SLOTS;
        assert_int_equal(xc_map_update(&map, bound), -EINVAL);
        map.slot[2] = -2;
        assert_int_equal(xc_map_update(&map, bound), -EINVAL);
        xc_map_init(&map);
        map.slot[0] = 1; /* devid 0 never has a slot */
        map.rank[0] = 0;
        assert_int_equal(xc_map_update(&map, bound), -EINVAL);

        assert_int_equal(xc_map_update(NULL, bound), -EINVAL);
        xc_map_init(&map);
        assert_int_equal(xc_map_update(&map, NULL), -EINVAL);
}

static void test_format_parse_round_trip(void **state)
{
        static const int ids[] = { 1, 3, 9 };
        bool bound[XC_DEVID_MAX + 1];
        struct xc_map map, back;
        char buf[256];
        int n;

        xc_map_init(&map);
        n = xc_map_format(&map, buf, sizeof(buf));
        assert_int_equal(n, 0);
        assert_string_equal(buf, "");
        memset(&back, 0x11, sizeof(back));
        assert_int_equal(xc_map_parse(&back, buf, (size_t)n), 0);
        assert_memory_equal(&map, &back, sizeof(map));

        set_bound(bound, ids, ARRAY_SIZE(ids));
        assert_int_equal(xc_map_update(&map, bound), 3);
        n = xc_map_format(&map, buf, sizeof(buf));
        assert_string_equal(buf, "1 1\n3 2\n9 3\n");
        assert_int_equal(n, (int)strlen(buf));
        assert_int_equal(xc_map_parse(&back, buf, (size_t)n), 0);
        assert_memory_equal(&map, &back, sizeof(map));

        /* any order, last newline optional, slots up to 15; the order of
         * the lines is the order the consoles got their slots, and stays */
        assert_int_equal(xc_map_parse(&back, "9 15\n2 1", 8), 0);
        assert_int_equal(back.slot[9], 15);
        assert_int_equal(back.slot[2], 1);
        assert_int_equal(back.slot[1], -1);
        assert_int_equal(back.rank[9], 0);
        assert_int_equal(back.rank[2], 1);
        n = xc_map_format(&back, buf, sizeof(buf));
        assert_string_equal(buf, "9 15\n2 1\n");
        /* only len bytes are read */
        assert_int_equal(xc_map_parse(&back, "1 1\ngarbage", 4), 0);
        assert_int_equal(back.slot[1], 1);
        assert_int_equal(xc_map_parse(&back, NULL, 0), 0);
        assert_int_equal(back.slot[1], -1);
}

static void test_format_buffer(void **state)
{
        struct xc_map map;
        char buf[64];

        xc_map_init(&map);
        for (int d = 1; d <= 9; d++) {
                map.slot[d] = d;
                map.rank[d] = d - 1;
        }
        assert_int_equal(xc_map_format(&map, buf, sizeof(buf)), 36);
        /* exactly the length leaves no room for the NUL */
        assert_int_equal(xc_map_format(&map, buf, 36), -ENOBUFS);
        assert_int_equal(xc_map_format(&map, buf, 37), 36);
        assert_int_equal(xc_map_format(&map, buf, 5), -ENOBUFS);
        assert_int_equal(xc_map_format(&map, buf, 4), -ENOBUFS);
        assert_int_equal(xc_map_format(&map, buf, 1), -ENOBUFS);
        assert_int_equal(xc_map_format(&map, NULL, 0), -ENOBUFS);
        xc_map_init(&map);
        assert_int_equal(xc_map_format(&map, buf, 1), 0);
        assert_int_equal(xc_map_format(&map, NULL, 0), -ENOBUFS);
        /* an inconsistent map is not written */
        map.slot[1] = map.slot[2] = 4;
        assert_int_equal(xc_map_format(&map, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(xc_map_format(NULL, buf, sizeof(buf)), -EINVAL);
}

struct text_case {
        const char *text;
        size_t len; /* 0: strlen */
};

#define TC(s)        \
        {            \
                s, 0 \
        }
#define TCL(s)                   \
        {                        \
                s, sizeof(s) - 1 \
        }

static const struct text_case malformed[] = {
        TC("1"),
        TC("1 "),
        TC("1\n"),
        TC(" 1 1\n"),
        TC("1  1\n"),
        TC("1 1 \n"),
        TC("1 1 1\n"),
        TC("1\t1\n"),
        TC("1 1\r\n"),
        TC("\n"),
        TC("1 1\n\n"),
        TC("\n1 1\n"),
        TC("a b\n"),
        TC("1 x\n"),
        TC("-1 1\n"),
        TC("+1 1\n"),
        TC("1 -1\n"),
        TC("1 +1\n"),
        TC("01 1\n"),
        TC("1 01\n"),
        TC("0 1\n"),  /* devid 0 */
        TC("10 1\n"), /* devid >= 10 */
        TC("1 0\n"),  /* slot 0 is the primary */
        TC("1 16\n"), /* past the slots */
        TC("1 99999999999999999999\n"),
        TC("99999999999999999999 1\n"),
        TC("1 1\n1 2\n"), /* duplicate devid */
        TC("1 1\n1 1\n"),
        TC("1 1\n2 1\n"), /* duplicate slot */
        TC("3 5\n1 2\n7 5\n"),
        TCL("1 1\0"),
        TCL("1\0 1\n"),
        TCL("\0"),
        TC("1 1\n2 2\n3"),
        TC("1 1\n2 2\n3 "),
        TC("devid slot\n"),
        TC("1 0x1\n"),
        TC("1 1.0\n"),
        TC("\xff"),
};

static void test_parse_malformed(void **state)
{
        struct xc_map map, copy;

        xc_map_init(&map);
        map.slot[4] = 7;
        map.rank[4] = 0;
        copy = map;
        for (size_t i = 0; i < ARRAY_SIZE(malformed); i++) {
                const char *t = malformed[i].text;
                size_t len = malformed[i].len ? malformed[i].len : strlen(t);
                int r = xc_map_parse(&map, t, len);

                if (r != -EINVAL)
                        print_error("case %zu \"%s\": got %d\n", i, t, r);
                assert_int_equal(r, -EINVAL);
                /* left untouched */
                assert_memory_equal(&map, &copy, sizeof(map));
        }
        assert_int_equal(xc_map_parse(NULL, "1 1\n", 4), -EINVAL);
        assert_int_equal(xc_map_parse(&map, NULL, 4), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_devid),
                cmocka_unit_test(test_parse_devid_all_digits),
                cmocka_unit_test(test_first_free),
                cmocka_unit_test(test_map_init),
                cmocka_unit_test(test_contiguous),
                cmocka_unit_test(test_gaps),
                cmocka_unit_test(test_unbound),
                cmocka_unit_test(test_more_than_seven),
                cmocka_unit_test(test_runtime_sequence),
                cmocka_unit_test(test_matches_kernel_model),
                cmocka_unit_test(test_resumed),
                cmocka_unit_test(test_update_rejects_bad_map),
                cmocka_unit_test(test_format_parse_round_trip),
                cmocka_unit_test(test_format_buffer),
                cmocka_unit_test(test_parse_malformed),
        };

        return cmocka_run_group_tests_name("mapping", tests, NULL, NULL);
}
