/*
 * A session is one seccomp listener fd, from the handoff that brought it to the hang-up that
 * ends it.
 *
 * Model: a uv_poll on the fd asks for READABLE and DISCONNECT. The kernel signals POLLIN while a
 * notification waits and POLLHUP once no task uses the filter any more; libuv reports a bare
 * POLLHUP as READABLE|DISCONNECT, so DISCONNECT is checked first and a RECV is issued only on a
 * genuine POLLIN (a RECV after the last target exited would block forever). The poll is
 * level-triggered, so the loop comes back while more are pending; when epoll reports one listener
 * at a time, the callback also receives what arrived while it answered (session_drain(): each
 * further RECV only after poll() with a zero timeout saw POLLIN, never a blocking one).
 *
 * Wake-ups: with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP the kernel runs the target an answer wakes on
 * the answering CPU, as the next task there. That is the fastest round trip while the loop serves
 * one listener at a time (target and loop take turns on one CPU, no cross-CPU wake-up), and the
 * slowest while it serves many: every busy target is pulled onto the loop's CPU and the other
 * CPUs idle (measured with 16 to 1024 busy listeners on two CPUs: half the throughput). So the
 * flag follows the traffic (wake_mode_update()): on while the received notifications come from
 * one listener, off once they interleave from several, switched per listener as it is next served.
 *
 * Notifications come in by two doors that end alike (session_take()): a receive from the kernel,
 * and session_inject() for one a previous run received and left unanswered (the journal's
 * replay). What the session does is reported to the daemon's observers (daemon.c), never to a
 * particular module.
 *
 * A proxied session (session_new_proxied(): LXC's seccomp notify proxy, intake_lxc.c) has a
 * listener that another process receives on. Its notifications come only through
 * session_inject(), its answers leave through the proxy (session_respond()), and its poll asks
 * for DISCONNECT alone: a POLLIN on it is the proxy's to take, and a RECV here would steal the
 * notification from the process that waits for it.
 *
 * Invariants:
 *   - at most limits.inflight_per_listener notifications are received but unanswered; at the
 *     cap the session stops asking for READABLE until one is answered;
 *   - notifications of one thread are dispatched in order: a thread normally has one pending
 *     syscall, but an interrupted and restarted one produces a new notification while the old
 *     one may still be in a handler; the new one waits (HELD) until the old one is done;
 *   - held notifications are released only by the loop in session_notif_done(), never from
 *     inside the teardown of the one before;
 *   - the session's memory and fd live while anything refers to them (refs): the daemon's list
 *     until close, and each notification in flight. Closing stops the poll at once.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "util.h"

/* Notifications received per poll callback beyond the first, and the longest pause (in
 * callbacks) of a listener's drain after checks that found nothing. */
#define DRAIN_MAX 16
#define DRAIN_BACKOFF_MAX 64

/* The wake-up mode is judged over windows of WAKE_WINDOW received notifications: more than
 * WAKE_SPREAD_ABOVE changes of listener in one turns the synchronous wake-up off, at most
 * WAKE_SYNC_UPTO turns it back on (the gap between the two keeps a mixed load from flapping). */
#define WAKE_WINDOW 64
#define WAKE_SPREAD_ABOVE 8
#define WAKE_SYNC_UPTO 2

static void session_on_poll(uv_poll_t *h, int status, int events);

/* Ask the kernel for the daemon's current wake-up mode on this listener: if it differs, or
 * always with `force` (a listener adopted from an earlier instance carries that one's flag). */
static void wake_mode_apply(struct session *s, bool force)
{
        struct daemon *d = s->d;
        int r;

        if (!(d->notify_features & SCMPD_NOTIFY_FEATURE_SYNC_WAKE_UP) ||
            (!force && s->sync_wake == d->sync_wake))
                return;
        r = scmpd_notify_set_flags(s->fd, d->sync_wake ? SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP : 0);
        if (r < 0) {
                log_session(LOG_DEBUG, s, "cannot change the wake-up mode: %s", strerror(-r));
                return;
        }
        s->sync_wake = d->sync_wake;
}

/* Account one received notification of s, and switch the listener's mode if the daemon's
 * changed. */
static void wake_mode_update(struct session *s)
{
        struct daemon *d = s->d;

        if (d->wake_last != s->serial) {
                d->wake_last = s->serial;
                d->wake_switches++;
        }
        if (++d->wake_count == WAKE_WINDOW) {
                if (d->sync_wake && d->wake_switches > WAKE_SPREAD_ABOVE)
                        d->sync_wake = false;
                else if (!d->sync_wake && d->wake_switches <= WAKE_SYNC_UPTO)
                        d->sync_wake = true;
                d->wake_count = d->wake_switches = 0;
        }
        wake_mode_apply(s, false);
}

static void set_events(struct session *s, unsigned events)
{
        if (s->proxy)
                events &= ~(unsigned)UV_READABLE; /* the proxy peer receives, never scmpd */
        if (s->closing || s->poll_events == events)
                return;
        s->poll_events = events;
        uv_poll_start(&s->poll, (int)events, session_on_poll);
}

void peer_facts_done(struct peer_facts *p)
{
        free(p->groups);
        *p = PEER_FACTS_UNKNOWN;
}

static void session_free(struct session *s)
{
        safe_close(s->fd);
        peer_facts_done(&s->peer);
        scmpd_handoff_state_free(s->origin);
        config_unref(s->config);
        scmpd_notify_free(s->req, NULL);
        free(s);
}

void session_unref(struct session *s)
{
        if (s && --s->refs == 0)
                session_free(s);
}

static void on_poll_closed(uv_handle_t *h)
{
        session_unref(h->data);
}

void session_close(struct session *s, const char *why)
{
        if (s->closing)
                return;
        s->closing = true;
        list_del(&s->link);
        s->d->n_sessions--;
        log_session(LOG_INFO, s, "listener closed: %s", why);
        daemon_session_removed(s->d, s);
        uv_close((uv_handle_t *)&s->poll, on_poll_closed);
}

/* Is an earlier, not yet answered notification of the same thread in the list before n? */
static bool blocked_by_earlier(struct session *s, struct notif *n)
{
        struct list_head *pos, *tmp;

        list_for_each_safe(pos, tmp, &s->notifs)
        {
                struct notif *m = list_entry(pos, struct notif, link);

                if (m == n)
                        return false;
                if (m->req.pid == n->req.pid)
                        return true;
        }
        return false;
}

/* The first held notification whose thread has nothing earlier pending, or NULL. */
static struct notif *first_releasable(struct session *s)
{
        struct list_head *pos, *tmp;

        list_for_each_safe(pos, tmp, &s->notifs)
        {
                struct notif *n = list_entry(pos, struct notif, link);

                if (n->state == NOTIF_HELD && !blocked_by_earlier(s, n))
                        return n;
        }
        return NULL;
}

/*
 * Held notifications are released here and only here, in a loop: a released one may be answered
 * at once, and its end comes back into this function while the loop still runs. That nested call
 * only counts and asks the loop to look again, so that the next held one starts after the
 * previous one's teardown, not inside it.
 */
void session_notif_done(struct session *s)
{
        struct notif *n;

        s->inflight--;
        if (s->releasing) {
                s->release_again = true;
                return;
        }
        s->releasing = true;
        do {
                s->release_again = false;
                n = first_releasable(s);
                if (n) {
                        n->state = NOTIF_RUNNING;
                        dispatch_notification(s, n);
                }
        } while (s->release_again);
        s->releasing = false;
        if (!s->closing && s->inflight < s->d->config->limits.inflight_per_listener)
                set_events(s, UV_READABLE | UV_DISCONNECT);
}

/* The end of every way in (a receive, an injection): count n against the in-flight cap, then
 * hold it behind an earlier notification of its thread, or dispatch it. */
static void session_take(struct session *s, struct notif *n)
{
        s->inflight++;
        list_add_tail(&n->link, &s->notifs);
        if (s->inflight >= s->d->config->limits.inflight_per_listener)
                set_events(s, UV_DISCONNECT);
        if (blocked_by_earlier(s, n)) {
                n->state = NOTIF_HELD;
                log_session(LOG_DEBUG, s, "tid %u has an earlier notification; holding",
                            n->req.pid);
                return;
        }
        dispatch_notification(s, n);
}

int session_inject(struct session *s, const struct seccomp_notif *req)
{
        struct notif *n;

        if (s->closing)
                return -ESHUTDOWN;
        n = notif_new(s, req);
        if (!n)
                return -ENOMEM;
        session_take(s, n);
        return 0;
}

static void session_receive(struct session *s)
{
        struct daemon *d = s->d;
        struct notif *n;
        int r;

        r = daemon_receive(d, s, s->req);
        if (r == -ENOENT || r == -EINTR)
                return; /* the target went away between poll and receive */
        if (r < 0) {
                log_session(LOG_WARNING, s, "receiving a notification failed: %s", strerror(-r));
                session_close(s, "receive failed");
                return;
        }
        d->n_notifications++;
        wake_mode_update(s);
        n = notif_new(s, s->req);
        if (!n) {
                log_session(LOG_ERR, s, "out of memory; answering ENOMEM");
                (void)scmpd_notify_respond_errno(s->fd, s->req->id, ENOMEM);
                daemon_notif_released(d, s, s->req->id);
                return;
        }
        session_take(s, n);
}

/* Is another notification waiting? poll() with no timeout never blocks; a hang-up without
 * POLLIN is left to the next loop iteration, which reports it as DISCONNECT. */
static bool pending(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };

        return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) && !(p.revents & (POLLERR | POLLNVAL));
}

/* After an answer the target often has its next notification queued before the loop could wait
 * for it again (always when the answer's synchronous wake-up ran it on this CPU). Receiving it
 * here costs one poll() instead of a round through epoll_wait. A listener whose check comes back
 * empty is not checked again for a while (doubling up to DRAIN_BACKOFF_MAX callbacks), so that
 * listeners whose targets are slower pay at most one extra poll() every so many notifications. */
static void session_drain(struct session *s)
{
        const unsigned cap = s->d->config->limits.inflight_per_listener;

        /* Only while epoll reports one listener per wait: with several ready at once, one
         * epoll_wait already serves many notifications and a poll() per listener would cost
         * more than it saves. */
        if (s->d->polls_this_iter > 1 || s->d->polls_last_iter > 1)
                return;
        if (s->drain_skip > 0) {
                s->drain_skip--;
                return;
        }
        for (unsigned i = 0; i < DRAIN_MAX; i++) {
                if (s->closing || s->inflight >= cap)
                        return;
                if (!pending(s->fd)) {
                        s->drain_backoff = s->drain_backoff ? s->drain_backoff * 2 : 1;
                        if (s->drain_backoff > DRAIN_BACKOFF_MAX)
                                s->drain_backoff = DRAIN_BACKOFF_MAX;
                        s->drain_skip = s->drain_backoff;
                        return;
                }
                s->drain_backoff = 0;
                session_receive(s);
        }
}

static void session_on_poll(uv_poll_t *h, int status, int events)
{
        struct session *s = h->data;

        if (s->closing)
                return;
        if (status < 0) {
                session_close(s, uv_strerror(status));
                return;
        }
        if (events & UV_DISCONNECT) {
                session_close(s, "no task uses the filter any more");
                return;
        }
        if ((events & UV_READABLE) && !s->proxy) {
                s->d->polls_this_iter++;
                session_receive(s);
                session_drain(s);
        }
}

static void on_drain_check(uv_check_t *c)
{
        struct daemon *d = c->data;

        d->polls_last_iter = d->polls_this_iter;
        d->polls_this_iter = 0;
}

/* The drain heuristic's per-iteration count: a check handle runs after each iteration's I/O
 * callbacks. It never keeps the loop alive; session_loop_done() closes it. */
int session_loop_init(struct daemon *d)
{
        int r = uv_check_init(d->loop, &d->drain_check);

        if (r < 0)
                return r;
        d->drain_check.data = d;
        uv_unref((uv_handle_t *)&d->drain_check);
        return uv_check_start(&d->drain_check, on_drain_check);
}

void session_loop_done(struct daemon *d)
{
        if (!uv_is_closing((uv_handle_t *)&d->drain_check))
                uv_close((uv_handle_t *)&d->drain_check, NULL);
}

/* A peer that left before scmpd read its executable (`runc exec -d` hands its listener over and
 * exits at once) names nothing; its listener belongs to a container whose other listeners were
 * named, and takes their runtime's name. */
static void runtime_from_sibling(struct daemon *d, const struct scmpd_handoff_state *origin,
                                 char ret[SESSION_RUNTIME_MAX])
{
        struct list_head *pos, *tmp;

        if (!origin || !origin->id)
                return;
        list_for_each_safe(pos, tmp, &d->sessions)
        {
                struct session *o = list_entry(pos, struct session, link);

                if (o->origin && o->origin->id && strcmp(o->origin->id, origin->id) == 0 &&
                    strcmp(o->runtime, "unknown") != 0) {
                        memcpy(ret, o->runtime, SESSION_RUNTIME_MAX);
                        return;
                }
        }
}

int session_respond(struct session *s, const struct seccomp_notif *req, int64_t val, int32_t error,
                    uint32_t flags)
{
        if (s->proxy)
                return s->proxy->respond(s->proxy_data, s, req, val, error, flags);
        if (flags & SECCOMP_USER_NOTIF_FLAG_CONTINUE)
                return scmpd_notify_respond_continue(s->fd, req->id);
        if (error)
                return scmpd_notify_respond_errno(s->fd, req->id, -error);
        return scmpd_notify_respond_value(s->fd, req->id, val);
}

static int session_new_full(struct daemon *d, int fd, struct scmpd_handoff_state *origin,
                            struct peer_facts *peer, uint64_t serial,
                            const struct session_proxy *proxy, void *proxy_data,
                            struct session **ret_session)
{
        struct session *s;
        int r;

        if (d->n_sessions >= d->config->limits.listeners) {
                safe_close(fd);
                scmpd_handoff_state_free(origin);
                peer_facts_done(peer);
                return -EMFILE;
        }
        s = calloc(1, sizeof(*s));
        if (!s || scmpd_notify_alloc(&s->req, NULL) < 0) {
                free(s);
                safe_close(fd);
                scmpd_handoff_state_free(origin);
                peer_facts_done(peer);
                return -ENOMEM;
        }
        s->d = d;
        s->fd = fd;
        s->origin = origin;
        s->peer = *peer;
        *peer = PEER_FACTS_UNKNOWN;
        s->refs = 1;
        s->proxy = proxy;
        s->proxy_data = proxy_data;
        if (serial == 0)
                serial = ++d->next_session_id;
        else if (serial > d->next_session_id)
                d->next_session_id = serial;
        s->serial = serial;
        s->created_ns = now_ns();
        /* Named before the observers hear of it; an intake may set its own name afterwards. */
        runtime_derive(&s->peer, origin, s->runtime);
        if (strcmp(s->runtime, "unknown") == 0)
                runtime_from_sibling(d, origin, s->runtime);
        list_init(&s->notifs);
        s->config = config_ref(d->config);
        s->policy = config_match_listener(s->config, origin, &s->peer, NULL, &s->match_per_target);
        /* A proxied listener's wake-up mode is its receiver's business. */
        if (!s->proxy)
                wake_mode_apply(s, true);
        r = uv_poll_init(d->loop, &s->poll, fd);
        if (r < 0) {
                session_free(s);
                return r;
        }
        s->poll.data = s;
        list_add_tail(&s->link, &d->sessions);
        d->n_sessions++;
        set_events(s, UV_READABLE | UV_DISCONNECT);
        daemon_session_added(d, s);
        /* A listener no policy matches gets the default verdict for every call: usually a
         * metadata or annotation that does not say what the operator meant, so say it louder. */
        log_session(s->policy || s->match_per_target ? LOG_INFO : LOG_NOTICE, s,
                    "peer uid %d: serving listener of pid %d (%s), policy %s",
                    s->peer.known ? (int)s->peer.uid : -1, (int)origin->pid,
                    origin->status ? origin->status : "?",
                    s->match_per_target ? "(per target)"
                    : s->policy         ? (s->policy->name ? s->policy->name : "(unnamed)")
                                        : "none matched: the default verdict answers every call");
        if (ret_session)
                *ret_session = s;
        return 0;
}

int session_new(struct daemon *d, int fd, struct scmpd_handoff_state *origin,
                struct peer_facts *peer, uint64_t serial, struct session **ret_session)
{
        return session_new_full(d, fd, origin, peer, serial, NULL, NULL, ret_session);
}

int session_new_proxied(struct daemon *d, int fd, struct scmpd_handoff_state *origin,
                        struct peer_facts *peer, const struct session_proxy *proxy,
                        void *proxy_data, struct session **ret_session)
{
        return session_new_full(d, fd, origin, peer, 0, proxy, proxy_data, ret_session);
}
