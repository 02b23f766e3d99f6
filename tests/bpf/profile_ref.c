/*
 * Reference profile compilation on libseccomp (see profile_ref.h).
 *
 * moby (profiles/seccomp): an entry is dropped when the host arch is in excludes.arches, when
 * any excludes.caps is in the bounding set, or when the kernel is at least excludes.minKernel;
 * it is kept only when the host arch is in includes.arches (if any), every includes.caps is in
 * the set, and the kernel is at least includes.minKernel. archMap contributes the entry whose
 * architecture is the host's: that arch and its subArchitectures.
 * runc (libcontainer/seccomp): filter = seccomp_init(default), arches added, no_new_privs off,
 * binary tree above 32 rules; per name: skip when the action equals the default, skip names
 * libseccomp cannot resolve, and add one rule with all comparisons unless an argument index
 * repeats, in which case one single-comparison rule per comparison.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <seccomp.h>

#include "profile_ref.h"

static bool in_list(char **list, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(list[i], s) == 0)
                        return true;
        return false;
}

static bool has_cap(const struct profile_ref_target *t, const char *cap)
{
        for (size_t i = 0; i < t->n_caps; i++)
                if (strcmp(t->caps[i], cap) == 0)
                        return true;
        return false;
}

static bool kernel_ge(const struct profile_ref_target *t, unsigned major, unsigned minor)
{
        return t->kernel_major > major || (t->kernel_major == major && t->kernel_minor >= minor);
}

static bool entry_kept(const struct scmpd_profile_syscall *s, const struct profile_ref_target *t)
{
        if (s->excludes.n_arches && in_list(s->excludes.arches, s->excludes.n_arches, t->host_go))
                return false;
        for (size_t i = 0; i < s->excludes.n_caps; i++)
                if (has_cap(t, s->excludes.caps[i]))
                        return false;
        if (s->excludes.has_min_kernel &&
            kernel_ge(t, s->excludes.min_kernel_major, s->excludes.min_kernel_minor))
                return false;
        if (s->includes.n_arches && !in_list(s->includes.arches, s->includes.n_arches, t->host_go))
                return false;
        for (size_t i = 0; i < s->includes.n_caps; i++)
                if (!has_cap(t, s->includes.caps[i]))
                        return false;
        if (s->includes.has_min_kernel &&
            !kernel_ge(t, s->includes.min_kernel_major, s->includes.min_kernel_minor))
                return false;
        return true;
}

static int add_arch(scmp_filter_ctx ctx, uint32_t token)
{
        int r = seccomp_arch_add(ctx, token);
        return r == -EEXIST ? 0 : r;
}

int profile_ref_build(const struct scmpd_profile *p, const struct profile_ref_target *t,
                      struct sock_filter **ret_prog, size_t *ret_len, const char **ret_what)
{
        scmp_filter_ctx ctx = NULL;
        size_t n_rules = 0;
        int r, fd = -1;

        /* libseccomp 2.5.4 byte-swaps a big-endian filter's program only in part (seen with
         * Docker's profile on s390x: some RET values stay in host order), so its output cannot
         * serve as a reference there. */
        *ret_what = "big-endian host";
        if (!(t->host & 0x40000000U /* __AUDIT_ARCH_LE */))
                return -EOPNOTSUPP;

        *ret_what = "seccomp_init";
        ctx = seccomp_init(p->default_action);
        if (!ctx)
                return -EINVAL;

        *ret_what = "seccomp_arch_add";
        /* As a runtime on that host would: its own native arch, not ours. libseccomp wants one
         * byte order per filter, so ours goes before the host's comes in. */
        if (seccomp_arch_native() != t->host) {
                r = seccomp_arch_remove(ctx, seccomp_arch_native());
                if (r < 0)
                        goto out;
                r = seccomp_arch_add(ctx, t->host);
                if (r < 0)
                        goto out;
        }
        for (size_t i = 0; i < p->n_arches; i++) {
                r = add_arch(ctx, p->arches[i]);
                if (r < 0)
                        goto out;
        }
        for (size_t i = 0; i < p->n_arch_map; i++) {
                if (p->arch_map[i].arch != t->host)
                        continue;
                for (size_t j = 0; j < p->arch_map[i].n_sub_arches; j++) {
                        r = add_arch(ctx, p->arch_map[i].sub_arches[j]);
                        if (r < 0)
                                goto out;
                }
                break;
        }

        *ret_what = "seccomp_attr_set";
        for (size_t i = 0; i < p->n_syscalls; i++)
                if (entry_kept(&p->syscalls[i], t))
                        n_rules += p->syscalls[i].n_names;
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r >= 0 && t->optimize > 0)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, t->optimize);
        else if (r >= 0 && n_rules > 32)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        if (r < 0)
                goto out;

        *ret_what = "seccomp_rule_add_array";
        for (size_t i = 0; i < p->n_syscalls; i++) {
                const struct scmpd_profile_syscall *s = &p->syscalls[i];
                struct scmp_arg_cmp cmps[SCMPD_PROFILE_MAX_ARGS];
                unsigned per_index[6] = { 0 };
                bool repeated = false;

                if (!entry_kept(s, t) || s->action == p->default_action)
                        continue;
                for (size_t k = 0; k < s->n_args; k++) {
                        cmps[k] = (struct scmp_arg_cmp){
                                .arg = s->args[k].index,
                                .op = (enum scmp_compare)s->args[k].op,
                                .datum_a = s->args[k].value,
                                .datum_b = s->args[k].value_two,
                        };
                        if (++per_index[s->args[k].index] > 1)
                                repeated = true;
                }
                for (size_t j = 0; j < s->n_names; j++) {
                        int nr = seccomp_syscall_resolve_name(s->names[j]);
                        if (nr == __NR_SCMP_ERROR)
                                continue;
                        if (!repeated) {
                                r = seccomp_rule_add_array(ctx, s->action, nr, (unsigned)s->n_args,
                                                           cmps);
                                if (r < 0)
                                        goto out;
                                continue;
                        }
                        for (size_t k = 0; k < s->n_args; k++) {
                                r = seccomp_rule_add_array(ctx, s->action, nr, 1, &cmps[k]);
                                if (r < 0)
                                        goto out;
                        }
                }
        }

        *ret_what = "seccomp_export_bpf";
        fd = memfd_create("profile-ref", MFD_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                goto out;
        }
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                goto out;
        off_t size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0) {
                r = -EIO;
                goto out;
        }
        struct sock_filter *prog = malloc((size_t)size);
        if (!prog) {
                r = -ENOMEM;
                goto out;
        }
        if (pread(fd, prog, (size_t)size, 0) != size) {
                free(prog);
                r = -EIO;
                goto out;
        }
        *ret_prog = prog;
        *ret_len = (size_t)size / sizeof(struct sock_filter);
        r = 0;
out:
        if (fd >= 0)
                close(fd);
        seccomp_release(ctx);
        return r;
}
