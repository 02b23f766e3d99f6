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
 *     so journal_release() finds it in O(1); slots from a previous run are "unclaimed" until their
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

static struct {
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
} J = { .fd = -1 };

static struct journal_slot *slot_at(uint32_t i)
{
        return (struct journal_slot *)((uint8_t *)J.hdr + sizeof(struct journal_header)) + i;
}

static size_t bytes_for(uint32_t n_slots)
{
        return sizeof(struct journal_header) + (size_t)n_slots * sizeof(struct journal_slot);
}

static uint32_t hash_of(uint64_t serial, uint64_t id)
{
        uint64_t h = (serial * 0x9e3779b97f4a7c15ull) ^ id;

        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        return (uint32_t)(h & (J.n_slots - 1)); /* n_slots is a power of two */
}

static void index_add(uint32_t i)
{
        struct journal_slot *sl = slot_at(i);
        uint32_t b = hash_of(sl->serial, sl->u.notif.id);

        J.chain[i] = J.bucket[b];
        J.bucket[b] = i + 1;
        J.flags[i] |= FLAG_INDEXED;
}

static void index_del(uint32_t i)
{
        struct journal_slot *sl = slot_at(i);
        uint32_t *p = &J.bucket[hash_of(sl->serial, sl->u.notif.id)];

        while (*p && *p != i + 1)
                p = &J.chain[*p - 1];
        if (*p)
                *p = J.chain[i];
        J.chain[i] = 0;
        J.flags[i] &= (uint8_t)~FLAG_INDEXED;
}

static void slot_free(uint32_t i)
{
        struct journal_slot *sl = slot_at(i);

        if (J.flags[i] & FLAG_INDEXED) {
                index_del(i);
                J.in_use--;
        }
        J.flags[i] = 0;
        __atomic_store_n(&sl->state, SLOT_FREE, __ATOMIC_RELEASE);
        sl->serial = 0;
        J.free_stack[J.n_free++] = i;
}

static bool slot_filled(const struct journal_slot *sl)
{
        return sl->state == SLOT_ARMED && sl->serial != 0 && sl->u.notif.data.arch != 0;
}

/* (Re)allocate the in-memory side for n slots; the index is rebuilt from the flags. */
static int tables_resize(uint32_t n)
{
        uint32_t *fs, *bk, *ch;
        uint8_t *fl;

        fs = realloc(J.free_stack, n * sizeof(*fs));
        if (!fs)
                return -ENOMEM;
        J.free_stack = fs;
        ch = realloc(J.chain, n * sizeof(*ch));
        if (!ch)
                return -ENOMEM;
        J.chain = ch;
        fl = realloc(J.flags, n);
        if (!fl)
                return -ENOMEM;
        J.flags = fl;
        bk = calloc(n, sizeof(*bk));
        if (!bk)
                return -ENOMEM;
        free(J.bucket);
        J.bucket = bk;
        return 0;
}

static void index_rebuild(uint32_t old_n)
{
        for (uint32_t i = 0; i < old_n; i++)
                if (J.flags[i] & FLAG_INDEXED)
                        index_add(i);
}

static int kernel_notif_size(void)
{
        struct scmpd_notify_sizes sz;
        int r = scmpd_notify_sizes(&sz);

        if (r < 0)
                return r;
        if (sz.notif < sizeof(struct seccomp_notif) || sz.notif > JOURNAL_NOTIF_BYTES)
                return -EOVERFLOW;
        J.notif_size = sz.notif;
        return 0;
}

static int grow(void)
{
        uint32_t old = J.n_slots, n = old * 2;
        void *m;
        int r;

        if (n > JOURNAL_MAX_SLOTS || n < old)
                return -ENOSPC;
        if (ftruncate(J.fd, (off_t)bytes_for(n)) < 0)
                return negative_errno();
        m = mremap(J.hdr, J.map_size, bytes_for(n), MREMAP_MAYMOVE);
        if (m == MAP_FAILED)
                return negative_errno();
        J.hdr = m;
        J.map_size = bytes_for(n);
        r = tables_resize(n);
        if (r < 0)
                return r; /* the file grew but the tables did not: stay at the old size */
        J.n_slots = n;
        J.hdr->n_slots = n;
        memset(J.flags + old, 0, n - old);
        memset(J.chain, 0, n * sizeof(*J.chain));
        index_rebuild(old);
        for (uint32_t i = n; i-- > old;)
                J.free_stack[J.n_free++] = i;
        return 0;
}

static void journal_reset(void)
{
        if (J.hdr)
                munmap(J.hdr, J.map_size);
        safe_close(J.fd);
        free(J.free_stack);
        free(J.bucket);
        free(J.chain);
        free(J.flags);
        J = (typeof(J)){ .fd = -1 };
}

static int map_fd(int fd, uint32_t n_slots)
{
        void *m = mmap(NULL, bytes_for(n_slots), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

        if (m == MAP_FAILED)
                return negative_errno();
        J.hdr = m;
        J.map_size = bytes_for(n_slots);
        J.n_slots = n_slots;
        return tables_resize(n_slots);
}

int journal_create(void)
{
        int r;

        journal_reset();
        r = kernel_notif_size();
        if (r < 0)
                return r;
        J.fd = memfd_create("scmpd-journal", MFD_CLOEXEC);
        if (J.fd < 0)
                return negative_errno();
        if (ftruncate(J.fd, (off_t)bytes_for(JOURNAL_MIN_SLOTS)) < 0) {
                r = negative_errno();
                journal_reset();
                return r;
        }
        r = map_fd(J.fd, JOURNAL_MIN_SLOTS);
        if (r < 0) {
                journal_reset();
                return r;
        }
        memcpy(J.hdr->magic, JOURNAL_MAGIC, 8);
        J.hdr->version = JOURNAL_VERSION;
        J.hdr->slot_size = sizeof(struct journal_slot);
        J.hdr->notif_bytes = JOURNAL_NOTIF_BYTES;
        J.hdr->n_slots = J.n_slots;
        memset(J.flags, 0, J.n_slots);
        memset(J.chain, 0, J.n_slots * sizeof(*J.chain));
        for (uint32_t i = J.n_slots; i-- > 0;)
                J.free_stack[J.n_free++] = i;
        return J.fd;
}

int journal_adopt(int fd)
{
        struct journal_header h;
        struct stat st;
        unsigned claimed = 0;
        int r;

        journal_reset();
        r = kernel_notif_size();
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
        J.fd = fd;
        r = map_fd(fd, h.n_slots);
        if (r < 0) {
                journal_reset();
                return r;
        }
        memset(J.flags, 0, J.n_slots);
        memset(J.chain, 0, J.n_slots * sizeof(*J.chain));
        for (uint32_t i = J.n_slots; i-- > 0;) {
                struct journal_slot *sl = slot_at(i);

                if (slot_filled(sl)) {
                        J.flags[i] = FLAG_UNCLAIMED;
                        claimed++;
                        continue;
                }
                sl->state = SLOT_FREE;
                sl->serial = 0;
                J.free_stack[J.n_free++] = i;
        }
        return (int)claimed;
}

int journal_fd(void)
{
        return J.fd;
}

bool journal_enabled(void)
{
        return J.hdr != NULL;
}

uint64_t journal_next_serial(void)
{
        return J.hdr ? J.hdr->next_serial : 0;
}

void journal_set_next_serial(uint64_t serial)
{
        if (J.hdr && serial > J.hdr->next_serial)
                J.hdr->next_serial = serial;
}

int journal_receive(struct session *s, struct seccomp_notif *req)
{
        struct journal_slot *sl;
        uint32_t i;
        int r;

        if (!J.hdr)
                return scmpd_notify_receive(s->fd, req);
        if (J.n_free == 0 && grow() < 0) {
                if (!J.warned_full)
                        log_warning("the in-flight journal is full (%u slots); notifications "
                                    "received now are not protected against a crash",
                                    J.n_slots);
                J.warned_full = true;
                return scmpd_notify_receive(s->fd, req);
        }
        i = J.free_stack[--J.n_free];
        sl = slot_at(i);
        memset(sl->u.bytes, 0, sizeof(sl->u.bytes));
        sl->serial = s->serial;
        __atomic_store_n(&sl->state, SLOT_ARMED, __ATOMIC_RELEASE);
        /* The kernel writes the notification into the journal itself. */
        r = scmpd_notify_receive(s->fd, &sl->u.notif);
        if (r < 0) {
                slot_free(i);
                return r;
        }
        memcpy(req, sl->u.bytes, J.notif_size);
        index_add(i);
        J.in_use++;
        return 0;
}

void journal_release(const struct session *s, uint64_t id)
{
        uint32_t j;

        if (!J.hdr || !s)
                return;
        for (j = J.bucket[hash_of(s->serial, id)]; j; j = J.chain[j - 1]) {
                struct journal_slot *sl = slot_at(j - 1);

                if (sl->serial == s->serial && sl->u.notif.id == id) {
                        slot_free(j - 1);
                        return;
                }
        }
}

static int cmp_slot_id(const void *a, const void *b)
{
        uint64_t x = slot_at(*(const uint32_t *)a)->u.notif.id;
        uint64_t y = slot_at(*(const uint32_t *)b)->u.notif.id;

        return x < y ? -1 : x > y;
}

int journal_replay(struct session *s, unsigned *ret_stale)
{
        _cleanup_free_ uint32_t *todo = NULL;
        unsigned n_todo = 0, stale = 0;
        int done = 0;

        if (ret_stale)
                *ret_stale = 0;
        if (!J.hdr)
                return 0;
        for (uint32_t i = 0; i < J.n_slots; i++) {
                struct journal_slot *sl = slot_at(i);

                if (!(J.flags[i] & FLAG_UNCLAIMED) || sl->serial != s->serial)
                        continue;
                J.flags[i] &= (uint8_t)~FLAG_UNCLAIMED;
                /* Only a received, unanswered notification is valid: anything else was answered
                 * (perhaps by the run that died, after its last journal write) or abandoned. */
                if (scmpd_notify_id_valid(s->fd, sl->u.notif.id) < 0) {
                        slot_free(i);
                        stale++;
                        continue;
                }
                if (!todo) {
                        todo = calloc(J.n_slots, sizeof(*todo));
                        if (!todo) {
                                /* Keep it on record for the next run; answer it now as the
                                 * kernel would have without a supervisor. */
                                (void)scmpd_notify_respond_errno(s->fd, sl->u.notif.id, ENOSYS);
                                slot_free(i);
                                continue;
                        }
                }
                index_add(i);
                J.in_use++;
                todo[n_todo++] = i;
        }
        if (n_todo > 1)
                qsort(todo, n_todo, sizeof(*todo), cmp_slot_id);
        for (unsigned k = 0; k < n_todo; k++) {
                struct journal_slot *sl = slot_at(todo[k]);
                struct notif *n = notif_new(s, &sl->u.notif);

                if (!n) {
                        (void)scmpd_notify_respond_errno(s->fd, sl->u.notif.id, ENOMEM);
                        slot_free(todo[k]);
                        continue;
                }
                log_session(LOG_NOTICE, s,
                            "answering notification %llu of tid %u (syscall %d) that the previous "
                            "run received and left unanswered",
                            (unsigned long long)sl->u.notif.id, sl->u.notif.pid,
                            sl->u.notif.data.nr);
                s->inflight++;
                list_add_tail(&n->link, &s->notifs);
                done++;
                /* May answer at once, which frees the slot through journal_release(). */
                dispatch_notification(s, n);
        }
        if (ret_stale)
                *ret_stale = stale;
        return done;
}

unsigned journal_drop_unclaimed(void)
{
        unsigned n = 0;

        for (uint32_t i = 0; J.hdr && i < J.n_slots; i++)
                if (J.flags[i] & FLAG_UNCLAIMED) {
                        slot_free(i);
                        n++;
                }
        return n;
}

unsigned journal_in_use(void)
{
        return J.in_use;
}
