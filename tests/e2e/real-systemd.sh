#!/bin/bash
# scmpd under a real systemd as PID 1. systemd-nspawn boots the host's own systemd on a volatile
# root (a fresh tmpfs with the host's /usr; nothing of the host's /etc or /var is touched), with
# the build installed into it as a package would be (`meson install --destdir`, the units in
# /etc/systemd/system, sysusers applied, ldconfig run, the sockets enabled). Then, with systemd's
# own socket activation, notify socket, fd store, watchdog and journald:
#   activation  scmpd.socket listens, scmpd is not running, the first handoff (`scmpctl run`)
#               starts it and is served;
#   notify      StatusText carries scmpd's status; `systemctl reload` applies a changed policy;
#   survival    a target held in a slow handler and two looping targets keep being served,
#               with the right answers and never ENOSYS, across `systemctl kill -s SIGKILL`,
#               `systemctl restart` and a watchdog kill of a SIGSTOPped scmpd;
#   emulation   the mount and mknod emulators work under the unit's sandbox;
#   journald    audit and decision records carry the SCMPD_* fields at their priorities;
#   stop        `systemctl stop scmpd.socket scmpd` leaves no socket file and no process;
#   security    `systemd-analyze security` stays at or below the exposure docs/units.md records.
# Usage: real-systemd.sh TARGET BLOCK_PLUGIN. Exit 77 without root, systemd-nspawn or seccomp user
# notification. The container is stopped on any exit. Prints the measured figures as "figure:"
# lines (docs/restart.md). E2E_SYSTEMD_ROUNDS=N repeats the SIGKILL round N times (long form);
# E2E_SYSTEMD_HOLD=SECONDS keeps the booted container that long after installing, for a look
# inside (`nsenter -t PID1 -a --root --wd`).
set -u
export LC_ALL=C SYSTEMD_PAGER=cat SYSTEMD_COLORS=0
TARGET=$1
PBLOCK=$2
ROUNDS=${E2E_SYSTEMD_ROUNDS:-1}
# The exposure `systemd-analyze security scmpd.service` gives with systemd 252 (docs/units.md).
MAX_EXPOSURE=${E2E_SYSTEMD_MAX_EXPOSURE:-3.3}
NSPAWN="" P1=""
BGPIDS=()
. "$(dirname "$0")/lib.sh"
e2e_require root notify
command -v systemd-nspawn >/dev/null || { say "skip: systemd-nspawn (systemd-container) is not installed"; exit 77; }
command -v nsenter >/dev/null || { say "skip: nsenter (util-linux) is not installed"; exit 77; }
e2e_workdir real-systemd
S=$W/share # bound read-write at /srv/scmpd-e2e: the targets' files and scripts
mkdir -p "$S" "$W/fixtures"
CS=/srv/scmpd-e2e CF=/srv/scmpd-fixtures

e2e_cleanup_extra() {
        local p i
        for p in "${BGPIDS[@]:+${BGPIDS[@]}}"; do kill -9 "$p" 2>/dev/null; done
        [ -n "$NSPAWN" ] || return 0
        if kill -0 "$NSPAWN" 2>/dev/null && [ -n "$P1" ]; then
                timeout -k 5 20 nsenter -t "$P1" -a --root --wd systemctl --no-block poweroff \
                        >/dev/null 2>&1
                for i in $(seq 150); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.2; done
        fi
        if kill -0 "$NSPAWN" 2>/dev/null; then
                kill -TERM "$NSPAWN" 2>/dev/null
                for i in $(seq 50); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.2; done
                kill -9 "$NSPAWN" 2>/dev/null
        fi
        wait "$NSPAWN" 2>/dev/null
        NSPAWN=""
}

# ct CMD...: run CMD inside the container (all its namespaces, its root and cwd), bounded.
ct() { timeout -k 5 "${CT_TMO:-60}" nsenter -t "$P1" -a --root --wd "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
prop() { ct systemctl show -p "$2" --value "$1" 2>/dev/null; }
# wait_for SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds; 1 when it never did.
wait_for() {
        local deadline=$(($(date +%s) + $1))
        shift
        while ! "$@"; do
                [ "$(date +%s)" -lt "$deadline" ] || return 1
                sleep 0.1
        done
}

# ---- the package: the build installed into a DESTDIR that the container sees read-only ----
if ! meson install -C "$SCMPD_BUILD_ROOT" --no-rebuild --destdir "$W/dest" >"$W/install.log" 2>&1; then
        bad "meson install --destdir failed: $(tail -3 "$W/install.log")"
        e2e_finish real-systemd
fi
PREFIX=$(python3 -c 'import json,sys; print([o["value"] for o in json.load(open(sys.argv[1])) if o["name"]=="prefix"][0])' \
        "$SCMPD_BUILD_ROOT/meson-info/intro-buildoptions.json")
# The install is bound over its prefix inside the container, which boots the host's /usr.
case $PREFIX in
/usr | /usr/ | /) say "skip: the build's prefix is $PREFIX; this test needs one like /usr/local or /opt/scmpd"; exit 77 ;;
esac
SBIN_SCMPD=$(cd "$W/dest" && find . -path "*/sbin/scmpd" | head -1)
UNIT=$(cd "$W/dest" && find . -name scmpd.service | head -1)
SYSUSERS=$(cd "$W/dest" && find . -path "*/sysusers.d/scmpd.conf" | head -1)
LIBDIR=$(cd "$W/dest" && find . -name 'libscmpd.so*' -printf '%h\n' | head -1)
SCMPCTL="$PREFIX/bin/scmpctl"
if [ -z "$SBIN_SCMPD" ] || [ -z "$UNIT" ] || [ -z "$SYSUSERS" ] || [ ! -d "$W/dest$PREFIX" ]; then
        bad "the install lacks scmpd, its unit or its sysusers file (prefix $PREFIX)"
        e2e_finish real-systemd
fi
cp "$TARGET" "$W/fixtures/target"
cp "$PBLOCK" "$W/fixtures/block.so"

# ---- boot ----
MACHINE="scmpd-e2e-$$"
systemd-nspawn --register=no --keep-unit -q -D / --volatile=yes --machine="$MACHINE" \
        --bind-ro="$W/dest$PREFIX:$PREFIX" --bind-ro="$W/dest:/srv/scmpd-dest" \
        --bind-ro="$W/fixtures:$CF" --bind="$S:$CS" \
        -b systemd.firstboot=off </dev/null >"$W/boot.log" 2>&1 &
NSPAWN=$!
t_boot=$(now_ms)
# nspawn forks a short-lived helper before the container's init: wait for the child that is
# systemd itself, or a fast machine may catch the helper and lose it.
find_p1() { P1=$(pgrep -P "$NSPAWN" -x systemd | head -1); [ -n "$P1" ]; }
if ! wait_for 60 find_p1; then
        bad "systemd-nspawn started no PID 1: $(tail -3 "$W/boot.log")"
        e2e_finish real-systemd
fi
booted() { case $(ct systemctl is-system-running 2>/dev/null) in running | degraded) return 0 ;; esac; return 1; }
if ! wait_for 120 booted; then
        bad "the container's systemd did not finish booting: $(ct systemctl is-system-running) $(tail -3 "$W/boot.log")"
        e2e_finish real-systemd
fi
say "figure: systemd $(ct systemctl --version | head -1 | cut -d' ' -f2) booted in $(($(now_ms) - t_boot)) ms"

# The policy. "first": mkdir of ok* continues, any other mkdir gets EACCES (EROFS after the
# reload). "loop": mkdir continues, mknod gets EPERM; "journal" the same through an audit at
# warning level. "slow": getpgid is answered 4343 by a blocking handler that holds the call
# until the test creates the release file (the plugin's gate, 300 s at most). "emu": the mount and mknod emulators.
write_policy() { # FIRST_ERRNO
        cat >"$S/scmpd.json" <<EOF
{ "limits": { "handoff_timeout_ms": 60000, "handler_timeout_ms": 120000 },
  "handlers": { "block": { "path": "$CF/block.so",
    "config": { "delay_ms": 0, "value": 4343, "gate": "$CS/release" } } },
  "default": { "errno": "ENOSYS" },
  "policies": [
    { "name": "first", "match": { "metadata": "first" },
      "rules": [
        { "syscalls": ["mkdir"], "strings": [{ "index": 0, "glob": "$CS/ok*" }], "chain": ["continue"] },
        { "syscalls": ["mkdirat"], "strings": [{ "index": 1, "glob": "$CS/ok*" }], "chain": ["continue"] },
        { "syscalls": ["mkdir", "mkdirat"], "chain": [{ "errno": "$1" }] } ] },
    { "name": "loop", "match": { "metadata": "loop" },
      "rules": [
        { "syscalls": ["mkdir", "mkdirat"], "chain": ["continue"] },
        { "syscalls": ["mknod", "mknodat"], "chain": [{ "errno": "EPERM" }] } ] },
    { "name": "journal", "match": { "metadata": "journal" },
      "rules": [
        { "syscalls": ["mkdir", "mkdirat"], "chain": ["continue"] },
        { "syscalls": ["mknod", "mknodat"],
          "chain": [{ "handler": "audit", "config": { "level": "warning" } }, { "errno": "EPERM" }] } ] },
    { "name": "slow", "match": { "metadata": "slow" },
      "rules": [ { "syscalls": ["getpgid"], "chain": ["block"] } ] },
    { "name": "emu", "match": { "metadata": "emu" },
      "rules": [ { "syscalls": ["mount", "umount2"],
        "chain": [{ "handler": "mount", "config": { "fstypes": ["tmpfs"], "sources": ["none"],
          "targets": ["/mnt"], "allow_flags": [], "force_flags": ["nosuid", "nodev"], "data": [""],
          "require_cap_sys_admin": false, "umount": true, "refuse": "EPERM" } }] },
        { "syscalls": ["mknod", "mknodat"],
          "chain": [{ "handler": "mknod", "config": { "devices": ["null"], "refuse": "EPERM" } }] } ] } ] }
EOF
}
write_policy EACCES

# Install as a package would: units and the sysusers entry in place, users created, the library
# cache updated, the sockets enabled and started; the policy in /etc/scmpd.
cat >"$S/setup.sh" <<EOF
set -e
[ -e /etc/ld.so.conf ] || echo 'include /etc/ld.so.conf.d/*.conf' >/etc/ld.so.conf
mkdir -p /etc/ld.so.conf.d /etc/sysusers.d /etc/scmpd /mnt
echo "${LIBDIR#.}" >/etc/ld.so.conf.d/scmpd-e2e.conf
ldconfig
cp /srv/scmpd-dest/${UNIT%/*}/scmpd.service /srv/scmpd-dest/${UNIT%/*}/scmpd.socket \
   /srv/scmpd-dest/${UNIT%/*}/scmpd-control.socket /etc/systemd/system/
cp /srv/scmpd-dest/$SYSUSERS /etc/sysusers.d/scmpd.conf
systemd-sysusers
cp $CS/scmpd.json /etc/scmpd/scmpd.json
systemctl daemon-reload
systemctl enable --now scmpd.socket scmpd-control.socket
EOF
if ct sh -e "$CS/setup.sh" >"$W/setup.log" 2>&1; then
        ok "installed: units, sysusers (group $(ct getent group scmpd | cut -d: -f1)), sockets enabled"
else
        bad "installing into the container failed: $(tail -5 "$W/setup.log")"
        e2e_finish real-systemd
fi

if [ -n "${E2E_SYSTEMD_HOLD:-}" ]; then
        say "holding the container for $E2E_SYSTEMD_HOLD s: nsenter -t $P1 -a --root --wd"
        sleep "$E2E_SYSTEMD_HOLD"
fi

# ---- 1. socket activation ----
[ "$(prop scmpd.socket ActiveState)" = active ] && ct test -S /run/scmpd/scmpd.sock &&
        ok "scmpd.socket is listening on /run/scmpd/scmpd.sock" ||
        bad "scmpd.socket: $(prop scmpd.socket ActiveState)"
[ "$(prop scmpd-control.socket ActiveState)" = active ] && ct test -S /run/scmpd/control.sock &&
        ok "scmpd-control.socket is listening (group scmpd resolved)" ||
        bad "scmpd-control.socket: $(prop scmpd-control.socket ActiveState): $(ct journalctl -u scmpd-control.socket -o cat | tail -2)"
[ "$(prop scmpd.service ActiveState)" = inactive ] && ok "scmpd is not running before the first handoff" ||
        bad "scmpd is $(prop scmpd.service ActiveState) before any handoff"
# run_first DIR_SUFFIX WANT: under the "first" policy, mkdir ok-DIR continues and mkdir no-DIR
# fails with the message WANT.
run_first() {
        ct "$SCMPCTL" run --metadata first --id first-$1 -- sh -c \
                "mkdir $CS/ok-$1 && test -d $CS/ok-$1 && ! mkdir $CS/no-$1 2>$CS/err-$1" &&
                grep -q "$2" "$S/err-$1" && [ ! -e "$S/no-$1" ]
}
t0=$(now_ms)
if run_first 1 "Permission denied"; then
        ok "the first handoff started scmpd and was served: ok-1 continued, no-1 got EACCES ($(($(now_ms) - t0)) ms)"
else
        bad "the first handoff was not served as the policy says: $(cat "$S/err-1" 2>/dev/null)"
fi
[ "$(prop scmpd.service ActiveState)" = active ] && ok "scmpd.service is active after the handoff" ||
        bad "scmpd.service is $(prop scmpd.service ActiveState)"
ct journalctl -u scmpd -o cat | grep -q "using the socket-activated handoff socket" &&
        ok "scmpd used systemd's handoff socket" || bad "scmpd did not say it used the activated socket"

# ---- 2. Type=notify: status, reload ----
st=$(prop scmpd.service StatusText)
case $st in
serving*) ok "StatusText: $st" ;;
*) bad "StatusText is '$st'" ;;
esac
pid_before=$(prop scmpd.service MainPID)
write_policy EROFS
ct cp "$CS/scmpd.json" /etc/scmpd/scmpd.json
if ct systemctl reload scmpd; then ok "systemctl reload scmpd"; else bad "systemctl reload scmpd failed"; fi
reloaded() { ct journalctl -u scmpd -o cat | grep -q "policy reloaded from /etc/scmpd/scmpd.json"; }
wait_for 60 reloaded && ok "scmpd logged the reload" || bad "no reload in scmpd's journal"
run_first 2 "Read-only file system" && ok "after the reload no-2 gets EROFS (the new policy)" ||
        bad "after the reload: $(cat "$S/err-2" 2>/dev/null)"
[ "$(prop scmpd.service MainPID)" = "$pid_before" ] && ok "the reload kept the process ($pid_before)" ||
        bad "the reload changed MainPID $pid_before -> $(prop scmpd.service MainPID)"

# ---- 3./4. restart survival ----
cat >"$S/loop.sh" <<'EOS'
# loop.sh DIR STOPFILE: notified calls until STOPFILE exists; every answer must be the policy's.
d=$1 stop=$2 i=0
mkdir -p "$d"
while :; do
        mkdir "$d/x" || { echo "LOOP: mkdir $i failed"; exit 2; }
        [ -d "$d/x" ] || { echo "LOOP: $d/x missing after mkdir $i"; exit 3; }
        rmdir "$d/x"
        if err=$(mknod "$d/p" p 2>&1); then echo "LOOP: mknod $i succeeded"; exit 4; fi
        case $err in
        *"not permitted"*) ;;
        *) echo "LOOP: mknod $i: $err"; exit 5 ;;
        esac
        i=$((i + 1))
        echo "$i" >"$d/count.new" && mv -f "$d/count.new" "$d/count"
        [ -e "$stop" ] && break
done
echo "LOOP: done $i"
EOS
count() { cat "$S/$1/count" 2>/dev/null || echo 0; }
started() { [ "$(count loop1)" -gt 0 ] && [ "$(count loop2)" -gt 0 ]; }
advanced() { [ "$(count loop1)" -gt "$c1" ] && [ "$(count loop2)" -gt "$c2" ]; }
slow_inflight() {
        ct "$SCMPCTL" listeners --json 2>/dev/null | python3 -c '
import json, sys
ls = json.load(sys.stdin)
ls = ls.get("listeners", ls) if isinstance(ls, dict) else ls
sys.exit(0 if any(l.get("metadata") == "slow" and (l.get("inflight") or 0) > 0 for l in ls) else 1)'
}
restarted() {
        local p
        p=$(prop scmpd.service MainPID)
        [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pid0" ] && [ "$(prop scmpd.service ActiveState)" = active ]
}
act_kill() { ct systemctl kill -s SIGKILL scmpd; }
# A SIGTERM lets scmpd finish its handlers before it exits: release the slow one, so the old run
# answers it (the graceful path; after a kill or the watchdog the new run must replay it).
act_restart() { ct systemctl restart --no-block scmpd && touch "$S/release"; }
act_stop() { ct kill -STOP "$pid0"; }
# What systemd and scmpd logged during the current round.
dump_round() {
        ct journalctl -u scmpd -o short-precise --no-pager --since=@$((t0 / 1000 - 20)) |
                grep -v "Failed to configure loopback" | sed 's/^/    /' | tail -40
}
# survive NAME ACTION: two looping targets and one blocked in the slow handler; ACTION takes
# scmpd down; systemd must bring it back with every listener, and every target must be served.
survive() {
        local name=$1 action=$2 p np rc t0 t_ready t_served adopted replayed want down
        rm -rf "$S/stop" "$S/release" "$S/loop1" "$S/loop2"
        BGPIDS=()
        for p in loop1 loop2; do
                CT_TMO=300 ct "$SCMPCTL" run --metadata loop --id "$name-$p" -- \
                        sh "$CS/loop.sh" "$CS/$p" "$CS/stop" >"$S/$p.out" 2>&1 &
                BGPIDS+=($!)
        done
        wait_for 120 started || bad "$name: the looping targets did not start"
        pid0=$(prop scmpd.service MainPID)
        # The slow call stays in flight, held by its handler, until the release file appears.
        CT_TMO=300 ct "$CF/target" run /run/scmpd/scmpd.sock --metadata slow --id "$name-slow" \
                getpgid=value:4343 >"$S/slow.out" 2>&1 &
        BGPIDS+=($!)
        wait_for 120 slow_inflight || bad "$name: the slow target's call never got in flight"
        c1=$(count loop1) c2=$(count loop2)
        t0=$(now_ms)
        $action
        if wait_for 120 restarted; then
                t_ready=$(($(now_ms) - t0))
                ok "$name: systemd started scmpd again (pid $pid0 -> $(prop scmpd.service MainPID))"
        else
                t_ready=-1
                bad "$name: scmpd did not come back: $(prop scmpd.service ActiveState) $(prop scmpd.service Result)"
        fi
        if wait_for 120 advanced; then t_served=$(($(now_ms) - t0)); else t_served=-1; fi
        # What the new scmpd adopted and replayed, from its own journal lines (StatusText is
        # overwritten as soon as a listener comes or goes).
        np=$(prop scmpd.service MainPID)
        adoptions() { ct journalctl -u scmpd _PID="$np" -o cat --no-pager | grep "adopted listener"; }
        # The slow target's listener is stored unless the old run answered it and its target
        # exited before the restart (a SIGTERM lets the handler finish).
        want=3
        ct journalctl -u scmpd _PID="$pid0" SCMPD_METADATA=slow -o cat --no-pager |
                grep -q "no task uses the filter" && want=2
        have_all() { [ "$(adoptions | wc -l)" -ge "$want" ]; }
        wait_for 30 have_all
        adopted=$(adoptions | wc -l)
        replayed=$(adoptions | sed -n 's/.*(\([0-9]*\) in-flight.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
        [ "$adopted" -ge $want ] && ok "$name: all $want live listeners adopted from the fd store" ||
                bad "$name: $adopted listeners adopted: $(ct journalctl -u scmpd -o cat --no-pager | tail -30)"
        # A SIGTERM lets scmpd finish what its handlers are doing, so after `systemctl restart`
        # the slow call may have been answered before the stop; after a kill it must be replayed.
        if [ "$name" != restart ]; then
                [ "$replayed" -ge 1 ] && ok "$name: the slow call in flight was answered again" ||
                        { bad "$name: no in-flight notification was replayed: $(adoptions)"; dump_round; }
        fi
        touch "$S/release" "$S/stop"
        rc=0
        wait "${BGPIDS[2]}" || rc=$?
        [ $rc = 0 ] && ok "$name: the blocked target got its 4343, not ENOSYS" ||
                bad "$name: slow target rc=$rc: $(tail -3 "$S/slow.out")"
        for p in 1 2; do
                rc=0
                wait "${BGPIDS[$((p - 1))]}" || rc=$?
                [ $rc = 0 ] && grep -q "^LOOP: done" "$S/loop$p.out" &&
                        ok "$name: loop$p served right throughout ($(grep '^LOOP' "$S/loop$p.out"))" ||
                        bad "$name: loop$p rc=$rc: $(tail -3 "$S/loop$p.out")"
        done
        BGPIDS=()
        # systemd's own view, from its journal timestamps: from the old process's end (or the
        # stop request) to the new one's READY=1.
        down=$(ct journalctl -u scmpd -o json --no-pager --since=@$((t0 / 1000 - 1)) | python3 -c '
import json, sys
t_a = t_b = None
for l in sys.stdin:
    r = json.loads(l)
    m, t = r.get("MESSAGE", ""), int(r["__REALTIME_TIMESTAMP"])
    if t_a is None and (m.startswith("scmpd.service: Main process exited") or m.startswith("Stopping scmpd.service")):
        t_a = t
    elif t_a is not None and m.startswith("Started scmpd.service"):
        t_b = t
        break
print("%.0f" % ((t_b - t_a) / 1000) if t_a and t_b else "?")')
        say "figure: $name: adopted=$adopted replayed=$replayed exit_to_ready_ms=$down (systemd's journal) action_to_ready_ms=$t_ready action_to_served_ms=$t_served (harness polling)"
}
for r in $(seq "$ROUNDS"); do survive "sigkill#$r" act_kill; done
# A drop-in with a short watchdog, applied by the restart.
ct mkdir -p /etc/systemd/system/scmpd.service.d
ct sh -c 'printf "[Service]\nWatchdogSec=3s\n" >/etc/systemd/system/scmpd.service.d/watchdog.conf'
ct systemctl daemon-reload
survive restart act_restart
[ "$(prop scmpd.service WatchdogUSec)" = 3s ] || bad "the watchdog drop-in is not in force: $(prop scmpd.service WatchdogUSec)"
survive watchdog act_stop
ct journalctl -u scmpd -o cat | grep -qi "watchdog timeout" && ok "systemd's journal names the watchdog timeout" ||
        bad "no watchdog timeout in the journal"
ct rm -f /etc/systemd/system/scmpd.service.d/watchdog.conf

# ---- the emulators under the unit's sandbox: mount enters the target's mount namespace ----
if ct unshare -m --propagation private "$SCMPCTL" run --metadata emu --id emu -- \
        setpriv --bounding-set -sys_admin --inh-caps -sys_admin -- \
        sh -c 'mount -t tmpfs none /mnt && grep -q " /mnt .* - tmpfs none " /proc/self/mountinfo' \
        >"$S/emu.out" 2>&1; then
        ok "emulated mount of a tmpfs in the target's mount namespace (setns under the unit's sandbox)"
else
        bad "mount emulation under systemd failed: $(tail -3 "$S/emu.out")"
        ct journalctl -u scmpd -o cat --no-pager | tail -15
fi

# mknod is emulated only for a caller in a mount namespace of its own: one in the host's is
# refused (issue 18), whatever the policy says.
if ct unshare -m --propagation private "$SCMPCTL" run --metadata emu --id emu-mknod -- \
        setpriv --bounding-set -mknod --inh-caps -mknod -- \
        sh -c "mknod $CS/null c 1 3 && test -c $CS/null" >"$S/emu-mknod.out" 2>&1; then
        ok "emulated mknod of a null device node for a caller without CAP_MKNOD"
else
        bad "mknod emulation under systemd failed: $(tail -3 "$S/emu-mknod.out")"
        ct journalctl -u scmpd -o cat --no-pager | tail -8
fi

# ---- 5. journald ----
ct sh -c 'printf "[Service]\nExecStart=\nExecStart=%s --foreground --log-level debug\n" "$1" \
        >/etc/systemd/system/scmpd.service.d/debug.conf' sh "$PREFIX/sbin/scmpd"
ct systemctl daemon-reload
ct systemctl restart scmpd
ct "$SCMPCTL" run --metadata journal --id journal-probe -- sh -c "mkdir $CS/j && ! mknod $CS/jp p" \
        >"$S/journal.out" 2>&1 || bad "journal probe: $(cat "$S/journal.out")"
ct journalctl -u scmpd -o json --no-pager >"$W/journal.json"
python3 - "$W/journal.json" <<'EOP' >"$W/journal.check" 2>&1
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
mine = [r for r in recs if r.get("SCMPD_CONTAINER_ID") == "journal-probe"]
bad = 0
def want(what, pred):
    global bad
    hit = [r for r in mine if pred(r)]
    print(("ok" if hit else "FAIL") + ": " + what)
    bad += not hit
want("audit record: PRIORITY=4 with SCMPD_SYSCALL=mknod*, SCMPD_METADATA=journal, SCMPD_TID, SCMPD_ARGS",
     lambda r: r.get("PRIORITY") == "4" and r.get("SCMPD_SYSCALL", "").startswith("mknod")
     and r.get("SCMPD_METADATA") == "journal" and r.get("SCMPD_TID") and r.get("SCMPD_ARGS"))
want("decision: PRIORITY=7 with SCMPD_SESSION, SCMPD_SYSCALL=mknod*, SCMPD_VERDICT=errno:EPERM",
     lambda r: r.get("PRIORITY") == "7" and r.get("SCMPD_SESSION", "").isdigit()
     and r.get("SCMPD_SYSCALL", "").startswith("mknod") and r.get("SCMPD_VERDICT") == "errno:EPERM")
want("decision: SCMPD_VERDICT=continue for mkdir*",
     lambda r: r.get("SCMPD_VERDICT") == "continue" and r.get("SCMPD_SYSCALL", "").startswith("mkdir"))
want("session record: SCMPD_SESSION and SCMPD_CONTAINER_ID on a listener's own messages",
     lambda r: r.get("SCMPD_SESSION", "").isdigit() and "SCMPD_VERDICT" not in r
     and "SCMPD_SYSCALL" not in r)
want("every scmpd record names SYSLOG_IDENTIFIER=scmpd",
     lambda r: r.get("SYSLOG_IDENTIFIER") == "scmpd")
sys.exit(1 if bad else 0)
EOP
jrc=$?
while read -r line; do
        case $line in
        ok:*) ok "journald ${line#ok: }" ;;
        *) bad "journald ${line#FAIL: }" ;;
        esac
done <"$W/journal.check"
[ $jrc = 0 ] || say "$(grep -c . "$W/journal.json") records; $(grep -c journal-probe "$W/journal.json") of the probe"
ct rm -f /etc/systemd/system/scmpd.service.d/debug.conf
ct systemctl daemon-reload

# ---- 7. exposure ----
exposure=$(ct systemd-analyze security --no-pager scmpd.service 2>/dev/null |
        sed -n 's/.*Overall exposure level for scmpd.service: \([0-9.]*\).*/\1/p')
say "figure: systemd-analyze security scmpd.service: ${exposure:-?}"
if [ -n "$exposure" ] && python3 -c 'import sys; sys.exit(float(sys.argv[1]) > float(sys.argv[2]))' \
        "$exposure" "$MAX_EXPOSURE"; then
        ok "exposure $exposure is at most $MAX_EXPOSURE (docs/units.md)"
else
        bad "exposure ${exposure:-unknown} is above $MAX_EXPOSURE"
        ct systemd-analyze security --no-pager scmpd.service 2>&1 | grep '✗' | head -40
fi

# ---- 6. stop ----
ct systemctl stop scmpd.socket scmpd
for u in scmpd.service scmpd.socket scmpd-control.socket; do
        st=$(prop $u ActiveState)
        [ "$st" = inactive ] && ok "$u is inactive after the stop" || bad "$u is $st after the stop"
done
left=$(ct sh -c 'ls -A /run/scmpd 2>/dev/null')
[ -z "$left" ] && ok "no socket file left in /run/scmpd" || bad "left in /run/scmpd: $left"
procs=$(ct pgrep -a -x scmpd)
[ -z "$procs" ] && ok "no scmpd process left" || bad "processes left: $procs"
[ "$(prop scmpd.service NFileDescriptorStore)" = 0 ] && ok "the fd store was released" ||
        bad "fd store still holds $(prop scmpd.service NFileDescriptorStore) fds"

# scmpd itself had nothing to warn about in all of this (the audit records are the policy's).
ct journalctl -u scmpd -p warning -o json --no-pager >"$W/warnings.json"
python3 - "$W/warnings.json" <<'EOP' >"$W/warnings.txt"
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("SYSLOG_IDENTIFIER") == "scmpd" and "SCMPD_SYSCALL" not in r:
        print(r.get("MESSAGE"))
EOP
[ -s "$W/warnings.txt" ] && bad "scmpd warned: $(head -5 "$W/warnings.txt")" || ok "scmpd logged no warning or error"
e2e_finish real-systemd
