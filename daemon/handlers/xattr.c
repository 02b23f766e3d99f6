/*
 * The xattr handler: emulates setxattr(2), lsetxattr(2), fsetxattr(2) and the removexattr
 * family for the trusted.* names a policy lists (trusted.overlay.opaque, .redirect, .origin...),
 * so that overlayfs whiteouts and opaque directories can be made in a container that may not
 * (the kernel asks capable(CAP_SYS_ADMIN) for trusted.*: the capability in the initial user
 * namespace, which no user-namespace container ever has). Everything else gets the refusal
 * verdict, CONTINUE by default: the kernel then gives its own answer (EPERM for trusted.*).
 *
 * Configuration (the handler instance's "config" in scmpd.json):
 *   {
 *     "names": ["trusted.overlay.opaque"],   globs (fnmatch) on the attribute name; each must
 *                                            start with "trusted." (required, non-empty)
 *     "values": {"trusted.overlay.opaque": ["y", "x"]},
 *                                            for a name that matches a key (a glob), the exact
 *                                            values allowed; names without a key take any value
 *     "max_size": 256,                       largest value emulated, 1..65536 (default 256)
 *     "remove": true,                        also emulate the removexattr family (default true)
 *     "refuse": "continue",                  verdict for what the policy refuses (default
 *                                            continue), an errno name or number
 *     "timeout_ms": 10000                    bound on one emulated operation
 *   }
 *
 * Model. The name was copied once by dispatch.c (target.c) and is judged on that copy; the value
 * is copied once here, through target_read() under the ID-validity discipline, bounded by
 * max_size, judged, and the helper is handed exactly those bytes: a thread of the caller that
 * rewrites either buffer after the copy changes nothing. The helper (helper.c) stays in the
 * initial user namespace, where CAP_SYS_ADMIN is what the kernel checks, and lends only that
 * capability, only to a child that is the caller in every other respect: chroot()ed into its
 * root, resolving its path with RESOLVE_IN_ROOT (relative ones from its cwd) and never through a
 * magic link, with its fsuid, fsgid and groups, so the kernel checks write permission on the
 * file against the caller's host identity exactly as for its own setxattr(2). For a caller in
 * the initial user namespace its own capabilities come along; for one in a user namespace none
 * do (they mean nothing in the initial one). The object must be a regular file or a directory
 * on a mount listed in the caller's own mountinfo (a mount it sees from its root); an fd
 * argument is copied with pidfd_getfd() while the notification is pending (target_getfd()).
 * A caller sharing the host's or scmpd's mount namespace is refused: its files are the host's.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "../policy.h"
#include "emulate.h"
#include "util.h"

#define CAP_SYS_ADMIN_BIT 21
#define XATTR_NAME_MAX_LEN 255
#define MAX_NAMES 64
#define MAX_VALUES 64
#define DEFAULT_MAX_SIZE 256
#define XATTR_SIZE_MAX_BYTES 65536 /* the kernel's XATTR_SIZE_MAX */

struct xattr_values {
        char *glob;
        char **values;
        size_t n_values;
};

struct xattr_policy {
        const struct scmpd_handler_host *host;
        char **names;
        size_t n_names;
        struct xattr_values *values;
        size_t n_values;
        size_t max_size;
        bool remove;
        unsigned timeout_ms;
        struct scmpd_verdict refusal;
};

static void free_strv(char **l, size_t n)
{
        for (size_t i = 0; l && i < n; i++)
                free(l[i]);
        free(l);
}

struct xattr_policy *xattr_policy_free(struct xattr_policy *p)
{
        if (!p)
                return NULL;
        free_strv(p->names, p->n_names);
        for (size_t i = 0; i < p->n_values; i++) {
                free(p->values[i].glob);
                free_strv(p->values[i].values, p->values[i].n_values);
        }
        free(p->values);
        free(p);
        return NULL;
}

/* A glob every name it matches starts with "trusted." and that fnmatch() accepts. */
static bool trusted_glob(const char *g)
{
        return g && strncmp(g, "trusted.", 8) == 0 && strlen(g) <= XATTR_NAME_MAX_LEN &&
               glob_check(g, NULL) == 0;
}

static int strv_from_json(json_t *v, size_t max, bool (*ok)(const char *), char ***ret,
                          size_t *ret_n)
{
        size_t i;
        json_t *x;
        char **l;

        if (!json_is_array(v) || json_array_size(v) > max)
                return -EINVAL;
        l = calloc(json_array_size(v) + 1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        json_array_foreach (v, i, x) {
                const char *s = json_string_value(x);

                if (!s || (ok && !ok(s)) || strlen(s) > 4096 || !(l[i] = strdup(s))) {
                        free_strv(l, i);
                        return -EINVAL;
                }
        }
        *ret = l;
        *ret_n = json_array_size(v);
        return 0;
}

int xattr_policy_parse(const char *json, struct xattr_policy **ret, char **ret_error)
{
        char why_buf[192];
        json_auto_t *root = NULL;
        json_t *v, *x;
        struct xattr_policy *p;
        const char *key, *why = NULL;

        root = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(root)) {
                if (ret_error)
                        *ret_error = strdup("the configuration is not a JSON object");
                return -EINVAL;
        }
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->remove = true;
        p->max_size = DEFAULT_MAX_SIZE;
        json_object_foreach (root, key, v)
                if (strcmp(key, "names") != 0 && strcmp(key, "values") != 0 &&
                    strcmp(key, "max_size") != 0 && strcmp(key, "remove") != 0 &&
                    strcmp(key, "refuse") != 0 && strcmp(key, "timeout_ms") != 0) {
                        snprintf(why_buf, sizeof(why_buf),
                                 "unknown key \"%.64s\" in the configuration", key);
                        why = why_buf;
                        goto fail;
                }
        v = json_object_get(root, "names");
        if (!v || strv_from_json(v, MAX_NAMES, trusted_glob, &p->names, &p->n_names) < 0 ||
            p->n_names == 0) {
                why = "\"names\" must be a non-empty list of globs that start with \"trusted.\"";
                goto fail;
        }
        v = json_object_get(root, "values");
        if (v) {
                if (!json_is_object(v) || json_object_size(v) > MAX_NAMES) {
                        why = "\"values\" must be an object: name glob -> list of values";
                        goto fail;
                }
                p->values = calloc(json_object_size(v) + 1, sizeof(*p->values));
                if (!p->values)
                        goto fail;
                json_object_foreach (v, key, x) {
                        struct xattr_values *e = &p->values[p->n_values];

                        if (!trusted_glob(key) || !(e->glob = strdup(key))) {
                                snprintf(why_buf, sizeof(why_buf),
                                         "\"values\": \"%.64s\" is not a glob that starts with "
                                         "\"trusted.\"",
                                         key);
                                why = why_buf;
                                goto fail;
                        }
                        p->n_values++;
                        if (strv_from_json(x, MAX_VALUES, NULL, &e->values, &e->n_values) < 0) {
                                snprintf(why_buf, sizeof(why_buf),
                                         "\"values\": \"%.64s\" must map to a list of strings",
                                         key);
                                why = why_buf;
                                goto fail;
                        }
                }
        }
        v = json_object_get(root, "max_size");
        if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
                  json_integer_value(v) > XATTR_SIZE_MAX_BYTES)) {
                why = "\"max_size\" must be 1..65536";
                goto fail;
        }
        if (v)
                p->max_size = (size_t)json_integer_value(v);
        v = json_object_get(root, "remove");
        if (v && !json_is_boolean(v)) {
                why = "\"remove\" must be a boolean";
                goto fail;
        }
        if (v)
                p->remove = json_is_true(v);
        if (emulate_parse_helper_keys(root,
                                      (struct scmpd_verdict){ .kind = SCMPD_VERDICT_CONTINUE },
                                      &p->timeout_ms, &p->refusal, &why) < 0)
                goto fail;
        *ret = p;
        return 0;
fail:
        xattr_policy_free(p);
        if (ret_error)
                *ret_error = strdup(why ? why : "invalid configuration");
        return -EINVAL;
}

struct scmpd_verdict xattr_policy_refusal(const struct xattr_policy *p)
{
        return p->refusal;
}

int xattr_syscall_kind(const char *syscall)
{
        static const struct {
                const char *name;
                int kind;
        } calls[] = {
                { "setxattr", 0 },
                { "lsetxattr", XATTR_KIND_NOFOLLOW },
                { "fsetxattr", XATTR_KIND_FD },
                { "removexattr", XATTR_KIND_REMOVE },
                { "lremovexattr", XATTR_KIND_REMOVE | XATTR_KIND_NOFOLLOW },
                { "fremovexattr", XATTR_KIND_REMOVE | XATTR_KIND_FD },
        };

        for (size_t i = 0; syscall && i < sizeof(calls) / sizeof(calls[0]); i++)
                if (strcmp(calls[i].name, syscall) == 0)
                        return calls[i].kind;
        return -1;
}

static bool name_listed(const struct xattr_policy *p, const char *name)
{
        for (size_t i = 0; i < p->n_names; i++)
                if (fnmatch(p->names[i], name, 0) == 0)
                        return true;
        return false;
}

enum emulate_decision xattr_policy_check(const struct xattr_policy *p, int kind,
                                         const uint64_t args[6], const char *const strings[6],
                                         struct helper_request *ret_req)
{
        struct helper_request req = { .op = HELPER_XATTR, .dirfd_copy = -1 };
        const char *name = strings[1];

        if (kind < 0)
                return EMULATE_REFUSE;
        /* The name: a copy the kernel would accept (1..255 bytes), listed by the policy. */
        if (!name || !*name || strlen(name) > XATTR_NAME_MAX_LEN || !name_listed(p, name))
                return EMULATE_REFUSE;
        if (!(kind & XATTR_KIND_FD)) {
                if (!strings[0] || !*strings[0])
                        return EMULATE_REFUSE;
                req.path = strings[0];
        }
        if (kind & XATTR_KIND_REMOVE) {
                if (!p->remove)
                        return EMULATE_REFUSE;
                req.remove = true;
        } else {
                /* size and flags as the kernel reads them: a size_t and an int. */
                if (args[3] > p->max_size)
                        return EMULATE_REFUSE;
                if ((uint32_t)args[4] & ~(uint32_t)(XATTR_CREATE | XATTR_REPLACE))
                        return EMULATE_REFUSE; /* the kernel answers EINVAL itself */
                req.value_size = (size_t)args[3];
                req.xattr_flags = (int)(uint32_t)args[4];
        }
        req.name = name;
        req.nofollow = kind & XATTR_KIND_NOFOLLOW;
        req.lend_caps = 1ULL << CAP_SYS_ADMIN_BIT;
        req.timeout_ms = p->timeout_ms;
        *ret_req = req;
        return EMULATE_ALLOW;
}

bool xattr_policy_value_ok(const struct xattr_policy *p, const char *name, const void *value,
                           size_t size)
{
        bool constrained = false;

        for (size_t i = 0; i < p->n_values; i++) {
                const struct xattr_values *e = &p->values[i];

                if (fnmatch(e->glob, name, 0) != 0)
                        continue;
                constrained = true;
                for (size_t k = 0; k < e->n_values; k++)
                        if (strlen(e->values[k]) == size && memcmp(e->values[k], value, size) == 0)
                                return true;
        }
        return !constrained;
}

/* ---- the handler ---- */

#define say(p, level, ...) emulate_log((p)->host, level, __VA_ARGS__)

EMULATE_DEFINE_START_STOP(xattr)

static void xattr_handle(void *state, const struct scmpd_notification *n,
                         struct scmpd_deferred *deferred, struct scmpd_verdict *ret)
{
        const struct xattr_policy *p = state;
        struct target t = TARGET_INIT;
        _cleanup_close_ int fd = -1;
        _cleanup_free_ void *value = NULL;
        struct helper_request req;
        int kind, r, err = 0;

        *ret = p->refusal;
        kind = xattr_syscall_kind(n->syscall);
        if (kind < 0) {
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_NOT_HANDLED };
                return;
        }
        if (xattr_policy_check(p, kind, n->args, n->strings, &req) != EMULATE_ALLOW) {
                say(p, LOG_INFO, "tid %d: %s of \"%.255s\" refused by policy", (int)n->tid,
                    n->syscall, n->strings[1] ? n->strings[1] : "(unreadable)");
                return;
        }
        r = target_open(deferred->listener_fd, n->id, n->tid, &t);
        if (r == -ENOENT) {
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = ENOENT };
                return;
        }
        if (r < 0) {
                say(p, LOG_WARNING, "tid %d: cannot open the target: %s", (int)n->tid,
                    strerror(-r));
                return;
        }
        if (!t.own_mntns) {
                /* Its files are the host's own. */
                say(p, LOG_NOTICE,
                    "tid %d shares the host's or scmpd's mount namespace; %s refused", (int)n->tid,
                    n->syscall);
                goto out;
        }
        if (!req.remove && req.value_size > 0) {
                /* The value, once, bounded; judged and used only as this copy. */
                value = malloc(req.value_size);
                if (!value)
                        goto out;
                r = target_read(&t, n->args[2], value, req.value_size);
                if (r == -ENOENT || r == -EFAULT) {
                        /* Gone, or the kernel's answer for a bad pointer. */
                        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = -r };
                        goto out;
                }
                if (r < 0)
                        goto out;
                req.value = value;
        }
        if (!req.remove && !xattr_policy_value_ok(p, req.name, value, req.value_size)) {
                say(p, LOG_INFO, "tid %d: %s of \"%s\": the value is not one the policy lists",
                    (int)n->tid, n->syscall, req.name);
                goto out;
        }
        if (kind & XATTR_KIND_FD) {
                fd = target_getfd(&t, (int)n->args[0]);
                if (fd == -ENOENT || fd == -EBADF)
                        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND,
                                                       .error = -fd };
                if (fd < 0)
                        goto out;
                req.dirfd_copy = fd;
        }
        r = helper_run(&t, &req, &err);
        if (r == HELPER_HOST_NS || r == HELPER_REFUSED || r == HELPER_OUTSIDE) {
                say(p, LOG_NOTICE, "tid %d: %s of \"%s\": %s; refused", (int)n->tid, n->syscall,
                    req.name,
                    r == HELPER_HOST_NS   ? "the host's mount namespace"
                    : r == HELPER_REFUSED ? "the path crosses a magic link"
                                          : "not a file or directory inside the container");
                goto out;
        }
        if (r < 0) {
                say(p, LOG_WARNING, "tid %d: the helper failed: %s", (int)n->tid, strerror(-r));
                goto out;
        }
        say(p, LOG_INFO, "tid %d: emulated %s of \"%s\" on %s%s%s: %s", (int)n->tid, n->syscall,
            req.name, req.path ? "\"" : "an fd", req.path ? req.path : "", req.path ? "\"" : "",
            err ? strerror(err) : "ok");
        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = err };
out:
        target_close(&t);
}

const struct scmpd_handler_ops xattr_handler_ops = {
        .abi_version = SCMPD_HANDLER_ABI_VERSION,
        .flags = SCMPD_HANDLER_BLOCKING | SCMPD_HANDLER_LENDS_PRIVILEGE,
        .name = "xattr",
        .start = xattr_start,
        .stop = xattr_stop,
        .handle = xattr_handle,
};
