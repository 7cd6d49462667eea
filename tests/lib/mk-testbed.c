/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mk-testbed: console testbeds for the shell tests, the bench and the
 * simulated guest (consoles.h writes them; the C tests link it directly).
 *
 *   mk-testbed [--hvc-ttys] SPEC...        a umockdev description on stdout
 *   mk-testbed --sysfs DIR SPEC...         create/update console-N in DIR
 *   mk-testbed --sysfs DIR --remove N...   remove console-N from DIR
 *
 * SPEC is N[:bound|:unbound][:state=S] (S: 0..8 or a name such as Closed),
 * e.g. "1 2 3:unbound 4:state=Closed". --hvc-ttys adds the tty devices
 * hvc0..hvc7 (major 229), which a guest has from boot whatever is behind them.
 * Exit 0, or 2 with one line on stderr for a bad argument, 1 when DIR
 * cannot be written.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consoles.h"

#define HVC_TTYS 8
#define HVC_MAJOR 229

static void describe_hvc_ttys(void)
{
        for (int i = 0; i < HVC_TTYS; i++)
                printf("P: /devices/virtual/tty/hvc%d\nN: hvc%d\nE: DEVNAME=/dev/hvc%d\n"
                       "E: MAJOR=%d\nE: MINOR=%d\nE: SUBSYSTEM=tty\n\n",
                       i, i, i, HVC_MAJOR, i);
}

static int usage(const char *why)
{
        fprintf(stderr,
                "mk-testbed: %s (usage: mk-testbed [--hvc-ttys | --sysfs DIR [--remove]] SPEC...)\n",
                why);
        return 2;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "sysfs", required_argument, NULL, 's' },
                { "remove", no_argument, NULL, 'r' },
                { "hvc-ttys", no_argument, NULL, 't' },
                {},
        };
        const char *sys = NULL;
        bool remove = false, ttys = false;
        int c;

        opterr = 0; /* one line of our own instead */
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (c == 's')
                        sys = optarg;
                else if (c == 'r')
                        remove = true;
                else if (c == 't')
                        ttys = true;
                else
                        return usage("unknown option");
        }
        if (remove && !sys)
                return usage("--remove needs --sysfs DIR");
        if (ttys && sys)
                return usage("--hvc-ttys is for umockdev descriptions only");

        for (int i = optind; i < argc; i++) {
                struct tb_console con;
                int r;

                if (tb_console_parse(argv[i], &con) < 0) {
                        fprintf(stderr,
                                "mk-testbed: bad console spec \"%s\" "
                                "(N[:bound|:unbound][:state=S])\n",
                                argv[i]);
                        return 2;
                }
                if (!sys) {
                        tb_console_describe(stdout, &con);
                        continue;
                }
                r = remove ? tb_console_remove(sys, con.devid) : tb_console_write(sys, &con);
                if (r < 0) {
                        fprintf(stderr, "mk-testbed: console-%d in %s: %s\n", con.devid, sys,
                                strerror(-r));
                        return 1;
                }
        }
        if (ttys)
                describe_hvc_ttys();
        return fflush(stdout) == 0 ? 0 : 1;
}
