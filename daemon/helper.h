/*
 * The namespace helper: acting as a target, in the target's view (see helper.c for the model).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "scmpd/handler.h"
#include "target.h"

enum helper_op {
        HELPER_MOUNT,
        HELPER_UMOUNT,
        HELPER_MKNOD,
        HELPER_XATTR,
};

/* One operation, with the string copies the policy judged (borrowed). */
struct helper_request {
        enum helper_op op;
        /* mount: target (absolute, canonical), source (a path for bind mounts, else a name),
         * fstype, data (may be NULL), flags as the caller passed them (MS_MGC stripped). */
        const char *source;
        const char *target;
        const char *fstype;
        const char *data;
        unsigned long flags;
        bool source_is_path; /* bind: resolve the source in the target's root */
        bool allow_shared;   /* act even where the mount point's mount is shared, so that the
                              * change propagates to its peers (maybe outside the container) */
        /* umount2: target, flags. */
        int umount_flags;
        /* mknod: path (the caller's, relative to dirfd_copy or its cwd), mode, dev. */
        const char *path;
        int dirfd_copy; /* -1: relative paths start at the caller's cwd */
        mode_t mode;
        dev_t dev;
        /* xattr: set (or remove) `name` on `path` (resolved like mknod's, following a final
         * symlink unless `nofollow`) or, when path is NULL, on the open file dirfd_copy. The
         * object must be a regular file or a directory on a mount the caller sees from its
         * root; value/value_size/xattr_flags are setxattr(2)'s. */
        const char *name;
        const void *value;
        size_t value_size;
        int xattr_flags;
        bool remove;
        bool nofollow;
        /* Capabilities lent to the operation on top of the caller's own. */
        uint64_t lend_caps;
        unsigned timeout_ms; /* 0: 10 s */
};

/* Outcomes of helper_run() beyond the operation's own errno. */
#define HELPER_REFUSED 1 /* a path left the allowed shape (a symlink, a magic link, "..") */
#define HELPER_SHARED 2  /* the mount point is on a shared mount and the request forbids it */
#define HELPER_HOST_NS 3 /* the target shares the host's or scmpd's mount namespace */
#define HELPER_OUTSIDE                                                             \
        4 /* xattr: the object is not a file or directory inside the target's view \
           */

/*
 * Run one operation as the target, in a forked single-threaded child, and wait for it (blocks:
 * call it on a worker thread). Returns 0 when the operation ran, with its result in *ret_errno
 * (0 or a positive errno); HELPER_REFUSED when path resolution met a symlink or magic link
 * where the request forbids them; HELPER_SHARED when a mount or umount would propagate to peers
 * of a shared mount and the request does not allow it; HELPER_HOST_NS (nothing done) when the
 * target shares PID 1's or scmpd's mount namespace; a negative errno when the helper itself
 * failed (fork, setns, a timeout).
 */
int helper_run(const struct target *t, const struct helper_request *req, int *ret_errno);

/* Is `path` absolute and canonical (no "//", ".", ".." components, no trailing slash except
 * "/")? The handlers judge only such paths, so that the string means one place. */
bool helper_path_is_canonical(const char *path);
