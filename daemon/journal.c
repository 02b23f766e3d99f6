/*
 * The in-flight journal: what scmpd has received from the kernel and not yet answered, kept where
 * a SIGKILL cannot take it away.
 *
 * Why: a notification moves from "pending" to "sent" when a supervisor receives it. If that
 * supervisor dies while the listener fd lives on (in systemd's fd store), the kernel keeps the
 * notification "sent": a new RECV never returns it again, and the target stays blocked until
 * someone answers that ID (tested on this kernel, see docs/restart.md). So a restarted scmpd
 * must learn the IDs from somewhere other than the kernel.
 *
 * Model: one memfd, mapped MAP_SHARED, in the fd store under the name "journal". A header, then
 * fixed 128-byte slots, each { session serial, state, struct seccomp_notif }. A receive arms a
 * free slot (zeroed, serial set, state ARMED) and hands the slot itself to NOTIF_RECV as its
 * buffer: the kernel's copy-out of the notification is the journal write. There is therefore no
 * instant at which a notification is "sent" in the kernel but absent from the journal: a
 * SIGKILL can only act once the ioctl has returned, and an ioctl that failed to copy out puts
 * the notification back to "pending" itself. A slot is freed only after its answer was sent (or
 * the target was found gone), so a crash between the answer and the free leaves a slot whose ID
 * the kernel no longer reports valid, and which is forgotten on adoption.
 *
 * Invariants:
 *   - a slot is FREE, or ARMED with the serial of the session that owns it; an ARMED slot whose
 *     notification is all zero (arch 0: no real notification has arch 0) was armed but never
 *     filled, and is free for every purpose;
 *   - in this process, every filled slot of a live session is in the index (serial, id) -> slot,
 *     so journal_release(j) finds it in O(1); slots from a previous run are "unclaimed" until their
 *     session is adopted;
 *   - IDs are answered at most once: the kernel accepts one answer per ID and IDs are never
 *     reused (a 64-bit counter per filter), and a replay first checks ID_VALID, which is true
 *     only for a received, unanswered notification.
 *
 * Only the loop thread touches the journal. The memfd grows by doubling (ftruncate + mremap);
 * the fd in the store stays the same file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "util.h"

#define JOURNAL_MAGIC "SCMPDJ01"
#define JOURNAL_VERSION 1u

enum {
        SLOT_FREE = 0,
        SLOT_ARMED = 1,
};

enum {
        FLAG_INDEXED = 1 << 0,   /* in the (serial, id) index */
        FLAG_UNCLAIMED = 1 << 1, /* filled by a previous run, session not adopted yet */
};

struct journal_header {
        char magic[8];
        uint32_t version;
        uint32_t slot_size;
        uint32_t notif_bytes;
        uint32_t n_slots;
        uint64_t next_serial; /* sessions: the next serial is above this one */
        uint8_t reserved[32];
};

struct journal_slot {
        uint64_t serial;
        uint32_t state;
        uint32_t reserved;
        union {
                struct seccomp_notif notif;
                uint8_t bytes[JOURNAL_NOTIF_BYTES];
        } u;
};

_Static_assert(sizeof(struct journal_header) == 64, "journal header layout");
_Static_assert(sizeof(struct journal_slot) == 128, "journal slot layout");

struct journal {
        int fd;
        struct journal_header *hdr;
        size_t map_size;
        uint32_t n_slots;
        size_t notif_size; /* the kernel's struct seccomp_notif */
        uint32_t *free_stack;
        uint32_t n_free;
        uint32_t *bucket; /* n_slots heads of chains, slot index + 1 */
        uint32_t *chain;  /* per slot: next in its chain, index + 1 */
        uint8_t *flags;
        unsigned in_use;
        bool warned_full;
        /* Kept across journal_reset(): */
        struct daemon *d;
        struct daemon_observer observer;
};

static struct journal_slot *slot_at(struct journal *j, uint32_t i)
{
        return (struct journal_slot *)((uint8_t *)j->hdr + sizeof(struct journal_header)) + i;
}

static size_t bytes_for(uint32_t n_slots)
{
        return sizeof(struct journal_header) + (size_t)n_slots * sizeof(struct journal_slot);
}

static uint32_t hash_of(struct journal *j, uint64_t serial, uint64_t id)
{
        uint64_t h = (serial * 0x9e3779b97f4a7c15ull) ^ id;

        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        return (uint32_t)(h & (j->n_slots - 1)); /* n_slots is a power of two */
}

static void index_add(struct journal *j, uint32_t i)
{
        struct journal_slot *sl = slot_at(j, i);
        uint32_t b = hash_of(j, sl->serial, sl->u.notif.id);

        j->chain[i] = j->bucket[b];
        j->bucket[b] = i + 1;
        j->flags[i] |= FLAG_INDEXED;
}

static void index_del(struct journal *j, uint32_t i)
{
        struct journal_slot *sl = slot_at(j, i);
        uint32_t *p = &j->bucket[hash_of(j, sl->serial, sl->u.notif.id)];

        while (*p && *p != i + 1)
                p = &j->chain[*p - 1];
        if (*p)
                *p = j->chain[i];
        j->chain[i] = 0;
        j->flags[i] &= (uint8_t)~FLAG_INDEXED;
}

static void slot_free(struct journal *j, uint32_t i)
{
        struct journal_slot *sl = slot_at(j, i);

        if (j->flags[i] & FLAG_INDEXED) {
                index_del(j, i);
                j->in_use--;
        }
        j->flags[i] = 0;
        __atomic_store_n(&sl->state, SLOT_FREE, __ATOMIC_RELEASE);
        sl->serial = 0;
        j->free_stack[j->n_free++] = i;
}

static bool slot_filled(const struct journal_slot *sl)
{
        return sl->state == SLOT_ARMED && sl->serial != 0 && sl->u.notif.data.arch != 0;
}

/* (Re)allocate the in-memory side for n slots; the index is rebuilt from the flags. */
static int tables_resize(struct journal *j, uint32_t n)
{
        uint32_t *fs, *bk, *ch;
        uint8_t *fl;

        fs = realloc(j->free_stack, n * sizeof(*fs));
        if (!fs)
                return -ENOMEM;
        j->free_stack = fs;
        ch = realloc(j->chain, n * sizeof(*ch));
        if (!ch)
                return -ENOMEM;
        j->chain = ch;
        fl = realloc(j->flags, n);
        if (!fl)
                return -ENOMEM;
        j->flags = fl;
        bk = calloc(n, sizeof(*bk));
        if (!bk)
                return -ENOMEM;
        free(j->bucket);
        j->bucket = bk;
        return 0;
}

static void index_rebuild(struct journal *j, uint32_t old_n)
{
        for (uint32_t i = 0; i < old_n; i++)
                if (j->flags[i] & FLAG_INDEXED)
                        index_add(j, i);
}

static int kernel_notif_size(struct journal *j)
{
        struct scmpd_notify_sizes sz;
        int r = scmpd_notify_sizes(&sz);

        if (r < 0)
                return r;
        if (sz.notif < sizeof(struct seccomp_notif) || sz.notif > JOURNAL_NOTIF_BYTES)
                return -EOVERFLOW;
        j->notif_size = sz.notif;
        return 0;
}

static int grow(struct journal *j)
{
        uint32_t old = j->n_slots, n = old * 2;
        void *m;
        int r;

        if (n > JOURNAL_MAX_SLOTS || n < old)
                return -ENOSPC;
        if (ftruncate(j->fd, (off_t)bytes_for(n)) < 0)
                return negative_errno();
        m = mremap(j->hdr, j->map_size, bytes_for(n), MREMAP_MAYMOVE);
        if (m == MAP_FAILED)
                return negative_errno();
        j->hdr = m;
        j->map_size = bytes_for(n);
        r = tables_resize(j, n);
        if (r < 0)
                return r; /* the file grew but the tables did not: stay at the old size */
        j->n_slots = n;
        j->hdr->n_slots = n;
        memset(j->flags + old, 0, n - old);
        memset(j->chain, 0, n * sizeof(*j->chain));
        index_rebuild(j, old);
        for (uint32_t i = n; i-- > old;)
                j->free_stack[j->n_free++] = i;
        return 0;
}

static void journal_reset(struct journal *j)
{
        if (j->hdr)
                munmap(j->hdr, j->map_size);
        safe_close(j->fd);
        free(j->free_stack);
        free(j->bucket);
        free(j->chain);
        free(j->flags);
        *j = (struct journal){ .fd = -1, .observer = j->observer, .d = j->d };
}

static int map_fd(struct journal *j, int fd, uint32_t n_slots)
{
        void *m = mmap(NULL, bytes_for(n_slots), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

        if (m == MAP_FAILED)
                return negative_errno();
        j->hdr = m;
        j->map_size = bytes_for(n_slots);
        j->n_slots = n_slots;
        return tables_resize(j, n_slots);
}

int journal_create(struct journal *j)
{
        int r;

        journal_reset(j);
        r = kernel_notif_size(j);
        if (r < 0)
                return r;
        j->fd = memfd_create("scmpd-journal", MFD_CLOEXEC);
        if (j->fd < 0)
                return negative_errno();
        if (ftruncate(j->fd, (off_t)bytes_for(JOURNAL_MIN_SLOTS)) < 0) {
                r = negative_errno();
                journal_reset(j);
                return r;
        }
        r = map_fd(j, j->fd, JOURNAL_MIN_SLOTS);
        if (r < 0) {
                journal_reset(j);
                return r;
        }
        memcpy(j->hdr->magic, JOURNAL_MAGIC, 8);
        j->hdr->version = JOURNAL_VERSION;
        j->hdr->slot_size = sizeof(struct journal_slot);
        j->hdr->notif_bytes = JOURNAL_NOTIF_BYTES;
        j->hdr->n_slots = j->n_slots;
        memset(j->flags, 0, j->n_slots);
        memset(j->chain, 0, j->n_slots * sizeof(*j->chain));
        for (uint32_t i = j->n_slots; i-- > 0;)
                j->free_stack[j->n_free++] = i;
        return j->fd;
}

int journal_adopt(struct journal *j, int fd)
{
        struct journal_header h;
        struct stat st;
        unsigned claimed = 0;
        int r;

        journal_reset(j);
        r = kernel_notif_size(j);
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        /* Our own memfd, but it came back through another process: check every size. */
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
            (size_t)st.st_size < sizeof(struct journal_header) ||
            pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
            memcmp(h.magic, JOURNAL_MAGIC, 8) != 0 || h.version != JOURNAL_VERSION ||
            h.slot_size != sizeof(struct journal_slot) || h.notif_bytes != JOURNAL_NOTIF_BYTES ||
            h.n_slots < JOURNAL_MIN_SLOTS || h.n_slots > JOURNAL_MAX_SLOTS ||
            (h.n_slots & (h.n_slots - 1)) != 0 || (size_t)st.st_size < bytes_for(h.n_slots)) {
                safe_close(fd);
                return -EBADMSG;
        }
        j->fd = fd;
        r = map_fd(j, fd, h.n_slots);
        if (r < 0) {
                journal_reset(j);
                return r;
        }
        memset(j->flags, 0, j->n_slots);
        memset(j->chain, 0, j->n_slots * sizeof(*j->chain));
        for (uint32_t i = j->n_slots; i-- > 0;) {
                struct journal_slot *sl = slot_at(j, i);

                if (slot_filled(sl)) {
                        j->flags[i] = FLAG_UNCLAIMED;
                        claimed++;
                        continue;
                }
                sl->state = SLOT_FREE;
                sl->serial = 0;
                j->free_stack[j->n_free++] = i;
        }
        return (int)claimed;
}

int journal_fd(struct journal *j)
{
        return j->fd;
}

bool journal_enabled(struct journal *j)
{
        return j->hdr != NULL;
}

uint64_t journal_next_serial(struct journal *j)
{
        return j->hdr ? j->hdr->next_serial : 0;
}

void journal_set_next_serial(struct journal *j, uint64_t serial)
{
        if (j->hdr && serial > j->hdr->next_serial)
                j->hdr->next_serial = serial;
}

/* The daemon's receiver: NOTIF_RECV for session `s` through a journal slot (see the top). */
static int journal_receive(void *userdata, struct session *s, struct seccomp_notif *req)
{
        struct journal *j = userdata;
        struct journal_slot *sl;
        uint32_t i;
        int r;

        if (!j->hdr)
                return scmpd_notify_receive(s->fd, req);
        if (j->n_free == 0 && grow(j) < 0) {
                if (!j->warned_full)
                        log_warning("the in-flight journal is full (%u slots); notifications "
                                    "received now are not protected against a crash",
                                    j->n_slots);
                j->warned_full = true;
                return scmpd_notify_receive(s->fd, req);
        }
        i = j->free_stack[--j->n_free];
        sl = slot_at(j, i);
        memset(sl->u.bytes, 0, sizeof(sl->u.bytes));
        sl->serial = s->serial;
        __atomic_store_n(&sl->state, SLOT_ARMED, __ATOMIC_RELEASE);
        /* The kernel writes the notification into the journal itself. */
        r = scmpd_notify_receive(s->fd, &sl->u.notif);
        if (r < 0) {
                slot_free(j, i);
                return r;
        }
        memcpy(req, sl->u.bytes, j->notif_size);
        index_add(j, i);
        j->in_use++;
        return 0;
}

void journal_release(struct journal *j, const struct session *s, uint64_t id)
{
        uint32_t k;

        if (!j->hdr || !s)
                return;
        for (k = j->bucket[hash_of(j, s->serial, id)]; k; k = j->chain[k - 1]) {
                struct journal_slot *sl = slot_at(j, k - 1);

                if (sl->serial == s->serial && sl->u.notif.id == id) {
                        slot_free(j, k - 1);
                        return;
                }
        }
}

struct replay {
        uint64_t id;
        uint32_t slot;
};

static int cmp_replay_id(const void *a, const void *b)
{
        uint64_t x = ((const struct replay *)a)->id, y = ((const struct replay *)b)->id;

        return x < y ? -1 : x > y;
}

int journal_replay(struct journal *j, struct session *s, unsigned *ret_stale)
{
        _cleanup_free_ struct replay *todo = NULL;
        unsigned n_todo = 0, stale = 0;
        int done = 0;

        if (ret_stale)
                *ret_stale = 0;
        if (!j->hdr)
                return 0;
        for (uint32_t i = 0; i < j->n_slots; i++) {
                struct journal_slot *sl = slot_at(j, i);

                if (!(j->flags[i] & FLAG_UNCLAIMED) || sl->serial != s->serial)
                        continue;
                j->flags[i] &= (uint8_t)~FLAG_UNCLAIMED;
                /* Only a received, unanswered notification is valid: anything else was answered
                 * (perhaps by the run that died, after its last journal write) or abandoned. */
                if (scmpd_notify_id_valid(s->fd, sl->u.notif.id) < 0) {
                        slot_free(j, i);
                        stale++;
                        continue;
                }
                if (!todo) {
                        todo = calloc(j->n_slots, sizeof(*todo));
                        if (!todo) {
                                /* Keep it on record for the next run; answer it now as the
                                 * kernel would have without a supervisor. */
                                (void)scmpd_notify_respond_errno(s->fd, sl->u.notif.id, ENOSYS);
                                slot_free(j, i);
                                continue;
                        }
                }
                index_add(j, i);
                j->in_use++;
                todo[n_todo++] = (struct replay){ .id = sl->u.notif.id, .slot = i };
        }
        if (n_todo > 1)
                qsort(todo, n_todo, sizeof(*todo), cmp_replay_id);
        for (unsigned k = 0; k < n_todo; k++) {
                /* A copy: the injection may answer at once, which frees the slot. */
                struct seccomp_notif req = slot_at(j, todo[k].slot)->u.notif;

                log_session(LOG_NOTICE, s,
                            "answering notification %llu of tid %u (syscall %d) that the previous "
                            "run received and left unanswered",
                            (unsigned long long)req.id, req.pid, req.data.nr);
                if (session_inject(s, &req) < 0) {
                        (void)scmpd_notify_respond_errno(s->fd, req.id, ENOMEM);
                        slot_free(j, todo[k].slot);
                        continue;
                }
                done++;
        }
        if (ret_stale)
                *ret_stale = stale;
        return done;
}

unsigned journal_drop_unclaimed(struct journal *j)
{
        unsigned n = 0;

        for (uint32_t i = 0; j->hdr && i < j->n_slots; i++)
                if (j->flags[i] & FLAG_UNCLAIMED) {
                        slot_free(j, i);
                        n++;
                }
        return n;
}

unsigned journal_in_use(struct journal *j)
{
        return j->in_use;
}

static void on_notif_released(void *userdata, const struct session *s, uint64_t id)
{
        journal_release(userdata, s, id);
}

struct journal *journal_new(struct daemon *d)
{
        struct journal *j = calloc(1, sizeof(*j));

        if (!j)
                return NULL;
        j->fd = -1;
        j->d = d;
        j->observer = (struct daemon_observer){
                .userdata = j,
                .notif_released = on_notif_released,
        };
        if (d) {
                d->receiver = (struct daemon_receiver){ .receive = journal_receive, .userdata = j };
                daemon_observe(d, &j->observer);
        }
        return j;
}

struct journal *journal_free(struct journal *j)
{
        if (!j)
                return NULL;
        if (j->d) {
                daemon_unobserve(&j->observer);
                if (j->d->receiver.userdata == j)
                        j->d->receiver = (struct daemon_receiver){};
        }
        journal_reset(j);
        free(j);
        return NULL;
}
