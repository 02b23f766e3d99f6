/*
 * Safe access to the target of a notification (see target.c for the discipline).
 */
#pragma once

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
