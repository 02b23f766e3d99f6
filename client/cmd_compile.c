/*
 * scmpctl compile: an OCI or Docker seccomp profile, compiled as a container runtime would for
 * one target (host arch, capability set, kernel version), written as raw BPF (-o), as readable
 * PFC (--pfc), or summarised (--stats) by running the program in the simulator over every
 * syscall number of every arch in the filter.
 *
 * The first --arch is the host arch: moby's archMap and includes/excludes are decided for it.
 * Further --arch values are added to the filter besides the profile's own arches. Like runc,
 * -o and --stats put runc's -ENOSYS stub in front of the filter (--no-enosys-stub: not).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scmpctl.h"
#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "scmpd/filter.h"
#include "scmpd/profile.h"
#include "util.h"

#define COMPILE_MAX_ARCHES 16
#define COMPILE_MAX_CAPS 64

static void compile_usage(FILE *out)
{
        fprintf(out, "Usage: scmpctl compile PROFILE [--arch A]... [--caps CAP,...] "
                     "[--kernel X.Y]\n"
                     "                        (-o FILE | --pfc | --stats)\n\n"
                     "  --arch A        host arch first (decides archMap and includes/excludes),\n"
                     "                  then extra arches; default: this machine's\n"
                     "  --caps LIST     the container's bounding capabilities, comma separated\n"
                     "  --kernel X.Y    the kernel version minKernel is compared with;\n"
                     "                  default: the running kernel\n"
                     "  -o FILE         write the raw BPF program\n"
                     "  --pfc           print the filter as PFC text\n"
                     "  --stats         print program length, instructions executed and\n"
                     "                  cacheable syscalls per arch\n"
                     "  --no-enosys-stub  leave out runc's -ENOSYS stub (-o, --stats); --pfc\n"
                     "                  always shows the filter alone\n");
}

static void compile_warn(const char *message, void *userdata)
{
        fprintf(stderr, "scmpctl: warning: %s\n", message);
}

/* "sys_admin" and "CAP_SYS_ADMIN" are the same capability; runtimes spell it the second way. */
static char *cap_normalize(const char *s, size_t len)
{
        bool prefixed = len >= 4 && strncasecmp(s, "CAP_", 4) == 0;
        char *c = malloc(len + 5);
        if (!c)
                return NULL;
        size_t n = 0;
        if (!prefixed) {
                memcpy(c, "CAP_", 4);
                n = 4;
        }
        for (size_t i = 0; i < len; i++)
                c[n++] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i]);
        c[n] = '\0';
        return c;
}

/* Linux's capability names (<linux/capability.h>, 0 to 40): a --caps typo would silently drop
 * the profile's rules conditioned on the intended capability. */
static bool cap_known(const char *cap)
{
        static const char *const names[] = {
                "CHOWN",
                "DAC_OVERRIDE",
                "DAC_READ_SEARCH",
                "FOWNER",
                "FSETID",
                "KILL",
                "SETGID",
                "SETUID",
                "SETPCAP",
                "LINUX_IMMUTABLE",
                "NET_BIND_SERVICE",
                "NET_BROADCAST",
                "NET_ADMIN",
                "NET_RAW",
                "IPC_LOCK",
                "IPC_OWNER",
                "SYS_MODULE",
                "SYS_RAWIO",
                "SYS_CHROOT",
                "SYS_PTRACE",
                "SYS_PACCT",
                "SYS_ADMIN",
                "SYS_BOOT",
                "SYS_NICE",
                "SYS_RESOURCE",
                "SYS_TIME",
                "SYS_TTY_CONFIG",
                "MKNOD",
                "LEASE",
                "AUDIT_WRITE",
                "AUDIT_CONTROL",
                "SETFCAP",
                "MAC_OVERRIDE",
                "MAC_ADMIN",
                "SYSLOG",
                "WAKE_ALARM",
                "BLOCK_SUSPEND",
                "AUDIT_READ",
                "PERFMON",
                "BPF",
                "CHECKPOINT_RESTORE",
        };

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(cap + 4, names[i]) == 0)
                        return true;
        return false;
}

/* The value the kernel puts in seccomp_data.arch for tasks of this arch. */
static uint32_t arch_data_token(const struct scmpd_arch *a)
{
        /* x32 tasks report AUDIT_ARCH_X86_64; their numbers carry the x32 bit instead. */
        if (strcmp(a->name, "x32") == 0)
                return scmpd_arch_by_name("x86_64")->token;
        return a->token;
}

/* What runc would load: its -ENOSYS stub (unless disabled) and then the filter's program. */
static int program_build(const struct scmpd_profile *profile,
                         const struct scmpd_profile_target *target, struct scmpd_filter *f,
                         bool stub, struct sock_filter **ret_prog, size_t *ret_len,
                         size_t *ret_stub_len)
{
        void *filter_mem = NULL, *stub_mem = NULL;
        size_t filter_len = 0, stub_len = 0;
        int r;

        r = scmpd_filter_export_bpf_mem(f, &filter_mem, &filter_len);
        if (r < 0) {
                const char *why = scmpd_filter_error(f);
                scmpctl_err("cannot generate the program: %s", why ? why : strerror(-r));
                return r;
        }
        if (stub) {
                r = scmpd_profile_enosys_stub(profile, target, &stub_mem, &stub_len);
                if (r < 0) {
                        scmpctl_err("cannot generate the -ENOSYS stub: %s", strerror(-r));
                        free(filter_mem);
                        return r;
                }
        }
        if (stub_len + filter_len > BPF_MAXINSNS) {
                scmpctl_err("the program has %zu instructions, more than the kernel's %d",
                            stub_len + filter_len, BPF_MAXINSNS);
                free(filter_mem);
                free(stub_mem);
                return -E2BIG;
        }
        struct sock_filter *prog = calloc(stub_len + filter_len, sizeof(*prog));
        if (!prog) {
                scmpctl_err("out of memory");
                free(filter_mem);
                free(stub_mem);
                return -ENOMEM;
        }
        if (stub_len > 0)
                memcpy(prog, stub_mem, stub_len * sizeof(*prog));
        memcpy(prog + stub_len, filter_mem, filter_len * sizeof(*prog));
        free(filter_mem);
        free(stub_mem);
        *ret_prog = prog;
        *ret_len = stub_len + filter_len;
        *ret_stub_len = stub_len;
        return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static int print_stats(const struct sock_filter *prog, size_t len, size_t stub_len,
                       const uint32_t *arches, size_t n_arches)
{
        int r;

        if (stub_len > 0)
                printf("program: %zu instructions (%zu of them runc's -ENOSYS stub)\n", len,
                       stub_len);
        else
                printf("program: %zu instructions\n", len);
        printf("%-12s %8s %10s %10s %10s\n", "ARCH", "SYSCALLS", "INSNS-MEAN", "INSNS-MAX",
               "CACHEABLE");
        for (size_t i = 0; i < n_arches; i++) {
                const struct scmpd_arch *a = scmpd_arch_by_token(arches[i]);
                unsigned long long total = 0;
                unsigned max = 0;
                size_t count = 0, cacheable = 0;
                const char *name;
                int nr;

                if (!a)
                        continue;
                for (size_t k = 0; scmpd_syscall_iter(a, k, &nr, &name); k++) {
                        struct seccomp_data data = { .nr = nr, .arch = arch_data_token(a) };
                        uint32_t action;
                        unsigned executed;

                        r = scmpd_bpf_run(prog, len, &data, &action, &executed);
                        if (r < 0) {
                                scmpctl_err("simulating %s on %s: %s", name, a->name, strerror(-r));
                                return r;
                        }
                        total += executed;
                        if (executed > max)
                                max = executed;
                        count++;
                        r = scmpd_bpf_cacheable(prog, len, data.arch, nr);
                        if (r < 0) {
                                scmpctl_err("cacheability of %s on %s: %s", name, a->name,
                                            strerror(-r));
                                return r;
                        }
                        cacheable += r > 0;
                }
                printf("%-12s %8zu %10.2f %10u %10zu\n", a->name, count,
                       count ? (double)total / (double)count : 0.0, max, cacheable);
        }
        printf("SYSCALLS: the arch's syscalls run through the program; INSNS-MEAN, INSNS-MAX: "
               "BPF\ninstructions executed per syscall; CACHEABLE: syscalls the kernel's action "
               "cache\ncan allow without running the program.\n");
        return 0;
}

int cmd_compile(int argc, char **argv)
{
        enum {
                OPT_PFC = 0x100,
                OPT_STATS,
                OPT_CAPS,
                OPT_KERNEL,
                OPT_NO_STUB,
                OPT_ARCH
        };
        static const struct option options[] = {
                { "arch", required_argument, NULL, OPT_ARCH },
                { "caps", required_argument, NULL, OPT_CAPS },
                { "kernel", required_argument, NULL, OPT_KERNEL },
                { "output", required_argument, NULL, 'o' },
                { "pfc", no_argument, NULL, OPT_PFC },
                { "stats", no_argument, NULL, OPT_STATS },
                { "no-enosys-stub", no_argument, NULL, OPT_NO_STUB },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        uint32_t arches[COMPILE_MAX_ARCHES];
        char *caps[COMPILE_MAX_CAPS];
        size_t n_arches = 0, n_caps = 0;
        struct scmpd_profile_target target = { 0 };
        const char *output = NULL;
        bool pfc = false, stats = false, stub = true;
        _cleanup_free_ struct sock_filter *prog = NULL;
        size_t prog_len = 0, stub_len = 0;
        struct scmpd_profile *profile = NULL;
        struct scmpd_filter *filter = NULL;
        char *error = NULL;
        int ret = 1, c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "ho:", options, NULL)) >= 0) {
                switch (c) {
                case OPT_ARCH: {
                        const struct scmpd_arch *a = scmpd_arch_by_name(optarg);
                        if (!a) {
                                scmpctl_err("unknown architecture '%s'", optarg);
                                ret = EXIT_USAGE;
                                goto out;
                        }
                        if (n_arches >= COMPILE_MAX_ARCHES) {
                                scmpctl_err("too many --arch options");
                                ret = EXIT_USAGE;
                                goto out;
                        }
                        arches[n_arches++] = a->token;
                        break;
                }
                case OPT_CAPS: {
                        const char *s = optarg;
                        while (*s) {
                                size_t len = strcspn(s, ",");
                                if (len > 0) {
                                        if (n_caps >= COMPILE_MAX_CAPS) {
                                                scmpctl_err("too many capabilities");
                                                ret = EXIT_USAGE;
                                                goto out;
                                        }
                                        caps[n_caps] = cap_normalize(s, len);
                                        if (!caps[n_caps]) {
                                                scmpctl_err("out of memory");
                                                goto out;
                                        }
                                        if (!cap_known(caps[n_caps++])) {
                                                scmpctl_err("--caps: unknown capability '%s'",
                                                            caps[n_caps - 1]);
                                                ret = EXIT_USAGE;
                                                goto out;
                                        }
                                }
                                s += len;
                                if (*s == ',')
                                        s++;
                        }
                        break;
                }
                case OPT_KERNEL: {
                        unsigned major, minor;
                        char tail;
                        if (sscanf(optarg, "%u.%u%c", &major, &minor, &tail) != 2 ||
                            (major == 0 && minor == 0) || major > 255 || minor > 255) {
                                scmpctl_err("--kernel wants X.Y, e.g. 6.1 (got '%s')", optarg);
                                ret = EXIT_USAGE;
                                goto out;
                        }
                        target.kernel_major = major;
                        target.kernel_minor = minor;
                        break;
                }
                case 'o':
                        output = optarg;
                        break;
                case OPT_PFC:
                        pfc = true;
                        break;
                case OPT_STATS:
                        stats = true;
                        break;
                case OPT_NO_STUB:
                        stub = false;
                        break;
                case 'h':
                        compile_usage(stdout);
                        ret = 0;
                        goto out;
                default:
                        compile_usage(stderr);
                        ret = EXIT_USAGE;
                        goto out;
                }
        }
        if (optind != argc - 1 || (!!output + pfc + stats) != 1) {
                compile_usage(stderr);
                ret = EXIT_USAGE;
                goto out;
        }

        if (n_arches > 0) {
                target.arch = arches[0];
                target.extra_arches = arches + 1;
                target.n_extra_arches = n_arches - 1;
        }
        target.caps = (const char *const *)caps;
        target.n_caps = n_caps;

        r = scmpd_profile_parse_file(argv[optind], compile_warn, NULL, &profile, &error);
        if (r < 0) {
                /* The library's message may name the file already: never twice. */
                if (error && strncmp(error, argv[optind], strlen(argv[optind])) == 0)
                        scmpctl_err("%s", error);
                else
                        scmpctl_err("%s: %s", argv[optind], error ? error : strerror(-r));
                goto out;
        }
        r = scmpd_profile_compile(profile, &target, compile_warn, NULL, &filter, &error);
        if (r < 0) {
                scmpctl_err("%s: %s", argv[optind], error ? error : strerror(-r));
                goto out;
        }

        if ((output || stats) &&
            program_build(profile, &target, filter, stub, &prog, &prog_len, &stub_len) < 0)
                goto out;

        if (output) {
                _cleanup_close_ int fd = -1;
                if (strcmp(output, "-") == 0)
                        fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
                else
                        fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY,
                                  0644);
                if (fd < 0) {
                        scmpctl_err("%s: %s", output, strerror(errno));
                        goto out;
                }
                r = write_all(fd, prog, prog_len * sizeof(*prog));
                if (r < 0) {
                        scmpctl_err("%s: %s", output, strerror(-r));
                        goto out;
                }
        } else if (pfc) {
                fflush(stdout);
                r = scmpd_filter_export_pfc(filter, STDOUT_FILENO);
                if (r < 0) {
                        scmpctl_err("cannot write PFC: %s", strerror(-r));
                        goto out;
                }
        } else {
                uint32_t filter_arches[COMPILE_MAX_ARCHES + SCMPD_PROFILE_MAX_LIST * 2];
                r = scmpd_profile_arches(profile, &target, filter_arches,
                                         ELEMENTSOF(filter_arches));
                if (r < 0) {
                        scmpctl_err("cannot list the filter's arches: %s", strerror(-r));
                        goto out;
                }
                size_t n = (size_t)r < ELEMENTSOF(filter_arches) ? (size_t)r
                                                                 : ELEMENTSOF(filter_arches);
                if (print_stats(prog, prog_len, stub_len, filter_arches, n) < 0)
                        goto out;
        }
        ret = 0;
out:
        scmpd_filter_free(filter);
        scmpd_profile_free(profile);
        free(error);
        for (size_t i = 0; i < n_caps; i++)
                free(caps[i]);
        return ret;
}
