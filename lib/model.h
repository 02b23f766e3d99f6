/*
 * The filter model, shared by filter.c (the API), lower.c (the lowering) and the generators
 * (internal to libscmpd).
 *
 * struct scmpd_filter keeps what the API was told: rules in the native numbering, arches,
 * attributes, priorities. Generation first *lowers* it per kernel arch value into a
 * struct filter_view: for each section (one seccomp_data.arch value; x86_64 and x32 share one),
 * a sorted list of syscall numbers, each either decided unconditionally or by an ordered list
 * of argument-checking rules whose comparisons are already split to what the arch can see
 * (32-bit arches: low words only). gen_bpf.c and gen_pfc.c only read views.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/filter.h>

#include "scmpd/arch.h"
#include "scmpd/filter.h"

#define FILTER_ARCH_MAX 32

/* Most rules have no comparisons: a rule's n comparisons (sorted by arg) live in the state's
 * pool from cmp_at on, so that a rule is 32 bytes instead of 168. */
struct filter_rule {
        uint32_t action;
        int syscall; /* native numbering, or pseudo */
        unsigned flags;
        unsigned n;
        uint32_t cmp_at;    /* index of the first comparison in filter_state.cmps */
        uint64_t arch_mask; /* 0: every arch of the filter; else bits of scmpd_arch_at()
                             * indexes (merge) */
};

struct filter_prio {
        int syscall;
        uint8_t priority;
};

struct filter_state {
        uint32_t default_action;
        uint32_t badarch_action;
        bool nnp, tsync, tskip, log, ssb, raw_rc, wait_killable;
        uint32_t optimize;
        size_t n_arches;
        const struct scmpd_arch *arches[FILTER_ARCH_MAX]; /* in insertion order */
        size_t n_rules, cap_rules;
        struct filter_rule *rules;
        /* The rules' comparisons; only grows (rules that go leave theirs behind). */
        size_t n_cmps, cap_cmps;
        struct scmpd_arg_cmp *cmps;
        size_t n_prios;
        struct filter_prio *prios;
};

struct scmpd_filter {
        struct filter_state s;
        size_t n_txn;
        struct filter_state *txn; /* snapshots, innermost last */
        int listener_fd;
        /* The cached program (precompute), dropped by every change. */
        void *prog;
        size_t prog_len;
        char *error;
        /* The rules as each arch of s.arches sees them (index by position), kept up to date by
         * rule_add so that overlap checks cost one insertion; NULL when it must be rebuilt
         * (after any change other than adding a rule, and after a view took it over). */
        struct view_section *lowered;
};

/* One comparison lowered to a 32-bit-word view: (word & mask) OP datum over a word. */
struct view_cmp {
        uint8_t arg;
        uint8_t op;     /* enum scmpd_cmp_op */
        uint64_t mask;  /* all ones unless MASKED_EQ (32-bit arches: low word only) */
        uint64_t datum; /* truncated to 32 bits on 32-bit arches */
};

struct view_rule {
        uint32_t action;
        unsigned bits; /* the word width of the arch the rule came from */
        unsigned n;
        struct view_cmp c[SCMPD_ARGS_MAX];
        size_t origin; /* index of the API rule, for error messages */
};

/* Fields ordered so that an entry packs into 40 bytes. */
struct view_sys {
        uint32_t nr;
        uint32_t action;
        int name_nr; /* the number to name it by in text output */
        bool uncond; /* decided by `action` whatever the arguments */
        uint8_t priority;
        size_t n_rules;
        struct view_rule *rules; /* in precedence order; first match wins, else default */
        const struct scmpd_arch *name_arch;
};

struct view_section {
        uint32_t audit_arch;                /* the value seccomp_data.arch holds */
        const struct scmpd_arch *arches[2]; /* x86_64 and/or x32 share one section */
        size_t n_arches;
        unsigned word_bits;
        bool big_endian;
        /* Numbers in [bad_lo, bad_hi] take the bad-arch action (x32/x86_64 split). */
        bool has_bad_range;
        uint32_t bad_lo, bad_hi;
        size_t n_sys;
        struct view_sys *sys; /* sorted by nr, unique (while lowering: in insertion order) */
        /* While lowering (the rule_add cache, and a view being built): an open-addressing hash
         * of nr to sys index + 1 (0: empty), hash_cap slots (a power of two); NULL in views. */
        uint32_t *hash;
        size_t hash_cap;
};

struct filter_view {
        uint32_t default_action;
        uint32_t badarch_action;
        size_t n_sections;
        struct view_section sections[FILTER_ARCH_MAX];
};

/* Arrays that only grow by one element at a time and are never copied keep a capacity of the
 * next power of two of their length: adding element n reallocates only when n is 0 or a power
 * of two. */
static inline bool array_full(size_t n)
{
        return (n & (n - 1)) == 0;
}

/* The number of arch `a` in lib/arch's table order (the bit it owns in filter_rule.arch_mask). */
static inline size_t arch_table_index(const struct scmpd_arch *a)
{
        const struct scmpd_arch *first = scmpd_arch_at(0);

        /* The arches are one static array in table order (lib/arch/arch.c). */
        if (a >= first && a < first + scmpd_arch_count() && scmpd_arch_at((size_t)(a - first)) == a)
                return (size_t)(a - first);
        for (size_t i = 0; i < scmpd_arch_count(); i++)
                if (scmpd_arch_at(i) == a)
                        return i;
        return 0;
}
