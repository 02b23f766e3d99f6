/*
 * Lowering: the filter model (struct filter_state, native numbering) turned into what each
 * kernel arch value sees (struct filter_view), which gen_bpf.c and gen_pfc.c read.
 *
 * Model: every arch question is answered here, when rules are lowered: does the arch have the
 * syscall (native numbers are translated by name, memoized), does it multiplex it through
 * socketcall/ipc (a rule then also lands on the multiplexer, its call number as an extra
 * comparison), how wide are its argument words (32-bit arches compare low words only). A
 * section is one seccomp_data.arch value (x86_64 and x32 share one); within a section each
 * syscall number is decided unconditionally or by an ordered list of rules, first match wins.
 *
 * The filter keeps a cache of its rules lowered per arch (f->lowered), so that rule_add decides
 * overlaps as libseccomp does at the cost of one insertion; building a view takes the cache
 * over instead of copying it. Invariants: view sections are sorted by number and unique; the
 * cache is either complete for every arch of the filter or NULL.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <linux/audit.h>
#include <linux/filter.h>

#include "lower.h"
#include "util.h"

#define X32_TOKEN (62u | 0x40000000u)

/*
 * The number `nr` (native numbering) has on `arch`. Returns 0 and the number (real, or the
 * pseudo number when the arch lacks the syscall), -EFAULT when the name is unknown.
 */
/*
 * A memo of native-to-arch translations (by name, in lib/arch: two binary searches and string
 * compares), which compiling a profile asks for thousands of times. Direct-mapped by the low
 * bits of the native number, per arch, with slots of their own for pseudo numbers (a profile
 * names dozens of syscalls the native arch lacks); each slot packs the number asked about and
 * the answer (biased so that an all-zero slot is empty) into one atomic word, so threads may
 * share it: they can only ever store the same answer for the same question.
 */
#define XLAT_SLOTS 1024
#define XLAT_PSEUDO_SLOTS 256
#define XLAT_ARCHES 32

static _Atomic uint64_t xlat_memo[XLAT_ARCHES][XLAT_SLOTS + XLAT_PSEUDO_SLOTS];

static size_t memo_slot(int nr)
{
        if (nr >= 0)
                return (unsigned)nr % XLAT_SLOTS;
        return XLAT_SLOTS + (0u - (unsigned)nr) % XLAT_PSEUDO_SLOTS;
}

static int syscall_translate_memo(const struct scmpd_arch *native, int nr,
                                  const struct scmpd_arch *arch)
{
        size_t a = arch_table_index(arch);
        _Atomic uint64_t *slot;
        uint64_t v;
        int t;

        if (a >= XLAT_ARCHES)
                return scmpd_syscall_translate(native, nr, arch);
        slot = &xlat_memo[a][memo_slot(nr)];
        v = atomic_load_explicit(slot, memory_order_relaxed);
        if (v != 0 && (uint32_t)(v >> 32) == (uint32_t)nr)
                return (int)((uint32_t)v ^ 0x80000000U);
        t = scmpd_syscall_translate(native, nr, arch);
        /* INT32_MIN is never an answer, so its encoding (0) marks an empty slot. */
        v = (uint64_t)(uint32_t)nr << 32 | ((uint32_t)t ^ 0x80000000U);
        atomic_store_explicit(slot, v, memory_order_relaxed);
        return t;
}

int lower_syscall_on_arch(const struct scmpd_arch *arch, int nr, int *ret)
{
        const struct scmpd_arch *native = scmpd_arch_native();
        int t;

        if (nr == -1 || arch == native) {
                *ret = nr;
                return 0;
        }
        t = syscall_translate_memo(native, nr, arch);
        if (t == SCMPD_NR_NONE)
                return -EFAULT;
        *ret = t;
        return 0;
}

/* libseccomp 2.6 rewrites socket and ipc calls into their multiplexer on these arches only (its
 * shared rule_add; 2.5.4 lacked m68k and sh). */
static bool arch_rewrites_mux(const struct scmpd_arch *arch)
{
        switch (arch->token) {
        case AUDIT_ARCH_I386:
        case AUDIT_ARCH_M68K:
        case AUDIT_ARCH_SH:
        case AUDIT_ARCH_SHEL:
        case AUDIT_ARCH_MIPS:
        case AUDIT_ARCH_MIPSEL:
        case AUDIT_ARCH_S390:
        case AUDIT_ARCH_S390X:
        case AUDIT_ARCH_PPC:
        case AUDIT_ARCH_PPC64:
        case AUDIT_ARCH_PPC64LE:
                return true;
        default:
                return false;
        }
}

/* scmpd_syscall_mux() (by name in lib/arch), memoized like the translations above: a slot
 * packs the number, a "filled" bit, the answer, the multiplexer and the call number. */
static _Atomic uint64_t mux_memo[XLAT_ARCHES][XLAT_SLOTS + XLAT_PSEUDO_SLOTS];

static int syscall_mux_memo(const struct scmpd_arch *arch, int nr, enum scmpd_mux *ret_mux,
                            uint32_t *ret_call)
{
        size_t a = arch_table_index(arch);
        _Atomic uint64_t *slot;
        enum scmpd_mux mux = 0;
        uint32_t call = 0;
        uint64_t v;
        int r;

        if (a >= XLAT_ARCHES)
                return scmpd_syscall_mux(arch, nr, ret_mux, ret_call);
        slot = &mux_memo[a][memo_slot(nr)];
        v = atomic_load_explicit(slot, memory_order_relaxed);
        if ((v & (UINT64_C(1) << 31)) && (uint32_t)(v >> 32) == (uint32_t)nr) {
                r = (int)((v >> 24) & 0x7f) - 64;
                *ret_mux = (enum scmpd_mux)((v >> 16) & 0xff);
                *ret_call = (uint32_t)(v & 0xffff);
                return r;
        }
        r = scmpd_syscall_mux(arch, nr, &mux, &call);
        /* Only small answers fit a slot (they all do: 0/1/-EINVAL, two muxes, calls <= 24). */
        if (r >= -64 && r < 64 && (unsigned)mux < 256 && call < 65536) {
                v = (uint64_t)(uint32_t)nr << 32 | UINT64_C(1) << 31 | (uint64_t)(r + 64) << 24 |
                    (uint64_t)mux << 16 | call;
                atomic_store_explicit(slot, v, memory_order_relaxed);
        }
        *ret_mux = mux;
        *ret_call = call;
        return r;
}

static int mux_of(const struct scmpd_arch *arch, int nr, int *ret_mux_nr, uint32_t *ret_call)
{
        enum scmpd_mux mux;
        uint32_t call;
        int r;

        if (nr == -1 || !arch_rewrites_mux(arch))
                return 0;
        r = syscall_mux_memo(arch, nr, &mux, &call);
        if (r <= 0)
                return 0;
        if (mux == SCMPD_MUX_SOCKETCALL && arch->socketcall_nr >= 0)
                *ret_mux_nr = arch->socketcall_nr;
        else if (mux == SCMPD_MUX_IPC && arch->ipc_nr >= 0)
                *ret_mux_nr = arch->ipc_nr;
        else
                return 0;
        *ret_call = call;
        return 1;
}

static uint32_t arch_audit_value(const struct scmpd_arch *a)
{
        return a->token == X32_TOKEN ? AUDIT_ARCH_X86_64 : a->token;
}

static bool is_x32(const struct scmpd_arch *a)
{
        return a->token == X32_TOKEN;
}

/* Tie-break only: the kernel's precedence of actions, the most restrictive first. */
static int64_t action_rank(uint32_t action)
{
        return ((int64_t)(int32_t)(action & 0xffff0000U) << 16) | (action & 0xffffU);
}

static unsigned op_rank(unsigned op)
{
        switch (op) {
        case SCMPD_CMP_EQ:
        case SCMPD_CMP_NE:
        case SCMPD_CMP_MASKED_EQ:
                return 3;
        case SCMPD_CMP_LT:
        case SCMPD_CMP_LE:
                return 2;
        default:
                return 1;
        }
}

/*
 * Precedence among the conditional rules of one syscall, libseccomp's (filter.h): rules are
 * compared comparison by comparison (in argument order); the higher argument goes first, on one
 * argument an equality (or NE, MASKED_EQ) before an upper bound (LT, LE) before a lower bound
 * (GT, GE); among equalities and lower bounds the larger datum first, among upper bounds the
 * smaller. The first rule whose comparisons all hold decides.
 */
static int view_rule_cmp(const void *a, const void *b)
{
        const struct view_rule *x = a, *y = b;
        unsigned n = x->n < y->n ? x->n : y->n;

        for (unsigned i = 0; i < n; i++) {
                const struct view_cmp *p = &x->c[i], *q = &y->c[i];
                if (p->arg != q->arg)
                        return p->arg > q->arg ? -1 : 1;
                if (op_rank(p->op) != op_rank(q->op))
                        return op_rank(p->op) > op_rank(q->op) ? -1 : 1;
                if (p->datum != q->datum) {
                        bool up = p->op == SCMPD_CMP_LT || p->op == SCMPD_CMP_LE;
                        return (p->datum > q->datum) != up ? -1 : 1;
                }
                if (p->op != q->op)
                        return p->op < q->op ? -1 : 1;
                if (p->mask != q->mask)
                        return p->mask > q->mask ? -1 : 1;
        }
        if (x->n != y->n)
                return x->n < y->n ? -1 : 1;
        if (x->bits != y->bits)
                return x->bits < y->bits ? -1 : 1;
        if (action_rank(x->action) != action_rank(y->action))
                return action_rank(x->action) < action_rank(y->action) ? -1 : 1;
        return 0;
}

/*
 * The sys array of a section. In a view it is sorted by number. While rules are lowered into
 * it (the rule_add cache, and a view being built) it only grows at the end, and `hash` finds an
 * entry by number in constant time; section_flatten() sorts it once at the end.
 */
static size_t hash_slot(uint32_t nr, size_t cap)
{
        /* Fibonacci hashing: numbers are dense and small, x32's carry bit 30. */
        return (size_t)((nr * UINT32_C(2654435769)) >> 8) & (cap - 1);
}

static int section_hash_grow(struct view_section *sec, size_t want)
{
        size_t cap = sec->hash_cap ? sec->hash_cap : 64;
        uint32_t *h;

        while (cap < 2 * want)
                cap *= 2;
        if (cap == sec->hash_cap)
                return 0;
        h = calloc(cap, sizeof(*h));
        if (!h)
                return -ENOMEM;
        for (size_t i = 0; i < sec->n_sys; i++) {
                size_t p = hash_slot(sec->sys[i].nr, cap);
                while (h[p])
                        p = (p + 1) & (cap - 1);
                h[p] = (uint32_t)i + 1;
        }
        free(sec->hash);
        sec->hash = h;
        sec->hash_cap = cap;
        return 0;
}

/* The hash slot of nr: its entry, or the empty slot where it would go. */
static size_t section_probe(const struct view_section *sec, uint32_t nr)
{
        size_t p = hash_slot(nr, sec->hash_cap);

        while (sec->hash[p] && sec->sys[sec->hash[p] - 1].nr != nr)
                p = (p + 1) & (sec->hash_cap - 1);
        return p;
}

static struct view_sys *section_find(struct view_section *sec, uint32_t nr)
{
        size_t p;

        if (!sec->hash) {
                /* A finished view: sorted. */
                size_t lo = 0, hi = sec->n_sys;
                while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;
                        if (sec->sys[mid].nr < nr)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                return lo < sec->n_sys && sec->sys[lo].nr == nr ? &sec->sys[lo] : NULL;
        }
        p = section_probe(sec, nr);
        return sec->hash[p] ? &sec->sys[sec->hash[p] - 1] : NULL;
}

/* Find or add the entry for nr in a section being lowered into. */
static struct view_sys *section_sys(struct view_section *sec, uint32_t nr, bool *ret_oom)
{
        size_t p;

        if (!sec->hash || 2 * (sec->n_sys + 1) > sec->hash_cap) {
                if (section_hash_grow(sec, sec->n_sys + 1) < 0) {
                        *ret_oom = true;
                        return NULL;
                }
        }
        p = section_probe(sec, nr);
        if (sec->hash[p])
                return &sec->sys[sec->hash[p] - 1];
        if (array_full(sec->n_sys)) {
                struct view_sys *v =
                        realloc(sec->sys, (sec->n_sys ? 2 * sec->n_sys : 1) * sizeof(*v));
                if (!v) {
                        *ret_oom = true;
                        return NULL;
                }
                sec->sys = v;
        }
        sec->hash[p] = (uint32_t)sec->n_sys + 1;
        sec->sys[sec->n_sys] = (struct view_sys){ .nr = nr };
        return &sec->sys[sec->n_sys++];
}

/* A rule as one arch sees it: its comparisons cut to the arch's word, and for a multiplexed
 * syscall the call number in argument 0. */
static void view_rule_make(const struct filter_rule *r, const struct scmpd_arg_cmp *cmps,
                           unsigned bits, int mux_call, size_t origin, struct view_rule *ret)
{
        struct view_rule *vr = ret; /* only the first n comparisons are ever read */
        uint64_t lim = bits == 32 ? UINT64_C(0xffffffff) : UINT64_MAX;

        vr->action = r->action;
        vr->bits = bits;
        vr->origin = origin;
        vr->n = 0;

        if (mux_call >= 0)
                vr->c[vr->n++] = (struct view_cmp){
                        .arg = 0, .op = SCMPD_CMP_EQ, .mask = lim, .datum = (uint64_t)mux_call
                };
        for (unsigned i = 0; i < r->n; i++) {
                const struct scmpd_arg_cmp *c = &cmps[i];
                struct view_cmp vc = { .arg = (uint8_t)c->arg, .op = (uint8_t)c->op };

                if (mux_call >= 0 && c->arg == 0)
                        continue; /* the call number takes argument 0 */
                if (c->op == SCMPD_CMP_MASKED_EQ) {
                        /* libseccomp compares against datum & mask. */
                        vc.mask = c->datum_a & lim;
                        vc.datum = c->datum_b & c->datum_a & lim;
                        /* A zero mask always holds; libseccomp drops the comparison, and a rule
                         * left without comparisons is unconditional (filter.h). */
                        if (vc.mask == 0)
                                continue;
                } else {
                        vc.mask = lim;
                        vc.datum = c->datum_a & lim;
                }
                vr->c[vr->n++] = vc;
        }
}

static bool view_cmp_eq(const struct view_cmp *a, const struct view_cmp *b)
{
        return a->arg == b->arg && a->op == b->op && a->mask == b->mask && a->datum == b->datum;
}

/* Is x's comparison list a prefix of y's (equal counts as prefix)? */
static bool view_prefix(const struct view_rule *x, const struct view_rule *y)
{
        if (x->n > y->n)
                return false;
        for (unsigned i = 0; i < x->n; i++)
                if (!view_cmp_eq(&x->c[i], &y->c[i]))
                        return false;
        return true;
}

/*
 * Add a rule to one syscall of one arch, with libseccomp's overlap rules (filter.h):
 * an unconditional entry absorbs later rules; a rule without comparisons replaces everything;
 * a rule that extends an existing one (same leading comparisons) is absorbed by it; a rule that
 * is a prefix of existing ones replaces them when the actions agree and is refused (-EEXIST)
 * when they differ, as is an identical rule with another action. With dry_run nothing changes;
 * the return value says whether the rule would be accepted.
 */
static int view_sys_insert(struct view_sys *vs, const struct view_rule *vr, bool dry_run)
{
        struct view_rule *v;
        size_t w;

        if (vs->uncond)
                return 0;
        if (vr->n == 0) {
                if (dry_run)
                        return 0;
                vs->uncond = true;
                vs->action = vr->action;
                free(vs->rules);
                vs->rules = NULL;
                vs->n_rules = 0;
                return 0;
        }
        for (size_t i = 0; i < vs->n_rules; i++) {
                const struct view_rule *x = &vs->rules[i];
                if (view_prefix(x, vr)) {
                        if (x->n == vr->n && x->action != vr->action)
                                return -EEXIST;
                        return 0; /* absorbed */
                }
                if (view_prefix(vr, x) && x->action != vr->action)
                        return -EEXIST;
        }
        if (dry_run)
                return 0;
        /* Drop the longer rules this one absorbs. */
        w = 0;
        for (size_t i = 0; i < vs->n_rules; i++)
                if (!view_prefix(vr, &vs->rules[i]))
                        vs->rules[w++] = vs->rules[i];
        vs->n_rules = w;
        if (array_full(vs->n_rules)) {
                v = realloc(vs->rules, (vs->n_rules ? 2 * vs->n_rules : 1) * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                vs->rules = v;
        }
        vs->rules[vs->n_rules++] = *vr;
        return 0;
}

/*
 * The targets of a rule (`cmps`: its r->n comparisons) on one arch: how many. With `strict`
 * (rule_add), a rule the arch cannot take is refused with a negative errno: -EFAULT for a
 * syscall unknown there, -EINVAL for an exact rule with comparisons on a multiplexed syscall,
 * -EDOM for an exact rule on a syscall the arch lacks. Otherwise such a rule lands where it can.
 */
int lower_rule_targets(const struct filter_rule *r, const struct scmpd_arg_cmp *cmps,
                       const struct scmpd_arch *arch, size_t origin, bool strict,
                       struct rule_target out[2])
{
        bool exact = strict && (r->flags & SCMPD_RULE_EXACT);
        int nr, mux_nr, k, n = 0;
        uint32_t call;

        k = lower_syscall_on_arch(arch, r->syscall, &nr);
        if (k < 0)
                return strict ? k : 0;
        if (mux_of(arch, nr, &mux_nr, &call) > 0) {
                if (exact && r->n > 0)
                        return -EINVAL;
                out[n].nr = mux_nr;
                out[n].at = SIZE_MAX;
                view_rule_make(r, cmps, arch->word_bits, (int)call, origin, &out[n++].vr);
        } else if (exact && nr < -1) {
                return -EDOM;
        }
        if (nr >= -1) {
                out[n].nr = nr;
                out[n].at = SIZE_MAX;
                view_rule_make(r, cmps, arch->word_bits, -1, origin, &out[n++].vr);
        }
        return n;
}

static int lower_arch(const struct scmpd_filter *f, const struct scmpd_arch *arch,
                      struct view_section *sec)
{
        const struct filter_state *s = &f->s;
        uint64_t bit = UINT64_C(1) << arch_table_index(arch);
        bool oom = false;
        int k;

        for (size_t i = 0; i < s->n_rules; i++) {
                const struct filter_rule *r = &s->rules[i];
                struct rule_target t[2];
                int nt;

                if (r->arch_mask && !(r->arch_mask & bit))
                        continue;
                nt = lower_rule_targets(r, r->n ? &s->cmps[r->cmp_at] : NULL, arch, i, false, t);
                for (int j = 0; j < nt; j++) {
                        struct view_sys *vs = section_sys(sec, (uint32_t)t[j].nr, &oom);
                        if (!vs)
                                return -ENOMEM;
                        vs->name_arch = arch;
                        vs->name_nr = t[j].nr;
                        k = view_sys_insert(vs, &t[j].vr, false);
                        if (k == -ENOMEM)
                                return k;
                }
        }
        for (size_t i = 0; i < s->n_prios; i++) {
                int nr;
                if (lower_syscall_on_arch(arch, s->prios[i].syscall, &nr) < 0 || nr < -1)
                        continue;
                for (size_t j = 0; j < sec->n_sys; j++)
                        if (sec->sys[j].nr == (uint32_t)nr && sec->sys[j].name_arch == arch)
                                sec->sys[j].priority = s->prios[i].priority;
        }
        return 0;
}

static void section_done(struct view_section *sec)
{
        for (size_t j = 0; j < sec->n_sys; j++)
                free(sec->sys[j].rules);
        free(sec->sys);
        free(sec->hash);
        sec->sys = NULL;
        sec->hash = NULL;
        sec->hash_cap = 0;
        sec->n_sys = 0;
}

void lower_cache_drop(struct scmpd_filter *f)
{
        if (!f->lowered)
                return;
        for (size_t i = 0; i < FILTER_ARCH_MAX; i++)
                section_done(&f->lowered[i]);
        free(f->lowered);
        f->lowered = NULL;
}

int lower_cache_ensure(struct scmpd_filter *f)
{
        int k;

        if (f->lowered)
                return 0;
        f->lowered = calloc(FILTER_ARCH_MAX, sizeof(*f->lowered));
        if (!f->lowered)
                return -ENOMEM;
        for (size_t i = 0; i < f->s.n_arches; i++) {
                k = lower_arch(f, f->s.arches[i], &f->lowered[i]);
                if (k < 0) {
                        lower_cache_drop(f);
                        return k;
                }
        }
        return 0;
}

/* Insert a rule's targets (dry run: would it be accepted?) into one arch's lowered rules. The dry
 * run notes where it found each number's entry (entries never move to another index), so that
 * the insertion need not look for it again. */
int lower_cache_apply(struct scmpd_filter *f, size_t arch_pos, struct rule_target *t, size_t nt,
                      bool dry_run)
{
        const struct scmpd_arch *arch = f->s.arches[arch_pos];
        struct view_section *sec = &f->lowered[arch_pos];
        bool oom = false;
        int k;

        for (size_t j = 0; j < nt; j++) {
                struct view_sys *vs = NULL;

                if (dry_run) {
                        vs = section_find(sec, (uint32_t)t[j].nr);
                        if (!vs)
                                continue; /* nothing there yet: accepted */
                        t[j].at = (size_t)(vs - sec->sys);
                } else {
                        if (t[j].at != SIZE_MAX)
                                vs = &sec->sys[t[j].at];
                        else
                                vs = section_sys(sec, (uint32_t)t[j].nr, &oom);
                        if (!vs)
                                return -ENOMEM;
                        vs->name_arch = arch;
                        vs->name_nr = t[j].nr;
                }
                k = view_sys_insert(vs, &t[j].vr, dry_run);
                if (k < 0)
                        return k;
        }
        return 0;
}

void lower_view_done(struct filter_view *v)
{
        for (size_t i = 0; i < v->n_sections; i++)
                section_done(&v->sections[i]);
        v->n_sections = 0;
}

static void section_priorities(const struct filter_state *s, const struct scmpd_arch *arch,
                               struct view_section *sec)
{
        for (size_t i = 0; i < s->n_prios; i++) {
                struct view_sys *vs;
                int nr;
                if (lower_syscall_on_arch(arch, s->prios[i].syscall, &nr) < 0 || nr < -1)
                        continue;
                vs = section_find(sec, (uint32_t)nr);
                if (vs && vs->name_arch == arch)
                        vs->priority = s->prios[i].priority;
        }
}

/* Sort keys (number << 32 | position) by number: a radix sort, a byte of the number per pass,
 * skipping bytes that all keys share (numbers are unique, so the order is total). The result is
 * in keys or in tmp: the return value says which. */
static uint64_t *keys_sort(uint64_t *keys, uint64_t *tmp, size_t n)
{
        for (unsigned shift = 32; shift < 64; shift += 8) {
                size_t count[256] = { 0 }, pos = 0;
                uint64_t *swap;

                for (size_t i = 0; i < n; i++)
                        count[(keys[i] >> shift) & 0xff]++;
                if (count[(keys[0] >> shift) & 0xff] == n)
                        continue;
                for (size_t d = 0; d < 256; d++) {
                        size_t c = count[d];
                        count[d] = pos;
                        pos += c;
                }
                for (size_t i = 0; i < n; i++)
                        tmp[count[(keys[i] >> shift) & 0xff]++] = keys[i];
                swap = keys;
                keys = tmp;
                tmp = swap;
        }
        return keys;
}

/* Put a section's entries in order of number, in place. */
static int section_sort(struct view_section *sec)
{
        _cleanup_free_ uint64_t *keys = NULL;
        size_t n = sec->n_sys;
        uint64_t *order;
        bool sorted = true;

        for (size_t i = 1; i < n && sorted; i++)
                sorted = sec->sys[i - 1].nr < sec->sys[i].nr;
        if (sorted)
                return 0;
        keys = malloc(2 * n * sizeof(*keys));
        if (!keys)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                keys[i] = (uint64_t)sec->sys[i].nr << 32 | i;
        order = keys_sort(keys, keys + n, n);
        /* Entry j takes the one at position (uint32_t)order[j]: follow each cycle of that
         * permutation, marking the keys done (UINT64_MAX: no position is that large). */
        for (size_t i = 0; i < n; i++) {
                struct view_sys first;

                if (order[i] == UINT64_MAX)
                        continue;
                first = sec->sys[i];
                for (size_t j = i;;) {
                        size_t from = (uint32_t)order[j];

                        order[j] = UINT64_MAX;
                        if (from == i) {
                                sec->sys[j] = first;
                                break;
                        }
                        sec->sys[j] = sec->sys[from];
                        j = from;
                }
        }
        return 0;
}

/* Sort a section's sys array by number and drop the hash, as views keep it. */
static int section_flatten(struct view_section *sec)
{
        int k;

        if (!sec->hash)
                return 0;
        k = section_sort(sec);
        if (k < 0)
                return k;
        free(sec->hash);
        sec->hash = NULL;
        sec->hash_cap = 0;
        return 0;
}

/*
 * Move one arch's lowered rules (the rule_add cache; the cache is a memo, so a const filter may
 * fill it, and must drop it after) into an empty section of a view, instead of copying them: a
 * filter is usually exported once, after its last rule, and a rule added later rebuilds the
 * cache. `last`: no other arch will be lowered into the section, which is then put in order of
 * number (else it keeps the cache's order and hash, as lower_arch() and section_flatten() want).
 */
static int section_take_lowered(struct scmpd_filter *f, const struct scmpd_arch *arch, bool last,
                                struct view_section *sec)
{
        struct view_section *from = NULL;
        int k;

        k = lower_cache_ensure(f);
        if (k < 0)
                return k;
        for (size_t i = 0; i < f->s.n_arches; i++)
                if (f->s.arches[i] == arch)
                        from = &f->lowered[i];
        if (!from)
                return -EINVAL;
        sec->sys = steal_ptr(&from->sys);
        sec->hash = steal_ptr(&from->hash);
        sec->n_sys = from->n_sys;
        sec->hash_cap = from->hash_cap;
        from->n_sys = 0;
        from->hash_cap = 0;
        for (size_t i = 0; i < sec->n_sys; i++)
                sec->sys[i].priority = 0;
        if (last) {
                k = section_flatten(sec);
                if (k < 0)
                        return k;
        }
        section_priorities(&f->s, arch, sec);
        return 0;
}

int lower_view_build(const struct scmpd_filter *f, struct filter_view *ret)
{
        const struct filter_state *s = &f->s;
        const struct scmpd_arch *native = scmpd_arch_native();
        struct filter_view v = { .default_action = s->default_action,
                                 .badarch_action = s->badarch_action };
        const struct scmpd_arch *order[FILTER_ARCH_MAX];
        size_t n = 0;
        int k = 0;

        /* Sections: the native arch first, then by kernel arch value, so the output does not
         * depend on the order arches were added in. */
        for (size_t i = 0; i < s->n_arches; i++)
                order[n++] = s->arches[i];
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0; j--) {
                        const struct scmpd_arch *a = order[j - 1], *b = order[j];
                        bool swap;
                        if (a == native ||
                            (arch_audit_value(a) == arch_audit_value(native) && b != native))
                                swap = false;
                        else if (b == native || arch_audit_value(b) == arch_audit_value(native))
                                swap = true;
                        else
                                swap = arch_audit_value(a) > arch_audit_value(b) ||
                                       (arch_audit_value(a) == arch_audit_value(b) &&
                                        a->token > b->token);
                        if (!swap)
                                break;
                        order[j - 1] = b;
                        order[j] = a;
                }

        for (size_t i = 0; i < n; i++) {
                const struct scmpd_arch *a = order[i];
                struct view_section *sec = NULL;

                for (size_t j = 0; j < v.n_sections; j++)
                        if (v.sections[j].audit_arch == arch_audit_value(a))
                                sec = &v.sections[j];
                if (!sec) {
                        sec = &v.sections[v.n_sections++];
                        *sec = (struct view_section){ .audit_arch = arch_audit_value(a),
                                                      .word_bits = a->word_bits,
                                                      .big_endian = a->big_endian };
                }
                sec->arches[sec->n_arches++] = a;
                if (a->word_bits > sec->word_bits)
                        sec->word_bits = a->word_bits;
                /* The first arch of a section takes the rules rule_add already lowered; a second
                 * one (x32 next to x86_64) is lowered into the same section. */
                if (sec->n_sys == 0) {
                        bool last = true;
                        for (size_t j = i + 1; j < n; j++)
                                if (arch_audit_value(order[j]) == sec->audit_arch)
                                        last = false;
                        k = section_take_lowered((struct scmpd_filter *)f, a, last, sec);
                } else
                        k = lower_arch(f, a, sec);
                if (k < 0)
                        break;
        }
        /* The view took (some of) the cache. */
        lower_cache_drop((struct scmpd_filter *)f);
        if (k < 0) {
                lower_view_done(&v);
                return k;
        }

        for (size_t i = 0; i < v.n_sections; i++) {
                struct view_section *sec = &v.sections[i];
                bool has64 = false, has32 = false;

                k = section_flatten(sec);
                if (k < 0) {
                        lower_view_done(&v);
                        return k;
                }

                for (size_t j = 0; j < sec->n_arches; j++) {
                        if (is_x32(sec->arches[j]))
                                has32 = true;
                        else if (sec->arches[j]->token == AUDIT_ARCH_X86_64)
                                has64 = true;
                }
                /* x86_64 and x32 share AUDIT_ARCH_X86_64; whichever is absent is "bad arch":
                 * x32 numbers carry bit 30, and -1 (tracer skip) belongs to both. */
                if (has64 && !has32) {
                        sec->has_bad_range = true;
                        sec->bad_lo = SCMPD_X32_SYSCALL_BIT;
                        sec->bad_hi = 0xfffffffeU;
                } else if (has32 && !has64) {
                        sec->has_bad_range = true;
                        sec->bad_lo = 0;
                        sec->bad_hi = SCMPD_X32_SYSCALL_BIT - 1;
                }
                /* section_sys() keeps sec->sys sorted by number. */
                for (size_t j = 0; j < sec->n_sys; j++) {
                        struct view_sys *vs = &sec->sys[j];
                        if (vs->n_rules > 1)
                                qsort(vs->rules, vs->n_rules, sizeof(vs->rules[0]), view_rule_cmp);
                }
                /* Drop numbers that the bad-arch range swallows (libseccomp's check comes
                 * first), and numbers whose rules cannot change the default. */
                size_t w = 0;
                for (size_t j = 0; j < sec->n_sys; j++) {
                        struct view_sys *vs = &sec->sys[j];
                        bool drop = false;
                        if (sec->has_bad_range && vs->nr >= sec->bad_lo && vs->nr <= sec->bad_hi)
                                drop = true;
                        if (!vs->uncond && vs->n_rules == 0)
                                drop = true;
                        if (vs->uncond && vs->action == s->default_action)
                                drop = true;
                        if (drop) {
                                free(vs->rules);
                                continue;
                        }
                        sec->sys[w++] = *vs;
                }
                sec->n_sys = w;
        }
        *ret = v;
        return 0;
}
