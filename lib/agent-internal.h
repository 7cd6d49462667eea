/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the agent side of the library (wait.c, open.c); not installed. */
#ifndef XEN_CHANNEL_AGENT_INTERNAL_H
#define XEN_CHANNEL_AGENT_INTERNAL_H

/* A timeout_ms as the API takes it (-1 or any negative: forever, 0: only
 * look) turned into a CLOCK_MONOTONIC deadline, and back into what is left
 * for poll(): -1 forever, else 0..INT_MAX ms (0 once it has passed). */
long long xc_deadline(int timeout_ms);
int xc_ms_left(long long deadline, int timeout_ms);

#endif
