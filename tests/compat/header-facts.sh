#!/bin/sh
# Our seccomp.h and generated seccomp-syscalls.h against Debian's libseccomp 2.5.4 headers: one
# program printing every fact a caller can compile in (action, arch, attribute and operator
# values, structure sizes and offsets, what the SCMP_CMP/SCMP_A* macros build, every __PNR_*
# and every SCMP_SYS() value Debian's header defines) is built with each header set, and the
# outputs must be identical. Facts libseccomp 2.6 added are checked for presence only.
#
# Usage: header-facts.sh CC COMPAT_SRC_DIR COMPAT_BUILD_DIR
set -eu
usage="usage: header-facts.sh CC COMPAT_SRC_DIR COMPAT_BUILD_DIR"
cc=${1:?$usage}
srcdir=${2:?$usage}
blddir=${3:?$usage}
debian=/usr/include/seccomp-syscalls.h
[ -f /usr/include/seccomp.h ] && [ -f "$debian" ] || { echo "Debian's libseccomp-dev missing: skip"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/scmpd-facts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

{
        cat <<'C'
#include <stddef.h>
#include <stdio.h>
#include <seccomp.h>
#define V(x) printf("%-40s %lld\n", #x, (long long)(x))
int main(void)
{
        struct scmp_arg_cmp c;
        V(SCMP_ACT_KILL_PROCESS); V(SCMP_ACT_KILL_THREAD); V(SCMP_ACT_KILL); V(SCMP_ACT_TRAP);
        V(SCMP_ACT_NOTIFY); V(SCMP_ACT_ERRNO(0)); V(SCMP_ACT_ERRNO(-1)); V(SCMP_ACT_ERRNO(70000));
        V(SCMP_ACT_TRACE(5)); V(SCMP_ACT_TRACE(-1)); V(SCMP_ACT_LOG); V(SCMP_ACT_ALLOW);
        V(SCMP_ARCH_NATIVE); V(SCMP_ARCH_X86); V(SCMP_ARCH_X86_64); V(SCMP_ARCH_X32);
        V(SCMP_ARCH_ARM); V(SCMP_ARCH_AARCH64); V(SCMP_ARCH_MIPS); V(SCMP_ARCH_MIPS64);
        V(SCMP_ARCH_MIPS64N32); V(SCMP_ARCH_MIPSEL); V(SCMP_ARCH_MIPSEL64);
        V(SCMP_ARCH_MIPSEL64N32); V(SCMP_ARCH_PPC); V(SCMP_ARCH_PPC64); V(SCMP_ARCH_PPC64LE);
        V(SCMP_ARCH_S390); V(SCMP_ARCH_S390X); V(SCMP_ARCH_PARISC); V(SCMP_ARCH_PARISC64);
        V(SCMP_ARCH_RISCV64);
        V(_SCMP_FLTATR_MIN); V(SCMP_FLTATR_ACT_DEFAULT); V(SCMP_FLTATR_ACT_BADARCH);
        V(SCMP_FLTATR_CTL_NNP); V(SCMP_FLTATR_CTL_TSYNC); V(SCMP_FLTATR_API_TSKIP);
        V(SCMP_FLTATR_CTL_LOG); V(SCMP_FLTATR_CTL_SSB); V(SCMP_FLTATR_CTL_OPTIMIZE);
        V(SCMP_FLTATR_API_SYSRAWRC);
        V(_SCMP_CMP_MIN); V(SCMP_CMP_NE); V(SCMP_CMP_LT); V(SCMP_CMP_LE); V(SCMP_CMP_EQ);
        V(SCMP_CMP_GE); V(SCMP_CMP_GT); V(SCMP_CMP_MASKED_EQ); V(_SCMP_CMP_MAX);
        V(__NR_SCMP_ERROR); V(__NR_SCMP_UNDEF); V(SCMP_VER_MAJOR);
        V(sizeof(struct scmp_arg_cmp)); V(offsetof(struct scmp_arg_cmp, op));
        V(offsetof(struct scmp_arg_cmp, datum_a)); V(offsetof(struct scmp_arg_cmp, datum_b));
        V(sizeof(struct scmp_version)); V(offsetof(struct scmp_version, micro));
        V(sizeof(scmp_datum_t)); V(sizeof(scmp_filter_ctx)); V(sizeof(enum scmp_compare));
        V(sizeof(struct seccomp_notif)); V(sizeof(struct seccomp_notif_resp));
        c = SCMP_CMP(3, SCMP_CMP_MASKED_EQ, 0xf0, 0x10); V(c.arg); V(c.op); V(c.datum_a); V(c.datum_b);
        c = SCMP_A5(SCMP_CMP_GT, -1); V(c.arg); V(c.op); V(c.datum_a); V(c.datum_b);
        c = SCMP_A0_32(SCMP_CMP_EQ, -1); V(c.arg); V(c.datum_a);
        c = SCMP_A2_32(SCMP_CMP_MASKED_EQ, -1, -2); V(c.arg); V(c.datum_a); V(c.datum_b);
        c = SCMP_CMP64(1, SCMP_CMP_NE, 0x123456789ULL); V(c.datum_a);
        c = SCMP_CMP32(4, SCMP_CMP_LE, -5); V(c.arg); V(c.datum_a);
C
        for p in $(grep -oE '^#define __PNR_[A-Za-z0-9_]+' "$debian" | cut -d' ' -f2); do
                echo "        V($p);"
        done
        for s in $(grep -oE '^#define __SNR_[A-Za-z0-9_]+' "$debian" | cut -d' ' -f2 | sort -u); do
                n=${s#__SNR_}
                printf '#if defined(__NR_%s) || defined(__PNR_%s)\n        V(SCMP_SYS(%s));\n#endif\n' \
                        "$n" "$n" "$n"
        done
        echo "        return 0;"
        echo "}"
} >"$tmp/facts.c"

# Ours must also define what libseccomp 2.6 added.
cat >"$tmp/new.c" <<'C'
#include <seccomp.h>
int facts_26[] = { SCMP_FLTATR_CTL_WAITKILL, SCMP_ARCH_LOONGARCH64, SCMP_ARCH_M68K,
                   SCMP_ARCH_SH, SCMP_ARCH_SHEB, SCMP_VER_MINOR == 6 };
int (*fns_26[])(const scmp_filter_ctx) = { seccomp_precompute, seccomp_transaction_start,
                                          seccomp_transaction_commit };
int (*fn_mem)(const scmp_filter_ctx, void *, size_t *) = seccomp_export_bpf_mem;
int (*fn_addfd)(int, struct seccomp_notif_addfd *) = seccomp_notify_addfd;
C

"$cc" -o "$tmp/debian" "$tmp/facts.c"
"$cc" -I"$srcdir" -I"$blddir" -o "$tmp/ours" "$tmp/facts.c"
"$cc" -Wall -Werror -I"$srcdir" -I"$blddir" -c -o "$tmp/new.o" "$tmp/new.c"
"$tmp/debian" >"$tmp/debian.txt"
"$tmp/ours" >"$tmp/ours.txt"
facts=$(wc -l <"$tmp/debian.txt")
if diff -u "$tmp/debian.txt" "$tmp/ours.txt"; then
        echo "header-facts: $facts facts identical; the 2.6 additions are declared"
        exit 0
fi
echo "header-facts: FAIL (- Debian 2.5.4, + ours)"
exit 1
