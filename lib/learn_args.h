/*
 * Which syscall arguments argument learning may narrow: facts shared by scmpd's audit store
 * (which records their values) and `scmpctl audit profile --learn-args` (which allows only the
 * recorded values). docs/learn-profile.md says why each one is safe to learn.
 *
 * An argument qualifies when it is a value the kernel reads as a 32-bit integer that selects
 * behaviour (an address family, a set of clone or unshare flags, a persona, a prctl option, an
 * ioctl request): never a pointer (BPF sees the address, not what it points to), a size, a
 * count or an fd (those change from run to run). The kernel uses only the low 32 bits of each
 * (clone and unshare take an unsigned long but read or reject the high word), so the learned
 * comparison is SCMP_CMP_MASKED_EQ with the mask 0xffffffff: the high bits a caller's register
 * happens to hold do not matter, on 64-bit and 32-bit arches alike, and a value is matched as a
 * whole, never bit by bit (clone's low byte, CSIGNAL, is a signal number, not flags).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define LEARN_ARGS_MAX_VALUES 16 /* distinct values per syscall; beyond: not narrowed */
#define LEARN_ARGS_MAX_VALUES_TEXT "16"
#define LEARN_ARGS_MASK 0xffffffffULL

struct learn_arg {
        const char *syscall;
        int index;
        const char *not_on[3]; /* arches where this argument is another one */
};

static const struct learn_arg learn_args_table[] = {
        { "socket", 0, {} },     /* domain */
        { "socketpair", 0, {} }, /* domain */
        /* s390 and s390x swap clone's first two arguments: there argument 0 is the stack. */
        { "clone", 0, { "s390", "s390x" } }, /* flags, with the exit signal in the low byte */
        { "unshare", 0, {} },                /* flags */
        { "personality", 0, {} },            /* persona */
        { "prctl", 0, {} },                  /* option */
        { "ioctl", 1, {} },                  /* request */
};

/* The argument index learned for `syscall` on the arch named `arch` (libseccomp's spelling),
 * or -1 when none is. An arch name no entry excludes, such as "", asks whether the table names
 * the syscall at all. */
static inline int learn_arg_index(const char *syscall, const char *arch)
{
        if (!syscall || !arch)
                return -1;
        for (size_t i = 0; i < sizeof(learn_args_table) / sizeof(learn_args_table[0]); i++) {
                const struct learn_arg *l = &learn_args_table[i];
                bool excluded = false;

                if (strcmp(l->syscall, syscall) != 0)
                        continue;
                for (size_t k = 0; k < 3 && l->not_on[k]; k++)
                        excluded = excluded || strcmp(l->not_on[k], arch) == 0;
                return excluded ? -1 : l->index;
        }
        return -1;
}
