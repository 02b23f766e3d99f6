/*
 * The notify primitives without a trapped syscall: sizes, buffers, response validation, the
 * feature probe on this kernel, and listener recognition. A throwaway listener comes from a
 * forked child that installs an allow-all filter (the test process itself stays unfiltered, so
 * this also runs under ASan). Live notification flows are in tests/live/test_notify.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/filter.h>

#include "scmpd/notify.h"
#include "util.h"

/* A listener whose filter has no users left (its child exited). */
static int dead_listener(void)
{
        struct sock_filter insns[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        struct sock_fprog prog = { .len = 1, .filter = insns };
        union {
                struct cmsghdr hdr;
                char b[CMSG_SPACE(sizeof(int))];
        } control = {};
        char byte = 'x';
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr msg = { .msg_iov = &iov,
                              .msg_iovlen = 1,
                              .msg_control = control.b,
                              .msg_controllen = sizeof(control.b) };
        int sp[2], fd = -1, status;
        pid_t pid;

        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct cmsghdr *c = &control.hdr;
                int l;

                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(1);
                l = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                 SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
                if (l < 0)
                        _exit(2);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &l, sizeof(int));
                _exit(sendmsg(sp[1], &msg, 0) == 1 ? 0 : 3);
        }
        close(sp[1]);
        assert_int_equal(recvmsg(sp[0], &msg, MSG_CMSG_CLOEXEC), 1);
        memcpy(&fd, CMSG_DATA(&control.hdr), sizeof(int));
        close(sp[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        return fd;
}

static void test_sizes_and_alloc(void **state)
{
        struct scmpd_notify_sizes s;
        struct seccomp_notif *req = NULL;
        struct seccomp_notif_resp *resp = NULL;

        assert_int_equal(scmpd_notify_sizes(&s), 0);
        assert_true(s.notif >= 80);
        assert_true(s.resp >= 24);
        assert_true(s.seccomp_data >= 64);
        assert_int_equal(scmpd_notify_alloc(&req, &resp), 0);
        assert_non_null(req);
        assert_non_null(resp);
        for (size_t i = 0; i < s.notif; i++)
                assert_int_equal(((unsigned char *)req)[i], 0);
        scmpd_notify_free(req, resp);
        req = NULL;
        assert_int_equal(scmpd_notify_alloc(&req, NULL), 0);
        scmpd_notify_free(req, NULL);
}

static void test_respond_validation(void **state)
{
        struct seccomp_notif_resp r = { .id = 1 };
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        /* Positive error values would reach the target as success: refused before the ioctl. */
        r.error = 5;
        assert_int_equal(scmpd_notify_respond(fd, &r), -EINVAL);
        r.error = -EPERM;
        r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        assert_int_equal(scmpd_notify_respond(fd, &r), -EINVAL);
        r.error = 0;
        r.val = 3;
        assert_int_equal(scmpd_notify_respond(fd, &r), -EINVAL);
        r.val = 0;
        r.flags = 1U << 7;
        assert_int_equal(scmpd_notify_respond(fd, &r), -EINVAL);
        assert_int_equal(scmpd_notify_respond_errno(fd, 1, 0), -EINVAL);
        assert_int_equal(scmpd_notify_respond_errno(fd, 1, 5000), -EINVAL);
        assert_int_equal(scmpd_notify_respond_errno(fd, 1, -1), -EINVAL);
        assert_int_equal(scmpd_notify_respond_value(-1, 1, 0), -EBADF);
        /* A well-formed response on a non-listener fails in the kernel, not here. */
        assert_true(scmpd_notify_respond_value(fd, 1, 0) < 0);
        assert_int_equal(scmpd_notify_set_flags(fd, 2), -EINVAL);
        close(fd);
}

static void test_probe_matches_kernel(void **state)
{
        struct utsname u;
        int major = 0, minor = 0, mask;

        mask = scmpd_notify_probe();
        assert_true(mask >= 0);
        assert_int_equal(scmpd_notify_probe(), mask); /* cached */
        assert_int_equal(uname(&u), 0);
        assert_int_equal(sscanf(u.release, "%d.%d", &major, &minor), 2);
        /* This machine's kernel is far newer than every feature; older kernels check the floor. */
        if (major > 6 || (major == 6 && minor >= 6)) {
                assert_true(mask & SCMPD_NOTIFY_FEATURE_USER_NOTIF);
                assert_true(mask & SCMPD_NOTIFY_FEATURE_CONTINUE);
                assert_true(mask & SCMPD_NOTIFY_FEATURE_ADDFD);
                assert_true(mask & SCMPD_NOTIFY_FEATURE_ADDFD_SEND);
                assert_true(mask & SCMPD_NOTIFY_FEATURE_WAIT_KILLABLE_RECV);
                assert_true(mask & SCMPD_NOTIFY_FEATURE_SYNC_WAKE_UP);
        }
        assert_int_equal(scmpd_notify_has(SCMPD_NOTIFY_FEATURE_CONTINUE),
                         !!(mask & SCMPD_NOTIFY_FEATURE_CONTINUE));
}

static void test_listener_recognition(void **state)
{
        int listener = dead_listener();
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int sp[2];
        struct scmpd_notify_addfd a = { .src_fd = devnull, .target_fd = -1 };
        struct pollfd p = { .fd = listener, .events = POLLIN };

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
        assert_int_equal(scmpd_notify_is_listener(listener), 1);
        assert_int_equal(scmpd_notify_is_listener(devnull), 0);
        assert_int_equal(scmpd_notify_is_listener(sp[0]), 0);
        assert_int_equal(scmpd_notify_is_listener(-1), -EBADF);
        assert_int_equal(scmpd_notify_is_listener(100000), -EBADF);

        /* No notification was ever issued: every id is unknown. */
        assert_int_equal(scmpd_notify_id_valid(listener, 12345), -ENOENT);
        assert_int_equal(scmpd_notify_respond_continue(listener, 12345), -ENOENT);
        assert_int_equal(scmpd_notify_respond_errno(listener, 12345, EPERM), -ENOENT);
        assert_int_equal(scmpd_notify_addfd(listener, 12345, &a), -ENOENT);
        /* The filter has no users left: poll reports the hang-up. */
        assert_int_equal(poll(&p, 1, 120000), 1); /* an event, bounded generously */
        assert_true(p.revents & POLLHUP);
        if (scmpd_notify_has(SCMPD_NOTIFY_FEATURE_SYNC_WAKE_UP) == 1)
                assert_int_equal(
                        scmpd_notify_set_flags(listener, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP), 0);
        else
                assert_int_equal(
                        scmpd_notify_set_flags(listener, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP),
                        -EOPNOTSUPP);
        /* Non-listener fds are refused by the kernel. */
        assert_true(scmpd_notify_id_valid(devnull, 1) < 0);
        close(sp[0]);
        close(sp[1]);
        close(devnull);
        close(listener);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sizes_and_alloc),
                cmocka_unit_test(test_respond_validation),
                cmocka_unit_test(test_probe_matches_kernel),
                cmocka_unit_test(test_listener_recognition),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
