/*
 * The control socket: scmpctl's view into and lever on a running scmpd (docs/control-protocol.md).
 * It observes the daemon to stream ended notifications to monitors; statistics and the audit
 * store are objects of their own (stats.c, audit_store.c) that it reads.
 */
#pragma once

#include <stdbool.h>

#include "daemon.h"
#include "stats.h"

/* Bind d->control_path (mode 0660, group from control.group) and start serving: d->control is
 * set then. Refuses to replace a socket another process still serves: -EADDRINUSE, with that
 * process's pid in *ret_owner when the kernel says it (else 0). Returns 0 or a negative errno
 * (d->control stays NULL). */
int control_start(struct daemon *d, pid_t *ret_owner);
void control_stop(struct daemon *d);

/* Free what control_stop() left once the loop has closed its handles (accepts NULL). */
struct control *control_free(struct control *ctl);
