/*
 * The daemon's AF_UNIX sockets (socket.c): listening on a configured path without taking it from
 * anyone (lib/sockaddr.h makes the address), unlinking only our own, and a peer's groups as the
 * kernel saw them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/* The socket file scmpd bound, to tell it from one that replaced it later. */
struct socket_file {
        bool valid; /* a path in the file system was bound (not abstract, not inherited) */
        dev_t dev;
        ino_t ino;
};

/*
 * Bind a SOCK_STREAM AF_UNIX socket to `path` ("@name": abstract) and listen. The socket file
 * is created with `umask` in force. A socket where something accepts connections is left alone:
 * -EADDRINUSE, with the owner's pid in *ret_owner_pid when the kernel says it (else 0). A stale
 * socket (nobody listens) is replaced; any other kind of file is -EEXIST. On success the
 * non-blocking, close-on-exec fd is in *ret_fd and the file's identity in *ret_file.
 */
int socket_listen_path(const char *path, int backlog, mode_t umask, int *ret_fd,
                       struct socket_file *ret_file, pid_t *ret_owner_pid);

/* socket_listen_path() with another socket type (SOCK_SEQPACKET for LXC's proxy protocol). */
int socket_listen_path_type(const char *path, int type, int backlog, mode_t umask, int *ret_fd,
                            struct socket_file *ret_file, pid_t *ret_owner_pid);

/* Unlink `path` only if it is still the socket file described by `file` (device and inode);
 * a path another process has bound since is left alone. 1 if unlinked, 0 if not ours. */
int socket_unlink_if_ours(const char *path, const struct socket_file *file);

/*
 * The supplementary groups of the peer on `fd`, as the kernel's SO_PEERGROUPS recorded them at
 * connect(): a malloc()ed array with their number in *ret_n, or NULL (*ret_n 0) when they cannot
 * be read or there are none.
 */
gid_t *socket_peer_groups(int fd, size_t *ret_n);

/*
 * Is one of the supplementary groups of the peer on `fd` among gids[0..n_gids)? The kernel's
 * SO_PEERGROUPS (the groups at connect()) is the witness; false when it cannot be read. The
 * primary group (SO_PEERCRED) is the caller's to check.
 */
bool socket_peer_in_group(int fd, const gid_t *gids, size_t n_gids);
