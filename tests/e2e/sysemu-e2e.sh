#!/bin/bash
# e2e for the sysinfo and sched handlers (docs/examples/container-view.json): Debian's runc and
# crun each run two busybox containers with a 64 MiB memory limit whose seccomp profile hands
# sysinfo and the sched_set* calls to the built scmpd.
#   - "plain" (no user namespace): `free` reports the limit, `uptime` and the probe report the
#     container's age and its two tasks, hostile sysinfo pointers get EFAULT (and a read-only
#     page stays unchanged), and an RT policy is refused: the caller is in the host's user
#     namespace, where scmpd lends nothing.
#   - "userns" (uids 0..65535 mapped to 100000.., CAP_SYS_NICE in its namespace, an RT budget in
#     its cpu cgroup): SCHED_FIFO 5 is set (read back by the kernel), 50 is outside the policy
#     (EPERM), setparam and another pid of the container work, a negative nice, a missing pid, a
#     caller without CAP_SYS_NICE and hostile sched_attr pointers are refused as the kernel would,
#     and a thread rewriting the sched_attr while the call is pending never gets a priority past
#     the bound.
# Every runtime call is bounded; containers, scmpd and scratch files are always cleaned up.
# crun gets the hybrid-cgroup workaround only where this machine needs it. Exit 77 when root, both
# runtimes, busybox-static or user_notif are missing. Usage: sysemu-e2e.sh PROBE
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${SCMPD_SOURCE_ROOT:-$HERE/../..}
PROBE=${1:-}
TMO=${E2E_TIMEOUT:-120}
DPID=""
. "$HERE/lib.sh"
e2e_require root
[ -n "${SCMPD_BIN:-}" ] && [ -x "$SCMPD_BIN" ] || { say "skip: SCMPD_BIN is not set"; exit 77; }
[ -x "$PROBE" ] || { say "skip: the static probe is not built"; exit 77; }
e2e_require runtimes busybox notify
e2e_workdir sysemu-e2e
chmod 755 "$W" # the user-namespace container's root must reach its rootfs
SOCK=$W/scmpd.sock LOG=$W/scmpd.log
LIMIT=$((64 * 1024 * 1024))
e2e_cleanup_extra() {
        if [ -n "$DPID" ]; then kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; fi
}

B=$W/bundle R=$W/bundle/rootfs
e2e_rootfs "$R" sh free uptime grep cat echo sleep kill
cp "$PROBE" "$R/bin/sys-probe"
chmod -R a+rX "$W/bundle"

cat >"$R/plain.sh" <<'EOS'
echo "E2E: start"
/bin/sys-probe sysinfo
free | sed 's/^/E2E: free: /'
uptime | sed 's/^/E2E: uptime: /'
/bin/sys-probe efault
/bin/sys-probe chrt fifo 5
echo "E2E: done"
EOS
cat >"$R/userns.sh" <<'EOS'
echo "E2E: start"
/bin/sys-probe sysinfo
free | sed 's/^/E2E: free: /'
/bin/sys-probe chrt fifo 5
/bin/sys-probe chrt fifo 50
/bin/sys-probe chrt rr 10
/bin/sys-probe setparam 5 7
/bin/sys-probe setparam 5 50
/bin/sys-probe setattr other 0 5
/bin/sys-probe setattr other 0 -5
/bin/sys-probe attr-fault
/bin/sys-probe nocap fifo 5
sleep 300 &
P=$!
/bin/sys-probe chrt fifo 3 $P
kill $P
/bin/sys-probe chrt fifo 3 4242
/bin/sys-probe race 300
/bin/sys-probe efault
echo "E2E: done"
EOS

(cd "$B" && timeout 20 runc spec 2>/dev/null) || { bad "cannot create a spec"; exit 1; }
cp "$B/config.json" "$W/spec.json"
# make_config MODE: plain or userns
make_config() {
        python3 - "$W/spec.json" "$B/config.json" "$R" "$SOCK" "$1" "$LIMIT" <<'EOP'
import json, sys
src, dst, rootfs, sock, mode, limit = sys.argv[1:7]
c = json.load(open(src))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "/%s.sh" % mode]
c["root"] = {"path": rootfs, "readonly": True}
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys/fs/cgroup"]
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "nodev", "mode=1777", "size=16m"]})
res = c["linux"].setdefault("resources", {})
res["memory"] = {"limit": int(limit)}
if mode == "userns":
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    for k in ("bounding", "effective", "permitted"):
        c["process"]["capabilities"][k].append("CAP_SYS_NICE")
    # an RT budget in its cpu cgroup: with RT group scheduling no task of a group without one
    # may be real-time, whoever sets the policy
    res["cpu"] = {"realtimeRuntime": 50000, "realtimePeriod": 1000000}
c["linux"]["seccomp"] = {
    "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": sock, "listenerMetadata": "container-view",
    "syscalls": [{"names": ["sysinfo", "sched_setscheduler", "sched_setparam", "sched_setattr"],
                  "action": "SCMP_ACT_NOTIFY"}],
}
json.dump(c, open(dst, "w"), indent=2)
EOP
}

start_scmpd() { e2e_start_scmpd "$SRC/docs/examples/container-view.json"; }
stop_scmpd() { e2e_stop_scmpd; }

has() { grep -qxF "$2" "$OUT" && ok "$1: '$2'" || bad "$1: no '$2'"; }
has_re() { grep -qE "$2" "$OUT" && ok "$1: /$2/" || bad "$1: no /$2/"; }
log_re() { grep -qE "$2" "$LOG" && ok "$1: scmpd logged /$2/" || bad "$1: scmpd did not log /$2/"; }

# The sysinfo checks both containers share. $1: the container's name, $2: seconds it lived.
check_sysinfo() {
        local line total unit procs up
        line=$(grep '^PROBE: sysinfo rc=' "$OUT")
        total=$(sed -n 's/.* totalram=\([0-9]*\).*/\1/p' <<<"$line")
        unit=$(sed -n 's/.* mem_unit=\([0-9]*\).*/\1/p' <<<"$line")
        procs=$(sed -n 's/.* procs=\([0-9]*\).*/\1/p' <<<"$line")
        up=$(sed -n 's/.* uptime=\([0-9]*\).*/\1/p' <<<"$line")
        say "$1: $line"
        [ -n "$total" ] && [ "$((total * unit))" -eq "$LIMIT" ] &&
                ok "$1: sysinfo's totalram is the 64 MiB limit (mem_unit $unit)" ||
                bad "$1: sysinfo totalram=$total mem_unit=$unit, not $LIMIT bytes"
        # busybox free prints "Mem:   " and then 12 columns per number, in KiB. Its "used" is
        # total - free - buffers - cached, and cached comes from the host's /proc/meminfo, so it
        # may wrap: only the total is sysinfo's.
        line=$(grep '^E2E: free: Mem:' "$OUT")
        line=${line#E2E: free: Mem:   }
        line=${line:0:12}
        [ "${line// /}" = 65536 ] && ok "$1: free reports 65536 KiB total" ||
                bad "$1: free's total is '${line// /}': $(grep 'free: Mem' "$OUT")"
        # Two tasks in its cgroup when the probe ran: sh and the probe.
        [ "$procs" = 2 ] && ok "$1: procs is its two tasks" || bad "$1: procs=$procs"
        # Its uptime is its own age: at most the time runc ran, far below the host's.
        [ -n "$up" ] && [ "$up" -ge 1 ] && [ "$up" -le "$2" ] &&
                ok "$1: uptime $up s, within the container's life ($2 s; host $(cut -d. -f1 /proc/uptime) s)" ||
                bad "$1: uptime=$up, the container lived $2 s"
}

for rt in $RUNTIMES; do
        for mode in plain userns; do
                id="s24a-sys-$mode-$$"
                OUT=$W/$mode.out
                name="$rt/$mode"
                : >"$LOG"
                make_config $mode || { bad "$name: cannot write config.json"; continue; }
                start_scmpd || { bad "$name: scmpd did not start"; continue; }
                CREATED+=("$rt $id")
                t0=$(cut -d. -f1 /proc/uptime)
                rt_cmd "$rt" run -b "$B" "$id" >"$OUT" 2>&1 </dev/null
                rc=$?
                t1=$(cut -d. -f1 /proc/uptime)
                for _ in $(seq 1 2400); do grep -q 'listener closed: no task' "$LOG" && break; sleep 0.05; done
                stop_scmpd
                say "---- $name container output (rc=$rc)"
                sed 's/^/    /' "$OUT"
                [ $rc -eq 0 ] && ok "$name: container exited 0" || bad "$name: container rc=$rc"
                has "$name" "E2E: done"
                check_sysinfo "$name" $((t1 - t0 + 1))
                has "$name" "PROBE: sysinfo NULL rc=EFAULT"
                has "$name" "PROBE: sysinfo read-only rc=EFAULT unchanged=1"
                has "$name" "PROBE: sysinfo crossing rc=EFAULT"
                if [ $mode = plain ]; then
                        has_re "$name" '^E2E: uptime: .* up +[0-9]+ min,'
                        has "$name" "PROBE: chrt fifo 5 rc=EPERM now=0/0/0"
                        log_re "$name" "handler sched: tid [0-9]+ shares the host's or scmpd's user namespace; sched_setscheduler refused"
                else
                        has "$name" "PROBE: chrt fifo 5 rc=0 now=1/5/0"
                        has "$name" "PROBE: chrt fifo 50 rc=EPERM now=0/0/0"
                        has "$name" "PROBE: chrt rr 10 rc=0 now=2/10/0"
                        has "$name" "PROBE: setparam 7 rc=0 now=1/7/0"
                        has "$name" "PROBE: setparam 50 rc=EPERM now=1/5/0"
                        has "$name" "PROBE: setattr other 0 5 rc=0 now=0/0/5"
                        has "$name" "PROBE: setattr other 0 -5 rc=EPERM now=0/0/0"
                        has "$name" "PROBE: setattr NULL rc=EINVAL"
                        has "$name" "PROBE: setattr unmapped rc=EFAULT"
                        has "$name" "PROBE: setattr crossing rc=EFAULT"
                        has "$name" "PROBE: setattr unknown-tail rc=E2BIG size-now=56"
                        has "$name" "PROBE: nocap chrt fifo 5 rc=EPERM"
                        has_re "$name" '^PROBE: chrt fifo 3 [0-9]+ rc=0 now=1/3/0$'
                        has "$name" "PROBE: chrt fifo 3 4242 rc=ESRCH now=-1/0/0"
                        has_re "$name" '^PROBE: race n=300 ok=[0-9]+ refused=[0-9]+ other=[0-9]+ violations=0$'
                        log_re "$name" 'handler sched: tid [0-9]+: emulated sched_setscheduler of pid 0: policy 1 priority 5: ok'
                        log_re "$name" 'handler sched: tid [0-9]+: sched_setscheduler of pid 0 to policy 1 priority 50 refused by policy'
                        log_re "$name" 'handler sched: tid [0-9]+ lacks CAP_SYS_NICE in its user namespace'
                fi
                if grep -qE 'warning|error' "$LOG"; then
                        bad "$name: scmpd logged warnings: $(grep -E 'warning|error' "$LOG" | head -3)"
                else
                        ok "$name: scmpd logged no warnings"
                fi
                rt_cmd "$rt" delete -f "$id" >/dev/null 2>&1
        done
done

left=$(for rt in $RUNTIMES; do timeout 20 "$rt" list -q 2>/dev/null; done | grep -c "^s24a-sys-.*-$$" || true)
[ "$left" -eq 0 ] && ok "no containers left behind" || bad "$left containers left behind"
e2e_finish sysemu-e2e
