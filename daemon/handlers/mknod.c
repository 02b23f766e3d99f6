/*
 * The mknod handler: emulates mknod(2) and mknodat(2) of an allowlist of harmless character
 * devices for callers that may not create device nodes (no CAP_MKNOD, or a user namespace, where
 * the kernel never allows it). Everything else gets the refusal verdict, CONTINUE by default, so
 * that regular files, FIFOs and sockets, which need no privilege, are made by the kernel itself.
 *
 * The allowlist: null 1:3, zero 1:5, full 1:7, random 1:8, urandom 1:9, tty 5:0, console 5:1,
 * the overlayfs whiteout 0:0, and /dev/net/tun 10:200 only when listed explicitly.
 *
 * Configuration: {"devices": ["null", "zero", ...], "refuse": "continue" | "EPERM",
 * "timeout_ms": N}; without "devices" every entry but "tun" is allowed.
 *
 * How it is made (helper.c): in the initial user namespace, because that is where CAP_MKNOD
 * counts, but as the caller in every other respect: in its view of the filesystem (chroot()ed
 * into its root; absolute paths resolved with RESOLVE_IN_ROOT, relative ones from its cwd or the
 * dirfd it passed, copied with pidfd_getfd() while the notification was pending; magic links
 * never crossed), with its fsuid, fsgid, supplementary groups and umask, and with its own
 * capabilities plus CAP_MKNOD. The kernel therefore checks the parent directory's permissions
 * against the caller and creates the node owned by it, in one step: there is no chown after the
 * fact that a rename in a writable directory could redirect onto another file. The mode's
 * set-id and sticky bits are refused; only permission bits and S_IFCHR are passed on.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../policy.h"
#include "emulate.h"
#include "util.h"

#define CAP_MKNOD_BIT 27

static const struct {
        const char *name;
        unsigned major, minor;
        bool opt_in;
} devices[] = {
        { "null", 1, 3, false },    { "zero", 1, 5, false },     { "full", 1, 7, false },
        { "random", 1, 8, false },  { "urandom", 1, 9, false },  { "tty", 5, 0, false },
        { "console", 5, 1, false }, { "whiteout", 0, 0, false }, { "tun", 10, 200, true },
};

struct mknod_policy {
        const struct scmpd_handler_host *host;
        unsigned allowed; /* bit i: devices[i] */
        unsigned timeout_ms;
        struct scmpd_verdict refusal;
};

struct mknod_policy *mknod_policy_free(struct mknod_policy *p)
{
        free(p);
        return NULL;
}

/* The reason for a refusal that names the key or value at fault (policies are parsed on the
 * loop thread only). */
int mknod_policy_parse(const char *json, struct mknod_policy **ret, char **ret_error)
{
        json_auto_t *root = NULL;
        json_t *v, *x;
        struct mknod_policy *p;
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
        json_object_foreach (root, key, v)
                if (strcmp(key, "devices") != 0 && strcmp(key, "refuse") != 0 &&
                    strcmp(key, "timeout_ms") != 0) {
                        snprintf(why_buf, sizeof(why_buf),
                                 "unknown key \"%.64s\" in the configuration", key);
                        why = why_buf;
                        goto fail;
                }
        v = json_object_get(root, "devices");
        if (v) {
                if (!json_is_array(v)) {
                        why = "\"devices\" must be a list of device names";
                        goto fail;
                }
                json_array_foreach (v, i, x) {
                        const char *s = json_string_value(x);
                        size_t k;

                        for (k = 0; s && k < sizeof(devices) / sizeof(devices[0]); k++)
                                if (strcmp(devices[k].name, s) == 0)
                                        break;
                        if (!s || k == sizeof(devices) / sizeof(devices[0])) {
                                snprintf(why_buf, sizeof(why_buf),
                                         "unknown device \"%.64s\" in \"devices\" (null, zero, "
                                         "full, random, urandom, tty, console, whiteout, tun)",
                                         s ? s : "(not a string)");
                                why = why_buf;
                                goto fail;
                        }
                        p->allowed |= 1U << k;
                }
        } else {
                for (size_t k = 0; k < sizeof(devices) / sizeof(devices[0]); k++)
                        if (!devices[k].opt_in)
                                p->allowed |= 1U << k;
        }
        if (emulate_parse_helper_keys(root,
                                      (struct scmpd_verdict){ .kind = SCMPD_VERDICT_CONTINUE },
                                      &p->timeout_ms, &p->refusal, &why) < 0)
                goto fail;
        *ret = p;
        return 0;
fail:
        free(p);
        if (ret_error)
                *ret_error = strdup(why ? why : "invalid configuration");
        return -EINVAL;
}

struct scmpd_verdict mknod_policy_refusal(const struct mknod_policy *p)
{
        return p->refusal;
}

enum emulate_decision mknod_policy_check(const struct mknod_policy *p, bool at,
                                         const uint64_t args[6], const char *const strings[6],
                                         struct helper_request *ret_req)
{
        unsigned ia = at ? 1 : 0; /* index of the path; mode and dev follow it */
        uint64_t mode = args[ia + 1];
        uint32_t dev = (uint32_t)args[ia + 2]; /* the kernel takes an unsigned int */
        unsigned major = (dev & 0xfff00U) >> 8, minor = (dev & 0xffU) | ((dev >> 12) & 0xfff00U);
        struct helper_request req = { .op = HELPER_MKNOD, .dirfd_copy = -1 };

        if (!strings[ia])
                return EMULATE_REFUSE;
        /* mode_t is 32 bits wide in the kernel's signature; only a char device with plain
         * permission bits is emulated. */
        if ((uint32_t)mode != mode || (mode & S_IFMT) != S_IFCHR ||
            (mode & ~(uint64_t)(S_IFMT | 0777)))
                return EMULATE_REFUSE;
        for (size_t k = 0; k < sizeof(devices) / sizeof(devices[0]); k++) {
                if (!(p->allowed & (1U << k)) || devices[k].major != major ||
                    devices[k].minor != minor)
                        continue;
                req.path = strings[ia];
                req.mode = (mode_t)mode;
                req.dev = makedev(major, minor);
                req.lend_caps = 1ULL << CAP_MKNOD_BIT;
                req.timeout_ms = p->timeout_ms;
                *ret_req = req;
                return EMULATE_ALLOW;
        }
        return EMULATE_REFUSE;
}

/* ---- the handler ---- */

#define say(p, level, ...) emulate_log((p)->host, level, __VA_ARGS__)

EMULATE_DEFINE_START_STOP(mknod)

static void mknod_handle(void *state, const struct scmpd_notification *n,
                         struct scmpd_deferred *deferred, struct scmpd_verdict *ret)
{
        const struct mknod_policy *p = state;
        struct target t = TARGET_INIT;
        _cleanup_close_ int dirfd = -1;
        struct helper_request req;
        int r, err = 0;
        bool at;

        *ret = p->refusal;
        if (!n->syscall)
                return;
        if (strcmp(n->syscall, "mknodat") == 0)
                at = true;
        else if (strcmp(n->syscall, "mknod") == 0)
                at = false;
        else {
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_NOT_HANDLED };
                return;
        }
        if (mknod_policy_check(p, at, n->args, n->strings, &req) != EMULATE_ALLOW)
                return;
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
                /* Its device node would appear on the host's own file systems. */
                say(p, LOG_NOTICE,
                    "tid %d shares the host's or scmpd's mount namespace; %s refused", (int)n->tid,
                    n->syscall);
                goto out;
        }
        if (at && req.path[0] != '/' && (int)n->args[0] != AT_FDCWD) {
                /* Its dirfd, copied from its fd table while the notification is pending. */
                dirfd = target_getfd(&t, (int)n->args[0]);
                if (dirfd == -ENOENT || dirfd == -EBADF)
                        /* Gone (nobody hears it), or the answer the kernel would give. */
                        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND,
                                                       .error = -dirfd };
                /* otherwise the refusal verdict stands */
                if (dirfd < 0)
                        goto out;
                req.dirfd_copy = dirfd;
        }
        r = helper_run(&t, &req, &err);
        if (r == HELPER_HOST_NS) {
                say(p, LOG_NOTICE, "tid %d: %s in the host's mount namespace; refused", (int)n->tid,
                    n->syscall);
                goto out;
        }
        if (r == HELPER_REFUSED) {
                say(p, LOG_INFO, "tid %d: %s: the path crosses a magic link; refused", (int)n->tid,
                    n->syscall);
                goto out;
        }
        if (r < 0) {
                say(p, LOG_WARNING, "tid %d: the helper failed: %s", (int)n->tid, strerror(-r));
                goto out;
        }
        say(p, LOG_INFO, "tid %d: emulated %s of \"%s\" (%u:%u): %s", (int)n->tid, n->syscall,
            req.path, major(req.dev), minor(req.dev), err ? strerror(err) : "ok");
        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = err };
out:
        target_close(&t);
}

const struct scmpd_handler_ops mknod_handler_ops = {
        .abi_version = SCMPD_HANDLER_ABI_VERSION,
        .flags = SCMPD_HANDLER_BLOCKING | SCMPD_HANDLER_LENDS_PRIVILEGE,
        .name = "mknod",
        .start = mknod_start,
        .stop = mknod_stop,
        .handle = mknod_handle,
};
