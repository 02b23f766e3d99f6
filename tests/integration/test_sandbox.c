/*
 * scmpd's own process: its seccomp filter (verified from /proc, for every thread), the switches
 * that turn it off, the modes of its sockets, and the peer-credential check on the handoff
 * socket (a child that becomes uid 65534 is refused and logged; a listed uid or group is let
 * through to payload validation).
 *
 * Usage: test-sandbox SCMPD. Runs as root (exit 77 otherwise). Every scmpd started here is a
 * child of this test, killed and reaped whatever the assertions say.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

static const char *scmpd_bin;
static char dir[64];
static int failures, passes;

static void check(bool ok, const char *what)
{
        printf("%s %s\n", ok ? "ok  " : "FAIL", what);
        if (ok)
                passes++;
        else
                failures++;
}

struct daemon_args {
        const char *config;
        const char *extra; /* one more option, or NULL */
        const char *log;
};

static int run_scmpd(void *arg)
{
        const struct daemon_args *a = arg;
        char sock[128], ctl[128];
        int fd;

        snprintf(sock, sizeof(sock), "%s/scmpd.sock", dir);
        snprintf(ctl, sizeof(ctl), "%s/control.sock", dir);
        fd = open(a->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
                return 120;
        execl(scmpd_bin, "scmpd", "--foreground", "--log-target", "stderr", "--log-level", "info",
              "--config", a->config, "--listen", sock, "--control", ctl, a->extra, (char *)NULL);
        return 121;
}

static bool file_contains(const char *path, const char *needle)
{
        char buf[65536];
        ssize_t n;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return false;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n < 0)
                return false;
        buf[n] = 0;
        return strstr(buf, needle) != NULL;
}

static int count_in_file(const char *path, const char *needle)
{
        char buf[1 << 20];
        ssize_t n;
        int fd = open(path, O_RDONLY | O_CLOEXEC), count = 0;

        if (fd < 0)
                return -1;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n < 0)
                return -1;
        buf[n] = 0;
        for (char *p = buf; (p = strstr(p, needle)); p += strlen(needle))
                count++;
        return count;
}

/* Waits are for events, bounded at 120 s (12000 steps of 10 ms): generous for a loaded machine
 * under ASan, and free when the event comes. */
#define WAIT_STEPS 12000

static bool wait_ready(const char *log)
{
        for (int i = 0; i < WAIT_STEPS; i++) {
                if (file_contains(log, "ready:"))
                        return true;
                usleep(10000);
        }
        return false;
}

/* The value of "Field:" in a status file, or -1. */
static long status_field(const char *path, const char *field)
{
        char line[256];
        long v = -1;
        FILE *f = fopen(path, "re");

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, field, strlen(field)) == 0 && line[strlen(field)] == ':')
                        v = strtol(line + strlen(field) + 1, NULL, 10);
        fclose(f);
        return v;
}

/* Every thread of pid: Seccomp 2 (or 0 when `off`), and NoNewPrivs likewise. */
static int threads_confined(pid_t pid, bool off, int *ret_threads)
{
        char path[128];
        int bad = 0, n = 0;

        for (int tries = 0; tries < 3; tries++) {
                FILE *p;
                char cmd[128], tid[32];

                snprintf(cmd, sizeof(cmd), "ls /proc/%d/task", (int)pid);
                p = popen(cmd, "re");
                if (!p)
                        return -1;
                bad = n = 0;
                while (fgets(tid, sizeof(tid), p)) {
                        tid[strcspn(tid, "\n")] = 0;
                        snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, tid);
                        n++;
                        if (status_field(path, "Seccomp") != (off ? 0 : 2) ||
                            status_field(path, "NoNewPrivs") != (off ? 0 : 1))
                                bad++;
                }
                pclose(p);
                if (n > 0)
                        break;
        }
        *ret_threads = n;
        return bad;
}

struct peer {
        uid_t uid;
        gid_t gid;
        gid_t extra_group; /* a supplementary group, or (gid_t)-1 */
};

/* Connect as the given credentials, send a non-JSON payload and wait until the daemon closes
 * the connection: 0 then. Whether it was refused or read is in the daemon's log. */
static int peer_main(void *arg)
{
        const struct peer *p = arg;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char buf[16];
        int fd;

        if (p->extra_group != (gid_t)-1) {
                if (setgroups(1, &p->extra_group) < 0)
                        return 10;
        } else if (setgroups(0, NULL) < 0) {
                return 10;
        }
        if (setresgid(p->gid, p->gid, p->gid) < 0 || setresuid(p->uid, p->uid, p->uid) < 0)
                return 11;
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/scmpd.sock", dir);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return 12;
        /* The send may race with the refusal: a closed peer is what we look for. */
        (void)send(fd, "garbage!", 8, MSG_NOSIGNAL);
        return read(fd, buf, sizeof(buf)) <= 0 ? 0 : 13;
}

/* Until the log has want lines with needle (or the bound passed); how many it has. */
static int wait_count(const char *path, const char *needle, int want)
{
        int n = count_in_file(path, needle);

        for (int i = 0; i < WAIT_STEPS && n < want; i++) {
                usleep(10000);
                n = count_in_file(path, needle);
        }
        return n;
}

static bool run_peer(uid_t uid, gid_t gid, gid_t extra)
{
        struct peer p = { uid, gid, extra };
        pid_t pid = child_spawn(peer_main, &p);
        int st = 0;

        if (pid < 0 || child_reap(pid, 5000, &st) < 0)
                return false;
        return child_exited_with(st, 0);
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");

        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

/* Stop and reap; the log goes, so that the next daemon's readiness is its own. */
static void stop(pid_t pid, const char *log)
{
        int st;

        kill(pid, SIGTERM);
        (void)child_reap(pid, 5000, &st);
        unlink(log);
}

int main(int argc, char **argv)
{
        char cfg[128], cfg_off[128], log[128], status[64], sock[128], what[160];
        struct daemon_args a;
        struct stat st;
        int threads, n;
        pid_t pid;

        if (argc != 2) {
                fprintf(stderr, "usage: test-sandbox SCMPD\n");
                return 2;
        }
        if (geteuid() != 0) {
                printf("SKIP: needs root\n");
                return 77;
        }
        scmpd_bin = argv[1];
        snprintf(dir, sizeof(dir), "/tmp/scmpd-sandbox-XXXXXX");
        if (!mkdtemp(dir))
                return 1;
        chmod(dir, 0755); /* the unprivileged peers must reach the socket's directory */
        snprintf(cfg, sizeof(cfg), "%s/scmpd.json", dir);
        snprintf(cfg_off, sizeof(cfg_off), "%s/off.json", dir);
        snprintf(log, sizeof(log), "%s/scmpd.log", dir);
        snprintf(sock, sizeof(sock), "%s/scmpd.sock", dir);
        write_file(cfg, "{\"handoff\": {\"uids\": [65533], \"groups\": [65532]}}\n");
        write_file(cfg_off, "{\"sandbox\": false}\n");

        /* 1. The default: confined, every thread, no_new_privs. */
        a = (struct daemon_args){ cfg, NULL, log };
        pid = child_spawn(run_scmpd, &a);
        check(pid > 0 && wait_ready(log), "scmpd starts with its own filter");
        snprintf(status, sizeof(status), "/proc/%d/status", (int)pid);
        check(status_field(status, "NoNewPrivs") == 1, "NoNewPrivs: 1");
        check(status_field(status, "Seccomp") == 2, "Seccomp: 2 (filter mode)");
        check(status_field(status, "Seccomp_filters") >= 1, "Seccomp_filters >= 1");
        n = threads_confined(pid, false, &threads);
        snprintf(what, sizeof(what), "all %d threads are confined (TSYNC)", threads);
        check(n == 0 && threads >= 1, what);
        check(file_contains(log, "own seccomp filter: on"), "the log says the filter is on");

        /* 2. Permissions: the handoff socket is root's alone unless the operator widens it. */
        check(stat(sock, &st) == 0 && (st.st_mode & 0077) == 0 && st.st_uid == 0,
              "handoff socket is root's alone (mode 0700: umask 0077 at bind)");

        snprintf(what, sizeof(what), "%s/control.sock", dir);
        check(stat(what, &st) == 0 && (st.st_mode & 0777) == 0660 && st.st_uid == 0,
              "control socket is 0660 root (control.group, or root's group, may connect)");

        /* 3. Peer credentials: uid 65534 is refused, before its payload is read, and logged. */
        chmod(sock, 0666); /* let the peers connect at all: the check under test is scmpd's */
        n = 0;
        for (int i = 0; i < 50; i++)
                n += run_peer(65534, 65534, (gid_t)-1);
        snprintf(what, sizeof(what), "50 connections as uid 65534: %d closed by scmpd", n);
        check(n == 50, what);
        n = wait_count(log, "uid 65534 gid 65534 refused", 50);
        snprintf(what, sizeof(what), "each refusal is logged with the uid (%d)", n);
        check(n == 50, what);
        check(!file_contains(log, "not a JSON object"), "no unlisted payload reached the parser");
        /* A listed uid, a listed primary group and a listed supplementary group get through to
         * payload validation (which then refuses the garbage). */
        check(run_peer(65533, 65533, (gid_t)-1), "listed uid 65533 connects");
        check(run_peer(65531, 65532, (gid_t)-1), "listed primary group 65532 connects");
        check(run_peer(65531, 65531, 65532), "listed supplementary group 65532 connects");
        n = wait_count(log, "not a JSON object", 3);
        snprintf(what, sizeof(what), "their payloads reached validation (%d of 3)", n);
        check(n == 3, what);
        check(count_in_file(log, "refused: only root") == 50, "and none of them was refused");
        check(kill(pid, 0) == 0, "scmpd is still running");
        n = threads_confined(pid, false, &threads);
        snprintf(what, sizeof(what), "still all %d threads confined", threads);
        check(n == 0 && threads >= 1, what);
        stop(pid, log);

        /* 4. The switches: --no-sandbox, and "sandbox": false in the policy. */
        a = (struct daemon_args){ cfg, "--no-sandbox", log };
        pid = child_spawn(run_scmpd, &a);
        check(pid > 0 && wait_ready(log), "scmpd --no-sandbox starts");
        snprintf(status, sizeof(status), "/proc/%d/status", (int)pid);
        check(status_field(status, "Seccomp") == 0 && threads_confined(pid, true, &threads) == 0,
              "--no-sandbox: Seccomp 0 in every thread");
        check(file_contains(log, "own seccomp filter: off"), "the log says the filter is off");
        stop(pid, log);
        a = (struct daemon_args){ cfg_off, NULL, log };
        pid = child_spawn(run_scmpd, &a);
        check(pid > 0 && wait_ready(log), "scmpd with \"sandbox\": false starts");
        snprintf(status, sizeof(status), "/proc/%d/status", (int)pid);
        check(status_field(status, "Seccomp") == 0, "\"sandbox\": false: Seccomp 0");
        stop(pid, log);

        printf("test-sandbox: %d passed, %d failed\n", passes, failures);
        unlink(cfg);
        unlink(cfg_off);
        unlink(log);
        unlink(sock);
        rmdir(dir);
        return failures ? 1 : 0;
}
