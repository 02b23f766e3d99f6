/*
 * The audit store: per-container syscall usage, for `scmpctl audit` and for the least-privilege
 * profile `scmpctl audit profile` writes from it.
 *
 * Model: up to AUDIT_MAX_CONTAINERS containers, each with up to AUDIT_MAX_SYSCALLS entries keyed
 * by (arch, syscall number), each entry counting calls per verdict with first and last seen
 * (wall clock, as operators read it). A new container beyond the limit evicts the one seen least
 * recently, and the eviction is counted; a syscall beyond the per-container limit is counted as
 * dropped for that container (a profile made from such a container is then reported incomplete
 * by the client). Only the loop thread touches the store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_store.h"
#include "policy.h"
#include "scmpd/arch.h"

struct audit_syscall {
        uint32_t arch;
        int nr;
        uint64_t verdicts[_STATS_VERDICT_MAX];
        uint64_t first_ns, last_ns;
};

struct audit_container {
        char id[AUDIT_ID_MAX];
        char metadata[AUDIT_ID_MAX]; /* the listenerMetadata, "" when none */
        size_t n, cap;
        struct audit_syscall *syscalls;
        uint64_t last_ns;
        uint64_t dropped;
};

struct audit_store {
        struct audit_container *containers[AUDIT_MAX_CONTAINERS];
        size_t n_containers;
        uint64_t evicted;
        struct daemon *d;
        struct daemon_observer observer;
};

static struct audit_container *container_free(struct audit_container *c)
{
        if (c)
                free(c->syscalls);
        free(c);
        return NULL;
}

static struct audit_container *container_get(struct audit_store *a, const char *id)
{
        struct audit_container *c;
        size_t victim = 0;

        for (size_t i = 0; i < a->n_containers; i++) {
                if (strncmp(a->containers[i]->id, id, AUDIT_ID_MAX - 1) == 0 &&
                    strlen(id) < AUDIT_ID_MAX)
                        return a->containers[i];
                if (a->containers[i]->last_ns < a->containers[victim]->last_ns)
                        victim = i;
        }
        c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        snprintf(c->id, sizeof(c->id), "%s", id);
        if (a->n_containers == AUDIT_MAX_CONTAINERS) {
                container_free(a->containers[victim]);
                a->containers[victim] = c;
                a->evicted++;
        } else {
                a->containers[a->n_containers++] = c;
        }
        return c;
}

void audit_store_record(struct audit_store *a, const char *container, const char *metadata,
                        const char *syscall, uint32_t arch, int nr, enum stats_verdict v,
                        uint64_t realtime_ns)
{
        struct audit_container *c;
        struct audit_syscall *e = NULL;

        (void)syscall; /* the name is derived from (arch, nr) when reporting */
        if ((unsigned)v >= _STATS_VERDICT_MAX)
                v = STATS_FAILED;
        c = container_get(a, container && *container ? container : "(none)");
        if (!c)
                return;
        c->last_ns = realtime_ns;
        snprintf(c->metadata, sizeof(c->metadata), "%s", metadata ? metadata : "");
        for (size_t i = 0; i < c->n; i++)
                if (c->syscalls[i].nr == nr && c->syscalls[i].arch == arch) {
                        e = &c->syscalls[i];
                        break;
                }
        if (!e) {
                if (c->n == AUDIT_MAX_SYSCALLS) {
                        c->dropped++;
                        return;
                }
                if (c->n == c->cap) {
                        size_t cap = c->cap ? 2 * c->cap : 16;
                        struct audit_syscall *grown =
                                reallocarray(c->syscalls, cap, sizeof(*grown));

                        if (!grown) {
                                c->dropped++;
                                return;
                        }
                        c->syscalls = grown;
                        c->cap = cap;
                }
                e = &c->syscalls[c->n++];
                *e = (struct audit_syscall){ .arch = arch, .nr = nr, .first_ns = realtime_ns };
        }
        e->verdicts[v]++;
        e->last_ns = realtime_ns;
}

void audit_store_reset(struct audit_store *a)
{
        for (size_t i = 0; i < a->n_containers; i++)
                a->containers[i] = container_free(a->containers[i]);
        a->n_containers = 0;
        a->evicted = 0;
}

/* RFC 3339 in UTC with milliseconds. */
static json_t *time_json(uint64_t ns)
{
        char buf[64];
        time_t t = (time_t)(ns / 1000000000ULL);
        struct tm tm;

        if (!gmtime_r(&t, &tm))
                return json_null();
        snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (unsigned)(ns / 1000000ULL % 1000ULL));
        return json_string(buf);
}

static json_t *syscall_json(const struct audit_syscall *e)
{
        const struct scmpd_arch *a = scmpd_arch_by_token(e->arch);
        const char *name = a ? scmpd_syscall_name(a, e->nr) : NULL;
        json_t *v = json_object();
        uint64_t count = 0;

        for (int i = 0; v && i < _STATS_VERDICT_MAX; i++) {
                count += e->verdicts[i];
                if (e->verdicts[i] &&
                    json_object_set_new(v, stats_verdict_name(i),
                                        json_integer((json_int_t)e->verdicts[i])) < 0)
                        return json_decref(v), NULL;
        }
        return json_pack("{s:o,s:s,s:i,s:I,s:o,s:o,s:o}", "name",
                         name ? json_string(name) : json_null(), "arch", a ? a->name : "unknown",
                         "nr", e->nr, "count", (json_int_t)count, "verdicts", v, "first_seen",
                         time_json(e->first_ns), "last_seen", time_json(e->last_ns));
}

json_t *audit_store_to_json(const struct audit_store *a, const char *container)
{
        json_t *list = json_array();

        for (size_t i = 0; list && i < a->n_containers; i++) {
                const struct audit_container *c = a->containers[i];
                json_t *sys, *o;

                if (container && strcmp(container, c->id) != 0)
                        continue;
                sys = json_array();
                for (size_t j = 0; sys && j < c->n; j++)
                        if (json_array_append_new(sys, syscall_json(&c->syscalls[j])) < 0)
                                sys = (json_decref(sys), NULL);
                o = json_pack("{s:s,s:s,s:o,s:I,s:o}", "id", c->id, "metadata", c->metadata,
                              "syscalls", sys, "dropped", (json_int_t)c->dropped, "last_seen",
                              time_json(c->last_ns));
                if (json_array_append_new(list, o) < 0)
                        return json_decref(list), NULL;
        }
        return json_pack("{s:o,s:I}", "containers", list, "evicted", (json_int_t)a->evicted);
}

extern const struct scmpd_handler_ops audit_handler_ops;

/* Was an audit handler, not disabled, in the part of the chain that ran? */
static bool audited(const struct daemon *d, const struct notif *n)
{
        if (!n->rule)
                return false;
        for (size_t i = 0; i < n->rule->n_chain && i <= n->chain_pos; i++)
                if (n->rule->chain[i]->ops == &audit_handler_ops &&
                    !daemon_handler_disabled(d, n->rule->chain[i]->name))
                        return true;
        return false;
}

static void on_notif_done(void *userdata, const struct notif *n, const struct scmpd_verdict *v,
                          int answer)
{
        struct audit_store *a = userdata;
        const struct scmpd_handoff_state *o = n->s->origin;
        const char *id = o ? o->id : NULL;
        char key[64];

        if (!audited(a->d, n))
                return;
        if (!id) {
                snprintf(key, sizeof(key), "pid-%d", o ? (int)o->pid : 0);
                id = key;
        }
        audit_store_record(a, id, o ? o->metadata : NULL, n->view.syscall, n->view.arch, n->view.nr,
                           stats_classify(v, answer), stats_realtime_ns());
}

/* The info-level summary: one line per audited container when one of its listeners ends (the
 * audit handler itself logs per call at debug). */
static void on_session_removed(void *userdata, struct session *s)
{
        struct audit_store *a = userdata;
        const struct scmpd_handoff_state *o = s->origin;
        char key[64];
        const char *id = o ? o->id : NULL;
        uint64_t calls = 0;

        if (!id) {
                snprintf(key, sizeof(key), "pid-%d", o ? (int)o->pid : 0);
                id = key;
        }
        for (size_t i = 0; i < a->n_containers; i++) {
                const struct audit_container *c = a->containers[i];

                if (strcmp(c->id, id) != 0)
                        continue;
                for (size_t j = 0; j < c->n; j++)
                        for (int v = 0; v < _STATS_VERDICT_MAX; v++)
                                calls += c->syscalls[j].verdicts[v];
                log_info("audit: container %.256s: %llu calls of %zu syscalls recorded so far",
                         c->id, (unsigned long long)calls, c->n);
        }
}

struct audit_store *audit_store_new(struct daemon *d)
{
        struct audit_store *a = calloc(1, sizeof(*a));

        if (!a)
                return NULL;
        a->d = d;
        a->observer = (struct daemon_observer){ .userdata = a,
                                                .notif_done = on_notif_done,
                                                .session_removed = on_session_removed };
        if (d)
                daemon_observe(d, &a->observer);
        return a;
}

struct audit_store *audit_store_free(struct audit_store *a)
{
        if (!a)
                return NULL;
        if (a->d)
                daemon_unobserve(&a->observer);
        audit_store_reset(a);
        free(a);
        return NULL;
}
