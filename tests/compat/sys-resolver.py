#!/usr/bin/env python3
"""Debian's scmp_sys_resolver, built against Debian's libseccomp 2.5.4, run on OUR
libseccomp.so.2 through LD_LIBRARY_PATH: it must give the same answers as on Debian's library.

Usage: sys-resolver.py LIBSECCOMP_SO RESOLVER_ORACLE

For a set of arches, every syscall name Debian's seccomp-syscalls.h knows is resolved to a
number (plain and with -t, the socketcall/ipc rewrite), and the numbers 0..N back to names, on
both libraries. The whole matrix goes through resolver-oracle (resolver_oracle.c: the same
library calls scmp_sys_resolver makes, built against Debian's library, all queries in one
process); Debian's scmp_sys_resolver binary itself answers a sample of it (every name on x86_64,
-t on x86, and every SAMPLE_EVERY-th query elsewhere), since a process per query cost minutes. Our tables are current to a newer kernel than libseccomp 2.5.4's, so one kind of
difference is expected and only counted: Debian answers with a pseudo number (the arch lacked the
call when 2.5.4 was made) where we know the real one. Every other difference fails the test.
LD_DEBUG shows that the runs really loaded our library. Exit 77 when scmp_sys_resolver is missing.
"""
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

ARCHES = ["x86_64", "x86", "x32", "arm", "aarch64", "mips", "mips64", "mips64n32", "mipsel",
          "ppc", "ppc64", "ppc64le", "s390", "s390x", "parisc", "riscv64"]
REVERSE_ARCHES = ["x86_64", "x86", "aarch64"]
HEADER = "/usr/include/seccomp-syscalls.h"
SAMPLE_EVERY = 37
WAIT = 600  # a hang guard for one process, never a verdict on speed


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    resolver = shutil.which("scmp_sys_resolver")
    if not resolver or not os.path.exists(HEADER):
        print("scmp_sys_resolver or Debian's seccomp-syscalls.h missing: skip")
        return 77
    libdir = os.path.dirname(os.path.abspath(sys.argv[1]))
    ours_env = dict(os.environ, LD_LIBRARY_PATH=libdir)
    theirs_env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}

    # Prove the library that is loaded: the dynamic linker names the file it initialises.
    dbg = subprocess.run([resolver, "-a", "x86_64", "read"], env=dict(ours_env, LD_DEBUG="libs"),
                         capture_output=True, text=True, timeout=WAIT)
    loaded = re.findall(r"calling init: (\S*libseccomp\.so\.2\S*)", dbg.stderr)
    if not loaded or not all(p.startswith(libdir + "/") for p in loaded):
        print(f"FAIL: scmp_sys_resolver did not load our library from {libdir}: {loaded}")
        return 1
    print(f"scmp_sys_resolver loads {loaded[0]}")

    with open(HEADER) as f:
        names = sorted(set(re.findall(r"^#define __SNR_(\w+)", f.read(), re.M)))

    queries = []
    for arch in ARCHES:
        for name in names:
            queries.append((arch, False, name))
            queries.append((arch, True, name))
    for arch in REVERSE_ARCHES:
        for nr in range(0, 470):
            queries.append((arch, False, str(nr)))

    def ask(env, q):
        arch, rewrite, what = q
        cmd = [resolver, "-a", arch] + (["-t"] if rewrite else []) + [what]
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=WAIT)
        return (r.returncode, r.stdout.strip())

    def both(q):
        return q, ask(theirs_env, q), ask(ours_env, q)

    def batch(env):
        lines = "".join(f"{a} {'number' if w.isdigit() else 'rewrite' if t else 'name'} {w}\n"
                        for a, t, w in queries)
        r = subprocess.run([sys.argv[2]], env=env, input=lines, capture_output=True, text=True,
                           timeout=WAIT)
        out = r.stdout.splitlines()
        if r.returncode != 0 or len(out) != len(queries):
            raise SystemExit(f"FAIL: resolver-oracle rc {r.returncode}, {len(out)} answers for "
                             f"{len(queries)} queries: {r.stderr.strip()}")
        # scmp_sys_resolver's exit status and output for the same library answers.
        return [(0, o[3:]) if o.startswith("ok ") else (1, "") for o in out]

    theirs_all, ours_all = batch(theirs_env), batch(ours_env)
    sample = [i for i, (arch, rewrite, what) in enumerate(queries)
              if (arch == "x86_64" and not rewrite) or (arch == "x86" and rewrite)
              or i % SAMPLE_EVERY == 0]
    with ThreadPoolExecutor(max_workers=(os.cpu_count() or 2) * 2) as pool:
        binary = list(pool.map(both, [queries[i] for i in sample]))
    # The binary must print exactly what the library calls answered, on both libraries.
    mismatch = [f"{q}: binary {t!r}/{o!r}, oracle {theirs_all[i]!r}/{ours_all[i]!r}"
                for i, (q, t, o) in zip(sample, binary)
                if t != theirs_all[i] or o != ours_all[i]]
    if mismatch:
        print("FAIL: scmp_sys_resolver and resolver-oracle disagree:")
        for line in mismatch[:50]:
            print("  ", line)
        return 1
    print(f"scmp_sys_resolver answered {len(sample)} sampled queries as resolver-oracle did")
    results = list(zip(queries, theirs_all, ours_all))

    same = newer = 0
    failures = []
    for (arch, rewrite, what), theirs, ours in results:
        if theirs == ours:
            same += 1
            continue
        t, o = theirs[1], ours[1]
        if (theirs[0] == ours[0] == 0 and re.fullmatch(r"-\d+", t) and re.fullmatch(r"\d+", o)
                and int(t) < -1000):
            newer += 1  # a call the arch gained after libseccomp 2.5.4's tables
            continue
        if theirs[0] == ours[0] == 0 and t == "UNKNOWN" and re.fullmatch(r"\w+", o):
            newer += 1  # a number libseccomp 2.5.4's tables did not know yet
            continue
        failures.append(f"{arch}{' -t' if rewrite else ''} {what}: debian {theirs!r}, ours {ours!r}")

    print(f"sys-resolver: {len(results)} queries on {len(ARCHES)} arches: {same} same, "
          f"{newer} newer in our tables, {len(failures)} different")
    for line in failures[:200]:
        print("  DIFF", line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
