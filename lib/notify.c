/*
 * Seccomp user-notification primitives: checked wrappers around the listener ioctls.
 *
 * Model: the caller owns the listener fd and the buffers; this module owns only two caches, the
 * kernel's structure sizes and the probed feature mask, both written once with atomic stores
 * (a race computes the same answer twice, never a torn one).
 *
 * Invariants:
 *   - every buffer handed to the kernel is at least as large as the kernel's structure
 *     (SECCOMP_GET_NOTIF_SIZES) and as this build's structure, and RECV buffers are zeroed;
 *   - responses are validated before the kernel sees them (error 0 or negative, CONTINUE only
 *     with error == val == 0), so a positive "errno" can never reach a target as success;
 *   - kernel errors pass up unchanged as negative errno values (-ENOENT = target gone).
 */
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>

#include "scmpd/notify.h"
#include "util.h"

/* The ID_VALID ioctl number before it was corrected to _IOW (kernels still accept it). */
#define NOTIF_ID_VALID_WRONG_DIR _IOR('!', 2, __u64)
#ifndef SECCOMP_IOCTL_NOTIF_ADDFD
#define SECCOMP_IOCTL_NOTIF_ADDFD _IOW('!', 3, struct seccomp_notif_addfd)
#endif
#define NOTIF_SET_FLAGS _IOW('!', 4, __u64)

/* The largest response this module ever builds on the stack for the conveniences. */
#define RESP_STACK_MAX 256

static int seccomp_syscall(unsigned op, unsigned flags, void *args)
{
        return (int)syscall(SYS_seccomp, op, flags, args);
}

/* 0 = not queried yet; otherwise the packed sizes plus a "valid" bit, or a negative errno. */
static int64_t sizes_cache;

_public_ int scmpd_notify_sizes(struct scmpd_notify_sizes *ret_sizes)
{
        int64_t v = __atomic_load_n(&sizes_cache, __ATOMIC_ACQUIRE);

        if (v == 0) {
                struct seccomp_notif_sizes s = {};

                if (seccomp_syscall(SECCOMP_GET_NOTIF_SIZES, 0, &s) < 0)
                        v = negative_errno();
                else
                        v = (int64_t)1 << 48 | (int64_t)s.seccomp_notif << 32 |
                            (int64_t)s.seccomp_notif_resp << 16 | (int64_t)s.seccomp_data;
                __atomic_store_n(&sizes_cache, v, __ATOMIC_RELEASE);
        }
        if (v < 0)
                return (int)v;
        if (ret_sizes) {
                ret_sizes->notif = (uint16_t)(v >> 32);
                ret_sizes->resp = (uint16_t)(v >> 16);
                ret_sizes->seccomp_data = (uint16_t)v;
        }
        return 0;
}

static size_t notif_size(void)
{
        struct scmpd_notify_sizes s = {};

        if (scmpd_notify_sizes(&s) < 0 || s.notif < sizeof(struct seccomp_notif))
                return sizeof(struct seccomp_notif);
        return s.notif;
}

static size_t resp_size(void)
{
        struct scmpd_notify_sizes s = {};

        if (scmpd_notify_sizes(&s) < 0 || s.resp < sizeof(struct seccomp_notif_resp))
                return sizeof(struct seccomp_notif_resp);
        return s.resp;
}

_public_ int scmpd_notify_alloc(struct seccomp_notif **ret_req,
                                struct seccomp_notif_resp **ret_resp)
{
        _cleanup_free_ struct seccomp_notif *req = NULL;
        _cleanup_free_ struct seccomp_notif_resp *resp = NULL;

        if (ret_req) {
                req = calloc(1, notif_size());
                if (!req)
                        return -ENOMEM;
        }
        if (ret_resp) {
                resp = calloc(1, resp_size());
                if (!resp)
                        return -ENOMEM;
        }
        if (ret_req)
                *ret_req = steal_ptr(&req);
        if (ret_resp)
                *ret_resp = steal_ptr(&resp);
        return 0;
}

_public_ void scmpd_notify_free(struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
        free(req);
        free(resp);
}

_public_ int scmpd_notify_receive(int listener_fd, struct seccomp_notif *req)
{
        if (listener_fd < 0)
                return -EBADF;
        if (!req)
                return -EINVAL;
        memset(req, 0, notif_size());
        if (ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
                return negative_errno();
        return 0;
}

static int resp_check(const struct seccomp_notif_resp *resp)
{
        if (resp->flags & ~(uint32_t)SECCOMP_USER_NOTIF_FLAG_CONTINUE)
                return -EINVAL;
        if (resp->error > 0 || resp->error < -4095)
                return -EINVAL;
        if ((resp->flags & SECCOMP_USER_NOTIF_FLAG_CONTINUE) &&
            (resp->error != 0 || resp->val != 0))
                return -EINVAL;
        return 0;
}

static int respond_raw(int listener_fd, void *buf)
{
        if (ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_SEND, buf) < 0)
                return negative_errno();
        return 0;
}

_public_ int scmpd_notify_respond(int listener_fd, const struct seccomp_notif_resp *resp)
{
        int r;

        if (listener_fd < 0)
                return -EBADF;
        if (!resp)
                return -EINVAL;
        r = resp_check(resp);
        if (r < 0)
                return r;
        /* The kernel only reads the response; the ioctl prototype is not const-correct. */
        return respond_raw(listener_fd, (void *)resp);
}

/* Build a response in a zeroed buffer at least as large as the kernel's and send it. */
static int respond_with(int listener_fd, uint64_t id, int64_t val, int32_t error, uint32_t flags)
{
        union {
                struct seccomp_notif_resp resp;
                unsigned char bytes[RESP_STACK_MAX];
        } buf;
        struct seccomp_notif_resp *resp = &buf.resp;
        _cleanup_free_ struct seccomp_notif_resp *big = NULL;
        size_t size = resp_size();
        int r;

        if (listener_fd < 0)
                return -EBADF;
        if (size > sizeof(buf)) {
                big = calloc(1, size);
                if (!big)
                        return -ENOMEM;
                resp = big;
        } else {
                memset(&buf, 0, sizeof(buf));
        }
        resp->id = id;
        resp->val = val;
        resp->error = error;
        resp->flags = flags;
        r = resp_check(resp);
        if (r < 0)
                return r;
        return respond_raw(listener_fd, resp);
}

_public_ int scmpd_notify_respond_value(int listener_fd, uint64_t id, int64_t val)
{
        return respond_with(listener_fd, id, val, 0, 0);
}

_public_ int scmpd_notify_respond_errno(int listener_fd, uint64_t id, int err)
{
        if (err <= 0 || err > 4095)
                return -EINVAL;
        return respond_with(listener_fd, id, 0, -err, 0);
}

_public_ int scmpd_notify_respond_continue(int listener_fd, uint64_t id)
{
        return respond_with(listener_fd, id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
}

_public_ int scmpd_notify_id_valid(int listener_fd, uint64_t id)
{
        if (listener_fd < 0)
                return -EBADF;
        if (ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0)
                return 0;
        if (errno != EINVAL)
                return negative_errno();
        /* Kernels before the direction fix know only the old number. */
        if (ioctl(listener_fd, NOTIF_ID_VALID_WRONG_DIR, &id) == 0)
                return 0;
        return negative_errno();
}

/* Cached probe result: 0 = not probed yet, else (mask | PROBED) or a negative errno. */
#define PROBED (1 << 30)
static int probe_cache;

_public_ int scmpd_notify_addfd(int listener_fd, uint64_t id, const struct scmpd_notify_addfd *opts)
{
        struct seccomp_notif_addfd a = {};
        int probed = __atomic_load_n(&probe_cache, __ATOMIC_ACQUIRE);
        int r;

        if (listener_fd < 0)
                return -EBADF;
        if (!opts || opts->src_fd < 0 || opts->target_fd < -1)
                return -EINVAL;
        if (probed > 0 && !(probed & SCMPD_NOTIFY_FEATURE_ADDFD))
                return -EOPNOTSUPP;
        if (probed > 0 && opts->send && !(probed & SCMPD_NOTIFY_FEATURE_ADDFD_SEND))
                return -EOPNOTSUPP;
        a.id = id;
        a.srcfd = (uint32_t)opts->src_fd;
        if (opts->target_fd >= 0) {
                a.flags |= SECCOMP_ADDFD_FLAG_SETFD;
                a.newfd = (uint32_t)opts->target_fd;
        }
        if (opts->send)
                a.flags |= SECCOMP_ADDFD_FLAG_SEND;
        a.newfd_flags = opts->cloexec ? O_CLOEXEC : 0;
        r = ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
        if (r < 0)
                return negative_errno();
        return r;
}

_public_ int scmpd_notify_set_flags(int listener_fd, uint64_t flags)
{
        if (listener_fd < 0)
                return -EBADF;
        if (flags & ~(uint64_t)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)
                return -EINVAL;
        if (ioctl(listener_fd, NOTIF_SET_FLAGS, (unsigned long)flags) < 0)
                return errno == EINVAL ? -EOPNOTSUPP : negative_errno();
        return 0;
}

/*
 * The child side of the listener probe. Runs after fork() in a possibly multi-threaded process,
 * so it makes raw syscalls only and leaves with _exit(). The allow-all filter it installs dies
 * with it.
 */
_Noreturn static void probe_child(int sock)
{
        struct sock_filter insns[] = {
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = 1, .filter = insns };
        union {
                struct cmsghdr hdr;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        char byte = 'L';
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr msg = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = sizeof(control.buf),
        };
        struct cmsghdr *c;
        int fd;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                _exit(1);
        fd = seccomp_syscall(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        if (fd < 0)
                _exit(2);
        c = &control.hdr;
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1)
                _exit(3);
        _exit(0);
}

/* Get a throwaway listener whose filter has no remaining users. */
static int probe_listener(void)
{
        _cleanup_close_ int parent_sock = -1, child_sock = -1;
        union {
                struct cmsghdr hdr;
                char buf[CMSG_SPACE(sizeof(int) * 4)];
        } control = {};
        char byte = 0;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr msg = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = sizeof(control.buf),
        };
        struct cmsghdr *c;
        int pair[2], status, fd = -1;
        ssize_t n;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return negative_errno();
        parent_sock = pair[0];
        child_sock = pair[1];
        pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0)
                probe_child(child_sock);
        child_sock = safe_close(child_sock);
        do
                n = recvmsg(parent_sock, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (n != 1)
                return n < 0 ? negative_errno() : -EPERM;
        for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
                        int got;

                        memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (fd < 0)
                                fd = got;
                        else
                                safe_close(got);
                }
        }
        return fd >= 0 ? fd : -EPERM;
}

static int probe_now(void)
{
        _cleanup_close_ int listener = -1;
        struct seccomp_notif_addfd a = {};
        uint32_t action = SECCOMP_RET_USER_NOTIF;
        int mask = 0;

        if (seccomp_syscall(SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0)
                return 0; /* no user notification at all: nothing else can exist */
        mask |= SCMPD_NOTIFY_FEATURE_USER_NOTIF;

        /* A known filter flag fails on the NULL program with EFAULT; an unknown one with EINVAL. */
        if (seccomp_syscall(SECCOMP_SET_MODE_FILTER,
                            SECCOMP_FILTER_FLAG_NEW_LISTENER |
                                    SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
                            NULL) < 0 &&
            errno == EFAULT)
                mask |= SCMPD_NOTIFY_FEATURE_WAIT_KILLABLE_RECV;

        listener = probe_listener();
        if (listener < 0)
                return listener;

        /* An id that was never issued: known requests fail with ENOENT, unknown ones EINVAL. */
        if (respond_with(listener, UINT64_MAX, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE) == -ENOENT)
                mask |= SCMPD_NOTIFY_FEATURE_CONTINUE;
        a.id = UINT64_MAX;
        a.srcfd = (uint32_t)listener;
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) < 0 && errno == ENOENT)
                mask |= SCMPD_NOTIFY_FEATURE_ADDFD;
        a.flags = SECCOMP_ADDFD_FLAG_SEND;
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) < 0 && errno == ENOENT)
                mask |= SCMPD_NOTIFY_FEATURE_ADDFD_SEND;
        if (ioctl(listener, NOTIF_SET_FLAGS, (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) ==
            0)
                mask |= SCMPD_NOTIFY_FEATURE_SYNC_WAKE_UP;
        return mask;
}

_public_ int scmpd_notify_probe(void)
{
        int v = __atomic_load_n(&probe_cache, __ATOMIC_ACQUIRE);

        if (v != 0)
                return v < 0 ? v : v & ~PROBED;
        v = probe_now();
        if (v >= 0)
                v |= PROBED;
        __atomic_store_n(&probe_cache, v, __ATOMIC_RELEASE);
        return v < 0 ? v : v & ~PROBED;
}

_public_ int scmpd_notify_has(enum scmpd_notify_feature feature)
{
        int mask = scmpd_notify_probe();

        if (mask < 0)
                return mask;
        return (mask & (int)feature) ? 1 : 0;
}

_public_ int scmpd_notify_is_listener(int fd)
{
        char path[64], target[64];
        ssize_t n;

        if (fd < 0)
                return -EBADF;
        if (fcntl(fd, F_GETFD) < 0)
                return negative_errno();
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return negative_errno();
        target[n] = 0;
        return strcmp(target, "anon_inode:seccomp notify") == 0 ||
               strcmp(target, "anon_inode:[seccomp notify]") == 0;
}
