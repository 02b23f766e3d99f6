/*
 * Fuzz target for LXC's seccomp notify proxy messages (daemon/lxc_msg.c), which scmpd reads from
 * any container monitor allowed on its lxc_proxy socket. Any input must be classified as
 * well-formed, malformed with a known id (answered), or without an id (connection closed),
 * without reading past `size`; a well-formed request must respect every bound (exact length,
 * cookie within the buffer and under the limit, no NUL in it, the response id equal to the
 * notification id), and a reply must echo the id. The first byte chooses the receive flags and
 * the number of fds, so that those checks are reached too. Anything else aborts.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../daemon/lxc_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const struct scmpd_notify_sizes kernel = { .notif = sizeof(struct seccomp_notif),
                                                   .resp = sizeof(struct seccomp_notif_resp),
                                                   .seccomp_data = sizeof(struct seccomp_data) };
        unsigned char reply[LXC_MSG_REPLY_SIZE];
        unsigned char *buf;
        struct lxc_msg m;
        const char *why = NULL;
        size_t n_fds = 3;
        int flags = 0, r;

        if (size > 0) {
                n_fds = data[0] & 3 ? (size_t)(data[0] & 3) : 3;
                if (data[0] & 0x40)
                        flags |= MSG_TRUNC;
                if (data[0] & 0x80)
                        flags |= MSG_CTRUNC;
                if (data[0] & 0x20)
                        n_fds = 0;
                data++;
                size--;
        }
        /* A copy of exactly `size` bytes, so that any over-read is a sanitizer report. */
        buf = malloc(size ? size : 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        r = lxc_msg_parse(buf, size, flags, n_fds, &kernel, &m, &why);
        if (r == 0) {
                uint64_t resp_id;

                if (!m.id_known || why || flags || n_fds != LXC_MSG_FDS ||
                    m.cookie_len > LXC_MSG_COOKIE_MAX || size != LXC_MSG_BASE_SIZE + m.cookie_len ||
                    m.cookie != (const char *)buf + LXC_MSG_BASE_SIZE ||
                    memchr(m.cookie, '\0', m.cookie_len))
                        abort();
                memcpy(&resp_id, buf + LXC_MSG_HEADER_SIZE + sizeof(struct seccomp_notif),
                       sizeof(resp_id));
                if (resp_id != m.notif.id)
                        abort();
        } else if (r == -EBADMSG) {
                if (!m.id_known || !why)
                        abort();
        } else if (r == -EPROTO) {
                if (m.id_known || !why || size >= LXC_MSG_HEADER_SIZE + sizeof(uint64_t))
                        abort();
        } else {
                abort();
        }
        if (m.id_known) {
                struct seccomp_notif_resp resp;
                uint64_t reserved;

                lxc_msg_reply(&m, 0, -1, 0, reply);
                memcpy(&reserved, reply, sizeof(reserved));
                memcpy(&resp, reply + LXC_MSG_HEADER_SIZE + sizeof(struct seccomp_notif),
                       sizeof(resp));
                if (reserved != 0 || resp.id != m.notif.id || resp.error != -1)
                        abort();
        }
        free(buf);
        return 0;
}
