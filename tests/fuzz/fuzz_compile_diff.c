/*
 * Differential fuzz target for the filter compiler (lib/filter.c, lib/gen_bpf.c). The input is
 * decoded into a random filter: a default and a bad-arch action, x86_64 plus up to four other
 * little-endian arches (64- and 32-bit), priorities, and up to 1000 rules over a pool of syscall
 * names (some missing on some arches), with 0 to 6 comparisons using every operator, every
 * action, best-effort and exact. When the input runs out, the decoder continues from a PRNG
 * seeded by the input, so a short input can describe a filter too large for BPF.
 *
 * The filter is compiled with scmpd_filter_*() and run in the simulator (scmpd_bpf_run) for every
 * arch, the syscalls the rules name and others, and argument vectors built to satisfy and to
 * miss each comparison. Each decision is checked against eval() below, a plain evaluator of the
 * rule list written from the semantics in scmpd/filter.h, not from the code generator.
 *
 * Restriction (where libseccomp's overlap semantics get subtle): each syscall is generated in one
 * of two modes, fixed by its first rule.
 *   - one action: all its rules share one action. Whatever the overlap rules do (first
 *     unconditional rule wins, extensions absorbed, prefixes replace), the syscall then takes
 *     that action exactly when some accepted rule's comparisons all hold.
 *   - disjoint: every rule compares argument 0 for equality with a value whose low word no other
 *     rule of the syscall uses (and never compares argument 0 otherwise), so at most one rule
 *     can hold; each has its own action.
 * Comparisons of one rule use distinct arguments.
 *
 * Properties checked:
 *   - every decision equals the evaluator's (bad-arch action for arches not in the filter and
 *     for x32 numbers on x86_64, default action when no rule holds);
 *   - rule_add's refusals are the documented ones: -EACCES for the default action, -EINVAL for
 *     ERRNO data over 4094, -EOPNOTSUPP for an exact rule with several arches; nothing else;
 *   - limit: a program is at most BPF_MAXINSNS instructions and valid, or export fails with
 *     -E2BIG and an error message naming rules;
 *   - determinism: the accepted rules added again in a shuffled order (priorities too) give a
 *     byte-identical program (or -E2BIG again).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/audit.h>

#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "scmpd/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RULES 1000
/* Simulated decisions per input: each run validates the program again, so the budget is in
 * instructions (runs x length), with at most MAX_RUNS runs. */
#define MAX_RUNS 1500
#define RUN_BUDGET_INSNS 200000

/* Syscalls the rules pick from: none is multiplexed through socketcall/ipc; some are missing on
 * some arches (open, stat, time, fork on aarch64/riscv64; _llseek, waitpid on x86_64). */
static const char *const pool[] = {
        "read",    "write",          "openat",  "close",   "mmap",   "ioctl",
        "getpid",  "kill",           "clone",   "execve",  "prctl",  "ptrace",
        "unshare", "setns",          "mount",   "umount2", "chroot", "pivot_root",
        "open",    "stat",           "time",    "fork",    "bpf",    "perf_event_open",
        "keyctl",  "io_uring_setup", "_llseek", "waitpid", "mkdir",  "personality",
};
#define POOL_N (sizeof(pool) / sizeof(pool[0]))

static const uint32_t extra_arches[] = {
        AUDIT_ARCH_AARCH64,
        AUDIT_ARCH_I386,
        AUDIT_ARCH_ARM,
        AUDIT_ARCH_RISCV64,
};
#define EXTRA_N (sizeof(extra_arches) / sizeof(extra_arches[0]))

struct src {
        const uint8_t *data;
        size_t size, pos;
        uint64_t prng;
};

static uint64_t prng_next(uint64_t *s)
{
        /* xorshift64* */
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * 0x2545f4914f6cdd1dULL;
}

static uint8_t u8(struct src *s)
{
        if (s->pos < s->size)
                return s->data[s->pos++];
        return (uint8_t)(prng_next(&s->prng) >> 56);
}

static uint64_t u64(struct src *s)
{
        uint64_t v = 0;

        for (int i = 0; i < 8; i++)
                v = v << 8 | u8(s);
        return v;
}

/* Interesting values: small, near word boundaries, or anything. */
static uint64_t datum(struct src *s)
{
        uint8_t k = u8(s);

        switch (k % 8) {
        case 0:
                return k >> 3;
        case 1:
                return 0xffffffffULL - (k >> 3);
        case 2:
                return 0x100000000ULL + (k >> 3);
        case 3:
                return UINT64_MAX - (k >> 3);
        case 4:
                return (uint64_t)(k >> 3) << 32;
        default:
                return u64(s);
        }
}

static uint32_t action(struct src *s, bool *ret_bad_errno)
{
        uint8_t k = u8(s);

        *ret_bad_errno = false;
        switch (k % 8) {
        case 0:
                return SCMPD_ACT_KILL_PROCESS;
        case 1:
                return SCMPD_ACT_KILL_THREAD;
        case 2:
                return SCMPD_ACT_TRAP;
        case 3: {
                unsigned e = (unsigned)u8(s) << 8 | u8(s);

                e %= 4200;
                *ret_bad_errno = e > 4094;
                return SCMPD_ACT_ERRNO(e);
        }
        case 4:
                return SCMPD_ACT_TRACE(u8(s));
        case 5:
                return SCMPD_ACT_NOTIFY;
        case 6:
                return SCMPD_ACT_LOG;
        default:
                return SCMPD_ACT_ALLOW;
        }
}

struct rule {
        size_t sys; /* index in pool */
        uint32_t action;
        unsigned flags;
        size_t n;
        struct scmpd_arg_cmp cmps[SCMPD_ARGS_MAX];
        int nr_on[1 + EXTRA_N]; /* its number on each arch of the model, < 0 if missing */
};

struct model {
        uint32_t def, badarch;
        const struct scmpd_arch *arches[1 + EXTRA_N];
        size_t n_arches;
        int prio[POOL_N]; /* -1: none */
        struct rule rules[MAX_RULES];
        size_t n_rules;
};

/* ---- the plain evaluator ---- */

static bool cmp_holds(const struct scmpd_arg_cmp *c, uint64_t v, bool word32)
{
        uint64_t a = c->datum_a, b = c->datum_b;

        if (word32) {
                v &= 0xffffffffULL;
                a &= 0xffffffffULL;
                b &= 0xffffffffULL;
        }
        switch (c->op) {
        case SCMPD_CMP_NE:
                return v != a;
        case SCMPD_CMP_LT:
                return v < a;
        case SCMPD_CMP_LE:
                return v <= a;
        case SCMPD_CMP_EQ:
                return v == a;
        case SCMPD_CMP_GE:
                return v >= a;
        case SCMPD_CMP_GT:
                return v > a;
        case SCMPD_CMP_MASKED_EQ:
                return (v & a) == (b & a);
        }
        abort();
}

static uint32_t eval(const struct model *m, uint32_t token, int nr, const uint64_t *args)
{
        const struct scmpd_arch *arch = NULL;
        size_t ai = 0;

        for (size_t i = 0; i < m->n_arches; i++)
                if (m->arches[i]->token == token) {
                        arch = m->arches[i];
                        ai = i;
                }
        if (!arch)
                return m->badarch;
        if (token == AUDIT_ARCH_X86_64 && nr != -1 && ((uint32_t)nr & SCMPD_X32_SYSCALL_BIT))
                return m->badarch; /* x32 is not in any generated filter */
        for (size_t i = 0; i < m->n_rules; i++) {
                const struct rule *r = &m->rules[i];
                bool ok = r->nr_on[ai] == nr && nr >= 0;

                for (size_t k = 0; ok && k < r->n; k++)
                        ok = cmp_holds(&r->cmps[k], args[r->cmps[k].arg], arch->word_bits == 32);
                if (ok)
                        return r->action; /* the modes make any holding rule the answer */
        }
        return m->def;
}

/* ---- decoding ---- */

struct sysinfo {
        bool used, disjoint;
        uint32_t action;
        uint32_t keys[MAX_RULES]; /* disjoint: low words of argument 0 in use */
        size_t n_keys;
};

static void decode_rule(struct src *s, struct model *m, struct sysinfo *info, struct rule *r,
                        bool *ret_skip, bool *ret_bad_errno)
{
        uint8_t k = u8(s);
        struct sysinfo *si;
        bool used[SCMPD_ARGS_MAX] = { false };
        bool bad = false;

        *ret_skip = false;
        r->sys = k % POOL_N;
        si = &info[r->sys];
        r->flags = (u8(s) % 8 == 0) ? SCMPD_RULE_EXACT : 0;
        if (!si->used) {
                si->used = true;
                si->disjoint = u8(s) % 3 == 0;
                si->action = action(s, &bad);
        }
        r->action = si->disjoint ? action(s, &bad) : si->action;
        /* ERRNO data over libseccomp's limit of 4094: refused. */
        *ret_bad_errno =
                (r->action & 0xffff0000U) == SCMPD_ACT_ERRNO(0) && (r->action & 0xffffU) > 4094;
        r->n = 0;
        if (si->disjoint) {
                uint64_t v = datum(s);

                for (size_t i = 0; i < si->n_keys; i++)
                        if (si->keys[i] == (uint32_t)v)
                                *ret_skip = true;
                if (*ret_skip)
                        return;
                r->cmps[r->n++] =
                        (struct scmpd_arg_cmp){ .arg = 0, .op = SCMPD_CMP_EQ, .datum_a = v };
                used[0] = true;
        }
        size_t want = u8(s) % (SCMPD_ARGS_MAX + 1);
        while (r->n < want) {
                unsigned arg = u8(s) % SCMPD_ARGS_MAX;

                if (used[arg])
                        break;
                used[arg] = true;
                r->cmps[r->n++] = (struct scmpd_arg_cmp){
                        .arg = arg,
                        .op = (enum scmpd_cmp_op)(SCMPD_CMP_NE + u8(s) % 7),
                        .datum_a = datum(s),
                        .datum_b = datum(s),
                };
        }
        (void)m;
}

static int add_rule(struct scmpd_filter *f, const struct rule *r, int nr)
{
        return scmpd_filter_rule_add(f, r->action, nr, r->flags, r->n, r->n ? r->cmps : NULL);
}

static struct scmpd_filter *build(const struct model *m, const size_t *order, const size_t *porder)
{
        struct scmpd_filter *f = NULL;
        const struct scmpd_arch *native = scmpd_arch_native();

        if (scmpd_filter_new(m->def, &f) < 0)
                abort();
        if (scmpd_filter_attr_set(f, SCMPD_ATTR_BADARCH_ACTION, m->badarch) < 0)
                abort();
        for (size_t i = 1; i < m->n_arches; i++)
                if (scmpd_filter_arch_add(f, m->arches[i]->token) < 0)
                        abort();
        for (size_t i = 0; i < POOL_N; i++) {
                size_t p = porder[i];

                if (m->prio[p] >= 0 &&
                    scmpd_filter_syscall_priority(f, scmpd_syscall_nr(native, pool[p]),
                                                  (uint8_t)m->prio[p]) < 0)
                        abort();
        }
        for (size_t i = 0; i < m->n_rules; i++) {
                const struct rule *r = &m->rules[order[i]];

                if (add_rule(f, r, scmpd_syscall_nr(native, pool[r->sys])) < 0)
                        abort(); /* accepted once, so accepted in any order */
        }
        return f;
}

/* ---- checking ---- */

/* A value for argument `arg` that makes comparison c hold (want) or fail, where possible. */
static uint64_t value_for(const struct scmpd_arg_cmp *c, bool want, uint64_t noise)
{
        uint64_t a = c->datum_a, b = c->datum_b;

        switch (c->op) {
        case SCMPD_CMP_EQ:
                return want ? a : a + 1;
        case SCMPD_CMP_NE:
                return want ? a ^ (noise | 1) : a;
        case SCMPD_CMP_LT:
                return want ? a - 1 : a;
        case SCMPD_CMP_LE:
                return want ? a : a + 1;
        case SCMPD_CMP_GT:
                return want ? a + 1 : a;
        case SCMPD_CMP_GE:
                return want ? a : a - 1;
        case SCMPD_CMP_MASKED_EQ:
                return want ? (b & a) | (noise & ~a) : ((b & a) ^ (a & -a)) | (noise & ~a);
        }
        abort();
}

static void check_one(const struct sock_filter *prog, size_t len, const struct model *m,
                      uint32_t token, int nr, const uint64_t *args, size_t *runs)
{
        if (*runs >= MAX_RUNS || *runs * len >= RUN_BUDGET_INSNS)
                return;
        struct seccomp_data sd = { .nr = nr, .arch = token, .instruction_pointer = 0x1000 };
        uint32_t got = 0;
        unsigned executed = 0;

        memcpy(sd.args, args, sizeof(sd.args));
        if (scmpd_bpf_run(prog, len, &sd, &got, &executed) != 0)
                abort();
        if (got != eval(m, token, nr, args))
                abort();
        (*runs)++;
}

static size_t check_decisions(const struct sock_filter *prog, size_t len, const struct model *m,
                              struct src *s)
{
        static const uint32_t others[] = { AUDIT_ARCH_PPC64LE, 0x12345678U };
        uint64_t args[SCMPD_ARGS_MAX];
        size_t runs = 0;

        for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
                memset(args, 0, sizeof(args));
                check_one(prog, len, m, others[i], 0, args, &runs);
        }
        /* Every arch: every pool syscall with zero and random arguments, a few numbers no rule
         * names, and on x86_64 a number with the x32 bit. */
        for (size_t a = 0; a < m->n_arches; a++) {
                uint32_t token = m->arches[a]->token;

                for (size_t p = 0; p < POOL_N; p++) {
                        int nr = scmpd_syscall_nr(m->arches[a], pool[p]);

                        if (nr < 0)
                                continue;
                        memset(args, 0, sizeof(args));
                        check_one(prog, len, m, token, nr, args, &runs);
                        for (size_t i = 0; i < SCMPD_ARGS_MAX; i++)
                                args[i] = prng_next(&s->prng);
                        check_one(prog, len, m, token, nr, args, &runs);
                }
                memset(args, 0, sizeof(args));
                check_one(prog, len, m, token, 999, args, &runs);
                check_one(prog, len, m, token, (int)(prng_next(&s->prng) % 1200), args, &runs);
                if (token == AUDIT_ARCH_X86_64)
                        check_one(prog, len, m, token, SCMPD_X32_SYSCALL_BIT | 1, args, &runs);
        }
        /* Each rule, on each arch that has its syscall: all comparisons made to hold, then each
         * one made to fail in turn; the other arguments random. */
        for (size_t i = 0; i < m->n_rules && runs < MAX_RUNS && runs * len < RUN_BUDGET_INSNS;
             i++) {
                const struct rule *r = &m->rules[i];

                for (size_t a = 0; a < m->n_arches; a++) {
                        int nr = scmpd_syscall_nr(m->arches[a], pool[r->sys]);

                        if (nr < 0)
                                continue;
                        for (size_t miss = 0; miss <= r->n; miss++) {
                                for (size_t k = 0; k < SCMPD_ARGS_MAX; k++)
                                        args[k] = (u8(s) & 1) ? prng_next(&s->prng) : 0;
                                for (size_t k = 0; k < r->n; k++)
                                        args[r->cmps[k].arg] = value_for(&r->cmps[k], k + 1 != miss,
                                                                         prng_next(&s->prng));
                                check_one(prog, len, m, m->arches[a]->token, nr, args, &runs);
                        }
                }
        }
        return runs;
}

static void shuffle(size_t *v, size_t n, uint64_t *prng)
{
        for (size_t i = n; i > 1; i--) {
                size_t j = (size_t)(prng_next(prng) % i);
                size_t t = v[i - 1];

                v[i - 1] = v[j];
                v[j] = t;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct model m;
        static struct sysinfo info[POOL_N];
        static size_t order[MAX_RULES];
        size_t porder[POOL_N];
        struct src s = { .data = data, .size = size, .prng = 0x9e3779b97f4a7c15ULL };
        const struct scmpd_arch *native = scmpd_arch_native();
        struct scmpd_filter *f = NULL, *g = NULL;
        void *prog = NULL, *prog2 = NULL;
        static int verbose = -1;
        size_t len = 0, len2 = 0, n_rules, runs = 0;
        bool bad = false;
        int r, r2;

        if (!native || native->token != AUDIT_ARCH_X86_64)
                return 0; /* the arch pool is x86_64's byte order */
        for (size_t i = 0; i < size; i++)
                s.prng = (s.prng ^ data[i]) * 0x100000001b3ULL;
        s.prng |= 1;
        memset(&m, 0, sizeof(m));
        memset(info, 0, sizeof(info));

        m.def = action(&s, &bad);
        if (bad)
                return 0; /* scmpd_filter_new refuses it; not this target's subject */
        m.badarch = action(&s, &bad);
        if (bad)
                m.badarch = SCMPD_ACT_KILL_THREAD;
        m.arches[m.n_arches++] = native;
        uint8_t mask = u8(&s);
        for (size_t i = 0; i < EXTRA_N; i++)
                if (mask & (1U << i))
                        m.arches[m.n_arches++] = scmpd_arch_by_token(extra_arches[i]);
        for (size_t i = 0; i < m.n_arches; i++)
                if (!m.arches[i])
                        abort();
        for (size_t i = 0; i < POOL_N; i++)
                m.prio[i] = (mask & 0x80) && u8(&s) % 4 == 0 ? u8(&s) : -1;
        n_rules = ((size_t)u8(&s) << 8 | u8(&s)) % (MAX_RULES + 1);
        if (!(mask & 0x40) || u8(&s) % 4 != 0)
                n_rules %= 24; /* mostly small filters; large ones on request */

        if (scmpd_filter_new(m.def, &f) < 0)
                abort();
        if (scmpd_filter_attr_set(f, SCMPD_ATTR_BADARCH_ACTION, m.badarch) < 0)
                abort();
        for (size_t i = 1; i < m.n_arches; i++)
                if (scmpd_filter_arch_add(f, m.arches[i]->token) < 0)
                        abort();
        for (size_t i = 0; i < POOL_N; i++)
                if (m.prio[i] >= 0 &&
                    scmpd_filter_syscall_priority(f, scmpd_syscall_nr(native, pool[i]),
                                                  (uint8_t)m.prio[i]) < 0)
                        abort();

        for (size_t i = 0; i < n_rules; i++) {
                struct rule *rule = &m.rules[m.n_rules];
                struct sysinfo *si;
                bool skip, bad_errno;
                int expect = 0;

                decode_rule(&s, &m, info, rule, &skip, &bad_errno);
                if (skip)
                        continue;
                si = &info[rule->sys];
                if (bad_errno)
                        expect = -EINVAL;
                else if (rule->action == m.def)
                        expect = -EACCES;
                else if ((rule->flags & SCMPD_RULE_EXACT) && m.n_arches > 1)
                        expect = -EOPNOTSUPP;
                else if ((rule->flags & SCMPD_RULE_EXACT) &&
                         scmpd_syscall_nr(native, pool[rule->sys]) < 0)
                        expect = -EDOM; /* checked below: -EDOM or accepted, never matching */
                r = add_rule(f, rule, scmpd_syscall_nr(native, pool[rule->sys]));
                if (expect == -EDOM ? (r != -EDOM && r != 0) : r != expect) {
                        fprintf(stderr,
                                "rule_add(%s, action %#x, flags %u, %zu comparisons) = %d, "
                                "expected %d (%zu arches, default %#x): %s\n",
                                pool[rule->sys], rule->action, rule->flags, rule->n, r, expect,
                                m.n_arches, m.def, scmpd_filter_error(f) ?: "");
                        abort();
                }
                if (r < 0)
                        continue;
                if (si->disjoint)
                        si->keys[si->n_keys++] = (uint32_t)rule->cmps[0].datum_a;
                for (size_t a = 0; a < m.n_arches; a++)
                        rule->nr_on[a] = scmpd_syscall_nr(m.arches[a], pool[rule->sys]);
                m.n_rules++;
        }

        r = scmpd_filter_export_bpf_mem(f, &prog, &len);
        if (r == -E2BIG) {
                const char *e = scmpd_filter_error(f);

                if (!e || !strstr(e, "rule"))
                        abort();
        } else if (r < 0) {
                abort();
        } else {
                if (len == 0 || len > BPF_MAXINSNS)
                        abort();
                if (scmpd_bpf_validate(prog, len, NULL) != 0)
                        abort();
                runs = check_decisions(prog, len, &m, &s);
        }
        if (verbose < 0)
                verbose = getenv("SCMPD_FUZZ_VERBOSE") != NULL;
        if (verbose) /* what an input exercised, for checking that the corpus reaches far */
                fprintf(stderr,
                        "arches %zu, rules %zu accepted of %zu, export %d (%zu insns), "
                        "%zu decisions checked\n",
                        m.n_arches, m.n_rules, n_rules, r, len, runs);

        /* Determinism: the same rules and priorities in another order. */
        for (size_t i = 0; i < m.n_rules; i++)
                order[i] = i;
        for (size_t i = 0; i < POOL_N; i++)
                porder[i] = i;
        shuffle(order, m.n_rules, &s.prng);
        shuffle(porder, POOL_N, &s.prng);
        g = build(&m, order, porder);
        r2 = scmpd_filter_export_bpf_mem(g, &prog2, &len2);
        if (r2 != r)
                abort();
        if (r == 0 && (len2 != len || memcmp(prog, prog2, len * sizeof(struct sock_filter)) != 0))
                abort();

        free(prog);
        free(prog2);
        scmpd_filter_free(f);
        scmpd_filter_free(g);
        return 0;
}
