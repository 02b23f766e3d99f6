/*
 * A hand-written seccomp filter for test and bench targets: x86_64 syscalls in `nrs` go to the
 * listener, everything else (and every other arch) is allowed. Header-only, so that targets built
 * without sanitizers and without libscmpd can use it too.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#define TEST_NOTIFY_MAX 16

/* Set no_new_privs and load the filter. Returns the listener fd, or -errno. */
static inline int test_install_notify_filter(const int *nrs, size_t n)
{
        struct sock_filter prog[4 + 2 * TEST_NOTIFY_MAX + 1];
        struct sock_fprog fprog;
        size_t k = 0;
        int fd;

        if (n > TEST_NOTIFY_MAX)
                return -E2BIG;
        prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                 offsetof(struct seccomp_data, arch));
        prog[k++] =
                (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
        prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                 offsetof(struct seccomp_data, nr));
        for (size_t i = 0; i < n; i++) {
                prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                                         (unsigned)nrs[i], 0, 1);
                prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
        }
        prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        fprog = (struct sock_fprog){ .len = (unsigned short)k, .filter = prog };
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                          &fprog);
        return fd < 0 ? -errno : fd;
}
