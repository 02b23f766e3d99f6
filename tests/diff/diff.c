/*
 * Differential test: random rule sets built with libscmpd and with libseccomp 2.5.4 (Debian's,
 * linked into this test only), both programs run in our simulator on random and boundary
 * inputs; every return code and every decision must agree.
 *
 * A case is: a set of arches of one byte order, a default and a bad-arch action, maybe the
 * tracer-skip attribute, then 1..40 API calls (rules best-effort or exact, 0..6 comparisons of
 * every operator with boundary data, every action; priorities). Both libraries get the same
 * calls; return codes are compared call by call. Then for every arch value in the filter (and
 * one foreign value), syscall numbers (those in the rules, their neighbours, multiplexers,
 * boundaries, random) and argument vectors (each datum, datum +-1, swapped halves, random) are
 * run through both programs.
 *
 * The generator stays inside what the two libraries define the same way, documented in
 * scmpd/filter.h: in a third of the cases conditional rules of one syscall get different actions,
 * one comparison each, on one argument per action (libseccomp orders rules on one argument by
 * the shape of its internal tree); syscall numbers inside the pseudo-number range (libseccomp
 * emits comparisons against them) are not inputs; tracer skip is not combined with x86_64+x32.
 *
 * libseccomp 2.5.4's own bugs are recognised, counted and reported, never silently matched:
 * multi-arch programs whose later arch sections compare the arch value as a syscall number
 * (decisions then come from one libseccomp filter per arch value), RET constants left in host
 * order in big-endian programs, and programs that contradict libseccomp's own rules (checked
 * rule by rule with libseccomp itself; see oracle_union_bug()).
 *
 * Usage: test-diff [--iterations N] [--seed S] [--verbose] [--case CASE_SEED];
 * SCMPD_DIFF_ITERATIONS and SCMPD_DIFF_SEED do the same. The default (CI) run is a fixed seed.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "scmpd/filter.h"

#define _unused_ __attribute__((unused))

static uint64_t rng_state;

static uint64_t rnd(void)
{
        /* splitmix64: reproducible from the seed alone. */
        uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

static unsigned rn(unsigned n)
{
        return n ? (unsigned)(rnd() % n) : 0;
}

static bool verbose;

/* Arch sets: each of one byte order (both libraries refuse mixing). */
static const char *const arch_sets[][4] = {
        { "x86_64" },
        { "x86_64", "x86" },
        { "x86_64", "x32" },
        { "x86_64", "x86", "x32" },
        { "x86" },
        { "x32" },
        { "aarch64" },
        { "arm" },
        { "aarch64", "arm" },
        { "riscv64" },
        { "s390x" },
        { "s390" },
        { "s390x", "s390" },
        { "ppc64le" },
        { "ppc64" },
        { "ppc" },
        { "mips" },
        { "mipsel64" },
        { "mips64n32" }, /* loongarch64, m68k, sh: not in libseccomp 2.5.4 */
        { "x86_64", "aarch64", "x86" },
};

/* Syscalls named as the native arch names them (x86_64): some everyone has, some multiplexed
 * on x86/s390/ppc, some missing on some arches. */
static const char *const syscall_pool[] = {
        "read",   "write",      "close",   "openat", "mmap",    "ioctl",       "getpid",
        "socket", "connect",    "accept4", "accept", "sendmsg", "recvfrom",    "bind",
        "semop",  "shmget",     "msgget",  "semctl", "open",    "arch_prctl",  "ioperm",
        "fork",   "time",       "clone",   "kill",   "prctl",   "personality", "getrandom",
        "futex",  "socketpair", "listen",  "shmat",  "execve",  "exit_group",
};

static uint32_t random_action(void)
{
        switch (rn(9)) {
        case 0:
                return SCMP_ACT_KILL_PROCESS;
        case 1:
                return SCMP_ACT_KILL_THREAD;
        case 2:
                return SCMP_ACT_TRAP;
        case 3:
        case 4:
                return SCMP_ACT_ERRNO(rn(4) == 0 ? rn(4096) : 1 + rn(5));
        case 5:
                return SCMP_ACT_TRACE(rn(3) == 0 ? rn(65536) : rn(3));
        case 6:
                return SCMP_ACT_LOG;
        case 7:
                return SCMP_ACT_ALLOW;
        default:
                return SCMP_ACT_NOTIFY;
        }
}

static const uint64_t boundary[] = {
        0,
        1,
        2,
        3,
        0x7f,
        0xff,
        0x7fffffff,
        0x80000000,
        0xfffffffe,
        0xffffffff,
        UINT64_C(0x100000000),
        UINT64_C(0x100000001),
        UINT64_C(0x7fffffffffffffff),
        UINT64_C(0x8000000000000000),
        UINT64_C(0xfffffffffffffffe),
        UINT64_C(0xffffffffffffffff),
        UINT64_C(0xffffffff00000000),
        UINT64_C(0x00000001ffffffff),
};

static uint64_t random_datum(void)
{
        switch (rn(4)) {
        case 0:
                return rnd();
        case 1:
                return rn(16);
        default:
                return boundary[rn(sizeof(boundary) / sizeof(boundary[0]))];
        }
}

static uint64_t random_mask(void)
{
        switch (rn(5)) {
        case 0:
                return UINT64_C(1) << rn(64);
        case 1:
                return rnd();
        case 2:
                return 0xff;
        case 3:
                return UINT64_C(0xffffffff00000000) | (UINT64_C(1) << rn(32));
        default:
                return boundary[rn(sizeof(boundary) / sizeof(boundary[0]))];
        }
}

#define MAX_CALLS 40
#define MAX_DATA 256

struct call {
        enum {
                CALL_RULE,
                CALL_PRIO
        } kind;
        uint32_t action;
        int nr;
        bool exact;
        unsigned n;
        struct scmp_arg_cmp cmps[6];
        uint8_t prio;
};

struct caseinfo {
        const char *const *arches;
        size_t n_arches;
        uint32_t def, badarch;
        bool tskip;
        size_t n_calls;
        struct call calls[MAX_CALLS];
        uint64_t data[MAX_DATA]; /* interesting argument values */
        size_t n_data;
};

static void add_data(struct caseinfo *c, uint64_t v)
{
        if (c->n_data < MAX_DATA)
                c->data[c->n_data++] = v;
}

static void gen_case(struct caseinfo *c)
{
        size_t set = rn(sizeof(arch_sets) / sizeof(arch_sets[0]));
        uint32_t cond_action[sizeof(syscall_pool) / sizeof(syscall_pool[0]) + 1];
        size_t n_pool = sizeof(syscall_pool) / sizeof(syscall_pool[0]);
        /* A few syscalls per case, so that rules pile up on the same ones. */
        size_t pick[8], n_pick = 1 + rn(8);
        bool conflicts;
        uint32_t conflict_actions[6];
        size_t n_conflict_actions = 0;

        memset(c, 0, sizeof(*c));
        c->arches = arch_sets[set];
        while (c->n_arches < 4 && arch_sets[set][c->n_arches])
                c->n_arches++;
        c->def = random_action();
        c->badarch = rn(2) ? SCMP_ACT_KILL_THREAD : random_action();
        c->tskip = rn(4) == 0;
        /* With x86_64 and x32 both present, -1 belongs to both; libseccomp then evaluates only
         * one arch's rules for it (which one depends on its chain sizes), we take the union
         * (filter.h). Tracer skip is left out of that combination. */
        for (size_t i = 0; i < c->n_arches; i++)
                if (strcmp(c->arches[i], "x32") == 0)
                        for (size_t j = 0; j < c->n_arches; j++)
                                if (strcmp(c->arches[j], "x86_64") == 0)
                                        c->tskip = false;
        for (size_t i = 0; i < n_pick; i++)
                pick[i] = rn((unsigned)n_pool + (c->tskip ? 1 : 0));
        for (size_t i = 0; i <= n_pool; i++)
                do
                        cond_action[i] = random_action();
                while (cond_action[i] == c->def && rn(8) != 0);

        /* In some cases conditional rules of one syscall get different actions, so that the
         * precedence among overlapping rules is exercised. */
        conflicts = rn(3) == 0;
        c->n_calls = 1 + rn(MAX_CALLS);
        for (size_t i = 0; i < c->n_calls; i++) {
                struct call *k = &c->calls[i];
                size_t p = pick[rn((unsigned)n_pick)];
                bool used[6] = { false };

                k->nr = p == n_pool ? -1 : seccomp_syscall_resolve_name(syscall_pool[p]);
                if (rn(12) == 0) {
                        k->kind = CALL_PRIO;
                        k->prio = (uint8_t)rn(256);
                        continue;
                }
                k->kind = CALL_RULE;
                k->exact = rn(6) == 0;
                /* Overlapping rules with different actions are resolved by the shape of
                 * libseccomp's tree; filter.h documents the order for rules of one comparison,
                 * which is what conflicting cases use. */
                k->n = rn(3) == 0 ? 0 : conflicts ? 1 : 1 + rn(rn(2) ? 2 : 6);
                if (k->n == 0 || conflicts)
                        k->action = rn(3) ? cond_action[p] : random_action();
                else
                        k->action = cond_action[p];
                if (rn(10) == 0)
                        k->action = c->def; /* refused by both with -EACCES */
                for (unsigned j = 0; j < k->n; j++) {
                        unsigned arg;
                        do
                                arg = rn(6);
                        while (used[arg] && rn(20) != 0);
                        /* With conflicting actions, one argument per action: libseccomp orders
                         * rules on different arguments as filter.h says; its order among
                         * comparisons of one argument depends on how its tree shares nodes. */
                        if (conflicts) {
                                size_t a;
                                /* ... and one rule per action and syscall. */
                                for (size_t q = 0; q < i; q++)
                                        if (c->calls[q].kind == CALL_RULE &&
                                            c->calls[q].nr == k->nr && c->calls[q].n > 0 &&
                                            c->calls[q].action == k->action)
                                                k->n = 0;
                                if (k->n == 0)
                                        break;
                                for (a = 0; a < n_conflict_actions; a++)
                                        if (conflict_actions[a] == k->action)
                                                break;
                                if (a == n_conflict_actions && a < 6)
                                        conflict_actions[n_conflict_actions++] = k->action;
                                if (a >= 6)
                                        k->action = conflict_actions[0], a = 0;
                                arg = (unsigned)a;
                        }
                        used[arg] = true;
                        k->cmps[j].arg = arg;
                        k->cmps[j].op = (enum scmp_compare)(1 + rn(7));
                        if (k->cmps[j].op == SCMP_CMP_MASKED_EQ) {
                                k->cmps[j].datum_a = random_mask();
                                k->cmps[j].datum_b = rn(3) ? (random_datum() & k->cmps[j].datum_a)
                                                           : random_datum();
                        } else {
                                k->cmps[j].datum_a = random_datum();
                        }
                        add_data(c, k->cmps[j].datum_a);
                        add_data(c, k->cmps[j].datum_b);
                }
        }
}

/* ---- the two backends ---- */

struct built {
        int rc[MAX_CALLS];
        int setup_rc;
        struct sock_filter *prog;
        size_t len;
        int export_rc;
};

static int build_ours(const struct caseinfo *c, struct built *b)
{
        struct scmpd_filter *f = NULL;
        void *insns = NULL;
        size_t n = 0;
        int r;

        memset(b, 0, sizeof(*b));
        r = scmpd_filter_new(c->def, &f);
        if (r < 0)
                return b->setup_rc = r;
        r = scmpd_filter_attr_set(f, SCMPD_ATTR_BADARCH_ACTION, c->badarch);
        if (r == 0 && c->tskip)
                r = scmpd_filter_attr_set(f, SCMPD_ATTR_TSKIP, 1);
        if (r == 0)
                r = scmpd_filter_arch_remove(f, 0);
        for (size_t i = 0; r == 0 && i < c->n_arches; i++)
                r = scmpd_filter_arch_add(f, scmpd_arch_by_name(c->arches[i])->token);
        b->setup_rc = r;
        if (r < 0) {
                scmpd_filter_free(f);
                return r;
        }
        for (size_t i = 0; i < c->n_calls; i++) {
                const struct call *k = &c->calls[i];
                if (k->kind == CALL_PRIO) {
                        b->rc[i] = scmpd_filter_syscall_priority(f, k->nr, k->prio);
                } else {
                        struct scmpd_arg_cmp cmps[6];
                        for (unsigned j = 0; j < k->n; j++)
                                cmps[j] = (struct scmpd_arg_cmp){
                                        .arg = k->cmps[j].arg,
                                        .op = (enum scmpd_cmp_op)k->cmps[j].op,
                                        .datum_a = k->cmps[j].datum_a,
                                        .datum_b = k->cmps[j].datum_b,
                                };
                        b->rc[i] = scmpd_filter_rule_add(
                                f, k->action, k->nr, k->exact ? SCMPD_RULE_EXACT : 0, k->n, cmps);
                }
        }
        b->export_rc = scmpd_filter_export_bpf_mem(f, &insns, &n);
        b->prog = insns;
        b->len = n;
        scmpd_filter_free(f);
        return 0;
}

/* Build with libseccomp. `only` (NULL: every arch of the case) restricts the arches, and
 * `replay` (NULL: every call) says which calls to make. */
static unsigned oracle_optimize = 1;
static unsigned long endian_fixups; /* libseccomp RETs left in host order in a BE program */

static int build_libseccomp(const struct caseinfo *c, const char *const *only, size_t n_only,
                            const int *replay, struct built *b)
{
        scmp_filter_ctx ctx = seccomp_init(c->def);
        char *buf = NULL;
        size_t size = 0;
        FILE *mem;
        int r, fds[2];

        memset(b, 0, sizeof(*b));
        if (!ctx)
                return b->setup_rc = -EINVAL;
        r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, c->badarch);
        if (r == 0 && c->tskip)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_API_TSKIP, 1);
        if (r == 0 && oracle_optimize != 1)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, oracle_optimize);
        if (r == 0)
                r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
        if (!only) {
                only = c->arches;
                n_only = c->n_arches;
        }
        for (size_t i = 0; r == 0 && i < n_only; i++)
                r = seccomp_arch_add(ctx, scmpd_arch_by_name(only[i])->token);
        b->setup_rc = r;
        if (r < 0) {
                seccomp_release(ctx);
                return r;
        }
        for (size_t i = 0; i < c->n_calls; i++) {
                const struct call *k = &c->calls[i];
                if (replay && replay[i] != 0)
                        b->rc[i] = replay[i];
                else if (k->kind == CALL_PRIO)
                        b->rc[i] = seccomp_syscall_priority(ctx, k->nr, k->prio);
                else if (k->exact)
                        b->rc[i] =
                                seccomp_rule_add_exact_array(ctx, k->action, k->nr, k->n, k->cmps);
                else
                        b->rc[i] = seccomp_rule_add_array(ctx, k->action, k->nr, k->n, k->cmps);
        }
        /* Export through a pipe into memory. */
        if (pipe(fds) < 0) {
                seccomp_release(ctx);
                return -errno;
        }
        b->export_rc = seccomp_export_bpf(ctx, fds[1]);
        close(fds[1]);
        mem = open_memstream(&buf, &size);
        for (;;) {
                char chunk[4096];
                ssize_t n = read(fds[0], chunk, sizeof(chunk));
                if (n <= 0)
                        break;
                fwrite(chunk, 1, (size_t)n, mem);
        }
        close(fds[0]);
        fclose(mem);
        b->prog = (struct sock_filter *)buf;
        b->len = size / sizeof(struct sock_filter);
        /* libseccomp writes a big-endian filter in the target's byte order; ours is in host
         * order, which is what the simulator (and the host kernel) reads. */
        if (scmpd_arch_by_name(only[0])->big_endian)
                for (size_t i = 0; i < b->len; i++) {
                        uint32_t raw = b->prog[i].k;
                        b->prog[i].code = __builtin_bswap16(b->prog[i].code);
                        b->prog[i].k = __builtin_bswap32(raw);
                        /* libseccomp 2.5.4 forgets to convert the constant of some RETs (the
                         * bad-arch one among them): take the reading that is an action. */
                        if (b->prog[i].code == (BPF_RET | BPF_K) &&
                            !scmpd_action_valid(b->prog[i].k) && scmpd_action_valid(raw)) {
                                b->prog[i].k = raw;
                                endian_fixups++;
                        }
                }
        seccomp_release(ctx);
        return 0;
}

/*
 * libseccomp 2.5.4 sometimes shares a block between arch sections so that a section starts
 * comparing syscall numbers while the accumulator still holds the arch. Find that: track what
 * A may hold (arch, nr, anything else) along every path; a comparison of A while it may hold the
 * arch, against a constant that is not an arch value of the filter, means a broken program.
 */
static bool program_confuses_arch(const struct sock_filter *p, size_t len, const uint32_t *audits,
                                  size_t n_audits)
{
        enum {
                A_ARCH = 1,
                A_NR = 2,
                A_OTHER = 4
        };
        unsigned char *st = calloc(len + 1, 1);
        bool bad = false;

        if (!st)
                return false;
        st[0] = A_OTHER;
        for (size_t pc = 0; pc < len && !bad; pc++) {
                const struct sock_filter *i = &p[pc];
                unsigned char a = st[pc];

                if (!a)
                        continue; /* unreachable */
                switch (BPF_CLASS(i->code)) {
                case BPF_LD:
                        a = i->k == 4 ? A_ARCH : i->k == 0 ? A_NR : A_OTHER;
                        if (pc + 1 < len)
                                st[pc + 1] |= a;
                        break;
                case BPF_RET:
                        break;
                case BPF_JMP:
                        if (BPF_OP(i->code) == BPF_JA) {
                                st[pc + 1 + i->k] |= a;
                                break;
                        }
                        if (a & A_ARCH) {
                                bool is_arch = false;
                                for (size_t j = 0; j < n_audits; j++)
                                        if (i->k == audits[j])
                                                is_arch = true;
                                if (!is_arch || (a & ~A_ARCH))
                                        bad = true;
                        }
                        st[pc + 1 + i->jt] |= a;
                        st[pc + 1 + i->jf] |= a;
                        break;
                default:
                        if (pc + 1 < len)
                                st[pc + 1] |= A_OTHER;
                }
        }
        free(st);
        return bad;
}

/* ---- inputs ---- */

static bool nr_in_pseudo_range(uint32_t nr)
{
        int32_t s = (int32_t)nr;
        return s <= -100 && s >= -10000;
}

static uint64_t random_arg(const struct caseinfo *c)
{
        uint64_t d;

        if (c->n_data == 0 || rn(4) == 0)
                return rn(2) ? rnd() : boundary[rn(sizeof(boundary) / sizeof(boundary[0]))];
        d = c->data[rn((unsigned)c->n_data)];
        switch (rn(7)) {
        case 0:
                return d + 1;
        case 1:
                return d - 1;
        case 2:
                return (d << 32) | (d >> 32);
        case 3:
                return d & ~(UINT64_C(1) << rn(64));
        case 4:
                return d | rnd();
        default:
                return d;
        }
}

/*
 * libseccomp 2.5.4 does not always implement its documented union of rules: when a chain of
 * comparisons that shares nodes with other rules fails part-way, its program may fall to the
 * default action (or to another rule's action) without trying the sibling rules. A decision
 * mismatch is classified by asking libseccomp itself, one accepted rule at a time, which rules
 * match this input. An answer is justified when it is the action of a matching rule, or the
 * default when none matches. When libseccomp's full program gives an unjustified answer and ours
 * is justified, the input is counted as a libseccomp bug, not as a mismatch; when both are
 * justified and differ, it is a precedence mismatch and counts as a failure. Returns 1 for a
 * libseccomp bug, 0 otherwise.
 */
static int oracle_union_bug(const struct caseinfo *c, const char *const *group, size_t n_group,
                            const int *rc, const struct seccomp_data *d, uint32_t ours,
                            uint32_t theirs)
{
        struct caseinfo one;
        uint32_t matched[MAX_CALLS];
        size_t n_matched = 0;
        bool ours_ok = false, theirs_ok = false;

        for (size_t i = 0; i < c->n_calls; i++) {
                struct built b;
                int replay[MAX_CALLS];
                uint32_t r = 0;

                if (c->calls[i].kind != CALL_RULE || rc[i] != 0)
                        continue;
                one = *c;
                for (size_t j = 0; j < c->n_calls; j++)
                        replay[j] = j == i ? 0 : -1;
                if (build_libseccomp(&one, group, n_group, replay, &b) < 0 || b.export_rc < 0) {
                        free(b.prog);
                        return 0;
                }
                /* The one-rule program has the same arch confusion bug as full ones (its
                 * syscall test compares the arch value): use the other layout, as for those. */
                if (program_confuses_arch(b.prog, b.len, &d->arch, 1)) {
                        free(b.prog);
                        b = (struct built){ 0 };
                        oracle_optimize = 2;
                        int k = build_libseccomp(&one, group, n_group, replay, &b);
                        oracle_optimize = 1;
                        if (k < 0 || b.export_rc < 0 ||
                            program_confuses_arch(b.prog, b.len, &d->arch, 1)) {
                                free(b.prog);
                                return 0;
                        }
                }
                if (scmpd_bpf_run(b.prog, b.len, d, &r, NULL) < 0) {
                        free(b.prog);
                        return 0;
                }
                free(b.prog);
                if (r == c->calls[i].action)
                        matched[n_matched++] = r;
        }
        for (size_t i = 0; i < n_matched; i++) {
                ours_ok |= ours == matched[i];
                theirs_ok |= theirs == matched[i];
        }
        if (n_matched == 0) {
                ours_ok = ours == c->def;
                theirs_ok = theirs == c->def;
        }
        return ours_ok && !theirs_ok;
}

struct stats {
        unsigned long cases, runs, rc_mismatch, decision_mismatch, skipped_setup, programs;
        unsigned long oracle_broken; /* arch sections where libseccomp's program is wrong */
        unsigned long union_bug;     /* inputs where libseccomp contradicts its own rules */
};

static bool compare_case(const struct caseinfo *c, struct stats *st, uint64_t case_seed)
{
        struct built ours, theirs;
        uint32_t nrs[512];
        size_t n_nrs = 0;
        bool ok = true;

        build_ours(c, &ours);
        build_libseccomp(c, NULL, 0, NULL, &theirs);
        if (ours.setup_rc != theirs.setup_rc) {
                fprintf(stderr, "case seed %" PRIu64 ": setup rc ours %d libseccomp %d\n",
                        case_seed, ours.setup_rc, theirs.setup_rc);
                st->rc_mismatch++;
                ok = false;
                goto out;
        }
        if (ours.setup_rc < 0) {
                st->skipped_setup++;
                goto out;
        }
        for (size_t i = 0; i < c->n_calls; i++)
                if (ours.rc[i] != theirs.rc[i]) {
                        const struct call *k = &c->calls[i];
                        fprintf(stderr,
                                "case seed %" PRIu64
                                ": call %zu (%s nr %d action 0x%x%s, %u cmps): "
                                "rc ours %d libseccomp %d\n",
                                case_seed, i, k->kind == CALL_PRIO ? "priority" : "rule", k->nr,
                                k->action, k->exact ? " exact" : "", k->n, ours.rc[i],
                                theirs.rc[i]);
                        st->rc_mismatch++;
                        ok = false;
                }
        if (!ok)
                goto out;
        if (ours.export_rc != theirs.export_rc) {
                fprintf(stderr, "case seed %" PRIu64 ": export rc ours %d libseccomp %d\n",
                        case_seed, ours.export_rc, theirs.export_rc);
                st->rc_mismatch++;
                ok = false;
                goto out;
        }
        if (ours.export_rc < 0)
                goto out;
        if (scmpd_bpf_validate(ours.prog, ours.len, NULL) < 0) {
                fprintf(stderr, "case seed %" PRIu64 ": our program is invalid\n", case_seed);
                st->decision_mismatch++;
                ok = false;
                goto out;
        }
        st->programs++;

        for (size_t a = 0; a <= c->n_arches && ok; a++) {
                const struct scmpd_arch *arch =
                        a < c->n_arches ? scmpd_arch_by_name(c->arches[a]) : NULL;
                uint32_t token = arch ? arch->token : 0x12345678u;
                uint32_t audit = token == (62u | 0x40000000u) ? 0xc000003eu : token;
                const char *group[2];
                size_t n_group = 0;
                struct built oracle = { 0 };

                /*
                 * libseccomp 2.5.4 emits a wrong program for some multi-arch filters: a section
                 * reached after a failed arch comparison tests the arch value as if it were the
                 * syscall number (no reload of nr). Decisions are therefore taken from one
                 * libseccomp filter per arch value (x86_64 and x32 share one), built from the
                 * calls the full filter accepted; the per-arch rule sets are independent in
                 * libseccomp, so this is the filter the full one should have been.
                 */
                uint32_t audits[4];
                size_t n_audits = 0;
                for (size_t j = 0; j < c->n_arches; j++) {
                        const struct scmpd_arch *o = scmpd_arch_by_name(c->arches[j]);
                        audits[n_audits++] =
                                o->token == (62u | 0x40000000u) ? 0xc000003eu : o->token;
                }
                if (arch && c->n_arches > 1) {
                        for (size_t j = 0; j < c->n_arches; j++) {
                                const struct scmpd_arch *o = scmpd_arch_by_name(c->arches[j]);
                                uint32_t oa =
                                        o->token == (62u | 0x40000000u) ? 0xc000003eu : o->token;
                                if (oa == audit)
                                        group[n_group++] = c->arches[j];
                        }
                        if (build_libseccomp(c, group, n_group, theirs.rc, &oracle) < 0 ||
                            oracle.export_rc < 0) {
                                fprintf(stderr, "case seed %" PRIu64 ": per-arch oracle failed\n",
                                        case_seed);
                                free(oracle.prog);
                                ok = false;
                                st->rc_mismatch++;
                                break;
                        }
                }
                {
                        const struct built *ob = oracle.prog ? &oracle : &theirs;
                        if (program_confuses_arch(ob->prog, ob->len, audits, n_audits)) {
                                /* Try libseccomp's other layout before giving up. */
                                struct built o2 = { 0 };
                                oracle_optimize = 2;
                                build_libseccomp(c, n_group ? group : NULL, n_group, theirs.rc,
                                                 &o2);
                                oracle_optimize = 1;
                                free(oracle.prog);
                                oracle = o2;
                                if (oracle.export_rc < 0 ||
                                    program_confuses_arch(oracle.prog, oracle.len, audits,
                                                          n_audits)) {
                                        st->oracle_broken++;
                                        free(oracle.prog);
                                        continue;
                                }
                        }
                }

                n_nrs = 0;
                if (arch) {
                        for (size_t i = 0; i < c->n_calls; i++) {
                                const char *name =
                                        c->calls[i].nr == -1
                                                ? NULL
                                                : seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
                                                                                   c->calls[i].nr);
                                int nr = name ? scmpd_syscall_nr(arch, name) : -1;
                                free((void *)name);
                                if (nr >= 0 && n_nrs + 3 < 512) {
                                        nrs[n_nrs++] = (uint32_t)nr;
                                        nrs[n_nrs++] = (uint32_t)nr + 1;
                                        nrs[n_nrs++] = (uint32_t)nr - 1;
                                }
                        }
                        if (arch->socketcall_nr >= 0)
                                nrs[n_nrs++] = (uint32_t)arch->socketcall_nr;
                        if (arch->ipc_nr >= 0)
                                nrs[n_nrs++] = (uint32_t)arch->ipc_nr;
                        for (int i = 0; i < 8; i++) {
                                int nr;
                                size_t idx = rn(400);
                                if (scmpd_syscall_iter(arch, idx, &nr, NULL))
                                        nrs[n_nrs++] = (uint32_t)nr;
                        }
                }
                {
                        static const uint32_t extra[] = { 0,          1,          0x3fffffff,
                                                          0x40000000, 0x40000001, 0x40000100,
                                                          0x7fffffff, 0xfffffffe, 0xffffffff };
                        for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
                                nrs[n_nrs++] = extra[i];
                        nrs[n_nrs++] = (uint32_t)rnd();
                }

                for (size_t i = 0; i < n_nrs && ok; i++) {
                        if (nr_in_pseudo_range(nrs[i]))
                                continue;
                        for (int t = 0; t < 24 && ok; t++) {
                                struct seccomp_data d = { .nr = (int)nrs[i], .arch = audit };
                                uint32_t r1 = 0, r2 = 0;
                                int k1, k2;

                                for (int j = 0; j < 6; j++)
                                        d.args[j] = t == 0 ? 0 : random_arg(c);
                                k1 = scmpd_bpf_run(ours.prog, ours.len, &d, &r1, NULL);
                                k2 = oracle.prog
                                             ? scmpd_bpf_run(oracle.prog, oracle.len, &d, &r2, NULL)
                                             : scmpd_bpf_run(theirs.prog, theirs.len, &d, &r2,
                                                             NULL);
                                st->runs++;
                                if (k1 == 0 && k2 == 0 && r1 != r2 &&
                                    oracle_union_bug(c, n_group ? group : c->arches,
                                                     n_group ? n_group : c->n_arches, theirs.rc, &d,
                                                     r1, r2)) {
                                        st->union_bug++;
                                        continue;
                                }
                                if (k1 < 0 || k2 < 0 || r1 != r2) {
                                        fprintf(stderr,
                                                "case seed %" PRIu64 ": arch %s nr %u args "
                                                "{%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
                                                ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
                                                "}: ours %#x (%d) libseccomp %#x (%d)\n",
                                                case_seed, arch ? arch->name : "foreign", nrs[i],
                                                (uint64_t)d.args[0], (uint64_t)d.args[1],
                                                (uint64_t)d.args[2], (uint64_t)d.args[3],
                                                (uint64_t)d.args[4], (uint64_t)d.args[5], r1, k1,
                                                r2, k2);
                                        st->decision_mismatch++;
                                        ok = false;
                                        if (getenv("SCMPD_DIFF_DISASM") && oracle.prog) {
                                                fprintf(stderr, "--- libseccomp, this arch\n");
                                                scmpd_bpf_disasm(oracle.prog, oracle.len, stderr);
                                        }
                                }
                        }
                }
                free(oracle.prog);
        }
out:
        if (!ok && verbose) {
                fprintf(stderr, "  arches:");
                for (size_t i = 0; i < c->n_arches; i++)
                        fprintf(stderr, " %s", c->arches[i]);
                fprintf(stderr, "; default %#x badarch %#x tskip %d\n", c->def, c->badarch,
                        c->tskip);
                for (size_t i = 0; i < c->n_calls; i++) {
                        const struct call *k = &c->calls[i];
                        if (k->kind == CALL_PRIO) {
                                fprintf(stderr, "  priority nr %d %u\n", k->nr, k->prio);
                                continue;
                        }
                        fprintf(stderr, "  rule%s %#x nr %d:", k->exact ? " exact" : "", k->action,
                                k->nr);
                        for (unsigned j = 0; j < k->n; j++)
                                fprintf(stderr, " a%u op%d %#" PRIx64 " %#" PRIx64, k->cmps[j].arg,
                                        k->cmps[j].op, k->cmps[j].datum_a, k->cmps[j].datum_b);
                        fprintf(stderr, " -> rc %d/%d\n", ours.rc[i], theirs.rc[i]);
                }
                if (getenv("SCMPD_DIFF_DISASM")) {
                        fprintf(stderr, "--- ours\n");
                        scmpd_bpf_disasm(ours.prog, ours.len, stderr);
                        fprintf(stderr, "--- libseccomp\n");
                        scmpd_bpf_disasm(theirs.prog, theirs.len, stderr);
                }
        }
        free(ours.prog);
        free(theirs.prog);
        return ok;
}

/* libseccomp 2.5.4 can loop forever while adding some rules; a watchdog skips such a case. */
static sigjmp_buf hang_jmp;

static void on_alarm(int sig _unused_)
{
        siglongjmp(hang_jmp, 1);
}

int main(int argc, char **argv)
{
        /* Static: the loop state survives the watchdog's siglongjmp. */
        static unsigned long hung, iterations = 1000, failures, iter;
        static uint64_t seed = 20251123;
        struct sigaction sa = { .sa_handler = on_alarm };
        const char *e;
        struct stats st = { 0 };
        struct timespec t0, t1;

        if ((e = getenv("SCMPD_DIFF_ITERATIONS")))
                iterations = strtoul(e, NULL, 0);
        if ((e = getenv("SCMPD_DIFF_SEED")))
                seed = strtoull(e, NULL, 0);
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
                        iterations = strtoul(argv[++i], NULL, 0);
                else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
                        seed = strtoull(argv[++i], NULL, 0);
                else if (strcmp(argv[i], "--verbose") == 0)
                        verbose = true;
                else if (strcmp(argv[i], "--case") == 0 && i + 1 < argc) {
                        struct caseinfo c;
                        uint64_t cs = strtoull(argv[++i], NULL, 0);
                        verbose = true;
                        rng_state = cs;
                        gen_case(&c);
                        return compare_case(&c, &st, cs) ? 0 : 1;
                } else {
                        fprintf(stderr, "usage: %s [--iterations N] [--seed S] [--verbose]\n",
                                argv[0]);
                        return 2;
                }
        }

        sigaction(SIGALRM, &sa, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (iter = 0; iter < iterations; iter++) {
                static struct caseinfo c;
                static uint64_t case_seed;

                case_seed = seed * 1000003 + iter;
                if (sigsetjmp(hang_jmp, 1)) {
                        /* Memory of the abandoned case is lost; it is a test. */
                        fprintf(stderr,
                                "case seed %" PRIu64 ": libseccomp did not return "
                                "within 20 s, case skipped\n",
                                case_seed);
                        hung++;
                        continue;
                }
                rng_state = case_seed;
                gen_case(&c);
                st.cases++;
                alarm(20);
                bool ok = compare_case(&c, &st, case_seed);
                alarm(0);
                if (!ok && ++failures >= 20)
                        break;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("diff: seed %" PRIu64 ", %lu cases (%lu programs, %lu refused at setup), %lu "
               "simulated runs, %lu return-code mismatches, %lu decision mismatches, %lu "
               "sections skipped (libseccomp's program broken at both optimize levels), %lu "
               "inputs where libseccomp's program contradicts its own rules, %lu RET constants "
               "libseccomp left unconverted in big-endian programs, %lu cases skipped because "
               "libseccomp hung, %.1f s\n",
               seed, st.cases, st.programs, st.skipped_setup, st.runs, st.rc_mismatch,
               st.decision_mismatch, st.oracle_broken, st.union_bug, endian_fixups, hung,
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        return failures ? 1 : 0;
}
