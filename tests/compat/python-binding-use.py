#!/usr/bin/env python3
# A program of ours that uses libseccomp's Python binding, run on OUR libseccomp.so.2.
#
# Usage: python-binding-use.py LIBDIR VERSION BPF_SIM
#   LIBDIR   the folder of our libseccomp.so.2: the only libseccomp this process may map
#   VERSION  what seccomp_version() must report (the binding does not expose it; ctypes asks
#            the library the binding loaded)
#   BPF_SIM  libseccomp's scmp_bpf_sim, which decides syscalls against the exported program
#
# A filter with rules, argument comparisons, an extra arch and an attribute is built through
# the binding, exported as PFC and BPF (the BPF's decisions checked in the simulator), and
# loaded in forked children whose syscalls must get the rules' decisions.
import ctypes
import errno
import os
import signal
import subprocess
import sys
import tempfile

import seccomp
from seccomp import ALLOW, EQ, ERRNO, GT, MASKED_EQ, TRAP, Arch, Arg, Attr, SyscallFilter

HANG_GUARD = 120
failures = 0


def check(what, ok, detail=""):
    global failures
    print(f"{'ok' if ok else 'FAIL'}: {what}{': ' + str(detail) if detail != '' else ''}")
    if not ok:
        failures += 1


def mapped_libseccomp():
    paths = set()
    for line in open("/proc/self/maps"):
        f = line.split()
        if len(f) >= 6 and os.path.basename(f[5]).startswith("libseccomp.so"):
            paths.add(os.path.realpath(f[5]))
    return paths


def child(fn):
    """Run fn() in a forked child; return its wait status decoded: ("exit", code) or
    ("signal", signo). The child is always reaped; a hang is killed after HANG_GUARD."""
    pid = os.fork()
    if pid == 0:
        try:
            os._exit(fn())
        except BaseException as e:
            print(f"child: {e!r}", file=sys.stderr)
            os._exit(99)
    signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
    signal.alarm(HANG_GUARD)
    _, status = os.waitpid(pid, 0)
    signal.alarm(0)
    if os.WIFSIGNALED(status):
        return ("signal", os.WTERMSIG(status))
    return ("exit", os.WEXITSTATUS(status))


def errno_of(fn):
    try:
        fn()
        return 0
    except OSError as e:
        return e.errno


def main():
    libdir, version, sim = sys.argv[1:4]
    libdir = os.path.realpath(libdir)

    maps = mapped_libseccomp()
    check("the binding's process maps our libseccomp.so.2 and no other",
          len(maps) == 1 and os.path.dirname(next(iter(maps))) == libdir, sorted(maps))
    check("the module is the one we built, not Debian's python3-seccomp",
          not seccomp.__file__.startswith("/usr/lib/python3"), seccomp.__file__)

    lib = ctypes.CDLL("libseccomp.so.2")

    class Version(ctypes.Structure):
        _fields_ = [("major", ctypes.c_uint), ("minor", ctypes.c_uint), ("micro", ctypes.c_uint)]

    lib.seccomp_version.restype = ctypes.POINTER(Version)
    v = lib.seccomp_version().contents
    check("seccomp_version() of the loaded library", f"{v.major}.{v.minor}.{v.micro}" == version,
          f"{v.major}.{v.minor}.{v.micro}")

    # API level through the binding: the kernel's level, then a forced one.
    level = seccomp.get_api()
    check("get_api() reports a level the kernel supports (>= 3)", level >= 3, level)
    seccomp.set_api(2)
    check("set_api(2) then get_api()", seccomp.get_api() == 2, seccomp.get_api())
    seccomp.set_api(level)

    # Name resolution (numbers are facts of each arch's table).
    check("resolve x86_64 openat", seccomp.resolve_syscall(int(Arch("x86_64")), "openat") == 257)
    check("resolve aarch64 openat", seccomp.resolve_syscall(int(Arch("aarch64")), "openat") == 56)
    check("resolve x86_64 number 0", seccomp.resolve_syscall(int(Arch("x86_64")), 0) == b"read")
    # Tokens as unsigned numbers: the binding keeps Arch tokens in a C int, so int(Arch(..))
    # is negative for 64-bit arches (and Arch(token) refuses them), on any library.
    native = seccomp.system_arch()
    x86_64 = int(Arch("x86_64")) & 0xFFFFFFFF
    if os.uname().machine == "x86_64":
        check("system_arch() is x86_64", native == x86_64, hex(native))

    # The extra arch first: rules added before seccomp_arch_add() stay off the new arch.
    f = SyscallFilter(ALLOW)
    other = Arch("x86") if native == x86_64 else Arch("x86_64")
    f.add_arch(other)
    check("exist_arch() after add_arch()", f.exist_arch(other) is True)
    check("exist_arch() of an arch not added", f.exist_arch(Arch("aarch64")) is False)
    f.add_rule(ERRNO(errno.EDOM), "dup", Arg(0, EQ, 1000))
    f.add_rule(ERRNO(errno.ERANGE), "lseek", Arg(2, EQ, os.SEEK_END))
    f.add_rule(ERRNO(errno.EXDEV), "fchdir", Arg(0, GT, 5000))
    f.add_rule(ERRNO(errno.ENOSYS), "umask", Arg(0, MASKED_EQ, 0o700, 0o700))
    f.add_rule(TRAP, "getpgid", Arg(0, EQ, 424242))
    f.set_attr(Attr.CTL_NNP, 1)
    check("CTL_NNP attribute", f.get_attr(Attr.CTL_NNP) == 1)

    with tempfile.TemporaryFile(mode="w+") as pfc:
        f.export_pfc(pfc)
        pfc.seek(0)
        text = pfc.read()
    check("PFC export names the rules' calls",
          all(name in text for name in ("dup", "lseek", "fchdir", "umask", "getpgid")),
          f"{len(text)} bytes")

    with tempfile.NamedTemporaryFile(suffix=".bpf") as bpf:
        f.export_bpf(bpf)
        bpf.flush()
        size = os.path.getsize(bpf.name)
        check("BPF export is whole instructions", size > 0 and size % 8 == 0, size)
        arch = "x86_64" if native == x86_64 else None
        if arch:
            cases = [(32, ["-0", "1000"], f"ERRNO({errno.EDOM})"),  # dup(1000)
                     (32, ["-0", "3"], "ALLOW"),  # dup(3)
                     (8, ["-2", "2"], f"ERRNO({errno.ERANGE})"),  # lseek(.., SEEK_END)
                     (8, ["-2", "0"], "ALLOW"),
                     (81, ["-0", "5001"], f"ERRNO({errno.EXDEV})"),  # fchdir(5001)
                     (81, ["-0", "5000"], "ALLOW"),
                     (95, ["-0", "0o777"], f"ERRNO({errno.ENOSYS})"),  # umask(0777)
                     (95, ["-0", "0o077"], "ALLOW"),
                     (121, ["-0", "424242"], "TRAP")]  # getpgid
            for nr, args, want in cases:
                args = [a if not a.startswith("0o") else str(int(a, 8)) for a in args]
                got = subprocess.run([sim, "-a", arch, "-f", bpf.name, "-s", str(nr)] + args,
                                     capture_output=True, text=True,
                                     timeout=HANG_GUARD).stdout.strip()
                check(f"simulated x86_64 syscall {nr} {' '.join(args)}", got == want,
                      f"{got}, want {want}")
            # The other arch's section: x86's dup is 41.
            got = subprocess.run([sim, "-a", "x86", "-f", bpf.name, "-s", "41", "-0", "1000"],
                                 capture_output=True, text=True, timeout=HANG_GUARD).stdout
            check("simulated x86 dup(1000)", got.strip() == f"ERRNO({errno.EDOM})", got.strip())

    # Loaded for real, in children.
    # Python's os.dup() uses fcntl(F_DUPFD_CLOEXEC); libc's dup() makes the dup syscall.
    libc = ctypes.CDLL(None, use_errno=True)

    def dup(fd):
        ret = libc.dup(fd)
        if ret < 0:
            raise OSError(ctypes.get_errno(), "dup")
        return ret

    def under_filter():
        f.load()
        fd = os.open("/dev/null", os.O_RDONLY)
        results = [
            errno_of(lambda: dup(1000)) == errno.EDOM,
            dup(fd) >= 0,
            errno_of(lambda: os.lseek(fd, 0, os.SEEK_END)) == errno.ERANGE,
            os.lseek(fd, 0, os.SEEK_SET) == 0,
            errno_of(lambda: os.fchdir(5001)) == errno.EXDEV,
            errno_of(lambda: os.fchdir(4999)) == errno.EBADF,
        ]
        for i, ok in enumerate(results):
            if not ok:
                return 10 + i
        return 0

    got = child(under_filter)
    check("loaded filter: each call gets its rule's decision", got == ("exit", 0), got)

    def trapped():
        f.load()
        os.getpgid(424242)
        return 0

    check("loaded filter: getpgid(424242) is trapped (SIGSYS)",
          child(trapped) == ("signal", signal.SIGSYS))

    def untrapped():
        f.load()
        return 0 if errno_of(lambda: os.getpgid(424243)) == errno.ESRCH else 1

    check("loaded filter: getpgid(424243) is allowed (ESRCH)", child(untrapped) == ("exit", 0))

    print(f"python-binding-use: {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
