/*
 * libscmpd: architectures and syscall tables.
 *
 * An architecture is named by its AUDIT_ARCH_* token, the value the kernel puts in
 * seccomp_data.arch, exactly as libseccomp's SCMP_ARCH_* constants do. Each has a static
 * description (struct scmpd_arch) and a syscall table generated from the kernel's own sources
 * (lib/arch/, see lib/arch/README.md for how to regenerate it).
 *
 * Syscall numbers: a real number is what the arch's kernel uses (x32 numbers include the
 * 0x40000000 x32 bit). A syscall that an arch lacks still has a *pseudo number*, a negative
 * value shared by every arch, so that a portable rule can name it; the values are the ones
 * libseccomp's seccomp-syscalls.h defines as __PNR_*, because programs built against that
 * header compare against them. SCMPD_NR_NONE (-1) means "no such syscall anywhere".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SCMPD_NR_NONE (-1)

/* The Linux release whose syscalls the tables follow, e.g. "6.18": every syscall up to that
 * release is known by name and number on each arch that has it. A static string, recorded by
 * the tables' generator (lib/arch/README.md). */
const char *scmpd_syscall_tables_linux(void);

/* The x32 ABI marks its syscall numbers with this bit. */
#define SCMPD_X32_SYSCALL_BIT 0x40000000

/* Socket and IPC multiplexers: the call numbers that socketcall(2) and ipc(2) take in their
 * first argument on arches that route those families through one syscall. */
enum scmpd_mux {
        SCMPD_MUX_NONE = 0,
        SCMPD_MUX_SOCKETCALL,
        SCMPD_MUX_IPC,
};

/*
 * x32 is the one arch whose token is not what the kernel reports: the kernel puts
 * AUDIT_ARCH_X86_64 in seccomp_data.arch for x32 tasks and marks their syscall numbers with
 * SCMPD_X32_SYSCALL_BIT. Like libseccomp we give x32 its own token (x86_64's without the
 * 64-bit flag) so that it can be named; a filter for x32 checks AUDIT_ARCH_X86_64 and the bit,
 * and a filter for x86_64 must reject numbers with the bit set.
 */
struct scmpd_arch {
        const char *name;   /* libseccomp's spelling: "x86_64", "x32", "mipsel64n32", ... */
        uint32_t token;     /* AUDIT_ARCH_*; for x32 libseccomp's 0x4000003e, see below */
        unsigned word_bits; /* 32 or 64: the ABI's long/pointer width (x32, mips n32: 32) */
        bool big_endian;
        int socketcall_nr; /* the socketcall(2) syscall number, or SCMPD_NR_NONE */
        int ipc_nr;        /* the ipc(2) syscall number, or SCMPD_NR_NONE */
};

/* All known arches, in a fixed order; NULL past the end. */
const struct scmpd_arch *scmpd_arch_at(size_t index);
size_t scmpd_arch_count(void);

/* The arch this library was built for. Never NULL. */
const struct scmpd_arch *scmpd_arch_native(void);

/* Lookups; NULL when unknown. Names are libseccomp's; a few aliases are accepted
 * (e.g. "amd64", "i386", "arm64", "loong64", "ppc64el") as runtimes spell them, and so is the
 * OCI spelling of libseccomp's constants ("SCMP_ARCH_X86_64"). */
const struct scmpd_arch *scmpd_arch_by_name(const char *name);
const struct scmpd_arch *scmpd_arch_by_token(uint32_t token);

/*
 * Name to number on one arch. Returns the real number, the pseudo number (< 0) when the arch
 * lacks a syscall that other arches have, or SCMPD_NR_NONE when no arch knows the name (or
 * arch is NULL). A multiplexed syscall that also has a direct number (e.g. "socket" on x86,
 * 359) gives the direct number; libseccomp's resolver gives the pseudo number there instead
 * (its marker for "rewrite me"), which the compat layer reproduces with scmpd_syscall_mux().
 */
int scmpd_syscall_nr(const struct scmpd_arch *arch, const char *name);

/* Number (real or pseudo) to name on one arch; NULL when unknown. The string is static.
 * Any pseudo number gives its name on every arch (two libseccomp names share -10191:
 * "switch_endian" is returned). On x32 a number without SCMPD_X32_SYSCALL_BIT names the same
 * call as with it, as in libseccomp (0 and 0x40000000 are both "read"). */
const char *scmpd_syscall_name(const struct scmpd_arch *arch, int nr);

/*
 * Translate a number from one arch's numbering to another's, by name. Pseudo numbers are
 * shared, so they translate to the real number where the target arch has the syscall, else
 * stay as they are. Returns SCMPD_NR_NONE when the number is unknown on `from`.
 */
int scmpd_syscall_translate(const struct scmpd_arch *from, int nr, const struct scmpd_arch *to);

/*
 * The socketcall/ipc rewrite. For a syscall (real or pseudo number) that `arch` multiplexes
 * (e.g. "socket" on x86, which also has a direct number since Linux 4.3, or "semop" on x86,
 * which has none), store which multiplexer and which call number its first argument carries,
 * and return 1. Return 0 when the syscall is not multiplexed on `arch`, -EINVAL for a NULL or
 * foreign arch. The multiplexer's own number is arch->socketcall_nr / arch->ipc_nr.
 */
int scmpd_syscall_mux(const struct scmpd_arch *arch, int nr, enum scmpd_mux *ret_mux,
                      uint32_t *ret_call);

/* Iterate one arch's real table in ascending number order; returns false past the end. */
bool scmpd_syscall_iter(const struct scmpd_arch *arch, size_t index, int *ret_nr,
                        const char **ret_name);

#ifdef __cplusplus
}
#endif
