/* sandbox.c: scmpd's own seccomp filter. */
#pragma once

#include <stdbool.h>

/*
 * Confine every thread of scmpd (TSYNC) to the system calls it uses, with a filter built by
 * libscmpd's compiler, after setting no_new_privs and checking that it holds. A call outside
 * the list fails with ENOSYS and the kernel logs it (SECCOMP_FILTER_FLAG_LOG). Call it once,
 * after the start-up work that needs more (binding sockets, adopting the fd store). Returns 0
 * or a negative errno; on failure nothing was loaded.
 */
int sandbox_apply(void);

/* The names sandbox_apply() allows, NULL-terminated (for tests and `scmpd --sandbox-list`). */
extern const char *const sandbox_syscalls[];
