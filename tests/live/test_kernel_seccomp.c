/*
 * The kernel interfaces the whole project stands on, checked live: a forked child installs a
 * hand-written classic BPF filter with seccomp(2) and observes an ERRNO verdict and a TRAP, and
 * the kernel advertises user notification. Exit 77 (skip) where seccomp filters are missing.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "child.h"

#include "check.h"

static int install(uint32_t nr, uint32_t action)
{
        struct sock_filter prog[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, action),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog fprog = { .len = sizeof(prog) / sizeof(prog[0]), .filter = prog };

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
                return -errno;
        return 0;
}

static int child_errno(void *arg)
{
        if (install(SYS_getppid, SECCOMP_RET_ERRNO | ENOTBLK) < 0)
                return 10;
        errno = 0;
        if (syscall(SYS_getppid) != -1 || errno != ENOTBLK)
                return 11;
        /* Other syscalls are untouched. */
        if (syscall(SYS_getpid) != getpid())
                return 12;
        return 0;
}

static int child_trap(void *arg)
{
        if (install(SYS_getppid, SECCOMP_RET_TRAP) < 0)
                return 10;
        syscall(SYS_getppid);
        return 13; /* not reached: SIGSYS kills us */
}

int main(void)
{
        FILE *f;
        char avail[256] = "";
        int status;

        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
                fprintf(stderr, "seccomp not supported: %s\n", strerror(errno));
                return SKIP;
        }
        f = fopen("/proc/sys/kernel/seccomp/actions_avail", "re");
        if (!f) {
                fprintf(stderr, "no actions_avail: %s\n", strerror(errno));
                return SKIP;
        }
        if (!fgets(avail, sizeof(avail), f))
                avail[0] = '\0';
        fclose(f);
        CHECK(strstr(avail, "errno") && strstr(avail, "trap"), "actions_avail: %s", avail);
        CHECK(strstr(avail, "user_notif"), "kernel lacks user_notif: %s", avail);

        pid_t pid = child_spawn(child_errno, NULL);
        CHECK(pid > 0, "fork");
        CHECK(child_reap(pid, 5000, &status) == 0, "errno child timed out");
        CHECK(child_exited_with(status, 0), "errno child: %s", child_status_str(status));

        pid = child_spawn(child_trap, NULL);
        CHECK(pid > 0, "fork");
        CHECK(child_reap(pid, 5000, &status) == 0, "trap child timed out");
        CHECK(child_killed_by(status, SIGSYS), "trap child: %s", child_status_str(status));

        printf("%s\n", fails ? "FAILED" : "ok");
        return fails ? 1 : 0;
}
