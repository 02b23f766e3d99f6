#!/bin/bash
# A real container survives scmpd being SIGKILLed: runc and crun start a busybox container whose
# listener goes to scmpd run under fake-systemd (the fd store and socket activation of
# scmpd.service). The container loops over notified syscalls: mkdir (the policy lets it
# continue, so the directory appears) and rmdir (the policy answers EPERM). Meanwhile scmpd is
# killed and restarted several times. Every call must get its policy's answer, never ENOSYS, and
# the container must finish. Usage: restart-e2e.sh FAKE_SYSTEMD. Exit 77 without root, a
# runtime or busybox-static.
set -u
export LC_ALL=C
FAKE=$1
TMO=${E2E_TIMEOUT:-120} # a hang guard per runtime call, generous for a loaded machine
KILLS=${E2E_RESTART_KILLS:-6}
SPID=""
. "$(dirname "$0")/lib.sh"
e2e_require root runtimes busybox notify
e2e_workdir restart-e2e
SOCK=$W/scmpd.sock LOG=$W/scmpd.log EV=$W/events
e2e_cleanup_extra() {
        if [ -n "$SPID" ]; then kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; fi
}

B=$W/bundle R=$W/bundle/rootfs
e2e_rootfs "$R" sh mkdir rmdir grep cat echo sleep
# Each round: mkdir must really create the directory (continue), rmdir must fail with EPERM
# (the policy's errno; ENOSYS would mean nobody supervises the listener any more).
cat >"$R/test.sh" <<'EOS'
i=0
while [ $i -lt 1500 ]; do
        mkdir /tmp/d$i || { echo "E2E: mkdir $i failed"; exit 2; }
        [ -d /tmp/d$i ] || { echo "E2E: /tmp/d$i missing"; exit 3; }
        err=$(rmdir /tmp/d$i 2>&1)
        case "$err" in
        *"not permitted"*) ;;
        *) echo "E2E: rmdir $i: '$err'"; exit 4 ;;
        esac
        i=$((i + 1))
done
echo "E2E: done $i"
EOS
(cd "$B" && timeout 20 runc spec 2>/dev/null) || (cd "$B" && timeout 20 crun spec) ||
        { bad "cannot create a spec"; exit 1; }
python3 - "$B/config.json" "$R" "$SOCK" <<'EOP' || { bad "cannot patch config.json"; exit 1; }
import json, sys
path, rootfs, sock = sys.argv[1:4]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "/test.sh"]
c["root"] = {"path": rootfs, "readonly": True}
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "nodev", "mode=1777", "size=16m"]})
c["linux"]["seccomp"] = {
    "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": sock, "listenerMetadata": "restart-e2e",
    "syscalls": [{"names": ["mkdir", "mkdirat", "rmdir", "unlinkat"], "action": "SCMP_ACT_NOTIFY"}],
}
json.dump(c, open(path, "w"), indent=2)
EOP
cat >"$W/policy.json" <<'EOF'
{ "limits": { "handoff_timeout_ms": 60000 },
  "default": { "errno": "ENOSYS" },
  "policies": [ { "name": "restart", "match": { "metadata": "restart-e2e" },
    "rules": [ { "syscalls": ["mkdir", "mkdirat"], "chain": ["continue"] },
               { "syscalls": ["rmdir", "unlinkat"], "chain": [{ "errno": "EPERM" }] } ] } ] }
EOF

# Control: without the fd store, a SIGKILL of scmpd breaks the container (ENOSYS), so the test
# below can tell survival from luck.
rt=${RUNTIMES# }
rt=${rt%% *}
id="restart-e2e-plain-$$"
"$SCMPD_BIN" --config "$W/policy.json" --listen "$SOCK" --control "$W/control.sock" \
        --foreground --log-target stderr 2>"$W/plain.log" </dev/null &
DPID=$!
for _ in $(seq 2400); do [ -S "$SOCK" ] && break; sleep 0.05; done
CREATED+=("$rt $id")
rt_cmd "$rt" run -b "$B" "$id" >"$W/plain.out" 2>&1 </dev/null &
RPID=$!
# Kill once scmpd serves the container's listener (an event, not a time: a kill before it would
# fail the container's start instead, which is not what this checks).
for _ in $(seq 6000); do
        grep -q 'serving listener' "$W/plain.log" && break
        kill -0 "$RPID" 2>/dev/null || break
        sleep 0.02
done
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
rc=0
wait "$RPID" || rc=$?
if [ $rc -ne 0 ] && grep -q "E2E: .*\(failed\|not implemented\)" "$W/plain.out"; then
        ok "$rt without systemd: killing scmpd breaks the container ($(grep -m1 E2E "$W/plain.out"))"
else
        bad "$rt without systemd: rc=$rc after killing scmpd: $(tail -2 "$W/plain.out")"
fi
rt_cmd "$rt" delete -f "$id" >/dev/null 2>&1
rm -f "$SOCK" "$W/control.sock"

"$FAKE" supervise "$SCMPD_BIN" "$W/policy.json" "$SOCK" "$W/control.sock" "$LOG" >"$EV" 2>&1 &
SPID=$!
for _ in $(seq 2400); do grep -q '^ready' "$EV" && break; sleep 0.05; done
grep -q '^ready' "$EV" || { bad "scmpd under fake-systemd did not get ready: $(cat "$EV")"; exit 1; }

for rt in $RUNTIMES; do
        id="restart-e2e-$rt-$$"
        out=$W/$rt.out
        before=$(grep -c '^restarted' "$EV")
        CREATED+=("$rt $id")
        served=$(grep -c 'serving listener' "$LOG")
        rt_cmd "$rt" run -b "$B" "$id" >"$out" 2>&1 </dev/null &
        RPID=$!
        # The kills start once scmpd holds the container's listener: a kill during the handoff
        # itself loses the accepted connection, and the runtime fails the start (as it must).
        for _ in $(seq 6000); do
                [ "$(grep -c 'serving listener' "$LOG")" -gt "$served" ] && break
                kill -0 "$RPID" 2>/dev/null || break
                sleep 0.02
        done
        # Kill scmpd at irregular moments while the container loops.
        for k in $(seq "$KILLS"); do
                sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
                kill -0 "$RPID" 2>/dev/null || break
                kill -USR1 "$SPID"
                for _ in $(seq 6000); do
                        [ "$(grep -c '^restarted' "$EV")" -ge $((before + k)) ] && break
                        sleep 0.02
                done
                # An adopted listener keeps its runtime name (the fd store records the peer's
                # executable): what the restarted scmpd shows for this container, if it still runs.
                "$SCMPCTL_BIN" listeners --control "$W/control.sock" --json 2>/dev/null |
                        python3 -c 'import json,sys; [print(l["runtime"]) for l in json.load(sys.stdin) if l["container"] == sys.argv[1]]' \
                                "$id" >>"$W/$rt.runtimes" 2>/dev/null
        done
        if [ ! -s "$W/$rt.runtimes" ]; then
                say "note: $rt: the container had ended before a restarted scmpd was asked for its listeners"
        elif [ "$(sort -u "$W/$rt.runtimes")" = "$rt" ]; then
                ok "$rt: after each restart the adopted listener is still named $rt"
        else
                bad "$rt: runtime after a restart: $(sort -u "$W/$rt.runtimes" | tr '\n' ' ')"
        fi
        rc=0
        wait "$RPID" || rc=$?
        kills=$(($(grep -c '^restarted' "$EV") - before))
        say "---- $rt container output (rc=$rc), scmpd killed $kills times while it ran"
        sed 's/^/    /' "$out" | tail -5
        [ "$kills" -ge 2 ] && ok "$rt: scmpd was killed and restarted $kills times during the container" ||
                bad "$rt: the container finished before scmpd could be killed twice ($kills)"
        [ $rc -eq 0 ] && ok "$rt: container exited 0" || bad "$rt: container rc=$rc"
        grep -qx "E2E: done 1500" "$out" && ok "$rt: every mkdir continued and every rmdir got EPERM" ||
                bad "$rt: the container's loop broke: $(grep E2E "$out" | head -3)"
        rt_cmd "$rt" delete -f "$id" >/dev/null 2>&1
done
if grep -q 'refused=[1-9]\|FAIL' "$EV"; then bad "fake-systemd: $(grep 'refused=[1-9]\|FAIL' "$EV" | head -3)"; else ok "every restart adopted every stored listener"; fi
grep -q 'replayed=[1-9]' "$EV" && say "note: some kills hit a notification in flight: $(grep -o 'replayed=[1-9][0-9]*' "$EV" | tr '\n' ' ')"
kill "$SPID"
wait "$SPID"
SPID=""
e2e_finish restart-e2e
