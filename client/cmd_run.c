/*
 * scmpctl run: start a command under a seccomp filter whose NOTIFY rules scmpd serves.
 *
 *   scmpctl run [--profile P] [--metadata M] [--id ID] [--handoff PATH] -- CMD ARGS...
 *
 * The filter comes from an OCI/Docker profile (its listenerPath and listenerMetadata are used
 * unless --handoff/--metadata say otherwise), or, without --profile, from a built-in set that
 * notifies mkdir, mkdirat, mknod, mknodat, mount and umount2 and allows everything else.
 *
 * The handoff follows runc's design, because any syscall the child makes after loading the
 * filter may itself be trapped and would then wait for a supervisor that does not have the
 * listener yet: the child loads the filter (compiled beforehand in the parent), writes the
 * listener's fd *number* to the parent and waits; the parent copies the fd out of the child with
 * pidfd_open() + pidfd_getfd(), hands it to scmpd with scmpd_handoff_send_to() (pid = the child),
 * and only then lets the child exec. If the child's wait is itself trapped, scmpd is already
 * serving it. The parent forwards SIGINT/SIGTERM/SIGHUP and exits with the child's status
 * (128 + signal for a signal death).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scmpctl.h"
#include "scmpd/arch.h"
#include "scmpd/filter.h"
#include "scmpd/handoff.h"
#include "scmpd/notify.h"
#include "scmpd/profile.h"
#include "util.h"

#define DEFAULT_SOCKET "/run/scmpd/scmpd.sock"

static const char *const builtin_notify[] = { "mkdir",   "mkdirat", "mknod",
                                              "mknodat", "mount",   "umount2" };

static volatile sig_atomic_t child_pid;

static void run_usage(FILE *out)
{
        fprintf(out, "Usage: scmpctl run [--profile P] [--metadata M] [--id ID] [--handoff PATH] "
                     "-- CMD ARGS...\n\n"
                     "  --profile P    OCI or Docker seccomp profile (default: notify mkdir,\n"
                     "                 mkdirat, mknod, mknodat, mount, umount2; allow the rest)\n"
                     "  --metadata M   listener metadata for scmpd's policy matching\n"
                     "  --id ID        the id scmpd sees (default scmpd-<PID>, PID the command's)\n"
                     "  --handoff PATH scmpd's handoff socket (default: the profile's\n"
                     "                 listenerPath, else " DEFAULT_SOCKET ")\n");
}

static void forward_signal(int sig)
{
        if (child_pid > 0)
                kill(child_pid, sig);
}

static void run_warn(const char *message, void *userdata)
{
        fprintf(stderr, "scmpctl: warning: %s\n", message);
}

static int builtin_filter(struct scmpd_filter **ret)
{
        struct scmpd_filter *f = NULL;
        int r;

        r = scmpd_filter_new(SCMPD_ACT_ALLOW, &f);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(builtin_notify); i++) {
                int nr = scmpd_syscall_nr(scmpd_arch_native(), builtin_notify[i]);

                if (nr < 0)
                        continue; /* not on this arch (e.g. mkdir on arm64) */
                r = scmpd_filter_rule_add(f, SCMPD_ACT_NOTIFY, nr, 0, 0, NULL);
                if (r < 0) {
                        scmpd_filter_free(f);
                        return r;
                }
        }
        *ret = f;
        return 0;
}

/* The child: load, report the listener number, wait for the parent, exec. Returns on failure
 * only, with an exit status. */
static int child_main(struct scmpd_filter *f, int sync_fd, char **argv)
{
        char ack;
        int fd, r;

        r = scmpd_filter_load(f);
        if (r < 0) {
                fprintf(stderr, "scmpctl: loading the filter failed: %s\n", strerror(-r));
                return 126;
        }
        fd = scmpd_filter_listener_fd(f);
        /* From here on, as few syscalls as possible: any of them may be trapped. */
        if (write(sync_fd, &fd, sizeof(fd)) != sizeof(fd))
                return 126;
        /* Whatever this read returns, the parent has the listener if it returns at all. */
        if (read(sync_fd, &ack, 1) != 1 || ack != 'G')
                return 126;
        close(sync_fd);
        execvp(argv[0], argv);
        fprintf(stderr, "scmpctl: cannot execute %s: %s\n", argv[0], strerror(errno));
        return 127;
}

int cmd_run(int argc, char **argv)
{
        static const struct option options[] = {
                { "profile", required_argument, NULL, 'p' },
                { "metadata", required_argument, NULL, 'm' },
                { "id", required_argument, NULL, 'i' },
                { "handoff", required_argument, NULL, 's' },
                { "socket", required_argument, NULL, 's' }, /* the old name */
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *profile_path = NULL, *metadata = NULL, *id = NULL, *socket_path = NULL;
        struct scmpd_profile *profile = NULL;
        struct scmpd_filter *f = NULL;
        char *error = NULL, bundle[4096];
        int c, r, sv[2] = { -1, -1 }, pidfd = -1, listener = -1, remote = -1, status;
        bool notify;
        pid_t pid;

        optind = 1;
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0) {
                switch (c) {
                case 'p':
                        profile_path = optarg;
                        break;
                case 'm':
                        metadata = optarg;
                        break;
                case 'i':
                        id = optarg;
                        break;
                case 's':
                        socket_path = optarg;
                        break;
                case 'h':
                        run_usage(stdout);
                        return 0;
                default:
                        run_usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                run_usage(stderr);
                return EXIT_USAGE;
        }

        if (profile_path) {
                struct scmpd_profile_target target = {};

                r = scmpd_profile_parse_file(profile_path, run_warn, NULL, &profile, &error);
                if (r >= 0)
                        r = scmpd_profile_compile(profile, &target, run_warn, NULL, &f, &error);
                if (r < 0) {
                        scmpctl_err("%s: %s", profile_path, error ? error : strerror(-r));
                        free(error);
                        scmpd_profile_free(profile);
                        return 1;
                }
                if (!socket_path)
                        socket_path = scmpd_profile_listener_path(profile);
                if (!metadata)
                        metadata = scmpd_profile_listener_metadata(profile);
                /* Like a runtime: the profile's filter is loaded with no_new_privs. */
                (void)scmpd_filter_attr_set(f, SCMPD_ATTR_NO_NEW_PRIVS, 1);
        } else {
                r = builtin_filter(&f);
                if (r < 0) {
                        scmpctl_err("building the filter failed: %s", strerror(-r));
                        return 1;
                }
        }
        if (!socket_path)
                socket_path = DEFAULT_SOCKET;
        notify = scmpd_filter_uses_notify(f);
        if (!notify)
                fprintf(stderr, "scmpctl: warning: the filter has no NOTIFY rule; nothing is "
                                "handed to scmpd\n");
        r = scmpd_filter_precompute(f);
        if (r < 0) {
                scmpctl_err("compiling the filter failed: %s",
                            scmpd_filter_error(f) ? scmpd_filter_error(f) : strerror(-r));
                goto out;
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
                r = -errno;
                scmpctl_err("socketpair: %m");
                goto out;
        }

        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                r = -errno;
                scmpctl_err("fork: %m");
                goto out;
        }
        if (pid == 0) {
                close(sv[0]);
                _exit(child_main(f, sv[1], argv + optind));
        }
        child_pid = pid;
        signal(SIGINT, forward_signal);
        signal(SIGTERM, forward_signal);
        signal(SIGHUP, forward_signal);
        sv[1] = safe_close(sv[1]);

        /* The child reports the listener's number once the filter is in place. */
        if (read(sv[0], &remote, sizeof(remote)) != sizeof(remote)) {
                r = -EIO;
                scmpctl_err("the child failed before its filter was loaded");
                goto wait_child;
        }
        if (notify) {
                struct scmpd_handoff_info info = {
                        .pid = pid,
                        .metadata = metadata,
                        .id = id,
                        .status = "running",
                        .bundle = getcwd(bundle, sizeof(bundle)) ? bundle : NULL,
                };

                pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
                if (pidfd >= 0)
                        listener = (int)syscall(SYS_pidfd_getfd, pidfd, remote, 0);
                if (listener < 0) {
                        r = -errno;
                        scmpctl_err("cannot take the listener from the child: %m");
                        kill(pid, SIGKILL);
                        goto wait_child;
                }
                r = scmpd_handoff_send_to(socket_path, listener, &info);
                listener = safe_close(listener);
                if (r < 0) {
                        scmpctl_err("cannot hand the listener to scmpd at %s: %s", socket_path,
                                    strerror(-r));
                        kill(pid, SIGKILL);
                        goto wait_child;
                }
        }
        if (write(sv[0], "G", 1) != 1) {
                r = -EIO;
                kill(pid, SIGKILL);
        } else {
                r = 0;
        }
wait_child:
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        status = 0;
                        r = -errno;
                        break;
                }
        child_pid = 0;
        safe_close(pidfd);
        safe_close(sv[0]);
        scmpd_filter_free(f);
        scmpd_profile_free(profile);
        if (r < 0)
                return 1;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 1;
out:
        safe_close(sv[0]);
        safe_close(sv[1]);
        scmpd_filter_free(f);
        scmpd_profile_free(profile);
        return 1;
}
