/*
 * scmpd's internal model, shared by its modules.
 *
 *   struct daemon      the process: loop, current configuration, intake socket, sessions
 *   struct conn        one accepted handoff connection until its payload is complete (intake.c)
 *   struct session     one listener fd and what is known about its origin (session.c)
 *   struct notif       one notification from RECV until it is answered (dispatch.c)
 *   struct config      an immutable, reference-counted policy (config.c); a reload swaps the
 *                      daemon's pointer, and sessions and notifications keep the one they use
 *
 * Everything here is touched only on the loop thread, except what dispatch.c hands to worker
 * threads (a notif's target preparation and blocking handlers) and the deferred-answer queue,
 * which has its own lock.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "list.h"
#include "scmpd/handler.h"
#include "scmpd/handoff.h"
#include "scmpd/notify.h"

struct config;
struct policy;
struct rule;

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
        bool listen_activated; /* from systemd: not ours to unlink */
        uv_poll_t listen_poll;
        uv_timer_t watchdog;
        bool watchdog_running;
        bool listen_polling;
        bool listen_paused; /* at limits.connections: new peers wait in the backlog */
        unsigned n_conns;
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
};

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
        struct config *config;       /* the config `policy` was matched in (a reference) */
        const struct policy *policy; /* NULL: no policy matched, the global default applies */
        struct seccomp_notif *req;   /* RECV buffer, kernel-sized */
        unsigned inflight;
        /* session.c: when to look for more notifications after an answer */
        unsigned drain_skip, drain_backoff;
        bool sync_wake;          /* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP is set on fd */
        struct list_head notifs; /* in arrival order: active and held */
        /* control.c (hook): for `scmpctl listeners` */
        uint64_t created_ns; /* CLOCK_MONOTONIC at session_new() */
        uint64_t n_handled;  /* notifications that ended */
};

/* dispatch.c: the per-notification state machine. */
enum notif_state {
        NOTIF_HELD,    /* waiting for an earlier notification of the same thread */
        NOTIF_WORKING, /* on a worker thread, or deferred by a handler */
        NOTIF_RUNNING, /* in the chain on the loop */
};

struct scmpd_deferred {
        struct notif *n;
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
        bool in_work;           /* a worker owns it right now */
        bool completion_queued; /* a deferred answer arrived while a worker owned it */
        bool touched_target;    /* target memory was read or a handler outside the loop ran */
        int prepare_error;      /* from target preparation: 0, -ENOENT (gone), other */
        struct scmpd_deferred deferred;
        struct scmpd_verdict verdict; /* the handler's, from a worker or a deferred answer */
        bool verdict_ready;
        uv_work_t work;
        uint64_t received_ns;   /* control.c/stats.c (hook): CLOCK_MONOTONIC at receipt */
        uv_timer_t *timer;      /* the handler's deadline while WORKING (malloc()ed, own close) */
        bool cancel_by_timeout; /* the deadline cancelled queued work: answer `fallback` */
        bool timed_out;         /* answered with the fallback; only the handler holds it */
        struct scmpd_verdict fallback; /* for cancel_by_timeout */
};

/* log.c */
#include "log.h"

/* intake.c */
int intake_start(struct daemon *d);
void intake_stop(struct daemon *d);

/* session.c: takes ownership of fd and origin (both consumed, also on failure). */
int session_new(struct daemon *d, int fd, struct scmpd_handoff_state *origin);
void session_close(struct session *s, const char *why);
int session_loop_init(struct daemon *d);  /* from dispatch_init() */
void session_loop_done(struct daemon *d); /* from dispatch_done() */
void session_unref(struct session *s);
/* A notification of this session was answered (or found gone): release held ones, resume. */
void session_notif_done(struct session *s, struct notif *n);

/* dispatch.c */
int dispatch_init(struct daemon *d);
void dispatch_done(struct daemon *d);
/* Take a received notification through policy, chain and answer; frees it in the end. */
void dispatch_notification(struct session *s, struct notif *n);
struct notif *notif_new(struct session *s, const struct seccomp_notif *req);
void notif_free(struct notif *n);

/* sd.c */
int sd_take_listen_fd(struct daemon *d);
int sd_watchdog_start(struct daemon *d);
void sd_watchdog_stop(struct daemon *d);

/* config.c: reload the policy file; an invalid one is refused and logged, the old one kept. */
/* Load the policy file again; 0 when it replaced the policy in force, else a negative errno with
 * the reason in *ret_reason (malloc()ed, when ret_reason is not NULL) and the old policy kept. */
int daemon_reload(struct daemon *d, char **ret_reason);
