/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What links.c lends sync.c: the link folder and the clash policy, used
 * under the run folder lock. Not installed. */
#ifndef XC_LINKS_H
#define XC_LINKS_H

#include "rundir.h"

/*
 * Open <dev_dir>/xen-channel safely (O_DIRECTORY|O_NOFOLLOW relative to an
 * fd of dev_dir); create it 0755 when create is true. -ENOTDIR when it is a
 * symlink or not a folder, -ENOENT (not recorded) when absent and create is
 * false.
 */
int xc_link_dir_open(struct xen_channel_ctx *ctx, bool create);

/*
 * Under the lock: record that devid (at slot) carries name and make the link
 * follow the clash policy. 0 when devid owns the link, -EEXIST when a lower
 * live devid carrying the same name keeps it. live[]: the consoles present
 * (all of them when unknown).
 */
int xc_link_claim_locked(struct xen_channel_ctx *ctx, int link_fd, struct xc_claims *claims,
                         const bool live[XC_DEVID_MAX + 1], const char *name, int devid,
                         int slot);

#endif
