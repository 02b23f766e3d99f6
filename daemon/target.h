/*
 * Safe access to the target of a notification (see target.c for the discipline).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "scmpd/notify.h"

/* Which arguments (bit i = args[i]) of this syscall are strings (paths, fs types). */
unsigned target_string_mask(const char *syscall);

/*
 * Copy the string arguments in `mask` from the target of `req` into ret_strings[i] (malloc()ed,
 * NULL where unreadable), validating the notification before and after reading. May block:
 * call it on a worker thread. 0 on success, -ENOENT when the target is gone, -ESRCH when it is
 * not visible from here, another negative errno otherwise (the strings are then all NULL).
 */
int target_copy_strings(int listener_fd, const struct seccomp_notif *req, unsigned mask,
                        char *ret_strings[6]);

/* Kill the target's process with SIGKILL through a pidfd opened and validated against the
 * notification. -ENOENT when it is gone already. */
int target_kill(int listener_fd, const struct seccomp_notif *req);

#define TARGET_MAX_GROUPS 64

/*
 * What scmpd knows about a trapped thread, gathered under the TOCTOU discipline by
 * target_open(): every fd was opened while the notification was pending and the ID was
 * validated after the last of them, so each one provably names the trapped thread's objects.
 * Identities are as seen from scmpd's (the initial) user namespace.
 */
struct target {
        int listener_fd; /* borrowed: the listener of the notification */
        uint64_t id;     /* the notification, pending while the fds were opened */
        pid_t tid;
        int proc_fd;     /* /proc/<tid>, a directory */
        int root_fd;     /* /proc/<tid>/root, O_PATH: its root directory */
        int cwd_fd;      /* /proc/<tid>/cwd, O_PATH: its working directory */
        int userns_fd;   /* /proc/<tid>/ns/user */
        int mntns_fd;    /* /proc/<tid>/ns/mnt */
        int pidfd;       /* pidfd_open(tid): to copy its fds with pidfd_getfd() */
        bool own_userns; /* its user namespace differs from scmpd's */
        bool own_mntns;  /* its mount namespace is neither scmpd's nor PID 1's */
        uid_t fsuid;
        gid_t fsgid;
        size_t n_groups;
        gid_t groups[TARGET_MAX_GROUPS];
        uint64_t cap_eff; /* effective capabilities, in its own user namespace */
        mode_t umask;
};

#define TARGET_INIT                                                                             \
        {                                                                                       \
                .listener_fd = -1, .proc_fd = -1, .root_fd = -1, .cwd_fd = -1, .userns_fd = -1, \
                .mntns_fd = -1, .pidfd = -1,                                                    \
        }

/*
 * Open the thread of notification `id` on `listener_fd` (borrowed) and read its credentials.
 * 0 on success; -ENOENT when the notification is no longer pending (the target is gone or was
 * interrupted), -ESRCH when it is not visible from scmpd's pid namespace, another negative errno
 * otherwise. On failure *t holds no fds.
 */
int target_open(int listener_fd, uint64_t id, pid_t tid, struct target *t);
void target_close(struct target *t);

/*
 * A copy of the target's fd `target_fd` (taken with pidfd_getfd() while the notification is
 * pending, and validated after: it provably is the trapped thread's fd). Returns the copy, owned
 * by the caller; -ENOENT when the notification is gone; else pidfd_getfd()'s error (-EBADF: the
 * target has no such fd).
 */
int target_getfd(const struct target *t, int target_fd);

#define TARGET_MEM_MAX 65536 /* XATTR_SIZE_MAX: the largest buffer a handler copies */

/*
 * Copy `len` bytes (at most TARGET_MEM_MAX) at `addr` in the target's memory into `buf`, once,
 * through the /proc directory target_open() validated, and validate the notification after
 * reading, so that the bytes are provably the trapped thread's at the time of its call. May
 * block: worker threads only. 0 on success (nothing read when len is 0); -EFAULT when the range
 * is not readable (the kernel's answer for a bad pointer); -ENOENT when the notification is
 * gone; -E2BIG when len is over the bound.
 */
int target_read_mem(const struct target *t, uint64_t addr, size_t len, void *buf);

/*
 * What the kernel says about a notification's target thread, for "match": {"target": ...}.
 * Read by target_read_facts() under the ID-validity discipline; the target cannot forge them.
 */
struct target_facts {
        bool known;          /* read completely; false: every target condition fails */
        bool initial_userns; /* its user namespace is PID 1's or scmpd's */
        uid_t userns_owner;  /* the uid that created its user namespace (NS_GET_OWNER_UID) */
        bool host_mntns;     /* its mount namespace is PID 1's or scmpd's */
        char *cgroup;        /* its cgroup v2 path ("/system.slice/x.scope"), malloc()ed, or NULL */
};

/*
 * Read the facts about the target of `req` into *ret (the caller frees them with
 * target_facts_done()), validating the notification after opening and after reading. May block
 * on /proc: call it on a worker thread. 0 on success, -ENOENT when the target is gone, another
 * negative errno otherwise (*ret is then all unknown).
 */
int target_read_facts(int listener_fd, const struct seccomp_notif *req, struct target_facts *ret);
void target_facts_done(struct target_facts *f);
