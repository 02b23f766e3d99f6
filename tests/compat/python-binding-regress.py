#!/usr/bin/env python3
# libseccomp's own regression tests in Python mode, run on OUR libseccomp.so.2 through the
# binding built by python-binding.sh.
#
# Usage: python-binding-regress.py TESTS_DIR BPF_SIM EXPECTED
#   TESTS_DIR  the tests/ folder of libseccomp's source (the *.tests batches and the *.py tests)
#   BPF_SIM    libseccomp's scmp_bpf_sim, built from the same source (it links no libseccomp)
#   EXPECTED   one line per test line of every batch: "<batch> <n> <type> pass|fail|skip|any"
#              ("any": run and reported, not judged; only for outcomes that depend on the
#              Python interpreter rather than on the library, each with its reason)
#
# What libseccomp's `regression -m python` does, minus its cost: the harness starts Python for
# every simulated syscall, thousands of times; here each test script exports its filter once
# (`X.py -b`), and the simulator runs every case of the line against that program. The native
# arch, the arch lists (read from the harness itself), the ranges and the live tests' exit codes
# follow the harness. Syscall names resolve through the binding (as the harness's
# scmp_sys_resolver would, on the library under test). Not run, as in the harness's Python mode:
# bpf-valgrind (native mode only); not run here: bpf-sim-fuzz (random input, so no pinned
# answer).
#
# Every outcome must equal EXPECTED's; a line that starts passing fails the test too, so the
# list cannot rot. The binding must be importable (PYTHONPATH) and the library on the path.
import os
import platform
import re
import subprocess
import sys

import seccomp

HANG_GUARD = 120  # seconds for one process: a hang guard, never a verdict on speed

# The harness's exit codes for live tests on every arch but MIPS (which kills with 140).
LIVE_RC = {"KILL_PROCESS": 159, "KILL": 159, "ALLOW": 160, "TRAP": 161, "ERRNO": 163, "LOG": 164}


def harness_arch_lists(tests_dir):
    """The GLBL_ARCH_*_SUPPORT lists of libseccomp's regression script."""
    text = open(os.path.join(tests_dir, "regression")).read()
    lists = {}
    for m in re.finditer(r'GLBL_ARCH_(LE|BE|32B|64B)_SUPPORT="([^"]*)"', text):
        lists[m.group(1)] = m.group(2).replace("\\", " ").split()
    if set(lists) != {"LE", "BE", "32B", "64B"}:
        sys.exit("FAIL: no arch lists found in the harness")
    return lists


def native_arch():
    machine = platform.machine()
    known = {"x86_64": "x86_64", "aarch64": "aarch64", "riscv64": "riscv64", "s390x": "s390x",
             "ppc64le": "ppc64le"}
    if machine not in known:
        print(f"native arch {machine} not mapped: skip")
        sys.exit(77)
    return known[machine]


def expand_arches(spec, native, lists):
    """The harness's arch expression (all, all_le, +x86, -x32, ...) as a list of arch names."""
    group = {"le": "LE", "be": "BE", "32": "32B", "64": "64B"}
    add, avoid = [], set()
    for a in spec.split(","):
        if a == "all":
            add.append(native)
        elif a.startswith("all_"):
            if native in lists[group[a[4:]]]:
                add.append(native)
        elif a.startswith("+all_"):
            add.extend(lists[group[a[5:]]])
        elif a.startswith("+"):
            add.append(a[1:])
        elif a.startswith("-"):
            avoid.add(a[1:])
        elif a == native:
            add.append(a)
    return [a for a in add if a not in avoid]


def value_range(field):
    """The harness's get_range: "lo-hi" is a range, anything else a single value."""
    if re.fullmatch(r"[0-9a-fA-Fx]+-[0-9a-fA-Fx]+", field):
        lo, hi = field.split("-")
        return list(range(int(lo, 0), int(hi, 0) + 1))
    return [field]


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=HANG_GUARD, **kw)


class Runner:
    def __init__(self, tests_dir, sim, native, lists):
        self.tests_dir, self.sim, self.native, self.lists = tests_dir, sim, native, lists
        self.bpf = {}
        self.api = seccomp.get_api()

    def script(self, name):
        return [sys.executable, os.path.join(self.tests_dir, name + ".py")]

    def export(self, name):
        """The test's filter as BPF (`X.py -b`), once per script; None if the script failed."""
        if name not in self.bpf:
            path = os.path.join(self.workdir, name + ".bpf")
            with open(path, "wb") as out:
                p = subprocess.run(self.script(name) + ["-b"], stdout=out,
                                   stderr=subprocess.PIPE, cwd=self.tests_dir,
                                   timeout=HANG_GUARD)
            self.bpf[name] = path if p.returncode == 0 else None
            if p.returncode != 0:
                self.note(f"{name} -b: exit {p.returncode}: {p.stderr.decode()[-300:]}")
        return self.bpf[name]

    def note(self, msg):
        self.notes.append(msg)

    def basic(self, fields):
        p = run(self.script(fields[0]), cwd=self.tests_dir)
        if p.returncode != 0:
            self.note(f"{fields[0]}: exit {p.returncode}: {p.stderr[-300:]}")
        return "pass" if p.returncode == 0 else "fail"

    def bpf_sim(self, fields):
        name, archspec, sysfield, args, want = fields[0], fields[1], fields[2], fields[3:9], fields[9]
        arches = expand_arches(archspec, self.native, self.lists)
        if not arches:
            return "skip"
        bpf = self.export(name)
        if bpf is None:
            return "fail"
        failed = 0
        for arch in arches:
            sysnums = []
            for s in value_range(sysfield):
                if isinstance(s, str) and not re.fullmatch(r"-?[0-9]+", s):
                    s = seccomp.resolve_syscall(int(seccomp.Arch(arch)), s)
                sysnums.append(int(s))
            ranges = [[None] if a == "N" else value_range(a) for a in args]
            for nr in sysnums:
                for combo in product(ranges):
                    argv = [self.sim, "-a", arch, "-f", bpf, "-s", str(nr)]
                    for i, v in enumerate(combo):
                        if v is not None:
                            argv += [f"-{i}", str(v)]
                    self.cases += 1
                    got = run(argv).stdout.strip()
                    if got != want:
                        failed += 1
                        self.note(f"{name} {arch} {nr} {combo}: {got or 'error'}, want {want}")
        return "fail" if failed else "pass"

    def live(self, fields):
        name, api, want = fields[0], int(fields[1]), fields[2]
        if self.api < api or want not in LIVE_RC:
            return "skip"
        p = run(self.script(name) + [want], cwd=self.tests_dir)
        rc = 128 - p.returncode if p.returncode < 0 else p.returncode
        if rc != LIVE_RC[want]:
            self.note(f"{name} {want}: exit {rc}, want {LIVE_RC[want]}")
        return "pass" if rc == LIVE_RC[want] else "fail"

    def batch(self, path):
        """Yield (n, type, outcome) for each test line of one batch, numbered as the harness
        numbers them (from 1 across the whole batch file)."""
        kind, n = None, 0
        for line in open(path):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("test type:"):
                kind = line.split(":", 1)[1].strip()
                continue
            n += 1
            fields = line.split()
            if kind == "basic":
                if fields[0].endswith(".sh"):
                    yield n, kind, "skip"  # the harness: scripts only in native mode
                else:
                    yield n, kind, self.basic(fields)
            elif kind == "bpf-sim":
                yield n, kind, self.bpf_sim(fields)
            elif kind == "live":
                yield n, kind, self.live(fields)
            else:
                yield n, kind, "skip"  # bpf-sim-fuzz (random), bpf-valgrind (native mode only)


def product(ranges):
    if not ranges:
        yield ()
        return
    for v in ranges[0]:
        for rest in product(ranges[1:]):
            yield (v,) + rest


def main():
    tests_dir, sim, expected_path = sys.argv[1:4]
    tests_dir = os.path.abspath(tests_dir)
    runner = Runner(tests_dir, os.path.abspath(sim), native_arch(), harness_arch_lists(tests_dir))
    runner.workdir = os.environ.get("TMPDIR", "/tmp")
    runner.notes, runner.cases = [], 0

    got = {}
    for f in sorted(os.listdir(tests_dir)):
        if not f.endswith(".tests"):
            continue
        batch = f[:-len(".tests")]
        if not os.path.exists(os.path.join(tests_dir, batch + ".py")):
            continue
        for n, kind, outcome in runner.batch(os.path.join(tests_dir, f)):
            got[(batch, str(n))] = (kind, outcome)

    expected = {}
    for line in open(expected_path):
        line = line.split("#", 1)[0].split()
        if line:
            expected[(line[0], line[1])] = (line[2], line[3])

    for note in runner.notes:
        print("note:", note)
    counts = {}
    for key, (kind, outcome) in sorted(got.items()):
        counts[outcome] = counts.get(outcome, 0) + 1
        print(f"{key[0]} {key[1]} {kind} {outcome}")
    print(f"regression (python mode): {len(got)} test lines: " +
          ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) +
          f"; {runner.cases} simulated cases")

    bad = 0
    for key in sorted(set(got) | set(expected)):
        if key in got and expected.get(key) == (got[key][0], "any"):
            continue  # run and reported, not judged (see the entry's comment)
        if got.get(key) != expected.get(key):
            print(f"FAIL: {key[0]} {key[1]}: got {got.get(key)}, expected {expected.get(key)}")
            bad += 1
    if bad:
        print(f"FAIL: {bad} outcomes differ from {os.path.basename(expected_path)}")
        return 1
    print(f"all {len(got)} outcomes as pinned in {os.path.basename(expected_path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
