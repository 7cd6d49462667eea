/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Make <dev_dir>/xen-channel match the bound consoles without udev (mdev
 * systems, repair after a udev restart).
 *
 * Lock hold time against correctness: the xenstore reads (up to one timeout
 * each, nine of them, when xenstored is slow: exactly when the sync service
 * is meant to help) happen before the run-folder lock, so that a slow
 * xenstore never holds udev's helpers up. What they were read for is then
 * taken again under the lock (revalidate): the consoles bound now (a sysfs
 * walk, well under a millisecond), the state and the names file. A console
 * gone meanwhile is dropped; a console that came meanwhile, or whose claim
 * disagrees with the name read, has its name read again after the lock is
 * released, and the check is made again (a few rounds at most). No xenstore
 * request is ever made with the lock held, and sync never acts on a list
 * older than its lock (which made it re-create an unbound channel's link on
 * the tty the next console took, or remove a link udev had just made).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "links.h"

enum name_status { NAME_NONE, NAME_OK, NAME_UNKNOWN };

/* Rounds of "read names, then check them under the lock" before the names
 * still changing are left unknown. */
#define SYNC_ROUNDS 3

struct sync_job {
        bool bound[XC_DEVID_MAX + 1];
        bool holds[XC_DEVID_MAX + 1]; /* xc_consoles.holds: for the mapping */
        enum name_status status[XC_DEVID_MAX + 1];
        char name[XC_DEVID_MAX + 1][XEN_CHANNEL_NAME_MAX + 1];
        struct xc_error first; /* the first fault; first.err 0 while none */
};

/* A fault of one console (recorded in ctx by the call that returned r): say
 * it now, since sync goes on with the others, and keep the first. */
static void note_err(struct xen_channel_ctx *ctx, struct sync_job *job, int r)
{
        if (r >= 0)
                return;
        xc_log_error(ctx);
        if (job->first.err == 0)
                job->first = *xc_last_error(ctx);
}

/* One xenstore request for console d. */
static void read_name(struct xen_channel_ctx *ctx, struct sync_job *job, int d)
{
        char *name = NULL;
        int r;

        job->status[d] = NAME_NONE;
        r = xc_read_channel_name(ctx, d, &name);
        if (r == -ENOENT) {
                dbg(ctx, "console-%d has no name: not a channel", d);
                return;
        }
        note_err(ctx, job, r);
        if (r < 0) {
                /* A rejected name is no name; an unread one may still be the
                 * one in the names file. */
                if (xc_last_error(ctx)->obj != XC_OBJ_NAME)
                        job->status[d] = NAME_UNKNOWN;
                return;
        }
        snprintf(job->name[d], sizeof(job->name[d]), "%s", name);
        job->status[d] = NAME_OK;
        free(name);
}

static bool name_claimed(const struct xc_claims *claims, const char *name)
{
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++)
                if (claims->c[d].used && strcmp(claims->c[d].name, name) == 0)
                        return true;
        return false;
}

/*
 * A helper's temp link, ".<name>.<pid>.tmp" (links.c), left by one killed
 * between symlinkat() and renameat(). The name is checked alone, so that the
 * temp link of every valid name is recognised, the longest ones too.
 */
static bool temp_link(const char *entry, size_t len)
{
        const char *pid;

        if (len < 8 || entry[0] != '.' || strcmp(entry + len - 4, ".tmp") != 0)
                return false;
        pid = entry + len - 4;
        while (pid > entry + 1 && pid[-1] >= '0' && pid[-1] <= '9')
                pid--;
        if (pid == entry + len - 4 || pid[-1] != '.')
                return false;
        return xen_channel_name_check(entry + 1, (size_t)(pid - 1 - (entry + 1))) ==
               XEN_CHANNEL_NAME_OK;
}

/*
 * Could this entry be ours: a valid channel name, a temp link, or a name an
 * older version let through that today's policy refuses but that is one
 * plain file name (xc_name_is_legacy)? Anything else was made by someone
 * else. Also keeps every name that reaches the log free of control
 * characters.
 */
static bool maybe_ours(const char *entry)
{
        size_t len = strlen(entry);

        return xen_channel_name_check(entry, len) == XEN_CHANNEL_NAME_OK ||
               temp_link(entry, len) || xc_name_is_legacy(entry);
}

static int list_fail(struct xen_channel_ctx *ctx, int r)
{
        char path[PATH_MAX];

        xc_link_dir_path(ctx, path, sizeof(path));
        return xc_fail(ctx, r, XC_OBJ_LINK_DIR, 0, path, "cannot list %s: %s", path,
                       strerror(-r));
}

/* Remove links to a channel tty (../hvc1..7: the only ones the helper
 * makes) that no claim backs; anything else is not ours. */
static void sweep(struct xen_channel_ctx *ctx, int link_fd, const struct xc_claims *claims,
                  struct sync_job *job)
{
        int fd = dup(link_fd);
        struct dirent *de;
        DIR *dir;

        if (fd < 0 || !(dir = fdopendir(fd))) {
                int r = -errno;

                if (fd >= 0)
                        close(fd);
                note_err(ctx, job, list_fail(ctx, r));
                return;
        }
        for (errno = 0; (de = readdir(dir)); errno = 0) {
                char target[64], path[PATH_MAX];
                ssize_t n;

                if ((de->d_type != DT_LNK && de->d_type != DT_UNKNOWN) ||
                    !maybe_ours(de->d_name))
                        continue;
                xc_link_path(ctx, de->d_name, path, sizeof(path));
                n = readlinkat(link_fd, de->d_name, target, sizeof(target) - 1);
                if (n < 0 && errno != EINVAL && errno != ENOENT)
                        note_err(ctx, job,
                                 xc_fail(ctx, -errno, XC_OBJ_LINK, 0, path,
                                         "cannot read the link %s: %s", path,
                                         strerror(errno)));
                if (n < 0)
                        continue;
                target[n] = '\0';
                if (xc_link_target_channel(target) < 0 || name_claimed(claims, de->d_name))
                        continue;
                if (unlinkat(link_fd, de->d_name, 0) < 0) {
                        int r = -errno;

                        note_err(ctx, job,
                                 xc_fail(ctx, r, XC_OBJ_LINK, 0, path, "cannot remove %s: %s",
                                         path, strerror(-r)));
                } else {
                        notice(ctx,
                               "removed link %s (was -> %s; no bound console carries "
                               "it)",
                               path, target);
                }
        }
        if (errno) {
                int r = -errno;

                note_err(ctx, job, list_fail(ctx, r));
        }
        closedir(dir);
}

/* Under the lock: claims from the names just read, links, sweep. */
static int apply(struct xen_channel_ctx *ctx, int run_fd, struct sync_job *job,
                 enum xc_resume told)
{
        struct xc_map map;
        struct xc_claims claims;
        bool any = false;
        int link_fd, linked = 0, r;

        r = xc_state_update_locked(ctx, run_fd, job->holds, &map, told);
        if (r < 0)
                return r;
        r = xc_claims_load(ctx, run_fd, &claims);
        if (r < 0)
                return r;
        /* Drop claims of consoles gone or without a (valid) name first, so
         * that they hand nothing over; keep those whose read failed. */
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++) {
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
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++) {
                int slot = map.slot[d];

                if (job->status[d] != NAME_OK)
                        continue;
                if (slot < 0 || slot >= XC_HVC_TTYS) {
                        claims.c[d].used = false;
                        note_err(ctx, job,
                                 xc_fail(ctx, -ENXIO, XC_OBJ_CONSOLE, d, NULL,
                                         "channel \"%s\": hvc slot %d has no tty; "
                                         "no link",
                                         job->name[d], slot));
                        continue;
                }
                r = xc_link_claim_locked(ctx, link_fd, &claims, job->bound, job->name[d], d,
                                         slot);
                if (r == 0)
                        linked++;
                note_err(ctx, job, r);
        }
        sweep(ctx, link_fd, &claims, job);
        close(link_fd);
        r = xc_claims_save(ctx, run_fd, &claims);
        return r < 0 ? r : linked;
}

/*
 * Under the lock: the consoles bound now replace the list the names were
 * read for. A console gone meanwhile is dropped; one that came meanwhile, or
 * whose claim in the names file disagrees with the name read (a link made
 * meanwhile recorded a newer one), needs its name read again: it is marked
 * in stale, for a read after the lock is released. Returns how many are.
 */
static int revalidate(struct xen_channel_ctx *ctx, int run_fd, struct sync_job *job,
                      bool stale[XC_DEVID_MAX + 1])
{
        bool before[XC_DEVID_MAX + 1];
        struct xc_consoles cons;
        struct xc_claims claims;
        int r, n = 0;

        memcpy(before, job->bound, sizeof(before));
        r = xc_consoles_scan(ctx, &cons);
        if (r == 0)
                r = xc_claims_load(ctx, run_fd, &claims);
        if (r < 0)
                return r;
        memcpy(job->bound, cons.bound, sizeof(job->bound));
        memcpy(job->holds, cons.holds, sizeof(job->holds));
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++) {
                const struct xc_claim *c = &claims.c[d];

                stale[d] = false;
                if (!job->bound[d])
                        job->status[d] = NAME_NONE;
                else if (!before[d] || (c->used && job->status[d] == NAME_OK &&
                                        strcmp(c->name, job->name[d]) != 0))
                        stale[d] = true;
                n += stale[d];
        }
        return n;
}

/* The last round: a name still stale is not known (its claim is kept; a
 * console without one gets its link from its own uevent's helper). */
static void give_up_stale(struct sync_job *job, const bool stale[XC_DEVID_MAX + 1])
{
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++)
                if (stale[d])
                        job->status[d] = NAME_UNKNOWN;
}

/* Under the lock: revalidate, then apply, unless names must be read again
 * first (*again: the stale ones, after the lock is released). */
static int locked_round(struct xen_channel_ctx *ctx, struct sync_job *job, enum xc_resume told,
                        bool last, bool stale[XC_DEVID_MAX + 1], bool *again)
{
        struct xc_lock lock;
        int r = xc_lock_take(ctx, &lock);

        *again = false;
        if (r < 0)
                return r;
        r = revalidate(ctx, lock.run_fd, job, stale);
        if (r > 0 && last)
                give_up_stale(job, stale);
        *again = r > 0 && !last;
        if (r >= 0 && !*again)
                r = apply(ctx, lock.run_fd, job, told);
        xc_lock_release(&lock);
        return r;
}

int xc_sync(struct xen_channel_ctx *ctx)
{
        bool stale[XC_DEVID_MAX + 1] = { false }, again;
        struct sync_job job;
        enum xc_resume told;
        int r;

        memset(&job, 0, sizeof(job));
        r = xc_bound_consoles(ctx, job.bound);
        if (r < 0)
                return r;
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++)
                if (job.bound[d])
                        read_name(ctx, &job, d);
        /* A sync runs at boot and after every burst of xenstore events a
         * resume makes: it asks for the mark whether or not a hole would let
         * consoles move, so that a resume that moved nothing is seen too
         * (and the mark written again below). */
        told = xc_resume_ask(ctx, true);
        for (int round = 1;; round++) {
                r = locked_round(ctx, &job, told, round == SYNC_ROUNDS, stale, &again);
                if (!again)
                        break;
                for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++)
                        if (stale[d])
                                read_name(ctx, &job, d);
        }
        xc_resume_arm(ctx);
        /* A fault of the whole pass wins over a per-console one: it is the
         * reason nothing (or not all) was done. */
        if (r < 0)
                return r;
        if (job.first.err == 0)
                return r;
        ctx->error = job.first;
        return job.first.err;
}
