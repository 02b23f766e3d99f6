/*
 * The sysinfo and sched handlers' policies on their own, without any process: what each
 * configuration key accepts and refuses, what sched_policy_check() answers for each kind of
 * request (the kernel's EINVAL, the policy's refusal, allowed), and how sysinfo_fill() lays out
 * the struct (mem_unit, the 16-bit procs, zeroed padding).
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/sysinfo.h>

#include <cmocka.h>

#include "handlers/emulate.h"

static struct sched_policy *sched_ok(const char *json)
{
        struct sched_policy *p = NULL;
        const char *why = NULL;

        assert_int_equal(sched_policy_parse(json, &p, &why), 0);
        assert_non_null(p);
        return p;
}

static void sched_bad(const char *json, const char *why_part)
{
        struct sched_policy *p = NULL;
        const char *why = NULL;

        assert_int_equal(sched_policy_parse(json, &p, &why), -EINVAL);
        assert_null(p);
        assert_non_null(why);
        assert_non_null(strstr(why, why_part));
}

static void test_sched_parse(void **state)
{
        sched_policy_free(sched_ok("{}"));
        sched_policy_free(sched_ok("{\"policies\": [\"fifo\", \"rr\"], \"max_rt_priority\": 99}"));
        sched_policy_free(sched_ok("{\"min_nice\": -20, \"refuse\": \"continue\"}"));
        sched_bad("[]", "not a JSON object");
        sched_bad("{\"max_rt\": 5}", "unknown key");
        sched_bad("{\"policies\": [\"fifo\"]}", "max_rt_priority");
        sched_bad("{\"policies\": [\"deadline\"]}", "deadline is never emulated");
        sched_bad("{\"policies\": \"fifo\"}", "must be a list");
        sched_bad("{\"max_rt_priority\": 0}", "1..99");
        sched_bad("{\"max_rt_priority\": 100}", "1..99");
        sched_bad("{\"min_nice\": -21}", "-20..19");
        sched_bad("{\"refuse\": \"EWHAT\"}", "refuse");
}

static void test_sched_check(void **state)
{
        struct sched_policy *p = sched_ok(
                "{\"policies\": [\"other\", \"fifo\"], \"max_rt_priority\": 10, \"min_nice\": 0}");
        struct sched_request r;

#define REQ(...) (r = (struct sched_request){ __VA_ARGS__ }, sched_policy_check(p, &r))
        assert_int_equal(REQ(.policy = SCHED_FIFO, .priority = 10), 0);
        assert_int_equal(REQ(.policy = SCHED_FIFO, .priority = 1, .reset_on_fork = true,
                             .flags = 1),
                         0);
        assert_int_equal(REQ(.policy = SCHED_FIFO, .priority = 11), -1); /* beyond the bound */
        assert_int_equal(REQ(.policy = SCHED_RR, .priority = 5), -1);    /* not listed */
        assert_int_equal(REQ(.policy = SCHED_BATCH), -1);
        assert_int_equal(REQ(.policy = 6), -1);                          /* deadline */
        assert_int_equal(REQ(.policy = SCHED_FIFO, .priority = 5, .flags = 0x20), -1);
        assert_int_equal(REQ(.policy = SCHED_OTHER, .has_nice = true, .nice = -1), -1);
        assert_int_equal(REQ(.policy = SCHED_OTHER, .has_nice = true, .nice = 19), 0);
        /* What the kernel refuses whatever the privilege: its EINVAL, before the policy. */
        assert_int_equal(REQ(.policy = SCHED_FIFO, .priority = 0), EINVAL);
        assert_int_equal(REQ(.policy = SCHED_FIFO, .priority = 100), EINVAL);
        assert_int_equal(REQ(.policy = SCHED_OTHER, .priority = 1), EINVAL);
        assert_int_equal(REQ(.policy = 4), EINVAL);
        assert_int_equal(REQ(.policy = 7), EINVAL);
        assert_int_equal(REQ(.policy = -1), EINVAL);
        assert_int_equal(REQ(.policy = SCHED_OTHER, .flags = 0x80), EINVAL);
#undef REQ
        assert_int_equal(sched_policy_refusal(p).error, EPERM);
        sched_policy_free(p);
}

static void test_sysinfo_parse(void **state)
{
        struct sysinfo_policy *p = NULL;
        const char *why = NULL;

        assert_int_equal(sysinfo_policy_parse("{}", &p, &why), 0);
        sysinfo_policy_free(p);
        p = NULL;
        assert_int_equal(sysinfo_policy_parse("{\"memory\": false, \"refuse\": \"ENOSYS\"}", &p,
                                              &why),
                         0);
        sysinfo_policy_free(p);
        p = NULL;
        assert_int_equal(sysinfo_policy_parse("{\"memory\": 1}", &p, &why), -EINVAL);
        assert_null(p);
        assert_int_equal(sysinfo_policy_parse("{\"swap\": true}", &p, &why), -EINVAL);
        assert_int_equal(sysinfo_policy_parse("{\"refuse\": 0}", &p, &why), -EINVAL);
        assert_null(p);
}

static void test_sysinfo_fill(void **state)
{
        struct sysinfo_view v = { .uptime = 42,
                                  .loads = { 1, 2, 3 },
                                  .procs = 70000,
                                  .totalram = 64ULL << 20,
                                  .freeram = 60ULL << 20,
                                  .totalswap = 0,
                                  .freeswap = 0 };
        struct sysinfo si;

        memset(&si, 0xa5, sizeof(si));
        sysinfo_fill(&si, &v);
        assert_int_equal(si.mem_unit, 1);
        assert_int_equal(si.totalram, 64UL << 20);
        assert_int_equal(si.freeram, 60UL << 20);
        assert_int_equal(si.uptime, 42);
        assert_int_equal(si.loads[2], 3);
        assert_int_equal(si.procs, 0xffff); /* clamped, not truncated to 4464 */
        assert_int_equal(si.totalhigh, 0);
        assert_int_equal(si.pad, 0);
        /* The bytes past mem_unit (padding) are zero, as the kernel's memset leaves them. */
        for (size_t i = offsetof(struct sysinfo, mem_unit) + sizeof(si.mem_unit); i < sizeof(si);
             i++)
                assert_int_equal(((unsigned char *)&si)[i], 0);
        /* RAM plus swap past an unsigned long: pages, as the kernel does. */
        v.totalram = UINT64_MAX - 4095;
        v.totalswap = 1ULL << 20;
        sysinfo_fill(&si, &v);
        assert_int_equal(si.mem_unit, 4096);
        assert_int_equal(si.totalswap, 256);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sched_parse),
                cmocka_unit_test(test_sched_check),
                cmocka_unit_test(test_sysinfo_parse),
                cmocka_unit_test(test_sysinfo_fill),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
