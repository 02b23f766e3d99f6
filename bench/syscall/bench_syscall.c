/*
 * Syscall overhead benchmark: what a loaded filter adds to a cheap allowed syscall.
 *
 * A profile is compiled the way bench-profile does it (Docker on amd64: host x86_64, Docker's
 * default capabilities, kernel 6.18) by libscmpd and by Debian's libseccomp with runc's rules
 * (tests/bpf/profile_ref.c) at optimize levels 1 and 2. For each variant, and for no filter at
 * all, a forked child pinned to one CPU loads the program with seccomp(2) and times two loops:
 *
 *   getppid()                 allowed whatever its arguments: the kernel's action cache (5.11+)
 *                             decides it without running the filter, if the program lets it;
 *   personality(0xffffffff)   allowed only for some argument values (a query that changes
 *                             nothing), so the filter runs on every call.
 *
 * Each loop runs in batches of BATCH_CALLS calls and keeps the fastest batch's mean cost per call
 * (preemptions only ever slow a batch down). Variants are interleaved round by round so that
 * drift on a noisy machine hits them alike; each figure is the median over rounds.
 *
 * Usage: bench-syscall PROFILE [ROUNDS] [CALLS] [CPU]
 * Prints one line per variant: variant=NAME length=N getppid_ns=X personality_ns=Y
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "profile_ref.h"
#include "scmpd/arch.h"
#include "scmpd/filter.h"
#include "scmpd/profile.h"

#define ELEMENTS(x) (sizeof(x) / sizeof((x)[0]))
#define WARMUP_CALLS 2000
#define BATCH_CALLS 500

static const char *const docker_caps[] = {
        "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
        "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
        "CAP_KILL",    "CAP_AUDIT_WRITE",
};

struct variant {
        const char *name;
        int kind; /* 0 none, 1 ours, 2 libseccomp */
        unsigned optimize;
        struct sock_filter *prog;
        size_t len;
        double *getppid_ns, *personality_ns;
};

static double now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static int ours_build(const struct scmpd_profile *p, const struct scmpd_profile_target *t,
                      struct sock_filter **ret_prog, size_t *ret_len)
{
        struct scmpd_filter *f = NULL;
        void *insns = NULL;
        int r = scmpd_profile_compile(p, t, NULL, NULL, &f, NULL);

        if (r < 0)
                return r;
        r = scmpd_filter_export_bpf_mem(f, &insns, ret_len);
        scmpd_filter_free(f);
        if (r < 0)
                return r;
        *ret_prog = insns;
        return 0;
}

/*
 * Mean cost per call of the fastest batch of BATCH_CALLS among `calls`: on a busy machine a batch
 * that a preemption or an interrupt hit is slower, never faster, so the fastest batch is the
 * cost of the syscall itself.
 */
static double fastest_batch(long nr, unsigned long arg, unsigned long calls)
{
        double best = 0;

        for (unsigned long done = 0; done < calls; done += BATCH_CALLS) {
                double t0 = now_ns();
                for (unsigned i = 0; i < BATCH_CALLS; i++)
                        syscall(nr, arg);
                double per = (now_ns() - t0) / BATCH_CALLS;
                if (done == 0 || per < best)
                        best = per;
        }
        return best;
}

/* The child: pin, load, time both loops, report through `out`. Never returns. */
static void child(const struct variant *v, int cpu, unsigned long calls, int out)
{
        cpu_set_t set;
        double res[2];

        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) < 0)
                _exit(10);
        if (v->prog) {
                struct sock_fprog fp = { .len = (unsigned short)v->len, .filter = v->prog };
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
                        _exit(11);
        }
        /* Both must really be allowed, or the loop would time the default action. */
        if (syscall(SYS_getppid) < 0 || syscall(SYS_personality, 0xffffffffUL) < 0)
                _exit(12);
        for (unsigned i = 0; i < WARMUP_CALLS; i++)
                syscall(SYS_getppid);
        res[0] = fastest_batch(SYS_getppid, 0, calls);
        for (unsigned i = 0; i < WARMUP_CALLS; i++)
                syscall(SYS_personality, 0xffffffffUL);
        res[1] = fastest_batch(SYS_personality, 0xffffffffUL, calls);
        _exit(write(out, res, sizeof(res)) == sizeof(res) ? 0 : 13);
}

static int measure(const struct variant *v, int cpu, unsigned long calls, double *ret_g,
                   double *ret_p)
{
        int fds[2], status;
        double res[2];

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                close(fds[0]);
                child(v, cpu, calls, fds[1]);
        }
        close(fds[1]);
        ssize_t n = read(fds[0], res, sizeof(res));
        close(fds[0]);
        if (n != sizeof(res))
                kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        if (n != sizeof(res)) {
                fprintf(stderr, "bench-syscall: %s: child failed (status 0x%x)\n", v->name, status);
                return -EIO;
        }
        *ret_g = res[0];
        *ret_p = res[1];
        return 0;
}

int main(int argc, char **argv)
{
        struct scmpd_profile *p = NULL;
        char *error = NULL;

        if (argc < 2) {
                fprintf(stderr, "usage: bench-syscall PROFILE [ROUNDS] [CALLS] [CPU]\n");
                return 2;
        }
        unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 11;
        unsigned long calls = argc > 3 ? strtoul(argv[3], NULL, 10) : 200000;
        int cpu = argc > 4 ? atoi(argv[4]) : 1;
        if (rounds < 1 || calls < 1 || cpu < 0 || cpu >= CPU_SETSIZE)
                return 2;
        if (scmpd_profile_parse_file(argv[1], NULL, NULL, &p, &error) < 0) {
                fprintf(stderr, "bench-syscall: %s: %s\n", argv[1], error ? error : "parse error");
                return 1;
        }

        const struct scmpd_arch *host = scmpd_arch_by_name("x86_64");
        struct scmpd_profile_target t = {
                .arch = host->token,
                .caps = docker_caps,
                .n_caps = ELEMENTS(docker_caps),
                .kernel_major = 6,
                .kernel_minor = 18,
        };
        struct profile_ref_target rt = {
                .host = host->token,
                .host_go = "amd64",
                .caps = docker_caps,
                .n_caps = ELEMENTS(docker_caps),
                .kernel_major = 6,
                .kernel_minor = 18,
        };
        struct variant variants[] = {
                { .name = "none", .kind = 0 },
                { .name = "libscmpd", .kind = 1 },
                { .name = "libseccomp-o1", .kind = 2, .optimize = 1 },
                { .name = "libseccomp-o2", .kind = 2, .optimize = 2 },
        };
        for (size_t i = 0; i < ELEMENTS(variants); i++) {
                struct variant *v = &variants[i];
                int r = 0;
                const char *what = "";
                if (v->kind == 1) {
                        r = ours_build(p, &t, &v->prog, &v->len);
                } else if (v->kind == 2) {
                        struct profile_ref_target rt2 = rt;
                        rt2.optimize = v->optimize;
                        r = profile_ref_build(p, &rt2, &v->prog, &v->len, &what);
                }
                if (r < 0) {
                        fprintf(stderr, "bench-syscall: %s: %s %s\n", v->name, what, strerror(-r));
                        return 1;
                }
                v->getppid_ns = calloc(rounds, sizeof(double));
                v->personality_ns = calloc(rounds, sizeof(double));
                if (!v->getppid_ns || !v->personality_ns)
                        return 1;
        }
        for (unsigned r = 0; r < rounds; r++)
                for (size_t i = 0; i < ELEMENTS(variants); i++)
                        if (measure(&variants[i], cpu, calls, &variants[i].getppid_ns[r],
                                    &variants[i].personality_ns[r]) < 0)
                                return 1;
        for (size_t i = 0; i < ELEMENTS(variants); i++) {
                struct variant *v = &variants[i];
                qsort(v->getppid_ns, rounds, sizeof(double), cmp_double);
                qsort(v->personality_ns, rounds, sizeof(double), cmp_double);
                printf("variant=%s length=%zu getppid_ns=%.2f personality_ns=%.2f\n", v->name,
                       v->len, v->getppid_ns[rounds / 2], v->personality_ns[rounds / 2]);
                free(v->getppid_ns);
                free(v->personality_ns);
                free(v->prog);
        }
        scmpd_profile_free(p);
        return 0;
}
