#!/bin/sh
# The built binaries start, report the project version and reject bad options with exit 2.
set -u
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }

want="$1"
out=$("$SCMPD_BIN" --version); rc=$?
check "scmpd --version exits 0" "[ $rc -eq 0 ]"
check "scmpd --version prints '$want'" "[ \"\$out\" = 'scmpd $want' ]"
out=$("$SCMPCTL_BIN" --version); rc=$?
check "scmpctl --version exits 0" "[ $rc -eq 0 ]"
check "scmpctl --version prints '$want'" "[ \"\$out\" = 'scmpctl $want' ]"
"$SCMPD_BIN" --no-such-option >/dev/null 2>&1; rc=$?
check "scmpd rejects an unknown option with 2" "[ $rc -eq 2 ]"
"$SCMPCTL_BIN" no-such-command >/dev/null 2>&1; rc=$?
check "scmpctl rejects an unknown command with 2" "[ $rc -eq 2 ]"
exit $fail
