/*
 * The mount handler: emulates mount(2) and umount2(2) for a container that may not mount, when
 * its policy allows the call, by performing it in the caller's mount namespace, in its user
 * namespace and with its credentials (helper.c), and answering with the real result.
 *
 * Configuration (the handler instance's "config" in scmpd.json):
 *   {
 *     "fstypes": ["tmpfs"],               new mounts: allowed filesystem types (default none)
 *     "sources": ["none", "tmpfs"],       globs (fnmatch, FNM_PATHNAME) on the source; for bind
 *                                         mounts a canonical path in the container (default: *
 *                                         for new mounts, none for binds); an absolute source
 *                                         is resolved like a bind's, a relative one must be a
 *                                         plain name that is not a number
 *     "targets": ["/mnt", "/run/x"],      canonical path prefixes in the container (required)
 *     "allow_flags": ["nosuid", ...],     MS_* names a call may carry (default: the harmless
 *                                         per-mount flags; bind, rec, remount and propagation
 *                                         must be listed to be allowed)
 *     "forbid_flags": ["rec"],            names removed from the allowed set
 *     "force_flags": ["nosuid", "nodev"], added to every new mount (default none)
 *     "data": ["size=*"],                 globs on the options string (default: any)
 *     "require_cap_sys_admin": false,     the caller must hold CAP_SYS_ADMIN in its own userns
 *     "umount": true,                     also emulate umount2() of targets under the prefixes
 *     "shared_mounts": false,             act even when the mount point's mount is shared (the
 *                                         mount or unmount then propagates to its peers, which
 *                                         may be outside the container)
 *     "refuse": "EPERM",                  verdict for what the policy refuses: an errno name or
 *                                         number, or "continue" (the kernel decides)
 *     "timeout_ms": 10000                 bound on one emulated operation
 *   }
 *
 * Decisions are made on the string copies dispatch.c read once from the caller (target.c), and
 * the operation then acts on exactly those strings: a thread of the caller rewriting its buffer
 * after the copy changes nothing. Each path the policy judged must be canonical (absolute, no
 * ".", "..", "//") and is resolved with no symlinks in the caller's root (helper.c), so that the
 * prefix the policy matched is the place that gets mounted on. MS_MOVE is never emulated, and a
 * caller that shares scmpd's or PID 1's mount namespace is refused: its mounts would be the
 * host's.
 */
#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "../errno_name.h"
#include "../policy.h"
#include "emulate.h"
#include "util.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

#define CAP_SYS_ADMIN_BIT 21
#define MAX_PATTERNS 64
#define PROPAGATION (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)
#define FORCEABLE                                                                     \
        (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOSYMFOLLOW | MS_NOATIME | \
         MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)

struct mount_policy {
        const struct scmpd_handler_host *host;
        char **fstypes, **sources, **targets, **data;
        size_t n_fstypes, n_sources, n_targets, n_data;
        unsigned long allowed;
        unsigned long forced; /* added to every new mount */
        bool require_cap;
        bool umount;
        bool shared; /* act on mount points whose mount is shared */
        unsigned timeout_ms;
        struct scmpd_verdict refusal;
};

static const struct {
        const char *name;
        unsigned long flag;
        bool harmless; /* in the default allowed set */
} flag_names[] = {
        { "rdonly", MS_RDONLY, true },
        { "nosuid", MS_NOSUID, true },
        { "nodev", MS_NODEV, true },
        { "noexec", MS_NOEXEC, true },
        { "synchronous", MS_SYNCHRONOUS, true },
        { "remount", MS_REMOUNT, false },
        { "mandlock", MS_MANDLOCK, false },
        { "dirsync", MS_DIRSYNC, true },
        { "nosymfollow", MS_NOSYMFOLLOW, true },
        { "noatime", MS_NOATIME, true },
        { "nodiratime", MS_NODIRATIME, true },
        { "bind", MS_BIND, false },
        { "rec", MS_REC, false },
        { "silent", MS_SILENT, true },
        { "unbindable", MS_UNBINDABLE, false },
        { "private", MS_PRIVATE, false },
        { "slave", MS_SLAVE, false },
        { "shared", MS_SHARED, false },
        { "relatime", MS_RELATIME, true },
        { "strictatime", MS_STRICTATIME, true },
        { "lazytime", MS_LAZYTIME, true },
};

static unsigned long flag_by_name(const char *name)
{
        for (size_t i = 0; name && i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
                if (strcmp(flag_names[i].name, name) == 0)
                        return flag_names[i].flag;
        return 0;
}

static void free_list(char **l, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(l[i]);
        free(l);
}

struct mount_policy *mount_policy_free(struct mount_policy *p)
{
        if (!p)
                return NULL;
        free_list(p->fstypes, p->n_fstypes);
        free_list(p->sources, p->n_sources);
        free_list(p->targets, p->n_targets);
        free_list(p->data, p->n_data);
        free(p);
        return NULL;
}

/* A list of strings; `canonical` requires each to be a canonical absolute path, otherwise
 * only "data" (where "" stands for no options) may hold an empty one. */
static int parse_list(json_t *v, bool canonical, bool allow_empty, char ***ret, size_t *ret_n)
{
        size_t i;
        json_t *x;
        char **l;

        if (!json_is_array(v) || json_array_size(v) > MAX_PATTERNS)
                return -EINVAL;
        l = calloc(json_array_size(v) + 1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        json_array_foreach (v, i, x) {
                const char *s = json_string_value(x);

                if (!s || (!*s && !allow_empty) || strlen(s) > 4096 ||
                    (canonical && !helper_path_is_canonical(s)) || !(l[i] = strdup(s))) {
                        free_list(l, i);
                        return -EINVAL;
                }
        }
        *ret = l;
        *ret_n = json_array_size(v);
        return 0;
}

int emulate_parse_refusal(json_t *v, struct scmpd_verdict def, struct scmpd_verdict *ret)
{
        int e = -1;

        if (!v) {
                *ret = def;
                return 0;
        }
        if (json_is_string(v) && strcmp(json_string_value(v), "continue") == 0) {
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_CONTINUE };
                return 0;
        }
        if (json_is_string(v))
                e = errno_from_name(json_string_value(v));
        else if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 4095)
                e = (int)json_integer_value(v);
        if (e <= 0)
                return -EINVAL;
        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = e };
        return 0;
}

int emulate_parse_helper_keys(json_t *root, struct scmpd_verdict def, unsigned *ret_timeout_ms,
                              struct scmpd_verdict *ret_refusal, const char **ret_why)
{
        json_t *v = json_object_get(root, "timeout_ms");

        if (v &&
            (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 600000)) {
                *ret_why = "\"timeout_ms\" must be 1..600000";
                return -EINVAL;
        }
        *ret_timeout_ms = v ? (unsigned)json_integer_value(v) : 0;
        if (emulate_parse_refusal(json_object_get(root, "refuse"), def, ret_refusal) < 0) {
                *ret_why = "\"refuse\" must be \"continue\", an errno name or 1..4095";
                return -EINVAL;
        }
        return 0;
}

/* The reason for a refusal that names the key or value at fault, written into the parse's own
 * buffer `why_buf` (a local of mount_policy_parse()). */
#define why_named(fmt, name) \
        (snprintf(why_buf, sizeof(why_buf), fmt, (name) ? (name) : "(not a string)"), why_buf)

/* The first pattern of a list that is not a valid glob, as a reason naming it in `why`. */
static int bad_glob(char *const *l, size_t n, const char *key, char *why, size_t size)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *e = NULL;

                if (glob_check(l[i], &e) < 0) {
                        snprintf(why, size, "\"%s\": \"%.64s\" is not a valid glob: %s", key, l[i],
                                 e ? e : "out of memory");
                        return -EINVAL;
                }
        }
        return 0;
}

int mount_policy_parse(const char *json, struct mount_policy **ret, char **ret_error)
{
        static const char *const keys[] = { "fstypes",
                                            "sources",
                                            "targets",
                                            "allow_flags",
                                            "forbid_flags",
                                            "force_flags",
                                            "data",
                                            "require_cap_sys_admin",
                                            "umount",
                                            "refuse",
                                            "timeout_ms",
                                            "shared_mounts",
                                            NULL };
        json_auto_t *root = NULL;
        json_t *v, *x;
        struct mount_policy *p;
        const char *key, *why = NULL;
        char why_buf[192];
        size_t i;

        root = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(root)) {
                if (ret_error)
                        *ret_error = strdup("the configuration is not a JSON object");
                return -EINVAL;
        }
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->umount = true;
        for (size_t k = 0; k < sizeof(flag_names) / sizeof(flag_names[0]); k++)
                if (flag_names[k].harmless)
                        p->allowed |= flag_names[k].flag;

        json_object_foreach (root, key, v) {
                bool known = false;

                for (i = 0; keys[i]; i++)
                        known |= strcmp(keys[i], key) == 0;
                if (!known) {
                        why = why_named("unknown key \"%.64s\" in the configuration", key);
                        goto fail;
                }
        }
        if ((v = json_object_get(root, "fstypes")) &&
            parse_list(v, false, false, &p->fstypes, &p->n_fstypes) < 0) {
                why = "\"fstypes\" must be a list of names";
                goto fail;
        }
        if (bad_glob(p->fstypes, p->n_fstypes, "fstypes", why_buf, sizeof(why_buf)) < 0) {
                why = why_buf;
                goto fail;
        }
        if ((v = json_object_get(root, "sources")) &&
            parse_list(v, false, false, &p->sources, &p->n_sources) < 0) {
                why = "\"sources\" must be a list of globs";
                goto fail;
        }
        if (bad_glob(p->sources, p->n_sources, "sources", why_buf, sizeof(why_buf)) < 0) {
                why = why_buf;
                goto fail;
        }
        v = json_object_get(root, "targets");
        if (!v || parse_list(v, true, false, &p->targets, &p->n_targets) < 0 || p->n_targets == 0) {
                why = "\"targets\" must be a non-empty list of canonical absolute paths";
                goto fail;
        }
        if ((v = json_object_get(root, "data")) &&
            parse_list(v, false, true, &p->data, &p->n_data) < 0) {
                why = "\"data\" must be a list of globs";
                goto fail;
        }
        if (bad_glob(p->data, p->n_data, "data", why_buf, sizeof(why_buf)) < 0) {
                why = why_buf;
                goto fail;
        }
        if ((v = json_object_get(root, "allow_flags"))) {
                if (!json_is_array(v)) {
                        why = "\"allow_flags\" must be a list of flag names";
                        goto fail;
                }
                p->allowed = 0;
                json_array_foreach (v, i, x) {
                        unsigned long f = flag_by_name(json_string_value(x));

                        if (!f) {
                                why = why_named("unknown flag name \"%.64s\" in \"allow_flags\"",
                                                json_string_value(x));
                                goto fail;
                        }
                        p->allowed |= f;
                }
        }
        if ((v = json_object_get(root, "forbid_flags"))) {
                if (!json_is_array(v)) {
                        why = "\"forbid_flags\" must be a list of flag names";
                        goto fail;
                }
                json_array_foreach (v, i, x) {
                        unsigned long f = flag_by_name(json_string_value(x));

                        if (!f) {
                                why = why_named("unknown flag name \"%.64s\" in \"forbid_flags\"",
                                                json_string_value(x));
                                goto fail;
                        }
                        p->allowed &= ~f;
                }
        }
        if ((v = json_object_get(root, "force_flags"))) {
                if (!json_is_array(v)) {
                        why = "\"force_flags\" must be a list of flag names";
                        goto fail;
                }
                json_array_foreach (v, i, x) {
                        unsigned long f = flag_by_name(json_string_value(x));

                        if (!f || !(f & FORCEABLE)) {
                                why = why_named("\"force_flags\" takes rdonly, nosuid, nodev, "
                                                "noexec, nosymfollow and the atime flags, not "
                                                "\"%.64s\"",
                                                json_string_value(x));
                                goto fail;
                        }
                        p->forced |= f;
                }
        }
        v = json_object_get(root, "require_cap_sys_admin");
        if (v && !json_is_boolean(v)) {
                why = "\"require_cap_sys_admin\" must be a boolean";
                goto fail;
        }
        p->require_cap = json_is_true(v);
        v = json_object_get(root, "shared_mounts");
        if (v && !json_is_boolean(v)) {
                why = "\"shared_mounts\" must be a boolean";
                goto fail;
        }
        p->shared = json_is_true(v);
        v = json_object_get(root, "umount");
        if (v && !json_is_boolean(v)) {
                why = "\"umount\" must be a boolean";
                goto fail;
        }
        if (v)
                p->umount = json_is_true(v);
        if (emulate_parse_helper_keys(
                    root, (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = EPERM },
                    &p->timeout_ms, &p->refusal, &why) < 0)
                goto fail;
        *ret = p;
        return 0;
fail:
        mount_policy_free(p);
        if (ret_error)
                *ret_error = strdup(why ? why : "invalid configuration");
        return -EINVAL;
}

struct scmpd_verdict mount_policy_refusal(const struct mount_policy *p)
{
        return p->refusal;
}

bool mount_policy_requires_cap(const struct mount_policy *p)
{
        return p->require_cap;
}

static bool any_glob(char *const *globs, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (fnmatch(globs[i], s, FNM_PATHNAME) == 0)
                        return true;
        return false;
}

/* Is the canonical `path` one of the prefixes or beneath one? */
static bool under_prefix(const struct mount_policy *p, const char *path)
{
        if (!helper_path_is_canonical(path))
                return false;
        for (size_t i = 0; i < p->n_targets; i++) {
                const char *t = p->targets[i];
                size_t n = strlen(t);

                if (strcmp(t, "/") == 0 || strcmp(t, path) == 0 ||
                    (strncmp(t, path, n) == 0 && path[n] == '/'))
                        return true;
        }
        return false;
}

/* Refuse, saying which clause of the policy refused and why in `why` (when not NULL). */
static enum emulate_decision refuse(char *why, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static enum emulate_decision refuse(char *why, size_t size, const char *fmt, ...)
{
        va_list ap;

        if (why && size) {
                va_start(ap, fmt);
                vsnprintf(why, size, fmt, ap);
                va_end(ap);
        }
        return EMULATE_REFUSE;
}

/* The name of the lowest bit of `bits` that has one, or NULL. */
static const char *first_flag_name(unsigned long bits)
{
        for (unsigned long bit = 1; bit && bits; bit <<= 1)
                if (bits & bit)
                        for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
                                if (flag_names[i].flag == bit)
                                        return flag_names[i].name;
        return NULL;
}

/* A string for a message: quoted by the caller, bounded, "(none)" when absent. */
#define SHOW(s) ((s) ? (s) : "(none)")

enum emulate_decision mount_policy_explain(const struct mount_policy *p, bool umount,
                                           const uint64_t args[6], const char *const strings[6],
                                           struct helper_request *ret_req, char *why,
                                           size_t why_size)
{
        struct helper_request req = { .dirfd_copy = -1,
                                      .timeout_ms = p->timeout_ms,
                                      .allow_shared = p->shared };
        unsigned long flags, bad;
        const char *name;

        if (why && why_size)
                why[0] = '\0';
        if (umount) {
                int allowed = MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW;

                if (!p->umount)
                        return refuse(why, why_size, "umount: \"umount\" is not true");
                if (!strings[0] || !under_prefix(p, strings[0]))
                        return refuse(why, why_size,
                                      "target: \"%.256s\" is not a canonical path under "
                                      "\"targets\"",
                                      SHOW(strings[0]));
                if ((args[1] & ~(uint64_t)allowed) ||
                    (args[1] & MNT_EXPIRE && args[1] & MNT_DETACH))
                        return refuse(why, why_size,
                                      "flags: umount2 flags 0x%llx (only detach, expire or "
                                      "nofollow, not detach with expire)",
                                      (unsigned long long)args[1]);
                req.op = HELPER_UMOUNT;
                req.target = strings[0];
                req.umount_flags = (int)args[1];
                *ret_req = req;
                return EMULATE_ALLOW;
        }

        flags = (unsigned long)args[3];
        if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
                flags &= ~MS_MGC_MSK; /* the historic magic, ignored by the kernel too */
        bad = flags & ~p->allowed;
        if (bad) { /* also refuses MS_MOVE and every unnamed bit */
                name = first_flag_name(bad);
                if (name)
                        return refuse(why, why_size,
                                      "flags: \"%s\" is not allowed (\"allow_flags\", "
                                      "\"forbid_flags\")",
                                      name);
                return refuse(why, why_size, "flags: 0x%lx is not a flag scmpd emulates", bad);
        }
        if (!strings[1] || !under_prefix(p, strings[1]))
                return refuse(why, why_size,
                              "target: \"%.256s\" is not a canonical path under \"targets\"",
                              SHOW(strings[1]));
        /* The options: only as a string the copy holds in full, and as the policy allows. */
        if (args[4] && !strings[4])
                return refuse(why, why_size, "data: the options are not a readable string");
        if (p->n_data && !any_glob(p->data, p->n_data, strings[4] ? strings[4] : ""))
                return refuse(why, why_size, "data: \"%.256s\" matches no glob of \"data\"",
                              strings[4] ? strings[4] : "");

        req.op = HELPER_MOUNT;
        req.target = strings[1];
        req.flags = flags;
        req.data = strings[4];
        /* The kernel's own order of precedence: remount, bind, propagation, new mount. */
        if (flags & MS_REMOUNT || (!(flags & MS_BIND) && flags & PROPAGATION)) {
                /* Changes to an existing mount: the kernel ignores source and type. */
                req.source = NULL;
                req.fstype = NULL;
        } else if (flags & MS_BIND) {
                if (!strings[0] || !helper_path_is_canonical(strings[0]))
                        return refuse(why, why_size,
                                      "source: bind source \"%.256s\" is not a canonical path",
                                      SHOW(strings[0]));
                if (p->n_sources == 0) /* binds need an explicit source list */
                        return refuse(why, why_size,
                                      "source: binds need \"sources\", and the policy has none");
                if (!any_glob(p->sources, p->n_sources, strings[0]))
                        return refuse(why, why_size,
                                      "source: \"%.256s\" matches no glob of \"sources\"",
                                      strings[0]);
                req.source = strings[0];
                req.source_is_path = true;
                req.fstype = NULL;
        } else {
                const char *src = strings[0];

                if (!strings[2] || !any_glob(p->fstypes, p->n_fstypes, strings[2]))
                        return refuse(why, why_size, "fstype: \"%.64s\" is not in \"fstypes\"",
                                      SHOW(strings[2]));
                if (!src || (p->n_sources && !any_glob(p->sources, p->n_sources, src)))
                        return refuse(why, why_size,
                                      "source: \"%.256s\" matches no glob of \"sources\"",
                                      SHOW(src));
                /* A source that a filesystem may look up (a block device) must mean the same in
                 * the helper, whose cwd is its own fd directory: an absolute path is resolved
                 * like a bind source; a name must not be one of our fd numbers or a path. */
                if (src[0] == '/') {
                        if (!helper_path_is_canonical(src))
                                return refuse(why, why_size,
                                              "source: \"%.256s\" is not a canonical path", src);
                        req.source_is_path = true;
                } else if (strchr(src, '/') || strspn(src, "0123456789") == strlen(src) ||
                           strcmp(src, ".") == 0 || strcmp(src, "..") == 0) {
                        return refuse(why, why_size,
                                      "source: \"%.256s\" is neither an absolute path nor a "
                                      "plain name",
                                      src);
                }
                req.source = src;
                req.fstype = strings[2];
                req.flags |= p->forced;
        }
        *ret_req = req;
        return EMULATE_ALLOW;
}

enum emulate_decision mount_policy_check(const struct mount_policy *p, bool umount,
                                         const uint64_t args[6], const char *const strings[6],
                                         struct helper_request *ret_req)
{
        return mount_policy_explain(p, umount, args, strings, ret_req, NULL, 0);
}

/* ---- the handler ---- */

void emulate_log(const struct scmpd_handler_host *host, int level, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        if (!host || !host->log_enabled(host, level))
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        host->log_fields(host, level, msg, NULL, 0);
}

#define say(p, level, ...) emulate_log((p)->host, level, __VA_ARGS__)

EMULATE_DEFINE_START_STOP(mount)

static void mount_handle(void *state, const struct scmpd_notification *n,
                         struct scmpd_deferred *deferred, struct scmpd_verdict *ret)
{
        const struct mount_policy *p = state;
        struct target t = TARGET_INIT;
        struct helper_request req;
        char why[384];
        bool umount;
        int r, err = 0;

        *ret = p->refusal;
        if (!n->syscall)
                return;
        if (strcmp(n->syscall, "umount2") == 0)
                umount = true;
        else if (strcmp(n->syscall, "mount") == 0)
                umount = false;
        else {
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_NOT_HANDLED };
                return;
        }
        if (mount_policy_explain(p, umount, n->args, n->strings, &req, why, sizeof(why)) !=
            EMULATE_ALLOW) {
                /* The clause that refused (fstype, source, target, flags, data) and its value. */
                say(p, LOG_INFO, "tid %d: %s of \"%.256s\" refused by policy: %s", (int)n->tid,
                    n->syscall,
                    !umount && n->strings[1] ? n->strings[1]
                    : n->strings[0]          ? n->strings[0]
                                             : "?",
                    why);
                return;
        }
        r = target_open(deferred->listener_fd, n->id, n->tid, &t);
        if (r == -ENOENT) {
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = ENOENT };
                return; /* gone: dispatch finds the ID invalid and answers nobody */
        }
        if (r < 0) {
                say(p, LOG_WARNING, "tid %d: cannot open the target: %s", (int)n->tid,
                    strerror(-r));
                return;
        }
        if (!t.own_mntns) {
                say(p, LOG_NOTICE,
                    "tid %d shares the host's or scmpd's mount namespace; %s refused", (int)n->tid,
                    n->syscall);
                goto out;
        }
        if (p->require_cap && !(t.cap_eff & (1ULL << CAP_SYS_ADMIN_BIT))) {
                say(p, LOG_INFO, "tid %d lacks CAP_SYS_ADMIN in its user namespace; refused",
                    (int)n->tid);
                goto out;
        }
        req.lend_caps = 1ULL << CAP_SYS_ADMIN_BIT;
        r = helper_run(&t, &req, &err);
        if (r == HELPER_SHARED) {
                say(p, LOG_NOTICE,
                    "tid %d: %s on \"%s\": the mount point is on a shared mount, whose peers "
                    "would see it; refused (see \"shared_mounts\")",
                    (int)n->tid, n->syscall, req.target);
                goto out;
        }
        if (r == HELPER_REFUSED || r == HELPER_HOST_NS) {
                say(p, LOG_INFO, "tid %d: %s: %s; refused", (int)n->tid, n->syscall,
                    r == HELPER_REFUSED ? "a path crosses a symlink"
                                        : "the host's mount namespace");
                goto out;
        }
        if (r < 0) {
                say(p, LOG_WARNING, "tid %d: the helper failed: %s", (int)n->tid, strerror(-r));
                goto out;
        }
        say(p, LOG_INFO, "tid %d: emulated %s on \"%s\": %s", (int)n->tid, n->syscall, req.target,
            err ? strerror(err) : "ok");
        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = err };
out:
        target_close(&t);
}

const struct scmpd_handler_ops mount_handler_ops = {
        .abi_version = SCMPD_HANDLER_ABI_VERSION,
        .flags = SCMPD_HANDLER_BLOCKING | SCMPD_HANDLER_LENDS_PRIVILEGE,
        .name = "mount",
        .start = mount_start,
        .stop = mount_stop,
        .handle = mount_handle,
};
