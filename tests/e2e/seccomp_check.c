/*
 * Helper for tests/e2e/profile_runc.sh: read the seccomp filter a running process has loaded,
 * and compare two programs decision by decision in our simulator.
 *
 *   seccomp-check dump PID FILE    write filter 0 (the newest) of PID as raw BPF
 *                                  (PTRACE_SECCOMP_GET_FILTER; exit 77 where the kernel lacks it)
 *   seccomp-check compare A B ARCH...
 *                                  every syscall of each arch's table plus numbers past it, with
 *                                  zero, boundary and pattern arguments; exit 1 on any difference
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/ptrace.h>

#include "scmpd/arch.h"
#include "scmpd/bpf.h"

#define SKIP 77
#define MAX_INSNS 4096

static int dump(pid_t pid, const char *path)
{
        struct sock_filter prog[MAX_INSNS];
        int status, ret = 1;

        if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0) {
                fprintf(stderr, "seccomp-check: seize %d: %s\n", (int)pid, strerror(errno));
                return 1;
        }
        if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0 || waitpid(pid, &status, __WALL) < 0) {
                fprintf(stderr, "seccomp-check: stop %d: %s\n", (int)pid, strerror(errno));
                goto out;
        }
        long n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0L, NULL);
        if (n < 0) {
                fprintf(stderr, "seccomp-check: PTRACE_SECCOMP_GET_FILTER: %s\n", strerror(errno));
                ret = errno == EINVAL || errno == EIO ? SKIP : 1;
                goto out;
        }
        if (n == 0 || n > MAX_INSNS) {
                fprintf(stderr, "seccomp-check: filter of %ld instructions\n", n);
                goto out;
        }
        if (ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0L, prog) != n) {
                fprintf(stderr, "seccomp-check: reading the filter: %s\n", strerror(errno));
                goto out;
        }
        FILE *f = fopen(path, "we");
        if (!f || fwrite(prog, sizeof(prog[0]), (size_t)n, f) != (size_t)n) {
                fprintf(stderr, "seccomp-check: %s: %s\n", path, strerror(errno));
                if (f)
                        fclose(f);
                goto out;
        }
        if (fclose(f) != 0)
                goto out;
        printf("seccomp-check: pid %d runs a filter of %ld instructions\n", (int)pid, n);
        ret = 0;
out:
        ptrace(PTRACE_DETACH, pid, NULL, NULL);
        return ret;
}

static struct sock_filter *load(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "re");
        struct sock_filter *prog = calloc(MAX_INSNS + 1, sizeof(*prog));
        size_t n = 0;

        if (f && prog)
                n = fread(prog, sizeof(*prog), MAX_INSNS + 1, f);
        if (f)
                fclose(f);
        if (!prog || n == 0 || n > MAX_INSNS || scmpd_bpf_validate(prog, n, NULL) != 0) {
                fprintf(stderr, "seccomp-check: %s: not a valid program\n", path);
                free(prog);
                return NULL;
        }
        *ret_len = n;
        return prog;
}

static const uint64_t patterns[] = {
        0,          1,          5,          8,          40,         0x20000,
        0x20008,    0x7e020000, 0x10000000, 0x7fffffff, 0xffffffff, 0x100000000ULL,
        UINT64_MAX,
};

struct tally {
        unsigned long long runs, diffs;
};

static int compare_nr(const struct sock_filter *a, size_t a_len, const struct sock_filter *b,
                      size_t b_len, const struct scmpd_arch *arch, int nr, const char *name,
                      const char *a_path, const char *b_path, struct tally *t)
{
        /* x32 tasks report x86_64 and mark their numbers instead. */
        uint32_t data_arch =
                strcmp(arch->name, "x32") == 0 ? scmpd_arch_by_name("x86_64")->token : arch->token;
        bool word32 = arch->word_bits == 32 && strcmp(arch->name, "x32") != 0;

        for (size_t v = 0; v < sizeof(patterns) / sizeof(patterns[0]); v++) {
                struct seccomp_data d = { .nr = nr, .arch = data_arch };
                uint32_t ra, rb;
                unsigned e;
                for (int j = 0; j < 6; j++)
                        d.args[j] = word32 ? (patterns[v] & 0xffffffffU) : patterns[v];
                if (scmpd_bpf_run(a, a_len, &d, &ra, &e) < 0 ||
                    scmpd_bpf_run(b, b_len, &d, &rb, &e) < 0)
                        return -EINVAL;
                t->runs++;
                if (ra != rb && t->diffs++ < 20)
                        printf("DIFF %s nr=%d (%s) args=%#" PRIx64 ": %s 0x%08" PRIx32
                               ", %s 0x%08" PRIx32 "\n",
                               arch->name, nr, name, patterns[v], a_path, ra, b_path, rb);
        }
        return 0;
}

static int compare(const char *a_path, const char *b_path, char **arches, int n_arches)
{
        size_t a_len = 0, b_len = 0;
        struct sock_filter *a = load(a_path, &a_len), *b = load(b_path, &b_len);
        struct tally t = { 0 };
        int ret = 1;

        if (!a || !b)
                goto out;
        for (int i = 0; i < n_arches; i++) {
                const struct scmpd_arch *arch = scmpd_arch_by_name(arches[i]);
                const char *name;
                int nr, top = 0;

                if (!arch) {
                        fprintf(stderr, "seccomp-check: unknown arch %s\n", arches[i]);
                        goto out;
                }
                for (size_t k = 0; scmpd_syscall_iter(arch, k, &nr, &name); k++) {
                        if (compare_nr(a, a_len, b, b_len, arch, nr, name, a_path, b_path, &t) < 0)
                                goto out;
                        top = nr > top ? nr : top;
                }
                /* Numbers past the table: the kernel may know syscalls the profile does not. */
                for (nr = top + 1; nr <= top + 64; nr++)
                        if (compare_nr(a, a_len, b, b_len, arch, nr, "?", a_path, b_path, &t) < 0)
                                goto out;
        }
        printf("seccomp-check: %llu decisions compared, %llu differ\n", t.runs, t.diffs);
        ret = t.diffs == 0 && t.runs > 0 ? 0 : 1;
out:
        free(a);
        free(b);
        return ret;
}

int main(int argc, char **argv)
{
        if (argc == 4 && strcmp(argv[1], "dump") == 0)
                return dump((pid_t)atoi(argv[2]), argv[3]);
        if (argc >= 5 && strcmp(argv[1], "compare") == 0)
                return compare(argv[2], argv[3], argv + 4, argc - 4);
        fprintf(stderr, "usage: seccomp-check dump PID FILE | compare A B ARCH...\n");
        return 2;
}
