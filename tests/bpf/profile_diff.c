/*
 * Differential test of profile compilation: for one profile and one target, our filter
 * (scmpd_profile_compile) and the one libseccomp builds with runc's semantics (profile_ref.c)
 * must decide every call alike. Both programs run in our simulator on every syscall number of
 * every arch in the filter (plus numbers beyond the tables and a foreign arch), each with
 * boundary and random arguments.
 *
 * Usage: profile-diff PROFILE HOST_ARCH KERNEL CAPS|- [SEED]
 *   HOST_ARCH is a libseccomp arch name, KERNEL is X.Y, CAPS is a comma-separated list.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile_ref.h"
#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "scmpd/filter.h"
#include "scmpd/profile.h"

#define MAX_CAPS 64
#define ELEMENTS(x) (sizeof(x) / sizeof((x)[0]))
#define RANDOM_VECTORS 24

static uint64_t rng_state;

/* splitmix64: a fixed, seedable sequence, so that a failure can be replayed. */
static uint64_t rng_next(void)
{
        uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static const uint64_t boundaries[] = {
        0,
        1,
        2,
        8,
        40,
        0x20000,
        0x20008,
        0x7e020000,
        0x7fffffff,
        0x80000000,
        0xfffffffe,
        0xffffffff,
        0x100000000ULL,
        0x1ffffffffULL,
        0x7fffffffffffffffULL,
        0x8000000000000000ULL,
        0xffffffff00000000ULL,
        0xfffffffffffffffeULL,
        0xffffffffffffffffULL,
};

/* Values the profile itself compares with, and their neighbours. */
static uint64_t profile_values[4096];
static size_t n_profile_values;

static void collect_profile_values(const struct scmpd_profile *p)
{
        for (size_t i = 0; i < p->n_syscalls; i++)
                for (size_t k = 0; k < p->syscalls[i].n_args; k++) {
                        const struct scmpd_profile_arg *a = &p->syscalls[i].args[k];
                        uint64_t v[] = { a->value,
                                         a->value - 1,
                                         a->value + 1,
                                         a->value_two,
                                         a->value_two | ~a->value,
                                         a->value & 0xffffffffU };
                        for (size_t j = 0; j < ELEMENTS(v); j++)
                                if (n_profile_values < ELEMENTS(profile_values))
                                        profile_values[n_profile_values++] = v[j];
                }
}

static uint64_t pick_value(bool word32)
{
        uint64_t v;
        switch (rng_next() % 4) {
        case 0:
                v = boundaries[rng_next() % ELEMENTS(boundaries)];
                break;
        case 1:
                v = n_profile_values ? profile_values[rng_next() % n_profile_values] : rng_next();
                break;
        case 2:
                v = rng_next() & 0xffffffffU;
                break;
        default:
                v = rng_next();
                break;
        }
        return word32 ? (v & 0xffffffffU) : v;
}

static const char *nr_name(const char *arch_name, int nr)
{
        const struct scmpd_arch *a = scmpd_arch_by_name(arch_name);
        const char *name = a ? scmpd_syscall_name(a, nr) : NULL;
        return name ? name : "?";
}

struct counts {
        unsigned long long runs, mismatches;
};

static int compare_one(const struct sock_filter *ours, size_t ours_len,
                       const struct sock_filter *ref, size_t ref_len, const struct seccomp_data *d,
                       const char *arch_name, struct counts *c)
{
        uint32_t a_ours, a_ref;
        unsigned e;
        int r;

        r = scmpd_bpf_run(ours, ours_len, d, &a_ours, &e);
        if (r < 0) {
                fprintf(stderr, "our program does not run: %d\n", r);
                return r;
        }
        r = scmpd_bpf_run(ref, ref_len, d, &a_ref, &e);
        if (r < 0) {
                fprintf(stderr, "libseccomp's program does not run: %d\n", r);
                return r;
        }
        c->runs++;
        if (a_ours != a_ref) {
                if (c->mismatches < 20)
                        fprintf(stderr,
                                "MISMATCH %s arch=0x%08" PRIx32 " nr=%d (%s) args=[%#" PRIx64
                                " %#" PRIx64 " %#" PRIx64 " %#" PRIx64 " %#" PRIx64 " %#" PRIx64
                                "]: ours 0x%08" PRIx32 ", libseccomp 0x%08" PRIx32 "\n",
                                arch_name, d->arch, d->nr, nr_name(arch_name, d->nr),
                                (uint64_t)d->args[0], (uint64_t)d->args[1], (uint64_t)d->args[2],
                                (uint64_t)d->args[3], (uint64_t)d->args[4], (uint64_t)d->args[5],
                                a_ours, a_ref);
                c->mismatches++;
        }
        return 0;
}

static int compare_nr(const struct sock_filter *ours, size_t ours_len,
                      const struct sock_filter *ref, size_t ref_len, uint32_t data_arch,
                      bool word32, int nr, const char *arch_name, struct counts *c)
{
        struct seccomp_data d = { .nr = nr, .arch = data_arch };
        int r;

        /* All-zero arguments, each boundary in every argument, then random vectors. */
        r = compare_one(ours, ours_len, ref, ref_len, &d, arch_name, c);
        for (size_t b = 0; r >= 0 && b < ELEMENTS(boundaries); b++) {
                for (int k = 0; k < 6; k++)
                        d.args[k] = word32 ? (boundaries[b] & 0xffffffffU) : boundaries[b];
                r = compare_one(ours, ours_len, ref, ref_len, &d, arch_name, c);
        }
        for (size_t v = 0; r >= 0 && v < n_profile_values; v++) {
                for (int k = 0; k < 6; k++)
                        d.args[k] = word32 ? (profile_values[v] & 0xffffffffU) : profile_values[v];
                r = compare_one(ours, ours_len, ref, ref_len, &d, arch_name, c);
        }
        for (int v = 0; r >= 0 && v < RANDOM_VECTORS; v++) {
                for (int k = 0; k < 6; k++)
                        d.args[k] = pick_value(word32);
                r = compare_one(ours, ours_len, ref, ref_len, &d, arch_name, c);
        }
        return r;
}

/* The value the kernel puts in seccomp_data.arch for tasks of this arch (x32 reports
 * x86_64 and marks its numbers instead). */
static uint32_t data_arch(const struct scmpd_arch *a)
{
        if (strcmp(a->name, "x32") == 0)
                return scmpd_arch_by_name("x86_64")->token;
        return a->token;
}

int main(int argc, char **argv)
{
        struct scmpd_profile *p = NULL;
        struct scmpd_filter *f = NULL;
        struct sock_filter *ours = NULL, *ref = NULL;
        size_t ours_len = 0, ref_len = 0;
        char *error = NULL, *caps_buf = NULL;
        const char *caps[MAX_CAPS];
        size_t n_caps = 0;
        unsigned major, minor;
        struct counts c = { 0 };
        uint32_t arches[64];
        int ret = 1, r;

        if (argc < 5 || argc > 6) {
                fprintf(stderr, "usage: %s PROFILE HOST_ARCH KERNEL CAPS|- [SEED]\n", argv[0]);
                return 2;
        }
        const struct scmpd_arch *host = scmpd_arch_by_name(argv[2]);
        if (!host || sscanf(argv[3], "%u.%u", &major, &minor) != 2) {
                fprintf(stderr, "bad arch or kernel version\n");
                return 2;
        }
        if (strcmp(argv[4], "-") != 0) {
                caps_buf = strdup(argv[4]);
                for (char *s = strtok(caps_buf, ","); s && n_caps < MAX_CAPS; s = strtok(NULL, ","))
                        caps[n_caps++] = s;
        }
        rng_state = argc == 6 ? strtoull(argv[5], NULL, 0) : 0x5ecc0deULL;
        printf("profile-diff: %s host=%s kernel=%u.%u caps=%s seed=%#" PRIx64 "\n", argv[1],
               host->name, major, minor, argv[4], rng_state);

        r = scmpd_profile_parse_file(argv[1], NULL, NULL, &p, &error);
        if (r < 0) {
                fprintf(stderr, "parse: %s\n", error ? error : strerror(-r));
                goto out;
        }
        struct scmpd_profile_target target = {
                .arch = host->token,
                .caps = caps,
                .n_caps = n_caps,
                .kernel_major = major,
                .kernel_minor = minor,
        };
        r = scmpd_profile_compile(p, &target, NULL, NULL, &f, &error);
        if (r < 0) {
                fprintf(stderr, "compile: %s\n", error ? error : strerror(-r));
                goto out;
        }
        void *mem = NULL;
        r = scmpd_filter_export_bpf_mem(f, &mem, &ours_len);
        if (r < 0) {
                fprintf(stderr, "export: %s\n", strerror(-r));
                goto out;
        }
        ours = mem;

        struct profile_ref_target rt = {
                .host = host->token,
                .host_go = scmpd_profile_arch_go_name(host->token),
                .caps = caps,
                .n_caps = n_caps,
                .kernel_major = major,
                .kernel_minor = minor,
        };
        const char *what = NULL;
        r = profile_ref_build(p, &rt, &ref, &ref_len, &what);
        if (r < 0) {
                fprintf(stderr, "libseccomp reference: %s: %s\n", what, strerror(-r));
                goto out;
        }
        printf("programs: ours %zu instructions, libseccomp %zu\n", ours_len, ref_len);
        /* For a look at a failure: PROFILE_DIFF_DUMP=DIR writes both programs (host order). */
        const char *dump = getenv("PROFILE_DIFF_DUMP");
        if (dump) {
                char path[4096];
                snprintf(path, sizeof(path), "%s/ours.bpf", dump);
                FILE *o = fopen(path, "we");
                if (o) {
                        fwrite(ours, sizeof(*ours), ours_len, o);
                        fclose(o);
                }
                snprintf(path, sizeof(path), "%s/libseccomp.bpf", dump);
                o = fopen(path, "we");
                if (o) {
                        fwrite(ref, sizeof(*ref), ref_len, o);
                        fclose(o);
                }
        }
        collect_profile_values(p);

        r = scmpd_profile_arches(p, &target, arches, ELEMENTS(arches));
        if (r < 0 || (size_t)r > ELEMENTS(arches)) {
                fprintf(stderr, "arches: %d\n", r);
                goto out;
        }
        size_t n_arches = (size_t)r;
        for (size_t i = 0; i < n_arches; i++) {
                const struct scmpd_arch *a = scmpd_arch_by_token(arches[i]);
                bool word32 = a->word_bits == 32 && strcmp(a->name, "x32") != 0;
                unsigned long long before = c.runs;
                const char *name;
                int nr, max_nr = 0;

                for (size_t k = 0; scmpd_syscall_iter(a, k, &nr, &name); k++) {
                        r = compare_nr(ours, ours_len, ref, ref_len, data_arch(a), word32, nr,
                                       a->name, &c);
                        if (r < 0)
                                goto out;
                        if (nr > max_nr)
                                max_nr = nr;
                }
                /* Numbers past the table, the x32 bit boundary and the top of the range. */
                int extra[] = { max_nr + 1, max_nr + 2, max_nr + 100, 0x3fffffff, 0x7fffffff, -1 };
                for (size_t k = 0; k < ELEMENTS(extra); k++) {
                        r = compare_nr(ours, ours_len, ref, ref_len, data_arch(a), word32, extra[k],
                                       a->name, &c);
                        if (r < 0)
                                goto out;
                }
                printf("  %-8s %llu runs\n", a->name, c.runs - before);
        }
        /* A foreign arch takes the bad-arch action in both. */
        for (int nr = 0; nr < 8; nr++) {
                r = compare_nr(ours, ours_len, ref, ref_len, 0xc00000b7U /* aarch64 */, false, nr,
                               "foreign", &c);
                if (r < 0)
                        goto out;
        }

        printf("profile-diff: %llu decisions compared, %llu mismatches\n", c.runs, c.mismatches);
        ret = c.mismatches == 0 && c.runs > 0 ? 0 : 1;
out:
        free(ours);
        free(ref);
        scmpd_filter_free(f);
        scmpd_profile_free(p);
        free(error);
        free(caps_buf);
        return ret;
}
