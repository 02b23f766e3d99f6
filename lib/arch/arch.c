/*
 * Architectures and syscall resolution.
 *
 * Model: a fixed list of arches (facts written here, multiplexer numbers derived from the
 * kernel tables by gen-syscalls.py), and per arch one generated table (arch/tables.h). Names are
 * interned in one sorted array, so name -> id is a binary search and id -> number an index; the
 * reverse uses each arch's entries sorted by number, or the pseudo entries sorted by value.
 *
 * Invariants: every lookup is O(log n) over static const data, allocates nothing and is safe
 * from any thread; bad input (NULL, unknown names, out-of-range numbers) yields "unknown", never
 * a crash. A pseudo number is negative and never SCMPD_NR_NONE.
 */
#include <string.h>
#include <strings.h>

#include "arch/pseudo.h"
#include "arch/tables.h"
#include "scmpd/arch.h"
#include "util.h"

/* Offsets from AUDIT_ARCH_*: the ELF machine plus the 64-bit and little-endian flags. */
#define AA_64 0x80000000u
#define AA_LE 0x40000000u
#define AA_MIPS_N32 0x20000000u

/* Indexes into arches[], in the order of the generated tables. */
enum {
        A_X86,
        A_X86_64,
        A_X32,
        A_ARM,
        A_AARCH64,
        A_LOONGARCH64,
        A_M68K,
        A_MIPS,
        A_MIPSEL,
        A_MIPS64,
        A_MIPSEL64,
        A_MIPS64N32,
        A_MIPSEL64N32,
        A_PARISC,
        A_PARISC64,
        A_PPC,
        A_PPC64,
        A_PPC64LE,
        A_RISCV64,
        A_S390,
        A_S390X,
        A_SH,
        A_SHEB,
};

#define ARCH(n, tok, bits, be, ident)                            \
        [A_##ident] = {                                          \
                .name = n,                                       \
                .token = tok,                                    \
                .word_bits = bits,                               \
                .big_endian = be,                                \
                .socketcall_nr = SCMPD_GEN_##ident##_SOCKETCALL, \
                .ipc_nr = SCMPD_GEN_##ident##_IPC,               \
        }

/*
 * The order here is the order of the generated tables (gen-syscalls.py ARCHES), which
 * arch_table() relies on; the unit tests check it. Tokens are the kernel's AUDIT_ARCH_* values
 * (include/uapi/linux/audit.h), except x32: the kernel reports x32 as AUDIT_ARCH_X86_64 with the
 * x32 bit in the syscall number, and, like libseccomp, we give it a token of its own (x86_64
 * without the 64-bit flag) so that it can be named; a filter for x32 must test
 * seccomp_data.arch == AUDIT_ARCH_X86_64 and the number's SCMPD_X32_SYSCALL_BIT.
 * word_bits is the ABI's long/pointer width (x32 and mips n32 are 32-bit ABIs on 64-bit
 * registers), as libseccomp counts it.
 */
static const struct scmpd_arch arches[] = {
        ARCH("x86", 3 | AA_LE, 32, false, X86),
        ARCH("x86_64", 62 | AA_64 | AA_LE, 64, false, X86_64),
        ARCH("x32", 62 | AA_LE, 32, false, X32),
        ARCH("arm", 40 | AA_LE, 32, false, ARM),
        ARCH("aarch64", 183 | AA_64 | AA_LE, 64, false, AARCH64),
        ARCH("loongarch64", 258 | AA_64 | AA_LE, 64, false, LOONGARCH64),
        ARCH("m68k", 4, 32, true, M68K),
        ARCH("mips", 8, 32, true, MIPS),
        ARCH("mipsel", 8 | AA_LE, 32, false, MIPSEL),
        ARCH("mips64", 8 | AA_64, 64, true, MIPS64),
        ARCH("mipsel64", 8 | AA_64 | AA_LE, 64, false, MIPSEL64),
        ARCH("mips64n32", 8 | AA_64 | AA_MIPS_N32, 32, true, MIPS64N32),
        ARCH("mipsel64n32", 8 | AA_64 | AA_LE | AA_MIPS_N32, 32, false, MIPSEL64N32),
        ARCH("parisc", 15, 32, true, PARISC),
        ARCH("parisc64", 15 | AA_64, 64, true, PARISC64),
        ARCH("ppc", 20, 32, true, PPC),
        ARCH("ppc64", 21 | AA_64, 64, true, PPC64),
        ARCH("ppc64le", 21 | AA_64 | AA_LE, 64, false, PPC64LE),
        ARCH("riscv64", 243 | AA_64 | AA_LE, 64, false, RISCV64),
        ARCH("s390", 22, 32, true, S390),
        ARCH("s390x", 22 | AA_64, 64, true, S390X),
        ARCH("sh", 42 | AA_LE, 32, false, SH),
        ARCH("sheb", 42, 32, true, SHEB),
};

_Static_assert(ELEMENTSOF(arches) == SCMPD_GEN_ARCH_COUNT, "arch list and tables disagree");

/* Other spellings of arch names: Go/OCI/Debian names as runtimes write them. */
static const struct {
        const char *alias;
        const char *name;
} aliases[] = {
        { "amd64", "x86_64" },
        { "i386", "x86" },
        { "i686", "x86" },
        { "386", "x86" },
        { "arm64", "aarch64" },
        { "armhf", "arm" },
        { "armel", "arm" },
        { "loong64", "loongarch64" },
        { "mipsle", "mipsel" },
        { "mips64le", "mipsel64" },
        { "mips64el", "mipsel64" },
        { "ppc64el", "ppc64le" },
        { "powerpc", "ppc" },
        { "powerpc64", "ppc64" },
        { "powerpc64le", "ppc64le" },
        { "riscv", "riscv64" },
        { "hppa", "parisc" },
        { "hppa64", "parisc64" },
};

_public_ const char *scmpd_syscall_tables_linux(void)
{
        return SCMPD_GEN_LINUX_VERSION;
}

_public_ size_t scmpd_arch_count(void)
{
        return ELEMENTSOF(arches);
}

_public_ const struct scmpd_arch *scmpd_arch_at(size_t index)
{
        if (index >= ELEMENTSOF(arches))
                return NULL;
        return &arches[index];
}

#if defined(__x86_64__) && defined(__ILP32__)
#define A_NATIVE A_X32
#elif defined(__x86_64__)
#define A_NATIVE A_X86_64
#elif defined(__i386__)
#define A_NATIVE A_X86
#elif defined(__aarch64__)
#define A_NATIVE A_AARCH64
#elif defined(__arm__)
#define A_NATIVE A_ARM
#elif defined(__loongarch__) && defined(__loongarch_lp64)
#define A_NATIVE A_LOONGARCH64
#elif defined(__m68k__)
#define A_NATIVE A_M68K
#elif defined(__mips__) && _MIPS_SIM == _MIPS_SIM_ABI32
#define A_NATIVE (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? A_MIPS : A_MIPSEL)
#elif defined(__mips__) && _MIPS_SIM == _MIPS_SIM_ABI64
#define A_NATIVE (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? A_MIPS64 : A_MIPSEL64)
#elif defined(__mips__) && _MIPS_SIM == _MIPS_SIM_NABI32
#define A_NATIVE (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? A_MIPS64N32 : A_MIPSEL64N32)
#elif defined(__hppa__) && defined(__LP64__)
#define A_NATIVE A_PARISC64
#elif defined(__hppa__)
#define A_NATIVE A_PARISC
#elif defined(__powerpc64__)
#define A_NATIVE (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? A_PPC64 : A_PPC64LE)
#elif defined(__powerpc__)
#define A_NATIVE A_PPC
#elif defined(__riscv) && __riscv_xlen == 64
#define A_NATIVE A_RISCV64
#elif defined(__s390x__)
#define A_NATIVE A_S390X
#elif defined(__s390__)
#define A_NATIVE A_S390
#elif defined(__sh__)
#define A_NATIVE (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? A_SHEB : A_SH)
#else
#error "unsupported architecture"
#endif

_public_ const struct scmpd_arch *scmpd_arch_native(void)
{
        return &arches[A_NATIVE];
}

static const struct scmpd_arch *arch_by_exact_name(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(arches); i++)
                if (strcmp(arches[i].name, name) == 0)
                        return &arches[i];
        return NULL;
}

_public_ const struct scmpd_arch *scmpd_arch_by_name(const char *name)
{
        static const char prefix[] = "SCMP_ARCH_";
        const struct scmpd_arch *a;

        if (!name)
                return NULL;
        a = arch_by_exact_name(name);
        if (a)
                return a;
        for (size_t i = 0; i < ELEMENTSOF(aliases); i++)
                if (strcmp(aliases[i].alias, name) == 0)
                        return arch_by_exact_name(aliases[i].name);
        /* OCI profiles spell arches as libseccomp's constants: SCMP_ARCH_X86_64. */
        if (strncmp(name, prefix, sizeof(prefix) - 1) == 0) {
                const char *rest = name + sizeof(prefix) - 1;
                for (size_t i = 0; i < ELEMENTSOF(arches); i++)
                        if (strcasecmp(arches[i].name, rest) == 0)
                                return &arches[i];
        }
        return NULL;
}

_public_ const struct scmpd_arch *scmpd_arch_by_token(uint32_t token)
{
        for (size_t i = 0; i < ELEMENTSOF(arches); i++)
                if (arches[i].token == token)
                        return &arches[i];
        return NULL;
}

/* The generated table of an arch, or NULL for a pointer that is not one of ours. */
static const struct scmpd_gen_table *arch_table(const struct scmpd_arch *arch)
{
        if (!arch || arch < arches || arch >= arches + ELEMENTSOF(arches))
                return NULL;
        return &scmpd_gen_tables[arch - arches];
}

/* Name id of a syscall name, or -1. */
static int name_id(const char *name)
{
        size_t lo = 0, hi = SCMPD_GEN_NAME_COUNT;

        if (!name)
                return -1;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(name, scmpd_gen_names[mid]);
                if (c == 0)
                        return (int)mid;
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return -1;
}

/*
 * The first entry whose nr equals `nr` in an array sorted by nr ascending (descending when
 * `descending`), or NULL.
 */
static const struct scmpd_gen_entry *entry_find(const struct scmpd_gen_entry *v, size_t n, int nr,
                                                bool descending)
{
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                bool before = descending ? v[mid].nr > nr : v[mid].nr < nr;
                if (before)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < n && v[lo].nr == nr)
                return &v[lo];
        return NULL;
}

_public_ int scmpd_syscall_nr(const struct scmpd_arch *arch, const char *name)
{
        const struct scmpd_gen_table *t = arch_table(arch);
        int id;

        if (!t)
                return SCMPD_NR_NONE;
        id = name_id(name);
        if (id < 0)
                return SCMPD_NR_NONE;
        return t->nr[id];
}

_public_ const char *scmpd_syscall_name(const struct scmpd_arch *arch, int nr)
{
        const struct scmpd_gen_table *t = arch_table(arch);
        const struct scmpd_gen_entry *e;

        if (!t || nr == SCMPD_NR_NONE)
                return NULL;
        /* x32 numbers carry the x32 bit; like libseccomp, a number given without it names the
         * same call (0 is read on x32 as 0x40000000 is). */
        if (arch == &arches[A_X32] && nr >= 0 && nr < (int)SCMPD_X32_SYSCALL_BIT)
                nr |= (int)SCMPD_X32_SYSCALL_BIT;
        if (nr < 0)
                e = entry_find(scmpd_gen_pseudo, SCMPD_GEN_PSEUDO_COUNT, nr, true);
        else
                e = entry_find(t->by_nr, t->count, nr, false);
        return e ? scmpd_gen_names[e->name_id] : NULL;
}

_public_ int scmpd_syscall_translate(const struct scmpd_arch *from, int nr,
                                     const struct scmpd_arch *to)
{
        const char *name = scmpd_syscall_name(from, nr);

        if (!name || !arch_table(to))
                return SCMPD_NR_NONE;
        return scmpd_syscall_nr(to, name);
}

struct mux_call {
        const char *name;
        uint8_t call;
};

/* Call numbers: SYS_* of include/uapi/linux/net.h and the ipc(2) calls of include/linux/ipc.h
 * (SEMOP=1 .. SHMCTL=24), sorted by name for bsearch. */
static const struct mux_call socketcall_calls[] = {
        { "accept", 5 },      { "accept4", 18 },    { "bind", 2 },        { "connect", 3 },
        { "getpeername", 7 }, { "getsockname", 6 }, { "getsockopt", 15 }, { "listen", 4 },
        { "recv", 10 },       { "recvfrom", 12 },   { "recvmmsg", 19 },   { "recvmsg", 17 },
        { "send", 9 },        { "sendmmsg", 20 },   { "sendmsg", 16 },    { "sendto", 11 },
        { "setsockopt", 14 }, { "shutdown", 13 },   { "socket", 1 },      { "socketpair", 8 },
};

static const struct mux_call ipc_calls[] = {
        { "msgctl", 14 }, { "msgget", 13 }, { "msgrcv", 12 }, { "msgsnd", 11 },
        { "semctl", 3 },  { "semget", 2 },  { "semop", 1 },   { "semtimedop", 4 },
        { "shmat", 21 },  { "shmctl", 24 }, { "shmdt", 22 },  { "shmget", 23 },
};

static const struct mux_call *mux_find(const struct mux_call *v, size_t n, const char *name)
{
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(name, v[mid].name);
                if (c == 0)
                        return &v[mid];
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return NULL;
}

_public_ int scmpd_syscall_mux(const struct scmpd_arch *arch, int nr, enum scmpd_mux *ret_mux,
                               uint32_t *ret_call)
{
        const struct mux_call *m = NULL;
        enum scmpd_mux mux = SCMPD_MUX_NONE;
        const char *name;

        if (!arch_table(arch))
                return -EINVAL;
        name = scmpd_syscall_name(arch, nr);
        if (!name)
                return 0;
        if (arch->socketcall_nr != SCMPD_NR_NONE) {
                m = mux_find(socketcall_calls, ELEMENTSOF(socketcall_calls), name);
                mux = SCMPD_MUX_SOCKETCALL;
        }
        if (!m && arch->ipc_nr != SCMPD_NR_NONE) {
                m = mux_find(ipc_calls, ELEMENTSOF(ipc_calls), name);
                mux = SCMPD_MUX_IPC;
        }
        if (!m)
                return 0;
        if (ret_mux)
                *ret_mux = mux;
        if (ret_call)
                *ret_call = m->call;
        return 1;
}

_public_ bool scmpd_syscall_iter(const struct scmpd_arch *arch, size_t index, int *ret_nr,
                                 const char **ret_name)
{
        const struct scmpd_gen_table *t = arch_table(arch);

        if (!t || index >= t->count)
                return false;
        if (ret_nr)
                *ret_nr = t->by_nr[index].nr;
        if (ret_name)
                *ret_name = scmpd_gen_names[t->by_nr[index].name_id];
        return true;
}

size_t scmpd_pseudo_count(void)
{
        return SCMPD_GEN_PSEUDO_COUNT;
}

bool scmpd_pseudo_at(size_t index, const char **ret_name, int *ret_pseudo)
{
        if (index >= SCMPD_GEN_PSEUDO_COUNT)
                return false;
        if (ret_name)
                *ret_name = scmpd_gen_names[scmpd_gen_pseudo[index].name_id];
        if (ret_pseudo)
                *ret_pseudo = scmpd_gen_pseudo[index].nr;
        return true;
}

int scmpd_pseudo_nr(const char *name)
{
        int id = name_id(name);

        if (id < 0)
                return SCMPD_NR_NONE;
        return scmpd_gen_pseudo_by_name[id];
}
