/*
 * Forked-child ownership for tests: spawn, bounded wait, kill-and-reap on timeout.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

pid_t child_spawn(int (*fn)(void *arg), void *arg)
{
        pid_t parent = getpid();
        pid_t pid;

        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                child_die_with_parent(parent);
                _exit(fn(arg) & 0xff);
        }
        return pid;
}

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int child_reap(pid_t pid, int timeout_ms, int *ret_status)
{
        struct timespec step = { .tv_sec = 0, .tv_nsec = 1000 * 1000 };
        int status = 0;
        long long end;

        /* A bound is a hang guard, never a verdict on speed: on a loaded machine (or under ASan)
         * a child that works may take far longer than its caller's guess, so every bound but 0
         * (kill now) is at least CHILD_REAP_MIN_MS, measured in time rather than in polls. */
        if (timeout_ms > 0 && timeout_ms < CHILD_REAP_MIN_MS)
                timeout_ms = CHILD_REAP_MIN_MS;
        end = now_ms() + timeout_ms;
        for (;;) {
                pid_t r = waitpid(pid, &status, WNOHANG);
                if (r == pid) {
                        *ret_status = status;
                        return 0;
                }
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (now_ms() >= end)
                        break;
                nanosleep(&step, NULL);
        }
        (void)kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        *ret_status = status;
        return -ETIMEDOUT;
}

const char *child_status_str(int status)
{
        static char buf[64];

        if (WIFEXITED(status))
                snprintf(buf, sizeof(buf), "exited %d", WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
                snprintf(buf, sizeof(buf), "killed by signal %d (%s)", WTERMSIG(status),
                         strsignal(WTERMSIG(status)));
        else
                snprintf(buf, sizeof(buf), "status 0x%x", (unsigned)status);
        return buf;
}

bool child_exited_with(int status, int code)
{
        return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

bool child_killed_by(int status, int sig)
{
        return WIFSIGNALED(status) && WTERMSIG(status) == sig;
}
