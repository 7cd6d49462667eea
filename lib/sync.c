/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Make <dev_dir>/xen-channel match the bound consoles without udev (mdev
 * systems, repair after a udev restart). The xenstore reads happen before the
 * run-folder lock is taken, so a slow xenstore never holds other helpers up;
 * the mapping, the names file and the links then change in one locked pass.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state-internal.h"

enum name_status { NAME_NONE, NAME_OK, NAME_UNKNOWN };

struct sync_job {
        bool bound[XEN_CHANNEL_DEVID_MAX + 1];
        enum name_status status[XEN_CHANNEL_DEVID_MAX + 1];
        char name[XEN_CHANNEL_DEVID_MAX + 1][XEN_CHANNEL_NAME_MAX + 1];
        int first_err;
};

static void note_err(struct sync_job *job, int r)
{
        if (r < 0 && job->first_err == 0)
                job->first_err = r;
}

/* One xenstore request per bound console; no lock held meanwhile. */
static void read_names(struct xen_channel_ctx *ctx, struct sync_job *job)
{
        for (int d = XEN_CHANNEL_DEVID_MIN; d <= XEN_CHANNEL_DEVID_MAX; d++) {
                enum xen_channel_name_verdict v;
                char *name = NULL;
                size_t len = 0;
                int r;

                job->status[d] = NAME_NONE;
                if (!job->bound[d])
                        continue;
                r = xen_channel_xs_read_name(ctx, d, &name, &len);
                if (r == -ENOENT) {
                        dbg(ctx, "console-%d has no name: not a channel", d);
                        continue;
                }
                if (r < 0) {
                        err(ctx, "console-%d: cannot read its name from xenstore: %s", d,
                            strerror(-r));
                        job->status[d] = NAME_UNKNOWN;
                        note_err(job, r);
                        continue;
                }
                v = xen_channel_name_check(name, len);
                if (v != XEN_CHANNEL_NAME_OK) {
                        err(ctx, "console-%d: refusing its channel name: %s", d,
                            xen_channel_name_verdict_str(v));
                        note_err(job, -EINVAL);
                } else {
                        memcpy(job->name[d], name, len);
                        job->name[d][len] = '\0';
                        job->status[d] = NAME_OK;
                }
                free(name);
        }
}

static bool name_claimed(const struct xc_claims *claims, const char *name)
{
        for (int d = XEN_CHANNEL_DEVID_MIN; d <= XEN_CHANNEL_DEVID_MAX; d++)
                if (claims->c[d].used && strcmp(claims->c[d].name, name) == 0)
                        return true;
        return false;
}

/*
 * Could this entry be ours: a valid channel name, or the temp link of a
 * helper that died between symlinkat() and renameat() (".<name>.<pid>.tmp",
 * see xc_link_set)? Anything else was made by someone else. Also keeps every
 * name that reaches the log free of control characters.
 */
static bool maybe_ours(const char *entry)
{
        size_t len = strlen(entry);

        if (xen_channel_name_check(entry, len) == XEN_CHANNEL_NAME_OK)
                return true;
        return len > 5 && entry[0] == '.' && strcmp(entry + len - 4, ".tmp") == 0 &&
               xen_channel_name_check(entry + 1, len - 5) == XEN_CHANNEL_NAME_OK;
}

/* Remove links to ../hvcN that no claim backs; anything else is not ours. */
static void sweep(struct xen_channel_ctx *ctx, int link_fd, const struct xc_claims *claims,
                  struct sync_job *job)
{
        int fd = dup(link_fd);
        struct dirent *de;
        DIR *dir;

        if (fd < 0 || !(dir = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                note_err(job, -errno);
                return;
        }
        while ((de = readdir(dir))) {
                char target[64];
                ssize_t n;

                if ((de->d_type != DT_LNK && de->d_type != DT_UNKNOWN) ||
                    !maybe_ours(de->d_name))
                        continue;
                n = readlinkat(link_fd, de->d_name, target, sizeof(target) - 1);
                if (n < 0)
                        continue;
                target[n] = '\0';
                if (xc_link_target_slot(target) < 0 || name_claimed(claims, de->d_name))
                        continue;
                if (unlinkat(link_fd, de->d_name, 0) < 0) {
                        err(ctx, "cannot remove %s/%s/%s: %s", ctx->dev_dir, XC_LINK_DIR,
                            de->d_name, strerror(errno));
                        note_err(job, -errno);
                } else {
                        info(ctx, "removed %s/%s/%s (no bound console carries it)",
                             ctx->dev_dir, XC_LINK_DIR, de->d_name);
                }
        }
        closedir(dir);
}

/* Under the lock: claims from the names just read, links, sweep. */
static int apply(struct xen_channel_ctx *ctx, int run_fd, struct sync_job *job)
{
        struct xen_channel_map map;
        struct xc_claims claims;
        bool any = false;
        int link_fd, linked = 0, r;

        r = xc_state_update_locked(ctx, run_fd, job->bound, &map);
        if (r < 0)
                return r;
        xc_claims_load(ctx, run_fd, &claims);
        /* Drop claims of consoles gone or without a (valid) name first, so
         * that they hand nothing over; keep those whose read failed. */
        for (int d = XEN_CHANNEL_DEVID_MIN; d <= XEN_CHANNEL_DEVID_MAX; d++) {
                if (!job->bound[d] || job->status[d] == NAME_NONE)
                        claims.c[d].used = false;
                else if (job->status[d] == NAME_UNKNOWN && claims.c[d].used &&
                         map.slot[d] >= 0)
                        claims.c[d].slot = map.slot[d];
                if (claims.c[d].used || job->status[d] == NAME_OK)
                        any = true;
        }
        link_fd = xc_link_dir_open(ctx, any);
        if (link_fd == -ENOENT) {
                r = xc_claims_save(ctx, run_fd, &claims);
                return r < 0 ? r : 0;
        }
        if (link_fd < 0)
                return link_fd;
        /* Ascending devid: a lower console's claim is current before a
         * higher one with the same name is looked at. */
        for (int d = XEN_CHANNEL_DEVID_MIN; d <= XEN_CHANNEL_DEVID_MAX; d++) {
                int slot = map.slot[d];

                if (job->status[d] != NAME_OK)
                        continue;
                if (slot < 0 || slot >= XEN_CHANNEL_HVC_TTYS) {
                        err(ctx, "console-%d (\"%s\"): hvc slot %d has no tty; no link", d,
                            job->name[d], slot);
                        claims.c[d].used = false;
                        note_err(job, -ENXIO);
                        continue;
                }
                r = xc_link_claim_locked(ctx, link_fd, &claims, job->bound, job->name[d], d,
                                         slot);
                if (r == 0)
                        linked++;
                note_err(job, r);
        }
        sweep(ctx, link_fd, &claims, job);
        close(link_fd);
        r = xc_claims_save(ctx, run_fd, &claims);
        return r < 0 ? r : linked;
}

XC_EXPORT int xen_channel_sync(struct xen_channel_ctx *ctx)
{
        struct sync_job job = { .first_err = 0 };
        struct xc_lock lock;
        int r;

        r = xen_channel_bound_consoles(ctx, job.bound);
        if (r < 0)
                return r;
        read_names(ctx, &job);
        r = xc_lock_take(ctx, &lock);
        if (r < 0)
                return r;
        r = apply(ctx, lock.run_fd, &job);
        xc_lock_release(&lock);
        if (r < 0)
                return r;
        return job.first_err < 0 ? job.first_err : r;
}
