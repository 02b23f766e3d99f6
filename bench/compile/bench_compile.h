/* bench-compile's rule set, shared with the search bound (tree_bound.c). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <linux/filter.h>

#include "scmpd/arch.h"
#include "scmpd/filter.h"

struct rule {
        uint32_t action;
        int nr;
        unsigned n;
        struct scmpd_arg_cmp c[2];
};

extern struct rule rules[];
extern size_t n_rules;

/* Print how the search over numbers in prog compares with the best possible ones. */
int tree_bound_report(const struct scmpd_arch *x86_64, const struct sock_filter *prog, size_t len,
                      uint32_t default_action, uint32_t badarch_action, double best_ref_mean);
