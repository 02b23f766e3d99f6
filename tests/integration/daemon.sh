#!/bin/bash
# scmpd end to end on temporary sockets: forked targets hand their listeners over with the
# library's handoff call and check every verdict from their own side (errno, value, continue,
# kill, string-conditioned rules, deferred and blocking plugin handlers, policy defaults), the
# killed-target race, reload on SIGHUP (kept listeners, refused invalid files), and every kind
# of hostile handoff connection, each closed and logged once without disturbing the others.
# Every check is on what happened, never on how fast: notifications that must be pending at once
# are held by the test plugin's gate (a file this script creates when it is done looking), and
# every wait is for an event, bounded generously (TMO) for a loaded machine under ASan.
# Usage: daemon.sh TARGET PLUGIN_DEFER PLUGIN_BLOCK PLUGIN_BADABI sanitized|plain
set -u
TARGET=$1 PDEFER=$2 PBLOCK=$3 PBAD=$4 SANITIZED=${5:-plain}
pass=0 fail=0
T=$(mktemp -d /tmp/scmpd-it.XXXXXX)
SOCK=$T/scmpd.sock LOG=$T/scmpd.log CONF=$T/scmpd.json
DPID="" BG=()
TMO=120 # the bound on any single wait or run, in seconds

cleanup() {
        local p
        for p in "${BG[@]:+${BG[@]}}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
        if [ -n "$DPID" ]; then kill -9 "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; fi
        rm -rf "$T"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect() { # expect DESCRIPTION WANTED_RC COMMAND...
        local what=$1 want=$2 rc
        shift 2
        "$@"
        rc=$?
        if [ "$rc" -eq "$want" ]; then ok "$what"; else bad "$what (rc=$rc, wanted $want)"; fi
}
run() { timeout -k 2 $TMO "$TARGET" run "$SOCK" "$@"; }
wait_log() { # wait_log PATTERN COUNT [LOGFILE]: until the log has COUNT lines matching PATTERN
        local i
        for i in $(seq 1 $((TMO * 20))); do
                [ "$(grep -cE "$1" "${3:-$LOG}")" -ge "$2" ] && return 0
                sleep 0.05
        done
        return 1
}
wait_sock() { # wait_sock PATH: until scmpd has created its socket
        local i
        for i in $(seq 1 $((TMO * 20))); do [ -S "$1" ] && return 0; sleep 0.05; done
        return 1
}
inflight() { # inflight CONTROL_SOCKET: scmpd's count of notifications in flight
        "$SCMPCTL_BIN" status --socket "$1" 2>/dev/null | sed -n 's/.*, \([0-9]*\) in flight).*/\1/p'
}
wait_inflight() { # wait_inflight N [CONTROL_SOCKET]: until N notifications are in flight
        local i
        for i in $(seq 1 $((TMO * 10))); do
                [ "$(inflight "${2:-$T/control.sock}")" = "$1" ] && return 0
                sleep 0.1
        done
        return 1
}
daemon_alive() { kill -0 "$DPID" 2>/dev/null; }

cat >"$CONF" <<EOF
{
  "limits": { "handoff_timeout_ms": 1000, "inflight_per_listener": 8,
              "handler_timeout_ms": 600000 },
  "handlers": {
    "defer": { "path": "$PDEFER", "config": { "delay_ms": 300, "value": 77 } },
    "block": { "path": "$PBLOCK", "config": { "delay_ms": 100, "value": 88 } }
  },
  "default": { "errno": "ENOSYS" },
  "policies": [
    { "name": "verdicts", "match": { "metadata": "verdicts" },
      "rules": [
        { "syscalls": ["getppid"], "chain": ["audit", { "errno": "EPERM" }] },
        { "syscalls": ["getpgid"], "chain": [{ "value": 4242 }] },
        { "syscalls": ["getsid"], "chain": ["continue"] },
        { "syscalls": ["mkdir"], "strings": [{ "index": 0, "glob": "$T/allowed*" }],
          "chain": ["continue"] },
        { "syscalls": ["mkdir"], "chain": [{ "errno": "EACCES" }] },
        { "syscalls": ["uname"], "chain": ["kill"] }
      ] },
    { "name": "plugins",
      "match": { "container": "plug-*", "annotations": { "org.example.team": "blue" } },
      "rules": [
        { "syscalls": ["getppid"], "chain": ["defer"] },
        { "syscalls": ["getpgid"], "chain": ["block"] },
        { "syscalls": ["mkdir"],
          "chain": [{ "handler": "defer", "config": { "delay_ms": 10, "value": 0 } }] },
        { "syscalls": ["getsid"], "args": [{ "index": 0, "op": "eq", "value": 0 }],
          "chain": ["audit"] }
      ],
      "default": { "errno": "EBUSY" } },
    { "name": "scmpctl", "match": { "metadata": "scmpctl" },
      "rules": [
        { "syscalls": ["mkdir"], "strings": [{ "index": 0, "glob": "$T/run-ok*" }],
          "chain": ["audit", "continue"] },
        { "syscalls": ["mkdirat"], "strings": [{ "index": 1, "glob": "$T/run-ok*" }],
          "chain": ["audit", "continue"] },
        { "syscalls": ["mkdir", "mkdirat"], "chain": [{ "errno": "EACCES" }] }
      ] },
    { "name": "gated", "match": { "container": "gate-*" },
      "rules": [
        { "syscalls": ["getppid"],
          "chain": [{ "handler": "defer", "config": { "gate": "$T/gate-a", "value": 77 } }] },
        { "syscalls": ["getpgid"],
          "chain": [{ "handler": "defer", "config": { "gate": "$T/gate-b", "value": 78 } }] },
        { "syscalls": ["getsid"],
          "chain": [{ "handler": "defer", "config": { "gate": "$T/gate-c", "value": 79 } }] },
        { "syscalls": ["mkdir"],
          "chain": [{ "handler": "defer", "config": { "gate": "$T/gate-d", "value": 0 } }] }
      ] },
    { "name": "hold", "match": { "metadata": "hold" },
      "rules": [ { "syscalls": ["getppid"],
                   "chain": [{ "handler": "defer", "config": { "delay_ms": 1500, "value": 1 } }] } ] }
  ]
}
EOF

# ---- configuration errors are refused at start, with a clear message
echo '{ "policies": [ { "rules": [ { "syscalls": ["no_such_call"], "chain": ["continue"] } ] } ] }' >"$T/bad.json"
out=$("$SCMPD_BIN" --config "$T/bad.json" --check-config 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'unknown syscall "no_such_call"' <<<"$out"; then ok "invalid policy refused: $out"; else bad "invalid policy: rc=$rc $out"; fi
printf '{ "handlers": { "old": { "path": "%s" } }, "policies": [ { "rules": [ { "syscalls": ["getppid"], "chain": ["old"] } ] } ] }' "$PBAD" >"$T/abi.json"
out=$("$SCMPD_BIN" --config "$T/abi.json" --check-config 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'ABI version 99' <<<"$out"; then ok "handler with a foreign ABI refused: $out"; else bad "ABI mismatch: rc=$rc $out"; fi
out=$("$SCMPD_BIN" --config "$T/missing.json" --check-config 2>&1); rc=$?
if [ $rc -ne 0 ]; then ok "an explicit --config that is missing is an error"; else bad "missing --config accepted"; fi
out=$("$SCMPD_BIN" --config "$CONF" --check-config 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "the test policy is valid"; else bad "test policy: $out"; fi

for ex in "$SCMPD_SOURCE_ROOT"/docs/examples/*.json; do
        grep -q '"path"' "$ex" && continue # names a handler object that is not installed here
        grep -q '"defaultAction"' "$ex" && continue # an OCI seccomp profile (tests/bpf/example_profiles.sh)
        out=$("$SCMPD_BIN" --config "$ex" --check-config 2>&1) && ok "example $(basename "$ex") is valid" || bad "example $ex: $out"
done

# ---- start
"$SCMPD_BIN" --config "$CONF" --listen "$SOCK" --control "$T/control.sock" --foreground \
        --log-target stderr --log-level debug 2>>"$LOG" &
DPID=$!
if wait_sock "$SOCK" && wait_sock "$T/control.sock"; then ok "scmpd listens on $SOCK"; else bad "scmpd did not start"; cat "$LOG"; exit 1; fi

# ---- verdicts, seen from the target
expect "errno, value, continue and string-conditioned verdicts" 0 \
        run --metadata verdicts getppid=errno:EPERM getpgid=value:4242 getsid=continue \
        "mkdir:$T/allowed1=continue" "mkdir:$T/denied=errno:EACCES"
[ -d "$T/allowed1" ] && ok "continued mkdir really ran" || bad "continued mkdir did not run"
[ -e "$T/denied" ] && bad "denied mkdir ran" || ok "denied mkdir did not run"
expect "kill verdict kills the target" 137 run --metadata verdicts uname=killed
expect "a listener no policy matches gets the global default" 0 \
        run --metadata nobody getppid=errno:ENOSYS getsid=errno:ENOSYS
expect "deferred, blocking and string-reading plugin handlers; policy default" 0 \
        run --id plug-1 --annotation org.example.team=blue getppid=value:77 getpgid=value:88 \
        "mkdir:$T/p=value:0" getsid=errno:EBUSY
expect "annotation globs decide the policy" 0 \
        run --id plug-2 --annotation org.example.team=red getppid=errno:ENOSYS
expect "a second fd that is not named is closed, the named one served" 0 \
        timeout -k 2 $TMO "$TARGET" good-extra-fd "$SOCK" --metadata verdicts getppid=errno:EPERM
grep -q 'SCMPD_SYSCALL=getppid' "$LOG" && ok "audit logged with structured fields" || bad "no audit line"
grep -qE 'decided mkdir by tid [0-9]+: errno:EACCES \(errno\).*SCMPD_SYSCALL=mkdir SCMPD_TID=[0-9]+ SCMPD_VERDICT=errno:EACCES SCMPD_HANDLER=errno' "$LOG" &&
        ok "each decision is logged with its verdict and handler" || bad "no decision log line"

# Deferred answers never block the loop: four targets' notifications are deferred at once (all
# four in flight together, held by the gate), a fifth target is answered meanwhile, then the
# gate opens and all four get their answers.
pids=()
for i in 1 2 3 4; do
        run --id gate-c$i getppid=value:77 &
        pids+=($!)
        BG+=($!)
done
if wait_inflight 4; then ok "4 deferred notifications in flight at once"; else bad "deferred notifications in flight: $(inflight "$T/control.sock"), wanted 4"; fi
expect "another listener is answered while 4 answers are deferred" 0 run --metadata verdicts getpgid=value:4242
touch "$T/gate-a"
rcs=0
for p in "${pids[@]}"; do wait "$p" || rcs=$((rcs + 1)); done
if [ $rcs -eq 0 ]; then ok "4 concurrent deferred answers delivered"; else bad "concurrent deferred: $rcs failed"; fi

# ---- scmpctl run: the child loads the filter, the parent hands the listener over
if [ "$SANITIZED" = sanitized ]; then
        echo "skip: scmpctl run (its child would load a filter under a sanitizer runtime)"
else
        expect "scmpctl run: an allowed mkdir runs" 0 timeout -k 2 $TMO "$SCMPCTL_BIN" run --socket "$SOCK" --metadata scmpctl -- mkdir "$T/run-ok1"
        [ -d "$T/run-ok1" ] && ok "scmpctl run: the directory exists" || bad "scmpctl run: no directory"
        out=$(timeout -k 2 $TMO "$SCMPCTL_BIN" run --socket "$SOCK" --metadata scmpctl -- mkdir "$T/run-no" 2>&1); rc=$?
        if [ $rc -eq 1 ] && grep -q 'Permission denied' <<<"$out" && [ ! -e "$T/run-no" ]; then ok "scmpctl run: a denied mkdir fails with EACCES"; else bad "scmpctl run denied: rc=$rc $out"; fi
        cat >"$T/profile.json" <<EOF
{ "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "$SOCK", "listenerMetadata": "scmpctl",
  "syscalls": [ { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY" } ] }
EOF
        expect "scmpctl run --profile uses the profile's listenerPath and metadata" 0 timeout -k 2 $TMO "$SCMPCTL_BIN" run --profile "$T/profile.json" -- mkdir "$T/run-ok2"
        [ -d "$T/run-ok2" ] && ok "scmpctl run --profile: the directory exists" || bad "scmpctl run --profile: no directory"
        out=$(timeout -k 2 $TMO "$SCMPCTL_BIN" run --socket "$T/nobody.sock" -- true 2>&1); rc=$?
        if [ $rc -eq 1 ] && grep -q 'cannot hand the listener' <<<"$out"; then ok "scmpctl run without scmpd fails: $out"; else bad "scmpctl run without scmpd: rc=$rc $out"; fi
        expect "scmpctl run passes the exit status" 3 timeout -k 2 $TMO "$SCMPCTL_BIN" run --socket "$SOCK" -- sh -c 'exit 3'
        # The RUNTIME of its listener is scmpctl: the executable that handed it over (attested).
        timeout -k 2 $TMO "$SCMPCTL_BIN" run --socket "$SOCK" --id rt-scmpctl -- \
                sh -c "while [ ! -e '$T/rt-go' ]; do sleep 0.1; done" &
        rtp=$!
        rtj() { "$SCMPCTL_BIN" listeners --control "$T/control.sock" --json 2>/dev/null |
                python3 -c 'import json,sys; print(" ".join(l["runtime"] for l in json.load(sys.stdin) if l["container"] == "rt-scmpctl"))'; }
        for _ in $(seq 1 1200); do [ -n "$(rtj)" ] && break; sleep 0.1; done
        got=$(rtj)
        [ "$got" = scmpctl ] && ok "scmpctl run: listeners names its runtime scmpctl" || bad "scmpctl run: runtime '$got', wanted scmpctl"
        touch "$T/rt-go"
        wait $rtp || bad "scmpctl run (runtime case) failed"
fi

# ---- in-flight cap and per-thread order
ms_of() { local t0 rc; t0=$(date +%s%N); "$@"; rc=$?; ELAPSED=$((($(date +%s%N) - t0) / 1000000)); return $rc; }
run --id gate-t --threads 4 getpgid=value:78 &
threads=$!
BG+=($threads)
if wait_inflight 4; then ok "4 threads of one listener deferred at once (cap 8)"; else bad "4 threads of one listener: $(inflight "$T/control.sock") in flight, wanted 4"; fi
touch "$T/gate-b"
expect "4 threads of one listener all answered" 0 wait $threads
# A lower bound on time is a correctness condition here: 4 answers of 300 ms each, given one at
# a time, cannot take less than 1.2 s however fast or slow the machine is.
cat >"$T/cap.json" <<EOF
{ "limits": { "inflight_per_listener": 1, "connections": 1, "handoff_timeout_ms": 3000 },
  "handlers": { "defer": { "path": "$PDEFER", "config": { "delay_ms": 300, "value": 77 } } },
  "policies": [ { "rules": [ { "syscalls": ["getppid"], "chain": ["defer"] } ] } ] }
EOF
"$SCMPD_BIN" --config "$T/cap.json" --listen "$T/cap.sock" --control "$T/cap-control.sock" \
        --foreground --log-target stderr --log-level debug 2>>"$T/cap.log" &
CAPPID=$!
BG+=($CAPPID)
wait_sock "$T/cap.sock"
wait_sock "$T/cap-control.sock"
if ms_of timeout -k 2 $TMO "$TARGET" run "$T/cap.sock" --threads 4 getppid=value:77 && [ $ELAPSED -ge 1150 ]; then
        ok "with inflight_per_listener 1 the 4 threads are served one at a time (${ELAPSED} ms)"
else bad "inflight cap not applied (${ELAPSED} ms)"; cat "$T/cap.log"; fi
# At limits.connections new peers wait in the backlog instead of being refused: a silent peer
# holds the only slot until its timeout (3 s), and a good handoff behind it still succeeds,
# accepted only once the silent peer was closed.
timeout -k 2 $TMO "$TARGET" bad silent "$T/cap.sock" &
silent=$!
for i in $(seq 1 $((TMO * 10))); do
        "$SCMPCTL_BIN" status --socket "$T/cap-control.sock" 2>/dev/null |
                grep -q ' 1 handoff connections' && break
        sleep 0.1
done
if timeout -k 2 $TMO "$TARGET" run "$T/cap.sock" getppid=value:77 &&
        grep -q 'the rest wait in the backlog' "$T/cap.log" &&
        grep -E 'timed out without sending anything|serving listener' "$T/cap.log" | tail -2 |
        head -1 | grep -q 'timed out'; then
        ok "a handoff waits in the backlog while the connection limit is reached"
else bad "connection backpressure"; cat "$T/cap.log"; fi
wait $silent
kill $CAPPID; wait $CAPPID 2>/dev/null
# A held syscall interrupted by a signal with SA_RESTART comes back as a new notification from
# the same thread: it waits until the old one is answered (ENOENT), then gets its own answer.
if ms_of run --metadata hold --restart-signal 300 getppid=value:1 && [ $ELAPSED -ge 2800 ]; then
        ok "a restarted syscall is answered after its interrupted predecessor (${ELAPSED} ms)"
else bad "restarted syscall: ${ELAPSED} ms"; fi
grep -q 'has an earlier notification; holding' "$LOG" && ok "the newer notification of the thread was held" || bad "no hold logged"

# ---- the target dies while its notification is held by a handler (the gate opens after)
"$TARGET" run "$SOCK" --id gate-v getsid=value:79 &
victim=$!
BG+=($victim)
wait_inflight 1 || bad "the victim's notification never got to the handler"
kill -9 $victim
wait $victim 2>/dev/null
touch "$T/gate-c"
if wait_log 'gone before its answer' 1; then ok "a target killed mid-handling is ENOENT, logged at debug"; else bad "no ENOENT after the killed target"; fi
daemon_alive && ok "scmpd survived the killed target" || bad "scmpd died"
expect "serving continues after the race" 0 run --metadata verdicts getppid=errno:EPERM

# ---- hostile connections, while a good listener waits
run --metadata verdicts --wait-file "$T/go" getppid=errno:EPERM getpgid=value:4242 &
held=$!
BG+=($held)
before=$(grep -cE 'handoff connection [0-9]+ \(peer pid' "$LOG")
modes="nofd twonamed toomanyfds notseccomp big garbage half slow silent"
for m in $modes; do
        expect "hostile connection '$m' is closed by scmpd" 0 timeout -k 2 $TMO "$TARGET" bad "$m" "$SOCK"
done
wait_log 'handoff connection [0-9]+ \(peer pid' $((before + 9)) || true
after=$(grep -cE 'handoff connection [0-9]+ \(peer pid' "$LOG")
if [ $((after - before)) -eq 9 ]; then ok "each hostile connection logged exactly once"; else bad "hostile connections logged $((after - before)) times, wanted 9"; grep -E 'handoff connection' "$LOG" | tail -12; fi
for pat in 'no fd is named seccompFd|seccompFd names an fd' 'more than one fd is named seccompFd' \
        'control data truncated|more fds than allowed' 'not a seccomp listener' 'larger than the limit' \
        'garbage' 'closed before the payload was complete' 'timed out before the payload' \
        'timed out without sending anything'; do
        grep -qE "$pat" "$LOG" && ok "logged: $pat" || bad "not logged: $pat"
done
touch "$T/go"
expect "the waiting listener was not disturbed" 0 wait $held
daemon_alive && ok "scmpd alive after hostile input" || bad "scmpd died on hostile input"

# ---- reload: the listener stays, the new policy applies to it; a bad file changes nothing
n=$(grep -c 'serving listener.*policy verdicts' "$LOG")
run --metadata verdicts --wait-file "$T/go2" getppid=value:99 &
held=$!
BG+=($held)
wait_log 'serving listener.*policy verdicts' $((n + 1)) ||
        bad "the held listener was not handed over"
sed -i 's/"chain": \["audit", { "errno": "EPERM" }\]/"chain": [{ "value": 99 }]/' "$CONF"
kill -HUP $DPID
if wait_log 'policy reloaded' 1; then ok "SIGHUP reloads"; else bad "no reload"; fi
touch "$T/go2"
expect "a listener handed over before the reload follows the new policy" 0 wait $held
cp "$CONF" "$T/good.json"
echo '{ "default": { "errno": "EWHAT" } }' >"$CONF"
kill -HUP $DPID
if wait_log 'reload refused.*unknown errno name "EWHAT"' 1; then ok "an invalid reload is refused with the reason"; else bad "invalid reload not refused"; fi
expect "the previous policy stays in force" 0 run --metadata verdicts getppid=value:99
daemon_alive && ok "scmpd alive after reloads" || bad "scmpd died on reload"

# ---- stop, with a deferred answer still pending: scmpd stops taking work, waits for the
# handler's answer, delivers it, and only then exits
"$TARGET" run "$SOCK" --id gate-s "mkdir:$T/late=value:0" &
late=$!
BG+=($late)
wait_inflight 1 || bad "the late notification never got to the handler"
kill -TERM $DPID
wait_log 'stopping|shutting down|SIGTERM' 1 || true
touch "$T/gate-d"
expect "a deferred answer pending at SIGTERM is still delivered" 0 wait $late
wait $DPID
rc=$?
DPID=""
if [ $rc -eq 0 ]; then ok "SIGTERM stops scmpd cleanly"; else bad "scmpd exit status $rc"; tail -20 "$LOG"; fi

echo "daemon: $pass passed, $fail failed"
[ $fail -eq 0 ] || { echo "---- scmpd log"; tail -60 "$LOG"; }
[ $fail -eq 0 ]
