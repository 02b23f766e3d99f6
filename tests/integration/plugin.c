/*
 * A test handler for scmpd, built three ways from this file (see meson.build):
 *   PLUGIN_MODE_DEFER  answers later from its own thread (DEFERRED, then host->complete);
 *   PLUGIN_MODE_BLOCK  declares SCMPD_HANDLER_BLOCKING and sleeps inside handle() on a worker;
 *   PLUGIN_MODE_BADABI claims ABI version 99, which scmpd must refuse with a clear error.
 * Configuration: {"delay_ms": N, "value": V} answers V after N ms; {"errno": E} answers errno E.
 * In block mode, "release_file": F makes the wait end as soon as F exists (N ms at most), so a
 * test can hold a call in flight for as long as it needs (tests/e2e/real-systemd.sh).
 * It also checks that it got the string copy for mkdir's path, answering EFAULT when not.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scmpd/handler.h"

#define EXPORT __attribute__((visibility("default")))

struct state {
        const struct scmpd_handler_host *host;
        long delay_ms;
        long long value;
        int error;
        char *release_file; /* block mode: stop waiting once this exists */
};

struct job {
        const struct scmpd_handler_host *host;
        struct scmpd_deferred *deferred;
        struct scmpd_verdict verdict;
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

        if (!root || host->abi_version != SCMPD_HANDLER_ABI_VERSION)
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
        if (json_is_string(json_object_get(root, "release_file")))
                s->release_file = strdup(json_string_value(json_object_get(root, "release_file")));
        json_decref(root);
        if (s->delay_ms < 0 || s->delay_ms > 60000 || s->error < 0 || s->error > 4095) {
                free(s->release_file);
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
                free(s->release_file);
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

#if defined(PLUGIN_MODE_DEFER)
static void *later(void *arg)
{
        struct job *j = arg;

        sleep_ms(j->delay_ms);
        j->host->complete(j->deferred, &j->verdict);
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
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, later, j) != 0) {
                free(j);
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = EAGAIN };
        } else {
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_DEFERRED };
        }
        pthread_attr_destroy(&attr);
}
#define PLUGIN_NAME "test-defer"
#define PLUGIN_FLAGS 0
#define PLUGIN_ABI SCMPD_HANDLER_ABI_VERSION
#else
static void plugin_handle(void *state, const struct scmpd_notification *n,
                          struct scmpd_deferred *deferred, struct scmpd_verdict *ret)
{
        struct state *s = state;

        /* Sleeping is fine: scmpd calls us on a worker thread. */
        if (!s->release_file)
                sleep_ms(s->delay_ms);
        for (long waited = 0; s->release_file && waited < s->delay_ms; waited += 20) {
                if (access(s->release_file, F_OK) == 0)
                        break;
                sleep_ms(20);
        }
        *ret = decide(s, n);
}
#define PLUGIN_NAME "test-block"
#define PLUGIN_FLAGS SCMPD_HANDLER_BLOCKING
#if defined(PLUGIN_MODE_BADABI)
#define PLUGIN_ABI 99
#else
#define PLUGIN_ABI SCMPD_HANDLER_ABI_VERSION
#endif
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
