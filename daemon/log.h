/*
 * scmpd's logger: journald with structured fields when journald is reachable, stderr otherwise.
 * Levels are syslog's (LOG_ERR .. LOG_DEBUG); messages above the configured level are dropped
 * before any formatting.
 */
#pragma once

#include <stdbool.h>
#include <syslog.h>

struct session;

extern int log_max_level;

/* Pick the sink: journald if its socket exists and stderr is not forced. */
void log_open(bool force_stderr);

/* Parse "err", "warning", "notice", "info", "debug" (or 0..7). -EINVAL if unknown. */
int log_level_from_string(const char *s);

/*
 * Log a message with extra structured fields ("KEY=value" strings, NULL-terminated list; keys
 * must be upper case for journald). On stderr the fields follow the message.
 */
void log_fields(int level, const char *const *fields, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define log_msg(level, ...) log_fields(level, NULL, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Log about a session, adding SCMPD_SESSION, SCMPD_CONTAINER_ID and SCMPD_METADATA fields. */
void log_session(int level, const struct session *s, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
