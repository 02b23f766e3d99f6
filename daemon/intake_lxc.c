/*
 * Intake for LXC: the seccomp notify proxy socket (lxc.seccomp.notify.proxy). Where the OCI
 * intake (intake.c) receives a listener once and scmpd then receives every notification from the
 * kernel, here the container's monitor (lxc-start) keeps the listener: it receives each
 * notification itself and forwards it to the proxy, one datagram per notification, and passes
 * the proxy's answer on to the kernel. The data flow:
 *
 *     lxc monitor --SOCK_SEQPACKET--> intake_lxc.c --lxc_msg_parse()--> fd checks
 *         --> session (one per connection, proxied: never RECV, never polled for reads)
 *         --> session_inject() --> dispatch.c --> session_respond() --> lxc_respond()
 *         --> 136-byte reply --> lxc monitor --> NOTIF_SEND
 *
 * Model: a listening SOCK_SEQPACKET socket at the configured address ("lxc_proxy"), watched by a
 * uv_poll; one connection per container monitor, each with its own poll, alive as long as the
 * monitor keeps it. The first well-formed request's notify fd becomes the connection's session
 * (ID_VALID and ADDFD work on it: it is the container's listener); later requests carry the same
 * file again, which kcmp(KCMP_FILE) confirms before the duplicate is closed. Who may connect is
 * decided as for the handoff socket (root and the policy's "handoff" peers, from SO_PEERCRED).
 *
 * The fds of /proc/<tid> and /proc/<tid>/mem that come with each request are checked to be what
 * they claim (procfs, the notification's tid) and then closed unused: an fd passed by the peer
 * is a claim, while target.c opens /proc/<tid> itself and trusts it only under NOTIF_ID_VALID on
 * the listener, the one fact in the message that the kernel vouches for.
 *
 * Invariants:
 *   - every request whose notification id can be read gets exactly one reply, at once when it is
 *     malformed or cannot be taken, else when dispatch answers it; a notification that ends
 *     without an answer (target gone, killed) is replied to with ENOSYS from the notif_released
 *     event, so that the monitor never waits for its 30 s timeout;
 *   - a request whose id cannot be read (shorter than header and id) closes the connection: LXC
 *     reconnects when its next send fails;
 *   - every fd received is closed or owned by the session on every path;
 *   - at most limits.inflight_per_listener requests of a connection are unanswered (LXC sends
 *     one at a time); more are answered ENOSYS at once;
 *   - nothing here blocks the loop except reading the monitor's /proc/<pid>/cmdline at accept
 *     (one page of the peer's own memory, for its container name).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lxc_msg.h"
#include "policy.h"
#include "socket.h"
#include "util.h"

#define LXC_ACCEPT_ROUNDS 64
#define LXC_READ_ROUNDS 64
#define CMDLINE_MAX 4096
#define REFUSED_WARNINGS 16

struct intake_lxc {
        struct daemon *d;
        char *address;
        int fd;
        struct socket_file file;
        uv_poll_t poll;
        bool polling;
        struct list_head conns;
        unsigned n_conns;
        uint64_t next_serial;
        struct daemon_observer observer;
        struct scmpd_notify_sizes kernel;
};

/* A request taken into a session and not replied to yet. */
struct lxc_pending {
        struct list_head link;
        struct lxc_msg m; /* cookie NULL: the buffer is gone */
};

struct lxc_conn {
        struct list_head link; /* intake_lxc->conns */
        struct intake_lxc *x;
        uint64_t serial;
        int fd;
        pid_t peer_pid;
        struct peer_facts peer; /* moves to the session with the first request */
        char *lxcpath, *name;   /* from the monitor's command line: claimed */
        uv_poll_t poll;
        bool closing, poll_closed;
        struct session *s; /* one reference while set */
        struct list_head pending;
        unsigned n_pending;
        unsigned n_refused; /* requests refused: the first few are warnings, the rest debug */
};

static int lxc_respond(void *data, struct session *s, const struct seccomp_notif *req, int64_t val,
                       int32_t error, uint32_t flags);

static const struct session_proxy lxc_proxy = { .respond = lxc_respond };

static void conn_free(struct lxc_conn *c)
{
        struct list_head *pos, *tmp;

        list_for_each_safe(pos, tmp, &c->pending)
        {
                list_del(pos);
                free(list_entry(pos, struct lxc_pending, link));
        }
        safe_close(c->fd);
        peer_facts_done(&c->peer);
        free(c->lxcpath);
        free(c->name);
        free(c);
}

static void conn_poll_closed(uv_handle_t *h)
{
        conn_free(h->data);
}

/* Close the connection; `why` (may be NULL) is logged. Its session closes with it: the monitor
 * that received on the listener is gone, or will send its listener again on a new connection. */
static void conn_close(struct lxc_conn *c, int level, const char *why)
{
        if (c->closing)
                return;
        c->closing = true;
        if (why)
                log_msg(level, "lxc connection %llu (peer pid %d, container %s): %s",
                        (unsigned long long)c->serial, (int)c->peer_pid, c->name ? c->name : "?",
                        why);
        list_del(&c->link);
        c->x->n_conns--;
        if (c->s) {
                struct session *s = c->s;

                c->s = NULL;
                s->proxy_data = NULL; /* answers from now on: -ENOENT, the monitor is gone */
                session_close(s, "the lxc monitor closed its proxy connection");
                session_unref(s);
        }
        uv_close((uv_handle_t *)&c->poll, conn_poll_closed);
}

static struct lxc_pending *pending_find(struct lxc_conn *c, uint64_t id)
{
        struct list_head *pos, *tmp;

        list_for_each_safe(pos, tmp, &c->pending)
        {
                struct lxc_pending *p = list_entry(pos, struct lxc_pending, link);

                if (p->m.notif.id == id)
                        return p;
        }
        return NULL;
}

/* Send the reply to `m`. 0, or a negative errno (the connection is then useless: the monitor
 * answers ENOSYS itself after its timeout, and reconnects). */
static int conn_reply(struct lxc_conn *c, const struct lxc_msg *m, int64_t val, int32_t error,
                      uint32_t flags)
{
        unsigned char out[LXC_MSG_REPLY_SIZE];
        ssize_t n;

        lxc_msg_reply(m, val, error, flags, out);
        n = send(c->fd, out, sizeof(out), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n == (ssize_t)sizeof(out))
                return 0;
        return n < 0 ? negative_errno() : -EIO;
}

/* A request that is not taken: reply with `err` (positive) at once and say why. */
static void conn_refuse(struct lxc_conn *c, const struct lxc_msg *m, int err, const char *why)
{
        int r;

        /* A peer that keeps sending bad requests cannot flood the log. */
        log_msg(++c->n_refused <= REFUSED_WARNINGS ? LOG_WARNING : LOG_DEBUG,
                "lxc connection %llu (peer pid %d): notification %llu refused (%s); "
                "answered %s",
                (unsigned long long)c->serial, (int)c->peer_pid, (unsigned long long)m->notif.id,
                why, err == EPERM ? "EPERM" : "ENOSYS");
        r = conn_reply(c, m, 0, -err, 0);
        if (r < 0)
                conn_close(c, LOG_WARNING, "cannot send a reply; closed");
}

static int lxc_respond(void *data, struct session *s, const struct seccomp_notif *req, int64_t val,
                       int32_t error, uint32_t flags)
{
        struct lxc_conn *c = data;
        struct lxc_pending *p;
        int r;

        if (!c || c->closing || c->s != s)
                return -ENOENT;
        p = pending_find(c, req->id);
        if (!p)
                return -ENOENT;
        if (error > 0 || error < -4095)
                error = -EPERM;
        r = conn_reply(c, &p->m, val, error, flags);
        list_del(&p->link);
        free(p);
        c->n_pending--;
        if (r < 0)
                log_session(LOG_WARNING, s, "cannot send the answer to the lxc monitor: %s",
                            strerror(-r));
        return r;
}

/* A notification of an lxc session ended. If it was never answered (its target went away, or
 * was killed), the monitor still waits for a reply: give it one. */
static void on_notif_released(void *userdata, const struct session *s, uint64_t id)
{
        struct lxc_conn *c;
        struct lxc_pending *p;

        (void)userdata;
        if (s->proxy != &lxc_proxy || !(c = s->proxy_data) || c->closing)
                return;
        p = pending_find(c, id);
        if (!p)
                return;
        list_del(&p->link);
        c->n_pending--;
        (void)conn_reply(c, &p->m, 0, -ENOSYS, 0);
        free(p);
}

/* Is fd a procfs object at "/proc/<tid>" + `suffix`, of type `mode` (S_IFDIR, S_IFREG)? */
static bool proc_fd_is(int fd, pid_t tid, const char *suffix, mode_t mode)
{
        char link[64], want[64], target[128];
        struct statfs sfs;
        struct stat st;
        ssize_t n;

        if (fstat(fd, &st) < 0 || (st.st_mode & S_IFMT) != mode)
                return false;
        if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
                return false;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof(target) - 1);
        if (n < 0)
                return false;
        target[n] = '\0';
        snprintf(want, sizeof(want), "/proc/%d%s", (int)tid, suffix);
        return strcmp(target, want) == 0;
}

/* Do fds a and b of this process refer to the same open file? 1 yes, 0 no, negative errno. */
static int same_file(int a, int b)
{
        pid_t self = getpid();
        long r = syscall(SYS_kcmp, self, self, KCMP_FILE, a, b);

        if (r < 0)
                return negative_errno();
        return r == 0;
}

/* An option's value in argv: "-n X", "-nX", "--name X", "--name=X". */
static const char *arg_value(char **argv, int argc, int *i, const char *s, const char *l)
{
        size_t ll = strlen(l);

        if (strcmp(argv[*i], s) == 0 || strcmp(argv[*i], l) == 0)
                return *i + 1 < argc ? argv[++*i] : NULL;
        if (strncmp(argv[*i], s, 2) == 0 && argv[*i][2] && argv[*i][1] != '-')
                return argv[*i] + 2;
        if (strncmp(argv[*i], l, ll) == 0 && argv[*i][ll] == '=')
                return argv[*i] + ll + 1;
        return NULL;
}

/*
 * The container's name and lxcpath from the monitor's command line: "[lxc monitor] LXCPATH
 * NAME" for a daemonized container, or lxc-start's (lxc-execute's) own arguments "-P LXCPATH
 * -n NAME" in the foreground. The peer writes its own command line, so both are its claim, and
 * are kept only as labels for policies to match, like the OCI payload's container id.
 */
static void read_monitor_name(struct lxc_conn *c)
{
        static const char prefix[] = "[lxc monitor] ";
        char path[64], buf[CMDLINE_MAX + 1], *argv[64];
        _cleanup_close_ int fd = -1;
        const char *name = NULL, *lxcpath = NULL, *base;
        int argc = 0;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)c->peer_pid);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return;
        n = read(fd, buf, CMDLINE_MAX);
        if (n <= 0)
                return;
        buf[n] = '\0';
        if (strncmp(buf, prefix, sizeof(prefix) - 1) == 0) {
                char *sp;

                for (ssize_t i = 0; i < n; i++)
                        if (buf[i] == '\0')
                                buf[i] = ' ';
                while (n > 0 && buf[n - 1] == ' ')
                        buf[--n] = '\0';
                sp = strrchr(buf, ' ');
                if (!sp || sp < buf + sizeof(prefix) - 1 || !sp[1])
                        return;
                *sp = '\0';
                name = sp + 1;
                lxcpath = buf + sizeof(prefix) - 1;
        } else {
                for (char *p = buf; p < buf + n && argc < (int)ELEMENTSOF(argv); p += strlen(p) + 1)
                        argv[argc++] = p;
                if (argc == 0)
                        return;
                base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
                if (strcmp(base, "lxc-start") != 0 && strcmp(base, "lxc-execute") != 0)
                        return;
                for (int i = 1; i < argc; i++) {
                        const char *v;

                        if (strcmp(argv[i], "--") == 0)
                                break;
                        if ((v = arg_value(argv, argc, &i, "-n", "--name")))
                                name = v;
                        else if ((v = arg_value(argv, argc, &i, "-P", "--lxcpath")))
                                lxcpath = v;
                }
        }
        if (name && name[0])
                c->name = strndup(name, 256);
        if (lxcpath && lxcpath[0])
                c->lxcpath = strndup(lxcpath, 1024);
}

/* What the session's policy can match: the cookie as metadata, the monitor's container name
 * as the container id (claims, like an OCI payload), "lxc" as the status. */
static int origin_new(struct lxc_conn *c, const struct lxc_msg *m, struct scmpd_handoff_state **ret)
{
        struct scmpd_handoff_state *o = calloc(1, sizeof(*o));

        if (!o)
                return -ENOMEM;
        o->pid = m->init_pid > 0 ? m->init_pid : 0;
        o->state_pid = o->pid;
        o->status = strdup("lxc");
        o->metadata = strndup(m->cookie, m->cookie_len);
        if (c->name)
                o->id = strdup(c->name);
        if (c->lxcpath)
                o->bundle = strdup(c->lxcpath);
        if (!o->status || !o->metadata || (c->name && !o->id) || (c->lxcpath && !o->bundle)) {
                scmpd_handoff_state_free(o);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}

/* A well-formed request with its 3 fds (consumed). */
static void conn_take(struct lxc_conn *c, const struct lxc_msg *m, int fds[LXC_MSG_FDS])
{
        struct daemon *d = c->x->d;
        struct lxc_pending *p;
        const char *why = NULL;
        int r;

        if (!proc_fd_is(fds[0], (pid_t)m->notif.pid, "", S_IFDIR))
                why = "fd 1 is not /proc/<tid> of the notification";
        else if (!proc_fd_is(fds[1], (pid_t)m->notif.pid, "/mem", S_IFREG))
                why = "fd 2 is not /proc/<tid>/mem of the notification";
        else if (scmpd_notify_is_listener(fds[2]) <= 0)
                why = "fd 3 is not a seccomp listener";
        /* Checked, and not used further: target.c opens /proc/<tid> itself under ID_VALID. */
        fds[0] = safe_close(fds[0]);
        fds[1] = safe_close(fds[1]);
        if (why) {
                safe_close(fds[2]);
                conn_refuse(c, m, EPERM, why);
                return;
        }
        if (!c->s) {
                struct scmpd_handoff_state *origin = NULL;
                struct session *s;

                r = origin_new(c, m, &origin);
                if (r < 0) {
                        safe_close(fds[2]);
                        conn_refuse(c, m, ENOSYS, "out of memory");
                        return;
                }
                r = session_new_proxied(d, fds[2], origin, &c->peer, &lxc_proxy, c, &s);
                if (r < 0) {
                        conn_refuse(c, m, ENOSYS,
                                    r == -EMFILE ? "too many listeners" : "cannot serve it");
                        conn_close(c, LOG_WARNING, "no session; closed (the monitor reconnects)");
                        return;
                }
                session_set_runtime(s, "lxc");
                s->refs++;
                c->s = s;
        } else {
                r = same_file(c->s->fd, fds[2]);
                safe_close(fds[2]);
                if (r != 1) {
                        conn_refuse(c, m, EPERM,
                                    r < 0 ? "cannot compare its listener with the session's"
                                          : "a different listener than the connection's first");
                        return;
                }
        }
        /* The one fact the kernel vouches for: the notification is pending on this listener. */
        if (scmpd_notify_id_valid(c->s->fd, m->notif.id) < 0) {
                conn_refuse(c, m, ENOSYS, "no such notification pending on its listener");
                return;
        }
        if (pending_find(c, m->notif.id)) {
                conn_refuse(c, m, EPERM, "that notification is already being answered");
                return;
        }
        if (c->n_pending >= d->config->limits.inflight_per_listener) {
                conn_refuse(c, m, ENOSYS, "too many notifications in flight");
                return;
        }
        p = calloc(1, sizeof(*p));
        if (!p) {
                conn_refuse(c, m, ENOSYS, "out of memory");
                return;
        }
        p->m = *m;
        p->m.cookie = NULL;
        list_add_tail(&p->link, &c->pending);
        c->n_pending++;
        d->n_notifications++;
        r = session_inject(c->s, &m->notif);
        if (r < 0) {
                list_del(&p->link);
                c->n_pending--;
                free(p);
                conn_refuse(c, m, ENOSYS,
                            r == -ESHUTDOWN ? "its listener is closing" : "no memory");
        }
}

/* Read one datagram; false when there is nothing more to read now (or the connection closed). */
static bool conn_read_one(struct lxc_conn *c)
{
        static unsigned char buf[LXC_MSG_MAX_SIZE + 1];
        union {
                struct cmsghdr hdr;
                char b[CMSG_SPACE(sizeof(int) * LXC_MSG_FDS)];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        int fds[LXC_MSG_FDS + 1];
        size_t n_fds = 0;
        struct lxc_msg m;
        const char *why = NULL;
        ssize_t n;
        int r;

        msg.msg_control = control.b;
        msg.msg_controllen = sizeof(control.b);
        n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return false;
                conn_close(c, LOG_WARNING, "receive failed; closed");
                return false;
        }
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
                size_t k;

                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k; i++) {
                        int fd;

                        memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
                        if (n_fds < ELEMENTSOF(fds))
                                fds[n_fds++] = fd;
                        else
                                safe_close(fd);
                }
        }
        if (n == 0 && n_fds == 0) {
                conn_close(c, LOG_INFO, "the monitor closed the connection");
                return false;
        }
        r = lxc_msg_parse(buf, (size_t)n, msg.msg_flags, n_fds, &c->x->kernel, &m, &why);
        if (r < 0) {
                for (size_t i = 0; i < n_fds; i++)
                        safe_close(fds[i]);
                if (r == -EPROTO || !m.id_known) {
                        char text[160];

                        snprintf(text, sizeof(text),
                                 "request without a notification id (%s); "
                                 "closed",
                                 why ? why : "malformed");
                        conn_close(c, LOG_WARNING, text);
                        return false;
                }
                conn_refuse(c, &m, ENOSYS, why ? why : "malformed");
                return !c->closing;
        }
        conn_take(c, &m, fds);
        return !c->closing;
}

static void conn_on_poll(uv_poll_t *h, int status, int events)
{
        struct lxc_conn *c = h->data;

        (void)events;
        if (c->closing)
                return;
        if (status < 0) {
                conn_close(c, LOG_WARNING, "socket error; closed");
                return;
        }
        for (int i = 0; i < LXC_READ_ROUNDS && conn_read_one(c); i++)
                ;
}

static void lxc_on_accept(uv_poll_t *h, int status, int events)
{
        struct intake_lxc *x = h->data;
        struct daemon *d = x->d;

        (void)status;
        (void)events;
        for (int i = 0; i < LXC_ACCEPT_ROUNDS; i++) {
                struct peer_facts peer = PEER_FACTS_UNKNOWN;
                struct ucred cred = {};
                socklen_t clen = sizeof(cred);
                struct lxc_conn *c;
                int fd;

                fd = accept4(x->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0) {
                        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                log_warning("accept on the lxc proxy socket failed: %s",
                                            strerror(errno));
                        return;
                }
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
                        peer.known = true;
                        peer.uid = cred.uid;
                        peer.gid = cred.gid;
                        peer.groups = socket_peer_groups(fd, &peer.n_groups);
                }
                if (!intake_peer_allowed(d->config, &peer)) {
                        log_warning("lxc connection from pid %d uid %d refused: only root and "
                                    "the uids and groups of \"handoff\" in the policy may hand "
                                    "over listeners",
                                    (int)cred.pid, peer.known ? (int)peer.uid : -1);
                        peer_facts_done(&peer);
                        safe_close(fd);
                        continue;
                }
                /* Each connection is a container's monitor and becomes a session. */
                if (x->n_conns >= d->config->limits.listeners) {
                        log_warning("lxc connection from pid %d refused: %u open already "
                                    "(limits.listeners)",
                                    (int)cred.pid, x->n_conns);
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
                c->x = x;
                c->fd = fd;
                c->peer = peer;
                c->peer_pid = cred.pid;
                c->serial = ++x->next_serial;
                list_init(&c->pending);
                if (uv_poll_init(d->loop, &c->poll, fd) < 0) {
                        c->fd = safe_close(c->fd);
                        conn_free(c);
                        continue;
                }
                c->poll.data = c;
                read_monitor_name(c);
                list_add_tail(&c->link, &x->conns);
                x->n_conns++;
                uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, conn_on_poll);
                log_info("lxc connection %llu from pid %d uid %u: container %s",
                         (unsigned long long)c->serial, (int)cred.pid, (unsigned)peer.uid,
                         c->name ? c->name : "(name unknown)");
        }
}

int intake_lxc_start(struct daemon *d, const char *address)
{
        struct intake_lxc *x;
        pid_t owner = 0;
        int r;

        if (!address)
                return 0;
        x = calloc(1, sizeof(*x));
        if (!x)
                return -ENOMEM;
        x->d = d;
        x->fd = -1;
        list_init(&x->conns);
        r = scmpd_notify_sizes(&x->kernel);
        if (r < 0)
                goto fail;
        x->address = strdup(address);
        if (!x->address) {
                r = -ENOMEM;
                goto fail;
        }
        /* Owner only, like the handoff socket: lxc-start runs as root. */
        r = socket_listen_path_type(address, SOCK_SEQPACKET, SOMAXCONN, 0077, &x->fd, &x->file,
                                    &owner);
        if (r < 0) {
                if (r == -EADDRINUSE && owner > 0)
                        log_error("lxc proxy socket %s is in use by pid %d: another scmpd serves "
                                  "it; not taking it over",
                                  address, (int)owner);
                else if (r == -EADDRINUSE)
                        log_error("lxc proxy socket %s is in use by another process; not taking "
                                  "it over",
                                  address);
                goto fail;
        }
        r = uv_poll_init(d->loop, &x->poll, x->fd);
        if (r < 0) {
                (void)socket_unlink_if_ours(address, &x->file);
                goto fail;
        }
        x->poll.data = x;
        x->polling = true;
        x->observer =
                (struct daemon_observer){ .userdata = x, .notif_released = on_notif_released };
        daemon_observe(d, &x->observer);
        d->lxc = x;
        uv_poll_start(&x->poll, UV_READABLE, lxc_on_accept);
        log_info("lxc proxy socket %s: listening", address);
        return 0;
fail:
        safe_close(x->fd);
        free(x->address);
        free(x);
        return r;
}

void intake_lxc_stop(struct daemon *d)
{
        struct intake_lxc *x = d->lxc;
        struct list_head *pos, *tmp;

        if (!x)
                return;
        if (x->polling) {
                uv_close((uv_handle_t *)&x->poll, NULL);
                x->polling = false;
        }
        if (x->fd >= 0) {
                x->fd = safe_close(x->fd);
                (void)socket_unlink_if_ours(x->address, &x->file);
        }
        /* Notifications in flight are answered ENOSYS (on_notif_released cannot reach a closed
         * connection): the monitor would do the same once the connection breaks. */
        list_for_each_safe(pos, tmp, &x->conns)
        {
                struct lxc_conn *c = list_entry(pos, struct lxc_conn, link);
                struct list_head *p, *t;

                list_for_each_safe(p, t, &c->pending)
                {
                        struct lxc_pending *e = list_entry(p, struct lxc_pending, link);

                        (void)conn_reply(c, &e->m, 0, -ENOSYS, 0);
                        list_del(p);
                        free(e);
                }
                c->n_pending = 0;
                conn_close(c, LOG_DEBUG, NULL);
        }
}

void intake_lxc_free(struct daemon *d)
{
        struct intake_lxc *x = d->lxc;

        if (!x)
                return;
        if (x->fd >= 0) { /* a start that failed later: never stopped */
                x->fd = safe_close(x->fd);
                (void)socket_unlink_if_ours(x->address, &x->file);
        }
        /* Handles still in the loop (not stopped): the process is exiting, leave them be. */
        if (x->polling || !list_empty(&x->conns))
                return;
        daemon_unobserve(&x->observer);
        free(x->address);
        free(x);
        d->lxc = NULL;
}
