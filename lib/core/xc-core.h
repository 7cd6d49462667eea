/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The internal core of xen-channel: what the helper, the tool and the tests
 * call besides the public agent API (libxenchannel.h). Static and hidden:
 * nothing here is exported from libxenchannel.so, so the devid limit, the
 * clash policy and the run folder's formats can change without an ABI break.
 *
 * Conventions as in the public API: 0 (or a documented non-negative value)
 * or a negative errno. A core function that fails also records the fault in
 * the context (struct xc_error, xc_last_error): which object, which path,
 * and one sentence. It does not log it: the front end logs that sentence
 * once, with its exit code (see helper/exit.c, tools/exit.c). Events that
 * are not failures (linked, removed, handed over, a clash) the core logs
 * itself, through the context's log function.
 */
#ifndef XC_CORE_H
#define XC_CORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "libxenchannel.h"

/* ---- limits ------------------------------------------------------------- */

/* Devids the kernel accepts: it reads only the last digit of the nodename. */
#define XC_DEVID_MIN 1
#define XC_DEVID_MAX 9
/* hvc slots: 0 is the primary console; only 0..7 have a tty node. */
#define XC_HVC_SLOTS 16
#define XC_HVC_TTYS 8

/* The folder below the device folder that holds the links. */
#define XC_LINK_DIR "xen-channel"
/* systemd's device unit of a link, around the escaped name (the rules'
 * ENV{SYSTEMD_ALIAS}): "dev-xen\x2dchannel-<escaped>.device". */
#define XC_UNIT_PREFIX "dev-xen\\x2dchannel-"
#define XC_UNIT_SUFFIX ".device"

/* ---- the context beyond the public API (ctx.c) -------------------------- */

/* Upper bound of one xenstore lookup, and of the wait for the run folder
 * lock (-EBUSY past it), in milliseconds (> 0, else -EINVAL). Default 2000. */
int xc_ctx_set_timeout_ms(struct xen_channel_ctx *ctx, int timeout_ms);
int xc_ctx_get_timeout_ms(const struct xen_channel_ctx *ctx);
/* What $XEN_CHANNEL_LOG (secure_getenv) said, as parsed once at ctx_new:
 * the priority, -ENOENT when unset or empty, -EINVAL when it named none. */
int xc_ctx_log_env(const struct xen_channel_ctx *ctx);

/* ---- the error record (error.c) ----------------------------------------- */

/* What a fault is about. */
enum xc_object {
        XC_OBJ_NONE = 0, /* an argument, memory, anything else */
        XC_OBJ_NAME,     /* the channel name broke the grammar */
        XC_OBJ_XENSTORE, /* reading the name from xenstore (path: the key) */
        XC_OBJ_CONSOLE,  /* the console: not bound, or its slot has no tty */
        XC_OBJ_SYSFS,    /* listing the bound consoles (path: the bus folder) */
        XC_OBJ_RUN_DIR,  /* the run folder */
        XC_OBJ_RUN_FILE, /* its lock, state or names file */
        XC_OBJ_DEV_DIR,  /* the device folder */
        XC_OBJ_LINK_DIR, /* <dev_dir>/xen-channel */
        XC_OBJ_LINK,     /* <dev_dir>/xen-channel/<name> */
        /* Answers of the policy rather than failures (logged at warning): */
        XC_OBJ_CLASH,    /* -EEXIST: a lower devid carries the name and keeps it */
        XC_OBJ_NOT_OURS, /* -ESTALE: the link is not this console's; left alone */
};

struct xc_error {
        int err; /* negative errno; 0: nothing recorded */
        enum xc_object obj;
        int devid;                 /* the console concerned, 0 when none */
        int priority;              /* LOG_ERR; LOG_WARNING for CLASH and NOT_OURS */
        bool logged;               /* the core logged it already (sync, which goes on) */
        char path[PATH_MAX];       /* the folder, file, link or xenstore key */
        char text[PATH_MAX + 256]; /* one sentence, without "console-N: " */
};

/* The last fault recorded on ctx. */
const struct xc_error *xc_last_error(const struct xen_channel_ctx *ctx);
/* Record a fault (r < 0) and return r. path may be NULL. */
int xc_fail(struct xen_channel_ctx *ctx, int r, enum xc_object obj, int devid,
            const char *path, const char *format, ...) __attribute__((format(printf, 6, 7)));
/* Log the recorded fault now ("console-N: text") and mark it logged. */
void xc_log_error(struct xen_channel_ctx *ctx);

/* ---- text: one wording, one escaping (text.c) --------------------------- */

/*
 * For a log line or a terminal: the first len bytes of s (NULs included) as
 * C-like text with no control characters, quotes or non-ASCII bytes left
 * raw ("\n", "\x01", "\""). Output longer than size - 1 is cut at a whole
 * escape and ends in "...". Returns buf. Every byte from outside (xenstore,
 * link targets, udev properties, paths) that a command prints goes through
 * this or xc_escape_for_json.
 */
char *xc_escape_for_log(const char *s, size_t len, char *buf, size_t size);
/* XC_ESCAPED_MAX(len) bytes always hold the escaping of len bytes whole. */
#define XC_ESCAPED_MAX(len) (6 * (len) + 1)
/*
 * For a JSON string, between its quotes: the same escaping, spelt for JSON.
 * Valid UTF-8 is kept, but C0, DEL and C1 (U+0080..U+009F, which a terminal
 * may act on) become "\u00XX", and each byte that starts no valid UTF-8
 * sequence (overlong, surrogate, cut, a raw 0x80..0xff) becomes "\ufffd",
 * so the output is valid UTF-8 and valid JSON. Cut as xc_escape_for_log.
 */
char *xc_escape_for_json(const char *s, size_t len, char *buf, size_t size);
/*
 * As systemd escapes one path component (systemd-escape, unit_name_escape):
 * keeps [A-Za-z0-9:_.] (but a leading "."), turns every other byte into
 * "\xHH"; "-" becomes "\x2d". Returns the escaped length, or -ENOSPC when it
 * does not fit into size bytes with its NUL.
 */
int xc_unit_escape(const char *s, char *buf, size_t size);
/* The device unit of a channel's link: "dev-xen\x2dchannel-<escaped>.device".
 * Same returns as xc_unit_escape. */
int xc_device_unit(const char *name, char *buf, size_t size);
/*
 * The one wording of a rejected name: 'rejected channel name "<escaped>":
 * <reason>' (the first len bytes of name, escaped and cut for the log).
 * Returns buf; XC_REJECTION_MAX bytes always hold it whole.
 */
#define XC_REJECTION_MAX 384
char *xc_name_rejection(const char *name, size_t len, enum xen_channel_name_verdict v,
                        char *buf, size_t size);
/* "<dev_dir>/xen-channel" and "<dev_dir>/xen-channel/<name>" ("/xen-channel"
 * when dev_dir is "/"). -ENAMETOOLONG when they do not fit. */
int xc_link_dir_path(const struct xen_channel_ctx *ctx, char *buf, size_t size);
int xc_link_path(const struct xen_channel_ctx *ctx, const char *name, char *buf, size_t size);
/* "<dev_dir>/hvc<slot>". */
int xc_tty_path(const struct xen_channel_ctx *ctx, int slot, char *buf, size_t size);

/* ---- parsers of device and tty names (mapping.c) ------------------------ */

/*
 * A device reference: "console-N", "/sys/devices/console-N",
 * "/devices/console-N" (a udev DEVPATH) or a plain "N". Returns the devid
 * (1..9) or -EINVAL (not a console) / -ERANGE (a console the kernel cannot
 * probe: devid 0 or >= 10).
 */
int xc_parse_devid(const char *ref);
/* "hvcM" -> M (0..XC_HVC_SLOTS-1, no sign, no leading zero); else -EINVAL. */
int xc_parse_tty(const char *tty);
/* A link target "../hvcM" -> M; else -EINVAL. */
int xc_link_target_slot(const char *target);
/* The same for the links the helper makes, to a channel tty only: M in
 * 1..XC_HVC_TTYS-1 (hvc0 is the primary console, where the getty runs; hvc8
 * and up have no tty node); else -EINVAL. */
int xc_link_target_channel(const char *target);

/* ---- the hvc mapping, pure (mapping.c) ---------------------------------- */

/*
 * One step of the kernel's rule, hvc_alloc(): a console probed now takes the
 * first free slot. used[] has XC_HVC_SLOTS entries, used[0] is the primary
 * console. Returns the slot or -ENOSPC.
 */
int xc_hvc_first_free(const bool used[XC_HVC_SLOTS]);

/*
 * Which slot each bound console holds: slot[devid], -1 when not bound; and
 * rank[devid], the order in which the consoles holding a slot got it (0
 * first; -1 exactly when slot is -1). The kernel resumes its consoles in
 * that order (the order their devices were registered).
 */
struct xc_map {
        int slot[XC_DEVID_MAX + 1];
        int rank[XC_DEVID_MAX + 1];
};

void xc_map_init(struct xc_map *map);
/*
 * Bring map in line with the set of consoles holding a slot (bound[devid]:
 * bound to xenconsole, backend not closed): forget the others (their slot
 * was freed), then give each one not yet in the map, in ascending devid
 * order (the boot probe order), the first free slot and the next rank.
 * Returns the number of consoles added.
 */
int xc_map_update(struct xc_map *map, const bool bound[XC_DEVID_MAX + 1]);
/*
 * What a resume makes of map (xencons_resume(): each console, in rank
 * order, frees its slot and takes the first free one again): *out. With no
 * hole below a console it keeps its slot; with one it moves down. Returns
 * 1 when some console moved, 0 when none did.
 */
int xc_map_resumed(const struct xc_map *map, struct xc_map *out);
/* Parse/format the state file text ("devid slot\n" lines, in rank order). */
int xc_map_parse(struct xc_map *map, const char *text, size_t len);
int xc_map_format(const struct xc_map *map, char *buf, size_t size);

/* ---- the system: consoles, xenstore (consoles.c, xenstore.c) ------------ */

/*
 * The consoles that hold an hvc slot, read from sysfs: the xen bus's
 * "console-*" devices whose driver link names "xenconsole" and whose
 * "state" is neither Closing nor Closed (the kernel frees the slot when the
 * backend closes). bound[d] for console-d itself; holds[d] when console-d or
 * console-1d (which the kernel probes as devid d) holds kernel devid d's
 * slot. The mapping replays holds[], names and links follow bound[]. An
 * error reading sysfs is an error (XC_OBJ_SYSFS), never "not bound".
 */
struct xc_consoles {
        bool bound[XC_DEVID_MAX + 1];
        bool holds[XC_DEVID_MAX + 1];
};
int xc_consoles_scan(struct xen_channel_ctx *ctx, struct xc_consoles *cons);
/* Only bound[] of xc_consoles_scan. */
int xc_bound_consoles(struct xen_channel_ctx *ctx, bool bound[XC_DEVID_MAX + 1]);

/* /sys/bus/xen/devices exists (a Xen guest, or a testbed). */
bool xc_xen_bus_present(void);

/* xenbus states (xen/io/xenbus.h) and their names in sysfs ("Connected"). */
enum {
        XC_XENBUS_CONNECTED = 4,
        XC_XENBUS_CLOSING = 5,
        XC_XENBUS_CLOSED = 6,
};
/* "Connected" (a trailing newline allowed) -> 4; -1 for NULL or unknown. */
int xc_xenbus_state(const char *text);
/* 4 -> "Connected"; "unknown" out of range. */
const char *xc_xenbus_state_name(int state);
/* The sysfs state text says the frontend is Closing or Closed. */
bool xc_frontend_closed(const char *state);

/*
 * Read device/console/<devid>/name with one xenstore request, bounded by the
 * context timeout. *name is malloc'd, NUL-terminated; *len is its length.
 * -ENOENT: the console has no name (a plain secondary console: not recorded,
 * not an error for callers); -ETIMEDOUT: xenstore did not answer in time;
 * -EHOSTDOWN: no xenstore to talk to; -EACCES/-EPERM: xenstore refused the
 * read; -EIO: a malformed reply or the connection broke mid-reply. A reply
 * with a NUL inside is passed on whole (*len counts past the NUL). The name
 * is NOT validated here.
 */
int xc_xs_read_name(struct xen_channel_ctx *ctx, int devid, char **name, size_t *len);
/* The same for any key of this domain (relative to /local/domain/<domid>,
 * under 64 bytes), and one bounded write of a short value (under 64 bytes).
 * Faults are recorded as for names; a missing key is -ENOENT, not recorded. */
int xc_xs_read_key(struct xen_channel_ctx *ctx, const char *key, char **value, size_t *len);
int xc_xs_write_key(struct xen_channel_ctx *ctx, const char *key, const char *value);
/* One entry of device/console, as status shows it. */
struct xc_xs_console {
        char key[16];      /* the key under device/console ("3") */
        int devid;         /* its number, 0..99; -1 when the key is not one */
        char *name;        /* malloc'd, NUL-terminated; NULL: see name_err */
        size_t name_len;   /* bytes of name (a NUL inside counts) */
        int name_err;      /* 0, or the errno of the read (ENOENT: no name) */
        char *backend;     /* the backend's path; NULL: not readable */
        int backend_state; /* the backend's xenbus state; -1: unknown */
};
#define XC_XS_CONSOLES_MAX 32
/*
 * List device/console (at most XC_XS_CONSOLES_MAX entries) with each entry's
 * name, backend path and backend state, over one connection, the whole of
 * it bounded by the context timeout. No device/console: 0 entries. Errors
 * as xc_xs_read_name's, recorded; then *list is NULL.
 */
int xc_xs_list_consoles(struct xen_channel_ctx *ctx, struct xc_xs_console **list, size_t *n);
void xc_xs_consoles_free(struct xc_xs_console *list, size_t n);
/*
 * A xenstore watch on device/console (XC_XS_WATCH_PATH, relative), for
 * `xen-channel-helper watch`: *ret and an fd that becomes readable when
 * events are queued (poll it, then xc_xs_watch_drain). Registering waits for
 * xenstore's answer, without a bound: this is for a service, not for udev.
 * The first event comes at once (xenstore fires a new watch).
 */
#define XC_XS_WATCH_PATH "device/console"
struct xc_xs_watch;
int xc_xs_watch_open(struct xen_channel_ctx *ctx, struct xc_xs_watch **ret);
/* A duplicate of the watch's xenstore connection, to poll for POLLRDHUP (the
 * peer went away: libxenstore's reader has then stopped for good), or -1
 * when it cannot be told apart. Owned by w. */
int xc_xs_watch_conn_fd(const struct xc_xs_watch *w);
/* Take every queued event without waiting: how many, or a negative errno
 * (the connection broke). */
int xc_xs_watch_drain(struct xc_xs_watch *w);
void xc_xs_watch_close(struct xc_xs_watch *w);
/* A key of device/console ("12") -> 12 (0..99, no sign, no leading zero);
 * -1 otherwise. */
int xc_parse_key_devid(const char *key);

/* 0 when the NUL-terminated name is valid, else -EINVAL (nothing recorded;
 * NULL is invalid; a long name is not read past the limit). */
int xc_name_valid(const char *name);
/* 0 when the first len bytes of name are a valid channel name, else -EINVAL
 * recorded as XC_OBJ_NAME with the one rejection wording. */
int xc_name_accept(struct xen_channel_ctx *ctx, int devid, const char *name, size_t len);
/*
 * A name an older version may have linked that today's policy refuses, but
 * that is one plain file name: no '/', no control character, not starting
 * with '.', at most NAME_MAX bytes. Such a link is still removed by unlink
 * and sync when it is ours (it points at a channel tty, ../hvc1..7); it is
 * never made.
 */
bool xc_name_is_legacy(const char *name);
/* xc_xs_read_name + xc_name_accept: a valid name, -ENOENT (no name), or a
 * recorded fault. */
int xc_read_channel_name(struct xen_channel_ctx *ctx, int devid, char **name);

/*
 * What this domain's xenstore says of a resume since the resume mark
 * (XC_RESUME_MARK) was written in it: the mark is there (NONE), it is gone
 * though the run folder says it was written here (GONE: the domain was
 * rebuilt, a restore or a migration), or nothing can be told (UNTOLD: never
 * written in this boot, xenstore not asked, or it did not answer).
 */
enum xc_resume {
        XC_RESUME_UNTOLD,
        XC_RESUME_NONE,
        XC_RESUME_GONE,
};
/* ---- which tty a console holds (tty.c) ---------------------------------- */

/*
 * Work out the hvc slot of console devid: under the run folder lock, load the
 * state, update it with the bound consoles, save it, and return the slot.
 * -ENODEV: the console is not bound; -ENXIO: its slot has no tty (>= 8).
 * told: what xc_resume_ask() said before (UNTOLD: follow no resume).
 */
int xc_resolve_tty(struct xen_channel_ctx *ctx, int devid, enum xc_resume told);
/* Forget devid in the saved state (the console was unbound/removed). */
int xc_forget(struct xen_channel_ctx *ctx, int devid);
/*
 * Before the run-folder lock (never under it): read the mark, bounded, when
 * always, or when the saved state has a hole a resume would close; else
 * UNTOLD without a request. A failure is said at notice, not recorded.
 */
enum xc_resume xc_resume_ask(struct xen_channel_ctx *ctx, bool always);
/* Before or after the lock: write the mark into this domain's xenstore
 * unless the run folder says it was written since the last resume, and
 * record that it was. Once per boot and once after each resume. */
void xc_resume_arm(struct xen_channel_ctx *ctx);
/*
 * On a map as it was saved: when told says a resume happened and it would
 * have moved consoles (holes below them), check that the slots it would have
 * made live, which map says are empty, all open (open() of a slot with no
 * console fails with ENODEV; a tty still held after its console went opens,
 * which is why open() alone proves nothing), and then take its allocation.
 * run_fd: the locked run folder, where the mark's local half is cleared
 * once the resume was seen (the next sync writes the mark again); -1 for a
 * reader (status), which changes nothing. Returns 1 when map was changed,
 * else 0 (nothing moved, no resume, or it cannot be told).
 */
int xc_map_follow(struct xen_channel_ctx *ctx, int run_fd, struct xc_map *map,
                  enum xc_resume told);
/* Relative to this domain's xenstore folder; guests may write under data/. */
#define XC_RESUME_MARK "data/xen-channel/resume-mark"

/* ---- links (links.c) and sync (sync.c) ---------------------------------- */

/*
 * Make <dev_dir>/xen-channel/<name> point at ../hvc<slot> (atomically: temp
 * link + rename), under the run folder lock. Creates the folder (0755) and
 * refuses it when it is a symlink or not a folder (-ENOTDIR). When another
 * live console with a lower devid carries the same name, it keeps the link:
 * -EEXIST (XC_OBJ_CLASH). slot is 1..7 (0 is the primary
 * console: -EINVAL; 8 and up have no tty: -ENXIO). A file or folder at the
 * link's place is not ours and is never replaced: -ENOTEMPTY.
 */
int xc_link_add(struct xen_channel_ctx *ctx, const char *name, int devid, int slot);

/* What xc_link_remove did. */
enum xc_removal {
        XC_REMOVAL_NONE = 0,    /* nothing to remove (gone already, or never ours) */
        XC_REMOVAL_REMOVED = 1, /* the link was removed */
        XC_REMOVAL_HANDED = 2,  /* another console carrying the name took it over */
};
/*
 * Remove <dev_dir>/xen-channel/<name> only if it still points at ../hvc<slot>
 * (-ESTALE, XC_OBJ_NOT_OURS, otherwise: nothing removed). If another console
 * carries the same name, it takes the link over. Returns an enum xc_removal.
 */
int xc_link_remove(struct xen_channel_ctx *ctx, const char *name, int devid, int slot);
/* The same, also for a legacy name (xc_name_is_legacy): udev's stored name
 * of a console an older version linked. */
int xc_link_remove_legacy(struct xen_channel_ctx *ctx, const char *name, int devid, int slot);

/*
 * Make <dev_dir>/xen-channel match the bound consoles without udev: read
 * every bound console's name from xenstore, validate, resolve its tty, add
 * missing/wrong links and remove links that are no longer backed. Links not
 * made by this library (not pointing at ../hvcN) are left alone. A fault of
 * one console is logged at once and the others go on; the first one is
 * returned (and is the recorded one, marked logged). Returns the number of
 * channels linked, or a negative errno.
 */
int xc_sync(struct xen_channel_ctx *ctx);

/* ---- status: every console, and why it is or is not linked (status.c) --- */

/* One verdict per console: the first of these that applies (xen-channel(1)). */
enum xc_verdict {
        XC_VERDICT_OK,
        XC_VERDICT_BAD_DEVID,  /* devid 0 or 10+ */
        XC_VERDICT_NO_DEVICE,  /* in xenstore, no console-N in sysfs */
        XC_VERDICT_NOT_PROBED, /* in sysfs, not bound to xenconsole */
        XC_VERDICT_PLAIN,      /* no name: not a channel */
        XC_VERDICT_UNKNOWN,    /* the name cannot be known (xenstore unreadable) */
        XC_VERDICT_NAME_REJECTED,
        XC_VERDICT_NAME_TAKEN,   /* a lower devid carries the name */
        XC_VERDICT_BACKEND,      /* closed (no slot), or still connecting */
        XC_VERDICT_NO_TTY,       /* slot 8 or more */
        XC_VERDICT_LINK_BLOCKED, /* a file that is not a link holds its place */
        XC_VERDICT_LINK_MISSING,
        XC_VERDICT_LINK_WRONG,
        XC_VERDICT_UDEV_MISSING, /* linked, but udev stored no properties */
        XC_VERDICT_ORPHAN,       /* a link no console carries */
};
/* "ok", "bad-devid", ... (stable: the JSON and the text show them). */
const char *xc_verdict_id(enum xc_verdict v);

enum xc_name_source { XC_NAME_NONE, XC_NAME_XENSTORE, XC_NAME_RUN_FOLDER, XC_NAME_UDEV };

struct xc_console_report {
        int devid;        /* 0..99 */
        bool in_xenstore; /* listed under device/console */
        bool name_known;  /* name (or its absence) is known */
        char *name;       /* NULL: no name, or unknown */
        size_t name_len;
        enum xc_name_source name_source;
        enum xen_channel_name_verdict name_verdict;
        char *backend;     /* NULL: unknown */
        int backend_state; /* -1: unknown */
        bool in_sysfs, bound;
        int fe_state; /* sysfs "state" as a number; -1: unknown */
        int slot;     /* worked out; -1: none */
        int owner;    /* name-taken: the devid that owns the name */
        bool has_link;
        bool link_blocked; /* something that is not a symlink at its place */
        char link[64];     /* its target */
        bool udev_known;   /* the device was there to ask udev */
        char *udev;        /* "XEN_CHANNEL_X=value\n"...; NULL: none */
        enum xc_verdict verdict;
};

struct xc_orphan {
        char name[XEN_CHANNEL_NAME_MAX + 1];
        char link[64];
};

struct xc_status {
        struct xc_console_report *consoles; /* by devid */
        size_t n;
        struct xc_orphan *orphans;
        size_t n_orphans;
        int xs_error;             /* 0, or why xenstore could not be listed */
        struct xc_error xs_fault; /* its record, saved when it failed */
};

/* Gather it all, read only. Which consoles hold slots is the helper's own
 * xc_consoles_scan(). Fails for memory, or when sysfs cannot be read: the
 * fault is recorded, and nothing is recorded after it. */
int xc_status_collect(struct xen_channel_ctx *ctx, struct xc_status *st);
void xc_status_free(struct xc_status *st);

#endif
