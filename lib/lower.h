/*
 * The lowering (lower.c): from the API's rules in the native numbering to a struct filter_view per
 * kernel arch value, with the per-arch cache that lets a rule be placed once when it is added.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/* Where a rule lands on an arch: up to two (number, lowered rule) targets. */
struct rule_target {
        int nr;
        size_t at; /* a dry run found the number's entry at sys[at] (SIZE_MAX: none yet) */
        struct view_rule vr;
};

/* The number `nr` (native numbering) has on `arch`: 0 and the number (real, or the pseudo
 * number when the arch lacks the syscall), -EFAULT when the name is unknown. */
int lower_syscall_on_arch(const struct scmpd_arch *arch, int nr, int *ret);

/* The targets of a rule on one arch (how many, at most two), or a negative errno with
 * `strict` when the arch cannot take it (lower.c says which). */
int lower_rule_targets(const struct filter_rule *r, const struct scmpd_arg_cmp *cmps,
                       const struct scmpd_arch *arch, size_t origin, bool strict,
                       struct rule_target out[2]);

/* The per-arch cache of lowered rules (f->lowered): build it if absent, insert a rule's
 * targets (dry run: would the rule be accepted?), drop it after any other change. */
int lower_cache_ensure(struct scmpd_filter *f);
int lower_cache_apply(struct scmpd_filter *f, size_t arch_pos, struct rule_target *t, size_t nt,
                      bool dry_run);
void lower_cache_drop(struct scmpd_filter *f);

/* Build the view of the filter (the cache is taken over, so f's cache is dropped); the view is
 * the caller's, freed with lower_view_done(). */
int lower_view_build(const struct scmpd_filter *f, struct filter_view *ret);
void lower_view_done(struct filter_view *v);
