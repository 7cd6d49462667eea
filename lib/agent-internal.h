/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the agent side of the library (wait.c, open.c); not installed. */
#ifndef XEN_CHANNEL_AGENT_INTERNAL_H
#define XEN_CHANNEL_AGENT_INTERNAL_H

struct xen_channel_ctx;

/* Sleep up to ms (-1: forever), waking early when anything changes in
 * dev_dir or in its xen-channel folder. Uses the ctx's cached inotify fd, as
 * xen_channel_wait does: a fresh one per call would cost a kernel RCU grace
 * period (up to ~16 ms) at every close. name must be valid. */
int xc_wait_change(struct xen_channel_ctx *ctx, const char *name, int ms);

#endif
