/*
 * LXC proxy messages: validation of a request datagram and construction of the reply (see
 * lxc_msg.h for the layout). Every field comes from a peer and is checked before it is used;
 * offsets are read with memcpy() from a buffer of known length, never through a cast.
 *
 * Classes of answer: a message whose notification id can be read (at least the header and the
 * id) is answered, with an error when it is malformed, so that the monitor never waits for its
 * 30 s timeout; anything shorter has no id to answer, and the caller closes the connection.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "lxc_msg.h"

static uint64_t get_u64(const unsigned char *p)
{
        uint64_t v;

        memcpy(&v, p, sizeof(v));
        return v;
}

static uint16_t get_u16(const unsigned char *p)
{
        uint16_t v;

        memcpy(&v, p, sizeof(v));
        return v;
}

static int32_t get_s32(const unsigned char *p)
{
        int32_t v;

        memcpy(&v, p, sizeof(v));
        return v;
}

static int fail(const char **ret_reason, const char *why, int r)
{
        if (ret_reason)
                *ret_reason = why;
        return r;
}

int lxc_msg_parse(const void *buf, size_t len, int msg_flags, size_t n_fds,
                  const struct scmpd_notify_sizes *kernel, struct lxc_msg *ret,
                  const char **ret_reason)
{
        const unsigned char *b = buf;
        const size_t notif_off = LXC_MSG_HEADER_SIZE;
        const size_t resp_off = notif_off + sizeof(struct seccomp_notif);
        struct seccomp_notif_resp resp;
        uint64_t cookie_len;

        memset(ret, 0, sizeof(*ret));
        if (ret_reason)
                *ret_reason = NULL;
        /* Without the header and the id there is nothing to answer. */
        if (!b || len < notif_off + sizeof(uint64_t))
                return fail(ret_reason, "shorter than a header and a notification id", -EPROTO);
        memcpy(ret->header, b, LXC_MSG_HEADER_SIZE);
        ret->notif.id = get_u64(b + notif_off);
        ret->id_known = true;
        ret->monitor_pid = get_s32(b + 8);
        ret->init_pid = get_s32(b + 12);

        if (msg_flags & MSG_TRUNC)
                return fail(ret_reason, "datagram truncated (longer than any valid request)",
                            -EBADMSG);
        if (msg_flags & MSG_CTRUNC)
                return fail(ret_reason, "control data truncated (too many fds)", -EBADMSG);
        if (n_fds != LXC_MSG_FDS)
                return fail(ret_reason, "not exactly 3 fds", -EBADMSG);
        if (get_u64(b) != 0)
                return fail(ret_reason, "__reserved is not 0", -EBADMSG);
        if (get_u16(b + 16) != sizeof(struct seccomp_notif) ||
            get_u16(b + 18) != sizeof(struct seccomp_notif_resp) ||
            get_u16(b + 20) != sizeof(struct seccomp_data))
                return fail(ret_reason, "structure sizes differ from scmpd's", -EBADMSG);
        if (!kernel || get_u16(b + 16) != kernel->notif || get_u16(b + 18) != kernel->resp ||
            get_u16(b + 20) != kernel->seccomp_data)
                return fail(ret_reason, "structure sizes differ from the kernel's", -EBADMSG);
        cookie_len = get_u64(b + 24);
        if (cookie_len > LXC_MSG_COOKIE_MAX)
                return fail(ret_reason, "cookie longer than 4096 bytes", -EBADMSG);
        if (len != LXC_MSG_BASE_SIZE + cookie_len)
                return fail(ret_reason, "length differs from the one its header gives", -EBADMSG);
        memcpy(&ret->notif, b + notif_off, sizeof(ret->notif));
        memcpy(&resp, b + resp_off, sizeof(resp));
        if (resp.id != ret->notif.id)
                return fail(ret_reason, "response id differs from the notification id", -EBADMSG);
        ret->cookie = (const char *)b + LXC_MSG_BASE_SIZE;
        ret->cookie_len = (size_t)cookie_len;
        /* The cookie becomes the listener's metadata, a C string: no NUL inside. */
        if (memchr(ret->cookie, '\0', ret->cookie_len))
                return fail(ret_reason, "cookie contains a NUL byte", -EBADMSG);
        return 0;
}

void lxc_msg_reply(const struct lxc_msg *m, int64_t val, int32_t error, uint32_t flags,
                   unsigned char out[LXC_MSG_REPLY_SIZE])
{
        struct seccomp_notif_resp resp = {
                .id = m->notif.id, .val = val, .error = error, .flags = flags
        };

        memcpy(out, m->header, LXC_MSG_HEADER_SIZE);
        memset(out, 0, sizeof(uint64_t)); /* __reserved */
        memcpy(out + LXC_MSG_HEADER_SIZE, &m->notif, sizeof(m->notif));
        memcpy(out + LXC_MSG_HEADER_SIZE + sizeof(m->notif), &resp, sizeof(resp));
}
