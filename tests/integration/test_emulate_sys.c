/*
 * scmpd's sysinfo and sched handlers against real targets (no runtime needed): a child enters a
 * new user namespace (root there, host uid HOST_BASE) and a new pid namespace, is put into a
 * memory cgroup with a 32 MiB limit and a pids cgroup of its own, and its first process there
 * (pid 1) hands its listener for sysinfo, sched_setscheduler, sched_setparam and sched_setattr to
 * a scmpd started here. From its own side it checks:
 *
 *   - sysinfo: totalram is the cgroup's limit, procs its cgroup's task count, uptime its own
 *     age; NULL, read-only and hole-crossing buffers get EFAULT and nothing is written;
 *   - sched: SCHED_FIFO within the bound is set (the kernel reads it back), beyond it EPERM,
 *     negative nice EPERM, SCHED_DEADLINE EPERM, a missing pid ESRCH, a pid of a nested pid
 *     namespace or of another user namespace EPERM (refused, unchanged), NULL and unmapped
 *     pointers EINVAL and EFAULT, and a caller without CAP_SYS_NICE EPERM;
 *   - TOCTOU: a second thread rewrites the sched_attr's priority and size while sched_setattr is
 *     pending; no priority beyond the bound is ever in force;
 * and a child that stays in the host's user namespace is refused (EPERM), whatever it asks.
 *
 * Built without sanitizers (the children run under a seccomp filter); scmpd itself is the
 * build's, sanitized in a sanitizer build. Usage: test-emulate-sys SCMPD. Needs root.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/check.h"
#include "../common/child.h"
#include "notify_filter.h"
#include "scmpd/handoff.h"

#define HOST_BASE 100000
#define LIMIT (32ULL << 20)
#define MAX_RT 10
#define RACE_ITERATIONS 300

static char T[64], sock_path[128];
static char mem_cg[256], pids_cg[256]; /* "" when this machine has no such cgroup to use */

struct sched_attr_k {
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t prio;
        uint64_t runtime, deadline, period;
};

static long setattr(pid_t pid, const volatile void *a)
{
        return syscall(SYS_sched_setattr, pid, a, 0);
}

static int errno_of(long r)
{
        return r < 0 ? errno : 0;
}

static int prio_of(pid_t pid)
{
        struct sched_param sp = { 0 };

        return sched_getparam(pid, &sp) == 0 ? sp.sched_priority : -1;
}

/* ---- the child's side ---- */

struct child_args {
        bool userns;
        int to_parent, from_parent;
        time_t started; /* CLOCK_BOOTTIME seconds when the parent forked it */
};

static int connect_scmpd(void)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -1;
        return fd;
}

static volatile struct sched_attr_k race_attr;
static atomic_bool race_stop;

static void *racer(void *arg)
{
        while (!atomic_load_explicit(&race_stop, memory_order_relaxed)) {
                race_attr.prio = 50;
                race_attr.size = 4000;
                for (volatile int i = 0; i < 300; i++)
                        ;
                race_attr.prio = 5;
                race_attr.size = 48;
                for (volatile int i = 0; i < 300; i++)
                        ;
        }
        return NULL;
}

static int drop_sys_nice(void)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2];

        if (syscall(SYS_capget, &h, d) < 0)
                return -1;
        d[0].effective &= ~(1U << CAP_SYS_NICE);
        return (int)syscall(SYS_capset, &h, d);
}

/* A process in a pid namespace nested in ours: its pid in ours (its parent, which unshared
 * CLONE_NEWPID but stays in ours itself, learns it from fork() and tells us). It lives until
 * *ret_hold is closed; *ret_parent is the process to reap. */
static pid_t nested_pid(int *ret_hold, pid_t *ret_parent)
{
        int p[2], q[2];
        pid_t pid, inner = -1;

        if (pipe(p) < 0 || pipe(q) < 0)
                return -1;
        pid = fork();
        if (pid == 0) {
                char c;

                close(q[0]);
                if (unshare(CLONE_NEWPID) < 0)
                        _exit(1);
                inner = fork();
                if (inner == 0) {
                        close(p[1]);
                        (void)!read(p[0], &c, 1);
                        _exit(0);
                }
                (void)!write(q[1], &inner, sizeof(inner));
                close(p[1]);
                (void)!read(p[0], &c, 1);
                wait(NULL);
                _exit(0);
        }
        close(p[0]);
        close(q[1]);
        if (read(q[0], &inner, sizeof(inner)) != sizeof(inner))
                inner = -1;
        close(q[0]);
        *ret_hold = p[1];
        *ret_parent = pid;
        return inner;
}

static void checks_userns(struct child_args *a)
{
        long page = sysconf(_SC_PAGESIZE);
        struct sched_attr_k at = { .size = 48 };
        struct sched_param sp;
        struct sysinfo si;
        struct timespec now;
        char *ro, *edge;
        pthread_t th;
        pid_t inner, grand;
        int hold, ok = 0, refused = 0, other = 0, violations = 0, pid_in_ours;

        /* sysinfo */
        check(sysinfo(&si) == 0, "sysinfo answered");
        if (mem_cg[0])
                check((uint64_t)si.totalram * si.mem_unit == LIMIT && si.freeram <= si.totalram,
                      "totalram is the cgroup's 32 MiB limit (%lu x %u)", si.totalram, si.mem_unit);
        if (pids_cg[0])
                check(si.procs == 2, "procs is the cgroup's two tasks (%u)", si.procs);
        clock_gettime(CLOCK_BOOTTIME, &now);
        check(si.uptime >= 0 && si.uptime <= now.tv_sec - a->started + 1,
              "uptime %ld s is its own age (at most %ld s)", si.uptime,
              (long)(now.tv_sec - a->started + 1));
        {
                /* A figure, never a verdict: what one emulated sysinfo costs here. */
                struct timespec t0, t1;

                clock_gettime(CLOCK_MONOTONIC, &t0);
                for (int i = 0; i < 200; i++)
                        sysinfo(&si);
                clock_gettime(CLOCK_MONOTONIC, &t1);
                printf("figure: 200 emulated sysinfo calls, %.1f us each\n",
                       ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
                               200 / 1000);
        }
        ro = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        edge = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                    0);
        memset(ro, 'r', (size_t)page);
        memset(edge, 'e', (size_t)page);
        mprotect(ro, (size_t)page, PROT_READ);
        munmap(edge + page, (size_t)page);
        check(errno_of(syscall(SYS_sysinfo, NULL)) == EFAULT, "sysinfo(NULL): EFAULT");
        check(errno_of(syscall(SYS_sysinfo, ro)) == EFAULT && ro[0] == 'r' && ro[page - 1] == 'r',
              "sysinfo into a read-only page: EFAULT, the page unchanged");
        check(errno_of(syscall(SYS_sysinfo, edge + page - 8)) == EFAULT && edge[page - 8] == 'e' &&
                      edge[page - 1] == 'e',
              "sysinfo across into a hole: EFAULT, nothing written");

        /* sched, within and beyond the bound */
        sp.sched_priority = 5;
        check(sched_setscheduler(0, SCHED_FIFO, &sp) == 0 && sched_getscheduler(0) == SCHED_FIFO &&
                      prio_of(0) == 5,
              "SCHED_FIFO 5 is set");
        sp.sched_priority = 7;
        check(sched_setparam(0, &sp) == 0 && prio_of(0) == 7, "sched_setparam 7 under FIFO");
        sp.sched_priority = 50;
        check(errno_of(sched_setscheduler(0, SCHED_FIFO, &sp)) == EPERM && prio_of(0) == 7,
              "SCHED_FIFO 50 is beyond the bound: EPERM, 7 stays");
        check(errno_of(sched_setparam(0, &sp)) == EPERM && prio_of(0) == 7,
              "sched_setparam 50: EPERM");
        sp.sched_priority = 0;
        check(sched_setscheduler(0, SCHED_OTHER, &sp) == 0 && sched_getscheduler(0) == SCHED_OTHER,
              "back to SCHED_OTHER");
        at = (struct sched_attr_k){ .size = 48, .policy = SCHED_OTHER, .nice = -5 };
        check(errno_of(setattr(0, &at)) == EPERM && getpriority(PRIO_PROCESS, 0) == 0,
              "negative nice: EPERM");
        at = (struct sched_attr_k){
                .size = 48, .policy = 6, .runtime = 1000000, .deadline = 2000000, .period = 2000000
        };
        check(errno_of(setattr(0, &at)) == EPERM, "SCHED_DEADLINE: EPERM");
        at = (struct sched_attr_k){ .size = 48, .policy = SCHED_FIFO, .prio = 5, .flags = 0x20 };
        check(errno_of(setattr(0, &at)) == EPERM, "utilisation clamps: EPERM");
        at = (struct sched_attr_k){ .size = 48, .policy = SCHED_FIFO, .prio = 0 };
        check(errno_of(setattr(0, &at)) == EINVAL, "FIFO priority 0: the kernel's EINVAL");
        check(errno_of(setattr(0, NULL)) == EINVAL, "sched_setattr(NULL): EINVAL");
        check(errno_of(setattr(0, edge + page)) == EFAULT, "sched_setattr(unmapped): EFAULT");
        sp.sched_priority = 3;
        check(errno_of(sched_setscheduler(4242, SCHED_FIFO, &sp)) == ESRCH,
              "a pid its namespace does not have: ESRCH");
        check(errno_of(sched_setscheduler(0, SCHED_FIFO, (void *)(edge + page))) == EFAULT,
              "sched_param unmapped: EFAULT");

        /* Another process of its namespace, and one in a nested pid namespace. */
        grand = fork();
        if (grand == 0) {
                pause();
                _exit(0);
        }
        check(sched_setscheduler(grand, SCHED_RR, &sp) == 0 &&
                      sched_getscheduler(grand) == SCHED_RR,
              "SCHED_RR 3 for another process of its namespace");
        kill(grand, SIGKILL);
        waitpid(grand, NULL, 0);
        hold = -1;
        inner = -1;
        pid_in_ours = nested_pid(&hold, &inner);
        check(pid_in_ours > 0 &&
                      errno_of(sched_setscheduler(pid_in_ours, SCHED_FIFO, &sp)) == EPERM &&
                      sched_getscheduler(pid_in_ours) == SCHED_OTHER,
              "a process of a nested pid namespace (pid %d here): EPERM, unchanged", pid_in_ours);
        if (hold >= 0)
                close(hold);
        if (inner > 0)
                waitpid(inner, NULL, 0);
        {
                /* A process of its pid namespace in a user namespace of its own: the caller's
                 * CAP_SYS_NICE does not cover it. */
                int up[2], down[2];
                pid_t peer;
                char c = 0;

                if (pipe(up) == 0 && pipe(down) == 0) {
                        peer = fork();
                        if (peer == 0) {
                                c = unshare(CLONE_NEWUSER) == 0 ? 'u' : 'x';
                                (void)!write(up[1], &c, 1);
                                (void)!read(down[0], &c, 1);
                                _exit(0);
                        }
                        check(read(up[0], &c, 1) == 1 && c == 'u' &&
                                      errno_of(sched_setscheduler(peer, SCHED_FIFO, &sp)) ==
                                              EPERM &&
                                      sched_getscheduler(peer) == SCHED_OTHER,
                              "a process of its pid namespace in another user namespace: EPERM");
                        (void)!write(down[1], &c, 1);
                        waitpid(peer, NULL, 0);
                        close(up[0]);
                        close(up[1]);
                        close(down[0]);
                        close(down[1]);
                }
        }

        /* TOCTOU: the struct changes while the call is pending; the decision uses one read. */
        race_attr.size = 48;
        race_attr.policy = SCHED_FIFO;
        race_attr.prio = 5;
        if (pthread_create(&th, NULL, racer, NULL) == 0) {
                for (int i = 0; i < RACE_ITERATIONS; i++) {
                        long r = setattr(0, &race_attr);

                        if (r == 0)
                                ok++;
                        else if (errno == EPERM)
                                refused++;
                        else
                                other++;
                        if (prio_of(0) > MAX_RT)
                                violations++;
                }
                atomic_store(&race_stop, true);
                pthread_join(th, NULL);
        }
        {
                struct timespec t0, t1;
                struct sched_param p0 = { .sched_priority = 5 };

                clock_gettime(CLOCK_MONOTONIC, &t0);
                for (int i = 0; i < 200; i++)
                        sched_setscheduler(0, SCHED_FIFO, &p0);
                clock_gettime(CLOCK_MONOTONIC, &t1);
                printf("figure: 200 emulated sched_setscheduler calls, %.1f us each\n",
                       ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
                               200 / 1000);
        }
        printf("race: %d calls: %d set, %d refused, %d other\n", RACE_ITERATIONS, ok, refused,
               other);
        check(violations == 0, "no priority beyond the bound was ever in force (%d)", violations);
        check(ok + refused + other == RACE_ITERATIONS, "every racing call was answered");

        /* Without CAP_SYS_NICE in its namespace. */
        sp.sched_priority = 0;
        sched_setscheduler(0, SCHED_OTHER, &sp);
        sp.sched_priority = 5;
        check(drop_sys_nice() == 0 && errno_of(sched_setscheduler(0, SCHED_FIFO, &sp)) == EPERM &&
                      sched_getscheduler(0) == SCHED_OTHER,
              "without CAP_SYS_NICE: EPERM");
}

static void checks_host(struct child_args *a)
{
        struct sched_param sp = { .sched_priority = 5 };
        struct sysinfo si;

        check(errno_of(sched_setscheduler(0, SCHED_FIFO, &sp)) == EPERM &&
                      sched_getscheduler(0) == SCHED_OTHER,
              "a caller in the host's user namespace: EPERM, though it holds CAP_SYS_NICE");
        check(sysinfo(&si) == 0, "sysinfo still answers it");
}

/* pid 1 of the new pid namespace */
static int trapped(struct child_args *a)
{
        static const int nrs[] = { SYS_sysinfo, SYS_sched_setscheduler, SYS_sched_setparam,
                                   SYS_sched_setattr };
        struct scmpd_handoff_info info = { .pid = getpid(), .metadata = "sysemu" };
        int sock, listener, r;

        fails = 0;
        sock = connect_scmpd(); /* still host root for scmpd's socket */
        if (sock < 0)
                return 104;
        if (a->userns &&
            (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0))
                return 102;
        listener = test_install_notify_filter(nrs, 4);
        if (listener < 0)
                return 106;
        info.pid = getpid();
        r = scmpd_handoff_send(sock, listener, &info);
        close(listener);
        close(sock);
        if (r < 0)
                return 107;
        if (a->userns)
                checks_userns(a);
        else
                checks_host(a);
        return fails ? 1 : 0;
}

static int child_main(void *arg)
{
        struct child_args *a = arg;
        char c = 'u';
        int status;
        pid_t pid;

        if (unshare((a->userns ? CLONE_NEWUSER : 0) | CLONE_NEWPID) < 0)
                return 100;
        if (write(a->to_parent, &c, 1) != 1 || read(a->from_parent, &c, 1) != 1 || c != 'g')
                return 101;
        pid = fork();
        if (pid < 0)
                return 103;
        if (pid == 0)
                _exit(trapped(a));
        if (waitpid(pid, &status, 0) < 0)
                return 105;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 108;
}

static int write_file(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -1;
        n = write(fd, text, strlen(text));
        close(fd);
        return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void run_child(const char *what, bool userns)
{
        int up[2], down[2], status = 0;
        struct child_args a = { .userns = userns };
        struct timespec ts;
        char c, path[300], text[64];
        pid_t pid;

        if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0)
                return;
        clock_gettime(CLOCK_BOOTTIME, &ts);
        a.started = ts.tv_sec;
        a.to_parent = up[1];
        a.from_parent = down[0];
        pid = child_spawn(child_main, &a);
        close(up[1]);
        close(down[0]);
        if (pid > 0 && read(up[0], &c, 1) == 1) {
                snprintf(text, sizeof(text), "0 %d 65536\n", HOST_BASE);
                snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
                if (userns)
                        write_file(path, text);
                snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
                if (userns)
                        write_file(path, text);
                snprintf(text, sizeof(text), "%d\n", (int)pid);
                if (mem_cg[0]) {
                        snprintf(path, sizeof(path), "%s/cgroup.procs", mem_cg);
                        write_file(path, text);
                }
                if (pids_cg[0]) {
                        snprintf(path, sizeof(path), "%s/cgroup.procs", pids_cg);
                        write_file(path, text);
                }
                c = 'g';
                (void)!write(down[1], &c, 1);
        }
        if (pid > 0) {
                child_reap(pid, 120000, &status);
                if (WIFEXITED(status) && WEXITSTATUS(status) >= 100)
                        check(false, "%s: child setup failed at step %d", what,
                              WEXITSTATUS(status));
                else
                        check(child_exited_with(status, 0), "%s: child checks (%s)", what,
                              child_status_str(status));
        }
        close(up[0]);
        close(down[1]);
}

/* A cgroup of the v1 hierarchy `ctrl` (where this machine has one) for the children, or "". */
static void make_cgroup(const char *ctrl, const char *file, const char *value, char *ret,
                        size_t size)
{
        char path[128];

        ret[0] = '\0';
        snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/scmpd-sysemu-%d", ctrl, (int)getpid());
        if (mkdir(path, 0755) < 0)
                return;
        snprintf(ret, size, "%s", path);
        if (file) {
                char f[400];

                snprintf(f, sizeof(f), "%s/%s", path, file);
                if (write_file(f, value) < 0) {
                        rmdir(path);
                        ret[0] = '\0';
                }
        }
}

static void write_config(const char *path)
{
        char conf[2048];
        FILE *f = fopen(path, "we");

        snprintf(conf, sizeof(conf),
                 "{ \"default\": { \"errno\": \"ENOSYS\" },\n"
                 "  \"policies\": [ { \"name\": \"sysemu\", \"match\": { \"metadata\": \"sysemu\" "
                 "},\n"
                 "    \"rules\": [\n"
                 "      { \"syscalls\": [\"sysinfo\"], \"chain\": [\"sysinfo\"] },\n"
                 "      { \"syscalls\": [\"sched_setscheduler\", \"sched_setparam\", "
                 "\"sched_setattr\"],\n"
                 "        \"chain\": [{ \"handler\": \"sched\", \"config\": {\n"
                 "          \"policies\": [\"other\", \"batch\", \"idle\", \"fifo\", \"rr\"],\n"
                 "          \"max_rt_priority\": %d } }] } ] } ] }\n",
                 MAX_RT);
        if (f) {
                fputs(conf, f);
                fclose(f);
        }
}

int main(int argc, char **argv)
{
        char conf[128], logp[128], ctl[128], cmd[512];
        struct stat st;
        pid_t daemon, parent = getpid();
        int status;

        if (argc != 2) {
                fprintf(stderr, "usage: %s SCMPD\n", argv[0]);
                return 2;
        }
        if (geteuid() != 0) {
                printf("SKIP: needs root\n");
                return 77;
        }
        snprintf(T, sizeof(T), "/tmp/scmpd-sysemu.XXXXXX");
        if (!mkdtemp(T))
                return 2;
        snprintf(sock_path, sizeof(sock_path), "%s/scmpd.sock", T);
        snprintf(conf, sizeof(conf), "%s/scmpd.json", T);
        snprintf(logp, sizeof(logp), "%s/scmpd.log", T);
        snprintf(ctl, sizeof(ctl), "%s/control.sock", T);
        write_config(conf);
        make_cgroup("memory", "memory.limit_in_bytes", "33554432", mem_cg, sizeof(mem_cg));
        make_cgroup("pids", NULL, NULL, pids_cg, sizeof(pids_cg));
        if (!mem_cg[0] || !pids_cg[0])
                printf("note: no cgroup v1 %s here; those checks are left out\n",
                       !mem_cg[0] ? "memory hierarchy" : "pids hierarchy");

        daemon = fork();
        if (daemon == 0) {
                int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

                if (fd >= 0)
                        dup2(fd, 2);
                child_die_with_parent(parent);
                execl(argv[1], argv[1], "--config", conf, "--listen", sock_path, "--control", ctl,
                      "--foreground", "--log-target", "stderr", "--log-level", "debug",
                      (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < 4800 && stat(sock_path, &st) < 0; i++) /* 120 s */
                usleep(25000);
        check(stat(sock_path, &st) == 0, "scmpd listens");
        if (fails == 0) {
                run_child("userns", true);
                run_child("host-userns", false);
        }
        check(kill(daemon, 0) == 0, "scmpd is still alive");
        kill(daemon, SIGTERM);
        if (child_reap(daemon, 10000, &status) < 0)
                check(false, "scmpd did not stop on SIGTERM");
        snprintf(cmd, sizeof(cmd), "grep -E 'handler (sched|sysinfo)' %s | tail -n %d", logp,
                 fails ? 60 : 12);
        if (system(cmd) < 0)
                perror("system");
        if (mem_cg[0])
                rmdir(mem_cg);
        if (pids_cg[0])
                rmdir(pids_cg);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", T);
        if (system(cmd) < 0)
                perror("system");
        printf("emulate-sys: %d failure(s)\n", fails);
        return fails ? 1 : 0;
}
