/*
 * libscmpd: the seccomp filter model and compiler.
 *
 * A filter is a default action, a bad-arch action, a set of arches, attributes, and rules. A
 * rule says: for this syscall, when all of its (0 to 6) argument comparisons hold, take this
 * action. The semantics are libseccomp's, as its man pages document them (seccomp_init(3),
 * seccomp_rule_add(3), seccomp_arch_add(3), seccomp_attr_set(3), seccomp_merge(3),
 * seccomp_syscall_priority(3), seccomp_transaction_start(3), seccomp_precompute(3),
 * seccomp_export_bpf(3), seccomp_load(3)), including its return codes, so that the drop-in
 * libseccomp.so.2 (lib/compat/) only translates. Where rules overlap or conflict, the behaviour
 * is libseccomp's; each such case is documented next to the function it concerns.
 *
 * Syscalls are named by number in the *native* arch's numbering (or a pseudo number from
 * scmpd/arch.h), as in libseccomp; rules are translated to every arch in the filter by name.
 *
 * Return values: 0 on success, a negative errno on failure, never printing or exiting.
 *
 * Semantics, as settled against libseccomp 2.5.4 by the differential test (tests/diff/):
 *
 * - Arches. A filter holds one byte order: adding an arch of the other order is -EDOM (also for
 *   merge). x86_64 and x32 share seccomp_data.arch (AUDIT_ARCH_X86_64): with only x86_64, numbers
 *   with the x32 bit (0x40000000..0xfffffffe) take the bad-arch action; with only x32, numbers
 *   below 0x40000000 do; -1 belongs to both. A rule applies to the arches the filter has when
 *   it is added, not to arches added later (libseccomp keeps rules per arch); removing an arch
 *   drops its rules, so adding it again starts it without rules.
 * - Syscall numbers. -99..-1 are refused (-EINVAL), except -1 with the TSKIP attribute. On the
 *   native arch any other number is accepted as is; on other arches it is translated by name,
 *   and a number the native table does not know is -EFAULT once a non-native arch is present.
 * - Best effort vs exact. A best-effort rule for a syscall an arch lacks is skipped on that arch.
 *   On x86, mips, mipsel, ppc, ppc64, ppc64le, s390 and s390x a socket or IPC syscall is added
 *   twice: to the direct syscall where the arch has one, and to socketcall(2)/ipc(2) with
 *   argument 0 == the call number (replacing any comparison of argument 0; the others are kept
 *   as written, as libseccomp does). Exact rules: refused with -EOPNOTSUPP in a filter with
 *   more than one arch (checked before the comparisons), -EINVAL for a multiplexed syscall with
 *   comparisons, -EDOM for a syscall the arch lacks.
 * - Values. 32-bit arches (including x32 and mips n32) see the low word only: data and masks are
 *   truncated to 32 bits, so "a0 > 0x100000001" means "low word > 1". 64-bit arches compare both
 *   words, at the arch's byte-order offsets. MASKED_EQ compares (arg & mask) with
 *   (datum & mask); a zero mask (after truncation) always holds and the comparison is dropped.
 * - Actions: ERRNO data up to 4094 (libseccomp's limit), any TRACE data.
 * - One syscall, several rules (on each arch, after the rewriting above):
 *   - the first rule without comparisons decides the syscall whatever its arguments; later rules
 *     for it are accepted and ignored, earlier conditional ones are dropped;
 *   - a rule whose comparisons extend an existing rule's (same leading comparisons in argument
 *     order) is absorbed by it, whatever its action (accepted, no effect);
 *   - a rule that is a prefix of existing rules replaces them when the actions agree, and is
 *     refused with -EEXIST when they differ; an identical rule with another action is -EEXIST;
 *     an identical rule with the same action is accepted as a no-op;
 *   - otherwise the rules are alternatives: the first, in precedence order, whose comparisons all
 *     hold decides, and the default action applies when none does. Precedence compares rules
 *     comparison by comparison in argument order: the higher argument number first; on one
 *     argument EQ/NE/MASKED_EQ before LT/LE before GT/GE; then the larger datum first (the
 *     smaller for LT/LE). The order the rules were added in does not matter, and neither does
 *     how restrictive the actions are.
 *   libseccomp implements these alternatives with a shared tree whose program sometimes skips a
 *   sibling rule after a partial match; scmpd evaluates every alternative (the documented union).
 *   Also unlike libseccomp: for -1 in a filter with both x86_64 and x32, the rules of both arches
 *   apply; a syscall number inside libseccomp's pseudo range (-10000..-100 as unsigned) is never
 *   matched by a best-effort rule for a syscall the arch lacks.
 * - Output. The program depends only on the rules' meaning and the arches, not on the order of
 *   calls, except where the rules above make order meaningful (first unconditional rule wins).
 *   Instructions are in host byte order unless SCMPD_ORDER_TARGET is asked for. The optimize
 * attribute is accepted (1 or 2, else -EOPNOTSUPP) and recorded; scmpd's layout is the same at both
 * levels.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct scmpd_filter;

/* Actions: the kernel's SECCOMP_RET_* encodings, action in the high 16 bits, data below. */
#define SCMPD_ACT_KILL_PROCESS 0x80000000U
#define SCMPD_ACT_KILL_THREAD 0x00000000U
#define SCMPD_ACT_TRAP 0x00030000U
#define SCMPD_ACT_ERRNO(e) (0x00050000U | ((uint32_t)(e)&0x0000ffffU))
#define SCMPD_ACT_TRACE(m) (0x7ff00000U | ((uint32_t)(m)&0x0000ffffU))
#define SCMPD_ACT_NOTIFY 0x7fc00000U
#define SCMPD_ACT_LOG 0x7ffc0000U
#define SCMPD_ACT_ALLOW 0x7fff0000U

/* True for every action value the kernel defines (with any data where it takes data). */
bool scmpd_action_valid(uint32_t action);

/* Comparison operators; the numbering is libseccomp's enum scmp_compare. */
enum scmpd_cmp_op {
        SCMPD_CMP_NE = 1,
        SCMPD_CMP_LT = 2,
        SCMPD_CMP_LE = 3,
        SCMPD_CMP_EQ = 4,
        SCMPD_CMP_GE = 5,
        SCMPD_CMP_GT = 6,
        SCMPD_CMP_MASKED_EQ = 7, /* (arg & datum_a) == datum_b */
};

/* One argument comparison, with the same layout as libseccomp's struct scmp_arg_cmp. */
struct scmpd_arg_cmp {
        unsigned int arg; /* 0..5 */
        enum scmpd_cmp_op op;
        uint64_t datum_a;
        uint64_t datum_b;
};

#define SCMPD_ARGS_MAX 6

/* Attributes; the numbering is libseccomp's enum scmp_filter_attr. */
enum scmpd_filter_attr {
        SCMPD_ATTR_DEFAULT_ACTION = 1, /* read-only after creation (reset changes it) */
        SCMPD_ATTR_BADARCH_ACTION = 2,
        SCMPD_ATTR_NO_NEW_PRIVS = 3,
        SCMPD_ATTR_TSYNC = 4,
        SCMPD_ATTR_TSKIP = 5, /* accept rules with pseudo syscall -1 (tracer skip) */
        SCMPD_ATTR_LOG = 6,
        SCMPD_ATTR_SSB = 7,      /* SECCOMP_FILTER_FLAG_SPEC_ALLOW */
        SCMPD_ATTR_OPTIMIZE = 8, /* 1: linear priority order, 2: binary tree */
        SCMPD_ATTR_RAW_RC = 9,   /* return raw kernel errors from load instead of -ECANCELED */
        SCMPD_ATTR_WAIT_KILLABLE_RECV = 10,
};

/* Rule flag: refuse rather than rewrite or skip (seccomp_rule_add_exact(3)). */
#define SCMPD_RULE_EXACT (1U << 0)

/* Create a filter with the given default action, the native arch, and libseccomp's default
 * attributes (bad-arch KILL_THREAD, no_new_privs on, optimize 1). -EINVAL on a bad action. */
int scmpd_filter_new(uint32_t default_action, struct scmpd_filter **ret);

/* Free a filter; accepts NULL, returns NULL. A listener fd created by load stays open and is the
 * caller's to close (see scmpd_filter_listener_fd()). */
struct scmpd_filter *scmpd_filter_free(struct scmpd_filter *f);

/* Drop every rule, arch and attribute and start again as scmpd_filter_new(default_action). */
int scmpd_filter_reset(struct scmpd_filter *f, uint32_t default_action);

int scmpd_filter_attr_get(const struct scmpd_filter *f, enum scmpd_filter_attr attr,
                          uint32_t *ret_value);
int scmpd_filter_attr_set(struct scmpd_filter *f, enum scmpd_filter_attr attr, uint32_t value);

/* Arches by AUDIT_ARCH token; 0 means the native arch. add: -EEXIST if present, -EDOM for the
 * other byte order, -EINVAL if unknown; remove: -EEXIST if absent; has: 1 present, 0 absent.
 * An added arch starts without the rules added before it (seccomp_arch_add(3)). */
int scmpd_filter_arch_add(struct scmpd_filter *f, uint32_t token);
int scmpd_filter_arch_remove(struct scmpd_filter *f, uint32_t token);
int scmpd_filter_arch_has(const struct scmpd_filter *f, uint32_t token);

/*
 * Add a rule. `syscall` is a native number or pseudo number. `flags` is 0 (best effort: rewrite
 * for multiplexed socketcall/ipc arches, skip arches that lack the syscall, widen comparisons a
 * 32-bit arch cannot express) or SCMPD_RULE_EXACT (refuse, with -EINVAL or -EOPNOTSUPP, anything
 * that cannot be expressed exactly on every arch). A rule whose action equals the default
 * action is refused with -EACCES, as libseccomp does. `cmps` may be NULL when `n` is 0.
 */
int scmpd_filter_rule_add(struct scmpd_filter *f, uint32_t action, int syscall, unsigned flags,
                          size_t n, const struct scmpd_arg_cmp *cmps);

/* A hint: decide this syscall earlier (higher priority) in the generated program. The search
 * tree weighs each syscall by how many real syscalls its interval holds plus twice the
 * priority, so a high priority shortens its path. -EINVAL for -99..-1 (as rule_add), -EFAULT for
 * a number unknown on a non-native arch of the filter. Never changes a decision. */
int scmpd_filter_syscall_priority(struct scmpd_filter *f, int syscall, uint8_t priority);

/* Transactions: nested starts are allowed; reject restores the state at the matching start
 * (rules, arches, attributes, priorities); commit or reject without a start is -EINVAL. */
int scmpd_filter_transaction_start(struct scmpd_filter *f);
int scmpd_filter_transaction_commit(struct scmpd_filter *f);
int scmpd_filter_transaction_reject(struct scmpd_filter *f);

/* Merge `src` into `dst`. Arches must be disjoint (-EEXIST), of one byte order (-EDOM), and the
 * attributes libseccomp compares equal: default action, bad-arch action and no_new_privs
 * (-EINVAL). Each side's rules keep applying to its own arches only (an arch added after the
 * merge gets only rules added after it). Priorities of `src` are carried over. On success `src`
 * is consumed (freed); on failure untouched. */
int scmpd_filter_merge(struct scmpd_filter *dst, struct scmpd_filter *src);

/* Compile now and keep the program, so that a later load or export does no work. */
int scmpd_filter_precompute(struct scmpd_filter *f);

/*
 * Generate the BPF program. On success *ret_insns is a malloc()ed array of struct sock_filter
 * (8 bytes each, <linux/filter.h> layout) that the caller frees, and *ret_count its length.
 * -E2BIG when the program exceeds BPF_MAXINSNS; scmpd_filter_error() then names the syscalls
 * whose argument checks take the most instructions, with the rules (by the order they were
 * added, from 0) behind each, until the excess is covered.
 *
 * Shape: ld arch, one JEQ per arch value, then per arch ld nr and a weighted binary search of
 * JGE over number intervals (gaps take the default action); argument checks only at the leaves.
 * A syscall whose verdict is unconditional is decided with loads of nr/arch, JEQ/JGE and RET
 * only, so the kernel's action cache records an unconditional ALLOW.
 */
int scmpd_filter_export_bpf_mem(struct scmpd_filter *f, void **ret_insns, size_t *ret_count);

/* The byte order of exported instructions: the host's (what scmpd_filter_load() and the
 * simulator take), or the filter's arches' (what libseccomp writes: a filter for big-endian
 * arches comes out big-endian on any host, ready for that kernel). */
enum scmpd_byte_order {
        SCMPD_ORDER_HOST = 0,
        SCMPD_ORDER_TARGET = 1,
};

/* scmpd_filter_export_bpf_mem() in the given byte order; -EINVAL for another value. */
int scmpd_filter_export_bpf_mem_order(struct scmpd_filter *f, enum scmpd_byte_order order,
                                      void **ret_insns, size_t *ret_count);

/* Write the raw program to fd (no framing), or readable PFC text (every action by name,
 * NOTIFY included; the rules of each syscall in precedence order). A write error is
 * -ECANCELED, or the errno with RAW_RC. */
int scmpd_filter_export_bpf(struct scmpd_filter *f, int fd);
int scmpd_filter_export_pfc(struct scmpd_filter *f, int fd);

/* A human-readable explanation of the last failure on this filter, or NULL. Static until the
 * next call on the filter. */
const char *scmpd_filter_error(const struct scmpd_filter *f);

/*
 * Load the filter into the calling thread (all threads with TSYNC) with seccomp(2). Sets
 * no_new_privs first when the attribute asks for it. Flags follow the attributes, and
 * NEW_LISTENER is added whenever a rule uses NOTIFY. Errors: as libseccomp's seccomp_load(3),
 * i.e. -ECANCELED for a kernel refusal unless the RAW_RC attribute is set; with TSYNC a
 * thread that could not be synchronised is reported as -ESRCH.
 */
int scmpd_filter_load(struct scmpd_filter *f);

/*
 * As scmpd_filter_load(), for callers that keep one listener per process (libseccomp does: a
 * second notifying filter loads without NEW_LISTENER and its notify fd is the first one's).
 * When the filter uses NOTIFY and `listener_fd` >= 0, the load asks for no new listener and
 * records `listener_fd` as this filter's (borrowed, as below); the kernel then delivers this
 * filter's notifications nowhere (the notifying syscall fails with ENOSYS), exactly as under
 * libseccomp. With `listener_fd` < 0 it is scmpd_filter_load().
 */
int scmpd_filter_load_shared_listener(struct scmpd_filter *f, int listener_fd);

/*
 * What the running kernel supports, probed with calls that install nothing. ret_flags gets the
 * SECCOMP_FILTER_FLAG_* bits it accepts among TSYNC, LOG, SPEC_ALLOW, NEW_LISTENER,
 * TSYNC_ESRCH and WAIT_KILLABLE_RECV (probed with NEW_LISTENER, which it needs); -ENOSYS or
 * -EINVAL when seccomp filter mode is missing. errno is preserved. Not cached.
 */
int scmpd_kernel_filter_flags(uint32_t *ret_flags);

/* True when the kernel knows this action (SECCOMP_GET_ACTION_AVAIL). errno is preserved. */
bool scmpd_kernel_action_available(uint32_t action);

/* The listener fd created by the last load, or -ENOENT if none. The fd is borrowed: the
 * filter keeps the number but never closes it, matching seccomp_notify_fd(3). */
int scmpd_filter_listener_fd(const struct scmpd_filter *f);

/* True if any rule or the default action uses NOTIFY. */
bool scmpd_filter_uses_notify(const struct scmpd_filter *f);

#ifdef __cplusplus
}
#endif
