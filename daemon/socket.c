/*
 * Socket paths: bind without taking over, unlink without deleting someone else's.
 *
 * Model: a path names at most one live socket. At start, a socket file where a test connect()
 * is answered (accepted, or refused with EAGAIN because the backlog is full) belongs to a running
 * process, often another scmpd: binding over it would leave that process unreachable while it
 * still believes it serves the path, so it is an error that names the owner. A socket file where
 * connect() is refused is stale, left by a process that died, and is replaced. Any other file is
 * never touched.
 *
 * At exit, the path is unlinked only if it still names the very file scmpd created (device and
 * inode, taken right after bind()). If another process replaced it meanwhile, it is theirs.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "socket.h"
#include "util.h"

static int make_address(const char *path, struct sockaddr_un *sa, socklen_t *ret_len)
{
        size_t plen = strlen(path);
        bool abstract = path[0] == '@';

        *sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
        if (plen == 0 || plen >= sizeof(sa->sun_path))
                return -ENAMETOOLONG;
        memcpy(sa->sun_path, path, plen);
        if (abstract)
                sa->sun_path[0] = 0;
        *ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (abstract ? 0 : 1));
        return 0;
}

/* Does a process accept connections at this address? 1 yes (owner's pid in *ret_pid when the
 * kernel gives it), 0 no (stale or absent). */
static int socket_is_live(const struct sockaddr_un *sa, socklen_t len, pid_t *ret_pid)
{
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        struct ucred cred = {};
        socklen_t clen = sizeof(cred);

        *ret_pid = 0;
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (const struct sockaddr *)sa, len) < 0) {
                /* A full backlog: someone listens but is not accepting right now. */
                if (errno == EAGAIN)
                        return 1;
                return 0;
        }
        /* For a connected AF_UNIX stream socket, SO_PEERCRED is the listener's at listen(). */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
                *ret_pid = cred.pid;
        return 1;
}

int socket_listen_path(const char *path, int backlog, mode_t mask, int *ret_fd,
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
        r = make_address(path, &sa, &len);
        if (r < 0)
                return r;
        if (!abstract && lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return -EEXIST;
                r = socket_is_live(&sa, len, ret_owner_pid);
                if (r < 0)
                        return r;
                if (r > 0)
                        return -EADDRINUSE;
                if (unlink(path) < 0 && errno != ENOENT)
                        return negative_errno();
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        old = umask(mask);
        r = bind(fd, (struct sockaddr *)&sa, len);
        umask(old);
        if (r < 0) {
                r = negative_errno();
                /* An abstract name in use: someone is there; say who if we can. */
                if (r == -EADDRINUSE && abstract)
                        (void)socket_is_live(&sa, len, ret_owner_pid);
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
