/*
 * The logger. One sink for the life of the process, chosen at start: journald when its socket is
 * there (messages carry PRIORITY, SYSLOG_IDENTIFIER and our SCMPD_* fields), else stderr in a
 * one-line "scmpd: <level>: message [KEY=value ...]" form. Formatting happens only for messages
 * that pass the level filter. Values from targets and peers are logged as data, never as format
 * strings, and are truncated to a bounded line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "daemon.h"

#define LINE_MAX_BYTES 2048
#define FIELDS_MAX 12

int log_max_level = LOG_INFO;
static bool use_journal;

void log_open(bool force_stderr)
{
        use_journal = !force_stderr && access("/run/systemd/journal/socket", W_OK) == 0;
}

int log_level_from_string(const char *s)
{
        static const char *const names[] = { "emerg",   "alert",  "crit", "err",
                                             "warning", "notice", "info", "debug" };

        if (!s)
                return -EINVAL;
        if (s[0] >= '0' && s[0] <= '7' && s[1] == 0)
                return s[0] - '0';
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(s, names[i]) == 0)
                        return (int)i;
        if (strcmp(s, "error") == 0)
                return LOG_ERR;
        if (strcmp(s, "warn") == 0)
                return LOG_WARNING;
        return -EINVAL;
}

static const char *level_name(int level)
{
        switch (level) {
        case LOG_EMERG:
        case LOG_ALERT:
        case LOG_CRIT:
        case LOG_ERR:
                return "error";
        case LOG_WARNING:
                return "warning";
        case LOG_NOTICE:
                return "notice";
        case LOG_INFO:
                return "info";
        default:
                return "debug";
        }
}

static void emit(int level, const char *const *fields, const char *message)
{
        if (use_journal) {
                char prio[16], msg[LINE_MAX_BYTES + 16];
                struct iovec iov[FIELDS_MAX + 3];
                int n = 0;

                snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
                snprintf(msg, sizeof(msg), "MESSAGE=%s", message);
                iov[n++] = (struct iovec){ .iov_base = msg, .iov_len = strlen(msg) };
                iov[n++] = (struct iovec){ .iov_base = prio, .iov_len = strlen(prio) };
                iov[n++] = (struct iovec){ .iov_base = (char *)"SYSLOG_IDENTIFIER=scmpd",
                                           .iov_len = strlen("SYSLOG_IDENTIFIER=scmpd") };
                for (size_t i = 0; fields && fields[i] && n < FIELDS_MAX + 3; i++)
                        iov[n++] = (struct iovec){ .iov_base = (char *)fields[i],
                                                   .iov_len = strlen(fields[i]) };
                if (sd_journal_sendv(iov, n) >= 0)
                        return;
                /* Journald went away: fall through to stderr for this message. */
        }
        {
                char line[LINE_MAX_BYTES * 2];
                size_t off;

                off = (size_t)snprintf(line, sizeof(line), "scmpd: %s: %s", level_name(level),
                                       message);
                for (size_t i = 0; fields && fields[i] && off < sizeof(line) - 2; i++)
                        off += (size_t)snprintf(line + off, sizeof(line) - off, " %s", fields[i]);
                if (off > sizeof(line) - 2)
                        off = sizeof(line) - 2;
                line[off++] = '\n';
                (void)!write(STDERR_FILENO, line, off);
        }
}

void log_fields(int level, const char *const *fields, const char *fmt, ...)
{
        char message[LINE_MAX_BYTES];
        va_list ap;

        if (level > log_max_level)
                return;
        va_start(ap, fmt);
        vsnprintf(message, sizeof(message), fmt, ap);
        va_end(ap);
        emit(level, fields, message);
}

/* Keep journald field values single-line and bounded. */
static void field(char *buf, size_t size, const char *key, const char *value)
{
        size_t off = (size_t)snprintf(buf, size, "%s=", key);

        for (const char *p = value ? value : ""; *p && off + 1 < size; p++)
                buf[off++] = (*p == '\n' || *p == '\r') ? ' ' : *p;
        buf[off < size ? off : size - 1] = 0;
}

void log_session(int level, const struct session *s, const char *fmt, ...)
{
        char message[LINE_MAX_BYTES], f_session[64], f_id[320], f_meta[320];
        const char *fields[4] = {};
        va_list ap;
        int n = 0;

        if (level > log_max_level)
                return;
        va_start(ap, fmt);
        vsnprintf(message, sizeof(message), fmt, ap);
        va_end(ap);
        snprintf(f_session, sizeof(f_session), "SCMPD_SESSION=%llu", (unsigned long long)s->serial);
        fields[n++] = f_session;
        if (s->origin && s->origin->id) {
                field(f_id, sizeof(f_id), "SCMPD_CONTAINER_ID", s->origin->id);
                fields[n++] = f_id;
        }
        if (s->origin && s->origin->metadata) {
                field(f_meta, sizeof(f_meta), "SCMPD_METADATA", s->origin->metadata);
                fields[n++] = f_meta;
        }
        emit(level, fields, message);
}
