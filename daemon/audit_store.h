/*
 * The audit store: which syscalls each container made under an auditing rule, how often, with
 * which outcomes, first and last seen. Bounded; see audit_store.c.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "stats.h"

#define AUDIT_MAX_CONTAINERS 256
#define AUDIT_MAX_SYSCALLS 512 /* per container */
#define AUDIT_ID_MAX 256

struct audit_store;

/* An empty store; with `d`, it records every notification that ends after an audit handler ran
 * (an observer). NULL on ENOMEM. audit_store_free() stops observing and accepts NULL. */
struct audit_store *audit_store_new(struct daemon *d);
struct audit_store *audit_store_free(struct audit_store *a);

/* Record one notification. `container` is the listener's container id (a key such as
 * "pid-1234" when the runtime sent none); `metadata` is its listenerMetadata (NULL: none; the
 * latest one is kept, cut at AUDIT_ID_MAX); `syscall` may be NULL for an unknown number.
 * `args` (the call's six arguments, borrowed; NULL: unknown) gives the value of the argument
 * learn_args.h names for this syscall, if any. */
void audit_store_record(struct audit_store *a, const char *container, const char *metadata,
                        const char *syscall, uint32_t arch, int nr, const uint64_t *args,
                        enum stats_verdict v, uint64_t realtime_ns);

/* Everything, or one container (NULL: all). Returns NULL on ENOMEM; an unknown container gives
 * an empty "containers" array. */
json_t *audit_store_to_json(const struct audit_store *a, const char *container);

/* Forget everything. */
void audit_store_reset(struct audit_store *a);

/* Forget one container (NULL: all) and save. 1 if something was forgotten, else 0. */
int audit_store_clear(struct audit_store *a, const char *container);

/*
 * Persistence. audit_store_open() loads `path` (a missing file is an empty store) and from then
 * on the store is saved there whenever one of its containers' listeners ends, when it is
 * cleared and when it is freed. The file is written crash-safely (a temporary file in the same
 * directory, fsync, rename, fsync of the directory) and kept under AUDIT_FILE_MAX bytes by
 * leaving out the containers seen least recently. A file that does not parse, or is larger
 * than the limit, is reported, left in place as path.bad, and the store starts empty.
 * Returns 0 or a negative errno (the store then stays in memory only).
 */
#define AUDIT_FILE_MAX (4U * 1024U * 1024U)
int audit_store_open(struct audit_store *a, const char *path);
int audit_store_save(struct audit_store *a);
