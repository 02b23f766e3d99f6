/*
 * The filter model: contexts, attributes, arches, rules, priorities, transactions, merge, and
 * the API that compiles and exports it (lower.c builds the view, gen_bpf.c and gen_pfc.c read it,
 * and this file turns their results into programs, text and error messages).
 *
 * Model: a filter remembers what the API was told, in the native numbering (struct
 * filter_state), and nothing derived. Every question that depends on an arch (does it have the
 * syscall, does it multiplex it through socketcall/ipc, how wide are its arguments) is answered
 * when rules are lowered into a struct filter_view, so adding an arch later applies the existing
 * rules to it for free, and a transaction is a plain snapshot of the state.
 *
 * Invariants: a rule in the state was accepted for every arch present when it was added (the
 * arches added later skip what they cannot express); rule comparisons (in the state's pool) are
 * sorted by argument and normalised (datum_b is 0 unless MASKED_EQ), so equal rules compare equal
 * whatever order they were written in; the cached program is dropped by every change.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/audit.h>
#include <linux/filter.h>

#include "lower.h"
#include "gen.h"
#include "util.h"

#define X32_TOKEN (62u | 0x40000000u)

_public_ bool scmpd_action_valid(uint32_t action)
{
        switch (action & 0xffff0000U) {
        case SCMPD_ACT_KILL_PROCESS:
        case SCMPD_ACT_KILL_THREAD:
        case SCMPD_ACT_TRAP:
        case SCMPD_ACT_NOTIFY:
        case SCMPD_ACT_LOG:
        case SCMPD_ACT_ALLOW:
                return (action & 0xffffU) == 0;
        case 0x00050000U: /* ERRNO */
        case 0x7ff00000U: /* TRACE */
                return true;
        default:
                return false;
        }
}

/* libseccomp refuses ERRNO data from its MAX_ERRNO (4095) up and accepts any TRACE message. */
static bool action_ok(uint32_t action)
{
        if (!scmpd_action_valid(action))
                return false;
        if ((action & 0xffff0000U) == 0x00050000U && (action & 0xffffU) >= 4095)
                return false;
        return true;
}

/* Record an error message on the filter (library code never prints). */
static void __attribute__((format(printf, 2, 3)))
filter_set_error(struct scmpd_filter *f, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        free(f->error);
        f->error = s;
}

_public_ const char *scmpd_filter_error(const struct scmpd_filter *f)
{
        return f ? f->error : NULL;
}

static void filter_changed(struct scmpd_filter *f)
{
        free(f->prog);
        f->prog = NULL;
        f->prog_len = 0;
}

static void state_done(struct filter_state *s)
{
        free(s->rules);
        free(s->cmps);
        free(s->prios);
        s->rules = NULL;
        s->cmps = NULL;
        s->prios = NULL;
        s->n_rules = s->cap_rules = s->n_cmps = s->cap_cmps = s->n_prios = 0;
}

static int state_copy(const struct filter_state *from, struct filter_state *to)
{
        *to = *from;
        to->rules = NULL;
        to->cmps = NULL;
        to->prios = NULL;
        to->cap_rules = from->n_rules;
        to->cap_cmps = from->n_cmps;
        if (from->n_rules) {
                to->rules = malloc(from->n_rules * sizeof(*from->rules));
                if (!to->rules)
                        goto oom;
                memcpy(to->rules, from->rules, from->n_rules * sizeof(*from->rules));
        }
        if (from->n_cmps) {
                to->cmps = malloc(from->n_cmps * sizeof(*from->cmps));
                if (!to->cmps)
                        goto oom;
                memcpy(to->cmps, from->cmps, from->n_cmps * sizeof(*from->cmps));
        }
        if (from->n_prios) {
                to->prios = malloc(from->n_prios * sizeof(*from->prios));
                if (!to->prios)
                        goto oom;
                memcpy(to->prios, from->prios, from->n_prios * sizeof(*from->prios));
        }
        return 0;
oom:
        state_done(to);
        return -ENOMEM;
}

static void state_init(struct filter_state *s, uint32_t default_action)
{
        *s = (struct filter_state){
                .default_action = default_action,
                .badarch_action = SCMPD_ACT_KILL_THREAD,
                .nnp = true,
                .optimize = 1,
                .n_arches = 1,
                .arches = { scmpd_arch_native() },
        };
}

_public_ int scmpd_filter_new(uint32_t default_action, struct scmpd_filter **ret)
{
        struct scmpd_filter *f;

        if (!ret || !action_ok(default_action))
                return -EINVAL;
        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        state_init(&f->s, default_action);
        f->listener_fd = -1;
        *ret = f;
        return 0;
}

static void txn_drop_all(struct scmpd_filter *f)
{
        for (size_t i = 0; i < f->n_txn; i++)
                state_done(&f->txn[i]);
        free(f->txn);
        f->txn = NULL;
        f->n_txn = 0;
}

_public_ struct scmpd_filter *scmpd_filter_free(struct scmpd_filter *f)
{
        if (!f)
                return NULL;
        state_done(&f->s);
        txn_drop_all(f);
        lower_cache_drop(f);
        free(f->prog);
        free(f->error);
        free(f);
        return NULL;
}

_public_ int scmpd_filter_reset(struct scmpd_filter *f, uint32_t default_action)
{
        if (!f || !action_ok(default_action))
                return -EINVAL;
        state_done(&f->s);
        txn_drop_all(f);
        state_init(&f->s, default_action);
        f->listener_fd = -1;
        lower_cache_drop(f);
        filter_changed(f);
        return 0;
}

_public_ int scmpd_filter_attr_get(const struct scmpd_filter *f, enum scmpd_filter_attr attr,
                                   uint32_t *ret_value)
{
        const struct filter_state *s;
        uint32_t v;

        if (!f || !ret_value)
                return -EINVAL;
        s = &f->s;
        switch (attr) {
        case SCMPD_ATTR_DEFAULT_ACTION:
                v = s->default_action;
                break;
        case SCMPD_ATTR_BADARCH_ACTION:
                v = s->badarch_action;
                break;
        case SCMPD_ATTR_NO_NEW_PRIVS:
                v = s->nnp;
                break;
        case SCMPD_ATTR_TSYNC:
                v = s->tsync;
                break;
        case SCMPD_ATTR_TSKIP:
                v = s->tskip;
                break;
        case SCMPD_ATTR_LOG:
                v = s->log;
                break;
        case SCMPD_ATTR_SSB:
                v = s->ssb;
                break;
        case SCMPD_ATTR_OPTIMIZE:
                v = s->optimize;
                break;
        case SCMPD_ATTR_RAW_RC:
                v = s->raw_rc;
                break;
        case SCMPD_ATTR_WAIT_KILLABLE_RECV:
                v = s->wait_killable;
                break;
        default:
                return -EINVAL;
        }
        *ret_value = v;
        return 0;
}

_public_ int scmpd_filter_attr_set(struct scmpd_filter *f, enum scmpd_filter_attr attr,
                                   uint32_t value)
{
        struct filter_state *s;

        if (!f)
                return -EINVAL;
        s = &f->s;
        switch (attr) {
        case SCMPD_ATTR_DEFAULT_ACTION:
                return -EACCES;
        case SCMPD_ATTR_BADARCH_ACTION:
                if (!action_ok(value))
                        return -EINVAL;
                s->badarch_action = value;
                break;
        case SCMPD_ATTR_NO_NEW_PRIVS:
                s->nnp = value != 0;
                break;
        case SCMPD_ATTR_TSYNC:
                s->tsync = value != 0;
                break;
        case SCMPD_ATTR_TSKIP:
                s->tskip = value != 0;
                break;
        case SCMPD_ATTR_LOG:
                s->log = value != 0;
                break;
        case SCMPD_ATTR_SSB:
                s->ssb = value != 0;
                break;
        case SCMPD_ATTR_OPTIMIZE:
                if (value != 1 && value != 2)
                        return -EOPNOTSUPP;
                s->optimize = value;
                break;
        case SCMPD_ATTR_RAW_RC:
                s->raw_rc = value != 0;
                break;
        case SCMPD_ATTR_WAIT_KILLABLE_RECV:
                s->wait_killable = value != 0;
                break;
        default:
                return -EINVAL;
        }
        filter_changed(f);
        return 0;
}

/* ---- arches ---- */

static const struct scmpd_arch *arch_resolve(uint32_t token)
{
        return token == 0 ? scmpd_arch_native() : scmpd_arch_by_token(token);
}

static ssize_t arch_index(const struct filter_state *s, const struct scmpd_arch *a)
{
        for (size_t i = 0; i < s->n_arches; i++)
                if (s->arches[i] == a)
                        return (ssize_t)i;
        return -1;
}

/* Rules that apply to "every arch of the filter" (mask 0) are bound to the current arches, so
 * an arch added next does not get them. With no arch at all they apply nowhere and go. */
static void pin_rules_to_arches(struct filter_state *s)
{
        uint64_t mask = 0;
        size_t kept = 0;

        for (size_t i = 0; i < s->n_arches; i++)
                mask |= UINT64_C(1) << arch_table_index(s->arches[i]);
        for (size_t k = 0; k < s->n_rules; k++) {
                if (s->rules[k].arch_mask == 0) {
                        if (mask == 0)
                                continue;
                        s->rules[k].arch_mask = mask;
                }
                s->rules[kept++] = s->rules[k];
        }
        s->n_rules = kept;
}

_public_ int scmpd_filter_arch_add(struct scmpd_filter *f, uint32_t token)
{
        const struct scmpd_arch *a;

        if (!f)
                return -EINVAL;
        a = arch_resolve(token);
        if (!a)
                return -EINVAL;
        if (arch_index(&f->s, a) >= 0)
                return -EEXIST;
        /* One filter holds one byte order, as in libseccomp. */
        if (f->s.n_arches > 0 && f->s.arches[0]->big_endian != a->big_endian)
                return -EDOM;
        if (f->s.n_arches >= FILTER_ARCH_MAX)
                return -ENOSPC;
        /* libseccomp keeps rules per arch: rules added so far stay on the arches they were
         * added to, and the new arch starts without them (seccomp_arch_add(3)). */
        pin_rules_to_arches(&f->s);
        f->s.arches[f->s.n_arches++] = a;
        lower_cache_drop(f);
        filter_changed(f);
        return 0;
}

_public_ int scmpd_filter_arch_remove(struct scmpd_filter *f, uint32_t token)
{
        const struct scmpd_arch *a;
        ssize_t i;

        if (!f)
                return -EINVAL;
        a = arch_resolve(token);
        if (!a)
                return -EINVAL;
        i = arch_index(&f->s, a);
        if (i < 0)
                return -EEXIST;
        memmove(&f->s.arches[i], &f->s.arches[i + 1],
                (f->s.n_arches - (size_t)i - 1) * sizeof(f->s.arches[0]));
        f->s.n_arches--;
        /* Its rules go with it: adding the arch again starts it empty, as in libseccomp. A rule
         * left on no arch at all is dropped. */
        {
                uint64_t bit = UINT64_C(1) << arch_table_index(a);
                size_t kept = 0;

                for (size_t k = 0; k < f->s.n_rules; k++) {
                        struct filter_rule *r = &f->s.rules[k];

                        if (r->arch_mask & bit) {
                                r->arch_mask &= ~bit;
                                if (r->arch_mask == 0)
                                        continue;
                        }
                        f->s.rules[kept++] = *r;
                }
                f->s.n_rules = kept;
        }
        lower_cache_drop(f);
        filter_changed(f);
        return 0;
}

_public_ int scmpd_filter_arch_has(const struct scmpd_filter *f, uint32_t token)
{
        const struct scmpd_arch *a;

        if (!f)
                return -EINVAL;
        a = arch_resolve(token);
        if (!a)
                return -EINVAL;
        return arch_index(&f->s, a) >= 0 ? 1 : 0;
}

/* ---- rules ---- */

static bool syscall_valid(const struct filter_state *s, int nr)
{
        if (nr == -1 && s->tskip)
                return true;
        return !(nr <= -1 && nr >= -99);
}

/* Append a rule and its r->n comparisons (which go to the pool; r->cmp_at is set here). */
static int state_push_rule(struct filter_state *s, struct filter_rule r,
                           const struct scmpd_arg_cmp *cmps)
{
        /* Doubling: a profile adds its rules one by one, hundreds of them. */
        if (s->n_rules == s->cap_rules) {
                size_t cap = s->cap_rules ? 2 * s->cap_rules : 64;
                struct filter_rule *v = realloc(s->rules, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                s->rules = v;
                s->cap_rules = cap;
        }
        if (s->n_cmps + r.n > s->cap_cmps) {
                size_t cap = s->cap_cmps ? 2 * s->cap_cmps : 16;
                struct scmpd_arg_cmp *v;

                if (s->n_cmps + r.n > UINT32_MAX)
                        return -ENOMEM;
                v = realloc(s->cmps, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                s->cmps = v;
                s->cap_cmps = cap;
        }
        r.cmp_at = (uint32_t)s->n_cmps;
        if (r.n > 0)
                memcpy(&s->cmps[s->n_cmps], cmps, r.n * sizeof(*cmps));
        s->n_cmps += r.n;
        s->rules[s->n_rules++] = r;
        return 0;
}

_public_ int scmpd_filter_rule_add(struct scmpd_filter *f, uint32_t action, int syscall,
                                   unsigned flags, size_t n, const struct scmpd_arg_cmp *cmps)
{
        struct filter_rule r = { .action = action, .syscall = syscall, .flags = flags };
        struct scmpd_arg_cmp sorted[SCMPD_ARGS_MAX];
        bool seen[SCMPD_ARGS_MAX] = { false };
        struct rule_target targets[FILTER_ARCH_MAX][2];
        size_t n_targets[FILTER_ARCH_MAX];
        int k;

        if (!f || (flags & ~SCMPD_RULE_EXACT))
                return -EINVAL;
        if (n > SCMPD_ARGS_MAX || (n > 0 && !cmps))
                return -EINVAL;
        if (!syscall_valid(&f->s, syscall))
                return -EINVAL;
        if (!action_ok(action))
                return -EINVAL;
        if (action == f->s.default_action)
                return -EACCES;
        /* libseccomp 2.5.4 takes exact rules only in single-arch filters. */
        if ((flags & SCMPD_RULE_EXACT) && f->s.n_arches > 1)
                return -EOPNOTSUPP;
        for (size_t i = 0; i < n; i++) {
                struct scmpd_arg_cmp c = cmps[i];

                if (c.arg >= SCMPD_ARGS_MAX || seen[c.arg])
                        return -EINVAL;
                if (c.op < SCMPD_CMP_NE || c.op > SCMPD_CMP_MASKED_EQ)
                        return -EINVAL;
                seen[c.arg] = true;
                if (c.op != SCMPD_CMP_MASKED_EQ)
                        c.datum_b = 0;
                sorted[i] = c;
        }
        r.n = (unsigned)n;
        /* By argument: at most six, each argument once. */
        for (unsigned i = 1; i < r.n; i++)
                for (unsigned j = i; j > 0 && sorted[j - 1].arg > sorted[j].arg; j--) {
                        struct scmpd_arg_cmp c = sorted[j];
                        sorted[j] = sorted[j - 1];
                        sorted[j - 1] = c;
                }

        for (size_t i = 0; i < f->s.n_arches; i++) {
                k = lower_rule_targets(&r, sorted, f->s.arches[i], f->s.n_rules, true, targets[i]);
                if (k < 0)
                        return k;
                n_targets[i] = (size_t)k;
        }

        /* Overlaps are decided at add time, per arch, as libseccomp decides them (filter.h). */
        k = lower_cache_ensure(f);
        if (k < 0)
                return k;
        for (size_t i = 0; i < f->s.n_arches; i++) {
                k = lower_cache_apply(f, i, targets[i], n_targets[i], true);
                if (k < 0)
                        return k;
        }

        k = state_push_rule(&f->s, r, sorted);
        if (k < 0)
                return k;
        for (size_t i = 0; i < f->s.n_arches; i++) {
                k = lower_cache_apply(f, i, targets[i], n_targets[i], false);
                if (k < 0) {
                        lower_cache_drop(f); /* out of memory half-way: rebuild next time */
                        break;
                }
        }
        filter_changed(f);
        return 0;
}

_public_ int scmpd_filter_syscall_priority(struct scmpd_filter *f, int syscall, uint8_t priority)
{
        struct filter_prio *v;
        int k, nr;

        if (!f || !syscall_valid(&f->s, syscall))
                return -EINVAL;
        for (size_t i = 0; i < f->s.n_arches; i++) {
                k = lower_syscall_on_arch(f->s.arches[i], syscall, &nr);
                if (k < 0)
                        return k;
        }
        for (size_t i = 0; i < f->s.n_prios; i++)
                if (f->s.prios[i].syscall == syscall) {
                        f->s.prios[i].priority = priority;
                        filter_changed(f);
                        return 0;
                }
        v = realloc(f->s.prios, (f->s.n_prios + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        f->s.prios = v;
        f->s.prios[f->s.n_prios++] = (struct filter_prio){ syscall, priority };
        filter_changed(f);
        return 0;
}

/* ---- transactions ---- */

_public_ int scmpd_filter_transaction_start(struct scmpd_filter *f)
{
        struct filter_state *v;
        int k;

        if (!f)
                return -EINVAL;
        v = realloc(f->txn, (f->n_txn + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        f->txn = v;
        k = state_copy(&f->s, &f->txn[f->n_txn]);
        if (k < 0)
                return k;
        f->n_txn++;
        return 0;
}

_public_ int scmpd_filter_transaction_commit(struct scmpd_filter *f)
{
        if (!f || f->n_txn == 0)
                return -EINVAL;
        state_done(&f->txn[--f->n_txn]);
        return 0;
}

_public_ int scmpd_filter_transaction_reject(struct scmpd_filter *f)
{
        if (!f || f->n_txn == 0)
                return -EINVAL;
        state_done(&f->s);
        f->s = f->txn[--f->n_txn];
        lower_cache_drop(f);
        filter_changed(f);
        return 0;
}

/* ---- merge ---- */

_public_ int scmpd_filter_merge(struct scmpd_filter *dst, struct scmpd_filter *src)
{
        struct filter_state *d, *s;
        struct filter_rule *rules;
        struct scmpd_arg_cmp *cmps;
        uint64_t mask = 0;

        if (!dst || !src || dst == src)
                return -EINVAL;
        d = &dst->s;
        s = &src->s;
        /* libseccomp compares only these attributes. */
        if (d->default_action != s->default_action || d->badarch_action != s->badarch_action ||
            d->nnp != s->nnp)
                return -EINVAL;
        if (d->n_arches > 0 && s->n_arches > 0 &&
            d->arches[0]->big_endian != s->arches[0]->big_endian)
                return -EDOM;
        for (size_t i = 0; i < s->n_arches; i++)
                if (arch_index(d, s->arches[i]) >= 0)
                        return -EEXIST;
        if (d->n_arches + s->n_arches > FILTER_ARCH_MAX)
                return -ENOSPC;

        for (size_t i = 0; i < s->n_arches; i++)
                mask |= UINT64_C(1) << arch_table_index(s->arches[i]);
        /* Rules that applied to every arch of dst now apply to dst's arches only. */
        {
                uint64_t dmask = 0;
                for (size_t i = 0; i < d->n_arches; i++)
                        dmask |= UINT64_C(1) << arch_table_index(d->arches[i]);
                if (d->n_cmps + s->n_cmps > UINT32_MAX)
                        return -ENOMEM;
                rules = realloc(d->rules, (d->n_rules + s->n_rules) * sizeof(*rules));
                if (!rules && d->n_rules + s->n_rules > 0)
                        return -ENOMEM;
                d->rules = rules;
                d->cap_rules = d->n_rules + s->n_rules;
                cmps = realloc(d->cmps, (d->n_cmps + s->n_cmps) * sizeof(*cmps));
                if (!cmps && d->n_cmps + s->n_cmps > 0)
                        return -ENOMEM;
                d->cmps = cmps;
                d->cap_cmps = d->n_cmps + s->n_cmps;
                for (size_t i = 0; i < d->n_rules; i++)
                        if (d->rules[i].arch_mask == 0)
                                d->rules[i].arch_mask = dmask;
        }
        for (size_t i = 0; i < s->n_rules; i++) {
                struct filter_rule r = s->rules[i];
                if (r.arch_mask == 0)
                        r.arch_mask = mask;
                r.cmp_at += (uint32_t)d->n_cmps;
                d->rules[d->n_rules++] = r;
        }
        if (s->n_cmps > 0)
                memcpy(&d->cmps[d->n_cmps], s->cmps, s->n_cmps * sizeof(*s->cmps));
        d->n_cmps += s->n_cmps;
        for (size_t i = 0; i < s->n_arches; i++)
                d->arches[d->n_arches++] = s->arches[i];
        for (size_t i = 0; i < s->n_prios; i++)
                (void)scmpd_filter_syscall_priority(dst, s->prios[i].syscall, s->prios[i].priority);
        lower_cache_drop(dst);
        filter_changed(dst);
        scmpd_filter_free(src);
        return 0;
}

_public_ bool scmpd_filter_uses_notify(const struct scmpd_filter *f)
{
        if (!f)
                return false;
        if ((f->s.default_action & 0xffff0000U) == SCMPD_ACT_NOTIFY)
                return true;
        for (size_t i = 0; i < f->s.n_rules; i++)
                if ((f->s.rules[i].action & 0xffff0000U) == SCMPD_ACT_NOTIFY)
                        return true;
        return false;
}

/* ---- compile, export ---- */

static int contrib_cmp(const void *a, const void *b)
{
        const struct gen_bpf_contrib *x = a, *y = b;
        if (x->size != y->size)
                return x->size > y->size ? -1 : 1;
        if (x->section != y->section)
                return x->section < y->section ? -1 : 1;
        return (x->sys > y->sys) - (x->sys < y->sys);
}

static void explain_e2big(struct scmpd_filter *f, const struct filter_view *v,
                          struct gen_bpf_result *g)
{
        char *msg = NULL;
        size_t msg_len = 0, need = g->len - BPF_MAXINSNS, covered = 0;
        FILE *out = open_memstream(&msg, &msg_len);

        if (!out) {
                filter_set_error(f, "program needs %zu instructions, the limit is %u", g->len,
                                 BPF_MAXINSNS);
                return;
        }
        qsort(g->contribs, g->n_contribs, sizeof(*g->contribs), contrib_cmp);
        fprintf(out,
                "program needs %zu instructions, the limit is %u; the largest syscalls:", g->len,
                BPF_MAXINSNS);
        for (size_t i = 0; i < g->n_contribs && (covered < need || i < 3); i++) {
                const struct gen_bpf_contrib *c = &g->contribs[i];
                const struct view_section *sec = &v->sections[c->section];
                const struct view_sys *vs = &sec->sys[c->sys];
                const char *name = scmpd_syscall_name(vs->name_arch, vs->name_nr);

                fprintf(out, "%s %s %s (nr %u, %zu rules, %zu instructions: rules", i ? ";" : "",
                        vs->name_arch->name, name ? name : "?", vs->nr, vs->n_rules, c->size);
                for (size_t r = 0; r < vs->n_rules && r < 8; r++)
                        fprintf(out, " #%zu", vs->rules[r].origin);
                if (vs->n_rules > 8)
                        fprintf(out, " ...");
                fprintf(out, ")");
                covered += c->size;
        }
        fclose(out);
        free(f->error);
        f->error = msg;
}

_public_ int scmpd_filter_precompute(struct scmpd_filter *f)
{
        struct filter_view v;
        struct gen_bpf_result r;
        int k;

        if (!f)
                return -EINVAL;
        if (f->prog)
                return 0;
        k = lower_view_build(f, &v);
        if (k < 0)
                return k;
        k = gen_bpf_generate(&v, &r);
        if (k == -E2BIG && r.len > 0)
                explain_e2big(f, &v, &r);
        else if (k == -E2BIG)
                filter_set_error(f, "program exceeds %u instructions by far", GEN_BPF_HARD_LIMIT);
        lower_view_done(&v);
        free(r.contribs);
        if (k < 0)
                return k;
        f->prog = r.insns;
        f->prog_len = r.len;
        return 0;
}

_public_ int scmpd_filter_export_bpf_mem(struct scmpd_filter *f, void **ret_insns,
                                         size_t *ret_count)
{
        return scmpd_filter_export_bpf_mem_order(f, SCMPD_ORDER_HOST, ret_insns, ret_count);
}

/* True when the filter's arches (one byte order per filter) differ from the host's. */
static bool target_is_foreign(const struct scmpd_filter *f)
{
        bool host_big = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;

        return f->s.n_arches > 0 && f->s.arches[0]->big_endian != host_big;
}

_public_ int scmpd_filter_export_bpf_mem_order(struct scmpd_filter *f, enum scmpd_byte_order order,
                                               void **ret_insns, size_t *ret_count)
{
        struct sock_filter *p;
        int k;

        if (!f || !ret_insns || !ret_count)
                return -EINVAL;
        if (order != SCMPD_ORDER_HOST && order != SCMPD_ORDER_TARGET)
                return -EINVAL;
        k = scmpd_filter_precompute(f);
        if (k < 0)
                return k;
        p = malloc(f->prog_len * sizeof(*p));
        if (!p)
                return -ENOMEM;
        memcpy(p, f->prog, f->prog_len * sizeof(*p));
        /* The kernel reads code and k as native integers (jt/jf are bytes): a program for a
         * big-endian kernel built on a little-endian host has both swapped. */
        if (order == SCMPD_ORDER_TARGET && target_is_foreign(f))
                for (size_t i = 0; i < f->prog_len; i++) {
                        p[i].code = __builtin_bswap16(p[i].code);
                        p[i].k = __builtin_bswap32(p[i].k);
                }
        *ret_insns = p;
        *ret_count = f->prog_len;
        return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t w = write(fd, p, len);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                p += w;
                len -= (size_t)w;
        }
        return 0;
}

_public_ int scmpd_filter_export_bpf(struct scmpd_filter *f, int fd)
{
        int k;

        if (!f || fd < 0)
                return -EINVAL;
        k = scmpd_filter_precompute(f);
        if (k < 0)
                return k;
        k = write_all(fd, f->prog, f->prog_len * 8);
        if (k < 0)
                return f->s.raw_rc ? k : -ECANCELED;
        return 0;
}

_public_ int scmpd_filter_export_pfc(struct scmpd_filter *f, int fd)
{
        _cleanup_free_ char *text = NULL;
        struct filter_view v;
        size_t len = 0;
        int k;

        if (!f || fd < 0)
                return -EINVAL;
        k = lower_view_build(f, &v);
        if (k == 0) {
                k = gen_pfc_text(&v, &text, &len);
                lower_view_done(&v);
        }
        if (k == 0)
                k = write_all(fd, text, len);
        if (k < 0 && k != -ENOMEM && k != -EINVAL)
                return f->s.raw_rc ? k : -ECANCELED;
        return k;
}
