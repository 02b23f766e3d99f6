/*
 * The host interface scmpd gives handlers (daemon/handlers/host.c): each instance's host says the
 * ABI version its handler was built for; log_fields() names the instance, prefixes every key with
 * SCMPD_, drops keys that are not [A-Z][A-Z0-9_]{0,31}, keeps values printable and bounded, and
 * while start() runs keeps a LOG_ERR message as the refusal's reason instead of logging it.
 * The log goes to standard error here, which the test points at a file it reads back.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "policy.h"
#include "util.h"

/* Run `fn` with standard error in a file; return what it wrote (malloc()ed). */
static char *captured(void (*fn)(struct handler_instance *), struct handler_instance *h)
{
        char path[] = "/tmp/scmpd-test-host-XXXXXX", *buf;
        int fd = mkstemp(path), saved = dup(STDERR_FILENO);
        off_t len;

        assert_true(fd >= 0 && saved >= 0);
        unlink(path);
        assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
        fn(h);
        assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
        close(saved);
        len = lseek(fd, 0, SEEK_END);
        buf = calloc(1, (size_t)len + 1);
        assert_non_null(buf);
        assert_int_equal(pread(fd, buf, (size_t)len, 0), len);
        close(fd);
        return buf;
}

static void log_some(struct handler_instance *h)
{
        char long_value[600];
        const struct scmpd_log_field f[] = {
                { "SYSCALL", "mkdir" }, { "_PID", "1" }, /* not a key: dropped */
                { "lower", "x" },                        /* not a key: dropped */
                { "PRIORITY", "0" },    /* becomes SCMPD_PRIORITY, not journald's */
                { "PATH", "a\nb\tc" },  /* control characters become '?' */
                { "LONG", long_value }, /* at most 256 bytes of it */
                { "NULLVALUE", NULL },  /* an empty value */
        };

        memset(long_value, 'v', sizeof(long_value) - 1);
        long_value[sizeof(long_value) - 1] = '\0';
        h->host.log_fields(&h->host, LOG_ERR, "hello", f, sizeof(f) / sizeof(f[0]));
}

static void test_fields(void **state)
{
        struct handler_instance h = { .name = (char *)"probe" };
        char want_long[300];
        _cleanup_free_ char *out = NULL;

        handler_host_init(&h, SCMPD_HANDLER_ABI_VERSION);
        assert_int_equal(h.host.abi_version, SCMPD_HANDLER_ABI_VERSION);
        out = captured(log_some, &h);
        assert_non_null(strstr(out, "handler probe: hello"));
        assert_non_null(strstr(out, " SCMPD_SYSCALL=mkdir "));
        assert_null(strstr(out, "_PID"));
        assert_null(strstr(out, "lower"));
        assert_non_null(strstr(out, " SCMPD_PRIORITY=0 "));
        assert_non_null(strstr(out, " SCMPD_PATH=a?b?c "));
        snprintf(
                want_long, sizeof(want_long), " SCMPD_LONG=%.*s ", 256,
                "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
                "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
                "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
                "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv");
        assert_non_null(strstr(out, want_long));
        assert_non_null(strstr(out, " SCMPD_NULLVALUE=\n"));
}

static void log_debug_line(struct handler_instance *h)
{
        const struct scmpd_log_field f = { "K", "v" };

        h->host.log_fields(&h->host, LOG_DEBUG, "quiet", &f, 1);
}

static void test_level(void **state)
{
        struct handler_instance h = { .name = (char *)"probe" };
        _cleanup_free_ char *out = NULL;

        handler_host_init(&h, SCMPD_HANDLER_ABI_VERSION);
        log_max_level = LOG_INFO;
        assert_false(h.host.log_enabled(&h.host, LOG_DEBUG));
        assert_true(h.host.log_enabled(&h.host, LOG_INFO));
        out = captured(log_debug_line, &h);
        assert_string_equal(out, "");
}

static void log_while_starting(struct handler_instance *h)
{
        h->starting = true;
        assert_true(h->host.log_enabled(&h->host, LOG_ERR));
        h->host.log_fields(&h->host, LOG_ERR, "\"x\" must be 1..3", NULL, 0);
        h->host.log_fields(&h->host, LOG_ERR, "a second reason", NULL, 0);
        h->host.log_fields(&h->host, LOG_WARNING, "a warning is logged", NULL, 0);
        h->starting = false;
}

static void test_start_error(void **state)
{
        struct handler_instance h = { .name = (char *)"probe" };
        _cleanup_free_ char *out = NULL;

        handler_host_init(&h, SCMPD_HANDLER_ABI_VERSION);
        out = captured(log_while_starting, &h);
        assert_string_equal(h.start_error, "\"x\" must be 1..3");
        assert_null(strstr(out, "must be"));
        assert_null(strstr(out, "second"));
        assert_non_null(strstr(out, "handler probe: a warning is logged"));
        free(h.start_error);
}

/* A handler built for version 1 gets a host that says 1, whatever this scmpd speaks. */
static void test_old_abi(void **state)
{
        struct handler_instance h = { .name = (char *)"old" };

        handler_host_init(&h, 1);
        assert_int_equal(h.host.abi_version, 1);
        assert_non_null(h.host.complete);
        assert_non_null(h.host.log);
}

/* Through the policy loader: a built-in's refusal is its own sentence, once. */
static void test_config_reason(void **state)
{
        struct config *c = NULL;
        _cleanup_free_ char *err = NULL;

        assert_int_equal(config_load_string("{\"policies\": [{\"rules\": [{\"syscalls\": "
                                            "[\"getpid\"], \"chain\": [{\"handler\": \"audit\", "
                                            "\"config\": {\"level\": \"loud\"}}]}]}]}",
                                            "test", &c, &err),
                         -EINVAL);
        assert_non_null(err);
        assert_non_null(strstr(err, "refused its configuration: \"level\" must be"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fields),        cmocka_unit_test(test_level),
                cmocka_unit_test(test_start_error),   cmocka_unit_test(test_old_abi),
                cmocka_unit_test(test_config_reason),
        };

        log_open(true);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
