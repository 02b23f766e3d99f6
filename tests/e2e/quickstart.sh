#!/bin/bash
# docs/quickstart.md, followed to the letter: every ```sh block of the page runs, in order, in
# one bash process, in a scratch directory where ./build/daemon/scmpd, ./build/client/scmpctl and
# docs/examples are this build's and this tree's. One line is changed: the page's
# `export QS=/tmp/scmpd-quickstart` points into the scratch directory, so that runs never share
# state. Blocks that open with "# terminal N" are what the reader leaves running in another
# terminal: they run in the background, and the test waits (with generous bounds) for what the
# reader would see before going on: scmpd's sockets, the monitor's subscription. Starting a
# second "terminal 1" block first stops the scmpd of the first (SIGINT, the reader's Ctrl-C).
# runc and crun are shell functions that bound each call with a timeout and, only where this
# machine's hybrid cgroups need it, give crun a private mount namespace (tests/e2e/lib.sh).
#
# Then it checks what the page promises: with the built-in default, runc and crun containers
# (and crun with the receiver annotation) run mkdir and uname and are refused mount; the monitor
# saw their calls; with docs/examples/mount-emulation.json their mount succeeds, emulated.
# Exit 77 without root, runc and crun, busybox-static or user_notif.
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${SCMPD_SOURCE_ROOT:-$HERE/../..}
PAGE=${QUICKSTART_PAGE:-$SRC/docs/quickstart.md}
TMO=${E2E_TIMEOUT:-60}
. "$HERE/lib.sh"
e2e_require root
[ -n "${SCMPD_BIN:-}" ] && [ -x "$SCMPD_BIN" ] || { say "skip: SCMPD_BIN is not set"; exit 77; }
[ -n "${SCMPCTL_BIN:-}" ] && [ -x "$SCMPCTL_BIN" ] || { say "skip: SCMPCTL_BIN is not set"; exit 77; }
E2E_RUNTIMES="runc crun" e2e_require runtimes busybox notify
case "$RUNTIMES" in *runc*crun*) ;; *) say "skip: the page runs both runc and crun"; exit 77 ;; esac
e2e_workdir quickstart
IDS="qs-runc qs-crun qs-crun-annotation qs-runc-mount qs-crun-mount"
for id in $IDS; do
        for rt in runc crun; do CREATED+=("$rt $id"); done
done
e2e_cleanup_extra() {
        local p
        for p in $(cat "$W/bg.pids" 2>/dev/null); do
                kill "$p" 2>/dev/null
        done
        sleep 0.2
        for p in $(cat "$W/bg.pids" 2>/dev/null); do
                kill -KILL "$p" 2>/dev/null
        done
}

# ---- the page's blocks, as a script
mkdir -p "$W/run/build/daemon" "$W/run/build/client" "$W/run/docs" "$W/out"
ln -s "$SCMPD_BIN" "$W/run/build/daemon/scmpd"
ln -s "$SCMPCTL_BIN" "$W/run/build/client/scmpctl"
ln -s "$SRC/docs/examples" "$W/run/docs/examples"
python3 - "$PAGE" "$W" >"$W/page.sh" <<'EOP' || { bad "cannot read the page's blocks"; exit 1; }
import re, sys
page, w = sys.argv[1], sys.argv[2]
text = open(page).read()
blocks = re.findall(r"^```sh\n(.*?)^```$", text, re.S | re.M)
qs = "export QS=/tmp/scmpd-quickstart\n"
if not blocks or sum(b.count(qs) for b in blocks) != 1:
    sys.exit("the page has no sh blocks, or not exactly one line %r" % qs.strip())
print("set +e")
for i, b in enumerate(blocks):
    b = b.replace(qs, "export QS=%s/qs\n" % w)
    first = b.split("\n", 1)[0]
    m = re.match(r"# terminal (\d+)$", first)
    print("qs_before %d %s" % (i, m.group(1) if m else "-"))
    if m:
        print("{\n%s} >%s/out/%d.out 2>&1 </dev/null &\necho $! >>%s/bg.pids" % (b, w, i, w))
        print("qs_after %d %s $!" % (i, m.group(1)))
    else:
        print("{\n%s} >%s/out/%d.out 2>&1 </dev/null\necho $? >%s/out/%d.rc" % (b, w, i, w, i))
        print("qs_after %d - 0" % i)
print("echo done >%s/out/done" % w)
EOP
n_blocks=$(grep -c '^qs_before' "$W/page.sh")
say "the page has $n_blocks sh blocks"

cat >"$W/hooks.sh" <<'EOH'
runc() { timeout -k 5 "$TMO" "$(type -P runc)" "$@"; }
crun() {
        if [ "$CRUN_WRAP" = 1 ]; then
                timeout -k 5 "$TMO" unshare -m --propagation private \
                        sh -c 'umount -l /sys/fs/cgroup/unified && exec crun "$@"' crun "$@"
        else
                timeout -k 5 "$TMO" "$(type -P crun)" "$@"
        fi
}
declare -A TERMINAL
qs_before() { # BLOCK TERMINAL|-
        local t=$2 p=${TERMINAL[$2]:-} i
        [ "$t" = - ] || [ -z "$p" ] && return 0
        kill -INT "$p" 2>/dev/null # the reader's Ctrl-C
        for i in $(seq 1 600); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        rm -f "$QS/scmpd.sock" "$QS/control.sock"
}
qs_after() { # BLOCK TERMINAL|- PID
        local i
        [ "$2" = - ] && return 0
        TERMINAL[$2]=$3
        echo "$1" >>"$W/out/terminal-$2"
        for i in $(seq 1 600); do # scmpd: both sockets; the monitor: subscribed
                if [ "$2" = 1 ]; then
                        [ -S "$QS/control.sock" ] && [ -S "$QS/scmpd.sock" ] && return 0
                elif "$SCMPCTL_BIN" status --json 2>/dev/null | grep -q '"monitors": *[1-9]'; then
                        return 0
                fi
                sleep 0.1
        done
        echo "quickstart: block $1 (terminal $2) did not get ready" >&2
}
EOH
(cd "$W/run" && W=$W TMO=$TMO CRUN_WRAP=$CRUN_WRAP SCMPCTL_BIN=$SCMPCTL_BIN \
        bash -c ". '$W/hooks.sh'; . '$W/page.sh'") >"$W/driver.out" 2>&1
[ -f "$W/out/done" ] && ok "every block of the page ran" || bad "the page did not run to its end"
cat "$W/driver.out"
e2e_cleanup_extra
for f in $(ls "$W"/out/[0-9]*.out | sort -V); do
        say "---- block $(basename "$f" .out) (rc=$(cat "${f%.out}.rc" 2>/dev/null || echo bg))"
        grep -v ' audit: ' "$f" | sed 's/^/    /' | head -40
done

# ---- what the page promises
count() { grep -cxF "$2" "$1" 2>/dev/null || true; }
for f in "$W"/out/[0-9]*.rc; do
        [ "$(cat "$f")" = 0 ] && ok "block $(basename "$f" .rc) exited 0" ||
                bad "block $(basename "$f" .rc) exited $(cat "$f")"
done
runs=$(cat "$W"/out/*.out 2>/dev/null)
n_refused=$(printf '%s\n' "$runs" | grep -cx 'mount refused')
n_mkdir=$(printf '%s\n' "$runs" | grep -cx 'mkdir ok')
n_mount=$(printf '%s\n' "$runs" | grep -cx 'mount ok')
n_linux=$(printf '%s\n' "$runs" | grep -cx 'Linux')
[ "$n_mkdir" -eq 5 ] && ok "five containers ran mkdir" || bad "mkdir ok: $n_mkdir of 5"
[ "$n_linux" -eq 5 ] && ok "five containers ran uname" || bad "Linux: $n_linux of 5"
[ "$n_refused" -eq 3 ] && ok "built-in default: mount refused in runc, crun and crun (annotation)" ||
        bad "mount refused: $n_refused of 3"
[ "$n_mount" -eq 2 ] && ok "mount-emulation: mount emulated in runc and crun" ||
        bad "mount ok: $n_mount of 2"
scmpd_log=$(for b in $(cat "$W/out/terminal-1" 2>/dev/null); do cat "$W/out/$b.out"; done)
monitor=$(for b in $(cat "$W/out/terminal-2" 2>/dev/null); do cat "$W/out/$b.out"; done)
printf '%s\n' "$scmpd_log" | grep -q 'ready: policy built-in default (audit every notification' &&
        ok "the ready line names the built-in default" || bad "no ready line for the built-in default"
n=$(printf '%s\n' "$scmpd_log" | grep -cE 'audit: container qs-(runc|crun|crun-annotation): [1-9][0-9]* calls')
[ "$n" -eq 3 ] && ok "scmpd logged the audit summary of the three default containers" ||
        bad "scmpd's log has $n audit summaries of the default containers, not 3"
n=$(printf '%s\n' "$scmpd_log" | grep -cE 'handler mount: tid [0-9]+: emulated mount on "/mnt": ok')
[ "$n" -eq 2 ] && ok "scmpd emulated two mounts" || bad "emulated mounts in scmpd's log: $n, not 2"
n=$(printf '%s\n' "$monitor" | grep -c 'mkdir')
[ "$n" -ge 3 ] && ok "the monitor showed the containers' mkdir calls ($n lines)" ||
        bad "the monitor showed $n mkdir lines"
left=$(for rt in runc crun; do timeout 20 "$rt" list -q 2>/dev/null; done | grep -c '^qs-' || true)
[ "$left" -eq 0 ] || say "note: $left qs-* containers listed before cleanup"
e2e_finish quickstart
