#!/bin/bash
# control-e2e: scmpctl's view of real runc and crun containers. A detached busybox container
# whose profile notifies mkdir, mkdirat and uname (listenerPath = the built scmpd) is served by
# an auditing policy; while it runs, `scmpctl listeners` must show it with the right container
# id, pid, metadata, annotation and runtime (runc or crun, for the init and for an exec); after
# an exec that makes mkdir and uname calls, `scmpctl audit` must list exactly the notified calls
# made, and `scmpctl audit profile` must write a profile that `scmpctl compile` accepts.
# Every runtime call is bounded by a timeout; containers, scmpd and scratch files are always
# cleaned up. Exit 77 (skip) when neither runtime, busybox-static or root is available.
set -u
export LC_ALL=C
TMO=${E2E_TIMEOUT:-120} # a hang guard per runtime call, generous for a loaded machine
DPID=""
. "$(dirname "$0")/lib.sh"
e2e_require root runtimes busybox
e2e_workdir control-e2e
SOCK=$W/scmpd.sock CSOCK=$W/control.sock LOG=$W/scmpd.log
export SCMPD_CONTROL_SOCKET=$CSOCK
e2e_cleanup_extra() {
        if [ -n "$DPID" ]; then kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; fi
}

B=$W/bundle R=$W/bundle/rootfs
e2e_rootfs "$R" sh mkdir uname sleep
(cd "$B" && timeout 20 runc spec 2>/dev/null) || (cd "$B" && timeout 20 crun spec) ||
        { bad "cannot create a spec"; exit 1; }
python3 - "$B/config.json" "$R" "$SOCK" <<'EOP' || { bad "cannot patch config.json"; exit 1; }
import json, sys
path, rootfs, sock = sys.argv[1:4]
c = json.load(open(path))
c["annotations"] = {"org.example.control": "yes"}
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sleep", "60"]
c["root"] = {"path": rootfs, "readonly": True}
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "nodev", "mode=1777", "size=16m"]})
c["linux"]["seccomp"] = {
    "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": sock, "listenerMetadata": "control-e2e",
    "syscalls": [{"names": ["mkdir", "mkdirat", "uname"], "action": "SCMP_ACT_NOTIFY"}],
}
json.dump(c, open(path, "w"), indent=2)
EOP
cat >"$W/policy.json" <<'EOF'
{ "default": { "errno": "ENOSYS" },
  "policies": [ { "name": "observe", "match": { "metadata": "control-e2e" },
                  "rules": [ { "syscalls": ["*"], "chain": ["audit", "continue"] } ] } ] }
EOF

# jq-free JSON checks: python3 is there (meson needs it).
jcheck() { # jcheck DESCRIPTION PYTHON-EXPR < JSON   (the JSON is `j`)
        if python3 -c "import json,sys; j=json.load(sys.stdin); sys.exit(0 if ($2) else 1)"; then
                ok "$1"
        else
                bad "$1"
        fi
}

for rt in $RUNTIMES; do
        id="ctl-$rt-$$"
        : >"$LOG"
        rm -f "$SOCK" "$CSOCK"
        "$SCMPD_BIN" --config "$W/policy.json" --listen "$SOCK" --control "$CSOCK" --foreground \
                --log-target stderr 2>>"$LOG" </dev/null &
        DPID=$!
        for _ in $(seq 1 2400); do [ -S "$SOCK" ] && [ -S "$CSOCK" ] && break; sleep 0.05; done
        CREATED+=("$rt $id")
        if ! rt_cmd "$rt" run -d -b "$B" "$id" >"$W/$rt.out" 2>&1 </dev/null; then
                bad "$rt: detached container did not start: $(head -c 300 "$W/$rt.out")"
                kill "$DPID"; wait "$DPID"; DPID=""
                continue
        fi
        cpid=$(rt_cmd "$rt" state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
        "$SCMPCTL_BIN" listeners --json >"$W/l1.json"
        jcheck "$rt: listeners shows the init: id, pid $cpid, metadata, annotation, runtime $rt" \
                "any(l['container'] == '$id' and l['pid'] == $cpid and l['metadata'] == 'control-e2e'
                     and l['annotations'].get('org.example.control') == 'yes'
                     and l['runtime'] == '$rt' for l in j)" <"$W/l1.json"
        # An exec brings its own filter and listener: both rows must name the runtime.
        rt_cmd "$rt" exec -d "$id" /bin/sleep 30 >/dev/null 2>&1 </dev/null
        for _ in $(seq 1 2400); do
                "$SCMPCTL_BIN" listeners --json >"$W/l2.json"
                [ "$(grep -c "\"container\": \"$id\"" "$W/l2.json")" -ge 2 ] && break
                sleep 0.05
        done
        jcheck "$rt: listeners shows the init and an exec, both named $rt" \
                "[l['runtime'] for l in j if l['container'] == '$id'] == ['$rt', '$rt']" <"$W/l2.json"
        got=$(rt_cmd "$rt" exec "$id" /bin/sh -c "mkdir /tmp/a && mkdir /tmp/b && uname -s" 2>&1 </dev/null)
        [ "$got" = Linux ] && ok "$rt: exec ran under the auditing policy" || bad "$rt: exec said: $got"
        "$SCMPCTL_BIN" audit --container "$id" --json >"$W/a.json"
        # busybox mkdir may use mkdir or mkdirat; uname is uname.
        jcheck "$rt: audit lists the exec's mkdir calls and uname, all answered continue" \
                "(lambda s: set(s) <= {'mkdir', 'mkdirat', 'uname'} and 'uname' in s
                 and sum(s[n]['count'] for n in s if n.startswith('mkdir')) >= 2
                 and all(set(x['verdicts']) == {'continue'} for x in s.values()))(
                 {x['name']: x for x in j['containers'][0]['syscalls']})" <"$W/a.json"
        "$SCMPCTL_BIN" audit profile --container "$id" -o "$W/$rt-profile.json" &&
                "$SCMPCTL_BIN" compile "$W/$rt-profile.json" -o "$W/$rt-profile.bpf" &&
                ok "$rt: audit profile written and compiled" || bad "$rt: audit profile failed"
        "$SCMPCTL_BIN" status --json >"$W/s.json"
        jcheck "$rt: status counts the exec's listener and its notifications" \
                "j['counts']['notifications'] >= 3 and j['counts']['verdicts']['continue'] >= 3" <"$W/s.json"
        rt_cmd "$rt" delete -f "$id" >/dev/null 2>&1
        kill "$DPID"; wait "$DPID"; DPID=""
        if grep -qE 'warning|error' "$LOG"; then bad "$rt: scmpd logged: $(grep -E 'warning|error' "$LOG" | head -3)"; else ok "$rt: scmpd logged no warnings"; fi
done
e2e_finish control-e2e
