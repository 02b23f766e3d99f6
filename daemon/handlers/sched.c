/*
 * The sched handler: emulates sched_setscheduler(2), sched_setparam(2) and sched_setattr(2) for
 * a caller that is privileged in its own user namespace, where the kernel would refuse it: the
 * kernel asks for CAP_SYS_NICE in the *initial* user namespace before it gives a real-time
 * policy or a negative nice value, so root in a container's user namespace cannot have either.
 * scmpd lends that one capability, within the policy's bounds:
 *
 *   {
 *     "policies": ["other", "batch", "idle", "fifo", "rr"],   allowed (default: the first three)
 *     "max_rt_priority": 10,    highest sched_priority for fifo and rr (1..99; required with them)
 *     "min_nice": 0,            lowest nice value sched_setattr may set (-20..19, default 0)
 *     "refuse": "EPERM"         the verdict for what the policy refuses (default EPERM, the
 *                               kernel's own answer to an unprivileged caller)
 *   }
 *
 * SCHED_DEADLINE and every sched_attr flag but SCHED_FLAG_RESET_ON_FORK (reclaim, overrun, keep
 * policy or params, utilisation clamps) are always refused: each would need a policy of its own.
 *
 * Who may ask: a caller in its own user namespace (not the initial one) and its own pid
 * namespace (not scmpd's or PID 1's), holding CAP_SYS_NICE there; anyone else gets the refusal
 * verdict, as they would from the kernel. Whom for: `pid` 0 (the caller), or a pid of the
 * caller's pid namespace, translated by the kernel (NS_GET_PID_FROM_PIDNS) and checked to be
 * that pid in that namespace and a member of the caller's user namespace (target.c,
 * target_resolve_tid()). A thread in a nested pid namespace or another user namespace is
 * refused: the caller's capability in its own user namespace covers exactly the threads of that
 * user namespace, and one namespace to compare keeps the check to a single fact.
 *
 * The argument is read once (target_read(): sched_param in one read; sched_attr's size field,
 * then the rest of the struct in one read, so no byte is read twice) and the decision and the
 * call scmpd makes use that copy only: a thread rewriting the struct while the call is pending
 * changes nothing. scmpd then calls the kernel itself, with its copy, on the host tid. The kernel
 * offers no pidfd form of these calls, so the tid is guarded as well as it allows: the pidfd
 * opened for it must be alive right before the call (a live thread's tid cannot be reused) and
 * is checked again right after; a thread that died in between leaves a window of a few
 * instructions in which its tid would have to be recycled. That is logged, and cannot be undone.
 */
#include <errno.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../policy.h"
#include "emulate.h"
#include "util.h"

#define CAP_SYS_NICE_BIT 23
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif
#define POLICY_DEADLINE 6
#define FLAG_RESET_ON_FORK 0x01ULL
#define FLAGS_KNOWN 0x7fULL /* reset_on_fork .. util_clamp_max (the kernel's SCHED_FLAG_ALL) */
#define ATTR_SIZE_VER0 48
#define ATTR_SIZE_VER1 56
#define ATTR_SIZE_MAX 4096

/* The kernel's struct sched_attr (uapi/linux/sched/types.h), fixed-width on every ABI. */
struct sched_attr_k {
        uint32_t size;
        uint32_t sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime, sched_deadline, sched_period;
        uint32_t sched_util_min, sched_util_max;
};

static const struct {
        const char *name;
        int policy;
} policy_names[] = {
        { "other", SCHED_OTHER }, { "fifo", SCHED_FIFO }, { "rr", SCHED_RR },
        { "batch", SCHED_BATCH }, { "idle", SCHED_IDLE },
};

struct sched_policy {
        const struct scmpd_handler_host *host;
        unsigned allowed; /* bit: 1 << policy number */
        int max_rt;
        int min_nice;
        struct scmpd_verdict refusal;
};

struct sched_policy *sched_policy_free(struct sched_policy *p)
{
        free(p);
        return NULL;
}

struct scmpd_verdict sched_policy_refusal(const struct sched_policy *p)
{
        return p->refusal;
}

int sched_policy_parse(const char *json, struct sched_policy **ret, char **ret_error)
{
        static const char *const keys[] = { "policies", "max_rt_priority", "min_nice", "refuse" };
        json_auto_t *root = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
        struct sched_policy *p;
        const char *key, *why = NULL;
        json_t *v, *x;
        size_t i;

        if (!json_is_object(root)) {
                if (ret_error)
                        *ret_error = strdup("the configuration is not a JSON object");
                return -EINVAL;
        }
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        json_object_foreach (root, key, v) {
                for (i = 0; i < ELEMENTSOF(keys); i++)
                        if (strcmp(keys[i], key) == 0)
                                break;
                if (i == ELEMENTSOF(keys)) {
                        why = "unknown key in the configuration (policies, max_rt_priority, "
                              "min_nice, refuse)";
                        goto fail;
                }
        }
        v = json_object_get(root, "policies");
        if (v) {
                if (!json_is_array(v)) {
                        why = "\"policies\" must be a list of other, batch, idle, fifo, rr";
                        goto fail;
                }
                json_array_foreach (v, i, x) {
                        const char *s = json_string_value(x);
                        size_t k;

                        for (k = 0; s && k < ELEMENTSOF(policy_names); k++)
                                if (strcmp(policy_names[k].name, s) == 0)
                                        break;
                        if (!s || k == ELEMENTSOF(policy_names)) {
                                why = "\"policies\" must be a list of other, batch, idle, fifo, "
                                      "rr (deadline is never emulated)";
                                goto fail;
                        }
                        p->allowed |= 1U << policy_names[k].policy;
                }
        } else {
                p->allowed = 1U << SCHED_OTHER | 1U << SCHED_BATCH | 1U << SCHED_IDLE;
        }
        v = json_object_get(root, "max_rt_priority");
        if (v && (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 99)) {
                why = "\"max_rt_priority\" must be 1..99";
                goto fail;
        }
        p->max_rt = v ? (int)json_integer_value(v) : 0;
        if ((p->allowed & (1U << SCHED_FIFO | 1U << SCHED_RR)) && p->max_rt == 0) {
                why = "\"policies\" lists fifo or rr: \"max_rt_priority\" (1..99) is required";
                goto fail;
        }
        v = json_object_get(root, "min_nice");
        if (v &&
            (!json_is_integer(v) || json_integer_value(v) < -20 || json_integer_value(v) > 19)) {
                why = "\"min_nice\" must be -20..19";
                goto fail;
        }
        p->min_nice = v ? (int)json_integer_value(v) : 0;
        if (emulate_parse_refusal(
                    json_object_get(root, "refuse"),
                    (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = EPERM },
                    &p->refusal) < 0) {
                why = "\"refuse\" must be \"continue\", an errno name or 1..4095";
                goto fail;
        }
        *ret = p;
        return 0;
fail:
        free(p);
        if (ret_error)
                *ret_error = strdup(why ? why : "invalid configuration");
        return -EINVAL;
}

int sched_policy_check(const struct sched_policy *p, const struct sched_request *req)
{
        bool rt = req->policy == SCHED_FIFO || req->policy == SCHED_RR;

        /* What the kernel refuses whatever the privilege, with its errno. */
        if (req->policy < 0 || req->policy > POLICY_DEADLINE || req->policy == 4)
                return EINVAL;
        if (req->flags & ~FLAGS_KNOWN)
                return EINVAL;
        if (rt ? req->priority < 1 || req->priority > 99 : req->priority != 0)
                return EINVAL;
        /* What this policy refuses. */
        if (req->policy == POLICY_DEADLINE || !(p->allowed & (1U << req->policy)))
                return -1;
        if (req->flags & ~FLAG_RESET_ON_FORK)
                return -1;
        if (rt && req->priority > p->max_rt)
                return -1;
        if (!rt && req->has_nice && req->nice < p->min_nice)
                return -1;
        return 0;
}

/* ---- the handler ---- */

#define say(p, level, ...) emulate_log((p)->host, level, __VA_ARGS__)

EMULATE_DEFINE_START_STOP(sched)

enum call {
        SETSCHEDULER,
        SETPARAM,
        SETATTR
};

#define RESPOND(e) ((struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = (e) })

/* Copy the struct the call points at, once, into *a (setattr) or *prio (the others). 0, or
 * the errno to answer (negative: -ENOENT gone). */
static int read_argument(const struct target *t, enum call c, uint64_t addr, struct sched_attr_k *a,
                         int *prio)
{
        unsigned char buf[ATTR_SIZE_MAX];
        uint32_t size;
        int r;

        if (c != SETATTR) {
                int32_t v;

                r = target_read(t, addr, &v, sizeof(v));
                if (r < 0)
                        return r == -ENOENT ? r : EFAULT;
                *prio = v;
                return 0;
        }
        r = target_read(t, addr, &size, sizeof(size));
        if (r < 0)
                return r == -ENOENT ? r : EFAULT;
        if (size == 0)
                size = ATTR_SIZE_VER0;
        if (size < ATTR_SIZE_VER0 || size > ATTR_SIZE_MAX)
                goto too_big;
        /* The rest in one read, after the size field: no byte is read twice. */
        memset(buf, 0, sizeof(buf));
        r = target_read(t, addr + sizeof(size), buf + sizeof(size), size - sizeof(size));
        if (r < 0)
                return r == -ENOENT ? r : EFAULT;
        for (size_t i = sizeof(*a); i < size; i++)
                if (buf[i])
                        goto too_big; /* a newer struct whose extra fields we do not know */
        memcpy(a, buf, sizeof(*a));
        a->size = size;
        return 0;
too_big:
        /* As the kernel does: tell the caller the size it knows. */
        size = ATTR_SIZE_VER1;
        r = target_write(t, addr, &size, sizeof(size));
        return r == -ENOENT ? r : E2BIG;
}

static bool alive(int pidfd)
{
        return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
}

static void sched_handle(void *state, const struct scmpd_notification *n,
                         struct scmpd_deferred *deferred, struct scmpd_verdict *ret)
{
        const struct sched_policy *p = state;
        struct target t = TARGET_INIT;
        struct sched_request req = {};
        struct sched_attr_k a = {};
        _cleanup_close_ int pidfd = -1;
        uint64_t addr;
        enum call c;
        int vpid, prio = 0, r, e;
        pid_t tid;
        bool same, host_pidns;

        *ret = p->refusal;
        if (!n->syscall) {
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_NOT_HANDLED };
                return;
        }
        if (strcmp(n->syscall, "sched_setscheduler") == 0)
                c = SETSCHEDULER;
        else if (strcmp(n->syscall, "sched_setparam") == 0)
                c = SETPARAM;
        else if (strcmp(n->syscall, "sched_setattr") == 0)
                c = SETATTR;
        else {
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_NOT_HANDLED };
                return;
        }
        /* Register checks, in the kernel's order, before anything is opened. */
        vpid = (int)n->args[0];
        addr = c == SETSCHEDULER ? n->args[2] : n->args[1];
        if (vpid < 0 || addr == 0 || (c == SETATTR && (unsigned)n->args[2] != 0)) {
                *ret = RESPOND(EINVAL);
                return;
        }
        r = target_open(deferred->listener_fd, n->id, n->tid, &t);
        if (r == -ENOENT) {
                *ret = RESPOND(ENOENT);
                return;
        }
        if (r < 0) {
                say(p, LOG_WARNING, "tid %d: cannot open the target: %s", (int)n->tid,
                    strerror(-r));
                return;
        }
        r = target_host_pidns(&t, &host_pidns);
        if (r < 0)
                goto gone_or_refuse;
        if (!t.own_userns || host_pidns) {
                say(p, LOG_NOTICE, "tid %d shares the host's or scmpd's %s namespace; %s refused",
                    (int)n->tid, t.own_userns ? "pid" : "user", n->syscall);
                goto out;
        }
        if (!(t.cap_eff & (1ULL << CAP_SYS_NICE_BIT))) {
                say(p, LOG_INFO, "tid %d lacks CAP_SYS_NICE in its user namespace; %s refused",
                    (int)n->tid, n->syscall);
                goto out;
        }
        r = read_argument(&t, c, addr, &a, &prio);
        if (r != 0) {
                if (r > 0)
                        *ret = RESPOND(r);
                goto gone_or_refuse;
        }
        r = target_resolve_tid(&t, vpid, &tid, &pidfd, &same);
        if (r == -ESRCH) {
                *ret = RESPOND(ESRCH);
                goto out;
        }
        if (r < 0)
                goto gone_or_refuse;
        if (!same) {
                say(p, LOG_INFO,
                    "tid %d: %s of pid %d, outside its pid or user namespace; "
                    "refused",
                    (int)n->tid, n->syscall, vpid);
                goto out;
        }
        switch (c) {
        case SETSCHEDULER:
                req.policy = (int)n->args[1] & ~SCHED_RESET_ON_FORK;
                req.reset_on_fork = (int)n->args[1] & SCHED_RESET_ON_FORK;
                req.priority = prio;
                break;
        case SETPARAM:
                r = sched_getscheduler(tid);
                if (r < 0) {
                        *ret = RESPOND(errno);
                        goto out;
                }
                req.policy = r & ~SCHED_RESET_ON_FORK;
                req.reset_on_fork = r & SCHED_RESET_ON_FORK;
                req.priority = prio;
                break;
        case SETATTR:
                req.policy = (int)a.sched_policy;
                req.flags = a.sched_flags;
                req.reset_on_fork = a.sched_flags & FLAG_RESET_ON_FORK;
                req.priority = (int)a.sched_priority;
                /* The kernel clamps nice into -20..19 before using it. */
                req.nice = a.sched_nice < -20 ? -20 : a.sched_nice > 19 ? 19 : a.sched_nice;
                req.has_nice = true;
                if (a.sched_priority > 99)
                        req.priority = 100; /* out of every range, whatever its sign as int */
                break;
        }
        e = sched_policy_check(p, &req);
        if (e > 0) {
                *ret = RESPOND(e);
                goto out;
        }
        if (e < 0) {
                say(p, LOG_INFO,
                    "tid %d: %s of pid %d to policy %d priority %d%s refused by policy",
                    (int)n->tid, n->syscall, vpid, req.policy, req.priority,
                    req.flags & ~FLAG_RESET_ON_FORK ? " with flags" : "");
                goto out;
        }
        /* The last validation before acting, and the tid still names the thread checked. */
        r = scmpd_notify_id_valid(t.listener_fd, t.id);
        if (r < 0)
                goto gone_or_refuse;
        if (!alive(pidfd)) {
                *ret = RESPOND(ESRCH);
                goto out;
        }
        if (c == SETATTR) {
                struct sched_attr_k k = {
                        .size = ATTR_SIZE_VER0,
                        .sched_policy = (uint32_t)req.policy,
                        .sched_flags = req.reset_on_fork ? FLAG_RESET_ON_FORK : 0,
                        .sched_nice = req.nice,
                        .sched_priority = (uint32_t)req.priority,
                };

                r = (int)syscall(SYS_sched_setattr, tid, &k, 0);
        } else {
                struct sched_param sp = { .sched_priority = req.priority };

                r = sched_setscheduler(
                        tid, req.policy | (req.reset_on_fork ? SCHED_RESET_ON_FORK : 0), &sp);
        }
        e = r < 0 ? errno : 0;
        if (!alive(pidfd))
                say(p, LOG_WARNING,
                    "tid %d: the thread of pid %d (host tid %d) died around %s; if its tid was "
                    "reused at once, another thread was changed",
                    (int)n->tid, vpid, (int)tid, n->syscall);
        say(p, LOG_INFO, "tid %d: emulated %s of pid %d: policy %d priority %d: %s", (int)n->tid,
            n->syscall, vpid, req.policy, req.priority, e ? strerror(e) : "ok");
        *ret = RESPOND(e);
        goto out;
gone_or_refuse:
        if (r == -ENOENT)
                *ret = RESPOND(ENOENT);
        else if (r < 0)
                say(p, LOG_WARNING, "tid %d: %s: %s", (int)n->tid, n->syscall, strerror(-r));
out:
        target_close(&t);
}

const struct scmpd_handler_ops sched_handler_ops = {
        .abi_version = SCMPD_HANDLER_ABI_VERSION,
        .flags = SCMPD_HANDLER_BLOCKING | SCMPD_HANDLER_LENDS_PRIVILEGE,
        .name = "sched",
        .start = sched_start,
        .stop = sched_stop,
        .handle = sched_handle,
};
