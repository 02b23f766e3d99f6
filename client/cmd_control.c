/*
 * scmpctl's online commands: status, listeners, stats, monitor, audit (and audit profile),
 * reload, handler enable|disable, metrics. Each sends one request over scmpd's control socket
 * (newline-delimited JSON, docs/control-protocol.md) and renders the result as a table, or
 * prints the result object with --json.
 *
 * Exit status (scmpctl(1)): 0 success; 1 scmpd refused or failed the request; 2 usage;
 * 3 scmpd is not running (no socket, or nobody listening); 4 access denied; 5 protocol error
 * (the connection broke or the reply was malformed); 6 scmpd did not accept the connection or
 * did not answer within --timeout (default 5 s; a stopped or wedged scmpd must not hang a script
 * or a monitoring probe forever).
 *
 * Everything from the socket is treated as untrusted: replies are bounded in size, parsed with
 * jansson, and every member is type-checked before use (a missing or mistyped member prints as
 * "-", never crashes).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "scmpctl.h"
#include "scmpd/arch.h"
#include "scmpd/filter.h"
#include "scmpd/profile.h"
#include "sockaddr.h"
#include "util.h"

#define DEFAULT_CONTROL SCMPD_RUNSTATEDIR "/scmpd/control.sock"
#define MAX_REPLY (32U * 1024U * 1024U)

enum {
        EXIT_REFUSED = 1,
        EXIT_NOT_RUNNING = 3,
        EXIT_DENIED = 4,
        EXIT_PROTOCOL = 5,
        EXIT_TIMEOUT = 6,
};

#define DEFAULT_TIMEOUT_MS 5000

struct ctl_opts {
        const char *socket;
        bool json;
        const char *container;
        const char *syscall;
        const char *verdict;
        const char *output;
        bool histograms;
        unsigned timeout_ms; /* connect and each reply; 0: wait forever */
};

static const char *printable(const char *s);

/* ---- the connection ---- */

struct ctl_conn {
        int fd;
        char *buf;
        size_t len, cap;
        unsigned timeout_ms;
};

/* The socket's send and receive timeouts: a Unix stream connect() waits for room in the
 * listener's backlog under SO_SNDTIMEO, and recv() under SO_RCVTIMEO; both then fail with
 * EAGAIN. 0 clears them. */
static void set_timeouts(int fd, unsigned ms)
{
        struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int ctl_connect(const char *path, unsigned timeout_ms, struct ctl_conn *ret)
{
        struct sockaddr_un sa;
        socklen_t salen;
        int fd;

        if (sockaddr_un_from_path(path, &sa, &salen) < 0) {
                scmpctl_err("socket path empty or too long: %s", path);
                return EXIT_USAGE;
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                scmpctl_err("socket: %m");
                return EXIT_FAILURE;
        }
        set_timeouts(fd, timeout_ms);
        if (connect(fd, (struct sockaddr *)&sa, salen) < 0) {
                int e = errno;

                close(fd);
                if (e == EACCES || e == EPERM) {
                        scmpctl_err("access to %s denied: %s (root or the control group only)",
                                    path, strerror(e));
                        return EXIT_DENIED;
                }
                if (e == ENOENT || e == ECONNREFUSED) {
                        scmpctl_err("scmpd is not running (no control socket at %s: %s)", path,
                                    strerror(e));
                        return EXIT_NOT_RUNNING;
                }
                if (e == EAGAIN || e == EINPROGRESS) {
                        scmpctl_err("scmpd did not accept the connection on %s within %u.%03u s "
                                    "(is it stopped or overloaded? see --timeout)",
                                    path, timeout_ms / 1000, timeout_ms % 1000);
                        return EXIT_TIMEOUT;
                }
                scmpctl_err("cannot connect to %s: %s", path, strerror(e));
                return EXIT_NOT_RUNNING;
        }
        *ret = (struct ctl_conn){ .fd = fd, .timeout_ms = timeout_ms };
        return 0;
}

static void ctl_close(struct ctl_conn *c)
{
        c->fd = safe_close(c->fd);
        free(c->buf);
        c->buf = NULL;
}

/* Read one line into a malloc()ed string. 0, or EXIT_PROTOCOL on EOF/error/oversize. */
static int ctl_read_line(struct ctl_conn *c, char **ret)
{
        for (;;) {
                char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
                ssize_t n;

                if (nl) {
                        size_t l = (size_t)(nl - c->buf);
                        char *line = strndup(c->buf, l);

                        if (!line)
                                return EXIT_FAILURE;
                        memmove(c->buf, nl + 1, c->len - l - 1);
                        c->len -= l + 1;
                        *ret = line;
                        return 0;
                }
                if (c->len >= MAX_REPLY) {
                        scmpctl_err("reply from scmpd larger than %u bytes", MAX_REPLY);
                        return EXIT_PROTOCOL;
                }
                if (c->cap - c->len < 65536) {
                        size_t cap = c->cap ? c->cap * 2 : 65536;
                        char *p = realloc(c->buf, cap);

                        if (!p)
                                return EXIT_FAILURE;
                        c->buf = p;
                        c->cap = cap;
                }
                n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) { /* EWOULDBLOCK is the same */
                        scmpctl_err("scmpd did not answer within %u.%03u s (is it stopped or "
                                    "overloaded? see --timeout)",
                                    c->timeout_ms / 1000, c->timeout_ms % 1000);
                        return EXIT_TIMEOUT;
                }
                if (n <= 0) {
                        if (n < 0)
                                scmpctl_err("reading from scmpd: %m");
                        else
                                scmpctl_err("scmpd closed the connection");
                        return EXIT_PROTOCOL;
                }
                c->len += (size_t)n;
        }
}

/* Check a reply object: 0 with *ret_result borrowed from `reply` when ok. */
static int reply_result(json_t *reply, json_t **ret_result)
{
        json_t *ok = json_object_get(reply, "ok");
        const char *code, *error;

        if (!json_is_boolean(ok)) {
                scmpctl_err("malformed reply from scmpd");
                return EXIT_PROTOCOL;
        }
        if (json_is_true(ok)) {
                *ret_result = json_object_get(reply, "result");
                if (!*ret_result) {
                        scmpctl_err("malformed reply from scmpd (no result)");
                        return EXIT_PROTOCOL;
                }
                return 0;
        }
        code = json_string_value(json_object_get(reply, "code"));
        error = json_string_value(json_object_get(reply, "error"));
        scmpctl_err("scmpd: %s", error ? printable(error) : "request failed");
        if (code && strcmp(code, "EACCES") == 0)
                return EXIT_DENIED;
        return EXIT_REFUSED;
}

static int read_reply(struct ctl_conn *c, json_t **ret_reply)
{
        _cleanup_free_ char *line = NULL;
        json_t *reply;
        int r;

        r = ctl_read_line(c, &line);
        if (r)
                return r;
        reply = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(reply)) {
                json_decref(reply);
                scmpctl_err("malformed reply from scmpd");
                return EXIT_PROTOCOL;
        }
        *ret_reply = reply;
        return 0;
}

/* Send `req` (consumed) and wait for its reply object. */
static int ctl_request(struct ctl_conn *c, json_t *req, json_t **ret_reply)
{
        char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;
        size_t off = 0, len;

        json_decref(req);
        if (!s)
                return EXIT_FAILURE;
        len = strlen(s);
        s[len++] = '\n'; /* replaces the NUL; we send by length */
        while (off < len) {
                ssize_t n = send(c->fd, s + off, len - off, MSG_NOSIGNAL);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        break; /* a refused peer is closed at once: read its reason below */
                off += (size_t)n;
        }
        free(s);
        return read_reply(c, ret_reply);
}

/* Connect, send, check: *ret_reply owns the reply, *ret_result is borrowed from it. */
static int call(const struct ctl_opts *o, json_t *req, json_t **ret_reply, json_t **ret_result)
{
        struct ctl_conn c = { .fd = -1 };
        json_t *reply = NULL;
        int r;

        r = ctl_connect(o->socket, o->timeout_ms, &c);
        if (r) {
                json_decref(req);
                return r;
        }
        r = ctl_request(&c, req, &reply);
        ctl_close(&c);
        if (r)
                return r;
        r = reply_result(reply, ret_result);
        if (r) {
                json_decref(reply);
                return r;
        }
        *ret_reply = reply;
        return 0;
}

int scmpctl_parse_timeout(const char *arg, unsigned *ret_ms)
{
        char *end = NULL;
        double sec;

        errno = 0;
        sec = strtod(arg, &end);
        if (errno || end == arg || *end || !(sec >= 0 && sec <= 86400)) {
                scmpctl_err("--timeout: '%s' is not a number of seconds (0..86400, 0 waits "
                            "forever)",
                            arg);
                return -EINVAL;
        }
        *ret_ms = (unsigned)(sec * 1000 + 0.5);
        if (sec > 0 && *ret_ms == 0)
                *ret_ms = 1;
        return 0;
}

int scmpctl_control_call(const char *socket, int timeout_ms, json_t *req, json_t **ret_reply,
                         json_t **ret_result)
{
        struct ctl_opts o = { .socket = socket,
                              .timeout_ms =
                                      timeout_ms < 0 ? DEFAULT_TIMEOUT_MS : (unsigned)timeout_ms };

        if (!o.socket || !*o.socket)
                o.socket = getenv("SCMPD_CONTROL_SOCKET");
        if (!o.socket || !*o.socket)
                o.socket = DEFAULT_CONTROL;
        return call(&o, req, ret_reply, ret_result);
}

static void print_json(json_t *v)
{
        json_dumpf(v, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
        fputc('\n', stdout);
}

/* ---- option parsing shared by the commands ---- */

enum {
        OPT_SOCKET = 0x100,
        OPT_JSON,
        OPT_CONTAINER,
        OPT_SYSCALL,
        OPT_VERDICT,
        OPT_HISTOGRAMS,
        OPT_TIMEOUT,
};

static bool help_requested; /* --help: usage on stdout, exit 0 */

static int parse_opts(int argc, char **argv, const char *allowed, struct ctl_opts *o,
                      int *ret_optind)
{
        static const struct option options[] = {
                { "control", required_argument, NULL, OPT_SOCKET },
                { "socket", required_argument, NULL, OPT_SOCKET }, /* the old name */
                { "timeout", required_argument, NULL, OPT_TIMEOUT },
                { "json", no_argument, NULL, OPT_JSON },
                { "container", required_argument, NULL, OPT_CONTAINER },
                { "syscall", required_argument, NULL, OPT_SYSCALL },
                { "verdict", required_argument, NULL, OPT_VERDICT },
                { "histograms", no_argument, NULL, OPT_HISTOGRAMS },
                { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        *o = (struct ctl_opts){ .socket = getenv("SCMPD_CONTROL_SOCKET"),
                                .timeout_ms = DEFAULT_TIMEOUT_MS };
        if (!o->socket || !*o->socket)
                o->socket = DEFAULT_CONTROL;
        optind = 1;
        while ((c = getopt_long(argc, argv, "o:h", options, NULL)) >= 0) {
                const char *name = NULL;

                switch (c) {
                case OPT_SOCKET:
                        o->socket = optarg;
                        continue;
                case OPT_JSON:
                        o->json = true;
                        continue;
                case OPT_TIMEOUT:
                        if (scmpctl_parse_timeout(optarg, &o->timeout_ms) < 0)
                                return -1;
                        continue;
                case 'h':
                        help_requested = true;
                        return -1;
                case OPT_CONTAINER:
                        name = "c";
                        o->container = optarg;
                        break;
                case OPT_SYSCALL:
                        name = "s";
                        o->syscall = optarg;
                        break;
                case OPT_VERDICT:
                        name = "v";
                        o->verdict = optarg;
                        break;
                case 'o':
                        name = "o";
                        o->output = optarg;
                        break;
                case OPT_HISTOGRAMS:
                        name = "H";
                        o->histograms = true;
                        break;
                default:
                        return -1;
                }
                if (!strchr(allowed, name[0])) {
                        scmpctl_err("%s: option not accepted here", argv[optind - 1]);
                        return -1;
                }
        }
        *ret_optind = optind;
        return 0;
}

static int usage(const char *text)
{
        fprintf(help_requested ? stdout : stderr,
                "Usage: scmpctl %s\n       (common options: --control PATH (scmpd's control "
                "socket), "
                "--timeout SECONDS (default 5, 0 waits forever), --json; see scmpctl(1))\n",
                text);
        return help_requested ? 0 : EXIT_USAGE;
}

/* ---- rendering helpers ---- */

/*
 * A string from scmpd (container ids, metadata and annotations come from runtimes) made safe for
 * a terminal: C0 and C1 control characters and DEL become '?', so nothing can move the cursor
 * or set the title. The result lives until 8 more calls; long strings are cut at 511 bytes.
 */
static const char *printable(const char *s)
{
        static char bufs[8][512];
        static unsigned next;
        char *out = bufs[next++ % 8];
        size_t n = 0;

        if (!s)
                return NULL;
        for (const unsigned char *p = (const unsigned char *)s; *p && n < 511; p++) {
                if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) { /* U+0080..U+009F */
                        out[n++] = '?';
                        p++;
                } else {
                        out[n++] = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
                }
        }
        out[n] = 0;
        return out;
}

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
        const char *s = json_string_value(json_object_get(o, key));

        return s ? printable(s) : dflt;
}

static long long int_of(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);

        return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static double num_of(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);

        return json_is_number(v) ? json_number_value(v) : 0.0;
}

static void fmt_duration(double s, char *buf, size_t size)
{
        if (s < 0 || !isfinite(s))
                snprintf(buf, size, "-");
        else if (s < 1e-6)
                snprintf(buf, size, "%.0fns", s * 1e9);
        else if (s < 1e-3)
                snprintf(buf, size, "%.0fus", s * 1e6);
        else if (s < 1)
                snprintf(buf, size, "%.1fms", s * 1e3);
        else if (s < 120)
                snprintf(buf, size, "%.1fs", s);
        else if (s < 7200)
                snprintf(buf, size, "%llum%02llus", (unsigned long long)s / 60,
                         (unsigned long long)s % 60);
        else
                snprintf(buf, size, "%lluh%02llum", (unsigned long long)s / 3600,
                         (unsigned long long)s / 60 % 60);
}

/* ---- status ---- */

static void print_names(const char *label, json_t *names, bool always)
{
        size_t i;
        json_t *n;

        if (!always && !json_array_size(names))
                return;
        printf("%s", label);
        if (!json_array_size(names))
                printf(" (none)");
        json_array_foreach (names, i, n)
                printf(" %s", json_is_string(n) ? printable(json_string_value(n)) : "?");
        printf("\n");
}

/* The policy's handler instances (one per chain entry), by name once each, in first-use order,
 * with their count when a name is used more than once: "audit x3 mount mknod". */
static void print_handlers(json_t *names)
{
        size_t i, j, n = json_array_size(names);

        printf("Handlers: ");
        if (!n)
                printf(" (none)");
        for (i = 0; i < n; i++) {
                const char *name = json_string_value(json_array_get(names, i));
                unsigned uses = 0;
                bool seen = false;

                for (j = 0; j < n && !seen; j++) {
                        const char *other = json_string_value(json_array_get(names, j));
                        bool same =
                                (!name && !other) || (name && other && strcmp(name, other) == 0);

                        if (same && j < i)
                                seen = true;
                        else if (same)
                                uses++;
                }
                if (seen)
                        continue;
                printf(" %s", name ? printable(name) : "?");
                if (uses > 1)
                        printf(" x%u", uses);
        }
        printf("\n");
}

int cmd_status(int argc, char **argv)
{
        static const char *const feats[][2] = {
                { "notify", "notify" },
                { "continue", "CONTINUE" },
                { "addfd", "ADDFD" },
                { "addfd_send", "ADDFD_SEND" },
                { "wait_killable_recv", "WAIT_KILLABLE_RECV" },
                { "sync_wake_up", "SYNC_WAKE_UP" },
        };
        struct ctl_opts o;
        json_t *reply, *res, *cfg, *counts, *lim, *f, *v;
        char up[32];
        const char *key;
        int r, oi;

        if (parse_opts(argc, argv, "", &o, &oi) < 0 || oi != argc)
                return usage("status [--control PATH] [--json]");
        /* The library's own facts come first: they hold whether scmpd runs or not. */
        if (!o.json)
                printf("scmpctl %s, syscall tables of Linux %s\n", SCMPD_VERSION,
                       scmpd_syscall_tables_linux());
        r = call(&o, json_pack("{s:s}", "command", "status"), &reply, &res);
        if (r)
                return r;
        if (o.json) {
                print_json(res);
                json_decref(reply);
                return 0;
        }
        cfg = json_object_get(res, "config");
        counts = json_object_get(res, "counts");
        lim = json_object_get(cfg, "limits");
        f = json_object_get(res, "features");
        fmt_duration(num_of(res, "uptime_seconds"), up, sizeof(up));
        printf("scmpd %s, syscall tables of Linux %s, pid %lld, up %s\n",
               str_or(res, "version", "?"), str_or(res, "syscall_tables_linux", "?"),
               int_of(res, "pid"), up);
        printf("Sockets:   handoff %s, control %s\n",
               str_or(json_object_get(res, "paths"), "handoff", "-"),
               str_or(json_object_get(res, "paths"), "control", "-"));
        printf("Kernel:   ");
        for (size_t i = 0; i < ELEMENTSOF(feats); i++)
                printf(" %s %s%s", feats[i][1],
                       json_is_true(json_object_get(f, feats[i][0])) ? "yes" : "no",
                       i + 1 < ELEMENTSOF(feats) ? "," : "\n");
        printf("Policy:    %s (%zu policies), default %s\n", str_or(cfg, "source", "-"),
               json_array_size(json_object_get(cfg, "policies")), str_or(cfg, "default", "-"));
        print_handlers(json_object_get(cfg, "handlers"));
        print_names("Disabled: ", json_object_get(cfg, "disabled_handlers"), false);
        printf("Control:   group %s\n", str_or(cfg, "control_group", "(root only)"));
        printf("Limits:   ");
        json_object_foreach (lim, key, v)
                printf(" %s=%lld", key, json_is_integer(v) ? (long long)json_integer_value(v) : 0);
        printf("\n");
        printf("Counts:    %lld listeners, %lld handoff connections, %lld notifications "
               "(%lld answered, %lld gone, %lld in flight)\n",
               int_of(counts, "listeners"), int_of(counts, "handoff_connections"),
               int_of(counts, "notifications"), int_of(counts, "answered"), int_of(counts, "gone"),
               int_of(counts, "inflight"));
        printf("Verdicts: ");
        json_object_foreach (json_object_get(counts, "verdicts"), key, v)
                printf(" %s %lld", key, json_is_integer(v) ? (long long)json_integer_value(v) : 0);
        printf("\n");
        printf("Clients:   %lld control, %lld monitors, %lld monitor events dropped, "
               "%lld refused, %lld rate-limited\n",
               int_of(counts, "control_clients"), int_of(counts, "monitors"),
               int_of(counts, "monitor_events_dropped"), int_of(counts, "control_refused"),
               int_of(counts, "control_rate_limited"));
        json_decref(reply);
        return 0;
}

/* ---- listeners ---- */

int cmd_listeners(int argc, char **argv)
{
        struct ctl_opts o;
        json_t *reply, *res, *list, *l;
        size_t i;
        int r, oi;

        if (parse_opts(argc, argv, "", &o, &oi) < 0 || oi != argc)
                return usage("listeners [--control PATH] [--json]");
        r = call(&o, json_pack("{s:s}", "command", "listeners"), &reply, &res);
        if (r)
                return r;
        list = json_object_get(res, "listeners");
        if (o.json) {
                print_json(list ? list : res);
                json_decref(reply);
                return 0;
        }
        printf("%-7s %-24s %-8s %-11s %-8s %9s %8s %8s %-20s %-16s %s\n", "SESSION", "CONTAINER",
               "PID", "RUNTIME", "AGE", "HANDLED", "INFLIGHT", "OLDEST", "POLICY", "METADATA",
               "ANNOTATIONS");
        json_array_foreach (list, i, l) {
                char age[32], oldest[32];
                json_t *ann = json_object_get(l, "annotations"), *v;
                const char *key;
                bool first = true;

                fmt_duration(num_of(l, "age_seconds"), age, sizeof(age));
                if (json_is_number(json_object_get(l, "oldest_inflight_seconds")))
                        fmt_duration(num_of(l, "oldest_inflight_seconds"), oldest, sizeof(oldest));
                else
                        snprintf(oldest, sizeof(oldest), "-");
                /* A listener no policy matched is answered by the default verdict alone. */
                printf("%-7lld %-24.64s %-8lld %-11.15s %-8s %9lld %8lld %8s %-20.64s %-16.64s ",
                       int_of(l, "session"), str_or(l, "container", "-"), int_of(l, "pid"),
                       str_or(l, "runtime", "-"), age, int_of(l, "handled"), int_of(l, "inflight"),
                       oldest,
                       json_is_false(json_object_get(l, "matched")) ? "(none: default)"
                                                                    : str_or(l, "policy", "-"),
                       str_or(l, "metadata", "-"));
                json_object_foreach (ann, key, v) {
                        printf("%s%.64s=", first ? "" : ",", printable(key));
                        printf("%.64s", json_is_string(v) ? printable(json_string_value(v)) : "");
                        first = false;
                }
                printf("%s\n", first ? "-" : "");
        }
        if (!json_array_size(list))
                printf("(no listeners)\n");
        json_decref(reply);
        return 0;
}

/* ---- stats ---- */

/* The upper bound of the bucket holding quantile q, in seconds; NAN without samples or when it
 * falls in the open-ended last bucket. */
static double quantile(json_t *lat, double q)
{
        json_t *buckets = json_object_get(lat, "buckets"), *b;
        long long count = int_of(lat, "count"), seen = 0;
        size_t i;

        if (count <= 0)
                return NAN;
        json_array_foreach (buckets, i, b) {
                json_t *le = json_array_get(b, 0), *n = json_array_get(b, 1);

                seen += json_is_integer(n) ? (long long)json_integer_value(n) : 0;
                if ((double)seen >= q * (double)count)
                        return json_is_integer(le) ? (double)json_integer_value(le) / 1e9 : NAN;
        }
        return NAN;
}

static void print_stats_table(json_t *rows, const char *what)
{
        json_t *e;
        size_t i;

        printf("%-24s %9s %9s %9s %9s %7s %7s %7s %9s %9s %9s\n", what, "COUNT", "CONTINUE",
               "ERRNO", "VALUE", "KILL", "GONE", "FAILED", "MEAN", "P50<=", "P99<=");
        json_array_foreach (rows, i, e) {
                json_t *v = json_object_get(e, "verdicts"), *lat = json_object_get(e, "latency");
                char mean[32], p50[32], p99[32];
                long long n = int_of(lat, "count");

                fmt_duration(n ? num_of(lat, "sum_ns") / 1e9 / (double)n : NAN, mean, sizeof(mean));
                fmt_duration(quantile(lat, 0.5), p50, sizeof(p50));
                fmt_duration(quantile(lat, 0.99), p99, sizeof(p99));
                printf("%-24.64s %9lld %9lld %9lld %9lld %7lld %7lld %7lld %9s %9s %9s\n",
                       str_or(e, "name", "?"), int_of(e, "count"), int_of(v, "continue"),
                       int_of(v, "errno"), int_of(v, "value"), int_of(v, "kill"), int_of(v, "gone"),
                       int_of(v, "failed"), mean, p50, p99);
        }
        if (!json_array_size(rows))
                printf("(none yet)\n");
}

/* One block per entry: each non-empty power-of-two bucket with its count and a bar. */
static void print_histograms(json_t *rows, const char *what)
{
        json_t *e, *b;
        size_t i, k;

        json_array_foreach (rows, i, e) {
                json_t *lat = json_object_get(e, "latency");
                json_t *buckets = json_object_get(lat, "buckets");
                long long max = 1;

                json_array_foreach (buckets, k, b)
                        if (json_is_integer(json_array_get(b, 1)) &&
                            json_integer_value(json_array_get(b, 1)) > max)
                                max = (long long)json_integer_value(json_array_get(b, 1));
                printf("\n%s %s, latency (%lld samples):\n", what, str_or(e, "name", "?"),
                       int_of(lat, "count"));
                json_array_foreach (buckets, k, b) {
                        json_t *le = json_array_get(b, 0), *n = json_array_get(b, 1);
                        long long c = json_is_integer(n) ? (long long)json_integer_value(n) : 0;
                        char bound[32];

                        if (json_is_integer(le))
                                fmt_duration((double)json_integer_value(le) / 1e9, bound,
                                             sizeof(bound));
                        else
                                snprintf(bound, sizeof(bound), "more");
                        printf("  < %-9s %9lld  %.*s\n", bound, c, (int)(40 * c / max),
                               "########################################");
                }
        }
}

int cmd_stats(int argc, char **argv)
{
        struct ctl_opts o;
        json_t *reply, *res, *v;
        const char *key;
        int r, oi;

        if (parse_opts(argc, argv, "H", &o, &oi) < 0 || oi != argc)
                return usage("stats [--histograms] [--control PATH] [--json]");
        r = call(&o, json_pack("{s:s}", "command", "stats"), &reply, &res);
        if (r)
                return r;
        if (o.json) {
                print_json(res);
                json_decref(reply);
                return 0;
        }
        printf("Verdicts:");
        json_object_foreach (json_object_get(res, "verdicts"), key, v)
                printf(" %s %lld", key, json_is_integer(v) ? (long long)json_integer_value(v) : 0);
        printf("\n\n");
        print_stats_table(json_object_get(res, "syscalls"), "SYSCALL");
        printf("\n");
        print_stats_table(json_object_get(res, "handlers"), "HANDLER");
        if (o.histograms) {
                print_histograms(json_object_get(res, "syscalls"), "syscall");
                print_histograms(json_object_get(res, "handlers"), "handler");
        }
        printf("\nLatency is from receipt to answer; P50/P99 are upper bounds of power-of-two "
               "buckets.\n");
        json_decref(reply);
        return 0;
}

/* ---- metrics ---- */

int cmd_metrics(int argc, char **argv)
{
        struct ctl_opts o;
        json_t *reply, *res;
        const char *text;
        int r, oi;

        if (parse_opts(argc, argv, "o", &o, &oi) < 0 || oi != argc)
                return usage("metrics [--control PATH] [-o FILE]");
        if (o.json) {
                scmpctl_err("metrics: --json is not accepted: the output is the Prometheus text "
                            "format (scmpctl stats --json has the same numbers as JSON)");
                return EXIT_USAGE;
        }
        r = call(&o, json_pack("{s:s}", "command", "metrics"), &reply, &res);
        if (r)
                return r;
        text = json_string_value(json_object_get(res, "text"));
        if (!text) {
                json_decref(reply);
                scmpctl_err("malformed reply from scmpd (no text)");
                return EXIT_PROTOCOL;
        }
        if (o.output) {
                /* For the textfile collector: write beside, then rename, so it never reads a
                 * half-written file. */
                _cleanup_free_ char *tmp = NULL;
                FILE *f;

                if (asprintf(&tmp, "%s.tmp", o.output) < 0) {
                        json_decref(reply);
                        return EXIT_FAILURE;
                }
                f = fopen(tmp, "we");
                if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, o.output) < 0) {
                        scmpctl_err("cannot write %s: %m", o.output);
                        json_decref(reply);
                        return EXIT_FAILURE;
                }
        } else {
                fputs(text, stdout);
        }
        json_decref(reply);
        return 0;
}

/* ---- reload, handler ---- */

int cmd_reload(int argc, char **argv)
{
        struct ctl_opts o;
        json_t *reply, *res;
        int r, oi;

        if (parse_opts(argc, argv, "", &o, &oi) < 0 || oi != argc)
                return usage("reload [--control PATH] [--json]");
        if (o.json) {
                /* The refusal's reply, with its reason, is the result a script wants. */
                struct ctl_conn c = { .fd = -1 };

                r = ctl_connect(o.socket, o.timeout_ms, &c);
                if (r)
                        return r;
                r = ctl_request(&c, json_pack("{s:s}", "command", "reload"), &reply);
                ctl_close(&c);
                if (r)
                        return r;
                r = reply_result(reply, &res);
                print_json(r == 0 ? res : reply);
                json_decref(reply);
                return r;
        }
        r = call(&o, json_pack("{s:s}", "command", "reload"), &reply, &res);
        if (r)
                return r;
        if (o.json)
                print_json(res);
        else
                printf("reloaded %s (%lld policies)\n", str_or(res, "source", "?"),
                       int_of(res, "policies"));
        json_decref(reply);
        return 0;
}

int cmd_handler(int argc, char **argv)
{
        struct ctl_opts o;
        json_t *reply, *res;
        const char *cmd;
        int r, oi;

        if (parse_opts(argc, argv, "", &o, &oi) < 0 || argc - oi != 2)
                return usage("handler enable|disable NAME [--control PATH] [--json]");
        if (strcmp(argv[oi], "enable") == 0)
                cmd = "handler-enable";
        else if (strcmp(argv[oi], "disable") == 0)
                cmd = "handler-disable";
        else
                return usage("handler enable|disable NAME [--control PATH] [--json]");
        r = call(&o, json_pack("{s:s,s:s}", "command", cmd, "name", argv[oi + 1]), &reply, &res);
        if (r)
                return r;
        if (o.json)
                print_json(res);
        else
                printf("handler %s %s%s\n", argv[oi + 1],
                       json_is_true(json_object_get(res, "enabled")) ? "enabled" : "disabled",
                       json_is_true(json_object_get(res, "changed")) ? "" : " (unchanged)");
        json_decref(reply);
        return 0;
}

/* ---- monitor ---- */

static bool syscall_known(const char *name)
{
        for (size_t i = 0; i < scmpd_arch_count(); i++)
                if (scmpd_syscall_nr(scmpd_arch_at(i), name) >= 0)
                        return true;
        return false;
}

int cmd_monitor(int argc, char **argv)
{
        struct ctl_conn c = { .fd = -1 };
        struct ctl_opts o;
        json_t *req, *reply = NULL, *res;
        int r, oi;

        if (parse_opts(argc, argv, "csv", &o, &oi) < 0 || oi != argc)
                return usage("monitor [--container GLOB] [--syscall NAME] [--verdict V] "
                             "[--control PATH] [--json]");
        /* A typo would filter out everything, silently: the name must be a system call of
         * some architecture scmpd knows. */
        if (o.syscall && !syscall_known(o.syscall)) {
                scmpctl_err("monitor: unknown system call '%s' (scmpctl syscalls lists them)",
                            printable(o.syscall));
                return EXIT_USAGE;
        }
        req = json_pack("{s:s}", "command", "monitor");
        if (req && o.container)
                json_object_set_new(req, "container", json_string(o.container));
        if (req && o.syscall)
                json_object_set_new(req, "syscall", json_string(o.syscall));
        if (req && o.verdict)
                json_object_set_new(req, "verdict", json_string(o.verdict));
        r = ctl_connect(o.socket, o.timeout_ms, &c);
        if (r) {
                json_decref(req);
                return r;
        }
        r = ctl_request(&c, req, &reply);
        if (!r)
                r = reply_result(reply, &res);
        json_decref(reply);
        if (r) {
                ctl_close(&c);
                return r;
        }
        /* Subscribed: events come when they come. */
        set_timeouts(c.fd, 0);
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!o.json)
                printf("%-12s %-20s %-8s %-16s %-9s %-16s %-12s %s\n", "TIME", "CONTAINER", "TID",
                       "SYSCALL", "VERDICT", "ANSWER", "HANDLER", "LATENCY");
        for (;;) {
                _cleanup_free_ char *line = NULL;
                char when[32], lat[32];
                json_t *ev;
                time_t t;
                struct tm tm;

                r = ctl_read_line(&c, &line);
                if (r)
                        break;
                if (o.json) {
                        printf("%s\n", line);
                        continue;
                }
                ev = json_loads(line, 0, NULL);
                if (!json_is_object(ev)) {
                        json_decref(ev);
                        scmpctl_err("malformed event from scmpd");
                        r = EXIT_PROTOCOL;
                        break;
                }
                if (strcmp(str_or(ev, "event", ""), "dropped") == 0) {
                        printf("(scmpd dropped %lld events so far: this monitor was too slow)\n",
                               int_of(ev, "count"));
                        json_decref(ev);
                        continue;
                }
                t = (time_t)num_of(ev, "time");
                if (localtime_r(&t, &tm))
                        strftime(when, sizeof(when), "%H:%M:%S", &tm);
                else
                        snprintf(when, sizeof(when), "-");
                fmt_duration(num_of(ev, "latency_us") / 1e6, lat, sizeof(lat));
                printf("%-12s %-20.64s %-8lld %-16.32s %-9s %-16.32s %-12.32s %s\n", when,
                       str_or(ev, "container", "-"), int_of(ev, "tid"), str_or(ev, "syscall", "?"),
                       str_or(ev, "verdict", "?"), str_or(ev, "answer", "?"),
                       str_or(ev, "handler", "?"), lat);
                json_decref(ev);
        }
        ctl_close(&c);
        /* scmpd stopping ends the stream: that is not a protocol error for a monitor. */
        return r == EXIT_PROTOCOL ? 0 : r;
}

/* ---- audit ---- */

static void print_audit(json_t *res)
{
        json_t *list = json_object_get(res, "containers"), *ct, *s;
        size_t i, j;

        json_array_foreach (list, i, ct) {
                printf("%sContainer %s (last seen %s)\n", i ? "\n" : "", str_or(ct, "id", "?"),
                       str_or(ct, "last_seen", "-"));
                printf("  %-24s %-8s %9s  %-32s %-24s %s\n", "SYSCALL", "ARCH", "COUNT", "VERDICTS",
                       "FIRST SEEN", "LAST SEEN");
                json_array_foreach (json_object_get(ct, "syscalls"), j, s) {
                        char verdicts[128] = "";
                        size_t off = 0;
                        const char *key;
                        json_t *v;

                        json_object_foreach (json_object_get(s, "verdicts"), key, v) {
                                int n = snprintf(
                                        verdicts + off, sizeof(verdicts) - off, "%s%s=%lld",
                                        off ? "," : "", key,
                                        json_is_integer(v) ? (long long)json_integer_value(v) : 0);
                                if (n < 0 || (size_t)n >= sizeof(verdicts) - off)
                                        break;
                                off += (size_t)n;
                        }
                        printf("  %-24.64s %-8.16s %9lld  %-32s %-24s %s\n",
                               str_or(s, "name", "(unknown)"), str_or(s, "arch", "?"),
                               int_of(s, "count"), verdicts, str_or(s, "first_seen", "-"),
                               str_or(s, "last_seen", "-"));
                }
                if (int_of(ct, "dropped"))
                        printf("  (%lld notifications of syscalls beyond the store's limit were "
                               "not recorded)\n",
                               int_of(ct, "dropped"));
        }
        if (!json_array_size(list))
                printf("(nothing audited yet)\n");
}

/* `scmpctl audit` without a subcommand (cmd_audit() in cmd_audit.c dispatches). */
int cmd_audit_list(int argc, char **argv)
{
        struct ctl_opts o;
        json_t *req, *reply, *res;
        int r, oi;

        if (parse_opts(argc, argv, "c", &o, &oi) < 0 || oi != argc)
                return usage("audit [--container ID] [--control PATH] [--json]\n"
                             "       scmpctl audit profile --container GLOB [-o FILE] ...\n"
                             "       scmpctl audit template --runtime RT --listener PATH ...\n"
                             "       scmpctl audit clear [--container ID]");
        req = json_pack("{s:s}", "command", "audit");
        if (req && o.container)
                json_object_set_new(req, "container", json_string(o.container));
        r = call(&o, req, &reply, &res);
        if (r)
                return r;
        if (o.json)
                print_json(res);
        else
                print_audit(res);
        json_decref(reply);
        return 0;
}
