/*
 * A unix socket address from a path, for the library, scmpd and scmpctl alike (internal header):
 * a leading '@' names an abstract socket, as systemd and ss(8) write it.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* 0, or -ENAMETOOLONG for an empty path or one that does not fit sun_path. An abstract address
 * has no trailing NUL, a path one. */
static inline int sockaddr_un_from_path(const char *path, struct sockaddr_un *ret_sa,
                                        socklen_t *ret_len)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t plen = strlen(path);
        bool abstract = path[0] == '@';

        if (plen == 0 || plen >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, plen);
        if (abstract)
                sa.sun_path[0] = 0;
        *ret_sa = sa;
        *ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (abstract ? 0 : 1));
        return 0;
}
