#!/bin/bash
# e2e for the emulating handlers: Debian's runc and crun run a busybox container with the
# runtime's default capabilities (no CAP_SYS_ADMIN, no CAP_MKNOD) whose seccomp profile hands
# mount, umount2, mknod and mknodat to the built scmpd, configured by
# docs/examples/mount-emulation.json. Inside, `mount -t tmpfs none /mnt` and `mknod` of
# allowlisted char devices must succeed through scmpd; the tmpfs must be in the container's mount
# namespace only (the host's mount table and the rootfs directory stay untouched, checked while
# the container waits for the test to look) and carry the policy's forced nosuid,nodev; disallowed mounts (proc, a
# target outside the prefixes, options outside the policy's globs) and a block device must fail. Every runtime call is bounded by a timeout; containers, scmpd and scratch
# files are always cleaned up. crun gets the hybrid-cgroup workaround only where this machine
# needs it. Exit 77 when root, a runtime, busybox-static or user_notif is missing.
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${SCMPD_SOURCE_ROOT:-$HERE/../..}
TMO=${E2E_TIMEOUT:-120} # a hang guard per runtime call, generous for a loaded machine
DPID="" WATCH=""
. "$HERE/lib.sh"
e2e_require root
[ -n "${SCMPD_BIN:-}" ] && [ -x "$SCMPD_BIN" ] || { say "skip: SCMPD_BIN is not set"; exit 77; }
e2e_require runtimes busybox notify
e2e_workdir emu-e2e
SOCK=$W/scmpd.sock LOG=$W/scmpd.log
e2e_cleanup_extra() {
        [ -n "$WATCH" ] && { kill "$WATCH" 2>/dev/null; wait "$WATCH" 2>/dev/null; }
        if [ -n "$DPID" ]; then kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; fi
}

# ---- rootfs and bundle: read-only busybox root, /tmp a tmpfs, /mnt an empty directory
B=$W/bundle R=$W/bundle/rootfs
e2e_rootfs "$R" sh mount umount mknod grep cat echo stat sleep head wc
mkdir -p "$R/mnt2" "$R/gate" "$W/gate"
cat >"$R/test.sh" <<'EOS'
echo "E2E: start"
mount -t tmpfs -o size=1m none /mnt; echo "E2E: mount rc=$?"
grep -q ' /mnt tmpfs [^ ]*nosuid,nodev' /proc/mounts && echo "E2E: /mnt is a tmpfs (nosuid,nodev)"
echo hello >/mnt/f && echo "E2E: wrote /mnt/f=$(cat /mnt/f)"
echo "E2E: waiting"
# Until the host has looked at the mount tables (it creates /gate/go): an event, not a time.
i=0; while [ ! -e /gate/go ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
mount -t proc proc /mnt2; echo "E2E: proc mount rc=$?"
mount -t tmpfs none /tmp; echo "E2E: tmpfs outside the prefixes rc=$?"
umount /mnt; echo "E2E: umount rc=$?"
grep -q ' /mnt ' /proc/mounts || echo "E2E: /mnt unmounted"
mount -t tmpfs -o size=100g none /mnt; echo "E2E: unbounded tmpfs rc=$?"
mknod /dev/zero2 c 1 5; echo "E2E: mknod zero rc=$?"
echo "E2E: zero2 is $(stat -c '%F %t:%T %u' /dev/zero2)"
echo "E2E: read $(head -c 4 /dev/zero2 | wc -c) bytes from zero2"
mknod /dev/null2 c 1 3; echo "E2E: mknod null rc=$?"
mknod /dev/sda b 8 0; echo "E2E: mknod block rc=$?"
echo "E2E: done"
EOS
(cd "$B" && timeout 20 runc spec 2>/dev/null) || (cd "$B" && timeout 20 crun spec) ||
        { bad "cannot create a spec"; exit 1; }
python3 - "$B/config.json" "$R" "$SOCK" "$W/gate" <<'EOP' || { bad "cannot patch config.json"; exit 1; }
import json, sys
path, rootfs, sock, gate = sys.argv[1:5]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "/test.sh"]
c["root"] = {"path": rootfs, "readonly": True}
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "nodev", "mode=1777", "size=16m"]})
c["mounts"].append({"destination": "/gate", "type": "bind", "source": gate,
                    "options": ["bind", "ro"]})
caps = c["process"]["capabilities"]
assert all("CAP_SYS_ADMIN" not in caps[k] and "CAP_MKNOD" not in caps[k] for k in caps)
c["linux"]["seccomp"] = {
    "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": sock, "listenerMetadata": "mount-emulation",
    "syscalls": [{"names": ["mount", "umount2", "mknod", "mknodat"], "action": "SCMP_ACT_NOTIFY"}],
}
json.dump(c, open(path, "w"), indent=2)
EOP

start_scmpd() { e2e_start_scmpd "$SRC/docs/examples/mount-emulation.json"; }
stop_scmpd() { e2e_stop_scmpd; }

# While the container sleeps with its tmpfs mounted: is it in the container's mount table and
# absent from the host's? Writes "inside=0|1 host=0|1" to $1.
watch_mounts() {
        local out=$1 rt=$2 id=$3 pid="" i
        for i in $(seq 1 2400); do
                grep -q 'E2E: waiting' "$W/$rt.out" 2>/dev/null && break
                sleep 0.05
        done
        pid=$(timeout 120 "$rt" state "$id" 2>/dev/null |
                python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null)
        local inside=0 host=0
        [ -n "$pid" ] && grep -q ' /mnt .* - tmpfs ' "/proc/$pid/mountinfo" 2>/dev/null && inside=1
        grep -qF " $R/mnt " /proc/self/mountinfo && host=1
        echo "inside=$inside host=$host pid=$pid" >"$out"
        touch "$W/gate/go" # the container goes on
}

for rt in $RUNTIMES; do
        id="emu-$rt-$$"
        out=$W/$rt.out
        : >"$LOG"
        rm -f "$W/gate/go"
        start_scmpd || { bad "$rt: scmpd did not start"; continue; }
        CREATED+=("$rt $id")
        watch_mounts "$W/$rt.watch" "$rt" "$id" &
        WATCH=$!
        rt_cmd "$rt" run -b "$B" "$id" >"$out" 2>&1 </dev/null
        rc=$?
        wait "$WATCH" 2>/dev/null
        WATCH=""
        for _ in $(seq 1 2400); do grep -q 'listener closed: no task' "$LOG" && break; sleep 0.05; done
        stop_scmpd
        say "---- $rt container output (rc=$rc)"
        sed 's/^/    /' "$out"
        [ $rc -eq 0 ] && ok "$rt: container exited 0" || bad "$rt: container rc=$rc"
        for want in "E2E: mount rc=0" "E2E: /mnt is a tmpfs (nosuid,nodev)" "E2E: wrote /mnt/f=hello" \
                "E2E: proc mount rc=1" "E2E: tmpfs outside the prefixes rc=1" "E2E: umount rc=0" \
                "E2E: /mnt unmounted" "E2E: unbounded tmpfs rc=1" "E2E: mknod zero rc=0" \
                "E2E: zero2 is character special file 1:5 0" "E2E: read 4 bytes from zero2" \
                "E2E: mknod null rc=0" "E2E: mknod block rc=1" "E2E: done"; do
                grep -qxF "$want" "$out" && ok "$rt: '$want'" || bad "$rt: no '$want'"
        done
        w=$(cat "$W/$rt.watch" 2>/dev/null)
        case "$w" in
        "inside=1 host=0"*) ok "$rt: the tmpfs was in the container's mount table only ($w)" ;;
        *) bad "$rt: mount visibility: '$w'" ;;
        esac
        [ ! -e "$R/mnt/f" ] && ok "$rt: the rootfs directory /mnt was not written" ||
                bad "$rt: $R/mnt/f exists on the host"
        chk() { grep -qE "$2" "$LOG" && ok "$rt: scmpd $1" || bad "$rt: scmpd $1 (no /$2/ in its log)"; }
        chk "emulated the tmpfs mount" 'handler mount: tid [0-9]+: emulated mount on "/mnt": ok'
        chk "refused the proc mount" 'handler mount: tid [0-9]+: mount of "/mnt2" refused by policy: (fstype|source|target|flags|data): '
        chk "emulated mknod of zero" 'handler mknod: tid [0-9]+: emulated mknod(at)? of "/dev/zero2" \(1:5\): ok'
        if grep -qE 'warning|error' "$LOG"; then
                bad "$rt: scmpd logged warnings: $(grep -E 'warning|error' "$LOG" | head -3)"
        else
                ok "$rt: scmpd logged no warnings"
        fi
        rt_cmd "$rt" delete -f "$id" >/dev/null 2>&1
        say "---- scmpd log ($rt), without audit lines"
        grep -v ' audit: ' "$LOG" | sed 's/^/    /' | head -30
done

left=$(for rt in $RUNTIMES; do timeout 20 "$rt" list -q 2>/dev/null; done | grep -c "^emu-.*-$$" || true)
[ "$left" -eq 0 ] && ok "no containers left behind" || bad "$left containers left behind"
e2e_finish emulate-e2e
