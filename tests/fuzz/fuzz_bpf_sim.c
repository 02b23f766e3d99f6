/*
 * Fuzz the simulator with arbitrary programs and inputs. The input is a seccomp_data header
 * (64 bytes, missing bytes are 0; byte 4 picks the arch from a short list so that both byte
 * orders and x32 are reached) followed by the program, 8 bytes per instruction.
 *
 * Properties checked, beyond "no crash, no sanitizer report": a valid program runs to a RET in
 * at most len instructions; a program the cache emulation calls cacheable for (arch, nr) returns
 * exactly ALLOW on this input; the listing of any program (valid or not) succeeds.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/audit.h>

#include "scmpd/arch.h"
#include "scmpd/bpf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t arches[] = {
        AUDIT_ARCH_X86_64,
        AUDIT_ARCH_I386,
        AUDIT_ARCH_AARCH64,
        AUDIT_ARCH_S390X,
        AUDIT_ARCH_PPC,
        AUDIT_ARCH_MIPS,
        0,
        0x12345678,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static FILE *sink;
        struct seccomp_data sd = { 0 };
        struct sock_filter *prog;
        size_t head = sizeof(sd), len, bad_pc = 0;
        uint32_t action;
        unsigned executed = 0;
        char name[64];
        int valid, r;

        if (!sink)
                sink = fopen("/dev/null", "we");
        if (!sink)
                abort();

        memcpy(&sd, data, size < head ? size : head);
        sd.arch = arches[sd.arch % (sizeof(arches) / sizeof(arches[0]))];
        if (size <= head)
                return 0;
        len = (size - head) / sizeof(struct sock_filter);
        if (len == 0 || len > 2 * BPF_MAXINSNS)
                return 0;
        prog = malloc(len * sizeof(*prog));
        if (!prog)
                abort();
        memcpy(prog, data + head, len * sizeof(*prog));

        valid = scmpd_bpf_validate(prog, len, &bad_pc);
        if (valid != 0 && valid != -EINVAL)
                abort();
        if (valid < 0 && bad_pc > len)
                abort();

        r = scmpd_bpf_run(prog, len, &sd, &action, &executed);
        if (r != valid)
                abort();
        if (r == 0) {
                if (executed == 0 || executed > len)
                        abort();
                scmpd_bpf_action_format(action, name, sizeof(name));
        }

        r = scmpd_bpf_cacheable(prog, len, sd.arch, sd.nr);
        if (valid < 0 ? r != -EINVAL : (r != 0 && r != 1))
                abort();
        if (r == 1 && action != SECCOMP_RET_ALLOW)
                abort(); /* cached as allowed, yet this input is not allowed */

        r = scmpd_bpf_disasm(prog, len, sink);
        if (r != valid && r != -EIO)
                abort();

        free(prog);
        return 0;
}
