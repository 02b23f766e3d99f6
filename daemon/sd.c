/*
 * systemd integration, all optional.
 *
 * Sockets: socket activation passes the handoff socket (FileDescriptorName=handoff) and the
 * control socket (FileDescriptorName=control); a single unnamed stream socket is taken as the
 * handoff socket. Without them scmpd binds its own (intake.c, control.c).
 *
 * Notify: READY (with STATUS), RELOADING, STOPPING (main.c), WATCHDOG=1 from a loop timer at half
 * of WATCHDOG_USEC, so a stuck loop is noticed.
 *
 * fd store: every listener is sent to systemd as FDSTORE=1 under FDNAME=l-<serial> the moment
 * its session exists (before it is first polled, so nothing of it can be in flight unstored), and
 * its identity (the handoff state, as JSON, in a sealed memfd) just before it as m-<serial>. The
 * in-flight journal (journal.c) is stored once as "journal". When a session ends, FDSTOREREMOVE=1
 * drops both entries; when scmpd itself stops (SIGTERM) it leaves the store alone, because the
 * store then decides: systemd closes it on a real stop and hands it back on a restart.
 *
 * On start, whatever the store hands back in LISTEN_FDS is adopted: the journal first, then each
 * l-<serial> with its m-<serial> becomes a session with the same serial and the same origin, so
 * it matches the same policy, and its unanswered notifications are replayed. An entry that cannot
 * be adopted (no identity, not a listener, unknown name) is closed and removed from the store:
 * its targets then see what they would see with no supervisor at all (ENOSYS).
 *
 * Without NOTIFY_SOCKET there is no store: no journal is created and nothing is stored.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "journal.h"
#include "policy.h"
#include "sd.h"
#include "util.h"

#define FDNAME_MAX 64
#define META_MAX_BYTES (2 * SCMPD_HANDOFF_MAX_SIZE)

struct stored_fd {
        char name[FDNAME_MAX];
        int fd;
        bool adopted; /* in use under this name: a duplicate must not remove it from the store */
};

struct sd {
        struct daemon *d;
        struct daemon_observer observer;
        bool collected;
        bool fdstore;              /* NOTIFY_SOCKET was set: FDSTORE messages have a receiver */
        unsigned long fdstore_max; /* $FDSTORE (systemd >= 254), 0 when not told */
        int handoff_fd;
        int control_fd;
        bool control_activated;
        struct stored_fd *stored;
        size_t n_stored;
        bool adopting; /* a listener from the store is being adopted: it is there already */
        unsigned n_adopted, n_replayed, n_stale, n_refused;
};

static void collect(struct sd *sd)
{
        const char *fdstore_max;
        char **names = NULL;
        int n;

        if (sd->collected)
                return;
        sd->collected = true;
        sd->fdstore = getenv("NOTIFY_SOCKET") != NULL;
        /* systemd 254 and later say how many fds the store takes (FileDescriptorStoreMax=). */
        fdstore_max = getenv("FDSTORE");
        if (sd->fdstore && fdstore_max) {
                char *end = NULL;
                unsigned long max = strtoul(fdstore_max, &end, 10);

                if (end && *end == 0 && max == 0) {
                        sd->fdstore = false;
                        log_warning("the service has no fd store (FileDescriptorStoreMax=0): "
                                    "listeners will not survive a restart");
                } else if (end && *end == 0) {
                        sd->fdstore_max = max;
                }
        }
        n = sd_listen_fds_with_names(1, &names);
        if (n < 0)
                log_warning("ignoring the fds passed by the service manager: %s", strerror(-n));
        if (n > 0)
                sd->stored = calloc((size_t)n, sizeof(*sd->stored));
        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;
                const char *name = names && names[i] ? names[i] : "unknown";
                bool listening = sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0;

                if (listening && sd->handoff_fd < 0 &&
                    (strcmp(name, "handoff") == 0 || (n == 1 && strcmp(name, "unknown") == 0)))
                        sd->handoff_fd = fd;
                else if (listening && sd->control_fd < 0 && strcmp(name, "control") == 0)
                        sd->control_fd = fd;
                else if (sd->stored && strlen(name) < FDNAME_MAX) {
                        snprintf(sd->stored[sd->n_stored].name, FDNAME_MAX, "%s", name);
                        sd->stored[sd->n_stored++].fd = fd;
                } else {
                        log_warning("closing passed fd %d named '%s': not ours", fd, name);
                        safe_close(fd);
                }
        }
        for (int i = 0; names && i < n; i++)
                free(names[i]);
        free(names);
}

int sd_take_listen_fd(struct daemon *d)
{
        struct sd *sd = d->sd;
        int fd;

        if (!sd)
                return -ENOENT;
        collect(sd);
        if (sd->handoff_fd < 0)
                return -ENOENT;
        fd = sd->handoff_fd;
        sd->handoff_fd = -1;
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        d->listen_fd = fd;
        d->listen_activated = true;
        log_info("using the socket-activated handoff socket");
        return 0;
}

int sd_take_control_fd(struct daemon *d)
{
        struct sd *sd = d->sd;
        int fd;

        if (!sd)
                return -ENOENT;
        collect(sd);
        if (sd->control_fd < 0)
                return -ENOENT;
        fd = sd->control_fd;
        sd->control_fd = -1;
        sd->control_activated = true;
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        log_info("using the socket-activated control socket");
        return fd;
}

bool sd_control_activated(struct daemon *d)
{
        return d->sd && d->sd->control_activated;
}

/* ---- watchdog ---- */

static void watchdog_ping(uv_timer_t *t)
{
        (void)sd_notify(0, "WATCHDOG=1");
}

int sd_watchdog_start(struct daemon *d)
{
        uint64_t usec = 0, ms;

        if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
                return 0;
        ms = usec / 2000 ? usec / 2000 : 1;
        uv_timer_init(d->loop, &d->watchdog);
        d->watchdog_running = true;
        (void)sd_notify(0, "WATCHDOG=1");
        return uv_timer_start(&d->watchdog, watchdog_ping, ms, ms);
}

void sd_watchdog_stop(struct daemon *d)
{
        if (d->watchdog_running) {
                uv_close((uv_handle_t *)&d->watchdog, NULL);
                d->watchdog_running = false;
        }
}

/* ---- the fd store ---- */

static int store_fd(int fd, const char *name)
{
        char msg[FDNAME_MAX + 32];
        int r;

        snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
        r = sd_pid_notify_with_fds(0, 0, msg, &fd, 1);
        if (r < 0)
                log_warning("cannot put %s in the fd store: %s", name, strerror(-r));
        return r;
}

static void store_remove(const char *name)
{
        char msg[FDNAME_MAX + 32];
        int r;

        snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", name);
        r = sd_notify(0, msg);
        if (r < 0)
                log_warning("cannot remove %s from the fd store: %s", name, strerror(-r));
}

static int set_str(json_t *o, const char *key, const char *v)
{
        json_t *s;

        if (!v)
                return 0;
        s = json_string(v);
        if (!s)
                return -EINVAL;
        return json_object_set_new(o, key, s) < 0 ? -ENOMEM : 0;
}

/* The handoff state as a payload scmpd_handoff_parse() accepts, plus scmpd's own members. */
static int origin_to_json(const struct session *s, char **ret)
{
        const struct scmpd_handoff_state *st = s->origin;
        json_auto_t *o = json_object(), *state = json_object(), *fds = json_array(),
                    *ann = json_object();
        int r = 0;

        if (!o || !state || !fds || !ann)
                return -ENOMEM;
        r |= set_str(o, "ociVersion", st->oci_version);
        r |= json_array_append_new(fds, json_string(SCMPD_HANDOFF_SECCOMP_FD_NAME)) < 0;
        r |= json_object_set(o, "fds", fds) < 0;
        r |= json_object_set_new(o, "pid", json_integer(st->pid)) < 0;
        r |= set_str(o, "metadata", st->metadata);
        r |= set_str(state, "id", st->id);
        r |= set_str(state, "status", st->status);
        if (st->state_pid > 0)
                r |= json_object_set_new(state, "pid", json_integer(st->state_pid)) < 0;
        r |= set_str(state, "bundle", st->bundle);
        for (size_t i = 0; i < st->n_annotations; i++)
                r |= set_str(ann, st->annotation_keys[i], st->annotation_values[i]);
        if (st->n_annotations)
                r |= json_object_set(state, "annotations", ann) < 0;
        r |= json_object_set(o, "state", state) < 0;
        r |= json_object_set_new(o, "scmpdSerial", json_integer((json_int_t)s->serial)) < 0;
        r |= json_object_set_new(o, "scmpdCreatedNs", json_integer((json_int_t)s->created_ns)) < 0;
        if (s->peer.known) { /* the attested peer, for policy matching after a restart */
                r |= json_object_set_new(o, "scmpdPeerUid", json_integer(s->peer.uid)) < 0;
                r |= json_object_set_new(o, "scmpdPeerGid", json_integer(s->peer.gid)) < 0;
                if (s->peer.exe[0])
                        r |= set_str(o, "scmpdPeerExe", s->peer.exe);
        }
        r |= set_str(o, "scmpdSender", st->sender);
        if (r != 0)
                return -EINVAL;
        *ret = json_dumps(o, JSON_COMPACT);
        return *ret ? 0 : -ENOMEM;
}

static int sealed_memfd(const char *data, size_t len)
{
        _cleanup_close_ int fd = -1;
        size_t off = 0;

        fd = memfd_create("scmpd-listener", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return negative_errno();
        while (off < len) {
                ssize_t n = write(fd, data + off, len - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? negative_errno() : -EIO;
                off += (size_t)n;
        }
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return negative_errno();
        return steal_fd(&fd);
}

static void status_update(struct daemon *d)
{
        (void)sd_notifyf(0, "STATUS=serving %u listeners, %u notifications in flight",
                         d->n_sessions, journal_in_use(d->journal));
}

static void on_session_added(void *userdata, struct session *s)
{
        struct sd *sd = userdata;
        _cleanup_free_ char *json = NULL;
        _cleanup_close_ int mfd = -1;
        char name[FDNAME_MAX];
        int r;

        if (sd->adopting || !sd->fdstore)
                return;
        journal_set_next_serial(s->d->journal, s->serial);
        r = origin_to_json(s, &json);
        if (r >= 0)
                r = mfd = sealed_memfd(json, strlen(json));
        if (r < 0) {
                log_session(LOG_WARNING, s,
                            "listener not put in the fd store (its identity cannot be saved: "
                            "%s); a restart will lose it",
                            strerror(-r));
                return;
        }
        /* Identity first: a listener in the store always has its metadata there. */
        snprintf(name, sizeof(name), "m-%llu", (unsigned long long)s->serial);
        if (store_fd(mfd, name) < 0)
                return;
        snprintf(name, sizeof(name), "l-%llu", (unsigned long long)s->serial);
        (void)store_fd(s->fd, name);
        status_update(s->d);
}

static void on_session_removed(void *userdata, struct session *s)
{
        struct sd *sd = userdata;
        char name[FDNAME_MAX];

        if (!sd->fdstore || s->d->stopping)
                return;
        snprintf(name, sizeof(name), "l-%llu", (unsigned long long)s->serial);
        store_remove(name);
        snprintf(name, sizeof(name), "m-%llu", (unsigned long long)s->serial);
        store_remove(name);
        status_update(s->d);
}

/* ---- adoption ---- */

static struct stored_fd *find_stored(struct sd *sd, const char *name)
{
        for (size_t i = 0; i < sd->n_stored; i++)
                if (sd->stored[i].fd >= 0 && strcmp(sd->stored[i].name, name) == 0)
                        return &sd->stored[i];
        return NULL;
}

/* Is an entry of this name in use? Then another fd of the same name is a duplicate, closed
 * without FDSTOREREMOVE (which would drop every fd of that name, the one in use too). */
static bool name_adopted(struct sd *sd, const char *name)
{
        for (size_t i = 0; i < sd->n_stored; i++)
                if (sd->stored[i].adopted && strcmp(sd->stored[i].name, name) == 0)
                        return true;
        return false;
}

/* "l-<decimal>" with no sign, no leading zero, no junk; 0 when it is not one. */
static uint64_t parse_serial(const char *name, char kind)
{
        const char *p = name + 2;
        uint64_t v = 0;

        if (name[0] != kind || name[1] != '-' || *p < '1' || *p > '9')
                return 0;
        for (; *p; p++) {
                if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
                        return 0;
                v = v * 10 + (uint64_t)(*p - '0');
        }
        return v;
}

/* Read and parse an m-<serial> memfd (borrowed). */
static int read_origin(int fd, uint64_t serial, struct scmpd_handoff_state **ret_origin,
                       uint64_t *ret_created_ns, struct peer_facts *ret_peer)
{
        _cleanup_free_ char *buf = NULL;
        struct scmpd_handoff_state *st = NULL;
        const char *reason = NULL;
        json_auto_t *o = NULL;
        json_t *v;
        struct stat sb;
        ssize_t n;
        int r;

        if (fstat(fd, &sb) < 0)
                return negative_errno();
        if (!S_ISREG(sb.st_mode) || sb.st_size <= 0 || sb.st_size > META_MAX_BYTES)
                return -EBADMSG;
        buf = malloc((size_t)sb.st_size + 1);
        if (!buf)
                return -ENOMEM;
        n = pread(fd, buf, (size_t)sb.st_size, 0);
        if (n != sb.st_size)
                return n < 0 ? negative_errno() : -EBADMSG;
        buf[n] = 0;
        r = scmpd_handoff_parse(buf, (size_t)n, 1, &st, &reason);
        if (r < 0)
                return r;
        o = json_loadb(buf, (size_t)n, 0, NULL);
        v = o ? json_object_get(o, "scmpdSerial") : NULL;
        if (!json_is_integer(v) || (uint64_t)json_integer_value(v) != serial) {
                scmpd_handoff_state_free(st);
                return -EBADMSG;
        }
        v = json_object_get(o, "scmpdCreatedNs");
        *ret_created_ns = json_is_integer(v) && json_integer_value(v) > 0
                                  ? (uint64_t)json_integer_value(v)
                                  : 0;
        /* The store is written by scmpd itself (memfds only it holds), so these are the peer
         * facts recorded at accept; without them the peer counts as unprivileged. */
        *ret_peer = PEER_FACTS_UNKNOWN;
        v = json_object_get(o, "scmpdPeerUid");
        if (json_is_integer(v) && json_integer_value(v) >= 0 &&
            json_integer_value(v) < 0xffffffffLL) {
                json_t *g = json_object_get(o, "scmpdPeerGid");

                ret_peer->known = true;
                ret_peer->uid = (uid_t)json_integer_value(v);
                ret_peer->gid = json_is_integer(g) ? (gid_t)json_integer_value(g) : (gid_t)-1;
                g = json_object_get(o, "scmpdPeerExe");
                if (json_is_string(g))
                        snprintf(ret_peer->exe, sizeof(ret_peer->exe), "%s", json_string_value(g));
        }
        *ret_origin = st;
        return 0;
}

static int cmp_stored(const void *a, const void *b)
{
        const struct stored_fd *x = a, *y = b;
        uint64_t sx = parse_serial(x->name, 'l'), sy = parse_serial(y->name, 'l');

        if (sx != sy)
                return sx < sy ? -1 : 1;
        return strcmp(x->name, y->name);
}

static void refuse(struct sd *sd, struct stored_fd *e, const char *why)
{
        log_error("cannot adopt %s from the fd store: %s; its targets now get ENOSYS", e->name,
                  why);
        e->fd = safe_close(e->fd);
        store_remove(e->name);
        sd->n_refused++;
}

static void adopt_listener(struct sd *sd, struct daemon *d, struct stored_fd *e, uint64_t serial)
{
        struct scmpd_handoff_state *origin = NULL;
        struct peer_facts peer = PEER_FACTS_UNKNOWN;
        struct session *s = NULL;
        struct stored_fd *m;
        char mname[FDNAME_MAX];
        uint64_t created = 0;
        unsigned stale = 0;
        int r, fd;

        snprintf(mname, sizeof(mname), "m-%llu", (unsigned long long)serial);
        m = find_stored(sd, mname);
        if (!m) {
                refuse(sd, e, "its identity (m-) is not in the store");
                return;
        }
        r = read_origin(m->fd, serial, &origin, &created, &peer);
        m->fd = safe_close(m->fd); /* the store keeps its own copy */
        m->adopted = r >= 0;
        if (r < 0) {
                refuse(sd, e, "its identity cannot be read");
                store_remove(mname);
                return;
        }
        if (scmpd_notify_is_listener(e->fd) <= 0) {
                scmpd_handoff_state_free(origin);
                refuse(sd, e, "not a seccomp listener");
                store_remove(mname);
                return;
        }
        fd = e->fd;
        e->fd = -1;
        sd->adopting = true;
        r = session_new(d, fd, origin, &peer, serial, &s); /* consumes fd, origin and peer */
        sd->adopting = false;
        if (r < 0) {
                log_error("cannot adopt %s: %s; its targets now get ENOSYS", e->name, strerror(-r));
                store_remove(e->name);
                store_remove(mname);
                sd->n_refused++;
                return;
        }
        e->adopted = true;
        if (created)
                s->created_ns = created;
        sd->n_adopted++;
        r = journal_replay(d->journal, s, &stale);
        sd->n_replayed += (unsigned)(r > 0 ? r : 0);
        sd->n_stale += stale;
        log_session(LOG_INFO, s,
                    "adopted listener %s from the fd store (%d in-flight notifications answered "
                    "again, %u already answered)",
                    e->name, r, stale);
}

int sd_adopt(struct daemon *d)
{
        struct sd *sd = d->sd;
        struct stored_fd *j;
        unsigned bad_journals = 0;
        int r;

        collect(sd);
        /* Normally one journal; should there be several, the first valid one wins, and the
         * store is left holding just that one. */
        while ((j = find_stored(sd, "journal"))) {
                int fd = j->fd;

                j->fd = -1;
                r = journal_adopt(d->journal, fd);
                if (r < 0) {
                        log_error("a journal in the fd store is unusable (%s); notifications it "
                                  "records cannot be answered",
                                  strerror(-r));
                        bad_journals++;
                        continue;
                }
                j->adopted = true;
                log_info("adopted the in-flight journal: %d notifications on record", r);
                if (journal_next_serial(d->journal) > d->next_session_id)
                        d->next_session_id = journal_next_serial(d->journal);
                break;
        }
        while ((j = find_stored(sd, "journal"))) {
                log_error("closing a second journal from the fd store");
                j->fd = safe_close(j->fd);
                bad_journals++;
        }
        if (bad_journals > 0) {
                store_remove("journal");
                if (journal_enabled(d->journal))
                        (void)store_fd(journal_fd(d->journal), "journal");
        }
        if (sd->fdstore_max > 0 && sd->fdstore_max < 2ul * d->config->limits.listeners + 1)
                log_warning("the fd store holds %lu fds, fewer than the %lu that %u listeners "
                            "need: some may not survive a restart",
                            sd->fdstore_max, 2ul * d->config->limits.listeners + 1,
                            d->config->limits.listeners);
        if (!journal_enabled(d->journal) && sd->fdstore) {
                r = journal_create(d->journal);
                if (r >= 0)
                        (void)store_fd(r, "journal");
                else
                        log_warning("no in-flight journal: %s", strerror(-r));
        }
        if (sd->n_stored > 1)
                qsort(sd->stored, sd->n_stored, sizeof(*sd->stored), cmp_stored);
        for (size_t i = 0; i < sd->n_stored; i++) {
                uint64_t serial = parse_serial(sd->stored[i].name, 'l');

                if (sd->stored[i].fd >= 0 && serial > 0 && !name_adopted(sd, sd->stored[i].name))
                        adopt_listener(sd, d, &sd->stored[i], serial);
        }
        for (size_t i = 0; i < sd->n_stored; i++) {
                if (sd->stored[i].fd < 0)
                        continue;
                if (name_adopted(sd, sd->stored[i].name)) {
                        log_warning("closing a second fd named %s from the fd store",
                                    sd->stored[i].name);
                        sd->stored[i].fd = safe_close(sd->stored[i].fd);
                        continue;
                }
                /* Identity without a listener: usually systemd closed the stored listener on
                 * EPOLLHUP because its targets all exited while no scmpd ran (seen under systemd
                 * 252 after a restart); else a crash between the two FDSTOREs. Or a name this
                 * version does not know, which deserves the warning. */
                if (parse_serial(sd->stored[i].name, 'm') > 0)
                        log_info("dropping %s from the fd store: its listener is gone",
                                 sd->stored[i].name);
                else
                        log_warning("dropping %s from the fd store: nothing to adopt it for",
                                    sd->stored[i].name);
                sd->stored[i].fd = safe_close(sd->stored[i].fd);
                store_remove(sd->stored[i].name);
        }
        r = (int)journal_drop_unclaimed(d->journal);
        if (r > 0)
                log_info("forgot %d journal entries of listeners that are gone", r);
        journal_set_next_serial(d->journal, d->next_session_id);
        free(sd->stored);
        sd->stored = NULL;
        sd->n_stored = 0;
        return (int)sd->n_adopted;
}

void sd_ready(struct daemon *d)
{
        struct sd *sd = d->sd;

        if (!sd)
                return;
        (void)sd_notifyf(0,
                         "READY=1\nSTATUS=serving %u listeners on %s (%u adopted, %u in-flight "
                         "answered again)\nX_SCMPD_ADOPTED=%u\nX_SCMPD_REFUSED=%u\n"
                         "X_SCMPD_REPLAYED=%u\nX_SCMPD_STALE=%u",
                         d->n_sessions, d->listen_path, sd->n_adopted, sd->n_replayed,
                         sd->n_adopted, sd->n_refused, sd->n_replayed, sd->n_stale);
}

struct sd *sd_new(struct daemon *d)
{
        struct sd *sd = calloc(1, sizeof(*sd));

        if (!sd)
                return NULL;
        sd->d = d;
        sd->handoff_fd = sd->control_fd = -1;
        sd->observer = (struct daemon_observer){
                .userdata = sd,
                .session_added = on_session_added,
                .session_removed = on_session_removed,
        };
        daemon_observe(d, &sd->observer);
        return sd;
}

struct sd *sd_free(struct sd *sd)
{
        if (!sd)
                return NULL;
        daemon_unobserve(&sd->observer);
        free(sd->stored);
        free(sd);
        return NULL;
}
