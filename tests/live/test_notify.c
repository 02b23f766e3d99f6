/*
 * The notify primitives against real trapped syscalls. A forked child installs a hand-written
 * filter that sends getppid() to a listener, passes the listener to the parent over a
 * socketpair (sendmsg itself is not trapped), and then makes getppid() calls whose results it
 * checks: an errno answer, a value answer, CONTINUE, and ADDFD with FLAG_SEND. A second child is
 * killed while its notification is held, and the parent must see ENOENT, not an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>

#include "child.h"
#include "scmpd/notify.h"

#include "check.h"

static int sock_pair[2];

/* Child side: install the filter and hand the listener to the parent. */
static int install_and_send(void)
{
        struct sock_filter prog[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog fprog = { .len = sizeof(prog) / sizeof(prog[0]), .filter = prog };
        union {
                struct cmsghdr hdr;
                char b[CMSG_SPACE(sizeof(int))];
        } control = {};
        char byte = 'L';
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr msg = { .msg_iov = &iov,
                              .msg_iovlen = 1,
                              .msg_control = control.b,
                              .msg_controllen = sizeof(control.b) };
        int fd;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -1;
        fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                          &fprog);
        if (fd < 0)
                return -1;
        control.hdr.cmsg_level = SOL_SOCKET;
        control.hdr.cmsg_type = SCM_RIGHTS;
        control.hdr.cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(&control.hdr), &fd, sizeof(int));
        if (sendmsg(sock_pair[1], &msg, 0) != 1)
                return -1;
        close(fd);
        return 0;
}

static int child_verdicts(void *arg)
{
        struct stat st;
        long r;

        if (install_and_send() < 0)
                return 10;
        errno = 0;
        r = syscall(SYS_getppid);
        if (r != -1 || errno != EPERM)
                return 11;
        if (syscall(SYS_getppid) != 4242)
                return 12;
        if (syscall(SYS_getppid) != (long)*(pid_t *)arg)
                return 13;
        r = syscall(SYS_getppid); /* answered by ADDFD|SEND with /dev/null's copy */
        if (r < 0 || fstat((int)r, &st) < 0 || !S_ISCHR(st.st_mode) ||
            st.st_rdev != makedev(1, 3) || !(fcntl((int)r, F_GETFD) & FD_CLOEXEC))
                return 14;
        return 0;
}

static int child_held(void *arg)
{
        if (install_and_send() < 0)
                return 10;
        syscall(SYS_getppid); /* the parent kills us while holding this */
        return 20;
}

static int take_listener(void)
{
        union {
                struct cmsghdr hdr;
                char b[CMSG_SPACE(sizeof(int))];
        } control = {};
        char byte;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr msg = { .msg_iov = &iov,
                              .msg_iovlen = 1,
                              .msg_control = control.b,
                              .msg_controllen = sizeof(control.b) };
        struct pollfd p = { .fd = sock_pair[0], .events = POLLIN };
        int fd = -1;

        if (poll(&p, 1, 120000) != 1 || recvmsg(sock_pair[0], &msg, MSG_CMSG_CLOEXEC) != 1)
                return -1;
        if (control.hdr.cmsg_type != SCM_RIGHTS)
                return -1;
        memcpy(&fd, CMSG_DATA(&control.hdr), sizeof(int));
        return fd;
}

/* Wait until the listener is readable and receive; -ETIMEDOUT after 120 s (a hang guard). */
static int recv_one(int listener, struct seccomp_notif *req)
{
        struct pollfd p = { .fd = listener, .events = POLLIN };
        int r;

        for (;;) {
                if (poll(&p, 1, 120000) != 1)
                        return -ETIMEDOUT;
                if (p.revents & POLLHUP && !(p.revents & POLLIN))
                        return -EPIPE;
                r = scmpd_notify_receive(listener, req);
                if (r != -ENOENT && r != -EINTR)
                        return r;
        }
}

static void run_verdicts(void)
{
        struct seccomp_notif *req = NULL;
        struct scmpd_notify_addfd a = { .target_fd = -1, .cloexec = true, .send = true };
        pid_t self = getpid(), pid;
        int listener, status, r;
        struct pollfd p;

        pid = child_spawn(child_verdicts, &self);
        CHECK(pid > 0, "fork");
        listener = take_listener();
        CHECK(listener >= 0, "no listener from the child");
        CHECK(scmpd_notify_is_listener(listener) == 1, "received fd is not a listener");
        CHECK(scmpd_notify_alloc(&req, NULL) == 0, "alloc");
        if (listener < 0 || !req)
                goto out;
        if (scmpd_notify_has(SCMPD_NOTIFY_FEATURE_SYNC_WAKE_UP) == 1)
                CHECK(scmpd_notify_set_flags(listener, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0,
                      "set_flags");

        r = recv_one(listener, req);
        CHECK(r == 0, "recv 1: %d", r);
        CHECK(req->pid == (uint32_t)pid, "pid %u != child %d", req->pid, pid);
        CHECK(req->data.nr == SYS_getppid, "nr %d", req->data.nr);
        CHECK(req->data.arch == AUDIT_ARCH_X86_64, "arch %x", req->data.arch);
        CHECK(scmpd_notify_id_valid(listener, req->id) == 0, "id_valid");
        r = scmpd_notify_respond_errno(listener, req->id, EPERM);
        CHECK(r == 0, "respond errno: %d", r);
        /* Until the woken target has taken its answer the kernel still holds the entry in the
         * REPLIED state and says EINPROGRESS; after that the id is unknown (ENOENT). Either way
         * a second answer must be refused. */
        r = scmpd_notify_respond_errno(listener, req->id, EPERM);
        CHECK(r == -ENOENT || r == -EINPROGRESS,
              "second answer to the same id must fail with ENOENT or EINPROGRESS, got %d", r);

        CHECK(recv_one(listener, req) == 0, "recv 2");
        CHECK(scmpd_notify_respond_value(listener, req->id, 4242) == 0, "respond value");

        CHECK(recv_one(listener, req) == 0, "recv 3");
        CHECK(scmpd_notify_respond_continue(listener, req->id) == 0, "respond continue");

        CHECK(recv_one(listener, req) == 0, "recv 4");
        a.src_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        r = scmpd_notify_addfd(listener, req->id, &a);
        CHECK(r >= 0, "addfd send: %d", r);
        close(a.src_fd);

        CHECK(child_reap(pid, 5000, &status) == 0, "verdict child timed out");
        pid = -1;
        CHECK(child_exited_with(status, 0), "verdict child: %s", child_status_str(status));
        /* The child is gone and reaped: the listener hangs up. */
        p = (struct pollfd){ .fd = listener, .events = POLLIN };
        CHECK(poll(&p, 1, 120000) == 1 && (p.revents & POLLHUP), "no POLLHUP after exit");
out:
        if (pid > 0)
                child_reap(pid, 0, &status);
        scmpd_notify_free(req, NULL);
        if (listener >= 0)
                close(listener);
}

static void run_target_killed(void)
{
        struct seccomp_notif *req = NULL;
        int listener, status, r;
        pid_t pid;

        pid = child_spawn(child_held, NULL);
        CHECK(pid > 0, "fork");
        listener = take_listener();
        CHECK(listener >= 0, "no listener");
        CHECK(scmpd_notify_alloc(&req, NULL) == 0, "alloc");
        if (listener >= 0 && req) {
                r = recv_one(listener, req);
                CHECK(r == 0, "recv: %d", r);
                kill(pid, SIGKILL);
                child_reap(pid, 5000, &status);
                pid = -1;
                CHECK(child_killed_by(status, SIGKILL), "child: %s", child_status_str(status));
                CHECK(scmpd_notify_id_valid(listener, req->id) == -ENOENT, "id still valid");
                r = scmpd_notify_respond_continue(listener, req->id);
                CHECK(r == -ENOENT, "respond to a dead target: %d", r);
        }
        if (pid > 0)
                child_reap(pid, 0, &status);
        scmpd_notify_free(req, NULL);
        if (listener >= 0)
                close(listener);
}

int main(void)
{
        if (scmpd_notify_has(SCMPD_NOTIFY_FEATURE_USER_NOTIF) != 1) {
                fprintf(stderr, "no seccomp user notification here\n");
                return SKIP;
        }
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock_pair) < 0)
                return 1;
        run_verdicts();
        run_target_killed();
        printf("%s\n", fails ? "FAILED" : "ok");
        return fails ? 1 : 0;
}
