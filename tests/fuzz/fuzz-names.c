/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz xen_channel_name_check(): whatever the bytes, an accepted name is a
 * safe file name in /dev/xen-channel and a valid systemd device alias, and
 * the verdict agrees with a plain re-statement of the grammar.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "xc-core.h"

static bool alnum(uint8_t c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The grammar, written independently of lib/names.c. */
static bool model_accepts(const uint8_t *s, size_t n)
{
        size_t escaped = 0;

        if (n < 1 || n > XEN_CHANNEL_NAME_MAX || !alnum(s[0]) || s[n - 1] == '.')
                return false;
        for (size_t i = 0; i < n; i++) {
                if (!alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
                        return false;
                if (i > 0 && s[i] == '.' && s[i - 1] == '.')
                        return false;
                escaped += s[i] == '-' ? 4 : 1;
        }
        return escaped <= XEN_CHANNEL_NAME_ESCAPED_MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        enum xen_channel_name_verdict v = xen_channel_name_check((const char *)data, size);
        const char *why = xen_channel_name_verdict_str(v);
        char *copy;

        FUZZ_ASSERT(v >= XEN_CHANNEL_NAME_OK && v <= XEN_CHANNEL_NAME_UNIT_TOO_LONG);
        FUZZ_ASSERT(why && *why);
        FUZZ_ASSERT((v == XEN_CHANNEL_NAME_OK) == model_accepts(data, size));

        if (v == XEN_CHANNEL_NAME_OK) {
                FUZZ_ASSERT(size >= 1 && size <= XEN_CHANNEL_NAME_MAX);
                FUZZ_ASSERT(!memchr(data, '/', size));
                FUZZ_ASSERT(!memchr(data, '\0', size));
                FUZZ_ASSERT(!memmem(data, size, "..", 2));
                FUZZ_ASSERT(data[0] != '.' && data[0] != '-');
                FUZZ_ASSERT(!(size == 1 && data[0] == '.'));
                FUZZ_ASSERT(!(size == 2 && data[0] == '.' && data[1] == '.'));
                for (size_t i = 0; i < size; i++)
                        FUZZ_ASSERT(data[i] > 0x20 && data[i] < 0x7f);
        }
        if (size == 0)
                FUZZ_ASSERT(v == XEN_CHANNEL_NAME_EMPTY);
        if (size > XEN_CHANNEL_NAME_MAX)
                FUZZ_ASSERT(v == XEN_CHANNEL_NAME_TOO_LONG);

        /* The C-string front door agrees when there is no NUL inside. */
        copy = malloc(size + 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        copy[size] = '\0';
        if (!memchr(data, '\0', size))
                FUZZ_ASSERT((xc_name_valid(copy) == 0) == (v == XEN_CHANNEL_NAME_OK));
        else
                FUZZ_ASSERT(v == XEN_CHANNEL_NAME_EMBEDDED_NUL ||
                            v == XEN_CHANNEL_NAME_TOO_LONG);
        free(copy);
        return 0;
}
