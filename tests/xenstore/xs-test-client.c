/*
 * xs-test-client: drives the real libxenstore against a test peer, so the
 * tests see what a program linked to libxenstore sees.
 *   xs-test-client read|dir|rm|mkdir|watch|perms PATH
 *   xs-test-client write PATH VALUE
 *   xs-test-client domain-path | transaction
 *   xs-test-client raw TYPE [PAYLOAD]
 * Prints the result on stdout (watch: the first two events' paths) and exits
 * 0, or prints "ERR <errno name>" and exits 1 (3 if xs_open fails).
 * `raw` bypasses libxenstore to show exactly what the peer sends back to one
 * request of numeric TYPE (payload sent with a NUL): "type=T len=L PAYLOAD"
 * with NULs shown as '|', or "EOF after N bytes".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h> /* xs_wire.h needs it */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xenstore.h>
#include <xen/io/xs_wire.h>

static int fail(void)
{
        const char *name = strerrorname_np(errno);
        printf("ERR %s\n", name ? name : "?");
        return 1;
}

static int raw(int type, const char *payload)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct xsd_sockmsg h = { type, 7, 0, strlen(payload) + 1 };
        char buf[sizeof(h) + XENSTORE_PAYLOAD_MAX];
        size_t got = 0, want = sizeof(h);
        ssize_t n;
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", getenv("XENSTORED_PATH"));
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
            write(fd, &h, sizeof(h)) != sizeof(h))
                return fail();
        /* Unchecked: a peer may rightly hang up on an oversized request. */
        send(fd, payload, h.len, MSG_NOSIGNAL);
        while (got < want && (n = read(fd, buf + got, want - got)) > 0) {
                got += n;
                if (got == sizeof(h)) { /* now we know how much payload to expect */
                        memcpy(&h, buf, sizeof(h));
                        want += h.len <= XENSTORE_PAYLOAD_MAX ? h.len : 16;
                }
        }
        close(fd);
        if (got < want) {
                printf("EOF after %zu bytes\n", got);
                return 1;
        }
        for (size_t i = sizeof(h); i < got; i++)
                buf[i] = buf[i] ? buf[i] : '|';
        printf("type=%u len=%u %.*s\n", h.type, h.len, (int)(got - sizeof(h)),
               buf + sizeof(h));
        return 0;
}

int main(int argc, char **argv)
{
        const char *cmd = argc > 1 ? argv[1] : "", *path = argc > 2 ? argv[2] : "";
        struct xs_handle *xs;
        unsigned int n, i;
        int rc = 0;

        if (!strcmp(cmd, "raw") && argc > 2)
                return raw(atoi(argv[2]), argc > 3 ? argv[3] : "");
        xs = xs_open(0);
        if (!xs) {
                perror("xs_open");
                return 3;
        }
        if (!strcmp(cmd, "read")) {
                char *v = xs_read(xs, XBT_NULL, path, &n);
                rc = v ? (printf("%.*s\n", (int)n, v), 0) : fail();
                free(v);
        } else if (!strcmp(cmd, "write") && argc > 3) {
                rc = xs_write(xs, XBT_NULL, path, argv[3], strlen(argv[3])) ? 0 : fail();
        } else if (!strcmp(cmd, "rm")) {
                rc = xs_rm(xs, XBT_NULL, path) ? 0 : fail();
        } else if (!strcmp(cmd, "mkdir")) {
                rc = xs_mkdir(xs, XBT_NULL, path) ? 0 : fail();
        } else if (!strcmp(cmd, "dir")) {
                char **d = xs_directory(xs, XBT_NULL, path, &n);
                for (i = 0; d && i < n; i++)
                        printf("%s\n", d[i]);
                rc = d ? 0 : fail();
                free(d);
        } else if (!strcmp(cmd, "perms")) {
                struct xs_permissions *p = xs_get_permissions(xs, XBT_NULL, path, &n);
                rc = p ? (printf("%u owner=%u\n", n, p[0].id), 0) : fail();
                free(p);
        } else if (!strcmp(cmd, "domain-path")) {
                char *p = xs_get_domain_path(xs, 0);
                rc = p ? (printf("%s\n", p), 0) : fail();
                free(p);
        } else if (!strcmp(cmd, "transaction")) {
                xs_transaction_t t = xs_transaction_start(xs);
                rc = t != XBT_NULL && xs_transaction_end(xs, t, false) ? (puts("OK"), 0)
                                                                       : fail();
        } else if (!strcmp(cmd, "watch")) {
                /* The first event is the one fired on registration. */
                for (i = 0; i < 2 && rc == 0; i++) {
                        char **ev = i || xs_watch(xs, path, "tok") ? xs_read_watch(xs, &n)
                                                                   : NULL;
                        rc = ev ? (printf("%s %s\n", ev[XS_WATCH_PATH], ev[XS_WATCH_TOKEN]), 0)
                                : fail();
                        fflush(stdout);
                        free(ev);
                }
        } else {
                fprintf(stderr, "usage: see the comment in xs-test-client.c\n");
                rc = 2;
        }
        xs_close(xs);
        return rc;
}
