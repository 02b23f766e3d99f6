/*
 * Our native table against the running kernel: the syscalls added after the 6.12 source the
 * tables were generated from (6.13 to 6.18) exist under the numbers we give them. Each is
 * called in a forked child with arguments the kernel must reject (fd -1, NULL pointers), so
 * nothing happens; the only question is whether the answer is ENOSYS (no such syscall) or a
 * real error from the syscall itself. uprobe, called outside a uprobe trampoline, fails with
 * ENXIO. Exits 77 (skip) unless the kernel is at least 6.18 and the native arch is x86_64.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "scmpd/arch.h"

#define SKIP 77

static const char *const recent[] = {
        "setxattrat",     "getxattrat",   "listxattrat",  "removexattrat",
        "open_tree_attr", "file_getattr", "file_setattr", "uprobe",
};

static int call_nr;

/* Child: exit with the errno of a call that must fail. */
static int call_with_bad_args(void *arg)
{
        long r = syscall(call_nr, -1L, 0L, 0L, 0L, 0L, 0L);

        if (r >= 0)
                return 200;
        return errno & 0xff;
}

static bool kernel_at_least(int major, int minor)
{
        struct utsname u;
        int ma = 0, mi = 0;

        if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
                return false;
        return ma > major || (ma == major && mi >= minor);
}

int main(void)
{
        const struct scmpd_arch *native = scmpd_arch_native();
        int fails = 0;

        if (strcmp(native->name, "x86_64") != 0 || !kernel_at_least(6, 18)) {
                printf("skip: needs an x86_64 kernel >= 6.18\n");
                return SKIP;
        }
        for (size_t i = 0; i < sizeof(recent) / sizeof(recent[0]); i++) {
                int status;
                pid_t pid;

                call_nr = scmpd_syscall_nr(native, recent[i]);
                if (call_nr < 0) {
                        fprintf(stderr, "FAIL: %s has no number on x86_64 (%d)\n", recent[i],
                                call_nr);
                        fails++;
                        continue;
                }
                pid = child_spawn(call_with_bad_args, NULL);
                if (pid < 0) {
                        fprintf(stderr, "FAIL: fork: %s\n", strerror((int)-pid));
                        return 1;
                }
                /* A real syscall fails with its own errno; uprobe-like calls may also raise
                 * SIGILL outside their trampoline. Only ENOSYS means the number is wrong. */
                if (child_reap(pid, 5000, &status) < 0 ||
                    !(WIFEXITED(status) || child_killed_by(status, SIGILL)) ||
                    child_exited_with(status, ENOSYS) || child_exited_with(status, 200)) {
                        fprintf(stderr, "FAIL: %s (%d): %s\n", recent[i], call_nr,
                                child_status_str(status));
                        fails++;
                        continue;
                }
                printf("ok: %s is %d on this kernel (%s)\n", recent[i], call_nr,
                       child_status_str(status));
        }
        return fails ? 1 : 0;
}
