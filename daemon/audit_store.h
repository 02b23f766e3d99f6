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
 * latest one is kept, cut at AUDIT_ID_MAX); `syscall` may be NULL for an unknown number. */
void audit_store_record(struct audit_store *a, const char *container, const char *metadata,
                        const char *syscall, uint32_t arch, int nr, enum stats_verdict v,
                        uint64_t realtime_ns);

/* Everything, or one container (NULL: all). Returns NULL on ENOMEM; an unknown container gives
 * an empty "containers" array. */
json_t *audit_store_to_json(const struct audit_store *a, const char *container);

/* Forget everything. */
void audit_store_reset(struct audit_store *a);
