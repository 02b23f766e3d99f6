/*
 * scmpctl syscalls / resolve: offline views of libscmpd's syscall tables.
 *
 *   scmpctl syscalls [--arch A] [--json]      one arch's table, in number order
 *   scmpctl syscalls --arches [--json]        the known arches and their facts
 *   scmpctl resolve NAME|NUMBER [--arch A] [--json]
 *
 * The default arch is the native one. resolve prints just the answer (a number or a name, like
 * libseccomp's scmp_sys_resolver) so that scripts can use it; --json adds the details. Exit
 * status: 0 found, 1 unknown syscall, 2 usage error (including an unknown arch). Arguments are
 * untrusted text: names are checked before they are echoed in a message.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scmpctl.h"
#include "scmpd/arch.h"
#include "util.h"

#define SYSCALL_NAME_MAX 64

/* An argument as it may be echoed in a message: control characters never reach the terminal. */
static const char *shown(const char *s)
{
        size_t n = strnlen(s, SYSCALL_NAME_MAX + 1);

        if (n > SYSCALL_NAME_MAX)
                return "(too long)";
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
                        return "(unprintable)";
        return s;
}

struct syscalls_args {
        const char *arch;
        const char *positional;
        bool json;
        bool arches;
};

/* A plain option parser: GNU getopt would take a negative number ("-10166") for options. */
static int args_parse(int argc, char **argv, bool want_positional, struct syscalls_args *ret)
{
        struct syscalls_args a = {};

        for (int i = 1; i < argc; i++) {
                const char *s = argv[i];

                if (strcmp(s, "--json") == 0)
                        a.json = true;
                else if (!want_positional && strcmp(s, "--arches") == 0)
                        a.arches = true;
                else if (strcmp(s, "--arch") == 0 || strcmp(s, "-a") == 0) {
                        if (++i >= argc) {
                                scmpctl_err("%s needs an argument", s);
                                return -EINVAL;
                        }
                        a.arch = argv[i];
                } else if (strncmp(s, "--arch=", 7) == 0)
                        a.arch = s + 7;
                else if (strcmp(s, "--") == 0 && want_positional && i + 1 < argc && !a.positional)
                        a.positional = argv[++i];
                else if (want_positional && !a.positional &&
                         (s[0] != '-' || (s[1] >= '0' && s[1] <= '9')))
                        a.positional = s;
                else {
                        scmpctl_err("%s: unexpected argument '%s' (try 'scmpctl %s --help')",
                                    argv[0], shown(s), argv[0]);
                        return -EINVAL;
                }
        }
        if (want_positional && !a.positional) {
                scmpctl_err("%s: which syscall? (a name or a number)", argv[0]);
                return -EINVAL;
        }
        *ret = a;
        return 0;
}

static bool wants_help(int argc, char **argv)
{
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
                        return true;
        return false;
}

static const struct scmpd_arch *arch_pick(const char *name)
{
        const struct scmpd_arch *a;

        if (!name)
                return scmpd_arch_native();
        a = scmpd_arch_by_name(name);
        if (!a) {
                scmpctl_err("unknown arch '%s' (see 'scmpctl syscalls --arches')", shown(name));
                return NULL;
        }
        return a;
}

static int json_print(json_t *j)
{
        int r;

        if (!j) {
                scmpctl_err("out of memory");
                return 1;
        }
        r = json_dumpf(j, stdout, JSON_INDENT(2));
        json_decref(j);
        if (r < 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
                scmpctl_err("cannot write the output");
                return 1;
        }
        return 0;
}

static json_t *arch_json(const struct scmpd_arch *a)
{
        char token[16];

        snprintf(token, sizeof(token), "0x%08" PRIx32, a->token);
        return json_pack("{s:s, s:s, s:I, s:I, s:s, s:i, s:i}", "name", a->name, "token", token,
                         "token_value", (json_int_t)a->token, "word_bits", (json_int_t)a->word_bits,
                         "endian", a->big_endian ? "big" : "little", "socketcall", a->socketcall_nr,
                         "ipc", a->ipc_nr);
}

static int list_arches(bool json)
{
        json_t *arr = json ? json_array() : NULL;

        if (json && !arr)
                return json_print(NULL);
        for (size_t i = 0; i < scmpd_arch_count(); i++) {
                const struct scmpd_arch *a = scmpd_arch_at(i);
                if (json) {
                        if (json_array_append_new(arr, arch_json(a)) < 0) {
                                json_decref(arr);
                                return json_print(NULL);
                        }
                        continue;
                }
                printf("%-12s 0x%08" PRIx32 " %2u-bit %-6s%s\n", a->name, a->token, a->word_bits,
                       a->big_endian ? "big" : "little",
                       a == scmpd_arch_native() ? " (native)" : "");
        }
        return json ? json_print(arr) : 0;
}

int cmd_syscalls(int argc, char **argv)
{
        struct syscalls_args args;
        const struct scmpd_arch *a;
        json_t *list = NULL;
        const char *name;
        int nr;

        if (wants_help(argc, argv)) {
                printf("Usage: scmpctl syscalls [--arch ARCH] [--json]\n"
                       "       scmpctl syscalls --arches [--json]\n\n"
                       "List one arch's syscall table (default: the native arch), or the "
                       "arches.\n");
                return 0;
        }
        if (args_parse(argc, argv, false, &args) < 0)
                return EXIT_USAGE;
        if (args.arches)
                return list_arches(args.json);
        a = arch_pick(args.arch);
        if (!a)
                return EXIT_USAGE;

        if (args.json) {
                list = json_array();
                if (!list)
                        return json_print(NULL);
        }
        for (size_t i = 0; scmpd_syscall_iter(a, i, &nr, &name); i++) {
                if (!args.json) {
                        printf("%d\t%s\n", nr, name);
                        continue;
                }
                if (json_array_append_new(list, json_pack("{s:s, s:i}", "name", name, "nr", nr)) <
                    0) {
                        json_decref(list);
                        return json_print(NULL);
                }
        }
        if (!args.json)
                return fflush(stdout) == 0 ? 0 : 1;
        return json_print(json_pack("{s:s, s:o}", "arch", a->name, "syscalls", list));
}

/* Parse a whole decimal or 0x-hex number that fits an int; false when s is not one. */
static bool parse_nr(const char *s, int *ret)
{
        char *end;
        long long v;

        if (!*s)
                return false;
        errno = 0;
        v = strtoll(s, &end, 0);
        if (errno != 0 || *end != '\0' || end == s || v < INT_MIN || v > INT_MAX)
                return false;
        *ret = (int)v;
        return true;
}

static bool name_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > SYSCALL_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
                        return false;
        return true;
}

static int resolve_print(const struct scmpd_arch *a, const char *name, int nr, bool by_number,
                         bool json)
{
        enum scmpd_mux mux = SCMPD_MUX_NONE;
        uint32_t call = 0;
        json_t *j;

        if (!json) {
                if (by_number)
                        printf("%s\n", name);
                else
                        printf("%d\n", nr);
                return fflush(stdout) == 0 ? 0 : 1;
        }
        j = json_pack("{s:s, s:s, s:i, s:b}", "arch", a->name, "name", name, "nr", nr, "pseudo",
                      nr < 0);
        if (j && scmpd_syscall_mux(a, nr, &mux, &call) == 1) {
                json_t *m = json_pack("{s:s, s:i, s:I}", "via",
                                      mux == SCMPD_MUX_SOCKETCALL ? "socketcall" : "ipc", "nr",
                                      mux == SCMPD_MUX_SOCKETCALL ? a->socketcall_nr : a->ipc_nr,
                                      "call", (json_int_t)call);
                if (!m || json_object_set_new(j, "multiplexed", m) < 0) {
                        json_decref(j);
                        j = NULL;
                }
        }
        return json_print(j);
}

int cmd_resolve(int argc, char **argv)
{
        struct syscalls_args args;
        const struct scmpd_arch *a;
        const char *name;
        int nr;

        if (wants_help(argc, argv)) {
                printf("Usage: scmpctl resolve NAME|NUMBER [--arch ARCH] [--json]\n\n"
                       "Resolve a syscall name to its number on ARCH (default: native), or a\n"
                       "number to its name. A syscall the arch lacks resolves to its pseudo\n"
                       "number (negative). Exit status 1 when the syscall is unknown.\n");
                return 0;
        }
        if (args_parse(argc, argv, true, &args) < 0)
                return EXIT_USAGE;
        a = arch_pick(args.arch);
        if (!a)
                return EXIT_USAGE;

        if (parse_nr(args.positional, &nr)) {
                name = scmpd_syscall_name(a, nr);
                if (!name) {
                        scmpctl_err("no syscall %d on %s", nr, a->name);
                        return 1;
                }
                return resolve_print(a, name, nr, true, args.json);
        }
        if (!name_valid(args.positional)) {
                scmpctl_err("'%s' is neither a syscall name nor a number", shown(args.positional));
                return 1;
        }
        nr = scmpd_syscall_nr(a, args.positional);
        if (nr == SCMPD_NR_NONE) {
                scmpctl_err("unknown syscall '%s' (no arch has it)", args.positional);
                return 1;
        }
        return resolve_print(a, args.positional, nr, false, args.json);
}
