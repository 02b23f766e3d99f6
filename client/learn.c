/*
 * Argument learning: which values of a flag-like argument a recorded workload used, so that a
 * learned profile allows those values only.
 *
 * Model: the accumulator maps a syscall name to {"index": I, "values": {"<decimal>": true},
 * "wide": REASON}. Every record of the syscall, from any container and any arch, adds the
 * values whose calls went on (and, when refused calls are allowed too, the refused ones). The
 * syscall stays "wide" (allowed whatever its argument) as soon as one record cannot be trusted
 * to be complete: the store overflowed or did not know the arguments (an old store file), the
 * argument is not one lib/learn_args.h names for that arch (clone on s390x), the record is
 * malformed, or the union holds more than LEARN_ARGS_MAX_VALUES values. Narrowing a syscall
 * whose record is incomplete would refuse calls the workload makes; leaving it wide only keeps
 * the profile as broad as one without argument learning.
 *
 * A narrowed syscall becomes one ALLOW rule per value (OCI profiles OR rules, AND the
 * comparisons within one rule), each comparing the argument's low 32 bits with
 * SCMP_CMP_MASKED_EQ and the mask 0xffffffff: the kernel reads these arguments as 32-bit
 * values, so the high word a caller's register holds is no part of the decision. Values are
 * matched whole, never as a union of bits.
 *
 * Everything in a record comes from scmpd and is type-checked here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "learn.h"
#include "learn_args.h"

json_t *learn_args_new(void)
{
        return json_object();
}

static void set_wide(json_t *entry, const char *reason)
{
        if (!json_object_get(entry, "wide"))
                json_object_set_new(entry, "wide", json_string(reason));
}

static void add_values(json_t *entry, json_t *list)
{
        json_t *set = json_object_get(entry, "values"), *x;
        size_t i;

        if (!json_is_array(list)) {
                set_wide(entry, "malformed record");
                return;
        }
        json_array_foreach (list, i, x) {
                char key[24];

                if (!json_is_integer(x) || json_integer_value(x) < 0 ||
                    json_integer_value(x) > (json_int_t)UINT32_MAX) {
                        set_wide(entry, "malformed record");
                        return;
                }
                snprintf(key, sizeof(key), "%" PRId64, (int64_t)json_integer_value(x));
                json_object_set_new(set, key, json_true());
        }
        if (json_object_size(set) > LEARN_ARGS_MAX_VALUES)
                set_wide(entry, "more than " LEARN_ARGS_MAX_VALUES_TEXT " values");
}

void learn_args_add(json_t *acc, const char *name, const char *arch, json_t *record,
                    bool allow_refused)
{
        json_t *entry = json_object_get(acc, name), *arg = json_object_get(record, "arg");
        json_t *index = json_object_get(arg, "index");
        int want = learn_arg_index(name, arch);

        /* A syscall the table does not name on any arch is never narrowed: no entry. */
        if (learn_arg_index(name, "") < 0)
                return;
        if (!entry) {
                entry = json_pack("{s:i,s:{}}", "index", want, "values");
                if (!entry || json_object_set_new(acc, name, entry) < 0)
                        return;
        }
        if (want < 0) {
                /* Named on some arches only (clone): an OCI rule covers every arch. */
                set_wide(entry, "its argument differs on one of the arches");
                return;
        }
        if (json_integer_value(json_object_get(entry, "index")) < 0)
                json_object_set_new(entry, "index", json_integer(want));
        if (json_integer_value(json_object_get(entry, "index")) != want) {
                set_wide(entry, "its argument differs on one of the arches");
                return;
        }
        if (!json_is_object(arg) || !json_is_integer(index) || json_integer_value(index) != want) {
                set_wide(entry, "values not recorded");
                return;
        }
        if (!json_is_false(json_object_get(arg, "overflow"))) {
                set_wide(entry, json_is_true(json_object_get(arg, "overflow"))
                                        ? "more than " LEARN_ARGS_MAX_VALUES_TEXT " values, or "
                                          "some not recorded"
                                        : "malformed record");
                return;
        }
        add_values(entry, json_object_get(arg, "values"));
        if (allow_refused)
                add_values(entry, json_object_get(arg, "refused"));
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

int learn_args_rules(json_t *acc, json_t *names, json_t *keep_whole, json_t *rules, FILE *log)
{
        int narrowed = 0;

        for (size_t i = 0; i < json_array_size(names);) {
                const char *name = json_string_value(json_array_get(names, i));
                json_t *entry = name ? json_object_get(acc, name) : NULL, *v;
                json_t *set = json_object_get(entry, "values");
                const char *wide = json_string_value(json_object_get(entry, "wide"));
                uint64_t values[LEARN_ARGS_MAX_VALUES];
                int index = (int)json_integer_value(json_object_get(entry, "index"));
                size_t n = 0;
                const char *k;

                if (!entry) {
                        i++;
                        continue;
                }
                if (!wide && json_object_get(keep_whole, name))
                        wide = "the runtime may call it with other values, unseen";
                if (!wide && json_object_size(set) == 0)
                        wide = "no value of a call that went on";
                if (wide) {
                        if (log)
                                fprintf(log, "scmpctl: --learn-args: %s allowed whole: %s\n", name,
                                        wide);
                        i++;
                        continue;
                }
                json_object_foreach (set, k, v)
                        if (n < LEARN_ARGS_MAX_VALUES)
                                values[n++] = strtoull(k, NULL, 10);
                qsort(values, n, sizeof(values[0]), cmp_u64);
                if (log)
                        fprintf(log, "scmpctl: --learn-args: %s allowed with argument %d in {",
                                name, index);
                for (size_t j = 0; j < n; j++) {
                        json_t *rule = json_pack("{s:[s],s:s,s:[{s:i,s:I,s:I,s:s}]}", "names", name,
                                                 "action", "SCMP_ACT_ALLOW", "args", "index", index,
                                                 "value", (json_int_t)LEARN_ARGS_MASK, "valueTwo",
                                                 (json_int_t)values[j], "op", "SCMP_CMP_MASKED_EQ");

                        if (!rule || json_array_append_new(rules, rule) < 0)
                                return -ENOMEM;
                        if (log)
                                fprintf(log, "%s%#" PRIx64, j ? ", " : "", values[j]);
                }
                if (log)
                        fprintf(log, "}\n");
                json_array_remove(names, i);
                narrowed++;
        }
        return narrowed;
}
