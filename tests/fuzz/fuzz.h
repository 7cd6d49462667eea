/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the fuzz targets and the standalone driver. */
#ifndef XEN_CHANNEL_FUZZ_H
#define XEN_CHANNEL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant that must hold for every input: abort so the fuzzer keeps it. */
#define FUZZ_ASSERT(cond)                                                                    \
        do {                                                                                 \
                if (!(cond)) {                                                               \
                        fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
                                #cond);                                                      \
                        abort();                                                             \
                }                                                                            \
        } while (0)

#endif
