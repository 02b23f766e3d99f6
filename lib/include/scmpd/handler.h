/*
 * scmpd handler ABI, version 2: how a shared object decides seccomp notifications inside scmpd.
 *
 * A handler is a shared object that exports one symbol, `scmpd_handler_entry`, a function that
 * returns a description (struct scmpd_handler_ops) whose first member is the ABI version it was
 * built against. Versions only add: a later version appends members to the end of struct
 * scmpd_handler_host and changes nothing before them. scmpd runs a handler built for any version
 * from 1 to its own SCMPD_HANDLER_ABI_VERSION, and refuses, with a clear error naming both, an
 * object built for a newer version than its own (or for version 0). The host it gives a handler
 * says, in its abi_version, the version the handler was built for: the members that version
 * defines are there, and none a handler built earlier could misread. The policy file
 * (scmpd.json(5)) names handlers in ordered chains; each use of a handler in a policy is one
 * *instance* with its own state, created by start() from the JSON configuration the policy gives it
 * and destroyed by stop().
 *
 * For each notification the chain is run in order. A handler returns a verdict:
 *   - NOT_HANDLED: pass to the next handler (an auditing handler does this);
 *   - RESPOND: answer with a value (error == 0) or an errno (error > 0, e.g. EPERM);
 *   - CONTINUE: let the kernel run the syscall as it is (never a security decision: the target
 *     can change the arguments after the check);
 *   - KILL: kill the target process;
 *   - DEFERRED: the handler keeps the `struct scmpd_deferred` and answers later, from any
 *     thread, with host->complete(). It must do so exactly once; scmpd keeps the notification
 *     counted against the listener's in-flight limit until then.
 * If no handler decides, the policy's default verdict applies.
 *
 * The TOCTOU discipline is the framework's, not the handler's: a handler never sees the target's
 * memory, only copies that scmpd made once (after opening the target and validating the
 * notification ID) in `strings`. scmpd re-validates the ID before it acts on a verdict. A handler
 * whose `flags` include SCMPD_HANDLER_BLOCKING is called on a worker thread, never on the event
 * loop; other handlers must return quickly and must not block.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1: complete, log. 2: log_enabled, log_fields (structured fields). */
#define SCMPD_HANDLER_ABI_VERSION 2U

/* The name of the symbol scmpd looks up with dlsym(). */
#define SCMPD_HANDLER_ENTRY_SYMBOL "scmpd_handler_entry"

enum scmpd_verdict_kind {
        SCMPD_VERDICT_NOT_HANDLED = 0,
        SCMPD_VERDICT_RESPOND = 1,
        SCMPD_VERDICT_CONTINUE = 2,
        SCMPD_VERDICT_KILL = 3,
        SCMPD_VERDICT_DEFERRED = 4,
};

struct scmpd_verdict {
        enum scmpd_verdict_kind kind;
        int64_t val; /* RESPOND: the syscall's return value when error == 0 */
        int error;   /* RESPOND: a positive errno (1..4095), or 0 for a value answer */
};

/* One notification as a handler sees it. Everything is a copy owned by scmpd and valid only for
 * the duration of the handle() call (a DEFERRED handler copies what it needs). */
struct scmpd_notification {
        uint64_t id;         /* the kernel's notification id */
        pid_t tid;           /* the calling thread, in scmpd's pid namespace */
        uint32_t arch;       /* AUDIT_ARCH_* token */
        int nr;              /* syscall number in that arch's numbering */
        const char *syscall; /* its name, or NULL when unknown */
        uint64_t args[6];
        uint64_t instruction_pointer;
        /* NUL-terminated copies of pointer arguments that the policy or the syscall's known
         * signature declares to be strings (paths, fs types), read once from the target; NULL
         * for other arguments or when the read failed. At most 4096 bytes each. */
        const char *strings[6];
        /* The listener's origin, from the handoff payload; NULL when absent. */
        const char *container_id;
        const char *metadata;
};

/* An answer that will come later. Opaque; pass it back to host->complete(). */
struct scmpd_deferred;

/* One structured field of a log message (version 2). `key` is 1..32 characters of A-Z, 0-9
 * and '_', starting with a letter; scmpd logs it as SCMPD_<key> (a journald field, or
 * SCMPD_<key>=value after the message on standard error), so a handler cannot write journald's or
 * scmpd's own fields. Fields with another key are dropped. `value` is any string: scmpd replaces
 * control characters with '?' and keeps at most 256 bytes of it. */
struct scmpd_log_field {
        const char *key;
        const char *value;
};

/* What scmpd offers a handler. Valid from start() until stop() returns. Each instance has its
 * own (the log members know which instance speaks). */
struct scmpd_handler_host {
        uint32_t abi_version; /* the version the handler was built for: members up to it exist */
        /* Deliver the verdict of a DEFERRED notification; callable from any thread, once.
         * A NOT_HANDLED or DEFERRED verdict here means "use the policy's default". */
        void (*complete)(struct scmpd_deferred *d, const struct scmpd_verdict *verdict);
        /* Log through scmpd's logger at syslog priority `level` (LOG_ERR ... LOG_DEBUG). */
        void (*log)(int level, const char *handler_name, const char *message);
        /* Version 2. */
        /* Whether a message at `level` would be logged now: skip formatting fields otherwise.
         * Callable from any thread. */
        bool (*log_enabled)(const struct scmpd_handler_host *host, int level);
        /* Log `message` at `level` as this instance ("handler NAME: message"), with up to 8
         * structured fields (struct scmpd_log_field). Callable from any thread. The first
         * message at LOG_ERR (or more severe) logged while start() runs is held: when start()
         * fails it is the reason scmpd gives for refusing the configuration (one error line
         * that names the place in the policy file), otherwise it is logged then. */
        void (*log_fields)(const struct scmpd_handler_host *host, int level, const char *message,
                           const struct scmpd_log_field *fields, size_t n_fields);
};

#define SCMPD_HANDLER_BLOCKING (1U << 0) /* handle() may block: call it on a worker thread */
/* handle() acts for the target with privileges the target does not have (mounting, creating
 * device nodes, anything done with scmpd's own powers). scmpd then lets only root peers, or the
 * peers a policy names in "match": {"peer": ...}, select a policy whose chain holds it. */
#define SCMPD_HANDLER_LENDS_PRIVILEGE (1U << 1)

struct scmpd_handler_ops {
        uint32_t abi_version; /* SCMPD_HANDLER_ABI_VERSION */
        uint32_t flags;       /* SCMPD_HANDLER_* */
        const char *name;
        /* Create one instance from its JSON configuration text (`{}` when the policy gives none).
         * Return 0 and set *ret_state, or a negative errno to refuse the configuration. May be
         * NULL (no state). */
        int (*start)(const struct scmpd_handler_host *host, const char *config_json,
                     void **ret_state);
        /* Destroy an instance. Called after every DEFERRED answer of the instance completed or
         * its listeners went away. May be NULL. */
        void (*stop)(void *state);
        /* Decide one notification. Fill *ret_verdict; for DEFERRED, keep `deferred`. */
        void (*handle)(void *state, const struct scmpd_notification *n,
                       struct scmpd_deferred *deferred, struct scmpd_verdict *ret_verdict);
};

/* The entry point every handler object exports. */
typedef const struct scmpd_handler_ops *(*scmpd_handler_entry_fn)(void);

#ifdef __cplusplus
}
#endif
