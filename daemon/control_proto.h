/*
 * The control protocol's request parser (docs/control-protocol.md): one JSON object per line,
 * validated completely into a fixed-size struct. Pure and allocation-bounded, so it can be
 * fuzzed on its own (tests/fuzz/fuzz_control.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTROL_MAX_REQUEST 4096 /* bytes in one request line, newline excluded */
#define CONTROL_MAX_DEPTH 4      /* nesting of JSON arrays and objects */
#define CONTROL_MAX_NAME 64      /* syscall and handler names, with the NUL */
#define CONTROL_MAX_ID 256       /* container ids, with the NUL */

enum control_command {
        CONTROL_STATUS,
        CONTROL_LISTENERS,
        CONTROL_STATS,
        CONTROL_METRICS,
        CONTROL_MONITOR,
        CONTROL_AUDIT,
        CONTROL_AUDIT_CLEAR,
        CONTROL_RELOAD,
        CONTROL_HANDLER_ENABLE,
        CONTROL_HANDLER_DISABLE,
};

struct control_request {
        enum control_command command;
        bool has_id;
        int64_t id; /* echoed in the response */
        /* Filters (monitor, audit) and the handler name; empty strings when absent. */
        char container[CONTROL_MAX_ID];
        char syscall[CONTROL_MAX_NAME];
        int verdict; /* enum stats_verdict, or -1 when absent */
        char name[CONTROL_MAX_NAME];
};

/*
 * Parse one request of `len` bytes (no newline, no NUL needed). Returns 0 and fills *ret, or
 * -EBADMSG (malformed), -E2BIG (too long or too deep), -EOPNOTSUPP (unknown command), with the
 * reason in *ret_error (malloc()ed, for the caller to free; when not NULL).
 */
int control_proto_parse(const char *buf, size_t len, struct control_request *ret, char **ret_error);

const char *control_command_name(enum control_command c);
