#!/bin/sh
# The built binaries start, report the project version and the Linux release their syscall
# tables follow, and reject bad options with exit 2.
set -u
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }

want="$1"
# What the tables' generator recorded (lib/arch/tables/syscalls-gen.h), read independently.
linux=$(sed -n 's/^#define SCMPD_GEN_LINUX_VERSION "\(.*\)"$/\1/p' \
        "$SCMPD_SOURCE_ROOT/lib/arch/tables/syscalls-gen.h")
check "the generated tables record a Linux release ($linux)" \
        "printf '%s' '$linux' | grep -Eq '^[0-9]+\.[0-9]+$'"
out=$("$SCMPD_BIN" --version); rc=$?
check "scmpd --version exits 0" "[ $rc -eq 0 ]"
check "scmpd --version prints '$want'" "[ \"\$(printf '%s\n' \"\$out\" | head -1)\" = 'scmpd $want' ]"
check "scmpd --version names the tables' Linux $linux" \
        "[ \"\$(printf '%s\n' \"\$out\" | sed -n 2p)\" = 'syscall tables: Linux $linux' ]"
out=$("$SCMPCTL_BIN" --version); rc=$?
check "scmpctl --version exits 0" "[ $rc -eq 0 ]"
check "scmpctl --version prints '$want'" "[ \"\$(printf '%s\n' \"\$out\" | head -1)\" = 'scmpctl $want' ]"
check "scmpctl --version names the tables' Linux $linux" \
        "[ \"\$(printf '%s\n' \"\$out\" | sed -n 2p)\" = 'syscall tables: Linux $linux' ]"
# status: the library's facts show even when no scmpd answers (exit 3: not running).
t=$(mktemp -d) || exit 1
out=$("$SCMPCTL_BIN" status --socket "$t/none.sock" 2>/dev/null); rc=$?
rmdir "$t"
check "scmpctl status without scmpd exits 3 (got $rc)" "[ $rc -eq 3 ]"
check "scmpctl status without scmpd names the tables' Linux $linux" \
        "[ \"\$out\" = 'scmpctl $want, syscall tables of Linux $linux' ]"
"$SCMPD_BIN" --no-such-option >/dev/null 2>&1; rc=$?
check "scmpd rejects an unknown option with 2" "[ $rc -eq 2 ]"
"$SCMPCTL_BIN" no-such-command >/dev/null 2>&1; rc=$?
check "scmpctl rejects an unknown command with 2" "[ $rc -eq 2 ]"
exit $fail
