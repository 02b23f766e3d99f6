/*
 * The control socket: an AF_UNIX stream socket (default /run/scmpd/control.sock, mode 0660)
 * speaking newline-delimited JSON (docs/control-protocol.md).
 *
 * Model: one listening socket and up to CONTROL_MAX_CLIENTS clients, each a non-blocking fd with
 * its own uv_poll, an input buffer of one request line and an output buffer. A peer is
 * authorized once, at accept, by SO_PEERCRED/SO_PEERGROUPS: uid 0, or a member (primary or
 * supplementary group at connect time) of the group named by control.group in scmpd.json. Anyone
 * else gets one error line and is disconnected; the refusal is logged.
 *
 * Invariants that keep a client from hurting the daemon:
 *   - a request line is at most CONTROL_MAX_REQUEST bytes; a longer one closes the client;
 *   - requests are rate limited per client (a token bucket); beyond it the client is told and
 *     disconnected;
 *   - requests are processed only while the client's pending output is small, so a client that
 *     sends but never reads stops being read (its kernel buffer fills, not our memory);
 *   - a response may not exceed CONTROL_MAX_RESPONSE bytes;
 *   - monitor events go to a client only while its pending output is below
 *     CONTROL_MONITOR_BUFFER; otherwise they are dropped and counted, per client and in total,
 *     and the client is told how many once it catches up. Nothing on the notification path ever
 *     waits for a client.
 */
#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errno_name.h"
#include "audit_store.h"
#include "config.h" /* the build's: SCMPD_VERSION */
#include "control.h"
#include "control_proto.h"
#include "policy.h"
#include "scmpd/arch.h"
#include "sd.h"
#include "socket.h"
#include "stats.h"
#include "util.h"

#define CONTROL_MAX_CLIENTS 64
#define CONTROL_MAX_CLIENTS_PER_UID 16
#define CONTROL_REFUSAL_LOGS 10 /* refusals logged per minute; the rest are counted */
#define CONTROL_MAX_RESPONSE (16U * 1024U * 1024U)
#define CONTROL_MONITOR_BUFFER (64U * 1024U)
#define CONTROL_READ_PAUSE (64U * 1024U) /* pending output above this: stop reading requests */
#define CONTROL_RATE_PER_SEC 50.0
#define CONTROL_RATE_BURST 100.0
struct client {
        struct list_head link;
        struct control *ctl;
        uint64_t serial;
        int fd;
        uv_poll_t poll;
        unsigned poll_events;
        bool closing;
        bool close_when_flushed;
        bool monitoring;
        uid_t uid;
        pid_t pid;
        char in[CONTROL_MAX_REQUEST + 1];
        size_t in_len;
        char *out;
        size_t out_len, out_off, out_cap;
        struct control_request filter; /* the monitor's filters */
        uint64_t dropped, dropped_told;
        double tokens;
        uint64_t tokens_ns;
};

struct control {
        struct daemon *d;
        struct daemon_observer observer; /* monitors, and the policy's control.group */
        int fd;
        bool activated; /* the socket came from systemd (scmpd-control.socket): not ours */
        uv_poll_t poll;
        bool polling;
        uv_timer_t batch; /* flushes monitor output that is waiting for more events */
        bool batching, batch_armed;
        uint64_t started_ns;
        struct list_head clients;
        unsigned n_clients, n_monitors;
        uint64_t next_serial;
        /* control.group resolved for the config it came from */
        const struct config *group_config;
        bool group_ok;
        gid_t group_gid;
        uint64_t requests, refused, dropped_events, rate_limited;
        uint64_t refusal_window_ns;
        unsigned refusals_logged, refusals_suppressed;
        struct socket_file file; /* what we bound: unlinked at exit only if still ours */
};

static void client_on_poll(uv_poll_t *h, int status, int events);

/* ---- clients: buffers and lifetime ---- */

static void client_closed(uv_handle_t *h)
{
        struct client *c = h->data;

        safe_close(c->fd);
        free(c->out);
        free(c);
}

static void client_close(struct client *c)
{
        struct control *ctl = c->ctl;

        if (c->closing)
                return;
        c->closing = true;
        list_del(&c->link);
        ctl->n_clients--;
        if (c->monitoring)
                ctl->n_monitors--;
        uv_close((uv_handle_t *)&c->poll, client_closed);
}

static size_t pending(const struct client *c)
{
        return c->out_len - c->out_off;
}

static void client_update_poll(struct client *c)
{
        unsigned ev = UV_DISCONNECT;

        if (c->closing)
                return;
        if (pending(c))
                ev |= UV_WRITABLE;
        if (!c->close_when_flushed && pending(c) < CONTROL_READ_PAUSE)
                ev |= UV_READABLE;
        if (ev != c->poll_events) {
                c->poll_events = ev;
                uv_poll_start(&c->poll, (int)ev, client_on_poll);
        }
}

/* Write what the socket takes now. Closes the client on a hard error. */
static void client_flush(struct client *c)
{
        while (pending(c)) {
                ssize_t n =
                        send(c->fd, c->out + c->out_off, pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        client_close(c);
                        return;
                }
                c->out_off += (size_t)n;
        }
        if (!pending(c)) {
                c->out_off = c->out_len = 0;
                if (c->close_when_flushed) {
                        client_close(c);
                        return;
                }
        } else if (c->out_off > c->out_cap / 2) {
                memmove(c->out, c->out + c->out_off, pending(c));
                c->out_len -= c->out_off;
                c->out_off = 0;
        }
        client_update_poll(c);
}

/* Queue `len` bytes and a newline. -ENOBUFS when it would pass `limit` pending bytes. */
static int client_queue(struct client *c, const char *data, size_t len, size_t limit)
{
        if (pending(c) + len + 1 > limit)
                return -ENOBUFS;
        if (c->out_len + len + 1 > c->out_cap) {
                size_t cap = c->out_cap ? c->out_cap : 4096;
                char *p;

                while (cap < c->out_len + len + 1)
                        cap *= 2;
                p = realloc(c->out, cap);
                if (!p)
                        return -ENOMEM;
                c->out = p;
                c->out_cap = cap;
        }
        memcpy(c->out + c->out_len, data, len);
        c->out_len += len;
        c->out[c->out_len++] = '\n';
        return 0;
}

/* Send a JSON object (consumed) as one line; a response too large becomes an error. */
static void client_send_json(struct client *c, json_t *o)
{
        char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
        int r;

        json_decref(o);
        if (!s) {
                static const char oom[] = "{\"ok\":false,\"code\":\"ENOMEM\","
                                          "\"error\":\"out of memory\"}";
                (void)client_queue(c, oom, sizeof(oom) - 1, CONTROL_MAX_RESPONSE);
        } else {
                r = client_queue(c, s, strlen(s), CONTROL_MAX_RESPONSE);
                if (r < 0) {
                        static const char big[] = "{\"ok\":false,\"code\":\"ENOBUFS\","
                                                  "\"error\":\"response too large\"}";
                        (void)client_queue(c, big, sizeof(big) - 1, SIZE_MAX);
                }
        }
        free(s);
}

static json_t *response_new(const struct control_request *req, bool ok)
{
        json_t *o = json_pack("{s:b}", "ok", ok);

        if (o && req && req->has_id)
                json_object_set_new(o, "id", json_integer(req->id));
        return o;
}

static void client_error(struct client *c, const struct control_request *req, const char *code,
                         const char *msg)
{
        json_t *o = response_new(req, false);

        if (o) {
                json_object_set_new(o, "code", json_string(code));
                json_object_set_new(o, "error", json_string(msg));
        }
        client_send_json(c, o);
}

static void client_result(struct client *c, const struct control_request *req, json_t *result)
{
        json_t *o;

        if (!result) {
                client_error(c, req, "ENOMEM", "out of memory");
                return;
        }
        o = response_new(req, true);
        if (o)
                json_object_set_new(o, "result", result);
        else
                json_decref(result);
        client_send_json(c, o);
}

/* ---- status, listeners ---- */

static const char *verdict_text(const struct scmpd_verdict *v, char *buf, size_t size)
{
        switch (v->kind) {
        case SCMPD_VERDICT_CONTINUE:
                return "continue";
        case SCMPD_VERDICT_KILL:
                return "kill";
        case SCMPD_VERDICT_RESPOND:
                if (v->error) {
                        const char *name = errno_to_name(v->error);

                        if (name)
                                snprintf(buf, size, "errno:%s", name);
                        else
                                snprintf(buf, size, "errno:%d", v->error);
                } else {
                        snprintf(buf, size, "value:%lld", (long long)v->val);
                }
                return buf;
        default:
                return "none";
        }
}

static json_t *features_json(int f)
{
        if (f < 0)
                f = 0;
        return json_pack("{s:b,s:b,s:b,s:b,s:b,s:b}", "notify",
                         !!(f & SCMPD_NOTIFY_FEATURE_USER_NOTIF), "continue",
                         !!(f & SCMPD_NOTIFY_FEATURE_CONTINUE), "addfd",
                         !!(f & SCMPD_NOTIFY_FEATURE_ADDFD), "addfd_send",
                         !!(f & SCMPD_NOTIFY_FEATURE_ADDFD_SEND), "wait_killable_recv",
                         !!(f & SCMPD_NOTIFY_FEATURE_WAIT_KILLABLE_RECV), "sync_wake_up",
                         !!(f & SCMPD_NOTIFY_FEATURE_SYNC_WAKE_UP));
}

static json_t *config_json(const struct daemon *d, const struct config *c)
{
        const struct limits *l = &c->limits;
        json_t *handlers = json_array(), *disabled = json_array(), *policies = json_array();
        char buf[64];

        for (size_t i = 0; handlers && i < c->n_instances; i++)
                json_array_append_new(handlers, json_string(c->instances[i]->name));
        for (size_t i = 0; disabled && i < d->n_disabled; i++)
                json_array_append_new(disabled, json_string(d->disabled[i]));
        for (size_t i = 0; policies && i < c->n_policies; i++)
                json_array_append_new(policies, c->policies[i].name
                                                        ? json_string(c->policies[i].name)
                                                        : json_null());
        return json_pack(
                "{s:s,s:o,s:s,s:{s:I,s:I,s:I,s:I,s:I,s:I},s:o,s:o,s:o}", "source", c->source,
                "control_group", c->control_group ? json_string(c->control_group) : json_null(),
                "default", verdict_text(&c->default_verdict, buf, sizeof(buf)), "limits",
                "connections", (json_int_t)l->connections, "listeners", (json_int_t)l->listeners,
                "inflight_per_listener", (json_int_t)l->inflight_per_listener, "handoff_timeout_ms",
                (json_int_t)l->handoff_timeout_ms, "workers", (json_int_t)l->workers,
                "max_message_bytes", (json_int_t)l->max_message_bytes, "policies", policies,
                "handlers", handlers, "disabled_handlers", disabled);
}

static uint64_t inflight_total(const struct control *ctl)
{
        struct list_head *pos, *tmp;
        uint64_t n = 0;

        list_for_each_safe(pos, tmp, &ctl->d->sessions) n +=
                list_entry(pos, struct session, link)->inflight;
        return n;
}

static json_t *status_json(const struct control *ctl)
{
        struct daemon *d = ctl->d;
        uint64_t totals[_STATS_VERDICT_MAX];
        json_t *verdicts = json_object();

        stats_totals(d->stats, totals);
        for (int i = 0; verdicts && i < _STATS_VERDICT_MAX; i++)
                json_object_set_new(verdicts, stats_verdict_name(i),
                                    json_integer((json_int_t)totals[i]));
        return json_pack(
                "{s:s,s:s,s:i,s:f,s:o,s:o,s:{s:s,s:s},s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:I,"
                "s:I,s:I,s:I,"
                "s:I,s:I}}",
                "version", SCMPD_VERSION, "syscall_tables_linux", scmpd_syscall_tables_linux(),
                "pid", (int)getpid(), "uptime_seconds", (double)(now_ns() - ctl->started_ns) / 1e9,
                "features", features_json(d->notify_features), "config", config_json(d, d->config),
                "paths", "handoff", d->listen_path, "control", d->control_path, "counts",
                "listeners", (json_int_t)d->n_sessions, "handoff_connections",
                (json_int_t)d->n_conns, "notifications", (json_int_t)d->n_notifications, "answered",
                (json_int_t)d->n_answered, "gone", (json_int_t)d->n_gone, "handler_timeouts",
                (json_int_t)d->n_handler_timeouts, "inflight", (json_int_t)inflight_total(ctl),
                "verdicts", verdicts, "control_clients", (json_int_t)ctl->n_clients, "monitors",
                (json_int_t)ctl->n_monitors, "monitor_events_dropped",
                (json_int_t)ctl->dropped_events, "control_requests", (json_int_t)ctl->requests,
                "control_refused", (json_int_t)ctl->refused, "control_rate_limited",
                (json_int_t)ctl->rate_limited);
}

static json_t *listener_json(const struct session *s, uint64_t now)
{
        const struct scmpd_handoff_state *o = s->origin;
        json_t *ann = json_object();
        uint64_t oldest = 0;
        struct list_head *pos, *tmp;
        char unnamed[48];
        json_t *policy = json_null();

        /* The policy it matched: its name, "policies[N]" when it has none, null when no policy
         * matched (then "matched" is false and the default verdict answers everything). */
        if (s->policy && s->policy->name)
                policy = json_string(s->policy->name);
        else if (s->policy && s->config && s->policy >= s->config->policies &&
                 s->policy < s->config->policies + s->config->n_policies) {
                snprintf(unnamed, sizeof(unnamed), "policies[%zu]",
                         (size_t)(s->policy - s->config->policies));
                policy = json_string(unnamed);
        }

        list_for_each_safe(pos, tmp, &s->notifs)
        {
                const struct notif *n = list_entry(pos, struct notif, link);

                if (n->received_ns && (!oldest || n->received_ns < oldest))
                        oldest = n->received_ns;
        }
        for (size_t i = 0; ann && o && i < o->n_annotations; i++)
                json_object_set_new(ann, o->annotation_keys[i],
                                    json_string(o->annotation_values[i]));
        return json_pack("{s:I,s:o,s:i,s:o,s:o,s:s,s:o,s:o,s:o,s:b,s:f,s:I,s:I,s:o,s:b}", "session",
                         (json_int_t)s->serial, "container",
                         o && o->id ? json_string(o->id) : json_null(), "pid", o ? (int)o->pid : 0,
                         "metadata", o && o->metadata ? json_string(o->metadata) : json_null(),
                         "annotations", ann, "runtime", s->runtime[0] ? s->runtime : "unknown",
                         "oci_version",
                         o && o->oci_version ? json_string(o->oci_version) : json_null(), "status",
                         o && o->status ? json_string(o->status) : json_null(), "policy",
                         policy ? policy : json_null(), "matched", s->policy != NULL, "age_seconds",
                         s->created_ns ? (double)(now - s->created_ns) / 1e9 : 0.0, "handled",
                         (json_int_t)s->n_handled, "inflight", (json_int_t)s->inflight,
                         "oldest_inflight_seconds",
                         oldest ? json_real((double)(now - oldest) / 1e9) : json_null(),
                         "sync_wake_up", s->sync_wake);
}

static json_t *listeners_json(const struct control *ctl)
{
        json_t *a = json_array();
        uint64_t now = now_ns();
        struct list_head *pos, *tmp;

        list_for_each_safe(pos, tmp, &ctl->d->sessions)
        {
                const struct session *s = list_entry(pos, struct session, link);

                if (!a || json_array_append_new(a, listener_json(s, now)) < 0)
                        return json_decref(a), NULL;
        }
        return json_pack("{s:o}", "listeners", a);
}

static json_t *metrics_json(const struct control *ctl)
{
        struct daemon *d = ctl->d;
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        json_t *r;

        if (!f)
                return NULL;
        (void)stats_write_openmetrics(d->stats, f);
        fprintf(f,
                "# TYPE scmpd_listeners gauge\n"
                "# HELP scmpd_listeners Listeners being served.\n"
                "scmpd_listeners %u\n"
                "# TYPE scmpd_inflight_notifications gauge\n"
                "# HELP scmpd_inflight_notifications Notifications received and not yet "
                "answered.\n"
                "scmpd_inflight_notifications %llu\n"
                "# TYPE scmpd_received_notifications_total counter\n"
                "# HELP scmpd_received_notifications_total Notifications received from the "
                "kernel.\n"
                "scmpd_received_notifications_total %llu\n"
                "# TYPE scmpd_monitor_dropped_events_total counter\n"
                "# HELP scmpd_monitor_dropped_events_total Monitor events dropped for slow "
                "clients.\n"
                "scmpd_monitor_dropped_events_total %llu\n"
                "# TYPE scmpd_control_refused_connections_total counter\n"
                "# HELP scmpd_control_refused_connections_total Unauthorized control connections.\n"
                "scmpd_control_refused_connections_total %llu\n"
                "# TYPE scmpd_uptime_seconds gauge\n"
                "# HELP scmpd_uptime_seconds Time since scmpd started.\n"
                "scmpd_uptime_seconds %.3f\n",
                d->n_sessions, (unsigned long long)inflight_total(ctl),
                (unsigned long long)d->n_notifications, (unsigned long long)ctl->dropped_events,
                (unsigned long long)ctl->refused, (double)(now_ns() - ctl->started_ns) / 1e9);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        r = json_pack("{s:s%}", "text", text, size);
        free(text);
        return r;
}

/* ---- handlers: enable, disable ---- */

static bool handler_known(const struct daemon *d, const char *name)
{
        const struct config *c = d->config;

        if (builtin_handler(name))
                return true;
        for (size_t i = 0; i < c->n_instances; i++)
                if (strcmp(c->instances[i]->name, name) == 0)
                        return true;
        return false;
}

static void handle_handler(struct client *c, const struct control_request *req)
{
        struct daemon *d = c->ctl->d;
        bool disable = req->command == CONTROL_HANDLER_DISABLE;
        bool was = daemon_handler_disabled(d, req->name);
        int r;

        if (!handler_known(d, req->name)) {
                client_error(c, req, "ENOENT", "no such handler in the policy in force");
                return;
        }
        if (disable && !was) {
                r = daemon_handler_disable(d, req->name);
                if (r == -ENOSPC) {
                        client_error(c, req, "ENOSPC", "too many disabled handlers");
                        return;
                }
                if (r < 0) {
                        client_error(c, req, "ENOMEM", "out of memory");
                        return;
                }
        } else if (!disable && was) {
                (void)daemon_handler_enable(d, req->name);
        }
        log_notice("control: handler %s %s by uid %u (pid %d)", req->name,
                   disable ? "disabled" : "enabled", (unsigned)c->uid, (int)c->pid);
        client_result(c, req,
                      json_pack("{s:s,s:b,s:b}", "name", req->name, "enabled", !disable, "changed",
                                disable != was));
}

/* ---- requests ---- */

static void handle_request(struct client *c, const char *line, size_t len)
{
        struct control *ctl = c->ctl;
        struct control_request req;
        _cleanup_free_ char *reason = NULL;
        struct config *before;
        char *why_not = NULL; /* a refused reload's reason */
        int r;

        r = control_proto_parse(line, len, &req, &reason);
        if (r < 0) {
                client_error(c, NULL,
                             r == -E2BIG        ? "E2BIG"
                             : r == -EOPNOTSUPP ? "EOPNOTSUPP"
                                                : "EBADMSG",
                             reason ? reason : "bad request");
                return;
        }
        ctl->requests++;
        log_debug("control: %s from uid %u (pid %d)", control_command_name(req.command),
                  (unsigned)c->uid, (int)c->pid);
        switch (req.command) {
        case CONTROL_STATUS:
                client_result(c, &req, status_json(ctl));
                break;
        case CONTROL_LISTENERS:
                client_result(c, &req, listeners_json(ctl));
                break;
        case CONTROL_STATS:
                client_result(c, &req, stats_to_json(ctl->d->stats));
                break;
        case CONTROL_METRICS:
                client_result(c, &req, metrics_json(ctl));
                break;
        case CONTROL_AUDIT:
                client_result(c, &req,
                              audit_store_to_json(ctl->d->audit,
                                                  req.container[0] ? req.container : NULL));
                break;
        case CONTROL_AUDIT_CLEAR:
                log_notice("control: audit store cleared%s%.256s by uid %u (pid %d)",
                           req.container[0] ? " for " : "", req.container, (unsigned)c->uid,
                           (int)c->pid);
                client_result(
                        c, &req,
                        json_pack("{s:b}", "cleared",
                                  audit_store_clear(ctl->d->audit,
                                                    req.container[0] ? req.container : NULL) > 0));
                break;
        case CONTROL_MONITOR:
                if (!c->monitoring) {
                        c->monitoring = true;
                        ctl->n_monitors++;
                }
                c->filter = req;
                client_result(c, &req, json_pack("{s:b}", "monitoring", true));
                break;
        case CONTROL_RELOAD:
                before = ctl->d->config;
                log_notice("control: reload requested by uid %u (pid %d)", (unsigned)c->uid,
                           (int)c->pid);
                if (daemon_reload(ctl->d, &why_not) < 0 || ctl->d->config == before) {
                        /* The reason names the file, the place and the fault (and "reason"
                         * has it alone, for scripts): the one who asked for the reload is the
                         * one who must fix the file. Control clients are root or the control
                         * group, already trusted with the policy's shape (status). */
                        _cleanup_free_ char *msg = NULL;
                        json_t *o = response_new(&req, false);

                        if (asprintf(&msg, "reload refused, the previous policy stays in force: %s",
                                     why_not ? why_not : "unknown reason") < 0)
                                msg = NULL;
                        if (o) {
                                json_t *m = msg ? json_string(msg) : NULL;
                                json_t *why = why_not ? json_string(why_not) : NULL;

                                json_object_set_new(o, "code", json_string("EINVAL"));
                                json_object_set_new(
                                        o, "error",
                                        m ? m
                                          : json_string("reload refused, the previous policy "
                                                        "stays in force (see the log)"));
                                if (why) /* NULL when not UTF-8: the log has it */
                                        json_object_set_new(o, "reason", why);
                        }
                        client_send_json(c, o);
                        free(why_not);
                } else
                        client_result(c, &req,
                                      json_pack("{s:s,s:I}", "source", ctl->d->config->source,
                                                "policies",
                                                (json_int_t)ctl->d->config->n_policies));
                break;
        case CONTROL_HANDLER_ENABLE:
        case CONTROL_HANDLER_DISABLE:
                handle_handler(c, &req);
                break;
        }
}

static bool take_token(struct client *c)
{
        uint64_t now = now_ns();

        c->tokens += (double)(now - c->tokens_ns) / 1e9 * CONTROL_RATE_PER_SEC;
        if (c->tokens > CONTROL_RATE_BURST)
                c->tokens = CONTROL_RATE_BURST;
        c->tokens_ns = now;
        if (c->tokens < 1.0)
                return false;
        c->tokens -= 1.0;
        return true;
}

/* Process complete lines while the client's output is small. */
static void client_process(struct client *c)
{
        size_t start = 0;

        while (!c->closing && !c->close_when_flushed && pending(c) < CONTROL_READ_PAUSE) {
                char *nl = memchr(c->in + start, '\n', c->in_len - start);
                size_t len;

                if (!nl)
                        break;
                len = (size_t)(nl - (c->in + start));
                if (len && c->in[start + len - 1] == '\r')
                        len--;
                if (c->monitoring) {
                        /* A monitor only listens; what it sends is ignored. */
                } else if (!take_token(c)) {
                        c->ctl->rate_limited++;
                        log_warning("control: uid %u (pid %d) exceeded the request rate; "
                                    "disconnecting",
                                    (unsigned)c->uid, (int)c->pid);
                        client_error(c, NULL, "EBUSY", "request rate exceeded");
                        c->close_when_flushed = true;
                } else if (len) {
                        handle_request(c, c->in + start, len);
                }
                start = (size_t)(nl - c->in) + 1;
        }
        if (start) {
                memmove(c->in, c->in + start, c->in_len - start);
                c->in_len -= start;
        }
        if (c->in_len >= CONTROL_MAX_REQUEST + 1 && !memchr(c->in, '\n', c->in_len)) {
                client_error(c, NULL, "E2BIG", "request too long");
                c->close_when_flushed = true;
                c->in_len = 0;
        }
}

static void client_read(struct client *c)
{
        ssize_t n;

        if (c->in_len >= sizeof(c->in))
                return; /* paused: lines wait for output to drain */
        n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
        if (n < 0) {
                if (errno != EAGAIN && errno != EINTR)
                        client_close(c);
                return;
        }
        if (n == 0) {
                client_close(c);
                return;
        }
        if (c->monitoring) {
                c->in_len = 0; /* discard */
                return;
        }
        c->in_len += (size_t)n;
        client_process(c);
}

static void tell_dropped(struct client *c)
{
        char line[128];
        int len;

        if (!c->monitoring || c->dropped == c->dropped_told ||
            pending(c) > CONTROL_MONITOR_BUFFER / 2)
                return;
        len = snprintf(line, sizeof(line), "{\"event\":\"dropped\",\"count\":%llu}",
                       (unsigned long long)c->dropped);
        if (client_queue(c, line, (size_t)len, SIZE_MAX) == 0)
                c->dropped_told = c->dropped;
}

static void client_on_poll(uv_poll_t *h, int status, int events)
{
        struct client *c = h->data;

        if (c->closing)
                return;
        if (status < 0) {
                client_close(c);
                return;
        }
        if (events & UV_WRITABLE) {
                client_flush(c);
                if (c->closing)
                        return;
                tell_dropped(c);
                client_process(c);
        }
        if (!c->closing && (events & UV_READABLE))
                client_read(c);
        else if (!c->closing && (events & UV_DISCONNECT))
                client_close(c);
        if (!c->closing)
                client_flush(c);
}

/* ---- accept and authorize ---- */

static void resolve_group(struct control *ctl)
{
        const struct config *cfg = ctl->d->config;
        struct group gr, *res = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t size = 16384;
        int r;

        if (ctl->group_config == cfg)
                return;
        ctl->group_config = cfg;
        ctl->group_ok = false;
        if (!cfg->control_group)
                return;
        /* Groups with many members need a larger buffer; 1 MiB is far beyond any sane one. */
        do {
                char *p = realloc(buf, size);

                if (!p)
                        break;
                buf = p;
                r = getgrnam_r(cfg->control_group, &gr, buf, size, &res);
                size *= 2;
        } while (r == ERANGE && size <= 1024 * 1024);
        if (!res) {
                /* The default group exists where the units were installed; elsewhere its
                 * absence is normal and only worth a note. */
                log_msg(cfg->control_group_default ? LOG_INFO : LOG_WARNING,
                        "control: group \"%s\" (control.group%s) does not exist; only root may "
                        "connect",
                        cfg->control_group, cfg->control_group_default ? ", by default" : "");
                return;
        }
        ctl->group_gid = res->gr_gid;
        ctl->group_ok = true;
        /* Let the group reach the socket; the socket itself is 0660. A socket from systemd has
         * the group its unit gives it (SocketGroup=). */
        if (!ctl->activated && ctl->d->control_path[0] != '@' &&
            chown(ctl->d->control_path, 0, res->gr_gid) < 0)
                log_warning("control: cannot give %s to group %s: %m", ctl->d->control_path,
                            cfg->control_group);
}

/* 0 when the peer may talk to us, else a static reason. */
static const char *authorize(struct control *ctl, int fd, const struct ucred *cred)
{
        if (cred->uid == 0)
                return NULL;
        resolve_group(ctl);
        if (!ctl->group_ok)
                return "only root may use the control socket (control.group is not set or does "
                       "not exist)";
        if (cred->gid == ctl->group_gid || socket_peer_in_group(fd, &ctl->group_gid, 1))
                return NULL;
        return "not root and not a member of the control group";
}

static void refuse(struct control *ctl, int fd, const struct ucred *cred, const char *why)
{
        char line[256];
        int len;

        uint64_t now = now_ns();

        ctl->refused++;
        /* A peer that reconnects in a loop must not flood the journal. */
        if (now - ctl->refusal_window_ns > 60ULL * 1000000000ULL) {
                if (ctl->refusals_suppressed)
                        log_warning("control: %u more refused connections were not logged",
                                    ctl->refusals_suppressed);
                ctl->refusal_window_ns = now;
                ctl->refusals_logged = ctl->refusals_suppressed = 0;
        }
        if (ctl->refusals_logged < CONTROL_REFUSAL_LOGS) {
                ctl->refusals_logged++;
                log_warning("control: refused connection from uid %u gid %u pid %d: %s",
                            (unsigned)cred->uid, (unsigned)cred->gid, (int)cred->pid, why);
        } else {
                ctl->refusals_suppressed++;
        }
        len = snprintf(line, sizeof(line),
                       "{\"ok\":false,\"code\":\"EACCES\",\"error\":\"access denied: %s\"}\n", why);
        (void)send(fd, line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
        safe_close(fd);
}

static unsigned clients_of(const struct control *ctl, uid_t uid)
{
        struct list_head *pos, *tmp;
        unsigned n = 0;

        list_for_each_safe(pos, tmp, &ctl->clients) n +=
                list_entry(pos, struct client, link)->uid == uid;
        return n;
}

static void control_on_accept(uv_poll_t *h, int status, int events)
{
        struct control *ctl = h->data;

        for (int i = 0; i < 16; i++) {
                struct ucred cred = {};
                socklen_t len = sizeof(cred);
                const char *why;
                struct client *c;
                int fd;

                fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0)
                        return;
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                        safe_close(fd);
                        continue;
                }
                why = authorize(ctl, fd, &cred);
                if (why) {
                        refuse(ctl, fd, &cred, why);
                        continue;
                }
                if (ctl->n_clients >= CONTROL_MAX_CLIENTS ||
                    clients_of(ctl, cred.uid) >= CONTROL_MAX_CLIENTS_PER_UID) {
                        static const char busy[] = "{\"ok\":false,\"code\":\"EMFILE\","
                                                   "\"error\":\"too many control clients\"}\n";
                        (void)send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
                        log_warning("control: too many clients; refused pid %d", (int)cred.pid);
                        safe_close(fd);
                        continue;
                }
                c = calloc(1, sizeof(*c));
                if (!c || uv_poll_init(ctl->d->loop, &c->poll, fd) < 0) {
                        free(c);
                        safe_close(fd);
                        continue;
                }
                c->ctl = ctl;
                c->fd = fd;
                c->uid = cred.uid;
                c->pid = cred.pid;
                c->serial = ++ctl->next_serial;
                c->tokens = CONTROL_RATE_BURST;
                c->tokens_ns = now_ns();
                c->poll.data = c;
                list_add_tail(&c->link, &ctl->clients);
                ctl->n_clients++;
                client_update_poll(c);
        }
}

static void on_config_changed(void *userdata, const struct config *old)
{
        resolve_group(userdata);
}

static void on_notif_done(void *userdata, const struct notif *n, const struct scmpd_verdict *v,
                          int answer);

/* control_start() failed before any handle existed: give back the path if we bound it, free ctl
 * and return r. */
static int control_abandon(struct control *ctl, int r)
{
        safe_close(ctl->fd);
        (void)socket_unlink_if_ours(ctl->d->control_path, &ctl->file);
        free(ctl);
        return r;
}

int control_start(struct daemon *d, pid_t *ret_owner)
{
        struct control *ctl;
        int r;

        ctl = calloc(1, sizeof(*ctl));
        if (!ctl)
                return -ENOMEM;
        ctl->d = d;
        ctl->fd = -1;
        ctl->started_ns = now_ns();
        list_init(&ctl->clients);
        r = sd_take_control_fd(d);
        if (r >= 0) {
                ctl->fd = r;
                ctl->activated = true;
                goto watch;
        }
        /* Bound with no access at all, then opened to the owner and group. */
        r = socket_listen_path(d->control_path, 16, 0777, &ctl->fd, &ctl->file, ret_owner);
        if (r < 0)
                return control_abandon(ctl, r);
        if (d->control_path[0] != '@' && chmod(d->control_path, 0660) < 0)
                return control_abandon(ctl, negative_errno());
watch:
        resolve_group(ctl);
        r = uv_poll_init(d->loop, &ctl->poll, ctl->fd);
        if (r < 0)
                return control_abandon(ctl, r);
        ctl->poll.data = ctl;
        ctl->polling = true;
        if (uv_timer_init(d->loop, &ctl->batch) == 0) {
                ctl->batching = true;
                ctl->batch.data = ctl;
        }
        /* A new policy (SIGHUP or reload) may name another control.group. */
        ctl->observer = (struct daemon_observer){
                .userdata = ctl,
                .notif_done = on_notif_done,
                .config_changed = on_config_changed,
        };
        daemon_observe(d, &ctl->observer);
        d->control = ctl;
        return uv_poll_start(&ctl->poll, UV_READABLE, control_on_accept);
}

void control_stop(struct daemon *d)
{
        struct control *ctl = d->control;
        struct list_head *pos, *tmp;

        if (!ctl)
                return;
        daemon_unobserve(&ctl->observer);
        if (ctl->polling) {
                uv_close((uv_handle_t *)&ctl->poll, NULL);
                ctl->polling = false;
        }
        if (ctl->batching) {
                uv_close((uv_handle_t *)&ctl->batch, NULL);
                ctl->batching = ctl->batch_armed = false;
        }
        if (ctl->fd >= 0) {
                ctl->fd = safe_close(ctl->fd);
                if (!ctl->activated)
                        (void)socket_unlink_if_ours(d->control_path, &ctl->file);
        }
        if (ctl->clients.next)
                list_for_each_safe(pos, tmp, &ctl->clients)
                        client_close(list_entry(pos, struct client, link));
        daemon_handlers_enable_all(d);
}

struct control *control_free(struct control *ctl)
{
        free(ctl);
        return NULL;
}

/* ---- the notification path ---- */

static bool monitor_wants(const struct client *c, const struct notif *n, enum stats_verdict sv)
{
        const struct control_request *f = &c->filter;

        if (f->container[0] &&
            fnmatch(f->container, n->view.container_id ? n->view.container_id : "", 0) != 0)
                return false;
        if (f->syscall[0] && (!n->view.syscall || strcmp(f->syscall, n->view.syscall) != 0))
                return false;
        if (f->verdict >= 0 && f->verdict != (int)sv)
                return false;
        return true;
}

/* ---- monitor events: formatted by hand, once per event, into one static buffer ---- */

#define EVENT_STRING_MAX 256 /* bytes of a string field kept in an event */

struct jbuf {
        char *p;
        size_t len, cap;
};

static void jb_printf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jb_printf(struct jbuf *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        b->len = n < 0 || (size_t)n >= b->cap - b->len ? b->cap : b->len + (size_t)n;
}

/* A JSON string (or null), escaped, cut at EVENT_STRING_MAX bytes on a UTF-8 boundary. The
 * strings come from jansson-parsed payloads or our tables, so they are valid UTF-8. */
static void jb_string(struct jbuf *b, const char *s)
{
        size_t n;

        if (!s) {
                jb_printf(b, "null");
                return;
        }
        n = strnlen(s, EVENT_STRING_MAX + 1);
        if (n > EVENT_STRING_MAX) {
                n = EVENT_STRING_MAX;
                while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
                        n--;
        }
        jb_printf(b, "\"");
        for (size_t i = 0; i < n && b->len < b->cap; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '"' || c == '\\')
                        jb_printf(b, "\\%c", c);
                else if (c < 0x20 || c == 0x7f)
                        jb_printf(b, "\\u%04x", c);
                else if (b->len + 1 < b->cap)
                        b->p[b->len++] = (char)c;
        }
        jb_printf(b, "\"");
}

/* Format one event; returns its length, or 0 when it did not fit (it always does: every
 * string is bounded). */
static size_t format_event(char *buf, size_t size, const struct notif *n,
                           const struct scmpd_verdict *v, enum stats_verdict sv,
                           const char *handler, uint64_t latency_ns)
{
        const struct scmpd_handoff_state *o = n->s->origin;
        const struct scmpd_arch *a = scmpd_arch_by_token(n->view.arch);
        struct jbuf b = { .p = buf, .cap = size };
        uint64_t now = stats_realtime_ns();
        char vbuf[64];

        jb_printf(&b, "{\"event\":\"notification\",\"time\":%llu.%06llu,\"session\":%llu,",
                  (unsigned long long)(now / 1000000000ULL),
                  (unsigned long long)(now / 1000ULL % 1000000ULL),
                  (unsigned long long)n->s->serial);
        jb_printf(&b, "\"container\":");
        jb_string(&b, o ? o->id : NULL);
        jb_printf(&b, ",\"metadata\":");
        jb_string(&b, o ? o->metadata : NULL);
        jb_printf(&b, ",\"pid\":%d,\"tid\":%d,\"arch\":", o ? (int)o->pid : 0, (int)n->view.tid);
        jb_string(&b, a ? a->name : "unknown");
        jb_printf(&b, ",\"syscall\":");
        jb_string(&b, n->view.syscall);
        jb_printf(&b, ",\"nr\":%d,\"verdict\":\"%s\",\"answer\":", n->view.nr,
                  stats_verdict_name(sv));
        jb_string(&b, v ? verdict_text(v, vbuf, sizeof(vbuf)) : "none");
        jb_printf(&b, ",\"handler\":");
        jb_string(&b, handler ? handler : "(default)");
        jb_printf(&b, ",\"latency_us\":%llu.%03llu}", (unsigned long long)(latency_ns / 1000),
                  (unsigned long long)(latency_ns % 1000));
        return b.len < b.cap ? b.len : 0;
}

#define MONITOR_BATCH 4096
#define MONITOR_DELAY_MS 10

static void on_batch(uv_timer_t *t)
{
        struct control *ctl = t->data;
        struct list_head *pos, *tmp;

        ctl->batch_armed = false;
        list_for_each_safe(pos, tmp, &ctl->clients)
        {
                struct client *c = list_entry(pos, struct client, link);

                if (c->monitoring && pending(c))
                        client_flush(c);
        }
}

static void monitor_send(struct control *ctl, const struct notif *n, const struct scmpd_verdict *v,
                         enum stats_verdict sv, const char *handler, uint64_t latency_ns)
{
        static char line[16384];
        struct list_head *pos, *tmp;
        size_t len = 0;

        list_for_each_safe(pos, tmp, &ctl->clients)
        {
                struct client *c = list_entry(pos, struct client, link);

                if (!c->monitoring || !monitor_wants(c, n, sv))
                        continue;
                /* A full client costs a counter, not the event's formatting. */
                if (pending(c) + sizeof(line) > CONTROL_MONITOR_BUFFER) {
                        c->dropped++;
                        ctl->dropped_events++;
                        continue;
                }
                if (!len) {
                        len = format_event(line, sizeof(line), n, v, sv, handler, latency_ns);
                        if (!len)
                                return;
                }
                if (client_queue(c, line, len, CONTROL_MONITOR_BUFFER) < 0) {
                        c->dropped++;
                        ctl->dropped_events++;
                        continue;
                }
                /* Batch: one send() per MONITOR_BATCH bytes or MONITOR_DELAY_MS, not per event. */
                if (pending(c) >= MONITOR_BATCH || !ctl->batching)
                        client_flush(c);
                else if (!ctl->batch_armed) {
                        ctl->batch_armed = true;
                        uv_timer_start(&ctl->batch, on_batch, MONITOR_DELAY_MS, 0);
                }
        }
}

static void on_notif_done(void *userdata, const struct notif *n, const struct scmpd_verdict *v,
                          int answer)
{
        struct control *ctl = userdata;

        if (ctl->n_monitors)
                monitor_send(ctl, n, v, stats_classify(v, answer), v ? stats_decider(n) : NULL,
                             stats_latency_ns(n));
}
