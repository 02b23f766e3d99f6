/*
 * The generators: gen_bpf.c compiles a view to BPF, gen_pfc.c writes it as readable text. Both
 * only read the view (gen_bpf folds it in place first) and return their result; filter.c turns
 * a failure into the filter's error message.
 */
#pragma once

#include <stddef.h>

#include <linux/filter.h>

#include "model.h"

/* Far beyond any legal program; generation stops growing there and reports -E2BIG. */
#define GEN_BPF_HARD_LIMIT (1u << 20)

/* What one syscall's argument checks cost: sections[section].sys[sys] of the folded view. */
struct gen_bpf_contrib {
        size_t section, sys;
        size_t size;
};

/*
 * The outcome of code generation. On success: insns (the caller's, malloc'd) and len. On -E2BIG
 * with len > 0: the program would need len instructions and contribs (the caller's) say what
 * each syscall's checks cost; with len == 0 it exceeded GEN_BPF_HARD_LIMIT. Otherwise empty.
 */
struct gen_bpf_result {
        struct sock_filter *insns;
        size_t len;
        struct gen_bpf_contrib *contribs;
        size_t n_contribs;
};

/* Compile a view (folded in place first, which the contribs' indexes refer to). */
int gen_bpf_generate(struct filter_view *v, struct gen_bpf_result *ret);

/* The readable text of a view, malloc'd, into *ret_text (with its length). */
int gen_pfc_text(const struct filter_view *v, char **ret_text, size_t *ret_len);
