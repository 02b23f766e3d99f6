#!/bin/sh
# Pseudo syscall numbers against libseccomp 2.6.1's, from the list in this directory
# (libseccomp-2.6.1-pnr.txt, written from upstream's published header, never from our tables):
#   1. our seccomp-syscalls.h defines exactly the __PNR_* names of the list, no more, no fewer;
#   2. each has the listed value, as a compiler sees it;
#   3. SCMP_SYS(name) is the compiling arch's __NR_name where <asm/unistd.h> has one, else the
#      listed value;
#   4. the library agrees on every arch: resolving a listed name gives a real number or exactly
#      the listed value, and the listed value resolves back to the name.
# A program built against upstream's header then compiles in the numbers our library uses.
#
# Usage: pnr-facts.sh CC COMPAT_SRC_DIR COMPAT_BUILD_DIR LIBSECCOMP_SO LIST
set -eu
usage="usage: pnr-facts.sh CC COMPAT_SRC_DIR COMPAT_BUILD_DIR LIBSECCOMP_SO LIST"
cc=${1:?$usage}
srcdir=${2:?$usage}
blddir=${3:?$usage}
lib=${4:?$usage}
list=${5:?$usage}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/scmpd-pnr.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

grep -v '^#' "$list" | sort >"$tmp/list.txt"
cut -d' ' -f1 "$tmp/list.txt" >"$tmp/list-names.txt"
grep -oE '^#define __PNR_[A-Za-z0-9_]+' "$blddir/seccomp-syscalls.h" | sed 's/^#define __PNR_//' |
        sort >"$tmp/header-names.txt"
if ! diff -u "$tmp/list-names.txt" "$tmp/header-names.txt"; then
        echo "pnr-facts: FAIL: __PNR_* names differ (- libseccomp 2.6.1, + our header)"
        exit 1
fi

{
        cat <<'C'
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <seccomp.h>
static int failed;
static const unsigned arches[] = {
        SCMP_ARCH_X86, SCMP_ARCH_X86_64, SCMP_ARCH_X32, SCMP_ARCH_ARM, SCMP_ARCH_AARCH64,
        SCMP_ARCH_LOONGARCH64, SCMP_ARCH_M68K, SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64,
        SCMP_ARCH_MIPS64N32, SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64, SCMP_ARCH_MIPSEL64N32,
        SCMP_ARCH_PPC, SCMP_ARCH_PPC64, SCMP_ARCH_PPC64LE, SCMP_ARCH_S390, SCMP_ARCH_S390X,
        SCMP_ARCH_PARISC, SCMP_ARCH_PARISC64, SCMP_ARCH_RISCV64, SCMP_ARCH_SH, SCMP_ARCH_SHEB,
};
static void check(const char *name, long long pnr, long long listed, long long snr,
                  long long expect_snr)
{
        printf("%s %lld\n", name, pnr);
        if (pnr != listed) {
                printf("FAIL __PNR_%s is %lld, libseccomp 2.6.1 says %lld\n", name, pnr, listed);
                failed = 1;
        }
        if (snr != expect_snr) {
                printf("FAIL SCMP_SYS(%s) is %lld, expected %lld\n", name, snr, expect_snr);
                failed = 1;
        }
        for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
                int r = seccomp_syscall_resolve_name_arch(arches[i], name);
                char *back;

                if (r >= 0)
                        continue;
                if (r != listed) {
                        printf("FAIL arch %#x resolves %s to %d, not %lld\n", arches[i], name, r,
                               listed);
                        failed = 1;
                        continue;
                }
                back = seccomp_syscall_resolve_num_arch(arches[i], r);
                /* Two powerpc names share -10191; the number names one of them. */
                if (!back || (strcmp(back, name) != 0 && listed != -10191)) {
                        printf("FAIL arch %#x resolves %d back to %s, not %s\n", arches[i], r,
                               back ? back : "(null)", name);
                        failed = 1;
                }
                free(back);
        }
}
int main(void)
{
C
        while read -r name value; do
                printf '#ifdef __NR_%s\n        check("%s", __PNR_%s, %s, SCMP_SYS(%s), __NR_%s);\n' \
                        "$name" "$name" "$name" "$value" "$name" "$name"
                printf '#else\n        check("%s", __PNR_%s, %s, SCMP_SYS(%s), %s);\n#endif\n' \
                        "$name" "$name" "$value" "$name" "$value"
        done <"$tmp/list.txt"
        echo "        return failed;"
        echo "}"
} >"$tmp/pnr.c"

"$cc" -I"$srcdir" -I"$blddir" -o "$tmp/pnr" "$tmp/pnr.c" "$lib"
if ! "$tmp/pnr" >"$tmp/out.txt"; then
        grep '^FAIL' "$tmp/out.txt"
        echo "pnr-facts: FAIL"
        exit 1
fi
if ! diff -u "$tmp/list.txt" "$tmp/out.txt"; then
        echo "pnr-facts: FAIL (- libseccomp 2.6.1, + our header)"
        exit 1
fi
echo "pnr-facts: $(wc -l <"$tmp/list.txt") pseudo numbers equal to libseccomp 2.6.1's, on every arch"
