/*
 * Profile benchmark: Docker's default profile compiled as Docker on amd64 does (x86_64 with x86
 * and x32, Docker's default capabilities, kernel 6.18), by libscmpd and by Debian's libseccomp
 * with runc's rules (tests/bpf/profile_ref.c) at optimize levels 1 and 2, in the same run.
 *
 * Measured: compile-and-export CPU time of the thread (from the parsed model to the program bytes
 * read back from a memfd, the same path for both), program length, instructions executed (mean and
 * maximum over every syscall of each arch, zero arguments), syscalls allowed whatever their
 * arguments, and how many of those the kernel's action cache can decide (scmpd_bpf_cacheable).
 * Prints a Markdown section for docs/performance.md; timings are ratios against libseccomp.
 *
 * Usage: bench-profile [PROFILE] [ROUNDS]; BENCH_PROFILE_OURS_ONLY=1 only builds ours ROUNDS times
 * and prints nothing (for perf).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "profile_ref.h"
#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "scmpd/filter.h"
#include "scmpd/profile.h"

#define ELEMENTS(x) (sizeof(x) / sizeof((x)[0]))

static const char *const docker_caps[] = {
        "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
        "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
        "CAP_KILL",    "CAP_AUDIT_WRITE",
};

/* Thread CPU time (user and system): what the compile costs, without the time the thread waits
 * for a CPU on a busy machine. */
static double now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

/* Ours, through the same memfd round trip as the libseccomp reference. */
static int ours_build(const struct scmpd_profile *p, const struct scmpd_profile_target *t,
                      struct sock_filter **ret_prog, size_t *ret_len)
{
        struct scmpd_filter *f = NULL;
        int r = scmpd_profile_compile(p, t, NULL, NULL, &f, NULL);
        if (r < 0)
                return r;
        int fd = memfd_create("bench-ours", MFD_CLOEXEC);
        if (fd < 0) {
                scmpd_filter_free(f);
                return -errno;
        }
        r = scmpd_filter_export_bpf(f, fd);
        scmpd_filter_free(f);
        off_t size = r < 0 ? 0 : lseek(fd, 0, SEEK_END);
        if (r >= 0 && (size <= 0 || size % (off_t)sizeof(struct sock_filter)))
                r = -EIO;
        struct sock_filter *prog = r < 0 ? NULL : malloc((size_t)size);
        if (r >= 0 && (!prog || pread(fd, prog, (size_t)size, 0) != size))
                r = -EIO;
        close(fd);
        if (r < 0) {
                free(prog);
                return r;
        }
        *ret_prog = prog;
        *ret_len = (size_t)size / sizeof(struct sock_filter);
        return 0;
}

struct variant {
        const char *label;
        unsigned optimize; /* libseccomp only; 0 for ours */
        bool ours;
        double median_ns;
        struct sock_filter *prog;
        size_t len;
};

static int build(struct variant *v, const struct scmpd_profile *p,
                 const struct scmpd_profile_target *t, const struct profile_ref_target *rt,
                 struct sock_filter **ret_prog, size_t *ret_len)
{
        if (v->ours)
                return ours_build(p, t, ret_prog, ret_len);
        struct profile_ref_target rt2 = *rt;
        const char *what;
        rt2.optimize = v->optimize;
        return profile_ref_build(p, &rt2, ret_prog, ret_len, &what);
}

static uint32_t data_arch(const struct scmpd_arch *a)
{
        return strcmp(a->name, "x32") == 0 ? scmpd_arch_by_name("x86_64")->token : a->token;
}

/* Always ALLOW over zero, boundary and a few fixed-pattern arguments. */
static bool allowed_whatever_args(const struct sock_filter *prog, size_t len, uint32_t arch, int nr)
{
        static const uint64_t values[] = { 0,          1,          8,          40,
                                           0x20000,    0x7e020000, 0x80000000, 0xffffffff,
                                           1ULL << 32, UINT64_MAX };
        for (size_t i = 0; i < ELEMENTS(values); i++) {
                struct seccomp_data d = { .nr = nr, .arch = arch };
                uint32_t action;
                unsigned e;
                for (int k = 0; k < 6; k++)
                        d.args[k] = values[(i + (size_t)k) % ELEMENTS(values)];
                if (scmpd_bpf_run(prog, len, &d, &action, &e) < 0 || action != SCMPD_ACT_ALLOW)
                        return false;
        }
        return true;
}

int main(int argc, char **argv)
{
        const char *root = getenv("SCMPD_SOURCE_ROOT");
        char path_buf[4096];
        const char *path = argc > 1 ? argv[1] : NULL;
        unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 200;
        struct scmpd_profile *p = NULL;
        char *error = NULL;
        uint32_t arches[16];

        if (!path) {
                snprintf(path_buf, sizeof(path_buf), "%s/tests/data/docker-default.json",
                         root ? root : ".");
                path = path_buf;
        }
        if (rounds < 5)
                rounds = 5;
        if (scmpd_profile_parse_file(path, NULL, NULL, &p, &error) < 0) {
                fprintf(stderr, "bench-profile: %s: %s\n", path, error ? error : "parse error");
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
                { .label = "libscmpd", .ours = true },
                { .label = "libseccomp 2.5.4, optimize 1", .optimize = 1 },
                { .label = "libseccomp 2.5.4, optimize 2 (runc's choice)", .optimize = 2 },
        };

        if (getenv("BENCH_PROFILE_OURS_ONLY")) {
                for (unsigned r = 0; r < rounds; r++) {
                        struct sock_filter *prog = NULL;
                        size_t len = 0;
                        if (build(&variants[0], p, &t, &rt, &prog, &len) < 0)
                                return 1;
                        free(prog);
                }
                scmpd_profile_free(p);
                return 0;
        }

        /* Interleave the variants round by round so that drift hits them alike. */
        double *samples = calloc(ELEMENTS(variants) * rounds, sizeof(double));
        if (!samples)
                return 1;
        for (unsigned r = 0; r < rounds + 3; r++)
                for (size_t v = 0; v < ELEMENTS(variants); v++) {
                        struct sock_filter *prog = NULL;
                        size_t len = 0;
                        double t0 = now_ns();
                        int e = build(&variants[v], p, &t, &rt, &prog, &len);
                        double t1 = now_ns();
                        if (e < 0) {
                                fprintf(stderr, "bench-profile: %s: %s\n", variants[v].label,
                                        strerror(-e));
                                return 1;
                        }
                        if (r >= 3)
                                samples[v * rounds + (r - 3)] = t1 - t0;
                        if (!variants[v].prog) {
                                variants[v].prog = prog;
                                variants[v].len = len;
                        } else {
                                free(prog);
                        }
                }
        for (size_t v = 0; v < ELEMENTS(variants); v++) {
                qsort(samples + v * rounds, rounds, sizeof(double), cmp_double);
                variants[v].median_ns = samples[v * rounds + rounds / 2];
        }
        free(samples);

        int n = scmpd_profile_arches(p, &t, arches, ELEMENTS(arches));
        if (n < 0 || (size_t)n > ELEMENTS(arches))
                return 1;

        printf("Profile: `%s`, host x86_64, Docker's default capabilities, kernel 6.18; "
               "filter arches:",
               strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
        for (int i = 0; i < n; i++)
                printf(" %s", scmpd_arch_by_token(arches[i])->name);
        printf(". %u rounds, median.\n\n", rounds);

        double best_ref = variants[1].median_ns < variants[2].median_ns ? variants[1].median_ns
                                                                        : variants[2].median_ns;
        printf("| build | compile+export (CPU) | vs libseccomp's faster level | program length "
               "|\n");
        printf("|---|---:|---:|---:|\n");
        for (size_t v = 0; v < ELEMENTS(variants); v++)
                printf("| %s | %.1f µs | %.2fx | %zu |\n", variants[v].label,
                       variants[v].median_ns / 1000.0, best_ref / variants[v].median_ns,
                       variants[v].len);
        printf("\n| arch | build | syscalls | mean executed | max executed | allowed whatever the "
               "args | of those cacheable |\n");
        printf("|---|---|---:|---:|---:|---:|---:|\n");
        struct summary {
                double mean[3];
                unsigned max[3];
                size_t allowed[3], cacheable[3];
        } sums[16];
        for (int i = 0; i < n; i++) {
                const struct scmpd_arch *a = scmpd_arch_by_token(arches[i]);
                for (size_t v = 0; v < ELEMENTS(variants); v++) {
                        unsigned long long total = 0;
                        unsigned max = 0;
                        size_t count = 0, allowed = 0, cacheable = 0;
                        const char *name;
                        int nr;
                        for (size_t k = 0; scmpd_syscall_iter(a, k, &nr, &name); k++) {
                                struct seccomp_data d = { .nr = nr, .arch = data_arch(a) };
                                uint32_t action;
                                unsigned e;
                                if (scmpd_bpf_run(variants[v].prog, variants[v].len, &d, &action,
                                                  &e) < 0)
                                        return 1;
                                total += e;
                                max = e > max ? e : max;
                                count++;
                                if (allowed_whatever_args(variants[v].prog, variants[v].len, d.arch,
                                                          nr)) {
                                        allowed++;
                                        cacheable += scmpd_bpf_cacheable(variants[v].prog,
                                                                         variants[v].len, d.arch,
                                                                         nr) == 1;
                                }
                        }
                        sums[i].mean[v] = (double)total / (double)count;
                        sums[i].max[v] = max;
                        sums[i].allowed[v] = allowed;
                        sums[i].cacheable[v] = cacheable;
                        printf("| %s | %s | %zu | %.2f | %u | %zu | %zu |\n", a->name,
                               variants[v].label, count, (double)total / (double)count, max,
                               allowed, cacheable);
                }
        }
        /* Against the compiler issue's targets: mean at most 0.6x libseccomp's better level,
         * worst case no more than libseccomp's, every always-allowed syscall cacheable. */
        printf("\n| arch | mean vs libseccomp's better level | max: ours / libseccomp's better "
               "| always-allowed cacheable (ours) |\n");
        printf("|---|---:|---:|---:|\n");
        for (int i = 0; i < n; i++) {
                double best_mean =
                        sums[i].mean[1] < sums[i].mean[2] ? sums[i].mean[1] : sums[i].mean[2];
                unsigned best_max =
                        sums[i].max[1] < sums[i].max[2] ? sums[i].max[1] : sums[i].max[2];
                printf("| %s | %.2fx | %u / %u | %zu of %zu |\n",
                       scmpd_arch_by_token(arches[i])->name, sums[i].mean[0] / best_mean,
                       sums[i].max[0], best_max, sums[i].cacheable[0], sums[i].allowed[0]);
        }
        for (size_t v = 0; v < ELEMENTS(variants); v++)
                free(variants[v].prog);
        scmpd_profile_free(p);
        return 0;
}
