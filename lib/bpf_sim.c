/*
 * The classic BPF machine as seccomp runs it: validation, execution and the action cache.
 *
 * Model: a program is accepted only if the kernel would accept it for seccomp. Validation is
 * bpf_check_classic() (opcodes, constant divisors and shifts, scratch indexes, jump ranges, a
 * final RET, scratch memory written before read on every path) followed by seccomp_check_filter()
 * (the seccomp subset of opcodes, aligned in-bounds 32-bit loads of struct seccomp_data).
 * Execution then needs no bounds checks beyond what validation proved: every jump is forward and
 * in range, so a run executes at most `len` instructions and always ends at a RET.
 *
 * seccomp_data is never materialised as bytes: a 32-bit load at offset k picks the right half
 * of the right field, in the byte order of the arch named by data->arch (host order when the
 * arch is unknown), which is what the kernel's load from the arch's own memory yields.
 *
 * The action cache emulation follows seccomp_is_const_allow() instruction by instruction; see
 * scmpd/bpf.h for what it accepts.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/audit.h>

#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "util.h"

#define SECCOMP_DATA_SIZE ((uint32_t)sizeof(struct seccomp_data))

/* Every opcode bpf_check_classic() knows (chk_code_allowed()). */
static bool classic_code_known(uint16_t code)
{
        switch (code) {
        case BPF_ALU | BPF_ADD | BPF_K:
        case BPF_ALU | BPF_ADD | BPF_X:
        case BPF_ALU | BPF_SUB | BPF_K:
        case BPF_ALU | BPF_SUB | BPF_X:
        case BPF_ALU | BPF_MUL | BPF_K:
        case BPF_ALU | BPF_MUL | BPF_X:
        case BPF_ALU | BPF_DIV | BPF_K:
        case BPF_ALU | BPF_DIV | BPF_X:
        case BPF_ALU | BPF_MOD | BPF_K:
        case BPF_ALU | BPF_MOD | BPF_X:
        case BPF_ALU | BPF_AND | BPF_K:
        case BPF_ALU | BPF_AND | BPF_X:
        case BPF_ALU | BPF_OR | BPF_K:
        case BPF_ALU | BPF_OR | BPF_X:
        case BPF_ALU | BPF_XOR | BPF_K:
        case BPF_ALU | BPF_XOR | BPF_X:
        case BPF_ALU | BPF_LSH | BPF_K:
        case BPF_ALU | BPF_LSH | BPF_X:
        case BPF_ALU | BPF_RSH | BPF_K:
        case BPF_ALU | BPF_RSH | BPF_X:
        case BPF_ALU | BPF_NEG:
        case BPF_LD | BPF_W | BPF_ABS:
        case BPF_LD | BPF_H | BPF_ABS:
        case BPF_LD | BPF_B | BPF_ABS:
        case BPF_LD | BPF_W | BPF_LEN:
        case BPF_LD | BPF_W | BPF_IND:
        case BPF_LD | BPF_H | BPF_IND:
        case BPF_LD | BPF_B | BPF_IND:
        case BPF_LD | BPF_IMM:
        case BPF_LD | BPF_MEM:
        case BPF_LDX | BPF_W | BPF_LEN:
        case BPF_LDX | BPF_B | BPF_MSH:
        case BPF_LDX | BPF_IMM:
        case BPF_LDX | BPF_MEM:
        case BPF_ST:
        case BPF_STX:
        case BPF_MISC | BPF_TAX:
        case BPF_MISC | BPF_TXA:
        case BPF_RET | BPF_K:
        case BPF_RET | BPF_A:
        case BPF_JMP | BPF_JA:
        case BPF_JMP | BPF_JEQ | BPF_K:
        case BPF_JMP | BPF_JEQ | BPF_X:
        case BPF_JMP | BPF_JGE | BPF_K:
        case BPF_JMP | BPF_JGE | BPF_X:
        case BPF_JMP | BPF_JGT | BPF_K:
        case BPF_JMP | BPF_JGT | BPF_X:
        case BPF_JMP | BPF_JSET | BPF_K:
        case BPF_JMP | BPF_JSET | BPF_X:
                return true;
        default:
                return false;
        }
}

/* The subset seccomp_check_filter() lets through: no MOD, no byte/half/indirect loads, no MSH. */
static bool seccomp_code_allowed(uint16_t code)
{
        switch (code) {
        case BPF_ALU | BPF_MOD | BPF_K:
        case BPF_ALU | BPF_MOD | BPF_X:
        case BPF_LD | BPF_H | BPF_ABS:
        case BPF_LD | BPF_B | BPF_ABS:
        case BPF_LD | BPF_W | BPF_IND:
        case BPF_LD | BPF_H | BPF_IND:
        case BPF_LD | BPF_B | BPF_IND:
        case BPF_LDX | BPF_B | BPF_MSH:
                return false;
        default:
                return classic_code_known(code);
        }
}

static bool is_cond_jump(uint16_t code)
{
        return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

/* The per-instruction rules of both kernel passes. */
static bool insn_ok(const struct sock_filter *prog, size_t len, size_t pc)
{
        const struct sock_filter *insn = &prog[pc];

        if (!seccomp_code_allowed(insn->code))
                return false;

        switch (insn->code) {
        case BPF_ALU | BPF_DIV | BPF_K:
                return insn->k != 0;
        case BPF_ALU | BPF_LSH | BPF_K:
        case BPF_ALU | BPF_RSH | BPF_K:
                return insn->k < 32;
        case BPF_LD | BPF_MEM:
        case BPF_LDX | BPF_MEM:
        case BPF_ST:
        case BPF_STX:
                return insn->k < BPF_MEMWORDS;
        case BPF_JMP | BPF_JA:
                return insn->k < len - pc - 1;
        case BPF_LD | BPF_W | BPF_ABS:
                return insn->k < SECCOMP_DATA_SIZE && (insn->k & 3) == 0;
        default:
                if (is_cond_jump(insn->code))
                        return pc + insn->jt + 1 < len && pc + insn->jf + 1 < len;
                return true;
        }
}

/*
 * check_load_and_stores(): one bit per scratch cell, valid when written on every path. A jump
 * narrows its targets' sets and the fall-through after a jump starts from "all valid" (it is
 * only reached through jump targets). After a RET the set simply carries on, as in the kernel.
 */
static int check_scratch(const struct sock_filter *prog, size_t len, size_t *ret_pc)
{
        uint16_t masks[BPF_MAXINSNS];
        uint16_t valid = 0;

        for (size_t pc = 0; pc < len; pc++)
                masks[pc] = 0xffff;

        for (size_t pc = 0; pc < len; pc++) {
                const struct sock_filter *insn = &prog[pc];

                valid &= masks[pc];
                switch (insn->code) {
                case BPF_ST:
                case BPF_STX:
                        valid |= (uint16_t)(1U << insn->k);
                        break;
                case BPF_LD | BPF_MEM:
                case BPF_LDX | BPF_MEM:
                        if (!(valid & (1U << insn->k))) {
                                if (ret_pc)
                                        *ret_pc = pc;
                                return -EINVAL;
                        }
                        break;
                case BPF_JMP | BPF_JA:
                        masks[pc + 1 + insn->k] &= valid;
                        valid = 0xffff;
                        break;
                default:
                        if (is_cond_jump(insn->code)) {
                                masks[pc + 1 + insn->jt] &= valid;
                                masks[pc + 1 + insn->jf] &= valid;
                                valid = 0xffff;
                        }
                        break;
                }
        }
        return 0;
}

_public_ int scmpd_bpf_validate(const struct sock_filter *prog, size_t len, size_t *ret_pc)
{
        uint16_t last;

        if (!prog || len == 0 || len > BPF_MAXINSNS) {
                if (ret_pc)
                        *ret_pc = len;
                return -EINVAL;
        }

        for (size_t pc = 0; pc < len; pc++)
                if (!insn_ok(prog, len, pc)) {
                        if (ret_pc)
                                *ret_pc = pc;
                        return -EINVAL;
                }

        last = prog[len - 1].code;
        if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A)) {
                if (ret_pc)
                        *ret_pc = len - 1;
                return -EINVAL;
        }

        return check_scratch(prog, len, ret_pc);
}

static bool arch_big_endian(uint32_t token)
{
        const struct scmpd_arch *a = scmpd_arch_by_token(token);

        if (a)
                return a->big_endian;
        return __BYTE_ORDER == __BIG_ENDIAN;
}

/* The 32-bit word at byte offset k (aligned, < 64) of seccomp_data in the given byte order. */
static uint32_t data_word(const struct seccomp_data *d, bool big_endian, uint32_t k)
{
        uint64_t v;
        bool first_half;

        if (k == offsetof(struct seccomp_data, nr))
                return (uint32_t)d->nr;
        if (k == offsetof(struct seccomp_data, arch))
                return d->arch;

        if (k < offsetof(struct seccomp_data, args)) {
                v = d->instruction_pointer;
                first_half = k == offsetof(struct seccomp_data, instruction_pointer);
        } else {
                uint32_t rel = k - (uint32_t)offsetof(struct seccomp_data, args);
                v = d->args[rel / 8];
                first_half = rel % 8 == 0;
        }
        /* The first half in memory is the low word on little-endian arches. */
        if (first_half != big_endian)
                return (uint32_t)v;
        return (uint32_t)(v >> 32);
}

static bool jump_taken(uint16_t code, uint32_t a, uint32_t operand)
{
        switch (BPF_OP(code)) {
        case BPF_JEQ:
                return a == operand;
        case BPF_JGT:
                return a > operand;
        case BPF_JGE:
                return a >= operand;
        default: /* BPF_JSET, the only other conditional jump validation lets through */
                return (a & operand) != 0;
        }
}

static uint32_t alu(uint16_t code, uint32_t a, uint32_t operand)
{
        switch (BPF_OP(code)) {
        case BPF_ADD:
                return a + operand;
        case BPF_SUB:
                return a - operand;
        case BPF_MUL:
                return a * operand;
        case BPF_DIV:
                return a / operand; /* the caller has excluded 0 */
        case BPF_AND:
                return a & operand;
        case BPF_OR:
                return a | operand;
        case BPF_XOR:
                return a ^ operand;
        case BPF_LSH:
                return a << (operand & 31);
        case BPF_RSH:
                return a >> (operand & 31);
        default: /* BPF_NEG */
                return 0U - a;
        }
}

_public_ int scmpd_bpf_run(const struct sock_filter *prog, size_t len,
                           const struct seccomp_data *data, uint32_t *ret_action,
                           unsigned *ret_executed)
{
        uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
        unsigned executed = 0;
        bool big_endian;
        size_t pc = 0;
        int r;

        if (!data || !ret_action)
                return -EINVAL;
        r = scmpd_bpf_validate(prog, len, NULL);
        if (r < 0)
                return r;

        big_endian = arch_big_endian(data->arch);

        /* Validation guarantees forward, in-range jumps and a RET on every path, so the loop
         * ends within len steps; the bound is a second line of defence. */
        while (pc < len) {
                const struct sock_filter *insn = &prog[pc];
                uint16_t code = insn->code;

                executed++;
                pc++;
                switch (BPF_CLASS(code)) {
                case BPF_LD:
                        if (code == (BPF_LD | BPF_W | BPF_ABS))
                                a = data_word(data, big_endian, insn->k);
                        else if (code == (BPF_LD | BPF_W | BPF_LEN))
                                a = SECCOMP_DATA_SIZE;
                        else if (code == (BPF_LD | BPF_IMM))
                                a = insn->k;
                        else /* BPF_LD | BPF_MEM */
                                a = mem[insn->k];
                        break;
                case BPF_LDX:
                        if (code == (BPF_LDX | BPF_W | BPF_LEN))
                                x = SECCOMP_DATA_SIZE;
                        else if (code == (BPF_LDX | BPF_IMM))
                                x = insn->k;
                        else /* BPF_LDX | BPF_MEM */
                                x = mem[insn->k];
                        break;
                case BPF_ST:
                        mem[insn->k] = a;
                        break;
                case BPF_STX:
                        mem[insn->k] = x;
                        break;
                case BPF_ALU: {
                        uint32_t operand = BPF_SRC(code) == BPF_X ? x : insn->k;

                        if (BPF_OP(code) == BPF_DIV && operand == 0) {
                                /* The kernel's conversion of classic BPF ends the program
                                 * with 0 on a division by a zero X. */
                                *ret_action = 0;
                                if (ret_executed)
                                        *ret_executed = executed;
                                return 0;
                        }
                        a = alu(code, a, operand);
                        break;
                }
                case BPF_JMP:
                        if (BPF_OP(code) == BPF_JA)
                                pc += insn->k;
                        else if (jump_taken(code, a, BPF_SRC(code) == BPF_X ? x : insn->k))
                                pc += insn->jt;
                        else
                                pc += insn->jf;
                        break;
                case BPF_RET:
                        *ret_action = BPF_RVAL(code) == BPF_A ? a : insn->k;
                        if (ret_executed)
                                *ret_executed = executed;
                        return 0;
                default: /* BPF_MISC */
                        if (BPF_MISCOP(code) == BPF_TAX)
                                x = a;
                        else
                                a = x;
                        break;
                }
        }
        return -EINVAL; /* unreachable for a validated program */
}

_public_ int scmpd_bpf_cacheable(const struct sock_filter *prog, size_t len, uint32_t arch, int nr)
{
        uint32_t reg = 0;
        int r;

        r = scmpd_bpf_validate(prog, len, NULL);
        if (r < 0)
                return r;
        /* The kernel looks a number up in a bitmap sized by the arch's syscall table; no table
         * reaches bit 30, so negative numbers and x32 calls are never cached. */
        if (nr < 0 || nr >= SCMPD_X32_SYSCALL_BIT)
                return 0;

        for (size_t pc = 0; pc < len; pc++) {
                const struct sock_filter *insn = &prog[pc];

                switch (insn->code) {
                case BPF_LD | BPF_W | BPF_ABS:
                        if (insn->k == offsetof(struct seccomp_data, nr))
                                reg = (uint32_t)nr;
                        else if (insn->k == offsetof(struct seccomp_data, arch))
                                reg = arch;
                        else
                                return 0; /* depends on the arguments or the IP */
                        break;
                case BPF_RET | BPF_K:
                        return insn->k == SECCOMP_RET_ALLOW;
                case BPF_JMP | BPF_JA:
                        pc += insn->k;
                        break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                case BPF_JMP | BPF_JGE | BPF_K:
                case BPF_JMP | BPF_JGT | BPF_K:
                case BPF_JMP | BPF_JSET | BPF_K:
                        pc += jump_taken(insn->code, reg, insn->k) ? insn->jt : insn->jf;
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        reg &= insn->k;
                        break;
                default:
                        return 0; /* the kernel gives up on any other instruction */
                }
        }
        return 0; /* ran off the end: impossible once validated */
}

_public_ uint32_t scmpd_bpf_data_arch(uint32_t arch)
{
        const struct scmpd_arch *x32 = scmpd_arch_by_name("x32");

        if (x32 && arch == x32->token)
                return AUDIT_ARCH_X86_64;
        return arch;
}
