/*
 * libscmpd: seccomp profiles in the JSON forms that container runtimes read.
 *
 * Two forms are accepted: the OCI runtime-spec `linux.seccomp` object (alone, or inside a whole
 * config.json) and Docker/moby profile files, which add `archMap`, the old single `name`, and
 * `includes`/`excludes` conditions on arches, capabilities and kernel version. Parsing produces
 * a plain, validated model (struct scmpd_profile, read-only for callers); compiling applies
 * moby's conditions for one target (host arch, capability set, kernel version) and then runc's
 * rules to build a filter (scmpd/filter.h):
 *
 *   - `SCMP_ACT_KILL` means KILL_THREAD; ERRNO and TRACE without errnoRet use EPERM;
 *   - a rule whose action equals the default action is skipped;
 *   - a syscall name no arch knows is skipped with a warning;
 *   - args that repeat an argument index become one single-comparison rule each (OR'd);
 *   - NOTIFY is refused as the default action and for `write`;
 *   - no_new_privs is left to the caller, binary-tree layout is used above 32 rules, and with no
 *     `flags` key SECCOMP_FILTER_FLAG_SPEC_ALLOW is set, as runc does;
 *   - what runc loads is scmpd_profile_enosys_stub() followed by the filter's program
 *     (scmpd_profile_program()); crun 1.8 loads the filter's program alone.
 *
 * Errors: a negative errno plus, in *ret_error, one malloc()ed message naming the JSON path and
 * the reason, e.g. "syscalls[3].args[0].index: 7 is out of range (0-5)". Warnings go to an
 * optional callback; the library never prints. Nothing is returned on failure.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <scmpd/filter.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds on hostile input; exceeding any of them is an error, never a truncation. */
#define SCMPD_PROFILE_MAX_SIZE (4U * 1024U * 1024U) /* bytes of JSON */
#define SCMPD_PROFILE_MAX_DEPTH 32U                 /* nesting of arrays and objects */
#define SCMPD_PROFILE_MAX_SYSCALLS 4096U            /* entries in syscalls[] */
#define SCMPD_PROFILE_MAX_NAMES 65536U              /* names over all entries */
#define SCMPD_PROFILE_MAX_ARGS 64U                  /* args[] of one entry */
#define SCMPD_PROFILE_MAX_LIST 64U                  /* arches, caps, flags, archMap, ... */
#define SCMPD_PROFILE_MAX_STRING 4096U              /* bytes in any one string */

/* Filter flags (the `flags` array). */
#define SCMPD_PROFILE_FLAG_TSYNC (1U << 0) /* accepted and ignored, as runc does */
#define SCMPD_PROFILE_FLAG_LOG (1U << 1)
#define SCMPD_PROFILE_FLAG_SPEC_ALLOW (1U << 2)

/* One comparison. value_two is only meaningful for SCMPD_CMP_MASKED_EQ (value is the mask). */
struct scmpd_profile_arg {
        unsigned index; /* 0..5 */
        enum scmpd_cmp_op op;
        uint64_t value;
        uint64_t value_two;
};

/* A moby condition: every listed part must hold (includes) or any part excludes. */
struct scmpd_profile_cond {
        char **arches; /* libseccomp-golang spellings: "amd64", "x86", "x32", "arm64", ... */
        size_t n_arches;
        char **caps; /* "CAP_SYS_ADMIN", ... */
        size_t n_caps;
        bool has_min_kernel;
        unsigned min_kernel_major;
        unsigned min_kernel_minor;
};

struct scmpd_profile_syscall {
        char **names; /* from `names`, or the single old `name` */
        size_t n_names;
        uint32_t action; /* resolved: SCMPD_ACT_*, ERRNO/TRACE data from errnoRet or EPERM */
        bool has_errno_ret;
        uint32_t errno_ret;
        struct scmpd_profile_arg *args;
        size_t n_args;
        struct scmpd_profile_cond includes;
        struct scmpd_profile_cond excludes;
};

struct scmpd_profile_arch_map {
        uint32_t arch; /* AUDIT_ARCH token */
        uint32_t *sub_arches;
        size_t n_sub_arches;
};

struct scmpd_profile {
        uint32_t default_action; /* resolved as for syscalls, with defaultErrnoRet */
        bool has_default_errno_ret;
        uint32_t default_errno_ret;
        uint32_t *arches; /* `architectures`, AUDIT_ARCH tokens */
        size_t n_arches;
        struct scmpd_profile_arch_map *arch_map;
        size_t n_arch_map;
        bool has_flags;          /* false: no `flags` key at all (runc then sets SPEC_ALLOW) */
        unsigned flags;          /* SCMPD_PROFILE_FLAG_* */
        char *listener_path;     /* NULL if absent */
        char *listener_metadata; /* NULL if absent */
        struct scmpd_profile_syscall *syscalls;
        size_t n_syscalls;
};

/* Receives one warning (unknown key ignored, unknown syscall skipped, ...). */
typedef void (*scmpd_profile_warn_fn)(const char *message, void *userdata);

/*
 * Parse `len` bytes of JSON (no NUL needed). `warn` may be NULL. On success *ret owns a new
 * profile; on failure returns -EINVAL (bad input), -E2BIG (beyond a limit) or -ENOMEM, and
 * *ret_error (if ret_error is not NULL) receives a malloc()ed message.
 */
int scmpd_profile_parse(const char *json, size_t len, scmpd_profile_warn_fn warn, void *userdata,
                        struct scmpd_profile **ret, char **ret_error);

/* Read a file (at most SCMPD_PROFILE_MAX_SIZE bytes) and parse it; I/O errors as -errno. */
int scmpd_profile_parse_file(const char *path, scmpd_profile_warn_fn warn, void *userdata,
                             struct scmpd_profile **ret, char **ret_error);

/* Accepts NULL, returns NULL. */
struct scmpd_profile *scmpd_profile_free(struct scmpd_profile *p);

/* listenerPath and listenerMetadata, or NULL when absent. Borrowed from the profile. */
const char *scmpd_profile_listener_path(const struct scmpd_profile *p);
const char *scmpd_profile_listener_metadata(const struct scmpd_profile *p);

/* What a profile is compiled for. A zeroed struct means: native arch, no capabilities, the
 * running kernel. */
struct scmpd_profile_target {
        uint32_t arch;                /* host arch as an AUDIT_ARCH token; 0: native */
        const uint32_t *extra_arches; /* added to the profile's own arches */
        size_t n_extra_arches;
        const char *const *caps; /* the bounding set, e.g. "CAP_SYS_ADMIN" */
        size_t n_caps;
        unsigned kernel_major; /* 0.0: uname(2) of the running kernel */
        unsigned kernel_minor;
};

/*
 * Whether entry `index` applies to `target` (moby's includes/excludes). 1 yes, 0 no,
 * -EINVAL for an unknown target arch.
 */
int scmpd_profile_syscall_applies(const struct scmpd_profile *p, size_t index,
                                  const struct scmpd_profile_target *target);

/*
 * The arches the filter gets: the host arch first, then `architectures` or the `archMap` entry
 * of the host arch, then target->extra_arches, without repeats. Writes at most `max` tokens and
 * returns how many there are (which may exceed max), or -EINVAL for an unknown target arch.
 */
int scmpd_profile_arches(const struct scmpd_profile *p, const struct scmpd_profile_target *target,
                         uint32_t *ret_arches, size_t max);

/*
 * Build the filter for `target`. `warn` may be NULL. On failure nothing is returned and
 * *ret_error (if not NULL) receives a malloc()ed message naming the entry.
 */
int scmpd_profile_compile(const struct scmpd_profile *p, const struct scmpd_profile_target *target,
                          scmpd_profile_warn_fn warn, void *userdata, struct scmpd_filter **ret,
                          char **ret_error);

/*
 * runc's -ENOSYS stub (libcontainer/seccomp/patchbpf): runc loads not the filter alone but this
 * short program in front of it. For each arch the profile lists (`architectures`, or the host's
 * archMap entry) it returns ERRNO(ENOSYS) for syscall numbers above the largest one the
 * profile's applicable entries name on that arch (x86_64 and x32 each with their own bound; on
 * s390/s390x also for number 0, the multiplexer of unknown large numbers), so that syscalls newer
 * than the profile fail as "not implemented" rather than with the default action. Everything
 * else falls through to the filter, which must follow the stub directly. No stub (length 0, NULL)
 * when the default action is ALLOW, LOG or TRACE, or when the profile lists no arches.
 * *ret_insns is a malloc()ed array of struct sock_filter, in host byte order.
 */
int scmpd_profile_enosys_stub(const struct scmpd_profile *p,
                              const struct scmpd_profile_target *target, void **ret_insns,
                              size_t *ret_len);

/*
 * The whole program runc would load for `target`: scmpd_profile_enosys_stub() followed by the
 * program of `f` (as scmpd_profile_compile() built it for the same target). *ret_insns is a
 * malloc()ed array of struct sock_filter; -E2BIG beyond BPF_MAXINSNS.
 */
int scmpd_profile_program(const struct scmpd_profile *p, const struct scmpd_profile_target *target,
                          struct scmpd_filter *f, void **ret_insns, size_t *ret_len);

/* The libseccomp-golang spelling of an arch ("amd64" for x86_64), as moby matches
 * includes/excludes against it, or NULL. */
const char *scmpd_profile_arch_go_name(uint32_t token);

#ifdef __cplusplus
}
#endif
