/*
 * The simulator against the running kernel, on random programs from a fixed seed.
 *
 * Validation: forked children hand random short programs (every classic opcode, some junk, and
 * operands around each limit) to seccomp(2); the kernel's accept/refuse must equal
 * scmpd_bpf_validate()'s. Execution: random programs that run only for getppid() and end in
 * "A &= 0xfff; A |= ERRNO; return A" expose their result as the errno of getppid() with random
 * arguments; it must equal what scmpd_bpf_run() computes (a division by a zero X must kill the
 * child with SIGSYS, as a return of 0 does). Usage: live-bpf-sim [SEED [COUNT]].
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "child.h"
#include "scmpd/arch.h"
#include "scmpd/bpf.h"
#include "util.h"

#define SKIP 77
#define MAX_LEN 24

static uint64_t rng_state;

static uint64_t rnd(void)
{
        /* xorshift64*: deterministic for a given seed. */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint32_t rnd_below(uint32_t n)
{
        return (uint32_t)(rnd() % n);
}

/* An operand: small numbers, limits and their neighbours, or anything. */
static uint32_t rnd_k(void)
{
        static const uint32_t special[] = { 0,          1,          2,          3,
                                            4,          15,         16,         31,
                                            32,         33,         60,         63,
                                            64,         0x7fffffff, 0x80000000, 0xfffffffe,
                                            0xffffffff, 0xfffff000, 0x50000,    0x7fff0000 };

        switch (rnd_below(3)) {
        case 0:
                return special[rnd_below(ELEMENTSOF(special))];
        case 1:
                return rnd_below(70);
        default:
                return (uint32_t)rnd();
        }
}

static const uint16_t all_codes[] = {
        BPF_LD | BPF_W | BPF_ABS,
        BPF_LD | BPF_H | BPF_ABS,
        BPF_LD | BPF_B | BPF_ABS,
        BPF_LD | BPF_W | BPF_IND,
        BPF_LD | BPF_W | BPF_LEN,
        BPF_LDX | BPF_W | BPF_LEN,
        BPF_LDX | BPF_B | BPF_MSH,
        BPF_LD | BPF_IMM,
        BPF_LDX | BPF_IMM,
        BPF_LD | BPF_MEM,
        BPF_LDX | BPF_MEM,
        BPF_ST,
        BPF_STX,
        BPF_ALU | BPF_ADD | BPF_K,
        BPF_ALU | BPF_SUB | BPF_X,
        BPF_ALU | BPF_MUL | BPF_K,
        BPF_ALU | BPF_DIV | BPF_K,
        BPF_ALU | BPF_DIV | BPF_X,
        BPF_ALU | BPF_MOD | BPF_K,
        BPF_ALU | BPF_MOD | BPF_X,
        BPF_ALU | BPF_AND | BPF_X,
        BPF_ALU | BPF_OR | BPF_K,
        BPF_ALU | BPF_XOR | BPF_X,
        BPF_ALU | BPF_LSH | BPF_K,
        BPF_ALU | BPF_RSH | BPF_K,
        BPF_ALU | BPF_LSH | BPF_X,
        BPF_ALU | BPF_NEG,
        BPF_MISC | BPF_TAX,
        BPF_MISC | BPF_TXA,
        BPF_JMP | BPF_JA,
        BPF_JMP | BPF_JEQ | BPF_K,
        BPF_JMP | BPF_JGT | BPF_X,
        BPF_JMP | BPF_JGE | BPF_K,
        BPF_JMP | BPF_JSET | BPF_X,
        BPF_RET | BPF_K,
        BPF_RET | BPF_A,
        0x0e,
        0xb4,
        0x2f,
};

static size_t gen_any(struct sock_filter *prog)
{
        size_t len = 1 + rnd_below(10);

        for (size_t i = 0; i < len; i++) {
                prog[i] = (struct sock_filter){
                        .code = all_codes[rnd_below(ELEMENTSOF(all_codes))],
                        .k = rnd_k(),
                        .jt = (uint8_t)rnd_below(4),
                        .jf = (uint8_t)rnd_below(4),
                };
                if (prog[i].code == (BPF_JMP | BPF_JA))
                        prog[i].k = rnd_below(5);
        }
        /* Usually end in a return that lets the child exit. */
        if (rnd_below(8) != 0)
                prog[len - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        return len;
}

/* Valid opcodes only, scratch cells 0..2 and short jumps: acceptance hinges on the kernel's
 * written-before-read analysis. */
static size_t gen_scratch(struct sock_filter *prog)
{
        static const uint16_t codes[] = { BPF_ST,           BPF_STX,
                                          BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM,
                                          BPF_JMP | BPF_JA, BPF_JMP | BPF_JEQ | BPF_K,
                                          BPF_RET | BPF_A,  BPF_LD | BPF_W | BPF_ABS };
        size_t len = 2 + rnd_below(12);

        for (size_t i = 0; i + 1 < len; i++) {
                uint32_t room = (uint32_t)(len - i - 2);
                uint16_t code = codes[rnd_below(ELEMENTSOF(codes))];

                prog[i] = (struct sock_filter){ .code = code, .k = rnd_below(3) };
                if (code == (BPF_LD | BPF_W | BPF_ABS))
                        prog[i].k = 4 * rnd_below(16);
                else if (code == (BPF_JMP | BPF_JA))
                        prog[i].k = rnd_below(room + 1);
                else if (code == (BPF_JMP | BPF_JEQ | BPF_K)) {
                        prog[i].jt = (uint8_t)rnd_below(room + 1);
                        prog[i].jf = (uint8_t)rnd_below(room + 1);
                }
        }
        prog[len - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        return len;
}

/* The ALU and load instructions a computing body draws from (all valid for seccomp). */
static struct sock_filter gen_body_insn(size_t pc, size_t body_end)
{
        static const uint16_t alu_ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND,
                                            BPF_OR,  BPF_XOR, BPF_LSH, BPF_RSH };
        static const uint16_t jmp_ops[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET };
        uint32_t room = (uint32_t)(body_end - pc - 1); /* jumps may reach the epilogue start */

        switch (rnd_below(10)) {
        case 0: { /* nr, arch or an argument word; the instruction pointer is unknown here */
                static const uint32_t offs[] = { 0,  4,  16, 20, 24, 28, 32,
                                                 36, 40, 44, 48, 52, 56, 60 };
                return (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                    offs[rnd_below(ELEMENTSOF(offs))]);
        }
        case 1:
                return (struct sock_filter)BPF_STMT(
                        rnd_below(2) ? BPF_LD | BPF_IMM : BPF_LDX | BPF_IMM, rnd_k());
        case 2:
                return (struct sock_filter)BPF_STMT(rnd_below(2) ? BPF_ST : BPF_STX, 0);
        case 3:
                return (struct sock_filter)BPF_STMT(
                        rnd_below(2) ? BPF_MISC | BPF_TAX : BPF_MISC | BPF_TXA, 0);
        case 4:
                return (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0);
        case 5:
                if (room > 0)
                        return (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA,
                                                            rnd_below(room + 1 > 4 ? 4 : room + 1));
                return (struct sock_filter)BPF_STMT(BPF_ALU | BPF_NEG, 0);
        case 6: {
                uint16_t op = jmp_ops[rnd_below(ELEMENTSOF(jmp_ops))];
                uint8_t jt = (uint8_t)rnd_below(room + 1 > 4 ? 4 : room + 1);
                uint8_t jf = (uint8_t)rnd_below(room + 1 > 4 ? 4 : room + 1);
                return (struct sock_filter)BPF_JUMP(BPF_JMP | op | (rnd_below(2) ? BPF_X : BPF_K),
                                                    rnd_k(), jt, jf);
        }
        default: {
                uint16_t op = alu_ops[rnd_below(ELEMENTSOF(alu_ops))];
                uint32_t k = rnd_k();

                if (rnd_below(2))
                        return (struct sock_filter)BPF_STMT(BPF_ALU | op | BPF_X, 0);
                if (op == BPF_DIV && k == 0)
                        k = 3;
                if (op == BPF_LSH || op == BPF_RSH)
                        k %= 32;
                return (struct sock_filter)BPF_STMT(BPF_ALU | op | BPF_K, k);
        }
        }
}

/* Prefix (only getppid runs the body), body, epilogue; returns the length. */
static size_t gen_computing(struct sock_filter *prog)
{
        size_t len = 0, body = 1 + rnd_below(MAX_LEN - 8);

        prog[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);
        prog[len++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 1, 0);
        prog[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        /* M[0] is written first so that every later read of it is valid. */
        prog[len++] = (struct sock_filter)BPF_STMT(BPF_ST, 0);
        for (size_t i = 0; i < body; i++) {
                size_t pc = len;
                prog[len++] = gen_body_insn(pc, 4 + body);
                if (rnd_below(8) == 0)
                        prog[len - 1] = (struct sock_filter)BPF_STMT(
                                rnd_below(2) ? BPF_LD | BPF_MEM : BPF_LDX | BPF_MEM, 0);
        }
        prog[len++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xfff);
        prog[len++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO);
        prog[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
        return len;
}

struct job {
        struct sock_filter prog[MAX_LEN];
        size_t len;
        uint64_t args[6];
        int report_fd;
};

static int install(const struct job *j)
{
        struct sock_fprog fprog = { .len = (unsigned short)j->len,
                                    .filter = (struct sock_filter *)j->prog };
        const struct rlimit no_core = { 0, 0 };

        /* Children die of SIGSYS on purpose; leave no core files behind. */
        (void)setrlimit(RLIMIT_CORE, &no_core);

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
                return -errno;
        return 0;
}

/* Exit 1 if the kernel refused the program; otherwise leave in whatever way it allows. */
static int child_validate(void *arg)
{
        const struct itimerval limit = { .it_value = { .tv_sec = 10 } };
        int r;

        /* The filter may refuse even exit: the parent then sees the filter attached in /proc
         * and kills the child (validate_outcome()). The timer is only a backstop for a kernel
         * without Seccomp_filters in /proc; it must be long, because a child that has not yet
         * reached seccomp(2) on a loaded machine would otherwise die as if it had been accepted. */
        setitimer(ITIMER_REAL, &limit, NULL);
        r = install(arg);
        if (r == -EINVAL)
                return 1;
        if (r < 0)
                return 2;
        syscall(SYS_exit_group, 0);
        syscall(SYS_exit, 0);
        for (;;)
                pause();
}

static int child_run(void *arg)
{
        const struct job *j = arg;
        int32_t report[2];
        long r;

        if (install(j) < 0)
                return 3;
        errno = 0;
        r = syscall(SYS_getppid, j->args[0], j->args[1], j->args[2], j->args[3], j->args[4],
                    j->args[5]);
        report[0] = (int32_t)r;
        report[1] = errno;
        if (write(j->report_fd, report, sizeof(report)) != sizeof(report))
                return 4;
        return 0;
}

static int fails;

/* The Seccomp_filters count of a process (kernel 5.9+), or -1. */
static long seccomp_filters(pid_t pid)
{
        char path[64], line[256];
        long n = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "Seccomp_filters:", 16) == 0)
                        n = strtol(line + 16, NULL, 10);
        fclose(f);
        return n;
}

/*
 * The validation child's wait status: it exits 1 when the kernel refused the program, or ends
 * (any other way) when it accepted it; a filter that refuses even exit keeps the child alive, so
 * once /proc shows one more filter than ours, it is killed here (an accepted program). Events,
 * not times: a slow machine only makes this take longer. -ETIMEDOUT after 120 s.
 */
static int validate_outcome(pid_t pid, int *ret_status)
{
        long ours = seccomp_filters(getpid());
        struct timespec step = { 0, 1000000 };

        for (int i = 0; i < 120000; i++) {
                pid_t r = waitpid(pid, ret_status, WNOHANG);
                if (r == pid)
                        return 0;
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (ours >= 0 && seccomp_filters(pid) > ours) {
                        kill(pid, SIGKILL);
                        return child_reap(pid, 120000, ret_status);
                }
                nanosleep(&step, NULL);
        }
        return child_reap(pid, 0, ret_status) < 0 ? -ETIMEDOUT : 0;
}

static void report_program(const struct job *j)
{
        (void)scmpd_bpf_disasm(j->prog, j->len, stderr);
}

int main(int argc, char **argv)
{
        uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x5eccbbf;
        unsigned count = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 1500;
        unsigned accepted = 0, refused = 0, runs = 0, killed = 0;
        int fds[2];

        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
                fprintf(stderr, "seccomp not supported: %s\n", strerror(errno));
                return SKIP;
        }
        rng_state = seed ^ 0x9e3779b97f4a7c15ULL;
        if (rng_state == 0)
                rng_state = 1;
        if (pipe2(fds, O_CLOEXEC) < 0) {
                perror("pipe2");
                return 1;
        }

        for (unsigned i = 0; i < count && fails < 10; i++) {
                struct job j = { .report_fd = -1 };
                size_t bad_pc;
                int want, status;
                pid_t pid;

                j.len = i % 2 ? gen_scratch(j.prog) : gen_any(j.prog);
                want = scmpd_bpf_validate(j.prog, j.len, &bad_pc) == 0;
                pid = child_spawn(child_validate, &j);
                if (pid < 0 || validate_outcome(pid, &status) < 0) {
                        fprintf(stderr, "FAIL: validation child %u: spawn or timeout\n", i);
                        fails++;
                        continue;
                }
                if (child_exited_with(status, 2)) {
                        fprintf(stderr, "FAIL: seccomp(2) failed oddly on program %u\n", i);
                        fails++;
                        continue;
                }
                if (want != !child_exited_with(status, 1)) {
                        fprintf(stderr, "FAIL: program %u: kernel %s it, simulator %s it (%s)\n", i,
                                want ? "refused" : "accepted", want ? "accepts" : "refuses",
                                child_status_str(status));
                        report_program(&j);
                        fails++;
                }
                want ? accepted++ : refused++;
        }

        for (unsigned i = 0; i < count && fails < 10; i++) {
                struct job j = { .report_fd = fds[1] };
                struct seccomp_data data = { .nr = SYS_getppid,
                                             .arch = scmpd_arch_native()->token };
                uint32_t action;
                int32_t report[2];
                int status;
                pid_t pid;

                j.len = gen_computing(j.prog);
                for (size_t a = 0; a < 6; a++)
                        data.args[a] = j.args[a] = rnd_below(4) ? rnd() : rnd_k();
                if (scmpd_bpf_run(j.prog, j.len, &data, &action, NULL) < 0)
                        continue; /* validation is checked above */
                runs++;

                pid = child_spawn(child_run, &j);
                if (pid < 0 || child_reap(pid, 5000, &status) < 0) {
                        fprintf(stderr, "FAIL: run child %u: spawn or timeout\n", i);
                        fails++;
                        continue;
                }
                if (action == SECCOMP_RET_KILL_THREAD) {
                        killed++;
                        if (!child_killed_by(status, SIGSYS)) {
                                fprintf(stderr, "FAIL: run %u: expected SIGSYS, child %s\n", i,
                                        child_status_str(status));
                                report_program(&j);
                                fails++;
                        }
                        continue;
                }
                if (!child_exited_with(status, 0) ||
                    read(fds[0], report, sizeof(report)) != sizeof(report)) {
                        fprintf(stderr, "FAIL: run %u: child %s\n", i, child_status_str(status));
                        report_program(&j);
                        fails++;
                        continue;
                }
                /* ERRNO(0) makes the call return 0; ERRNO(n) makes it fail with n. */
                if ((action & SECCOMP_RET_DATA) == 0
                            ? report[0] != 0
                            : report[0] != -1 ||
                                      (uint32_t)report[1] != (action & SECCOMP_RET_DATA)) {
                        fprintf(stderr,
                                "FAIL: run %u: simulator says errno %u, kernel gave %d/%d\n", i,
                                action & SECCOMP_RET_DATA, report[0], report[1]);
                        report_program(&j);
                        fails++;
                }
        }

        printf("seed %#llx: %u programs accepted and %u refused alike, %u runs (%u killed) "
               "agree; %d failures\n",
               (unsigned long long)seed, accepted, refused, runs, killed, fails);
        return fails ? 1 : 0;
}
