#!/bin/sh
# scmpctl compile end to end: Docker's default profile to raw BPF, statistics and PFC for a
# chosen target, decisions checked with scmpctl simulate, and clear failures (exit 1 for a bad
# profile, 2 for bad usage).
set -u
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
docker="$SCMPD_SOURCE_ROOT/tests/data/docker-default.json"
sim() { "$SCMPCTL_BIN" simulate "$1" --arch "$2" --syscall "$3" ${4:+--args "$4"} | sed -n 's/^action: //p'; }

"$SCMPCTL_BIN" compile "$docker" --arch x86_64 --kernel 6.18 -o "$dir/plain.bpf"; rc=$?
check "compile -o exits 0" "[ $rc -eq 0 ]"
size=$(wc -c < "$dir/plain.bpf")
check "whole instructions" "[ $size -gt 0 ] && [ $((size % 8)) -eq 0 ]"
check "read is ALLOW" "[ \"\$(sim $dir/plain.bpf x86_64 read)\" = ALLOW ]"
check "mount is ERRNO(1)" "[ \"\$(sim $dir/plain.bpf x86_64 mount)\" = 'ERRNO(1)' ]"
check "x86 is in the filter" "[ \"\$(sim $dir/plain.bpf x86 read)\" = ALLOW ]"
check "clone3 is ENOSYS without CAP_SYS_ADMIN" \
    "[ \"\$(sim $dir/plain.bpf x86_64 clone3)\" = 'ERRNO(38)' ]"
check "runc's stub: cachestat is ENOSYS" \
    "[ \"\$(sim $dir/plain.bpf x86_64 cachestat)\" = 'ERRNO(38)' ]"
check "personality(0xffffffff) is ALLOW" \
    "[ \"\$(sim $dir/plain.bpf x86_64 personality 0xffffffff)\" = ALLOW ]"
check "personality(5) is ERRNO(1)" "[ \"\$(sim $dir/plain.bpf x86_64 personality 5)\" = 'ERRNO(1)' ]"

"$SCMPCTL_BIN" compile "$docker" --caps sys_admin,CAP_SYS_PTRACE --kernel 6.18 -o "$dir/admin.bpf"
check "--caps sys_admin allows mount" "[ \"\$(sim $dir/admin.bpf x86_64 mount)\" = ALLOW ]"
check "--caps CAP_SYS_PTRACE allows kcmp" "[ \"\$(sim $dir/admin.bpf x86_64 kcmp)\" = ALLOW ]"
"$SCMPCTL_BIN" compile "$docker" --kernel 4.7 -o "$dir/old.bpf"
check "--kernel 4.7 drops ptrace (minKernel 4.8)" \
    "[ \"\$(sim $dir/old.bpf x86_64 ptrace)\" = 'ERRNO(1)' ]"
"$SCMPCTL_BIN" compile "$docker" --kernel 6.18 --no-enosys-stub -o "$dir/nostub.bpf"
check "--no-enosys-stub: cachestat takes the default" \
    "[ \"\$(sim $dir/nostub.bpf x86_64 cachestat)\" = 'ERRNO(1)' ]"
"$SCMPCTL_BIN" compile "$docker" --arch aarch64 --kernel 6.18 -o "$dir/arm.bpf"
check "--arch aarch64: arm is in, x86_64 is not" \
    "[ \"\$(sim $dir/arm.bpf arm read)\" = ALLOW ] && [ \"\$(sim $dir/arm.bpf x86_64 read)\" = KILL_THREAD ]"

out=$("$SCMPCTL_BIN" compile "$docker" --kernel 6.18 --stats); rc=$?
check "--stats exits 0" "[ $rc -eq 0 ]"
check "--stats gives the length with the stub" \
    "echo \"\$out\" | grep -q '^program: [0-9]* instructions ([0-9]* of them runc'"
check "--stats has a row per arch" \
    "[ \$(echo \"\$out\" | grep -cE '^(x86_64|x86|x32) +[0-9]+ +[0-9.]+ +[0-9]+ +[0-9]+$') -eq 3 ]"
out=$("$SCMPCTL_BIN" compile "$docker" --pfc); rc=$?
check "--pfc exits 0" "[ $rc -eq 0 ]"
check "--pfc names syscalls" "echo \"\$out\" | grep -q 'syscall \"read\"'"

printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":7,"value":1,"op":"SCMP_CMP_EQ"}]}]}' > "$dir/bad.json"
err=$("$SCMPCTL_BIN" compile "$dir/bad.json" --stats 2>&1); rc=$?
check "bad profile: 1" "[ $rc -eq 1 ]"
check "bad profile: one clear message" \
    "[ \"\$err\" = \"scmpctl: $dir/bad.json: syscalls[0].args[0].index: 7 is out of range (0-5)\" ]"
printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["nosuch","read"],"action":"SCMP_ACT_LOG"}]}' > "$dir/warn.json"
err=$("$SCMPCTL_BIN" compile "$dir/warn.json" -o "$dir/warn.bpf" 2>&1); rc=$?
check "unknown syscall: warning, exit 0" \
    "[ $rc -eq 0 ] && [ \"\$err\" = 'scmpctl: warning: syscalls[0].names[0]: unknown syscall \"nosuch\" skipped' ]"
printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["write"],"action":"SCMP_ACT_NOTIFY"}]}' > "$dir/notify.json"
"$SCMPCTL_BIN" compile "$dir/notify.json" --stats 2>/dev/null; rc=$?
check "NOTIFY on write: 1" "[ $rc -eq 1 ]"
"$SCMPCTL_BIN" compile "$dir/nosuch.json" --stats 2>/dev/null; rc=$?
check "missing file: 1" "[ $rc -eq 1 ]"
"$SCMPCTL_BIN" compile "$docker" 2>/dev/null; rc=$?
check "no output mode: 2" "[ $rc -eq 2 ]"
"$SCMPCTL_BIN" compile "$docker" --pfc --stats 2>/dev/null; rc=$?
check "two output modes: 2" "[ $rc -eq 2 ]"
"$SCMPCTL_BIN" compile "$docker" --arch vax --stats 2>/dev/null; rc=$?
check "unknown arch: 2" "[ $rc -eq 2 ]"
"$SCMPCTL_BIN" compile "$docker" --kernel 6 --stats 2>/dev/null; rc=$?
check "bad kernel version: 2" "[ $rc -eq 2 ]"
exit $fail
