#!/bin/bash
# What an operator meets first, checked against the built scmpd and scmpctl (issue 19):
# - the README's first command installs only the run set; .ci/run is the README's second command;
# - the built-in default serves (audit + continue) and the ready line says so, with both sockets
#   and the features by name;
# - scmpctl gives up on a stopped scmpd (--timeout, exit 6) at connect and at the reply;
# - a refused reload says why (text, --json, the protocol's reason);
# - typos are usage errors; man pages and --help agree (options, the handoff socket's mode,
#   run --id's default, version --help, metrics --json).
# Every wait is bounded generously (an outer timeout turns a hang into a failure, never a
# deadline on speed). Root is needed for the daemon parts (exit 77 otherwise).
set -u
export LC_ALL=C
SRC=${SCMPD_SOURCE_ROOT:?}
PLUGIN_OK=${1:?a test handler plugin} PLUGIN_BADABI=${2:?a plugin with a wrong ABI}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
T=$(mktemp -d /tmp/scmpd-operator.XXXXXX)
PIDS=()
cleanup() {
        local p
        for p in "${PIDS[@]:+${PIDS[@]}}"; do
                kill -CONT "$p" 2>/dev/null
                kill "$p" 2>/dev/null
                wait "$p" 2>/dev/null
        done
        rm -rf "$T"
}
trap cleanup EXIT

# ---- install-deps and the README
run_set=$("$SRC/scripts/install-deps" --list --run)
all_set=$("$SRC/scripts/install-deps" --list)
check "install-deps --run lists packages" "[ -n \"\$run_set\" ]"
heavy=$(printf '%s\n' "$run_set" | grep -E '^(linux-source|golang|llvm|clang|runc|crun|libcmocka)' || true)
check "install-deps --run leaves out the test toolchain (got: ${heavy:-none})" "[ -z \"\$heavy\" ]"
missing=$(printf '%s\n' "$run_set" | grep -vxF -f <(printf '%s\n' "$all_set") || true)
check "the full set contains the run set" "[ -z \"\$missing\" ]"
check "the full set has the node exporter" "printf '%s\n' \"\$all_set\" | grep -qx prometheus-node-exporter"
readme_cmds=$(sed -n '/^```sh$/,/^```$/p' "$SRC/README.md" | grep '^\./scripts/install-deps' | head -2)
first=$(printf '%s\n' "$readme_cmds" | sed -n 1p)
second=$(printf '%s\n' "$readme_cmds" | sed -n 2p)
check "the README's first command installs the run set only" \
        "case \"\$first\" in './scripts/install-deps --run &&'*) true ;; *) false ;; esac"
check "the README's second command installs the full set" \
        "case \"\$second\" in './scripts/install-deps && '*) true ;; *) false ;; esac"
check ".ci/run calls the README's second command verbatim" "[ \"\$(tail -1 \"\$SRC/.ci/run\")\" = \"\$second\" ]"
check "the README links the quickstart near its top" \
        "head -12 \"\$SRC/README.md\" | grep -q '(docs/quickstart.md)'"

# ---- man pages and --help agree
help_opts=$("$SCMPD_BIN" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
synopsis=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$SRC/docs/man/scmpd.8" | sed 's/\\-/-/g')
for o in $help_opts; do
        check "scmpd(8)'s SYNOPSIS has $o" "printf '%s\n' \"\$synopsis\" | grep -qe '$o'"
done
run_help=$("$SCMPCTL_BIN" run --help)
scmpctl_man=$(sed 's/\\-/-/g; s/\\f[BIPR]//g' "$SRC/docs/man/scmpctl.1")
for o in $(printf '%s\n' "$run_help" | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
        check "scmpctl(1) documents run $o" "printf '%s\n' \"\$scmpctl_man\" | grep -qe '$o'"
done
check "run --help names the id scmpd really uses (scmpd-<PID>)" \
        "printf '%s\n' \"\$run_help\" | grep -q 'default scmpd-<PID>'"
check "scmpctl(1) names the same default id" "printf '%s\n' \"\$scmpctl_man\" | grep -qE 'scmpd- ?PID'"
out=$("$SCMPCTL_BIN" version --help); rc=$?
check "scmpctl version --help prints its usage and exits 0" "[ $rc -eq 0 ] && [ \"\$out\" = 'Usage: scmpctl version' ]"
"$SCMPCTL_BIN" version extra >/dev/null 2>&1
check "scmpctl version with an argument is a usage error" "[ $? -eq 2 ]"
mon_help=$("$SCMPCTL_BIN" monitor --help)
check "monitor --help says --container GLOB, as scmpctl(1)" \
        "printf '%s\n' \"\$mon_help\" | grep -q -- '--container GLOB'"
for o in --control --timeout; do
        check "control commands' help names $o" "printf '%s\n' \"\$mon_help\" | grep -q -- '$o'"
        check "scmpctl(1) documents $o" "printf '%s\n' \"\$scmpctl_man\" | grep -q -- '^.B $o'"
done
"$SCMPCTL_BIN" status --timeout soon >/dev/null 2>&1
check "--timeout takes seconds only" "[ $? -eq 2 ]"

# ---- scmpd.json(5) documents every option the mount and mknod handlers accept
python3 - "$SRC" <<'EOP' && ok "scmpd.json(5) documents every mount and mknod option and flag" || bad "scmpd.json(5) misses handler options"
import re, sys
src = sys.argv[1]
man = open(src + "/docs/man/scmpd.json.5").read()
def section(name):
    m = re.search(r"^\.SH %s\n(.*?)^\.SH " % name, man, re.S | re.M)
    return m.group(1) if m else ""
mount, mknod = section("MOUNT HANDLER OPTIONS"), section("MKNOD HANDLER OPTIONS")
mc = open(src + "/daemon/handlers/mount.c").read()
keys = re.findall(r'"(\w+)"', re.search(r"keys\[\] = \{(.*?)\};", mc, re.S).group(1))
flags = re.findall(r'\{ "(\w+)", MS_\w+, (?:true|false) \}', mc)
nc = open(src + "/daemon/handlers/mknod.c").read()
nkeys = re.findall(r'strcmp\(key, "(\w+)"\)', nc)
missing = [k for k in keys + flags if not re.search(r"\b%s\b" % k, mount)]
missing += [k for k in nkeys if not re.search(r"^\.B %s$" % k, mknod, re.M)]
print("keys %d, flags %d, mknod keys %d; missing: %s" % (len(keys), len(flags), len(nkeys), missing))
sys.exit(1 if missing or len(keys) < 10 or len(flags) < 10 or len(nkeys) < 3 else 0)
EOP
# ... and every option of the sysinfo and sched handlers (issue 24), and sched's policy names
python3 - "$SRC" <<'EOP' && ok "scmpd.json(5) documents every sysinfo and sched option" || bad "scmpd.json(5) misses sysinfo or sched options"
import re, sys
src = sys.argv[1]
man = open(src + "/docs/man/scmpd.json.5").read()
missing, n = [], 0
for name, sect in (("sysinfo", "SYSINFO"), ("sched", "SCHED")):
    m = re.search(r"^\.SH %s HANDLER OPTIONS\n(.*?)^\.SH " % sect, man, re.S | re.M)
    text = m.group(1) if m else ""
    c = open(src + "/daemon/handlers/%s.c" % name).read()
    keys = re.findall(r'"(\w+)"', re.search(r"keys\[\] = \{(.*?)\};", c, re.S).group(1))
    words = keys + (re.findall(r'\{ "(\w+)", SCHED_\w+ \}', c) if name == "sched" else [])
    n += len(words)
    missing += ["%s:%s" % (name, k) for k in words if not re.search(r"^\.BR? %s\b" % k, text, re.M)]
print("sysinfo and sched words %d; missing: %s" % (n, missing))
sys.exit(1 if missing or n < 13 else 0)
EOP

# ---- typos are errors (no daemon needed: they fail before connecting)
"$SCMPCTL_BIN" monitor --control "$T/none.sock" --syscall mkdri >"$T/o" 2>"$T/e"
rc=$?
check "monitor --syscall mkdri is a usage error (rc $rc)" "[ $rc -eq 2 ] && grep -q \"unknown system call 'mkdri'\" '$T/e'"
"$SCMPCTL_BIN" metrics --control "$T/none.sock" --json >/dev/null 2>&1
check "metrics --json is refused, not ignored" "[ $? -eq 2 ]"

"$SCMPCTL_BIN" compile "$SRC/tests/data/docker-default.json" --caps CAP_FOO --stats >/dev/null 2>"$T/e"
rc=$?
check "compile --caps CAP_FOO is a usage error (rc $rc)" "[ $rc -eq 2 ] && grep -q \"unknown capability 'CAP_FOO'\" '$T/e'"
"$SCMPCTL_BIN" compile "$SRC/tests/data/docker-default.json" --caps sys_admin,CAP_BPF --stats >"$T/stats"
check "compile --caps takes known names either way" "[ $? -eq 0 ]"
check "compile --stats labels its columns" \
        "grep -qE '^ARCH +SYSCALLS +INSNS-MEAN +INSNS-MAX +CACHEABLE$' '$T/stats' && grep -q 'CACHEABLE: syscalls' '$T/stats'"

"$SCMPCTL_BIN" compile "$T/missing.json" --stats >/dev/null 2>"$T/e"
check "a missing profile is named once: $(cat "$T/e")" \
        "[ \"\$(grep -o 'missing.json' '$T/e' | wc -l)\" = 1 ]"

if [ "$(id -u)" != 0 ]; then
        echo "skip: the daemon parts need root"
        echo "operator: $pass passed, $fail failed"
        [ $fail -eq 0 ] || exit 1
        exit 77
fi

# ---- --check-config: a control group the file names must exist
echo '{ "control": { "group": "scmpd-no-such-group-19" }, "policies": [] }' >"$T/g.json"
"$SCMPD_BIN" --check-config --config "$T/g.json" --log-target stderr >/dev/null 2>"$T/e"
rc=$?
check "--check-config refuses a control.group that does not exist (rc $rc)" \
        "[ $rc -eq 1 ] && grep -q 'control.group: group \"scmpd-no-such-group-19\" does not exist' '$T/e'"
echo '{ "policies": [] }' >"$T/g.json"
"$SCMPD_BIN" --check-config --config "$T/g.json" --log-target stderr >/dev/null 2>&1
check "--check-config accepts the default group even where it does not exist" "[ $? -eq 0 ]"

# ---- --check-config opens every handler the file defines, and refuses an invalid glob
cc() { # NAME JSON: --check-config on it; sets rc, the log in $T/NAME.e
        printf '%s\n' "$2" >"$T/$1.json"
        "$SCMPD_BIN" --check-config --config "$T/$1.json" --log-target stderr >/dev/null 2>"$T/$1.e"
        rc=$?
}
cc h1 '{ "handlers": { "x": { "path": "/nonexistent/scmpd-x.so" } }, "policies": [] }'
check "--check-config opens a handler no chain names: a missing object (rc $rc)" \
        "[ $rc -eq 1 ] && grep -q 'handlers.x: handler \"x\"' '$T/h1.e'"
cc h2 '{ "handlers": { "y": { "path": "'"$PLUGIN_BADABI"'" } }, "policies": [] }'
check "--check-config opens a handler no chain names: a wrong ABI (rc $rc)" \
        "[ $rc -eq 1 ] && grep -q 'handlers.y: handler \"y\"' '$T/h2.e'"
cc h3 '{ "handlers": { "z": { "path": "'"$PLUGIN_OK"'", "config": { "errno": 5000 } } },
        "policies": [] }'
check "--check-config starts a handler no chain names with its config (rc $rc)" \
        "[ $rc -eq 1 ] && grep -q 'handlers.z: handler \"z\" refused its configuration: \"delay_ms\" must be' '$T/h3.e'"
cc h4 '{ "handlers": { "z": { "path": "'"$PLUGIN_OK"'", "config": { "errno": 5 } },
        "w": { "path": "'"$PLUGIN_OK"'" } }, "policies": [] }'
check "--check-config accepts handlers no chain names when they open (rc $rc)" "[ $rc -eq 0 ]"
cc g1 '{ "policies": [ { "match": { "container": "web-[0-9" } } ] }'
check "--check-config refuses an invalid glob and names it (rc $rc)" \
        "[ $rc -eq 1 ] && grep -q 'policies\[0\].match.container: \"web-\[0-9\" is not a valid glob' '$T/g1.e'"
cc g2 '{ "policies": [ { "rules": [ { "syscalls": ["mkdir"], "chain": ["continue"],
        "strings": [ { "index": 0, "glob": "/tmp/\\" } ] } ] } ] }'
check "--check-config refuses a string glob ending in a lone backslash (rc $rc)" \
        "[ $rc -eq 1 ] && grep -q 'strings\[\].glob: .* is not a valid glob: a lone' '$T/g2.e'"

# ---- the built-in default and the ready line
start_scmpd() { # NAME [ARGS...]: scmpd on $T/NAME.{sock,ctl}, log $T/NAME.log; sets DPID
        local n=$1 i
        shift
        "$SCMPD_BIN" --listen "$T/$n.sock" --control "$T/$n.ctl" --log-target stderr "$@" \
                2>"$T/$n.log" </dev/null &
        DPID=$!
        PIDS+=("$DPID")
        for i in $(seq 1 600); do
                grep -q ' ready: ' "$T/$n.log" && return 0
                sleep 0.1
        done
        return 1
}
# Without --config scmpd reads /etc/scmpd/scmpd.json; the built-in default is what a missing
# file gives, so when this machine has one, the check runs scmpd in a mount namespace where
# /etc/scmpd is an empty tmpfs.
if [ -e /etc/scmpd/scmpd.json ]; then
        NOETC=(unshare -m --propagation private sh -c 'mount -t tmpfs none /etc/scmpd && exec "$@"' sh)
else
        NOETC=()
fi
"${NOETC[@]}" "$SCMPD_BIN" --listen "$T/d.sock" --control "$T/d.ctl" --log-target stderr 2>"$T/d.log" </dev/null &
DPID=$!
PIDS+=("$DPID")
# The ready line comes after the sockets are bound (and the sandbox applied): wait for it.
for _ in $(seq 1 600); do grep -q ' ready: ' "$T/d.log" && break; sleep 0.1; done
ready=$(grep ' ready: ' "$T/d.log")
check "the ready line names the built-in default and what it does" \
        "printf '%s\n' \"\$ready\" | grep -q 'policy built-in default (audit every notification and answer continue)'"
check "the ready line names the handoff socket" "printf '%s\n' \"\$ready\" | grep -qF 'handoff socket $T/d.sock'"
check "the ready line names the control socket" "printf '%s\n' \"\$ready\" | grep -qF 'control socket $T/d.ctl'"
check "the ready line spells out the features" \
        "printf '%s\n' \"\$ready\" | grep -q 'kernel features: user_notif' && ! printf '%s\n' \"\$ready\" | grep -q 0x"
mkdir -p "$T/served"
timeout -k 5 120 "$SCMPCTL_BIN" run --handoff "$T/d.sock" --id op-default -- mkdir "$T/served/x" \
        >"$T/run.out" 2>&1
rc=$?
check "the built-in default lets mkdir run (rc $rc: $(head -c 200 "$T/run.out"))" "[ $rc -eq 0 ] && [ -d '$T/served/x' ]"
for _ in $(seq 1 1200); do grep -q 'audit: container op-default: ' "$T/d.log" && break; sleep 0.1; done
check "the built-in default audited the mkdir (its summary at info)" \
        "grep -q 'audit: container op-default: [1-9][0-9]* calls' '$T/d.log'"
export SCMPD_CONTROL_SOCKET=$T/d.ctl
timeout -k 5 60 "$SCMPCTL_BIN" audit --container op-default >"$T/audit.out" 2>&1
check "scmpctl audit shows the container's mkdir" "grep -q mkdir '$T/audit.out'"
mode=$(stat -c %a "$T/d.sock")
check "the handoff socket's mode is 700 ($mode)" "[ '$mode' = 700 ]"
check "scmpd(8) says 0700 for it" "grep -q 'its mode is 0700' '$SRC/docs/man/scmpd.8'"

# ---- --timeout: a stopped scmpd does not hang scmpctl
kill -STOP "$DPID"
timeout -k 5 120 "$SCMPCTL_BIN" status --timeout 1 >/dev/null 2>"$T/e"
rc=$?
check "status against a stopped scmpd gives up with 6 (rc $rc)" "[ $rc -eq 6 ] && grep -q 'did not answer' '$T/e'"
kill -CONT "$DPID"
timeout -k 5 60 "$SCMPCTL_BIN" status >/dev/null 2>&1
check "status answers again once scmpd continues" "[ $? -eq 0 ]"
# At connect: a listener with a full backlog that never accepts.
python3 - "$T/full.sock" "$T/full.ready" <<'EOP' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(0)
held = []
for _ in range(4):  # fill the backlog until a connect would block
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.setblocking(False)
    try:
        c.connect(sys.argv[1]); held.append(c)
    except BlockingIOError:
        break
open(sys.argv[2], "w").close()
time.sleep(300)
EOP
PIDS+=("$!")
for _ in $(seq 1 600); do [ -e "$T/full.ready" ] && break; sleep 0.1; done
timeout -k 5 120 "$SCMPCTL_BIN" listeners --control "$T/full.sock" --timeout 1 >/dev/null 2>"$T/e"
rc=$?
check "listeners against a socket nobody accepts on gives up with 6 (rc $rc)" \
        "[ $rc -eq 6 ] && grep -q 'did not accept the connection' '$T/e'"

# ---- a refused reload says why
echo '{ "policies": [] }' >"$T/p.json"
start_scmpd r --config "$T/p.json" || bad "scmpd with a policy file did not start"
export SCMPD_CONTROL_SOCKET=$T/r.ctl
echo '{ "policies": [ { "nme": "typo" } ] }' >"$T/p.json"
timeout -k 5 60 "$SCMPCTL_BIN" reload >"$T/o" 2>"$T/e"
rc=$?
check "reload of a bad file exits 1 (rc $rc)" "[ $rc -eq 1 ]"
check "and says why: $(cat "$T/e")" "grep -q 'policies\[0\]: unknown member \"nme\"' '$T/e' && ! grep -q 'see the log' '$T/e'"
timeout -k 5 60 "$SCMPCTL_BIN" reload --json >"$T/o" 2>/dev/null
rc=$?
check "reload --json of a bad file exits 1 and prints the reason member" \
        "[ $rc -eq 1 ] && python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r[\"ok\"] is False and \"unknown member\" in r[\"reason\"] else 1)' '$T/o'"
echo '{ "policies": [] }' >"$T/p.json"
timeout -k 5 60 "$SCMPCTL_BIN" reload >"$T/o" 2>&1
check "reload of the fixed file succeeds" "[ $? -eq 0 ] && grep -q reloaded '$T/o'"

# ---- status names each handler once
start_scmpd m --config "$SRC/docs/examples/mount-emulation.json" || bad "scmpd with mount-emulation did not start"
timeout -k 5 60 "$SCMPCTL_BIN" status --control "$T/m.ctl" >"$T/o" 2>&1
check "status lists handlers once each: $(grep Handlers "$T/o")" \
        "grep -qE '^Handlers: +audit x2 mount mknod$' '$T/o'"

# ---- listeners show the policy each matched, and a listener that matched none
timeout -k 5 120 "$SCMPCTL_BIN" run --handoff "$T/m.sock" --metadata mount-emulation --id op-match -- \
        "$SCMPCTL_BIN" listeners --control "$T/m.ctl" >"$T/l1" 2>&1
check "listeners shows the policy a listener matched: $(grep op-match "$T/l1" | tr -s ' ')" \
        "grep -E '^[0-9]+ +op-match .* mount-emulation +mount-emulation ' '$T/l1' >/dev/null"
timeout -k 5 120 "$SCMPCTL_BIN" run --handoff "$T/m.sock" --metadata something-else --id op-none -- \
        "$SCMPCTL_BIN" listeners --control "$T/m.ctl" --json >"$T/l2" 2>&1
check "listeners --json shows a listener that matched no policy" \
        "python3 -c 'import json,sys; l=[x for x in json.load(open(sys.argv[1])) if x[\"container\"]==\"op-none\"]; sys.exit(0 if l and l[0][\"matched\"] is False and l[0][\"policy\"] is None else 1)' '$T/l2'"
check "scmpd logs a listener that matched no policy at notice level" \
        "grep -q 'notice: peer uid [0-9-]*: serving listener of pid [0-9]* (.*), policy none matched' '$T/m.log'"

# ---- the control protocol names what it refuses
python3 - "$T/m.ctl" <<'EOP' && ok "the control protocol names the unknown command, member and duplicate key" ||
import json, socket, sys
def ask(line):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(sys.argv[1])
    s.sendall(line + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    return json.loads(buf)
fails = 0
for line, code, want in [
        (b'{"command":"frobnicate"}', "EOPNOTSUPP", 'unknown command "frobnicate"'),
        (b'{"command":"status","extra":1}', "EBADMSG", '"extra"'),
        (b'{"command":"status","command":"status"}', "EBADMSG", "duplicate"),
        (b'\x8f\x12 random bytes', "EBADMSG", "not valid JSON"),
        (b'\x8f]]\x00 random bytes', "EBADMSG", "not JSON")]:
    r = ask(line)
    good = r.get("ok") is False and r.get("code") == code and want in r.get("error", "")
    print(("ok: " if good else "FAIL: ") + "%r -> %s %r" % (line, r.get("code"), r.get("error")))
    fails += not good
sys.exit(1 if fails else 0)
EOP
        bad "the control protocol's refusals"

# ---- the shipped unit and the shipped default agree on the control group
unit_group=$(sed -n 's/^SocketGroup=//p' "$SRC/units/scmpd-control.socket")
group_of() { timeout -k 5 60 "$SCMPCTL_BIN" status --json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["control_group"])'; }
g=$(group_of)
check "without control.group scmpd admits the unit's SocketGroup ($unit_group; scmpd: $g)" \
        "[ -n '$unit_group' ] && [ '$g' = '$unit_group' ]"
echo '{ "control": { "group": null }, "policies": [] }' >"$T/p.json"
timeout -k 5 60 "$SCMPCTL_BIN" reload >/dev/null 2>&1
g=$(group_of)
check "\"group\": null admits root only ($g)" "[ '$g' = None ]"

echo "operator: $pass passed, $fail failed"
[ $fail -eq 0 ]
