/*
 * Listening on a socket path without taking it from anyone (socket.c).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

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

/* Unlink `path` only if it is still the socket file described by `file` (device and inode);
 * a path another process has bound since is left alone. 1 if unlinked, 0 if not ours. */
int socket_unlink_if_ours(const char *path, const struct socket_file *file);
