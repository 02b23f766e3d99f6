/*
 * Fuzz target for the listenerPath payload parser (lib/handoff.c), which reads bytes from any
 * local peer of scmpd's handoff socket. Any input must be classified by the completeness
 * scanner (complete, incomplete, or refused) without reading past `size`, and a complete one
 * must parse or be refused with a reason; a parsed state must respect every bound: pid >= 0, the
 * seccompFd index below the fds received, string and annotation limits. Anything else aborts.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scmpd/handoff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* A copy of exactly `size` bytes, so that any over-read is a sanitizer report. */
        char *buf = malloc(size ? size : 1);
        ssize_t span;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        span = scmpd_handoff_complete(buf, size);
        if (span > (ssize_t)size || (span < 0 && span != -EBADMSG && span != -EMSGSIZE))
                abort();
        for (size_t n_fds = 0; n_fds <= 2; n_fds++) {
                struct scmpd_handoff_state *s = NULL;
                const char *reason = NULL;
                int r = scmpd_handoff_parse(buf, size, n_fds, &s, &reason);

                if (r < 0) {
                        if (s || (!reason && r != -ENOMEM))
                                abort();
                        continue;
                }
                if (span <= 0 || !s || s->pid < 0 || s->state_pid < 0 ||
                    s->seccomp_fd_index >= n_fds || s->n_fd_names > SCMPD_HANDOFF_MAX_FDS ||
                    s->n_annotations > SCMPD_HANDOFF_MAX_ANNOTATIONS)
                        abort();
                for (size_t i = 0; i < s->n_annotations; i++)
                        if (!s->annotation_keys[i] || !s->annotation_values[i] ||
                            scmpd_handoff_state_annotation(s, s->annotation_keys[i]) == NULL)
                                abort();
                scmpd_handoff_state_free(s);
        }
        free(buf);
        return 0;
}
