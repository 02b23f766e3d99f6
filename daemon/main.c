/*
 * scmpd: the seccomp user-notification supervisor. This file owns the command line, the
 * configuration's lifecycle (load at start, reload on SIGHUP keeping every listener, refuse an
 * invalid file and keep the old policy) and the event loop; intake, sessions, dispatch and
 * handlers live in their own modules.
 *
 * Default paths: the policy /etc/scmpd/scmpd.json (a built-in default when absent), the handoff
 * socket /run/scmpd/scmpd.sock. The process must run in the host pid namespace, where
 * notification pids make sense.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "audit_store.h"
#include "config.h" /* the build's configuration: versions and paths */
#include "control.h"
#include "errno_name.h"
#include "journal.h"
#include "policy.h"
#include "sandbox.h"
#include "scmpd/arch.h"
#include "sd.h"
#include "stats.h"
#include "util.h"

/* The policy's place is fixed by scmpd.json(5), whatever the install prefix: an operator (and
 * a runtime's documentation) can always find it there. */
#define DEFAULT_CONFIG "/etc/scmpd/scmpd.json"
#define DEFAULT_LISTEN SCMPD_RUNSTATEDIR "/scmpd/scmpd.sock"
#define DEFAULT_CONTROL SCMPD_RUNSTATEDIR "/scmpd/control.sock"

static void help(void)
{
        printf("Usage: scmpd [OPTIONS]\n\n"
               "Serve seccomp user notifications handed over on an OCI listenerPath socket.\n\n"
               "  -c --config FILE     policy file (default " DEFAULT_CONFIG ",\n"
               "                       a built-in default when it does not exist)\n"
               "  -l --listen PATH     handoff socket (default " DEFAULT_LISTEN ")\n"
               "     --control PATH    control socket path (default " DEFAULT_CONTROL ")\n"
               "     --no-control      run without a control socket (scmpctl cannot reach it)\n"
               "  -f --foreground      scmpd never forks; with this option on a terminal\n"
               "                       it logs to stderr even when journald is reachable\n"
               "     --log-level L     err, warning, notice, info (default) or debug\n"
               "     --log-target T    auto (journald when reachable, else stderr) or stderr\n"
               "     --check-config    load the policy, report errors, and exit\n"
               "     --no-sandbox      do not confine scmpd with its own seccomp filter\n"
               "     --audit-store F   keep the audit store in file F across restarts (default\n"
               "                       $STATE_DIRECTORY/audit.json when set; none: memory only)\n"
               "  -h --help            show this help\n"
               "     --version         print the version\n");
}

/* The ready line: what serves (the policy and what it does), where (both sockets), and what
 * the kernel offers, spelled out, so that the first line an operator reads answers "is my
 * container served, and how". */
static void log_ready(const struct daemon *d, bool control)
{
        static const struct {
                unsigned bit;
                const char *name;
        } features[] = {
                { SCMPD_NOTIFY_FEATURE_USER_NOTIF, "user_notif" },
                { SCMPD_NOTIFY_FEATURE_CONTINUE, "continue" },
                { SCMPD_NOTIFY_FEATURE_ADDFD, "addfd" },
                { SCMPD_NOTIFY_FEATURE_ADDFD_SEND, "addfd_send" },
                { SCMPD_NOTIFY_FEATURE_WAIT_KILLABLE_RECV, "wait_killable_recv" },
                { SCMPD_NOTIFY_FEATURE_SYNC_WAKE_UP, "sync_wake_up" },
        };
        const struct scmpd_verdict *v = &d->config->default_verdict;
        char have[160] = "", lack[160] = "", what[96], dflt[48];
        size_t i;

        for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
                char *list = ((unsigned)d->notify_features & features[i].bit) ? have : lack;

                snprintf(list + strlen(list), 160 - strlen(list), "%s%s", list[0] ? " " : "",
                         features[i].name);
        }
        if (v->kind == SCMPD_VERDICT_CONTINUE)
                snprintf(dflt, sizeof(dflt), "continue");
        else if (v->kind == SCMPD_VERDICT_KILL)
                snprintf(dflt, sizeof(dflt), "kill");
        else if (v->error)
                snprintf(dflt, sizeof(dflt), "errno %s",
                         errno_to_name(v->error) ? errno_to_name(v->error) : "?");
        else
                snprintf(dflt, sizeof(dflt), "value %lld", (long long)v->val);
        if (strcmp(d->config->source, "built-in default") == 0)
                snprintf(what, sizeof(what), "audit every notification and answer continue");
        else
                snprintf(what, sizeof(what), "%zu policies, otherwise %s", d->config->n_policies,
                         dflt);
        log_notice("scmpd %s ready: policy %s (%s); handoff socket %s; control socket %s; "
                   "kernel features: %s%s%s",
                   SCMPD_VERSION, d->config->source, what, d->listen_path,
                   control ? d->control_path : "none", have[0] ? have : "none",
                   lack[0] ? "; missing: " : "", lack);
}

static void on_signal(uv_signal_t *h, int signum)
{
        struct daemon *d = h->data;
        struct list_head *pos, *tmp;

        if (signum == SIGHUP) {
                (void)sd_notify(0, "RELOADING=1");
                (void)daemon_reload(d, NULL);
                (void)sd_notify(0, "READY=1");
                return;
        }
        log_info("%s received, stopping", strsignal(signum));
        (void)sd_notify(0, "STOPPING=1");
        d->stopping = true;
        intake_stop(d);
        intake_lxc_stop(d);
        control_stop(d);
        sd_watchdog_stop(d);
        list_for_each_safe(pos, tmp, &d->sessions)
                session_close(list_entry(pos, struct session, link), "scmpd is stopping");
        uv_close((uv_handle_t *)&d->sig_hup, NULL);
        uv_close((uv_handle_t *)&d->sig_term, NULL);
        uv_close((uv_handle_t *)&d->sig_int, NULL);
        dispatch_done(d);
}

/* Every listener is an fd: lift the soft limit to the hard one (as systemd does for services),
 * so that limits.listeners, not a 1024 default, bounds them. */
static void raise_fd_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        log_debug("cannot raise RLIMIT_NOFILE: %m");
        }
}

static int ensure_parent_dir(const char *path)
{
        _cleanup_free_ char *dir = strdup(path);
        char *slash;

        if (!dir)
                return -ENOMEM;
        if (path[0] == '@')
                return 0;
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = 0;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

static const char *owner_name(pid_t pid, char *buf, size_t size)
{
        if (pid <= 0)
                return "another process";
        snprintf(buf, size, "pid %d", (int)pid);
        return buf;
}

/* Free what main() set up, whichever step it reached (each piece accepts NULL). A start that
 * fails half-way frees the same as a clean stop, so a refused start leaves nothing to report. */
static void daemon_finish(struct daemon *d)
{
        intake_lxc_free(d);
        d->control = control_free(d->control);
        d->sd = sd_free(d->sd);
        d->journal = journal_free(d->journal);
        d->audit = audit_store_free(d->audit);
        if (d->stats)
                daemon_unobserve(stats_observer(d->stats));
        d->stats = stats_free(d->stats);
        daemon_handlers_enable_all(d);
        config_unref(d->config);
        d->config = NULL;
        uv_loop_close(d->loop);
        pthread_mutex_destroy(&d->deferred_lock);
}

int main(int argc, char **argv)
{
        enum {
                ARG_VERSION = 0x100,
                ARG_CONTROL,
                ARG_LOG_LEVEL,
                ARG_CHECK,
                ARG_LOG_TARGET,
                ARG_NO_SANDBOX,
                ARG_NO_CONTROL,
                ARG_AUDIT_STORE,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "config", required_argument, NULL, 'c' },
                { "listen", required_argument, NULL, 'l' },
                { "control", required_argument, NULL, ARG_CONTROL },
                { "foreground", no_argument, NULL, 'f' },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "check-config", no_argument, NULL, ARG_CHECK },
                { "log-target", required_argument, NULL, ARG_LOG_TARGET },
                { "no-sandbox", no_argument, NULL, ARG_NO_SANDBOX },
                { "no-control", no_argument, NULL, ARG_NO_CONTROL },
                { "audit-store", required_argument, NULL, ARG_AUDIT_STORE },
                {},
        };
        struct daemon d = {
                .config_path = DEFAULT_CONFIG,
                .listen_path = DEFAULT_LISTEN,
                .control_path = DEFAULT_CONTROL,
                .listen_fd = -1,
        };
        bool foreground = false, check = false, force_stderr = false, no_sandbox = false,
             no_control = false;
        const char *audit_path = NULL;
        char audit_default[4096];
        char workers[16], who[32], *err = NULL;
        pid_t control_owner = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, "hc:l:f", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case ARG_VERSION:
                        printf("scmpd %s\nsyscall tables: Linux %s\n", SCMPD_VERSION,
                               scmpd_syscall_tables_linux());
                        return EXIT_SUCCESS;
                case 'c':
                        d.config_path = optarg;
                        d.config_required = true;
                        break;
                case 'l':
                        d.listen_path = optarg;
                        break;
                case ARG_CONTROL:
                        d.control_path = optarg;
                        break;
                case 'f':
                        foreground = true;
                        break;
                case ARG_LOG_LEVEL:
                        r = log_level_from_string(optarg);
                        if (r < 0) {
                                fprintf(stderr, "scmpd: unknown log level '%s'\n", optarg);
                                return 2;
                        }
                        log_max_level = r;
                        break;
                case ARG_CHECK:
                        check = true;
                        break;
                case ARG_NO_SANDBOX:
                        no_sandbox = true;
                        break;
                case ARG_NO_CONTROL:
                        no_control = true;
                        break;
                case ARG_AUDIT_STORE:
                        audit_path = optarg;
                        break;
                case ARG_LOG_TARGET:
                        if (strcmp(optarg, "stderr") == 0)
                                force_stderr = true;
                        else if (strcmp(optarg, "auto") != 0) {
                                fprintf(stderr, "scmpd: --log-target is auto or stderr\n");
                                return 2;
                        }
                        break;
                default:
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "scmpd: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }
        /* In the foreground on a terminal, logs go where the operator looks. */
        log_open(force_stderr || (foreground && isatty(STDERR_FILENO)));

        r = config_load_flags(d.config_path, d.config_required,
                              check ? CONFIG_OPEN_ALL_HANDLERS : 0, &d.config, &err);
        if (r < 0) {
                log_error("cannot load the policy: %s", err ? err : strerror(-r));
                free(err);
                return EXIT_FAILURE;
        }
        if (check) {
                /* What only bites later: a control group named in the file that does not exist
                 * (scmpd would start and admit root only). */
                if (d.config->control_group && !d.config->control_group_default &&
                    !getgrnam(d.config->control_group)) {
                        log_error("%s: control.group: group \"%s\" does not exist",
                                  d.config->source, d.config->control_group);
                        config_unref(d.config);
                        return EXIT_FAILURE;
                }
                printf("%s: ok (%zu policies)\n", d.config->source, d.config->n_policies);
                config_unref(d.config);
                return EXIT_SUCCESS;
        }
        /* The worker pool is libuv's; its size is fixed at first use. */
        snprintf(workers, sizeof(workers), "%u", d.config->limits.workers);
        setenv("UV_THREADPOOL_SIZE", workers, 1);
        /* A peer that vanishes must not kill us. */
        signal(SIGPIPE, SIG_IGN);
        raise_fd_limit();

        d.notify_features = scmpd_notify_probe();
        if (d.notify_features < 0 || !(d.notify_features & SCMPD_NOTIFY_FEATURE_USER_NOTIF)) {
                log_error("this kernel has no seccomp user notification");
                config_unref(d.config);
                return EXIT_FAILURE;
        }
        d.sync_wake = true; /* session.c: until notifications interleave from several listeners */
        d.loop = uv_default_loop();
        daemon_init(&d);
        /* The observers, in the order they hear of an ended notification: statistics, the audit
         * store, then (control_start) monitors. */
        d.stats = stats_new();
        if (d.stats)
                daemon_observe(&d, stats_observer(d.stats));
        d.audit = audit_store_new(&d);
        d.journal = journal_new(&d);
        d.sd = sd_new(&d);
        if (!d.stats || !d.audit || !d.journal || !d.sd) {
                log_error("cannot set up dispatch: %s", strerror(ENOMEM));
                daemon_finish(&d);
                return EXIT_FAILURE;
        }
        /* systemd's StateDirectory= (the first entry when there are several). */
        if (!audit_path && getenv("STATE_DIRECTORY") && *getenv("STATE_DIRECTORY")) {
                snprintf(audit_default, sizeof(audit_default), "%.*s/audit.json",
                         (int)strcspn(getenv("STATE_DIRECTORY"), ":"), getenv("STATE_DIRECTORY"));
                audit_path = audit_default;
        }
        if (audit_path && strcmp(audit_path, "none") != 0)
                (void)audit_store_open(d.audit, audit_path);
        r = dispatch_init(&d);
        if (r < 0) {
                log_error("cannot set up dispatch: %s", strerror(-r));
                daemon_finish(&d);
                return EXIT_FAILURE;
        }
        /* Catch the stop signals before any socket accepts: whoever sees a socket of ours may
         * stop us, and must meet the handler, not the default action. libuv runs on_signal()
         * only from uv_run(), when everything below is up. */
        uv_signal_init(d.loop, &d.sig_hup);
        uv_signal_init(d.loop, &d.sig_term);
        uv_signal_init(d.loop, &d.sig_int);
        d.sig_hup.data = d.sig_term.data = d.sig_int.data = &d;
        uv_signal_start(&d.sig_hup, on_signal, SIGHUP);
        uv_signal_start(&d.sig_term, on_signal, SIGTERM);
        uv_signal_start(&d.sig_int, on_signal, SIGINT);
        /* Both sockets are taken from no one: a path where another process (usually a running
         * scmpd) accepts connections is an error, and this scmpd leaves it alone. */
        r = sd_take_listen_fd(&d);
        if (r < 0)
                r = ensure_parent_dir(d.listen_path);
        if (r >= 0)
                r = intake_start(&d);
        if (r == -EADDRINUSE) {
                log_error("handoff socket %s is in use by %s: another scmpd serves it; not "
                          "taking it over",
                          d.listen_path, owner_name(d.listen_owner, who, sizeof(who)));
                daemon_finish(&d);
                return EXIT_FAILURE;
        }
        if (r < 0) {
                log_error("cannot listen on %s: %s", d.listen_path, strerror(-r));
                daemon_finish(&d);
                return EXIT_FAILURE;
        }
        /* LXC's seccomp notify proxy socket, when the policy names one ("lxc_proxy"). */
        if (d.config->lxc_proxy) {
                r = ensure_parent_dir(d.config->lxc_proxy);
                if (r >= 0)
                        r = intake_lxc_start(&d, d.config->lxc_proxy);
                if (r < 0) {
                        if (r != -EADDRINUSE) /* intake_lxc_start() named the owner */
                                log_error("cannot listen on the lxc proxy socket %s: %s",
                                          d.config->lxc_proxy, strerror(-r));
                        if (!d.listen_activated)
                                (void)socket_unlink_if_ours(d.listen_path, &d.listen_file);
                        daemon_finish(&d);
                        return EXIT_FAILURE;
                }
        }
        /* Without a control socket nobody can reload, inspect or stop scmpd by scmpctl, so
         * failing to create it is fatal unless --no-control asked for none. */
        r = 0;
        if (!no_control) {
                r = ensure_parent_dir(d.control_path);
                if (r >= 0)
                        r = control_start(&d, &control_owner);
        }
        if (r < 0) {
                if (r == -EADDRINUSE)
                        log_error("control socket %s is in use by %s: another scmpd serves it; "
                                  "not taking it over (--no-control runs without one)",
                                  d.control_path, owner_name(control_owner, who, sizeof(who)));
                else
                        log_error("cannot create the control socket %s: %s (--no-control runs "
                                  "without one)",
                                  d.control_path, strerror(-r));
                if (!d.listen_activated)
                        (void)socket_unlink_if_ours(d.listen_path, &d.listen_file);
                daemon_finish(&d);
                return EXIT_FAILURE;
        }
        /* Adopt the listeners and in-flight journal a previous run left in the fd
         * store (nothing without systemd). */
        (void)sd_adopt(&d);

        /* Sockets are bound and the fd store adopted; from here on scmpd makes
         * only the system calls it serves with. Asked for and not possible is fatal. */
        if (!no_sandbox && d.config->sandbox && (r = sandbox_apply()) < 0) {
                log_error("cannot confine scmpd with its seccomp filter: %s", strerror(-r));
                daemon_finish(&d);
                return EXIT_FAILURE;
        }
        log_info("own seccomp filter: %s", no_sandbox || !d.config->sandbox ? "off" : "on");
        log_ready(&d, !no_control);
        (void)sd_watchdog_start(&d);
        sd_ready(&d); /* READY=1 and STATUS */

        uv_run(d.loop, UV_RUN_DEFAULT);

        log_info("stopped: %llu notifications, %llu answered, %llu targets gone",
                 (unsigned long long)d.n_notifications, (unsigned long long)d.n_answered,
                 (unsigned long long)d.n_gone);
        daemon_finish(&d);
        return EXIT_SUCCESS;
}
