/*
 * Live sample of the differential test: random rule sets on harmless syscalls (getppid and
 * friends, which ignore their arguments), every comparison operator with boundary data, ERRNO
 * and LOG actions, built with libscmpd. A forked child simulates its program on random and
 * boundary inputs, loads it into the kernel, makes each call for real, and checks that the
 * kernel decided what the simulator said. Fixed seed; SCMPD_DIFF_LIVE_ITERATIONS for more.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/seccomp.h>

#include "child.h"
#include "scmpd/bpf.h"
#include "scmpd/filter.h"

#define SKIP 77
#define INPUTS 200

static uint64_t rng;

static uint64_t rnd(void)
{
        uint64_t z = (rng += UINT64_C(0x9e3779b97f4a7c15));
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

static const int harmless[] = { SYS_getppid, SYS_getuid,  SYS_getgid,     SYS_geteuid,
                                SYS_getegid, SYS_getpgrp, SYS_sched_yield };

static const uint64_t boundary[] = { 0,
                                     1,
                                     2,
                                     0x7fffffff,
                                     0x80000000,
                                     0xffffffff,
                                     UINT64_C(0x100000000),
                                     UINT64_C(0x100000001),
                                     UINT64_C(0x8000000000000000),
                                     UINT64_C(0xffffffffffffffff) };

#define NB (sizeof(boundary) / sizeof(boundary[0]))
#define NH (sizeof(harmless) / sizeof(harmless[0]))

struct input {
        int nr;
        uint64_t args[6];
        uint32_t expect;
};

static int one_case(void *arg)
{
        struct scmpd_filter *f = NULL;
        struct input in[INPUTS];
        uint64_t data[64];
        size_t n_data = 0;
        void *prog = NULL;
        size_t len = 0;
        unsigned bad = 0;

        if (scmpd_filter_new(SCMPD_ACT_ALLOW, &f) < 0)
                return 100;
        for (unsigned i = 0, n = 1 + rnd() % 12; i < n; i++) {
                struct scmpd_arg_cmp c[3];
                unsigned nc = rnd() % 4;
                uint32_t action = rnd() % 5 ? SCMPD_ACT_ERRNO(1 + rnd() % 200) : SCMPD_ACT_LOG;
                for (unsigned j = 0; j < nc; j++) {
                        c[j].arg = j * 2 + rnd() % 2;
                        c[j].op = (enum scmpd_cmp_op)(1 + rnd() % 7);
                        c[j].datum_a = rnd() % 3 ? boundary[rnd() % NB] : rnd();
                        c[j].datum_b = rnd() % 2 ? c[j].datum_a & rnd() : boundary[rnd() % NB];
                        if (n_data < 62) {
                                data[n_data++] = c[j].datum_a;
                                data[n_data++] = c[j].datum_b;
                        }
                }
                /* Refusals (overlaps) are part of the model; the kernel sees what was kept. */
                (void)scmpd_filter_rule_add(f, action, harmless[rnd() % NH], 0, nc, c);
        }
        if (scmpd_filter_export_bpf_mem(f, &prog, &len) < 0)
                return 101;
        for (size_t i = 0; i < INPUTS; i++) {
                struct seccomp_data d = { .arch = AUDIT_ARCH_X86_64 };
                in[i].nr = harmless[rnd() % NH];
                for (int j = 0; j < 6; j++) {
                        uint64_t v =
                                n_data && rnd() % 2 ? data[rnd() % n_data] : boundary[rnd() % NB];
                        if (rnd() % 4 == 0)
                                v += rnd() % 3 - 1;
                        in[i].args[j] = v;
                }
                d.nr = in[i].nr;
                memcpy(d.args, in[i].args, sizeof(d.args));
                if (scmpd_bpf_run(prog, len, &d, &in[i].expect, NULL) < 0)
                        return 102;
        }
        if (scmpd_filter_load(f) < 0)
                return 103;
        for (size_t i = 0; i < INPUTS; i++) {
                long r;
                uint32_t got;
                errno = 0;
                r = syscall(in[i].nr, in[i].args[0], in[i].args[1], in[i].args[2], in[i].args[3],
                            in[i].args[4], in[i].args[5]);
                got = r == -1 && errno > 0 ? SCMPD_ACT_ERRNO(errno) : SCMPD_ACT_ALLOW;
                uint32_t want = in[i].expect == SCMPD_ACT_LOG ? SCMPD_ACT_ALLOW : in[i].expect;
                if (got != want) {
                        fprintf(stderr,
                                "nr %d args {%#" PRIx64 " %#" PRIx64 " %#" PRIx64 " %#" PRIx64
                                " %#" PRIx64 " %#" PRIx64 "}: kernel %#x, simulator %#x\n",
                                in[i].nr, in[i].args[0], in[i].args[1], in[i].args[2],
                                in[i].args[3], in[i].args[4], in[i].args[5], got, want);
                        bad++;
                }
        }
        scmpd_filter_free(f);
        free(prog);
        return bad > 99 ? 99 : (int)bad;
}

int main(void)
{
        unsigned long iterations = 60, failed = 0;
        const char *e = getenv("SCMPD_DIFF_LIVE_ITERATIONS");

        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
                return SKIP;
        if (e)
                iterations = strtoul(e, NULL, 0);
        for (unsigned long i = 0; i < iterations; i++) {
                int status;
                pid_t pid;

                rng = UINT64_C(424242) + i;
                pid = child_spawn(one_case, NULL);
                if (pid < 0) {
                        fprintf(stderr, "fork: %s\n", strerror((int)-pid));
                        return 1;
                }
                if (child_reap(pid, 10000, &status) < 0 || !child_exited_with(status, 0)) {
                        fprintf(stderr, "case %lu: %s\n", i, child_status_str(status));
                        failed++;
                }
        }
        printf("%lu filters loaded, %lu disagreed with the simulator\n", iterations, failed);
        return failed ? 1 : 0;
}
