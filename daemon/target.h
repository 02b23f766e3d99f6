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

/* ---- target memory and the target's pid namespace, for emulating handlers ----
 *
 * Each of these works on a target opened by target_open() (so through its validated /proc/<tid>
 * directory, which names the trapped thread for as long as it lives and never another process)
 * and validates the notification after the last read, so that what they return can be used.
 * All may block (the target's memory may be slow): call them on a worker thread.
 */

/*
 * Copy `len` bytes at `addr` of the target's memory into `buf` with one read. 0 on success;
 * -EFAULT when any byte is not readable to the target (NULL, unmapped, PROT_NONE), as
 * copy_from_user() would fail; -ENOENT when the notification is gone.
 */
int target_read(const struct target *t, uint64_t addr, void *buf, size_t len);

/*
 * Write `len` bytes from `buf` at `addr` in the target's memory, as the kernel's copy_to_user()
 * would: only when every byte lies in a mapping the target may write (its maps say "w"; a
 * write through /proc/<tid>/mem alone would also succeed on its read-only pages). Nothing is
 * written otherwise. 0 on success; -EFAULT for a range the kernel would refuse (NULL, unmapped,
 * read-only, crossing into either); -ENOENT when the notification is gone.
 */
int target_write(const struct target *t, uint64_t addr, const void *buf, size_t len);

/*
 * The init of the target's pid namespace: its host pid and start time (ns since boot, the
 * CLOCK_BOOTTIME scale), found by the kernel's translation of pid 1 in that namespace
 * (NS_GET_TGID_FROM_PIDNS) and checked to be pid 1 of the same namespace. -ENOENT when the
 * notification is gone; -ENOTTY when the kernel cannot translate (before Linux 6.11).
 */
int target_pidns_init(const struct target *t, pid_t *ret_pid, uint64_t *ret_start_ns);

/*
 * A thread named by the target as `vpid` in its own pid namespace (0: the target itself),
 * translated to scmpd's (NS_GET_PID_FROM_PIDNS), with a pidfd on it (owned by the caller). The
 * thread is checked to be `vpid` in the target's pid namespace *and* to share the target's pid
 * and user namespaces; *ret_same_ns says whether it does (false: it lives in a nested one).
 * -ESRCH when no such thread exists there; -ENOENT when the notification is gone.
 */
int target_resolve_tid(const struct target *t, pid_t vpid, pid_t *ret_tid, int *ret_pidfd,
                       bool *ret_same_ns);

/* Does the target share scmpd's or PID 1's pid namespace? -ENOENT when gone. */
int target_host_pidns(const struct target *t, bool *ret_host);

/*
 * Read the target's /proc/<tid>/`name` (a small text file: "cgroup", "status") into `buf`
 * (NUL-terminated, at most size - 1 bytes). Bytes read, or a negative errno (-ENOENT: gone).
 */
ssize_t target_read_proc(const struct target *t, const char *name, char *buf, size_t size);
