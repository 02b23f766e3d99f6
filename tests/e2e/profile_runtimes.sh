#!/bin/bash
# e2e: what Debian's runc and crun really load for a profile, against what scmpctl compile makes
# of it. For each case, the Docker-format profile is turned into the OCI object moby would hand
# to the runtime (its archMap and includes/excludes, done here independently in Python), the
# runtime runs a busybox container with it, the filter of the container's process is read back
# with PTRACE_SECCOMP_GET_FILTER, and every decision (every syscall of x86_64, x86 and x32 and
# numbers past them, with several arguments) must equal that of `scmpctl compile PROFILE --caps
# ... --kernel ...` on the original profile: moby's conditions, runc's rules and runc's -ENOSYS
# stub. crun 1.8 loads libseccomp's filter without such a stub, so its cases compare with
# --no-enosys-stub. Usage: profile_runtimes.sh SECCOMP_CHECK. Exit 77 (skip) without root, runc,
# busybox-static, python3, or a kernel that can read back filters.
set -u
export LC_ALL=C
CHECK=$1
TMO=${E2E_TIMEOUT:-120} # a hang guard per runtime call, generous for a loaded machine
. "$(dirname "$0")/lib.sh"
e2e_require root
command -v runc >/dev/null || { say "skip: runc is not installed"; exit 77; }
command -v python3 >/dev/null || { say "skip: python3 is not installed"; exit 77; }
e2e_require busybox
[ "$(uname -m)" = x86_64 ] || { say "skip: the cases are written for x86_64 hosts"; exit 77; }
e2e_workdir profile-e2e
e2e_rootfs "$W/bundle/rootfs" sleep
(cd "$W/bundle" && runc spec) || { say "FAIL: runc spec"; exit 1; }
KERNEL=$(uname -r | cut -d. -f1-2)
DOCKER_CAPS=CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FSETID,CAP_FOWNER,CAP_MKNOD,CAP_NET_RAW,CAP_SETGID
DOCKER_CAPS=$DOCKER_CAPS,CAP_SETUID,CAP_SETFCAP,CAP_SETPCAP,CAP_NET_BIND_SERVICE,CAP_SYS_CHROOT
DOCKER_CAPS=$DOCKER_CAPS,CAP_KILL,CAP_AUDIT_WRITE

# moby's setupSeccomp for an amd64 host, written from its documented behaviour: the archMap
# entry of SCMP_ARCH_X86_64, then entries filtered by includes/excludes.
config() { # config PROFILE CAPS: write the bundle's config.json
        python3 - "$1" "$2" "$KERNEL" "$W/bundle/config.json" "$W/bundle/rootfs" <<'EOF'
import json, sys
path, caps, kernel, config, rootfs = sys.argv[1:]
caps = caps.split(",")
prof = json.load(open(path))
kv = tuple(int(x) for x in kernel.split(".")[:2])
def at_least(v):
        return kv >= tuple(int(x) for x in v.split("."))
arch = "amd64"
oci = {"defaultAction": prof["defaultAction"], "syscalls": []}
for key in ("defaultErrnoRet", "architectures", "flags"):
        if prof.get(key) is not None:
                oci[key] = prof[key]
for m in prof.get("archMap") or []:
        if m["architecture"] == "SCMP_ARCH_X86_64":
                oci["architectures"] = [m["architecture"]] + (m.get("subArchitectures") or [])
                break
for s in prof.get("syscalls") or []:
        exc, inc = s.get("excludes") or {}, s.get("includes") or {}
        if arch in (exc.get("arches") or []) or any(c in caps for c in exc.get("caps") or []):
                continue
        if exc.get("minKernel") and at_least(exc["minKernel"]):
                continue
        if inc.get("arches") and arch not in inc["arches"]:
                continue
        if any(c not in caps for c in inc.get("caps") or []):
                continue
        if inc.get("minKernel") and not at_least(inc["minKernel"]):
                continue
        entry = {k: s[k] for k in ("action", "errnoRet", "args") if s.get(k) is not None}
        entry["names"] = s.get("names") or [s["name"]]
        oci["syscalls"].append(entry)
c = json.load(open(config))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sleep", "60"]
for k in ("bounding", "effective", "permitted"):
        c["process"]["capabilities"][k] = caps
c["root"] = {"path": rootfs, "readonly": True}
c["linux"]["seccomp"] = oci
json.dump(c, open(config, "w"))
EOF
}

run_case() { # run_case RUNTIME NAME PROFILE CAPS
        local rt=$1 name=$1-$2 profile=$3 caps=$4 id pid rc stub=""
        id=scmpd-profile-$$-$name
        [ "$rt" = crun ] && stub=--no-enosys-stub
        if ! config "$profile" "$caps"; then
                fail=$((fail + 1)); say "FAIL: $name: cannot write config.json"; return
        fi
        CREATED+=("$rt $id")
        if ! rt_cmd "$rt" run -d -b "$W/bundle" "$id" </dev/null >"$W/$name.out" \
                2>"$W/$name.err"; then
                fail=$((fail + 1)); say "FAIL: $name: $rt run: $(tail -1 "$W/$name.err")"; return
        fi
        pid=$(timeout -k 5 "$TMO" "$rt" state "$id" | python3 -c \
                'import json, sys; print(json.load(sys.stdin)["pid"])')
        "$CHECK" dump "$pid" "$W/$name.runtime.bpf"
        rc=$?
        timeout -k 5 20 "$rt" delete -f "$id" >/dev/null 2>&1
        if [ $rc = 77 ]; then
                say "skip: this kernel cannot read back seccomp filters"; exit 77
        fi
        if [ $rc != 0 ]; then
                fail=$((fail + 1)); say "FAIL: $name: cannot read the runtime's filter"; return
        fi
        if ! "$SCMPCTL_BIN" compile "$profile" --arch x86_64 --caps "$caps" --kernel "$KERNEL" \
                $stub -o "$W/$name.ours.bpf" 2>"$W/$name.compile.err"; then
                fail=$((fail + 1)); say "FAIL: $name: scmpctl compile: $(cat "$W/$name.compile.err")"
                return
        fi
        if "$CHECK" compare "$W/$name.runtime.bpf" "$W/$name.ours.bpf" x86_64 x86 x32; then
                pass=$((pass + 1))
                say "ok: $name: scmpctl compile${stub:+ $stub} decides as $rt's filter"
        else
                fail=$((fail + 1)); say "FAIL: $name: decisions differ from $rt's filter"
        fi
}

DATA=$SCMPD_SOURCE_ROOT/tests/data
for rt in ${E2E_RUNTIMES:-runc crun}; do
        command -v "$rt" >/dev/null || { say "note: $rt is not installed"; continue; }
        run_case "$rt" docker-default "$DATA/docker-default.json" "$DOCKER_CAPS"
        run_case "$rt" docker-default-sys-admin "$DATA/docker-default.json" \
                "$DOCKER_CAPS,CAP_SYS_ADMIN"
        run_case "$rt" runc-rules "$DATA/profiles/docker-plus-runc-rules.json" "$DOCKER_CAPS"
        run_case "$rt" runc-rules-sys-admin "$DATA/profiles/docker-plus-runc-rules.json" \
                "$DOCKER_CAPS,CAP_SYS_ADMIN,CAP_SYSLOG"
done
[ $pass -gt 0 ] || bad "no case ran"
e2e_finish profile-runtimes
