/*
 * The policy file, scmpd.json(5): parsed once into an immutable, reference-counted object.
 * A reload builds a new one completely (including starting its handler instances) before the
 * daemon switches to it, so an invalid file changes nothing.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "target.h"

struct handler_instance {
        /* What its handler is given (handlers/host.c); it knows its instance by its place. */
        struct scmpd_handler_host host;
        const struct scmpd_handler_ops *ops;
        void *state;
        char *name;
        bool started;
        bool starting;       /* start() runs: its LOG_ERR message goes to start_error */
        char *start_error;   /* why start() refused, as the handler said it (host.c) */
        bool wants_strings;  /* give it string copies (auditing, plugins) */
        unsigned timeout_ms; /* chain entry's "timeout_ms"; 0: limits.handler_timeout_ms */
        bool has_fallback;   /* chain entry's "fallback" verdict, else the default's */
        struct scmpd_verdict fallback;
};

enum arg_op {
        ARG_EQ,
        ARG_NE,
        ARG_LT,
        ARG_LE,
        ARG_GT,
        ARG_GE,
        ARG_MASKED_EQ,
};

struct arg_cond {
        unsigned index;
        enum arg_op op;
        uint64_t value;
        uint64_t mask;
};

struct str_cond {
        unsigned index;
        char *glob;
};

struct rule {
        size_t n_syscalls;
        char **syscalls; /* names; "*" matches every syscall */
        size_t n_args;
        struct arg_cond *args;
        size_t n_strs;
        struct str_cond *strs;
        size_t n_chain;
        struct handler_instance **chain; /* borrowed from config->instances */
        bool needs_strings;
        unsigned string_mask; /* args that string conditions read */
};

struct policy {
        char *name;
        /* Claimed: written by whoever connects to the handoff socket. */
        char *match_metadata;  /* glob, or NULL */
        char *match_container; /* glob on state.id, or NULL */
        size_t n_annotations;
        char **annotation_keys;
        char **annotation_globs;
        /* Attested by the kernel about the peer (SO_PEERCRED): "match": {"peer": ...}. */
        size_t n_peer_uids, n_peer_gids;
        uid_t *peer_uids;
        gid_t *peer_gids;
        int peer_root; /* -1: either; 0: only non-root peers; 1: only root */
        /* Attested about the target thread (target.c): "match": {"target": ...}. */
        bool match_target;
        int target_userns;     /* -1: either; 0: the initial one; 1: another */
        int target_host_mntns; /* -1: either; 0: not the host's; 1: the host's */
        size_t n_userns_owners;
        uid_t *userns_owners;
        char *target_cgroup; /* glob, or NULL */
        /* A chain entry lends privileges (SCMPD_HANDLER_LENDS_PRIVILEGE): only root peers may
         * select the policy unless it names peers (peer uids or groups). */
        bool lends_privilege;
        size_t n_rules;
        struct rule *rules;
        bool has_default;
        struct scmpd_verdict default_verdict;
};

struct config {
        unsigned refs;
        char *source; /* the file, or "built-in" */
        struct limits limits;
        struct scmpd_verdict default_verdict;
        size_t n_policies;
        struct policy *policies;
        size_t n_instances;
        struct handler_instance **instances;
        size_t n_plugins;
        void **plugins;             /* dlopen handles */
        char *control_group;        /* control.c: "control": {"group": NAME}, or NULL */
        bool control_group_default; /* control_group is the default "scmpd", not from the file */
        /* sandbox.c and intake.c: "sandbox": bool (read at start only), and who may hand
         * over listeners besides root: "handoff": {"uids": [...], "groups": [...]}. */
        bool sandbox;
        size_t n_handoff_uids, n_handoff_gids;
        uid_t *handoff_uids;
        gid_t *handoff_gids;
        /* intake_lxc.c: "lxc_proxy": where LXC's seccomp notify proxy socket listens, in
         * socket.c's form (a path, or "@name"); NULL: off. Read at start only. */
        char *lxc_proxy;
};

/*
 * Load the policy from `path`. When the file does not exist and `required` is false, the
 * built-in default applies. On failure returns a negative errno and a malloc()ed explanation in
 * *ret_error (the caller frees it).
 */
int config_load(const char *path, bool required, struct config **ret_config, char **ret_error);

/* Load from JSON text (tests, the built-in default). `source` names it in messages. */
int config_load_string(const char *text, const char *source, struct config **ret_config,
                       char **ret_error);

/* config_load() and config_load_string() with flags: */
enum {
        /* --check-config: also open every handler "handlers" defines that no chain names
         * (dlopen and ABI check; started with its "config" when the definition has one). */
        CONFIG_OPEN_ALL_HANDLERS = 1 << 0,
};
int config_load_flags(const char *path, bool required, unsigned flags, struct config **ret_config,
                      char **ret_error);
int config_load_string_flags(const char *text, const char *source, unsigned flags,
                             struct config **ret_config, char **ret_error);

/* 0 when `glob` is a valid fnmatch(3) pattern (without FNM_NOESCAPE), else -EINVAL and what is
 * wrong with it in *ret_error (malloc()ed, when not NULL): a lone trailing backslash, a "["
 * without its "]", an unknown character class, a reversed range. */
int glob_check(const char *glob, char **ret_error);

struct config *config_ref(struct config *c);
struct config *config_unref(struct config *c);

/*
 * The first policy whose match applies to this listener, or NULL. `origin` is what the peer
 * claimed, `peer` what the kernel said about it. Target conditions are evaluated only when
 * `target` is non-NULL; when the first candidate would need them and they are absent, returns
 * NULL with *ret_need_target = true (the caller reads them for each notification and asks again).
 */
const struct policy *config_match_listener(const struct config *c,
                                           const struct scmpd_handoff_state *origin,
                                           const struct peer_facts *peer,
                                           const struct target_facts *target,
                                           bool *ret_need_target);

/*
 * The first rule of `p` that claims the notification. String conditions are evaluated only when
 * `strings` is non-NULL; when a rule would need them and they are absent, returns NULL with
 * *ret_need_strings = true (the caller copies them and asks again).
 */
const struct rule *policy_match_rule(const struct policy *p, const struct scmpd_notification *v,
                                     char *const *strings, bool *ret_need_strings);

/* The verdict when nothing in the chain decided. */
struct scmpd_verdict config_default_verdict(const struct config *c, const struct policy *p);

/* handlers/: the built-in handlers and the host interface. */
const struct scmpd_handler_ops *builtin_handler(const char *name);
/* Fill h->host for a handler built for handler ABI `abi_version` (1..SCMPD_HANDLER_ABI_VERSION). */
void handler_host_init(struct handler_instance *h, uint32_t abi_version);
/* handlers/plugin.c: open a handler object and check its ABI. */
int plugin_open(const char *path, void **ret_handle, const struct scmpd_handler_ops **ret_ops,
                char **ret_error);
