/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Text that more than one front end shows: bytes from outside escaped for
 * the log, a terminal or a JSON string (one escaping, two spellings), the
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

/* How a piece of outside text is written: for a log line or a terminal,
 * every byte that is not printable ASCII as "\xHH"; for a JSON string,
 * valid UTF-8 kept, controls as "\u00XX", invalid bytes as U+FFFD. */
enum escape_style { ESCAPE_LOG, ESCAPE_JSON };

/* The longest escape of one piece ("\u00XX", "\ufffd", 4 UTF-8 bytes). */
#define PIECE_MAX 7

/* C0, DEL and C1: what a terminal may act on. */
static bool is_control(unsigned int cp)
{
        return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/*
 * The length of the UTF-8 sequence s starts (at most len bytes), and its
 * code point in *cp; 0 when s starts none: a stray continuation byte, an
 * overlong form, a surrogate, past U+10FFFF, or cut short.
 */
static size_t utf8_sequence(const unsigned char *s, size_t len, unsigned int *cp)
{
        static const unsigned int lowest[] = { 0, 0, 0x80, 0x800, 0x10000 };
        size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;

        if (n == 0 || s[0] >= 0xf8 || n > len)
                return 0;
        *cp = s[0] & (0x7f >> n);
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                *cp = (*cp << 6) | (s[i] & 0x3f);
        }
        if (*cp < lowest[n] || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
                return 0;
        return n;
}

/* The piece of s (len > 0 bytes left) that starts at s, escaped into out;
 * returns how many bytes of s it took, *n the length written. */
static size_t escape_piece(const unsigned char *s, size_t len, enum escape_style style,
                           char out[PIECE_MAX], size_t *n)
{
        static const char named
                [] = { ['\n'] = 'n', ['\t'] = 't', ['\r'] = 'r', ['\\'] = '\\', ['"'] = '"' };
        unsigned int cp = s[0];
        size_t seq;

        if (cp < sizeof(named) && named[cp]) {
                *n = (size_t)snprintf(out, PIECE_MAX, "\\%c", named[cp]);
                return 1;
        }
        if (style == ESCAPE_LOG || cp < 0x80) {
                if (is_control(cp) || cp >= 0x80)
                        *n = (size_t)snprintf(out, PIECE_MAX,
                                              style == ESCAPE_LOG ? "\\x%02x" : "\\u%04x", cp);
                else
                        *n = (size_t)snprintf(out, PIECE_MAX, "%c", (char)cp);
                return 1;
        }
        seq = utf8_sequence(s, len, &cp);
        if (seq == 0) {
                *n = (size_t)snprintf(out, PIECE_MAX, "\\ufffd");
                return 1;
        }
        if (is_control(cp)) {
                *n = (size_t)snprintf(out, PIECE_MAX, "\\u%04x", cp);
        } else {
                memcpy(out, s, seq);
                *n = seq;
        }
        return seq;
}

/* The one escaping loop: the first len bytes of s into buf, cut at a whole
 * piece and ended with "..." when it does not fit. */
static char *escape(const char *s, size_t len, enum escape_style style, char *buf, size_t size)
{
        static const char ellipsis[] = "...";
        const unsigned char *u = (const unsigned char *)s;
        size_t used = 0;

        if (size == 0)
                return buf;
        buf[0] = '\0';
        if (size < sizeof(ellipsis))
                return buf;
        for (size_t i = 0; i < len;) {
                char one[PIECE_MAX];
                size_t n, took = escape_piece(u + i, len - i, style, one, &n);
                /* Room for this piece, and for "..." if more follows. */
                size_t need = n + (i + took < len ? sizeof(ellipsis) - 1 : 0);

                if (used + need >= size) {
                        memcpy(buf + used, ellipsis, sizeof(ellipsis));
                        return buf;
                }
                memcpy(buf + used, one, n);
                used += n;
                i += took;
        }
        buf[used] = '\0';
        return buf;
}

char *xc_escape_for_log(const char *s, size_t len, char *buf, size_t size)
{
        return escape(s, len, ESCAPE_LOG, buf, size);
}

char *xc_escape_for_json(const char *s, size_t len, char *buf, size_t size)
{
        return escape(s, len, ESCAPE_JSON, buf, size);
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
