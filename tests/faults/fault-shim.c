/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fault-shim.so: an LD_PRELOAD library that counts, traces and breaks the
 * file-system calls a program makes inside chosen folders (the run folder,
 * the device folder, /sys), for the fault campaign.
 *
 *   FAULT_ROOTS=run=/tmp/x/run:dev=/tmp/x/dev:sys=/sys
 *           the folders watched, each with a label (the "class" of a call);
 *           calls elsewhere (the loader, locale files, the xenstore socket)
 *           are neither counted nor touched
 *   FAULT_TRACE=FILE   append "fn n class dir path" per watched call
 *   FAULT=fn:n:action  at the n-th watched call of fn (1-based), act
 *           (fn:n+:action: at that call and every later one, as a disk
 *           error that stays):
 *           an errno name (EIO, EACCES, ...): fail it with that error
 *           kill: SIGKILL before the call; stop: SIGSTOP before the call
 *           (the test sends SIGCONT); delay: sleep FAULT_DELAY_MS (default
 *           50) before the call (a slow peer, without changing what happens)
 *   FAULT_MATCH=TEXT   count only calls whose path contains TEXT
 *   FAULT_HIT=FILE     written when the action happens (same fields + action)
 *
 * "dir" is 1 when the call opens a folder (O_DIRECTORY or opendir): an
 * ENOTDIR there means "not a folder", anywhere else it is just an error.
 * Loaded in front of umockdev's preload, so the path seen is the program's
 * own (/sys/...), and umockdev redirects it afterwards.
 */
#undef _FILE_OFFSET_BITS /* we define both the plain and the 64 symbols */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FD_MAX 4096
#define ROOTS_MAX 8
#define PATH_SZ 4096

struct root {
        char label[16];
        char path[PATH_SZ];
        size_t len;
};

static struct {
        pthread_mutex_t lock;
        bool ready;
        struct root roots[ROOTS_MAX];
        int n_roots;
        char *fd_path[FD_MAX]; /* watched fds: their path */
        int fd_class[FD_MAX];  /* index into roots */
        int trace_fd;
        char fault_fn[32];
        long fault_n;
        bool fault_on; /* n+: from the n-th call on */
        char fault_action[32];
        const char *match;
        const char *hit_file;
        struct {
                char fn[32];
                long n;
        } counts[64];
        int n_counts;
} S = { .lock = PTHREAD_MUTEX_INITIALIZER, .trace_fd = -1 };

static const struct {
        const char *name;
        int value;
} errnos[] = {
        { "EIO", EIO },         { "EACCES", EACCES }, { "EPERM", EPERM },
        { "ENOMEM", ENOMEM },   { "ENOSPC", ENOSPC }, { "EEXIST", EEXIST },
        { "ENOTDIR", ENOTDIR }, { "EINVAL", EINVAL }, { "EINTR", EINTR },
        { "ENOLCK", ENOLCK },   { "EMFILE", EMFILE }, { "EBUSY", EBUSY },
        { "ELOOP", ELOOP },     { "EROFS", EROFS },   { "ENOENT", ENOENT },
        { "EISDIR", EISDIR },   { "EAGAIN", EAGAIN }, { "ENFILE", ENFILE },
        { "EXDEV", EXDEV },     { "EFAULT", EFAULT },
};

static void init_locked(void)
{
        const char *roots = getenv("FAULT_ROOTS"), *fault = getenv("FAULT");
        const char *trace = getenv("FAULT_TRACE");

        S.ready = true;
        S.match = getenv("FAULT_MATCH");
        S.hit_file = getenv("FAULT_HIT");
        if (trace)
                S.trace_fd = (int)syscall(SYS_openat, AT_FDCWD, trace,
                                          O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        while (roots && *roots && S.n_roots < ROOTS_MAX) {
                const char *eq = strchr(roots, '='), *end = strchr(roots, ':');
                struct root *r = &S.roots[S.n_roots];

                if (!end)
                        end = roots + strlen(roots);
                if (eq && eq < end && eq - roots < (long)sizeof(r->label) &&
                    end - eq - 1 < PATH_SZ) {
                        memcpy(r->label, roots, (size_t)(eq - roots));
                        memcpy(r->path, eq + 1, (size_t)(end - eq - 1));
                        r->len = (size_t)(end - eq - 1);
                        S.n_roots++;
                }
                roots = *end ? end + 1 : end;
        }
        if (fault) {
                char action[32];

                char plus[2] = "";

                if (sscanf(fault, "%31[^:]:%ld%1[+]:%31s", S.fault_fn, &S.fault_n, plus,
                           action) == 4 ||
                    sscanf(fault, "%31[^:]:%ld:%31s", S.fault_fn, &S.fault_n, action) == 3)
                        memcpy(S.fault_action, action, sizeof(action));
                S.fault_on = plus[0] == '+';
        }
}

static int class_of_path(const char *path)
{
        for (int i = 0; i < S.n_roots; i++) {
                const struct root *r = &S.roots[i];

                if (strncmp(path, r->path, r->len) == 0 &&
                    (path[r->len] == '\0' || path[r->len] == '/'))
                        return i;
        }
        return -1;
}

/* The watched path of (dirfd, path), or -1 when not watched. */
static int classify(int dirfd, const char *path, char *full)
{
        if (!path)
                return -1;
        if (path[0] == '/') {
                snprintf(full, PATH_SZ, "%s", path);
                return class_of_path(path);
        }
        if (dirfd >= 0 && dirfd < FD_MAX && S.fd_path[dirfd]) {
                snprintf(full, PATH_SZ, "%s/%s", S.fd_path[dirfd], path);
                return S.fd_class[dirfd];
        }
        return -1;
}

static int classify_fd(int fd, char *full)
{
        if (fd < 0 || fd >= FD_MAX || !S.fd_path[fd])
                return -1;
        snprintf(full, PATH_SZ, "%s", S.fd_path[fd]);
        return S.fd_class[fd];
}

static void track(int fd, int cls, const char *full)
{
        if (fd < 0 || fd >= FD_MAX || cls < 0)
                return;
        pthread_mutex_lock(&S.lock);
        free(S.fd_path[fd]);
        S.fd_path[fd] = strdup(full);
        S.fd_class[fd] = cls;
        pthread_mutex_unlock(&S.lock);
}

static void untrack(int fd)
{
        if (fd < 0 || fd >= FD_MAX)
                return;
        pthread_mutex_lock(&S.lock);
        free(S.fd_path[fd]);
        S.fd_path[fd] = NULL;
        pthread_mutex_unlock(&S.lock);
}

static long bump(const char *fn)
{
        for (int i = 0; i < S.n_counts; i++)
                if (strcmp(S.counts[i].fn, fn) == 0)
                        return ++S.counts[i].n;
        if (S.n_counts == 64)
                return 0;
        snprintf(S.counts[S.n_counts].fn, sizeof(S.counts[0].fn), "%s", fn);
        S.counts[S.n_counts].n = 1;
        return S.counts[S.n_counts++].n;
}

static void write_line(int fd, const char *line)
{
        (void)!syscall(SYS_write, fd, line, strlen(line));
}

/*
 * Count a watched call; returns 0 to go on, or an errno to fail it with.
 * Kills or stops the process when that is the action.
 */
static int point(const char *fn, int cls, const char *full, bool dir)
{
        char line[PATH_SZ + 128];
        int act = 0;
        long n;

        if (cls < 0)
                return 0;
        pthread_mutex_lock(&S.lock);
        if (S.match && !strstr(full, S.match)) {
                pthread_mutex_unlock(&S.lock);
                return 0;
        }
        n = bump(fn);
        snprintf(line, sizeof(line), "%s %ld %s %d %s", fn, n, S.roots[cls].label, dir, full);
        if (S.trace_fd >= 0) {
                write_line(S.trace_fd, line);
                write_line(S.trace_fd, "\n");
        }
        if ((S.fault_n == n || (S.fault_on && n > S.fault_n)) && strcmp(S.fault_fn, fn) == 0) {
                act = -1;
                for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
                        if (strcmp(errnos[i].name, S.fault_action) == 0)
                                act = errnos[i].value;
                if (S.hit_file) {
                        int fd = (int)syscall(SYS_openat, AT_FDCWD, S.hit_file,
                                              O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

                        if (fd >= 0) {
                                write_line(fd, line);
                                write_line(fd, " ");
                                write_line(fd, S.fault_action);
                                write_line(fd, "\n");
                                syscall(SYS_close, fd);
                        }
                }
        }
        pthread_mutex_unlock(&S.lock);
        if (act == -1 && strcmp(S.fault_action, "kill") == 0)
                kill(getpid(), SIGKILL);
        if (act == -1 && strcmp(S.fault_action, "stop") == 0)
                kill(getpid(), SIGSTOP);
        if (act == -1 && strcmp(S.fault_action, "delay") == 0) {
                const char *ms = getenv("FAULT_DELAY_MS");

                usleep((useconds_t)(ms ? atoi(ms) : 50) * 1000);
        }
        return act > 0 ? act : 0;
}

#define REAL(ret, name, ...)                                                \
        static ret (*real_##name)(__VA_ARGS__);                             \
        if (!real_##name)                                                   \
                real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name); \
        pthread_mutex_lock(&S.lock);                                        \
        if (!S.ready)                                                       \
                init_locked();                                              \
        pthread_mutex_unlock(&S.lock)

#define FAIL_IF(e, ret)             \
        do {                        \
                if (e) {            \
                        errno = e;  \
                        return ret; \
                }                   \
        } while (0)

/* ---- opening ------------------------------------------------------------ */

static int mode_arg(int flags, va_list ap)
{
        return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, int) : 0;
}

#define DEFINE_OPENAT(name)                                          \
        int name(int dirfd, const char *path, int flags, ...)        \
        {                                                            \
                char full[PATH_SZ];                                  \
                va_list ap;                                          \
                int mode, cls, e, fd;                                \
                REAL(int, name, int, const char *, int, ...);        \
                va_start(ap, flags);                                 \
                mode = mode_arg(flags, ap);                          \
                va_end(ap);                                          \
                cls = classify(dirfd, path, full);                   \
                e = point("openat", cls, full, flags & O_DIRECTORY); \
                FAIL_IF(e, -1);                                      \
                fd = real_##name(dirfd, path, flags, mode);          \
                if (fd >= 0)                                         \
                        track(fd, cls, full);                        \
                return fd;                                           \
        }
DEFINE_OPENAT(openat)
DEFINE_OPENAT(openat64)

#define DEFINE_OPEN(name)                                          \
        int name(const char *path, int flags, ...)                 \
        {                                                          \
                char full[PATH_SZ];                                \
                va_list ap;                                        \
                int mode, cls, e, fd;                              \
                REAL(int, name, const char *, int, ...);           \
                va_start(ap, flags);                               \
                mode = mode_arg(flags, ap);                        \
                va_end(ap);                                        \
                cls = classify(AT_FDCWD, path, full);              \
                e = point("open", cls, full, flags & O_DIRECTORY); \
                FAIL_IF(e, -1);                                    \
                fd = real_##name(path, flags, mode);               \
                if (fd >= 0)                                       \
                        track(fd, cls, full);                      \
                return fd;                                         \
        }
DEFINE_OPEN(open)
DEFINE_OPEN(open64)

#define DEFINE_FOPEN(name)                                      \
        FILE *name(const char *path, const char *mode)          \
        {                                                       \
                char full[PATH_SZ];                             \
                int cls, e;                                     \
                FILE *f;                                        \
                REAL(FILE *, name, const char *, const char *); \
                cls = classify(AT_FDCWD, path, full);           \
                e = point("fopen", cls, full, false);           \
                FAIL_IF(e, NULL);                               \
                f = real_##name(path, mode);                    \
                if (f)                                          \
                        track(fileno(f), cls, full);            \
                return f;                                       \
        }
DEFINE_FOPEN(fopen)
DEFINE_FOPEN(fopen64)

DIR *opendir(const char *path)
{
        char full[PATH_SZ];
        int cls, e;
        DIR *d;
        REAL(DIR *, opendir, const char *);

        cls = classify(AT_FDCWD, path, full);
        e = point("opendir", cls, full, true);
        FAIL_IF(e, NULL);
        d = real_opendir(path);
        if (d)
                track(dirfd(d), cls, full);
        return d;
}

DIR *fdopendir(int fd)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(DIR *, fdopendir, int);

        cls = classify_fd(fd, full);
        e = point("fdopendir", cls, full, true);
        FAIL_IF(e, NULL);
        return real_fdopendir(fd);
}

int dup(int fd)
{
        char full[PATH_SZ];
        int cls, e, r;
        REAL(int, dup, int);

        cls = classify_fd(fd, full);
        e = point("dup", cls, full, false);
        FAIL_IF(e, -1);
        r = real_dup(fd);
        if (r >= 0)
                track(r, cls, full);
        return r;
}

/* ---- fd calls ------------------------------------------------------------ */

#define DEFINE_READDIR(name, type)                      \
        type *name(DIR *d)                              \
        {                                               \
                char full[PATH_SZ];                     \
                int cls, e;                             \
                REAL(type *, name, DIR *);              \
                cls = classify_fd(dirfd(d), full);      \
                e = point("readdir", cls, full, false); \
                FAIL_IF(e, NULL);                       \
                return real_##name(d);                  \
        }
DEFINE_READDIR(readdir, struct dirent)
DEFINE_READDIR(readdir64, struct dirent64)

int closedir(DIR *d)
{
        REAL(int, closedir, DIR *);

        untrack(dirfd(d));
        return real_closedir(d);
}

int close(int fd)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(int, close, int);

        cls = classify_fd(fd, full);
        e = point("close", cls, full, false);
        untrack(fd);
        if (e) {
                /* Linux closes the fd even when close() fails. */
                real_close(fd);
                errno = e;
                return -1;
        }
        return real_close(fd);
}

ssize_t read(int fd, void *buf, size_t n)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(ssize_t, read, int, void *, size_t);

        cls = classify_fd(fd, full);
        e = point("read", cls, full, false);
        FAIL_IF(e, -1);
        return real_read(fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(ssize_t, write, int, const void *, size_t);

        cls = classify_fd(fd, full);
        e = point("write", cls, full, false);
        FAIL_IF(e, -1);
        return real_write(fd, buf, n);
}

int fchmod(int fd, mode_t mode)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(int, fchmod, int, mode_t);

        cls = classify_fd(fd, full);
        e = point("fchmod", cls, full, false);
        FAIL_IF(e, -1);
        return real_fchmod(fd, mode);
}

int flock(int fd, int op)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(int, flock, int, int);

        cls = classify_fd(fd, full);
        e = point("flock", cls, full, false);
        FAIL_IF(e, -1);
        return real_flock(fd, op);
}

#define DEFINE_FSTAT(name, type)                      \
        int name(int fd, type *st)                    \
        {                                             \
                char full[PATH_SZ];                   \
                int cls, e;                           \
                REAL(int, name, int, type *);         \
                cls = classify_fd(fd, full);          \
                e = point("fstat", cls, full, false); \
                FAIL_IF(e, -1);                       \
                return real_##name(fd, st);           \
        }
DEFINE_FSTAT(fstat, struct stat)
DEFINE_FSTAT(fstat64, struct stat64)

/* ---- path calls ---------------------------------------------------------- */

#define DEFINE_STAT(name, fn, type)                    \
        int name(const char *path, type *st)           \
        {                                              \
                char full[PATH_SZ];                    \
                int cls, e;                            \
                REAL(int, name, const char *, type *); \
                cls = classify(AT_FDCWD, path, full);  \
                e = point(fn, cls, full, false);       \
                FAIL_IF(e, -1);                        \
                return real_##name(path, st);          \
        }
DEFINE_STAT(stat, "stat", struct stat)
DEFINE_STAT(stat64, "stat", struct stat64)
DEFINE_STAT(lstat, "lstat", struct stat)
DEFINE_STAT(lstat64, "lstat", struct stat64)

#define DEFINE_FSTATAT(name, type)                                 \
        int name(int dirfd, const char *path, type *st, int flags) \
        {                                                          \
                char full[PATH_SZ];                                \
                int cls, e;                                        \
                REAL(int, name, int, const char *, type *, int);   \
                cls = classify(dirfd, path, full);                 \
                e = point("fstatat", cls, full, false);            \
                FAIL_IF(e, -1);                                    \
                return real_##name(dirfd, path, st, flags);        \
        }
DEFINE_FSTATAT(fstatat, struct stat)
DEFINE_FSTATAT(fstatat64, struct stat64)

int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *st)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(int, statx, int, const char *, int, unsigned, struct statx *);

        cls = classify(dirfd, path, full);
        e = point("statx", cls, full, false);
        FAIL_IF(e, -1);
        return real_statx(dirfd, path, flags, mask, st);
}

int access(const char *path, int mode)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(int, access, const char *, int);

        cls = classify(AT_FDCWD, path, full);
        e = point("access", cls, full, false);
        FAIL_IF(e, -1);
        return real_access(path, mode);
}

int faccessat(int dirfd, const char *path, int mode, int flags)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(int, faccessat, int, const char *, int, int);

        cls = classify(dirfd, path, full);
        e = point("faccessat", cls, full, false);
        FAIL_IF(e, -1);
        return real_faccessat(dirfd, path, mode, flags);
}

ssize_t readlink(const char *path, char *buf, size_t size)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(ssize_t, readlink, const char *, char *, size_t);

        cls = classify(AT_FDCWD, path, full);
        e = point("readlink", cls, full, false);
        FAIL_IF(e, -1);
        return real_readlink(path, buf, size);
}

ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(ssize_t, readlinkat, int, const char *, char *, size_t);

        cls = classify(dirfd, path, full);
        e = point("readlinkat", cls, full, false);
        FAIL_IF(e, -1);
        return real_readlinkat(dirfd, path, buf, size);
}

int symlinkat(const char *target, int dirfd, const char *path)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(int, symlinkat, const char *, int, const char *);

        cls = classify(dirfd, path, full);
        e = point("symlinkat", cls, full, false);
        FAIL_IF(e, -1);
        return real_symlinkat(target, dirfd, path);
}

int renameat(int olddirfd, const char *old, int newdirfd, const char *new)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(int, renameat, int, const char *, int, const char *);

        cls = classify(newdirfd, new, full);
        e = point("renameat", cls, full, false);
        FAIL_IF(e, -1);
        return real_renameat(olddirfd, old, newdirfd, new);
}

int unlinkat(int dirfd, const char *path, int flags)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(int, unlinkat, int, const char *, int);

        cls = classify(dirfd, path, full);
        e = point("unlinkat", cls, full, false);
        FAIL_IF(e, -1);
        return real_unlinkat(dirfd, path, flags);
}

int mkdirat(int dirfd, const char *path, mode_t mode)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(int, mkdirat, int, const char *, mode_t);

        cls = classify(dirfd, path, full);
        e = point("mkdirat", cls, full, false);
        FAIL_IF(e, -1);
        return real_mkdirat(dirfd, path, mode);
}

int mkdir(const char *path, mode_t mode)
{
        char full[PATH_SZ];
        int cls, e;
        REAL(int, mkdir, const char *, mode_t);

        cls = classify(AT_FDCWD, path, full);
        e = point("mkdir", cls, full, false);
        FAIL_IF(e, -1);
        return real_mkdir(path, mode);
}
