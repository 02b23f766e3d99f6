/*
 * The shape of the generated syscall data (tables/syscalls-gen.c, written by
 * gen-syscalls.py).
 *
 * Names are interned once in scmpd_gen_names[], sorted by strcmp(); a name's index there is its
 * id. Each arch has nr[id] (the arch's real number, else the name's pseudo number, else -1) and
 * by_nr[], its real entries sorted by number. Both sorted arrays make every lookup a binary
 * search; nothing is built at run time, so the tables are shared read-only by every thread.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/tables/syscalls-gen.h"

struct scmpd_gen_entry {
        int32_t nr;
        int32_t name_id;
};

struct scmpd_gen_table {
        const char *arch;
        const int32_t *nr;                   /* indexed by name id */
        const struct scmpd_gen_entry *by_nr; /* real numbers, ascending */
        size_t count;                        /* entries in by_nr */
};

extern const char *const scmpd_gen_names[SCMPD_GEN_NAME_COUNT];
extern const int32_t scmpd_gen_pseudo_by_name[SCMPD_GEN_NAME_COUNT];
extern const struct scmpd_gen_entry scmpd_gen_pseudo[SCMPD_GEN_PSEUDO_COUNT];
extern const struct scmpd_gen_table scmpd_gen_tables[SCMPD_GEN_ARCH_COUNT];
