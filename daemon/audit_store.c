/*
 * The audit store: per-container syscall usage, for `scmpctl audit` and for the least-privilege
 * profile `scmpctl audit profile` writes from it.
 *
 * Model: up to AUDIT_MAX_CONTAINERS containers, each with up to AUDIT_MAX_SYSCALLS entries keyed
 * by (arch, syscall number), each entry counting calls per verdict with first and last seen
 * (wall clock, as operators read it). A new container beyond the limit evicts the one seen least
 * recently, and the eviction is counted; a syscall beyond the per-container limit is counted as
 * dropped for that container (a profile made from such a container is then reported incomplete
 * by the client). Only the loop thread touches the store.
 *
 * Argument learning: for the syscalls of learn_args.h the entry also keeps the distinct values
 * (low 32 bits, as the kernel reads them) of the one argument that may be narrowed, up to
 * LEARN_ARGS_MAX_VALUES, each marked when at least one call with it went on (continue or an
 * emulated value). One value more, or a call whose arguments were not known, marks the entry
 * overflowed: from then on its values are not a complete record and the client does not narrow.
 *
 * Persistence (optional, audit_store_open): one JSON file, the same model with raw numbers
 * (arch token, syscall number, nanoseconds), rewritten whole and crash-safely when a listener
 * of an audited container ends, on clear and at exit; bounded by AUDIT_FILE_MAX (the containers
 * seen least recently are left out). The file is input like any other: every member is
 * type-checked and bounded, and a bad file never stops scmpd.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_store.h"
#include "learn_args.h"
#include "policy.h"
#include "scmpd/arch.h"

struct audit_syscall {
        uint32_t arch;
        int nr;
        uint64_t verdicts[_STATS_VERDICT_MAX];
        uint64_t first_ns, last_ns;
        int8_t arg_index;     /* the learned argument (learn_args.h), -1: none */
        bool values_overflow; /* the values below are not every value seen */
        uint8_t n_values;
        uint16_t ok;                            /* bit i: a call with values[i] went on */
        uint32_t values[LEARN_ARGS_MAX_VALUES]; /* the low 32 bits, as the kernel reads them */
};
_Static_assert(LEARN_ARGS_MAX_VALUES <= 16, "the ok mask has 16 bits");

static int arg_index_of(uint32_t arch, int nr, const char *name)
{
        const struct scmpd_arch *a = scmpd_arch_by_token(arch);

        if (!a)
                return -1;
        if (!name)
                name = scmpd_syscall_name(a, nr);
        return learn_arg_index(name, a->name);
}

/* Note one value of the learned argument; a full set overflows. */
static void note_value(struct audit_syscall *e, uint32_t value, bool ok)
{
        for (size_t i = 0; i < e->n_values; i++)
                if (e->values[i] == value) {
                        if (ok)
                                e->ok |= (uint16_t)(1U << i);
                        return;
                }
        if (e->n_values == LEARN_ARGS_MAX_VALUES) {
                e->values_overflow = true;
                return;
        }
        e->values[e->n_values] = value;
        if (ok)
                e->ok |= (uint16_t)(1U << e->n_values);
        e->n_values++;
}

struct audit_container {
        char id[AUDIT_ID_MAX];
        char metadata[AUDIT_ID_MAX]; /* the listenerMetadata, "" when none */
        size_t n, cap;
        struct audit_syscall *syscalls;
        uint64_t last_ns;
        uint64_t dropped;
};

struct audit_store {
        struct audit_container *containers[AUDIT_MAX_CONTAINERS];
        size_t n_containers;
        uint64_t evicted;
        char *path; /* the file, NULL: memory only */
        bool dirty; /* changed since the last save */
        struct daemon *d;
        struct daemon_observer observer;
};

static struct audit_container *container_free(struct audit_container *c)
{
        if (c)
                free(c->syscalls);
        free(c);
        return NULL;
}

static struct audit_container *container_get(struct audit_store *a, const char *id)
{
        struct audit_container *c;
        size_t victim = 0;

        for (size_t i = 0; i < a->n_containers; i++) {
                if (strncmp(a->containers[i]->id, id, AUDIT_ID_MAX - 1) == 0 &&
                    strlen(id) < AUDIT_ID_MAX)
                        return a->containers[i];
                if (a->containers[i]->last_ns < a->containers[victim]->last_ns)
                        victim = i;
        }
        c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        snprintf(c->id, sizeof(c->id), "%s", id);
        if (a->n_containers == AUDIT_MAX_CONTAINERS) {
                container_free(a->containers[victim]);
                a->containers[victim] = c;
                a->evicted++;
        } else {
                a->containers[a->n_containers++] = c;
        }
        return c;
}

void audit_store_record(struct audit_store *a, const char *container, const char *metadata,
                        const char *syscall, uint32_t arch, int nr, const uint64_t *args,
                        enum stats_verdict v, uint64_t realtime_ns)
{
        struct audit_container *c;
        struct audit_syscall *e = NULL;

        /* The name is derived from (arch, nr) when reporting; here it picks the argument. */
        if ((unsigned)v >= _STATS_VERDICT_MAX)
                v = STATS_FAILED;
        c = container_get(a, container && *container ? container : "(none)");
        if (!c)
                return;
        c->last_ns = realtime_ns;
        snprintf(c->metadata, sizeof(c->metadata), "%s", metadata ? metadata : "");
        for (size_t i = 0; i < c->n; i++)
                if (c->syscalls[i].nr == nr && c->syscalls[i].arch == arch) {
                        e = &c->syscalls[i];
                        break;
                }
        if (!e) {
                if (c->n == AUDIT_MAX_SYSCALLS) {
                        c->dropped++;
                        return;
                }
                if (c->n == c->cap) {
                        size_t cap = c->cap ? 2 * c->cap : 16;
                        struct audit_syscall *grown =
                                reallocarray(c->syscalls, cap, sizeof(*grown));

                        if (!grown) {
                                c->dropped++;
                                return;
                        }
                        c->syscalls = grown;
                        c->cap = cap;
                }
                e = &c->syscalls[c->n++];
                *e = (struct audit_syscall){ .arch = arch,
                                             .nr = nr,
                                             .first_ns = realtime_ns,
                                             .arg_index = (int8_t)arg_index_of(arch, nr, syscall) };
        }
        if (e->arg_index >= 0 && !args)
                e->values_overflow = true;
        else if (e->arg_index >= 0)
                note_value(e, (uint32_t)args[e->arg_index],
                           v == STATS_CONTINUE || v == STATS_VALUE);
        e->verdicts[v]++;
        e->last_ns = realtime_ns;
        a->dirty = true;
}

void audit_store_reset(struct audit_store *a)
{
        for (size_t i = 0; i < a->n_containers; i++)
                a->containers[i] = container_free(a->containers[i]);
        a->n_containers = 0;
        a->evicted = 0;
        a->dirty = true;
}

int audit_store_clear(struct audit_store *a, const char *container)
{
        int found = 0;

        if (!container) {
                found = a->n_containers > 0;
                audit_store_reset(a);
        } else {
                for (size_t i = 0; i < a->n_containers; i++)
                        if (strcmp(a->containers[i]->id, container) == 0) {
                                container_free(a->containers[i]);
                                a->containers[i] = a->containers[--a->n_containers];
                                found = 1;
                                a->dirty = true;
                                break;
                        }
        }
        (void)audit_store_save(a);
        return found;
}

/* RFC 3339 in UTC with milliseconds. */
static json_t *time_json(uint64_t ns)
{
        char buf[64];
        time_t t = (time_t)(ns / 1000000000ULL);
        struct tm tm;

        if (!gmtime_r(&t, &tm))
                return json_null();
        snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (unsigned)(ns / 1000000ULL % 1000ULL));
        return json_string(buf);
}

/* The learned argument, or NULL (with `file`, the raw form the loader reads back; the two are
 * the same today: {"index": I, "values": [...], "refused": [...], "overflow": B}, "values"
 * holding the values some call went on with, "refused" those whose every call was refused). */
static json_t *arg_json(const struct audit_syscall *e)
{
        json_t *ok = json_array(), *no = json_array();

        if (!ok || !no) {
                json_decref(ok);
                json_decref(no);
                return NULL;
        }
        for (size_t i = 0; i < e->n_values; i++)
                json_array_append_new(e->ok & (1U << i) ? ok : no,
                                      json_integer((json_int_t)e->values[i]));
        return json_pack("{s:i,s:o,s:o,s:b}", "index", e->arg_index, "values", ok, "refused", no,
                         "overflow", e->values_overflow);
}

static json_t *syscall_json(const struct audit_syscall *e)
{
        const struct scmpd_arch *a = scmpd_arch_by_token(e->arch);
        const char *name = a ? scmpd_syscall_name(a, e->nr) : NULL;
        json_t *v = json_object();
        uint64_t count = 0;

        for (int i = 0; v && i < _STATS_VERDICT_MAX; i++) {
                count += e->verdicts[i];
                if (e->verdicts[i] &&
                    json_object_set_new(v, stats_verdict_name(i),
                                        json_integer((json_int_t)e->verdicts[i])) < 0)
                        return json_decref(v), NULL;
        }
        json_t *o =
                json_pack("{s:o,s:s,s:i,s:I,s:o,s:o,s:o}", "name",
                          name ? json_string(name) : json_null(), "arch", a ? a->name : "unknown",
                          "nr", e->nr, "count", (json_int_t)count, "verdicts", v, "first_seen",
                          time_json(e->first_ns), "last_seen", time_json(e->last_ns));

        if (o && e->arg_index >= 0 && json_object_set_new(o, "arg", arg_json(e)) < 0)
                return json_decref(o), NULL;
        return o;
}

json_t *audit_store_to_json(const struct audit_store *a, const char *container)
{
        json_t *list = json_array();

        for (size_t i = 0; list && i < a->n_containers; i++) {
                const struct audit_container *c = a->containers[i];
                json_t *sys, *o;

                if (container && strcmp(container, c->id) != 0)
                        continue;
                sys = json_array();
                for (size_t j = 0; sys && j < c->n; j++)
                        if (json_array_append_new(sys, syscall_json(&c->syscalls[j])) < 0)
                                sys = (json_decref(sys), NULL);
                o = json_pack("{s:s,s:s,s:o,s:I,s:o}", "id", c->id, "metadata", c->metadata,
                              "syscalls", sys, "dropped", (json_int_t)c->dropped, "last_seen",
                              time_json(c->last_ns));
                if (json_array_append_new(list, o) < 0)
                        return json_decref(list), NULL;
        }
        return json_pack("{s:o,s:I}", "containers", list, "evicted", (json_int_t)a->evicted);
}

extern const struct scmpd_handler_ops audit_handler_ops;

/* Was an audit handler, not disabled, in the part of the chain that ran? */
static bool audited(const struct daemon *d, const struct notif *n)
{
        if (!n->rule)
                return false;
        for (size_t i = 0; i < n->rule->n_chain && i <= n->chain_pos; i++)
                if (n->rule->chain[i]->ops == &audit_handler_ops &&
                    !daemon_handler_disabled(d, n->rule->chain[i]->name))
                        return true;
        return false;
}

static void on_notif_done(void *userdata, const struct notif *n, const struct scmpd_verdict *v,
                          int answer)
{
        struct audit_store *a = userdata;
        const struct scmpd_handoff_state *o = n->s->origin;
        const char *id = o ? o->id : NULL;
        char key[64];

        if (!audited(a->d, n))
                return;
        if (!id) {
                snprintf(key, sizeof(key), "pid-%d", o ? (int)o->pid : 0);
                id = key;
        }
        audit_store_record(a, id, o ? o->metadata : NULL, n->view.syscall, n->view.arch, n->view.nr,
                           n->view.args, stats_classify(v, answer), stats_realtime_ns());
}

/* The info-level summary: one line per audited container when one of its listeners ends (the
 * audit handler itself logs per call at debug). */
static void on_session_removed(void *userdata, struct session *s)
{
        struct audit_store *a = userdata;
        const struct scmpd_handoff_state *o = s->origin;
        char key[64];
        const char *id = o ? o->id : NULL;
        uint64_t calls = 0;

        if (!id) {
                snprintf(key, sizeof(key), "pid-%d", o ? (int)o->pid : 0);
                id = key;
        }
        for (size_t i = 0; i < a->n_containers; i++) {
                const struct audit_container *c = a->containers[i];

                if (strcmp(c->id, id) != 0)
                        continue;
                for (size_t j = 0; j < c->n; j++)
                        for (int v = 0; v < _STATS_VERDICT_MAX; v++)
                                calls += c->syscalls[j].verdicts[v];
                log_info("audit: container %.256s: %llu calls of %zu syscalls recorded so far",
                         c->id, (unsigned long long)calls, c->n);
        }
        if (a->dirty)
                (void)audit_store_save(a);
}

/* ---- the file ---- */

static json_t *container_file_json(const struct audit_container *c)
{
        json_t *sys = json_array();

        for (size_t j = 0; sys && j < c->n; j++) {
                const struct audit_syscall *e = &c->syscalls[j];
                json_t *v = json_array(), *o;

                for (int k = 0; v && k < _STATS_VERDICT_MAX; k++)
                        json_array_append_new(v, json_integer((json_int_t)e->verdicts[k]));
                o = json_pack("{s:I,s:i,s:I,s:I,s:o}", "arch", (json_int_t)e->arch, "nr", e->nr,
                              "first_ns", (json_int_t)e->first_ns, "last_ns",
                              (json_int_t)e->last_ns, "verdicts", v);
                /* "arg" is optional: a file written before argument learning loads with the
                 * values unknown, and a loader that predates it ignores the member. */
                if (o && e->arg_index >= 0 && json_object_set_new(o, "arg", arg_json(e)) < 0)
                        o = (json_decref(o), NULL);
                if (json_array_append_new(sys, o) < 0)
                        return json_decref(sys), NULL;
        }
        return json_pack("{s:s,s:s,s:I,s:I,s:o}", "id", c->id, "metadata", c->metadata, "last_ns",
                         (json_int_t)c->last_ns, "dropped", (json_int_t)c->dropped, "syscalls",
                         sys);
}

static int cmp_recent(const void *x, const void *y)
{
        const struct audit_container *a = *(struct audit_container *const *)x,
                                     *b = *(struct audit_container *const *)y;

        return a->last_ns > b->last_ns ? -1 : a->last_ns < b->last_ns;
}

/* The file's text, the most recent containers first, under AUDIT_FILE_MAX bytes. */
static char *file_text(const struct audit_store *a)
{
        struct audit_container *order[AUDIT_MAX_CONTAINERS];
        size_t n = a->n_containers, total = 64;
        json_t *list = json_array(), *root;
        char *text;

        memcpy(order, a->containers, n * sizeof(order[0]));
        qsort(order, n, sizeof(order[0]), cmp_recent);
        for (size_t i = 0; list && i < n; i++) {
                json_t *o = container_file_json(order[i]);
                size_t len = o ? json_dumpb(o, NULL, 0, JSON_COMPACT) : 0;

                if (!o || total + len + 2 > AUDIT_FILE_MAX) {
                        json_decref(o);
                        log_warning("audit: the store file would exceed %u bytes: %zu containers "
                                    "seen least recently are not saved",
                                    AUDIT_FILE_MAX, n - i);
                        break;
                }
                total += len + 1;
                json_array_append_new(list, o);
        }
        root = json_pack("{s:i,s:I,s:o}", "version", 1, "evicted", (json_int_t)a->evicted,
                         "containers", list);
        text = root ? json_dumps(root, JSON_COMPACT) : NULL;
        json_decref(root);
        return text;
}

int audit_store_save(struct audit_store *a)
{
        char *text, *tmp = NULL, *dir_copy = NULL;
        size_t len;
        int fd = -1, dfd, r = 0;

        if (!a->path)
                return 0;
        text = file_text(a);
        if (!text || asprintf(&tmp, "%s.tmp", a->path) < 0) {
                free(text);
                return -ENOMEM;
        }
        len = strlen(text);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                r = -errno;
        for (size_t off = 0; r == 0 && off < len;) {
                ssize_t n = write(fd, text + off, len - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        r = n < 0 ? -errno : -EIO;
                else
                        off += (size_t)n;
        }
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (fd >= 0 && close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, a->path) < 0)
                r = -errno;
        if (r < 0) {
                log_warning("audit: cannot save the store to %s: %s", a->path, strerror(-r));
                (void)unlink(tmp);
        } else {
                /* The rename is durable once the directory is. */
                dir_copy = strdup(a->path);
                dfd = dir_copy ? open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
                if (dfd >= 0) {
                        (void)fsync(dfd);
                        close(dfd);
                }
                a->dirty = false;
        }
        free(dir_copy);
        free(tmp);
        free(text);
        return r;
}

static bool get_u64(json_t *o, const char *key, uint64_t *ret)
{
        json_t *v = json_object_get(o, key);

        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return false;
        *ret = (uint64_t)json_integer_value(v);
        return true;
}

/* The learned argument of a loaded entry: absent (a file from before argument learning) means
 * the values are unknown; present, it must be for the argument learn_args.h names. */
static int load_arg(struct audit_syscall *e, json_t *s)
{
        json_t *arg = json_object_get(s, "arg"), *ok, *no, *x;
        json_t *index, *overflow;
        size_t i;

        e->arg_index = (int8_t)arg_index_of(e->arch, e->nr, NULL);
        if (!arg) {
                e->values_overflow = e->arg_index >= 0;
                return 0;
        }
        index = json_object_get(arg, "index");
        overflow = json_object_get(arg, "overflow");
        ok = json_object_get(arg, "values");
        no = json_object_get(arg, "refused");
        if (e->arg_index < 0 || !json_is_integer(index) ||
            json_integer_value(index) != e->arg_index || !json_is_boolean(overflow) ||
            !json_is_array(ok) || !json_is_array(no) ||
            json_array_size(ok) + json_array_size(no) > LEARN_ARGS_MAX_VALUES)
                return -EBADMSG;
        e->values_overflow = json_is_true(overflow);
        for (int pass = 0; pass < 2; pass++)
                json_array_foreach (pass ? no : ok, i, x) {
                        uint8_t before = e->n_values;

                        if (!json_is_integer(x) || json_integer_value(x) < 0 ||
                            json_integer_value(x) > UINT32_MAX)
                                return -EBADMSG;
                        note_value(e, (uint32_t)json_integer_value(x), pass == 0);
                        if (e->n_values == before) /* a value listed twice */
                                return -EBADMSG;
                }
        return 0;
}

/* Load the parsed file into an empty store; -EBADMSG at the first malformed member. */
static int load_json(struct audit_store *a, json_t *root)
{
        json_t *list = json_object_get(root, "containers"), *ct, *s;
        size_t i, j;

        if (!json_is_object(root) || json_integer_value(json_object_get(root, "version")) != 1 ||
            !json_is_array(list) || json_array_size(list) > AUDIT_MAX_CONTAINERS ||
            !get_u64(root, "evicted", &a->evicted))
                return -EBADMSG;
        json_array_foreach (list, i, ct) {
                const char *id = json_string_value(json_object_get(ct, "id"));
                const char *meta = json_string_value(json_object_get(ct, "metadata"));
                json_t *sys = json_object_get(ct, "syscalls");
                struct audit_container *c;

                if (!id || !*id || strlen(id) >= AUDIT_ID_MAX || !meta ||
                    strlen(meta) >= AUDIT_ID_MAX || !json_is_array(sys) ||
                    json_array_size(sys) > AUDIT_MAX_SYSCALLS)
                        return -EBADMSG;
                for (size_t k = 0; k < a->n_containers; k++)
                        if (strcmp(a->containers[k]->id, id) == 0)
                                return -EBADMSG;
                c = calloc(1, sizeof(*c));
                if (!c)
                        return -ENOMEM;
                a->containers[a->n_containers++] = c;
                snprintf(c->id, sizeof(c->id), "%s", id);
                snprintf(c->metadata, sizeof(c->metadata), "%s", meta);
                if (!get_u64(ct, "last_ns", &c->last_ns) || !get_u64(ct, "dropped", &c->dropped))
                        return -EBADMSG;
                c->syscalls = calloc(json_array_size(sys) + 1, sizeof(*c->syscalls));
                if (!c->syscalls)
                        return -ENOMEM;
                c->cap = json_array_size(sys) + 1;
                json_array_foreach (sys, j, s) {
                        struct audit_syscall *e = &c->syscalls[c->n];
                        json_t *v = json_object_get(s, "verdicts");
                        json_t *nr = json_object_get(s, "nr");
                        uint64_t arch;

                        if (!get_u64(s, "arch", &arch) || arch > UINT32_MAX ||
                            !scmpd_arch_by_token((uint32_t)arch) || !json_is_integer(nr) ||
                            json_integer_value(nr) < -100000 ||
                            json_integer_value(nr) > 0x7fffffff ||
                            !get_u64(s, "first_ns", &e->first_ns) ||
                            !get_u64(s, "last_ns", &e->last_ns) || !json_is_array(v) ||
                            json_array_size(v) != _STATS_VERDICT_MAX)
                                return -EBADMSG;
                        e->arch = (uint32_t)arch;
                        e->nr = (int)json_integer_value(nr);
                        for (size_t k = 0; k < c->n; k++)
                                if (c->syscalls[k].arch == e->arch && c->syscalls[k].nr == e->nr)
                                        return -EBADMSG;
                        for (int k = 0; k < _STATS_VERDICT_MAX; k++) {
                                json_t *x = json_array_get(v, (size_t)k);

                                if (!json_is_integer(x) || json_integer_value(x) < 0)
                                        return -EBADMSG;
                                e->verdicts[k] = (uint64_t)json_integer_value(x);
                        }
                        if (load_arg(e, s) < 0)
                                return -EBADMSG;
                        c->n++;
                }
        }
        return 0;
}

int audit_store_open(struct audit_store *a, const char *path)
{
        json_error_t jerr;
        json_t *root = NULL;
        struct stat st;
        int fd, r = 0;

        free(a->path);
        a->path = strdup(path);
        if (!a->path)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                r = -errno;
                if (r == -ENOENT)
                        return 0;
                log_warning("audit: cannot read %s: %s", path, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)AUDIT_FILE_MAX)
                r = -EFBIG;
        else if (!(root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr)))
                r = -EBADMSG;
        close(fd);
        if (r == 0) {
                r = load_json(a, root);
                if (r < 0) {
                        audit_store_reset(a);
                        a->evicted = 0;
                }
        }
        json_decref(root);
        if (r < 0) {
                char *bad = NULL;

                log_warning("audit: %s is not a usable audit store (%s): kept as %s.bad, "
                            "starting empty",
                            path, r == -EFBIG ? "too large" : "malformed", path);
                if (asprintf(&bad, "%s.bad", path) >= 0)
                        (void)rename(path, bad);
                free(bad);
                return 0;
        }
        a->dirty = false;
        log_info("audit: loaded %zu containers from %s", a->n_containers, path);
        return 0;
}

struct audit_store *audit_store_new(struct daemon *d)
{
        struct audit_store *a = calloc(1, sizeof(*a));

        if (!a)
                return NULL;
        a->d = d;
        a->observer = (struct daemon_observer){ .userdata = a,
                                                .notif_done = on_notif_done,
                                                .session_removed = on_session_removed };
        if (d)
                daemon_observe(d, &a->observer);
        return a;
}

struct audit_store *audit_store_free(struct audit_store *a)
{
        if (!a)
                return NULL;
        if (a->d)
                daemon_unobserve(&a->observer);
        if (a->dirty)
                (void)audit_store_save(a);
        free(a->path);
        audit_store_reset(a);
        free(a);
        return NULL;
}
