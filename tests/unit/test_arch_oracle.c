/*
 * Our syscall tables against libseccomp 2.5.4, the reference oracle (test only; the product
 * never links libseccomp). argv[1] is arch-oracle-dump, which prints "ARCH NAME NUMBER" for
 * every name Debian's libseccomp resolves on each arch it supports; every line must match
 * scmpd_syscall_nr() exactly, except:
 *
 *  - a socketcall/ipc family member on an arch that multiplexes it: libseccomp resolves it to
 *    the pseudo number (its marker for "rewrite to the multiplexer") even where the kernel has a
 *    direct number; we return the kernel's number and say so through scmpd_syscall_mux(). The
 *    test checks that libseccomp's value is exactly our pseudo number for the name and that our
 *    mux mapping covers it, so the compat layer can reproduce libseccomp's answer.
 *  - the entries of `differences` below, each with its reason.
 *
 * It also checks our pseudo numbers against libseccomp's seccomp-syscalls.h, parsed at run time.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/pseudo.h"
#include "scmpd/arch.h"
#include "util.h"

static const char *dump_path;

static const struct {
        const char *arch, *name;
        int libseccomp, ours;
        const char *reason;
} differences[] = {
        { "x32", "map_shadow_stack", -10245, SCMPD_X32_SYSCALL_BIT | 453,
          "Linux 6.6 added map_shadow_stack to syscall_64.tbl as 'common', so the kernel wires it "
          "for x32 too; libseccomp 2.5.4 (Debian's backport) lists it for x86_64 only" },
        { "parisc64", "_llseek", 140, -10026,
          "the kernel's parisc table (parseable since Linux 5.0) has _llseek (140) in the 32-bit "
          "ABI only; libseccomp 2.5.4 lists it for parisc64 as well" },
};

static bool is_listed_difference(const char *arch, const char *name, int lib, int ours)
{
        for (size_t i = 0; i < ELEMENTSOF(differences); i++)
                if (strcmp(differences[i].arch, arch) == 0 &&
                    strcmp(differences[i].name, name) == 0) {
                        assert_int_equal(differences[i].libseccomp, lib);
                        assert_int_equal(differences[i].ours, ours);
                        return true;
                }
        return false;
}

static void test_oracle_numbers(void **state)
{
        _cleanup_free_ char *line = NULL;
        size_t cap = 0, lines = 0, muxed = 0, listed = 0;
        char cmd[4096];
        FILE *p;

        if (!dump_path)
                fail_msg("usage: test-arch-oracle PATH-TO-arch-oracle-dump");
        assert_true((size_t)snprintf(cmd, sizeof(cmd), "'%s'", dump_path) < sizeof(cmd));
        p = popen(cmd, "re");
        assert_non_null(p);
        while (getline(&line, &cap, p) > 0) {
                char arch_name[64], name[128];
                const struct scmpd_arch *a;
                int lib, ours;

                if (sscanf(line, "%63s %127s %d", arch_name, name, &lib) != 3)
                        fail_msg("cannot parse oracle line '%s'", line);
                lines++;
                a = scmpd_arch_by_name(arch_name);
                if (!a)
                        fail_msg("oracle arch %s unknown to us", arch_name);
                ours = scmpd_syscall_nr(a, name);
                if (ours == lib)
                        continue;
                if (is_listed_difference(arch_name, name, lib, ours)) {
                        listed++;
                        continue;
                }
                if (lib == scmpd_pseudo_nr(name) && ours >= 0 &&
                    scmpd_syscall_mux(a, ours, NULL, NULL) == 1) {
                        muxed++;
                        continue;
                }
                fail_msg("%s %s: libseccomp %d, ours %d", arch_name, name, lib, ours);
        }
        assert_int_equal(pclose(p), 0);
        /* 19 arches times ~480 names: a short dump means the oracle broke, not that we agree. */
        assert_true(lines > 8000);
        /* Every listed difference was seen, so the list cannot rot. */
        assert_int_equal(listed, ELEMENTSOF(differences));
        assert_true(muxed > 100);
        print_message("oracle: %zu lines, %zu multiplexed, %zu listed differences\n", lines, muxed,
                      listed);
}

static void test_oracle_pseudo_header(void **state)
{
        _cleanup_free_ char *line = NULL;
        size_t cap = 0, n = 0;
        FILE *f = fopen("/usr/include/seccomp-syscalls.h", "re");

        if (!f)
                skip();
        while (getline(&line, &cap, f) > 0) {
                char name[128];
                int value;

                if (sscanf(line, "#define __PNR_%127s %d", name, &value) != 2)
                        continue;
                if (scmpd_pseudo_nr(name) != value)
                        fail_msg("__PNR_%s is %d, ours %d", name, value, scmpd_pseudo_nr(name));
                n++;
        }
        fclose(f);
        assert_true(n > 200);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_oracle_numbers),
                cmocka_unit_test(test_oracle_pseudo_header),
        };

        dump_path = argc > 1 ? argv[1] : NULL;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
