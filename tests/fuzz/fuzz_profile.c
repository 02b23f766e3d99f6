/*
 * Fuzz target for the profile parser and compiler (lib/profile.c). Any input must either be
 * refused with a message or give a profile that compiles (or is refused with a message) into a
 * program the kernel's checker would accept. Anything else (a crash, a sanitizer report, a
 * refusal without a message, an invalid program) aborts.
 *
 * The compiled program is also run in the simulator on x86_64 (the host arch of both targets)
 * and checked against the parsed model, evaluated here independently of the compiler: a syscall
 * no applicable entry names takes the default action; a syscall whose applicable entries (those
 * with an action other than the default) all share one action A takes A exactly when one
 * entry's comparisons hold (all of them; any one when the entry repeats an argument index, as
 * runc does), else the default. Syscalls named by entries with different actions are not
 * checked here (their overlap semantics are the compiler's, covered by fuzz_compile_diff.c).
 *
 * Built with clang -fsanitize=fuzzer when available; replay.c runs the committed corpus through
 * the same entry point as an ordinary test.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/audit.h>

#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "scmpd/filter.h"
#include "scmpd/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count_warning(const char *message, void *userdata)
{
        size_t *n = userdata;
        if (!message || !*message)
                abort();
        (*n)++;
}

/* ---- the model, evaluated for x86_64 ---- */

#define SIM_MAX_NR 512U
#define SIM_MAX_RUNS 4000U

static bool arg_holds(const struct scmpd_profile_arg *a, uint64_t v)
{
        switch (a->op) {
        case SCMPD_CMP_NE:
                return v != a->value;
        case SCMPD_CMP_LT:
                return v < a->value;
        case SCMPD_CMP_LE:
                return v <= a->value;
        case SCMPD_CMP_EQ:
                return v == a->value;
        case SCMPD_CMP_GE:
                return v >= a->value;
        case SCMPD_CMP_GT:
                return v > a->value;
        case SCMPD_CMP_MASKED_EQ:
                return (v & a->value) == (a->value_two & a->value);
        }
        abort();
}

static bool entry_holds(const struct scmpd_profile_syscall *s, const uint64_t *args)
{
        unsigned seen = 0;
        bool split = false, all = true, any = false;

        if (s->n_args == 0)
                return true;
        for (size_t k = 0; k < s->n_args; k++) {
                bool h = arg_holds(&s->args[k], args[s->args[k].index]);

                split |= (seen >> s->args[k].index) & 1U;
                seen |= 1U << s->args[k].index;
                all &= h;
                any |= h;
        }
        return split ? any : all;
}

static uint64_t satisfying(const struct scmpd_profile_arg *a, bool want)
{
        uint64_t v = a->value, m = a->value_two;

        switch (a->op) {
        case SCMPD_CMP_EQ:
        case SCMPD_CMP_LE:
        case SCMPD_CMP_GE:
                return want ? v : (a->op == SCMPD_CMP_GE ? v - 1 : v + 1);
        case SCMPD_CMP_NE:
                return want ? v + 1 : v;
        case SCMPD_CMP_LT:
                return want ? v - 1 : v;
        case SCMPD_CMP_GT:
                return want ? v + 1 : v;
        case SCMPD_CMP_MASKED_EQ:
                return want ? (m & v) | ~v : (m & v) ^ (v & -v);
        }
        abort();
}

static void sim_one(const struct sock_filter *prog, size_t len, int nr, const uint64_t *args,
                    uint32_t expect, unsigned *runs)
{
        struct seccomp_data sd = { .nr = nr, .arch = AUDIT_ARCH_X86_64 };
        uint32_t got = 0;

        memcpy(sd.args, args, sizeof(sd.args));
        if (scmpd_bpf_run(prog, len, &sd, &got, NULL) != 0 || got != expect)
                abort();
        (*runs)++;
}

/* Per entry: whether it takes part (applies to the target, action other than the default) and
 * which x86_64 numbers below SIM_MAX_NR it names. */
struct entry_set {
        bool live;
        uint64_t nrs[SIM_MAX_NR / 64];
};

static bool names_nr(const struct entry_set *e, int nr)
{
        return e->live && ((e->nrs[nr / 64] >> (nr % 64)) & 1U);
}

static uint32_t expected(const struct scmpd_profile *p, const struct entry_set *es, int nr,
                         uint32_t action, const uint64_t *args)
{
        for (size_t e = 0; e < p->n_syscalls; e++)
                if (names_nr(&es[e], nr) && entry_holds(&p->syscalls[e], args))
                        return action;
        return p->default_action;
}

static void simulate(const struct scmpd_profile *p, const struct scmpd_profile_target *t,
                     const struct sock_filter *prog, size_t len)
{
        const struct scmpd_arch *arch = scmpd_arch_by_token(AUDIT_ARCH_X86_64);
        static const uint64_t zero[6], ones[6] = { UINT64_MAX, UINT64_MAX, UINT64_MAX,
                                                   UINT64_MAX, UINT64_MAX, UINT64_MAX };
        struct entry_set *es;
        unsigned runs = 0;

        if (!arch)
                abort();
        es = calloc(p->n_syscalls ? p->n_syscalls : 1, sizeof(*es));
        if (!es)
                abort();
        for (size_t i = 0; i < p->n_syscalls; i++) {
                const struct scmpd_profile_syscall *s = &p->syscalls[i];

                es[i].live = s->action != p->default_action &&
                             scmpd_profile_syscall_applies(p, i, t) == 1;
                for (size_t j = 0; es[i].live && j < s->n_names; j++) {
                        int nr = scmpd_syscall_nr(arch, s->names[j]);

                        if (nr >= 0 && nr < (int)SIM_MAX_NR)
                                es[i].nrs[nr / 64] |= 1ULL << (nr % 64);
                }
        }
        for (int nr = 0; nr < (int)SIM_MAX_NR && runs < SIM_MAX_RUNS; nr++) {
                uint32_t action = 0;
                size_t n = 0;
                bool mixed = false;

                for (size_t i = 0; i < p->n_syscalls; i++) {
                        if (!names_nr(&es[i], nr))
                                continue;
                        if (n++ == 0)
                                action = p->syscalls[i].action;
                        else if (p->syscalls[i].action != action)
                                mixed = true;
                }
                if (mixed)
                        continue;
                if (n == 0) {
                        sim_one(prog, len, nr, zero, p->default_action, &runs);
                        continue;
                }
                /* Each entry naming nr: its comparisons all made to hold, then each made to fail
                 * in turn; plus all-zero and all-ones arguments. */
                for (size_t i = 0; i < p->n_syscalls && runs < SIM_MAX_RUNS; i++) {
                        const struct scmpd_profile_syscall *s = &p->syscalls[i];

                        if (!names_nr(&es[i], nr))
                                continue;
                        for (size_t miss = 0; miss <= s->n_args && miss <= 8; miss++) {
                                uint64_t args[6] = { 0 };

                                for (size_t k = 0; k < s->n_args; k++)
                                        args[s->args[k].index] =
                                                satisfying(&s->args[k], k + 1 != miss);
                                sim_one(prog, len, nr, args, expected(p, es, nr, action, args),
                                        &runs);
                        }
                }
                sim_one(prog, len, nr, zero, expected(p, es, nr, action, zero), &runs);
                sim_one(prog, len, nr, ones, expected(p, es, nr, action, ones), &runs);
        }
        free(es);
}

static void compile_one(const struct scmpd_profile *p, const struct scmpd_profile_target *t)
{
        struct scmpd_filter *f = NULL;
        char *error = NULL;
        size_t warnings = 0;
        int r = scmpd_profile_compile(p, t, count_warning, &warnings, &f, &error);

        if (r < 0) {
                if (f || (!error && r != -ENOMEM))
                        abort();
                free(error);
                return;
        }
        if (!f || error)
                abort();

        void *mem = NULL, *stub = NULL;
        size_t len = 0, stub_len = 0;
        if (scmpd_profile_enosys_stub(p, t, &stub, &stub_len) < 0 && stub)
                abort();
        if (scmpd_filter_export_bpf_mem(f, &mem, &len) == 0) {
                if (scmpd_bpf_validate(mem, len, NULL) != 0)
                        abort();
                simulate(p, t, mem, len);
                /* What runc loads: the stub, then the filter. */
                struct sock_filter *all = calloc(stub_len + len, sizeof(*all));
                if (all) {
                        if (stub_len)
                                memcpy(all, stub, stub_len * sizeof(*all));
                        memcpy(all + stub_len, mem, len * sizeof(*all));
                        if (stub_len + len <= BPF_MAXINSNS &&
                            scmpd_bpf_validate(all, stub_len + len, NULL) != 0)
                                abort();
                        free(all);
                }
                free(mem);
        }
        free(stub);
        scmpd_filter_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const caps[] = { "CAP_SYS_ADMIN", "CAP_SYS_PTRACE" };
        static const uint32_t extra[] = { 0x40000003U /* x86 */ };
        struct scmpd_profile *p = NULL;
        char *error = NULL;
        size_t warnings = 0;
        int r = scmpd_profile_parse((const char *)data, size, count_warning, &warnings, &p, &error);

        if (r < 0) {
                if (p || (!error && r != -ENOMEM))
                        abort();
                free(error);
                return 0;
        }
        if (!p || error)
                abort();

        /* The model's invariants. */
        for (size_t i = 0; i < p->n_syscalls; i++)
                for (size_t k = 0; k < p->syscalls[i].n_args; k++)
                        if (p->syscalls[i].args[k].index > 5 ||
                            p->syscalls[i].args[k].op < SCMPD_CMP_NE ||
                            p->syscalls[i].args[k].op > SCMPD_CMP_MASKED_EQ)
                                abort();
        if (!scmpd_action_valid(p->default_action))
                abort();

        const struct scmpd_profile_target plain = { .kernel_major = 6, .kernel_minor = 18 };
        const struct scmpd_profile_target rich = {
                .arch = 0xc000003eU,
                .extra_arches = extra,
                .n_extra_arches = 1,
                .caps = caps,
                .n_caps = 2,
                .kernel_major = 3,
                .kernel_minor = 10,
        };
        compile_one(p, &plain);
        compile_one(p, &rich);
        scmpd_profile_free(p);
        return 0;
}
