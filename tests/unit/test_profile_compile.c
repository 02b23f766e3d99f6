/*
 * Profile compilation (lib/profile.c): moby's includes/excludes for a target, the arches a
 * filter gets, and runc's rules, checked by running the compiled program in the simulator.
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

#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "scmpd/filter.h"
#include "scmpd/profile.h"
#include "util.h"

#define X86_64 0xc000003eU
#define X86 0x40000003U
#define X32 0x4000003eU
#define AARCH64 0xc00000b7U
#define ARM 0x40000028U

struct warnings {
        char *text[8];
        size_t n;
};

static void collect_warning(const char *message, void *userdata)
{
        struct warnings *w = userdata;
        if (w->n < ELEMENTSOF(w->text))
                w->text[w->n++] = strdup(message);
}

static void warnings_done(struct warnings *w)
{
        for (size_t i = 0; i < w->n; i++)
                free(w->text[i]);
        w->n = 0;
}

static struct scmpd_profile *parse(const char *json)
{
        struct scmpd_profile *p = NULL;
        char *error = NULL;
        if (scmpd_profile_parse(json, strlen(json), NULL, NULL, &p, &error) < 0)
                fail_msg("parse: %s", error ? error : "?");
        return p;
}

static struct scmpd_profile *parse_docker(void)
{
        const char *root = getenv("SCMPD_SOURCE_ROOT");
        char path[4096];
        struct scmpd_profile *p = NULL;
        char *error = NULL;
        snprintf(path, sizeof(path), "%s/tests/data/docker-default.json", root ? root : ".");
        if (scmpd_profile_parse_file(path, NULL, NULL, &p, &error) < 0)
                fail_msg("parse: %s", error ? error : "?");
        return p;
}

struct program {
        struct sock_filter *insns;
        size_t len;
};

static struct program compile_ok(const struct scmpd_profile *p,
                                 const struct scmpd_profile_target *t, struct warnings *w,
                                 struct scmpd_filter **ret_filter)
{
        struct scmpd_filter *f = NULL;
        char *error = NULL;
        struct program prog = { 0 };
        void *mem = NULL;

        int r = scmpd_profile_compile(p, t, w ? collect_warning : NULL, w, &f, &error);
        if (r < 0)
                fail_msg("compile (%d): %s", r, error ? error : "?");
        assert_int_equal(scmpd_filter_export_bpf_mem(f, &mem, &prog.len), 0);
        prog.insns = mem;
        if (ret_filter)
                *ret_filter = f;
        else
                scmpd_filter_free(f);
        return prog;
}

static uint32_t decide(const struct program *prog, uint32_t arch, const char *name, uint64_t arg0)
{
        const struct scmpd_arch *a = scmpd_arch_by_token(arch);
        struct seccomp_data d = { .arch = arch, .args = { arg0 } };
        uint32_t action;
        unsigned executed;

        assert_non_null(a);
        d.nr = scmpd_syscall_nr(a, name);
        assert_true(d.nr >= 0);
        assert_int_equal(scmpd_bpf_run(prog->insns, prog->len, &d, &action, &executed), 0);
        return action;
}

static void test_arches(void **state)
{
        struct scmpd_profile *p = parse_docker();
        uint32_t arches[8];

        struct scmpd_profile_target t = { .arch = X86_64, .kernel_major = 6, .kernel_minor = 1 };
        assert_int_equal(scmpd_profile_arches(p, &t, arches, 8), 3);
        assert_int_equal(arches[0], X86_64);
        assert_int_equal(arches[1], X86);
        assert_int_equal(arches[2], X32);

        t.arch = AARCH64;
        assert_int_equal(scmpd_profile_arches(p, &t, arches, 8), 2);
        assert_int_equal(arches[0], AARCH64);
        assert_int_equal(arches[1], ARM);

        /* No archMap entry for the host: the host alone. Extra arches come last, once. */
        static const uint32_t extra[] = { X86_64, X86 };
        t.arch = X86;
        t.extra_arches = extra;
        t.n_extra_arches = 2;
        assert_int_equal(scmpd_profile_arches(p, &t, arches, 8), 2);
        assert_int_equal(arches[0], X86);
        assert_int_equal(arches[1], X86_64);

        /* The count is returned even when it does not fit. */
        t.arch = X86_64;
        t.n_extra_arches = 0;
        assert_int_equal(scmpd_profile_arches(p, &t, arches, 1), 3);
        t.arch = 0x12345678U;
        assert_int_equal(scmpd_profile_arches(p, &t, arches, 8), -EINVAL);
        scmpd_profile_free(p);

        /* "architectures" come after the host, without repeats. */
        p = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\","
                  "\"SCMP_ARCH_X86_64\"]}");
        t = (struct scmpd_profile_target){ .arch = X86_64, .kernel_major = 6 };
        assert_int_equal(scmpd_profile_arches(p, &t, arches, 8), 2);
        assert_int_equal(arches[0], X86_64);
        assert_int_equal(arches[1], X86);
        scmpd_profile_free(p);
}

static size_t find(const struct scmpd_profile *p, const char *name, size_t nth)
{
        for (size_t i = 0; i < p->n_syscalls; i++)
                for (size_t j = 0; j < p->syscalls[i].n_names; j++)
                        if (strcmp(p->syscalls[i].names[j], name) == 0 && nth-- == 0)
                                return i;
        fail_msg("no entry %s", name);
        return 0;
}

static void test_includes_excludes(void **state)
{
        struct scmpd_profile *p = parse_docker();
        static const char *const admin[] = { "CAP_SYS_ADMIN" };
        struct scmpd_profile_target t = { .arch = X86_64, .kernel_major = 4, .kernel_minor = 7 };

        /* includes.minKernel 4.8 */
        size_t ptrace = find(p, "ptrace", 0);
        assert_int_equal(scmpd_profile_syscall_applies(p, ptrace, &t), 0);
        t.kernel_minor = 8;
        assert_int_equal(scmpd_profile_syscall_applies(p, ptrace, &t), 1);
        t.kernel_major = 5;
        t.kernel_minor = 0;
        assert_int_equal(scmpd_profile_syscall_applies(p, ptrace, &t), 1);

        /* includes.caps and excludes.caps */
        size_t clone3_allow = find(p, "clone3", 0), clone3_enosys = find(p, "clone3", 1);
        assert_int_equal(scmpd_profile_syscall_applies(p, clone3_allow, &t), 0);
        assert_int_equal(scmpd_profile_syscall_applies(p, clone3_enosys, &t), 1);
        t.caps = admin;
        t.n_caps = 1;
        assert_int_equal(scmpd_profile_syscall_applies(p, clone3_allow, &t), 1);
        assert_int_equal(scmpd_profile_syscall_applies(p, clone3_enosys, &t), 0);

        /* includes.arches, matched against the host's Go name */
        size_t arch_prctl = find(p, "arch_prctl", 0);
        assert_int_equal(scmpd_profile_syscall_applies(p, arch_prctl, &t), 1);
        t.arch = X86;
        assert_int_equal(scmpd_profile_syscall_applies(p, arch_prctl, &t), 0);
        assert_string_equal(scmpd_profile_arch_go_name(X86_64), "amd64");
        assert_string_equal(scmpd_profile_arch_go_name(X86), "x86");
        assert_string_equal(scmpd_profile_arch_go_name(AARCH64), "arm64");

        /* excludes.arches: the clone mask rule is not for s390x */
        size_t clone_masked = find(p, "clone", 1);
        t.caps = NULL;
        t.n_caps = 0;
        t.arch = X86_64;
        assert_int_equal(scmpd_profile_syscall_applies(p, clone_masked, &t), 1);
        t.arch = 0x80000016U; /* s390x */
        assert_int_equal(scmpd_profile_syscall_applies(p, clone_masked, &t), 0);
        assert_int_equal(scmpd_profile_syscall_applies(p, p->n_syscalls, &t), -EINVAL);
        scmpd_profile_free(p);
}

static void test_docker_decisions(void **state)
{
        struct scmpd_profile *p = parse_docker();
        static const char *const admin[] = { "CAP_SYS_ADMIN" };
        struct scmpd_profile_target t = { .arch = X86_64, .kernel_major = 6, .kernel_minor = 18 };

        struct program prog = compile_ok(p, &t, NULL, NULL);
        assert_int_equal(decide(&prog, X86_64, "read", 0), SCMPD_ACT_ALLOW);
        assert_int_equal(decide(&prog, X86_64, "mount", 0), SCMPD_ACT_ERRNO(1));
        assert_int_equal(decide(&prog, X86_64, "clone3", 0), SCMPD_ACT_ERRNO(38));
        /* clone: CLONE_NEWUSER (0x10000000) is outside the allowed mask. */
        assert_int_equal(decide(&prog, X86_64, "clone", 0x11), SCMPD_ACT_ALLOW);
        assert_int_equal(decide(&prog, X86_64, "clone", 0x10000000), SCMPD_ACT_ERRNO(1));
        /* The personality entries repeat no index within one entry: each is its own rule. */
        assert_int_equal(decide(&prog, X86_64, "personality", 8), SCMPD_ACT_ALLOW);
        assert_int_equal(decide(&prog, X86_64, "personality", 9), SCMPD_ACT_ERRNO(1));
        /* x86 is in the filter (archMap), arch_prctl is amd64/x32-only but allowed there. */
        assert_int_equal(decide(&prog, X86, "socketcall", 0), SCMPD_ACT_ALLOW);
        assert_int_equal(decide(&prog, X86_64, "arch_prctl", 0), SCMPD_ACT_ALLOW);
        free(prog.insns);

        t.caps = admin;
        t.n_caps = 1;
        prog = compile_ok(p, &t, NULL, NULL);
        assert_int_equal(decide(&prog, X86_64, "mount", 0), SCMPD_ACT_ALLOW);
        assert_int_equal(decide(&prog, X86_64, "clone3", 0), SCMPD_ACT_ALLOW);
        assert_int_equal(decide(&prog, X86_64, "clone", 0x10000000), SCMPD_ACT_ALLOW);
        free(prog.insns);

        /* A foreign host: the filter holds aarch64 and arm, and x86_64 is a bad arch. */
        t.arch = AARCH64;
        prog = compile_ok(p, &t, NULL, NULL);
        assert_int_equal(decide(&prog, AARCH64, "read", 0), SCMPD_ACT_ALLOW);
        assert_int_equal(decide(&prog, ARM, "read", 0), SCMPD_ACT_ALLOW);
        assert_int_equal(decide(&prog, X86_64, "read", 0), SCMPD_ACT_KILL_THREAD);
        free(prog.insns);
        scmpd_profile_free(p);
}

static void test_runc_rules(void **state)
{
        struct warnings w = { 0 };
        struct scmpd_filter *f = NULL;
        uint32_t v;
        struct scmpd_profile *p =
                parse("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,\"syscalls\":["
                      /* A repeated index: OR'd, not AND'ed (which could never hold). */
                      "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
                      "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},"
                      "{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]},"
                      /* Distinct indexes: AND'ed. */
                      "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
                      "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_GT\"},"
                      "{\"index\":1,\"value\":9,\"op\":\"SCMP_CMP_NE\"}]},"
                      /* The default action again: skipped, where libseccomp would refuse it. */
                      "{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38},"
                      "{\"names\":[\"no_such_syscall\",\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
        struct scmpd_profile_target t = { .arch = X86_64, .kernel_major = 6, .kernel_minor = 18 };
        struct program prog = compile_ok(p, &t, &w, &f);

        assert_int_equal(w.n, 1);
        assert_string_equal(w.text[0], "syscalls[3].names[0]: unknown syscall "
                                       "\"no_such_syscall\" skipped");
        assert_int_equal(decide(&prog, X86_64, "personality", 0), SCMPD_ACT_ALLOW);
        assert_int_equal(decide(&prog, X86_64, "personality", 8), SCMPD_ACT_ALLOW);
        assert_int_equal(decide(&prog, X86_64, "personality", 4), SCMPD_ACT_ERRNO(38));
        assert_int_equal(decide(&prog, X86_64, "read", 0), SCMPD_ACT_ALLOW);
        assert_int_equal(decide(&prog, X86_64, "mount", 0), SCMPD_ACT_ERRNO(38));

        struct seccomp_data d = { .arch = X86_64, .args = { 2, 9 } };
        uint32_t action;
        unsigned executed;
        d.nr = scmpd_syscall_nr(scmpd_arch_by_token(X86_64), "kill");
        assert_int_equal(scmpd_bpf_run(prog.insns, prog.len, &d, &action, &executed), 0);
        assert_int_equal(action, SCMPD_ACT_ERRNO(38));
        d.args[1] = 15;
        assert_int_equal(scmpd_bpf_run(prog.insns, prog.len, &d, &action, &executed), 0);
        assert_int_equal(action, SCMPD_ACT_ALLOW);

        /* Attributes as runc sets them: no flags key means SPEC_ALLOW; no_new_privs off;
         * 4 rules stay on libseccomp's default layout. */
        assert_int_equal(scmpd_filter_attr_get(f, SCMPD_ATTR_SSB, &v), 0);
        assert_int_equal(v, 1);
        assert_int_equal(scmpd_filter_attr_get(f, SCMPD_ATTR_NO_NEW_PRIVS, &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(scmpd_filter_attr_get(f, SCMPD_ATTR_LOG, &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(scmpd_filter_attr_get(f, SCMPD_ATTR_OPTIMIZE, &v), 0);
        assert_int_equal(v, 1);
        scmpd_filter_free(f);
        free(prog.insns);
        warnings_done(&w);
        scmpd_profile_free(p);

        /* An explicit flags list is taken as it is. */
        p = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"]}");
        prog = compile_ok(p, &t, NULL, &f);
        assert_int_equal(scmpd_filter_attr_get(f, SCMPD_ATTR_SSB, &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(scmpd_filter_attr_get(f, SCMPD_ATTR_LOG, &v), 0);
        assert_int_equal(v, 1);
        scmpd_filter_free(f);
        free(prog.insns);
        scmpd_profile_free(p);

        /* More than 32 rules: the binary tree, as runc asks for. */
        p = parse_docker();
        prog = compile_ok(p, &t, NULL, &f);
        assert_int_equal(scmpd_filter_attr_get(f, SCMPD_ATTR_OPTIMIZE, &v), 0);
        assert_int_equal(v, 2);
        scmpd_filter_free(f);
        free(prog.insns);
        scmpd_profile_free(p);
}

static void test_compile_errors(void **state)
{
        struct scmpd_filter *f = NULL;
        char *error = NULL;
        struct scmpd_profile_target t = { .arch = X86_64, .kernel_major = 6, .kernel_minor = 18 };
        struct scmpd_profile *p = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                                        "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_LOG\"},"
                                        "{\"names\":[\"read\",\"write\"],\"action\":"
                                        "\"SCMP_ACT_NOTIFY\"}]}");

        /* runc refuses NOTIFY on write: the runtime itself writes the listener fd number. */
        assert_int_equal(scmpd_profile_compile(p, &t, NULL, NULL, &f, &error), -EINVAL);
        assert_null(f);
        assert_string_equal(error, "syscalls[1].names[1]: SCMP_ACT_NOTIFY cannot be used for "
                                   "the write syscall");
        free(error);
        error = NULL;

        t.arch = 0x12345678U;
        assert_int_equal(scmpd_profile_compile(p, &t, NULL, NULL, &f, &error), -EINVAL);
        assert_null(f);
        assert_string_equal(error, "target: unknown architecture 0x12345678");
        free(error);
        error = NULL;

        /* A target is the caller's input too: a count without its array is refused. */
        struct scmpd_profile_target broken = { .arch = X86_64, .n_caps = 3 };
        assert_int_equal(scmpd_profile_compile(p, &broken, NULL, NULL, &f, &error), -EINVAL);
        assert_null(f);
        assert_string_equal(error, "target: n_caps without caps");
        free(error);
        error = NULL;
        static const uint32_t bogus[] = { 0x12345678U };
        broken = (struct scmpd_profile_target){ .arch = X86_64,
                                                .extra_arches = bogus,
                                                .n_extra_arches = 1 };
        assert_int_equal(scmpd_profile_compile(p, &broken, NULL, NULL, &f, &error), -EINVAL);
        assert_string_equal(error, "target: unknown extra architecture");
        free(error);
        scmpd_profile_free(p);

        /* Excluded for this target, the same entry is no obstacle. */
        p = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"write\"],"
                  "\"action\":\"SCMP_ACT_NOTIFY\",\"includes\":{\"caps\":[\"CAP_BPF\"]}}]}");
        t.arch = X86_64;
        struct program prog = compile_ok(p, &t, NULL, NULL);
        assert_int_equal(decide(&prog, X86_64, "write", 0), SCMPD_ACT_ALLOW);
        free(prog.insns);
        scmpd_profile_free(p);
}

/* runc's -ENOSYS stub in front of the filter: numbers above the largest one the profile names
 * on an arch get ENOSYS, everything else is the filter's decision. */
static int largest_named(const struct scmpd_profile *p, const struct scmpd_profile_target *t,
                         const struct scmpd_arch *a)
{
        int max = 0;
        for (size_t i = 0; i < p->n_syscalls; i++) {
                if (scmpd_profile_syscall_applies(p, i, t) != 1)
                        continue;
                for (size_t j = 0; j < p->syscalls[i].n_names; j++) {
                        enum scmpd_mux mux;
                        uint32_t call;
                        int nr = scmpd_syscall_nr(a, p->syscalls[i].names[j]);
                        /* libseccomp resolves multiplexed calls to pseudo numbers. */
                        if (nr > max && scmpd_syscall_mux(a, nr, &mux, &call) != 1)
                                max = nr;
                }
        }
        return max;
}

static uint32_t run(const struct sock_filter *prog, size_t len, uint32_t arch, int nr)
{
        struct seccomp_data d = { .arch = arch, .nr = nr };
        uint32_t action;
        unsigned executed;
        assert_int_equal(scmpd_bpf_run(prog, len, &d, &action, &executed), 0);
        return action;
}

static void test_enosys_stub(void **state)
{
        struct scmpd_profile *p = parse_docker();
        struct scmpd_profile_target t = { .arch = X86_64, .kernel_major = 6, .kernel_minor = 18 };
        struct program filter = compile_ok(p, &t, NULL, NULL);
        void *mem = NULL;
        size_t stub_len = 0;

        assert_int_equal(scmpd_profile_enosys_stub(p, &t, &mem, &stub_len), 0);
        assert_true(stub_len > 0);
        struct sock_filter *prog = calloc(stub_len + filter.len, sizeof(*prog));
        assert_non_null(prog);
        memcpy(prog, mem, stub_len * sizeof(*prog));
        memcpy(prog + stub_len, filter.insns, filter.len * sizeof(*prog));
        size_t len = stub_len + filter.len;
        free(mem);
        assert_int_equal(scmpd_bpf_validate(prog, len, NULL), 0);

        /* scmpd_profile_program() is exactly that concatenation. */
        struct scmpd_filter *f = NULL;
        struct program again = compile_ok(p, &t, NULL, &f);
        void *whole = NULL;
        size_t whole_len = 0;
        assert_int_equal(scmpd_profile_program(p, &t, f, &whole, &whole_len), 0);
        assert_int_equal(whole_len, len);
        assert_memory_equal(whole, prog, len * sizeof(*prog));
        free(whole);
        free(again.insns);
        scmpd_filter_free(f);

        static const char *const arch_names[] = { "x86_64", "x86", "x32" };
        size_t enosys = 0;
        for (size_t i = 0; i < ELEMENTSOF(arch_names); i++) {
                const struct scmpd_arch *a = scmpd_arch_by_name(arch_names[i]);
                uint32_t data_arch = strcmp(a->name, "x32") == 0 ? X86_64 : a->token;
                int max = largest_named(p, &t, a), nr, top = 0;
                const char *name;
                assert_true(max > 0);
                for (size_t k = 0; scmpd_syscall_iter(a, k, &nr, &name); k++) {
                        uint32_t want = nr > max ? SCMPD_ACT_ERRNO(ENOSYS)
                                                 : run(filter.insns, filter.len, data_arch, nr);
                        assert_int_equal(run(prog, len, data_arch, nr), want);
                        enosys += nr > max;
                        top = nr > top ? nr : top;
                }
                /* Unknown numbers past the table too. */
                for (int extra = 1; extra < 64; extra++)
                        assert_int_equal(run(prog, len, data_arch, top + extra),
                                         SCMPD_ACT_ERRNO(ENOSYS));
        }
        /* Linux 6.18 has syscalls newer than Docker's profile: runc gives them ENOSYS. */
        assert_true(enosys > 0);
        assert_int_equal(
                run(prog, len, X86_64, scmpd_syscall_nr(scmpd_arch_by_token(X86_64), "cachestat")),
                SCMPD_ACT_ERRNO(ENOSYS));
        /* A foreign arch still takes the filter's bad-arch action. */
        assert_int_equal(run(prog, len, AARCH64, 1000), SCMPD_ACT_KILL_THREAD);
        free(prog);
        free(filter.insns);

        /* s390x: number 0 multiplexes unknown large numbers and gets ENOSYS too. */
        t.arch = 0x80000016U;
        assert_int_equal(scmpd_profile_enosys_stub(p, &t, &mem, &stub_len), 0);
        assert_true(stub_len > 0);
        struct sock_filter ret_default = BPF_STMT(BPF_RET | BPF_K, SCMPD_ACT_ALLOW);
        prog = calloc(stub_len + 1, sizeof(*prog));
        assert_non_null(prog);
        memcpy(prog, mem, stub_len * sizeof(*prog));
        prog[stub_len] = ret_default;
        free(mem);
        assert_int_equal(run(prog, stub_len + 1, 0x80000016U, 0), SCMPD_ACT_ERRNO(ENOSYS));
        assert_int_equal(run(prog, stub_len + 1, 0x80000016U, 3), SCMPD_ACT_ALLOW);
        free(prog);
        scmpd_profile_free(p);

        /* No stub for a permissive default, nor without listed arches. */
        t.arch = X86_64;
        p = parse("{\"defaultAction\":\"SCMP_ACT_LOG\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
                  "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
        assert_int_equal(scmpd_profile_enosys_stub(p, &t, &mem, &stub_len), 0);
        assert_int_equal(stub_len, 0);
        assert_null(mem);
        scmpd_profile_free(p);
        p = parse("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
                  "\"action\":\"SCMP_ACT_ALLOW\"}]}");
        assert_int_equal(scmpd_profile_enosys_stub(p, &t, &mem, &stub_len), 0);
        assert_int_equal(stub_len, 0);
        scmpd_profile_free(p);

        /* x32 alone: x86_64 numbers go straight to the filter. */
        p = parse("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X32\"],"
                  "\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
        assert_int_equal(scmpd_profile_enosys_stub(p, &t, &mem, &stub_len), 0);
        assert_true(stub_len > 0);
        prog = calloc(stub_len + 1, sizeof(*prog));
        assert_non_null(prog);
        memcpy(prog, mem, stub_len * sizeof(*prog));
        prog[stub_len] = ret_default;
        free(mem);
        assert_int_equal(run(prog, stub_len + 1, X86_64, 400), SCMPD_ACT_ALLOW);
        assert_int_equal(run(prog, stub_len + 1, X86_64, 0x40000001), SCMPD_ACT_ALLOW);
        assert_int_equal(run(prog, stub_len + 1, X86_64, 0x40000002), SCMPD_ACT_ERRNO(ENOSYS));
        free(prog);
        scmpd_profile_free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_arches),           cmocka_unit_test(test_includes_excludes),
                cmocka_unit_test(test_docker_decisions), cmocka_unit_test(test_runc_rules),
                cmocka_unit_test(test_compile_errors),   cmocka_unit_test(test_enosys_stub),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
