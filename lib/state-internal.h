/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal interface of the run folder (state.c) and the link folder
 * (links.c), shared with sync.c. Not installed.
 *
 * Run folder layout (<run_dir>, 0755):
 *   lock    flock()ed around every change of state, names and links
 *   state   "devid slot" lines: the hvc slot each bound console holds
 *   names   "devid slot name" lines: every console that asked for a link
 *           (also the losers of a name clash), for the hand-over on remove
 */
#ifndef XEN_CHANNEL_STATE_INTERNAL_H
#define XEN_CHANNEL_STATE_INTERNAL_H

#include <stdbool.h>

#include "xen-channel-private.h"

#define XC_LOCK_FILE "lock"
#define XC_STATE_FILE "state"
#define XC_NAMES_FILE "names"

/*
 * Open a folder without following a symlink at its last component, and with
 * XC_FOLDER_CREATE make it (0755) when missing. A symlink or non-folder is
 * refused with -ENOTDIR; errors are logged as "<what> <shown> ...", a missing
 * folder not at all with XC_FOLDER_QUIET_ENOENT. Returns an O_DIRECTORY fd.
 */
enum {
        XC_FOLDER_CREATE = 1 << 0,
        XC_FOLDER_QUIET_ENOENT = 1 << 1,
};
int xc_open_folder(struct xen_channel_ctx *ctx, int at_fd, const char *path,
                   const char *what, const char *shown, unsigned flags);

/* A held run-folder lock. */
struct xc_lock {
        int run_fd;     /* O_DIRECTORY fd of the run folder */
        int lock_fd;    /* the flock()ed file */
};

/*
 * Open (and create 0755 if missing) the run folder and take the lock,
 * retrying for at most the context timeout: -EBUSY when another helper
 * kept it longer, -ENOTDIR when the run folder is a symlink/not a folder.
 */
int xc_lock_take(struct xen_channel_ctx *ctx, struct xc_lock *lock);
void xc_lock_release(struct xc_lock *lock);

/*
 * Read a small file of the run folder into a NUL-terminated malloc'd buffer.
 * -ENOENT when it does not exist.
 */
int xc_run_read(struct xen_channel_ctx *ctx, int run_fd, const char *file,
                char **text, size_t *len);
/* Replace a file of the run folder atomically (temp file + rename). */
int xc_run_write(struct xen_channel_ctx *ctx, int run_fd, const char *file,
                 const char *text, size_t len);

/* Under the lock: load the map, bring it in line with bound, save it. */
int xc_state_update_locked(struct xen_channel_ctx *ctx, int run_fd,
                           const bool bound[XEN_CHANNEL_DEVID_MAX + 1],
                           struct xen_channel_map *map);

/* One console that asked for a link ("names" file). */
struct xc_claim {
        bool used;
        int slot;
        char name[XEN_CHANNEL_NAME_MAX + 1];
};

/* Claims indexed by devid. */
struct xc_claims {
        struct xc_claim c[XEN_CHANNEL_DEVID_MAX + 1];
};

int xc_claims_load(struct xen_channel_ctx *ctx, int run_fd, struct xc_claims *claims);
int xc_claims_save(struct xen_channel_ctx *ctx, int run_fd, const struct xc_claims *claims);

/*
 * Open <dev_dir>/xen-channel safely (O_DIRECTORY|O_NOFOLLOW relative to an
 * fd of dev_dir); create it 0755 when create is true. -ENOTDIR when it is a
 * symlink or not a folder, -ENOENT when absent and create is false.
 */
int xc_link_dir_open(struct xen_channel_ctx *ctx, bool create);

/* Point <link_fd>/name at ../hvc<slot> atomically; no-op when it already does. */
int xc_link_set(struct xen_channel_ctx *ctx, int link_fd, const char *name, int slot);

/* If target is "../hvcN" (N a decimal slot), return N, else -1. */
int xc_link_target_slot(const char *target);

/*
 * Which consoles count as present for the clash policy: the bound ones, or
 * all of them when the enumeration fails (then the names file decides).
 */
void xc_live_consoles(struct xen_channel_ctx *ctx, bool live[XEN_CHANNEL_DEVID_MAX + 1]);

/*
 * Under the lock: record that devid (at slot) carries name and make the link
 * follow the clash policy. 0 when devid owns the link, -EEXIST when a lower
 * live devid carrying the same name keeps it.
 */
int xc_link_claim_locked(struct xen_channel_ctx *ctx, int link_fd, struct xc_claims *claims,
                         const bool live[XEN_CHANNEL_DEVID_MAX + 1], const char *name,
                         int devid, int slot);

#endif
