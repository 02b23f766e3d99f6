/*
 * Notification benchmark: what one seccomp user notification costs, served by different
 * supervisors, and how scmpd scales with listeners.
 *
 * The workload is a target process under a filter that notifies getppid (every other syscall is
 * allowed) and calls it in a loop. Each call is one round trip: the kernel parks the target, the
 * supervisor receives the notification and answers it, the target resumes. The target times its
 * own loop (CLOCK_MONOTONIC around a fixed number of calls after a warm-up), so every
 * supervisor is measured by the same clock at the same place.
 *
 *   bench-notify roundtrip SUPERVISOR CALLS [--scmpd PATH] [--go PATH] [--pin]
 *     SUPERVISOR is one of:
 *       raw             this process: blocking RECV, then SEND CONTINUE (the floor)
 *       sync            the same loop after SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6+)
 *       poll            the sync loop waiting in poll() before each RECV: the floor of any
 *                       supervisor that receives only once the fd is readable, as an event
 *                       loop does (scmpd: one more syscall per notification than raw)
 *       go              the Go supervisor (bench/go) on libseccomp's Go bindings, CONTINUE
 *       scmpd-continue  scmpd, policy chain ["continue"]
 *       scmpd-value     scmpd, policy chain [{"value": 4242}] (an emulated return value)
 *       scmpd-audit     scmpd, policy chain ["audit", "continue"]: recording for a learned
 *                       profile (docs/learn-profile.md), held against scmpd-continue
 *     --pin puts the target on CPU 0 and the supervisor on CPU 1.
 *     Prints: notif_per_s=R mean_ns=L best_batch_ns=B (B: the fastest batch of 500 calls, the
 *     round trip when nothing else on the machine got in the way)
 *
 *   bench-notify scale LISTENERS SECONDS --scmpd PATH
 *     LISTENERS targets, each with its own listener handed to one scmpd, all calling getppid
 *     as fast as scmpd answers (CONTINUE), for SECONDS after a short warm-up. Before the loops
 *     start, every target has made one round trip (so its session exists) and then waits idle;
 *     scmpd's VmRSS is read with one such listener and with all of them.
 *     Prints: notif_per_s=R rss_one_kib=A rss_all_kib=B rss_per_listener_bytes=P
 *
 *   bench-notify scale-floor LISTENERS SECONDS
 *     The same workload served by the floor of an event loop: one process, one level-triggered
 *     epoll set over every listener, RECV and SEND CONTINUE for each ready one, nothing else
 *     (SYNC_WAKE_UP with one listener, as scmpd sets it for one busy listener). What scmpd's
 *     rows are held against: how one thread's loop scales with listeners on this machine.
 *
 * scmpd is started here (foreground, temporary sockets and config, stderr to a log file that is
 * shown on failure) and killed at the end. Every child is killed and reaped on every exit path;
 * an alarm bounds the whole run.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "notify_filter.h"
#include "proc_rss.h"

#include "scmpd/handoff.h"
#include "scmpd/notify.h"

#define WARMUP_CALLS 200
#define BATCH_CALLS 500
#define EMULATED_VALUE 4242
#define MAX_LISTENERS 4096
#define RUN_TIMEOUT_S 300

/* Children to kill on any exit path (targets, the Go supervisor, scmpd). */
static pid_t children[MAX_LISTENERS + 4];
static size_t n_children;
static char tmpdir[32];

static void kill_children(void)
{
        for (size_t i = 0; i < n_children; i++)
                if (children[i] > 0)
                        kill(children[i], SIGKILL);
        for (size_t i = 0; i < n_children; i++)
                if (children[i] > 0)
                        waitpid(children[i], NULL, 0);
        n_children = 0;
}

static void remove_tmpdir(void)
{
        char path[128];

        if (!tmpdir[0])
                return;
        static const char *const names[] = { "scmpd.sock", "control.sock", "scmpd.json",
                                             "scmpd.log" };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
                unlink(path);
        }
        rmdir(tmpdir);
}

static void on_alarm(int sig)
{
        static const char msg[] = "bench-notify: timed out\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
        (void)w;
        for (size_t i = 0; i < n_children; i++)
                if (children[i] > 0)
                        kill(children[i], SIGKILL);
        _exit(3);
}

static void die(const char *what, int err) __attribute__((noreturn));
static void die(const char *what, int err)
{
        fprintf(stderr, "bench-notify: %s: %s\n", what, strerror(err));
        kill_children();
        remove_tmpdir();
        exit(1);
}

static pid_t spawn(void)
{
        pid_t pid = fork();
        if (pid < 0)
                die("fork", errno);
        if (pid > 0)
                children[n_children++] = pid;
        return pid;
}

/* A child reaped by the caller: kill_children() must not signal its pid again. */
static void forget_child(pid_t pid)
{
        for (size_t i = 0; i < n_children; i++)
                if (children[i] == pid)
                        children[i] = 0;
}

static double now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void pin(int cpu)
{
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) < 0)
                die("sched_setaffinity", errno);
}

/* Notify getppid, allow everything else: the listener fd or a negative errno. */
static int install_filter(void)
{
        static const int nrs[] = { SYS_getppid };

        return test_install_notify_filter(nrs, 1);
}

static int send_fd(int sock, int fd)
{
        char byte = 'L';
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } u;
        struct msghdr m = { .msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = u.buf,
                            .msg_controllen = sizeof(u.buf) };
        memset(&u, 0, sizeof(u));
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
        char byte;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } u;
        struct msghdr m = { .msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = u.buf,
                            .msg_controllen = sizeof(u.buf) };
        int fd;

        if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1 || (m.msg_flags & MSG_CTRUNC))
                return -EPROTO;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
            c->cmsg_len != CMSG_LEN(sizeof(int)))
                return -EPROTO;
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        return fd;
}

/* ---- scmpd ---- */

static const char config_json[] =
        "{\n"
        "  \"limits\": { \"connections\": 4096, \"listeners\": 8192 },\n"
        "  \"default\": { \"errno\": \"ENOSYS\" },\n"
        "  \"policies\": [\n"
        "    { \"name\": \"bench continue\", \"match\": { \"metadata\": \"bench-continue\" },\n"
        "      \"rules\": [ { \"syscalls\": [\"getppid\"], \"chain\": [\"continue\"] } ] },\n"
        "    { \"name\": \"bench value\", \"match\": { \"metadata\": \"bench-value\" },\n"
        "      \"rules\": [ { \"syscalls\": [\"getppid\"], \"chain\": [{ \"value\": 4242 }] } ] "
        "},\n"
        "    { \"name\": \"bench audit\", \"match\": { \"metadata\": \"bench-audit\" },\n"
        "      \"rules\": [ { \"syscalls\": [\"getppid\"], \"chain\": [\"audit\", \"continue\"] } "
        "] }\n"
        "  ]\n"
        "}\n";

static char sock_path[64];
static pid_t scmpd_pid;

static void show_scmpd_log(void)
{
        char path[128], line[512];
        snprintf(path, sizeof(path), "%s/scmpd.log", tmpdir);
        FILE *f = fopen(path, "re");
        if (!f)
                return;
        fprintf(stderr, "--- scmpd log ---\n");
        while (fgets(line, sizeof(line), f))
                fputs(line, stderr);
        fclose(f);
}

/* A supervisor holds a listener per target, plus sockets: lift the soft fd limit to the hard. */
static void raise_nofile(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
                rl.rlim_cur = rl.rlim_max;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
}

static void start_scmpd(const char *binary)
{
        char conf[128], control[128], log[128];

        snprintf(tmpdir, sizeof(tmpdir), "/tmp/bench-notify.XXXXXX");
        if (!mkdtemp(tmpdir))
                die("mkdtemp", errno);
        snprintf(sock_path, sizeof(sock_path), "%s/scmpd.sock", tmpdir);
        snprintf(conf, sizeof(conf), "%s/scmpd.json", tmpdir);
        snprintf(control, sizeof(control), "%s/control.sock", tmpdir);
        snprintf(log, sizeof(log), "%s/scmpd.log", tmpdir);

        FILE *f = fopen(conf, "we");
        if (!f || fputs(config_json, f) < 0 || fclose(f) != 0)
                die("writing the scmpd config", errno);

        pid_t pid = spawn();
        if (pid == 0) {
                raise_nofile();
                int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (out >= 0) {
                        dup2(out, STDERR_FILENO);
                        dup2(out, STDOUT_FILENO);
                }
                execl(binary, binary, "--foreground", "--log-target", "stderr", "--log-level",
                      "warning", "--config", conf, "--listen", sock_path, "--control", control,
                      (char *)NULL);
                _exit(127);
        }
        scmpd_pid = pid;

        /* Ready once the handoff socket accepts connections. */
        for (int i = 0; i < 1000; i++) {
                int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                struct sockaddr_un a = { .sun_family = AF_UNIX };
                memcpy(a.sun_path, sock_path, strlen(sock_path) + 1); /* < 40 bytes */
                if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
                        close(s);
                        return;
                }
                if (s >= 0)
                        close(s);
                if (waitpid(pid, NULL, WNOHANG) == pid) {
                        forget_child(pid);
                        show_scmpd_log();
                        die("scmpd exited at start", ECHILD);
                }
                usleep(10000);
        }
        show_scmpd_log();
        die("scmpd did not open its socket", ETIMEDOUT);
}

/* ---- round trip ---- */

enum supervisor {
        SUP_RAW,
        SUP_SYNC,
        SUP_POLL,
        SUP_GO,
        SUP_SCMPD_CONTINUE,
        SUP_SCMPD_VALUE,
        SUP_SCMPD_AUDIT
};

/*
 * The target: install the filter, give the listener away (to the parent over `sock`, or to scmpd
 * with a handoff), wait for the go byte on `sock`, check the first answer, warm up, time
 * `calls` round trips and write the elapsed nanoseconds to `sock`. Never returns.
 */
static void target_roundtrip(enum supervisor sup, int sock, unsigned long calls, bool pinned)
{
        pid_t real_ppid = getppid();
        char go;

        if (pinned)
                pin(1);
        int fd = install_filter();
        if (fd < 0)
                _exit(10);
        if (sup == SUP_SCMPD_CONTINUE || sup == SUP_SCMPD_VALUE || sup == SUP_SCMPD_AUDIT) {
                struct scmpd_handoff_info info = {
                        .pid = getpid(),
                        .metadata = sup == SUP_SCMPD_VALUE   ? "bench-value"
                                    : sup == SUP_SCMPD_AUDIT ? "bench-audit"
                                                             : "bench-continue",
                };
                if (scmpd_handoff_send_to(sock_path, fd, &info) < 0)
                        _exit(11);
        } else if (send_fd(sock, fd) < 0) {
                _exit(11);
        }
        close(fd);
        if (read(sock, &go, 1) != 1)
                _exit(12);

        long want = sup == SUP_SCMPD_VALUE ? EMULATED_VALUE : (long)real_ppid;
        for (unsigned i = 0; i < WARMUP_CALLS; i++)
                if (syscall(SYS_getppid) != want)
                        _exit(13);
        /* Every answer is checked (a compare is noise next to a round trip). The loop runs in
         * batches; the fastest batch is the round trip undisturbed by the rest of the machine. */
        unsigned long wrong = 0;
        double res[2] = { 0, 0 }; /* elapsed, fastest batch's mean */
        double t0 = now_ns(), tb = t0;
        for (unsigned long i = 0; i < calls; i++) {
                wrong += syscall(SYS_getppid) != want;
                if ((i + 1) % BATCH_CALLS == 0) {
                        double t = now_ns(), per = (t - tb) / BATCH_CALLS;
                        if (res[1] == 0 || per < res[1])
                                res[1] = per;
                        tb = t;
                }
        }
        res[0] = now_ns() - t0;
        if (wrong)
                _exit(15);
        if (res[1] == 0)
                res[1] = res[0] / (double)calls;
        if (write(sock, res, sizeof(res)) != sizeof(res))
                _exit(14);
        _exit(0);
}

static void serve_raw(int listener, unsigned long count, bool wait_readable)
{
        struct seccomp_notif *req = NULL;
        int r = scmpd_notify_alloc(&req, NULL);
        if (r < 0)
                die("scmpd_notify_alloc", -r);
        for (unsigned long i = 0; i < count; i++) {
                struct pollfd p = { .fd = listener, .events = POLLIN };
                if (wait_readable && (poll(&p, 1, -1) != 1 || !(p.revents & POLLIN)))
                        die("poll", errno ? errno : EPIPE);
                r = scmpd_notify_receive(listener, req);
                if (r < 0)
                        die("receive", -r);
                r = scmpd_notify_respond_continue(listener, req->id);
                if (r < 0)
                        die("respond", -r);
        }
        scmpd_notify_free(req, NULL);
}

static int roundtrip(enum supervisor sup, unsigned long calls, const char *scmpd, const char *go,
                     bool pinned)
{
        int sv[2];
        double res[2];

        if ((sup == SUP_SCMPD_CONTINUE || sup == SUP_SCMPD_VALUE || sup == SUP_SCMPD_AUDIT) &&
            !scmpd)
                die("scmpd rows need --scmpd PATH", EINVAL);
        if (sup == SUP_GO && !go)
                die("the go row needs --go PATH", EINVAL);
        if (sup == SUP_SCMPD_CONTINUE || sup == SUP_SCMPD_VALUE || sup == SUP_SCMPD_AUDIT) {
                if (pinned) {
                        /* scmpd inherits the supervisor's CPU. */
                        pin(1);
                }
                start_scmpd(scmpd);
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                die("socketpair", errno);
        pid_t target = spawn();
        if (target == 0) {
                close(sv[0]);
                target_roundtrip(sup, sv[1], calls, pinned);
        }
        close(sv[1]);

        unsigned long total = calls + WARMUP_CALLS;
        int listener = -1;
        if (sup == SUP_RAW || sup == SUP_SYNC || sup == SUP_POLL || sup == SUP_GO) {
                listener = recv_fd(sv[0]);
                if (listener < 0)
                        die("receiving the listener", -listener);
        }
        if (sup == SUP_SYNC || sup == SUP_POLL) {
                int r = scmpd_notify_set_flags(listener, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
                if (r < 0)
                        die("SECCOMP_IOCTL_NOTIF_SET_FLAGS", -r);
        }
        if (sup == SUP_GO) {
                pid_t g = spawn();
                if (g == 0) {
                        char fdbuf[16], countbuf[32];
                        if (pinned)
                                pin(1);
                        /* dup2() onto itself would keep CLOEXEC: clear it explicitly. */
                        if (listener == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(listener, 3) < 0)
                                _exit(127);
                        snprintf(fdbuf, sizeof(fdbuf), "3");
                        snprintf(countbuf, sizeof(countbuf), "%lu", total);
                        execl(go, go, fdbuf, countbuf, (char *)NULL);
                        _exit(127);
                }
                close(listener);
                listener = -1;
        }
        if (pinned && (sup == SUP_RAW || sup == SUP_SYNC || sup == SUP_POLL))
                pin(1);
        if (write(sv[0], "g", 1) != 1)
                die("starting the target", errno);
        if (listener >= 0)
                serve_raw(listener, total, sup == SUP_POLL);

        if (read(sv[0], res, sizeof(res)) != sizeof(res)) {
                int status = 0;
                waitpid(target, &status, 0);
                forget_child(target);
                if (scmpd_pid)
                        show_scmpd_log();
                fprintf(stderr, "bench-notify: the target failed (status 0x%x)\n", status);
                kill_children();
                remove_tmpdir();
                return 1;
        }
        if (listener >= 0)
                close(listener);
        close(sv[0]);
        printf("notif_per_s=%.1f mean_ns=%.1f best_batch_ns=%.1f\n", (double)calls / (res[0] / 1e9),
               res[0] / (double)calls, res[1]);
        kill_children();
        remove_tmpdir();
        return 0;
}

/* ---- scale ---- */

struct shared {
        atomic_uint ready;
        atomic_bool stop;
        struct {
                _Alignas(64) atomic_ulong calls;
        } slot[MAX_LISTENERS];
};

/* A target of the scale mode: its listener goes to scmpd, or over `pass` to the floor. */
static void target_scale(struct shared *sh, size_t index, int go_fd, int pass)
{
        pid_t real_ppid = getppid();
        char byte;

        int fd = install_filter();
        if (fd < 0)
                _exit(10);
        struct scmpd_handoff_info info = { .pid = getpid(), .metadata = "bench-continue" };
        if (pass >= 0 ? send_fd(pass, fd) < 0 : scmpd_handoff_send_to(sock_path, fd, &info) < 0)
                _exit(11);
        close(fd);
        /* One round trip: scmpd has adopted the listener once it answers. */
        if (syscall(SYS_getppid) != real_ppid)
                _exit(13);
        atomic_fetch_add(&sh->ready, 1);
        /* Idle until the parent closes the write end. */
        if (read(go_fd, &byte, 1) != 0)
                _exit(12);
        while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
                syscall(SYS_getppid);
                atomic_fetch_add_explicit(&sh->slot[index].calls, 1, memory_order_relaxed);
        }
        _exit(0);
}

/* The scale floor's supervisor (a child): listeners arrive over `pass`, one per datagram. */
static void serve_epoll(int pass, bool sync)
{
        struct epoll_event ev[256], add = { .events = EPOLLIN };
        struct seccomp_notif *req = NULL;
        int ep = epoll_create1(EPOLL_CLOEXEC);

        add.data.fd = pass;
        if (ep < 0 || scmpd_notify_alloc(&req, NULL) < 0 ||
            epoll_ctl(ep, EPOLL_CTL_ADD, pass, &add) < 0)
                _exit(20);
        for (;;) {
                int n = epoll_wait(ep, ev, 256, -1);
                if (n < 0 && errno != EINTR)
                        _exit(21);
                for (int i = 0; i < n; i++) {
                        int fd = ev[i].data.fd;
                        if (fd == pass) {
                                int l = recv_fd(pass);
                                if (l < 0 ||
                                    (sync && scmpd_notify_set_flags(
                                                     l, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) < 0))
                                        _exit(22);
                                add.data.fd = l;
                                if (epoll_ctl(ep, EPOLL_CTL_ADD, l, &add) < 0)
                                        _exit(23);
                        } else if (!(ev[i].events & EPOLLIN) ||
                                   (ev[i].events & (EPOLLHUP | EPOLLERR))) {
                                epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                                close(fd);
                        } else if (scmpd_notify_receive(fd, req) == 0) {
                                scmpd_notify_respond_continue(fd, req->id);
                        }
                }
        }
}

static void wait_ready(struct shared *sh, unsigned n)
{
        for (int i = 0; i < 60000 && atomic_load(&sh->ready) < n; i++) {
                pid_t gone = waitpid(-1, NULL, WNOHANG);
                if (gone > 0) {
                        forget_child(gone);
                        show_scmpd_log();
                        die("a target or scmpd exited early", ECHILD);
                }
                usleep(1000);
        }
        if (atomic_load(&sh->ready) < n) {
                show_scmpd_log();
                die("targets did not get their first answer", ETIMEDOUT);
        }
}

/* utime + stime of a process (all its threads), in clock ticks; -1 if unreadable. */
static long long cpu_ticks(pid_t pid)
{
        char path[64], buf[1024];
        unsigned long long ut, st;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return -1;
        buf[n] = 0;
        /* The command name may hold spaces: fields are counted from its closing parenthesis. */
        char *p = strrchr(buf, ')');
        if (!p ||
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
                return -1;
        return (long long)(ut + st);
}

/* Busy and total ticks of all CPUs from /proc/stat's first line. */
static void system_ticks(unsigned long long *ret_busy, unsigned long long *ret_total)
{
        unsigned long long v[8] = { 0 };
        FILE *f = fopen("/proc/stat", "re");

        if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                         &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) {
                if (f)
                        fclose(f);
                *ret_busy = *ret_total = 0;
                return;
        }
        fclose(f);
        *ret_total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
        *ret_busy = *ret_total - v[3] - v[4]; /* idle, iowait */
}

static unsigned long sum_calls(struct shared *sh, size_t n)
{
        unsigned long s = 0;
        for (size_t i = 0; i < n; i++)
                s += atomic_load_explicit(&sh->slot[i].calls, memory_order_relaxed);
        return s;
}

static int scale(unsigned n, double seconds, const char *scmpd, bool floor)
{
        int go[2], pass[2] = { -1, -1 };

        if (!scmpd && !floor)
                die("scale needs --scmpd PATH", EINVAL);
        if (n < 1 || n > MAX_LISTENERS)
                die("LISTENERS is 1..4096", EINVAL);
        struct shared *sh =
                mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (sh == MAP_FAILED)
                die("mmap", errno);
        if (floor) {
                if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pass) < 0)
                        die("socketpair", errno);
                scmpd_pid = spawn(); /* the supervisor's pid, for its CPU time below */
                if (scmpd_pid == 0) {
                        close(pass[1]);
                        raise_nofile();
                        serve_epoll(pass[0], n == 1);
                }
                close(pass[0]);
        } else {
                start_scmpd(scmpd);
        }
        if (pipe2(go, O_CLOEXEC) < 0)
                die("pipe2", errno);

        /* The first listener warms scmpd up (lazy allocations, the first session), so the
         * memory difference after the others is what each further listener costs. */
        long rss_one = -1, rss_all;
        for (unsigned i = 0; i < n; i++) {
                pid_t pid = spawn();
                if (pid == 0) {
                        close(go[1]);
                        target_scale(sh, i, go[0], pass[1]);
                }
                if (i == 0) {
                        wait_ready(sh, 1);
                        usleep(100000);
                        rss_one = proc_rss_kib(scmpd_pid);
                }
        }
        wait_ready(sh, n);
        usleep(100000);
        rss_all = proc_rss_kib(scmpd_pid);
        close(go[0]);
        if (pass[1] >= 0)
                close(pass[1]);
        close(go[1]);

        usleep(200000); /* warm-up */
        unsigned long long busy0, total0, busy1, total1;
        long long cpu0 = cpu_ticks(scmpd_pid);
        system_ticks(&busy0, &total0);
        unsigned long c0 = sum_calls(sh, n);
        double t0 = now_ns();
        usleep((useconds_t)(seconds * 1e6));
        unsigned long c1 = sum_calls(sh, n);
        double t1 = now_ns();
        long long cpu1 = cpu_ticks(scmpd_pid);
        system_ticks(&busy1, &total1);
        atomic_store(&sh->stop, true);

        /* scmpd's share of one CPU, and how busy the machine's CPUs were, over the interval. */
        double secs = (t1 - t0) / 1e9, hz = (double)sysconf(_SC_CLK_TCK);
        printf("notif_per_s=%.1f scmpd_cpu=%.2f system_busy=%.2f rss_one_kib=%ld "
               "rss_all_kib=%ld",
               (double)(c1 - c0) / secs,
               cpu0 < 0 || cpu1 < 0 ? -1.0 : (double)(cpu1 - cpu0) / hz / secs,
               total1 > total0 ? (double)(busy1 - busy0) / (double)(total1 - total0) : -1.0,
               rss_one, rss_all);
        if (n > 1)
                printf(" rss_per_listener_bytes=%.0f",
                       (double)(rss_all - rss_one) * 1024.0 / (n - 1));
        printf("\n");
        kill_children();
        remove_tmpdir();
        munmap(sh, sizeof(*sh));
        return 0;
}

static void usage(void)
{
        fprintf(stderr, "usage: bench-notify roundtrip raw|sync|poll|go|scmpd-continue|"
                        "scmpd-value|scmpd-audit "
                        "CALLS [--scmpd PATH] [--go PATH] [--pin]\n"
                        "       bench-notify scale LISTENERS SECONDS --scmpd PATH\n"
                        "       bench-notify scale-floor LISTENERS SECONDS\n");
        exit(2);
}

int main(int argc, char **argv)
{
        const char *scmpd = NULL, *go = NULL;
        bool pinned = false;
        char *pos[4];
        int n_pos = 0;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--scmpd") == 0 && i + 1 < argc)
                        scmpd = argv[++i];
                else if (strcmp(argv[i], "--go") == 0 && i + 1 < argc)
                        go = argv[++i];
                else if (strcmp(argv[i], "--pin") == 0)
                        pinned = true;
                else if (n_pos < 4)
                        pos[n_pos++] = argv[i];
                else
                        usage();
        }
        signal(SIGALRM, on_alarm);
        signal(SIGPIPE, SIG_IGN);
        alarm(RUN_TIMEOUT_S);

        if (n_pos == 3 && strcmp(pos[0], "roundtrip") == 0) {
                static const char *const names[] = { "raw",        "sync",           "poll",
                                                     "go",         "scmpd-continue", "scmpd-value",
                                                     "scmpd-audit" };
                unsigned long calls = strtoul(pos[2], NULL, 10);
                if (calls < 1)
                        usage();
                for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
                        if (strcmp(pos[1], names[k]) == 0)
                                return roundtrip((enum supervisor)k, calls, scmpd, go, pinned);
                usage();
        }
        if (n_pos == 3 && (strcmp(pos[0], "scale") == 0 || strcmp(pos[0], "scale-floor") == 0))
                return scale((unsigned)strtoul(pos[1], NULL, 10), strtod(pos[2], NULL), scmpd,
                             strcmp(pos[0], "scale-floor") == 0);
        usage();
}
