/*
 * The OCI listenerPath handoff: build and send a "container process state" with the listener
 * fd, and the bounded parser the daemon uses on what runtimes send.
 *
 * Model: a payload is one JSON object followed, on the wire, by nothing we need (crun adds a
 * newline, and the connection stays open). The receiver learns that the object is complete from
 * scmpd_handoff_complete(), a non-allocating scanner that bounds size and depth before any parser
 * sees the bytes; only then does jansson parse exactly that span.
 *
 * Invariants: nothing here trusts the peer. Every string kept is length-bounded and owned; every
 * count is bounded; the seccompFd index is checked against the fds that really arrived. Sending
 * uses MSG_NOSIGNAL and passes the fd only with the first sendmsg, as the spec requires.
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "scmpd/handoff.h"
#include "cleanup.h"
#include "sockaddr.h"
#include "util.h"

/* jansson's own cleanup helper, under the house's naming. */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* Add `key: value` for a string; NULL values are skipped. -EINVAL for invalid UTF-8. */
static int set_string(json_t *obj, const char *key, const char *value)
{
        json_t *s;

        if (!value)
                return 0;
        s = json_string(value);
        if (!s)
                return -EINVAL;
        return json_object_set_new(obj, key, s) < 0 ? -ENOMEM : 0;
}

_public_ int scmpd_handoff_build(const struct scmpd_handoff_info *info, char **ret_json,
                                 size_t *ret_len)
{
        _cleanup_json_ json_t *root = NULL, *state = NULL, *annotations = NULL, *fds = NULL;
        const char *oci = info && info->oci_version ? info->oci_version : "1.0.2";
        char default_id[32];
        char *text;
        int r;

        if (!info || info->pid <= 0 || info->state_pid < 0 || !ret_json)
                return -EINVAL;

        root = json_object();
        state = json_object();
        annotations = json_object();
        fds = json_array();
        if (!root || !state || !annotations || !fds)
                return -ENOMEM;

        if (info->annotations) {
                for (size_t i = 0; info->annotations[i]; i += 2) {
                        if (!info->annotations[i + 1])
                                return -EINVAL;
                        r = set_string(annotations, info->annotations[i], info->annotations[i + 1]);
                        if (r < 0)
                                return r;
                }
        }
        snprintf(default_id, sizeof(default_id), "scmpd-%d", (int)info->pid);

        if (json_array_append_new(fds, json_string(SCMPD_HANDOFF_SECCOMP_FD_NAME)) < 0)
                return -ENOMEM;
        r = set_string(root, "ociVersion", oci);
        if (r < 0)
                return r;
        if (json_object_set(root, "fds", fds) < 0 ||
            json_object_set_new(root, "pid", json_integer(info->pid)) < 0)
                return -ENOMEM;
        r = set_string(root, "metadata", info->metadata);
        if (r < 0)
                return r;
        /* Who built it: the receiver may show it (scmpd names the runtime "libscmpd"). */
        r = set_string(root, "scmpdSender", "libscmpd");
        if (r < 0)
                return r;
        if ((r = set_string(state, "ociVersion", oci)) < 0 ||
            (r = set_string(state, "id", info->id ? info->id : default_id)) < 0 ||
            (r = set_string(state, "status", info->status ? info->status : "running")) < 0)
                return r;
        if (json_object_set_new(state, "pid",
                                json_integer(info->state_pid ? info->state_pid : info->pid)) < 0)
                return -ENOMEM;
        r = set_string(state, "bundle", info->bundle ? info->bundle : "");
        if (r < 0)
                return r;
        if (json_object_set(state, "annotations", annotations) < 0 ||
            json_object_set(root, "state", state) < 0)
                return -ENOMEM;

        text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!text)
                return -ENOMEM;
        if (ret_len)
                *ret_len = strlen(text);
        *ret_json = text;
        return 0;
}

_public_ int scmpd_handoff_send(int sock, int listener_fd, const struct scmpd_handoff_info *info)
{
        _cleanup_free_ char *json = NULL;
        union {
                struct cmsghdr hdr;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov;
        struct msghdr msg = {};
        struct cmsghdr *c;
        size_t len, off = 0;
        ssize_t n;
        int r;

        if (sock < 0 || listener_fd < 0)
                return -EBADF;
        r = scmpd_handoff_build(info, &json, &len);
        if (r < 0)
                return r;

        iov = (struct iovec){ .iov_base = json, .iov_len = len };
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof(control.buf);
        c = &control.hdr;
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &listener_fd, sizeof(int));

        do
                n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return negative_errno();
        off = (size_t)n;
        /* The fd went with the first call; the rest of the bytes, if any, follow plainly. */
        while (off < len) {
                n = send(sock, json + off, len - off, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                off += (size_t)n;
        }
        return 0;
}

_public_ int scmpd_handoff_send_to(const char *path, int listener_fd,
                                   const struct scmpd_handoff_info *info)
{
        _cleanup_close_ int sock = -1;
        struct sockaddr_un sa;
        socklen_t salen;
        int r;

        if (!path || !*path)
                return -EINVAL;
        r = sockaddr_un_from_path(path, &sa, &salen);
        if (r < 0)
                return r;

        sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return negative_errno();
        while (connect(sock, (struct sockaddr *)&sa, salen) < 0)
                if (errno != EINTR)
                        return negative_errno();
        return scmpd_handoff_send(sock, listener_fd, info);
}

_public_ ssize_t scmpd_handoff_complete(const char *buf, size_t len)
{
        uint64_t kinds = 0; /* bit d set: the container at depth d+1 is an array */
        bool in_string = false, escaped = false, started = false;
        unsigned depth = 0;

        if (!buf && len)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                char ch = buf[i];

                if (i >= SCMPD_HANDOFF_MAX_SIZE)
                        return -EMSGSIZE;
                if (ch == 0)
                        return -EBADMSG;
                if (!started) {
                        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
                                continue;
                        if (ch != '{')
                                return -EBADMSG;
                        started = true;
                        depth = 1;
                        continue;
                }
                if (in_string) {
                        if (escaped)
                                escaped = false;
                        else if (ch == '\\')
                                escaped = true;
                        else if (ch == '"')
                                in_string = false;
                        continue;
                }
                switch (ch) {
                case '"':
                        in_string = true;
                        break;
                case '{':
                case '[':
                        if (depth >= SCMPD_HANDOFF_MAX_DEPTH)
                                return -EBADMSG;
                        if (ch == '[')
                                kinds |= (uint64_t)1 << depth;
                        else
                                kinds &= ~((uint64_t)1 << depth);
                        depth++;
                        break;
                case '}':
                case ']':
                        depth--;
                        if (!!(kinds & ((uint64_t)1 << depth)) != (ch == ']'))
                                return -EBADMSG;
                        if (depth == 0)
                                return (ssize_t)(i + 1);
                        break;
                default:
                        break;
                }
        }
        if (len > SCMPD_HANDOFF_MAX_SIZE)
                return -EMSGSIZE;
        return 0;
}

_public_ struct scmpd_handoff_state *scmpd_handoff_state_free(struct scmpd_handoff_state *s)
{
        if (!s)
                return NULL;
        free(s->oci_version);
        free(s->metadata);
        free(s->id);
        free(s->status);
        free(s->bundle);
        free(s->sender);
        for (size_t i = 0; i < s->n_annotations; i++) {
                free(s->annotation_keys[i]);
                free(s->annotation_values[i]);
        }
        free(s->annotation_keys);
        free(s->annotation_values);
        free(s);
        return NULL;
}

/* Copy an optional string member. 0 absent or copied, -EBADMSG wrong type or too long. */
static int take_string(json_t *obj, const char *key, char **ret, const char **reason)
{
        json_t *v = json_object_get(obj, key);
        size_t n;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_string(v)) {
                *reason = "a string member has the wrong type";
                return -EBADMSG;
        }
        n = json_string_length(v);
        if (n > SCMPD_HANDOFF_MAX_STRING || memchr(json_string_value(v), 0, n)) {
                *reason = "a string member is too long or contains NUL";
                return -EBADMSG;
        }
        *ret = strndup(json_string_value(v), n);
        return *ret ? 0 : -ENOMEM;
}

static int take_pid(json_t *obj, const char *key, bool required, pid_t *ret, const char **reason)
{
        json_t *v = json_object_get(obj, key);
        json_int_t x;

        if (!v) {
                if (!required)
                        return 0;
                *reason = "the pid is missing";
                return -EBADMSG;
        }
        if (!json_is_integer(v)) {
                *reason = "a pid is not an integer";
                return -EBADMSG;
        }
        x = json_integer_value(v);
        /* 0 is what crun 1.8 sends for `crun exec` (it does not know the pid there). */
        if (x < 0 || x > INT_MAX) {
                *reason = "a pid is out of range";
                return -EBADMSG;
        }
        *ret = (pid_t)x;
        return 0;
}

static int parse_state(json_t *state, struct scmpd_handoff_state *s, const char **reason)
{
        json_t *ann, *v;
        const char *key;
        size_t n, i = 0;
        int r;

        if (!json_is_object(state)) {
                *reason = "state is not an object";
                return -EBADMSG;
        }
        if ((r = take_string(state, "id", &s->id, reason)) < 0 ||
            (r = take_string(state, "status", &s->status, reason)) < 0 ||
            (r = take_string(state, "bundle", &s->bundle, reason)) < 0 ||
            (r = take_pid(state, "pid", false, &s->state_pid, reason)) < 0)
                return r;
        ann = json_object_get(state, "annotations");
        if (!ann || json_is_null(ann))
                return 0;
        if (!json_is_object(ann)) {
                *reason = "state.annotations is not an object";
                return -EBADMSG;
        }
        n = json_object_size(ann);
        if (n > SCMPD_HANDOFF_MAX_ANNOTATIONS) {
                *reason = "too many annotations";
                return -EBADMSG;
        }
        s->annotation_keys = calloc(n + 1, sizeof(char *));
        s->annotation_values = calloc(n + 1, sizeof(char *));
        if (!s->annotation_keys || !s->annotation_values)
                return -ENOMEM;
        json_object_foreach (ann, key, v) {
                size_t klen = strlen(key);

                if (!json_is_string(v)) {
                        *reason = "an annotation value is not a string";
                        return -EBADMSG;
                }
                if (klen > SCMPD_HANDOFF_MAX_STRING ||
                    json_string_length(v) > SCMPD_HANDOFF_MAX_STRING ||
                    memchr(json_string_value(v), 0, json_string_length(v))) {
                        *reason = "an annotation is too long or contains NUL";
                        return -EBADMSG;
                }
                s->annotation_keys[i] = strdup(key);
                s->annotation_values[i] = strdup(json_string_value(v));
                s->n_annotations = ++i;
                if (!s->annotation_keys[i - 1] || !s->annotation_values[i - 1])
                        return -ENOMEM;
        }
        return 0;
}

_public_ int scmpd_handoff_parse(const char *buf, size_t len, size_t n_fds_received,
                                 struct scmpd_handoff_state **ret_state, const char **ret_reason)
{
        _cleanup_(scmpd_handoff_state_freep) struct scmpd_handoff_state *s = NULL;
        _cleanup_json_ json_t *root = NULL;
        const char *reason = "malformed payload";
        json_error_t jerr;
        json_t *fds, *state, *sender;
        ssize_t span;
        size_t n_seccomp = 0;
        int r;

        if (ret_reason)
                *ret_reason = NULL;
        if (!buf || !ret_state)
                return -EINVAL;

        span = scmpd_handoff_complete(buf, len);
        if (span <= 0) {
                if (ret_reason)
                        *ret_reason = span == 0           ? "the JSON object is incomplete"
                                      : span == -EMSGSIZE ? "the payload is too large"
                                                          : "not a JSON object within limits";
                return span == -EMSGSIZE ? -EMSGSIZE : -EBADMSG;
        }
        root = json_loadb(buf, (size_t)span, JSON_REJECT_DUPLICATES, &jerr);
        if (!root || !json_is_object(root)) {
                if (ret_reason)
                        *ret_reason = "not valid JSON";
                return -EBADMSG;
        }

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;

        r = take_string(root, "ociVersion", &s->oci_version, &reason);
        if (r >= 0)
                r = take_string(root, "metadata", &s->metadata, &reason);
        if (r >= 0)
                r = take_pid(root, "pid", true, &s->pid, &reason);
        if (r < 0)
                goto fail;
        /* An informational claim: one of another type or too long is ignored, not an error. */
        sender = json_object_get(root, "scmpdSender");
        if (json_is_string(sender) && json_string_length(sender) <= 64 &&
            !memchr(json_string_value(sender), 0, json_string_length(sender))) {
                s->sender = strdup(json_string_value(sender));
                if (!s->sender) {
                        r = -ENOMEM;
                        goto fail;
                }
        }

        fds = json_object_get(root, "fds");
        if (!json_is_array(fds)) {
                reason = "fds is missing or not an array";
                r = -EBADMSG;
                goto fail;
        }
        s->n_fd_names = json_array_size(fds);
        if (s->n_fd_names > SCMPD_HANDOFF_MAX_FDS) {
                reason = "too many fds named";
                r = -EBADMSG;
                goto fail;
        }
        for (size_t i = 0; i < s->n_fd_names; i++) {
                json_t *name = json_array_get(fds, i);

                if (!json_is_string(name)) {
                        reason = "an fds entry is not a string";
                        r = -EBADMSG;
                        goto fail;
                }
                if (strcmp(json_string_value(name), SCMPD_HANDOFF_SECCOMP_FD_NAME) == 0) {
                        n_seccomp++;
                        s->seccomp_fd_index = i;
                }
        }
        if (n_seccomp != 1) {
                reason = n_seccomp == 0 ? "no fd is named seccompFd"
                                        : "more than one fd is named seccompFd";
                r = -EBADMSG;
                goto fail;
        }
        if (s->seccomp_fd_index >= n_fds_received) {
                reason = "seccompFd names an fd that was not received";
                r = -EBADMSG;
                goto fail;
        }

        state = json_object_get(root, "state");
        if (state && !json_is_null(state)) {
                r = parse_state(state, s, &reason);
                if (r < 0)
                        goto fail;
        }

        *ret_state = steal_ptr(&s);
        return 0;
fail:
        if (ret_reason)
                *ret_reason = r == -ENOMEM ? "out of memory" : reason;
        return r;
}

_public_ const char *scmpd_handoff_state_annotation(const struct scmpd_handoff_state *s,
                                                    const char *key)
{
        if (!s || !key)
                return NULL;
        for (size_t i = 0; i < s->n_annotations; i++)
                if (strcmp(s->annotation_keys[i], key) == 0)
                        return s->annotation_values[i];
        return NULL;
}
