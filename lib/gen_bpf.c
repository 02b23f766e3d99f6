/*
 * Code generation: a struct filter_view in, a classic BPF program out.
 *
 * Shape of every program:
 *
 *     ld arch; jeq A1 -> S1; jeq A2 -> S2; ...; ret BADARCH
 *     S: ld nr; a search tree of JGE over number intervals; leaves are RET or argument checks
 *
 * The number line of a section is cut into intervals, each decided by one constant action
 * (gaps take the default action, runs of syscalls with the same unconditional action merge
 * with them) or by one syscall's argument checks. The search over them is the optimal
 * alphabetic tree for their weights (how many real syscalls an interval holds, plus priorities),
 * with JEQ chains where a stretch of one verdict is punctured by a few single numbers; once an
 * interval is reached the number needs no JEQ at all. Paths that end in an unconditional verdict
 * use only loads of nr and arch, JGE/JEQ with constants and RET, which the kernel's action cache
 * emulates, so an always-allowed syscall is cached by the kernel.
 *
 * Argument checks: the rules of a syscall are tried in precedence order (first match wins, then
 * the default action); each rule is a conjunction of word comparisons (64-bit arches compare
 * both halves, at the arch's byte-order offsets; 32-bit arches the low word only), with JSET for
 * single-bit masks and constant-folding of comparisons that cannot fail or cannot hold.
 * Equalities test the low word first, and a jump taken while the accumulator holds a word skips
 * a reload of that word at its target, so rules on one argument share one load.
 *
 * The program is emitted back to front, so every jump target already exists and its distance
 * is known: labels are positions counted from the end. A jump that would exceed 255 goes through
 * a fresh copy of the RET it aims at (same cost as a JA, one instruction shorter on the path) or,
 * for code, a JA. Identical RETs are shared while they are in reach. Everything depends only on
 * the view, which is sorted, so the output does not depend on the order rules were added in.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "gen.h"
#include "util.h"

#define OFF_NR 0u
#define OFF_ARCH 4u
#define OFF_ARGS 16u

typedef size_t label; /* position counted from the end, 1-based */

struct ret_slot {
        uint32_t action;
        label pos;
};

struct gen {
        struct sock_filter *buf; /* reversed */
        size_t len, cap;
        int err;
        struct ret_slot *rets;
        size_t n_rets, cap_rets;
        /* What each syscall's argument checks cost, for the -E2BIG message. */
        struct gen_bpf_contrib *contribs;
        size_t n_contribs, cap_contribs;
        /* The seccomp_data offset the accumulator holds where the next jump executes, or
         * A_UNKNOWN: a jump to a load of that very word can skip the load. */
        uint32_t a_off;
};

#define A_UNKNOWN UINT32_MAX

static label emit(struct gen *g, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
        if (g->err)
                return 1;
        if (g->len >= GEN_BPF_HARD_LIMIT) {
                g->err = -E2BIG;
                return 1;
        }
        if (g->len == g->cap) {
                size_t cap = g->cap ? g->cap * 2 : 256;
                struct sock_filter *b = realloc(g->buf, cap * sizeof(*b));
                if (!b) {
                        g->err = -ENOMEM;
                        return 1;
                }
                g->buf = b;
                g->cap = cap;
        }
        g->buf[g->len++] = (struct sock_filter){ .code = code, .jt = jt, .jf = jf, .k = k };
        return g->len;
}

static struct ret_slot *ret_find(struct gen *g, uint32_t action)
{
        for (size_t i = 0; i < g->n_rets; i++)
                if (g->rets[i].action == action)
                        return &g->rets[i];
        return NULL;
}

static label gen_ret_fresh(struct gen *g, uint32_t action)
{
        struct ret_slot *s = ret_find(g, action);
        label l = emit(g, BPF_RET | BPF_K, 0, 0, action);

        if (g->err)
                return l;
        if (!s) {
                if (g->n_rets == g->cap_rets) {
                        size_t cap = g->cap_rets ? 2 * g->cap_rets : 8;
                        struct ret_slot *v = realloc(g->rets, cap * sizeof(*v));
                        if (!v) {
                                g->err = -ENOMEM;
                                return l;
                        }
                        g->rets = v;
                        g->cap_rets = cap;
                }
                s = &g->rets[g->n_rets++];
                s->action = action;
        }
        s->pos = l;
        return l;
}

/* A RET of this action: the nearest existing copy, or a new one. */
static label gen_ret(struct gen *g, uint32_t action)
{
        struct ret_slot *s = ret_find(g, action);

        if (s)
                return s->pos;
        return gen_ret_fresh(g, action);
}

static bool label_is_ret(const struct gen *g, label l)
{
        return l >= 1 && l <= g->len && g->buf[l - 1].code == (BPF_RET | BPF_K);
}

/* A jump with A == word `off` to a reload of that word can go past the reload. */
static label skip_reload(const struct gen *g, label t)
{
        if (g->a_off != A_UNKNOWN && t >= 2 && t <= g->len &&
            g->buf[t - 1].code == (BPF_LD | BPF_W | BPF_ABS) && g->buf[t - 1].k == g->a_off)
                return t - 1;
        return t;
}

/* Bring a far target within reach of the instruction about to be emitted. */
static label near_copy(struct gen *g, label target)
{
        if (label_is_ret(g, target))
                return gen_ret_fresh(g, g->buf[target - 1].k);
        return emit(g, BPF_JMP | BPF_JA, 0, 0, (uint32_t)(g->len + 1 - target - 1));
}

/* A conditional jump; when both targets are the same, no instruction at all. */
static label gen_jump(struct gen *g, uint16_t op, uint32_t k, label lt, label lf)
{
        lt = skip_reload(g, lt);
        lf = skip_reload(g, lf);
        if (lt == lf)
                return lt;
        for (;;) {
                size_t pos = g->len + 1;
                size_t ot = pos - lt - 1, of = pos - lf - 1;

                if (g->err)
                        return 1;
                if (ot <= 255 && of <= 255)
                        return emit(g, BPF_JMP | op | BPF_K, (uint8_t)ot, (uint8_t)of, k);
                if (ot > 255) {
                        label n = near_copy(g, lt);
                        if (lf == lt)
                                lf = n;
                        lt = n;
                } else {
                        lf = near_copy(g, lf);
                }
        }
}

/* Make `body` the instruction that the next one emitted falls through to. */
static void gen_fall_into(struct gen *g, label body)
{
        if (!g->err && body != g->len)
                near_copy(g, body);
}

static label gen_load(struct gen *g, uint32_t off)
{
        return emit(g, BPF_LD | BPF_W | BPF_ABS, 0, 0, off);
}

static uint32_t arg_lo(const struct view_section *sec, unsigned arg)
{
        return OFF_ARGS + 8 * arg + (sec->big_endian ? 4 : 0);
}

static uint32_t arg_hi(const struct view_section *sec, unsigned arg)
{
        return OFF_ARGS + 8 * arg + (sec->big_endian ? 0 : 4);
}

/* One 32-bit word compared with op; returns the label that decides P or F. */
static label gen_word(struct gen *g, uint32_t off, int op, uint32_t m, uint32_t d, label P, label F)
{
        label j;

        g->a_off = off;
        switch (op) {
        case SCMPD_CMP_EQ:
                j = gen_jump(g, BPF_JEQ, d, P, F);
                break;
        case SCMPD_CMP_NE:
                j = gen_jump(g, BPF_JEQ, d, F, P);
                break;
        case SCMPD_CMP_GT:
                if (d == UINT32_MAX)
                        return F;
                j = gen_jump(g, BPF_JGT, d, P, F);
                break;
        case SCMPD_CMP_GE:
                if (d == 0)
                        return P;
                j = gen_jump(g, BPF_JGE, d, P, F);
                break;
        case SCMPD_CMP_LT:
                if (d == 0)
                        return F;
                j = gen_jump(g, BPF_JGE, d, F, P);
                break;
        case SCMPD_CMP_LE:
                if (d == UINT32_MAX)
                        return P;
                j = gen_jump(g, BPF_JGT, d, F, P);
                break;
        case SCMPD_CMP_MASKED_EQ:
                if (d & ~m)
                        return F;
                if (m == 0)
                        return P;
                if (m == UINT32_MAX) {
                        j = gen_jump(g, BPF_JEQ, d, P, F);
                } else if (d == 0) {
                        j = gen_jump(g, BPF_JSET, m, F, P);
                } else if (d == m && (m & (m - 1)) == 0) {
                        j = gen_jump(g, BPF_JSET, m, P, F);
                } else {
                        g->a_off = A_UNKNOWN; /* A holds the masked word */
                        j = gen_jump(g, BPF_JEQ, d, P, F);
                        g->a_off = off;
                        if (j != P && j != F)
                                j = emit(g, BPF_ALU | BPF_AND | BPF_K, 0, 0, m);
                }
                break;
        default:
                g->err = -EINVAL;
                return F;
        }
        if (j == P || j == F)
                return j;
        return gen_load(g, off);
}

/* The high word of a 64-bit ordered comparison: above -> `above`, equal -> `eq`, below -> `below`.
 */
static label gen_hi3(struct gen *g, uint32_t off, uint32_t dh, label above, label eq, label below)
{
        label j;

        g->a_off = off;
        if (dh == UINT32_MAX)
                j = gen_jump(g, BPF_JEQ, dh, eq, below);
        else if (eq == above)
                j = gen_jump(g, BPF_JGE, dh, above, below);
        else if (eq == below)
                j = gen_jump(g, BPF_JGT, dh, above, below);
        else if (dh == 0) {
                j = gen_jump(g, BPF_JEQ, 0, eq, above);
        } else {
                label e = gen_jump(g, BPF_JEQ, dh, eq, below);
                j = gen_jump(g, BPF_JGT, dh, above, e);
        }
        if (j == above || j == eq || j == below)
                return j;
        return gen_load(g, off);
}

static label gen_cmp(struct gen *g, const struct view_section *sec, unsigned bits,
                     const struct view_cmp *c, label P, label F)
{
        uint32_t lo = arg_lo(sec, c->arg), hi = arg_hi(sec, c->arg);
        uint32_t dl = (uint32_t)c->datum, dh = (uint32_t)(c->datum >> 32);
        uint32_t ml = (uint32_t)c->mask, mh = (uint32_t)(c->mask >> 32);
        label l;

        if (bits == 32)
                return gen_word(g, lo, c->op, ml, dl, P, F);
        switch (c->op) {
        /* Equalities test the low word first: it usually tells rules apart, and a chain of
         * rules on one argument then reuses the loaded word. */
        case SCMPD_CMP_EQ:
                l = gen_word(g, hi, SCMPD_CMP_EQ, mh, dh, P, F);
                return gen_word(g, lo, SCMPD_CMP_EQ, ml, dl, l, F);
        case SCMPD_CMP_NE:
                l = gen_word(g, hi, SCMPD_CMP_EQ, mh, dh, F, P);
                return gen_word(g, lo, SCMPD_CMP_EQ, ml, dl, l, P);
        case SCMPD_CMP_MASKED_EQ:
                l = gen_word(g, hi, SCMPD_CMP_MASKED_EQ, mh, dh, P, F);
                return gen_word(g, lo, SCMPD_CMP_MASKED_EQ, ml, dl, l, F);
        case SCMPD_CMP_GT:
                l = gen_word(g, lo, SCMPD_CMP_GT, ml, dl, P, F);
                return gen_hi3(g, hi, dh, P, l, F);
        case SCMPD_CMP_GE:
                l = gen_word(g, lo, SCMPD_CMP_GE, ml, dl, P, F);
                return gen_hi3(g, hi, dh, P, l, F);
        case SCMPD_CMP_LT:
                l = gen_word(g, lo, SCMPD_CMP_LT, ml, dl, P, F);
                return gen_hi3(g, hi, dh, F, l, P);
        case SCMPD_CMP_LE:
                l = gen_word(g, lo, SCMPD_CMP_LE, ml, dl, P, F);
                return gen_hi3(g, hi, dh, F, l, P);
        default:
                g->err = -EINVAL;
                return F;
        }
}

static unsigned rule_bits(const struct view_section *sec, const struct view_rule *r)
{
        /* Lowering truncated every value of a 32-bit arch's rule to 32 bits; a rule with a wider
         * value or mask can only come from a 64-bit arch. */
        if (sec->word_bits == 32)
                return 32;
        return r->bits;
}

/* -1 when the comparison can never hold, 1 when it always holds, 0 otherwise. */
static int cmp_const(unsigned bits, const struct view_cmp *c)
{
        uint64_t max = bits == 32 ? UINT32_MAX : UINT64_MAX;
        uint64_t d = c->datum & max, m = c->mask & max;

        switch (c->op) {
        case SCMPD_CMP_GT:
                return d == max ? -1 : 0;
        case SCMPD_CMP_GE:
                return d == 0 ? 1 : 0;
        case SCMPD_CMP_LT:
                return d == 0 ? -1 : 0;
        case SCMPD_CMP_LE:
                return d == max ? 1 : 0;
        case SCMPD_CMP_MASKED_EQ:
                if (d & ~m)
                        return -1;
                return m == 0 ? 1 : 0;
        default:
                return 0;
        }
}

/*
 * Fold what the rules of a syscall decide by constants alone, on the view generation reads
 * (precedence is already settled there, so this cannot change any decision): a rule with a
 * comparison that cannot hold never matches and goes; comparisons that always hold go; a rule
 * left without comparisons matches everything, so the rules after it are dead, and when it is
 * the first the syscall is unconditional (it then merges with its neighbours' interval and the
 * kernel can cache it); trailing rules whose action is the default change nothing.
 */
static void sys_fold(const struct view_section *sec, struct view_sys *vs, uint32_t default_action)
{
        size_t w = 0;

        if (vs->uncond)
                return;
        for (size_t i = 0; i < vs->n_rules; i++) {
                struct view_rule *r = &vs->rules[i];
                unsigned bits = rule_bits(sec, r), n = 0;
                bool dead = false;

                for (unsigned c = 0; c < r->n && !dead; c++) {
                        int k = cmp_const(bits, &r->c[c]);
                        if (k < 0)
                                dead = true;
                        else if (k == 0)
                                r->c[n++] = r->c[c];
                }
                if (dead)
                        continue;
                r->n = n;
                vs->rules[w++] = *r;
                if (n == 0)
                        break;
        }
        while (w > 0 && vs->rules[w - 1].action == default_action)
                w--;
        vs->n_rules = w;
        if (w == 0 || vs->rules[0].n == 0) {
                vs->uncond = true;
                vs->action = w == 0 ? default_action : vs->rules[0].action;
                vs->n_rules = 0;
        }
}

static void view_fold(struct filter_view *v)
{
        for (size_t i = 0; i < v->n_sections; i++)
                for (size_t j = 0; j < v->sections[i].n_sys; j++)
                        sys_fold(&v->sections[i], &v->sections[i].sys[j], v->default_action);
}

static label gen_rule(struct gen *g, const struct view_section *sec, const struct view_rule *r,
                      label P, label F)
{
        unsigned bits = rule_bits(sec, r);

        /* A rule that cannot match emits nothing (no dead code before the discovery). */
        for (unsigned i = 0; i < r->n; i++)
                if (cmp_const(bits, &r->c[i]) < 0)
                        return F;

        for (unsigned i = r->n; i > 0; i--) {
                P = gen_cmp(g, sec, bits, &r->c[i - 1], P, F);
                if (P == F)
                        return F; /* a comparison that cannot hold */
        }
        return P;
}

static label gen_sys_rules(struct gen *g, const struct view_section *sec, const struct view_sys *vs,
                           uint32_t default_action)
{
        label next = gen_ret(g, default_action);

        for (size_t i = vs->n_rules; i > 0; i--) {
                const struct view_rule *r = &vs->rules[i - 1];
                label P = gen_ret(g, r->action);

                next = gen_rule(g, sec, r, P, next);
                /* Later RETs may have moved nearer; the next rule fetches them again. */
        }
        return next;
}

/* Fields ordered so that an interval packs into 32 bytes. */
struct ival {
        uint32_t lo, hi;
        uint32_t action;
        bool is_sys;
        uint8_t priority; /* of the one syscall an unconditional single-number interval is */
        const struct view_sys *vs; /* is_sys: the syscall, in the section's sys array */
        uint64_t weight;
};

static int ival_push(struct ival **v, size_t *n, size_t *cap, struct ival x)
{
        /* Merge constant intervals that touch and agree. */
        if (*n > 0 && !x.is_sys && !(*v)[*n - 1].is_sys && (*v)[*n - 1].action == x.action &&
            (*v)[*n - 1].hi + 1 == x.lo) {
                (*v)[*n - 1].hi = x.hi;
                return 0;
        }
        if (*n == *cap) {
                size_t c = *cap ? *cap * 2 : 64;
                struct ival *nv = realloc(*v, c * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                *v = nv;
                *cap = c;
        }
        (*v)[(*n)++] = x;
        return 0;
}

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
        return (x > y) - (x < y);
}

/* Real syscall numbers of a section's arches, sorted, for interval weights. */
static int section_real_nrs(const struct view_section *sec, uint32_t **ret, size_t *ret_n)
{
        uint32_t *v = NULL;
        size_t n = 0, cap = 0;

        for (size_t a = 0; a < sec->n_arches; a++) {
                int nr;
                for (size_t i = 0; scmpd_syscall_iter(sec->arches[a], i, &nr, NULL); i++) {
                        if (nr < 0)
                                continue;
                        if (n == cap) {
                                size_t c = cap ? cap * 2 : 512;
                                uint32_t *nv = realloc(v, c * sizeof(*nv));
                                if (!nv) {
                                        free(v);
                                        return -ENOMEM;
                                }
                                v = nv;
                                cap = c;
                        }
                        v[n++] = (uint32_t)nr;
                }
        }
        /* Each table is in ascending order; x32's numbers all come after x86_64's. */
        for (size_t i = 1; i < n; i++)
                if (v[i - 1] > v[i]) {
                        qsort(v, n, sizeof(*v), cmp_u32);
                        break;
                }
        *ret = v;
        *ret_n = n;
        return 0;
}

static int section_intervals(const struct filter_view *v, const struct view_section *sec,
                             struct ival **ret, size_t *ret_n)
{
        _cleanup_free_ uint32_t *real = NULL;
        struct ival *iv = NULL;
        size_t n = 0, cap = 0, n_real = 0, j = 0;
        uint64_t cur = 0;
        int k;

        k = section_real_nrs(sec, &real, &n_real);
        if (k < 0)
                return k;

        while (cur <= UINT32_MAX) {
                struct ival x;

                if (sec->has_bad_range && cur >= sec->bad_lo && cur <= sec->bad_hi) {
                        x = (struct ival){ .lo = (uint32_t)cur,
                                           .hi = sec->bad_hi,
                                           .action = v->badarch_action };
                } else if (j < sec->n_sys && sec->sys[j].nr == cur) {
                        const struct view_sys *vs = &sec->sys[j];
                        x = (struct ival){ .lo = vs->nr, .hi = vs->nr, .priority = vs->priority };
                        if (vs->uncond) {
                                x.action = vs->action;
                        } else {
                                x.is_sys = true;
                                x.vs = vs;
                        }
                        j++;
                } else {
                        uint64_t end = UINT32_MAX;
                        if (j < sec->n_sys)
                                end = (uint64_t)sec->sys[j].nr - 1;
                        if (sec->has_bad_range && cur < sec->bad_lo && end >= sec->bad_lo)
                                end = (uint64_t)sec->bad_lo - 1;
                        x = (struct ival){ .lo = (uint32_t)cur,
                                           .hi = (uint32_t)end,
                                           .action = v->default_action };
                }
                k = ival_push(&iv, &n, &cap, x);
                if (k < 0) {
                        free(iv);
                        return k;
                }
                cur = (uint64_t)x.hi + 1;
        }

        /* Weights: the real syscalls an interval holds (what a uniformly chosen syscall hits),
         * a floor of one, and priorities as a boost for the syscall they name. The intervals
         * cover the number line in order, so one sweep over the sorted numbers counts them. */
        for (size_t i = 0, r = 0; i < n; i++) {
                size_t c = 0;
                for (; r < n_real && real[r] <= iv[i].hi; r++)
                        c++;
                iv[i].weight = 16 * (uint64_t)c + 1;
                if (iv[i].lo == iv[i].hi)
                        iv[i].weight += 16 * (uint64_t)iv[i].priority;
        }
        *ret = iv;
        *ret_n = n;
        return 0;
}

struct tree_ctx {
        struct gen *g;
        const struct filter_view *v;
        const struct view_section *sec;
        size_t sec_index;
        const struct ival *iv;
        size_t n;
        const uint64_t *prefix; /* prefix[i] = sum of weights before i */
        void *tables;           /* one block for the four below (NULL: greedy splits only) */
        /* The optimal trees of the stretch [plan_lo, plan_hi] (empty: lo > hi): for [i, j]
         * inside it, at (i - plan_lo) * DP_BAND + j - i. */
        uint64_t *cost;
        uint16_t *root;
        size_t plan_lo, plan_hi;
        uint64_t *chains; /* the cheapest chain of [i, j], at chain_at(i, j) */
        bool *chained; /* [i, j] of the planned stretch is an exception chain, at chain_at(i, j) */
};

/* An exception chain: a stretch of one constant action with a few single numbers in it that
 * decide otherwise, tested with JEQ one by one (heaviest first) before the common RET. */
#define CHAIN_MAX 4
#define CHAIN_SPAN (2 * CHAIN_MAX + 1) /* the widest stretch a chain can cover */

struct chain {
        uint32_t action;
        size_t n;
        size_t exc[CHAIN_MAX]; /* interval indexes, heaviest first */
        uint64_t cost;
};

static bool chain_try(const struct tree_ctx *t, size_t i, size_t j, uint32_t action,
                      struct chain *c)
{
        uint64_t w_base = 0;

        *c = (struct chain){ .action = action };
        for (size_t x = i; x <= j; x++) {
                const struct ival *iv = &t->iv[x];
                size_t p;
                if (!iv->is_sys && iv->action == action) {
                        w_base += iv->weight;
                        continue;
                }
                if (iv->lo != iv->hi || c->n == CHAIN_MAX)
                        return false;
                for (p = c->n; p > 0 && t->iv[c->exc[p - 1]].weight < iv->weight; p--)
                        c->exc[p] = c->exc[p - 1];
                c->exc[p] = x;
                c->n++;
        }
        c->cost = w_base * c->n;
        for (size_t p = 0; p < c->n; p++)
                c->cost += t->iv[c->exc[p]].weight * (p + 1);
        return true;
}

static bool chain_plan(const struct tree_ctx *t, size_t i, size_t j, struct chain *ret)
{
        bool found = false;
        struct chain c;

        if (j - i + 1 > CHAIN_SPAN)
                return false;
        /* A stretch wider than one number can only be the common action. */
        for (size_t a = i; a <= j; a++)
                if (!t->iv[a].is_sys && t->iv[a].lo != t->iv[a].hi)
                        return chain_try(t, i, j, t->iv[a].action, ret);
        for (size_t a = i; a <= j; a++) {
                if (t->iv[a].is_sys || !chain_try(t, i, j, t->iv[a].action, &c))
                        continue;
                if (!found || c.cost < ret->cost) {
                        *ret = c;
                        found = true;
                }
        }
        return found;
}

/*
 * Layout of the section's intervals: the classic dynamic program for optimal alphabetic trees
 * (expected comparisons under the weights above), with Knuth's bound on the root, and exception
 * chains as a third kind of node. It is solved for stretches of up to DP_BAND intervals, where
 * the shape matters; longer stretches split where the weight balances (near-optimal there, and
 * the tables stay small: one stretch at a time, DP_BAND * DP_BAND entries at most, no matter how
 * many intervals).
 */
#define DP_BAND 48

/*
 * The cost of the cheapest exception chain over [i, i + len - 1], for every i and len in
 * 2..CHAIN_SPAN, at row i * (CHAIN_SPAN - 1) + len - 2 (UINT64_MAX: no chain), as chain_plan()
 * finds them: one sweep from i per candidate action instead of a search per stretch.
 */
static void chain_costs(const struct tree_ctx *t, uint64_t *ret)
{
        for (size_t i = 0; i < t->n; i++) {
                size_t end = t->n - i < CHAIN_SPAN ? t->n : i + CHAIN_SPAN, n_cand = 0;
                uint64_t *row = ret + i * (CHAIN_SPAN - 1);
                uint32_t cand[CHAIN_SPAN];

                for (size_t l = 0; l < CHAIN_SPAN - 1; l++)
                        row[l] = UINT64_MAX;
                for (size_t x = i; x < end; x++) {
                        size_t c = 0;
                        if (t->iv[x].is_sys)
                                continue;
                        while (c < n_cand && cand[c] != t->iv[x].action)
                                c++;
                        if (c == n_cand)
                                cand[n_cand++] = t->iv[x].action;
                }
                for (size_t c = 0; c < n_cand; c++) {
                        uint64_t w_base = 0, exc[CHAIN_MAX], cost;
                        size_t m = 0, p;

                        for (size_t x = i; x < end; x++) {
                                const struct ival *iv = &t->iv[x];

                                if (!iv->is_sys && iv->action == cand[c]) {
                                        w_base += iv->weight;
                                } else {
                                        if (iv->lo != iv->hi || m == CHAIN_MAX)
                                                break;
                                        for (p = m; p > 0 && exc[p - 1] < iv->weight; p--)
                                                exc[p] = exc[p - 1];
                                        exc[p] = iv->weight;
                                        m++;
                                }
                                /* The common action must occur in the stretch (weights are at
                                 * least 1), as chain_plan() only tries those. */
                                if (x == i || w_base == 0)
                                        continue;
                                cost = w_base * m;
                                for (p = 0; p < m; p++)
                                        cost += exc[p] * (p + 1);
                                if (cost < row[x - i - 1])
                                        row[x - i - 1] = cost;
                        }
                }
        }
}

static size_t chain_at(size_t i, size_t j)
{
        return i * (CHAIN_SPAN - 1) + (j - i + 1) - 2;
}

static int tree_plan(struct tree_ctx *t)
{
        size_t n = t->n, cells = (n < DP_BAND ? n : DP_BAND) * DP_BAND;
        size_t n_chains = n * (CHAIN_SPAN - 1);
        char *p;

        if (n < 2)
                return 0;
        /* Widest elements first, so that each part is aligned. */
        p = t->tables = malloc(cells * (sizeof(*t->cost) + sizeof(*t->root)) +
                               n_chains * (sizeof(*t->chains) + sizeof(*t->chained)));
        if (!p)
                return -ENOMEM;
        t->cost = (uint64_t *)p;
        p += cells * sizeof(*t->cost);
        t->chains = (uint64_t *)p;
        p += n_chains * sizeof(*t->chains);
        t->root = (uint16_t *)p;
        p += cells * sizeof(*t->root);
        t->chained = (bool *)p;
        chain_costs(t, t->chains);
        return 0;
}

/*
 * Solve the dynamic program for every stretch inside [lo, hi] (fewer than DP_BAND intervals),
 * when gen_tree() first enters it: the stretches the greedy splits above it produce are
 * disjoint, so no cell is computed twice and none is computed that no tree can use.
 *
 * Row by row from the last: a stretch needs only shorter ones, which start at i (this row,
 * done) or after it (rows done). Knuth's bound keeps the root of [i, j] between those of
 * [i, j - 1] and [i + 1, j]; roots are stored relative to the stretch's start, and cost[k][j]
 * for k = i + r sits at a stride of DP_BAND - 1 from cost[i][j]. The tables then hold this
 * stretch only: gen_tree() stays inside it until it is done.
 */
static void tree_plan_stretch(struct tree_ctx *t, size_t lo_i, size_t hi_j)
{
        for (size_t i = hi_j + 1; i > lo_i; i--) {
                size_t i0 = i - 1, span = hi_j - i0 + 1;
                uint64_t *cost_i = t->cost + (i0 - lo_i) * DP_BAND, base = t->prefix[i0];
                uint16_t *root_i = t->root + (i0 - lo_i) * DP_BAND;
                const uint16_t *root_next = root_i + DP_BAND; /* read only when span > 1 */

                cost_i[0] = 0;
                root_i[0] = 0;
                for (size_t d = 1; d < span; d++) {
                        const uint64_t *col = cost_i + d;
                        uint64_t best = UINT64_MAX;
                        size_t lo = d == 1 ? 1 : root_i[d - 1], hi = 1 + root_next[d - 1];
                        size_t best_r = d;

                        /* Chains bend the costs Knuth's bound relies on: never search an empty
                         * range. */
                        if (lo > hi) {
                                size_t x = lo;
                                lo = hi;
                                hi = x;
                        }
                        for (size_t r = lo; r <= hi; r++) {
                                uint64_t v = cost_i[r - 1] + col[r * (DP_BAND - 1)];
                                if (v < best) {
                                        best = v;
                                        best_r = r;
                                }
                        }
                        best += t->prefix[i0 + d + 1] - base;
                        root_i[d] = (uint16_t)best_r;
                        if (d < CHAIN_SPAN) {
                                bool chained = t->chains[chain_at(i0, i0 + d)] < best;
                                if (chained)
                                        best = t->chains[chain_at(i0, i0 + d)];
                                t->chained[chain_at(i0, i0 + d)] = chained;
                        }
                        cost_i[d] = best;
                }
        }
        t->plan_lo = lo_i;
        t->plan_hi = hi_j;
}

static label gen_leaf(struct tree_ctx *t, const struct ival *x)
{
        struct gen *g = t->g;
        size_t before = g->len;
        label l;

        if (!x->is_sys)
                return gen_ret(g, x->action);
        l = gen_sys_rules(g, t->sec, x->vs, t->v->default_action);
        if (!g->err) {
                if (g->n_contribs == g->cap_contribs) {
                        size_t cap = g->cap_contribs ? 2 * g->cap_contribs : 64;
                        struct gen_bpf_contrib *c = realloc(g->contribs, cap * sizeof(*c));
                        if (!c) {
                                g->err = -ENOMEM;
                                return l;
                        }
                        g->contribs = c;
                        g->cap_contribs = cap;
                }
                g->contribs[g->n_contribs++] =
                        (struct gen_bpf_contrib){ t->sec_index, (size_t)(x->vs - t->sec->sys),
                                                  g->len - before };
        }
        return l;
}

static label gen_tree(struct tree_ctx *t, size_t i, size_t j)
{
        uint64_t total, best = UINT64_MAX;
        size_t k = i + 1;
        label right, left;

        if (i == j)
                return gen_leaf(t, &t->iv[i]);
        bool planned = t->cost && j - i < DP_BAND;

        if (planned && !(t->plan_lo <= i && j <= t->plan_hi))
                tree_plan_stretch(t, i, j);

        if (planned && j - i + 1 <= CHAIN_SPAN && t->chained[chain_at(i, j)]) {
                struct chain c;
                label next, leaves[CHAIN_MAX];

                if (!chain_plan(t, i, j, &c)) {
                        t->g->err = -EINVAL;
                        return 1;
                }
                next = gen_ret(t->g, c.action);
                for (size_t p = c.n; p > 0; p--)
                        leaves[p - 1] = gen_leaf(t, &t->iv[c.exc[p - 1]]);
                for (size_t p = c.n; p > 0; p--) {
                        t->g->a_off = OFF_NR;
                        next = gen_jump(t->g, BPF_JEQ, t->iv[c.exc[p - 1]].lo, leaves[p - 1], next);
                }
                return next;
        }
        if (planned) {
                k = i + t->root[(i - t->plan_lo) * DP_BAND + (j - i)];
                goto emit;
        }
        total = t->prefix[j + 1] - t->prefix[i];
        for (size_t c = i + 1; c <= j; c++) {
                uint64_t l = t->prefix[c] - t->prefix[i], r = total - l;
                uint64_t d = l > r ? l - r : r - l;
                if (d < best) {
                        best = d;
                        k = c;
                }
        }
emit:
        right = gen_tree(t, k, j);
        left = gen_tree(t, i, k - 1);
        t->g->a_off = OFF_NR;
        return gen_jump(t->g, BPF_JGE, t->iv[k].lo, right, left);
}

static label gen_section(struct gen *g, const struct filter_view *v, size_t index)
{
        const struct view_section *sec = &v->sections[index];
        _cleanup_free_ struct ival *iv = NULL;
        _cleanup_free_ uint64_t *prefix = NULL;
        size_t n = 0;
        label body;
        int k;

        k = section_intervals(v, sec, &iv, &n);
        if (k < 0) {
                g->err = k;
                return 1;
        }
        if (n == 1 && !iv[0].is_sys)
                return gen_ret(g, iv[0].action);
        prefix = malloc((n + 1) * sizeof(*prefix));
        if (!prefix) {
                g->err = -ENOMEM;
                return 1;
        }
        prefix[0] = 0;
        for (size_t i = 0; i < n; i++)
                prefix[i + 1] = prefix[i] + iv[i].weight;

        struct tree_ctx t = { .g = g,
                              .v = v,
                              .sec = sec,
                              .sec_index = index,
                              .iv = iv,
                              .n = n,
                              .prefix = prefix,
                              .plan_lo = 1,
                              .plan_hi = 0 };
        k = tree_plan(&t);
        if (k < 0) {
                g->err = k;
                body = 1;
        } else {
                body = gen_tree(&t, 0, n - 1);
        }
        free(t.tables);
        if (g->err)
                return 1;
        if (label_is_ret(g, body))
                return body; /* every number ends the same way */
        gen_fall_into(g, body);
        return gen_load(g, OFF_NR);
}

/*
 * Remove instructions no path reaches (reloads that every jump skips, RETs superseded by nearer
 * copies) and re-aim the jumps; all jumps go forward, so offsets only shrink. Returns the new
 * length. The program is in execution order here.
 */
/*
 * Jump threading, on the finished program in execution order. A forward pass tracks, per
 * instruction, which seccomp_data word the accumulator holds and what the comparisons on the
 * way there established about words (facts kept where every path into the instruction agrees;
 * the data never changes, so a fact outlives reloads). An edge into code whose next decisions
 * those facts already settle (a comparison repeated by a later rule of the same syscall, or a
 * jump whose two edges meet) is redirected past them. It only ever shortens paths; where it
 * lands must not depend on skipped loads (a RET with a constant, a load, or code that reads the
 * very word the accumulator holds on the edge).
 */
#define FACTS_MAX 16
#define WORD_NONE UINT32_MAX

struct fact {
        uint32_t k;
        uint8_t word; /* seccomp_data offset of an argument word */
        uint8_t op;   /* BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET */
        bool holds;
};

/* Only the first n facts are meaningful (and copied). They live apart, at f (room for
 * FACTS_MAX), so that the states of the many instructions without facts stay small. */
struct flow {
        bool reached;
        uint8_t n;
        uint32_t a_word;
        struct fact *f;
};

/* Scratch for jump threading: len states, then FACTS_MAX facts for each. */
#define THREAD_SCRATCH_SIZE(len) ((len) * (sizeof(struct flow) + FACTS_MAX * sizeof(struct fact)))

/* compact() reuses thread_jumps()'s scratch for its indexes. */
_Static_assert(sizeof(struct flow) >= sizeof(size_t), "scratch too small for compact()");

/* Everything but where the facts live. */
static void flow_copy(struct flow *to, const struct flow *from)
{
        to->reached = from->reached;
        to->n = from->n;
        to->a_word = from->a_word;
        for (uint8_t i = 0; i < from->n; i++)
                to->f[i] = from->f[i];
}

static bool fact_eq(const struct fact *a, const struct fact *b)
{
        return a->word == b->word && a->op == b->op && a->holds == b->holds && a->k == b->k;
}

static void flow_meet(struct flow *into, const struct flow *x)
{
        uint8_t n = 0;

        if (!into->reached) {
                flow_copy(into, x);
                return;
        }
        if (into->a_word != x->a_word)
                into->a_word = WORD_NONE;
        for (uint8_t i = 0; i < into->n; i++)
                for (uint8_t j = 0; j < x->n; j++)
                        if (fact_eq(&into->f[i], &x->f[j])) {
                                into->f[n++] = into->f[i];
                                break;
                        }
        into->n = n;
}

/* Keep the newest facts: the search over numbers piles up facts about nr that argument checks
 * never ask about. */
static void flow_add(struct flow *s, struct fact f)
{
        if (s->n == FACTS_MAX) {
                memmove(&s->f[0], &s->f[1], (FACTS_MAX - 1) * sizeof(s->f[0]));
                s->n--;
        }
        s->f[s->n++] = f;
}

/* What one fact says about "A op k" for the word it is about: 1 true, 0 false, -1 unknown. */
static int fact_implies(const struct fact *f, uint16_t op, uint32_t k)
{
        uint64_t lo = 0, hi = UINT32_MAX;

        if (f->op == BPF_JSET) {
                if (op == BPF_JSET) {
                        if (!f->holds && (k & ~f->k) == 0)
                                return 0; /* A & f->k == 0 covers every bit of k */
                        if (f->holds && (f->k & ~k) == 0)
                                return 1; /* some bit of f->k is set, and k has them all */
                }
                if (op == BPF_JEQ) {
                        if (!f->holds && (k & f->k) != 0)
                                return 0;
                        if (f->holds && (k & f->k) == 0)
                                return 0;
                }
                return -1;
        }
        switch (f->op) {
        case BPF_JEQ:
                if (!f->holds)
                        return op == BPF_JEQ && k == f->k ? 0 : -1;
                lo = hi = f->k;
                break;
        case BPF_JGT:
                if (f->holds)
                        lo = (uint64_t)f->k + 1;
                else
                        hi = f->k;
                break;
        case BPF_JGE:
                if (f->holds)
                        lo = f->k;
                else if (f->k == 0)
                        return -1; /* impossible; nothing to learn */
                else
                        hi = (uint64_t)f->k - 1;
                break;
        default:
                return -1;
        }
        switch (op) {
        case BPF_JEQ:
                if (k < lo || k > hi)
                        return 0;
                return lo == hi ? 1 : -1;
        case BPF_JGT:
                return lo > k ? 1 : hi <= k ? 0 : -1;
        case BPF_JGE:
                return lo >= k ? 1 : hi < k ? 0 : -1;
        case BPF_JSET:
                if (lo == hi)
                        return (lo & k) != 0;
                return -1;
        default:
                return -1;
        }
}

static int flow_decide(const struct flow *s, uint32_t word, uint16_t op, uint32_t k)
{
        for (uint8_t i = 0; i < s->n; i++) {
                int r;
                if (s->f[i].word != word)
                        continue;
                r = fact_implies(&s->f[i], op, k);
                if (r >= 0)
                        return r;
        }
        return -1;
}

static bool is_ld_abs_w(const struct sock_filter *x)
{
        return x->code == (BPF_LD | BPF_W | BPF_ABS);
}

static bool is_cond_k(const struct sock_filter *x)
{
        uint16_t op = BPF_OP(x->code);
        return BPF_CLASS(x->code) == BPF_JMP && BPF_SRC(x->code) == BPF_K &&
               (op == BPF_JEQ || op == BPF_JGT || op == BPF_JGE || op == BPF_JSET);
}

/* Where an edge carrying state `s` into `t` may go instead (t itself when nothing is known). */
static size_t thread_target(const struct sock_filter *p, size_t len, size_t t, const struct flow *s)
{
        uint32_t a = s->a_word;
        size_t best = t;

        for (unsigned steps = 0; steps < 64 && t < len; steps++) {
                const struct sock_filter *x = &p[t];
                int r;

                /* A landing here is sound if nothing here reads a skipped load's word. */
                if (is_ld_abs_w(x) || x->code == (BPF_RET | BPF_K) || a == s->a_word)
                        best = t;
                if (is_ld_abs_w(x)) {
                        a = x->k;
                        t++;
                        continue;
                }
                if (BPF_CLASS(x->code) == BPF_JMP && BPF_OP(x->code) == BPF_JA) {
                        t += 1 + (size_t)x->k;
                        continue;
                }
                if (!is_cond_k(x))
                        break;
                if (x->jt == x->jf) {
                        t += 1 + (size_t)x->jt;
                        continue;
                }
                if (a == WORD_NONE)
                        break;
                r = flow_decide(s, a, BPF_OP(x->code), x->k);
                if (r < 0)
                        break;
                t += 1 + (size_t)(r ? x->jt : x->jf);
        }
        if (t < len && (is_ld_abs_w(&p[t]) || p[t].code == (BPF_RET | BPF_K) || a == s->a_word))
                best = t;
        return best;
}

/* `in`: len states, each with room for its facts. */
static bool thread_pass(struct sock_filter *p, size_t len, struct flow *in)
{
        bool changed = false;

        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++)
                in[i].reached = false;
        in[0].reached = true;
        in[0].n = 0;
        in[0].a_word = WORD_NONE;
        /* in[i] is read only when instruction i is visited (all jumps go forward), so it is
         * updated in place there. */
        for (size_t i = 0; i < len; i++) {
                struct sock_filter *x = &p[i];
                struct flow *s = &in[i];

                if (!s->reached || BPF_CLASS(x->code) == BPF_RET)
                        continue;
                if (is_ld_abs_w(x)) {
                        s->a_word = x->k;
                        flow_meet(&in[i + 1], s);
                        continue;
                }
                if (BPF_CLASS(x->code) != BPF_JMP) {
                        s->a_word = WORD_NONE; /* not emitted by us; stay safe */
                        flow_meet(&in[i + 1], s);
                        continue;
                }
                if (BPF_OP(x->code) == BPF_JA) {
                        flow_meet(&in[i + 1 + x->k], s);
                        continue;
                }
                for (int edge = 1; edge >= 0; edge--) {
                        size_t t = i + 1 + (edge ? x->jt : x->jf), n;
                        const struct flow *e = s;
                        struct fact full_f[FACTS_MAX];
                        struct flow full = { .f = full_f };
                        bool pushed = false;

                        /* Facts about the number and the arch are left out: the search over
                         * numbers never repeats a decision, and argument checks ask only
                         * about arguments. */
                        if (is_cond_k(x) && s->a_word >= OFF_ARGS && s->a_word < UINT8_MAX) {
                                struct fact f = { .word = (uint8_t)s->a_word,
                                                  .op = (uint8_t)BPF_OP(x->code),
                                                  .holds = edge == 1,
                                                  .k = x->k };
                                if (s->n < FACTS_MAX) {
                                        s->f[s->n++] = f; /* taken back below */
                                        pushed = true;
                                } else {
                                        flow_copy(&full, s);
                                        flow_add(&full, f);
                                        e = &full;
                                }
                        }
                        n = thread_target(p, len, t, e);
                        if (n != t && n - i - 1 <= 255) {
                                if (edge)
                                        x->jt = (uint8_t)(n - i - 1);
                                else
                                        x->jf = (uint8_t)(n - i - 1);
                                t = n;
                                changed = true;
                        }
                        flow_meet(&in[t], e);
                        if (pushed)
                                s->n--;
                }
        }
        return changed;
}

/* A pass sees later jumps as they were; a few passes let simplifications reach back. `scratch`:
 * THREAD_SCRATCH_SIZE(len) bytes. */
static void thread_jumps(struct sock_filter *p, size_t len, void *scratch)
{
        struct flow *in = scratch;
        struct fact *facts = (struct fact *)(in + len);

        for (size_t i = 0; i < len; i++)
                in[i].f = facts + i * FACTS_MAX;
        for (int pass = 0; pass < 4 && thread_pass(p, len, in); pass++)
                ;
}

/* `idx`: room for len indexes, scratch. */
static size_t compact(struct sock_filter *p, size_t len, size_t *idx)
{
        size_t n = 0;

        if (len == 0)
                return len;
        /* First 1 for "reached", then the new index (SIZE_MAX: dropped). */
        memset(idx, 0, len * sizeof(*idx));
        idx[0] = 1;
        for (size_t i = 0; i < len; i++) {
                const struct sock_filter *x = &p[i];
                if (!idx[i])
                        continue;
                if (BPF_CLASS(x->code) == BPF_RET)
                        continue;
                if (BPF_CLASS(x->code) != BPF_JMP) {
                        idx[i + 1] = 1;
                } else if (BPF_OP(x->code) == BPF_JA) {
                        idx[i + 1 + x->k] = 1;
                } else {
                        idx[i + 1 + x->jt] = 1;
                        idx[i + 1 + x->jf] = 1;
                }
        }
        for (size_t i = 0; i < len; i++)
                idx[i] = idx[i] ? n++ : SIZE_MAX;
        if (n == len)
                return len;
        for (size_t i = 0; i < len; i++) {
                struct sock_filter x = p[i];
                if (idx[i] == SIZE_MAX)
                        continue;
                if (BPF_CLASS(x.code) == BPF_JMP) {
                        if (BPF_OP(x.code) == BPF_JA) {
                                x.k = (uint32_t)(idx[i + 1 + x.k] - idx[i] - 1);
                        } else {
                                x.jt = (uint8_t)(idx[i + 1 + x.jt] - idx[i] - 1);
                                x.jf = (uint8_t)(idx[i + 1 + x.jf] - idx[i] - 1);
                        }
                }
                p[idx[i]] = x;
        }
        return n;
}

int gen_bpf_generate(struct filter_view *v, struct gen_bpf_result *ret)
{
        struct gen g = { .a_off = A_UNKNOWN };
        label secs[FILTER_ARCH_MAX];
        int k;

        view_fold(v);

        for (size_t i = v->n_sections; i > 0; i--)
                secs[i - 1] = gen_section(&g, v, i - 1);
        {
                label next = gen_ret(&g, v->badarch_action);
                g.a_off = OFF_ARCH;
                for (size_t i = v->n_sections; i > 0; i--)
                        next = gen_jump(&g, BPF_JEQ, v->sections[i - 1].audit_arch, secs[i - 1],
                                        next);
                if (v->n_sections > 0 && !label_is_ret(&g, next)) {
                        gen_fall_into(&g, next);
                        next = gen_load(&g, OFF_ARCH);
                }
                /* Execution starts at the first instruction: make it the entry (a program
                 * that is one verdict may end up as a lone RET behind shared code). */
                gen_fall_into(&g, next);
        }
        k = g.err;
        if (k == 0) {
                /* Back to front into execution order, then thread jumps and drop what no path
                 * reaches (both need scratch; without it the program stays as it is). */
                _cleanup_free_ void *scratch = malloc(THREAD_SCRATCH_SIZE(g.len));

                for (size_t i = 0; i < g.len / 2; i++) {
                        struct sock_filter x = g.buf[i];
                        g.buf[i] = g.buf[g.len - 1 - i];
                        g.buf[g.len - 1 - i] = x;
                }
                if (scratch) {
                        thread_jumps(g.buf, g.len, scratch);
                        g.len = compact(g.buf, g.len, (size_t *)scratch);
                }
        }
        free(g.rets);
        if (k == 0 && g.len > BPF_MAXINSNS) {
                free(g.buf);
                *ret = (struct gen_bpf_result){ .len = g.len,
                                                .contribs = g.contribs,
                                                .n_contribs = g.n_contribs };
                return -E2BIG;
        }
        free(g.contribs);
        if (k < 0) {
                free(g.buf);
                *ret = (struct gen_bpf_result){ 0 };
                return k;
        }
        *ret = (struct gen_bpf_result){ .insns = g.buf, .len = g.len };
        return 0;
}
