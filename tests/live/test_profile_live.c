/*
 * Docker's default profile in the kernel: compiled for this machine as runc would load it (the
 * -ENOSYS stub, then the filter: scmpd_profile_program()), installed in a forked child, and checked
 * with real syscalls whose outcome the profile decides, with Docker's default capabilities and with
 * CAP_SYS_ADMIN. x86 and x32 are covered through the simulator (tests/bpf/profile_diff.c). Exit 77
 * (skip) off x86_64.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "child.h"
#include "scmpd/arch.h"
#include "scmpd/filter.h"
#include "scmpd/profile.h"

#define SKIP 77

struct loaded {
        struct sock_filter *prog;
        size_t len;
};

/* Built in the parent: the child makes no syscall it does not test once the filter is in. */
static int build(const char *const *caps, size_t n_caps, struct loaded *ret)
{
        const char *root = getenv("SCMPD_SOURCE_ROOT");
        char path[4096];
        struct scmpd_profile *p = NULL;
        struct scmpd_filter *f = NULL;
        char *error = NULL;
        void *prog = NULL;
        size_t len = 0;
        int r;

        snprintf(path, sizeof(path), "%s/tests/data/docker-default.json", root ? root : ".");
        struct scmpd_profile_target t = {
                .arch = scmpd_arch_native()->token,
                .caps = caps,
                .n_caps = n_caps,
                .kernel_major = 6,
                .kernel_minor = 18,
        };
        r = scmpd_profile_parse_file(path, NULL, NULL, &p, &error);
        if (r >= 0)
                r = scmpd_profile_compile(p, &t, NULL, NULL, &f, &error);
        if (r >= 0)
                r = scmpd_profile_program(p, &t, f, &prog, &len);
        if (r < 0) {
                fprintf(stderr, "build: %s\n", error ? error : strerror(-r));
                goto out;
        }
        ret->prog = prog;
        ret->len = len;
out:
        free(error);
        scmpd_filter_free(f);
        scmpd_profile_free(p);
        return r;
}

/* Each check that fails sets one bit of the exit status. */
static int child_default_caps(void *arg)
{
        const struct loaded *l = arg;
        struct sock_fprog fprog = { .len = (unsigned short)l->len, .filter = l->prog };
        int bad = 0;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
                return 100;

        /* Allowed. */
        if (syscall(SYS_getpid) < 0)
                bad |= 1 << 0;
        /* Default action: ERRNO(1) = EPERM. */
        errno = 0;
        if (syscall(SYS_mount, "none", "/nonexistent", "tmpfs", 0, NULL) != -1 || errno != EPERM)
                bad |= 1 << 1;
        /* excludes CAP_SYS_ADMIN: clone3 answers ENOSYS so that libc falls back to clone. */
        errno = 0;
        if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
                bad |= 1 << 2;
        /* Argument rules: personality(0xffffffff) queries and is allowed, 5 is not. */
        if (syscall(SYS_personality, 0xffffffffUL) < 0)
                bad |= 1 << 3;
        errno = 0;
        if (syscall(SYS_personality, 5UL) != -1 || errno != EPERM)
                bad |= 1 << 4;
        /* unshare is only for CAP_SYS_ADMIN. */
        errno = 0;
        if (syscall(SYS_unshare, CLONE_NEWUSER) != -1 || errno != EPERM)
                bad |= 1 << 5;
#ifdef SYS_cachestat
        /* Newer than the profile: runc's stub answers ENOSYS. */
        errno = 0;
        if (syscall(SYS_cachestat, -1, NULL, NULL, 0) != -1 || errno != ENOSYS)
                bad |= 1 << 6;
#else
        /* 451 on x86_64. */
        errno = 0;
        if (syscall(451, -1, NULL, NULL, 0) != -1 || errno != ENOSYS)
                bad |= 1 << 6;
#endif
        return bad;
}

static int child_sys_admin(void *arg)
{
        const struct loaded *l = arg;
        struct sock_fprog fprog = { .len = (unsigned short)l->len, .filter = l->prog };
        int bad = 0;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
                return 100;
        /* With CAP_SYS_ADMIN in the set, mount and clone3 reach the kernel: EFAULT/ENOENT or
         * EINVAL, but not the profile's EPERM/ENOSYS. */
        errno = 0;
        if (syscall(SYS_mount, "none", "/nonexistent-scmpd", "tmpfs", 0, NULL) != -1 ||
            errno == EPERM)
                bad |= 1 << 0;
        errno = 0;
        if (syscall(SYS_clone3, NULL, 0) != -1 || errno == ENOSYS)
                bad |= 1 << 1;
        return bad;
}

static int run(const char *what, int (*fn)(void *), const struct loaded *l)
{
        int status = 0;
        pid_t pid = child_spawn(fn, (void *)l);
        if (pid < 0) {
                fprintf(stderr, "%s: fork: %s\n", what, strerror((int)-pid));
                return 1;
        }
        if (child_reap(pid, 10000, &status) < 0 || !child_exited_with(status, 0)) {
                fprintf(stderr, "FAIL %s: %s\n", what, child_status_str(status));
                return 1;
        }
        printf("ok: %s\n", what);
        return 0;
}

int main(void)
{
        static const char *const docker_caps[] = {
                "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
                "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
                "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                "CAP_KILL",    "CAP_AUDIT_WRITE",
        };
        static const char *const admin_caps[] = { "CAP_SYS_ADMIN" };
        struct loaded plain = { 0 }, admin = { 0 };
        int fails = 0;

        if (strcmp(scmpd_arch_native()->name, "x86_64") != 0)
                return SKIP;
        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
                return SKIP;
        if (build(docker_caps, sizeof(docker_caps) / sizeof(docker_caps[0]), &plain) < 0 ||
            build(admin_caps, 1, &admin) < 0)
                return 1;
        fails += run("Docker's default profile, default capabilities", child_default_caps, &plain);
        fails += run("Docker's default profile, CAP_SYS_ADMIN", child_sys_admin, &admin);
        free(plain.prog);
        free(admin.prog);
        return fails ? 1 : 0;
}
