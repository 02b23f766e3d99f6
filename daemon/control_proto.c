/*
 * Control protocol requests: bytes from a peer to a validated struct control_request.
 *
 * Model: the line is checked before jansson sees it (length, NUL bytes, nesting depth, counted
 * outside strings), then parsed with duplicate keys refused, then every member is checked
 * against the command's allowed set: an unknown member or a wrong type is an error, never
 * ignored, so a typo cannot turn a filtered monitor into an unfiltered one. Strings are bounded
 * and must be printable ASCII without control characters; they are copied into fixed arrays, so
 * the result owns no memory.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_proto.h"
#include "stats.h"
#include "util.h"

static const struct {
        const char *name;
        enum control_command command;
        const char *const keys[5]; /* allowed members besides "command" and "id" */
} commands[] = {
        { "status", CONTROL_STATUS, {} },
        { "listeners", CONTROL_LISTENERS, {} },
        { "stats", CONTROL_STATS, {} },
        { "metrics", CONTROL_METRICS, {} },
        { "monitor", CONTROL_MONITOR, { "container", "syscall", "verdict" } },
        { "audit", CONTROL_AUDIT, { "container" } },
        { "audit-clear", CONTROL_AUDIT_CLEAR, { "container" } },
        { "reload", CONTROL_RELOAD, {} },
        { "handler-enable", CONTROL_HANDLER_ENABLE, { "name" } },
        { "handler-disable", CONTROL_HANDLER_DISABLE, { "name" } },
};

const char *control_command_name(enum control_command c)
{
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (commands[i].command == c)
                        return commands[i].name;
        return "?";
}

/* Depth of nesting outside strings: 0, -E2BIG when it exceeds the limit, -EBADMSG when it is
 * unbalanced or holds a NUL or newline (then it is not JSON, whatever its size). */
static int check_shape(const char *buf, size_t len)
{
        bool in_string = false, escape = false;
        int depth = 0;

        for (size_t i = 0; i < len; i++) {
                char c = buf[i];

                if (c == 0 || c == '\n')
                        return -EBADMSG;
                if (in_string) {
                        if (escape)
                                escape = false;
                        else if (c == '\\')
                                escape = true;
                        else if (c == '"')
                                in_string = false;
                        continue;
                }
                if (c == '"')
                        in_string = true;
                else if (c == '{' || c == '[') {
                        if (++depth > CONTROL_MAX_DEPTH)
                                return -E2BIG;
                } else if (c == '}' || c == ']') {
                        if (--depth < 0)
                                return -EBADMSG;
                }
        }
        return 0;
}

/* A reason that quotes what the client sent: only printable ASCII is echoed, cut at 48 bytes,
 * so the reply stays valid UTF-8 and short. malloc()ed; NULL when memory ran out. */
static char *reason_quoting(const char *what, const char *sent)
{
        char q[52], *reason;
        size_t n = 0;

        for (; sent && *sent && n < 48; sent++)
                q[n++] = (unsigned char)*sent >= 0x20 && (unsigned char)*sent < 0x7f ? *sent : '?';
        q[n] = '\0';
        if (asprintf(&reason, "%s \"%s\"%s", what, q, sent && *sent ? " (cut)" : "") < 0)
                return NULL;
        return reason;
}

static int refuse(char **ret_error, const char *reason, int r)
{
        if (ret_error)
                *ret_error = strdup(reason);
        return r;
}

static int copy_string(json_t *v, char *dst, size_t size)
{
        const char *s = json_string_value(v);
        size_t n;

        if (!s)
                return -1;
        n = json_string_length(v);
        if (n == 0 || n >= size || strlen(s) != n)
                return -1;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
                        return -1;
        memcpy(dst, s, n + 1);
        return 0;
}

int control_proto_parse(const char *buf, size_t len, struct control_request *ret, char **ret_error)
{
        struct control_request req = { .verdict = -1 };
        const char *reason = NULL, *key;
        _cleanup_free_ char *quoted = NULL;
        json_t *root, *cmd, *v;
        json_error_t jerr;
        size_t ci;
        int r = -EBADMSG;

        if (len > CONTROL_MAX_REQUEST)
                return refuse(ret_error, "request too long", -E2BIG);
        r = check_shape(buf, len);
        if (r == -E2BIG)
                return refuse(ret_error, "request nested too deeply", r);
        if (r < 0)
                return refuse(ret_error, "request is not JSON (unbalanced, or contains NUL)", r);
        r = -EBADMSG;
        root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                quoted = reason_quoting("request is not valid JSON:", jerr.text);
                goto out;
        }
        if (!json_is_object(root)) {
                reason = "request is not a JSON object";
                goto out;
        }
        cmd = json_object_get(root, "command");
        if (!json_is_string(cmd)) {
                reason = "\"command\" must be a string";
                goto out;
        }
        for (ci = 0; ci < sizeof(commands) / sizeof(commands[0]); ci++)
                if (strcmp(commands[ci].name, json_string_value(cmd)) == 0)
                        break;
        if (ci == sizeof(commands) / sizeof(commands[0])) {
                quoted = reason_quoting("unknown command", json_string_value(cmd));
                r = -EOPNOTSUPP;
                goto out;
        }
        req.command = commands[ci].command;
        json_object_foreach (root, key, v) {
                bool allowed = false;

                if (strcmp(key, "command") == 0)
                        continue;
                if (strcmp(key, "id") == 0) {
                        if (!json_is_integer(v)) {
                                reason = "\"id\" must be an integer";
                                goto out;
                        }
                        req.has_id = true;
                        req.id = json_integer_value(v);
                        continue;
                }
                for (size_t k = 0; k < 5 && commands[ci].keys[k]; k++)
                        if (strcmp(key, commands[ci].keys[k]) == 0)
                                allowed = true;
                if (!allowed) {
                        quoted = reason_quoting("unknown member for this command:", key);
                        goto out;
                }
                if (strcmp(key, "container") == 0) {
                        if (copy_string(v, req.container, sizeof(req.container)) < 0) {
                                reason = "\"container\" must be a printable string of 1..255 "
                                         "bytes";
                                goto out;
                        }
                } else if (strcmp(key, "syscall") == 0) {
                        if (copy_string(v, req.syscall, sizeof(req.syscall)) < 0) {
                                reason = "\"syscall\" must be a printable string of 1..63 bytes";
                                goto out;
                        }
                } else if (strcmp(key, "name") == 0) {
                        if (copy_string(v, req.name, sizeof(req.name)) < 0) {
                                reason = "\"name\" must be a printable string of 1..63 bytes";
                                goto out;
                        }
                } else if (strcmp(key, "verdict") == 0) {
                        req.verdict = stats_verdict_from_name(json_string_value(v));
                        if (req.verdict < 0) {
                                reason = "\"verdict\" must be continue, errno, value, kill, "
                                         "gone or failed";
                                goto out;
                        }
                }
        }
        if ((req.command == CONTROL_HANDLER_ENABLE || req.command == CONTROL_HANDLER_DISABLE) &&
            !req.name[0]) {
                reason = "\"name\" is required";
                goto out;
        }
        r = 0;
        *ret = req;
out:
        json_decref(root);
        if (r < 0 && ret_error)
                *ret_error = quoted ? steal_ptr(&quoted) : strdup(reason ? reason : "bad request");
        return r;
}
