/*
 * OCI/Docker seccomp profiles: JSON text -> validated model -> filter (scmpd/profile.h).
 *
 * Parsing runs in three stages, each of which may refuse the input and none of which leaves
 * anything behind when it does:
 *
 *   1. A byte scan bounds the size and the nesting depth before any tree is built, and rewrites
 *      number tokens that jansson cannot hold exactly (integers beyond INT64_MAX, which profiles
 *      use for 64-bit masks, and non-integers, which profiles never allow) into same-length
 *      placeholders: a big integer becomes "-K.5" (K indexes a side table of the original
 *      tokens), any other real becomes "0.0". Every real jansson returns is therefore one of
 *      ours, and line/column positions in syntax errors are those of the original text.
 *   2. jansson builds the tree (duplicate keys refused).
 *   3. A schema walk fills struct scmpd_profile, keeping the JSON path of the node it is on so
 *      that the one error it reports names it ("syscalls[3].args[0].index: ...").
 *
 * Compiling is lib/profile_compile.c. The arch-name table here is shared with it through
 * scmpd_profile_arch_go_name().
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <linux/audit.h>

#include "scmpd/arch.h"
#include "scmpd/filter.h"
#include "scmpd/profile.h"
#include "cleanup.h"
#include "util.h"

#define SOCKET_PATH_MAX 107 /* sizeof(sun_path) - 1 */

static size_t min_size(size_t a, size_t b)
{
        return a < b ? a : b;
}

static void *mfree(void *p)
{
        free(p);
        return NULL;
}

/* The arch names runtimes accept in `architectures` and `archMap`, with the spelling that
 * libseccomp-golang prints (and moby matches includes/excludes against). */
static const struct profile_arch {
        const char *scmp_name;
        const char *go_name;
        uint32_t token;
} profile_arches[] = {
        { "SCMP_ARCH_X86", "x86", AUDIT_ARCH_I386 },
        { "SCMP_ARCH_X86_64", "amd64", AUDIT_ARCH_X86_64 },
        { "SCMP_ARCH_X32", "x32", AUDIT_ARCH_X86_64 & ~__AUDIT_ARCH_64BIT },
        { "SCMP_ARCH_ARM", "arm", AUDIT_ARCH_ARM },
        { "SCMP_ARCH_AARCH64", "arm64", AUDIT_ARCH_AARCH64 },
        { "SCMP_ARCH_MIPS", "mips", AUDIT_ARCH_MIPS },
        { "SCMP_ARCH_MIPS64", "mips64", AUDIT_ARCH_MIPS64 },
        { "SCMP_ARCH_MIPS64N32", "mips64n32", AUDIT_ARCH_MIPS64N32 },
        { "SCMP_ARCH_MIPSEL", "mipsel", AUDIT_ARCH_MIPSEL },
        { "SCMP_ARCH_MIPSEL64", "mipsel64", AUDIT_ARCH_MIPSEL64 },
        { "SCMP_ARCH_MIPSEL64N32", "mipsel64n32", AUDIT_ARCH_MIPSEL64N32 },
        { "SCMP_ARCH_PPC", "ppc", AUDIT_ARCH_PPC },
        { "SCMP_ARCH_PPC64", "ppc64", AUDIT_ARCH_PPC64 },
        { "SCMP_ARCH_PPC64LE", "ppc64le", AUDIT_ARCH_PPC64LE },
        { "SCMP_ARCH_S390", "s390", AUDIT_ARCH_S390 },
        { "SCMP_ARCH_S390X", "s390x", AUDIT_ARCH_S390X },
        { "SCMP_ARCH_PARISC", "parisc", AUDIT_ARCH_PARISC },
        { "SCMP_ARCH_PARISC64", "parisc64", AUDIT_ARCH_PARISC64 },
        { "SCMP_ARCH_RISCV64", "riscv64", AUDIT_ARCH_RISCV64 },
        { "SCMP_ARCH_LOONGARCH64", "loong64", 0xc0000102U /* AUDIT_ARCH_LOONGARCH64 */ },
        { "SCMP_ARCH_M68K", "m68k", AUDIT_ARCH_M68K },
        { "SCMP_ARCH_SH", "sh", AUDIT_ARCH_SHEL },
        { "SCMP_ARCH_SHEB", "sheb", AUDIT_ARCH_SH },
};

static const struct profile_arch *profile_arch_by_name(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(profile_arches); i++)
                if (strcmp(profile_arches[i].scmp_name, name) == 0)
                        return &profile_arches[i];
        return NULL;
}

static const struct profile_arch *profile_arch_by_token(uint32_t token)
{
        for (size_t i = 0; i < ELEMENTSOF(profile_arches); i++)
                if (profile_arches[i].token == token)
                        return &profile_arches[i];
        return NULL;
}

static bool profile_arch_go_known(const char *go_name)
{
        for (size_t i = 0; i < ELEMENTSOF(profile_arches); i++)
                if (strcmp(profile_arches[i].go_name, go_name) == 0)
                        return true;
        return false;
}

_public_ const char *scmpd_profile_arch_go_name(uint32_t token)
{
        const struct profile_arch *a = profile_arch_by_token(token);
        return a ? a->go_name : NULL;
}

static const struct {
        const char *name;
        uint32_t action; /* ERRNO and TRACE get their data later */
} profile_actions[] = {
        { "SCMP_ACT_KILL", SCMPD_ACT_KILL_THREAD },
        { "SCMP_ACT_KILL_THREAD", SCMPD_ACT_KILL_THREAD },
        { "SCMP_ACT_KILL_PROCESS", SCMPD_ACT_KILL_PROCESS },
        { "SCMP_ACT_TRAP", SCMPD_ACT_TRAP },
        { "SCMP_ACT_ERRNO", SCMPD_ACT_ERRNO(0) },
        { "SCMP_ACT_TRACE", SCMPD_ACT_TRACE(0) },
        { "SCMP_ACT_ALLOW", SCMPD_ACT_ALLOW },
        { "SCMP_ACT_LOG", SCMPD_ACT_LOG },
        { "SCMP_ACT_NOTIFY", SCMPD_ACT_NOTIFY },
};

static const struct {
        const char *name;
        enum scmpd_cmp_op op;
} profile_ops[] = {
        { "SCMP_CMP_NE", SCMPD_CMP_NE },
        { "SCMP_CMP_LT", SCMPD_CMP_LT },
        { "SCMP_CMP_LE", SCMPD_CMP_LE },
        { "SCMP_CMP_EQ", SCMPD_CMP_EQ },
        { "SCMP_CMP_GE", SCMPD_CMP_GE },
        { "SCMP_CMP_GT", SCMPD_CMP_GT },
        { "SCMP_CMP_MASKED_EQ", SCMPD_CMP_MASKED_EQ },
};

static const struct {
        const char *name;
        unsigned flag;
} profile_flags[] = {
        { "SECCOMP_FILTER_FLAG_TSYNC", SCMPD_PROFILE_FLAG_TSYNC },
        { "SECCOMP_FILTER_FLAG_LOG", SCMPD_PROFILE_FLAG_LOG },
        { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMPD_PROFILE_FLAG_SPEC_ALLOW },
};

static bool action_takes_data(uint32_t action)
{
        return (action & 0xffff0000U) == SCMPD_ACT_ERRNO(0) ||
               (action & 0xffff0000U) == SCMPD_ACT_TRACE(0);
}

/* Model lifetime. */

static void strv_free(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static void cond_done(struct scmpd_profile_cond *c)
{
        strv_free(c->arches, c->n_arches);
        strv_free(c->caps, c->n_caps);
}

_public_ struct scmpd_profile *scmpd_profile_free(struct scmpd_profile *p)
{
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_syscalls; i++) {
                struct scmpd_profile_syscall *s = &p->syscalls[i];
                strv_free(s->names, s->n_names);
                free(s->args);
                cond_done(&s->includes);
                cond_done(&s->excludes);
        }
        free(p->syscalls);
        for (size_t i = 0; i < p->n_arch_map; i++)
                free(p->arch_map[i].sub_arches);
        free(p->arch_map);
        free(p->arches);
        free(p->listener_path);
        free(p->listener_metadata);
        free(p);
        return NULL;
}

_public_ const char *scmpd_profile_listener_path(const struct scmpd_profile *p)
{
        return p ? p->listener_path : NULL;
}

_public_ const char *scmpd_profile_listener_metadata(const struct scmpd_profile *p)
{
        return p ? p->listener_metadata : NULL;
}

/* Parser state: the JSON path of the current node, the first error, the big-number table. */

struct parser {
        char path[512];
        size_t path_len;
        int error_rc;
        char *error;
        scmpd_profile_warn_fn warn;
        void *userdata;
        const char *text; /* the original text, for big-number tokens */
        size_t *big_off;  /* offset and length of each big integer token */
        size_t *big_len;
        size_t n_big;
        size_t n_names;
};

static size_t path_push_key(struct parser *ps, const char *key)
{
        size_t old = ps->path_len;
        int n = snprintf(ps->path + old, sizeof(ps->path) - old, "%s%s", old > 0 ? "." : "", key);
        if (n > 0)
                ps->path_len = min_size(old + (size_t)n, sizeof(ps->path) - 1);
        return old;
}

static size_t path_push_index(struct parser *ps, size_t index)
{
        size_t old = ps->path_len;
        int n = snprintf(ps->path + old, sizeof(ps->path) - old, "[%zu]", index);
        if (n > 0)
                ps->path_len = min_size(old + (size_t)n, sizeof(ps->path) - 1);
        return old;
}

static void path_pop(struct parser *ps, size_t old)
{
        ps->path_len = old;
        ps->path[old] = '\0';
}

/* Record the first error as "PATH: reason" (or just the reason at the root). Returns rc. */
_printf_(3, 4) static int parser_fail(struct parser *ps, int rc, const char *fmt, ...)
{
        char reason[768];
        va_list ap;

        if (ps->error)
                return ps->error_rc;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        if (ps->path_len > 0) {
                if (asprintf(&ps->error, "%s: %s", ps->path, reason) < 0)
                        ps->error = NULL;
        } else {
                ps->error = strdup(reason);
        }
        ps->error_rc = rc;
        return rc;
}

_printf_(2, 3) static void parser_warn(struct parser *ps, const char *fmt, ...)
{
        char reason[768], msg[1400];
        va_list ap;

        if (!ps->warn)
                return;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        if (ps->path_len > 0)
                snprintf(msg, sizeof(msg), "%s: %s", ps->path, reason);
        else
                snprintf(msg, sizeof(msg), "%s", reason);
        ps->warn(msg, ps->userdata);
}

static const char *json_kind(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_NULL:
        default:
                return "null";
        }
}

static int expect_type(struct parser *ps, const json_t *v, json_type type, const char *what)
{
        if (json_typeof(v) == type)
                return 0;
        return parser_fail(ps, -EINVAL, "expected %s, got %s", what, json_kind(v));
}

/* A JSON null counts as absent, as it does for the Go structs the runtimes decode into. */
static json_t *member(const json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);
        return v && !json_is_null(v) ? v : NULL;
}

static int warn_unknown_keys(struct parser *ps, const json_t *cobj, const char *const *known)
{
        json_t *obj = (json_t *)cobj; /* jansson iterates only non-const objects */
        const char *key;
        json_t *v;

        json_object_foreach (obj, key, v) {
                bool found = false;
                for (size_t i = 0; known[i]; i++)
                        if (strcmp(known[i], key) == 0)
                                found = true;
                if (!found) {
                        size_t old = path_push_key(ps, key);
                        parser_warn(ps, "unknown key ignored");
                        path_pop(ps, old);
                }
        }
        return 0;
}

static int parse_string(struct parser *ps, const json_t *v, size_t max, char **ret)
{
        int r = expect_type(ps, v, JSON_STRING, "a string");
        if (r < 0)
                return r;
        size_t len = json_string_length(v);
        if (len > max)
                return parser_fail(ps, -E2BIG, "%zu bytes long, more than the limit of %zu", len,
                                   max);
        char *s = strndup(json_string_value(v), len);
        if (!s)
                return parser_fail(ps, -ENOMEM, "out of memory");
        *ret = s;
        return 0;
}

/* An optional string member at obj.key: absent or "" leave *ret NULL. */
static int parse_optional_string(struct parser *ps, const json_t *obj, const char *key, size_t max,
                                 char **ret)
{
        json_t *v = member(obj, key);
        size_t old;
        int r;

        if (!v)
                return 0;
        old = path_push_key(ps, key);
        r = parse_string(ps, v, max, ret);
        if (r >= 0 && (*ret)[0] == '\0')
                *ret = mfree(*ret);
        path_pop(ps, old);
        return r;
}

/* An unsigned integer of at most `max`. Placeholders from the byte scan are resolved here. */
static int parse_uint(struct parser *ps, const json_t *v, uint64_t max, uint64_t *ret)
{
        if (json_is_integer(v)) {
                json_int_t i = json_integer_value(v);
                if (i < 0 || (uint64_t)i > max)
                        return parser_fail(
                                ps, -EINVAL,
                                "%" JSON_INTEGER_FORMAT " is out of range (0-%" PRIu64 ")", i, max);
                *ret = (uint64_t)i;
                return 0;
        }
        if (json_is_real(v)) {
                double d = json_real_value(v);
                if (d == 0.0)
                        return parser_fail(ps, -EINVAL,
                                           "expected an integer, got a number with a fraction "
                                           "or an exponent");
                double k = -d - 0.5;
                if (k < 0 || k >= (double)ps->n_big || (double)(size_t)k != k)
                        return parser_fail(ps, -EINVAL, "expected an integer, got a number");
                size_t idx = (size_t)k;
                char tok[32];
                size_t len = ps->big_len[idx];
                if (len >= sizeof(tok))
                        len = sizeof(tok) - 1;
                memcpy(tok, ps->text + ps->big_off[idx], len);
                tok[len] = '\0';
                errno = 0;
                char *end;
                unsigned long long u = tok[0] == '-' ? 0 : strtoull(tok, &end, 10);
                if (tok[0] == '-' || errno != 0 || ps->big_len[idx] >= sizeof(tok) || u > max)
                        return parser_fail(ps, -EINVAL, "%s%s is out of range (0-%" PRIu64 ")", tok,
                                           ps->big_len[idx] >= sizeof(tok) ? "..." : "", max);
                *ret = u;
                return 0;
        }
        return parser_fail(ps, -EINVAL, "expected an integer, got %s", json_kind(v));
}

/* An array of at most `max` elements (null or absent: empty). */
static int expect_array(struct parser *ps, const json_t *v, size_t max, const char *what)
{
        int r = expect_type(ps, v, JSON_ARRAY, what);
        if (r < 0)
                return r;
        if (json_array_size(v) > max)
                return parser_fail(ps, -E2BIG, "%zu entries, more than the limit of %zu",
                                   json_array_size(v), max);
        return 0;
}

static int parse_strv(struct parser *ps, const json_t *obj, const char *key, size_t max,
                      char ***ret, size_t *ret_n)
{
        json_t *v = member(obj, key);
        size_t old = path_push_key(ps, key);
        int r = 0;

        if (!v)
                goto out;
        r = expect_array(ps, v, max, "an array of strings");
        if (r < 0)
                goto out;
        size_t n = json_array_size(v);
        char **strv = calloc(n ? n : 1, sizeof(char *));
        if (!strv) {
                r = parser_fail(ps, -ENOMEM, "out of memory");
                goto out;
        }
        *ret = strv;
        for (size_t i = 0; i < n; i++) {
                size_t o = path_push_index(ps, i);
                r = parse_string(ps, json_array_get(v, i), SCMPD_PROFILE_MAX_STRING, &strv[i]);
                path_pop(ps, o);
                if (r < 0)
                        goto out;
                *ret_n = i + 1;
        }
out:
        path_pop(ps, old);
        return r;
}

static int parse_arch(struct parser *ps, const json_t *v, uint32_t *ret)
{
        int r = expect_type(ps, v, JSON_STRING, "a string");
        if (r < 0)
                return r;
        const struct profile_arch *a = profile_arch_by_name(json_string_value(v));
        if (!a)
                return parser_fail(ps, -EINVAL, "unknown architecture \"%.64s\"",
                                   json_string_value(v));
        *ret = a->token;
        return 0;
}

static int parse_arch_list(struct parser *ps, const json_t *obj, const char *key, uint32_t **ret,
                           size_t *ret_n)
{
        json_t *v = member(obj, key);
        size_t old = path_push_key(ps, key);
        int r = 0;

        if (!v)
                goto out;
        r = expect_array(ps, v, SCMPD_PROFILE_MAX_LIST, "an array of strings");
        if (r < 0)
                goto out;
        size_t n = json_array_size(v);
        uint32_t *arches = calloc(n ? n : 1, sizeof(uint32_t));
        if (!arches) {
                r = parser_fail(ps, -ENOMEM, "out of memory");
                goto out;
        }
        *ret = arches;
        for (size_t i = 0; i < n; i++) {
                size_t o = path_push_index(ps, i);
                r = parse_arch(ps, json_array_get(v, i), &arches[i]);
                path_pop(ps, o);
                if (r < 0)
                        goto out;
                *ret_n = i + 1;
        }
out:
        path_pop(ps, old);
        return r;
}

/* moby's "<kernel>.<major>", each part 0-255, not 0.0; "" means no condition. */
static int parse_kernel_version(struct parser *ps, const json_t *v, struct scmpd_profile_cond *c)
{
        int r = expect_type(ps, v, JSON_STRING, "a string");
        if (r < 0)
                return r;
        const char *s = json_string_value(v);
        if (s[0] == '\0')
                return 0;
        unsigned parts[2] = { 0, 0 };
        const char *p = s;
        for (int i = 0; i < 2; i++) {
                size_t digits = 0;
                unsigned val = 0;
                while (isdigit((unsigned char)*p) && digits < 4) {
                        val = val * 10 + (unsigned)(*p - '0');
                        p++;
                        digits++;
                }
                if (digits == 0 || val > 255 || (i == 0 && *p != '.') || (i == 1 && *p != '\0'))
                        return parser_fail(ps, -EINVAL,
                                           "invalid kernel version \"%.32s\", expected "
                                           "\"<kernel>.<major>\"",
                                           s);
                parts[i] = val;
                p++;
        }
        if (parts[0] == 0 && parts[1] == 0)
                return parser_fail(ps, -EINVAL, "invalid kernel version \"%s\": cannot be 0.0", s);
        c->has_min_kernel = true;
        c->min_kernel_major = parts[0];
        c->min_kernel_minor = parts[1];
        return 0;
}

static int parse_cond(struct parser *ps, const json_t *parent, const char *key,
                      struct scmpd_profile_cond *c)
{
        static const char *const known[] = { "arches", "caps", "minKernel", NULL };
        json_t *obj = member(parent, key);
        size_t old = path_push_key(ps, key);
        int r = 0;

        if (!obj)
                goto out;
        r = expect_type(ps, obj, JSON_OBJECT, "an object");
        if (r < 0)
                goto out;
        warn_unknown_keys(ps, obj, known);
        r = parse_strv(ps, obj, "arches", SCMPD_PROFILE_MAX_LIST, &c->arches, &c->n_arches);
        if (r < 0)
                goto out;
        for (size_t i = 0; i < c->n_arches; i++)
                if (!profile_arch_go_known(c->arches[i])) {
                        size_t o = path_push_key(ps, "arches");
                        size_t o2 = path_push_index(ps, i);
                        parser_warn(ps,
                                    "\"%.64s\" is not an arch name runtimes match, so it "
                                    "never matches",
                                    c->arches[i]);
                        path_pop(ps, o2);
                        path_pop(ps, o);
                }
        r = parse_strv(ps, obj, "caps", SCMPD_PROFILE_MAX_LIST, &c->caps, &c->n_caps);
        if (r < 0)
                goto out;
        json_t *mk = member(obj, "minKernel");
        if (mk) {
                size_t o = path_push_key(ps, "minKernel");
                r = parse_kernel_version(ps, mk, c);
                path_pop(ps, o);
        }
out:
        path_pop(ps, old);
        return r;
}

static int parse_action(struct parser *ps, const json_t *v, uint32_t *ret)
{
        int r = expect_type(ps, v, JSON_STRING, "a string");
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(profile_actions); i++)
                if (strcmp(profile_actions[i].name, json_string_value(v)) == 0) {
                        *ret = profile_actions[i].action;
                        return 0;
                }
        return parser_fail(ps, -EINVAL, "unknown action \"%.64s\"", json_string_value(v));
}

static int parse_arg(struct parser *ps, const json_t *obj, struct scmpd_profile_arg *a)
{
        static const char *const known[] = { "index", "value", "valueTwo", "op", NULL };
        uint64_t u;
        size_t old;
        int r;

        r = expect_type(ps, obj, JSON_OBJECT, "an object");
        if (r < 0)
                return r;
        warn_unknown_keys(ps, obj, known);

        json_t *index = member(obj, "index");
        old = path_push_key(ps, "index");
        if (!index)
                r = parser_fail(ps, -EINVAL, "required");
        else if (json_is_integer(index) &&
                 (json_integer_value(index) < 0 || json_integer_value(index) >= SCMPD_ARGS_MAX))
                r = parser_fail(ps, -EINVAL, "%" JSON_INTEGER_FORMAT " is out of range (0-%d)",
                                json_integer_value(index), SCMPD_ARGS_MAX - 1);
        else
                r = parse_uint(ps, index, SCMPD_ARGS_MAX - 1, &u);
        path_pop(ps, old);
        if (r < 0)
                return r;
        a->index = (unsigned)u;

        json_t *op = member(obj, "op");
        old = path_push_key(ps, "op");
        if (!op)
                r = parser_fail(ps, -EINVAL, "required");
        else
                r = expect_type(ps, op, JSON_STRING, "a string");
        if (r >= 0) {
                r = -EINVAL;
                for (size_t i = 0; i < ELEMENTSOF(profile_ops); i++)
                        if (strcmp(profile_ops[i].name, json_string_value(op)) == 0) {
                                a->op = profile_ops[i].op;
                                r = 0;
                        }
                if (r < 0)
                        r = parser_fail(ps, -EINVAL, "unknown operator \"%.64s\"",
                                        json_string_value(op));
        }
        path_pop(ps, old);
        if (r < 0)
                return r;

        json_t *value = member(obj, "value");
        if (value) {
                old = path_push_key(ps, "value");
                r = parse_uint(ps, value, UINT64_MAX, &a->value);
                path_pop(ps, old);
                if (r < 0)
                        return r;
        }

        /* runc passes valueTwo along for every operator and libseccomp ignores it unless the
         * operator is MASKED_EQ; a non-zero valueTwo elsewhere is a mistake, so refuse it. An
         * explicit 0 is what older profiles (and Go encoders without omitempty) write. */
        json_t *value_two = member(obj, "valueTwo");
        if (value_two) {
                old = path_push_key(ps, "valueTwo");
                r = parse_uint(ps, value_two, UINT64_MAX, &a->value_two);
                if (r >= 0 && a->value_two != 0 && a->op != SCMPD_CMP_MASKED_EQ)
                        r = parser_fail(ps, -EINVAL, "%s takes no second value",
                                        json_string_value(op));
                path_pop(ps, old);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_syscall(struct parser *ps, const json_t *obj, struct scmpd_profile_syscall *s)
{
        static const char *const known[] = { "names",   "name",     "action",   "errnoRet", "args",
                                             "comment", "includes", "excludes", NULL };
        size_t old;
        int r;

        r = expect_type(ps, obj, JSON_OBJECT, "an object");
        if (r < 0)
                return r;
        warn_unknown_keys(ps, obj, known);

        json_t *name = member(obj, "name");
        json_t *names = member(obj, "names");
        if (name && names && json_is_array(names) && json_array_size(names) > 0 &&
            json_is_string(name) && json_string_length(name) > 0)
                return parser_fail(ps, -EINVAL,
                                   "'name' and 'names' were specified, use either 'name' or "
                                   "'names'");
        r = parse_strv(ps, obj, "names", SCMPD_PROFILE_MAX_NAMES, &s->names, &s->n_names);
        if (r < 0)
                return r;
        if (name) {
                old = path_push_key(ps, "name");
                char *n = NULL;
                r = parse_string(ps, name, SCMPD_PROFILE_MAX_STRING, &n);
                path_pop(ps, old);
                if (r < 0)
                        return r;
                if (!n || n[0] == '\0') { /* (never NULL here; -O3 cannot tell) */
                        free(n);
                } else {
                        free(s->names);
                        s->names = calloc(1, sizeof(char *));
                        if (!s->names) {
                                free(n);
                                return parser_fail(ps, -ENOMEM, "out of memory");
                        }
                        s->names[0] = n;
                        s->n_names = 1;
                }
        }
        for (size_t i = 0; i < s->n_names; i++)
                if (s->names[i][0] == '\0') {
                        old = path_push_key(ps, "names");
                        path_push_index(ps, i);
                        r = parser_fail(ps, -EINVAL, "empty string is not a valid syscall name");
                        path_pop(ps, old);
                        return r;
                }
        ps->n_names += s->n_names;
        if (ps->n_names > SCMPD_PROFILE_MAX_NAMES)
                return parser_fail(ps, -E2BIG, "more than %u syscall names in the whole profile",
                                   SCMPD_PROFILE_MAX_NAMES);
        if (s->n_names == 0)
                parser_warn(ps, "no syscall names, entry has no effect");

        json_t *action = member(obj, "action");
        old = path_push_key(ps, "action");
        r = action ? parse_action(ps, action, &s->action) : parser_fail(ps, -EINVAL, "required");
        path_pop(ps, old);
        if (r < 0)
                return r;

        json_t *errno_ret = member(obj, "errnoRet");
        if (errno_ret) {
                uint64_t u;
                old = path_push_key(ps, "errnoRet");
                r = parse_uint(ps, errno_ret, 0xffff, &u);
                if (r >= 0 && !action_takes_data(s->action))
                        parser_warn(ps, "ignored: the action is not SCMP_ACT_ERRNO or "
                                        "SCMP_ACT_TRACE");
                path_pop(ps, old);
                if (r < 0)
                        return r;
                s->has_errno_ret = true;
                s->errno_ret = (uint32_t)u;
        }
        if (action_takes_data(s->action))
                s->action |= s->has_errno_ret ? s->errno_ret : (uint32_t)EPERM;

        json_t *args = member(obj, "args");
        if (args) {
                old = path_push_key(ps, "args");
                r = expect_array(ps, args, SCMPD_PROFILE_MAX_ARGS, "an array");
                if (r >= 0 && json_array_size(args) > 0) {
                        s->args = calloc(json_array_size(args), sizeof(*s->args));
                        if (!s->args)
                                r = parser_fail(ps, -ENOMEM, "out of memory");
                }
                for (size_t i = 0; r >= 0 && i < json_array_size(args); i++) {
                        size_t o = path_push_index(ps, i);
                        r = parse_arg(ps, json_array_get(args, i), &s->args[i]);
                        path_pop(ps, o);
                        if (r >= 0)
                                s->n_args = i + 1;
                }
                path_pop(ps, old);
                if (r < 0)
                        return r;
        }

        json_t *comment = member(obj, "comment");
        if (comment) {
                old = path_push_key(ps, "comment");
                r = expect_type(ps, comment, JSON_STRING, "a string");
                path_pop(ps, old);
                if (r < 0)
                        return r;
        }

        r = parse_cond(ps, obj, "includes", &s->includes);
        if (r < 0)
                return r;
        return parse_cond(ps, obj, "excludes", &s->excludes);
}

static int parse_arch_map(struct parser *ps, const json_t *obj, struct scmpd_profile_arch_map *m)
{
        static const char *const known[] = { "architecture", "subArchitectures", NULL };
        int r = expect_type(ps, obj, JSON_OBJECT, "an object");
        if (r < 0)
                return r;
        warn_unknown_keys(ps, obj, known);

        json_t *arch = member(obj, "architecture");
        size_t old = path_push_key(ps, "architecture");
        r = arch ? parse_arch(ps, arch, &m->arch) : parser_fail(ps, -EINVAL, "required");
        path_pop(ps, old);
        if (r < 0)
                return r;
        return parse_arch_list(ps, obj, "subArchitectures", &m->sub_arches, &m->n_sub_arches);
}

static int parse_seccomp(struct parser *ps, const json_t *obj, struct scmpd_profile *p)
{
        static const char *const known[] = { "defaultAction", "defaultErrnoRet",  "architectures",
                                             "archMap",       "syscalls",         "flags",
                                             "listenerPath",  "listenerMetadata", NULL };
        size_t old;
        int r;

        r = expect_type(ps, obj, JSON_OBJECT, "an object");
        if (r < 0)
                return r;
        warn_unknown_keys(ps, obj, known);

        json_t *def = member(obj, "defaultAction");
        old = path_push_key(ps, "defaultAction");
        r = def ? parse_action(ps, def, &p->default_action) : parser_fail(ps, -EINVAL, "required");
        /* runc refuses this: notifying every syscall includes the runtime's own write() of the
         * listener fd number, which would deadlock container start. */
        if (r >= 0 && p->default_action == SCMPD_ACT_NOTIFY)
                r = parser_fail(ps, -EINVAL, "SCMP_ACT_NOTIFY cannot be used as default action");
        path_pop(ps, old);
        if (r < 0)
                return r;

        json_t *der = member(obj, "defaultErrnoRet");
        if (der) {
                uint64_t u;
                old = path_push_key(ps, "defaultErrnoRet");
                r = parse_uint(ps, der, 0xffff, &u);
                if (r >= 0 && !action_takes_data(p->default_action))
                        parser_warn(ps, "ignored: the default action is not SCMP_ACT_ERRNO or "
                                        "SCMP_ACT_TRACE");
                path_pop(ps, old);
                if (r < 0)
                        return r;
                p->has_default_errno_ret = true;
                p->default_errno_ret = (uint32_t)u;
        }
        if (action_takes_data(p->default_action))
                p->default_action |=
                        p->has_default_errno_ret ? p->default_errno_ret : (uint32_t)EPERM;

        r = parse_arch_list(ps, obj, "architectures", &p->arches, &p->n_arches);
        if (r < 0)
                return r;

        json_t *map = member(obj, "archMap");
        if (map) {
                old = path_push_key(ps, "archMap");
                r = expect_array(ps, map, SCMPD_PROFILE_MAX_LIST, "an array");
                if (r >= 0 && json_array_size(map) > 0) {
                        p->arch_map = calloc(json_array_size(map), sizeof(*p->arch_map));
                        if (!p->arch_map)
                                r = parser_fail(ps, -ENOMEM, "out of memory");
                }
                for (size_t i = 0; r >= 0 && i < json_array_size(map); i++) {
                        size_t o = path_push_index(ps, i);
                        p->n_arch_map = i + 1;
                        r = parse_arch_map(ps, json_array_get(map, i), &p->arch_map[i]);
                        path_pop(ps, o);
                }
                path_pop(ps, old);
                if (r < 0)
                        return r;
        }
        if (p->n_arches > 0 && p->n_arch_map > 0)
                return parser_fail(ps, -EINVAL,
                                   "'architectures' and 'archMap' were specified, use either "
                                   "'architectures' or 'archMap'");

        json_t *flags = member(obj, "flags");
        if (flags) {
                old = path_push_key(ps, "flags");
                r = expect_array(ps, flags, SCMPD_PROFILE_MAX_LIST, "an array of strings");
                for (size_t i = 0; r >= 0 && i < json_array_size(flags); i++) {
                        json_t *f = json_array_get(flags, i);
                        size_t o = path_push_index(ps, i);
                        r = expect_type(ps, f, JSON_STRING, "a string");
                        if (r >= 0) {
                                r = -EINVAL;
                                for (size_t j = 0; j < ELEMENTSOF(profile_flags); j++)
                                        if (strcmp(profile_flags[j].name, json_string_value(f)) ==
                                            0) {
                                                p->flags |= profile_flags[j].flag;
                                                r = 0;
                                        }
                                if (r < 0)
                                        r = parser_fail(ps, -EINVAL, "unknown flag \"%.64s\"",
                                                        json_string_value(f));
                        }
                        path_pop(ps, o);
                }
                path_pop(ps, old);
                if (r < 0)
                        return r;
        }
        /* runc tells "no flags key" (it then sets SPEC_ALLOW) from an explicit empty list. */
        p->has_flags =
                json_object_get(obj, "flags") && json_is_array(json_object_get(obj, "flags"));

        r = parse_optional_string(ps, obj, "listenerPath", SOCKET_PATH_MAX, &p->listener_path);
        if (r >= 0)
                r = parse_optional_string(ps, obj, "listenerMetadata", SCMPD_PROFILE_MAX_STRING,
                                          &p->listener_metadata);
        if (r < 0)
                return r;

        json_t *syscalls = member(obj, "syscalls");
        if (syscalls) {
                old = path_push_key(ps, "syscalls");
                r = expect_array(ps, syscalls, SCMPD_PROFILE_MAX_SYSCALLS, "an array");
                if (r >= 0 && json_array_size(syscalls) > 0) {
                        p->syscalls = calloc(json_array_size(syscalls), sizeof(*p->syscalls));
                        if (!p->syscalls)
                                r = parser_fail(ps, -ENOMEM, "out of memory");
                }
                for (size_t i = 0; r >= 0 && i < json_array_size(syscalls); i++) {
                        size_t o = path_push_index(ps, i);
                        p->n_syscalls = i + 1;
                        r = parse_syscall(ps, json_array_get(syscalls, i), &p->syscalls[i]);
                        path_pop(ps, o);
                }
                path_pop(ps, old);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Stage 1: bound size and depth; make every number jansson will see exact (see the top). */
static int scan_number(const char *s, size_t len, bool *ret_integer)
{
        size_t i = 0;
        bool integer = true;

        if (i < len && s[i] == '-')
                i++;
        if (i >= len || !isdigit((unsigned char)s[i]))
                return -EINVAL;
        if (s[i] == '0')
                i++;
        else
                while (i < len && isdigit((unsigned char)s[i]))
                        i++;
        if (i < len && s[i] == '.') {
                integer = false;
                i++;
                if (i >= len || !isdigit((unsigned char)s[i]))
                        return -EINVAL;
                while (i < len && isdigit((unsigned char)s[i]))
                        i++;
        }
        if (i < len && (s[i] == 'e' || s[i] == 'E')) {
                integer = false;
                i++;
                if (i < len && (s[i] == '+' || s[i] == '-'))
                        i++;
                if (i >= len || !isdigit((unsigned char)s[i]))
                        return -EINVAL;
                while (i < len && isdigit((unsigned char)s[i]))
                        i++;
        }
        if (i != len)
                return -EINVAL;
        *ret_integer = integer;
        return 0;
}

static bool integer_fits_int64(const char *s, size_t len)
{
        const char *limit = s[0] == '-' ? "-9223372036854775808" : "9223372036854775807";
        size_t limit_len = strlen(limit);
        if (len != limit_len)
                return len < limit_len;
        return memcmp(s, limit, len) <= 0;
}

static void line_col(const char *text, size_t pos, size_t *ret_line, size_t *ret_col)
{
        size_t line = 1, col = 1;
        for (size_t i = 0; i < pos; i++) {
                if (text[i] == '\n') {
                        line++;
                        col = 1;
                } else {
                        col++;
                }
        }
        *ret_line = line;
        *ret_col = col;
}

static int prescan(struct parser *ps, char *copy, size_t len)
{
        size_t depth = 0;

        for (size_t i = 0; i < len; i++) {
                char c = copy[i];
                if (c == '"') {
                        for (i++; i < len && copy[i] != '"'; i++)
                                if (copy[i] == '\\')
                                        i++;
                } else if (c == '[' || c == '{') {
                        if (++depth > SCMPD_PROFILE_MAX_DEPTH) {
                                size_t line, col;
                                line_col(copy, i, &line, &col);
                                return parser_fail(ps, -E2BIG,
                                                   "line %zu, column %zu: nested deeper than %u "
                                                   "levels",
                                                   line, col, SCMPD_PROFILE_MAX_DEPTH);
                        }
                } else if (c == ']' || c == '}') {
                        if (depth > 0)
                                depth--;
                } else if (c == '-' || isdigit((unsigned char)c)) {
                        size_t start = i, n;
                        bool integer;
                        while (i < len && (isdigit((unsigned char)copy[i]) || copy[i] == '-' ||
                                           copy[i] == '+' || copy[i] == '.' || copy[i] == 'e' ||
                                           copy[i] == 'E'))
                                i++;
                        n = i - start;
                        i--;
                        if (scan_number(copy + start, n, &integer) < 0)
                                continue; /* jansson reports it */
                        if (integer && integer_fits_int64(copy + start, n))
                                continue;
                        if (integer) {
                                size_t *o =
                                        reallocarray(ps->big_off, ps->n_big + 1, sizeof(size_t));
                                if (!o)
                                        return parser_fail(ps, -ENOMEM, "out of memory");
                                ps->big_off = o;
                                size_t *l =
                                        reallocarray(ps->big_len, ps->n_big + 1, sizeof(size_t));
                                if (!l)
                                        return parser_fail(ps, -ENOMEM, "out of memory");
                                ps->big_len = l;
                                ps->big_off[ps->n_big] = start;
                                ps->big_len[ps->n_big] = n;
                                /* n >= 19 here, and "-K.5" is at most 12 bytes. */
                                char ph[24];
                                int m = snprintf(ph, sizeof(ph), "-%zu.5", ps->n_big);
                                memset(copy + start, ' ', n);
                                memcpy(copy + start, ph, (size_t)m);
                                ps->n_big++;
                        } else {
                                /* A valid non-integer token is at least 3 bytes long. */
                                memset(copy + start, ' ', n);
                                memcpy(copy + start, "0.0", 3);
                        }
                }
        }
        return 0;
}

_public_ int scmpd_profile_parse(const char *json, size_t len, scmpd_profile_warn_fn warn,
                                 void *userdata, struct scmpd_profile **ret, char **ret_error)
{
        struct parser ps = { .warn = warn, .userdata = userdata, .text = json };
        _cleanup_(scmpd_profile_freep) struct scmpd_profile *p = NULL;
        _cleanup_free_ char *copy = NULL;
        json_t *root = NULL;
        json_error_t jerr;
        int r;

        if (!json && len > 0)
                return -EINVAL;
        if (len > SCMPD_PROFILE_MAX_SIZE) {
                r = parser_fail(&ps, -E2BIG, "profile is %zu bytes, more than the limit of %u", len,
                                SCMPD_PROFILE_MAX_SIZE);
                goto out;
        }
        copy = malloc(len + 1);
        if (!copy) {
                r = parser_fail(&ps, -ENOMEM, "out of memory");
                goto out;
        }
        if (len > 0)
                memcpy(copy, json, len);
        copy[len] = '\0';
        r = prescan(&ps, copy, len);
        if (r < 0)
                goto out;

        root = json_loadb(copy, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                r = parser_fail(&ps, -EINVAL, "line %d, column %d: %s", jerr.line, jerr.column,
                                jerr.text);
                goto out;
        }

        p = calloc(1, sizeof(*p));
        if (!p) {
                r = parser_fail(&ps, -ENOMEM, "out of memory");
                goto out;
        }

        /* A whole OCI config.json: take linux.seccomp. */
        json_t *obj = root;
        json_t *linux_obj = json_object_get(root, "linux");
        if (linux_obj && !json_object_get(root, "defaultAction") &&
            !json_object_get(root, "syscalls")) {
                size_t old = path_push_key(&ps, "linux");
                r = expect_type(&ps, linux_obj, JSON_OBJECT, "an object");
                if (r < 0)
                        goto out;
                obj = member(linux_obj, "seccomp");
                path_push_key(&ps, "seccomp");
                if (!obj) {
                        r = parser_fail(&ps, -EINVAL, "required");
                        goto out;
                }
                r = parse_seccomp(&ps, obj, p);
                path_pop(&ps, old);
        } else {
                r = parse_seccomp(&ps, obj, p);
        }
        if (r < 0)
                goto out;

        *ret = steal_ptr(&p);
        r = 0;
out:
        json_decref(root);
        free(ps.big_off);
        free(ps.big_len);
        if (r < 0 && ret_error)
                *ret_error = steal_ptr(&ps.error);
        free(ps.error);
        return r;
}

_public_ int scmpd_profile_parse_file(const char *path, scmpd_profile_warn_fn warn, void *userdata,
                                      struct scmpd_profile **ret, char **ret_error)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        struct stat st;

        if (!path)
                return -EINVAL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0) {
                int r = negative_errno();
                if (ret_error && asprintf(ret_error, "%s: %s", path, strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
                if (ret_error && asprintf(ret_error, "%s: not a regular file", path) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        /* Read one byte past the limit so that an oversized file is reported as such. */
        buf = malloc(SCMPD_PROFILE_MAX_SIZE + 1);
        if (!buf)
                return -ENOMEM;
        while (len < SCMPD_PROFILE_MAX_SIZE + 1) {
                ssize_t n = read(fd, buf + len, SCMPD_PROFILE_MAX_SIZE + 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int r = negative_errno();
                        if (ret_error && asprintf(ret_error, "%s: %s", path, strerror(-r)) < 0)
                                *ret_error = NULL;
                        return r;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        return scmpd_profile_parse(buf, len, warn, userdata, ret, ret_error);
}
