/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the component tests: a scratch tree for --dev-dir/--run-dir and
 * xen consoles in the umockdev testbed ($UMOCKDEV_DIR/sys), edited directly
 * through tests/lib/consoles.h. umockdev's preload redirects /sys reads, but
 * the files live at their real paths under $UMOCKDEV_DIR, so plain file calls
 * edit the testbed.
 */
#ifndef XEN_CHANNEL_TESTBED_H
#define XEN_CHANNEL_TESTBED_H

#include <stdbool.h>

#include "consoles.h"

/* Create console-N (N may be any number, e.g. 0 or 12), bound or not. */
void tb_console_add(int n, bool bound);
void tb_console_bind(int n, bool bound);
/* Create or update a console as described (e.g. .state = 6, Closed). */
void tb_console_set(const struct tb_console *c);
void tb_console_del(int n);
/* Remove every console-* from the testbed. */
void tb_reset(void);

/* mkdtemp a scratch folder with dev/ inside; returns it (static buffer). */
const char *tb_scratch_new(void);
/* rm -rf */
void tb_rm_rf(const char *path);
/* Count every entry below path (recursive, not following symlinks). */
int tb_count_tree(const char *path);
/* readlink into a static buffer, NULL if not a link. */
const char *tb_readlink(const char *path);

#endif
