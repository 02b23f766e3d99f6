#!/bin/bash
# The Kubernetes policy of deploy/kubernetes/policy.json against fake CRI runtimes: the test
# target hands its listener over with the annotations containerd's CRI plugin
# (io.kubernetes.cri.*) or CRI-O (io.kubernetes.pod.*, io.container.manager=cri-o) put in a
# container's OCI state, and the listenerMetadata of deploy/kubernetes/profiles/. A pod in a
# build-* namespace must be served by the matching policy (mkdir under /tmp continues, elsewhere
# EPERM, uname continues, the policy's default EPERM); one in another namespace, or without the
# profile's metadata, by the top-level default (ENOSYS). scmpctl listeners shows which policy
# each listener got, and names the runtime containerd/runc or cri-o/runc when the executable
# that hands over is called runc (a copy of the target). Usage: cri_annotations.sh TARGET.
set -u
export LC_ALL=C
TARGET=$1
SRC=${SCMPD_SOURCE_ROOT:?}
TMO=120
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
T=$(mktemp -d /tmp/scmpd-cri.XXXXXX)
DPID="" WAITERS=()
cleanup() {
        local p
        touch "$T/go"
        for p in "${WAITERS[@]:+${WAITERS[@]}}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
        [ -n "$DPID" ] && { kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; }
        rm -rf "$T"
}
trap cleanup EXIT
SOCK=$T/h.sock CSOCK=$T/c.sock LOG=$T/scmpd.log

"$SCMPD_BIN" --config "$SRC/deploy/kubernetes/policy.json" --listen "$SOCK" --control "$CSOCK" \
        --foreground --log-target stderr 2>"$LOG" </dev/null &
DPID=$!
for _ in $(seq 1 2400); do [ -S "$SOCK" ] && [ -S "$CSOCK" ] && break; sleep 0.05; done
[ -S "$SOCK" ] || { bad "scmpd did not start: $(cat "$LOG")"; exit 1; }
mkdir "$T/bin" && cp "$TARGET" "$T/bin/runc" && chmod 755 "$T/bin/runc"

containerd() { # containerd's CRI annotations for pod NAMESPACE/POD, container CONTAINER
        echo --annotation io.kubernetes.cri.container-type=container \
                --annotation "io.kubernetes.cri.sandbox-namespace=$1" \
                --annotation "io.kubernetes.cri.sandbox-name=$2" \
                --annotation "io.kubernetes.cri.container-name=$3" \
                --annotation io.kubernetes.cri.sandbox-id=0123456789abcdef
}
crio() { # CRI-O's: kubelet's labels as annotations, and its own
        echo --annotation io.container.manager=cri-o \
                --annotation "io.kubernetes.pod.namespace=$1" --annotation "io.kubernetes.pod.name=$2" \
                --annotation "io.kubernetes.container.name=$3" \
                --annotation "io.kubernetes.cri-o.Namespace=$1"
}
SERVED=(mkdir:"$T/made-by-pod=continue" "mkdir:/etc/scmpd-cri-refused=errno:EPERM" uname=continue
        getppid=errno:EPERM)
DEFAULTED=(uname=errno:ENOSYS getppid=errno:ENOSYS)

# case NAME EXE ID META ANNOTATION-ARGS -- CHECKS...: run the target, waiting at $T/go until the
# listeners were read; record its exit status in $T/NAME.rc.
case_start() {
        local name=$1 exe=$2 id=$3 meta=$4
        shift 4
        local ann=() checks=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do ann+=("$1"); shift; done
        shift
        checks=("$@")
        ( timeout -k 2 $TMO "$exe" run "$SOCK" --id "$id" --metadata "$meta" --wait-file "$T/go" \
                "${ann[@]}" "${checks[@]}" >"$T/$name.out" 2>&1; echo $? >"$T/$name.rc" ) &
        WAITERS+=($!)
}
# shellcheck disable=SC2046 # the annotation words are meant to split
case_start ctrd "$TARGET" ctrd-build scmpd-k8s $(containerd build-ci job-1 job) -- "${SERVED[@]}"
# shellcheck disable=SC2046
case_start crio "$TARGET" crio-build scmpd-k8s $(crio build-ci job-2 job) -- "${SERVED[@]}"
# shellcheck disable=SC2046
case_start prod "$TARGET" ctrd-prod scmpd-k8s $(containerd prod web-1 web) -- "${DEFAULTED[@]}"
# shellcheck disable=SC2046
case_start nometa "$TARGET" crio-nometa other $(crio build-ci job-3 job) -- "${DEFAULTED[@]}"
# shellcheck disable=SC2046
case_start rtctrd "$T/bin/runc" rt-ctrd scmpd-k8s $(containerd build-ci job-4 job) -- uname=continue
# shellcheck disable=SC2046
case_start rtcrio "$T/bin/runc" rt-crio scmpd-k8s $(crio build-ci job-5 job) -- uname=continue

ls_json() { "$SCMPCTL_BIN" listeners --control "$CSOCK" --json 2>/dev/null; }
for _ in $(seq 1 1200); do
        [ "$(ls_json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null)" = 6 ] && break
        sleep 0.1
done
ls_json >"$T/l.json"
row() { # row ID FIELD
        python3 -c 'import json,sys; r=[l for l in json.load(open(sys.argv[1])) if l["container"] == sys.argv[2]]; print(r[0][sys.argv[3]] if r else "(no listener)")' \
                "$T/l.json" "$1" "$2"
}
want() { # want ID FIELD VALUE DESCRIPTION
        local got
        got=$(row "$1" "$2")
        [ "$got" = "$3" ] && ok "$4 ($2 $got)" || bad "$4: $2 is '$got', wanted '$3'"
}
want ctrd-build policy "build pods (containerd)" "containerd annotations, namespace build-ci: its policy"
want crio-build policy "build pods (CRI-O)" "CRI-O annotations, namespace build-ci: its policy"
want ctrd-prod matched False "namespace prod: no policy, the default answers"
want crio-nometa matched False "build-ci without the profile's listenerMetadata: no policy"
want rt-ctrd runtime containerd/runc "runc with containerd's CRI annotations: runtime"
want rt-crio runtime cri-o/runc "runc with CRI-O's io.container.manager: runtime"
want ctrd-build runtime libscmpd "the test target itself: runtime"
touch "$T/go"
for n in ctrd crio prod nometa rtctrd rtcrio; do
        for _ in $(seq 1 1200); do [ -s "$T/$n.rc" ] && break; sleep 0.1; done
        [ "$(cat "$T/$n.rc" 2>/dev/null)" = 0 ] && ok "$n: every call answered as the policy says" ||
                bad "$n: rc $(cat "$T/$n.rc" 2>/dev/null): $(cat "$T/$n.out")"
done
[ -d "$T/made-by-pod" ] && ok "the allowed mkdir under /tmp happened" || bad "no $T/made-by-pod"
[ ! -e /etc/scmpd-cri-refused ] && ok "the refused mkdir did not" || { bad "/etc/scmpd-cri-refused exists"; rmdir /etc/scmpd-cri-refused; }
kill "$DPID"; wait "$DPID"; rc=$?; DPID=""
[ $rc -eq 0 ] && ok "scmpd stopped cleanly" || bad "scmpd exit $rc"
grep -q "Sanitizer\|runtime error:" "$LOG" && bad "sanitizer report: $(grep -m3 'Sanitizer\|runtime error' "$LOG")"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
