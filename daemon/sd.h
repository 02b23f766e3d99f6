/*
 * systemd integration (sd.c): sockets from socket activation, sd_notify state, the watchdog, and
 * the fd store that carries every listener, its identity and the in-flight journal across a
 * restart. Everything here is a no-op without systemd (no LISTEN_FDS, no NOTIFY_SOCKET).
 *
 * fd store names:
 *   l-<serial>   a listener fd (session serial, stable across restarts)
 *   m-<serial>   a sealed memfd with that listener's handoff state as JSON
 *   journal      the in-flight journal (journal.c)
 */
#pragma once

#include <stdbool.h>

#include "daemon.h"

struct sd;

/* The state of systemd integration for `d`, observing its sessions to keep the fd store in step
 * (store a new listener and its identity, drop an ended one). NULL on ENOMEM. */
struct sd *sd_new(struct daemon *d);
struct sd *sd_free(struct sd *sd);

/* The socket-activated control socket ("control"), or -ENOENT. Returns it once; the caller owns
 * it then. sd_control_activated() tells whether it came from systemd (so: not ours to unlink). */
int sd_take_control_fd(struct daemon *d);
bool sd_control_activated(struct daemon *d);

/* The socket-activated handoff socket into d->listen_fd: 0, or -ENOENT when there is none. */
int sd_take_listen_fd(struct daemon *d);

/* WATCHDOG=1 at half of WATCHDOG_USEC from a loop timer, when the service manager asks. */
int sd_watchdog_start(struct daemon *d);
void sd_watchdog_stop(struct daemon *d);

/*
 * Adopt what a previous run left in the fd store: the journal, then every listener with its
 * handoff state (same serial, same policy match), replaying its unanswered notifications.
 * Creates and stores a fresh journal when there is none. Call once, after the loop and dispatch
 * are set up and before READY=1. Returns the number of listeners adopted.
 */
int sd_adopt(struct daemon *d);

/* Send READY=1 with a STATUS line that counts listeners. */
void sd_ready(struct daemon *d);
