/*
 * A test handler for scmpd, built three ways from this file (see meson.build):
 *   PLUGIN_MODE_DEFER  answers later from its own thread (DEFERRED, then host->complete);
 *   PLUGIN_MODE_BLOCK  declares SCMPD_HANDLER_BLOCKING and sleeps inside handle() on a worker;
 *   PLUGIN_MODE_BADABI claims ABI version 99, which scmpd must refuse with a clear error.
 * The block mode is built for handler ABI version 1 (complete and log only), as a handler built
 * before version 2 was: scmpd must keep running it and give it a host that says version 1. The
 * others use version 2: a configuration they refuse is explained with host->log_fields(), and
 * scmpd gives that reason in its error.
 * Configuration: {"delay_ms": N, "value": V} answers V after N ms; {"errno": E} answers errno E.
 * {"gate": PATH} also holds every answer until the file PATH exists (then waits delay_ms), so a
 * test can hold notifications for as long as it needs, whatever the machine's speed, and release
 * them on an event of its own; a gate that never opens lets go after 300 s. Both the defer and
 * the block mode honour it (tests/e2e/real-systemd.sh holds a blocking call in flight with it).
 * It also checks that it got the string copy for mkdir's path, answering EFAULT when not.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "scmpd/handler.h"

#if defined(PLUGIN_MODE_BADABI)
#define PLUGIN_ABI 99
#elif defined(PLUGIN_MODE_BLOCK)
#define PLUGIN_ABI 1
#else
#define PLUGIN_ABI SCMPD_HANDLER_ABI_VERSION
#endif

#define EXPORT __attribute__((visibility("default")))

struct state {
        const struct scmpd_handler_host *host;
        char *gate;
        long delay_ms;
        long long value;
        int error;
};

struct job {
        const struct scmpd_handler_host *host;
        struct scmpd_deferred *deferred;
        struct scmpd_verdict verdict;
        char *gate; /* owned: a reload may stop the state while the job waits */
        long delay_ms;
};

static void sleep_ms(long ms)
{
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int plugin_start(const struct scmpd_handler_host *host, const char *conf, void **ret)
{
        json_t *root = json_loads(conf, 0, NULL);
        struct state *s;

        if (!root || host->abi_version != PLUGIN_ABI)
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s) {
                json_decref(root);
                return -ENOMEM;
        }
        s->host = host;
        s->delay_ms = json_integer_value(json_object_get(root, "delay_ms"));
        s->value = json_integer_value(json_object_get(root, "value"));
        s->error = (int)json_integer_value(json_object_get(root, "errno"));
        if (json_is_string(json_object_get(root, "gate")))
                s->gate = strdup(json_string_value(json_object_get(root, "gate")));
        json_decref(root);
        if (s->delay_ms < 0 || s->delay_ms > 60000 || s->error < 0 || s->error > 4095) {
#if PLUGIN_ABI >= 2
                host->log_fields(host, LOG_ERR, "\"delay_ms\" must be 0..60000, \"errno\" 0..4095",
                                 NULL, 0);
#endif
                free(s->gate);
                free(s);
                return -EINVAL;
        }
        *ret = s;
        return 0;
}

static void plugin_stop(void *state)
{
        struct state *s = state;

        if (s)
                free(s->gate);
        free(s);
}

static struct scmpd_verdict decide(const struct state *s, const struct scmpd_notification *n)
{
        if (n->syscall && strcmp(n->syscall, "mkdir") == 0 && !n->strings[0])
                return (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = EFAULT };
        if (s->error)
                return (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = s->error };
        return (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .val = s->value };
}

/* Runs on a thread of its own or on scmpd's worker, never on the loop. */
static void wait_gate(const char *gate)
{
        for (int waited = 0; gate && access(gate, F_OK) < 0 && waited < 30000; waited++)
                sleep_ms(10);
}

#if defined(PLUGIN_MODE_DEFER)
static void *later(void *arg)
{
        struct job *j = arg;

        wait_gate(j->gate);
        sleep_ms(j->delay_ms);
        j->host->complete(j->deferred, &j->verdict);
        free(j->gate);
        free(j);
        return NULL;
}

static void plugin_handle(void *state, const struct scmpd_notification *n,
                          struct scmpd_deferred *deferred, struct scmpd_verdict *ret)
{
        struct state *s = state;
        struct job *j = calloc(1, sizeof(*j));
        pthread_attr_t attr;
        pthread_t t;

        if (!j) {
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = ENOMEM };
                return;
        }
        j->host = s->host;
        j->deferred = deferred;
        j->verdict = decide(s, n);
        j->delay_ms = s->delay_ms;
        j->gate = s->gate ? strdup(s->gate) : NULL;
        if (s->gate && !j->gate) {
                free(j);
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = ENOMEM };
                return;
        }
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, later, j) != 0) {
                free(j->gate);
                free(j);
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = EAGAIN };
        } else {
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_DEFERRED };
        }
        pthread_attr_destroy(&attr);
}
#define PLUGIN_NAME "test-defer"
#define PLUGIN_FLAGS 0
#else
static void plugin_handle(void *state, const struct scmpd_notification *n,
                          struct scmpd_deferred *deferred, struct scmpd_verdict *ret)
{
        struct state *s = state;

        wait_gate(s->gate); /* fine: scmpd calls us on a worker thread */
        sleep_ms(s->delay_ms);
        *ret = decide(s, n);
}
#define PLUGIN_NAME "test-block"
#define PLUGIN_FLAGS SCMPD_HANDLER_BLOCKING
#endif

static const struct scmpd_handler_ops ops = {
        .abi_version = PLUGIN_ABI,
        .flags = PLUGIN_FLAGS,
        .name = PLUGIN_NAME,
        .start = plugin_start,
        .stop = plugin_stop,
        .handle = plugin_handle,
};

EXPORT const struct scmpd_handler_ops *scmpd_handler_entry(void);
EXPORT const struct scmpd_handler_ops *scmpd_handler_entry(void)
{
        return &ops;
}
