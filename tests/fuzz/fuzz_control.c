/*
 * Fuzz target for the control protocol's request parser (daemon/control_proto.c). The input is
 * split into lines as the control socket splits a client's stream, and each line is parsed.
 * Any line must either be refused with a reason or give a request that satisfies the parser's
 * contract: a known command, bounded NUL-terminated printable strings, a verdict in range, and a
 * name for the handler commands. Anything else (a crash, a sanitizer report, a refusal without a
 * reason, a broken invariant) aborts.
 *
 * Built with clang -fsanitize=fuzzer when available; replay.c runs the committed corpus through
 * the same entry point as an ordinary test.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control_proto.h"
#include "stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *s, size_t size, bool required)
{
        size_t n = strnlen(s, size);

        if (n == size || (required && n == 0))
                abort();
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
                        abort();
}

static void parse_line(const char *line, size_t len)
{
        struct control_request req;
        char *reason = NULL;
        int r;

        memset(&req, 0xa5, sizeof(req));
        r = control_proto_parse(line, len, &req, &reason);
        if (r < 0) {
                if (!reason || !*reason)
                        abort();
                free(reason);
                if (r != -EBADMSG && r != -E2BIG && r != -EOPNOTSUPP)
                        abort();
                return;
        }
        if (r != 0 || reason || len > CONTROL_MAX_REQUEST)
                abort();
        if ((unsigned)req.command > CONTROL_HANDLER_DISABLE)
                abort();
        if (strcmp(control_command_name(req.command), "?") == 0)
                abort();
        check_string(req.container, sizeof(req.container), false);
        check_string(req.syscall, sizeof(req.syscall), false);
        check_string(req.name, sizeof(req.name),
                     req.command == CONTROL_HANDLER_ENABLE ||
                             req.command == CONTROL_HANDLER_DISABLE);
        if (req.verdict < -1 || req.verdict >= _STATS_VERDICT_MAX)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *p = (const char *)data, *end = p + size;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

                parse_line(p, len);
                p += len + (nl ? 1 : 0);
        }
        return 0;
}
