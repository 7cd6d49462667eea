/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Wake-up latency of an agent waiting for its channel: from the moment the
 * link is created to the moment the waiter returns, median and p99.
 *
 *   xen_channel_wait (inotify)   a thread blocked in xen_channel_wait()
 *   polling loop, 1 s period     the baseline agents write by hand:
 *                                while (access(link) < 0) sleep(1);
 *
 * Each polling waiter has its own channel name and the link is created at
 * a random moment of its period, so the baseline runs side by side and
 * takes about 2 s whatever the count.
 *
 * Usage: wake-latency [--smoke] [-n RUNS] [-p POLL_RUNS]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxenchannel.h>

static char dev_dir[] = "/tmp/xc-wake-XXXXXX";

static double now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void link_path(char *buf, size_t size, const char *name)
{
        snprintf(buf, size, "%s/xen-channel/%s", dev_dir, name);
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

static void stats(double *v, int n, double *median, double *p99)
{
        qsort(v, (size_t)n, sizeof(*v), cmp_double);
        *median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        *p99 = v[(int)(0.99 * (n - 1) + 0.5)];
}

/* ---- inotify: one waiter at a time ------------------------------------- */

struct waiter {
        struct xen_channel_ctx *ctx;
        const char *name;
        double returned;
        int r;
};

static void *wait_thread(void *arg)
{
        struct waiter *w = arg;

        w->r = xen_channel_wait(w->ctx, w->name, 10000);
        w->returned = now_us();
        return NULL;
}

static int bench_inotify(struct xen_channel_ctx *ctx, double *lat, int runs)
{
        char path[256];

        link_path(path, sizeof(path), "org.example.bench.0");
        for (int i = 0; i < runs; i++) {
                struct waiter w = { .ctx = ctx, .name = "org.example.bench.0" };
                pthread_t t;
                double created;

                if (pthread_create(&t, NULL, wait_thread, &w))
                        return -1;
                usleep(2000); /* let it block in the wait */
                created = now_us();
                if (symlink("../hvc1", path) < 0)
                        return -1;
                pthread_join(t, NULL);
                if (w.r < 0)
                        return -1;
                lat[i] = w.returned - created;
                unlink(path);
        }
        return 0;
}

/* ---- polling baseline: many waiters side by side ----------------------- */

struct poller {
        char path[256];
        double offset_us; /* when its link is created, from the start */
        double created;
        double returned;
        pthread_t thread;
};

static void *poll_thread(void *arg)
{
        struct poller *p = arg;

        while (access(p->path, F_OK) < 0)
                sleep(1);
        p->returned = now_us();
        return NULL;
}

static int by_offset(const void *a, const void *b)
{
        double x = (*(struct poller *const *)a)->offset_us;
        double y = (*(struct poller *const *)b)->offset_us;

        return x < y ? -1 : x > y;
}

static int bench_polling(double *lat, int runs)
{
        struct poller *p = calloc((size_t)runs, sizeof(*p));
        struct poller **order = calloc((size_t)runs, sizeof(*order));
        double start;

        if (!p || !order)
                return -1;
        for (int i = 0; i < runs; i++) {
                char name[64];

                snprintf(name, sizeof(name), "org.example.poll.%d", i);
                link_path(p[i].path, sizeof(p[i].path), name);
                /* uniform over the poller's 1 s period */
                p[i].offset_us = 1000.0 + (double)(random() % 1000000);
                order[i] = &p[i];
        }
        qsort(order, (size_t)runs, sizeof(*order), by_offset);
        start = now_us();
        for (int i = 0; i < runs; i++)
                if (pthread_create(&p[i].thread, NULL, poll_thread, &p[i]))
                        return -1;
        for (int i = 0; i < runs; i++) {
                double wait = start + order[i]->offset_us - now_us();

                if (wait > 0)
                        usleep((useconds_t)wait);
                order[i]->created = now_us();
                if (symlink("../hvc1", order[i]->path) < 0)
                        return -1;
        }
        for (int i = 0; i < runs; i++) {
                pthread_join(p[i].thread, NULL);
                lat[i] = p[i].returned - p[i].created;
                unlink(p[i].path);
        }
        free(order);
        free(p);
        return 0;
}

int main(int argc, char **argv)
{
        int runs = 1000, poll_runs = 200;
        double *lat, *plat, med, p99, pmed, pp99;
        struct xen_channel_ctx *ctx;
        char path[256];

        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--smoke")) {
                        runs = 100;
                        poll_runs = 50;
                } else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
                        runs = atoi(argv[++i]);
                } else if (!strcmp(argv[i], "-p") && i + 1 < argc) {
                        poll_runs = atoi(argv[++i]);
                } else {
                        fprintf(stderr, "usage: %s [--smoke] [-n RUNS] [-p POLL_RUNS]\n",
                                argv[0]);
                        return 2;
                }
        }
        if (runs < 1 || poll_runs < 1)
                return 2;
        srandom((unsigned)now_us());
        if (!mkdtemp(dev_dir) || xen_channel_ctx_new(&ctx) < 0 ||
            xen_channel_ctx_set_dev_dir(ctx, dev_dir) < 0) {
                perror("setup");
                return 1;
        }
        /* the links must resolve: the baseline's access() follows them */
        snprintf(path, sizeof(path), "%s/hvc1", dev_dir);
        close(creat(path, 0644));
        snprintf(path, sizeof(path), "%s/xen-channel", dev_dir);
        mkdir(path, 0755);
        lat = calloc((size_t)runs, sizeof(*lat));
        plat = calloc((size_t)poll_runs, sizeof(*plat));
        if (!lat || !plat || bench_inotify(ctx, lat, runs) < 0 ||
            bench_polling(plat, poll_runs) < 0) {
                perror("bench");
                return 1;
        }
        stats(lat, runs, &med, &p99);
        stats(plat, poll_runs, &pmed, &pp99);
        printf("agent wake-up latency: link created -> waiter returns\n");
        printf("  %-32s %8s %12s %12s\n", "", "runs", "median", "p99");
        printf("  %-32s %8d %9.3f ms %9.3f ms\n", "xen_channel_wait (inotify)", runs,
               med / 1000, p99 / 1000);
        printf("  %-32s %8d %9.3f ms %9.3f ms\n", "polling loop, 1 s period", poll_runs,
               pmed / 1000, pp99 / 1000);
        printf("  inotify wakes %.0fx sooner at the median, %.0fx at p99\n", pmed / med,
               pp99 / p99);
        rmdir(path);
        snprintf(path, sizeof(path), "%s/hvc1", dev_dir);
        unlink(path);
        rmdir(dev_dir);
        xen_channel_ctx_unref(ctx);
        free(lat);
        free(plat);
        return 0;
}
