/*
 * Fuzz target for scmpd's policy file (daemon/policy.c): parsing, validation, the built-in
 * handlers' configuration parsers (errno, value, audit, mount, mknod, sysinfo, sched, xattr:
 * their start() only parses), then listener and rule matching on the result.
 *
 * No side effects: policy.c dlopen()s the "path" of every plugin handler a chain names. The
 * harness never lets a fuzz input choose that path: an input with a "handlers" object is parsed
 * with jansson first and every handler's "path" string is replaced by a fixed absolute path that
 * does not exist (PLUGIN_PATH), so dlopen() only ever fails to open that one file; the rewritten
 * document is what config_load_string() sees. Inputs without "handlers" go in byte for byte.
 *
 * Properties checked, beyond "no crash, no leak, no sanitizer report": a refusal is -EINVAL (or
 * -ENOMEM) with an error message that starts with the source name and no config; a success is a
 * config with no error, whose policies match listeners and notifications without crashing, and
 * whose rule matching asks for strings only when a rule has string conditions.
 */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PLUGIN_PATH "/nonexistent/scmpd-fuzz/plugin.so"
#define FUZZ_MAX_INPUT (64U * 1024U)

/* The input's text, with every plugin path replaced; NULL when it has none to replace. */
static char *defuse_plugins(const char *text)
{
        json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, NULL), *handlers, *h;
        const char *key;
        char *out = NULL;

        if (!root)
                return NULL;
        handlers = json_object_get(root, "handlers");
        if (json_is_object(handlers) && json_object_size(handlers) > 0) {
                json_object_foreach (handlers, key, h)
                        if (json_is_string(json_object_get(h, "path")))
                                json_object_set_new(h, "path", json_string(PLUGIN_PATH));
                out = json_dumps(root, JSON_COMPACT);
                if (!out)
                        abort();
        }
        json_decref(root);
        return out;
}

static void exercise(const struct config *c)
{
        /* Writable copies: the state's members are char *, and string literals are const. */
        static char k0[] = "io.kubernetes.pod.namespace", k1[] = "scmpd.policy";
        static char v0[] = "default", v1[] = "strict", meta[] = "web-1", id[] = "0123456789abcdef";
        static char status[] = "creating";
        static char *keys[] = { k0, k1 }, *values[] = { v0, v1 };
        static const char *const names[] = { "mount", "openat", "mknodat", "read", "*", NULL };
        static const uint64_t argsets[][6] = {
                { 0, 0, 0, 0, 0, 0 },
                { 1, 2, 3, 4, 5, 6 },
                { UINT64_MAX, 0x80000000U, 0x1000, 0x100000000ULL, 077, 0x21 },
        };
        static char s0[] = "/proc", s1[] = "/mnt/x", s2[] = "proc", s3[] = "tmpfs", s4[] = "",
                    s5[] = "/dev/null";
        char *const strings[6] = { s0, s1, s2, s3, s4, s5 };
        struct scmpd_handoff_state origin = {
                .metadata = meta,
                .id = id,
                .status = status,
                .n_annotations = 2,
                .annotation_keys = keys,
                .annotation_values = values,
        };
        struct scmpd_handoff_state bare = { 0 };

        if (!c->source)
                abort();
        struct peer_facts peer = { .known = true, .uid = 1000, .gid = 1000 };
        char cgroup[] = "/a/b";
        struct target_facts target = { .known = true, .cgroup = cgroup };
        bool need_target;

        (void)config_match_listener(c, &origin, &peer, NULL, &need_target);
        (void)config_match_listener(c, &bare, &peer, &target, &need_target);
        (void)config_default_verdict(c, NULL);
        for (size_t i = 0; i < c->n_policies; i++) {
                const struct policy *p = &c->policies[i];

                (void)config_default_verdict(c, p);
                for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++)
                        for (size_t a = 0; a < sizeof(argsets) / sizeof(argsets[0]); a++) {
                                struct scmpd_notification v = { .syscall = names[n], .nr = 165 };
                                const struct rule *r;
                                bool need = false;

                                memcpy(v.args, argsets[a], sizeof(v.args));
                                r = policy_match_rule(p, &v, NULL, &need);
                                if (need && r)
                                        abort();
                                if (need) {
                                        bool again = true;

                                        r = policy_match_rule(p, &v, strings, &again);
                                        if (again)
                                                abort(); /* strings given: never asks again */
                                }
                                if (r && (r < p->rules || r >= p->rules + p->n_rules))
                                        abort();
                        }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct config *c = NULL;
        char *text, *defused, *err = NULL;
        int r;

        log_max_level = -1; /* handlers report refused configurations; keep the run quiet */
        if (size > FUZZ_MAX_INPUT)
                return 0;
        text = malloc(size + 1);
        if (!text)
                abort();
        memcpy(text, data, size);
        text[size] = 0;
        defused = defuse_plugins(text);

        r = config_load_string(defused ? defused : text, "fuzz.json", &c, &err);
        if (r < 0) {
                if (c || (r != -EINVAL && r != -ENOMEM))
                        abort();
                if (r == -EINVAL && (!err || strncmp(err, "fuzz.json: ", 11) != 0))
                        abort();
                free(err);
        } else {
                if (r != 0 || !c || err)
                        abort();
                exercise(c);
                if (config_unref(c) != NULL)
                        abort();
        }
        free(defused);
        free(text);
        return 0;
}
