/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xen-channel-helper: the program udev runs for Xen consoles.
 *
 *   export  (IMPORT{program}) read the console's channel name from xenstore,
 *           validate it, work out its hvc tty and print udev properties
 *   link    (RUN) make /dev/xen-channel/<name> from those properties
 *   relink  (RUN) the same for properties udev stored at an earlier event,
 *           the tty checked first (udevadm trigger, a udev restart)
 *   unlink  (RUN on unbind/remove) remove it again
 *   sync    do the whole job without udev
 *   watch   sync whenever xenstore shows a console change no uevent reports
 *
 * It runs at every console uevent, at boot among many others: nothing is
 * done before it is needed and no xenstore request is made but export's one.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "log.h"
#include "udev-env.h"

extern char **environ;

/* Longer than udev's own event timeout makes no sense. */
#define TIMEOUT_MS_MAX 600000

struct options {
        const char *dev_dir;
        const char *run_dir;
        int timeout_ms; /* 0: the library's default */
        int verbose;
        bool quiet;
        const char *command;
        const char *device;
};

static void usage(FILE *out)
{
        fputs("Usage: xen-channel-helper [OPTIONS] export|link|relink|unlink [DEVICE]\n"
              "       xen-channel-helper [OPTIONS] sync|watch\n"
              "\n"
              "Give Xen PV channels a link /dev/xen-channel/<name> (run by udev).\n"
              "\n"
              "Commands:\n"
              "  export   print the udev properties of the channel on DEVICE\n"
              "  link     link the channel described by the udev environment\n"
              "  relink   the same, its tty checked first (properties udev stored)\n"
              "  unlink   remove that link again\n"
              "  sync     make /dev/xen-channel match the bound consoles\n"
              "  watch    sync after every change under xenstore device/console (a service)\n"
              "\n"
              "DEVICE: console-N, /sys/devices/console-N, /devices/console-N or N\n"
              "        (default: $DEVPATH)\n"
              "\n"
              "Options:\n"
              "  --dev-dir DIR   device folder (default /dev)\n"
              "  --run-dir DIR   state folder (default /run/xen-channel)\n"
              "  --timeout MS    bound of the xenstore lookup (default 2000)\n"
              "  -v, --verbose   more messages, also on stderr (repeat for debug)\n"
              "  -q, --quiet     errors only\n"
              "  -h, --help      this text\n"
              "  --version       the version\n"
              "\n"
              "Exit: 0 done or nothing to do, 1 failure, 2 usage, 3 invalid channel name,\n"
              "4 xenstore error or timeout, 5 tty unknown, 6 unsafe device folder,\n"
              "7 name taken by a lower devid. See xen-channel-helper(8).\n",
              out);
}

static int parse_timeout(const char *s)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v <= 0 || v > TIMEOUT_MS_MAX)
                return -EINVAL;
        return (int)v;
}

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, struct options *o)
{
        enum { OPT_DEV_DIR = 0x100, OPT_RUN_DIR, OPT_TIMEOUT, OPT_VERSION };
        static const struct option longopts[] = {
                { "dev-dir", required_argument, NULL, OPT_DEV_DIR },
                { "run-dir", required_argument, NULL, OPT_RUN_DIR },
                { "timeout", required_argument, NULL, OPT_TIMEOUT },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "vqh", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_DEV_DIR:
                        o->dev_dir = optarg;
                        break;
                case OPT_RUN_DIR:
                        o->run_dir = optarg;
                        break;
                case OPT_TIMEOUT:
                        o->timeout_ms = parse_timeout(optarg);
                        if (o->timeout_ms < 0) {
                                fprintf(stderr,
                                        "xen-channel-helper: --timeout wants "
                                        "milliseconds, 1..%d, not \"%s\"\n",
                                        TIMEOUT_MS_MAX, optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'v':
                        o->verbose++;
                        break;
                case 'q':
                        o->quiet = true;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_DONE;
                case OPT_VERSION:
                        puts("xen-channel-helper " PACKAGE_VERSION);
                        return EXIT_DONE;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return EXIT_USAGE;
        }
        o->command = argv[optind++];
        if (optind < argc)
                o->device = argv[optind++];
        if (optind < argc) {
                fprintf(stderr, "xen-channel-helper: unexpected argument \"%s\"\n",
                        argv[optind]);
                return EXIT_USAGE;
        }
        return -1;
}

static void setup_log(const struct options *o, const struct xen_channel_ctx *ctx)
{
        /* $XEN_CHANNEL_LOG as the library parsed it (secure_getenv, once),
         * else notice; the options win. An invalid value silences nothing. */
        int env = xc_ctx_log_env(ctx);
        int prio = env >= 0 ? env : LOG_NOTICE;

        if (o->verbose)
                prio = o->verbose > 1 ? LOG_DEBUG : (prio > LOG_INFO ? prio : LOG_INFO);
        if (o->quiet)
                prio = LOG_ERR;
        log_setup(prio, o->verbose > 0);
        if (env == -EINVAL)
                log_warning("XEN_CHANNEL_LOG names no log priority (err, warning, notice, "
                            "info, debug or 0..7); ignored");
}

static int configure_ctx(const struct options *o, struct xen_channel_ctx *ctx)
{
        xen_channel_ctx_set_log_fn(ctx, log_from_lib, NULL);
        xen_channel_ctx_set_log_priority(ctx, log_max_priority());
        if (o->dev_dir && xen_channel_ctx_set_dev_dir(ctx, o->dev_dir) < 0) {
                log_usage("--dev-dir wants an absolute path, not \"%s\"", o->dev_dir);
                return EXIT_USAGE;
        }
        if (o->run_dir && xen_channel_ctx_set_run_dir(ctx, o->run_dir) < 0) {
                log_usage("--run-dir wants an absolute path, not \"%s\"", o->run_dir);
                return EXIT_USAGE;
        }
        if (o->timeout_ms > 0)
                xc_ctx_set_timeout_ms(ctx, o->timeout_ms);
        return EXIT_DONE;
}

/* The console: the DEVICE argument, else $DEVPATH. Returns devid or -exit. */
static int device_devid(const struct options *o, const struct udev_env *env)
{
        const char *ref = o->device ? o->device : env->devpath;
        int devid;

        if (!ref) {
                log_usage("%s: no DEVICE given and DEVPATH is not set", o->command);
                return -EXIT_USAGE;
        }
        devid = xc_parse_devid(ref);
        if (devid == -ERANGE) {
                log_usage("%s: \"%s\": the kernel probes only console-%d..console-%d",
                          o->command, ref, XC_DEVID_MIN, XC_DEVID_MAX);
                return -EXIT_USAGE;
        }
        if (devid < 0) {
                log_usage("%s: \"%s\" is not a Xen console (console-N, "
                          "/devices/console-N or N)",
                          o->command, ref);
                return -EXIT_USAGE;
        }
        return devid;
}

static int run(const struct options *o, struct xen_channel_ctx *ctx)
{
        struct udev_env env;
        bool is_watch = strcmp(o->command, "watch") == 0;
        bool is_sync = is_watch || strcmp(o->command, "sync") == 0;
        bool is_relink = strcmp(o->command, "relink") == 0;
        int devid = 0, r;

        if (!is_sync && !is_relink && strcmp(o->command, "export") != 0 &&
            strcmp(o->command, "link") != 0 && strcmp(o->command, "unlink") != 0) {
                log_usage(
                        "unknown command \"%s\" (export, link, relink, unlink, sync or watch)",
                        o->command);
                return EXIT_USAGE;
        }
        if (is_sync && o->device) {
                log_usage("%s takes no DEVICE", o->command);
                return EXIT_USAGE;
        }
        udev_env_parse(&env, environ);
        if (!is_sync) {
                devid = device_devid(o, &env);
                if (devid < 0)
                        return -devid;
        }
        r = configure_ctx(o, ctx);
        if (r != EXIT_DONE)
                return r;

        if (is_watch)
                r = cmd_watch(ctx);
        else if (is_sync)
                r = cmd_sync(ctx);
        else if (strcmp(o->command, "export") == 0)
                r = cmd_export(ctx, devid);
        else if (is_relink || strcmp(o->command, "link") == 0)
                r = cmd_link(ctx, devid, &env, is_relink);
        else
                r = cmd_unlink(ctx, devid, &env);
        return r;
}

int main(int argc, char **argv)
{
        struct xen_channel_ctx *ctx;
        struct options o = {};
        int r = parse_args(argc, argv, &o);

        if (r >= 0)
                return r;
        r = xen_channel_ctx_new(&ctx);
        if (r < 0) {
                fprintf(stderr, "xen-channel-helper: cannot create the library context: %s\n",
                        strerror(-r));
                return EXIT_FAILED;
        }
        setup_log(&o, ctx);
        r = run(&o, ctx);
        xen_channel_ctx_unref(ctx);
        closelog();
        return r;
}
