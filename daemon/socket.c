/*
 * The daemon's AF_UNIX sockets, handoff and control alike. Nothing here trusts anything a peer
 * sends.
 *
 * Addresses: a configured path, or with a leading '@' an abstract name, as systemd and ss(8)
 * write them.
 *
 * Paths: bind without taking over, unlink without deleting someone else's. A path names at most
 * one live socket. At start, a socket file where a test connect() is answered (accepted, or
 * refused with EAGAIN because the backlog is full) belongs to a running process, often another
 * scmpd: binding over it would leave that process unreachable while it still believes it serves
 * the path, so it is an error that names the owner. A socket file where connect() is refused is
 * stale, left by a process that died, and is replaced. Any other file is never touched. At exit,
 * the path is unlinked only if it still names the very file scmpd created (device and inode,
 * taken right after bind()). If another process replaced it meanwhile, it is theirs.
 *
 * Peers: their supplementary groups as the kernel recorded them at connect() (SO_PEERGROUPS).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "socket.h"
#include "sockaddr.h"
#include "util.h"

/* A peer's supplementary groups are read whole; the kernel's own limit is 65536. */
#define PEER_GROUPS_MAX 65536

/* One connect() of `type` to the address: 1 someone is there (owner's pid in *ret_pid when the
 * kernel gives it), 0 refused or absent, -EPROTOTYPE a socket of another type is bound there. */
static int socket_probe(const struct sockaddr_un *sa, socklen_t len, int type, pid_t *ret_pid)
{
        _cleanup_close_ int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        struct ucred cred = {};
        socklen_t clen = sizeof(cred);

        *ret_pid = 0;
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (const struct sockaddr *)sa, len) < 0) {
                /* A full backlog: someone listens but is not accepting right now. */
                if (errno == EAGAIN)
                        return 1;
                return errno == EPROTOTYPE ? -EPROTOTYPE : 0;
        }
        /* For a connected AF_UNIX stream socket, SO_PEERCRED is the listener's at listen(). */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
                *ret_pid = cred.pid;
        return 1;
}

/* Does a process accept connections at this address? 1 yes (owner's pid in *ret_pid when the
 * kernel gives it), 0 no (stale or absent). A socket of another type than ours (the handoff
 * socket is a stream, LXC's proxy a seqpacket one) is asked in its own type. */
static int socket_is_live(const struct sockaddr_un *sa, socklen_t len, int type, pid_t *ret_pid)
{
        const int types[] = { type, SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                if (i > 0 && types[i] == type)
                        continue;
                r = socket_probe(sa, len, types[i], ret_pid);
                if (r != -EPROTOTYPE)
                        return r;
        }
        return 1; /* of no type we know: not ours to replace */
}

int socket_listen_path(const char *path, int backlog, mode_t mask, int *ret_fd,
                       struct socket_file *ret_file, pid_t *ret_owner_pid)
{
        return socket_listen_path_type(path, SOCK_STREAM, backlog, mask, ret_fd, ret_file,
                                       ret_owner_pid);
}

int socket_listen_path_type(const char *path, int type, int backlog, mode_t mask, int *ret_fd,
                            struct socket_file *ret_file, pid_t *ret_owner_pid)
{
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa;
        bool abstract = path[0] == '@';
        struct socket_file file = {};
        struct stat st;
        socklen_t len;
        mode_t old;
        int r;

        *ret_owner_pid = 0;
        r = sockaddr_un_from_path(path, &sa, &len);
        if (r < 0)
                return r;
        if (!abstract && lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return -EEXIST;
                r = socket_is_live(&sa, len, type, ret_owner_pid);
                if (r < 0)
                        return r;
                if (r > 0)
                        return -EADDRINUSE;
                if (unlink(path) < 0 && errno != ENOENT)
                        return negative_errno();
        }
        fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        old = umask(mask);
        r = bind(fd, (struct sockaddr *)&sa, len);
        umask(old);
        if (r < 0) {
                r = negative_errno();
                /* An abstract name in use: someone is there; say who if we can. */
                if (r == -EADDRINUSE && abstract)
                        (void)socket_is_live(&sa, len, type, ret_owner_pid);
                return r;
        }
        if (!abstract) {
                if (lstat(path, &st) < 0)
                        return negative_errno();
                file = (struct socket_file){ .valid = true, .dev = st.st_dev, .ino = st.st_ino };
        }
        if (listen(fd, backlog) < 0) {
                r = negative_errno();
                (void)socket_unlink_if_ours(path, &file);
                return r;
        }
        *ret_file = file;
        *ret_fd = steal_fd(&fd);
        return 0;
}

int socket_unlink_if_ours(const char *path, const struct socket_file *file)
{
        struct stat st;

        if (!file->valid || path[0] == '@')
                return 0;
        if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_dev != file->dev ||
            st.st_ino != file->ino)
                return 0;
        if (unlink(path) < 0)
                return negative_errno();
        return 1;
}

gid_t *socket_peer_groups(int fd, size_t *ret_n)
{
        gid_t *groups = NULL;
        socklen_t len = 0;

        *ret_n = 0;
        /* The first call says how much room the groups need (ERANGE). */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) < 0 && errno == ERANGE &&
            len > 0 && len <= PEER_GROUPS_MAX * sizeof(gid_t) && (groups = malloc(len)) &&
            getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
                *ret_n = len / sizeof(gid_t);
                return groups;
        }
        free(groups);
        return NULL;
}

bool socket_peer_in_group(int fd, const gid_t *gids, size_t n_gids)
{
        _cleanup_free_ gid_t *groups = NULL;
        size_t n = 0;

        if (n_gids == 0)
                return false;
        groups = socket_peer_groups(fd, &n);
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n_gids; j++)
                        if (groups[i] == gids[j])
                                return true;
        return false;
}
