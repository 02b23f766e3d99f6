/*
 * The emulating built-in handlers, mount, mknod and xattr: their policies, parsed from the handler
 * instance's JSON configuration and checked without touching any process, so that they can be
 * tested on their own. The handlers (mount.c, mknod.c, xattr.c) then act through helper.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../helper.h"
#include "scmpd/handler.h"

struct mount_policy;
struct mknod_policy;
struct xattr_policy;

/* Outcomes of the *_policy_check() functions. */
enum emulate_decision {
        EMULATE_REFUSE = 0, /* the policy does not allow it: answer with the refusal verdict */
        EMULATE_ALLOW = 1,  /* emulate it as described by the filled helper_request */
};

/* Parse a configuration. -EINVAL when it is invalid, with the explanation in *ret_error
 * (malloc()ed, when ret_error is not NULL). */
int mount_policy_parse(const char *json, struct mount_policy **ret, char **ret_error);
struct mount_policy *mount_policy_free(struct mount_policy *p);
/* Decide mount(2) (umount == false) or umount2(2) from the registers and string copies. */
enum emulate_decision mount_policy_check(const struct mount_policy *p, bool umount,
                                         const uint64_t args[6], const char *const strings[6],
                                         struct helper_request *ret_req);
/* The same, and on EMULATE_REFUSE the reason in `why` (when not NULL): the clause that refused,
 * one of "fstype", "source", "target", "flags", "data" (or "umount"), then ": " and what was at
 * fault, e.g. "fstype: \"ext4\" is not in \"fstypes\"". */
enum emulate_decision mount_policy_explain(const struct mount_policy *p, bool umount,
                                           const uint64_t args[6], const char *const strings[6],
                                           struct helper_request *ret_req, char *why,
                                           size_t why_size);
/* The verdict for calls the policy refuses: CONTINUE or an errno. */
struct scmpd_verdict mount_policy_refusal(const struct mount_policy *p);
bool mount_policy_requires_cap(const struct mount_policy *p);

int mknod_policy_parse(const char *json, struct mknod_policy **ret, char **ret_error);
struct mknod_policy *mknod_policy_free(struct mknod_policy *p);
/* Decide mknod(2) (at == false) or mknodat(2). */
enum emulate_decision mknod_policy_check(const struct mknod_policy *p, bool at,
                                         const uint64_t args[6], const char *const strings[6],
                                         struct helper_request *ret_req);
struct scmpd_verdict mknod_policy_refusal(const struct mknod_policy *p);

int xattr_policy_parse(const char *json, struct xattr_policy **ret, char **ret_error);
struct xattr_policy *xattr_policy_free(struct xattr_policy *p);
/* Which xattr call a syscall name is: XATTR_KIND_* bits, or -1 when it is none of the six. */
#define XATTR_KIND_FD 1       /* fsetxattr, fremovexattr: args[0] is an fd */
#define XATTR_KIND_NOFOLLOW 2 /* lsetxattr, lremovexattr */
#define XATTR_KIND_REMOVE 4   /* the removexattr family */
int xattr_syscall_kind(const char *syscall);
/* Decide on the registers and the copies of the path and name (the value is not read yet). */
enum emulate_decision xattr_policy_check(const struct xattr_policy *p, int kind,
                                         const uint64_t args[6], const char *const strings[6],
                                         struct helper_request *ret_req);
/* Is this value (the copy read once from the caller) one the policy allows for `name`? */
bool xattr_policy_value_ok(const struct xattr_policy *p, const char *name, const void *value,
                           size_t size);
struct scmpd_verdict xattr_policy_refusal(const struct xattr_policy *p);

/* Shared by every handler: {"refuse": "continue" | "EPERM" | 13} into a verdict; -EINVAL if
 * bad. */
struct json_t;
int emulate_parse_refusal(struct json_t *v, struct scmpd_verdict def, struct scmpd_verdict *ret);
/* The keys every handler that runs the helper has: "timeout_ms" (1..600000, 0 when absent: the
 * helper's default) and "refuse" (emulate_parse_refusal() with `def`). -EINVAL with the reason in
 * *ret_why (a static string) when one is bad. */
int emulate_parse_helper_keys(struct json_t *root, struct scmpd_verdict def,
                              unsigned *ret_timeout_ms, struct scmpd_verdict *ret_refusal,
                              const char **ret_why);

/* Log through the host's logger (as the instance the host belongs to); nothing when host is
 * NULL (the policies tested on their own). */
void emulate_log(const struct scmpd_handler_host *host, int level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Every emulating handler starts and stops the same way: NAME_policy_parse() the configuration
 * (a refusal is logged through the instance's host, then returned), keep the host in the
 * policy (struct NAME_policy has a `host` member) for its logging, and NAME_policy_free() it at
 * stop. This defines NAME_start() and NAME_stop() for the handler's ops. */
#define EMULATE_DEFINE_START_STOP(name)                                                  \
        static int name##_start(const struct scmpd_handler_host *host, const char *conf, \
                                void **ret_state)                                        \
        {                                                                                \
                struct name##_policy *p = NULL;                                          \
                _cleanup_free_ char *why = NULL;                                         \
                int r;                                                                   \
                                                                                         \
                r = name##_policy_parse(conf, &p, &why);                                 \
                if (r < 0) {                                                             \
                        if (host && why)                                                 \
                                host->log_fields(host, LOG_ERR, why, NULL, 0);           \
                        return r;                                                        \
                }                                                                        \
                p->host = host;                                                          \
                *ret_state = p;                                                          \
                return 0;                                                                \
        }                                                                                \
                                                                                         \
        static void name##_stop(void *state)                                             \
        {                                                                                \
                name##_policy_free(state);                                               \
        }

/* ---- sysinfo (sysinfo.c) ---- */

struct sysinfo_policy;
int sysinfo_policy_parse(const char *json, struct sysinfo_policy **ret, char **ret_error);
struct sysinfo_policy *sysinfo_policy_free(struct sysinfo_policy *p);

/* The container's view, in bytes and seconds, before it is laid out as struct sysinfo. */
struct sysinfo_view {
        uint64_t uptime;
        unsigned long loads[3];
        uint64_t procs;
        uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
};
struct sysinfo;
/* Lay out a view as the kernel would (zeroed padding, mem_unit chosen as the kernel does). */
void sysinfo_fill(struct sysinfo *si, const struct sysinfo_view *v);
/* The path of the cgroup in the v1 hierarchy with `controller`, or in cgroup2 (NULL), from the
 * text of a /proc/<tid>/cgroup file: 0; -ENOENT when absent; -EBADMSG when not canonical. */
int sysinfo_cgroup_path(const char *text, const char *controller, char *buf, size_t size);
/* The memory and swap of cgroup `path` under the hierarchy mounted at `mnt` (v1 or v2 files)
 * into *v, which holds the host's values: the lowest limit up to the root, less the usage of
 * the cgroup that sets it. False (and *v unchanged) when no limit below the host's RAM applies. */
bool sysinfo_cgroup_memory(const char *mnt, const char *path, bool v2, struct sysinfo_view *v);

/* ---- sched_setscheduler, sched_setparam, sched_setattr (sched.c) ---- */

struct sched_policy;
int sched_policy_parse(const char *json, struct sched_policy **ret, char **ret_error);
struct sched_policy *sched_policy_free(struct sched_policy *p);

/* What a call asks for, from its registers and its one copy of sched_param / sched_attr. */
struct sched_request {
        int policy; /* SCHED_OTHER, SCHED_FIFO, ... without SCHED_RESET_ON_FORK */
        bool reset_on_fork;
        int priority; /* sched_priority */
        int nice;     /* sched_attr only: sched_nice (other, batch) */
        bool has_nice;
        uint64_t flags; /* sched_attr only: sched_flags */
};
/* 0 when the policy allows the request; else the errno to answer: EINVAL for what the kernel
 * refuses whatever the privilege (an unknown policy, a priority outside the policy's range),
 * -1 for what this policy refuses (the caller gets the refusal verdict). */
int sched_policy_check(const struct sched_policy *p, const struct sched_request *req);
struct scmpd_verdict sched_policy_refusal(const struct sched_policy *p);
