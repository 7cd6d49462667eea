/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * exec-bench: time a sequence of program executions, the way udev runs them.
 *
 *   exec-bench RUNS -- CMD1 ARGS... [:: CMD2 ARGS...]...
 *
 * One "event" runs every command of the sequence once, one after the other,
 * each with fork+exec+wait (what udevd does for IMPORT{program} and RUN).
 * Leading NAME=VALUE words of a command go into its environment (set in
 * the child, as udevd passes each event's properties), not through env(1).
 * A command whose first word is "!" runs untimed (e.g. the add that gives
 * a timed remove something to remove).
 * Runs RUNS events after RUNS/10 warm-up events and prints, in microseconds
 * per event: "median p10 p90 mean". A command that fails stops the bench:
 * a failing helper would be timed doing nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 8

static double now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int run_one(char **argv)
{
        int status;
        pid_t pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                /* What a command prints is not ours to report. */
                int null = open("/dev/null", O_WRONLY);

                if (null >= 0)
                        dup2(null, STDOUT_FILENO);
                while (argv[0] && strchr(argv[0], '=') && argv[0][0] != '/')
                        putenv(*argv++);
                execvp(argv[0], argv);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "exec-bench: %s failed (status 0x%x)\n", argv[0], status);
                return -ECHILD;
        }
        return 0;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

/* Split argv at "::" into up to MAX_CMDS NULL-terminated command vectors. */
static int split_cmds(int argc, char **argv, char **cmds[MAX_CMDS])
{
        int n = 0;

        cmds[n++] = argv;
        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "::") != 0)
                        continue;
                if (n == MAX_CMDS)
                        return -1;
                argv[i] = NULL;
                cmds[n++] = &argv[i + 1];
        }
        return n;
}

int main(int argc, char **argv)
{
        char **cmds[MAX_CMDS];
        int runs, ncmds;
        double *t, sum = 0;

        if (argc < 4 || strcmp(argv[2], "--") != 0 || (runs = atoi(argv[1])) < 1) {
                fprintf(stderr, "usage: exec-bench RUNS -- CMD ARGS... [:: CMD ARGS...]\n");
                return 2;
        }
        ncmds = split_cmds(argc - 3, argv + 3, cmds);
        t = calloc(runs, sizeof(*t));
        if (ncmds < 0 || !t)
                return 2;
        for (int i = -runs / 10; i < runs; i++) {
                double spent = 0;

                for (int c = 0; c < ncmds; c++) {
                        bool timed = strcmp(cmds[c][0], "!") != 0;
                        double t0 = now_us();

                        if (run_one(timed ? cmds[c] : cmds[c] + 1) < 0)
                                return 1;
                        if (timed)
                                spent += now_us() - t0;
                }
                if (i >= 0)
                        t[i] = spent;
        }
        qsort(t, runs, sizeof(*t), cmp_double);
        for (int i = 0; i < runs; i++)
                sum += t[i];
        printf("%.1f %.1f %.1f %.1f\n", t[runs / 2], t[runs / 10], t[runs * 9 / 10],
               sum / runs);
        free(t);
        return 0;
}
