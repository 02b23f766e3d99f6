/*
 * Arches and syscall tables: the facts of each arch, the agreement of our x86 tables with this
 * machine's kernel headers (parsed at run time), the syscalls of Linux 6.13 to 6.18 on every
 * arch, pseudo numbers, translation, the socketcall/ipc mapping and the internal consistency of
 * both lookup directions.
 */
#include <ctype.h>
#include <errno.h>
#include <linux/audit.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/pseudo.h"
#include "arch/tables.h"
#include "scmpd/arch.h"
#include "util.h"

static const struct scmpd_arch *arch(const char *name)
{
        const struct scmpd_arch *a = scmpd_arch_by_name(name);

        if (!a)
                fail_msg("arch %s unknown", name);
        return a;
}

static void test_arch_list(void **state)
{
        static const char *const expected[] = {
                "x86",         "x86_64", "x32",      "arm",    "aarch64",  "loongarch64",
                "m68k",        "mips",   "mipsel",   "mips64", "mipsel64", "mips64n32",
                "mipsel64n32", "parisc", "parisc64", "ppc",    "ppc64",    "ppc64le",
                "riscv64",     "s390",   "s390x",    "sh",     "sheb",
        };

        assert_int_equal(scmpd_arch_count(), ELEMENTSOF(expected));
        for (size_t i = 0; i < ELEMENTSOF(expected); i++) {
                const struct scmpd_arch *a = scmpd_arch_at(i);
                assert_non_null(a);
                assert_string_equal(a->name, expected[i]);
                assert_ptr_equal(scmpd_arch_by_name(a->name), a);
                assert_ptr_equal(scmpd_arch_by_token(a->token), a);
                assert_true(a->word_bits == 32 || a->word_bits == 64);
                /* arches[] and the generated tables are in the same order. */
                assert_string_equal(scmpd_gen_tables[i].arch, a->name);
                /* Every arch has a table, and it is not empty. */
                assert_true(scmpd_syscall_iter(a, 0, NULL, NULL));
        }
        assert_null(scmpd_arch_at(ELEMENTSOF(expected)));
        assert_null(scmpd_arch_at(SIZE_MAX));
}

static void test_arch_tokens(void **state)
{
        /* The kernel's own constants where this machine's uapi header has them. */
        assert_int_equal(arch("x86")->token, AUDIT_ARCH_I386);
        assert_int_equal(arch("x86_64")->token, AUDIT_ARCH_X86_64);
        assert_int_equal(arch("arm")->token, AUDIT_ARCH_ARM);
        assert_int_equal(arch("aarch64")->token, AUDIT_ARCH_AARCH64);
        assert_int_equal(arch("m68k")->token, AUDIT_ARCH_M68K);
        assert_int_equal(arch("mips")->token, AUDIT_ARCH_MIPS);
        assert_int_equal(arch("mipsel")->token, AUDIT_ARCH_MIPSEL);
        assert_int_equal(arch("mips64")->token, AUDIT_ARCH_MIPS64);
        assert_int_equal(arch("mipsel64")->token, AUDIT_ARCH_MIPSEL64);
        assert_int_equal(arch("mips64n32")->token, AUDIT_ARCH_MIPS64N32);
        assert_int_equal(arch("mipsel64n32")->token, AUDIT_ARCH_MIPSEL64N32);
        assert_int_equal(arch("parisc")->token, AUDIT_ARCH_PARISC);
        assert_int_equal(arch("parisc64")->token, AUDIT_ARCH_PARISC64);
        assert_int_equal(arch("ppc")->token, AUDIT_ARCH_PPC);
        assert_int_equal(arch("ppc64")->token, AUDIT_ARCH_PPC64);
        assert_int_equal(arch("ppc64le")->token, AUDIT_ARCH_PPC64LE);
        assert_int_equal(arch("riscv64")->token, AUDIT_ARCH_RISCV64);
        assert_int_equal(arch("s390")->token, AUDIT_ARCH_S390);
        assert_int_equal(arch("s390x")->token, AUDIT_ARCH_S390X);
        assert_int_equal(arch("sh")->token, AUDIT_ARCH_SHEL);
        assert_int_equal(arch("sheb")->token, AUDIT_ARCH_SH);
#ifdef AUDIT_ARCH_LOONGARCH64
        assert_int_equal(arch("loongarch64")->token, AUDIT_ARCH_LOONGARCH64);
#else
        assert_int_equal(arch("loongarch64")->token, 258u | 0x80000000u | 0x40000000u);
#endif
        /* x32: libseccomp's token, x86_64's machine without the 64-bit flag. */
        assert_int_equal(arch("x32")->token, 0x4000003eu);

        for (size_t i = 0; i < scmpd_arch_count(); i++) {
                const struct scmpd_arch *a = scmpd_arch_at(i);
                bool flag64 = a->token & 0x80000000u, le = a->token & 0x40000000u;
                /* The token's endianness flag agrees with the struct; the 64-bit flag with the
                 * word size, except for the 32-bit ABIs on 64-bit registers. */
                assert_int_equal(le, !a->big_endian);
                if (strcmp(a->name, "mips64n32") != 0 && strcmp(a->name, "mipsel64n32") != 0)
                        assert_int_equal(flag64, a->word_bits == 64);
        }
        assert_int_equal(arch("x32")->word_bits, 32);
        assert_null(scmpd_arch_by_token(0));
        assert_null(scmpd_arch_by_token(0xffffffffu));
}

static void test_arch_names_and_aliases(void **state)
{
        assert_ptr_equal(scmpd_arch_by_name("amd64"), arch("x86_64"));
        assert_ptr_equal(scmpd_arch_by_name("i386"), arch("x86"));
        assert_ptr_equal(scmpd_arch_by_name("arm64"), arch("aarch64"));
        assert_ptr_equal(scmpd_arch_by_name("loong64"), arch("loongarch64"));
        assert_ptr_equal(scmpd_arch_by_name("ppc64el"), arch("ppc64le"));
        assert_ptr_equal(scmpd_arch_by_name("mips64el"), arch("mipsel64"));
        assert_ptr_equal(scmpd_arch_by_name("SCMP_ARCH_X86_64"), arch("x86_64"));
        assert_ptr_equal(scmpd_arch_by_name("SCMP_ARCH_MIPSEL64N32"), arch("mipsel64n32"));
        assert_ptr_equal(scmpd_arch_by_name("SCMP_ARCH_SHEB"), arch("sheb"));
        assert_null(scmpd_arch_by_name("SCMP_ARCH_"));
        assert_null(scmpd_arch_by_name("SCMP_ARCH_NATIVE"));
        assert_null(scmpd_arch_by_name("X86_64"));
        assert_null(scmpd_arch_by_name(""));
        assert_null(scmpd_arch_by_name("vax"));
        assert_null(scmpd_arch_by_name(NULL));
}

static void test_arch_native(void **state)
{
        const struct scmpd_arch *n = scmpd_arch_native();

        assert_non_null(n);
#if defined(__x86_64__) && !defined(__ILP32__)
        assert_string_equal(n->name, "x86_64");
#elif defined(__aarch64__)
        assert_string_equal(n->name, "aarch64");
#endif
        assert_true(n->big_endian == (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__));
}

static void test_arch_multiplexers(void **state)
{
        static const char *const with[] = { "x86",     "m68k", "mips",  "mipsel", "ppc", "ppc64",
                                            "ppc64le", "s390", "s390x", "sh",     "sheb" };

        for (size_t i = 0; i < scmpd_arch_count(); i++) {
                const struct scmpd_arch *a = scmpd_arch_at(i);
                bool expect = false;
                for (size_t j = 0; j < ELEMENTSOF(with); j++)
                        expect = expect || strcmp(with[j], a->name) == 0;
                if (!expect) {
                        assert_int_equal(a->socketcall_nr, SCMPD_NR_NONE);
                        assert_int_equal(a->ipc_nr, SCMPD_NR_NONE);
                        continue;
                }
                assert_int_equal(a->socketcall_nr, scmpd_syscall_nr(a, "socketcall"));
                assert_int_equal(a->ipc_nr, scmpd_syscall_nr(a, "ipc"));
                assert_true(a->socketcall_nr > 0 && a->ipc_nr > 0);
        }
        assert_int_equal(arch("x86")->socketcall_nr, 102);
        assert_int_equal(arch("x86")->ipc_nr, 117);
        assert_int_equal(arch("mips")->socketcall_nr, 4102);
        assert_int_equal(arch("mips")->ipc_nr, 4117);
}

/*
 * Parse "#define __NR_name value" lines of a kernel uapi header; x32's values read
 * "(__X32_SYSCALL_BIT + N)". Calls check(name, nr) for each; returns how many.
 */
static size_t parse_unistd(const char *path, const struct scmpd_arch *a)
{
        _cleanup_free_ char *line = NULL;
        size_t cap = 0, n = 0;
        FILE *f = fopen(path, "re");

        if (!f) {
                if (errno == ENOENT)
                        return 0;
                fail_msg("cannot open %s: %m", path);
        }
        while (getline(&line, &cap, f) > 0) {
                char name[128], value[128];
                long nr;
                char *end;

                if (sscanf(line, "#define __NR_%127s %127[^\n]", name, value) != 2)
                        continue;
                if (strncmp(value, "(__X32_SYSCALL_BIT + ", 21) == 0)
                        nr = SCMPD_X32_SYSCALL_BIT + strtol(value + 21, &end, 10);
                else
                        nr = strtol(value, &end, 10);
                if (end == value)
                        fail_msg("%s: cannot parse '%s'", path, line);
                if (scmpd_syscall_nr(a, name) != nr)
                        fail_msg("%s: %s is %ld in the header, %d in our table", a->name, name, nr,
                                 scmpd_syscall_nr(a, name));
                if (!scmpd_syscall_name(a, (int)nr) || strcmp(scmpd_syscall_name(a, (int)nr), name))
                        fail_msg("%s: %ld is %s in the header, %s in our table", a->name, nr, name,
                                 scmpd_syscall_name(a, (int)nr));
                n++;
        }
        fclose(f);
        return n;
}

static void test_x86_kernel_headers(void **state)
{
        static const struct {
                const char *arch, *header;
                size_t min;
        } cases[] = {
                { "x86_64", "/usr/include/x86_64-linux-gnu/asm/unistd_64.h", 350 },
                { "x86", "/usr/include/x86_64-linux-gnu/asm/unistd_32.h", 420 },
                { "x32", "/usr/include/x86_64-linux-gnu/asm/unistd_x32.h", 350 },
        };
        size_t total = 0;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t n = parse_unistd(cases[i].header, arch(cases[i].arch));
                if (n == 0)
                        continue;
                /* A header that parses to a handful of lines means the parser broke. */
                assert_true(n >= cases[i].min);
                total += n;
        }
        if (total == 0)
                skip();
}

/* Offset of an arch's unified numbering: the number of syscall 463 minus 463. */
static int unified(const struct scmpd_arch *a, int nr)
{
        if (strcmp(a->name, "x32") == 0)
                return nr | SCMPD_X32_SYSCALL_BIT;
        if (strncmp(a->name, "mips", 4) == 0)
                return nr + (strstr(a->name, "n32") ? 6000 : a->word_bits == 64 ? 5000 : 4000);
        return nr;
}

static void test_recent_syscalls(void **state)
{
        static const struct {
                const char *name;
                int nr;
        } everywhere[] = {
                /* 6.8 to 6.10, from the 6.12 tables. */
                { "statmount", 457 },
                { "listmount", 458 },
                { "lsm_get_self_attr", 459 },
                { "lsm_set_self_attr", 460 },
                { "lsm_list_modules", 461 },
                { "mseal", 462 },
                /* 6.13 to 6.17, added by the generator. */
                { "setxattrat", 463 },
                { "getxattrat", 464 },
                { "listxattrat", 465 },
                { "removexattrat", 466 },
                { "open_tree_attr", 467 },
                { "file_getattr", 468 },
                { "file_setattr", 469 },
        };

        for (size_t i = 0; i < scmpd_arch_count(); i++) {
                const struct scmpd_arch *a = scmpd_arch_at(i);
                for (size_t j = 0; j < ELEMENTSOF(everywhere); j++) {
                        int want = unified(a, everywhere[j].nr);
                        if (scmpd_syscall_nr(a, everywhere[j].name) != want)
                                fail_msg("%s %s: %d, want %d", a->name, everywhere[j].name,
                                         scmpd_syscall_nr(a, everywhere[j].name), want);
                        assert_string_equal(scmpd_syscall_name(a, want), everywhere[j].name);
                }
                /* 6.18's uprobe is x86-64 only (x32 shares the table); elsewhere a pseudo. */
                if (strcmp(a->name, "x86_64") == 0 || strcmp(a->name, "x32") == 0)
                        assert_int_equal(scmpd_syscall_nr(a, "uprobe"), unified(a, 336));
                else
                        assert_int_equal(scmpd_syscall_nr(a, "uprobe"), scmpd_pseudo_nr("uprobe"));
                /* Nothing past 469 yet in the unified numbering (470 came after 6.18). */
                assert_null(scmpd_syscall_name(a, unified(a, 470)));
        }
        assert_true(scmpd_pseudo_nr("uprobe") < -20000);
        /* The release the tables claim (scmpctl status, --version) is the one pinned above. */
        assert_string_equal(scmpd_syscall_tables_linux(), "6.18");
}

static void test_lookup_basics(void **state)
{
        const struct scmpd_arch *x64 = arch("x86_64"), *x86 = arch("x86");

        assert_int_equal(scmpd_syscall_nr(x64, "read"), 0);
        assert_int_equal(scmpd_syscall_nr(x86, "read"), 3);
        assert_int_equal(scmpd_syscall_nr(arch("aarch64"), "read"), 63);
        assert_int_equal(scmpd_syscall_nr(arch("mips"), "read"), 4003);
        assert_int_equal(scmpd_syscall_nr(arch("mips64"), "read"), 5000);
        assert_int_equal(scmpd_syscall_nr(arch("mips64n32"), "read"), 6000);
        assert_int_equal(scmpd_syscall_nr(arch("x32"), "read"), SCMPD_X32_SYSCALL_BIT);
        assert_int_equal(scmpd_syscall_nr(arch("arm"), "breakpoint"), 0x0f0001);
        assert_int_equal(scmpd_syscall_nr(arch("arm"), "set_tls"), 0x0f0005);
        assert_int_equal(scmpd_syscall_nr(arch("x32"), "preadv2"), SCMPD_X32_SYSCALL_BIT + 546);

        /* A syscall the arch lacks: its pseudo number, libseccomp's where it has one. */
        assert_int_equal(scmpd_syscall_nr(arch("aarch64"), "open"), -10166);
        assert_int_equal(scmpd_pseudo_nr("open"), -10166);
        assert_int_equal(scmpd_syscall_nr(x64, "socketcall"), -10060);
        assert_int_equal(scmpd_syscall_nr(x64, "socketcall"), scmpd_pseudo_nr("socketcall"));
        assert_int_equal(scmpd_syscall_nr(x64, "semop"), 65);
        assert_int_equal(scmpd_syscall_nr(x86, "semop"), -201);
        assert_string_equal(scmpd_syscall_name(x64, -201), "semop");
        assert_string_equal(scmpd_syscall_name(x86, -101), "socket");
        assert_string_equal(scmpd_syscall_name(x64, -10191), "switch_endian");

        /* Unknown everywhere. */
        assert_int_equal(scmpd_syscall_nr(x64, "no_such_syscall"), SCMPD_NR_NONE);
        assert_int_equal(scmpd_syscall_nr(x64, ""), SCMPD_NR_NONE);
        assert_int_equal(scmpd_syscall_nr(x64, NULL), SCMPD_NR_NONE);
        assert_int_equal(scmpd_syscall_nr(NULL, "read"), SCMPD_NR_NONE);
        assert_null(scmpd_syscall_name(x64, 100000));
        assert_null(scmpd_syscall_name(x64, SCMPD_NR_NONE));
        assert_null(scmpd_syscall_name(x64, -2));
        assert_null(scmpd_syscall_name(x64, INT32_MIN));
        assert_null(scmpd_syscall_name(x64, INT32_MAX));
        assert_null(scmpd_syscall_name(NULL, 0));
        /* x86_64 numbers never carry the x32 bit; x32 numbers name the same call with or
         * without it, as libseccomp resolves them. */
        assert_null(scmpd_syscall_name(x64, SCMPD_X32_SYSCALL_BIT));
        assert_string_equal(scmpd_syscall_name(arch("x32"), 0), "read");
        assert_string_equal(scmpd_syscall_name(arch("x32"), 546), "preadv2");
        assert_null(scmpd_syscall_name(arch("x32"), 508));
        /* A pointer that is not one of ours is refused, not dereferenced as a table. */
        struct scmpd_arch fake = *x64;
        assert_int_equal(scmpd_syscall_nr(&fake, "read"), SCMPD_NR_NONE);
}

/* The arches libseccomp 2.5.4 cannot check for us, and the ABI filtering of the generic table
 * (arch/ARCH/kernel/Makefile.syscalls): facts from each arch's uapi unistd headers. */
static void test_arches_without_oracle(void **state)
{
        const struct scmpd_arch *la = arch("loongarch64"), *rv = arch("riscv64"),
                                *a64 = arch("aarch64");

        assert_int_equal(scmpd_syscall_nr(arch("m68k"), "read"), 3);
        assert_int_equal(scmpd_syscall_nr(arch("m68k"), "open"), 5);
        assert_int_equal(scmpd_syscall_nr(arch("sh"), "read"), 3);
        assert_int_equal(scmpd_syscall_nr(arch("sheb"), "socketcall"), 102);
        assert_int_equal(scmpd_syscall_nr(la, "read"), 63);
        assert_int_equal(scmpd_syscall_nr(la, "openat"), 56);
        /* loongarch: fstat/newfstatat are back since 6.11, no getrlimit, no memfd_secret. */
        assert_int_equal(scmpd_syscall_nr(la, "fstat"), 80);
        assert_int_equal(scmpd_syscall_nr(la, "newfstatat"), 79);
        assert_int_equal(scmpd_syscall_nr(la, "getrlimit"), scmpd_pseudo_nr("getrlimit"));
        assert_int_equal(scmpd_syscall_nr(la, "memfd_secret"), scmpd_pseudo_nr("memfd_secret"));
        assert_int_equal(scmpd_syscall_nr(la, "renameat"), scmpd_pseudo_nr("renameat"));
        /* riscv64: its own calls, rlimit and memfd_secret, but no renameat. */
        assert_int_equal(scmpd_syscall_nr(rv, "riscv_hwprobe"), 258);
        assert_int_equal(scmpd_syscall_nr(rv, "riscv_flush_icache"), 259);
        assert_int_equal(scmpd_syscall_nr(rv, "getrlimit"), 163);
        assert_int_equal(scmpd_syscall_nr(rv, "memfd_secret"), 447);
        assert_int_equal(scmpd_syscall_nr(rv, "renameat"), scmpd_pseudo_nr("renameat"));
        /* aarch64: renameat, rlimit, memfd_secret; no time32 or 32-bit-only calls. */
        assert_int_equal(scmpd_syscall_nr(a64, "renameat"), 38);
        assert_int_equal(scmpd_syscall_nr(a64, "getrlimit"), 163);
        assert_int_equal(scmpd_syscall_nr(a64, "memfd_secret"), 447);
        assert_int_equal(scmpd_syscall_nr(a64, "fcntl"), 25);
        assert_int_equal(scmpd_syscall_nr(a64, "fcntl64"), scmpd_pseudo_nr("fcntl64"));
        assert_int_equal(scmpd_syscall_nr(a64, "clock_gettime64"),
                         scmpd_pseudo_nr("clock_gettime64"));
        assert_int_equal(scmpd_syscall_nr(a64, "riscv_hwprobe"), scmpd_pseudo_nr("riscv_hwprobe"));
        /* mips placeholders ("unused18", "reserved177") are not syscalls. */
        assert_int_equal(scmpd_syscall_nr(arch("mips"), "unused18"), SCMPD_NR_NONE);
        assert_null(scmpd_syscall_name(arch("mips64"), 5177));
}

static void test_translate(void **state)
{
        const struct scmpd_arch *x64 = arch("x86_64"), *x86 = arch("x86"), *a64 = arch("aarch64");

        assert_int_equal(scmpd_syscall_translate(x64, 0, x86), 3);
        assert_int_equal(scmpd_syscall_translate(x86, 3, a64), 63);
        /* open exists on x86_64 (2) but not on aarch64: the pseudo number. */
        assert_int_equal(scmpd_syscall_translate(x64, 2, a64), scmpd_pseudo_nr("open"));
        /* and a pseudo number comes back real where the target has it. */
        assert_int_equal(scmpd_syscall_translate(a64, scmpd_pseudo_nr("open"), x64), 2);
        assert_int_equal(scmpd_syscall_translate(x64, 100000, x86), SCMPD_NR_NONE);
        assert_int_equal(scmpd_syscall_translate(x64, 0, NULL), SCMPD_NR_NONE);
        assert_int_equal(scmpd_syscall_translate(NULL, 0, x86), SCMPD_NR_NONE);
}

static void test_mux(void **state)
{
        static const struct {
                const char *name;
                enum scmpd_mux mux;
                uint32_t call;
        } calls[] = {
                { "socket", SCMPD_MUX_SOCKETCALL, 1 },
                { "bind", SCMPD_MUX_SOCKETCALL, 2 },
                { "connect", SCMPD_MUX_SOCKETCALL, 3 },
                { "listen", SCMPD_MUX_SOCKETCALL, 4 },
                { "accept", SCMPD_MUX_SOCKETCALL, 5 },
                { "getsockname", SCMPD_MUX_SOCKETCALL, 6 },
                { "getpeername", SCMPD_MUX_SOCKETCALL, 7 },
                { "socketpair", SCMPD_MUX_SOCKETCALL, 8 },
                { "send", SCMPD_MUX_SOCKETCALL, 9 },
                { "recv", SCMPD_MUX_SOCKETCALL, 10 },
                { "sendto", SCMPD_MUX_SOCKETCALL, 11 },
                { "recvfrom", SCMPD_MUX_SOCKETCALL, 12 },
                { "shutdown", SCMPD_MUX_SOCKETCALL, 13 },
                { "setsockopt", SCMPD_MUX_SOCKETCALL, 14 },
                { "getsockopt", SCMPD_MUX_SOCKETCALL, 15 },
                { "sendmsg", SCMPD_MUX_SOCKETCALL, 16 },
                { "recvmsg", SCMPD_MUX_SOCKETCALL, 17 },
                { "accept4", SCMPD_MUX_SOCKETCALL, 18 },
                { "recvmmsg", SCMPD_MUX_SOCKETCALL, 19 },
                { "sendmmsg", SCMPD_MUX_SOCKETCALL, 20 },
                { "semop", SCMPD_MUX_IPC, 1 },
                { "semget", SCMPD_MUX_IPC, 2 },
                { "semctl", SCMPD_MUX_IPC, 3 },
                { "semtimedop", SCMPD_MUX_IPC, 4 },
                { "msgsnd", SCMPD_MUX_IPC, 11 },
                { "msgrcv", SCMPD_MUX_IPC, 12 },
                { "msgget", SCMPD_MUX_IPC, 13 },
                { "msgctl", SCMPD_MUX_IPC, 14 },
                { "shmat", SCMPD_MUX_IPC, 21 },
                { "shmdt", SCMPD_MUX_IPC, 22 },
                { "shmget", SCMPD_MUX_IPC, 23 },
                { "shmctl", SCMPD_MUX_IPC, 24 },
        };
        enum scmpd_mux mux;
        uint32_t call;

        for (size_t i = 0; i < scmpd_arch_count(); i++) {
                const struct scmpd_arch *a = scmpd_arch_at(i);
                for (size_t j = 0; j < ELEMENTSOF(calls); j++) {
                        int nr = scmpd_syscall_nr(a, calls[j].name);
                        bool has = calls[j].mux == SCMPD_MUX_SOCKETCALL ? a->socketcall_nr >= 0
                                                                        : a->ipc_nr >= 0;
                        int r;

                        mux = SCMPD_MUX_NONE;
                        call = 0;
                        assert_int_not_equal(nr, SCMPD_NR_NONE);
                        r = scmpd_syscall_mux(a, nr, &mux, &call);
                        if (!has) {
                                assert_int_equal(r, 0);
                                assert_int_equal(mux, SCMPD_MUX_NONE);
                                continue;
                        }
                        assert_int_equal(r, 1);
                        assert_int_equal(mux, calls[j].mux);
                        assert_int_equal(call, calls[j].call);
                        /* The pseudo number works as well as the direct one. */
                        if (scmpd_pseudo_nr(calls[j].name) != SCMPD_NR_NONE)
                                assert_int_equal(scmpd_syscall_mux(a,
                                                                   scmpd_pseudo_nr(calls[j].name),
                                                                   NULL, NULL),
                                                 1);
                }
                assert_int_equal(scmpd_syscall_mux(a, scmpd_syscall_nr(a, "read"), &mux, &call), 0);
                assert_int_equal(scmpd_syscall_mux(a, 100000, &mux, &call), 0);
        }
        assert_int_equal(scmpd_syscall_mux(NULL, 0, &mux, &call), -EINVAL);
}

static void test_tables_consistent(void **state)
{
        for (size_t i = 0; i < scmpd_arch_count(); i++) {
                const struct scmpd_arch *a = scmpd_arch_at(i);
                const char *name;
                int nr, prev = -1;
                size_t n = 0;

                while (scmpd_syscall_iter(a, n, &nr, &name)) {
                        assert_true(nr > prev);
                        assert_true(nr >= 0);
                        prev = nr;
                        assert_int_equal(scmpd_syscall_nr(a, name), nr);
                        assert_string_equal(scmpd_syscall_name(a, nr), name);
                        /* x32 numbers carry the bit, nobody else's do. */
                        assert_int_equal(!!(nr & SCMPD_X32_SYSCALL_BIT),
                                         strcmp(a->name, "x32") == 0);
                        n++;
                }
                assert_true(n > 250);
                assert_false(scmpd_syscall_iter(a, SIZE_MAX, &nr, &name));
        }
        assert_false(scmpd_syscall_iter(NULL, 0, NULL, NULL));
}

static void test_pseudo(void **state)
{
        const char *name;
        int nr, prev = 0;
        size_t n;

        assert_true(scmpd_pseudo_count() > 240);
        for (n = 0; scmpd_pseudo_at(n, &name, &nr); n++) {
                /* Descending, negative, never -1, never a real number anywhere. */
                assert_true(nr <= prev);
                assert_true(nr < SCMPD_NR_NONE);
                assert_int_equal(scmpd_pseudo_nr(name), nr);
                prev = nr;
                for (size_t i = 0; i < scmpd_arch_count(); i++) {
                        const struct scmpd_arch *a = scmpd_arch_at(i);
                        int real = scmpd_syscall_nr(a, name);
                        assert_true(real >= 0 || real == nr);
                        if (nr != -10191)
                                assert_string_equal(scmpd_syscall_name(a, nr), name);
                }
        }
        assert_int_equal(n, scmpd_pseudo_count());
        /* Every name some arch lacks has a pseudo number. */
        for (size_t i = 0; i < scmpd_arch_count(); i++) {
                const struct scmpd_arch *a = scmpd_arch_at(i);
                for (size_t k = 0; scmpd_syscall_iter(a, k, NULL, &name); k++)
                        for (size_t j = 0; j < scmpd_arch_count(); j++)
                                assert_int_not_equal(scmpd_syscall_nr(scmpd_arch_at(j), name),
                                                     SCMPD_NR_NONE);
        }
        assert_int_equal(scmpd_pseudo_nr("read"), SCMPD_NR_NONE);
        assert_int_equal(scmpd_pseudo_nr("nope"), SCMPD_NR_NONE);
        assert_int_equal(scmpd_pseudo_nr(NULL), SCMPD_NR_NONE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_arch_list),
                cmocka_unit_test(test_arch_tokens),
                cmocka_unit_test(test_arch_names_and_aliases),
                cmocka_unit_test(test_arch_native),
                cmocka_unit_test(test_arch_multiplexers),
                cmocka_unit_test(test_x86_kernel_headers),
                cmocka_unit_test(test_recent_syscalls),
                cmocka_unit_test(test_lookup_basics),
                cmocka_unit_test(test_arches_without_oracle),
                cmocka_unit_test(test_translate),
                cmocka_unit_test(test_mux),
                cmocka_unit_test(test_tables_consistent),
                cmocka_unit_test(test_pseudo),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
