/*
 * Compiler benchmark: one large rule set built by libscmpd and by Debian's libseccomp 2.5.4 at
 * optimize levels 1 and 2, all measured in the same run.
 *
 * The rule set (x86_64, default ERRNO(EPERM)): every syscall of the x86_64 table not on a short
 * deny list is allowed unconditionally, and a few dozen get argument checks instead (equalities,
 * ranges, masks, several rules per syscall, 64-bit values), as a hardened container profile
 * writes them.
 *
 * Measured: compile-and-export CPU time of the thread (rules added, program exported to a memfd
 * and read back; the median of ROUNDS, as a ratio to libseccomp's faster level), program length,
 * and instructions executed for every x86_64 syscall (zero arguments plus, for argument-checked
 * syscalls, one input per comparison with that argument set to the compared value): mean and
 * maximum. Also how many always-allowed syscalls the kernel's action cache can decide. Prints a
 * Markdown section.
 *
 * Usage: bench-compile [ROUNDS] (default 200); BENCH_COMPILE_DUMP=FILE also writes our program;
 * BENCH_COMPILE_OURS_ONLY=1 only builds ours ROUNDS times and prints nothing (for perf);
 * BENCH_COMPILE_BOUND=1 also prints how our search over numbers compares with the optimum
 * (tree_bound.c).
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

#include <linux/audit.h>
#include <seccomp.h>

#include "bench_compile.h"
#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "scmpd/filter.h"

#define ELEMENTS(x) (sizeof(x) / sizeof((x)[0]))
#define MAX_RULES 1024

/* Denied outright (left to the default): what container profiles refuse. */
static const char *const denied[] = {
        "acct",
        "add_key",
        "bpf",
        "clock_adjtime",
        "clock_settime",
        "create_module",
        "delete_module",
        "finit_module",
        "get_kernel_syms",
        "init_module",
        "ioperm",
        "iopl",
        "kcmp",
        "kexec_file_load",
        "kexec_load",
        "keyctl",
        "lookup_dcookie",
        "mount",
        "move_pages",
        "nfsservctl",
        "open_by_handle_at",
        "perf_event_open",
        "pivot_root",
        "process_vm_readv",
        "process_vm_writev",
        "ptrace",
        "query_module",
        "quotactl",
        "reboot",
        "request_key",
        "setns",
        "settimeofday",
        "swapoff",
        "swapon",
        "sysfs",
        "_sysctl",
        "umount2",
        "unshare",
        "uselib",
        "userfaultfd",
        "ustat",
        "vm86",
        "vm86old",
        "fsopen",
        "fsmount",
        "fspick",
        "move_mount",
        "open_tree",
        "mount_setattr",
};

struct cond_rule {
        const char *name;
        unsigned n;
        struct scmpd_arg_cmp c[2];
};

#define EQ(a, v)                                           \
        {                                                  \
                .arg = a, .op = SCMPD_CMP_EQ, .datum_a = v \
        }
#define NE(a, v)                                           \
        {                                                  \
                .arg = a, .op = SCMPD_CMP_NE, .datum_a = v \
        }
#define LT(a, v)                                           \
        {                                                  \
                .arg = a, .op = SCMPD_CMP_LT, .datum_a = v \
        }
#define LE(a, v)                                           \
        {                                                  \
                .arg = a, .op = SCMPD_CMP_LE, .datum_a = v \
        }
#define GE(a, v)                                           \
        {                                                  \
                .arg = a, .op = SCMPD_CMP_GE, .datum_a = v \
        }
#define GT(a, v)                                           \
        {                                                  \
                .arg = a, .op = SCMPD_CMP_GT, .datum_a = v \
        }
#define ME(a, m, v)                                                             \
        {                                                                       \
                .arg = a, .op = SCMPD_CMP_MASKED_EQ, .datum_a = m, .datum_b = v \
        }

/* Allowed only under these conditions (several rules for one syscall are alternatives). */
static const struct cond_rule cond_rules[] = {
        { "personality", 1, { EQ(0, 0) } },
        { "personality", 1, { EQ(0, 8) } },
        { "personality", 1, { EQ(0, 0x20000) } },
        { "personality", 1, { EQ(0, 0x20008) } },
        { "personality", 1, { EQ(0, 0xffffffff) } },
        { "socket", 1, { EQ(0, 1) } },
        { "socket", 1, { EQ(0, 2) } },
        { "socket", 1, { EQ(0, 10) } },
        { "socket", 2, { EQ(0, 16), EQ(2, 0) } },
        { "clone", 1, { ME(0, 0x7e020000, 0) } },
        { "clone3", 1, { GE(1, 88) } },
        { "ioctl", 1, { ME(1, 0xffffffff00000000ULL, 0) } },
        { "ioctl", 1, { NE(1, 0x5412) } },
        { "prctl", 1, { LE(0, 40) } },
        { "prctl", 1, { EQ(0, 0x59616d61) } },
        { "fcntl", 1, { LT(1, 1024) } },
        { "mmap", 1, { ME(2, 0x4, 0) } },
        { "mmap", 2, { ME(2, 0x4, 4), ME(3, 0x20, 0x20) } },
        { "mprotect", 1, { ME(2, 0x4, 0) } },
        { "pkey_mprotect", 1, { ME(2, 0x4, 0) } },
        { "kill", 1, { GT(0, 0) } },
        { "tgkill", 1, { GT(0, 0) } },
        { "setsockopt", 2, { EQ(1, 1), LE(2, 100) } },
        { "setsockopt", 1, { EQ(1, 6) } },
        { "madvise", 1, { NE(2, 8) } },
        { "getrandom", 1, { LE(1, 0x100000) } },
        { "lseek", 1, { LE(2, 4) } },
        { "openat", 1, { ME(2, 0x200000, 0) } },
        { "openat2", 1, { GE(3, 24) } },
        { "memfd_create", 1, { ME(1, 0x8, 0) } },
        { "sched_setscheduler", 1, { LE(1, 3) } },
        { "setpriority", 1, { GE(2, 0) } },
        { "chmod", 1, { ME(1, 0xc00, 0) } },
        { "fchmod", 1, { ME(1, 0xc00, 0) } },
        { "fchmodat", 1, { ME(2, 0xc00, 0) } },
        { "setuid", 1, { NE(0, 0) } },
        { "setgid", 1, { NE(0, 0) } },
        { "prlimit64", 1, { EQ(2, 0) } },
        { "seccomp", 1, { EQ(0, 1) } },
        { "quotactl_fd", 1, { GT(1, 0x100000000ULL) } },
};

struct rule rules[MAX_RULES];
size_t n_rules;

static bool name_in(const char *name, const char *const *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(name, v[i]) == 0)
                        return true;
        return false;
}

static bool conditional(const char *name)
{
        for (size_t i = 0; i < ELEMENTS(cond_rules); i++)
                if (strcmp(name, cond_rules[i].name) == 0)
                        return true;
        return false;
}

static void build_rule_set(const struct scmpd_arch *x86_64)
{
        const char *name;
        int nr;

        for (size_t i = 0; scmpd_syscall_iter(x86_64, i, &nr, &name); i++) {
                if (name_in(name, denied, ELEMENTS(denied)) || conditional(name))
                        continue;
                rules[n_rules++] = (struct rule){ .action = SCMPD_ACT_ALLOW, .nr = nr };
        }
        for (size_t i = 0; i < ELEMENTS(cond_rules); i++) {
                nr = scmpd_syscall_nr(x86_64, cond_rules[i].name);
                if (nr < 0)
                        continue;
                rules[n_rules] =
                        (struct rule){ .action = SCMPD_ACT_ALLOW, .nr = nr, .n = cond_rules[i].n };
                memcpy(rules[n_rules].c, cond_rules[i].c, sizeof(cond_rules[i].c));
                n_rules++;
        }
}

#define DEFAULT_ACTION SCMPD_ACT_ERRNO(EPERM)

/* Thread CPU time (user and system), as bench-profile measures: what the compile costs, without
 * the time the thread waits for a CPU on a busy machine. */
static double now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Read the program back from the memfd (both builds take this path). */
static size_t read_back(int fd, struct sock_filter **prog)
{
        off_t size = lseek(fd, 0, SEEK_CUR);
        struct sock_filter *p = malloc((size_t)size);

        if (!p || pread(fd, p, (size_t)size, 0) != size) {
                free(p);
                return 0;
        }
        *prog = p;
        return (size_t)size / sizeof(*p);
}

static size_t build_ours(int fd, struct sock_filter **prog)
{
        struct scmpd_filter *f = NULL;
        size_t len = 0;

        if (scmpd_filter_new(DEFAULT_ACTION, &f) < 0)
                return 0;
        for (size_t i = 0; i < n_rules; i++)
                if (scmpd_filter_rule_add(f, rules[i].action, rules[i].nr, 0, rules[i].n,
                                          rules[i].c) < 0) {
                        fprintf(stderr, "libscmpd refused rule %zu: %s\n", i,
                                scmpd_filter_error(f) ? scmpd_filter_error(f) : "");
                        scmpd_filter_free(f);
                        return 0;
                }
        if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
            scmpd_filter_export_bpf(f, fd) < 0) {
                scmpd_filter_free(f);
                return 0;
        }
        scmpd_filter_free(f);
        if (prog)
                len = read_back(fd, prog);
        return prog ? len : 1;
}

static size_t build_libseccomp(int fd, unsigned optimize, struct sock_filter **prog)
{
        scmp_filter_ctx ctx = seccomp_init(DEFAULT_ACTION);
        size_t len = 0;

        if (!ctx)
                return 0;
        if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, optimize) < 0)
                goto fail;
        for (size_t i = 0; i < n_rules; i++) {
                struct scmp_arg_cmp c[2];
                for (unsigned j = 0; j < rules[i].n; j++)
                        c[j] = (struct scmp_arg_cmp){ rules[i].c[j].arg,
                                                      (enum scmp_compare)rules[i].c[j].op,
                                                      rules[i].c[j].datum_a,
                                                      rules[i].c[j].datum_b };
                if (seccomp_rule_add_array(ctx, rules[i].action, rules[i].nr, rules[i].n, c) < 0) {
                        fprintf(stderr, "libseccomp refused rule %zu\n", i);
                        goto fail;
                }
        }
        if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0 || seccomp_export_bpf(ctx, fd) < 0)
                goto fail;
        seccomp_release(ctx);
        if (prog)
                len = read_back(fd, prog);
        return prog ? len : 1;
fail:
        seccomp_release(ctx);
        return 0;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

struct result {
        const char *name;
        double median_us;
        size_t len;
        double mean;
        unsigned max;
        int max_nr;
        unsigned always_allowed, cacheable;
};

static bool always_allowed(int nr)
{
        for (size_t i = 0; i < n_rules; i++)
                if (rules[i].nr == nr && rules[i].n == 0 && rules[i].action == SCMPD_ACT_ALLOW)
                        return true;
        return false;
}

static int measure(struct result *r, const struct scmpd_arch *x86_64, const struct sock_filter *p,
                   size_t len)
{
        unsigned long total = 0, runs = 0;
        int nr;

        r->len = len;
        for (size_t i = 0; scmpd_syscall_iter(x86_64, i, &nr, NULL); i++) {
                struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64 };
                unsigned executed;
                uint32_t action;

                if (scmpd_bpf_run(p, len, &d, &action, &executed) < 0)
                        return -EINVAL;
                total += executed;
                runs++;
                if (executed > r->max) {
                        r->max = executed;
                        r->max_nr = nr;
                }
                for (size_t k = 0; k < n_rules; k++) {
                        if (rules[k].nr != nr)
                                continue;
                        for (unsigned j = 0; j < rules[k].n; j++) {
                                struct seccomp_data e = d;
                                e.args[rules[k].c[j].arg] = rules[k].c[j].op == SCMPD_CMP_MASKED_EQ
                                                                    ? rules[k].c[j].datum_b
                                                                    : rules[k].c[j].datum_a;
                                if (scmpd_bpf_run(p, len, &e, &action, &executed) < 0)
                                        return -EINVAL;
                                total += executed;
                                runs++;
                                if (executed > r->max) {
                                        r->max = executed;
                                        r->max_nr = nr;
                                }
                        }
                }
                if (always_allowed(nr)) {
                        r->always_allowed++;
                        if (scmpd_bpf_cacheable(p, len, AUDIT_ARCH_X86_64, nr) == 1)
                                r->cacheable++;
                }
        }
        r->mean = (double)total / (double)runs;
        return 0;
}

int main(int argc, char **argv)
{
        const struct scmpd_arch *x86_64 = scmpd_arch_by_name("x86_64");
        unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 200;
        struct result res[3] = { { .name = "libscmpd" },
                                 { .name = "libseccomp 2.5.4, optimize 1" },
                                 { .name = "libseccomp 2.5.4, optimize 2" } };
        size_t n_cond = 0, n_syscalls = 0;
        int fd = memfd_create("bench-compile", MFD_CLOEXEC);

        if (!x86_64 || fd < 0 || rounds == 0) {
                fprintf(stderr, "setup failed\n");
                return 1;
        }
        build_rule_set(x86_64);
        if (getenv("BENCH_COMPILE_OURS_ONLY")) {
                for (unsigned r = 0; r < rounds; r++)
                        if (!build_ours(fd, NULL))
                                return 1;
                return 0;
        }
        for (size_t i = 0; i < n_rules; i++) {
                bool first = true;
                for (size_t k = 0; k < i; k++)
                        if (rules[k].nr == rules[i].nr)
                                first = false;
                n_syscalls += first;
                n_cond += first && rules[i].n > 0;
        }

        /* Rounds interleave the three builds, so that load on the machine hits them alike. */
        double *times[3];
        for (int b = 0; b < 3; b++) {
                times[b] = calloc(rounds, sizeof(double));
                if (!times[b]) {
                        fprintf(stderr, "out of memory\n");
                        return 1;
                }
        }
        for (unsigned r = 0; r < rounds; r++)
                for (int b = 0; b < 3; b++) {
                        double t0 = now_us();
                        size_t ok = b == 0 ? build_ours(fd, NULL)
                                           : build_libseccomp(fd, (unsigned)b, NULL);
                        times[b][r] = now_us() - t0;
                        if (!ok) {
                                fprintf(stderr, "%s: build failed\n", res[b].name);
                                return 1;
                        }
                }
        for (int b = 0; b < 3; b++) {
                struct sock_filter *prog = NULL;
                size_t len;

                qsort(times[b], rounds, sizeof(double), cmp_double);
                res[b].median_us = times[b][rounds / 2];
                free(times[b]);
                len = b == 0 ? build_ours(fd, &prog) : build_libseccomp(fd, (unsigned)b, &prog);
                if (b == 0 && len && getenv("BENCH_COMPILE_DUMP")) {
                        /* Our program, for scmpctl disasm and the like. */
                        FILE *out = fopen(getenv("BENCH_COMPILE_DUMP"), "we");
                        if (out) {
                                fwrite(prog, sizeof(*prog), len, out);
                                fclose(out);
                        }
                }
                if (!len || measure(&res[b], x86_64, prog, len) < 0) {
                        fprintf(stderr, "%s: measuring failed\n", res[b].name);
                        return 1;
                }
                free(prog);
        }

        double best_t = res[1].median_us < res[2].median_us ? res[1].median_us : res[2].median_us;
        double best_mean = res[1].mean < res[2].mean ? res[1].mean : res[2].mean;
        unsigned best_max = res[1].max < res[2].max ? res[1].max : res[2].max;

        printf("Rule set: x86_64, default ERRNO(EPERM), %zu rules over %zu syscalls (%zu with "
               "argument checks), every x86_64 syscall measured (%u rounds, median of the thread's "
               "CPU time).\n\n",
               n_rules, n_syscalls, n_cond, rounds);
        printf("| build | compile+export (CPU) | speed vs libseccomp's faster level | "
               "program length | mean executed | max executed (syscall) | always-allowed cacheable "
               "|\n");
        printf("|---|---:|---:|---:|---:|---:|---:|\n");
        for (int b = 0; b < 3; b++)
                printf("| %s | %.1f µs | %.2fx | %zu | %.2f | %u (%s) | %u of %u |\n", res[b].name,
                       res[b].median_us, best_t / res[b].median_us, res[b].len, res[b].mean,
                       res[b].max, scmpd_syscall_name(x86_64, res[b].max_nr), res[b].cacheable,
                       res[b].always_allowed);
        printf("\nTargets: compile >= 10x faster: %.1fx (%s); mean <= 0.6x libseccomp's better "
               "level: %.2fx (%s); max <= libseccomp's better level: %u vs %u (%s); every "
               "always-allowed syscall cacheable: %u of %u (%s).\n",
               best_t / res[0].median_us, best_t / res[0].median_us >= 10 ? "met" : "NOT met",
               res[0].mean / best_mean, res[0].mean / best_mean <= 0.6 ? "met" : "NOT met",
               res[0].max, best_max, res[0].max <= best_max ? "met" : "NOT met", res[0].cacheable,
               res[0].always_allowed,
               res[0].cacheable == res[0].always_allowed ? "met" : "NOT met");
        if (getenv("BENCH_COMPILE_BOUND")) {
                struct sock_filter *prog = NULL;
                size_t len = build_ours(fd, &prog);

                if (!len || tree_bound_report(x86_64, prog, len, DEFAULT_ACTION,
                                              SCMPD_ACT_KILL_THREAD, best_mean) < 0) {
                        fprintf(stderr, "bound: failed\n");
                        return 1;
                }
                free(prog);
        }
        close(fd);
        return 0;
}
