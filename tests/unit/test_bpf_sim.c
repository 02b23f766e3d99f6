/*
 * The simulator against hand-written programs: every opcode seccomp accepts, every ALU op with K
 * and X, every class of program the kernel refuses, instruction counts, the byte order of the
 * argument words per arch, the action cache emulation, the listing and action names.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/audit.h>

#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "util.h"

#define LD_ABS(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET_K(k) BPF_STMT(BPF_RET | BPF_K, (k))
#define RET_A BPF_STMT(BPF_RET | BPF_A, 0)
#define OFF_NR offsetof(struct seccomp_data, nr)
#define OFF_ARCH offsetof(struct seccomp_data, arch)
#define OFF_IP offsetof(struct seccomp_data, instruction_pointer)
#define OFF_ARG(i) (offsetof(struct seccomp_data, args) + 8 * (i))

static struct seccomp_data data_for(uint32_t arch, int nr)
{
        return (struct seccomp_data){ .nr = nr, .arch = arch };
}

/* Run and return the action; the program must be valid. */
static uint32_t run_n(const struct sock_filter *prog, size_t len, const struct seccomp_data *d,
                      unsigned *ret_executed)
{
        uint32_t action = 0xdeadbeef;
        unsigned executed = 0;

        assert_int_equal(scmpd_bpf_validate(prog, len, NULL), 0);
        assert_int_equal(scmpd_bpf_run(prog, len, d, &action, &executed), 0);
        assert_true(executed >= 1 && executed <= len);
        if (ret_executed)
                *ret_executed = executed;
        return action;
}

#define RUN(prog, d) run_n((prog), ELEMENTSOF(prog), (d), NULL)

static void assert_invalid_at(const struct sock_filter *prog, size_t len, size_t pc)
{
        size_t bad = 12345;
        uint32_t action = 7;
        unsigned executed = 9;
        struct seccomp_data d = data_for(AUDIT_ARCH_X86_64, 0);

        assert_int_equal(scmpd_bpf_validate(prog, len, &bad), -EINVAL);
        assert_int_equal(bad, pc);
        assert_int_equal(scmpd_bpf_run(prog, len, &d, &action, &executed), -EINVAL);
        /* Outputs are untouched on failure. */
        assert_int_equal(action, 7);
        assert_int_equal(executed, 9);
        assert_int_equal(scmpd_bpf_cacheable(prog, len, AUDIT_ARCH_X86_64, 0), -EINVAL);
}

#define ASSERT_INVALID_AT(prog, pc) assert_invalid_at((prog), ELEMENTSOF(prog), (pc))

/* ------------------------------------------------------------------ loads */

static void test_load_fields_little_endian(void **state)
{
        struct seccomp_data d = {
                .nr = 59,
                .arch = AUDIT_ARCH_X86_64,
                .instruction_pointer = 0x1122334455667788ULL,
                .args = { 0xa0a0a0a0b0b0b0b0ULL, 1, 2, 3, 4, 0xfffffffe00000005ULL },
        };
        struct {
                uint32_t off, want;
        } cases[] = {
                { OFF_NR, 59 },
                { OFF_ARCH, AUDIT_ARCH_X86_64 },
                { OFF_IP, 0x55667788 },
                { OFF_IP + 4, 0x11223344 },
                { OFF_ARG(0), 0xb0b0b0b0 },
                { OFF_ARG(0) + 4, 0xa0a0a0a0 },
                { OFF_ARG(1), 1 },
                { OFF_ARG(4), 4 },
                { OFF_ARG(5), 5 },
                { OFF_ARG(5) + 4, 0xfffffffe },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct sock_filter prog[] = { LD_ABS(cases[i].off), RET_A };
                assert_int_equal(RUN(prog, &d), cases[i].want);
        }
}

static void test_load_fields_big_endian(void **state)
{
        /* s390x and ppc64 are 64-bit big-endian; ppc and mips are 32-bit big-endian. */
        const uint32_t arches[] = { AUDIT_ARCH_S390X, AUDIT_ARCH_PPC64, AUDIT_ARCH_PPC,
                                    AUDIT_ARCH_MIPS };

        for (size_t a = 0; a < ELEMENTSOF(arches); a++) {
                struct seccomp_data d = {
                        .nr = 7,
                        .arch = arches[a],
                        .instruction_pointer = 0x1122334455667788ULL,
                        .args = { 0xa0a0a0a0b0b0b0b0ULL, 0, 0, 0, 0, 0x100000002ULL },
                };
                struct sock_filter lo[] = { LD_ABS(OFF_ARG(0) + 4), RET_A };
                struct sock_filter hi[] = { LD_ABS(OFF_ARG(0)), RET_A };
                struct sock_filter lo5[] = { LD_ABS(OFF_ARG(5) + 4), RET_A };
                struct sock_filter hi5[] = { LD_ABS(OFF_ARG(5)), RET_A };
                struct sock_filter iplo[] = { LD_ABS(OFF_IP + 4), RET_A };
                struct sock_filter nr[] = { LD_ABS(OFF_NR), RET_A };
                struct sock_filter arch[] = { LD_ABS(OFF_ARCH), RET_A };

                assert_int_equal(RUN(lo, &d), 0xb0b0b0b0);
                assert_int_equal(RUN(hi, &d), 0xa0a0a0a0);
                assert_int_equal(RUN(lo5, &d), 2);
                assert_int_equal(RUN(hi5, &d), 1);
                assert_int_equal(RUN(iplo, &d), 0x55667788);
                /* 32-bit fields read the same whatever the byte order. */
                assert_int_equal(RUN(nr, &d), 7);
                assert_int_equal(RUN(arch, &d), arches[a]);
        }
}

static void test_load_len_imm_and_misc(void **state)
{
        struct seccomp_data d = data_for(AUDIT_ARCH_X86_64, 1);
        struct sock_filter ld_len[] = { BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), RET_A };
        struct sock_filter ldx_len[] = { BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
                                         BPF_STMT(BPF_MISC | BPF_TXA, 0), RET_A };
        struct sock_filter ld_imm[] = { BPF_STMT(BPF_LD | BPF_IMM, 0x12345678), RET_A };
        struct sock_filter ldx_imm_txa[] = { BPF_STMT(BPF_LDX | BPF_IMM, 0x7fff0000),
                                             BPF_STMT(BPF_MISC | BPF_TXA, 0), RET_A };
        struct sock_filter tax[] = { BPF_STMT(BPF_LD | BPF_IMM, 42),
                                     BPF_STMT(BPF_MISC | BPF_TAX, 0), BPF_STMT(BPF_LD | BPF_IMM, 0),
                                     BPF_STMT(BPF_MISC | BPF_TXA, 0), RET_A };
        /* A and X start at zero. */
        struct sock_filter zero_a[] = { RET_A };
        struct sock_filter zero_x[] = { BPF_STMT(BPF_MISC | BPF_TXA, 0), RET_A };

        assert_int_equal(RUN(ld_len, &d), sizeof(struct seccomp_data));
        assert_int_equal(RUN(ldx_len, &d), 64);
        assert_int_equal(RUN(ld_imm, &d), 0x12345678);
        assert_int_equal(RUN(ldx_imm_txa, &d), 0x7fff0000);
        assert_int_equal(RUN(tax, &d), 42);
        assert_int_equal(RUN(zero_a, &d), 0);
        assert_int_equal(RUN(zero_x, &d), 0);
}

static void test_scratch_memory(void **state)
{
        struct seccomp_data d = data_for(AUDIT_ARCH_X86_64, 3);
        struct sock_filter prog[] = {
                BPF_STMT(BPF_LD | BPF_IMM, 11),         BPF_STMT(BPF_ST, 0),
                BPF_STMT(BPF_LDX | BPF_IMM, 22),        BPF_STMT(BPF_STX, 15),
                BPF_STMT(BPF_LD | BPF_IMM, 0),          BPF_STMT(BPF_LDX | BPF_MEM, 0), /* X = 11 */
                BPF_STMT(BPF_LD | BPF_MEM, 15),                                         /* A = 22 */
                BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0), RET_A,
        };
        unsigned executed;

        assert_int_equal(run_n(prog, ELEMENTSOF(prog), &d, &executed), 33);
        assert_int_equal(executed, ELEMENTSOF(prog));
}

/* ------------------------------------------------------------------ ALU */

static void test_alu_every_op(void **state)
{
        struct {
                uint16_t op;
                uint32_t a, operand, want;
        } cases[] = {
                { BPF_ADD, 5, 7, 12 },
                { BPF_ADD, 0xffffffff, 2, 1 }, /* wraps at 32 bits */
                { BPF_SUB, 5, 7, 0xfffffffe },
                { BPF_SUB, 100, 1, 99 },
                { BPF_MUL, 0x10000, 0x10000, 0 },
                { BPF_MUL, 6, 7, 42 },
                { BPF_DIV, 100, 7, 14 },
                { BPF_DIV, 0xffffffff, 2, 0x7fffffff }, /* unsigned */
                { BPF_AND, 0xf0f0, 0xff00, 0xf000 },
                { BPF_OR, 0xf0f0, 0x0f00, 0xfff0 },
                { BPF_XOR, 0xff, 0x0f, 0xf0 },
                { BPF_LSH, 1, 31, 0x80000000 },
                { BPF_LSH, 3, 4, 48 },
                { BPF_RSH, 0x80000000, 31, 1 },
                { BPF_RSH, 0xf0, 4, 0xf },
        };
        struct seccomp_data d = data_for(AUDIT_ARCH_X86_64, 0);

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct sock_filter with_k[] = {
                        BPF_STMT(BPF_LD | BPF_IMM, cases[i].a),
                        BPF_STMT(BPF_ALU | cases[i].op | BPF_K, cases[i].operand),
                        RET_A,
                };
                struct sock_filter with_x[] = {
                        BPF_STMT(BPF_LDX | BPF_IMM, cases[i].operand),
                        BPF_STMT(BPF_LD | BPF_IMM, cases[i].a),
                        BPF_STMT(BPF_ALU | cases[i].op | BPF_X, 0),
                        RET_A,
                };
                assert_int_equal(RUN(with_k, &d), cases[i].want);
                assert_int_equal(RUN(with_x, &d), cases[i].want);
        }
}

static void test_alu_neg_and_shift_by_x(void **state)
{
        struct seccomp_data d = data_for(AUDIT_ARCH_X86_64, 0);
        struct sock_filter neg[] = { BPF_STMT(BPF_LD | BPF_IMM, 1), BPF_STMT(BPF_ALU | BPF_NEG, 0),
                                     RET_A };
        struct sock_filter neg0[] = { BPF_STMT(BPF_ALU | BPF_NEG, 0), RET_A };
        /* The kernel's interpreter shifts by X & 31. */
        struct sock_filter lsh33[] = { BPF_STMT(BPF_LDX | BPF_IMM, 33),
                                       BPF_STMT(BPF_LD | BPF_IMM, 1),
                                       BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0), RET_A };
        struct sock_filter rsh32[] = { BPF_STMT(BPF_LDX | BPF_IMM, 32),
                                       BPF_STMT(BPF_LD | BPF_IMM, 0x80),
                                       BPF_STMT(BPF_ALU | BPF_RSH | BPF_X, 0), RET_A };

        assert_int_equal(RUN(neg, &d), 0xffffffff);
        assert_int_equal(RUN(neg0, &d), 0);
        assert_int_equal(RUN(lsh33, &d), 2);
        assert_int_equal(RUN(rsh32, &d), 0x80);
}

static void test_div_by_zero_x_returns_zero(void **state)
{
        struct seccomp_data d = data_for(AUDIT_ARCH_X86_64, 0);
        struct sock_filter prog[] = {
                BPF_STMT(BPF_LD | BPF_IMM, 10),
                BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), /* X is 0 */
                RET_K(SECCOMP_RET_ALLOW),
        };
        unsigned executed;

        assert_int_equal(run_n(prog, ELEMENTSOF(prog), &d, &executed), SECCOMP_RET_KILL_THREAD);
        assert_int_equal(executed, 2);
}

/* ------------------------------------------------------------------ jumps */

static void test_jumps_k_and_x(void **state)
{
        struct {
                uint16_t op;
                uint32_t a, operand;
                bool taken;
        } cases[] = {
                { BPF_JEQ, 5, 5, true },          { BPF_JEQ, 5, 6, false },
                { BPF_JGT, 6, 5, true },          { BPF_JGT, 5, 5, false },
                { BPF_JGT, 0x80000000, 1, true }, /* unsigned */
                { BPF_JGE, 5, 5, true },          { BPF_JGE, 4, 5, false },
                { BPF_JSET, 0x10, 0x30, true },   { BPF_JSET, 0x10, 0x20, false },
                { BPF_JSET, 0, 0, false },
        };
        struct seccomp_data d = data_for(AUDIT_ARCH_X86_64, 0);

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint32_t want = cases[i].taken ? 1 : 2;
                struct sock_filter with_k[] = {
                        BPF_STMT(BPF_LD | BPF_IMM, cases[i].a),
                        BPF_JUMP(BPF_JMP | cases[i].op | BPF_K, cases[i].operand, 1, 0),
                        RET_K(2),
                        RET_K(1),
                };
                struct sock_filter with_x[] = {
                        BPF_STMT(BPF_LDX | BPF_IMM, cases[i].operand),
                        BPF_STMT(BPF_LD | BPF_IMM, cases[i].a),
                        BPF_JUMP(BPF_JMP | cases[i].op | BPF_X, 0, 0, 1),
                        RET_K(1),
                        RET_K(2),
                };
                assert_int_equal(RUN(with_k, &d), want);
                assert_int_equal(RUN(with_x, &d), want);
        }
}

static void test_ja_and_executed_counts(void **state)
{
        struct sock_filter prog[] = {
                /* 0 */ LD_ABS(OFF_NR),
                /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2),
                /* 2 */ BPF_STMT(BPF_JMP | BPF_JA, 4),
                /* 3 */ RET_K(SECCOMP_RET_KILL_PROCESS),
                /* 4 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 10, 1, 0),
                /* 5 */ RET_K(SECCOMP_RET_ERRNO | 1),
                /* 6 */ RET_K(SECCOMP_RET_TRAP),
                /* 7 */ RET_K(SECCOMP_RET_LOG),
        };
        struct seccomp_data d1 = data_for(AUDIT_ARCH_X86_64, 1);
        struct seccomp_data d5 = data_for(AUDIT_ARCH_X86_64, 5);
        struct seccomp_data d10 = data_for(AUDIT_ARCH_X86_64, 10);
        unsigned executed;

        assert_int_equal(run_n(prog, ELEMENTSOF(prog), &d1, &executed), SECCOMP_RET_LOG);
        assert_int_equal(executed, 4);
        assert_int_equal(run_n(prog, ELEMENTSOF(prog), &d5, &executed), SECCOMP_RET_ERRNO | 1);
        assert_int_equal(executed, 4);
        assert_int_equal(run_n(prog, ELEMENTSOF(prog), &d10, &executed), SECCOMP_RET_TRAP);
        assert_int_equal(executed, 4);
}

static void test_run_rejects_null(void **state)
{
        struct sock_filter prog[] = { RET_K(SECCOMP_RET_ALLOW) };
        struct seccomp_data d = data_for(AUDIT_ARCH_X86_64, 0);
        uint32_t action;

        assert_int_equal(scmpd_bpf_run(prog, 1, NULL, &action, NULL), -EINVAL);
        assert_int_equal(scmpd_bpf_run(NULL, 1, &d, &action, NULL), -EINVAL);
        assert_int_equal(scmpd_bpf_run(prog, 1, &d, &action, NULL), 0);
        assert_int_equal(action, SECCOMP_RET_ALLOW);
}

/* ------------------------------------------------------------------ validation */

static void test_validate_length(void **state)
{
        _cleanup_free_ struct sock_filter *big = NULL;
        size_t bad;

        assert_int_equal(scmpd_bpf_validate(NULL, 1, &bad), -EINVAL);
        big = calloc(BPF_MAXINSNS + 1, sizeof(*big));
        assert_non_null(big);
        for (size_t i = 0; i <= BPF_MAXINSNS; i++)
                big[i] = (struct sock_filter)RET_K(SECCOMP_RET_ALLOW);
        assert_int_equal(scmpd_bpf_validate(big, 0, &bad), -EINVAL);
        assert_int_equal(bad, 0);
        assert_int_equal(scmpd_bpf_validate(big, BPF_MAXINSNS + 1, &bad), -EINVAL);
        assert_int_equal(bad, BPF_MAXINSNS + 1);
        assert_int_equal(scmpd_bpf_validate(big, BPF_MAXINSNS, NULL), 0);
        /* The longest JA in a 4096-long program. */
        big[0] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, BPF_MAXINSNS - 2);
        assert_int_equal(scmpd_bpf_validate(big, BPF_MAXINSNS, NULL), 0);
}

static void test_validate_opcodes(void **state)
{
        /* Classic opcodes seccomp refuses, and codes nobody knows. */
        const uint16_t refused[] = {
                BPF_ALU | BPF_MOD | BPF_K,
                BPF_ALU | BPF_MOD | BPF_X,
                BPF_LD | BPF_H | BPF_ABS,
                BPF_LD | BPF_B | BPF_ABS,
                BPF_LD | BPF_W | BPF_IND,
                BPF_LD | BPF_H | BPF_IND,
                BPF_LD | BPF_B | BPF_IND,
                BPF_LDX | BPF_B | BPF_MSH,
                BPF_ALU | BPF_NEG | BPF_X,
                BPF_JMP | BPF_JA | BPF_X,
                BPF_RET | BPF_X,
                BPF_LDX | BPF_W | BPF_ABS,
                0xffff,
                0x0007 | 0x0100,
                BPF_ALU | 0xb0,
        };

        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                struct sock_filter prog[] = {
                        BPF_STMT(BPF_LD | BPF_IMM, 1),
                        BPF_STMT(refused[i], 4),
                        RET_K(SECCOMP_RET_ALLOW),
                };
                ASSERT_INVALID_AT(prog, 1);
        }
}

static void test_validate_operands(void **state)
{
        struct sock_filter div0[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), RET_A };
        struct sock_filter lsh32[] = { BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), RET_A };
        struct sock_filter rsh32[] = { BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 32), RET_A };
        struct sock_filter rsh31[] = { BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 31), RET_A };
        struct sock_filter ld_unaligned[] = { LD_ABS(2), RET_A };
        struct sock_filter ld_oob[] = { LD_ABS(64), RET_A };
        struct sock_filter ld_huge[] = { LD_ABS(0xfffff000), RET_A };
        struct sock_filter ld_last[] = { LD_ABS(60), RET_A };
        struct sock_filter st16[] = { BPF_STMT(BPF_ST, 16), RET_A };
        struct sock_filter stx16[] = { BPF_STMT(BPF_STX, 16), RET_A };
        struct sock_filter ldmem16[] = { BPF_STMT(BPF_LD | BPF_MEM, 16), RET_A };
        struct sock_filter ldxmem16[] = { BPF_STMT(BPF_LDX | BPF_MEM, 16), RET_A };

        ASSERT_INVALID_AT(div0, 0);
        ASSERT_INVALID_AT(lsh32, 0);
        ASSERT_INVALID_AT(rsh32, 0);
        assert_int_equal(scmpd_bpf_validate(rsh31, ELEMENTSOF(rsh31), NULL), 0);
        ASSERT_INVALID_AT(ld_unaligned, 0);
        ASSERT_INVALID_AT(ld_oob, 0);
        ASSERT_INVALID_AT(ld_huge, 0);
        assert_int_equal(scmpd_bpf_validate(ld_last, ELEMENTSOF(ld_last), NULL), 0);
        ASSERT_INVALID_AT(st16, 0);
        ASSERT_INVALID_AT(stx16, 0);
        ASSERT_INVALID_AT(ldmem16, 0);
        ASSERT_INVALID_AT(ldxmem16, 0);
}

static void test_validate_jumps_and_return(void **state)
{
        struct sock_filter ja_out[] = { BPF_STMT(BPF_JMP | BPF_JA, 1), RET_A };
        struct sock_filter ja_huge[] = { BPF_STMT(BPF_JMP | BPF_JA, 0xffffffff), RET_A };
        struct sock_filter jt_out[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), RET_A };
        struct sock_filter jf_out[] = { BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1), RET_A };
        struct sock_filter jset_ok[] = { BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 0), RET_A };
        struct sock_filter no_ret[] = { RET_A, BPF_STMT(BPF_LD | BPF_IMM, 0) };
        struct sock_filter jump_last[] = { RET_A, BPF_STMT(BPF_JMP | BPF_JA, 0) };

        ASSERT_INVALID_AT(ja_out, 0);
        ASSERT_INVALID_AT(ja_huge, 0);
        ASSERT_INVALID_AT(jt_out, 0);
        ASSERT_INVALID_AT(jf_out, 0);
        assert_int_equal(scmpd_bpf_validate(jset_ok, ELEMENTSOF(jset_ok), NULL), 0);
        ASSERT_INVALID_AT(no_ret, 1);
        /* A JA at the end jumps out of range before the missing RET is noticed. */
        ASSERT_INVALID_AT(jump_last, 1);
}

static void test_validate_scratch_reads(void **state)
{
        struct sock_filter never_written[] = { BPF_STMT(BPF_LD | BPF_MEM, 3), RET_A };
        struct sock_filter other_cell[] = { BPF_STMT(BPF_ST, 2), BPF_STMT(BPF_LDX | BPF_MEM, 3),
                                            RET_A };
        /* Written on the fall-through path only. */
        struct sock_filter one_path[] = {
                LD_ABS(OFF_NR),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0),
                BPF_STMT(BPF_ST, 0),
                BPF_STMT(BPF_LD | BPF_MEM, 0),
                RET_A,
        };
        /* Written on both paths. */
        struct sock_filter both_paths[] = {
                LD_ABS(OFF_NR),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 2, 0),
                BPF_STMT(BPF_ST, 0),
                BPF_STMT(BPF_JMP | BPF_JA, 1),
                BPF_STMT(BPF_STX, 0),
                BPF_STMT(BPF_LD | BPF_MEM, 0),
                RET_A,
        };
        /* The kernel's check runs linearly and knows nothing of reachability: after a RET the
         * written set carries on, so unreachable code is judged by what came before it. */
        struct sock_filter dead_unwritten[] = { BPF_STMT(BPF_LD | BPF_IMM, 0), RET_A,
                                                BPF_STMT(BPF_LD | BPF_MEM, 0), RET_A };
        struct sock_filter dead_written[] = { BPF_STMT(BPF_ST, 0), RET_A,
                                              BPF_STMT(BPF_LD | BPF_MEM, 0), RET_A };
        /* Written before a RET, read after it by a path that skipped the write. */
        struct sock_filter skipped[] = {
                LD_ABS(OFF_NR),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 2, 0),
                BPF_STMT(BPF_ST, 0),
                RET_A,
                BPF_STMT(BPF_LD | BPF_MEM, 0),
                RET_A,
        };
        struct seccomp_data d1 = data_for(AUDIT_ARCH_X86_64, 1);
        struct seccomp_data d2 = data_for(AUDIT_ARCH_X86_64, 2);

        ASSERT_INVALID_AT(never_written, 0);
        ASSERT_INVALID_AT(other_cell, 1);
        ASSERT_INVALID_AT(one_path, 3);
        assert_int_equal(scmpd_bpf_validate(both_paths, ELEMENTSOF(both_paths), NULL), 0);
        assert_int_equal(RUN(both_paths, &d1), 0); /* M[0] = X = 0 */
        assert_int_equal(RUN(both_paths, &d2), 2); /* M[0] = A = nr */
        ASSERT_INVALID_AT(dead_unwritten, 2);
        assert_int_equal(scmpd_bpf_validate(dead_written, ELEMENTSOF(dead_written), NULL), 0);
        ASSERT_INVALID_AT(skipped, 4);
}

/* ------------------------------------------------------------------ action cache */

static void test_cacheable(void **state)
{
        struct sock_filter prog[] = {
                /* 0 */ LD_ABS(OFF_ARCH),
                /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
                /* 2 */ RET_K(SECCOMP_RET_KILL_PROCESS),
                /* 3 */ LD_ABS(OFF_NR),
                /* 4 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 100, 6, 0),
                /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 8, 0),
                /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2),
                /* 7 */ LD_ABS(OFF_ARG(0)),
                /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 5, 6),
                /* 9 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x2, 3, 0),
                /* 10 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x4),
                /* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 4, 2, 3),
                /* 12 */ BPF_STMT(BPF_JMP | BPF_JA, 1),
                /* 13 */ RET_K(SECCOMP_RET_ERRNO | 1),
                /* 14 */ RET_K(SECCOMP_RET_ALLOW),
                /* 15 */ RET_K(SECCOMP_RET_ERRNO | 2),
        };

        /* nr 0: JEQ 0 -> 14: ALLOW, only constant instructions. */
        assert_int_equal(scmpd_bpf_cacheable(prog, ELEMENTSOF(prog), AUDIT_ARCH_X86_64, 0), 1);
        /* nr 1: reads args[0]. */
        assert_int_equal(scmpd_bpf_cacheable(prog, ELEMENTSOF(prog), AUDIT_ARCH_X86_64, 1), 0);
        /* nr 2 (bit 1 set): JSET -> 13: ERRNO, not ALLOW. */
        assert_int_equal(scmpd_bpf_cacheable(prog, ELEMENTSOF(prog), AUDIT_ARCH_X86_64, 2), 0);
        /* nr 4: AND 4 == 4 -> 14 ALLOW. */
        assert_int_equal(scmpd_bpf_cacheable(prog, ELEMENTSOF(prog), AUDIT_ARCH_X86_64, 4), 1);
        /* nr 8: AND 4 != 4 -> 15 ERRNO. */
        assert_int_equal(scmpd_bpf_cacheable(prog, ELEMENTSOF(prog), AUDIT_ARCH_X86_64, 8), 0);
        /* nr 101: JGT -> 11 with A = 101, 101 != 4 -> 15. */
        assert_int_equal(scmpd_bpf_cacheable(prog, ELEMENTSOF(prog), AUDIT_ARCH_X86_64, 101), 0);
        /* Other arch: KILL. */
        assert_int_equal(scmpd_bpf_cacheable(prog, ELEMENTSOF(prog), AUDIT_ARCH_I386, 0), 0);

        /* The emulation agrees with the simulator wherever it answers yes. */
        for (int nr = 0; nr < 200; nr++) {
                struct seccomp_data d = data_for(AUDIT_ARCH_X86_64, nr);
                if (scmpd_bpf_cacheable(prog, ELEMENTSOF(prog), AUDIT_ARCH_X86_64, nr) == 1)
                        assert_int_equal(RUN(prog, &d), SECCOMP_RET_ALLOW);
        }
}

static void test_cacheable_gives_up(void **state)
{
        struct sock_filter allow_data[] = { RET_K(SECCOMP_RET_ALLOW | 1) };
        struct sock_filter ret_a[] = { BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_ALLOW), RET_A };
        struct sock_filter jeq_x[] = { LD_ABS(OFF_NR), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 0),
                                       RET_K(SECCOMP_RET_ALLOW) };
        struct sock_filter ld_len[] = { BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
                                        RET_K(SECCOMP_RET_ALLOW) };
        struct sock_filter ld_ip[] = { LD_ABS(OFF_IP), RET_K(SECCOMP_RET_ALLOW) };
        struct sock_filter alu_or[] = { LD_ABS(OFF_NR), BPF_STMT(BPF_ALU | BPF_OR | BPF_K, 1),
                                        RET_K(SECCOMP_RET_ALLOW) };
        struct sock_filter tax[] = { BPF_STMT(BPF_MISC | BPF_TAX, 0), RET_K(SECCOMP_RET_ALLOW) };
        struct sock_filter allow[] = { RET_K(SECCOMP_RET_ALLOW) };
        /* Giving up happens only on the path taken: the unreached load does not matter. */
        struct sock_filter skip[] = { BPF_STMT(BPF_JMP | BPF_JA, 1), LD_ABS(OFF_ARG(0)),
                                      RET_K(SECCOMP_RET_ALLOW) };

#define CACHEABLE(p) scmpd_bpf_cacheable((p), ELEMENTSOF(p), AUDIT_ARCH_X86_64, 1)
        assert_int_equal(CACHEABLE(allow_data), 0);
        assert_int_equal(CACHEABLE(ret_a), 0);
        assert_int_equal(CACHEABLE(jeq_x), 0);
        assert_int_equal(CACHEABLE(ld_len), 0);
        assert_int_equal(CACHEABLE(ld_ip), 0);
        assert_int_equal(CACHEABLE(alu_or), 0);
        assert_int_equal(CACHEABLE(tax), 0);
        assert_int_equal(CACHEABLE(allow), 1);
        assert_int_equal(CACHEABLE(skip), 1);
#undef CACHEABLE
        /* Out of every bitmap: negative numbers and x32 calls. */
        assert_int_equal(scmpd_bpf_cacheable(allow, 1, AUDIT_ARCH_X86_64, -1), 0);
        assert_int_equal(scmpd_bpf_cacheable(allow, 1, AUDIT_ARCH_X86_64, 0x40000000), 0);
        /* The kernel reports x32 calls with x86_64's token. */
        assert_int_equal(scmpd_bpf_data_arch(scmpd_arch_by_name("x32")->token), AUDIT_ARCH_X86_64);
        assert_int_equal(scmpd_bpf_data_arch(AUDIT_ARCH_I386), AUDIT_ARCH_I386);
}

/* ------------------------------------------------------------------ listing and names */

static char *listing(const struct sock_filter *prog, size_t len, uint32_t arch, int *ret)
{
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        assert_non_null(f);
        *ret = arch ? scmpd_bpf_disasm_arch(prog, len, arch, f) : scmpd_bpf_disasm(prog, len, f);
        assert_int_equal(fclose(f), 0);
        return buf;
}

static void test_disasm(void **state)
{
        struct sock_filter prog[] = {
                /* 0 */ LD_ABS(OFF_ARCH),
                /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_S390X, 0, 3),
                /* 2 */ LD_ABS(OFF_ARG(1)),
                /* 3 */ LD_ABS(OFF_ARG(1) + 4),
                /* 4 */ RET_K(SECCOMP_RET_ERRNO | 13),
                /* 5 */ LD_ABS(OFF_ARG(2)),
                /* 6 */ BPF_STMT(BPF_ST, 4),
                /* 7 */ RET_K(SECCOMP_RET_KILL_PROCESS),
        };
        _cleanup_free_ char *text = NULL, *hinted = NULL;
        int r;

        text = listing(prog, ELEMENTSOF(prog), 0, &r);
        assert_int_equal(r, 0);
        assert_non_null(strstr(text, "   0: 0020   0   0 00000004  A = arch\n"));
        assert_non_null(strstr(text, "goto 2 else goto 5"));
        /* s390x is big-endian: the first word of args[1] is its high half. */
        assert_non_null(strstr(text, "A = args[1].hi\n"));
        assert_non_null(strstr(text, "A = args[1].lo\n"));
        assert_non_null(strstr(text, "return ERRNO(13)"));
        /* Not past the arch check: named by offset. */
        assert_non_null(strstr(text, "A = args[2]@0\n"));
        assert_non_null(strstr(text, "M[4] = A"));
        assert_non_null(strstr(text, "return KILL_PROCESS"));

        hinted = listing(prog, ELEMENTSOF(prog), AUDIT_ARCH_X86_64, &r);
        assert_int_equal(r, 0);
        assert_non_null(strstr(hinted, "A = args[2].lo\n"));
}

static void test_disasm_syscall_names(void **state)
{
        struct sock_filter prog[] = {
                LD_ABS(OFF_ARCH),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 4),
                LD_ABS(OFF_NR),
                BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x40000000, 0, 1),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x40000000, 0, 1),
                BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 59, 0, 0),
                RET_K(SECCOMP_RET_ALLOW),
        };
        _cleanup_free_ char *text = NULL;
        int r;

        text = listing(prog, ELEMENTSOF(prog), 0, &r);
        assert_int_equal(r, 0);
        assert_non_null(strstr(text, "if (A == 0xc000003e (x86_64)) goto 2 else goto 6"));
        /* A mask is not a syscall; an x32 number is named from x32's table. */
        assert_non_null(strstr(text, "if (A & 0x40000000) goto 4 else goto 5"));
        assert_non_null(strstr(text, "if (A == 0x40000000 (read)) goto 5 else goto 6"));
        assert_non_null(strstr(text, "if (A >= 59 (execve)) goto 6 else goto 6"));
}

static void test_disasm_invalid_still_lists(void **state)
{
        struct sock_filter prog[] = { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
                                      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 9, 0), RET_A };
        _cleanup_free_ char *text = NULL;
        int r;

        text = listing(prog, ELEMENTSOF(prog), 0, &r);
        assert_int_equal(r, -EINVAL);
        assert_non_null(strstr(text, "(not allowed in seccomp)  ; <- rejected by the kernel"));
        assert_non_null(strstr(text, "goto 11 (out of range)"));
}

static void test_action_names(void **state)
{
        struct {
                uint32_t action;
                const char *name;
        } cases[] = {
                { SECCOMP_RET_KILL_PROCESS, "KILL_PROCESS" },
                { SECCOMP_RET_KILL_THREAD, "KILL_THREAD" },
                { SECCOMP_RET_TRAP, "TRAP" },
                { SECCOMP_RET_TRAP | 3, "TRAP(3)" },
                { SECCOMP_RET_ERRNO | 0, "ERRNO(0)" },
                { SECCOMP_RET_ERRNO | 65535, "ERRNO(65535)" },
                { SECCOMP_RET_TRACE | 7, "TRACE(7)" },
                { SECCOMP_RET_USER_NOTIF, "NOTIFY" },
                { SECCOMP_RET_LOG, "LOG" },
                { SECCOMP_RET_ALLOW, "ALLOW" },
                { 0x12340000, "0x12340000" },
        };
        const char *bad[] = { "",          "ALLOWED",      "ERRNO(",
                              "ERRNO()",   "ERRNO(65536)", "ERRNO(1",
                              "ERRNO(-1)", "ERRNO(1)x",    "ERRNO(0x)",
                              "0x",        "0x100000000",  "allow" };
        char buf[32];
        uint32_t a;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                assert_int_equal(scmpd_bpf_action_format(cases[i].action, buf, sizeof(buf)),
                                 strlen(cases[i].name));
                assert_string_equal(buf, cases[i].name);
                assert_int_equal(scmpd_bpf_action_parse(cases[i].name, &a), 0);
                assert_int_equal(a, cases[i].action);
        }
        assert_int_equal(scmpd_bpf_action_parse("ERRNO(0x10)", &a), 0);
        assert_int_equal(a, SECCOMP_RET_ERRNO | 16);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(scmpd_bpf_action_parse(bad[i], &a), -EINVAL);
        /* Truncation is reported like snprintf(). */
        assert_int_equal(scmpd_bpf_action_format(SECCOMP_RET_KILL_PROCESS, buf, 4), 12);
        assert_string_equal(buf, "KIL");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_load_fields_little_endian),
                cmocka_unit_test(test_load_fields_big_endian),
                cmocka_unit_test(test_load_len_imm_and_misc),
                cmocka_unit_test(test_scratch_memory),
                cmocka_unit_test(test_alu_every_op),
                cmocka_unit_test(test_alu_neg_and_shift_by_x),
                cmocka_unit_test(test_div_by_zero_x_returns_zero),
                cmocka_unit_test(test_jumps_k_and_x),
                cmocka_unit_test(test_ja_and_executed_counts),
                cmocka_unit_test(test_run_rejects_null),
                cmocka_unit_test(test_validate_length),
                cmocka_unit_test(test_validate_opcodes),
                cmocka_unit_test(test_validate_operands),
                cmocka_unit_test(test_validate_jumps_and_return),
                cmocka_unit_test(test_validate_scratch_reads),
                cmocka_unit_test(test_cacheable),
                cmocka_unit_test(test_cacheable_gives_up),
                cmocka_unit_test(test_disasm),
                cmocka_unit_test(test_disasm_syscall_names),
                cmocka_unit_test(test_disasm_invalid_still_lists),
                cmocka_unit_test(test_action_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
