/*
 * The parts of the libseccomp 2.6 interface that Debian's 2.5.4 lacks, so that no oracle covers
 * them: built against OUR seccomp.h and linked against OUR libseccomp.so.2. Version and API
 * level (probe, override, the gates it sets), seccomp_export_bpf_mem()'s size protocol and its
 * agreement with seccomp_export_bpf(), transactions (nested, and their failure cases),
 * precompute, the binary-tree layout, seccomp_notify_addfd() on a live notification, and one
 * test for each bug libseccomp 2.6.1 fixed (export overrun, oversized programs, merged NOTIFY).
 * Filters are loaded only in forked children, which are always reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>
#include <seccomp.h>

#include "child.h"

/* The whole program as seccomp_export_bpf() writes it, through a pipe. */
static size_t export_fd(scmp_filter_ctx ctx, unsigned char *buf, size_t size)
{
        int fds[2];
        size_t got = 0;

        assert_int_equal(pipe(fds), 0);
        assert_int_equal(seccomp_export_bpf(ctx, fds[1]), 0);
        close(fds[1]);
        for (;;) {
                ssize_t n = read(fds[0], buf + got, size - got);
                assert_true(n >= 0);
                if (n == 0)
                        break;
                got += (size_t)n;
                assert_true(got < size);
        }
        close(fds[0]);
        return got;
}

static void test_version_and_level(void **state)
{
        const struct scmp_version *v = seccomp_version();
        unsigned probed;

        (void)state;
        assert_non_null(v);
        assert_int_equal(v->major, 2);
        assert_int_equal(v->minor, 6);
        assert_int_equal(v->micro, SCMP_VER_MICRO);
        /* The header, the library and the build (the .so name, libseccomp.pc) say the same. */
        {
                char s[32];
                snprintf(s, sizeof(s), "%u.%u.%u", v->major, v->minor, v->micro);
                assert_string_equal(s, LIBSECCOMP_COMPAT_VERSION);
                assert_string_equal(s, "2.6.1");
        }

        probed = seccomp_api_get();
        assert_in_range(probed, 1, 7);
        /* This project requires user notification, so the kernel is at least level 5. */
        assert_true(probed >= 5);

        assert_int_equal(seccomp_api_set(0), -EINVAL);
        assert_int_equal(seccomp_api_set(8), -EINVAL);
        assert_int_equal(seccomp_api_get(), probed);

        /* Level 2: LOG and KILL_PROCESS, SSB and NOTIFY are not offered. */
        assert_int_equal(seccomp_api_set(2), 0);
        assert_int_equal(seccomp_api_get(), 2);
        assert_null(seccomp_init(SCMP_ACT_LOG));
        assert_null(seccomp_init(SCMP_ACT_NOTIFY));
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        assert_non_null(ctx);
        assert_int_equal(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1), 0);
        assert_int_equal(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1), -EOPNOTSUPP);
        assert_int_equal(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1), -EOPNOTSUPP);
        assert_int_equal(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_WAITKILL, 1), -EOPNOTSUPP);
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(getpid), 0),
                         -EINVAL);
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(getpid), 0), 0);
        struct seccomp_notif *req = NULL;
        assert_int_equal(seccomp_notify_receive(0, req), -EOPNOTSUPP);
        assert_int_equal(seccomp_notify_id_valid(0, 1), -EOPNOTSUPP);
        assert_int_equal(seccomp_api_set(1), 0);
        assert_int_equal(seccomp_notify_alloc(&req, NULL), -EOPNOTSUPP);
        seccomp_release(ctx);

        /* reset(NULL) drops the override and probes again. */
        assert_int_equal(seccomp_reset(NULL, SCMP_ACT_ALLOW), 0);
        assert_int_equal(seccomp_api_get(), probed);
        if (probed >= 7) {
                ctx = seccomp_init(SCMP_ACT_ALLOW);
                assert_int_equal(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_WAITKILL, 1), 0);
                uint32_t w = 0;
                assert_int_equal(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_WAITKILL, &w), 0);
                assert_int_equal(w, 1);
                seccomp_release(ctx);
        }
}

/* Every arch token of the header resolves from libseccomp's name for it, and back. */
static void test_arch_tokens(void **state)
{
        static const struct {
                const char *name;
                uint32_t token;
        } arches[] = {
                { "x86", SCMP_ARCH_X86 },
                { "x86_64", SCMP_ARCH_X86_64 },
                { "x32", SCMP_ARCH_X32 },
                { "arm", SCMP_ARCH_ARM },
                { "aarch64", SCMP_ARCH_AARCH64 },
                { "loongarch64", SCMP_ARCH_LOONGARCH64 },
                { "m68k", SCMP_ARCH_M68K },
                { "mips", SCMP_ARCH_MIPS },
                { "mips64", SCMP_ARCH_MIPS64 },
                { "mips64n32", SCMP_ARCH_MIPS64N32 },
                { "mipsel", SCMP_ARCH_MIPSEL },
                { "mipsel64", SCMP_ARCH_MIPSEL64 },
                { "mipsel64n32", SCMP_ARCH_MIPSEL64N32 },
                { "ppc", SCMP_ARCH_PPC },
                { "ppc64", SCMP_ARCH_PPC64 },
                { "ppc64le", SCMP_ARCH_PPC64LE },
                { "s390", SCMP_ARCH_S390 },
                { "s390x", SCMP_ARCH_S390X },
                { "parisc", SCMP_ARCH_PARISC },
                { "parisc64", SCMP_ARCH_PARISC64 },
                { "riscv64", SCMP_ARCH_RISCV64 },
                { "sh", SCMP_ARCH_SH },
                { "sheb", SCMP_ARCH_SHEB },
        };
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

        (void)state;
        for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
                assert_int_equal(seccomp_arch_resolve_name(arches[i].name), arches[i].token);
                /* Every arch can be named in a filter and resolves a common syscall. */
                int r = seccomp_arch_exist(ctx, arches[i].token);
                assert_true(r == 0 || r == -EEXIST);
                char *name = seccomp_syscall_resolve_num_arch(
                        arches[i].token,
                        seccomp_syscall_resolve_name_arch(arches[i].token, "close"));
                assert_non_null(name);
                assert_string_equal(name, "close");
                free(name);
        }
        seccomp_release(ctx);
}

static void test_export_bpf_mem(void **state)
{
        static unsigned char viafd[65536], mem[65536];
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        size_t len, fdlen;

        (void)state;
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(5), SCMP_SYS(getppid), 0), 0);
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(6), SCMP_SYS(dup), 1,
                                          SCMP_A0(SCMP_CMP_EQ, 99)),
                         0);
        fdlen = export_fd(ctx, viafd, sizeof(viafd));
        assert_true(fdlen > 0 && fdlen % 8 == 0);

        len = 12345;
        assert_int_equal(seccomp_export_bpf_mem(ctx, NULL, &len), 0);
        assert_int_equal(len, fdlen);

        len = fdlen - 8;
        assert_int_equal(seccomp_export_bpf_mem(ctx, mem, &len), -ERANGE);
        assert_int_equal(len, fdlen);

        len = sizeof(mem);
        assert_int_equal(seccomp_export_bpf_mem(ctx, mem, &len), 0);
        assert_int_equal(len, fdlen);
        assert_memory_equal(mem, viafd, fdlen);

        assert_int_equal(seccomp_export_bpf_mem(ctx, mem, NULL), -EINVAL);
        seccomp_release(ctx);
}

/*
 * libseccomp 2.6.1 fixed seccomp_export_bpf_mem() copying *len bytes (the caller's buffer size)
 * out of a program that is shorter: an out-of-bounds read, and bytes past the program written
 * into the caller's buffer. The program's bytes must land, and nothing after them.
 */
static void test_export_bpf_mem_no_overrun(void **state)
{
        static unsigned char viafd[65536], mem[65536];
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        size_t len, fdlen;

        (void)state;
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(5), SCMP_SYS(getppid), 0), 0);
        fdlen = export_fd(ctx, viafd, sizeof(viafd));
        memset(mem, 0xa5, sizeof(mem));
        len = sizeof(mem);
        assert_int_equal(seccomp_export_bpf_mem(ctx, mem, &len), 0);
        assert_int_equal(len, fdlen);
        assert_memory_equal(mem, viafd, fdlen);
        for (size_t i = fdlen; i < sizeof(mem); i++)
                if (mem[i] != 0xa5)
                        fail_msg("byte %zu past the %zu-byte program was written", i, fdlen);
        /* A buffer of exactly the program's size is enough. */
        memset(mem, 0xa5, sizeof(mem));
        len = fdlen;
        assert_int_equal(seccomp_export_bpf_mem(ctx, mem, &len), 0);
        assert_memory_equal(mem, viafd, fdlen);
        assert_int_equal(mem[fdlen], 0xa5);
        seccomp_release(ctx);
}

/* Rules enough for a program far over the kernel's 4096 instructions. */
static void add_oversized(scmp_filter_ctx ctx)
{
        for (unsigned i = 0; i < 1500; i++)
                assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(read), 2,
                                                  SCMP_A0(SCMP_CMP_EQ, i),
                                                  SCMP_A1(SCMP_CMP_EQ, (uint64_t)i << 32 | i)),
                                 0);
}

/*
 * libseccomp 2.6.1 fixed a double free and a heap corruption when a filter's program grows too
 * large. Every way of generating an oversized program fails the same way, every time (no
 * program is half kept), the context stays usable, and shrinking it in a transaction makes it
 * exportable again. A double free aborts this process (glibc checks), so the test fails on it.
 */
static void test_oversized(void **state)
{
        static unsigned char buf[65536];
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        size_t len;
        int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(5), SCMP_SYS(getppid), 0), 0);
        assert_int_equal(seccomp_precompute(ctx), 0);
        assert_int_equal(seccomp_transaction_start(ctx), 0);
        add_oversized(ctx);
        for (int round = 0; round < 2; round++) {
                assert_int_equal(seccomp_precompute(ctx), -EFAULT);
                len = sizeof(buf);
                assert_int_equal(seccomp_export_bpf_mem(ctx, buf, &len), -EFAULT);
                assert_int_equal(len, sizeof(buf));
                len = 0;
                assert_int_equal(seccomp_export_bpf_mem(ctx, NULL, &len), -EFAULT);
                assert_int_equal(seccomp_export_bpf(ctx, fd), -EFAULT);
                assert_int_equal(seccomp_load(ctx), -ECANCELED);
        }
        /* The text export has no size limit. */
        assert_int_equal(seccomp_export_pfc(ctx, fd), 0);
        seccomp_transaction_reject(ctx);
        assert_int_equal(seccomp_precompute(ctx), 0);
        len = 0;
        assert_int_equal(seccomp_export_bpf_mem(ctx, NULL, &len), 0);
        assert_true(len > 0 && len < 4096 * 8);
        close(fd);
        seccomp_release(ctx);

        /* Released while oversized, with a failed export cached nowhere. */
        ctx = seccomp_init(SCMP_ACT_ALLOW);
        add_oversized(ctx);
        assert_int_equal(seccomp_precompute(ctx), -EFAULT);
        seccomp_release(ctx);
}

/*
 * libseccomp 2.6.1 fixed seccomp_merge() dropping the source's "uses NOTIFY" mark, so a merged
 * filter whose NOTIFY rules came from the source loaded without asking for a listener. The
 * child loads such a merge and must get a listener fd.
 */
static int child_merge_notify(void *arg)
{
        scmp_filter_ctx dst = seccomp_init(SCMP_ACT_ALLOW);
        scmp_filter_ctx src = seccomp_init(SCMP_ACT_ALLOW);

        (void)arg;
        if (!dst || !src)
                return 10;
        /* Different arches, as a merge requires; the NOTIFY rule is on the source's. */
        if (seccomp_arch_remove(src, SCMP_ARCH_NATIVE) < 0 ||
            seccomp_arch_add(src, SCMP_ARCH_X86) < 0)
                return 11;
        if (seccomp_rule_add(src, SCMP_ACT_NOTIFY, SCMP_SYS(getppid), 0) < 0)
                return 12;
        if (seccomp_rule_add(dst, SCMP_ACT_ERRNO(3), SCMP_SYS(getppid), 0) < 0)
                return 13;
        if (seccomp_merge(dst, src) < 0)
                return 14;
        if (seccomp_load(dst) < 0)
                return 15;
        if (seccomp_notify_fd(dst) < 0)
                return 16;
        /* The native rule still decides native calls. */
        if (syscall(SYS_getppid) != -1 || errno != 3)
                return 17;
        return 0;
}

static void test_merge_notify(void **state)
{
        int status = 0;
        pid_t pid;

        (void)state;
        if (seccomp_api_get() < 5 || seccomp_arch_native() != SCMP_ARCH_X86_64)
                skip();
        pid = child_spawn(child_merge_notify, NULL);
        assert_true(pid > 0);
        assert_int_equal(child_reap(pid, 60000, &status), 0);
        if (!child_exited_with(status, 0))
                fail_msg("child: %s", child_status_str(status));
}

static void test_transactions(void **state)
{
        static unsigned char before[65536], after[65536];
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        size_t n0, n1;

        (void)state;
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(5), SCMP_SYS(getppid), 0), 0);
        n0 = export_fd(ctx, before, sizeof(before));

        /* Reject: the rules added since start are gone. */
        assert_int_equal(seccomp_transaction_start(ctx), 0);
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(7), SCMP_SYS(getuid), 0), 0);
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(8), SCMP_SYS(getgid), 0), 0);
        seccomp_transaction_reject(ctx);
        n1 = export_fd(ctx, after, sizeof(after));
        assert_int_equal(n0, n1);
        assert_memory_equal(before, after, n0);

        /* Commit: they stay. */
        assert_int_equal(seccomp_transaction_start(ctx), 0);
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(7), SCMP_SYS(getuid), 0), 0);
        assert_int_equal(seccomp_transaction_commit(ctx), 0);
        n1 = export_fd(ctx, after, sizeof(after));
        assert_true(n1 > n0);

        seccomp_release(ctx);
}

/*
 * Nested transactions and the failure cases: commit and reject pair with the innermost start;
 * a commit with none open fails with -EINVAL and changes nothing, a reject with none open is a
 * no-op; a rule refused inside a transaction leaves it open and intact.
 */
static void test_transactions_nested(void **state)
{
        static unsigned char base[65536], a[65536], now[65536];
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        size_t nbase, na, n;

        (void)state;
        assert_int_equal(seccomp_transaction_commit(ctx), -EINVAL);
        seccomp_transaction_reject(ctx);
        assert_int_equal(seccomp_transaction_commit(NULL), -EINVAL);
        assert_int_equal(seccomp_transaction_start(NULL), -EINVAL);
        seccomp_transaction_reject(NULL);
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(5), SCMP_SYS(getppid), 0), 0);
        nbase = export_fd(ctx, base, sizeof(base));

        /* Outer keeps A, inner (B) is rejected. */
        assert_int_equal(seccomp_transaction_start(ctx), 0);
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(7), SCMP_SYS(getuid), 0), 0);
        na = export_fd(ctx, a, sizeof(a));
        assert_int_equal(seccomp_transaction_start(ctx), 0);
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(8), SCMP_SYS(getgid), 0), 0);
        /* A refused rule (the default action) changes nothing and ends nothing. */
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getpid), 0), -EACCES);
        seccomp_transaction_reject(ctx);
        n = export_fd(ctx, now, sizeof(now));
        assert_int_equal(n, na);
        assert_memory_equal(now, a, na);
        assert_int_equal(seccomp_transaction_commit(ctx), 0);
        n = export_fd(ctx, now, sizeof(now));
        assert_memory_equal(now, a, na);

        /* Inner committed, outer rejected: both gone. */
        assert_int_equal(seccomp_transaction_start(ctx), 0);
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(9), SCMP_SYS(getegid), 0), 0);
        assert_int_equal(seccomp_transaction_start(ctx), 0);
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(10), SCMP_SYS(geteuid), 0), 0);
        assert_int_equal(seccomp_transaction_commit(ctx), 0);
        seccomp_transaction_reject(ctx);
        n = export_fd(ctx, now, sizeof(now));
        assert_int_equal(n, na);
        assert_memory_equal(now, a, na);
        /* Everything is closed again. */
        assert_int_equal(seccomp_transaction_commit(ctx), -EINVAL);
        assert_true(nbase < na);
        seccomp_release(ctx);
}

/* A precomputed program is dropped by the next change, not exported stale. */
static void test_precompute_then_change(void **state)
{
        static unsigned char before[65536], after[65536];
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        size_t n0, n1, len;

        (void)state;
        assert_int_equal(seccomp_precompute(NULL), -EINVAL);
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(5), SCMP_SYS(getppid), 0), 0);
        assert_int_equal(seccomp_precompute(ctx), 0);
        assert_int_equal(seccomp_precompute(ctx), 0);
        n0 = export_fd(ctx, before, sizeof(before));
        assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(6), SCMP_SYS(getuid), 0), 0);
        n1 = export_fd(ctx, after, sizeof(after));
        assert_true(n1 > n0);
        len = 0;
        assert_int_equal(seccomp_export_bpf_mem(ctx, NULL, &len), 0);
        assert_int_equal(len, n1);
        assert_int_equal(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), 0);
        n0 = export_fd(ctx, before, sizeof(before));
        assert_int_equal(n0, n1);
        assert_memory_not_equal(before, after, n1);
        seccomp_release(ctx);
}

/* Child: the binary-tree layout (optimize 2), with no rules and with many, loaded. */
static int child_binary_tree(void *arg)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        static const int nrs[] = { SCMP_SYS(getuid),  SCMP_SYS(getgid),  SCMP_SYS(geteuid),
                                   SCMP_SYS(getegid), SCMP_SYS(getppid), SCMP_SYS(getpgrp),
                                   SCMP_SYS(getsid),  SCMP_SYS(times),   SCMP_SYS(umask) };
        int with_rules = arg != NULL;

        if (!ctx || seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
                return 10;
        if (with_rules)
                for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
                        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(20 + (int)i), nrs[i], 0) < 0)
                                return 11;
        if (seccomp_load(ctx) < 0)
                return 12;
        /* libseccomp 2.5.3 ignored the default action of an empty binary-tree filter. */
        if (syscall(SYS_getpid) != getpid())
                return 13;
        if (with_rules && (syscall(SYS_getppid) != -1 || errno != 24))
                return 14;
        if (with_rules && (syscall(SYS_getuid) != -1 || errno != 20))
                return 15;
        if (!with_rules && syscall(SYS_getppid) < 0)
                return 16;
        return 0;
}

static void test_binary_tree(void **state)
{
        (void)state;
        for (int with_rules = 0; with_rules < 2; with_rules++) {
                int status = 0;
                pid_t pid = child_spawn(child_binary_tree, with_rules ? (void *)1 : NULL);

                assert_true(pid > 0);
                assert_int_equal(child_reap(pid, 60000, &status), 0);
                if (!child_exited_with(status, 0))
                        fail_msg("child (%s rules): %s", with_rules ? "with" : "no",
                                 child_status_str(status));
        }
}

/* Child: precompute, then load, then check the rule took effect. */
static int child_precompute(void *arg)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

        (void)arg;
        if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(77), SCMP_SYS(getppid), 0) < 0)
                return 10;
        if (seccomp_precompute(ctx) < 0)
                return 11;
        if (seccomp_load(ctx) < 0)
                return 12;
        if (syscall(SYS_getppid) != -1 || errno != 77)
                return 13;
        return 0;
}

static void test_precompute_load(void **state)
{
        int status = 0;
        pid_t pid = child_spawn(child_precompute, NULL);

        (void)state;
        assert_true(pid > 0);
        assert_int_equal(child_reap(pid, 10000, &status), 0);
        if (!child_exited_with(status, 0))
                fail_msg("child: %s", child_status_str(status));
}

/* ---- addfd on a live notification -------------------------------------------------------- */

struct supervisor {
        int listener;
        int src_fd;
        int result; /* 0 on success, else the step that failed */
        int installed;
};

/* Answer one notification: install src_fd in the target, answer with its number. */
static void *supervise(void *arg)
{
        struct supervisor *s = arg;
        struct seccomp_notif *req = NULL;
        struct seccomp_notif_resp *resp = NULL;
        struct seccomp_notif_addfd addfd = { 0 };
        int r;

        if (seccomp_notify_alloc(&req, &resp) < 0) {
                s->result = 20;
                return NULL;
        }
        do
                r = seccomp_notify_receive(s->listener, req);
        while (r == -ECANCELED && errno == EINTR);
        if (r < 0 || req->data.nr != SYS_getppid) {
                s->result = 21;
                goto out;
        }
        if (seccomp_notify_id_valid(s->listener, req->id) != 0) {
                s->result = 22;
                goto out;
        }
        /* Flags the kernel refuses are refused the same way, with errno set. */
        addfd.id = req->id;
        addfd.srcfd = (uint32_t)s->src_fd;
        addfd.flags = 0x80;
        errno = 0;
        if (seccomp_notify_addfd(s->listener, &addfd) != -ECANCELED || errno != EINVAL) {
                s->result = 23;
                goto out;
        }
        addfd.flags = 0;
        addfd.newfd_flags = O_CLOEXEC;
        r = seccomp_notify_addfd(s->listener, &addfd);
        if (r < 0) {
                s->result = 24;
                goto out;
        }
        s->installed = r;
        resp->id = req->id;
        resp->val = r;
        resp->error = 0;
        resp->flags = 0;
        if (seccomp_notify_respond(s->listener, resp) < 0) {
                s->result = 25;
                goto out;
        }
        /* The notification is answered: its id is no longer valid. */
        errno = 0;
        if (seccomp_notify_id_valid(s->listener, req->id) != -ENOENT || errno != ENOENT) {
                s->result = 26;
                goto out;
        }
        s->result = 0;
out:
        seccomp_notify_free(req, resp);
        return NULL;
}

static int child_addfd(void *arg)
{
        struct supervisor s = { .listener = -1, .result = -1, .installed = -1 };
        struct stat want, got;
        scmp_filter_ctx ctx;
        pthread_t thread;
        int pipefd[2];
        long r;

        (void)arg;
        if (pipe(pipefd) < 0 || fstat(pipefd[0], &want) < 0)
                return 1;
        s.src_fd = pipefd[0];
        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(getppid), 0) < 0)
                return 2;
        if (seccomp_notify_fd(ctx) != -EFAULT)
                return 3;
        if (seccomp_load(ctx) < 0)
                return 4;
        s.listener = seccomp_notify_fd(ctx);
        if (s.listener < 0)
                return 5;
        if (pthread_create(&thread, NULL, supervise, &s) != 0)
                return 6;
        r = syscall(SYS_getppid);
        pthread_join(thread, NULL);
        if (s.result != 0)
                return s.result;
        if (r != s.installed || fstat((int)r, &got) < 0)
                return 7;
        if (got.st_ino != want.st_ino || got.st_dev != want.st_dev)
                return 8;
        if (!(fcntl((int)r, F_GETFD) & FD_CLOEXEC))
                return 9;
        seccomp_release(ctx);
        return 0;
}

static void test_notify_addfd(void **state)
{
        int status = 0;
        pid_t pid;

        (void)state;
        if (seccomp_api_get() < 5)
                skip();
        pid = child_spawn(child_addfd, NULL);
        assert_true(pid > 0);
        assert_int_equal(child_reap(pid, 10000, &status), 0);
        if (!child_exited_with(status, 0))
                fail_msg("child: %s", child_status_str(status));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_version_and_level),
                cmocka_unit_test(test_arch_tokens),
                cmocka_unit_test(test_export_bpf_mem),
                cmocka_unit_test(test_transactions),
                cmocka_unit_test(test_precompute_load),
                cmocka_unit_test(test_notify_addfd),
                cmocka_unit_test(test_export_bpf_mem_no_overrun),
                cmocka_unit_test(test_oversized),
                cmocka_unit_test(test_merge_notify),
                cmocka_unit_test(test_transactions_nested),
                cmocka_unit_test(test_precompute_then_change),
                cmocka_unit_test(test_binary_tree),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
