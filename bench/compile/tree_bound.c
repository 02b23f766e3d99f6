/*
 * How far the search over syscall numbers in our program is from the best one possible, for
 * bench-compile's rule set and its own input distribution (BENCH_COMPILE_BOUND=1).
 *
 * Every input bench-compile measures is run through a small interpreter that splits the
 * instructions executed into the jumps taken on the syscall number (the search) and the rest
 * (ld arch, jeq arch, ld nr, the argument checks and the RET). The number line is then cut into
 * the intervals any correct program must tell apart: maximal runs of numbers with one constant
 * verdict (gaps take the default, x32 numbers the bad-arch action), and each syscall whose
 * verdict depends on its arguments alone. Weighted by the inputs that land in each interval:
 *
 *   - the optimal alphabetic tree (JGE splits only), exact (cubic dynamic program);
 *   - the optimum with exception chains as gen_bpf.c plans them (JEQ tests of up to CHAIN_MAX
 *     single numbers before the RET of a stretch's common verdict), exact for that model;
 *   - the entropy of the verdict classes: no binary decision tree on the number does better.
 *
 * What the search costs can then be compared with what the mean target leaves for it.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "bench_compile.h"
#include "scmpd/bpf.h"
#include "scmpd/filter.h"

#define CHAIN_MAX 4
#define CHAIN_SPAN (2 * CHAIN_MAX + 1)

/* Instructions executed, and of those the jumps taken while A holds the syscall number. */
static int run_split(const struct sock_filter *p, size_t len, const struct seccomp_data *d,
                     unsigned *ret_total, unsigned *ret_search, uint32_t *ret_action)
{
        unsigned char data[sizeof(*d)];
        uint32_t a = 0, a_off = UINT32_MAX;
        unsigned total = 0, search = 0;
        size_t pc = 0;

        memcpy(data, d, sizeof(data));
        while (pc < len) {
                const struct sock_filter *x = &p[pc];
                bool c;

                total++;
                switch (BPF_CLASS(x->code)) {
                case BPF_LD:
                        if (x->code != (BPF_LD | BPF_W | BPF_ABS) || x->k + 4 > sizeof(data))
                                return -1;
                        memcpy(&a, data + x->k, 4);
                        a_off = x->k;
                        pc++;
                        continue;
                case BPF_ALU:
                        if (x->code != (BPF_ALU | BPF_AND | BPF_K))
                                return -1;
                        a &= x->k;
                        a_off = UINT32_MAX;
                        pc++;
                        continue;
                case BPF_RET:
                        *ret_total = total;
                        *ret_search = search;
                        *ret_action = x->k;
                        return 0;
                case BPF_JMP:
                        break;
                default:
                        return -1;
                }
                if (BPF_OP(x->code) == BPF_JA) {
                        pc += 1 + x->k;
                        continue;
                }
                switch (BPF_OP(x->code)) {
                case BPF_JEQ:
                        c = a == x->k;
                        break;
                case BPF_JGT:
                        c = a > x->k;
                        break;
                case BPF_JGE:
                        c = a >= x->k;
                        break;
                case BPF_JSET:
                        c = (a & x->k) != 0;
                        break;
                default:
                        return -1;
                }
                if (a_off == 0)
                        search++;
                pc += 1 + (c ? x->jt : x->jf);
        }
        return -1;
}

struct input {
        struct seccomp_data d;
};

/* The inputs bench-compile measures: every syscall with zero arguments, and one per comparison
 * of an argument-checked syscall with that argument set to the compared value. */
static size_t inputs_of(const struct scmpd_arch *x86_64, int nr, struct input *out, size_t max)
{
        struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64 };
        size_t n = 0;

        out[n++].d = d;
        for (size_t k = 0; k < n_rules; k++) {
                if (rules[k].nr != nr)
                        continue;
                for (unsigned j = 0; j < rules[k].n && n < max; j++) {
                        struct seccomp_data e = d;
                        e.args[rules[k].c[j].arg] = rules[k].c[j].op == SCMPD_CMP_MASKED_EQ
                                                            ? rules[k].c[j].datum_b
                                                            : rules[k].c[j].datum_a;
                        out[n++].d = e;
                }
        }
        (void)x86_64;
        return n;
}

/* The verdict of nr whatever its arguments, or false when the arguments matter. */
static bool constant_verdict(const struct sock_filter *p, size_t len, int nr, uint32_t *ret)
{
        static const uint64_t values[] = { 0,          1,          3,          8,
                                           40,         0x400,      0x20000,    0x7e020000,
                                           0x80000000, 0xffffffff, 1ULL << 32, UINT64_MAX };
        uint32_t first = 0;

        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
                for (unsigned arg = 0; arg < 6; arg++) {
                        struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64 };
                        uint32_t action;
                        unsigned e;

                        d.args[arg] = values[i];
                        d.args[(arg + 1) % 6] = values[(i + 3) % 12];
                        if (scmpd_bpf_run(p, len, &d, &action, &e) < 0)
                                return false;
                        if (i == 0 && arg == 0)
                                first = action;
                        else if (action != first)
                                return false;
                }
        *ret = first;
        return true;
}

struct ival {
        uint64_t lo, hi;
        bool args;       /* decided by the arguments of the one syscall it holds */
        uint32_t action; /* else: the verdict */
        double weight;   /* inputs that land here */
};

static double chain_cost(const struct ival *iv, size_t i, size_t j)
{
        double best = -1;

        if (j - i + 1 > CHAIN_SPAN)
                return -1;
        for (size_t a = i; a <= j; a++) {
                double base = 0, exc[CHAIN_MAX], cost;
                size_t m = 0;
                bool ok = true;

                if (iv[a].args)
                        continue;
                for (size_t x = i; x <= j && ok; x++) {
                        if (!iv[x].args && iv[x].action == iv[a].action) {
                                base += iv[x].weight;
                                continue;
                        }
                        if (iv[x].lo != iv[x].hi || m == CHAIN_MAX) {
                                ok = false;
                                break;
                        }
                        size_t p = m++;
                        while (p > 0 && exc[p - 1] < iv[x].weight) {
                                exc[p] = exc[p - 1];
                                p--;
                        }
                        exc[p] = iv[x].weight;
                }
                if (!ok)
                        continue;
                cost = base * (double)m;
                for (size_t p = 0; p < m; p++)
                        cost += exc[p] * (double)(p + 1);
                if (best < 0 || cost < best)
                        best = cost;
        }
        return best;
}

/* Expected comparisons of the optimal tree (total over inputs): JGE splits, with chains or not. */
static double optimal_tree(const struct ival *iv, size_t n, bool chains)
{
        double *cost = calloc(n * n, sizeof(*cost)), *pre = calloc(n + 1, sizeof(*pre)), r;

        if (!cost || !pre) {
                free(cost);
                free(pre);
                return -1;
        }
        for (size_t i = 0; i < n; i++)
                pre[i + 1] = pre[i] + iv[i].weight;
        for (size_t len = 2; len <= n; len++)
                for (size_t i = 0; i + len <= n; i++) {
                        size_t j = i + len - 1;
                        double best = -1, c;

                        for (size_t k = i + 1; k <= j; k++) {
                                double v = cost[i * n + k - 1] + cost[k * n + j];
                                if (best < 0 || v < best)
                                        best = v;
                        }
                        best += pre[j + 1] - pre[i];
                        if (chains && (c = chain_cost(iv, i, j)) >= 0 && c < best)
                                best = c;
                        cost[i * n + j] = best;
                }
        r = cost[n - 1];
        free(cost);
        free(pre);
        return r;
}

int tree_bound_report(const struct scmpd_arch *x86_64, const struct sock_filter *p, size_t len,
                      uint32_t default_action, uint32_t badarch_action, double best_ref_mean)
{
        struct ival *iv = calloc(4096, sizeof(*iv));
        size_t n_iv = 0, n_inputs = 0;
        double search = 0, total = 0, ent = 0, w_const[64] = { 0 };
        uint32_t const_actions[64];
        size_t n_const = 0;
        int nr, prev = -1;

        if (!iv)
                return -1;
        for (size_t i = 0; scmpd_syscall_iter(x86_64, i, &nr, NULL); i++) {
                struct input in[16];
                size_t n_in = inputs_of(x86_64, nr, in, 16);
                struct ival x = { .lo = (uint64_t)nr, .hi = (uint64_t)nr };

                if (nr <= prev)
                        return -1; /* the table is in ascending order */
                for (size_t k = 0; k < n_in; k++) {
                        unsigned t, s;
                        uint32_t action;
                        if (run_split(p, len, &in[k].d, &t, &s, &action) < 0)
                                return -1;
                        total += t;
                        search += s;
                }
                n_inputs += n_in;
                x.weight = (double)n_in;
                x.args = !constant_verdict(p, len, nr, &x.action);
                /* The gap before it takes the default. */
                if ((uint64_t)nr > (prev < 0 ? 0 : (uint64_t)prev + 1))
                        iv[n_iv++] = (struct ival){ .lo = prev < 0 ? 0 : (uint64_t)prev + 1,
                                                    .hi = (uint64_t)nr - 1,
                                                    .action = default_action };
                iv[n_iv++] = x;
                prev = nr;
        }
        iv[n_iv++] = (struct ival){ .lo = (uint64_t)prev + 1,
                                    .hi = SCMPD_X32_SYSCALL_BIT - 1,
                                    .action = default_action };
        iv[n_iv++] = (struct ival){ .lo = SCMPD_X32_SYSCALL_BIT,
                                    .hi = 0xfffffffe,
                                    .action = badarch_action };
        iv[n_iv++] = (struct ival){ .lo = 0xffffffff, .hi = 0xffffffff, .action = default_action };
        /* Merge neighbours with one constant verdict. */
        size_t w = 0;
        for (size_t i = 0; i < n_iv; i++) {
                if (w > 0 && !iv[i].args && !iv[w - 1].args && iv[w - 1].action == iv[i].action) {
                        iv[w - 1].hi = iv[i].hi;
                        iv[w - 1].weight += iv[i].weight;
                        continue;
                }
                iv[w++] = iv[i];
        }
        n_iv = w;

        /* Entropy of what the search must find out: the verdict, or which syscall decides. */
        for (size_t i = 0; i < n_iv; i++) {
                size_t c = 0;
                if (iv[i].args) {
                        double q = iv[i].weight / (double)n_inputs;
                        ent -= q * log2(q);
                        continue;
                }
                while (c < n_const && const_actions[c] != iv[i].action)
                        c++;
                if (c == n_const && n_const < 64)
                        const_actions[n_const++] = iv[i].action;
                if (c < 64)
                        w_const[c] += iv[i].weight;
        }
        for (size_t c = 0; c < n_const; c++)
                if (w_const[c] > 0) {
                        double q = w_const[c] / (double)n_inputs;
                        ent -= q * log2(q);
                }

        double opt_jge = optimal_tree(iv, n_iv, false) / (double)n_inputs;
        double opt_chain = optimal_tree(iv, n_iv, true) / (double)n_inputs;
        double ours = search / (double)n_inputs, rest = (total - search) / (double)n_inputs;
        double target = 0.6 * best_ref_mean;

        printf("\nSearch over numbers (BENCH_COMPILE_BOUND): %zu inputs, %zu intervals to tell "
               "apart.\n\n",
               n_inputs, n_iv);
        printf("| | jumps on nr per input | mean executed |\n|---|---:|---:|\n");
        printf("| libscmpd | %.3f | %.3f |\n", ours, ours + rest);
        printf("| optimal alphabetic tree (JGE only) | %.3f | %.3f |\n", opt_jge, opt_jge + rest);
        printf("| optimal with exception chains (gen_bpf's model) | %.3f | %.3f |\n", opt_chain,
               opt_chain + rest);
        printf("| entropy of the verdict classes (no tree does better) | %.3f | %.3f |\n", ent,
               ent + rest);
        printf("\nEverything but the search costs %.3f per input (ld arch, jeq, ld nr, RET, "
               "argument checks); the mean target (0.6 x %.2f = %.3f) leaves %.3f for the "
               "search.\n",
               rest, best_ref_mean, target, target - rest);
        free(iv);
        return 0;
}
