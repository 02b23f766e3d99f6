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
