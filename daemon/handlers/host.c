/*
 * The host interface: what scmpd offers a handler (struct scmpd_handler_host, scmpd/handler.h).
 *
 * Every handler instance gets a host of its own, embedded in its struct handler_instance, so the
 * members that take the host know which instance speaks without any global: its name prefixes
 * its messages, and while its start() runs a message at LOG_ERR is kept as the reason for
 * refusing the configuration instead of being logged. The host's abi_version is the version the
 * handler was built for, so a handler built against an older header sees exactly the members it
 * knows. Structured fields are bounded and named SCMPD_<key>: a handler, built in or loaded,
 * cannot write journald's own fields or scmpd's, nor more than a bounded line.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../policy.h"

#define HOST_FIELDS_MAX 8
#define HOST_KEY_MAX 32
#define HOST_VALUE_MAX 256

static struct handler_instance *instance_of(const struct scmpd_handler_host *host)
{
        return (struct handler_instance *)((char *)host - offsetof(struct handler_instance, host));
}

/* Handlers log between LOG_ERR and LOG_DEBUG: they cannot raise an emergency. */
static int clamp_level(int level)
{
        return level < LOG_ERR ? LOG_ERR : level > LOG_DEBUG ? LOG_DEBUG : level;
}

static void host_log(int level, const char *handler_name, const char *message)
{
        log_msg(clamp_level(level), "handler %s: %s", handler_name ? handler_name : "?",
                message ? message : "");
}

static bool host_log_enabled(const struct scmpd_handler_host *host, int level)
{
        return clamp_level(level) <= log_max_level ||
               (host && instance_of(host)->starting && clamp_level(level) <= LOG_ERR);
}

static bool key_valid(const char *k)
{
        size_t i = 0;

        if (!k || k[0] < 'A' || k[0] > 'Z')
                return false;
        for (; k[i]; i++)
                if (!((k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
                        return false;
        return i <= HOST_KEY_MAX;
}

static void host_log_fields(const struct scmpd_handler_host *host, int level, const char *message,
                            const struct scmpd_log_field *fields, size_t n_fields)
{
        char buf[HOST_FIELDS_MAX][sizeof("SCMPD_") + HOST_KEY_MAX + 1 + HOST_VALUE_MAX];
        const char *list[HOST_FIELDS_MAX + 1] = {};
        struct handler_instance *h;
        size_t k = 0;

        if (!host)
                return;
        h = instance_of(host);
        level = clamp_level(level);
        if (h->starting && level <= LOG_ERR) {
                if (!h->start_error)
                        h->start_error = strndup(message ? message : "", HOST_VALUE_MAX * 2);
                return;
        }
        if (level > log_max_level)
                return;
        for (size_t i = 0; fields && i < n_fields && k < HOST_FIELDS_MAX; i++) {
                const char *v = fields[i].value ? fields[i].value : "";
                size_t off;

                if (!key_valid(fields[i].key))
                        continue;
                off = (size_t)snprintf(buf[k], sizeof(buf[k]), "SCMPD_%s=", fields[i].key);
                for (size_t j = 0; v[j] && j < HOST_VALUE_MAX; j++)
                        buf[k][off++] = ((unsigned char)v[j] < 0x20 || v[j] == 0x7f) ? '?' : v[j];
                buf[k][off] = '\0';
                list[k] = buf[k];
                k++;
        }
        log_fields(level, list, "handler %s: %s", h->name, message ? message : "");
}

void handler_host_init(struct handler_instance *h, uint32_t abi_version)
{
        h->host = (struct scmpd_handler_host){
                .abi_version = abi_version,
                .complete = dispatch_complete_deferred,
                .log = host_log,
                .log_enabled = host_log_enabled,
                .log_fields = host_log_fields,
        };
}
