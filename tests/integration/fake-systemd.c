/*
 * fake-systemd: plays systemd's side of the protocol for scmpd, to prove that scmpd survives
 * being killed at any moment.
 *
 * What it does as "systemd": binds the handoff and control sockets and passes them as
 * LISTEN_FDS/LISTEN_FDNAMES ("handoff", "control"); receives sd_notify datagrams on a
 * NOTIFY_SOCKET it binds (READY, STATUS, WATCHDOG, STOPPING, FDSTORE=1 with FDNAME and
 * SCM_RIGHTS fds, FDSTOREREMOVE=1), accepting them only from the main pid (NotifyAccess=main);
 * keeps the fd store, dropping entries that report POLLHUP as systemd does; and on every restart
 * hands the stored fds back after the sockets, with their names, LISTEN_PID and WATCHDOG_USEC.
 *
 * Modes:
 *   fake-systemd restart SCMPD BLOCK_PLUGIN DEFER_PLUGIN
 *      N children (SCMPD_RESTART_CHILDREN, default 4) run under a filter whose notifications
 *      scmpd answers through a blocking handler (getppid -> 77 after 3 ms), a deferred one
 *      (getsid -> 55 after 2 ms) and a fixed value (getpgid -> 4242), so notifications are in
 *      flight most of the time. scmpd is SIGKILLed at random moments and restarted, for
 *      SCMPD_RESTART_SECONDS (default 15) or SCMPD_RESTART_ROUNDS rounds. Each round checks that
 *      every stored listener was adopted, none refused, and every child makes progress again
 *      (no target stays blocked). At the end every child must have seen exactly its policy's
 *      answer for every call (never ENOSYS, never another value), the kills must have hit
 *      notifications in flight (replays > 0), and after the children exit only the journal is
 *      left in the store. One child is handed over while scmpd is dead.
 *   fake-systemd plain SCMPD
 *      Without systemd: kill scmpd while a child is served; its notified calls fail with ENOSYS
 *      from then on, and a restarted scmpd starts cleanly on the stale socket path.
 *   fake-systemd facts
 *      The kernel facts the design rests on: a notification received by a process that dies
 *      stays valid and is not returned by another RECV; a holder of the same listener can answer
 *      it; a second answer fails.
 *   fake-systemd supervise SCMPD CONFIG SOCK CTL LOG
 *      Be the service manager for a script (tests/e2e/restart-e2e.sh): SIGUSR1 kills and
 *      restarts scmpd with the store, SIGTERM stops it.
 * Prints "N passed, N failed" and exits non-zero on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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

#include "scmpd/handoff.h"
#include "scmpd/notify.h"
#include "child.h"
#include "notify_filter.h"

#define MAX_CHILDREN 64
#define STORE_MAX 16384 /* FileDescriptorStoreMax in scmpd.service */
#define NAME_MAX_LEN 256
/* The bound on every wait for an event (READY=1, a child served, an exit): generous, because a
 * loaded machine running scmpd under ASan is slow, and a wait that ends early on its event costs
 * nothing when things work. No check here depends on how fast anything happens. */
#define WAIT_MS 120000

static unsigned n_pass, n_fail;

#define CHECK(cond, ...)                                                     \
        do {                                                                 \
                if (cond) {                                                  \
                        n_pass++;                                            \
                } else {                                                     \
                        n_fail++;                                            \
                        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
                        fprintf(stderr, __VA_ARGS__);                        \
                        fputc('\n', stderr);                                 \
                }                                                            \
        } while (0)

static uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Whether something accepts connections on the unix socket at path (a stale path refuses). */
static bool connectable(const char *path)
{
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok;

        if (s < 0)
                return false;
        if (strlen(path) >= sizeof(a.sun_path)) {
                close(s);
                return false;
        }
        memcpy(a.sun_path, path, strlen(path) + 1);
        ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
        close(s);
        return ok;
}

/* ---- children under a filter ---- */

struct progress {
        volatile uint64_t done;
        volatile int failed;   /* 1: a call got a wrong answer */
        volatile long bad_ret; /* what it got */
        volatile int bad_errno;
        volatile int bad_call;
        volatile int enosys_seen; /* plain mode */
};

struct shared {
        volatile int stop;
        struct progress child[MAX_CHILDREN];
};

static struct shared *shm;

static int install_filter(void)
{
        static const int trapped[] = { SYS_getppid, SYS_getpgid, SYS_getsid };

        return test_install_notify_filter(trapped, sizeof(trapped) / sizeof(trapped[0]));
}

/* A served child: every call must get exactly its policy's answer. */
static int child_main(int idx, const char *sock, bool plain)
{
        struct progress *p = &shm->child[idx];
        char id[32];
        struct scmpd_handoff_info info = { .metadata = "restart", .id = id };
        int fd, r;

        snprintf(id, sizeof(id), "c-%d", idx);
        info.pid = getpid();
        fd = install_filter();
        if (fd < 0)
                return 2;
        r = scmpd_handoff_send_to(sock, fd, &info);
        close(fd);
        if (r < 0)
                return 3;
        for (uint64_t i = 0; !shm->stop; i++) {
                static const struct {
                        int nr;
                        long want;
                } calls[] = { { SYS_getppid, 77 }, { SYS_getpgid, 4242 }, { SYS_getsid, 55 } };
                int k = (int)(i % 3);
                long ret;

                errno = 0;
                ret = syscall(calls[k].nr, 0);
                if (plain && ret == -1 && errno == ENOSYS) {
                        p->enosys_seen++;
                        continue;
                }
                if (ret != calls[k].want || (plain && p->enosys_seen)) {
                        p->bad_ret = ret;
                        p->bad_errno = errno;
                        p->bad_call = calls[k].nr;
                        p->failed = 1;
                        return 1;
                }
                p->done++;
        }
        return 0;
}

static pid_t spawn_child(int idx, const char *sock, bool plain)
{
        pid_t parent = getpid(), pid = fork();

        if (pid == 0) {
                child_die_with_parent(parent);
                _exit(child_main(idx, sock, plain));
        }
        return pid;
}

/* ---- the fd store and the notify socket ---- */

struct entry {
        char name[NAME_MAX_LEN];
        int fd;
};

static struct entry store[STORE_MAX];
static size_t n_store;

struct notify_state {
        pid_t main_pid;
        bool ready, stopping;
        unsigned watchdogs, foreign, adopted, refused, replayed, stale;
        char status[512];
};

static void store_drop(size_t i)
{
        close(store[i].fd);
        store[i] = store[--n_store];
}

static void store_remove(const char *name)
{
        for (size_t i = 0; i < n_store;)
                if (strcmp(store[i].name, name) == 0)
                        store_drop(i);
                else
                        i++;
}

static unsigned store_count(char kind)
{
        unsigned n = 0;

        for (size_t i = 0; i < n_store; i++)
                if (store[i].name[0] == kind && store[i].name[1] == '-')
                        n++;
        return n;
}

static unsigned store_count_name(const char *name)
{
        unsigned n = 0;

        for (size_t i = 0; i < n_store; i++)
                n += strcmp(store[i].name, name) == 0;
        return n;
}

/* Entries scmpd never stored: a second "journal" that is garbage (before the real one when
 * `first`, else after it), a name scmpd does not know, and an identity without a listener. */
static void store_inject_junk(bool first)
{
        static const char *const names[] = { "journal", "x-unknown", "m-999999" };

        for (size_t k = 0; k < 3 && n_store + 1 < STORE_MAX; k++) {
                int fd = memfd_create("junk", MFD_CLOEXEC);
                size_t at = first ? 0 : n_store;

                if (fd < 0 || write(fd, "garbage, not a journal", 22) != 22)
                        exit(1);
                store[n_store] = store[at];
                n_store++;
                snprintf(store[at].name, NAME_MAX_LEN, "%s", names[k]);
                store[at].fd = fd;
                first = false;
        }
}

/* systemd drops stored fds that report POLLHUP or POLLERR (a listener whose targets are gone). */
static void store_reap_hup(void)
{
        for (size_t i = 0; i < n_store;) {
                struct pollfd p = { .fd = store[i].fd, .events = 0 };

                if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)))
                        store_drop(i);
                else
                        i++;
        }
}

static const char *field(const char *buf, const char *key)
{
        size_t kl = strlen(key);

        for (const char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, key, kl) == 0)
                        return p + kl;
        return NULL;
}

static unsigned field_uint(const char *buf, const char *key)
{
        const char *v = field(buf, key);

        return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

static void handle_datagram(int nfd, struct notify_state *ns)
{
        char buf[4096];
        union {
                struct cmsghdr h;
                char b[CMSG_SPACE(sizeof(int) * 16) + CMSG_SPACE(sizeof(struct ucred))];
        } ctl;
        struct iovec iov = { buf, sizeof(buf) - 1 };
        struct msghdr msg = { .msg_iov = &iov,
                              .msg_iovlen = 1,
                              .msg_control = ctl.b,
                              .msg_controllen = sizeof(ctl.b) };
        int fds[16], n_fds = 0;
        struct ucred cred = { .pid = -1 };
        ssize_t n = recvmsg(nfd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        const char *v;

        if (n < 0)
                return;
        buf[n] = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

                        for (size_t i = 0; i < k && n_fds < 16; i++)
                                memcpy(&fds[n_fds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                        memcpy(&cred, CMSG_DATA(c), sizeof(cred));
                }
        }
        if (cred.pid != ns->main_pid) { /* NotifyAccess=main */
                ns->foreign++;
                for (int i = 0; i < n_fds; i++)
                        close(fds[i]);
                return;
        }
        if (field(buf, "READY=1"))
                ns->ready = true;
        if (field(buf, "STOPPING=1"))
                ns->stopping = true;
        if (field(buf, "WATCHDOG=1"))
                ns->watchdogs++;
        if ((v = field(buf, "STATUS="))) {
                snprintf(ns->status, sizeof(ns->status), "%.*s", (int)strcspn(v, "\n"), v);
        }
        if (field(buf, "X_SCMPD_ADOPTED=")) {
                ns->adopted = field_uint(buf, "X_SCMPD_ADOPTED=");
                ns->refused = field_uint(buf, "X_SCMPD_REFUSED=");
                ns->replayed = field_uint(buf, "X_SCMPD_REPLAYED=");
                ns->stale = field_uint(buf, "X_SCMPD_STALE=");
        }
        v = field(buf, "FDNAME=");
        if (field(buf, "FDSTOREREMOVE=1") && v) {
                char name[NAME_MAX_LEN];

                snprintf(name, sizeof(name), "%.*s", (int)strcspn(v, "\n"), v);
                store_remove(name);
        }
        if (field(buf, "FDSTORE=1")) {
                for (int i = 0; i < n_fds; i++) {
                        if (n_store >= STORE_MAX) {
                                close(fds[i]);
                                continue;
                        }
                        snprintf(store[n_store].name, NAME_MAX_LEN, "%.*s",
                                 v ? (int)strcspn(v, "\n") : 6, v ? v : "stored");
                        store[n_store++].fd = fds[i];
                }
                n_fds = 0;
        }
        for (int i = 0; i < n_fds; i++)
                close(fds[i]);
}

/* Serve the notify socket for up to ms milliseconds, or until *until becomes true. */
static void pump(int nfd, struct notify_state *ns, long ms, const bool *until)
{
        uint64_t end = now_ms() + (uint64_t)ms;

        for (;;) {
                struct pollfd p = { .fd = nfd, .events = POLLIN };
                uint64_t t = now_ms();

                if ((until && *until) || t >= end)
                        break;
                if (poll(&p, 1, (int)(end - t > 20 ? 20 : end - t)) > 0)
                        handle_datagram(nfd, ns);
                store_reap_hup();
        }
        while (1) { /* drain what is queued without waiting */
                struct pollfd p = { .fd = nfd, .events = POLLIN };

                if (poll(&p, 1, 0) <= 0)
                        break;
                handle_datagram(nfd, ns);
        }
}

/*
 * SIGKILL scmpd (its process group too: any helper) and reap it. What it sent before it died is
 * still queued on the notify socket; systemd reads that before it handles the death, so it is
 * read here as the dead instance's, not blamed on the next one.
 */
static void kill_scmpd(pid_t pid, int nfd, struct notify_state *ns)
{
        int st;

        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (nfd >= 0)
                pump(nfd, ns, 0, NULL);
}

/* ---- starting scmpd as systemd would ---- */

struct scmpd_run {
        const char *bin, *config, *listen_path, *control_path, *log;
        const char *notify_path; /* NULL: no systemd */
        int handoff_fd, control_fd;
};

static pid_t spawn_scmpd(const struct scmpd_run *run, unsigned *ret_listeners_passed)
{
        unsigned listeners = 0;
        pid_t parent = getpid(), pid;

        for (size_t i = 0; i < n_store; i++)
                listeners += store[i].name[0] == 'l' && store[i].name[1] == '-';
        *ret_listeners_passed = run->notify_path ? listeners : 0;
        pid = fork();
        if (pid != 0)
                return pid;

        /* Child: the fds go to 3.. in order: handoff, control, then the store. */
        int n = 0, tmp[STORE_MAX + 2];
        static char names[(NAME_MAX_LEN + 1) * 64 + 32];
        char *np = names, num[32];
        int logfd;

        setpgid(0, 0);
        child_die_with_parent(parent);
        names[0] = 0;
        if (run->notify_path) {
                tmp[n++] = fcntl(run->handoff_fd, F_DUPFD, 3 + STORE_MAX + 8);
                np += sprintf(np, "handoff");
                tmp[n++] = fcntl(run->control_fd, F_DUPFD, 3 + STORE_MAX + 8);
                np += sprintf(np, ":control");
                for (size_t i = 0; i < n_store && np - names < (long)sizeof(names) - 300; i++) {
                        tmp[n++] = fcntl(store[i].fd, F_DUPFD, 3 + STORE_MAX + 8);
                        np += sprintf(np, ":%s", store[i].name);
                }
                for (int i = 0; i < n; i++)
                        if (tmp[i] < 0 || dup2(tmp[i], 3 + i) < 0)
                                _exit(125);
                snprintf(num, sizeof(num), "%d", n);
                setenv("LISTEN_FDS", num, 1);
                setenv("LISTEN_FDNAMES", names, 1);
                snprintf(num, sizeof(num), "%d", (int)getpid());
                setenv("LISTEN_PID", num, 1);
                setenv("NOTIFY_SOCKET", run->notify_path, 1);
                setenv("WATCHDOG_USEC", "400000", 1);
                setenv("WATCHDOG_PID", num, 1);
        }
        close_range((unsigned)(3 + n), ~0u, 0);
        logfd = open(run->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (logfd >= 0)
                dup2(logfd, STDERR_FILENO);
        execl(run->bin, run->bin, "--foreground", "--log-target", "stderr", "--config", run->config,
              "--listen", run->listen_path, "--control", run->control_path, (char *)NULL);
        _exit(127);
}

static int bind_listen(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (strlen(path) >= sizeof(sa.sun_path))
                return -1;
        memcpy(sa.sun_path, path, strlen(path));
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1024) < 0)
                return -1;
        return fd;
}

static int bind_notify(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int one = 1, size = 8 << 20;
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (strlen(path) >= sizeof(sa.sun_path))
                return -1;
        memcpy(sa.sun_path, path, strlen(path));
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -1;
        setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
        return fd;
}

/* Where is a scmpd that does not answer? Its state and the kernel stack of each thread. */
static void describe_stuck(pid_t pid)
{
        char cmd[256];
        int st;

        if (waitpid(pid, &st, WNOHANG) == pid) {
                fprintf(stderr, "scmpd %d is dead: %s %d\n", (int)pid,
                        WIFEXITED(st) ? "exit" : "signal",
                        WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
                return;
        }
        snprintf(cmd, sizeof(cmd),
                 "for t in /proc/%d/task/*; do echo \"$t: $(cat $t/wchan) $(cat $t/syscall)\"; "
                 "cat $t/stack; done >&2 2>/dev/null",
                 (int)pid);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot describe scmpd %d\n", (int)pid);
}

static char tmpdir[] = "/tmp/scmpd-fake-systemd-XXXXXX";
static char p_sock[256], p_ctl[256], p_notify[256], p_conf[256], p_log[256];

static void dump_log(void)
{
        char cmd[512];

        snprintf(cmd, sizeof(cmd), "tail -n 40 %s >&2", p_log);
        if (system(cmd) != 0)
                fprintf(stderr, "(no log)\n");
}

/* A sanitizer report in any scmpd run is a failure even when scmpd went on. */
static void check_log_clean(void)
{
        char line[4096];
        FILE *f = fopen(p_log, "re");
        unsigned bad = 0;

        while (f && fgets(line, sizeof(line), f))
                if (strstr(line, "runtime error:") || strstr(line, "Sanitizer"))
                        bad++;
        if (f)
                fclose(f);
        CHECK(bad == 0, "%u sanitizer reports in scmpd's log", bad);
}

static void cleanup_dir(void)
{
        char cmd[300];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", tmpdir);
}

static int write_config(const char *block, const char *defer)
{
        FILE *f = fopen(p_conf, "we");

        if (!f)
                return -1;
        fprintf(f,
                "{ \"handlers\": {\n"
                "    \"block\": { \"path\": \"%s\", \"config\": { \"delay_ms\": 3, \"value\": 77 } "
                "},\n"
                "    \"defer\": { \"path\": \"%s\", \"config\": { \"delay_ms\": 2, \"value\": 55 } "
                "} },\n"
                "  \"default\": { \"errno\": \"ENOSYS\" },\n"
                "  \"policies\": [ { \"name\": \"restart\", \"match\": { \"metadata\": \"restart\" "
                "},\n"
                "    \"rules\": [ { \"syscalls\": [\"getppid\"], \"chain\": [\"block\"] },\n"
                "                 { \"syscalls\": [\"getpgid\"], \"chain\": [{ \"value\": 4242 }] "
                "},\n"
                "                 { \"syscalls\": [\"getsid\"], \"chain\": [\"defer\"] } ] } ] }\n",
                block, defer);
        return fclose(f);
}

static void setup_paths(void)
{
        snprintf(p_sock, sizeof(p_sock), "%s/scmpd.sock", tmpdir);
        snprintf(p_ctl, sizeof(p_ctl), "%s/control.sock", tmpdir);
        snprintf(p_notify, sizeof(p_notify), "%s/notify", tmpdir);
        snprintf(p_conf, sizeof(p_conf), "%s/scmpd.json", tmpdir);
        snprintf(p_log, sizeof(p_log), "%s/scmpd.log", tmpdir);
}

/* Wait until every child in [0, n) has done more than base[i] calls, or failed. */
static bool all_progress(int nfd, struct notify_state *ns, int n, const uint64_t *base, long ms)
{
        uint64_t end = now_ms() + (uint64_t)ms;

        while (now_ms() < end) {
                bool all = true;

                for (int i = 0; i < n; i++)
                        if (shm->child[i].done <= base[i] && !shm->child[i].failed)
                                all = false;
                if (all)
                        return true;
                pump(nfd, ns, 5, NULL);
        }
        return false;
}

static int mode_restart(const char *bin, const char *block, const char *defer)
{
        const char *e;
        int n_children = (e = getenv("SCMPD_RESTART_CHILDREN")) ? atoi(e) : 4;
        long seconds = (e = getenv("SCMPD_RESTART_SECONDS")) ? atol(e) : 15;
        long max_rounds = (e = getenv("SCMPD_RESTART_ROUNDS")) ? atol(e) : 1000000;
        unsigned seed =
                (e = getenv("SCMPD_RESTART_SEED")) ? (unsigned)atol(e) : (unsigned)time(NULL);
        pid_t kids[MAX_CHILDREN + 1];
        uint64_t base[MAX_CHILDREN + 1];
        unsigned total_replayed = 0, total_stale = 0, passed = 0, n_early = 0, n_term = 0;
        int how;
        struct notify_state ns = {};
        struct scmpd_run run;
        int nfd, n_live;
        long rounds = 0;
        uint64_t deadline, t, t_kill, t_spawn, sum_ready = 0, max_ready = 0, sum_blocked = 0,
                                               max_blocked = 0;
        pid_t d;

        if (n_children < 1 || n_children > MAX_CHILDREN - 1)
                n_children = 4;
        srand(seed);
        printf("restart: seed %u, %d children, %ld s\n", seed, n_children, seconds);
        if (write_config(block, defer) < 0)
                return 1;
        run = (struct scmpd_run){ .bin = bin,
                                  .config = p_conf,
                                  .listen_path = p_sock,
                                  .control_path = p_ctl,
                                  .log = p_log,
                                  .notify_path = p_notify };
        run.handoff_fd = bind_listen(p_sock);
        run.control_fd = bind_listen(p_ctl);
        nfd = bind_notify(p_notify);
        if (run.handoff_fd < 0 || run.control_fd < 0 || nfd < 0) {
                perror("sockets");
                return 1;
        }

        ns.main_pid = d = spawn_scmpd(&run, &passed);
        pump(nfd, &ns, WAIT_MS, &ns.ready);
        CHECK(ns.ready, "first start: no READY=1");
        CHECK(store_count('l') == 0 && n_store == 1 && strcmp(store[0].name, "journal") == 0,
              "first start: the store should hold just the journal (%zu entries)", n_store);
        for (int i = 0; i < n_children; i++)
                kids[i] = spawn_child(i, p_sock, false);
        n_live = n_children;
        memset(base, 0, sizeof(base));
        CHECK(all_progress(nfd, &ns, n_live, base, WAIT_MS), "children never got served");
        CHECK(store_count('l') == (unsigned)n_children && store_count('m') == (unsigned)n_children,
              "%u listeners and %u identities stored for %d children", store_count('l'),
              store_count('m'), n_children);

        deadline = now_ms() + (uint64_t)seconds * 1000;
        while (now_ms() < deadline && rounds < max_rounds && n_fail == 0) {
                unsigned want;

                /* Kill at a random moment: children are mostly in flight. */
                pump(nfd, &ns, rand() % 40, NULL);
                for (int i = 0; i < n_live; i++)
                        base[i] = shm->child[i].done;
                how = rand() % 10;
                t_kill = now_ms();
                if (how >= 8) {
                        /* A stop (systemctl restart), cut short by SIGKILL at a random point. */
                        kill(d, SIGTERM);
                        pump(nfd, &ns, rand() % 4, NULL);
                        n_term++;
                }
                kill_scmpd(d, nfd, &ns);
                rounds++;
                if (rounds == 2 && n_live < MAX_CHILDREN) {
                        /* A handoff while scmpd is dead waits in the activated socket. */
                        kids[n_live] = spawn_child(n_live, p_sock, false);
                        base[n_live] = 0;
                        n_live++;
                }
                sleep_ms(rand() % 10);
                if (rounds == 3 || rounds == 5)
                        store_inject_junk(rounds == 3);
                if (how == 6 || how == 7) {
                        /* Killed again while it starts: adopting, replaying, or just ready. */
                        ns = (struct notify_state){};
                        ns.main_pid = d = spawn_scmpd(&run, &want);
                        pump(nfd, &ns, rand() % 8, NULL);
                        kill_scmpd(d, nfd, &ns);
                        n_early++;
                }
                ns = (struct notify_state){};
                t_spawn = now_ms();
                ns.main_pid = d = spawn_scmpd(&run, &want);
                pump(nfd, &ns, WAIT_MS, &ns.ready);
                t = now_ms() - t_spawn;
                sum_ready += t;
                max_ready = t > max_ready ? t : max_ready;
                CHECK(ns.ready, "round %ld: no READY=1", rounds);
                if (!ns.ready)
                        describe_stuck(d);
                CHECK(ns.adopted == want && ns.refused == 0,
                      "round %ld: %u listeners passed back, %u adopted, %u refused", rounds, want,
                      ns.adopted, ns.refused);
                CHECK(ns.foreign == 0, "round %ld: notify messages from another pid", rounds);
                CHECK(store_count_name("journal") == 1 && store_count_name("x-unknown") == 0 &&
                              store_count_name("m-999999") == 0,
                      "round %ld: the store holds %u journals, %u unknown, %u orphan entries",
                      rounds, store_count_name("journal"), store_count_name("x-unknown"),
                      store_count_name("m-999999"));
                total_replayed += ns.replayed;
                total_stale += ns.stale;
                CHECK(all_progress(nfd, &ns, n_live, base, WAIT_MS),
                      "round %ld: a target stays blocked after the restart", rounds);
                t = now_ms() - t_kill;
                sum_blocked += t;
                max_blocked = t > max_blocked ? t : max_blocked;
        }
        printf("restart: %ld rounds (%u killed again during start-up, %u SIGTERMed first), "
               "%u notifications answered again after a kill, %u found already answered\n",
               rounds, n_early, n_term, total_replayed, total_stale);
        if (rounds > 0)
                printf("restart: start to READY=1 %llu ms on average (max %llu); kill to every "
                       "child served again %llu ms on average (max %llu)\n",
                       (unsigned long long)(sum_ready / (uint64_t)rounds),
                       (unsigned long long)max_ready,
                       (unsigned long long)(sum_blocked / (uint64_t)rounds),
                       (unsigned long long)max_blocked);
        if (rounds >= 20)
                CHECK(total_replayed > 0, "no kill hit a notification in flight in %ld rounds",
                      rounds);

        /* The watchdog pings at half of WATCHDOG_USEC (400 ms): wait for three of them (how
         * soon they come on a loaded machine is a figure, not a verdict). */
        ns.watchdogs = 0;
        t = now_ms();
        while (ns.watchdogs < 3 && now_ms() - t < WAIT_MS)
                pump(nfd, &ns, 20, NULL);
        CHECK(ns.watchdogs >= 3, "%u watchdog pings in %llu ms at WATCHDOG_USEC=400000",
              ns.watchdogs, (unsigned long long)(now_ms() - t));
        printf("restart: 3 watchdog pings in %llu ms at WATCHDOG_USEC=400000\n",
               (unsigned long long)(now_ms() - t));

        shm->stop = 1;
        for (int i = 0; i < n_live; i++) {
                int st = 0;
                uint64_t end = now_ms() + WAIT_MS;
                pid_t r;

                while ((r = waitpid(kids[i], &st, WNOHANG)) == 0 && now_ms() < end)
                        pump(nfd, &ns, 10, NULL);
                if (r == 0) {
                        kill(kids[i], SIGKILL);
                        waitpid(kids[i], &st, 0);
                }
                CHECK(r == kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                      "child %d: %s (call %d got %ld errno %d after %llu good calls)", i,
                      r == 0 ? "blocked" : "failed", shm->child[i].bad_call, shm->child[i].bad_ret,
                      shm->child[i].bad_errno, (unsigned long long)shm->child[i].done);
        }
        /* Their listeners hung up: scmpd removes them, as systemd would on POLLHUP anyway. */
        t = now_ms();
        while ((store_count('l') || store_count('m')) && now_ms() - t < WAIT_MS)
                pump(nfd, &ns, 20, NULL);
        CHECK(store_count('l') == 0 && store_count('m') == 0,
              "after the children exited, %u listeners and %u identities are still stored",
              store_count('l'), store_count('m'));
        kill(d, SIGTERM);
        {
                int st = 0;
                uint64_t end = now_ms() + WAIT_MS;
                pid_t r;

                while ((r = waitpid(d, &st, WNOHANG)) == 0 && now_ms() < end)
                        pump(nfd, &ns, 10, NULL);
                if (r == 0)
                        kill_scmpd(d, nfd, &ns);
                CHECK(r == d && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                      "scmpd did not stop cleanly on SIGTERM");
                CHECK(ns.stopping, "no STOPPING=1");
        }
        return 0;
}

static int mode_plain(const char *bin)
{
        struct scmpd_run run = { .bin = bin,
                                 .config = p_conf,
                                 .listen_path = p_sock,
                                 .control_path = p_ctl,
                                 .log = p_log };
        uint64_t base[1] = { 0 }, end;
        unsigned dummy;
        pid_t d, kid;
        int st = 0;
        FILE *f = fopen(p_conf, "we");

        if (!f)
                return 1;
        fprintf(f, "{ \"policies\": [ { \"match\": { \"metadata\": \"restart\" }, \"rules\": [\n"
                   "  { \"syscalls\": [\"getppid\"], \"chain\": [{ \"value\": 77 }] },\n"
                   "  { \"syscalls\": [\"getpgid\"], \"chain\": [{ \"value\": 4242 }] },\n"
                   "  { \"syscalls\": [\"getsid\"], \"chain\": [{ \"value\": 55 }] } ] } ] }\n");
        fclose(f);
        d = spawn_scmpd(&run, &dummy);
        for (end = now_ms() + WAIT_MS; !connectable(p_ctl) && now_ms() < end;)
                sleep_ms(5);
        kid = spawn_child(0, p_sock, true);
        end = now_ms() + WAIT_MS;
        while (shm->child[0].done == 0 && !shm->child[0].failed && now_ms() < end)
                sleep_ms(5);
        CHECK(shm->child[0].done > 0, "plain: child not served");
        kill_scmpd(d, -1, NULL);
        end = now_ms() + WAIT_MS;
        while (!shm->child[0].enosys_seen && !shm->child[0].failed && now_ms() < end)
                sleep_ms(5);
        CHECK(shm->child[0].enosys_seen > 0 && !shm->child[0].failed,
              "plain: after scmpd died the child got %ld errno %d, not ENOSYS",
              shm->child[0].bad_ret, shm->child[0].bad_errno);
        /* A new scmpd starts on the stale socket path, without the old listener: it is up once
         * its control socket accepts (a SIGTERM before that would meet a process still starting,
         * not scmpd's handler). */
        d = spawn_scmpd(&run, &dummy);
        for (end = now_ms() + WAIT_MS;
             !connectable(p_ctl) && waitpid(d, &st, WNOHANG) == 0 && now_ms() < end;)
                sleep_ms(5);
        CHECK(connectable(p_ctl) && kill(d, 0) == 0,
              "plain: scmpd did not restart on the stale path");
        base[0] = (uint64_t)shm->child[0].enosys_seen;
        end = now_ms() + WAIT_MS;
        while ((uint64_t)shm->child[0].enosys_seen <= base[0] && !shm->child[0].failed &&
               now_ms() < end)
                sleep_ms(5);
        CHECK((uint64_t)shm->child[0].enosys_seen > base[0] && !shm->child[0].failed,
              "plain: the old listener's targets must keep getting ENOSYS");
        shm->stop = 1;
        CHECK(waitpid(kid, &st, 0) == kid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "plain: child failed");
        kill(d, SIGTERM);
        waitpid(d, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "plain: scmpd did not stop on SIGTERM (status 0x%x)", st);
        return 0;
}

/* The kernel behaviour the journal is designed around, on this kernel. */
static int mode_facts(void)
{
        struct seccomp_notif *slot;
        int sp[2], lfd, mfd, st;
        pid_t t, r, parent = getpid();

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
                return 1;
        t = fork();
        if (t == 0) {
                int fd;
                long v;

                child_die_with_parent(parent);
                fd = install_filter();
                if (fd < 0 ||
                    scmpd_handoff_send(sp[1], fd, &(struct scmpd_handoff_info){ .pid = getpid() }) <
                            0)
                        _exit(2);
                close(fd);
                errno = 0;
                v = syscall(SYS_getppid);
                _exit(v == 4321 ? 0 : 1);
        }
        {
                char buf[4096];
                union {
                        struct cmsghdr h;
                        char b[CMSG_SPACE(sizeof(int))];
                } u;
                struct iovec iov = { buf, sizeof(buf) };
                struct msghdr m = { .msg_iov = &iov,
                                    .msg_iovlen = 1,
                                    .msg_control = u.b,
                                    .msg_controllen = sizeof(u.b) };

                if (recvmsg(sp[0], &m, MSG_CMSG_CLOEXEC) <= 0 || !CMSG_FIRSTHDR(&m))
                        return 1;
                memcpy(&lfd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
        }
        mfd = memfd_create("facts", MFD_CLOEXEC);
        if (mfd < 0 || ftruncate(mfd, 4096) < 0)
                return 1;
        slot = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
        if (slot == MAP_FAILED)
                return 1;
        r = fork();
        if (r == 0) { /* the receiver: RECV into the shared memfd, then die unanswered */
                if (scmpd_notify_receive(lfd, slot) < 0)
                        _exit(1);
                raise(SIGKILL);
        }
        waitpid(r, &st, 0);
        CHECK(WIFSIGNALED(st) && slot->data.arch == AUDIT_ARCH_X86_64 && slot->pid == (__u32)t &&
                      t > 0,
              "the notification in the memfd survives its receiver's SIGKILL");
        CHECK(scmpd_notify_id_valid(lfd, slot->id) == 0,
              "an ID received by a dead process stays valid");
        {
                struct pollfd p = { .fd = lfd, .events = POLLIN };

                CHECK(poll(&p, 1, 200) == 0 || !(p.revents & POLLIN),
                      "a received notification is not pending again (POLLIN 0x%x)", p.revents);
        }
        CHECK(scmpd_notify_respond_value(lfd, slot->id, 4321) == 0,
              "another holder of the listener answers it");
        {
                int again = scmpd_notify_respond_value(lfd, slot->id, 1);

                CHECK(again == -EINPROGRESS || again == -ENOENT,
                      "a second answer to one ID fails (got %d)", again);
        }
        waitpid(t, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the target got the late answer");
        CHECK(scmpd_notify_id_valid(lfd, slot->id) == -ENOENT, "an answered ID is not valid");
        return 0;
}

static volatile sig_atomic_t got_usr1, got_term;

static void on_sig(int sig)
{
        if (sig == SIGUSR1)
                got_usr1 = 1;
        else
                got_term = 1;
}

/*
 * As a service manager for a test script: scmpd with CONFIG on the activated sockets SOCK and
 * CTL, logging to LOG. SIGUSR1: SIGKILL scmpd and start it again with the store (one line
 * "restarted adopted=N refused=N replayed=N" on stdout once it is ready); SIGTERM: stop scmpd
 * with SIGTERM and exit. Prints "ready" after the first start.
 */
static int mode_supervise(const char *bin, const char *config, const char *sock, const char *ctl,
                          const char *log)
{
        struct sigaction sa = { .sa_handler = on_sig };
        struct notify_state ns = {};
        struct scmpd_run run = { .bin = bin,
                                 .config = config,
                                 .listen_path = sock,
                                 .control_path = ctl,
                                 .log = log,
                                 .notify_path = p_notify };
        unsigned want;
        int nfd, st;
        pid_t d;

        sigaction(SIGUSR1, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        run.handoff_fd = bind_listen(sock);
        run.control_fd = bind_listen(ctl);
        nfd = bind_notify(p_notify);
        if (run.handoff_fd < 0 || run.control_fd < 0 || nfd < 0) {
                perror("supervise: sockets");
                return 1;
        }
        ns.main_pid = d = spawn_scmpd(&run, &want);
        pump(nfd, &ns, WAIT_MS, &ns.ready);
        CHECK(ns.ready, "supervise: no READY=1");
        printf("ready\n");
        while (!got_term) {
                pump(nfd, &ns, 50, NULL);
                if (!got_usr1)
                        continue;
                got_usr1 = 0;
                kill_scmpd(d, nfd, &ns);
                ns = (struct notify_state){};
                ns.main_pid = d = spawn_scmpd(&run, &want);
                pump(nfd, &ns, WAIT_MS, &ns.ready);
                CHECK(ns.ready && ns.adopted == want && ns.refused == 0,
                      "supervise: restart: ready %d, %u passed back, %u adopted, %u refused",
                      ns.ready, want, ns.adopted, ns.refused);
                printf("restarted adopted=%u refused=%u replayed=%u\n", ns.adopted, ns.refused,
                       ns.replayed);
        }
        kill(d, SIGTERM);
        for (int i = 0; i < WAIT_MS / 10 && waitpid(d, &st, WNOHANG) == 0; i++)
                pump(nfd, &ns, 10, NULL);
        kill_scmpd(d, nfd, &ns);
        for (size_t i = 0; i < n_store; i++)
                close(store[i].fd);
        n_store = 0;
        return 0;
}

int main(int argc, char **argv)
{
        int r = 2;

        setvbuf(stdout, NULL, _IONBF, 0);
        if (argc < 2) {
                fprintf(stderr, "usage: fake-systemd restart|plain|facts|supervise ...\n");
                return 2;
        }
        shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shm == MAP_FAILED || !mkdtemp(tmpdir))
                return 1;
        setup_paths();
        if (strcmp(argv[1], "restart") == 0 && argc == 5)
                r = mode_restart(argv[2], argv[3], argv[4]);
        else if (strcmp(argv[1], "plain") == 0 && argc == 3)
                r = mode_plain(argv[2]);
        else if (strcmp(argv[1], "facts") == 0)
                r = mode_facts();
        else if (strcmp(argv[1], "supervise") == 0 && argc == 7)
                r = mode_supervise(argv[2], argv[3], argv[4], argv[5], argv[6]);
        else
                fprintf(stderr, "usage: fake-systemd restart|plain|facts|supervise ...\n");
        check_log_clean();
        if (n_fail)
                dump_log();
        cleanup_dir();
        printf("%u passed, %u failed\n", n_pass, n_fail);
        return r != 0 ? r : n_fail ? 1 : 0;
}
