/*
 * Safe access to a target process: the TOCTOU discipline of seccomp_unotify(2) lives here and
 * nowhere else, so that no handler can get it wrong.
 *
 *   1. open the target's /proc/<tid>/mem (or a pidfd) by its thread id;
 *   2. ID_VALID: the notification is still pending, so the tid still names the thread that
 *      trapped and the fd just opened refers to it (not to a recycled pid);
 *   3. read each pointer argument once, into daemon memory, bounded; handlers get only these
 *      copies and nothing ever reads the target twice;
 *   4. ID_VALID again, separating every read from any use of the bytes read;
 *   5. side effects (a kill here, a response in dispatch.c) come after a final validation.
 *
 * target_open() applies the same steps to the whole thread (its /proc directory, root, cwd,
 * namespaces, a pidfd and its credentials) for the handlers that act as it through helper.c.
 * Facts for policy matching (target_read_facts()) follow them too: /proc/<tid> and its ns and
 * cgroup files are opened, validated, read, and validated again before anything is decided.
 *
 * Reads from /proc/<tid>/mem can block (the target's memory may be backed by a slow file or
 * userfaultfd), so target_copy_strings() runs on a worker thread, never on the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/nsfs.h>

#include "target.h"
#include "util.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

#define STATUS_MAX 16384
#define STRING_MAX 4096
#define PAGE 4096UL

static const struct {
        const char *name;
        unsigned mask;
} string_args[] = {
        { "open", 1U << 0 },
        { "openat", 1U << 1 },
        { "openat2", 1U << 1 },
        { "creat", 1U << 0 },
        { "mkdir", 1U << 0 },
        { "mkdirat", 1U << 1 },
        { "rmdir", 1U << 0 },
        { "unlink", 1U << 0 },
        { "unlinkat", 1U << 1 },
        { "mknod", 1U << 0 },
        { "mknodat", 1U << 1 },
        { "chdir", 1U << 0 },
        { "chroot", 1U << 0 },
        { "execve", 1U << 0 },
        { "execveat", 1U << 1 },
        { "mount", 0x17U }, /* emulate: also the options string (data) */
        { "umount2", 1U << 0 },
        { "symlink", 3U },
        { "symlinkat", 5U },
        { "link", 3U },
        { "linkat", 10U },
        { "rename", 3U },
        { "renameat", 10U },
        { "renameat2", 10U },
        { "chmod", 1U << 0 },
        { "fchmodat", 1U << 1 },
        { "chown", 1U << 0 },
        { "lchown", 1U << 0 },
        { "fchownat", 1U << 1 },
        { "access", 1U << 0 },
        { "faccessat", 1U << 1 },
        { "faccessat2", 1U << 1 },
        { "stat", 1U << 0 },
        { "lstat", 1U << 0 },
        { "newfstatat", 1U << 1 },
        { "statx", 1U << 1 },
        { "truncate", 1U << 0 },
        { "readlink", 1U << 0 },
        { "readlinkat", 1U << 1 },
        { "sethostname", 0 },
        { "uname", 0 },
        { "open_tree", 1U << 1 },
        { "move_mount", 10U },
        { "fsopen", 1U << 0 },
        { "setxattr", 3U },
        { "lsetxattr", 3U },
        { "fsetxattr", 1U << 1 },
        { "removexattr", 3U },
        { "lremovexattr", 3U },
        { "fremovexattr", 1U << 1 },
        { "getxattr", 3U },
        { "init_module", 1U << 2 },
        { "finit_module", 1U << 1 },
};

unsigned target_string_mask(const char *syscall)
{
        if (!syscall)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(string_args); i++)
                if (strcmp(string_args[i].name, syscall) == 0)
                        return string_args[i].mask;
        return 0;
}

/* Read a NUL-terminated string at `addr`, page by page so that a string ending just before an
 * unmapped page is still read. NULL when unreadable or longer than STRING_MAX. */
static char *read_string(int mem, uint64_t addr)
{
        _cleanup_free_ char *buf = NULL;
        size_t have = 0;

        if (addr == 0)
                return NULL;
        buf = malloc(STRING_MAX + 1);
        if (!buf)
                return NULL;
        while (have < STRING_MAX) {
                uint64_t at = addr + have;
                size_t want = PAGE - (size_t)(at % PAGE);
                ssize_t n;
                char *nul;

                if (want > STRING_MAX - have)
                        want = STRING_MAX - have;
                n = pread(mem, buf + have, want, (off_t)at);
                if (n <= 0)
                        return NULL;
                nul = memchr(buf + have, 0, (size_t)n);
                if (nul)
                        return strdup(buf);
                have += (size_t)n;
        }
        return NULL;
}

int target_copy_strings(int listener_fd, const struct seccomp_notif *req, unsigned mask,
                        char *ret_strings[6])
{
        _cleanup_close_ int mem = -1;
        char path[64];
        int r;

        if (req->pid == 0)
                return -ESRCH; /* the target is not visible in our pid namespace */
        snprintf(path, sizeof(path), "/proc/%u/mem", req->pid);
        mem = open(path, O_RDONLY | O_CLOEXEC);
        if (mem < 0) {
                r = negative_errno();
                /* The thread may be gone already; the ID says whether that is the reason. */
                if (scmpd_notify_id_valid(listener_fd, req->id) == -ENOENT)
                        return -ENOENT;
                return r;
        }
        /* Step 2: the fd now provably refers to the trapped thread's memory. */
        r = scmpd_notify_id_valid(listener_fd, req->id);
        if (r < 0)
                return r;
        for (int i = 0; i < 6; i++) {
                free(ret_strings[i]);
                ret_strings[i] = (mask & (1U << i)) ? read_string(mem, req->data.args[i]) : NULL;
        }
        /* Step 4: separate the reads from any use of what was read. */
        r = scmpd_notify_id_valid(listener_fd, req->id);
        if (r < 0) {
                for (int i = 0; i < 6; i++) {
                        free(ret_strings[i]);
                        ret_strings[i] = NULL;
                }
                return r;
        }
        return 0;
}

int target_kill(int listener_fd, const struct seccomp_notif *req)
{
        _cleanup_close_ int pidfd = -1;
        int r;

        if (req->pid == 0)
                return -ESRCH;
        pidfd = (int)syscall(SYS_pidfd_open, (pid_t)req->pid, PIDFD_THREAD);
        if (pidfd < 0 && errno == EINVAL)
                pidfd = (int)syscall(SYS_pidfd_open, (pid_t)req->pid, 0);
        if (pidfd < 0) {
                r = negative_errno();
                if (scmpd_notify_id_valid(listener_fd, req->id) == -ENOENT)
                        return -ENOENT;
                return r;
        }
        /* The pidfd was opened while the notification was pending: it names the target. */
        r = scmpd_notify_id_valid(listener_fd, req->id);
        if (r < 0)
                return r;
        if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0)
                return negative_errno();
        return 0;
}

/* ---- the whole target, for acting as it (helper.c) ---- */

void target_close(struct target *t)
{
        t->proc_fd = safe_close(t->proc_fd);
        t->root_fd = safe_close(t->root_fd);
        t->cwd_fd = safe_close(t->cwd_fd);
        t->userns_fd = safe_close(t->userns_fd);
        t->mntns_fd = safe_close(t->mntns_fd);
        t->pidfd = safe_close(t->pidfd);
}

static bool same_ns(int fd, const char *self_path)
{
        struct stat a, b;

        if (fstat(fd, &a) < 0 || stat(self_path, &b) < 0)
                return false;
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The value after "Key:" on its own line of /proc/<tid>/status, or NULL. */
static const char *status_field(const char *buf, const char *key)
{
        size_t k = strlen(key);

        for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, k) == 0 && p[k] == ':')
                        return p + k + 1;
        return NULL;
}

static int parse_ids(const char *v, unsigned long ret_ids[4])
{
        char *end;

        if (!v)
                return -EBADMSG;
        for (int i = 0; i < 4; i++) {
                errno = 0;
                ret_ids[i] = strtoul(v, &end, 10);
                if (errno || end == v || ret_ids[i] > UINT32_MAX - 1)
                        return -EBADMSG;
                v = end;
        }
        return 0;
}

static int parse_status(const char *buf, struct target *t)
{
        unsigned long uids[4], gids[4], v;
        const char *g, *c, *m;
        char *end;
        int r;

        r = parse_ids(status_field(buf, "Uid"), uids);
        if (r < 0)
                return r;
        r = parse_ids(status_field(buf, "Gid"), gids);
        if (r < 0)
                return r;
        t->fsuid = (uid_t)uids[3];
        t->fsgid = (gid_t)gids[3];

        g = status_field(buf, "Groups");
        if (!g)
                return -EBADMSG;
        t->n_groups = 0;
        for (;;) {
                while (*g == ' ' || *g == '\t')
                        g++;
                if (*g == '\n' || *g == '\0')
                        break;
                errno = 0;
                v = strtoul(g, &end, 10);
                if (errno || end == g || v > UINT32_MAX - 1)
                        return -EBADMSG;
                if (t->n_groups >= TARGET_MAX_GROUPS)
                        return -E2BIG; /* refuse rather than act with fewer groups than it has */
                t->groups[t->n_groups++] = (gid_t)v;
                g = end;
        }

        c = status_field(buf, "CapEff");
        if (!c)
                return -EBADMSG;
        errno = 0;
        t->cap_eff = strtoull(c, &end, 16);
        if (errno || end == c)
                return -EBADMSG;

        m = status_field(buf, "Umask");
        if (!m)
                return -EBADMSG;
        errno = 0;
        v = strtoul(m, &end, 8);
        if (errno || end == m || v > 0777)
                return -EBADMSG;
        t->umask = (mode_t)v;
        return 0;
}

static int read_status(int proc_fd, struct target *t)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t have = 0;

        fd = openat(proc_fd, "status", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        buf = malloc(STATUS_MAX + 1);
        if (!buf)
                return -ENOMEM;
        while (have < STATUS_MAX) {
                ssize_t n = read(fd, buf + have, STATUS_MAX - have);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                have += (size_t)n;
        }
        buf[have] = '\0';
        return parse_status(buf, t);
}

int target_open(int listener_fd, uint64_t id, pid_t tid, struct target *ret)
{
        struct target t = TARGET_INIT;
        char path[64];
        int r;

        if (tid <= 0)
                return -ESRCH; /* not visible in scmpd's pid namespace */
        t.listener_fd = listener_fd;
        t.id = id;
        t.tid = tid;
        snprintf(path, sizeof(path), "/proc/%d", (int)tid);
        t.proc_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (t.proc_fd < 0) {
                r = negative_errno();
                goto fail;
        }
        t.root_fd = openat(t.proc_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
        t.cwd_fd = openat(t.proc_fd, "cwd", O_PATH | O_DIRECTORY | O_CLOEXEC);
        t.userns_fd = openat(t.proc_fd, "ns/user", O_RDONLY | O_CLOEXEC);
        t.mntns_fd = openat(t.proc_fd, "ns/mnt", O_RDONLY | O_CLOEXEC);
        t.pidfd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
        if (t.pidfd < 0 && errno == EINVAL)
                t.pidfd = (int)syscall(SYS_pidfd_open, tid, 0);
        if (t.root_fd < 0 || t.cwd_fd < 0 || t.userns_fd < 0 || t.mntns_fd < 0 || t.pidfd < 0) {
                r = errno > 0 ? -errno : -EIO;
                goto fail;
        }
        /* Everything above was opened by tid; the notification being still pending proves that
         * tid was the trapped thread while we opened them (no pid reuse in between). */
        r = scmpd_notify_id_valid(listener_fd, id);
        if (r < 0)
                goto fail;
        t.own_userns = !same_ns(t.userns_fd, "/proc/self/ns/user");
        /* "Its own": neither scmpd's (which under systemd is private to scmpd) nor the host's,
         * which is PID 1's. */
        t.own_mntns =
                !same_ns(t.mntns_fd, "/proc/self/ns/mnt") && !same_ns(t.mntns_fd, "/proc/1/ns/mnt");
        r = read_status(t.proc_fd, &t);
        if (r < 0)
                goto fail;
        /* Separate the read of its credentials from their use. */
        r = scmpd_notify_id_valid(listener_fd, id);
        if (r < 0)
                goto fail;
        *ret = t;
        return 0;
fail:
        target_close(&t);
        /* A failure to open anything is "gone" when the notification says so, and only then:
         * a handler answers -ENOENT as "nobody is listening", so a living caller must never
         * see it for something missing under /proc/<tid> (pidfd_open() without PIDFD_THREAD, on
         * a kernel older than 6.9, refuses a thread that is not its group's leader with
         * ENOENT: that caller once got ENOENT from mknod, the bug Incus had). */
        if (scmpd_notify_id_valid(listener_fd, id) == -ENOENT)
                r = -ENOENT;
        else if (r == -ENOENT)
                r = -ESRCH;
        return r;
}

int target_getfd(const struct target *t, int target_fd)
{
        _cleanup_close_ int fd = -1;
        int r;

        fd = (int)syscall(SYS_pidfd_getfd, t->pidfd, target_fd, 0);
        if (fd < 0) {
                r = negative_errno();
                /* It may have failed because the target is gone; the ID says. */
                if (scmpd_notify_id_valid(t->listener_fd, t->id) < 0)
                        return -ENOENT;
                return r;
        }
        /* The copy was taken while the notification was pending: it is the trapped thread's. */
        if (scmpd_notify_id_valid(t->listener_fd, t->id) < 0)
                return -ENOENT;
        return steal_fd(&fd);
}

int target_read_mem(const struct target *t, uint64_t addr, size_t len, void *buf)
{
        _cleanup_close_ int mem = -1;
        size_t have = 0;

        if (len == 0)
                return 0;
        if (len > TARGET_MEM_MAX)
                return -E2BIG;
        if (addr == 0 || addr + len < addr)
                return -EFAULT;
        /* proc_fd was validated in target_open(): "mem" beneath it is the trapped thread's
         * memory, or nothing at all once that thread is gone (a stale /proc directory never
         * leads to a new process with the same pid). */
        mem = openat(t->proc_fd, "mem", O_RDONLY | O_CLOEXEC);
        if (mem < 0) {
                int r = negative_errno();

                return scmpd_notify_id_valid(t->listener_fd, t->id) < 0 ? -ENOENT : r;
        }
        while (have < len) {
                ssize_t n = pread(mem, (char *)buf + have, len - have, (off_t)(addr + have));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        /* Unmapped or unreadable memory: the kernel's own answer is EFAULT. */
                        if (scmpd_notify_id_valid(t->listener_fd, t->id) < 0)
                                return -ENOENT;
                        return -EFAULT;
                }
                have += (size_t)n;
        }
        /* Step 4: separate the read from any use of the bytes. */
        if (scmpd_notify_id_valid(t->listener_fd, t->id) < 0)
                return -ENOENT;
        return 0;
}

/* ---- facts for policy matching ---- */

void target_facts_done(struct target_facts *f)
{
        free(f->cgroup);
        *f = (struct target_facts){};
}

/* The "0::<path>" line of a /proc/<tid>/cgroup file (cgroup v2), or NULL. */
static char *cgroup_v2_path(int fd)
{
        char buf[8192];
        size_t have = 0;
        char *line;

        while (have < sizeof(buf) - 1) {
                ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                have += (size_t)n;
        }
        buf[have] = 0;
        for (line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                if (strncmp(line, "0::", 3) == 0) {
                        size_t len = strcspn(line + 3, "\n");

                        return strndup(line + 3, len);
                }
        }
        return NULL;
}

int target_read_facts(int listener_fd, const struct seccomp_notif *req, struct target_facts *ret)
{
        _cleanup_close_ int dir = -1, userns = -1, mntns = -1, cgroup = -1;
        struct target_facts f = {};
        char path[64];
        uid_t owner;
        int r;

        *ret = (struct target_facts){};
        if (req->pid == 0)
                return -ESRCH;
        snprintf(path, sizeof(path), "/proc/%u", req->pid);
        dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir >= 0) {
                userns = openat(dir, "ns/user", O_RDONLY | O_CLOEXEC);
                mntns = openat(dir, "ns/mnt", O_RDONLY | O_CLOEXEC);
                cgroup = openat(dir, "cgroup", O_RDONLY | O_CLOEXEC);
        }
        if (dir < 0 || userns < 0 || mntns < 0 || cgroup < 0) {
                r = errno > 0 ? -errno : -EIO;
                if (scmpd_notify_id_valid(listener_fd, req->id) == -ENOENT)
                        return -ENOENT;
                return r;
        }
        /* Step 2: the fds name the trapped thread's namespaces and cgroup file. */
        r = scmpd_notify_id_valid(listener_fd, req->id);
        if (r < 0)
                return r;
        /* "Initial": PID 1's, or scmpd's own (where PID 1's cannot be read, scmpd's is the
         * outermost one it can see; a target there has its capabilities over scmpd's world). */
        f.initial_userns =
                same_ns(userns, "/proc/1/ns/user") || same_ns(userns, "/proc/self/ns/user");
        if (ioctl(userns, NS_GET_OWNER_UID, &owner) < 0)
                return negative_errno();
        f.userns_owner = owner;
        f.host_mntns = same_ns(mntns, "/proc/1/ns/mnt") || same_ns(mntns, "/proc/self/ns/mnt");
        f.cgroup = cgroup_v2_path(cgroup);
        /* Step 4: the cgroup file was read while the thread could still move; validate again. */
        r = scmpd_notify_id_valid(listener_fd, req->id);
        if (r < 0) {
                target_facts_done(&f);
                return r;
        }
        f.known = true;
        *ret = f;
        return 0;
}
