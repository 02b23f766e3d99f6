/*
 * scmpd's internal model, shared by its modules.
 *
 *   struct daemon      the process: loop, current configuration, intake socket, sessions
 *   struct conn        one accepted handoff connection until its payload is complete (intake.c)
 *   struct session     one listener fd and what is known about its origin (session.c)
 *   struct notif       one notification from RECV until it is answered (dispatch.c)
 *   struct config      an immutable, reference-counted policy (policy.c); a reload swaps the
 *                      daemon's pointer, and sessions and notifications keep the one they use
 *
 * Everything here is touched only on the loop thread, except what dispatch.c hands to worker
 * threads (a notif's target preparation and blocking handlers) and the deferred-answer queue,
 * which has its own lock.
 *
 * The core (intake, session, dispatch, target, handlers) knows nothing of the modules that watch
 * it (control, stats, the audit store, systemd integration, the in-flight journal). They register
 * a struct daemon_observer at start, and the core reports to every registered observer through
 * daemon.c (see docs/design.md, "The observer seam"). Their state hangs off struct daemon as
 * opaque objects, so that nothing lives in file-level singletons.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <uv.h>

#include "list.h"
#include "socket.h"
#include "target.h"
#include "scmpd/handler.h"
#include "scmpd/handoff.h"
#include "scmpd/notify.h"

struct audit_store;
struct config;
struct control;
struct intake_lxc;
struct journal;
struct notif;
struct policy;
struct rule;
struct sd;
struct session;
struct stats;

/*
 * What a module outside the core learns of the daemon's life. Every callback may be NULL, runs on
 * the loop thread, must not block and must not fail: the core does not wait for an observer and
 * does not ask it anything. Embed the struct in the observing object and pass the object as
 * `userdata`.
 */
struct daemon_observer {
        struct list_head link; /* daemon->observers */
        void *userdata;
        /* A session started serving its listener (also one adopted from an earlier run). */
        void (*session_added)(void *userdata, struct session *s);
        /* A session is closing: its poll has stopped; its fd lives until the last notif ends. */
        void (*session_removed)(void *userdata, struct session *s);
        /* Notification `n` ended. `v` is the verdict acted on (NULL when the target was gone
         * before there was one), `answer` the result of answering (0, -ENOENT gone, other). */
        void (*notif_done)(void *userdata, const struct notif *n, const struct scmpd_verdict *v,
                           int answer);
        /* Notification `id` of `s` needs no record any more: answered, or found gone. */
        void (*notif_released)(void *userdata, const struct session *s, uint64_t id);
        /* d->config was replaced (a reload); `old` is still referenced during the call. */
        void (*config_changed)(void *userdata, const struct config *old);
};

/* How sessions receive: NULL `receive` is a plain NOTIF_RECV on the listener. The in-flight
 * journal installs itself here, so that the kernel writes into its record directly. Same results
 * as scmpd_notify_receive(). */
struct daemon_receiver {
        int (*receive)(void *userdata, struct session *s, struct seccomp_notif *req);
        void *userdata;
};

/* Handlers disabled at run time (`scmpctl handler disable NAME`), at most this many. */
#define DAEMON_MAX_DISABLED 64

/* Who handed a listener over, as the kernel saw it at accept (SO_PEERCRED, SO_PEERGROUPS): the
 * peer cannot forge these. Unknown (a listener adopted from an earlier run that did not record
 * them) counts as an unprivileged peer. */
#define PEER_EXE_MAX 16

struct peer_facts {
        bool known;
        uid_t uid;
        gid_t gid;
        size_t n_groups;
        gid_t *groups;          /* supplementary groups, malloc()ed */
        char exe[PEER_EXE_MAX]; /* file name of its /proc/<pid>/exe at accept, "" unknown */
};

#define PEER_FACTS_UNKNOWN ((struct peer_facts){ .uid = (uid_t)-1, .gid = (gid_t)-1 })

static inline bool peer_is_root(const struct peer_facts *p)
{
        return p->known && p->uid == 0;
}

struct limits {
        unsigned connections;           /* handoff connections open at once */
        unsigned listeners;             /* sessions at once */
        unsigned inflight_per_listener; /* notifications received but not answered */
        unsigned handoff_timeout_ms;    /* a connection must deliver its payload in this time */
        unsigned workers;               /* the worker pool's threads */
        unsigned max_message_bytes;     /* handoff payload size cap */
        unsigned handler_timeout_ms;    /* a blocking or deferred handler must decide in this */
};

struct daemon {
        uv_loop_t *loop;
        struct config *config; /* current policy, one reference */
        const char *config_path;
        bool config_required; /* --config given: a missing file is an error */
        const char *listen_path;
        const char *control_path;
        int notify_features; /* scmpd_notify_probe() result */

        int listen_fd;
        bool listen_activated;          /* from systemd: not ours to unlink */
        struct socket_file listen_file; /* what we bound, unlinked at exit only if still ours */
        pid_t listen_owner;             /* intake_start() -EADDRINUSE: who has it, 0: unknown */
        uv_poll_t listen_poll;
        uv_timer_t watchdog;
        bool watchdog_running;
        bool listen_polling;
        bool listen_paused; /* at limits.connections: new peers wait in the backlog */
        unsigned n_conns;
        unsigned n_root_conns; /* of n_conns, from root peers */
        struct list_head conns;
        unsigned n_sessions;
        struct list_head sessions;
        uint64_t next_session_id;

        uv_signal_t sig_hup, sig_term, sig_int;
        uv_async_t deferred_async;
        pthread_mutex_t deferred_lock;
        struct list_head deferred_done; /* notifs completed by handlers, under the lock */
        bool stopping;
        unsigned n_notifs;    /* alive anywhere: received and not yet freed */
        bool deferred_closed; /* deferred_async closed (stopping, nothing left in flight) */

        /* Counters, for logs and tests. */
        uint64_t n_notifications, n_answered, n_gone;
        uint64_t n_handler_timeouts; /* answered with a fallback: the handler took too long */
        /* session.c: poll callbacks in this loop iteration and the last one (drain heuristic) */
        uv_check_t drain_check;
        unsigned polls_this_iter, polls_last_iter;
        /* session.c: the synchronous wake-up while one listener at a time is served */
        bool sync_wake;
        uint64_t wake_last; /* serial of the session of the last notification received */
        unsigned wake_count, wake_switches;

        /* The seam: who watches, how sessions receive, what is switched off (daemon.c). */
        struct list_head observers;
        struct daemon_receiver receiver;
        char *disabled[DAEMON_MAX_DISABLED];
        size_t n_disabled;

        /* The observing modules' objects; each may be NULL (not started, or a unit test). */
        struct stats *stats;
        struct audit_store *audit;
        struct control *control;
        struct sd *sd;
        struct journal *journal;
        struct intake_lxc *lxc; /* intake_lxc.c, NULL when off */
};

/*
 * A session whose notifications a proxy peer receives (LXC's monitor runs NOTIF_RECV itself and
 * forwards each notification to scmpd): scmpd never receives on such a listener nor polls it for
 * reads, the notifications enter through session_inject(), and the answer goes back through
 * `respond` instead of NOTIF_SEND. `error` is 0 or a negative errno, as in struct
 * seccomp_notif_resp. Returns 0, -ENOENT when the peer can no longer take the answer (it then
 * answers the kernel itself), or another negative errno.
 */
struct session_proxy {
        int (*respond)(void *data, struct session *s, const struct seccomp_notif *req, int64_t val,
                       int32_t error, uint32_t flags);
};

#define SESSION_RUNTIME_MAX 16

struct session {
        struct list_head link; /* daemon->sessions */
        struct daemon *d;
        uint64_t serial;
        unsigned refs; /* the daemon's list (until closed) + one per notif */
        int fd;
        uv_poll_t poll;
        unsigned poll_events; /* currently requested UV_* events */
        bool closing;
        struct scmpd_handoff_state *origin;
        struct peer_facts peer;      /* who handed it over (attested) */
        struct config *config;       /* the config `policy` was matched in (a reference) */
        const struct policy *policy; /* NULL: no policy matched, the global default applies */
        bool match_per_target;       /* policy depends on target facts: match per notification */
        struct seccomp_notif *req;   /* RECV buffer, kernel-sized */
        unsigned inflight;
        /* session.c: when to look for more notifications after an answer */
        unsigned drain_skip, drain_backoff;
        bool sync_wake;          /* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP is set on fd */
        struct list_head notifs; /* in arrival order: active and held */
        bool releasing;          /* session_notif_done() is releasing held notifications */
        bool release_again;      /* ... and one ended meanwhile: look again */
        /* For `scmpctl listeners`. */
        uint64_t created_ns; /* CLOCK_MONOTONIC at session_new() */
        uint64_t n_handled;  /* notifications that ended */
        /* Who handed the listener over ("runc", "podman/crun", "scmpctl", "libscmpd", "lxc",
         * ...; runtime.c): informational, never used for a decision. */
        char runtime[SESSION_RUNTIME_MAX];
        /* NULL: the kernel's session (RECV and SEND on fd). Else answers go to the proxy peer,
         * with proxy_data (NULL once the peer is gone: answers then fail with -ENOENT). */
        const struct session_proxy *proxy;
        void *proxy_data;
};

/* dispatch.c: the per-notification state machine. */
enum notif_state {
        NOTIF_HELD,    /* waiting for an earlier notification of the same thread */
        NOTIF_WORKING, /* on a worker thread, or deferred by a handler */
        NOTIF_RUNNING, /* in the chain on the loop */
};

/*
 * The handle every handler gets with a notification. To a plugin it is opaque: something to pass
 * back to host->complete(). The built-in handlers, which are part of scmpd, also read the
 * notification's listener from it (to open the target under target.c's discipline), instead of
 * reaching into dispatch.c's struct notif.
 */
struct scmpd_deferred {
        struct notif *n;
        int listener_fd; /* borrowed: the session keeps it open while the notification lives */
};

struct notif {
        struct list_head link;      /* session->notifs */
        struct list_head done_link; /* daemon->deferred_done */
        struct session *s;          /* holds a reference: the listener fd stays open */
        struct daemon *d;
        struct config *config; /* reference */
        const struct policy *policy;
        const struct rule *rule;
        enum notif_state state;
        size_t chain_pos;
        struct seccomp_notif req;
        struct scmpd_notification view;
        char *strings[6];
        bool strings_ready;
        bool need_match;           /* the session's policy depends on target facts */
        struct target_facts facts; /* read on a worker when need_match */
        bool in_work;              /* a worker owns it right now */
        bool completion_queued;    /* a deferred answer arrived while a worker owned it */
        bool touched_target;       /* target memory was read or a handler outside the loop ran */
        int prepare_error;         /* from target preparation: 0, -ENOENT (gone), other */
        struct scmpd_deferred deferred;
        struct scmpd_verdict verdict; /* the handler's, from a worker or a deferred answer */
        bool verdict_ready;
        uv_work_t work;
        uint64_t received_ns;   /* CLOCK_MONOTONIC at receipt, for latencies */
        uv_timer_t *timer;      /* the handler's deadline while WORKING (malloc()ed, own close) */
        bool cancel_by_timeout; /* the deadline cancelled queued work: answer `fallback` */
        bool timed_out;         /* answered with the fallback; only the handler holds it */
        struct scmpd_verdict fallback; /* for cancel_by_timeout */
};

/* log.c */
#include "log.h"

/* daemon.c: the seam. daemon_init() readies the lists of a zeroed struct daemon. */
void daemon_init(struct daemon *d);
void daemon_observe(struct daemon *d, struct daemon_observer *o);
void daemon_unobserve(struct daemon_observer *o);
void daemon_session_added(struct daemon *d, struct session *s);
void daemon_session_removed(struct daemon *d, struct session *s);
void daemon_notif_done(struct daemon *d, const struct notif *n, const struct scmpd_verdict *v,
                       int answer);
void daemon_notif_released(struct daemon *d, const struct session *s, uint64_t id);
/* Replace d->config (the reference to `c` is consumed) and tell the observers. Returns the
 * previous one, whose reference passes to the caller. */
struct config *daemon_set_config(struct daemon *d, struct config *c);
int daemon_receive(struct daemon *d, struct session *s, struct seccomp_notif *req);
/* The disabled-handler set: disable returns 0, or -ENOSPC when full, -ENOMEM; enable returns
 * whether `name` was disabled. */
bool daemon_handler_disabled(const struct daemon *d, const char *name);
int daemon_handler_disable(struct daemon *d, const char *name);
bool daemon_handler_enable(struct daemon *d, const char *name);
void daemon_handlers_enable_all(struct daemon *d);

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* intake.c */
int intake_start(struct daemon *d);
void intake_stop(struct daemon *d);
/* May this peer hand over listeners? Root, and the policy's "handoff" uids and groups. */
bool intake_peer_allowed(const struct config *cfg, const struct peer_facts *peer);

/* intake_lxc.c: LXC's seccomp notify proxy socket ("lxc_proxy" in the policy; off when NULL). */
int intake_lxc_start(struct daemon *d, const char *address);
void intake_lxc_stop(struct daemon *d); /* stop accepting, answer what is in flight, close */
void intake_lxc_free(struct daemon *d); /* after the loop ended */

/*
 * session.c: serve listener `fd` for `origin`, handed over by `peer` (fd, origin and the peer's
 * groups are consumed, also on failure). `serial` 0 hands out the next serial; an adopted
 * listener keeps the one it had (later ones are then above it). *ret_session (may be NULL)
 * borrows the session, which lives while it is in d->sessions.
 */
int session_new(struct daemon *d, int fd, struct scmpd_handoff_state *origin,
                struct peer_facts *peer, uint64_t serial, struct session **ret_session);
/* session_new() for a listener a proxy peer receives on (see struct session_proxy): watched for
 * the hang-up only, never received on; not adoptable across a restart. */
int session_new_proxied(struct daemon *d, int fd, struct scmpd_handoff_state *origin,
                        struct peer_facts *peer, const struct session_proxy *proxy,
                        void *proxy_data, struct session **ret_session);
/* Answer notification `req` of s: NOTIF_SEND on the listener, or through the session's proxy.
 * `error` 0 or a negative errno; `flags` SECCOMP_USER_NOTIF_FLAG_CONTINUE or 0. */
int session_respond(struct session *s, const struct seccomp_notif *req, int64_t val, int32_t error,
                    uint32_t flags);
void peer_facts_done(struct peer_facts *p);
void session_close(struct session *s, const char *why);
int session_loop_init(struct daemon *d);  /* from dispatch_init() */
void session_loop_done(struct daemon *d); /* from dispatch_done() */
void session_unref(struct session *s);
/* A notification of this session was answered (or found gone): release held ones, resume. */
void session_notif_done(struct session *s);
/*
 * Take notification `req` (copied) as if it had just been received: a replay of one an earlier
 * run received and did not answer. Same in-flight cap and per-thread order as a receive. Returns
 * 0, -ENOMEM (nothing taken; the caller answers it), or -ESHUTDOWN when the session is closing.
 */
int session_inject(struct session *s, const struct seccomp_notif *req);

/*
 * runtime.c: naming the runtime of a listener (informational only). runtime_peer_exe() reads the
 * file name of the executable of `pid`, the peer of socket `sock` (borrowed), at accept: 0, or a
 * negative errno with ret[] empty. runtime_derive() names the runtime from the attested peer and
 * the payload's claims; session_new() sets it, and an intake that knows better (LXC's) sets its own
 * with session_set_runtime() (the name is truncated and made printable).
 */
int runtime_peer_exe(int sock, pid_t pid, char ret[PEER_EXE_MAX]);
void runtime_derive(const struct peer_facts *peer, const struct scmpd_handoff_state *o,
                    char ret[SESSION_RUNTIME_MAX]);
void session_set_runtime(struct session *s, const char *name);

/* dispatch.c */
int dispatch_init(struct daemon *d);
void dispatch_done(struct daemon *d);
/* Take a received notification through policy, chain and answer; frees it in the end. */
void dispatch_notification(struct session *s, struct notif *n);
struct notif *notif_new(struct session *s, const struct seccomp_notif *req);
void notif_free(struct notif *n);
/* host->complete (handlers/host.c): a DEFERRED notification's verdict, from any thread. */
void dispatch_complete_deferred(struct scmpd_deferred *d, const struct scmpd_verdict *v);

/* policy.c: load the policy file again; 0 when it replaced the policy in force, else a negative
 * errno with the reason in *ret_error (malloc()ed, when ret_error is not NULL) and the old policy
 * kept (an invalid file is refused and logged). */
int daemon_reload(struct daemon *d, char **ret_error);
