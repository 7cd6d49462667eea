/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every public function of libxenchannel given each NULL it can be given:
 * -EINVAL, or the harmless result libxenchannel(3) documents, and never a
 * crash. One test per exported symbol, named after it: null-args-covers-sym
 * checks that every symbol of lib/libxenchannel.sym has its test here.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "libxenchannel.h"

#define NAME "org.example.null.0"

static struct xen_channel_ctx *ctx_new(void)
{
        struct xen_channel_ctx *ctx = NULL;

        assert_int_equal(xen_channel_ctx_new(&ctx), 0);
        /* nothing under / is read: every call below fails on its NULL first */
        assert_int_equal(xen_channel_ctx_set_dev_dir(ctx, "/nonexistent/xc-null-args"), 0);
        return ctx;
}

static void xen_channel_ctx_new_null(void **state)
{
        assert_int_equal(xen_channel_ctx_new(NULL), -EINVAL);
}

static void xen_channel_ctx_ref_null(void **state)
{
        assert_null(xen_channel_ctx_ref(NULL));
}

static void xen_channel_ctx_unref_null(void **state)
{
        assert_null(xen_channel_ctx_unref(NULL));
}

static void xen_channel_ctx_set_log_fn_null(void **state)
{
        xen_channel_ctx_set_log_fn(NULL, NULL, NULL);
}

static void xen_channel_ctx_set_log_priority_null(void **state)
{
        xen_channel_ctx_set_log_priority(NULL, LOG_DEBUG);
}

static void xen_channel_ctx_get_log_priority_null(void **state)
{
        assert_int_equal(xen_channel_ctx_get_log_priority(NULL), -EINVAL);
}

static void xen_channel_ctx_set_dev_dir_null(void **state)
{
        struct xen_channel_ctx *ctx = ctx_new();

        assert_int_equal(xen_channel_ctx_set_dev_dir(NULL, "/dev"), -EINVAL);
        assert_int_equal(xen_channel_ctx_set_dev_dir(ctx, NULL), -EINVAL);
        assert_string_equal(xen_channel_ctx_get_dev_dir(ctx), "/nonexistent/xc-null-args");
        xen_channel_ctx_unref(ctx);
}

static void xen_channel_ctx_get_dev_dir_null(void **state)
{
        assert_null(xen_channel_ctx_get_dev_dir(NULL));
}

static void xen_channel_ctx_set_run_dir_null(void **state)
{
        struct xen_channel_ctx *ctx = ctx_new();

        assert_int_equal(xen_channel_ctx_set_run_dir(NULL, "/run"), -EINVAL);
        assert_int_equal(xen_channel_ctx_set_run_dir(ctx, NULL), -EINVAL);
        xen_channel_ctx_unref(ctx);
}

static void xen_channel_ctx_get_run_dir_null(void **state)
{
        assert_null(xen_channel_ctx_get_run_dir(NULL));
}

static void xen_channel_name_check_null(void **state)
{
        assert_int_equal(xen_channel_name_check(NULL, 5), XEN_CHANNEL_NAME_EMPTY);
}

/* No pointer argument: an out-of-range verdict is its only bad input. */
static void xen_channel_name_verdict_str_null(void **state)
{
        assert_string_equal(xen_channel_name_verdict_str((enum xen_channel_name_verdict)99),
                            "unknown verdict");
}

static void xen_channel_wait_null(void **state)
{
        struct xen_channel_ctx *ctx = ctx_new();

        assert_int_equal(xen_channel_wait(NULL, NAME, 0), -EINVAL);
        assert_int_equal(xen_channel_wait(ctx, NULL, 0), -EINVAL);
        xen_channel_ctx_unref(ctx);
}

static void xen_channel_monitor_new_null(void **state)
{
        struct xen_channel_ctx *ctx = ctx_new();
        struct xen_channel_monitor *mon = NULL;

        assert_int_equal(xen_channel_monitor_new(NULL, NAME, &mon), -EINVAL);
        assert_int_equal(xen_channel_monitor_new(ctx, NULL, &mon), -EINVAL);
        assert_int_equal(xen_channel_monitor_new(ctx, NAME, NULL), -EINVAL);
        assert_null(mon);
        xen_channel_ctx_unref(ctx);
}

static void xen_channel_monitor_free_null(void **state)
{
        xen_channel_monitor_free(NULL);
}

static void xen_channel_monitor_get_fd_null(void **state)
{
        assert_int_equal(xen_channel_monitor_get_fd(NULL), -EINVAL);
}

static void xen_channel_monitor_get_path_null(void **state)
{
        assert_null(xen_channel_monitor_get_path(NULL));
}

static void xen_channel_monitor_process_null(void **state)
{
        assert_int_equal(xen_channel_monitor_process(NULL), -EINVAL);
}

static void xen_channel_open_null(void **state)
{
        struct xen_channel_ctx *ctx = ctx_new();

        assert_int_equal(xen_channel_open(NULL, NAME, 0, 0), -EINVAL);
        assert_int_equal(xen_channel_open(ctx, NULL, 0, 0), -EINVAL);
        xen_channel_ctx_unref(ctx);
}

static void xen_channel_reopen_null(void **state)
{
        struct xen_channel_ctx *ctx = ctx_new();
        int fd = dup(STDERR_FILENO);

        assert_int_equal(xen_channel_reopen(NULL, NAME, &fd, 0, 0), -EINVAL);
        assert_int_equal(xen_channel_reopen(ctx, NULL, &fd, 0, 0), -EINVAL);
        assert_int_equal(xen_channel_reopen(ctx, NAME, NULL, 0, 0), -EINVAL);
        /* a call that cannot work leaves the caller's fd alone */
        assert_int_equal(close(fd), 0);
        xen_channel_ctx_unref(ctx);
}

/* No pointer argument: a negative fd is its only bad input. */
static void xen_channel_is_hangup_null(void **state)
{
        assert_int_equal(xen_channel_is_hangup(-1), -EBADF);
}

static void xen_channel_make_raw_null(void **state)
{
        assert_int_equal(xen_channel_make_raw(-1), -EBADF);
}

static void xen_channel_list_null(void **state)
{
        struct xen_channel_ctx *ctx = ctx_new();
        struct xen_channel_info *list = NULL;
        size_t n = 0;

        assert_int_equal(xen_channel_list(NULL, &list, &n), -EINVAL);
        assert_int_equal(xen_channel_list(ctx, NULL, &n), -EINVAL);
        assert_int_equal(xen_channel_list(ctx, &list, NULL), -EINVAL);
        xen_channel_ctx_unref(ctx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(xen_channel_ctx_new_null),
                cmocka_unit_test(xen_channel_ctx_ref_null),
                cmocka_unit_test(xen_channel_ctx_unref_null),
                cmocka_unit_test(xen_channel_ctx_set_log_fn_null),
                cmocka_unit_test(xen_channel_ctx_set_log_priority_null),
                cmocka_unit_test(xen_channel_ctx_get_log_priority_null),
                cmocka_unit_test(xen_channel_ctx_set_dev_dir_null),
                cmocka_unit_test(xen_channel_ctx_get_dev_dir_null),
                cmocka_unit_test(xen_channel_ctx_set_run_dir_null),
                cmocka_unit_test(xen_channel_ctx_get_run_dir_null),
                cmocka_unit_test(xen_channel_name_check_null),
                cmocka_unit_test(xen_channel_name_verdict_str_null),
                cmocka_unit_test(xen_channel_wait_null),
                cmocka_unit_test(xen_channel_monitor_new_null),
                cmocka_unit_test(xen_channel_monitor_free_null),
                cmocka_unit_test(xen_channel_monitor_get_fd_null),
                cmocka_unit_test(xen_channel_monitor_get_path_null),
                cmocka_unit_test(xen_channel_monitor_process_null),
                cmocka_unit_test(xen_channel_open_null),
                cmocka_unit_test(xen_channel_reopen_null),
                cmocka_unit_test(xen_channel_is_hangup_null),
                cmocka_unit_test(xen_channel_make_raw_null),
                cmocka_unit_test(xen_channel_list_null),
        };

        return cmocka_run_group_tests_name("null-args", tests, NULL, NULL);
}
