/*
 * Test oracle, never part of the product: print every syscall Debian's libseccomp knows, per
 * arch, as "ARCH NAME NUMBER" lines. test_arch_oracle.c compares our tables with this output.
 *
 * libseccomp 2.5.4 cannot list names, so we collect them by resolving every number in the
 * ranges the arches use (0..1023 plus the mips bases, the arm private range and the x32 bit),
 * then resolve each collected name on every arch; a name the arch lacks resolves to its pseudo
 * number, which is what a portable rule compares against, so those lines are printed too.
 * Built only in tests/ and linked only against libseccomp.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <seccomp.h>

static const struct {
        const char *name;
        uint32_t token;
} oracle_arches[] = {
        { "x86", SCMP_ARCH_X86 },
        { "x86_64", SCMP_ARCH_X86_64 },
        { "x32", SCMP_ARCH_X32 },
        { "arm", SCMP_ARCH_ARM },
        { "aarch64", SCMP_ARCH_AARCH64 },
        { "mips", SCMP_ARCH_MIPS },
        { "mipsel", SCMP_ARCH_MIPSEL },
        { "mips64", SCMP_ARCH_MIPS64 },
        { "mipsel64", SCMP_ARCH_MIPSEL64 },
        { "mips64n32", SCMP_ARCH_MIPS64N32 },
        { "mipsel64n32", SCMP_ARCH_MIPSEL64N32 },
        { "parisc", SCMP_ARCH_PARISC },
        { "parisc64", SCMP_ARCH_PARISC64 },
        { "ppc", SCMP_ARCH_PPC },
        { "ppc64", SCMP_ARCH_PPC64 },
        { "ppc64le", SCMP_ARCH_PPC64LE },
        { "riscv64", SCMP_ARCH_RISCV64 },
        { "s390", SCMP_ARCH_S390 },
        { "s390x", SCMP_ARCH_S390X },
};

#define N_ARCHES (sizeof(oracle_arches) / sizeof(oracle_arches[0]))
#define MAX_NAMES 2048

static char *names[MAX_NAMES];
static size_t n_names;

static void remember(const char *name)
{
        for (size_t i = 0; i < n_names; i++)
                if (strcmp(names[i], name) == 0)
                        return;
        if (n_names == MAX_NAMES) {
                fprintf(stderr, "arch_oracle_dump: too many names\n");
                exit(EXIT_FAILURE);
        }
        names[n_names] = strdup(name);
        if (!names[n_names]) {
                perror("strdup");
                exit(EXIT_FAILURE);
        }
        n_names++;
}

static void collect(uint32_t token, int first, int last)
{
        for (int nr = first; nr <= last; nr++) {
                char *name = seccomp_syscall_resolve_num_arch(token, nr);
                if (name)
                        remember(name);
                free(name);
        }
}

int main(void)
{
        for (size_t a = 0; a < N_ARCHES; a++) {
                uint32_t t = oracle_arches[a].token;
                collect(t, 0, 1023);
                collect(t, 0x0f0000, 0x0f0010);
                collect(t, 4000, 4000 + 1023);
                collect(t, 5000, 5000 + 1023);
                collect(t, 6000, 6000 + 1023);
                collect(t, 0x40000000, 0x40000000 + 1023);
        }
        for (size_t a = 0; a < N_ARCHES; a++)
                for (size_t i = 0; i < n_names; i++) {
                        int nr =
                                seccomp_syscall_resolve_name_arch(oracle_arches[a].token, names[i]);
                        if (nr == __NR_SCMP_ERROR)
                                continue;
                        printf("%s %s %d\n", oracle_arches[a].name, names[i], nr);
                }
        for (size_t i = 0; i < n_names; i++)
                free(names[i]);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
