/*
 * Small pieces the daemon's AF_UNIX sockets share: an address from a configured path (with '@'
 * for an abstract name, as systemd and ss(8) write them) and a peer's group membership as the
 * kernel recorded it at connect(). Neither trusts anything the peer sends.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "socket.h"
#include "util.h"

/* A peer's supplementary groups are read whole; the kernel's own limit is 65536. */
#define PEER_GROUPS_MAX 65536

int socket_sockaddr_from_path(const char *path, struct sockaddr_un *ret_sa, socklen_t *ret_len)
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

bool socket_peer_in_group(int fd, const gid_t *gids, size_t n_gids)
{
        _cleanup_free_ gid_t *groups = NULL;
        socklen_t len = 0;

        if (n_gids == 0)
                return false;
        /* The first call says how much room the groups need (ERANGE). */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) < 0 && errno == ERANGE &&
            len > 0 && len <= PEER_GROUPS_MAX * sizeof(gid_t) && (groups = malloc(len)) &&
            getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
                for (size_t i = 0; i < len / sizeof(gid_t); i++)
                        for (size_t j = 0; j < n_gids; j++)
                                if (groups[i] == gids[j])
                                        return true;
        return false;
}
