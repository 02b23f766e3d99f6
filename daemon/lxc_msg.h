/*
 * LXC's seccomp notify proxy protocol (lxc.seccomp.notify.proxy), the bytes only: parse one
 * request datagram from a container monitor and build the reply. No daemon state, no fds, no
 * system calls: everything here is a pure function of its arguments, so that the fuzz target
 * and the unit tests see exactly what the intake sees.
 *
 * A request (host byte order), as LXC 5.0 sends it, with 3 SCM_RIGHTS fds (/proc/<tid>,
 * /proc/<tid>/mem, the seccomp notify fd):
 *
 *     0   u64  __reserved (0)
 *     8   s32  monitor pid
 *     12  s32  init pid
 *     16  u16  sizeof(struct seccomp_notif), u16 sizeof(struct seccomp_notif_resp),
 *         u16  sizeof(struct seccomp_data), 2 bytes padding (SECCOMP_GET_NOTIF_SIZES)
 *     24  u64  cookie length
 *     32       struct seccomp_notif
 *     32+N     struct seccomp_notif_resp (id filled in)
 *     ...      the cookie, no NUL
 *
 * The reply is the header, the notification and the response (no cookie, no fds); LXC passes
 * the response to the kernel unchanged, so its `error` is a negative errno.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scmpd/notify.h"

#define LXC_MSG_HEADER_SIZE 32
/* The cookie is an operator's string from the container's config; more is hostile. */
#define LXC_MSG_COOKIE_MAX 4096
#define LXC_MSG_BASE_SIZE \
        (LXC_MSG_HEADER_SIZE + sizeof(struct seccomp_notif) + sizeof(struct seccomp_notif_resp))
/* A receive buffer one byte larger than the largest valid request tells "too long" apart. */
#define LXC_MSG_MAX_SIZE (LXC_MSG_BASE_SIZE + LXC_MSG_COOKIE_MAX)
#define LXC_MSG_REPLY_SIZE LXC_MSG_BASE_SIZE
#define LXC_MSG_FDS 3

struct lxc_msg {
        bool id_known;     /* notif.id is the sender's id (set even when invalid) */
        pid_t monitor_pid; /* claimed by the sender */
        pid_t init_pid;    /* claimed by the sender */
        struct seccomp_notif notif;
        const char *cookie; /* borrowed from the buffer, cookie_len bytes, no NUL */
        size_t cookie_len;
        unsigned char header[LXC_MSG_HEADER_SIZE]; /* as received, echoed in the reply */
};

/*
 * Parse the datagram `buf` of `len` bytes, received with `msg_flags` (recvmsg's msg_flags: any
 * MSG_TRUNC or MSG_CTRUNC is an error) and `n_fds` SCM_RIGHTS fds, against the kernel's sizes
 * `kernel` (they must equal the message's and this build's). Returns 0 for a well-formed
 * request; -EBADMSG for a malformed one whose notification id is known (ret->id_known: answer
 * it), -EPROTO when not even the id can be read (close the connection). *ret is written in
 * every case; *ret_reason (may be NULL) gets a static explanation on failure.
 */
int lxc_msg_parse(const void *buf, size_t len, int msg_flags, size_t n_fds,
                  const struct scmpd_notify_sizes *kernel, struct lxc_msg *ret,
                  const char **ret_reason);

/*
 * The reply to `m` in `out` (LXC_MSG_REPLY_SIZE bytes): the request's header (with __reserved
 * 0), its notification, and the response with id m->notif.id, `val`, `error` (0 or a negative
 * errno) and `flags` (SECCOMP_USER_NOTIF_FLAG_CONTINUE or 0).
 */
void lxc_msg_reply(const struct lxc_msg *m, int64_t val, int32_t error, uint32_t flags,
                   unsigned char out[LXC_MSG_REPLY_SIZE]);
