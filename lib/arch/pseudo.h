/*
 * Pseudo syscall numbers, for the libseccomp compat layer and the tools that need the whole list.
 *
 * A pseudo number is the negative value every arch uses for a syscall it lacks, so that one rule
 * can name it everywhere. Values from SCMPD_PSEUDO_OWN down are ours (syscalls libseccomp's
 * header gives no __PNR_* to), the rest are libseccomp 2.6.1's __PNR_* values (lib/arch/pseudo.txt,
 * README.md). Two libseccomp names share -10191 (switch_endian, sys_debug_setcontext);
 * number-to-name gives switch_endian.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The first of our own pseudo numbers; they go down from here and never reach a header. */
#define SCMPD_PSEUDO_OWN (-20001)

/* Iterate (name, pseudo) pairs in descending value order (-101 first); false past the end. */
size_t scmpd_pseudo_count(void);
bool scmpd_pseudo_at(size_t index, const char **ret_name, int *ret_pseudo);

/* The pseudo number of a name, or SCMPD_NR_NONE when it has none (every arch has it, or the
 * name is unknown). */
int scmpd_pseudo_nr(const char *name);
