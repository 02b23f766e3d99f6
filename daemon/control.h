/*
 * The control socket: scmpctl's view into and lever on a running scmpd (docs/control-protocol.md).
 * Also the one place the dispatch path reports to when a notification ends, feeding stats.c,
 * audit_store.c and monitor streams.
 */
#pragma once

#include <stdbool.h>

#include "daemon.h"
#include "stats.h"

/* Bind d->control_path (mode 0660, group from control.group) and start serving. Refuses to
 * replace a socket another process still serves. Returns 0 or a negative errno. */
int control_start(struct daemon *d);
/* After control_start() returned -EADDRINUSE: the pid serving the path, 0 when unknown. */
pid_t control_socket_owner(void);
void control_stop(struct daemon *d);

/*
 * dispatch.c hook: notification `n` ended. `v` is the verdict that was acted on (NULL when the
 * target was gone before a verdict), `answer` the result of answering (0, -ENOENT gone, other
 * errors). Counts it, records it for auditing when an audit handler was in its chain, and
 * streams it to monitors. Never fails, never blocks.
 */
void control_notif_done(const struct notif *n, const struct scmpd_verdict *v, int answer);

/* dispatch.c hook: handlers disabled by `scmpctl handler disable NAME` are skipped (as if they
 * answered NOT_HANDLED). */
bool control_handler_disabled(const char *name);
