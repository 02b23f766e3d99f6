/*
 * The audit handler: logs each notification it sees, with structured fields (syscall, thread,
 * arguments, string copies, container), and passes it on (NOT_HANDLED), so it goes first in a
 * chain. Configuration: {"level": "debug"} (a syslog level name; default "debug": a recording
 * notifies every syscall, so per-call lines stay out of info; the audit store logs a summary
 * per container at info when its listener ends). Strings from the
 * target are logged as data, truncated, never interpreted.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "../policy.h"

struct audit {
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
                if (host && host->log)
                        host->log(LOG_ERR, "audit", msg);
                json_decref(root);
                return -EINVAL;
        }
        json_decref(root);
        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
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
        const struct audit *a = state;
        char f_sys[96], f_tid[48], f_cid[300], f_meta[300], f_args[200], f_str[3][300];
        const char *fields[10] = {};
        int k = 0, ns = 0;

        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_NOT_HANDLED };
        if (a->level > log_max_level)
                return;
        snprintf(f_sys, sizeof(f_sys), "SCMPD_SYSCALL=%s", n->syscall ? n->syscall : "?");
        fields[k++] = f_sys;
        snprintf(f_tid, sizeof(f_tid), "SCMPD_TID=%d", (int)n->tid);
        fields[k++] = f_tid;
        snprintf(f_args, sizeof(f_args), "SCMPD_ARGS=%llx,%llx,%llx,%llx,%llx,%llx",
                 (unsigned long long)n->args[0], (unsigned long long)n->args[1],
                 (unsigned long long)n->args[2], (unsigned long long)n->args[3],
                 (unsigned long long)n->args[4], (unsigned long long)n->args[5]);
        fields[k++] = f_args;
        if (n->container_id) {
                snprintf(f_cid, sizeof(f_cid), "SCMPD_CONTAINER_ID=%.256s", n->container_id);
                fields[k++] = f_cid;
        }
        if (n->metadata) {
                snprintf(f_meta, sizeof(f_meta), "SCMPD_METADATA=%.256s", n->metadata);
                fields[k++] = f_meta;
        }
        for (int i = 0; i < 6 && ns < 3; i++) {
                if (!n->strings[i])
                        continue;
                snprintf(f_str[ns], sizeof(f_str[ns]), "SCMPD_ARG%d_STRING=%.256s", i,
                         n->strings[i]);
                /* Target bytes are data: keep the log line printable. */
                for (char *c = f_str[ns]; *c; c++)
                        if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
                                *c = '?';
                fields[k++] = f_str[ns++];
        }
        log_fields(a->level, fields, "audit: %s by tid %d", n->syscall ? n->syscall : "?",
                   (int)n->tid);
}

const struct scmpd_handler_ops audit_handler_ops = {
        .abi_version = SCMPD_HANDLER_ABI_VERSION,
        .name = "audit",
        .start = audit_start,
        .stop = audit_stop,
        .handle = audit_handle,
};
