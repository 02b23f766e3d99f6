/*
 * api-oracle: libseccomp's documented behaviour, probed call by call, printed one line per probe.
 *
 * This program is compiled against Debian's own seccomp.h and linked against Debian's
 * libseccomp 2.5.4 (the reference oracle; tests only). api-oracle.sh runs it twice, once as
 * built and once with our libseccomp.so.2 swapped in through LD_LIBRARY_PATH, and the two
 * outputs must be identical: same return codes, same attribute values, same resolved names and
 * numbers, same outcome of loaded filters, same errno left by the notify calls. It therefore
 * checks the ABI (the binary was built for libseccomp, not for us) as well as the semantics.
 *
 * Filters are loaded only in forked children (tests/common/child.h), which are always reaped.
 * Nothing here prints a library version or the API level, which differ by design (2.6.0 and
 * level 7 against 2.5.4 and level 6). NULL contexts are not probed: Debian's library crashes on
 * some of them (ours answers -EINVAL).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include "child.h"

static void show(const char *label, long rc)
{
        if (rc < 0 && rc > -4096)
                printf("%-48s %ld (%s)\n", label, rc, strerrorname_np((int)-rc));
        else
                printf("%-48s %ld\n", label, rc);
}

static void show_str(const char *label, char *s)
{
        printf("%-48s %s\n", label, s ? s : "(null)");
        free(s);
}

/* ---- contexts, arches, attributes -------------------------------------------------------- */

static void probe_init(void)
{
        static const struct {
                const char *label;
                uint32_t action;
        } actions[] = {
                { "init ALLOW", SCMP_ACT_ALLOW },
                { "init KILL", SCMP_ACT_KILL },
                { "init KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
                { "init TRAP", SCMP_ACT_TRAP },
                { "init ERRNO(0)", SCMP_ACT_ERRNO(0) },
                { "init ERRNO(4095)", SCMP_ACT_ERRNO(4095) },
                { "init TRACE(65535)", SCMP_ACT_TRACE(65535) },
                { "init LOG", SCMP_ACT_LOG },
                { "init NOTIFY", SCMP_ACT_NOTIFY },
                { "init 0x00010000 (no such action)", 0x00010000U },
                { "init 0x7ff80000 (no such action)", 0x7ff80000U },
                { "init ALLOW|1 (data on ALLOW)", SCMP_ACT_ALLOW | 1 },
        };
        for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
                scmp_filter_ctx ctx = seccomp_init(actions[i].action);
                show(actions[i].label, ctx ? 0 : -1);
                seccomp_release(ctx);
        }

        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        show("reset KILL", seccomp_reset(ctx, SCMP_ACT_KILL));
        uint32_t v = 1234;
        show("  default after reset", seccomp_attr_get(ctx, SCMP_FLTATR_ACT_DEFAULT, &v));
        show("  value", v);
        show("reset bad action", seccomp_reset(ctx, 0x00010000U));
        show("reset NULL", seccomp_reset(NULL, SCMP_ACT_ALLOW));
        seccomp_release(ctx);
}

static void probe_arches(void)
{
        static const char *const names[] = { "x86_64",  "x86",      "x32",         "arm",
                                             "aarch64", "mips",     "mipsel64n32", "ppc64le",
                                             "s390x",   "parisc64", "riscv64",     "amd64",
                                             "i386",    "arm64",    "bogus",       "" };
        char label[96];

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(label, sizeof(label), "arch_resolve_name %s", names[i]);
                show(label, (long)seccomp_arch_resolve_name(names[i]));
        }
        show("arch_resolve_name NULL", (long)seccomp_arch_resolve_name(NULL));
        show("arch_native", (long)seccomp_arch_native());

        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        show("arch_exist native(0)", seccomp_arch_exist(ctx, SCMP_ARCH_NATIVE));
        show("arch_exist x86_64", seccomp_arch_exist(ctx, SCMP_ARCH_X86_64));
        show("arch_exist x86", seccomp_arch_exist(ctx, SCMP_ARCH_X86));
        show("arch_exist bogus", seccomp_arch_exist(ctx, 0xdeadbeef));
        show("arch_add native(0) again", seccomp_arch_add(ctx, SCMP_ARCH_NATIVE));
        show("arch_add x86", seccomp_arch_add(ctx, SCMP_ARCH_X86));
        show("arch_add x86 again", seccomp_arch_add(ctx, SCMP_ARCH_X86));
        show("arch_add x32", seccomp_arch_add(ctx, SCMP_ARCH_X32));
        show("arch_add aarch64", seccomp_arch_add(ctx, SCMP_ARCH_AARCH64));
        show("arch_add bogus", seccomp_arch_add(ctx, 0xdeadbeef));
        show("arch_exist x86 after add", seccomp_arch_exist(ctx, SCMP_ARCH_X86));
        show("arch_remove x86", seccomp_arch_remove(ctx, SCMP_ARCH_X86));
        show("arch_remove x86 again", seccomp_arch_remove(ctx, SCMP_ARCH_X86));
        show("arch_remove bogus", seccomp_arch_remove(ctx, 0xdeadbeef));
        show("arch_remove native(0)", seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE));
        show("arch_exist native after remove", seccomp_arch_exist(ctx, SCMP_ARCH_NATIVE));
        show("arch_add native(0) back", seccomp_arch_add(ctx, SCMP_ARCH_NATIVE));
        show("arch_remove x32", seccomp_arch_remove(ctx, SCMP_ARCH_X32));
        show("arch_remove aarch64", seccomp_arch_remove(ctx, SCMP_ARCH_AARCH64));
        seccomp_release(ctx);
}

static void probe_attrs(void)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(3));
        char label[96];
        uint32_t v;

        for (int a = 0; a <= 9; a++) {
                v = 0xfeedU;
                int rc = seccomp_attr_get(ctx, (enum scmp_filter_attr)a, &v);
                snprintf(label, sizeof(label), "attr_get %d", a);
                show(label, rc);
                if (rc == 0) {
                        snprintf(label, sizeof(label), "  value %d", a);
                        show(label, v);
                }
        }
        show("attr_get 99", seccomp_attr_get(ctx, (enum scmp_filter_attr)99, &v));

        static const struct {
                const char *label;
                int attr;
                uint32_t value;
        } sets[] = {
                { "attr_set DEFAULT ALLOW", SCMP_FLTATR_ACT_DEFAULT, SCMP_ACT_ALLOW },
                { "attr_set BADARCH TRAP", SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP },
                { "attr_set BADARCH bogus", SCMP_FLTATR_ACT_BADARCH, 0x00010000U },
                { "attr_set BADARCH NOTIFY", SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_NOTIFY },
                { "attr_set NNP 0", SCMP_FLTATR_CTL_NNP, 0 },
                { "attr_set NNP 5", SCMP_FLTATR_CTL_NNP, 5 },
                { "attr_set TSYNC 1", SCMP_FLTATR_CTL_TSYNC, 1 },
                { "attr_set TSKIP 1", SCMP_FLTATR_API_TSKIP, 1 },
                { "attr_set LOG 1", SCMP_FLTATR_CTL_LOG, 1 },
                { "attr_set SSB 1", SCMP_FLTATR_CTL_SSB, 1 },
                { "attr_set OPTIMIZE 0", SCMP_FLTATR_CTL_OPTIMIZE, 0 },
                { "attr_set OPTIMIZE 3", SCMP_FLTATR_CTL_OPTIMIZE, 3 },
                { "attr_set OPTIMIZE 2", SCMP_FLTATR_CTL_OPTIMIZE, 2 },
                { "attr_set SYSRAWRC 7", SCMP_FLTATR_API_SYSRAWRC, 7 },
                { "attr_set 0", 0, 1 },
                { "attr_set 99", 99, 1 },
        };
        for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
                show(sets[i].label,
                     seccomp_attr_set(ctx, (enum scmp_filter_attr)sets[i].attr, sets[i].value));
        for (int a = 1; a <= 9; a++) {
                v = 0xfeedU;
                snprintf(label, sizeof(label), "attr_get %d after sets", a);
                show(label, seccomp_attr_get(ctx, (enum scmp_filter_attr)a, &v));
                snprintf(label, sizeof(label), "  value %d", a);
                show(label, v);
        }
        seccomp_release(ctx);
}

/* ---- syscall names ----------------------------------------------------------------------- */

static void probe_names(void)
{
        static const struct {
                uint32_t arch;
                const char *archname, *name;
        } names[] = {
                { 0, "native", "read" },
                { 0, "native", "socketcall" },
                { 0, "native", "setreuid32" },
                { SCMP_ARCH_X86, "x86", "socket" },
                { SCMP_ARCH_X86, "x86", "accept4" },
                { SCMP_ARCH_X86, "x86", "recv" },
                { SCMP_ARCH_X86, "x86", "semop" },
                { SCMP_ARCH_X86, "x86", "shmat" },
                { SCMP_ARCH_X86, "x86", "socketcall" },
                { SCMP_ARCH_X86_64, "x86_64", "socket" },
                { SCMP_ARCH_X32, "x32", "read" },
                { SCMP_ARCH_AARCH64, "aarch64", "open" },
                { SCMP_ARCH_S390X, "s390x", "socket" },
                { SCMP_ARCH_PPC64LE, "ppc64le", "semop" },
                { SCMP_ARCH_MIPS, "mips", "socket" },
                { SCMP_ARCH_ARM, "arm", "socket" },
                { 0xdeadbeef, "bogus", "read" },
                { 0, "native", "NOTASYSCALL" },
                { 0, "native", "" },
        };
        char label[128];

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(label, sizeof(label), "resolve_name_arch %s %s", names[i].archname,
                         names[i].name);
                show(label, seccomp_syscall_resolve_name_arch(names[i].arch, names[i].name));
                snprintf(label, sizeof(label), "resolve_name_rewrite %s %s", names[i].archname,
                         names[i].name);
                show(label, seccomp_syscall_resolve_name_rewrite(names[i].arch, names[i].name));
        }
        show("resolve_name read", seccomp_syscall_resolve_name("read"));
        show("resolve_name NULL", seccomp_syscall_resolve_name(NULL));
        show("resolve_name_arch x86 NULL", seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, NULL));

        static const struct {
                uint32_t arch;
                const char *archname;
                int nr;
        } nums[] = {
                { 0, "native", 0 },
                { 0, "native", 1 },
                { 0, "native", 0x999 },
                { 0, "native", -1 },
                { 0, "native", -101 },
                { 0, "native", -10001 },
                { 0, "native", -99999 },
                { SCMP_ARCH_X86, "x86", 102 },
                { SCMP_ARCH_X86, "x86", 359 },
                { SCMP_ARCH_X86, "x86", -101 },
                { SCMP_ARCH_X86, "x86", -201 },
                { SCMP_ARCH_X32, "x32", 0x40000000 },
                { SCMP_ARCH_X32, "x32", 0 },
                { SCMP_ARCH_AARCH64, "aarch64", 56 },
                { 0xdeadbeef, "bogus", 0 },
        };
        for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
                snprintf(label, sizeof(label), "resolve_num_arch %s %d", nums[i].archname,
                         nums[i].nr);
                show_str(label, seccomp_syscall_resolve_num_arch(nums[i].arch, nums[i].nr));
        }
}

/* ---- rules ------------------------------------------------------------------------------- */

static void probe_rules(void)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        struct scmp_arg_cmp seven[7];
        int getpid_nr = seccomp_syscall_resolve_name("getpid");
        int socketcall_nr = seccomp_syscall_resolve_name("socketcall");

        for (int i = 0; i < 7; i++)
                seven[i] = SCMP_CMP(i % 6, SCMP_CMP_EQ, (scmp_datum_t)i);

        show("rule ALLOW on ALLOW filter", seccomp_rule_add(ctx, SCMP_ACT_ALLOW, getpid_nr, 0));
        show("rule ERRNO(1) getpid", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), getpid_nr, 0));
        show("rule ERRNO(1) getpid again", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), getpid_nr, 0));
        show("rule ERRNO(2) getpid (other action)",
             seccomp_rule_add(ctx, SCMP_ACT_ERRNO(2), getpid_nr, 0));
        show("rule bad action", seccomp_rule_add(ctx, 0x00010000U, getpid_nr, 0));
        show("rule LOG", seccomp_rule_add(ctx, SCMP_ACT_LOG, SCMP_SYS(getppid), 0));
        show("rule KILL_PROCESS", seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(sync), 0));
        show("rule TRACE(7)", seccomp_rule_add(ctx, SCMP_ACT_TRACE(7), SCMP_SYS(getuid), 0));
        show("rule NOTIFY", seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(getgid), 0));
        show("rule 7 args",
             seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(read), 7, seven));
        show("rule 6 args",
             seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(read), 6, seven));
        show("rule 1 arg NULL array",
             seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(read), 1, NULL));
        show("rule arg index 6", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(write), 1,
                                                  SCMP_CMP(6, SCMP_CMP_EQ, 1)));
        show("rule op 0", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(write), 1,
                                           SCMP_CMP(0, (enum scmp_compare)0, 1)));
        show("rule op 8", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(write), 1,
                                           SCMP_CMP(0, (enum scmp_compare)8, 1)));
        show("rule two conditions on arg 0",
             seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(write), 2, SCMP_A0(SCMP_CMP_GT, 1),
                              SCMP_A0(SCMP_CMP_LT, 9)));
        show("rule MASKED_EQ", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(write), 1,
                                                SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf0, 0x10)));
        show("rule all ops", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(9), SCMP_SYS(pread64), 6,
                                              SCMP_A0(SCMP_CMP_NE, 1), SCMP_A1(SCMP_CMP_LT, 2),
                                              SCMP_A2(SCMP_CMP_LE, 3), SCMP_A3(SCMP_CMP_EQ, 4),
                                              SCMP_A4(SCMP_CMP_GE, 5), SCMP_A5(SCMP_CMP_GT, 6)));
        show("rule syscall -1 (TSKIP off)", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), -1, 0));
        show("rule syscall -1 exact (TSKIP off)",
             seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(1), -1, 0));
        show("attr_set TSKIP 1", seccomp_attr_set(ctx, SCMP_FLTATR_API_TSKIP, 1));
        show("rule syscall -1 (TSKIP on)", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), -1, 0));
        show("rule syscall -2", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), -2, 0));
        show("rule syscall -99999", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), -99999, 0));
        show("rule syscall 99999", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), 99999, 0));
        show("rule pseudo socketcall", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), socketcall_nr, 0));
        show("rule_exact pseudo socketcall",
             seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(1), socketcall_nr, 0));
        show("priority getpid 100", seccomp_syscall_priority(ctx, getpid_nr, 100));
        show("priority 99999", seccomp_syscall_priority(ctx, 99999, 1));
        show("priority -101", seccomp_syscall_priority(ctx, -101, 1));
        seccomp_release(ctx);

        /* Multi-arch rules: 32-bit arches, multiplexed socket calls, exact forms. */
        ctx = seccomp_init(SCMP_ACT_ALLOW);
        show("arch_add x86", seccomp_arch_add(ctx, SCMP_ARCH_X86));
        show("rule socket on x86_64+x86", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(socket),
                                                           1, SCMP_A0(SCMP_CMP_EQ, 2)));
        show("rule_exact socket on x86_64+x86",
             seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(2), SCMP_SYS(socket), 1,
                                    SCMP_A0(SCMP_CMP_EQ, 10)));
        show("rule_exact socket, no args",
             seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(3), SCMP_SYS(socket), 0));
        show("rule 64-bit datum on x86", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(read), 1,
                                                          SCMP_A0(SCMP_CMP_EQ, 0x100000001ULL)));
        show("rule_exact 64-bit datum on x86",
             seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(write), 1,
                                    SCMP_A0(SCMP_CMP_EQ, 0x100000001ULL)));
        show("rule_exact arch_prctl on x86_64+x86",
             seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(arch_prctl), 0));
        show("rule arch_prctl on x86_64+x86",
             seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(arch_prctl), 0));
        seccomp_release(ctx);
}

/* ---- merge, export ----------------------------------------------------------------------- */

static void probe_merge_export(void)
{
        scmp_filter_ctx a = seccomp_init(SCMP_ACT_ALLOW);
        scmp_filter_ctx b = seccomp_init(SCMP_ACT_ALLOW);
        scmp_filter_ctx c = seccomp_init(SCMP_ACT_KILL);
        int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

        show("merge same arches", seccomp_merge(a, b));
        show("  b arch_remove native", seccomp_arch_remove(b, SCMP_ARCH_NATIVE));
        show("  b arch_add x86", seccomp_arch_add(b, SCMP_ARCH_X86));
        show("  b rule", seccomp_rule_add(b, SCMP_ACT_ERRNO(4), SCMP_SYS(getpid), 0));
        show("merge different attrs", seccomp_merge(a, c));
        show("merge disjoint", seccomp_merge(a, b));
        show("  a arch_exist x86", seccomp_arch_exist(a, SCMP_ARCH_X86));
        show("arch_add s390x (other byte order)", seccomp_arch_add(a, SCMP_ARCH_S390X));
        show("arch_add ppc64le", seccomp_arch_add(a, SCMP_ARCH_PPC64LE));

        show("export_bpf /dev/null", seccomp_export_bpf(a, devnull));
        show("export_pfc /dev/null", seccomp_export_pfc(a, devnull));
        show("export_bpf fd -1", seccomp_export_bpf(a, -1));
        show("export_pfc fd -1", seccomp_export_pfc(a, -1));
        show("attr_set SYSRAWRC 1", seccomp_attr_set(a, SCMP_FLTATR_API_SYSRAWRC, 1));
        show("export_bpf fd -1 (raw)", seccomp_export_bpf(a, -1));
        show("notify_fd before load", seccomp_notify_fd(a));

        close(devnull);
        seccomp_release(a);
        seccomp_release(c);
}

/* ---- loading, in children ---------------------------------------------------------------- */

static int child_errno_filter(void *arg)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        (void)arg;
        if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(42), SCMP_SYS(getppid), 0) < 0 ||
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(43), SCMP_SYS(dup), 1,
                             SCMP_A0(SCMP_CMP_EQ, 1000)) < 0 ||
            seccomp_load(ctx) < 0)
                return 100;
        if (syscall(SYS_getppid) != -1 || errno != 42)
                return 101;
        if (syscall(SYS_dup, 1000) != -1 || errno != 43)
                return 102;
        if (syscall(SYS_dup, 2000) != -1 || errno != EBADF)
                return 103;
        return 0;
}

static int child_kill_process(void *arg)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        (void)arg;
        if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(getppid), 0) < 0 ||
            seccomp_load(ctx) < 0)
                return 100;
        syscall(SYS_getppid);
        return 101;
}

/* Without CAP_SYS_ADMIN and without no_new_privs the kernel refuses the filter (EACCES). */
static int child_refused(void *arg)
{
        int raw = *(int *)arg;
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

        if (!ctx || seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
            seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, (uint32_t)raw) < 0 ||
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(getppid), 0) < 0)
                return 100;
        if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                return 101;
        return -seccomp_load(ctx); /* the errno the library reported, as the exit code */
}

#if defined(__x86_64__)
/* getppid through the i386 entry (int $0x80), which the kernel reports as AUDIT_ARCH_I386. */
static long i386_getppid(void)
{
        long ret = 64; /* __NR_getppid on i386 */
        __asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
        return ret;
}

/*
 * seccomp_arch_add(3): rules added before an arch is added are not applied to it. The filter
 * below has an x86 section; the exit code tells whether getppid is refused there (5) or not (0).
 */
static int child_rule_before_arch(void *arg)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        long r;

        (void)arg;
        if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(5), SCMP_SYS(getppid), 0) < 0 ||
            seccomp_arch_add(ctx, SCMP_ARCH_X86) < 0 || seccomp_load(ctx) < 0)
                return 100;
        r = i386_getppid();
        return r == -5 ? 5 : r > 0 ? 0 : 101;
}

static int child_rule_after_arch(void *arg)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        long r;

        (void)arg;
        if (!ctx || seccomp_arch_add(ctx, SCMP_ARCH_X86) < 0 ||
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(5), SCMP_SYS(getppid), 0) < 0 ||
            seccomp_load(ctx) < 0)
                return 100;
        r = i386_getppid();
        return r == -5 ? 5 : r > 0 ? 0 : 101;
}
#endif

/* A second filter with NOTIFY rules: libseccomp keeps one listener per process and reuses it.
 * Exit 0 when the second load succeeds and seccomp_notify_fd() gives the first listener. */
static int child_two_notify_filters(void *arg)
{
        scmp_filter_ctx a = seccomp_init(SCMP_ACT_ALLOW);
        scmp_filter_ctx b = seccomp_init(SCMP_ACT_ALLOW);
        int r, fd;

        (void)arg;
        if (!a || !b || seccomp_rule_add(a, SCMP_ACT_NOTIFY, SCMP_SYS(getppid), 0) < 0 ||
            seccomp_rule_add(b, SCMP_ACT_NOTIFY, SCMP_SYS(getuid), 0) < 0 || seccomp_load(a) < 0)
                return 100;
        fd = seccomp_notify_fd(a);
        r = seccomp_load(b);
        if (r < 0)
                return -r;
        if (seccomp_notify_fd(b) != fd)
                return 101;
        return 0;
}

/* The listener is the process's: any context answers it; seccomp_reset(NULL) closes it. */
static int child_listener_is_process_wide(void *arg)
{
        scmp_filter_ctx a = seccomp_init(SCMP_ACT_ALLOW);
        scmp_filter_ctx other = seccomp_init(SCMP_ACT_ALLOW);
        int fd;

        (void)arg;
        if (!a || !other || seccomp_notify_fd(other) != -EFAULT)
                return 100;
        if (seccomp_rule_add(a, SCMP_ACT_NOTIFY, SCMP_SYS(getppid), 0) < 0 || seccomp_load(a) < 0)
                return 101;
        fd = seccomp_notify_fd(a);
        if (fd < 0 || seccomp_notify_fd(other) != fd)
                return 102;
        seccomp_release(a);
        if (fcntl(fd, F_GETFD) < 0)
                return 103; /* releasing the context leaves it open */
        if (seccomp_reset(NULL, SCMP_ACT_ALLOW) != 0)
                return 104;
        if (fcntl(fd, F_GETFD) >= 0 || seccomp_notify_fd(other) != -EFAULT)
                return 105;
        return 0;
}

static void run_child(const char *label, int (*fn)(void *), void *arg)
{
        int status = 0;
        pid_t pid;

        fflush(stdout);
        pid = child_spawn(fn, arg);
        if (pid < 0) {
                show(label, pid);
                return;
        }
        if (child_reap(pid, 10000, &status) < 0)
                printf("%-48s timeout\n", label);
        else
                printf("%-48s %s\n", label, child_status_str(status));
}

static void probe_load(void)
{
        int raw0 = 0, raw1 = 1;

        run_child("load ERRNO rules, call them", child_errno_filter, NULL);
        run_child("load KILL_PROCESS rule, call it", child_kill_process, NULL);
#if defined(__x86_64__)
        run_child("x86 section: rule added before arch_add", child_rule_before_arch, NULL);
        run_child("x86 section: rule added after arch_add", child_rule_after_arch, NULL);
#endif
        run_child("two filters with NOTIFY rules", child_two_notify_filters, NULL);
        run_child("listener is process-wide, reset(NULL) closes", child_listener_is_process_wide,
                  NULL);
        if (geteuid() == 0) {
                run_child("load refused by kernel (EACCES)", child_refused, &raw0);
                run_child("load refused by kernel (EACCES), raw", child_refused, &raw1);
        }
}

/* ---- notify calls without a target ------------------------------------------------------- */

static void probe_notify(void)
{
        struct seccomp_notif *req = NULL;
        struct seccomp_notif_resp *resp = NULL;
        int rc;

        show("notify_alloc", seccomp_notify_alloc(&req, &resp));
        show("  req allocated", req != NULL);
        show("  resp allocated", resp != NULL);
        errno = 0;
        rc = seccomp_notify_receive(-1, req);
        show("notify_receive fd -1", rc);
        show("  errno", -errno);
        errno = 0;
        resp->id = 1;
        rc = seccomp_notify_respond(-1, resp);
        show("notify_respond fd -1", rc);
        show("  errno", -errno);
        errno = 0;
        rc = seccomp_notify_id_valid(-1, 1);
        show("notify_id_valid fd -1", rc);
        show("  errno", -errno);
        seccomp_notify_free(req, resp);
        seccomp_notify_free(NULL, NULL);
        printf("%-48s %s\n", "notify_free NULL", "returned");
}

/* ---- what each forced API level permits (last: it changes the library's state) ---------- */

static void probe_levels(void)
{
        char label[96];

        for (unsigned level = 1; level <= 6; level++) {
                scmp_filter_ctx ctx;
                struct seccomp_notif *req = NULL;
                struct seccomp_notif_resp *resp = NULL;

                snprintf(label, sizeof(label), "api_set %u", level);
                show(label, seccomp_api_set(level));
                snprintf(label, sizeof(label), "  api_get at %u", level);
                show(label, seccomp_api_get());
                ctx = seccomp_init(SCMP_ACT_LOG);
                snprintf(label, sizeof(label), "  init LOG at %u", level);
                show(label, ctx ? 0 : -1);
                seccomp_release(ctx);
                ctx = seccomp_init(SCMP_ACT_ALLOW);
                static const struct {
                        const char *name;
                        int attr;
                } attrs[] = {
                        { "TSYNC", SCMP_FLTATR_CTL_TSYNC },
                        { "LOG", SCMP_FLTATR_CTL_LOG },
                        { "SSB", SCMP_FLTATR_CTL_SSB },
                };
                for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
                        snprintf(label, sizeof(label), "  attr_set %s 1 at %u", attrs[i].name,
                                 level);
                        show(label, seccomp_attr_set(ctx, (enum scmp_filter_attr)attrs[i].attr, 1));
                        snprintf(label, sizeof(label), "  attr_set %s 0 at %u", attrs[i].name,
                                 level);
                        show(label, seccomp_attr_set(ctx, (enum scmp_filter_attr)attrs[i].attr, 0));
                }
                snprintf(label, sizeof(label), "  rule KILL_PROCESS at %u", level);
                show(label, seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(sync), 0));
                snprintf(label, sizeof(label), "  rule NOTIFY at %u", level);
                show(label, seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(getgid), 0));
                snprintf(label, sizeof(label), "  attr_set BADARCH LOG at %u", level);
                show(label, seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_LOG));
                snprintf(label, sizeof(label), "  notify_alloc at %u", level);
                show(label, seccomp_notify_alloc(&req, &resp));
                if (req && resp) {
                        errno = 0;
                        snprintf(label, sizeof(label), "  notify_receive fd -1 at %u", level);
                        show(label, seccomp_notify_receive(-1, req));
                        show("    errno", -errno);
                        errno = 0;
                        snprintf(label, sizeof(label), "  notify_respond fd -1 at %u", level);
                        show(label, seccomp_notify_respond(-1, resp));
                        show("    errno", -errno);
                }
                errno = 0;
                snprintf(label, sizeof(label), "  notify_id_valid fd -1 at %u", level);
                show(label, seccomp_notify_id_valid(-1, 1));
                show("    errno", -errno);
                seccomp_notify_free(req, resp);
                seccomp_release(ctx);
        }
        show("api_set 0", seccomp_api_set(0));
        show("api_set 99", seccomp_api_set(99));
}

int main(void)
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        probe_init();
        probe_arches();
        probe_attrs();
        probe_names();
        probe_rules();
        probe_merge_export();
        probe_load();
        probe_notify();
        probe_levels();
        return 0;
}
