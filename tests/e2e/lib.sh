# Shared by the e2e scripts (sourced, not run): reporting, the skip conditions, the bounded
# runtime call with crun's cgroup workaround, the scratch directory with its cleanup, and the
# busybox rootfs. A script sets TMO (seconds per runtime call) before calling rt_cmd, records
# every container it creates with `CREATED+=("RUNTIME ID")`, and may define e2e_cleanup_extra
# to stop its own background processes; everything else is cleaned up here on any exit.

pass=0 fail=0 CREATED=()

say() { printf '%s\n' "$*"; }
ok() { pass=$((pass + 1)); say "ok: $*"; }
bad() { fail=$((fail + 1)); say "FAIL: $*"; }

# e2e_require WHAT...: exit 77 (skip) unless each of root, runtimes (sets RUNTIMES from
# E2E_RUNTIMES, default "runc crun"), busybox (a static one, sets BUSYBOX), notify is here.
e2e_require() {
        local what rt
        for what in "$@"; do
                case $what in
                root) [ "$(id -u)" = 0 ] || { say "skip: needs root"; exit 77; } ;;
                runtimes)
                        RUNTIMES=""
                        for rt in ${E2E_RUNTIMES:-runc crun}; do
                                command -v "$rt" >/dev/null && RUNTIMES="$RUNTIMES $rt"
                        done
                        [ -n "$RUNTIMES" ] || { say "skip: neither runc nor crun is installed"; exit 77; }
                        ;;
                busybox)
                        BUSYBOX=$(command -v busybox || true)
                        if [ -z "$BUSYBOX" ] || ldd "$BUSYBOX" >/dev/null 2>&1; then
                                say "skip: a static busybox (busybox-static) is needed for the rootfs"
                                exit 77
                        fi
                        ;;
                notify)
                        grep -qw user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null ||
                                { say "skip: the kernel has no seccomp user notification"; exit 77; }
                        ;;
                esac
        done
}

# crun 1.8 refuses cgroup "hybrid" mode when the cgroup2 mount has controllers; where that is the
# case, crun runs in a private mount namespace with /sys/fs/cgroup/unified hidden. The host is
# not changed.
CRUN_WRAP=0
if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ] &&
        [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
        [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
        CRUN_WRAP=1
fi

# e2e_start_scmpd CONFIG: the built scmpd in the background with CONFIG, handing off on $SOCK and
# controlled on $CSOCK (default $W/control.sock), logging at debug to $LOG; DPID is its pid.
# Returns 0 once both sockets exist, 1 after a generous bound. e2e_stop_scmpd ends it.
e2e_start_scmpd() {
        local ctl=${CSOCK:-$W/control.sock}
        rm -f "$SOCK" "$ctl"
        "$SCMPD_BIN" --config "$1" --listen "$SOCK" --control "$ctl" --foreground \
                --log-target stderr --log-level debug 2>>"$LOG" </dev/null &
        DPID=$!
        for _ in $(seq 1 2400); do [ -S "$SOCK" ] && [ -S "$ctl" ] && return 0; sleep 0.05; done
        return 1
}
e2e_stop_scmpd() {
        kill "$DPID" 2>/dev/null
        wait "$DPID" 2>/dev/null
        DPID=""
}

# rt_cmd RUNTIME ARGS...: one runtime call, bounded by TMO seconds.
rt_cmd() {
        local rt=$1
        shift
        if [ "$rt" = crun ] && [ $CRUN_WRAP = 1 ]; then
                timeout -k 5 "$TMO" unshare -m --propagation private \
                        sh -c 'umount -l /sys/fs/cgroup/unified && exec crun "$@"' crun "$@"
        else
                timeout -k 5 "$TMO" "$rt" "$@"
        fi
}

e2e_cleanup() {
        local pair
        if declare -F e2e_cleanup_extra >/dev/null; then e2e_cleanup_extra; fi
        for pair in "${CREATED[@]:+${CREATED[@]}}"; do
                timeout -k 5 20 "${pair%% *}" delete -f "${pair#* }" >/dev/null 2>&1 || true
        done
        [ -n "${W:-}" ] && rm -rf "$W"
}

# e2e_workdir NAME: a fresh scratch directory in W, removed with everything else on exit.
e2e_workdir() {
        W=$(mktemp -d "/tmp/scmpd-$1.XXXXXX") || exit 1
        trap e2e_cleanup EXIT
        trap 'exit 130' INT TERM
}

# e2e_rootfs DIR APPLET...: a busybox rootfs with the usual empty mount points.
e2e_rootfs() {
        local r=$1 a
        shift
        mkdir -p "$r"/{bin,proc,dev,sys,tmp,mnt,etc}
        cp "$BUSYBOX" "$r/bin/busybox"
        for a in "$@"; do ln -s busybox "$r/bin/$a"; done
}

# e2e_finish NAME: the closing line and the exit status.
e2e_finish() {
        say "$1: $pass passed, $fail failed"
        [ "$fail" -eq 0 ]
        exit $?
}
