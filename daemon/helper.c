/*
 * The namespace helper: performs one mount, umount2, mknod or setxattr/removexattr as the
 * trapped thread would, in its view of the filesystem, and reports the real result.
 *
 * Model. scmpd's process is multi-threaded (libuv's worker pool), and setns(2) refuses to move
 * a multi-threaded process into a user or mount namespace. So every operation runs in a child
 * forked for it from the worker thread that handles the notification: the child is
 * single-threaded and owns its fs_struct, enters what it must, acts, writes two integers to a
 * pipe and _exit()s. Between fork() and _exit() the child makes raw system calls only (no
 * malloc, no stdio, no locks), because another thread of the parent may have held any libc lock
 * at the moment of the fork. A per-operation fork costs a few hundred microseconds, which is
 * nothing next to a mount, and it means no long-lived privileged process sits inside anybody's
 * namespaces and no state is shared between two containers' operations. The parent bounds the
 * wait (10 s by default) and SIGKILLs a child that overstays; the child also dies with its
 * parent thread (PR_SET_PDEATHSIG).
 *
 * Invariants, each against a mistake seen in existing emulators:
 *   - Every object comes from fds opened while the notification was pending and validated with
 *     ID_VALID afterwards (target_open() in target.c); nothing is looked up by pid after that, so a
 *     recycled pid cannot redirect the operation.
 *   - Paths are resolved in the target's view, never in scmpd's: the child chroot()s into the
 *     target's root (/proc/<tid>/root) and resolves with openat2(): absolute paths with
 *     RESOLVE_IN_ROOT from that root, relative ones from the target's cwd (or the dirfd it
 *     passed, copied with pidfd_getfd()), always RESOLVE_NO_MAGICLINKS, so /proc/self/root and
 *     friends cannot jump out. Mount targets and bind sources must in addition be canonical and
 *     contain no symlink at all (RESOLVE_NO_SYMLINKS): the policy judged the string, and the
 *     string must mean exactly the object that is acted on.
 *   - The operation is applied to the resolved fd, not to the string again: mount(2) gets
 *     "/proc/self/fd/N" (scmpd's procfs, opened before entering anything), so the container
 *     cannot swap a path component between the check and the act. umount2(2) may not hold an
 *     fd inside the mount (it would be busy), so it runs from the resolved parent directory on
 *     the last component alone, with UMOUNT_NOFOLLOW.
 *   - Credentials are the caller's: its supplementary groups, fsuid and fsgid (which decide
 *     every permission check during resolution and own what is created), its umask, and its
 *     effective capabilities, plus exactly the capabilities the policy lends (CAP_SYS_ADMIN for
 *     mount, CAP_MKNOD for mknod). A caller in its own user namespace is joined there
 *     (setns(CLONE_NEWUSER)), so its capabilities mean what they mean for it and the kernel's
 *     user-namespace restrictions (FS_USERNS_MOUNT, locked mounts) still apply; the mount is
 *     made in its mount namespace. Device nodes cannot be created from a non-initial user
 *     namespace, so mknod stays in the initial one and lends CAP_MKNOD there, and only for the
 *     allowlist the handler enforces; the node is still created by the caller's fsuid/fsgid
 *     under its umask, directly, with no chown afterwards that a rename could redirect.
 *     trusted.* xattrs are the same case (the kernel asks capable(CAP_SYS_ADMIN)), with one
 *     more duty: once CAP_SYS_ADMIN is held the kernel checks no permission on the file at all,
 *     so the child itself requires the caller's ownership and write access, a regular file or
 *     directory, and a mount listed in the caller's own mountinfo (reachable from its root).
 *   - The child never enters the target's pid namespace, so it never appears in the container.
 *   - A mount or unmount under a shared mount propagates to the mount's peers, which may be
 *     outside the container (a volume with shared propagation): unless the policy allows it,
 *     the child reads its mountinfo (in the target's namespace by then) and refuses.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "util.h"

#define DEFAULT_TIMEOUT_MS 10000

/* What the child reports: {stage, errno}. */
enum {
        STAGE_RAN = 0,     /* the operation ran; errno is its result */
        STAGE_REFUSED = 1, /* a path had a forbidden shape */
        STAGE_SETUP = 2,   /* entering the target's context failed */
        STAGE_SHARED = 3,  /* the mount point's mount is shared */
        STAGE_OUTSIDE = 4, /* xattr: not a file or directory the target sees from its root */
};

bool helper_path_is_canonical(const char *path)
{
        const char *p;

        if (!path || path[0] != '/')
                return false;
        if (strcmp(path, "/") == 0)
                return true;
        for (p = path; *p;) {
                const char *c = p + 1, *e = strchr(c, '/');
                size_t len = e ? (size_t)(e - c) : strlen(c);

                if (len == 0)
                        return false; /* "//" or a trailing slash */
                if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                p = c + len;
        }
        return true;
}

/* ---- the child: raw system calls only from here to _exit() ---- */

static void fmt_uint(char *buf, unsigned v)
{
        char tmp[16];
        int n = 0;

        do {
                tmp[n++] = (char)('0' + v % 10);
                v /= 10;
        } while (v && n < (int)sizeof(tmp));
        while (n > 0)
                *buf++ = tmp[--n];
        *buf = '\0';
}

/* Keep exactly `caps` (effective and permitted), less what we do not hold ourselves: scmpd's
 * unit bounds its capabilities, and a caller may hold some that scmpd never had. Fails with
 * EPERM when a capability in `must` is not ours to give. */
static int set_caps(uint64_t caps, uint64_t must)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
        struct __user_cap_data_struct d[2];
        uint64_t have;

        memset(d, 0, sizeof(d));
        if (syscall(SYS_capget, &h, d) < 0)
                return -1;
        have = (uint64_t)d[0].permitted | (uint64_t)d[1].permitted << 32;
        if ((must & have) != must) {
                errno = EPERM;
                return -1;
        }
        caps &= have;
        memset(d, 0, sizeof(d));
        d[0].effective = d[0].permitted = (uint32_t)caps;
        d[1].effective = d[1].permitted = (uint32_t)(caps >> 32);
        return (int)syscall(SYS_capset, &h, d);
}

/* Resolve `path` in the target's view into an O_PATH fd. `strict` also refuses any symlink.
 * *ret_stage is STAGE_REFUSED when the path met a symlink or magic link it may not cross. */
static int resolve(const struct target *t, int dirfd, const char *path, bool strict, int oflags,
                   int *ret_stage)
{
        struct open_how how;
        int base, fd;

        memset(&how, 0, sizeof(how));
        how.flags = O_PATH | O_CLOEXEC | (uint64_t)oflags;
        how.resolve = RESOLVE_NO_MAGICLINKS;
        if (strict)
                how.resolve |= RESOLVE_NO_SYMLINKS;
        if (path[0] == '/') {
                /* Absolute: the target's root is the root, even against ".." races. */
                base = t->root_fd;
                how.resolve |= RESOLVE_IN_ROOT;
        } else {
                /* Relative: from its cwd or dirfd; the chroot() into its root bounds ".." and
                 * absolute symlinks exactly as the kernel bounds them for the target. */
                base = dirfd >= 0 ? dirfd : t->cwd_fd;
        }
        fd = (int)syscall(SYS_openat2, base, path, &how, sizeof(how));
        /* ELOOP: a symlink where none may be (strict), or a magic link, which is never crossed
         * on the target's behalf. Either way the policy's answer, not the kernel's. */
        if (fd < 0 && errno == ELOOP)
                *ret_stage = STAGE_REFUSED;
        return fd;
}

/* Find mount `id` in a mountinfo file (raw reads; a line is judged on its first LINE_MAX
 * bytes, where the optional fields are). 1 found and shared (a "shared:" tag), 0 found and not
 * shared, -1 with errno on failure (ENOENT: no such mount in that file). */
#define LINE_MAX_BYTES 8192
static int mountinfo_find(int mi, uint64_t mnt_id)
{
        char buf[4096], line[LINE_MAX_BYTES + 1];
        size_t len = 0;
        int found = -1;
        ssize_t n;

        while (found < 0 && (n = read(mi, buf, sizeof(buf))) > 0) {
                for (ssize_t i = 0; i < n && found < 0; i++) {
                        char *sep, *tag, *end;
                        unsigned long long id = 0;
                        size_t k;

                        if (buf[i] != '\n') {
                                if (len < LINE_MAX_BYTES)
                                        line[len++] = buf[i];
                                continue;
                        }
                        line[len] = '\0';
                        for (k = 0; k < len && line[k] >= '0' && line[k] <= '9'; k++)
                                id = id * 10 + (unsigned long long)(line[k] - '0');
                        if (k > 0 && k < len && line[k] == ' ' && id == mnt_id) {
                                /* Optional fields end at " - "; a line cut short before it is
                                 * judged on what we have, and "shared:" can only be there. */
                                sep = strstr(line, " - ");
                                end = sep ? sep : line + len;
                                tag = strstr(line, " shared:");
                                found = tag && tag < end;
                        }
                        len = 0;
                }
        }
        if (found < 0)
                errno = n < 0 ? errno : ENOENT;
        return found;
}

/* The mount id of the object `fd` refers to, or -1 with errno. */
static int64_t mount_id_of(int fd)
{
        struct statx stx;

        if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
                return -1;
        if (!(stx.stx_mask & STATX_MNT_ID)) {
                errno = EOPNOTSUPP;
                return -1;
        }
        return (int64_t)stx.stx_mnt_id;
}

/* Is the mount that holds `fd` shared? Reads the helper's own mountinfo (it is in the target's
 * mount namespace by now). 1 shared, 0 not, -1 with errno on failure (not found: ENOENT). */
static int mount_is_shared(int selffd, int fd)
{
        int64_t id = mount_id_of(fd);
        int mi, r, e;

        if (id < 0)
                return -1;
        mi = openat(selffd, "../mountinfo", O_RDONLY | O_CLOEXEC);
        if (mi < 0)
                return -1;
        r = mountinfo_find(mi, (uint64_t)id);
        e = errno;
        close(mi);
        errno = e;
        return r;
}

/* Close every fd but the `n` in `keep` (raw syscalls; unsorted, -1 entries ignored): the child
 * enters another container's namespaces and should carry no other container's listener, root
 * or anything else scmpd holds. */
static void close_all_but(int *keep, size_t n)
{
        unsigned lo = 0;

        for (size_t i = 0; i < n; i++) /* insertion sort, n is tiny */
                for (size_t j = i; j > 0 && keep[j] < keep[j - 1]; j--) {
                        int x = keep[j];

                        keep[j] = keep[j - 1];
                        keep[j - 1] = x;
                }
        for (size_t i = 0; i < n; i++) {
                if (keep[i] < 0 || (unsigned)keep[i] < lo)
                        continue;
                if ((unsigned)keep[i] > lo)
                        syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0);
                lo = (unsigned)keep[i] + 1;
        }
        syscall(SYS_close_range, lo, ~0U, 0);
}

static void child_act(const struct target *t, const struct helper_request *req, int ret[2])
{
        char tname[16], sname[16];
        const char *source;
        uint64_t caps;
        int selffd, tfd, sfd, r;
        /* mknod and trusted.* xattrs need their capability in the initial user namespace (the
         * kernel's capable(), not ns_capable()): those stay there and lend it there. */
        bool initial_userns = req->op == HELPER_MKNOD || req->op == HELPER_XATTR;

        ret[0] = STAGE_SETUP;
        ret[1] = EIO;

        /* scmpd's own procfs, for acting on resolved fds by their magic links later. */
        selffd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (selffd < 0)
                goto fail;
        /* The caller's identity for every permission check from here on. */
        if (syscall(SYS_setgroups, t->n_groups, t->groups) < 0)
                goto fail;
        syscall(SYS_setfsgid, t->fsgid);
        syscall(SYS_setfsuid, t->fsuid);
        if ((gid_t)syscall(SYS_setfsgid, -1) != t->fsgid ||
            (uid_t)syscall(SYS_setfsuid, -1) != t->fsuid) {
                errno = EPERM;
                goto fail;
        }
        if (!initial_userns) {
                /* The mount namespace first, while we still hold CAP_SYS_ADMIN over whichever
                 * user namespace owns it; then the caller's user namespace, so that the kernel
                 * judges the operation by the caller's namespace's rules (a mount namespace
                 * its user namespace does not own stays out of reach, as it is for the caller). */
                if (setns(t->mntns_fd, CLONE_NEWNS) < 0)
                        goto fail;
                if (t->own_userns && setns(t->userns_fd, CLONE_NEWUSER) < 0)
                        goto fail;
        }
        if (fchdir(t->root_fd) < 0 || chroot(".") < 0)
                goto fail;
        if (req->op == HELPER_MKNOD)
                syscall(SYS_umask, t->umask & 0777);

        /* The caller's capabilities (meaningful only in its own user namespace, which is where
         * we are unless this is mknod for a namespaced caller) plus what the policy lends. */
        caps = req->lend_caps;
        if (!initial_userns || !t->own_userns)
                caps |= t->cap_eff;
        if (set_caps(caps, req->lend_caps) < 0)
                goto fail;

        ret[0] = STAGE_RAN;
        switch (req->op) {
        case HELPER_MOUNT:
                tfd = resolve(t, -1, req->target, true, 0, &ret[0]);
                if (tfd < 0)
                        break;
                source = req->source;
                if (req->source_is_path) {
                        sfd = resolve(t, -1, req->source, true, 0, &ret[0]);
                        if (sfd < 0)
                                break;
                        fmt_uint(sname, (unsigned)sfd);
                        source = sname;
                }
                /* New mounts and binds propagate to the peers of a shared mount point. */
                if (!req->allow_shared && !(req->flags & (MS_REMOUNT | MS_SHARED | MS_PRIVATE |
                                                          MS_SLAVE | MS_UNBINDABLE))) {
                        r = mount_is_shared(selffd, tfd);
                        if (r != 0) {
                                ret[0] = r > 0 ? STAGE_SHARED : STAGE_SETUP;
                                break;
                        }
                }
                fmt_uint(tname, (unsigned)tfd);
                if (fchdir(selffd) < 0)
                        break;
                r = mount(source, tname, req->fstype, req->flags, req->data);
                ret[1] = r < 0 ? errno : 0;
                return;
        case HELPER_UMOUNT: {
                /* An fd inside the mount would keep it busy, so resolve its parent and name
                 * the last component (canonical: one plain name) relative to it, never
                 * following a symlink swapped in there. */
                char parent[4097];
                const char *slash = strrchr(req->target, '/');
                size_t plen = slash ? (size_t)(slash - req->target) : 0;

                if (!slash || slash[1] == '\0' || plen >= sizeof(parent)) {
                        errno = EINVAL;
                        break;
                }
                memcpy(parent, req->target, plen);
                parent[plen] = '\0';
                if (plen == 0)
                        parent[0] = '/', parent[1] = '\0';
                tfd = resolve(t, -1, parent, true, O_DIRECTORY, &ret[0]);
                if (tfd < 0)
                        break;
                /* An unmount propagates too, when the parent mount is shared. */
                if (!req->allow_shared) {
                        r = mount_is_shared(selffd, tfd);
                        if (r != 0) {
                                ret[0] = r > 0 ? STAGE_SHARED : STAGE_SETUP;
                                break;
                        }
                }
                if (fchdir(tfd) < 0)
                        break;
                r = umount2(slash + 1, req->umount_flags | UMOUNT_NOFOLLOW);
                ret[1] = r < 0 ? errno : 0;
                return;
        }
        case HELPER_MKNOD: {
                char dir[4097];
                const char *base;
                size_t len = strnlen(req->path, sizeof(dir));
                char *slash;
                int dfd;

                if (len == 0 || len >= sizeof(dir)) {
                        errno = len == 0 ? ENOENT : ENAMETOOLONG;
                        break;
                }
                memcpy(dir, req->path, len + 1);
                slash = strrchr(dir, '/');
                if (slash && slash[1] == '\0') {
                        errno = ENOENT; /* "dir/": no name to create */
                        break;
                }
                if (!slash) {
                        base = req->path;
                        dir[0] = '.';
                        dir[1] = '\0';
                } else {
                        base = req->path + (slash - dir) + 1;
                        if (slash == dir)
                                slash[1] = '\0'; /* "/name": the root */
                        else
                                *slash = '\0';
                }
                if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
                        errno = EEXIST;
                        break;
                }
                dfd = resolve(t, req->dirfd_copy, dir, false, O_DIRECTORY, &ret[0]);
                if (dfd < 0)
                        break;
                r = mknodat(dfd, base, req->mode, req->dev);
                ret[1] = r < 0 ? errno : 0;
                return;
        }
        case HELPER_XATTR: {
                struct stat st;
                int64_t mnt;
                int ofd, mi, fl;

                if (req->path) {
                        ofd = resolve(t, -1, req->path, false, req->nofollow ? O_NOFOLLOW : 0,
                                      &ret[0]);
                        if (ofd < 0)
                                break;
                } else {
                        ofd = req->dirfd_copy;
                        fl = fcntl(ofd, F_GETFL);
                        if (fl < 0)
                                break;
                        if (fl & O_PATH) {
                                ret[1] = EBADF; /* fsetxattr(2) on an O_PATH fd */
                                return;
                        }
                }
                if (fstat(ofd, &st) < 0)
                        break;
                /* Only what overlayfs marks: files and directories. Never a device node, FIFO
                 * or socket, and never a symlink (lsetxattr on one would reach it). */
                if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
                        ret[0] = STAGE_OUTSIDE;
                        ret[1] = 0;
                        return;
                }
                /* The object must lie on a mount the target sees from its own root: the
                 * target's mountinfo lists exactly those. A fd passed in from the host, or a
                 * cwd outside the root, names a mount that is not there. */
                mnt = mount_id_of(ofd);
                if (mnt < 0)
                        goto fail;
                mi = openat(t->proc_fd, "mountinfo", O_RDONLY | O_CLOEXEC);
                if (mi < 0)
                        goto fail;
                r = mountinfo_find(mi, (uint64_t)mnt);
                close(mi);
                if (r < 0) {
                        if (errno != ENOENT)
                                goto fail;
                        ret[0] = STAGE_OUTSIDE;
                        ret[1] = 0;
                        return;
                }
                /* The kernel checks no permission for trusted.* beyond CAP_SYS_ADMIN, so the
                 * one lent here must not stand in for ownership: the caller must own the file
                 * (or hold CAP_FOWNER in the initial user namespace) and may write to it as
                 * itself. Else the kernel's answer to an unprivileged caller, EPERM, or the
                 * access check's own errno. */
                if (st.st_uid != t->fsuid &&
                    (t->own_userns || !(t->cap_eff & (1ULL << CAP_FOWNER)))) {
                        ret[1] = EPERM;
                        return;
                }
                if (syscall(SYS_faccessat2, ofd, "", W_OK, AT_EMPTY_PATH | AT_EACCESS) < 0) {
                        ret[1] = errno;
                        return;
                }
                if (req->path) {
                        /* By the resolved object's magic link in our own procfs: the container
                         * cannot swap the path between the check and the act. */
                        fmt_uint(tname, (unsigned)ofd);
                        if (fchdir(selffd) < 0)
                                break;
                        r = req->remove ? removexattr(tname, req->name)
                                        : setxattr(tname, req->name, req->value, req->value_size,
                                                   req->xattr_flags);
                } else {
                        r = req->remove ? fremovexattr(ofd, req->name)
                                        : fsetxattr(ofd, req->name, req->value, req->value_size,
                                                    req->xattr_flags);
                }
                ret[1] = r < 0 ? errno : 0;
                return;
        }
        }
        ret[1] = errno ? errno : EIO;
        return;
fail:
        ret[0] = STAGE_SETUP;
        ret[1] = errno ? errno : EIO;
}

static int wait_child(pid_t pid)
{
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno; /* ECHILD when SIGCHLD is ignored: already reaped */
        return 0;
}

int helper_run(const struct target *t, const struct helper_request *req, int *ret_errno)
{
        _cleanup_close_ int rd = -1, wr = -1;
        int fds[2], res[2] = { -1, 0 }, r;
        unsigned timeout = req->timeout_ms ? req->timeout_ms : DEFAULT_TIMEOUT_MS;
        struct pollfd p;
        ssize_t n;
        pid_t pid, parent = getpid();

        /* The last line for every emulation: never act for a caller in the host's or scmpd's
         * mount namespace, whose mounts and device nodes would be the host's own. */
        if (!t->own_mntns)
                return HELPER_HOST_NS;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return negative_errno();
        rd = fds[0];
        wr = fds[1];
        pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                int out[2];

                /* /proc/<tid> only for xattr, which reads the caller's mountinfo. */
                int keep[] = { wr,
                               t->root_fd,
                               t->cwd_fd,
                               t->userns_fd,
                               t->mntns_fd,
                               req->op == HELPER_XATTR ? t->proc_fd : -1,
                               req->dirfd_copy };

                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(0); /* scmpd died before the request took effect: act for no one */
                close_all_but(keep, sizeof(keep) / sizeof(keep[0]));
                child_act(t, req, out);
                (void)!write(wr, out, sizeof(out));
                _exit(0);
        }
        wr = safe_close(wr);
        p = (struct pollfd){ .fd = rd, .events = POLLIN };
        do
                r = poll(&p, 1, (int)timeout);
        while (r < 0 && errno == EINTR);
        if (r <= 0) {
                kill(pid, SIGKILL); /* not reaped yet, so the pid is still our child's */
                wait_child(pid);
                return r == 0 ? -ETIMEDOUT : -EIO;
        }
        do
                n = read(rd, res, sizeof(res));
        while (n < 0 && errno == EINTR);
        wait_child(pid);
        if (n != (ssize_t)sizeof(res))
                return -EIO; /* it died before reporting */
        if (res[1] < 0 || res[1] > 4095)
                return -EIO;
        switch (res[0]) {
        case STAGE_RAN:
                *ret_errno = res[1];
                return 0;
        case STAGE_REFUSED:
                return HELPER_REFUSED;
        case STAGE_SHARED:
                return HELPER_SHARED;
        case STAGE_OUTSIDE:
                return HELPER_OUTSIDE;
        case STAGE_SETUP:
                return res[1] ? -res[1] : -EIO;
        default:
                return -EIO;
        }
}
