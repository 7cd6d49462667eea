/*
 * xsd-shim: LD_PRELOAD library that lets Xen 4.17's C xenstored run on a
 * machine without a hypervisor, for tests.  Only the calls xenstored makes
 * (see `nm -D --undefined-only xenstored`) are stubbed:
 *   - libxenctrl: xc_interface_open/close, xc_domain_getinfo (only dom0
 *     "exists", so permissions naming domain 0 stay valid);
 *   - libxenevtchn: one eventfd that never fires, so xenstored polls it
 *     harmlessly; binds return made-up port numbers;
 *   - libxengnttab: "grant maps" are anonymous pages;
 *   - open() of /proc/xen/xsd_port ("1") and /proc/xen/xsd_kva (one zeroed
 *     page, mmap()ed as dom0's ring: empty rings mean dom0 never talks).
 * Everything else (socket, trace file, pid file) goes where the command line
 * and XENSTORED_RUNDIR/XENSTORED_PATH say.
 *
 * Usage: XENSTORED_RUNDIR=$D XENSTORED_PATH=$D/socket LD_PRELOAD=xsd-shim.so \
 *        /usr/lib/xen-4.17/bin/xenstored -N -T $D/trace -F $D/pid
 */
#undef _FILE_OFFSET_BITS /* meson sets it; it would rename open() to open64() */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

/* The handle types are opaque to xenstored: any non-NULL pointer will do. */
struct xc_interface_core {
        int unused;
};
struct xengntdev_handle {
        int unused;
};
struct xenevtchn_handle {
        int fd;
};

static struct xc_interface_core the_xc;
static struct xengntdev_handle the_gnt;

xc_interface *xc_interface_open(xentoollog_logger *l, xentoollog_logger *dl, unsigned flags)
{
        (void)l;
        (void)dl;
        (void)flags;
        return &the_xc;
}

int xc_interface_close(xc_interface *xch)
{
        (void)xch;
        return 0;
}

/* Only domain 0 exists; it is alive and well. */
int xc_domain_getinfo(xc_interface *xch, uint32_t first, unsigned max, xc_dominfo_t *info)
{
        (void)xch;
        if (first != 0 || max == 0)
                return 0;
        memset(info, 0, sizeof(*info));
        info->running = 1;
        return 1;
}

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *l, unsigned flags)
{
        (void)l;
        xenevtchn_handle *h = malloc(sizeof(*h));
        if (!h)
                return NULL;
        /* Never written to, so poll() never reports it readable. */
        h->fd = eventfd(0, EFD_NONBLOCK | ((flags & XENEVTCHN_NO_CLOEXEC) ? 0 : EFD_CLOEXEC));
        if (h->fd < 0) {
                free(h);
                return NULL;
        }
        return h;
}

/* Used by live update only; accept the inherited fd as our eventfd. */
xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *l, int fd, unsigned flags)
{
        (void)l;
        (void)flags;
        xenevtchn_handle *h = malloc(sizeof(*h));
        if (h)
                h->fd = fd;
        return h;
}

int xenevtchn_fd(xenevtchn_handle *h)
{
        return h->fd;
}
int xenevtchn_notify(xenevtchn_handle *h, evtchn_port_t p)
{
        (void)h;
        (void)p;
        return 0;
}
int xenevtchn_unbind(xenevtchn_handle *h, evtchn_port_t p)
{
        (void)h;
        (void)p;
        return 0;
}
int xenevtchn_unmask(xenevtchn_handle *h, evtchn_port_t p)
{
        (void)h;
        (void)p;
        return 0;
}
xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *h)
{
        (void)h;
        return -1;
}

/* Hand out distinct local port numbers, as the kernel would. */
static evtchn_port_t next_port = 10;

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *h, uint32_t domid,
                                                     evtchn_port_t remote)
{
        (void)h;
        (void)domid;
        (void)remote;
        return next_port++;
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *h, unsigned virq)
{
        (void)h;
        (void)virq;
        return next_port++;
}

xengnttab_handle *xengnttab_open(struct xentoollog_logger *l, unsigned flags)
{
        (void)l;
        (void)flags;
        return &the_gnt;
}

int xengnttab_close(xengnttab_handle *g)
{
        (void)g;
        return 0;
}
int xengnttab_set_max_grants(xengnttab_handle *g, uint32_t n)
{
        (void)g;
        (void)n;
        return 0;
}

void *xengnttab_map_grant_ref(xengnttab_handle *g, uint32_t domid, uint32_t ref, int prot)
{
        (void)g;
        (void)domid;
        (void)ref;
        void *p = mmap(NULL, getpagesize(), prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? NULL : p;
}

int xengnttab_unmap(xengnttab_handle *g, void *addr, uint32_t count)
{
        (void)g;
        return munmap(addr, count * getpagesize());
}

/* A memfd standing in for a /proc/xen file; -2 means "not one of ours". */
static int fake_proc_xen(const char *path)
{
        int fd;
        if (strcmp(path, "/proc/xen/xsd_port") == 0) {
                fd = memfd_create("xsd_port", MFD_CLOEXEC);
                if (fd >= 0 && (write(fd, "1", 1) != 1 || lseek(fd, 0, SEEK_SET) != 0)) {
                        close(fd);
                        return -1;
                }
                return fd;
        }
        if (strcmp(path, "/proc/xen/xsd_kva") == 0) {
                fd = memfd_create("xsd_kva", MFD_CLOEXEC);
                if (fd >= 0 && ftruncate(fd, getpagesize()) != 0) {
                        close(fd);
                        return -1;
                }
                return fd;
        }
        return -2;
}

/* The mode argument exists only with O_CREAT/O_TMPFILE. */
#define GET_MODE(flags, last, mode)                    \
        do {                                           \
                if ((flags) & (O_CREAT | O_TMPFILE)) { \
                        va_list ap;                    \
                        va_start(ap, last);            \
                        mode = va_arg(ap, mode_t);     \
                        va_end(ap);                    \
                }                                      \
        } while (0)

static int real_openat(int dirfd, const char *path, int flags, mode_t mode)
{
        static int (*next)(int, const char *, int, ...);
        if (!next)
                *(void **)&next = dlsym(RTLD_NEXT, "openat");
        return next(dirfd, path, flags, mode);
}

int open(const char *path, int flags, ...)
{
        mode_t mode = 0;
        GET_MODE(flags, flags, mode);
        int fd = fake_proc_xen(path);
        return fd != -2 ? fd : real_openat(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
        mode_t mode = 0;
        GET_MODE(flags, flags, mode);
        int fd = fake_proc_xen(path);
        return fd != -2 ? fd : real_openat(AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
        mode_t mode = 0;
        GET_MODE(flags, flags, mode);
        int fd = fake_proc_xen(path);
        return fd != -2 ? fd : real_openat(dirfd, path, flags, mode);
}
