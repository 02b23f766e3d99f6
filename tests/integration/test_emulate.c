/*
 * scmpd's emulating handlers (mount, mknod) against real targets: children that live in their
 * own user and mount namespaces, as root there but without CAP_SYS_ADMIN and (being in a user
 * namespace) without any right to create device nodes, like an unprivileged container. Each
 * child hands its listener to a scmpd started here and checks, from its own side, what its
 * mount(2), umount2(2), mknod(2) and mknodat(2) calls returned and what they did:
 *
 *   - allowed tmpfs mounts happen, in the child's namespace only (the parent reads both
 *     mountinfo files while the child waits), and umount2 undoes them;
 *   - forbidden ones (type, target, flags, rbind) answer the policy's errno (EACCES, chosen so
 *     that it cannot come from the kernel's own EPERM);
 *   - escapes are refused: symlinks to host paths, ".." chains, /proc/self/root paths and
 *     symlinks to them, bind-mounting "/", mounting over /proc, mounting under a shared mount
 *     (whose peers would receive the mount);
 *   - real errors come back as the kernel's errno (ENOENT, EINVAL);
 *   - mknod of allowlisted char devices works with the caller's owner and umask; block devices,
 *     other char devices and magic-link paths do not; directories it may not write stay closed;
 *   - the policy option require_cap_sys_admin refuses a caller without the capability, and a
 *     caller that shares the host's mount namespace is refused whatever the policy says;
 *   - TOCTOU: a second thread of the target rewrites the path buffer while mount(2) is in
 *     flight; over many iterations no mount ever lands on the rewritten path;
 *   - a target killed in the middle of emulations leaves no helper behind and scmpd serving;
 *   - a thread that is not its group's leader gets mknod (null), mknodat with a dirfd, a relative
 *     mknod from its own unshared cwd, mount and umount2 emulated like the leader;
 *   - the xattr handler sets trusted.overlay.* as the policy lists them (setxattr through a
 *     symlink, fsetxattr, removexattr), read back by this parent (the child cannot read
 *     trusted.*), and refuses the rest: unlisted names and values, lsetxattr on a symlink, a
 *     device node, an fd from the host's mount namespace, a directory the caller may not write
 *     (also behind a symlink swapped during the calls), an O_PATH fd (EBADF) and an unreadable
 *     value (EFAULT); a thread flipping the value buffer never gets a refused value written.
 *
 * Built without sanitizers (the children run under a seccomp filter) and without libscmpd
 * (handoff.c and notify.c are compiled in). Usage: test-emulate SCMPD_BINARY. Needs root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "../common/check.h"
#include "../common/child.h"
#include "scmpd/handoff.h"
#include "notify_filter.h"

#define HOST_BASE 100000
/* The race's mount attempts: 200 in CI; SCMPD_RACE_ITERATIONS for the long form. */
#define RACE_ITERATIONS_DEFAULT 200

static char T[64];
static char sock_path[128];

static char *tpath(const char *rel)
{
        static char bufs[8][256];
        static int next;
        char *b = bufs[next++ % 8];

        snprintf(b, sizeof(bufs[0]), "%s%s", T, rel);
        return b;
}

/* ---- the child's side: becoming a container ---- */

struct child_args {
        const char *metadata;
        bool share_mntns;           /* only a user namespace: the host's mounts are its mounts */
        int to_parent, from_parent; /* pipes for the namespace setup and the visibility check */
        int (*body)(struct child_args *a);
};

static int install_filter(void)
{
        static const int trapped[] = { SYS_mount,       SYS_umount2,     SYS_mknod,
                                       SYS_mknodat,     SYS_setxattr,    SYS_lsetxattr,
                                       SYS_fsetxattr,   SYS_removexattr, SYS_lremovexattr,
                                       SYS_fremovexattr };

        return test_install_notify_filter(trapped, sizeof(trapped) / sizeof(trapped[0]));
}

static int drop_cap(int cap)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2];

        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
                return -errno;
        if (syscall(SYS_capget, &h, d) < 0)
                return -errno;
        d[cap / 32].effective &= ~(1U << (cap % 32));
        d[cap / 32].permitted &= ~(1U << (cap % 32));
        d[cap / 32].inheritable &= ~(1U << (cap % 32));
        return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

static int connect_scmpd(void)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (strlen(sock_path) >= sizeof(sa.sun_path))
                return -1;
        memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -1;
        return fd;
}

static int body_main(struct child_args *a);
static int host_dirfd = -1;

static int child_main(void *arg)
{
        struct child_args *a = arg;
        struct scmpd_handoff_info info = { .pid = getpid(), .metadata = a->metadata };
        char c = 'u';
        int sock, listener, r;

        fails = 0; /* this process counts its own */
        /* A directory fd from the host's mount namespace, as a volume fd passed in would be:
         * after the unshare it names a mount the child's namespace does not have. */
        host_dirfd = open(tpath("/xhost"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (unshare(CLONE_NEWUSER | (a->share_mntns ? 0 : CLONE_NEWNS)) < 0)
                return 100;
        if (write(a->to_parent, &c, 1) != 1 || read(a->from_parent, &c, 1) != 1 || c != 'g')
                return 101;
        /* Still host uid 0 here, so scmpd's root-owned socket accepts us. */
        sock = connect_scmpd();
        if (sock < 0)
                return 104;
        /* Root of the new namespace: host uid/gid HOST_BASE. */
        if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
                return 102;
        if (!a->share_mntns && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return 103;
        /* A shared mount point, as a volume with shared propagation would be. */
        if (a->body == body_main && (mount("none", tpath("/mnt/shared"), "tmpfs", 0, NULL) < 0 ||
                                     mkdir(tpath("/mnt/shared/x"), 0755) < 0 ||
                                     mount(NULL, tpath("/mnt/shared"), NULL, MS_SHARED, NULL) < 0))
                return 108;
        if (drop_cap(CAP_SYS_ADMIN) < 0)
                return 105;
        umask(022);
        listener = install_filter();
        if (listener < 0)
                return 106;
        r = scmpd_handoff_send(sock, listener, &info);
        close(listener);
        close(sock);
        if (r < 0)
                return 107;
        return a->body(a);
}

/* Run body in a fresh "container"; the parent maps its ids and serves one visibility check. */
static void run_child(const char *what, const char *metadata, bool share_mntns,
                      int (*body)(struct child_args *))
{
        int up[2], down[2], status = 0;
        struct child_args a = { .metadata = metadata, .share_mntns = share_mntns, .body = body };
        char c, path[64], map[64];
        bool killed = false;
        pid_t pid;

        if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0) {
                check(false, "%s: pipes", what);
                return;
        }
        a.to_parent = up[1];
        a.from_parent = down[0];
        pid = child_spawn(child_main, &a);
        close(up[1]);
        close(down[0]);
        if (pid < 0) {
                check(false, "%s: fork", what);
                goto out;
        }
        if (read(up[0], &c, 1) == 1) {
                FILE *f;

                snprintf(map, sizeof(map), "0 %d 65536\n", HOST_BASE);
                snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
                f = fopen(path, "we");
                if (f) {
                        fputs(map, f);
                        fclose(f);
                }
                snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
                f = fopen(path, "we");
                if (f) {
                        fputs(map, f);
                        fclose(f);
                }
                c = 'g';
                (void)!write(down[1], &c, 1);
        }
        /* The child may ask once: "is my mount visible to you?" */
        if (read(up[0], &c, 1) == 1 && c == 'm') {
                char line[1024], needle[300];
                bool host = false, mine = false;
                FILE *f;

                snprintf(needle, sizeof(needle), " %s ", tpath("/mnt/a"));
                f = fopen("/proc/self/mountinfo", "re");
                while (f && fgets(line, sizeof(line), f))
                        host |= strstr(line, needle) != NULL;
                if (f)
                        fclose(f);
                snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
                f = fopen(path, "re");
                while (f && fgets(line, sizeof(line), f))
                        mine |= strstr(line, needle) != NULL && strstr(line, " tmpfs ") != NULL;
                if (f)
                        fclose(f);
                check(mine, "the emulated tmpfs is in the child's mount namespace");
                check(!host, "the emulated tmpfs is not in the host's mount namespace");
                c = 'c';
                (void)!write(down[1], &c, 1);
        } else if (c == 'k') {
                /* "Kill me while I keep scmpd busy." */
                usleep(300000);
                kill(pid, SIGKILL);
                killed = true;
        }
        child_reap(pid, 120000, &status);
        if (killed)
                check(child_killed_by(status, SIGKILL), "%s: child killed mid-emulation (%s)", what,
                      child_status_str(status));
        else if (WIFEXITED(status) && WEXITSTATUS(status) >= 100)
                check(false, "%s: child setup failed at step %d", what, WEXITSTATUS(status));
        else
                check(child_exited_with(status, 0), "%s: child checks (%s)", what,
                      child_status_str(status));
out:
        close(up[0]);
        close(down[1]);
}

/* ---- the children's checks (they print and count their own fails) ---- */

static bool is_mountpoint(const char *path)
{
        struct stat a, b;
        char parent[300];

        snprintf(parent, sizeof(parent), "%s/..", path);
        return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

static void expect_mount(int want_errno, const char *src, const char *tgt, const char *type,
                         unsigned long flags, const char *what)
{
        int r = mount(src, tgt, type, flags, NULL);
        int e = r < 0 ? errno : 0;

        check(e == want_errno, "%s: %s (wanted %s)", what, e ? strerror(e) : "0",
              want_errno ? strerror(want_errno) : "0");
}

/* ---- calls from a thread that is not the thread-group leader ---- */

struct thread_result {
        int mknod_errno, mknodat_errno, relative_errno, mount_errno, umount_errno;
};

static void *nonleader(void *arg)
{
        struct thread_result *res = arg;
        int dfd;

        /* null 1:3, not the whiteout 0:0: the kernel makes whiteouts without CAP_MKNOD since
         * Linux 5.8, so only a device node proves the emulation ran for this thread. */
        res->mknod_errno =
                mknod(tpath("/dev/thr-null"), S_IFCHR | 0666, makedev(1, 3)) < 0 ? errno : 0;
        dfd = open(tpath("/dev"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        res->mknodat_errno =
                mknodat(dfd, "thr-zero", S_IFCHR | 0666, makedev(1, 5)) < 0 ? errno : 0;
        close(dfd);
        res->mount_errno = mount("none", tpath("/mnt/c"), "tmpfs", 0, NULL) < 0 ? errno : 0;
        res->umount_errno = umount2(tpath("/mnt/c"), 0) < 0 ? errno : 0;
        /* Its own working directory (CLONE_FS unshared): only /proc/<tid>, never the leader's
         * /proc/<tgid>, says where a relative path starts. */
        if (unshare(CLONE_FS) < 0 || chdir(tpath("/dev/thr")) < 0)
                res->relative_errno = -1;
        else
                res->relative_errno =
                        mknod("own-cwd", S_IFCHR | 0666, makedev(1, 3)) < 0 ? errno : 0;
        return NULL;
}

static void nonleader_checks(void)
{
        struct thread_result res = { -1, -1, -1, -1, -1 };
        struct stat st;
        pthread_t th;

        check(mkdir(tpath("/dev/thr"), 0755) == 0, "mkdir dev/thr");
        if (pthread_create(&th, NULL, nonleader, &res) != 0) {
                check(false, "pthread_create");
                return;
        }
        pthread_join(th, NULL);
        check(res.mknod_errno == 0 && stat(tpath("/dev/thr-null"), &st) == 0 &&
                      st.st_rdev == makedev(1, 3),
              "a non-leader thread's mknod of null 1:3 (%s)", strerror(res.mknod_errno));
        check(res.mknodat_errno == 0 && stat(tpath("/dev/thr-zero"), &st) == 0,
              "a non-leader thread's mknodat with a dirfd (%s)", strerror(res.mknodat_errno));
        check(res.relative_errno == 0 && stat(tpath("/dev/thr/own-cwd"), &st) == 0,
              "a non-leader thread's relative mknod starts at its own cwd (%d)",
              res.relative_errno);
        check(res.mount_errno == 0 && res.umount_errno == 0,
              "a non-leader thread's mount and umount2 (%s, %s)", strerror(res.mount_errno),
              strerror(res.umount_errno));
}

/* ---- the xattr handler: trusted.overlay.* as overlayfs needs them ---- */

static char xrace_value[2] = "y";
static atomic_bool xrace_stop;

static void *xattr_racer(void *arg)
{
        while (!atomic_load_explicit(&xrace_stop, memory_order_relaxed)) {
                ((volatile char *)xrace_value)[0] = 'z';
                for (volatile int spin = 0; spin < 2000; spin++)
                        ;
                ((volatile char *)xrace_value)[0] = 'y';
                for (volatile int spin = 0; spin < 20000; spin++)
                        ;
        }
        return NULL;
}

/* Flips dev/ovl/swap, atomically (rename over it), between a directory the caller owns and one
 * it may not write. */
static void *symlink_racer(void *arg)
{
        char tmp[300];

        snprintf(tmp, sizeof(tmp), "%s", tpath("/dev/ovl/swap.tmp"));
        while (!atomic_load_explicit(&xrace_stop, memory_order_relaxed)) {
                unlink(tmp);
                if (symlink(tpath("/rootonly"), tmp) == 0)
                        rename(tmp, tpath("/dev/ovl/swap"));
                for (volatile int spin = 0; spin < 2000; spin++)
                        ;
                unlink(tmp);
                if (symlink(tpath("/dev/ovl/swapok"), tmp) == 0)
                        rename(tmp, tpath("/dev/ovl/swap"));
                for (volatile int spin = 0; spin < 20000; spin++)
                        ;
        }
        return NULL;
}

/* Never mapped (the first page), hidden from the compiler's bounds checks. */
static volatile uintptr_t bad_address = 8;

static int xerr(long r)
{
        return r < 0 ? errno : 0;
}

static void xattr_checks(void)
{
        const char *opaque = "trusted.overlay.opaque";
        char path[300];
        unsigned set = 0, refused = 0;
        char *prot_none;
        pthread_t th;
        int fd, e;

        mkdir(tpath("/dev/ovl"), 0755);
        mkdir(tpath("/dev/ovl/opaque"), 0755);
        mkdir(tpath("/dev/ovl/fd"), 0755);
        mkdir(tpath("/dev/ovl/removed"), 0755);
        close(open(tpath("/dev/ovl/file"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
        symlink(tpath("/dev/ovl/opaque"), tpath("/dev/ovl/link"));
        e = xerr(setxattr(tpath("/dev/ovl/opaque"), opaque, "y", 1, 0));
        check(e == 0, "setxattr trusted.overlay.opaque=y in a user namespace (%s)", strerror(e));
        e = xerr(setxattr(tpath("/dev/ovl/link"), "trusted.overlay.redirect", "/x", 2, 0));
        check(e == 0, "setxattr follows a symlink inside the container (%s)", strerror(e));
        e = xerr(lsetxattr(tpath("/dev/ovl/link"), opaque, "y", 1, 0));
        check(e == EACCES, "lsetxattr on a symlink itself is refused (%s)", strerror(e));
        e = xerr(setxattr(tpath("/dev/ovl/file"), opaque, "z", 1, 0));
        check(e == EACCES, "a value the policy does not list is refused (%s)", strerror(e));
        e = xerr(setxattr(tpath("/dev/ovl/file"), "trusted.evil", "1", 1, 0));
        check(e == EACCES, "a trusted.* name outside the policy is refused (%s)", strerror(e));
        e = xerr(setxattr(tpath("/dev/ovl/file"), "security.capability", "1", 1, 0));
        check(e == EACCES, "security.capability is refused (%s)", strerror(e));
        e = xerr(setxattr(tpath("/dev/ovl/file"), opaque, (const void *)bad_address, 1, 0));
        check(e == EFAULT, "an unreadable value pointer gets the kernel's EFAULT (%s)",
              strerror(e));
        /* A value the kernel could not read (PROT_NONE), though /proc/<pid>/mem could. */
        prot_none = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (prot_none != MAP_FAILED) {
                prot_none[0] = 'y';
                mprotect(prot_none, 4096, PROT_NONE);
                e = xerr(setxattr(tpath("/dev/ovl/file"), opaque, prot_none, 1, 0));
                check(e == EFAULT, "a value on a PROT_NONE page gets the kernel's EFAULT (%s)",
                      strerror(e));
                munmap(prot_none, 4096);
        }
        e = xerr(setxattr(tpath("/dev/ovl/file"), (const char *)bad_address, "y", 1, 0));
        check(e == EACCES, "an unreadable name pointer is refused (%s)", strerror(e));
        e = xerr(setxattr(tpath("/rootonly"), opaque, "y", 1, 0));
        check(e == EPERM || e == EACCES,
              "a directory the caller may not write keeps the kernel's answer (%s)", strerror(e));
        fd = open(tpath("/dev/ovl/fd"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        e = xerr(fsetxattr(fd, opaque, "y", 1, 0));
        check(e == 0, "fsetxattr on a directory fd (%s)", strerror(e));
        close(fd);
        fd = open(tpath("/dev/ovl/file"), O_PATH | O_CLOEXEC);
        e = xerr(fsetxattr(fd, opaque, "y", 1, 0));
        check(e == EBADF, "fsetxattr on an O_PATH fd: the kernel's EBADF (%s)", strerror(e));
        close(fd);
        e = xerr(fsetxattr(host_dirfd, opaque, "y", 1, 0));
        check(e == EACCES, "an fd on a mount outside the caller's namespace is refused (%s)",
              strerror(e));
        e = xerr(setxattr(tpath("/dev/ovl/removed"), opaque, "y", 1, 0));
        e = e ? e : xerr(removexattr(tpath("/dev/ovl/removed"), opaque));
        check(e == 0, "setxattr then removexattr (%s)", strerror(e));
        e = xerr(mknod(tpath("/dev/ovl/wh"), S_IFCHR | 0600, makedev(0, 0)));
        e = e ? e : xerr(setxattr(tpath("/dev/ovl/wh"), opaque, "y", 1, 0));
        check(e == EACCES, "an xattr on a device node is refused (%s)", strerror(e));

        /* TOCTOU on the value: a thread flips it between the allowed "y" and "z". */
        mkdir(tpath("/dev/ovl/race"), 0755);
        if (pthread_create(&th, NULL, xattr_racer, NULL) != 0) {
                check(false, "pthread_create");
                return;
        }
        for (int i = 0; i < 100; i++) {
                snprintf(path, sizeof(path), "%s/%d", tpath("/dev/ovl/race"), i);
                mkdir(path, 0755);
                if (setxattr(path, opaque, xrace_value, 1, 0) == 0)
                        set++;
                else
                        refused++;
        }
        atomic_store(&xrace_stop, true);
        pthread_join(th, NULL);
        printf("xattr race: %u set, %u refused\n", set, refused);
        check(set > 0, "values set while the buffer was being rewritten");

        /* TOCTOU on the path: the symlink is swapped between the check and the act. The object
         * judged (owner, W_OK, mount) is the object written; /rootonly must stay unmarked. */
        mkdir(tpath("/dev/ovl/swapok"), 0755);
        symlink(tpath("/dev/ovl/swapok"), tpath("/dev/ovl/swap"));
        atomic_store(&xrace_stop, false);
        set = refused = 0;
        if (pthread_create(&th, NULL, symlink_racer, NULL) != 0) {
                check(false, "pthread_create");
                return;
        }
        for (int i = 0; i < 100; i++) {
                if (setxattr(tpath("/dev/ovl/swap"), opaque, "y", 1, 0) == 0)
                        set++;
                else
                        refused++;
        }
        atomic_store(&xrace_stop, true);
        pthread_join(th, NULL);
        printf("xattr symlink swap: %u set, %u refused\n", set, refused);
}

/* The parent's side: what the child's calls left on the files (trusted.* is readable only
 * with CAP_SYS_ADMIN in the initial user namespace, which the child does not have). */
static void xattr_host_checks(void)
{
        const char *opaque = "trusted.overlay.opaque";
        char v[64], path[300];
        unsigned bad = 0;
        ssize_t n;

        n = getxattr(tpath("/dev/ovl/opaque"), opaque, v, sizeof(v));
        check(n == 1 && v[0] == 'y', "the host sees trusted.overlay.opaque=y on the directory");
        n = getxattr(tpath("/dev/ovl/opaque"), "trusted.overlay.redirect", v, sizeof(v));
        check(n == 2 && memcmp(v, "/x", 2) == 0, "the host sees the redirect set through a link");
        n = getxattr(tpath("/dev/ovl/fd"), opaque, v, sizeof(v));
        check(n == 1 && v[0] == 'y', "the host sees the value set through the fd");
        check(getxattr(tpath("/dev/ovl/file"), opaque, v, sizeof(v)) < 0 && errno == ENODATA,
              "the refused value was not set");
        check(getxattr(tpath("/dev/ovl/file"), "trusted.evil", v, sizeof(v)) < 0,
              "the refused name was not set");
        check(getxattr(tpath("/xhost"), opaque, v, sizeof(v)) < 0,
              "the host directory reached by a foreign fd has no xattr");
        check(getxattr(tpath("/rootonly"), opaque, v, sizeof(v)) < 0,
              "the directory the caller may not write has no xattr (directly and through the "
              "swapped symlink)");
        check(getxattr(tpath("/dev/ovl/removed"), opaque, v, sizeof(v)) < 0 && errno == ENODATA,
              "removexattr removed it");
        for (int i = 0; i < 100; i++) {
                snprintf(path, sizeof(path), "%s/%d", tpath("/dev/ovl/race"), i);
                n = getxattr(path, opaque, v, sizeof(v));
                if (n >= 0 && !(n == 1 && v[0] == 'y'))
                        bad++;
        }
        check(bad == 0, "no directory got a value the policy refuses (%u violations)", bad);
}

static int body_main(struct child_args *a)
{
        char c = 'm', proc_path[300];
        struct stat st;
        int dfd;

        /* An allowed tmpfs mount happens and is ours only. */
        expect_mount(0, "none", tpath("/mnt/a"), "tmpfs", MS_NOSUID | MS_NODEV, "allowed tmpfs");
        check(is_mountpoint(tpath("/mnt/a")), "the tmpfs is mounted on mnt/a");
        if (write(a->to_parent, &c, 1) != 1 || read(a->from_parent, &c, 1) != 1)
                check(false, "visibility handshake");
        /* Its options string reaches the kernel. */
        check(mount("none", tpath("/mnt/b"), "tmpfs", 0, "size=64k,mode=0700") == 0 &&
                      stat(tpath("/mnt/b"), &st) == 0 && (st.st_mode & 0777) == 0700,
              "tmpfs options are passed on (mode=0700)");
        umount2(tpath("/mnt/b"), 0);

        /* Forbidden by policy: the configured errno. */
        expect_mount(EACCES, "proc", tpath("/mnt/c"), "proc", 0, "forbidden fstype proc");
        expect_mount(EACCES, "none", tpath("/other"), "tmpfs", 0, "target outside the prefixes");
        expect_mount(EACCES, "none", tpath("/mnt/c"), "tmpfs", MS_MOVE, "MS_MOVE");
        expect_mount(EACCES, "none", tpath("/mnt/c"), "tmpfs", MS_SHARED,
                     "propagation not allowed");
        expect_mount(EACCES, tpath("/src"), tpath("/mnt/c"), NULL, MS_BIND | MS_REC,
                     "rbind (rec not allowed)");

        /* Escapes. */
        expect_mount(EACCES, "none", tpath("/mnt/link"), "tmpfs", 0,
                     "symlink in the prefix to a host directory");
        check(!is_mountpoint(tpath("/other")), "nothing was mounted on the symlink's target");
        expect_mount(EACCES, "none", tpath("/mnt/../other"), "tmpfs", 0, "\"..\" chain");
        expect_mount(EACCES, "none", tpath("/mnt/c/../../other"), "tmpfs", 0,
                     "deeper \"..\" chain");
        snprintf(proc_path, sizeof(proc_path), "/proc/self/root%s", tpath("/mnt/c"));
        expect_mount(EACCES, "none", proc_path, "tmpfs", 0, "/proc/self/root path");
        expect_mount(EACCES, "none", tpath("/mnt/plink"), "tmpfs", 0,
                     "symlink to /proc/self/root/...");
        expect_mount(EACCES, "/", tpath("/mnt/c"), NULL, MS_BIND, "bind-mount host /");
        expect_mount(EACCES, tpath("/srclink"), tpath("/mnt/c"), NULL, MS_BIND,
                     "bind a symlink to / that matches the source glob");
        check(!is_mountpoint(tpath("/mnt/c")), "mnt/c is still not a mount point");
        expect_mount(EACCES, "none", "/proc", "tmpfs", 0, "tmpfs over /proc");
        expect_mount(EACCES, "none", "/", "tmpfs", 0, "tmpfs over /");

        /* On a shared mount the change would propagate to its peers: refused. */
        expect_mount(EACCES, "none", tpath("/mnt/shared/x"), "tmpfs", 0,
                     "mount on a shared mount point");
        check(!is_mountpoint(tpath("/mnt/shared/x")), "nothing mounted under the shared mount");

        /* Allowed bind of an allowed source, and real errors from the kernel. */
        expect_mount(0, tpath("/src"), tpath("/mnt/d"), NULL, MS_BIND, "allowed bind");
        check(stat(tpath("/mnt/d/file"), &st) == 0, "the bind shows the source's file");
        expect_mount(ENOENT, "none", tpath("/mnt/missing"), "tmpfs", 0,
                     "missing target: the kernel's ENOENT");
        check(umount2(tpath("/mnt/d"), 0) == 0, "umount2 of the bind (%s)", strerror(errno));
        check(umount2(tpath("/mnt/a"), 0) == 0 && !is_mountpoint(tpath("/mnt/a")),
              "umount2 of the tmpfs");
        check(umount2(tpath("/mnt/a"), 0) < 0 && errno == EINVAL,
              "umount2 of a non-mount-point: the kernel's EINVAL");
        check(umount2("/proc", MNT_DETACH) < 0 && errno == EACCES, "umount2 of /proc refused");

        /* mknod: allowlisted char devices, as the caller, under its umask. */
        check(mknod(tpath("/dev/null"), S_IFCHR | 0666, makedev(1, 3)) == 0, "mknod null");
        check(stat(tpath("/dev/null"), &st) == 0 && S_ISCHR(st.st_mode) &&
                      st.st_rdev == makedev(1, 3) && (st.st_mode & 0777) == 0644 &&
                      st.st_uid == 0 && st.st_gid == 0,
              "the node is char 1:3, mode 0644 (umask 022), owned by the caller");
        check(mknod(tpath("/dev/null"), S_IFCHR | 0666, makedev(1, 3)) < 0 && errno == EEXIST,
              "mknod over an existing name: the kernel's EEXIST");
        dfd = open(tpath("/dev"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        check(mknodat(dfd, "zero", S_IFCHR | 0600, makedev(1, 5)) == 0, "mknodat(dirfd) zero");
        check(fstatat(dfd, "zero", &st, 0) == 0 && st.st_rdev == makedev(1, 5),
              "mknodat created char 1:5 in the dirfd's directory");
        check(mknodat(dfd, "wh", S_IFCHR | 0600, makedev(0, 0)) == 0, "overlay whiteout 0:0");
        check(mknodat(9999, "x", S_IFCHR | 0600, makedev(1, 3)) < 0 && errno == EBADF,
              "mknodat with a closed dirfd: EBADF");
        check(mknodat(a->to_parent, "x", S_IFCHR | 0600, makedev(1, 3)) < 0 && errno == ENOTDIR,
              "mknodat with a dirfd that is not a directory: ENOTDIR");
        close(dfd);
        check(mknod(tpath("/dev/sda"), S_IFBLK | 0600, makedev(8, 0)) < 0 && errno == EPERM,
              "block device refused (the kernel's EPERM)");
        check(mknod(tpath("/dev/mem"), S_IFCHR | 0600, makedev(1, 1)) < 0 && errno == EPERM,
              "char device 1:1 (mem) refused");
        check(mknod(tpath("/dev/tun"), S_IFCHR | 0600, makedev(10, 200)) < 0,
              "tun refused unless opted in");
        check(mknod(tpath("/dev/suid"), S_IFCHR | 04666, makedev(1, 3)) < 0, "set-id bits refused");
        snprintf(proc_path, sizeof(proc_path), "/proc/self/root%s", tpath("/dev/viaproc"));
        check(mknod(proc_path, S_IFCHR | 0666, makedev(1, 3)) < 0 &&
                      stat(tpath("/dev/viaproc"), &st) < 0,
              "mknod through /proc/self/root refused");
        check(mknod(tpath("/rootonly/null"), S_IFCHR | 0666, makedev(1, 3)) < 0 && errno == EACCES,
              "mknod in a directory the caller may not write: EACCES");
        nonleader_checks();
        xattr_checks();
        check(chdir(tpath("/dev")) == 0 && mknod("urandom", S_IFCHR | 0666, makedev(1, 9)) == 0 &&
                      stat(tpath("/dev/urandom"), &st) == 0 && st.st_rdev == makedev(1, 9),
              "relative mknod resolves from the caller's cwd");
        check(mknod("../dev/../dev/random", S_IFCHR | 0666, makedev(1, 8)) == 0 &&
                      stat(tpath("/dev/random"), &st) == 0,
              "relative \"..\" paths resolve like the caller's own");
        return fails ? 1 : 0;
}

static int body_hostns(struct child_args *a)
{
        expect_mount(EACCES, "none", tpath("/mnt/a"), "tmpfs", 0,
                     "a caller in the host's mount namespace is refused");
        check(!is_mountpoint(tpath("/mnt/a")), "nothing mounted in the host's namespace");
        check(setxattr(tpath("/xhost"), "trusted.overlay.opaque", "y", 1, 0) < 0 && errno == EACCES,
              "setxattr from the host's mount namespace is refused");
        return fails ? 1 : 0;
}

/* Keep scmpd emulating until the parent kills us. */
static int body_killed(struct child_args *a)
{
        char c = 'k';

        if (write(a->to_parent, &c, 1) != 1)
                return 1;
        for (;;) {
                mount("none", tpath("/mnt/c"), "tmpfs", 0, NULL);
                umount2(tpath("/mnt/c"), MNT_DETACH);
                mknod(tpath("/dev/k"), S_IFCHR | 0666, makedev(1, 3));
                unlink(tpath("/dev/k"));
        }
        return 0;
}

/* scmpd's helpers are its children; none may outlive its operation. */
static unsigned scmpd_children(pid_t daemon)
{
        char path[300], line[4096];
        struct dirent *de;
        unsigned n = 0;
        DIR *d;

        snprintf(path, sizeof(path), "/proc/%d/task", (int)daemon);
        d = opendir(path);
        while (d && (de = readdir(d))) {
                FILE *f;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/task/%s/children", (int)daemon, de->d_name);
                f = fopen(path, "re");
                if (!f)
                        continue;
                if (fgets(line, sizeof(line), f) && line[0] && line[0] != '\n')
                        n++;
                fclose(f);
        }
        if (d)
                closedir(d);
        return n;
}

static int body_needcap(struct child_args *a)
{
        expect_mount(EACCES, "none", tpath("/mnt/a"), "tmpfs", 0,
                     "require_cap_sys_admin refuses a caller without it");
        check(!is_mountpoint(tpath("/mnt/a")), "nothing mounted");
        return fails ? 1 : 0;
}

/* ---- TOCTOU: a thread rewrites the path while mount(2) is in flight ---- */

static char race_buf[256];
static char race_good[256], race_evil[256];
static atomic_bool race_stop;

/* Torn writes, byte by byte, spending most of the time on the good string so that both
 * outcomes keep happening. */
static void *racer(void *arg)
{
        size_t n = strlen(race_good);

        while (!atomic_load_explicit(&race_stop, memory_order_relaxed)) {
                for (size_t i = 0; i < n; i++)
                        ((volatile char *)race_buf)[i] = race_evil[i];
                for (volatile int spin = 0; spin < 2000; spin++)
                        ;
                for (size_t i = 0; i < n; i++)
                        ((volatile char *)race_buf)[i] = race_good[i];
                for (volatile int spin = 0; spin < 20000; spin++)
                        ;
        }
        return NULL;
}

static int body_race(struct child_args *a)
{
        unsigned mounted = 0, refused = 0, other = 0, wrong = 0;
        const char *env = getenv("SCMPD_RACE_ITERATIONS");
        int iterations = env ? atoi(env) : RACE_ITERATIONS_DEFAULT;
        pthread_t th;

        /* Same length, so every torn mix is a string of that length too. */
        snprintf(race_good, sizeof(race_good), "%s", tpath("/mnt/race"));
        snprintf(race_evil, sizeof(race_evil), "%s", tpath("/evil/abc"));
        if (strlen(race_good) != strlen(race_evil))
                return 2;
        memcpy(race_buf, race_good, strlen(race_good) + 1);
        if (pthread_create(&th, NULL, racer, NULL) != 0)
                return 3;
        if (iterations < 1)
                iterations = RACE_ITERATIONS_DEFAULT;
        for (int i = 0; i < iterations; i++) {
                int r = mount("none", race_buf, "tmpfs", 0, NULL);

                if (r == 0) {
                        mounted++;
                        if (!is_mountpoint(race_good))
                                wrong++;
                        umount2(race_good, MNT_DETACH);
                } else if (errno == EACCES) {
                        refused++;
                } else {
                        other++; /* a torn string under the prefix that does not exist */
                }
                if (is_mountpoint(race_evil))
                        wrong++;
        }
        atomic_store(&race_stop, true);
        pthread_join(th, NULL);
        printf("race: %d iterations: %u mounted, %u refused, %u other\n", iterations, mounted,
               refused, other);
        check(wrong == 0, "no mount ever landed on the rewritten path (%u violations)", wrong);
        check(mounted > 0, "mounts of the checked path still happened during the race");
        return fails ? 1 : 0;
}

/* ---- the parent: scmpd and the tree ---- */

static int write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");

        if (!f)
                return -1;
        fputs(text, f);
        return fclose(f);
}

static int make_tree(void)
{
        static const char *dirs[] = { "/mnt",        "/mnt/a",    "/mnt/b", "/mnt/c",
                                      "/mnt/d",      "/mnt/race", "/other", "/evil",
                                      "/evil/abc",   "/src",      "/dev",   "/rootonly",
                                      "/mnt/shared", "/xhost" };
        char target[300];

        if (chmod(T, 0755) < 0)
                return -1;
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
                if (mkdir(tpath(dirs[i]), 0755) < 0)
                        return -1;
        if (write_file(tpath("/src/file"), "x\n") < 0)
                return -1;
        if (symlink("/", tpath("/srclink")) < 0 || symlink(tpath("/other"), tpath("/mnt/link")) < 0)
                return -1;
        snprintf(target, sizeof(target), "/proc/self/root%s", tpath("/other"));
        if (symlink(target, tpath("/mnt/plink")) < 0)
                return -1;
        /* The container's root owns dev/ (host uid HOST_BASE); rootonly/ stays host root's. */
        return chown(tpath("/dev"), HOST_BASE, HOST_BASE);
}

static void write_config(const char *path)
{
        char conf[4096];

        snprintf(conf, sizeof(conf),
                 "{\n"
                 "  \"default\": { \"errno\": \"ENOSYS\" },\n"
                 "  \"policies\": [\n"
                 "    { \"name\": \"emulate\", \"match\": { \"metadata\": \"emulate\" },\n"
                 "      \"rules\": [\n"
                 "        { \"syscalls\": [\"mount\", \"umount2\"], \"chain\": [\"audit\",\n"
                 "          { \"handler\": \"mount\", \"config\": {\n"
                 "            \"fstypes\": [\"tmpfs\"], \"sources\": [\"none\", \"%s/src*\"],\n"
                 "            \"targets\": [\"%s/mnt\"],\n"
                 "            \"allow_flags\": [\"nosuid\", \"nodev\", \"noexec\", \"rdonly\",\n"
                 "                              \"silent\", \"relatime\", \"bind\"],\n"
                 "            \"refuse\": \"EACCES\" } } ] },\n"
                 "        { \"syscalls\": [\"mknod\", \"mknodat\"],\n"
                 "          \"chain\": [{ \"handler\": \"mknod\", \"config\": {} }] },\n"
                 "        { \"syscalls\": [\"setxattr\", \"lsetxattr\", \"fsetxattr\",\n"
                 "                       \"removexattr\", \"lremovexattr\", \"fremovexattr\"],\n"
                 "          \"chain\": [\"audit\", { \"handler\": \"xattr\", \"config\": {\n"
                 "            \"names\": [\"trusted.overlay.*\"],\n"
                 "            \"values\": { \"trusted.overlay.opaque\": [\"y\"] },\n"
                 "            \"refuse\": \"EACCES\" } } ] }\n"
                 "      ] },\n"
                 "    { \"name\": \"needcap\", \"match\": { \"metadata\": \"needcap\" },\n"
                 "      \"rules\": [\n"
                 "        { \"syscalls\": [\"mount\"], \"chain\": [\n"
                 "          { \"handler\": \"mount\", \"config\": { \"fstypes\": [\"tmpfs\"],\n"
                 "            \"targets\": [\"%s/mnt\"], \"require_cap_sys_admin\": true,\n"
                 "            \"refuse\": \"EACCES\" } } ] }\n"
                 "      ] }\n"
                 "  ]\n"
                 "}\n",
                 T, T, T);
        write_file(path, conf);
}

static void host_has_no_mounts_under_T(void)
{
        char line[1024], needle[128];
        bool found = false;
        FILE *f = fopen("/proc/self/mountinfo", "re");

        snprintf(needle, sizeof(needle), " %s/", T);
        while (f && fgets(line, sizeof(line), f))
                found |= strstr(line, needle) != NULL;
        if (f)
                fclose(f);
        check(!found, "the host's mount table has nothing under the test tree");
}

int main(int argc, char **argv)
{
        char conf[128], logp[128], ctl[128], cmd[512];
        struct stat st;
        pid_t daemon;
        int status;

        if (argc != 2) {
                fprintf(stderr, "usage: %s SCMPD\n", argv[0]);
                return 2;
        }
        if (geteuid() != 0) {
                printf("SKIP: needs root\n");
                return 77;
        }
        snprintf(T, sizeof(T), "/tmp/scmpd-emu.XXXXXX");
        if (!mkdtemp(T) || make_tree() < 0) {
                perror("test tree");
                return 2;
        }
        snprintf(sock_path, sizeof(sock_path), "%s/scmpd.sock", T);
        snprintf(conf, sizeof(conf), "%s/scmpd.json", T);
        snprintf(logp, sizeof(logp), "%s/scmpd.log", T);
        snprintf(ctl, sizeof(ctl), "%s/control.sock", T);
        write_config(conf);

        pid_t parent = getpid();
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
                run_child("main", "emulate", false, body_main);
                xattr_host_checks();
                run_child("needcap", "needcap", false, body_needcap);
                run_child("hostns", "emulate", true, body_hostns);
                run_child("race", "emulate", false, body_race);
                run_child("killed", "emulate", false, body_killed);
                {
                        unsigned left = 1;

                        for (int i = 0; i < 6000 && (left = scmpd_children(daemon)) > 0;
                             i++) /* 120 s */
                                usleep(20000);
                        check(left == 0, "no helper outlives its operation (%u left)", left);
                }
                run_child("after-kill", "needcap", false, body_needcap);
                host_has_no_mounts_under_T();
        }
        check(kill(daemon, 0) == 0, "scmpd is still alive");
        kill(daemon, SIGTERM);
        if (child_reap(daemon, 10000, &status) < 0)
                check(false, "scmpd did not stop on SIGTERM");
        if (fails) {
                printf("---- scmpd log\n");
                fflush(stdout);
                snprintf(cmd, sizeof(cmd), "grep -v -e ' audit: ' -e '/evil/' %s | tail -n 60",
                         logp);
                if (system(cmd) < 0)
                        perror("system");
        }
        snprintf(cmd, sizeof(cmd), "umount -R %s/mnt/* 2>/dev/null; %s %s", T,
                 getenv("EMULATE_KEEP") ? "echo kept" : "rm -rf", T);
        if (system(cmd) < 0)
                perror("system");
        printf("emulate: %d failure(s)\n", fails);
        return fails ? 1 : 0;
}
