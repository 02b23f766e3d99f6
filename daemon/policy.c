/*
 * The policy file: parse, validate, match.
 *
 * Model: a config is built completely, or not at all. Parsing checks every member (unknown keys
 * are errors, so a typo cannot silently weaken a policy), resolves every handler, opens and
 * ABI-checks every plugin and starts every handler instance before the config is returned.
 * Afterwards it is immutable and shared by reference: the daemon holds one, every session holds
 * the one its policy came from, every notification in flight holds one. The last reference stops
 * the instances and closes the plugins.
 *
 * Errors are collected as one human-readable sentence naming where in the file it went wrong.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wctype.h>

#include "errno_name.h"
#include "policy.h"
#include "scmpd/arch.h"
#include "util.h"

#define MAX_POLICIES 1024
#define MAX_RULES 4096
#define MAX_CHAIN 32
#define MAX_LIST 1024
#define BUILTIN_SOURCE "built-in default"

/* Without a policy file scmpd audits every notification and answers continue, so the kernel
 * decides as it would have without the NOTIFY rule: a new user sees the container's calls (in
 * the log, `scmpctl monitor` and `scmpctl audit`) and nothing breaks. scmpd.json(5) gives the
 * reasoning; a file replaces all of it. */
static const char builtin_default[] =
        "{ \"default\": \"continue\", \"policies\": [ { \"name\": \"built-in default\", "
        "\"rules\": [ { \"syscalls\": [\"*\"], \"chain\": [\"audit\", \"continue\"] } ] } ] }";

struct parse {
        char *error;
        struct config *c;
        json_t *handlers; /* the "handlers" object, or NULL */
        unsigned flags;   /* CONFIG_* */
};

static int fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse *p, const char *fmt, ...)
{
        va_list ap;

        if (p->error)
                return -EINVAL;
        va_start(ap, fmt);
        if (vasprintf(&p->error, fmt, ap) < 0)
                p->error = NULL;
        va_end(ap);
        return -EINVAL;
}

/* Refuse members other than the allowed ones. */
static int check_keys(struct parse *p, json_t *obj, const char *where, const char *const *allowed)
{
        const char *key;
        json_t *v;

        json_object_foreach (obj, key, v) {
                bool ok = false;

                for (size_t i = 0; allowed[i]; i++)
                        if (strcmp(key, allowed[i]) == 0)
                                ok = true;
                if (!ok)
                        return fail(p, "%s: unknown member \"%s\"", where, key);
        }
        return 0;
}

/* An errno given as a name or a number 1..4095. */
static int parse_errno(struct parse *p, json_t *v, const char *where, int *ret)
{
        if (json_is_string(v)) {
                int e = errno_from_name(json_string_value(v));

                if (e < 0)
                        return fail(p, "%s: unknown errno name \"%s\"", where,
                                    json_string_value(v));
                *ret = e;
                return 0;
        }
        if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 4095) {
                *ret = (int)json_integer_value(v);
                return 0;
        }
        return fail(p, "%s: errno must be a name like \"EPERM\" or a number 1..4095", where);
}

/* "continue" | "kill" | {"errno": E} | {"value": N} */
static int parse_verdict(struct parse *p, json_t *v, const char *where, struct scmpd_verdict *ret)
{
        static const char *const keys[] = { "errno", "value", NULL };
        json_t *x;

        if (json_is_string(v)) {
                if (strcmp(json_string_value(v), "continue") == 0) {
                        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_CONTINUE };
                        return 0;
                }
                if (strcmp(json_string_value(v), "kill") == 0) {
                        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_KILL };
                        return 0;
                }
                return fail(p, "%s: unknown verdict \"%s\"", where, json_string_value(v));
        }
        if (!json_is_object(v) || json_object_size(v) != 1 || check_keys(p, v, where, keys) < 0)
                return fail(p,
                            "%s: a verdict is \"continue\", \"kill\", {\"errno\": E} or "
                            "{\"value\": N}",
                            where);
        if ((x = json_object_get(v, "errno"))) {
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND };
                return parse_errno(p, x, where, &ret->error);
        }
        x = json_object_get(v, "value");
        if (!json_is_integer(x))
                return fail(p, "%s: \"value\" must be an integer", where);
        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND,
                                       .val = json_integer_value(x) };
        return 0;
}

static int parse_limits(struct parse *p, json_t *v)
{
        static const char *const keys[] = {
                "connections", "listeners",         "inflight_per_listener", "handoff_timeout_ms",
                "workers",     "max_message_bytes", "handler_timeout_ms",    NULL
        };
        struct {
                const char *key;
                unsigned *field;
                unsigned min, max;
        } f[] = {
                { "connections", &p->c->limits.connections, 1, 65536 },
                { "listeners", &p->c->limits.listeners, 1, 1 << 20 },
                { "inflight_per_listener", &p->c->limits.inflight_per_listener, 1, 4096 },
                { "handoff_timeout_ms", &p->c->limits.handoff_timeout_ms, 10, 3600 * 1000 },
                { "workers", &p->c->limits.workers, 1, 128 },
                { "max_message_bytes", &p->c->limits.max_message_bytes, 256,
                  SCMPD_HANDOFF_MAX_SIZE },
                { "handler_timeout_ms", &p->c->limits.handler_timeout_ms, 1, 3600 * 1000 },
        };

        if (!json_is_object(v))
                return fail(p, "limits: must be an object");
        if (check_keys(p, v, "limits", keys) < 0)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(f); i++) {
                json_t *x = json_object_get(v, f[i].key);

                if (!x)
                        continue;
                if (!json_is_integer(x) || json_integer_value(x) < f[i].min ||
                    json_integer_value(x) > f[i].max)
                        return fail(p, "limits.%s: must be an integer in %u..%u", f[i].key,
                                    f[i].min, f[i].max);
                *f[i].field = (unsigned)json_integer_value(x);
        }
        return 0;
}

/* `member` completes the path in the message: "policies[0].name: must be a string". */
static char *dup_string(struct parse *p, json_t *v, const char *where, const char *member)
{
        char *s;

        if (!json_is_string(v)) {
                fail(p, "%s.%s: must be a string", where, member);
                return NULL;
        }
        s = strdup(json_string_value(v));
        if (!s)
                fail(p, "out of memory");
        return s;
}

/* The index just past the "]" that closes the bracket expression opening at g[i] ("["), or 0
 * with *ret_why set when it is malformed. fnmatch(3)'s syntax without FNM_NOESCAPE. */
static size_t bracket_end(const char *g, size_t i, const char **ret_why)
{
        size_t j = i + 1;

        if (g[j] == '!' || g[j] == '^')
                j++;
        if (g[j] == ']') /* first: a literal "]" */
                j++;
        for (; g[j] != ']'; j++) {
                unsigned char lo, hi;

                if (!g[j]) {
                        *ret_why = "a \"[\" without its \"]\" (write \"\\\\[\" for a literal one)";
                        return 0;
                }
                if (g[j] == '[' && (g[j + 1] == ':' || g[j + 1] == '.' || g[j + 1] == '=')) {
                        char kind = g[j + 1], name[32];
                        size_t k = j + 2;

                        while (g[k] && !(g[k] == kind && g[k + 1] == ']'))
                                k++;
                        if (!g[k]) {
                                *ret_why = "a \"[:\" without its \":]\"";
                                return 0;
                        }
                        if (kind == ':') {
                                if (k - (j + 2) >= sizeof(name)) {
                                        *ret_why = "an unknown character class";
                                        return 0;
                                }
                                memcpy(name, g + j + 2, k - (j + 2));
                                name[k - (j + 2)] = '\0';
                                if (!wctype(name)) {
                                        *ret_why = "an unknown character class";
                                        return 0;
                                }
                        }
                        j = k + 1;
                        continue;
                }
                if (g[j] == '\\' && g[j + 1])
                        j++;
                lo = (unsigned char)g[j];
                if (g[j + 1] == '-' && g[j + 2] && g[j + 2] != ']') {
                        j += 2;
                        if (g[j] == '\\' && g[j + 1])
                                j++;
                        hi = (unsigned char)g[j];
                        if (hi < lo) {
                                *ret_why = "a range whose end comes before its start";
                                return 0;
                        }
                }
        }
        return j + 1;
}

int glob_check(const char *g, char **ret_error)
{
        const char *why = NULL;

        for (size_t i = 0; !why && g && g[i];) {
                if (g[i] == '\\') {
                        if (!g[i + 1])
                                why = "a lone \"\\\\\" at the end";
                        else
                                i += 2;
                } else if (g[i] == '[') {
                        i = bracket_end(g, i, &why);
                        if (!i && !why)
                                why = "a malformed bracket expression";
                } else
                        i++;
        }
        if (!why)
                return 0;
        if (ret_error)
                *ret_error = strdup(why);
        return -EINVAL;
}

/* A string that is a glob: as dup_string(), and a valid fnmatch(3) pattern (one that is not
 * would never match what it was meant to). */
static char *dup_glob(struct parse *p, json_t *v, const char *where, const char *member)
{
        char *s = dup_string(p, v, where, member);
        _cleanup_free_ char *why = NULL;

        if (s && glob_check(s, &why) < 0) {
                fail(p, "%s.%s: \"%.128s\" is not a valid glob: %s", where, member, s,
                     why ? why : "out of memory");
                free(s);
                return NULL;
        }
        return s;
}

static int add_instance(struct parse *p, struct handler_instance *h)
{
        struct handler_instance **n;

        n = reallocarray(p->c->instances, p->c->n_instances + 1, sizeof(*n));
        if (!n)
                return fail(p, "out of memory");
        p->c->instances = n;
        n[p->c->n_instances++] = h;
        return 0;
}

/* Resolve a handler by name (built-in, or from "handlers") and start an instance of it. */
static int make_instance(struct parse *p, const char *name, json_t *conf, const char *where,
                         struct handler_instance **ret)
{
        const struct scmpd_handler_ops *ops = builtin_handler(name);
        _cleanup_free_ char *text = NULL;
        struct handler_instance *h;
        json_t *def = NULL;
        int r;

        if (!ops) {
                json_t *path;
                void *dl = NULL, **n;
                char *err = NULL;

                def = p->handlers ? json_object_get(p->handlers, name) : NULL;
                if (!def)
                        return fail(p, "%s: unknown handler \"%s\"", where, name);
                path = json_object_get(def, "path");
                r = plugin_open(json_string_value(path), &dl, &ops, &err);
                if (r < 0) {
                        fail(p, "%s: handler \"%s\": %s", where, name, err ? err : strerror(-r));
                        free(err);
                        return -EINVAL;
                }
                n = reallocarray(p->c->plugins, p->c->n_plugins + 1, sizeof(*n));
                if (!n) {
                        dlclose(dl);
                        return fail(p, "out of memory");
                }
                p->c->plugins = n;
                n[p->c->n_plugins++] = dl;
                if (!conf)
                        conf = json_object_get(def, "config");
        }

        text = conf ? json_dumps(conf, JSON_COMPACT) : strdup("{}");
        if (!text)
                return fail(p, "out of memory");
        h = calloc(1, sizeof(*h));
        if (!h)
                return fail(p, "out of memory");
        h->ops = ops;
        handler_host_init(h, ops->abi_version);
        h->name = strdup(name);
        h->wants_strings = !builtin_handler(name) || strcmp(name, "audit") == 0 ||
                           strcmp(name, "mount") == 0 || strcmp(name, "mknod") == 0 ||
                           strcmp(name, "xattr") == 0; /* emulate */
        if (!h->name || add_instance(p, h) < 0) {
                free(h->name);
                free(h);
                return fail(p, "out of memory");
        }
        if (ops->start) {
                /* What the handler logs at LOG_ERR meanwhile is its reason (handlers/host.c):
                 * one error line that names the place in the file, not a second, placeless one. */
                h->starting = true;
                r = ops->start(&h->host, text, &h->state);
                h->starting = false;
                if (r < 0)
                        return fail(p, "%s: handler \"%s\" refused its configuration: %s", where,
                                    name, h->start_error ? h->start_error : strerror(-r));
                if (h->start_error) /* an error it reported and then accepted: say it */
                        log_error("%s: handler %s: %s", where, name, h->start_error);
                free(h->start_error);
                h->start_error = NULL;
        }
        h->started = true;
        *ret = h;
        return 0;
}

/* CONFIG_OPEN_ALL_HANDLERS (--check-config): a handler the file defines and no chain names would
 * only fail when a later edit uses it. Open it now: dlopen and ABI check, and start it with the
 * definition's "config" when it has one (what a chain naming it alone would give it). */
static int open_unused_handlers(struct parse *p)
{
        const char *key;
        json_t *def;

        if (!p->handlers)
                return 0;
        json_object_foreach (p->handlers, key, def) {
                _cleanup_free_ char *where = NULL;
                struct handler_instance *h;
                const struct scmpd_handler_ops *ops;
                bool used = false;
                void *dl = NULL;
                char *err = NULL;
                int r;

                for (size_t i = 0; i < p->c->n_instances && !used; i++)
                        used = strcmp(p->c->instances[i]->name, key) == 0;
                if (used)
                        continue;
                if (asprintf(&where, "handlers.%s", key) < 0) {
                        where = NULL;
                        return fail(p, "out of memory");
                }
                if (json_object_get(def, "config")) {
                        if (make_instance(p, key, NULL, where, &h) < 0)
                                return -EINVAL;
                        continue;
                }
                r = plugin_open(json_string_value(json_object_get(def, "path")), &dl, &ops, &err);
                if (r < 0) {
                        fail(p, "%s: handler \"%s\": %s", where, key, err ? err : strerror(-r));
                        free(err);
                        return -EINVAL;
                }
                dlclose(dl);
        }
        return 0;
}

/* A chain element: "name" or {"handler": "name", "config": {...}} or a built-in's shorthand
 * {"errno": E} / {"value": N}. */
static int parse_chain_entry(struct parse *p, json_t *v, const char *where,
                             struct handler_instance **ret)
{
        static const char *const keys[] = { "handler", "config", "timeout_ms", "fallback", NULL };
        json_t *h, *conf, *timeout, *fallback;
        int r;

        if (json_is_string(v))
                return make_instance(p, json_string_value(v), NULL, where, ret);
        if (!json_is_object(v))
                return fail(p, "%s: a chain entry is a handler name or an object", where);
        if (json_object_get(v, "errno") && json_object_size(v) == 1)
                return make_instance(p, "errno", v, where, ret);
        if (json_object_get(v, "value") && json_object_size(v) == 1)
                return make_instance(p, "value", v, where, ret);
        if ((json_object_get(v, "errno") || json_object_get(v, "value")) &&
            !json_object_get(v, "handler")) {
                const char *key;
                json_t *x;

                /* A shorthand with something more: name what is more, not the shorthand. */
                json_object_foreach (v, key, x)
                        if (strcmp(key, "errno") != 0 && strcmp(key, "value") != 0)
                                return fail(p,
                                            "%s: unknown member \"%s\" (the shorthands "
                                            "{\"errno\": E} and {\"value\": N} take no other)",
                                            where, key);
                return fail(p, "%s: \"errno\" and \"value\" together", where);
        }
        if (check_keys(p, v, where, keys) < 0)
                return -EINVAL;
        h = json_object_get(v, "handler");
        conf = json_object_get(v, "config");
        if (!json_is_string(h))
                return fail(p, "%s: \"handler\" must name a handler", where);
        if (conf && !json_is_object(conf))
                return fail(p, "%s: \"config\" must be an object", where);
        /* A deadline for this entry (blocking and deferred handlers) and its verdict. */
        timeout = json_object_get(v, "timeout_ms");
        fallback = json_object_get(v, "fallback");
        if (timeout && (!json_is_integer(timeout) || json_integer_value(timeout) < 1 ||
                        json_integer_value(timeout) > 3600 * 1000))
                return fail(p, "%s: \"timeout_ms\" must be an integer in 1..3600000", where);
        r = make_instance(p, json_string_value(h), conf, where, ret);
        if (r < 0)
                return r;
        if (timeout)
                (*ret)->timeout_ms = (unsigned)json_integer_value(timeout);
        if (fallback) {
                char w[160];

                if (snprintf(w, sizeof(w), "%s.fallback", where) >= (int)sizeof(w))
                        w[sizeof(w) - 1] = '\0'; /* a long path in a message is cut */
                if (parse_verdict(p, fallback, w, &(*ret)->fallback) < 0)
                        return -EINVAL;
                (*ret)->has_fallback = true;
        }
        return 0;
}

static int parse_op(const char *s, enum arg_op *ret)
{
        static const char *const ops[] = { "eq", "ne", "lt", "le", "gt", "ge", "masked_eq" };

        for (size_t i = 0; i < ELEMENTSOF(ops); i++)
                if (strcmp(s, ops[i]) == 0) {
                        *ret = (enum arg_op)i;
                        return 0;
                }
        return -EINVAL;
}

static int parse_rule(struct parse *p, json_t *v, const char *where, struct rule *r)
{
        static const char *const keys[] = { "syscalls", "args", "strings", "chain", NULL };
        static const char *const arg_keys[] = { "index", "op", "value", "mask", NULL };
        static const char *const str_keys[] = { "index", "glob", NULL };
        json_t *sys, *args, *strs, *chain, *x;
        size_t i;

        if (!json_is_object(v))
                return fail(p, "%s: a rule must be an object", where);
        if (check_keys(p, v, where, keys) < 0)
                return -EINVAL;
        sys = json_object_get(v, "syscalls");
        if (!json_is_array(sys) || json_array_size(sys) == 0 || json_array_size(sys) > MAX_LIST)
                return fail(p, "%s: \"syscalls\" must be a non-empty array of names", where);
        r->syscalls = calloc(json_array_size(sys), sizeof(char *));
        if (!r->syscalls)
                return fail(p, "out of memory");
        json_array_foreach (sys, i, x) {
                const char *name = json_string_value(x);

                if (!name)
                        return fail(p, "%s: syscall names must be strings", where);
                if (strcmp(name, "*") != 0 &&
                    scmpd_syscall_nr(scmpd_arch_native(), name) == SCMPD_NR_NONE)
                        return fail(p, "%s: unknown syscall \"%s\"", where, name);
                r->syscalls[i] = strdup(name);
                r->n_syscalls = i + 1;
                if (!r->syscalls[i])
                        return fail(p, "out of memory");
        }

        args = json_object_get(v, "args");
        if (args) {
                if (!json_is_array(args) || json_array_size(args) > 6)
                        return fail(p, "%s: \"args\" must be an array of at most 6 conditions",
                                    where);
                r->args = calloc(json_array_size(args) + 1, sizeof(*r->args));
                if (!r->args)
                        return fail(p, "out of memory");
                json_array_foreach (args, i, x) {
                        struct arg_cond *a = &r->args[i];
                        json_t *idx = json_object_get(x, "index"), *op = json_object_get(x, "op"),
                               *val = json_object_get(x, "value"),
                               *mask = json_object_get(x, "mask");

                        if (!json_is_object(x) || check_keys(p, x, where, arg_keys) < 0)
                                return fail(p, "%s: an argument condition must be an object",
                                            where);
                        if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
                            json_integer_value(idx) > 5)
                                return fail(p, "%s: argument \"index\" must be 0..5", where);
                        if (!json_is_string(op) || parse_op(json_string_value(op), &a->op) < 0)
                                return fail(p,
                                            "%s: \"op\" must be one of eq, ne, lt, le, gt, ge, "
                                            "masked_eq",
                                            where);
                        if (!json_is_integer(val))
                                return fail(p, "%s: argument \"value\" must be an integer", where);
                        if (mask && !json_is_integer(mask))
                                return fail(p, "%s: argument \"mask\" must be an integer", where);
                        if (a->op == ARG_MASKED_EQ && !mask)
                                return fail(p, "%s: masked_eq needs a \"mask\"", where);
                        a->index = (unsigned)json_integer_value(idx);
                        a->value = (uint64_t)json_integer_value(val);
                        a->mask = mask ? (uint64_t)json_integer_value(mask) : 0;
                        r->n_args = i + 1;
                }
        }

        strs = json_object_get(v, "strings");
        if (strs) {
                if (!json_is_array(strs) || json_array_size(strs) > 6)
                        return fail(p, "%s: \"strings\" must be an array of at most 6 conditions",
                                    where);
                r->strs = calloc(json_array_size(strs) + 1, sizeof(*r->strs));
                if (!r->strs)
                        return fail(p, "out of memory");
                json_array_foreach (strs, i, x) {
                        json_t *idx = json_object_get(x, "index"),
                               *glob = json_object_get(x, "glob");

                        if (!json_is_object(x) || check_keys(p, x, where, str_keys) < 0)
                                return fail(p, "%s: a string condition must be an object", where);
                        if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
                            json_integer_value(idx) > 5)
                                return fail(p, "%s: string \"index\" must be 0..5", where);
                        r->strs[i].index = (unsigned)json_integer_value(idx);
                        r->strs[i].glob = dup_glob(p, glob, where, "strings[].glob");
                        if (!r->strs[i].glob)
                                return -EINVAL;
                        r->n_strs = i + 1;
                        r->string_mask |= 1U << r->strs[i].index;
                }
                r->needs_strings = r->n_strs > 0;
        }

        chain = json_object_get(v, "chain");
        if (!json_is_array(chain) || json_array_size(chain) == 0 ||
            json_array_size(chain) > MAX_CHAIN)
                return fail(p, "%s: \"chain\" must be a non-empty array of at most %d handlers",
                            where, MAX_CHAIN);
        r->chain = calloc(json_array_size(chain), sizeof(*r->chain));
        if (!r->chain)
                return fail(p, "out of memory");
        json_array_foreach (chain, i, x) {
                char w[160];

                snprintf(w, sizeof(w), "%s.chain[%zu]", where, i);
                if (parse_chain_entry(p, x, w, &r->chain[i]) < 0)
                        return -EINVAL;
                r->n_chain = i + 1;
                if (r->chain[i]->wants_strings)
                        r->needs_strings = true;
        }
        return 0;
}

/* Users or groups by name or id, for intake.c's "handoff": {"uids": [0, "alice"], "groups":
 * ["scmpd", 1000]} (root may always hand over) and for "match": {"peer": ...}. Names are resolved
 * now, so that a name that does not exist is an error here and never a surprise at accept time. */
static int parse_ids(struct parse *p, json_t *v, bool user, const char *where, size_t *ret_n,
                     unsigned **ret_ids)
{
        size_t i, n = json_array_size(v);
        json_t *x;

        if (!json_is_array(v) || n > 1024)
                return fail(p, "%s: must be an array of at most 1024 names or ids", where);
        *ret_ids = calloc(n + 1, sizeof(unsigned));
        if (!*ret_ids)
                return fail(p, "out of memory");
        json_array_foreach (v, i, x) {
                long long id = json_is_integer(x) ? json_integer_value(x) : -1;

                if (json_is_string(x)) {
                        char buf[16384];
                        struct passwd pw, *pwr = NULL;
                        struct group gr, *grr = NULL;

                        if (user &&
                            getpwnam_r(json_string_value(x), &pw, buf, sizeof(buf), &pwr) == 0 &&
                            pwr)
                                id = pwr->pw_uid;
                        else if (!user &&
                                 getgrnam_r(json_string_value(x), &gr, buf, sizeof(buf), &grr) ==
                                         0 &&
                                 grr)
                                id = grr->gr_gid;
                        else
                                return fail(p, "%s: no %s named \"%s\"", where,
                                            user ? "user" : "group", json_string_value(x));
                }
                if (id < 0 || id >= 0xffffffffLL)
                        return fail(p, "%s: entries must be names or ids in 0..4294967294", where);
                (*ret_ids)[i] = (unsigned)id;
                *ret_n = i + 1;
        }
        return 0;
}

/* "peer": {"uids": [...], "groups": [...], "root": bool}: attested by SO_PEERCRED at accept. */
static int parse_match_peer(struct parse *p, json_t *v, const char *where, struct policy *pol)
{
        static const char *const keys[] = { "uids", "groups", "root", NULL };
        json_t *x;

        if (!json_is_object(v) || check_keys(p, v, where, keys) < 0)
                return fail(p, "%s: \"peer\" must be an object with \"uids\", \"groups\", \"root\"",
                            where);
        if ((x = json_object_get(v, "uids")) &&
            parse_ids(p, x, true, where, &pol->n_peer_uids, &pol->peer_uids) < 0)
                return -EINVAL;
        if ((x = json_object_get(v, "groups")) &&
            parse_ids(p, x, false, where, &pol->n_peer_gids, &pol->peer_gids) < 0)
                return -EINVAL;
        if ((x = json_object_get(v, "uids")) && json_array_size(x) == 0)
                return fail(p, "%s: peer \"uids\" must not be empty", where);
        if ((x = json_object_get(v, "groups")) && json_array_size(x) == 0)
                return fail(p, "%s: peer \"groups\" must not be empty", where);
        if ((x = json_object_get(v, "root"))) {
                if (!json_is_boolean(x))
                        return fail(p, "%s: peer \"root\" must be true or false", where);
                pol->peer_root = json_is_true(x);
        }
        return 0;
}

/* "target": {"user_namespace": "initial"|"other", "user_namespace_owner": [...],
 * "host_mount_namespace": bool, "cgroup": glob}: read by scmpd from /proc for each notification. */
static int parse_match_target(struct parse *p, json_t *v, const char *where, struct policy *pol)
{
        static const char *const keys[] = { "user_namespace", "user_namespace_owner",
                                            "host_mount_namespace", "cgroup", NULL };
        json_t *x;

        if (!json_is_object(v) || check_keys(p, v, where, keys) < 0)
                return fail(p, "%s: \"target\" must be an object", where);
        pol->match_target = true;
        if ((x = json_object_get(v, "user_namespace"))) {
                const char *u = json_string_value(x);

                if (u && strcmp(u, "initial") == 0)
                        pol->target_userns = 0;
                else if (u && strcmp(u, "other") == 0)
                        pol->target_userns = 1;
                else
                        return fail(p, "%s: \"user_namespace\" is \"initial\" or \"other\"", where);
        }
        if ((x = json_object_get(v, "user_namespace_owner"))) {
                if (parse_ids(p, x, true, where, &pol->n_userns_owners, &pol->userns_owners) < 0)
                        return -EINVAL;
                if (pol->n_userns_owners == 0)
                        return fail(p, "%s: \"user_namespace_owner\" must not be empty", where);
        }
        if ((x = json_object_get(v, "host_mount_namespace"))) {
                if (!json_is_boolean(x))
                        return fail(p, "%s: \"host_mount_namespace\" must be true or false", where);
                pol->target_host_mntns = json_is_true(x);
        }
        if ((x = json_object_get(v, "cgroup")) &&
            !(pol->target_cgroup = dup_glob(p, x, where, "match.target.cgroup")))
                return -EINVAL;
        return 0;
}

static int parse_match(struct parse *p, json_t *v, const char *where, struct policy *pol)
{
        static const char *const keys[] = { "metadata", "container", "annotations",
                                            "peer",     "target",    NULL };
        json_t *ann, *x;
        const char *key;
        size_t i = 0;

        if (!json_is_object(v))
                return fail(p, "%s: \"match\" must be an object", where);
        if (check_keys(p, v, where, keys) < 0)
                return -EINVAL;
        if ((x = json_object_get(v, "peer")) && parse_match_peer(p, x, where, pol) < 0)
                return -EINVAL;
        if ((x = json_object_get(v, "target")) && parse_match_target(p, x, where, pol) < 0)
                return -EINVAL;
        if ((x = json_object_get(v, "metadata")) &&
            !(pol->match_metadata = dup_glob(p, x, where, "match.metadata")))
                return -EINVAL;
        if ((x = json_object_get(v, "container")) &&
            !(pol->match_container = dup_glob(p, x, where, "match.container")))
                return -EINVAL;
        ann = json_object_get(v, "annotations");
        if (!ann)
                return 0;
        if (!json_is_object(ann) || json_object_size(ann) > MAX_LIST)
                return fail(p, "%s: \"annotations\" must be an object of globs", where);
        pol->annotation_keys = calloc(json_object_size(ann) + 1, sizeof(char *));
        pol->annotation_globs = calloc(json_object_size(ann) + 1, sizeof(char *));
        if (!pol->annotation_keys || !pol->annotation_globs)
                return fail(p, "out of memory");
        json_object_foreach (ann, key, x) {
                pol->annotation_keys[i] = strdup(key);
                pol->annotation_globs[i] = dup_glob(p, x, where, "match.annotations[]");
                pol->n_annotations = ++i;
                if (!pol->annotation_keys[i - 1] || !pol->annotation_globs[i - 1])
                        return fail(p, "out of memory");
        }
        return 0;
}

static int parse_policy(struct parse *p, json_t *v, size_t index, struct policy *pol)
{
        static const char *const keys[] = { "name", "match", "rules", "default", NULL };
        char where[96];
        json_t *rules, *x;
        size_t i;

        snprintf(where, sizeof(where), "policies[%zu]", index);
        pol->peer_root = pol->target_userns = pol->target_host_mntns = -1;
        if (!json_is_object(v))
                return fail(p, "%s: must be an object", where);
        if (check_keys(p, v, where, keys) < 0)
                return -EINVAL;
        if ((x = json_object_get(v, "name")) && !(pol->name = dup_string(p, x, where, "name")))
                return -EINVAL;
        if ((x = json_object_get(v, "match")) && parse_match(p, x, where, pol) < 0)
                return -EINVAL;
        if ((x = json_object_get(v, "default"))) {
                if (parse_verdict(p, x, where, &pol->default_verdict) < 0)
                        return -EINVAL;
                pol->has_default = true;
        }
        rules = json_object_get(v, "rules");
        if (!rules)
                return 0;
        if (!json_is_array(rules) || json_array_size(rules) > MAX_RULES)
                return fail(p, "%s: \"rules\" must be an array", where);
        pol->rules = calloc(json_array_size(rules) + 1, sizeof(*pol->rules));
        if (!pol->rules)
                return fail(p, "out of memory");
        json_array_foreach (rules, i, x) {
                char w[128];

                snprintf(w, sizeof(w), "%s.rules[%zu]", where, i);
                pol->n_rules = i + 1;
                if (parse_rule(p, x, w, &pol->rules[i]) < 0)
                        return -EINVAL;
                for (size_t j = 0; j < pol->rules[i].n_chain; j++)
                        if (pol->rules[i].chain[j]->ops->flags & SCMPD_HANDLER_LENDS_PRIVILEGE)
                                pol->lends_privilege = true;
        }
        return 0;
}

static int parse_handoff(struct parse *p, json_t *v)
{
        static const char *const keys[] = { "uids", "groups", NULL };
        json_t *x;

        if (!json_is_object(v) || check_keys(p, v, "handoff", keys) < 0)
                return fail(p, "handoff: must be an object with \"uids\" and/or \"groups\"");
        if ((x = json_object_get(v, "uids")) &&
            parse_ids(p, x, true, "handoff.uids", &p->c->n_handoff_uids, &p->c->handoff_uids) < 0)
                return -EINVAL;
        if ((x = json_object_get(v, "groups")) &&
            parse_ids(p, x, false, "handoff.groups", &p->c->n_handoff_gids, &p->c->handoff_gids) <
                    0)
                return -EINVAL;
        return 0;
}

/* intake_lxc.c: "lxc_proxy": "unix:/run/scmpd/lxc.sock", "unix:@name", a bare absolute path or
 * "@name", or null (off). Kept in socket.c's form: a path, or "@" and an abstract name. */
static int parse_lxc_proxy(struct parse *p, json_t *v)
{
        const char *a;

        if (json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return fail(p, "lxc_proxy: must be \"unix:PATH\", \"unix:@NAME\" or null");
        a = json_string_value(v);
        if (strncmp(a, "unix:", 5) == 0)
                a += 5;
        if ((a[0] != '/' && a[0] != '@') || strlen(a) < 2 || strlen(a) >= 108 ||
            strlen(a) != json_string_length(v) - (size_t)(a - json_string_value(v)))
                return fail(p, "lxc_proxy: must be \"unix:\" and an absolute path or \"@\" and "
                               "an abstract name, shorter than 108 bytes");
        p->c->lxc_proxy = strdup(a);
        return p->c->lxc_proxy ? 0 : fail(p, "out of memory");
}

static int parse_root(struct parse *p, json_t *root)
{
        static const char *const keys[] = { "limits",   "handlers",  "default",
                                            "policies", "control",   "sandbox",
                                            "handoff",  "lxc_proxy", NULL };
        static const char *const handler_keys[] = { "path", "config", NULL };
        static const char *const control_keys[] = { "group", NULL }; /* for control.c */
        json_t *x, *pols;
        const char *key;
        size_t i;

        if (!json_is_object(root))
                return fail(p, "the top level must be an object");
        if (check_keys(p, root, "top level", keys) < 0)
                return -EINVAL;
        if ((x = json_object_get(root, "limits")) && parse_limits(p, x) < 0)
                return -EINVAL;
        if ((x = json_object_get(root, "control"))) { /* control.c: who may connect */
                json_t *g = json_object_get(x, "group");

                if (!json_is_object(x) || check_keys(p, x, "control", control_keys) < 0)
                        return fail(p, "control: must be an object with a \"group\" member");
                if (g && !json_is_null(g) &&
                    (!json_is_string(g) || json_string_length(g) == 0 ||
                     json_string_length(g) > 64))
                        return fail(p, "control.group: must be a group name, or null");
                if (g) { /* null: root only */
                        free(p->c->control_group);
                        p->c->control_group = NULL;
                        p->c->control_group_default = false;
                }
                if (g && !json_is_null(g) && !(p->c->control_group = strdup(json_string_value(g))))
                        return fail(p, "out of memory");
        }
        if ((x = json_object_get(root, "sandbox"))) { /* sandbox.c */
                if (!json_is_boolean(x))
                        return fail(p, "sandbox: must be true or false");
                p->c->sandbox = json_is_true(x);
        }
        if ((x = json_object_get(root, "handoff")) && parse_handoff(p, x) < 0) /* intake.c */
                return -EINVAL;
        if ((x = json_object_get(root, "lxc_proxy")) && parse_lxc_proxy(p, x) < 0)
                return -EINVAL;
        p->handlers = json_object_get(root, "handlers");
        if (p->handlers) {
                if (!json_is_object(p->handlers))
                        return fail(p, "handlers: must be an object");
                json_object_foreach (p->handlers, key, x) {
                        json_t *path = json_object_get(x, "path"), *conf;

                        if (!json_is_object(x) || check_keys(p, x, "handlers", handler_keys) < 0)
                                return fail(p, "handlers.%s: must be an object", key);
                        if (builtin_handler(key))
                                return fail(p, "handlers.%s: the name is taken by a built-in", key);
                        if (!json_is_string(path) || json_string_value(path)[0] != '/')
                                return fail(p, "handlers.%s: \"path\" must be an absolute path",
                                            key);
                        conf = json_object_get(x, "config");
                        if (conf && !json_is_object(conf))
                                return fail(p, "handlers.%s: \"config\" must be an object", key);
                }
        }
        if ((x = json_object_get(root, "default")) &&
            parse_verdict(p, x, "default", &p->c->default_verdict) < 0)
                return -EINVAL;
        pols = json_object_get(root, "policies");
        if (!pols)
                return 0;
        if (!json_is_array(pols) || json_array_size(pols) > MAX_POLICIES)
                return fail(p, "policies: must be an array");
        p->c->policies = calloc(json_array_size(pols) + 1, sizeof(*p->c->policies));
        if (!p->c->policies)
                return fail(p, "out of memory");
        json_array_foreach (pols, i, x) {
                p->c->n_policies = i + 1;
                if (parse_policy(p, x, i, &p->c->policies[i]) < 0)
                        return -EINVAL;
        }
        return 0;
}

static void free_strv(char **v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

static void config_free(struct config *c)
{
        for (size_t i = 0; i < c->n_policies; i++) {
                struct policy *pol = &c->policies[i];

                free(pol->name);
                free(pol->match_metadata);
                free(pol->match_container);
                free_strv(pol->annotation_keys, pol->n_annotations);
                free_strv(pol->annotation_globs, pol->n_annotations);
                free(pol->peer_uids);
                free(pol->peer_gids);
                free(pol->userns_owners);
                free(pol->target_cgroup);
                for (size_t j = 0; j < pol->n_rules; j++) {
                        struct rule *r = &pol->rules[j];

                        free_strv(r->syscalls, r->n_syscalls);
                        free(r->args);
                        for (size_t k = 0; k < r->n_strs; k++)
                                free(r->strs[k].glob);
                        free(r->strs);
                        free(r->chain);
                }
                free(pol->rules);
        }
        free(c->policies);
        for (size_t i = 0; i < c->n_instances; i++) {
                struct handler_instance *h = c->instances[i];

                if (h->started && h->ops->stop)
                        h->ops->stop(h->state);
                free(h->start_error);
                free(h->name);
                free(h);
        }
        free(c->instances);
        for (size_t i = 0; i < c->n_plugins; i++)
                dlclose(c->plugins[i]);
        free(c->plugins);
        free(c->control_group); /* control.c */
        free(c->lxc_proxy);     /* intake_lxc.c */
        free(c->handoff_uids);  /* intake.c */
        free(c->handoff_gids);
        free(c->source);
        free(c);
}

struct config *config_ref(struct config *c)
{
        if (c)
                c->refs++;
        return c;
}

struct config *config_unref(struct config *c)
{
        if (c && --c->refs == 0)
                config_free(c);
        return NULL;
}

int config_load_string_flags(const char *text, const char *source, unsigned flags,
                             struct config **ret_config, char **ret_error)
{
        struct parse p = { .flags = flags };
        json_error_t jerr;
        json_t *root;

        p.c = calloc(1, sizeof(*p.c));
        if (!p.c)
                return -ENOMEM;
        p.c->refs = 1;
        p.c->source = strdup(source);
        p.c->limits = (struct limits){
                .connections = 64,
                .listeners = 4096,
                .inflight_per_listener = 64,
                .handoff_timeout_ms = 30000,
                .workers = 4,
                .max_message_bytes = SCMPD_HANDOFF_MAX_SIZE,
                .handler_timeout_ms = 30000,
        };
        p.c->default_verdict =
                (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = ENOSYS };
        p.c->sandbox = true; /* sandbox.c: on unless the policy says "sandbox": false */
        /* control.c: the group the shipped units create (sysusers) and give the control socket
         * to (SocketGroup=scmpd) is admitted unless the policy names another or null. */
        p.c->control_group = strdup("scmpd");
        p.c->control_group_default = true;
        root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                fail(&p, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        else if (parse_root(&p, root) >= 0 && (flags & CONFIG_OPEN_ALL_HANDLERS))
                open_unused_handlers(&p);
        if (root)
                json_decref(root);
        if (p.error || !p.c->source) {
                int r = p.error ? -EINVAL : -ENOMEM;

                if (ret_error) {
                        if (asprintf(ret_error, "%s: %s", source,
                                     p.error ? p.error : "out of memory") < 0)
                                *ret_error = NULL;
                }
                free(p.error);
                config_unref(p.c);
                return r;
        }
        *ret_config = p.c;
        return 0;
}

int config_load_string(const char *text, const char *source, struct config **ret_config,
                       char **ret_error)
{
        return config_load_string_flags(text, source, 0, ret_config, ret_error);
}

int config_load_flags(const char *path, bool required, unsigned flags, struct config **ret_config,
                      char **ret_error)
{
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f;

        f = fopen(path, "re");
        if (!f) {
                int r = negative_errno();

                if (r == -ENOENT && !required)
                        return config_load_string_flags(builtin_default, BUILTIN_SOURCE, flags,
                                                        ret_config, ret_error);
                if (asprintf(ret_error, "%s: %s", path, strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        text = malloc(SCMPD_HANDOFF_MAX_SIZE * 4 + 1);
        if (text)
                size = fread(text, 1, SCMPD_HANDOFF_MAX_SIZE * 4 + 1, f);
        fclose(f);
        if (!text)
                return -ENOMEM;
        if (size > SCMPD_HANDOFF_MAX_SIZE * 4) {
                if (asprintf(ret_error, "%s: the file is larger than 4 MiB", path) < 0)
                        *ret_error = NULL;
                return -EFBIG;
        }
        text[size] = 0;
        if (strlen(text) != size) {
                if (asprintf(ret_error, "%s: the file contains a NUL byte", path) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        return config_load_string_flags(text, path, flags, ret_config, ret_error);
}

int config_load(const char *path, bool required, struct config **ret_config, char **ret_error)
{
        return config_load_flags(path, required, 0, ret_config, ret_error);
}

static bool glob_match(const char *glob, const char *s)
{
        return s && fnmatch(glob, s, 0) == 0;
}

static bool id_listed(const unsigned *ids, size_t n, unsigned id)
{
        for (size_t i = 0; i < n; i++)
                if (ids[i] == id)
                        return true;
        return false;
}

/* "peer": the kernel's word on who handed the listener over. A policy whose chain lends
 * privileges is for root peers only, unless it names the peers it is for. */
static bool peer_matches(const struct policy *pol, const struct peer_facts *peer)
{
        bool named = pol->n_peer_uids > 0 || pol->n_peer_gids > 0;

        if (pol->lends_privilege && !named && !peer_is_root(peer))
                return false;
        if (pol->peer_root >= 0 && peer_is_root(peer) != (pol->peer_root == 1))
                return false;
        if (!named)
                return true;
        if (!peer->known)
                return false;
        if (id_listed(pol->peer_uids, pol->n_peer_uids, peer->uid) ||
            id_listed(pol->peer_gids, pol->n_peer_gids, peer->gid))
                return true;
        for (size_t i = 0; i < peer->n_groups; i++)
                if (id_listed(pol->peer_gids, pol->n_peer_gids, peer->groups[i]))
                        return true;
        return false;
}

static bool target_matches(const struct policy *pol, const struct target_facts *t)
{
        if (!t->known)
                return false;
        if (pol->target_userns >= 0 && t->initial_userns != (pol->target_userns == 0))
                return false;
        if (pol->n_userns_owners > 0 &&
            !id_listed(pol->userns_owners, pol->n_userns_owners, t->userns_owner))
                return false;
        if (pol->target_host_mntns >= 0 && t->host_mntns != (pol->target_host_mntns == 1))
                return false;
        if (pol->target_cgroup && !glob_match(pol->target_cgroup, t->cgroup))
                return false;
        return true;
}

const struct policy *config_match_listener(const struct config *c,
                                           const struct scmpd_handoff_state *origin,
                                           const struct peer_facts *peer,
                                           const struct target_facts *target, bool *ret_need_target)
{
        *ret_need_target = false;
        for (size_t i = 0; i < c->n_policies; i++) {
                const struct policy *pol = &c->policies[i];
                bool ok = peer_matches(pol, peer);

                if (ok && pol->match_metadata && !glob_match(pol->match_metadata, origin->metadata))
                        ok = false;
                if (ok && pol->match_container && !glob_match(pol->match_container, origin->id))
                        ok = false;
                for (size_t j = 0; ok && j < pol->n_annotations; j++)
                        ok = glob_match(
                                pol->annotation_globs[j],
                                scmpd_handoff_state_annotation(origin, pol->annotation_keys[j]));
                if (ok && pol->match_target) {
                        if (!target) {
                                *ret_need_target = true;
                                return NULL;
                        }
                        ok = target_matches(pol, target);
                }
                if (ok)
                        return pol;
        }
        return NULL;
}

static bool arg_matches(const struct arg_cond *a, uint64_t v)
{
        switch (a->op) {
        case ARG_EQ:
                return v == a->value;
        case ARG_NE:
                return v != a->value;
        case ARG_LT:
                return v < a->value;
        case ARG_LE:
                return v <= a->value;
        case ARG_GT:
                return v > a->value;
        case ARG_GE:
                return v >= a->value;
        case ARG_MASKED_EQ:
                return (v & a->mask) == a->value;
        }
        return false;
}

const struct rule *policy_match_rule(const struct policy *p, const struct scmpd_notification *v,
                                     char *const *strings, bool *ret_need_strings)
{
        *ret_need_strings = false;
        for (size_t i = 0; i < p->n_rules; i++) {
                const struct rule *r = &p->rules[i];
                bool ok = false;

                for (size_t j = 0; j < r->n_syscalls && !ok; j++)
                        ok = strcmp(r->syscalls[j], "*") == 0 ||
                             (v->syscall && strcmp(r->syscalls[j], v->syscall) == 0);
                for (size_t j = 0; ok && j < r->n_args; j++)
                        ok = arg_matches(&r->args[j], v->args[r->args[j].index]);
                if (!ok)
                        continue;
                if (r->n_strs > 0 && !strings) {
                        *ret_need_strings = true;
                        return NULL;
                }
                for (size_t j = 0; ok && j < r->n_strs; j++)
                        ok = glob_match(r->strs[j].glob, strings[r->strs[j].index]);
                if (ok)
                        return r;
        }
        return NULL;
}

struct scmpd_verdict config_default_verdict(const struct config *c, const struct policy *p)
{
        if (p && p->has_default)
                return p->default_verdict;
        return c->default_verdict;
}

/* SIGHUP and the control socket: the whole file again, swapped in only when valid. */
int daemon_reload(struct daemon *d, char **ret_error)
{
        struct config *c = NULL;
        char *err = NULL;
        int r;

        /* A policy file that disappears is refused like an invalid one: falling back to the
         * built-in default would change every container's policy without a word. The built-in
         * default applies only while there never was a file. */
        r = config_load(d->config_path,
                        d->config_required || strcmp(d->config->source, BUILTIN_SOURCE) != 0, &c,
                        &err);
        if (r < 0) {
                log_error("reload refused, the previous policy stays in force: %s",
                          err ? err : strerror(-r));
                if (ret_error)
                        *ret_error = err ? err : strdup(strerror(-r));
                else
                        free(err);
                return r;
        }
        if (c->limits.workers != d->config->limits.workers)
                log_notice("limits.workers changes only at restart");
        config_unref(daemon_set_config(d, c));
        log_notice("policy reloaded from %s (%zu policies); %u listeners kept", c->source,
                   c->n_policies, d->n_sessions);
        return 0;
}
