/*
 * Decision statistics: counters per syscall, per handler and per verdict, and latency
 * histograms (receipt to answer) per syscall and per handler. See stats.c for the model.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "daemon.h"

struct stats;

/* How a notification ended, as counted and reported. */
enum stats_verdict {
        STATS_CONTINUE,
        STATS_ERRNO, /* RESPOND with an errno */
        STATS_VALUE, /* RESPOND with a return value */
        STATS_KILL,
        STATS_GONE,   /* the target went away before the answer */
        STATS_FAILED, /* answering failed for another reason */
        _STATS_VERDICT_MAX,
};

/* Histogram buckets: bucket k counts latencies in [2^(k-1), 2^k) ns (bucket 0: 0 ns); the last
 * one holds everything from 2^(STATS_BUCKETS-2) ns (about 17 s) upwards. */
#define STATS_BUCKETS 36

/* Key sizes: longer names are truncated; beyond the table sizes, keys share "(other)". */
#define STATS_MAX_SYSCALLS 512
#define STATS_MAX_HANDLERS 128
#define STATS_NAME_MAX 64

const char *stats_verdict_name(enum stats_verdict v);
/* The reverse, for filters: -EINVAL when unknown. */
int stats_verdict_from_name(const char *name);

/* CLOCK_REALTIME in nanoseconds (CLOCK_MONOTONIC is now_ns(), daemon.h). */
uint64_t stats_realtime_ns(void);

/* Empty tables (NULL on ENOMEM); stats_free() accepts NULL. */
struct stats *stats_new(void);
struct stats *stats_free(struct stats *st);
/* The observer that counts every notification that ends, for daemon_observe(): unobserve it
 * before stats_free(). */
struct daemon_observer *stats_observer(struct stats *st);

/* How a notification ended: `v` the verdict acted on (NULL: gone first), `answer` its result. */
enum stats_verdict stats_classify(const struct scmpd_verdict *v, int answer);
/* The name of the handler whose verdict it was, or NULL (the default decided). */
const char *stats_decider(const struct notif *n);
/* From its receipt to now. */
uint64_t stats_latency_ns(const struct notif *n);

/* Count one answered notification. `syscall` and `handler` may be NULL ("unknown",
 * "(default)"). */
void stats_record(struct stats *st, const char *syscall, const char *handler, enum stats_verdict v,
                  uint64_t latency_ns);

/* Forget everything. */
void stats_reset(struct stats *st);

/* Totals per verdict. */
void stats_totals(const struct stats *st, uint64_t ret_totals[_STATS_VERDICT_MAX]);

/* The whole table as JSON (see docs/control-protocol.md, "stats"). NULL on ENOMEM. */
json_t *stats_to_json(const struct stats *st);

/* The counters and histograms in the Prometheus text format 0.0.4 (the caller adds its gauges).
 * Returns 0 or -errno from the stream. */
int stats_write_openmetrics(const struct stats *st, FILE *f);

/* Write a label value with the text format's escaping (\\, \", \n). */
void stats_write_label_value(FILE *f, const char *s);
