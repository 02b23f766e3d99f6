/*
 * The sysinfo and sched handlers' policies on their own, without any process: what each
 * configuration key accepts and refuses, what sched_policy_check() answers for each kind of
 * request (the kernel's EINVAL, the policy's refusal, allowed), how sysinfo_fill() lays out
 * the struct (mem_unit, the 16-bit procs, zeroed padding), how a /proc/<tid>/cgroup text gives
 * the path, and what the memory view is on cgroup v1 and v2 file trees built in /tmp (this
 * machine's memory hierarchy may be either; the e2e and integration tests use the real one).
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>

#include <cmocka.h>

#include "handlers/emulate.h"

static struct sched_policy *sched_ok(const char *json)
{
        struct sched_policy *p = NULL;
        char *why = NULL;

        assert_int_equal(sched_policy_parse(json, &p, &why), 0);
        assert_non_null(p);
        assert_null(why); /* an explanation only for a failure */
        return p;
}

static void sched_bad(const char *json, const char *why_part)
{
        struct sched_policy *p = NULL;
        char *why = NULL;

        assert_int_equal(sched_policy_parse(json, &p, &why), -EINVAL);
        assert_null(p);
        assert_non_null(why);
        assert_non_null(strstr(why, why_part));
        free(why);
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
        assert_int_equal(
                REQ(.policy = SCHED_FIFO, .priority = 1, .reset_on_fork = true, .flags = 1), 0);
        assert_int_equal(REQ(.policy = SCHED_FIFO, .priority = 11), -1); /* beyond the bound */
        assert_int_equal(REQ(.policy = SCHED_RR, .priority = 5), -1);    /* not listed */
        assert_int_equal(REQ(.policy = SCHED_BATCH), -1);
        assert_int_equal(REQ(.policy = 6), -1); /* deadline */
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
        char *why = NULL;

        assert_int_equal(sysinfo_policy_parse("{}", &p, &why), 0);
        assert_null(why);
        sysinfo_policy_free(p);
        p = NULL;
        assert_int_equal(
                sysinfo_policy_parse("{\"memory\": false, \"refuse\": \"ENOSYS\"}", &p, &why), 0);
        sysinfo_policy_free(p);
        p = NULL;
        assert_int_equal(sysinfo_policy_parse("{\"memory\": 1}", &p, &why), -EINVAL);
        assert_null(p);
        assert_non_null(strstr(why, "must be booleans"));
        free(why);
        assert_int_equal(sysinfo_policy_parse("{\"swap\": true}", &p, NULL), -EINVAL);
        assert_int_equal(sysinfo_policy_parse("{\"refuse\": 0}", &p, NULL), -EINVAL);
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

static void test_cgroup_path(void **state)
{
        const char *v1 = "12:pids:/p\n4:memory:/m/x\n3:cpu,cpuacct:/c\n0::/unified/y\n";
        char buf[256];

        assert_int_equal(sysinfo_cgroup_path(v1, "memory", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/m/x");
        assert_int_equal(sysinfo_cgroup_path(v1, "cpuacct", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/c");
        assert_int_equal(sysinfo_cgroup_path(v1, NULL, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/unified/y");
        assert_int_equal(sysinfo_cgroup_path(v1, "blkio", buf, sizeof(buf)), -ENOENT);
        assert_int_equal(sysinfo_cgroup_path("0::/a/../b\n", NULL, buf, sizeof(buf)), -EBADMSG);
        assert_int_equal(sysinfo_cgroup_path("4:memory:relative\n", "memory", buf, sizeof(buf)),
                         -EBADMSG);
        assert_int_equal(sysinfo_cgroup_path("4:memory:/x", "memory", buf, 2), -ENAMETOOLONG);
        assert_int_equal(sysinfo_cgroup_path("garbage", "memory", buf, sizeof(buf)), -ENOENT);
}

static char tree[64];

static void put(const char *rel, const char *text)
{
        char path[256], dir[256], *slash;
        FILE *f;

        snprintf(path, sizeof(path), "%s%s", tree, rel);
        snprintf(dir, sizeof(dir), "%s", path);
        slash = strrchr(dir, '/');
        *slash = '\0';
        for (char *p = dir + strlen(tree) + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                mkdir(dir, 0755);
                *p = '/';
        }
        mkdir(dir, 0755);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void remove_tree(void)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
        (void)!system(cmd);
}

static struct sysinfo_view host_view(void)
{
        return (struct sysinfo_view){ .totalram = 1ULL << 34,
                                      .freeram = 1ULL << 33,
                                      .sharedram = 5,
                                      .bufferram = 7,
                                      .totalswap = 1ULL << 30,
                                      .freeswap = 1ULL << 29 };
}

static void test_cgroup_memory_v2(void **state)
{
        struct sysinfo_view v = host_view();

        snprintf(tree, sizeof(tree), "/tmp/scmpd-cgv2.XXXXXX");
        assert_non_null(mkdtemp(tree));
        /* No limit anywhere: the host's values stay. */
        put("/a/memory.max", "max\n");
        put("/a/b/memory.max", "max\n");
        put("/a/b/memory.current", "1048576\n");
        assert_false(sysinfo_cgroup_memory(tree, "/a/b", true, &v));
        assert_int_equal(v.totalram, 1ULL << 34);
        /* The leaf's limit, its usage, the parent's swap limit and its swap usage. */
        put("/a/b/memory.max", "67108864\n");
        put("/a/b/memory.swap.max", "max\n");
        put("/a/memory.swap.max", "33554432\n");
        put("/a/memory.swap.current", "1000\n");
        assert_true(sysinfo_cgroup_memory(tree, "/a/b", true, &v));
        assert_int_equal(v.totalram, 64ULL << 20);
        assert_int_equal(v.freeram, (64ULL << 20) - 1048576);
        assert_int_equal(v.sharedram, 0);
        assert_int_equal(v.bufferram, 0);
        assert_int_equal(v.totalswap, 32ULL << 20);
        assert_int_equal(v.freeswap, (32ULL << 20) - 1000);
        /* A lower limit on the parent wins, with the parent's usage; usage past it is 0 free. */
        v = host_view();
        put("/a/memory.max", "16777216\n");
        put("/a/memory.current", "20000000\n");
        assert_true(sysinfo_cgroup_memory(tree, "/a/b", true, &v));
        assert_int_equal(v.totalram, 16ULL << 20);
        assert_int_equal(v.freeram, 0);
        /* Garbage in a file is not a number: that level does not count. */
        v = host_view();
        put("/a/memory.max", "lots\n");
        assert_true(sysinfo_cgroup_memory(tree, "/a/b", true, &v));
        assert_int_equal(v.totalram, 64ULL << 20);
        remove_tree();
}

static void test_cgroup_memory_v1(void **state)
{
        struct sysinfo_view v = host_view();

        snprintf(tree, sizeof(tree), "/tmp/scmpd-cgv1.XXXXXX");
        assert_non_null(mkdtemp(tree));
        put("/memory.limit_in_bytes", "9223372036854771712\n"); /* the root: unlimited */
        put("/c/memory.limit_in_bytes", "67108864\n");
        put("/c/memory.usage_in_bytes", "4194304\n");
        /* Without swap accounting (no memsw files): the host's swap. */
        assert_true(sysinfo_cgroup_memory(tree, "/c", false, &v));
        assert_int_equal(v.totalram, 64ULL << 20);
        assert_int_equal(v.freeram, 60ULL << 20);
        assert_int_equal(v.totalswap, 1ULL << 30);
        /* memsw is memory plus swap. */
        v = host_view();
        put("/c/memory.memsw.limit_in_bytes", "100663296\n");
        put("/c/memory.memsw.usage_in_bytes", "5242880\n");
        assert_true(sysinfo_cgroup_memory(tree, "/c", false, &v));
        assert_int_equal(v.totalswap, 32ULL << 20);
        assert_int_equal(v.freeswap, (32ULL << 20) - 1048576);
        /* The root cgroup only: no limit below the host's RAM. */
        v = host_view();
        assert_false(sysinfo_cgroup_memory(tree, "/", false, &v));
        remove_tree();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sched_parse),      cmocka_unit_test(test_sched_check),
                cmocka_unit_test(test_sysinfo_parse),    cmocka_unit_test(test_sysinfo_fill),
                cmocka_unit_test(test_cgroup_path),      cmocka_unit_test(test_cgroup_memory_v2),
                cmocka_unit_test(test_cgroup_memory_v1),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
