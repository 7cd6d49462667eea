/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The run folder: its lock, the saved hvc mapping (state) and the consoles
 * that asked for a link (names). See rundir.h for the layout.
 *
 * The kernel does not tell which hvc slot a console got, so the mapping is
 * replayed (xc_map_update) and saved between events: a runtime unbind/bind
 * sequence only comes out right if the slots of the consoles still bound
 * are remembered. Every change happens under an flock() on <run_dir>/lock;
 * the wait for it is bounded by the context timeout so that a stuck helper
 * cannot hang udev.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rundir.h"

#define LOCK_FILE "lock"
#define NAMES_FILE "names"
#define RUN_FILE_MAX 65536

/* ---- the lock ----------------------------------------------------------- */

/* Retry a non-blocking flock() with a short back-off up to the deadline:
 * flock() itself has no timeout and signals are not ours to use. */
static int lock_bounded(struct xen_channel_ctx *ctx, int fd)
{
        long long deadline = xc_deadline(ctx->timeout_ms);
        long wait_us = 1000;

        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return 0;
                if (errno == EINTR)
                        continue;
                if (errno != EWOULDBLOCK)
                        return -errno;
                if (xc_ms_left(deadline, ctx->timeout_ms) == 0)
                        return -EBUSY;
                usleep(wait_us);
                if (wait_us < 20000)
                        wait_us *= 2;
        }
}

/* A file of the run folder must be a regular one: -EFTYPE_RUN otherwise. */
#define EFTYPE_RUN EBADFD
static int regular(int fd)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        return S_ISREG(st.st_mode) ? 0 : -EFTYPE_RUN;
}

static int lock_fail(struct xen_channel_ctx *ctx, int r, const char *what)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", ctx->run_dir, LOCK_FILE);
        if (r == -EFTYPE_RUN)
                return xc_fail(ctx, r, XC_OBJ_RUN_FILE, 0, path,
                               "%s is not a regular file; remove it", path);
        if (r == -EBUSY)
                return xc_fail(ctx, r, XC_OBJ_RUN_FILE, 0, path,
                               "%s held by another process for more than %d ms; giving up",
                               path, ctx->timeout_ms);
        return xc_fail(ctx, r, XC_OBJ_RUN_FILE, 0, path, "cannot %s %s: %s", what, path,
                       strerror(-r));
}

int xc_lock_take(struct xen_channel_ctx *ctx, struct xc_lock *lock)
{
        int r;

        lock->lock_fd = -1;
        lock->run_fd = xc_open_folder(ctx, AT_FDCWD, ctx->run_dir, XC_OBJ_RUN_DIR,
                                      ctx->run_dir, XC_FOLDER_CREATE);
        if (lock->run_fd < 0)
                return lock->run_fd;
        /* O_NONBLOCK: no file planted here (a FIFO) may make us wait. */
        lock->lock_fd = openat(lock->run_fd, LOCK_FILE,
                               O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
        if (lock->lock_fd < 0) {
                r = lock_fail(ctx, -errno, "open");
                goto fail;
        }
        r = regular(lock->lock_fd);
        if (r < 0) {
                lock_fail(ctx, r, "use");
                goto fail;
        }
        r = lock_bounded(ctx, lock->lock_fd);
        if (r < 0) {
                lock_fail(ctx, r, "lock");
                goto fail;
        }
        return 0;
fail:
        xc_lock_release(lock);
        return r;
}

void xc_lock_release(struct xc_lock *lock)
{
        /* Closing the last fd of the open file description drops the flock. */
        if (lock->lock_fd >= 0)
                close(lock->lock_fd);
        if (lock->run_fd >= 0)
                close(lock->run_fd);
        lock->run_fd = lock->lock_fd = -1;
}

int xc_run_open_ro(struct xen_channel_ctx *ctx)
{
        return open(ctx->run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* ---- the one reader and the one writer ---------------------------------- */

/*
 * A small regular file of the run folder, NUL-terminated and malloc'd.
 * -ENOENT when it does not exist, -EFTYPE_RUN when it is no regular file,
 * -EFBIG when it is too big to be ours. Opened O_NONBLOCK: a FIFO planted
 * here would otherwise block the open, with the lock held.
 */
static int run_read(int run_fd, const char *file, char **text, size_t *len)
{
        struct stat st;
        char *buf = NULL;
        size_t n = 0;
        int fd, r;

        fd = openat(run_fd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = regular(fd);
        if (r < 0)
                goto out;
        if (fstat(fd, &st) < 0) {
                r = -errno;
                goto out;
        }
        if (st.st_size > RUN_FILE_MAX) {
                r = -EFBIG;
                goto out;
        }
        buf = malloc((size_t)st.st_size + 1);
        if (!buf) {
                r = -ENOMEM;
                goto out;
        }
        while (n < (size_t)st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        goto out;
                }
                if (k == 0)
                        break;
                n += (size_t)k;
        }
        buf[n] = '\0';
        *text = buf;
        *len = n;
        buf = NULL;
        r = 0;
out:
        free(buf);
        close(fd);
        return r;
}

/*
 * Read file and hand it to parse. The one policy: a missing file is empty
 * (-ENOENT, not recorded). A corrupt one (parse fails, too big to be ours, or
 * no regular file at all: a FIFO, a folder) holds nothing of ours: it is
 * warned about, naming it, and counts as empty (-EBADMSG; the next change
 * under the lock writes it anew, replacing it). A file that cannot be read
 * (EIO, ENOMEM, EACCES) is an error, recorded: counting it as empty would
 * replace what it holds with a guess, for good.
 */
static int run_load(struct xen_channel_ctx *ctx, int run_fd, const char *file,
                    int (*parse)(const char *text, size_t len, void *out, int *line),
                    void *out)
{
        char path[PATH_MAX], *text = NULL;
        size_t len = 0;
        int line = 0;
        int r = run_read(run_fd, file, &text, &len);

        snprintf(path, sizeof(path), "%s/%s", ctx->run_dir, file);
        if (r == -ENOENT)
                return r;
        if (r < 0 && r != -EFBIG && r != -EFTYPE_RUN)
                return xc_fail(ctx, r, XC_OBJ_RUN_FILE, 0, path, "cannot read %s: %s", path,
                               strerror(-r));
        if (r == 0)
                r = parse(text, len, out, &line);
        free(text);
        if (r == 0)
                return 0;
        if (r == -EFTYPE_RUN)
                warning(ctx,
                        "%s is not a regular file; ignoring it (it is replaced at the next "
                        "change)",
                        path);
        else if (line > 0)
                warning(ctx,
                        "%s: corrupt line %d; ignoring the file (it is written anew at the "
                        "next change)",
                        path, line);
        else
                warning(ctx,
                        "%s is corrupt (%s); ignoring it (it is written anew at the next "
                        "change)",
                        path, strerror(-r));
        return -EBADMSG;
}

static int write_all(int fd, const char *text, size_t len)
{
        while (len > 0) {
                ssize_t k = write(fd, text, len);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                text += k;
                len -= (size_t)k;
        }
        return 0;
}

/* Replace a file of the run folder atomically (temp file + rename). */
static int run_write(struct xen_channel_ctx *ctx, int run_fd, const char *file,
                     const char *text, size_t len)
{
        char tmp[64], path[PATH_MAX];
        int fd, r;

        snprintf(tmp, sizeof(tmp), "%s.tmp", file);
        /* Only lock holders write, so one fixed temp name is enough; a
         * leftover (or planted symlink) is removed, never followed. */
        (void)unlinkat(run_fd, tmp, 0);
        fd = openat(run_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
                r = -errno;
                goto fail;
        }
        r = write_all(fd, text, len);
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(run_fd, tmp, run_fd, file) < 0)
                r = -errno;
        if (r == 0)
                return 0;
        (void)unlinkat(run_fd, tmp, 0);
fail:
        snprintf(path, sizeof(path), "%s/%s", ctx->run_dir, file);
        return xc_fail(ctx, r, XC_OBJ_RUN_FILE, 0, path, "cannot write %s: %s", path,
                       strerror(-r));
}

/* ---- the state file: "devid slot" lines --------------------------------- */

static int parse_state(const char *text, size_t len, void *out, int *line)
{
        return xc_map_parse(out, text, len);
}

int xc_state_load(struct xen_channel_ctx *ctx, int run_fd, struct xc_map *map)
{
        int r;

        xc_map_init(map);
        r = run_load(ctx, run_fd, XC_STATE_FILE, parse_state, map);
        if (r == 0)
                return 0;
        /* Missing or corrupt: replaying the probe order from the bound set
         * is right at boot and the best guess afterwards. */
        xc_map_init(map);
        return r == -ENOENT || r == -EBADMSG ? 0 : r;
}

int xc_state_save(struct xen_channel_ctx *ctx, int run_fd, const struct xc_map *map)
{
        char buf[512];
        int n = xc_map_format(map, buf, sizeof(buf));

        if (n < 0)
                return xc_fail(ctx, n, XC_OBJ_NONE, 0, NULL, "cannot format the state: %s",
                               strerror(-n));
        return run_write(ctx, run_fd, XC_STATE_FILE, buf, (size_t)n);
}

/* ---- the names file: "devid slot name" lines ---------------------------- */

/* One field of a claim line: a small number followed by a space. */
static int parse_field(const char **p, const char *end)
{
        int v = xc_parse_small_uint(p, end);

        if (v < 0 || *p >= end || **p != ' ')
                return -1;
        (*p)++;
        return v;
}

/* "devid slot name", with the same strict rules as the state file. */
static bool parse_claim_line(const char *line, size_t len, struct xc_claims *claims)
{
        const char *p = line, *end = line + len;
        int d = parse_field(&p, end);
        int s = parse_field(&p, end);
        size_t name_len = (size_t)(end - p);
        struct xc_claim *c;

        if (!xc_devid_valid(d) || s < 1 || s >= XC_HVC_TTYS ||
            xen_channel_name_check(p, name_len) != XEN_CHANNEL_NAME_OK || claims->c[d].used)
                return false;
        c = &claims->c[d];
        c->used = true;
        c->slot = s;
        memcpy(c->name, p, name_len);
        c->name[name_len] = '\0';
        return true;
}

static int parse_names(const char *text, size_t len, void *out, int *line)
{
        const char *p, *end;

        for (p = text; p < text + len; p = end + 1) {
                end = memchr(p, '\n', (size_t)(text + len - p));
                if (!end)
                        end = text + len;
                ++*line;
                if (!parse_claim_line(p, (size_t)(end - p), out))
                        return -EINVAL;
        }
        return 0;
}

int xc_claims_load(struct xen_channel_ctx *ctx, int run_fd, struct xc_claims *claims)
{
        int r;

        memset(claims, 0, sizeof(*claims));
        r = run_load(ctx, run_fd, NAMES_FILE, parse_names, claims);
        if (r == 0)
                return 0;
        memset(claims, 0, sizeof(*claims));
        return r == -ENOENT || r == -EBADMSG ? 0 : r;
}

int xc_claims_save(struct xen_channel_ctx *ctx, int run_fd, const struct xc_claims *claims)
{
        char buf[(XEN_CHANNEL_NAME_MAX + 32) * (XC_DEVID_MAX + 1)];
        size_t n = 0;

        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++)
                if (claims->c[d].used)
                        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%d %d %s\n", d,
                                              claims->c[d].slot, claims->c[d].name);
        return run_write(ctx, run_fd, NAMES_FILE, buf, n);
}

/* ---- the resume mark's local half --------------------------------------- */

int xc_mark_armed(int run_fd)
{
        if (faccessat(run_fd, XC_MARK_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return 1;
        return errno == ENOENT ? 0 : -errno;
}

void xc_mark_set(struct xen_channel_ctx *ctx, int run_fd)
{
        int fd = openat(run_fd, XC_MARK_FILE,
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

        if (fd >= 0)
                close(fd);
        else if (errno != EEXIST)
                /* Not a fault of the caller's: the mark only counts once it
                 * is recorded, so this just leaves it unarmed. */
                notice(ctx, "cannot record the resume mark in %s: %s", ctx->run_dir,
                       strerror(errno));
}

void xc_mark_clear(int run_fd)
{
        (void)unlinkat(run_fd, XC_MARK_FILE, 0);
}
