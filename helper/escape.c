/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

/* One byte as log text into out (at least 5 bytes); returns its length. */
static size_t escape_byte(unsigned char c, char out[5])
{
        static const char named[] = { ['\n'] = 'n', ['\t'] = 't', ['\r'] = 'r',
                                      ['\\'] = '\\', ['"'] = '"' };

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

char *escape_for_log(const char *s, size_t len, char *buf, size_t size)
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
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || c == ':' || c == '_' || (c == '.' && !first);
}

int escape_unit(const char *s, char *buf, size_t size)
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
