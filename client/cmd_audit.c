/*
 * scmpctl audit template | profile: the least-privilege loop.
 *
 * `audit template` writes a recording profile for one runtime: default SCMP_ACT_ALLOW, every
 * syscall of the chosen arches that the runtime accepts as SCMP_ACT_NOTIFY notified, the
 * listenerPath filled in and listenerMetadata set to "scmpd-record:RUNTIME[:TAG]". The metadata
 * is how `audit profile` later knows that a container was recorded whole (every notifiable call
 * reached scmpd) and by which runtime, so it can add the calls that recording cannot see.
 *
 * `audit profile` asks scmpd's audit store for the containers whose ids match one or more globs,
 * merges what they made and writes an OCI profile: default SCMP_ACT_ERRNO (EPERM), the observed
 * syscalls allowed, plus the runtime's needs (below). With --base it starts from a profile (for
 * example Docker's default) and appends one rule with only the syscalls that the base does not
 * already allow unconditionally. A syscall whose every recorded call was refused (errno or kill)
 * is left out unless --allow-refused; a container that was not recorded with a template gives a
 * warning, since then only part of its syscalls was seen. With --learn-args, syscalls whose
 * flag-like argument was recorded completely are allowed with the recorded values only (learn.c).
 * The result is parsed and compiled with libscmpd before it is written.
 *
 * The runtime's needs are what the runtime itself calls after its filter is loaded and that a
 * recording may miss: calls it refuses to notify (runc: write), and for runc the Go runtime's
 * housekeeping in `runc init`, which happens on no fixed schedule. They are facts about the
 * runtimes, kept in the tables below and in docs/learn-profile.md.
 *
 * Everything from scmpd is untrusted: members are type-checked, names are taken only when the
 * syscall table knows them.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "learn.h"
#include "scmpctl.h"
#include "scmpd/arch.h"
#include "scmpd/filter.h"
#include "scmpd/profile.h"
#include "util.h"

#define RECORD_PREFIX "scmpd-record:"
#define MAX_GLOBS 64
#define MAX_ARCHES 8

struct runtime_facts {
        const char *name;
        const char *const *refuses_notify; /* never notified: the template leaves them out */
        const char *const *needs;          /* always allowed by a learned profile */
        const char *const *whole; /* never narrowed by --learn-args, whatever was recorded */
};

/* runc 1.1 rejects a profile with SCMP_ACT_NOTIFY on write: its init writes to the sync pipe
 * after loading the filter, before the agent holds the listener. */
static const char *const runc_refuses[] = { "write", NULL };
/* runc init is a Go program: between loading the filter and execve the runtime's threads may
 * make any of these at any time, so one recording can miss some of them. */
static const char *const runc_needs[] = {
        "write",          "read",         "close",       "openat", "execve",     "futex",
        "nanosleep",      "sched_yield",  "getpid",      "gettid", "tgkill",     "rt_sigaction",
        "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "mmap",   "munmap",     "madvise",
        "fcntl",          "epoll_pwait",  "epoll_ctl",   "exit",   "exit_group", "newfstatat",
        "fstat",          "getppid",      NULL,
};
/* ... and one of those threads may start another (clone with the thread flags, which the
 * workload itself may never use): --learn-args leaves clone whole under runc. */
static const char *const runc_whole[] = { "clone", NULL };
static const char *const none[] = { NULL };
/* crun (C) and scmpctl run load the filter just before execve. */
static const char *const exec_needs[] = { "execve", "close", "exit", "exit_group", NULL };
/* scmpctl run compiles with libscmpd, which refuses NOTIFY on write as runc does: write is
 * never recorded, so it is always allowed. */
static const char *const scmpctl_needs[] = {
        "execve", "close", "exit", "exit_group", "write", NULL
};

static const struct runtime_facts runtimes[] = {
        { "runc", runc_refuses, runc_needs, runc_whole },
        { "crun", none, exec_needs, none },
        { "scmpctl", runc_refuses, scmpctl_needs, none },
};

static const struct runtime_facts *runtime_by_name(const char *name)
{
        for (size_t i = 0; name && i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
                if (strcmp(name, runtimes[i].name) == 0)
                        return &runtimes[i];
        return NULL;
}

static bool in_list(const char *const *list, const char *name)
{
        for (; *list; list++)
                if (strcmp(*list, name) == 0)
                        return true;
        return false;
}

static int audit_usage(bool help, const char *text)
{
        fprintf(help ? stdout : stderr, "Usage: scmpctl audit %s\n", text);
        return help ? 0 : EXIT_USAGE;
}

/* Write text (plus a newline) to path crash-safely, or to stdout when path is NULL. */
static int write_out(const char *path, const char *text)
{
        _cleanup_free_ char *tmp = NULL;
        FILE *f;

        if (!path)
                return printf("%s\n", text) < 0 ? EXIT_FAILURE : 0;
        if (asprintf(&tmp, "%s.tmp", path) < 0)
                return EXIT_FAILURE;
        f = fopen(tmp, "we");
        if (!f || fprintf(f, "%s\n", text) < 0 || fflush(f) != 0 || fsync(fileno(f)) < 0 ||
            fclose(f) != 0 || rename(tmp, path) < 0) {
                scmpctl_err("cannot write %s: %m", path);
                (void)unlink(tmp);
                return EXIT_FAILURE;
        }
        return 0;
}

/* "SCMP_ARCH_X86_64" for an arch. */
static json_t *arch_constant(const struct scmpd_arch *a)
{
        char buf[64];

        snprintf(buf, sizeof(buf), "SCMP_ARCH_%s", a->name);
        for (char *c = buf; *c; c++)
                if (*c >= 'a' && *c <= 'z')
                        *c = (char)(*c - 'a' + 'A');
        return json_string(buf);
}

/* Parse and compile a profile with libscmpd; 0 or a negative errno, reported. */
static int check_profile(const char *text)
{
        struct scmpd_profile *p = NULL;
        struct scmpd_filter *f = NULL;
        char *err = NULL;
        int r;

        r = scmpd_profile_parse(text, strlen(text), NULL, NULL, &p, &err);
        if (r >= 0)
                r = scmpd_profile_compile(p, &(struct scmpd_profile_target){}, NULL, NULL, &f,
                                          &err);
        scmpd_profile_free(p);
        scmpd_filter_free(f);
        if (r < 0) {
                scmpctl_err("the generated profile does not compile: %s", err ? err : strerror(-r));
                free(err);
                return r;
        }
        return 0;
}

/* ---- audit template ---- */

static int cmd_audit_template(int argc, char **argv)
{
        static const struct option options[] = {
                { "runtime", required_argument, NULL, 'r' },
                { "listener", required_argument, NULL, 'l' },
                { "arch", required_argument, NULL, 'a' },
                { "tag", required_argument, NULL, 't' },
                { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *const text =
                "template --runtime runc|crun|scmpctl --listener PATH [--arch ARCH]... "
                "[--tag TAG] [-o FILE]";
        const struct scmpd_arch *arches[MAX_ARCHES];
        const struct runtime_facts *rt = NULL;
        const char *listener = NULL, *tag = NULL, *output = NULL;
        _cleanup_free_ char *meta = NULL, *out = NULL;
        json_t *names = NULL, *arch_list = NULL, *prof;
        size_t n_arches = 0;
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "o:h", options, NULL)) >= 0) {
                switch (c) {
                case 'r':
                        rt = runtime_by_name(optarg);
                        if (!rt) {
                                scmpctl_err("unknown runtime %s (runc, crun or scmpctl)", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'l':
                        listener = optarg;
                        break;
                case 'a':
                        if (n_arches == MAX_ARCHES)
                                return audit_usage(false, text);
                        arches[n_arches] = scmpd_arch_by_name(optarg);
                        if (!arches[n_arches]) {
                                scmpctl_err("unknown arch %s", optarg);
                                return EXIT_USAGE;
                        }
                        n_arches++;
                        break;
                case 't':
                        tag = optarg;
                        break;
                case 'o':
                        output = optarg;
                        break;
                case 'h':
                        return audit_usage(true, text);
                default:
                        return audit_usage(false, text);
                }
        }
        if (optind != argc || !rt || !listener || !*listener)
                return audit_usage(false, text);
        if (n_arches == 0)
                arches[n_arches++] = scmpd_arch_native();
        if (asprintf(&meta, RECORD_PREFIX "%s%s%s", rt->name, tag ? ":" : "", tag ? tag : "") < 0)
                return EXIT_FAILURE;

        names = json_array();
        arch_list = json_array();
        if (!names || !arch_list)
                goto oom;
        for (size_t i = 0; i < n_arches; i++) {
                const char *name;
                int nr;

                json_array_append_new(arch_list, arch_constant(arches[i]));
                for (size_t k = 0; scmpd_syscall_iter(arches[i], k, &nr, &name); k++) {
                        bool dup = false;
                        size_t j;
                        json_t *v;

                        if (in_list(rt->refuses_notify, name))
                                continue;
                        json_array_foreach (names, j, v)
                                if (strcmp(json_string_value(v), name) == 0) {
                                        dup = true;
                                        break;
                                }
                        if (!dup && json_array_append_new(names, json_string(name)) < 0)
                                goto oom;
                }
        }
        prof = json_pack("{s:s,s:s,s:s,s:o,s:[{s:o,s:s}]}", "defaultAction", "SCMP_ACT_ALLOW",
                         "listenerPath", listener, "listenerMetadata", meta, "architectures",
                         arch_list, "syscalls", "names", names, "action", "SCMP_ACT_NOTIFY");
        names = arch_list = NULL;
        out = prof ? json_dumps(prof, JSON_INDENT(2)) : NULL;
        if (!out) {
                json_decref(prof);
                goto oom;
        }
        /* libscmpd, like runc, refuses NOTIFY on write: check the template without it (crun
         * accepts it, so a crun template keeps it). */
        {
                json_t *list = json_object_get(json_array_get(json_object_get(prof, "syscalls"), 0),
                                               "names"),
                       *v;
                _cleanup_free_ char *checked = NULL;
                size_t j;

                json_array_foreach (list, j, v)
                        if (strcmp(json_string_value(v), "write") == 0) {
                                json_array_remove(list, j);
                                break;
                        }
                checked = json_dumps(prof, 0);
                json_decref(prof);
                if (!checked || check_profile(checked) < 0)
                        return EXIT_FAILURE;
        }
        return write_out(output, out);
oom:
        json_decref(names);
        json_decref(arch_list);
        scmpctl_err("out of memory");
        return EXIT_FAILURE;
}

/* ---- audit profile ---- */

struct learned {
        json_t *allowed; /* name -> true */
        json_t *refused; /* name -> calls refused, for syscalls with no other outcome */
        json_t *arches;  /* "SCMP_ARCH_..." -> true */
        json_t *args;    /* with --learn-args: learn.c's accumulator, else NULL */
        const struct runtime_facts *rt;
        bool partial;
};

static long long verdict_count(json_t *verdicts, const char *key)
{
        json_t *v = json_object_get(verdicts, key);

        return json_is_integer(v) && json_integer_value(v) > 0 ? (long long)json_integer_value(v)
                                                               : 0;
}

/* Fold one container of the audit store into l. */
static int learn_container(struct learned *l, json_t *ct, bool allow_refused)
{
        const char *id = json_string_value(json_object_get(ct, "id"));
        const char *meta = json_string_value(json_object_get(ct, "metadata"));
        json_t *s, *dropped = json_object_get(ct, "dropped");
        size_t i;

        if (!id)
                return -EBADMSG;
        if (meta && strncmp(meta, RECORD_PREFIX, strlen(RECORD_PREFIX)) == 0) {
                char rt[16] = "";
                const struct runtime_facts *f;

                snprintf(rt, sizeof(rt), "%.*s", (int)strcspn(meta + strlen(RECORD_PREFIX), ":"),
                         meta + strlen(RECORD_PREFIX));
                f = runtime_by_name(rt);
                if (f && !l->rt)
                        l->rt = f;
                else if (f && f != l->rt)
                        fprintf(stderr,
                                "scmpctl: warning: containers recorded under %s and %s are "
                                "merged; the profile has %s's needs\n",
                                l->rt->name, f->name, l->rt->name);
        } else {
                fprintf(stderr,
                        "scmpctl: warning: container %s was not recorded with a template from "
                        "`scmpctl audit template` (its listener notified only some syscalls): "
                        "the profile covers only what was notified\n",
                        id);
                l->partial = true;
        }
        if (json_is_integer(dropped) && json_integer_value(dropped) > 0) {
                fprintf(stderr,
                        "scmpctl: warning: the audit store dropped %lld notifications of %s; "
                        "the profile may miss syscalls\n",
                        (long long)json_integer_value(dropped), id);
                l->partial = true;
        }
        json_array_foreach (json_object_get(ct, "syscalls"), i, s) {
                const char *name = json_string_value(json_object_get(s, "name"));
                const char *arch = json_string_value(json_object_get(s, "arch"));
                const struct scmpd_arch *a = arch ? scmpd_arch_by_name(arch) : NULL;
                json_t *v = json_object_get(s, "verdicts");
                long long ok = verdict_count(v, "continue") + verdict_count(v, "value");
                long long no = verdict_count(v, "errno") + verdict_count(v, "kill");

                if (!name || !a || scmpd_syscall_nr(a, name) == SCMPD_NR_NONE) {
                        fprintf(stderr,
                                "scmpctl: warning: a syscall of %s has no known name "
                                "and is left out\n",
                                id);
                        continue;
                }
                {
                        json_t *k = arch_constant(a);

                        if (k)
                                json_object_set_new(l->arches, json_string_value(k), json_true());
                        json_decref(k);
                }
                if (ok == 0 && no > 0 && !allow_refused) {
                        json_t *prev = json_object_get(l->refused, name);

                        json_object_set_new(
                                l->refused, name,
                                json_integer(no + (prev ? json_integer_value(prev) : 0)));
                        continue;
                }
                json_object_set_new(l->allowed, name, json_true());
                if (l->args)
                        learn_args_add(l->args, name, a->name, s, allow_refused);
        }
        return 0;
}

/* Names allowed by an unconditional SCMP_ACT_ALLOW rule of a base profile. */
static void base_allowed(json_t *base, json_t *ret_set)
{
        json_t *rule, *name;
        size_t i, j;

        json_array_foreach (json_object_get(base, "syscalls"), i, rule) {
                const char *action = json_string_value(json_object_get(rule, "action"));

                if (!action || strcmp(action, "SCMP_ACT_ALLOW") != 0 ||
                    json_array_size(json_object_get(rule, "args")) ||
                    json_object_size(json_object_get(rule, "includes")) ||
                    json_object_size(json_object_get(rule, "excludes")))
                        continue;
                if (json_is_string(json_object_get(rule, "name")))
                        json_object_set_new(ret_set,
                                            json_string_value(json_object_get(rule, "name")),
                                            json_true());
                json_array_foreach (json_object_get(rule, "names"), j, name)
                        if (json_is_string(name))
                                json_object_set_new(ret_set, json_string_value(name), json_true());
        }
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted names of an object's keys, as a JSON array, skipping those in `skip`. */
static json_t *sorted_keys(json_t *set, json_t *skip)
{
        const char **list = calloc(json_object_size(set) + 1, sizeof(*list));
        json_t *out = json_array(), *v;
        const char *k;
        size_t n = 0;

        if (!list || !out) {
                free(list);
                json_decref(out);
                return NULL;
        }
        json_object_foreach (set, k, v)
                if (!skip || !json_object_get(skip, k))
                        list[n++] = k;
        qsort(list, n, sizeof(*list), cmp_str);
        for (size_t i = 0; i < n; i++)
                json_array_append_new(out, json_string(list[i]));
        free(list);
        return out;
}

static int cmd_audit_profile(int argc, char **argv)
{
        static const struct option options[] = {
                { "container", required_argument, NULL, 'c' },
                { "base", required_argument, NULL, 'b' },
                { "runtime", required_argument, NULL, 'r' },
                { "allow-refused", no_argument, NULL, 'A' },
                { "learn-args", no_argument, NULL, 'L' },
                { "control", required_argument, NULL, 's' },
                { "socket", required_argument, NULL, 's' },
                { "timeout", required_argument, NULL, 'T' },
                { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *const text =
                "profile --container GLOB [--container GLOB]... [--base PROFILE] "
                "[--runtime runc|crun|scmpctl] [--allow-refused] [--learn-args] [-o FILE] "
                "[--control PATH] [--timeout SECONDS]";
        const char *globs[MAX_GLOBS], *base_path = NULL, *output = NULL, *socket = NULL;
        struct learned l = {};
        const struct runtime_facts *forced = NULL;
        bool allow_refused = false, learn_args = false;
        int timeout_ms = -1;
        size_t n_globs = 0, matched = 0, i;
        json_t *reply = NULL, *res, *ct, *prof = NULL, *base_set = NULL, *extra, *v;
        json_t *whole = NULL, *arg_rules = NULL; /* syscalls never narrowed; argument rules */
        _cleanup_free_ char *out = NULL;
        const char *k;
        int c, r, ret = EXIT_FAILURE;

        optind = 1;
        while ((c = getopt_long(argc, argv, "o:h", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        if (n_globs == MAX_GLOBS)
                                return audit_usage(false, text);
                        globs[n_globs++] = optarg;
                        break;
                case 'b':
                        base_path = optarg;
                        break;
                case 'r':
                        forced = runtime_by_name(optarg);
                        if (!forced) {
                                scmpctl_err("unknown runtime %s (runc, crun or scmpctl)", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'A':
                        allow_refused = true;
                        break;
                case 'L':
                        learn_args = true;
                        break;
                case 'T': {
                        unsigned ms;

                        if (scmpctl_parse_timeout(optarg, &ms) < 0)
                                return EXIT_USAGE;
                        timeout_ms = (int)ms;
                        break;
                }
                case 's':
                        socket = optarg;
                        break;
                case 'o':
                        output = optarg;
                        break;
                case 'h':
                        return audit_usage(true, text);
                default:
                        return audit_usage(false, text);
                }
        }
        if (optind != argc || n_globs == 0)
                return audit_usage(false, text);

        r = scmpctl_control_call(socket, timeout_ms, json_pack("{s:s}", "command", "audit"), &reply,
                                 &res);
        if (r)
                return r;
        l.allowed = json_object();
        l.refused = json_object();
        l.arches = json_object();
        l.args = learn_args ? learn_args_new() : NULL;
        base_set = json_object();
        whole = json_object();
        arg_rules = json_array();
        if (!arg_rules || !l.allowed || !l.refused || !l.arches || !base_set || !whole ||
            (learn_args && !l.args))
                goto out;
        json_array_foreach (json_object_get(res, "containers"), i, ct) {
                const char *id = json_string_value(json_object_get(ct, "id"));
                bool match = false;

                for (size_t g = 0; id && g < n_globs; g++)
                        match = match || fnmatch(globs[g], id, 0) == 0;
                if (!match)
                        continue;
                if (learn_container(&l, ct, allow_refused) < 0) {
                        scmpctl_err("malformed audit record from scmpd");
                        ret = 5;
                        goto out;
                }
                matched++;
        }
        if (matched == 0) {
                scmpctl_err("nothing was audited for a container matching %s%s", globs[0],
                            n_globs > 1 ? " (or the other globs)" : "");
                goto out;
        }
        if (forced)
                l.rt = forced;
        if (!l.rt)
                fprintf(stderr, "scmpctl: warning: the runtime is unknown (give --runtime): the "
                                "profile has none of the runtime's own needs\n");
        json_object_foreach (l.refused, k, v)
                fprintf(stderr,
                        "scmpctl: warning: %s is left out: all %lld of its calls were refused "
                        "(--allow-refused keeps it)\n",
                        k, (long long)json_integer_value(v));
        if (l.rt) {
                for (const char *const *n = l.rt->needs; *n; n++) {
                        json_object_set_new(l.allowed, *n, json_true());
                        json_object_set_new(whole, *n, json_true());
                }
                for (const char *const *n = l.rt->whole; *n; n++)
                        json_object_set_new(whole, *n, json_true());
        }

        if (base_path) {
                json_error_t jerr;

                prof = json_load_file(base_path, 0, &jerr);
                if (!json_is_object(prof)) {
                        scmpctl_err("%s: %s", base_path, prof ? "not a profile" : jerr.text);
                        goto out;
                }
                base_allowed(prof, base_set);
                extra = sorted_keys(l.allowed, base_set);
                if (!extra)
                        goto out;
                fprintf(stderr, "scmpctl: %zu syscalls observed beyond %s\n",
                        json_array_size(extra), base_path);
                if (l.args && learn_args_rules(l.args, extra, whole, arg_rules, stderr) < 0) {
                        json_decref(extra);
                        goto out;
                }
                if (json_array_size(extra) || json_array_size(arg_rules)) {
                        json_t *rules = json_object_get(prof, "syscalls");

                        if (!rules) {
                                rules = json_array();
                                json_object_set_new(prof, "syscalls", rules);
                        }
                        if (!json_is_array(rules) ||
                            (json_array_size(extra) &&
                             json_array_append_new(
                                     rules, json_pack("{s:O,s:s,s:s}", "names", extra, "action",
                                                      "SCMP_ACT_ALLOW", "comment",
                                                      "learned by scmpctl audit profile")) < 0) ||
                            json_array_extend(rules, arg_rules) < 0) {
                                json_decref(extra);
                                scmpctl_err("%s: no syscalls array", base_path);
                                goto out;
                        }
                }
                json_decref(extra);
        } else {
                json_t *names = sorted_keys(l.allowed, NULL), *arches = sorted_keys(l.arches, NULL);
                json_t *rules = json_array();

                if (names && rules && l.args &&
                    learn_args_rules(l.args, names, whole, arg_rules, stderr) < 0)
                        names = (json_decref(names), NULL);
                if (names && rules && json_array_size(names))
                        json_array_append_new(rules, json_pack("{s:O,s:s}", "names", names,
                                                               "action", "SCMP_ACT_ALLOW"));
                if (rules)
                        json_array_extend(rules, arg_rules);
                prof = names && rules && arches
                               ? json_pack("{s:s,s:i,s:O,s:O}", "defaultAction", "SCMP_ACT_ERRNO",
                                           "defaultErrnoRet", 1, "architectures", arches,
                                           "syscalls", rules)
                               : NULL;
                json_decref(names);
                json_decref(arches);
                json_decref(rules);
        }
        out = prof ? json_dumps(prof, JSON_INDENT(2)) : NULL;
        if (!out)
                goto out;
        if (check_profile(out) < 0)
                goto out;
        fprintf(stderr, "scmpctl: %zu containers, %zu syscalls allowed%s\n", matched,
                json_object_size(l.allowed), l.partial ? " (recording incomplete)" : "");
        ret = write_out(output, out);
out:
        json_decref(reply);
        json_decref(prof);
        json_decref(l.allowed);
        json_decref(l.refused);
        json_decref(l.arches);
        json_decref(l.args);
        json_decref(base_set);
        json_decref(whole);
        json_decref(arg_rules);
        return ret;
}

/* ---- audit clear ---- */

static int cmd_audit_clear(int argc, char **argv)
{
        static const struct option options[] = {
                { "container", required_argument, NULL, 'c' },
                { "control", required_argument, NULL, 's' },
                { "socket", required_argument, NULL, 's' },
                { "timeout", required_argument, NULL, 'T' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *const text =
                "clear [--container ID] [--control PATH] [--timeout SECONDS]";
        const char *container = NULL, *socket = NULL;
        json_t *req, *reply, *res;
        int c, r, timeout_ms = -1;
        unsigned ms;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        container = optarg;
                        break;
                case 's':
                        socket = optarg;
                        break;
                case 'T':
                        if (scmpctl_parse_timeout(optarg, &ms) < 0)
                                return EXIT_USAGE;
                        timeout_ms = (int)ms;
                        break;
                case 'h':
                        return audit_usage(true, text);
                default:
                        return audit_usage(false, text);
                }
        }
        if (optind != argc)
                return audit_usage(false, text);
        req = json_pack("{s:s}", "command", "audit-clear");
        if (req && container)
                json_object_set_new(req, "container", json_string(container));
        r = scmpctl_control_call(socket, timeout_ms, req, &reply, &res);
        if (r)
                return r;
        printf("%s\n",
               json_is_true(json_object_get(res, "cleared")) ? "cleared" : "nothing to clear");
        json_decref(reply);
        return 0;
}

int cmd_audit(int argc, char **argv)
{
        if (argc >= 2 && strcmp(argv[1], "profile") == 0)
                return cmd_audit_profile(argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "template") == 0)
                return cmd_audit_template(argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "clear") == 0)
                return cmd_audit_clear(argc - 1, argv + 1);
        return cmd_audit_list(argc, argv);
}
