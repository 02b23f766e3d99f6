/*
 * libscmpd: seccomp user-notification primitives.
 *
 * A listener fd (SECCOMP_FILTER_FLAG_NEW_LISTENER) delivers one notification per trapped
 * syscall. The supervisor receives it, may inspect the target, and answers it exactly once:
 * with a return value, an error, or "continue" (let the kernel run the syscall). These calls are
 * thin, checked wrappers around the seccomp(2) and ioctl(2) interfaces in seccomp_unotify(2):
 *
 *   - buffers are sized with SECCOMP_GET_NOTIF_SIZES (the kernel's structures may grow), and
 *     scmpd_notify_receive() zeroes the request before every RECV, as kernels since 5.5 demand;
 *   - -ENOENT from receive, respond, id_valid or addfd means the target is gone or its syscall
 *     was interrupted: it is an outcome, not a failure of the caller;
 *   - errors are always 0 or a negative errno; nothing here prints, logs or blocks except
 *     scmpd_notify_receive() on a listener that is not readable (drive it from poll).
 *
 * The structures are the kernel's own (<linux/seccomp.h>), so the drop-in libseccomp layer can
 * pass its callers' buffers straight through.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/seccomp.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Constants newer than some installed kernel headers; the values are the kernel ABI. */
#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SETFD
#define SECCOMP_ADDFD_FLAG_SETFD (1UL << 0)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* The sizes the running kernel uses for its notification structures. */
struct scmpd_notify_sizes {
        uint16_t notif;        /* struct seccomp_notif */
        uint16_t resp;         /* struct seccomp_notif_resp */
        uint16_t seccomp_data; /* struct seccomp_data */
};

/* The kernel's sizes (SECCOMP_GET_NOTIF_SIZES), queried once and cached. -ENOSYS/-EINVAL if the
 * kernel has no user notification. */
int scmpd_notify_sizes(struct scmpd_notify_sizes *ret_sizes);

/*
 * Allocate a zeroed request and response buffer, each at least as large as both the kernel's
 * size and this header's structure. Either output may be NULL if not wanted. Free with
 * scmpd_notify_free() (or free()).
 */
int scmpd_notify_alloc(struct seccomp_notif **ret_req, struct seccomp_notif_resp **ret_resp);
void scmpd_notify_free(struct seccomp_notif *req, struct seccomp_notif_resp *resp);

/*
 * Receive one notification into `req` (a buffer from scmpd_notify_alloc()), zeroing it first.
 * Blocks while no notification is pending, so call it only when poll says the fd is readable.
 * -ENOENT: the target was interrupted or died between poll and receive (try again later);
 * -EINTR: a signal; -EBADF/-EINVAL/-ENOTTY: not a listener.
 */
int scmpd_notify_receive(int listener_fd, struct seccomp_notif *req);

/*
 * Send a response. `resp->error` must be 0 or a negative errno; with
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE, error and val must both be 0 (-EINVAL otherwise, checked
 * here before the kernel sees it). -ENOENT: the target is gone or was interrupted (the answer is
 * dropped); -EINPROGRESS: already answered.
 */
int scmpd_notify_respond(int listener_fd, const struct seccomp_notif_resp *resp);

/* Conveniences for the three kinds of answer. `err` is a positive errno value (1..4095). */
int scmpd_notify_respond_value(int listener_fd, uint64_t id, int64_t val);
int scmpd_notify_respond_errno(int listener_fd, uint64_t id, int err);
int scmpd_notify_respond_continue(int listener_fd, uint64_t id);

/*
 * Is notification `id` still pending (its target alive and still in that syscall)? 0 yes,
 * -ENOENT no, another negative errno on failure. Uses the current ioctl number and falls back to
 * the pre-5.17 wrong-direction number on kernels that reject the current one.
 */
int scmpd_notify_id_valid(int listener_fd, uint64_t id);

/* Options for scmpd_notify_addfd(). */
struct scmpd_notify_addfd {
        int src_fd;    /* borrowed: the supervisor's fd to install in the target */
        int target_fd; /* the number to use in the target, or -1 for the lowest free */
        bool cloexec;  /* set O_CLOEXEC on the target's copy */
        bool send;     /* SECCOMP_ADDFD_FLAG_SEND: also answer the syscall with the new
                        * fd number, atomically (5.14+) */
};

/*
 * Install a copy of `opts->src_fd` into the target of notification `id` (5.9+). Returns the fd
 * number in the target (>= 0). -ENOENT: target gone; -EINPROGRESS: not received yet or already
 * answered; -EBUSY: with `send` while other addfds are pending; -EBADF: the target's fd limit;
 * -EOPNOTSUPP: the kernel lacks the feature.
 */
int scmpd_notify_addfd(int listener_fd, uint64_t id, const struct scmpd_notify_addfd *opts);

/*
 * Set listener flags (SECCOMP_IOCTL_NOTIF_SET_FLAGS, 6.6+). The only flag is
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: wake the target on the supervisor's CPU, which cuts the
 * round trip when the supervisor answers at once. -EOPNOTSUPP if the kernel lacks the ioctl.
 */
int scmpd_notify_set_flags(int listener_fd, uint64_t flags);

/* Kernel features the notification path can use; probed once and cached. */
enum scmpd_notify_feature {
        SCMPD_NOTIFY_FEATURE_USER_NOTIF = 1U << 0,         /* 5.0: SECCOMP_RET_USER_NOTIF */
        SCMPD_NOTIFY_FEATURE_CONTINUE = 1U << 1,           /* 5.5: FLAG_CONTINUE */
        SCMPD_NOTIFY_FEATURE_ADDFD = 1U << 2,              /* 5.9: NOTIF_ADDFD */
        SCMPD_NOTIFY_FEATURE_ADDFD_SEND = 1U << 3,         /* 5.14: ADDFD_FLAG_SEND */
        SCMPD_NOTIFY_FEATURE_WAIT_KILLABLE_RECV = 1U << 4, /* 5.19: filter flag */
        SCMPD_NOTIFY_FEATURE_SYNC_WAKE_UP = 1U << 5,       /* 6.6: NOTIF_SET_FLAGS */
};

/*
 * Probe the running kernel once (later calls return the cached answer) and return the set of
 * supported features as a mask of enum scmpd_notify_feature (>= 0), or a negative errno if the
 * probe itself failed. Probing the ioctls needs a throwaway listener: a short-lived forked child
 * installs an allow-all filter with NEW_LISTENER and passes the listener back over a socketpair;
 * the caller's own process gets no filter. Thread-safe.
 */
int scmpd_notify_probe(void);

/* 1 if the kernel supports `feature` (one bit), 0 if not, negative errno if probing failed. */
int scmpd_notify_has(enum scmpd_notify_feature feature);

/*
 * Is `fd` a seccomp listener? Checks that it is an anonymous inode named
 * "[seccomp notify]" / "anon_inode:seccomp notify" via /proc/self/fd. 1 yes, 0 no (some other
 * kind of fd), negative errno if it cannot be examined (-EBADF for a closed fd).
 */
int scmpd_notify_is_listener(int fd);

#ifdef __cplusplus
}
#endif
