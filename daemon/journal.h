/*
 * The in-flight journal: every notification scmpd has received and not yet answered, in a memfd
 * that lives in systemd's fd store, so that a restarted scmpd can answer what a dead one left
 * pending (see journal.c and docs/restart.md).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"

/* Bytes of a slot's notification area; a kernel whose struct seccomp_notif is larger gets no
 * journal (receives then go to the session's own buffer, unprotected). */
#define JOURNAL_NOTIF_BYTES 112
#define JOURNAL_MIN_SLOTS 256u
#define JOURNAL_MAX_SLOTS (1u << 20)

struct journal;

/*
 * A journal without a memfd yet; with `d`, it becomes d's receiver (NOTIF_RECV goes through its
 * slots once it has a memfd) and frees a slot when the daemon reports its notification released.
 * NULL on ENOMEM. journal_free() undoes both and unmaps.
 */
struct journal *journal_new(struct daemon *d);
struct journal *journal_free(struct journal *j);

/*
 * Create a fresh journal. Returns the memfd (owned by the journal; the caller may send it to
 * the fd store but must not close it) or a negative errno.
 */
int journal_create(struct journal *j);

/*
 * Adopt a journal a previous scmpd left in the fd store. `fd` is consumed. Slots that hold a
 * received notification are kept as "unclaimed" until journal_replay() claims them for an
 * adopted session or journal_drop_unclaimed() frees them. Returns the number of such slots, or
 * a negative errno when the memfd is not a journal of this format (it is then closed).
 */
int journal_adopt(struct journal *j, int fd);

/* The journal's memfd (borrowed), or -1 when there is none. */
int journal_fd(struct journal *j);
bool journal_enabled(struct journal *j);

/* The next session serial a previous run would have handed out (0 when unknown), and its update. */
uint64_t journal_next_serial(struct journal *j);
void journal_set_next_serial(struct journal *j, uint64_t serial);

/* The notification `id` of session `s` was answered or is gone: free its slot. Idempotent. */
void journal_release(struct journal *j, const struct session *s, uint64_t id);

/*
 * For an adopted session: every notification a previous run received on this listener and did
 * not answer. Those the kernel still holds (ID_VALID) enter again through session_inject(); the
 * others were answered or abandoned, and are forgotten. Returns the number dispatched; *ret_stale
 * (if non-NULL) gets the number forgotten.
 */
int journal_replay(struct journal *j, struct session *s, unsigned *ret_stale);

/* Free every slot no adopted session claimed. Returns how many. */
unsigned journal_drop_unclaimed(struct journal *j);

/* Slots holding a notification right now (for STATUS and tests). */
unsigned journal_in_use(struct journal *j);
