/*
 * Live: filters built with libscmpd and loaded with scmpd_filter_load() in forked children, one
 * per action: KILL_PROCESS, KILL_THREAD (the thread dies, the process lives on), TRAP (SIGSYS
 * with the right si_syscall, si_arch and si_errno), ERRNO values, TRACE without a tracer
 * (ENOSYS), LOG, 64-bit argument comparisons as the kernel sees them, the TSYNC, LOG and
 * SPEC_ALLOW flags (TSYNC with a listener too), and NOTIFY answered by a supervisor here over
 * the listener fd the load returned (raw ioctls); a second notifying filter loaded with the
 * first one's listener (scmpd_filter_load_shared_listener()). Exit 77 without seccomp.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "scmpd/filter.h"

#include "check.h"

/* A filter: default ALLOW, `action` for getppid (optionally only when a0 == datum). */
static int load_one(uint32_t action, bool with_arg, uint64_t datum)
{
        struct scmpd_filter *f = NULL;
        struct scmpd_arg_cmp cmp = { .arg = 0, .op = SCMPD_CMP_EQ, .datum_a = datum };
        int r;

        r = scmpd_filter_new(SCMPD_ACT_ALLOW, &f);
        if (r < 0)
                return r;
        r = scmpd_filter_rule_add(f, action, SYS_getppid, 0, with_arg ? 1 : 0,
                                  with_arg ? &cmp : NULL);
        if (r == 0)
                r = scmpd_filter_load(f);
        if (r == 0 && scmpd_filter_uses_notify(f))
                r = scmpd_filter_listener_fd(f);
        scmpd_filter_free(f);
        return r;
}

static int child_kill_process(void *arg)
{
        if (load_one(SCMPD_ACT_KILL_PROCESS, false, 0) < 0)
                return 10;
        syscall(SYS_getppid);
        return 11;
}

static void *thread_getppid(void *arg)
{
        syscall(SYS_getppid);
        *(int *)arg = 1; /* not reached: the thread is killed */
        return NULL;
}

static int child_kill_thread(void *arg)
{
        pthread_t t;
        int reached = 0;

        if (load_one(SCMPD_ACT_KILL_THREAD, false, 0) < 0)
                return 10;
        if (pthread_create(&t, NULL, thread_getppid, &reached) != 0)
                return 11;
        if (pthread_join(t, NULL) != 0)
                return 12;
        return reached ? 13 : 0; /* the process survives its thread */
}

static volatile sig_atomic_t trap_nr = -1, trap_arch, trap_errno, trap_code;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
        trap_nr = si->si_syscall;
        trap_arch = (sig_atomic_t)si->si_arch;
        trap_errno = si->si_errno;
        trap_code = si->si_code;
}

static int child_trap(void *arg)
{
        struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

        if (sigaction(SIGSYS, &sa, NULL) < 0)
                return 10;
        if (load_one(SCMPD_ACT_TRAP, false, 0) < 0)
                return 11;
        syscall(SYS_getppid);
        if (trap_nr != SYS_getppid)
                return 12;
        if ((uint32_t)trap_arch != AUDIT_ARCH_X86_64)
                return 13;
        if (trap_code != 1 /* SYS_SECCOMP */)
                return 14;
        if (trap_errno != 0)
                return 15;
        return 0;
}

static int child_errno(void *arg)
{
        int e = (int)(intptr_t)arg;

        if (load_one(SCMPD_ACT_ERRNO(e), false, 0) < 0)
                return 10;
        errno = 0;
        long r = syscall(SYS_getppid);
        if (e == 0)
                return r == 0 ? 0 : 11; /* ERRNO(0): "success" without running the call */
        if (r != -1 || errno != e)
                return 12;
        if (syscall(SYS_getpid) != getpid())
                return 13;
        return 0;
}

static int child_trace(void *arg)
{
        if (load_one(SCMPD_ACT_TRACE(7), false, 0) < 0)
                return 10;
        errno = 0;
        if (syscall(SYS_getppid) != -1 || errno != ENOSYS)
                return 11; /* no tracer: the kernel fails the call with ENOSYS */
        return 0;
}

static int child_log(void *arg)
{
        pid_t parent = getppid();

        if (load_one(SCMPD_ACT_LOG, false, 0) < 0)
                return 10;
        if (syscall(SYS_getppid) != parent)
                return 11; /* LOG lets the call through */
        return 0;
}

/* 64-bit comparisons: both halves are compared by the kernel-run program. */
static int child_args(void *arg)
{
        if (load_one(SCMPD_ACT_ERRNO(EXDEV), true, UINT64_C(0x100000005)) < 0)
                return 10;
        errno = 0;
        if (syscall(SYS_getppid, UINT64_C(0x100000005)) != -1 || errno != EXDEV)
                return 11;
        if (syscall(SYS_getppid, UINT64_C(5)) < 0)
                return 12; /* same low word, other high word: allowed */
        if (syscall(SYS_getppid, UINT64_C(0x200000005)) < 0)
                return 13;
        return 0;
}

/* TSYNC: a thread that exists before the load gets the filter too; LOG and SPEC_ALLOW are
 * accepted; TSYNC with a listener goes through TSYNC_ESRCH. */
static pthread_barrier_t tsync_barrier;
static long tsync_result;
static int tsync_errno;

static void *thread_after_load(void *arg)
{
        pthread_barrier_wait(&tsync_barrier); /* the main thread loads meanwhile */
        pthread_barrier_wait(&tsync_barrier);
        errno = 0;
        tsync_result = syscall(SYS_getppid);
        tsync_errno = errno;
        return NULL;
}

static int child_tsync(void *arg)
{
        struct scmpd_filter *f = NULL;
        bool with_notify = arg != NULL;
        pthread_t t;
        int r;

        if (pthread_barrier_init(&tsync_barrier, NULL, 2) != 0)
                return 10;
        if (pthread_create(&t, NULL, thread_after_load, NULL) != 0)
                return 11;
        pthread_barrier_wait(&tsync_barrier);
        if (scmpd_filter_new(SCMPD_ACT_ALLOW, &f) < 0)
                return 12;
        if (scmpd_filter_attr_set(f, SCMPD_ATTR_TSYNC, 1) < 0 ||
            scmpd_filter_attr_set(f, SCMPD_ATTR_LOG, 1) < 0 ||
            scmpd_filter_attr_set(f, SCMPD_ATTR_SSB, 1) < 0)
                return 13;
        if (scmpd_filter_rule_add(f, SCMPD_ACT_ERRNO(EXDEV), SYS_getppid, 0, 0, NULL) < 0)
                return 14;
        if (with_notify && scmpd_filter_rule_add(f, SCMPD_ACT_NOTIFY, SYS_getpgid, 0, 0, NULL) < 0)
                return 15;
        r = scmpd_filter_load(f);
        if (r < 0) {
                fprintf(stderr, "load: %s\n", strerror(-r));
                return 16;
        }
        if (with_notify && scmpd_filter_listener_fd(f) < 0)
                return 17;
        if (!with_notify && scmpd_filter_listener_fd(f) != -ENOENT)
                return 18;
        scmpd_filter_free(f);
        pthread_barrier_wait(&tsync_barrier);
        pthread_join(t, NULL);
        if (tsync_result != -1 || tsync_errno != EXDEV)
                return 19; /* the older thread was synchronised */
        return 0;
}

/* A kernel refusal: without no_new_privs and without CAP_SYS_ADMIN the kernel says EACCES;
 * load reports -ECANCELED, or -EACCES with RAW_RC, as libseccomp does. */
static int child_refused(void *arg)
{
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2];
        struct scmpd_filter *f = NULL;
        int r, want = arg ? -EACCES : -ECANCELED;

        memset(data, 0, sizeof(data));
        if (syscall(SYS_capset, &hdr, data) < 0)
                return 10;
        if (scmpd_filter_new(SCMPD_ACT_ALLOW, &f) < 0)
                return 11;
        if (scmpd_filter_attr_set(f, SCMPD_ATTR_NO_NEW_PRIVS, 0) < 0 ||
            scmpd_filter_attr_set(f, SCMPD_ATTR_RAW_RC, arg ? 1 : 0) < 0 ||
            scmpd_filter_rule_add(f, SCMPD_ACT_ERRNO(1), SYS_getppid, 0, 0, NULL) < 0)
                return 12;
        r = scmpd_filter_load(f);
        scmpd_filter_free(f);
        if (r != want) {
                fprintf(stderr, "load: %d, want %d\n", r, want);
                return 13;
        }
        if (syscall(SYS_getppid) < 0)
                return 14; /* nothing was loaded */
        return 0;
}

static int send_fd(int sock, int fd)
{
        char data = 'f';
        struct iovec iov = { .iov_base = &data, .iov_len = 1 };
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } u;
        struct msghdr msg = { .msg_iov = &iov,
                              .msg_iovlen = 1,
                              .msg_control = u.buf,
                              .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

        memset(u.buf, 0, sizeof(u.buf));
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
        char data;
        struct iovec iov = { .iov_base = &data, .iov_len = 1 };
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } u;
        struct msghdr msg = { .msg_iov = &iov,
                              .msg_iovlen = 1,
                              .msg_control = u.buf,
                              .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *c;
        int fd;

        if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
                return -errno;
        c = CMSG_FIRSTHDR(&msg);
        if (!c || c->cmsg_type != SCM_RIGHTS)
                return -EBADMSG;
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        return fd;
}

static int notify_sock = -1;

static int child_notify(void *arg)
{
        int fd = load_one(SCMPD_ACT_NOTIFY, false, 0);

        if (fd < 0)
                return 10;
        if (send_fd(notify_sock, fd) < 0)
                return 11;
        close(fd);
        /* The supervisor answers 4242 for the first call and EXDEV for the second. */
        if (syscall(SYS_getppid) != 4242)
                return 12;
        errno = 0;
        if (syscall(SYS_getppid) != -1 || errno != EXDEV)
                return 13;
        return 0;
}

static void supervise(pid_t pid, int listener)
{
        for (int i = 0; i < 2; i++) {
                struct seccomp_notif req;
                struct seccomp_notif_resp resp;

                memset(&req, 0, sizeof(req));
                if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
                        CHECK(false, "NOTIF_RECV: %s", strerror(errno));
                        return;
                }
                CHECK(req.data.nr == SYS_getppid, "notified nr %d", req.data.nr);
                CHECK(req.data.arch == AUDIT_ARCH_X86_64, "notified arch %#x", req.data.arch);
                CHECK((pid_t)req.pid == pid, "notified pid %u, child %d", req.pid, pid);
                memset(&resp, 0, sizeof(resp));
                resp.id = req.id;
                if (i == 0)
                        resp.val = 4242;
                else
                        resp.error = -EXDEV;
                CHECK(ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0, "NOTIF_SEND: %s",
                      strerror(errno));
        }
}

/*
 * Two notifying filters, the second loaded with the first one's listener (libseccomp's one
 * listener per process): the second load creates no listener (the kernel refuses a second
 * NEW_LISTENER with EBUSY, so a plain load of it must fail), the filter reports the shared fd,
 * and the second filter's NOTIFY, having no listener of its own, fails the call with ENOSYS.
 */
static int child_shared_listener(void *arg)
{
        struct scmpd_filter *a = NULL, *b = NULL, *c = NULL;
        int fd, r;

        (void)arg;
        if (scmpd_filter_new(SCMPD_ACT_ALLOW, &a) < 0 ||
            scmpd_filter_new(SCMPD_ACT_ALLOW, &b) < 0 || scmpd_filter_new(SCMPD_ACT_ALLOW, &c) < 0)
                return 10;
        if (scmpd_filter_rule_add(a, SCMPD_ACT_NOTIFY, SYS_getppid, 0, 0, NULL) < 0 ||
            scmpd_filter_rule_add(b, SCMPD_ACT_NOTIFY, SYS_getpgid, 0, 0, NULL) < 0 ||
            scmpd_filter_rule_add(c, SCMPD_ACT_NOTIFY, SYS_getpgid, 0, 0, NULL) < 0 ||
            scmpd_filter_attr_set(c, SCMPD_ATTR_RAW_RC, 1) < 0)
                return 11;
        if (scmpd_filter_load_shared_listener(a, -1) < 0)
                return 12;
        fd = scmpd_filter_listener_fd(a);
        if (fd < 0)
                return 13;
        r = scmpd_filter_load(c);
        if (r != -EBUSY)
                return 14;
        if (scmpd_filter_load_shared_listener(b, fd) < 0)
                return 15;
        if (scmpd_filter_listener_fd(b) != fd)
                return 16;
        errno = 0;
        if (syscall(SYS_getpgid, 0) != -1 || errno != ENOSYS)
                return 17;
        scmpd_filter_free(a);
        scmpd_filter_free(b);
        scmpd_filter_free(c);
        return 0;
}

static void run(const char *what, int (*fn)(void *), void *arg, int want_sig)
{
        int status;
        pid_t pid = child_spawn(fn, arg);

        CHECK(pid > 0, "%s: fork", what);
        if (pid <= 0)
                return;
        CHECK(child_reap(pid, 10000, &status) == 0, "%s: timed out", what);
        if (want_sig)
                CHECK(child_killed_by(status, want_sig), "%s: %s", what, child_status_str(status));
        else
                CHECK(child_exited_with(status, 0), "%s: %s", what, child_status_str(status));
}

int main(void)
{
        static const int errnos[] = { 0, EPERM, ENOTBLK, 4094 };
        int sv[2], status, listener;
        pid_t pid;

        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
                return SKIP;

        run("KILL_PROCESS", child_kill_process, NULL, SIGSYS);
        run("KILL_THREAD", child_kill_thread, NULL, 0);
        run("TRAP", child_trap, NULL, 0);
        for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
                char what[32];
                snprintf(what, sizeof(what), "ERRNO(%d)", errnos[i]);
                run(what, child_errno, (void *)(intptr_t)errnos[i], 0);
        }
        run("TRACE", child_trace, NULL, 0);
        run("LOG", child_log, NULL, 0);
        run("64-bit args", child_args, NULL, 0);
        run("TSYNC+LOG+SPEC_ALLOW", child_tsync, NULL, 0);
        run("TSYNC+NOTIFY", child_tsync, (void *)1, 0);
        run("refused (ECANCELED)", child_refused, NULL, 0);
        run("refused (RAW_RC)", child_refused, (void *)1, 0);
        run("shared listener", child_shared_listener, NULL, 0);

        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
        notify_sock = sv[1];
        pid = child_spawn(child_notify, NULL);
        CHECK(pid > 0, "NOTIFY: fork");
        if (pid > 0) {
                close(sv[1]);
                listener = recv_fd(sv[0]);
                CHECK(listener >= 0, "NOTIFY: no listener fd: %s", strerror(-listener));
                if (listener >= 0) {
                        supervise(pid, listener);
                        close(listener);
                }
                CHECK(child_reap(pid, 10000, &status) == 0, "NOTIFY: timed out");
                CHECK(child_exited_with(status, 0), "NOTIFY: %s", child_status_str(status));
        }
        close(sv[0]);

        printf("%s\n", fails ? "FAILED" : "ok");
        return fails ? 1 : 0;
}
