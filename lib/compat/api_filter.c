/*
 * libseccomp's filter, arch, syscall-name, rule, export and transaction calls, each one a
 * translation onto the core (scmpd/filter.h, scmpd/arch.h).
 *
 * Model: a scmp_filter_ctx *is* a struct scmpd_filter pointer. Attribute, operator and action
 * numbers are the same in both interfaces, and struct scmp_arg_cmp has the layout of struct
 * scmpd_arg_cmp, so calls pass values straight through. What remains here is the shape of
 * libseccomp's interface: NULL contexts, variadic conditions, arch token 0, strings the caller
 * frees, the size protocol of seccomp_export_bpf_mem(), the API-level gates on actions and
 * attributes, and the mapping of return codes onto the documented set (compat.h). No filter
 * semantics are decided here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <linux/filter.h>

#include <seccomp.h>
#include <scmpd/arch.h>
#include <scmpd/filter.h>

#include "arch/pseudo.h"
#include "compat.h"
#include "util.h"

/* The two interfaces share their numbering and layouts; the build breaks if they drift. */
_Static_assert(sizeof(struct scmp_arg_cmp) == sizeof(struct scmpd_arg_cmp), "arg_cmp size");
_Static_assert(offsetof(struct scmp_arg_cmp, op) == offsetof(struct scmpd_arg_cmp, op), "op");
_Static_assert(offsetof(struct scmp_arg_cmp, datum_a) == offsetof(struct scmpd_arg_cmp, datum_a),
               "datum_a");
_Static_assert(offsetof(struct scmp_arg_cmp, datum_b) == offsetof(struct scmpd_arg_cmp, datum_b),
               "datum_b");
_Static_assert(SCMP_CMP_MASKED_EQ == (int)SCMPD_CMP_MASKED_EQ, "compare numbering");
_Static_assert(SCMP_CMP_NE == (int)SCMPD_CMP_NE, "compare numbering");
_Static_assert(SCMP_FLTATR_CTL_WAITKILL == (int)SCMPD_ATTR_WAIT_KILLABLE_RECV, "attr numbering");
_Static_assert(SCMP_FLTATR_API_SYSRAWRC == (int)SCMPD_ATTR_RAW_RC, "attr numbering");
_Static_assert(SCMP_FLTATR_ACT_DEFAULT == (int)SCMPD_ATTR_DEFAULT_ACTION, "attr numbering");
_Static_assert(SCMP_ACT_NOTIFY == SCMPD_ACT_NOTIFY && SCMP_ACT_LOG == SCMPD_ACT_LOG &&
                       SCMP_ACT_KILL_PROCESS == SCMPD_ACT_KILL_PROCESS &&
                       SCMP_ACT_ERRNO(7) == SCMPD_ACT_ERRNO(7) &&
                       SCMP_ACT_TRACE(7) == SCMPD_ACT_TRACE(7) && SCMP_ACT_ALLOW == SCMPD_ACT_ALLOW,
               "action encodings");

#define ARG_COUNT_MAX SCMPD_ARGS_MAX

static struct scmpd_filter *filter_of(const scmp_filter_ctx ctx)
{
        return (struct scmpd_filter *)ctx;
}

/* An action libseccomp accepts: a valid encoding the kernel (per the API level) offers. */
static bool action_ok(uint32_t action)
{
        return scmpd_action_valid(action) && compat_action_supported(action);
}

/* The arch for a token, with 0 meaning native; NULL when unknown. */
static const struct scmpd_arch *arch_of(uint32_t token)
{
        return token == SCMP_ARCH_NATIVE ? scmpd_arch_native() : scmpd_arch_by_token(token);
}

/* ---- Filters ----------------------------------------------------------------------------- */

_public_ scmp_filter_ctx seccomp_init(uint32_t def_action)
{
        struct scmpd_filter *f = NULL;

        if (!action_ok(def_action))
                return NULL;
        if (scmpd_filter_new(def_action, &f) < 0)
                return NULL;
        return f;
}

_public_ int seccomp_reset(scmp_filter_ctx ctx, uint32_t def_action)
{
        /* A NULL context resets the library's own state: the API level is probed afresh and
         * the process's listener is closed. */
        if (!ctx) {
                compat_api_reset();
                compat_listener_reset();
                return 0;
        }
        if (!action_ok(def_action))
                return -EINVAL;
        return compat_rc(scmpd_filter_reset(filter_of(ctx), def_action));
}

_public_ void seccomp_release(scmp_filter_ctx ctx)
{
        scmpd_filter_free(filter_of(ctx));
}

_public_ int seccomp_merge(scmp_filter_ctx ctx_dst, scmp_filter_ctx ctx_src)
{
        if (!ctx_dst || !ctx_src || ctx_dst == ctx_src)
                return -EINVAL;
        return compat_rc(scmpd_filter_merge(filter_of(ctx_dst), filter_of(ctx_src)));
}

/* ---- Architectures ----------------------------------------------------------------------- */

_public_ uint32_t seccomp_arch_resolve_name(const char *arch_name)
{
        const struct scmpd_arch *arch;

        if (!arch_name)
                return 0;
        /* The core also accepts runtime spellings ("amd64"); libseccomp knows only its own. */
        arch = scmpd_arch_by_name(arch_name);
        if (!arch || strcmp(arch->name, arch_name) != 0)
                return 0;
        return arch->token;
}

_public_ uint32_t seccomp_arch_native(void)
{
        return scmpd_arch_native()->token;
}

_public_ int seccomp_arch_exist(const scmp_filter_ctx ctx, uint32_t arch_token)
{
        int r;

        if (!ctx || !arch_of(arch_token))
                return -EINVAL;
        r = scmpd_filter_arch_has(filter_of(ctx), arch_token);
        if (r < 0)
                return compat_rc(r);
        return r > 0 ? 0 : -EEXIST;
}

_public_ int seccomp_arch_add(scmp_filter_ctx ctx, uint32_t arch_token)
{
        if (!ctx || !arch_of(arch_token))
                return -EINVAL;
        return compat_rc(scmpd_filter_arch_add(filter_of(ctx), arch_token));
}

_public_ int seccomp_arch_remove(scmp_filter_ctx ctx, uint32_t arch_token)
{
        if (!ctx || !arch_of(arch_token))
                return -EINVAL;
        return compat_rc(scmpd_filter_arch_remove(filter_of(ctx), arch_token));
}

/* ---- Loading and attributes -------------------------------------------------------------- */

_public_ int seccomp_load(const scmp_filter_ctx ctx)
{
        struct scmpd_filter *f = filter_of(ctx);
        int r, fd;

        if (!ctx)
                return -EINVAL;
        /* libseccomp keeps one listener per process: once a load has created it, later
         * notifying filters load without asking for another (the core's shared-listener load). */
        r = scmpd_filter_load_shared_listener(f, compat_listener_get());
        if (r < 0)
                return compat_rc_sys(f, r);
        fd = scmpd_filter_listener_fd(f);
        if (fd >= 0)
                compat_listener_set(fd);
        return 0;
}

_public_ int seccomp_attr_get(const scmp_filter_ctx ctx, enum scmp_filter_attr attr,
                              uint32_t *value)
{
        if (!ctx || !value)
                return -EINVAL;
        return compat_rc(
                scmpd_filter_attr_get(filter_of(ctx), (enum scmpd_filter_attr)attr, value));
}

/* The API level each kernel-backed attribute needs before it may be set at all. */
static unsigned attr_min_level(enum scmp_filter_attr attr)
{
        switch (attr) {
        case SCMP_FLTATR_CTL_TSYNC:
                return 2;
        case SCMP_FLTATR_CTL_LOG:
                return 3;
        case SCMP_FLTATR_CTL_SSB:
                return 4;
        case SCMP_FLTATR_CTL_WAITKILL:
                return 7;
        default:
                return 1;
        }
}

_public_ int seccomp_attr_set(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value)
{
        if (!ctx)
                return -EINVAL;
        if (compat_api_level() < attr_min_level(attr))
                return -EOPNOTSUPP;
        if (attr == SCMP_FLTATR_ACT_BADARCH && !action_ok(value))
                return -EINVAL;
        return compat_rc(
                scmpd_filter_attr_set(filter_of(ctx), (enum scmpd_filter_attr)attr, value));
}

/* ---- Syscall names ----------------------------------------------------------------------- */

_public_ char *seccomp_syscall_resolve_num_arch(uint32_t arch_token, int num)
{
        const struct scmpd_arch *arch = arch_of(arch_token);
        const char *name;

        if (!arch)
                return NULL;
        name = scmpd_syscall_name(arch, num);
        if (!name)
                return NULL;
        /* A pseudo number names a call only on arches where it is that call's number (the arch
         * lacks the call, or routes it through a multiplexer): the answer must round-trip. */
        if (num < 0 && seccomp_syscall_resolve_name_arch(arch_token, name) != num)
                return NULL;
        return strdup(name);
}

_public_ int seccomp_syscall_resolve_name_arch(uint32_t arch_token, const char *name)
{
        const struct scmpd_arch *arch = arch_of(arch_token);
        int nr;

        if (!arch || !name)
                return __NR_SCMP_ERROR;
        nr = scmpd_syscall_nr(arch, name);
        if (nr == SCMPD_NR_NONE)
                return __NR_SCMP_ERROR;
        /* Where the arch routes the call through socketcall(2) or ipc(2), libseccomp names it
         * by its pseudo number even if a direct syscall exists too: a rule on that number
         * covers both paths. The core reports the routing; the pseudo number is its table's. */
        if (nr >= 0 && scmpd_syscall_mux(arch, nr, NULL, NULL) == 1) {
                int pseudo = scmpd_pseudo_nr(name);
                if (pseudo != SCMPD_NR_NONE)
                        return pseudo;
        }
        return nr;
}

_public_ int seccomp_syscall_resolve_name_rewrite(uint32_t arch_token, const char *name)
{
        const struct scmpd_arch *arch = arch_of(arch_token);
        enum scmpd_mux mux;
        uint32_t call;
        int nr;

        nr = seccomp_syscall_resolve_name_arch(arch_token, name);
        if (nr == __NR_SCMP_ERROR)
                return nr;
        if (scmpd_syscall_mux(arch, nr, &mux, &call) <= 0)
                return nr;
        return mux == SCMPD_MUX_SOCKETCALL ? arch->socketcall_nr : arch->ipc_nr;
}

_public_ int seccomp_syscall_resolve_name(const char *name)
{
        return seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, name);
}

_public_ int seccomp_syscall_priority(scmp_filter_ctx ctx, int syscall, uint8_t priority)
{
        if (!ctx)
                return -EINVAL;
        return compat_rc(scmpd_filter_syscall_priority(filter_of(ctx), syscall, priority));
}

/* ---- Rules ------------------------------------------------------------------------------- */

static int rule_add(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned flags,
                    unsigned int arg_cnt, const struct scmp_arg_cmp *arg_array)
{
        struct scmpd_arg_cmp cmps[ARG_COUNT_MAX];

        if (!ctx || arg_cnt > ARG_COUNT_MAX || (arg_cnt > 0 && !arg_array))
                return -EINVAL;
        if (!action_ok(action))
                return -EINVAL;
        for (unsigned i = 0; i < arg_cnt; i++)
                cmps[i] = (struct scmpd_arg_cmp){
                        .arg = arg_array[i].arg,
                        .op = (enum scmpd_cmp_op)arg_array[i].op,
                        .datum_a = arg_array[i].datum_a,
                        .datum_b = arg_array[i].datum_b,
                };
        return compat_rc(scmpd_filter_rule_add(filter_of(ctx), action, syscall, flags, arg_cnt,
                                               arg_cnt > 0 ? cmps : NULL));
}

/* Gather the variadic conditions; -EINVAL if there are more than a rule can hold. */
static int rule_add_va(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned flags,
                       unsigned int arg_cnt, va_list ap)
{
        struct scmp_arg_cmp args[ARG_COUNT_MAX];

        if (arg_cnt > ARG_COUNT_MAX)
                return -EINVAL;
        for (unsigned i = 0; i < arg_cnt; i++)
                args[i] = va_arg(ap, struct scmp_arg_cmp);
        return rule_add(ctx, action, syscall, flags, arg_cnt, args);
}

_public_ int seccomp_rule_add_array(scmp_filter_ctx ctx, uint32_t action, int syscall,
                                    unsigned int arg_cnt, const struct scmp_arg_cmp *arg_array)
{
        return rule_add(ctx, action, syscall, 0, arg_cnt, arg_array);
}

_public_ int seccomp_rule_add(scmp_filter_ctx ctx, uint32_t action, int syscall,
                              unsigned int arg_cnt, ...)
{
        va_list ap;
        int r;

        va_start(ap, arg_cnt);
        r = rule_add_va(ctx, action, syscall, 0, arg_cnt, ap);
        va_end(ap);
        return r;
}

_public_ int seccomp_rule_add_exact_array(scmp_filter_ctx ctx, uint32_t action, int syscall,
                                          unsigned int arg_cnt,
                                          const struct scmp_arg_cmp *arg_array)
{
        return rule_add(ctx, action, syscall, SCMPD_RULE_EXACT, arg_cnt, arg_array);
}

_public_ int seccomp_rule_add_exact(scmp_filter_ctx ctx, uint32_t action, int syscall,
                                    unsigned int arg_cnt, ...)
{
        va_list ap;
        int r;

        va_start(ap, arg_cnt);
        r = rule_add_va(ctx, action, syscall, SCMPD_RULE_EXACT, arg_cnt, ap);
        va_end(ap);
        return r;
}

/* ---- Output ------------------------------------------------------------------------------ */

_public_ int seccomp_export_pfc(const scmp_filter_ctx ctx, int fd)
{
        if (!ctx)
                return -EINVAL;
        if (fd < 0)
                return compat_rc_sys(filter_of(ctx), -EBADF); /* what write(2) answers */
        return compat_rc_sys(filter_of(ctx), scmpd_filter_export_pfc(filter_of(ctx), fd));
}

/* libseccomp exports a program in its target's byte order (big-endian arches' filters come out
 * big-endian on any host); the core's SCMPD_ORDER_TARGET does exactly that. */
static int export_program(const struct scmpd_filter *f, struct sock_filter **ret_prog,
                          size_t *ret_count)
{
        void *insns = NULL;
        size_t count = 0;
        int r;

        r = scmpd_filter_export_bpf_mem_order((struct scmpd_filter *)f, SCMPD_ORDER_TARGET, &insns,
                                              &count);
        if (r < 0)
                return r;
        *ret_prog = insns;
        *ret_count = count;
        return 0;
}

_public_ int seccomp_export_bpf(const scmp_filter_ctx ctx, int fd)
{
        _cleanup_free_ struct sock_filter *prog = NULL;
        size_t count = 0, done = 0, bytes;
        int r;

        if (!ctx)
                return -EINVAL;
        if (fd < 0)
                return compat_rc_sys(filter_of(ctx), -EBADF); /* what write(2) answers */
        r = export_program(filter_of(ctx), &prog, &count);
        if (r < 0)
                return compat_rc(r);
        bytes = count * sizeof(*prog);
        while (done < bytes) {
                ssize_t n = write(fd, (const char *)prog + done, bytes - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return compat_rc_sys(filter_of(ctx), n < 0 ? negative_errno() : -EIO);
                done += (size_t)n;
        }
        return 0;
}

_public_ int seccomp_export_bpf_mem(const scmp_filter_ctx ctx, void *buf, size_t *len)
{
        _cleanup_free_ struct sock_filter *prog = NULL;
        size_t count = 0, bytes;
        int r;

        if (!ctx || !len)
                return -EINVAL;
        r = export_program(filter_of(ctx), &prog, &count);
        if (r < 0)
                return compat_rc(r);
        bytes = count * sizeof(*prog);
        if (buf && *len < bytes) {
                *len = bytes;
                return -ERANGE;
        }
        if (buf)
                memcpy(buf, prog, bytes);
        *len = bytes;
        return 0;
}

_public_ int seccomp_precompute(const scmp_filter_ctx ctx)
{
        if (!ctx)
                return -EINVAL;
        return compat_rc(scmpd_filter_precompute(filter_of(ctx)));
}

/* ---- Transactions ------------------------------------------------------------------------ */

_public_ int seccomp_transaction_start(const scmp_filter_ctx ctx)
{
        if (!ctx)
                return -EINVAL;
        return compat_rc(scmpd_filter_transaction_start(filter_of(ctx)));
}

_public_ void seccomp_transaction_reject(const scmp_filter_ctx ctx)
{
        if (ctx)
                (void)scmpd_filter_transaction_reject(filter_of(ctx));
}

_public_ int seccomp_transaction_commit(const scmp_filter_ctx ctx)
{
        if (!ctx)
                return -EINVAL;
        return compat_rc(scmpd_filter_transaction_commit(filter_of(ctx)));
}
