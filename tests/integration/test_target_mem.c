/*
 * target.c's memory and pid-namespace primitives against a real trapped process (live; root).
 *
 * A child enters a new pid namespace; its first process there (pid 1) maps a writable page, a
 * read-only page, and a writable page followed by a hole, tells us where they are, loads a
 * filter that hands sysinfo(2) to us and calls it. While that call is pending this test opens it
 * with target_open() and checks what target_write() refuses, exactly where the kernel's
 * copy_to_user() would fail (NULL, unmapped, read-only, a range crossing into the hole), that a
 * refused write changed nothing (in particular on the read-only page, which a plain write
 * through /proc/<pid>/mem would change), that a good write lands, what target_read() returns,
 * that target_pidns_init() finds the namespace's pid 1 and target_resolve_tid() translates pids
 * of that namespace (0, 1, a missing one). The child then checks its memory from its own side.
 * After the answer, every primitive reports the notification gone (-ENOENT).
 *
 * Usage: test-target-mem. Needs root (exit 77 otherwise).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/check.h"
#include "../common/child.h"
#include "notify_filter.h"
#include "target.h"

struct layout {
        uint64_t rw, ro, edge; /* edge: a writable page, then a hole */
        uint64_t none;         /* PROT_NONE */
        long page;
};

static int send_fd(int sock, int fd, const void *data, size_t len)
{
        char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
        struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
        struct cmsghdr *c;

        if (fd >= 0) {
                m.msg_control = cbuf;
                m.msg_controllen = sizeof(cbuf);
                c = CMSG_FIRSTHDR(&m);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        return sendmsg(sock, &m, 0) == (ssize_t)len ? 0 : -1;
}

static int recv_fd(int sock, void *data, size_t len)
{
        char cbuf[CMSG_SPACE(sizeof(int))];
        struct iovec iov = { .iov_base = data, .iov_len = len };
        struct msghdr m = { .msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = cbuf,
                            .msg_controllen = sizeof(cbuf) };
        struct cmsghdr *c;
        int fd = -1;

        if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != (ssize_t)len)
                return -1;
        c = CMSG_FIRSTHDR(&m);
        if (c && c->cmsg_type == SCM_RIGHTS)
                memcpy(&fd, CMSG_DATA(c), sizeof(int));
        return fd;
}

/* pid 1 of the new namespace: the trapped process. Exit 0 when its own checks pass. */
static int trapped(int sock)
{
        static const int nrs[] = { SYS_sysinfo };
        struct layout l = { .page = sysconf(_SC_PAGESIZE) };
        char *rw, *ro, *edge, *none;
        long r;
        int listener;
        char c;

        rw = mmap(NULL, (size_t)l.page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ro = mmap(NULL, (size_t)l.page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        edge = mmap(NULL, 2 * (size_t)l.page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                    -1, 0);
        none = mmap(NULL, (size_t)l.page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (rw == MAP_FAILED || ro == MAP_FAILED || edge == MAP_FAILED || none == MAP_FAILED)
                return 10;
        l.none = (uintptr_t)none;
        memset(rw, 'a', (size_t)l.page);
        memset(ro, 'r', (size_t)l.page);
        memset(edge, 'e', (size_t)l.page);
        if (mprotect(ro, (size_t)l.page, PROT_READ) < 0 ||
            munmap(edge + l.page, (size_t)l.page) < 0)
                return 11;
        l.rw = (uintptr_t)rw;
        l.ro = (uintptr_t)ro;
        l.edge = (uintptr_t)edge;
        listener = test_install_notify_filter(nrs, 1);
        if (listener < 0)
                return 12;
        if (send_fd(sock, listener, &l, sizeof(l)) < 0)
                return 13;
        close(listener);
        r = syscall(SYS_sysinfo, rw); /* pending until the test has probed us */
        if (r != 0)
                return 14;
        /* Our side: the good write landed, the refused ones changed nothing. */
        if (memcmp(rw, "written!", 8) != 0)
                return 15;
        for (long i = 0; i < l.page; i++)
                if (ro[i] != 'r')
                        return 16;
        for (long i = 0; i < l.page; i++)
                if (edge[i] != 'e')
                        return 17;
        c = 'k';
        return write(sock, &c, 1) == 1 ? 0 : 18;
}

static int child(void *arg)
{
        int sock = *(int *)arg, status;
        pid_t pid;

        if (unshare(CLONE_NEWPID) < 0)
                return 20;
        pid = fork();
        if (pid < 0)
                return 21;
        if (pid == 0)
                _exit(trapped(sock));
        if (waitpid(pid, &status, 0) < 0)
                return 22;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 23;
}

int main(void)
{
        struct seccomp_notif req;
        struct target t = TARGET_INIT;
        struct layout l;
        char buf[64], cg[256];
        uint64_t start;
        pid_t init, tid;
        int sv[2], listener, status = 0, pidfd = -1, r;
        bool same, host;
        pid_t pid;

        if (geteuid() != 0) {
                printf("SKIP: needs root\n");
                return 77;
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return 2;
        pid = child_spawn(child, &sv[1]);
        if (pid < 0)
                return 2;
        close(sv[1]);
        listener = recv_fd(sv[0], &l, sizeof(l));
        check(listener >= 0, "got the listener and the layout");
        if (listener < 0)
                goto out;
        memset(&req, 0, sizeof(req));
        r = scmpd_notify_receive(listener, &req);
        check(r == 0 && req.data.nr == SYS_sysinfo, "received sysinfo (%d)", r);
        r = target_open(listener, req.id, (pid_t)req.pid, &t);
        check(r == 0, "target_open (%s)", strerror(-r));
        if (r < 0)
                goto out;

        /* target_write refuses what copy_to_user() would fail on, and writes nothing then. */
        check(target_write(&t, 0, "x", 1) == -EFAULT, "write to NULL: EFAULT");
        check(target_write(&t, l.edge + (uint64_t)l.page, "x", 1) == -EFAULT,
              "write to an unmapped page: EFAULT");
        check(target_write(&t, l.ro, "XXXXXXXX", 8) == -EFAULT,
              "write to a read-only page: EFAULT");
        check(target_write(&t, l.edge + (uint64_t)l.page - 4, "XXXXXXXX", 8) == -EFAULT,
              "write crossing from a writable page into a hole: EFAULT");
        check(target_write(&t, UINT64_MAX - 3, "XXXXXXXX", 8) == -EFAULT,
              "write wrapping around the address space: EFAULT");
        check(target_write(&t, l.rw, "written!", 8) == 0, "write to a writable page");
        check(target_write(&t, l.rw + (uint64_t)l.page - 8, "abcdefgh", 8) == 0 &&
                      target_read(&t, l.rw + (uint64_t)l.page - 8, buf, 8) == 0 &&
                      memcmp(buf, "abcdefgh", 8) == 0,
              "write ending exactly at the page's end, read back");

        /* target_read: one read, EFAULT where unreadable. */
        check(target_read(&t, l.ro, buf, 8) == 0 && memcmp(buf, "rrrrrrrr", 8) == 0,
              "read from the read-only page");
        check(target_read(&t, 0, buf, 8) == -EFAULT, "read from NULL: EFAULT");
        check(target_read(&t, l.none, buf, 8) == -EFAULT,
              "read from a PROT_NONE page: EFAULT (the mem file alone would read it)");
        check(target_write(&t, l.none, "x", 1) == -EFAULT, "write to a PROT_NONE page: EFAULT");
        check(target_read(&t, l.edge + (uint64_t)l.page - 4, buf, 8) == -EFAULT,
              "read crossing into a hole: EFAULT");

        /* The pid namespace: the trapped process is its pid 1. */
        r = target_pidns_init(&t, &init, &start);
        check(r == 0 && init == (pid_t)req.pid && start > 0,
              "target_pidns_init finds the namespace's init: host pid %d (trapped %u): %s",
              (int)init, req.pid, strerror(-r));
        r = target_resolve_tid(&t, 1, &tid, &pidfd, &same);
        check(r == 0 && tid == (pid_t)req.pid && same, "pid 1 of its namespace is itself (%s)",
              strerror(-r));
        if (pidfd >= 0)
                close(pidfd);
        pidfd = -1;
        r = target_resolve_tid(&t, 0, &tid, &pidfd, &same);
        check(r == 0 && tid == (pid_t)req.pid && same, "pid 0 is the caller");
        if (pidfd >= 0)
                close(pidfd);
        pidfd = -1;
        check(target_resolve_tid(&t, 2, &tid, &pidfd, &same) == -ESRCH,
              "pid 2 does not exist in its namespace: ESRCH");
        check(target_host_pidns(&t, &host) == 0 && !host, "its pid namespace is not the host's");
        check(target_read_proc(&t, "cgroup", cg, sizeof(cg)) > 0, "its cgroup file is readable");

        r = scmpd_notify_respond_value(listener, req.id, 0);
        check(r == 0, "answered");
        check(read(sv[0], buf, 1) == 1, "the child checked its memory");
        child_reap(pid, 120000, &status);
        pid = -1;
        check(child_exited_with(status, 0), "child: %s", child_status_str(status));
        /* The notification is over: everything says so. */
        check(target_write(&t, l.rw, "x", 1) == -ENOENT, "write after the answer: ENOENT");
        check(target_read(&t, l.rw, buf, 1) == -ENOENT, "read after the answer: ENOENT");
        check(target_pidns_init(&t, &init, &start) == -ENOENT, "pidns init after: ENOENT");
out:
        target_close(&t);
        if (pid > 0) {
                kill(pid, SIGKILL);
                child_reap(pid, 120000, &status);
        }
        printf("target-mem: %d failure(s)\n", fails);
        return fails ? 1 : 0;
}
