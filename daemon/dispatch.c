/*
 * Dispatch: from a received notification to its one answer.
 *
 *   received -> policy (the session's, re-matched after a reload) -> first matching rule
 *            -> [strings needed? copy them on a worker, under target.c's discipline]
 *            -> chain: each handler says NOT_HANDLED (next), RESPOND, CONTINUE, KILL, or
 *               DEFERRED (an answer comes later through host->complete)
 *            -> nothing decided: the policy's default, else the global default
 *            -> final ID validation where anything touched the target -> act -> answer
 *
 * Nothing here blocks the loop: target reads and SCMPD_HANDLER_BLOCKING handlers run in libuv's
 * worker pool (bounded by limits.workers); their results come back in after-work callbacks on the
 * loop. Deferred answers may arrive on any thread; they are queued under a lock and an uv_async
 * wakes the loop. A notif is touched by one side at a time: `in_work` marks the worker's turn.
 *
 * Answers without any target access (a fixed verdict for a syscall number and its register
 * arguments) are sent directly: NOTIF_SEND is itself atomic with the ID check (it fails with
 * ENOENT for a stale ID), so a separate ID_VALID would add a syscall and no safety. Everything
 * that read target memory, ran outside the loop or kills re-validates first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errno_name.h"
#include "policy.h"
#include "scmpd/arch.h"
#include "target.h"
#include "util.h"

static void run_chain(struct notif *n);
static void finish(struct notif *n, struct scmpd_verdict v);
static void stop_timeout(struct notif *n);
static void start_timeout(struct notif *n, const struct handler_instance *h);
static void answer(struct notif *n, struct scmpd_verdict v);

/* Freed notifs are kept for reuse (loop thread only), so that the notification path does not
 * allocate; sanitized builds skip the cache so that a use after free is still caught. */
#if defined(__SANITIZE_ADDRESS__)
#define NOTIF_CACHE_MAX 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOTIF_CACHE_MAX 0
#endif
#endif
#ifndef NOTIF_CACHE_MAX
#define NOTIF_CACHE_MAX 64
#endif
static struct notif *notif_cache[NOTIF_CACHE_MAX + 1];
static unsigned n_notif_cache;

static struct notif *notif_alloc(void)
{
        struct notif *n;

        if (n_notif_cache == 0)
                return calloc(1, sizeof(struct notif));
        n = notif_cache[--n_notif_cache];
        memset(n, 0, sizeof(*n));
        return n;
}

static void notif_release(struct daemon *d, struct notif *n)
{
#if NOTIF_CACHE_MAX > 0
        if (n_notif_cache < NOTIF_CACHE_MAX && !d->deferred_closed) {
                notif_cache[n_notif_cache++] = n;
                return;
        }
#endif
        free(n);
}

static void notif_cache_drop(void)
{
        while (n_notif_cache > 0)
                free(notif_cache[--n_notif_cache]);
}

struct notif *notif_new(struct session *s, const struct seccomp_notif *req)
{
        struct notif *n = notif_alloc();

        if (!n)
                return NULL;
        n->s = s;
        n->d = s->d;
        n->d->n_notifs++;
        s->refs++;
        memcpy(&n->req, req, sizeof(n->req));
        n->deferred.n = n;
        n->deferred.listener_fd = s->fd;
        n->state = NOTIF_RUNNING;
        n->received_ns = now_ns();
        list_init(&n->link);
        list_init(&n->done_link);
        return n;
}

void notif_free(struct notif *n)
{
        struct session *s;

        if (!n)
                return;
        s = n->s;
        /* A timed-out notif was answered and detached from its session's list already. */
        bool detached = n->timed_out;
        stop_timeout(n);
        if (--n->d->n_notifs == 0 && n->d->stopping)
                dispatch_done(n->d);
        if (!detached)
                daemon_notif_released(n->d, s, n->req.id); /* answered or gone */
        for (int i = 0; i < 6; i++)
                free(n->strings[i]);
        target_facts_done(&n->facts);
        config_unref(n->config);
        list_del(&n->link);
        notif_release(s->d, n);
        if (!detached)
                session_notif_done(s);
        session_unref(s);
}

/* n ended with verdict v (NULL: gone before one) and answer result r: tell the observers. */
static void notif_ended(const struct notif *n, const struct scmpd_verdict *v, int r)
{
        n->s->n_handled++;
        daemon_notif_done(n->d, n, v, r);
}

static const char *syscall_name(uint32_t arch, int nr)
{
        const struct scmpd_arch *a = scmpd_arch_by_token(arch);

        return a ? scmpd_syscall_name(a, nr) : NULL;
}

static void fill_view(struct notif *n)
{
        struct scmpd_notification *v = &n->view;

        v->id = n->req.id;
        v->tid = (pid_t)n->req.pid;
        v->arch = n->req.data.arch;
        v->nr = n->req.data.nr;
        v->syscall = syscall_name(v->arch, v->nr);
        for (int i = 0; i < 6; i++) {
                v->args[i] = n->req.data.args[i];
                v->strings[i] = n->strings[i];
        }
        v->instruction_pointer = n->req.data.instruction_pointer;
        if (n->s->origin) {
                v->container_id = n->s->origin->id;
                v->metadata = n->s->origin->metadata;
        }
}

/* ---- target preparation on a worker ---- */

static unsigned wanted_strings(const struct notif *n)
{
        unsigned mask = target_string_mask(n->view.syscall);
        const struct policy *p = n->policy;

        /* String conditions may name arguments the table does not know; only rules for this
         * syscall count, so that no other call's integers are read as pointers. */
        for (size_t i = 0; p && i < p->n_rules; i++) {
                const struct rule *r = &p->rules[i];

                for (size_t j = 0; j < r->n_syscalls; j++)
                        if (strcmp(r->syscalls[j], "*") == 0 ||
                            (n->view.syscall && strcmp(r->syscalls[j], n->view.syscall) == 0)) {
                                mask |= r->string_mask;
                                break;
                        }
        }
        return mask & 0x3f;
}

static void prepare_work(uv_work_t *w)
{
        struct notif *n = w->data;
        unsigned mask;

        if (n->need_match) {
                /* The policy depends on who the target is: read that first, then match (the
                 * config, origin and peer are immutable, so this is safe off the loop). */
                bool need;

                n->prepare_error = target_read_facts(n->s->fd, &n->req, &n->facts);
                if (n->prepare_error == -ENOENT)
                        return;
                n->policy = config_match_listener(n->config, n->s->origin, &n->s->peer, &n->facts,
                                                  &need);
                n->need_match = false;
        }
        mask = wanted_strings(n);
        if (mask)
                n->prepare_error = target_copy_strings(n->s->fd, &n->req, mask, n->strings);
}

static void match_and_run(struct notif *n);

static void prepare_done(uv_work_t *w, int status)
{
        struct notif *n = w->data;

        n->in_work = false;
        n->strings_ready = true;
        n->touched_target = true;
        for (int i = 0; i < 6; i++)
                n->view.strings[i] = n->strings[i];
        if (status == UV_ECANCELED || n->prepare_error == -ENOENT) {
                n->d->n_gone++;
                log_session(LOG_DEBUG, n->s, "target %u gone before its arguments were read",
                            n->req.pid);
                notif_ended(n, NULL, -ENOENT);
                notif_free(n);
                return;
        }
        if (n->prepare_error < 0)
                log_session(LOG_DEBUG, n->s, "cannot read the arguments of tid %u: %s", n->req.pid,
                            strerror(-n->prepare_error));
        match_and_run(n);
}

static void queue_prepare(struct notif *n)
{
        int r;

        if (!n->need_match && wanted_strings(n) == 0) {
                /* Nothing to read: no target access, no worker round trip. */
                n->strings_ready = true;
                match_and_run(n);
                return;
        }
        n->state = NOTIF_WORKING;
        n->in_work = true;
        n->work.data = n;
        r = uv_queue_work(n->d->loop, &n->work, prepare_work, prepare_done);
        if (r < 0) {
                n->in_work = false;
                log_session(LOG_WARNING, n->s, "cannot queue target work: %s", uv_strerror(r));
                finish(n, (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = ENOSYS });
        }
}

/* ---- the chain ---- */

static void match_and_run(struct notif *n)
{
        bool need = false;

        n->state = NOTIF_RUNNING;
        if (n->need_match) {
                queue_prepare(n); /* target facts first, then the policy */
                return;
        }
        if (!n->policy) {
                finish(n, config_default_verdict(n->config, NULL));
                return;
        }
        n->rule =
                policy_match_rule(n->policy, &n->view, n->strings_ready ? n->strings : NULL, &need);
        if ((need || (n->rule && n->rule->needs_strings)) && !n->strings_ready) {
                queue_prepare(n);
                return;
        }
        if (!n->rule) {
                finish(n, config_default_verdict(n->config, n->policy));
                return;
        }
        n->chain_pos = 0;
        run_chain(n);
}

static void handler_work(uv_work_t *w)
{
        struct notif *n = w->data;
        struct handler_instance *h = n->rule->chain[n->chain_pos];

        n->verdict = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_NOT_HANDLED };
        h->ops->handle(h->state, &n->view, &n->deferred, &n->verdict);
}

static void process_completion(struct notif *n);

static void handler_done(uv_work_t *w, int status)
{
        struct notif *n = w->data;

        n->in_work = false;
        if (status == UV_ECANCELED) {
                finish(n, n->cancel_by_timeout ? n->fallback
                                               : config_default_verdict(n->config, n->policy));
                return;
        }
        if (n->verdict.kind == SCMPD_VERDICT_DEFERRED) {
                n->state = NOTIF_WORKING;
                if (n->completion_queued)
                        process_completion(n);
                return;
        }
        if (n->verdict.kind != SCMPD_VERDICT_NOT_HANDLED || n->timed_out) {
                finish(n, n->verdict);
                return;
        }
        n->chain_pos++;
        run_chain(n);
}

static void run_chain(struct notif *n)
{
        const struct rule *r = n->rule;

        n->state = NOTIF_RUNNING;
        while (n->chain_pos < r->n_chain) {
                struct handler_instance *h = r->chain[n->chain_pos];
                struct scmpd_verdict v = { .kind = SCMPD_VERDICT_NOT_HANDLED };

                if (daemon_handler_disabled(n->d, h->name)) {
                        n->chain_pos++;
                        continue;
                }
                if (h->ops->flags & SCMPD_HANDLER_BLOCKING) {
                        int e;

                        n->state = NOTIF_WORKING;
                        n->in_work = true;
                        n->touched_target = true;
                        n->work.data = n;
                        e = uv_queue_work(n->d->loop, &n->work, handler_work, handler_done);
                        if (e == 0) {
                                start_timeout(n, h);
                                return;
                        }
                        n->in_work = false;
                        log_session(LOG_WARNING, n->s, "cannot queue handler work: %s",
                                    uv_strerror(e));
                        break;
                }
                h->ops->handle(h->state, &n->view, &n->deferred, &v);
                switch (v.kind) {
                case SCMPD_VERDICT_NOT_HANDLED:
                        n->chain_pos++;
                        continue;
                case SCMPD_VERDICT_DEFERRED:
                        n->state = NOTIF_WORKING;
                        n->touched_target = true;
                        start_timeout(n, h);
                        if (n->completion_queued)
                                process_completion(n);
                        return;
                case SCMPD_VERDICT_RESPOND:
                case SCMPD_VERDICT_CONTINUE:
                case SCMPD_VERDICT_KILL:
                        finish(n, v);
                        return;
                default:
                        log_session(LOG_WARNING, n->s,
                                    "handler %s returned verdict %d; using the default", h->name,
                                    (int)v.kind);
                        finish(n, config_default_verdict(n->config, n->policy));
                        return;
                }
        }
        finish(n, config_default_verdict(n->config, n->policy));
}

/* ---- handler deadlines ----
 *
 * A blocking handler (from the moment its work is queued) or a deferred one (from the moment it
 * returns DEFERRED) has its instance's timeout_ms, else limits.handler_timeout_ms, to decide. At
 * the deadline the target gets the entry's fallback verdict (else the policy's default): queued
 * work is cancelled; a handler already running or holding the deferred answer keeps the notif
 * record, which is detached from its session (the thread's later notifications and the in-flight
 * slot are released) and freed once the handler lets go of it. */

static void on_timer_closed(uv_handle_t *h)
{
        free(h);
}

static void stop_timeout(struct notif *n)
{
        if (!n->timer)
                return;
        uv_timer_stop(n->timer);
        uv_close((uv_handle_t *)n->timer, on_timer_closed);
        n->timer = NULL;
}

static void on_timeout(uv_timer_t *t)
{
        struct notif *n = t->data;
        struct session *s = n->s;
        const struct handler_instance *h =
                n->rule && n->chain_pos < n->rule->n_chain ? n->rule->chain[n->chain_pos] : NULL;
        struct scmpd_verdict v =
                h && h->has_fallback ? h->fallback : config_default_verdict(n->config, n->policy);

        stop_timeout(n);
        n->d->n_handler_timeouts++;
        log_session(LOG_WARNING, s, "handler %s did not decide %s of tid %u in time; fallback",
                    h ? h->name : "?", n->view.syscall ? n->view.syscall : "?", n->req.pid);
        if (n->in_work && uv_cancel((uv_req_t *)&n->work) == 0) {
                n->cancel_by_timeout = true; /* handler_done(UV_ECANCELED) answers */
                n->fallback = v;
                return;
        }
        answer(n, v);
        n->timed_out = true;
        daemon_notif_released(n->d, s, n->req.id); /* answered */
        list_del(&n->link);
        session_notif_done(s);
}

static void start_timeout(struct notif *n, const struct handler_instance *h)
{
        unsigned ms = h->timeout_ms ? h->timeout_ms : n->config->limits.handler_timeout_ms;

        if (n->timer || n->timed_out || ms == 0)
                return;
        n->timer = malloc(sizeof(*n->timer));
        if (!n->timer) {
                log_session(LOG_WARNING, n->s, "out of memory: no deadline for handler %s",
                            h->name);
                return;
        }
        uv_timer_init(n->d->loop, n->timer);
        n->timer->data = n;
        uv_timer_start(n->timer, on_timeout, ms, 0);
}

/* ---- deferred answers ---- */

void dispatch_complete_deferred(struct scmpd_deferred *dfr, const struct scmpd_verdict *v)
{
        struct notif *n;
        struct daemon *d;

        if (!dfr || !v)
                return;
        n = dfr->n;
        d = n->d;
        pthread_mutex_lock(&d->deferred_lock);
        n->verdict = *v;
        n->verdict_ready = true;
        list_add_tail(&n->done_link, &d->deferred_done);
        pthread_mutex_unlock(&d->deferred_lock);
        uv_async_send(&d->deferred_async);
}

static void process_completion(struct notif *n)
{
        struct scmpd_verdict v = n->verdict;

        n->completion_queued = false;
        if (v.kind == SCMPD_VERDICT_NOT_HANDLED || v.kind == SCMPD_VERDICT_DEFERRED ||
            (unsigned)v.kind > SCMPD_VERDICT_DEFERRED)
                v = config_default_verdict(n->config, n->policy);
        finish(n, v);
}

static void deferred_async_cb(uv_async_t *a)
{
        struct daemon *d = a->data;
        struct list_head batch, *pos, *tmp;

        list_init(&batch);
        pthread_mutex_lock(&d->deferred_lock);
        list_for_each_safe(pos, tmp, &d->deferred_done)
        {
                list_del(pos);
                list_add_tail(pos, &batch);
        }
        pthread_mutex_unlock(&d->deferred_lock);

        list_for_each_safe(pos, tmp, &batch)
        {
                struct notif *n = list_entry(pos, struct notif, done_link);

                list_del(pos);
                /* A handler that answers before returning DEFERRED from a worker: let the
                 * worker's after-work callback finish it. */
                if (n->in_work || n->state != NOTIF_WORKING) {
                        n->completion_queued = true;
                        continue;
                }
                process_completion(n);
        }
}

/* ---- the answer ---- */

/* One debug line per decision, with the fields journald indexes. Free unless debugging. */
static void log_decision(const struct notif *n, const struct scmpd_verdict *v)
{
        char f_session[48], f_cid[300], f_sys[96], f_tid[32], f_verdict[64], f_handler[96];
        const char *fields[7] = {}, *handler = "default";
        int k = 0;

        if (log_max_level < LOG_DEBUG)
                return;
        if (n->rule && n->chain_pos < n->rule->n_chain)
                handler = n->rule->chain[n->chain_pos]->name;
        switch (v->kind) {
        case SCMPD_VERDICT_CONTINUE:
                snprintf(f_verdict, sizeof(f_verdict), "SCMPD_VERDICT=continue");
                break;
        case SCMPD_VERDICT_KILL:
                snprintf(f_verdict, sizeof(f_verdict), "SCMPD_VERDICT=kill");
                break;
        default:
                if (v->error)
                        snprintf(f_verdict, sizeof(f_verdict), "SCMPD_VERDICT=errno:%s",
                                 errno_to_name(v->error) ? errno_to_name(v->error) : "?");
                else
                        snprintf(f_verdict, sizeof(f_verdict), "SCMPD_VERDICT=value:%lld",
                                 (long long)v->val);
                break;
        }
        snprintf(f_session, sizeof(f_session), "SCMPD_SESSION=%llu",
                 (unsigned long long)n->s->serial);
        fields[k++] = f_session;
        if (n->view.container_id) {
                snprintf(f_cid, sizeof(f_cid), "SCMPD_CONTAINER_ID=%.256s", n->view.container_id);
                fields[k++] = f_cid;
        }
        snprintf(f_sys, sizeof(f_sys), "SCMPD_SYSCALL=%s", n->view.syscall ? n->view.syscall : "?");
        fields[k++] = f_sys;
        snprintf(f_tid, sizeof(f_tid), "SCMPD_TID=%u", n->req.pid);
        fields[k++] = f_tid;
        fields[k++] = f_verdict;
        snprintf(f_handler, sizeof(f_handler), "SCMPD_HANDLER=%.64s", handler);
        fields[k++] = f_handler;
        log_fields(LOG_DEBUG, fields, "decided %s by tid %u: %s (%s)",
                   n->view.syscall ? n->view.syscall : "?", n->req.pid, f_verdict + 14, handler);
}

/* Send the answer (or kill); the notif stays allocated. The session knows whether the answer
 * goes to the kernel or to a proxy peer (session_respond()); nothing here depends on it. */
static void answer(struct notif *n, struct scmpd_verdict v)
{
        struct session *s = n->s;
        int r = 0;

        if (n->touched_target || v.kind == SCMPD_VERDICT_KILL) {
                r = scmpd_notify_id_valid(s->fd, n->req.id);
                if (r < 0)
                        goto out;
        }
        switch (v.kind) {
        case SCMPD_VERDICT_KILL:
                r = target_kill(s->fd, &n->req);
                if (r == 0) {
                        log_session(LOG_NOTICE, s, "killed pid of tid %u on %s", n->req.pid,
                                    n->view.syscall ? n->view.syscall : "?");
                } else if (r != -ENOENT) {
                        /* Never leave the target parked: fail the call closed instead. */
                        log_session(LOG_WARNING, s, "cannot kill tid %u (%s); answering EPERM",
                                    n->req.pid, strerror(-r));
                        r = session_respond(s, &n->req, 0, -EPERM, 0);
                }
                break;
        case SCMPD_VERDICT_CONTINUE:
                r = session_respond(s, &n->req, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
                break;
        case SCMPD_VERDICT_RESPOND:
                if (v.error != 0)
                        r = session_respond(s, &n->req, 0, -v.error, 0);
                else
                        r = session_respond(s, &n->req, v.val, 0, 0);
                break;
        default:
                r = session_respond(s, &n->req, 0, -ENOSYS, 0);
                break;
        }
out:
        if (r == -ENOENT) {
                n->d->n_gone++;
                log_session(LOG_DEBUG, s, "target tid %u gone before its answer", n->req.pid);
        } else if (r < 0) {
                log_session(LOG_WARNING, s, "answering tid %u failed: %s", n->req.pid,
                            strerror(-r));
        } else {
                n->d->n_answered++;
                log_decision(n, &v);
        }
        notif_ended(n, &v, r);
}

static void finish(struct notif *n, struct scmpd_verdict v)
{
        stop_timeout(n);
        if (n->timed_out) {
                /* The fallback answered at the deadline; the handler's late verdict is only
                 * the end of its hold on the notif. */
                log_session(LOG_DEBUG, n->s, "late verdict for tid %u ignored (timed out)",
                            n->req.pid);
                notif_free(n);
                return;
        }
        answer(n, v);
        notif_free(n);
}

void dispatch_notification(struct session *s, struct notif *n)
{
        struct daemon *d = s->d;

        if (s->config != d->config) {
                /* A reload happened: re-match this listener under the new policy. */
                config_unref(s->config);
                s->config = config_ref(d->config);
                s->policy = config_match_listener(s->config, s->origin, &s->peer, NULL,
                                                  &s->match_per_target);
        }
        n->config = config_ref(s->config);
        n->policy = s->policy;
        n->need_match = s->match_per_target;
        fill_view(n);
        match_and_run(n);
}

int dispatch_init(struct daemon *d)
{
        int r;

        list_init(&d->deferred_done);
        r = pthread_mutex_init(&d->deferred_lock, NULL);
        if (r != 0)
                return -r;
        d->deferred_async.data = d;
        r = uv_async_init(d->loop, &d->deferred_async, deferred_async_cb);
        if (r < 0)
                return r;
        r = session_loop_init(d);
        return r < 0 ? r : 0;
}

/* Close the deferred-answer wakeup only when no notification is left that a handler thread
 * could still complete; until then a stopping daemon keeps it open. */
void dispatch_done(struct daemon *d)
{
        if (d->n_notifs > 0 || d->deferred_closed)
                return;
        notif_cache_drop();
        session_loop_done(d);
        d->deferred_closed = true;
        uv_close((uv_handle_t *)&d->deferred_async, NULL);
}
