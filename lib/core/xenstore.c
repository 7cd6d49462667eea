/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One bounded xenstore request: the read of device/console/<devid>/name (and
 * the resume mark's read or write: follow.c).
 *
 * libxenstore has no timeout and retries reads on EINTR, so a xenstored that
 * never answers would hang the caller (for the helper: the udev worker, and
 * boot with it). The request therefore runs in a worker thread and the caller
 * waits for it with a monotonic timed wait. On timeout:
 *
 *  - while the worker is inside xs_read() (or xs_write(): the same xs_talkv()
 *    path), it is cancelled and joined. xs.c is
 *    written for cancellation in read_message() (the reply buffers are freed
 *    by cleanup handlers); what it leaves behind is its request mutex locked
 *    and SIGPIPE ignored (xs_talkv has no cleanup handler for those). Our own
 *    cleanup handler restores SIGPIPE and frees the handle with
 *    xs_daemon_destroy_postfork(), which takes no lock (xs_close() would
 *    deadlock on the request mutex the cancelled thread still holds).
 *  - while the worker is still inside xs_open() (cancellation disabled: a
 *    cancelled connect() would leak the socket and the handle), the worker is
 *    detached and cleans up after itself when xs_open() returns. Connecting
 *    to a Unix socket or opening the xenbus device blocks only when the peer
 *    is badly wedged (listen backlog full); even then the caller returns in
 *    time.
 *
 * The worker never logs: the log callback belongs to the caller's thread.
 *
 * Why a thread (issue 13 looked for a bound without one): xs_fileno() is
 * the handle's watch pipe, not its connection, so SO_RCVTIMEO cannot be
 * set on the connection without reaching into struct xs_handle, and it
 * would not apply to /dev/xen/xenbus; a timer signal does not end the read
 * either, since read_all() retries on EINTR. The one public way to end it,
 * xentoolcore_restrict_all() called from the signal handler, dup2()s
 * /dev/null over every libxenstore handle of the process (helper watch's
 * long-lived watch connection too) and takes a mutex inside the handler.
 * The thread costs about 14,000 instructions per export (12,000 of them
 * binding the pthread functions at their first call), 0.05x of the
 * two-exec floor (bench/run).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "../xc-private.h"
#include "xs-dlopen.h"

#define XS_PATH_MAX 160
/* A key of a single request, and a value it writes (with the NUL). */
#define XS_KEY_MAX 64

enum xs_phase {
        PHASE_OPEN, /* in xs_open(), not cancellable */
        PHASE_READ, /* in xs_read(), cancellable */
        PHASE_DONE, /* result ready */
};

struct xs_job {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        enum xs_phase phase;
        bool abandoned; /* caller gave up during PHASE_OPEN */
        bool list;      /* list every console, not one key */
        bool write;     /* write data to path, not read it */
        char path[XS_KEY_MAX];
        char data[XS_KEY_MAX]; /* what a write stores: a copy, the caller may be gone */
        /* Results, valid in PHASE_DONE. */
        char *value;
        unsigned int len;
        struct xc_xs_console *consoles; /* list: the consoles, n of them */
        size_t n;
        /* The paths list_consoles() reads: in the job, not on the worker's
         * stack, which a cancellation unwinds. */
        char scratch[XS_PATH_MAX];
        int open_errno; /* xs_open() failed */
        int read_errno; /* xs_read() failed */
        /* Worker-private. */
        const struct xc_xs_lib *xs;
        struct xs_handle *xsh;
        struct sigaction saved_sigpipe;
};

void xc_xs_consoles_free(struct xc_xs_console *list, size_t n)
{
        for (size_t i = 0; list && i < n; i++) {
                free(list[i].name);
                free(list[i].backend);
        }
        free(list);
}

static void job_free(struct xs_job *job)
{
        pthread_cond_destroy(&job->cond);
        pthread_mutex_destroy(&job->lock);
        free(job->value);
        xc_xs_consoles_free(job->consoles, job->n);
        free(job);
}

/* Runs in the worker when it is cancelled inside xs_read(). */
static void worker_cancelled(void *arg)
{
        struct xs_job *job = arg;

        sigaction(SIGPIPE, &job->saved_sigpipe, NULL);
        job->xs->destroy_postfork(job->xsh);
        job->xsh = NULL;
}

/*
 * The one request, cancellable. Results go straight into the job: locals
 * would not survive the setjmp() behind pthread_cleanup_push().
 */
/* One console of the listing: its name, its backend and the backend's
 * state. A read that fails leaves the field unknown. Nothing whose address
 * is taken lives on this stack: a cancellation unwinds it (the job holds
 * the lengths and paths). */
static void read_console(struct xs_job *job, struct xc_xs_console *c)
{
        char *v;

        snprintf(job->scratch, XS_PATH_MAX, "device/console/%s/name", c->key);
        errno = 0;
        c->name = job->xs->read(job->xsh, XBT_NULL, job->scratch, &job->len);
        c->name_len = c->name ? job->len : 0;
        c->name_err = c->name ? 0 : (errno ? errno : EIO);
        snprintf(job->scratch, XS_PATH_MAX, "device/console/%s/backend", c->key);
        c->backend = job->xs->read(job->xsh, XBT_NULL, job->scratch, &job->len);
        if (!c->backend || strlen(c->backend) > XS_PATH_MAX - 8)
                return;
        snprintf(job->scratch, XS_PATH_MAX, "%s/state", c->backend);
        v = job->xs->read(job->xsh, XBT_NULL, job->scratch, &job->len);
        if (v && job->len == 1 && v[0] >= '0' && v[0] <= '9')
                c->backend_state = v[0] - '0';
        free(v);
}

/* device/console and what status needs of each entry, in the worker. */
static void list_consoles(struct xs_job *job)
{
        char **keys;

        errno = 0;
        keys = job->xs->directory(job->xsh, XBT_NULL, "device/console", &job->len);
        if (!keys) {
                job->read_errno = errno ? errno : EIO;
                return;
        }
        if (job->len > XC_XS_CONSOLES_MAX)
                job->len = XC_XS_CONSOLES_MAX;
        job->consoles = calloc(job->len ? job->len : 1, sizeof(*job->consoles));
        if (!job->consoles) {
                free(keys);
                job->read_errno = ENOMEM;
                return;
        }
        for (unsigned int i = 0; i < job->len; i++) {
                struct xc_xs_console *c = &job->consoles[i];

                snprintf(c->key, sizeof(c->key), "%s", keys[i]);
                c->devid = xc_parse_key_devid(c->key);
                c->backend_state = -1;
        }
        job->n = job->len;
        free(keys);
        for (size_t i = 0; i < job->n; i++)
                read_console(job, &job->consoles[i]);
        job->value = strdup(""); /* done: the listing is complete */
}

static void read_cancellable(struct xs_job *job)
{
        sigaction(SIGPIPE, NULL, &job->saved_sigpipe);
        pthread_cleanup_push(worker_cancelled, job);
        pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
        errno = 0;
        if (job->list) {
                list_consoles(job);
        } else if (job->write) {
                if (job->xs->write(job->xsh, XBT_NULL, job->path, job->data,
                                   strlen(job->data)))
                        job->value = strdup(""); /* done */
                else
                        job->read_errno = errno ? errno : EIO;
        } else {
                job->value = job->xs->read(job->xsh, XBT_NULL, job->path, &job->len);
                if (!job->value)
                        job->read_errno = errno ? errno : EIO;
        }
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
        pthread_cleanup_pop(0);
}

static void *worker(void *arg)
{
        struct xs_job *job = arg;
        struct xs_handle *xsh;
        bool abandoned;

        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
        errno = 0;
        xsh = job->xs->open(0);

        pthread_mutex_lock(&job->lock);
        abandoned = job->abandoned;
        if (!xsh) {
                job->open_errno = errno ? errno : EIO;
                job->phase = PHASE_DONE;
        } else if (!abandoned) {
                job->xsh = xsh;
                job->phase = PHASE_READ;
        }
        pthread_cond_signal(&job->cond);
        pthread_mutex_unlock(&job->lock);

        if (abandoned) {
                /* Detached by the caller: nobody else will free the job. */
                job->xs->close(xsh);
                job_free(job);
                return NULL;
        }
        if (!xsh)
                return NULL;

        /* Only the caller's timeout cancels, and it then reads nothing of
         * the job before joining, so the results need no lock until here. */
        read_cancellable(job);
        job->xsh = NULL;
        job->xs->close(xsh);

        pthread_mutex_lock(&job->lock);
        job->phase = PHASE_DONE;
        pthread_cond_signal(&job->cond);
        pthread_mutex_unlock(&job->lock);
        return NULL;
}

static struct xs_job *job_new(const char *path)
{
        struct xs_job *job = calloc(1, sizeof(*job));
        pthread_condattr_t attr;

        if (!job)
                return NULL;
        snprintf(job->path, sizeof(job->path), "%s", path);
        pthread_mutex_init(&job->lock, NULL);
        pthread_condattr_init(&attr);
        /* Monotonic: a clock step at boot must not stretch or cut the bound. */
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&job->cond, &attr);
        pthread_condattr_destroy(&attr);
        job->phase = PHASE_OPEN;
        return job;
}

static int start_worker(struct xs_job *job, pthread_t *thread)
{
        sigset_t all, old;
        int r;

        /* Signals are for the caller's thread, not for ours. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = pthread_create(thread, NULL, worker, job);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return -r;
}

static void deadline_after(struct timespec *ts, int timeout_ms)
{
        clock_gettime(CLOCK_MONOTONIC, ts);
        ts->tv_sec += timeout_ms / 1000;
        ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (ts->tv_nsec >= 1000000000L) {
                ts->tv_sec++;
                ts->tv_nsec -= 1000000000L;
        }
}

static long elapsed_us(const struct timespec *start)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (now.tv_sec - start->tv_sec) * 1000000L +
               (now.tv_nsec - start->tv_nsec) / 1000L;
}

/*
 * Wait for the worker until the deadline. Returns true when it finished;
 * on timeout the worker is gone (joined) or detached, and false is returned.
 * Called with job->lock held; returns with it released.
 */
static bool wait_worker(struct xs_job *job, pthread_t thread, const struct timespec *deadline,
                        bool *detached)
{
        int r = 0;

        *detached = false;
        while (job->phase != PHASE_DONE && r != ETIMEDOUT)
                r = pthread_cond_timedwait(&job->cond, &job->lock, deadline);
        if (job->phase == PHASE_DONE) {
                pthread_mutex_unlock(&job->lock);
                pthread_join(thread, NULL);
                return true;
        }
        if (job->phase == PHASE_OPEN) {
                job->abandoned = true;
                pthread_mutex_unlock(&job->lock);
                pthread_detach(thread);
                *detached = true;
                return false;
        }
        pthread_mutex_unlock(&job->lock);
        pthread_cancel(thread);
        pthread_join(thread, NULL);
        return false;
}

/* errno of a failed xs_read() -> what the caller can act on. */
static int read_error(int e)
{
        switch (e) {
        case ENOENT:
        case EACCES:
        case EPERM:
        case ENOMEM:
                return -e;
        default:
                /* EBADF: the peer hung up mid-reply or answered another type;
                 * E2BIG: a header announcing more than XENSTORE_PAYLOAD_MAX;
                 * EINVAL: no reply or an unknown error string. */
                return -EIO;
        }
}

/* Record a failed read (or write) of key with the sentence a user can act
 * on. */
static int xs_failed(struct xen_channel_ctx *ctx, int devid, const char *key, bool write,
                     int r)
{
        const char *verb = write ? "write" : "read", *doing = write ? "writing" : "reading";

        switch (r) {
        case -ETIMEDOUT:
                return xc_fail(ctx, r, XC_OBJ_XENSTORE, devid, key,
                               "xenstore did not answer within %d ms (%s %s); is "
                               "xenstored running?",
                               ctx->timeout_ms, doing, key);
        case -EHOSTDOWN:
                return xc_fail(ctx, r, XC_OBJ_XENSTORE, devid, key,
                               "cannot connect to xenstore (no xenstored socket, no "
                               "/dev/xen/xenbus): not a Xen guest?");
        case -EACCES:
        case -EPERM:
                return xc_fail(ctx, r, XC_OBJ_XENSTORE, devid, key,
                               "xenstore refused to %s %s: %s", verb, key, strerror(-r));
        case -EIO:
                return xc_fail(ctx, r, XC_OBJ_XENSTORE, devid, key,
                               "xenstore sent a malformed reply or hung up (%s %s)", doing,
                               key);
        case -ENOMEM:
                return xc_fail(ctx, r, XC_OBJ_NONE, devid, key, "out of memory");
        default:
                return xc_fail(ctx, r, XC_OBJ_XENSTORE, devid, key,
                               "%s %s %s xenstore failed: %s", doing, key,
                               write ? "in" : "from", strerror(-r));
        }
}

static int read_failed(struct xen_channel_ctx *ctx, int devid, const char *key, int r)
{
        return xs_failed(ctx, devid, key, false, r);
}

/*
 * Run job in a worker, bounded by the context timeout. 0: it finished (the
 * caller reads its results and frees it); else a recorded fault, and the job
 * is freed (or left to its detached worker).
 */
static int run_job(struct xen_channel_ctx *ctx, struct xs_job *job, int devid)
{
        struct timespec start, deadline;
        pthread_t thread;
        bool finished, detached;
        int r;

        job->xs = xc_xs_lib(ctx, devid);
        if (!job->xs) {
                job_free(job);
                return xc_last_error(ctx)->err;
        }
        clock_gettime(CLOCK_MONOTONIC, &start);
        deadline_after(&deadline, ctx->timeout_ms);
        dbg(ctx, "xenstore: %s %s (bound %d ms)",
            job->list    ? "list"
            : job->write ? "write"
                         : "read",
            job->path, ctx->timeout_ms);
        r = start_worker(job, &thread);
        if (r < 0) {
                r = xs_failed(ctx, devid, job->path, job->write, r);
                job_free(job);
                return r;
        }

        pthread_mutex_lock(&job->lock);
        finished = wait_worker(job, thread, &deadline, &detached);
        if (!finished) {
                dbg(ctx, "xenstore %s: no answer after %ld us, gave up (%s)", job->path,
                    elapsed_us(&start), detached ? "still connecting" : "cancelled");
                r = xs_failed(ctx, devid, job->path, job->write, -ETIMEDOUT);
                if (!detached)
                        job_free(job);
                return r;
        }
        if (job->open_errno) {
                dbg(ctx, "xenstore: xs_open failed: %s", strerror(job->open_errno));
                r = xs_failed(ctx, devid, job->path, job->write, -EHOSTDOWN);
                job_free(job);
                return r;
        }
        dbg(ctx, "xenstore %s: %s (%ld us)", job->path,
            job->value ? "done" : strerror(job->read_errno), elapsed_us(&start));
        return 0;
}

/* One key: its value, -ENOENT (not recorded), or a recorded fault. */
static int read_key(struct xen_channel_ctx *ctx, int devid, const char *key, char **value,
                    size_t *len)
{
        struct xs_job *job = job_new(key);
        int r;

        if (!job)
                return read_failed(ctx, devid, key, -ENOMEM);
        r = run_job(ctx, job, devid);
        if (r < 0)
                return r;
        if (!job->value) {
                r = read_error(job->read_errno);
                if (r != -ENOENT)
                        r = read_failed(ctx, devid, job->path, r);
        } else {
                *value = job->value;
                *len = job->len;
                job->value = NULL;
                r = 0;
        }
        job_free(job);
        return r;
}

int xc_xs_read_name(struct xen_channel_ctx *ctx, int devid, char **name, size_t *len)
{
        char key[XS_KEY_MAX];

        if (!ctx || !name || !len || !xc_devid_valid(devid))
                return -EINVAL;
        snprintf(key, sizeof(key), "device/console/%d/name", devid);
        return read_key(ctx, devid, key, name, len);
}

int xc_xs_read_key(struct xen_channel_ctx *ctx, const char *key, char **value, size_t *len)
{
        if (!ctx || !key || !value || !len || strlen(key) >= XS_KEY_MAX)
                return -EINVAL;
        return read_key(ctx, 0, key, value, len);
}

int xc_xs_write_key(struct xen_channel_ctx *ctx, const char *key, const char *value)
{
        struct xs_job *job;
        int r;

        if (!ctx || !key || !value || strlen(key) >= XS_KEY_MAX || strlen(value) >= XS_KEY_MAX)
                return -EINVAL;
        job = job_new(key);
        if (!job)
                return xs_failed(ctx, 0, key, true, -ENOMEM);
        job->write = true;
        snprintf(job->data, sizeof(job->data), "%s", value);
        r = run_job(ctx, job, 0);
        if (r < 0)
                return r;
        r = job->value ? 0 : xs_failed(ctx, 0, key, true, read_error(job->read_errno));
        job_free(job);
        return r;
}

int xc_xs_list_consoles(struct xen_channel_ctx *ctx, struct xc_xs_console **list, size_t *n)
{
        struct xs_job *job;
        int r;

        if (!ctx || !list || !n)
                return -EINVAL;
        *list = NULL;
        *n = 0;
        job = job_new("device/console");
        if (!job)
                return read_failed(ctx, 0, "device/console", -ENOMEM);
        job->list = true;
        r = run_job(ctx, job, 0);
        if (r < 0)
                return r;
        if (!job->value) {
                r = read_error(job->read_errno);
                if (r != -ENOENT) /* no device/console: no consoles */
                        r = read_failed(ctx, 0, job->path, r);
                else
                        r = 0;
        } else {
                *list = job->consoles;
                *n = job->n;
                job->consoles = NULL;
                job->n = 0;
        }
        job_free(job);
        return r;
}

int xc_read_channel_name(struct xen_channel_ctx *ctx, int devid, char **name)
{
        size_t len = 0;
        int r = xc_xs_read_name(ctx, devid, name, &len);

        if (r < 0)
                return r;
        r = xc_name_accept(ctx, devid, *name, len);
        if (r < 0) {
                free(*name);
                *name = NULL;
        }
        return r;
}

/* ---- the watch of helper watch ------------------------------------------- */

/*
 * When its connection breaks (xenstored restarted, the socket cut),
 * libxenstore's reader thread closes the connection and ends, and nothing is
 * written to the watch pipe: a daemon polling only that pipe would sleep
 * forever. So the watch also holds a duplicate of the connection and polls it
 * for the peer's hang-up (POLLRDHUP; never for input, which the reader
 * thread takes). libxenstore does not hand the connection out: it is the one
 * fd that xs_open() adds (a socket, or the xenbus device, which never hangs
 * up: a guest's xenstore connection goes through its kernel, and a restart
 * of xenstored in dom0 does not reach it).
 */
#define FD_SCAN_MAX 1024

struct xc_xs_watch {
        const struct xc_xs_lib *xs;
        struct xs_handle *xsh;
        int conn; /* our duplicate of the connection, or -1 */
};

/* Mark the open fds below FD_SCAN_MAX. False when they cannot be listed. */
static bool open_fds(bool open[FD_SCAN_MAX])
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;

        memset(open, 0, FD_SCAN_MAX * sizeof(bool));
        if (!d)
                return false;
        while ((de = readdir(d))) {
                int fd = atoi(de->d_name);

                /* Not the listing's own fd: the next open takes its number. */
                if (de->d_name[0] != '.' && fd >= 0 && fd < FD_SCAN_MAX && fd != dirfd(d))
                        open[fd] = true;
        }
        closedir(d);
        return true;
}

/* The one socket or character device opened since before[]: duplicated, or
 * -1 when there is not exactly one. */
static int new_connection(const bool before[FD_SCAN_MAX])
{
        bool now[FD_SCAN_MAX];
        int found = -1;

        if (!open_fds(now))
                return -1;
        for (int fd = 0; fd < FD_SCAN_MAX; fd++) {
                struct stat st;

                if (!now[fd] || before[fd] || fstat(fd, &st) < 0 ||
                    !(S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode)))
                        continue;
                if (found >= 0)
                        return -1;
                found = fd;
        }
        return found < 0 ? -1 : fcntl(found, F_DUPFD_CLOEXEC, 3);
}

int xc_xs_watch_open(struct xen_channel_ctx *ctx, struct xc_xs_watch **ret)
{
        struct xc_xs_watch *w = calloc(1, sizeof(*w));
        bool before[FD_SCAN_MAX];
        bool listed;
        int fd;

        if (!w)
                return xc_fail(ctx, -ENOMEM, XC_OBJ_NONE, 0, NULL, "out of memory");
        w->conn = -1;
        w->xs = xc_xs_lib(ctx, 0);
        if (!w->xs) {
                free(w);
                return xc_last_error(ctx)->err;
        }
        listed = open_fds(before);
        errno = 0;
        w->xsh = w->xs->open(0);
        if (!w->xsh) {
                free(w);
                return read_failed(ctx, 0, "device/console", -EHOSTDOWN);
        }
        w->conn = listed ? new_connection(before) : -1;
        if (w->conn < 0)
                notice(ctx, "watch: cannot tell the xenstore connection apart; a broken "
                            "connection will not be noticed");
        /* Relative: the kernel registers it again after a resume, where it
         * then means the new domain's path. */
        if (!w->xs->watch(w->xsh, XC_XS_WATCH_PATH, "xen-channel")) {
                int r = -(errno ? errno : EIO);

                xc_xs_watch_close(w);
                return read_failed(ctx, 0, XC_XS_WATCH_PATH, read_error(-r));
        }
        fd = w->xs->fileno(w->xsh);
        if (fd < 0) {
                xc_xs_watch_close(w);
                return read_failed(ctx, 0, XC_XS_WATCH_PATH, -EIO);
        }
        *ret = w;
        return fd;
}

int xc_xs_watch_conn_fd(const struct xc_xs_watch *w)
{
        return w->conn;
}

int xc_xs_watch_drain(struct xc_xs_watch *w)
{
        char **ev;
        int n = 0;

        errno = 0;
        while ((ev = w->xs->check_watch(w->xsh))) {
                free(ev);
                n++;
        }
        return errno == EAGAIN || errno == 0 ? n : -errno;
}

void xc_xs_watch_close(struct xc_xs_watch *w)
{
        if (!w)
                return;
        if (w->conn >= 0)
                close(w->conn);
        w->xs->close(w->xsh);
        free(w);
}
