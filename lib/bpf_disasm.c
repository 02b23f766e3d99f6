/*
 * Readable listings of seccomp BPF programs, and the names of seccomp actions.
 *
 * Model: one line per instruction, "  pc: code jt jf k    statement", where the statement is
 * pseudo-C with absolute jump targets. To name what a load reads and what a comparison means,
 * a forward data-flow pass (jumps only go forward, so one pass in program order suffices) tracks
 * per instruction what A holds (a seccomp_data word, or unknown) and which arch the paths that
 * reach it have established (by comparing arch with a constant), merging disagreeing paths to
 * "unknown". With a known arch, argument words are named .lo/.hi by its byte order and syscall
 * numbers by its table; otherwise words are named by offset (@0/@4) and numbers stay numbers.
 * The listing never trusts the program: out-of-range targets are printed as such.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/audit.h>

#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "util.h"

/* ------------------------------------------------------------------ action names */

static const struct {
        const char *name;
        uint32_t value;
} action_names[] = {
        { "KILL_PROCESS", SECCOMP_RET_KILL_PROCESS },
        { "KILL_THREAD", SECCOMP_RET_KILL_THREAD },
        { "TRAP", SECCOMP_RET_TRAP },
        { "ERRNO", SECCOMP_RET_ERRNO },
        { "NOTIFY", SECCOMP_RET_USER_NOTIF },
        { "TRACE", SECCOMP_RET_TRACE },
        { "LOG", SECCOMP_RET_LOG },
        { "ALLOW", SECCOMP_RET_ALLOW },
};

_public_ int scmpd_bpf_action_format(uint32_t action, char *buf, size_t size)
{
        uint32_t base = action & SECCOMP_RET_ACTION_FULL, data = action & SECCOMP_RET_DATA;

        for (size_t i = 0; i < ELEMENTSOF(action_names); i++) {
                if (action_names[i].value != base)
                        continue;
                /* ERRNO and TRACE always carry their number; others only when set. */
                if (data == 0 && base != SECCOMP_RET_ERRNO && base != SECCOMP_RET_TRACE)
                        return snprintf(buf, size, "%s", action_names[i].name);
                return snprintf(buf, size, "%s(%" PRIu32 ")", action_names[i].name, data);
        }
        return snprintf(buf, size, "0x%08" PRIx32, action);
}

_public_ int scmpd_bpf_action_parse(const char *s, uint32_t *ret_action)
{
        if (!s || !ret_action)
                return -EINVAL;

        for (size_t i = 0; i < ELEMENTSOF(action_names); i++) {
                size_t n = strlen(action_names[i].name);
                unsigned long data = 0;
                const char *p;
                char *end;

                if (strncmp(s, action_names[i].name, n) != 0)
                        continue;
                p = s + n;
                if (*p == '(') {
                        p++;
                        if (*p < '0' || *p > '9')
                                return -EINVAL;
                        errno = 0;
                        if (p[0] == '0' && p[1] == 'x') {
                                p += 2;
                                if (!isxdigit((unsigned char)*p))
                                        return -EINVAL;
                                data = strtoul(p, &end, 16);
                        } else {
                                data = strtoul(p, &end, 10);
                        }
                        if (errno != 0 || data > SECCOMP_RET_DATA || end[0] != ')' ||
                            end[1] != '\0')
                                return -EINVAL;
                } else if (*p != '\0') {
                        continue; /* a longer word, e.g. "KILL_PROCESSX" */
                }
                *ret_action = action_names[i].value | (uint32_t)data;
                return 0;
        }

        if (strncmp(s, "0x", 2) == 0 && s[2] != '\0') {
                unsigned long long v;
                char *end;

                errno = 0;
                v = strtoull(s, &end, 16);
                if (errno != 0 || *end != '\0' || v > UINT32_MAX)
                        return -EINVAL;
                *ret_action = (uint32_t)v;
                return 0;
        }
        return -EINVAL;
}

/* ------------------------------------------------------------------ data flow */

#define FIELD_UNKNOWN (-1)

struct flow {
        bool reached;
        int a_field;     /* byte offset into seccomp_data that A holds, or FIELD_UNKNOWN */
        bool arch_known; /* every path here has fixed the arch to `arch` */
        uint32_t arch;
};

static void flow_merge(struct flow *into, const struct flow *from)
{
        if (!into->reached) {
                *into = *from;
                return;
        }
        if (into->a_field != from->a_field)
                into->a_field = FIELD_UNKNOWN;
        if (into->arch_known != from->arch_known || (into->arch_known && into->arch != from->arch))
                into->arch_known = false;
}

static void flow_edge(struct flow *flows, size_t len, size_t target, const struct flow *f)
{
        if (target < len)
                flow_merge(&flows[target], f);
}

/* Compute the state before each instruction. flows has len entries. */
static void flow_compute(const struct sock_filter *prog, size_t len, uint32_t hint,
                         struct flow *flows)
{
        memset(flows, 0, len * sizeof(*flows));
        flows[0] = (struct flow){
                .reached = true,
                .a_field = FIELD_UNKNOWN,
                .arch_known = hint != 0,
                .arch = hint,
        };

        for (size_t pc = 0; pc < len; pc++) {
                const struct sock_filter *insn = &prog[pc];
                struct flow out = flows[pc];

                if (!out.reached)
                        continue;

                switch (BPF_CLASS(insn->code)) {
                case BPF_LD:
                        out.a_field = insn->code == (BPF_LD | BPF_W | BPF_ABS) ? (int)insn->k
                                                                               : FIELD_UNKNOWN;
                        flow_edge(flows, len, pc + 1, &out);
                        break;
                case BPF_ALU:
                case BPF_MISC:
                        if (insn->code != (BPF_MISC | BPF_TAX))
                                out.a_field = FIELD_UNKNOWN;
                        flow_edge(flows, len, pc + 1, &out);
                        break;
                case BPF_RET:
                        break;
                case BPF_JMP:
                        if (BPF_OP(insn->code) == BPF_JA) {
                                flow_edge(flows, len, pc + 1 + (size_t)insn->k, &out);
                        } else {
                                struct flow taken = out;

                                if (insn->code == (BPF_JMP | BPF_JEQ | BPF_K) &&
                                    out.a_field == (int)offsetof(struct seccomp_data, arch)) {
                                        taken.arch_known = true;
                                        taken.arch = insn->k;
                                }
                                flow_edge(flows, len, pc + 1 + insn->jt, &taken);
                                flow_edge(flows, len, pc + 1 + insn->jf, &out);
                        }
                        break;
                default: /* LDX, ST, STX leave A alone */
                        flow_edge(flows, len, pc + 1, &out);
                        break;
                }
        }
}

/* ------------------------------------------------------------------ printing */

static const struct scmpd_arch *flow_arch(const struct flow *f)
{
        return f->arch_known ? scmpd_arch_by_token(f->arch) : NULL;
}

static void field_name(int k, const struct flow *f, char *buf, size_t size)
{
        const struct scmpd_arch *a = flow_arch(f);
        const char *base;
        int rel;

        if (k == (int)offsetof(struct seccomp_data, nr)) {
                snprintf(buf, size, "nr");
                return;
        }
        if (k == (int)offsetof(struct seccomp_data, arch)) {
                snprintf(buf, size, "arch");
                return;
        }
        if (k < 0 || k >= (int)sizeof(struct seccomp_data) || k % 4 != 0) {
                snprintf(buf, size, "data[%d]", k);
                return;
        }

        if (k < (int)offsetof(struct seccomp_data, args)) {
                base = "instruction_pointer";
                rel = k - (int)offsetof(struct seccomp_data, instruction_pointer);
        } else {
                static const char *const args[] = { "args[0]", "args[1]", "args[2]",
                                                    "args[3]", "args[4]", "args[5]" };
                rel = k - (int)offsetof(struct seccomp_data, args);
                base = args[rel / 8];
                rel %= 8;
        }

        if (!a)
                snprintf(buf, size, "%s@%d", base, rel);
        else
                snprintf(buf, size, "%s.%s", base, (rel == 0) != a->big_endian ? "lo" : "hi");
}

/* A constant operand, annotated with what it means given what A holds. */
static void operand_name(uint32_t k, const struct flow *f, char *buf, size_t size)
{
        if (f->a_field == (int)offsetof(struct seccomp_data, arch)) {
                const struct scmpd_arch *a = scmpd_arch_by_token(k);

                if (a) {
                        snprintf(buf, size, "0x%08" PRIx32 " (%s)", k, a->name);
                        return;
                }
        } else if (f->a_field == (int)offsetof(struct seccomp_data, nr)) {
                const struct scmpd_arch *a = flow_arch(f);
                const char *name;

                /* x32 calls arrive under x86_64's token with the x32 bit in nr. */
                if (a && a->token == AUDIT_ARCH_X86_64 && (k & SCMPD_X32_SYSCALL_BIT))
                        a = scmpd_arch_by_name("x32");
                name = a && k <= INT32_MAX ? scmpd_syscall_name(a, (int)k) : NULL;
                if (k & SCMPD_X32_SYSCALL_BIT)
                        snprintf(buf, size, "0x%" PRIx32, k);
                else
                        snprintf(buf, size, "%" PRIu32, k);
                if (name) {
                        size_t n = strlen(buf);
                        snprintf(buf + n, size - n, " (%s)", name);
                }
                return;
        }
        if (k < 10)
                snprintf(buf, size, "%" PRIu32, k);
        else
                snprintf(buf, size, "0x%" PRIx32, k);
}

static const char *alu_op(uint16_t code)
{
        switch (BPF_OP(code)) {
        case BPF_ADD:
                return "+=";
        case BPF_SUB:
                return "-=";
        case BPF_MUL:
                return "*=";
        case BPF_DIV:
                return "/=";
        case BPF_MOD:
                return "%=";
        case BPF_AND:
                return "&=";
        case BPF_OR:
                return "|=";
        case BPF_XOR:
                return "^=";
        case BPF_LSH:
                return "<<=";
        case BPF_RSH:
                return ">>=";
        default:
                return NULL;
        }
}

static const char *jmp_op(uint16_t code)
{
        switch (BPF_OP(code)) {
        case BPF_JEQ:
                return "==";
        case BPF_JGT:
                return ">";
        case BPF_JGE:
                return ">=";
        case BPF_JSET:
                return "&";
        default:
                return NULL;
        }
}

static void target_name(size_t pc, uint32_t off, size_t len, char *buf, size_t size)
{
        uint64_t t = (uint64_t)pc + 1 + off;

        if (t < len)
                snprintf(buf, size, "%" PRIu64, t);
        else
                snprintf(buf, size, "%" PRIu64 " (out of range)", t);
}

static void statement(const struct sock_filter *prog, size_t len, size_t pc, const struct flow *f,
                      char *buf, size_t size)
{
        const struct sock_filter *insn = &prog[pc];
        uint16_t code = insn->code;
        char s1[96], s2[64], s3[64];

        switch (code) {
        case BPF_LD | BPF_W | BPF_ABS:
                field_name((int)insn->k, f, s1, sizeof(s1));
                snprintf(buf, size, "A = %s", s1);
                return;
        case BPF_LD | BPF_W | BPF_LEN:
                snprintf(buf, size, "A = len");
                return;
        case BPF_LDX | BPF_W | BPF_LEN:
                snprintf(buf, size, "X = len");
                return;
        case BPF_LD | BPF_IMM:
                snprintf(buf, size, "A = 0x%" PRIx32, insn->k);
                return;
        case BPF_LDX | BPF_IMM:
                snprintf(buf, size, "X = 0x%" PRIx32, insn->k);
                return;
        case BPF_LD | BPF_MEM:
                snprintf(buf, size, "A = M[%" PRIu32 "]", insn->k);
                return;
        case BPF_LDX | BPF_MEM:
                snprintf(buf, size, "X = M[%" PRIu32 "]", insn->k);
                return;
        case BPF_ST:
                snprintf(buf, size, "M[%" PRIu32 "] = A", insn->k);
                return;
        case BPF_STX:
                snprintf(buf, size, "M[%" PRIu32 "] = X", insn->k);
                return;
        case BPF_MISC | BPF_TAX:
                snprintf(buf, size, "X = A");
                return;
        case BPF_MISC | BPF_TXA:
                snprintf(buf, size, "A = X");
                return;
        case BPF_ALU | BPF_NEG:
                snprintf(buf, size, "A = -A");
                return;
        case BPF_RET | BPF_A:
                snprintf(buf, size, "return A");
                return;
        case BPF_RET | BPF_K:
                scmpd_bpf_action_format(insn->k, s1, sizeof(s1));
                snprintf(buf, size, "return %s", s1);
                return;
        case BPF_JMP | BPF_JA:
                target_name(pc, insn->k, len, s1, sizeof(s1));
                snprintf(buf, size, "goto %s", s1);
                return;
        default:
                break;
        }

        if (BPF_CLASS(code) == BPF_ALU && alu_op(code)) {
                if (BPF_SRC(code) == BPF_X)
                        snprintf(buf, size, "A %s X", alu_op(code));
                else
                        snprintf(buf, size, "A %s 0x%" PRIx32, alu_op(code), insn->k);
                return;
        }
        if (BPF_CLASS(code) == BPF_JMP && jmp_op(code)) {
                if (BPF_SRC(code) == BPF_X) {
                        snprintf(s1, sizeof(s1), "X");
                } else if (BPF_OP(code) == BPF_JSET) {
                        /* A mask, not a value: no names. */
                        struct flow plain = *f;
                        plain.a_field = FIELD_UNKNOWN;
                        operand_name(insn->k, &plain, s1, sizeof(s1));
                } else {
                        operand_name(insn->k, f, s1, sizeof(s1));
                }
                target_name(pc, insn->jt, len, s2, sizeof(s2));
                target_name(pc, insn->jf, len, s3, sizeof(s3));
                snprintf(buf, size, "if (A %s %s) goto %s else goto %s", jmp_op(code), s1, s2, s3);
                return;
        }
        snprintf(buf, size, "(not allowed in seccomp)");
}

static int disasm(const struct sock_filter *prog, size_t len, uint32_t hint, FILE *out)
{
        _cleanup_free_ struct flow *flows = NULL;
        size_t bad_pc = 0;
        int valid;

        if (!out || (!prog && len > 0))
                return -EINVAL;
        valid = scmpd_bpf_validate(prog, len, &bad_pc);
        if (len == 0)
                return valid;
        /* An over-long program is still listed; it is only a diagnostic. */
        flows = calloc(len, sizeof(*flows));
        if (!flows)
                return -ENOMEM;
        flow_compute(prog, len, hint, flows);

        for (size_t pc = 0; pc < len; pc++) {
                const struct sock_filter *insn = &prog[pc];
                char stmt[256];

                statement(prog, len, pc, &flows[pc], stmt, sizeof(stmt));
                fprintf(out, "%4zu: %04x %3u %3u %08" PRIx32 "  %s%s%s\n", pc, insn->code, insn->jt,
                        insn->jf, insn->k, stmt, flows[pc].reached ? "" : "  ; unreachable",
                        valid < 0 && pc == bad_pc ? "  ; <- rejected by the kernel" : "");
        }
        if (valid < 0 && bad_pc >= len)
                fprintf(out, "; rejected by the kernel: bad length %zu\n", len);
        if (ferror(out))
                return -EIO;
        return valid;
}

_public_ int scmpd_bpf_disasm(const struct sock_filter *prog, size_t len, FILE *out)
{
        return disasm(prog, len, 0, out);
}

_public_ int scmpd_bpf_disasm_arch(const struct sock_filter *prog, size_t len, uint32_t arch,
                                   FILE *out)
{
        return disasm(prog, len, arch, out);
}
