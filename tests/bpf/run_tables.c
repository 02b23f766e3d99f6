/*
 * The `bpf` suite: table-driven filter tests through the simulator (format: README.md here).
 *
 * Each table file describes filters through the filter API (default action, arches, attributes,
 * rules, priorities) and expectations "arch syscall args -> action". The runner builds each
 * filter, exports its BPF, checks that the kernel would accept the program and that a second
 * export is byte-identical, then runs every expectation in the simulator. A filter is
 * re-exported whenever it changed since the last expectation, so a table can check a filter,
 * change it and check it again.
 *
 * The same source builds twice: against libscmpd (the product under test) and, with
 * TABLES_ORACLE_LIBSECCOMP, against Debian's libseccomp, so that the tables themselves are
 * checked against the reference semantics. In the oracle build the `cached`/`uncached` marks are
 * not checked (they are our compiler's promise, not libseccomp's).
 *
 * Usage: run-tables [--optimize=1|2] FILE...
 * --optimize sets that attribute on every filter as it is created, so that the same tables check
 * both of libseccomp's layouts. Exit 0 when every expectation holds, 1 otherwise, 2 on a table
 * that cannot be read or parsed.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "scmpd/filter.h"
#include "util.h"

#ifdef TABLES_ORACLE_LIBSECCOMP
#include <seccomp.h>
#endif

/* --optimize=N: every filter starts with this optimize level (0: the library's default). */
static uint32_t optimize_level;

#define MAX_TOKENS 32
#define LINE_MAX_LEN 1024

/* ------------------------------------------------------------------ backends */

#ifndef TABLES_ORACLE_LIBSECCOMP

static const char *const backend_name = "libscmpd";
/* scmpd/filter.h: the exported program is in host byte order. */
static const bool export_in_target_order = false;

static int be_new(uint32_t def, void **ret)
{
        struct scmpd_filter *f = NULL;
        int r = scmpd_filter_new(def, &f);

        if (r < 0)
                return r;
        *ret = f;
        return 0;
}

static void be_free(void *f)
{
        scmpd_filter_free(f);
}

static int be_attr_set(void *f, int attr, uint32_t value)
{
        return scmpd_filter_attr_set(f, (enum scmpd_filter_attr)attr, value);
}

static int be_arch_add(void *f, uint32_t token)
{
        return scmpd_filter_arch_add(f, token);
}

static int be_arch_remove(void *f, uint32_t token)
{
        return scmpd_filter_arch_remove(f, token);
}

static int be_rule_add(void *f, uint32_t action, int nr, bool exact, size_t n,
                       const struct scmpd_arg_cmp *cmps)
{
        return scmpd_filter_rule_add(f, action, nr, exact ? SCMPD_RULE_EXACT : 0, n,
                                     n ? cmps : NULL);
}

static int be_priority(void *f, int nr, uint8_t priority)
{
        return scmpd_filter_syscall_priority(f, nr, priority);
}

static int be_resolve(const char *name)
{
        return scmpd_syscall_nr(scmpd_arch_native(), name);
}

static int be_export(void *f, struct sock_filter **ret_prog, size_t *ret_len)
{
        void *insns = NULL;
        size_t count = 0;
        int r = scmpd_filter_export_bpf_mem(f, &insns, &count);

        if (r < 0)
                return r;
        *ret_prog = insns;
        *ret_len = count;
        return 0;
}

#else /* TABLES_ORACLE_LIBSECCOMP */

static const char *const backend_name = "libseccomp";
/* libseccomp writes the program in the byte order of the filter's arches (all of one
 * endianness, or seccomp_arch_add() fails with -EDOM), ready to load there. */
static const bool export_in_target_order = true;

static int be_new(uint32_t def, void **ret)
{
        scmp_filter_ctx ctx = seccomp_init(def);

        if (!ctx)
                return -EINVAL;
        *ret = ctx;
        return 0;
}

static void be_free(void *f)
{
        seccomp_release(f);
}

static int be_attr_set(void *f, int attr, uint32_t value)
{
        return seccomp_attr_set(f, (enum scmp_filter_attr)attr, value);
}

static int be_arch_add(void *f, uint32_t token)
{
        return seccomp_arch_add(f, token);
}

static int be_arch_remove(void *f, uint32_t token)
{
        return seccomp_arch_remove(f, token);
}

static int be_rule_add(void *f, uint32_t action, int nr, bool exact, size_t n,
                       const struct scmpd_arg_cmp *cmps)
{
        struct scmp_arg_cmp c[SCMPD_ARGS_MAX];

        for (size_t i = 0; i < n; i++)
                c[i] = (struct scmp_arg_cmp){ .arg = cmps[i].arg,
                                              .op = (enum scmp_compare)cmps[i].op,
                                              .datum_a = cmps[i].datum_a,
                                              .datum_b = cmps[i].datum_b };
        if (exact)
                return seccomp_rule_add_exact_array(f, action, nr, (unsigned)n, c);
        return seccomp_rule_add_array(f, action, nr, (unsigned)n, c);
}

static int be_priority(void *f, int nr, uint8_t priority)
{
        return seccomp_syscall_priority(f, nr, priority);
}

static int be_resolve(const char *name)
{
        int nr = seccomp_syscall_resolve_name(name);

        return nr == __NR_SCMP_ERROR ? SCMPD_NR_NONE : nr;
}

static int be_export(void *f, struct sock_filter **ret_prog, size_t *ret_len)
{
        _cleanup_close_ int fd = memfd_create("bpf", MFD_CLOEXEC);
        _cleanup_free_ struct sock_filter *prog = NULL;
        off_t size;
        int r;

        if (fd < 0)
                return negative_errno();
        r = seccomp_export_bpf(f, fd);
        if (r < 0)
                return r;
        size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0)
                return -EIO;
        prog = malloc((size_t)size);
        if (!prog)
                return -ENOMEM;
        if (pread(fd, prog, (size_t)size, 0) != size)
                return -EIO;
        *ret_len = (size_t)size / sizeof(struct sock_filter);
        *ret_prog = steal_ptr(&prog);
        return 0;
}

#endif /* TABLES_ORACLE_LIBSECCOMP */

/* ------------------------------------------------------------------ table state */

struct table {
        const char *path;
        unsigned line;
        char filter_name[64];
        unsigned filter_line;
        void *filter;
        bool dirty; /* changed since the last export */
        struct sock_filter *prog;
        size_t len;
        unsigned checks, failures;
        bool listed;         /* the program was printed after a failure */
        uint32_t arches[64]; /* the filter's arches as the table added and removed them */
        size_t n_arches;
};

static void table_drop_filter(struct table *t)
{
        if (t->filter)
                be_free(t->filter);
        t->filter = NULL;
        free(t->prog);
        t->prog = NULL;
        t->len = 0;
        t->listed = false;
}

/* A problem with the table itself: reported, and the run ends with exit status 2. */
static int syntax(struct table *t, const char *fmt, ...) _printf_(2, 3);
static int syntax(struct table *t, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "%s:%u: table error: ", t->path, t->line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return -EINVAL;
}

/* A failed expectation: reported, counted, and the run goes on. */
static void fail(struct table *t, const char *fmt, ...) _printf_(2, 3);
static void fail(struct table *t, const char *fmt, ...)
{
        va_list ap;

        t->failures++;
        fprintf(stderr, "%s:%u: FAIL [%s, filter '%s' at line %u]: ", t->path, t->line,
                backend_name, t->filter_name, t->filter_line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static void list_program_once(struct table *t)
{
        if (t->listed || !t->prog)
                return;
        t->listed = true;
        fprintf(stderr, "--- program of filter '%s' (%zu instructions):\n", t->filter_name, t->len);
        (void)scmpd_bpf_disasm(t->prog, t->len, stderr);
        fprintf(stderr, "---\n");
}

/* ------------------------------------------------------------------ parsing helpers */

static int parse_u64(const char *s, uint64_t *ret)
{
        char *end;

        if (*s == '\0')
                return -EINVAL;
        errno = 0;
        if (*s == '-') {
                long long v = strtoll(s, &end, 10);
                if (errno != 0 || *end != '\0' || end == s + 1)
                        return -EINVAL;
                *ret = (uint64_t)v;
                return 0;
        }
        if (*s < '0' || *s > '9')
                return -EINVAL;
        *ret = strtoull(s, &end, 0);
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        return 0;
}

static int parse_action(struct table *t, const char *s, uint32_t *ret)
{
        if (scmpd_bpf_action_parse(s, ret) < 0)
                return syntax(t, "'%s' is not an action", s);
        return 0;
}

static const struct scmpd_arch *parse_arch(struct table *t, const char *s)
{
        const struct scmpd_arch *a = scmpd_arch_by_name(s);

        if (!a)
                syntax(t, "unknown arch '%s'", s);
        return a;
}

static int parse_errno_name(struct table *t, const char *s, int *ret)
{
        static const struct {
                const char *name;
                int value;
        } names[] = {
                { "EACCES", EACCES },       { "EDOM", EDOM },
                { "EEXIST", EEXIST },       { "EFAULT", EFAULT },
                { "EINVAL", EINVAL },       { "ENOENT", ENOENT },
                { "ENOMEM", ENOMEM },       { "EOPNOTSUPP", EOPNOTSUPP },
                { "E2BIG", E2BIG },         { "ESRCH", ESRCH },
                { "ECANCELED", ECANCELED },
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(s, names[i].name) == 0) {
                        *ret = -names[i].value;
                        return 0;
                }
        return syntax(t, "unknown error name '%s'", s);
}

/* A syscall in a rule: a name (native or pseudo number) or #N. */
static int parse_rule_syscall(struct table *t, const char *s, int *ret)
{
        uint64_t v;
        int nr;

        if (s[0] == '#') {
                if (parse_u64(s + 1, &v) < 0 || (int64_t)v < INT32_MIN || (int64_t)v > INT32_MAX)
                        return syntax(t, "bad syscall number '%s'", s);
                *ret = (int)(int64_t)v;
                return 0;
        }
        nr = be_resolve(s);
        if (nr == SCMPD_NR_NONE)
                return syntax(t, "unknown syscall '%s'", s);
        *ret = nr;
        return 0;
}

/* A comparison token: aN==V, aN!=V, aN<V, aN<=V, aN>V, aN>=V or aN&M==V. */
static int parse_cmp(struct table *t, const char *s, struct scmpd_arg_cmp *ret)
{
        static const struct {
                const char *op;
                enum scmpd_cmp_op value;
        } ops[] = {
                /* Two-character operators first, so that "<=" is not read as "<". */
                { "==", SCMPD_CMP_EQ }, { "!=", SCMPD_CMP_NE }, { "<=", SCMPD_CMP_LE },
                { ">=", SCMPD_CMP_GE }, { "<", SCMPD_CMP_LT },  { ">", SCMPD_CMP_GT },
        };
        char buf[128];
        const char *p;

        if (s[0] != 'a' || s[1] < '0' || s[1] > '5' || strlen(s) >= sizeof(buf))
                return syntax(t, "bad comparison '%s' (want aN<op>VALUE, N in 0..5)", s);
        *ret = (struct scmpd_arg_cmp){ .arg = (unsigned)(s[1] - '0') };
        p = s + 2;

        if (*p == '&') {
                /* aN&MASK==VALUE */
                const char *eq = strstr(p, "==");
                if (!eq || eq == p + 1)
                        return syntax(t, "bad masked comparison '%s' (want aN&MASK==VALUE)", s);
                memcpy(buf, p + 1, (size_t)(eq - p - 1));
                buf[eq - p - 1] = '\0';
                if (parse_u64(buf, &ret->datum_a) < 0 || parse_u64(eq + 2, &ret->datum_b) < 0)
                        return syntax(t, "bad number in '%s'", s);
                ret->op = SCMPD_CMP_MASKED_EQ;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(ops); i++) {
                size_t n = strlen(ops[i].op);
                if (strncmp(p, ops[i].op, n) != 0)
                        continue;
                if (parse_u64(p + n, &ret->datum_a) < 0)
                        return syntax(t, "bad number in '%s'", s);
                ret->op = ops[i].value;
                return 0;
        }
        return syntax(t, "bad operator in '%s'", s);
}

static int parse_attr(struct table *t, const char *s, int *ret)
{
        static const struct {
                const char *name;
                int attr;
        } attrs[] = {
                { "badarch", SCMPD_ATTR_BADARCH_ACTION },
                { "nnp", SCMPD_ATTR_NO_NEW_PRIVS },
                { "tsync", SCMPD_ATTR_TSYNC },
                { "tskip", SCMPD_ATTR_TSKIP },
                { "log", SCMPD_ATTR_LOG },
                { "ssb", SCMPD_ATTR_SSB },
                { "optimize", SCMPD_ATTR_OPTIMIZE },
                { "rawrc", SCMPD_ATTR_RAW_RC },
        };

        for (size_t i = 0; i < ELEMENTSOF(attrs); i++)
                if (strcmp(s, attrs[i].name) == 0) {
                        *ret = attrs[i].attr;
                        return 0;
                }
        return syntax(t, "unknown attribute '%s'", s);
}

/* Check an API call's result against "=> ERROR" (or success when absent). */
static void check_result(struct table *t, const char *what, int r, bool expect_error, int expected)
{
        t->checks++;
        if (expect_error && r != expected)
                fail(t, "%s returned %d (%s), expected %d (%s)", what, r,
                     r < 0 ? strerror(-r) : "success", expected, strerror(-expected));
        else if (!expect_error && r < 0)
                fail(t, "%s failed: %d (%s)", what, r, strerror(-r));
}

/* Split off a trailing "=> ERROR"; returns the number of tokens left. */
static int split_error(struct table *t, char **tok, int n, bool *ret_expect, int *ret_errno)
{
        *ret_expect = false;
        if (n >= 2 && strcmp(tok[n - 2], "=>") == 0) {
                if (parse_errno_name(t, tok[n - 1], ret_errno) < 0)
                        return -EINVAL;
                *ret_expect = true;
                return n - 2;
        }
        return n;
}

/* ------------------------------------------------------------------ directives */

static int do_filter(struct table *t, char **tok, int n)
{
        uint32_t def;
        int r;

        /* filter NAME default ACTION */
        if (n != 4 || strcmp(tok[2], "default") != 0)
                return syntax(t, "want: filter NAME default ACTION");
        if (parse_action(t, tok[3], &def) < 0)
                return -EINVAL;
        table_drop_filter(t);
        snprintf(t->filter_name, sizeof(t->filter_name), "%s", tok[1]);
        t->filter_line = t->line;
        r = be_new(def, &t->filter);
        if (r < 0) {
                fail(t, "creating the filter failed: %s", strerror(-r));
                t->filter = NULL;
        } else if (optimize_level > 0) {
                check_result(t, "--optimize",
                             be_attr_set(t->filter, SCMPD_ATTR_OPTIMIZE, optimize_level), false, 0);
        }
        t->arches[0] = scmpd_arch_native()->token;
        t->n_arches = 1;
        t->dirty = true;
        return 0;
}

static int do_badarch(struct table *t, char **tok, int n)
{
        uint32_t action;
        bool expect;
        int err = 0;

        n = split_error(t, tok, n, &expect, &err);
        if (n != 2)
                return syntax(t, "want: badarch ACTION [=> ERROR]");
        if (parse_action(t, tok[1], &action) < 0)
                return -EINVAL;
        check_result(t, "badarch", be_attr_set(t->filter, SCMPD_ATTR_BADARCH_ACTION, action),
                     expect, err);
        t->dirty = true;
        return 0;
}

static int do_attr(struct table *t, char **tok, int n)
{
        uint64_t v;
        bool expect;
        int attr = 0, err = 0;

        n = split_error(t, tok, n, &expect, &err);
        if (n != 3)
                return syntax(t, "want: attr NAME VALUE [=> ERROR]");
        if (parse_attr(t, tok[1], &attr) < 0)
                return -EINVAL;
        if (parse_u64(tok[2], &v) < 0 || v > UINT32_MAX)
                return syntax(t, "bad attribute value '%s'", tok[2]);
        check_result(t, "attr", be_attr_set(t->filter, attr, (uint32_t)v), expect, err);
        t->dirty = true;
        return 0;
}

static int do_arch(struct table *t, char **tok, int n)
{
        bool add, expect;
        int err = 0;

        n = split_error(t, tok, n, &expect, &err);
        if (n < 3 || (strcmp(tok[1], "+") != 0 && strcmp(tok[1], "-") != 0))
                return syntax(t, "want: arch +|- ARCH... [=> ERROR]");
        add = tok[1][0] == '+';
        for (int i = 2; i < n; i++) {
                const struct scmpd_arch *a = parse_arch(t, tok[i]);
                int r;

                if (!a)
                        return -EINVAL;
                r = add ? be_arch_add(t->filter, a->token) : be_arch_remove(t->filter, a->token);
                check_result(t, add ? "arch +" : "arch -", r, expect, err);
                if (r < 0)
                        continue;
                if (add && t->n_arches < ELEMENTSOF(t->arches))
                        t->arches[t->n_arches++] = a->token;
                for (size_t j = 0; !add && j < t->n_arches; j++)
                        if (t->arches[j] == a->token)
                                t->arches[j--] = t->arches[--t->n_arches];
        }
        t->dirty = true;
        return 0;
}

static int do_rule(struct table *t, char **tok, int n, bool exact)
{
        struct scmpd_arg_cmp cmps[SCMPD_ARGS_MAX];
        uint32_t action;
        bool expect;
        int nr = 0, err = 0;
        size_t ncmp;

        /* rule|exact ACTION SYSCALL [CMP...] [=> ERROR] */
        n = split_error(t, tok, n, &expect, &err);
        if (n < 3)
                return syntax(t, "want: %s ACTION SYSCALL [CMP...] [=> ERROR]", tok[0]);
        if (parse_action(t, tok[1], &action) < 0 || parse_rule_syscall(t, tok[2], &nr) < 0)
                return -EINVAL;
        ncmp = (size_t)(n - 3);
        if (ncmp > SCMPD_ARGS_MAX)
                return syntax(t, "at most %d comparisons", SCMPD_ARGS_MAX);
        for (size_t i = 0; i < ncmp; i++)
                if (parse_cmp(t, tok[3 + i], &cmps[i]) < 0)
                        return -EINVAL;
        check_result(t, exact ? "exact rule" : "rule",
                     be_rule_add(t->filter, action, nr, exact, ncmp, cmps), expect, err);
        t->dirty = true;
        return 0;
}

static int do_priority(struct table *t, char **tok, int n)
{
        uint64_t v;
        bool expect;
        int nr = 0, err = 0;

        n = split_error(t, tok, n, &expect, &err);
        if (n != 3)
                return syntax(t, "want: priority SYSCALL 0..255 [=> ERROR]");
        if (parse_rule_syscall(t, tok[1], &nr) < 0)
                return -EINVAL;
        if (parse_u64(tok[2], &v) < 0 || v > 255)
                return syntax(t, "bad priority '%s'", tok[2]);
        check_result(t, "priority", be_priority(t->filter, nr, (uint8_t)v), expect, err);
        t->dirty = true;
        return 0;
}

/* Bring a program exported in its arches' byte order to host order (see be_export). */
static void to_host_order(const struct table *t, struct sock_filter *prog, size_t len)
{
        bool big = t->n_arches > 0;

        if (!export_in_target_order || __BYTE_ORDER == __BIG_ENDIAN)
                return;
        for (size_t i = 0; i < t->n_arches; i++) {
                const struct scmpd_arch *a = scmpd_arch_by_token(t->arches[i]);
                if (!a || !a->big_endian)
                        big = false;
        }
        if (!big)
                return;
        for (size_t i = 0; i < len; i++) {
                prog[i].code = __builtin_bswap16(prog[i].code);
                prog[i].k = __builtin_bswap32(prog[i].k);
        }
}

/* Export (again) if the filter changed; check what every export must satisfy. */
static int ensure_exported(struct table *t)
{
        _cleanup_free_ struct sock_filter *again = NULL;
        size_t again_len = 0, bad_pc = 0;
        int r;

        if (!t->dirty)
                return t->prog ? 0 : -EINVAL;
        t->dirty = false;
        free(t->prog);
        t->prog = NULL;
        t->len = 0;
        t->listed = false;

        t->checks++;
        r = be_export(t->filter, &t->prog, &t->len);
        if (r < 0) {
                fail(t, "export failed: %d (%s)", r, strerror(-r));
                return r;
        }
        to_host_order(t, t->prog, t->len);
        t->checks++;
        if (scmpd_bpf_validate(t->prog, t->len, &bad_pc) < 0) {
                fail(t, "the kernel would refuse the exported program (instruction %zu of %zu)",
                     bad_pc, t->len);
                list_program_once(t);
                return -EINVAL;
        }
        t->checks++;
        r = be_export(t->filter, &again, &again_len);
        if (r >= 0)
                to_host_order(t, again, again_len);
        if (r < 0 || again_len != t->len || memcmp(again, t->prog, t->len * sizeof(*t->prog)) != 0)
                fail(t, "a second export is not byte-identical to the first");
        return 0;
}

static int do_expect(struct table *t, char **tok, int n)
{
        struct seccomp_data data = { 0 };
        const struct scmpd_arch *arch;
        uint32_t want, got;
        unsigned executed;
        int arrow = -1, nargs = 0, cache_mark = -1, r;
        char want_s[64], got_s[64];
        uint64_t v;

        /* expect ARCH SYSCALL [ARG...] [ip=V] -> ACTION [cached|uncached] */
        for (int i = 0; i < n; i++)
                if (strcmp(tok[i], "->") == 0) {
                        arrow = i;
                        break;
                }
        if (arrow < 3 || n - arrow < 2 || n - arrow > 3)
                return syntax(t, "want: expect ARCH SYSCALL [ARG...] [ip=V] -> ACTION "
                                 "[cached|uncached]");
        arch = parse_arch(t, tok[1]);
        if (!arch)
                return -EINVAL;
        data.arch = scmpd_bpf_data_arch(arch->token);

        if (tok[2][0] == '#') {
                if (parse_u64(tok[2] + 1, &v) < 0 || v > UINT32_MAX)
                        return syntax(t, "bad syscall number '%s'", tok[2]);
                data.nr = (int)(uint32_t)v;
        } else {
                int nr = scmpd_syscall_nr(arch, tok[2]);
                if (nr < 0)
                        return syntax(t, "%s has no syscall '%s' (use #N for raw numbers)",
                                      arch->name, tok[2]);
                data.nr = nr;
        }
        for (int i = 3; i < arrow; i++) {
                if (strncmp(tok[i], "ip=", 3) == 0) {
                        if (parse_u64(tok[i] + 3, &v) < 0)
                                return syntax(t, "bad instruction pointer '%s'", tok[i]);
                        data.instruction_pointer = v;
                        continue;
                }
                if (nargs == SCMPD_ARGS_MAX)
                        return syntax(t, "at most 6 arguments");
                if (parse_u64(tok[i], &v) < 0)
                        return syntax(t, "bad argument '%s'", tok[i]);
                data.args[nargs++] = v;
        }
        if (parse_action(t, tok[arrow + 1], &want) < 0)
                return -EINVAL;
        if (n - arrow == 3) {
                if (strcmp(tok[arrow + 2], "cached") == 0)
                        cache_mark = 1;
                else if (strcmp(tok[arrow + 2], "uncached") == 0)
                        cache_mark = 0;
                else
                        return syntax(t, "'%s': want cached or uncached", tok[arrow + 2]);
        }

        if (!t->filter)
                return syntax(t, "expect before any filter");
        if (ensure_exported(t) < 0)
                return 0; /* already reported */

        t->checks++;
        r = scmpd_bpf_run(t->prog, t->len, &data, &got, &executed);
        if (r < 0) {
                fail(t, "simulation failed: %s", strerror(-r));
                return 0;
        }
        if (got != want) {
                scmpd_bpf_action_format(want, want_s, sizeof(want_s));
                scmpd_bpf_action_format(got, got_s, sizeof(got_s));
                fail(t,
                     "%s nr %d args {%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
                     ", %#" PRIx64 ", %#" PRIx64 "}: expected %s, got %s",
                     arch->name, data.nr, (uint64_t)data.args[0], (uint64_t)data.args[1],
                     (uint64_t)data.args[2], (uint64_t)data.args[3], (uint64_t)data.args[4],
                     (uint64_t)data.args[5], want_s, got_s);
                list_program_once(t);
        }
#ifndef TABLES_ORACLE_LIBSECCOMP
        if (cache_mark >= 0) {
                t->checks++;
                r = scmpd_bpf_cacheable(t->prog, t->len, data.arch, data.nr);
                if (r != cache_mark) {
                        fail(t, "%s nr %d: expected %s by the kernel's action cache, it is %s",
                             arch->name, data.nr, cache_mark ? "cached" : "uncached",
                             r == 1 ? "cached" : "not cached");
                        list_program_once(t);
                }
        }
#else
        (void)cache_mark;
#endif
        return 0;
}

/* ------------------------------------------------------------------ driver */

static int run_line(struct table *t, char *line)
{
        char *tok[MAX_TOKENS + 1], *save = NULL, *s;
        int n = 0;

        /* '#' at the start of a word begins a comment, except "#N" / "#-N" syscall numbers. */
        for (s = line; *s; s++) {
                bool word_start = s == line || s[-1] == ' ' || s[-1] == '\t';
                bool number = (s[1] >= '0' && s[1] <= '9') || s[1] == '-';
                if (*s == '#' && word_start && !number) {
                        *s = '\0';
                        break;
                }
        }

        for (char *w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
                if (n == MAX_TOKENS)
                        return syntax(t, "too many words");
                tok[n++] = w;
        }
        if (n == 0)
                return 0;

        if (strcmp(tok[0], "filter") == 0)
                return do_filter(t, tok, n);
        if (!t->filter)
                return syntax(t, "'%s' before any filter (or the filter could not be created)",
                              tok[0]);
        if (strcmp(tok[0], "badarch") == 0)
                return do_badarch(t, tok, n);
        if (strcmp(tok[0], "attr") == 0)
                return do_attr(t, tok, n);
        if (strcmp(tok[0], "arch") == 0)
                return do_arch(t, tok, n);
        if (strcmp(tok[0], "rule") == 0)
                return do_rule(t, tok, n, false);
        if (strcmp(tok[0], "exact") == 0)
                return do_rule(t, tok, n, true);
        if (strcmp(tok[0], "priority") == 0)
                return do_priority(t, tok, n);
        if (strcmp(tok[0], "expect") == 0)
                return do_expect(t, tok, n);
        return syntax(t, "unknown directive '%s'", tok[0]);
}

static int run_file(const char *path, unsigned *checks, unsigned *failures)
{
        struct table t = { .path = path };
        char line[LINE_MAX_LEN];
        FILE *f;
        int r = 0;

        f = fopen(path, "re");
        if (!f) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -errno;
        }
        while (fgets(line, sizeof(line), f)) {
                t.line++;
                if (!strchr(line, '\n') && !feof(f)) {
                        r = syntax(&t, "line too long");
                        break;
                }
                r = run_line(&t, line);
                if (r < 0)
                        break;
        }
        fclose(f);
        table_drop_filter(&t);
        *checks += t.checks;
        *failures += t.failures;
        return r;
}

int main(int argc, char **argv)
{
        unsigned checks = 0, failures = 0;
        bool broken = false;

        int first = 1;

        if (argc > 1 && strncmp(argv[1], "--optimize=", 11) == 0) {
                if (strcmp(argv[1] + 11, "1") != 0 && strcmp(argv[1] + 11, "2") != 0) {
                        fprintf(stderr, "--optimize takes 1 or 2\n");
                        return 2;
                }
                optimize_level = (uint32_t)(argv[1][11] - '0');
                first = 2;
        }
        if (argc <= first) {
                fprintf(stderr, "usage: %s [--optimize=1|2] TABLE...\n", argv[0]);
                return 2;
        }
        for (int i = first; i < argc; i++)
                if (run_file(argv[i], &checks, &failures) < 0)
                        broken = true;

        printf("%s (optimize %s): %u checks, %u failures%s\n", backend_name,
               optimize_level ? (optimize_level == 1 ? "1" : "2") : "default", checks, failures,
               broken ? ", and a table error" : "");
        if (broken)
                return 2;
        if (checks == 0) {
                fprintf(stderr, "no checks ran\n");
                return 1;
        }
        return failures ? 1 : 0;
}
