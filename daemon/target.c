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

/* ---- target memory and the target's pid namespace ----
 *
 * Everything here is reached through t->proc_fd, the /proc/<tid> directory target_open()
 * validated: a /proc directory holds a reference to the thread's struct pid, so every file
 * opened through it belongs to that thread, or the open fails once it is gone; a recycled pid
 * can never redirect it. /proc/<tid>/mem is bound to the memory of the thread at open time; the
 * only way to replace that memory is an execve() by another thread, which first kills the
 * trapped one (and so ends the notification). Each function validates the notification after
 * its last read, so the caller may use what it returns.
 *
 * Writing. The kernel's copy_to_user() fails with EFAULT on any byte that is not mapped
 * writable. A write through /proc/<tid>/mem is a FOLL_FORCE access: it succeeds on read-only
 * private pages (breaking copy-on-write) where the syscall being emulated would have failed.
 * process_vm_writev() honours page protections but takes a pid, which may be recycled between
 * the last ID validation and the write. So target_write() writes through the mem file, and
 * first checks in /proc/<tid>/maps, read through the same directory, that every byte of the
 * range lies in a mapping with write permission; then validates the notification and writes.
 * Reads are checked the same way (FOLL_FORCE also reads PROT_NONE pages, where the kernel's
 * copy_from_user() fails), so an emulated call answers EFAULT exactly where the real one would.
 * What is left: another thread of the target may mprotect() the range read-only between the
 * check and the write. The write then lands in the target's own copy-on-write memory, which it
 * could have made writable again itself; FOLL_FORCE cannot write through a shared mapping the
 * target may not write, so nothing outside its private memory is reachable.
 */

#ifndef NS_GET_PID_FROM_PIDNS
#define NS_GET_PID_FROM_PIDNS _IOR(NSIO, 0x6, int)
#endif
#ifndef NS_GET_TGID_FROM_PIDNS
#define NS_GET_TGID_FROM_PIDNS _IOR(NSIO, 0x7, int)
#endif

#define MEM_MAX (1UL << 20) /* the largest single access a handler asks for */

static bool range_ok(uint64_t addr, size_t len)
{
        /* No user mapping lives at 0 or above the 47/56-bit boundary; off_t must hold the end. */
        return addr != 0 && len <= MEM_MAX && addr <= (uint64_t)INT64_MAX - len;
}

/* Gone (-ENOENT) wins over any other failure: the notification says whether it is the reason. */
static int gone_or(const struct target *t, int r)
{
        if (r != -ENOENT && scmpd_notify_id_valid(t->listener_fd, t->id) == -ENOENT)
                return -ENOENT;
        return r;
}

/* Is [addr, addr + len) covered, without a gap, by mappings whose permissions have `perm` ('r'
 * or 'w') in the maps file `fd`? Lines are "start-end perms ..." in ascending order; only their
 * start is parsed, so a long path name costs nothing. */
static bool maps_allow(int fd, uint64_t addr, size_t len, char perm)
{
        size_t at = perm == 'r' ? 0 : 1;
        char buf[4096], head[64];
        uint64_t cur = addr, end = addr + len;
        size_t hl = 0;
        bool skipping = false;
        ssize_t n;

        while ((n = read(fd, buf, sizeof(buf))) > 0) {
                for (ssize_t i = 0; i < n; i++) {
                        unsigned long long s, e;
                        char perms[5];

                        if (buf[i] != '\n') {
                                if (!skipping && hl < sizeof(head) - 1)
                                        head[hl++] = buf[i];
                                else
                                        skipping = true;
                                continue;
                        }
                        head[hl] = '\0';
                        hl = 0;
                        skipping = false;
                        if (sscanf(head, "%llx-%llx %4s", &s, &e, perms) != 3)
                                return false;
                        if (e <= cur)
                                continue;
                        if (s > cur || perms[at] != perm)
                                return false; /* a hole, or a page it may not access so */
                        cur = e;
                        if (cur >= end)
                                return true;
                }
        }
        return false;
}

/* The target's mem file opened with `flags`, once its maps show [addr, addr + len) mapped with
 * permission `perm` ('r' or 'w'), as copy_from_user()/copy_to_user() would need: mem itself uses
 * FOLL_FORCE, which reads PROT_NONE pages and writes read-only ones. An fd, or -errno. */
static int open_mem_range(const struct target *t, uint64_t addr, size_t len, int flags, char perm)
{
        _cleanup_close_ int mem = -1, maps = -1;
        int fd;

        if (!range_ok(addr, len))
                return -EFAULT;
        mem = openat(t->proc_fd, "mem", flags | O_CLOEXEC);
        maps = openat(t->proc_fd, "maps", O_RDONLY | O_CLOEXEC);
        if (mem < 0 || maps < 0)
                return gone_or(t, errno > 0 ? -errno : -EIO);
        if (!maps_allow(maps, addr, len, perm))
                return gone_or(t, -EFAULT);
        fd = mem;
        mem = -1;
        return fd;
}

int target_read(const struct target *t, uint64_t addr, void *buf, size_t len)
{
        _cleanup_close_ int mem = -1;
        ssize_t n;

        if (len == 0)
                return 0;
        mem = open_mem_range(t, addr, len, O_RDONLY, 'r');
        if (mem < 0)
                return mem;
        do
                n = pread(mem, buf, len, (off_t)addr);
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t)len)
                return gone_or(t, -EFAULT); /* EIO at the first unreadable byte, or a short read */
        return scmpd_notify_id_valid(t->listener_fd, t->id);
}

int target_write(const struct target *t, uint64_t addr, const void *buf, size_t len)
{
        _cleanup_close_ int mem = -1;
        ssize_t n;
        int r;

        if (len == 0)
                return 0;
        mem = open_mem_range(t, addr, len, O_RDWR, 'w');
        if (mem < 0)
                return mem;
        /* Separate the read of its maps from the write they allowed. */
        r = scmpd_notify_id_valid(t->listener_fd, t->id);
        if (r < 0)
                return r;
        do
                n = pwrite(mem, buf, len, (off_t)addr);
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t)len)
                return gone_or(t, -EFAULT); /* unmapped in between: a partial write at most */
        return 0;
}

ssize_t target_read_proc(const struct target *t, const char *name, char *buf, size_t size)
{
        _cleanup_close_ int fd = -1;
        size_t have = 0;
        int r;

        if (size == 0)
                return -EINVAL;
        fd = openat(t->proc_fd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return gone_or(t, negative_errno());
        while (have < size - 1) {
                ssize_t n = read(fd, buf + have, size - 1 - have);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return gone_or(t, negative_errno());
                if (n == 0)
                        break;
                have += (size_t)n;
        }
        buf[have] = '\0';
        r = scmpd_notify_id_valid(t->listener_fd, t->id);
        return r < 0 ? r : (ssize_t)have;
}

static bool same_file(int a, int b)
{
        struct stat x, y;

        return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev &&
               x.st_ino == y.st_ino;
}

int target_host_pidns(const struct target *t, bool *ret_host)
{
        _cleanup_close_ int ns = -1;
        int r;

        ns = openat(t->proc_fd, "ns/pid", O_RDONLY | O_CLOEXEC);
        if (ns < 0)
                return gone_or(t, negative_errno());
        r = scmpd_notify_id_valid(t->listener_fd, t->id);
        if (r < 0)
                return r;
        *ret_host = same_ns(ns, "/proc/self/ns/pid") || same_ns(ns, "/proc/1/ns/pid");
        return 0;
}

/* The last number of the "NSpid:" line of the status file under `dir`: the thread's pid in its
 * own (innermost) pid namespace. */
static pid_t innermost_pid(int dir)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        const char *v;
        long last = -1;
        ssize_t n;
        char *end;

        fd = openat(dir, "status", O_RDONLY | O_CLOEXEC);
        buf = malloc(STATUS_MAX + 1);
        if (fd < 0 || !buf)
                return -1;
        n = read(fd, buf, STATUS_MAX);
        if (n <= 0)
                return -1;
        buf[n] = '\0';
        v = status_field(buf, "NSpid");
        while (v) {
                while (*v == ' ' || *v == '\t')
                        v++;
                if (*v < '0' || *v > '9')
                        break;
                errno = 0;
                last = strtol(v, &end, 10);
                if (errno || last > INT32_MAX)
                        return -1;
                v = end;
        }
        return (pid_t)last;
}

/* Open /proc/<pid> and check that the process there is `vpid` in the pid namespace `pidns`
 * (an fd). 1 when it is, 0 when it is a process of another pid namespace, negative on error. */
static int open_in_pidns(pid_t pid, pid_t vpid, int pidns, int *ret_dir)
{
        _cleanup_close_ int dir = -1, ns = -1;
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d", (int)pid);
        dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        ns = openat(dir, "ns/pid", O_RDONLY | O_CLOEXEC);
        if (ns < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        if (!same_file(ns, pidns)) {
                *ret_dir = steal_fd(&dir);
                return 0;
        }
        if (innermost_pid(dir) != vpid)
                return -ESRCH; /* it died and the host pid went to someone else */
        *ret_dir = steal_fd(&dir);
        return 1;
}

int target_pidns_init(const struct target *t, pid_t *ret_pid, uint64_t *ret_start_ns)
{
        _cleanup_close_ int pidns = -1, dir = -1, statfd = -1;
        unsigned long long start = 0;
        char buf[1024], *p;
        long tck = sysconf(_SC_CLK_TCK);
        ssize_t n;
        int pid, r;

        pidns = openat(t->proc_fd, "ns/pid", O_RDONLY | O_CLOEXEC);
        if (pidns < 0)
                return gone_or(t, negative_errno());
        pid = ioctl(pidns, NS_GET_TGID_FROM_PIDNS, 1);
        if (pid <= 0)
                return gone_or(t, pid < 0 ? negative_errno() : -ESRCH);
        /* The namespace's init cannot be gone while the target lives in the namespace: its exit
         * kills every other member first. The check below makes that a fact, not a premise: the
         * process we opened is pid 1 of the target's pid namespace, and a pid namespace never
         * gets a second pid 1. */
        r = open_in_pidns(pid, 1, pidns, &dir);
        if (r <= 0)
                return gone_or(t, r < 0 ? r : -ESRCH);
        statfd = openat(dir, "stat", O_RDONLY | O_CLOEXEC);
        if (statfd < 0)
                return gone_or(t, negative_errno());
        n = read(statfd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return gone_or(t, -EIO);
        buf[n] = '\0';
        /* Field 22, starttime; fields are counted after the ")" that ends the command name. */
        p = strrchr(buf, ')');
        for (int field = 2; p && field < 22; field++)
                p = strchr(p + 1, ' ');
        if (!p || sscanf(p, " %llu", &start) != 1 || tck <= 0)
                return -EBADMSG;
        r = scmpd_notify_id_valid(t->listener_fd, t->id);
        if (r < 0)
                return r;
        *ret_pid = pid;
        *ret_start_ns = start * (1000000000ULL / (unsigned long long)tck);
        return 0;
}

int target_resolve_tid(const struct target *t, pid_t vpid, pid_t *ret_tid, int *ret_pidfd,
                       bool *ret_same_ns)
{
        _cleanup_close_ int pidns = -1, userns = -1, dir = -1, pidfd = -1;
        int tid, r;
        bool same;

        if (vpid < 0)
                return -EINVAL;
        if (vpid == 0) {
                pidfd = fcntl(t->pidfd, F_DUPFD_CLOEXEC, 3);
                if (pidfd < 0)
                        return negative_errno();
                r = scmpd_notify_id_valid(t->listener_fd, t->id);
                if (r < 0)
                        return r;
                *ret_tid = t->tid;
                *ret_same_ns = true;
                *ret_pidfd = steal_fd(&pidfd);
                return 0;
        }
        pidns = openat(t->proc_fd, "ns/pid", O_RDONLY | O_CLOEXEC);
        if (pidns < 0)
                return gone_or(t, negative_errno());
        tid = ioctl(pidns, NS_GET_PID_FROM_PIDNS, (int)vpid);
        if (tid <= 0)
                return gone_or(t, tid < 0 && errno != ESRCH ? negative_errno() : -ESRCH);
        /* pidfd first, then the directory, then the pidfd must still be alive: a live thread's
         * pid is not reused, so both name the same thread. */
        pidfd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
        if (pidfd < 0 && errno == EINVAL)
                pidfd = (int)syscall(SYS_pidfd_open, tid, 0);
        if (pidfd < 0)
                return gone_or(t, errno == ESRCH ? -ESRCH : negative_errno());
        r = open_in_pidns(tid, vpid, pidns, &dir);
        if (r < 0)
                return gone_or(t, r);
        same = r == 1;
        if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
                return gone_or(t, -ESRCH);
        if (same) {
                userns = openat(dir, "ns/user", O_RDONLY | O_CLOEXEC);
                if (userns < 0)
                        return gone_or(t, -ESRCH);
                same = same_file(userns, t->userns_fd);
        }
        r = scmpd_notify_id_valid(t->listener_fd, t->id);
        if (r < 0)
                return r;
        *ret_tid = tid;
        *ret_same_ns = same;
        *ret_pidfd = steal_fd(&pidfd);
        return 0;
}
