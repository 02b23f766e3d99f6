#!/bin/bash
# e2e for the LXC proxy intake (docs/lxc.md): a real LXC 5 container (lxc-start -F, a busybox
# rootfs copied per run, CAP_SYS_ADMIN dropped) whose seccomp policy notifies mkdir, mkdirat,
# mount and umount2 through lxc.seccomp.notify.proxy to the built scmpd, configured by
# docs/examples/lxc.json (only the proxy path and the container name changed). Inside: mkdir under /forbidden is answered
# EACCES by the policy, another mkdir runs (continue), and `mount -t tmpfs none /mnt` is emulated
# by the mount handler through the listener LXC passes (ID_VALID and the helper): the tmpfs is in
# the container's mount table with the forced nosuid,nodev and not in the host's; `scmpctl
# listeners` names the listener's runtime lxc, and monitor, stats and audit see its calls (with
# SCMPCTL_BIN). Without scmpd
# the same container cannot start (LXC needs its proxy). Every lxc call is bounded by a timeout;
# the container, scmpd and scratch files are always cleaned up. Exit 77 when root, lxc-start,
# busybox-static or user_notif is missing, or LXC cannot start a plain container here.
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${SCMPD_SOURCE_ROOT:-$HERE/../..}
TMO=${E2E_TIMEOUT:-120}
PREFIX=${E2E_LXC_PREFIX:-lxc-e2e}
DPID=""
. "$HERE/lib.sh"
e2e_require root
[ -n "${SCMPD_BIN:-}" ] && [ -x "$SCMPD_BIN" ] || { say "skip: SCMPD_BIN is not set"; exit 77; }
command -v lxc-start >/dev/null || { say "skip: lxc is not installed (lxc-start)"; exit 77; }
e2e_require busybox notify
e2e_workdir lxc-e2e
SOCK=$W/lxc.sock LOG=$W/scmpd.log NAME=$PREFIX-$$
e2e_cleanup_extra() {
        [ -n "${MON:-}" ] && { kill "$MON" 2>/dev/null; wait "$MON" 2>/dev/null; }
        timeout -k 5 20 lxc-stop -P "$W" -n "$NAME" -k >/dev/null 2>&1 || true
        if [ -n "$DPID" ]; then kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; fi
}

# ---- a rootfs (LXC writes into it: one per run) and the container's configuration
R=$W/rootfs
e2e_rootfs "$R" sh mkdir mount umount grep cat echo sleep
mkdir -p "$R/forbidden" "$W/gate" "$R/gate"
cat >"$R/test.sh" <<'EOS'
echo "E2E: start"
mkdir /forbidden/x; echo "E2E: mkdir forbidden rc=$?"
mkdir /tmp/ok; echo "E2E: mkdir tmp rc=$?"
[ -d /tmp/ok ] && echo "E2E: /tmp/ok exists"
mount -t tmpfs -o size=1m none /mnt; echo "E2E: mount rc=$?"
grep -q ' /mnt tmpfs [^ ]*nosuid,nodev' /proc/mounts && echo "E2E: /mnt is a tmpfs (nosuid,nodev)"
echo hello >/mnt/f && echo "E2E: wrote /mnt/f=$(cat /mnt/f)"
echo "E2E: waiting"
# Until the host has looked at the mount tables (it creates /gate/go): an event, not a time.
i=0; while [ ! -e /gate/go ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
umount /mnt; echo "E2E: umount rc=$?"
mount -t proc proc /mnt; echo "E2E: proc mount rc=$?"
echo "E2E: done"
EOS
cat >"$W/seccomp" <<'EOS'
2
denylist
mkdir notify
mkdirat notify
mount notify
umount2 notify
EOS
conf() { # conf FILE PROXY: the container's configuration, with the proxy lines if PROXY is set
        cat >"$1" <<EOC
lxc.uts.name = e2e
lxc.rootfs.path = dir:$R
lxc.net.0.type = empty
lxc.mount.auto = proc:mixed sys:ro
lxc.mount.entry = tmpfs tmp tmpfs rw,nosuid,nodev,size=16m,create=dir 0 0
lxc.mount.entry = $W/gate gate none bind,ro,create=dir 0 0
lxc.console.path = none
lxc.tty.max = 0
lxc.cap.drop = sys_admin
lxc.init.cmd = /bin/sh /test.sh
EOC
        [ -n "$2" ] && cat >>"$1" <<EOC
lxc.seccomp.profile = $W/seccomp
lxc.seccomp.notify.proxy = unix:$2
lxc.seccomp.notify.cookie = scmpd-web
EOC
        return 0
}
lxc_run() { # lxc_run CONF OUT: the container in the foreground, bounded
        timeout -k 5 "$TMO" lxc-start -P "$W" -n "$NAME" -f "$1" -F >"$2" 2>&1 </dev/null
}

# ---- can LXC run a plain container here at all?
conf "$W/plain.conf" ""
printf 'echo E2E: plain\n' >"$W/plain.sh"
cp "$R/test.sh" "$W/test.sh"
cp "$W/plain.sh" "$R/test.sh"
if ! lxc_run "$W/plain.conf" "$W/plain.out" || ! grep -q 'E2E: plain' "$W/plain.out"; then
        say "skip: LXC cannot start a plain container here:"
        sed 's/^/    /' "$W/plain.out" | head -20
        exit 77
fi
cp "$W/test.sh" "$R/test.sh"

# ---- the negative control: the proxy socket is absent, so LXC refuses to start the container
conf "$W/c.conf" "$SOCK"
if lxc_run "$W/c.conf" "$W/none.out"; then
        bad "the container started without its proxy"
else
        ok "without scmpd's proxy socket the container does not start"
fi

# ---- scmpd with docs/examples/lxc.json, the proxy on a scratch path
python3 - "$SRC/docs/examples/lxc.json" "$W/scmpd.json" "$SOCK" "$NAME" <<'EOP' || { bad "cannot write the policy"; exit 1; }
import json, sys
c = json.load(open(sys.argv[1]))
c["lxc_proxy"] = "unix:" + sys.argv[3]
c["policies"][0]["match"]["container"] = sys.argv[4]
json.dump(c, open(sys.argv[2], "w"), indent=2)
EOP
"$SCMPD_BIN" --config "$W/scmpd.json" --listen "$W/h.sock" --control "$W/c.sock" --foreground \
        --log-target stderr --log-level debug 2>"$LOG" </dev/null &
DPID=$!
for _ in $(seq 1 2400); do [ -S "$SOCK" ] && [ -S "$W/c.sock" ] && break; sleep 0.05; done
[ -S "$SOCK" ] || { bad "scmpd did not create its lxc proxy socket"; cat "$LOG"; e2e_finish lxc-e2e; }

watch_mounts() { # while the container waits: is /mnt a tmpfs inside and absent on the host?
        local i pid="" inside=0 host=0
        for i in $(seq 1 2400); do grep -q 'E2E: waiting' "$W/c.out" 2>/dev/null && break; sleep 0.05; done
        pid=$(timeout 20 lxc-info -P "$W" -n "$NAME" -p -H 2>/dev/null)
        [ -n "$pid" ] && grep -q ' /mnt .* - tmpfs ' "/proc/$pid/mountinfo" 2>/dev/null && inside=1
        grep -qF " $R/mnt " /proc/self/mountinfo && host=1
        echo "inside=$inside host=$host pid=$pid" >"$W/watch"
        # While the container is served: what `scmpctl listeners` says about it.
        [ -n "${SCMPCTL_BIN:-}" ] &&
                timeout 120 "$SCMPCTL_BIN" listeners --control "$W/c.sock" --json >"$W/listeners.json" 2>&1
        touch "$W/gate/go"
}
MON=""
if [ -n "${SCMPCTL_BIN:-}" ]; then # every decision for this container, as it is made
        "$SCMPCTL_BIN" monitor --control "$W/c.sock" --container "$NAME" --json --timeout 0 \
                >"$W/monitor.json" 2>&1 &
        MON=$!
fi
watch_mounts &
WATCH=$!
lxc_run "$W/c.conf" "$W/c.out"
rc=$?
wait "$WATCH" 2>/dev/null
for _ in $(seq 1 2400); do grep -q 'lxc connection .* closed the connection' "$LOG" && break; sleep 0.05; done
say "---- container output (rc=$rc)"
sed 's/^/    /' "$W/c.out"
[ $rc -eq 0 ] && ok "container exited 0" || bad "container rc=$rc"
for want in "E2E: mkdir forbidden rc=1" "E2E: mkdir tmp rc=0" "E2E: /tmp/ok exists" \
        "E2E: mount rc=0" "E2E: /mnt is a tmpfs (nosuid,nodev)" "E2E: wrote /mnt/f=hello" \
        "E2E: umount rc=0" "E2E: proc mount rc=1" "E2E: done"; do
        grep -qxF "$want" "$W/c.out" && ok "'$want'" || bad "no '$want'"
done
grep -q "can't create directory '/forbidden/x': Permission denied" "$W/c.out" &&
        ok "mkdir /forbidden/x failed with EACCES (the policy's errno)" || bad "mkdir /forbidden/x: not EACCES"
case "$(cat "$W/watch" 2>/dev/null)" in
"inside=1 host=0"*) ok "the tmpfs was in the container's mount table only ($(cat "$W/watch"))" ;;
*) bad "mount visibility: '$(cat "$W/watch" 2>/dev/null)'" ;;
esac
[ ! -e "$R/mnt/f" ] && ok "the rootfs directory /mnt was not written" || bad "$R/mnt/f exists on the host"
if [ -n "${SCMPCTL_BIN:-}" ]; then
        timeout 120 "$SCMPCTL_BIN" stats --control "$W/c.sock" --json >"$W/stats.json" 2>&1
        timeout 120 "$SCMPCTL_BIN" audit --control "$W/c.sock" --container "$NAME" --json \
                >"$W/audit.json" 2>&1
        kill "$MON" 2>/dev/null
        wait "$MON" 2>/dev/null
        MON=""
        grep -q '"mkdir"' "$W/monitor.json" && grep -q '"mount"' "$W/monitor.json" &&
                ok "scmpctl monitor streamed the container's mkdir and mount decisions" ||
                bad "scmpctl monitor: $(head -c 600 "$W/monitor.json")"
        grep -q '"mkdir"' "$W/stats.json" && ok "scmpctl stats counts mkdir" ||
                bad "scmpctl stats: $(head -c 600 "$W/stats.json")"
        grep -q '"mkdir"' "$W/audit.json" && grep -q '"mount"' "$W/audit.json" &&
                ok "scmpctl audit recorded the container's mkdir and mount" ||
                bad "scmpctl audit: $(head -c 600 "$W/audit.json")"
        if python3 - "$W/listeners.json" "$NAME" <<'EOP'; then
import json, sys
j = json.load(open(sys.argv[1]))
ls = j if isinstance(j, list) else j.get("listeners", [])
sys.exit(0 if any(l.get("runtime") == "lxc" and l.get("container") == sys.argv[2]
                  and l.get("metadata") == "scmpd-web" and l.get("policy") == "lxc-web"
                  for l in ls) else 1)
EOP
                ok "scmpctl listeners names the runtime lxc, the container, cookie and policy"
        else
                bad "scmpctl listeners: $(head -c 600 "$W/listeners.json")"
        fi
fi
chk() { grep -qE "$2" "$LOG" && ok "scmpd $1" || bad "scmpd $1 (no /$2/ in its log)"; }
chk "named the container from its monitor" "lxc connection [0-9]+ from pid [0-9]+ uid 0: container $NAME"
chk "matched policy lxc-web by cookie and name" "serving listener of pid [0-9]+ \(lxc\), policy lxc-web"
chk "answered mkdir /forbidden/x EACCES" "decided mkdir by tid [0-9]+: errno:EACCES"
chk "emulated the tmpfs mount" 'handler mount: tid [0-9]+: emulated mount on "/mnt": ok'
chk "refused the proc mount" 'handler mount: tid [0-9]+: mount of "/mnt" refused by policy'
chk "saw the listener hang up" "listener closed: no task uses the filter any more"
if grep -E 'warning|error' "$LOG" | grep -qv 'audit'; then
        bad "scmpd logged warnings: $(grep -E 'warning|error' "$LOG" | head -3)"
else
        ok "scmpd logged no warnings"
fi
kill "$DPID" 2>/dev/null
wait "$DPID"
drc=$?
DPID=""
[ $drc -eq 0 ] && ok "scmpd stopped cleanly" || bad "scmpd exit status $drc"
[ ! -e "$SOCK" ] && ok "scmpd removed its proxy socket" || bad "the proxy socket is left"
say "---- scmpd log, without audit lines"
grep -v ' audit: ' "$LOG" | sed 's/^/    /' | head -40
e2e_finish lxc-e2e
