/*
 * scmpctl: the command line. Online commands talk to a running scmpd over its control socket;
 * offline commands (compile, disasm, simulate, syscalls, resolve, run) use libscmpd directly.
 * This file only dispatches: `scmpctl [--version|--help] COMMAND [ARGS...]`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "scmpctl.h"
#include "scmpd/arch.h"

static int cmd_version(int argc, char **argv)
{
        if (argc > 1) {
                bool help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;

                fprintf(help ? stdout : stderr, "Usage: scmpctl version\n");
                return help ? 0 : EXIT_USAGE;
        }
        printf("scmpctl %s\nsyscall tables: Linux %s\n", SCMPD_VERSION,
               scmpd_syscall_tables_linux());
        return 0;
}

static int cmd_help(int argc, char **argv);

static const struct scmpctl_command commands[] = {
        { "version", cmd_version, "print the version" },
        { "help", cmd_help, "list the commands" },
        { "syscalls", cmd_syscalls, "list a syscall table ([--arch ARCH] [--json] | --arches)" },
        { "resolve", cmd_resolve, "syscall name <-> number (NAME|NUMBER [--arch ARCH])" },
        { "disasm", cmd_disasm, "list a raw BPF program (FILE [--arch ARCH])" },
        { "simulate", cmd_simulate, "run a raw BPF program on one syscall" },
        { "run", cmd_run, "run a command under a filter served by scmpd ([--profile P] -- CMD)" },
        { "status", cmd_status, "scmpd's version, uptime, kernel features, policy and counts" },
        { "listeners", cmd_listeners, "one row per listener scmpd serves" },
        { "stats", cmd_stats, "counts and latencies per syscall, handler and verdict" },
        { "monitor", cmd_monitor, "stream notifications and decisions ([--container GLOB] ...)" },
        { "audit", cmd_audit, "syscall use per container; audit profile --container ID" },
        { "reload", cmd_reload, "reload scmpd's policy file" },
        { "handler", cmd_handler, "enable|disable NAME: switch a handler on or off" },
        { "metrics", cmd_metrics, "counters and histograms, Prometheus text ([-o FILE])" },
        { "compile", cmd_compile, "compile an OCI/Docker profile (PROFILE -o FILE|--pfc|--stats)" },
};

void scmpctl_err(const char *fmt, ...)
{
        va_list ap;

        fputs("scmpctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static int cmd_help(int argc, char **argv)
{
        printf("Usage: scmpctl [--version] COMMAND [ARGS...]\n\nCommands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                printf("  %-12s %s\n", commands[i].name, commands[i].summary);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                cmd_help(0, NULL);
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--version") == 0)
                return cmd_version(argc - 1, argv + 1);
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
                return cmd_help(argc - 1, argv + 1);

        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(argv[1], commands[i].name) == 0)
                        return commands[i].run(argc - 1, argv + 1);

        scmpctl_err("unknown command '%s' (try 'scmpctl help')", argv[1]);
        return EXIT_USAGE;
}
