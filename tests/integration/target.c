/*
 * The integration tests' target and hostile peer. Built without sanitizers and without libscmpd
 * (it compiles the library's handoff.c and notify.c in directly), because in "run" mode it lives
 * under a seccomp filter that a sanitizer runtime's own syscalls could trip.
 *
 *   target run SOCK [--metadata M] [--id ID] [--annotation K=V] [--wait-file F]
 *              [--threads N] [--restart-signal MS] CHECK...
 *      Install a filter that notifies getppid, getpgid, getsid, mkdir, mkdirat and uname, hand the
 *      listener to scmpd at SOCK with scmpd_handoff_send_to(), optionally wait until file F
 *      exists, then run each CHECK and compare what the syscall returned:
 *        SYSCALL[:PATH]=errno:NAME | value:N | continue | killed
 *      (PATH is for mkdir). --threads runs each check in N threads at once; --restart-signal
 *      sends the main thread a SIGUSR1 (SA_RESTART) MS ms after its first check entered its
 *      syscall (seen in /proc), so the held syscall is interrupted and restarted as a new
 *      notification from the same thread.
 *      Exit 0 when every check held, 1 otherwise, 2 on setup errors.
 *   target bad MODE SOCK
 *      Connect to SOCK and misbehave: nofd, twonamed, toomanyfds, notseccomp, big, garbage,
 *      half, slow, silent. Exit 0 when scmpd closed the connection on us (EOF) within 120 s.
 *   target good-extra-fd SOCK CHECK...   like run, but also send /dev/null as a second fd
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "scmpd/handoff.h"
#include "scmpd/notify.h"
#include "notify_filter.h"

static pid_t parent_pid;  /* read before the filter traps getppid */
static int n_threads = 1; /* --threads: run each check in this many threads at once */
static long restart_ms;   /* --restart-signal: interrupt the first check after this long */
static pthread_t main_thread;
static pid_t main_tid;

static void on_sigusr1(int sig)
{
        (void)sig; /* only here to interrupt (and, with SA_RESTART, restart) a syscall */
}

/* Whether the main thread is inside a notified syscall now (/proc's view of its syscall). */
static bool main_in_syscall(void)
{
        char path[64], buf[64];
        long nr = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)main_tid);
        f = fopen(path, "re");
        if (!f)
                return false;
        if (fgets(buf, sizeof(buf), f))
                nr = strtol(buf, NULL, 10);
        fclose(f);
        return nr == SYS_getppid || nr == SYS_getpgid || nr == SYS_getsid;
}

/* Interrupt the main thread restart_ms after it entered its first check's syscall: counted from
 * that event, not from the thread's start, so that a slow machine cannot make the signal come
 * before there is anything to interrupt (120 s bound). */
static void *interrupter(void *arg)
{
        struct timespec ts = { restart_ms / 1000, (restart_ms % 1000) * 1000000L };
        struct timespec step = { 0, 1000000 };

        for (int i = 0; i < 120000 && !main_in_syscall(); i++)
                nanosleep(&step, NULL);
        nanosleep(&ts, NULL);
        pthread_kill(main_thread, SIGUSR1);
        return NULL;
}

static int check(const char *spec);

struct thread_check {
        const char *spec;
        int result;
};

static void *check_thread(void *arg)
{
        struct thread_check *t = arg;

        t->result = check(t->spec);
        return NULL;
}

/* Run one check, in n_threads threads at once when asked; the worst result wins. */
static int check_all(const char *spec)
{
        struct thread_check t[64];
        pthread_t tid[64];
        int worst = 0;

        if (n_threads <= 1)
                return check(spec);
        for (int i = 0; i < n_threads; i++) {
                t[i] = (struct thread_check){ .spec = spec };
                if (pthread_create(&tid[i], NULL, check_thread, &t[i]) != 0)
                        return -1;
        }
        for (int i = 0; i < n_threads; i++) {
                pthread_join(tid[i], NULL);
                if (t[i].result < 0 || (worst >= 0 && t[i].result > worst))
                        worst = t[i].result;
        }
        return worst;
}

static int install_filter(void)
{
        static const int trapped[] = { SYS_getppid, SYS_getpgid, SYS_getsid,
                                       SYS_mkdir,   SYS_mkdirat, SYS_uname };

        return test_install_notify_filter(trapped, sizeof(trapped) / sizeof(trapped[0]));
}

static int nr_of(const char *name)
{
        if (strcmp(name, "getppid") == 0)
                return SYS_getppid;
        if (strcmp(name, "getpgid") == 0)
                return SYS_getpgid;
        if (strcmp(name, "getsid") == 0)
                return SYS_getsid;
        if (strcmp(name, "mkdir") == 0)
                return SYS_mkdir;
        if (strcmp(name, "uname") == 0)
                return SYS_uname;
        return -1;
}

static const struct {
        const char *name;
        int value;
} errnos[] = {
        { "EPERM", EPERM },   { "EACCES", EACCES }, { "ENOSYS", ENOSYS }, { "EEXIST", EEXIST },
        { "ENOENT", ENOENT }, { "EBUSY", EBUSY },   { "EROFS", EROFS },   { "ENOTSUP", ENOTSUP },
};

/* Run one CHECK; 0 when it held. */
static int check(const char *spec)
{
        char buf[512], *eq, *colon, *path = NULL;
        struct utsname uts;
        long r;
        int nr, err, want_errno = 0;
        long long want_value = 0;
        enum {
                E,
                V,
                C
        } kind;

        snprintf(buf, sizeof(buf), "%s", spec);
        eq = strchr(buf, '=');
        if (!eq)
                return -1;
        *eq++ = 0;
        colon = strchr(buf, ':');
        if (colon) {
                *colon = 0;
                path = colon + 1;
        }
        nr = nr_of(buf);
        if (nr < 0) {
                fprintf(stderr, "target: unknown syscall %s\n", buf);
                return -1;
        }
        if (strncmp(eq, "errno:", 6) == 0) {
                kind = E;
                for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
                        if (strcmp(errnos[i].name, eq + 6) == 0)
                                want_errno = errnos[i].value;
                if (!want_errno)
                        return -1;
        } else if (strncmp(eq, "value:", 6) == 0) {
                kind = V;
                want_value = strtoll(eq + 6, NULL, 0);
        } else if (strcmp(eq, "continue") == 0 || strcmp(eq, "killed") == 0) {
                kind = C;
        } else {
                return -1;
        }

        errno = 0;
        if (nr == SYS_mkdir)
                r = syscall(SYS_mkdir, path ? path : "/nonexistent/x", 0700);
        else if (nr == SYS_uname)
                r = syscall(SYS_uname, &uts);
        else if (nr == SYS_getpgid || nr == SYS_getsid)
                r = syscall(nr, 0);
        else
                r = syscall(nr);
        err = errno;

        if (strcmp(eq, "killed") == 0) {
                fprintf(stderr, "target: %s survived a kill verdict (r=%ld)\n", spec, r);
                return 1;
        }
        switch (kind) {
        case E:
                if (r == -1 && err == want_errno)
                        return 0;
                break;
        case V:
                if (r == want_value)
                        return 0;
                break;
        case C:
                /* The real syscall ran: compare with what the kernel says unfiltered. */
                if (nr == SYS_getppid && r == parent_pid)
                        return 0;
                if (nr != SYS_getppid && r >= 0)
                        return 0;
                if (nr == SYS_mkdir && r == -1 && err != ENOSYS)
                        return 0;
                break;
        }
        fprintf(stderr, "target: check %s failed: r=%ld errno=%d (%s)\n", spec, r, err,
                strerror(err));
        return 1;
}

static int wait_for_file(const char *path)
{
        struct timespec step = { 0, 10 * 1000 * 1000 };

        for (int i = 0; i < 3000; i++) {
                if (access(path, F_OK) == 0)
                        return 0;
                nanosleep(&step, NULL);
        }
        return -ETIMEDOUT;
}

static int cmd_run(int argc, char **argv, bool extra_fd)
{
        const char *sock, *wait_file = NULL;
        const char *annotations[16] = {};
        struct scmpd_handoff_info info = {};
        size_t n_ann = 0;
        int i, listener, r, failed = 0;

        if (argc < 3)
                return 2;
        sock = argv[2];
        for (i = 3; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
                if (i + 1 >= argc)
                        return 2;
                if (strcmp(argv[i], "--metadata") == 0)
                        info.metadata = argv[i + 1];
                else if (strcmp(argv[i], "--id") == 0)
                        info.id = argv[i + 1];
                else if (strcmp(argv[i], "--wait-file") == 0)
                        wait_file = argv[i + 1];
                else if (strcmp(argv[i], "--threads") == 0)
                        n_threads = atoi(argv[i + 1]) < 1 || atoi(argv[i + 1]) > 64
                                            ? 1
                                            : atoi(argv[i + 1]);
                else if (strcmp(argv[i], "--restart-signal") == 0)
                        restart_ms = atol(argv[i + 1]);
                else if (strcmp(argv[i], "--annotation") == 0 && n_ann < 14) {
                        char *eq = strchr(argv[i + 1], '=');

                        if (!eq)
                                return 2;
                        *eq = 0;
                        annotations[n_ann++] = argv[i + 1];
                        annotations[n_ann++] = eq + 1;
                } else
                        return 2;
        }
        info.annotations = n_ann ? annotations : NULL;
        info.pid = getpid();
        parent_pid = getppid();

        listener = install_filter();
        if (listener < 0) {
                fprintf(stderr, "target: cannot install the filter: %s\n", strerror(-listener));
                return 2;
        }
        if (extra_fd) {
                /* Two fds, only one named: scmpd must serve fds[0] and close the other. */
                int sp = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                char json[512];
                int fds[2] = { listener, open("/dev/null", O_RDONLY | O_CLOEXEC) };
                union {
                        struct cmsghdr h;
                        char b[CMSG_SPACE(sizeof(fds))];
                } c = {};
                struct iovec iov;
                struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

                snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
                snprintf(json, sizeof(json),
                         "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\",\"extra\"],\"pid\":%d,"
                         "\"metadata\":\"%s\",\"state\":{\"id\":\"extra-fd\"}}",
                         (int)getpid(), info.metadata ? info.metadata : "");
                iov = (struct iovec){ json, strlen(json) };
                m.msg_control = c.b;
                m.msg_controllen = sizeof(c.b);
                c.h.cmsg_level = SOL_SOCKET;
                c.h.cmsg_type = SCM_RIGHTS;
                c.h.cmsg_len = CMSG_LEN(sizeof(fds));
                memcpy(CMSG_DATA(&c.h), fds, sizeof(fds));
                if (connect(sp, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
                    sendmsg(sp, &m, MSG_NOSIGNAL) != (ssize_t)strlen(json))
                        r = -errno;
                else
                        r = 0;
                close(sp);
                close(fds[1]);
        } else {
                r = scmpd_handoff_send_to(sock, listener, &info);
        }
        if (r < 0) {
                fprintf(stderr, "target: handoff to %s failed: %s\n", sock, strerror(-r));
                return 2;
        }
        close(listener);
        if (wait_file && wait_for_file(wait_file) < 0) {
                fprintf(stderr, "target: %s never appeared\n", wait_file);
                return 2;
        }
        if (restart_ms > 0) {
                struct sigaction sa = { .sa_handler = on_sigusr1, .sa_flags = SA_RESTART };
                pthread_t t;

                main_thread = pthread_self();
                main_tid = (pid_t)syscall(SYS_gettid);
                sigaction(SIGUSR1, &sa, NULL);
                if (pthread_create(&t, NULL, interrupter, NULL) != 0)
                        return 2;
                pthread_detach(t);
        }
        for (; i < argc; i++) {
                r = check_all(argv[i]);
                if (r < 0) {
                        fprintf(stderr, "target: bad check %s\n", argv[i]);
                        return 2;
                }
                failed |= r;
        }
        return failed ? 1 : 0;
}

static int connect_to(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                fprintf(stderr, "target: connect %s: %s\n", path, strerror(errno));
                exit(2);
        }
        return fd;
}

static int send_with_fds(int sock, const char *data, size_t len, const int *fds, size_t n_fds)
{
        union {
                struct cmsghdr h;
                char b[CMSG_SPACE(sizeof(int) * 32)];
        } c = {};
        struct iovec iov = { (void *)data, len };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (n_fds) {
                m.msg_control = c.b;
                m.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                c.h.cmsg_level = SOL_SOCKET;
                c.h.cmsg_type = SCM_RIGHTS;
                c.h.cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(&c.h), fds, sizeof(int) * n_fds);
        }
        return sendmsg(sock, &m, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* Wait for scmpd to close the connection: 0 on EOF (or reset) within 120 s (generous: the
 * machine may be loaded). */
static int wait_closed(int sock)
{
        struct pollfd p = { .fd = sock, .events = POLLIN };
        char b[256];

        for (;;) {
                if (poll(&p, 1, 120000) != 1)
                        return 1;
                ssize_t n = recv(sock, b, sizeof(b), MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno == ECONNRESET))
                        return 0;
                if (n < 0 && errno != EAGAIN)
                        return 1;
        }
}

static int cmd_bad(const char *mode, const char *path)
{
        char json[256];
        int sock = connect_to(path), devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int fds[20];

        snprintf(json, sizeof(json),
                 "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":%d,"
                 "\"state\":{\"id\":\"bad-%s\"}}",
                 (int)getpid(), mode);
        for (int i = 0; i < 20; i++)
                fds[i] = devnull;

        if (strcmp(mode, "nofd") == 0) {
                send_with_fds(sock, json, strlen(json), NULL, 0);
        } else if (strcmp(mode, "twonamed") == 0) {
                snprintf(json, sizeof(json), "{\"fds\":[\"seccompFd\",\"seccompFd\"],\"pid\":%d}",
                         (int)getpid());
                send_with_fds(sock, json, strlen(json), fds, 2);
        } else if (strcmp(mode, "toomanyfds") == 0) {
                send_with_fds(sock, json, strlen(json), fds, 20);
        } else if (strcmp(mode, "notseccomp") == 0) {
                send_with_fds(sock, json, strlen(json), fds, 1);
        } else if (strcmp(mode, "big") == 0) {
                size_t size = 2 * 1024 * 1024, off = 0;
                char *big = malloc(size);

                memset(big, 'x', size);
                memcpy(big, "{\"metadata\":\"", 13);
                send_with_fds(sock, big, 1, fds, 1);
                off = 1;
                while (off < size) {
                        ssize_t n = send(sock, big + off, size - off, MSG_NOSIGNAL);
                        if (n <= 0)
                                break; /* scmpd closed on us: that is the point */
                        off += (size_t)n;
                }
                free(big);
        } else if (strcmp(mode, "garbage") == 0) {
                send_with_fds(sock, "hello, scmpd\n", 13, fds, 1);
        } else if (strcmp(mode, "half") == 0) {
                send_with_fds(sock, json, strlen(json) / 2, fds, 1);
                shutdown(sock, SHUT_WR);
        } else if (strcmp(mode, "slow") == 0) {
                send_with_fds(sock, json, strlen(json) / 2, fds, 1);
        } else if (strcmp(mode, "silent") == 0) {
                /* connect and say nothing */
        } else {
                return 2;
        }
        return wait_closed(sock);
}

int main(int argc, char **argv)
{
        signal(SIGPIPE, SIG_IGN);
        if (argc >= 3 && strcmp(argv[1], "run") == 0)
                return cmd_run(argc, argv, false);
        if (argc >= 3 && strcmp(argv[1], "good-extra-fd") == 0)
                return cmd_run(argc, argv, true);
        if (argc == 4 && strcmp(argv[1], "bad") == 0)
                return cmd_bad(argv[2], argv[3]);
        fprintf(stderr, "usage: target run SOCK [OPTIONS] CHECK... | target bad MODE SOCK\n");
        return 2;
}
