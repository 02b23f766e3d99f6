/*
 * Soak and fault load for scmpd: full notification load, listener churn, targets killed in the
 * middle of their notifications and control monitors, for a set time, with scmpd's resources
 * and the targets' latency reported over time.
 *
 *   bench-soak [--scmpd PATH [--wrap PROG [ARG...] --] [--config FILE]]
 *              [--socket PATH --control PATH --pid PID]
 *              [--seconds S] [--interval S] [--steady N:META:EXPECT]... [--churn META:EXPECT]
 *              [--kill-every K] [--churn-calls C] [--churn-max-rate R] [--min-churn N]
 *              [--monitors N] [--stuck-monitors N] [--idle N:META] [--case NAME]
 *              [--expect-backlog]
 *
 * Either scmpd is started here (--scmpd, optionally under a wrapper such as strace; the built-in
 * policy below unless --config), or an already running one is used (--socket/--control/--pid,
 * started by a test with its own limits). The workload, every target running under a filter
 * that notifies getppid and allows everything else:
 *   steady   N targets per --steady class, each calling getppid in a loop and timing every call;
 *            EXPECT is what each call must return: "ppid" (continue), "value:N", "errno:NAME"
 *            (an errno number also works) or "any".
 *   churn    one churner forks short-lived targets one after another (at most R a second): each
 *            hands over its listener, makes C calls and exits; every K-th one instead calls in a
 *            loop and is SIGKILLed after a random 0..3 ms, so it dies at a random point of a
 *            notification's handling (in RECV, in the chain, on a worker, deferred, answered).
 *            --min-churn N keeps the run going past --seconds until N churn targets have ended
 *            (a test's proof that churn happened, whatever the machine's speed). At the end the
 *            churner finishes its current target: one that has not ended STALL_GIVE_UP_S after
 *            its start is killed and counted as failed (a lost answer), never left unnoticed.
 *   idle     N targets that hand over their listener and then hold it without a call (an fd in
 *            scmpd each); a handoff scmpd does not take is counted as refused, not as an error.
 *            With --expect-backlog (scmpd runs out of fds on purpose), a churn target that waits
 *            in the handoff socket's backlog until scmpd has fds again is reported as expected.
 *   monitor  N control clients that stream `monitor` events and read them; stuck monitors
 *            subscribe and never read.
 * Every answer is checked against its class's EXPECT; a wrong one is counted (also from killed
 * targets, in shared memory), never a success. --case NAME labels the diagnostics (a test runs
 * several cases against one scmpd).
 *
 * SIGUSR1 ends the run early, with the figures so far.
 *
 * Output: one line per interval (elapsed, scmpd's VmRSS and open fds, notifications a second,
 * latency percentiles of that interval, churned/killed/refused totals, wrong answers), then
 * `summary` and one `class` line per steady class. Exit 0 when scmpd lived through the run and
 * no answer was wrong, 1 otherwise, 2 on usage or setup errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
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

#include "child.h"
#include "notify_filter.h"
#include "proc_rss.h"

#include "scmpd/handoff.h"

#define MAX_CLASSES 8
#define MAX_STEADY 512
#define MAX_MONITORS 16
#define MAX_CHILDREN (MAX_STEADY + 2 * MAX_MONITORS + 4)
#define SUB_BITS 3
#define N_BUCKETS (64 << SUB_BITS)
#define EMULATED_VALUE 4242
/* A churn target still running this long after its start is described on stderr (a diagnosis,
 * not a verdict); one still running after STALL_GIVE_UP_S is killed and counted as failed. Time,
 * not a count of polls: on a loaded machine a poll loop takes far longer than its sleeps. */
#define STALL_REPORT_S 10
#define STALL_GIVE_UP_S 120

enum expect_kind {
        EXPECT_PPID,
        EXPECT_VALUE,
        EXPECT_ERRNO,
        EXPECT_ANY
};

struct expect {
        enum expect_kind kind;
        long value;
};

struct class
{
        char meta[64];
        struct expect expect;
        unsigned n;
};

/* Shared with every child (MAP_SHARED before the forks). */
struct shared {
        atomic_bool stop;
        atomic_uint ready;
        atomic_uint served;      /* steady targets that got their first answer */
        atomic_ulong wrong;      /* answers that were not the class's EXPECT */
        atomic_ulong churned;    /* churn targets that ended by themselves */
        atomic_ulong killed;     /* churn targets killed mid-notification */
        atomic_ulong refused;    /* handoffs scmpd refused (limits) */
        atomic_ulong churn_fail; /* churn targets that failed otherwise */
        atomic_ulong monitor_lines;
        atomic_int churn_phase; /* the current churn target: 0 handing over, 1 calling */
        struct {
                atomic_ulong calls;
                atomic_ulong hist[N_BUCKETS];
        } cls[MAX_CLASSES];
};

static struct shared *sh;
static pid_t children[MAX_CHILDREN];
static size_t n_children;
static pid_t scmpd_pid;
static bool scmpd_ours;
static char tmpdir[64];
static char sock_path[108], control_path[108];
static const char *case_name = "soak";
static bool expect_backlog;

static const char builtin_config[] =
        "{\n"
        "  \"limits\": { \"connections\": 256, \"listeners\": 4096 },\n"
        "  \"default\": { \"errno\": \"ENOSYS\" },\n"
        "  \"policies\": [\n"
        "    { \"name\": \"soak continue\", \"match\": { \"metadata\": \"soak-continue\" },\n"
        "      \"rules\": [ { \"syscalls\": [\"getppid\"], \"chain\": [\"continue\"] } ] },\n"
        "    { \"name\": \"soak value\", \"match\": { \"metadata\": \"soak-value\" },\n"
        "      \"rules\": [ { \"syscalls\": [\"getppid\"], \"chain\": [{ \"value\": 4242 }] } ] }\n"
        "  ]\n"
        "}\n";

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

static void cleanup_tmp(void)
{
        static const char *const names[] = { "scmpd.sock", "control.sock", "scmpd.json" };
        char path[160];

        if (!tmpdir[0])
                return;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
                unlink(path);
        }
        /* scmpd.log stays for inspection when the run failed; else it goes too. */
}

/* SIGUSR1: end the run now, with the figures so far (a test that decides its own duration). */
static volatile sig_atomic_t end_early;
static void on_end_signal(int sig)
{
        (void)sig;
        end_early = 1;
}

static void on_fatal_signal(int sig)
{
        (void)sig;
        for (size_t i = 0; i < n_children; i++)
                if (children[i] > 0)
                        kill(children[i], SIGKILL);
        _exit(3);
}

static void die(const char *what, int err) __attribute__((noreturn));
static void die(const char *what, int err)
{
        fprintf(stderr, "bench-soak: %s: %s\n", what, strerror(err));
        kill_children();
        cleanup_tmp();
        exit(2);
}

static pid_t spawn(void)
{
        pid_t parent = getpid(), pid;

        if (n_children >= MAX_CHILDREN)
                die("too many children", E2BIG);
        pid = fork();
        if (pid < 0)
                die("fork", errno);
        if (pid == 0) {
                n_children = 0;
                child_die_with_parent(parent);
        } else {
                children[n_children++] = pid;
        }
        return pid;
}

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
        struct timespec ts = { (time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Log-linear buckets: 2^SUB_BITS per power of two. */
static unsigned bucket_of(uint64_t ns)
{
        if (ns < (1U << SUB_BITS))
                return (unsigned)ns;
        unsigned lg = 63 - (unsigned)__builtin_clzll(ns);
        unsigned sub = (unsigned)(ns >> (lg - SUB_BITS)) & ((1U << SUB_BITS) - 1);
        unsigned b = ((lg - SUB_BITS + 1) << SUB_BITS) + sub;
        return b < N_BUCKETS ? b : N_BUCKETS - 1;
}

/* The upper bound of a bucket, in ns. */
static uint64_t bucket_top(unsigned b)
{
        if (b < (1U << SUB_BITS))
                return b + 1;
        unsigned lg = (b >> SUB_BITS) + SUB_BITS - 1;
        uint64_t sub = b & ((1U << SUB_BITS) - 1);
        return ((1ULL << SUB_BITS) + sub + 1) << (lg - SUB_BITS);
}

static uint64_t percentile(const uint64_t *h, uint64_t total, double p)
{
        uint64_t want = (uint64_t)((double)total * p), seen = 0;

        if (total == 0)
                return 0;
        if (want >= total)
                want = total - 1;
        for (unsigned b = 0; b < N_BUCKETS; b++) {
                seen += h[b];
                if (seen > want)
                        return bucket_top(b);
        }
        return bucket_top(N_BUCKETS - 1);
}

/* Notify getppid, allow everything else: the listener fd or a negative errno. */
static int install_filter(void)
{
        static const int nrs[] = { SYS_getppid };

        return test_install_notify_filter(nrs, 1);
}

/* Install the filter and hand the listener to scmpd. 0, or the child's exit code. */
static int become_target(const char *meta)
{
        struct scmpd_handoff_info info = { .pid = getpid(), .metadata = meta };
        int fd = install_filter();

        if (fd < 0)
                return 10;
        int r = scmpd_handoff_send_to(sock_path, fd, &info);
        close(fd);
        return r < 0 ? 11 : 0;
}

static bool answer_ok(const struct expect *e, long ret, int err, pid_t ppid)
{
        switch (e->kind) {
        case EXPECT_PPID:
                return ret == (long)ppid;
        case EXPECT_VALUE:
                return ret == e->value;
        case EXPECT_ERRNO:
                return ret == -1 && err == (int)e->value;
        case EXPECT_ANY:
                return true;
        }
        return false;
}

static void steady_target(const struct class *c, unsigned ci)
{
        pid_t ppid = getppid();
        int r = become_target(c->meta);

        if (r)
                _exit(r);
        atomic_fetch_add(&sh->ready, 1);
        for (bool first = true; !atomic_load_explicit(&sh->stop, memory_order_relaxed);
             first = false) {
                uint64_t t0 = now_ns();
                errno = 0;
                long ret = syscall(SYS_getppid);
                int err = errno;
                uint64_t dt = now_ns() - t0;
                if (!answer_ok(&c->expect, ret, err, ppid))
                        atomic_fetch_add(&sh->wrong, 1);
                atomic_fetch_add_explicit(&sh->cls[ci].hist[bucket_of(dt)], 1,
                                          memory_order_relaxed);
                atomic_fetch_add_explicit(&sh->cls[ci].calls, 1, memory_order_relaxed);
                if (first)
                        atomic_fetch_add(&sh->served, 1);
        }
        _exit(0);
}

static void churn_target(const struct class *c, unsigned calls, bool forever)
{
        pid_t ppid = getppid();
        int r = become_target(c->meta);

        if (r)
                _exit(r);
        atomic_store(&sh->churn_phase, 1);
        for (unsigned i = 0; forever || i < calls; i++) {
                errno = 0;
                long ret = syscall(SYS_getppid);
                if (!answer_ok(&c->expect, ret, errno, ppid)) {
                        atomic_fetch_add(&sh->wrong, 1);
                        _exit(15);
                }
        }
        _exit(0);
}

static void idle_target(const char *meta)
{
        int r = become_target(meta);

        if (r == 11)
                atomic_fetch_add(&sh->refused, 1);
        else if (r)
                _exit(r);
        atomic_fetch_add(&sh->ready, 1);
        while (!atomic_load(&sh->stop))
                sleep_ns(50000000);
        _exit(0);
}

/* A churn target that has not ended STALL_REPORT_S after its start: say which case it belongs
 * to and where it is (a diagnosis, not a verdict; the figures show whether it ended). */
static void report_stall(pid_t pid, bool killed, double seconds)
{
        char path[64], buf[512];
        static const char *const files[] = { "wchan", "stat", "stack" };
        bool handing_over = atomic_load(&sh->churn_phase) == 0;

        if (handing_over && expect_backlog) {
                fprintf(stderr,
                        "bench-soak: %s: churn target %d waits in the handoff socket's backlog "
                        "after %.0f s, as expected while scmpd is out of fds\n",
                        case_name, (int)pid, seconds);
                return;
        }
        fprintf(stderr, "bench-soak: %s: churn target %d (%s, %s) has not ended after %.0f s\n",
                case_name, (int)pid, killed ? "killed" : "running",
                handing_over ? "handing its listener over" : "making its calls", seconds);
        for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
                snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[k]);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                ssize_t n = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (n > 0) {
                        buf[n] = 0;
                        fprintf(stderr, "  %s: %s\n", files[k], buf);
                }
        }
}

static void churner(const struct class *c, unsigned calls, unsigned kill_every, double max_rate)
{
        uint64_t gap = max_rate > 0 ? (uint64_t)(1e9 / max_rate) : 0, next = now_ns();
        unsigned seq = 0, seed = (unsigned)getpid();
        pid_t self = getpid();

        while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
                bool kill_it = kill_every && ++seq % kill_every == 0;
                int status = 0;
                atomic_store(&sh->churn_phase, 0);
                uint64_t started = now_ns();
                pid_t pid = fork();
                if (pid < 0) {
                        sleep_ns(10000000);
                        continue;
                }
                if (pid == 0) {
                        child_die_with_parent(self);
                        churn_target(c, calls, kill_it);
                }
                if (kill_it) {
                        sleep_ns((uint64_t)(rand_r(&seed) % 3000) * 1000);
                        kill(pid, SIGKILL);
                }
                /* A churn target that hangs (a lost answer) would show here as a stall of
                 * the churn figures; bound it in time so the run ends, and count it. */
                for (int i = 0, reported = 0;; i++) {
                        if (waitpid(pid, &status, WNOHANG) == pid)
                                break;
                        double waited = (double)(now_ns() - started) / 1e9;
                        if (!reported && waited >= STALL_REPORT_S) {
                                report_stall(pid, kill_it, waited);
                                reported = 1;
                        }
                        if (waited >= STALL_GIVE_UP_S) {
                                report_stall(pid, kill_it, waited);
                                kill(pid, SIGKILL);
                                waitpid(pid, &status, 0);
                                atomic_fetch_add(&sh->churn_fail, 1);
                                status = -1;
                                break;
                        }
                        sleep_ns(i < 100 ? 20000 : 1000000);
                }
                if (kill_it && WIFSIGNALED(status))
                        atomic_fetch_add(&sh->killed, 1);
                else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                        atomic_fetch_add(&sh->churned, 1);
                else if (WIFEXITED(status) && WEXITSTATUS(status) == 11)
                        atomic_fetch_add(&sh->refused, 1);
                else if (status != -1) {
                        atomic_fetch_add(&sh->churn_fail, 1);
                        fprintf(stderr, "bench-soak: %s: churn target %d failed: %s %d\n",
                                case_name, (int)pid, WIFEXITED(status) ? "exit" : "signal",
                                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                }
                if (gap) {
                        next += gap;
                        uint64_t t = now_ns();
                        if (next > t)
                                sleep_ns(next - t);
                        else
                                next = t;
                }
        }
        _exit(0);
}

/* ---- monitors ---- */

static int control_connect(void)
{
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (s < 0)
                return -errno;
        memcpy(a.sun_path, control_path, strlen(control_path) + 1);
        if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
                int e = errno;
                close(s);
                return -e;
        }
        return s;
}

static void monitor(bool stuck)
{
        static const char req[] = "{\"command\":\"monitor\"}\n";
        char buf[65536];
        int s;

        if (stuck) {
                int small = 1024;
                s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (s >= 0)
                        setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
                close(s);
        }
        s = control_connect();
        if (s < 0)
                _exit(20);
        if (stuck) {
                int small = 1024;
                setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
        }
        if (write(s, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
                _exit(21);
        atomic_fetch_add(&sh->ready, 1);
        if (stuck) {
                while (!atomic_load(&sh->stop))
                        sleep_ns(100000000);
                _exit(0);
        }
        for (;;) {
                ssize_t n = read(s, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        _exit(atomic_load(&sh->stop) ? 0 : 22);
                unsigned long lines = 0;
                for (ssize_t i = 0; i < n; i++)
                        lines += buf[i] == '\n';
                atomic_fetch_add_explicit(&sh->monitor_lines, lines, memory_order_relaxed);
        }
}

/* ---- scmpd ---- */

static void start_scmpd(const char *binary, char **wrap, const char *config)
{
        char conf[128], log[128];

        snprintf(tmpdir, sizeof(tmpdir), "/tmp/bench-soak.XXXXXX");
        if (!mkdtemp(tmpdir))
                die("mkdtemp", errno);
        snprintf(sock_path, sizeof(sock_path), "%s/scmpd.sock", tmpdir);
        snprintf(control_path, sizeof(control_path), "%s/control.sock", tmpdir);
        snprintf(log, sizeof(log), "%s/scmpd.log", tmpdir);
        if (config) {
                snprintf(conf, sizeof(conf), "%s", config);
        } else {
                snprintf(conf, sizeof(conf), "%s/scmpd.json", tmpdir);
                FILE *f = fopen(conf, "we");
                if (!f || fputs(builtin_config, f) < 0 || fclose(f) != 0)
                        die("writing the scmpd config", errno);
        }
        fprintf(stderr, "bench-soak: scmpd log in %s\n", log);

        pid_t pid = spawn();
        if (pid == 0) {
                char *argv[64];
                size_t k = 0;
                int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (out >= 0) {
                        dup2(out, STDERR_FILENO);
                        dup2(out, STDOUT_FILENO);
                }
                for (; wrap && wrap[k] && k < 40; k++)
                        argv[k] = wrap[k];
                const char *args[] = {
                        binary,        "--foreground", "--log-target", "stderr",
                        "--log-level", "warning",      "--config",     conf,
                        "--listen",    sock_path,      "--control",    control_path
                };
                for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++)
                        argv[k++] = (char *)args[i];
                argv[k] = NULL;
                execvp(argv[0], argv);
                _exit(127);
        }
        scmpd_pid = pid;
        scmpd_ours = true;
        /* Ready once the control socket answers (a wrapped or sanitized scmpd starts slowly). */
        for (int i = 0; i < 6000; i++) {
                int s = control_connect();
                if (s >= 0) {
                        close(s);
                        return;
                }
                if (waitpid(pid, NULL, WNOHANG) == pid) {
                        children[0] = 0;
                        die("scmpd exited at start (see its log)", ECHILD);
                }
                sleep_ns(10000000);
        }
        die("scmpd did not open its sockets", ETIMEDOUT);
}

static long fd_count(pid_t pid)
{
        char path[64];
        long n = 0;
        struct dirent *e;

        snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
        DIR *d = opendir(path);
        if (!d)
                return -1;
        while ((e = readdir(d)))
                n += e->d_name[0] != '.';
        closedir(d);
        return n;
}

static bool scmpd_alive(void)
{
        if (scmpd_ours) {
                int status;
                if (waitpid(scmpd_pid, &status, WNOHANG) == scmpd_pid) {
                        for (size_t i = 0; i < n_children; i++)
                                if (children[i] == scmpd_pid)
                                        children[i] = 0;
                        fprintf(stderr, "bench-soak: scmpd ended: status 0x%x\n", status);
                        return false;
                }
                return true;
        }
        return kill(scmpd_pid, 0) == 0;
}

static int parse_expect(const char *s, struct expect *e)
{
        char *end;

        if (strcmp(s, "ppid") == 0) {
                e->kind = EXPECT_PPID;
        } else if (strcmp(s, "any") == 0) {
                e->kind = EXPECT_ANY;
        } else if (strncmp(s, "value:", 6) == 0) {
                e->kind = EXPECT_VALUE;
                e->value = strtol(s + 6, &end, 10);
                if (*end)
                        return -EINVAL;
        } else if (strncmp(s, "errno:", 6) == 0) {
                static const struct {
                        const char *name;
                        int v;
                } names[] = { { "EPERM", EPERM },        { "EAGAIN", EAGAIN }, { "ENOSYS", ENOSYS },
                              { "EACCES", EACCES },      { "EBUSY", EBUSY },   { "EINTR", EINTR },
                              { "ETIMEDOUT", ETIMEDOUT } };
                e->kind = EXPECT_ERRNO;
                e->value = -1;
                for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                        if (strcmp(s + 6, names[i].name) == 0)
                                e->value = names[i].v;
                if (e->value < 0) {
                        e->value = strtol(s + 6, &end, 10);
                        if (*end || e->value <= 0 || e->value > 4095)
                                return -EINVAL;
                }
        } else {
                return -EINVAL;
        }
        return 0;
}

/* "META:EXPECT" or "N:META:EXPECT" into a class. */
static int parse_class(const char *arg, bool with_count, struct class *c)
{
        char buf[160], *p = buf, *colon;

        if (strlen(arg) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, arg);
        c->n = 1;
        if (with_count) {
                colon = strchr(p, ':');
                if (!colon)
                        return -EINVAL;
                *colon = 0;
                c->n = (unsigned)strtoul(p, NULL, 10);
                if (c->n == 0 || c->n > MAX_STEADY)
                        return -EINVAL;
                p = colon + 1;
        }
        colon = strchr(p, ':');
        if (!colon || (size_t)(colon - p) >= sizeof(c->meta))
                return -EINVAL;
        memcpy(c->meta, p, (size_t)(colon - p));
        c->meta[colon - p] = 0;
        return parse_expect(colon + 1, &c->expect);
}

/* Wait up to 30 s for a start-up counter to reach want; a child failing at start ends the run. */
static void wait_start(atomic_uint *counter, unsigned want)
{
        for (int i = 0; i < 30000 && atomic_load(counter) < want; i++) {
                if (!scmpd_alive())
                        die("scmpd died during start-up", ECHILD);
                pid_t gone = waitpid(-1, NULL, WNOHANG);
                if (gone > 0 && gone != scmpd_pid)
                        die("a target or monitor failed at start", ECHILD);
                sleep_ns(1000000);
        }
        if (atomic_load(counter) < want)
                die("targets did not start", ETIMEDOUT);
}

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
        fprintf(stderr,
                "usage: bench-soak [--scmpd PATH [--wrap PROG ARG... --] [--config F]] | "
                "[--socket P --control P --pid PID]\n"
                "  [--seconds S] [--interval S] [--steady N:META:EXPECT]... "
                "[--churn META:EXPECT]\n"
                "  [--kill-every K] [--churn-calls C] [--churn-max-rate R] [--min-churn N]\n"
                "  [--monitors N] [--stuck-monitors N] [--idle N:META] [--case NAME] "
                "[--expect-backlog]\n");
        exit(2);
}

int main(int argc, char **argv)
{
        const char *scmpd = NULL, *config = NULL;
        char *wrap[41] = { NULL };
        double seconds = 30, interval = 10, max_rate = 0;
        struct class classes[MAX_CLASSES + 1];
        unsigned n_classes = 0, kill_every = 4, churn_calls = 20, n_mon = 1, n_stuck = 0;
        bool churn = false;
        unsigned n_idle = 0;
        unsigned long min_churn = 0;
        pid_t churner_pid = 0;
        char idle_meta[64] = "";
        unsigned total_steady = 0;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (strcmp(a, "--wrap") == 0) {
                        size_t k = 0;
                        for (i++; i < argc && strcmp(argv[i], "--") != 0; i++)
                                if (k < 40)
                                        wrap[k++] = argv[i];
                        continue;
                }
                if (strcmp(a, "--expect-backlog") == 0) {
                        expect_backlog = true;
                        continue;
                }
                if (!v)
                        usage();
                i++;
                if (strcmp(a, "--scmpd") == 0)
                        scmpd = v;
                else if (strcmp(a, "--config") == 0)
                        config = v;
                else if (strcmp(a, "--socket") == 0)
                        snprintf(sock_path, sizeof(sock_path), "%s", v);
                else if (strcmp(a, "--control") == 0)
                        snprintf(control_path, sizeof(control_path), "%s", v);
                else if (strcmp(a, "--pid") == 0)
                        scmpd_pid = (pid_t)atoi(v);
                else if (strcmp(a, "--seconds") == 0)
                        seconds = atof(v);
                else if (strcmp(a, "--interval") == 0)
                        interval = atof(v);
                else if (strcmp(a, "--steady") == 0) {
                        if (n_classes >= MAX_CLASSES ||
                            parse_class(v, true, &classes[n_classes]) < 0)
                                usage();
                        total_steady += classes[n_classes++].n;
                } else if (strcmp(a, "--churn") == 0) {
                        if (parse_class(v, false, &classes[MAX_CLASSES]) < 0)
                                usage();
                        churn = true;
                } else if (strcmp(a, "--kill-every") == 0)
                        kill_every = (unsigned)atoi(v);
                else if (strcmp(a, "--churn-calls") == 0)
                        churn_calls = (unsigned)atoi(v);
                else if (strcmp(a, "--churn-max-rate") == 0)
                        max_rate = atof(v);
                else if (strcmp(a, "--min-churn") == 0)
                        min_churn = strtoul(v, NULL, 10);
                else if (strcmp(a, "--case") == 0)
                        case_name = v;
                else if (strcmp(a, "--monitors") == 0)
                        n_mon = (unsigned)atoi(v);
                else if (strcmp(a, "--idle") == 0) {
                        if (sscanf(v, "%u:%63s", &n_idle, idle_meta) != 2 || n_idle > MAX_STEADY)
                                usage();
                } else if (strcmp(a, "--stuck-monitors") == 0)
                        n_stuck = (unsigned)atoi(v);
                else
                        usage();
        }
        if (n_classes == 0) {
                parse_class("2:soak-continue:ppid", true, &classes[n_classes++]);
                parse_class("2:soak-value:value:4242", true, &classes[n_classes++]);
                total_steady = 4;
                if (!churn) {
                        parse_class("soak-value:value:4242", false, &classes[MAX_CLASSES]);
                        churn = true;
                }
        }
        if (total_steady + n_idle > MAX_STEADY || n_mon + n_stuck > MAX_MONITORS || seconds <= 0 ||
            interval <= 0 || (!scmpd && (!sock_path[0] || !control_path[0] || scmpd_pid <= 0)))
                usage();

        signal(SIGALRM, on_fatal_signal);
        signal(SIGINT, on_fatal_signal);
        signal(SIGTERM, on_fatal_signal);
        signal(SIGUSR1, on_end_signal);
        alarm((unsigned)(seconds + 600));
        sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (sh == MAP_FAILED)
                die("mmap", errno);
        if (scmpd)
                start_scmpd(scmpd, wrap[0] ? wrap : NULL, config);

        /* The steady targets first, each served once: they are the listeners that exist
         * before idle targets fill scmpd's fd table (the RLIMIT_NOFILE fault case). */
        unsigned want_ready = 0;
        for (unsigned c = 0; c < n_classes; c++)
                for (unsigned k = 0; k < classes[c].n; k++, want_ready++)
                        if (spawn() == 0)
                                steady_target(&classes[c], c);
        wait_start(&sh->served, want_ready);
        for (unsigned k = 0; k < n_idle; k++, want_ready++)
                if (spawn() == 0)
                        idle_target(idle_meta);
        for (unsigned k = 0; k < n_mon + n_stuck; k++, want_ready++)
                if (spawn() == 0)
                        monitor(k >= n_mon);
        wait_start(&sh->ready, want_ready);
        if (churn && (churner_pid = spawn()) == 0)
                churner(&classes[MAX_CLASSES], churn_calls, kill_every, max_rate);

        printf("# scmpd pid %d; %u steady targets in %u classes; churn %s; %u monitors, %u "
               "stuck\n",
               (int)scmpd_pid, total_steady, n_classes, churn ? "on" : "off", n_mon, n_stuck);
        printf("%7s %9s %5s %11s %8s %8s %8s %9s %9s %8s %7s %7s %6s\n", "t_s", "rss_kib", "fds",
               "notif_per_s", "p50_us", "p99_us", "p999_us", "max_us", "churned", "killed",
               "refused", "failed", "wrong");
        fflush(stdout);

        static uint64_t prev[MAX_CLASSES][N_BUCKETS], all[MAX_CLASSES][N_BUCKETS];
        uint64_t prev_calls = 0, t0 = now_ns(), next = t0, row_t0 = t0;
        long rss_first = -1, rss_last = -1, rss_max = -1, fd_first = -1, fd_last = -1, fd_max = -1;
        bool alive = true;
        unsigned rows = 0;

        while (alive) {
                next += (uint64_t)(interval * 1e9);
                uint64_t end = t0 + (uint64_t)(seconds * 1e9);
                if (next > end)
                        next = end;
                while (now_ns() < next && !end_early && (alive = scmpd_alive()))
                        sleep_ns(50000000);
                if (!alive)
                        break;
                if (end_early)
                        next = end;
                double row_s = (double)(now_ns() - row_t0) / 1e9;
                row_t0 = now_ns();
                uint64_t h[N_BUCKETS] = { 0 }, n = 0, calls = 0;
                for (unsigned c = 0; c < n_classes; c++) {
                        calls += atomic_load(&sh->cls[c].calls);
                        for (unsigned b = 0; b < N_BUCKETS; b++) {
                                uint64_t v = atomic_load(&sh->cls[c].hist[b]);
                                h[b] += v - prev[c][b];
                                n += v - prev[c][b];
                                all[c][b] = v;
                                prev[c][b] = v;
                        }
                }
                uint64_t maxb = 0;
                for (unsigned b = 0; b < N_BUCKETS; b++)
                        if (h[b])
                                maxb = bucket_top(b);
                double el = (double)(now_ns() - t0) / 1e9;
                long rss = proc_rss_kib(scmpd_pid), fds = fd_count(scmpd_pid);
                if (rss_first < 0) {
                        rss_first = rss;
                        fd_first = fds;
                }
                rss_last = rss;
                fd_last = fds;
                rss_max = rss > rss_max ? rss : rss_max;
                fd_max = fds > fd_max ? fds : fd_max;
                printf("%7.0f %9ld %5ld %11.0f %8.1f %8.1f %8.1f %9.1f %9lu %8lu %7lu %7lu "
                       "%6lu\n",
                       el, rss, fds, (double)(calls - prev_calls) / (row_s > 0 ? row_s : interval),
                       (double)percentile(h, n, 0.50) / 1e3, (double)percentile(h, n, 0.99) / 1e3,
                       (double)percentile(h, n, 0.999) / 1e3, (double)maxb / 1e3,
                       atomic_load(&sh->churned), atomic_load(&sh->killed),
                       atomic_load(&sh->refused), atomic_load(&sh->churn_fail),
                       atomic_load(&sh->wrong));
                fflush(stdout);
                prev_calls = calls;
                rows++;
                if (next >= end)
                        break;
        }
        /* --min-churn: go on until that many churn targets ended, however slow the machine. */
        while (alive && churn && !end_early &&
               atomic_load(&sh->churned) + atomic_load(&sh->killed) + atomic_load(&sh->refused) +
                               atomic_load(&sh->churn_fail) <
                       min_churn &&
               (double)(now_ns() - t0) / 1e9 < seconds + STALL_GIVE_UP_S)
                if ((alive = scmpd_alive()))
                        sleep_ns(50000000);
        atomic_store(&sh->stop, true);
        /* Steady targets may be parked in a notification (a stuck handler): kill, don't wait.
         * The churner is not killed: it finishes its current target, whose end (or stall) is
         * part of the verdict; idle targets go first, so that a churn target waiting in the
         * backlog of an scmpd out of fds is taken once their fds are free. */
        for (size_t i = 0; i < n_children; i++)
                if (children[i] > 0 && children[i] != scmpd_pid && children[i] != churner_pid)
                        kill(children[i], SIGKILL);
        if (churner_pid > 0) {
                for (uint64_t w0 = now_ns(); waitpid(churner_pid, NULL, WNOHANG) == 0;) {
                        if ((double)(now_ns() - w0) / 1e9 > STALL_GIVE_UP_S + 30) {
                                kill(churner_pid, SIGKILL);
                                waitpid(churner_pid, NULL, 0);
                                atomic_fetch_add(&sh->churn_fail, 1);
                                break;
                        }
                        sleep_ns(5000000);
                }
                for (size_t i = 0; i < n_children; i++)
                        if (children[i] == churner_pid)
                                children[i] = 0;
        }
        for (size_t i = 0; i < n_children; i++)
                if (children[i] > 0 && children[i] != scmpd_pid) {
                        waitpid(children[i], NULL, 0);
                        children[i] = 0;
                }
        /* scmpd's resources once the load is gone: every session and notification released. */
        long rss_idle = -1, fd_idle = -1;
        if (alive) {
                sleep_ns(1000000000);
                alive = scmpd_alive();
                rss_idle = proc_rss_kib(scmpd_pid);
                fd_idle = fd_count(scmpd_pid);
        }
        uint64_t total_calls = 0;
        for (unsigned c = 0; c < n_classes; c++)
                total_calls += atomic_load(&sh->cls[c].calls);
        printf("summary seconds=%.0f rows=%u scmpd_alive=%d calls=%" PRIu64
               " churned=%lu killed=%lu refused=%lu churn_failed=%lu wrong=%lu "
               "monitor_lines=%lu rss_first_kib=%ld rss_last_kib=%ld rss_max_kib=%ld "
               "rss_idle_kib=%ld fds_first=%ld fds_last=%ld fds_max=%ld fds_idle=%ld\n",
               (double)(now_ns() - t0) / 1e9, rows, alive, total_calls, atomic_load(&sh->churned),
               atomic_load(&sh->killed), atomic_load(&sh->refused), atomic_load(&sh->churn_fail),
               atomic_load(&sh->wrong), atomic_load(&sh->monitor_lines), rss_first, rss_last,
               rss_max, rss_idle, fd_first, fd_last, fd_max, fd_idle);
        for (unsigned c = 0; c < n_classes; c++) {
                uint64_t n = 0;
                for (unsigned b = 0; b < N_BUCKETS; b++)
                        n += all[c][b];
                printf("class meta=%s targets=%u calls=%lu p50_us=%.1f p99_us=%.1f "
                       "p999_us=%.1f\n",
                       classes[c].meta, classes[c].n, atomic_load(&sh->cls[c].calls),
                       (double)percentile(all[c], n, 0.50) / 1e3,
                       (double)percentile(all[c], n, 0.99) / 1e3,
                       (double)percentile(all[c], n, 0.999) / 1e3);
        }
        fflush(stdout);
        bool ok = alive && atomic_load(&sh->wrong) == 0;
        if (scmpd_ours) {
                kill(scmpd_pid, SIGTERM);
                int status = 0;
                for (int i = 0; i < 300; i++) {
                        if (waitpid(scmpd_pid, &status, WNOHANG) == scmpd_pid) {
                                for (size_t k = 0; k < n_children; k++)
                                        if (children[k] == scmpd_pid)
                                                children[k] = 0;
                                break;
                        }
                        sleep_ns(100000000);
                }
                kill_children();
                printf("scmpd_exit status=0x%x\n", status);
                if (ok)
                        cleanup_tmp();
        }
        return ok ? 0 : 1;
}
