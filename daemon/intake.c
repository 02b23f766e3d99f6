/*
 * Intake: the handoff socket, where runtimes (runc, crun), `scmpctl run` and library users hand
 * a listener fd to scmpd with the OCI listenerPath protocol (scmpd/handoff.h).
 *
 * Model: an AF_UNIX SOCK_STREAM socket, non-blocking, watched by a uv_poll. Each accepted
 * connection gets its own poll and a timer, and collects bytes and SCM_RIGHTS fds until the JSON
 * object is complete. It never waits for EOF: runtimes keep the connection open until they exit.
 * Once complete, the payload is parsed, the one fd named "seccompFd" is checked to be a seccomp
 * listener and becomes a session; every other fd is closed, and so is the connection.
 *
 * Every resource a peer controls is bounded: connections at once (root peers: limits.connections,
 * beyond it they wait in the kernel's backlog until one ends; any other user: a few at once and
 * limits.connections together, beyond that refused, so that no user can make a container start
 * wait), bytes (limits.max_message_bytes), fds (SCMPD_HANDOFF_MAX_FDS, and MSG_CTRUNC is fatal),
 * time (limits.handoff_timeout_ms). A bad connection is logged once, with the reason, and closed;
 * it cannot affect another connection or any session. Before any of that, the peer's kernel-given
 * credentials must be root's or listed in the policy's "handoff" member (intake_peer_allowed()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy.h"
#include "socket.h"
#include "util.h"

#define READ_CHUNK 65536
/* Handoff connections one non-root user may hold open at once (see intake_peer_has_room()). */
#define PEER_CONNECTIONS_MAX 4

struct conn {
        struct list_head link;
        struct daemon *d;
        uint64_t serial;
        int fd;
        pid_t peer_pid;
        struct peer_facts peer; /* SO_PEERCRED and SO_PEERGROUPS at accept; moves to the session */
        bool root;              /* counted in d->n_root_conns */
        uid_t uid;
        uv_poll_t poll;
        uv_timer_t timer;
        int open_handles;
        bool closing;
        char *buf;
        size_t len, cap;
        int fds[SCMPD_HANDOFF_MAX_FDS];
        size_t n_fds;
};

static uint64_t conn_serial;

static void intake_on_poll(uv_poll_t *h, int status, int events);

/* At the connection limit, stop accepting: further peers wait in the kernel's backlog (their
 * payload is buffered there) instead of being refused. Resume when a connection ends. */
static void intake_pause(struct daemon *d, bool pause)
{
        if (!d->listen_polling || d->listen_paused == pause)
                return;
        d->listen_paused = pause;
        if (pause)
                uv_poll_stop(&d->listen_poll);
        else
                uv_poll_start(&d->listen_poll, UV_READABLE, intake_on_poll);
}

/* Out of fds (EMFILE, ENFILE): the listening socket stays readable, so accepting again at once
 * would spin. Pause for a moment instead (the peers wait in the backlog; the listeners already
 * served are untouched), with one warning per episode. */
static uv_timer_t fd_retry;
static bool fd_retry_ready, fd_retry_warned;

static void intake_fd_retry(uv_timer_t *t)
{
        intake_pause(t->data, false);
}

static void intake_out_of_fds(struct daemon *d, int err)
{
        if (!fd_retry_warned)
                log_warning("accept on the handoff socket failed: %s; new listeners wait until "
                            "fds are free",
                            strerror(err));
        fd_retry_warned = true;
        if (!fd_retry_ready) {
                uv_timer_init(d->loop, &fd_retry);
                fd_retry.data = d;
                fd_retry_ready = true;
        }
        intake_pause(d, true);
        uv_timer_start(&fd_retry, intake_fd_retry, 100, 0);
}

static void conn_handle_closed(uv_handle_t *h)
{
        struct conn *c = h->data;

        if (--c->open_handles > 0)
                return;
        safe_close(c->fd);
        for (size_t i = 0; i < c->n_fds; i++)
                safe_close(c->fds[i]);
        peer_facts_done(&c->peer);
        free(c->buf);
        free(c);
}

/* Close the connection; `level`/`why` are logged once (why == NULL: quietly). */
static void conn_close(struct conn *c, int level, const char *why)
{
        if (c->closing)
                return;
        c->closing = true;
        if (why)
                log_msg(level, "handoff connection %llu (peer pid %d): %s",
                        (unsigned long long)c->serial, (int)c->peer_pid, why);
        list_del(&c->link);
        c->d->n_conns--;
        if (c->root)
                c->d->n_root_conns--;
        if (c->d->n_root_conns < c->d->config->limits.connections)
                intake_pause(c->d, false);
        uv_close((uv_handle_t *)&c->poll, conn_handle_closed);
        uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
}

static void conn_timeout(uv_timer_t *t)
{
        struct conn *c = t->data;

        conn_close(c, LOG_WARNING,
                   c->len ? "timed out before the payload was complete; closed"
                          : "timed out without sending anything; closed");
}

/* The payload is complete: validate it and turn its listener into a session. */
static void conn_complete(struct conn *c)
{
        struct scmpd_handoff_state *state = NULL;
        const char *reason = NULL;
        char msg[256];
        int listener, r;

        r = scmpd_handoff_parse(c->buf, c->len, c->n_fds, &state, &reason);
        if (r < 0) {
                snprintf(msg, sizeof(msg), "invalid payload (%s); closed",
                         reason ? reason : strerror(-r));
                conn_close(c, LOG_WARNING, msg);
                return;
        }
        listener = c->fds[state->seccomp_fd_index];
        r = scmpd_notify_is_listener(listener);
        if (r <= 0) {
                snprintf(msg, sizeof(msg),
                         "the fd named seccompFd is not a seccomp listener%s%s; closed",
                         r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
                scmpd_handoff_state_free(state);
                conn_close(c, LOG_WARNING, msg);
                return;
        }
        /* Keep the listener; every other fd is closed with the connection. */
        c->fds[state->seccomp_fd_index] = c->fds[--c->n_fds];
        log_msg(LOG_DEBUG, "handoff connection %llu: listener for pid %d, container %s",
                (unsigned long long)c->serial, (int)state->pid, state->id ? state->id : "-");
        r = session_new(c->d, listener, state, &c->peer, 0, NULL);
        if (r < 0) {
                snprintf(msg, sizeof(msg), "cannot serve the listener: %s; closed",
                         r == -EMFILE ? "too many listeners" : strerror(-r));
                conn_close(c, LOG_WARNING, msg);
                return;
        }
        conn_close(c, LOG_DEBUG, NULL);
}

/* Keep the fds a message carried; -EMFILE (and every fd beyond the limit closed) when there are
 * more than SCMPD_HANDOFF_MAX_FDS in all. */
static int take_fds(struct conn *c, struct msghdr *msg)
{
        int r = 0;

        for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
                size_t n;

                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < n; i++) {
                        int fd;

                        memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
                        if (c->n_fds >= SCMPD_HANDOFF_MAX_FDS) {
                                safe_close(fd);
                                r = -EMFILE;
                        } else {
                                c->fds[c->n_fds++] = fd;
                        }
                }
        }
        return r;
}

static void conn_on_poll(uv_poll_t *h, int status, int events)
{
        struct conn *c = h->data;
        size_t max = c->d->config->limits.max_message_bytes;

        if (c->closing)
                return;
        if (status < 0) {
                conn_close(c, LOG_WARNING, "socket error; closed");
                return;
        }
        for (int rounds = 0; rounds < 64; rounds++) {
                union {
                        struct cmsghdr hdr;
                        char b[CMSG_SPACE(sizeof(int) * SCMPD_HANDOFF_MAX_FDS)];
                } control;
                struct iovec iov;
                struct msghdr msg = {};
                size_t had_fds = c->n_fds;
                ssize_t n, done;

                if (c->cap - c->len < 1) {
                        size_t ncap = c->cap + READ_CHUNK;
                        char *nb;

                        if (ncap > max + 1)
                                ncap = max + 1;
                        if (ncap <= c->len) {
                                conn_close(c, LOG_WARNING, "payload larger than the limit; closed");
                                return;
                        }
                        nb = realloc(c->buf, ncap);
                        if (!nb) {
                                conn_close(c, LOG_ERR, "out of memory; closed");
                                return;
                        }
                        c->buf = nb;
                        c->cap = ncap;
                }
                iov = (struct iovec){ .iov_base = c->buf + c->len, .iov_len = c->cap - c->len };
                msg.msg_iov = &iov;
                msg.msg_iovlen = 1;
                msg.msg_control = control.b;
                msg.msg_controllen = sizeof(control.b);
                n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return;
                        conn_close(c, LOG_WARNING, "receive failed; closed");
                        return;
                }
                if (msg.msg_controllen > 0 && take_fds(c, &msg) < 0) {
                        conn_close(c, LOG_WARNING, "more fds than allowed (16); closed");
                        return;
                }
                if (msg.msg_flags & MSG_CTRUNC) {
                        conn_close(c, LOG_WARNING, "control data truncated (too many fds); closed");
                        return;
                }
                if (c->n_fds > had_fds && c->len > 0) {
                        conn_close(c, LOG_WARNING,
                                   "fds arrived after the first message, against the OCI "
                                   "protocol; closed");
                        return;
                }
                if (n == 0) {
                        conn_close(c, c->len ? LOG_WARNING : LOG_INFO,
                                   c->len ? "closed before the payload was complete"
                                          : "closed without sending anything");
                        return;
                }
                c->len += (size_t)n;
                done = scmpd_handoff_complete(c->buf, c->len);
                if (done > 0) {
                        conn_complete(c);
                        return;
                }
                if (done < 0) {
                        conn_close(c, LOG_WARNING,
                                   done == -EMSGSIZE ? "payload larger than the limit; closed"
                                                     : "not a JSON object (garbage); closed");
                        return;
                }
                if (c->len >= max) {
                        conn_close(c, LOG_WARNING, "payload larger than the limit; closed");
                        return;
                }
        }
}

/* Read the kernel's word on the peer: SO_PEERCRED (the credentials at connect()),
 * SO_PEERGROUPS (its supplementary groups) and the name of its executable now. Nothing the peer
 * sends can change them. */
static int peer_read(int fd, pid_t *ret_pid, struct peer_facts *ret)
{
        struct ucred cred = {};
        socklen_t clen = sizeof(cred);

        *ret = PEER_FACTS_UNKNOWN;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
                return negative_errno();
        ret->groups = socket_peer_groups(fd, &ret->n_groups);
        ret->known = true;
        ret->uid = cred.uid;
        ret->gid = cred.gid;
        *ret_pid = cred.pid;
        /* The executable's name, to name the runtime (runtime.c); unknown when unreadable. */
        (void)runtime_peer_exe(fd, cred.pid, ret->exe);
        return 0;
}

/*
 * Who may hand over a listener: root, and the uids and groups of the policy's "handoff" member,
 * judged on the kernel's credentials only (also for LXC's proxy socket, intake_lxc.c). A listener
 * handed over is served with root's powers against the process behind it, so an unlisted peer is
 * refused before a byte of its payload is read.
 */
bool intake_peer_allowed(const struct config *cfg, const struct peer_facts *peer)
{
        if (peer_is_root(peer))
                return true;
        if (!peer->known)
                return false;
        for (size_t i = 0; i < cfg->n_handoff_uids; i++)
                if (cfg->handoff_uids[i] == peer->uid)
                        return true;
        for (size_t i = 0; i < cfg->n_handoff_gids; i++) {
                if (cfg->handoff_gids[i] == peer->gid)
                        return true;
                for (size_t j = 0; j < peer->n_groups; j++)
                        if (peer->groups[j] == cfg->handoff_gids[i])
                                return true;
        }
        return false;
}

/*
 * Room for one more connection of this peer. Root peers (the runtimes) are bounded by
 * limits.connections and, beyond it, wait in the backlog. Everyone else may hold
 * PEER_CONNECTIONS_MAX connections at once per uid, and limits.connections together; beyond
 * that a connection is refused at once. So no unprivileged peer can fill the slots or the
 * backlog that a container start waits on.
 */
static bool intake_peer_has_room(struct daemon *d, const struct peer_facts *peer)
{
        struct list_head *pos, *tmp;
        unsigned same = 0;

        if (peer_is_root(peer))
                return true;
        if (d->n_conns - d->n_root_conns >= d->config->limits.connections)
                return false;
        list_for_each_safe(pos, tmp, &d->conns)
        {
                struct conn *c = list_entry(pos, struct conn, link);

                if (!c->root && c->uid == peer->uid)
                        same++;
        }
        return same < PEER_CONNECTIONS_MAX;
}

static void intake_on_poll(uv_poll_t *h, int status, int events)
{
        struct daemon *d = h->data;

        for (int i = 0; i < 64; i++) {
                struct peer_facts peer = PEER_FACTS_UNKNOWN;
                pid_t pid = 0;
                struct conn *c;
                int fd;

                if (d->n_root_conns >= d->config->limits.connections) {
                        log_debug("%u handoff connections of root open: the rest wait in the "
                                  "backlog",
                                  d->n_root_conns);
                        intake_pause(d, true);
                        return;
                }

                fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
                        intake_out_of_fds(d, errno);
                        return;
                }
                if (fd >= 0)
                        fd_retry_warned = false;
                if (fd < 0) {
                        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                log_warning("accept on the handoff socket failed: %s",
                                            strerror(errno));
                        return;
                }
                /* A peer whose credentials cannot be read is refused like an unlisted one. */
                if (peer_read(fd, &pid, &peer) < 0 || !intake_peer_allowed(d->config, &peer)) {
                        log_warning("handoff connection from pid %d uid %d gid %d refused: only "
                                    "root and the uids and groups of \"handoff\" in the policy "
                                    "may hand over listeners",
                                    (int)pid, peer.known ? (int)peer.uid : -1,
                                    peer.known ? (int)peer.gid : -1);
                        peer_facts_done(&peer);
                        safe_close(fd);
                        continue;
                }
                if (!intake_peer_has_room(d, &peer)) {
                        log_warning("handoff connection from pid %d uid %u refused: that user "
                                    "has %d connections open already",
                                    (int)pid, (unsigned)peer.uid, PEER_CONNECTIONS_MAX);
                        peer_facts_done(&peer);
                        safe_close(fd);
                        continue;
                }
                c = calloc(1, sizeof(*c));
                if (!c) {
                        peer_facts_done(&peer);
                        safe_close(fd);
                        continue;
                }
                c->d = d;
                c->fd = fd;
                c->peer_pid = pid;
                c->peer = peer;
                c->root = peer_is_root(&peer);
                c->uid = peer.uid;
                c->serial = ++conn_serial;
                if (uv_poll_init(d->loop, &c->poll, fd) < 0) {
                        peer_facts_done(&c->peer);
                        safe_close(fd);
                        free(c);
                        continue;
                }
                uv_timer_init(d->loop, &c->timer);
                c->poll.data = c;
                c->timer.data = c;
                c->open_handles = 2;
                list_add_tail(&c->link, &d->conns);
                d->n_conns++;
                if (c->root)
                        d->n_root_conns++;
                uv_poll_start(&c->poll, UV_READABLE, conn_on_poll);
                uv_timer_start(&c->timer, conn_timeout, d->config->limits.handoff_timeout_ms, 0);
                log_debug("handoff connection %llu from pid %d uid %u exe %s",
                          (unsigned long long)c->serial, (int)pid, (unsigned)peer.uid,
                          peer.exe[0] ? peer.exe : "?");
        }
}

int intake_start(struct daemon *d)
{
        int r;

        list_init(&d->conns);
        if (d->listen_fd < 0) { /* else socket activation gave it to us */
                /* Owner only; the unit's SocketMode= or an operator opens it further. */
                r = socket_listen_path(d->listen_path, SOMAXCONN, 0077, &d->listen_fd,
                                       &d->listen_file, &d->listen_owner);
                if (r < 0)
                        return r;
        }
        r = uv_poll_init(d->loop, &d->listen_poll, d->listen_fd);
        if (r < 0)
                return r;
        d->listen_poll.data = d;
        d->listen_polling = true;
        return uv_poll_start(&d->listen_poll, UV_READABLE, intake_on_poll);
}

void intake_stop(struct daemon *d)
{
        struct list_head *pos, *tmp;

        if (fd_retry_ready) {
                uv_close((uv_handle_t *)&fd_retry, NULL);
                fd_retry_ready = false;
        }
        if (d->listen_polling) {
                d->listen_paused = false;
                uv_close((uv_handle_t *)&d->listen_poll, NULL);
                d->listen_polling = false;
        }
        if (d->listen_fd >= 0) {
                d->listen_fd = safe_close(d->listen_fd);
                if (!d->listen_activated)
                        (void)socket_unlink_if_ours(d->listen_path, &d->listen_file);
        }
        list_for_each_safe(pos, tmp, &d->conns)
                conn_close(list_entry(pos, struct conn, link), LOG_DEBUG, NULL);
}
