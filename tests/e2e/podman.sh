#!/bin/bash
# e2e for podman (docs/podman.md): a busybox image made offline (`podman import` of a rootfs tar,
# in a storage root of its own under the scratch directory, so CI machines start clean and runs
# never share images), run by `podman run` with the options of the page's run line, the profile
# docs/examples/profiles/podman-web.json (its listenerPath pointed at this test's scmpd) and the
# policy docs/examples/podman.json, matched on podman's annotations and the listenerMetadata.
# Inside: a mkdir the policy allows, one it refuses with EACCES, and the mount emulation (the
# tmpfs is in the container's mount table only, with the forced nosuid,nodev). While the
# container waits, `scmpctl listeners` must name the runtime podman/RUNTIME. Once with
# `--runtime runc` and once with podman's default crun (in a private mount namespace with the
# cgroup2 mount hidden where this machine's hybrid cgroups need it, as for crun alone). A run
# without scmpd must fail at once. Every podman call is bounded; containers, images, the storage
# root and scmpd are always cleaned up. Exit 77 without root, podman, busybox-static or
# user_notif, or when podman cannot run a container here (with podman's own words).
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${SCMPD_SOURCE_ROOT:-$HERE/../..}
PAGE=$SRC/docs/podman.md
TMO=${E2E_TIMEOUT:-120}
DPID="" WATCH=""
. "$HERE/lib.sh"
e2e_require root
[ -n "${SCMPD_BIN:-}" ] && [ -x "$SCMPD_BIN" ] || { say "skip: SCMPD_BIN is not set"; exit 77; }
[ -n "${SCMPCTL_BIN:-}" ] && [ -x "$SCMPCTL_BIN" ] || { say "skip: SCMPCTL_BIN is not set"; exit 77; }
command -v podman >/dev/null || { say "skip: podman is not installed (apt-get install podman)"; exit 77; }
e2e_require busybox notify
e2e_workdir podman-e2e
SOCK=$W/scmpd.sock CSOCK=$W/control.sock LOG=$W/scmpd.log IMAGE=localhost/scmpd-e2e-bb
# podman's state lives under W: storage (vfs: no overlay mounts to leave behind), run state,
# temporary files; no systemd, cgroupfs, events to a file.
PODMAN_OPTS=(--root "$W/storage" --runroot "$W/runroot" --tmpdir "$W/tmp"
        --storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
e2e_cleanup_extra() {
        [ -n "$WATCH" ] && { kill "$WATCH" 2>/dev/null; wait "$WATCH" 2>/dev/null; }
        if [ -n "$DPID" ]; then kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; fi
        timeout -k 5 60 podman "${PODMAN_OPTS[@]}" rm -af -t 0 >/dev/null 2>&1
        timeout -k 5 60 podman "${PODMAN_OPTS[@]}" rmi -af >/dev/null 2>&1
        # Whatever podman left mounted under W goes before W is removed.
        awk -v w="$W" '$5 ~ "^" w { print $5 }' /proc/self/mountinfo | sort -r |
                while read -r m; do umount -l "$m" 2>/dev/null; done
}

# pm RUNTIME ARGS...: one podman call, bounded. runc is asked for by name; crun is podman's
# default and gets crun's hybrid-cgroup workaround where this machine needs it (tests/e2e/lib.sh).
pm() {
        local rt=$1
        shift
        if [ "$rt" = runc ]; then
                timeout -k 5 "$TMO" podman "${PODMAN_OPTS[@]}" --runtime runc "$@"
        elif [ $CRUN_WRAP = 1 ]; then
                timeout -k 5 "$TMO" unshare -m --propagation private \
                        sh -c 'umount -l /sys/fs/cgroup/unified && exec "$@"' podman \
                        podman "${PODMAN_OPTS[@]}" "$@"
        else
                timeout -k 5 "$TMO" podman "${PODMAN_OPTS[@]}" "$@"
        fi
}

# ---- the page's run line: its options (between `podman run` and the image) are what runs here
python3 - "$PAGE" >"$W/opts" <<'EOP' || { bad "cannot read the run line of docs/podman.md"; e2e_finish podman; }
import re, shlex, sys
text = open(sys.argv[1]).read()
m = re.search(r"^```sh\n(podman run .*?)^```$", text, re.S | re.M)
if not m:
    sys.exit("no ```sh block starting with `podman run`")
words = shlex.split(m.group(1).replace("\\\n", " "))
img = words.index("localhost/busybox")
for w in words[2:img]:
    print(w)
EOP
mapfile -t RUN_OPTS <"$W/opts"
grep -qx -- "--security-opt" "$W/opts" && grep -qx -- "--network" "$W/opts" ||
        { bad "the page's run line has no --security-opt or --network: $(tr '\n' ' ' <"$W/opts")"; e2e_finish podman; }
# The profile the page names is the example with listenerPath at this test's scmpd.
python3 - "$SRC/docs/examples/profiles/podman-web.json" "$SOCK" >"$W/profile.json" <<'EOP' ||
import json, sys
p = json.load(open(sys.argv[1]))
p["listenerPath"] = sys.argv[2]
json.dump(p, sys.stdout, indent=2)
EOP
        { bad "cannot write the profile"; e2e_finish podman; }
for i in "${!RUN_OPTS[@]}"; do
        case ${RUN_OPTS[$i]} in seccomp=*) RUN_OPTS[$i]=seccomp=$W/profile.json ;; esac
done

# ---- the image: a busybox rootfs with the test script, imported offline
R=$W/rootfs
e2e_rootfs "$R" sh mkdir mount umount grep cat echo sleep uname
mkdir -p "$R/gate"
cat >"$R/test.sh" <<'EOS'
echo "E2E: start"
mkdir /tmp/ok-1; echo "E2E: mkdir allowed rc=$?"
[ -d /tmp/ok-1 ] && echo "E2E: /tmp/ok-1 exists"
mkdir /tmp/no-1 2>/tmp/err; echo "E2E: mkdir refused rc=$? $(cat /tmp/err)"
mount -t tmpfs -o size=1m none /mnt; echo "E2E: mount rc=$?"
grep -q ' /mnt tmpfs [^ ]*nosuid,nodev' /proc/mounts && echo "E2E: /mnt is a tmpfs (nosuid,nodev)"
echo hello >/mnt/f && echo "E2E: wrote /mnt/f=$(cat /mnt/f)"
echo "E2E: waiting"
# Until the host has looked (it creates /gate/go): an event, not a time.
i=0; while [ ! -e /gate/go ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
umount /mnt; echo "E2E: umount rc=$?"
grep -q ' /mnt ' /proc/mounts || echo "E2E: /mnt unmounted"
echo "E2E: uname=$(uname -s)"
echo "E2E: done"
EOS
mkdir -p "$W/tmp" "$W/gate"
if ! tar -C "$R" -c . | timeout -k 5 "$TMO" podman "${PODMAN_OPTS[@]}" import - "$IMAGE" >"$W/import.out" 2>&1; then
        say "skip: podman cannot import an image here: $(tail -c 300 "$W/import.out")"
        exit 77
fi

start_scmpd() { e2e_start_scmpd "$SRC/docs/examples/podman.json"; }
stop_scmpd() { e2e_stop_scmpd; }

# While the container waits with its tmpfs mounted: the listener's row, and the mount tables.
watch_container() {
        local rt=$1 name=$2 pid="" inside=0
        for _ in $(seq 1 2400); do
                grep -q 'E2E: waiting' "$W/$rt.out" 2>/dev/null && break
                sleep 0.05
        done
        "$SCMPCTL_BIN" listeners --control "$CSOCK" --json >"$W/$rt.listeners.json" 2>&1
        "$SCMPCTL_BIN" listeners --control "$CSOCK" >"$W/$rt.listeners.txt" 2>&1
        pid=$(timeout 60 podman "${PODMAN_OPTS[@]}" inspect -f '{{.State.Pid}}' "$name" 2>/dev/null)
        [ -n "$pid" ] && grep -q ' /mnt .* - tmpfs ' "/proc/$pid/mountinfo" 2>/dev/null && inside=1
        echo "inside=$inside pid=$pid" >"$W/$rt.watch"
        touch "$W/gate/go"
}

has() { grep -qF -- "$2" "$W/$1.out"; }
jcheck() { # jcheck DESCRIPTION PYTHON_EXPR (j: the listeners JSON) < FILE
        if python3 -c "import json,sys; j=json.load(sys.stdin); sys.exit(0 if ($2) else 1)"; then
                ok "$1"
        else
                bad "$1"
        fi
}

RTS=""
for rt in runc crun; do command -v "$rt" >/dev/null && RTS="$RTS $rt"; done
[ -n "$RTS" ] || { say "skip: podman has neither runc nor crun here"; exit 77; }

# Without scmpd the container must not start (podman reports the runtime's failure at once).
if pm runc run --rm "${RUN_OPTS[@]}" "$IMAGE" true >"$W/nosock.out" 2>&1; then
        bad "a container started with no scmpd behind the listenerPath"
else
        ok "no scmpd: podman refuses to start the container ($(tail -n 1 "$W/nosock.out" | head -c 160))"
fi
timeout -k 5 60 podman "${PODMAN_OPTS[@]}" rm -af -t 0 >/dev/null 2>&1

for rt in $RTS; do
        name="scmpd-e2e-podman-$rt-$$"
        : >"$LOG"
        rm -f "$W/gate/go"
        start_scmpd || { bad "$rt: scmpd did not start"; continue; }
        watch_container "$rt" "$name" &
        WATCH=$!
        pm "$rt" run --rm --name "$name" "${RUN_OPTS[@]}" -v "$W/gate:/gate:ro" "$IMAGE" \
                /bin/sh /test.sh >"$W/$rt.out" 2>&1 </dev/null
        rc=$?
        wait "$WATCH" 2>/dev/null
        WATCH=""
        if [ $rc -ne 0 ] && ! has "$rt" "E2E: start"; then
                if grep -q "setrlimit\|cgroup" "$W/$rt.out"; then
                        say "skip: podman/$rt cannot run a container here: $(tail -c 300 "$W/$rt.out")"
                        stop_scmpd
                        continue
                fi
        fi
        [ $rc -eq 0 ] && ok "podman/$rt: container exited 0" || bad "podman/$rt: exit $rc: $(tail -c 400 "$W/$rt.out")"
        has "$rt" "E2E: mkdir allowed rc=0" && has "$rt" "E2E: /tmp/ok-1 exists" &&
                ok "podman/$rt: the policy lets mkdir /tmp/ok-1 through" || bad "podman/$rt: allowed mkdir"
        has "$rt" "E2E: mkdir refused rc=1" && has "$rt" "Permission denied" &&
                ok "podman/$rt: the policy refuses mkdir /tmp/no-1 with EACCES" || bad "podman/$rt: refused mkdir"
        has "$rt" "E2E: mount rc=0" && has "$rt" "E2E: /mnt is a tmpfs (nosuid,nodev)" &&
                has "$rt" "E2E: wrote /mnt/f=hello" &&
                ok "podman/$rt: mount -t tmpfs succeeds through scmpd, with the forced nosuid,nodev" ||
                bad "podman/$rt: emulated mount"
        grep -q 'inside=1' "$W/$rt.watch" 2>/dev/null &&
                ok "podman/$rt: the tmpfs is in the container's mount table" ||
                bad "podman/$rt: mount not seen inside ($(cat "$W/$rt.watch" 2>/dev/null))"
        has "$rt" "E2E: umount rc=0" && has "$rt" "E2E: /mnt unmounted" &&
                ok "podman/$rt: umount through scmpd" || bad "podman/$rt: umount"
        has "$rt" "E2E: uname=Linux" && has "$rt" "E2E: done" && ok "podman/$rt: uname answered" ||
                bad "podman/$rt: uname or the end of the script"
        jcheck "podman/$rt: listeners names the runtime podman/$rt, the podman id and annotations" \
                "any(l['runtime'] == 'podman/$rt' and len(l['container'] or '') == 64
                     and l['annotations'].get('io.container.manager') == 'libpod'
                     and l['annotations'].get('org.example.app') == 'web'
                     and l['metadata'] == 'podman-web' and l['policy'] == 'podman web'
                     for l in j)" <"$W/$rt.listeners.json"
        grep -q " podman/$rt " "$W/$rt.listeners.txt" && ok "podman/$rt: the RUNTIME column says podman/$rt" ||
                bad "podman/$rt: listeners table: $(cat "$W/$rt.listeners.txt")"
        grep -q "policy podman web" "$LOG" && ok "podman/$rt: scmpd served the listener under policy podman web" ||
                bad "podman/$rt: policy not matched: $(grep -m3 'listener' "$LOG")"
        stop_scmpd
        if grep -E "warning|error" "$LOG" | grep -v "handoff connection" >"$W/warn"; [ -s "$W/warn" ]; then
                bad "podman/$rt: scmpd logged: $(head -c 400 "$W/warn")"
        else
                ok "podman/$rt: scmpd logged no warnings"
        fi
        [ -z "$(timeout 60 podman "${PODMAN_OPTS[@]}" ps -aq 2>/dev/null)" ] &&
                ok "podman/$rt: no container left" || bad "podman/$rt: containers left"
done
e2e_finish podman
