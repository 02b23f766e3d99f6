#!/usr/bin/env python3
"""An OCI runtime built against Debian's libseccomp 2.5.4 (crun, or runc through the Go
bindings) runs a container under Docker's default seccomp profile with OUR libseccomp.so.2
swapped in through LD_LIBRARY_PATH.

Usage: runtime-docker-default.py RUNTIME LIBSECCOMP_SO PROFILE_JSON VERSION
       (RUNTIME: crun or runc; VERSION: what our library's seccomp_version() reports)

The test builds a throwaway busybox-static rootfs and bundle in a temporary directory, turns
Docker's profile into the OCI form (as Docker does: keep the rules whose arch, capability and
kernel conditions hold for this container), runs the container with LD_DEBUG=libs so that the
dynamic linker names the libseccomp the runtime initialised, and checks that the container ran to the
end under a filter. Every runtime call is bounded by `timeout`; the container, its state
directory and the bundle are removed whatever happens. Exit 77 when the runtime, busybox-static
or root is missing.

On hosts with hybrid cgroups whose v2 side holds controllers, crun refuses to start; crun then
runs in a private mount namespace with the v2 mount hidden (runc needs no such help).
"""
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

BUSYBOX = "/bin/busybox"
APPLETS = ["sh", "cat", "echo", "grep", "ls", "mkdir", "uname", "id"]
ARCH_NAMES = {"x86_64": "amd64", "aarch64": "arm64"}
SCRIPT = """set -e
echo "container: start"
grep -E '^Seccomp(_filters)?:' /proc/self/status
mkdir /tmp/x && ls -d /tmp/x
uname -s
# unshare(2) is allowed by Docker's profile only with CAP_SYS_ADMIN, which this container lacks.
if unshare -U true 2>/dev/null; then echo "unshare: allowed"; else echo "unshare: refused"; fi
echo "container: done"
"""


def kernel_at_least(v):
    want = tuple(int(x) for x in v.split("."))
    have = tuple(int(x) for x in re.findall(r"\d+", platform.release())[:2])
    return have >= want


def oci_profile(docker, caps, arch):
    """Docker's profile to the OCI runtime-spec seccomp object, for one arch and capability set."""
    archs = []
    for m in docker.get("archMap", []):
        if m["architecture"].lower().endswith(arch.replace("amd64", "x86_64").replace("arm64", "aarch64")):
            archs = [m["architecture"]] + m.get("subArchitectures", [])
    out = {"defaultAction": docker["defaultAction"], "architectures": archs, "syscalls": []}
    if "defaultErrnoRet" in docker:
        out["defaultErrnoRet"] = docker["defaultErrnoRet"]
    for s in docker["syscalls"]:
        inc, exc = s.get("includes", {}), s.get("excludes", {})
        if inc.get("arches") and arch not in inc["arches"]:
            continue
        if inc.get("caps") and not all(c in caps for c in inc["caps"]):
            continue
        if inc.get("minKernel") and not kernel_at_least(inc["minKernel"]):
            continue
        if exc.get("arches") and arch in exc["arches"]:
            continue
        if exc.get("caps") and any(c in caps for c in exc["caps"]):
            continue
        rule = {"names": s["names"], "action": s["action"]}
        for k in ("errnoRet", "args"):
            if k in s:
                rule[k] = s[k]
        out["syscalls"].append(rule)
    return out


def is_static_elf(path):
    """True for an ELF executable without a program interpreter (PT_INTERP), i.e. static."""
    import struct
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF":
                return False
            is64, little = head[4] == 2, head[5] == 1
            order = "<" if little else ">"
            if is64:
                phoff, = struct.unpack_from(order + "Q", head, 32)
                phentsize, phnum = struct.unpack_from(order + "HH", head, 54)
            else:
                phoff, = struct.unpack_from(order + "I", head, 28)
                phentsize, phnum = struct.unpack_from(order + "HH", head, 42)
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                ptype, = struct.unpack(order + "I", f.read(4))
                if ptype == 3:  # PT_INTERP
                    return False
            return True
    except OSError:
        return False


# Run inside the namespace: load the library at argv[1] and print the version it reports.
VERSION_CHECK = (
    "import ctypes, sys\n"
    "lib = ctypes.CDLL(sys.argv[1])\n"
    "lib.seccomp_version.restype = ctypes.POINTER(ctypes.c_uint * 3)\n"
    "print('namespace libseccomp %d.%d.%d' % tuple(lib.seccomp_version().contents))\n")


def system_libseccomp(binary):
    """The libseccomp.so.2 path the dynamic linker gives `binary` without LD_LIBRARY_PATH."""
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    r = subprocess.run(["ldd", binary], capture_output=True, text=True, env=env)
    m = re.search(r"libseccomp\.so\.2 => (\S+)", r.stdout)
    return m.group(1) if m else None


def hybrid_cgroups():
    try:
        with open("/sys/fs/cgroup/unified/cgroup.controllers") as f:
            return f.read().strip() != ""
    except OSError:
        return False


def run(cmd, env, timeout_s=60):
    full = ["timeout", "-k", "5", str(timeout_s)] + cmd
    return subprocess.run(full, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("crun", "runc"):
        print(__doc__)
        return 2
    name = sys.argv[1]
    runtime = shutil.which(name)
    if not runtime:
        print(f"{name} not installed: skip")
        return 77
    if os.geteuid() != 0:
        print("not root: skip")
        return 77
    if not is_static_elf(BUSYBOX):
        print("busybox-static missing: skip")
        return 77
    libdir = os.path.dirname(os.path.abspath(sys.argv[2]))
    with open(sys.argv[3]) as f:
        docker = json.load(f)
    arch = ARCH_NAMES.get(platform.machine(), platform.machine())

    ourlib = os.path.realpath(os.path.join(libdir, "libseccomp.so.2"))
    syslib = system_libseccomp(runtime)
    if name == "runc" and not syslib:
        print("FAIL: cannot find the libseccomp.so.2 that runc links")
        return 1

    tmp = tempfile.mkdtemp(prefix=f"scmpd-{name}.")
    state = os.path.join(tmp, "state")
    cid = f"scmpd-compat-{name}-{os.getpid()}"
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
           "LD_LIBRARY_PATH": libdir, "LD_DEBUG": "libs"}
    prefix = [runtime, "--root", state]
    try:
        bundle = os.path.join(tmp, "bundle")
        rootfs = os.path.join(bundle, "rootfs")
        for d in ["bin", "proc", "dev", "sys", "tmp", "etc"]:
            os.makedirs(os.path.join(rootfs, d))
        shutil.copy(BUSYBOX, os.path.join(rootfs, "bin", "busybox"))
        for a in APPLETS:
            os.symlink("busybox", os.path.join(rootfs, "bin", a))
        with open(os.path.join(rootfs, "test.sh"), "w") as f:
            f.write(SCRIPT)

        r = subprocess.run(["timeout", "-k", "5", "30", runtime, "spec"], cwd=bundle,
                           env={"PATH": env["PATH"]}, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            print(f"FAIL: {name} spec:", r.stderr)
            return 1
        cfg_path = os.path.join(bundle, "config.json")
        with open(cfg_path) as f:
            cfg = json.load(f)
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = ["/bin/sh", "/test.sh"]
        cfg["root"] = {"path": os.path.realpath(rootfs), "readonly": True}
        cfg["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                              "options": ["nosuid", "nodev", "mode=1777"]})
        caps = cfg["process"]["capabilities"]["bounding"]
        def run_container(profile):
            if profile:
                cfg["linux"]["seccomp"] = profile
            else:
                cfg["linux"].pop("seccomp", None)
            with open(cfg_path, "w") as f:
                json.dump(cfg, f, indent=2)
            cmd = prefix + ["run", "-b", bundle, cid]
            if name == "crun" and hybrid_cgroups():
                cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                       'umount -l /sys/fs/cgroup/unified && exec "$@"', "sh"] + cmd
            if name == "runc":
                # runc builds the filter in "runc init", which it starts with an environment of
                # its own (no LD_LIBRARY_PATH). So runc runs in a private mount namespace where
                # the system's libseccomp.so.2 path is our file; the host is not touched. The
                # namespace first proves, with the path's own seccomp_version(), that it is ours.
                cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                       'mount --bind "$0" "$1" && env -u LD_LIBRARY_PATH python3 -c '
                       '"$VERSION_CHECK" "$1" && shift && exec "$@"',
                       ourlib, syslib] + cmd
            try:
                return run(cmd, dict(env, VERSION_CHECK=VERSION_CHECK))
            finally:
                run(prefix + ["delete", "-f", cid], {"PATH": env["PATH"]}, 30)

        # Control: the same container without a seccomp section may unshare.
        control = run_container(None)
        profile = oci_profile(docker, caps, arch)
        nrules = sum(len(s["names"]) for s in profile["syscalls"])
        print(f"profile: {len(profile['syscalls'])} rules, {nrules} names, "
              f"arches {profile['architectures']}")
        r = run_container(profile)
        print("container stdout:\n" + r.stdout)
        loaded = re.findall(r"calling init: (\S*libseccomp\.so\.2\S*)", r.stderr)
        errors = [l for l in r.stderr.splitlines() if not re.match(r"\s*\d+:", l)]
        if errors:
            print(f"{name} stderr (without the LD_DEBUG lines):\n" + "\n".join(errors))

        ok = True
        # crun loads our file from LD_LIBRARY_PATH; runc's processes load it from there or from
        # the system path, where our file is mounted (the namespace's version report proves it).
        expected = (libdir + "/",) if name == "crun" else (libdir + "/", syslib)
        if name == "runc" and f"namespace libseccomp {sys.argv[4]}" not in r.stdout:
            print(f"FAIL: the file at {syslib} in runc's namespace is not ours")
            ok = False
        if not loaded or not all(p.startswith(expected) for p in loaded):
            print(f"FAIL: {name} did not initialise libseccomp from {expected}: {loaded}")
            ok = False
        else:
            pids = sorted(set(re.findall(r"^\s*(\d+):\s*calling init: \S*libseccomp\.so\.2",
                                         r.stderr, re.M)))
            print(f"{name} initialised {loaded[0]} in {len(pids)} process(es)")
        if r.returncode != 0:
            print(f"FAIL: {name} run exited {r.returncode}")
            ok = False
        if "container: done" not in r.stdout:
            print("FAIL: the container did not run to the end")
            ok = False
        m = re.search(r"^Seccomp:\s*(\d+)", r.stdout, re.M)
        f = re.search(r"^Seccomp_filters:\s*(\d+)", r.stdout, re.M)
        if not m or m.group(1) != "2" or not f or int(f.group(1)) < 1:
            print("FAIL: the container did not run in seccomp filter mode")
            ok = False
        if "unshare: allowed" in control.stdout:
            if "unshare: refused" not in r.stdout:
                print("FAIL: unshare(2) was not refused under Docker's profile")
                ok = False
            else:
                print("unshare(2): allowed without the profile, refused under it")
        else:
            print("note: unshare(2) is refused even without a profile here; that check is moot")
        print(f"{name}-docker-default:", "pass" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        run(prefix + ["delete", "-f", cid], {"PATH": env["PATH"]}, 30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
