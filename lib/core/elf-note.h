/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ELF dlopen metadata (the UAPI group's format): a library loaded with
 * dlopen() is invisible to ldd and to package tools that read DT_NEEDED,
 * so the binary names it in a note of its own: section .note.dlopen, owner
 * "FDO", type 0x407c0c0a, descriptor a NUL-terminated JSON array of
 * {"feature", "description", "priority", "soname": [...]} objects.
 *
 * An ELF note is three 32-bit words (name size, descriptor size, type),
 * then the owner name and the descriptor, each padded to 4 bytes. The
 * assembler gives a section named .note.* the type SHT_NOTE.
 */
#ifndef XC_ELF_NOTE_H
#define XC_ELF_NOTE_H

#include <stdint.h>

#define XC_ELF_NOTE_DLOPEN_TYPE 0x407c0c0aU
#define XC_ELF_NOTE_PAD4(n) (((n) + 3) & ~(size_t)3)

/* XC_ELF_NOTE_DLOPEN(ident, "[{...}]"): one note holding json. */
#define XC_ELF_NOTE_DLOPEN(ident, json)                                        \
        static const struct {                                                  \
                uint32_t namesz, descsz, type;                                 \
                char name[4];                                                  \
                char desc[XC_ELF_NOTE_PAD4(sizeof(json))];                     \
        } ident __attribute__((used, aligned(4), section(".note.dlopen"))) = { \
                .namesz = sizeof("FDO"),                                       \
                .descsz = sizeof(json),                                        \
                .type = XC_ELF_NOTE_DLOPEN_TYPE,                               \
                .name = "FDO",                                                 \
                .desc = json,                                                  \
        }

#endif
