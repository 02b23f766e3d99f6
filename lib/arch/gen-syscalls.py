#!/usr/bin/env python3
"""Generate libscmpd's syscall tables from the kernel's own syscall tables.

Usage:
    lib/arch/gen-syscalls.py [--source /usr/src/linux-source-6.12.tar.xz | --tree DIR]
                             [--out-dir lib/arch/tables] [--assign-new] [--check]

The kernel keeps one table per ABI (arch/*/.../syscall*.tbl, and scripts/syscall.tbl for the
arches on the generic numbering). Each line is "NUMBER ABI NAME [ENTRY [COMPAT]]"; an arch's
table is the lines whose ABI column is one of the ABIs that arch builds. We read only those
files, apply the ABI filter and the numbering offset of each arch, add the syscalls that
Linux 6.13 to 6.18 introduced (LATER below), and write two files into lib/arch/tables/ (kept out
of scripts/format: generated, never edited):

    syscalls-gen.h   per-arch facts derived from the tables (socketcall/ipc numbers)
    syscalls-gen.c   the name index, the pseudo numbers and one table per arch

Pseudo numbers live in pseudo.txt (name, value, origin). Values from libseccomp are ABI and
never change; a syscall that needs a pseudo number and has none is an error unless
--assign-new is given, which appends a fresh value below libseccomp's range and rewrites
pseudo.txt. The output is a pure function of the inputs, so running twice gives the same bytes
(--check compares instead of writing, for the determinism test).
"""

import argparse
import io
import os
import re
import sys
import tarfile

X32_BIT = 0x40000000
ARM_PRIVATE_RE = re.compile(r"#define\s+__ARM_NR_(\w+)\s+\(__ARM_NR_BASE\s*\+\s*(\d+)\)")
ARM_NR_BASE = 0x0F0000  # __NR_SYSCALL_BASE (0 for EABI) + 0x0f0000
SCMPD_PSEUDO_FIRST = -20001
# The libseccomp release whose __PNR_* values pseudo.txt follows.
UPSTREAM = "libseccomp-2.6.1"
# Slots some tables fill with sys_ni_syscall under names like "unused18" or "reserved177"; they
# are not syscalls anyone can name in a rule.
PLACEHOLDER_RE = re.compile(r"(unused|reserved)\d+")  # ours start below libseccomp's (-101 .. -10999)

# Kernel source files each arch's table comes from, the ABIs it builds and its offset. The mips
# tables are one file per ABI and the kernel builds every line of each (its Makefile passes no
# --abis; n64 marks one line "common"), so they take all lines (None).
# The generic table (scripts/syscall.tbl) takes the extra ABIs listed in the arch's
# arch/*/kernel/Makefile.syscalls (syscall_abis_64), which we read from the tree as well.
ARCHES = [
    # name, table, abis, offset, makefile with extra abis (generic table only)
    ("x86", "arch/x86/entry/syscalls/syscall_32.tbl", ["i386"], 0, None),
    ("x86_64", "arch/x86/entry/syscalls/syscall_64.tbl", ["common", "64"], 0, None),
    ("x32", "arch/x86/entry/syscalls/syscall_64.tbl", ["common", "x32"], X32_BIT, None),
    ("arm", "arch/arm/tools/syscall.tbl", ["common", "eabi"], 0, None),
    ("aarch64", "scripts/syscall.tbl", ["common", "64"], 0, "arch/arm64/kernel/Makefile.syscalls"),
    ("loongarch64", "scripts/syscall.tbl", ["common", "64"], 0,
     "arch/loongarch/kernel/Makefile.syscalls"),
    ("m68k", "arch/m68k/kernel/syscalls/syscall.tbl", ["common"], 0, None),
    ("mips", "arch/mips/kernel/syscalls/syscall_o32.tbl", None, 4000, None),
    ("mipsel", "arch/mips/kernel/syscalls/syscall_o32.tbl", None, 4000, None),
    ("mips64", "arch/mips/kernel/syscalls/syscall_n64.tbl", None, 5000, None),
    ("mipsel64", "arch/mips/kernel/syscalls/syscall_n64.tbl", None, 5000, None),
    ("mips64n32", "arch/mips/kernel/syscalls/syscall_n32.tbl", None, 6000, None),
    ("mipsel64n32", "arch/mips/kernel/syscalls/syscall_n32.tbl", None, 6000, None),
    ("parisc", "arch/parisc/kernel/syscalls/syscall.tbl", ["common", "32"], 0, None),
    ("parisc64", "arch/parisc/kernel/syscalls/syscall.tbl", ["common", "64"], 0, None),
    ("ppc", "arch/powerpc/kernel/syscalls/syscall.tbl", ["common", "32", "nospu"], 0, None),
    ("ppc64", "arch/powerpc/kernel/syscalls/syscall.tbl", ["common", "64", "nospu"], 0, None),
    ("ppc64le", "arch/powerpc/kernel/syscalls/syscall.tbl", ["common", "64", "nospu"], 0, None),
    ("riscv64", "scripts/syscall.tbl", ["common", "64"], 0, "arch/riscv/kernel/Makefile.syscalls"),
    ("s390", "arch/s390/kernel/syscalls/syscall.tbl", ["common", "32"], 0, None),
    ("s390x", "arch/s390/kernel/syscalls/syscall.tbl", ["common", "64"], 0, None),
    ("sh", "arch/sh/kernel/syscalls/syscall.tbl", ["common"], 0, None),
    ("sheb", "arch/sh/kernel/syscalls/syscall.tbl", ["common"], 0, None),
]

# The offsets above are the kernel's __NR_Linux for mips (arch/mips/include/uapi/asm/unistd.h);
# we check them against the tree so that a change there cannot go unnoticed.
MIPS_OFFSETS = {"_MIPS_SIM_ABI32": 4000, "_MIPS_SIM_ABI64": 5000, "_MIPS_SIM_NABI32": 6000}

# Syscalls added after the 6.12 source we read, in the kernel's unified numbering (the number
# every table uses, before the arch's offset). Checked against the kernel's scripts/syscall.tbl
# and include/uapi/asm-generic/unistd.h of each release, and probed on a 6.18 x86-64 kernel.
# "arches": None means every arch; otherwise the list of arches that got it.
LATER = [
    ("setxattrat", 463, "6.13", None),
    ("getxattrat", 464, "6.13", None),
    ("listxattrat", 465, "6.13", None),
    ("removexattrat", 466, "6.13", None),
    ("open_tree_attr", 467, "6.15", None),
    ("file_getattr", 468, "6.17", None),
    ("file_setattr", 469, "6.17", None),
    # x86-64 only, "common" in syscall_64.tbl, so x32 has it too.
    ("uprobe", 336, "6.18", ["x86_64", "x32"]),
]
KERNEL_SOURCE_VERSION = "6.12"
KERNEL_CURRENT_VERSION = "6.18"

# Which families the multiplexers carry, and the call number each member takes in the first
# argument (include/uapi/linux/net.h SYS_*, and ipc/syscall.c / include/linux/ipc.h call ids).
SOCKETCALL_CALLS = [
    ("socket", 1), ("bind", 2), ("connect", 3), ("listen", 4), ("accept", 5),
    ("getsockname", 6), ("getpeername", 7), ("socketpair", 8), ("send", 9), ("recv", 10),
    ("sendto", 11), ("recvfrom", 12), ("shutdown", 13), ("setsockopt", 14),
    ("getsockopt", 15), ("sendmsg", 16), ("recvmsg", 17), ("accept4", 18), ("recvmmsg", 19),
    ("sendmmsg", 20),
]
IPC_CALLS = [
    ("semop", 1), ("semget", 2), ("semctl", 3), ("semtimedop", 4), ("msgsnd", 11),
    ("msgrcv", 12), ("msgget", 13), ("msgctl", 14), ("shmat", 21), ("shmdt", 22),
    ("shmget", 23), ("shmctl", 24),
]


class Source:
    """Read files either from the linux-source tarball or from an unpacked tree."""

    def __init__(self, tarball=None, tree=None):
        self.files = {}
        if tree:
            self.tree = tree
            return
        self.tree = None
        wanted = set(a[1] for a in ARCHES) | set(a[4] for a in ARCHES if a[4])
        wanted |= {"arch/arm/include/uapi/asm/unistd.h", "arch/mips/include/uapi/asm/unistd.h",
                   "include/uapi/asm-generic/unistd.h"}
        with tarfile.open(tarball, "r:xz") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                rel = member.name.split("/", 1)[1] if "/" in member.name else member.name
                if rel in wanted:
                    self.files[rel] = tar.extractfile(member).read().decode()
                    if len(self.files) == len(wanted):
                        break
        missing = wanted - set(self.files)
        if missing:
            sys.exit("missing in %s: %s" % (tarball, ", ".join(sorted(missing))))

    def read(self, rel):
        if self.tree:
            with open(os.path.join(self.tree, rel)) as f:
                return f.read()
        return self.files[rel]


def parse_tbl(text, abis, offset, where):
    """Return {name: number} for the lines of a .tbl file whose ABI is in abis."""
    table = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) < 3:
            sys.exit("%s:%d: malformed line" % (where, lineno))
        nr, abi, name = int(fields[0]), fields[1], fields[2]
        if (abis is not None and abi not in abis) or PLACEHOLDER_RE.fullmatch(name):
            continue
        nr = nr | offset if offset == X32_BIT else nr + offset
        if name in table and table[name] != nr:
            sys.exit("%s:%d: %s has two numbers" % (where, lineno, name))
        table[name] = nr
    return table


def extra_abis(text):
    abis = []
    for line in text.splitlines():
        m = re.match(r"\s*syscall_abis_64\s*\+?=\s*(.*)", line)
        if m:
            abis += m.group(1).split()
    return abis


def check_mips_offsets(src):
    text = src.read("arch/mips/include/uapi/asm/unistd.h")
    found = {}
    sim = None
    for line in text.splitlines():
        m = re.match(r"#if _MIPS_SIM == (\w+)", line)
        if m:
            sim = m.group(1)
        m = re.match(r"#define __NR_Linux\s+(\d+)", line)
        if m and sim:
            found[sim] = int(m.group(1))
    if found != MIPS_OFFSETS:
        sys.exit("mips __NR_Linux changed: %r" % found)


def check_generic_header(src):
    """The generic table and the older asm-generic/unistd.h must agree on every name both have
    (the header's #ifdef'd variants aside, which only select among names)."""
    tbl = {}
    for line in src.read("scripts/syscall.tbl").splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 3:
            tbl.setdefault(fields[2], set()).add(int(fields[0]))
    checked = 0
    for m in re.finditer(r"^#define __NR_(\w+)\s+(\d+)\s*$",
                         src.read("include/uapi/asm-generic/unistd.h"), re.M):
        name, nr = m.group(1), int(m.group(2))
        if name in ("syscalls", "arch_specific_syscall"):
            continue
        if name in tbl:
            if nr not in tbl[name]:
                sys.exit("asm-generic/unistd.h: %s is %d, scripts/syscall.tbl says %s"
                         % (name, nr, sorted(tbl[name])))
            checked += 1
    if checked < 250:
        sys.exit("asm-generic/unistd.h: only %d names cross-checked" % checked)


def build_tables(src):
    check_mips_offsets(src)
    check_generic_header(src)
    tables = {}
    for name, tbl, abis, offset, mk in ARCHES:
        abis = list(abis) if abis is not None else None
        if mk:
            abis += extra_abis(src.read(mk))
        table = parse_tbl(src.read(tbl), abis, offset, tbl)
        if name == "arm":
            for m in ARM_PRIVATE_RE.finditer(src.read("arch/arm/include/uapi/asm/unistd.h")):
                table[m.group(1)] = ARM_NR_BASE + int(m.group(2))
        for sc, nr, _version, only in LATER:
            if only is not None and name not in only:
                continue
            if sc in table:
                sys.exit("%s already has %s: the source is newer than LATER assumes" % (name, sc))
            table[sc] = nr | offset if offset == X32_BIT else nr + offset
        by_nr = {}
        for sc, nr in table.items():
            if nr in by_nr:
                sys.exit("%s: %d is both %s and %s" % (name, nr, by_nr[nr], sc))
            by_nr[nr] = sc
        tables[name] = table
    return tables


def read_pseudo(path):
    entries = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, value, origin = line.split()
            entries.append((name, int(value), origin))
    names = [e[0] for e in entries]
    # libseccomp gives switch_endian and sys_debug_setcontext the same value (both powerpc
    # names); that is its ABI, so duplicates are tolerated among its values only.
    values = [e[1] for e in entries if e[2] != UPSTREAM]
    values += list(set(e[1] for e in entries if e[2] == UPSTREAM))
    if any(e[2] not in (UPSTREAM, "scmpd") for e in entries):
        sys.exit("%s: the origin is %s or scmpd" % (path, UPSTREAM))
    if any((e[1] > SCMPD_PSEUDO_FIRST) != (e[2] == UPSTREAM) for e in entries):
        sys.exit("%s: values of origin scmpd lie at or below %d, libseccomp's above"
                 % (path, SCMPD_PSEUDO_FIRST))
    if len(set(names)) != len(names) or len(set(values)) != len(values):
        sys.exit("%s: duplicate name or value" % path)
    if any(v >= 0 or v == -1 for v in values):
        sys.exit("%s: pseudo numbers are negative and never -1" % path)
    return entries


def write_pseudo(path, entries):
    out = io.StringIO()
    out.write("# Pseudo syscall numbers: a negative number shared by every arch, for a syscall\n"
              "# that some arch lacks. Columns: name, value, origin. Values of origin\n"
              "# %s are the __PNR_* of libseccomp's published seccomp-syscalls.h (ABI,\n"
              "# never change them); values of origin scmpd were assigned by gen-syscalls.py\n"
              "# --assign-new, below -20000, and stay out of the compat header.\n" % UPSTREAM)
    for name, value, origin in sorted(entries, key=lambda e: (e[2] != UPSTREAM, -e[1])):
        out.write("%s %d %s\n" % (name, value, origin))
    with open(path, "w") as f:
        f.write(out.getvalue())


def c_str(s):
    assert re.fullmatch(r"[A-Za-z0-9_]+", s), s
    return '"%s"' % s


def render(tables, pseudo):
    names = sorted(set(n for t in tables.values() for n in t) | set(pseudo))
    index = {n: i for i, n in enumerate(names)}
    h = io.StringIO()
    c = io.StringIO()
    gen = ("/* Generated by lib/arch/gen-syscalls.py from the Linux %s sources plus the syscalls\n"
           " * of Linux %s to %s. Do not edit; see lib/arch/README.md. */\n"
           % (KERNEL_SOURCE_VERSION, "6.13", KERNEL_CURRENT_VERSION))
    h.write(gen)
    h.write("#pragma once\n\n")
    h.write("#define SCMPD_GEN_NAME_COUNT %d\n" % len(names))
    h.write("#define SCMPD_GEN_PSEUDO_COUNT %d\n" % len(pseudo))
    h.write("#define SCMPD_GEN_ARCH_COUNT %d\n\n" % len(ARCHES))
    h.write("/* The Linux release whose syscalls the tables follow, and the release whose sources\n"
            " * they were read from (the later calls come from LATER in the generator). */\n")
    h.write("#define SCMPD_GEN_LINUX_VERSION \"%s\"\n" % KERNEL_CURRENT_VERSION)
    h.write("#define SCMPD_GEN_LINUX_SOURCE \"%s\"\n\n" % KERNEL_SOURCE_VERSION)
    h.write("/* The multiplexer syscalls per arch, derived from the tables (-1: none). */\n")
    for name, *_ in ARCHES:
        t = tables[name]
        ident = name.upper()
        h.write("#define SCMPD_GEN_%s_SOCKETCALL %d\n" % (ident, t.get("socketcall", -1)))
        h.write("#define SCMPD_GEN_%s_IPC %d\n" % (ident, t.get("ipc", -1)))

    c.write(gen)
    # Ten numbers a row read better than clang-format's packing; the data is not hand-edited.
    c.write("/* clang-format off */\n")
    c.write('#include "arch/tables.h"\n\n')
    c.write("/* Every syscall name any arch knows, sorted by strcmp(); the index is the name id. */\n")
    c.write("const char *const scmpd_gen_names[SCMPD_GEN_NAME_COUNT] = {\n")
    for n in names:
        c.write("        %s,\n" % c_str(n))
    c.write("};\n\n")
    c.write("/* The pseudo number of each name id, or -1 for a name every arch has. */\n")
    c.write("const int32_t scmpd_gen_pseudo_by_name[SCMPD_GEN_NAME_COUNT] = {\n")
    row = [str(pseudo.get(n, -1)) for n in names]
    for i in range(0, len(row), 10):
        c.write("        " + ", ".join(row[i:i + 10]) + ",\n")
    c.write("};\n\n")
    c.write("/* Pseudo numbers sorted by value (descending, i.e. -101 first): value, name id. */\n")
    c.write("const struct scmpd_gen_entry scmpd_gen_pseudo[SCMPD_GEN_PSEUDO_COUNT] = {\n")
    for name, value in sorted(pseudo.items(), key=lambda kv: (-kv[1], kv[0])):
        c.write("        { %d, %d },\n" % (value, index[name]))
    c.write("};\n\n")
    for name, *_ in ARCHES:
        t = tables[name]
        ident = name.replace("-", "_")
        c.write("/* %s: the number of each name id, the pseudo number when the arch lacks it, or\n"
                " * -1 when no arch knows a pseudo number for it. */\n" % name)
        c.write("static const int32_t nr_%s[SCMPD_GEN_NAME_COUNT] = {\n" % ident)
        row = []
        for n in names:
            row.append(str(t[n]) if n in t else str(pseudo.get(n, -1)))
        for i in range(0, len(row), 10):
            c.write("        " + ", ".join(row[i:i + 10]) + ",\n")
        c.write("};\n\n")
        c.write("static const struct scmpd_gen_entry by_nr_%s[] = {\n" % ident)
        for n, nr in sorted(t.items(), key=lambda kv: kv[1]):
            c.write("        { %d, %d },\n" % (nr, index[n]))
        c.write("};\n\n")
    c.write("const struct scmpd_gen_table scmpd_gen_tables[SCMPD_GEN_ARCH_COUNT] = {\n")
    for name, *_ in ARCHES:
        ident = name.replace("-", "_")
        c.write("        { %s, nr_%s, by_nr_%s, %d },\n" % (c_str(name), ident, ident,
                                                          len(tables[name])))
    c.write("};\n")
    return h.getvalue(), c.getvalue()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default="/usr/src/linux-source-%s.tar.xz" % KERNEL_SOURCE_VERSION)
    ap.add_argument("--tree", help="an unpacked kernel tree instead of the tarball")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out-dir", default=os.path.join(here, "tables"))
    ap.add_argument("--assign-new", action="store_true",
                    help="give new pseudo numbers to syscalls that need one and have none")
    ap.add_argument("--check", action="store_true",
                    help="compare with the files in --out-dir instead of writing them")
    args = ap.parse_args()

    src = Source(tree=args.tree) if args.tree else Source(tarball=args.source)
    tables = build_tables(src)

    pseudo_path = os.path.join(here, "pseudo.txt")
    entries = read_pseudo(pseudo_path)
    known = {e[0] for e in entries}
    arch_names = [a[0] for a in ARCHES]
    all_names = sorted(set(n for t in tables.values() for n in t))
    needs = [n for n in all_names if any(n not in tables[a] for a in arch_names)]
    missing = [n for n in needs if n not in known]
    if missing:
        if not args.assign_new or args.check:
            sys.exit("no pseudo number for: %s (run with --assign-new)" % " ".join(missing))
        ours = [e[1] for e in entries if e[2] == "scmpd"]
        nxt = min(ours) - 1 if ours else SCMPD_PSEUDO_FIRST
        for n in missing:
            entries.append((n, nxt, "scmpd"))
            nxt -= 1
        write_pseudo(pseudo_path, entries)
    pseudo = {e[0]: e[1] for e in entries}

    h, c = render(tables, pseudo)
    outputs = {"syscalls-gen.h": h, "syscalls-gen.c": c}
    status = 0
    for fname, text in outputs.items():
        path = os.path.join(args.out_dir, fname)
        if args.check:
            with open(path) as f:
                if f.read() != text:
                    print("%s differs from the generator's output" % path, file=sys.stderr)
                    status = 1
        else:
            with open(path, "w") as f:
                f.write(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
