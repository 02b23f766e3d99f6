/*
 * libseccomp's user-notification calls, translated onto the core (scmpd/notify.h).
 *
 * Model: the buffers are the kernel's own structures in both interfaces, so they pass through.
 * libseccomp reports a failed kernel call as -ECANCELED and leaves the kernel's errno in
 * `errno`, which callers read (the Go bindings retry on EINTR and treat ENOENT as "target
 * gone"); the core returns that errno negated, so each call here turns it back into the
 * libseccomp form. seccomp_notify_id_valid() answers only 0 or -ENOENT, as documented. The
 * calls on a listener need API level 5 (the kernel has user notification), else -EOPNOTSUPP;
 * seccomp_notify_alloc() only needs the seccomp(2) syscall (level 2) that reports the sizes,
 * as in libseccomp.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <unistd.h>

#include <seccomp.h>
#include <scmpd/filter.h>
#include <scmpd/notify.h>

#include "compat.h"
#include "util.h"

#define NOTIFY_LEVEL 5
#define ALLOC_LEVEL 2

/* The process's listener, as libseccomp keeps it: created by the first notifying load, shared by
 * every context (seccomp_notify_fd() answers it for any of them), closed by
 * seccomp_reset(NULL, ...). */
static atomic_int process_listener = -1;

int compat_listener_get(void)
{
        return atomic_load(&process_listener);
}

void compat_listener_set(int fd)
{
        int none = -1;

        (void)atomic_compare_exchange_strong(&process_listener, &none, fd);
}

void compat_listener_reset(void)
{
        int fd = atomic_exchange(&process_listener, -1);

        if (fd >= 0)
                (void)close(fd);
}

/* A kernel failure in libseccomp's form: errno carries the reason. */
static int kernel_failure(int r)
{
        errno = -r;
        return -ECANCELED;
}

_public_ int seccomp_notify_alloc(struct seccomp_notif **req, struct seccomp_notif_resp **resp)
{
        if (compat_api_level() < ALLOC_LEVEL)
                return -EOPNOTSUPP;
        return compat_rc(scmpd_notify_alloc(req, resp));
}

_public_ void seccomp_notify_free(struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
        scmpd_notify_free(req, resp);
}

_public_ int seccomp_notify_receive(int fd, struct seccomp_notif *req)
{
        int r;

        if (compat_api_level() < NOTIFY_LEVEL)
                return -EOPNOTSUPP;
        if (!req)
                return -EINVAL;
        r = scmpd_notify_receive(fd, req);
        return r < 0 ? kernel_failure(r) : 0;
}

_public_ int seccomp_notify_respond(int fd, struct seccomp_notif_resp *resp)
{
        int r;

        if (compat_api_level() < NOTIFY_LEVEL)
                return -EOPNOTSUPP;
        if (!resp)
                return -EINVAL;
        r = scmpd_notify_respond(fd, resp);
        return r < 0 ? kernel_failure(r) : 0;
}

_public_ int seccomp_notify_id_valid(int fd, uint64_t id)
{
        int r;

        if (compat_api_level() < NOTIFY_LEVEL)
                return -EOPNOTSUPP;
        r = scmpd_notify_id_valid(fd, id);
        if (r < 0) {
                errno = -r;
                return -ENOENT;
        }
        return 0;
}

/*
 * The kernel's struct seccomp_notif_addfd, mapped onto the core's options. Bits the core
 * cannot express are the ones the kernel refuses with EINVAL, and are refused the same way.
 */
_public_ int seccomp_notify_addfd(int fd, struct seccomp_notif_addfd *addfd)
{
        struct scmpd_notify_addfd opts;
        int r;

        if (compat_api_level() < NOTIFY_LEVEL)
                return -EOPNOTSUPP;
        if (!addfd)
                return -EINVAL;
        if ((addfd->flags & ~(uint32_t)(SECCOMP_ADDFD_FLAG_SETFD | SECCOMP_ADDFD_FLAG_SEND)) ||
            (addfd->newfd_flags & ~(uint32_t)O_CLOEXEC) ||
            (addfd->newfd != 0 && !(addfd->flags & SECCOMP_ADDFD_FLAG_SETFD)) ||
            addfd->srcfd > INT32_MAX || addfd->newfd > INT32_MAX)
                return kernel_failure(-EINVAL);

        opts = (struct scmpd_notify_addfd){
                .src_fd = (int)addfd->srcfd,
                .target_fd = (addfd->flags & SECCOMP_ADDFD_FLAG_SETFD) ? (int)addfd->newfd : -1,
                .cloexec = (addfd->newfd_flags & O_CLOEXEC) != 0,
                .send = (addfd->flags & SECCOMP_ADDFD_FLAG_SEND) != 0,
        };
        r = scmpd_notify_addfd(fd, addfd->id, &opts);
        return r < 0 ? kernel_failure(r) : r;
}

_public_ int seccomp_notify_fd(const scmp_filter_ctx ctx)
{
        int r;

        if (!ctx)
                return -EINVAL;
        /* The process's listener, whichever context loaded it. None yet: the man page says -1,
         * libseccomp 2.5 answers -EFAULT (its internal -1 passes through its own return-code
         * filter); callers see what libseccomp does. */
        r = compat_listener_get();
        return r >= 0 ? r : -EFAULT;
}
