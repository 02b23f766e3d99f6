/*
 * Unit tests of the filter model and its outputs: libseccomp's return codes for every API call,
 * transactions, merge, precompute, PFC text, and properties of the generated program checked
 * through the simulator: determinism under any order of rules, the 4096-instruction budget with
 * an error that names the rules, and the kernel action cache for every unconditional ALLOW on
 * every arch.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/filter.h>

#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "scmpd/filter.h"

#define ERRNO_ACT(e) SCMPD_ACT_ERRNO(e)

static struct scmpd_filter *new_filter(uint32_t def)
{
        struct scmpd_filter *f = NULL;
        assert_int_equal(scmpd_filter_new(def, &f), 0);
        assert_non_null(f);
        return f;
}

static int nr_of(const char *name)
{
        int nr = scmpd_syscall_nr(scmpd_arch_native(), name);
        assert_true(nr >= 0);
        return nr;
}

static void test_new_and_actions(void **state)
{
        struct scmpd_filter *f = NULL;
        uint32_t v;

        assert_int_equal(scmpd_filter_new(0x12345678, &f), -EINVAL);
        assert_int_equal(scmpd_filter_new(ERRNO_ACT(4095), &f), -EINVAL);
        assert_null(f);
        f = new_filter(SCMPD_ACT_ALLOW);
        assert_int_equal(scmpd_filter_attr_get(f, SCMPD_ATTR_DEFAULT_ACTION, &v), 0);
        assert_int_equal(v, SCMPD_ACT_ALLOW);
        assert_int_equal(scmpd_filter_attr_get(f, SCMPD_ATTR_BADARCH_ACTION, &v), 0);
        assert_int_equal(v, SCMPD_ACT_KILL_THREAD);
        assert_int_equal(scmpd_filter_attr_get(f, SCMPD_ATTR_NO_NEW_PRIVS, &v), 0);
        assert_int_equal(v, 1);
        assert_int_equal(scmpd_filter_attr_get(f, SCMPD_ATTR_OPTIMIZE, &v), 0);
        assert_int_equal(v, 1);
        assert_int_equal(scmpd_filter_arch_has(f, 0), 1);
        assert_int_equal(scmpd_filter_reset(f, 1), -EINVAL);
        assert_int_equal(scmpd_filter_reset(f, SCMPD_ACT_KILL_PROCESS), 0);
        assert_int_equal(scmpd_filter_attr_get(f, SCMPD_ATTR_DEFAULT_ACTION, &v), 0);
        assert_int_equal(v, SCMPD_ACT_KILL_PROCESS);
        assert_null(scmpd_filter_free(f));
        assert_null(scmpd_filter_free(NULL));

        assert_true(scmpd_action_valid(SCMPD_ACT_NOTIFY));
        assert_true(scmpd_action_valid(SCMPD_ACT_TRACE(0xffff)));
        assert_false(scmpd_action_valid(SCMPD_ACT_ALLOW | 1));
        assert_false(scmpd_action_valid(0x00010000));
}

static void test_attributes(void **state)
{
        struct scmpd_filter *f = new_filter(SCMPD_ACT_ALLOW);
        uint32_t v;

        assert_int_equal(scmpd_filter_attr_set(f, SCMPD_ATTR_DEFAULT_ACTION, 0), -EACCES);
        assert_int_equal(scmpd_filter_attr_set(f, SCMPD_ATTR_BADARCH_ACTION, 1), -EINVAL);
        assert_int_equal(scmpd_filter_attr_set(f, SCMPD_ATTR_BADARCH_ACTION, ERRNO_ACT(3)), 0);
        assert_int_equal(scmpd_filter_attr_set(f, SCMPD_ATTR_OPTIMIZE, 0), -EOPNOTSUPP);
        assert_int_equal(scmpd_filter_attr_set(f, SCMPD_ATTR_OPTIMIZE, 3), -EOPNOTSUPP);
        assert_int_equal(scmpd_filter_attr_set(f, SCMPD_ATTR_OPTIMIZE, 2), 0);
        assert_int_equal(scmpd_filter_attr_get(f, SCMPD_ATTR_OPTIMIZE, &v), 0);
        assert_int_equal(v, 2);
        assert_int_equal(scmpd_filter_attr_set(f, SCMPD_ATTR_TSYNC, 7), 0);
        assert_int_equal(scmpd_filter_attr_get(f, SCMPD_ATTR_TSYNC, &v), 0);
        assert_int_equal(v, 1);
        assert_int_equal(scmpd_filter_attr_set(f, (enum scmpd_filter_attr)0, 0), -EINVAL);
        assert_int_equal(scmpd_filter_attr_set(f, (enum scmpd_filter_attr)99, 0), -EINVAL);
        assert_int_equal(scmpd_filter_attr_get(f, (enum scmpd_filter_attr)99, &v), -EINVAL);
        scmpd_filter_free(f);
}

static void test_arches(void **state)
{
        struct scmpd_filter *f = new_filter(SCMPD_ACT_ALLOW);
        const struct scmpd_arch *x86 = scmpd_arch_by_name("x86");
        const struct scmpd_arch *s390x = scmpd_arch_by_name("s390x");

        assert_int_equal(scmpd_filter_arch_add(f, 0), -EEXIST);
        assert_int_equal(scmpd_filter_arch_add(f, 0x1234), -EINVAL);
        assert_int_equal(scmpd_filter_arch_has(f, x86->token), 0);
        assert_int_equal(scmpd_filter_arch_remove(f, x86->token), -EEXIST);
        assert_int_equal(scmpd_filter_arch_add(f, x86->token), 0);
        assert_int_equal(scmpd_filter_arch_has(f, x86->token), 1);
        assert_int_equal(scmpd_filter_arch_add(f, s390x->token), -EDOM);
        assert_int_equal(scmpd_filter_arch_remove(f, x86->token), 0);
        assert_int_equal(scmpd_filter_arch_remove(f, 0), 0);
        assert_int_equal(scmpd_filter_arch_add(f, s390x->token), 0);
        scmpd_filter_free(f);
}

static void test_rule_errors(void **state)
{
        struct scmpd_filter *f = new_filter(SCMPD_ACT_ALLOW);
        struct scmpd_arg_cmp two[2] = { { .arg = 0, .op = SCMPD_CMP_EQ, .datum_a = 1 },
                                        { .arg = 0, .op = SCMPD_CMP_EQ, .datum_a = 2 } };
        struct scmpd_arg_cmp bad_op = { .arg = 0, .op = (enum scmpd_cmp_op)8 };
        struct scmpd_arg_cmp bad_arg = { .arg = 6, .op = SCMPD_CMP_EQ };
        struct scmpd_arg_cmp a1 = { .arg = 1, .op = SCMPD_CMP_EQ, .datum_a = 3 };
        int wr = nr_of("write");

        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_ALLOW, wr, 0, 0, NULL), -EACCES);
        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_TRAP, wr, 0, 2, two), -EINVAL);
        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_TRAP, wr, 0, 1, &bad_op), -EINVAL);
        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_TRAP, wr, 0, 1, &bad_arg), -EINVAL);
        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_TRAP, wr, 0, 7, two), -EINVAL);
        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_TRAP, wr, 0, 1, NULL), -EINVAL);
        assert_int_equal(scmpd_filter_rule_add(f, 0xdead, wr, 0, 0, NULL), -EINVAL);
        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_TRAP, -1, 0, 0, NULL), -EINVAL);
        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_TRAP, -50, 0, 0, NULL), -EINVAL);
        assert_int_equal(scmpd_filter_attr_set(f, SCMPD_ATTR_TSKIP, 1), 0);
        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_TRAP, -1, 0, 0, NULL), 0);
        /* Identical comparisons, another action: refused; the same action: a no-op. */
        assert_int_equal(scmpd_filter_rule_add(f, ERRNO_ACT(1), wr, 0, 1, &a1), 0);
        assert_int_equal(scmpd_filter_rule_add(f, ERRNO_ACT(2), wr, 0, 1, &a1), -EEXIST);
        assert_int_equal(scmpd_filter_rule_add(f, ERRNO_ACT(1), wr, 0, 1, &a1), 0);
        /* A syscall the native arch lacks: best effort skips it, exact refuses it. */
        int pseudo = scmpd_syscall_nr(scmpd_arch_native(), "socketcall");
        assert_true(pseudo < -1);
        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_TRAP, pseudo, 0, 0, NULL), 0);
        assert_int_equal(
                scmpd_filter_rule_add(f, SCMPD_ACT_TRAP, pseudo, SCMPD_RULE_EXACT, 0, NULL), -EDOM);
        /* Exact rules only in single-arch filters; numbers unknown natively with another arch. */
        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_TRAP, 9999, 0, 0, NULL), 0);
        assert_int_equal(scmpd_filter_arch_add(f, scmpd_arch_by_name("x86")->token), 0);
        assert_int_equal(
                scmpd_filter_rule_add(f, SCMPD_ACT_TRAP, nr_of("read"), SCMPD_RULE_EXACT, 0, NULL),
                -EOPNOTSUPP);
        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_TRAP, 9998, 0, 0, NULL), -EFAULT);
        assert_int_equal(scmpd_filter_syscall_priority(f, 9998, 1), -EFAULT);
        assert_int_equal(scmpd_filter_syscall_priority(f, nr_of("read"), 200), 0);
        scmpd_filter_free(f);
}

/* The action the program takes for (arch, syscall name, args). */
static uint32_t decide(struct scmpd_filter *f, const char *arch_name, const char *name, uint64_t a0,
                       uint64_t a1)
{
        const struct scmpd_arch *arch = scmpd_arch_by_name(arch_name);
        struct seccomp_data d = { .args = { a0, a1 } };
        void *prog = NULL;
        size_t len = 0;
        uint32_t action = 0;

        assert_non_null(arch);
        d.nr = scmpd_syscall_nr(arch, name);
        d.arch = arch->token == (62u | 0x40000000u) ? 0xc000003eu : arch->token;
        assert_int_equal(scmpd_filter_export_bpf_mem(f, &prog, &len), 0);
        assert_int_equal(scmpd_bpf_run(prog, len, &d, &action, NULL), 0);
        free(prog);
        return action;
}

static void test_transactions(void **state)
{
        struct scmpd_filter *f = new_filter(SCMPD_ACT_ALLOW);

        assert_int_equal(scmpd_filter_transaction_commit(f), -EINVAL);
        assert_int_equal(scmpd_filter_transaction_reject(f), -EINVAL);
        assert_int_equal(scmpd_filter_transaction_start(f), 0);
        assert_int_equal(scmpd_filter_rule_add(f, ERRNO_ACT(1), nr_of("read"), 0, 0, NULL), 0);
        assert_int_equal(scmpd_filter_transaction_start(f), 0);
        assert_int_equal(scmpd_filter_rule_add(f, ERRNO_ACT(2), nr_of("write"), 0, 0, NULL), 0);
        assert_int_equal(scmpd_filter_arch_add(f, scmpd_arch_by_name("x86")->token), 0);
        assert_int_equal(decide(f, "x86_64", "write", 0, 0), ERRNO_ACT(2));
        assert_int_equal(scmpd_filter_transaction_reject(f), 0); /* inner */
        assert_int_equal(decide(f, "x86_64", "write", 0, 0), SCMPD_ACT_ALLOW);
        assert_int_equal(decide(f, "x86_64", "read", 0, 0), ERRNO_ACT(1));
        assert_int_equal(scmpd_filter_arch_has(f, scmpd_arch_by_name("x86")->token), 0);
        assert_int_equal(scmpd_filter_transaction_commit(f), 0); /* outer */
        assert_int_equal(decide(f, "x86_64", "read", 0, 0), ERRNO_ACT(1));
        assert_int_equal(scmpd_filter_transaction_commit(f), -EINVAL);
        scmpd_filter_free(f);
}

static void test_merge(void **state)
{
        struct scmpd_filter *a = new_filter(SCMPD_ACT_ALLOW), *b = new_filter(SCMPD_ACT_ALLOW);
        struct scmpd_filter *c = new_filter(SCMPD_ACT_TRAP);
        uint32_t x86 = scmpd_arch_by_name("x86")->token;

        assert_int_equal(scmpd_filter_merge(a, b), -EEXIST);
        assert_int_equal(scmpd_filter_arch_remove(b, 0), 0);
        assert_int_equal(scmpd_filter_arch_add(b, x86), 0);
        assert_int_equal(scmpd_filter_arch_remove(c, 0), 0);
        assert_int_equal(scmpd_filter_arch_add(c, scmpd_arch_by_name("arm")->token), 0);
        assert_int_equal(scmpd_filter_merge(a, c), -EINVAL); /* default actions differ */
        scmpd_filter_free(c);
        assert_int_equal(scmpd_filter_rule_add(a, ERRNO_ACT(1), nr_of("read"), 0, 0, NULL), 0);
        assert_int_equal(scmpd_filter_rule_add(b, ERRNO_ACT(2), nr_of("write"), 0, 0, NULL), 0);
        assert_int_equal(scmpd_filter_merge(a, b), 0); /* b is consumed */
        assert_int_equal(scmpd_filter_arch_has(a, x86), 1);
        /* Each side's rules stay on its own arches. */
        assert_int_equal(decide(a, "x86_64", "read", 0, 0), ERRNO_ACT(1));
        assert_int_equal(decide(a, "x86_64", "write", 0, 0), SCMPD_ACT_ALLOW);
        assert_int_equal(decide(a, "x86", "write", 0, 0), ERRNO_ACT(2));
        assert_int_equal(decide(a, "x86", "read", 0, 0), SCMPD_ACT_ALLOW);
        scmpd_filter_free(a);
}

static char *read_fd(int fd)
{
        off_t size = lseek(fd, 0, SEEK_END);
        char *buf = calloc(1, (size_t)size + 1);

        assert_non_null(buf);
        assert_int_equal(pread(fd, buf, (size_t)size, 0), size);
        return buf;
}

static void test_export(void **state)
{
        struct scmpd_filter *f = new_filter(SCMPD_ACT_KILL_PROCESS);
        struct scmpd_arg_cmp c = {
                .arg = 2, .op = SCMPD_CMP_MASKED_EQ, .datum_a = 0xff, .datum_b = 3
        };
        void *mem = NULL;
        size_t len = 0;
        char *text;
        int fd = memfd_create("t", MFD_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_NOTIFY, nr_of("openat"), 0, 1, &c), 0);
        assert_int_equal(scmpd_filter_rule_add(f, ERRNO_ACT(5), nr_of("read"), 0, 0, NULL), 0);
        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_TRACE(9), nr_of("write"), 0, 0, NULL),
                         0);
        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_LOG, nr_of("close"), 0, 0, NULL), 0);
        assert_true(scmpd_filter_uses_notify(f));
        assert_int_equal(scmpd_filter_listener_fd(f), -ENOENT);
        assert_int_equal(scmpd_filter_precompute(f), 0);
        assert_int_equal(scmpd_filter_export_bpf_mem(f, &mem, &len), 0);
        assert_int_equal(scmpd_filter_export_bpf(f, fd), 0);
        text = read_fd(fd);
        assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)(len * 8));
        assert_memory_equal(text, mem, len * 8);
        free(text);
        assert_int_equal(scmpd_bpf_validate(mem, len, NULL), 0);
        free(mem);

        assert_int_equal(ftruncate(fd, 0), 0);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(scmpd_filter_export_pfc(f, fd), 0);
        text = read_fd(fd);
        assert_non_null(strstr(text, "action NOTIFY;"));
        assert_non_null(strstr(text, "action ERRNO(5);"));
        assert_non_null(strstr(text, "action TRACE(9);"));
        assert_non_null(strstr(text, "action LOG;"));
        assert_non_null(strstr(text, "action KILL_PROCESS;"));
        assert_non_null(strstr(text, "\"openat\""));
        assert_non_null(strstr(text, "($a2 & 0xff) == 0x3"));
        free(text);
        close(fd);
        assert_int_equal(scmpd_filter_export_bpf(f, -1), -EINVAL);
        scmpd_filter_free(f);
}

/* A deterministic shuffle. */
static uint64_t lcg = 12345;
static unsigned rnd(unsigned n)
{
        lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
        return (unsigned)((lcg >> 33) % n);
}

struct spec {
        uint32_t action;
        const char *name;
        unsigned n;
        struct scmpd_arg_cmp c[2];
};

static const struct spec specs[] = {
        { SCMPD_ACT_ALLOW, "read", 0, {} },
        { SCMPD_ACT_ALLOW, "write", 0, {} },
        { SCMPD_ACT_ALLOW, "close", 0, {} },
        { ERRNO_ACT(1),
          "openat",
          1,
          { { .arg = 2, .op = SCMPD_CMP_MASKED_EQ, .datum_a = 3, .datum_b = 1 } } },
        { ERRNO_ACT(1), "openat", 1, { { .arg = 0, .op = SCMPD_CMP_EQ, .datum_a = 7 } } },
        { SCMPD_ACT_TRAP,
          "ioctl",
          2,
          { { .arg = 0, .op = SCMPD_CMP_LT, .datum_a = 3 },
            { .arg = 1, .op = SCMPD_CMP_GE, .datum_a = 0x100000000ULL } } },
        { SCMPD_ACT_ALLOW, "ioctl", 1, { { .arg = 1, .op = SCMPD_CMP_NE, .datum_a = 5 } } },
        { SCMPD_ACT_LOG, "getpid", 0, {} },
        { SCMPD_ACT_ALLOW, "socket", 1, { { .arg = 0, .op = SCMPD_CMP_EQ, .datum_a = 1 } } },
        { SCMPD_ACT_ALLOW, "socket", 1, { { .arg = 0, .op = SCMPD_CMP_EQ, .datum_a = 2 } } },
        { SCMPD_ACT_KILL_PROCESS, "ptrace", 0, {} },
        { SCMPD_ACT_ALLOW, "mmap", 1, { { .arg = 3, .op = SCMPD_CMP_GT, .datum_a = 0x7fffffff } } },
};

static void build_specs(struct scmpd_filter *f, const unsigned *order)
{
        for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
                const struct spec *s = &specs[order[i]];
                assert_int_equal(scmpd_filter_rule_add(f, s->action, nr_of(s->name), 0, s->n, s->c),
                                 0);
        }
}

/* SCMPD_ORDER_TARGET writes a big-endian filter's code and k swapped on this little-endian host
 * (jt/jf are bytes), and leaves a host-order filter alone. */
static void test_export_order(void **state)
{
        struct scmpd_filter *f = new_filter(SCMPD_ACT_ALLOW);
        struct sock_filter *host = NULL, *target = NULL;
        size_t n_host = 0, n_target = 0;
        void *v = NULL;

        assert_int_equal(scmpd_filter_rule_add(f, ERRNO_ACT(1), nr_of("read"), 0, 0, NULL), 0);
        assert_int_equal(scmpd_filter_export_bpf_mem_order(f, SCMPD_ORDER_TARGET, &v, &n_target),
                         0);
        target = v;
        assert_int_equal(scmpd_filter_export_bpf_mem_order(f, SCMPD_ORDER_HOST, &v, &n_host), 0);
        host = v;
        assert_int_equal(n_host, n_target);
        assert_memory_equal(host, target, n_host * sizeof(*host));
        free(host);
        free(target);
        assert_int_equal(
                scmpd_filter_export_bpf_mem_order(f, (enum scmpd_byte_order)2, &v, &n_host),
                -EINVAL);

        assert_int_equal(scmpd_filter_arch_remove(f, 0), 0);
        assert_int_equal(scmpd_filter_arch_add(f, scmpd_arch_by_name("s390x")->token), 0);
        assert_int_equal(scmpd_filter_rule_add(f, ERRNO_ACT(1), nr_of("read"), 0, 0, NULL), 0);
        assert_int_equal(scmpd_filter_export_bpf_mem_order(f, SCMPD_ORDER_HOST, &v, &n_host), 0);
        host = v;
        assert_int_equal(scmpd_filter_export_bpf_mem_order(f, SCMPD_ORDER_TARGET, &v, &n_target),
                         0);
        target = v;
        assert_int_equal(n_host, n_target);
        assert_true(n_host > 3);
        if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
                for (size_t i = 0; i < n_host; i++) {
                        assert_int_equal(target[i].code, __builtin_bswap16(host[i].code));
                        assert_int_equal(target[i].k, __builtin_bswap32(host[i].k));
                        assert_int_equal(target[i].jt, host[i].jt);
                        assert_int_equal(target[i].jf, host[i].jf);
                }
        /* The first instruction loads seccomp_data.arch (offset 4): BPF_LD|BPF_W|BPF_ABS. */
        assert_int_equal(host[0].code, 0x20);
        assert_int_equal(host[0].k, 4);
        free(host);
        free(target);
        scmpd_filter_free(f);
}

/* The kernel probes install nothing and report only flags they know. */
static void test_kernel_probes(void **state)
{
        const uint32_t known =
                (1U << 0) | (1U << 1) | (1U << 2) | (1U << 3) | (1U << 4) | (1U << 5);
        uint32_t flags = 0xffffffffU;
        int r;

        assert_int_equal(scmpd_kernel_filter_flags(NULL), -EINVAL);
        errno = 1234;
        r = scmpd_kernel_filter_flags(&flags);
        assert_int_equal(errno, 1234);
        if (r < 0) {
                assert_true(r == -ENOSYS || r == -EINVAL);
                return;
        }
        assert_int_equal(flags & ~known, 0);
        /* Nothing was installed: this process is still not in filter mode. */
        assert_int_equal(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
        /* Every kernel with filter flags has TSYNC (3.17) and knows ALLOW; no kernel knows an
         * action code it never defined. */
        assert_true(flags & 1U);
        assert_true(scmpd_kernel_action_available(SCMPD_ACT_ALLOW));
        assert_false(scmpd_kernel_action_available(0x12340000U));
        assert_int_equal(errno, 1234);
}

static void test_deterministic(void **state)
{
        const size_t n = sizeof(specs) / sizeof(specs[0]);
        unsigned order[sizeof(specs) / sizeof(specs[0])];
        void *first = NULL;
        size_t first_len = 0;

        for (int round = 0; round < 50; round++) {
                struct scmpd_filter *f = new_filter(ERRNO_ACT(38));
                void *prog = NULL;
                size_t len = 0;

                for (size_t i = 0; i < n; i++)
                        order[i] = (unsigned)i;
                for (size_t i = n; i > 1; i--) {
                        unsigned j = rnd((unsigned)i), t = order[i - 1];
                        order[i - 1] = order[j];
                        order[j] = t;
                }
                /* Arches in any order too. */
                if (round % 2) {
                        assert_int_equal(scmpd_filter_arch_add(f, scmpd_arch_by_name("x32")->token),
                                         0);
                        assert_int_equal(scmpd_filter_arch_add(f, scmpd_arch_by_name("x86")->token),
                                         0);
                } else {
                        assert_int_equal(scmpd_filter_arch_add(f, scmpd_arch_by_name("x86")->token),
                                         0);
                        assert_int_equal(scmpd_filter_arch_add(f, scmpd_arch_by_name("x32")->token),
                                         0);
                }
                build_specs(f, order);
                assert_int_equal(scmpd_filter_export_bpf_mem(f, &prog, &len), 0);
                if (!first) {
                        first = prog;
                        first_len = len;
                } else {
                        assert_int_equal(len, first_len);
                        assert_memory_equal(prog, first, len * 8);
                        free(prog);
                }
                scmpd_filter_free(f);
        }
        free(first);
}

/* Exporting hands the rule_add cache over to the generator: rules added afterwards meet the same
 * overlap checks, and the program is the one of a filter that was not exported in between. */
static void test_export_then_add(void **state)
{
        struct scmpd_filter *f[2] = { new_filter(ERRNO_ACT(1)), new_filter(ERRNO_ACT(1)) };
        struct scmpd_arg_cmp eq = { .arg = 0, .op = SCMPD_CMP_EQ, .datum_a = 3 };
        struct scmpd_arg_cmp two[2] = { eq, { .arg = 1, .op = SCMPD_CMP_GT, .datum_a = 7 } };
        void *prog[2] = { NULL, NULL };
        size_t len[2] = { 0, 0 };

        for (int i = 0; i < 2; i++) {
                /* x32 shares a section with x86_64: one of them is lowered into the other's. */
                assert_int_equal(scmpd_filter_arch_add(f[i], scmpd_arch_by_name("x32")->token), 0);
                assert_int_equal(scmpd_filter_arch_add(f[i], scmpd_arch_by_name("x86")->token), 0);
                assert_int_equal(
                        scmpd_filter_rule_add(f[i], SCMPD_ACT_ALLOW, nr_of("read"), 0, 1, &eq), 0);
                assert_int_equal(
                        scmpd_filter_rule_add(f[i], SCMPD_ACT_TRAP, nr_of("write"), 0, 0, NULL), 0);
        }
        assert_int_equal(scmpd_filter_export_bpf_mem(f[0], &prog[0], &len[0]), 0);
        free(prog[0]);
        for (int i = 0; i < 2; i++) {
                assert_int_equal(
                        scmpd_filter_rule_add(f[i], ERRNO_ACT(2), nr_of("read"), 0, 1, &eq),
                        -EEXIST);
                assert_int_equal(
                        scmpd_filter_rule_add(f[i], SCMPD_ACT_ALLOW, nr_of("read"), 0, 2, two),
                        0); /* absorbed */
                assert_int_equal(
                        scmpd_filter_rule_add(f[i], SCMPD_ACT_ALLOW, nr_of("close"), 0, 2, two), 0);
                /* A prefix of a rule with another action. */
                assert_int_equal(
                        scmpd_filter_rule_add(f[i], SCMPD_ACT_LOG, nr_of("close"), 0, 1, &eq),
                        -EEXIST);
                assert_int_equal(
                        scmpd_filter_rule_add(f[i], SCMPD_ACT_LOG, nr_of("read"), 0, 0, NULL), 0);
                assert_int_equal(scmpd_filter_export_bpf_mem(f[i], &prog[i], &len[i]), 0);
        }
        assert_int_equal(len[0], len[1]);
        assert_memory_equal(prog[0], prog[1], len[0] * 8);
        assert_int_equal(decide(f[0], "x86_64", "read", 0, 0), SCMPD_ACT_LOG);
        assert_int_equal(decide(f[0], "x86_64", "close", 3, 8), SCMPD_ACT_ALLOW);
        assert_int_equal(decide(f[0], "x86_64", "close", 3, 7), ERRNO_ACT(1));
        for (int i = 0; i < 2; i++) {
                free(prog[i]);
                scmpd_filter_free(f[i]);
        }
}

static void test_too_big(void **state)
{
        struct scmpd_filter *f = new_filter(SCMPD_ACT_ALLOW);
        void *prog = NULL;
        size_t len = 0;
        const char *err;
        int read_nr = nr_of("read");

        /* 1500 alternatives on one argument of read: far beyond 4096 instructions. */
        for (unsigned i = 0; i < 1500; i++) {
                struct scmpd_arg_cmp c[2] = {
                        { .arg = 0, .op = SCMPD_CMP_EQ, .datum_a = i },
                        { .arg = 1, .op = SCMPD_CMP_EQ, .datum_a = (uint64_t)i << 32 | i },
                };
                assert_int_equal(scmpd_filter_rule_add(f, ERRNO_ACT(1), read_nr, 0, 2, c), 0);
        }
        assert_int_equal(scmpd_filter_rule_add(f, ERRNO_ACT(2), nr_of("write"), 0, 0, NULL), 0);
        assert_int_equal(scmpd_filter_export_bpf_mem(f, &prog, &len), -E2BIG);
        assert_int_equal(scmpd_filter_precompute(f), -E2BIG);
        err = scmpd_filter_error(f);
        assert_non_null(err);
        assert_non_null(strstr(err, "limit is 4096"));
        assert_non_null(strstr(err, "read"));
        assert_non_null(strstr(err, "1500 rules"));
        assert_non_null(strstr(err, "rules #"));
        assert_null(strstr(err, "write"));
        scmpd_filter_free(f);
}

/* Every unconditional ALLOW is decided with what the kernel's action cache emulates. */
static void test_cacheable_everywhere(void **state)
{
        static const char *const arch_sets[][3] = {
                { "x86_64", "x86", "x32" },
                { "aarch64", "arm" },
                { "s390x", "s390" },
                { "ppc64" },
                { "mips" },
                { "riscv64" },
        };

        for (size_t s = 0; s < sizeof(arch_sets) / sizeof(arch_sets[0]); s++) {
                struct scmpd_filter *f = new_filter(ERRNO_ACT(1));
                void *prog = NULL;
                size_t len = 0;
                unsigned allowed = 0;

                assert_int_equal(scmpd_filter_arch_remove(f, 0), 0);
                for (size_t a = 0; a < 3 && arch_sets[s][a]; a++)
                        assert_int_equal(scmpd_filter_arch_add(
                                                 f, scmpd_arch_by_name(arch_sets[s][a])->token),
                                         0);
                /* Allow every other native syscall, some with argument checks. */
                for (size_t i = 0, k = 0;; i++) {
                        int nr;
                        const char *name;
                        if (!scmpd_syscall_iter(scmpd_arch_native(), i, &nr, &name))
                                break;
                        if (i % 2)
                                continue;
                        struct scmpd_arg_cmp c = { .arg = 1, .op = SCMPD_CMP_LE, .datum_a = 9 };
                        assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_ALLOW, nr, 0,
                                                               (k++ % 7) == 0 ? 1 : 0, &c),
                                         0);
                }
                assert_int_equal(scmpd_filter_export_bpf_mem(f, &prog, &len), 0);
                for (size_t a = 0; a < 3 && arch_sets[s][a]; a++) {
                        const struct scmpd_arch *arch = scmpd_arch_by_name(arch_sets[s][a]);
                        uint32_t audit =
                                arch->token == (62u | 0x40000000u) ? 0xc000003eu : arch->token;
                        int nr;
                        for (size_t i = 0; scmpd_syscall_iter(arch, i, &nr, NULL); i++) {
                                struct seccomp_data d = { .nr = nr, .arch = audit };
                                uint32_t act;
                                int cached;
                                assert_int_equal(scmpd_bpf_run(prog, len, &d, &act, NULL), 0);
                                d.args[1] = 1000; /* fails every argument check */
                                uint32_t act2;
                                assert_int_equal(scmpd_bpf_run(prog, len, &d, &act2, NULL), 0);
                                cached = scmpd_bpf_cacheable(prog, len, audit, nr);
                                if (act == SCMPD_ACT_ALLOW && act2 == SCMPD_ACT_ALLOW) {
                                        allowed++;
                                        if (nr < 0x40000000) /* x32: out of the kernel's bitmap */
                                                assert_int_equal(cached, 1);
                                } else {
                                        assert_int_equal(cached, 0);
                                }
                        }
                }
                assert_true(allowed > 50);
                free(prog);
                scmpd_filter_free(f);
        }
}

/* A priority never changes a decision, and shortens the path to the syscall it names. */
static void test_priority(void **state)
{
        unsigned before = 0, after = 0;

        for (int round = 0; round < 2; round++) {
                struct scmpd_filter *f = new_filter(ERRNO_ACT(1));
                struct seccomp_data d = { .arch = scmpd_arch_native()->token };
                void *prog = NULL;
                size_t len = 0;
                uint32_t action;
                int nr;

                /* Every third syscall allowed: many intervals, a deep search. */
                for (size_t i = 0; scmpd_syscall_iter(scmpd_arch_native(), i, &nr, NULL); i++)
                        if (i % 3 == 0)
                                assert_int_equal(
                                        scmpd_filter_rule_add(f, SCMPD_ACT_ALLOW, nr, 0, 0, NULL),
                                        0);
                /* One that is not allowed above (index 301: 301 % 3 == 1). */
                assert_true(scmpd_syscall_iter(scmpd_arch_native(), 301, &nr, NULL));
                d.nr = nr;
                assert_int_equal(scmpd_filter_rule_add(f, SCMPD_ACT_TRAP, d.nr, 0, 0, NULL), 0);
                if (round == 1)
                        assert_int_equal(scmpd_filter_syscall_priority(f, d.nr, 255), 0);
                assert_int_equal(scmpd_filter_export_bpf_mem(f, &prog, &len), 0);
                assert_int_equal(scmpd_bpf_run(prog, len, &d, &action, round ? &after : &before),
                                 0);
                assert_int_equal(action, SCMPD_ACT_TRAP);
                free(prog);
                scmpd_filter_free(f);
        }
        assert_true(after < before);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_new_and_actions), cmocka_unit_test(test_attributes),
                cmocka_unit_test(test_arches),          cmocka_unit_test(test_rule_errors),
                cmocka_unit_test(test_transactions),    cmocka_unit_test(test_merge),
                cmocka_unit_test(test_export),          cmocka_unit_test(test_deterministic),
                cmocka_unit_test(test_too_big),         cmocka_unit_test(test_cacheable_everywhere),
                cmocka_unit_test(test_priority),        cmocka_unit_test(test_export_order),
                cmocka_unit_test(test_kernel_probes),   cmocka_unit_test(test_export_then_add),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
