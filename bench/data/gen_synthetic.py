#!/usr/bin/env python3
"""Write the synthetic 300-syscall profile (Docker's JSON format) that bench/run compiles.

300 distinct x86_64 syscalls, default ERRNO(EPERM):
  - 200 allowed unconditionally (the lowest numbers, plus exit_group so a process can exit);
  - personality with Docker's five argument values (the cheap conditional syscall that
    bench-syscall times);
  - 99 allowed only under argument checks: arg0 == i, or arg0 == i + 100 with arg1's low byte
    == 3 (masked), and for every third one also arg2 > 4096.
The table comes from `scmpctl syscalls --arch x86_64`, so the names follow our syscall tables.

Usage: gen_synthetic.py SCMPCTL > synthetic-300.json
"""
import json
import subprocess
import sys


def main():
    out = subprocess.run([sys.argv[1], "syscalls", "--arch", "x86_64"], check=True,
                         capture_output=True, text=True).stdout
    names = [line.split("\t")[1] for line in out.splitlines() if "\t" in line]
    special = {"personality", "exit_group"}
    rest = [n for n in names if n not in special]
    plain = rest[:199] + ["exit_group"]
    conditional = rest[199:298]
    assert len(plain) == 200 and len(conditional) == 99
    entries = [{"names": plain, "action": "SCMP_ACT_ALLOW"}]
    for value in (0x0, 0x8, 0x20000, 0x20008, 0xffffffff):
        entries.append({"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                        "args": [{"index": 0, "value": value, "op": "SCMP_CMP_EQ"}]})
    for i, name in enumerate(conditional):
        entries.append({"names": [name], "action": "SCMP_ACT_ALLOW",
                        "args": [{"index": 0, "value": i, "op": "SCMP_CMP_EQ"}]})
        entries.append({"names": [name], "action": "SCMP_ACT_ALLOW",
                        "args": [{"index": 0, "value": i + 100, "op": "SCMP_CMP_EQ"},
                                 {"index": 1, "value": 0xff, "valueTwo": 3,
                                  "op": "SCMP_CMP_MASKED_EQ"}]})
        if i % 3 == 0:
            entries.append({"names": [name], "action": "SCMP_ACT_ALLOW",
                            "args": [{"index": 2, "value": 4096, "op": "SCMP_CMP_GT"}]})
    profile = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
               "architectures": ["SCMP_ARCH_X86_64"], "syscalls": entries}
    json.dump(profile, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
