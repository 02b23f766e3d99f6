/*
 * resolver-oracle: what scmp_sys_resolver asks of libseccomp, for many queries in one process.
 *
 * Built against Debian's seccomp.h and linked against Debian's libseccomp 2.5.4 (tests only);
 * sys-resolver.py runs it twice, as built and with our libseccomp.so.2 swapped in through
 * LD_LIBRARY_PATH, and compares the two answers line by line. Spawning Debian's own
 * scmp_sys_resolver for each of the ~17,000 queries cost minutes (a quarter of an hour on a loaded
 * machine); the real binary is still run, on a sample, by the script.
 *
 * Input, one query a line: "ARCH name NAME", "ARCH rewrite NAME" or "ARCH number NR".
 * Output, one line a query: "ok VALUE" (a number, or a name, or UNKNOWN as scmp_sys_resolver
 * prints it) or "badarch" when the arch name is not resolved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <seccomp.h>

static void answer(const char *arch_name, const char *kind, const char *what)
{
        uint32_t arch = seccomp_arch_resolve_name(arch_name);

        if (arch == 0) {
                puts("badarch");
                return;
        }
        if (strcmp(kind, "number") == 0) {
                char *name = seccomp_syscall_resolve_num_arch(arch, atoi(what));

                printf("ok %s\n", name ? name : "UNKNOWN");
                free(name);
        } else if (strcmp(kind, "rewrite") == 0) {
                printf("ok %d\n", seccomp_syscall_resolve_name_rewrite(arch, what));
        } else {
                printf("ok %d\n", seccomp_syscall_resolve_name_arch(arch, what));
        }
}

int main(void)
{
        char line[256], arch[64], kind[16], what[128];

        while (fgets(line, sizeof(line), stdin)) {
                if (sscanf(line, "%63s %15s %127s", arch, kind, what) != 3) {
                        fprintf(stderr, "resolver-oracle: bad query: %s", line);
                        return 2;
                }
                answer(arch, kind, what);
        }
        return ferror(stdin) ? 1 : 0;
}
