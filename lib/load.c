/*
 * Loading: seccomp(2) with flags from the attributes, no_new_privs through prctl.
 *
 * One load installs one filter. When any rule (or the default) uses NOTIFY the load asks for a
 * listener (SECCOMP_FILTER_FLAG_NEW_LISTENER); the kernel returns its fd, already O_CLOEXEC, and
 * the filter records it for scmpd_filter_listener_fd() without owning it. Kernel refusals map to
 * -ECANCELED unless the RAW_RC attribute asks for the kernel's errno, as libseccomp does. A
 * caller that keeps one listener per process (libseccomp's model) passes the fd it has to
 * scmpd_filter_load_shared_listener(): the load then asks for no listener and the filter
 * records that fd. The kernel probes (filter flags, actions) install nothing.
 */
#include <errno.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "model.h"
#include "util.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static int load_rc(const struct scmpd_filter *f, int k)
{
        return f->s.raw_rc ? k : -ECANCELED;
}

_public_ int scmpd_filter_load(struct scmpd_filter *f)
{
        return scmpd_filter_load_shared_listener(f, -1);
}

_public_ int scmpd_filter_load_shared_listener(struct scmpd_filter *f, int listener_fd)
{
        struct sock_fprog prog;
        unsigned long flags = 0;
        bool notify, reuse;
        long r;
        int k;

        if (!f)
                return -EINVAL;
        k = scmpd_filter_precompute(f);
        if (k < 0)
                return k;
        notify = scmpd_filter_uses_notify(f);
        reuse = notify && listener_fd >= 0;

        if (f->s.nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return load_rc(f, negative_errno());

        if (f->s.tsync)
                flags |= SECCOMP_FILTER_FLAG_TSYNC;
        if (f->s.log)
                flags |= SECCOMP_FILTER_FLAG_LOG;
        if (f->s.ssb)
                flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
        if (notify && !reuse) {
                flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
                /* The kernel refuses TSYNC with a listener unless failures report ESRCH. */
                if (f->s.tsync)
                        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
                if (f->s.wait_killable)
                        flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
        }

        prog.len = (unsigned short)f->prog_len;
        prog.filter = f->prog;
        r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
        if (r < 0)
                return load_rc(f, negative_errno());
        if (reuse) {
                f->listener_fd = listener_fd;
        } else if (notify) {
                f->listener_fd = (int)r;
                return 0;
        }
        /* Without TSYNC_ESRCH, TSYNC reports the thread it could not synchronise by its id. */
        if (f->s.tsync && r > 0)
                return -ESRCH;
        return 0;
}

/* SECCOMP_SET_MODE_FILTER with a NULL program: EFAULT means the kernel accepted the flags and
 * went on to read the program; EINVAL means it does not know them. Nothing is installed. */
static bool kernel_takes_flags(unsigned long flags)
{
        long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL);

        return r < 0 && errno == EFAULT;
}

_public_ int scmpd_kernel_filter_flags(uint32_t *ret_flags)
{
        static const unsigned long probes[] = {
                SECCOMP_FILTER_FLAG_TSYNC,       SECCOMP_FILTER_FLAG_LOG,
                SECCOMP_FILTER_FLAG_SPEC_ALLOW,  SECCOMP_FILTER_FLAG_NEW_LISTENER,
                SECCOMP_FILTER_FLAG_TSYNC_ESRCH, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
        };
        int saved = errno;
        uint32_t flags = 0;

        if (!ret_flags)
                return -EINVAL;
        /* Without seccomp(2) (ENOSYS) or filter mode (EINVAL for no flags), nothing to probe. */
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0UL, NULL) < 0 && errno != EFAULT) {
                int k = -errno;
                errno = saved;
                return k;
        }
        for (size_t i = 0; i < ELEMENTSOF(probes); i++) {
                unsigned long p = probes[i];
                /* WAIT_KILLABLE_RECV is only valid together with a listener. */
                if (p == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
                        p |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
                if (kernel_takes_flags(p))
                        flags |= (uint32_t)probes[i];
        }
        errno = saved;
        *ret_flags = flags;
        return 0;
}

_public_ bool scmpd_kernel_action_available(uint32_t action)
{
        int saved = errno;
        long r = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action);

        errno = saved;
        return r == 0;
}

_public_ int scmpd_filter_listener_fd(const struct scmpd_filter *f)
{
        if (!f)
                return -EINVAL;
        return f->listener_fd >= 0 ? f->listener_fd : -ENOENT;
}
