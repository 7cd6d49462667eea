/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The run folder (rundir.c): the only module that opens, locks, reads or
 * writes anything in it. Used by tty.c, links.c, sync.c and list.c.
 *
 * Layout (<run_dir>, 0755):
 *   lock    flock()ed around every change of state, names and links
 *   state   "devid slot" lines: the hvc slot each bound console holds
 *   names   "devid slot name" lines: every console that asked for a link
 *           (also the losers of a name clash), for the hand-over on remove
 *   mark    empty: the resume mark was written into this domain's xenstore
 *
 * Files are replaced atomically (temp file + rename) under the lock, so a
 * reader without the lock (list) sees whole files. One policy: a missing
 * file is empty; a corrupt one (bad lines, too big, no regular file: a FIFO
 * or a folder; nothing here is opened blocking) is warned about, naming it,
 * and counts as empty (the next change under the lock replaces it); one that
 * cannot be read (EIO, ENOMEM, EACCES) is a recorded error (XC_OBJ_RUN_FILE),
 * never taken for empty.
 */
#ifndef XC_RUNDIR_H
#define XC_RUNDIR_H

#include <stdbool.h>

#include "../xc-private.h"

/* A held run-folder lock. */
struct xc_lock {
        int run_fd;  /* O_DIRECTORY fd of the run folder */
        int lock_fd; /* the flock()ed file */
};

/*
 * Open (and create 0755 if missing) the run folder and take the lock,
 * retrying for at most the context timeout: -EBUSY when another helper
 * kept it longer, -ENOTDIR when the run folder is a symlink/not a folder.
 */
int xc_lock_take(struct xen_channel_ctx *ctx, struct xc_lock *lock);
void xc_lock_release(struct xc_lock *lock);

/* The run folder for reading only, without the lock: an fd, or -1 when it
 * cannot be opened (then nothing is known from it; not recorded). */
int xc_run_open_ro(struct xen_channel_ctx *ctx);

/* The state file ("devid slot" lines). Missing or corrupt: the empty map,
 * 0. Unreadable: a recorded error (map empty). */
#define XC_STATE_FILE "state"
int xc_state_load(struct xen_channel_ctx *ctx, int run_fd, struct xc_map *map);
int xc_state_save(struct xen_channel_ctx *ctx, int run_fd, const struct xc_map *map);
/* Under the lock: load the map, follow a resume that told says happened
 * (xc_map_follow), bring it in line with the consoles holding slots
 * (xc_consoles.holds), save it if it changed (or was not there). Makes no
 * xenstore request (follow.c). */
int xc_state_update_locked(struct xen_channel_ctx *ctx, int run_fd,
                           const bool holds[XC_DEVID_MAX + 1], struct xc_map *map,
                           enum xc_resume told);

/*
 * The resume mark's local half (the file "mark"): there while the mark was
 * written into this domain's xenstore and no resume has been seen since. It
 * is only created or removed whole (no lock needed). xc_mark_armed: 1 there,
 * 0 not, a negative errno when it cannot be told.
 */
#define XC_MARK_FILE "mark"
int xc_mark_armed(int run_fd);
void xc_mark_set(struct xen_channel_ctx *ctx, int run_fd);
void xc_mark_clear(int run_fd);

/* One console that asked for a link (the names file). */
struct xc_claim {
        bool used;
        int slot;
        char name[XEN_CHANNEL_NAME_MAX + 1];
};

/* Claims indexed by devid. */
struct xc_claims {
        struct xc_claim c[XC_DEVID_MAX + 1];
};

/* The names file. Missing or corrupt: no claims, 0. Unreadable: a recorded
 * error (no claims). */
int xc_claims_load(struct xen_channel_ctx *ctx, int run_fd, struct xc_claims *claims);
int xc_claims_save(struct xen_channel_ctx *ctx, int run_fd, const struct xc_claims *claims);

#endif
