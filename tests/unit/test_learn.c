/*
 * Argument learning (client/learn.c): records of several containers fold into one value set per
 * syscall; a syscall is narrowed only when every record is complete, the union is small, the
 * argument is the same on every arch and the runtime does not need it whole; the rules it
 * becomes compile with libscmpd and decide by the low 32 bits, one value at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include "learn.h"
#include "learn_args.h"
#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "scmpd/filter.h"
#include "scmpd/profile.h"

/* A record as scmpd's audit store sends it. */
static json_t *record(const char *json)
{
        json_error_t e;
        json_t *r = json_loads(json, 0, &e);

        if (!r)
                fail_msg("%s: %s", json, e.text);
        return r;
}

static void add(json_t *acc, const char *name, const char *arch, const char *json,
                bool allow_refused)
{
        json_t *r = record(json);

        learn_args_add(acc, name, arch, r, allow_refused);
        json_decref(r);
}

static bool has_name(json_t *names, const char *name)
{
        json_t *v;
        size_t i;

        json_array_foreach (names, i, v)
                if (strcmp(json_string_value(v), name) == 0)
                        return true;
        return false;
}

/* The values the rules allow for `name`, "1,2,10". */
static void rule_values(json_t *rules, const char *name, char *buf, size_t size)
{
        json_t *r;
        size_t i, n = 0;

        buf[0] = '\0';
        json_array_foreach (rules, i, r) {
                json_t *a = json_array_get(json_object_get(r, "args"), 0);

                if (strcmp(json_string_value(json_array_get(json_object_get(r, "names"), 0)),
                           name) != 0)
                        continue;
                assert_string_equal(json_string_value(json_object_get(r, "action")),
                                    "SCMP_ACT_ALLOW");
                assert_string_equal(json_string_value(json_object_get(a, "op")),
                                    "SCMP_CMP_MASKED_EQ");
                assert_int_equal(json_integer_value(json_object_get(a, "value")), 0xffffffffLL);
                n += (size_t)snprintf(
                        buf + n, size - n, "%s%d:%lld", n ? "," : "",
                        (int)json_integer_value(json_object_get(a, "index")),
                        (long long)json_integer_value(json_object_get(a, "valueTwo")));
        }
}

static void test_fold_and_narrow(void **state)
{
        json_t *acc = learn_args_new(), *rules = json_array(), *keep = json_object();
        json_t *names = json_pack("[s,s,s,s,s,s,s,s,s]", "socket", "ioctl", "prctl", "getpid",
                                  "personality", "unshare", "clone", "socketpair", "fcntl");
        char buf[256];

        (void)state;
        /* two containers: the union of what went on; refused values stay out */
        add(acc, "socket", "x86_64",
            "{\"arg\":{\"index\":0,\"values\":[1,2],\"refused\":[16],\"overflow\":false}}", false);
        add(acc, "socket", "x86_64",
            "{\"arg\":{\"index\":0,\"values\":[10,2],\"refused\":[],\"overflow\":false}}", false);
        /* ioctl: one store overflowed */
        add(acc, "ioctl", "x86_64",
            "{\"arg\":{\"index\":1,\"values\":[21505],\"refused\":[],\"overflow\":false}}", false);
        add(acc, "ioctl", "x86_64",
            "{\"arg\":{\"index\":1,\"values\":[1],\"refused\":[],\"overflow\":true}}", false);
        /* prctl: recorded before argument learning (no "arg") */
        add(acc, "prctl", "x86_64", "{\"count\":3}", false);
        add(acc, "getpid", "x86_64", "{\"count\":3}", false);
        /* personality: the union is one value too many */
        add(acc, "personality", "x86_64",
            "{\"arg\":{\"index\":0,\"values\":[1,2,3,4,5,6,7,8,9],\"refused\":[],"
            "\"overflow\":false}}",
            false);
        add(acc, "personality", "x86",
            "{\"arg\":{\"index\":0,\"values\":[11,12,13,14,15,16,17,18],\"refused\":[],"
            "\"overflow\":false}}",
            false);
        /* unshare: the runtime needs it whole */
        add(acc, "unshare", "x86_64",
            "{\"arg\":{\"index\":0,\"values\":[131072],\"refused\":[],\"overflow\":false}}", false);
        json_object_set_new(keep, "unshare", json_true());
        /* clone: seen on s390x too, where argument 0 is the stack */
        add(acc, "clone", "x86_64",
            "{\"arg\":{\"index\":0,\"values\":[18874385],\"refused\":[],\"overflow\":false}}",
            false);
        add(acc, "clone", "s390x", "{\"count\":1}", false);
        /* socketpair: hostile records */
        add(acc, "socketpair", "x86_64",
            "{\"arg\":{\"index\":0,\"values\":[4294967296],\"refused\":[],\"overflow\":false}}",
            false);
        /* fcntl: a record claims an argument the table does not name */
        add(acc, "fcntl", "x86_64",
            "{\"arg\":{\"index\":1,\"values\":[1],\"refused\":[],\"overflow\":false}}", false);

        assert_int_equal(learn_args_rules(acc, names, keep, rules, NULL), 1);
        rule_values(rules, "socket", buf, sizeof(buf));
        assert_string_equal(buf, "0:1,0:2,0:10");
        assert_false(has_name(names, "socket"));
        for (const char *const *n =
                     (const char *const[]){ "ioctl", "prctl", "getpid", "personality", "unshare",
                                            "clone", "socketpair", "fcntl", NULL };
             *n; n++)
                assert_true(has_name(names, *n));
        assert_int_equal(json_array_size(rules), 3);
        json_decref(acc);
        json_decref(rules);
        json_decref(names);

        /* with refused calls allowed, their values count too; index 1 for ioctl */
        acc = learn_args_new();
        rules = json_array();
        names = json_pack("[s,s]", "socket", "ioctl");
        add(acc, "socket", "x86_64",
            "{\"arg\":{\"index\":0,\"values\":[1],\"refused\":[16],\"overflow\":false}}", true);
        add(acc, "ioctl", "x86",
            "{\"arg\":{\"index\":1,\"values\":[21523],\"refused\":[],\"overflow\":false}}", true);
        assert_int_equal(learn_args_rules(acc, names, keep, rules, NULL), 2);
        rule_values(rules, "socket", buf, sizeof(buf));
        assert_string_equal(buf, "0:1,0:16");
        rule_values(rules, "ioctl", buf, sizeof(buf));
        assert_string_equal(buf, "1:21523");
        assert_int_equal(json_array_size(names), 0);
        json_decref(acc);
        json_decref(rules);
        json_decref(names);
        json_decref(keep);
}

/* The rules, in a profile, compile and decide on the low word of the value, each value whole. */
static void test_rules_decide(void **state)
{
        json_t *acc = learn_args_new(), *rules = json_array(), *names = json_pack("[s]", "socket");
        json_t *prof;
        struct scmpd_profile *p = NULL;
        struct scmpd_filter *f = NULL;
        struct scmpd_profile_target t = { .arch = AUDIT_ARCH_X86_64, .kernel_major = 6 };
        const struct scmpd_arch *a = scmpd_arch_by_token(AUDIT_ARCH_X86_64);
        char *text, *err = NULL;
        void *mem = NULL;
        size_t len;
        static const struct {
                uint64_t arg0;
                bool allowed;
        } cases[] = {
                { 1, true },   { 2, true },  { 0xffffffff00000001ULL, true }, { 3, false },
                { 16, false }, { 0, false }, { 0x100000010ULL, false },
        };

        (void)state;
        add(acc, "socket", "x86_64",
            "{\"arg\":{\"index\":0,\"values\":[1,2],\"refused\":[],\"overflow\":false}}", false);
        assert_int_equal(learn_args_rules(acc, names, NULL, rules, NULL), 1);
        prof = json_pack("{s:s,s:i,s:[s],s:O}", "defaultAction", "SCMP_ACT_ERRNO",
                         "defaultErrnoRet", 1, "architectures", "SCMP_ARCH_X86_64", "syscalls",
                         rules);
        text = json_dumps(prof, 0);
        assert_non_null(text);
        if (scmpd_profile_parse(text, strlen(text), NULL, NULL, &p, &err) < 0 ||
            scmpd_profile_compile(p, &t, NULL, NULL, &f, &err) < 0)
                fail_msg("%s: %s", text, err ? err : "?");
        assert_int_equal(scmpd_filter_export_bpf_mem(f, &mem, &len), 0);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct seccomp_data d = { .arch = AUDIT_ARCH_X86_64,
                                          .nr = scmpd_syscall_nr(a, "socket"),
                                          .args = { cases[i].arg0 } };
                uint32_t action;
                unsigned executed;

                assert_int_equal(scmpd_bpf_run(mem, len, &d, &action, &executed), 0);
                if (cases[i].allowed)
                        assert_int_equal(action, SECCOMP_RET_ALLOW);
                else
                        assert_int_equal(action, SECCOMP_RET_ERRNO | 1);
        }
        free(mem);
        free(text);
        scmpd_filter_free(f);
        scmpd_profile_free(p);
        json_decref(prof);
        json_decref(acc);
        json_decref(rules);
        json_decref(names);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fold_and_narrow),
                cmocka_unit_test(test_rules_decide),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
