/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Console testbeds: what a Xen guest kernel shows in sysfs for its xenbus
 * consoles console-N, written ONCE for every test, the bench and the
 * simulated guest. Two outputs of the same description: a umockdev device
 * description (umockdev-run -d FILE) and files in a sysfs tree (a live
 * umockdev testbed, $UMOCKDEV_DIR/sys, or a plain folder mounted over /sys).
 *
 * What is written, as the kernel has it (drivers/xen/xenbus/xenbus_probe.c):
 * /devices/console-N with SUBSYSTEM=xen and MODALIAS=xen:console in its
 * uevent, DRIVER=xenconsole once bound; the attributes nodename
 * ("device/console/N"), devtype ("console"), modalias ("xen:console") and
 * state (the xenbus state's name, e.g. "Connected"); the links subsystem,
 * driver (when bound) and the bus's devices/ and drivers/xenconsole/ entries.
 */
#ifndef XC_TEST_CONSOLES_H
#define XC_TEST_CONSOLES_H

#include <stdbool.h>
#include <stdio.h>

struct tb_console {
        int devid;  /* N of console-N: any number >= 0 (the kernel probes 1..9) */
        bool bound; /* bound to the xenconsole driver */
        int state;  /* xenbus state 0..8: 4 Connected, 6 Closed, ... */
};

/* console-DEVID, bound or not, in the default state for that. */
struct tb_console tb_console_make(int devid, bool bound);

/* "N[:bound|:unbound][:state=S]", S a number 0..8 or a name ("Closed").
 * Defaults: bound; state Connected when bound, Initialising when not.
 * Returns 0, or -EINVAL with nothing changed. */
int tb_console_parse(const char *spec, struct tb_console *c);

/* The kernel's name of a xenbus state ("Closed"), "Unknown" out of range. */
const char *tb_state_name(int state);

/* The umockdev description of one console (ends with an empty line). */
void tb_console_describe(FILE *out, const struct tb_console *c);

/* Create or update console-N in the sysfs tree SYS (e.g. $UMOCKDEV_DIR/sys).
 * Returns 0 or a negative errno. */
int tb_console_write(const char *sys, const struct tb_console *c);

/* Remove console-N from SYS (absent is fine). Returns 0 or a negative errno. */
int tb_console_remove(const char *sys, int devid);

#endif
