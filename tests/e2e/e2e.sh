#!/bin/bash
# e2e: Debian's runc and crun start a busybox container whose seccomp profile sets
# linux.seccomp.listenerPath to the built scmpd's socket; scmpd must receive each runtime's
# handoff and serve the container's notifications by policy (mkdir and uname continue, mount on
# /mnt is emulated, any other mount is refused). Without scmpd listening, the runtime must fail
# fast. crun gets the hybrid-cgroup workaround only where this machine needs it. Every runtime
# call is bounded by a timeout; containers, scmpd and scratch files are always cleaned up.
# Exit 77 (skip) when neither runtime, busybox-static or root is available.
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
TMO=${E2E_TIMEOUT:-120} # a hang guard per runtime call, generous for a loaded machine
DPID=""
. "$HERE/lib.sh"
e2e_require root runtimes busybox notify
e2e_workdir e2e
SOCK=$W/scmpd.sock LOG=$W/scmpd.log
e2e_cleanup_extra() {
        if [ -n "$DPID" ]; then kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; fi
}

# ---- rootfs and bundle
B=$W/bundle R=$W/bundle/rootfs
e2e_rootfs "$R" sh mkdir mount uname grep cat echo sleep
cat >"$R/test.sh" <<'EOS'
echo "E2E: start"
if mkdir /tmp/x; then echo "E2E: mkdir rc=0"; else echo "E2E: mkdir rc=$?"; fi
[ -d /tmp/x ] && echo "E2E: /tmp/x exists"
mount -t tmpfs none /mnt; echo "E2E: mount rc=$?"
if grep -q ' /mnt ' /proc/mounts; then echo "E2E: /mnt really mounted"; else echo "E2E: /mnt not mounted (emulated)"; fi
mount -t tmpfs none /tmp/x; echo "E2E: other mount rc=$?"
echo "E2E: uname=$(uname -s)"
echo "E2E: done"
EOS
(cd "$B" && timeout 20 runc spec 2>/dev/null) || (cd "$B" && timeout 20 crun spec) ||
        { bad "cannot create a spec"; exit 1; }
python3 - "$B/config.json" "$R" "$SOCK" <<'EOP' || { bad "cannot patch config.json"; exit 1; }
import json, sys
path, rootfs, sock = sys.argv[1:4]
c = json.load(open(path))
c["annotations"] = {"org.example.e2e": "yes"}
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "/test.sh"]
c["root"] = {"path": rootfs, "readonly": True}
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "nodev", "mode=1777", "size=16m"]})
c["linux"]["seccomp"] = {
    "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": sock, "listenerMetadata": "scmpd-e2e",
    "syscalls": [{"names": ["mkdir", "mkdirat", "mount", "uname"], "action": "SCMP_ACT_NOTIFY"}],
}
json.dump(c, open(path, "w"), indent=2)
EOP
cp "$HERE/policy.json.in" "$W/policy.json"
# A second bundle whose init just sleeps, for `exec`: every exec'd process gets its own filter,
# listener and handoff connection.
mkdir -p "$W/bundle-exec"
python3 - "$B/config.json" "$W/bundle-exec/config.json" <<'EOP' || { bad "cannot write the exec bundle"; exit 1; }
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/bin/sleep", "60"]
json.dump(c, open(sys.argv[2], "w"), indent=2)
EOP

start_scmpd() { e2e_start_scmpd "$W/policy.json"; }
stop_scmpd() { e2e_stop_scmpd; }

for rt in $RUNTIMES; do
        id="e2e-$rt-$$"
        out=$W/$rt.out

        # Negative control: nobody listening, so the runtime must refuse to start.
        rm -f "$SOCK"
        CREATED+=("$rt $id-noagent")
        rt_cmd "$rt" run -b "$B" "$id-noagent" >"$W/$rt-noagent.out" 2>&1 </dev/null
        rc=$?
        if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $rc -ne 137 ] && ! grep -q 'E2E: start' "$W/$rt-noagent.out"; then
                ok "$rt: without scmpd the container does not start (rc=$rc)"
        else
                bad "$rt: without scmpd rc=$rc: $(head -c 300 "$W/$rt-noagent.out")"
        fi
        rt_cmd "$rt" delete -f "$id-noagent" >/dev/null 2>&1

        : >"$LOG"
        start_scmpd || { bad "$rt: scmpd did not start"; continue; }
        CREATED+=("$rt $id")
        rt_cmd "$rt" run -b "$B" "$id" >"$out" 2>&1 </dev/null
        rc=$?
        # The listener hangs up once the container's tasks are gone.
        for _ in $(seq 1 2400); do grep -q 'listener closed: no task' "$LOG" && break; sleep 0.05; done
        stop_scmpd
        say "---- $rt container output (rc=$rc)"
        sed 's/^/    /' "$out"
        [ $rc -eq 0 ] && ok "$rt: container exited 0" || bad "$rt: container rc=$rc"
        for want in "E2E: mkdir rc=0" "E2E: /tmp/x exists" "E2E: mount rc=0" \
                "E2E: /mnt not mounted (emulated)" "E2E: other mount rc=1" "E2E: uname=Linux" "E2E: done"; do
                grep -qxF "$want" "$out" && ok "$rt: container printed '$want'" || bad "$rt: container did not print '$want'"
        done
        chk() { grep -qE "$2" "$LOG" && ok "$rt: scmpd $1" || bad "$rt: scmpd $1 (no /$2/ in its log)"; }
        chk "took the runtime's listener under policy e2e" "serving listener of pid [0-9]+ \\(creating\\), policy e2e SCMPD_SESSION=[0-9]+ SCMPD_CONTAINER_ID=$id SCMPD_METADATA=scmpd-e2e"
        chk "audited mkdir(/tmp/x)" "audit: mkdir.*SCMPD_ARG0_STRING=/tmp/x"
        chk "audited the emulated mount on /mnt" "audit: mount.*SCMPD_ARG1_STRING=/mnt"
        chk "audited uname" "audit: uname"
        chk "saw the listener hang up when the container ended" "listener closed: no task uses the filter any more.*$id"
        if grep -qE 'warning|error' "$LOG"; then bad "$rt: scmpd logged warnings: $(grep -E 'warning|error' "$LOG" | head -3)"; else ok "$rt: scmpd logged no warnings"; fi
        rt_cmd "$rt" delete -f "$id" >/dev/null 2>&1

        # Detached container plus two execs: three listeners of one container, each served.
        xid="e2e-$rt-exec-$$"
        : >"$LOG.exec"
        mv "$LOG" "$LOG.run"
        start_scmpd || { bad "$rt: scmpd did not start for exec"; continue; }
        CREATED+=("$rt $xid")
        rt_cmd "$rt" run -d -b "$W/bundle-exec" "$xid" >"$W/$rt-exec.out" 2>&1 </dev/null
        rc=$?
        [ $rc -eq 0 ] && ok "$rt: detached container started" || bad "$rt: run -d rc=$rc: $(head -c 300 "$W/$rt-exec.out")"
        for n in 1 2; do
                got=$(rt_cmd "$rt" exec "$xid" /bin/sh -c "mkdir /tmp/e$n && echo exec$n-ok && uname -s" 2>&1 </dev/null)
                rc=$?
                if [ $rc -eq 0 ] && grep -qx "exec$n-ok" <<<"$got" && grep -qx Linux <<<"$got"; then
                        ok "$rt: exec $n served (mkdir and uname)"
                else
                        bad "$rt: exec $n rc=$rc: $got"
                fi
        done
        rt_cmd "$rt" delete -f "$xid" >/dev/null 2>&1
        for _ in $(seq 1 2400); do [ "$(grep -c "listener closed.*$xid" "$LOG")" -ge 3 ] && break; sleep 0.05; done
        stop_scmpd
        n_sessions=$(grep -cE "serving listener of pid [0-9]+ \((creating|running)\), policy e2e .*CONTAINER_ID=$xid" "$LOG")
        [ "$n_sessions" -eq 3 ] && ok "$rt: init and two execs came as three handoffs" || bad "$rt: $n_sessions handoffs for init + 2 execs"
        grep -qE "serving listener of pid [0-9]+ \(running\).*CONTAINER_ID=$xid" "$LOG" && ok "$rt: exec handoffs say status running" || bad "$rt: no running-status handoff"
        [ "$(grep -c "listener closed.*$xid" "$LOG")" -ge 3 ] && ok "$rt: all three listeners ended with the container" || bad "$rt: listeners left open"
        grep -qE 'SCMPD_ARG0_STRING=/tmp/e2' "$LOG" && ok "$rt: the second exec's mkdir was audited" || bad "$rt: no audit of exec mkdir"
        cat "$LOG" >>"$LOG.run"
        mv "$LOG.run" "$LOG"
        say "---- scmpd log ($rt)"
        sed 's/^/    /' "$LOG" | head -40
done

left=$(for rt in $RUNTIMES; do timeout 20 "$rt" list -q 2>/dev/null; done | grep -c "^e2e-.*-$$" || true)
[ "$left" -eq 0 ] && ok "no containers left behind" || bad "$left containers left behind"
e2e_finish e2e
