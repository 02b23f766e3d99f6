/*
 * Test helpers for tests that fork. A test owns its child: whatever happens to the assertions,
 * the child is killed and reaped (child_reap() with a timeout, or the SIGKILL fallback).
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

/* In a just-forked child (also outside child_spawn(): the load programs and fake-systemd): die
 * with the parent. PR_SET_PDEATHSIG does nothing if the parent died before it was set, so an
 * orphan exits at once instead of living on (and holding its parent's pipes open). */
static inline void child_die_with_parent(pid_t parent)
{
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(127);
}

/* Fork and run fn(arg) in the child; the child exits with fn's return value (0..255). The child
 * dies with the parent (PR_SET_PDEATHSIG). Returns the pid, or -errno. */
pid_t child_spawn(int (*fn)(void *arg), void *arg);

/* The least bound child_reap() applies (but for 0): a hang guard for a loaded machine. */
#define CHILD_REAP_MIN_MS 120000

/* Wait up to timeout_ms (0: not at all; any other bound is raised to CHILD_REAP_MIN_MS) for the
 * child; on timeout kill it with SIGKILL and reap it. Stores the raw wait status. Returns 0 when
 * it exited in time, -ETIMEDOUT when it had to be killed. */
int child_reap(pid_t pid, int timeout_ms, int *ret_status);

/* Human description of a wait status ("exited 3", "killed by signal 31 (SIGSYS)"). Static. */
const char *child_status_str(int status);

/* True if the status is a normal exit with the given code. */
bool child_exited_with(int status, int code);

/* True if the status is death by the given signal. */
bool child_killed_by(int status, int sig);
