/*
 * libscmpd: classic BPF as seccomp runs it - validation, simulation, cacheability, disassembly.
 *
 * Programs are arrays of struct sock_filter (<linux/filter.h>). The simulator accepts exactly
 * what the kernel's seccomp_check_filter() accepts and runs it on a seccomp_data laid out in the
 * byte order of the arch named by data->arch (from scmpd/arch.h; host order if unknown), so a
 * program built for a big-endian 32-bit arch can be checked on this machine.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Check a program as the kernel does before accepting it for seccomp: length 1..BPF_MAXINSNS,
 * only permitted opcodes, loads of seccomp_data only at aligned in-bounds 32-bit offsets, jumps
 * in range, scratch memory written before it is read, and a return on every path.
 * Returns 0 or -EINVAL; ret_pc (may be NULL) receives the offending instruction index (len itself
 * for a bad length). The rules are bpf_check_classic() followed by
 * seccomp_check_filter(): no LD H/B, IND, MSH or MOD; DIV K by 0 and LSH/RSH K >= 32 refused;
 * M[k] with k < 16, and every read of M[k] preceded by a write on every path (the kernel's
 * check_load_and_stores(), whose conservative treatment of code after a RET is kept).
 */
int scmpd_bpf_validate(const struct sock_filter *prog, size_t len, size_t *ret_pc);

/*
 * Run a validated program. Stores the returned action (the full 32-bit value) and the number of
 * instructions executed, the final RET included (ret_executed may be NULL). -EINVAL if the
 * program is invalid. data->arch is what the kernel reports: AUDIT_ARCH_X86_64 for x32 calls
 * (whose nr carries SCMPD_X32_SYSCALL_BIT), see scmpd_bpf_data_arch(). The values in *data are
 * numbers; the simulator lays them out in the byte
 * order of data->arch, so on a big-endian arch the 32-bit load at offsetof(args[i]) reads the
 * high word and offset + 4 the low word. Run-time semantics are the kernel's for classic BPF:
 * A, X start at 0; ALU is 32-bit and wraps; division by X = 0 ends the program returning 0
 * (SECCOMP_RET_KILL_THREAD); shifts by X use X & 31 (the kernel's interpreter; a JIT's result
 * for X >= 32 is formally arbitrary); LD/LDX W LEN load sizeof(struct seccomp_data).
 */
int scmpd_bpf_run(const struct sock_filter *prog, size_t len, const struct seccomp_data *data,
                  uint32_t *ret_action, unsigned *ret_executed);

/*
 * Whether the kernel's seccomp action cache would record (arch, nr) as always-allowed: the
 * decision is SECCOMP_RET_ALLOW and is reached using only loads of nr and arch, jumps against
 * constants (JEQ/JGE/JGT/JSET with K, JA) and RET K, independent of the arguments and the
 * instruction pointer. Numbers below 0 or with the x32 bit are never cached. `arch` is the token
 * the kernel reports (AUDIT_ARCH_X86_64 for x32). Returns 1 yes, 0 no, -EINVAL for an invalid
 * program.
 */
int scmpd_bpf_cacheable(const struct sock_filter *prog, size_t len, uint32_t arch, int nr);

/*
 * Notes on the kernel's action cache (kernel/seccomp.c, Linux 5.11+), which the above emulates
 * (seccomp_is_const_allow()): it runs the filter with only nr and arch known, accepting exactly
 * LD W ABS of nr or arch, JA, JEQ/JGE/JGT/JSET with K, ALU AND with K and RET K; any other
 * instruction reached (a load of an argument or the instruction pointer, an X operand, scratch
 * memory, LD LEN, RET A, other ALU) makes it give up, and so does a RET K other than exactly
 * SECCOMP_RET_ALLOW (an ALLOW with data bits is not cached). The cache has one bitmap per arch
 * the kernel supports natively or as compat: an x86_64 kernel caches AUDIT_ARCH_X86_64 and
 * AUDIT_ARCH_I386 syscall numbers below each table's size; x32 calls arrive as AUDIT_ARCH_X86_64
 * with bit 30 set in nr, are out of the bitmap's range and are never cached. A bit is set only
 * when every filter in the stack allows. Recent kernels also let uretprobe and uprobe (x86_64
 * native) through without running filters at all; that exception is not a property of the
 * program and is not reported here.
 */

/* The value the kernel puts in seccomp_data.arch for a call of this arch (AUDIT_ARCH token):
 * the token itself, except x32, which the kernel reports as AUDIT_ARCH_X86_64. */
uint32_t scmpd_bpf_data_arch(uint32_t arch);

/* Write one line per instruction, with resolved jump targets and seccomp_data field names.
 * The arch (and so the byte order of the argument words and syscall names) is inferred along
 * each path from comparisons of arch against constants. Returns 0, -EINVAL for an invalid
 * program (which is still listed, so that it can be debugged), or -EIO on a write error. */
int scmpd_bpf_disasm(const struct sock_filter *prog, size_t len, FILE *out);

/* As scmpd_bpf_disasm(), assuming `arch` (an AUDIT_ARCH token; 0 infers) wherever a path has
 * not compared arch itself. */
int scmpd_bpf_disasm_arch(const struct sock_filter *prog, size_t len, uint32_t arch, FILE *out);

/*
 * Action names as scmpctl prints them and test tables spell them: KILL_PROCESS, KILL_THREAD,
 * TRAP, ERRNO(n), TRACE(n), LOG, ALLOW, NOTIFY; any action with non-zero data prints as NAME(n),
 * and an action value the kernel does not define prints as 0x%08x. format returns the length
 * snprintf() would (the buffer is always terminated when size > 0); parse accepts what format
 * prints (n in decimal or 0x hex, at most 0xffff) and returns 0 or -EINVAL.
 */
int scmpd_bpf_action_format(uint32_t action, char *buf, size_t size);
int scmpd_bpf_action_parse(const char *s, uint32_t *ret_action);

#ifdef __cplusplus
}
#endif
