#!/bin/bash
# audit-learn: the least-privilege loop of docs/learn-profile.md, end to end, under runc, crun
# and `scmpctl run` (on the host, with the same busybox). A busybox workload (files, a socket, processes, a few rarer calls) runs in a container
# whose profile is `scmpctl audit template --runtime RT` (NOTIFY on every syscall the runtime
# accepts), served by the built scmpd with an audit-and-continue policy. `scmpctl audit profile`
# then writes the learned profile (default ERRNO/EPERM), which must pass `scmpctl compile` and,
# when libseccomp is there, decide every call like libseccomp does (profile-diff). The same
# workload must then succeed under the learned profile with no scmpd at all, and a call it never
# made (mknodat, through mkfifo) must fail with EPERM. With --learn-args the profile allows
# socket only with the address families recorded (AF_INET, from nc): `ip link` (AF_NETLINK) and
# `nc ::1` (AF_INET6) fail at socket() with EPERM, which they do not under the profile learned
# without it. A profile learned from a listener that
# notified only a few syscalls must come with a warning, and a syscall whose every call was
# refused must be left out (and kept with --allow-refused).
# The template and learn commands are taken from docs/learn-profile.md (its "test:" blocks), so
# the page says what is tested. Figures for that page are printed as "figure:" lines.
# Usage: audit-learn.sh [PROFILE_DIFF]. Exit 77 (skip) without root, a runtime or busybox-static.
set -u
export LC_ALL=C
TMO=${E2E_TIMEOUT:-180} # a hang guard per runtime call; every syscall is notified while recording
DIFF=${1:-}
DPID=""
. "$(dirname "$0")/lib.sh"
e2e_require root runtimes busybox notify
e2e_workdir audit-learn
SOCK=$W/scmpd.sock CSOCK=$W/control.sock LOG=$W/scmpd.log
export SCMPD_CONTROL_SOCKET=$CSOCK
e2e_cleanup_extra() {
        if [ -n "$DPID" ]; then kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; fi
}

# doc_block NAME: the shell block after "<!-- test: NAME -->" in docs/learn-profile.md.
DOC=${SCMPD_SOURCE_ROOT:-$(dirname "$0")/../..}/docs/learn-profile.md
doc_block() {
        awk -v m="<!-- test: $1 -->" '$0 == m { on = 1; next }
                on && /^```sh/ { body = 1; next } body && /^```/ { exit } body { print }' "$DOC"
}
scmpctl() { "$SCMPCTL_BIN" "$@"; }
for blk in template learn learn-args; do
        [ -n "$(doc_block $blk)" ] || { bad "docs/learn-profile.md has no '$blk' block"; exit 1; }
done

B=$W/bundle R=$W/bundle/rootfs
e2e_rootfs "$R" sh mkdir rm cat echo ls ln readlink chmod touch uname sleep nc mkfifo sync \
        stat wc true ip
# WD: the work directory (/tmp in a container; a directory of its own under scmpctl run).
cat >"$R/workload.sh" <<'EOS'
set -e
D=${WD:-/tmp}/d
mkdir -p $D/e
echo hello >$D/f
cat $D/f >$D/g
chmod 600 $D/g
ln -s $D/g $D/l
[ "$(readlink $D/l)" = $D/g ]
touch $D/e/t
stat $D/g >/dev/null
ls $D | wc -l >/dev/null
rm -r $D/e
(sleep 0; true) &
wait
uname -r >/dev/null
sync
nc 127.0.0.1 9 </dev/null >/dev/null 2>&1 || true
echo "workload ok"
if [ "${1:-}" = probe ]; then mkfifo ${WD:-/tmp}/p 2>&1 || true; fi
if [ "${2:-}" = net ]; then
        ip link 2>&1 | head -1
        nc ::1 9 </dev/null 2>&1 | head -1
fi
EOS
(cd "$B" && timeout 20 runc spec 2>/dev/null) || (cd "$B" && timeout 20 crun spec) ||
        { bad "cannot create a spec"; exit 1; }

# setbundle SECCOMP-JSON-FILE|- ARGS...: the bundle's config with this seccomp section and args.
setbundle() {
        python3 - "$B/config.json" "$R" "$@" <<'EOP'
import json, sys
path, rootfs, seccomp = sys.argv[1:4]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "/workload.sh"] + sys.argv[4:]
c["root"] = {"path": rootfs, "readonly": True}
if not any(m["destination"] == "/tmp" for m in c["mounts"]):
    c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                        "options": ["nosuid", "nodev", "mode=1777", "size=16m"]})
c["linux"]["seccomp"] = json.load(open(seccomp))
json.dump(c, open(path, "w"), indent=2)
EOP
}

cat >"$W/policy.json" <<'EOF2'
{ "limits": { "handoff_timeout_ms": 120000 },
  "default": { "errno": "ENOSYS" },
  "policies": [
    { "name": "record", "match": { "metadata": "scmpd-record:*" },
      "rules": [ { "syscalls": ["*"], "chain": ["audit", "continue"] } ] },
    { "name": "partial", "match": { "metadata": "partial" },
      "rules": [ { "syscalls": ["mkdir", "mkdirat"], "chain": ["audit", { "errno": "EPERM" }] },
                 { "syscalls": ["*"], "chain": ["audit", "continue"] } ] } ] }
EOF2
start_scmpd() {
        rm -f "$SOCK" "$CSOCK"
        "$SCMPD_BIN" --config "$W/policy.json" --listen "$SOCK" --control "$CSOCK" --foreground \
                --log-target stderr --audit-store "$W/audit.json" 2>>"$LOG" </dev/null &
        DPID=$!
        for _ in $(seq 1 2400); do [ -S "$SOCK" ] && [ -S "$CSOCK" ] && break; sleep 0.05; done
}
start_scmpd

# run_workload RT ID PROFILE ARGS...: the workload under RT with this seccomp profile; its output.
run_workload() {
        local rt=$1 id=$2 prof=$3
        shift 3
        if [ "$rt" = scmpctl ]; then
                rm -rf "$W/host-$id" && mkdir -p "$W/host-$id"
                timeout "$TMO" env PATH="$R/bin" WD="$W/host-$id" "$SCMPCTL_BIN" run \
                        --profile "$prof" --id "$id" -- "$R/bin/sh" "$R/workload.sh" "$@" \
                        2>&1 </dev/null | grep -v "has no NOTIFY rule"
        else
                setbundle "$prof" "$@"
                CREATED+=("$rt $id")
                rt_cmd "$rt" run -b "$B" "$id" 2>&1 </dev/null
                rt_cmd "$rt" delete -f "$id" >/dev/null 2>&1
        fi
}

for rt in $RUNTIMES scmpctl; do
        id="learn-$rt-$$"
        mkdir -p "$W/$rt"
        RT=$rt OUT=$W/$rt eval "$(doc_block template)" && mv "$W/$rt/record.json" "$W/$rt-template.json" ||
                { bad "$rt: audit template failed"; continue; }
        if [ "$rt" = runc ]; then
                python3 -c "import json,sys; n=json.load(open(sys.argv[1]))['syscalls'][0]['names']; sys.exit(0 if 'write' not in n and 'read' in n else 1)" \
                        "$W/$rt-template.json" && ok "runc: the template notifies read but not write" ||
                        bad "runc: the template notifies write (runc refuses it) or misses read"
        fi
        out=$(run_workload "$rt" "$id" "$W/$rt-template.json")
        [ "$out" = "workload ok" ] && ok "$rt: the workload ran under the recording template" ||
                bad "$rt: recording run said: $(printf '%s' "$out" | head -c 300)"
        ID="learn-$rt-*" OUT=$W/$rt eval "$(doc_block learn)" >"$W/$rt-stats.txt" \
                2>"$W/$rt-learn.err" && cp "$W/$rt/learned.json" "$W/$rt-learned.json" &&
                ok "$rt: audit profile wrote the learned profile" ||
                bad "$rt: audit profile failed: $(head -c 300 "$W/$rt-learn.err")"
        say "figure: $rt: recorded $(scmpctl audit --container "$id" --json | python3 -c 'import json,sys; c=json.load(sys.stdin)["containers"][0]["syscalls"]; print(len(c), "syscalls,", sum(s["count"] for s in c), "calls")')"
        say "figure: $rt: learned profile $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["syscalls"][0]["names"]), "syscalls allowed,")' "$W/$rt-learned.json") $(wc -c <"$W/$rt-learned.json") bytes"
        sed 's/^/figure: '"$rt"': compile: /' "$W/$rt-stats.txt"
        if grep -q warning "$W/$rt-learn.err"; then
                bad "$rt: a full recording gave warnings: $(grep warning "$W/$rt-learn.err" | head -3)"
        else
                ok "$rt: a full recording gives no warning"
        fi
        "$SCMPCTL_BIN" compile "$W/$rt-learned.json" -o "$W/$rt-learned.bpf" &&
                ok "$rt: the learned profile compiles" || bad "$rt: scmpctl compile failed"
        if [ -n "$DIFF" ] && [ -x "$DIFF" ]; then
                "$DIFF" "$W/$rt-learned.json" x86_64 6.18 - >"$W/$rt-diff.out" 2>&1 &&
                        ok "$rt: the learned profile decides like libseccomp" ||
                        bad "$rt: profile-diff: $(tail -3 "$W/$rt-diff.out")"
        fi
        # --base: Docker's default plus one rule with only what it does not allow already.
        DOCKER=${SCMPD_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/data/docker-default.json
        "$SCMPCTL_BIN" audit profile --container "learn-$rt-*" --base "$DOCKER" \
                -o "$W/$rt-based.json" 2>"$W/$rt-based.err" &&
                "$SCMPCTL_BIN" compile "$W/$rt-based.json" -o "$W/$rt-based.bpf" &&
                python3 - "$DOCKER" "$W/$rt-based.json" "$W/$rt-learned.json" <<'EOP2' &&
import json, sys
base, got, learned = (json.load(open(p)) for p in sys.argv[1:4])
assert got["syscalls"][:-1] == base["syscalls"] and got["defaultAction"] == base["defaultAction"]
last = got["syscalls"][-1]
allowed = {n for r in base["syscalls"] if r["action"] == "SCMP_ACT_ALLOW" and not r.get("args")
           and not r.get("includes") and not r.get("excludes") for n in r["names"]}
want = set(learned["syscalls"][0]["names"]) - allowed
assert last["action"] == "SCMP_ACT_ALLOW" and set(last["names"]) == want and want, (last, want)
EOP2
                ok "$rt: --base keeps Docker's profile and adds only what it lacks" ||
                bad "$rt: --base: $(cat "$W/$rt-based.err")"
        out=$(run_workload "$rt" "$id-learned" "$W/$rt-learned.json" probe net)
        case $out in
        "workload ok"*"Operation not permitted"*)
                ok "$rt: the workload runs under the learned profile, mknodat fails with EPERM" ;;
        *) bad "$rt: learned-profile run said: $(printf '%s' "$out" | head -c 400)" ;;
        esac
        # Without argument learning socket is allowed whole: AF_INET6 gets past socket().
        case $out in
        "workload ok"*"nc: socket: Operation not permitted"*)
                bad "$rt: socket(AF_INET6) refused by a profile learned without --learn-args" ;;
        "workload ok"*) ok "$rt: without --learn-args socket(AF_INET6) is allowed" ;;
        esac

        # --learn-args: socket narrowed to the recorded families.
        ID="learn-$rt-*" OUT=$W/$rt eval "$(doc_block learn-args)" >"$W/$rt-args-stats.txt" \
                2>"$W/$rt-args.err" && cp "$W/$rt/learned-args.json" "$W/$rt-args.json" &&
                ok "$rt: audit profile --learn-args wrote a profile" ||
                bad "$rt: audit profile --learn-args failed: $(head -c 300 "$W/$rt-args.err")"
        grep -q warning "$W/$rt-args.err" &&
                bad "$rt: --learn-args gave warnings: $(grep warning "$W/$rt-args.err" | head -3)"
        say "figure: $rt: --learn-args: $(grep -c 'allowed with argument' "$W/$rt-args.err") syscalls narrowed, $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["syscalls"]; print(len(r[0]["names"]), "allowed whole,", len(r) - 1, "argument rules,")' "$W/$rt-args.json") $(wc -c <"$W/$rt-args.json") bytes"
        sed -n 's/^scmpctl: --learn-args: /figure: '"$rt"': --learn-args: /p' "$W/$rt-args.err"
        sed 's/^/figure: '"$rt"': --learn-args compile: /' "$W/$rt-args-stats.txt"
        python3 - "$W/$rt-args.json" <<'EOP3' && ok "$rt: --learn-args allows socket with AF_INET, not AF_INET6 or AF_NETLINK" ||
import json, sys
p = json.load(open(sys.argv[1]))
assert "socket" not in p["syscalls"][0]["names"], "socket allowed whole"
socket = [r for r in p["syscalls"] if r["names"] == ["socket"]]
values = set()
for r in socket:
    (a,) = r["args"]
    assert a["index"] == 0 and a["value"] == 0xffffffff and a["op"] == "SCMP_CMP_MASKED_EQ", r
    values.add(a["valueTwo"])
assert 2 in values and not values & {10, 16}, values  # AF_INET; not AF_INET6, AF_NETLINK
EOP3
                bad "$rt: --learn-args: socket is not narrowed to what nc used: $(cat "$W/$rt-args.err")"
        if [ "$rt" = runc ]; then
                grep -q "clone allowed whole" "$W/$rt-args.err" &&
                        ok "runc: --learn-args leaves clone whole (runc init's Go threads)" ||
                        bad "runc: --learn-args narrowed clone"
        fi
        "$SCMPCTL_BIN" compile "$W/$rt-args.json" -o "$W/$rt-args.bpf" &&
                ok "$rt: the --learn-args profile compiles" || bad "$rt: scmpctl compile --learn-args failed"
        if [ -n "$DIFF" ] && [ -x "$DIFF" ]; then
                "$DIFF" "$W/$rt-args.json" x86_64 6.18 - >"$W/$rt-args-diff.out" 2>&1 &&
                        ok "$rt: the --learn-args profile decides like libseccomp" ||
                        bad "$rt: profile-diff --learn-args: $(tail -3 "$W/$rt-args-diff.out")"
        fi
        out=$(run_workload "$rt" "$id-args" "$W/$rt-args.json" probe net)
        case $out in
        "workload ok"*"ip: socket: Operation not permitted"*"nc: socket: Operation not permitted"*)
                ok "$rt: the workload runs under --learn-args; AF_NETLINK and AF_INET6 sockets fail with EPERM" ;;
        *) bad "$rt: --learn-args run said: $(printf '%s' "$out" | head -c 400)" ;;
        esac
done

# The audit store survives a restart of scmpd (--audit-store), and clear empties it.
kill "$DPID"; wait "$DPID"; DPID=""
start_scmpd
for rt in $RUNTIMES scmpctl; do
        "$SCMPCTL_BIN" audit profile --container "learn-$rt-*" -o "$W/$rt-again.json" 2>/dev/null &&
                cmp -s "$W/$rt-learned.json" "$W/$rt-again.json" &&
                ok "$rt: after a restart of scmpd the same profile is learned" ||
                bad "$rt: the audit store did not survive a restart"
        # The audit subcommands take --timeout like the other control commands.
        if [ "$rt" = scmpctl ]; then
                "$SCMPCTL_BIN" audit profile --container "learn-$rt-*" --timeout 120 \
                        -o "$W/$rt-tmo.json" 2>/dev/null && cmp -s "$W/$rt-learned.json" "$W/$rt-tmo.json" &&
                        ok "audit profile --timeout 120 works" || bad "audit profile --timeout 120 failed"
                "$SCMPCTL_BIN" audit profile --container x --timeout soon >/dev/null 2>&1
                [ $? -eq 2 ] && ok "audit profile --timeout soon is a usage error" ||
                        bad "audit profile took --timeout soon"
                "$SCMPCTL_BIN" audit clear --container nothing-$$ --timeout 120 >/dev/null &&
                        ok "audit clear --timeout 120 works" || bad "audit clear --timeout 120 failed"
        fi
        "$SCMPCTL_BIN" audit clear --container "learn-$rt-$$" >/dev/null
        "$SCMPCTL_BIN" audit profile --container "learn-$rt-*" >/dev/null 2>&1 &&
                bad "$rt: audit clear left the container" || ok "$rt: audit clear forgot the container"
done

# A listener that notified only some syscalls: a warning, and mkdir (always refused) left out.
rt=${RUNTIMES# }
rt=${rt%% *}
id="part-$rt-$$"
cat >"$W/partial.json" <<EOF2
{ "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "$SOCK", "listenerMetadata": "partial",
  "syscalls": [ { "names": ["mkdir", "mkdirat", "uname"], "action": "SCMP_ACT_NOTIFY" } ] }
EOF2
setbundle "$W/partial.json"
CREATED+=("$rt $id")
rt_cmd "$rt" run -b "$B" "$id" >/dev/null 2>&1 </dev/null
rt_cmd "$rt" delete -f "$id" >/dev/null 2>&1
"$SCMPCTL_BIN" audit profile --container "$id" -o "$W/partial-learned.json" 2>"$W/partial.err"
grep -q "was not recorded with a template" "$W/partial.err" &&
        ok "partial: the profile comes with a warning" || bad "partial: no warning: $(cat "$W/partial.err")"
grep -q "mkdir.* is left out: all" "$W/partial.err" &&
        python3 -c "import json,sys; n=json.load(open(sys.argv[1]))['syscalls'][0]['names']; sys.exit(0 if 'uname' in n and not any(x.startswith('mkdir') for x in n) else 1)" \
                "$W/partial-learned.json" &&
        ok "partial: the refused mkdir is left out, uname kept" || bad "partial: refused calls: $(cat "$W/partial.err")"
"$SCMPCTL_BIN" audit profile --container "$id" --allow-refused -o "$W/partial-all.json" 2>/dev/null &&
        grep -q '"mkdir' "$W/partial-all.json" && ok "partial: --allow-refused keeps mkdir" ||
        bad "partial: --allow-refused did not keep mkdir"

kill "$DPID"; wait "$DPID"; DPID=""
if grep -qE 'warning|error' "$LOG"; then bad "scmpd logged: $(grep -E 'warning|error' "$LOG" | head -3)"; else ok "scmpd logged no warnings"; fi
grep -q "audit: container learn-" "$LOG" && ok "scmpd logged a per-container audit summary at info" ||
        bad "no audit summary in scmpd's log"
e2e_finish audit-learn
