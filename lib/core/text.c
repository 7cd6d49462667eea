/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Text that more than one front end shows: a name escaped for the log, the
 * systemd escaping of a name, the one wording of a rejected name, and the
 * paths of the link folder and the ttys. Pure: no context is changed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../xc-private.h"

/* A rejected name is shown escaped and cut to this many bytes. */
#define SHOWN_NAME_MAX 200

/* One byte as log text into out (at least 5 bytes); returns its length. */
static size_t escape_byte(unsigned char c, char out[5])
{
        static const char named
                [] = { ['\n'] = 'n', ['\t'] = 't', ['\r'] = 'r', ['\\'] = '\\', ['"'] = '"' };

        if (c < sizeof(named) && named[c]) {
                out[0] = '\\';
                out[1] = named[c];
                out[2] = '\0';
                return 2;
        }
        if (c < 0x20 || c >= 0x7f)
                return (size_t)snprintf(out, 5, "\\x%02x", c);
        out[0] = (char)c;
        out[1] = '\0';
        return 1;
}

char *xc_escape_for_log(const char *s, size_t len, char *buf, size_t size)
{
        static const char ellipsis[] = "...";
        size_t used = 0;

        if (size == 0)
                return buf;
        buf[0] = '\0';
        if (size < sizeof(ellipsis))
                return buf;
        for (size_t i = 0; i < len; i++) {
                char one[5];
                size_t n = escape_byte((unsigned char)s[i], one);
                /* Room for this piece, and for "..." if more follows. */
                size_t need = n + (i + 1 < len ? sizeof(ellipsis) - 1 : 0);

                if (used + need >= size) {
                        memcpy(buf + used, ellipsis, sizeof(ellipsis));
                        return buf;
                }
                memcpy(buf + used, one, n);
                used += n;
        }
        buf[used] = '\0';
        return buf;
}

static bool unit_keeps(char c, bool first)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == ':' || c == '_' || (c == '.' && !first);
}

int xc_unit_escape(const char *s, char *buf, size_t size)
{
        size_t used = 0;

        for (size_t i = 0; s[i]; i++) {
                if (unit_keeps(s[i], i == 0)) {
                        if (used + 1 >= size)
                                return -ENOSPC;
                        buf[used++] = s[i];
                } else {
                        if (used + 4 >= size)
                                return -ENOSPC;
                        snprintf(buf + used, 5, "\\x%02x", (unsigned char)s[i]);
                        used += 4;
                }
        }
        if (used >= size)
                return -ENOSPC;
        buf[used] = '\0';
        return (int)used;
}

int xc_device_unit(const char *name, char *buf, size_t size)
{
        size_t pre = sizeof(XC_UNIT_PREFIX) - 1, suf = sizeof(XC_UNIT_SUFFIX) - 1;
        int n;

        if (size < pre + suf + 1)
                return -ENOSPC;
        memcpy(buf, XC_UNIT_PREFIX, pre);
        n = xc_unit_escape(name, buf + pre, size - pre - suf);
        if (n < 0)
                return n;
        memcpy(buf + pre + (size_t)n, XC_UNIT_SUFFIX, suf + 1);
        return (int)(pre + (size_t)n + suf);
}

char *xc_name_rejection(const char *name, size_t len, enum xen_channel_name_verdict v,
                        char *buf, size_t size)
{
        char shown[SHOWN_NAME_MAX];

        snprintf(buf, size, "rejected channel name \"%s\": %s",
                 xc_escape_for_log(name ? name : "", name ? len : 0, shown, sizeof(shown)),
                 xen_channel_name_verdict_str(v));
        return buf;
}

/* dev_dir "/" gives "/xen-channel", not "//xen-channel". */
static const char *dev_prefix(const struct xen_channel_ctx *ctx)
{
        return strcmp(ctx->dev_dir, "/") == 0 ? "" : ctx->dev_dir;
}

static int fits(int n, size_t size)
{
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int xc_link_dir_path(const struct xen_channel_ctx *ctx, char *buf, size_t size)
{
        return fits(snprintf(buf, size, "%s/" XC_LINK_DIR, dev_prefix(ctx)), size);
}

int xc_link_path(const struct xen_channel_ctx *ctx, const char *name, char *buf, size_t size)
{
        return fits(snprintf(buf, size, "%s/" XC_LINK_DIR "/%s", dev_prefix(ctx), name), size);
}

int xc_tty_path(const struct xen_channel_ctx *ctx, int slot, char *buf, size_t size)
{
        return fits(snprintf(buf, size, "%s/hvc%d", dev_prefix(ctx), slot), size);
}
