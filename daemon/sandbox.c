/*
 * scmpd's own seccomp filter: the supervisor confines itself with the compiler it ships.
 *
 * Model. One allowlist of system call names, the union of what the event loop, libuv's worker
 * threads, libsystemd (sd_notify, journald, the fd store), jansson, dlopen()ed handler plugins
 * and the forked namespace helper (helper.c: setns, chroot, openat2, mount, mknodat, capset,
 * setres[ug]id...) make, as measured by running the integration and e2e suites under strace
 * and under this filter with its LOG flag (docs/reliability.md, "Security of scmpd's own
 * process"). Everything else fails with ENOSYS, which every caller in scmpd already treats as an
 * ordinary error (logged, the notification answered with the fallback verdict), and the kernel
 * logs it through audit, so a call missing from the list degrades one operation visibly instead
 * of killing the supervisor and, with it, every target waiting on it. A system call of another
 * architecture (x32, i386 through int 0x80) is never scmpd's own: it kills the process.
 *
 * Invariants:
 *   - no_new_privs is set before the load and read back afterwards; a filter that cannot be
 *     proven in place is an error, not a warning (the caller decides whether to go on).
 *   - TSYNC: every thread present at load time gets the filter (libuv may have started its pool
 *     during adoption); threads and helper children created later inherit it.
 *   - The filter has no NOTIFY rule: scmpd never becomes a target of a supervisor, its own or
 *     another's, and the load creates no listener.
 *   - socket(2) is allowed for AF_UNIX only: scmpd speaks to runtimes, scmpctl, systemd and
 *     journald, and to nobody on a network.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "log.h"
#include "sandbox.h"
#include "scmpd/arch.h"
#include "scmpd/filter.h"
#include "util.h"

/* clang-format off */
/* Grouped by who needs them; docs/reliability.md repeats the grouping with the reasons. */
const char *const sandbox_syscalls[] = {
        /* The event loop and libuv's worker pool. */
        "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd2",
        "read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close", "close_range",
        "fcntl", "ioctl", "dup", "dup2", "dup3", "pipe2", "poll", "ppoll", "futex", "futex_waitv",
        "set_robust_list", "get_robust_list", "rseq", "clone", "clone3", "exit", "exit_group",
        "sched_yield", "sched_getaffinity", "getrandom", "restart_syscall", "clock_gettime",
        "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "rt_sigaction",
        "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "rt_sigtimedwait", "getpid", "gettid",
        "getppid", "getuid", "geteuid", "getgid", "getegid", "getgroups", "getresuid", "getresgid",
        "prlimit64", "getrlimit", "getrusage", "uname", "sysinfo", "set_tid_address", "membarrier",
        /* Memory: malloc, and dlopen() of handler plugins on a reload (MemoryDenyWriteExecute=
         * in the unit keeps mprotect from making writable memory executable). */
        "brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
        /* Files: the policy, /proc/<tid>/{mem,status,ns,root,fd}, plugins, memfds for the fd
         * store and the in-flight journal. */
        "openat", "openat2", "newfstatat", "fstat", "statx", "readlink", "readlinkat", "getdents64",
        "faccessat", "faccessat2", "access", "unlink", "unlinkat", "fsync", "fdatasync",
        "memfd_create", "ftruncate", "fstatfs", "getcwd", "umask",
        /* The audit store's file, replaced crash-safely (audit_store.c). */
        "rename", "renameat", "renameat2",
        /* Sockets: handoff and control (AF_UNIX, see the rule below), sd_notify, journald. */
        "accept4", "bind", "listen", "connect", "recvmsg", "recvfrom", "sendmsg", "sendto",
        "getsockopt", "setsockopt", "getsockname", "getpeername", "shutdown", "socketpair",
        /* Targets: notifications (seccomp's ioctls above), pidfds, signals. seccomp(2) itself
         * for the notify-size probe and the action-availability queries; a further filter
         * could only restrict scmpd more. */
        "seccomp", "pidfd_open", "pidfd_send_signal", "pidfd_getfd", "kill", "tgkill", "tkill",
        "process_vm_readv", "wait4", "waitid",
        /* intake_lxc.c: is a request's listener the session's (KCMP_FILE on two own fds)? */
        "kcmp",
        /* The namespace helper (helper.c), in a child forked per emulated operation. */
        "setns", "chroot", "fchdir", "chdir", "mount", "umount2", "mknodat", "mknod", "capget",
        "capset", "prctl", "setgroups", "setresuid", "setresgid", "setfsuid", "setfsgid", "setuid",
        "setgid", "fchmod", "fchmodat", "fchown", "fchownat", "setxattr", "fsetxattr", "removexattr",
        "fremovexattr",
        /* The sched handler (handlers/sched.c) applies a checked policy to a container's tid. */
        "sched_setattr", "sched_setscheduler", "sched_getscheduler",
        /* control.c: the control socket file follows control.group on a reload. */
        "chown",
        NULL,
};

/*
 * Test builds only: the ASan/LSan runtime's own calls. Its leak check at exit stops the world
 * with a ptrace()ing thread, and on x86-64 its internal wrappers use the legacy open, stat and
 * getdents calls, not the *at forms libc uses. A product build never compiles these in.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_RUNTIME 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_RUNTIME 1
#endif
#endif
static const char *const sanitizer_syscalls[] = {
#ifdef SANITIZER_RUNTIME
        "open", "stat", "lstat", "getdents", "ptrace", "readlink", "sched_yield", "prctl",
        "sigaltstack", "mincore", "msync", "pipe", "dup2", "waitpid",
#endif
        NULL,
};
/* clang-format on */

/* Verify what the kernel reports for this process, from /proc/self/status. */
static int sandbox_verify(void)
{
        char line[256];
        int nnp = -1, mode = -1;
        FILE *f;

        f = fopen("/proc/self/status", "re");
        if (!f)
                return negative_errno();
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "NoNewPrivs:", 11) == 0)
                        nnp = (int)strtol(line + 11, NULL, 10);
                else if (strncmp(line, "Seccomp:", 8) == 0)
                        mode = (int)strtol(line + 8, NULL, 10);
        }
        fclose(f);
        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 || nnp != 1 || mode != 2)
                return -EPERM;
        return 0;
}

/* Allow every call of a NULL-terminated list; a name this arch lacks is skipped, not an error. */
static int allow_all(struct scmpd_filter *f, const struct scmpd_arch *arch,
                     const char *const *names)
{
        for (size_t i = 0; names[i]; i++) {
                int nr = scmpd_syscall_nr(arch, names[i]);
                int r = nr < 0 ? 0 : scmpd_filter_rule_add(f, SCMPD_ACT_ALLOW, nr, 0, 0, NULL);

                if (r < 0)
                        return r;
        }
        return 0;
}

int sandbox_apply(void)
{
        const struct scmpd_arch *native = scmpd_arch_native();
        struct scmpd_filter *f = NULL;
        struct scmpd_arg_cmp unix_only = { .arg = 0, .op = SCMPD_CMP_EQ, .datum_a = AF_UNIX };
        int r;

        r = scmpd_filter_new(SCMPD_ACT_ERRNO(ENOSYS), &f);
        if (r < 0)
                return r;
        r = scmpd_filter_attr_set(f, SCMPD_ATTR_BADARCH_ACTION, SCMPD_ACT_KILL_PROCESS);
        if (r >= 0)
                r = scmpd_filter_attr_set(f, SCMPD_ATTR_NO_NEW_PRIVS, 1);
        if (r >= 0)
                r = scmpd_filter_attr_set(f, SCMPD_ATTR_TSYNC, 1);
        if (r >= 0)
                r = scmpd_filter_attr_set(f, SCMPD_ATTR_LOG, 1);
        if (r >= 0)
                r = scmpd_filter_attr_set(f, SCMPD_ATTR_RAW_RC, 1);
        if (r >= 0)
                r = allow_all(f, native, sandbox_syscalls);
        if (r >= 0)
                r = allow_all(f, native, sanitizer_syscalls);
        if (r >= 0)
                r = scmpd_filter_rule_add(f, SCMPD_ACT_ALLOW, scmpd_syscall_nr(native, "socket"), 0,
                                          1, &unix_only);
        if (r >= 0 && scmpd_filter_uses_notify(f))
                r = -EINVAL; /* never: the list above has none, and it must stay so */
        if (r >= 0)
                r = scmpd_filter_load(f);
        scmpd_filter_free(f);
        if (r < 0)
                return r;
        return sandbox_verify();
}
