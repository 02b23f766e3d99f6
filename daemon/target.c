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
 * Facts for policy matching (target_read_facts()) follow the same steps: /proc/<tid> and its ns
 * and cgroup files are opened, validated, read, and validated again before anything is decided.
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

void target_facts_done(struct target_facts *f)
{
        free(f->cgroup);
        *f = (struct target_facts){};
}

static bool same_file(int fd, const char *path)
{
        struct stat a, b;

        return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
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
                same_file(userns, "/proc/1/ns/user") || same_file(userns, "/proc/self/ns/user");
        if (ioctl(userns, NS_GET_OWNER_UID, &owner) < 0)
                return negative_errno();
        f.userns_owner = owner;
        f.host_mntns = same_file(mntns, "/proc/1/ns/mnt") || same_file(mntns, "/proc/self/ns/mnt");
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
