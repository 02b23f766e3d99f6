/*
 * Profile parsing (lib/profile.c): the model built from Docker's default profile and from small
 * OCI objects, exact 64-bit values, and one exact message per class of invalid input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scmpd/profile.h"
#include "util.h"

struct warnings {
        char *text[32];
        size_t n;
};

static void collect_warning(const char *message, void *userdata)
{
        struct warnings *w = userdata;
        if (w->n < ELEMENTSOF(w->text))
                w->text[w->n++] = strdup(message);
}

static void warnings_done(struct warnings *w)
{
        for (size_t i = 0; i < w->n; i++)
                free(w->text[i]);
        w->n = 0;
}

static struct scmpd_profile *parse_ok(const char *json, struct warnings *w)
{
        struct scmpd_profile *p = NULL;
        char *error = NULL;
        int r = scmpd_profile_parse(json, strlen(json), w ? collect_warning : NULL, w, &p, &error);
        if (r < 0)
                fail_msg("parse failed (%d): %s", r, error ? error : "(no message)");
        assert_null(error);
        assert_non_null(p);
        return p;
}

/* Parsing must fail with exactly this errno and message, and return nothing. */
static void parse_fails(const char *json, size_t len, int rc, const char *message)
{
        struct scmpd_profile *p = NULL;
        char *error = NULL;
        int r = scmpd_profile_parse(json, len, NULL, NULL, &p, &error);
        assert_int_equal(r, rc);
        assert_null(p);
        assert_non_null(error);
        assert_string_equal(error, message);
        free(error);
}

static void parse_fails_str(const char *json, int rc, const char *message)
{
        parse_fails(json, strlen(json), rc, message);
}

static const struct scmpd_profile_syscall *find_entry(const struct scmpd_profile *p,
                                                      const char *name, size_t nth)
{
        for (size_t i = 0; i < p->n_syscalls; i++)
                for (size_t j = 0; j < p->syscalls[i].n_names; j++)
                        if (strcmp(p->syscalls[i].names[j], name) == 0 && nth-- == 0)
                                return &p->syscalls[i];
        fail_msg("the profile has no entry for %s", name);
        __builtin_unreachable(); /* cmocka's fail_msg() never returns to us */
}

static void test_docker_default_model(void **state)
{
        struct scmpd_profile *p = NULL;
        char *error = NULL;
        const char *root = getenv("SCMPD_SOURCE_ROOT");
        char path[4096];
        struct warnings w = { 0 };

        snprintf(path, sizeof(path), "%s/tests/data/docker-default.json", root ? root : ".");
        assert_int_equal(scmpd_profile_parse_file(path, collect_warning, &w, &p, &error), 0);
        assert_null(error);
        /* Docker's own profile parses without a single warning. */
        assert_int_equal(w.n, 0);

        assert_int_equal(p->default_action, SCMPD_ACT_ERRNO(1));
        assert_true(p->has_default_errno_ret);
        assert_int_equal(p->n_arches, 0);
        assert_int_equal(p->n_arch_map, 8);
        assert_int_equal(p->arch_map[0].arch, 0xc000003eU);
        assert_int_equal(p->arch_map[0].n_sub_arches, 2);
        assert_int_equal(p->arch_map[0].sub_arches[0], 0x40000003U);
        assert_int_equal(p->arch_map[0].sub_arches[1], 0x4000003eU);
        /* "subArchitectures": null is an empty list, as in Go. */
        assert_int_equal(p->arch_map[7].n_sub_arches, 0);
        assert_false(p->has_flags);
        assert_null(scmpd_profile_listener_path(p));

        const struct scmpd_profile_syscall *s = find_entry(p, "read", 0);
        assert_non_null(s);
        assert_int_equal(s->action, SCMPD_ACT_ALLOW);
        assert_int_equal(s->n_args, 0);

        s = find_entry(p, "personality", 4);
        assert_non_null(s);
        assert_int_equal(s->n_args, 1);
        assert_int_equal(s->args[0].op, SCMPD_CMP_EQ);
        assert_true(s->args[0].value == 4294967295ULL);

        s = find_entry(p, "clone3", 1);
        assert_non_null(s);
        assert_int_equal(s->action, SCMPD_ACT_ERRNO(38));
        assert_int_equal(s->excludes.n_caps, 1);
        assert_string_equal(s->excludes.caps[0], "CAP_SYS_ADMIN");

        s = find_entry(p, "ptrace", 0);
        assert_non_null(s);
        assert_true(s->includes.has_min_kernel);
        assert_int_equal(s->includes.min_kernel_major, 4);
        assert_int_equal(s->includes.min_kernel_minor, 8);

        s = find_entry(p, "arch_prctl", 0);
        assert_non_null(s);
        assert_int_equal(s->includes.n_arches, 2);
        assert_string_equal(s->includes.arches[0], "amd64");

        assert_null(scmpd_profile_free(p));
}

static void test_oci_object_and_defaults(void **state)
{
        struct warnings w = { 0 };
        struct scmpd_profile *p = parse_ok(
                "{\"defaultAction\":\"SCMP_ACT_KILL\",\"architectures\":[\"SCMP_ARCH_X86_64\","
                "\"SCMP_ARCH_X86\"],\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
                "\"listenerPath\":\"/run/agent.sock\",\"listenerMetadata\":\"hello\","
                "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"},"
                "{\"names\":[\"open\"],\"action\":\"SCMP_ACT_ERRNO\"},"
                "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":7},"
                "{\"name\":\"uname\",\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}",
                &w);
        assert_int_equal(w.n, 0);
        /* SCMP_ACT_KILL is KILL_THREAD for runc. */
        assert_int_equal(p->default_action, SCMPD_ACT_KILL_THREAD);
        assert_int_equal(p->n_arches, 2);
        assert_true(p->has_flags);
        assert_int_equal(p->flags, SCMPD_PROFILE_FLAG_LOG);
        assert_string_equal(scmpd_profile_listener_path(p), "/run/agent.sock");
        assert_string_equal(scmpd_profile_listener_metadata(p), "hello");
        assert_int_equal(p->n_syscalls, 4);
        assert_int_equal(p->syscalls[0].action, SCMPD_ACT_NOTIFY);
        /* ERRNO and TRACE without errnoRet mean EPERM. */
        assert_int_equal(p->syscalls[1].action, SCMPD_ACT_ERRNO(EPERM));
        assert_false(p->syscalls[1].has_errno_ret);
        assert_int_equal(p->syscalls[2].action, SCMPD_ACT_TRACE(7));
        /* The old single "name". */
        assert_int_equal(p->syscalls[3].n_names, 1);
        assert_string_equal(p->syscalls[3].names[0], "uname");
        assert_int_equal(p->syscalls[3].action, SCMPD_ACT_KILL_PROCESS);
        scmpd_profile_free(p);

        /* Every action name the runtimes accept. */
        static const struct {
                const char *name;
                uint32_t action;
        } actions[] = {
                { "SCMP_ACT_KILL", SCMPD_ACT_KILL_THREAD },
                { "SCMP_ACT_KILL_THREAD", SCMPD_ACT_KILL_THREAD },
                { "SCMP_ACT_KILL_PROCESS", SCMPD_ACT_KILL_PROCESS },
                { "SCMP_ACT_TRAP", SCMPD_ACT_TRAP },
                { "SCMP_ACT_ERRNO", SCMPD_ACT_ERRNO(EPERM) },
                { "SCMP_ACT_TRACE", SCMPD_ACT_TRACE(EPERM) },
                { "SCMP_ACT_ALLOW", SCMPD_ACT_ALLOW },
                { "SCMP_ACT_LOG", SCMPD_ACT_LOG },
        };
        for (size_t i = 0; i < ELEMENTSOF(actions); i++) {
                char json[256];
                snprintf(json, sizeof(json), "{\"defaultAction\":\"%s\"}", actions[i].name);
                p = parse_ok(json, NULL);
                assert_int_equal(p->default_action, actions[i].action);
                scmpd_profile_free(p);
        }
}

static void test_operators_and_exact_values(void **state)
{
        struct scmpd_profile *p = parse_ok(
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"ioctl\"],"
                "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":22,\"args\":["
                "{\"index\":0,\"value\":18446744073709551615,\"op\":\"SCMP_CMP_NE\"},"
                "{\"index\":1,\"value\":9223372036854775808,\"op\":\"SCMP_CMP_LT\"},"
                "{\"index\":2,\"value\":9223372036854775807,\"op\":\"SCMP_CMP_LE\"},"
                "{\"index\":3,\"value\":0,\"valueTwo\":0,\"op\":\"SCMP_CMP_EQ\"},"
                "{\"index\":4,\"value\":1,\"op\":\"SCMP_CMP_GE\"},"
                "{\"index\":5,\"value\":2,\"op\":\"SCMP_CMP_GT\"},"
                "{\"index\":5,\"value\":18446744073709551614,"
                "\"valueTwo\":12345678901234567890,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}",
                NULL);
        const struct scmpd_profile_syscall *s = &p->syscalls[0];
        assert_int_equal(s->action, SCMPD_ACT_ERRNO(22));
        assert_int_equal(s->n_args, 7);
        assert_int_equal(s->args[0].op, SCMPD_CMP_NE);
        assert_true(s->args[0].value == UINT64_MAX);
        assert_int_equal(s->args[1].op, SCMPD_CMP_LT);
        assert_true(s->args[1].value == 9223372036854775808ULL);
        assert_int_equal(s->args[2].op, SCMPD_CMP_LE);
        assert_true(s->args[2].value == 9223372036854775807ULL);
        assert_int_equal(s->args[3].op, SCMPD_CMP_EQ);
        assert_int_equal(s->args[4].op, SCMPD_CMP_GE);
        assert_int_equal(s->args[5].op, SCMPD_CMP_GT);
        assert_int_equal(s->args[6].op, SCMPD_CMP_MASKED_EQ);
        assert_int_equal(s->args[6].index, 5);
        assert_true(s->args[6].value == 18446744073709551614ULL);
        assert_true(s->args[6].value_two == 12345678901234567890ULL);
        scmpd_profile_free(p);
}

static void test_whole_config_json(void **state)
{
        struct scmpd_profile *p = parse_ok(
                "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"]},\"linux\":{"
                "\"namespaces\":[{\"type\":\"pid\"}],\"seccomp\":{\"defaultAction\":"
                "\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/x.sock\",\"syscalls\":[{\"names\":"
                "[\"mount\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}}}",
                NULL);
        assert_string_equal(scmpd_profile_listener_path(p), "/run/x.sock");
        assert_int_equal(p->n_syscalls, 1);
        scmpd_profile_free(p);

        parse_fails_str("{\"ociVersion\":\"1.0.2\",\"linux\":{\"seccomp\":{\"defaultAction\":"
                        "\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"],\"action\":1}]}}}",
                        -EINVAL,
                        "linux.seccomp.syscalls[0].action: expected a string, got an "
                        "integer");
}

static void test_warnings(void **state)
{
        struct warnings w = { 0 };
        struct scmpd_profile *p =
                parse_ok("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,\"bogus\":1,"
                         "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                         "\"errnoRet\":5,\"includes\":{\"arches\":[\"amd65\"]}},"
                         "{\"names\":[],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                         &w);
        assert_int_equal(p->default_action, SCMPD_ACT_ERRNO(38));
        assert_int_equal(w.n, 4);
        assert_string_equal(w.text[0], "bogus: unknown key ignored");
        assert_string_equal(w.text[1], "syscalls[0].errnoRet: ignored: the action is not "
                                       "SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
        assert_string_equal(w.text[2], "syscalls[0].includes.arches[0]: \"amd65\" is not an arch "
                                       "name runtimes match, so it never matches");
        assert_string_equal(w.text[3], "syscalls[1]: no syscall names, entry has no effect");
        warnings_done(&w);
        scmpd_profile_free(p);
}

/* One test per class of invalid input, each asserting the exact message. */

static void test_error_unknown_action(void **state)
{
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                        "[\"read\"],\"action\":\"SCMP_ACT_FOO\"}]}",
                        -EINVAL, "syscalls[0].action: unknown action \"SCMP_ACT_FOO\"");
        parse_fails_str("{\"defaultAction\":\"allow\"}", -EINVAL,
                        "defaultAction: unknown action \"allow\"");
}

static void test_error_unknown_operator(void **state)
{
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                        "[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,"
                        "\"value\":1,\"op\":\"SCMP_CMP_FOO\"}]}]}",
                        -EINVAL, "syscalls[0].args[0].op: unknown operator \"SCMP_CMP_FOO\"");
}

static void test_error_unknown_arch(void **state)
{
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
                        "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_VAX\"]}",
                        -EINVAL, "architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"archMap\":[{\"architecture\":"
                        "\"SCMP_ARCH_X86_64\",\"subArchitectures\":[\"x86\"]}]}",
                        -EINVAL, "archMap[0].subArchitectures[0]: unknown architecture \"x86\"");
}

static void test_error_index_out_of_range(void **state)
{
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                        "{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ERRNO\"},"
                        "{\"names\":[\"b\"],\"action\":\"SCMP_ACT_ERRNO\"},"
                        "{\"names\":[\"c\"],\"action\":\"SCMP_ACT_ERRNO\"},"
                        "{\"names\":[\"d\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":7,"
                        "\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                        -EINVAL, "syscalls[3].args[0].index: 7 is out of range (0-5)");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                        "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":-1,\"value\":1,"
                        "\"op\":\"SCMP_CMP_EQ\"}]}]}",
                        -EINVAL, "syscalls[0].args[0].index: -1 is out of range (0-5)");
}

static void test_error_value_two(void **state)
{
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                        "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,\"value\":1,"
                        "\"valueTwo\":2,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                        -EINVAL, "syscalls[0].args[0].valueTwo: SCMP_CMP_EQ takes no second value");
}

static void test_error_wrong_type(void **state)
{
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":\"read\","
                        "\"action\":\"SCMP_ACT_ERRNO\"}]}",
                        -EINVAL, "syscalls[0].names: expected an array of strings, got a string");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\",3],"
                        "\"action\":\"SCMP_ACT_ERRNO\"}]}",
                        -EINVAL, "syscalls[0].names[1]: expected a string, got an integer");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":\"1\"}", -EINVAL,
                        "defaultErrnoRet: expected an integer, got a string");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                        "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,\"value\":1.5,"
                        "\"op\":\"SCMP_CMP_EQ\"}]}]}",
                        -EINVAL,
                        "syscalls[0].args[0].value: expected an integer, got a number "
                        "with a fraction or an exponent");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}", -EINVAL,
                        "syscalls: expected an array, got an object");
        parse_fails_str("[1,2]", -EINVAL, "expected an object, got an array");
}

static void test_error_value_out_of_range(void **state)
{
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                        "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,"
                        "\"value\":18446744073709551616,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                        -EINVAL,
                        "syscalls[0].args[0].value: 18446744073709551616 is out of range "
                        "(0-18446744073709551615)");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                        "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":65536}]}",
                        -EINVAL, "syscalls[0].errnoRet: 65536 is out of range (0-65535)");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                        "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,"
                        "\"value\":-9223372036854775809,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                        -EINVAL,
                        "syscalls[0].args[0].value: -9223372036854775809 is out of range "
                        "(0-18446744073709551615)");
}

static void test_error_too_deep(void **state)
{
        char json[256];
        /* 33 levels of arrays inside an unknown key. */
        int n = snprintf(json, sizeof(json), "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"x\":");
        for (int i = 0; i < 32; i++)
                json[n++] = '[';
        for (int i = 0; i < 32; i++)
                json[n++] = ']';
        json[n++] = '}';
        json[n] = '\0';
        parse_fails_str(json, -E2BIG, "line 1, column 70: nested deeper than 32 levels");
}

static void test_error_too_large(void **state)
{
        size_t len = SCMPD_PROFILE_MAX_SIZE + 1;
        char *json = malloc(len);
        assert_non_null(json);
        memset(json, ' ', len);
        memcpy(json, "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", 34);
        parse_fails(json, len, -E2BIG, "profile is 4194305 bytes, more than the limit of 4194304");
        free(json);
}

static void test_error_too_many(void **state)
{
        size_t cap = 64 * 5000, n = 0;
        char *json = malloc(cap);
        assert_non_null(json);
        n += (size_t)snprintf(json + n, cap - n,
                              "{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                              "\"syscalls\":[");
        for (unsigned i = 0; i < SCMPD_PROFILE_MAX_SYSCALLS + 1; i++)
                n += (size_t)snprintf(json + n, cap - n,
                                      "%s{\"names\":[\"read\"],\"action\":"
                                      "\"SCMP_ACT_LOG\"}",
                                      i ? "," : "");
        n += (size_t)snprintf(json + n, cap - n, "]}");
        parse_fails(json, n, -E2BIG, "syscalls: 4097 entries, more than the limit of 4096");

        n = (size_t)snprintf(json, cap,
                             "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
                             "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_LOG\","
                             "\"args\":[");
        for (unsigned i = 0; i < SCMPD_PROFILE_MAX_ARGS + 1; i++)
                n += (size_t)snprintf(json + n, cap - n,
                                      "%s{\"index\":0,\"value\":%u,\"op\":"
                                      "\"SCMP_CMP_EQ\"}",
                                      i ? "," : "", i);
        n += (size_t)snprintf(json + n, cap - n, "]}]}");
        parse_fails(json, n, -E2BIG, "syscalls[0].args: 65 entries, more than the limit of 64");
        free(json);
}

static void test_error_syntax(void **state)
{
        parse_fails_str("{\"defaultAction\": }", -EINVAL,
                        "line 1, column 19: unexpected token near '}'");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultAction\":\"SCMP_ACT_LOG\"}",
                        -EINVAL,
                        "line 1, column 49: duplicate object key near "
                        "'\"defaultAction\"'");
        parse_fails("", 0, -EINVAL, "line 1, column 0: '[' or '{' expected near end of file");
}

static void test_error_semantics(void **state)
{
        parse_fails_str("{\"syscalls\":[]}", -EINVAL, "defaultAction: required");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", -EINVAL,
                        "defaultAction: SCMP_ACT_NOTIFY cannot be used as default action");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"name\":\"a\","
                        "\"names\":[\"b\"],\"action\":\"SCMP_ACT_LOG\"}]}",
                        -EINVAL,
                        "syscalls[0]: 'name' and 'names' were specified, use either "
                        "'name' or 'names'");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"\"],"
                        "\"action\":\"SCMP_ACT_LOG\"}]}",
                        -EINVAL, "syscalls[0].names[0]: empty string is not a valid syscall name");
        parse_fails_str(
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
                "[\"SCMP_ARCH_X86\"],\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\"}]}",
                -EINVAL,
                "'architectures' and 'archMap' were specified, use either "
                "'architectures' or 'archMap'");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_"
                        "NEW_LISTENER\"]}",
                        -EINVAL, "flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\"");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                        "\"action\":\"SCMP_ACT_LOG\",\"includes\":{\"minKernel\":\"4.8.1\"}}]}",
                        -EINVAL,
                        "syscalls[0].includes.minKernel: invalid kernel version "
                        "\"4.8.1\", expected \"<kernel>.<major>\"");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                        "\"action\":\"SCMP_ACT_LOG\",\"excludes\":{\"minKernel\":\"0.0\"}}]}",
                        -EINVAL,
                        "syscalls[0].excludes.minKernel: invalid kernel version \"0.0\": "
                        "cannot be 0.0");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
                        -E2BIG, "listenerPath: 116 bytes long, more than the limit of 107");
        parse_fails_str("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                        "\"args\":[]}]}",
                        -EINVAL, "syscalls[0].action: required");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_docker_default_model),
                cmocka_unit_test(test_oci_object_and_defaults),
                cmocka_unit_test(test_operators_and_exact_values),
                cmocka_unit_test(test_whole_config_json),
                cmocka_unit_test(test_warnings),
                cmocka_unit_test(test_error_unknown_action),
                cmocka_unit_test(test_error_unknown_operator),
                cmocka_unit_test(test_error_unknown_arch),
                cmocka_unit_test(test_error_index_out_of_range),
                cmocka_unit_test(test_error_value_two),
                cmocka_unit_test(test_error_wrong_type),
                cmocka_unit_test(test_error_value_out_of_range),
                cmocka_unit_test(test_error_too_deep),
                cmocka_unit_test(test_error_too_large),
                cmocka_unit_test(test_error_too_many),
                cmocka_unit_test(test_error_syntax),
                cmocka_unit_test(test_error_semantics),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
