/*
 * The version string and the ownership helpers every module relies on.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "scmpd/version.h"
#include "util.h"

static void test_version_matches_project(void **state)
{
        assert_string_equal(scmpd_version(), SCMPD_VERSION);
        assert_non_null(strchr(scmpd_version(), '.'));
}

static void test_steal_fd_leaves_minus_one(void **state)
{
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int stolen;

        assert_true(fd >= 0);
        stolen = steal_fd(&fd);
        assert_int_equal(fd, -1);
        assert_true(stolen >= 0);
        assert_int_equal(safe_close(stolen), -1);
        /* The fd is really closed. */
        assert_int_equal(fcntl(stolen, F_GETFD), -1);
        assert_int_equal(errno, EBADF);
}

static void test_safe_close_preserves_errno(void **state)
{
        errno = ENOSPC;
        assert_int_equal(safe_close(-1), -1);
        assert_int_equal(errno, ENOSPC);
        errno = ENOSPC;
        assert_int_equal(safe_close(1000000), -1);
        assert_int_equal(errno, ENOSPC);
}

static void test_cleanup_free_runs(void **state)
{
        char *kept;
        {
                _cleanup_free_ char *p = strdup("x");
                assert_non_null(p);
                kept = steal_ptr(&p);
                assert_null(p);
        }
        assert_string_equal(kept, "x");
        free(kept);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_version_matches_project),
                cmocka_unit_test(test_steal_fd_leaves_minus_one),
                cmocka_unit_test(test_safe_close_preserves_errno),
                cmocka_unit_test(test_cleanup_free_runs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
