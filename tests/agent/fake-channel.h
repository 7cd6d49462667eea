/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fake channels for the agent tests: a temporary device folder in which
 * hvcN is a symlink to a pseudo-terminal slave, so that the channel link
 * xen-channel/<name> -> ../hvcN leads to a real tty, as on a guest. The pty
 * and the links are tests/lib/pty-channel.c's, which the Python tests share.
 */
#ifndef FAKE_CHANNEL_H
#define FAKE_CHANNEL_H

#include <libxenchannel.h>

struct fake_dev {
        char dev_dir[64]; /* /tmp/xc-agent-XXXXXX */
        char run_dir[96]; /* <dev_dir>/run (not under it in real life) */
        struct xen_channel_ctx *ctx;
};

struct fake_pty {
        int master;
        int slave;     /* kept open so that the master sees no HUP */
        char path[64]; /* /dev/pts/N */
};

/* mkdtemp + ctx with dev_dir/run_dir set there. Aborts on failure. */
void fake_dev_init(struct fake_dev *d);
/* rm -rf the folder, unref ctx. */
void fake_dev_cleanup(struct fake_dev *d);
/* cmocka fixtures: a fresh fake device folder per test. */
int fake_dev_setup(void **state);
int fake_dev_teardown(void **state);
/* Make the xen-channel folder (mkdir -p). */
void fake_dev_mkdir(struct fake_dev *d);
/* openpty; the slave fd is closed (the library opens its own). */
void fake_pty_open(struct fake_pty *p);
void fake_pty_close(struct fake_pty *p);
/* <dev_dir>/hvc<slot> -> target (replacing). */
void fake_dev_hvc(struct fake_dev *d, int slot, const char *target);
/* <dev_dir>/xen-channel/<name> -> target, atomically (temp + rename). */
void fake_dev_link(struct fake_dev *d, const char *name, const char *target);
void fake_dev_unlink(struct fake_dev *d, const char *name);
/* Milliseconds on CLOCK_MONOTONIC. */
long long fake_now_ms(void);

#endif
