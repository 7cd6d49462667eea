/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Console devids, tty names and the hvc slot mapping: pure functions over
 * data, no I/O.
 *
 * What the kernel does (read in Linux drivers/tty/hvc/, 6.x):
 *
 * - hvc_xen.c, xencons_probe(): devid = the LAST CHARACTER of the xenbus
 *   nodename minus '0' ("device/console/3" -> 3); devid 0 is refused with
 *   -ENODEV. So only devids 1..9 work: "console/12" would be read as 2. The
 *   probe (via xencons_connect_backend) calls hvc_alloc() with a vtermno of
 *   devid + HVC_COOKIE, which never matches the primary console's.
 * - hvc_console.c, hvc_alloc(): a vtermno already registered for a console
 *   slot (hvc_instantiate, done for the primary at slot 0) reuses that slot;
 *   otherwise it scans slots 0..MAX_NR_HVC_CONSOLES-1 (16) for the first one
 *   whose vtermnos[i] == -1 and takes it; when all 16 are in use it falls back
 *   to a counter past 16. hvc_remove() sets vtermnos[index] = -1, freeing the
 *   slot for the next probe. This first-free scan came with the 2020 change
 *   "hvc: fix buffer overflow during hvc_alloc()"; older kernels used only an
 *   ever-growing counter (never reused a slot).
 *
 * Hence console-N is hvcN only when devids 1..k are all bound, in order, and
 * none was removed; with devids 1 and 3, console-3 gets hvc2.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../xc-private.h"

/*
 * Parse a plain decimal devid: digits only, no sign, no spaces, no leading
 * zero (the xenstore key "01" is not the key "1"). Returns the value if it
 * is 1..9, -ERANGE for 0 and for any larger number (however long: nothing
 * is converted, so nothing overflows), -EINVAL otherwise.
 */
static int parse_devid_number(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || strspn(s, "0123456789") != n)
                return -EINVAL;
        if (s[0] == '0')
                return n == 1 ? -ERANGE : -EINVAL;
        if (n > 1)
                return -ERANGE;
        return s[0] - '0';
}

static const char *skip_prefix(const char *s, const char *prefix)
{
        size_t n = strlen(prefix);

        return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

int xc_parse_devid(const char *ref)
{
        static const char *const prefixes[] = {
                "/sys/devices/console-",
                "/devices/console-",
                "console-",
        };

        if (!ref)
                return -EINVAL;
        for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
                const char *rest = skip_prefix(ref, prefixes[i]);

                if (rest)
                        return parse_devid_number(rest);
        }
        return parse_devid_number(ref);
}

int xc_parse_key_devid(const char *key)
{
        const char *p = key, *end;
        int v;

        if (!key)
                return -1;
        end = key + strlen(key);
        v = xc_parse_small_uint(&p, end);
        return v >= 0 && v <= 99 && p == end ? v : -1;
}

int xc_hvc_first_free(const bool used[XC_HVC_SLOTS])
{
        if (!used)
                return -EINVAL;
        for (int i = 0; i < XC_HVC_SLOTS; i++)
                if (!used[i])
                        return i;
        return -ENOSPC;
}

void xc_map_init(struct xc_map *map)
{
        if (!map)
                return;
        for (int d = 0; d <= XC_DEVID_MAX; d++)
                map->slot[d] = map->rank[d] = -1;
}

/*
 * A map is consistent when devid 0 holds nothing, every slot is -1 or
 * 1..XC_HVC_SLOTS-1 (0 is the primary console), no two devids share a slot,
 * and the consoles holding a slot, and only they, have distinct ranks
 * 0..XC_DEVID_MAX. Fills used[] (with the primary's slot 0 marked).
 */
static int map_check(const struct xc_map *map, bool used[XC_HVC_SLOTS])
{
        bool rank_used[XC_DEVID_MAX + 1] = { false };

        memset(used, 0, XC_HVC_SLOTS * sizeof(used[0]));
        used[0] = true;
        if (map->slot[0] != -1 || map->rank[0] != -1)
                return -EINVAL;
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++) {
                int s = map->slot[d], k = map->rank[d];

                if ((s == -1) != (k == -1))
                        return -EINVAL;
                if (s == -1)
                        continue;
                if (s < 1 || s >= XC_HVC_SLOTS || used[s] || k < 0 || k > XC_DEVID_MAX ||
                    rank_used[k])
                        return -EINVAL;
                used[s] = true;
                rank_used[k] = true;
        }
        return 0;
}

/* The devids holding a slot, in rank order. Returns how many. */
static int in_rank_order(const struct xc_map *map, int devids[XC_DEVID_MAX])
{
        int n = 0;

        for (int k = 0; k <= XC_DEVID_MAX; k++)
                for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++)
                        if (map->rank[d] == k)
                                devids[n++] = d;
        return n;
}

/* Ranks 0..n-1, same order: maps that hold the same consoles in the same
 * order compare equal, whatever came and went before. */
static void renumber(struct xc_map *map)
{
        int devids[XC_DEVID_MAX], n = in_rank_order(map, devids);

        for (int i = 0; i < n; i++)
                map->rank[devids[i]] = i;
}

int xc_map_update(struct xc_map *map, const bool bound[XC_DEVID_MAX + 1])
{
        bool used[XC_HVC_SLOTS];
        struct xc_map next;
        int added = 0, next_rank;
        int r;

        if (!map || !bound)
                return -EINVAL;
        r = map_check(map, used);
        if (r < 0)
                return r;

        /* Work on a copy so that map is untouched on error. */
        next = *map;
        /* Unbound or closed consoles went through hvc_remove(): their slots
         * are free. */
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++) {
                if (!bound[d] && next.slot[d] >= 0) {
                        used[next.slot[d]] = false;
                        next.slot[d] = next.rank[d] = -1;
                }
        }
        renumber(&next);
        next_rank = 0;
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++)
                if (next.rank[d] >= next_rank)
                        next_rank = next.rank[d] + 1;
        /* New consoles, in probe order, each take the first free slot. */
        for (int d = XC_DEVID_MIN; d <= XC_DEVID_MAX; d++) {
                int s;

                if (!bound[d] || next.slot[d] >= 0)
                        continue;
                s = xc_hvc_first_free(used);
                if (s < 0)
                        return s; /* cannot happen: 9 devids + primary < 16 slots */
                used[s] = true;
                next.slot[d] = s;
                next.rank[d] = next_rank++;
                added++;
        }
        *map = next;
        return added;
}

int xc_map_resumed(const struct xc_map *map, struct xc_map *out)
{
        bool used[XC_HVC_SLOTS];
        int devids[XC_DEVID_MAX], n, moved = 0;
        int r;

        if (!map || !out)
                return -EINVAL;
        r = map_check(map, used);
        if (r < 0)
                return r;
        *out = *map;
        n = in_rank_order(map, devids);
        for (int i = 0; i < n; i++) {
                int d = devids[i], s;

                used[out->slot[d]] = false;  /* xencons_disconnect_backend */
                s = xc_hvc_first_free(used); /* xencons_connect_backend */
                used[s] = true;
                moved |= s != out->slot[d];
                out->slot[d] = s;
        }
        return moved;
}

int xc_parse_small_uint(const char **p, const char *end)
{
        const char *s = *p;
        int v = 0;
        int n = 0;

        while (s < end && *s >= '0' && *s <= '9') {
                if (n == 3)
                        return -1;
                v = v * 10 + (*s - '0');
                s++;
                n++;
        }
        if (n == 0 || (n > 1 && **p == '0'))
                return -1;
        *p = s;
        return v;
}

/* The one parser of "hvcM": the udev properties, the link targets and the
 * files of the run folder all go through it. */
int xc_parse_tty(const char *tty)
{
        const char *p, *end;
        int slot;

        if (!tty || strncmp(tty, "hvc", 3) != 0)
                return -EINVAL;
        p = tty + 3;
        end = p + strlen(p);
        slot = xc_parse_small_uint(&p, end);
        if (slot < 0 || p != end || slot >= XC_HVC_SLOTS)
                return -EINVAL;
        return slot;
}

int xc_link_target_slot(const char *target)
{
        if (!target || strncmp(target, "../", 3) != 0)
                return -EINVAL;
        return xc_parse_tty(target + 3);
}

int xc_link_target_channel(const char *target)
{
        int slot = xc_link_target_slot(target);

        return slot >= 1 && slot < XC_HVC_TTYS ? slot : -EINVAL;
}

/* One line "devid slot" followed by "\n" or the end of the text. */
static int parse_line(const char **p, const char *end, int *devid, int *slot)
{
        const char *s = *p;

        *devid = xc_parse_small_uint(&s, end);
        if (*devid < 0 || s >= end || *s != ' ')
                return -EINVAL;
        s++;
        *slot = xc_parse_small_uint(&s, end);
        if (*slot < 0)
                return -EINVAL;
        if (s < end) {
                if (*s != '\n')
                        return -EINVAL;
                s++;
        }
        *p = s;
        return 0;
}

int xc_map_parse(struct xc_map *map, const char *text, size_t len)
{
        bool used[XC_HVC_SLOTS];
        struct xc_map next;
        const char *p = text;
        const char *end;
        int rank = 0;

        if (!map || (!text && len > 0))
                return -EINVAL;
        end = text + len;
        xc_map_init(&next);
        while (p < end) {
                int devid, slot;

                if (parse_line(&p, end, &devid, &slot) < 0)
                        return -EINVAL;
                if (!xc_devid_valid(devid))
                        return -EINVAL;
                if (slot < 1 || slot >= XC_HVC_SLOTS)
                        return -EINVAL;
                if (next.slot[devid] != -1)
                        return -EINVAL; /* duplicate devid */
                next.slot[devid] = slot;
                next.rank[devid] = rank++;
        }
        /* Catches two devids on one slot. */
        if (map_check(&next, used) < 0)
                return -EINVAL;
        *map = next;
        return 0;
}

int xc_map_format(const struct xc_map *map, char *buf, size_t size)
{
        bool used[XC_HVC_SLOTS];
        int devids[XC_DEVID_MAX], count;
        size_t len = 0;

        if (!map || (!buf && size > 0))
                return -EINVAL;
        if (map_check(map, used) < 0)
                return -EINVAL;
        count = in_rank_order(map, devids);
        for (int i = 0; i < count; i++) {
                int d = devids[i], n;

                if (len >= size)
                        return -ENOBUFS;
                n = snprintf(buf + len, size - len, "%d %d\n", d, map->slot[d]);
                if (n < 0)
                        return -EIO;
                if ((size_t)n >= size - len)
                        return -ENOBUFS;
                len += (size_t)n;
        }
        if (size == 0)
                return -ENOBUFS;
        buf[len] = '\0';
        return (int)len;
}
