/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz xc_parse_devid(): only 1..9, -EINVAL or -ERANGE come out, and
 * a devid comes only from one of the four accepted spellings.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "xc-core.h"

static bool all_digits(const char *s)
{
        return *s && strspn(s, "0123456789") == strlen(s);
}

/* The part after a known prefix, or the whole string. */
static const char *number_part(const char *s)
{
        static const char *const prefixes[] = { "/sys/devices/console-", "/devices/console-",
                                                "console-" };

        for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
                if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
                        return s + strlen(prefixes[i]);
        return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        const char *num;
        int r;

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        r = xc_parse_devid(s);
        num = number_part(s);

        FUZZ_ASSERT((r >= XC_DEVID_MIN && r <= XC_DEVID_MAX) || r == -EINVAL || r == -ERANGE);
        if (r > 0) {
                char want[2] = { (char)('0' + r), '\0' };

                FUZZ_ASSERT(strcmp(num, want) == 0);
        } else if (r == -ERANGE) {
                /* a canonical number that the kernel cannot probe */
                FUZZ_ASSERT(all_digits(num));
                FUZZ_ASSERT(strcmp(num, "0") == 0 || (num[0] != '0' && strlen(num) >= 2));
        } else {
                FUZZ_ASSERT(!all_digits(num) || (num[0] == '0' && strlen(num) > 1));
        }
        free(s);
        return 0;
}
