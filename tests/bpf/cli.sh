#!/bin/sh
# scmpctl disasm / simulate on a hand-made program: decisions, counts, listing, and clear
# failures (exit 1 for bad programs and files, 2 for bad usage).
set -u
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# ld arch; jeq x86_64 ? +1 : kill; ld nr; jeq 59 ? : allow; ld args[0].lo; jgt 5 ? allow : errno(2)
printf '\040\000\000\000\004\000\000\000''\025\000\001\000\076\000\000\300''\006\000\000\000\000\000\000\200''\040\000\000\000\000\000\000\000''\025\000\000\003\073\000\000\000''\040\000\000\000\020\000\000\000''\045\000\001\000\005\000\000\000''\006\000\000\000\002\000\005\000''\006\000\000\000\000\000\377\177' > "$dir/p.bpf"
head -c 69 "$dir/p.bpf" > "$dir/trunc.bpf"
# Cut before the last RET: the jumps at 4 and 6 now point past the end.
head -c 64 "$dir/p.bpf" > "$dir/noret.bpf"

out=$("$SCMPCTL_BIN" simulate "$dir/p.bpf" --arch x86_64 --syscall execve --args 5); rc=$?
check "simulate exits 0" "[ $rc -eq 0 ]"
check "execve(5) is ERRNO(2)" "echo \"\$out\" | grep -qx 'action: ERRNO(2)'"
check "7 instructions" "echo \"\$out\" | grep -qx 'instructions: 7'"
out=$("$SCMPCTL_BIN" simulate "$dir/p.bpf" --arch x86_64 --syscall execve --args 0x6,-1)
check "execve(6) is ALLOW" "echo \"\$out\" | grep -qx 'action: ALLOW'"
out=$("$SCMPCTL_BIN" simulate "$dir/p.bpf" --arch x86_64 --syscall read)
check "read is ALLOW and cacheable" "echo \"\$out\" | grep -qx 'cacheable: yes'"
out=$("$SCMPCTL_BIN" simulate "$dir/p.bpf" --arch x86 --syscall read)
check "x86 is KILL_PROCESS" "echo \"\$out\" | grep -qx 'action: KILL_PROCESS'"
out=$("$SCMPCTL_BIN" disasm "$dir/p.bpf"); rc=$?
check "disasm exits 0" "[ $rc -eq 0 ]"
check "disasm names execve" "echo \"\$out\" | grep -q 'if (A == 59 (execve)) goto 5 else goto 8'"
check "disasm names args[0].lo" "echo \"\$out\" | grep -q 'A = args\[0\].lo'"

"$SCMPCTL_BIN" simulate "$dir/p.bpf" --arch nosuch --syscall read 2>/dev/null; rc=$?
check "unknown arch: 2" "[ $rc -eq 2 ]"
"$SCMPCTL_BIN" simulate "$dir/p.bpf" --syscall nosuch 2>/dev/null; rc=$?
check "unknown syscall: 2" "[ $rc -eq 2 ]"
"$SCMPCTL_BIN" simulate "$dir/p.bpf" --syscall read --args 1,2,3,4,5,6,7 2>/dev/null; rc=$?
check "seven args: 2" "[ $rc -eq 2 ]"
"$SCMPCTL_BIN" simulate "$dir/trunc.bpf" --syscall read 2>/dev/null; rc=$?
check "truncated file: 1" "[ $rc -eq 1 ]"
err=$("$SCMPCTL_BIN" simulate "$dir/noret.bpf" --syscall read 2>&1); rc=$?
check "invalid program: 1" "[ $rc -eq 1 ]"
check "invalid program names the instruction" "echo \"\$err\" | grep -q 'instruction 4'"
"$SCMPCTL_BIN" disasm "$dir/noret.bpf" >/dev/null 2>&1; rc=$?
check "disasm of an invalid program: 1" "[ $rc -eq 1 ]"
"$SCMPCTL_BIN" disasm "$dir/missing.bpf" 2>/dev/null; rc=$?
check "missing file: 1" "[ $rc -eq 1 ]"
exit $fail
