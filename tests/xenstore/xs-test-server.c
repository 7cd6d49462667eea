/*
 * xs-test-server: a small fake xenstored for tests.  It speaks the real wire
 * protocol (xen/io/xs_wire.h) on a Unix socket, so the real libxenstore
 * (xs_open(0) with XENSTORED_PATH=socket) and xenstore-* tools talk to it,
 * and it can misbehave on purpose (--fault) to test clients' error paths.
 *
 * xs-test-server --socket PATH [--fault MODE] [--fault-path PREFIX]
 *     [--delay-ms N] [--fault-file FILE] [--count-file FILE] [--pidfile FILE]
 *     [--ready-fd N] [--set KEY=VALUE]...
 *
 * Faults (to every request, or only to those whose absolute path starts with
 * PREFIX): mute (never answer), close-mid (header + half the payload, then
 * hang up), garbage (absurd header + junk, then hang up), enoent (READ and
 * DIRECTORY fail with ENOENT), eacces (everything fails with EACCES), delay
 * (answer after N ms; like xenstored, the server is single-threaded, so a
 * slow request holds up every client).
 *
 * --fault-file FILE: read before each request; while FILE exists, its line
 * "MODE [PREFIX|- [MS]]" replaces the fault of the command line, so a test
 * can make a running server slow, mute or refusing and well again without
 * restarting it (which would cut its clients' connections).
 */
#define _GNU_SOURCE
#include "xs-store.h"
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h> /* xs_wire.h needs it */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

#define HDR sizeof(struct xsd_sockmsg)
#define MAX_CLIENTS 64

enum fault { F_NONE, F_MUTE, F_CLOSE_MID, F_GARBAGE, F_ENOENT, F_EACCES, F_DELAY };
static const char *const fault_names[] = { "none",   "mute",   "close-mid", "garbage",
                                           "enoent", "eacces", "delay" };
#define N_FAULTS (sizeof(fault_names) / sizeof(fault_names[0]))

struct watch {
        char *abs, *given, *token; /* given: as the client wrote it (maybe relative) */
        struct watch *next;
};

struct client {
        int fd;
        size_t have; /* bytes of the current message in buf */
        char buf[HDR + XENSTORE_PAYLOAD_MAX];
        struct watch *watches;
};

struct fault_rule {
        enum fault mode;
        char path[256]; /* "" for every request */
        long delay_ms;
};

static struct fault_rule rule = { .delay_ms = 1000 };
static const char *fault_file, *count_file;
static struct client clients[MAX_CLIENTS];
static size_t n_clients;
static unsigned long counts[XS_TYPE_COUNT + 1], total; /* last slot: unknown */
static volatile sig_atomic_t stop;

static const char *type_name(unsigned t)
{
        static const char *const names[XS_TYPE_COUNT] = {
                [XS_CONTROL] = "XS_CONTROL",
                [XS_DIRECTORY] = "XS_DIRECTORY",
                [XS_READ] = "XS_READ",
                [XS_GET_PERMS] = "XS_GET_PERMS",
                [XS_WATCH] = "XS_WATCH",
                [XS_UNWATCH] = "XS_UNWATCH",
                [XS_TRANSACTION_START] = "XS_TRANSACTION_START",
                [XS_TRANSACTION_END] = "XS_TRANSACTION_END",
                [XS_INTRODUCE] = "XS_INTRODUCE",
                [XS_RELEASE] = "XS_RELEASE",
                [XS_GET_DOMAIN_PATH] = "XS_GET_DOMAIN_PATH",
                [XS_WRITE] = "XS_WRITE",
                [XS_MKDIR] = "XS_MKDIR",
                [XS_RM] = "XS_RM",
                [XS_SET_PERMS] = "XS_SET_PERMS",
                [XS_WATCH_EVENT] = "XS_WATCH_EVENT",
                [XS_ERROR] = "XS_ERROR",
                [XS_IS_DOMAIN_INTRODUCED] = "XS_IS_DOMAIN_INTRODUCED",
                [XS_RESUME] = "XS_RESUME",
                [XS_SET_TARGET] = "XS_SET_TARGET",
                [XS_RESET_WATCHES] = "XS_RESET_WATCHES",
                [XS_DIRECTORY_PART] = "XS_DIRECTORY_PART",
        };
        return t < XS_TYPE_COUNT && names[t] ? names[t] : "XS_UNKNOWN";
}

/* Rewrite the count file atomically so a reader never sees half of it. */
static void write_counts(void)
{
        char tmp[4096];
        FILE *f;

        if (!count_file)
                return;
        snprintf(tmp, sizeof(tmp), "%s.tmp", count_file);
        if (!(f = fopen(tmp, "w"))) {
                perror(tmp);
                return;
        }
        for (unsigned t = 0; t <= XS_TYPE_COUNT; t++)
                if (counts[t])
                        fprintf(f, "%s %lu\n", type_name(t), counts[t]);
        fprintf(f, "total %lu\n", total);
        if (fclose(f) != 0 || rename(tmp, count_file) != 0)
                perror(count_file);
}

/* Blocking send; the SO_SNDTIMEO set at accept time bounds a stuck client. */
static bool send_all(struct client *c, const void *p, size_t len)
{
        for (size_t done = 0; done < len;) {
                ssize_t n = send(c->fd, (const char *)p + done, len - done, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return false;
                done += n;
        }
        return true;
}

static bool send_msg(struct client *c, const struct xsd_sockmsg *req, unsigned type,
                     const void *payload, size_t len)
{
        struct xsd_sockmsg h = { type, req ? req->req_id : 0, req ? req->tx_id : 0, len };
        return send_all(c, &h, HDR) && send_all(c, payload, len);
}

static void send_event(struct client *c, const char *path, const char *token)
{
        char buf[XENSTORE_PAYLOAD_MAX];
        int n = snprintf(buf, sizeof(buf), "%s%c%s", path, 0, token);
        if (n > 0 && (size_t)n < sizeof(buf))
                send_msg(c, NULL, XS_WATCH_EVENT, buf, n + 1);
}

/* Tell every watcher about a change at `node`.  Like xenstored, a watch sees
 * changes at or below its path, and on removal also the watches below it. */
static void fire_watches(const char *node, bool removed)
{
        for (size_t i = 0; i < n_clients; i++) {
                for (struct watch *w = clients[i].watches; w; w = w->next) {
                        const char *ev = node;
                        if (xs_path_under(node, w->abs)) {
                                /* Relative watches get relative event paths. */
                                if (w->given[0] != '/' && xs_path_under(node, XS_HOME) &&
                                    strlen(node) > strlen(XS_HOME))
                                        ev = node + strlen(XS_HOME) + 1;
                        } else if (removed && xs_path_under(w->abs, node)) {
                                ev = w->given;
                        } else {
                                continue;
                        }
                        send_event(&clients[i], ev, w->token);
                }
        }
}

static bool path_bearing(unsigned type)
{
        return type == XS_READ || type == XS_WRITE || type == XS_MKDIR || type == XS_RM ||
               type == XS_DIRECTORY || type == XS_WATCH || type == XS_UNWATCH ||
               type == XS_GET_PERMS || type == XS_SET_PERMS;
}

/* Do the request.  Returns 0 with the reply in out/outlen, or an errno. */
static int dispatch(struct client *c, const struct xsd_sockmsg *h, char *p, const char *abs,
                    char *out, size_t *outlen)
{
        size_t plen = strlen(p) + 1; /* first string, NUL included */
        const char *val;
        size_t len;
        int err;

        *outlen = 3;
        memcpy(out, "OK", 3);
        if (path_bearing(h->type) && !abs && !(h->type == XS_WATCH && p[0] == '@'))
                return EINVAL;
        switch (h->type) {
        case XS_READ:
                if ((err = xs_store_read(abs, &val, &len)))
                        return err;
                memcpy(out, val, len);
                *outlen = len;
                return 0;
        case XS_WRITE:
                if (plen > h->len)
                        return EINVAL;
                return xs_store_write(abs, p + plen, h->len - plen);
        case XS_MKDIR:
                return xs_store_mkdir(abs);
        case XS_RM:
                return xs_store_rm(abs);
        case XS_DIRECTORY:
                return xs_store_dir(abs, out, XENSTORE_PAYLOAD_MAX, outlen);
        case XS_GET_PERMS:
                if ((err = xs_store_read(abs, &val, &len)))
                        return err;
                *outlen = 3;
                memcpy(out, "n0", 3); /* owned by dom0, nobody else may read */
                return 0;
        case XS_SET_PERMS:
                return xs_store_read(abs, &val, &len);
        case XS_GET_DOMAIN_PATH:
                *outlen = snprintf(out, XENSTORE_PAYLOAD_MAX, "/local/domain/%d", atoi(p)) + 1;
                return 0;
        case XS_TRANSACTION_START: /* no isolation: tests need none */
                *outlen = 2;
                memcpy(out, "1", 2);
                return 0;
        case XS_TRANSACTION_END:
                return 0;
        case XS_WATCH: {
                struct watch *w = calloc(1, sizeof(*w));
                if (plen >= h->len || !w) {
                        free(w);
                        return EINVAL;
                }
                w->abs = strdup(abs ? abs : p);
                w->given = strdup(p);
                w->token = strdup(p + plen);
                w->next = c->watches;
                c->watches = w;
                return w->abs && w->given && w->token ? 0 : ENOMEM;
        }
        case XS_UNWATCH:
                for (struct watch **pw = &c->watches; *pw; pw = &(*pw)->next) {
                        struct watch *w = *pw;
                        if (plen < h->len && !strcmp(w->given, p) &&
                            !strcmp(w->token, p + plen)) {
                                *pw = w->next;
                                free(w->abs), free(w->given), free(w->token), free(w);
                                return 0;
                        }
                }
                return ENOENT;
        default:
                return EINVAL;
        }
}

static enum fault fault_by_name(const char *name)
{
        enum fault f = 0;

        while (f < N_FAULTS && strcmp(name, fault_names[f]))
                f++;
        return f;
}

/* The fault for this request: the fault file's, while it exists. */
static struct fault_rule current_rule(void)
{
        struct fault_rule r = rule;
        char mode[32] = "", path[256] = "-";
        long ms = r.delay_ms;
        FILE *f;

        if (!fault_file || !(f = fopen(fault_file, "r")))
                return r;
        if (fscanf(f, "%31s %255s %ld", mode, path, &ms) >= 1 &&
            fault_by_name(mode) < N_FAULTS) {
                r.mode = fault_by_name(mode);
                snprintf(r.path, sizeof(r.path), "%s", strcmp(path, "-") ? path : "");
                r.delay_ms = ms;
        }
        fclose(f);
        return r;
}

/* Handle one complete request.  Returns false if the client must be dropped. */
static bool handle(struct client *c, struct xsd_sockmsg *h, char *p)
{
        static char out[XENSTORE_PAYLOAD_MAX];
        struct fault_rule fault;
        char *abs = NULL;
        size_t outlen;
        bool ok = true, hit;
        int err;

        counts[h->type < XS_TYPE_COUNT ? h->type : XS_TYPE_COUNT]++;
        total++;
        write_counts();

        p[h->len] = '\0'; /* the caller left room: strings are always terminated */
        if (path_bearing(h->type))
                abs = xs_path_resolve(p);
        fault = current_rule();
        hit = fault.mode != F_NONE &&
              (!fault.path[0] || (abs && !strncmp(abs, fault.path, strlen(fault.path))));

        if (hit && fault.mode == F_MUTE)
                goto out; /* the client waits forever: libxenstore has no timeout */
        if (hit && fault.mode == F_DELAY)
                nanosleep(&(struct timespec){ fault.delay_ms / 1000,
                                              fault.delay_ms % 1000 * 1000000L },
                          NULL);
        if (hit && fault.mode == F_EACCES)
                err = EACCES;
        else if (hit && fault.mode == F_ENOENT &&
                 (h->type == XS_READ || h->type == XS_DIRECTORY))
                err = ENOENT;
        else
                err = dispatch(c, h, p, abs, out, &outlen);
        if (err) /* errors travel as their names: "ENOENT\0" */
                outlen = snprintf(out, sizeof(out), "%s", strerrorname_np(err)) + 1;

        struct xsd_sockmsg r = { err ? XS_ERROR : h->type, h->req_id, h->tx_id, outlen };
        if (hit && fault.mode == F_CLOSE_MID) {
                /* Cut the reply short; with no payload, cut the header itself. */
                if (send_all(c, &r, outlen ? HDR : HDR / 2) && outlen)
                        send_all(c, out, outlen / 2);
                ok = false;
        } else if (hit && fault.mode == F_GARBAGE) {
                char junk[64];
                for (size_t i = 0; i < sizeof(junk); i++)
                        junk[i] = rand();
                r.type = 0xdead;
                r.len = 0x7fffffff;
                if (send_all(c, &r, HDR))
                        send_all(c, junk, sizeof(junk));
                ok = false;
        } else {
                ok = send_all(c, &r, HDR) && send_all(c, out, outlen);
                if (ok && !err && h->type == XS_WATCH) /* xenstored fires new watches once */
                        send_event(c, p, p + strlen(p) + 1);
        }
        /* Other clients hear about a change even if this one was cut off. */
        if (!err && (h->type == XS_WRITE || h->type == XS_MKDIR || h->type == XS_RM))
                fire_watches(abs, h->type == XS_RM);
out:
        free(abs);
        return ok;
}

/* Read what is there; handle every complete message.  False: drop client. */
static bool on_readable(struct client *c)
{
        ssize_t n = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);
        if (n <= 0)
                return n < 0 && errno == EINTR;
        c->have += n;
        while (c->have >= HDR) {
                struct xsd_sockmsg h;
                memcpy(&h, c->buf, HDR);
                if (h.len > XENSTORE_PAYLOAD_MAX)
                        return false; /* as xenstored: a broken client is dropped */
                if (c->have < HDR + h.len)
                        break;
                /* The payload is copied so handle() may NUL-terminate it. */
                char payload[XENSTORE_PAYLOAD_MAX + 1];
                memcpy(payload, c->buf + HDR, h.len);
                c->have -= HDR + h.len;
                memmove(c->buf, c->buf + HDR + h.len, c->have);
                if (!handle(c, &h, payload))
                        return false;
        }
        return true;
}

static void drop(size_t i)
{
        struct watch *w, *next;
        close(clients[i].fd);
        for (w = clients[i].watches; w; w = next) {
                next = w->next;
                free(w->abs), free(w->given), free(w->token), free(w);
        }
        /* Keep the array dense: the last client takes this slot. */
        clients[i] = clients[--n_clients];
}

static void on_signal(int sig)
{
        (void)sig;
        stop = 1;
}

static void usage(void)
{
        fprintf(stderr, "usage: xs-test-server --socket PATH [--fault none|mute|close-mid|"
                        "garbage|enoent|eacces|delay]\n  [--fault-path PREFIX] [--delay-ms N] "
                        "[--fault-file FILE] [--count-file FILE]\n  [--pidfile FILE] "
                        "[--ready-fd N] [--set KEY=VALUE]...\n");
        exit(2);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "socket", 1, 0, 's' },     { "fault", 1, 0, 'f' },
                { "fault-path", 1, 0, 'P' }, { "count-file", 1, 0, 'c' },
                { "pidfile", 1, 0, 'p' },    { "ready-fd", 1, 0, 'r' },
                { "set", 1, 0, 'S' },        { "delay-ms", 1, 0, 'd' },
                { "fault-file", 1, 0, 'F' }, { 0, 0, 0, 0 },
        };
        const char *sock_path = NULL, *pidfile = NULL;
        int ready_fd = -1, lfd, opt;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        sigset_t block, orig;

        while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (opt) {
                case 's':
                        sock_path = optarg;
                        break;
                case 'P':
                        snprintf(rule.path, sizeof(rule.path), "%s", optarg);
                        break;
                case 'd':
                        rule.delay_ms = atol(optarg);
                        break;
                case 'F':
                        fault_file = optarg;
                        break;
                case 'c':
                        count_file = optarg;
                        break;
                case 'p':
                        pidfile = optarg;
                        break;
                case 'r':
                        ready_fd = atoi(optarg);
                        break;
                case 'f':
                        rule.mode = fault_by_name(optarg);
                        if (rule.mode == N_FAULTS)
                                usage();
                        break;
                case 'S': {
                        const char *eq = strchr(optarg, '=');
                        char *key = eq ? strndup(optarg, eq - optarg) : NULL;
                        char *abs = key ? xs_path_resolve(key) : NULL;
                        free(key);
                        if (!abs) {
                                fprintf(stderr, "xs-test-server: bad --set %s\n", optarg);
                                return 2;
                        }
                        xs_store_write(abs, eq + 1, strlen(eq + 1));
                        free(abs);
                        break;
                }
                default:
                        usage();
                }
        }
        if (!sock_path || optind != argc || strlen(sock_path) >= sizeof(sa.sun_path))
                usage();
        xs_store_mkdir("/local/domain/0"); /* as on a real guest: home exists */

        /* Signals are only delivered inside ppoll(), so none is ever missed. */
        sigemptyset(&block);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGINT);
        sigprocmask(SIG_BLOCK, &block, &orig);
        sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_signal }, NULL);
        sigaction(SIGINT, &(struct sigaction){ .sa_handler = on_signal }, NULL);
        signal(SIGPIPE, SIG_IGN);

        strcpy(sa.sun_path, sock_path);
        unlink(sock_path);
        lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 64)) {
                perror(sock_path);
                return 1;
        }
        if (pidfile) {
                FILE *f = fopen(pidfile, "w");
                if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f)) {
                        perror(pidfile);
                        return 1;
                }
        }
        write_counts();
        if (ready_fd >= 0) {
                if (write(ready_fd, "READY\n", 6) != 6)
                        perror("ready-fd");
                close(ready_fd);
        }

        while (!stop) {
                struct pollfd pfd[MAX_CLIENTS + 1];
                for (size_t i = 0; i < n_clients; i++)
                        pfd[i] = (struct pollfd){ .fd = clients[i].fd, .events = POLLIN };
                /* At the limit, stop accepting until someone leaves. */
                pfd[n_clients] = (struct pollfd){ .fd = n_clients < MAX_CLIENTS ? lfd : -1,
                                                  .events = POLLIN };
                if (ppoll(pfd, n_clients + 1, NULL, &orig) < 0)
                        continue; /* EINTR: check stop */
                if (pfd[n_clients].revents & POLLIN) {
                        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                        struct timeval tv = { .tv_sec = 2 };
                        if (fd >= 0) {
                                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
                                clients[n_clients++] = (struct client){ .fd = fd };
                        }
                }
                /* Backwards, so drop() moving the last client down is harmless. */
                for (size_t i = n_clients; i-- > 0;)
                        if (pfd[i].revents &&
                            pfd[i].fd == clients[i].fd && /* not just accepted */
                            !on_readable(&clients[i]))
                                drop(i);
        }

        while (n_clients)
                drop(n_clients - 1);
        xs_store_free();
        close(lfd);
        unlink(sock_path);
        if (pidfile)
                unlink(pidfile);
        return 0;
}
