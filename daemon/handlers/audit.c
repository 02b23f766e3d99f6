/*
 * The audit handler: logs each notification it sees, with structured fields (syscall, thread,
 * arguments, string copies, container), through the host interface as any handler can
 * (host->log_fields, scmpd/handler.h), and passes it on (NOT_HANDLED), so it goes first in a
 * chain. Configuration: {"level": "debug"} (a syslog level name; default "debug": a recording
 * notifies every syscall, so per-call lines stay out of info; the audit store logs a summary
 * per container at info when its listener ends). Strings from the
 * target are logged as data, truncated, never interpreted.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "../log.h"
#include "scmpd/handler.h"

struct audit {
        const struct scmpd_handler_host *host;
        int level;
};

static int audit_start(const struct scmpd_handler_host *host, const char *conf, void **ret_state)
{
        json_t *root = json_loads(conf, 0, NULL), *l;
        struct audit *a;
        int level = LOG_DEBUG;

        if (!root)
                return -EINVAL;
        l = json_object_get(root, "level");
        if (l)
                level = log_level_from_string(json_string_value(l));
        if (level < 0) {
                char msg[160];

                snprintf(msg, sizeof(msg),
                         "\"level\" must be err, warning, notice, info or debug, not \"%.64s\"",
                         json_string_value(l) ? json_string_value(l) : "(not a string)");
                if (host)
                        host->log_fields(host, LOG_ERR, msg, NULL, 0);
                json_decref(root);
                return -EINVAL;
        }
        json_decref(root);
        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->host = host;
        a->level = level;
        *ret_state = a;
        return 0;
}

static void audit_stop(void *state)
{
        free(state);
}

static void audit_handle(void *state, const struct scmpd_notification *n,
                         struct scmpd_deferred *deferred, struct scmpd_verdict *ret)
{
        static const char *const str_keys[6] = { "ARG0_STRING", "ARG1_STRING", "ARG2_STRING",
                                                 "ARG3_STRING", "ARG4_STRING", "ARG5_STRING" };
        const struct audit *a = state;
        const char *syscall = n->syscall ? n->syscall : "?";
        char tid[24], args[120], msg[128];
        struct scmpd_log_field f[8];
        size_t k = 0, ns = 0;

        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_NOT_HANDLED };
        if (!a->host || !a->host->log_enabled(a->host, a->level))
                return;
        snprintf(tid, sizeof(tid), "%d", (int)n->tid);
        snprintf(args, sizeof(args), "%llx,%llx,%llx,%llx,%llx,%llx",
                 (unsigned long long)n->args[0], (unsigned long long)n->args[1],
                 (unsigned long long)n->args[2], (unsigned long long)n->args[3],
                 (unsigned long long)n->args[4], (unsigned long long)n->args[5]);
        f[k++] = (struct scmpd_log_field){ "SYSCALL", syscall };
        f[k++] = (struct scmpd_log_field){ "TID", tid };
        f[k++] = (struct scmpd_log_field){ "ARGS", args };
        if (n->container_id)
                f[k++] = (struct scmpd_log_field){ "CONTAINER_ID", n->container_id };
        if (n->metadata)
                f[k++] = (struct scmpd_log_field){ "METADATA", n->metadata };
        /* Target bytes are data: the host keeps them printable and bounded. */
        for (int i = 0; i < 6 && ns < 3; i++)
                if (n->strings[i]) {
                        f[k++] = (struct scmpd_log_field){ str_keys[i], n->strings[i] };
                        ns++;
                }
        snprintf(msg, sizeof(msg), "%s by tid %d", syscall, (int)n->tid);
        a->host->log_fields(a->host, a->level, msg, f, k);
}
const struct scmpd_handler_ops audit_handler_ops = {
        .abi_version = SCMPD_HANDLER_ABI_VERSION,
        .name = "audit",
        .start = audit_start,
        .stop = audit_stop,
        .handle = audit_handle,
};
