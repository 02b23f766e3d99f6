/*
 * seccomp.h: the libseccomp 2.6 programming interface, served by scmpd's core.
 *
 * This header belongs to scmpd's drop-in libseccomp.so.2. Programs written for libseccomp
 * include it unchanged and either link against our library or, already built against
 * libseccomp, run on it through the dynamic linker. Every name, value and structure layout
 * below is therefore fixed by libseccomp's published interface (its seccomp.h and the
 * seccomp_*(3) man pages); the comments and the arrangement are ours.
 *
 * Conventions shared by all functions: a negative return value is a negated errno from the
 * set each man page documents; filter contexts are opaque handles from seccomp_init().
 */
#ifndef _SECCOMP_H
#define _SECCOMP_H

#include <elf.h>
#include <inttypes.h>
#include <stddef.h>
#include <asm/unistd.h>
#include <linux/audit.h>
#include <linux/types.h>
#include <linux/seccomp.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Library version --------------------------------------------------------------------- */

/* The interface version this header describes (see also seccomp_version()). */
#define SCMP_VER_MAJOR 2
#define SCMP_VER_MINOR 6
#define SCMP_VER_MICRO 1

struct scmp_version {
        unsigned int major;
        unsigned int minor;
        unsigned int micro;
};

/* ---- Types ------------------------------------------------------------------------------- */

/* An opaque filter under construction. */
typedef void *scmp_filter_ctx;

/* Tunables of a filter, read and written with seccomp_attr_get()/seccomp_attr_set(). */
enum scmp_filter_attr {
        _SCMP_FLTATR_MIN = 0,
        SCMP_FLTATR_ACT_DEFAULT = 1,   /* the action given to seccomp_init(); read-only */
        SCMP_FLTATR_ACT_BADARCH = 2,   /* taken when the caller's arch is not in the filter */
        SCMP_FLTATR_CTL_NNP = 3,       /* set no_new_privs before loading (default on) */
        SCMP_FLTATR_CTL_TSYNC = 4,     /* load into every thread of the process */
        SCMP_FLTATR_API_TSKIP = 5,     /* permit rules on syscall -1 (tracer skip) */
        SCMP_FLTATR_CTL_LOG = 6,       /* ask the kernel to log every non-allow action */
        SCMP_FLTATR_CTL_SSB = 7,       /* leave speculative store bypass unmitigated */
        SCMP_FLTATR_CTL_OPTIMIZE = 8,  /* code layout: 1 by priority, 2 as a binary tree */
        SCMP_FLTATR_API_SYSRAWRC = 9,  /* report kernel errnos instead of -ECANCELED */
        SCMP_FLTATR_CTL_WAITKILL = 10, /* notified tasks wait killable (after RECV) */
        _SCMP_FLTATR_MAX,
};

/* How a syscall argument is compared with the rule's data. */
enum scmp_compare {
        _SCMP_CMP_MIN = 0,
        SCMP_CMP_NE = 1,        /* arg != datum_a */
        SCMP_CMP_LT = 2,        /* arg <  datum_a */
        SCMP_CMP_LE = 3,        /* arg <= datum_a */
        SCMP_CMP_EQ = 4,        /* arg == datum_a */
        SCMP_CMP_GE = 5,        /* arg >= datum_a */
        SCMP_CMP_GT = 6,        /* arg >  datum_a */
        SCMP_CMP_MASKED_EQ = 7, /* (arg & datum_a) == datum_b */
        _SCMP_CMP_MAX,
};

typedef uint64_t scmp_datum_t;

/* One argument condition of a rule; all conditions of a rule must hold. */
struct scmp_arg_cmp {
        unsigned int arg; /* argument index, 0..5 */
        enum scmp_compare op;
        scmp_datum_t datum_a;
        scmp_datum_t datum_b;
};

/* ---- Architectures ----------------------------------------------------------------------- */

/*
 * An architecture is named by the value the kernel reports in seccomp_data.arch
 * (AUDIT_ARCH_*). Two exceptions keep tokens unique: x32 shares x86_64's audit value in the
 * kernel, so its token drops the 64-bit bit; and 0 stands for "the arch this program runs as".
 * The fallback definitions cover kernel headers older than the arch.
 */
#define SCMP_ARCH_NATIVE 0

#ifndef __AUDIT_ARCH_CONVENTION_MIPS64_N32
#define __AUDIT_ARCH_CONVENTION_MIPS64_N32 0x20000000
#endif
#ifndef EM_AARCH64
#define EM_AARCH64 183
#endif
#ifndef EM_RISCV
#define EM_RISCV 243
#endif
#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif
#ifndef EM_MIPS
#define EM_MIPS 8
#endif
#ifndef EM_68K
#define EM_68K 4
#endif
#ifndef EM_SH
#define EM_SH 42
#endif

#ifndef AUDIT_ARCH_AARCH64
#define AUDIT_ARCH_AARCH64 (EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE)
#endif
#ifndef AUDIT_ARCH_LOONGARCH64
#define AUDIT_ARCH_LOONGARCH64 (EM_LOONGARCH | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE)
#endif
#ifndef AUDIT_ARCH_M68K
#define AUDIT_ARCH_M68K (EM_68K)
#endif
#ifndef AUDIT_ARCH_MIPS
#define AUDIT_ARCH_MIPS (EM_MIPS)
#endif
#ifndef AUDIT_ARCH_MIPS64
#define AUDIT_ARCH_MIPS64 (EM_MIPS | __AUDIT_ARCH_64BIT)
#endif
#ifndef AUDIT_ARCH_MIPS64N32
#define AUDIT_ARCH_MIPS64N32 (EM_MIPS | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_CONVENTION_MIPS64_N32)
#endif
#ifndef AUDIT_ARCH_MIPSEL64N32
#define AUDIT_ARCH_MIPSEL64N32 \
        (EM_MIPS | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE | __AUDIT_ARCH_CONVENTION_MIPS64_N32)
#endif
#ifndef AUDIT_ARCH_PPC64LE
#define AUDIT_ARCH_PPC64LE (EM_PPC64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE)
#endif
#ifndef AUDIT_ARCH_RISCV64
#define AUDIT_ARCH_RISCV64 (EM_RISCV | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE)
#endif
#ifndef AUDIT_ARCH_SH
#define AUDIT_ARCH_SH (EM_SH)
#endif
#ifndef AUDIT_ARCH_SHEL
#define AUDIT_ARCH_SHEL (EM_SH | __AUDIT_ARCH_LE)
#endif

#define SCMP_ARCH_X86 AUDIT_ARCH_I386
#define SCMP_ARCH_X86_64 AUDIT_ARCH_X86_64
#define SCMP_ARCH_X32 (EM_X86_64 | __AUDIT_ARCH_LE)
#define SCMP_ARCH_ARM AUDIT_ARCH_ARM
#define SCMP_ARCH_AARCH64 AUDIT_ARCH_AARCH64
#define SCMP_ARCH_LOONGARCH64 AUDIT_ARCH_LOONGARCH64
#define SCMP_ARCH_M68K AUDIT_ARCH_M68K
#define SCMP_ARCH_MIPS AUDIT_ARCH_MIPS
#define SCMP_ARCH_MIPS64 AUDIT_ARCH_MIPS64
#define SCMP_ARCH_MIPS64N32 AUDIT_ARCH_MIPS64N32
#define SCMP_ARCH_MIPSEL AUDIT_ARCH_MIPSEL
#define SCMP_ARCH_MIPSEL64 AUDIT_ARCH_MIPSEL64
#define SCMP_ARCH_MIPSEL64N32 AUDIT_ARCH_MIPSEL64N32
#define SCMP_ARCH_PPC AUDIT_ARCH_PPC
#define SCMP_ARCH_PPC64 AUDIT_ARCH_PPC64
#define SCMP_ARCH_PPC64LE AUDIT_ARCH_PPC64LE
#define SCMP_ARCH_S390 AUDIT_ARCH_S390
#define SCMP_ARCH_S390X AUDIT_ARCH_S390X
#define SCMP_ARCH_PARISC AUDIT_ARCH_PARISC
#define SCMP_ARCH_PARISC64 AUDIT_ARCH_PARISC64
#define SCMP_ARCH_RISCV64 AUDIT_ARCH_RISCV64
#define SCMP_ARCH_SHEB AUDIT_ARCH_SH
#define SCMP_ARCH_SH AUDIT_ARCH_SHEL

/* ---- Syscall names and argument conditions ------------------------------------------------ */

/*
 * The number of syscall `x` for the arch being compiled for, or its negative pseudo number
 * (__PNR_x) when that arch lacks it; either is accepted by every function taking a syscall.
 */
#define SCMP_SYS(x) (__SNR_##x)

/* Argument-count dispatch for SCMP_CMP32(); internal to this header. */
#define _SCMP_VA_NUM_ARGS(...) _SCMP_VA_NUM_ARGS_IMPL(__VA_ARGS__, 2, 1)
#define _SCMP_VA_NUM_ARGS_IMPL(_1, _2, N, ...) N
#define _SCMP_MACRO_DISPATCHER(func, ...) \
        _SCMP_MACRO_DISPATCHER_IMPL1(func, _SCMP_VA_NUM_ARGS(__VA_ARGS__))
#define _SCMP_MACRO_DISPATCHER_IMPL1(func, nargs) _SCMP_MACRO_DISPATCHER_IMPL2(func, nargs)
#define _SCMP_MACRO_DISPATCHER_IMPL2(func, nargs) func##nargs
#define _SCMP_CMP32_1(x, y, z) SCMP_CMP64(x, y, (uint32_t)(z))
#define _SCMP_CMP32_2(x, y, z, q) SCMP_CMP64(x, y, (uint32_t)(z), (uint32_t)(q))

/*
 * Build a struct scmp_arg_cmp: SCMP_CMP64(arg, op, datum_a[, datum_b]). The _32 forms first
 * truncate the data to 32 bits, for arguments the kernel passes as 32-bit values (int, uid_t)
 * that a caller may hold sign-extended.
 */
#define SCMP_CMP64(...) ((struct scmp_arg_cmp){ __VA_ARGS__ })
#define SCMP_CMP SCMP_CMP64
#define SCMP_CMP32(x, y, ...) _SCMP_MACRO_DISPATCHER(_SCMP_CMP32_, __VA_ARGS__)(x, y, __VA_ARGS__)

/* Shorthands for one argument: SCMP_A2(SCMP_CMP_EQ, 5) compares argument 2. */
#define SCMP_A0_64(...) SCMP_CMP64(0, __VA_ARGS__)
#define SCMP_A0 SCMP_A0_64
#define SCMP_A0_32(x, ...) SCMP_CMP32(0, x, __VA_ARGS__)
#define SCMP_A1_64(...) SCMP_CMP64(1, __VA_ARGS__)
#define SCMP_A1 SCMP_A1_64
#define SCMP_A1_32(x, ...) SCMP_CMP32(1, x, __VA_ARGS__)
#define SCMP_A2_64(...) SCMP_CMP64(2, __VA_ARGS__)
#define SCMP_A2 SCMP_A2_64
#define SCMP_A2_32(x, ...) SCMP_CMP32(2, x, __VA_ARGS__)
#define SCMP_A3_64(...) SCMP_CMP64(3, __VA_ARGS__)
#define SCMP_A3 SCMP_A3_64
#define SCMP_A3_32(x, ...) SCMP_CMP32(3, x, __VA_ARGS__)
#define SCMP_A4_64(...) SCMP_CMP64(4, __VA_ARGS__)
#define SCMP_A4 SCMP_A4_64
#define SCMP_A4_32(x, ...) SCMP_CMP32(4, x, __VA_ARGS__)
#define SCMP_A5_64(...) SCMP_CMP64(5, __VA_ARGS__)
#define SCMP_A5 SCMP_A5_64
#define SCMP_A5_32(x, ...) SCMP_CMP32(5, x, __VA_ARGS__)

/* ---- Actions ----------------------------------------------------------------------------- */

/* The kernel's SECCOMP_RET_* values: the action in the high 16 bits, its data below. */
#define SCMP_ACT_KILL_PROCESS 0x80000000U
#define SCMP_ACT_KILL_THREAD 0x00000000U
#define SCMP_ACT_KILL SCMP_ACT_KILL_THREAD
#define SCMP_ACT_TRAP 0x00030000U
#define SCMP_ACT_NOTIFY 0x7fc00000U
#define SCMP_ACT_ERRNO(x) (0x00050000U | ((x)&0x0000ffffU))
#define SCMP_ACT_TRACE(x) (0x7ff00000U | ((x)&0x0000ffffU))
#define SCMP_ACT_LOG 0x7ffc0000U
#define SCMP_ACT_ALLOW 0x7fff0000U

/* Kernel headers older than 5.0 lack user notification; its structures are the kernel ABI. */
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U

struct seccomp_notif {
        __u64 id;
        __u32 pid;
        __u32 flags;
        struct seccomp_data data;
};

struct seccomp_notif_resp {
        __u64 id;
        __s64 val;
        __s32 error;
        __u32 flags;
};
#endif

/* Kernel headers older than 5.9 lack NOTIF_ADDFD; the structure is the kernel ABI. */
#ifndef SECCOMP_IOCTL_NOTIF_ADDFD
struct seccomp_notif_addfd {
        __u64 id;
        __u32 flags;
        __u32 srcfd;
        __u32 newfd;
        __u32 newfd_flags;
};
#endif

/* ---- Library state ----------------------------------------------------------------------- */

/* This library's version; a static structure the caller must not free. */
const struct scmp_version *seccomp_version(void);

/*
 * The API level: what the running kernel lets the library do. 1 base; 2 seccomp(2) and TSYNC;
 * 3 LOG and KILL_PROCESS; 4 SSB; 5 NOTIFY and the notify calls; 6 TSYNC together with NOTIFY;
 * 7 WAITKILL. Probed once; seccomp_api_set() overrides it (-EINVAL for an unknown level).
 */
unsigned int seccomp_api_get(void);
int seccomp_api_set(unsigned int level);

/* ---- Filters ----------------------------------------------------------------------------- */

/* A new filter with the native arch and default attributes; NULL on a bad action. */
scmp_filter_ctx seccomp_init(uint32_t def_action);

/* Start the filter over with a new default action. A NULL ctx resets the library state. */
int seccomp_reset(scmp_filter_ctx ctx, uint32_t def_action);

/* Free the filter (not what was loaded into the kernel). */
void seccomp_release(scmp_filter_ctx ctx);

/* Move the rules of ctx_src (disjoint arches, equal attributes) into ctx_dst; on success
 * ctx_src is gone and must not be released. */
int seccomp_merge(scmp_filter_ctx ctx_dst, scmp_filter_ctx ctx_src);

/* Arch tokens: from a name such as "x86_64" (0 if unknown), and the native one. */
uint32_t seccomp_arch_resolve_name(const char *arch_name);
uint32_t seccomp_arch_native(void);

/* 0 if the arch is in the filter, -EEXIST if not. add: -EEXIST if present; remove: -EEXIST if
 * absent. */
int seccomp_arch_exist(const scmp_filter_ctx ctx, uint32_t arch_token);
int seccomp_arch_add(scmp_filter_ctx ctx, uint32_t arch_token);
int seccomp_arch_remove(scmp_filter_ctx ctx, uint32_t arch_token);

/* Load into the kernel. -ECANCELED when the kernel refuses (its errno with SYSRAWRC), -ESRCH
 * when TSYNC could not reach every thread. */
int seccomp_load(const scmp_filter_ctx ctx);

int seccomp_attr_get(const scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t *value);
int seccomp_attr_set(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value);

/* ---- Syscall names ----------------------------------------------------------------------- */

/* The name of `num` on an arch, malloc()ed for the caller to free; NULL if unknown. */
char *seccomp_syscall_resolve_num_arch(uint32_t arch_token, int num);

/* The number of `name` on an arch (negative pseudo numbers included), or __NR_SCMP_ERROR. The
 * _rewrite form gives the multiplexer (socketcall, ipc) where the arch routes the call so. */
int seccomp_syscall_resolve_name_arch(uint32_t arch_token, const char *name);
int seccomp_syscall_resolve_name_rewrite(uint32_t arch_token, const char *name);
int seccomp_syscall_resolve_name(const char *name);

/* A code-layout hint: higher priority syscalls are decided with fewer instructions. */
int seccomp_syscall_priority(scmp_filter_ctx ctx, int syscall, uint8_t priority);

/* ---- Rules ------------------------------------------------------------------------------- */

/*
 * Add a rule: `action` when `syscall` is called and all `arg_cnt` conditions hold. The plain
 * forms adapt the rule to each arch (multiplexed calls, 32-bit arguments); the _exact forms
 * fail instead. -EACCES when the action equals the default action.
 */
int seccomp_rule_add(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int arg_cnt, ...);
int seccomp_rule_add_array(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int arg_cnt,
                           const struct scmp_arg_cmp *arg_array);
int seccomp_rule_add_exact(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int arg_cnt,
                           ...);
int seccomp_rule_add_exact_array(scmp_filter_ctx ctx, uint32_t action, int syscall,
                                 unsigned int arg_cnt, const struct scmp_arg_cmp *arg_array);

/* ---- User notification ------------------------------------------------------------------- */

/*
 * Buffers sized for the running kernel (free with seccomp_notify_free()). receive, respond and
 * addfd return -ECANCELED on a kernel failure and leave its errno in `errno` (ENOENT: the
 * target is gone); id_valid returns 0 or -ENOENT. seccomp_notify_fd() gives the listener the
 * last load created (-EFAULT if none, as libseccomp answers); the caller owns it.
 */
int seccomp_notify_alloc(struct seccomp_notif **req, struct seccomp_notif_resp **resp);
void seccomp_notify_free(struct seccomp_notif *req, struct seccomp_notif_resp *resp);
int seccomp_notify_receive(int fd, struct seccomp_notif *req);
int seccomp_notify_respond(int fd, struct seccomp_notif_resp *resp);
int seccomp_notify_id_valid(int fd, uint64_t id);
int seccomp_notify_addfd(int fd, struct seccomp_notif_addfd *addfd);
int seccomp_notify_fd(const scmp_filter_ctx ctx);

/* ---- Output ------------------------------------------------------------------------------ */

/* Write the program as readable pseudo code, or as raw BPF, to fd. */
int seccomp_export_pfc(const scmp_filter_ctx ctx, int fd);
int seccomp_export_bpf(const scmp_filter_ctx ctx, int fd);

/* Copy the raw BPF into buf. *len holds buf's size on entry and the program's size on return;
 * a NULL buf only queries the size, a short one gives -ERANGE. */
int seccomp_export_bpf_mem(const scmp_filter_ctx ctx, void *buf, size_t *len);

/* Generate the program now, so that a later seccomp_load() does no work (and allocates
 * nothing) unless the filter changes in between. */
int seccomp_precompute(const scmp_filter_ctx ctx);

/* ---- Transactions ------------------------------------------------------------------------ */

/* Group changes: reject restores the filter as it was at the matching start. */
int seccomp_transaction_start(const scmp_filter_ctx ctx);
void seccomp_transaction_reject(const scmp_filter_ctx ctx);
int seccomp_transaction_commit(const scmp_filter_ctx ctx);

/* ---- Syscall number constants ------------------------------------------------------------ */

/* Pseudo syscall numbers -1 to -99 are reserved for the library. */
#define __NR_SCMP_ERROR -1
#define __NR_SCMP_UNDEF -2

#include <seccomp-syscalls.h>

#ifdef __cplusplus
}
#endif

#endif /* _SECCOMP_H */
