/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz xc_map_parse() (the state file is read back at every event):
 * a parsed map is consistent, formats, and parses back to itself; a rejected
 * text leaves the map untouched; updating a parsed map keeps it consistent.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "xc-core.h"

static void assert_consistent(const struct xc_map *m)
{
        bool used[XC_HVC_SLOTS] = { true };

        FUZZ_ASSERT(m->slot[0] == -1);
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++) {
                int s = m->slot[d];

                if (s == -1)
                        continue;
                FUZZ_ASSERT(s >= 1 && s < XC_HVC_SLOTS);
                FUZZ_ASSERT(!used[s]);
                used[s] = true;
        }
}

static int count_lines(const uint8_t *data, size_t size)
{
        int n = 0;

        for (size_t i = 0; i < size; i++)
                n += data[i] == '\n';
        return n + (size > 0 && data[size - 1] != '\n');
}

static int count_mapped(const struct xc_map *m)
{
        int n = 0;

        for (int d = 0; d <= XC_DEVID_MAX; d++)
                n += m->slot[d] != -1;
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct xc_map map, sentinel, back, before;
        bool bound[XC_DEVID_MAX + 1];
        char buf[128];
        int r, n;

        xc_map_init(&sentinel);
        sentinel.slot[5] = 9;
        sentinel.rank[5] = 0;
        map = sentinel;
        r = xc_map_parse(&map, (const char *)data, size);
        FUZZ_ASSERT(r == 0 || r == -EINVAL);
        if (r < 0) {
                FUZZ_ASSERT(memcmp(&map, &sentinel, sizeof(map)) == 0);
                return 0;
        }
        assert_consistent(&map);
        /* every line gave one console: nothing was silently overwritten */
        FUZZ_ASSERT(count_lines(data, size) == count_mapped(&map));

        n = xc_map_format(&map, buf, sizeof(buf));
        FUZZ_ASSERT(n >= 0 && (size_t)n < sizeof(buf) && buf[n] == '\0');
        FUZZ_ASSERT((size_t)n <= size + 1); /* canonical text is never longer (+ final \n) */
        FUZZ_ASSERT(xc_map_parse(&back, buf, (size_t)n) == 0);
        FUZZ_ASSERT(memcmp(&map, &back, sizeof(map)) == 0);

        /* Derive a set of bound consoles from the input and move the map to it. */
        for (int d = 0; d <= XC_DEVID_MAX; d++)
                bound[d] = size > 0 && (data[d % size] >> (d % 8)) & 1;
        before = map;
        r = xc_map_update(&map, bound);
        FUZZ_ASSERT(r >= 0 && r <= XC_DEVID_MAX);
        assert_consistent(&map);
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++) {
                FUZZ_ASSERT(bound[d] == (map.slot[d] != -1));
                /* a console that stayed bound keeps its slot */
                if (bound[d] && before.slot[d] != -1)
                        FUZZ_ASSERT(map.slot[d] == before.slot[d]);
        }
        return 0;
}
