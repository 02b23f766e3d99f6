/*
 * Decision statistics.
 *
 * Model: two fixed-size tables of entries, one keyed by syscall name and one by the name of the
 * handler that decided (or "(default)" when no handler did), each entry holding a counter per
 * verdict and a latency histogram. A notification is counted once, when it ends (answered, gone,
 * or failed), with the time from its receipt on the loop to its answer.
 *
 * The tables live in one struct stats, made by stats_new(), which observes the daemon: each ended
 * notification is counted from the daemon's notif_done event, never by a call from the core.
 *
 * Invariants: memory is fixed (allocated once, no allocation on the notification path); a name
 * that does not fit the table any more is counted under "(other)", so totals always add up.
 * Histogram buckets are powers of two in nanoseconds; the Prometheus text exposition reports them
 * in seconds, cumulatively, as that format requires. Only the loop thread touches these tables.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"
#include "stats.h"

struct histogram {
        uint64_t buckets[STATS_BUCKETS];
        uint64_t count;
        uint64_t sum_ns;
};

struct stats_entry {
        char name[STATS_NAME_MAX];
        bool used;
        uint64_t verdicts[_STATS_VERDICT_MAX];
        struct histogram latency;
};

struct stats_table {
        struct stats_entry *slots;
        size_t n_slots; /* a power of two, twice the capacity */
        size_t capacity;
        size_t used;
        struct stats_entry other;
};

struct stats {
        struct stats_entry syscall_slots[2 * STATS_MAX_SYSCALLS];
        struct stats_entry handler_slots[2 * STATS_MAX_HANDLERS];
        struct stats_table syscalls, handlers;
        uint64_t totals[_STATS_VERDICT_MAX];
        struct daemon_observer observer;
};

static const char *const verdict_names[_STATS_VERDICT_MAX] = {
        [STATS_CONTINUE] = "continue", [STATS_ERRNO] = "errno", [STATS_VALUE] = "value",
        [STATS_KILL] = "kill",         [STATS_GONE] = "gone",   [STATS_FAILED] = "failed",
};

const char *stats_verdict_name(enum stats_verdict v)
{
        return (unsigned)v < _STATS_VERDICT_MAX ? verdict_names[v] : "?";
}

int stats_verdict_from_name(const char *name)
{
        for (int i = 0; i < _STATS_VERDICT_MAX; i++)
                if (name && strcmp(name, verdict_names[i]) == 0)
                        return i;
        return -EINVAL;
}

uint64_t stats_realtime_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static unsigned bucket_of(uint64_t ns)
{
        unsigned k = ns ? 64U - (unsigned)__builtin_clzll(ns) : 0U;

        return k < STATS_BUCKETS ? k : STATS_BUCKETS - 1;
}

static uint64_t hash_name(const char *s, size_t len)
{
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */

        for (size_t i = 0; i < len; i++)
                h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
        return h;
}

/* The key is the name's first STATS_NAME_MAX - 1 bytes, hashed and compared in place: this runs
 * twice per notification, so no copy and no formatting. */
static struct stats_entry *table_get(struct stats_table *t, const char *name)
{
        size_t len = strnlen(name, STATS_NAME_MAX - 1);
        size_t i = hash_name(name, len) & (t->n_slots - 1);

        for (;;) {
                struct stats_entry *e = &t->slots[i];

                if (!e->used) {
                        if (t->used >= t->capacity)
                                return &t->other;
                        e->used = true;
                        memcpy(e->name, name, len);
                        e->name[len] = '\0';
                        t->used++;
                        return e;
                }
                if (e->name[len] == '\0' && memcmp(e->name, name, len) == 0)
                        return e;
                i = (i + 1) & (t->n_slots - 1);
        }
}

static void entry_add(struct stats_entry *e, enum stats_verdict v, uint64_t ns)
{
        e->verdicts[v]++;
        e->latency.buckets[bucket_of(ns)]++;
        e->latency.count++;
        e->latency.sum_ns += ns;
}

void stats_record(struct stats *st, const char *syscall, const char *handler, enum stats_verdict v,
                  uint64_t latency_ns)
{
        if ((unsigned)v >= _STATS_VERDICT_MAX)
                v = STATS_FAILED;
        st->totals[v]++;
        entry_add(table_get(&st->syscalls, syscall ? syscall : "unknown"), v, latency_ns);
        entry_add(table_get(&st->handlers, handler ? handler : "(default)"), v, latency_ns);
}

void stats_reset(struct stats *st)
{
        memset(st->syscall_slots, 0, sizeof(st->syscall_slots));
        memset(st->handler_slots, 0, sizeof(st->handler_slots));
        st->syscalls = (struct stats_table){
                .slots = st->syscall_slots,
                .n_slots = 2 * STATS_MAX_SYSCALLS,
                .capacity = STATS_MAX_SYSCALLS,
                .other = { .name = "(other)" },
        };
        st->handlers = (struct stats_table){
                .slots = st->handler_slots,
                .n_slots = 2 * STATS_MAX_HANDLERS,
                .capacity = STATS_MAX_HANDLERS,
                .other = { .name = "(other)" },
        };
        memset(st->totals, 0, sizeof(st->totals));
}

enum stats_verdict stats_classify(const struct scmpd_verdict *v, int answer)
{
        if (answer == -ENOENT || !v)
                return STATS_GONE;
        if (answer < 0)
                return STATS_FAILED;
        switch (v->kind) {
        case SCMPD_VERDICT_CONTINUE:
                return STATS_CONTINUE;
        case SCMPD_VERDICT_KILL:
                return STATS_KILL;
        case SCMPD_VERDICT_RESPOND:
                return v->error ? STATS_ERRNO : STATS_VALUE;
        default:
                return STATS_FAILED;
        }
}

const char *stats_decider(const struct notif *n)
{
        if (n->rule && n->chain_pos < n->rule->n_chain)
                return n->rule->chain[n->chain_pos]->name;
        return NULL;
}

uint64_t stats_latency_ns(const struct notif *n)
{
        uint64_t now = now_ns();

        return n->received_ns && now > n->received_ns ? now - n->received_ns : 0;
}

static void on_notif_done(void *userdata, const struct notif *n, const struct scmpd_verdict *v,
                          int answer)
{
        stats_record(userdata, n->view.syscall, v ? stats_decider(n) : NULL,
                     stats_classify(v, answer), stats_latency_ns(n));
}

struct stats *stats_new(void)
{
        struct stats *st = calloc(1, sizeof(*st));

        if (!st)
                return NULL;
        stats_reset(st);
        st->observer = (struct daemon_observer){ .userdata = st, .notif_done = on_notif_done };
        return st;
}

struct daemon_observer *stats_observer(struct stats *st)
{
        return &st->observer;
}

struct stats *stats_free(struct stats *st)
{
        free(st);
        return NULL;
}

void stats_totals(const struct stats *st, uint64_t ret_totals[_STATS_VERDICT_MAX])
{
        memcpy(ret_totals, st->totals, sizeof(st->totals));
}

/* ---- JSON ---- */

static json_t *verdicts_json(const uint64_t *v)
{
        json_t *o = json_object();

        for (int i = 0; o && i < _STATS_VERDICT_MAX; i++)
                if (json_object_set_new(o, verdict_names[i], json_integer((json_int_t)v[i])) < 0)
                        return json_decref(o), NULL;
        return o;
}

/* {"count":N,"sum_ns":S,"buckets":[[upper_ns, count], ...]} with only non-empty buckets; the
 * last bucket's bound is null (no upper bound). */
static json_t *histogram_json(const struct histogram *h)
{
        json_t *b = json_array();

        if (!b)
                return NULL;
        for (unsigned k = 0; k < STATS_BUCKETS; k++) {
                json_t *pair;

                if (!h->buckets[k])
                        continue;
                pair = json_pack("[o,I]",
                                 k == STATS_BUCKETS - 1 ? json_null()
                                                        : json_integer((json_int_t)(1ULL << k)),
                                 (json_int_t)h->buckets[k]);
                if (!pair || json_array_append_new(b, pair) < 0)
                        return json_decref(b), NULL;
        }
        return json_pack("{s:I,s:I,s:o}", "count", (json_int_t)h->count, "sum_ns",
                         (json_int_t)h->sum_ns, "buckets", b);
}

static json_t *entry_json(const struct stats_entry *e)
{
        uint64_t count = 0;

        for (int i = 0; i < _STATS_VERDICT_MAX; i++)
                count += e->verdicts[i];
        return json_pack("{s:s,s:I,s:o,s:o}", "name", e->name, "count", (json_int_t)count,
                         "verdicts", verdicts_json(e->verdicts), "latency",
                         histogram_json(&e->latency));
}

static json_t *table_json(const struct stats_table *t)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < t->n_slots; i++) {
                if (!t->slots[i].used)
                        continue;
                if (json_array_append_new(a, entry_json(&t->slots[i])) < 0)
                        return json_decref(a), NULL;
        }
        if (a && t->other.latency.count && json_array_append_new(a, entry_json(&t->other)) < 0)
                return json_decref(a), NULL;
        return a;
}

json_t *stats_to_json(const struct stats *st)
{
        return json_pack("{s:o,s:o,s:o}", "verdicts", verdicts_json(st->totals), "syscalls",
                         table_json(&st->syscalls), "handlers", table_json(&st->handlers));
}

/* ---- the Prometheus text format 0.0.4 ---- */

void stats_write_label_value(FILE *f, const char *s)
{
        for (; s && *s; s++) {
                if (*s == '\\' || *s == '"')
                        fprintf(f, "\\%c", *s);
                else if (*s == '\n')
                        fputs("\\n", f);
                else
                        fputc(*s, f);
        }
}

static void write_counters(FILE *f, const struct stats_table *t, const char *metric,
                           const char *label)
{
        for (size_t i = 0; i <= t->n_slots; i++) {
                const struct stats_entry *e = i < t->n_slots ? &t->slots[i] : &t->other;

                if (i < t->n_slots ? !e->used : !e->latency.count)
                        continue;
                for (int v = 0; v < _STATS_VERDICT_MAX; v++) {
                        if (!e->verdicts[v])
                                continue;
                        fprintf(f, "%s_total{%s=\"", metric, label);
                        stats_write_label_value(f, e->name);
                        fprintf(f, "\",verdict=\"%s\"} %llu\n", verdict_names[v],
                                (unsigned long long)e->verdicts[v]);
                }
        }
}

/* Bucket bounds printed: 2^10 ns (about 1 us) to 2^34 ns (about 17 s), every factor of 4. The
 * buckets are cumulative, so the skipped bounds lose resolution, never counts. */
static void write_histograms(FILE *f, const struct stats_table *t, const char *metric,
                             const char *label)
{
        for (size_t i = 0; i <= t->n_slots; i++) {
                const struct stats_entry *e = i < t->n_slots ? &t->slots[i] : &t->other;
                uint64_t cum = 0;
                unsigned k = 0;

                if (i < t->n_slots ? !e->used : !e->latency.count)
                        continue;
                for (unsigned le = 10; le <= 34; le += 2) {
                        for (; k <= le; k++)
                                cum += e->latency.buckets[k];
                        fprintf(f, "%s_bucket{%s=\"", metric, label);
                        stats_write_label_value(f, e->name);
                        fprintf(f, "\",le=\"%.12g\"} %llu\n", (double)(1ULL << le) / 1e9,
                                (unsigned long long)cum);
                }
                fprintf(f, "%s_bucket{%s=\"", metric, label);
                stats_write_label_value(f, e->name);
                fprintf(f, "\",le=\"+Inf\"} %llu\n", (unsigned long long)e->latency.count);
                fprintf(f, "%s_count{%s=\"", metric, label);
                stats_write_label_value(f, e->name);
                fprintf(f, "\"} %llu\n", (unsigned long long)e->latency.count);
                fprintf(f, "%s_sum{%s=\"", metric, label);
                stats_write_label_value(f, e->name);
                fprintf(f, "\"} %.9f\n", (double)e->latency.sum_ns / 1e9);
        }
}

int stats_write_openmetrics(const struct stats *st, FILE *f)
{
        /* The Prometheus text format 0.0.4, which Debian's node exporter (textfile collector)
         * and a scrape read: a counter's TYPE names its sample, _total included. */
        fputs("# TYPE scmpd_notifications_total counter\n"
              "# HELP scmpd_notifications_total Notifications that ended, by syscall and "
              "verdict.\n",
              f);
        write_counters(f, &st->syscalls, "scmpd_notifications", "syscall");
        fputs("# TYPE scmpd_handler_decisions_total counter\n"
              "# HELP scmpd_handler_decisions_total Notifications that ended, by the handler that "
              "decided and verdict.\n",
              f);
        write_counters(f, &st->handlers, "scmpd_handler_decisions", "handler");
        fputs("# TYPE scmpd_notification_latency_seconds histogram\n"
              "# HELP scmpd_notification_latency_seconds Time from receipt to answer, by "
              "syscall.\n",
              f);
        write_histograms(f, &st->syscalls, "scmpd_notification_latency_seconds", "syscall");
        fputs("# TYPE scmpd_handler_latency_seconds histogram\n"
              "# HELP scmpd_handler_latency_seconds Time from receipt to answer, by the handler "
              "that decided.\n",
              f);
        write_histograms(f, &st->handlers, "scmpd_handler_latency_seconds", "handler");
        return ferror(f) ? -EIO : 0;
}
