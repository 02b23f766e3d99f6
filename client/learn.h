/*
 * Argument learning for `scmpctl audit profile --learn-args`: fold the audit store's recorded
 * argument values of several containers into one set per syscall, then turn the syscalls that
 * can be narrowed into rules that allow only those values (learn.c has the model).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* An empty accumulator (a JSON object: syscall name -> what was learned); NULL on ENOMEM. */
json_t *learn_args_new(void);

/* Fold one syscall record of the audit store (an element of a container's "syscalls", untrusted)
 * for syscall `name` on the arch named `arch` into `acc`. With allow_refused, values whose every
 * call was refused count as well. Call it for every record whose syscall the profile allows. */
void learn_args_add(json_t *acc, const char *name, const char *arch, json_t *record,
                    bool allow_refused);

/* Narrow what can be narrowed. For each name in `names` (a JSON array of strings, the syscalls an
 * unconditional ALLOW rule would list) that `acc` holds a complete set of values for and that is
 * not a key of `keep_whole` (what the runtime may call unseen), the name is removed from `names`
 * and one ALLOW rule per value, comparing the argument's low 32 bits (SCMP_CMP_MASKED_EQ,
 * 0xffffffff), is appended to `rules`. A line per syscall that was or was not narrowed, and why,
 * goes to `log` (NULL: none). Returns the number of syscalls narrowed or -ENOMEM. */
int learn_args_rules(json_t *acc, json_t *names, json_t *keep_whole, json_t *rules, FILE *log);
