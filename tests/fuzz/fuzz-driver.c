/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Standalone driver for the fuzz targets, for compilers without libFuzzer
 * (gcc): run every file of the seed corpus folders/files given as
 * arguments, then pseudo-random inputs from a fixed seed, so that a failure
 * is reproducible. $FUZZ_ITERATIONS overrides the number of random inputs
 * (default 5000), $FUZZ_SEED the seed.
 *
 * Random inputs are a mix of raw bytes, bytes from a small alphabet that the
 * parsers care about, and mutations (flip, insert, delete, splice) of the
 * corpus entries, which reach deeper than raw bytes do.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define FUZZ_MAX_INPUT 4096
#define MAX_SEEDS 1024

struct seed {
        uint8_t *data;
        size_t size;
};

static struct seed seeds[MAX_SEEDS];
static size_t n_seeds;
static uint64_t rng_state;

static uint64_t rng(void)
{
        /* xorshift64*: tiny, deterministic, good enough to pick bytes */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * 2685821657736338717ull;
}

static int run_file(const char *path)
{
        uint8_t *buf = malloc(FUZZ_MAX_INPUT);
        FILE *f = fopen(path, "rb");
        size_t n;

        if (!buf || !f) {
                fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
                free(buf);
                if (f)
                        fclose(f);
                return -1;
        }
        n = fread(buf, 1, FUZZ_MAX_INPUT, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        if (n_seeds < MAX_SEEDS) {
                seeds[n_seeds].data = buf;
                seeds[n_seeds].size = n;
                n_seeds++;
        } else {
                free(buf);
        }
        return 0;
}

static int run_path(const char *path)
{
        struct dirent **entries;
        struct stat st;
        int n, r = 0;

        if (stat(path, &st) < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -1;
        }
        if (!S_ISDIR(st.st_mode))
                return run_file(path);
        n = scandir(path, &entries, NULL, alphasort);
        if (n < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -1;
        }
        for (int i = 0; i < n; i++) {
                char full[4096];

                if (entries[i]->d_name[0] != '.') {
                        snprintf(full, sizeof(full), "%s/%s", path, entries[i]->d_name);
                        if (run_file(full) < 0)
                                r = -1;
                }
                free(entries[i]);
        }
        free(entries);
        return r;
}

static size_t make_input(uint8_t *buf)
{
        static const char alphabet[] = "019aZ._-/ \n\t\0\xff"
                                       "console-devices/sys";
        size_t n = rng() % 300;
        unsigned kind = rng() % 4;

        if (kind >= 2 && n_seeds > 0) {
                const struct seed *s = &seeds[rng() % n_seeds];
                int edits = 1 + rng() % 4;

                n = s->size;
                memcpy(buf, s->data, n);
                while (edits-- > 0) {
                        size_t pos = n ? rng() % n : 0;

                        switch (rng() % 4) {
                        case 0: /* flip */
                                if (n)
                                        buf[pos] ^= (uint8_t)(1u << (rng() % 8));
                                break;
                        case 1: /* insert */
                                if (n < FUZZ_MAX_INPUT) {
                                        memmove(buf + pos + 1, buf + pos, n - pos);
                                        buf[pos] = (uint8_t)
                                                alphabet[rng() % (sizeof(alphabet) - 1)];
                                        n++;
                                }
                                break;
                        case 2: /* delete */
                                if (n) {
                                        memmove(buf + pos, buf + pos + 1, n - pos - 1);
                                        n--;
                                }
                                break;
                        default: { /* splice the tail of another seed */
                                const struct seed *o = &seeds[rng() % n_seeds];
                                size_t take = o->size ? rng() % o->size : 0;

                                if (pos + take > FUZZ_MAX_INPUT)
                                        take = FUZZ_MAX_INPUT - pos;
                                memcpy(buf + pos, o->data + o->size - take, take);
                                n = pos + take;
                                break;
                        }
                        }
                }
                return n;
        }
        for (size_t i = 0; i < n; i++)
                buf[i] = kind == 0 ? (uint8_t)rng()
                                   : (uint8_t)alphabet[rng() % (sizeof(alphabet) - 1)];
        return n;
}

int main(int argc, char **argv)
{
        const char *iter_env = getenv("FUZZ_ITERATIONS");
        const char *seed_env = getenv("FUZZ_SEED");
        long iterations = iter_env ? strtol(iter_env, NULL, 10) : 5000;
        uint8_t *buf = malloc(FUZZ_MAX_INPUT);
        int r = 0;

        if (!buf)
                return 1;
        rng_state = seed_env ? strtoull(seed_env, NULL, 0) : 0x5eed5eedull;
        if (rng_state == 0)
                rng_state = 1;
        for (int i = 1; i < argc; i++)
                if (run_path(argv[i]) < 0)
                        r = 1;
        for (long i = 0; i < iterations; i++)
                LLVMFuzzerTestOneInput(buf, make_input(buf));
        printf("%s: %zu corpus inputs, %ld random inputs, no invariant broken\n", argv[0],
               n_seeds, iterations);
        for (size_t i = 0; i < n_seeds; i++)
                free(seeds[i].data);
        free(buf);
        return r;
}
