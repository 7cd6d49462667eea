/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Channel name policy.
 *
 * A channel name comes from xenstore, i.e. from outside the guest: xl does
 * not validate it (it may hold "/" or ".."). It becomes a file name under
 * <dev_dir>/xen-channel and, escaped, part of a systemd unit name. So the
 * grammar is a small allow-list, not a deny-list:
 *
 *   name = alnum *( alnum / "." / "_" / "-" ), not ending with ".",
 *          no "..", 1..XEN_CHANNEL_NAME_MAX bytes,
 *          escaped length (each "-" counts 4) <= XEN_CHANNEL_NAME_ESCAPED_MAX
 *
 * When a name breaks several rules, the verdict is the first broken rule in
 * the order of enum xen_channel_name_verdict, so the same name always gives
 * the same reason, and the most alarming reasons (NUL, control characters,
 * "/") win over cosmetic ones.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "xc-private.h"

/*
 * systemd's unit names are at most 255 characters (UNIT_NAME_MAX 256 with
 * the NUL, unit_name_is_valid()). The device alias for the link is
 * "dev-xen\x2dchannel-" + escaped name + ".device": 19 + 7 fixed characters,
 * which leaves 229 for the escaped name. The only character of the grammar
 * that systemd escapes is "-" (to "\x2d"): "." is escaped only as the very
 * first character, which the grammar forbids; "_" is kept.
 */
#define UNIT_NAME_LEN_MAX 255
_Static_assert(XEN_CHANNEL_NAME_ESCAPED_MAX == UNIT_NAME_LEN_MAX -
                                                       (sizeof(XC_UNIT_PREFIX) - 1) -
                                                       (sizeof(XC_UNIT_SUFFIX) - 1),
               "escaped name limit must fit the device alias in a unit name");
_Static_assert(XEN_CHANNEL_NAME_MAX <= XEN_CHANNEL_NAME_ESCAPED_MAX,
               "a name without '-' must never be too long once escaped");

static bool is_alnum(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_name_char(unsigned char c)
{
        return is_alnum(c) || c == '.' || c == '_' || c == '-';
}

/* Everything one pass over the bytes can tell; combined by rank below. */
struct name_scan {
        bool nul, control, not_ascii, slash, dot_dot, bad_char;
        size_t dashes;
};

static void scan_name(const unsigned char *s, size_t len, struct name_scan *sc)
{
        memset(sc, 0, sizeof(*sc));
        for (size_t i = 0; i < len; i++) {
                unsigned char c = s[i];

                if (c == '\0')
                        sc->nul = true;
                else if (c < 0x20 || c == 0x7f)
                        sc->control = true;
                else if (c >= 0x80)
                        sc->not_ascii = true;
                else if (c == '/')
                        sc->slash = true;
                else if (!is_name_char(c))
                        sc->bad_char = true;
                if (c == '.' && i > 0 && s[i - 1] == '.')
                        sc->dot_dot = true;
                if (c == '-')
                        sc->dashes++;
        }
}

XC_EXPORT enum xen_channel_name_verdict xen_channel_name_check(const char *name, size_t len)
{
        const unsigned char *s = (const unsigned char *)name;
        struct name_scan sc;

        if (!name || len == 0)
                return XEN_CHANNEL_NAME_EMPTY;
        if (len > XEN_CHANNEL_NAME_MAX)
                return XEN_CHANNEL_NAME_TOO_LONG;

        scan_name(s, len, &sc);
        if (sc.nul)
                return XEN_CHANNEL_NAME_EMBEDDED_NUL;
        if (sc.control)
                return XEN_CHANNEL_NAME_CONTROL_CHAR;
        if (sc.not_ascii)
                return XEN_CHANNEL_NAME_NOT_ASCII;
        if (sc.slash)
                return XEN_CHANNEL_NAME_SLASH;
        if (sc.dot_dot)
                return XEN_CHANNEL_NAME_DOT_DOT;
        if (!is_alnum(s[0]))
                return XEN_CHANNEL_NAME_BAD_FIRST;
        if (s[len - 1] == '.')
                return XEN_CHANNEL_NAME_BAD_LAST;
        if (sc.bad_char)
                return XEN_CHANNEL_NAME_BAD_CHAR;
        /* len <= 128 here, so this cannot overflow. */
        if (len + 3 * sc.dashes > XEN_CHANNEL_NAME_ESCAPED_MAX)
                return XEN_CHANNEL_NAME_UNIT_TOO_LONG;
        return XEN_CHANNEL_NAME_OK;
}

/* Reasons, phrased to follow 'rejected channel name "<name>": '. */
static const char *const verdict_str[] = {
        [XEN_CHANNEL_NAME_OK] = "valid",
        [XEN_CHANNEL_NAME_EMPTY] = "is empty",
        [XEN_CHANNEL_NAME_TOO_LONG] = "longer than 128 bytes",
        [XEN_CHANNEL_NAME_EMBEDDED_NUL] = "contains a NUL byte",
        [XEN_CHANNEL_NAME_CONTROL_CHAR] = "contains a control character",
        [XEN_CHANNEL_NAME_NOT_ASCII] = "contains a non-ASCII byte",
        [XEN_CHANNEL_NAME_SLASH] = "contains '/'",
        [XEN_CHANNEL_NAME_DOT_DOT] = "contains '..'",
        [XEN_CHANNEL_NAME_BAD_FIRST] = "does not start with a letter or digit",
        [XEN_CHANNEL_NAME_BAD_LAST] = "ends with '.'",
        [XEN_CHANNEL_NAME_BAD_CHAR] = "contains a character other than A-Z a-z 0-9 . _ -",
        [XEN_CHANNEL_NAME_UNIT_TOO_LONG] =
                "too long for a systemd unit name once each '-' is escaped as \\x2d",
};
_Static_assert(XEN_CHANNEL_NAME_MAX == 128, "update the TOO_LONG reason");

XC_EXPORT const char *xen_channel_name_verdict_str(enum xen_channel_name_verdict v)
{
        if ((unsigned)v >= sizeof(verdict_str) / sizeof(verdict_str[0]) || !verdict_str[v])
                return "unknown verdict";
        return verdict_str[v];
}

int xc_name_valid(const char *name)
{
        if (!name)
                return -EINVAL;
        /* strnlen: a name longer than the limit is rejected without reading it all. */
        if (xen_channel_name_check(name, strnlen(name, XEN_CHANNEL_NAME_MAX + 1)) !=
            XEN_CHANNEL_NAME_OK)
                return -EINVAL;
        return 0;
}

bool xc_name_is_legacy(const char *name)
{
        size_t len;

        if (!name || xc_name_valid(name) == 0 || name[0] == '.')
                return false;
        len = strnlen(name, NAME_MAX + 1);
        if (len == 0 || len > NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if (name[i] == '/' || (unsigned char)name[i] < 0x20 || name[i] == 0x7f)
                        return false;
        return true;
}

int xc_name_accept(struct xen_channel_ctx *ctx, int devid, const char *name, size_t len)
{
        enum xen_channel_name_verdict v = xen_channel_name_check(name, len);
        char why[XC_REJECTION_MAX];

        if (v == XEN_CHANNEL_NAME_OK)
                return 0;
        return xc_fail(ctx, -EINVAL, XC_OBJ_NAME, devid, NULL, "%s",
                       xc_name_rejection(name, len, v, why, sizeof(why)));
}
