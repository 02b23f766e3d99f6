#!/bin/bash
# e2e for the overlay pieces of emulation: Debian's runc and crun run a busybox container (the
# runtime's default capabilities: no CAP_SYS_ADMIN, no CAP_MKNOD) once as host root and once in
# a user namespace (container root = host uid 100000), with docs/examples/overlay-profile.json as
# its seccomp profile (listenerPath pointed at the built scmpd) and scmpd configured by
# docs/examples/overlay-emulation.json. Inside, a static helper (ovl_tool.c) makes the calls
# from a thread that is not its group's leader, as Docker's Go threads do: the overlay whiteout
# (mknod 0:0) and trusted.overlay.opaque=y (setxattr, fsetxattr) must succeed on a writable
# layer directory; refusals keep the kernel's answer: a value or name the policy does not list,
# a path through /proc/1/root (a magic link), a symlink to a host path (resolved in the
# container's root, so it names nothing), a symlink swapped between an allowed directory and the
# host path while setxattr calls run; an unreadable value pointer gets EFAULT. Afterwards the
# host reads what is on the layer (the node 0:0, the xattrs, nothing on the host directory) and
# mounts overlayfs with it as the upper layer: the whiteout hides the lower file and the opaque
# directories hide the lower directories' contents. The new mount API answers ENOSYS inside.
# Every runtime call is bounded by a timeout; containers, scmpd, mounts and scratch files are
# always cleaned up. E2E_RUNTIMES picks the runtimes, E2E_PREFIX the container-name prefix.
# Exit 77 when root, a runtime, busybox-static, user_notif or the helper is missing.
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${SCMPD_SOURCE_ROOT:-$HERE/../..}
TMO=${E2E_TIMEOUT:-120} # a hang guard per runtime call, generous for a loaded machine
OVL_TOOL=${1:-}
DPID=""
. "$HERE/lib.sh"
e2e_require root
[ -n "${SCMPD_BIN:-}" ] && [ -x "$SCMPD_BIN" ] || { say "skip: SCMPD_BIN is not set"; exit 77; }
[ -n "$OVL_TOOL" ] && [ -x "$OVL_TOOL" ] || { say "skip: the static ovl-tool is not built"; exit 77; }
e2e_require runtimes busybox notify
e2e_workdir ovl-e2e
chmod 755 "$W" # the user-namespace container's root (host uid 100000) walks through it
SOCK=$W/scmpd.sock LOG=$W/scmpd.log
PREFIX=${E2E_PREFIX:-ovl-}
e2e_cleanup_extra() {
        if [ -n "$DPID" ]; then kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; fi
}

B=$W/bundle R=$W/bundle/rootfs
e2e_rootfs "$R" sh mkdir ln echo cat rm sleep seq
mkdir -p "$R/work"
cp "$OVL_TOOL" "$R/bin/ovl"
cat >"$R/test.sh" <<'EOS'
echo "E2E: start"
cd /work/upper || exit 1
mkdir d sub r d2
ovl thread-mknod /work/upper/gone | sed 's/^/E2E: whiteout /'
ovl setxattr /work/upper/d trusted.overlay.opaque y | sed 's/^/E2E: opaque /'
ovl fsetxattr /work/upper/sub trusted.overlay.opaque y | sed 's/^/E2E: fd opaque /'
ovl setxattr /work/upper/r trusted.overlay.opaque z | sed 's/^/E2E: value z /'
ovl setxattr /work/upper/r trusted.overlay.redirect y | sed 's/^/E2E: unlisted name /'
ovl setxattr /proc/1/root/work/upper/r trusted.overlay.opaque y | sed 's/^/E2E: magic link /'
ovl setxattr /work/upper/esc trusted.overlay.opaque y | sed 's/^/E2E: host symlink /'
ovl badvalue /work/upper/r trusted.overlay.opaque | sed 's/^/E2E: bad pointer /'
ovl fsopen | sed 's/^/E2E: new mount API /'
# The swap: a symlink flips between an allowed directory and the host path.
(for i in $(seq 1 400); do ln -sfn "$HOSTDIR" swap; ln -sfn /work/upper/d2 swap; done) &
n=0; for i in $(seq 1 40); do ovl setxattr /work/upper/swap trusted.overlay.opaque y >/dev/null && n=$((n+1)); done
wait
rm -f swap
echo "E2E: swap race: $n of 40 set"
echo "E2E: done"
EOS

(cd "$B" && timeout 20 runc spec 2>/dev/null) || (cd "$B" && timeout 20 crun spec) ||
        { bad "cannot create a spec"; exit 1; }
cp "$B/config.json" "$B/config.base.json"

# patch VARIANT HOSTDIR: the spec for "plain" (host root) or "userns" (root = host uid 100000).
patch_spec() {
        python3 - "$B/config.base.json" "$B/config.json" "$R" "$SOCK" "$W/layer" "$SRC" "$1" "$2" <<'EOP'
import json, sys
base, out, rootfs, sock, layer, src, variant, hostdir = sys.argv[1:9]
c = json.load(open(base))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "/test.sh"]
c["process"]["env"].append("HOSTDIR=" + hostdir)
c["root"] = {"path": rootfs, "readonly": True}
c["mounts"].append({"destination": "/work", "type": "bind", "source": layer,
                    "options": ["rbind", "rw"]})
caps = c["process"]["capabilities"]
assert all("CAP_SYS_ADMIN" not in caps[k] and "CAP_MKNOD" not in caps[k] for k in caps)
if variant == "userns":
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys/fs/cgroup"]
profile = json.load(open(src + "/docs/examples/overlay-profile.json"))
profile["listenerPath"] = sock
c["linux"]["seccomp"] = profile
json.dump(c, open(out, "w"), indent=2)
EOP
}

start_scmpd() { e2e_start_scmpd "$SRC/docs/examples/overlay-emulation.json"; }
stop_scmpd() { e2e_stop_scmpd; }

# What the layer holds, read on the host, then overlayfs mounted with it as the upper layer (in
# a private mount namespace, so nothing can be left mounted on the host).
host_checks() {
        local v=$1 owner=$2
        python3 - "$W/layer/upper" "$W/hostdir" "$owner" <<'EOP'
import os, stat, sys
up, hostdir, owner = sys.argv[1], sys.argv[2], int(sys.argv[3])
def x(path, name="trusted.overlay.opaque"):
    try:
        return os.getxattr(path, name, follow_symlinks=False)
    except OSError:
        return None
st = os.lstat(up + "/gone")
print("HOST: gone is %s %d:%d uid %s" % ("char" if stat.S_ISCHR(st.st_mode) else "other",
      os.major(st.st_rdev), os.minor(st.st_rdev), "owner" if st.st_uid == owner else st.st_uid))
print("HOST: d opaque=%r" % x(up + "/d"))
print("HOST: sub opaque=%r" % x(up + "/sub"))
print("HOST: r opaque=%r redirect=%r" % (x(up + "/r"), x(up + "/r", "trusted.overlay.redirect")))
print("HOST: hostdir opaque=%r" % x(hostdir))
print("HOST: d2 opaque in (None, b'y'): %s" % (x(up + "/d2") in (None, b"y")))
EOP
        unshare -m --propagation private sh -c '
                mount -t overlay overlay -o "lowerdir=$1/lower,upperdir=$1/layer/upper,workdir=$1/layer/work" "$1/merged" || { echo "HOST: overlay mount failed"; exit 1; }
                m=$1/merged
                [ -e "$m/keep" ] && echo "HOST: merged keep is there"
                [ -e "$m/gone" ] || echo "HOST: merged gone is hidden by the whiteout"
                [ -d "$m/d" ] && [ ! -e "$m/d/hidden" ] && echo "HOST: merged d is opaque"
                [ -d "$m/sub" ] && [ ! -e "$m/sub/hidden2" ] && echo "HOST: merged sub is opaque"
                [ -e "$m/r/visible" ] && echo "HOST: merged r is not opaque"
        ' sh "$W"
}

# fresh_layer OWNER: the layer, the lower layer and the host directory, as each run starts.
fresh_layer() {
        local owner=$1
        rm -rf "$W/layer" "$W/lower" "$W/merged" "$W/hostdir"
        mkdir -p "$W/layer/upper" "$W/layer/work" "$W/merged" "$W/hostdir" \
                "$W/lower/d" "$W/lower/sub" "$W/lower/r"
        touch "$W/lower/keep" "$W/lower/gone" "$W/lower/d/hidden" "$W/lower/sub/hidden2" \
                "$W/lower/r/visible"
        # The host directory is the container root's own, so that only containment refuses it.
        chown -R "$owner:$owner" "$W/layer" "$W/hostdir"
        ln -s "$W/hostdir" "$W/layer/upper/esc"
        chown -h "$owner:$owner" "$W/layer/upper/esc"
}

for variant in plain userns; do
        owner=0
        [ $variant = userns ] && owner=100000
        patch_spec $variant "$W/hostdir" || { bad "$variant: cannot patch config.json"; continue; }
        for rt in $RUNTIMES; do
                fresh_layer $owner
                id="$PREFIX$variant-$rt-$$"
                out=$W/$variant-$rt.out
                : >"$LOG"
                start_scmpd || { bad "$variant/$rt: scmpd did not start"; continue; }
                CREATED+=("$rt $id")
                rt_cmd "$rt" run -b "$B" "$id" >"$out" 2>&1 </dev/null
                rc=$?
                for _ in $(seq 1 2400); do grep -q 'listener closed: no task' "$LOG" && break; sleep 0.05; done
                stop_scmpd
                rt_cmd "$rt" delete -f "$id" >/dev/null 2>&1
                host_checks $variant $owner >>"$out" 2>&1
                say "---- $variant/$rt container output (rc=$rc) and host checks"
                sed 's/^/    /' "$out"
                [ $rc -eq 0 ] && ok "$variant/$rt: container exited 0" || bad "$variant/$rt: container rc=$rc"
                for want in "E2E: whiteout thread-mknod rc=0" "E2E: opaque setxattr rc=0" \
                        "E2E: fd opaque fsetxattr rc=0" \
                        "E2E: value z setxattr rc=Operation not permitted" \
                        "E2E: unlisted name setxattr rc=Operation not permitted" \
                        "E2E: magic link setxattr rc=Operation not permitted" \
                        "E2E: host symlink setxattr rc=No such file or directory" \
                        "E2E: bad pointer badvalue rc=Bad address" \
                        "E2E: new mount API fsopen rc=Function not implemented" "E2E: done" \
                        "HOST: gone is char 0:0 uid owner" "HOST: d opaque=b'y'" \
                        "HOST: sub opaque=b'y'" "HOST: r opaque=None redirect=None" \
                        "HOST: hostdir opaque=None" "HOST: d2 opaque in (None, b'y'): True" \
                        "HOST: merged keep is there" "HOST: merged gone is hidden by the whiteout" \
                        "HOST: merged d is opaque" "HOST: merged sub is opaque" \
                        "HOST: merged r is not opaque"; do
                        grep -qxF "$want" "$out" && ok "$variant/$rt: '$want'" || bad "$variant/$rt: no '$want'"
                done
                chk() { grep -qE "$2" "$LOG" && ok "$variant/$rt: scmpd $1" || bad "$variant/$rt: scmpd $1 (no /$2/ in its log)"; }
                chk "emulated the whiteout" 'handler mknod: tid [0-9]+: emulated mknod(at)? of "/work/upper/gone" \(0:0\): ok'
                chk "emulated the opaque xattr" 'handler xattr: tid [0-9]+: emulated setxattr of "trusted.overlay.opaque" on "/work/upper/d": ok'
                chk "emulated fsetxattr" 'handler xattr: tid [0-9]+: emulated fsetxattr of "trusted.overlay.opaque" on an fd: ok'
                if grep -qE 'warning|error' "$LOG"; then
                        bad "$variant/$rt: scmpd logged warnings: $(grep -E 'warning|error' "$LOG" | head -3)"
                else
                        ok "$variant/$rt: scmpd logged no warnings"
                fi
        done
done

left=$(for rt in $RUNTIMES; do timeout 20 "$rt" list -q 2>/dev/null; done | grep -c "^$PREFIX.*-$$" || true)
[ "$left" -eq 0 ] && ok "no containers left behind" || bad "$left containers left behind"
e2e_finish overlay-e2e
