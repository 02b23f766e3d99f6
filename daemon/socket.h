/*
 * Small pieces the daemon's AF_UNIX sockets share (socket.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/*
 * The address of `path`: a filesystem path, or with a leading '@' an abstract name (the '@'
 * becomes the address's leading NUL, and no trailing NUL counts). 0, or -ENAMETOOLONG when the
 * path is empty or does not fit sun_path.
 */
int socket_sockaddr_from_path(const char *path, struct sockaddr_un *ret_sa, socklen_t *ret_len);

/*
 * Is one of the supplementary groups of the peer on `fd` among gids[0..n_gids)? The kernel's
 * SO_PEERGROUPS (the groups at connect()) is the witness; false when it cannot be read. The
 * primary group (SO_PEERCRED) is the caller's to check.
 */
bool socket_peer_in_group(int fd, const gid_t *gids, size_t n_gids);
