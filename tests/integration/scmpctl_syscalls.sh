#!/bin/sh
# scmpctl syscalls / resolve: answers, JSON, exit codes and clear errors for unknown names,
# numbers and arches; where Debian's scmp_sys_resolver is installed, a few answers are compared
# with it (the full comparison is the unit test arch-oracle).
set -u
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
S=$SCMPCTL_BIN
err=$(mktemp)
trap 'rm -f "$err"' EXIT

out=$("$S" resolve openat --arch x86_64); rc=$?
check "resolve openat on x86_64 is 257" "[ $rc -eq 0 ] && [ \"$out\" = 257 ]"
out=$("$S" resolve 257 --arch x86_64)
check "resolve 257 on x86_64 is openat" "[ \"$out\" = openat ]"
out=$("$S" resolve setxattrat --arch mips64n32)
check "resolve setxattrat on mips64n32 is 6463" "[ \"$out\" = 6463 ]"
out=$("$S" resolve file_setattr --arch=x32)
check "resolve file_setattr on x32 carries the x32 bit" "[ \"$out\" = $((0x40000000 + 469)) ]"
out=$("$S" resolve open --arch aarch64)
check "a syscall the arch lacks gives its pseudo number" "[ \"$out\" = -10166 ]"
out=$("$S" resolve -10166 --arch aarch64)
check "a pseudo number resolves back to its name" "[ \"$out\" = open ]"
out=$("$S" resolve socket --arch x86 --json | python3 -c \
    'import json,sys; j=json.load(sys.stdin); print(j["nr"], j["multiplexed"]["via"], j["multiplexed"]["call"])')
check "resolve --json reports the socketcall mapping" "[ \"$out\" = '359 socketcall 1' ]"

"$S" resolve no_such_syscall --arch x86_64 >/dev/null 2>"$err"; rc=$?
check "an unknown name exits 1" "[ $rc -eq 1 ]"
check "an unknown name says so" "grep -q \"unknown syscall 'no_such_syscall'\" \"$err\""
"$S" resolve 4242 --arch x86_64 >/dev/null 2>"$err"; rc=$?
check "an unknown number exits 1" "[ $rc -eq 1 ]"
check "an unknown number says so" "grep -q 'no syscall 4242 on x86_64' \"$err\""
"$S" resolve read --arch vax >/dev/null 2>"$err"; rc=$?
check "resolve with an unknown arch exits 2" "[ $rc -eq 2 ]"
check "an unknown arch says so" "grep -q \"unknown arch 'vax'\" \"$err\""
"$S" syscalls --arch vax >/dev/null 2>"$err"; rc=$?
check "syscalls with an unknown arch exits 2" "[ $rc -eq 2 ] && grep -q 'unknown arch' \"$err\""
"$S" resolve >/dev/null 2>&1; rc=$?
check "resolve without an argument exits 2" "[ $rc -eq 2 ]"
"$S" syscalls --bogus >/dev/null 2>&1; rc=$?
check "syscalls with an unknown option exits 2" "[ $rc -eq 2 ]"
"$S" resolve 'a;b' >/dev/null 2>&1; rc=$?
check "a malformed name exits 1" "[ $rc -eq 1 ]"

n=$("$S" syscalls --arches | wc -l)
check "23 arches are listed" "[ $n -eq 23 ]"
n=$("$S" syscalls --arches --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "23 arches in JSON" "[ $n -eq 23 ]"
text=$("$S" syscalls --arch s390x | wc -l)
json=$("$S" syscalls --arch s390x --json | python3 -c \
    'import json,sys; j=json.load(sys.stdin); assert j["arch"]=="s390x"; print(len(j["syscalls"]))')
check "syscalls text and JSON list the same $text entries" "[ $text -gt 300 ] && [ \"$text\" = \"$json\" ]"
bad=0
for line in $("$S" syscalls --arch ppc64le | awk 'NR % 20 == 1 { print $1 ":" $2 }'); do
    nr=${line%%:*} name=${line#*:}
    [ "$("$S" resolve "$name" --arch ppc64le)" = "$nr" ] || { echo "  $name != $nr"; bad=1; }
done
check "listed entries resolve both ways" "[ $bad -eq 0 ]"

if command -v scmp_sys_resolver >/dev/null 2>&1; then
    bad=0
    for arch in x86_64 x86 x32 aarch64 arm mips mipsel64n32 ppc64le s390x riscv64 parisc; do
        for name in read openat close mmap execve clone3 pidfd_open io_uring_setup open time; do
            want=$(scmp_sys_resolver -a "$arch" "$name")
            got=$("$S" resolve "$name" --arch "$arch")
            [ "$want" = "$got" ] || { echo "  $arch $name: scmp_sys_resolver $want, scmpctl $got"; bad=1; }
        done
    done
    check "answers agree with scmp_sys_resolver" "[ $bad -eq 0 ]"
fi
exit $fail
