/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's log: syslog (LOG_DAEMON), plus stderr when it is a tty or
 * when --verbose was given. One sink for the helper and the library. */
#ifndef XEN_CHANNEL_HELPER_LOG_H
#define XEN_CHANNEL_HELPER_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

void log_setup(int max_priority, bool to_stderr);
int log_max_priority(void);

void log_msg(int priority, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* A usage error: logged as an error, and always shown on stderr, where the
 * person who typed the command looks. */
void log_usage(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* xen_channel_log_fn for the library context. */
void log_from_lib(void *userdata, int priority, const char *file, int line, const char *fn,
                  const char *format, va_list args) __attribute__((format(printf, 6, 0)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
