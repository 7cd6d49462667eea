/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Timeouts as deadlines on CLOCK_MONOTONIC, shared by every bounded wait
 * (the run-folder lock, waiting for a channel, reopening one). */
#include <limits.h>
#include <time.h>

#include "../xc-private.h"

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long xc_deadline(int timeout_ms)
{
        return timeout_ms > 0 ? now_ms() + timeout_ms : 0;
}

int xc_ms_left(long long deadline, int timeout_ms)
{
        long long d;

        if (timeout_ms <= 0)
                return timeout_ms < 0 ? -1 : 0;
        d = deadline - now_ms();
        return d <= 0 ? 0 : d > INT_MAX ? INT_MAX : (int)d;
}
