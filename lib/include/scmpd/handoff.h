/*
 * libscmpd: the OCI `listenerPath` handoff of a seccomp listener fd.
 *
 * The OCI runtime spec (config-linux.md, "linux.seccomp.listenerPath") has a runtime connect to
 * an AF_UNIX SOCK_STREAM socket and send one "container process state" per connection: a JSON
 * object in the regular payload plus the listener fd(s) with SCM_RIGHTS in the first sendmsg,
 * named by the `fds` array ("seccompFd"). runc sends compact JSON, crun pretty-printed JSON with
 * a trailing newline; both keep the connection open, so a receiver must decide that the JSON is
 * complete without waiting for EOF.
 *
 * This header gives both sides of that protocol: the sender (used by `scmpctl run` and any
 * program that wants scmpd to serve its listener) and a bounded parser shared with the daemon.
 * Everything received is treated as hostile: sizes, depth, counts and string lengths are bounded.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The name the OCI spec gives the listener in `fds`. */
#define SCMPD_HANDOFF_SECCOMP_FD_NAME "seccompFd"

/* Limits for a received payload. */
#define SCMPD_HANDOFF_MAX_SIZE (1024 * 1024) /* bytes of JSON */
#define SCMPD_HANDOFF_MAX_DEPTH 32           /* nesting of objects and arrays */
#define SCMPD_HANDOFF_MAX_FDS 16             /* names in `fds`, and fds in SCM_RIGHTS */
#define SCMPD_HANDOFF_MAX_ANNOTATIONS 1024
#define SCMPD_HANDOFF_MAX_STRING 65536 /* bytes in any one string we keep */

/* What a sender describes. Every string may be NULL (left out, or a default where noted). */
struct scmpd_handoff_info {
        const char *oci_version; /* NULL: "1.0.2" */
        pid_t pid;               /* REQUIRED: the filtered process, as the receiver sees it */
        const char *metadata;    /* opaque listenerMetadata; NULL leaves it out */
        const char *id;          /* state.id; NULL: "scmpd-<pid>" */
        const char *status;      /* state.status; NULL: "running" */
        pid_t state_pid;         /* state.pid; 0: same as pid */
        const char *bundle;      /* state.bundle; NULL: "" */
        const char *const *annotations; /* key, value, key, value, ..., NULL; may be NULL */
};

/*
 * Render the payload as compact JSON (no trailing NUL counted in *ret_len; the buffer is
 * NUL-terminated). The caller frees *ret_json. -EINVAL for a missing pid, odd annotations or
 * non-UTF-8 strings.
 */
int scmpd_handoff_build(const struct scmpd_handoff_info *info, char **ret_json, size_t *ret_len);

/*
 * Send the payload and `listener_fd` (borrowed) as fds[0] = "seccompFd" over a connected
 * SOCK_STREAM socket `sock` (borrowed): one sendmsg carrying the fd, then further writes if the
 * kernel took only part of the bytes. MSG_NOSIGNAL is used, so a vanished peer gives -EPIPE.
 */
int scmpd_handoff_send(int sock, int listener_fd, const struct scmpd_handoff_info *info);

/*
 * Connect to `path` (an absolute or relative filesystem path; a leading '@' names an abstract
 * socket), send as above and close. -ENAMETOOLONG when the path does not fit sun_path.
 */
int scmpd_handoff_send_to(const char *path, int listener_fd, const struct scmpd_handoff_info *info);

/*
 * Is `buf[0..len)` one complete JSON object? Scans with a tiny state machine (strings, escapes,
 * nesting) without allocating. Returns the number of bytes the object spans (> 0) when complete,
 * 0 when more bytes are needed, -EBADMSG when the bytes cannot be the start of a payload (not an
 * object, nesting deeper than SCMPD_HANDOFF_MAX_DEPTH, a NUL byte, unbalanced brackets), and
 * -EMSGSIZE when `len` exceeds SCMPD_HANDOFF_MAX_SIZE without completing.
 */
ssize_t scmpd_handoff_complete(const char *buf, size_t len);

/* A parsed payload. All strings are owned NUL-terminated copies; absent ones are NULL. */
struct scmpd_handoff_state {
        char *oci_version;
        pid_t pid; /* top-level pid (the filtered process); 0 when the runtime did not say
                    * (crun 1.8 sends 0 for `crun exec`) */
        char *metadata;
        char *id;        /* state.id */
        char *status;    /* state.status */
        pid_t state_pid; /* state.pid, 0 if absent */
        char *bundle;    /* state.bundle */
        size_t n_annotations;
        char **annotation_keys; /* n_annotations entries each */
        char **annotation_values;
        size_t n_fd_names;       /* entries in `fds` */
        size_t seccomp_fd_index; /* index of "seccompFd" in `fds` */
        /* Top-level "scmpdSender": who built the payload, a claim ("libscmpd" from
         * scmpd_handoff_build()). Informational: scmpd names the runtime with it, nothing more. */
        char *sender;
};

/*
 * Parse a complete payload. `n_fds_received` is how many SCM_RIGHTS fds came with it; the
 * seccompFd index must be below it. Rules: the top level is an object; `pid` is present and a
 * non-negative integer (0: unknown); `fds` is an array of at most SCMPD_HANDOFF_MAX_FDS strings
 * naming exactly one "seccompFd"; `state`, if present, is an object whose known members have the
 * right types; `ociVersion` is informational (any string). Unknown members are ignored. Errors:
 * -EBADMSG for anything malformed (with a static reason in *ret_reason if non-NULL), -ENOMEM.
 */
int scmpd_handoff_parse(const char *buf, size_t len, size_t n_fds_received,
                        struct scmpd_handoff_state **ret_state, const char **ret_reason);

/* Free a parsed payload; accepts NULL, returns NULL. */
struct scmpd_handoff_state *scmpd_handoff_state_free(struct scmpd_handoff_state *s);

/* The value of annotation `key`, or NULL. */
const char *scmpd_handoff_state_annotation(const struct scmpd_handoff_state *s, const char *key);

#ifdef __cplusplus
}
#endif
