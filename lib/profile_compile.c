/*
 * Profile compilation (scmpd/profile.h): a parsed profile (lib/profile.c) becomes the filter a
 * container runtime would build from it for one target - host arch, bounding capability set,
 * kernel version - plus the -ENOSYS stub runc loads in front of that filter.
 *
 * Order of decisions, as the runtimes take them: moby's includes/excludes pick the entries
 * (syscall_applies), the arches come from the host, `architectures` or the host's archMap entry
 * (collect_arches), then runc's rules turn each kept name into filter rules. The filter is built
 * privately and handed out only when every rule went in; nothing is returned on failure. The
 * stub is assembled with symbolic jump targets and resolved once its length is known, so that
 * every jump is checked to be forward and in range before the program is handed out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "scmpd/arch.h"
#include "scmpd/filter.h"
#include "scmpd/profile.h"
#include "cleanup.h"
#include "util.h"

struct target {
        uint32_t host;
        const char *host_go; /* "amd64"; "" if runtimes have no name for it */
        unsigned kernel_major, kernel_minor;
        const struct scmpd_profile_target *t;
};

static int target_resolve(const struct scmpd_profile_target *t, struct target *ret)
{
        static const struct scmpd_profile_target none = { 0 };
        struct target x = { .t = t ? t : &none };

        if ((x.t->n_caps > 0 && !x.t->caps) || (x.t->n_extra_arches > 0 && !x.t->extra_arches))
                return -EINVAL;
        for (size_t i = 0; i < x.t->n_extra_arches; i++)
                if (!scmpd_arch_by_token(x.t->extra_arches[i]))
                        return -EINVAL;
        x.host = x.t->arch ? x.t->arch : scmpd_arch_native()->token;
        if (!scmpd_arch_by_token(x.host))
                return -EINVAL;
        const char *go = scmpd_profile_arch_go_name(x.host);
        x.host_go = go ? go : "";
        x.kernel_major = x.t->kernel_major;
        x.kernel_minor = x.t->kernel_minor;
        if (x.kernel_major == 0 && x.kernel_minor == 0) {
                struct utsname u;
                if (uname(&u) < 0 ||
                    sscanf(u.release, "%u.%u", &x.kernel_major, &x.kernel_minor) != 2)
                        return -EIO;
        }
        *ret = x;
        return 0;
}

static bool strv_contains(const char *const *v, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (v[i] && strcmp(v[i], s) == 0)
                        return true;
        return false;
}

static bool kernel_at_least(const struct target *x, const struct scmpd_profile_cond *c)
{
        if (x->kernel_major != c->min_kernel_major)
                return x->kernel_major > c->min_kernel_major;
        return x->kernel_minor >= c->min_kernel_minor;
}

/* moby's order: any exclude drops the entry, then every include must hold. */
static bool syscall_applies(const struct scmpd_profile_syscall *s, const struct target *x)
{
        const struct scmpd_profile_target *t = x->t;

        if (s->excludes.n_arches > 0 && strv_contains((const char *const *)s->excludes.arches,
                                                      s->excludes.n_arches, x->host_go))
                return false;
        for (size_t i = 0; i < s->excludes.n_caps; i++)
                if (strv_contains(t->caps, t->n_caps, s->excludes.caps[i]))
                        return false;
        if (s->excludes.has_min_kernel && kernel_at_least(x, &s->excludes))
                return false;
        if (s->includes.n_arches > 0 && !strv_contains((const char *const *)s->includes.arches,
                                                       s->includes.n_arches, x->host_go))
                return false;
        for (size_t i = 0; i < s->includes.n_caps; i++)
                if (!strv_contains(t->caps, t->n_caps, s->includes.caps[i]))
                        return false;
        if (s->includes.has_min_kernel && !kernel_at_least(x, &s->includes))
                return false;
        return true;
}

_public_ int scmpd_profile_syscall_applies(const struct scmpd_profile *p, size_t index,
                                           const struct scmpd_profile_target *target)
{
        struct target x;
        int r;

        if (!p || index >= p->n_syscalls)
                return -EINVAL;
        r = target_resolve(target, &x);
        if (r < 0)
                return r;
        return syscall_applies(&p->syscalls[index], &x);
}

static size_t arches_add(uint32_t *out, size_t max, size_t n, uint32_t token)
{
        for (size_t i = 0; i < n && i < max; i++)
                if (out[i] == token)
                        return n;
        if (n < max)
                out[n] = token;
        return n + 1;
}

static size_t collect_arches(const struct scmpd_profile *p, const struct target *x, uint32_t *out,
                             size_t max)
{
        size_t n = arches_add(out, max, 0, x->host);

        for (size_t i = 0; i < p->n_arches; i++)
                n = arches_add(out, max, n, p->arches[i]);
        for (size_t i = 0; i < p->n_arch_map; i++) {
                if (p->arch_map[i].arch != x->host)
                        continue;
                for (size_t j = 0; j < p->arch_map[i].n_sub_arches; j++)
                        n = arches_add(out, max, n, p->arch_map[i].sub_arches[j]);
                break;
        }
        for (size_t i = 0; i < x->t->n_extra_arches; i++)
                n = arches_add(out, max, n, x->t->extra_arches[i]);
        return n;
}

_public_ int scmpd_profile_arches(const struct scmpd_profile *p,
                                  const struct scmpd_profile_target *target, uint32_t *ret_arches,
                                  size_t max)
{
        struct target x;
        int r;

        if (!p || (!ret_arches && max > 0))
                return -EINVAL;
        r = target_resolve(target, &x);
        if (r < 0)
                return r;
        size_t n = collect_arches(p, &x, ret_arches, max);
        return n > INT32_MAX ? -E2BIG : (int)n;
}

_printf_(3, 4) static int compile_fail(char **ret_error, int rc, const char *fmt, ...)
{
        va_list ap;

        if (ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return rc;
}

static bool args_repeat_index(const struct scmpd_profile_syscall *s)
{
        unsigned seen = 0;
        for (size_t i = 0; i < s->n_args; i++) {
                if (seen & (1U << s->args[i].index))
                        return true;
                seen |= 1U << s->args[i].index;
        }
        return false;
}

static void arg_to_cmp(const struct scmpd_profile_arg *a, struct scmpd_arg_cmp *c)
{
        *c = (struct scmpd_arg_cmp){
                .arg = a->index,
                .op = a->op,
                .datum_a = a->value,
                .datum_b = a->value_two,
        };
}

_public_ int scmpd_profile_compile(const struct scmpd_profile *p,
                                   const struct scmpd_profile_target *target,
                                   scmpd_profile_warn_fn warn, void *userdata,
                                   struct scmpd_filter **ret, char **ret_error)
{
        _cleanup_(scmpd_filter_freep) struct scmpd_filter *f = NULL;
        uint32_t arches[SCMPD_PROFILE_MAX_LIST * 2 + 2];
        const struct scmpd_arch *native = scmpd_arch_native();
        struct target x;
        size_t n_rules = 0;
        int r;

        if (!p || !ret)
                return -EINVAL;
        r = target_resolve(target, &x);
        if (r == -EINVAL && target && target->n_caps > 0 && !target->caps)
                return compile_fail(ret_error, r, "target: n_caps without caps");
        if (r == -EINVAL && target && target->n_extra_arches > 0 && !target->extra_arches)
                return compile_fail(ret_error, r, "target: n_extra_arches without extra_arches");
        if (r == -EINVAL && target && target->arch && !scmpd_arch_by_token(target->arch))
                return compile_fail(ret_error, r, "target: unknown architecture 0x%08" PRIx32,
                                    target->arch);
        if (r == -EINVAL)
                return compile_fail(ret_error, r, "target: unknown extra architecture");
        if (r < 0)
                return compile_fail(ret_error, r, "target: cannot read the kernel version");
        if (x.t->n_extra_arches > SCMPD_PROFILE_MAX_LIST)
                return compile_fail(ret_error, -E2BIG, "target: too many extra arches");

        /* runc checks NOTIFY on write over the whole (already filtered) list first. */
        for (size_t i = 0; i < p->n_syscalls; i++) {
                const struct scmpd_profile_syscall *s = &p->syscalls[i];
                if (!syscall_applies(s, &x))
                        continue;
                n_rules += s->n_names;
                if (s->action != SCMPD_ACT_NOTIFY)
                        continue;
                for (size_t j = 0; j < s->n_names; j++)
                        if (strcmp(s->names[j], "write") == 0)
                                return compile_fail(ret_error, -EINVAL,
                                                    "syscalls[%zu].names[%zu]: SCMP_ACT_NOTIFY "
                                                    "cannot be used for the write syscall",
                                                    i, j);
        }

        r = scmpd_filter_new(p->default_action, &f);
        if (r < 0)
                return compile_fail(ret_error, r, "defaultAction: cannot create a filter: %s",
                                    strerror(-r));

        /* The native arch goes first when the target does not want it: all arches of a filter
         * share one byte order, so a big-endian host cannot join a little-endian native one. */
        size_t n_arches = collect_arches(p, &x, arches, ELEMENTSOF(arches));
        bool native_wanted = false;
        for (size_t i = 0; i < n_arches; i++)
                native_wanted = native_wanted || arches[i] == native->token;
        if (!native_wanted) {
                r = scmpd_filter_arch_remove(f, native->token);
                if (r < 0)
                        return compile_fail(ret_error, r,
                                            "cannot remove the native architecture: %s",
                                            strerror(-r));
        }
        for (size_t i = 0; i < n_arches; i++) {
                r = scmpd_filter_arch_add(f, arches[i]);
                if (r < 0 && r != -EEXIST)
                        return compile_fail(ret_error, r, "cannot add architecture %s: %s",
                                            scmpd_arch_by_token(arches[i])
                                                    ? scmpd_arch_by_token(arches[i])->name
                                                    : "(unknown)",
                                            r == -EDOM ? "its byte order differs from the "
                                                         "other architectures'"
                                                       : strerror(-r));
        }

        /* Attributes as runc sets them: no_new_privs is the runtime's business, not the
         * filter's; LOG and SPEC_ALLOW from flags (SPEC_ALLOW by default); the binary tree
         * above 32 rules. */
        r = scmpd_filter_attr_set(f, SCMPD_ATTR_NO_NEW_PRIVS, 0);
        if (r >= 0 && (p->flags & SCMPD_PROFILE_FLAG_LOG))
                r = scmpd_filter_attr_set(f, SCMPD_ATTR_LOG, 1);
        if (r >= 0 && (!p->has_flags || (p->flags & SCMPD_PROFILE_FLAG_SPEC_ALLOW)))
                r = scmpd_filter_attr_set(f, SCMPD_ATTR_SSB, 1);
        if (r >= 0 && n_rules > 32)
                r = scmpd_filter_attr_set(f, SCMPD_ATTR_OPTIMIZE, 2);
        if (r < 0)
                return compile_fail(ret_error, r, "cannot set filter attributes: %s", strerror(-r));

        for (size_t i = 0; i < p->n_syscalls; i++) {
                const struct scmpd_profile_syscall *s = &p->syscalls[i];
                struct scmpd_arg_cmp cmps[SCMPD_PROFILE_MAX_ARGS];

                if (!syscall_applies(s, &x))
                        continue;
                /* Redundant with the default: libseccomp would refuse it, runc skips it. */
                if (s->action == p->default_action)
                        continue;
                for (size_t k = 0; k < s->n_args; k++)
                        arg_to_cmp(&s->args[k], &cmps[k]);
                bool split = args_repeat_index(s);

                for (size_t j = 0; j < s->n_names; j++) {
                        int nr = scmpd_syscall_nr(native, s->names[j]);
                        if (nr == SCMPD_NR_NONE) {
                                if (warn) {
                                        char msg[SCMPD_PROFILE_MAX_STRING + 128];
                                        snprintf(msg, sizeof(msg),
                                                 "syscalls[%zu].names[%zu]: unknown syscall "
                                                 "\"%.64s\" skipped",
                                                 i, j, s->names[j]);
                                        warn(msg, userdata);
                                }
                                continue;
                        }
                        if (s->n_args == 0) {
                                r = scmpd_filter_rule_add(f, s->action, nr, 0, 0, NULL);
                        } else if (split) {
                                /* runc: a repeated argument index makes every comparison a
                                 * rule of its own, so they are OR'd instead of AND'ed. */
                                r = 0;
                                for (size_t k = 0; k < s->n_args && r >= 0; k++)
                                        r = scmpd_filter_rule_add(f, s->action, nr, 0, 1, &cmps[k]);
                        } else {
                                r = scmpd_filter_rule_add(f, s->action, nr, 0, s->n_args, cmps);
                        }
                        if (r < 0) {
                                const char *why = scmpd_filter_error(f);
                                return compile_fail(ret_error, r,
                                                    "syscalls[%zu].names[%zu]: cannot add a rule "
                                                    "for \"%.64s\": %s",
                                                    i, j, s->names[j], why ? why : strerror(-r));
                        }
                }
        }

        *ret = steal_ptr(&f);
        return 0;
}

/*
 * runc's -ENOSYS stub, in our own construction. Layout:
 *
 *      ld arch; jeq T1 -> S1; jeq T2 -> S2; ...; ja FILTER
 *   S: ld nr; [s390: jeq 0 -> ENOSYS]; [x86_64: jset x32-bit -> ...]; jgt MAX -> ENOSYS; ja FILTER
 *      ENOSYS: ret ERRNO(ENOSYS)
 *      FILTER: (the filter's program follows)
 *
 * Targets are symbolic while the stub is built and resolved once its length is known.
 */
enum stub_target {
        STUB_NEXT = -1, /* the following instruction */
        STUB_ENOSYS = -2,
        STUB_FILTER = -3,
};

struct stub_insn {
        uint16_t code;
        uint32_t k;
        int jt, jf; /* instruction index, or an enum stub_target */
};

struct stub {
        struct stub_insn insns[256];
        size_t len;
        bool overflow;
};

static size_t stub_emit(struct stub *s, uint16_t code, uint32_t k, int jt, int jf)
{
        if (s->len >= ELEMENTSOF(s->insns)) {
                s->overflow = true;
                return s->len;
        }
        s->insns[s->len] = (struct stub_insn){ .code = code, .k = k, .jt = jt, .jf = jf };
        return s->len++;
}

struct stub_arch {
        uint32_t token; /* what seccomp_data.arch holds */
        bool s390;
        bool has_main, has_x32; /* on x86_64: the x86_64 and x32 bounds */
        int max_main, max_x32;
};

/* The largest number the applicable entries name on `a`, as libseccomp's resolver gives them:
 * names the arch lacks, or multiplexes through socketcall/ipc, do not count. 0: none. */
static int stub_max_nr(const struct scmpd_profile *p, const struct target *x,
                       const struct scmpd_arch *a)
{
        int max = 0;

        for (size_t i = 0; i < p->n_syscalls; i++) {
                const struct scmpd_profile_syscall *s = &p->syscalls[i];
                if (!syscall_applies(s, x))
                        continue;
                for (size_t j = 0; j < s->n_names; j++) {
                        enum scmpd_mux mux;
                        uint32_t call;
                        int nr = scmpd_syscall_nr(a, s->names[j]);
                        if (nr <= max || scmpd_syscall_mux(a, nr, &mux, &call) == 1)
                                continue;
                        max = nr;
                }
        }
        return max;
}

_public_ int scmpd_profile_enosys_stub(const struct scmpd_profile *p,
                                       const struct scmpd_profile_target *target, void **ret_insns,
                                       size_t *ret_len)
{
        const struct scmpd_arch *x86_64 = scmpd_arch_by_name("x86_64");
        const struct scmpd_arch *x32 = scmpd_arch_by_name("x32");
        struct stub_arch archs[SCMPD_PROFILE_MAX_LIST];
        size_t n_archs = 0;
        struct target x;
        int r;

        if (!p || !ret_insns || !ret_len)
                return -EINVAL;
        r = target_resolve(target, &x);
        if (r < 0)
                return r;
        *ret_insns = NULL;
        *ret_len = 0;

        /* runc leaves permissive defaults alone: a tracer or a log should see new syscalls. */
        uint32_t def = p->default_action & 0xffff0000U;
        if (def == SCMPD_ACT_ALLOW || def == SCMPD_ACT_LOG || def == SCMPD_ACT_TRACE(0))
                return 0;

        /* The arches runc is told about: `architectures`, or the host's archMap entry. */
        const uint32_t *listed = p->arches;
        size_t n_listed = p->n_arches;
        uint32_t from_map[SCMPD_PROFILE_MAX_LIST + 1];
        if (n_listed == 0) {
                for (size_t i = 0; i < p->n_arch_map; i++) {
                        if (p->arch_map[i].arch != x.host)
                                continue;
                        from_map[n_listed++] = p->arch_map[i].arch;
                        for (size_t j = 0;
                             j < p->arch_map[i].n_sub_arches && n_listed < ELEMENTSOF(from_map);
                             j++)
                                from_map[n_listed++] = p->arch_map[i].sub_arches[j];
                        break;
                }
                listed = from_map;
        }

        for (size_t i = 0; i < n_listed; i++) {
                const struct scmpd_arch *a = scmpd_arch_by_token(listed[i]);
                if (!a)
                        continue;
                bool is_x32 = x32 && a == x32;
                uint32_t token = is_x32 && x86_64 ? x86_64->token : a->token;
                int max = stub_max_nr(p, &x, a);
                if (max <= 0)
                        continue;
                struct stub_arch *sa = NULL;
                for (size_t k = 0; k < n_archs; k++)
                        if (archs[k].token == token)
                                sa = &archs[k];
                if (!sa) {
                        if (n_archs >= ELEMENTSOF(archs))
                                return -E2BIG;
                        sa = &archs[n_archs++];
                        *sa = (struct stub_arch){
                                .token = token,
                                .s390 = strcmp(a->name, "s390") == 0 ||
                                        strcmp(a->name, "s390x") == 0,
                        };
                }
                if (is_x32) {
                        sa->has_x32 = true;
                        sa->max_x32 = max;
                } else {
                        sa->has_main = true;
                        sa->max_main = max;
                }
        }
        if (n_archs == 0)
                return 0;

        struct stub *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        size_t dispatch[ELEMENTSOF(archs)];
        stub_emit(s, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), STUB_NEXT,
                  STUB_NEXT);
        for (size_t i = 0; i < n_archs; i++)
                dispatch[i] = stub_emit(s, BPF_JMP | BPF_JEQ | BPF_K, archs[i].token, 0, STUB_NEXT);
        stub_emit(s, BPF_JMP | BPF_JA, 0, STUB_FILTER, STUB_FILTER);
        for (size_t i = 0; i < n_archs; i++) {
                const struct stub_arch *sa = &archs[i];
                bool on_x86_64 = x86_64 && sa->token == x86_64->token;

                s->insns[dispatch[i]].jt =
                        (int)stub_emit(s, BPF_LD | BPF_W | BPF_ABS,
                                       offsetof(struct seccomp_data, nr), STUB_NEXT, STUB_NEXT);
                if (sa->s390)
                        stub_emit(s, BPF_JMP | BPF_JEQ | BPF_K, 0, STUB_ENOSYS, STUB_NEXT);
                if (on_x86_64 && sa->has_main && sa->has_x32) {
                        size_t jset = stub_emit(s, BPF_JMP | BPF_JSET | BPF_K,
                                                SCMPD_X32_SYSCALL_BIT, 0, STUB_NEXT);
                        stub_emit(s, BPF_JMP | BPF_JGT | BPF_K, (uint32_t)sa->max_main, STUB_ENOSYS,
                                  STUB_FILTER);
                        s->insns[jset].jt =
                                (int)stub_emit(s, BPF_JMP | BPF_JGT | BPF_K, (uint32_t)sa->max_x32,
                                               STUB_ENOSYS, STUB_FILTER);
                        continue;
                }
                if (on_x86_64)
                        /* One mode only: the other mode's numbers go straight to the filter. */
                        stub_emit(s, BPF_JMP | BPF_JSET | BPF_K, SCMPD_X32_SYSCALL_BIT,
                                  sa->has_x32 ? STUB_NEXT : STUB_FILTER,
                                  sa->has_x32 ? STUB_FILTER : STUB_NEXT);
                stub_emit(s, BPF_JMP | BPF_JGT | BPF_K,
                          (uint32_t)(sa->has_x32 ? sa->max_x32 : sa->max_main), STUB_ENOSYS,
                          STUB_FILTER);
        }
        size_t enosys = stub_emit(s, BPF_RET | BPF_K, SCMPD_ACT_ERRNO(ENOSYS), 0, 0);
        size_t filter_start = s->len;
        if (s->overflow) {
                free(s);
                return -E2BIG;
        }

        struct sock_filter *out = calloc(s->len, sizeof(*out));
        if (!out) {
                free(s);
                return -ENOMEM;
        }
        for (size_t i = 0; i < s->len; i++) {
                const struct stub_insn *in = &s->insns[i];
                size_t t[2];
                int sym[2] = { in->jt, in->jf };

                out[i].code = in->code;
                out[i].k = in->k;
                if (BPF_CLASS(in->code) != BPF_JMP)
                        continue;
                for (int b = 0; b < 2; b++)
                        t[b] = sym[b] == STUB_NEXT     ? i + 1
                               : sym[b] == STUB_ENOSYS ? enosys
                               : sym[b] == STUB_FILTER ? filter_start
                                                       : (size_t)sym[b];
                if (BPF_OP(in->code) == BPF_JA) {
                        out[i].k = (uint32_t)(t[0] - i - 1);
                        continue;
                }
                if (t[0] <= i || t[1] <= i || t[0] - i - 1 > 255 || t[1] - i - 1 > 255) {
                        free(out);
                        free(s);
                        return -E2BIG;
                }
                out[i].jt = (uint8_t)(t[0] - i - 1);
                out[i].jf = (uint8_t)(t[1] - i - 1);
        }
        *ret_len = s->len;
        *ret_insns = out;
        free(s);
        return 0;
}

_public_ int scmpd_profile_program(const struct scmpd_profile *p,
                                   const struct scmpd_profile_target *target,
                                   struct scmpd_filter *f, void **ret_insns, size_t *ret_len)
{
        _cleanup_free_ struct sock_filter *filter = NULL, *stub = NULL;
        void *filter_mem = NULL, *stub_mem = NULL;
        size_t filter_len = 0, stub_len = 0;
        int r;

        if (!p || !f || !ret_insns || !ret_len)
                return -EINVAL;
        r = scmpd_filter_export_bpf_mem(f, &filter_mem, &filter_len);
        if (r < 0)
                return r;
        filter = filter_mem;
        r = scmpd_profile_enosys_stub(p, target, &stub_mem, &stub_len);
        if (r < 0)
                return r;
        stub = stub_mem;
        if (stub_len + filter_len > BPF_MAXINSNS)
                return -E2BIG;
        struct sock_filter *prog = calloc(stub_len + filter_len, sizeof(*prog));
        if (!prog)
                return -ENOMEM;
        if (stub_len > 0)
                memcpy(prog, stub, stub_len * sizeof(*prog));
        memcpy(prog + stub_len, filter, filter_len * sizeof(*prog));
        *ret_insns = prog;
        *ret_len = stub_len + filter_len;
        return 0;
}
