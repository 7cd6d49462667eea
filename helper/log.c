/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

static int max_prio = LOG_NOTICE;
static bool also_stderr;
static bool syslog_opened;

void log_setup(int max_priority, bool to_stderr)
{
        max_prio = max_priority;
        also_stderr = to_stderr || isatty(STDERR_FILENO);
}

int log_max_priority(void)
{
        return max_prio;
}

static const char *prio_label(int priority)
{
        switch (priority) {
        case LOG_EMERG:
        case LOG_ALERT:
        case LOG_CRIT:
        case LOG_ERR:
                return "error: ";
        case LOG_WARNING:
                return "warning: ";
        case LOG_NOTICE:
                return "notice: ";
        case LOG_INFO:
                return "";
        default:
                return "debug: ";
        }
}

static void log_va(int priority, const char *fn, const char *format, va_list args)
{
        va_list copy;
        int saved_errno = errno;

        if (priority > max_prio)
                return;
        if (!syslog_opened) {
                /* LOG_ODELAY (the default): /dev/log is connected on the
                 * first message, so a quiet run costs nothing. */
                openlog("xen-channel-helper", LOG_PID, LOG_DAEMON);
                syslog_opened = true;
        }
        /* Errors and warnings always reach stderr too: a script running
         * `sync`, or a person reading udev's debug log, sees why. */
        if (also_stderr || priority <= LOG_WARNING) {
                va_copy(copy, args);
                fprintf(stderr, "xen-channel-helper: %s", prio_label(priority));
                if (fn)
                        fprintf(stderr, "%s: ", fn);
                vfprintf(stderr, format, copy);
                fputc('\n', stderr);
                va_end(copy);
        }
        errno = saved_errno;
        vsyslog(priority, format, args);
        errno = saved_errno;
}

void log_msg(int priority, const char *format, ...)
{
        va_list args;

        va_start(args, format);
        log_va(priority, NULL, format, args);
        va_end(args);
}

void log_usage(const char *format, ...)
{
        bool saved = also_stderr;
        va_list args;

        also_stderr = true;
        va_start(args, format);
        log_va(LOG_ERR, NULL, format, args);
        va_end(args);
        also_stderr = saved;
}

void log_from_lib(void *userdata, int priority, const char *file, int line, const char *fn,
                  const char *format, va_list args)
{
        /* The function name helps at debug level only. */
        log_va(priority, priority >= LOG_DEBUG ? fn : NULL, format, args);
}
