#!/bin/bash
# scmpd under systemd-socket-activate: the handoff and control sockets come from the "service
# manager" as LISTEN_FDS named handoff:control. The first connection starts scmpd; it must serve
# the listener on the passed socket, answer scmpctl on the passed control socket, bind nothing of
# its own, and leave the activated socket paths in place when it stops.
# Usage: socket_activate.sh TARGET. Skips (77) without systemd-socket-activate.
set -u
TARGET=$1
command -v systemd-socket-activate >/dev/null 2>&1 || { echo "no systemd-socket-activate"; exit 77; }
T=$(mktemp -d) || exit 1
SA_PID=
cleanup() {
        [ -n "$SA_PID" ] && kill -9 "$SA_PID" 2>/dev/null && wait "$SA_PID" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
pass=0 fail=0
check() { # DESCRIPTION COMMAND...
        local what=$1
        shift
        if "$@"; then
                pass=$((pass + 1))
        else
                fail=$((fail + 1))
                echo "FAIL: $what"
        fi
}

cat >"$T/scmpd.json" <<EOF
{ "policies": [ { "name": "sa", "match": { "metadata": "activated" },
    "rules": [ { "syscalls": ["getpgid"], "chain": [{ "value": 4242 }] },
               { "syscalls": ["getppid"], "chain": [{ "errno": "EPERM" }] } ] } ] }
EOF

systemd-socket-activate -l "$T/scmpd.sock" -l "$T/control.sock" --fdname=handoff:control \
        "$SCMPD_BIN" --foreground --log-target stderr --config "$T/scmpd.json" \
        --listen "$T/own.sock" --control "$T/own-control.sock" 2>"$T/log" &
SA_PID=$!
for _ in $(seq 2400); do [ -S "$T/control.sock" ] && break; sleep 0.05; done # 120 s: an event, bounded generously

# The first connection activates scmpd (it execs in place of systemd-socket-activate).
check "the activated scmpd serves a listener handed over on the passed socket" \
        timeout -k 2 120 "$TARGET" run "$T/scmpd.sock" --metadata activated \
        getpgid=value:4242 getppid=errno:EPERM
check "scmpd says it uses the activated handoff socket" \
        grep -q "using the socket-activated handoff socket" "$T/log"
check "scmpd says it uses the activated control socket" \
        grep -q "using the socket-activated control socket" "$T/log"
check "scmpctl talks to scmpd over the activated control socket" \
        env SCMPD_CONTROL_SOCKET="$T/control.sock" timeout 120 "$SCMPCTL_BIN" status
check "scmpd binds no socket of its own when activated" \
        test ! -e "$T/own.sock" -a ! -e "$T/own-control.sock"

kill -TERM "$SA_PID"
rc=0
wait "$SA_PID" || rc=$?
SA_PID=
check "scmpd stops cleanly on SIGTERM (rc $rc)" test "$rc" = 0
check "the activated socket paths belong to the service manager and stay" \
        test -S "$T/scmpd.sock" -a -S "$T/control.sock"
[ $fail -eq 0 ] || { echo "--- scmpd log"; tail -n 30 "$T/log"; }
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
