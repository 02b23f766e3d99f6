/*
 * The library's identity: seccomp_version() and the API level (seccomp_api_get/set).
 *
 * libseccomp describes what the running kernel can do as one number, each level adding to the
 * previous one: 2 the seccomp(2) syscall with TSYNC, 3 the LOG action and flag and
 * KILL_PROCESS, 4 SPEC_ALLOW, 5 user notification, 6 TSYNC_ESRCH (TSYNC together with a
 * listener), 7 WAIT_KILLABLE_RECV. The level is probed on first use through the core's kernel
 * probes (scmpd_kernel_filter_flags(), scmpd_kernel_action_available()), which change nothing
 * in the process. A caller may force another level; the forced
 * value wins until seccomp_reset(NULL, ...).
 *
 * Thread safety: the level is one atomic word; concurrent first calls may probe twice and
 * store the same answer.
 */
#include <errno.h>
#include <stdatomic.h>

#include <linux/seccomp.h>

#include <seccomp.h>
#include <scmpd/filter.h>

#include "compat.h"
#include "util.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define API_LEVEL_MAX 7

static const struct scmp_version library_version = {
        .major = SCMP_VER_MAJOR,
        .minor = SCMP_VER_MINOR,
        .micro = SCMP_VER_MICRO,
};

static atomic_uint forced_level;
static atomic_uint probed_level;

_public_ const struct scmp_version *seccomp_version(void)
{
        return &library_version;
}

static unsigned probe_level(void)
{
        uint32_t flags = 0;

        /* The kernel's answers are the core's (scmpd_kernel_filter_flags()); the grouping into
         * levels is libseccomp's. */
        if (scmpd_kernel_filter_flags(&flags) < 0 || !(flags & SECCOMP_FILTER_FLAG_TSYNC))
                return 1;
        if (!(flags & SECCOMP_FILTER_FLAG_LOG) || !scmpd_kernel_action_available(SCMPD_ACT_LOG) ||
            !scmpd_kernel_action_available(SCMPD_ACT_KILL_PROCESS))
                return 2;
        if (!(flags & SECCOMP_FILTER_FLAG_SPEC_ALLOW))
                return 3;
        if (!(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) ||
            !scmpd_kernel_action_available(SCMPD_ACT_NOTIFY))
                return 4;
        if (!(flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
                return 5;
        if (!(flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV))
                return 6;
        return 7;
}

unsigned compat_api_level(void)
{
        unsigned level = atomic_load(&forced_level);

        if (level != 0)
                return level;
        level = atomic_load(&probed_level);
        if (level == 0) {
                level = probe_level();
                atomic_store(&probed_level, level);
        }
        return level;
}

void compat_api_reset(void)
{
        atomic_store(&forced_level, 0);
        atomic_store(&probed_level, 0);
}

bool compat_action_supported(uint32_t action)
{
        switch (action & 0xffff0000U) {
        case SCMPD_ACT_KILL_PROCESS:
        case SCMPD_ACT_LOG:
                return compat_api_level() >= 3;
        case SCMPD_ACT_NOTIFY:
                return compat_api_level() >= 5;
        default:
                return true;
        }
}

_public_ unsigned int seccomp_api_get(void)
{
        return compat_api_level();
}

_public_ int seccomp_api_set(unsigned int level)
{
        if (level < 1 || level > API_LEVEL_MAX)
                return -EINVAL;
        atomic_store(&forced_level, level);
        return 0;
}

int compat_rc(int r)
{
        if (r >= 0)
                return r;
        switch (r) {
        case -EACCES:
        case -ECANCELED:
        case -EDOM:
        case -EEXIST:
        case -EINVAL:
        case -ENOENT:
        case -ENOMEM:
        case -EOPNOTSUPP:
        case -ESRCH:
                return r;
        default:
                return -EFAULT;
        }
}

int compat_rc_sys(const struct scmpd_filter *f, int r)
{
        uint32_t raw = 0;

        if (r >= 0)
                return r;
        if (scmpd_filter_attr_get(f, SCMPD_ATTR_RAW_RC, &raw) == 0 && raw != 0)
                return r;
        switch (r) {
        case -EINVAL:
        case -ENOMEM:
        case -ESRCH:
        case -ECANCELED:
        case -EFAULT:
                return r;
        default:
                return -ECANCELED;
        }
}
