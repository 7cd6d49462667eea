/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Escaping of channel names for the log and for systemd unit names. */
#ifndef XEN_CHANNEL_HELPER_ESCAPE_H
#define XEN_CHANNEL_HELPER_ESCAPE_H

#include <stddef.h>

/*
 * For a log line: the first len bytes of s (NULs included) as C-like text
 * with no control characters, quotes or non-ASCII bytes left raw ("\n",
 * "\x01", "\""). Output longer than size - 1 is cut at a whole escape and
 * ends in "...". Returns buf.
 */
char *escape_for_log(const char *s, size_t len, char *buf, size_t size);

/*
 * As systemd escapes one path component (systemd-escape, unit_name_escape):
 * keeps [A-Za-z0-9:_.] (but a leading "."), turns every other byte into
 * "\xHH"; "-" becomes "\x2d". Returns the escaped length, or -ENOSPC when it
 * does not fit into size bytes with its NUL.
 */
int escape_unit(const char *s, char *buf, size_t size);

#endif
