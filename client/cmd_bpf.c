/*
 * scmpctl disasm / simulate: offline looks at a raw seccomp BPF program.
 *
 * The file is what `scmpctl compile` and scmpd_filter_export_bpf() write: an array of 8-byte
 * struct sock_filter in host byte order, nothing else. The file is untrusted input: its size is
 * bounded before it is read, its length must be a whole number of instructions, and the program
 * is validated as the kernel would before it is run.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scmpctl.h"
#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "util.h"

/* Listing is allowed beyond the kernel's limit (to show why a program is refused), within
 * reason. */
#define PROGRAM_MAX_INSNS (16 * BPF_MAXINSNS)

/* Read a whole program. Returns 0 or a negative errno, with the message already printed. */
static int program_read(const char *path, struct sock_filter **ret_prog, size_t *ret_len)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ struct sock_filter *prog = NULL;
        size_t cap = PROGRAM_MAX_INSNS * sizeof(struct sock_filter), size = 0;
        struct stat st;

        if (strcmp(path, "-") == 0)
                fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
        else
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int r = negative_errno();
                scmpctl_err("%s: %s", path, strerror(-r));
                return r;
        }
        /* Pipes and devices are fine (the read is bounded); directories are not. */
        if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
                scmpctl_err("%s: not a file", path);
                return -EINVAL;
        }
        /* One byte more than the cap, so that an over-long file is noticed. */
        prog = malloc(cap + 1);
        if (!prog) {
                scmpctl_err("out of memory");
                return -ENOMEM;
        }
        for (;;) {
                ssize_t n = read(fd, (char *)prog + size, cap + 1 - size);

                if (n < 0) {
                        int r = negative_errno();
                        if (r == -EINTR)
                                continue;
                        scmpctl_err("%s: %s", path, strerror(-r));
                        return r;
                }
                if (n == 0)
                        break;
                size += (size_t)n;
                if (size > cap) {
                        scmpctl_err("%s: larger than %d instructions", path, PROGRAM_MAX_INSNS);
                        return -E2BIG;
                }
        }
        if (size == 0) {
                scmpctl_err("%s: empty file, no program", path);
                return -EINVAL;
        }
        if (size % sizeof(struct sock_filter) != 0) {
                scmpctl_err("%s: truncated: %zu bytes is not a whole number of %zu-byte "
                            "instructions",
                            path, size, sizeof(struct sock_filter));
                return -EINVAL;
        }
        *ret_len = size / sizeof(struct sock_filter);
        *ret_prog = steal_ptr(&prog);
        return 0;
}

static const struct scmpd_arch *arch_parse(const char *s)
{
        const struct scmpd_arch *a = scmpd_arch_by_name(s);
        char *end;
        unsigned long long v;

        if (a)
                return a;
        /* An AUDIT_ARCH token in hex, for arches only the kernel knows. */
        if (strncmp(s, "0x", 2) == 0) {
                errno = 0;
                v = strtoull(s, &end, 16);
                if (errno == 0 && *end == '\0' && end != s + 2 && v <= UINT32_MAX)
                        return scmpd_arch_by_token((uint32_t)v);
        }
        return NULL;
}

/* A 64-bit value: decimal, 0x hex, or negative decimal (two's complement, as a register holds
 * -1 for a file descriptor). */
static int u64_parse(const char *s, uint64_t *ret)
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

static void arch_list(FILE *out)
{
        fputs("known arches:", out);
        for (size_t i = 0; i < scmpd_arch_count(); i++)
                fprintf(out, " %s", scmpd_arch_at(i)->name);
        fputc('\n', out);
}

static void disasm_usage(FILE *out)
{
        fputs("Usage: scmpctl disasm FILE|- [--arch ARCH]\n"
              "List a raw seccomp BPF program, one instruction per line. ARCH names the arch\n"
              "for paths that do not check it themselves (argument word order, syscall names).\n",
              out);
}

int cmd_disasm(int argc, char **argv)
{
        static const struct option options[] = {
                { "arch", required_argument, NULL, 'a' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_free_ struct sock_filter *prog = NULL;
        const struct scmpd_arch *arch = NULL;
        size_t len, bad_pc = 0;
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "a:h", options, NULL)) >= 0) {
                switch (c) {
                case 'a':
                        arch = arch_parse(optarg);
                        if (!arch) {
                                scmpctl_err("unknown arch '%s'", optarg);
                                arch_list(stderr);
                                return EXIT_USAGE;
                        }
                        break;
                case 'h':
                        disasm_usage(stdout);
                        return 0;
                default:
                        disasm_usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind != argc - 1) {
                disasm_usage(stderr);
                return EXIT_USAGE;
        }

        if (program_read(argv[optind], &prog, &len) < 0)
                return 1;

        r = scmpd_bpf_disasm_arch(prog, len, arch ? arch->token : 0, stdout);
        if (fflush(stdout) != 0 || r == -EIO) {
                scmpctl_err("write error");
                return 1;
        }
        if (r < 0) {
                (void)scmpd_bpf_validate(prog, len, &bad_pc);
                if (bad_pc >= len)
                        scmpctl_err("the kernel would refuse this program: %zu instructions "
                                    "(1..%d allowed)",
                                    len, BPF_MAXINSNS);
                else
                        scmpctl_err("the kernel would refuse this program at instruction %zu",
                                    bad_pc);
                return 1;
        }
        return 0;
}

static void simulate_usage(FILE *out)
{
        fputs("Usage: scmpctl simulate FILE|- --arch ARCH --syscall NAME|NUMBER\n"
              "                         [--args A0,A1,...] [--ip ADDRESS]\n"
              "Run a raw seccomp BPF program on one syscall as the kernel would and print the\n"
              "action, the number of instructions executed, and whether the kernel's action\n"
              "cache would decide it without running the filter. ARCH defaults to the native\n"
              "one; arguments missing from --args are 0; values are decimal, 0x hex or\n"
              "negative.\n",
              out);
}

int cmd_simulate(int argc, char **argv)
{
        static const struct option options[] = {
                { "arch", required_argument, NULL, 'a' },
                { "syscall", required_argument, NULL, 's' },
                { "args", required_argument, NULL, 'A' },
                { "ip", required_argument, NULL, 'i' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_free_ struct sock_filter *prog = NULL;
        const struct scmpd_arch *arch = scmpd_arch_native();
        const char *syscall_arg = NULL, *name;
        struct seccomp_data data = { 0 };
        uint32_t action;
        unsigned executed;
        char action_name[64];
        size_t len, bad_pc = 0;
        uint64_t v;
        int c, nr, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "a:s:A:i:h", options, NULL)) >= 0) {
                switch (c) {
                case 'a':
                        arch = arch_parse(optarg);
                        if (!arch) {
                                scmpctl_err("unknown arch '%s'", optarg);
                                arch_list(stderr);
                                return EXIT_USAGE;
                        }
                        break;
                case 's':
                        syscall_arg = optarg;
                        break;
                case 'A': {
                        _cleanup_free_ char *copy = strdup(optarg);
                        char *save, *tok;
                        size_t n = 0;

                        if (!copy) {
                                scmpctl_err("out of memory");
                                return 1;
                        }
                        memset(data.args, 0, sizeof(data.args));
                        /* strsep keeps empty fields, so "1,,2" is refused, not shifted. */
                        save = copy;
                        while ((tok = strsep(&save, ",")) != NULL) {
                                if (n == ELEMENTSOF(data.args) || u64_parse(tok, &v) < 0) {
                                        scmpctl_err("--args: '%s' is not a list of at most 6 "
                                                    "numbers",
                                                    optarg);
                                        return EXIT_USAGE;
                                }
                                data.args[n++] = v;
                        }
                        break;
                }
                case 'i':
                        if (u64_parse(optarg, &v) < 0) {
                                scmpctl_err("--ip: '%s' is not a number", optarg);
                                return EXIT_USAGE;
                        }
                        data.instruction_pointer = v;
                        break;
                case 'h':
                        simulate_usage(stdout);
                        return 0;
                default:
                        simulate_usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind != argc - 1 || !syscall_arg) {
                simulate_usage(stderr);
                return EXIT_USAGE;
        }

        if (u64_parse(syscall_arg, &v) == 0 && syscall_arg[0] != '-') {
                if (v > INT32_MAX) {
                        scmpctl_err("syscall number %s out of range", syscall_arg);
                        return EXIT_USAGE;
                }
                nr = (int)v;
        } else {
                nr = scmpd_syscall_nr(arch, syscall_arg);
                if (nr == SCMPD_NR_NONE) {
                        scmpctl_err("unknown syscall '%s'", syscall_arg);
                        return EXIT_USAGE;
                }
                if (nr < 0) {
                        scmpctl_err("%s has no syscall '%s'", arch->name, syscall_arg);
                        return EXIT_USAGE;
                }
        }
        data.nr = nr;
        data.arch = scmpd_bpf_data_arch(arch->token);

        if (program_read(argv[optind], &prog, &len) < 0)
                return 1;

        r = scmpd_bpf_validate(prog, len, &bad_pc);
        if (r < 0) {
                if (bad_pc >= len)
                        scmpctl_err("invalid program: %zu instructions (1..%d allowed)", len,
                                    BPF_MAXINSNS);
                else
                        scmpctl_err("invalid program: the kernel would refuse instruction %zu "
                                    "(see scmpctl disasm)",
                                    bad_pc);
                return 1;
        }
        r = scmpd_bpf_run(prog, len, &data, &action, &executed);
        if (r < 0) {
                scmpctl_err("simulation failed: %s", strerror(-r));
                return 1;
        }
        scmpd_bpf_action_format(action, action_name, sizeof(action_name));
        name = scmpd_syscall_name(arch, nr);

        printf("arch: %s\n", arch->name);
        printf("syscall: %s (%d)\n", name ? name : "?", nr);
        printf("action: %s\n", action_name);
        printf("instructions: %u\n", executed);
        printf("cacheable: %s\n",
               scmpd_bpf_cacheable(prog, len, data.arch, nr) == 1 ? "yes" : "no");
        if (fflush(stdout) != 0) {
                scmpctl_err("write error");
                return 1;
        }
        return 0;
}
