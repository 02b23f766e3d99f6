/*
 * scmpctl: one entry point per command. Each command group lives in its own cmd_*.c file and
 * registers its verbs in the table in scmpctl.c. A command returns the process exit status:
 * 0 success, 1 a failure it reported, 2 a usage error.
 */
#pragma once

#include <stdbool.h>

#define EXIT_USAGE 2

struct scmpctl_command {
        const char *name;
        int (*run)(int argc, char **argv); /* argv[0] is the command name */
        const char *summary;
};

/* Print "scmpctl: " plus the message to stderr. */
void scmpctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cmd_syscalls.c: the syscall tables (syscalls, resolve). */
int cmd_syscalls(int argc, char **argv);
int cmd_resolve(int argc, char **argv);

/* cmd_bpf.c: offline looks at raw BPF programs. */
int cmd_disasm(int argc, char **argv);
int cmd_simulate(int argc, char **argv);

/* cmd_compile.c: OCI/Docker seccomp profiles to BPF, PFC or statistics. */
int cmd_compile(int argc, char **argv);

/* cmd_run.c: start a command under a filter whose NOTIFY rules scmpd serves. */
int cmd_run(int argc, char **argv);

/* cmd_control.c: online commands over scmpd's control socket. */
int cmd_status(int argc, char **argv);
int cmd_listeners(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_audit_list(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_handler(int argc, char **argv);
/* One request over the control socket (NULL: $SCMPD_CONTROL_SOCKET or the default), waiting
 * timeout_ms for the connection and the reply (0: forever, negative: the default of
 * --timeout); on 0 the reply (owned by the caller) and its "result" member (borrowed from it).
 * Else an exit status, already reported. `req` is consumed. */
struct json_t;
int scmpctl_control_call(const char *socket, int timeout_ms, struct json_t *req,
                         struct json_t **ret_reply, struct json_t **ret_result);
/* --timeout SECONDS (0..86400, fractions allowed) in milliseconds; -EINVAL, reported. */
int scmpctl_parse_timeout(const char *arg, unsigned *ret_ms);

/* cmd_audit.c: `audit` and its subcommands, the recording template and the learned profile. */
int cmd_audit(int argc, char **argv);
