/*
 * Unit tests of the control socket's pure modules: the request parser (control_proto.c), the
 * statistics and their OpenMetrics exposition (stats.c), and the audit store's bounds
 * (audit_store.c). The socket server itself is tested against a running scmpd
 * (tests/integration/control.py).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <linux/audit.h>

#include "audit_store.h"
#include "learn_args.h"
#include "control_proto.h"
#include "stats.h"

/* The objects under test, without a daemon (they observe nothing; the tests feed them). */
static struct stats *st;
static struct audit_store *as;

static int setup(void **state)
{
        st = stats_new();
        as = audit_store_new(NULL);
        return st && as ? 0 : -1;
}

static int teardown(void **state)
{
        st = stats_free(st);
        as = audit_store_free(as);
        return 0;
}

/* The last call's reason: control_proto_parse() gives it malloc()ed, and only on failure. */
static char *last_reason;

static int parse(const char *s, struct control_request *req, const char **reason)
{
        int r;

        free(last_reason);
        last_reason = NULL;
        r = control_proto_parse(s, strlen(s), req, &last_reason);
        if (r == 0)
                assert_null(last_reason);
        *reason = last_reason;
        return r;
}

static void test_proto_accepts(void **state)
{
        struct control_request req;
        const char *reason;

        assert_int_equal(parse("{\"command\":\"status\"}", &req, &reason), 0);
        assert_int_equal(req.command, CONTROL_STATUS);
        assert_false(req.has_id);
        assert_int_equal(req.verdict, -1);

        assert_int_equal(parse("{\"id\":-5,\"command\":\"monitor\",\"container\":\"web-*\","
                               "\"syscall\":\"mount\",\"verdict\":\"kill\"}",
                               &req, &reason),
                         0);
        assert_int_equal(req.command, CONTROL_MONITOR);
        assert_true(req.has_id);
        assert_int_equal(req.id, -5);
        assert_string_equal(req.container, "web-*");
        assert_string_equal(req.syscall, "mount");
        assert_int_equal(req.verdict, STATS_KILL);

        assert_int_equal(
                parse(" {\"command\":\"handler-disable\",\"name\":\"audit\"} \r", &req, &reason),
                0);
        assert_int_equal(req.command, CONTROL_HANDLER_DISABLE);
        assert_string_equal(req.name, "audit");
}

static void test_proto_refuses(void **state)
{
        static const struct {
                const char *text;
                int error;
        } bad[] = {
                { "", -EBADMSG },
                { "[]", -EBADMSG },
                { "{}", -EBADMSG },
                { "{\"command\":1}", -EBADMSG },
                { "{\"command\":\"nope\"}", -EOPNOTSUPP },
                { "{\"command\":\"status\",\"command\":\"stats\"}", -EBADMSG },
                { "{\"command\":\"status\",\"container\":\"x\"}", -EBADMSG },
                { "{\"command\":\"audit\",\"container\":\"\"}", -EBADMSG },
                { "{\"command\":\"audit\",\"container\":\"a\\u0000b\"}", -EBADMSG },
                { "{\"command\":\"audit\",\"container\":\"\\u00e9\"}", -EBADMSG },
                { "{\"command\":\"audit\",\"container\":\"a\\nb\"}", -EBADMSG },
                { "{\"command\":\"monitor\",\"verdict\":\"maybe\"}", -EBADMSG },
                { "{\"command\":\"monitor\",\"verdict\":3}", -EBADMSG },
                { "{\"command\":\"status\",\"id\":\"7\"}", -EBADMSG },
                { "{\"command\":\"handler-enable\"}", -EBADMSG },
                { "{\"command\":\"status\",\"x\":[[[[[1]]]]]}", -E2BIG },
                { "]]]", -EBADMSG }, /* not JSON, whatever its size (issue 19) */
                { "\x8f\x12garbage", -EBADMSG },
                { "{\"command\":\"status\"", -EBADMSG },
        };
        struct control_request req;
        const char *reason;
        char big[CONTROL_MAX_REQUEST + 2];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int r = parse(bad[i].text, &req, &reason);

                if (r != bad[i].error)
                        fail_msg("%s: got %d, want %d", bad[i].text, r, bad[i].error);
                assert_non_null(reason);
        }
        /* A syscall name one byte too long, then the longest one accepted. */
        snprintf(big, sizeof(big), "{\"command\":\"monitor\",\"syscall\":\"%0*d\"}",
                 CONTROL_MAX_NAME, 0);
        assert_int_equal(parse(big, &req, &reason), -EBADMSG);
        snprintf(big, sizeof(big), "{\"command\":\"monitor\",\"syscall\":\"%0*d\"}",
                 CONTROL_MAX_NAME - 1, 0);
        assert_int_equal(parse(big, &req, &reason), 0);
        /* The reason quotes what was wrong (printable ASCII only). */
        assert_int_equal(parse("{\"command\":\"frobnicate\"}", &req, &reason), -EOPNOTSUPP);
        assert_string_equal(reason, "unknown command \"frobnicate\"");
        assert_int_equal(parse("{\"command\":\"status\",\"extra\":1}", &req, &reason), -EBADMSG);
        assert_string_equal(reason, "unknown member for this command: \"extra\"");
        assert_int_equal(parse("{\"command\":\"status\",\"command\":\"status\"}", &req, &reason),
                         -EBADMSG);
        assert_non_null(strstr(reason, "duplicate"));
        assert_int_equal(parse("{\"command\":\"st\u00e9\"}", &req, &reason), -EOPNOTSUPP);
        assert_string_equal(reason, "unknown command \"st??\"");
        memset(big, ' ', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        assert_int_equal(parse(big, &req, &reason), -E2BIG);
}

static json_t *find(json_t *array, const char *name)
{
        size_t i;
        json_t *e;

        json_array_foreach (array, i, e)
                if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
                        return e;
        return NULL;
}

static void test_stats_counts_and_buckets(void **state)
{
        uint64_t totals[_STATS_VERDICT_MAX];
        json_t *j, *e, *b;

        stats_reset(st);
        stats_record(st, "openat", "audit", STATS_CONTINUE, 1500); /* [1024, 2048) */
        stats_record(st, "openat", "audit", STATS_CONTINUE, 2047);
        stats_record(st, "openat", NULL, STATS_ERRNO, 0);
        stats_record(st, NULL, "errno", STATS_GONE, UINT64_C(1) << 40); /* beyond the last bound */
        stats_totals(st, totals);
        assert_int_equal(totals[STATS_CONTINUE], 2);
        assert_int_equal(totals[STATS_ERRNO], 1);
        assert_int_equal(totals[STATS_GONE], 1);

        j = stats_to_json(st);
        assert_non_null(j);
        e = find(json_object_get(j, "syscalls"), "openat");
        assert_non_null(e);
        assert_int_equal(json_integer_value(json_object_get(e, "count")), 3);
        b = json_object_get(json_object_get(e, "latency"), "buckets");
        assert_int_equal(json_array_size(b), 2);
        /* 0 ns in the first bucket (upper bound 1), both others below 2048 */
        assert_int_equal(json_integer_value(json_array_get(json_array_get(b, 0), 0)), 1);
        assert_int_equal(json_integer_value(json_array_get(json_array_get(b, 1), 0)), 2048);
        assert_int_equal(json_integer_value(json_array_get(json_array_get(b, 1), 1)), 2);
        assert_int_equal(
                json_integer_value(json_object_get(json_object_get(e, "latency"), "sum_ns")), 3547);
        assert_non_null(find(json_object_get(j, "syscalls"), "unknown"));
        assert_non_null(find(json_object_get(j, "handlers"), "(default)"));
        e = find(json_object_get(j, "handlers"), "errno");
        b = json_object_get(json_object_get(e, "latency"), "buckets");
        assert_true(json_is_null(json_array_get(json_array_get(b, 0), 0)));
        json_decref(j);
}

static void test_stats_other(void **state)
{
        char name[32];
        json_t *j, *other;
        uint64_t sum = 0;
        size_t i;
        json_t *e;

        stats_reset(st);
        for (int k = 0; k < STATS_MAX_SYSCALLS + 10; k++) {
                snprintf(name, sizeof(name), "sys%d", k);
                stats_record(st, name, "h", STATS_VALUE, 10);
        }
        j = stats_to_json(st);
        assert_int_equal(json_array_size(json_object_get(j, "syscalls")), STATS_MAX_SYSCALLS + 1);
        other = find(json_object_get(j, "syscalls"), "(other)");
        assert_non_null(other);
        assert_int_equal(json_integer_value(json_object_get(other, "count")), 10);
        json_array_foreach (json_object_get(j, "syscalls"), i, e)
                sum += (uint64_t)json_integer_value(json_object_get(e, "count"));
        assert_int_equal(sum, STATS_MAX_SYSCALLS + 10);
        json_decref(j);
}

static void test_stats_openmetrics(void **state)
{
        char *text = NULL, *p;
        size_t size = 0;
        FILE *f;

        stats_reset(st);
        stats_record(st, "mount", "we\"ird\\name\n", STATS_ERRNO, 5000);
        f = open_memstream(&text, &size);
        assert_non_null(f);
        assert_int_equal(stats_write_openmetrics(st, f), 0);
        fclose(f);
        assert_non_null(strstr(text, "scmpd_notifications_total{syscall=\"mount\","
                                     "verdict=\"errno\"} 1\n"));
        assert_non_null(strstr(text, "scmpd_handler_decisions_total{handler=\"we\\\"ird\\\\name"
                                     "\\n\",verdict=\"errno\"} 1\n"));
        /* 5000 ns lies above 4.096 us and below 16.384 us; buckets are cumulative in seconds */
        assert_non_null(strstr(text, "scmpd_notification_latency_seconds_bucket{syscall=\"mount\","
                                     "le=\"4.096e-06\"} 0\n"));
        assert_non_null(strstr(text, "scmpd_notification_latency_seconds_bucket{syscall=\"mount\","
                                     "le=\"1.6384e-05\"} 1\n"));
        assert_non_null(strstr(text, "scmpd_notification_latency_seconds_bucket{syscall=\"mount\","
                                     "le=\"17.179869184\"} 1\n"));
        assert_non_null(strstr(text, "scmpd_notification_latency_seconds_bucket{syscall=\"mount\","
                                     "le=\"+Inf\"} 1\n"));
        assert_non_null(strstr(text, "scmpd_notification_latency_seconds_sum{syscall=\"mount\"} "
                                     "0.000005000\n"));
        /* Prometheus text 0.0.4 (node exporter's textfile collector): a counter's TYPE names
         * its sample, _total included; no OpenMetrics-only lines. */
        assert_non_null(strstr(text, "# TYPE scmpd_notifications_total counter\n"));
        assert_non_null(strstr(text, "# TYPE scmpd_handler_decisions_total counter\n"));
        assert_null(strstr(text, "# UNIT"));
        assert_null(strstr(text, "# EOF"));
        /* every sample line has a value; no raw newline inside a label */
        for (p = text; (p = strchr(p, '\n')) && p[1]; p++)
                assert_true(p[1] == '#' || p[1] == 's');
        free(text);
}

static void test_audit_store_bounds(void **state)
{
        char id[32];
        json_t *j, *c, *s;

        audit_store_reset(as);
        audit_store_record(as, "c1", NULL, "getppid", AUDIT_ARCH_X86_64, 110, NULL, STATS_CONTINUE,
                           1000000000);
        audit_store_record(as, "c1", NULL, "getppid", AUDIT_ARCH_X86_64, 110, NULL, STATS_ERRNO,
                           3000000000);
        audit_store_record(as, NULL, NULL, "uname", AUDIT_ARCH_X86_64, 63, NULL, STATS_CONTINUE,
                           2000000000);
        j = audit_store_to_json(as, "c1");
        c = json_array_get(json_object_get(j, "containers"), 0);
        assert_string_equal(json_string_value(json_object_get(c, "id")), "c1");
        s = json_array_get(json_object_get(c, "syscalls"), 0);
        assert_string_equal(json_string_value(json_object_get(s, "name")), "getppid");
        assert_string_equal(json_string_value(json_object_get(s, "arch")), "x86_64");
        assert_int_equal(json_integer_value(json_object_get(s, "count")), 2);
        assert_string_equal(json_string_value(json_object_get(s, "first_seen")),
                            "1970-01-01T00:00:01.000Z");
        assert_string_equal(json_string_value(json_object_get(s, "last_seen")),
                            "1970-01-01T00:00:03.000Z");
        assert_int_equal(
                json_integer_value(json_object_get(json_object_get(s, "verdicts"), "errno")), 1);
        json_decref(j);

        /* Per container: distinct syscalls beyond the limit are dropped and counted. */
        for (int nr = 0; nr < AUDIT_MAX_SYSCALLS + 5; nr++)
                audit_store_record(as, "wide", NULL, NULL, AUDIT_ARCH_X86_64, nr, NULL,
                                   STATS_CONTINUE, 1);
        j = audit_store_to_json(as, "wide");
        c = json_array_get(json_object_get(j, "containers"), 0);
        assert_int_equal(json_array_size(json_object_get(c, "syscalls")), AUDIT_MAX_SYSCALLS);
        assert_int_equal(json_integer_value(json_object_get(c, "dropped")), 5);
        json_decref(j);

        /* Containers beyond the limit evict the least recently seen ("c1" at t=3s is newer than
         * "wide" at t=1ns and "(none)" at t=2s). */
        for (int k = 0; k < AUDIT_MAX_CONTAINERS; k++) {
                snprintf(id, sizeof(id), "new-%d", k);
                audit_store_record(as, id, NULL, "read", AUDIT_ARCH_X86_64, 0, NULL, STATS_CONTINUE,
                                   10000000000ULL + (uint64_t)k);
        }
        j = audit_store_to_json(as, NULL);
        assert_int_equal(json_array_size(json_object_get(j, "containers")), AUDIT_MAX_CONTAINERS);
        assert_int_equal(json_integer_value(json_object_get(j, "evicted")), 3);
        json_decref(j);
        j = audit_store_to_json(as, "c1");
        assert_int_equal(json_array_size(json_object_get(j, "containers")), 0);
        json_decref(j);
        audit_store_reset(as);
}

/* The file: a store saved and loaded again says the same; a bad or oversized file is set
 * aside and the store starts empty; clear is saved. */
static void test_audit_store_file(void **state)
{
        char dir[] = "/tmp/test-audit-XXXXXX", path[64], bad[80];
        struct audit_store *a, *b;
        json_t *ja, *jb;
        FILE *f;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/audit.json", dir);
        snprintf(bad, sizeof(bad), "%s.bad", path);
        a = audit_store_new(NULL);
        assert_int_equal(audit_store_open(a, path), 0); /* missing: empty */
        audit_store_record(a, "c1", "scmpd-record:runc", "read", AUDIT_ARCH_X86_64, 0, NULL,
                           STATS_CONTINUE, 5000000000ULL);
        audit_store_record(a, "c1", "scmpd-record:runc", "mount", AUDIT_ARCH_X86_64, 165, NULL,
                           STATS_ERRNO, 6000000000ULL);
        audit_store_record(a, "c2", NULL, "uname", AUDIT_ARCH_I386, 122, NULL, STATS_VALUE, 7);
        assert_int_equal(audit_store_save(a), 0);
        b = audit_store_new(NULL);
        assert_int_equal(audit_store_open(b, path), 0);
        ja = audit_store_to_json(a, NULL);
        jb = audit_store_to_json(b, NULL);
        assert_true(json_equal(ja, jb));
        assert_string_equal(
                json_string_value(json_object_get(
                        json_array_get(json_object_get(jb, "containers"), 0), "metadata")),
                "scmpd-record:runc");
        json_decref(ja);
        json_decref(jb);

        /* clear is saved at once: a third store sees c2 only */
        assert_int_equal(audit_store_clear(b, "c1"), 1);
        assert_int_equal(audit_store_clear(b, "nope"), 0);
        b = audit_store_free(b);
        b = audit_store_new(NULL);
        assert_int_equal(audit_store_open(b, path), 0);
        jb = audit_store_to_json(b, NULL);
        assert_int_equal(json_array_size(json_object_get(jb, "containers")), 1);
        assert_string_equal(json_string_value(json_object_get(
                                    json_array_get(json_object_get(jb, "containers"), 0), "id")),
                            "c2");
        json_decref(jb);
        b = audit_store_free(b);

        /* hostile contents: an unknown arch, a syntax error, too large; each is set aside */
        static const char *const bad_files[] = {
                "{\"version\":1,\"evicted\":0,\"containers\":[{\"id\":\"x\",\"metadata\":\"\","
                "\"last_ns\":1,\"dropped\":0,\"syscalls\":[{\"arch\":7,\"nr\":0,"
                "\"first_ns\":0,\"last_ns\":0,\"verdicts\":[1,0,0,0,0,0]}]}]}",
                "{\"version\":1,",
                NULL,
        };
        for (int k = 0; k < 3; k++) {
                f = fopen(path, "w");
                assert_non_null(f);
                if (bad_files[k])
                        fputs(bad_files[k], f);
                else
                        assert_int_equal(ftruncate(fileno(f), AUDIT_FILE_MAX + 1), 0);
                fclose(f);
                b = audit_store_new(NULL);
                assert_int_equal(audit_store_open(b, path), 0);
                jb = audit_store_to_json(b, NULL);
                assert_int_equal(json_array_size(json_object_get(jb, "containers")), 0);
                json_decref(jb);
                assert_int_equal(access(bad, F_OK), 0);
                assert_int_equal(access(path, F_OK), -1);
                b = audit_store_free(b);
                unlink(bad);
                unlink(path);
        }
        a = audit_store_free(a);
        unlink(path);
        rmdir(dir);
}

/* The learned argument's values of one syscall entry: {"index", "values", "refused",
 * "overflow"}, or NULL when the entry has none. */
static json_t *arg_of(json_t *j, const char *name)
{
        json_t *c = json_array_get(json_object_get(j, "containers"), 0), *s;
        size_t i;

        json_array_foreach (json_object_get(c, "syscalls"), i, s)
                if (json_is_string(json_object_get(s, "name")) &&
                    strcmp(json_string_value(json_object_get(s, "name")), name) == 0)
                        return json_object_get(s, "arg");
        return NULL;
}

static void assert_json_text(json_t *v, const char *want)
{
        char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

        assert_non_null(text);
        assert_string_equal(text, want);
        free(text);
}

/* Argument learning: distinct low words per learned argument, marked when a call with the
 * value went on; a bounded set whose overflow is kept; unknown arguments overflow; the file
 * keeps them, and a file from before argument learning loads with the values unknown. */
static void test_audit_store_args(void **state)
{
        char dir[] = "/tmp/test-audit-XXXXXX", path[64];
        uint64_t args[6] = {};
        struct audit_store *b;
        json_t *ja, *jb;
        FILE *f;

        audit_store_reset(as);
        /* socket (x86_64: 41), domain in argument 0; the high word is not the kernel's */
        args[0] = 1;
        audit_store_record(as, "c", NULL, "socket", AUDIT_ARCH_X86_64, 41, args, STATS_CONTINUE, 1);
        args[0] = 0xdeadbeef00000001ULL;
        audit_store_record(as, "c", NULL, "socket", AUDIT_ARCH_X86_64, 41, args, STATS_ERRNO, 2);
        args[0] = 16;
        audit_store_record(as, "c", NULL, "socket", AUDIT_ARCH_X86_64, 41, args, STATS_ERRNO, 3);
        args[0] = 2;
        audit_store_record(as, "c", NULL, "socket", AUDIT_ARCH_X86_64, 41, args, STATS_VALUE, 4);
        /* ioctl (16): the request is argument 1; one value more than the bound overflows */
        for (uint64_t k = 0; k <= LEARN_ARGS_MAX_VALUES; k++) {
                args[1] = 0x5401 + k;
                audit_store_record(as, "c", NULL, "ioctl", AUDIT_ARCH_X86_64, 16, args,
                                   STATS_CONTINUE, 5);
        }
        /* prctl (157) once with unknown arguments; getpid (39) has no learned argument */
        audit_store_record(as, "c", NULL, "prctl", AUDIT_ARCH_X86_64, 157, NULL, STATS_CONTINUE, 6);
        audit_store_record(as, "c", NULL, "getpid", AUDIT_ARCH_X86_64, 39, args, STATS_CONTINUE, 7);
        /* clone on s390x: argument 0 is the stack there, nothing is learned */
        audit_store_record(as, "z", NULL, "clone", AUDIT_ARCH_S390X, 120, args, STATS_CONTINUE, 8);

        ja = audit_store_to_json(as, "c");
        assert_json_text(arg_of(ja, "socket"),
                         "{\"index\":0,\"overflow\":false,\"refused\":[16],\"values\":[1,2]}");
        assert_true(json_is_true(json_object_get(arg_of(ja, "ioctl"), "overflow")));
        assert_int_equal(json_integer_value(json_object_get(arg_of(ja, "ioctl"), "index")), 1);
        assert_int_equal(json_array_size(json_object_get(arg_of(ja, "ioctl"), "values")),
                         LEARN_ARGS_MAX_VALUES);
        assert_json_text(arg_of(ja, "prctl"),
                         "{\"index\":0,\"overflow\":true,\"refused\":[],\"values\":[]}");
        assert_null(arg_of(ja, "getpid"));
        jb = audit_store_to_json(as, "z");
        assert_null(arg_of(jb, "clone"));
        json_decref(jb);

        /* the file keeps it all */
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/audit.json", dir);
        assert_int_equal(audit_store_open(as, path), 0);
        assert_int_equal(audit_store_save(as), 0);
        b = audit_store_new(NULL);
        assert_int_equal(audit_store_open(b, path), 0);
        jb = audit_store_to_json(b, "c");
        assert_true(json_equal(ja, jb));
        json_decref(jb);
        b = audit_store_free(b);
        json_decref(ja);

        /* a file written before argument learning: socket's values are unknown */
        f = fopen(path, "w");
        assert_non_null(f);
        fputs("{\"version\":1,\"evicted\":0,\"containers\":[{\"id\":\"old\",\"metadata\":\"\","
              "\"last_ns\":1,\"dropped\":0,\"syscalls\":[{\"arch\":3221225534,\"nr\":41,"
              "\"first_ns\":0,\"last_ns\":0,\"verdicts\":[1,0,0,0,0,0]}]}]}",
              f);
        fclose(f);
        b = audit_store_new(NULL);
        assert_int_equal(audit_store_open(b, path), 0);
        jb = audit_store_to_json(b, "old");
        assert_true(json_is_true(json_object_get(arg_of(jb, "socket"), "overflow")));
        json_decref(jb);
        b = audit_store_free(b);

        /* hostile "arg" members: set aside like any bad file */
        static const char *const bad_args[] = {
                "{\"index\":1,\"values\":[1],\"refused\":[],\"overflow\":false}", /* not socket's */
                "{\"index\":0,\"values\":[1,1],\"refused\":[],\"overflow\":false}",
                "{\"index\":0,\"values\":[4294967296],\"refused\":[],\"overflow\":false}",
                "{\"index\":0,\"values\":[1,2,3,4,5,6,7,8,9],\"refused\":[10,11,12,13,14,15,16,"
                "17],\"overflow\":false}",
                "{\"index\":0,\"values\":[1],\"refused\":[],\"overflow\":0}",
        };
        for (size_t k = 0; k < sizeof(bad_args) / sizeof(bad_args[0]); k++) {
                f = fopen(path, "w");
                assert_non_null(f);
                fprintf(f,
                        "{\"version\":1,\"evicted\":0,\"containers\":[{\"id\":\"x\","
                        "\"metadata\":\"\",\"last_ns\":1,\"dropped\":0,\"syscalls\":[{\"arch\":"
                        "3221225534,\"nr\":41,\"first_ns\":0,\"last_ns\":0,\"verdicts\":[1,0,0,0,"
                        "0,0],\"arg\":%s}]}]}",
                        bad_args[k]);
                fclose(f);
                b = audit_store_new(NULL);
                assert_int_equal(audit_store_open(b, path), 0);
                jb = audit_store_to_json(b, NULL);
                assert_int_equal(json_array_size(json_object_get(jb, "containers")), 0);
                json_decref(jb);
                assert_int_equal(access(path, F_OK), -1);
                b = audit_store_free(b);
                unlink(path);
                snprintf(path + strlen(path), sizeof(path) - strlen(path), ".bad");
                unlink(path);
                path[strlen(path) - 4] = '\0';
        }
        /* as still saves to path; forget it before the next test */
        audit_store_reset(as);
        as = audit_store_free(as);
        as = audit_store_new(NULL);
        unlink(path);
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_proto_accepts),
                cmocka_unit_test(test_proto_refuses),
                cmocka_unit_test(test_stats_counts_and_buckets),
                cmocka_unit_test(test_stats_other),
                cmocka_unit_test(test_stats_openmetrics),
                cmocka_unit_test(test_audit_store_bounds),
                cmocka_unit_test(test_audit_store_file),
                cmocka_unit_test(test_audit_store_args),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
