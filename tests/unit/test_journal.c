/*
 * The in-flight journal's memfd as it comes back from the fd store: a journal of this format is
 * adopted with exactly its filled slots and its serial counter; anything else (another kind of
 * fd, a short file, a wrong magic, version or geometry, a file shorter than its header claims)
 * is refused with -EBADMSG. Receiving and replay need a live listener and are covered by the
 * restart-loop integration test.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/audit.h>

#include "journal.h"

/* The journal under test: one object, without a daemon (nothing receives through it). */
static struct journal *J;

static int setup(void **state)
{
        J = journal_new(NULL);
        return J ? 0 : -1;
}

static int teardown(void **state)
{
        J = journal_free(J);
        return 0;
}

#define HDR 64
#define SLOT 128

/* A copy of the current journal's bytes in a fresh memfd, to corrupt at will. */
static int copy_journal(void)
{
        int src = journal_fd(J), dst = memfd_create("copy", MFD_CLOEXEC);
        off_t size = lseek(src, 0, SEEK_END);
        char *buf = malloc((size_t)size);

        assert_true(dst >= 0 && size > 0 && buf);
        assert_int_equal(pread(src, buf, (size_t)size, 0), size);
        assert_int_equal(pwrite(dst, buf, (size_t)size, 0), size);
        free(buf);
        return dst;
}

static void put32(int fd, off_t off, uint32_t v)
{
        assert_int_equal(pwrite(fd, &v, sizeof(v), off), sizeof(v));
}

static void put64(int fd, off_t off, uint64_t v)
{
        assert_int_equal(pwrite(fd, &v, sizeof(v), off), sizeof(v));
}

/* Make slot i look like a received notification of session `serial`. */
static void fill_slot(int fd, unsigned i, uint64_t serial, uint64_t id, uint32_t arch)
{
        off_t s = HDR + (off_t)i * SLOT;

        put64(fd, s, serial);
        put32(fd, s + 8, 1); /* ARMED */
        put64(fd, s + 16, id);
        put32(fd, s + 16 + 8, 1234);      /* pid */
        put32(fd, s + 16 + 16 + 4, arch); /* data.arch */
}

static void test_create(void **state)
{
        int fd = journal_create(J);

        assert_true(fd >= 0);
        assert_true(journal_enabled(J));
        assert_int_equal(journal_fd(J), fd);
        assert_int_equal(journal_in_use(J), 0);
        assert_int_equal(journal_next_serial(J), 0);
        journal_set_next_serial(J, 7);
        journal_set_next_serial(J, 3); /* never goes back */
        assert_int_equal(journal_next_serial(J), 7);
        assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

static void test_adopt_filled_slots(void **state)
{
        int fd;

        assert_true(journal_create(J) >= 0);
        journal_set_next_serial(J, 41);
        fd = copy_journal();
        fill_slot(fd, 0, 5, 1000, AUDIT_ARCH_X86_64);
        fill_slot(fd, 17, 6, 2000, AUDIT_ARCH_X86_64);
        fill_slot(fd, 200, 6, 3000, 0);                 /* armed, never filled: free */
        fill_slot(fd, 201, 0, 4000, AUDIT_ARCH_X86_64); /* no session: free */
        assert_int_equal(journal_adopt(J, fd), 2);
        assert_int_equal(journal_next_serial(J), 41);
        assert_int_equal(journal_fd(J), fd);
        /* Nothing claimed them: both are forgotten, and then none is left. */
        assert_int_equal(journal_drop_unclaimed(J), 2);
        assert_int_equal(journal_drop_unclaimed(J), 0);
        assert_int_equal(journal_in_use(J), 0);
}

static void expect_refused(int fd)
{
        assert_int_equal(journal_adopt(J, fd), -EBADMSG);
        assert_false(journal_enabled(J));
        /* The fd was consumed. */
        assert_int_equal(fcntl(fd, F_GETFD), -1);
}

static void test_adopt_refuses(void **state)
{
        int fd;

        /* Not a regular file. */
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        expect_refused(fd);
        /* Empty and short files. */
        fd = memfd_create("empty", MFD_CLOEXEC);
        expect_refused(fd);
        fd = memfd_create("short", MFD_CLOEXEC);
        assert_int_equal(write(fd, "SCMPDJ01", 8), 8);
        expect_refused(fd);

        assert_true(journal_create(J) >= 0);
        fd = copy_journal();
        assert_int_equal(pwrite(fd, "SCMPDJ02", 8, 0), 8); /* magic */
        expect_refused(fd);

        assert_true(journal_create(J) >= 0);
        fd = copy_journal();
        put32(fd, 8, 2); /* version */
        expect_refused(fd);

        assert_true(journal_create(J) >= 0);
        fd = copy_journal();
        put32(fd, 12, 64); /* slot size */
        expect_refused(fd);

        assert_true(journal_create(J) >= 0);
        fd = copy_journal();
        put32(fd, 20, 300); /* not a power of two */
        expect_refused(fd);

        assert_true(journal_create(J) >= 0);
        fd = copy_journal();
        put32(fd, 20, 1u << 21); /* beyond the maximum */
        expect_refused(fd);

        assert_true(journal_create(J) >= 0);
        fd = copy_journal();
        put32(fd, 20, 512); /* claims more slots than the file holds */
        expect_refused(fd);

        assert_true(journal_create(J) >= 0);
        fd = copy_journal();
        assert_int_equal(ftruncate(fd, HDR + 10 * SLOT), 0); /* truncated */
        expect_refused(fd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_create),
                cmocka_unit_test(test_adopt_filled_slots),
                cmocka_unit_test(test_adopt_refuses),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
